//! Look-ups shared by every entity that is always visible (people, meetings, sources, tags):
//! by ids in one statement, by slug, a page of all of them, and their count.

use std::collections::HashMap;

use entity::{article, meeting, person, source, tag};
use sea_orm::{ColumnTrait, Condition, EntityTrait, ModelTrait, QueryFilter};

use super::columns::{Columns, Partial};
use super::keyset::Ordering;
use super::page::{self, Page, PageRequest};
use crate::db::Read;
use crate::AppResult;

/// An entity with an `id` and a unique `slug`.
pub trait Keyed: EntityTrait {
    fn id_column() -> Self::Column;
    fn slug_column() -> Self::Column;
    fn id_of(model: &Self::Model) -> i64;
    fn slug_of(model: &Self::Model) -> &str;
}

macro_rules! keyed {
    ($($module:ident),*) => {$(
        impl Keyed for $module::Entity {
            fn id_column() -> $module::Column {
                $module::Column::Id
            }
            fn slug_column() -> $module::Column {
                $module::Column::Slug
            }
            fn id_of(model: &$module::Model) -> i64 {
                model.id
            }
            fn slug_of(model: &$module::Model) -> &str {
                &model.slug
            }
        }
    )*};
}

keyed!(article, person, meeting, source, tag);

/// An entity every caller may see, so that the look-ups below need no visibility filter.
/// Articles are [`Keyed`] but not `Public`: their look-ups go through `service::article`.
pub trait Public: Keyed + Partial {}

impl Public for person::Entity {}
impl Public for meeting::Entity {}
impl Public for source::Entity {}
impl Public for tag::Entity {}

/// Rows by id; unknown ids are absent from the map.
pub async fn by_ids<E: Public + Partial>(
    db: &impl Read,
    ids: &[i64],
    columns: Columns<E>,
) -> AppResult<HashMap<i64, E::Model>> {
    let rows = columns
        .all(
            db,
            E::find().filter(E::id_column().is_in(ids.iter().copied())),
        )
        .await?;
    Ok(rows.into_iter().map(|row| (E::id_of(&row), row)).collect())
}

/// A row by slug.
pub async fn by_slug<E: Public>(db: &impl Read, slug: &str) -> AppResult<Option<E::Model>> {
    Ok(Columns::<E>::ALL
        .one(db, E::find().filter(E::slug_column().eq(slug)))
        .await?)
}

/// A page of all rows, reading `columns`.
pub async fn list<E: Public + Partial>(
    db: &impl Read,
    condition: Condition,
    ordering: &Ordering<E::Column>,
    request: &PageRequest,
    columns: Columns<E>,
) -> AppResult<Page<E::Model>>
where
    E::Model: ModelTrait<Entity = E>,
{
    let columns = columns.and_ordering(ordering);
    page::fetch_page(
        db,
        columns.select(E::find().filter(condition)),
        ordering,
        request,
        |row| columns.read(row),
    )
    .await
}

/// How many rows meet `condition`.
pub async fn count<E: Public>(db: &impl Read, condition: Condition) -> AppResult<u64> {
    page::count(db, E::find().filter(condition)).await
}
