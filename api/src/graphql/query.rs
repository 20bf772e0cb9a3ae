//! The read fields of `Query`: nodes, look-ups by id or slug, and the root lists.

use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Object, Result, ID};
use entity::{article, meeting, person, source, tag};
use futures_util::future::try_join_all;
use sea_orm::{Condition, ModelTrait};

use super::connection::page_request;
use super::context::{load, request};
use super::count::Total;
use super::enums::{orders, ArticleOrder, MeetingOrder, PersonOrder, SourceOrder, TagOrder};
use super::error::GqlResult;
use super::filter::{
    ArticleFilter, MeetingFilter, PersonFilter, QuoteFilter, SourceFilter, TagFilter,
};
use super::id::{decode_as, NodeKind};
use super::loaders::{ArticleById, ContentLoader, MeetingById, PersonById, SourceById, TagById};
use super::node::{load_node, Node};
use super::search::{
    by_relevance, matching_condition, search_all, SearchResultConnection, SearchType,
};
use super::selection::{self, Reads};
use super::{
    Article, ArticleConnection, Meeting, MeetingConnection, Person, PersonConnection,
    QuoteConnection, Source, SourceConnection, Tag, TagConnection,
};
use crate::service;
use crate::service::keyset::Ordering;
use crate::service::lookup::{self, Public};
use crate::service::order::{meeting_ordering, person_ordering, source_ordering, tag_ordering};
use crate::service::page::{Page, PageRequest};
use crate::service::search::{SearchKind, Terms};
use crate::{AppError, AppResult};

/// The most IDs one `nodes` call takes.
const MAX_NODES: usize = 100;

/// How a single record is asked for: by global ID or by slug, exactly one of them.
enum Lookup {
    Id(i64),
    Slug(String),
}

fn lookup_of(id: Option<ID>, slug: Option<String>, kind: NodeKind) -> AppResult<Lookup> {
    match (id, slug) {
        (Some(id), None) => Ok(Lookup::Id(decode_as(&id, kind, "id")?)),
        (None, Some(slug)) => Ok(Lookup::Slug(slug)),
        (Some(_), Some(_)) => Err(AppError::validation(
            "slug",
            "give `id` or `slug`, not both",
        )),
        (None, None) => Err(AppError::validation("id", "give `id` or `slug`")),
    }
}

/// A person, meeting, source or tag by global ID (through the request's loader) or slug.
async fn find_one<E, K>(
    ctx: &Context<'_>,
    id: Option<ID>,
    slug: Option<String>,
    kind: NodeKind,
    key: fn(i64) -> K,
) -> Result<Option<E::Model>>
where
    E: Public,
    K: Send + Sync + Hash + Eq + Clone + 'static,
    ContentLoader: Loader<K, Value = E::Model, Error = Arc<AppError>>,
{
    match lookup_of(id, slug, kind).gql()? {
        Lookup::Id(id) => load(ctx, key(id)).await,
        Lookup::Slug(slug) => lookup::by_slug::<E>(&request(ctx)?.db, &slug).await.gql(),
    }
}

/// A page of all people, meetings, sources or tags.
async fn list_all<E: Public + Reads>(
    ctx: &Context<'_>,
    condition: Condition,
    ordering: Ordering<E::Column>,
    page: PageRequest,
) -> Result<Page<E::Model>>
where
    E::Model: ModelTrait<Entity = E>,
{
    let columns = selection::of_connection(ctx);
    lookup::list::<E>(&request(ctx)?.db, condition, &ordering, &page, columns)
        .await
        .gql()
}

/// How a list of people or meetings takes its `search:` argument.
struct Searched<K> {
    kind: SearchKind,
    /// The loader key of a row.
    key: fn(i64) -> K,
    /// No `orderBy` was given: matches come best first.
    relevance: bool,
}

/// A page of people or meetings: the rows `condition` selects, narrowed to the matches of
/// `search` when given. Returns the page and the condition `totalCount` counts.
async fn list_searched<E, K>(
    ctx: &Context<'_>,
    searched: Searched<K>,
    condition: Condition,
    ordering: Ordering<E::Column>,
    search: Option<String>,
    page: PageRequest,
) -> Result<(Page<E::Model>, Condition)>
where
    E: Public + Reads,
    E::Model: ModelTrait<Entity = E>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
    ContentLoader: Loader<K, Value = E::Model, Error = Arc<AppError>>,
{
    let Some(terms) = search
        .map(|s| Terms::parse(&s, "search"))
        .transpose()
        .gql()?
    else {
        return Ok((
            list_all::<E>(ctx, condition.clone(), ordering, page).await?,
            condition,
        ));
    };
    let id = E::id_column();
    let matching = matching_condition(ctx, searched.kind, id, &terms)?;
    let page = if searched.relevance {
        by_relevance::<E, K>(
            ctx,
            searched.kind,
            id,
            condition.clone(),
            &terms,
            &page,
            searched.key,
        )
        .await?
    } else {
        list_all::<E>(ctx, condition.clone().add(matching.clone()), ordering, page).await?
    };
    Ok((page, condition.add(matching)))
}

