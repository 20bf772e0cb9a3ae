//! Reads on connections of the server's own, which sqlx's pool would cost round trips that
//! these do not: sqlx pings every connection given back, and on SQLite installs each
//! statement's deadline with a round trip to the connection's thread. A SQLite reader keeps
//! its statements' deadline where its progress handler reads it; a PostgreSQL reader has its
//! `statement_timeout` from the server and is pinged only after a second idle.

use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, Object, Pool, PoolError, RecycleError, RecycleResult};
use deadpool::Runtime;
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};
use sqlx::postgres::{PgConnectOptions, Postgres};
use sqlx::sqlite::{Sqlite, SqliteConnectOptions};
use sqlx::{ConnectOptions, Connection};

use super::{statement_deadline, STEPS_BETWEEN_CHECKS};

/// The instant deadlines are counted from.
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

/// A deadline slot's value when its statements have none.
const NO_DEADLINE: u64 = u64::MAX;

/// How long a PostgreSQL reader may have been idle and still be taken without a ping, as the
/// main pool does (`test_before_acquire_if_idle_for`): one left broken by an outage is found
/// and replaced then.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// `instant` in nanoseconds from [`EPOCH`].
fn since_epoch(instant: Instant) -> u64 {
    u64::try_from(instant.saturating_duration_since(*EPOCH).as_nanos()).unwrap_or(NO_DEADLINE - 1)
}

/// A database readers can be opened on.
pub(super) trait Backend: sqlx::Database + sqlx::database::HasStatementCache {
    /// How its connections are opened.
    type Options: ConnectOptions<Connection = Self::Connection>;

    /// The options of `url` for readers; on PostgreSQL with `statement_timeout`.
    fn options(
        url: &str,
        statement_timeout: Option<Duration>,
    ) -> Result<Self::Options, sqlx::Error>;

    /// Prepares a newly opened connection to stop its statements at the deadline in `slot`.
    fn limit(
        connection: &mut Self::Connection,
        slot: Arc<AtomicU64>,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Whether a reader idle for `idle` is pinged before it is taken again.
    fn ping_after(idle: Duration) -> bool;
}

impl Backend for Sqlite {
    type Options = SqliteConnectOptions;

    fn options(url: &str, _: Option<Duration>) -> Result<SqliteConnectOptions, sqlx::Error> {
        Ok(SqliteConnectOptions::from_str(url)?
            .with_regexp()
            .disable_statement_logging())
    }

    /// Installs the progress handler, once: it reads the deadline from `slot`, which the async
    /// side fills before each statement without waiting on the connection's thread.
    async fn limit(
        connection: &mut sqlx::SqliteConnection,
        slot: Arc<AtomicU64>,
    ) -> Result<(), sqlx::Error> {
        connection
            .lock_handle()
            .await?
            .set_progress_handler(STEPS_BETWEEN_CHECKS, move || {
                let deadline = slot.load(Ordering::Relaxed);
                deadline == NO_DEADLINE || since_epoch(Instant::now()) < deadline
            });
        Ok(())
    }

    /// Never: SQLite runs in this process, so there is no link to test, and a reader whose
    /// thread is gone is dropped when it fails (see [`Readers::failed`]).
    fn ping_after(_: Duration) -> bool {
        false
    }
}

impl Backend for Postgres {
    type Options = PgConnectOptions;

    fn options(
        url: &str,
        statement_timeout: Option<Duration>,
    ) -> Result<PgConnectOptions, sqlx::Error> {
        let options = PgConnectOptions::from_str(url)?.disable_statement_logging();
        Ok(match statement_timeout {
            Some(timeout) => {
                options.options([("statement_timeout", format!("{}ms", timeout.as_millis()))])
            }
            None => options,
        })
    }

    /// Nothing: PostgreSQL stops a statement itself, at its `statement_timeout`.
    async fn limit(_: &mut sqlx::PgConnection, _: Arc<AtomicU64>) -> Result<(), sqlx::Error> {
        Ok(())
    }

