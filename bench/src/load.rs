//! The load driver: each query of the mix is sent by N concurrent connections for T
//! seconds; reported per query are requests per second, p50 and p99 latency, errors, and —
//! from the processes' own accounting in /proc — CPU milliseconds per request of the server
//! and of the database processes, and the server's peak RSS.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

/// How to load the server.
#[derive(clap::Args)]
pub struct Args {
    /// The server's address.
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    url: String,
    /// Concurrent connections.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Seconds per query.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The server's process id, for its CPU time and peak RSS.
    #[arg(long)]
    server_pid: Option<u32>,
    /// The name of database server processes whose CPU time counts too (e.g. `postgres`).
    #[arg(long)]
    db_process: Option<String>,
    /// Only the queries whose names contain this.
    #[arg(long)]
    only: Option<String>,
}

/// One query of the mix: its name, text and variables.
pub struct Query {
    pub name: &'static str,
    text: String,
    variables: Value,
}

/// The deepest page measured: 100,000 articles with 5% drafts hold about 4,750 pages of 20.
const DEEPEST_PAGE: usize = 4_700;

const FRONT_PAGE: &str =
    "{ articles(first: 20) { nodes { title publishedAt source { name } tags { name } \
    people(first: 5) { nodes { name positions { title organization } } } } } }";
const PERSON_PAGE: &str = "query($slug: String) { person(slug: $slug) { name \
    meetings(first: 20) { edges { role node { title heldOn participants { role person { name } } } } } \
    quotes(first: 10) { nodes { text article { title } } } } }";
const FILTERED: &str = "{ articles(first: 20, filter: {person: {name: {contains: \"wang\"}}, \
    publishedAt: {gte: \"2019-01-01T00:00:00Z\", lt: \"2020-01-01T00:00:00Z\"}}) { totalCount nodes { title } } }";
const DEEP_PAGE: &str =
    "query($after: String) { articles(first: 20, after: $after) { nodes { title } } }";
const SEARCH: &str = "query($q: String!) { search(query: $q, first: 20) { nodes { __typename ... on Article { title } } } }";

fn post(agent: &ureq::Agent, url: &str, text: &str, variables: &Value) -> anyhow::Result<Value> {
    let body = json!({"query": text, "variables": variables}).to_string();
    let mut response = agent
        .post(format!("{url}/graphql"))
        .header("content-type", "application/json")
        .send(body)?;
    let answer: Value = serde_json::from_str(&response.body_mut().read_to_string()?)?;
    if answer.get("errors").is_some() {
        bail!("{}", answer["errors"]);
    }
    Ok(answer)
}

/// The cursor after the first `rows` rows of the article list (walked 100 at a time), so
/// that a page of 20 after it is page `rows / 20 + 1`.
fn cursor_after(agent: &ureq::Agent, url: &str, rows: usize) -> anyhow::Result<Value> {
    let mut after = Value::Null;
    let mut left = rows;
    while left > 0 {
        let step = left.min(100);
        let answer = post(
            agent,
            url,
            "query($first: Int, $after: String) { articles(first: $first, after: $after) { pageInfo { endCursor } } }",
            &json!({"first": step, "after": after}),
        )?;
        after = answer["data"]["articles"]["pageInfo"]["endCursor"].clone();
        if after.is_null() {
            bail!("the article list has fewer than {rows} rows");
        }
        left -= step;
    }
    Ok(after)
}

/// CPU time (user + system) of a process, in seconds.
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line: 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU time of every process with this command name.
pub fn cpu_seconds_named(name: &str) -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == name)
        })
        .map(cpu_seconds)
        .sum()
}

/// Peak resident set size of a process, in MiB.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// What one query cost over a stretch of load: the requests' latencies and errors per
/// connection, the wall time, and the CPU seconds of the two sides measured (the server or
/// the floor's own process, and the database processes).
pub struct Measured {
    pub elapsed: f64,
    pub results: Vec<(Vec<Duration>, usize)>,
    pub first_cpu: f64,
    pub second_cpu: f64,
}

impl Measured {
    /// How many requests succeeded.
    pub fn requests(&self) -> usize {
        self.results
            .iter()
            .map(|(latencies, _)| latencies.len())
            .sum()
    }

    /// How many requests failed.
    pub fn errors(&self) -> usize {
        self.results.iter().map(|(_, errors)| errors).sum()
    }

    /// `cpu` seconds as milliseconds per successful request (0 without requests).
    fn per_request(&self, cpu: f64) -> f64 {
        match self.requests() {
            0 => 0.0,
            count => cpu * 1000.0 / count as f64,
        }
    }

    /// CPU milliseconds per successful request, both sides together (0 without requests).
    pub fn cpu_ms_per_request(&self) -> f64 {
        self.per_request(self.first_cpu + self.second_cpu)
    }

