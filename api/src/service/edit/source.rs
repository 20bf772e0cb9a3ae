//! Creating, changing and deleting sources.

use entity::{source, SourceKind};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, DatabaseConnection, IntoActiveModel};

use super::{begin, commit, not_cleared, now, slug_for, text, touch, Change};
use crate::service::validate::{Problems, MAX_INDEXED_CHARS};
use crate::AppResult;

/// The fields of a source a create or an update gives.
#[derive(Debug, Clone, Default)]
pub struct SourceChanges {
    pub slug: Change<String>,
    pub name: Change<String>,
    pub kind: Change<SourceKind>,
    pub url: Change<String>,
    pub description: Change<String>,
}

fn check(changes: &SourceChanges) -> Problems {
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
    not_cleared(&mut problems, "kind", &changes.kind);
    text(&mut problems, "url", &changes.url, usize::MAX, false);
    text(
        &mut problems,
        "description",
        &changes.description,
        usize::MAX,
        false,
    );
    problems
}

pub async fn create(db: &DatabaseConnection, changes: SourceChanges) -> AppResult<source::Model> {
    check(&changes).check()?;
    let txn = begin(db).await?;
    let name = changes.name.set().cloned().unwrap_or_default();
    let slug = slug_for::<source::Entity>(
        &txn,
        changes.slug.set().map(String::as_str),
        &name,
        "source",
        None,
    )
    .await?;
    let at = now();
    let row = source::ActiveModel {
        id: NotSet,
        slug: Set(slug),
        name: Set(name),
        kind: Set(changes.kind.apply(None).unwrap_or(SourceKind::Other)),
        url: Set(changes.url.apply(None)),
        description: Set(changes.description.apply(None)),
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
    changes: SourceChanges,
) -> AppResult<source::Model> {
    let problems = check(&changes);
    let txn = begin(db).await?;
    let mut row = touch::<source::Entity>(&txn, id, "source").await?;
    problems.check()?;
    if let Change::Set(slug) = &changes.slug {
        row.slug = slug_for::<source::Entity>(&txn, Some(slug), "", "source", Some(id)).await?;
    }
    row.name = changes.name.apply_required(row.name);
    row.kind = changes.kind.apply_required(row.kind);
    row.url = changes.url.apply(row.url);
    row.description = changes.description.apply(row.description);
    let row = row.into_active_model().reset_all().update(&txn).await?;
    commit(txn).await?;
    Ok(row)
}

pub async fn delete(db: &DatabaseConnection, id: i64) -> AppResult<()> {
    super::delete::<source::Entity>(db, id, "source").await
}
