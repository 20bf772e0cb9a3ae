//! One `Config` for serving: command-line flags, then environment variables, then defaults
//! (clap reads all three, in that order).

use clap::Args;

use crate::db::DEFAULT_DATABASE_URL;

/// Where the database is; every command takes it.
#[derive(Args, Clone, Debug)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE?mode=rwc`, `sqlite::memory:` or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
}

/// How `serve` runs.
#[derive(Args, Clone, Debug)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "CONTENT_API_BIND", default_value = "127.0.0.1:8000")]
    pub bind: String,
    /// Import the bundled sample content before serving (idempotent).
    #[arg(long, env = "CONTENT_API_SAMPLE_DATA")]
    pub sample_data: bool,
    /// How deep filter arguments may nest (`and`/`or`/`not` and relations each count).
    #[arg(long, env = "CONTENT_API_MAX_FILTER_DEPTH", default_value_t = crate::service::filter::DEFAULT_MAX_DEPTH)]
    pub max_filter_depth: usize,
    /// The most a query may cost: its fields, each connection's selection counted once per
    /// row of its page (`first`/`last`, else 20).
    #[arg(long, env = "CONTENT_API_MAX_COST", default_value_t = 5_000)]
    pub max_cost: u64,
    /// The most aliases a query may use.
    #[arg(long, env = "CONTENT_API_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: u64,
    /// The most lexical tokens a query document may have.
    #[arg(long, env = "CONTENT_API_MAX_TOKENS", default_value_t = 15_000)]
    pub max_tokens: usize,
    /// The most directives on one field.
    #[arg(long, env = "CONTENT_API_MAX_DIRECTIVES", default_value_t = 10)]
    pub max_directives: usize,
    /// The largest request body, in bytes (413 beyond it).
    #[arg(long, env = "CONTENT_API_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// How long one request may run, in seconds, before it is answered with
    /// `SERVICE_UNAVAILABLE`. On SQLite the statement running then is interrupted.
    #[arg(long, env = "CONTENT_API_REQUEST_TIMEOUT", default_value_t = 10.0)]
    pub request_timeout_seconds: f64,
    /// How long one SQL statement of a request may run, in seconds, before the database
    /// stops it (`SERVICE_UNAVAILABLE`): PostgreSQL's `statement_timeout`; on SQLite it
    /// counts from when the statement (or transaction) took its connection.
    #[arg(long, env = "CONTENT_API_STATEMENT_TIMEOUT", default_value_t = 10.0)]
    pub statement_timeout_seconds: f64,
    /// On a SQLite file, how many milliseconds a read may run on the HTTP worker that asks
    /// for it before it is stopped and run again on a blocking thread (fractions allowed);
    /// 0 runs every read on a blocking thread.
    #[arg(long, env = "CONTENT_API_SQLITE_INLINE_MS", default_value_t = 2.0)]
    pub sqlite_inline_ms: f64,
    /// `Cache-Control: public, max-age=N` on anonymous query answers, in seconds; 0 turns it
    /// off. Authenticated requests and mutations are always `private, no-store`.
    #[arg(long, env = "CONTENT_API_CACHE_MAX_AGE", default_value_t = 60)]
    pub cache_max_age: u64,
    /// An origin whose browser pages may call the API (`https://news.example`); repeat the
    /// flag for more, or give a comma-separated list in the environment. None by default.
    #[arg(
        long = "cors-origin",
        env = "CONTENT_API_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// On SIGTERM or Ctrl-C, how many seconds to keep serving with `/ready` at 503 before
    /// no longer accepting connections (time for a load balancer to notice).
    #[arg(long, env = "CONTENT_API_DRAIN_DELAY", default_value_t = 0)]
    pub drain_delay_seconds: u64,
    /// On SIGTERM or Ctrl-C, how many seconds requests in flight get to finish.
    #[arg(long, env = "CONTENT_API_SHUTDOWN_GRACE", default_value_t = 30)]
    pub shutdown_grace_seconds: u64,
    /// Requests slower than this many milliseconds are logged with their query.
    #[arg(long, env = "CONTENT_API_SLOW_REQUEST_MS", default_value_t = 1_000)]
    pub slow_request_ms: u64,
    /// Accept batches (a JSON array of requests) of at most this many, 10 at the most;
    /// 0, the default, refuses batches.
    #[arg(long, env = "CONTENT_API_MAX_BATCH", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=10))]
    pub max_batch: u64,
    /// Turn introspection off (and field suggestions in error messages with it).
    #[arg(long, env = "CONTENT_API_NO_INTROSPECTION")]
    pub no_introspection: bool,
    /// Refuse anonymous requests, reads included: every request needs a token.
    #[arg(long, env = "CONTENT_API_REQUIRE_AUTH")]
    pub require_auth: bool,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "CONTENT_API_WORKERS")]
    pub workers: Option<usize>,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

impl Config {
    /// A config for `database_url` on a random local port, as tests use it.
    pub fn for_tests(database_url: &str) -> Config {
        Config {
            bind: "127.0.0.1:0".to_owned(),
            sample_data: false,
            max_filter_depth: crate::service::filter::DEFAULT_MAX_DEPTH,
            require_auth: false,
            max_cost: 5_000,
            max_aliases: 30,
            max_tokens: 15_000,
            max_directives: 10,
            no_introspection: false,
            max_body_bytes: 1024 * 1024,
            request_timeout_seconds: 10.0,
            statement_timeout_seconds: 10.0,
            sqlite_inline_ms: 2.0,
            cache_max_age: 60,
            cors_origins: Vec::new(),
            max_batch: 0,
            slow_request_ms: 1_000,
            shutdown_grace_seconds: 5,
            drain_delay_seconds: 0,
            workers: Some(2),
            database: DatabaseArgs {
                database_url: database_url.to_owned(),
            },
        }
    }
}

impl Config {
    /// How long one request may run.
    pub fn request_timeout(&self) -> std::time::Duration {
        seconds(self.request_timeout_seconds)
    }

    /// How long one SQL statement of a request may run.
    pub fn statement_timeout(&self) -> std::time::Duration {
        seconds(self.statement_timeout_seconds)
    }

    /// How long a SQLite read may run on the asking HTTP worker (at most a minute).
    pub fn sqlite_inline_budget(&self) -> std::time::Duration {
        std::time::Duration::try_from_secs_f64(self.sqlite_inline_ms.clamp(0.0, 60_000.0) / 1e3)
            .unwrap_or(crate::db::INLINE_BUDGET)
    }

    /// The query limits this config sets.
    pub fn limits(&self) -> crate::graphql::Limits {
        crate::graphql::Limits {
            max_cost: self.max_cost,
            max_aliases: self.max_aliases,
            max_tokens: self.max_tokens,
            max_directives: self.max_directives,
            introspection: !self.no_introspection,
        }
    }
}

/// A time limit given in seconds: fractions allowed (tests use a millisecond), at least a
/// millisecond, at most a day (PostgreSQL refuses a `statement_timeout` past about 24 days).
fn seconds(value: f64) -> std::time::Duration {
    const DAY: f64 = 24.0 * 3600.0;
    std::time::Duration::try_from_secs_f64(value.clamp(0.001, DAY))
        .unwrap_or(crate::db::STATEMENT_TIMEOUT)
}
