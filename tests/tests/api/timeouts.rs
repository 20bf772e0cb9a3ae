//! Requests and statements that run out of time: the request is answered
//! `SERVICE_UNAVAILABLE` and the statement behind it is stopped in the database rather than
//! left running, holding a connection.
//!
//! The slow statement is a filter through article → person → meeting → participant →
//! article → person, with a name that matches nobody. The database matches each related set
//! once per statement, but the people who appear in an article that mentions someone named
//! so must still be found by looking at every article of every person and every person of
//! each of those articles: with 930 people, each mentioned in every article and taking part
//! in every meeting, that is about 10^8 probes, far longer than the limits here on either
//! database.

use std::time::{Duration, Instant};

use content_api::config::Config;
use content_api::startup::Application;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::Value;

use crate::helpers::{code, loaded, TestDb};

const SLOW: &str = r#"{ articles(first: 1, filter: {person: {meeting: {participant: {article: {person: {name: {contains: "nobody has this name"}}}}}}}) { totalCount } }"#;

/// 900 more people (930 in all), everyone mentioned in every article and taking part in every
/// meeting.
async fn make_everything_connected(db: &DatabaseConnection) {
    for statement in [
        "INSERT INTO people (slug, name, created_at, updated_at) \
         SELECT 'many-' || a.id || '-' || b.id, 'Many ' || a.id || ' ' || b.id, a.created_at, a.updated_at \
         FROM people a CROSS JOIN people b WHERE a.slug NOT LIKE 'many-%' AND b.slug NOT LIKE 'many-%'",
        "INSERT INTO article_people (article_id, person_id) \
         SELECT a.id, p.id FROM articles a CROSS JOIN people p WHERE NOT EXISTS \
         (SELECT 1 FROM article_people x WHERE x.article_id = a.id AND x.person_id = p.id)",
        "INSERT INTO meeting_participants (meeting_id, person_id, role) \
         SELECT m.id, p.id, 'ATTENDEE' FROM meetings m CROSS JOIN people p WHERE NOT EXISTS \
         (SELECT 1 FROM meeting_participants x WHERE x.meeting_id = m.id AND x.person_id = p.id)",
    ] {
        db.execute_unprepared(statement).await.unwrap();
    }
}

/// A server over `db` (made slow) whose own pool has `statement_timeout`, with requests
/// limited to `request_timeout`.
struct SlowApp {
    address: String,
    db: TestDb,
    handle: actix_web::dev::ServerHandle,
}

impl SlowApp {
    fn start(request_timeout: f64, statement_timeout: f64) -> SlowApp {
        // On disk, so that the server's own pool (with its statement timeout) opens the same
        // SQLite database as the test's.
        let db = loaded(TestDb::on_disk());
        db.run(make_everything_connected(&db.db));
        let mut config = Config::for_tests(&db.url);
        config.request_timeout_seconds = request_timeout;
        config.statement_timeout_seconds = statement_timeout;
        let pool = db
            .run(content_api::db::connect_with(
                &db.url,
                Some(config.statement_timeout()),
            ))
            .unwrap();
        let application = db
            .run(Application::build_with_database(
                &config,
                content_api::db::Db::new(pool)
                    .with_own_readers(&db.url, Some(config.statement_timeout()))
                    .unwrap(),
            ))
            .unwrap();
        let address = format!("http://127.0.0.1:{}", application.port());
        let handle = application.handle();
        db.runtime.spawn(application.run_until_stopped());
        SlowApp {
            address,
            db,
            handle,
        }
    }

    /// Status and body of `query` posted to `/graphql`.
    fn post(&self, query: &str) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let body = serde_json::json!({ "query": query }).to_string();
        let mut answer = agent
            .post(format!("{}/graphql", self.address))
            .header("content-type", "application/json")
            .send(body.as_str())
            .unwrap();
        let status = answer.status().as_u16();
        let text = answer.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap())
    }

    /// The server's pool connections in use, from `/metrics`.
    fn connections_in_use(&self) -> u64 {
        let mut answer = ureq::get(format!("{}/metrics", self.address))
            .call()
            .unwrap();
        let text = answer.body_mut().read_to_string().unwrap();
        text.lines()
            .find_map(|line| {
                line.strip_prefix("content_api_db_pool_connections{state=\"in_use\"} ")
            })
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Waits (up to `limit`) until the server's pool has no connection in use; whether it
    /// came to that. A connection whose statement still runs stays in use.
    fn pool_settles_within(&self, limit: Duration) -> bool {
        comes_within(limit, || self.connections_in_use() == 0)
    }

    /// On PostgreSQL, whether no statement of another session on this database runs a
    /// filter over `meeting_participants` (the slow one) any more, within `limit`. A session
    /// shows as active until it has read the `Sync` behind its failed statement, which can be
    /// a moment after the error has reached the server and its reader has gone back.
    fn slow_statements_stop_within(&self, limit: Duration) -> bool {
        comes_within(limit, || self.slow_statements_running() == 0)
    }

    /// On PostgreSQL, how many statements of other sessions on this database are running a
    /// filter over `meeting_participants` (the slow one).
    fn slow_statements_running(&self) -> i64 {
        let row = self
            .db
            .run(self.db.db.query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT count(*) AS running FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid() \
                 AND backend_type = 'client backend' \
                 AND state = 'active' AND query LIKE '%meeting_participants%'",
            )))
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "running").unwrap()
    }
}

