//! Relations loaded ahead for a whole page. A connection's `nodes` (or `edges`) resolver
//! reads, from the query, which relations its nodes select (`source`, `tags`, `people`, …),
//! builds the very keys those fields would load with, and loads them for every row of the page
//! with one `load_many` per relation. Each node's field then finds its value here instead of
//! registering a key of its own with the DataLoader: a front page of 20 articles with 5 people
//! each made 160 `load_one` calls (each a set, a map, a channel and a future woken later); it
//! makes 40 `load_many` calls, one per page, batched as before.
//!
//! Loading ahead only ever saves work. A field looks its own key up, so it gets a value loaded
//! ahead only for exactly the key it would have loaded; anything the page did not foresee (a
//! directive, an argument that does not parse, a failed load) the field loads itself, as it
//! did before.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, InputType, Name, SelectionField, Value};
use futures_util::future::BoxFuture;

use super::context::loader;
use super::loaders::{
    ArticleById, ContentLoader, ParticipantsOfMeeting, PeopleOfArticle, PersonById,
    PositionsOfPerson, SourceById, TagsOfArticle,
};
use crate::AppError;

/// What a page loaded ahead for its nodes, by key; cheap to clone (one `Arc`).
#[derive(Clone, Default)]
pub struct Ahead(Option<Arc<Loaded>>);

/// The values loaded ahead: for each key type, the keys asked for and their answers.
#[derive(Default)]
pub struct Loaded(Vec<Typed>);

/// The [`Answers`] for keys of one type, and that type.
type Typed = (TypeId, Box<dyn Any + Send + Sync>);

/// The keys of one type a page loaded ahead, and what their batch found (for other pages'
/// keys too): `load_one` answers a key of the page with its value there, `None` where there is
/// none.
struct Answers<K, V> {
    keys: Arc<[K]>,
    found: Arc<HashMap<K, V>>,
}

impl Ahead {
    /// The value loaded ahead for `key`: `Some(answer)` when the page loaded `key` (the answer
    /// `load_one` would give), `None` when it did not. A page holds tens of keys of a type,
    /// told apart by their parent id first: a scan finds whether the page loaded a key.
    pub fn get<K, V>(&self, key: &K) -> Option<Option<V>>
    where
        K: Hash + Eq + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        let loaded = self.0.as_ref()?;
        let (_, answers) = loaded
            .0
            .iter()
            .find(|(type_id, _)| *type_id == TypeId::of::<K>())?;
        let answers = answers.downcast_ref::<Answers<K, V>>()?;
        if !answers.keys.contains(key) {
            return None;
        }
        Some(answers.found.get(key).cloned())
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

/// What a batch of pages found for their keys of type `K`.
type Answered<K> = Arc<HashMap<K, <ContentLoader as Loader<K>>::Value>>;

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

    /// Loads ahead, for the `rows` of a page, the relations that `nodes` (the selections of one
    /// node) ask for; `None` for a type that loads nothing ahead.
    fn load_ahead<'a>(
        _ctx: &'a Context<'_>,
        _nodes: Vec<SelectionField<'a>>,
        _rows: Vec<&'a Self::Model>,
    ) -> Option<BoxFuture<'a, Ahead>> {
        None
    }
}

/// The fields named `name` among the selections `nodes` (through fragments too).
pub fn fields<'a, 'n>(
    nodes: &'n [SelectionField<'a>],
    name: &'n str,
) -> impl Iterator<Item = SelectionField<'a>> + 'n {
    nodes
        .iter()
        .flat_map(|node| node.selection_set())
        .filter(move |field| field.name() == name)
}

/// The arguments of `field`, `None` when a variable in them is missing.
pub fn arguments(field: &SelectionField<'_>) -> Option<Vec<(Name, Value)>> {
    field.arguments().ok()
}

/// The argument `name` among `arguments`, parsed as the field's resolver would; `Err(())` when
/// it does not parse (the field then reports that itself).
#[allow(clippy::result_unit_err)]
pub fn argument<T: InputType>(arguments: &[(Name, Value)], name: &str) -> Result<T, ()> {
    let value = arguments
        .iter()
        .find(|(argument, _)| argument.as_str() == name)
        .map(|(_, value)| value.clone());
    T::parse(value).map_err(|_| ())
}

/// Collects the loads of one page and runs them together.
pub struct Loads<'a> {
    loader: Option<&'a DataLoader<ContentLoader>>,
    loads: Vec<BoxFuture<'a, Option<Typed>>>,
}

impl<'a> Loads<'a> {
    /// No loads yet, with the request's DataLoader (none past the request's deadline).
    pub fn new(ctx: &Context<'a>) -> Loads<'a> {
        Loads {
            loader: loader(ctx).ok(),
            loads: Vec::new(),
        }
    }

    /// Loads `keys` (if any) with the request's DataLoader.
    pub fn add<K>(&mut self, keys: Vec<K>)
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        ContentLoader: Loader<Together<K>, Value = Answered<K>, Error = Arc<AppError>>,
        ContentLoader: Loader<K>,
    {
        let Some(loader) = self.loader.filter(|_| !keys.is_empty()) else {
            return;
        };
        let keys: Arc<[K]> = keys.into();
        self.loads.push(Box::pin(async move {
            let found = loader.load_one(Together(keys.clone())).await.ok()??;
            let answers: Box<dyn Any + Send + Sync> = Box::new(Answers { keys, found });
            Some((TypeId::of::<K>(), answers))
        }));
    }

    /// Runs the loads together (one DataLoader batch per key type, shared with the other pages
    /// of the level) and gathers what they found; a load that failed is left to the fields.
    pub async fn run(self) -> Ahead {
        if self.loads.is_empty() {
            return Ahead::default();
        }
        let loaded = futures_util::future::join_all(self.loads).await;
        Ahead(Some(Arc::new(Loaded(
            loaded.into_iter().flatten().collect(),
        ))))
    }
}

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
