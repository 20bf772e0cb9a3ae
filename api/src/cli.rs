//! The command line: `serve`, `migrate`, `import`, `export` and `schema`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use migration::{Migrator, MigratorTrait};

use crate::config::{Config, DatabaseArgs};
use crate::startup::Application;

/// The content API: a GraphQL server over articles, people, meetings, quotes and sources.
#[derive(Parser, Debug)]
#[command(name = "content-api", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the GraphQL API (migrates the database first).
    Serve(Config),
    /// Apply or roll back migrations, or list them.
    Migrate {
        #[arg(value_enum, default_value_t = MigrateAction::Up)]
        action: MigrateAction,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Import .json bundles and .ndjson streams, all in one transaction (atomic, idempotent).
    Import {
        /// The files to import, in order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Write the whole database as an .ndjson stream (to standard output when no FILE).
    Export {
        file: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    Schema {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// What `migrate` does.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(config) => {
            let application = Application::build(&config).await?;
            tracing::info!(address = %config.bind, port = application.port(), "serving; GraphiQL at /graphiql");
            application.run_until_stopped().await?;
        }
        Command::Migrate { action, database } => {
            let db = crate::db::connect(&database.database_url).await?;
            match action {
                MigrateAction::Up => Migrator::up(&db, None).await?,
                MigrateAction::Down => Migrator::down(&db, Some(1)).await?,
                MigrateAction::Status => Migrator::status(&db).await?,
            }
        }
        Command::Import { files, database } => {
            let db = crate::db::connect_and_migrate(&database.database_url).await?;
            let summary = crate::service::import::import_files(&db, &files).await?;
            eprintln!(
                "imported: {} created, {} updated, {} unchanged",
                summary.created, summary.updated, summary.unchanged
            );
        }
        Command::Export { file, database } => {
            let db = crate::db::connect_and_migrate(&database.database_url).await?;
            let written = match file {
                Some(path) => {
                    let file = tokio::fs::File::create(&path)
                        .await
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    crate::service::export::export_stream(&db, file).await?
                }
                None => crate::service::export::export_stream(&db, tokio::io::stdout()).await?,
            };
            eprintln!("exported {written} records");
        }
        Command::Schema { database: _ } => print!("{}", crate::graphql::sdl()),
    }
    Ok(())
}
