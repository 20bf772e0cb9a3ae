//! Every relation, in both directions, on the seed content.

use serde_json::json;

use crate::helpers::{spawn_app, TestApp, GENERATED_ARTICLES};

const MAIN: &str = "xi-jinping-meets-nikolai-patrushev";
const MEETING: &str = "xi-jinping-nikolai-patrushev-2019-12-02";

#[test]
fn who_took_part_in_the_meeting_the_consulate_article_reports_on() {
    let app = spawn_app();
    let data = app.data(&format!(
        "{{ article(slug: \"{MAIN}\") {{ source {{ name kind }} meetings {{ title heldOn location \
           participants {{ role person {{ name nativeName }} }} }} }} }}"
    ));
    let article = &data["article"];
    assert_eq!(
        article["source"],
        json!({"name": "Consulate General of the PRC", "kind": "GOVERNMENT"})
    );
    let meeting = &article["meetings"][0];
    assert_eq!(meeting["heldOn"], "2019-12-02");
    assert_eq!(meeting["location"], "Great Hall of the People");
    let participants: Vec<(String, String)> = meeting["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["role"].as_str().unwrap().to_owned(),
                p["person"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("HOST", "Xi Jinping"),
        ("GUEST", "Nikolai Patrushev"),
        ("ATTENDEE", "Yang Jiechi"),
        ("ATTENDEE", "Guo Shengkun"),
        ("ATTENDEE", "Wang Yi"),
    ];
    assert_eq!(
        participants,
        expected.map(|(r, n)| (r.to_owned(), n.to_owned())).to_vec()
    );
    let hosts = app.data(&format!(
        "{{ meeting(slug: \"{MEETING}\") {{ participants(role: HOST) {{ person {{ slug }} }} }} }}"
    ));
    assert_eq!(
        hosts["meeting"]["participants"],
        json!([{"person": {"slug": "xi-jinping"}}])
    );
}

#[test]
fn article_relations_lead_to_sources_tags_people_meetings_and_quotes() {
    let app = spawn_app();
    let data = app.data(&format!(
        "{{ article(slug: \"{MAIN}\") {{ tags {{ slug }} people {{ totalCount nodes {{ slug positions {{ title organization }} aliases }} }} \
           quotes {{ verb text person {{ slug }} article {{ slug }} meeting {{ slug }} }} }} \
           featured: article(slug: \"jin-canrong-featured\") {{ tags {{ name }} source {{ name }} people {{ nodes {{ nativeName }} }} }} }}"
    ));
    let article = &data["article"];
    assert_eq!(article["tags"], json!([]));
    assert_eq!(article["people"]["totalCount"], 6);
    let people: Vec<&str> = article["people"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        people,
        [
            "guo-shengkun",
            "nikolai-patrushev",
            "vladimir-putin",
            "wang-yi",
            "xi-jinping",
            "yang-jiechi"
        ]
    );
    let patrushev = &article["people"]["nodes"][1];
    assert_eq!(
        patrushev["positions"][0]["title"],
        "Secretary of the National Security Council"
    );
    assert_eq!(patrushev["aliases"], json!(["Patrushev"]));
    let quotes = article["quotes"].as_array().unwrap();
    assert_eq!(quotes.len(), 5);
    assert_eq!(quotes[0]["verb"], "pointed out");
    assert_eq!(quotes[1]["verb"], "stressed");
    assert_eq!(quotes[3]["person"]["slug"], "nikolai-patrushev");
    for quote in quotes {
        assert_eq!(quote["article"]["slug"], MAIN);
        assert_eq!(quote["meeting"]["slug"], MEETING);
    }
    let featured = &data["featured"];
    assert_eq!(featured["tags"], json!([{"name": "精华精选"}]));
    assert!(featured["source"].is_null());
    assert_eq!(
        featured["people"]["nodes"],
        json!([{"nativeName": "金灿荣"}])
    );
}

#[test]
fn people_lead_to_their_meetings_articles_and_quotes() {
    let app = spawn_app();
    let data = app.data(
        "{ person(slug: \"nikolai-patrushev\") { name nativeName country \
             meetings { totalCount edges { role node { slug } } } \
             articles { totalCount nodes { slug } } \
             quotes { totalCount nodes { verb meeting { slug } } } } \
           xi: person(slug: \"xi-jinping\") { meetings(role: HOST, first: 3, orderBy: [HELD_ON_ASC]) { totalCount edges { role node { heldOn } } } \
             guest: meetings(role: GUEST) { totalCount } } }",
    );
    let person = &data["person"];
    assert_eq!(person["nativeName"], "Николай Патрушев");
    assert_eq!(person["meetings"]["totalCount"], 1);
    assert_eq!(
        person["meetings"]["edges"][0],
        json!({"role": "GUEST", "node": {"slug": MEETING}})
    );
    assert_eq!(person["articles"]["totalCount"], 1);
    assert_eq!(person["articles"]["nodes"][0]["slug"], MAIN);
    assert_eq!(person["quotes"]["totalCount"], 2);
    assert_eq!(person["quotes"]["nodes"][0]["verb"], "said");
    let xi = &data["xi"];
    assert_eq!(xi["meetings"]["totalCount"], 13);
    assert_eq!(xi["guest"]["totalCount"], 0);
    let edges = xi["meetings"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 3);
    assert_eq!(edges[0]["node"]["heldOn"], "2019-12-02");
    assert!(edges.iter().all(|e| e["role"] == "HOST"));
}

#[test]
fn meetings_sources_and_tags_lead_back_to_articles() {
    let app = spawn_app();
    let data = app.data(&format!(
        "{{ meeting(slug: \"{MEETING}\") {{ articles {{ totalCount nodes {{ slug }} }} quotes {{ text person {{ slug }} }} }} \
           source(slug: \"consulate-general-prc\") {{ articles {{ totalCount nodes {{ slug }} }} }} \
           agency: source(slug: \"test-agency\") {{ kind url articles(first: 2, orderBy: [TITLE_ASC]) {{ totalCount nodes {{ title }} }} }} \
           tag(slug: \"jinghua-jingxuan\") {{ articles(first: 1) {{ totalCount nodes {{ slug }} }} }} \
           other: tag(slug: \"jingxuan-jinghua\") {{ articles {{ totalCount nodes {{ title }} }} }} }}"
    ));
    assert_eq!(
        data["meeting"]["articles"],
        json!({"totalCount": 1, "nodes": [{"slug": MAIN}]})
    );
    assert_eq!(data["meeting"]["quotes"].as_array().unwrap().len(), 5);
    assert_eq!(
        data["source"]["articles"],
        json!({"totalCount": 1, "nodes": [{"slug": MAIN}]})
    );
    assert_eq!(data["agency"]["kind"], "NEWS_AGENCY");
    assert_eq!(
        data["agency"]["articles"]["totalCount"],
        GENERATED_ARTICLES as i64
    );
    assert_eq!(
        data["agency"]["articles"]["nodes"][0]["title"],
        "Generated article 000"
    );
    assert_eq!(
        data["tag"]["articles"]["totalCount"],
        GENERATED_ARTICLES as i64 + 1
    );
    assert_eq!(
        data["tag"]["articles"]["nodes"][0]["slug"],
        "jin-canrong-featured"
    );
    assert_eq!(
        data["other"]["articles"],
        json!({"totalCount": 1, "nodes": [{"title": "黑超哥"}]})
    );
}

#[test]
fn scalars_come_back_in_their_formats() {
    let app = spawn_app();
    let data = app.data(&format!(
        "{{ article(slug: \"{MAIN}\") {{ publishedAt createdAt updatedAt version status featured language }} }}"
    ));
    let article = &data["article"];
    let published =
        chrono::DateTime::parse_from_rfc3339(article["publishedAt"].as_str().unwrap()).unwrap();
    assert_eq!(
        published,
        chrono::DateTime::parse_from_rfc3339("2019-12-02T20:00:00+08:00").unwrap()
    );
    assert_eq!(published.offset().local_minus_utc(), 0, "returned in UTC");
    assert!(chrono::DateTime::parse_from_rfc3339(article["createdAt"].as_str().unwrap()).is_ok());
    assert_eq!(article["version"], 1);
    assert_eq!(article["status"], "PUBLISHED");
    assert_eq!(article["featured"], false);
    assert_eq!(article["language"], "en");
}

/// Scalar and enum fields are answered in place (`graphql::plain`) unless the selection has
/// a fragment, which async-graphql resolves itself: every such field must come back the
/// same both ways, on every type that has them, nested through every relation that returns
/// the wrapped types.
#[test]
fn fields_answered_in_place_match_those_async_graphql_resolves() {
    let app = spawn_app();
    let in_place = r#"{ articles(first: 6) { edges { node { __typename id headline: title } } nodes {
        __typename id slug title summary body language status featured publishedAt createdAt updatedAt version
        source { __typename id slug name kind url description createdAt updatedAt }
        tags { __typename id slug name }
        people(first: 4) { nodes { __typename id slug name nativeName country bio createdAt updatedAt
            positions { __typename title organization startedOn endedOn } } }
        meetings { id title participants { role person { __typename id slug name nativeName } } }
        quotes { id text verb article { __typename id slug title publishedAt } } } }
      quotes(first: 3) { nodes { __typename id text verb } }
      people(first: 3) { nodes {
        meetings(first: 2) { edges { role node { __typename id slug title
        description heldOn location city country occasion createdAt updatedAt } } } } } }"#;
    let by_fragments = r#"{ articles(first: 6) { edges { node { ... on Article { __typename id headline: title } } } nodes { ... on Article {
        __typename id slug title summary body language status featured publishedAt createdAt updatedAt version
        source { ... on Source { __typename id slug name kind url description createdAt updatedAt } }
        tags { ... on Tag { __typename id slug name } }
        people(first: 4) { nodes { ... on Person { __typename id slug name nativeName country bio createdAt updatedAt
            positions { ... on Position { __typename title organization startedOn endedOn } } } } }
        meetings { id title participants { role person { ... on Person { __typename id slug name nativeName } } } }
        quotes { id text verb article { ... on Article { __typename id slug title publishedAt } } } } } }
      quotes(first: 3) { nodes { ... on Quote { __typename id text verb } } }
      people(first: 3) { nodes {
        meetings(first: 2) { edges { role node { ... on Meeting { __typename id slug title
        description heldOn location city country occasion createdAt updatedAt } } } } } } }"#;
    let fast = app.data(in_place);
    assert_eq!(fast, app.data(by_fragments));
    // The data has the values both ways: text and null, every type present.
    let text = fast.to_string();
    for present in [
        "\"Article\"",
        "\"Source\"",
        "\"Tag\"",
        "\"Person\"",
        "\"Position\"",
        "\"Meeting\"",
        "\"Quote\"",
        "\"headline\"",
        "\"summary\":null",
    ] {
        assert!(text.contains(present), "{present} missing from {fast:#}");
    }
}

