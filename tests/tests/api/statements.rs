//! No N+1: a request costs one statement per relation level, whatever the page size.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use content_api::db::{Db, PLAN_FOR_VALUES};
use content_api::AppError;
use sea_orm::{ConnAcquireErr, ConnectionTrait, DbErr, Statement};
use serde_json::Value;

use crate::helpers::spawn_app;

const FRONT_PAGE: &str = r#"
query FrontPage {
  articles(first: FIRST, orderBy: [TITLE_ASC]) {
    totalCount
    nodes {
      title
      source { name }
      tags { name }
      people(first: 5) { nodes { name positions { title organization } } }
    }
  }
}"#;

/// In title order the first five articles already use every relation (source, tags,
/// people, positions), so both page sizes run every level.
#[test]
fn the_front_page_costs_the_same_statements_for_5_and_100_articles() {
    let app = spawn_app();
    let count = |first: i64| {
        let query = FRONT_PAGE.replace("FIRST", &first.to_string());
        let (data, statements) = app.count_statements(&query);
        let nodes = data["articles"]["nodes"].as_array().unwrap().len();
        assert_eq!(nodes as i64, first);
        statements
    };
    let small = count(5);
    let large = count(100);
    assert_eq!(small, large, "statements for 5 and 100 articles differ");
    // page + totalCount + source + tags + people + positions.
    assert_eq!(large, 6, "front page ran {large} statements");
}

