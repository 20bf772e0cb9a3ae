//! The write side: every mutation's success path and its validation errors, patch semantics,
//! versions under concurrency, transactions, slugs, publishing and scheduling, and what each
//! role may see and do.

use entity::Role;
use serde_json::{json, Value};

use crate::helpers::{
    as_holder, code, data_as, loaded, spawn_app, spawn_app_over, token, TestApp, TestDb,
};

/// The errors of an answer for `token` that must have some.
fn errors_as(app: &TestApp, token: &str, query: &str, variables: Value) -> Vec<Value> {
    let answer = as_holder(app, token, query, variables);
    answer["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected errors: {answer:#}"))
        .clone()
}

/// `(code, field)` of every error, in order.
fn codes_and_fields(errors: &[Value]) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|error| {
            (
                code(error).to_owned(),
                error["extensions"]["field"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            )
        })
        .collect()
}

/// The global ID of a row found by slug.
fn id_of(app: &TestApp, token: &str, kind: &str, slug: &str) -> String {
    let query = format!("{{ {kind}(slug: \"{slug}\") {{ id }} }}");
    let data = data_as(app, token, &query, json!({}));
    data[kind]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no {kind} {slug}"))
        .to_owned()
}

const CREATE_ARTICLE: &str = "mutation($input: ArticleInput!) { createArticle(input: $input) { \
    id slug title summary body language status featured publishedAt version createdAt updatedAt \
    source { slug } tags { slug } people { nodes { slug } } meetings { slug } } }";

const UPDATE_ARTICLE: &str = "mutation($id: ID!, $input: ArticlePatch!, $v: Int) { \
    updateArticle(id: $id, input: $input, expectedVersion: $v) { \
    id slug title summary body language status featured publishedAt version createdAt updatedAt \
    source { slug } tags { slug } people { nodes { slug } } meetings { slug } } }";

#[test]
fn anonymous_callers_may_not_change_anything() {
    let app = spawn_app();
    let article = id_of(
        &app,
        &token(&app, Role::Editor),
        "article",
        "xi-jinping-meets-nikolai-patrushev",
    );
    let mutations = [
        "mutation { createTag(input: {name: \"T\"}) { id } }".to_owned(),
        "mutation { createSource(input: {name: \"S\", kind: BLOG}) { id } }".to_owned(),
        "mutation { createPerson(input: {name: \"P\"}) { id } }".to_owned(),
        "mutation { createMeeting(input: {title: \"M\", heldOn: \"2020-01-01\"}) { id } }"
            .to_owned(),
        "mutation { createArticle(input: {title: \"A\", language: \"en\"}) { id } }".to_owned(),
        format!(
            "mutation {{ updateArticle(id: \"{article}\", input: {{title: \"X\"}}) {{ id }} }}"
        ),
        format!("mutation {{ unpublishArticle(id: \"{article}\") {{ id }} }}"),
        format!("mutation {{ deleteArticle(id: \"{article}\") }}"),
    ];
    for mutation in &mutations {
        let errors = app.errors(mutation, json!({}));
        assert_eq!(
            code(&errors[0]),
            "UNAUTHENTICATED",
            "{mutation}: {errors:?}"
        );
    }
    let data = app.data("{ article(slug: \"xi-jinping-meets-nikolai-patrushev\") { title status } tags(first: 100) { nodes { name } } }");
    assert_eq!(data["article"]["status"], "PUBLISHED");
    assert!(!data.to_string().contains("\"T\""));
}

#[test]
fn bad_tokens_are_refused_never_taken_as_anonymous() {
    let app = spawn_app();
    let revoked = token(&app, Role::Editor);
    let id = app
        .db
        .run(content_api::service::token::list(&app.db.db))
        .unwrap()
        .last()
        .unwrap()
        .id;
    app.db
        .run(content_api::service::token::revoke(&app.db.db, id))
        .unwrap();
    let body = json!({"query": "{ articles { totalCount } }"}).to_string();
    let unknown = format!("Bearer cat_{}", "0".repeat(64));
    let revoked = format!("Bearer {revoked}");
    for header in [
        "Bearer nonsense",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        unknown.as_str(),
        revoked.as_str(),
    ] {
        let answer = app.post("/graphql", &body, &[("authorization", header)]);
        assert_eq!(answer.status, 401, "{header}: {}", answer.body);
        let errors = answer.json()["errors"].clone();
        assert_eq!(code(&errors[0]), "UNAUTHENTICATED", "{header}");
        assert!(answer.json()["data"].is_null());
    }
}

