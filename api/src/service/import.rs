//! Importing records (DATA.md, "Import format"): a bundle, a stream or several files, all in
//! one transaction that lands whole or not at all. Reading the framings and naming what is
//! wrong live here and in `import/parse.rs`; writing the records, in `import/store.rs`,
//! `import/write.rs` and `import/article.rs`.

mod article;
mod parse;
mod rules;
mod store;
mod write;

use std::fmt::Display;
use std::path::{Path, PathBuf};

use sea_orm::{DatabaseConnection, DbErr};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, BufReader};

use super::record::{Bundle, Record};
use crate::AppError;
use store::Store;

/// The sample content `import_sample_data` loads: the records of `data/seed-bundle.json`.
const SAMPLE_BUNDLE: &[u8] = include_bytes!("../../data/seed-bundle.json");

/// The longest line a stream may have, so that input without line breaks cannot fill memory.
const MAX_LINE_BYTES: u64 = 16 * 1024 * 1024;

/// How many records an import created, changed, and found already as given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} unchanged",
            self.created, self.updated, self.unchanged
        )
    }
}

/// Why an import failed. Whatever the cause, the database is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input is wrong. `location` is the line of a stream (`line 3`) or the array and
    /// index of a bundle (`articles[2]`), after the file's path when there are files;
    /// `field` is the path inside the record (`quotes[0].person`), empty for the whole record.
    #[error("{location}{}: {message}", field_clause(.field))]
    Invalid {
        location: String,
        field: String,
        message: String,
    },
    /// A file whose extension names no framing.
    #[error("{}: unknown kind of file; expected .json (a bundle), .ndjson or .jsonl (a stream)", .0.display())]
    UnsupportedFile(PathBuf),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// The input could not be read.
    #[error("cannot read the input: {0}")]
    Io(#[from] std::io::Error),
}

/// `, field quotes[0].person`, or nothing when the error is about the whole record.
fn field_clause(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!(", field {field}")
    }
}

impl From<ImportError> for AppError {
    fn from(error: ImportError) -> Self {
        match error {
            ImportError::Invalid { ref field, .. } => {
                AppError::validation(field.clone(), error.to_string())
            }
            ImportError::UnsupportedFile(_) => AppError::validation("", error.to_string()),
            ImportError::Database(cause) => cause.into(),
            ImportError::Io(cause) => AppError::Internal(format!("import: {cause}")),
        }
    }
}

/// Imports a bundle: one JSON object with optional arrays `sources`, `tags`, `people`,
/// `meetings` and `articles`, taken in that order.
pub async fn import_bundle(
    db: &DatabaseConnection,
    json: &[u8],
) -> Result<ImportSummary, ImportError> {
    let mut store = Store::begin(db).await?;
    let outcome = read_bundle(&mut store, json, Origin(None)).await;
    store.finish(outcome).await
}

/// Imports a stream: one record per line, each with its `type`; blank lines are skipped.
/// The stream is read line by line, never whole.
pub async fn import_stream<R: AsyncBufRead + Unpin>(
    db: &DatabaseConnection,
    reader: R,
) -> Result<ImportSummary, ImportError> {
    let mut store = Store::begin(db).await?;
    let outcome = read_stream(&mut store, reader, Origin(None)).await;
    store.finish(outcome).await
}

/// Imports files in the order given, all in one transaction: `.json` files are bundles,
/// `.ndjson` and `.jsonl` files streams. Errors name the file before the line or index.
pub async fn import_files(
    db: &DatabaseConnection,
    paths: &[PathBuf],
) -> Result<ImportSummary, ImportError> {
    if let Some(path) = paths.iter().find(|path| framing_of(path).is_none()) {
        return Err(ImportError::UnsupportedFile(path.clone()));
    }
    let mut store = Store::begin(db).await?;
    let mut outcome = Ok(());
    for path in paths {
        outcome = read_file(&mut store, path).await;
        if outcome.is_err() {
            break;
        }
    }
    store.finish(outcome).await
}

/// Imports the sample content shipped with the server (`data/seed-bundle.json`).
pub async fn import_sample_data(db: &DatabaseConnection) -> Result<ImportSummary, ImportError> {
    import_bundle(db, SAMPLE_BUNDLE).await
}

