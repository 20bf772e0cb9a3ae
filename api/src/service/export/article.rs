//! Exporting articles: each batch's sources, tags, people, meetings and quotes read with one
//! query per list, slugs in place of ids.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    article, article_meeting, article_person, article_tag, meeting, person, quote, source, tag,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, FromQueryResult,
    JoinType, QueryFilter, QueryOrder, QuerySelect, RelationDef, RelationTrait,
};
use tokio::io::AsyncWrite;

use super::{batch_after, group, ExportError, Lines};
use crate::service::record::{ArticleRecord, QuoteRecord, Record};

/// Writes every article, by id.
pub(super) async fn export_articles<W: AsyncWrite + Unpin>(
    txn: &DatabaseTransaction,
    lines: &mut Lines<W>,
) -> Result<(), ExportError> {
    let mut after = i64::MIN;
    loop {
        let rows = batch_after::<article::Entity>(txn, article::Column::Id, after).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.id;
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let source_ids: Vec<i64> = rows.iter().filter_map(|row| row.source_id).collect();
        let sources = source_slugs(txn, source_ids).await?;
        let mut tags = linked_slugs(
            txn,
            &ids,
            article_tag::Entity,
            article_tag::Column::ArticleId,
            article_tag::Column::Id,
            article_tag::Relation::Tag.def(),
            tag::Column::Slug,
        )
        .await?;
        let mut people = linked_slugs(
            txn,
            &ids,
            article_person::Entity,
            article_person::Column::ArticleId,
            article_person::Column::Id,
            article_person::Relation::Person.def(),
            person::Column::Slug,
        )
        .await?;
        let mut meetings = linked_slugs(
            txn,
            &ids,
            article_meeting::Entity,
            article_meeting::Column::ArticleId,
            article_meeting::Column::Id,
            article_meeting::Relation::Meeting.def(),
            meeting::Column::Slug,
        )
        .await?;
        let mut quotes = quotes_of(txn, &ids).await?;
        for row in rows {
            lines.push(&Record::Article(Box::new(ArticleRecord {
                source: row.source_id.and_then(|id| sources.get(&id).cloned()),
                tags: tags.remove(&row.id).unwrap_or_default(),
                people: people.remove(&row.id).unwrap_or_default(),
                meetings: meetings.remove(&row.id).unwrap_or_default(),
                quotes: quotes.remove(&row.id).unwrap_or_default(),
                slug: row.slug,
                title: row.title,
                summary: row.summary,
                body: row.body,
                language: row.language,
                status: row.status,
                featured: row.featured,
                published_at: row.published_at,
                created_at: Some(row.created_at),
                updated_at: Some(row.updated_at),
            })))?;
        }
        lines.drain().await?;
    }
}

/// The slugs of sources by id.
async fn source_slugs(
    txn: &DatabaseTransaction,
    ids: Vec<i64>,
) -> Result<HashMap<i64, String>, DbErr> {
    let rows: Vec<(i64, String)> = source::Entity::find()
        .select_only()
        .column(source::Column::Id)
        .column(source::Column::Slug)
        .filter(source::Column::Id.is_in(ids))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The slugs each article links to through the link table `L`, in the links' order.
async fn linked_slugs<L: EntityTrait>(
    txn: &DatabaseTransaction,
    articles: &[i64],
    _link: L,
    article_column: L::Column,
    link_id_column: L::Column,
    to_other: RelationDef,
    slug_column: impl ColumnTrait,
) -> Result<HashMap<i64, Vec<String>>, DbErr> {
    let rows: Vec<(i64, String)> = L::find()
        .select_only()
        .column(article_column)
        .column(slug_column)
        .join(JoinType::InnerJoin, to_other)
        .filter(article_column.is_in(articles.iter().copied()))
        .order_by_asc(link_id_column)
        .into_tuple()
        .all(txn)
        .await?;
    Ok(group(rows, |(article_id, _)| *article_id, |(_, slug)| slug))
}

/// A quote with its speaker's and meeting's slugs.
#[derive(Debug, FromQueryResult)]
struct QuoteRow {
    article_id: i64,
    person: String,
    meeting: Option<String>,
    verb: Option<String>,
    text: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Each article's quotes, in their order.
async fn quotes_of(
    txn: &impl ConnectionTrait,
    articles: &[i64],
) -> Result<HashMap<i64, Vec<QuoteRecord>>, DbErr> {
    let rows = quote::Entity::find()
        .select_only()
        .column(quote::Column::ArticleId)
        .column_as(person::Column::Slug, "person")
        .column_as(meeting::Column::Slug, "meeting")
        .column(quote::Column::Verb)
        .column(quote::Column::Text)
        .column(quote::Column::CreatedAt)
        .column(quote::Column::UpdatedAt)
        .join(JoinType::InnerJoin, quote::Relation::Person.def())
        .join(JoinType::LeftJoin, quote::Relation::Meeting.def())
        .filter(quote::Column::ArticleId.is_in(articles.iter().copied()))
        .order_by_asc(quote::Column::ArticleId)
        .order_by_asc(quote::Column::Position)
        .order_by_asc(quote::Column::Id)
        .into_model::<QuoteRow>()
        .all(txn)
        .await?;
    Ok(group(
        rows,
        |row| row.article_id,
        |row| QuoteRecord {
            person: row.person,
            meeting: row.meeting,
            verb: row.verb,
            text: row.text,
            created_at: Some(row.created_at),
            updated_at: Some(row.updated_at),
        },
    ))
}
