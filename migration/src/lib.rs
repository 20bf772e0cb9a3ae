//! The schema's history: one sea-orm-migration file per change, each with `up` and `down`,
//! the same on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_create_content_tables;
mod m20261127_000002_full_text_search;
mod m20261127_000003_create_api_tokens;

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_content_tables::Migration),
            Box::new(m20261127_000002_full_text_search::Migration),
            Box::new(m20261127_000003_create_api_tokens::Migration),
        ]
    }
}
