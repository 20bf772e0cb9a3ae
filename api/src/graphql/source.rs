//! The `Source` type.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::source;

use super::article::articles_of;
use super::connection::{connection, page_request};
use super::enums::{ArticleOrder, SourceKind};
use super::error::GqlResult;
use super::filter::ArticleFilter;
use super::id::{encode, NodeKind};
use super::plain::plain_fields;
use super::ArticleConnection;
use crate::service::article::ArticleParent;

/// Who published an article: a ministry, an agency, a newspaper.
#[derive(Clone)]
pub struct Source(pub source::Model);

super::ahead::loads_nothing_ahead!(Source, source::Model);

connection!(
    SourceConnection,
    SourceEdge,
    Source,
    source::Model,
    "sources"
);

plain_fields!(Source {
    "id" => id,
    "slug" => slug,
    "name" => name,
    "kind" => kind,
    "url" => url,
    "description" => description,
    "createdAt" => created_at,
    "updatedAt" => updated_at,
});

#[Object]
impl Source {
    /// The global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeKind::Source, self.0.id)
    }
    /// The URL name, unique among sources.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// "Consulate General of the PRC".
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What kind of publisher it is.
    async fn kind(&self) -> SourceKind {
        self.0.kind.into()
    }
    /// Its web address.
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }
    /// A short description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The articles it published.
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
        articles_of(
            ctx,
            ArticleParent::Source,
            self.0.id,
            page,
            filter,
            order_by,
        )
        .await
    }
    /// When the record was created (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the record was last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
