//! The `Tag` type.

use async_graphql::{Context, Object, Result, ID};
use entity::tag;

use super::article::articles_of;
use super::connection::{connection, page_request};
use super::enums::ArticleOrder;
use super::error::GqlResult;
use super::filter::ArticleFilter;
use super::id::{encode, NodeKind};
use super::plain::plain_fields;
use super::ArticleConnection;
use crate::service::article::ArticleParent;

/// A label on articles; names may be Chinese ("精华精选").
#[derive(Clone)]
pub struct Tag(pub tag::Model);

super::ahead::loads_nothing_ahead!(Tag, tag::Model);

connection!(TagConnection, TagEdge, Tag, tag::Model, "tags");

plain_fields!(Tag {
    "id" => id,
    "slug" => slug,
    "name" => name,
});

#[Object]
impl Tag {
    /// The global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeKind::Tag, self.0.id)
    }
    /// The URL name, unique among tags.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// The label.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The articles that carry the tag.
    #[allow(clippy::too_many_arguments)]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(desc = "Only articles that match.")] filter: Option<Box<ArticleFilter>>,
        #[graphql(desc = "Default: PUBLISHED_AT_DESC.")] order_by: Option<Vec<ArticleOrder>>,
    ) -> Result<ArticleConnection> {
        let page = page_request(first, after, last, before).gql()?;
        articles_of(ctx, ArticleParent::Tag, self.0.id, page, filter, order_by).await
    }
}
