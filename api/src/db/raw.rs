//! SQLite reads on connections of the server's own, through rusqlite over the same SQLite
//! library sqlx links. sqlx hands every statement to its connection's thread, copies every
//! value of every row out (`sqlite3_value_dup`) and sends the rows back one by one over a
//! channel; sea-orm then decodes them through sqlx's type checks. A raw read instead runs
//! its statement on the thread that asks for it, copies the cells of all its rows into one
//! buffer ([`RawRows`]), and the service layer reads them from there ([`super::rows`]).
//!
//! Running on the asking thread (an HTTP worker) holds that thread, so a statement may run
//! there only briefly: [`INLINE_BUDGET`], or as configured. One still running then is
//! stopped and runs again from the start on a blocking thread, with only its request's
//! deadline. A page's statements take tens to hundreds of microseconds; a statement that
//! needs the thread longer costs the budget once more. Statements with a client's filter
//! and searches, whose cost cannot be foreseen, go to a blocking thread at once.
//!
//! Statements stop at their deadline as on sqlx's connections (a progress handler; see
//! [`super::connect_with`]), with `SQLITE_INTERRUPT`, reported as sqlx reports it, so that
//! the errors are the same whichever connection ran the statement.

use std::borrow::Cow;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::SecondsFormat;
use regex::Regex;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};
use sea_orm::sea_query::{OptionEnum, Value};
use sea_orm::{DbErr, Statement};
use tokio::sync::Semaphore;

use super::planned::PLAN_FOR_VALUES;
use super::readers::{since_epoch, NO_DEADLINE};
use super::statement_deadline;

/// How long a statement may run on the thread that asks for it before it is moved to a
/// blocking thread of its own, unless configured otherwise (`--sqlite-inline-ms`).
pub const INLINE_BUDGET: Duration = Duration::from_millis(2);

/// How many statements a connection keeps prepared.
const STATEMENT_CACHE: usize = 128;

/// How long a reader waits for a lock the database's writer holds (as sqlx's connections);
/// inline, no longer than its budget.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The cells of every row a statement returned, in one buffer.
pub struct RawRows {
    names: Vec<Box<str>>,
    width: usize,
    cells: Vec<RawCell>,
    text: String,
    blobs: Vec<u8>,
}

/// A cell of [`RawRows`]: text and blobs as ranges of its buffers.
#[derive(Clone, Copy)]
enum RawCell {
    Null,
    Integer(i64),
    Real(f64),
    Text(u32, u32),
    Blob(u32, u32),
}

/// A cell as it is read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// One row of [`RawRows`].
#[derive(Clone, Copy)]
pub struct RawRow<'a> {
    rows: &'a RawRows,
    index: usize,
}

impl RawRows {
    /// How many rows there are.
    pub fn len(&self) -> usize {
        self.cells.len().checked_div(self.width).unwrap_or(0)
    }

    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = RawRow<'_>> {
        (0..self.len()).map(move |index| RawRow { rows: self, index })
    }
}

impl<'a> RawRow<'a> {
    /// The cell at `column`.
    pub fn cell(self, column: usize) -> Option<Cell<'a>> {
        if column >= self.rows.width {
            return None;
        }
        let cell = *self.rows.cells.get(self.index * self.rows.width + column)?;
        let range = |start: u32, length: u32| {
            let start = start as usize;
            start..start + length as usize
        };
        Some(match cell {
            RawCell::Null => Cell::Null,
            RawCell::Integer(value) => Cell::Integer(value),
            RawCell::Real(value) => Cell::Real(value),
            RawCell::Text(start, length) => Cell::Text(self.rows.text.get(range(start, length))?),
            RawCell::Blob(start, length) => Cell::Blob(self.rows.blobs.get(range(start, length))?),
        })
    }

    /// The cell of the column named `name` (the first of that name).
    pub fn named(self, name: &str) -> Option<Cell<'a>> {
        let column = self.rows.names.iter().position(|n| &**n == name)?;
        self.cell(column)
    }
}

/// A connection and the deadline its progress handler stops statements at.
struct Reader {
    connection: Connection,
    deadline: Arc<AtomicU64>,
    /// The count of open readers, less one when this one closes.
    open: Arc<AtomicUsize>,
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Stops the statement of a reader whose request has gone: dropped before it is disarmed,
/// it sets the reader's deadline to one long past, so that the progress handler stops the
/// statement within [`STEPS_BETWEEN_LOOKS`] steps. (The slot is set again before the
/// reader's next statement.)
struct StopIfDropped(Option<Arc<AtomicU64>>);

impl Drop for StopIfDropped {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            slot.store(0, Ordering::Relaxed);
        }
    }
}