/// The selection of an article that the page tests below ask for both on a page's nodes (where
/// the page loads the relations ahead, `graphql::ahead`) and on the article alone (where each
/// field loads its own): aliases with other arguments and columns, a fragment, variables.
const ARTICLE_SELECTION: &str = "slug source { slug } s2: source { name kind } tags { slug } ...more \
    few: people(first: 1) { nodes { slug positions { title } } } \
    many: people(first: $n, filter: $f) { totalCount edges { node { name positions { organization } } } }";
const ARTICLE_FRAGMENT: &str =
    "fragment more on Article { tags { name } people(first: 3) { nodes { slug } } }";

/// The server's count of relation fields found loaded ahead by their page, and of those
/// loaded alone (`content_api_loads_total`).
fn relation_loads(app: &TestApp) -> (u64, u64) {
    let metrics = app.get("/metrics").body;
    let count = |found: &str| {
        let prefix = format!("content_api_loads_total{{found=\"{found}\"}} ");
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {metrics}"))
            .parse::<u64>()
            .unwrap()
    };
    (count("ahead"), count("alone"))
}

#[test]
fn relations_a_page_loads_ahead_are_those_each_article_loads_alone() {
    let app = spawn_app();
    let variables = json!({"n": 5, "f": {"name": {"contains": "ERSON"}}});
    let (ahead, alone) = relation_loads(&app);
    let page = app.graphql(
        &format!(
            "query($n: Int, $f: PersonFilter) {{ articles(first: 25) {{ nodes {{ {ARTICLE_SELECTION} }} \
             edges {{ node {{ {ARTICLE_SELECTION} }} }} }} }} {ARTICLE_FRAGMENT}"
        ),
        variables.clone(),
    );
    assert!(page.get("errors").is_none(), "{page:#}");
    // Every relation field of the page's nodes, and of the people pages under them, found
    // its value loaded ahead.
    let (page_ahead, page_alone) = relation_loads(&app);
    assert_eq!(page_alone, alone, "relation fields loaded alone");
    assert!(page_ahead > ahead + 25 * 8, "{page_ahead} found ahead");
    let nodes = page["data"]["articles"]["nodes"].as_array().unwrap();
    let edges = page["data"]["articles"]["edges"].as_array().unwrap();
    assert_eq!(nodes.len(), 25);
    for (node, edge) in nodes.iter().zip(edges) {
        assert_eq!(node, &edge["node"]);
        let slug = node["slug"].as_str().unwrap();
        let alone = app.graphql(
            &format!(
                "query($n: Int, $f: PersonFilter) {{ article(slug: \"{slug}\") {{ {ARTICLE_SELECTION} }} }} \
                 {ARTICLE_FRAGMENT}"
            ),
            variables.clone(),
        );
        assert!(alone.get("errors").is_none(), "{alone:#}");
        assert_eq!(&alone["data"]["article"], node, "{slug}");
    }
    // The page has every case: articles with and without a source, several people, positions.
    let text = page.to_string();
    assert!(nodes.iter().any(|node| node["source"].is_null()));
    assert!(nodes.iter().any(|node| node["s2"]["kind"] == "NEWS_AGENCY"));
    assert!(nodes
        .iter()
        .any(|node| node["many"]["edges"].as_array().unwrap().len() > 1));
    assert!(text.contains("\"organization\":\""), "{text}");
    // Alone, an article's relations are not a page's: they loaded alone.
    assert!(relation_loads(&app).1 > page_alone);
}