/// The person page of the benchmark: each level is one statement whatever the page sizes,
/// the participants of every meeting and the articles of every quote loaded together.
#[test]
fn the_person_page_costs_the_same_statements_for_2_and_10_meetings() {
    let app = spawn_app();
    let count = |first: i64| {
        let query = format!(
            "{{ person(slug: \"xi-jinping\") {{ name meetings(first: {first}) {{ edges {{ role node {{ title heldOn \
             participants {{ role person {{ name }} }} }} }} }} quotes(first: {first}) {{ nodes {{ text article {{ title }} }} }} }} }}"
        );
        let (data, statements) = app.count_statements(&query);
        let meetings = data["person"]["meetings"]["edges"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(meetings as i64, first);
        let quotes = data["person"]["quotes"]["nodes"].as_array().unwrap();
        assert!(quotes
            .iter()
            .all(|quote| quote["article"]["title"].is_string()));
        statements
    };
    let small = count(2);
    let large = count(10);
    assert_eq!(small, large, "statements for 2 and 10 meetings differ");
    // person + meetings page + participants + quotes page + the quotes' articles.
    assert_eq!(large, 5, "person page ran {large} statements");
}

#[test]
fn a_nested_connection_under_a_list_is_one_statement_for_all_parents() {
    let app = spawn_app();
    let query = |people: i64| {
        format!(
            "{{ people(first: {people}) {{ nodes {{ name articles(first: 3) {{ totalCount nodes {{ title }} }} \
             meetings(first: 2) {{ edges {{ role node {{ title }} }} }} quotes(first: 1) {{ nodes {{ text }} }} }} }} }}"
        )
    };
    let (small_data, small) = app.count_statements(&query(2));
    let (data, large) = app.count_statements(&query(30));
    assert_eq!(small, large);
    // people page + articles page + articles count + meetings page + quotes page.
    assert_eq!(large, 5, "ran {large} statements");
    for person in data["people"]["nodes"].as_array().unwrap() {
        assert!(person["articles"]["nodes"].as_array().unwrap().len() <= 3);
        assert!(person["meetings"]["edges"].as_array().unwrap().len() <= 2);
    }
    assert_eq!(small_data["people"]["nodes"].as_array().unwrap().len(), 2);
    // Each parent's batched page is the page that parent gets when asked alone.
    let batched = app.data(
        "{ people(first: 40) { nodes { slug articles(first: 3) { totalCount nodes { slug } } \
           meetings(first: 2) { edges { role node { slug } } } } } }",
    );
    for person in batched["people"]["nodes"].as_array().unwrap() {
        let slug = person["slug"].as_str().unwrap();
        let alone = app.data(&format!(
            "{{ person(slug: \"{slug}\") {{ slug articles(first: 3) {{ totalCount nodes {{ slug }} }} \
               meetings(first: 2) {{ edges {{ role node {{ slug }} }} }} }} }}"
        ));
        assert_eq!(&alone["person"], person, "{slug}");
    }
}

#[test]
fn total_count_is_not_computed_unless_asked_for() {
    let app = spawn_app();
    let (_, without) = app.count_statements("{ articles(first: 3) { nodes { title } } }");
    let (_, with) = app.count_statements("{ articles(first: 3) { totalCount nodes { title } } }");
    assert_eq!(without, 1);
    assert_eq!(with, 2);
}

/// A filter's and a search's statements are marked as costing what their values make them
/// (PostgreSQL sends them unnamed, to be planned for their values, `db::Db`; a SQLite file
/// runs them off the HTTP worker at once, `db::raw`), and they count and answer as any other
/// statement.
#[test]
fn filtered_and_searching_statements_are_planned_for_their_values_and_counted() {
    let app = spawn_app();
    let list = |filter: &str| {
        format!("{{ articles(first: 3, filter: {{person: {{name: {filter}}}}}) {{ totalCount nodes {{ slug source {{ name }} }} }} }}")
    };
    // "ПАТРУШЕВ" in any case: the same people as the exact name.
    let (exact, exact_sql) = app.statements_of(&list(r#"{eq: "Nikolai Patrushev"}"#));
    let (pattern, pattern_sql) = app.statements_of(&list(r#"{contains: "ПАТРУШЕВ"}"#));
    assert_eq!(pattern, exact);
    assert!(
        exact["articles"]["totalCount"].as_i64().unwrap() > 0,
        "{exact}"
    );
    // page + totalCount + sources, counted whichever way they were sent.
    assert_eq!(exact_sql.len(), 3, "{exact_sql:#?}");
    assert_eq!(pattern_sql.len(), 3, "{pattern_sql:#?}");
    let marked = |sql: &[String]| {
        sql.iter()
            .filter(|sql| sql.contains(PLAN_FOR_VALUES))
            .count()
    };
    // The page and its count, not the sources they lead to.
    let filtered = 2;
    assert_eq!(marked(&exact_sql), filtered);
    assert_eq!(marked(&pattern_sql), filtered);
    let (_, unfiltered) = app.statements_of("{ articles(first: 3) { totalCount nodes { slug } } }");
    assert_eq!(unfiltered.len(), 2);
    assert_eq!(marked(&unfiltered), 0);
    // A nested list's filter too, for all its parents at once.
    let (_, nested) = app.statements_of(
        "{ people(first: 5) { nodes { articles(first: 2, filter: {language: {eq: \"en\"}}) { totalCount nodes { slug } } } } }",
    );
    assert_eq!(nested.len(), 3, "{nested:#?}");
    assert_eq!(marked(&nested), filtered, "{nested:#?}");
    // Run past PostgreSQL's five custom plans of a kept statement, it still answers (the
    // plan chosen shows in its cost, measured in BENCHMARKS.md, not in its answer).
    for _ in 0..6 {
        assert_eq!(app.data(&list(r#"{contains: "ПАТРУШЕВ"}"#)), exact);
    }
    // So are a search's, by words and by Chinese text: how many documents match only the
    // terms tell.
    for terms in ["meeting", "金灿荣"] {
        let query =
            format!("{{ search(query: \"{terms}\") {{ totalCount nodes {{ __typename }} }} }}");
        let (data, sql) = app.statements_of(&query);
        assert!(
            data["search"]["totalCount"].as_i64().unwrap() > 0,
            "{terms}: {data}"
        );
        // The hits and their count read the search index; the records found do not.
        let searching = sql.iter().filter(|sql| sql.contains("search_")).count();
        assert_eq!(searching, 2, "{terms}: {sql:#?}");
        assert_eq!(marked(&sql), 2, "{terms}: {sql:#?}");
    }
}

/// On PostgreSQL a statement marked `PLAN_FOR_VALUES` is never kept as a prepared
/// statement (so it is planned for its values every time), others are, through the pool and
/// through the handle's own readers; both bind their values and are told to the callback.
#[test]
fn a_statement_marked_plan_for_values_is_not_kept_prepared() {
    let test_db = crate::helpers::TestDb::new();
    let backend = test_db.db.get_database_backend();
    // Through the pool, then through a reader of the handle's own.
    for own_readers in [false, true] {
        let told = Arc::new(AtomicU64::new(0));
        let counter = told.clone();
        test_db.run(async {
            // One connection (and so one reader), so that the last statement sees what the
            // others left on it.
            let mut options = sea_orm::ConnectOptions::new(test_db.url.clone());
            options.max_connections(1).min_connections(1);
            let connection = sea_orm::Database::connect(options).await.unwrap();
            let mut db = Db::observed(
                connection,
                Arc::new(move |_| {
                    counter.fetch_add(1, Ordering::SeqCst);
                }),
            );
            if own_readers {
                db = db.with_own_readers(&test_db.url, None).unwrap();
            }
            let placeholder = if backend == sea_orm::DbBackend::Postgres {
                "$1"
            } else {
                "?"
            };
            let answer = |sql: String, value: i64| {
                let db = &db;
                async move {
                    let row = db
                        .query_one_raw(Statement::from_sql_and_values(backend, sql, [value.into()]))
                        .await
                        .unwrap()
                        .unwrap();
                    row.try_get::<i64>("", "n").unwrap()
                }
            };
            let marked = format!("SELECT CAST({placeholder} AS BIGINT) + 1 AS n {PLAN_FOR_VALUES}");
            for value in 0..7 {
                assert_eq!(answer(marked.clone(), value).await, value + 1);
            }
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    marked.clone(),
                    [5i64.into()],
                ))
                .await
                .unwrap();
            assert_eq!(rows.len(), 1);
            let plain = format!("SELECT CAST({placeholder} AS BIGINT) + 2 AS n");
            assert_eq!(answer(plain, 40).await, 42);
            assert_eq!(told.load(Ordering::SeqCst), 9);
            if backend == sea_orm::DbBackend::Postgres {
                // The text looked for is split in two, so that this statement does not find itself.
                let kept = |end: &'static str| {
                    let sql = format!(
                        "SELECT COUNT(*) AS n FROM pg_prepared_statements \
                     WHERE statement LIKE '%AS BIGINT) ' || '{end}%'"
                    );
                    number_of(&db, sql)
                };
                assert_eq!(kept("+ 1").await, 0, "the marked statement was kept");
                assert_eq!(kept("+ 2").await, 1, "the plain statement was not kept");
            }
        });
    }
}

/// A marked statement fails as any other: stopped at the statement timeout (PostgreSQL's
/// own; SQLite's deadline is tested in `timeouts`), a connection-acquire error when no
/// connection can be had (as sea-orm maps it), and told to the callback as failed.
#[test]
fn a_statement_marked_plan_for_values_fails_as_any_other() {
    let test_db = crate::helpers::TestDb::new();
    let backend = test_db.db.get_database_backend();
    // Through the pool, then through readers of the handle's own.
    for own_readers in [false, true] {
        let failed = Arc::new(AtomicU64::new(0));
        let counter = failed.clone();
        test_db.run(async {
            let timeout = Some(std::time::Duration::from_millis(200));
            let mut db = Db::observed(
                content_api::db::connect_with(&test_db.url, timeout)
                    .await
                    .unwrap(),
                Arc::new(move |info| {
                    if info.failed {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                }),
            );
            if own_readers {
                db = db.with_own_readers(&test_db.url, timeout).unwrap();
            }
            let run = |sql: String| {
                let db = db.clone();
                async move { db.query_all_raw(Statement::from_string(backend, sql)).await }
            };
            if backend == sea_orm::DbBackend::Postgres {
                let slow = run(format!("SELECT pg_sleep(5) {PLAN_FOR_VALUES}")).await;
                let slow = slow.map_err(AppError::from);
                assert!(
                    matches!(slow, Err(AppError::Cancelled(Some(_)))),
                    "{slow:?}"
                );
                assert_eq!(failed.load(Ordering::SeqCst), 1);
                // No connection to be had within the pool's acquire timeout.
                let mut options = sea_orm::ConnectOptions::new(test_db.url.clone());
                options
                    .max_connections(1)
                    .acquire_timeout(std::time::Duration::from_millis(200));
                let single = Db::new(sea_orm::Database::connect(options).await.unwrap());
                let held = single
                    .connection()
                    .get_postgres_connection_pool()
                    .acquire()
                    .await
                    .unwrap();
                let waited = single
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("SELECT 1 AS n {PLAN_FOR_VALUES}"),
                    ))
                    .await;
                assert!(
                    matches!(
                        waited,
                        Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))
                    ),
                    "{waited:?}"
                );
                drop(held);
            }
            let quick = run(format!("SELECT 1 AS n {PLAN_FOR_VALUES}")).await;
            assert_eq!(quick.unwrap().len(), 1);
            db.clone().close().await.unwrap();
            let closed = run(format!("SELECT 1 AS n {PLAN_FOR_VALUES}")).await;
            assert!(
                matches!(
                    closed,
                    Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))
                ),
                "{closed:?}"
            );
            assert!(matches!(
                closed.map_err(AppError::from),
                Err(AppError::Unavailable(_))
            ));
        });
    }
}

