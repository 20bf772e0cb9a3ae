//! The schema's enums, each mirroring a stored or service enum.

use async_graphql::Enum;

/// Where an article is in its life.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::ArticleStatus")]
pub enum ArticleStatus {
    /// Not yet public.
    Draft,
    /// Public.
    Published,
    /// Withdrawn from the front page but kept.
    Archived,
}

/// The part a person played in a meeting.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::ParticipantRole")]
pub enum ParticipantRole {
    /// Received the others.
    Host,
    /// Was received.
    Guest,
    /// Was present.
    Attendee,
}

/// What kind of publisher a source is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::SourceKind")]
pub enum SourceKind {
    /// A government body.
    Government,
    /// A news agency.
    NewsAgency,
    /// A newspaper.
    Newspaper,
    /// A radio or television broadcaster.
    Broadcaster,
    /// A blog.
    Blog,
    /// A university or research institute.
    Academic,
    /// A social network account.
    Social,
    /// Anything else.
    Other,
}

/// Orderings of article lists. Default: `PUBLISHED_AT_DESC`, undated articles last; ties break on id.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::service::order::ArticleOrder")]
pub enum ArticleOrder {
    /// Oldest first.
    PublishedAtAsc,
    /// Newest first.
    PublishedAtDesc,
    /// By title, A to Z.
    TitleAsc,
    /// By title, Z to A.
    TitleDesc,
    /// First created first.
    CreatedAtAsc,
    /// Last created first.
    CreatedAtDesc,
    /// Least recently updated first.
    UpdatedAtAsc,
    /// Most recently updated first.
    UpdatedAtDesc,
}

/// Orderings of people lists. Default: `NAME_ASC`; ties break on id.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::service::order::PersonOrder")]
pub enum PersonOrder {
    /// By name, A to Z.
    NameAsc,
    /// By name, Z to A.
    NameDesc,
    /// First created first.
    CreatedAtAsc,
    /// Last created first.
    CreatedAtDesc,
}

/// Orderings of meeting lists. Default: `HELD_ON_DESC`; ties break on id.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::service::order::MeetingOrder")]
pub enum MeetingOrder {
    /// Earliest first.
    HeldOnAsc,
    /// Latest first.
    HeldOnDesc,
    /// By title, A to Z.
    TitleAsc,
    /// By title, Z to A.
    TitleDesc,
}

/// Orderings of source lists. Default: `NAME_ASC`; ties break on id.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::service::order::SourceOrder")]
pub enum SourceOrder {
    /// By name, A to Z.
    NameAsc,
    /// By name, Z to A.
    NameDesc,
}

/// Orderings of tag lists. Default: `NAME_ASC`; ties break on id.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::service::order::TagOrder")]
pub enum TagOrder {
    /// By name, A to Z.
    NameAsc,
    /// By name, Z to A.
    NameDesc,
}

/// Converts a client's `orderBy` list into service orderings.
pub fn orders<G: Copy + Into<S>, S>(order_by: Option<Vec<G>>) -> Vec<S> {
    order_by
        .unwrap_or_default()
        .into_iter()
        .map(Into::into)
        .collect()
}
