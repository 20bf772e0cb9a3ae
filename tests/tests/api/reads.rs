//! SQLite reads on the server's own connections (`db::raw`): the same rows as sea-orm reads
//! through sqlx, values bound as sqlx binds them, statements past the inline budget run
//! again off the request's thread, and the request's deadline still stops them. On
//! PostgreSQL there are no such readers and these tests check that `Read` gives sea-orm's
//! rows.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use content_api::db::{within_deadline, Read};
use content_api::service::columns::{Columns, Partial};
use content_api::AppError;
use entity::{article, meeting, person, position, quote, source, ArticleStatus};
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QueryTrait, Select};

use crate::helpers::{loaded, spawn_app_configured, spawn_app_over, TestApp, TestDb};

/// A statement that counts to `n`, one step at a time: as long a read as wanted.
fn counting_to(n: u64) -> SelectStatement {
    Query::select()
        .expr_as(
            Expr::cust(format!(
                "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) \
                 SELECT count(*) FROM c)"
            )),
            Alias::new("n"),
        )
        .to_owned()
}

/// Every model `select` gives, read through the server's handle and through sea-orm's pool.
fn both_ways<E: Partial>(db: &TestDb, select: Select<E>) -> (Vec<E::Model>, Vec<E::Model>) {
    let served = db
        .run(Columns::<E>::ALL.all(&db.served, select.clone()))
        .expect("the server's read");
    let pooled = db
        .run(Columns::<E>::ALL.all(&db.db, select))
        .expect("sea-orm's read");
    (served, pooled)
}

#[test]
fn the_servers_reads_give_the_rows_sea_orm_gives() {
    let db = loaded(TestDb::new());
    let (served, pooled) = both_ways(
        &db,
        article::Entity::find().order_by_asc(article::Column::Id),
    );
    assert!(served.len() > 10, "the articles are loaded");
    assert_eq!(served, pooled);
    // Dates and times bound as sqlx binds them, compared with what it stored.
    let since = Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).single().unwrap();
    let dated = article::Entity::find()
        .filter(article::Column::PublishedAt.gte(since))
        .filter(article::Column::Status.eq(ArticleStatus::Published))
        .filter(article::Column::Featured.eq(false))
        .order_by_desc(article::Column::PublishedAt);
    let (served, pooled) = both_ways(&db, dated);
    assert_eq!(served, pooled);
    assert!(served
        .iter()
        .all(|a| a.published_at.is_some_and(|at| at >= since)));
    let (served, pooled) = both_ways(&db, person::Entity::find().order_by_asc(person::Column::Id));
    assert!(!served.is_empty());
    assert_eq!(served, pooled);
    let (served, pooled) = both_ways(
        &db,
        meeting::Entity::find().order_by_asc(meeting::Column::Id),
    );
    assert!(!served.is_empty());
    assert_eq!(served, pooled);
    let (served, pooled) = both_ways(&db, quote::Entity::find().order_by_asc(quote::Column::Id));
    assert_eq!(served, pooled);
    let (served, pooled) = both_ways(&db, source::Entity::find().order_by_asc(source::Column::Id));
    assert_eq!(served, pooled);
    let (served, pooled) = both_ways(
        &db,
        position::Entity::find().order_by_asc(position::Column::Id),
    );
    assert_eq!(served, pooled);
    if db.served.sqlite_reads().is_none() {
        return;
    }
    // Text matched in any script by the server's REGEXP (which filters use on SQLite).
    let (served, pooled) = both_ways(
        &db,
        person::Entity::find().filter(Expr::cust_with_exprs(
            "? REGEXP ?",
            [Expr::col(person::Column::Name), Expr::val("(?i)^xi ")],
        )),
    );
    assert_eq!(served, pooled);
    assert!(served.iter().any(|p| p.name == "Xi Jinping"));
}

#[test]
fn a_read_past_the_inline_budget_runs_again_off_the_thread_and_answers() {
    let db = TestDb::new();
    let Some(before) = db.served.sqlite_reads() else {
        // PostgreSQL: no raw readers; the read is sea-orm's.
        let rows = db.run(db.served.read(&counting_to(10))).unwrap();
        assert_eq!(rows.iter().next().unwrap().get::<i64>(0).unwrap(), 10);
        return;
    };
    let rows = db.run(db.served.read(&counting_to(10))).unwrap();
    assert_eq!(rows.iter().next().unwrap().get::<i64>(0).unwrap(), 10);
    let short = db.served.sqlite_reads().unwrap();
    assert_eq!(short.inline, before.inline + 1);
    assert_eq!(short.moved, before.moved);
    let rows = db.run(db.served.read(&counting_to(2_000_000))).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows.iter().next().unwrap().get_named::<i64>("n").unwrap(),
        2_000_000
    );
    let long = db.served.sqlite_reads().unwrap();
    assert_eq!(long.moved, short.moved + 1);
    assert_eq!(long.inline, short.inline);
}

