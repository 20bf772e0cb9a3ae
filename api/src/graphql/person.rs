//! The `Person` and `Position` types, and the person's meetings with the role on each edge.

use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::{person, position};

use super::ahead::{Ahead, PageNode};
use super::article::articles_of;
use super::connection::{connection, load_ahead, page_request, PageInfo};
use super::context::{load, load_ahead_or_alone};
use super::count::Total;
use super::enums::{orders, ArticleOrder, MeetingOrder, ParticipantRole};
use super::error::GqlResult;
use super::filter::{ArticleFilter, MeetingFilter};
use super::id::{encode, NodeKind};
use super::loaders::{
    AliasesOfPerson, ChildList, MeetingsOfPerson, PositionsOfPerson, QuotesOfPerson,
};
use super::plain::{plain_fields, Plain};
use super::scalar::Date;
use super::selection;
use super::{ArticleConnection, Meeting, QuoteConnection};
use crate::service::article::ArticleParent;
use crate::service::meeting::Attendance;
use crate::service::page::Page;

/// Someone articles mention and meetings gather; with what their page loaded ahead.
#[derive(Clone)]
pub struct Person(pub person::Model, pub Ahead);

// A page loads its people's positions ahead, as each selection asks for them.
super::ahead::loads_ahead!(Person, person, |loads| loads
    .add_reading("positions", |row, columns| Some(PositionsOfPerson(
        row.id, columns
    ))));

connection!(
    PersonConnection,
    PersonEdge,
    Person,
    person::Model,
    "people"
);

plain_fields!(Person {
    "id" => id,
    "slug" => slug,
    "name" => name,
    "nativeName" => native_name,
    "country" => country,
    "bio" => bio,
    "createdAt" => created_at,
    "updatedAt" => updated_at,
});

plain_fields!(Position {
    "title" => title,
    "organization" => organization,
    "startedOn" => started_on,
    "endedOn" => ended_on,
});

#[Object]
impl Person {
    /// The global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeKind::Person, self.0.id)
    }
    /// The URL name, unique among people.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// The name in English.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The name in the person's own script ("习近平").
    async fn native_name(&self) -> Option<&str> {
        self.0.native_name.as_deref()
    }
    /// Other spellings used to recognise mentions.
    async fn aliases(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let aliases = load(ctx, AliasesOfPerson(self.0.id)).await?;
        Ok(aliases.unwrap_or_default())
    }
    /// ISO 3166-1 alpha-2 country code.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
    /// A short biography.
    async fn bio(&self) -> Option<&str> {
        self.0.bio.as_deref()
    }
    /// Offices held, in the order given.
    async fn positions(&self, ctx: &Context<'_>) -> Result<Vec<Plain<Position>>> {
        let key = PositionsOfPerson(self.0.id, selection::of_field(ctx));
        let positions = load_ahead_or_alone!(ctx, &self.1, key);
        Ok(positions
            .unwrap_or_default()
            .into_iter()
            .map(|position| Plain(Position(position)))
            .collect())
    }
    /// Meetings the person took part in; each edge carries the role.
    #[allow(clippy::too_many_arguments)]
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(desc = "Only meetings where the person had this role.")] role: Option<
            ParticipantRole,
        >,
        #[graphql(desc = "Only meetings that match.")] filter: Option<Box<MeetingFilter>>,
        #[graphql(desc = "Default: HELD_ON_DESC.")] order_by: Option<Vec<MeetingOrder>>,
    ) -> Result<PersonMeetingConnection> {
        let role = role.map(Into::into);
        let filter = filter.map(|f| f.into_service("filter")).transpose().gql()?;
        // The key moves into the boxed load now, not at the await, so that this
        // future stays small (see `context::load`).
        let loading = load(
            ctx,
            MeetingsOfPerson {
                person: self.0.id,
                role,
                filter: filter.clone(),
                order: orders(order_by),
                page: page_request(first, after, last, before).gql()?,
                columns: selection::of_connection(ctx),
            },
        );
        let total = Total::Child(
            ChildList::MeetingsOfPerson(role, filter.map(Box::new)),
            self.0.id,
        );
        let page = loading.await?.unwrap_or_default();
        Ok(PersonMeetingConnection { page, total })
    }
    /// Articles that mention the person.
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
            ArticleParent::Person,
            self.0.id,
            page,
            filter,
            order_by,
        )
        .await
    }
    /// What the person said, newest first.
    async fn quotes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<QuoteConnection> {
        let key = QuotesOfPerson {
            person: self.0.id,
            page: page_request(first, after, last, before).gql()?,
            columns: selection::of_connection(ctx),
        };
        let page = load(ctx, key).await?.unwrap_or_default();
        let total = Total::Child(ChildList::QuotesOfPerson, self.0.id);
        Ok(QuoteConnection { page, total })
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

/// An office a person holds or held.
pub struct Position(pub position::Model);

#[Object]
impl Position {
    /// "Secretary of the National Security Council".
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// "Russian Federation".
    async fn organization(&self) -> Option<&str> {
        self.0.organization.as_deref()
    }
    /// When the person took the office.
    async fn started_on(&self) -> Option<Date> {
        self.0.started_on.map(Date)
    }
    /// When the person left it.
    async fn ended_on(&self) -> Option<Date> {
        self.0.ended_on.map(Date)
    }
}

/// A page of the meetings a person took part in.
pub struct PersonMeetingConnection {
    pub page: Page<Attendance>,
    pub total: Total,
}

#[Object]
impl PersonMeetingConnection {
    /// The meetings of this page, each with the person's role and its cursor.
    async fn edges(&self, ctx: &Context<'_>) -> Vec<PersonMeetingEdge<'_>> {
        let rows = self.page.nodes();
        let ahead = load_ahead::<Meeting>(ctx, rows.iter().map(|row| &row.meeting), || {
            ctx.look_ahead().field("node").selection_fields()
        })
        .await;
        rows.iter()
            .enumerate()
            .map(|(index, attendance)| PersonMeetingEdge {
                page: &self.page,
                index,
                attendance,
                ahead: ahead.clone(),
            })
            .collect()
    }
    /// The meetings of this page.
    async fn nodes(&self, ctx: &Context<'_>) -> Vec<Meeting> {
        let rows = self.page.nodes();
        let ahead = load_ahead::<Meeting>(ctx, rows.iter().map(|row| &row.meeting), || {
            vec![ctx.field()]
        })
        .await;
        rows.iter()
            .map(|attendance| Meeting::new(attendance.meeting.clone(), &ahead))
            .collect()
    }
    /// Where this page sits in the list.
    async fn page_info(&self) -> PageInfo {
        PageInfo::of(&self.page)
    }
    /// How many meetings the whole list has (counted only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        self.total.resolve(ctx).await
    }
}

/// A meeting the person took part in, the role they had, and its cursor.
pub struct PersonMeetingEdge<'a> {
    page: &'a Page<Attendance>,
    index: usize,
    attendance: &'a Attendance,
    ahead: Ahead,
}

/// A meeting the person took part in, the role they had, and its cursor.
#[Object]
impl PersonMeetingEdge<'_> {
    /// Where this row sits, for `after` and `before`.
    async fn cursor(&self) -> String {
        self.page.cursor(self.index).unwrap_or_default()
    }
    /// The person's role in the meeting.
    async fn role(&self) -> ParticipantRole {
        self.attendance.role.into()
    }
    /// The meeting.
    async fn node(&self) -> Plain<Meeting> {
        Plain(Meeting::new(self.attendance.meeting.clone(), &self.ahead))
    }
}
