//! The one harness of the integration tests: a fresh database per test (a SQLite file by
//! default, read as the server reads one when serving; a new PostgreSQL database when
//! `TEST_DATABASE_URL` is set) and `spawn_app()`,
//! the real server on a random port over it, loaded with the seed bundle and generated rows.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use content_api::config::Config;
use content_api::db::Db;
use content_api::startup::Application;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{json, Value};

/// A fresh, migrated, empty database that is dropped with this value (PostgreSQL), and a
/// count of the SQL statements run on it (and their text, while recording).
pub struct TestDb {
    pub url: String,
    /// The pool, its statements counted.
    pub db: DatabaseConnection,
    /// The same pool as the server reads through it.
    pub served: Db,
    pub runtime: tokio::runtime::Runtime,
    statements: Arc<AtomicU64>,
    recorded: Arc<Mutex<Option<Vec<String>>>>,
    admin: Option<(String, String)>,
    file: Option<std::path::PathBuf>,
}

impl TestDb {
    /// Creates the database and migrates it: on SQLite a file in WAL mode, with a pool of
    /// connections (so that writers really run side by side) and the readers a serving
    /// server reads on (`db::raw`); removed with this value.
    pub fn new() -> TestDb {
        TestDb::on_disk()
    }

    /// As `new`; the name says what a test relies on.
    pub fn on_disk() -> TestDb {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        TestDb::create(url, Some(path))
    }

