//! The one harness of the integration tests: a fresh database per test (SQLite in memory by
//! default, a new PostgreSQL database when `TEST_DATABASE_URL` is set) and `spawn_app()`,
//! the real server on a random port over it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// A fresh, migrated, empty database that is dropped with this value (PostgreSQL).
pub struct TestDb {
    pub url: String,
    pub db: DatabaseConnection,
    pub runtime: tokio::runtime::Runtime,
    admin: Option<(String, String)>,
}

impl TestDb {
    /// Creates the database and migrates it.
    pub fn new() -> TestDb {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime");
        let (url, admin) = match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = unique_name();
                runtime.block_on(async {
                    let admin = Database::connect(admin_url.as_str()).await.expect("connect to TEST_DATABASE_URL");
                    admin
                        .execute_unprepared(&format!("CREATE DATABASE {name}"))
                        .await
                        .expect("create test database");
                    admin.close().await.expect("close admin connection");
                });
                let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin_url);
                (format!("{base}/{name}"), Some((admin_url.clone(), name)))
            }
            _ => ("sqlite::memory:".to_owned(), None),
        };
        let db = runtime
            .block_on(content_api::db::connect_and_migrate(&url))
            .expect("connect and migrate the test database");
        TestDb { url, db, runtime, admin }
    }

    /// Runs a future on this database's runtime.
    pub fn run<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.admin.take() {
            let db = self.db.clone();
            self.runtime.block_on(async move {
                let _ = db.close().await;
                if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    let _ = admin.close().await;
                }
            });
        }
    }
}

/// A database name no other test of any process uses.
fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!(
        "content_api_test_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