/// The entry points for reading.
#[derive(Default)]
pub struct Query;

#[Object]
impl Query {
    /// Any record by its global ID; `null` when there is none.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        load_node(ctx, &id, "id").await
    }

    /// Records by global ID, in the order asked (at most 100); `null` for each unknown one.
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(AppError::validation(
                "ids",
                format!("at most {MAX_NODES} IDs at once"),
            ))
            .gql();
        }
        try_join_all(
            ids.iter()
                .enumerate()
                .map(|(i, id)| async move { load_node(ctx, id, &format!("ids.{i}")).await }),
        )
        .await
    }

    /// An article by global ID or slug; `null` when there is none.
    async fn article(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<Article>> {
        let found = match lookup_of(id, slug, NodeKind::Article).gql()? {
            Lookup::Id(id) => load(ctx, ArticleById::whole(id)).await?,
            Lookup::Slug(slug) => {
                let request = request(ctx)?;
                service::article::by_slug(&request.db, request.filters.visibility, &slug)
                    .await
                    .gql()?
            }
        };
        Ok(found.map(Article::of))
    }

    /// The articles, newest first unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(desc = "Only articles that match.")] filter: Option<ArticleFilter>,
        #[graphql(desc = "Default: PUBLISHED_AT_DESC, or relevance with `search`.")]
        order_by: Option<Vec<ArticleOrder>>,
        #[graphql(
            desc = "Only articles whose text matches, best first unless `orderBy` is given."
        )]
        search: Option<String>,
    ) -> Result<ArticleConnection> {
        let page = page_request(first, after, last, before).gql()?;
        let request = request(ctx)?;
        let mut condition = match filter {
            Some(f) => request
                .filters
                .article(&f.into_service("filter").gql()?, "filter")
                .gql()?,
            None => Condition::all(),
        };
        let (db, visibility) = (&request.db, request.filters.visibility);
        let order = orders(order_by.clone());
        let columns = selection::of_connection(ctx);
        let page = match search
            .map(|s| Terms::parse(&s, "search"))
            .transpose()
            .gql()?
        {
            Some(terms) => {
                let id = article::Column::Id;
                let matching = matching_condition(ctx, SearchKind::Article, id, &terms)?;
                let page = if order_by.is_none() {
                    by_relevance::<article::Entity, _>(
                        ctx,
                        SearchKind::Article,
                        id,
                        condition.clone(),
                        &terms,
                        &page,
                        ArticleById::whole,
                    )
                    .await?
                } else {
                    service::article::list(
                        db,
                        visibility,
                        condition.clone().add(matching.clone()),
                        &order,
                        &page,
                        columns,
                    )
                    .await
                    .gql()?
                };
                condition = condition.add(matching);
                page
            }
            None => {
                service::article::list(db, visibility, condition.clone(), &order, &page, columns)
                    .await
                    .gql()?
            }
        };
        Ok(ArticleConnection {
            page,
            total: Total::Articles(condition),
        })
    }

    /// A person by global ID or slug; `null` when there is none.
    async fn person(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<Person>> {
        let found =
            find_one::<person::Entity, _>(ctx, id, slug, NodeKind::Person, PersonById::whole)
                .await?;
        Ok(found.map(Person::of))
    }

    /// The people, by name unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn people(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(desc = "Only people that match.")] filter: Option<PersonFilter>,
        #[graphql(desc = "Default: NAME_ASC.")] order_by: Option<Vec<PersonOrder>>,
        #[graphql(desc = "Only people whose text matches, best first unless `orderBy` is given.")]
        search: Option<String>,
    ) -> Result<PersonConnection> {
        let page = page_request(first, after, last, before).gql()?;
        let order_by_given = order_by.clone();
        let ordering = person_ordering(&orders(order_by));
        let condition = match filter {
            Some(f) => {
                let filter = f.into_service("filter").gql()?;
                request(ctx)?.filters.person(&filter, "filter").gql()?
            }
            None => Condition::all(),
        };
        let searched = Searched {
            kind: SearchKind::Person,
            key: PersonById::whole,
            relevance: order_by_given.is_none(),
        };
        let (page, condition) =
            list_searched::<person::Entity, _>(ctx, searched, condition, ordering, search, page)
                .await?;
        Ok(PersonConnection {
            page,
            total: Total::People(condition),
        })
    }

    /// A meeting by global ID or slug; `null` when there is none.
    async fn meeting(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<Meeting>> {
        let found =
            find_one::<meeting::Entity, _>(ctx, id, slug, NodeKind::Meeting, MeetingById).await?;
        Ok(found.map(Meeting::of))
    }

    /// The meetings, latest first unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(desc = "Only meetings that match.")] filter: Option<MeetingFilter>,
        #[graphql(desc = "Default: HELD_ON_DESC.")] order_by: Option<Vec<MeetingOrder>>,
        #[graphql(
            desc = "Only meetings whose text matches, best first unless `orderBy` is given."
        )]
        search: Option<String>,
    ) -> Result<MeetingConnection> {
        let page = page_request(first, after, last, before).gql()?;
        let order_by_given = order_by.clone();
        let ordering = meeting_ordering(&orders(order_by));
        let condition = match filter {
            Some(f) => {
                let filter = f.into_service("filter").gql()?;
                request(ctx)?.filters.meeting(&filter, "filter").gql()?
            }
            None => Condition::all(),
        };
        let searched = Searched {
            kind: SearchKind::Meeting,
            key: MeetingById,
            relevance: order_by_given.is_none(),
        };
        let (page, condition) =
            list_searched::<meeting::Entity, _>(ctx, searched, condition, ordering, search, page)
                .await?;
        Ok(MeetingConnection {
            page,
            total: Total::Meetings(condition),
        })
    }

    /// A source by global ID or slug; `null` when there is none.
    async fn source(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<Source>> {
        let found =
            find_one::<source::Entity, _>(ctx, id, slug, NodeKind::Source, SourceById::whole)
                .await?;
        Ok(found.map(Source))
    }

    /// The sources, by name unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn sources(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(desc = "Only sources that match.")] filter: Option<SourceFilter>,
        #[graphql(desc = "Default: NAME_ASC.")] order_by: Option<Vec<SourceOrder>>,
    ) -> Result<SourceConnection> {
        let page = page_request(first, after, last, before).gql()?;
        let ordering = source_ordering(&orders(order_by));
        let condition = match filter {
            Some(f) => {
                let filter = f.into_service("filter").gql()?;
                request(ctx)?.filters.source(&filter, "filter").gql()?
            }
            None => Condition::all(),
        };
        let page = list_all::<source::Entity>(ctx, condition.clone(), ordering, page).await?;
        Ok(SourceConnection {
            page,
            total: Total::Sources(condition),
        })
    }

    /// A tag by global ID or slug; `null` when there is none.
    async fn tag(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<Tag>> {
        let found = find_one::<tag::Entity, _>(ctx, id, slug, NodeKind::Tag, TagById).await?;
        Ok(found.map(Tag))
    }

    /// The tags, by name unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn tags(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(desc = "Only tags that match.")] filter: Option<TagFilter>,
        #[graphql(desc = "Default: NAME_ASC.")] order_by: Option<Vec<TagOrder>>,
    ) -> Result<TagConnection> {
        let page = page_request(first, after, last, before).gql()?;
        let ordering = tag_ordering(&orders(order_by));
        let condition = match filter {
            Some(f) => {
                let filter = f.into_service("filter").gql()?;
                request(ctx)?.filters.tag(&filter, "filter").gql()?
            }
            None => Condition::all(),
        };
        let page = list_all::<tag::Entity>(ctx, condition.clone(), ordering, page).await?;
        Ok(TagConnection {
            page,
            total: Total::Tags(condition),
        })
    }

    /// One ranked list across articles, people, meetings and sources.
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Words in any order; Chinese found by any part of two characters or more."
        )]
        query: String,
        #[graphql(desc = "Only these kinds of records (default: all).")] types: Option<
            Vec<SearchType>,
        >,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<SearchResultConnection> {
        let page = page_request(first, after, None, None).gql()?;
        search_all(ctx, &query, types, page).await
    }

    /// What people said, newest first.
    async fn quotes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(desc = "Only quotes that match.")] filter: Option<QuoteFilter>,
    ) -> Result<QuoteConnection> {
        let page = page_request(first, after, last, before).gql()?;
        let request = request(ctx)?;
        let condition = match filter {
            Some(f) => request
                .filters
                .quote(&f.into_service("filter").gql()?, "filter")
                .gql()?,
            None => Condition::all(),
        };
        let page = service::quote::list(
            &request.db,
            request.filters.visibility,
            condition.clone(),
            &page,
        )
        .await
        .gql()?;
        Ok(QuoteConnection {
            page,
            total: Total::Quotes(condition),
        })
    }
}
