//! Keyset pagination: walking forward and backward in every ordering, with rows added
//! between requests, and the limits on page sizes and cursors.

use serde_json::{json, Value};

use sea_orm::ConnectionTrait;

use crate::helpers::{code, spawn_app, TestApp, GENERATED_ARTICLES, VISIBLE_ARTICLES};

/// Walks a root list page by page; returns the ids in order.
fn walk(app: &TestApp, field: &str, order: &str, size: i64, backward: bool) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    let (size_arg, cursor_arg, more) = if backward {
        ("last", "before", "hasPreviousPage")
    } else {
        ("first", "after", "hasNextPage")
    };
    loop {
        let query = format!(
            "query($cursor: String) {{ {field}({size_arg}: {size}, {cursor_arg}: $cursor{order}) {{ \
             edges {{ cursor node {{ id }} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
        );
        let data = app.data_with(&query, json!({"cursor": cursor}));
        let connection = &data[field];
        let mut page: Vec<String> = connection["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(page.len() as i64 <= size);
        if backward {
            page.reverse();
        }
        ids.extend(page);
        if !connection["pageInfo"][more].as_bool().unwrap() {
            break;
        }
        let next = if backward { "startCursor" } else { "endCursor" };
        cursor = Some(connection["pageInfo"][next].as_str().unwrap().to_owned());
        assert!(ids.len() < 10_000, "pagination does not end");
    }
    if backward {
        ids.reverse();
    }
    ids
}

fn all_ids(app: &TestApp, field: &str, order: &str) -> Vec<String> {
    let data = app.data(&format!(
        "{{ {field}(first: 100{order}) {{ totalCount nodes {{ id }} }} }}"
    ));
    let total = data[field]["totalCount"].as_i64().unwrap();
    let mut ids: Vec<String> = data[field]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    if total > 100 {
        ids = walk(app, field, order, 100, false);
    }
    assert_eq!(ids.len() as i64, total);
    ids
}

#[test]
fn every_ordering_walks_forward_and_backward_without_gap_or_duplicate() {
    let app = spawn_app();
    let cases = [
        (
            "articles",
            vec![
                "",
                "PUBLISHED_AT_ASC",
                "PUBLISHED_AT_DESC",
                "TITLE_ASC",
                "TITLE_DESC",
                "CREATED_AT_ASC",
                "CREATED_AT_DESC",
                "UPDATED_AT_ASC",
                "UPDATED_AT_DESC",
            ],
        ),
        (
            "people",
            vec![
                "",
                "NAME_ASC",
                "NAME_DESC",
                "CREATED_AT_ASC",
                "CREATED_AT_DESC",
            ],
        ),
        (
            "meetings",
            vec!["", "HELD_ON_ASC", "HELD_ON_DESC", "TITLE_ASC", "TITLE_DESC"],
        ),
        ("sources", vec!["", "NAME_ASC", "NAME_DESC"]),
        ("tags", vec!["", "NAME_ASC", "NAME_DESC"]),
        ("quotes", vec![""]),
    ];
    for (field, orders) in cases {
        for order in orders {
            let order = if order.is_empty() {
                String::new()
            } else {
                format!(", orderBy: [{order}]")
            };
            let expected = all_ids(&app, field, &order);
            let mut unique = expected.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(
                unique.len(),
                expected.len(),
                "{field}{order}: duplicates in the full list"
            );
            for size in [1, 7] {
                assert_eq!(
                    walk(&app, field, &order, size, false),
                    expected,
                    "{field}{order} forward by {size}"
                );
                assert_eq!(
                    walk(&app, field, &order, size, true),
                    expected,
                    "{field}{order} backward by {size}"
                );
            }
        }
    }
}

/// The number inside a global ID.
fn row_id(id: &Value) -> i64 {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id.as_str().unwrap())
        .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    text.rsplit_once(':').unwrap().1.parse().unwrap()
}

