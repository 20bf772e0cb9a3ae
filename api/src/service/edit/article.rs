//! Creating, changing, publishing and deleting articles.

use chrono::{DateTime, Utc};
use entity::ArticleStatus;
use entity::{article, article_meeting, article_person, article_tag, meeting, person, source, tag};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use super::{
    begin, commit, exist, listed, micros, not_cleared, not_found, now, slug_for, text, usable,
    Change, Ref,
};
use crate::service::links::replace_links;
use crate::service::validate::{Problems, MAX_INDEXED_CHARS};
use crate::{AppError, AppResult};

/// The fields of an article a create or an update gives. For a create, `Keep` means the
/// default (no summary, DRAFT, not featured, no lists…).
#[derive(Debug, Clone, Default)]
pub struct ArticleChanges {
    pub slug: Change<String>,
    pub title: Change<String>,
    pub summary: Change<String>,
    pub body: Change<String>,
    pub language: Change<String>,
    pub status: Change<ArticleStatus>,
    pub featured: Change<bool>,
    pub published_at: Change<DateTime<Utc>>,
    pub source: Change<Ref>,
    pub tags: Change<Vec<Ref>>,
    pub people: Change<Vec<Ref>>,
    pub meetings: Change<Vec<Ref>>,
}

/// The checks that need no database, every problem under `input`.
fn check(changes: &ArticleChanges, problems: &mut Problems) {
    if let Change::Set(slug) = &changes.slug {
        problems.slug("slug", slug);
    }
    not_cleared(problems, "slug", &changes.slug);
    text(problems, "title", &changes.title, MAX_INDEXED_CHARS, true);
    text(problems, "summary", &changes.summary, usize::MAX, false);
    text(problems, "body", &changes.body, usize::MAX, false);
    not_cleared(problems, "language", &changes.language);
    if let Change::Set(language) = &changes.language {
        problems.language("language", language);
    }
    not_cleared(problems, "status", &changes.status);
    not_cleared(problems, "featured", &changes.featured);
    for (field, list) in [
        ("tagIds", &changes.tags),
        ("personIds", &changes.people),
        ("meetingIds", &changes.meetings),
    ] {
        if let Change::Set(refs) = list {
            problems.no_repeats(field, refs, |_| "this ID".to_owned());
        }
    }
}

/// Checks what the references name, adding problems for those that name nothing.
async fn check_references(
    txn: &impl ConnectionTrait,
    changes: &ArticleChanges,
    problems: &mut Problems,
) -> AppResult<()> {
    if let Change::Set(reference) = &changes.source {
        let ids = usable(problems, &[("sourceId".to_owned(), reference)]);
        exist::<source::Entity>(txn, problems, "source", &ids).await?;
    }
    if let Change::Set(refs) = &changes.tags {
        let ids = usable(problems, &listed("tagIds", refs));
        exist::<tag::Entity>(txn, problems, "tag", &ids).await?;
    }
    if let Change::Set(refs) = &changes.people {
        let ids = usable(problems, &listed("personIds", refs));
        exist::<person::Entity>(txn, problems, "person", &ids).await?;
    }
    if let Change::Set(refs) = &changes.meetings {
        let ids = usable(problems, &listed("meetingIds", refs));
        exist::<meeting::Entity>(txn, problems, "meeting", &ids).await?;
    }
    Ok(())
}

/// Makes an article; its slug, when not given, from its title.
pub async fn create(db: &DatabaseConnection, changes: ArticleChanges) -> AppResult<article::Model> {
    let mut problems = Problems::under("input");
    check(&changes, &mut problems);
    let title = changes.title.set().cloned().unwrap_or_default();
    if changes.language.set().is_none() {
        problems.add("language", "is required");
    }
    let txn = begin(db).await?;
    check_references(&txn, &changes, &mut problems).await?;
    problems.check()?;
    let slug = slug_for::<article::Entity>(
        &txn,
        changes.slug.set().map(String::as_str),
        &title,
        "article",
        None,
    )
    .await?;
    let at = now();
    let row = article::ActiveModel {
        id: NotSet,
        slug: Set(slug),
        title: Set(title),
        summary: Set(changes.summary.apply(None)),
        body: Set(changes.body.apply(None)),
        language: Set(changes.language.apply(None).unwrap_or_default()),
        status: Set(changes.status.apply(None).unwrap_or(ArticleStatus::Draft)),
        featured: Set(changes.featured.apply(None).unwrap_or(false)),
        published_at: Set(changes.published_at.apply(None).map(micros)),
        source_id: Set(changes
            .source
            .apply(None)
            .and_then(|reference| reference.id())),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    };
    let row = row.insert(&txn).await?;
    replace_lists(&txn, row.id, changes.tags, changes.people, changes.meetings).await?;
    commit(txn).await?;
    Ok(row)
}

