//! Connecting to the database: SQLite (the embedded default) or PostgreSQL, the same code.

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use sqlx::sqlite::SqliteConnection;

mod planned;
mod raw;
mod readers;
mod rows;

pub use planned::{planned_for_values, Db, OnStatement, PLAN_FOR_VALUES};
pub use raw::{Cell, INLINE_BUDGET};
pub use rows::{Decode, Read, Row, Rows};

/// Whether `error` says the connection it came from is unusable: its link failed (I/O,
/// TLS, SQLite's worker thread gone) or PostgreSQL ended the session (connection
/// exceptions, class 08, and the 57P0x codes: administrator or crash shutdown, cannot
/// connect now, database dropped, idle session timeout). A new connection may well
/// succeed, and a read is safe to repeat. sqlx's protocol errors are not among them: most
/// are the statement's own (too many parameters, a nul byte in SQLite's text).
pub fn connection_unusable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::WorkerCrashed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(database) => database
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
        _ => false,
    }
}

/// The database used when none is configured: a file beside the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://content.db?mode=rwc";

/// The longest one SQL statement of a served request may run before the database stops it,
/// unless configured otherwise (`--statement-timeout-seconds`).
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many SQLite virtual-machine steps run between two looks at the clock: a few
/// microseconds of work, so a statement stops within about a millisecond of its deadline.
const STEPS_BETWEEN_CHECKS: i32 = 10_000;

tokio::task_local! {
    /// When the request being served runs out of time.
    static DEADLINE: Instant;
}

/// Runs `future` (a request, and whatever it spawns with [`current_deadline`] carried over)
/// with its deadline: on SQLite every statement it runs is interrupted when the deadline
/// passes, and [`connect_with`]'s statement timeout applies.
pub async fn within_deadline<F: Future>(deadline: Instant, future: F) -> F::Output {
    DEADLINE.scope(deadline, future).await
}

/// The deadline of the request this task serves, if it serves one.
pub fn current_deadline() -> Option<Instant> {
    DEADLINE.try_with(|deadline| *deadline).ok()
}

/// Whether this task serves a request that has run out of time.
pub fn past_deadline() -> bool {
    current_deadline().is_some_and(|deadline| Instant::now() >= deadline)
}

/// Opens a pool on `url`. An in-memory SQLite database gets exactly one connection that
/// lives as long as the pool (each connection to `:memory:` is its own empty database);
/// a SQLite file is switched to WAL.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, None).await
}

