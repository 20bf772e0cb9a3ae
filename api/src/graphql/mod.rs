//! The GraphQL schema: one module per type with thin resolvers over the service layer,
//! connections, DataLoaders and the request context.

mod article;
mod connection;
pub mod context;
mod count;
mod enums;
pub mod error;
mod filter;
mod id;
mod loaders;
mod meeting;
mod mutation;
mod node;
mod person;
mod query;
mod quote;
mod scalar;
mod search;
mod source;
mod tag;

use async_graphql::{EmptySubscription, Schema};

pub use article::{Article, ArticleConnection};
pub use meeting::{Meeting, MeetingConnection};
pub use mutation::Mutation;
pub use person::{Person, PersonConnection};
pub use query::Query;
pub use quote::{Quote, QuoteConnection};
pub use source::{Source, SourceConnection};
pub use tag::{Tag, TagConnection};

/// The schema type the server executes.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// The deepest query accepted (GraphiQL's introspection query is 15 deep).
pub const MAX_DEPTH: usize = 16;
/// The most fields one query may select, counted before it runs.
pub const MAX_COMPLEXITY: usize = 5_000;

/// Builds the schema once; requests add their own context (see [`context::request_data`]).
pub fn build_schema() -> AppSchema {
    Schema::build(Query, Mutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// The SDL of the schema, as `content-api schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    build_schema().sdl()
}
