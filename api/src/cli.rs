//! The command line: `serve`, `migrate`, `import`, `export`, `token` and `schema`.

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
    /// How logs are written to standard error: `human` lines or `json`, one object per line.
    #[arg(long, global = true, env = "CONTENT_API_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
}

/// How logs are written.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
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
    /// Make, list and revoke API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    Schema {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// What `token` does.
#[derive(Subcommand, Debug)]
pub enum TokenAction {
    /// Make a token and print it, once: only its hash is stored.
    Create {
        /// EDITOR reads everything and changes content; ADMIN as editor.
        #[arg(long, value_enum)]
        role: TokenRole,
        /// Who or what holds it ("newsroom importer").
        #[arg(long)]
        name: String,
    },
    /// List the tokens: id, name, role, created, last used, revoked. Never the tokens.
    List,
    /// Revoke a token: it is refused from the next request on.
    Revoke {
        /// The id `token list` shows.
        id: i64,
    },
}

/// The roles a token can have.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum TokenRole {
    Editor,
    Admin,
}

impl From<TokenRole> for entity::Role {
    fn from(role: TokenRole) -> Self {
        match role {
            TokenRole::Editor => entity::Role::Editor,
            TokenRole::Admin => entity::Role::Admin,
        }
    }
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
            let grace = std::time::Duration::from_secs(config.shutdown_grace_seconds);
            let delay = std::time::Duration::from_secs(config.drain_delay_seconds);
            application.run_until_signalled(delay, grace).await?;
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
        Command::Token { action, database } => {
            let db = crate::db::connect_and_migrate(&database.database_url).await?;
            run_token(&db, action).await?;
        }
        Command::Schema { database: _ } => print!("{}", crate::graphql::sdl()),
    }
    Ok(())
}

/// Runs a `token` command.
async fn run_token(db: &sea_orm::DatabaseConnection, action: TokenAction) -> anyhow::Result<()> {
    use crate::service::token;
    match action {
        TokenAction::Create { role, name } => {
            let (id, secret) = token::create(db, &name, role.into()).await?;
            eprintln!("token {id} made; it is shown only this once:");
            println!("{secret}");
        }
        TokenAction::List => {
            println!("id\trole\tname\tcreated\tlast used\trevoked");
            let time = |at: Option<chrono::DateTime<chrono::Utc>>| {
                at.map_or_else(|| "-".to_owned(), |at| at.to_rfc3339())
            };
            for info in token::list(db).await? {
                let role = match info.role {
                    entity::Role::Editor => "EDITOR",
                    entity::Role::Admin => "ADMIN",
                };
                println!(
                    "{}\t{role}\t{}\t{}\t{}\t{}",
                    info.id,
                    info.name,
                    info.created_at.to_rfc3339(),
                    time(info.last_used_at),
                    time(info.revoked_at)
                );
            }
        }
        TokenAction::Revoke { id } => {
            token::revoke(db, id).await?;
            eprintln!("token {id} revoked");
        }
    }
    Ok(())
}
