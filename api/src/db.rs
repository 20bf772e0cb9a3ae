//! Connecting to the database: SQLite (the embedded default) or PostgreSQL, the same code.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

/// The database used when none is configured: a file beside the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://content.db?mode=rwc";

/// The longest one SQL statement of a served request may run on PostgreSQL before the
/// database cancels it.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens a pool on `url`. An in-memory SQLite database gets exactly one connection that
/// lives as long as the pool (each connection to `:memory:` is its own empty database);
/// a SQLite file is switched to WAL.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, None).await
}

/// As `connect`; on PostgreSQL, with `statement_timeout` the database cancels any statement
/// that runs longer.
pub async fn connect_with(
    url: &str,
    statement_timeout: Option<Duration>,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        // Case-insensitive text filters match with a Unicode-aware REGEXP on SQLite, whose
        // own LIKE folds ASCII letters only.
        .map_sqlx_sqlite_opts(|sqlite| sqlite.with_regexp())
        // A runaway statement is cancelled by PostgreSQL itself, whatever the client does.
        .map_sqlx_postgres_opts(move |postgres| match statement_timeout {
            Some(timeout) => {
                postgres.options([("statement_timeout", format!("{}ms", timeout.as_millis()))])
            }
            None => postgres,
        })
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
    let in_memory = url.starts_with("sqlite") && url.contains(":memory:");
    if in_memory {
        options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(Duration::from_secs(365 * 24 * 3600))
            .max_lifetime(Duration::from_secs(365 * 24 * 3600));
    } else if url.starts_with("sqlite") {
        // SQLite runs in this process: more connections than twice the cores only add
        // threads and memory (each sorts and caches on its own), not throughput.
        let cores = std::thread::available_parallelism().map_or(2, |cores| cores.get());
        let connections = u32::try_from(cores * 2).unwrap_or(16).clamp(4, 16);
        options.max_connections(connections);
    } else {
        options.max_connections(16);
    }
    if statement_timeout.is_some() {
        // Serving: when the database is gone, requests fail fast rather than queue.
        options
            .connect_timeout(Duration::from_secs(2))
            .acquire_timeout(Duration::from_secs(2));
    }
    let db = Database::connect(options).await?;
    // sqlx turns foreign keys on for every SQLite connection and sets a 5 s busy timeout;
    // WAL is a property of the file, so setting it once is enough.
    if db.get_database_backend() == DbBackend::Sqlite && !in_memory {
        db.execute_unprepared("PRAGMA journal_mode = WAL").await?;
    }
    Ok(db)
}

/// Opens a pool on `url` and brings the schema up to date.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}
