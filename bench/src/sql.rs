//! The floor: the answers of the query mix computed by hand-written SQL straight against the
//! database, with the same concurrency, so each query's GraphQL cost can be read as a ratio
//! over the database's own. CPU per request counts this process (SQLite runs inside it) and
//! the database server processes (PostgreSQL).

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};

use crate::load::{cpu_seconds, cpu_seconds_named, Measured};

/// What to measure.
#[derive(clap::Args)]
pub struct Args {
    /// The database the server uses.
    #[arg(long)]
    database_url: String,
    /// Concurrent connections.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Seconds per query.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The name of database server processes whose CPU time counts (e.g. `postgres`).
    #[arg(long)]
    db_process: Option<String>,
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Result<Vec<QueryResult>, sea_orm::DbErr> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
}

fn ids(rows: &[QueryResult], column: &str) -> String {
    let ids: Vec<String> = rows
        .iter()
        .filter_map(|row| row.try_get::<i64>("", column).ok())
        .map(|id| id.to_string())
        .collect();
    if ids.is_empty() {
        "0".to_owned()
    } else {
        ids.join(",")
    }
}

/// The statements of one request of each query, as an expert would write them by hand.
async fn front_page(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let page = rows(
        db,
        "SELECT id, title, published_at, source_id FROM articles WHERE status = 'PUBLISHED' \
        ORDER BY published_at DESC NULLS LAST, id DESC LIMIT 20",
    )
    .await?;
    let articles = ids(&page, "id");
    let sources = ids(&page, "source_id");
    rows(
        db,
        &format!("SELECT id, name FROM sources WHERE id IN ({sources})"),
    )
    .await?;
    rows(
        db,
        &format!(
            "SELECT at.article_id, t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id \
        WHERE at.article_id IN ({articles}) ORDER BY at.id"
        ),
    )
    .await?;
    let people = rows(db, &format!("SELECT * FROM (SELECT ap.article_id, p.id, p.name, ROW_NUMBER() OVER \
        (PARTITION BY ap.article_id ORDER BY p.name, p.id) AS rn FROM article_people ap JOIN people p \
        ON p.id = ap.person_id WHERE ap.article_id IN ({articles})) ranked WHERE rn <= 5")).await?;
    rows(db, &format!("SELECT person_id, title, organization FROM positions WHERE person_id IN ({}) ORDER BY id",
        ids(&people, "id"))).await?;
    Ok(())
}

async fn person_page(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let person = rows(db, "SELECT id, name FROM people WHERE slug = 'person-1'").await?;
    let id = ids(&person, "id");
    let meetings = rows(db, &format!("SELECT m.id, m.title, m.held_on, mp.role FROM meeting_participants mp \
        JOIN meetings m ON m.id = mp.meeting_id WHERE mp.person_id = {id} ORDER BY m.held_on DESC, m.id DESC LIMIT 20")).await?;
    rows(
        db,
        &format!(
            "SELECT mp.meeting_id, mp.role, p.name FROM meeting_participants mp JOIN people p \
        ON p.id = mp.person_id WHERE mp.meeting_id IN ({}) ORDER BY mp.id",
            ids(&meetings, "id")
        ),
    )
    .await?;
    rows(db, &format!("SELECT q.text, a.title FROM quotes q JOIN articles a ON a.id = q.article_id \
        WHERE q.person_id = {id} AND a.status = 'PUBLISHED' ORDER BY q.created_at DESC, q.id DESC LIMIT 10")).await?;
    Ok(())
}

async fn filtered_list(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let (like, from, to) = match db.get_database_backend() {
        DbBackend::Postgres => ("ILIKE", "'2019-01-01T00:00:00Z'", "'2020-01-01T00:00:00Z'"),
        _ => (
            "LIKE",
            "'2019-01-01T00:00:00+00:00'",
            "'2020-01-01T00:00:00+00:00'",
        ),
    };
    // The people are matched once (an uncorrelated `IN`), and each article's own links are
    // checked against them; on SQLite `+ap.person_id` keeps the planner from looking up every
    // matching person in the link table's (article, person) index for every article.
    let person = match db.get_database_backend() {
        DbBackend::Postgres => "ap.person_id",
        _ => "+ap.person_id",
    };
    let matches = format!("status = 'PUBLISHED' AND published_at >= {from} AND published_at < {to} AND EXISTS \
        (SELECT 1 FROM article_people ap WHERE ap.article_id = a.id AND {person} IN (SELECT p.id FROM people p WHERE \
        p.name {like} '%wang%' OR p.native_name {like} '%wang%' OR EXISTS (SELECT 1 FROM person_aliases al \
        WHERE al.person_id = p.id AND al.alias {like} '%wang%')))");
    rows(db, &format!("SELECT id, title FROM articles a WHERE {matches} ORDER BY published_at DESC NULLS LAST, id DESC LIMIT 20")).await?;
    rows(
        db,
        &format!("SELECT COUNT(*) FROM articles a WHERE {matches}"),
    )
    .await?;
    Ok(())
}

