//! The records of the import and export format (DATA.md, "Import format"): one serde type per
//! kind of record, the `Record` enum of the stream framing and the `Bundle` object.
//!
//! Keys are camelCase, unknown keys are refused, references to other records are slugs.
//! Optional fields are left out of the JSON when absent; lists are always written.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{ArticleStatus, ParticipantRole, SourceKind};
use serde::{Deserialize, Serialize};

/// A publisher of articles (`sources`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceRecord {
    /// The source's unique key, and how other records name it.
    pub slug: String,
    pub name: String,
    pub kind: SourceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A label on articles (`tags`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TagRecord {
    /// The tag's unique key, and how articles name it.
    pub slug: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A person (`people`), with their aliases and positions in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersonRecord {
    /// The person's unique key, and how meetings and articles name them.
    pub slug: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_name: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    /// Other spellings of the name; each at most once.
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub positions: Vec<PositionRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// An office a person holds or held (`positions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PositionRecord {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_date"
    )]
    pub started_on: Option<NaiveDate>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_date"
    )]
    pub ended_on: Option<NaiveDate>,
}

impl From<entity::position::Model> for PositionRecord {
    fn from(row: entity::position::Model) -> Self {
        PositionRecord {
            title: row.title,
            organization: row.organization,
            started_on: row.started_on,
            ended_on: row.ended_on,
        }
    }
}

/// A meeting (`meetings`), with its participants in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeetingRecord {
    /// The meeting's unique key, and how articles and quotes name it.
    pub slug: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(with = "date")]
    pub held_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occasion: Option<String>,
    /// Each person at most once.
    #[serde(default)]
    pub participants: Vec<ParticipantRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// Who took part in a meeting (`meeting_participants`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParticipantRecord {
    /// The person's slug.
    pub person: String,
    pub role: ParticipantRole,
}

/// An article (`articles`), with its links and quotes in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArticleRecord {
    /// The article's unique key.
    pub slug: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// BCP 47: "en", "zh".
    pub language: String,
    /// `DRAFT` when absent.
    #[serde(default = "draft")]
    pub status: ArticleStatus,
    /// `false` when absent.
    #[serde(default)]
    pub featured: bool,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp")]
    pub published_at: Option<DateTime<Utc>>,
    /// The source's slug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Tag slugs; each at most once.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Slugs of the people the article mentions; each at most once.
    #[serde(default)]
    pub people: Vec<String>,
    /// Slugs of the meetings the article reports on; each at most once.
    #[serde(default)]
    pub meetings: Vec<String>,
    /// In the order the article gives them.
    #[serde(default)]
    pub quotes: Vec<QuoteRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// What a person said, as an article reports it (`quotes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteRecord {
    /// The speaker's slug.
    pub person: String,
    /// The slug of the meeting where it was said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<String>,
    /// "stressed", "pointed out".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verb: Option<String>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// One line of the stream framing: a record and, in `type`, its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Record {
    Source(SourceRecord),
    Tag(TagRecord),
    Person(PersonRecord),
    Meeting(MeetingRecord),
    Article(Box<ArticleRecord>),
}

/// The bundle framing: one object holding every kind of record, each list optional.
/// Imported in the order sources, tags, people, meetings, articles, whatever the key order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bundle {
    #[serde(default)]
    pub sources: Vec<SourceRecord>,
    #[serde(default)]
    pub tags: Vec<TagRecord>,
    #[serde(default)]
    pub people: Vec<PersonRecord>,
    #[serde(default)]
    pub meetings: Vec<MeetingRecord>,
    #[serde(default)]
    pub articles: Vec<ArticleRecord>,
}

/// The status of an article whose record does not give one.
fn draft() -> ArticleStatus {
    ArticleStatus::Draft
}

/// RFC 3339 timestamps: any offset in, UTC out (`2019-12-02T12:00:00Z`, fractions only when
/// non-zero).
mod timestamp {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(at) => serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        let Some(text) = Option::<String>::deserialize(deserializer)? else {
            return Ok(None);
        };
        DateTime::parse_from_rfc3339(&text)
            .map(|at| Some(at.with_timezone(&Utc)))
            .map_err(|cause| {
                D::Error::custom(format!(
                    "bad date-time {text:?} ({cause}): expected RFC 3339, like 2019-12-02T20:00:00+08:00"
                ))
            })
    }
}

/// Calendar dates as `YYYY-MM-DD`.
mod date {
    use chrono::NaiveDate;
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&value.format("%Y-%m-%d"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map_err(D::Error::custom)
    }

    /// Parses `YYYY-MM-DD`, explaining a failure.
    pub fn parse(text: &str) -> Result<NaiveDate, String> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|cause| format!("bad date {text:?} ({cause}): expected YYYY-MM-DD"))
    }
}

/// Optional calendar dates as `YYYY-MM-DD`.
mod optional_date {
    use chrono::NaiveDate;
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<NaiveDate>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(date) => super::date::serialize(date, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<NaiveDate>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => super::date::parse(&text)
                .map(Some)
                .map_err(D::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_line_puts_the_type_first_and_leaves_out_absent_fields() {
        let record = Record::Tag(TagRecord {
            slug: "jinghua-jingxuan".to_owned(),
            name: "精华精选".to_owned(),
            created_at: Some("2019-12-02T12:00:00Z".parse().unwrap()),
            updated_at: None,
        });
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            r#"{"type":"tag","slug":"jinghua-jingxuan","name":"精华精选","createdAt":"2019-12-02T12:00:00Z"}"#
        );
    }

    #[test]
    fn timestamps_come_in_with_any_offset_and_go_out_in_utc() {
        let article: ArticleRecord = serde_json::from_str(
            r#"{"slug":"a","title":"A","language":"en","publishedAt":"2019-12-02T20:00:00.5+08:00"}"#,
        )
        .unwrap();
        assert_eq!(article.status, ArticleStatus::Draft);
        assert!(!article.featured);
        let json = serde_json::to_value(&article).unwrap();
        assert_eq!(json["publishedAt"], "2019-12-02T12:00:00.500Z");
    }
}
