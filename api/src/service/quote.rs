//! Quote queries: a quote is visible when its article is.

use std::collections::HashMap;

use entity::{article, quote};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder, Select};

use super::columns::Columns;
use super::order::quote_ordering;
use super::page::{self, Page, PageRequest};
use super::{column, Visibility};
use crate::db::Read;
use crate::AppResult;

/// The quotes the caller may see: those whose article is visible, checked for each quote
/// (`EXISTS`). A join let SQLite's planner start from the published articles, read every
/// quote of theirs and sort them all for a page of the newest: 0.3–0.5 s for the root list on
/// 100,000 articles, where walking the quotes newest first and checking each one's article
/// takes under a millisecond. SQLite (3.51) turns a plain `EXISTS` back into a join, with a
/// Bloom filter built over every published article first (55–100 ms); a `LIMIT` in the
/// subquery keeps it a check per quote. PostgreSQL runs the `EXISTS` as a semi-join, which a
/// `LIMIT` would prevent, so it has none there.
pub fn visible(backend: DbBackend, visibility: Visibility) -> Select<quote::Entity> {
    match visibility {
        Visibility::All => quote::Entity::find(),
        Visibility::Published => {
            let mut article = Query::select();
            article
                .expr(Expr::val(1))
                .from(article::Entity)
                .and_where(column(article::Column::Id).eq(column(quote::Column::ArticleId)))
                .cond_where(super::published());
            if backend == DbBackend::Sqlite {
                article.limit(1);
            }
            quote::Entity::find().filter(Expr::exists(article))
        }
    }
}

/// Visible quotes by id; unknown or hidden ids are absent from the map.
pub async fn by_ids(
    db: &impl Read,
    visibility: Visibility,
    ids: &[i64],
) -> AppResult<HashMap<i64, quote::Model>> {
    let select = visible(db.get_database_backend(), visibility)
        .filter(quote::Column::Id.is_in(ids.iter().copied()));
    let rows = Columns::<quote::Entity>::ALL.all(db, select).await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// A page of all visible quotes, newest first.
pub async fn list(
    db: &impl Read,
    visibility: Visibility,
    condition: Condition,
    request: &PageRequest,
) -> AppResult<Page<quote::Model>> {
    let select = visible(db.get_database_backend(), visibility).filter(condition);
    page::fetch_page(
        db,
        select,
        &quote_ordering(),
        request,
        page::read_model::<quote::Entity>,
    )
    .await
}

/// How many visible quotes meet `condition`.
pub async fn count(db: &impl Read, visibility: Visibility, condition: Condition) -> AppResult<u64> {
    page::count(
        db,
        visible(db.get_database_backend(), visibility).filter(condition),
    )
    .await
}

/// Each article's quotes, in article order (the articles are visible already).
pub async fn of_articles(
    db: &impl Read,
    articles: &[i64],
) -> AppResult<HashMap<i64, Vec<quote::Model>>> {
    let select = quote::Entity::find()
        .filter(quote::Column::ArticleId.is_in(articles.iter().copied()))
        .order_by_asc(quote::Column::ArticleId)
        .order_by_asc(quote::Column::Position);
    let rows = Columns::<quote::Entity>::ALL.all(db, select).await?;
    let mut grouped: HashMap<i64, Vec<quote::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(row.article_id).or_default().push(row);
    }
    Ok(grouped)
}

/// Each meeting's visible quotes, by article and then in article order.
pub async fn of_meetings(
    db: &impl Read,
    visibility: Visibility,
    meetings: &[i64],
) -> AppResult<HashMap<i64, Vec<quote::Model>>> {
    let select = visible(db.get_database_backend(), visibility)
        .filter(quote::Column::MeetingId.is_in(meetings.iter().copied()))
        .order_by_asc(quote::Column::ArticleId)
        .order_by_asc(quote::Column::Position);
    let rows = Columns::<quote::Entity>::ALL.all(db, select).await?;
    let mut grouped: HashMap<i64, Vec<quote::Model>> = HashMap::new();
    for row in rows {
        if let Some(meeting) = row.meeting_id {
            grouped.entry(meeting).or_default().push(row);
        }
    }
    Ok(grouped)
}

/// One page of visible quotes per person, newest first, in one statement.
pub async fn pages_of_people(
    db: &impl Read,
    visibility: Visibility,
    people: &[i64],
    request: &PageRequest,
    columns: Columns<quote::Entity>,
) -> AppResult<HashMap<i64, Page<quote::Model>>> {
    let ordering = quote_ordering();
    let columns = columns.and_ordering(&ordering);
    page::fetch_pages_per_parent(
        db,
        columns.select(visible(db.get_database_backend(), visibility)),
        page::Parents {
            column: column(quote::Column::PersonId),
            ids: people,
        },
        &ordering,
        request,
        |row| columns.read(row),
        |model| model,
    )
    .await
}

/// How many visible quotes each person has, in one statement.
pub async fn counts_of_people(
    db: &impl Read,
    visibility: Visibility,
    people: &[i64],
) -> AppResult<HashMap<i64, u64>> {
    page::count_per_parent(
        db,
        visible(db.get_database_backend(), visibility),
        page::Parents {
            column: column(quote::Column::PersonId),
            ids: people,
        },
    )
    .await
}
