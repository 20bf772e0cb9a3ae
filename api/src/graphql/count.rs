//! `totalCount`: what a connection counts, computed only when the selection asks for it.

use async_graphql::{Context, Result};
use entity::{meeting, person, source, tag};

use super::context::{loader, request};
use super::error::GqlResult;
use super::loaders::{ChildList, CountOf};
use crate::service::{self, lookup};

/// The list a connection pages through, to count it on demand.
#[derive(Clone, Copy, Debug)]
pub enum Total {
    Articles,
    People,
    Meetings,
    Sources,
    Tags,
    Quotes,
    /// A nested list of one parent: counted for all parents of a level in one statement.
    Child(ChildList, i64),
}

impl Total {
    /// The length of the list.
    pub async fn resolve(&self, ctx: &Context<'_>) -> Result<i64> {
        let request = request(ctx)?;
        let (db, visibility) = (&request.db, request.visibility);
        let count = match *self {
            Total::Articles => service::article::count(db, visibility).await.gql()?,
            Total::People => lookup::count::<person::Entity>(db).await.gql()?,
            Total::Meetings => lookup::count::<meeting::Entity>(db).await.gql()?,
            Total::Sources => lookup::count::<source::Entity>(db).await.gql()?,
            Total::Tags => lookup::count::<tag::Entity>(db).await.gql()?,
            Total::Quotes => service::quote::count(db, visibility).await.gql()?,
            Total::Child(list, parent) => loader(ctx)?
                .load_one(CountOf { list, parent })
                .await
                .gql()?
                .unwrap_or(0),
        };
        Ok(i64::try_from(count).unwrap_or(i64::MAX))
    }
}
