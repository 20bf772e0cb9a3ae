//! Filters: every operator, `and`/`or`/`not`, relation filters through the model, Unicode
//! matching, literal `%` and `_`, nested connections, limits and hostile values.

use serde_json::{json, Value};

use crate::helpers::{code, data_as, spawn_app, token, TestApp, GENERATED_ARTICLES};

/// The slugs of the articles a filter selects (all pages), and the `totalCount`.
fn article_slugs(app: &TestApp, filter: Value) -> (Vec<String>, i64) {
    let data = app.data_with(
        "query($f: ArticleFilter) { articles(first: 100, filter: $f) { totalCount nodes { slug } } }",
        json!({"f": filter}),
    );
    let slugs = slugs_of(&data["articles"]["nodes"]);
    (slugs, data["articles"]["totalCount"].as_i64().unwrap())
}

fn person_slugs(app: &TestApp, filter: Value) -> Vec<String> {
    let data = app.data_with(
        "query($f: PersonFilter) { people(first: 100, filter: $f) { totalCount nodes { slug } } }",
        json!({"f": filter}),
    );
    let slugs = slugs_of(&data["people"]["nodes"]);
    assert_eq!(
        data["people"]["totalCount"].as_i64().unwrap(),
        slugs.len() as i64
    );
    slugs
}

const MAIN: &str = "xi-jinping-meets-nikolai-patrushev";

#[test]
fn a_question_across_relations() {
    let app = spawn_app();
    // English articles from government sources in 2019 that mention someone who met Wang Yi.
    let (slugs, total) = article_slugs(
        &app,
        json!({
            "language": {"eq": "en"},
            "source": {"kind": ["GOVERNMENT"]},
            "publishedAt": {"gte": "2019-01-01T00:00:00Z", "lt": "2020-01-01T00:00:00Z"},
            "person": {"meeting": {"participant": {"name": {"eq": "Wang Yi"}}}}
        }),
    );
    assert_eq!(slugs, [MAIN]);
    assert_eq!(total, 1);
}

#[test]
fn every_string_operator() {
    let app = spawn_app();
    let one = |filter: Value| article_slugs(&app, json!({"slug": filter})).0;
    assert_eq!(one(json!({"eq": MAIN})), [MAIN]);
    assert_eq!(
        one(json!({"in": [MAIN, "hei-chao-ge-featured", "nope"]})).len(),
        2
    );
    assert_eq!(one(json!({"startsWith": "XI-JINPING"})), [MAIN]);
    assert_eq!(one(json!({"endsWith": "PATRUSHEV"})), [MAIN]);
    assert_eq!(one(json!({"contains": "MEETS-nikolai"})), [MAIN]);
    let (_, all) = article_slugs(&app, json!({"language": {"ne": "zz"}}));
    let (_, not_main) = article_slugs(&app, json!({"slug": {"ne": MAIN}}));
    assert_eq!(not_main, all - 1);
    let (_, not_in) = article_slugs(
        &app,
        json!({"slug": {"notIn": [MAIN, "jin-canrong-featured"]}}),
    );
    assert_eq!(not_in, all - 2);
    let (_, chinese) = article_slugs(&app, json!({"language": {"eq": "zh"}}));
    assert_eq!(chinese, 2);
    // isNull on a nullable text: generated meetings have no location, the seed's has one.
    let data = app.data(
        "{ with: meetings(filter: {location: {isNull: false}}) { totalCount } \
           without: meetings(filter: {location: {isNull: true}}) { totalCount } }",
    );
    assert_eq!(data["with"]["totalCount"], 1);
    assert_eq!(data["without"]["totalCount"], 12);
}

