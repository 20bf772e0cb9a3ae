//! Start-up: connect, migrate, load sample data when asked, build the schema once, bind
//! (port 0 works) and serve until stopped.

use std::net::TcpListener;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use sea_orm::DbErr;

use crate::config::Config;
use crate::db::Db;
use crate::graphql::build_schema_with;
use crate::routes::{configure, AppState};
use crate::service::import::{import_sample_data, ImportError};
use crate::service::token::Authenticator;

/// Cross-origin requests from the allowed origins only; preflights answered for them.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::ACCEPT,
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::IF_NONE_MATCH,
            actix_web::http::header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            actix_web::http::header::ETAG,
            actix_web::http::header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Waits for SIGTERM or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
        match terminate {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// How many queries Automatic Persisted Queries remembers (the least recently used go).
const PERSISTED_QUERIES: usize = 1_000;

/// How many query texts' parses are kept (the least recently used go); the texts are also
/// bounded in bytes (see `documents`).
const PARSED_DOCUMENTS: usize = 256;

/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open or migrate the database: {0}")]
    Database(#[from] DbErr),
    #[error("cannot import the sample data: {0}")]
    SampleData(#[from] ImportError),
    #[error("{0}")]
    Config(String),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    draining: Arc<AtomicBool>,
}

impl Application {
    /// Connects to the configured database, migrates it and binds. On PostgreSQL the serving
    /// pool is a second one whose statements time out (migrations may take longer).
    pub async fn build(config: &Config) -> Result<Application, StartupError> {
        let url = &config.database.database_url;
        let timeout = Some(config.statement_timeout());
        let db = if url.starts_with("sqlite") {
            // One pool: SQLite limits statements only inside requests, so not migrations (and
            // an in-memory database would not outlive its pool).
            crate::db::connect_and_migrate_with(url, timeout).await?
        } else {
            crate::db::connect_and_migrate(url).await?.close().await?;
            crate::db::connect_with(url, timeout).await?
        };
        // Statements count against the request that ran them (`/metrics`). The server reads
        // on connections of its own (see `Db::with_own_readers`).
        let db = Db::observed(db, Arc::new(|_| crate::metrics::count_statement()))
            .with_own_readers(url, timeout)?;
        Application::build_with_database(config, db).await
    }

    /// Binds over an already connected and migrated database (tests hand theirs in).
    pub async fn build_with_database(config: &Config, db: Db) -> Result<Application, StartupError> {
        let db = db.with_inline_budget(config.sqlite_inline_budget());
        if config.sample_data {
            let summary = import_sample_data(db.connection()).await?;
            tracing::info!(
                created = summary.created,
                updated = summary.updated,
                unchanged = summary.unchanged,
                "sample data imported"
            );
        }
        let listener = TcpListener::bind(&config.bind).map_err(|source| StartupError::Bind {
            address: config.bind.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map(|address| address.port())
            .unwrap_or(0);
        let limits = config.limits();
        let draining = Arc::new(AtomicBool::new(false));
        let served_db = db.clone();
        let state = web::Data::new(AppState {
            draining: draining.clone(),
            max_batch: usize::try_from(config.max_batch).unwrap_or(0).min(10),
            schema: build_schema_with(limits),
            limits,
            db,
            max_filter_depth: config.max_filter_depth,
            require_auth: config.require_auth,
            authenticator: Authenticator::default(),
            request_timeout: config.request_timeout(),
            cache_max_age: config.cache_max_age,
            persisted: crate::apq::PersistedQueries::new(PERSISTED_QUERIES),
            documents: crate::documents::Documents::new(PARSED_DOCUMENTS),
            metrics: crate::metrics::Metrics::default(),
            slow_request: std::time::Duration::from_millis(config.slow_request_ms),
        });
        if let Some(bad) = config.cors_origins.iter().find(|origin| {
            !(origin.starts_with("http://") || origin.starts_with("https://"))
                || origin.contains('*')
                || origin.ends_with('/')
                || actix_web::http::header::HeaderValue::from_str(origin).is_err()
        }) {
            return Err(StartupError::Config(format!(
                "--cors-origin {bad:?} is not an origin like https://news.example (no path, no wildcard)"
            )));
        }
        let body_limit = config.max_body_bytes;
        let origins = config.cors_origins.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::Compress::default())
                .wrap(actix_web::middleware::from_fn(crate::routes::request_log))
                .wrap(middleware::Condition::new(
                    !origins.is_empty(),
                    cors(&origins),
                ))
                .app_data(state.clone())
                // Counted as the bytes arrive, chunked bodies too: over it is a 413.
                .app_data(web::PayloadConfig::new(body_limit))
                .configure(configure)
        })
        .client_request_timeout(HEADER_TIMEOUT)
        .shutdown_timeout(config.shutdown_grace_seconds)
        // Signals are handled by `run_until_signalled`, which marks the server as draining.
        .disable_signals();
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        let server = server
            .listen(listener)
            .map_err(|source| StartupError::Bind {
                address: config.bind.clone(),
                source,
            })?
            .run();
        Ok(Application {
            port,
            server,
            db: served_db,
            draining,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped through its handle.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGTERM or Ctrl-C, then drains: stops accepting connections, lets the
    /// requests in flight finish (up to `grace`; `/ready` answers 503 meanwhile), closes the
    /// database pool and returns.
    ///
    /// With a `delay`, the server first keeps serving for that long with `/ready` at 503, so
    /// that a load balancer stops sending it requests before it stops accepting them.
    pub async fn run_until_signalled(
        self,
        delay: std::time::Duration,
        grace: std::time::Duration,
    ) -> std::io::Result<()> {
        let handle = self.server.handle();
        let draining = self.draining.clone();
        tokio::spawn(async move {
            stop_signal().await;
            draining.store(true, Ordering::SeqCst);
            if !delay.is_zero() {
                tracing::info!(
                    delay_seconds = delay.as_secs(),
                    "stopping: /ready is 503, still serving"
                );
                tokio::time::sleep(delay).await;
            }
            tracing::info!(
                grace_seconds = grace.as_secs(),
                "stopping: finishing requests in flight"
            );
            handle.stop(true).await;
        });
        let served = self.server.await;
        if let Err(error) = self.db.close().await {
            tracing::warn!(%error, "closing the database pool");
        }
        tracing::info!("stopped");
        served
    }
}