#[test]
fn an_editor_creates_every_kind_of_record() {
    let app = spawn_app();
    let editor = token(&app, Role::Editor);
    let source = data_as(&app, &editor, "mutation { createSource(input: {name: \"Xinhua News\", kind: NEWS_AGENCY, url: \"https://x.example\"}) { id slug name kind url description } }", json!({}))["createSource"].clone();
    assert_eq!(source["slug"], "xinhua-news");
    assert_eq!(source["kind"], "NEWS_AGENCY");
    assert!(source["description"].is_null());
    let tag = data_as(
        &app,
        &editor,
        "mutation { createTag(input: {name: \"精华 精选\"}) { id slug name } }",
        json!({}),
    )["createTag"]
        .clone();
    assert_eq!(tag["slug"], "精华-精选");
    let person = data_as(
        &app,
        &editor,
        "mutation($input: PersonInput!) { createPerson(input: $input) { id slug name nativeName aliases country positions { title organization startedOn endedOn } } }",
        json!({"input": {"name": "Zhao Lijian", "nativeName": "赵立坚", "aliases": ["Spokesman Zhao"], "country": "CN",
            "positions": [{"title": "Foreign Minister", "organization": "PRC", "startedOn": "2013-03-16", "endedOn": "2022-12-30"}]}}),
    )["createPerson"].clone();
    assert_eq!(person["slug"], "zhao-lijian");
    assert_eq!(person["aliases"], json!(["Spokesman Zhao"]));
    assert_eq!(person["positions"][0]["endedOn"], "2022-12-30");
    let xi = id_of(&app, &editor, "person", "xi-jinping");
    let meeting = data_as(
        &app,
        &editor,
        "mutation($input: MeetingInput!) { createMeeting(input: $input) { id slug title heldOn city participants { role person { slug } } } }",
        json!({"input": {"title": "Xi meets Wang", "heldOn": "2020-05-01", "city": "Beijing", "country": "CN",
            "participants": [{"personId": xi, "role": "HOST"}, {"personId": person["id"], "role": "GUEST"}]}}),
    )["createMeeting"].clone();
    assert_eq!(meeting["slug"], "xi-meets-wang");
    assert_eq!(
        meeting["participants"],
        json!([{"role": "HOST", "person": {"slug": "xi-jinping"}}, {"role": "GUEST", "person": {"slug": "zhao-lijian"}}])
    );
    let article = data_as(
        &app,
        &editor,
        CREATE_ARTICLE,
        json!({"input": {"title": "Wang Yi visits", "language": "en", "summary": "S", "sourceId": source["id"],
            "tagIds": [tag["id"]], "personIds": [person["id"], xi], "meetingIds": [meeting["id"]]}}),
    )["createArticle"].clone();
    assert_eq!(article["slug"], "wang-yi-visits");
    assert_eq!(article["status"], "DRAFT");
    assert_eq!(article["featured"], false);
    assert_eq!(article["version"], 1);
    assert_eq!(article["createdAt"], article["updatedAt"]);
    assert_eq!(article["source"]["slug"], "xinhua-news");
    assert_eq!(article["tags"], json!([{"slug": "精华-精选"}]));
    assert_eq!(
        article["people"]["nodes"],
        json!([{"slug": "xi-jinping"}, {"slug": "zhao-lijian"}])
    );
    assert_eq!(article["meetings"], json!([{"slug": "xi-meets-wang"}]));
    let quote_query = "mutation($input: QuoteInput!) { createQuote(input: $input) { id text verb person { slug } article { slug quotes { text } } meeting { slug } } }";
    let first = data_as(&app, &editor, quote_query, json!({"input": {"text": "First.", "verb": "said", "personId": person["id"], "articleId": article["id"], "meetingId": meeting["id"]}}))["createQuote"].clone();
    assert_eq!(first["meeting"]["slug"], "xi-meets-wang");
    let second = data_as(
        &app,
        &editor,
        quote_query,
        json!({"input": {"text": "Second.", "personId": xi, "articleId": article["id"]}}),
    )["createQuote"]
        .clone();
    assert_eq!(
        second["article"]["quotes"],
        json!([{"text": "First."}, {"text": "Second."}])
    );
    assert!(second["verb"].is_null() && second["meeting"].is_null());
    // The same name again gets the next free slug.
    let again = data_as(&app, &editor, "mutation { a: createTag(input: {name: \"精华 精选\"}) { slug } b: createTag(input: {name: \"精华 精选\"}) { slug } }", json!({}));
    assert_eq!(
        again,
        json!({"a": {"slug": "精华-精选-2"}, "b": {"slug": "精华-精选-3"}})
    );
    // Reads see what was written, through the search index too.
    let found = data_as(&app, &editor, "{ search(query: \"Wang Yi visits\", types: [ARTICLE]) { nodes { ... on Article { slug } } } }", json!({}));
    assert_eq!(found["search"]["nodes"][0]["slug"], "wang-yi-visits");
}