/// What runs through `Db` runs on connections of its own (the readers):
/// they see at once what the pool commits, side by side, and tell each statement (a failed
/// one as failed); a failure leaves them usable; they count in the pool's use and close with
/// it. (Over an in-memory SQLite database the handle would be the pool alone.)
#[test]
fn reads_run_on_connections_of_their_own() {
    let test_db = crate::helpers::TestDb::new();
    let backend = test_db.db.get_database_backend();
    let own_readers = backend != sea_orm::DbBackend::Sqlite || !test_db.url.contains(":memory:");
    let told = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let (counter, failures) = (told.clone(), failed.clone());
    test_db.run(async {
        let pool = content_api::db::connect(&test_db.url).await.unwrap();
        let db = Db::observed(
            pool,
            Arc::new(move |info| {
                counter.fetch_add(1, Ordering::SeqCst);
                if info.failed {
                    failures.fetch_add(1, Ordering::SeqCst);
                }
            }),
        )
        .with_own_readers(&test_db.url, None)
        .unwrap();
        // The pool's own connections: open, and the most allowed.
        let pool = |db: &Db| match backend {
            sea_orm::DbBackend::Sqlite => {
                let pool = db.connection().get_sqlite_connection_pool();
                (pool.size(), pool.options().get_max_connections())
            }
            _ => {
                let pool = db.connection().get_postgres_connection_pool();
                (pool.size(), pool.options().get_max_connections())
            }
        };
        let (_, _, most) = db.pool_use().unwrap();
        let single = pool(&db).1;
        // On a SQLite file the raw readers (`db::raw`) count too: as many as run off the
        // HTTP workers, and one per core's worker running a statement on its own thread.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let raw = match backend {
            sea_orm::DbBackend::Sqlite if own_readers => single + u32::try_from(cores).unwrap(),
            _ => 0,
        };
        assert_eq!(
            most,
            if own_readers {
                2 * single + raw
            } else {
                single
            }
        );
        let write = |sql: String| {
            let pool = db.connection().clone();
            async move { pool.execute_unprepared(&sql).await }
        };
        write("CREATE TABLE counted (n BIGINT)".to_owned())
            .await
            .unwrap();
        for n in 1..=12i64 {
            write(format!("INSERT INTO counted (n) VALUES ({n})"))
                .await
                .unwrap();
            let before = told.load(Ordering::SeqCst);
            let mut reads = tokio::task::JoinSet::new();
            for _ in 0..6 {
                let db = db.clone();
                reads.spawn(async move {
                    number_of(&db, "SELECT MAX(n) AS n FROM counted".to_owned()).await
                });
            }
            for seen in reads.join_all().await {
                assert_eq!(seen, n, "a read missed a committed row");
            }
            assert_eq!(told.load(Ordering::SeqCst) - before, 6, "reads not told");
        }
        if own_readers {
            let (open, _, _) = db.pool_use().unwrap();
            let pool_open = pool(&db).0;
            assert!(
                open > pool_open,
                "no reader was opened: {open} open, {pool_open} of the pool"
            );
        }
        let (open_before, _, _) = db.pool_use().unwrap();
        let broken = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT n FROM no_such_table",
            ))
            .await;
        assert!(matches!(broken, Err(DbErr::Query(_))), "{broken:?}");
        assert_eq!(failed.load(Ordering::SeqCst), 1);
        assert_eq!(
            number_of(&db, "SELECT COUNT(*) AS n FROM counted".to_owned()).await,
            12
        );
        // The reader that failed was taken again, not replaced.
        assert_eq!(db.pool_use().unwrap().0, open_before);
        db.clone().close().await.unwrap();
        let closed = db
            .query_all_raw(Statement::from_string(backend, "SELECT 1 AS n"))
            .await;
        assert!(
            matches!(
                closed,
                Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))
            ),
            "{closed:?}"
        );
    });
}

