//! Writing sources, tags, people and meetings, a batch of one kind at a time: new slugs are
//! inserted together; a stored record is left alone when the record says the same, otherwise
//! updated with the lists that changed replaced.

use entity::{
    meeting, meeting_participant, person, person_alias, position, source, tag, ParticipantRole,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::store::{no_duplicates, write_back, Fault, Given, Outcome, Store, Written};
use crate::service::links::insert_rows;
use crate::service::record::{
    MeetingRecord, PersonRecord, PositionRecord, Record, SourceRecord, TagRecord,
};

/// The records of one kind out of a batch (the batch holds no other kind).
macro_rules! records_of {
    ($records:expr, $variant:ident) => {
        $records
            .into_iter()
            .filter_map(|record| match record {
                Record::$variant(record) => Some(record),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
}
pub(super) use records_of;

/// A database error while writing a batch (no record is at fault).
pub(super) fn failed(cause: sea_orm::DbErr) -> (usize, Fault) {
    (0, Fault::Database(cause))
}

impl Store {
    /// Writes a batch of sources.
    pub(super) async fn write_sources(&mut self, records: Vec<Record>) -> Written {
        let records = records_of!(records, Source);
        let slugs = records.iter().map(|record| record.slug.as_str());
        let mut stored = self.stored::<source::Entity>(slugs).await.map_err(failed)?;
        let (mut outcomes, mut rows, mut slugs) = (Vec::new(), Vec::new(), Vec::new());
        for (index, record) in records.into_iter().enumerate() {
            let outcome = match stored.remove(&record.slug) {
                Some(row) => self.update_source(record, row).await,
                None => {
                    slugs.push(record.slug.clone());
                    rows.push(self.new_source(record));
                    Ok(Outcome::Created)
                }
            };
            outcomes.push(outcome.map_err(|fault| (index, fault))?);
        }
        self.insert_new::<source::Entity>(rows, slugs)
            .await
            .map_err(failed)?;
        Ok(outcomes)
    }

    fn new_source(&self, record: SourceRecord) -> source::ActiveModel {
        let given = Given::new(record.created_at, record.updated_at);
        let (created_at, updated_at) = given.for_new(self.now);
        source::ActiveModel {
            id: NotSet,
            slug: Set(record.slug.clone()),
            name: Set(record.name),
            kind: Set(record.kind),
            url: Set(record.url),
            description: Set(record.description),
            created_at: Set(created_at),
            updated_at: Set(updated_at),
        }
    }

    async fn update_source(
        &self,
        record: SourceRecord,
        stored: source::Model,
    ) -> Result<Outcome, Fault> {
        let given = Given::new(record.created_at, record.updated_at);
        let (created_at, updated_at) = given.over(stored.created_at, stored.updated_at);
        let wanted = source::Model {
            name: record.name,
            kind: record.kind,
            url: record.url,
            description: record.description,
            created_at,
            updated_at,
            ..stored.clone()
        };
        if wanted == stored {
            return Ok(Outcome::Unchanged);
        }
        let updated_at = given.changed_at(self.now);
        write_back(
            &self.txn,
            source::Model {
                updated_at,
                ..wanted
            },
        )
        .await?;
        Ok(Outcome::Updated)
    }

    /// Writes a batch of tags.
    pub(super) async fn write_tags(&mut self, records: Vec<Record>) -> Written {
        let records = records_of!(records, Tag);
        let slugs = records.iter().map(|record| record.slug.as_str());
        let mut stored = self.stored::<tag::Entity>(slugs).await.map_err(failed)?;
        let (mut outcomes, mut rows, mut slugs) = (Vec::new(), Vec::new(), Vec::new());
        for (index, record) in records.into_iter().enumerate() {
            let outcome = match stored.remove(&record.slug) {
                Some(row) => self.update_tag(record, row).await,
                None => {
                    let given = Given::new(record.created_at, record.updated_at);
                    let (created_at, updated_at) = given.for_new(self.now);
                    slugs.push(record.slug.clone());
                    rows.push(tag::ActiveModel {
                        id: NotSet,
                        slug: Set(record.slug),
                        name: Set(record.name),
                        created_at: Set(created_at),
                        updated_at: Set(updated_at),
                    });
                    Ok(Outcome::Created)
                }
            };
            outcomes.push(outcome.map_err(|fault| (index, fault))?);
        }
        self.insert_new::<tag::Entity>(rows, slugs)
            .await
            .map_err(failed)?;
        Ok(outcomes)
    }

    async fn update_tag(&self, record: TagRecord, stored: tag::Model) -> Result<Outcome, Fault> {
        let given = Given::new(record.created_at, record.updated_at);
        let (created_at, updated_at) = given.over(stored.created_at, stored.updated_at);
        let wanted = tag::Model {
            name: record.name,
            created_at,
            updated_at,
            ..stored.clone()
        };
        if wanted == stored {
            return Ok(Outcome::Unchanged);
        }
        let updated_at = given.changed_at(self.now);
        write_back(
            &self.txn,
            tag::Model {
                updated_at,
                ..wanted
            },
        )
        .await?;
        Ok(Outcome::Updated)
    }

    /// Writes a batch of people with their aliases and positions.
    pub(super) async fn write_people(&mut self, records: Vec<Record>) -> Written {
        let records = records_of!(records, Person);
        let slugs = records.iter().map(|record| record.slug.as_str());
        let mut stored = self.stored::<person::Entity>(slugs).await.map_err(failed)?;
        let (mut outcomes, mut rows, mut slugs, mut lists) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (index, record) in records.into_iter().enumerate() {
            let checked = no_duplicates(&record.aliases, |index| format!("aliases[{index}]"));
            checked.map_err(|problem| (index, problem.into()))?;
            let outcome = match stored.remove(&record.slug) {
                Some(row) => self.update_person(record, row).await,
                None => {
                    let given = Given::new(record.created_at, record.updated_at);
                    let (created_at, updated_at) = given.for_new(self.now);
                    slugs.push(record.slug.clone());
                    rows.push(person::ActiveModel {
                        id: NotSet,
                        slug: Set(record.slug),
                        name: Set(record.name),
                        native_name: Set(record.native_name),
                        country: Set(record.country),
                        bio: Set(record.bio),
                        created_at: Set(created_at),
                        updated_at: Set(updated_at),
                    });
                    lists.push((record.aliases, record.positions));
                    Ok(Outcome::Created)
                }
            };
            outcomes.push(outcome.map_err(|fault| (index, fault))?);
        }
        let ids = self
            .insert_new::<person::Entity>(rows, slugs)
            .await
            .map_err(failed)?;
        let (mut aliases, mut positions) = (Vec::new(), Vec::new());
        for (id, (named, held)) in ids.into_iter().zip(lists) {
            aliases.extend(alias_rows(id, named));
            positions.extend(position_rows(id, held));
        }
        insert_rows(&self.txn, aliases).await.map_err(failed)?;
        insert_rows(&self.txn, positions).await.map_err(failed)?;
        Ok(outcomes)
    }

    async fn update_person(
        &self,
        record: PersonRecord,
        stored: person::Model,
    ) -> Result<Outcome, Fault> {
        let given = Given::new(record.created_at, record.updated_at);
        let stored_aliases: Vec<String> = person_alias::Entity::find()
            .filter(person_alias::Column::PersonId.eq(stored.id))
            .order_by_asc(person_alias::Column::Id)
            .all(&self.txn)
            .await?
            .into_iter()
            .map(|row| row.alias)
            .collect();
        let stored_positions: Vec<PositionRecord> = position::Entity::find()
            .filter(position::Column::PersonId.eq(stored.id))
            .order_by_asc(position::Column::Id)
            .all(&self.txn)
            .await?
            .into_iter()
            .map(PositionRecord::from)
            .collect();
        let aliases_changed = stored_aliases != record.aliases;
        let positions_changed = stored_positions != record.positions;
        let (created_at, updated_at) = given.over(stored.created_at, stored.updated_at);
        let wanted = person::Model {
            name: record.name,
            native_name: record.native_name,
            country: record.country,
            bio: record.bio,
            created_at,
            updated_at,
            ..stored.clone()
        };
        if wanted == stored && !aliases_changed && !positions_changed {
            return Ok(Outcome::Unchanged);
        }
        let updated_at = given.changed_at(self.now);
        write_back(
            &self.txn,
            person::Model {
                updated_at,
                ..wanted
            },
        )
        .await?;
        if aliases_changed {
            person_alias::Entity::delete_many()
                .filter(person_alias::Column::PersonId.eq(stored.id))
                .exec(&self.txn)
                .await?;
            let rows = alias_rows(stored.id, record.aliases).collect();
            insert_rows(&self.txn, rows).await?;
        }
        if positions_changed {
            position::Entity::delete_many()
                .filter(position::Column::PersonId.eq(stored.id))
                .exec(&self.txn)
                .await?;
            let rows = position_rows(stored.id, record.positions).collect();
            insert_rows(&self.txn, rows).await?;
        }
        Ok(Outcome::Updated)
    }

    /// Writes a batch of meetings with their participants.
    pub(super) async fn write_meetings(&mut self, records: Vec<Record>) -> Written {
        let records = records_of!(records, Meeting);
        let slugs = records.iter().map(|record| record.slug.as_str());
        let mut stored = self
            .stored::<meeting::Entity>(slugs)
            .await
            .map_err(failed)?;
        let (mut outcomes, mut rows, mut slugs, mut lists) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (index, record) in records.into_iter().enumerate() {
            let participants = self.participants(&record).map_err(|fault| (index, fault))?;
            let outcome = match stored.remove(&record.slug) {
                Some(row) => self.update_meeting(record, participants, row).await,
                None => {
                    let given = Given::new(record.created_at, record.updated_at);
                    let (created_at, updated_at) = given.for_new(self.now);
                    slugs.push(record.slug.clone());
                    rows.push(meeting::ActiveModel {
                        id: NotSet,
                        slug: Set(record.slug),
                        title: Set(record.title),
                        description: Set(record.description),
                        held_on: Set(record.held_on),
                        location: Set(record.location),
                        city: Set(record.city),
                        country: Set(record.country),
                        occasion: Set(record.occasion),
                        created_at: Set(created_at),
                        updated_at: Set(updated_at),
                    });
                    lists.push(participants);
                    Ok(Outcome::Created)
                }
            };
            outcomes.push(outcome.map_err(|fault| (index, fault))?);
        }
        let ids = self
            .insert_new::<meeting::Entity>(rows, slugs)
            .await
            .map_err(failed)?;
        let rows: Vec<_> = ids
            .into_iter()
            .zip(lists)
            .flat_map(|(id, participants)| participant_rows(id, participants))
            .collect();
        insert_rows(&self.txn, rows).await.map_err(failed)?;
        Ok(outcomes)
    }

    /// A meeting's participants with their people resolved.
    fn participants(&self, record: &MeetingRecord) -> Result<Vec<(i64, ParticipantRole)>, Fault> {
        let person_field = |index: usize| format!("participants[{index}].person");
        no_duplicates(
            record
                .participants
                .iter()
                .map(|taking_part| &taking_part.person),
            person_field,
        )?;
        let people: Vec<(usize, &str)> = record
            .participants
            .iter()
            .map(|taking_part| taking_part.person.as_str())
            .enumerate()
            .collect();
        let person_ids = self.resolve::<person::Entity>(&people, person_field)?;
        let participants: Vec<(i64, ParticipantRole)> = person_ids
            .into_iter()
            .zip(
                record
                    .participants
                    .iter()
                    .map(|taking_part| taking_part.role),
            )
            .collect();
        Ok(participants)
    }

    async fn update_meeting(
        &self,
        record: MeetingRecord,
        participants: Vec<(i64, ParticipantRole)>,
        stored: meeting::Model,
    ) -> Result<Outcome, Fault> {
        let given = Given::new(record.created_at, record.updated_at);
        let stored_participants: Vec<(i64, ParticipantRole)> = meeting_participant::Entity::find()
            .filter(meeting_participant::Column::MeetingId.eq(stored.id))
            .order_by_asc(meeting_participant::Column::Id)
            .all(&self.txn)
            .await?
            .into_iter()
            .map(|row| (row.person_id, row.role))
            .collect();
        let participants_changed = stored_participants != participants;
        let (created_at, updated_at) = given.over(stored.created_at, stored.updated_at);
        let wanted = meeting::Model {
            title: record.title,
            description: record.description,
            held_on: record.held_on,
            location: record.location,
            city: record.city,
            country: record.country,
            occasion: record.occasion,
            created_at,
            updated_at,
            ..stored.clone()
        };
        if wanted == stored && !participants_changed {
            return Ok(Outcome::Unchanged);
        }
        let updated_at = given.changed_at(self.now);
        write_back(
            &self.txn,
            meeting::Model {
                updated_at,
                ..wanted
            },
        )
        .await?;
        if participants_changed {
            meeting_participant::Entity::delete_many()
                .filter(meeting_participant::Column::MeetingId.eq(stored.id))
                .exec(&self.txn)
                .await?;
            let rows = participant_rows(stored.id, participants).collect();
            insert_rows(&self.txn, rows).await?;
        }
        Ok(Outcome::Updated)
    }
}

fn alias_rows(
    person_id: i64,
    aliases: Vec<String>,
) -> impl Iterator<Item = person_alias::ActiveModel> {
    aliases
        .into_iter()
        .map(move |alias| person_alias::ActiveModel {
            id: NotSet,
            person_id: Set(person_id),
            alias: Set(alias),
        })
}

fn position_rows(
    person_id: i64,
    positions: Vec<PositionRecord>,
) -> impl Iterator<Item = position::ActiveModel> {
    positions
        .into_iter()
        .map(move |held| position::ActiveModel {
            id: NotSet,
            person_id: Set(person_id),
            title: Set(held.title),
            organization: Set(held.organization),
            started_on: Set(held.started_on),
            ended_on: Set(held.ended_on),
        })
}

fn participant_rows(
    meeting_id: i64,
    participants: Vec<(i64, ParticipantRole)>,
) -> impl Iterator<Item = meeting_participant::ActiveModel> {
    participants
        .into_iter()
        .map(move |(person_id, role)| meeting_participant::ActiveModel {
            id: NotSet,
            meeting_id: Set(meeting_id),
            person_id: Set(person_id),
            role: Set(role),
        })
}