#[test]
fn participants_quotes_and_their_articles_a_page_loads_ahead_are_those_each_loads_alone() {
    let app = spawn_app();
    let (_, alone) = relation_loads(&app);
    let meeting = "slug participants { role person { slug } } hosts: participants(role: $role) { person { name } }";
    let quote = "id text person { slug name } article { slug title }";
    let page = app.graphql(
        &format!(
            "query($role: ParticipantRole) {{ person(slug: \"xi-jinping\") {{ \
               meetings(first: 30) {{ edges {{ role node {{ {meeting} }} }} nodes {{ {meeting} }} }} \
               quotes(first: 30) {{ nodes {{ {quote} }} }} }} \
             meetings(first: 30) {{ nodes {{ {meeting} }} }} quotes(first: 30) {{ edges {{ node {{ {quote} }} }} }} }}"
        ),
        json!({"role": "HOST"}),
    );
    assert!(page.get("errors").is_none(), "{page:#}");
    assert_eq!(
        relation_loads(&app).1,
        alone,
        "relation fields loaded alone"
    );
    let data = &page["data"];
    let meetings: Vec<&serde_json::Value> = data["person"]["meetings"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"])
        .chain(data["person"]["meetings"]["nodes"].as_array().unwrap())
        .chain(data["meetings"]["nodes"].as_array().unwrap())
        .collect();
    assert!(meetings.len() > 20, "{data:#}");
    for node in meetings {
        let slug = node["slug"].as_str().unwrap();
        let alone = app.data_with(
            &format!(
                "query($role: ParticipantRole) {{ meeting(slug: \"{slug}\") {{ {meeting} }} }}"
            ),
            json!({"role": "HOST"}),
        );
        assert_eq!(&alone["meeting"], node, "{slug}");
        assert!(!node["participants"].as_array().unwrap().is_empty());
    }
    let quotes: Vec<&serde_json::Value> = data["person"]["quotes"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .chain(
            data["quotes"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| &edge["node"]),
        )
        .collect();
    assert!(quotes.len() > 10, "{data:#}");
    for node in quotes {
        let id = node["id"].as_str().unwrap();
        let alone = app.data(&format!(
            "{{ node(id: \"{id}\") {{ ... on Quote {{ {quote} }} }} }}"
        ));
        assert_eq!(&alone["node"], node, "{id}");
    }
}

/// A page loads nothing ahead for a field whose arguments are wrong: the field reports that
/// itself, at its own path, and its siblings still come back.
#[test]
fn a_bad_argument_under_a_page_is_reported_by_its_own_field() {
    let app = spawn_app();
    let answer = app.graphql(
        "{ articles(first: 2) { nodes { slug tags { slug } people(first: -1) { nodes { name } } } } }",
        json!({}),
    );
    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{answer:#}");
    for (index, error) in errors.iter().enumerate() {
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{answer:#}");
        assert_eq!(error["path"], json!(["articles", "nodes", index, "people"]));
    }
}

/// A page whose nodes select a relation it does not load ahead (an article's `quotes`) loads
/// nothing ahead, so that relation starts with the others rather than after them: every
/// field loads alone, in one batch per level as before.
#[test]
fn a_page_loads_nothing_ahead_when_its_nodes_select_a_relation_it_does_not() {
    let app = spawn_app();
    let (ahead, alone) = relation_loads(&app);
    let (data, statements) = app.count_statements(
        "{ articles(first: 10) { nodes { slug tags { slug } quotes { text } } } }",
    );
    assert_eq!(data["articles"]["nodes"].as_array().unwrap().len(), 10);
    // page + tags + quotes.
    assert_eq!(statements, 3);
    let (after_ahead, after_alone) = relation_loads(&app);
    assert_eq!(after_ahead, ahead);
    // The ten `tags` (an article's `quotes` load no other way).
    assert_eq!(after_alone, alone + 10);
}

/// A relation a page loaded ahead and failed to load fails each of its fields with the batch's
/// error, at the field's own path, as each field's own load would have; the failed statement
/// is not run again for every field.
#[test]
fn a_relation_a_page_fails_to_load_fails_its_fields_once() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app();
    app.db
        .run(app.db.db.execute_unprepared("DROP TABLE article_tags"))
        .unwrap();
    let before = app.db.statements();
    let answer = app.graphql(
        "{ articles(first: 3) { nodes { slug tags { slug } } } }",
        json!({}),
    );
    // The page and the failed tags.
    assert_eq!(app.db.statements() - before, 2, "{answer:#}");
    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{answer:#}");
    for (index, error) in errors.iter().enumerate() {
        assert_eq!(error["extensions"]["code"], "INTERNAL_SERVER_ERROR");
        assert_eq!(error["path"], json!(["articles", "nodes", index, "tags"]));
    }
    let nodes = answer["data"]["articles"]["nodes"].as_array().unwrap();
    assert!(
        nodes.iter().all(|node| node["slug"].is_string()),
        "{answer:#}"
    );
}
