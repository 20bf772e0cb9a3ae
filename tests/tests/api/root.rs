//! Every root field of `Query`: nodes, look-ups by id and slug, and the lists.

use serde_json::json;

use crate::helpers::{
    code, spawn_app, GENERATED_ARTICLES, GENERATED_MEETINGS, GENERATED_PEOPLE, VISIBLE_ARTICLES,
};

#[test]
fn records_are_found_by_slug_and_by_id() {
    let app = spawn_app();
    for (field, slug, name_field) in [
        ("article", "xi-jinping-meets-nikolai-patrushev", "title"),
        ("person", "nikolai-patrushev", "name"),
        (
            "meeting",
            "xi-jinping-nikolai-patrushev-2019-12-02",
            "title",
        ),
        ("source", "consulate-general-prc", "name"),
        ("tag", "jinghua-jingxuan", "name"),
    ] {
        let by_slug = app.data(&format!(
            "{{ {field}(slug: \"{slug}\") {{ id slug {name_field} }} }}"
        ));
        let id = by_slug[field]["id"].as_str().unwrap().to_owned();
        assert_eq!(by_slug[field]["slug"], slug);
        let by_id = app.data_with(
            &format!("query($id: ID) {{ {field}(id: $id) {{ id slug {name_field} }} }}"),
            json!({"id": id}),
        );
        assert_eq!(by_id, by_slug);
        let node = app.data_with(
            "query($id: ID!) { node(id: $id) { id __typename } }",
            json!({"id": id}),
        );
        assert_eq!(node["node"]["id"], id.as_str());
        let unknown = app.data(&format!(
            "{{ {field}(slug: \"no-such-{field}\") {{ id }} }}"
        ));
        assert!(unknown[field].is_null(), "{field}: {unknown}");
    }
}

#[test]
fn ids_are_opaque_typed_and_checked() {
    let app = spawn_app();
    let data = app.data("{ person(slug: \"xi-jinping\") { id } }");
    let person_id = data["person"]["id"].as_str().unwrap().to_owned();
    assert!(!person_id.contains("Person"), "IDs are opaque: {person_id}");
    // Another type's ID is refused; garbage is refused; a well-formed unknown ID is null.
    let errors = app.errors(
        "query($id: ID) { article(id: $id) { id } }",
        json!({"id": person_id}),
    );
    assert_eq!(code(&errors[0]), "BAD_USER_INPUT");
    assert_eq!(errors[0]["extensions"]["field"], "id");
    let errors = app.errors("{ node(id: \"garbage!\") { id } }", json!({}));
    assert_eq!(code(&errors[0]), "BAD_USER_INPUT");
    let errors = app.errors("{ article { id } }", json!({}));
    assert_eq!(code(&errors[0]), "BAD_USER_INPUT");
    let errors = app.errors("{ tag(id: \"x\", slug: \"y\") { id } }", json!({}));
    assert_eq!(code(&errors[0]), "BAD_USER_INPUT");
    // base64url of "Article:999999" built the way the server builds IDs.
    let unknown = app.data("{ node(id: \"QXJ0aWNsZTo5OTk5OTk\") { id } }");
    assert!(unknown["node"].is_null());
}

#[test]
fn nodes_answers_in_order_with_null_for_unknown_ids() {
    let app = spawn_app();
    let data = app.data(
        "{ a: article(slug: \"jin-canrong-featured\") { id } p: person(slug: \"wang-yi\") { id } \
           s: source(slug: \"consulate-general-prc\") { id } q: quotes(first: 1) { nodes { id } } }",
    );
    let ids = json!([
        data["a"]["id"],
        data["p"]["id"],
        "QXJ0aWNsZTo5OTk5OTk",
        data["s"]["id"],
        data["q"]["nodes"][0]["id"]
    ]);
    let nodes = app.data_with(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Article { title } ... on Person { name } ... on Quote { text } } }",
        json!({"ids": ids}),
    );
    let nodes = nodes["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 5);
    assert_eq!(nodes[0]["title"], "金灿荣教授");
    assert_eq!(nodes[1]["name"], "Wang Yi");
    assert!(nodes[2].is_null());
    assert_eq!(nodes[3]["__typename"], "Source");
    assert_eq!(nodes[4]["__typename"], "Quote");
    let too_many: Vec<String> = (0..101).map(|_| "QXJ0aWNsZTo5OTk5OTk".to_owned()).collect();
    let errors = app.errors(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        json!({"ids": too_many}),
    );
    assert_eq!(code(&errors[0]), "BAD_USER_INPUT");
}

#[test]
fn every_list_counts_its_rows() {
    let app = spawn_app();
    let data = app.data(
        "{ articles { totalCount } people { totalCount } meetings { totalCount } sources { totalCount } \
           tags { totalCount } quotes { totalCount } }",
    );
    assert_eq!(data["articles"]["totalCount"], VISIBLE_ARTICLES as i64);
    assert_eq!(data["people"]["totalCount"], (8 + GENERATED_PEOPLE) as i64);
    assert_eq!(
        data["meetings"]["totalCount"],
        (1 + GENERATED_MEETINGS) as i64
    );
    assert_eq!(data["sources"]["totalCount"], 2);
    assert_eq!(data["tags"]["totalCount"], 2);
    assert_eq!(
        data["quotes"]["totalCount"],
        (5 + GENERATED_ARTICLES) as i64
    );
}

#[test]
fn lists_come_in_their_default_orders() {
    let app = spawn_app();
    let data = app.data(
        "{ people(first: 3) { nodes { name } } meetings(first: 1) { nodes { heldOn } } \
           sources { nodes { name } } tags { nodes { name } } tagsDesc: tags(orderBy: [NAME_DESC]) { nodes { name } } }",
    );
    let people: Vec<&str> = data["people"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    let mut sorted = people.clone();
    sorted.sort();
    assert_eq!(people, sorted);
    assert_eq!(data["meetings"]["nodes"][0]["heldOn"], "2020-12-06");
    assert_eq!(
        data["sources"]["nodes"][0]["name"],
        "Consulate General of the PRC"
    );
    assert_eq!(data["sources"]["nodes"][1]["name"], "Test Agency");
    let tags: Vec<&str> = data["tags"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    let tags_desc: Vec<&str> = data["tagsDesc"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags.len(), 2);
    assert_eq!(tags, tags_desc.into_iter().rev().collect::<Vec<_>>());
}
