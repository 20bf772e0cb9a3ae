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
    DatabaseTransaction, DbBackend, DbErr, DeriveIden, IntoActiveModel, QueryFilter, QuerySelect,
};

use super::{ImportError, ImportSummary, Problem};
use crate::service::links::{insert_rows, BATCH_ROWS};
use crate::service::lookup::Keyed;
use crate::service::record::Record;

/// From how many created or updated records on an import is a bulk load, after which
/// PostgreSQL vacuums as well as analyses.
const BULK_LOAD_ROWS: u64 = 10_000;

/// Brings the query planner's statistics up to date after an import that changed rows. The
/// import has landed by then: a failure here is only the log's business.
///
/// * Fresh statistics let the planner pick the right indexes (without them SQLite reads
///   articles by status rather than by id, for one).
/// * After a bulk load PostgreSQL also vacuums, which marks the new rows visible to all so
///   that index-only scans need not read the table (autovacuum would get there, later).
/// * SQLite keeps the per-index averages (`sqlite_stat1`) but not the samples of values
///   (`sqlite_stat4`): with samples, every statement whose plan looked at a bound value is
///   parsed and planned again whenever that value changes, which for the visibility test's
///   "now" is every request (a fifth of the server's CPU on the front page, measured). The
///   averages pick the same plans for this schema's queries.
async fn refresh_statistics(db: &DatabaseConnection, changed: u64) {
    let statements: &[&str] = match db.get_database_backend() {
        DbBackend::Postgres if changed >= BULK_LOAD_ROWS => &["VACUUM (ANALYZE)"],
        DbBackend::Sqlite => &[
            "ANALYZE",
            "DELETE FROM sqlite_stat4",
            // Makes the open connections read the statistics again.
            "ANALYZE sqlite_schema",
        ],
        _ => &["ANALYZE"],
    };
    for statement in statements {
        if let Err(cause) = db.execute_unprepared(statement).await {
            tracing::warn!(error = %cause, statement, "after an import");
            return;
        }
    }
}

/// SQLite's page cache for the import's connection while it imports: 64 MiB (a negative
/// size is in KiB). An import is one transaction; with the usual 2 MiB, pages it changed are
/// soon spilled to the write-ahead log and read back from it, through the kernel, whenever
/// the transaction touches them again (a third of the time of importing the benchmark's
/// 100,000 articles, most of it in system calls). Larger caches measured no faster.
const IMPORT_CACHE: &str = "PRAGMA cache_size = -65536";

/// SQLite's default page cache (2 MiB), which the import's connection gets back.
const USUAL_CACHE: &str = "PRAGMA cache_size = -2000";

/// How many slug → id pairs the cache keeps per kind before it starts over.
const CACHED_SLUGS_PER_KIND: usize = 10_000;

/// How many consecutive records of one kind are written together: their slugs claimed, their
/// references looked up and their new rows inserted in a few statements for all of them.
const RECORDS_PER_BATCH: usize = 256;

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

/// What writing a batch of records did to each, or the index of the first that failed and why.
pub(super) type Written = Result<Vec<Outcome>, (usize, Fault)>;

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
    /// Records read but not yet written, all of one kind, with their locations.
    pending: Vec<(String, Record)>,
}

impl Store {
    /// Opens the import's transaction.
    pub(super) async fn begin(db: &DatabaseConnection) -> Result<Store, DbErr> {
        // Takes the write lock at once (SQLite), so that a mutation running meanwhile makes the
        // import wait rather than fail when it starts to write.
        let txn = crate::service::begin_write(db).await?;
        let seen = Table::create()
            .table(ImportSeen::Table)
            .temporary()
            .col(ColumnDef::new(ImportSeen::Kind).text().not_null())
            .col(ColumnDef::new(ImportSeen::Slug).text().not_null())
            .col(ColumnDef::new(ImportSeen::Location).text().not_null())
            .primary_key(Index::create().col(ImportSeen::Kind).col(ImportSeen::Slug))
            .to_owned();
        txn.execute(&seen).await?;
        if db.get_database_backend() == DbBackend::Sqlite {
            txn.execute_unprepared(IMPORT_CACHE).await?;
        }
        Ok(Store {
            db: db.clone(),
            txn,
            now: to_micros(Utc::now()),
            ids: Default::default(),
            summary: ImportSummary::default(),
            pending: Vec::new(),
        })
    }

