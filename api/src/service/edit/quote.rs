//! Creating, changing and deleting quotes. A new quote, or one moved to another article, goes
//! last in its article.

use entity::{article, meeting, person, quote};
use sea_orm::sea_query::Expr;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect,
};

use super::{begin, commit, exist, not_cleared, not_found, now, text, usable, Change, Ref};
use crate::service::validate::{Problems, MAX_INDEXED_CHARS};
use crate::AppResult;

/// The fields of a quote a create or an update gives.
#[derive(Debug, Clone, Default)]
pub struct QuoteChanges {
    pub text: Change<String>,
    pub verb: Change<String>,
    pub person: Change<Ref>,
    pub article: Change<Ref>,
    pub meeting: Change<Ref>,
}

fn check(changes: &QuoteChanges) -> Problems {
    let mut problems = Problems::under("input");
    text(&mut problems, "text", &changes.text, usize::MAX, true);
    text(
        &mut problems,
        "verb",
        &changes.verb,
        MAX_INDEXED_CHARS,
        false,
    );
    not_cleared(&mut problems, "personId", &changes.person);
    not_cleared(&mut problems, "articleId", &changes.article);
    problems
}

async fn check_references(
    txn: &impl ConnectionTrait,
    changes: &QuoteChanges,
    problems: &mut Problems,
) -> AppResult<()> {
    if let Change::Set(reference) = &changes.person {
        let ids = usable(problems, &[("personId".to_owned(), reference)]);
        exist::<person::Entity>(txn, problems, "person", &ids).await?;
    }
    if let Change::Set(reference) = &changes.article {
        let ids = usable(problems, &[("articleId".to_owned(), reference)]);
        exist::<article::Entity>(txn, problems, "article", &ids).await?;
    }
    if let Change::Set(reference) = &changes.meeting {
        let ids = usable(problems, &[("meetingId".to_owned(), reference)]);
        exist::<meeting::Entity>(txn, problems, "meeting", &ids).await?;
    }
    Ok(())
}

fn id_of(reference: &Change<Ref>) -> Option<i64> {
    reference.set().and_then(Ref::id)
}

/// The position after the last quote of an article.
async fn next_position(txn: &impl ConnectionTrait, article_id: i64) -> AppResult<i32> {
    let last: Option<Option<i32>> = quote::Entity::find()
        .select_only()
        .column_as(quote::Column::Position.max(), "last")
        .filter(quote::Column::ArticleId.eq(article_id))
        .into_tuple()
        .one(txn)
        .await?;
    Ok(last.flatten().map_or(0, |last| last.saturating_add(1)))
}

pub async fn create(db: &DatabaseConnection, changes: QuoteChanges) -> AppResult<quote::Model> {
    let mut problems = check(&changes);
    let txn = begin(db).await?;
    check_references(&txn, &changes, &mut problems).await?;
    problems.check()?;
    let (Some(article_id), Some(person_id)) = (id_of(&changes.article), id_of(&changes.person))
    else {
        return Err(not_found("article or person"));
    };
    let at = now();
    let row = quote::ActiveModel {
        id: NotSet,
        article_id: Set(article_id),
        person_id: Set(person_id),
        meeting_id: Set(id_of(&changes.meeting)),
        verb: Set(changes.verb.apply(None)),
        text: Set(changes.text.apply(None).unwrap_or_default()),
        position: Set(next_position(&txn, article_id).await?),
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
    changes: QuoteChanges,
) -> AppResult<quote::Model> {
    let mut problems = check(&changes);
    let txn = begin(db).await?;
    quote::Entity::update_many()
        .col_expr(quote::Column::UpdatedAt, Expr::value(now()))
        .filter(quote::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let mut row = quote::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| not_found("quote"))?;
    check_references(&txn, &changes, &mut problems).await?;
    problems.check()?;
    if let Some(article_id) = id_of(&changes.article) {
        if article_id != row.article_id {
            row.position = next_position(&txn, article_id).await?;
            row.article_id = article_id;
        }
    }
    if let Some(person_id) = id_of(&changes.person) {
        row.person_id = person_id;
    }
    row.meeting_id = match &changes.meeting {
        Change::Keep => row.meeting_id,
        Change::Clear => None,
        Change::Set(_) => id_of(&changes.meeting),
    };
    row.text = changes.text.apply_required(row.text);
    row.verb = changes.verb.apply(row.verb);
    let row = row.into_active_model().reset_all().update(&txn).await?;
    commit(txn).await?;
    Ok(row)
}

pub async fn delete(db: &DatabaseConnection, id: i64) -> AppResult<()> {
    let txn = begin(db).await?;
    let deleted = quote::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(not_found("quote"));
    }
    commit(txn).await?;
    Ok(())
}
