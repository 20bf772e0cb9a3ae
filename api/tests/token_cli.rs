//! `content-api token create | list | revoke` through the real binary, against the real
//! server binary: the token is printed once, listed without its secret, works on a request,
//! and is refused from the request after `revoke`. SQLite (a file) by default; a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};

const BIN: &str = env!("CARGO_BIN_EXE_content-api");

/// A database the commands can all open, and how to clean it up.
struct Scratch {
    url: String,
    admin: Option<(String, String)>,
    file: Option<std::path::PathBuf>,
}

impl Scratch {
    fn new() -> Scratch {
        let name = format!("content_api_token_cli_{}", std::process::id());
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => {
                runtime().block_on(async {
                    let db = Database::connect(admin.as_str()).await.unwrap();
                    db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .unwrap();
                    db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                        .await
                        .unwrap();
                });
                let base = admin
                    .rsplit_once('/')
                    .map_or(admin.as_str(), |(base, _)| base);
                Scratch {
                    url: format!("{base}/{name}"),
                    admin: Some((admin.clone(), name)),
                    file: None,
                }
            }
            _ => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                let _ = std::fs::remove_file(&path);
                Scratch {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    admin: None,
                    file: Some(path),
                }
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.admin.take() {
            runtime().block_on(async {
                if let Ok(db) = Database::connect(admin.as_str()).await {
                    let _ = db
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        }
        if let Some(path) = self.file.take() {
            for suffix in ["", "-wal", "-shm"] {
                let mut name = path.clone().into_os_string();
                name.push(suffix);
                let _ = std::fs::remove_file(name);
            }
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Runs the binary; its standard output, after checking it succeeded.
fn content_api(url: &str, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(args)
        .args(["--database-url", url])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The server binary on a free port; killed when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(url: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            url,
        ])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || for _ in BufReader::new(stderr).lines() {});
    let server = Server {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if ureq::get(format!("{}/health", server.address))
            .call()
            .is_ok()
        {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the server did not start");
}

/// `POST /graphql` with `token`: status and body.
fn request(server: &Server, token: &str, query: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let body = format!("{{\"query\": {query:?}}}");
    let mut response = agent
        .post(format!("{}/graphql", server.address))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .send(body)
        .unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

#[test]
fn tokens_are_made_listed_used_and_revoked_through_the_binary() {
    let scratch = Scratch::new();
    let url = scratch.url.as_str();
    let token = content_api(
        url,
        &[
            "token",
            "create",
            "--role",
            "editor",
            "--name",
            "newsroom importer",
        ],
    );
    let token = token.trim();
    assert!(token.starts_with("cat_") && token.len() == 68, "{token}");
    let admin = content_api(
        url,
        &["token", "create", "--role", "admin", "--name", "ops"],
    );
    assert_ne!(admin.trim(), token);

    let listed = content_api(url, &["token", "list"]);
    assert!(
        listed.contains("newsroom importer") && listed.contains("EDITOR"),
        "{listed}"
    );
    assert!(
        listed.contains("ops") && listed.contains("ADMIN"),
        "{listed}"
    );
    assert!(
        !listed.contains(token) && !listed.contains(&token[4..]),
        "a token leaked: {listed}"
    );
    let id = listed
        .lines()
        .find(|line| line.contains("newsroom importer"))
        .and_then(|line| line.split('\t').next())
        .unwrap()
        .to_owned();

    let server = serve(url);
    let create = "mutation { createTag(input: {name: \"From the CLI\"}) { slug } }";
    let (status, body) = request(&server, token, create);
    assert_eq!(status, 200);
    assert!(body.contains("\"slug\":\"from-the-cli\""), "{body}");
    let used = content_api(url, &["token", "list"]);
    let line = used
        .lines()
        .find(|line| line.contains("newsroom importer"))
        .unwrap();
    assert_ne!(
        line.split('\t').nth(4),
        Some("-"),
        "last used not written: {line}"
    );

    content_api(url, &["token", "revoke", &id]);
    let (status, body) = request(&server, token, "{ tags { totalCount } }");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("UNAUTHENTICATED"), "{body}");
    let revoked = content_api(url, &["token", "list"]);
    let line = revoked
        .lines()
        .find(|line| line.contains("newsroom importer"))
        .unwrap();
    assert_ne!(
        line.split('\t').nth(5),
        Some("-"),
        "not shown as revoked: {line}"
    );
    // The other token still works.
    let (status, _) = request(&server, admin.trim(), "{ tags { totalCount } }");
    assert_eq!(status, 200);
}
