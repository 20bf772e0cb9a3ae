//! Search: the `SearchResult` union, its connection with a score on each edge, and loading
//! the records a page of hits names (one batch per kind).

use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Enum, Object, Result, SimpleObject, Union};
use sea_orm::{ColumnTrait, Condition, EntityTrait};

use super::connection::PageInfo;
use super::context::{loader, request};
use super::error::GqlResult;
use super::loaders::{ArticleById, ContentLoader, MeetingById, PersonById, SourceById};
use super::{Article, Meeting, Person, Source};
use crate::service::page::{Page, PageRequest};
use crate::service::search::{self, Hit, Scope, SearchKind, Terms};
use crate::AppError;

/// The kinds of records `search` looks through.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::service::search::SearchKind")]
pub enum SearchType {
    /// Articles (published ones, for anonymous clients).
    Article,
    /// People, by name, native name, alias and biography.
    Person,
    /// Meetings, by title, description, place and occasion.
    Meeting,
    /// Sources, by name and description.
    Source,
}

/// A record search found.
#[derive(Union)]
pub enum SearchResult {
    Article(Article),
    Person(Person),
    Meeting(Meeting),
    Source(Source),
}

/// One record search found, how well it matches, and its cursor.
#[derive(SimpleObject)]
pub struct SearchResultEdge {
    /// Where this row sits, for `after`.
    pub cursor: String,
    /// The record.
    pub node: SearchResult,
    /// Relevance: higher is better; comparable within one search only.
    pub score: f64,
}

/// A page of search results, best first.
pub struct SearchResultConnection {
    edges: Vec<SearchResultEdge>,
    has_next_page: bool,
    has_previous_page: bool,
    terms: Terms,
    kinds: Vec<SearchKind>,
}

#[Object]
impl SearchResultConnection {
    /// The results of this page, each with its score and cursor.
    async fn edges(&self) -> &[SearchResultEdge] {
        &self.edges
    }
    /// The results of this page.
    async fn nodes(&self) -> Vec<&SearchResult> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }
    /// Where this page sits in the results.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            start_cursor: self.edges.first().map(|edge| edge.cursor.clone()),
            end_cursor: self.edges.last().map(|edge| edge.cursor.clone()),
        }
    }
    /// How many records the search finds in all.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let request = request(ctx)?;
        let scope = Scope {
            kinds: self.kinds.clone(),
            visibility: request.filters.visibility,
            restrict: None,
        };
        let count = search::count(&request.db, &self.terms, &scope)
            .await
            .gql()?;
        Ok(i64::try_from(count).unwrap_or(i64::MAX))
    }
}

/// Loads the records of a page of hits through the request's loader, in the page's order.
async fn records<K, V>(
    ctx: &Context<'_>,
    hits: &[&Hit],
    key: fn(i64) -> K,
) -> Result<std::collections::HashMap<K, V>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    ContentLoader: Loader<K, Value = V, Error = Arc<AppError>>,
{
    loader(ctx)?
        .load_many(hits.iter().map(|hit| key(hit.id)))
        .await
        .gql()
}

/// Runs `search(query:, types:, first:, after:)`.
pub async fn search_all(
    ctx: &Context<'_>,
    query: &str,
    types: Option<Vec<SearchType>>,
    page: PageRequest,
) -> Result<SearchResultConnection> {
    let terms = Terms::parse(query, "query").gql()?;
    let mut kinds: Vec<SearchKind> = match types {
        Some(types) if !types.is_empty() => types.into_iter().map(Into::into).collect(),
        _ => vec![
            SearchKind::Article,
            SearchKind::Person,
            SearchKind::Meeting,
            SearchKind::Source,
        ],
    };
    kinds.sort();
    kinds.dedup();
    let request = request(ctx)?;
    let scope = Scope {
        kinds: kinds.clone(),
        visibility: request.filters.visibility,
        restrict: None,
    };
    let hits = search::search(&request.db, &terms, &scope, &page)
        .await
        .gql()?;
    let of = |kind: SearchKind| {
        hits.nodes()
            .iter()
            .filter(|h| h.kind == kind)
            .collect::<Vec<_>>()
    };
    let articles = records(ctx, &of(SearchKind::Article), ArticleById::whole).await?;
    let people = records(ctx, &of(SearchKind::Person), PersonById::whole).await?;
    let meetings = records(ctx, &of(SearchKind::Meeting), MeetingById).await?;
    let sources = records(ctx, &of(SearchKind::Source), SourceById::whole).await?;
    let edges = hits
        .nodes()
        .iter()
        .enumerate()
        .filter_map(|(index, hit)| {
            let node = match hit.kind {
                SearchKind::Article => articles
                    .get(&ArticleById::whole(hit.id))
                    .cloned()
                    .map(|m| SearchResult::Article(Article::of(m))),
                SearchKind::Person => people
                    .get(&PersonById::whole(hit.id))
                    .cloned()
                    .map(|m| SearchResult::Person(Person::of(m))),
                SearchKind::Meeting => meetings
                    .get(&MeetingById(hit.id))
                    .cloned()
                    .map(|m| SearchResult::Meeting(Meeting::of(m))),
                SearchKind::Source => sources
                    .get(&SourceById::whole(hit.id))
                    .cloned()
                    .map(|m| SearchResult::Source(Source(m))),
            }?;
            Some(SearchResultEdge {
                cursor: hits.cursor(index)?,
                node,
                score: hit.score,
            })
        })
        .collect();
    Ok(SearchResultConnection {
        edges,
        has_next_page: hits.has_next_page,
        has_previous_page: hits.has_previous_page,
        terms,
        kinds,
    })
}

/// A list's `search:` argument: the records of `kind` that match, as a condition on the
/// list's id column (for lists ordered by something other than relevance, and for counts).
pub fn matching_condition<C: ColumnTrait>(
    ctx: &Context<'_>,
    kind: SearchKind,
    id: C,
    terms: &Terms,
) -> Result<Condition> {
    let request = request(ctx)?;
    let scope = Scope {
        kinds: vec![kind],
        visibility: request.filters.visibility,
        restrict: None,
    };
    let rows = search::matching(terms, &scope, request.filters.backend);
    Ok(Condition::all().add(id.in_subquery(rows)))
}

/// A page of a list in relevance order: the hits of `kind` among the rows `condition`
/// selects, with the records loaded through `key`'s loader.
pub async fn by_relevance<E, K>(
    ctx: &Context<'_>,
    kind: SearchKind,
    id: E::Column,
    condition: Condition,
    terms: &Terms,
    page: &PageRequest,
    key: fn(i64) -> K,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    K: Send + Sync + Hash + Eq + Clone + 'static,
    ContentLoader: Loader<K, Value = E::Model, Error = Arc<AppError>>,
{
    let request = request(ctx)?;
    let scope = Scope {
        kinds: vec![kind],
        visibility: request.filters.visibility,
        restrict: Some((kind, Scope::rows_of::<E>(id, condition))),
    };
    let hits = search::search(&request.db, terms, &scope, page)
        .await
        .gql()?;
    let found = records(ctx, &hits.nodes().iter().collect::<Vec<_>>(), key).await?;
    let rows = hits
        .nodes()
        .iter()
        .enumerate()
        .filter_map(|(index, hit)| Some((found.get(&key(hit.id)).cloned()?, hits.cursor(index)?)))
        .collect();
    Ok(Page::with_cursors(
        rows,
        hits.has_next_page,
        hits.has_previous_page,
    ))
}