/// How many SQLite virtual-machine steps a raw reader runs between two looks at the clock:
/// fewer than sqlx's connections (`super::STEPS_BETWEEN_CHECKS`), so that the inline budget
/// is kept to within some microseconds.
const STEPS_BETWEEN_LOOKS: i32 = 1_000;

thread_local! {
    /// While a statement runs inline on this thread: when its budget ends. A lock held by
    /// the database's writer is waited for only until then ([`busy`]).
    static INLINE_UNTIL: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

/// The busy handler of raw readers: waits a millisecond at a time for a lock, up to
/// [`BUSY_TIMEOUT`] as sqlx's connections do, but while a statement runs inline no longer
/// than its budget (after which the statement runs again off the thread).
fn busy(attempts: i32) -> bool {
    let inline_over =
        INLINE_UNTIL.with(|until| until.get().is_some_and(|until| Instant::now() >= until));
    if inline_over || u128::try_from(attempts).unwrap_or(0) >= BUSY_TIMEOUT.as_millis() {
        return false;
    }
    std::thread::sleep(Duration::from_millis(1));
    true
}

/// The raw readers of one SQLite file.
pub(super) struct Raw {
    path: PathBuf,
    /// Readers not in use.
    idle: Mutex<Vec<Reader>>,
    /// Readers open, in use or idle.
    open: Arc<AtomicUsize>,
    /// At most this many stay open when idle: one for each core's HTTP worker running a
    /// statement inline, and those running statements off the workers.
    keep: usize,
    /// Bounds the statements run on blocking threads, as a pool bounds its connections.
    off_thread: Arc<Semaphore>,
    /// How long a statement waits for a blocking thread at most.
    acquire_timeout: Duration,
    statement_timeout: Option<Duration>,
    /// [`INLINE_BUDGET`] or as configured, in nanoseconds; 0 runs every read off the thread.
    budget: AtomicU64,
    /// Set once the readers are closed: none is opened or kept after that.
    closed: AtomicBool,
    /// Reads run inline, moved off the thread past the budget, and sent off it at once.
    inline: AtomicU64,
    moved: AtomicU64,
    sent: AtomicU64,
}

impl Raw {
    /// Raw readers on the SQLite file of `url` (not an in-memory database): at most `size`
    /// statements run off the asking threads, waited for at most `acquire_timeout`; their
    /// statements stop at the deadline [`statement_deadline`] gives.
    pub(super) fn new(
        url: &str,
        size: usize,
        acquire_timeout: Duration,
        statement_timeout: Option<Duration>,
    ) -> Result<Raw, DbErr> {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
            .map_err(|error| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(Arc::new(error))))?;
        let workers = std::thread::available_parallelism().map_or(2, |cores| cores.get());
        let size = size.max(1);
        Ok(Raw {
            path: options.get_filename().to_path_buf(),
            idle: Mutex::new(Vec::new()),
            open: Arc::new(AtomicUsize::new(0)),
            keep: size + workers,
            off_thread: Arc::new(Semaphore::new(size)),
            acquire_timeout,
            statement_timeout,
            budget: AtomicU64::new(nanos(INLINE_BUDGET)),
            closed: AtomicBool::new(false),
            inline: AtomicU64::new(0),
            moved: AtomicU64::new(0),
            sent: AtomicU64::new(0),
        })
    }

    /// Sets how long a read may run on the thread that asks for it.
    pub(super) fn set_budget(&self, budget: Duration) {
        self.budget.store(nanos(budget), Ordering::Relaxed);
    }

    /// Opens a reader: read-only, with sqlx's `REGEXP` and a busy handler ([`busy`]), its
    /// statements stopped at the deadline in its slot.
    fn open(&self) -> rusqlite::Result<Reader> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        connection.busy_handler(Some(busy))?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        connection.create_scalar_function(
            "regexp",
            2,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            regexp,
        )?;
        let deadline = Arc::new(AtomicU64::new(NO_DEADLINE));
        let slot = deadline.clone();
        connection.progress_handler(
            STEPS_BETWEEN_LOOKS,
            Some(move || {
                let deadline = slot.load(Ordering::Relaxed);
                deadline != NO_DEADLINE && since_epoch(Instant::now()) >= deadline
            }),
        )?;
        self.open.fetch_add(1, Ordering::Relaxed);
        Ok(Reader {
            connection,
            deadline,
            open: Arc::clone(&self.open),
        })
    }

    /// An idle reader, or a new one.
    fn take(&self) -> Result<Reader, DbErr> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(DbErr::ConnectionAcquire(
                sea_orm::ConnAcquireErr::ConnectionClosed,
            ));
        }
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(reader) => Ok(reader),
            None => self
                .open()
                .map_err(|error| DbErr::Conn(runtime_error(error))),
        }
    }

    /// Gives `reader` back, unless enough are idle.
    fn give_back(&self, reader: Reader) {
        reader.deadline.store(NO_DEADLINE, Ordering::Relaxed);
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < self.keep && !self.closed.load(Ordering::Relaxed) {
                idle.push(reader);
            }
        }
    }

    /// The rows `statement` selects: run on this thread within the budget ([`INLINE_BUDGET`]
    /// unless configured), or failing that again on a blocking thread. A statement marked
    /// [`PLAN_FOR_VALUES`] (one with a client's filter, or a search, whose cost the server
    /// cannot foresee) goes to a blocking thread at once.
    pub(super) async fn read(self: &Arc<Self>, statement: &Statement) -> Result<RawRows, DbErr> {
        let values: &[Value] = statement.values.as_ref().map_or(&[], |values| &values.0);
        let deadline = statement_deadline(self.statement_timeout);
        let budget = self.budget.load(Ordering::Relaxed);
        if budget == 0 || statement.sql.contains(PLAN_FOR_VALUES) {
            self.sent.fetch_add(1, Ordering::Relaxed);
            return self.off_thread(statement, deadline).await;
        }
        let reader = self.take()?;
        let budget = Instant::now() + Duration::from_nanos(budget);
        reader.deadline.store(
            since_epoch(deadline.map_or(budget, |deadline| deadline.min(budget))),
            Ordering::Relaxed,
        );
        INLINE_UNTIL.with(|until| until.set(Some(budget)));
        let result = run(&reader.connection, &statement.sql, values);
        INLINE_UNTIL.with(|until| until.set(None));
        self.give_back(reader);
        // Stopped for the budget (or waiting on a lock past it), not for the deadline: a long
        // statement, run again from the start off this thread.
        let over_budget = matches!(&result, Err(error) if interrupted(error) || locked(error))
            && deadline.is_none_or(|deadline| deadline > budget);
        if over_budget {
            self.moved.fetch_add(1, Ordering::Relaxed);
            return self.off_thread(statement, deadline).await;
        }
        self.inline.fetch_add(1, Ordering::Relaxed);
        result.map_err(query_error)
    }

    /// Runs `statement` on a blocking thread, on a reader taken once a thread is free (within
    /// the acquire timeout), stopped at `deadline`. The reader goes back when the statement
    /// ends; if the request goes first, its statement is stopped.
    async fn off_thread(
        self: &Arc<Self>,
        statement: &Statement,
        deadline: Option<Instant>,
    ) -> Result<RawRows, DbErr> {
        let permit = tokio::time::timeout(
            self.acquire_timeout,
            Arc::clone(&self.off_thread).acquire_owned(),
        )
        .await
        .map_err(|_| DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout))?
        .map_err(|_| DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::ConnectionClosed))?;
        let reader = self.take()?;
        reader
            .deadline
            .store(deadline.map_or(NO_DEADLINE, since_epoch), Ordering::Relaxed);
        let mut stop = StopIfDropped(Some(Arc::clone(&reader.deadline)));
        let raw = Arc::clone(self);
        let sql = statement.sql.clone();
        let values = statement
            .values
            .as_ref()
            .map_or_else(Vec::new, |values| values.0.clone());
        let result = tokio::task::spawn_blocking(move || {
            let result = run(&reader.connection, &sql, &values);
            raw.give_back(reader);
            drop(permit);
            result
        })
        .await;
        stop.0 = None;
        result
            .map_err(|error| DbErr::Custom(format!("a read's thread failed: {error}")))?
            .map_err(query_error)
    }

    /// Where the reads ran so far.
    pub(super) fn counts(&self) -> crate::metrics::SqliteReads {
        crate::metrics::SqliteReads {
            inline: self.inline.load(Ordering::Relaxed),
            moved: self.moved.load(Ordering::Relaxed),
            off_thread: self.sent.load(Ordering::Relaxed),
        }
    }

    /// Readers open, idle of them, and the most kept open.
    pub(super) fn usage(&self) -> (usize, usize, usize) {
        let idle = self.idle.lock().map_or(0, |idle| idle.len());
        (self.open.load(Ordering::Relaxed), idle, self.keep)
    }

    /// Closes the idle readers; those in use close when they are given back.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        let idle = self
            .idle
            .lock()
            .map(|mut idle| std::mem::take(&mut *idle))
            .unwrap_or_default();
        drop(idle);
    }
}

