//! The database going away and coming back (PostgreSQL, through a TCP proxy the test cuts
//! and restores): `/ready` says 503 and requests fail with SERVICE_UNAVAILABLE meanwhile, and
//! the server serves again without a restart. On SQLite (a file in the process) there is no
//! database to lose, and the test has nothing to do.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use content_api::config::Config;
use content_api::startup::Application;

use crate::helpers::{code, loaded, TestDb};

/// A TCP proxy to PostgreSQL that can be cut (every connection closed, new ones dropped)
/// and restored.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (accepting, streams) = (up.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if !accepting.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                streams
                    .lock()
                    .unwrap()
                    .extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                pump(client.try_clone().unwrap(), server.try_clone().unwrap());
                pump(server, client);
            }
        });
        Proxy { port, up, open }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(read) => {
                    if to.write_all(&buffer[..read]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

#[test]
fn the_server_rides_out_a_database_outage() {
    let db = loaded(TestDb::new());
    if !db.url.starts_with("postgres") {
        return;
    }
    // postgres://user@host:port/name → the same through the proxy.
    let (prefix, rest) = db.url.split_once('@').unwrap();
    let (host, name) = rest.split_once('/').unwrap();
    let proxy = Proxy::start(host.to_owned());
    let proxied = format!("{prefix}@127.0.0.1:{}/{name}", proxy.port);
    let pool = db
        .run(content_api::db::connect_with(
            &proxied,
            Some(content_api::db::STATEMENT_TIMEOUT),
        ))
        .unwrap();
    let application = db
        .run(Application::build_with_database(
            &Config::for_tests(&proxied),
            content_api::db::Db::new(pool)
                .with_own_readers(&proxied, Some(content_api::db::STATEMENT_TIMEOUT))
                .unwrap(),
        ))
        .unwrap();
    let address = format!("http://127.0.0.1:{}", application.port());
    let handle = application.handle();
    db.runtime.spawn(application.run_until_stopped());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let status = |path: &str| {
        agent
            .get(format!("{address}{path}"))
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    // Plain and filtered: a filter's statements run unnamed (`db::Db`), by another path.
    let lists = [
        r#"{"query":"{ articles(first: 1) { totalCount } }"}"#,
        r#"{"query":"{ articles(first: 1, filter: {title: {contains: \"a\"}}) { totalCount } }"}"#,
    ];
    let ask = |agent: &ureq::Agent, body: &str| -> serde_json::Value {
        let mut answer = agent
            .post(format!("{address}/graphql"))
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap()
    };
    let query = |agent: &ureq::Agent| -> serde_json::Value { ask(agent, lists[0]) };
    assert_eq!(status("/ready"), 200);
    assert!(
        query(&agent)["data"]["articles"]["totalCount"]
            .as_i64()
            .unwrap()
            > 0
    );

    proxy.cut();
    assert_eq!(status("/ready"), 503);
    assert_eq!(status("/health"), 200);
    for body in lists.iter().cycle().take(4) {
        let answer = ask(&agent, body);
        assert_eq!(
            code(&answer["errors"][0]),
            "SERVICE_UNAVAILABLE",
            "{answer}"
        );
    }

    proxy.restore();
    let mut ready = false;
    for _ in 0..100 {
        if status("/ready") == 200 {
            ready = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ready, "not ready again after the database came back");
    for body in lists {
        let answer = ask(&agent, body);
        assert!(
            answer["data"]["articles"]["totalCount"].as_i64().unwrap() > 0,
            "{answer}"
        );
    }
    db.run(handle.stop(false));
}

/// PostgreSQL ending the sessions the server reads on, as a restart does, costs no answer: a
/// read that finds its session ended runs again, and since the other readers are then
/// suspect, each is pinged before it is taken (and replaced if it fails), even within the
/// second in which readers are otherwise taken without a ping. (On SQLite there are no
/// sessions to end.)
#[test]
fn reads_outlive_the_database_ending_their_sessions() {
    let app = crate::helpers::spawn_app();
    if !app.db.url.starts_with("postgres") {
        return;
    }
    let name = app.db.url.rsplit('/').next().unwrap().to_owned();
    // A connection of the test's own, whose session is spared.
    let mut options = sea_orm::ConnectOptions::new(app.db.url.clone());
    options.max_connections(1);
    let admin = app.db.run(sea_orm::Database::connect(options)).unwrap();
    let number = |sql: String| -> i64 {
        use sea_orm::ConnectionTrait;
        app.db
            .run(admin.query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                sql,
            )))
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
    };
    // Page and count: two statements at once.
    let both = "{ articles(first: 3) { totalCount nodes { title } } }";
    // One statement: after its reader fails, the one it takes next is an idle one.
    let one = "{ articles(first: 3) { nodes { title } } }";
    let (expected_both, expected_one) = (app.data(both), app.data(one));
    // The server's own sessions: not the test's, nor PostgreSQL's background workers.
    let sessions = format!(
        "FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid() \
         AND backend_type = 'client backend' AND usename = current_user"
    );
    for _ in 0..3 {
        // Several requests at once leave several readers idle, all used just now. On a busy
        // machine the requests may not overlap: they are sent again until they did.
        let mut warmed = std::time::Instant::now();
        for _ in 0..50 {
            warmed = std::time::Instant::now();
            std::thread::scope(|threads| {
                for _ in 0..4 {
                    threads.spawn(|| app.data(both));
                }
            });
            if number(format!("SELECT count(*) AS n {sessions}")) > 1 {
                break;
            }
        }
        let ended = number(format!(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n {sessions}"
        ));
        assert!(ended > 1, "{ended} sessions ended");
        // The sessions are gone once their backends have exited.
        let mut left = -1;
        for _ in 0..200 {
            left = number(format!("SELECT count(*) AS n {sessions}"));
            if left == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(left, 0, "sessions still there");
        // Within the second, no reader is pinged for being idle: the first try fails on an
        // ended session and the second succeeds (both are counted). Past it (a slow machine)
        // the readers are pinged anyway, and only the answer is checked.
        let unpinged = warmed.elapsed() < Duration::from_millis(900);
        let before = app.db.statements();
        assert_eq!(app.data(one), expected_one);
        if unpinged {
            assert_eq!(
                app.db.statements() - before,
                2,
                "the read was not run again"
            );
        }
        assert_eq!(app.data(both), expected_both);
    }
    app.db.run(admin.close()).unwrap();
}
