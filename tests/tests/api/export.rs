//! The exporter, called directly: the stream framing, its order, batches, and the lossless,
//! byte-identical round trip through an import.

use content_api::service::export::export_stream;
use content_api::service::import::{import_bundle, import_stream, ImportSummary};
use serde_json::Value;

use crate::helpers::{TestDb, SEED_BUNDLE};
use crate::import::{count_rows, every_row, export_text, import_text};

#[test]
fn an_empty_database_exports_nothing() {
    let test = TestDb::new();
    test.run(async {
        let mut out = Vec::new();
        assert_eq!(export_stream(&test.db, &mut out).await.unwrap(), 0);
        assert!(out.is_empty());
    });
}

#[test]
fn an_export_lists_each_kind_by_id_with_timestamps_and_lists_in_order() {
    let test = TestDb::new();
    test.run(async {
        import_bundle(&test.db, SEED_BUNDLE).await.unwrap();
        let mut out = Vec::new();
        assert_eq!(export_stream(&test.db, &mut out).await.unwrap(), 18);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let kinds: Vec<&str> = lines
            .iter()
            .map(|line| line["type"].as_str().unwrap())
            .collect();
        let mut expected = vec!["source", "tag", "tag"];
        expected.extend(["person"; 8]);
        expected.push("meeting");
        expected.extend(["article"; 6]);
        assert_eq!(kinds, expected);
        assert!(text.ends_with('\n'));

        let source = text.lines().next().unwrap();
        assert!(
            source.starts_with(
                r#"{"type":"source","slug":"consulate-general-prc","name":"Consulate General of the PRC","kind":"GOVERNMENT","createdAt":""#
            ),
            "{source}"
        );
        for line in &lines {
            for stamp in ["createdAt", "updatedAt"] {
                let stamp = line[stamp].as_str().unwrap();
                assert!(stamp.ends_with('Z'), "{stamp}");
            }
        }

        let putin = &lines[5];
        assert_eq!(putin["slug"], "vladimir-putin");
        assert_eq!(
            putin["aliases"],
            serde_json::json!(["President Vladimir Putin", "Putin"])
        );
        let meeting = &lines[11];
        assert_eq!(meeting["heldOn"], "2019-12-02");
        assert_eq!(meeting["participants"][0]["person"], "xi-jinping");
        assert_eq!(meeting["participants"][0]["role"], "HOST");
        let article = &lines[12];
        assert_eq!(article["slug"], "xi-jinping-meets-nikolai-patrushev");
        assert_eq!(article["publishedAt"], "2019-12-02T12:00:00Z");
        assert_eq!(article["source"], "consulate-general-prc");
        assert_eq!(article["people"][5], "wang-yi");
        assert_eq!(article["quotes"][1]["verb"], "stressed");
        assert_eq!(
            article["quotes"][1]["meeting"],
            "xi-jinping-nikolai-patrushev-2019-12-02"
        );
        assert!(article.get("version").is_none(), "version is not exported");
        let without_source = &lines[14];
        assert!(without_source.get("source").is_none(), "absent fields are left out");
        assert_eq!(without_source["tags"], serde_json::json!(["jingxuan-jinghua"]));
    });
}

#[test]
fn an_export_imported_into_an_empty_database_exports_the_same_bytes() {
    let first = TestDb::new();
    let exported = first.run(async {
        import_bundle(&first.db, SEED_BUNDLE).await.unwrap();
        // Timestamps with fractions of a second, and a draft, must survive too.
        import_text(
            &first.db,
            concat!(
                r#"{"type":"tag","slug":"fraction","name":"F","createdAt":"2020-01-01T00:00:00.123456789Z","updatedAt":"2020-01-01T00:00:00.5+01:00"}"#,
                "\n",
                r#"{"type":"article","slug":"draft","title":"Draft","language":"en","tags":["fraction"],"quotes":[{"person":"wang-yi","text":"Q","createdAt":"2021-05-05T05:05:05.000001Z"}]}"#,
            ),
        )
        .await
        .unwrap();
        export_text(&first.db).await
    });
    assert!(exported.contains(
        r#""createdAt":"2020-01-01T00:00:00.123456Z","updatedAt":"2019-12-31T23:00:00.500Z""#
    ));
    assert!(exported.contains(r#""status":"DRAFT","featured":false"#));

    let second = TestDb::new();
    let again = second.run(async {
        let summary = import_stream(&second.db, exported.as_bytes())
            .await
            .unwrap();
        assert_eq!(summary.created, 20);
        export_text(&second.db).await
    });
    assert_eq!(again, exported);
}

#[test]
fn importing_an_export_into_the_same_database_changes_nothing() {
    let test = TestDb::new();
    test.run(async {
        let db = &test.db;
        import_bundle(db, SEED_BUNDLE).await.unwrap();
        let rows = every_row(db).await;
        let exported = export_text(db).await;
        assert_eq!(
            import_text(db, &exported).await.unwrap(),
            ImportSummary {
                created: 0,
                updated: 0,
                unchanged: 18
            }
        );
        assert_eq!(every_row(db).await, rows);
    });
}

#[test]
fn an_export_larger_than_a_batch_keeps_every_record_and_list() {
    let first = TestDb::new();
    let exported = first.run(async {
        let db = &first.db;
        import_bundle(db, SEED_BUNDLE).await.unwrap();
        let mut stream = String::new();
        for i in 0..1100 {
            stream.push_str(&format!(
                "{{\"type\":\"person\",\"slug\":\"person-{i}\",\"name\":\"Person {i}\",\"aliases\":[\"P{i}\",\"Q{i}\"],\"positions\":[{{\"title\":\"T{i}\"}}]}}\n"
            ));
        }
        for i in 0..1100 {
            stream.push_str(&format!(
                "{{\"type\":\"article\",\"slug\":\"article-{i}\",\"title\":\"Article {i}\",\"language\":\"en\",\"people\":[\"person-{i}\",\"xi-jinping\"],\"quotes\":[{{\"person\":\"person-{i}\",\"text\":\"Said {i}\"}}]}}\n"
            ));
        }
        import_text(db, &stream).await.unwrap();
        let exported = export_text(db).await;
        assert_eq!(exported.lines().count(), 18 + 2200);
        let last: Value = serde_json::from_str(exported.lines().last().unwrap()).unwrap();
        assert_eq!(last["slug"], "article-1099");
        assert_eq!(last["people"], serde_json::json!(["person-1099", "xi-jinping"]));
        assert_eq!(last["quotes"][0]["text"], "Said 1099");
        exported
    });
    let counts = first.run(count_rows(&first.db));

    let second = TestDb::new();
    second.run(async {
        import_text(&second.db, &exported).await.unwrap();
        assert_eq!(count_rows(&second.db).await, counts);
        assert_eq!(export_text(&second.db).await, exported);
    });
}