/// A read dropped unfinished (its request cancelled) leaves its statement running, under
/// its own deadline (SQLite's progress handler, PostgreSQL's `statement_timeout`): its reader
/// is held until the statement has stopped and only then given back, so a read after it
/// (here with no deadline at all) neither queues behind the statement nor lifts its deadline,
/// and the pool still counts the reader meanwhile. Taken again at once, the next read would
/// wait for a statement that runs for hours.
#[test]
fn a_read_dropped_unfinished_does_not_hold_up_the_next() {
    let test_db = crate::helpers::TestDb::on_disk();
    let backend = test_db.db.get_database_backend();
    test_db.run(async {
        let limit = std::time::Duration::from_secs(2);
        let db = Db::new(content_api::db::connect(&test_db.url).await.unwrap())
            .with_own_readers(&test_db.url, Some(limit))
            .unwrap();
        let readers = |db: &Db| {
            let (open, idle, _) = db.pool_use().unwrap();
            let (pool_open, pool_idle) = match backend {
                sea_orm::DbBackend::Sqlite => {
                    let pool = db.connection().get_sqlite_connection_pool();
                    (pool.size(), pool.num_idle())
                }
                _ => {
                    let pool = db.connection().get_postgres_connection_pool();
                    (pool.size(), pool.num_idle())
                }
            };
            (open - pool_open, idle - pool_idle)
        };
        let endless = "WITH RECURSIVE c(n) AS (SELECT CAST(1 AS BIGINT) UNION ALL \
                       SELECT n + 1 FROM c WHERE n < 100000000000) SELECT MAX(n) AS n FROM c";
        // A reader open and idle first, so that the endless read is under way when it is
        // dropped: opening one can take longer than the 100 ms on a busy machine, and a read
        // dropped before its statement went out leaves no reader to hold.
        assert_eq!(
            number_of(&db, "SELECT CAST(1 AS BIGINT) AS n".to_owned()).await,
            1
        );
        let dropped = tokio::time::timeout(
            std::time::Duration::from_millis(100),
            content_api::db::within_deadline(
                std::time::Instant::now() + limit,
                db.query_all_raw(Statement::from_string(backend, endless)),
            ),
        )
        .await;
        assert!(dropped.is_err(), "the endless read ended: {dropped:?}");
        // A guard against a hang, not a measure of speed.
        let next = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            number_of(&db, "SELECT CAST(42 AS BIGINT) AS n".to_owned()),
        )
        .await;
        assert_eq!(
            next.ok(),
            Some(42),
            "the next read waited on the dropped one"
        );
        assert_eq!(readers(&db), (2, 1), "the dropped reader was not held");
        // Once its statement has stopped, the dropped reader comes back (waited for with a
        // guard against a hang).
        let mut waited = 0;
        while readers(&db) != (2, 2) {
            assert!(
                waited < 600,
                "the dropped reader never came back: {:?}",
                readers(&db)
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            waited += 1;
        }
    });
}

/// The one integer `n` that `sql` selects.
async fn number_of(db: &Db, sql: String) -> i64 {
    let backend = db.get_database_backend();
    db.query_one_raw(sea_orm::Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

/// The bundled SQLite is built with the options `.cargo/config.toml` sets: plans that never
/// depend on bound values (else SQLite 3.51 prepares every statement with a bound `LIMIT`
/// again each time it runs) and no global memory statistics (whose mutex every allocation
/// of every connection's thread takes), and without the page cache that all connections
/// share (whose mutex every page fetch of every connection takes).
#[test]
fn the_bundled_sqlite_is_built_with_the_repositorys_options() {
    use sea_orm::ConnectionTrait;
    let db = crate::helpers::TestDb::new();
    if db.db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return;
    }
    let options: Vec<String> = db
        .run(db.db.query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "PRAGMA compile_options",
        )))
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect();
    assert!(
        options.iter().any(|option| option == "ENABLE_QPSG"),
        "{options:?}"
    );
    assert!(
        options.iter().any(|option| option == "DEFAULT_MEMSTATUS=0"),
        "{options:?}"
    );
    assert!(
        !options
            .iter()
            .any(|option| option == "ENABLE_MEMORY_MANAGEMENT"),
        "{options:?}"
    );
}

