//! The `Node` interface and loading any node by its global ID.

use async_graphql::{Context, Interface, Result, ID};

use super::context::load;
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
    Ok(match kind {
        NodeKind::Article => load(ctx, ArticleById::whole(id))
            .await?
            .map(|m| Node::Article(Article::of(m))),
        NodeKind::Person => load(ctx, PersonById::whole(id))
            .await?
            .map(|m| Node::Person(Person::of(m))),
        NodeKind::Meeting => load(ctx, MeetingById(id))
            .await?
            .map(|m| Node::Meeting(Meeting::of(m))),
        NodeKind::Source => load(ctx, SourceById::whole(id))
            .await?
            .map(|m| Node::Source(Source(m))),
        NodeKind::Tag => load(ctx, TagById(id)).await?.map(|m| Node::Tag(Tag(m))),
        NodeKind::Quote => load(ctx, QuoteById(id))
            .await?
            .map(|m| Node::Quote(Quote::of(m))),
    })
}
