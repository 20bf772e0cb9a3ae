//! The import's transaction and what every record needs from it: references resolved by slug
//! through a small bounded cache, a record given twice refused, timestamps settled, lists
//! written in batches, and the counts of what happened.

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::hash::Hash;

use chrono::{DateTime, SubsecRound, Utc};
use entity::{article, meeting, person, source, tag};
use sea_orm::sea_query::{ColumnDef, Expr, ExprTrait, Index, OnConflict, Query, Table};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, DeriveIden, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
    TransactionTrait,
};

use super::{ImportError, ImportSummary, Problem};
use crate::service::lookup::Keyed;
use crate::service::record::Record;

/// How many slug → id pairs the cache keeps per kind before it starts over.
const CACHED_SLUGS_PER_KIND: usize = 10_000;

/// How many rows one `INSERT` or `IN (…)` carries, well under every backend's parameter limit.
pub(super) const BATCH_ROWS: usize = 500;

/// The kinds of records, as the format names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Source,
    Tag,
    Person,
    Meeting,
    Article,
}

impl Kind {
    const COUNT: usize = 5;

    /// The name the format uses (`type` of a stream line).
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Source => "source",
            Kind::Tag => "tag",
            Kind::Person => "person",
            Kind::Meeting => "meeting",
            Kind::Article => "article",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// An entity whose records other records name by `slug`.
pub(super) trait Slugged: Keyed {
    const KIND: Kind;
}

macro_rules! slugged {
    ($($module:ident => $kind:ident),* $(,)?) => {$(
        impl Slugged for $module::Entity {
            const KIND: Kind = Kind::$kind;
        }
    )*};
}

slugged!(source => Source, tag => Tag, person => Person, meeting => Meeting, article => Article);

/// Why one record could not be written.
#[derive(Debug)]
pub(super) enum Fault {
    Invalid(Problem),
    Database(DbErr),
}

impl From<Problem> for Fault {
    fn from(problem: Problem) -> Self {
        Fault::Invalid(problem)
    }
}

impl From<DbErr> for Fault {
    fn from(error: DbErr) -> Self {
        Fault::Database(error)
    }
}

/// What writing one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// The temporary table of the slugs this import has written, to refuse a record given twice
/// (the second would make a second import of the same input differ from the first).
#[derive(DeriveIden)]
enum ImportSeen {
    Table,
    Kind,
    Slug,
    Location,
}

/// One import in progress: its transaction and what it has done so far.
pub(super) struct Store {
    db: DatabaseConnection,
    pub(super) txn: DatabaseTransaction,
    /// The import time, for timestamps the input does not give.
    pub(super) now: DateTime<Utc>,
    ids: [HashMap<String, i64>; Kind::COUNT],
    summary: ImportSummary,
}

impl Store {
    /// Opens the import's transaction.
    pub(super) async fn begin(db: &DatabaseConnection) -> Result<Store, DbErr> {
        let txn = db.begin().await?;
        let seen = Table::create()
            .table(ImportSeen::Table)
            .temporary()
            .col(ColumnDef::new(ImportSeen::Kind).text().not_null())
            .col(ColumnDef::new(ImportSeen::Slug).text().not_null())
            .col(ColumnDef::new(ImportSeen::Location).text().not_null())
            .primary_key(Index::create().col(ImportSeen::Kind).col(ImportSeen::Slug))
            .to_owned();
        txn.execute(&seen).await?;
        Ok(Store {
            db: db.clone(),
            txn,
            now: to_micros(Utc::now()),
            ids: Default::default(),
            summary: ImportSummary::default(),
        })
    }