/// Runs `sql` with `values` on `connection`, collecting every row.
fn run(connection: &Connection, sql: &str, values: &[Value]) -> rusqlite::Result<RawRows> {
    let mut statement = connection.prepare_cached(sql)?;
    if statement.parameter_count() != values.len() {
        return Err(rusqlite::Error::InvalidParameterCount(
            values.len(),
            statement.parameter_count(),
        ));
    }
    for (index, value) in values.iter().enumerate() {
        statement.raw_bind_parameter(index + 1, Bind(value))?;
    }
    let width = statement.column_count();
    let names: Vec<Box<str>> = statement
        .column_names()
        .into_iter()
        .map(Box::from)
        .collect();
    let mut rows = RawRows {
        names,
        width,
        cells: Vec::new(),
        text: String::new(),
        blobs: Vec::new(),
    };
    let mut stepping = statement.raw_query();
    while let Some(row) = stepping.next()? {
        for column in 0..width {
            let cell = match row.get_ref(column)? {
                ValueRef::Null => RawCell::Null,
                ValueRef::Integer(value) => RawCell::Integer(value),
                ValueRef::Real(value) => RawCell::Real(value),
                ValueRef::Text(bytes) => {
                    let text = std::str::from_utf8(bytes)
                        .map_err(|error| rusqlite::Error::Utf8Error(column, error))?;
                    let (start, length) = (rows.text.len(), text.len());
                    rows.text.push_str(text);
                    RawCell::Text(offset(start)?, offset(length)?)
                }
                ValueRef::Blob(bytes) => {
                    let (start, length) = (rows.blobs.len(), bytes.len());
                    rows.blobs.extend_from_slice(bytes);
                    RawCell::Blob(offset(start)?, offset(length)?)
                }
            };
            rows.cells.push(cell);
        }
    }
    Ok(rows)
}

