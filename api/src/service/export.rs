//! Exporting the whole database in the stream framing of the import format: one record per
//! line, sources, tags, people, meetings and then articles, each by id, timestamps included.
//! Rows are read in id-keyset batches, each batch's lists with one query per list, inside one
//! snapshot, so memory stays flat and the output is consistent. Articles, with their links
//! and quotes, are `export/article.rs`'s.

mod article;

use std::collections::HashMap;

use entity::{
    meeting, meeting_participant, person, person_alias, position, source, tag, ParticipantRole,
};
use sea_orm::{
    AccessMode, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, IsolationLevel, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    TransactionTrait,
};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::record::{
    MeetingRecord, ParticipantRecord, PersonRecord, PositionRecord, Record, SourceRecord, TagRecord,
};
use crate::AppError;

/// How many rows of a table one batch reads.
const BATCH_ROWS: u64 = 500;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// The output could not be written.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    /// A record could not be encoded.
    #[error("cannot encode a record: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<ExportError> for AppError {
    fn from(error: ExportError) -> Self {
        match error {
            ExportError::Database(cause) => cause.into(),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// Writes every record of the database to `writer`, one JSON object per line, and returns how
/// many records it wrote. Importing the output into an empty database and exporting again
/// gives the same bytes.
pub async fn export_stream<W: AsyncWrite + Unpin>(
    db: &DatabaseConnection,
    writer: W,
) -> Result<u64, ExportError> {
    let txn = begin_snapshot(db).await?;
    let mut lines = Lines {
        writer,
        buffer: Vec::new(),
        written: 0,
    };
    export_sources(&txn, &mut lines).await?;
    export_tags(&txn, &mut lines).await?;
    export_people(&txn, &mut lines).await?;
    export_meetings(&txn, &mut lines).await?;
    article::export_articles(&txn, &mut lines).await?;
    let written = lines.finish().await?;
    txn.commit().await?;
    Ok(written)
}

/// A read-only transaction that sees one state of the database throughout (PostgreSQL:
/// REPEATABLE READ; SQLite: a read transaction is a snapshot already).
async fn begin_snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await
        }
        _ => db.begin().await,
    }
}

/// The output: records buffered as JSON lines, written out batch by batch.
struct Lines<W> {
    writer: W,
    buffer: Vec<u8>,
    written: u64,
}

impl<W: AsyncWrite + Unpin> Lines<W> {
    fn push(&mut self, record: &Record) -> Result<(), serde_json::Error> {
        serde_json::to_writer(&mut self.buffer, record)?;
        self.buffer.push(b'\n');
        self.written += 1;
        Ok(())
    }

    /// Writes out what is buffered.
    async fn drain(&mut self) -> std::io::Result<()> {
        self.writer.write_all(&self.buffer).await?;
        self.buffer.clear();
        Ok(())
    }

    /// Writes out the rest, flushes, and returns how many records were written.
    async fn finish(mut self) -> std::io::Result<u64> {
        self.drain().await?;
        self.writer.flush().await?;
        Ok(self.written)
    }
}

/// The next batch of a table's rows after id `after`, by id.
async fn batch_after<E: EntityTrait>(
    txn: &DatabaseTransaction,
    id_column: E::Column,
    after: i64,
) -> Result<Vec<E::Model>, DbErr> {
    E::find()
        .filter(id_column.gt(after))
        .order_by_asc(id_column)
        .limit(BATCH_ROWS)
        .all(txn)
        .await
}

/// Values of rows grouped by their parent's id, each group in the rows' order.
fn group<T, V>(
    rows: Vec<T>,
    parent_of: impl Fn(&T) -> i64,
    value_of: impl Fn(T) -> V,
) -> HashMap<i64, Vec<V>> {
    let mut groups: HashMap<i64, Vec<V>> = HashMap::new();
    for row in rows {
        groups
            .entry(parent_of(&row))
            .or_default()
            .push(value_of(row));
    }
    groups
}

