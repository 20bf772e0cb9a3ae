//! The filter inputs of the schema, exactly as API.md names them, and their conversion into
//! the service's filters (global IDs decoded, each error naming the input's path).

use async_graphql::{InputObject, ID};
use chrono::{DateTime, Utc};

use super::enums::{ArticleStatus, SourceKind};
use super::id::{decode_as, NodeKind};
use super::scalar::Date;
use crate::service::filter as service;
use crate::AppResult;

/// Conditions on a text field; all given must hold.
#[derive(InputObject, Clone, Default)]
pub struct StringFilter {
    /// Exactly this text.
    pub eq: Option<String>,
    /// Anything but this text.
    pub ne: Option<String>,
    /// One of these texts.
    #[graphql(name = "in")]
    pub in_list: Option<Vec<String>>,
    /// None of these texts.
    pub not_in: Option<Vec<String>>,
    /// Case-insensitive, Unicode-aware.
    pub contains: Option<String>,
    /// Case-insensitive, Unicode-aware.
    pub starts_with: Option<String>,
    /// Case-insensitive, Unicode-aware.
    pub ends_with: Option<String>,
    /// Whether the field is empty (true) or set (false).
    pub is_null: Option<bool>,
}

impl From<StringFilter> for service::StringFilter {
    fn from(f: StringFilter) -> Self {
        service::StringFilter {
            eq: f.eq,
            ne: f.ne,
            in_list: f.in_list,
            not_in: f.not_in,
            contains: f.contains,
            starts_with: f.starts_with,
            ends_with: f.ends_with,
            is_null: f.is_null,
        }
    }
}

/// Conditions on a date and time; all given must hold.
#[derive(InputObject, Clone, Default)]
pub struct DateTimeFilter {
    pub eq: Option<DateTime<Utc>>,
    pub ne: Option<DateTime<Utc>>,
    pub gt: Option<DateTime<Utc>>,
    pub gte: Option<DateTime<Utc>>,
    pub lt: Option<DateTime<Utc>>,
    pub lte: Option<DateTime<Utc>>,
    /// Whether the field is empty (true) or set (false).
    pub is_null: Option<bool>,
}

impl From<DateTimeFilter> for service::DateTimeFilter {
    fn from(f: DateTimeFilter) -> Self {
        service::DateTimeFilter {
            eq: f.eq,
            ne: f.ne,
            gt: f.gt,
            gte: f.gte,
            lt: f.lt,
            lte: f.lte,
            is_null: f.is_null,
        }
    }
}

/// Conditions on a calendar date; all given must hold.
#[derive(InputObject, Clone, Default)]
pub struct DateFilter {
    pub eq: Option<Date>,
    pub ne: Option<Date>,
    pub gt: Option<Date>,
    pub gte: Option<Date>,
    pub lt: Option<Date>,
    pub lte: Option<Date>,
}

impl From<DateFilter> for service::DateFilter {
    fn from(f: DateFilter) -> Self {
        let day = |d: Option<Date>| d.map(|d| d.0);
        service::DateFilter {
            eq: day(f.eq),
            ne: day(f.ne),
            gt: day(f.gt),
            gte: day(f.gte),
            lt: day(f.lt),
            lte: day(f.lte),
        }
    }
}

/// Conditions on a record's global ID.
#[derive(InputObject, Clone, Default)]
pub struct IdFilter {
    /// This record.
    pub eq: Option<ID>,
    /// One of these records.
    #[graphql(name = "in")]
    pub in_list: Option<Vec<ID>>,
}

impl IdFilter {
    fn decode(self, kind: NodeKind, path: &str) -> AppResult<service::IdFilter> {
        let eq = match self.eq {
            Some(id) => Some(decode_as(&id, kind, &format!("{path}.eq"))?),
            None => None,
        };
        let in_list = match self.in_list {
            Some(ids) => Some(
                ids.iter()
                    .enumerate()
                    .map(|(i, id)| decode_as(id, kind, &format!("{path}.in.{i}")))
                    .collect::<AppResult<Vec<i64>>>()?,
            ),
            None => None,
        };
        Ok(service::IdFilter { eq, in_list })
    }
}

fn ids(
    filter: Option<IdFilter>,
    kind: NodeKind,
    path: &str,
) -> AppResult<Option<service::IdFilter>> {
    filter
        .map(|f| f.decode(kind, &format!("{path}.id")))
        .transpose()
}