    /// Commits when every record landed, rolls everything back otherwise.
    pub(super) async fn finish(
        mut self,
        outcome: Result<(), ImportError>,
    ) -> Result<ImportSummary, ImportError> {
        // Records still waiting came before whatever ended the input, so their errors win.
        let flushed = self.flush().await;
        let outcome = flushed.and(outcome);
        if self.db.get_database_backend() == DbBackend::Sqlite {
            // The connection goes back to the pool (and its memory to the system) with the
            // usual cache; failing that is only the log's business.
            if let Err(cause) = self.txn.execute_unprepared(USUAL_CACHE).await {
                tracing::warn!(error = %cause, "resetting the import's page cache");
            }
        }
        match outcome {
            Ok(()) => {
                self.txn
                    .execute(&Table::drop().table(ImportSeen::Table).to_owned())
                    .await?;
                self.txn.commit().await?;
                let changed = self.summary.created + self.summary.updated;
                if changed > 0 {
                    refresh_statistics(&self.db, changed).await;
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

    /// Takes one record found at `location` (`line 3`, `articles[2]`); it is written with the
    /// records of the same kind around it, at the latest by `finish`.
    pub(super) async fn import(
        &mut self,
        record: Record,
        location: &str,
    ) -> Result<(), ImportError> {
        let same_kind = self
            .pending
            .first()
            .is_none_or(|(_, first)| kind_of(first) == kind_of(&record));
        if !same_kind || self.pending.len() >= RECORDS_PER_BATCH {
            self.flush().await?;
        }
        self.pending.push((location.to_owned(), record));
        Ok(())
    }

    /// Writes the pending records: claims their slugs, looks up what they refer to and which
    /// of them exist, then updates those one by one and inserts the new ones together.
    /// Errors name the first record at fault, in input order.
    async fn flush(&mut self) -> Result<(), ImportError> {
        let batch = std::mem::take(&mut self.pending);
        let Some((_, first)) = batch.first() else {
            return Ok(());
        };
        let kind = kind_of(first);
        let (claimed, refused) = self.claim_all(kind, &batch).await?;
        let mut batch = batch;
        batch.truncate(claimed);
        // A record that breaks the rules ends the batch where it stands, as a refused slug does.
        let broken = batch.iter().enumerate().find_map(|(index, (_, record))| {
            super::rules::check(record)
                .err()
                .map(|problem| (index, problem))
        });
        let refused = match broken {
            Some((index, problem)) => {
                let location = batch[index].0.clone();
                batch.truncate(index);
                Some((location, problem))
            }
            None => refused,
        };
        self.prefetch(&batch).await?;
        let (locations, records): (Vec<String>, Vec<Record>) = batch.into_iter().unzip();
        let written = match kind {
            Kind::Source => self.write_sources(records).await,
            Kind::Tag => self.write_tags(records).await,
            Kind::Person => self.write_people(records).await,
            Kind::Meeting => self.write_meetings(records).await,
            Kind::Article => self.write_articles(records).await,
        };
        match written {
            Ok(outcomes) => {
                for outcome in outcomes {
                    match outcome {
                        Outcome::Created => self.summary.created += 1,
                        Outcome::Updated => self.summary.updated += 1,
                        Outcome::Unchanged => self.summary.unchanged += 1,
                    }
                }
            }
            Err((index, Fault::Invalid(problem))) => {
                let location = locations.get(index).cloned().unwrap_or_default();
                return Err(problem.at(location));
            }
            Err((_, Fault::Database(cause))) => return Err(ImportError::Database(cause)),
        }
        match refused {
            Some((location, problem)) => Err(problem.at(location)),
            None => Ok(()),
        }
    }

    /// Checks the records' slugs and notes that this import has them. Returns how many records
    /// from the start passed, and the problem of the first that did not (an empty slug, or a
    /// slug given earlier in this import) with its location.
    async fn claim_all(
        &mut self,
        kind: Kind,
        batch: &[(String, Record)],
    ) -> Result<(usize, Option<(String, Problem)>), DbErr> {
        let mut first_at: HashMap<&str, &str> = HashMap::new();
        let mut refused = None;
        for (index, (location, record)) in batch.iter().enumerate() {
            let slug = slug_of(record);
            if slug.trim().is_empty() {
                refused = Some((index, Problem::new("slug", "must not be empty")));
                break;
            }
            if let Some(earlier) = first_at.insert(slug, location) {
                refused = Some((index, given_twice(kind, slug, earlier)));
                break;
            }
        }
        let mut passed = refused.as_ref().map_or(batch.len(), |(index, _)| *index);
        let slugs: Vec<&str> = batch[..passed]
            .iter()
            .map(|(_, record)| slug_of(record))
            .collect();
        // One statement through the table's key: the slugs it returns are new to this
        // import; one it does not return was claimed by an earlier batch. (A `SELECT … IN`
        // first would scan the temporary table, which has no statistics, on PostgreSQL.)
        let mut insert = Query::insert();
        insert
            .into_table(ImportSeen::Table)
            .columns([ImportSeen::Kind, ImportSeen::Slug, ImportSeen::Location])
            .on_conflict(
                OnConflict::columns([ImportSeen::Kind, ImportSeen::Slug])
                    .do_nothing()
                    .to_owned(),
            )
            .returning_col(ImportSeen::Slug);
        for (location, record) in &batch[..passed] {
            insert
                .values([kind.name().into(), slug_of(record).into(), location.into()])
                .map_err(|cause| DbErr::Custom(cause.to_string()))?;
        }
        if passed > 0 {
            let mut claimed: HashSet<String> = HashSet::new();
            for row in self.txn.query_all(&insert).await? {
                claimed.insert(row.try_get("", "slug")?);
            }
            if let Some(index) = slugs.iter().position(|slug| !claimed.contains(*slug)) {
                let slug = slugs[index];
                let earlier = Query::select()
                    .column(ImportSeen::Location)
                    .from(ImportSeen::Table)
                    .and_where(Expr::col(ImportSeen::Kind).eq(kind.name()))
                    .and_where(Expr::col(ImportSeen::Slug).eq(slug))
                    .to_owned();
                let earlier = match self.txn.query_one(&earlier).await? {
                    Some(row) => row.try_get::<String>("", "location")?,
                    None => "an earlier record".to_owned(),
                };
                refused = Some((index, given_twice(kind, slug, &earlier)));
                passed = index;
            }
        }
        let refused = refused.map(|(index, problem)| (batch[index].0.clone(), problem));
        Ok((passed, refused))
    }

    /// Looks up, in one statement per kind, every record the batch refers to that the cache
    /// does not hold, so that resolving each record's references needs no statement.
    async fn prefetch(&mut self, batch: &[(String, Record)]) -> Result<(), DbErr> {
        let mut wanted: [HashSet<String>; Kind::COUNT] = Default::default();
        for (_, record) in batch {
            for (kind, slug) in references(record) {
                wanted[kind.index()].insert(slug.to_owned());
            }
        }
        let [sources, tags, people, meetings, _] = wanted;
        self.look_up::<source::Entity>(sources).await?;
        self.look_up::<tag::Entity>(tags).await?;
        self.look_up::<person::Entity>(people).await?;
        self.look_up::<meeting::Entity>(meetings).await?;
        Ok(())
    }

    /// Makes the cache hold the ids of the stored records with these slugs, starting it over
    /// when they would not fit beside what it holds.
    async fn look_up<E: Slugged>(&mut self, slugs: HashSet<String>) -> Result<(), DbErr> {
        let cache = &mut self.ids[E::KIND.index()];
        let mut missing: Vec<&String> = slugs
            .iter()
            .filter(|slug| !cache.contains_key(slug.as_str()))
            .collect();
        if cache.len() + missing.len() > CACHED_SLUGS_PER_KIND {
            cache.clear();
            missing = slugs.iter().collect();
        }
        let missing: Vec<&str> = missing.into_iter().map(String::as_str).collect();
        for (id, slug) in ids_by_slug::<E>(&self.txn, &missing).await? {
            self.remember(E::KIND, slug, id);
        }
        Ok(())
    }

    /// The stored rows with these slugs, by slug.
    pub(super) async fn stored<E: Slugged>(
        &self,
        slugs: impl Iterator<Item = &str>,
    ) -> Result<HashMap<String, E::Model>, DbErr> {
        let slugs: Vec<&str> = slugs.collect();
        let mut stored = HashMap::new();
        for batch in slugs.chunks(BATCH_ROWS) {
            let rows = E::find()
                .filter(E::slug_column().is_in(batch.iter().copied()))
                .all(&self.txn)
                .await?;
            stored.extend(
                rows.into_iter()
                    .map(|row| (E::slug_of(&row).to_owned(), row)),
            );
        }
        Ok(stored)
    }

    /// Inserts new rows in order and notes their ids, returned in the same order.
    pub(super) async fn insert_new<E: Slugged>(
        &mut self,
        rows: Vec<E::ActiveModel>,
        slugs: Vec<String>,
    ) -> Result<Vec<i64>, DbErr>
    where
        E::ActiveModel: ActiveModelTrait<Entity = E>,
    {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        insert_rows(&self.txn, rows).await?;
        let cache = &mut self.ids[E::KIND.index()];
        if cache.len() + slugs.len() > CACHED_SLUGS_PER_KIND {
            cache.clear();
        }
        let wanted: Vec<&str> = slugs.iter().map(String::as_str).collect();
        let ids: HashMap<String, i64> = ids_by_slug::<E>(&self.txn, &wanted)
            .await?
            .into_iter()
            .map(|(id, slug)| (slug, id))
            .collect();
        let mut ordered = Vec::with_capacity(slugs.len());
        for slug in slugs {
            let id = *ids
                .get(&slug)
                .ok_or_else(|| DbErr::Custom(format!("inserted {slug:?} but cannot find it")))?;
            self.remember(E::KIND, slug, id);
            ordered.push(id);
        }
        Ok(ordered)
    }

    /// Notes the id of a slug for later references.
    pub(super) fn remember(&mut self, kind: Kind, slug: String, id: i64) {
        self.ids[kind.index()].insert(slug, id);
    }

    /// The ids of referenced records, in the order of `refs`: (index for the field name, slug)
    /// pairs. `prefetch` has put every stored record the batch names into the cache, so a
    /// slug the cache lacks names nothing: an error at `field_of(index)`.
    pub(super) fn resolve<E: Slugged>(
        &self,
        refs: &[(usize, &str)],
        field_of: impl Fn(usize) -> String,
    ) -> Result<Vec<i64>, Fault> {
        let cache = &self.ids[E::KIND.index()];
        refs.iter()
            .map(|&(index, slug)| {
                cache.get(slug).copied().ok_or_else(|| {
                    let message = format!("no {} with slug {slug:?}", E::KIND.name());
                    Fault::Invalid(Problem::new(field_of(index), message))
                })
            })
            .collect()
    }
}

/// The ids and slugs of the stored rows of `E` with these slugs, a few hundred per statement.
async fn ids_by_slug<E: Slugged>(
    txn: &DatabaseTransaction,
    slugs: &[&str],
) -> Result<Vec<(i64, String)>, DbErr> {
    let mut found = Vec::new();
    for batch in slugs.chunks(BATCH_ROWS) {
        let rows: Vec<(i64, String)> = E::find()
            .select_only()
            .column(E::id_column())
            .column(E::slug_column())
            .filter(E::slug_column().is_in(batch.iter().copied()))
            .into_tuple()
            .all(txn)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// The kind of a record.
fn kind_of(record: &Record) -> Kind {
    match record {
        Record::Source(_) => Kind::Source,
        Record::Tag(_) => Kind::Tag,
        Record::Person(_) => Kind::Person,
        Record::Meeting(_) => Kind::Meeting,
        Record::Article(_) => Kind::Article,
    }
}

/// The slug of a record.
pub(super) fn slug_of(record: &Record) -> &str {
    match record {
        Record::Source(record) => &record.slug,
        Record::Tag(record) => &record.slug,
        Record::Person(record) => &record.slug,
        Record::Meeting(record) => &record.slug,
        Record::Article(record) => &record.slug,
    }
}

/// The records a record refers to, by kind and slug.
fn references(record: &Record) -> Vec<(Kind, &str)> {
    match record {
        Record::Source(_) | Record::Tag(_) | Record::Person(_) => Vec::new(),
        Record::Meeting(record) => record
            .participants
            .iter()
            .map(|taking_part| (Kind::Person, taking_part.person.as_str()))
            .collect(),
        Record::Article(record) => {
            let source = record
                .source
                .iter()
                .map(|slug| (Kind::Source, slug.as_str()));
            let tags = record.tags.iter().map(|slug| (Kind::Tag, slug.as_str()));
            let people = record
                .people
                .iter()
                .map(|slug| (Kind::Person, slug.as_str()));
            let meetings = record
                .meetings
                .iter()
                .map(|slug| (Kind::Meeting, slug.as_str()));
            let speakers = record
                .quotes
                .iter()
                .map(|said| (Kind::Person, said.person.as_str()));
            let occasions = record
                .quotes
                .iter()
                .filter_map(|said| said.meeting.as_deref().map(|slug| (Kind::Meeting, slug)));
            source
                .chain(tags)
                .chain(people)
                .chain(meetings)
                .chain(speakers)
                .chain(occasions)
                .collect()
        }
    }
}

/// The problem of a record whose slug an earlier record of this import has.
fn given_twice(kind: Kind, slug: &str, earlier: &str) -> Problem {
    let message = format!(
        "{} {slug:?} is given twice in this import (first at {earlier})",
        kind.name()
    );
    Problem::new("slug", message)
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
