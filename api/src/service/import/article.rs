//! Writing articles with their tags, people, meetings and quotes, a batch at a time: new
//! slugs are inserted together; a stored article is left alone when the record says the
//! same, otherwise updated, its `version` bumped and the lists that changed replaced.

use chrono::{DateTime, Utc};
use entity::{
    article, article_meeting, article_person, article_tag, meeting, person, quote, source, tag,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::store::{no_duplicates, to_micros, write_back, Fault, Given, Outcome, Store, Written};
use super::write::{failed, records_of};
use super::Problem;
use crate::service::links::{insert_rows, link_rows, replace_links, stored_links};
use crate::service::record::{ArticleRecord, QuoteRecord, Record};

impl Store {
    /// Writes a batch of articles with their links and quotes.
    pub(super) async fn write_articles(&mut self, records: Vec<Record>) -> Written {
        let records = records_of!(records, Article);
        let slugs = records.iter().map(|record| record.slug.as_str());
        let mut stored = self
            .stored::<article::Entity>(slugs)
            .await
            .map_err(failed)?;
        let (mut outcomes, mut rows, mut slugs, mut lists) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (index, record) in records.into_iter().enumerate() {
            let at = |fault| (index, fault);
            let (source_id, links, quotes) = self.resolve_references(&record).map_err(at)?;
            let given = Given::new(record.created_at, record.updated_at);
            let published_at = record.published_at.map(to_micros);
            let outcome = match stored.remove(&record.slug) {
                Some(row) => {
                    let wanted = (source_id, links, quotes);
                    self.update_article(*record, wanted, row).await
                }
                None => {
                    let (created_at, updated_at) = given.for_new(self.now);
                    slugs.push(record.slug.clone());
                    rows.push(article::ActiveModel {
                        id: NotSet,
                        slug: Set(record.slug),
                        title: Set(record.title),
                        summary: Set(record.summary),
                        body: Set(record.body),
                        language: Set(record.language),
                        status: Set(record.status),
                        featured: Set(record.featured),
                        published_at: Set(published_at),
                        source_id: Set(source_id),
                        version: Set(1),
                        created_at: Set(created_at),
                        updated_at: Set(updated_at),
                    });
                    lists.push((links, quotes, updated_at));
                    Ok(Outcome::Created)
                }
            };
            outcomes.push(outcome.map_err(at)?);
        }
        let ids = self
            .insert_new::<article::Entity>(rows, slugs)
            .await
            .map_err(failed)?;
        let (mut tags, mut people, mut meetings, mut quotes) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (id, (links, said, written_at)) in ids.into_iter().zip(lists) {
            tags.extend(link_rows::<article_tag::Entity>(id, &links.tags));
            people.extend(link_rows::<article_person::Entity>(id, &links.people));
            meetings.extend(link_rows::<article_meeting::Entity>(id, &links.meetings));
            quotes.extend(quote_rows(id, said, written_at));
        }
        insert_rows(&self.txn, tags).await.map_err(failed)?;
        insert_rows(&self.txn, people).await.map_err(failed)?;
        insert_rows(&self.txn, meetings).await.map_err(failed)?;
        insert_rows(&self.txn, quotes).await.map_err(failed)?;
        Ok(outcomes)
    }

    /// What an article refers to, resolved: its source, links and quotes.
    fn resolve_references(
        &self,
        record: &ArticleRecord,
    ) -> Result<(Option<i64>, Links, Vec<WantedQuote>), Fault> {
        no_duplicates(&record.tags, |index| format!("tags[{index}]"))?;
        no_duplicates(&record.people, |index| format!("people[{index}]"))?;
        no_duplicates(&record.meetings, |index| format!("meetings[{index}]"))?;
        let source_id = match record.source.as_deref() {
            Some(slug) => {
                let ids = self.resolve::<source::Entity>(&[(0, slug)], |_| "source".to_owned())?;
                ids.into_iter().next()
            }
            None => None,
        };
        let links = Links {
            tags: self.resolve::<tag::Entity>(&numbered(&record.tags), |index| {
                format!("tags[{index}]")
            })?,
            people: self.resolve::<person::Entity>(&numbered(&record.people), |index| {
                format!("people[{index}]")
            })?,
            meetings: self.resolve::<meeting::Entity>(&numbered(&record.meetings), |index| {
                format!("meetings[{index}]")
            })?,
        };
        let quotes = self.resolve_quotes(&record.quotes)?;
        Ok((source_id, links, quotes))
    }

    /// Updates a stored article to what the record says, if that differs.
    async fn update_article(
        &self,
        record: ArticleRecord,
        (source_id, links, quotes): (Option<i64>, Links, Vec<WantedQuote>),
        stored: article::Model,
    ) -> Result<Outcome, Fault> {
        let given = Given::new(record.created_at, record.updated_at);
        let published_at = record.published_at.map(to_micros);
        let tags_changed =
            stored_links::<article_tag::Entity>(&self.txn, stored.id).await? != links.tags;
        let people_changed =
            stored_links::<article_person::Entity>(&self.txn, stored.id).await? != links.people;
        let meetings_changed =
            stored_links::<article_meeting::Entity>(&self.txn, stored.id).await? != links.meetings;
        let stored_quotes = quote::Entity::find()
            .filter(quote::Column::ArticleId.eq(stored.id))
            .order_by_asc(quote::Column::Position)
            .order_by_asc(quote::Column::Id)
            .all(&self.txn)
            .await?;
        let quotes_changed = stored_quotes.len() != quotes.len()
            || stored_quotes
                .iter()
                .zip(&quotes)
                .enumerate()
                .any(|(index, (stored, wanted))| !wanted.matches(stored, position_of(index)));
        let lists_changed = tags_changed || people_changed || meetings_changed || quotes_changed;
        let (created_at, updated_at) = given.over(stored.created_at, stored.updated_at);
        let wanted = article::Model {
            title: record.title,
            summary: record.summary,
            body: record.body,
            language: record.language,
            status: record.status,
            featured: record.featured,
            published_at,
            source_id,
            created_at,
            updated_at,
            ..stored.clone()
        };
        if wanted == stored && !lists_changed {
            return Ok(Outcome::Unchanged);
        }
        let updated_at = given.changed_at(self.now);
        let version = stored.version.saturating_add(1);
        write_back(
            &self.txn,
            article::Model {
                updated_at,
                version,
                ..wanted
            },
        )
        .await?;
        if tags_changed {
            replace_links::<article_tag::Entity>(&self.txn, stored.id, &links.tags).await?;
        }
        if people_changed {
            replace_links::<article_person::Entity>(&self.txn, stored.id, &links.people).await?;
        }
        if meetings_changed {
            replace_links::<article_meeting::Entity>(&self.txn, stored.id, &links.meetings).await?;
        }
        if quotes_changed {
            quote::Entity::delete_many()
                .filter(quote::Column::ArticleId.eq(stored.id))
                .exec(&self.txn)
                .await?;
            let rows = quote_rows(stored.id, quotes, updated_at).collect();
            insert_rows(&self.txn, rows).await?;
        }
        Ok(Outcome::Updated)
    }

    /// The quotes of a record with their speakers and meetings resolved.
    fn resolve_quotes(&self, quotes: &[QuoteRecord]) -> Result<Vec<WantedQuote>, Fault> {
        if i32::try_from(quotes.len()).is_err() {
            return Err(Problem::new("quotes", "too many quotes").into());
        }
        let speakers: Vec<(usize, &str)> = quotes
            .iter()
            .map(|said| said.person.as_str())
            .enumerate()
            .collect();
        let speaker_ids =
            self.resolve::<person::Entity>(&speakers, |index| format!("quotes[{index}].person"))?;
        let meetings: Vec<(usize, &str)> = quotes
            .iter()
            .enumerate()
            .filter_map(|(index, said)| said.meeting.as_deref().map(|slug| (index, slug)))
            .collect();
        let meeting_ids =
            self.resolve::<meeting::Entity>(&meetings, |index| format!("quotes[{index}].meeting"))?;
        let mut meeting_of: Vec<Option<i64>> = vec![None; quotes.len()];
        for (&(index, _), id) in meetings.iter().zip(meeting_ids) {
            if let Some(slot) = meeting_of.get_mut(index) {
                *slot = Some(id);
            }
        }
        Ok(quotes
            .iter()
            .zip(speaker_ids)
            .zip(meeting_of)
            .map(|((said, person_id), meeting_id)| WantedQuote {
                person_id,
                meeting_id,
                verb: said.verb.clone(),
                text: said.text.clone(),
                given: Given::new(said.created_at, said.updated_at),
            })
            .collect())
    }
}

/// The ids an article links to, in the record's order.
struct Links {
    tags: Vec<i64>,
    people: Vec<i64>,
    meetings: Vec<i64>,
}

/// A quote as the record gives it, references resolved.
struct WantedQuote {
    person_id: i64,
    meeting_id: Option<i64>,
    verb: Option<String>,
    text: String,
    given: Given,
}

impl WantedQuote {
    /// Whether `stored`, at `position`, already says this (timestamps compared when given).
    fn matches(&self, stored: &quote::Model, position: i32) -> bool {
        stored.position == position
            && stored.person_id == self.person_id
            && stored.meeting_id == self.meeting_id
            && stored.verb == self.verb
            && stored.text == self.text
            && self.given.over(stored.created_at, stored.updated_at)
                == (stored.created_at, stored.updated_at)
    }
}

/// A quote's `position`: its index in the article's list (the list's length was checked).
fn position_of(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}

/// Slugs with their indexes, as `Store::resolve` takes them.
fn numbered(slugs: &[String]) -> Vec<(usize, &str)> {
    slugs.iter().map(String::as_str).enumerate().collect()
}

/// The rows of an article's quotes; those without timestamps get the article's `updated_at`.
fn quote_rows(
    article_id: i64,
    quotes: Vec<WantedQuote>,
    written_at: DateTime<Utc>,
) -> impl Iterator<Item = quote::ActiveModel> {
    quotes.into_iter().enumerate().map(move |(index, said)| {
        let (created_at, updated_at) = said.given.for_new(written_at);
        quote::ActiveModel {
            id: NotSet,
            article_id: Set(article_id),
            person_id: Set(said.person_id),
            meeting_id: Set(said.meeting_id),
            verb: Set(said.verb),
            text: Set(said.text),
            position: Set(position_of(index)),
            created_at: Set(created_at),
            updated_at: Set(updated_at),
        }
    })
}