    /// The report's line for `name`: throughput, latency percentiles, errors and CPU per
    /// request.
    pub fn line(&self, name: &str) -> String {
        let mut latencies: Vec<Duration> = self
            .results
            .iter()
            .flat_map(|(latencies, _)| latencies.iter().copied())
            .collect();
        latencies.sort();
        let count = latencies.len();
        let percentile = |p: f64| {
            latencies
                .get(((count as f64 * p) as usize).min(count.saturating_sub(1)))
                .map(|d| d.as_secs_f64() * 1000.0)
                .unwrap_or(0.0)
        };
        format!(
            "| {name} | {:.0} | {:.1} | {:.1} | {} | {:.2} | {:.2} | {:.2} |",
            count as f64 / self.elapsed,
            percentile(0.5),
            percentile(0.99),
            self.errors(),
            self.per_request(self.first_cpu),
            self.per_request(self.second_cpu),
            self.cpu_ms_per_request(),
        )
    }
}

/// Sends `query` from `connections` connections for `seconds`, counting the CPU time of the
/// server (`server_pid`) and of the processes named `db_process`.
pub fn measure_query(
    url: &str,
    query: &Query,
    connections: usize,
    seconds: f64,
    server_pid: Option<u32>,
    db_process: Option<&str>,
) -> Measured {
    let server_before = server_pid.map(cpu_seconds).unwrap_or(0.0);
    let db_before = db_process.map(cpu_seconds_named).unwrap_or(0.0);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let results: Vec<(Vec<Duration>, usize)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections)
            .map(|_| {
                scope.spawn(|| {
                    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
                    let (mut latencies, mut errors) = (Vec::new(), 0);
                    while Instant::now() < deadline {
                        let sent = Instant::now();
                        match post(&agent, url, &query.text, &query.variables) {
                            Ok(_) => latencies.push(sent.elapsed()),
                            Err(_) => errors += 1,
                        }
                    }
                    (latencies, errors)
                })
            })
            .collect();
        workers.into_iter().filter_map(|w| w.join().ok()).collect()
    });
    Measured {
        elapsed: started.elapsed().as_secs_f64(),
        results,
        first_cpu: server_pid.map(cpu_seconds).unwrap_or(0.0) - server_before,
        second_cpu: db_process.map(cpu_seconds_named).unwrap_or(0.0) - db_before,
    }
}

/// The query mix, its deep pages' cursors walked to on the server at `url`; each query is
/// sent once, so that one that fails stops the run before anything is measured.
pub fn mix(url: &str) -> anyhow::Result<Vec<Query>> {
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let deep = cursor_after(&agent, url, 49 * 20).context("walk to page 50 of the article list")?;
    let deeper = cursor_after(&agent, url, (DEEPEST_PAGE - 1) * 20)
        .context("walk to the deepest page of the article list")?;
    let queries = vec![
        Query {
            name: "front page",
            text: FRONT_PAGE.to_owned(),
            variables: json!({}),
        },
        Query {
            name: "person page",
            text: PERSON_PAGE.to_owned(),
            variables: json!({"slug": "person-1"}),
        },
        Query {
            name: "filtered list",
            text: FILTERED.to_owned(),
            variables: json!({}),
        },
        Query {
            name: "page 1",
            text: DEEP_PAGE.to_owned(),
            variables: json!({"after": null}),
        },
        Query {
            name: "deep page (50)",
            text: DEEP_PAGE.to_owned(),
            variables: json!({"after": deep}),
        },
        Query {
            name: "deep page (4,700)",
            text: DEEP_PAGE.to_owned(),
            variables: json!({"after": deeper}),
        },
        Query {
            name: "search (English)",
            text: SEARCH.to_owned(),
            variables: json!({"q": "security cooperation"}),
        },
        Query {
            name: "search (Chinese)",
            text: SEARCH.to_owned(),
            variables: json!({"q": "合作"}),
        },
        // No database work at all: what any request costs the server (HTTP, parse, limits,
        // validation, execution, serialisation, the log line), to read the others against.
        Query {
            name: "bare request (__typename)",
            text: "{ __typename }".to_owned(),
            variables: json!({}),
        },
    ];
    for query in &queries {
        post(&agent, url, &query.text, &query.variables)
            .with_context(|| format!("the {} query fails", query.name))?;
    }
    Ok(queries)
}

/// Runs the mix and prints a Markdown table.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let queries = mix(&args.url)?;
    println!(
        "{} connections, {} s per query\n\n| query | req/s | p50 ms | p99 ms | errors | server CPU ms/req | db CPU ms/req | total CPU ms/req |\n|---|---|---|---|---|---|---|---|",
        args.connections, args.seconds
    );
    for query in &queries {
        if args
            .only
            .as_deref()
            .is_some_and(|only| !query.name.contains(only))
        {
            continue;
        }
        let measured = measure_query(
            &args.url,
            query,
            args.connections,
            args.seconds as f64,
            args.server_pid,
            args.db_process.as_deref(),
        );
        println!("{}", measured.line(query.name));
    }
    if let Some(rss) = args.server_pid.and_then(peak_rss_mib) {
        println!("\nserver peak RSS: {rss:.0} MiB");
    }
    Ok(())
}
