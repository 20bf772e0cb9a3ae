//! Relations loaded ahead for a whole page. A connection's `nodes` (or `edges`) resolver
//! reads, from the query, which relations its nodes select (`source`, `tags`, `people`, …),
//! builds the very keys those fields would load with, and loads them for the whole page as one
//! DataLoader key per relation ([`Together`]). Each node's field then finds its value in what
//! the page loaded instead of registering a key of its own: a front page of 20 articles with 5
//! people each made 160 `load_one` calls (each a set, a map, a channel and a future woken
//! later) and makes 23, one per page and relation, batched as before (a level is still one
//! statement).
//!
//! Loading ahead changes no answer. A field looks up its own key: it gets the page's answer
//! only for exactly the key it would have loaded, and the page's error where the page's load
//! failed, as `load_one` would have given it; a key the page did not foresee (an argument
//! that does not parse) the field loads itself. The page loads its relations before its nodes
//! resolve, so a relation it does not load ahead would start a batch later than it used to:
//! a page whose nodes select one (an article's `quotes`, say) loads nothing ahead, and every
//! field loads its own, as before.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, InputType, SelectionField};
use futures_util::future::BoxFuture;

use super::context::loader;
use super::loaders::{
    ArticleById, ContentLoader, ParticipantsOfMeeting, PeopleOfArticle, PersonById,
    PositionsOfPerson, SourceById, TagsOfArticle,
};
use super::selection::{self, Reads};
use crate::service::columns::Columns;
use crate::AppError;

/// What a page loaded ahead for its nodes; cheap to clone (one `Arc`).
#[derive(Clone, Default)]
pub struct Ahead(Option<Arc<[Typed]>>);

/// The [`Answers`] for the page's keys of one type, and that type.
type Typed = (TypeId, Box<dyn Any + Send + Sync>);

/// The keys of one type a page loaded ahead, and what their batch found (for other pages'
/// keys too), or the batch's error.
struct Answers<K, V> {
    keys: Arc<[K]>,
    found: Result<Arc<HashMap<K, V>>, Arc<AppError>>,
}

/// What the loader answers for a key of type `K`.
type Value<K> = <ContentLoader as Loader<K>>::Value;

impl Ahead {
    /// What `load_one(key)` answers, when the page loaded `key`: the value, `None` where the
    /// loader found none, or the batch's error. `None` when the page did not load `key`.
    pub fn get<K>(&self, key: &K) -> Option<Result<Option<Value<K>>, Arc<AppError>>>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        ContentLoader: Loader<K>,
    {
        let (_, answers) = self
            .0
            .as_ref()?
            .iter()
            .find(|(type_id, _)| *type_id == TypeId::of::<K>())?;
        let answers = answers.downcast_ref::<Answers<K, Value<K>>>()?;
        let found = match &answers.found {
            Ok(found) => found,
            Err(error) => return answers.keys.contains(key).then(|| Err(error.clone())),
        };
        // Anything found is the answer for its key, whichever page asked; a key not found is
        // the page's (answered `None`) only if the page asked for it.
        if let Some(value) = found.get(key) {
            return Some(Ok(Some(value.clone())));
        }
        answers.keys.contains(key).then_some(Ok(None))
    }
}

/// The keys one page loads ahead, loaded as one DataLoader key: the DataLoader's bookkeeping
/// (a set, maps, a channel, a future) is then paid once per page rather than once per row,
/// and the pages of a level still share one batch, as their rows' keys would. Two of these
/// are the same key only if they are the same page's.
#[derive(Clone)]
pub struct Together<K>(Arc<[K]>);

impl<K> PartialEq for Together<K> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<K> Eq for Together<K> {}

impl<K> Hash for Together<K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(Arc::as_ptr(&self.0), state);
    }
}

/// What a batch of pages found for their keys of type `K`, shared by the pages.
type Answered<K> = Arc<HashMap<K, Value<K>>>;

