//! The `Quote` type.

use async_graphql::{Context, Object, Result, ID};
use entity::quote;

use super::ahead::Ahead;
use super::connection::connection;
use super::context::{load, load_ahead_or_alone};
use super::id::{encode, NodeKind};
use super::loaders::{ArticleById, MeetingById, PersonById};
use super::plain::{plain_fields, Plain};
use super::selection;
use super::{Article, Meeting, Person};
use crate::AppError;

/// What a person said, as an article reports it; with what its page loaded ahead.
#[derive(Clone)]
pub struct Quote(pub quote::Model, pub Ahead);

// A page loads its quotes' people and articles ahead, as each selection asks for them.
super::ahead::loads_ahead!(Quote, quote, |loads| loads
    .add_reading("person", |row, columns| Some(PersonById(
        row.person_id,
        columns
    )))
    .add_reading("article", |row, columns| Some(ArticleById(
        row.article_id,
        columns
    ))));

connection!(QuoteConnection, QuoteEdge, Quote, quote::Model, "quotes");

fn dangling(what: &str) -> async_graphql::Error {
    super::error::client_error(&AppError::Internal(format!(
        "quote refers to a missing {what}"
    )))
}

plain_fields!(Quote {
    "id" => id,
    "text" => text,
    "verb" => verb,
});

#[Object]
impl Quote {
    /// The global ID.
    pub(crate) async fn id(&self) -> ID {
        encode(NodeKind::Quote, self.0.id)
    }
    /// The words.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// How the article introduces them ("stressed", "said").
    async fn verb(&self) -> Option<&str> {
        self.0.verb.as_deref()
    }
    /// Who said it.
    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        let key = PersonById(self.0.person_id, selection::of_field(ctx));
        let person = load_ahead_or_alone!(ctx, &self.1, key);
        person.map(Person::of).ok_or_else(|| dangling("person"))
    }
    /// The article that reports it.
    async fn article(&self, ctx: &Context<'_>) -> Result<Plain<Article>> {
        let key = ArticleById(self.0.article_id, selection::of_field(ctx));
        let article = load_ahead_or_alone!(ctx, &self.1, key);
        article
            .map(|article| Plain(Article::of(article)))
            .ok_or_else(|| dangling("article"))
    }
    /// The meeting where it was said.
    async fn meeting(&self, ctx: &Context<'_>) -> Result<Option<Meeting>> {
        let Some(meeting) = self.0.meeting_id else {
            return Ok(None);
        };
        Ok(load(ctx, MeetingById(meeting)).await?.map(Meeting::of))
    }
}
