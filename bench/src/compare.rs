//! The ratio itself: each query of the mix that has a floor is measured against the server
//! and by its hand-written SQL in turns of a few seconds each, round after round, so that
//! both sides of every ratio see the same machine. On a shared machine whose speed drifts
//! by more than the differences being measured, separate runs of `load` and `sql` minutes
//! apart compare one moment's server with another moment's floor.

use anyhow::Context as _;

use crate::load::{measure_query, mix};
use crate::sql::{measure_floor, page_50, runtime, FLOORED};

/// What to compare.
#[derive(clap::Args)]
pub struct Args {
    /// The server's address.
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    url: String,
    /// The database the server uses.
    #[arg(long)]
    database_url: String,
    /// The server's process id, for its CPU time.
    #[arg(long)]
    server_pid: u32,
    /// The name of database server processes whose CPU time counts too (e.g. `postgres`).
    #[arg(long)]
    db_process: Option<String>,
    /// Concurrent connections, on both sides.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Seconds per turn (each round is one turn of the server and one of the floor).
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Rounds per query.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Only the queries whose names contain this.
    #[arg(long)]
    only: Option<String>,
}

/// The median of `values` (the mean of the middle two for an even count); 0 for none.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The smallest and largest of `values`.
fn range(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), v| {
            (low.min(*v), high.max(*v))
        })
}

/// Compares each query with its floor in alternating turns and prints a Markdown table of
/// CPU per request and the ratio per round.
pub fn run(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.rounds > 0, "--rounds must be at least 1");
    anyhow::ensure!(args.seconds > 0.0, "--seconds must be more than 0");
    let queries = mix(&args.url)?;
    let runtime = runtime()?;
    let db = runtime.block_on(content_api::db::connect(&args.database_url))?;
    let after = runtime.block_on(page_50(&db))?;
    let db_process = args.db_process.as_deref();
    println!(
        "{} connections, {} rounds of {} s on each side per query\n\n\
         | query | server CPU ms/req (median) | floor CPU ms/req (median) | ratio (median) | ratio (range) | errors | rounds (server/floor) |\n\
         |---|---|---|---|---|---|---|",
        args.connections, args.rounds, args.seconds
    );
    for name in FLOORED {
        if args
            .only
            .as_deref()
            .is_some_and(|only| !name.contains(only))
        {
            continue;
        }
        let query = queries
            .iter()
            .find(|query| query.name == name)
            .with_context(|| format!("the mix has no query named {name}"))?;
        let (mut served, mut floors, mut ratios, mut errors) =
            (Vec::new(), Vec::new(), Vec::new(), 0);
        for _ in 0..args.rounds {
            let server = measure_query(
                &args.url,
                query,
                args.connections,
                args.seconds,
                Some(args.server_pid),
                db_process,
            );
            let floor = runtime.block_on(measure_floor(
                &db,
                name,
                &after,
                args.connections,
                args.seconds,
                db_process,
            ))?;
            errors += server.errors() + floor.errors();
            let (server, floor) = (server.cpu_ms_per_request(), floor.cpu_ms_per_request());
            served.push(server);
            floors.push(floor);
            if floor > 0.0 {
                ratios.push(server / floor);
            }
        }
        let (low, high) = range(&ratios);
        let rounds: Vec<String> = served
            .iter()
            .zip(&floors)
            .map(|(server, floor)| format!("{server:.2}/{floor:.2}"))
            .collect();
        println!(
            "| {name} | {:.2} | {:.2} | {:.2}× | {low:.2}–{high:.2}× | {errors} | {} |",
            median(&served),
            median(&floors),
            median(&ratios),
            rounds.join(", "),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{median, range};

    #[test]
    fn medians_and_ranges() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(range(&[2.0, 5.0, 1.0]), (1.0, 5.0));
    }
}