fn text(filter: Option<StringFilter>) -> Option<service::StringFilter> {
    filter.map(Into::into)
}

/// Converts each filter of a list, with its index in the path.
fn each<F, S>(
    filters: Option<Vec<F>>,
    path: &str,
    list: &str,
    convert: impl Fn(F, &str) -> AppResult<S>,
) -> AppResult<Vec<S>> {
    filters
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, f)| convert(f, &format!("{path}.{list}.{i}")))
        .collect()
}

fn boxed<F, S>(
    filter: Option<Box<F>>,
    path: &str,
    field: &str,
    convert: impl Fn(F, &str) -> AppResult<S>,
) -> AppResult<Option<Box<S>>> {
    filter
        .map(|f| convert(*f, &format!("{path}.{field}")).map(Box::new))
        .transpose()
}

/// Which articles: every field given must hold.
#[derive(InputObject, Clone, Default)]
pub struct ArticleFilter {
    /// Every one of these holds.
    pub and: Option<Vec<ArticleFilter>>,
    /// At least one of these holds.
    pub or: Option<Vec<ArticleFilter>>,
    /// This does not hold.
    pub not: Option<Box<ArticleFilter>>,
    pub id: Option<IdFilter>,
    pub slug: Option<StringFilter>,
    pub title: Option<StringFilter>,
    pub language: Option<StringFilter>,
    /// One of these statuses.
    pub status: Option<Vec<ArticleStatus>>,
    pub featured: Option<bool>,
    pub published_at: Option<DateTimeFilter>,
    /// Its source matches.
    pub source: Option<Box<SourceFilter>>,
    /// Some tag matches.
    pub tag: Option<Box<TagFilter>>,
    /// It mentions someone who matches.
    pub person: Option<Box<PersonFilter>>,
    /// It reports on a meeting that matches.
    pub meeting: Option<Box<MeetingFilter>>,
}

impl ArticleFilter {
    /// The service's filter; `path` names this input in errors.
    pub fn into_service(self, path: &str) -> AppResult<service::ArticleFilter> {
        Ok(service::ArticleFilter {
            and: each(self.and, path, "and", Self::into_service)?,
            or: each(self.or, path, "or", Self::into_service)?,
            not: boxed(self.not, path, "not", Self::into_service)?,
            id: ids(self.id, NodeKind::Article, path)?,
            slug: text(self.slug),
            title: text(self.title),
            language: text(self.language),
            status: self.status.map(|s| s.into_iter().map(Into::into).collect()),
            featured: self.featured,
            published_at: self.published_at.map(Into::into),
            source: boxed(self.source, path, "source", SourceFilter::into_service)?,
            tag: boxed(self.tag, path, "tag", TagFilter::into_service)?,
            person: boxed(self.person, path, "person", PersonFilter::into_service)?,
            meeting: boxed(self.meeting, path, "meeting", MeetingFilter::into_service)?,
        })
    }
}

/// Which people: every field given must hold.
#[derive(InputObject, Clone, Default)]
pub struct PersonFilter {
    /// Every one of these holds.
    pub and: Option<Vec<PersonFilter>>,
    /// At least one of these holds.
    pub or: Option<Vec<PersonFilter>>,
    /// This does not hold.
    pub not: Option<Box<PersonFilter>>,
    pub id: Option<IdFilter>,
    pub slug: Option<StringFilter>,
    /// Matches name, native name or any alias.
    pub name: Option<StringFilter>,
    pub country: Option<StringFilter>,
    /// Took part in a meeting that matches.
    pub meeting: Option<Box<MeetingFilter>>,
    /// Is mentioned in an article that matches.
    pub article: Option<Box<ArticleFilter>>,
}

impl PersonFilter {
    /// The service's filter; `path` names this input in errors.
    pub fn into_service(self, path: &str) -> AppResult<service::PersonFilter> {
        Ok(service::PersonFilter {
            and: each(self.and, path, "and", Self::into_service)?,
            or: each(self.or, path, "or", Self::into_service)?,
            not: boxed(self.not, path, "not", Self::into_service)?,
            id: ids(self.id, NodeKind::Person, path)?,
            slug: text(self.slug),
            name: text(self.name),
            country: text(self.country),
            meeting: boxed(self.meeting, path, "meeting", MeetingFilter::into_service)?,
            article: boxed(self.article, path, "article", ArticleFilter::into_service)?,
        })
    }
}

