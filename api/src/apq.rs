//! Automatic Persisted Queries (Apollo's protocol): a client sends the SHA-256 of its query
//! in `extensions.persistedQuery`; an unknown hash is answered `PERSISTED_QUERY_NOT_FOUND`,
//! and the client sends the query with its hash once, which registers it. Queries by hash fit
//! in a short GET URL, so CDNs can cache them.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// What a request's `persistedQuery` extension comes to.
#[derive(Debug, PartialEq, Eq)]
pub enum Persisted {
    /// The query to run: the one sent, or the one registered under the hash.
    Query(String),
    /// The hash names no registered query: the client should send it.
    NotFound,
    /// The extension is malformed, or the query does not have the hash given.
    Invalid(String),
}

/// The registered queries, the least recently used forgotten first beyond `capacity`.
#[derive(Debug)]
pub struct PersistedQueries {
    capacity: usize,
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    queries: HashMap<String, (String, u64)>,
    clock: u64,
}

impl PersistedQueries {
    pub fn new(capacity: usize) -> Self {
        PersistedQueries {
            capacity: capacity.max(1),
            entries: Mutex::new(Entries::default()),
        }
    }

    /// Resolves a request's `persistedQuery` extension against its (maybe empty) query.
    pub fn resolve(&self, extension: &serde_json::Value, query: &str) -> Persisted {
        let version = extension.get("version").and_then(serde_json::Value::as_i64);
        let hash = extension
            .get("sha256Hash")
            .and_then(serde_json::Value::as_str);
        let (Some(1), Some(hash)) = (version, hash) else {
            return Persisted::Invalid(
                "extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": \"…\"}"
                    .to_owned(),
            );
        };
        let hash = hash.to_ascii_lowercase();
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.clock += 1;
        let now = entries.clock;
        if query.is_empty() {
            return match entries.queries.get_mut(&hash) {
                Some((query, used)) => {
                    *used = now;
                    Persisted::Query(query.clone())
                }
                None => Persisted::NotFound,
            };
        }
        if hex::encode(Sha256::digest(query.as_bytes())) != hash {
            return Persisted::Invalid("the query does not have the sha256Hash given".to_owned());
        }
        if entries.queries.len() >= self.capacity && !entries.queries.contains_key(&hash) {
            let oldest = entries
                .queries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                entries.queries.remove(&oldest);
            }
        }
        entries.queries.insert(hash, (query.to_owned(), now));
        Persisted::Query(query.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extension(query: &str) -> serde_json::Value {
        serde_json::json!({"version": 1, "sha256Hash": hex::encode(Sha256::digest(query.as_bytes()))})
    }

    #[test]
    fn register_then_find_and_forget_the_oldest() {
        let queries = PersistedQueries::new(2);
        let (a, b, c) = ("{ a }", "{ b }", "{ c }");
        assert_eq!(queries.resolve(&extension(a), ""), Persisted::NotFound);
        assert_eq!(
            queries.resolve(&extension(a), a),
            Persisted::Query(a.to_owned())
        );
        assert_eq!(
            queries.resolve(&extension(a), ""),
            Persisted::Query(a.to_owned())
        );
        queries.resolve(&extension(b), b);
        queries.resolve(&extension(a), "");
        queries.resolve(&extension(c), c);
        assert_eq!(queries.resolve(&extension(b), ""), Persisted::NotFound);
        assert_eq!(
            queries.resolve(&extension(a), ""),
            Persisted::Query(a.to_owned())
        );
        assert!(matches!(
            queries.resolve(&extension(a), b),
            Persisted::Invalid(_)
        ));
        let bad = serde_json::json!({"version": 2, "sha256Hash": "x"});
        assert!(matches!(queries.resolve(&bad, ""), Persisted::Invalid(_)));
    }
}
