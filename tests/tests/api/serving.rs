//! Serving on the open internet: GraphQL over HTTP (media types, methods, status codes), the
//! limits checked before a query runs, and the server staying healthy after each refusal.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{code, loaded, spawn_app, spawn_app_configured, TestApp, TestDb};

/// An HTTP answer read off the wire.
struct Raw {
    status: u16,
    headers: String,
    body: String,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}

/// Sends `head` (request line and headers, without the blank line) and `body` as they are,
/// on a new connection, and reads the whole answer.
fn raw(app: &TestApp, head: &str, body: &[u8]) -> Raw {
    let address = app.address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!("{head}\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    // The server may answer (413) and close before it has read the whole body.
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let split = answer
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap_or(answer.len());
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let body = answer.get(split + 4..).unwrap_or_default();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        unchunk(body)
    } else {
        body.to_vec()
    };
    Raw {
        status,
        headers: head,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn unchunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|window| window == b"\r\n") {
        let size = std::str::from_utf8(&body[..end])
            .ok()
            .and_then(|size| usize::from_str_radix(size.trim(), 16).ok())
            .unwrap_or(0);
        let rest = &body[end + 2..];
        if size == 0 || rest.len() < size {
            break;
        }
        out.extend_from_slice(&rest[..size]);
        body = rest[size..].strip_prefix(b"\r\n").unwrap_or(&rest[size..]);
    }
    out
}

/// A POST of `body` with these extra header lines.
fn post(app: &TestApp, body: &str, headers: &[&str]) -> Raw {
    let mut head = format!("POST /graphql HTTP/1.1\r\nContent-Length: {}", body.len());
    for header in headers {
        head.push_str("\r\n");
        head.push_str(header);
    }
    raw(app, &head, body.as_bytes())
}

fn get(app: &TestApp, path_and_query: &str, headers: &[&str]) -> Raw {
    let mut head = format!("GET {path_and_query} HTTP/1.1");
    for header in headers {
        head.push_str("\r\n");
        head.push_str(header);
    }
    raw(app, &head, b"")
}

fn query_body(query: &str) -> String {
    json!({ "query": query }).to_string()
}

const JSON: &str = "Content-Type: application/json";
const SIMPLE: &str = "{ articles(first: 1) { totalCount } }";

/// The server answers a normal query at once.
fn healthy(app: &TestApp) {
    let answer = post(app, &query_body(SIMPLE), &[JSON]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.json()["data"]["articles"]["totalCount"]
            .as_i64()
            .unwrap()
            > 0
    );
}

#[test]
fn only_json_bodies_are_run() {
    let app = spawn_app();
    let body = query_body(SIMPLE);
    for content_type in [
        Some("Content-Type: text/plain"),
        Some("Content-Type: application/x-www-form-urlencoded"),
        Some("Content-Type: multipart/form-data; boundary=x"),
        Some("Content-Type: application/graphql"),
        None,
    ] {
        let headers: Vec<&str> = content_type.into_iter().collect();
        let answer = post(&app, &body, &headers);
        assert_eq!(answer.status, 415, "{content_type:?}: {}", answer.body);
    }
    let answer = post(
        &app,
        &body,
        &["Content-Type: application/json; charset=utf-8"],
    );
    assert_eq!(answer.status, 200);
}

