//! Meeting queries beyond the shared look-ups: the meetings an article reports on and the
//! meetings a person took part in, with their role.

use std::collections::HashMap;

use entity::{article_meeting, meeting, meeting_participant, ParticipantRole};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};

use super::column;
use super::columns::Columns;
use super::order::{meeting_ordering, MeetingOrder};
use super::page::{self, Page, PageRequest, PARENT_COLUMN};
use super::person::{read_role, ROLE_COLUMN};
use crate::db::Read;
use crate::AppResult;

/// Each article's meetings, in the order given.
pub async fn of_articles(
    db: &impl Read,
    articles: &[i64],
) -> AppResult<HashMap<i64, Vec<meeting::Model>>> {
    let query = page::join_link(
        meeting::Entity::find(),
        article_meeting::Entity,
        column(article_meeting::Column::MeetingId),
        column(meeting::Column::Id),
    )
    .filter(article_meeting::Column::ArticleId.is_in(articles.iter().copied()))
    .expr_as(column(article_meeting::Column::ArticleId), PARENT_COLUMN)
    .order_by_asc(article_meeting::Column::Id)
    .into_query();
    page::fetch_grouped(db, query, page::read_model::<meeting::Entity>).await
}

/// A meeting a person took part in and the role they had.
#[derive(Clone, Debug)]
pub struct Attendance {
    pub role: ParticipantRole,
    pub meeting: meeting::Model,
}

/// Meetings joined to their participants, only those in `role` when given.
fn attended(role: Option<ParticipantRole>) -> Select<meeting::Entity> {
    let select = page::join_link(
        meeting::Entity::find(),
        meeting_participant::Entity,
        column(meeting_participant::Column::MeetingId),
        column(meeting::Column::Id),
    );
    match role {
        Some(role) => select.filter(meeting_participant::Column::Role.eq(role)),
        None => select,
    }
}

/// One page of meetings per person, with the person's role, in one statement.
pub async fn pages_of_people(
    db: &impl Read,
    people: &[i64],
    role: Option<ParticipantRole>,
    condition: Condition,
    order: &[MeetingOrder],
    request: &PageRequest,
    columns: Columns<meeting::Entity>,
) -> AppResult<HashMap<i64, Page<Attendance>>> {
    let ordering = meeting_ordering(order);
    let columns = columns.and_ordering(&ordering);
    let select = columns
        .select(attended(role))
        .filter(condition)
        .expr_as(column(meeting_participant::Column::Role), ROLE_COLUMN);
    page::fetch_pages_per_parent(
        db,
        select,
        page::Parents {
            column: column(meeting_participant::Column::PersonId),
            ids: people,
        },
        &ordering,
        request,
        |row| {
            Ok(Attendance {
                role: read_role(row)?,
                meeting: columns.read(row)?,
            })
        },
        |attendance| &attendance.meeting,
    )
    .await
}

/// How many meetings (in `role`, when given) each person took part in, in one statement.
pub async fn counts_of_people(
    db: &impl Read,
    people: &[i64],
    role: Option<ParticipantRole>,
    condition: Condition,
) -> AppResult<HashMap<i64, u64>> {
    page::count_per_parent(
        db,
        attended(role).filter(condition),
        page::Parents {
            column: column(meeting_participant::Column::PersonId),
            ids: people,
        },
    )
    .await
}
