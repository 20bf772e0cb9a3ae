//! The migrations run up and down, on SQLite and on PostgreSQL.

use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;

use crate::helpers::TestDb;

const TABLES: &[&str] = &[
    "sources",
    "tags",
    "people",
    "person_aliases",
    "positions",
    "meetings",
    "meeting_participants",
    "articles",
    "article_tags",
    "article_people",
    "article_meetings",
    "quotes",
];

fn table_exists(db: &TestDb, table: &str) -> bool {
    db.run(
        db.db
            .execute_unprepared(&format!("SELECT COUNT(*) FROM {table}")),
    )
    .is_ok()
}

#[test]
fn migrations_run_down_and_up_again() {
    let db = TestDb::new();
    for table in TABLES {
        assert!(table_exists(&db, table), "{table} after up");
    }
    db.run(Migrator::down(&db.db, None)).unwrap();
    for table in TABLES {
        assert!(!table_exists(&db, table), "{table} after down");
    }
    let pending = db.run(Migrator::get_pending_migrations(&db.db)).unwrap();
    assert_eq!(pending.len(), Migrator::migrations().len());
    db.run(Migrator::up(&db.db, None)).unwrap();
    for table in TABLES {
        assert!(table_exists(&db, table), "{table} after up again");
    }
    assert!(db
        .run(Migrator::get_pending_migrations(&db.db))
        .unwrap()
        .is_empty());
}

#[test]
fn the_schema_enforces_unique_slugs_and_foreign_keys() {
    let db = TestDb::new();
    let now = "'2020-01-01 00:00:00+00:00'";
    let insert = format!(
        "INSERT INTO tags (slug, name, created_at, updated_at) VALUES ('a', 'A', {now}, {now})"
    );
    db.run(db.db.execute_unprepared(&insert)).unwrap();
    assert!(
        db.run(db.db.execute_unprepared(&insert)).is_err(),
        "a duplicate slug was accepted"
    );
    let dangling = "INSERT INTO article_tags (article_id, tag_id) VALUES (12345, 1)";
    assert!(
        db.run(db.db.execute_unprepared(dangling)).is_err(),
        "a dangling foreign key was accepted"
    );
}

#[test]
fn the_sqlite_search_index_is_narrowed_and_widened_with_its_migration() {
    let db = crate::helpers::loaded(TestDb::new());
    if db.db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return;
    }
    let count = |condition: &str| {
        db.number(&format!(
            "SELECT count(*) AS n FROM search_grams WHERE {condition}"
        ))
    };
    let documents: i64 = ["articles", "people", "meetings", "sources"]
        .iter()
        .map(|table| db.number(&format!("SELECT count(*) AS n FROM {table}")))
        .sum();
    let words =
        || db.number("SELECT count(*) AS n FROM search_words WHERE search_words MATCH 'patrushev'");
    let matched = words();
    assert!(matched > 0);
    let narrowed = count("true");
    assert!(0 < narrowed && narrowed < documents);
    let found = count("body LIKE '%金灿荣%'");
    assert!(found > 0);
    // Down one step: every document again.
    db.run(Migrator::down(&db.db, Some(1))).unwrap();
    assert_eq!(count("true"), documents);
    assert_eq!(count("body LIKE '%金灿荣%'"), found);
    assert_eq!(words(), matched);
    db.run(Migrator::up(&db.db, None)).unwrap();
    assert_eq!(count("true"), narrowed);
    assert_eq!(count("body LIKE '%金灿荣%'"), found);
    assert_eq!(words(), matched);
}