/// Compares two rows by `keys` (field, descending), nulls as the smallest value (last when
/// descending, first when ascending), then by id in the first key's direction: the order the
/// API promises, computed here independently of the server.
fn promised_order(keys: &[(&str, bool)], a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Equal, Greater, Less};
    for (field, descending) in keys {
        let order = match (&a[*field], &b[*field]) {
            (Value::Null, Value::Null) => Equal,
            (Value::Null, _) => Less,
            (_, Value::Null) => Greater,
            (x, y) => {
                let (x, y) = (x.as_str().unwrap(), y.as_str().unwrap());
                match (
                    chrono::DateTime::parse_from_rfc3339(x),
                    chrono::DateTime::parse_from_rfc3339(y),
                ) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    _ => x.cmp(y),
                }
            }
        };
        let order = if *descending { order.reverse() } else { order };
        if order != Equal {
            return order;
        }
    }
    let by_id = row_id(&a["id"]).cmp(&row_id(&b["id"]));
    if keys.first().is_some_and(|(_, descending)| *descending) {
        by_id.reverse()
    } else {
        by_id
    }
}

type SortKeys<'a> = &'a [(&'a str, bool)];

#[test]
fn lists_come_in_the_promised_order() {
    let app = spawn_app();
    // (list, orderBy, fields to select, the promised sort keys as (field, descending)).
    let cases: &[(&str, &str, &str, SortKeys)] = &[
        ("articles", "", "publishedAt", &[("publishedAt", true)]),
        (
            "articles",
            "PUBLISHED_AT_ASC",
            "publishedAt",
            &[("publishedAt", false)],
        ),
        ("articles", "TITLE_ASC", "title", &[("title", false)]),
        ("articles", "TITLE_DESC", "title", &[("title", true)]),
        (
            "articles",
            "UPDATED_AT_DESC",
            "updatedAt",
            &[("updatedAt", true)],
        ),
        (
            "articles",
            "CREATED_AT_ASC",
            "createdAt",
            &[("createdAt", false)],
        ),
        ("meetings", "", "heldOn", &[("heldOn", true)]),
        (
            "meetings",
            "TITLE_DESC, HELD_ON_ASC",
            "title heldOn",
            &[("title", true), ("heldOn", false)],
        ),
        (
            "meetings",
            "TITLE_ASC, HELD_ON_DESC",
            "title heldOn",
            &[("title", false), ("heldOn", true)],
        ),
        ("people", "", "name", &[("name", false)]),
        ("people", "NAME_DESC", "name", &[("name", true)]),
    ];
    for (field, order, fields, keys) in cases {
        let order_arg = if order.is_empty() {
            String::new()
        } else {
            format!(", orderBy: [{order}]")
        };
        let mut rows: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let data = app.data_with(
                &format!("query($c: String) {{ {field}(first: 50, after: $c{order_arg}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ id {fields} }} }} }}"),
                json!({"c": cursor}),
            );
            rows.extend(data[*field]["nodes"].as_array().unwrap().iter().cloned());
            if !data[*field]["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            cursor = Some(
                data[*field]["pageInfo"]["endCursor"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        let mut expected = rows.clone();
        expected.sort_by(|a, b| promised_order(keys, a, b));
        assert_eq!(rows, expected, "{field} orderBy [{order}]");
        if *field == "articles" && keys[0].0 == "publishedAt" {
            let ties = rows.windows(2).any(|p| {
                !p[0]["publishedAt"].is_null() && p[0]["publishedAt"] == p[1]["publishedAt"]
            });
            assert!(ties, "the data should hold ties on publishedAt");
            assert!(
                rows.iter().any(|r| r["publishedAt"].is_null()),
                "the data should hold undated articles"
            );
        }
        if *field == "meetings" && keys.len() == 2 {
            assert!(
                rows.windows(2).any(|p| p[0]["title"] == p[1]["title"]),
                "titles should repeat"
            );
        }
    }
    let data = app.data("{ articles(first: 1) { totalCount nodes { slug } } }");
    assert_eq!(data["articles"]["totalCount"], VISIBLE_ARTICLES as i64);
    assert_eq!(data["articles"]["nodes"][0]["slug"], "jin-canrong-featured");
}

#[test]
fn a_page_stays_right_when_rows_before_it_and_the_cursor_row_are_deleted() {
    let app = spawn_app();
    let data = app.data("{ articles(first: 30) { edges { cursor node { slug } } } }");
    let edges = data["articles"]["edges"].as_array().unwrap();
    let cursor = edges[19]["cursor"].as_str().unwrap().to_owned();
    let next = "query($c: String) { articles(first: 10, after: $c) { nodes { slug } } }";
    let expected = app.data_with(next, json!({"c": cursor}));
    assert_eq!(
        expected["articles"]["nodes"][0]["slug"],
        edges[20]["node"]["slug"]
    );
    // Delete two rows before the cursor and the cursor's own row.
    for edge in [&edges[3], &edges[10], &edges[19]] {
        let slug = edge["node"]["slug"].as_str().unwrap();
        app.db
            .run(
                app.db
                    .db
                    .execute_unprepared(&format!("DELETE FROM articles WHERE slug = '{slug}'")),
            )
            .unwrap();
    }
    assert_eq!(app.data_with(next, json!({"c": cursor})), expected);
    let previous = "query($c: String) { articles(last: 5, before: $c) { nodes { slug } } }";
    let before = app.data_with(previous, json!({"c": cursor}));
    let slugs: Vec<&Value> = [14, 15, 16, 17, 18]
        .iter()
        .map(|i| &edges[*i]["node"]["slug"])
        .collect();
    let got: Vec<&Value> = before["articles"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["slug"])
        .collect();
    assert_eq!(got, slugs);
}

#[test]
fn before_alone_gives_the_page_just_before_the_cursor() {
    let app = spawn_app();
    let data = app.data("{ articles(first: 40) { edges { cursor node { slug } } } }");
    let edges = data["articles"]["edges"].as_array().unwrap();
    let cursor = edges[30]["cursor"].as_str().unwrap();
    let page = app.data_with(
        "query($c: String) { articles(before: $c) { pageInfo { hasNextPage hasPreviousPage } nodes { slug } } }",
        json!({"c": cursor}),
    );
    let slugs: Vec<&Value> = page["articles"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["slug"])
        .collect();
    let expected: Vec<&Value> = edges[10..30].iter().map(|e| &e["node"]["slug"]).collect();
    assert_eq!(slugs, expected);
    assert_eq!(page["articles"]["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(page["articles"]["pageInfo"]["hasNextPage"], true);
}

#[test]
fn a_page_stays_right_when_rows_are_added_before_it() {
    let app = spawn_app();
    let first = app.data("{ articles(first: 10) { pageInfo { endCursor } nodes { slug } } }");
    let cursor = first["articles"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let expected = app.data_with(
        "query($c: String) { articles(first: 10, after: $c) { nodes { slug } } }",
        json!({"c": cursor}),
    );
    // New articles, newer than everything, and one placed right inside the walked range.
    let bundle = json!({"articles": [
        {"slug": "breaking-1", "title": "Breaking 1", "language": "en", "status": "PUBLISHED", "publishedAt": "2026-01-01T00:00:00Z"},
        {"slug": "breaking-2", "title": "Breaking 2", "language": "en", "status": "PUBLISHED", "publishedAt": "2026-01-02T00:00:00Z"},
    ]});
    app.db
        .run(content_api::service::import::import_bundle(
            &app.db.db,
            bundle.to_string().as_bytes(),
        ))
        .unwrap();
    let after = app.data_with(
        "query($c: String) { articles(first: 10, after: $c) { nodes { slug } } }",
        json!({"c": cursor}),
    );
    assert_eq!(
        after, expected,
        "the page after the cursor moved when rows were added before it"
    );
    let head = app.data("{ articles(first: 2) { nodes { slug } } }");
    assert_eq!(head["articles"]["nodes"][0]["slug"], "breaking-2");
}

#[test]
fn a_full_walk_with_rows_inserted_between_pages_sees_every_old_row_once() {
    let app = spawn_app();
    let before = all_ids(&app, "articles", "");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut round = 0;
    loop {
        let data = app.data_with(
            "query($c: String) { articles(first: 15, after: $c) { pageInfo { hasNextPage endCursor } nodes { id } } }",
            json!({"c": cursor}),
        );
        seen.extend(
            data["articles"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].as_str().unwrap().to_owned()),
        );
        // Insert a row that sorts before the current position.
        round += 1;
        let bundle = json!({"articles": [{"slug": format!("inserted-{round}"), "title": "x", "language": "en", "status": "PUBLISHED", "publishedAt": "2025-06-01T00:00:00Z"}]});
        app.db
            .run(content_api::service::import::import_bundle(
                &app.db.db,
                bundle.to_string().as_bytes(),
            ))
            .unwrap();
        if !data["articles"]["pageInfo"]["hasNextPage"]
            .as_bool()
            .unwrap()
        {
            break;
        }
        cursor = Some(
            data["articles"]["pageInfo"]["endCursor"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(seen, before);
}

#[test]
fn nested_connections_page_per_parent() {
    let app = spawn_app();
    let xi = "person(slug: \"xi-jinping\")";
    let total = app.data(&format!("{{ {xi} {{ articles {{ totalCount }} }} }}"))["person"]
        ["articles"]["totalCount"]
        .as_i64()
        .unwrap();
    assert_eq!(total, GENERATED_ARTICLES as i64 + 1);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let data = app.data_with(
            &format!("query($c: String) {{ {xi} {{ articles(first: 13, after: $c) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ slug }} }} }} }}"),
            json!({"c": cursor}),
        );
        let articles = &data["person"]["articles"];
        seen.extend(
            articles["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["slug"].as_str().unwrap().to_owned()),
        );
        if !articles["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        cursor = Some(
            articles["pageInfo"]["endCursor"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(seen.len() as i64, total);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len());
    // Backward from the end gives the last page.
    let data = app.data(&format!("{{ {xi} {{ articles(last: 2) {{ pageInfo {{ hasPreviousPage hasNextPage }} nodes {{ slug }} }} }} }}"));
    let last: Vec<String> = data["person"]["articles"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(last, seen[seen.len() - 2..].to_vec());
    assert_eq!(
        data["person"]["articles"]["pageInfo"]["hasPreviousPage"],
        true
    );
    assert_eq!(data["person"]["articles"]["pageInfo"]["hasNextPage"], false);
}

#[test]
fn page_sizes_are_checked() {
    let app = spawn_app();
    let default = app.data("{ articles { nodes { id } } }");
    assert_eq!(default["articles"]["nodes"].as_array().unwrap().len(), 20);
    let hundred = app.data("{ articles(first: 100) { nodes { id } } }");
    assert_eq!(hundred["articles"]["nodes"].as_array().unwrap().len(), 100);
    for (query, field) in [
        ("{ articles(first: 1000000) { nodes { id } } }", "first"),
        ("{ articles(last: 101) { nodes { id } } }", "last"),
        ("{ articles(first: -1) { nodes { id } } }", "first"),
        ("{ articles(first: 1, last: 1) { nodes { id } } }", "last"),
        (
            "{ people(first: 1) { nodes { articles(first: 500) { totalCount } } } }",
            "first",
        ),
    ] {
        let errors = app.errors(query, json!({}));
        assert_eq!(code(&errors[0]), "BAD_USER_INPUT", "{query}: {errors:?}");
        assert_eq!(errors[0]["extensions"]["field"], field, "{query}");
    }
}

#[test]
fn bad_cursors_are_refused() {
    let app = spawn_app();
    let data = app.data("{ articles(first: 1) { pageInfo { endCursor } } }");
    let cursor = data["articles"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    for (query, variables) in [
        (
            "query($c: String) { articles(after: $c) { nodes { id } } }",
            json!({"c": "not-a-cursor"}),
        ),
        (
            "query($c: String) { articles(after: $c, orderBy: [TITLE_ASC]) { nodes { id } } }",
            json!({"c": cursor}),
        ),
        (
            "query($c: String) { people(before: $c) { nodes { id } } }",
            json!({"c": cursor}),
        ),
    ] {
        let errors = app.errors(query, variables);
        assert_eq!(code(&errors[0]), "BAD_USER_INPUT", "{errors:?}");
    }
}