    fn ping_after(idle: Duration) -> bool {
        idle >= PING_AFTER_IDLE
    }
}

/// A connection and the deadline of the statements it runs now (read on SQLite only).
pub(super) struct Reader<DB: Backend> {
    pub(super) connection: DB::Connection,
    deadline: Arc<AtomicU64>,
    /// Set while a statement runs: still set when the reader comes back, its statement was
    /// dropped unfinished (see [`Manager::recycle`]).
    pub(super) busy: bool,
}

/// Opens readers on one database.
pub(super) struct Manager<DB: Backend> {
    options: DB::Options,
}

impl<DB: Backend> managed::Manager for Manager<DB> {
    type Type = Reader<DB>;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<Reader<DB>, sqlx::Error> {
        let mut connection = self.options.connect().await?;
        let deadline = Arc::new(AtomicU64::new(NO_DEADLINE));
        DB::limit(&mut connection, deadline.clone()).await?;
        Ok(Reader {
            connection,
            deadline,
            busy: false,
        })
    }

    /// A reader is taken again as it is (on PostgreSQL pinged first after a second idle),
    /// without the ping sqlx's pool sends every connection given back. But one whose statement
    /// was dropped unfinished (its request cancelled) may still be running it, on SQLite under
    /// that statement's deadline: it is dropped rather than taken, so that no statement queues
    /// behind it and its deadline is not overwritten.
    async fn recycle(
        &self,
        reader: &mut Reader<DB>,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if reader.busy {
            return Err(RecycleError::message(
                "its last statement was dropped unfinished",
            ));
        }
        if DB::ping_after(metrics.last_used()) {
            reader.connection.ping().await?;
        }
        Ok(())
    }
}

/// The pool of readers.
pub(super) struct Readers<DB: Backend> {
    pool: Pool<Manager<DB>>,
    statement_timeout: Option<Duration>,
}

impl<DB: Backend> Readers<DB> {
    /// Readers on the database of `url`, at most `size` of them, opened as they are needed
    /// and waited for (or opened) at most `acquire_timeout`; their statements stop at the
    /// deadline [`statement_deadline`] gives (on PostgreSQL at `statement_timeout`).
    pub(super) fn new(
        url: &str,
        size: usize,
        acquire_timeout: Duration,
        statement_timeout: Option<Duration>,
    ) -> Result<Readers<DB>, DbErr> {
        let options = DB::options(url, statement_timeout)
            .map_err(|error| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(error))))?;
        let pool = Pool::builder(Manager { options })
            .max_size(size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(acquire_timeout))
            .create_timeout(Some(acquire_timeout))
            .build()
            .map_err(|error| DbErr::Custom(error.to_string()))?;
        Ok(Readers {
            pool,
            statement_timeout,
        })
    }

    /// A reader, its statements given the deadline of the request this task serves (and the
    /// statement timeout from now). Failures are the errors sea-orm's own pool gives.
    pub(super) async fn take(&self) -> Result<Object<Manager<DB>>, DbErr> {
        let reader = self.pool.get().await.map_err(|error| match error {
            PoolError::Timeout(_) => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            PoolError::Closed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
            PoolError::Backend(error) => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(error))),
            other => DbErr::Custom(other.to_string()),
        })?;
        let deadline = statement_deadline(self.statement_timeout);
        reader
            .deadline
            .store(deadline.map_or(NO_DEADLINE, since_epoch), Ordering::Relaxed);
        Ok(reader)
    }

    /// The error of a statement `reader` ran, as sea-orm reports one. The reader is dropped
    /// rather than given back when the error says its connection is unusable (a new one is
    /// opened when needed); any other goes back to the pool.
    pub(super) fn failed(reader: Object<Manager<DB>>, error: sqlx::Error) -> DbErr {
        if matches!(
            error,
            sqlx::Error::WorkerCrashed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
        ) {
            drop(Object::take(reader));
        }
        super::planned::query_error(error)
    }

    /// Readers open, idle of them, and the most allowed.
    pub(super) fn usage(&self) -> (u32, usize, u32) {
        let status = self.pool.status();
        (
            u32::try_from(status.size).unwrap_or(u32::MAX),
            status.available,
            u32::try_from(status.max_size).unwrap_or(u32::MAX),
        )
    }

    /// Closes the pool: the idle readers are closed now, those in use when given back.
    pub(super) async fn close(&self) {
        let idle = self.pool.retain(|_, _| false).removed;
        self.pool.close();
        for reader in idle {
            let _ = reader.connection.close().await;
        }
    }
}