/// `duration` in nanoseconds, saturating.
fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// A position in a buffer of [`RawRows`] (which hold at most 4 GiB of text).
fn offset(value: usize) -> rusqlite::Result<u32> {
    u32::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, i64::MAX))
}

/// A sea-query value bound as sqlx binds it on SQLite (`sea-query-sqlx`): numbers and text
/// as they are, `bool` as 0 or 1, dates and times as the text sqlx writes.
struct Bind<'a>(&'a Value);

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use rusqlite::types::Value as Owned;
        let integer = |value: Option<i64>| {
            value.map_or(ToSqlOutput::Owned(Owned::Null), |value| {
                ToSqlOutput::Owned(Owned::Integer(value))
            })
        };
        let text = |value: Option<String>| {
            value.map_or(ToSqlOutput::Owned(Owned::Null), |value| {
                ToSqlOutput::Owned(Owned::Text(value))
            })
        };
        Ok(match self.0 {
            Value::Bool(value) => integer(value.map(i64::from)),
            Value::TinyInt(value) => integer(value.map(i64::from)),
            Value::SmallInt(value) => integer(value.map(i64::from)),
            Value::Int(value) => integer(value.map(i64::from)),
            Value::BigInt(value) => integer(*value),
            Value::TinyUnsigned(value) => integer(value.map(i64::from)),
            Value::SmallUnsigned(value) => integer(value.map(i64::from)),
            Value::Unsigned(value) => integer(value.map(i64::from)),
            Value::BigUnsigned(value) => match value {
                Some(value) => integer(Some(i64::try_from(*value).map_err(|_| {
                    rusqlite::Error::ToSqlConversionFailure("a u64 past i64::MAX".into())
                })?)),
                None => integer(None),
            },
            Value::Float(value) => value.map_or(ToSqlOutput::Owned(Owned::Null), |value| {
                ToSqlOutput::Owned(Owned::Real(f64::from(value)))
            }),
            Value::Double(value) => value.map_or(ToSqlOutput::Owned(Owned::Null), |value| {
                ToSqlOutput::Owned(Owned::Real(value))
            }),
            Value::String(value) => match value {
                Some(value) => ToSqlOutput::Borrowed(ValueRef::Text(value.as_bytes())),
                None => integer(None),
            },
            Value::Enum(value) => match value {
                OptionEnum::Some(value) => match &value.value {
                    Cow::Borrowed(value) => ToSqlOutput::Borrowed(ValueRef::Text(value.as_bytes())),
                    Cow::Owned(value) => ToSqlOutput::Borrowed(ValueRef::Text(value.as_bytes())),
                },
                OptionEnum::None(_) => integer(None),
            },
            Value::Char(value) => text(value.map(String::from)),
            Value::Bytes(value) => match value {
                Some(value) => ToSqlOutput::Borrowed(ValueRef::Blob(value)),
                None => integer(None),
            },
            Value::Json(value) => text(value.as_ref().map(ToString::to_string)),
            Value::ChronoDate(value) => text(value.map(|date| date.format("%F").to_string())),
            Value::ChronoTime(value) => text(value.map(|time| time.format("%T%.f").to_string())),
            Value::ChronoDateTime(value) => {
                text(value.map(|time| time.format("%F %T%.f").to_string()))
            }
            Value::ChronoDateTimeUtc(value) => {
                text(value.map(|time| time.to_rfc3339_opts(SecondsFormat::AutoSi, false)))
            }
            Value::ChronoDateTimeLocal(value) => {
                text(value.map(|time| time.to_rfc3339_opts(SecondsFormat::AutoSi, false)))
            }
            Value::ChronoDateTimeWithTimeZone(value) => {
                text(value.map(|time| time.to_rfc3339_opts(SecondsFormat::AutoSi, false)))
            }
            #[allow(unreachable_patterns)]
            _ => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "a value of a type the server does not bind on SQLite".into(),
                ))
            }
        })
    }
}

