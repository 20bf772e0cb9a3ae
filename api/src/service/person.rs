//! People queries beyond the shared look-ups: aliases, positions, the people an article
//! mentions, and the participants of meetings.

use std::collections::HashMap;

use entity::{
    article_person, meeting_participant, person, person_alias, position, ParticipantRole,
};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};

use super::column;
use super::columns::Columns;
use super::order::{person_ordering, PersonOrder};
use super::page::{self, Page, PageRequest, PARENT_COLUMN};
use crate::db::Read;
use crate::AppResult;

/// Each person's aliases, in the order given.
pub async fn aliases_of(db: &impl Read, people: &[i64]) -> AppResult<HashMap<i64, Vec<String>>> {
    let query = person_alias::Entity::find()
        .select_only()
        .columns([person_alias::Column::PersonId, person_alias::Column::Alias])
        .filter(person_alias::Column::PersonId.is_in(people.iter().copied()))
        .order_by_asc(person_alias::Column::Id)
        .into_query();
    let mut grouped: HashMap<i64, Vec<String>> = HashMap::new();
    for row in db.read(&query).await?.iter() {
        grouped.entry(row.get(0)?).or_default().push(row.get(1)?);
    }
    Ok(grouped)
}

/// Each person's positions, in the order given.
pub async fn positions_of(
    db: &impl Read,
    people: &[i64],
    columns: Columns<position::Entity>,
) -> AppResult<HashMap<i64, Vec<position::Model>>> {
    // The person's id groups the rows.
    let columns = columns.with(position::Column::PersonId);
    let select = position::Entity::find()
        .filter(position::Column::PersonId.is_in(people.iter().copied()))
        .order_by_asc(position::Column::Id);
    let rows = columns.all(db, select).await?;
    let mut grouped: HashMap<i64, Vec<position::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(row.person_id).or_default().push(row);
    }
    Ok(grouped)
}

/// People joined to the articles that mention them.
fn mentioned() -> Select<person::Entity> {
    page::join_link(
        person::Entity::find(),
        article_person::Entity,
        column(article_person::Column::PersonId),
        column(person::Column::Id),
    )
}

/// One page of mentioned people per article, in one statement.
pub async fn pages_of_articles(
    db: &impl Read,
    articles: &[i64],
    condition: Condition,
    order: &[PersonOrder],
    request: &PageRequest,
    columns: Columns<person::Entity>,
) -> AppResult<HashMap<i64, Page<person::Model>>> {
    let ordering = person_ordering(order);
    let columns = columns.and_ordering(&ordering);
    page::fetch_pages_per_parent(
        db,
        columns.select(mentioned()).filter(condition),
        page::Parents {
            column: column(article_person::Column::ArticleId),
            ids: articles,
        },
        &ordering,
        request,
        |row| columns.read(row),
        |model| model,
    )
    .await
}

/// How many people each article mentions, in one statement.
pub async fn counts_of_articles(
    db: &impl Read,
    articles: &[i64],
    condition: Condition,
) -> AppResult<HashMap<i64, u64>> {
    page::count_per_parent(
        db,
        mentioned().filter(condition),
        page::Parents {
            column: column(article_person::Column::ArticleId),
            ids: articles,
        },
    )
    .await
}

/// A person in a meeting and the role they had.
#[derive(Clone, Debug)]
pub struct Participation {
    pub role: ParticipantRole,
    pub person: person::Model,
}

/// The column alias of a participant's role in joined queries.
pub const ROLE_COLUMN: &str = "participant_role";

/// Reads the role selected as [`ROLE_COLUMN`].
pub fn read_role(row: crate::db::Row<'_>) -> Result<ParticipantRole, sea_orm::DbErr> {
    row.get_named(ROLE_COLUMN)
}

/// Each meeting's participants (only those with `role` when given), in the order given.
pub async fn participants_of(
    db: &impl Read,
    meetings: &[i64],
    role: Option<ParticipantRole>,
    columns: Columns<person::Entity>,
) -> AppResult<HashMap<i64, Vec<Participation>>> {
    let people = page::join_link(
        person::Entity::find(),
        meeting_participant::Entity,
        column(meeting_participant::Column::PersonId),
        column(person::Column::Id),
    );
    let mut select = columns
        .select(people)
        .filter(meeting_participant::Column::MeetingId.is_in(meetings.iter().copied()));
    if let Some(role) = role {
        select = select.filter(meeting_participant::Column::Role.eq(role));
    }
    let query = select
        .expr_as(
            column(meeting_participant::Column::MeetingId),
            PARENT_COLUMN,
        )
        .expr_as(column(meeting_participant::Column::Role), ROLE_COLUMN)
        .order_by_asc(meeting_participant::Column::Id)
        .into_query();
    page::fetch_grouped(db, query, |row| {
        Ok(Participation {
            role: read_role(row)?,
            person: columns.read(row)?,
        })
    })
    .await
}
