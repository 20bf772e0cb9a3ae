//! The `Mutation` type: thin resolvers that turn inputs into the service's changes (global
//! IDs into references, absent/null/value into `Change`) and refuse anonymous callers.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, ID};
use chrono::{DateTime, Utc};

use super::context::request;
use super::enums::{ArticleStatus, ParticipantRole, SourceKind};
use super::error::client_error;
use super::id::{decode_as, encode, NodeKind};
use super::scalar::Date;
use super::{Article, Meeting, Person, Quote, Source, Tag};
use crate::service::edit::article::ArticleChanges;
use crate::service::edit::meeting::MeetingChanges;
use crate::service::edit::person::{PersonChanges, PositionFields};
use crate::service::edit::quote::QuoteChanges;
use crate::service::edit::source::SourceChanges;
use crate::service::edit::tag::TagChanges;
use crate::service::edit::{self, Change, Ref};
use crate::AppError;

/// Every change to the content. Each mutation is one transaction; all need an EDITOR or
/// ADMIN token.
pub struct Mutation;

/// A field of a create input: given or not (`null` is "not given").
fn given<T, U>(value: Option<T>, into: impl FnOnce(T) -> U) -> Change<U> {
    match value {
        Some(value) => Change::Set(into(value)),
        None => Change::Keep,
    }
}

/// A field of a patch: absent, an explicit `null`, or a value.
fn patched<T, U>(value: MaybeUndefined<T>, into: impl FnOnce(T) -> U) -> Change<U> {
    match value {
        MaybeUndefined::Undefined => Change::Keep,
        MaybeUndefined::Null => Change::Clear,
        MaybeUndefined::Value(value) => Change::Set(into(value)),
    }
}

/// A global ID given as a reference to a row of `kind`.
fn reference(id: &ID, kind: NodeKind) -> Ref {
    match decode_as(id, kind, "") {
        Ok(id) => Ref::Id(id),
        Err(error) => Ref::Unusable(error.to_string()),
    }
}

fn references(ids: Vec<ID>, kind: NodeKind) -> Vec<Ref> {
    ids.iter().map(|id| reference(id, kind)).collect()
}

/// The row id a mutation's `id` argument names; a bad one is `BAD_USER_INPUT` on `id`.
fn target(id: &ID, kind: NodeKind) -> Result<i64> {
    decode_as(id, kind, "id").map_err(|error| client_error(&error))
}

/// Refuses callers without an EDITOR or ADMIN token.
fn editor(ctx: &Context<'_>) -> Result<()> {
    match request(ctx)?.role {
        Some(_) => Ok(()),
        None => Err(client_error(&AppError::Unauthenticated)),
    }
}

/// The error of a failed change. Several problems with an input become one error each, in
/// the order found: all but the last are added to the response, the last is the field's.
fn failed(ctx: &Context<'_>, error: AppError) -> async_graphql::Error {
    let AppError::Invalid(mut problems) = error else {
        return client_error(&error);
    };
    let last = problems.pop();
    for problem in problems {
        let error = client_error(&AppError::Validation {
            field: problem.field,
            message: problem.message,
        });
        ctx.add_error(ctx.set_error_path(error.into_server_error(ctx.item.pos)));
    }
    let last = last.map_or_else(
        || AppError::validation("input", "invalid input"),
        |problem| AppError::Validation {
            field: problem.field,
            message: problem.message,
        },
    );
    client_error(&last)
}

/// Runs a change for an editor, reporting its errors.
macro_rules! change {
    ($ctx:expr, |$db:ident| $body:expr) => {{
        editor($ctx)?;
        let $db = request($ctx)?.db.connection();
        match $body.await {
            Ok(value) => Ok(value),
            Err(error) => Err(failed($ctx, error)),
        }
    }};
}

/// A new article.
#[derive(InputObject)]
pub struct ArticleInput {
    slug: Option<String>,
    title: String,
    summary: Option<String>,
    body: Option<String>,
    language: String,
    status: Option<ArticleStatus>,
    featured: Option<bool>,
    published_at: Option<DateTime<Utc>>,
    source_id: Option<ID>,
    tag_ids: Option<Vec<ID>>,
    person_ids: Option<Vec<ID>>,
    meeting_ids: Option<Vec<ID>>,
}

