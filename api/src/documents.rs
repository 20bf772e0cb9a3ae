//! Parsed documents kept by their text: a frontend sends the same few queries over and
//! over, and parsing one (async-graphql's parser is built on pest) cost more than running
//! it for a short page: 11% of the instructions of a 20-title page, 3% of a front page.
//! A request whose text was parsed before gets a copy of that parse instead.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// Documents longer than this are parsed every time.
const MAX_CACHED_QUERY_BYTES: usize = 8 * 1024;

/// How many bytes of query text the kept parses may come from, together. A parse can take
/// about a hundred times its text (`{ a a a … }` is a field node per two bytes), so this
/// bounds the cache at a few megabytes whatever clients send; typical queries of a few
/// hundred bytes fill the count of entries first.
const MAX_CACHED_TEXT_BYTES: usize = 64 * 1024;

/// The parses of the most recently used query texts.
pub struct Documents {
    kept: Mutex<Kept>,
}

struct Kept {
    parsed: LruCache<String, Arc<ExecutableDocument>>,
    /// The bytes of the texts in `parsed`.
    text_bytes: usize,
}

impl Documents {
    /// Keeps up to `capacity` parses (at least one).
    pub fn new(capacity: usize) -> Self {
        Documents {
            kept: Mutex::new(Kept {
                parsed: LruCache::new(NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN)),
                text_bytes: 0,
            }),
        }
    }

    /// Whether the parse of `query` would be kept.
    pub fn would_keep(query: &str) -> bool {
        query.len() <= MAX_CACHED_QUERY_BYTES
    }

    /// Gives `request` the parse of its text when one is kept, and returns whether it did.
    pub fn reuse(&self, request: &mut async_graphql::Request) -> bool {
        if !Self::would_keep(&request.query) {
            return false;
        }
        let found = self.lock().parsed.get(&request.query).cloned();
        match found {
            Some(document) => {
                request.set_parsed_query(ExecutableDocument::clone(&document));
                true
            }
            None => false,
        }
    }

    /// Keeps `document`, the parse of `query`, forgetting the least recently used parses
    /// as the count or the bytes require.
    pub fn keep(&self, query: &str, document: &ExecutableDocument) {
        if !Self::would_keep(query) {
            return;
        }
        let document = Arc::new(document.clone());
        let mut kept = self.lock();
        if let Some((old, _)) = kept.parsed.push(query.to_owned(), document) {
            kept.text_bytes = kept.text_bytes.saturating_sub(old.len());
        }
        kept.text_bytes += query.len();
        while kept.text_bytes > MAX_CACHED_TEXT_BYTES {
            match kept.parsed.pop_lru() {
                Some((old, _)) => kept.text_bytes = kept.text_bytes.saturating_sub(old.len()),
                None => break,
            }
        }
    }

    /// How many parses are kept.
    pub fn len(&self) -> usize {
        self.lock().parsed.len()
    }

    /// Whether no parse is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Kept> {
        // A panic while holding the lock leaves the cache consistent enough: at worst
        // `text_bytes` overcounts, and parses are forgotten early.
        self.kept
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
    fn the_kept_texts_stay_within_their_bytes() {
        let documents = Documents::new(1_000);
        // Distinct texts of about 4 KiB: only 16 fit in 64 KiB.
        let texts: Vec<String> = (0..40)
            .map(|i| format!("{{ a{i} {} }}", "b ".repeat(2_000)))
            .collect();
        for text in &texts {
            parse_and_keep(&documents, text);
        }
        assert!(documents.len() < 17, "{} kept", documents.len());
        assert!(documents.len() >= 15, "{} kept", documents.len());
        // The most recent are the ones kept.
        assert!(documents.reuse(&mut request(&texts[39])));
        assert!(!documents.reuse(&mut request(&texts[0])));
        // Keeping a text again does not count its bytes twice.
        for _ in 0..5 {
            parse_and_keep(&documents, &texts[39]);
        }
        assert!(documents.len() >= 15, "{} kept", documents.len());
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
