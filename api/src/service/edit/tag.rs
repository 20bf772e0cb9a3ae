//! Creating, changing and deleting tags.

use entity::tag;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, DatabaseConnection, IntoActiveModel};

use super::{begin, commit, not_cleared, now, slug_for, text, touch, Change};
use crate::service::validate::{Problems, MAX_INDEXED_CHARS};
use crate::AppResult;

/// The fields of a tag a create or an update gives.
#[derive(Debug, Clone, Default)]
pub struct TagChanges {
    pub slug: Change<String>,
    pub name: Change<String>,
}

fn check(changes: &TagChanges) -> Problems {
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
    problems
}

pub async fn create(db: &DatabaseConnection, changes: TagChanges) -> AppResult<tag::Model> {
    check(&changes).check()?;
    let txn = begin(db).await?;
    let name = changes.name.set().cloned().unwrap_or_default();
    let slug = slug_for::<tag::Entity>(
        &txn,
        changes.slug.set().map(String::as_str),
        &name,
        "tag",
        None,
    )
    .await?;
    let at = now();
    let row = tag::ActiveModel {
        id: NotSet,
        slug: Set(slug),
        name: Set(name),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    commit(txn).await?;
    Ok(row)
}

pub async fn update(
    db: &DatabaseConnection,
    id: i64,
    changes: TagChanges,
) -> AppResult<tag::Model> {
    let problems = check(&changes);
    let txn = begin(db).await?;
    let mut row = touch::<tag::Entity>(&txn, id, "tag").await?;
    problems.check()?;
    if let Change::Set(slug) = &changes.slug {
        row.slug = slug_for::<tag::Entity>(&txn, Some(slug), "", "tag", Some(id)).await?;
    }
    row.name = changes.name.apply_required(row.name);
    let row = row.into_active_model().reset_all().update(&txn).await?;
    commit(txn).await?;
    Ok(row)
}

pub async fn delete(db: &DatabaseConnection, id: i64) -> AppResult<()> {
    super::delete::<tag::Entity>(db, id, "tag").await
}
