//! SQLite: the search index stores less, and the same searches find the same documents.
//!
//! * `search_grams`, the trigram index, keeps only the documents that contain a character of
//!   an unspaced script (see [`crate::UNSPACED_SCRIPTS`]). It serves only the parts of a
//!   search written in those scripts (Chinese, Japanese, Korean); every other word is found
//!   through `search_words`. A document with none of their characters can never match such a
//!   part, so indexing its trigrams was work (most of an import's indexing time) and space for
//!   nothing.
//! * `search_words`, the word index, no longer keeps a copy of each document's text
//!   (`content=''`): ranking reads only the index and the documents' sizes, and the text is in
//!   the rows themselves. `contentless_delete=1` lets the triggers delete from it by `rowid`.
//!
//! PostgreSQL, whose one `search_documents` table serves both, is unchanged.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::m20261127_000002_full_text_search::{
    sqlite_backfill, sqlite_drop_triggers, sqlite_triggers, WORDS_TOKENIZER,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The condition on a search document's `body` that puts it into `search_grams`: at least
/// one character of an unspaced script (a GLOB character class of their ranges). Those
/// characters are all beyond ASCII, so text that is ASCII alone (as many bytes as
/// characters) is passed over without the GLOB, which tries the class at every character.
pub(crate) fn has_unspaced_script() -> String {
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            return Ok(());
        }
        let condition = has_unspaced_script();
        let mut statements = sqlite_drop_triggers();
        statements.push("DROP TABLE search_words".to_owned());
        statements.push(format!(
            "CREATE VIRTUAL TABLE search_words USING fts5(body, content = '', contentless_delete = 1, \
             tokenize = {WORDS_TOKENIZER})"
        ));
        statements.extend(sqlite_backfill("search_words"));
        statements.extend(sqlite_triggers(Some(&condition)));
        statements.push(format!("DELETE FROM search_grams WHERE NOT ({condition})"));
        run(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            return Ok(());
        }
        let mut statements = sqlite_drop_triggers();
        statements.push("DROP TABLE search_words".to_owned());
        statements.push(format!(
            "CREATE VIRTUAL TABLE search_words USING fts5(body, tokenize = {WORDS_TOKENIZER})"
        ));
        statements.extend(sqlite_backfill("search_words"));
        statements.extend(sqlite_triggers(None));
        statements.push("DELETE FROM search_grams".to_owned());
        statements.extend(sqlite_backfill("search_grams"));
        run(manager, statements).await
    }
}