#[test]
fn answers_are_negotiated() {
    let app = spawn_app();
    let body = query_body(SIMPLE);
    let modern = post(
        &app,
        &body,
        &[JSON, "Accept: application/graphql-response+json"],
    );
    assert_eq!(modern.status, 200);
    assert!(modern
        .header("content-type")
        .unwrap()
        .starts_with("application/graphql-response+json"));
    let legacy = post(&app, &body, &[JSON, "Accept: application/json"]);
    assert!(legacy
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let none = post(&app, &body, &[JSON]);
    assert!(none
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let both = post(
        &app,
        &body,
        &[
            JSON,
            "Accept: application/json;q=0.9, application/graphql-response+json",
        ],
    );
    assert!(both
        .header("content-type")
        .unwrap()
        .starts_with("application/graphql-response+json"));
    let refused = post(&app, &body, &[JSON, "Accept: text/html"]);
    assert_eq!(refused.status, 406);
    let refused = get(
        &app,
        "/graphql?query=%7B__typename%7D",
        &["Accept: application/xml"],
    );
    assert_eq!(refused.status, 406);
    // What did not run is a 400 for the modern type, a 200 for legacy clients.
    let invalid = query_body("{ nope }");
    let modern = post(
        &app,
        &invalid,
        &[JSON, "Accept: application/graphql-response+json"],
    );
    assert_eq!(modern.status, 400);
    let legacy = post(&app, &invalid, &[JSON, "Accept: application/json"]);
    assert_eq!(legacy.status, 200);
    assert_eq!(code(&legacy.json()["errors"][0]), "BAD_USER_INPUT");
    // A body that is not a GraphQL request is a 400 in either type.
    for broken in [
        "{",
        "[]",
        "{\"query\": 5}",
        "{\"variables\": {}}",
        "{\"query\": \"{ __typename }\", \"variables\": 3}",
    ] {
        for accept in [
            "Accept: application/json",
            "Accept: application/graphql-response+json",
        ] {
            let answer = post(&app, broken, &[JSON, accept]);
            assert_eq!(answer.status, 400, "{broken} {accept}: {}", answer.body);
            assert_eq!(code(&answer.json()["errors"][0]), "BAD_USER_INPUT");
        }
    }
}

#[test]
fn get_runs_queries_only() {
    let app = spawn_app();
    let answer = get(
        &app,
        "/graphql?query=%7B%20articles(first%3A%201)%20%7B%20totalCount%20%7D%20%7D",
        &[],
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let mutation = "/graphql?query=mutation%20%7B%20deleteTag(id%3A%20%22VGFnOjE%22)%20%7D";
    let answer = get(&app, mutation, &[]);
    assert_eq!(answer.status, 405);
    assert_eq!(answer.header("allow").as_deref(), Some("GET, POST"));
    let named = "/graphql?query=mutation%20M%20%7B%20deleteTag(id%3A%20%22VGFnOjE%22)%20%7D";
    assert_eq!(get(&app, named, &[]).status, 405);
    // The operation chosen by operationName decides.
    let two = "query%20Q%20%7B%20__typename%20%7D%20mutation%20M%20%7B%20deleteTag(id%3A%20%22VGFnOjE%22)%20%7D";
    assert_eq!(
        get(&app, &format!("/graphql?query={two}&operationName=Q"), &[]).status,
        200
    );
    assert_eq!(
        get(&app, &format!("/graphql?query={two}&operationName=M"), &[]).status,
        405
    );
    let long = format!("/graphql?query=%7B__typename%7D&x={}", "a".repeat(20_000));
    assert_eq!(get(&app, &long, &[]).status, 414);
    healthy(&app);
}

#[test]
fn bodies_over_the_limit_are_refused_as_they_arrive() {
    let app = spawn_app();
    let big = format!(
        "{{\"query\": \"{{ __typename }}\", \"variables\": {{\"x\": \"{}\"}}}}",
        "a".repeat(4 * 1024 * 1024)
    );
    let answer = post(&app, &big, &[JSON]);
    assert_eq!(
        answer.status,
        413,
        "{}",
        &answer.body[..answer.body.len().min(200)]
    );
    // Chunked, with no length given up front.
    let mut chunked = Vec::new();
    for piece in big.as_bytes().chunks(64 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let answer = raw(
        &app,
        &format!("POST /graphql HTTP/1.1\r\n{JSON}\r\nTransfer-Encoding: chunked"),
        &chunked,
    );
    assert_eq!(answer.status, 413);
    healthy(&app);
}

#[test]
fn parse_errors_do_not_echo_the_document() {
    let app = spawn_app();
    let document = format!("{{ articles {{ {} !!! }} }}", "t".repeat(360_000));
    let answer = post(
        &app,
        &query_body(&document),
        &[JSON, "Accept: application/graphql-response+json"],
    );
    assert_eq!(answer.status, 400);
    assert!(
        answer.body.len() < 1_000,
        "{} bytes: {}",
        answer.body.len(),
        &answer.body[..300]
    );
    assert_eq!(code(&answer.json()["errors"][0]), "BAD_USER_INPUT");
}

#[test]
fn hostile_documents_are_refused_and_the_server_stays_healthy() {
    let app = spawn_app();
    // Fragments spreading each other: 8 spreads × 10 levels.
    let mut bomb = String::from("query { ...F0 }\n");
    for level in 0..10 {
        let spreads = vec![format!("...F{}", level + 1); 8].join(" ");
        bomb.push_str(&format!(
            "fragment F{level} on Query {{ __typename {spreads} }}\n"
        ));
    }
    bomb.push_str("fragment F10 on Query { __typename }\n");
    let nested = format!("{}{}", "{ a ".repeat(10_000), "}".repeat(10_000));
    let list = format!(
        "{{ articles(filter: {{id: {{in: {}\"x\"{}}}}}) {{ totalCount }} }}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let aliases = format!(
        "{{ {} }}",
        (0..2_000)
            .map(|n| format!("a{n}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let tokens = format!(
        "{{ articles(filter: {{id: {{in: [{}]}}}}) {{ totalCount }} }}",
        vec!["\"x\""; 16_000].join(",")
    );
    let directives = format!("{{ __typename {} }}", "@include(if: true) ".repeat(11));
    let introspection =
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    // No fields at all: 60 levels of two spreads each, ending in a fragment that does not
    // exist. Free by field count, 2^60 paths for a walk without memoisation.
    let mut chain = String::from("{ ...F0 }\n");
    for level in 0..60 {
        let next = level + 1;
        chain.push_str(&format!(
            "fragment F{level} on Query {{ ...F{next} ...F{next} }}\n"
        ));
    }
    chain.push_str("fragment F60 on Query { ...Missing }\n");
    // The same nesting hidden in a fragment first spread where it is shallow.
    let hidden = "{ __type(name: \"Query\") { ...G } deep: __type(name: \"Query\") { fields { type { ...G } } } } \
        fragment G on __Type { fields { type { fields { name } } } }";
    for (what, document) in [
        ("fragment bomb", bomb.as_str()),
        ("10,000 nested selection sets", nested.as_str()),
        ("a 10,000-deep list", list.as_str()),
        ("2,000 aliases", aliases.as_str()),
        ("16,000 tokens", tokens.as_str()),
        ("11 directives", directives.as_str()),
        ("nested introspection", introspection),
        ("nested introspection in a fragment", hidden),
        ("spreads down to an unknown fragment", chain.as_str()),
    ] {
        let answer = post(
            &app,
            &query_body(document),
            &[JSON, "Accept: application/graphql-response+json"],
        );
        assert_eq!(
            answer.status,
            400,
            "{what}: {}",
            &answer.body[..answer.body.len().min(300)]
        );
        let error = &answer.json()["errors"][0];
        assert!(
            ["QUERY_TOO_COMPLEX", "BAD_USER_INPUT"].contains(&code(error)),
            "{what}: {error}"
        );
        assert!(answer.json()["data"].is_null(), "{what} ran");
        healthy(&app);
    }
    // Variables nested 50,000 deep.
    let deep = format!(
        "{{\"query\": \"{{ __typename }}\", \"variables\": {{\"v\": {}1{}}}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let answer = post(&app, &deep, &[JSON]);
    assert_eq!(answer.status, 400);
    healthy(&app);
}

#[test]
fn every_answer_carries_its_cost_and_expensive_queries_are_refused() {
    let app = spawn_app();
    let answer = post(
        &app,
        &query_body("{ articles(first: 10) { nodes { title tags { name } } } }"),
        &[JSON],
    );
    let cost = &answer.json()["extensions"]["cost"];
    assert_eq!(cost["requested"], 1 + 10 * (1 + 1 + 2), "{cost}");
    assert_eq!(cost["maximum"], 5_000);
    let expensive = "{ articles(first: 100) { nodes { people(first: 100) { nodes { name } } } } }";
    let answer = post(&app, &query_body(expensive), &[JSON]);
    let json = answer.json();
    assert_eq!(code(&json["errors"][0]), "QUERY_TOO_COMPLEX");
    assert!(json["extensions"]["cost"]["requested"].as_u64().unwrap() > 5_000);
    // Page sizes given as variables count too.
    let with_variables = json!({"query": "query($n: Int) { articles(first: $n) { nodes { people(first: $n) { nodes { name } } } } }", "variables": {"n": 90}});
    let answer = post(&app, &with_variables.to_string(), &[JSON]);
    assert_eq!(code(&answer.json()["errors"][0]), "QUERY_TOO_COMPLEX");
    // Connections read through inline fragments and fragments count too, and so do the
    // defaults of variables.
    let hidden_pages = "query($n: Int = 100) { articles(first: $n) { ... on ArticleConnection { ...Nodes } } } \
        fragment Nodes on ArticleConnection { nodes { people(first: $n) { ... on PersonConnection { nodes { name } } } } }";
    let answer = post(&app, &query_body(hidden_pages), &[JSON]);
    let json = answer.json();
    assert_eq!(code(&json["errors"][0]), "QUERY_TOO_COMPLEX", "{json}");
    // GraphiQL's introspection query is admitted.
    let introspection = "query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name } \
        types { ...FullType } directives { name description locations args { ...InputValue } } } } \
        fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description args { ...InputValue } \
        type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue } interfaces { ...TypeRef } \
        enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } } \
        fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue } \
        fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name \
        ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";
    let answer = post(&app, &query_body(introspection), &[JSON]);
    let json = answer.json();
    assert!(
        json.get("errors").is_none(),
        "{}",
        &answer.body[..answer.body.len().min(500)]
    );
    assert!(json["data"]["__schema"]["types"].as_array().unwrap().len() > 20);
}

#[test]
fn at_most_a_hundred_errors_are_returned() {
    let app = spawn_app();
    let document = format!(
        "{{ {} }}",
        (0..150)
            .map(|n| format!("unknown{n}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let answer = post(&app, &query_body(&document), &[JSON]);
    assert_eq!(answer.json()["errors"].as_array().unwrap().len(), 100);
}

#[test]
fn introspection_can_be_turned_off_with_suggestions() {
    let app = spawn_app_configured(loaded(TestDb::new()), |config| {
        config.no_introspection = true
    });
    for document in [
        "{ __schema { types { name } } }",
        "{ __type(name: \"Article\") { name } }",
        "{ ...F } fragment F on Query { __schema { queryType { name } } }",
    ] {
        let answer = post(&app, &query_body(document), &[JSON]);
        let json = answer.json();
        assert_eq!(code(&json["errors"][0]), "BAD_USER_INPUT", "{json}");
        assert!(json["data"].is_null());
    }
    let answer = post(&app, &query_body("{ artcles { totalCount } }"), &[JSON]);
    assert!(!answer.body.contains("Did you mean"), "{}", answer.body);
    healthy(&app);
}

#[test]
fn anonymous_queries_are_cacheable_and_revalidated() {
    let app = spawn_app();
    let path =
        "/graphql?query=%7B%20articles(first%3A%202)%20%7B%20nodes%20%7B%20title%20%7D%20%7D%20%7D";
    let first = get(&app, path, &[]);
    assert_eq!(first.status, 200);
    assert_eq!(
        first.header("cache-control").as_deref(),
        Some("public, max-age=60")
    );
    let tag = first.header("etag").expect("an ETag");
    let again = get(&app, path, &[&format!("If-None-Match: {tag}")]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let other = get(&app, path, &["If-None-Match: \"something-else\""]);
    assert_eq!(other.status, 200);
    // POST answers carry the same tag; authenticated ones and mutations are private.
    let posted = post(
        &app,
        &query_body("{ articles(first: 2) { nodes { title } } }"),
        &[JSON],
    );
    assert_eq!(posted.header("etag"), Some(tag));
    let token = crate::helpers::token(&app, entity::Role::Editor);
    let authorization = format!("Authorization: Bearer {token}");
    let private = post(&app, &query_body(SIMPLE), &[JSON, &authorization]);
    assert_eq!(
        private.header("cache-control").as_deref(),
        Some("private, no-store")
    );
    assert!(private.header("etag").is_none());
    let mutation = post(
        &app,
        &query_body("mutation { createTag(input: {name: \"x\"}) { id } }"),
        &[JSON],
    );
    assert_eq!(
        mutation.header("cache-control").as_deref(),
        Some("private, no-store")
    );
    // Switched off.
    let uncached = spawn_app_configured(loaded(TestDb::new()), |config| config.cache_max_age = 0);
    let answer = get(&uncached, path, &[]);
    assert_eq!(answer.header("cache-control").as_deref(), Some("no-cache"));
}

#[test]
fn answers_are_compressed_when_the_client_asks() {
    let app = spawn_app();
    let body = query_body("{ articles(first: 50) { nodes { title body } } }");
    for (encoding, expected) in [
        ("gzip", Some("gzip")),
        ("br", Some("br")),
        ("identity", None),
    ] {
        let answer = post(
            &app,
            &body,
            &[JSON, &format!("Accept-Encoding: {encoding}")],
        );
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.header("content-encoding").as_deref(),
            expected,
            "{encoding}"
        );
    }
}

#[test]
fn cross_origin_requests_follow_the_allow_list() {
    let app = spawn_app_configured(loaded(TestDb::new()), |config| {
        config.cors_origins = vec!["https://news.example".to_owned()];
    });
    let preflight = |origin: &str| {
        raw(
            &app,
            &format!(
                "OPTIONS /graphql HTTP/1.1\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST\r\n\
                 Access-Control-Request-Headers: content-type, authorization"
            ),
            b"",
        )
    };
    let allowed = preflight("https://news.example");
    assert!(
        allowed.status == 200 || allowed.status == 204,
        "{}",
        allowed.headers
    );
    assert_eq!(
        allowed.header("access-control-allow-origin").as_deref(),
        Some("https://news.example")
    );
    let methods = allowed
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");
    let headers = allowed
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );
    let refused = preflight("https://evil.example");
    assert!(
        refused.header("access-control-allow-origin").is_none(),
        "{}",
        refused.headers
    );
    let answer = post(
        &app,
        &query_body(SIMPLE),
        &[JSON, "Origin: https://news.example"],
    );
    assert_eq!(
        answer.header("access-control-allow-origin").as_deref(),
        Some("https://news.example")
    );
    // None by default.
    let closed = spawn_app();
    let answer = post(
        &closed,
        &query_body(SIMPLE),
        &[JSON, "Origin: https://news.example"],
    );
    assert!(answer.header("access-control-allow-origin").is_none());
}

#[test]
fn persisted_queries_round_trip_over_post_and_get() {
    use sha2::Digest;
    let app = spawn_app();
    let query = "{ articles(first: 2) { nodes { slug } } }";
    let hash = hex::encode(sha2::Sha256::digest(query.as_bytes()));
    let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
    // Unknown: the client is asked for the query.
    let unknown = post(
        &app,
        &json!({"extensions": extensions}).to_string(),
        &[JSON],
    );
    assert_eq!(unknown.status, 200);
    assert_eq!(
        code(&unknown.json()["errors"][0]),
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert_eq!(
        unknown.json()["errors"][0]["message"],
        "PersistedQueryNotFound"
    );
    // Registered with the query, then found by hash alone, over GET too.
    let registered = post(
        &app,
        &json!({"query": query, "extensions": extensions}).to_string(),
        &[JSON],
    );
    let expected = registered.json()["data"].clone();
    assert_eq!(expected["articles"]["nodes"].as_array().unwrap().len(), 2);
    let by_hash = post(
        &app,
        &json!({"extensions": extensions}).to_string(),
        &[JSON],
    );
    assert_eq!(by_hash.json()["data"], expected);
    let encoded: String = extensions
        .to_string()
        .bytes()
        .map(|byte| format!("%{byte:02X}"))
        .collect();
    let over_get = get(&app, &format!("/graphql?extensions={encoded}"), &[]);
    assert_eq!(over_get.status, 200, "{}", over_get.body);
    assert_eq!(over_get.json()["data"], expected);
    assert!(over_get
        .header("cache-control")
        .unwrap()
        .starts_with("public"));
    // A query that does not have the hash is refused.
    let wrong = post(
        &app,
        &json!({"query": "{ __typename }", "extensions": extensions}).to_string(),
        &[JSON],
    );
    assert_eq!(wrong.status, 400);
    // A persisted mutation still may not run over GET.
    let mutation = "mutation { deleteTag(id: \"VGFnOjE\") }";
    let mutation_hash = hex::encode(sha2::Sha256::digest(mutation.as_bytes()));
    let mutation_extensions =
        json!({"persistedQuery": {"version": 1, "sha256Hash": mutation_hash}});
    post(
        &app,
        &json!({"query": mutation, "extensions": mutation_extensions}).to_string(),
        &[JSON],
    );
    let encoded: String = mutation_extensions
        .to_string()
        .bytes()
        .map(|byte| format!("%{byte:02X}"))
        .collect();
    assert_eq!(
        get(&app, &format!("/graphql?extensions={encoded}"), &[]).status,
        405
    );
}

/// The value of a metric line `name{labels} value` in a Prometheus text, if present.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            (name == series).then(|| value.parse().ok())?
        })
}

#[test]
fn metrics_count_requests_errors_latency_and_statements() {
    let app = spawn_app();
    let named = json!({"query": "query FrontPage { articles(first: 3) { nodes { title tags { name } } } }"}).to_string();
    for _ in 0..3 {
        assert_eq!(post(&app, &named, &[JSON]).status, 200);
    }
    post(
        &app,
        &json!({"query": "query Broken { articles(first: 1000) { totalCount } }"}).to_string(),
        &[JSON],
    );
    post(&app, &query_body("{ nope }"), &[JSON]);
    let answer = get(&app, "/metrics", &[]);
    assert_eq!(answer.status, 200);
    assert!(answer
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    let text = answer.body;
    // Every line is a comment or `series value` with a number.
    for line in text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
    {
        let (_, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad line {line}"));
        assert!(value.parse::<f64>().is_ok(), "bad value in {line}");
    }
    assert_eq!(
        metric(
            &text,
            "content_api_requests_total{operation=\"FrontPage\",code=\"OK\"}"
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "content_api_requests_total{operation=\"Broken\",code=\"BAD_USER_INPUT\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "content_api_errors_total{operation=\"anonymous\",code=\"BAD_USER_INPUT\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "content_api_request_duration_seconds_count"),
        Some(5.0)
    );
    assert_eq!(
        metric(
            &text,
            "content_api_request_duration_seconds_bucket{le=\"+Inf\"}"
        ),
        Some(5.0)
    );
    // Three front pages of three statements at least (page, tags, ...).
    assert!(
        metric(&text, "content_api_statements_per_request_sum").unwrap() >= 6.0,
        "{text}"
    );
    assert!(metric(&text, "content_api_db_pool_connections{state=\"max\"}").unwrap() >= 1.0);
}

#[test]
fn every_answer_carries_a_request_id() {
    let app = spawn_app();
    let given = post(
        &app,
        &query_body(SIMPLE),
        &[JSON, "X-Request-Id: trace-42.a_b"],
    );
    assert_eq!(
        given.header("x-request-id").as_deref(),
        Some("trace-42.a_b")
    );
    let made = post(&app, &query_body(SIMPLE), &[JSON]);
    let id = made.header("x-request-id").unwrap();
    assert_eq!(id.len(), 32);
    let other = post(&app, &query_body(SIMPLE), &[JSON])
        .header("x-request-id")
        .unwrap();
    assert_ne!(id, other);
    // An id that could forge log lines is replaced.
    let forged = post(&app, &query_body(SIMPLE), &[JSON, "X-Request-Id: a b\"c"]);
    assert_ne!(forged.header("x-request-id").as_deref(), Some("a b\"c"));
    assert_eq!(
        get(&app, "/health", &[])
            .header("x-request-id")
            .map(|id| id.len()),
        Some(32)
    );
}

#[test]
fn a_client_that_never_finishes_its_headers_is_let_go() {
    let app = spawn_app();
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).unwrap();
    // Far beyond the 5 s header timeout: a server without one would keep us waiting.
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    assert!(read.is_ok(), "the connection was kept open: {read:?}");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    healthy(&app);
}

#[test]
fn batches_are_off_by_default_and_bounded_when_on() {
    let app = spawn_app();
    let two = json!([{"query": "{ articles(first: 1) { totalCount } }"}, {"query": "{ tags { totalCount } }"}]).to_string();
    let refused = post(&app, &two, &[JSON]);
    assert_eq!(refused.status, 400);
    assert_eq!(code(&refused.json()["errors"][0]), "BAD_USER_INPUT");

    let batching = spawn_app_configured(loaded(TestDb::new()), |config| config.max_batch = 3);
    let answer = post(&batching, &two, &[JSON]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let results = answer.json();
    assert_eq!(results.as_array().unwrap().len(), 2);
    assert!(
        results[0]["data"]["articles"]["totalCount"]
            .as_i64()
            .unwrap()
            > 0
    );
    assert!(results[1]["data"]["tags"]["totalCount"].as_i64().unwrap() > 0);
    assert_eq!(
        answer.header("cache-control").as_deref(),
        Some("private, no-store")
    );
    // Each request on its own: one failing does not fail the others.
    let mixed = json!([{"query": "{ nope }"}, {"query": "mutation { createTag(input: {name: \"x\"}) { id } }"}, {"query": "{ tags { totalCount } }"}]).to_string();
    let results = post(&batching, &mixed, &[JSON]).json();
    assert_eq!(code(&results[0]["errors"][0]), "BAD_USER_INPUT");
    assert_eq!(code(&results[1]["errors"][0]), "UNAUTHENTICATED");
    assert!(results[2]["data"]["tags"]["totalCount"].is_number());
    let four = json!([{"query": "{ __typename }"}, {"query": "{ __typename }"}, {"query": "{ __typename }"}, {"query": "{ __typename }"}]).to_string();
    assert_eq!(post(&batching, &four, &[JSON]).status, 400);
    assert_eq!(post(&batching, "[]", &[JSON]).status, 400);
}

#[test]
fn a_request_past_its_time_is_answered_and_the_server_carries_on() {
    // A millisecond: any query that reaches the database runs out of time.
    let app = spawn_app_configured(loaded(TestDb::new()), |config| {
        config.request_timeout_seconds = 0.001;
    });
    let query = query_body("{ articles(first: 50) { nodes { title tags { name } people(first: 5) { nodes { name positions { title } } } } } }");
    let answer = post(&app, &query, &[JSON]);
    assert_eq!(answer.status, 503, "{}", answer.body);
    let json = answer.json();
    assert_eq!(code(&json["errors"][0]), "SERVICE_UNAVAILABLE");
    assert!(json["data"].is_null());
    assert_eq!(get(&app, "/health", &[]).status, 200);
    let again = post(&app, &query, &[JSON]);
    assert_eq!(again.status, 503);
    // With time enough, a server over the same kind of data answers the same query.
    let patient = spawn_app();
    assert_eq!(post(&patient, &query, &[JSON]).status, 200);
}

/// A chain of fragments each spreading the next, deeper than async-graphql's recursion limit
/// (64): cheap by cost, refused as too complex with the limit named.
#[test]
fn a_chain_of_fragments_deeper_than_the_recursion_limit_is_too_complex() {
    let app = spawn_app();
    let mut chain = String::from("{ ...F0 }\n");
    for level in 0..70 {
        let next = level + 1;
        chain.push_str(&format!("fragment F{level} on Query {{ ...F{next} }}\n"));
    }
    chain.push_str("fragment F70 on Query { __typename }\n");
    let errors = app.errors(&chain, json!({}));
    assert_eq!(code(&errors[0]), "QUERY_TOO_COMPLEX", "{errors:?}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("recursion depth"),
        "{errors:?}"
    );
    // Within the limit, the same chain runs.
    let mut short = String::from("{ ...F0 }\n");
    for level in 0..10 {
        let next = level + 1;
        short.push_str(&format!("fragment F{level} on Query {{ ...F{next} }}\n"));
    }
    short.push_str("fragment F10 on Query { __typename }\n");
    assert_eq!(app.data(&short)["__typename"], "Query");
}

/// Parses are kept by query text (`documents`): a text sent again must still run with its
/// own request's variables, `@skip`/`@include` and operation, and a text that fails
/// validation must keep failing.
#[test]
fn a_query_sent_again_runs_afresh_with_its_own_variables_and_operation() {
    let app = spawn_app();
    let query = "query Titles($skip: Boolean!) { articles(first: 2) { nodes { title @skip(if: $skip) slug } } } \
        query Total { articles { totalCount } }";
    let run = |operation: &str, variables: Value| {
        let body = json!({"query": query, "operationName": operation, "variables": variables});
        let answer = app.post("/graphql", &body.to_string(), &[]);
        assert_eq!(answer.status, 200, "{}", answer.body);
        let answer = answer.json();
        assert!(answer.get("errors").is_none(), "{answer:#}");
        answer["data"].clone()
    };
    let without = run("Titles", json!({"skip": true}));
    let with = run("Titles", json!({"skip": false}));
    let total = run("Total", json!({}));
    let without_again = run("Titles", json!({"skip": true}));
    let nodes = |data: &Value| {
        data["articles"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(nodes(&without).len(), 2);
    assert!(nodes(&without)
        .iter()
        .all(|node| node.get("title").is_none() && node["slug"].is_string()));
    assert!(nodes(&with)
        .iter()
        .all(|node| node["title"].is_string() && node["slug"].is_string()));
    assert!(total["articles"]["totalCount"]
        .as_i64()
        .is_some_and(|n| n >= 2));
    assert_eq!(without_again, without);
    for _ in 0..2 {
        let errors = app.errors("{ articles { nodes { noSuchField } } }", json!({}));
        assert_eq!(code(&errors[0]), "BAD_USER_INPUT", "{errors:?}");
        assert!(errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("noSuchField")));
    }
}
