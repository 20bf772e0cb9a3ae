//! The pool as the server reads through it: PostgreSQL plans statements that carry a
//! client's values for those values, every time.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::sea_query::Expr;
use sea_orm::{
    metric, ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult,
    QueryResult, RuntimeErr, Statement,
};
use sea_query_sqlx::SqlxValues;
use sqlx::pool::PoolConnection;
use sqlx::Postgres;

use super::raw::Raw;
use super::readers::{Backend, Readers};
use super::rows::{Read, Rows};

/// Marks a statement whose best plan depends on the values it is given, written into its SQL
/// as a comment: on PostgreSQL, [`Db`] has such a statement planned for its values at every
/// execution. Every statement with a client's filter carries it (`service::filter`), and every
/// search (`service::search`).
pub const PLAN_FOR_VALUES: &str = "/* plan for values */";

/// A condition that is always true and marks its statement [`PLAN_FOR_VALUES`].
pub fn planned_for_values() -> Expr {
    Expr::cust(format!("TRUE {PLAN_FOR_VALUES}"))
}

/// What is told of every statement run: sea-orm's metric callback.
pub type OnStatement = Arc<dyn Fn(&metric::Info<'_>) + Send + Sync>;

/// The pool as the server reads through it ([`ConnectionTrait`]): the statements go to
/// sea-orm's [`DatabaseConnection`], except that on PostgreSQL one marked
/// [`PLAN_FOR_VALUES`] is sent unnamed, so that PostgreSQL plans it for its values each time.
///
/// A prepared statement is planned for its values on its first five executions on a
/// connection; after that PostgreSQL may keep one generic plan instead, made without the
/// values. For a filter that plan can be a poor one: not knowing how few names `%wang%`
/// matches, it tests the pattern once per (article, person) pair rather than once per
/// person, and the filtered list costs twice as much (BENCHMARKS.md, tenth and eleventh
/// runs; a tag and a year, nine times as much). An unnamed statement is planned afresh at
/// every execution, at the price of parsing it again and one more round trip; every other
/// statement stays a cached prepared statement.
///
/// Only statements run through this handle are: [`Db::connection`] (for transactions and
/// writes) runs every statement prepared and kept.
///
/// The handle can read on connections of its own ([`Db::with_own_readers`]).
#[derive(Clone)]
pub struct Db {
    connection: DatabaseConnection,
    on_statement: Option<OnStatement>,
    readers: Option<OwnReaders>,
    /// On a SQLite file, the readers the service layer's reads ([`Read`]) run on.
    raw: Option<Arc<Raw>>,
}

/// The readers of a [`Db`], on its database.
#[derive(Clone)]
enum OwnReaders {
    Sqlite(Arc<Readers<sqlx::Sqlite>>),
    Postgres(Arc<Readers<Postgres>>),
}

impl OwnReaders {
    /// Readers open, idle of them, and the most allowed.
    fn usage(&self) -> (u32, usize, u32) {
        match self {
            OwnReaders::Sqlite(readers) => readers.usage(),
            OwnReaders::Postgres(readers) => readers.usage(),
        }
    }

    /// Closes the readers.
    async fn close(&self) {
        match self {
            OwnReaders::Sqlite(readers) => readers.close().await,
            OwnReaders::Postgres(readers) => readers.close().await,
        }
    }
}

impl Db {
    /// `connection` as it is: the statements this handle runs itself are told to no one,
    /// those it hands to sea-orm to `connection`'s metric callback if it has one.
    pub fn new(connection: DatabaseConnection) -> Db {
        Db {
            connection,
            on_statement: None,
            readers: None,
            raw: None,
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
            readers: None,
            raw: None,
        }
    }

    /// The statements run through this handle go to a pool of connections of its own (the
    /// readers) on the database of `url` (this handle's pool's), as many as the pool's, each
    /// waited for, opened or checked within the pool's acquire timeout; they stop at their
    /// deadline as [`super::connect_with`] describes
    /// with `statement_timeout`. An in-memory SQLite database (which each connection has of
    /// its own) is left to the pool.
    ///
    /// sqlx's pool sends every connection given back a ping, a round trip to the database
    /// (on SQLite to the connection's thread), and on SQLite the pool's connections are given
    /// their statements' deadline each time one is taken, another round trip, because sqlx's
    /// pool cannot tell one connection from another. Readers cost neither: a SQLite reader's
    /// progress handler reads the deadline from a slot of its own, and a reader is pinged only
    /// on PostgreSQL when taken a second or more after it was last taken, or on either
    /// database once another reader has turned out unusable. The SQLite pages cost 16–30%
    /// less CPU (BENCHMARKS.md, twelfth run). Writes and transactions stay on the pool, and
    /// reads are told to this handle's `on_statement` only (not to the pool's metric
    /// callback).
    pub fn with_own_readers(
        mut self,
        url: &str,
        statement_timeout: Option<Duration>,
    ) -> Result<Db, DbErr> {
        /// Readers sized and timed as `pool`.
        fn like<DB: Backend>(
            pool: &sqlx::Pool<DB>,
            url: &str,
            statement_timeout: Option<Duration>,
        ) -> Result<Arc<Readers<DB>>, DbErr> {
            let options = pool.options();
            Readers::new(
                url,
                usize::try_from(options.get_max_connections()).unwrap_or(usize::MAX),
                options.get_acquire_timeout(),
                statement_timeout,
            )
            .map(Arc::new)
        }
        self.readers = match self.connection.get_database_backend() {
            DbBackend::Sqlite if !super::is_in_memory(url) => {
                let pool = self.connection.get_sqlite_connection_pool();
                let options = pool.options();
                let size = usize::try_from(options.get_max_connections()).unwrap_or(1);
                let raw = Raw::new(url, size, options.get_acquire_timeout(), statement_timeout)?;
                self.raw = Some(Arc::new(raw));
                Some(OwnReaders::Sqlite(like(pool, url, statement_timeout)?))
            }
            DbBackend::Postgres => Some(OwnReaders::Postgres(like(
                self.connection.get_postgres_connection_pool(),
                url,
                statement_timeout,
            )?)),
            _ => None,
        };
        Ok(self)
    }

    /// The connections open to read, idle of them, and the most allowed: the pool's, and the
    /// readers' with them.
    pub fn pool_use(&self) -> Option<(u32, usize, u32)> {
        let pool = match self.connection.get_database_backend() {
            DbBackend::Postgres => usage(self.connection.get_postgres_connection_pool()),
            DbBackend::Sqlite => usage(self.connection.get_sqlite_connection_pool()),
            _ => return None,
        };
        let (open, idle, most) = self.readers.as_ref().map_or((0, 0, 0), OwnReaders::usage);
        let (raw_open, raw_idle, raw_most) = self.raw.as_ref().map_or((0, 0, 0), |raw| raw.usage());
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Some((
            pool.0 + open + count(raw_open),
            pool.1 + idle + raw_idle,
            pool.2 + most + count(raw_most),
        ))
    }

    /// On a SQLite file, how long a read may run on the thread that asks for it (see
    /// `db::raw`; [`super::INLINE_BUDGET`] unless set); zero sends every read to a blocking
    /// thread.
    #[must_use]
    pub fn with_inline_budget(self, budget: Duration) -> Db {
        if let Some(raw) = &self.raw {
            raw.set_budget(budget);
        }
        self
    }

    /// On a SQLite file, where its reads ran ([`Read`]; see `db::raw`).
    pub fn sqlite_reads(&self) -> Option<crate::metrics::SqliteReads> {
        self.raw.as_ref().map(|raw| raw.counts())
    }

    /// The pool itself, for transactions, writes and what else needs a [`DatabaseConnection`].
    pub fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }

    /// Closes the pool and the readers.
    pub async fn close(self) -> Result<(), DbErr> {
        if let Some(readers) = &self.readers {
            readers.close().await;
        }
        if let Some(raw) = &self.raw {
            raw.close();
        }
        self.connection.close().await
    }

    /// Whether `statement` is to be planned for its values: marked, on PostgreSQL.
    fn is_planned_for_values(&self, statement: &Statement) -> bool {
        self.connection.get_database_backend() == DbBackend::Postgres
            && statement.sql.contains(PLAN_FOR_VALUES)
    }

    /// A connection of sea-orm's PostgreSQL pool. One that cannot be had fails as on
    /// sea-orm's own path.
    async fn postgres_connection(&self) -> Result<PoolConnection<Postgres>, DbErr> {
        let pool = self.connection.get_postgres_connection_pool();
        match pool.acquire().await {
            Ok(connection) => Ok(connection),
            Err(sqlx::Error::PoolTimedOut) => {
                Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))
            }
            Err(sqlx::Error::PoolClosed) => {
                Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))
            }
            Err(error) => Err(DbErr::Conn(RuntimeErr::SqlxError(error.into()))),
        }
    }

    /// Tells `on_statement` of `statement`, run from `start`.
    fn tell(&self, statement: &Statement, start: Instant, failed: bool) {
        if let Some(on_statement) = &self.on_statement {
            on_statement(&metric::Info {
                elapsed: start.elapsed(),
                statement,
                failed,
            });
        }
    }

    /// Runs `statement` with `run` (kept prepared on its connection if `persistent`), telling
    /// `on_statement` of it.
    async fn run<'s, DB, T, F>(
        &self,
        statement: &'s Statement,
        persistent: bool,
        run: impl FnOnce(sqlx::query::Query<'s, DB, SqlxValues>) -> F,
    ) -> Result<T, sqlx::Error>
    where
        DB: sqlx::Database + sqlx::database::HasStatementCache,
        SqlxValues: sqlx::IntoArguments<DB>,
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
        .persistent(persistent);
        let start = Instant::now();
        let result = run(query).await;
        self.tell(statement, start, result.is_err());
        result
    }

    /// The rows `statement` selects (at most one for [`Fetch::One`]): on a reader of this
    /// handle's own, else on a PostgreSQL connection when it is planned for its values, else
    /// through sea-orm's pool. On PostgreSQL a statement marked [`PLAN_FOR_VALUES`] is sent
    /// unnamed on either.
    async fn fetch(&self, statement: Statement, fetch: Fetch) -> Result<Vec<QueryResult>, DbErr> {
        match &self.readers {
            Some(OwnReaders::Sqlite(readers)) => {
                return self.read(readers, &statement, true, fetch).await
            }
            Some(OwnReaders::Postgres(readers)) => {
                let persistent = !statement.sql.contains(PLAN_FOR_VALUES);
                return self.read(readers, &statement, persistent, fetch).await;
            }
            None => {}
        }
        if self.is_planned_for_values(&statement) {
            // Boxed: sqlx's `acquire` future is some 14 KiB, and inline it made every read's
            // future that large, copied whole into the box `async_trait` makes of each one.
            let mut connection = Box::pin(self.postgres_connection()).await?;
            return Ok(self
                .run(&statement, false, |query| {
                    rows::<Postgres>(query, &mut *connection, fetch)
                })
                .await
                .map_err(query_error)?
                .into_iter()
                .map(QueryResult::from)
                .collect());
        }
        match fetch {
            Fetch::One => Ok(self
                .connection
                .query_one_raw(statement)
                .await?
                .into_iter()
                .collect()),
            Fetch::All => self.connection.query_all_raw(statement).await,
        }
    }

    /// The rows `statement` selects, run on a reader taken from `readers`. A read whose
    /// reader turns out unusable (its link broke, or PostgreSQL ended its session, as when
    /// the database restarted) runs once more, unless its request is past its deadline: a
    /// read is safe to repeat, and a reader taken within a second of its last use is not
    /// pinged first. Every such failure marks the other readers suspect, so the second try
    /// runs on one that answers a ping. A second failure is the answer (the database is then
    /// most likely down). Both tries are told to `on_statement`, the first as failed.
    async fn read<DB>(
        &self,
        readers: &Readers<DB>,
        statement: &Statement,
        persistent: bool,
        fetch: Fetch,
    ) -> Result<Vec<QueryResult>, DbErr>
    where
        DB: Backend,
        SqlxValues: sqlx::IntoArguments<DB>,
        for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
        QueryResult: From<DB::Row>,
    {
        let mut again = true;
        loop {
            let mut reader = readers.take().await?;
            let connection = reader.connection()?;
            let result = self
                .run(statement, persistent, |query| {
                    rows::<DB>(query, connection, fetch)
                })
                .await;
            match result {
                Ok(rows) => {
                    reader.finished();
                    return Ok(rows.into_iter().map(QueryResult::from).collect());
                }
                Err(error) if super::connection_unusable(&error) => {
                    readers.suspect();
                    if !again || super::past_deadline() {
                        return Err(reader.failed(error));
                    }
                    tracing::warn!(%error, "a read found its connection unusable; reading again");
                    drop(reader.failed(error));
                    again = false;
                }
                Err(error) => return Err(reader.failed(error)),
            }
        }
    }
}

