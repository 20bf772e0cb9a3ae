//! What each request carries into the resolvers: the database, the caller's visibility and
//! the request's DataLoader.

use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Result};
use entity::Role;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use super::ahead::Ahead;
use super::error::GqlResult;
use super::loaders::ContentLoader;
use crate::db::Db;
use crate::metrics::RelationLoads;
use crate::service::filter::Filters;
use crate::service::Visibility;
use crate::AppError;

/// The per-request data resolvers read.
pub struct RequestContext {
    pub db: Db,
    /// Turns the request's filter arguments into SQL; holds the caller's visibility.
    pub filters: Filters,
    /// The role of the caller's token; `None` for anonymous callers.
    pub role: Option<Role>,
    /// The server's count of relation loads (`GET /metrics`).
    pub relation_loads: Arc<RelationLoads>,
}

/// How many times a batch lets the request's other resolvers run before it starts its
/// delay. async-graphql resolves a long list in chunks of 32 items, yielding between chunks;
/// without these yields a slow chunk lets the batch's timer fire before the last items of a
/// 100-item page have asked for their relations, and a level costs two statements.
const BATCH_YIELDS: usize = 16;

/// How long a batch waits, after its yields, before it loads. async-graphql's default is a
/// millisecond; on tokio's timer, which rounds a deadline up to the next whole millisecond,
/// that is one to two, per level of a query. Zero leaves the wait to the end of the timer's
/// current millisecond.
const BATCH_DELAY: std::time::Duration = std::time::Duration::ZERO;

/// Starts a batch after letting the rest of the request register its keys.
/// The batch's statements count for the request that spawned it.
fn spawn_batch(batch: futures_util::future::BoxFuture<'static, ()>) {
    let counter = crate::metrics::current_counter();
    let deadline = crate::db::current_deadline();
    tokio::spawn(async move {
        for _ in 0..BATCH_YIELDS {
            tokio::task::yield_now().await;
        }
        let batch = match deadline {
            Some(deadline) => crate::db::within_deadline(deadline, batch).boxed(),
            None => batch,
        };
        match counter {
            Some(counter) => crate::metrics::counting(counter, batch).await,
            None => batch.await,
        }
    });
}

/// The data one request runs with: its context and a fresh DataLoader (nothing is cached
/// across requests, so visibility never leaks from one caller to another).
pub fn request_data(
    db: Db,
    role: Option<Role>,
    max_filter_depth: usize,
    relation_loads: Arc<RelationLoads>,
) -> (RequestContext, DataLoader<ContentLoader>) {
    // Editors and admins read drafts too; anonymous callers only what is published.
    let visibility = match role {
        Some(_) => Visibility::All,
        None => Visibility::Published,
    };
    let filters = Filters {
        backend: db.connection().get_database_backend(),
        visibility,
        max_depth: max_filter_depth,
    };
    let loader = DataLoader::new(
        ContentLoader {
            db: db.clone(),
            filters,
        },
        spawn_batch,
    )
    .delay(BATCH_DELAY);
    let context = RequestContext {
        db,
        filters,
        role,
        relation_loads,
    };
    (context, loader)
}

fn missing() -> async_graphql::Error {
    super::error::client_error(&AppError::Internal(
        "request data missing from the GraphQL context".to_owned(),
    ))
}

/// Refuses to start more database work once the request is past its deadline. Its answer
/// has gone out by then (503); what runs still finishes in the background (see
/// `routes::execute_one`), and this keeps that to the statements already started.
fn in_time() -> Result<()> {
    if crate::db::past_deadline() {
        return Err(super::error::client_error(&AppError::Cancelled(None)));
    }
    Ok(())
}

/// The request's context (and with it the database), while the request is in time.
pub fn request<'a>(ctx: &Context<'a>) -> Result<&'a RequestContext> {
    in_time()?;
    ctx.data::<RequestContext>().map_err(|_| missing())
}

/// The request's DataLoader, while the request is in time.
pub fn loader<'a>(ctx: &Context<'a>) -> Result<&'a DataLoader<ContentLoader>> {
    in_time()?;
    ctx.data::<DataLoader<ContentLoader>>()
        .map_err(|_| missing())
}

/// Counts a relation field's load: found loaded ahead by its page, or loaded alone.
fn count_load(ctx: &Context<'_>, ahead: bool) {
    if let Ok(context) = ctx.data::<RequestContext>() {
        context.relation_loads.count(ahead);
    }
}

/// Loads `key` through the request's DataLoader, while the request is in time.
///
/// The load is boxed, and that is for the fields next to it. async-graphql resolves every
/// selected field of an object through the object's one `resolve_field` future, which is
/// as large as its largest field's, and it boxes a copy of that future for each field, a
/// title as much as a relation. An unboxed load (several kilobytes of state) made every
/// field of `Article`, `Person` or `Tag` cost that much allocation and copying.
pub fn load<'a, K>(
    ctx: &Context<'a>,
    key: K,
) -> BoxFuture<'a, Result<Option<<ContentLoader as Loader<K>>::Value>>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    ContentLoader: Loader<K, Error = Arc<AppError>>,
{
    let loader = loader(ctx);
    Box::pin(async move { loader?.load_one(key).await.gql() })
}

/// What `load(ctx, key)` would answer, when the page of the node being resolved loaded `key`
/// ahead (see `ahead`); `None` when it did not, and the field loads `key` itself.
pub fn loaded_ahead<K>(
    ctx: &Context<'_>,
    ahead: &Ahead,
    key: &K,
) -> Option<Result<Option<<ContentLoader as Loader<K>>::Value>>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    ContentLoader: Loader<K, Error = Arc<AppError>>,
{
    let found = ahead.get(key);
    count_load(ctx, found.is_some());
    Some(found?.gql())
}

/// `load(ctx, key).await?` for a field of a node whose page may have loaded `key` ahead (see
/// `ahead`): then what the page loaded, without the DataLoader.
macro_rules! load_ahead_or_alone {
    ($ctx:expr, $ahead:expr, $key:expr) => {{
        let key = $key;
        match $crate::graphql::context::loaded_ahead($ctx, $ahead, &key) {
            Some(found) => found?,
            None => $crate::graphql::context::load($ctx, key).await?,
        }
    }};
}

pub(crate) use load_ahead_or_alone;