/// Every page's keys with one load of their own type (a statement per group of keys that share
/// arguments, as for keys loaded one by one); each page gets all that was found, shared.
async fn load_together<K>(
    loader: &ContentLoader,
    pages: &[Together<K>],
) -> Result<HashMap<Together<K>, Answered<K>>, Arc<AppError>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    ContentLoader: Loader<K, Error = Arc<AppError>>,
{
    let keys: Vec<K> = pages
        .iter()
        .flat_map(|page| page.0.iter().cloned())
        .collect();
    let found = Arc::new(loader.load(&keys).await?);
    Ok(pages
        .iter()
        .map(|page| (page.clone(), found.clone()))
        .collect())
}

/// Lets pages load keys of these types ahead, [`Together`].
macro_rules! loaded_together {
    ($($key:ty),* $(,)?) => {$(
        impl Loader<Together<$key>> for ContentLoader {
            type Value = Answered<$key>;
            type Error = Arc<AppError>;

            async fn load(
                &self,
                pages: &[Together<$key>],
            ) -> Result<HashMap<Together<$key>, Self::Value>, Self::Error> {
                load_together(self, pages).await
            }
        }
    )*};
}

loaded_together!(
    SourceById,
    TagsOfArticle,
    PeopleOfArticle,
    PositionsOfPerson,
    ParticipantsOfMeeting,
    PersonById,
    ArticleById,
);

/// A node type of a connection: how a page's row becomes a node, and what the page loads
/// ahead for its nodes.
pub trait PageNode: Sized {
    /// The row.
    type Model: Clone + Send + Sync + 'static;

    /// Whether the type loads anything ahead.
    const LOADS_AHEAD: bool = false;

    /// The node of `row`, with what its page loaded ahead.
    fn new(row: Self::Model, ahead: &Ahead) -> Self;

    /// Loads, for the `rows` of a page, the relations that `nodes` (the selections of one
    /// node) ask for; `None` when there is nothing to load ahead.
    fn load_ahead<'a>(
        _ctx: &Context<'a>,
        _nodes: &[SelectionField<'a>],
        _rows: &[&'a Self::Model],
    ) -> Option<BoxFuture<'a, Ahead>> {
        None
    }
}

/// The argument `name` of the selected `field`, parsed as the field's resolver parses it;
/// `None` when it does not parse (the field then reports that itself).
pub fn argument<T: InputType>(field: &SelectionField<'_>, name: &str) -> Option<T> {
    let value = field
        .arguments()
        .ok()?
        .into_iter()
        .find(|(argument, _)| argument.as_str() == name)
        .map(|(_, value)| value);
    T::parse(value).ok()
}

/// The loads one page makes ahead, for rows of type `M`.
pub struct Loads<'a, 'n, M> {
    loader: Option<&'a DataLoader<ContentLoader>>,
    nodes: &'n [SelectionField<'a>],
    rows: &'n [&'a M],
    /// The relations loaded ahead (whether or not any row has them).
    relations: Vec<&'static str>,
    loads: Vec<BoxFuture<'a, Option<Typed>>>,
}

