//! The `Meeting` and `Participant` types.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::meeting;

use super::ahead::{self, Ahead};
use super::article::articles_of;
use super::connection::{connection, page_request};
use super::context::{load, load_ahead_or_alone};
use super::enums::{ArticleOrder, ParticipantRole};
use super::error::GqlResult;
use super::filter::ArticleFilter;
use super::id::{encode, NodeKind};
use super::loaders::{ParticipantsOfMeeting, QuotesOfMeeting};
use super::plain::{plain_fields, Plain};
use super::scalar::Date;
use super::selection;
use super::{ArticleConnection, Person, Quote};
use crate::service::article::ArticleParent;
use crate::service::person::Participation;

/// A meeting: who met whom, when and where; with what its page loaded ahead.
#[derive(Clone)]
pub struct Meeting(pub meeting::Model, pub Ahead);

// A page loads its meetings' participants ahead, as each selection asks for them.
super::ahead::loads_ahead!(Meeting, meeting, |loads| loads.add(
    "participants",
    |field| {
        let role: Option<ParticipantRole> = ahead::argument(&field, "role")?;
        Some((
            role.map(Into::into),
            selection::of_child_at(field, "person"),
        ))
    },
    |row, (role, columns)| {
        Some(ParticipantsOfMeeting {
            meeting: row.id,
            role: *role,
            columns: *columns,
        })
    },
));

connection!(
    MeetingConnection,
    MeetingEdge,
    Meeting,
    meeting::Model,
    "meetings"
);

plain_fields!(Meeting {
    "id" => id,
    "slug" => slug,
    "title" => title,
    "description" => description,
    "heldOn" => held_on,
    "location" => location,
    "city" => city,
    "country" => country,
    "occasion" => occasion,
    "createdAt" => created_at,
    "updatedAt" => updated_at,
});

#[Object]
impl Meeting {
    /// The global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeKind::Meeting, self.0.id)
    }
    /// The URL name, unique among meetings.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// "Xi Jinping meets Nikolai Patrushev".
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What the meeting was about.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The day it was held.
    async fn held_on(&self) -> Date {
        Date(self.0.held_on)
    }
    /// The place ("Great Hall of the People").
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    /// The city.
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    /// ISO 3166-1 alpha-2 country code.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
    /// The occasion that brought the participants together.
    async fn occasion(&self) -> Option<&str> {
        self.0.occasion.as_deref()
    }
    /// Who took part, in the order given (only those with `role` when given).
    async fn participants(
        &self,
        ctx: &Context<'_>,
        role: Option<ParticipantRole>,
    ) -> Result<Vec<Participant>> {
        let key = ParticipantsOfMeeting {
            meeting: self.0.id,
            role: role.map(Into::into),
            columns: selection::of_child(ctx, "person"),
        };
        let participants = load_ahead_or_alone!(ctx, &self.1, key);
        Ok(participants
            .unwrap_or_default()
            .into_iter()
            .map(Participant)
            .collect())
    }
    /// Articles that report on the meeting.
    #[allow(clippy::too_many_arguments)]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(desc = "Only articles that match.")] filter: Option<Box<ArticleFilter>>,
        #[graphql(desc = "Default: PUBLISHED_AT_DESC.")] order_by: Option<Vec<ArticleOrder>>,
    ) -> Result<ArticleConnection> {
        let page = page_request(first, after, last, before).gql()?;
        articles_of(
            ctx,
            ArticleParent::Meeting,
            self.0.id,
            page,
            filter,
            order_by,
        )
        .await
    }
    /// What was said there, as published articles report it.
    async fn quotes(&self, ctx: &Context<'_>) -> Result<Vec<Quote>> {
        let quotes = load(ctx, QuotesOfMeeting(self.0.id)).await?;
        Ok(quotes
            .unwrap_or_default()
            .into_iter()
            .map(Quote::of)
            .collect())
    }
    /// When the record was created (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the record was last changed (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A person who took part in a meeting, and in what role.
pub struct Participant(pub Participation);

#[Object]
impl Participant {
    /// The part the person played.
    async fn role(&self) -> ParticipantRole {
        self.0.role.into()
    }
    /// The person.
    async fn person(&self) -> Plain<Person> {
        Plain(Person::of(self.0.person.clone()))
    }
}
