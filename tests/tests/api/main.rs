//! The integration tests: one binary, a module per area. Each test starts the real server
//! on a random port over its own fresh database (a SQLite file, or PostgreSQL when
//! `TEST_DATABASE_URL` is set) and speaks HTTP to it, or calls the service layer directly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod access;

mod export;
mod filters;
mod import;

mod cli;
mod http;
mod migrations;
mod mutations;
mod outage;
mod pagination;
mod properties;
mod reads;
mod relations;
mod root;
mod schema;
mod search;
mod serving;
mod statements;
mod timeouts;
mod visibility;
