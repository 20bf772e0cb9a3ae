//! Creating, changing and deleting meetings, with their participants.

use chrono::NaiveDate;
use entity::{meeting, meeting_participant, person, ParticipantRole};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use super::{begin, commit, exist, not_cleared, now, slug_for, text, touch, usable, Change, Ref};
use crate::service::links::insert_rows;
use crate::service::validate::{Problems, MAX_INDEXED_CHARS};
use crate::AppResult;

/// The fields of a meeting a create or an update gives.
#[derive(Debug, Clone, Default)]
pub struct MeetingChanges {
    pub slug: Change<String>,
    pub title: Change<String>,
    pub description: Change<String>,
    pub held_on: Change<NaiveDate>,
    pub location: Change<String>,
    pub city: Change<String>,
    pub country: Change<String>,
    pub occasion: Change<String>,
    pub participants: Change<Vec<(Ref, ParticipantRole)>>,
}

fn check(changes: &MeetingChanges) -> Problems {
    let mut problems = Problems::under("input");
    if let Change::Set(slug) = &changes.slug {
        problems.slug("slug", slug);
    }
    not_cleared(&mut problems, "slug", &changes.slug);
    text(
        &mut problems,
        "title",
        &changes.title,
        MAX_INDEXED_CHARS,
        true,
    );
    text(
        &mut problems,
        "description",
        &changes.description,
        usize::MAX,
        false,
    );
    not_cleared(&mut problems, "heldOn", &changes.held_on);
    text(
        &mut problems,
        "location",
        &changes.location,
        MAX_INDEXED_CHARS,
        false,
    );
    text(
        &mut problems,
        "city",
        &changes.city,
        MAX_INDEXED_CHARS,
        false,
    );
    text(
        &mut problems,
        "occasion",
        &changes.occasion,
        MAX_INDEXED_CHARS,
        false,
    );
    if let Change::Set(country) = &changes.country {
        problems.country("country", Some(country));
    }
    if let Change::Set(participants) = &changes.participants {
        let mut first_at: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
        for (index, (person, _)) in participants.iter().enumerate() {
            let Ref::Id(id) = person else { continue };
            match first_at.get(id) {
                Some(&first) => problems.add(
                    &format!("participants[{index}].personId"),
                    format!("this person already takes part (at participants[{first}])"),
                ),
                None => {
                    first_at.insert(*id, index);
                }
            }
        }
    }
    problems
}

async fn check_references(
    txn: &impl ConnectionTrait,
    changes: &MeetingChanges,
    problems: &mut Problems,
) -> AppResult<()> {
    if let Change::Set(participants) = &changes.participants {
        let refs: Vec<(String, &Ref)> = participants
            .iter()
            .enumerate()
            .map(|(index, (person, _))| (format!("participants[{index}].personId"), person))
            .collect();
        let ids = usable(problems, &refs);
        exist::<person::Entity>(txn, problems, "person", &ids).await?;
    }
    Ok(())
}

pub async fn create(db: &DatabaseConnection, changes: MeetingChanges) -> AppResult<meeting::Model> {
    let mut problems = check(&changes);
    let held_on = changes.held_on.set().copied();
    if held_on.is_none() {
        problems.add("heldOn", "is required");
    }
    let txn = begin(db).await?;
    check_references(&txn, &changes, &mut problems).await?;
    problems.check()?;
    let held_on = held_on.unwrap_or_default();
    let title = changes.title.set().cloned().unwrap_or_default();
    let slug = slug_for::<meeting::Entity>(
        &txn,
        changes.slug.set().map(String::as_str),
        &title,
        "meeting",
        None,
    )
    .await?;
    let at = now();
    let row = meeting::ActiveModel {
        id: NotSet,
        slug: Set(slug),
        title: Set(title),
        description: Set(changes.description.apply(None)),
        held_on: Set(held_on),
        location: Set(changes.location.apply(None)),
        city: Set(changes.city.apply(None)),
        country: Set(changes.country.apply(None)),
        occasion: Set(changes.occasion.apply(None)),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    replace_participants(&txn, row.id, changes.participants).await?;
    commit(txn).await?;
    Ok(row)
}

pub async fn update(
    db: &DatabaseConnection,
    id: i64,
    changes: MeetingChanges,
) -> AppResult<meeting::Model> {
    let mut problems = check(&changes);
    let txn = begin(db).await?;
    let mut row = touch::<meeting::Entity>(&txn, id, "meeting").await?;
    check_references(&txn, &changes, &mut problems).await?;
    problems.check()?;
    if let Change::Set(slug) = &changes.slug {
        row.slug = slug_for::<meeting::Entity>(&txn, Some(slug), "", "meeting", Some(id)).await?;
    }
    row.title = changes.title.apply_required(row.title);
    row.description = changes.description.apply(row.description);
    row.held_on = changes.held_on.apply_required(row.held_on);
    row.location = changes.location.apply(row.location);
    row.city = changes.city.apply(row.city);
    row.country = changes.country.apply(row.country);
    row.occasion = changes.occasion.apply(row.occasion);
    let row = row.into_active_model().reset_all().update(&txn).await?;
    replace_participants(&txn, id, changes.participants).await?;
    commit(txn).await?;
    Ok(row)
}

async fn replace_participants(
    txn: &impl ConnectionTrait,
    id: i64,
    participants: Change<Vec<(Ref, ParticipantRole)>>,
) -> AppResult<()> {
    let Some(participants) = participants.replacement() else {
        return Ok(());
    };
    meeting_participant::Entity::delete_many()
        .filter(meeting_participant::Column::MeetingId.eq(id))
        .exec(txn)
        .await?;
    let rows: Vec<_> = participants
        .into_iter()
        .filter_map(|(person, role)| {
            Some(meeting_participant::ActiveModel {
                id: NotSet,
                meeting_id: Set(id),
                person_id: Set(person.id()?),
                role: Set(role),
            })
        })
        .collect();
    insert_rows(txn, rows).await?;
    Ok(())
}

/// Deletes a meeting; articles stop linking to it and quotes made there lose the meeting.
pub async fn delete(db: &DatabaseConnection, id: i64) -> AppResult<()> {
    super::delete::<meeting::Entity>(db, id, "meeting").await
}