impl From<ArticleInput> for ArticleChanges {
    fn from(input: ArticleInput) -> Self {
        ArticleChanges {
            slug: given(input.slug, |slug| slug),
            title: Change::Set(input.title),
            summary: given(input.summary, |text| text),
            body: given(input.body, |text| text),
            language: Change::Set(input.language),
            status: given(input.status, Into::into),
            featured: given(input.featured, |featured| featured),
            published_at: given(input.published_at, |at| at),
            source: given(input.source_id, |id| reference(&id, NodeKind::Source)),
            tags: given(input.tag_ids, |ids| references(ids, NodeKind::Tag)),
            people: given(input.person_ids, |ids| references(ids, NodeKind::Person)),
            meetings: given(input.meeting_ids, |ids| references(ids, NodeKind::Meeting)),
        }
    }
}

/// Changes to an article: absent fields stay, `null` clears, a list replaces the list.
#[derive(InputObject)]
pub struct ArticlePatch {
    slug: MaybeUndefined<String>,
    title: MaybeUndefined<String>,
    summary: MaybeUndefined<String>,
    body: MaybeUndefined<String>,
    language: MaybeUndefined<String>,
    status: MaybeUndefined<ArticleStatus>,
    featured: MaybeUndefined<bool>,
    published_at: MaybeUndefined<DateTime<Utc>>,
    source_id: MaybeUndefined<ID>,
    tag_ids: MaybeUndefined<Vec<ID>>,
    person_ids: MaybeUndefined<Vec<ID>>,
    meeting_ids: MaybeUndefined<Vec<ID>>,
}

impl From<ArticlePatch> for ArticleChanges {
    fn from(patch: ArticlePatch) -> Self {
        ArticleChanges {
            slug: patched(patch.slug, |slug| slug),
            title: patched(patch.title, |text| text),
            summary: patched(patch.summary, |text| text),
            body: patched(patch.body, |text| text),
            language: patched(patch.language, |text| text),
            status: patched(patch.status, Into::into),
            featured: patched(patch.featured, |featured| featured),
            published_at: patched(patch.published_at, |at| at),
            source: patched(patch.source_id, |id| reference(&id, NodeKind::Source)),
            tags: patched(patch.tag_ids, |ids| references(ids, NodeKind::Tag)),
            people: patched(patch.person_ids, |ids| references(ids, NodeKind::Person)),
            meetings: patched(patch.meeting_ids, |ids| references(ids, NodeKind::Meeting)),
        }
    }
}

/// An office a person holds or held.
#[derive(InputObject)]
pub struct PositionInput {
    title: String,
    organization: Option<String>,
    started_on: Option<Date>,
    ended_on: Option<Date>,
}

fn positions(list: Vec<PositionInput>) -> Vec<PositionFields> {
    list.into_iter()
        .map(|held| PositionFields {
            title: held.title,
            organization: held.organization,
            started_on: held.started_on.map(|date| date.0),
            ended_on: held.ended_on.map(|date| date.0),
        })
        .collect()
}

/// A new person.
#[derive(InputObject)]
pub struct PersonInput {
    slug: Option<String>,
    name: String,
    native_name: Option<String>,
    aliases: Option<Vec<String>>,
    country: Option<String>,
    bio: Option<String>,
    positions: Option<Vec<PositionInput>>,
}

impl From<PersonInput> for PersonChanges {
    fn from(input: PersonInput) -> Self {
        PersonChanges {
            slug: given(input.slug, |slug| slug),
            name: Change::Set(input.name),
            native_name: given(input.native_name, |text| text),
            aliases: given(input.aliases, |list| list),
            country: given(input.country, |text| text),
            bio: given(input.bio, |text| text),
            positions: given(input.positions, positions),
        }
    }
}

