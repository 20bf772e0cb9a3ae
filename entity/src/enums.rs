//! The enumerations stored as text columns.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What kind of publisher a source is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SourceKind {
    #[sea_orm(string_value = "GOVERNMENT")]
    Government,
    #[sea_orm(string_value = "NEWS_AGENCY")]
    NewsAgency,
    #[sea_orm(string_value = "NEWSPAPER")]
    Newspaper,
    #[sea_orm(string_value = "BROADCASTER")]
    Broadcaster,
    #[sea_orm(string_value = "BLOG")]
    Blog,
    #[sea_orm(string_value = "ACADEMIC")]
    Academic,
    #[sea_orm(string_value = "SOCIAL")]
    Social,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Where an article is in its life.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ArticleStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    #[sea_orm(string_value = "ARCHIVED")]
    Archived,
}

/// The part a person played in a meeting.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ParticipantRole {
    #[sea_orm(string_value = "HOST")]
    Host,
    #[sea_orm(string_value = "GUEST")]
    Guest,
    #[sea_orm(string_value = "ATTENDEE")]
    Attendee,
}

/// What a token may do: editors read everything and write content; admins also manage tokens.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    #[sea_orm(string_value = "EDITOR")]
    Editor,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}
