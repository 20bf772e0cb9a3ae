//! `content-api`: parses the command line and hands off to the library.

use clap::Parser;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

fn main() -> std::process::ExitCode {
    let cli = content_api::cli::Cli::parse();
    let filter: Targets = std::env::var("CONTENT_API_LOG")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    match cli.log_format {
        content_api::cli::LogFormat::Json => tracing_subscriber::registry()
            .with(layer.json().flatten_event(true))
            .with(filter)
            .init(),
        content_api::cli::LogFormat::Human => tracing_subscriber::registry()
            .with(layer.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())))
            .with(filter)
            .init(),
    }
    match actix_web::rt::System::new().block_on(content_api::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // The causes on one line, without a backtrace: these are the user's errors
            // (a bad import file, an unreachable database), not the program's.
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// mimalloc rather than the system allocator: a GraphQL answer is built from many small,
/// short-lived allocations on several threads, and with it the server spends 7–10% less CPU
/// per request (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