/// A single parent's page is a plain `LIMIT` query, several parents' pages one numbered
/// (`ROW_NUMBER`) query: both give each parent the same page, in every direction and for a
/// nullable key in both orders, signed in so that undated drafts are in the lists.
#[test]
fn a_parent_alone_gets_the_page_it_gets_among_others() {
    let app = spawn_app();
    let token = crate::helpers::token(&app, entity::Role::Editor);
    let bearer = format!("Bearer {token}");
    let ask = |query: &str| {
        let body = serde_json::json!({ "query": query }).to_string();
        let answer = app.post("/graphql", &body, &[("authorization", &bearer)]);
        let body = answer.json();
        assert!(body["errors"].is_null(), "{body}");
        body["data"].clone()
    };
    for page in [
        "first: 4, orderBy: [PUBLISHED_AT_ASC]",
        "first: 4, orderBy: [PUBLISHED_AT_DESC]",
        "last: 3, orderBy: [PUBLISHED_AT_ASC]",
        "last: 3",
        "first: 2, orderBy: [TITLE_DESC]",
    ] {
        let selection = format!(
            "slug articles({page}) {{ pageInfo {{ hasNextPage hasPreviousPage }} nodes {{ slug publishedAt }} }}"
        );
        let batched = ask(&format!(
            "{{ people(first: 30) {{ nodes {{ {selection} }} }} }}"
        ));
        let people = batched["people"]["nodes"].as_array().unwrap();
        assert!(people.len() > 1);
        for person in people {
            let slug = person["slug"].as_str().unwrap();
            let alone = ask(&format!("{{ person(slug: \"{slug}\") {{ {selection} }} }}"));
            assert_eq!(&alone["person"], person, "{page}, {slug}");
        }
    }
}

/// Seed articles: one of them has a summary and a body (the generated ones have none).
const SEED: &str = r#"filter: {slug: {in: ["xi-jinping-meets-nikolai-patrushev", "hei-chao-ge-featured", "jin-canrong-featured", "wuhan-lockdown-explained", "novel-coronavirus-cover-up-question", "hua-chunying-briefing-2020-02-03"]}}"#;

