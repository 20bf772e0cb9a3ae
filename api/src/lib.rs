//! The content API: a GraphQL server over articles, people, meetings, quotes and sources.
//! `main.rs` only parses the command line; everything else lives here so tests can drive it.

pub mod apq;
pub mod cli;
pub mod config;
pub mod db;
pub mod documents;
pub mod error;
pub mod graphql;
pub mod metrics;
pub mod routes;
pub mod service;
pub mod startup;

pub use error::{AppError, AppResult};