#[test]
fn a_patch_changes_only_what_it_names() {
    let app = spawn_app();
    let editor = token(&app, Role::Editor);
    let tag = id_of(&app, &editor, "tag", "jingxuan-jinghua");
    let created = data_as(&app, &editor, CREATE_ARTICLE, json!({"input": {"title": "Original", "language": "en", "summary": "Sum", "body": "Body", "tagIds": [tag]}}))["createArticle"].clone();
    let id = created["id"].clone();
    std::thread::sleep(std::time::Duration::from_millis(5));
    // Only the title.
    let updated = data_as(
        &app,
        &editor,
        UPDATE_ARTICLE,
        json!({"id": id, "input": {"title": "Changed"}}),
    )["updateArticle"]
        .clone();
    assert_eq!(updated["title"], "Changed");
    for unchanged in [
        "slug",
        "summary",
        "body",
        "language",
        "status",
        "tags",
        "createdAt",
    ] {
        assert_eq!(updated[unchanged], created[unchanged], "{unchanged}");
    }
    assert_eq!(updated["version"], 2);
    assert_ne!(updated["updatedAt"], created["updatedAt"]);
    // An explicit null clears; a list given replaces the list; an empty list empties it.
    let cleared = data_as(
        &app,
        &editor,
        UPDATE_ARTICLE,
        json!({"id": id, "input": {"summary": null, "tagIds": []}}),
    )["updateArticle"]
        .clone();
    assert!(cleared["summary"].is_null());
    assert_eq!(cleared["body"], "Body");
    assert_eq!(cleared["tags"], json!([]));
    assert_eq!(cleared["version"], 3);
    assert_eq!(cleared["createdAt"], created["createdAt"]);
    // A required field cannot be cleared.
    let errors = errors_as(
        &app,
        &editor,
        UPDATE_ARTICLE,
        json!({"id": id, "input": {"title": null}}),
    );
    assert_eq!(
        codes_and_fields(&errors),
        [("BAD_USER_INPUT".to_owned(), "input.title".to_owned())]
    );
    // People: the patch of a person replaces aliases, keeps the rest.
    let person = id_of(&app, &editor, "person", "xi-jinping");
    let before = data_as(
        &app,
        &editor,
        "{ person(slug: \"xi-jinping\") { name nativeName aliases positions { title } } }",
        json!({}),
    )["person"]
        .clone();
    let after = data_as(&app, &editor, "mutation($id: ID!) { updatePerson(id: $id, input: {aliases: [\"Xi\"], bio: null}) { name nativeName aliases bio positions { title } } }", json!({"id": person}))["updatePerson"].clone();
    assert_eq!(after["aliases"], json!(["Xi"]));
    assert_eq!(after["name"], before["name"]);
    assert_eq!(after["nativeName"], before["nativeName"]);
    assert_eq!(after["positions"], before["positions"]);
}

