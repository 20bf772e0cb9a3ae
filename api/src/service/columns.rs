//! Reading only some of an entity's columns. A list that shows names need not have the
//! database copy out, nor the server decode, every column of every row (bodies, biographies,
//! two timestamps each). The caller names the columns it will show ([`Columns`]); the rest
//! read as placeholders (empty text, `None`, zero, the epoch) that it never shows. `id` is
//! always read, and a list's ordering's columns too (for its cursors).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{article, meeting, person, position, quote, source, tag, ArticleStatus, SourceKind};
use sea_orm::{DbErr, EntityTrait, Iterable, QuerySelect, QueryTrait, Select};

use crate::db::{Decode, Read, Row};

use super::keyset::Ordering;

/// An entity whose rows can be read in part.
pub trait Partial: EntityTrait {
    /// The `id` column, which is always read.
    fn id() -> Self::Column;
    /// The bit of `column` in a [`Columns`] set.
    fn bit(column: Self::Column) -> u32;
    /// Each column with the name of the model field it fills, in the entity's column order.
    fn fields() -> &'static [(Self::Column, &'static str)];
    /// Reads a row selected by [`Columns::select`]: by position, the columns left out as
    /// placeholders.
    fn read(row: Row<'_>, columns: Columns<Self>) -> Result<Self::Model, DbErr>;
}

/// A set of an entity's columns.
pub struct Columns<E>(u32, PhantomData<fn() -> E>);

impl<E: Partial> Columns<E> {
    /// Every column.
    pub const ALL: Columns<E> = Columns(u32::MAX, PhantomData);

    /// `id` alone.
    pub fn id() -> Columns<E> {
        Columns(E::bit(E::id()), PhantomData)
    }

    /// `column` as well.
    #[must_use]
    pub fn with(self, column: E::Column) -> Columns<E> {
        Columns(self.0 | E::bit(column), PhantomData)
    }

    /// The columns of both.
    #[must_use]
    pub fn union(self, other: Columns<E>) -> Columns<E> {
        Columns(self.0 | other.0, PhantomData)
    }

    /// Whether `column` is read.
    pub fn has(self, column: E::Column) -> bool {
        self.0 & E::bit(column) != 0
    }

    /// These and the columns `ordering` sorts on.
    #[must_use]
    pub fn and_ordering(self, ordering: &Ordering<E::Column>) -> Columns<E> {
        ordering
            .keys
            .iter()
            .fold(self, |columns, key| columns.with(key.column))
    }

    /// `select` reading these columns first, in the entity's order, as [`Partial::read`]
    /// expects: select them before adding any expression of your own.
    pub fn select(self, select: Select<E>) -> Select<E> {
        select
            .select_only()
            .columns(E::Column::iter().filter(|column| self.has(*column)))
    }

    /// Reads a row of a `select`ed statement.
    pub fn read(self, row: Row<'_>) -> Result<E::Model, DbErr> {
        E::read(row, self)
    }

    /// The first row of `select`, reading these columns.
    pub async fn one(self, db: &impl Read, select: Select<E>) -> Result<Option<E::Model>, DbErr> {
        let rows = db.read(&self.select(select).limit(1).into_query()).await?;
        let first = rows.first().map(|row| self.read(row)).transpose();
        first
    }

    /// Every row of `select`, reading these columns.
    pub async fn all(self, db: &impl Read, select: Select<E>) -> Result<Vec<E::Model>, DbErr> {
        db.read(&self.select(select).into_query())
            .await?
            .iter()
            .map(|row| self.read(row))
            .collect()
    }
}

impl<E> Clone for Columns<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for Columns<E> {}

impl<E> PartialEq for Columns<E> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<E> Eq for Columns<E> {}

impl<E> Hash for Columns<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl<E> fmt::Debug for Columns<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Columns({:#x})", self.0)
    }
}

/// What a column left out reads as.
pub trait Placeholder {
    fn placeholder() -> Self;
}

macro_rules! placeholder {
    ($($type:ty => $value:expr),* $(,)?) => {$(
        impl Placeholder for $type {
            fn placeholder() -> Self {
                $value
            }
        }
    )*};
}

placeholder!(
    String => String::new(),
    i64 => 0,
    i32 => 0,
    bool => false,
    DateTime<Utc> => DateTime::<Utc>::UNIX_EPOCH,
    NaiveDate => NaiveDate::default(),
    ArticleStatus => ArticleStatus::Draft,
    SourceKind => SourceKind::Other,
);

impl<T> Placeholder for Option<T> {
    fn placeholder() -> Self {
        None
    }
}

/// Reads the selected columns of a row in order; see [`Partial::read`].
pub struct Reader<'a, E> {
    row: Row<'a>,
    columns: Columns<E>,
    next: usize,
}

