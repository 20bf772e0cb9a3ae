//! The importer, called directly: bundles, streams and files; idempotence; replacement of
//! changed records; references; every kind of bad input, named and rolled back whole.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use content_api::service::export::export_stream;
use content_api::service::import::{
    import_bundle, import_files, import_sample_data, import_stream, ImportError, ImportSummary,
};
use entity::{
    article, article_meeting, article_person, article_tag, meeting, meeting_participant, person,
    person_alias, position, quote, source, tag, ArticleStatus,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::helpers::{TestDb, SEED_BUNDLE};

/// Records in the seed bundle: 1 source, 2 tags, 8 people, 1 meeting, 6 articles.
const SEED_RECORDS: u64 = 18;

/// Rows per table after importing the seed bundle into an empty database.
fn seed_counts() -> BTreeMap<&'static str, u64> {
    BTreeMap::from([
        ("sources", 1),
        ("tags", 2),
        ("people", 8),
        ("person_aliases", 5),
        ("positions", 5),
        ("meetings", 1),
        ("meeting_participants", 5),
        ("articles", 6),
        ("article_tags", 2),
        ("article_people", 8),
        ("article_meetings", 1),
        ("quotes", 5),
    ])
}

/// How many rows each table has.
pub async fn count_rows(db: &DatabaseConnection) -> BTreeMap<&'static str, u64> {
    BTreeMap::from([
        ("sources", source::Entity::find().count(db).await.unwrap()),
        ("tags", tag::Entity::find().count(db).await.unwrap()),
        ("people", person::Entity::find().count(db).await.unwrap()),
        (
            "person_aliases",
            person_alias::Entity::find().count(db).await.unwrap(),
        ),
        (
            "positions",
            position::Entity::find().count(db).await.unwrap(),
        ),
        ("meetings", meeting::Entity::find().count(db).await.unwrap()),
        (
            "meeting_participants",
            meeting_participant::Entity::find().count(db).await.unwrap(),
        ),
        ("articles", article::Entity::find().count(db).await.unwrap()),
        (
            "article_tags",
            article_tag::Entity::find().count(db).await.unwrap(),
        ),
        (
            "article_people",
            article_person::Entity::find().count(db).await.unwrap(),
        ),
        (
            "article_meetings",
            article_meeting::Entity::find().count(db).await.unwrap(),
        ),
        ("quotes", quote::Entity::find().count(db).await.unwrap()),
    ])
}

/// Every row of every table, ids and timestamps included, for exact comparisons.
pub async fn every_row(db: &DatabaseConnection) -> String {
    let mut rows = String::new();
    macro_rules! dump {
        ($($module:ident),*) => {$(
            for row in $module::Entity::find().order_by_asc($module::Column::Id).all(db).await.unwrap() {
                rows.push_str(&format!("{row:?}\n"));
            }
        )*};
    }
    dump!(
        source,
        tag,
        person,
        person_alias,
        position,
        meeting,
        meeting_participant,
        article,
        article_tag,
        article_person,
        article_meeting,
        quote
    );
    rows
}