/// Changes to a person.
#[derive(InputObject)]
pub struct PersonPatch {
    slug: MaybeUndefined<String>,
    name: MaybeUndefined<String>,
    native_name: MaybeUndefined<String>,
    aliases: MaybeUndefined<Vec<String>>,
    country: MaybeUndefined<String>,
    bio: MaybeUndefined<String>,
    positions: MaybeUndefined<Vec<PositionInput>>,
}

impl From<PersonPatch> for PersonChanges {
    fn from(patch: PersonPatch) -> Self {
        PersonChanges {
            slug: patched(patch.slug, |slug| slug),
            name: patched(patch.name, |text| text),
            native_name: patched(patch.native_name, |text| text),
            aliases: patched(patch.aliases, |list| list),
            country: patched(patch.country, |text| text),
            bio: patched(patch.bio, |text| text),
            positions: patched(patch.positions, positions),
        }
    }
}

/// A person taking part in a meeting.
#[derive(InputObject)]
pub struct ParticipantInput {
    person_id: ID,
    role: ParticipantRole,
}

fn participants(list: Vec<ParticipantInput>) -> Vec<(Ref, entity::ParticipantRole)> {
    list.into_iter()
        .map(|taking_part| {
            (
                reference(&taking_part.person_id, NodeKind::Person),
                taking_part.role.into(),
            )
        })
        .collect()
}

/// A new meeting.
#[derive(InputObject)]
pub struct MeetingInput {
    slug: Option<String>,
    title: String,
    description: Option<String>,
    held_on: Date,
    location: Option<String>,
    city: Option<String>,
    country: Option<String>,
    occasion: Option<String>,
    participants: Option<Vec<ParticipantInput>>,
}

impl From<MeetingInput> for MeetingChanges {
    fn from(input: MeetingInput) -> Self {
        MeetingChanges {
            slug: given(input.slug, |slug| slug),
            title: Change::Set(input.title),
            description: given(input.description, |text| text),
            held_on: Change::Set(input.held_on.0),
            location: given(input.location, |text| text),
            city: given(input.city, |text| text),
            country: given(input.country, |text| text),
            occasion: given(input.occasion, |text| text),
            participants: given(input.participants, participants),
        }
    }
}

/// Changes to a meeting.
#[derive(InputObject)]
pub struct MeetingPatch {
    slug: MaybeUndefined<String>,
    title: MaybeUndefined<String>,
    description: MaybeUndefined<String>,
    held_on: MaybeUndefined<Date>,
    location: MaybeUndefined<String>,
    city: MaybeUndefined<String>,
    country: MaybeUndefined<String>,
    occasion: MaybeUndefined<String>,
    participants: MaybeUndefined<Vec<ParticipantInput>>,
}

impl From<MeetingPatch> for MeetingChanges {
    fn from(patch: MeetingPatch) -> Self {
        MeetingChanges {
            slug: patched(patch.slug, |slug| slug),
            title: patched(patch.title, |text| text),
            description: patched(patch.description, |text| text),
            held_on: patched(patch.held_on, |date| date.0),
            location: patched(patch.location, |text| text),
            city: patched(patch.city, |text| text),
            country: patched(patch.country, |text| text),
            occasion: patched(patch.occasion, |text| text),
            participants: patched(patch.participants, participants),
        }
    }
}

/// A new source.
#[derive(InputObject)]
pub struct SourceInput {
    slug: Option<String>,
    name: String,
    kind: SourceKind,
    url: Option<String>,
    description: Option<String>,
}

impl From<SourceInput> for SourceChanges {
    fn from(input: SourceInput) -> Self {
        SourceChanges {
            slug: given(input.slug, |slug| slug),
            name: Change::Set(input.name),
            kind: Change::Set(input.kind.into()),
            url: given(input.url, |text| text),
            description: given(input.description, |text| text),
        }
    }
}

/// Changes to a source.
#[derive(InputObject)]
pub struct SourcePatch {
    slug: MaybeUndefined<String>,
    name: MaybeUndefined<String>,
    kind: MaybeUndefined<SourceKind>,
    url: MaybeUndefined<String>,
    description: MaybeUndefined<String>,
}

