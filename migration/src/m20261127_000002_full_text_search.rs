//! Full-text search: one search document per article, person, meeting and source, kept up to
//! date by triggers on every insert, update and delete (aliases re-index their person).
//! SQLite: two FTS5 tables — stemmed English words (`porter unicode61`) and trigrams for
//! Chinese and other unspaced scripts — keyed by `rowid = id * 8 + kind`. PostgreSQL: one
//! table with a stored `tsvector` (GIN) and a `pg_trgm` GIN index on the text.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What each kind of record contributes to its search document, over the row `x`.
const DOCUMENTS: &[(i64, &str, &str)] = &[
    (
        1,
        "articles",
        "x.title || ' ' || coalesce(x.summary, '') || ' ' || coalesce(x.body, '')",
    ),
    (
        2,
        "people",
        "x.name || ' ' || coalesce(x.native_name, '') || ' ' || coalesce(x.bio, '') || ' ' || \
         coalesce((SELECT STRING_AGG FROM person_aliases a WHERE a.person_id = x.id), '')",
    ),
    (
        3,
        "meetings",
        "x.title || ' ' || coalesce(x.description, '') || ' ' || coalesce(x.location, '') || ' ' || \
         coalesce(x.city, '') || ' ' || coalesce(x.occasion, '')",
    ),
    (
        4,
        "sources",
        "x.name || ' ' || coalesce(x.description, '')",
    ),
];

/// The document expression in the backend's dialect.
fn document(expression: &str, backend: DatabaseBackend) -> String {
    let aggregate = match backend {
        DatabaseBackend::Postgres => "string_agg(a.alias, ' ')",
        _ => "group_concat(a.alias, ' ')",
    };
    expression.replace("STRING_AGG", aggregate)
}

/// Creates SQLite's trigram index.
pub(crate) const SQLITE_GRAMS_TABLE: &str =
    "CREATE VIRTUAL TABLE search_grams USING fts5(body, tokenize = 'trigram')";

fn sqlite_up() -> Vec<String> {
    let mut statements = vec![
        "CREATE VIRTUAL TABLE search_words USING fts5(body, tokenize = 'porter unicode61 remove_diacritics 2')".to_owned(),
        SQLITE_GRAMS_TABLE.to_owned(),
    ];
    statements.extend(sqlite_triggers(None));
    statements
}

/// SQLite's triggers keeping both FTS tables in step with the rows. With `grams_only_if`
/// (a condition on `body`), a document goes into `search_grams` only when it holds.
pub(crate) fn sqlite_triggers(grams_only_if: Option<&str>) -> Vec<String> {
    let mut statements = Vec::new();
    let index = |kind: i64, table: &str, expression: &str, id: &str| {
        let expression = document(expression, DatabaseBackend::Sqlite);
        let select = format!(
            "SELECT x.id * 8 + {kind} AS rowid, {expression} AS body FROM {table} x WHERE x.id = {id}"
        );
        format!(
            "{}; {};",
            sqlite_insert("search_words", &select, None),
            sqlite_insert("search_grams", &select, grams_only_if)
        )
    };
    let forget = |kind: i64, id: &str| {
        format!(
            "DELETE FROM search_words WHERE rowid = {id} * 8 + {kind}; DELETE FROM search_grams WHERE rowid = {id} * 8 + {kind};"
        )
    };
    for (kind, table, expression) in DOCUMENTS {
        statements.push(format!(
            "CREATE TRIGGER search_{table}_insert AFTER INSERT ON {table} BEGIN {} END",
            index(*kind, table, expression, "NEW.id")
        ));
        statements.push(format!(
            "CREATE TRIGGER search_{table}_update AFTER UPDATE ON {table} BEGIN {} {} END",
            forget(*kind, "OLD.id"),
            index(*kind, table, expression, "NEW.id")
        ));
        statements.push(format!(
            "CREATE TRIGGER search_{table}_delete AFTER DELETE ON {table} BEGIN {} END",
            forget(*kind, "OLD.id")
        ));
    }
    let (_, _, person) = DOCUMENTS[1];
    for (event, row) in [("INSERT", "NEW"), ("DELETE", "OLD")] {
        statements.push(format!(
            "CREATE TRIGGER search_person_aliases_{} AFTER {event} ON person_aliases BEGIN {} {} END",
            event.to_lowercase(),
            forget(2, &format!("{row}.person_id")),
            index(2, "people", person, &format!("{row}.person_id"))
        ));
    }
    statements.push(format!(
        "CREATE TRIGGER search_person_aliases_update AFTER UPDATE ON person_aliases BEGIN {} {} {} {} END",
        forget(2, "OLD.person_id"),
        index(2, "people", person, "OLD.person_id"),
        forget(2, "NEW.person_id"),
        index(2, "people", person, "NEW.person_id")
    ));
    statements
}