    /// Commits when every record landed, rolls everything back otherwise.
    pub(super) async fn finish(
        self,
        outcome: Result<(), ImportError>,
    ) -> Result<ImportSummary, ImportError> {
        match outcome {
            Ok(()) => {
                self.txn
                    .execute(&Table::drop().table(ImportSeen::Table).to_owned())
                    .await?;
                self.txn.commit().await?;
                if self.summary.created + self.summary.updated > 0 {
                    // Fresh statistics let the query planner pick the right indexes (without
                    // them SQLite reads articles by status rather than by id, for one).
                    self.db.execute_unprepared("ANALYZE").await?;
                }
                Ok(self.summary)
            }
            Err(error) => {
                if let Err(cause) = self.txn.rollback().await {
                    tracing::warn!(error = %cause, "rolling back a failed import");
                }
                Err(error)
            }
        }
    }

    /// Writes one record found at `location` (`line 3`, `articles[2]`).
    pub(super) async fn import(
        &mut self,
        record: Record,
        location: &str,
    ) -> Result<(), ImportError> {
        let written = match record {
            Record::Source(record) => self.write_source(record, location).await,
            Record::Tag(record) => self.write_tag(record, location).await,
            Record::Person(record) => self.write_person(record, location).await,
            Record::Meeting(record) => self.write_meeting(record, location).await,
            Record::Article(record) => self.write_article(*record, location).await,
        };
        match written {
            Ok(Outcome::Created) => self.summary.created += 1,
            Ok(Outcome::Updated) => self.summary.updated += 1,
            Ok(Outcome::Unchanged) => self.summary.unchanged += 1,
            Err(Fault::Invalid(problem)) => return Err(problem.at(location.to_owned())),
            Err(Fault::Database(cause)) => return Err(ImportError::Database(cause)),
        }
        Ok(())
    }

    /// Checks a record's slug and notes that this import has it, refusing a second record
    /// of the same kind and slug.
    pub(super) async fn claim(
        &mut self,
        kind: Kind,
        slug: &str,
        location: &str,
    ) -> Result<(), Fault> {
        if slug.trim().is_empty() {
            return Err(Problem::new("slug", "must not be empty").into());
        }
        let mut insert = Query::insert();
        insert
            .into_table(ImportSeen::Table)
            .columns([ImportSeen::Kind, ImportSeen::Slug, ImportSeen::Location])
            .values([kind.name().into(), slug.into(), location.into()])
            .map_err(|cause| DbErr::Custom(cause.to_string()))?
            .on_conflict(
                OnConflict::columns([ImportSeen::Kind, ImportSeen::Slug])
                    .do_nothing()
                    .to_owned(),
            );
        if self.txn.execute(&insert).await?.rows_affected() > 0 {
            return Ok(());
        }
        let earlier = Query::select()
            .column(ImportSeen::Location)
            .from(ImportSeen::Table)
            .and_where(Expr::col(ImportSeen::Kind).eq(kind.name()))
            .and_where(Expr::col(ImportSeen::Slug).eq(slug))
            .to_owned();
        let earlier = match self.txn.query_one(&earlier).await? {
            Some(row) => row.try_get::<String>("", "location")?,
            None => String::from("an earlier record"),
        };
        let message = format!(
            "{} {slug:?} is given twice in this import (first at {earlier})",
            kind.name()
        );
        Err(Problem::new("slug", message).into())
    }

    /// Notes the id of a slug for later references.
    pub(super) fn remember(&mut self, kind: Kind, slug: String, id: i64) {
        let cache = &mut self.ids[kind.index()];
        if cache.len() >= CACHED_SLUGS_PER_KIND {
            cache.clear();
        }
        cache.insert(slug, id);
    }