async fn deep_page(db: &DatabaseConnection, after: &(String, i64)) -> Result<(), sea_orm::DbErr> {
    let (at, id) = after;
    rows(
        db,
        &format!(
            "SELECT id, title FROM articles WHERE status = 'PUBLISHED' AND published_at <= '{at}' \
        AND (published_at < '{at}' OR (published_at = '{at}' AND id < {id})) \
        ORDER BY published_at DESC NULLS LAST, id DESC LIMIT 20"
        ),
    )
    .await?;
    Ok(())
}

async fn search(db: &DatabaseConnection, chinese: bool) -> Result<(), sea_orm::DbErr> {
    let hits = match (db.get_database_backend(), chinese) {
        (DbBackend::Postgres, false) => rows(db, "SELECT kind, ref, ts_rank(words, q) AS score FROM search_documents, \
            plainto_tsquery('english', 'security cooperation') q WHERE words @@ q ORDER BY score DESC, kind, ref LIMIT 20").await?,
        (DbBackend::Postgres, true) => rows(db, "SELECT kind, ref FROM search_documents WHERE body LIKE '%合作%' \
            ORDER BY length(body), kind, ref LIMIT 20").await?,
        (_, false) => rows(db, "SELECT rowid % 8 AS kind, rowid / 8 AS ref, -bm25(search_words) AS score FROM search_words \
            WHERE search_words MATCH '\"security\" \"cooperation\"' ORDER BY score DESC LIMIT 20").await?,
        (_, true) => rows(db, "SELECT rowid % 8 AS kind, rowid / 8 AS ref FROM search_grams WHERE instr(body, '合作') > 0 \
            ORDER BY length(body) LIMIT 20").await?,
    };
    rows(
        db,
        &format!(
            "SELECT id, title FROM articles WHERE status = 'PUBLISHED' AND id IN ({})",
            ids(&hits, "ref")
        ),
    )
    .await?;
    Ok(())
}

/// The queries of the mix that have a floor, by the names the load driver uses.
pub const FLOORED: [&str; 6] = [
    "front page",
    "person page",
    "filtered list",
    "deep page (50)",
    "search (English)",
    "search (Chinese)",
];

/// Where page 50 of the article list starts: the published time and id of the 980th row.
pub async fn page_50(db: &DatabaseConnection) -> anyhow::Result<(String, i64)> {
    let row = rows(
        db,
        "SELECT published_at, id FROM articles WHERE status = 'PUBLISHED' \
        ORDER BY published_at DESC NULLS LAST, id DESC LIMIT 1 OFFSET 979",
    )
    .await?;
    let row = row
        .first()
        .ok_or_else(|| anyhow::anyhow!("fewer than 980 published articles"))?;
    let at: String = match db.get_database_backend() {
        DbBackend::Postgres => row
            .try_get::<chrono::DateTime<chrono::Utc>>("", "published_at")?
            .to_rfc3339(),
        _ => row.try_get::<String>("", "published_at")?,
    };
    Ok((at, row.try_get::<i64>("", "id")?))
}

/// Computes the floor of the query `name` (one of [`FLOORED`]) from `connections` tasks for
/// `seconds`, counting this process's CPU time (SQLite runs in it) and that of the processes
/// named `db_process`.
pub async fn measure_floor(
    db: &DatabaseConnection,
    name: &'static str,
    after: &(String, i64),
    connections: usize,
    seconds: f64,
    db_process: Option<&str>,
) -> anyhow::Result<Measured> {
    let me = std::process::id();
    let own_before = cpu_seconds(me);
    let db_before = db_process.map(cpu_seconds_named).unwrap_or(0.0);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (db, after) = (db.clone(), after.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            while Instant::now() < deadline {
                let sent = Instant::now();
                let done = match name {
                    "front page" => front_page(&db).await,
                    "person page" => person_page(&db).await,
                    "filtered list" => filtered_list(&db).await,
                    "deep page (50)" => deep_page(&db, &after).await,
                    "search (English)" => search(&db, false).await,
                    _ => search(&db, true).await,
                };
                match done {
                    Ok(()) => latencies.push(sent.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await?);
    }
    Ok(Measured {
        elapsed: started.elapsed().as_secs_f64(),
        results,
        first_cpu: cpu_seconds(me) - own_before,
        second_cpu: db_process.map(cpu_seconds_named).unwrap_or(0.0) - db_before,
    })
}

/// The runtime the floor runs on: two workers, as the server has on this machine's cores.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// Runs the floor of the mix and prints a Markdown table.
pub fn run(args: &Args) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let db = content_api::db::connect(&args.database_url).await?;
        let after = page_50(&db).await?;
        println!("{} connections, {} s per query\n\n| query | req/s | p50 ms | p99 ms | errors | client CPU ms/req | db CPU ms/req | total CPU ms/req |\n|---|---|---|---|---|---|---|---|",
            args.connections, args.seconds);
        for name in FLOORED {
            let measured = measure_floor(
                &db,
                name,
                &after,
                args.connections,
                args.seconds as f64,
                args.db_process.as_deref(),
            )
            .await?;
            println!("{}", measured.line(name));
        }
        anyhow::Ok(())
    })
}