#[test]
fn every_problem_of_an_input_is_reported_with_its_field() {
    let app = spawn_app();
    let editor = token(&app, Role::Editor);
    let person = id_of(&app, &editor, "person", "xi-jinping");
    let errors = errors_as(
        &app,
        &editor,
        CREATE_ARTICLE,
        json!({"input": {"title": "   ", "language": "english!", "sourceId": person,
            "tagIds": ["not-an-id", "VGFnOjk5OTk5"], "personIds": [person, person]}}),
    );
    let mut found = codes_and_fields(&errors);
    found.sort();
    let bad = |field: &str| ("BAD_USER_INPUT".to_owned(), field.to_owned());
    assert_eq!(
        found,
        [
            bad("input.language"),
            bad("input.personIds[1]"),
            bad("input.sourceId"),
            bad("input.tagIds[0]"),
            bad("input.tagIds[1]"),
            bad("input.title")
        ],
        "{errors:#?}"
    );
    let long = "长".repeat(501);
    let errors = errors_as(
        &app,
        &editor,
        CREATE_ARTICLE,
        json!({"input": {"title": long, "language": "zh"}}),
    );
    assert_eq!(codes_and_fields(&errors), [bad("input.title")]);
    assert!(errors[0]["message"].as_str().unwrap().contains("500"));
    let errors = errors_as(
        &app,
        &editor,
        "mutation($input: PersonInput!) { createPerson(input: $input) { id } }",
        json!({"input": {"name": "", "country": "China", "aliases": ["A", "A"],
            "positions": [{"title": "T", "startedOn": "2020-01-02", "endedOn": "2019-01-01"}]}}),
    );
    let mut found = codes_and_fields(&errors);
    found.sort();
    assert_eq!(
        found,
        [
            bad("input.aliases[1]"),
            bad("input.country"),
            bad("input.name"),
            bad("input.positions[0].endedOn")
        ]
    );
    let errors = errors_as(
        &app,
        &editor,
        "mutation($input: MeetingInput!) { createMeeting(input: $input) { id } }",
        json!({"input": {"title": "M", "heldOn": "2020-01-01", "country": "XX",
            "participants": [{"personId": person, "role": "HOST"}, {"personId": "UGVyc29uOjk5OTk5", "role": "GUEST"}, {"personId": person, "role": "GUEST"}]}}),
    );
    let mut found = codes_and_fields(&errors);
    found.sort();
    assert_eq!(
        found,
        [
            bad("input.country"),
            bad("input.participants[1].personId"),
            bad("input.participants[2].personId")
        ]
    );
    // A taken slug is a conflict.
    let errors = errors_as(
        &app,
        &editor,
        "mutation { createTag(input: {name: \"x\", slug: \"jingxuan-jinghua\"}) { id } }",
        json!({}),
    );
    assert_eq!(code(&errors[0]), "CONFLICT");
    // Nothing of the refused inputs was written.
    let data = data_as(&app, &editor, "{ articles(first: 100, filter: {language: {eq: \"english!\"}}) { totalCount } people(filter: {country: {eq: \"China\"}}) { totalCount } tags(first: 100) { totalCount } }", json!({}));
    assert_eq!(data["articles"]["totalCount"], 0);
    assert_eq!(data["people"]["totalCount"], 0);
    // Unknown and mistyped targets.
    let errors = errors_as(
        &app,
        &editor,
        "mutation { deleteTag(id: \"VGFnOjk5OTk5\") }",
        json!({}),
    );
    assert_eq!(code(&errors[0]), "NOT_FOUND");
    let errors = errors_as(
        &app,
        &editor,
        &format!("mutation {{ deleteTag(id: \"{person}\") }}"),
        json!({}),
    );
    assert_eq!(codes_and_fields(&errors), [bad("id")]);
}

#[test]
fn a_stale_expected_version_is_a_conflict_and_changes_nothing() {
    let app = spawn_app();
    let editor = token(&app, Role::Editor);
    let id = id_of(
        &app,
        &editor,
        "article",
        "xi-jinping-meets-nikolai-patrushev",
    );
    let first = data_as(
        &app,
        &editor,
        UPDATE_ARTICLE,
        json!({"id": id, "input": {"featured": true}, "v": 1}),
    )["updateArticle"]
        .clone();
    assert_eq!(first["version"], 2);
    let errors = errors_as(
        &app,
        &editor,
        UPDATE_ARTICLE,
        json!({"id": id, "input": {"title": "Lost"}, "v": 1}),
    );
    assert_eq!(code(&errors[0]), "CONFLICT");
    let now = data_as(
        &app,
        &editor,
        &format!(
            "{{ node(id: \"{}\") {{ ... on Article {{ title version updatedAt }} }} }}",
            id.as_str()
        ),
        json!({}),
    )["node"]
        .clone();
    assert_eq!(now["version"], 2);
    assert_eq!(now["updatedAt"], first["updatedAt"]);
    assert_ne!(now["title"], "Lost");
}