impl From<SourcePatch> for SourceChanges {
    fn from(patch: SourcePatch) -> Self {
        SourceChanges {
            slug: patched(patch.slug, |slug| slug),
            name: patched(patch.name, |text| text),
            kind: patched(patch.kind, Into::into),
            url: patched(patch.url, |text| text),
            description: patched(patch.description, |text| text),
        }
    }
}

/// A new tag.
#[derive(InputObject)]
pub struct TagInput {
    slug: Option<String>,
    name: String,
}

/// Changes to a tag.
#[derive(InputObject)]
pub struct TagPatch {
    slug: MaybeUndefined<String>,
    name: MaybeUndefined<String>,
}

/// A new quote; it goes last in its article.
#[derive(InputObject)]
pub struct QuoteInput {
    text: String,
    verb: Option<String>,
    person_id: ID,
    article_id: ID,
    meeting_id: Option<ID>,
}

/// Changes to a quote.
#[derive(InputObject)]
pub struct QuotePatch {
    text: MaybeUndefined<String>,
    verb: MaybeUndefined<String>,
    person_id: MaybeUndefined<ID>,
    article_id: MaybeUndefined<ID>,
    meeting_id: MaybeUndefined<ID>,
}

#[Object]
impl Mutation {
    /// Makes an article (a DRAFT unless `status` says otherwise); a missing slug is made
    /// from the title.
    async fn create_article(&self, ctx: &Context<'_>, input: ArticleInput) -> Result<Article> {
        change!(ctx, |db| edit::article::create(db, input.into())).map(Article::of)
    }
    /// Changes the fields the patch names. With `expectedVersion`, refused with CONFLICT
    /// unless the article is still at that version.
    async fn update_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ArticlePatch,
        expected_version: Option<i32>,
    ) -> Result<Article> {
        let id = target(&id, NodeKind::Article)?;
        change!(ctx, |db| edit::article::update(
            db,
            id,
            input.into(),
            expected_version
        ))
        .map(Article::of)
    }
    /// Deletes an article with its links and quotes; returns its ID.
    async fn delete_article(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let row = target(&id, NodeKind::Article)?;
        change!(ctx, |db| edit::article::delete(db, row))?;
        Ok(encode(NodeKind::Article, row))
    }
    /// Publishes an article now, or at `publishedAt` (a future time schedules it).
    async fn publish_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        published_at: Option<DateTime<Utc>>,
    ) -> Result<Article> {
        let id = target(&id, NodeKind::Article)?;
        change!(ctx, |db| edit::article::publish(db, id, published_at)).map(Article::of)
    }
    /// Returns an article to DRAFT.
    async fn unpublish_article(&self, ctx: &Context<'_>, id: ID) -> Result<Article> {
        let id = target(&id, NodeKind::Article)?;
        change!(ctx, |db| edit::article::unpublish(db, id)).map(Article::of)
    }

    /// Makes a person; a missing slug is made from the name.
    async fn create_person(&self, ctx: &Context<'_>, input: PersonInput) -> Result<Person> {
        change!(ctx, |db| edit::person::create(db, input.into())).map(Person::of)
    }
    /// Changes the fields the patch names.
    async fn update_person(&self, ctx: &Context<'_>, id: ID, input: PersonPatch) -> Result<Person> {
        let id = target(&id, NodeKind::Person)?;
        change!(ctx, |db| edit::person::update(db, id, input.into())).map(Person::of)
    }
    /// Deletes a person with their aliases, positions, participations, mentions and quotes.
    async fn delete_person(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let row = target(&id, NodeKind::Person)?;
        change!(ctx, |db| edit::person::delete(db, row))?;
        Ok(encode(NodeKind::Person, row))
    }

    /// Makes a meeting; a missing slug is made from the title.
    async fn create_meeting(&self, ctx: &Context<'_>, input: MeetingInput) -> Result<Meeting> {
        change!(ctx, |db| edit::meeting::create(db, input.into())).map(Meeting::of)
    }
    /// Changes the fields the patch names.
    async fn update_meeting(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: MeetingPatch,
    ) -> Result<Meeting> {
        let id = target(&id, NodeKind::Meeting)?;
        change!(ctx, |db| edit::meeting::update(db, id, input.into())).map(Meeting::of)
    }
    /// Deletes a meeting.
    async fn delete_meeting(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let row = target(&id, NodeKind::Meeting)?;
        change!(ctx, |db| edit::meeting::delete(db, row))?;
        Ok(encode(NodeKind::Meeting, row))
    }

    /// Makes a source; a missing slug is made from the name.
    async fn create_source(&self, ctx: &Context<'_>, input: SourceInput) -> Result<Source> {
        change!(ctx, |db| edit::source::create(db, input.into())).map(Source)
    }
    /// Changes the fields the patch names.
    async fn update_source(&self, ctx: &Context<'_>, id: ID, input: SourcePatch) -> Result<Source> {
        let id = target(&id, NodeKind::Source)?;
        change!(ctx, |db| edit::source::update(db, id, input.into())).map(Source)
    }
    /// Deletes a source; its articles are left without one.
    async fn delete_source(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let row = target(&id, NodeKind::Source)?;
        change!(ctx, |db| edit::source::delete(db, row))?;
        Ok(encode(NodeKind::Source, row))
    }

    /// Makes a tag; a missing slug is made from the name.
    async fn create_tag(&self, ctx: &Context<'_>, input: TagInput) -> Result<Tag> {
        let changes = TagChanges {
            slug: given(input.slug, |slug| slug),
            name: Change::Set(input.name),
        };
        change!(ctx, |db| edit::tag::create(db, changes)).map(Tag)
    }
    /// Changes the fields the patch names.
    async fn update_tag(&self, ctx: &Context<'_>, id: ID, input: TagPatch) -> Result<Tag> {
        let id = target(&id, NodeKind::Tag)?;
        let changes = TagChanges {
            slug: patched(input.slug, |slug| slug),
            name: patched(input.name, |text| text),
        };
        change!(ctx, |db| edit::tag::update(db, id, changes)).map(Tag)
    }
    /// Deletes a tag.
    async fn delete_tag(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let row = target(&id, NodeKind::Tag)?;
        change!(ctx, |db| edit::tag::delete(db, row))?;
        Ok(encode(NodeKind::Tag, row))
    }

    /// Makes a quote, last in its article.
    async fn create_quote(&self, ctx: &Context<'_>, input: QuoteInput) -> Result<Quote> {
        let changes = QuoteChanges {
            text: Change::Set(input.text),
            verb: given(input.verb, |text| text),
            person: Change::Set(reference(&input.person_id, NodeKind::Person)),
            article: Change::Set(reference(&input.article_id, NodeKind::Article)),
            meeting: given(input.meeting_id, |id| reference(&id, NodeKind::Meeting)),
        };
        change!(ctx, |db| edit::quote::create(db, changes)).map(Quote::of)
    }
    /// Changes the fields the patch names; a quote moved to another article goes last there.
    async fn update_quote(&self, ctx: &Context<'_>, id: ID, input: QuotePatch) -> Result<Quote> {
        let id = target(&id, NodeKind::Quote)?;
        let changes = QuoteChanges {
            text: patched(input.text, |text| text),
            verb: patched(input.verb, |text| text),
            person: patched(input.person_id, |id| reference(&id, NodeKind::Person)),
            article: patched(input.article_id, |id| reference(&id, NodeKind::Article)),
            meeting: patched(input.meeting_id, |id| reference(&id, NodeKind::Meeting)),
        };
        change!(ctx, |db| edit::quote::update(db, id, changes)).map(Quote::of)
    }
    /// Deletes a quote.
    async fn delete_quote(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let row = target(&id, NodeKind::Quote)?;
        change!(ctx, |db| edit::quote::delete(db, row))?;
        Ok(encode(NodeKind::Quote, row))
    }
}
