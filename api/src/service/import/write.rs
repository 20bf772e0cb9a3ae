//! Writing sources, tags, people and meetings: insert a new slug; leave a stored record alone
//! when the record says the same; otherwise update it and replace the lists that changed.

use entity::{
    meeting, meeting_participant, person, person_alias, position, source, tag, ParticipantRole,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::store::{
    find_by_slug, insert_rows, no_duplicates, write_back, Fault, Given, Kind, Outcome, Store,
};
use crate::service::record::{
    MeetingRecord, PersonRecord, PositionRecord, SourceRecord, TagRecord,
};

impl Store {
    /// Writes a source.
    pub(super) async fn write_source(
        &mut self,
        record: SourceRecord,
        location: &str,
    ) -> Result<Outcome, Fault> {
        self.claim(Kind::Source, &record.slug, location).await?;
        let given = Given::new(record.created_at, record.updated_at);
        let Some(stored) = find_by_slug::<source::Entity>(&self.txn, &record.slug).await? else {
            let (created_at, updated_at) = given.for_new(self.now);
            let row = source::ActiveModel {
                id: NotSet,
                slug: Set(record.slug.clone()),
                name: Set(record.name),
                kind: Set(record.kind),
                url: Set(record.url),
                description: Set(record.description),
                created_at: Set(created_at),
                updated_at: Set(updated_at),
            };
            let id = source::Entity::insert(row)
                .exec(&self.txn)
                .await?
                .last_insert_id;
            self.remember(Kind::Source, record.slug, id);
            return Ok(Outcome::Created);
        };
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

    /// Writes a tag.
    pub(super) async fn write_tag(
        &mut self,
        record: TagRecord,
        location: &str,
    ) -> Result<Outcome, Fault> {
        self.claim(Kind::Tag, &record.slug, location).await?;
        let given = Given::new(record.created_at, record.updated_at);
        let Some(stored) = find_by_slug::<tag::Entity>(&self.txn, &record.slug).await? else {
            let (created_at, updated_at) = given.for_new(self.now);
            let row = tag::ActiveModel {
                id: NotSet,
                slug: Set(record.slug.clone()),
                name: Set(record.name),
                created_at: Set(created_at),
                updated_at: Set(updated_at),
            };
            let id = tag::Entity::insert(row)
                .exec(&self.txn)
                .await?
                .last_insert_id;
            self.remember(Kind::Tag, record.slug, id);
            return Ok(Outcome::Created);
        };
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

    /// Writes a person with their aliases and positions.
    pub(super) async fn write_person(
        &mut self,
        record: PersonRecord,
        location: &str,
    ) -> Result<Outcome, Fault> {
        self.claim(Kind::Person, &record.slug, location).await?;
        no_duplicates(&record.aliases, |index| format!("aliases[{index}]"))?;
        let given = Given::new(record.created_at, record.updated_at);
        let Some(stored) = find_by_slug::<person::Entity>(&self.txn, &record.slug).await? else {
            let (created_at, updated_at) = given.for_new(self.now);
            let row = person::ActiveModel {
                id: NotSet,
                slug: Set(record.slug.clone()),
                name: Set(record.name),
                native_name: Set(record.native_name),
                country: Set(record.country),
                bio: Set(record.bio),
                created_at: Set(created_at),
                updated_at: Set(updated_at),
            };
            let id = person::Entity::insert(row)
                .exec(&self.txn)
                .await?
                .last_insert_id;
            self.remember(Kind::Person, record.slug, id);
            self.insert_aliases(id, record.aliases).await?;
            self.insert_positions(id, record.positions).await?;
            return Ok(Outcome::Created);
        };
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
            self.insert_aliases(stored.id, record.aliases).await?;
        }
        if positions_changed {
            position::Entity::delete_many()
                .filter(position::Column::PersonId.eq(stored.id))
                .exec(&self.txn)
                .await?;
            self.insert_positions(stored.id, record.positions).await?;
        }
        Ok(Outcome::Updated)
    }

    async fn insert_aliases(&self, person_id: i64, aliases: Vec<String>) -> Result<(), Fault> {
        let rows: Vec<_> = aliases
            .into_iter()
            .map(|alias| person_alias::ActiveModel {
                id: NotSet,
                person_id: Set(person_id),
                alias: Set(alias),
            })
            .collect();
        Ok(insert_rows(&self.txn, rows).await?)
    }

    async fn insert_positions(
        &self,
        person_id: i64,
        positions: Vec<PositionRecord>,
    ) -> Result<(), Fault> {
        let rows: Vec<_> = positions
            .into_iter()
            .map(|held| position::ActiveModel {
                id: NotSet,
                person_id: Set(person_id),
                title: Set(held.title),
                organization: Set(held.organization),
                started_on: Set(held.started_on),
                ended_on: Set(held.ended_on),
            })
            .collect();
        Ok(insert_rows(&self.txn, rows).await?)
    }

    /// Writes a meeting with its participants.
    pub(super) async fn write_meeting(
        &mut self,
        record: MeetingRecord,
        location: &str,
    ) -> Result<Outcome, Fault> {
        self.claim(Kind::Meeting, &record.slug, location).await?;
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
        let person_ids = self
            .resolve::<person::Entity>(&people, person_field)
            .await?;
        let participants: Vec<(i64, ParticipantRole)> = person_ids
            .into_iter()
            .zip(
                record
                    .participants
                    .iter()
                    .map(|taking_part| taking_part.role),
            )
            .collect();
        let given = Given::new(record.created_at, record.updated_at);
        let Some(stored) = find_by_slug::<meeting::Entity>(&self.txn, &record.slug).await? else {
            let (created_at, updated_at) = given.for_new(self.now);
            let row = meeting::ActiveModel {
                id: NotSet,
                slug: Set(record.slug.clone()),
                title: Set(record.title),
                description: Set(record.description),
                held_on: Set(record.held_on),
                location: Set(record.location),
                city: Set(record.city),
                country: Set(record.country),
                occasion: Set(record.occasion),
                created_at: Set(created_at),
                updated_at: Set(updated_at),
            };
            let id = meeting::Entity::insert(row)
                .exec(&self.txn)
                .await?
                .last_insert_id;
            self.remember(Kind::Meeting, record.slug, id);
            self.insert_participants(id, participants).await?;
            return Ok(Outcome::Created);
        };
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
            self.insert_participants(stored.id, participants).await?;
        }
        Ok(Outcome::Updated)
    }

    async fn insert_participants(
        &self,
        meeting_id: i64,
        participants: Vec<(i64, ParticipantRole)>,
    ) -> Result<(), Fault> {
        let rows: Vec<_> = participants
            .into_iter()
            .map(|(person_id, role)| meeting_participant::ActiveModel {
                id: NotSet,
                meeting_id: Set(meeting_id),
                person_id: Set(person_id),
                role: Set(role),
            })
            .collect();
        Ok(insert_rows(&self.txn, rows).await?)
    }
}
