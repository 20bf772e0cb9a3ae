//! `api_tokens`: bearer tokens, stored only as the SHA-256 hash of the token.

use crate::Role;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Who or what holds the token ("newsroom importer").
    pub name: String,
    pub role: Role,
    /// Lower-case hex SHA-256 of the token; the token itself is never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    /// Written at most once a minute per token.
    pub last_used_at: Option<DateTimeUtc>,
    /// Set when the token is revoked; a revoked token is refused.
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
