//! Reads on connections of the server's own, which sqlx's pool would cost round trips that
//! these do not: sqlx pings every connection given back, and on SQLite installs each
//! statement's deadline with a round trip to the connection's thread. A SQLite reader keeps
//! its statements' deadline where its progress handler reads it; a PostgreSQL reader has its
//! `statement_timeout` from the server and is pinged only when taken a second or more after
//! it was last taken. Once a reader has turned out unusable, the others are pinged before
//! they are next taken, on either database. Like sqlx's pool, readers are closed after ten
//! minutes idle or thirty in all, and a reader whose statement was dropped unfinished is held
//! until it has stopped.

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
pub(super) const NO_DEADLINE: u64 = u64::MAX;

/// How long after it was last taken a PostgreSQL reader is still taken again without a
/// ping, as the main pool does for its idle connections (`test_before_acquire_if_idle_for`):
/// one left broken by an outage is found and replaced then.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// How long a reader may sit idle before it is closed, and how long one may live, as sqlx's
/// pool has them by default for the main pool.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// How often idle readers past [`IDLE_TIMEOUT`] are looked for.
const REAP_EVERY: Duration = Duration::from_secs(60);

/// `instant` in nanoseconds from [`EPOCH`].
pub(super) fn since_epoch(instant: Instant) -> u64 {
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
    /// thread is gone is dropped when it fails (see [`Taken::failed`]).
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
    /// Set while a statement runs (see [`Taken`]): still set when the reader comes back, it
    /// may still be running a statement dropped unfinished (see [`Manager::recycle`]).
    busy: bool,
    /// When the connection was last known to work (opened or answering a ping), from
    /// [`EPOCH`] in nanoseconds.
    checked: u64,
}

/// Opens readers on one database.
pub(super) struct Manager<DB: Backend> {
    options: DB::Options,
    /// When a reader last turned out unusable (from [`EPOCH`] in nanoseconds; 0 for never):
    /// readers not known to work since are pinged before they are taken again, since what
    /// broke one (the database restarting) has most likely broken the others.
    suspect_since: AtomicU64,
}

impl<DB: Backend> managed::Manager for Manager<DB> {
    type Type = Reader<DB>;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<Reader<DB>, sqlx::Error> {
        let opened = since_epoch(Instant::now());
        let mut connection = self.options.connect().await?;
        let deadline = Arc::new(AtomicU64::new(NO_DEADLINE));
        DB::limit(&mut connection, deadline.clone()).await?;
        Ok(Reader {
            connection,
            deadline,
            busy: false,
            checked: opened,
        })
    }

    /// A reader is taken again as it is (on PostgreSQL pinged first after a second since it
    /// was last taken, and on either database when another reader has turned out unusable
    /// since it was last known to work), without the ping sqlx's pool sends every connection
    /// given back. One past [`MAX_LIFETIME`] is closed instead, and so is one still busy: its
    /// statement was dropped unfinished and the connection could not be seen to finish it
    /// (see [`Taken`]).
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
        if metrics.age() >= MAX_LIFETIME {
            return Err(RecycleError::message("it is past its lifetime"));
        }
        let suspect = reader.checked < self.suspect_since.load(Ordering::Relaxed);
        if suspect || DB::ping_after(metrics.last_used()) {
            let pinged = since_epoch(Instant::now());
            reader.connection.ping().await?;
            reader.checked = pinged;
        }
        Ok(())
    }
}

/// A reader taken for one statement. Dropped before it is done with ([`Taken::finished`],
/// [`Taken::failed`]), its statement was dropped unfinished (its request cancelled) and may
/// still be running: the reader is given back only once its connection answers a ping, which
/// queues behind that statement (on SQLite stopped at its own deadline, on PostgreSQL at
/// `statement_timeout`). Until then it counts against the pool's size, so that the pool still
/// bounds the statements running, as sqlx's does.
pub(super) struct Taken<DB: Backend>(Option<Object<Manager<DB>>>);