#[test]
fn of_many_concurrent_updates_with_one_expected_version_exactly_one_lands() {
    // On SQLite a file with a pool of connections, so that the writers really race.
    let app = spawn_app_over(loaded(TestDb::on_disk()));
    let editor = token(&app, Role::Editor);
    let id = id_of(
        &app,
        &editor,
        "article",
        "xi-jinping-meets-nikolai-patrushev",
    );
    let outcomes: Vec<Value> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|n| {
                let (app, editor, id) = (&app, &editor, &id);
                scope.spawn(move || {
                    as_holder(
                        app,
                        editor,
                        UPDATE_ARTICLE,
                        json!({"id": id, "input": {"title": format!("Writer {n}")}, "v": 1}),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let landed: Vec<&Value> = outcomes
        .iter()
        .filter(|answer| answer.get("errors").is_none())
        .collect();
    assert_eq!(landed.len(), 1, "{outcomes:#?}");
    for refused in outcomes
        .iter()
        .filter(|answer| answer.get("errors").is_some())
    {
        assert_eq!(code(&refused["errors"][0]), "CONFLICT", "{refused}");
    }
    let winner = landed[0]["data"]["updateArticle"]["title"].clone();
    let stored = data_as(
        &app,
        &editor,
        &format!("{{ node(id: \"{id}\") {{ ... on Article {{ title version }} }} }}"),
        json!({}),
    )["node"]
        .clone();
    assert_eq!(stored, json!({"title": winner, "version": 2}));
}

#[test]
fn a_change_that_fails_half_way_leaves_nothing_behind() {
    let app = spawn_app();
    let editor = token(&app, Role::Editor);
    let tag = id_of(&app, &editor, "tag", "jingxuan-jinghua");
    // A trigger makes the tag links fail after the article row is written.
    let fail = if app.db.url.starts_with("postgres") {
        vec![
            "CREATE FUNCTION refuse_links() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$",
            "CREATE TRIGGER refuse_links BEFORE INSERT ON article_tags FOR EACH ROW EXECUTE FUNCTION refuse_links()",
        ]
    } else {
        vec!["CREATE TRIGGER refuse_links BEFORE INSERT ON article_tags BEGIN SELECT RAISE(ABORT, 'refused'); END"]
    };
    for statement in fail {
        app.db
            .run(sea_orm::ConnectionTrait::execute_unprepared(
                &app.db.db, statement,
            ))
            .unwrap();
    }
    let before = data_as(&app, &editor, "{ articles { totalCount } }", json!({}));
    let errors = errors_as(
        &app,
        &editor,
        CREATE_ARTICLE,
        json!({"input": {"title": "Half way", "language": "en", "tagIds": [tag]}}),
    );
    assert_eq!(code(&errors[0]), "INTERNAL_SERVER_ERROR");
    assert!(
        !errors[0]["message"].as_str().unwrap().contains("refused"),
        "the cause leaked: {errors:?}"
    );
    let id = id_of(
        &app,
        &editor,
        "article",
        "xi-jinping-meets-nikolai-patrushev",
    );
    let errors = errors_as(
        &app,
        &editor,
        UPDATE_ARTICLE,
        json!({"id": id, "input": {"title": "Half way", "tagIds": [tag]}}),
    );
    assert_eq!(code(&errors[0]), "INTERNAL_SERVER_ERROR");
    let after = data_as(&app, &editor, "{ articles { totalCount } article(slug: \"xi-jinping-meets-nikolai-patrushev\") { title version tags { slug } } search(query: \"Half way\") { totalCount } }", json!({}));
    assert_eq!(after["articles"], before["articles"]);
    assert_eq!(after["article"]["version"], 1);
    assert_ne!(after["article"]["title"], "Half way");
    assert_eq!(after["search"]["totalCount"], 0);
}

#[test]
fn publishing_scheduling_and_unpublishing() {
    let app = spawn_app();
    let editor = token(&app, Role::Editor);
    let xi = id_of(&app, &editor, "person", "xi-jinping");
    let created = data_as(
        &app,
        &editor,
        CREATE_ARTICLE,
        json!({"input": {"title": "Zebra crossing report", "language": "en", "personIds": [xi]}}),
    )["createArticle"]
        .clone();
    let id = created["id"].as_str().unwrap().to_owned();
    let anonymous_view = format!(
        "{{ node(id: \"{id}\") {{ id }} article(slug: \"zebra-crossing-report\") {{ id }} \
         articles(first: 1) {{ totalCount nodes {{ slug }} }} search(query: \"zebra\") {{ totalCount }} \
         person(slug: \"xi-jinping\") {{ articles(first: 1) {{ nodes {{ slug }} }} }} }}"
    );
    let hidden = |data: &Value| {
        data["node"].is_null()
            && data["article"].is_null()
            && data["articles"]["nodes"][0]["slug"] != "zebra-crossing-report"
            && data["person"]["articles"]["nodes"][0]["slug"] != "zebra-crossing-report"
            && data["search"]["totalCount"] == 0
    };
    let total = |data: &Value| data["articles"]["totalCount"].as_i64().unwrap();
    let draft = app.data(&anonymous_view);
    assert!(hidden(&draft), "{draft}");
    // The editor sees the draft.
    let seen = data_as(&app, &editor, &anonymous_view, json!({}));
    assert_eq!(seen["node"]["id"], id);
    assert_eq!(seen["search"]["totalCount"], 1);
    // Published now: the newest article for everyone.
    let published = data_as(
        &app,
        &editor,
        "mutation($id: ID!) { publishArticle(id: $id) { status publishedAt version } }",
        json!({"id": id}),
    )["publishArticle"]
        .clone();
    assert_eq!(published["status"], "PUBLISHED");
    assert!(published["publishedAt"].is_string());
    let visible = app.data(&anonymous_view);
    assert_eq!(visible["node"]["id"], id);
    assert_eq!(
        visible["articles"]["nodes"][0]["slug"],
        "zebra-crossing-report"
    );
    assert_eq!(visible["search"]["totalCount"], 1);
    assert_eq!(total(&visible), total(&draft) + 1);
    // Unpublished: hidden again.
    let unpublished = data_as(
        &app,
        &editor,
        "mutation($id: ID!) { unpublishArticle(id: $id) { status } }",
        json!({"id": id}),
    )["unpublishArticle"]
        .clone();
    assert_eq!(unpublished["status"], "DRAFT");
    assert!(hidden(&app.data(&anonymous_view)));
    // Scheduled two seconds ahead: hidden until then, then shown with nothing else done.
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let scheduled = data_as(&app, &editor, "mutation($id: ID!, $at: DateTime) { publishArticle(id: $id, publishedAt: $at) { status } }", json!({"id": id, "at": at}))["publishArticle"].clone();
    assert_eq!(scheduled["status"], "PUBLISHED");
    let early = app.data(&anonymous_view);
    assert!(hidden(&early), "{early}");
    assert_eq!(total(&early), total(&draft));
    assert_eq!(
        data_as(&app, &editor, &anonymous_view, json!({}))["node"]["id"],
        id
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let due = app.data(&anonymous_view);
    assert_eq!(due["node"]["id"], id);
    assert_eq!(due["search"]["totalCount"], 1);
    // Archived: hidden.
    data_as(
        &app,
        &editor,
        UPDATE_ARTICLE,
        json!({"id": id, "input": {"status": "ARCHIVED"}}),
    );
    assert!(hidden(&app.data(&anonymous_view)));
}

#[test]
fn editors_and_admins_read_drafts_anonymous_callers_do_not() {
    let app = spawn_app();
    let query = "{ articles(first: 100) { totalCount } draft: article(slug: \"secret-draft-0\") { title } \
        quotes(first: 100) { totalCount } search(query: \"secret\", types: [ARTICLE]) { totalCount } }";
    let anonymous = app.data(query);
    assert!(anonymous["draft"].is_null());
    for role in [Role::Editor, Role::Admin] {
        let holder = token(&app, role);
        let seen = data_as(&app, &holder, query, json!({}));
        assert!(seen["draft"]["title"].is_string(), "{role:?}: {seen}");
        assert!(
            seen["articles"]["totalCount"].as_i64() > anonymous["articles"]["totalCount"].as_i64()
        );
        assert!(seen["search"]["totalCount"].as_i64() > anonymous["search"]["totalCount"].as_i64());
    }
}

#[test]
fn deletes_take_what_hangs_on_a_record_with_them() {
    let app = spawn_app();
    let editor = token(&app, Role::Editor);
    let article = id_of(
        &app,
        &editor,
        "article",
        "xi-jinping-meets-nikolai-patrushev",
    );
    let before = data_as(
        &app,
        &editor,
        "{ quotes(first: 100) { totalCount } }",
        json!({}),
    );
    let deleted = data_as(
        &app,
        &editor,
        "mutation($id: ID!) { deleteArticle(id: $id) }",
        json!({"id": article}),
    );
    assert_eq!(deleted["deleteArticle"], article);
    let after = data_as(&app, &editor, &format!("{{ node(id: \"{article}\") {{ id }} quotes(first: 100) {{ totalCount }} person(slug: \"xi-jinping\") {{ articles {{ nodes {{ slug }} }} }} }}"), json!({}));
    assert!(after["node"].is_null());
    assert!(after["quotes"]["totalCount"].as_i64() < before["quotes"]["totalCount"].as_i64());
    assert!(!after
        .to_string()
        .contains("xi-jinping-meets-nikolai-patrushev"));
    let errors = errors_as(
        &app,
        &editor,
        "mutation($id: ID!) { deleteArticle(id: $id) }",
        json!({"id": article}),
    );
    assert_eq!(code(&errors[0]), "NOT_FOUND");
    // A source's articles stay, without a source.
    let source = id_of(&app, &editor, "source", "consulate-general-prc");
    data_as(
        &app,
        &editor,
        "mutation($id: ID!) { deleteSource(id: $id) }",
        json!({"id": source}),
    );
    let orphans = data_as(&app, &editor, "{ articles(first: 100, filter: {source: {slug: {eq: \"consulate-general-prc\"}}}) { totalCount } }", json!({}));
    assert_eq!(orphans["articles"]["totalCount"], 0);
    // A person goes with their quotes and participations.
    let person = id_of(&app, &editor, "person", "nikolai-patrushev");
    data_as(
        &app,
        &editor,
        "mutation($id: ID!) { deletePerson(id: $id) }",
        json!({"id": person}),
    );
    let gone = data_as(&app, &editor, "{ quotes(first: 100) { nodes { person { slug } } } meetings(first: 100) { nodes { participants { person { slug } } } } }", json!({}));
    assert!(!gone.to_string().contains("nikolai-patrushev"), "{gone}");
}

#[test]
fn hostile_strings_are_stored_and_returned_verbatim() {
    let app = spawn_app();
    let editor = token(&app, Role::Editor);
    let hostile = [
        "'; DROP TABLE articles; --",
        "100% _match_ \\ \" ' `",
        "<script>alert(1)</script>",
        "Robert'); DELETE FROM people WHERE ('1'='1",
        "\"quoted\" NEAR(a b) title:x * ^",
    ];
    for (index, text) in hostile.iter().enumerate() {
        let created = data_as(&app, &editor, CREATE_ARTICLE, json!({"input": {"title": text, "language": "en", "summary": text, "slug": format!("hostile-{index}")}}))["createArticle"].clone();
        assert_eq!(created["title"], *text);
        assert_eq!(created["summary"], *text);
        let read = data_as(
            &app,
            &editor,
            &format!("{{ article(slug: \"hostile-{index}\") {{ title summary }} }}"),
            json!({}),
        );
        assert_eq!(read["article"]["title"], *text);
    }
    let counts = data_as(
        &app,
        &editor,
        "{ articles { totalCount } people { totalCount } }",
        json!({}),
    );
    assert!(counts["people"]["totalCount"].as_i64().unwrap() > 0);
}

#[test]
fn quotes_and_meetings_change_in_place() {
    let app = spawn_app();
    let editor = token(&app, Role::Editor);
    let meeting = id_of(
        &app,
        &editor,
        "meeting",
        "xi-jinping-nikolai-patrushev-2019-12-02",
    );
    let xi = id_of(&app, &editor, "person", "xi-jinping");
    let changed = data_as(
        &app,
        &editor,
        "mutation($id: ID!, $xi: ID!) { updateMeeting(id: $id, input: {city: null, participants: [{personId: $xi, role: ATTENDEE}]}) { title city participants { role person { slug } } } }",
        json!({"id": meeting, "xi": xi}),
    )["updateMeeting"].clone();
    assert!(changed["city"].is_null());
    assert_eq!(
        changed["participants"],
        json!([{"role": "ATTENDEE", "person": {"slug": "xi-jinping"}}])
    );
    let quote = data_as(
        &app,
        &editor,
        "{ quotes(first: 1) { nodes { id text article { id } } } }",
        json!({}),
    )["quotes"]["nodes"][0]
        .clone();
    let other = data_as(
        &app,
        &editor,
        CREATE_ARTICLE,
        json!({"input": {"title": "Other", "language": "en"}}),
    )["createArticle"]["id"]
        .clone();
    let moved = data_as(
        &app,
        &editor,
        "mutation($id: ID!, $to: ID!) { updateQuote(id: $id, input: {articleId: $to, verb: \"noted\", meetingId: null}) { text verb meeting { id } article { id quotes { text } } } }",
        json!({"id": quote["id"], "to": other}),
    )["updateQuote"].clone();
    assert_eq!(moved["text"], quote["text"]);
    assert_eq!(moved["verb"], "noted");
    assert_eq!(moved["article"]["id"], other);
    assert_eq!(moved["article"]["quotes"], json!([{"text": quote["text"]}]));
    let gone = data_as(
        &app,
        &editor,
        "mutation($id: ID!) { deleteQuote(id: $id) }",
        json!({"id": quote["id"]}),
    );
    assert_eq!(gone["deleteQuote"], quote["id"]);
}

#[test]
fn sources_tags_and_meetings_are_updated_and_deleted() {
    let app = spawn_app();
    let editor = token(&app, Role::Editor);
    let source = id_of(&app, &editor, "source", "consulate-general-prc");
    let changed = data_as(
        &app,
        &editor,
        "mutation($id: ID!) { updateSource(id: $id, input: {name: \"Consulate\", url: null, kind: GOVERNMENT}) { slug name kind url } }",
        json!({"id": source}),
    )["updateSource"].clone();
    assert_eq!(
        changed,
        json!({"slug": "consulate-general-prc", "name": "Consulate", "kind": "GOVERNMENT", "url": null})
    );
    let tag = id_of(&app, &editor, "tag", "jingxuan-jinghua");
    let renamed = data_as(
        &app,
        &editor,
        "mutation($id: ID!) { updateTag(id: $id, input: {name: \"Picks\", slug: \"picks\"}) { slug name } }",
        json!({"id": tag}),
    )["updateTag"].clone();
    assert_eq!(renamed, json!({"slug": "picks", "name": "Picks"}));
    let gone = data_as(
        &app,
        &editor,
        "mutation($id: ID!) { deleteTag(id: $id) }",
        json!({"id": tag}),
    );
    assert_eq!(gone["deleteTag"], tag);
    let meeting = id_of(
        &app,
        &editor,
        "meeting",
        "xi-jinping-nikolai-patrushev-2019-12-02",
    );
    let gone = data_as(
        &app,
        &editor,
        "mutation($id: ID!) { deleteMeeting(id: $id) }",
        json!({"id": meeting}),
    );
    assert_eq!(gone["deleteMeeting"], meeting);
    let after = data_as(
        &app,
        &editor,
        &format!("{{ tag: node(id: \"{tag}\") {{ id }} meeting: node(id: \"{meeting}\") {{ id }} \
            article(slug: \"xi-jinping-meets-nikolai-patrushev\") {{ tags {{ slug }} meetings {{ slug }} }} }}"),
        json!({}),
    );
    assert!(
        after["tag"].is_null() && after["meeting"].is_null(),
        "{after}"
    );
    assert_eq!(after["article"]["meetings"], json!([]));
    assert!(!after["article"]["tags"].to_string().contains("picks"));
}
