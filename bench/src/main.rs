//! `bench`: the benchmark tool. `generate` writes a deterministic data set in the import
//! stream framing; `load` drives a running server with the query mix and reports throughput,
//! latency and CPU time per request; `sql` computes the floor of each query by hand-written
//! SQL; `compare` measures server and floor in alternating turns and reports their ratio.

mod compare;
mod generate;
mod load;
mod sql;

use clap::{Parser, Subcommand};

/// The benchmark tool of the content API.
#[derive(Parser)]
#[command(name = "bench", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a data set as an .ndjson import stream (to standard output without --out).
    Generate(generate::Args),
    /// Send the query mix to a running server and report per query.
    Load(load::Args),
    /// Compute the mix's answers with hand-written SQL, for the floor of each query.
    Sql(sql::Args),
    /// Measure each query against the server and its floor in alternating turns; report
    /// the ratio of their CPU per request.
    Compare(compare::Args),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Generate(args) => generate::run(&args),
        Command::Load(args) => load::run(&args),
        Command::Sql(args) => sql::run(&args),
        Command::Compare(args) => compare::run(&args),
    }
}
