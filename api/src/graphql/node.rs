//! The `Node` interface and loading any node by its global ID.

use async_graphql::{Context, Interface, Result, ID};

use super::context::loader;
use super::error::GqlResult;
use super::id::{decode, NodeKind};
use super::loaders::{ArticleById, MeetingById, PersonById, QuoteById, SourceById, TagById};
use super::{Article, Meeting, Person, Quote, Source, Tag};

/// Anything with a global ID, fetchable with `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The global ID."))]
pub enum Node {
    Article(Article),
    Person(Person),
    Meeting(Meeting),
    Source(Source),
    Tag(Tag),
    Quote(Quote),
}

/// The node a global ID names, or `None` when there is none (or the caller may not see it).
pub async fn load_node(ctx: &Context<'_>, id: &ID, field: &str) -> Result<Option<Node>> {
    let (kind, id) = decode(id, field).gql()?;
    let loader = loader(ctx)?;
    Ok(match kind {
        NodeKind::Article => loader
            .load_one(ArticleById(id))
            .await
            .gql()?
            .map(|m| Node::Article(Article(m))),
        NodeKind::Person => loader
            .load_one(PersonById(id))
            .await
            .gql()?
            .map(|m| Node::Person(Person(m))),
        NodeKind::Meeting => loader
            .load_one(MeetingById(id))
            .await
            .gql()?
            .map(|m| Node::Meeting(Meeting(m))),
        NodeKind::Source => loader
            .load_one(SourceById(id))
            .await
            .gql()?
            .map(|m| Node::Source(Source(m))),
        NodeKind::Tag => loader
            .load_one(TagById(id))
            .await
            .gql()?
            .map(|m| Node::Tag(Tag(m))),
        NodeKind::Quote => loader
            .load_one(QuoteById(id))
            .await
            .gql()?
            .map(|m| Node::Quote(Quote(m))),
    })
}
