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
            workers: Some(2),
            database: DatabaseArgs {
                database_url: database_url.to_owned(),
            },
        }
    }
}