/// As `connect`, for serving: with `statement_timeout` the database stops any statement that
/// runs longer. On PostgreSQL that is the server's own `statement_timeout`, on every
/// statement. On SQLite, which runs in this process, a progress handler stops a statement
/// (with `SQLITE_INTERRUPT`) past its deadline: the sooner of the request's deadline (see
/// [`within_deadline`]) and `statement_timeout` after the connection was taken from the
/// pool, which for a transaction covers the whole transaction. SQLite statements run
/// outside a request (migrations, imports, readiness) have no limit.
pub async fn connect_with(
    url: &str,
    statement_timeout: Option<Duration>,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        // Case-insensitive text filters match with a Unicode-aware REGEXP on SQLite, whose
        // own LIKE folds ASCII letters only.
        .map_sqlx_sqlite_opts(|sqlite| sqlite.with_regexp())
        // Each connection taken from the pool is given its statements' deadline. That replaces
        // sqlx's ping on taking one, which SQLite, in this process, does not need: a
        // connection whose thread is gone fails to give up its handle and is dropped.
        // New connections are not "acquired" in sqlx's sense, so they get it on connecting.
        .map_sqlx_sqlite_pool_opts(move |pool| {
            pool.test_before_acquire(false)
                .before_acquire(move |connection, _| {
                    limit_statements(connection, statement_timeout)
                })
                .after_connect(move |connection, _| {
                    Box::pin(async move {
                        limit_statements(connection, statement_timeout).await?;
                        Ok(())
                    })
                })
        })
        // A runaway statement is cancelled by PostgreSQL itself, whatever the client does.
        .map_sqlx_postgres_opts(move |postgres| match statement_timeout {
            Some(timeout) => {
                postgres.options([("statement_timeout", format!("{}ms", timeout.as_millis()))])
            }
            None => postgres,
        })
        // PostgreSQL: a connection is checked with a round trip only when it has been idle a
        // while (one left broken by an outage is found and replaced then), not before every
        // statement as sqlx does by default. SQLite is not pinged at all (below).
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
    let in_memory = is_in_memory(url);
    if in_memory {
        options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(Duration::from_secs(365 * 24 * 3600))
            .max_lifetime(Duration::from_secs(365 * 24 * 3600));
    } else if url.starts_with("sqlite") {
        options.max_connections(sqlite_pool_size());
    } else {
        options.max_connections(16);
    }
    if statement_timeout.is_some() && !url.starts_with("sqlite") {
        // Serving: when the database server is gone, requests fail fast rather than queue.
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

/// Installs (or removes) the progress handler that interrupts the statements of the request
/// this task serves at their deadline; see [`connect_with`]. A connection still inside a
/// transaction is refused (the pool closes it): an interrupted write rolls its transaction
/// back inside SQLite, and sqlx's own count of open transactions is then out of step.
fn limit_statements(
    connection: &mut SqliteConnection,
    statement_timeout: Option<Duration>,
) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
    if sqlx::Connection::is_in_transaction(connection) {
        return Box::pin(async { Ok(false) });
    }
    let deadline = statement_deadline(statement_timeout);
    Box::pin(async move {
        let mut handle = connection.lock_handle().await?;
        match deadline {
            Some(deadline) => {
                handle.set_progress_handler(STEPS_BETWEEN_CHECKS, move || Instant::now() < deadline)
            }
            None => handle.remove_progress_handler(),
        }
        Ok(true)
    })
}

/// Whether `url` names an in-memory SQLite database, which each connection to it has of its
/// own.
fn is_in_memory(url: &str) -> bool {
    url.starts_with("sqlite") && (url.contains(":memory:") || url.contains("mode=memory"))
}

/// When a statement taken up now stops: the sooner of the deadline of the request this task
/// serves and `statement_timeout` from now; none outside a request.
fn statement_deadline(statement_timeout: Option<Duration>) -> Option<Instant> {
    current_deadline().map(|request| {
        statement_timeout
            .and_then(|timeout| Instant::now().checked_add(timeout))
            .map_or(request, |statement| statement.min(request))
    })
}

/// How many connections a pool on a SQLite file opens at most: SQLite runs in this process,
/// so more than twice the cores only add threads and memory (each sorts and caches on its
/// own), not throughput. A server has two such pools, both opening connections only as they
/// are needed: its readers (see [`Db::with_own_readers`]), which run nearly every statement,
/// and the main pool, left with writes, transactions and readiness checks.
fn sqlite_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |cores| cores.get());
    u32::try_from(cores * 2).unwrap_or(16).clamp(4, 16)
}

/// Opens a pool on `url` and brings the schema up to date.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_and_migrate_with(url, None).await
}

/// As `connect_and_migrate`, the pool opened by [`connect_with`].
pub async fn connect_and_migrate_with(
    url: &str,
    statement_timeout: Option<Duration>,
) -> Result<DatabaseConnection, DbErr> {
    let db = connect_with(url, statement_timeout).await?;
    Migrator::up(&db, None).await?;
    if db.get_database_backend() == DbBackend::Sqlite && !is_in_memory(url) {
        // The pool is opened anew: a SQLite connection of it that still held a statement
        // from before the migrations (sqlx resets a statement only when it next runs one)
        // keeps its read transaction's snapshot, and with it the old schema, so the next
        // statement it prepares would not find the new tables ("no such table").
        db.close().await?;
        return connect_with(url, statement_timeout).await;
    }
    Ok(db)
}
