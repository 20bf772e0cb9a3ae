//! The schema's history: one sea-orm-migration file per change, each with `up` and `down`,
//! the same on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_create_content_tables;
mod m20261127_000002_full_text_search;
mod m20261127_000003_create_api_tokens;
mod m20261128_000004_leaner_sqlite_search_index;

/// The characters of Chinese, Japanese kana and Korean Hangul, as ranges. A search treats
/// them as an unspaced script: text in them is found by substring, through SQLite's trigram
/// index, which holds only the documents that contain one of them; every other word is found
/// by the word index. The search's parser and that index must agree, so both read this list.
/// Changing it needs a new migration that rebuilds `search_grams` on SQLite (migration 4 reads
/// it too, so it would also change what that migration builds on a new database).
pub const UNSPACED_SCRIPTS: &[(char, char)] = &[
    ('\u{3040}', '\u{30FF}'),   // Hiragana, Katakana
    ('\u{3400}', '\u{4DBF}'),   // CJK Extension A
    ('\u{4E00}', '\u{9FFF}'),   // CJK Unified Ideographs
    ('\u{AC00}', '\u{D7AF}'),   // Hangul
    ('\u{F900}', '\u{FAFF}'),   // CJK Compatibility Ideographs
    ('\u{20000}', '\u{2FA1F}'), // CJK Extensions B and beyond
];

/// Whether `c` is in one of [`UNSPACED_SCRIPTS`].
pub fn unspaced(c: char) -> bool {
    UNSPACED_SCRIPTS
        .iter()
        .any(|(first, last)| (*first..=*last).contains(&c))
}

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_content_tables::Migration),
            Box::new(m20261127_000002_full_text_search::Migration),
            Box::new(m20261127_000003_create_api_tokens::Migration),
            Box::new(m20261128_000004_leaner_sqlite_search_index::Migration),
        ]
    }
}
