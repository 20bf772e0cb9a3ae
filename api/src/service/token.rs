//! API tokens: made and revoked on the command line, checked on every request with one
//! indexed look-up of the token's SHA-256 hash. The token itself is shown once and never
//! stored.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use entity::{api_token, Role};
use sea_orm::sea_query::Expr;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};

use crate::{AppError, AppResult};

/// What every token starts with, so that one pasted into the wrong place is recognisable.
const PREFIX: &str = "cat_";
/// Random bytes in a token (256 bits).
const RANDOM_BYTES: usize = 32;
/// How often a token's last-used time is written, at most.
const LAST_USED_EVERY: Duration = Duration::from_secs(60);

/// A token as `token list` shows it: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_token::Model> for TokenInfo {
    fn from(row: api_token::Model) -> Self {
        TokenInfo {
            id: row.id,
            name: row.name,
            role: row.role,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        }
    }
}

/// The hash stored for a token.
fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Makes a token: returns its id and the token, which exists nowhere else afterwards.
pub async fn create(db: &impl ConnectionTrait, name: &str, role: Role) -> AppResult<(i64, String)> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::validation("name", "must not be empty"));
    }
    let mut random = [0u8; RANDOM_BYTES];
    getrandom::fill(&mut random)
        .map_err(|cause| AppError::Internal(format!("no randomness for a token: {cause}")))?;
    let token = format!("{PREFIX}{}", hex::encode(random));
    let row = api_token::ActiveModel {
        id: NotSet,
        name: Set(name.to_owned()),
        role: Set(role),
        token_hash: Set(hash(&token)),
        created_at: Set(Utc::now().trunc_subsecs(6)),
        last_used_at: Set(None),
        revoked_at: Set(None),
    };
    let row = row.insert(db).await?;
    Ok((row.id, token))
}

/// Every token, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> AppResult<Vec<TokenInfo>> {
    let rows = api_token::Entity::find()
        .order_by_asc(api_token::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(TokenInfo::from).collect())
}

/// Revokes a token; it is refused from the next request on. Revoking twice is harmless.
pub async fn revoke(db: &impl ConnectionTrait, id: i64) -> AppResult<()> {
    let now = Utc::now().trunc_subsecs(6);
    let revoked = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if revoked.rows_affected == 0 && api_token::Entity::find_by_id(id).one(db).await?.is_none() {
        return Err(AppError::NotFound(format!("no token with id {id}")));
    }
    Ok(())
}

/// Checks tokens and remembers when each last had its last-used time written.
#[derive(Debug, Default)]
pub struct Authenticator {
    written: Mutex<HashMap<i64, Instant>>,
}

impl Authenticator {
    /// The role of a request's token: `UNAUTHENTICATED` when it is malformed, unknown or
    /// revoked. One indexed look-up; the last-used time is written at most once a minute.
    pub async fn authenticate(&self, db: &impl ConnectionTrait, token: &str) -> AppResult<Role> {
        let well_formed = token.strip_prefix(PREFIX).is_some_and(|rest| {
            rest.len() == RANDOM_BYTES * 2 && rest.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if !well_formed {
            return Err(AppError::Unauthenticated);
        }
        let row = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(hash(token)))
            .one(db)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if row.revoked_at.is_some() {
            return Err(AppError::Unauthenticated);
        }
        if self.due(row.id) {
            api_token::Entity::update_many()
                .col_expr(
                    api_token::Column::LastUsedAt,
                    Expr::value(Utc::now().trunc_subsecs(6)),
                )
                .filter(api_token::Column::Id.eq(row.id))
                .exec(db)
                .await?;
        }
        Ok(row.role)
    }

    /// Whether the last-used time of token `id` should be written now (and notes it is).
    fn due(&self, id: i64) -> bool {
        let now = Instant::now();
        let mut written = match self.written.lock() {
            Ok(written) => written,
            Err(poisoned) => poisoned.into_inner(),
        };
        match written.get(&id) {
            Some(at) if now.duration_since(*at) < LAST_USED_EVERY => false,
            _ => {
                written.insert(id, now);
                true
            }
        }
    }
}
