//! The `Article` type: a thin wrapper over the stored row; relations load through the
//! request's DataLoader.

use async_graphql::{Context, Object, Result, SelectionField, ID};
use chrono::{DateTime, Utc};
use entity::{article, person};

use super::ahead::{self, Ahead};
use super::connection::{connection, page_request};
use super::context::{load, load_ahead_or_alone};
use super::count::Total;
use super::enums::{orders, ArticleOrder, ArticleStatus};
use super::error::GqlResult;
use super::filter::{ArticleFilter, PersonFilter};
use super::id::{encode, NodeKind};
use super::loaders::{
    ArticlesOf, ChildList, MeetingsOfArticle, PeopleOfArticle, QuotesOfArticle, SourceById,
    TagsOfArticle,
};
use super::plain::{plain_fields, Plain};
use super::selection;
use super::{Meeting, PersonConnection, Quote, Source, Tag};
use crate::service::article::ArticleParent;
use crate::service::columns::Columns;
use crate::service::filter::PersonFilter as ServicePersonFilter;
use crate::service::page::PageRequest;

/// A piece of content: news, a briefing, a commentary; with what its page loaded ahead.
#[derive(Clone)]
pub struct Article(pub article::Model, pub Ahead);

// A page loads its articles' sources, tags and people ahead, as each selection asks for them.
super::ahead::loads_ahead!(Article, article, |loads| loads
    .add_reading("source", |row, columns| Some(SourceById(
        row.source_id?,
        columns
    )))
    .add_reading("tags", |row, columns| Some(TagsOfArticle(row.id, columns)))
    .add(
        "people",
        people_arguments,
        |row, (filter, page, columns)| {
            Some(PeopleOfArticle {
                article: row.id,
                filter: filter.clone(),
                page: page.clone(),
                columns: *columns,
            })
        },
    ));

/// The filter, page and columns of a selection of `Article.people`, as its resolver reads
/// them; `None` when they do not parse (the field reports that itself).
fn people_arguments(
    field: SelectionField<'_>,
) -> Option<(
    Option<ServicePersonFilter>,
    PageRequest,
    Columns<person::Entity>,
)> {
    let filter: Option<Box<PersonFilter>> = ahead::argument(&field, "filter")?;
    let page = page_request(
        ahead::argument(&field, "first")?,
        ahead::argument(&field, "after")?,
        ahead::argument(&field, "last")?,
        ahead::argument(&field, "before")?,
    )
    .ok()?;
    let filter = filter.map(|f| f.into_service("filter")).transpose().ok()?;
    Some((filter, page, selection::of_connection_at(field.into())))
}

connection!(
    ArticleConnection,
    ArticleEdge,
    Article,
    article::Model,
    "articles"
);

plain_fields!(Article {
    "id" => id,
    "slug" => slug,
    "title" => title,
    "summary" => summary,
    "body" => body,
    "language" => language,
    "status" => status,
    "featured" => featured,
    "publishedAt" => published_at,
    "createdAt" => created_at,
    "updatedAt" => updated_at,
    "version" => version,
});

#[Object]
impl Article {
    /// The global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeKind::Article, self.0.id)
    }
    /// The URL name, unique among articles.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// The headline.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// A short summary.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// The full text.
    async fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }
    /// BCP 47 language tag ("en", "zh").
    async fn language(&self) -> &str {
        &self.0.language
    }
    /// Where the article is in its life.
    async fn status(&self) -> ArticleStatus {
        self.0.status.into()
    }
    /// Whether the article is featured.
    async fn featured(&self) -> bool {
        self.0.featured
    }
    /// When it was published (UTC).
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    /// When it was created (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Grows by one on every update.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Who published it.
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Plain<Source>>> {
        let Some(source) = self.0.source_id else {
            return Ok(None);
        };
        let key = SourceById(source, selection::of_field(ctx));
        let source = load_ahead_or_alone!(ctx, &self.1, key);
        Ok(source.map(|source| Plain(Source(source))))
    }
    /// Its tags.
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<Plain<Tag>>> {
        let key = TagsOfArticle(self.0.id, selection::of_field(ctx));
        let tags = load_ahead_or_alone!(ctx, &self.1, key);
        Ok(tags
            .unwrap_or_default()
            .into_iter()
            .map(|tag| Plain(Tag(tag)))
            .collect())
    }
    /// People the article mentions.
    async fn people(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(desc = "Only people who match.")] filter: Option<Box<PersonFilter>>,
    ) -> Result<PersonConnection> {
        let page = page_request(first, after, last, before).gql()?;
        let filter = filter.map(|f| f.into_service("filter")).transpose().gql()?;
        let key = PeopleOfArticle {
            article: self.0.id,
            filter: filter.clone(),
            page,
            columns: selection::of_connection(ctx),
        };
        let total = Total::Child(ChildList::PeopleOfArticle(filter.map(Box::new)), self.0.id);
        // The key moves into the boxed load before the await, so that this future stays
        // small (see `context::load`).
        let page = load_ahead_or_alone!(ctx, &self.1, key).unwrap_or_else(Default::default);
        Ok(PersonConnection { page, total })
    }
    /// Meetings the article reports on.
    async fn meetings(&self, ctx: &Context<'_>) -> Result<Vec<Meeting>> {
        let meetings = load(ctx, MeetingsOfArticle(self.0.id)).await?;
        Ok(meetings
            .unwrap_or_default()
            .into_iter()
            .map(Meeting::of)
            .collect())
    }
    /// What people said, in the order the article reports it.
    async fn quotes(&self, ctx: &Context<'_>) -> Result<Vec<Quote>> {
        let quotes = load(ctx, QuotesOfArticle(self.0.id)).await?;
        Ok(quotes
            .unwrap_or_default()
            .into_iter()
            .map(Quote::of)
            .collect())
    }
}

/// The `articles` connection of a person, meeting, source or tag: one page per parent,
/// loaded for every parent of the level at once.
pub(super) async fn articles_of(
    ctx: &Context<'_>,
    parent: ArticleParent,
    id: i64,
    page: PageRequest,
    filter: Option<Box<ArticleFilter>>,
    order_by: Option<Vec<ArticleOrder>>,
) -> Result<ArticleConnection> {
    let filter = filter.map(|f| f.into_service("filter")).transpose().gql()?;
    // The key moves into the boxed load now, not at the await, so that this
    // future stays small (see `context::load`).
    let loading = load(
        ctx,
        ArticlesOf {
            parent,
            id,
            filter: filter.clone(),
            order: orders(order_by),
            page,
            columns: selection::of_connection(ctx),
        },
    );
    let total = Total::Child(ChildList::Articles(parent, filter.map(Box::new)), id);
    let page = loading.await?.unwrap_or_default();
    Ok(ArticleConnection { page, total })
}