    /// The ids of referenced records, in the order of `refs`: (index for the field name, slug)
    /// pairs. A slug neither cached nor in the database is an error at `field_of(index)`.
    pub(super) async fn resolve<E: Slugged>(
        &mut self,
        refs: &[(usize, &str)],
        field_of: impl Fn(usize) -> String,
    ) -> Result<Vec<i64>, Fault> {
        let mut found: HashMap<&str, i64> = HashMap::new();
        let mut missing: HashSet<&str> = HashSet::new();
        let cache = &self.ids[E::KIND.index()];
        for &(_, slug) in refs {
            match cache.get(slug) {
                Some(&id) => {
                    found.insert(slug, id);
                }
                None => {
                    missing.insert(slug);
                }
            }
        }
        let queried: Vec<&str> = missing.iter().copied().collect();
        for batch in queried.chunks(BATCH_ROWS) {
            let rows: Vec<(i64, String)> = E::find()
                .select_only()
                .column(E::id_column())
                .column(E::slug_column())
                .filter(E::slug_column().is_in(batch.iter().copied()))
                .into_tuple()
                .all(&self.txn)
                .await?;
            for (id, slug) in rows {
                if let Some(&key) = missing.get(slug.as_str()) {
                    found.insert(key, id);
                }
                self.remember(E::KIND, slug, id);
            }
        }
        refs.iter()
            .map(|&(index, slug)| {
                found.get(slug).copied().ok_or_else(|| {
                    let message = format!("no {} with slug {slug:?}", E::KIND.name());
                    Fault::Invalid(Problem::new(field_of(index), message))
                })
            })
            .collect()
    }
}

/// The stored row with this slug.
pub(super) async fn find_by_slug<E: Slugged>(
    txn: &DatabaseTransaction,
    slug: &str,
) -> Result<Option<E::Model>, DbErr> {
    E::find().filter(E::slug_column().eq(slug)).one(txn).await
}

/// Writes a changed row back, every column.
pub(super) async fn write_back<A>(
    txn: &DatabaseTransaction,
    row: impl IntoActiveModel<A>,
) -> Result<(), DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
{
    row.into_active_model()
        .reset_all()
        .update_without_returning(txn)
        .await?;
    Ok(())
}

/// Inserts rows in batches, in order (ids grow in the order given).
pub(super) async fn insert_rows<A>(txn: &DatabaseTransaction, rows: Vec<A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(BATCH_ROWS).collect();
        A::Entity::insert_many(batch)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// A timestamp as the database keeps it: UTC, to the microsecond (PostgreSQL's precision),
/// so that what an import writes is what an export reads back.
pub(super) fn to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// The `createdAt` and `updatedAt` a record gives, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Given {
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
}

impl Given {
    pub(super) fn new(
        created_at: Option<DateTime<Utc>>,
        updated_at: Option<DateTime<Utc>>,
    ) -> Self {
        Given {
            created_at: created_at.map(to_micros),
            updated_at: updated_at.map(to_micros),
        }
    }

    /// The timestamps of a new row: those given; else `now` (never before `created_at`)
    /// for `updated_at`, and `updatedAt` or `now` for `created_at`.
    pub(super) fn for_new(self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let created_at = self.created_at.or(self.updated_at).unwrap_or(now);
        let updated_at = self.updated_at.unwrap_or(std::cmp::max(now, created_at));
        (created_at, updated_at)
    }

    /// The timestamps of a stored row as the record sees it: given ones replace stored ones.
    pub(super) fn over(
        self,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            self.created_at.unwrap_or(created_at),
            self.updated_at.unwrap_or(updated_at),
        )
    }

    /// `updated_at` of a row this record changes: the one given, else `now`.
    pub(super) fn changed_at(self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.updated_at.unwrap_or(now)
    }
}

/// Refuses a list that names the same entry twice, at the second one.
pub(super) fn no_duplicates<T: Hash + Eq + Debug>(
    items: impl IntoIterator<Item = T>,
    field_of: impl Fn(usize) -> String,
) -> Result<(), Problem> {
    let mut first_at: HashMap<T, usize> = HashMap::new();
    for (index, item) in items.into_iter().enumerate() {
        if let Some(&first) = first_at.get(&item) {
            let message = format!("duplicate entry {item:?} (also at {})", field_of(first));
            return Err(Problem::new(field_of(index), message));
        }
        first_at.insert(item, index);
    }
    Ok(())
}