/// The two framings of the import format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Bundle,
    Stream,
}

/// The framing a file's extension names.
fn framing_of(path: &Path) -> Option<Framing> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "json" => Some(Framing::Bundle),
        "ndjson" | "jsonl" => Some(Framing::Stream),
        _ => None,
    }
}

/// Reads one file into the import.
async fn read_file(store: &mut Store, path: &Path) -> Result<(), ImportError> {
    let unreadable = |cause: std::io::Error| {
        ImportError::Io(std::io::Error::new(
            cause.kind(),
            format!("{}: {cause}", path.display()),
        ))
    };
    match framing_of(path) {
        Some(Framing::Bundle) => {
            let json = tokio::fs::read(path).await.map_err(unreadable)?;
            read_bundle(store, &json, Origin(Some(path))).await
        }
        Some(Framing::Stream) => {
            let file = tokio::fs::File::open(path).await.map_err(unreadable)?;
            read_stream(store, BufReader::new(file), Origin(Some(path)))
                .await
                .map_err(|error| match error {
                    ImportError::Io(cause) => unreadable(cause),
                    other => other,
                })
        }
        None => Err(ImportError::UnsupportedFile(path.to_owned())),
    }
}

/// The file records come from, if any, to put before their locations.
#[derive(Debug, Clone, Copy)]
struct Origin<'a>(Option<&'a Path>);

impl Origin<'_> {
    /// `place` (`line 3`, `articles[2]`), after the file's path when there is one.
    fn at(self, place: impl Display) -> String {
        match self.0 {
            Some(path) => format!("{} {place}", path.display()),
            None => place.to_string(),
        }
    }
}

/// What is wrong with a record, and in which field (empty for the whole record).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    field: String,
    message: String,
}

impl Problem {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The error this problem is at `location`.
    fn at(self, location: String) -> ImportError {
        ImportError::Invalid {
            location,
            field: self.field,
            message: self.message,
        }
    }
}

/// Parses a bundle and imports its records, sources first and articles last.
async fn read_bundle(
    store: &mut Store,
    json: &[u8],
    origin: Origin<'_>,
) -> Result<(), ImportError> {
    let bundle = parse::bundle(json).map_err(|(place, problem)| problem.at(origin.at(place)))?;
    let Bundle {
        sources,
        tags,
        people,
        meetings,
        articles,
    } = bundle;
    let records = located("sources", sources, Record::Source)
        .chain(located("tags", tags, Record::Tag))
        .chain(located("people", people, Record::Person))
        .chain(located("meetings", meetings, Record::Meeting))
        .chain(located("articles", articles, |article| {
            Record::Article(Box::new(article))
        }));
    for (place, record) in records {
        let location = origin.at(place);
        store.import(record, &location).await?;
    }
    Ok(())
}

/// The records of one array of a bundle, each with its place (`people[3]`).
fn located<T>(
    array: &'static str,
    records: Vec<T>,
    into_record: impl Fn(T) -> Record,
) -> impl Iterator<Item = (String, Record)> {
    records
        .into_iter()
        .enumerate()
        .map(move |(index, record)| (format!("{array}[{index}]"), into_record(record)))
}

/// Reads a stream line by line and imports each record.
async fn read_stream<R: AsyncBufRead + Unpin>(
    store: &mut Store,
    mut reader: R,
    origin: Origin<'_>,
) -> Result<(), ImportError> {
    let mut line = Vec::new();
    let mut number: u64 = 0;
    loop {
        line.clear();
        let read = (&mut reader)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut line)
            .await?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        let location = origin.at(format_args!("line {number}"));
        if line.len() as u64 > MAX_LINE_BYTES {
            let problem = Problem::new(
                "",
                format!("the line is longer than {MAX_LINE_BYTES} bytes"),
            );
            return Err(problem.at(location));
        }
        let text = trim_line(&line, number == 1);
        if text.is_empty() {
            continue;
        }
        let record = parse::line(text).map_err(|problem| problem.at(location.clone()))?;
        store.import(record, &location).await?;
    }
}

/// A line without its line break, surrounding blanks, and (first line only) byte-order mark.
fn trim_line(line: &[u8], first: bool) -> &[u8] {
    let line = if first {
        line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
    } else {
        line
    };
    line.trim_ascii()
}
