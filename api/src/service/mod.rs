//! The content store: queries, keyset pagination, batch loads, import and export.
//! Plain Rust in and out: no async-graphql, no actix in here.

pub mod article;
pub mod export;
pub mod filter;
pub mod import;
pub mod keyset;
pub mod lookup;
pub mod meeting;
pub mod order;
pub mod page;
pub mod person;
pub mod quote;
pub mod record;
pub mod search;
pub mod tag;

use sea_orm::sea_query::Expr;
use sea_orm::ColumnTrait;

/// What the caller may see. Anonymous clients see PUBLISHED articles only — in lists,
/// relations, counts and look-ups — and the quotes of those articles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Visibility {
    Published,
    All,
}

/// A qualified column expression, `table.column`.
pub(crate) fn column<C: ColumnTrait>(column: C) -> Expr {
    let (table, name) = column.as_column_ref();
    Expr::col((table, name))
}