#[test]
fn the_requests_deadline_stops_a_read_that_was_moved_off_the_thread() {
    let db = TestDb::new();
    if db.served.sqlite_reads().is_none() {
        // PostgreSQL stops statements at its own `statement_timeout` (`timeouts`).
        return;
    }
    // A reader open already, so that the statement starts well before its deadline.
    db.run(db.served.read(&counting_to(3))).unwrap();
    let deadline = Instant::now() + Duration::from_millis(100);
    let started = Instant::now();
    let error = db
        .run(within_deadline(
            deadline,
            db.served.read(&counting_to(10_000_000_000)),
        ))
        .err()
        .expect("the read is stopped");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(AppError::from(error), AppError::Cancelled(_)),
        "a stopped statement is told apart from a failed one"
    );
    assert_eq!(db.served.sqlite_reads().unwrap().moved, 1);
    // The reader is fine afterwards.
    let rows = db.run(db.served.read(&counting_to(3))).unwrap();
    assert_eq!(rows.iter().next().unwrap().get::<i64>(0).unwrap(), 3);
}

#[test]
fn a_statement_the_server_cannot_run_fails_with_the_databases_error() {
    let db = TestDb::new();
    let broken = Query::select()
        .expr(Expr::cust("no_such_function(1)"))
        .to_owned();
    let error = db.run(db.served.read(&broken)).err().expect("it fails");
    assert!(matches!(AppError::from(error), AppError::Internal(_)));
    let select = article::Entity::find().filter(article::Column::Id.eq(1));
    let rows = db
        .run(db.served.read(&QueryTrait::into_query(select)))
        .unwrap();
    assert!(rows.is_empty());
}

/// The server's count of SQLite reads that ran where `ran` says, if it reads SQLite itself.
fn sqlite_reads(app: &TestApp, ran: &str) -> Option<u64> {
    let metrics = app.get("/metrics").body;
    let prefix = format!("content_api_sqlite_reads_total{{ran=\"{ran}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map(|count| count.parse().unwrap())
}

const FRONT_PAGE: &str = "{ articles(first: 20) { nodes { title source { name } tags { name } \
    people(first: 5) { nodes { name positions { title } } } } } }";

#[test]
fn a_page_reads_on_the_workers_thread_and_with_no_inline_budget_off_it_alike() {
    let inline = spawn_app_over(loaded(TestDb::new()));
    let (answer, statements) = inline.count_statements(FRONT_PAGE);
    let Some(ran_inline) = sqlite_reads(&inline, "inline") else {
        // PostgreSQL: no SQLite readers, nothing counted.
        assert_eq!(sqlite_reads(&inline, "off_thread"), None);
        return;
    };
    assert!(statements >= 4, "{statements}");
    assert_eq!(
        ran_inline, statements,
        "every statement of the page ran inline"
    );
    assert_eq!(sqlite_reads(&inline, "off_thread"), Some(0));
    let off = spawn_app_configured(loaded(TestDb::new()), |config| {
        config.sqlite_inline_ms = 0.0;
    });
    assert_eq!(off.data(FRONT_PAGE), answer);
    assert_eq!(sqlite_reads(&off, "inline"), Some(0));
    assert_eq!(sqlite_reads(&off, "off_thread"), Some(statements));
    // A client's filter goes off the thread at once, whatever the budget.
    let filtered = inline
        .data("{ articles(first: 3, filter: {title: {contains: \"a\"}}) { nodes { title } } }");
    assert!(filtered["articles"]["nodes"].as_array().is_some());
    assert!(sqlite_reads(&inline, "off_thread").unwrap() >= 1);
}

#[test]
fn a_read_whose_request_has_gone_is_stopped_and_its_reader_comes_back() {
    let db = TestDb::new();
    if db.served.sqlite_reads().is_none() {
        return;
    }
    let in_use = || {
        let (open, idle, _) = db.served.pool_use().unwrap();
        open - u32::try_from(idle).unwrap()
    };
    // No deadline at all (outside a request, no statement timeout): only the request going
    // away can stop it. Left running, the statement would take some 40 s in a debug build
    // here (seconds on a much faster machine), well past the 2 s the reader gets to come
    // back; stopped, it ends within a thousand steps.
    let gone = db.run(async {
        tokio::time::timeout(
            Duration::from_millis(200),
            db.served.read(&counting_to(100_000_000)),
        )
        .await
    });
    assert!(gone.is_err(), "the read was still running when dropped");
    let until = Instant::now() + Duration::from_secs(2);
    while in_use() > 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(in_use(), 0, "the reader came back");
    let rows = db.run(db.served.read(&counting_to(3))).unwrap();
    assert_eq!(rows.iter().next().unwrap().get::<i64>(0).unwrap(), 3);
}