/// Whether `value` is something other than what a placeholder column reads as.
fn holds_something(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::String(text) => !text.is_empty(),
        Value::Number(number) => number.as_f64() != Some(0.0),
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

/// Every field of `Article` with what it reads, for the tests of column selection below.
const ARTICLE_FIELDS: [&str; 17] = [
    "id",
    "slug",
    "title",
    "summary",
    "body",
    "language",
    "status",
    "featured",
    "publishedAt",
    "createdAt",
    "updatedAt",
    "version",
    "source { slug }",
    "tags { slug }",
    "people(first: 3) { nodes { slug } }",
    "meetings { slug }",
    "quotes { text }",
];

/// An article list reads only the columns its nodes ask for, so each field is checked
/// alone: asked for with nothing but the slug, from the top-level list (as nodes, as edges
/// through a fragment) and from a nested one, it must equal the same field of the whole
/// article. A field mapped to the wrong column, or left unread, would show a placeholder.
#[test]
fn each_article_field_read_alone_from_a_list_is_the_whole_articles() {
    let app = spawn_app();
    let all = ARTICLE_FIELDS.join(" ");
    let whole = |slug: &str| {
        app.data(&format!("{{ article(slug: \"{slug}\") {{ {all} }} }}"))["article"].clone()
    };
    let mut wholes = std::collections::HashMap::new();
    for field in ARTICLE_FIELDS {
        let key = name_of(field);
        let lists = [
            format!("{{ articles(first: 100) {{ nodes {{ slug {field} }} }} }}"),
            // The seed articles: the one with a summary and a body among them.
            format!("{{ articles(first: 10, {SEED}) {{ nodes {{ slug {field} }} }} }}"),
            format!(
                "{{ articles(first: 100, orderBy: [TITLE_ASC]) {{ edges {{ node {{ ...F }} }} }} }} \
                 fragment F on Article {{ slug {field} }}"
            ),
            format!("{{ people(first: 20) {{ nodes {{ articles(first: 5) {{ nodes {{ slug {field} }} }} }} }} }}"),
        ];
        let mut shown = false;
        for query in &lists {
            let data = app.data(query);
            let mut nodes = Vec::new();
            if let Some(list) = data["articles"]["nodes"].as_array() {
                nodes.extend(list.iter().cloned());
            } else if let Some(edges) = data["articles"]["edges"].as_array() {
                nodes.extend(edges.iter().map(|e| e["node"].clone()));
            } else {
                for person in data["people"]["nodes"].as_array().unwrap() {
                    nodes.extend(
                        person["articles"]["nodes"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .cloned(),
                    );
                }
            }
            assert!(nodes.len() > 5, "{query}");
            shown |= nodes.iter().any(|n| holds_something(&n[key]));
            for node in nodes {
                let slug = node["slug"].as_str().unwrap().to_owned();
                let whole = wholes.entry(slug.clone()).or_insert_with(|| whole(&slug));
                assert_eq!(node[key], whole[key], "{query}: {slug}");
            }
        }
        // The field holds something other than a placeholder in some article.
        assert!(shown, "{key} is empty in every article");
    }

    // A list of titles reads the title, the id and the ordering's column, nothing else.
    let (_, sql) = app.statements_of("{ articles(first: 5) { nodes { title } } }");
    assert_eq!(sql.len(), 1);
    for column in ["title", "id", "published_at"] {
        assert!(
            sql[0].contains(&format!(r#""articles"."{column}""#)),
            "{sql:?}"
        );
    }
    for column in [
        "slug",
        "summary",
        "body",
        "language",
        "created_at",
        "updated_at",
        "version",
        "source_id",
    ] {
        assert!(
            !sql[0].contains(&format!(r#""articles"."{column}""#)),
            "{column}: {sql:?}"
        );
    }
}

/// An article list reads the body only when a node of its selection asks for it; and two
/// lists of one parent, one with and one without the body, share a statement and each get
/// what they asked for.
#[test]
fn an_article_list_reads_the_body_only_when_asked_for() {
    let app = spawn_app();
    let reads_body = |sql: &[String]| sql.iter().any(|s| s.contains(r#""articles"."body""#));
    let body_of = |slug: &str| {
        app.data(&format!("{{ article(slug: \"{slug}\") {{ body }} }}"))["article"]["body"].clone()
    };

    let (_, sql) = app.statements_of("{ articles(first: 5) { nodes { slug title } } }");
    assert_eq!(sql.len(), 1);
    assert!(!reads_body(&sql), "{sql:?}");

    // Of these seed articles, one has a body (the generated ones have none).
    let seed = r#"filter: {slug: {in: ["xi-jinping-meets-nikolai-patrushev", "hei-chao-ge-featured", "jin-canrong-featured"]}}"#;
    for query in [
        "{ articles(first: 5, SEED) { nodes { slug body } } }",
        "{ articles(first: 5, SEED) { edges { node { ...Text } } } } fragment Text on Article { slug body }",
        "{ articles(first: 5, SEED) { nodes { slug ... on Article { body } } } }",
    ] {
        let query = &query.replace("SEED", seed);
        let (data, sql) = app.statements_of(query);
        assert!(reads_body(&sql), "{query}: {sql:?}");
        let nodes: Vec<Value> = match data["articles"]["nodes"].as_array() {
            Some(nodes) => nodes.clone(),
            None => data["articles"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect(),
        };
        assert_eq!(nodes.len(), 3);
        assert!(nodes.iter().any(|n| n["body"].is_string()), "{query}: no body at all");
        for node in nodes {
            assert_eq!(node["body"], body_of(node["slug"].as_str().unwrap()), "{query}");
        }
    }

    let (data, sql) = app.statements_of(
        &"{ people(first: 10) { nodes { short: articles(first: 5, SEED) { nodes { slug } } \
           full: articles(first: 5, SEED) { nodes { slug body } } } } }"
            .replace("SEED", seed),
    );
    // Both lists share one statement, which reads the body for the one that shows it.
    let pages: Vec<&String> = sql.iter().filter(|s| s.contains("page_parent")).collect();
    assert_eq!(pages.len(), 1, "{sql:?}");
    assert!(reads_body(&sql), "{sql:?}");
    let mut bodies = 0;
    for person in data["people"]["nodes"].as_array().unwrap() {
        let short = person["short"]["nodes"].as_array().unwrap();
        let full = person["full"]["nodes"].as_array().unwrap();
        assert_eq!(short.len(), full.len());
        for (short, full) in short.iter().zip(full) {
            assert_eq!(short["slug"], full["slug"]);
            assert!(short.get("body").is_none());
            assert_eq!(full["body"], body_of(full["slug"].as_str().unwrap()));
            bodies += usize::from(full["body"].is_string());
        }
    }
    assert!(bodies > 0, "no person's article had a body");
}

/// The fields that lead to `F` in `query`: each name followed by arguments or a selection.
fn path_to_f(query: &str) -> Vec<&str> {
    let before = &query[..query.find('F').unwrap()];
    let mut path = Vec::new();
    let mut rest = before;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic()) {
        let word = &rest[start..];
        let end = word
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(word.len());
        let after = word[end..].trim_start();
        // Skip the arguments, whose names are not fields.
        if after.starts_with('(') {
            path.push(&word[..end]);
            rest = &after[after.find(')').unwrap()..];
        } else {
            if after.starts_with('{') {
                path.push(&word[..end]);
            }
            rest = &word[end..];
        }
    }
    path
}

/// The nodes at `path` (object keys; arrays are walked through) of `data`, in order.
fn nodes_at(data: &Value, path: &[&str]) -> Vec<Value> {
    let mut found = vec![data.clone()];
    for key in path {
        let mut next = Vec::new();
        for value in found {
            match &value[*key] {
                Value::Array(items) => next.extend(items.iter().cloned()),
                Value::Null => {}
                other => next.push(other.clone()),
            }
        }
        found = next;
    }
    found
}

// The fields of the other types whose lists read only the columns asked for, each with what
// it reads: checked one by one by
// `each_field_read_alone_equals_the_field_read_with_all_the_others`, and against the schema
// by `the_column_selection_tests_name_every_field_of_their_types`.
const PERSON_FIELDS: &str = "id slug name nativeName aliases country bio positions { title } \
    meetings(first: 2) { nodes { slug } } articles(first: 2) { nodes { slug } } \
    quotes(first: 2) { nodes { text } } createdAt updatedAt";
const SOURCE_FIELDS: &str = "id slug name kind url description \
    articles(first: 2) { nodes { slug } } createdAt updatedAt";
const TAG_FIELDS: &str = "id slug name articles(first: 2) { nodes { slug } }";
const POSITION_FIELDS: &str = "title organization startedOn endedOn";
const MEETING_FIELDS: &str = "id slug title description heldOn location city country occasion \
    participants { role } articles(first: 2) { nodes { slug } } quotes { text } \
    createdAt updatedAt";
const QUOTE_FIELDS: &str = "id text verb person { slug } article { slug } meeting { slug }";

/// The fields of a selection, split at its top level (not inside braces or arguments), each
/// with its arguments and sub-selection.
fn top_level_fields(fields: &str) -> Vec<String> {
    let mut split = Vec::new();
    let (mut depth, mut start) = (0, 0);
    let chars: Vec<char> = fields.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        match c {
            '{' | '(' => depth += 1,
            '}' | ')' => depth -= 1,
            ' ' if depth == 0 => {
                let field: String = chars[start..i].iter().collect();
                let next = chars[i + 1..].iter().find(|c| **c != ' ');
                if !field.trim().is_empty() && !matches!(next, Some('{' | '(')) {
                    split.push(field.trim().to_owned());
                    start = i + 1;
                }
            }
            _ => {}
        }
    }
    split.push(chars[start..].iter().collect::<String>().trim().to_owned());
    split
}

/// The name of a field of a selection (`people` of `people(first: 3) { nodes { slug } }`).
fn name_of(field: &str) -> &str {
    field.split([' ', '(']).next().unwrap_or_default()
}

/// The field tests of column selection name every field of every type whose lists read only
/// the columns asked for. A field added to one of those types must be added there too, and
/// so checked: one named like a column is read from that column alone, which is wrong if it
/// needs more.
#[test]
fn the_column_selection_tests_name_every_field_of_their_types() {
    let app = spawn_app();
    let article = ARTICLE_FIELDS.join(" ");
    let types = [
        ("Article", article.as_str()),
        ("Person", PERSON_FIELDS),
        ("Source", SOURCE_FIELDS),
        ("Tag", TAG_FIELDS),
        ("Position", POSITION_FIELDS),
        ("Meeting", MEETING_FIELDS),
        ("Quote", QUOTE_FIELDS),
    ];
    for (name, fields) in types {
        let data = app.data(&format!(
            "{{ __type(name: \"{name}\") {{ fields(includeDeprecated: true) {{ name }} }} }}"
        ));
        let mut in_schema: Vec<&str> = data["__type"]["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is not an object type: {data}"))
            .iter()
            .filter_map(|field| field["name"].as_str())
            .collect();
        let tested = top_level_fields(fields);
        let mut tested: Vec<&str> = tested.iter().map(|field| name_of(field)).collect();
        in_schema.sort_unstable();
        tested.sort_unstable();
        assert_eq!(tested, in_schema, "the fields of {name}");
    }
}

/// Lists of every other type read only the columns their selections ask for, through
/// every relation that loads them: each field asked for alone must equal the same field
/// asked for with all the others (which reads every column it needs), node for node. A
/// field mapped to the wrong column, or left unread, would show a placeholder.
#[test]
fn each_field_read_alone_equals_the_field_read_with_all_the_others() {
    use sea_orm::ConnectionTrait;
    let db = crate::helpers::loaded(crate::helpers::TestDb::new());
    // The loaded data leaves these columns empty; a field read from a placeholder must
    // differ from its value somewhere.
    for update in [
        "UPDATE people SET bio = 'Biography of ' || slug",
        "UPDATE sources SET description = 'About ' || slug",
        "UPDATE meetings SET description = 'Minutes of ' || slug",
        "UPDATE positions SET started_on = '2001-02-03', ended_on = '2005-06-07'",
        "UPDATE articles SET featured = (id % 2 = 0)",
    ] {
        db.run(db.db.execute_unprepared(update)).unwrap();
    }
    let app = crate::helpers::spawn_app_over(db);
    let article_fields = ARTICLE_FIELDS.join(" ");
    // (the fields of a type, a query with F where they go)
    let cases: [(&str, &str); 13] = [
        (
            PERSON_FIELDS,
            "{ articles(first: 20) { nodes { people(first: 5) { nodes { F } } } } }",
        ),
        (PERSON_FIELDS, "{ people(first: 20) { nodes { F } } }"),
        (
            PERSON_FIELDS,
            "{ meetings(first: 20) { nodes { participants { person { F } } } } }",
        ),
        (
            PERSON_FIELDS,
            "{ people(first: 20) { nodes { quotes(first: 3) { nodes { person { F } } } } } }",
        ),
        (
            SOURCE_FIELDS,
            "{ articles(first: 20) { nodes { source { F } } } }",
        ),
        (SOURCE_FIELDS, "{ sources(first: 20) { nodes { F } } }"),
        (
            TAG_FIELDS,
            "{ articles(first: 20) { nodes { tags { F } } } }",
        ),
        (TAG_FIELDS, "{ tags(first: 20) { nodes { F } } }"),
        (
            POSITION_FIELDS,
            "{ people(first: 20) { nodes { positions { F } } } }",
        ),
        (
            MEETING_FIELDS,
            "{ people(first: 20) { nodes { meetings(first: 3) { edges { role node { F } } } } } }",
        ),
        (MEETING_FIELDS, "{ meetings(first: 20) { nodes { F } } }"),
        (
            QUOTE_FIELDS,
            "{ people(first: 20) { nodes { quotes(first: 3) { nodes { F } } } } }",
        ),
        (
            &article_fields,
            "{ people(first: 20) { nodes { quotes(first: 3) { nodes { article { F } } } } } }",
        ),
    ];
    let mut never_shown = Vec::new();
    for (fields, query) in cases {
        let path = path_to_f(query);
        let whole = nodes_at(&app.data(&query.replace('F', fields)), &path);
        assert!(whole.len() >= 2, "{query}: {} nodes", whole.len());
        for field in top_level_fields(fields) {
            let key = name_of(&field);
            let alone = nodes_at(&app.data(&query.replace('F', &field)), &path);
            assert_eq!(alone.len(), whole.len(), "{query}: {field}");
            for (alone, whole) in alone.iter().zip(&whole) {
                assert_eq!(alone[key], whole[key], "{query}: {field}");
            }
            let shown = whole.iter().any(|n| holds_something(&n[key]));
            if !shown {
                never_shown.push(format!("{key} in {query}"));
            }
        }
    }
    assert!(
        never_shown.is_empty(),
        "never anything but a placeholder: {never_shown:#?}"
    );
}

/// Two fragments that ask for different fields of one relation (merged under one response
/// key) share its statement, and get what one selection of all the fields gets.
#[test]
fn fragments_asking_for_parts_of_one_relation_share_its_statement() {
    let app = spawn_app();
    let split = "{ articles(first: 5, orderBy: [TITLE_ASC]) { nodes { ...A ...B } } } \
        fragment A on Article { source { name } tags { name } people(first: 3) { nodes { name positions { title } } } } \
        fragment B on Article { source { slug } tags { slug } people(first: 3) { nodes { slug positions { organization } } } }";
    let whole = "{ articles(first: 5, orderBy: [TITLE_ASC]) { nodes { source { name slug } tags { name slug } \
        people(first: 3) { nodes { name slug positions { title organization } } } } } }";
    let (split_data, split_sql) = app.statements_of(split);
    let (whole_data, whole_sql) = app.statements_of(whole);
    // The page, sources, tags, people and positions: one statement each.
    assert_eq!(whole_sql.len(), 5, "{whole_sql:#?}");
    assert_eq!(split_sql.len(), whole_sql.len(), "{split_sql:#?}");
    assert_eq!(split_data, whole_data);
}

/// The root quotes list walks the quotes newest first and checks each one's article: it
/// neither sorts the visible quotes nor builds a Bloom filter over the published articles
/// first (SQLite turned both a join and a plain `EXISTS` into such plans: 0.3–0.5 s and
/// 55–100 ms a request at 100,000 articles; `service::quote::visible`). The plans show only
/// with the tables' statistics at that size, which the test sets.
#[test]
fn the_quotes_list_walks_the_quotes_newest_first_on_sqlite() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app();
    if app.db.db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return;
    }
    // Statistics as at 100,000 articles (`bench generate`), where the plans differ.
    let stats = [
        "DELETE FROM sqlite_stat1",
        "INSERT INTO sqlite_stat1 VALUES ('quotes', 'ix_quotes_created_at_id', '199728 199728 1')",
        "INSERT INTO sqlite_stat1 VALUES ('quotes', 'ix_quotes_article_id_position', '199728 3 1')",
        "INSERT INTO sqlite_stat1 VALUES ('articles', 'ix_articles_status_published_at_id', '100000 50000 1 1')",
        "INSERT INTO sqlite_stat1 VALUES ('articles', NULL, '100000')",
        "INSERT INTO sqlite_stat1 VALUES ('quotes', NULL, '199728')",
        "ANALYZE sqlite_schema",
    ];
    app.db.run(app.db.db.execute_unprepared("ANALYZE")).unwrap();
    for statement in stats {
        app.db.run(app.db.db.execute_unprepared(statement)).unwrap();
    }
    let (data, sql) = app.statements_of("{ quotes(first: 5) { nodes { text } } }");
    assert_eq!(data["quotes"]["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(sql.len(), 1, "{sql:?}");
    // Planned with its parameters unbound, as SQLite allows.
    let plan: Vec<String> = app
        .db
        .run(app.db.db.query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            format!("EXPLAIN QUERY PLAN {}", sql[0]),
        )))
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "detail").unwrap())
        .collect();
    assert!(
        plan[0].starts_with("SCAN quotes USING INDEX ix_quotes_created_at_id"),
        "{plan:?}"
    );
    assert!(
        !plan
            .iter()
            .any(|step| step.contains("TEMP B-TREE") || step.contains("BLOOM")),
        "{plan:?}"
    );
}
