//! Tag queries beyond the shared look-ups: the tags of articles.

use std::collections::HashMap;

use entity::{article_tag, tag};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};

use super::column;
use super::columns::Columns;
use super::page::{self, PARENT_COLUMN};
use crate::db::Read;
use crate::AppResult;

/// Each article's tags, in the order given.
pub async fn of_articles(
    db: &impl Read,
    articles: &[i64],
    columns: Columns<tag::Entity>,
) -> AppResult<HashMap<i64, Vec<tag::Model>>> {
    let tags = page::join_link(
        tag::Entity::find(),
        article_tag::Entity,
        column(article_tag::Column::TagId),
        column(tag::Column::Id),
    );
    let query = columns
        .select(tags)
        .filter(article_tag::Column::ArticleId.is_in(articles.iter().copied()))
        .expr_as(column(article_tag::Column::ArticleId), PARENT_COLUMN)
        .order_by_asc(article_tag::Column::Id)
        .into_query();
    page::fetch_grouped(db, query, |row| columns.read(row)).await
}
