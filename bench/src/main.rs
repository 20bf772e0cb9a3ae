//! `bench`: the benchmark tool. `generate` writes a deterministic data set in the import
//! stream framing; `load` drives a running server with the query mix and reports throughput,
//! latency and CPU time per request.

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
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Generate(args) => generate::run(&args),
        Command::Load(args) => load::run(&args),
        Command::Sql(args) => sql::run(&args),
    }
}
