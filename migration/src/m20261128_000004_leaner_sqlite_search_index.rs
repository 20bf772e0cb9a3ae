//! SQLite: `search_grams`, the trigram index, keeps only the documents that contain a
//! character of an unspaced script (see [`crate::UNSPACED_SCRIPTS`]).
//!
//! The trigram index serves only the parts of a search written in those scripts (Chinese,
//! Japanese, Korean): every other word is found through `search_words`. A document with none
//! of their characters can never match such a part, so indexing its trigrams was work (most
//! of an import's indexing time) and space for nothing. The search finds exactly what it
//! found before. PostgreSQL, whose trigram index lives in `search_documents` beside the
//! words, is unchanged.
//!
//! The table is made anew and filled, in both directions: deleting most of an FTS5 table's
//! rows would add delete markers to its index rather than shrink it. One transaction, so a
//! failure leaves the index as it was.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::m20261127_000002_full_text_search::{
    sqlite_backfill, sqlite_drop_triggers, sqlite_triggers, SQLITE_GRAMS_TABLE,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The condition on a search document's `body` that puts it into `search_grams`: at least
/// one character of an unspaced script (a GLOB character class of their ranges). Those
/// characters are all beyond ASCII, so text that is ASCII alone (as many bytes as
/// characters) is passed over without the GLOB, which tries the class at every character.
fn has_unspaced_script() -> String {
    let class: String = crate::UNSPACED_SCRIPTS
        .iter()
        .map(|(first, last)| format!("{first}-{last}"))
        .collect();
    format!("(length(CAST(body AS BLOB)) > length(body) AND body GLOB '*[{class}]*')")
}

async fn run(manager: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    for statement in statements {
        connection.execute_unprepared(&statement).await?;
    }
    Ok(())
}

/// Makes `search_grams` anew with the triggers that keep it, holding the documents for which
/// `only_if` holds (all of them without it).
fn rebuild(only_if: Option<&str>) -> Vec<String> {
    let mut statements = sqlite_drop_triggers();
    statements.push("DROP TABLE search_grams".to_owned());
    statements.push(SQLITE_GRAMS_TABLE.to_owned());
    statements.extend(sqlite_backfill("search_grams", only_if));
    statements.extend(sqlite_triggers(only_if));
    statements
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            return Ok(());
        }
        run(manager, rebuild(Some(&has_unspaced_script()))).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            return Ok(());
        }
        run(manager, rebuild(None)).await
    }
}
