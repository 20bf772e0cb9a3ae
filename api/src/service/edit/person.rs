//! Creating, changing and deleting people, with their aliases and positions.

use chrono::NaiveDate;
use entity::{person, person_alias, position};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use super::{begin, commit, not_cleared, now, slug_for, text, touch, Change};
use crate::service::links::insert_rows;
use crate::service::validate::{Problems, MAX_INDEXED_CHARS};
use crate::AppResult;

/// An office held, as an input gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionFields {
    pub title: String,
    pub organization: Option<String>,
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
}

/// The fields of a person a create or an update gives.
#[derive(Debug, Clone, Default)]
pub struct PersonChanges {
    pub slug: Change<String>,
    pub name: Change<String>,
    pub native_name: Change<String>,
    pub aliases: Change<Vec<String>>,
    pub country: Change<String>,
    pub bio: Change<String>,
    pub positions: Change<Vec<PositionFields>>,
}

fn check(changes: &PersonChanges) -> Problems {
    let mut problems = Problems::under("input");
    if let Change::Set(slug) = &changes.slug {
        problems.slug("slug", slug);
    }
    not_cleared(&mut problems, "slug", &changes.slug);
    text(
        &mut problems,
        "name",
        &changes.name,
        MAX_INDEXED_CHARS,
        true,
    );
    text(
        &mut problems,
        "nativeName",
        &changes.native_name,
        MAX_INDEXED_CHARS,
        false,
    );
    text(&mut problems, "bio", &changes.bio, usize::MAX, false);
    if let Change::Set(country) = &changes.country {
        problems.country("country", Some(country));
    }
    if let Change::Set(aliases) = &changes.aliases {
        for (index, alias) in aliases.iter().enumerate() {
            problems.required(&format!("aliases[{index}]"), alias, MAX_INDEXED_CHARS);
        }
        problems.no_repeats("aliases", aliases, |index| format!("{:?}", aliases[index]));
    }
    if let Change::Set(positions) = &changes.positions {
        for (index, held) in positions.iter().enumerate() {
            let at = format!("positions[{index}]");
            problems.required(&format!("{at}.title"), &held.title, MAX_INDEXED_CHARS);
            problems.optional(
                &format!("{at}.organization"),
                held.organization.as_deref(),
                MAX_INDEXED_CHARS,
            );
            problems.date_range(&format!("{at}.endedOn"), held.started_on, held.ended_on);
        }
    }
    problems
}

pub async fn create(db: &DatabaseConnection, changes: PersonChanges) -> AppResult<person::Model> {
    check(&changes).check()?;
    let txn = begin(db).await?;
    let name = changes.name.set().cloned().unwrap_or_default();
    let slug = slug_for::<person::Entity>(
        &txn,
        changes.slug.set().map(String::as_str),
        &name,
        "person",
        None,
    )
    .await?;
    let at = now();
    let row = person::ActiveModel {
        id: NotSet,
        slug: Set(slug),
        name: Set(name),
        native_name: Set(changes.native_name.apply(None)),
        country: Set(changes.country.apply(None)),
        bio: Set(changes.bio.apply(None)),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    replace_lists(&txn, row.id, changes.aliases, changes.positions).await?;
    commit(txn).await?;
    Ok(row)
}

pub async fn update(
    db: &DatabaseConnection,
    id: i64,
    changes: PersonChanges,
) -> AppResult<person::Model> {
    let problems = check(&changes);
    let txn = begin(db).await?;
    let mut row = touch::<person::Entity>(&txn, id, "person").await?;
    problems.check()?;
    if let Change::Set(slug) = &changes.slug {
        row.slug = slug_for::<person::Entity>(&txn, Some(slug), "", "person", Some(id)).await?;
    }
    row.name = changes.name.apply_required(row.name);
    row.native_name = changes.native_name.apply(row.native_name);
    row.country = changes.country.apply(row.country);
    row.bio = changes.bio.apply(row.bio);
    let row = row.into_active_model().reset_all().update(&txn).await?;
    replace_lists(&txn, id, changes.aliases, changes.positions).await?;
    commit(txn).await?;
    Ok(row)
}

async fn replace_lists(
    txn: &impl ConnectionTrait,
    id: i64,
    aliases: Change<Vec<String>>,
    positions: Change<Vec<PositionFields>>,
) -> AppResult<()> {
    if let Some(aliases) = aliases.replacement() {
        person_alias::Entity::delete_many()
            .filter(person_alias::Column::PersonId.eq(id))
            .exec(txn)
            .await?;
        let rows: Vec<_> = aliases
            .into_iter()
            .map(|alias| person_alias::ActiveModel {
                id: NotSet,
                person_id: Set(id),
                alias: Set(alias),
            })
            .collect();
        insert_rows(txn, rows).await?;
    }
    if let Some(positions) = positions.replacement() {
        position::Entity::delete_many()
            .filter(position::Column::PersonId.eq(id))
            .exec(txn)
            .await?;
        let rows: Vec<_> = positions
            .into_iter()
            .map(|held| position::ActiveModel {
                id: NotSet,
                person_id: Set(id),
                title: Set(held.title),
                organization: Set(held.organization),
                started_on: Set(held.started_on),
                ended_on: Set(held.ended_on),
            })
            .collect();
        insert_rows(txn, rows).await?;
    }
    Ok(())
}

/// Deletes a person with their aliases, positions, participations, mentions and quotes.
pub async fn delete(db: &DatabaseConnection, id: i64) -> AppResult<()> {
    super::delete::<person::Entity>(db, id, "person").await
}
