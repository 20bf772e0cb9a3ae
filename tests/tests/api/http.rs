//! The HTTP surface: routes, media types, GET queries, and errors that always carry a code
//! and never leak internals.

use serde_json::json;

use crate::helpers::{code, spawn_app};

#[test]
fn the_playground_works_offline() {
    let app = spawn_app();
    let root = app.get("/");
    assert!((300..400).contains(&root.status));
    let page = app.get("/graphiql");
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    assert!(
        page.body.contains("xi-jinping-meets-nikolai-patrushev"),
        "opens with an example query"
    );
    assert!(!page.body.contains("https://"), "no external resources");
    for asset in [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    ] {
        assert!(page.body.contains(&format!("/graphiql/assets/{asset}")));
        let answer = app.get(&format!("/graphiql/assets/{asset}"));
        assert_eq!(answer.status, 200, "{asset}");
        assert!(answer.body.len() > 5_000, "{asset}");
    }
    assert_eq!(app.get("/graphiql/assets/nope.js").status, 404);
}

#[test]
fn health_and_readiness() {
    let app = spawn_app();
    assert_eq!(app.get("/health").status, 200);
    assert_eq!(app.get("/ready").status, 200);
}

#[test]
fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app();
    app.db.run(app.db.served.clone().close()).unwrap();
    assert_eq!(app.get("/ready").status, 503);
    assert_eq!(app.get("/health").status, 200);
    let answer = app.post(
        "/graphql",
        r#"{"query":"{ articles { nodes { id } } }"}"#,
        &[],
    );
    let errors = answer.json()["errors"].clone();
    assert_eq!(code(&errors[0]), "SERVICE_UNAVAILABLE", "{errors}");
    assert!(
        !answer.body.to_lowercase().contains("sqlx"),
        "{}",
        answer.body
    );
}

#[test]
fn queries_work_over_get_and_answer_in_the_accepted_media_type() {
    let app = spawn_app();
    let get =
        app.get("/graphql?query=%7B%20tag(slug%3A%22jinghua-jingxuan%22)%20%7B%20name%20%7D%20%7D");
    assert_eq!(get.status, 200);
    assert_eq!(get.json()["data"]["tag"]["name"], "精华精选");
    let body = r#"{"query":"{ tags { totalCount } }"}"#;
    let plain = app.post("/graphql", body, &[]);
    assert!(
        plain.content_type.starts_with("application/json"),
        "{}",
        plain.content_type
    );
    let modern = app.post(
        "/graphql",
        body,
        &[("accept", "application/graphql-response+json")],
    );
    assert!(modern
        .content_type
        .starts_with("application/graphql-response+json"));
    assert_eq!(modern.json()["data"]["tags"]["totalCount"], 2);
    // A field error during execution is still a 200: the request ran.
    let field_error = app.post(
        "/graphql",
        r#"{"query":"{ articles(first: 101) { totalCount } }"}"#,
        &[("accept", "application/graphql-response+json")],
    );
    assert_eq!(field_error.status, 200, "{}", field_error.body);
    assert_eq!(code(&field_error.json()["errors"][0]), "BAD_USER_INPUT");
    let broken = app.post(
        "/graphql",
        r#"{"query":"{ tags { "}"#,
        &[("accept", "application/graphql-response+json")],
    );
    assert_eq!(broken.status, 400);
}

#[test]
fn every_error_carries_a_code_and_nothing_internal() {
    let app = spawn_app();
    for (body, expected) in [
        (
            r#"{"query":"{ articles { nodes { id } "}"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{"query":"{ articles { nodes { nope } } }"}"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{"query":"{ article(slug: 5) { id } }"}"#,
            "BAD_USER_INPUT",
        ),
        (r#"not json at all"#, "BAD_USER_INPUT"),
        (
            r#"{"query":"query($n: Int) { articles(first: $n) { nodes { id } } }","variables":{"n":"x"}}"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{"query":"{ articles(first: 101) { nodes { id } } }"}"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{"query":"{ node(id: \"\u0000\") { id } }"}"#,
            "BAD_USER_INPUT",
        ),
    ] {
        let answer = app.post("/graphql", body, &[]);
        let json = answer.json();
        let errors = json["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}: {json}"));
        for error in errors {
            assert_eq!(code(error), expected, "{body}: {error}");
            let message = error["message"].as_str().unwrap().to_lowercase();
            for leak in [
                "select ", "sqlx", "sqlite", "postgres", "/src/", ".rs:", "panicked",
            ] {
                assert!(!message.contains(leak), "{body} leaked {leak}: {message}");
            }
        }
    }
}

#[test]
fn bad_input_names_the_field_at_fault() {
    let app = spawn_app();
    let errors = app.errors(
        "{ person(slug: \"xi-jinping\") { meetings(last: 500) { totalCount } } }",
        json!({}),
    );
    assert_eq!(code(&errors[0]), "BAD_USER_INPUT");
    assert_eq!(errors[0]["extensions"]["field"], "last");
    assert!(errors[0]["message"].as_str().unwrap().contains("100"));
}

#[test]
fn queries_past_the_limits_are_refused_before_they_run() {
    let app = spawn_app();
    let mut deep = String::from("id");
    for _ in 0..10 {
        deep = format!(
            "people(first: 1) {{ nodes {{ articles(first: 1) {{ nodes {{ {deep} }} }} }} }}"
        );
        deep = format!("tags {{ nodes {{ articles(first: 1) {{ nodes {{ {deep} }} }} }} }}");
    }
    let before = app.db.statements();
    let errors = app.errors(
        &format!("{{ articles(first: 1) {{ nodes {{ {deep} }} }} }}"),
        json!({}),
    );
    assert_eq!(code(&errors[0]), "QUERY_TOO_COMPLEX", "{errors:?}");
    assert_eq!(app.db.statements(), before, "a refused query ran SQL");
    // Past the parser's nesting limit too.
    let nested = format!(
        "{{ {}id{} }}",
        "tags { nodes { ".repeat(40),
        " } }".repeat(40)
    );
    let errors = app.errors(&nested, json!({}));
    assert_eq!(code(&errors[0]), "QUERY_TOO_COMPLEX", "{errors:?}");
    let wide: String = (0..3000)
        .map(|i| format!("a{i}: sources {{ totalCount }} "))
        .collect();
    let errors = app.errors(&format!("{{ {wide} }}"), json!({}));
    assert_eq!(code(&errors[0]), "QUERY_TOO_COMPLEX", "{errors:?}");
}

#[test]
fn a_bad_date_argument_is_bad_input() {
    let app = spawn_app();
    // No field takes a Date argument yet: a variable of that type still goes through the
    // scalar's own check.
    let errors = app.errors(
        "query($d: Date) { tags { totalCount } }",
        json!({"d": "2020-13-45"}),
    );
    assert_eq!(code(&errors[0]), "BAD_USER_INPUT", "{errors:?}");
}