fn postgres_up() -> Vec<String> {
    let mut statements = vec![
        "CREATE EXTENSION IF NOT EXISTS pg_trgm".to_owned(),
        "CREATE TABLE search_documents (kind smallint NOT NULL, ref bigint NOT NULL, body text NOT NULL, \
         words tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED, PRIMARY KEY (kind, ref))"
            .to_owned(),
        "CREATE INDEX ix_search_documents_words ON search_documents USING gin (words)".to_owned(),
        "CREATE INDEX ix_search_documents_trigrams ON search_documents USING gin (body gin_trgm_ops)".to_owned(),
    ];
    let index = |kind: i64, table: &str, expression: &str, id: &str| {
        let expression = document(expression, DatabaseBackend::Postgres);
        format!(
            "DELETE FROM search_documents WHERE kind = {kind} AND ref = {id}; \
             INSERT INTO search_documents (kind, ref, body) SELECT {kind}, x.id, {expression} FROM {table} x WHERE x.id = {id};"
        )
    };
    for (kind, table, expression) in DOCUMENTS {
        statements.push(format!(
            "CREATE FUNCTION search_index_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF TG_OP = 'DELETE' THEN DELETE FROM search_documents WHERE kind = {kind} AND ref = OLD.id; \
             ELSE {} END IF; RETURN NULL; END $$",
            index(*kind, table, expression, "NEW.id")
        ));
        statements.push(format!(
            "CREATE TRIGGER search_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION search_index_{table}()"
        ));
    }
    let (_, _, person) = DOCUMENTS[1];
    statements.push(format!(
        "CREATE FUNCTION search_index_person_aliases() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         IF TG_OP <> 'INSERT' THEN {} END IF; IF TG_OP <> 'DELETE' THEN {} END IF; RETURN NULL; END $$",
        index(2, "people", person, "OLD.person_id"),
        index(2, "people", person, "NEW.person_id")
    ));
    statements.push(
        "CREATE TRIGGER search_person_aliases AFTER INSERT OR UPDATE OR DELETE ON person_aliases \
         FOR EACH ROW EXECUTE FUNCTION search_index_person_aliases()"
            .to_owned(),
    );
    statements
}

/// Fills the index from rows that exist already.
fn backfill(backend: DatabaseBackend) -> Vec<String> {
    match backend {
        DatabaseBackend::Postgres => DOCUMENTS
            .iter()
            .map(|(kind, table, expression)| {
                let expression = document(expression, backend);
                format!(
                    "INSERT INTO search_documents (kind, ref, body) SELECT {kind}, x.id, {expression} FROM {table} x"
                )
            })
            .collect(),
        _ => ["search_words", "search_grams"]
            .iter()
            .flat_map(|fts| sqlite_backfill(fts, None))
            .collect(),
    }
}

/// Fills the SQLite FTS table `fts` from rows that exist already; with `only_if` (a
/// condition on `body`), only the documents for which it holds.
pub(crate) fn sqlite_backfill(fts: &str, only_if: Option<&str>) -> Vec<String> {
    DOCUMENTS
        .iter()
        .map(|(kind, table, expression)| {
            let expression = document(expression, DatabaseBackend::Sqlite);
            let select =
                format!("SELECT x.id * 8 + {kind} AS rowid, {expression} AS body FROM {table} x");
            sqlite_insert(fts, &select, only_if)
        })
        .collect()
}

/// Inserts into the SQLite FTS table `fts` the documents (`rowid`, `body`) that `select`
/// selects; with `only_if` (a condition on `body`), those for which it holds.
fn sqlite_insert(fts: &str, select: &str, only_if: Option<&str>) -> String {
    match only_if {
        None => format!("INSERT INTO {fts}(rowid, body) {select}"),
        Some(condition) => format!(
            "INSERT INTO {fts}(rowid, body) SELECT rowid, body FROM ({select}) WHERE {condition}"
        ),
    }
}

/// The tables whose triggers keep the index.
fn indexed_tables() -> impl Iterator<Item = &'static str> {
    DOCUMENTS
        .iter()
        .map(|(_, table, _)| *table)
        .chain(["person_aliases"])
}

/// Drops SQLite's triggers of [`sqlite_triggers`].
pub(crate) fn sqlite_drop_triggers() -> Vec<String> {
    indexed_tables()
        .flat_map(|table| {
            ["insert", "update", "delete"]
                .map(|event| format!("DROP TRIGGER IF EXISTS search_{table}_{event}"))
        })
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut statements = match backend {
            DatabaseBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        statements.extend(backfill(backend));
        let connection = manager.get_connection();
        for statement in statements {
            connection.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut statements = match backend {
            DatabaseBackend::Postgres => indexed_tables()
                .flat_map(|table| {
                    [
                        format!("DROP TRIGGER IF EXISTS search_{table} ON {table}"),
                        format!("DROP FUNCTION IF EXISTS search_index_{table}()"),
                    ]
                })
                .collect(),
            _ => sqlite_drop_triggers(),
        };
        match backend {
            DatabaseBackend::Postgres => {
                statements.push("DROP TABLE IF EXISTS search_documents".to_owned())
            }
            _ => {
                statements.push("DROP TABLE IF EXISTS search_words".to_owned());
                statements.push("DROP TABLE IF EXISTS search_grams".to_owned());
            }
        }
        let connection = manager.get_connection();
        for statement in statements {
            connection.execute_unprepared(&statement).await?;
        }
        Ok(())
    }
}
