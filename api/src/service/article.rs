//! Article queries: look-ups, the article list, and articles as children of people,
//! meetings, sources and tags — always within the caller's visibility.

use std::collections::HashMap;

use entity::{article, article_meeting, article_person, article_tag, ArticleStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Iterable, QueryFilter,
    QueryResult, QuerySelect, Select, TryGetable,
};

use super::keyset::Ordering;
use super::order::{article_ordering, ArticleOrder};
use super::page::{self, Page, PageRequest};
use super::{column, Visibility};
use crate::AppResult;

/// The articles the caller may see.
pub fn visible(visibility: Visibility) -> Select<article::Entity> {
    let select = article::Entity::find();
    match visibility {
        Visibility::Published => select.filter(super::published()),
        Visibility::All => select,
    }
}

/// Which of an article's columns a list reads: a list that shows titles need not have the
/// database copy out, nor the server decode, every column of every row (the body above
/// all). The columns left out read as placeholders (empty text, `None`, zero, the epoch):
/// the caller asks only for what it shows. `id` and the columns of the list's ordering (for
/// the cursors) are always read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Columns(u16);

impl Columns {
    /// Every column.
    pub const ALL: Columns = Columns(u16::MAX);
    /// `id` only (and, in a list, its ordering's columns).
    pub const ID: Columns = Columns(1 << article::Column::Id as u16);

    /// These columns as well.
    #[must_use]
    pub fn with(self, column: article::Column) -> Columns {
        Columns(self.0 | 1 << column as u16)
    }

    /// Whether `column` is read.
    pub fn has(self, column: article::Column) -> bool {
        self.0 & 1 << column as u16 != 0
    }

    /// These and the columns `ordering` sorts on.
    fn and_ordering(self, ordering: &Ordering<article::Column>) -> Columns {
        ordering
            .keys
            .iter()
            .fold(self, |columns, key| columns.with(key.column))
    }
}

impl Default for Columns {
    fn default() -> Self {
        Columns::ALL
    }
}

/// `select` reading `columns`, in the entity's column order (which [`read`] follows).
fn reading(select: Select<article::Entity>, columns: Columns) -> Select<article::Entity> {
    if columns == Columns::ALL {
        return select;
    }
    select
        .select_only()
        .columns(article::Column::iter().filter(|c| columns.has(*c)))
}

/// Reads an article selected by [`reading`] `columns`: by position, the columns left out
/// as placeholders.
fn read(row: &QueryResult, columns: Columns) -> Result<article::Model, DbErr> {
    use article::Column as C;
    let mut reader = Reader {
        row,
        columns,
        next: 0,
    };
    Ok(article::Model {
        id: reader.get(C::Id)?.unwrap_or_default(),
        slug: reader.get(C::Slug)?.unwrap_or_default(),
        title: reader.get(C::Title)?.unwrap_or_default(),
        summary: reader.get(C::Summary)?.flatten(),
        body: reader.get(C::Body)?.flatten(),
        language: reader.get(C::Language)?.unwrap_or_default(),
        status: reader.get(C::Status)?.unwrap_or(ArticleStatus::Draft),
        featured: reader.get(C::Featured)?.unwrap_or_default(),
        published_at: reader.get(C::PublishedAt)?.flatten(),
        source_id: reader.get(C::SourceId)?.flatten(),
        version: reader.get(C::Version)?.unwrap_or_default(),
        created_at: reader.get(C::CreatedAt)?.unwrap_or_default(),
        updated_at: reader.get(C::UpdatedAt)?.unwrap_or_default(),
    })
}

/// Reads the selected columns of a row in order; see [`read`].
struct Reader<'a> {
    row: &'a QueryResult,
    columns: Columns,
    next: usize,
}

impl Reader<'_> {
    /// The value of `column` if it was selected. Columns must be asked for in the entity's
    /// order.
    fn get<T: TryGetable>(&mut self, column: article::Column) -> Result<Option<T>, DbErr> {
        if !self.columns.has(column) {
            return Ok(None);
        }
        let index = self.next;
        self.next += 1;
        self.row.try_get_by_index(index).map(Some)
    }
}

/// Visible articles by id; unknown or hidden ids are absent from the map.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    ids: &[i64],
) -> AppResult<HashMap<i64, article::Model>> {
    let rows = visible(visibility)
        .filter(article::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// A visible article by slug.
pub async fn by_slug(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    slug: &str,
) -> AppResult<Option<article::Model>> {
    Ok(visible(visibility)
        .filter(article::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// A page of all visible articles, reading `columns`.
pub async fn list(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    condition: Condition,
    order: &[ArticleOrder],
    request: &PageRequest,
    columns: Columns,
) -> AppResult<Page<article::Model>> {
    let ordering = article_ordering(order);
    let columns = columns.and_ordering(&ordering);
    let select = reading(visible(visibility), columns).filter(condition);
    page::fetch_page(db, select, &ordering, request, |row| read(row, columns)).await
}

/// How many visible articles meet `condition`.
pub async fn count(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    condition: Condition,
) -> AppResult<u64> {
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
    db: &impl ConnectionTrait,
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
        reading(select, columns).filter(condition),
        page::Parents {
            column: parent_expr,
            ids: parents,
        },
        &ordering,
        request,
        |row| read(row, columns),
        |model| model,
    )
    .await
}

/// How many visible articles each parent has, in one statement.
pub async fn counts_of(
    db: &impl ConnectionTrait,
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
