//! Anonymous clients see PUBLISHED articles only: in lists, relations, counts and `node`.

use serde_json::json;

use crate::helpers::spawn_app;

#[test]
fn drafts_and_archived_articles_never_show() {
    let app = spawn_app();
    let query = "{ articles(first: 100, orderBy: [PUBLISHED_AT_DESC]) { totalCount nodes { title quotes { text } } } \
        last: articles(last: 5) { nodes { title } } \
        person(slug: \"xi-jinping\") { articles(first: 100) { totalCount nodes { title } } quotes(first: 100) { totalCount nodes { text } } } \
        meeting(slug: \"xi-jinping-nikolai-patrushev-2019-12-02\") { articles { totalCount nodes { title } } quotes { text } } \
        source(slug: \"consulate-general-prc\") { articles { totalCount nodes { title } } } \
        tag(slug: \"jingxuan-jinghua\") { articles { totalCount nodes { title } } } \
        quotes(first: 100) { totalCount nodes { text article { title } } } \
        draft: article(slug: \"secret-draft-0\") { title } \
        archived: article(slug: \"archived-piece\") { title } }";
    let answer = app.graphql(query, json!({}));
    assert!(answer.get("errors").is_none(), "{answer}");
    let text = answer.to_string();
    assert!(!text.contains("SECRET"), "a hidden article leaked: {text}");
    let data = &answer["data"];
    assert!(data["draft"].is_null());
    assert!(data["archived"].is_null());
    assert_eq!(data["source"]["articles"]["totalCount"], 1);
    assert_eq!(data["tag"]["articles"]["totalCount"], 1);
    assert_eq!(data["meeting"]["articles"]["totalCount"], 1);
    assert_eq!(data["person"]["quotes"]["totalCount"], 3);
}

#[test]
fn hidden_articles_are_not_reachable_by_id() {
    let app = spawn_app();
    // IDs are sequential per table: walk a range of article and quote IDs around the drafts.
    let ids: Vec<String> = (1..=140)
        .flat_map(|n| {
            use base64::Engine as _;
            let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            [
                e.encode(format!("Article:{n}")),
                e.encode(format!("Quote:{n}")),
            ]
        })
        .collect();
    for chunk in ids.chunks(100) {
        let answer = app.graphql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Article { title } ... on Quote { text article { title } } } }",
            json!({"ids": chunk}),
        );
        assert!(answer.get("errors").is_none(), "{answer}");
        assert!(
            !answer.to_string().contains("SECRET"),
            "a hidden article leaked through node"
        );
    }
}
