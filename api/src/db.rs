//! Connecting to the database: SQLite (the embedded default) or PostgreSQL, the same code.

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    metric, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    ExecResult, QueryResult, RuntimeErr, Statement,
};
use sea_query_sqlx::SqlxValues;
use sqlx::sqlite::SqliteConnection;

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
    let deadline = current_deadline().map(|request| {
        statement_timeout
            .and_then(|timeout| Instant::now().checked_add(timeout))
            .map_or(request, |statement| statement.min(request))
    });
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
    Ok(db)
}

/// Marks a statement whose best plan depends on the values it is given, written into its SQL
/// as a comment: on PostgreSQL, [`Db`] has such a statement planned for its values at every
/// execution. The filters' text patterns carry it (`service::filter`).
pub const PLAN_FOR_VALUES: &str = "/* plan for values */";

/// What is told of every statement run: sea-orm's metric callback.
pub type OnStatement = Arc<dyn Fn(&metric::Info<'_>) + Send + Sync>;

/// The pool as the server uses it: [`DatabaseConnection`] (which it derefs to), except that
/// on PostgreSQL a statement marked [`PLAN_FOR_VALUES`] is sent unnamed, so that PostgreSQL
/// plans it for its values each time.
///
/// A prepared statement is planned for its values on its first five executions on a
/// connection; after that PostgreSQL may keep one generic plan instead, made without the
/// values. For a filter's text pattern that plan is a poor one: not knowing how few names
/// `%wang%` matches, it tests the pattern once per (article, person) pair rather than once
/// per person, and the filtered list costs twice as much (BENCHMARKS.md, tenth run). An
/// unnamed statement is planned afresh at every execution, at the price of parsing it again
/// and one more round trip; every other statement keeps its cached prepared statement.
#[derive(Clone)]
pub struct Db {
    connection: DatabaseConnection,
    on_statement: Option<OnStatement>,
}

impl Db {
    /// `connection` as it is, its statements told to no one.
    pub fn new(connection: DatabaseConnection) -> Db {
        Db {
            connection,
            on_statement: None,
        }
    }

    /// `connection` with every statement run through it told to `on_statement`, those it
    /// runs itself as well as those it hands to sea-orm (whose metric callback it sets).
    pub fn observed(mut connection: DatabaseConnection, on_statement: OnStatement) -> Db {
        let callback = on_statement.clone();
        connection.set_metric_callback(move |info| callback(info));
        Db {
            connection,
            on_statement: Some(on_statement),
        }
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), DbErr> {
        self.connection.close().await
    }

    /// The PostgreSQL pool, when `statement` is to be planned for its values there.
    fn planned_for_values(&self, statement: &Statement) -> Option<&sqlx::PgPool> {
        (self.connection.get_database_backend() == DbBackend::Postgres
            && statement.sql.contains(PLAN_FOR_VALUES))
        .then(|| self.connection.get_postgres_connection_pool())
    }

    /// Runs `statement` unnamed on `pool` with `run`, telling `on_statement` of it.
    async fn unnamed<'s, T, F>(
        &self,
        statement: &'s Statement,
        run: impl FnOnce(sqlx::query::Query<'s, sqlx::Postgres, SqlxValues>) -> F,
    ) -> Result<T, DbErr>
    where
        F: Future<Output = Result<T, sqlx::Error>>,
    {
        let values = statement
            .values
            .clone()
            .unwrap_or(sea_orm::sea_query::Values(Vec::new()));
        let query = sqlx::query_with(
            sqlx::AssertSqlSafe(statement.sql.as_str()),
            SqlxValues(values),
        )
        .persistent(false);
        let start = Instant::now();
        let result = run(query).await;
        if let Some(on_statement) = &self.on_statement {
            on_statement(&metric::Info {
                elapsed: start.elapsed(),
                statement,
                failed: result.is_err(),
            });
        }
        result.map_err(|error| DbErr::Query(RuntimeErr::SqlxError(error.into())))
    }
}

impl Deref for Db {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        &self.connection
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.connection.get_database_backend()
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        self.connection.execute_raw(statement).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.connection.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self.planned_for_values(&statement) {
            Some(pool) => Ok(self
                .unnamed(&statement, |query| query.fetch_optional(pool))
                .await?
                .map(QueryResult::from)),
            None => self.connection.query_one_raw(statement).await,
        }
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self.planned_for_values(&statement) {
            Some(pool) => Ok(self
                .unnamed(&statement, |query| query.fetch_all(pool))
                .await?
                .into_iter()
                .map(QueryResult::from)
                .collect()),
            None => self.connection.query_all_raw(statement).await,
        }
    }
}
