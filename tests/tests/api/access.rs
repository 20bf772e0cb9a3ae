//! Tokens on requests: one indexed look-up each, the last-used time written at most once a
//! minute, revocation effective from the next request, and `--require-auth`.

use entity::Role;
use serde_json::json;

use crate::helpers::{code, loaded, spawn_app, spawn_app_configured, TestDb};

const QUERY: &str = "{ articles(first: 3) { nodes { title } } }";

fn body() -> String {
    json!({ "query": QUERY }).to_string()
}

#[test]
fn a_token_costs_one_statement_and_its_use_is_written_once_a_minute() {
    let app = spawn_app();
    let (id, token) = app
        .db
        .run(content_api::service::token::create(
            &app.db.db,
            "counter",
            Role::Editor,
        ))
        .unwrap();
    let bearer = format!("Bearer {token}");
    let statements = |headers: &[(&str, &str)]| {
        let before = app.db.statements();
        let answer = app.post("/graphql", &body(), headers);
        assert_eq!(answer.status, 200, "{}", answer.body);
        app.db.statements() - before
    };
    let anonymous = statements(&[]);
    let first = statements(&[("authorization", &bearer)]);
    let second = statements(&[("authorization", &bearer)]);
    let third = statements(&[("authorization", &bearer)]);
    // The look-up, plus the last-used time the first time only.
    assert_eq!(first, anonymous + 2);
    assert_eq!(second, anonymous + 1);
    assert_eq!(third, anonymous + 1);
    let listed = app
        .db
        .run(content_api::service::token::list(&app.db.db))
        .unwrap();
    let info = listed.iter().find(|info| info.id == id).unwrap();
    assert!(info.last_used_at.is_some());
    assert!(info.revoked_at.is_none());
}

#[test]
fn a_revoked_token_is_refused_from_the_next_request() {
    let app = spawn_app();
    let (id, token) = app
        .db
        .run(content_api::service::token::create(
            &app.db.db,
            "soon gone",
            Role::Admin,
        ))
        .unwrap();
    let bearer = format!("Bearer {token}");
    assert_eq!(
        app.post("/graphql", &body(), &[("authorization", &bearer)])
            .status,
        200
    );
    app.db
        .run(content_api::service::token::revoke(&app.db.db, id))
        .unwrap();
    let refused = app.post("/graphql", &body(), &[("authorization", &bearer)]);
    assert_eq!(refused.status, 401);
    assert_eq!(code(&refused.json()["errors"][0]), "UNAUTHENTICATED");
    // Revoking an unknown token is NOT_FOUND; revoking twice is harmless.
    let unknown = app
        .db
        .run(content_api::service::token::revoke(&app.db.db, id + 100));
    assert_eq!(unknown.unwrap_err().code(), "NOT_FOUND");
    app.db
        .run(content_api::service::token::revoke(&app.db.db, id))
        .unwrap();
}

#[test]
fn require_auth_refuses_anonymous_reads() {
    let app = spawn_app_configured(loaded(TestDb::new()), |config| config.require_auth = true);
    let anonymous = app.post("/graphql", &body(), &[]);
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    assert_eq!(code(&anonymous.json()["errors"][0]), "UNAUTHENTICATED");
    assert!(anonymous.json()["data"].is_null());
    let (_, token) = app
        .db
        .run(content_api::service::token::create(
            &app.db.db,
            "reader",
            Role::Editor,
        ))
        .unwrap();
    let bearer = format!("Bearer {token}");
    let answer = app.post("/graphql", &body(), &[("authorization", &bearer)]);
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json()["data"]["articles"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn tokens_are_random_and_stored_only_as_hashes() {
    let db = TestDb::new();
    let (_, first) = db
        .run(content_api::service::token::create(
            &db.db,
            "a",
            Role::Editor,
        ))
        .unwrap();
    let (_, second) = db
        .run(content_api::service::token::create(
            &db.db,
            "b",
            Role::Editor,
        ))
        .unwrap();
    assert_ne!(first, second);
    assert!(first.starts_with("cat_") && first.len() == 68);
    let stored: Vec<String> = db.run(async {
        use sea_orm::{EntityTrait, QuerySelect};
        entity::api_token::Entity::find()
            .select_only()
            .column(entity::api_token::Column::TokenHash)
            .into_tuple()
            .all(&db.db)
            .await
            .unwrap()
    });
    assert_eq!(stored.len(), 2);
    for hash in &stored {
        assert_ne!(hash, &first);
        assert_ne!(hash, &second);
        assert!(!hash.contains(&first[4..]));
    }
    let blank = db.run(content_api::service::token::create(
        &db.db,
        "  ",
        Role::Editor,
    ));
    assert_eq!(blank.unwrap_err().code(), "BAD_USER_INPUT");
}
