//! SeaORM entities of the content store: one module per table, plus the shared enums.
//! Knows nothing of GraphQL or HTTP.

pub mod api_token;
pub mod article;
pub mod article_meeting;
pub mod article_person;
pub mod article_tag;
pub mod enums;
pub mod meeting;
pub mod meeting_participant;
pub mod person;
pub mod person_alias;
pub mod position;
pub mod quote;
pub mod source;
pub mod tag;

pub use enums::{ArticleStatus, ParticipantRole, Role, SourceKind};