#[test]
fn dates_times_ids_enums_and_booleans() {
    let app = spawn_app();
    let count = |filter: Value| article_slugs(&app, filter).1;
    assert_eq!(
        count(json!({"publishedAt": {"eq": "2019-12-02T12:00:00Z"}})),
        1
    );
    assert_eq!(
        count(json!({"publishedAt": {"gt": "2022-10-03T00:00:00Z"}})),
        2
    );
    assert_eq!(
        count(json!({"publishedAt": {"gte": "2022-10-04T06:57:00Z"}})),
        1
    );
    assert_eq!(
        count(json!({"publishedAt": {"lt": "2019-12-31T00:00:00Z"}})),
        1
    );
    assert_eq!(
        count(json!({"publishedAt": {"lte": "2019-12-02T12:00:00Z"}})),
        1
    );
    assert_eq!(count(json!({"publishedAt": {"isNull": true}})), 3);
    assert_eq!(count(json!({"featured": true})), 2);
    assert_eq!(
        count(json!({"status": ["DRAFT"]})),
        0,
        "drafts stay hidden even when asked for"
    );
    let id =
        app.data(&format!("{{ article(slug: \"{MAIN}\") {{ id }} }}"))["article"]["id"].clone();
    assert_eq!(article_slugs(&app, json!({"id": {"eq": id}})).0, [MAIN]);
    assert_eq!(article_slugs(&app, json!({"id": {"in": [id]}})).0, [MAIN]);
    let meetings = |filter: Value| {
        app.data_with(
            "query($f: MeetingFilter) { meetings(filter: $f) { totalCount } }",
            json!({"f": filter}),
        )["meetings"]["totalCount"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(meetings(json!({"heldOn": {"eq": "2019-12-02"}})), 1);
    assert_eq!(meetings(json!({"heldOn": {"ne": "2019-12-02"}})), 12);
    assert_eq!(
        meetings(json!({"heldOn": {"gt": "2020-06-30", "lte": "2020-12-31"}})),
        6
    );
    assert_eq!(
        meetings(json!({"heldOn": {"gte": "2019-12-02", "lt": "2020-01-01"}})),
        1
    );
    let sources = app.data("{ sources(filter: {kind: [NEWS_AGENCY, BLOG]}) { nodes { slug } } }");
    assert_eq!(
        sources["sources"]["nodes"],
        json!([{"slug": "test-agency"}])
    );
}

#[test]
fn and_or_not_combine() {
    let app = spawn_app();
    let (all, total) = article_slugs(
        &app,
        json!({"or": [{"slug": {"eq": MAIN}}, {"language": {"eq": "zh"}}]}),
    );
    assert_eq!(total, 3, "{all:?}");
    let (both, _) = article_slugs(
        &app,
        json!({"and": [{"language": {"eq": "zh"}}, {"featured": true}, {"tag": {"name": {"eq": "精选精华"}}}]}),
    );
    assert_eq!(both, ["hei-chao-ge-featured"]);
    let (_, everything) = article_slugs(&app, json!({"language": {"ne": "zz"}}));
    let (_, not_zh) = article_slugs(&app, json!({"not": {"language": {"eq": "zh"}}}));
    assert_eq!(not_zh, everything - 2);
}

#[test]
fn relation_filters_reach_through_the_model() {
    let app = spawn_app();
    // People who took part in a meeting held in Beijing's Great Hall.
    let mut hall = person_slugs(
        &app,
        json!({"meeting": {"location": {"contains": "great hall"}}}),
    );
    hall.sort();
    assert_eq!(
        hall,
        [
            "guo-shengkun",
            "nikolai-patrushev",
            "wang-yi",
            "xi-jinping",
            "yang-jiechi"
        ]
    );
    // People mentioned in a Chinese article.
    assert_eq!(
        person_slugs(&app, json!({"article": {"language": {"eq": "zh"}}})),
        ["jin-canrong"]
    );
    // Meetings with a participant from Russia that an article reports on.
    let data = app.data(
        "{ meetings(filter: {participant: {country: {eq: \"RU\"}, name: {contains: \"patrushev\"}}, \
                              article: {source: {slug: {eq: \"consulate-general-prc\"}}}}) { nodes { slug } } }",
    );
    assert_eq!(
        data["meetings"]["nodes"],
        json!([{"slug": "xi-jinping-nikolai-patrushev-2019-12-02"}])
    );
    // Articles tagged 精华精选 mentioning someone called Person 07.
    let (slugs, _) = article_slugs(
        &app,
        json!({"tag": {"name": {"eq": "精华精选"}}, "person": {"name": {"eq": "Person 07"}}}),
    );
    assert!(!slugs.is_empty());
    // Quotes by Patrushev at the meeting, in the consulate's article.
    let data = app.data(
        "{ quotes(filter: {person: {slug: {eq: \"nikolai-patrushev\"}}, meeting: {heldOn: {eq: \"2019-12-02\"}}, \
                           article: {slug: {startsWith: \"xi-jinping\"}}, text: {contains: \"UNBREAKABLE\"}}) { totalCount nodes { verb } } }",
    );
    assert_eq!(data["quotes"]["totalCount"], 1);
    assert_eq!(data["quotes"]["nodes"], json!([{"verb": "said"}]));
}

#[test]
fn names_match_native_names_and_aliases_in_any_script() {
    let app = spawn_app();
    assert_eq!(
        person_slugs(&app, json!({"name": {"contains": "ПАТРУШЕВ"}})),
        ["nikolai-patrushev"]
    );
    assert_eq!(
        person_slugs(&app, json!({"name": {"contains": "习"}})),
        ["xi-jinping"]
    );
    assert_eq!(
        person_slugs(&app, json!({"name": {"startsWith": "president vlad"}})),
        ["vladimir-putin"]
    );
    assert_eq!(
        person_slugs(&app, json!({"name": {"eq": "金灿荣教授"}})),
        ["jin-canrong"]
    );
    assert_eq!(
        person_slugs(&app, json!({"name": {"endsWith": "ЕВ"}})),
        ["nikolai-patrushev"]
    );
}

#[test]
fn percent_and_underscore_match_literally() {
    let app = spawn_app();
    let bundle = json!({"articles": [
        {"slug": "percent", "title": "100% sure_thing", "language": "en", "status": "PUBLISHED"},
        {"slug": "plain", "title": "100 sure thing", "language": "en", "status": "PUBLISHED"},
    ]});
    app.db
        .run(content_api::service::import::import_bundle(
            &app.db.db,
            bundle.to_string().as_bytes(),
        ))
        .unwrap();
    assert_eq!(
        article_slugs(&app, json!({"title": {"contains": "%"}})).0,
        ["percent"]
    );
    assert_eq!(
        article_slugs(&app, json!({"title": {"contains": "_"}})).0,
        ["percent"]
    );
    assert_eq!(
        article_slugs(&app, json!({"title": {"startsWith": "100%"}})).0,
        ["percent"]
    );
    assert_eq!(
        article_slugs(&app, json!({"title": {"contains": "e_t"}})).0,
        ["percent"]
    );
    assert_eq!(
        article_slugs(&app, json!({"title": {"contains": "."}})).1,
        0
    );
}

#[test]
fn nested_connections_honour_their_filters() {
    let app = spawn_app();
    let data = app.data(
        "{ person(slug: \"xi-jinping\") { \
             articles(first: 5, filter: {language: {eq: \"en\"}, title: {startsWith: \"generated article 00\"}}) { totalCount nodes { title } } \
             meetings(filter: {title: {eq: \"Meeting 01\"}}) { totalCount edges { role node { title } } } } \
           source(slug: \"test-agency\") { articles(filter: {person: {slug: {eq: \"person-03\"}}}) { totalCount } } \
           tag(slug: \"jinghua-jingxuan\") { articles(filter: {language: {eq: \"zh\"}}) { totalCount nodes { slug } } } \
           meeting(slug: \"meeting-02\") { articles(filter: {slug: {endsWith: \"002\"}}) { totalCount } } \
           article(slug: \"xi-jinping-meets-nikolai-patrushev\") { people(filter: {country: {eq: \"RU\"}}) { totalCount nodes { slug } } } }",
    );
    let xi = &data["person"];
    assert_eq!(xi["articles"]["totalCount"], 10);
    assert_eq!(xi["articles"]["nodes"].as_array().unwrap().len(), 5);
    assert!(xi["articles"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["title"]
            .as_str()
            .unwrap()
            .starts_with("Generated article 00")));
    assert_eq!(xi["meetings"]["totalCount"], 3);
    assert!(xi["meetings"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["role"] == "HOST"));
    assert_eq!(
        data["source"]["articles"]["totalCount"],
        (GENERATED_ARTICLES / 30 * 2) as i64
    );
    assert_eq!(
        data["tag"]["articles"],
        json!({"totalCount": 1, "nodes": [{"slug": "jin-canrong-featured"}]})
    );
    assert_eq!(data["meeting"]["articles"]["totalCount"], 1);
    assert_eq!(data["article"]["people"]["totalCount"], 2);
    // The same filter on every parent of a list is still one statement per level.
    let (_, small) = app.count_statements("{ people(first: 2) { nodes { articles(first: 2, filter: {language: {eq: \"en\"}}) { totalCount nodes { slug } } } } }");
    let (_, large) = app.count_statements("{ people(first: 30) { nodes { articles(first: 2, filter: {language: {eq: \"en\"}}) { totalCount nodes { slug } } } } }");
    assert_eq!(small, large);
    assert_eq!(large, 3);
}

#[test]
fn filtered_lists_page_without_gap_or_duplicate() {
    let app = spawn_app();
    let filter =
        json!({"or": [{"person": {"slug": {"eq": "person-01"}}}, {"title": {"endsWith": "7"}}]});
    let (expected, total) = article_slugs(&app, filter.clone());
    assert_eq!(expected.len() as i64, total);
    assert!(total > 7, "the filter should select several pages");
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let data = app.data_with(
            "query($f: ArticleFilter, $c: String) { articles(first: 3, after: $c, filter: $f, orderBy: [TITLE_DESC]) { pageInfo { hasNextPage endCursor } nodes { slug } } }",
            json!({"f": filter, "c": cursor}),
        );
        let connection = &data["articles"];
        seen.extend(
            connection["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["slug"].as_str().unwrap().to_owned()),
        );
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        cursor = Some(
            connection["pageInfo"]["endCursor"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (mut a, mut b) = (seen.clone(), expected.clone());
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn drafts_never_show_through_relation_filters() {
    let app = spawn_app();
    // Only hidden articles' titles start with "SECRET" ("Secretary" is in a published one).
    let leaked = person_slugs(
        &app,
        json!({"article": {"title": {"startsWith": "SECRET"}}}),
    );
    assert!(leaked.is_empty(), "{leaked:?}");
    let data = app.data("{ meetings(filter: {article: {title: {startsWith: \"SECRET\"}}}) { totalCount } \
                           quotes(filter: {article: {title: {startsWith: \"SECRET\"}}}) { totalCount } \
                           q2: quotes(filter: {text: {startsWith: \"SECRET\"}}) { totalCount } }");
    assert_eq!(data["meetings"]["totalCount"], 0);
    assert_eq!(data["quotes"]["totalCount"], 0);
    assert_eq!(data["q2"]["totalCount"], 0);
}

#[test]
fn empty_deep_and_bad_filters_are_refused_with_their_path() {
    let app = spawn_app();
    let refused = |query: &str, field: &str| {
        let errors = app.errors(query, json!({}));
        assert_eq!(code(&errors[0]), "BAD_USER_INPUT", "{query}: {errors:?}");
        assert_eq!(errors[0]["extensions"]["field"], field, "{query}");
    };
    refused("{ articles(filter: {}) { totalCount } }", "filter");
    refused(
        "{ articles(filter: {title: {}}) { totalCount } }",
        "filter.title",
    );
    refused(
        "{ articles(filter: {person: {name: {}}}) { totalCount } }",
        "filter.person.name",
    );
    refused(
        "{ articles(filter: {publishedAt: {}}) { totalCount } }",
        "filter.publishedAt",
    );
    refused(
        "{ people(filter: {or: [{slug: {eq: \"a\"}}, {}]}) { totalCount } }",
        "filter.or.1",
    );
    refused(
        "{ articles(filter: {id: {eq: \"not-an-id\"}}) { totalCount } }",
        "filter.id.eq",
    );
    refused(
        "{ person(slug: \"xi-jinping\") { articles(filter: {tag: {}}) { totalCount } } }",
        "filter.tag",
    );
    // Seven levels: article → person → meeting → participant → article → person → meeting.
    let deep = "{ articles(filter: {person: {meeting: {participant: {article: {person: {meeting: {title: {eq: \"x\"}}}}}}}}) { totalCount } }";
    refused(
        deep,
        "filter.person.meeting.participant.article.person.meeting",
    );
    let six = "{ articles(filter: {person: {meeting: {participant: {article: {person: {slug: {eq: \"x\"}}}}}}}) { totalCount } }";
    assert_eq!(app.data(six)["articles"]["totalCount"], 0);
}

#[test]
fn hostile_values_are_just_values() {
    let app = spawn_app();
    for value in [
        "'; DROP TABLE articles; --",
        "%",
        "_",
        "\\",
        "\" OR 1=1 --",
        "(?i).*",
        "[",
        "NEAR(a b)",
        "a*",
        "title:x",
    ] {
        for operator in ["eq", "contains", "startsWith", "endsWith"] {
            let (slugs, total) = article_slugs(&app, json!({"title": {operator: value}}));
            assert_eq!(total, slugs.len() as i64);
            assert!(total <= 1, "{operator} {value}: {slugs:?}");
        }
    }
    let long = "x".repeat(10_000);
    assert_eq!(
        article_slugs(&app, json!({"title": {"contains": long}})).1,
        0
    );
    assert_eq!(
        article_slugs(&app, json!({"language": {"ne": "zz"}})).1,
        129,
        "the articles are all still there"
    );
}

/// A visible article and the slugs of what it links to, read through the nested lists.
struct Links {
    slug: String,
    people: Vec<String>,
    tags: Vec<String>,
    meetings: Vec<String>,
}

fn slugs_of(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap().to_owned())
        .collect()
}

/// Every visible article with its links, link by link.
fn articles_with_links(app: &TestApp) -> Vec<Links> {
    let mut all = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app.data_with(
            "query($after: String) { articles(first: 40, after: $after) { pageInfo { hasNextPage endCursor } \
               nodes { slug people(first: 20) { nodes { slug } } tags { slug } meetings { slug } } } }",
            json!({"after": after}),
        );
        for node in data["articles"]["nodes"].as_array().unwrap() {
            all.push(Links {
                slug: node["slug"].as_str().unwrap().to_owned(),
                people: slugs_of(&node["people"]["nodes"]),
                tags: slugs_of(&node["tags"]),
                meetings: slugs_of(&node["meetings"]),
            });
        }
        if data["articles"]["pageInfo"]["hasNextPage"] != true {
            return all;
        }
        after = data["articles"]["pageInfo"]["endCursor"].clone();
    }
}

/// Publishes an article that mentions only Xi Jinping.
fn publish_an_article_about_xi_alone(app: &TestApp) {
    let token = token(app, entity::Role::Editor);
    let xi = app.data("{ person(slug: \"xi-jinping\") { id } }")["person"]["id"].clone();
    let id = data_as(
        app,
        &token,
        "mutation($input: ArticleInput!) { createArticle(input: $input) { id } }",
        json!({"input": {"slug": "xi-alone", "title": "Xi alone", "language": "en", "personIds": [xi]}}),
    )["createArticle"]["id"]
        .clone();
    data_as(
        app,
        &token,
        "mutation($id: ID!) { publishArticle(id: $id) { id } }",
        json!({"id": id}),
    );
}

/// Relation filters alone, negated, and inside nested lists that already go through the same
/// link table (one parent, and several at once), against the links read one by one.
#[test]
fn relation_filters_agree_with_the_links_read_one_by_one() {
    let app = spawn_app();
    publish_an_article_about_xi_alone(&app);
    let articles = articles_with_links(&app);
    assert!(articles.len() > 100);
    let filtered = |filter: Value| -> Vec<String> {
        let mut slugs = Vec::new();
        let mut after = Value::Null;
        loop {
            let data = app.data_with(
                "query($f: ArticleFilter, $after: String) { articles(first: 100, after: $after, filter: $f) { \
                   totalCount pageInfo { hasNextPage endCursor } nodes { slug } } }",
                json!({"f": filter, "after": after}),
            );
            let list = &data["articles"];
            slugs.extend(slugs_of(&list["nodes"]));
            if list["pageInfo"]["hasNextPage"] != true {
                assert_eq!(list["totalCount"], slugs.len() as i64, "{filter}");
                slugs.sort();
                return slugs;
            }
            after = list["pageInfo"]["endCursor"].clone();
        }
    };
    let expected = |keep: &dyn Fn(&Links) -> bool| -> Vec<String> {
        let mut slugs: Vec<String> = articles
            .iter()
            .filter(|links| keep(links))
            .map(|links| links.slug.clone())
            .collect();
        slugs.sort();
        slugs
    };
    let has = |list: &[String], slug: &str| list.iter().any(|s| s == slug);

    let xi = expected(&|a| has(&a.people, "xi-jinping"));
    assert!(!xi.is_empty() && xi.len() < articles.len());
    assert_eq!(
        filtered(json!({"person": {"slug": {"eq": "xi-jinping"}}})),
        xi
    );
    let not_xi = expected(&|a| !has(&a.people, "xi-jinping"));
    assert_eq!(
        filtered(json!({"not": {"person": {"slug": {"eq": "xi-jinping"}}}})),
        not_xi
    );
    let person_03_or_untagged = expected(&|a| has(&a.people, "person-03") || a.tags.is_empty());
    assert_eq!(
        filtered(
            json!({"or": [{"person": {"slug": {"eq": "person-03"}}}, {"not": {"tag": {"slug": {"ne": "no-such-tag"}}}}]})
        ),
        person_03_or_untagged
    );
    let tagged = expected(&|a| has(&a.tags, "jinghua-jingxuan"));
    assert!(!tagged.is_empty());
    assert_eq!(
        filtered(json!({"tag": {"slug": {"eq": "jinghua-jingxuan"}}})),
        tagged
    );
    let reporting = expected(&|a| has(&a.meetings, "meeting-02"));
    assert!(!reporting.is_empty());
    assert_eq!(
        filtered(json!({"meeting": {"slug": {"eq": "meeting-02"}}})),
        reporting
    );
    let no_meeting = expected(&|a| a.meetings.is_empty());
    assert!(!no_meeting.is_empty());
    assert_eq!(
        filtered(json!({"not": {"meeting": {"slug": {"ne": "no-such-meeting"}}}})),
        no_meeting
    );

    // Inside a person's own articles (a list joined through the article–person links):
    // articles that also mention Patrushev, and those that mention nobody else; for one
    // person alone and for several at once.
    let both_of =
        |person: &str| expected(&|a| has(&a.people, person) && has(&a.people, "nikolai-patrushev"));
    let alone_of =
        |person: &str| expected(&|a| !a.people.is_empty() && a.people.iter().all(|p| p == person));
    assert!(!both_of("xi-jinping").is_empty());
    assert_eq!(alone_of("xi-jinping"), ["xi-alone"]);
    let lists = "both: articles(first: 100, filter: {person: {slug: {eq: \"nikolai-patrushev\"}}}) { totalCount nodes { slug } } \
                 alone: articles(first: 100, filter: {not: {person: {slug: {ne: \"SELF\"}}}}) { totalCount nodes { slug } }";
    let sorted = |list: &Value| -> Vec<String> {
        let mut slugs = slugs_of(&list["nodes"]);
        slugs.sort();
        assert_eq!(list["totalCount"], slugs.len() as i64);
        slugs
    };
    let one = app.data(&format!(
        "{{ person(slug: \"xi-jinping\") {{ {} }} }}",
        lists.replace("SELF", "xi-jinping")
    ));
    assert_eq!(sorted(&one["person"]["both"]), both_of("xi-jinping"));
    assert_eq!(sorted(&one["person"]["alone"]), alone_of("xi-jinping"));
    let people = ["xi-jinping", "nikolai-patrushev", "person-03", "wang-yi"];
    for person in people {
        // All four parents' lists at once (one windowed statement), checked for one of them.
        let many = app.data(&format!(
            "{{ people(first: 4, filter: {{slug: {{in: {people:?}}}}}) {{ nodes {{ slug {} }} }} }}",
            lists.replace("SELF", person)
        ));
        let nodes = many["people"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), people.len());
        let node = nodes.iter().find(|n| n["slug"] == person).unwrap();
        assert_eq!(sorted(&node["both"]), both_of(person), "{person}");
    }

    // People who met Patrushev (through the meeting–participant links both ways), against
    // the meetings' participants read one by one.
    let meetings =
        app.data("{ meetings(first: 100) { nodes { participants { person { slug } } } } }");
    let mut met: Vec<String> = Vec::new();
    for meeting in meetings["meetings"]["nodes"].as_array().unwrap() {
        let present: Vec<String> = meeting["participants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["person"]["slug"].as_str().unwrap().to_owned())
            .collect();
        if has(&present, "nikolai-patrushev") {
            met.extend(present);
        }
    }
    met.sort();
    met.dedup();
    assert!(met.len() > 1);
    let people = app.data(
        "{ people(first: 100, filter: {meeting: {participant: {slug: {eq: \"nikolai-patrushev\"}}}}) { totalCount nodes { slug } } }",
    );
    assert_eq!(sorted(&people["people"]), met);
}