/// Which meetings: every field given must hold.
#[derive(InputObject, Clone, Default)]
pub struct MeetingFilter {
    /// Every one of these holds.
    pub and: Option<Vec<MeetingFilter>>,
    /// At least one of these holds.
    pub or: Option<Vec<MeetingFilter>>,
    /// This does not hold.
    pub not: Option<Box<MeetingFilter>>,
    pub id: Option<IdFilter>,
    pub slug: Option<StringFilter>,
    pub title: Option<StringFilter>,
    pub held_on: Option<DateFilter>,
    pub location: Option<StringFilter>,
    pub city: Option<StringFilter>,
    pub country: Option<StringFilter>,
    /// Someone who matches took part.
    pub participant: Option<Box<PersonFilter>>,
    /// An article that matches reports on it.
    pub article: Option<Box<ArticleFilter>>,
}

impl MeetingFilter {
    /// The service's filter; `path` names this input in errors.
    pub fn into_service(self, path: &str) -> AppResult<service::MeetingFilter> {
        Ok(service::MeetingFilter {
            and: each(self.and, path, "and", Self::into_service)?,
            or: each(self.or, path, "or", Self::into_service)?,
            not: boxed(self.not, path, "not", Self::into_service)?,
            id: ids(self.id, NodeKind::Meeting, path)?,
            slug: text(self.slug),
            title: text(self.title),
            held_on: self.held_on.map(Into::into),
            location: text(self.location),
            city: text(self.city),
            country: text(self.country),
            participant: boxed(
                self.participant,
                path,
                "participant",
                PersonFilter::into_service,
            )?,
            article: boxed(self.article, path, "article", ArticleFilter::into_service)?,
        })
    }
}

/// Which sources: every field given must hold.
#[derive(InputObject, Clone, Default)]
pub struct SourceFilter {
    /// Every one of these holds.
    pub and: Option<Vec<SourceFilter>>,
    /// At least one of these holds.
    pub or: Option<Vec<SourceFilter>>,
    /// This does not hold.
    pub not: Option<Box<SourceFilter>>,
    pub id: Option<IdFilter>,
    pub slug: Option<StringFilter>,
    pub name: Option<StringFilter>,
    /// One of these kinds.
    pub kind: Option<Vec<SourceKind>>,
}

impl SourceFilter {
    /// The service's filter; `path` names this input in errors.
    pub fn into_service(self, path: &str) -> AppResult<service::SourceFilter> {
        Ok(service::SourceFilter {
            and: each(self.and, path, "and", Self::into_service)?,
            or: each(self.or, path, "or", Self::into_service)?,
            not: boxed(self.not, path, "not", Self::into_service)?,
            id: ids(self.id, NodeKind::Source, path)?,
            slug: text(self.slug),
            name: text(self.name),
            kind: self.kind.map(|k| k.into_iter().map(Into::into).collect()),
        })
    }
}

/// Which tags: every field given must hold.
#[derive(InputObject, Clone, Default)]
pub struct TagFilter {
    pub id: Option<IdFilter>,
    pub slug: Option<StringFilter>,
    pub name: Option<StringFilter>,
}

impl TagFilter {
    /// The service's filter; `path` names this input in errors.
    pub fn into_service(self, path: &str) -> AppResult<service::TagFilter> {
        Ok(service::TagFilter {
            id: ids(self.id, NodeKind::Tag, path)?,
            slug: text(self.slug),
            name: text(self.name),
        })
    }
}

/// Which quotes: every field given must hold.
#[derive(InputObject, Clone, Default)]
pub struct QuoteFilter {
    /// Said by someone who matches.
    pub person: Option<PersonFilter>,
    /// Said at a meeting that matches.
    pub meeting: Option<MeetingFilter>,
    /// Reported by an article that matches.
    pub article: Option<ArticleFilter>,
    pub text: Option<StringFilter>,
}

impl QuoteFilter {
    /// The service's filter; `path` names this input in errors.
    pub fn into_service(self, path: &str) -> AppResult<service::QuoteFilter> {
        let inner = |field: &str| format!("{path}.{field}");
        Ok(service::QuoteFilter {
            person: self
                .person
                .map(|f| f.into_service(&inner("person")).map(Box::new))
                .transpose()?,
            meeting: self
                .meeting
                .map(|f| f.into_service(&inner("meeting")).map(Box::new))
                .transpose()?,
            article: self
                .article
                .map(|f| f.into_service(&inner("article")).map(Box::new))
                .transpose()?,
            text: text(self.text),
        })
    }
}
