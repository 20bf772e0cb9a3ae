//! Rows as the service layer reads them: sea-orm's [`QueryResult`]s, or on SQLite the cells
//! of a read run on a connection of the server's own ([`super::raw`]), which sea-orm's rows
//! cannot be built from. Either is read by position or by name, into the few types the
//! entities hold ([`Decode`]).

use std::future::Future;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use entity::{ArticleStatus, ParticipantRole, Role, SourceKind};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, QueryResult,
    StatementBuilder, TryGetable,
};

use super::raw::{Cell, RawRows};

/// The rows of one statement.
pub enum Rows {
    Sea(Vec<QueryResult>),
    Raw(RawRows),
}

impl Rows {
    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        let (sea, raw) = match self {
            Rows::Sea(rows) => (Some(rows.iter().map(Row::Sea)), None),
            Rows::Raw(rows) => (None, Some(rows.iter().map(Row::Raw))),
        };
        sea.into_iter().flatten().chain(raw.into_iter().flatten())
    }

    /// The first row, if there is one.
    pub fn first(&self) -> Option<Row<'_>> {
        self.iter().next()
    }

    /// How many rows there are.
    pub fn len(&self) -> usize {
        match self {
            Rows::Sea(rows) => rows.len(),
            Rows::Raw(rows) => rows.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One row of [`Rows`].
#[derive(Clone, Copy)]
pub enum Row<'a> {
    Sea(&'a QueryResult),
    Raw(super::raw::RawRow<'a>),
}

impl Row<'_> {
    /// The value of the column at `index`.
    pub fn get<T: Decode>(self, index: usize) -> Result<T, DbErr> {
        match self {
            Row::Sea(row) => row.try_get_by_index(index),
            Row::Raw(row) => {
                let cell = row.cell(index).ok_or_else(|| missing(&index))?;
                T::decode(cell).map_err(|error| wrong(&index, &error))
            }
        }
    }

    /// The value of the column named `name`.
    pub fn get_named<T: Decode>(self, name: &str) -> Result<T, DbErr> {
        match self {
            Row::Sea(row) => row.try_get("", name),
            Row::Raw(row) => {
                let cell = row.named(name).ok_or_else(|| missing(&name))?;
                T::decode(cell).map_err(|error| wrong(&name, &error))
            }
        }
    }
}

fn missing(column: &dyn std::fmt::Display) -> DbErr {
    DbErr::Type(format!("the row has no column {column}"))
}

fn wrong(column: &dyn std::fmt::Display, error: &str) -> DbErr {
    DbErr::Type(format!("column {column}: {error}"))
}

/// A type a column is read into, from either kind of row. From SQLite's cells it is read as
/// sqlx reads it from the same cells; a cell of another storage class than sqlx accepts is
/// an error, as there.
pub trait Decode: TryGetable + Sized {
    fn decode(cell: Cell<'_>) -> Result<Self, String>;
}

impl<T: Decode> Decode for Option<T> {
    fn decode(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Null => Ok(None),
            cell => T::decode(cell).map(Some),
        }
    }
}

impl Decode for i64 {
    fn decode(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Integer(value) => Ok(value),
            _ => Err(unexpected("an integer", cell)),
        }
    }
}

impl Decode for i32 {
    fn decode(cell: Cell<'_>) -> Result<Self, String> {
        i32::try_from(i64::decode(cell)?).map_err(|_| unexpected("a 32-bit integer", cell))
    }
}

impl Decode for bool {
    fn decode(cell: Cell<'_>) -> Result<Self, String> {
        Ok(i64::decode(cell)? != 0)
    }
}

impl Decode for f64 {
    fn decode(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Real(value) => Ok(value),
            #[allow(clippy::cast_precision_loss)]
            Cell::Integer(value) => Ok(value as f64),
            _ => Err(unexpected("a number", cell)),
        }
    }
}

impl Decode for String {
    fn decode(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Text(text) => Ok(text.to_owned()),
            _ => Err(unexpected("text", cell)),
        }
    }
}

impl Decode for DateTime<Utc> {
    fn decode(cell: Cell<'_>) -> Result<Self, String> {
        let time = match cell {
            Cell::Text(text) => datetime_from_text(text),
            Cell::Integer(seconds) => Utc.timestamp_opt(seconds, 0).single(),
            Cell::Real(days) => datetime_from_julian_day(days),
            _ => None,
        };
        time.ok_or_else(|| unexpected("a date and time", cell))
    }
}

impl Decode for NaiveDate {
    fn decode(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Text(text) => {
                NaiveDate::parse_from_str(text, "%F").map_err(|_| unexpected("a date", cell))
            }
            _ => Err(unexpected("a date", cell)),
        }
    }
}

/// The entities' enumerations, stored as their text.
macro_rules! decode_text_enum {
    ($($type:ty),*) => {$(
        impl Decode for $type {
            fn decode(cell: Cell<'_>) -> Result<Self, String> {
                <$type>::try_from_value(&String::decode(cell)?).map_err(|error| error.to_string())
            }
        }
    )*};
}

