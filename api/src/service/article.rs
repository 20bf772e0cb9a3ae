//! Article queries: look-ups, the article list, and articles as children of people,
//! meetings, sources and tags — always within the caller's visibility.

use std::collections::HashMap;

use entity::{article, article_meeting, article_person, article_tag};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};

use super::order::{article_ordering, ArticleOrder};
use super::page::{self, Page, PageRequest};
use super::{column, Visibility};
use crate::db::Read;
use crate::AppResult;

/// The articles the caller may see.
pub fn visible(visibility: Visibility) -> Select<article::Entity> {
    let select = article::Entity::find();
    match visibility {
        Visibility::Published => select.filter(super::published()),
        Visibility::All => select,
    }
}

/// Which of an article's columns a list reads (see `service::columns`).
pub type Columns = super::columns::Columns<article::Entity>;

/// Visible articles by id; unknown or hidden ids are absent from the map.
pub async fn by_ids(
    db: &impl Read,
    visibility: Visibility,
    ids: &[i64],
    columns: Columns,
) -> AppResult<HashMap<i64, article::Model>> {
    let select = visible(visibility).filter(article::Column::Id.is_in(ids.iter().copied()));
    let rows = columns.all(db, select).await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// A visible article by slug.
pub async fn by_slug(
    db: &impl Read,
    visibility: Visibility,
    slug: &str,
) -> AppResult<Option<article::Model>> {
    Ok(Columns::ALL
        .one(
            db,
            visible(visibility).filter(article::Column::Slug.eq(slug)),
        )
        .await?)
}

/// A page of all visible articles, reading `columns`.
pub async fn list(
    db: &impl Read,
    visibility: Visibility,
    condition: Condition,
    order: &[ArticleOrder],
    request: &PageRequest,
    columns: Columns,
) -> AppResult<Page<article::Model>> {
    let ordering = article_ordering(order);
    let columns = columns.and_ordering(&ordering);
    let select = columns.select(visible(visibility)).filter(condition);
    page::fetch_page(db, select, &ordering, request, |row| columns.read(row)).await
}

/// How many visible articles meet `condition`.
pub async fn count(db: &impl Read, visibility: Visibility, condition: Condition) -> AppResult<u64> {
    page::count(db, visible(visibility).filter(condition)).await
}

/// Whose articles a nested list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArticleParent {
    /// Articles that mention the person.
    Person,
    /// Articles that report on the meeting.
    Meeting,
    /// Articles the source published.
    Source,
    /// Articles that carry the tag.
    Tag,
}

/// The visible articles joined to their parent, and the expression naming the parent.
fn of_parent(visibility: Visibility, parent: ArticleParent) -> (Select<article::Entity>, Expr) {
    let articles = visible(visibility);
    let id = column(article::Column::Id);
    match parent {
        ArticleParent::Person => (
            page::join_link(
                articles,
                article_person::Entity,
                column(article_person::Column::ArticleId),
                id,
            ),
            column(article_person::Column::PersonId),
        ),
        ArticleParent::Meeting => (
            page::join_link(
                articles,
                article_meeting::Entity,
                column(article_meeting::Column::ArticleId),
                id,
            ),
            column(article_meeting::Column::MeetingId),
        ),
        ArticleParent::Tag => (
            page::join_link(
                articles,
                article_tag::Entity,
                column(article_tag::Column::ArticleId),
                id,
            ),
            column(article_tag::Column::TagId),
        ),
        ArticleParent::Source => (articles, column(article::Column::SourceId)),
    }
}

/// One page of articles per parent, in one statement, reading `columns`.
#[allow(clippy::too_many_arguments)]
pub async fn pages_of(
    db: &impl Read,
    visibility: Visibility,
    parent: ArticleParent,
    parents: &[i64],
    condition: Condition,
    order: &[ArticleOrder],
    request: &PageRequest,
    columns: Columns,
) -> AppResult<HashMap<i64, Page<article::Model>>> {
    let (select, parent_expr) = of_parent(visibility, parent);
    let ordering = article_ordering(order);
    let columns = columns.and_ordering(&ordering);
    page::fetch_pages_per_parent(
        db,
        columns.select(select).filter(condition),
        page::Parents {
            column: parent_expr,
            ids: parents,
        },
        &ordering,
        request,
        |row| columns.read(row),
        |model| model,
    )
    .await
}

/// How many visible articles each parent has, in one statement.
pub async fn counts_of(
    db: &impl Read,
    visibility: Visibility,
    parent: ArticleParent,
    parents: &[i64],
    condition: Condition,
) -> AppResult<HashMap<i64, u64>> {
    let (select, parent_expr) = of_parent(visibility, parent);
    page::count_per_parent(
        db,
        select.filter(condition),
        page::Parents {
            column: parent_expr,
            ids: parents,
        },
    )
    .await
}