/// Whether `condition` holds within `limit`, looked at every 20 ms.
fn comes_within(limit: Duration, condition: impl Fn() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

impl Drop for SlowApp {
    fn drop(&mut self) {
        self.db.run(self.handle.stop(false));
    }
}

#[test]
fn a_statement_past_the_statement_timeout_is_stopped_by_the_database() {
    let app = SlowApp::start(120.0, 0.5);
    let started = Instant::now();
    let (status, answer) = app.post(SLOW);
    let took = started.elapsed();
    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(code(&errors[0]), "SERVICE_UNAVAILABLE", "{answer}");
    assert_eq!(
        errors[0]["message"],
        "the request took too long and was stopped"
    );
    // Neither the statement nor the database leaks through.
    assert!(!answer.to_string().contains("SELECT"), "{answer}");
    // The request ran and ended in an execution error: 200, as GraphQL over HTTP says.
    assert_eq!(status, 200, "{answer}");
    // It was the database, not the 120 s request timeout, that ended it.
    assert!(took < Duration::from_secs(60), "{took:?}");
    assert!(app.pool_settles_within(Duration::from_secs(10)));
    if app.db.url.starts_with("postgres") {
        assert!(app.slow_statements_stop_within(Duration::from_secs(1)));
    }
    // The server is well and answers the next request.
    let (status, answer) = app.post("{ articles(first: 1) { totalCount } }");
    assert_eq!(status, 200, "{answer}");
    assert!(answer["data"]["articles"]["totalCount"].as_i64().unwrap() > 0);
}

#[test]
fn a_request_past_its_deadline_stops_its_statement() {
    // The statement timeout is far off: on SQLite what stops the statement is the request's
    // deadline; PostgreSQL stops it at its statement timeout, here 2 s.
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty());
    let app = SlowApp::start(0.5, if postgres { 2.0 } else { 600.0 });
    // Three at once: the pool opens new connections for two of them, and those are limited
    // as much as the one it already had.
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let requests: Vec<_> = (0..3).map(|_| scope.spawn(|| app.post(SLOW))).collect();
        requests.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for (status, answer) in answers {
        assert_eq!(status, 503, "{answer}");
        assert_eq!(code(&answer["errors"][0]), "SERVICE_UNAVAILABLE");
        assert!(answer.get("data").is_none_or(Value::is_null), "{answer}");
    }
    // The abandoned statement no longer holds its connection (it would for minutes).
    assert!(app.pool_settles_within(Duration::from_secs(15)));
    if postgres {
        assert!(app.slow_statements_stop_within(Duration::from_secs(1)));
    }
    let (status, answer) = app.post("{ articles(first: 1) { totalCount } }");
    assert_eq!(status, 200, "{answer}");
}

#[test]
fn a_mutation_past_its_deadline_rolls_back_rather_than_commits() {
    use content_api::service::edit::tag::{create, TagChanges};
    use content_api::service::edit::Change;
    let db = TestDb::new();
    let tag = |name: &str| TagChanges {
        name: Change::Set(name.to_owned()),
        ..TagChanges::default()
    };
    let tags = || {
        db.run(db.db.query_one_raw(sea_orm::Statement::from_string(
            db.db.get_database_backend(),
            "SELECT count(*) AS n FROM tags",
        )))
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
    };
    // Its request ran out of time (its client was told so) before the commit.
    let passed = Instant::now();
    let late = db.run(content_api::db::within_deadline(
        passed,
        create(&db.db, tag("Too late")),
    ));
    let error = late.unwrap_err();
    assert_eq!(error.code(), "SERVICE_UNAVAILABLE");
    assert_eq!(tags(), 0);
    // In time, the same mutation lands.
    let ahead = Instant::now() + Duration::from_secs(60);
    let made = db.run(content_api::db::within_deadline(
        ahead,
        create(&db.db, tag("In time")),
    ));
    assert_eq!(made.unwrap().name, "In time");
    assert_eq!(tags(), 1);
}