impl<'a, 'n, M> Loads<'a, 'n, M> {
    /// No loads yet, for the `rows` of a page whose nodes select `nodes`; none at all past the
    /// request's deadline.
    pub fn new(ctx: &Context<'a>, nodes: &'n [SelectionField<'a>], rows: &'n [&'a M]) -> Self {
        Loads {
            loader: loader(ctx).ok(),
            nodes,
            rows,
            relations: Vec::new(),
            loads: Vec::new(),
        }
    }

    /// Loads, for every selection of the relation `name`, the key `key` gives each row with
    /// what `arguments` reads of the selection (nothing for a selection whose arguments do
    /// not parse, nothing for a row `key` gives none).
    pub fn add<A, K>(
        mut self,
        name: &'static str,
        arguments: impl Fn(SelectionField<'a>) -> Option<A>,
        key: impl Fn(&M, &A) -> Option<K>,
    ) -> Self
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        ContentLoader: Loader<Together<K>, Value = Answered<K>, Error = Arc<AppError>>,
        ContentLoader: Loader<K>,
    {
        self.relations.push(name);
        let Some(loader) = self.loader else {
            return self;
        };
        let mut keys = Vec::new();
        for field in self.nodes.iter().flat_map(|node| node.selection_set()) {
            if field.name() != name {
                continue;
            }
            if let Some(arguments) = arguments(field) {
                keys.extend(self.rows.iter().filter_map(|row| key(row, &arguments)));
            }
        }
        if keys.is_empty() {
            return self;
        }
        let keys: Arc<[K]> = keys.into();
        self.loads.push(Box::pin(async move {
            // The loader answers every page; were one left out, its fields would load alone.
            let found = loader.load_one(Together(keys.clone())).await.transpose()?;
            let answers: Box<dyn Any + Send + Sync> = Box::new(Answers { keys, found });
            Some((TypeId::of::<K>(), answers))
        }));
        self
    }

    /// As [`add`](Self::add), for a relation whose key names the columns its selection reads.
    pub fn add_reading<E, K>(
        self,
        name: &'static str,
        key: impl Fn(&M, Columns<E>) -> Option<K>,
    ) -> Self
    where
        E: Reads,
        K: Send + Sync + Hash + Eq + Clone + 'static,
        ContentLoader: Loader<Together<K>, Value = Answered<K>, Error = Arc<AppError>>,
        ContentLoader: Loader<K>,
    {
        self.add(
            name,
            |field| Some(selection::of_selection::<E>(field)),
            move |row, columns| key(row, *columns),
        )
    }

    /// Loads what was added, all together (one DataLoader batch per key type, shared with the
    /// other pages of the level); `None` when there is nothing to load, or when the nodes
    /// select a relation of `E` not added here (which would wait for these loads).
    pub fn run<E: Reads>(self) -> Option<BoxFuture<'a, Ahead>> {
        let unforeseen = self
            .nodes
            .iter()
            .flat_map(|node| node.selection_set())
            .any(|field| {
                E::relation(field.name()).is_some() && !self.relations.contains(&field.name())
            });
        if self.loads.is_empty() || unforeseen {
            return None;
        }
        let loads = self.loads;
        Some(Box::pin(async move {
            let loaded = futures_util::future::join_all(loads).await;
            Ahead(Some(loaded.into_iter().flatten().collect()))
        }))
    }
}

/// Implements [`PageNode`] for a node type that is its row (of `entity`) and what its page
/// loaded ahead: the relations `loads` adds to the page's [`Loads`]. Writes `of(row)` too, the
/// node of a row that is not a page's, nothing loaded ahead.
macro_rules! loads_ahead {
    ($node:ident, $entity:ident, |$loads:ident| $add:expr) => {
        impl $node {
            /// The node of `row`, nothing loaded ahead.
            pub fn of(row: $entity::Model) -> $node {
                $node(row, $crate::graphql::ahead::Ahead::default())
            }
        }

        impl $crate::graphql::ahead::PageNode for $node {
            type Model = $entity::Model;
            const LOADS_AHEAD: bool = true;

            fn new(row: $entity::Model, ahead: &$crate::graphql::ahead::Ahead) -> $node {
                $node(row, ahead.clone())
            }

            fn load_ahead<'a>(
                ctx: &async_graphql::Context<'a>,
                nodes: &[async_graphql::SelectionField<'a>],
                rows: &[&'a $entity::Model],
            ) -> Option<futures_util::future::BoxFuture<'a, $crate::graphql::ahead::Ahead>> {
                let $loads = $crate::graphql::ahead::Loads::new(ctx, nodes, rows);
                $add.run::<$entity::Entity>()
            }
        }
    };
}

pub(crate) use loads_ahead;

/// Implements [`PageNode`] for a node type that is its row alone and loads nothing ahead.
macro_rules! loads_nothing_ahead {
    ($node:ident, $model:ty) => {
        impl $crate::graphql::ahead::PageNode for $node {
            type Model = $model;

            fn new(row: $model, _: &$crate::graphql::ahead::Ahead) -> $node {
                $node(row)
            }
        }
    };
}

pub(crate) use loads_nothing_ahead;