async fn export_sources<W: AsyncWrite + Unpin>(
    txn: &DatabaseTransaction,
    lines: &mut Lines<W>,
) -> Result<(), ExportError> {
    let mut after = i64::MIN;
    loop {
        let rows = batch_after::<source::Entity>(txn, source::Column::Id, after).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.id;
        for row in rows {
            lines.push(&Record::Source(SourceRecord {
                slug: row.slug,
                name: row.name,
                kind: row.kind,
                url: row.url,
                description: row.description,
                created_at: Some(row.created_at),
                updated_at: Some(row.updated_at),
            }))?;
        }
        lines.drain().await?;
    }
}

async fn export_tags<W: AsyncWrite + Unpin>(
    txn: &DatabaseTransaction,
    lines: &mut Lines<W>,
) -> Result<(), ExportError> {
    let mut after = i64::MIN;
    loop {
        let rows = batch_after::<tag::Entity>(txn, tag::Column::Id, after).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.id;
        for row in rows {
            lines.push(&Record::Tag(TagRecord {
                slug: row.slug,
                name: row.name,
                created_at: Some(row.created_at),
                updated_at: Some(row.updated_at),
            }))?;
        }
        lines.drain().await?;
    }
}

async fn export_people<W: AsyncWrite + Unpin>(
    txn: &DatabaseTransaction,
    lines: &mut Lines<W>,
) -> Result<(), ExportError> {
    let mut after = i64::MIN;
    loop {
        let rows = batch_after::<person::Entity>(txn, person::Column::Id, after).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.id;
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let aliases = person_alias::Entity::find()
            .filter(person_alias::Column::PersonId.is_in(ids.iter().copied()))
            .order_by_asc(person_alias::Column::Id)
            .all(txn)
            .await?;
        let mut aliases = group(aliases, |row| row.person_id, |row| row.alias);
        let positions = position::Entity::find()
            .filter(position::Column::PersonId.is_in(ids.iter().copied()))
            .order_by_asc(position::Column::Id)
            .all(txn)
            .await?;
        let mut positions = group(positions, |row| row.person_id, PositionRecord::from);
        for row in rows {
            lines.push(&Record::Person(PersonRecord {
                aliases: aliases.remove(&row.id).unwrap_or_default(),
                positions: positions.remove(&row.id).unwrap_or_default(),
                slug: row.slug,
                name: row.name,
                native_name: row.native_name,
                country: row.country,
                bio: row.bio,
                created_at: Some(row.created_at),
                updated_at: Some(row.updated_at),
            }))?;
        }
        lines.drain().await?;
    }
}

async fn export_meetings<W: AsyncWrite + Unpin>(
    txn: &DatabaseTransaction,
    lines: &mut Lines<W>,
) -> Result<(), ExportError> {
    let mut after = i64::MIN;
    loop {
        let rows = batch_after::<meeting::Entity>(txn, meeting::Column::Id, after).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.id;
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let participants: Vec<(i64, String, ParticipantRole)> = meeting_participant::Entity::find()
            .select_only()
            .column(meeting_participant::Column::MeetingId)
            .column(person::Column::Slug)
            .column(meeting_participant::Column::Role)
            .join(
                JoinType::InnerJoin,
                meeting_participant::Relation::Person.def(),
            )
            .filter(meeting_participant::Column::MeetingId.is_in(ids.iter().copied()))
            .order_by_asc(meeting_participant::Column::Id)
            .into_tuple()
            .all(txn)
            .await?;
        let mut participants = group(
            participants,
            |(meeting_id, _, _)| *meeting_id,
            |(_, person, role)| ParticipantRecord { person, role },
        );
        for row in rows {
            lines.push(&Record::Meeting(MeetingRecord {
                participants: participants.remove(&row.id).unwrap_or_default(),
                slug: row.slug,
                title: row.title,
                description: row.description,
                held_on: row.held_on,
                location: row.location,
                city: row.city,
                country: row.country,
                occasion: row.occasion,
                created_at: Some(row.created_at),
                updated_at: Some(row.updated_at),
            }))?;
        }
        lines.drain().await?;
    }
}