/// The whole database in the stream framing.
pub async fn export_text(db: &DatabaseConnection) -> String {
    let mut out = Vec::new();
    export_stream(db, &mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

/// Imports a stream given as text.
pub async fn import_text(
    db: &DatabaseConnection,
    text: &str,
) -> Result<ImportSummary, ImportError> {
    import_stream(db, text.as_bytes()).await
}

fn summary(created: u64, updated: u64, unchanged: u64) -> ImportSummary {
    ImportSummary {
        created,
        updated,
        unchanged,
    }
}

async fn article_by_slug(db: &DatabaseConnection, slug: &str) -> article::Model {
    article::Entity::find()
        .filter(article::Column::Slug.eq(slug))
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

async fn person_by_slug(db: &DatabaseConnection, slug: &str) -> person::Model {
    person::Entity::find()
        .filter(person::Column::Slug.eq(slug))
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn the_seed_bundle_imports_every_record() {
    let test = TestDb::new();
    test.run(async {
        let db = &test.db;
        assert_eq!(
            import_bundle(db, SEED_BUNDLE).await.unwrap(),
            summary(SEED_RECORDS, 0, 0)
        );
        assert_eq!(count_rows(db).await, seed_counts());

        let meeting_article = article_by_slug(db, "xi-jinping-meets-nikolai-patrushev").await;
        assert_eq!(
            meeting_article.published_at,
            Some(at("2019-12-02T12:00:00Z"))
        );
        assert_eq!(meeting_article.status, ArticleStatus::Published);
        assert_eq!(meeting_article.version, 1);
        assert!(meeting_article.source_id.is_some());
        let quotes = quote::Entity::find()
            .filter(quote::Column::ArticleId.eq(meeting_article.id))
            .order_by_asc(quote::Column::Id)
            .all(db)
            .await
            .unwrap();
        let positions: Vec<i32> = quotes.iter().map(|said| said.position).collect();
        assert_eq!(positions, vec![0, 1, 2, 3, 4]);
        assert_eq!(quotes[0].verb.as_deref(), Some("pointed out"));

        let putin = person_by_slug(db, "vladimir-putin").await;
        let aliases: Vec<String> = person_alias::Entity::find()
            .filter(person_alias::Column::PersonId.eq(putin.id))
            .order_by_asc(person_alias::Column::Id)
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.alias)
            .collect();
        assert_eq!(aliases, vec!["President Vladimir Putin", "Putin"]);
    });
}

#[test]
fn the_sample_data_is_the_seed_bundle() {
    let test = TestDb::new();
    test.run(async {
        assert_eq!(
            import_sample_data(&test.db).await.unwrap(),
            summary(SEED_RECORDS, 0, 0)
        );
        assert_eq!(count_rows(&test.db).await, seed_counts());
    });
}

#[test]
fn importing_the_same_bundle_twice_changes_nothing() {
    let test = TestDb::new();
    test.run(async {
        let db = &test.db;
        import_bundle(db, SEED_BUNDLE).await.unwrap();
        let after_first = every_row(db).await;
        assert_eq!(
            import_bundle(db, SEED_BUNDLE).await.unwrap(),
            summary(0, 0, SEED_RECORDS)
        );
        assert_eq!(every_row(db).await, after_first);
    });
}

#[test]
fn importing_the_same_stream_twice_changes_nothing() {
    let test = TestDb::new();
    test.run(async {
        let db = &test.db;
        let stream = concat!(
            r#"{"type":"person","slug":"a","name":"A","aliases":["Ay"],"positions":[{"title":"Chair","startedOn":"2001-02-03"}]}"#,
            "\n",
            r#"{"type":"tag","slug":"t","name":"T","createdAt":"2020-01-01T00:00:00Z","updatedAt":"2020-01-02T00:00:00Z"}"#,
            "\n",
            r#"{"type":"article","slug":"x","title":"X","language":"en","tags":["t"],"people":["a"],"quotes":[{"person":"a","text":"Hello"}]}"#,
            "\n",
        );
        assert_eq!(import_text(db, stream).await.unwrap(), summary(3, 0, 0));
        let after_first = every_row(db).await;
        assert_eq!(import_text(db, stream).await.unwrap(), summary(0, 0, 3));
        assert_eq!(every_row(db).await, after_first);
    });
}

#[test]
fn a_changed_record_replaces_the_stored_one_and_its_lists() {
    let test = TestDb::new();
    test.run(async {
        let db = &test.db;
        import_bundle(db, SEED_BUNDLE).await.unwrap();
        let putin_before = person_by_slug(db, "vladimir-putin").await;
        let article_before = article_by_slug(db, "jin-canrong-featured").await;
        let links_before = article_tag::Entity::find()
            .filter(article_tag::Column::ArticleId.eq(article_before.id))
            .all(db)
            .await
            .unwrap();

        let stream = concat!(
            r#"{"type":"person","slug":"vladimir-putin","name":"Vladimir Putin","nativeName":"Владимир Путин","country":"RU","aliases":["Putin","V. Putin"],"positions":[]}"#,
            "\n",
            r#"{"type":"article","slug":"jin-canrong-featured","title":"金灿荣教授 (updated)","language":"zh","status":"PUBLISHED","featured":true,"publishedAt":"2022-10-04T14:57:00+08:00","tags":["jinghua-jingxuan"],"people":["jin-canrong","xi-jinping"],"quotes":[{"person":"jin-canrong","text":"One"},{"person":"xi-jinping","verb":"said","text":"Two"}]}"#,
            "\n",
        );
        assert_eq!(import_text(db, stream).await.unwrap(), summary(0, 2, 0));

        let putin = person_by_slug(db, "vladimir-putin").await;
        assert_eq!(putin.id, putin_before.id);
        assert_eq!(putin.created_at, putin_before.created_at);
        assert!(putin.updated_at > putin_before.updated_at);
        let aliases: Vec<String> = person_alias::Entity::find()
            .filter(person_alias::Column::PersonId.eq(putin.id))
            .order_by_asc(person_alias::Column::Id)
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.alias)
            .collect();
        assert_eq!(aliases, vec!["Putin", "V. Putin"], "replaced, not appended");
        let positions = position::Entity::find()
            .filter(position::Column::PersonId.eq(putin.id))
            .count(db)
            .await
            .unwrap();
        assert_eq!(positions, 0);

        let changed = article_by_slug(db, "jin-canrong-featured").await;
        assert_eq!(changed.title, "金灿荣教授 (updated)");
        assert_eq!(changed.version, 2);
        assert_eq!(changed.created_at, article_before.created_at);
        assert!(changed.updated_at > article_before.updated_at);
        let links_after = article_tag::Entity::find()
            .filter(article_tag::Column::ArticleId.eq(changed.id))
            .all(db)
            .await
            .unwrap();
        assert_eq!(links_after, links_before, "an unchanged list keeps its rows");
        let people = article_person::Entity::find()
            .filter(article_person::Column::ArticleId.eq(changed.id))
            .count(db)
            .await
            .unwrap();
        assert_eq!(people, 2);
        let quotes = quote::Entity::find()
            .filter(quote::Column::ArticleId.eq(changed.id))
            .order_by_asc(quote::Column::Position)
            .all(db)
            .await
            .unwrap();
        let texts: Vec<(i32, &str)> = quotes
            .iter()
            .map(|said| (said.position, said.text.as_str()))
            .collect();
        assert_eq!(texts, vec![(0, "One"), (1, "Two")]);
        assert!(quotes.iter().all(|said| said.updated_at == changed.updated_at));

        let mut counts = seed_counts();
        counts.insert("person_aliases", 5);
        counts.insert("positions", 4);
        counts.insert("article_people", 9);
        counts.insert("quotes", 7);
        assert_eq!(count_rows(db).await, counts);

        // A second, identical import changes nothing.
        let after_change = every_row(db).await;
        assert_eq!(import_text(db, stream).await.unwrap(), summary(0, 0, 2));
        assert_eq!(every_row(db).await, after_change);
    });
}

#[test]
fn a_stream_skips_blank_lines_and_takes_crlf() {
    let test = TestDb::new();
    test.run(async {
        let db = &test.db;
        let stream = "\u{feff}{\"type\":\"source\",\"slug\":\"s\",\"name\":\"S\",\"kind\":\"NEWS_AGENCY\"}\r\n\
                      \r\n   \n\
                      {\"type\":\"meeting\",\"slug\":\"m\",\"title\":\"M\",\"heldOn\":\"2020-02-03\",\"participants\":[]}\n\
                      {\"type\":\"tag\",\"slug\":\"t\",\"name\":\"T\"}";
        assert_eq!(import_text(db, stream).await.unwrap(), summary(3, 0, 0));
        let held_on = meeting::Entity::find().one(db).await.unwrap().unwrap().held_on;
        assert_eq!(held_on.to_string(), "2020-02-03");
    });
}

#[test]
fn references_may_name_records_already_in_the_database() {
    let test = TestDb::new();
    test.run(async {
        let db = &test.db;
        import_bundle(db, SEED_BUNDLE).await.unwrap();
        let stream = r#"{"type":"article","slug":"follow-up","title":"Follow-up","language":"en","source":"consulate-general-prc","tags":["jingxuan-jinghua","jinghua-jingxuan"],"people":["wang-yi"],"meetings":["xi-jinping-nikolai-patrushev-2019-12-02"],"quotes":[{"person":"wang-yi","meeting":"xi-jinping-nikolai-patrushev-2019-12-02","text":"Quote"}]}"#;
        assert_eq!(import_text(db, stream).await.unwrap(), summary(1, 0, 0));
        let follow_up = article_by_slug(db, "follow-up").await;
        let tag_ids: Vec<i64> = article_tag::Entity::find()
            .filter(article_tag::Column::ArticleId.eq(follow_up.id))
            .order_by_asc(article_tag::Column::Id)
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|link| link.tag_id)
            .collect();
        let second_tag = tag::Entity::find()
            .filter(tag::Column::Slug.eq("jingxuan-jinghua"))
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(tag_ids.len(), 2);
        assert_eq!(tag_ids[0], second_tag.id, "links keep the record's order");
    });
}

#[test]
fn drafts_and_records_without_timestamps_get_defaults_and_the_import_time() {
    let test = TestDb::new();
    test.run(async {
        let db = &test.db;
        let before = Utc::now();
        let stream = concat!(
            r#"{"type":"article","slug":"draft","title":"Draft","language":"en"}"#,
            "\n",
            r#"{"type":"article","slug":"dated","title":"Dated","language":"en","createdAt":"2019-01-01T08:00:00.123456789+08:00","updatedAt":"2019-06-01T00:00:00Z"}"#,
            "\n",
            r#"{"type":"tag","slug":"half","name":"Half","createdAt":"2018-01-01T00:00:00Z"}"#,
            "\n",
        );
        import_text(db, stream).await.unwrap();
        let after = Utc::now();

        let draft = article_by_slug(db, "draft").await;
        assert_eq!(draft.status, ArticleStatus::Draft);
        assert!(!draft.featured);
        assert_eq!(draft.published_at, None);
        assert_eq!(draft.source_id, None);
        assert_eq!(draft.created_at, draft.updated_at);
        assert!(before - chrono::Duration::milliseconds(1) <= draft.created_at && draft.created_at <= after);
        assert_eq!(draft.created_at.timestamp_subsec_nanos() % 1000, 0, "microseconds");

        let dated = article_by_slug(db, "dated").await;
        assert_eq!(dated.created_at, at("2019-01-01T00:00:00.123456Z"));
        assert_eq!(dated.updated_at, at("2019-06-01T00:00:00Z"));

        let half = tag::Entity::find()
            .filter(tag::Column::Slug.eq("half"))
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(half.created_at, at("2018-01-01T00:00:00Z"));
        assert!(half.updated_at >= before - chrono::Duration::milliseconds(1));
    });
}

/// A bad input, and the error it must give.
struct BadInput {
    what: &'static str,
    stream: Option<String>,
    bundle: Option<String>,
    display: &'static str,
}

fn stream_case(what: &'static str, lines: &[&str], display: &'static str) -> BadInput {
    BadInput {
        what,
        stream: Some(lines.join("\n")),
        bundle: None,
        display,
    }
}

fn bundle_case(what: &'static str, bundle: &str, display: &'static str) -> BadInput {
    BadInput {
        what,
        stream: None,
        bundle: Some(bundle.to_owned()),
        display,
    }
}

/// A valid first line that a failing import must take back.
const NEW_TAG: &str = r#"{"type":"tag","slug":"brand-new","name":"New"}"#;

fn bad_inputs() -> Vec<BadInput> {
    vec![
        stream_case(
            "unknown reference",
            &[
                NEW_TAG,
                r#"{"type":"article","slug":"a","title":"A","language":"en","quotes":[{"person":"nobody","text":"t"}]}"#,
            ],
            r#"line 2, field quotes[0].person: no person with slug "nobody""#,
        ),
        stream_case(
            "unknown tag in a list",
            &[
                NEW_TAG,
                r#"{"type":"article","slug":"a","title":"A","language":"en","tags":["brand-new","missing"]}"#,
            ],
            r#"line 2, field tags[1]: no tag with slug "missing""#,
        ),
        stream_case(
            "unknown source",
            &[r#"{"type":"article","slug":"a","title":"A","language":"en","source":"nowhere"}"#],
            r#"line 1, field source: no source with slug "nowhere""#,
        ),
        stream_case(
            "bad date",
            &[
                NEW_TAG,
                r#"{"type":"meeting","slug":"m","title":"M","heldOn":"2019-02-30"}"#,
            ],
            r#"line 2, field heldOn: bad date "2019-02-30" (input is out of range): expected YYYY-MM-DD"#,
        ),
        stream_case(
            "bad date in a list",
            &[r#"{"type":"person","slug":"p","name":"P","positions":[{"title":"T","endedOn":"soon"}]}"#],
            r#"line 1, field positions[0].endedOn: bad date "soon" (input contains invalid characters): expected YYYY-MM-DD"#,
        ),
        stream_case(
            "bad date-time",
            &[r#"{"type":"article","slug":"a","title":"A","language":"en","publishedAt":"2019-12-02 20:00"}"#],
            r#"line 1, field publishedAt: bad date-time "2019-12-02 20:00" (premature end of input): expected RFC 3339, like 2019-12-02T20:00:00+08:00"#,
        ),
        stream_case(
            "unknown enum value",
            &[
                NEW_TAG,
                r#"{"type":"person","slug":"p","name":"P"}"#,
                r#"{"type":"meeting","slug":"m","title":"M","heldOn":"2019-12-02","participants":[{"person":"p","role":"HOST"},{"person":"brand-new","role":"BOSS"}]}"#,
            ],
            "line 3, field participants[1].role: unknown value `BOSS`, expected one of `HOST`, `GUEST`, `ATTENDEE`",
        ),
        stream_case(
            "missing required field",
            &[NEW_TAG, r#"{"type":"article","slug":"a","title":"A"}"#],
            "line 2, field language: missing required field",
        ),
        stream_case(
            "missing required field in a list",
            &[r#"{"type":"article","slug":"a","title":"A","language":"en","quotes":[{"person":"p"}]}"#],
            "line 1, field quotes[0].text: missing required field",
        ),
        stream_case(
            "unknown field",
            &[NEW_TAG, r#"{"type":"person","slug":"p","name":"P","nickname":"Pip"}"#],
            "line 2, field nickname: unknown field `nickname`, expected one of `slug`, `name`, `nativeName`, `country`, `bio`, `aliases`, `positions`, `createdAt`, `updatedAt`",
        ),
        stream_case(
            "bad JSON",
            &[NEW_TAG, r#"{"type":"tag","slug":"t","name":"T""#],
            "line 2: bad JSON: EOF while parsing an object at column 35",
        ),
        stream_case(
            "not an object",
            &[NEW_TAG, "[1, 2]"],
            "line 2: a record must be a JSON object",
        ),
        stream_case(
            "duplicate list entry",
            &[
                NEW_TAG,
                r#"{"type":"article","slug":"a","title":"A","language":"en","tags":["brand-new","brand-new"]}"#,
            ],
            r#"line 2, field tags[1]: duplicate entry "brand-new" (also at tags[0])"#,
        ),
        stream_case(
            "duplicate alias",
            &[r#"{"type":"person","slug":"p","name":"P","aliases":["Pip","Pop","Pip"]}"#],
            r#"line 1, field aliases[2]: duplicate entry "Pip" (also at aliases[0])"#,
        ),
        stream_case(
            "duplicate participant",
            &[
                r#"{"type":"person","slug":"p","name":"P"}"#,
                r#"{"type":"meeting","slug":"m","title":"M","heldOn":"2019-12-02","participants":[{"person":"p","role":"HOST"},{"person":"p","role":"GUEST"}]}"#,
            ],
            r#"line 2, field participants[1].person: duplicate entry "p" (also at participants[0].person)"#,
        ),
        stream_case(
            "missing type",
            &[NEW_TAG, r#"{"slug":"t","name":"T"}"#],
            "line 2, field type: missing required field",
        ),
        stream_case(
            "unknown type",
            &[NEW_TAG, r#"{"type":"author","slug":"t","name":"T"}"#],
            r#"line 2, field type: unknown type "author", expected one of source, tag, person, meeting, article"#,
        ),
        stream_case(
            "empty slug",
            &[NEW_TAG, r#"{"type":"tag","slug":" ","name":"T"}"#],
            "line 2, field slug: must not be empty",
        ),
        stream_case(
            "a record given twice",
            &[NEW_TAG, "", r#"{"type":"tag","slug":"brand-new","name":"Newer"}"#],
            r#"line 3, field slug: tag "brand-new" is given twice in this import (first at line 1)"#,
        ),
        stream_case(
            "a reference to a later record",
            &[
                r#"{"type":"article","slug":"a","title":"A","language":"en","people":["later"]}"#,
                r#"{"type":"person","slug":"later","name":"Later"}"#,
            ],
            r#"line 1, field people[0]: no person with slug "later""#,
        ),
        bundle_case(
            "bundle: unknown reference",
            r#"{"tags":[{"slug":"brand-new","name":"New"}],"articles":[{"slug":"a","title":"A","language":"en"},{"slug":"b","title":"B","language":"en","meetings":["nowhere"]}]}"#,
            r#"articles[1], field meetings[0]: no meeting with slug "nowhere""#,
        ),
        bundle_case(
            "bundle: unknown enum value",
            r#"{"sources":[{"slug":"s","name":"S","kind":"RADIO"}]}"#,
            "sources[0], field kind: unknown value `RADIO`, expected one of `GOVERNMENT`, `NEWS_AGENCY`, `NEWSPAPER`, `BROADCASTER`, `BLOG`, `ACADEMIC`, `SOCIAL`, `OTHER`",
        ),
        bundle_case(
            "bundle: missing required field",
            r#"{"people":[{"slug":"p","name":"P"},{"slug":"q"}]}"#,
            "people[1], field name: missing required field",
        ),
        bundle_case(
            "bundle: unknown array",
            r#"{"tags":[],"authors":[]}"#,
            "bundle, field authors: unknown field `authors`, expected one of `sources`, `tags`, `people`, `meetings`, `articles`",
        ),
        bundle_case(
            "bundle: bad JSON",
            "{\"tags\":[\n{\"slug\":\"t\",\"name\":\"T\"},\n{\"slug\" \"u\"}]}",
            "tags[1]: bad JSON: expected `:` at line 3 column 9",
        ),
        stream_case(
            "a NUL character",
            &[NEW_TAG, r#"{"type":"tag","slug":"nul","name":"a\u0000b"}"#],
            "line 2, field name: must not contain a NUL character",
        ),
        stream_case(
            "an alias too long to index",
            &[format!(
                r#"{{"type":"person","slug":"p","name":"P","aliases":["ok","{}"]}}"#,
                "名".repeat(501)
            )
            .leak()],
            "line 1, field aliases[1]: must be at most 500 characters long",
        ),
        bundle_case(
            "bundle: a slug too long",
            &format!(
                r#"{{"articles":[{{"slug":"{}","title":"A","language":"en"}}]}}"#,
                "s".repeat(201)
            ),
            "articles[0], field slug: must be at most 200 characters long",
        ),
        bundle_case(
            "bundle: a record given twice",
            r#"{"tags":[{"slug":"brand-new","name":"New"},{"slug":"brand-new","name":"New"}]}"#,
            r#"tags[1], field slug: tag "brand-new" is given twice in this import (first at tags[0])"#,
        ),
        // Records are written in batches of a few hundred: a slug given twice is found across
        // batches, and an error in a record still waiting for its batch comes before a later
        // line's error.
        stream_case(
            "a record given twice, many records apart",
            &(1..=700)
                .map(|n| {
                    let slug = if n == 650 { 5 } else { n };
                    &*format!(r#"{{"type":"tag","slug":"t{slug}","name":"T"}}"#).leak()
                })
                .collect::<Vec<&str>>(),
            r#"line 650, field slug: tag "t5" is given twice in this import (first at line 5)"#,
        ),
        stream_case(
            "an unknown reference before bad JSON",
            &[
                NEW_TAG,
                r#"{"type":"article","slug":"a","title":"A","language":"en","tags":["nothing"]}"#,
                r#"{"type":"article","slug":"b""#,
            ],
            r#"line 2, field tags[0]: no tag with slug "nothing""#,
        ),
        stream_case(
            "a record given twice before an unknown reference",
            &[
                NEW_TAG,
                r#"{"type":"tag","slug":"brand-new","name":"Newer"}"#,
                r#"{"type":"article","slug":"a","title":"A","language":"en","tags":["nothing"]}"#,
            ],
            r#"line 2, field slug: tag "brand-new" is given twice in this import (first at line 1)"#,
        ),
        // The rules mutations follow (service::validate) hold for imports too.
        stream_case(
            "a language that is not BCP 47",
            &[NEW_TAG, r#"{"type":"article","slug":"a","title":"A","language":"english!"}"#],
            r#"line 2, field language: "english!" is not a BCP 47 language tag (like "en" or "zh-Hans")"#,
        ),
        stream_case(
            "a country that is not ISO 3166-1",
            &[NEW_TAG, r#"{"type":"person","slug":"p","name":"P","country":"China"}"#],
            r#"line 2, field country: "China" is not an ISO 3166-1 alpha-2 country code (like "CN")"#,
        ),
        stream_case(
            "a blank title",
            &[NEW_TAG, r#"{"type":"meeting","slug":"m","title":"  ","heldOn":"2019-12-02"}"#],
            "line 2, field title: must not be empty",
        ),
        stream_case(
            "a position that ends before it starts",
            &[
                NEW_TAG,
                r#"{"type":"person","slug":"p","name":"P","positions":[{"title":"T","startedOn":"2020-01-02","endedOn":"2019-01-01"}]}"#,
            ],
            "line 2, field positions[0].endedOn: 2019-01-01 is before the start, 2020-01-02",
        ),
        stream_case(
            "an unknown reference before a record given twice",
            &[
                r#"{"type":"article","slug":"a","title":"A","language":"en","tags":["nothing"]}"#,
                r#"{"type":"article","slug":"a","title":"A","language":"en"}"#,
            ],
            r#"line 1, field tags[0]: no tag with slug "nothing""#,
        ),
    ]
}

#[test]
fn bad_input_is_named_and_leaves_the_database_untouched() {
    let test = TestDb::new();
    test.run(async {
        let db = &test.db;
        import_bundle(db, SEED_BUNDLE).await.unwrap();
        let rows_before = every_row(db).await;
        let export_before = export_text(db).await;
        for case in bad_inputs() {
            let result = match (&case.stream, &case.bundle) {
                (Some(stream), _) => import_text(db, stream).await,
                (_, Some(bundle)) => import_bundle(db, bundle.as_bytes()).await,
                _ => unreachable!(),
            };
            let error = result.expect_err(case.what);
            assert!(
                matches!(error, ImportError::Invalid { .. }),
                "{}: {error:?}",
                case.what
            );
            assert_eq!(error.to_string(), case.display, "{}", case.what);
            assert_eq!(
                every_row(db).await,
                rows_before,
                "{}: rolled back",
                case.what
            );
            assert_eq!(export_text(db).await, export_before, "{}", case.what);
        }
    });
}

#[test]
fn an_error_names_its_location_and_field_apart() {
    let test = TestDb::new();
    test.run(async {
        let error = import_text(
            &test.db,
            r#"{"type":"article","slug":"a","title":"A","language":"en","quotes":[{"person":"nobody","text":"t"}]}"#,
        )
        .await
        .unwrap_err();
        match error {
            ImportError::Invalid {
                location,
                field,
                message,
            } => {
                assert_eq!(location, "line 1");
                assert_eq!(field, "quotes[0].person");
                assert_eq!(message, r#"no person with slug "nobody""#);
            }
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn a_failure_on_the_last_line_of_a_long_stream_rolls_back_every_line() {
    let test = TestDb::new();
    test.run(async {
        let db = &test.db;
        import_bundle(db, SEED_BUNDLE).await.unwrap();
        let rows_before = every_row(db).await;
        let mut stream = String::new();
        for i in 0..1500 {
            stream.push_str(&format!(
                "{{\"type\":\"tag\",\"slug\":\"tag-{i}\",\"name\":\"Tag {i}\"}}\n"
            ));
        }
        for i in 0..1500 {
            stream.push_str(&format!(
                "{{\"type\":\"article\",\"slug\":\"article-{i}\",\"title\":\"Article {i}\",\"language\":\"en\",\"tags\":[\"tag-{i}\",\"tag-{}\"],\"people\":[\"xi-jinping\"]}}\n",
                (i + 1) % 1500
            ));
        }
        stream.push_str(r#"{"type":"article","slug":"last","title":"Last","language":"en","tags":["tag-1500"]}"#);
        let error = import_text(db, &stream).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"line 3001, field tags[0]: no tag with slug "tag-1500""#
        );
        assert_eq!(every_row(db).await, rows_before);

        // Without the last line, all of it lands.
        let valid = stream.rsplit_once('\n').unwrap().0;
        assert_eq!(import_text(db, valid).await.unwrap(), summary(3000, 0, 0));
        let mut counts = seed_counts();
        counts.insert("tags", 1502);
        counts.insert("articles", 1506);
        counts.insert("article_tags", 3002);
        counts.insert("article_people", 1508);
        assert_eq!(count_rows(db).await, counts);
    });
}

/// A directory of its own under the system's temporary directory.
fn scratch_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("content-api-import-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn files_import_in_one_transaction() {
    let test = TestDb::new();
    test.run(async {
        let db = &test.db;
        let dir = scratch_dir("files");
        let bundle = dir.join("seed.json");
        std::fs::write(&bundle, SEED_BUNDLE).unwrap();
        let good = dir.join("more.ndjson");
        std::fs::write(
            &good,
            "{\"type\":\"article\",\"slug\":\"more\",\"title\":\"More\",\"language\":\"en\",\"people\":[\"xi-jinping\"]}\n",
        )
        .unwrap();
        let bad = dir.join("bad.jsonl");
        std::fs::write(&bad, "{\"type\":\"tag\",\"slug\":\"t\",\"name\":\"T\"}\n{\"type\":\"tag\"}\n").unwrap();

        let error = import_files(db, &[bundle.clone(), good.clone(), bad.clone()])
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("{} line 2, field slug: missing required field", bad.display())
        );
        assert_eq!(count_rows(db).await.values().sum::<u64>(), 0, "the first files rolled back too");

        let unsupported = dir.join("seed.txt");
        let error = import_files(db, &[bundle.clone(), unsupported.clone()]).await.unwrap_err();
        assert!(matches!(error, ImportError::UnsupportedFile(ref path) if *path == unsupported));

        let missing = dir.join("missing.ndjson");
        let error = import_files(db, std::slice::from_ref(&missing)).await.unwrap_err();
        assert!(
            matches!(error, ImportError::Io(_)) && error.to_string().contains("missing.ndjson"),
            "{error}"
        );

        assert_eq!(
            import_files(db, &[bundle, good]).await.unwrap(),
            summary(SEED_RECORDS + 1, 0, 0)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

#[test]
fn imports_and_exports_may_run_on_any_thread() {
    fn assert_send<T: Send>(_: &T) {}
    let test = TestDb::new();
    let db = &test.db;
    assert_send(&import_bundle(db, SEED_BUNDLE));
    assert_send(&import_stream(db, &b""[..]));
    assert_send(&import_files(db, &[]));
    assert_send(&import_sample_data(db));
    assert_send(&export_stream(db, Vec::new()));
}

#[test]
fn an_import_leaves_sqlite_averages_but_no_value_samples_for_the_planner() {
    let db = TestDb::new();
    if db.db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return;
    }
    let count = |table: &str| db.number(&format!("SELECT count(*) AS n FROM {table}"));
    db.run(import_bundle(&db.db, SEED_BUNDLE)).unwrap();
    // Averages per index, so the planner still knows its indexes...
    assert!(count("sqlite_stat1") > 0);
    // ...but no samples of values, which would make SQLite plan a statement again whenever
    // a bound value (such as the visibility test's "now") changes.
    assert_eq!(count("sqlite_stat4"), 0);
}

#[test]
fn a_bulk_import_vacuums_postgresql_so_index_only_scans_skip_the_table() {
    use sea_orm::ConnectionTrait;
    let db = TestDb::new();
    if db.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return;
    }
    let vacuumed = || -> bool {
        db.run(db.db.query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_stat_clear_snapshot() IS NULL AS cleared, last_vacuum IS NOT NULL AS done \
             FROM pg_stat_user_tables WHERE relname = 'tags'",
        )))
        .unwrap()
        .unwrap()
        .try_get::<bool>("", "done")
        .unwrap()
    };
    // A small import only analyses.
    db.run(import_bundle(&db.db, SEED_BUNDLE)).unwrap();
    assert!(!vacuumed());
    // Ten thousand records are a bulk load.
    let tags: Vec<serde_json::Value> = (0..10_000)
        .map(|i| serde_json::json!({"slug": format!("bulk-{i}"), "name": format!("Bulk {i}")}))
        .collect();
    let bundle = serde_json::to_vec(&serde_json::json!({ "tags": tags })).unwrap();
    let summary = db.run(import_bundle(&db.db, &bundle)).unwrap();
    assert_eq!(summary.created, 10_000);
    assert!(vacuumed());
}
