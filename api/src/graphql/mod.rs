//! The GraphQL schema: one module per type with thin resolvers over the service layer,
//! connections, DataLoaders and the request context.

mod ahead;
mod article;
mod connection;
pub mod context;
mod count;
mod enums;
pub mod error;
mod filter;
mod id;
mod limits;
mod loaders;
mod meeting;
mod mutation;
mod node;
mod person;
mod plain;
mod query;
mod quote;
mod scalar;
mod search;
mod selection;
mod source;
mod tag;

use async_graphql::{EmptySubscription, Schema};

pub use article::{Article, ArticleConnection};
pub use limits::Limits;
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

/// Builds the schema once with the default limits; requests add their own context (see
/// [`context::request_data`]). The schema enforces only depth, recursion depth, directives
/// and introspection: requests must run through [`Limits::execute`] for the rest.
pub fn build_schema() -> AppSchema {
    build_schema_with(Limits::default())
}

/// Builds the schema with `limits`; without introspection, field suggestions go too. The rest
/// of the limits are checked by [`Limits::execute`], which requests are run through.
pub fn build_schema_with(limits: Limits) -> AppSchema {
    let builder = Schema::build(Query, Mutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_recursive_depth(MAX_DEPTH * 4)
        .limit_directives(limits.max_directives);
    let builder = if limits.introspection {
        builder
    } else {
        builder.disable_introspection().disable_suggestions()
    };
    builder.finish()
}

/// The SDL of the schema, as `content-api schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    build_schema().sdl()
}