/// Changes the fields `changes` names. With `expected_version`, refuses with `CONFLICT`
/// (changing nothing) unless the stored version is that one. `version` rises by one.
pub async fn update(
    db: &DatabaseConnection,
    id: i64,
    changes: ArticleChanges,
    expected_version: Option<i32>,
) -> AppResult<article::Model> {
    let mut problems = Problems::under("input");
    check(&changes, &mut problems);
    let txn = begin(db).await?;
    let stored = claim(&txn, id, expected_version).await?;
    check_references(&txn, &changes, &mut problems).await?;
    problems.check()?;
    let slug = match &changes.slug {
        Change::Set(slug) => {
            slug_for::<article::Entity>(&txn, Some(slug), "", "article", Some(id)).await?
        }
        _ => stored.slug.clone(),
    };
    let mut row = stored;
    row.slug = slug;
    row.title = changes.title.apply_required(row.title);
    row.summary = changes.summary.apply(row.summary);
    row.body = changes.body.apply(row.body);
    row.language = changes.language.apply_required(row.language);
    row.status = changes.status.apply_required(row.status);
    row.featured = changes.featured.apply_required(row.featured);
    row.published_at = changes.published_at.apply(row.published_at).map(micros);
    row.source_id = match changes.source {
        Change::Keep => row.source_id,
        Change::Clear => None,
        Change::Set(reference) => reference.id(),
    };
    let row = row.into_active_model().reset_all().update(&txn).await?;
    replace_lists(&txn, id, changes.tags, changes.people, changes.meetings).await?;
    commit(txn).await?;
    Ok(row)
}

/// Bumps the article's version and `updatedAt` as the transaction's first statement (which
/// takes the row's write lock), checking `expected_version`; returns the row as it now is.
async fn claim(
    txn: &impl ConnectionTrait,
    id: i64,
    expected_version: Option<i32>,
) -> AppResult<article::Model> {
    let mut bump = article::Entity::update_many()
        .col_expr(
            article::Column::Version,
            Expr::col(article::Column::Version).add(1),
        )
        .col_expr(article::Column::UpdatedAt, Expr::value(now()))
        .filter(article::Column::Id.eq(id));
    if let Some(expected) = expected_version {
        bump = bump.filter(article::Column::Version.eq(expected));
    }
    let bumped = bump.exec(txn).await?.rows_affected;
    let stored = article::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| not_found("article"))?;
    if bumped == 0 {
        return Err(AppError::Conflict(format!(
            "the article is at version {}, not {}: it changed since it was read",
            stored.version,
            expected_version.unwrap_or_default()
        )));
    }
    Ok(stored)
}

/// Replaces the lists that are given (a cleared list is emptied).
async fn replace_lists(
    txn: &impl ConnectionTrait,
    id: i64,
    tags: Change<Vec<Ref>>,
    people: Change<Vec<Ref>>,
    meetings: Change<Vec<Ref>>,
) -> AppResult<()> {
    let ids = |list: Vec<Ref>| list.iter().filter_map(Ref::id).collect::<Vec<i64>>();
    if let Some(list) = tags.replacement() {
        replace_links::<article_tag::Entity>(txn, id, &ids(list)).await?;
    }
    if let Some(list) = people.replacement() {
        replace_links::<article_person::Entity>(txn, id, &ids(list)).await?;
    }
    if let Some(list) = meetings.replacement() {
        replace_links::<article_meeting::Entity>(txn, id, &ids(list)).await?;
    }
    Ok(())
}

/// Publishes an article: PUBLISHED, with `published_at` the time given (in the future, it
/// stays hidden from anonymous readers until then) or now.
pub async fn publish(
    db: &DatabaseConnection,
    id: i64,
    published_at: Option<DateTime<Utc>>,
) -> AppResult<article::Model> {
    let changes = ArticleChanges {
        status: Change::Set(ArticleStatus::Published),
        published_at: Change::Set(published_at.unwrap_or_else(now)),
        ..Default::default()
    };
    update(db, id, changes, None).await
}

/// Returns an article to DRAFT.
pub async fn unpublish(db: &DatabaseConnection, id: i64) -> AppResult<article::Model> {
    let changes = ArticleChanges {
        status: Change::Set(ArticleStatus::Draft),
        ..Default::default()
    };
    update(db, id, changes, None).await
}

/// Deletes an article with its links and quotes.
pub async fn delete(db: &DatabaseConnection, id: i64) -> AppResult<()> {
    super::delete::<article::Entity>(db, id, "article").await
}
