//! Parsing records and saying what is wrong with them: a bundle, or one line of a stream,
//! with serde's errors turned into a field path (`quotes[0].person`) and a plain message.

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

use super::Problem;
use crate::service::record::{
    ArticleRecord, Bundle, MeetingRecord, PersonRecord, Record, SourceRecord, TagRecord,
};

/// Parses a bundle. An error comes with its place: the array and index (`articles[2]`), or
/// `bundle` for the top level; a syntax error keeps serde_json's line and column.
pub(super) fn bundle(json: &[u8]) -> Result<Bundle, (String, Problem)> {
    let deserializer = &mut serde_json::Deserializer::from_slice(json);
    let bundle = serde_path_to_error::deserialize(deserializer)
        .map_err(|error| describe_bundle_error(&error))?;
    // The text checks walk the same document as plain JSON, one record at a time.
    if let Ok(Value::Object(arrays)) = serde_json::from_slice::<Value>(json) {
        for (key, records) in &arrays {
            for (index, record) in records.as_array().into_iter().flatten().enumerate() {
                check_text(record).map_err(|problem| (format!("{key}[{index}]"), problem))?;
            }
        }
    }
    Ok(bundle)
}

/// Characters a text may have when the database indexes it (PostgreSQL refuses index
/// entries of more than about 2,700 bytes; 500 characters stay under that in any script).
const MAX_INDEXED_CHARS: usize = 500;
/// Characters a slug may have.
const MAX_SLUG_CHARS: usize = 200;

/// The longest text a field may hold, by the field's name, when it is limited.
fn limit_of(field: &str) -> Option<usize> {
    match field {
        "slug" => Some(MAX_SLUG_CHARS),
        "name" | "title" | "aliases" | "language" | "country" | "city" | "nativeName" => {
            Some(MAX_INDEXED_CHARS)
        }
        _ => None,
    }
}

/// Checks every text of a record: no NUL characters (PostgreSQL cannot store them) and no
/// indexed field longer than its limit.
fn check_text(record: &Value) -> Result<(), Problem> {
    fn walk(value: &Value, path: &mut String, field: &str) -> Result<(), Problem> {
        match value {
            Value::String(text) => {
                if text.contains('\0') {
                    return Err(Problem::new(
                        path.clone(),
                        "must not contain a NUL character",
                    ));
                }
                if let Some(limit) = limit_of(field) {
                    if text.chars().count() > limit {
                        return Err(Problem::new(
                            path.clone(),
                            format!("must be at most {limit} characters long"),
                        ));
                    }
                }
                Ok(())
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let length = path.len();
                    path.push_str(&format!("[{index}]"));
                    walk(item, path, field)?;
                    path.truncate(length);
                }
                Ok(())
            }
            Value::Object(fields) => {
                for (name, item) in fields {
                    let length = path.len();
                    join_field(path, name);
                    walk(item, path, name)?;
                    path.truncate(length);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(record, &mut String::new(), "")
}

/// Where in a bundle a parse error is, and what it is.
fn describe_bundle_error(
    error: &serde_path_to_error::Error<serde_json::Error>,
) -> (String, Problem) {
    let segments: Vec<&Segment> = error.path().iter().collect();
    let (place, inside) = match segments.as_slice() {
        [Segment::Map { key }, Segment::Seq { index }, inside @ ..] => {
            (format!("{key}[{index}]"), inside)
        }
        whole => ("bundle".to_owned(), whole),
    };
    let cause = error.inner();
    let message = if cause.is_syntax() || cause.is_eof() {
        format!("bad JSON: {cause}")
    } else {
        without_position(cause)
    };
    (place, problem_at(field_path(inside), message))
}

/// Parses one line of a stream: a JSON object whose `type` says which record the rest is.
pub(super) fn line(text: &[u8]) -> Result<Record, Problem> {
    let value: Value = serde_json::from_slice(text)
        .map_err(|error| Problem::new("", format!("bad JSON: {}", with_column_only(&error))))?;
    let Value::Object(mut object) = value else {
        return Err(Problem::new("", "a record must be a JSON object"));
    };
    let kind = match object.remove("type") {
        Some(Value::String(kind)) => kind,
        Some(other) => {
            return Err(Problem::new(
                "type",
                format!("expected a string, found {other}"),
            ))
        }
        None => return Err(Problem::new("type", "missing required field")),
    };
    let fields = Value::Object(object);
    check_text(&fields)?;
    match kind.as_str() {
        "source" => parse_fields::<SourceRecord>(fields).map(Record::Source),
        "tag" => parse_fields::<TagRecord>(fields).map(Record::Tag),
        "person" => parse_fields::<PersonRecord>(fields).map(Record::Person),
        "meeting" => parse_fields::<MeetingRecord>(fields).map(Record::Meeting),
        "article" => {
            parse_fields::<ArticleRecord>(fields).map(|article| Record::Article(Box::new(article)))
        }
        unknown => Err(Problem::new(
            "type",
            format!(
                "unknown type {unknown:?}, expected one of source, tag, person, meeting, article"
            ),
        )),
    }
}

/// Deserializes the fields of one stream record, naming the field at fault.
fn parse_fields<T: DeserializeOwned>(fields: Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(fields).map_err(|error| {
        let segments: Vec<_> = error.path().iter().collect();
        problem_at(field_path(&segments), without_position(error.inner()))
    })
}

/// The path of a field inside a record: `quotes[0].person`.
fn field_path(segments: &[&Segment]) -> String {
    let mut path = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => path.push_str(&format!("[{index}]")),
            Segment::Map { key } => join_field(&mut path, key),
            Segment::Enum { variant } => join_field(&mut path, variant),
            Segment::Unknown => {}
        }
    }
    path
}

/// Appends `.name` to a field path (just `name` to an empty one).
fn join_field(path: &mut String, name: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(name);
}

/// A problem from serde's message about the value at `field`: a missing field moves into the
/// path (`quotes[0]` + "missing field `text`" is `quotes[0].text`: "missing required field").
fn problem_at(mut field: String, message: String) -> Problem {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'));
    if let Some(name) = missing {
        join_field(&mut field, name);
        return Problem::new(field, "missing required field");
    }
    match message.strip_prefix("unknown variant ") {
        Some(rest) => Problem::new(field, format!("unknown value {rest}")),
        None => Problem::new(field, message),
    }
}

/// serde_json's message without the " at line L column C" it adds.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    match message.strip_suffix(&position) {
        Some(bare) => bare.to_owned(),
        None => message,
    }
}

/// serde_json's message about a one-line text, with the column only.
fn with_column_only(error: &serde_json::Error) -> String {
    format!("{} at column {}", without_position(error), error.column())
}
