//! What `GET /metrics` reports, in Prometheus' text format: GraphQL requests and errors by
//! operation and code, a latency histogram, SQL statements per request, and the database
//! pool's connections.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

tokio::task_local! {
    /// The statement count of the request being served, where there is one.
    static STATEMENTS: Arc<AtomicU64>;
}

/// Counts one SQL statement against the request being served (called by the database's
/// metric callback; outside a request it does nothing).
pub fn count_statement() {
    let _ = STATEMENTS.try_with(|count| count.fetch_add(1, Ordering::Relaxed));
}

/// The current request's statement counter, to carry into tasks it spawns.
pub fn current_counter() -> Option<Arc<AtomicU64>> {
    STATEMENTS.try_with(Arc::clone).ok()
}

/// Runs `future` with `counter` counting its statements.
pub async fn counting<F: std::future::Future>(counter: Arc<AtomicU64>, future: F) -> F::Output {
    STATEMENTS.scope(counter, future).await
}

/// Latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];
/// Statements-per-request buckets.
const STATEMENT_BUCKETS: [f64; 8] = [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
/// How many distinct operation names are told apart; the rest count as `other`.
const MAX_OPERATIONS: usize = 100;

/// A histogram with fixed buckets.
#[derive(Debug)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    sum: Mutex<f64>,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            counts: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum: Mutex::new(0.0),
            count: AtomicU64::new(0),
        }
    }

    fn observe(&self, value: f64) {
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            if value <= *bound {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
        *self
            .sum
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) += value;
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                count.load(Ordering::Relaxed)
            );
        }
        let total = self.count.load(Ordering::Relaxed);
        let sum = *self
            .sum
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = writeln!(
            out,
            "{name}_bucket{{le=\"+Inf\"}} {total}\n{name}_sum {sum}\n{name}_count {total}"
        );
    }
}

/// The server's counters.
#[derive(Debug)]
pub struct Metrics {
    /// The operation names told apart so far.
    operations: Mutex<std::collections::HashSet<String>>,
    /// (operation, code) → count; code `OK` for a request without errors.
    requests: Mutex<HashMap<(String, String), u64>>,
    /// (operation, code) → errors with that code.
    errors: Mutex<HashMap<(String, String), u64>>,
    latency: Histogram,
    statements: Histogram,
    /// How relation fields loaded.
    pub relation_loads: Arc<RelationLoads>,
}

/// How many relation fields of pages' nodes (and of their types anywhere) found their value
/// loaded ahead by their page (`graphql::ahead`), and how many loaded it alone, through the
/// DataLoader.
#[derive(Debug, Default)]
pub struct RelationLoads {
    ahead: AtomicU64,
    alone: AtomicU64,
}

impl RelationLoads {
    /// Counts a load, found loaded ahead or registered alone.
    pub fn count(&self, ahead: bool) {
        let counter = if ahead { &self.ahead } else { &self.alone };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            operations: Mutex::default(),
            requests: Mutex::default(),
            errors: Mutex::default(),
            relation_loads: Arc::default(),
            latency: Histogram::new(&LATENCY_BUCKETS),
            statements: Histogram::new(&STATEMENT_BUCKETS),
        }
    }
}

/// What one GraphQL request came to, for the metrics and the log.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub operation: String,
    /// The codes of its errors, in order, repeated as often as they occur.
    pub codes: Vec<String>,
    pub statements: u64,
}

impl Metrics {
    /// Records one GraphQL request.
    pub fn record(&self, outcome: &Outcome, took: Duration) {
        let operation = {
            let mut operations = self
                .operations
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if operations.contains(&outcome.operation) {
                outcome.operation.clone()
            } else if operations.len() < MAX_OPERATIONS {
                operations.insert(outcome.operation.clone());
                outcome.operation.clone()
            } else {
                "other".to_owned()
            }
        };
        let first_code = outcome
            .codes
            .first()
            .cloned()
            .unwrap_or_else(|| "OK".to_owned());
        *self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry((operation.clone(), first_code))
            .or_default() += 1;
        let mut errors = self
            .errors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for code in &outcome.codes {
            *errors.entry((operation.clone(), code.clone())).or_default() += 1;
        }
        drop(errors);
        self.latency.observe(took.as_secs_f64());
        self.statements.observe(outcome.statements as f64);
    }

    /// The Prometheus text: these counters, the pool's connections (`size` open, `idle`
    /// of them idle, `max` allowed) and on a SQLite file where its reads ran.
    pub fn render(&self, pool: Option<(u32, usize, u32)>, reads: Option<SqliteReads>) -> String {
        let mut out = String::new();
        for (name, help, map) in [
            (
                "content_api_requests_total",
                "GraphQL requests by operation and outcome (the first error's code, or OK).",
                &self.requests,
            ),
            (
                "content_api_errors_total",
                "GraphQL errors by operation and code.",
                &self.errors,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let mut rows: Vec<_> = map.iter().collect();
            rows.sort();
            for ((operation, code), count) in rows {
                let _ = writeln!(
                    out,
                    "{name}{{operation=\"{}\",code=\"{code}\"}} {count}",
                    escape(operation)
                );
            }
        }
        self.latency.render(
            &mut out,
            "content_api_request_duration_seconds",
            "GraphQL request latency.",
        );
        self.statements.render(
            &mut out,
            "content_api_statements_per_request",
            "SQL statements run per GraphQL request.",
        );
        let name = "content_api_loads_total";
        let _ = writeln!(
            out,
            "# HELP {name} Relation fields: found loaded ahead by their page, or loaded alone.\n\
             # TYPE {name} counter\n{name}{{found=\"ahead\"}} {}\n{name}{{found=\"alone\"}} {}",
            self.relation_loads.ahead.load(Ordering::Relaxed),
            self.relation_loads.alone.load(Ordering::Relaxed)
        );
        if let Some(reads) = reads {
            let name = "content_api_sqlite_reads_total";
            let _ = writeln!(
                out,
                "# HELP {name} SQLite reads by where they ran: on the request's thread, moved to a \
                 blocking thread past the inline budget, or sent there at once (with a client's filter).\n\
                 # TYPE {name} counter\n{name}{{ran=\"inline\"}} {}\n{name}{{ran=\"moved\"}} {}\n\
                 {name}{{ran=\"off_thread\"}} {}",
                reads.inline, reads.moved, reads.off_thread
            );
        }
        if let Some((size, idle, max)) = pool {
            let name = "content_api_db_pool_connections";
            let _ = writeln!(
                out,
                "# HELP {name} Database pool connections by state.\n# TYPE {name} gauge"
            );
            let in_use = (size as usize).saturating_sub(idle);
            let _ = writeln!(out, "{name}{{state=\"in_use\"}} {in_use}\n{name}{{state=\"idle\"}} {idle}\n{name}{{state=\"max\"}} {max}");
        }
        out
    }
}

/// Where a SQLite file's reads ran (`db::Db::sqlite_reads`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SqliteReads {
    /// On the request's own thread, within the inline budget.
    pub inline: u64,
    /// Started there, stopped at the budget and run again on a blocking thread.
    pub moved: u64,
    /// Sent to a blocking thread at once.
    pub off_thread: u64,
}

/// A label value with `\`, `"` and line breaks escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