impl<'a, E: Partial> Reader<'a, E> {
    pub fn new(row: Row<'a>, columns: Columns<E>) -> Self {
        Reader {
            row,
            columns,
            next: 0,
        }
    }

    /// The value of `column`, or its placeholder when it was not selected. Columns must be
    /// asked for in the entity's order.
    pub fn get<T: Decode + Placeholder>(&mut self, column: E::Column) -> Result<T, DbErr> {
        if !self.columns.has(column) {
            return Ok(T::placeholder());
        }
        let index = self.next;
        self.next += 1;
        self.row.get(index)
    }
}

/// Implements [`Partial`] for an entity module: each column and the field it fills, in the
/// entity's order (a unit test checks both against the entity).
macro_rules! partial {
    ($module:ident { $($column:ident => $field:ident),* $(,)? }) => {
        impl Partial for $module::Entity {
            fn id() -> $module::Column {
                $module::Column::Id
            }
            fn bit(column: $module::Column) -> u32 {
                1 << column as u32
            }
            fn fields() -> &'static [($module::Column, &'static str)] {
                &[$(($module::Column::$column, stringify!($field))),*]
            }
            fn read(
                row: Row<'_>,
                columns: Columns<Self>,
            ) -> Result<$module::Model, DbErr> {
                let mut reader = Reader::new(row, columns);
                Ok($module::Model {
                    $($field: reader.get($module::Column::$column)?,)*
                })
            }
        }
    };
}

partial!(article {
    Id => id,
    Slug => slug,
    Title => title,
    Summary => summary,
    Body => body,
    Language => language,
    Status => status,
    Featured => featured,
    PublishedAt => published_at,
    SourceId => source_id,
    Version => version,
    CreatedAt => created_at,
    UpdatedAt => updated_at,
});

partial!(person {
    Id => id,
    Slug => slug,
    Name => name,
    NativeName => native_name,
    Country => country,
    Bio => bio,
    CreatedAt => created_at,
    UpdatedAt => updated_at,
});

partial!(source {
    Id => id,
    Slug => slug,
    Name => name,
    Kind => kind,
    Url => url,
    Description => description,
    CreatedAt => created_at,
    UpdatedAt => updated_at,
});

partial!(tag {
    Id => id,
    Slug => slug,
    Name => name,
    CreatedAt => created_at,
    UpdatedAt => updated_at,
});

partial!(position {
    Id => id,
    PersonId => person_id,
    Title => title,
    Organization => organization,
    StartedOn => started_on,
    EndedOn => ended_on,
});

partial!(meeting {
    Id => id,
    Slug => slug,
    Title => title,
    Description => description,
    HeldOn => held_on,
    Location => location,
    City => city,
    Country => country,
    Occasion => occasion,
    CreatedAt => created_at,
    UpdatedAt => updated_at,
});

partial!(quote {
    Id => id,
    ArticleId => article_id,
    PersonId => person_id,
    MeetingId => meeting_id,
    Verb => verb,
    Text => text,
    Position => position,
    CreatedAt => created_at,
    UpdatedAt => updated_at,
});

#[cfg(test)]
mod tests {
    use sea_orm::IdenStatic;

    use super::*;

    /// Each entity's list names every column once, in the entity's order, with the field of
    /// the same name, and its bits are distinct.
    fn check<E: Partial>() {
        let columns: Vec<&str> = E::Column::iter().map(|c| c.as_str()).collect();
        let listed: Vec<&str> = E::fields().iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(listed, columns);
        for (column, field) in E::fields() {
            assert_eq!(column.as_str(), *field);
        }
        let bits: Vec<u32> = E::Column::iter().map(E::bit).collect();
        let mut distinct = bits.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), bits.len());
        assert!(bits.iter().all(|bit| bit.count_ones() == 1));
    }

    #[test]
    fn every_partial_entity_lists_its_columns_in_order() {
        check::<article::Entity>();
        check::<person::Entity>();
        check::<source::Entity>();
        check::<tag::Entity>();
        check::<position::Entity>();
        check::<meeting::Entity>();
        check::<quote::Entity>();
    }

    #[test]
    fn a_set_holds_id_what_is_added_and_the_orderings_columns() {
        let columns = Columns::<article::Entity>::id().with(article::Column::Title);
        assert!(columns.has(article::Column::Id));
        assert!(columns.has(article::Column::Title));
        assert!(!columns.has(article::Column::Body));
        let ordering = crate::service::order::article_ordering(&[]);
        assert!(columns
            .and_ordering(&ordering)
            .has(article::Column::PublishedAt));
        assert!(Columns::<article::Entity>::ALL.has(article::Column::UpdatedAt));
    }
}
