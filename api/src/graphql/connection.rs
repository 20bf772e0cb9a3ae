//! Relay connections: `PageInfo`, the page arguments, and one macro that writes the
//! `XConnection`/`XEdge` pair of every list with the contract's fields.

use async_graphql::{Context, SelectionField, SimpleObject};

use super::ahead::{Ahead, PageNode};

use crate::service::page::{Page, PageRequest};
use crate::AppResult;

/// Where a page sits in its list.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether rows follow this page.
    pub has_next_page: bool,
    /// Whether rows precede this page.
    pub has_previous_page: bool,
    /// The cursor of the first row of the page.
    pub start_cursor: Option<String>,
    /// The cursor of the last row of the page.
    pub end_cursor: Option<String>,
}

impl PageInfo {
    /// The page info of a service page.
    pub fn of<T>(page: &Page<T>) -> PageInfo {
        PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: page.start_cursor(),
            end_cursor: page.end_cursor(),
        }
    }
}

/// Validates `first`/`after`/`last`/`before` (default 20 rows, at most 100).
pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> AppResult<PageRequest> {
    PageRequest::new(first, after, last, before)
}

/// What the page of `rows` loads ahead for its nodes (see [`PageNode`]): nothing, at no cost, for
/// a type that loads nothing ahead; `nodes` gives the selections of one node.
pub async fn load_ahead<'a, N: PageNode>(
    ctx: &Context<'a>,
    rows: impl IntoIterator<Item = &'a N::Model>,
    nodes: impl FnOnce() -> Vec<SelectionField<'a>>,
) -> Ahead {
    if !N::LOADS_AHEAD {
        return Ahead::default();
    }
    let rows: Vec<&N::Model> = rows.into_iter().collect();
    match N::load_ahead(ctx, &nodes(), &rows) {
        Some(loading) => loading.await,
        None => Ahead::default(),
    }
}

/// Writes a connection type and its edge type. The connection holds a service page of
/// `$model`s, wraps each in `$node`, and answers `totalCount` only when asked, through
/// [`crate::graphql::count::Total`].
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ident, $model:ty, $what:literal) => {
        #[doc = concat!("A page of ", $what, ".")]
        pub struct $connection {
            pub page: $crate::service::page::Page<$model>,
            pub total: $crate::graphql::count::Total,
        }

        #[async_graphql::Object]
        impl $connection {
            /// The rows of this page, each with its cursor.
            async fn edges(&self, ctx: &async_graphql::Context<'_>) -> Vec<$edge<'_>> {
                let rows = self.page.nodes();
                let ahead = $crate::graphql::connection::load_ahead::<$node>(ctx, rows, || {
                    ctx.look_ahead().field("node").selection_fields()
                })
                .await;
                rows.iter()
                    .enumerate()
                    .map(|(index, node)| $edge {
                        page: &self.page,
                        index,
                        node,
                        ahead: ahead.clone(),
                    })
                    .collect()
            }

            /// The rows of this page.
            async fn nodes(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> Vec<$crate::graphql::plain::Plain<$node>> {
                let rows = self.page.nodes();
                let ahead = $crate::graphql::connection::load_ahead::<$node>(ctx, rows, || {
                    vec![ctx.field()]
                })
                .await;
                rows.iter()
                    .map(|node| {
                        $crate::graphql::plain::Plain(
                            <$node as $crate::graphql::ahead::PageNode>::new(node.clone(), &ahead),
                        )
                    })
                    .collect()
            }

            /// Where this page sits in the list.
            async fn page_info(&self) -> $crate::graphql::connection::PageInfo {
                $crate::graphql::connection::PageInfo::of(&self.page)
            }

            /// How many rows the whole list has (counted only when asked for).
            async fn total_count(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::Result<i64> {
                self.total.resolve(ctx).await
            }
        }

        #[doc = concat!("One of ", $what, " and its cursor.")]
        pub struct $edge<'a> {
            page: &'a $crate::service::page::Page<$model>,
            index: usize,
            node: &'a $model,
            ahead: $crate::graphql::ahead::Ahead,
        }

        #[doc = concat!("One of ", $what, " and its cursor.")]
        #[async_graphql::Object]
        impl $edge<'_> {
            /// Where this row sits, for `after` and `before`.
            async fn cursor(&self) -> String {
                self.page.cursor(self.index).unwrap_or_default()
            }

            /// The row.
            async fn node(&self) -> $crate::graphql::plain::Plain<$node> {
                $crate::graphql::plain::Plain(<$node as $crate::graphql::ahead::PageNode>::new(
                    self.node.clone(),
                    &self.ahead,
                ))
            }
        }
    };
}

pub(crate) use connection;