/// sqlx's `REGEXP`: whether the text (the second argument) matches the pattern (the
/// first), each pattern compiled once per statement; NULL when either is NULL.
fn regexp(context: &rusqlite::functions::Context<'_>) -> rusqlite::Result<Option<bool>> {
    if matches!(context.get_raw(0), ValueRef::Null) {
        return Ok(None);
    }
    let regex: Arc<Regex> = context.get_or_create_aux(0, |pattern| {
        Regex::new(pattern.as_str()?)
            .map_err(|error| -> Box<dyn std::error::Error + Send + Sync> { Box::new(error) })
    })?;
    match context.get_raw(1) {
        ValueRef::Null => Ok(None),
        value => Ok(Some(regex.is_match(value.as_str()?))),
    }
}

/// Whether `error` is a lock not had (the busy handler gave up).
fn locked(error: &rusqlite::Error) -> bool {
    error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
}

/// Whether `error` is a statement stopped by the progress handler.
fn interrupted(error: &rusqlite::Error) -> bool {
    error.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted)
}

/// A failed statement as sea-orm reports one from sqlx.
fn query_error(error: rusqlite::Error) -> DbErr {
    DbErr::Query(runtime_error(error))
}

/// `error` as sqlx reports a SQLite error: a database error with SQLite's extended code as
/// its code (`9` for an interrupted statement), so that it is told apart as sqlx's are.
fn runtime_error(error: rusqlite::Error) -> sea_orm::RuntimeErr {
    sea_orm::RuntimeErr::SqlxError(Arc::new(match error {
        rusqlite::Error::SqliteFailure(failure, message) => {
            sqlx::Error::Database(Box::new(SqliteError {
                code: failure.extended_code,
                message: message.unwrap_or_else(|| failure.to_string()),
            }))
        }
        other => sqlx::Error::Protocol(other.to_string()),
    }))
}

/// A SQLite error from a raw read, as sqlx's own SQLite errors read.
#[derive(Debug)]
struct SqliteError {
    code: i32,
    message: String,
}

impl std::fmt::Display for SqliteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for SqliteError {}

impl sqlx::error::DatabaseError for SqliteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        sqlx::error::ErrorKind::Other
    }
}
