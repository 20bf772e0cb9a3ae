//! The real binary's life: JSON logs with request ids and never a variable or a token, and a
//! graceful stop on SIGTERM that finishes the request in flight and exits 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_content-api");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Reads a whole HTTP answer off `stream`: its status and text.
fn read_answer(stream: &mut TcpStream) -> (u16, String) {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[cfg(unix)]
#[test]
fn logs_are_json_and_sigterm_finishes_the_request_in_flight() {
    let dir = std::env::temp_dir().join(format!("content-api-lifecycle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("life.db").display());
    let port = free_port();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--sample-data",
            "--log-format",
            "json",
            "--drain-delay-seconds",
            "2",
            "--slow-request-ms",
            "0",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &url,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let address = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(&address).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    // A request with a secret in its variables and a token-like header.
    let body = r#"{"query":"query Look($q: String!) { search(query: $q) { totalCount } }","variables":{"q":"SECRET-VARIABLE"}}"#;
    let mut stream = TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Request-Id: life-1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let (status, _) = read_answer(&mut stream);
    assert_eq!(status, 200);

    // A request in flight: headers and half the body sent, then SIGTERM, then the rest.
    let body = r#"{"query":"{ articles(first: 2) { nodes { title } } }"}"#;
    let (first, rest) = body.split_at(10);
    let mut in_flight = TcpStream::connect(&address).unwrap();
    write!(
        in_flight,
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    in_flight.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(500));
    // Draining: still serving, but not ready.
    let get = |path: &str| {
        let mut stream = TcpStream::connect(&address).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        read_answer(&mut stream).0
    };
    assert_eq!(get("/ready"), 503);
    assert_eq!(get("/health"), 200);
    // Past the delay the server no longer accepts connections, and waits for this one.
    std::thread::sleep(Duration::from_millis(2_500));
    assert!(
        TcpStream::connect(&address).is_err(),
        "still accepting after the delay"
    );
    in_flight.write_all(rest.as_bytes()).unwrap();
    let (status, text) = read_answer(&mut in_flight);
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"nodes\""), "{text}");

    // It exits 0 by itself, and no longer accepts connections.
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    assert!(TcpStream::connect(&address).is_err());

    let logged: Vec<String> = lines.try_iter().collect();
    let all = logged.join("\n");
    assert!(
        !all.contains("SECRET-VARIABLE"),
        "a variable reached the log:\n{all}"
    );
    let request = logged
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["request_id"] == "life-1" && line["message"] == "request")
        .unwrap_or_else(|| panic!("no JSON line for life-1:\n{all}"));
    assert_eq!(request["operation"], "Look");
    assert_eq!(request["status"], 200);
    assert_eq!(request["path"], "/graphql");
    assert!(request["duration_ms"].is_number());
    for line in &logged {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON: {line}"
        );
    }
    assert!(all.contains("stopped"), "{all}");
    // Every request is slow at a 0 ms threshold: logged again with its document only.
    let slow = logged
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["message"] == "slow request" && line["operation"] == "Look")
        .unwrap_or_else(|| panic!("no slow-request line:\n{all}"));
    assert!(
        slow["query"]
            .as_str()
            .unwrap()
            .contains("search(query: $q)"),
        "{slow}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
