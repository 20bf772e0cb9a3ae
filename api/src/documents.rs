//! Parsed documents kept by their text: a frontend sends the same few queries over and
//! over, and parsing one (async-graphql's parser is built on pest) cost more than running
//! it for a short page: 11% of the instructions of a 20-title page, 3% of a front page.
//! A request whose text was parsed before gets a copy of that parse instead.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// Documents longer than this are parsed every time, so that the cache stays small
/// (a parse takes several times its text's size) whatever clients send.
const MAX_CACHED_QUERY_BYTES: usize = 8 * 1024;

/// The parses of the most recently used query texts.
pub struct Documents {
    parsed: Mutex<LruCache<String, Arc<ExecutableDocument>>>,
}

impl Documents {
    /// Keeps up to `capacity` parses (at least one).
    pub fn new(capacity: usize) -> Self {
        Documents {
            parsed: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// Gives `request` the parse of its text when one is kept, and returns whether it did.
    pub fn reuse(&self, request: &mut async_graphql::Request) -> bool {
        if request.query.len() > MAX_CACHED_QUERY_BYTES {
            return false;
        }
        let found = self.lock().get(&request.query).cloned();
        match found {
            Some(document) => {
                request.set_parsed_query(ExecutableDocument::clone(&document));
                true
            }
            None => false,
        }
    }

    /// Keeps `document`, the parse of `query`.
    pub fn keep(&self, query: &str, document: &ExecutableDocument) {
        if query.len() > MAX_CACHED_QUERY_BYTES {
            return;
        }
        self.lock()
            .put(query.to_owned(), Arc::new(document.clone()));
    }

    /// How many parses are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no parse is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, Arc<ExecutableDocument>>> {
        // A panic while holding the lock leaves the cache consistent: each call is one
        // `get` or `put`.
        self.parsed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> async_graphql::Request {
        async_graphql::Request::new(query)
    }

    /// Parses `query` as a request would and keeps its parse.
    fn parse_and_keep(documents: &Documents, query: &str) {
        let mut parsed = request(query);
        let document = parsed
            .parsed_query()
            .unwrap_or_else(|error| panic!("{query} does not parse: {error:?}"));
        documents.keep(query, document);
    }

    #[test]
    fn a_kept_parse_is_reused_and_the_least_recent_forgotten() {
        let documents = Documents::new(2);
        let (a, b, c) = ("{ a }", "{ b }", "{ c }");
        assert!(!documents.reuse(&mut request(a)));
        parse_and_keep(&documents, a);
        parse_and_keep(&documents, b);
        // `a` is used again, so `c` pushes out `b`.
        let mut again = request(a);
        assert!(documents.reuse(&mut again));
        assert!(again.parsed_query().is_ok_and(|document| matches!(
            &document.operations,
            async_graphql::parser::types::DocumentOperations::Single(_)
        )));
        parse_and_keep(&documents, c);
        assert_eq!(documents.len(), 2);
        assert!(documents.reuse(&mut request(a)));
        assert!(!documents.reuse(&mut request(b)));
        assert!(documents.reuse(&mut request(c)));
    }

    #[test]
    fn long_documents_are_not_kept() {
        let documents = Documents::new(4);
        let long = format!("{{ a {} }}", "b ".repeat(MAX_CACHED_QUERY_BYTES));
        parse_and_keep(&documents, &long);
        assert!(documents.is_empty());
        assert!(!documents.reuse(&mut request(&long)));
    }
}
