//! The command line and start-up: `import`, `export`, `migrate` through the real command
//! parser, and `serve --sample-data` twice over one database.

use std::path::PathBuf;

use clap::Parser;
use content_api::cli::{run, Cli};
use content_api::config::Config;
use content_api::startup::Application;

use crate::helpers::{TestDb, SEED_BUNDLE};

/// A fresh folder for files of one test.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("content-api-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A database URL the commands can reopen: the test database on PostgreSQL, a file on
/// SQLite (each connection to `:memory:` is a new empty database).
fn reopenable_url(db: &TestDb, dir: &std::path::Path, name: &str) -> String {
    if db.url.starts_with("postgres") {
        db.url.clone()
    } else {
        format!("sqlite://{}?mode=rwc", dir.join(name).display())
    }
}

fn command(db: &TestDb, args: &[&str]) -> anyhow::Result<()> {
    let cli =
        Cli::try_parse_from(std::iter::once("content-api").chain(args.iter().copied())).unwrap();
    db.run(run(cli))
}

#[test]
fn import_then_export_round_trips_byte_for_byte_through_the_commands() {
    let dir = scratch_dir("round-trip");
    let (first, second) = (TestDb::new(), TestDb::new());
    let (url_a, url_b) = (
        reopenable_url(&first, &dir, "a.db"),
        reopenable_url(&second, &dir, "b.db"),
    );
    let seed = dir.join("seed.json");
    std::fs::write(&seed, SEED_BUNDLE).unwrap();
    let (export_a, export_b) = (dir.join("a.ndjson"), dir.join("b.ndjson"));
    command(
        &first,
        &["import", seed.to_str().unwrap(), "--database-url", &url_a],
    )
    .unwrap();
    command(
        &first,
        &[
            "export",
            export_a.to_str().unwrap(),
            "--database-url",
            &url_a,
        ],
    )
    .unwrap();
    command(
        &second,
        &[
            "import",
            export_a.to_str().unwrap(),
            "--database-url",
            &url_b,
        ],
    )
    .unwrap();
    command(
        &second,
        &[
            "export",
            export_b.to_str().unwrap(),
            "--database-url",
            &url_b,
        ],
    )
    .unwrap();
    let (a, b) = (
        std::fs::read(&export_a).unwrap(),
        std::fs::read(&export_b).unwrap(),
    );
    assert_eq!(
        a.iter().filter(|&&c| c == b'\n').count(),
        18,
        "one line per record"
    );
    assert!(a == b, "the exports differ");
    // Importing the seed again changes nothing.
    command(
        &first,
        &["import", seed.to_str().unwrap(), "--database-url", &url_a],
    )
    .unwrap();
    command(
        &first,
        &[
            "export",
            export_b.to_str().unwrap(),
            "--database-url",
            &url_a,
        ],
    )
    .unwrap();
    assert!(
        std::fs::read(&export_b).unwrap() == a,
        "a second import changed the database"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_file_fails_with_its_line_field_and_cause_and_changes_nothing() {
    let dir = scratch_dir("bad-import");
    let db = TestDb::new();
    let url = reopenable_url(&db, &dir, "c.db");
    let stream = dir.join("bad.ndjson");
    std::fs::write(
        &stream,
        "{\"type\":\"tag\",\"slug\":\"ok\",\"name\":\"OK\"}\n{\"type\":\"article\",\"slug\":\"a\",\"title\":\"A\",\"language\":\"en\",\"tags\":[\"missing\"]}\n",
    )
    .unwrap();
    let error = command(
        &db,
        &["import", stream.to_str().unwrap(), "--database-url", &url],
    )
    .unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("line 2"), "{message}");
    assert!(message.contains("tags[0]"), "{message}");
    assert!(message.contains("missing"), "{message}");
    let export = dir.join("after.ndjson");
    command(
        &db,
        &["export", export.to_str().unwrap(), "--database-url", &url],
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(&export).unwrap(),
        "",
        "the good first line was kept"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migrate_down_and_up_through_the_command() {
    let dir = scratch_dir("migrate");
    let db = TestDb::new();
    let url = reopenable_url(&db, &dir, "m.db");
    command(&db, &["migrate", "up", "--database-url", &url]).unwrap();
    command(&db, &["migrate", "status", "--database-url", &url]).unwrap();
    command(&db, &["migrate", "down", "--database-url", &url]).unwrap();
    command(&db, &["migrate", "up", "--database-url", &url]).unwrap();
    let seed = dir.join("seed.json");
    std::fs::write(&seed, SEED_BUNDLE).unwrap();
    command(
        &db,
        &["import", seed.to_str().unwrap(), "--database-url", &url],
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serving_with_sample_data_twice_changes_nothing() {
    let db = TestDb::new();
    let config = Config {
        sample_data: true,
        ..Config::for_tests(&db.url)
    };
    let export = |db: &TestDb| {
        let mut out = Vec::new();
        db.run(content_api::service::export::export_stream(
            &db.db, &mut out,
        ))
        .unwrap();
        out
    };
    let first = db
        .run(Application::build_with_database(&config, db.served.clone()))
        .unwrap();
    let handle = first.handle();
    db.runtime.spawn(first.run_until_stopped());
    db.run(handle.stop(false));
    let after_first = export(&db);
    assert!(!after_first.is_empty());
    let second = db
        .run(Application::build_with_database(&config, db.served.clone()))
        .unwrap();
    let handle = second.handle();
    db.runtime.spawn(second.run_until_stopped());
    db.run(handle.stop(false));
    assert!(
        export(&db) == after_first,
        "a second start with --sample-data changed the database"
    );
}

#[test]
fn flags_win_over_the_environment_and_defaults_apply() {
    let cli = Cli::try_parse_from(["content-api", "serve"]).unwrap();
    let content_api::cli::Command::Serve(config) = cli.command else {
        panic!("not serve")
    };
    assert_eq!(
        config.bind,
        std::env::var("CONTENT_API_BIND").unwrap_or_else(|_| "127.0.0.1:8000".to_owned())
    );
    let cli = Cli::try_parse_from([
        "content-api",
        "serve",
        "--bind",
        "0.0.0.0:9",
        "--sample-data",
        "--database-url",
        "sqlite::memory:",
    ])
    .unwrap();
    let content_api::cli::Command::Serve(config) = cli.command else {
        panic!("not serve")
    };
    assert_eq!(config.bind, "0.0.0.0:9");
    assert!(config.sample_data);
    assert_eq!(config.database.database_url, "sqlite::memory:");
}

#[test]
fn a_sqlite_file_runs_in_wal_mode_with_foreign_keys_on() {
    use sea_orm::{ConnectionTrait, Statement};
    let dir = scratch_dir("wal");
    let url = format!("sqlite://{}?mode=rwc", dir.join("content.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = content_api::db::connect_and_migrate(&url).await.unwrap();
        let pragma = |name: &'static str| {
            let db = db.clone();
            async move {
                let statement =
                    Statement::from_string(db.get_database_backend(), format!("PRAGMA {name}"));
                let row = db.query_one_raw(statement).await.unwrap().unwrap();
                row.try_get_by_index::<String>(0)
                    .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                    .unwrap()
            }
        };
        assert_eq!(pragma("journal_mode").await, "wal");
        assert_eq!(pragma("foreign_keys").await, "1");
        db.close().await.unwrap();
    });
    assert!(dir.join("content.db").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
