//! Changing content: create, update (patch semantics), delete, and publishing. Each change is
//! one database transaction that lands whole or not at all; every problem with an input is
//! reported together; the rules are those of `service::validate`, which imports follow too.

pub mod article;
pub mod meeting;
pub mod person;
pub mod quote;
pub mod source;
pub mod tag;

use std::collections::HashSet;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, QueryFilter, QuerySelect,
};

use super::lookup::Keyed;
use super::validate::{slugify, Problems};
use crate::{AppError, AppResult};
use sea_orm::sea_query::ExprTrait;

/// One field of a patch: left as it is, cleared (an explicit `null`), or set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Change<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    /// The new value of a nullable field.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Change::Keep => current,
            Change::Clear => None,
            Change::Set(value) => Some(value),
        }
    }

    /// The new value of a required field (a `Clear` was refused by `required`).
    pub fn apply_required(self, current: T) -> T {
        match self {
            Change::Set(value) => value,
            Change::Keep | Change::Clear => current,
        }
    }

    pub fn as_ref(&self) -> Change<&T> {
        match self {
            Change::Keep => Change::Keep,
            Change::Clear => Change::Clear,
            Change::Set(value) => Change::Set(value),
        }
    }

    /// The value, when set.
    pub fn set(&self) -> Option<&T> {
        match self {
            Change::Set(value) => Some(value),
            _ => None,
        }
    }
}

impl<T> Change<Vec<T>> {
    /// A list field's new entries: `None` keeps the stored list, a cleared list is empty.
    pub fn replacement(self) -> Option<Vec<T>> {
        match self {
            Change::Keep => None,
            Change::Clear => Some(Vec::new()),
            Change::Set(list) => Some(list),
        }
    }
}

/// A reference to another record as the client gave it: an id, or why what was given names
/// no record of the right kind (a malformed ID, the ID of another type).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ref {
    Id(i64),
    Unusable(String),
}

impl Ref {
    /// The id, when the reference is usable.
    pub fn id(&self) -> Option<i64> {
        match self {
            Ref::Id(id) => Some(*id),
            Ref::Unusable(_) => None,
        }
    }
}

/// Checks a patch's text field: a required field may not be cleared nor blank.
pub(crate) fn text(
    problems: &mut Problems,
    field: &str,
    change: &Change<String>,
    max: usize,
    required: bool,
) {
    match change {
        Change::Keep => {}
        Change::Clear if required => problems.add(field, "must not be null"),
        Change::Clear => {}
        Change::Set(value) if required => problems.required(field, value, max),
        Change::Set(value) => problems.optional(field, Some(value), max),
    }
}

/// Checks that a required non-text field is not cleared.
pub(crate) fn not_cleared<T>(problems: &mut Problems, field: &str, change: &Change<T>) {
    if matches!(change, Change::Clear) {
        problems.add(field, "must not be null");
    }
}

/// The usable ids of references, each with its field; unusable ones are added as problems.
pub(crate) fn usable(problems: &mut Problems, refs: &[(String, &Ref)]) -> Vec<(String, i64)> {
    let mut ids = Vec::new();
    for (field, reference) in refs {
        match reference {
            Ref::Id(id) => ids.push((field.clone(), *id)),
            Ref::Unusable(why) => problems.add(field, why.clone()),
        }
    }
    ids
}

/// The references of a list field, each at its index (`tagIds[2]`).
pub(crate) fn listed<'a>(field: &str, refs: &'a [Ref]) -> Vec<(String, &'a Ref)> {
    refs.iter()
        .enumerate()
        .map(|(index, reference)| (format!("{field}[{index}]"), reference))
        .collect()
}

/// Adds a problem for every id that names no row of `E`; `what` names the type ("person").
pub(crate) async fn exist<E: Keyed>(
    txn: &impl ConnectionTrait,
    problems: &mut Problems,
    what: &str,
    refs: &[(String, i64)],
) -> AppResult<()> {
    if refs.is_empty() {
        return Ok(());
    }
    let wanted: HashSet<i64> = refs.iter().map(|(_, id)| *id).collect();
    let found: HashSet<i64> = E::find()
        .select_only()
        .column(E::id_column())
        .filter(E::id_column().is_in(wanted))
        .into_tuple::<i64>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    for (field, id) in refs {
        if !found.contains(id) {
            problems.add(field, format!("no {what} has this ID"));
        }
    }
    Ok(())
}

