//! SQLite reads on connections of the server's own: each keeps its statements' deadline where
//! its progress handler reads it, so giving a statement its deadline costs no round trip to
//! the connection's thread, and giving the connection back costs none either.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, Object, Pool, PoolError, RecycleError, RecycleResult};
use deadpool::Runtime;
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::ConnectOptions;

use super::{statement_deadline, STEPS_BETWEEN_CHECKS};

/// The instant deadlines are counted from.
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

/// A deadline slot's value when its statements have none.
const NO_DEADLINE: u64 = u64::MAX;

/// `instant` in nanoseconds from [`EPOCH`].
fn since_epoch(instant: Instant) -> u64 {
    u64::try_from(instant.saturating_duration_since(*EPOCH).as_nanos()).unwrap_or(NO_DEADLINE - 1)
}

/// A connection and the deadline of the statements it runs now. Its progress handler,
/// installed once when it connects, reads the deadline from here: the async side stores it
/// without waiting on the connection's thread.
pub(super) struct Reader {
    pub(super) connection: SqliteConnection,
    deadline: Arc<AtomicU64>,
    /// Set while a statement runs: still set when the reader comes back, its statement was
    /// dropped unfinished (see [`Manager::recycle`]).
    pub(super) busy: bool,
}

/// Opens readers on one SQLite file.
pub(super) struct Manager {
    options: SqliteConnectOptions,
}

impl managed::Manager for Manager {
    type Type = Reader;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<Reader, sqlx::Error> {
        let mut connection = self.options.connect().await?;
        let deadline = Arc::new(AtomicU64::new(NO_DEADLINE));
        let slot = deadline.clone();
        connection
            .lock_handle()
            .await?
            .set_progress_handler(STEPS_BETWEEN_CHECKS, move || {
                let deadline = slot.load(Ordering::Relaxed);
                deadline == NO_DEADLINE || since_epoch(Instant::now()) < deadline
            });
        Ok(Reader {
            connection,
            deadline,
            busy: false,
        })
    }

    /// A reader is taken again as it is, without sqlx's ping (a round trip to its thread):
    /// SQLite runs in this process, so there is no link to test, and a reader whose thread is
    /// gone is dropped when it fails (see [`Readers::failed`]). But one whose statement was
    /// dropped unfinished (its request cancelled) may still be running it on its thread,
    /// under that statement's deadline: it is dropped rather than taken, so that no statement
    /// queues behind it and its deadline is not overwritten; its thread ends with the
    /// statement.
    async fn recycle(&self, reader: &mut Reader, _: &Metrics) -> RecycleResult<sqlx::Error> {
        if reader.busy {
            return Err(RecycleError::message(
                "its last statement was dropped unfinished",
            ));
        }
        Ok(())
    }
}

/// The pool of readers.
pub(super) struct Readers {
    pool: Pool<Manager>,
    statement_timeout: Option<Duration>,
}

impl Readers {
    /// Readers on the SQLite file of `url`, at most `size` of them, opened as they are
    /// needed; their statements stop at the deadline [`statement_deadline`] gives.
    pub(super) fn new(
        url: &str,
        size: usize,
        statement_timeout: Option<Duration>,
    ) -> Result<Readers, DbErr> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|error| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(error))))?
            .with_regexp()
            .disable_statement_logging();
        let pool = Pool::builder(Manager { options })
            .max_size(size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|error| DbErr::Custom(error.to_string()))?;
        Ok(Readers {
            pool,
            statement_timeout,
        })
    }

    /// A reader, its statements given the deadline of the request this task serves (and the
    /// statement timeout from now). Failures are the errors sea-orm's own pool gives.
    pub(super) async fn take(&self) -> Result<Object<Manager>, DbErr> {
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
    pub(super) fn failed(reader: Object<Manager>, error: sqlx::Error) -> DbErr {
        if matches!(
            error,
            sqlx::Error::WorkerCrashed | sqlx::Error::Io(_) | sqlx::Error::Protocol(_)
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
            let _ = sqlx::Connection::close(reader.connection).await;
        }
    }
}
