//! The `Quote` type.

use async_graphql::{Context, Object, Result, ID};
use entity::quote;

use super::connection::connection;
use super::context::load;
use super::id::{encode, NodeKind};
use super::loaders::{ArticleById, MeetingById, PersonById};
use super::plain::{plain_fields, Plain};
use super::selection;
use super::{Article, Meeting, Person};
use crate::AppError;

/// What a person said, as an article reports it.
#[derive(Clone)]
pub struct Quote(pub quote::Model);

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
        let person = load(ctx, PersonById(self.0.person_id, selection::of_field(ctx))).await?;
        person.map(Person).ok_or_else(|| dangling("person"))
    }
    /// The article that reports it.
    async fn article(&self, ctx: &Context<'_>) -> Result<Plain<Article>> {
        let article = load(
            ctx,
            ArticleById(self.0.article_id, selection::of_field(ctx)),
        )
        .await?;
        article
            .map(|article| Plain(Article(article)))
            .ok_or_else(|| dangling("article"))
    }
    /// The meeting where it was said.
    async fn meeting(&self, ctx: &Context<'_>) -> Result<Option<Meeting>> {
        let Some(meeting) = self.0.meeting_id else {
            return Ok(None);
        };
        Ok(load(ctx, MeetingById(meeting)).await?.map(Meeting))
    }
}
