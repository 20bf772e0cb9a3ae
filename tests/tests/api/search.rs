//! Full-text search: English words stemmed and ranked, Chinese found by any part of two
//! characters or more, drafts hidden, the index following every change, hostile text.

use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::helpers::{code, spawn_app, TestApp};

fn search(app: &TestApp, query: &str, types: Value) -> Value {
    app.data_with(
        "query($q: String!, $t: [SearchType!]) { search(query: $q, types: $t, first: 50) { totalCount \
           edges { score cursor node { __typename ... on Article { slug } ... on Person { slug } ... on Meeting { slug } ... on Source { slug } } } } }",
        json!({"q": query, "t": types}),
    )["search"]
        .clone()
}

fn found(result: &Value) -> Vec<(String, String)> {
    result["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["__typename"].as_str().unwrap().to_owned(),
                e["node"]["slug"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn english_words_are_stemmed_and_ranked() {
    let app = spawn_app();
    let result = search(&app, "meeting Patrushev", json!(null));
    let hits = found(&result);
    assert!(
        hits.contains(&(
            "Article".to_owned(),
            "xi-jinping-meets-nikolai-patrushev".to_owned()
        )),
        "{hits:?}"
    );
    assert!(
        hits.contains(&(
            "Meeting".to_owned(),
            "xi-jinping-nikolai-patrushev-2019-12-02".to_owned()
        )),
        "{hits:?}"
    );
    assert_eq!(result["totalCount"].as_i64().unwrap(), hits.len() as i64);
    let scores: Vec<f64> = result["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    // Words in any order.
    assert_eq!(found(&search(&app, "Patrushev meeting", json!(null))), hits);
    // "meets" finds "meeting" and the other way round.
    let articles = app.data("{ articles(search: \"meets\") { totalCount nodes { slug } } }");
    assert!(articles["articles"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["slug"] == "xi-jinping-meets-nikolai-patrushev"));
}

#[test]
fn chinese_is_found_by_any_part_of_two_characters_or_more() {
    let app = spawn_app();
    for query in ["金灿荣", "灿荣", "金灿荣教授"] {
        let hits = found(&search(&app, query, json!(null)));
        assert!(
            hits.contains(&("Person".to_owned(), "jin-canrong".to_owned())),
            "{query}: {hits:?}"
        );
        assert!(
            hits.contains(&("Article".to_owned(), "jin-canrong-featured".to_owned())),
            "{query}: {hits:?}"
        );
    }
    let people = found(&search(&app, "灿荣", json!(["PERSON"])));
    assert_eq!(people, [("Person".to_owned(), "jin-canrong".to_owned())]);
    let data = app.data("{ people(search: \"习近平\") { totalCount nodes { slug } } }");
    assert_eq!(data["people"]["nodes"], json!([{"slug": "xi-jinping"}]));
    assert!(found(&search(&app, "荣金", json!(null))).is_empty());
}

#[test]
fn drafts_never_appear_and_types_narrow_the_search() {
    let app = spawn_app();
    let result = search(&app, "SECRET", json!(null));
    assert!(
        !result.to_string().contains("secret-draft")
            && !result.to_string().contains("archived-piece"),
        "{result}"
    );
    let sources = found(&search(&app, "consulate", json!(["SOURCE"])));
    assert_eq!(
        sources,
        [("Source".to_owned(), "consulate-general-prc".to_owned())]
    );
    let data = app.data("{ articles(search: \"draft\") { totalCount } }");
    assert_eq!(data["articles"]["totalCount"], 0);
}

#[test]
fn search_combines_with_filters_orderings_and_pages() {
    let app = spawn_app();
    let data = app.data(
        "{ articles(search: \"generated article\", filter: {person: {slug: {eq: \"person-01\"}}}, orderBy: [TITLE_ASC], first: 100) { totalCount nodes { title } } }",
    );
    let titles: Vec<&str> = data["articles"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(data["articles"]["totalCount"], 8);
    assert_eq!(titles.len(), 8);
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(titles, sorted);
    // Relevance order, walked page by page.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = app.data_with(
            "query($c: String) { search(query: \"generated article\", first: 7, after: $c) { totalCount pageInfo { hasNextPage endCursor } nodes { ... on Article { slug } } } }",
            json!({"c": cursor}),
        );
        let search = &page["search"];
        assert_eq!(search["totalCount"], 120);
        seen.extend(
            search["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["slug"].as_str().unwrap().to_owned()),
        );
        if !search["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        cursor = Some(search["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen.len(), 120);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 120);
}

#[test]
fn the_index_follows_inserts_updates_and_deletes() {
    let app = spawn_app();
    assert!(found(&search(&app, "zeppelin", json!(null))).is_empty());
    let bundle = json!({"people": [{"slug": "new-person", "name": "Nobody Special", "aliases": ["Zeppelin Man"]}],
                        "articles": [{"slug": "airship", "title": "Airships", "body": "A zeppelin flew over.", "language": "en", "status": "PUBLISHED"}]});
    app.db
        .run(content_api::service::import::import_bundle(
            &app.db.db,
            bundle.to_string().as_bytes(),
        ))
        .unwrap();
    let hits = found(&search(&app, "zeppelins", json!(null)));
    assert!(
        hits.contains(&("Article".to_owned(), "airship".to_owned())),
        "{hits:?}"
    );
    assert!(
        hits.contains(&("Person".to_owned(), "new-person".to_owned())),
        "an alias is searchable: {hits:?}"
    );
    let bundle = json!({"people": [{"slug": "new-person", "name": "Nobody Special", "aliases": []}],
                        "articles": [{"slug": "airship", "title": "Balloons", "body": "Hot air.", "language": "en", "status": "PUBLISHED"}]});
    app.db
        .run(content_api::service::import::import_bundle(
            &app.db.db,
            bundle.to_string().as_bytes(),
        ))
        .unwrap();
    assert!(found(&search(&app, "zeppelin", json!(null))).is_empty());
    assert_eq!(
        found(&search(&app, "balloon", json!(null))),
        [("Article".to_owned(), "airship".to_owned())]
    );
    app.db
        .run(
            app.db
                .db
                .execute_unprepared("DELETE FROM articles WHERE slug = 'airship'"),
        )
        .unwrap();
    app.db
        .run(
            app.db
                .db
                .execute_unprepared("DELETE FROM people WHERE slug = 'new-person'"),
        )
        .unwrap();
    assert!(found(&search(&app, "balloon", json!(null))).is_empty());
    assert!(found(&search(&app, "nobody special", json!(null))).is_empty());
}

#[test]
fn empty_and_hostile_queries_are_handled() {
    let app = spawn_app();
    for query in ["", "   ", "!!! ... ???", "\"*\":", "^$%_\\"] {
        let errors = app.errors(
            "query($q: String!) { search(query: $q) { totalCount } }",
            json!({"q": query}),
        );
        assert_eq!(code(&errors[0]), "BAD_USER_INPUT", "{query:?}: {errors:?}");
        assert_eq!(errors[0]["extensions"]["field"], "query");
    }
    for query in [
        "\"meeting",
        "meeting*",
        "NEAR(meeting patrushev)",
        "title:meeting",
        "meeting OR",
        "'; DROP TABLE articles; --",
        "a AND NOT b",
    ] {
        let answer = app.graphql(
            "query($q: String!) { search(query: $q) { totalCount nodes { __typename } } }",
            json!({"q": query}),
        );
        assert!(answer.get("errors").is_none(), "{query:?}: {answer}");
    }
    let errors = app.errors(
        "query($q: String!) { search(query: $q) { totalCount } }",
        json!({"q": "x".repeat(10_000)}),
    );
    assert_eq!(code(&errors[0]), "BAD_USER_INPUT");
    let errors = app.errors("{ articles(search: \"?\") { totalCount } }", json!({}));
    assert_eq!(errors[0]["extensions"]["field"], "search");
    assert_eq!(
        app.data("{ articles { totalCount } }")["articles"]["totalCount"],
        129
    );
}

#[test]
fn every_unspaced_script_is_found_by_any_part() {
    // The first and the last character of each range the search treats as an unspaced script,
    // three in a row inside English text: found by two of them (a scan) and by three (the
    // trigram index), so SQLite's GLOB class puts every range's documents into that index.
    let app = spawn_app();
    let ends: Vec<char> = migration::UNSPACED_SCRIPTS
        .iter()
        .flat_map(|(first, last)| [*first, *last])
        .collect();
    let articles: Vec<Value> = ends
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({"slug": format!("script-{i}"), "title": format!("Script {i}"), "language": "en",
                   "status": "PUBLISHED", "body": format!("Plain words, then {c}{c}{c}, then more words.")})
        })
        .collect();
    app.db
        .run(content_api::service::import::import_bundle(
            &app.db.db,
            json!({ "articles": articles }).to_string().as_bytes(),
        ))
        .unwrap();
    for (i, c) in ends.iter().enumerate() {
        for query in [format!("{c}{c}"), format!("{c}{c}{c}")] {
            assert_eq!(
                found(&search(&app, &query, json!(["ARTICLE"]))),
                [("Article".to_owned(), format!("script-{i}"))],
                "U+{:X}",
                u32::from(*c)
            );
        }
    }
}

#[test]
fn only_documents_with_unspaced_script_carry_trigrams_on_sqlite() {
    let app = spawn_app();
    let db = &app.db;
    if db.db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return;
    }
    // Every change goes through the triggers: an English article, a Chinese one, and an
    // English person given a Chinese alias, then the article's text turned Chinese.
    let bundle = json!({"people": [{"slug": "plain-person", "name": "Plain Person", "aliases": ["普通人"]}],
                        "articles": [{"slug": "plain", "title": "Plain", "body": "English only.", "language": "en", "status": "PUBLISHED"},
                                     {"slug": "chinese", "title": "中文", "body": "一篇文章。", "language": "zh", "status": "PUBLISHED"}]});
    db.run(content_api::service::import::import_bundle(
        &db.db,
        bundle.to_string().as_bytes(),
    ))
    .unwrap();
    let unspaced = |text: &str| text.chars().any(migration::unspaced);
    let documents = |table: &str| -> Vec<(i64, String)> {
        db.run(db.db.query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            format!("SELECT rowid AS id, body FROM {table} ORDER BY rowid"),
        )))
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.try_get::<i64>("", "id").unwrap(),
                row.try_get::<String>("", "body").unwrap(),
            )
        })
        .collect()
    };
    let check = || {
        let words = documents("search_words");
        let expected: Vec<(i64, String)> = words
            .iter()
            .filter(|(_, body)| unspaced(body))
            .cloned()
            .collect();
        assert!(!expected.is_empty() && expected.len() < words.len());
        assert_eq!(documents("search_grams"), expected);
    };
    check();
    let bundle = json!({"articles": [{"slug": "plain", "title": "Plain", "body": "现在是中文。", "language": "zh", "status": "PUBLISHED"}]});
    db.run(content_api::service::import::import_bundle(
        &db.db,
        bundle.to_string().as_bytes(),
    ))
    .unwrap();
    check();
    assert!(found(&search(&app, "中文", json!(["ARTICLE"])))
        .contains(&("Article".to_owned(), "plain".to_owned())));
    assert!(found(&search(&app, "普通", json!(["PERSON"])))
        .contains(&("Person".to_owned(), "plain-person".to_owned())));
    // And back: the Chinese article turned English, the person losing their Chinese alias,
    // then the article deleted. No trigram row is left behind.
    let bundle = json!({"people": [{"slug": "plain-person", "name": "Plain Person", "aliases": []}],
                        "articles": [{"slug": "chinese", "title": "Now English", "body": "Plain text.", "language": "en", "status": "PUBLISHED"}]});
    db.run(content_api::service::import::import_bundle(
        &db.db,
        bundle.to_string().as_bytes(),
    ))
    .unwrap();
    check();
    assert!(found(&search(&app, "普通", json!(["PERSON"]))).is_empty());
    db.run(
        db.db
            .execute_unprepared("DELETE FROM articles WHERE slug = 'plain'"),
    )
    .unwrap();
    check();
    assert!(!found(&search(&app, "中文", json!(["ARTICLE"])))
        .iter()
        .any(|(_, slug)| slug == "plain" || slug == "chinese"));
}