decode_text_enum!(ArticleStatus, SourceKind, ParticipantRole, Role);

/// What a cell held when it could not be read as `wanted`.
fn unexpected(wanted: &str, cell: Cell<'_>) -> String {
    let held = match cell {
        Cell::Null => "NULL",
        Cell::Integer(_) => "an integer",
        Cell::Real(_) => "a real number",
        Cell::Text(_) => "text",
        Cell::Blob(_) => "a blob",
    };
    format!("expected {wanted}, found {held}")
}

/// A date and time in one of the text forms SQLite's date functions and sqlx write and
/// read: RFC 3339 first (what sqlx writes), then SQLite's `YYYY-MM-DD HH:MM[:SS[.SSS]]`
/// with `T` or a space, with `Z`, an offset or neither (UTC).
fn datetime_from_text(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    const FORMATS: [&str; 12] = [
        "%F %T%.f",
        "%F %R",
        "%F %RZ",
        "%F %R%:z",
        "%F %T%.fZ",
        "%F %T%.f%:z",
        "%FT%R",
        "%FT%RZ",
        "%FT%R%:z",
        "%FT%T%.f",
        "%FT%T%.fZ",
        "%FT%T%.f%:z",
    ];
    FORMATS.iter().find_map(|format| {
        DateTime::<FixedOffset>::parse_from_str(text, format)
            .map(|time| time.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                NaiveDateTime::parse_from_str(text, format)
                    .ok()
                    .map(|time| time.and_utc())
            })
    })
}

/// A Julian day number as a date and time.
fn datetime_from_julian_day(days: f64) -> Option<DateTime<Utc>> {
    const UNIX_EPOCH_IN_JULIAN_DAYS: f64 = 2_440_587.5;
    let seconds = (days - UNIX_EPOCH_IN_JULIAN_DAYS) * 86_400.0;
    if !seconds.is_finite() {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Utc.timestamp_opt(seconds.trunc() as i64, (seconds.fract().abs() * 1e9) as u32)
        .single()
}

/// A connection the service layer reads through: the rows of a statement as [`Rows`].
/// sea-orm's connections and transactions give sea-orm's rows; the server's own handle
/// ([`super::Db`]) on SQLite reads on connections of its own.
pub trait Read: ConnectionTrait + Sync {
    /// The rows `query` selects.
    fn read<S: StatementBuilder>(
        &self,
        query: &S,
    ) -> impl Future<Output = Result<Rows, DbErr>> + Send {
        let statement = self.get_database_backend().build(query);
        async move { Ok(Rows::Sea(self.query_all_raw(statement).await?)) }
    }
}

impl Read for DatabaseConnection {}

impl Read for DatabaseTransaction {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_read_from_the_forms_sqlite_holds() {
        let noon = Utc.with_ymd_and_hms(2019, 3, 1, 12, 0, 0).single();
        for text in [
            "2019-03-01T12:00:00+00:00",
            "2019-03-01T12:00:00Z",
            "2019-03-01 12:00:00",
            "2019-03-01 12:00",
            "2019-03-01T14:00:00+02:00",
            "2019-03-01 12:00:00.000Z",
        ] {
            assert_eq!(
                DateTime::<Utc>::decode(Cell::Text(text)).ok(),
                noon,
                "{text}"
            );
        }
        assert_eq!(
            DateTime::<Utc>::decode(Cell::Integer(1_551_441_600)).ok(),
            noon
        );
        assert_eq!(DateTime::<Utc>::decode(Cell::Real(2_458_544.0)).ok(), noon);
        assert!(DateTime::<Utc>::decode(Cell::Text("March")).is_err());
        assert!(DateTime::<Utc>::decode(Cell::Null).is_err());
    }

    #[test]
    fn cells_read_as_the_entities_types() {
        assert_eq!(i64::decode(Cell::Integer(7)), Ok(7));
        assert!(i64::decode(Cell::Null).is_err());
        assert!(i64::decode(Cell::Text("7")).is_err());
        assert!(String::decode(Cell::Integer(7)).is_err());
        assert_eq!(Option::<i64>::decode(Cell::Null), Ok(None));
        assert_eq!(i32::decode(Cell::Integer(1 << 40)).ok(), None);
        assert_eq!(bool::decode(Cell::Integer(1)), Ok(true));
        assert_eq!(f64::decode(Cell::Real(0.5)), Ok(0.5));
        assert_eq!(String::decode(Cell::Text("王毅")).as_deref(), Ok("王毅"));
        assert_eq!(
            ArticleStatus::decode(Cell::Text("PUBLISHED")),
            Ok(ArticleStatus::Published)
        );
        assert!(ArticleStatus::decode(Cell::Text("LOST")).is_err());
        assert_eq!(
            NaiveDate::decode(Cell::Text("2019-03-01")).ok(),
            NaiveDate::from_ymd_opt(2019, 3, 1)
        );
    }
}