/// `slug`, or one made from `title` and made unique among `E`'s slugs with a numeric suffix.
pub(crate) async fn slug_for<E: Keyed>(
    txn: &impl ConnectionTrait,
    given: Option<&str>,
    title: &str,
    fallback: &str,
    except: Option<i64>,
) -> AppResult<String> {
    if let Some(slug) = given {
        if taken::<E>(txn, slug, except).await? {
            return Err(AppError::Conflict(format!(
                "the slug {slug:?} is taken by another {fallback}"
            )));
        }
        return Ok(slug.to_owned());
    }
    let base = slugify(title, fallback);
    let prefix = format!("{base}-");
    let similar: HashSet<String> = E::find()
        .select_only()
        .column(E::slug_column())
        .filter(
            E::slug_column()
                .eq(base.as_str())
                .or(E::slug_column().starts_with(&prefix)),
        )
        .into_tuple::<String>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    if !similar.contains(&base) {
        return Ok(base);
    }
    let free = (2..)
        .map(|number| format!("{base}-{number}"))
        .find(|slug| !similar.contains(slug));
    free.ok_or_else(|| AppError::Internal("no free slug".to_owned()))
}

/// Whether a row of `E` other than `except` has `slug`.
async fn taken<E: Keyed>(
    txn: &impl ConnectionTrait,
    slug: &str,
    except: Option<i64>,
) -> AppResult<bool> {
    let mut query = E::find()
        .select_only()
        .column(E::id_column())
        .filter(E::slug_column().eq(slug));
    if let Some(id) = except {
        query = query.filter(E::id_column().ne(id));
    }
    Ok(query.into_tuple::<i64>().one(txn).await?.is_some())
}

/// Opens the mutation's transaction (see `service::begin_write`).
pub(crate) async fn begin(db: &DatabaseConnection) -> AppResult<DatabaseTransaction> {
    Ok(super::begin_write(db).await?)
}

/// Commits the mutation's transaction, unless the request it serves has run out of time:
/// its client has been told it was stopped (503), so it is rolled back instead.
pub(crate) async fn commit(txn: DatabaseTransaction) -> AppResult<()> {
    if crate::db::past_deadline() {
        txn.rollback().await?;
        return Err(AppError::Cancelled(None));
    }
    Ok(txn.commit().await?)
}

/// The time of a write, as the database keeps it (microseconds).
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// `NOT_FOUND` for a `what` ("article") with this id.
pub(crate) fn not_found(what: &str) -> AppError {
    AppError::NotFound(format!("no {what} has this ID"))
}

/// Deletes the row of `E` with this id (`NOT_FOUND` when there is none); the database's
/// foreign keys remove or detach what hangs on it.
pub(crate) async fn delete<E: Keyed>(
    db: &DatabaseConnection,
    id: i64,
    what: &str,
) -> AppResult<()> {
    let txn = begin(db).await?;
    let deleted = E::delete_many()
        .filter(E::id_column().eq(id))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(not_found(what));
    }
    commit(txn).await
}

/// A time as the database keeps it (microseconds).
pub(crate) fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// An entity with `updated_at`, which every update sets.
pub(crate) trait Touched: Keyed {
    fn updated_at_column() -> Self::Column;
}

macro_rules! touched {
    ($($module:ident),*) => {$(
        impl Touched for entity::$module::Entity {
            fn updated_at_column() -> entity::$module::Column {
                entity::$module::Column::UpdatedAt
            }
        }
    )*};
}

touched!(person, meeting, source, tag);

/// Sets the row's `updated_at` as the transaction's first statement (which takes the write
/// lock) and returns the row as it now is; `NOT_FOUND` when there is none.
pub(crate) async fn touch<E: Touched>(
    txn: &impl ConnectionTrait,
    id: i64,
    what: &str,
) -> AppResult<E::Model> {
    E::update_many()
        .col_expr(
            E::updated_at_column(),
            sea_orm::sea_query::Expr::value(now()),
        )
        .filter(E::id_column().eq(id))
        .exec(txn)
        .await?;
    E::find()
        .filter(E::id_column().eq(id))
        .one(txn)
        .await?
        .ok_or_else(|| not_found(what))
}
