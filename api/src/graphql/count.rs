//! `totalCount`: what a connection counts, computed only when the selection asks for it.

use async_graphql::{Context, Result};
use entity::{meeting, person, source, tag};
use futures_util::future::BoxFuture;
use sea_orm::Condition;

use super::context::{load, request};
use super::error::GqlResult;
use super::loaders::{ChildList, CountOf};
use crate::service::{self, lookup};

/// The list a connection pages through, to count it on demand: a root list with the
/// condition its filter made, or a nested list of one parent.
#[derive(Clone, Debug)]
pub enum Total {
    Articles(Condition),
    People(Condition),
    Meetings(Condition),
    Sources(Condition),
    Tags(Condition),
    Quotes(Condition),
    /// A nested list of one parent: counted for all parents of a level in one statement.
    Child(ChildList, i64),
}

impl Total {
    /// The length of the list. Boxed, as [`super::context::load`] is: the count's future
    /// would otherwise size every field's future of the connection that asks for it.
    pub fn resolve<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, Result<i64>> {
        Box::pin(self.count(ctx))
    }

    async fn count(&self, ctx: &Context<'_>) -> Result<i64> {
        let request = request(ctx)?;
        let (db, visibility) = (&request.db, request.filters.visibility);
        let count = match self.clone() {
            Total::Articles(c) => service::article::count(db, visibility, c).await.gql()?,
            Total::People(c) => lookup::count::<person::Entity>(db, c).await.gql()?,
            Total::Meetings(c) => lookup::count::<meeting::Entity>(db, c).await.gql()?,
            Total::Sources(c) => lookup::count::<source::Entity>(db, c).await.gql()?,
            Total::Tags(c) => lookup::count::<tag::Entity>(db, c).await.gql()?,
            Total::Quotes(c) => service::quote::count(db, visibility, c).await.gql()?,
            Total::Child(list, parent) => load(ctx, CountOf { list, parent }).await?.unwrap_or(0),
        };
        Ok(i64::try_from(count).unwrap_or(i64::MAX))
    }
}