/// How many rows a read wants: the first only, or all.
#[derive(Clone, Copy)]
enum Fetch {
    One,
    All,
}

/// The rows `query` selects on `connection`, at most one for [`Fetch::One`].
async fn rows<'q, DB>(
    query: sqlx::query::Query<'q, DB, SqlxValues>,
    connection: &mut DB::Connection,
    fetch: Fetch,
) -> Result<Vec<DB::Row>, sqlx::Error>
where
    DB: sqlx::Database,
    SqlxValues: sqlx::IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    match fetch {
        Fetch::One => Ok(query
            .fetch_optional(connection)
            .await?
            .into_iter()
            .collect()),
        Fetch::All => query.fetch_all(connection).await,
    }
}

/// A pool's connections: open, idle of them, and the most allowed.
fn usage<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) -> (u32, usize, u32) {
    (
        pool.size(),
        pool.num_idle(),
        pool.options().get_max_connections(),
    )
}

/// A failed statement as sea-orm reports one.
pub(super) fn query_error(error: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(error)))
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

impl Read for Db {
    /// On a SQLite file, reads on the raw readers; elsewhere as [`ConnectionTrait`] reads.
    fn read<S: sea_orm::StatementBuilder>(
        &self,
        query: &S,
    ) -> impl Future<Output = Result<Rows, DbErr>> + Send {
        let statement = self.get_database_backend().build(query);
        async move {
            match &self.raw {
                Some(raw) => {
                    let start = Instant::now();
                    let result = raw.read(&statement).await;
                    self.tell(&statement, start, result.is_err());
                    Ok(Rows::Raw(result?))
                }
                None => Ok(Rows::Sea(self.fetch(statement, Fetch::All).await?)),
            }
        }
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
        Ok(self.fetch(statement, Fetch::One).await?.pop())
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.fetch(statement, Fetch::All).await
    }
}