impl<DB: Backend> Taken<DB> {
    /// The connection to run the statement on. (A reader is held from [`Readers::take`] until
    /// [`Taken::finished`] or [`Taken::failed`] consumes it: the error cannot occur.)
    pub(super) fn connection(&mut self) -> Result<&mut DB::Connection, DbErr> {
        match &mut self.0 {
            Some(reader) => Ok(&mut reader.connection),
            None => Err(DbErr::Custom("the reader was given back".to_owned())),
        }
    }

    /// The statement is over: the reader goes back to the pool when dropped.
    fn done(mut self) -> Option<Object<Manager<DB>>> {
        let mut reader = self.0.take()?;
        reader.busy = false;
        Some(reader)
    }

    /// The statement succeeded.
    pub(super) fn finished(self) {
        drop(self.done());
    }

    /// The statement failed with `error`, returned as sea-orm reports one. The reader is
    /// closed rather than given back when the error says its connection is unusable
    /// ([`super::connection_unusable`]) or the protocol went astray; a new one is opened when
    /// needed.
    pub(super) fn failed(self, error: sqlx::Error) -> DbErr {
        let reader = self.done();
        let unusable =
            super::connection_unusable(&error) || matches!(error, sqlx::Error::Protocol(_));
        if let (true, Some(reader)) = (unusable, reader) {
            drop(Object::take(reader));
        }
        super::planned::query_error(error)
    }
}

impl<DB: Backend> Drop for Taken<DB> {
    fn drop(&mut self) {
        let Some(mut reader) = self.0.take() else {
            return;
        };
        // Dropped unfinished. Without a runtime to wait on, the reader stays busy and is
        // closed when next taken.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if reader.connection.ping().await.is_ok() {
                    reader.busy = false;
                }
            });
        }
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
        let manager = Manager {
            options,
            suspect_since: AtomicU64::new(0),
        };
        let pool = Pool::builder(manager)
            .max_size(size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(acquire_timeout))
            .create_timeout(Some(acquire_timeout))
            .recycle_timeout(Some(acquire_timeout))
            .build()
            .map_err(|error| DbErr::Custom(error.to_string()))?;
        // Idle readers are closed after a while, as sqlx's pool closes its connections.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let weak = pool.weak();
            runtime.spawn(async move {
                loop {
                    tokio::time::sleep(REAP_EVERY).await;
                    let Some(pool) = weak.upgrade() else { break };
                    if pool.is_closed() {
                        break;
                    }
                    let idle: Vec<Reader<DB>> = pool
                        .retain(|_, metrics| metrics.last_used() < IDLE_TIMEOUT)
                        .removed;
                    for reader in idle {
                        let _ = reader.connection.close().await;
                    }
                }
            });
        }
        Ok(Readers {
            pool,
            statement_timeout,
        })
    }

    /// A reader for one statement, given the deadline of the request this task serves (and
    /// the statement timeout from now). Failures are the errors sea-orm's own pool gives.
    pub(super) async fn take(&self) -> Result<Taken<DB>, DbErr> {
        let mut reader = self.pool.get().await.map_err(|error| match error {
            PoolError::Timeout(_) => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            PoolError::Closed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
            PoolError::Backend(error) => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(error))),
            other => DbErr::Custom(other.to_string()),
        })?;
        let deadline = statement_deadline(self.statement_timeout);
        reader
            .deadline
            .store(deadline.map_or(NO_DEADLINE, since_epoch), Ordering::Relaxed);
        reader.busy = true;
        Ok(Taken(Some(reader)))
    }

    /// A reader turned out unusable: the others are pinged before they are next taken, and
    /// those that fail are replaced.
    pub(super) fn suspect(&self) {
        self.pool
            .manager()
            .suspect_since
            .fetch_max(since_epoch(Instant::now()), Ordering::Relaxed);
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