    fn create(sqlite_url: String, file: Option<std::path::PathBuf>) -> TestDb {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime");
        let (url, admin) = match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = unique_name();
                runtime.block_on(async {
                    let admin = Database::connect(admin_url.as_str())
                        .await
                        .expect("connect to TEST_DATABASE_URL");
                    admin
                        .execute_unprepared(&format!("CREATE DATABASE {name}"))
                        .await
                        .expect("create test database");
                    admin.close().await.expect("close admin connection");
                });
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .unwrap_or(&admin_url);
                (format!("{base}/{name}"), Some((admin_url.clone(), name)))
            }
            _ => (sqlite_url, None),
        };
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        let recorded: Arc<Mutex<Option<Vec<String>>>> = Arc::default();
        let recorder = recorded.clone();
        let db = runtime.block_on(async {
            let db = content_api::db::connect_and_migrate(&url)
                .await
                .expect("connect to the test database and migrate it");
            let log = std::env::var_os("TEST_LOG_SQL").is_some();
            let db = Db::observed(
                db,
                Arc::new(move |info| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    if let Some(sql) = recorder.lock().unwrap().as_mut() {
                        sql.push(info.statement.sql.clone());
                    }
                    // What the server's own callback does (this one replaces it).
                    content_api::metrics::count_statement();
                    if log {
                        eprintln!("SQL {:?}: {}", info.elapsed, info.statement.sql);
                    }
                }),
            );
            // On disk, the server reads on connections of its own, as it does when serving.
            db.with_own_readers(&url, None)
                .expect("readers on the test database")
        });
        let served = db;
        let db = served.connection().clone();
        TestDb {
            url,
            db,
            served,
            runtime,
            statements,
            recorded,
            admin,
            file,
        }
    }

    /// Runs a future on this database's runtime.
    pub fn run<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The one integer `n` that `sql` selects (`SELECT count(*) AS n ...`).
    pub fn number(&self, sql: &str) -> i64 {
        use sea_orm::ConnectionTrait;
        let backend = self.db.get_database_backend();
        self.run(
            self.db
                .query_one_raw(sea_orm::Statement::from_string(backend, sql.to_owned())),
        )
        .expect("the statement runs")
        .expect("a row")
        .try_get::<i64>("", "n")
        .expect("an integer n")
    }

    /// How many SQL statements have run on this database so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::SeqCst)
    }

    /// Starts (`true`) or stops recording the text of the statements run; stopping returns
    /// what was recorded.
    fn record(&self, on: bool) -> Vec<String> {
        let mut recorded = self.recorded.lock().unwrap();
        let sql = recorded.take().unwrap_or_default();
        if on {
            *recorded = Some(Vec::new());
        }
        sql
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // The served handle: the pool and the readers it opened.
        let db = self.served.clone();
        self.runtime.block_on(async move {
            let _ = db.close().await;
        });
        if let Some(path) = self.file.take() {
            for suffix in ["", "-wal", "-shm"] {
                let mut name = path.clone().into_os_string();
                name.push(suffix);
                let _ = std::fs::remove_file(name);
            }
        }
        if let Some((admin_url, name)) = self.admin.take() {
            self.runtime.block_on(async move {
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
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "content_api_test_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The seed bundle the server ships as sample data.
pub const SEED_BUNDLE: &[u8] = include_bytes!("../../../api/data/seed-bundle.json");

/// How many generated articles `spawn_app` adds, all published.
pub const GENERATED_ARTICLES: usize = 120;
/// How many generated people `spawn_app` adds.
pub const GENERATED_PEOPLE: usize = 30;
/// How many generated meetings `spawn_app` adds.
pub const GENERATED_MEETINGS: usize = 12;
/// Generated published articles with no publication time (they sort last).
pub const UNDATED_ARTICLES: usize = 3;
/// Published articles in the seed bundle.
pub const SEED_ARTICLES: usize = 6;
/// Every article an anonymous client sees.
pub const VISIBLE_ARTICLES: usize = SEED_ARTICLES + GENERATED_ARTICLES + UNDATED_ARTICLES;

/// Rows added on top of the seed bundle: a news agency, people, meetings, many published
/// articles (several sharing a publication time, to exercise the id tie-break) and drafts
/// that link to everything and must never be seen by an anonymous client.
pub fn generated_bundle() -> Value {
    let people: Vec<Value> = (0..GENERATED_PEOPLE)
        .map(|i| {
            json!({
                "slug": format!("person-{i:02}"),
                "name": format!("Person {:02}", (i * 7) % GENERATED_PEOPLE),
                "country": if i % 2 == 0 { "CN" } else { "RU" },
                "aliases": [format!("P{i}")],
                "positions": [{"title": format!("Official {i}"), "organization": "Ministry"}],
            })
        })
        .collect();
    let meetings: Vec<Value> = (0..GENERATED_MEETINGS)
        .map(|i| {
            json!({
                "slug": format!("meeting-{i:02}"),
                // Titles repeat, so orderings that start with the title need their next key.
                "title": format!("Meeting {:02}", i % 4),
                "heldOn": format!("2020-{:02}-{:02}", 1 + i % 12, 1 + (i * 3) % 28),
                "city": "Beijing",
                "participants": [
                    {"person": "xi-jinping", "role": "HOST"},
                    {"person": format!("person-{:02}", i % GENERATED_PEOPLE), "role": "GUEST"},
                    {"person": format!("person-{:02}", (i + 1) % GENERATED_PEOPLE), "role": "ATTENDEE"},
                ],
            })
        })
        .collect();
    let mut articles: Vec<Value> = (0..GENERATED_ARTICLES)
        .map(|i| {
            json!({
                "slug": format!("generated-{i:03}"),
                "title": format!("Generated article {:03}", (i * 37) % GENERATED_ARTICLES),
                "language": "en",
                "status": "PUBLISHED",
                // Every third article shares its time with the next one.
                "publishedAt": format!("2021-01-01T{:02}:{:02}:00Z", (i / 3) / 60 % 24, (i / 3) % 60),
                "source": "test-agency",
                "tags": ["jinghua-jingxuan"],
                "people": [format!("person-{:02}", i % GENERATED_PEOPLE), format!("person-{:02}", (i + 1) % GENERATED_PEOPLE), "xi-jinping"],
                "meetings": [format!("meeting-{:02}", i % GENERATED_MEETINGS)],
                "quotes": [{"person": format!("person-{:02}", i % GENERATED_PEOPLE), "meeting": format!("meeting-{:02}", i % GENERATED_MEETINGS), "verb": "said", "text": format!("Quote {i}")}],
            })
        })
        .collect();
    for i in 0..UNDATED_ARTICLES {
        articles.push(json!({
            "slug": format!("undated-{i}"),
            "title": format!("Undated {i}"),
            "language": "en",
            "status": "PUBLISHED",
        }));
    }
    for i in 0..2 {
        articles.push(json!({
            "slug": format!("secret-draft-{i}"),
            "title": format!("SECRET DRAFT {i}"),
            "language": "en",
            "status": "DRAFT",
            "publishedAt": if i == 0 { json!("2030-01-01T00:00:00Z") } else { Value::Null },
            "source": "consulate-general-prc",
            "tags": ["jinghua-jingxuan", "jingxuan-jinghua"],
            "people": ["xi-jinping", "nikolai-patrushev", "person-00"],
            "meetings": ["xi-jinping-nikolai-patrushev-2019-12-02", "meeting-00"],
            "quotes": [{"person": "xi-jinping", "meeting": "xi-jinping-nikolai-patrushev-2019-12-02", "text": format!("SECRET QUOTE {i}")}],
        }));
    }
    articles.push(json!({
        "slug": "archived-piece",
        "title": "SECRET ARCHIVED",
        "language": "en",
        "status": "ARCHIVED",
        "publishedAt": "2018-01-01T00:00:00Z",
        "people": ["xi-jinping"],
        "quotes": [{"person": "xi-jinping", "text": "SECRET ARCHIVED QUOTE"}],
    }));
    for article in &mut articles {
        if article["publishedAt"].is_null() {
            article.as_object_mut().map(|a| a.remove("publishedAt"));
        }
    }
    json!({
        "sources": [{"slug": "test-agency", "name": "Test Agency", "kind": "NEWS_AGENCY", "url": "https://agency.example"}],
        "people": people,
        "meetings": meetings,
        "articles": articles,
    })
}

/// A new token of `role` for `app`'s database, made through the service layer.
pub fn token(app: &TestApp, role: entity::Role) -> String {
    app.db
        .run(content_api::service::token::create(
            &app.db.db, "test", role,
        ))
        .expect("create a token")
        .1
}

/// `POST /graphql` as the holder of `token`: the whole answer, which must be a 200.
pub fn as_holder(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = json!({"query": query, "variables": variables}).to_string();
    let bearer = format!("Bearer {token}");
    let answer = app.post("/graphql", &body, &[("authorization", &bearer)]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

/// The `data` of an answer for `token` that must have no errors.
pub fn data_as(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let answer = as_holder(app, token, query, variables);
    assert!(
        answer.get("errors").is_none(),
        "unexpected errors: {answer:#}"
    );
    answer["data"].clone()
}

/// The real server on a random port over a fresh database.
pub struct TestApp {
    pub address: String,
    pub db: TestDb,
    handle: actix_web::dev::ServerHandle,
}

/// Starts the server over a fresh database loaded with the seed bundle and
/// [`generated_bundle`].
pub fn spawn_app() -> TestApp {
    spawn_app_over(loaded(TestDb::new()))
}

/// `db` loaded with the seed bundle and [`generated_bundle`].
pub fn loaded(db: TestDb) -> TestDb {
    db.run(async {
        content_api::service::import::import_bundle(&db.db, SEED_BUNDLE)
            .await
            .expect("import the seed bundle");
        let generated = serde_json::to_vec(&generated_bundle()).expect("generated bundle");
        content_api::service::import::import_bundle(&db.db, &generated)
            .await
            .expect("import the generated rows");
    });
    db
}

/// Starts the server over `db` as it is.
pub fn spawn_app_over(db: TestDb) -> TestApp {
    spawn_app_configured(db, |_| {})
}

/// Starts the server over `db` with the tests' config changed by `configure`.
pub fn spawn_app_configured(db: TestDb, configure: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config::for_tests(&db.url);
    configure(&mut config);
    let application = db
        .run(Application::build_with_database(&config, db.served.clone()))
        .expect("start the server");
    let address = format!("http://127.0.0.1:{}", application.port());
    let handle = application.handle();
    db.runtime.spawn(application.run_until_stopped());
    TestApp {
        address,
        db,
        handle,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.db.run(self.handle.stop(false));
    }
}

/// An HTTP answer: status, content type and body.
pub struct HttpAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl HttpAnswer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> HttpAnswer {
    let mut response = response.expect("HTTP request");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    HttpAnswer {
        status,
        content_type,
        body,
    }
}

impl TestApp {
    /// `POST /graphql` with `query` and `variables`; the whole JSON answer.
    pub fn graphql(&self, query: &str, variables: Value) -> Value {
        let body = json!({"query": query, "variables": variables});
        let answer = self.post("/graphql", &body.to_string(), &[]);
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()
    }

    /// `POST /graphql` with no variables; the `data` of an answer that must have no errors.
    pub fn data(&self, query: &str) -> Value {
        self.data_with(query, json!({}))
    }

    /// `POST /graphql`; the `data` of an answer that must have no errors.
    pub fn data_with(&self, query: &str, variables: Value) -> Value {
        let answer = self.graphql(query, variables);
        assert!(
            answer.get("errors").is_none(),
            "unexpected errors: {answer:#}"
        );
        answer["data"].clone()
    }

    /// `POST /graphql`; the errors of an answer that must have some.
    pub fn errors(&self, query: &str, variables: Value) -> Vec<Value> {
        let answer = self.graphql(query, variables);
        answer["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("expected errors: {answer:#}"))
            .clone()
    }

    /// A raw POST.
    pub fn post(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> HttpAnswer {
        let mut request = agent()
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(request.send(body))
    }

    /// A raw GET.
    pub fn get(&self, path: &str) -> HttpAnswer {
        answer(agent().get(format!("{}{path}", self.address)).call())
    }

    /// Runs `query` and returns its `data` and how many SQL statements it ran.
    pub fn count_statements(&self, query: &str) -> (Value, u64) {
        let before = self.db.statements();
        let data = self.data(query);
        (data, self.db.statements() - before)
    }

    /// Runs `query` and returns its `data` and the SQL text of the statements it ran.
    pub fn statements_of(&self, query: &str) -> (Value, Vec<String>) {
        self.db.record(true);
        let data = self.data(query);
        (data, self.db.record(false))
    }
}

/// The `extensions.code` of an error.
pub fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or("")
}
