//! The request's DataLoader: every relation field loads through it, so a level of a query
//! costs one statement however many parents it has. One key type per relation; page keys
//! carry their arguments, and the keys of one batch that share arguments share a statement.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{article, meeting, person, position, quote, source, tag, ParticipantRole};
use sea_orm::Condition;

use crate::db::Db;
use crate::service::article::ArticleParent;
use crate::service::columns::{Columns, Partial};
use crate::service::filter::{ArticleFilter, Filters, MeetingFilter, PersonFilter};
use crate::service::meeting::Attendance;
use crate::service::order::{ArticleOrder, MeetingOrder, PersonOrder};
use crate::service::page::{Page, PageRequest};
use crate::service::person::Participation;
use crate::service::{self, lookup};
use crate::AppError;

/// Loads for one request, with that request's visibility (held by its filters).
pub struct ContentLoader {
    pub db: Db,
    pub filters: Filters,
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<AppError>>;

/// Re-keys a map by parent id into a map by key.
fn by_key<K: Clone + Eq + Hash, V>(
    keys: &[K],
    id: impl Fn(&K) -> i64,
    mut found: HashMap<i64, V>,
) -> HashMap<K, V> {
    keys.iter()
        .filter_map(|key| found.remove(&id(key)).map(|value| (key.clone(), value)))
        .collect()
}

/// Splits keys into groups that share every argument but the parent id, in the order of
/// their first keys. The groups are told apart by equality: a batch has one group, or a few
/// (aliases with other arguments), and this spares hashing (and cloning) every key's
/// arguments.
fn groups<'k, K, G: PartialEq>(keys: &'k [K], group: impl Fn(&'k K) -> G) -> Vec<(G, Vec<&'k K>)> {
    let mut groups: Vec<(G, Vec<&'k K>)> = Vec::new();
    for key in keys {
        let arguments = group(key);
        match groups.iter_mut().find(|(other, _)| *other == arguments) {
            Some((_, members)) => members.push(key),
            None => groups.push((arguments, vec![key])),
        }
    }
    groups
}

fn ids<K>(keys: &[K], id: impl Fn(&K) -> i64) -> Vec<i64> {
    let mut ids: Vec<i64> = keys.iter().map(id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Loads keys that carry arguments besides their parent id: one service call per group of
/// keys that share those arguments (usually one for the whole batch).
async fn load_in_groups<'k, K, G, V, Fut>(
    keys: &'k [K],
    group: impl Fn(&'k K) -> G,
    id: impl Fn(&K) -> i64,
    load: impl Fn(G, Vec<i64>) -> Fut,
) -> LoadResult<K, V>
where
    K: Clone + Eq + Hash,
    G: PartialEq,
    Fut: std::future::Future<Output = Result<HashMap<i64, V>, AppError>>,
{
    let mut loaded = HashMap::new();
    for (arguments, group) in groups(keys, &group) {
        let found = load(arguments, ids(&group, |key| id(key))).await?;
        loaded.extend(
            by_key(&group, |key| id(key), found)
                .into_iter()
                .map(|(key, value)| (key.clone(), value)),
        );
    }
    Ok(loaded)
}

/// As [`load_in_groups`], for keys that also name the columns to read: keys that differ only
/// in their columns share one statement that reads all of them. Two selections of one field
/// (fragments that each ask for some of its fields, merged under one response key) then get
/// the very same rows, and cost one statement.
async fn load_reading<'k, K, G, E, V, Fut>(
    keys: &'k [K],
    group: impl Fn(&'k K) -> G,
    id: impl Fn(&K) -> i64,
    columns: impl Fn(&K) -> Columns<E>,
    load: impl Fn(G, Vec<i64>, Columns<E>) -> Fut,
) -> LoadResult<K, V>
where
    K: Clone + Eq + Hash,
    G: PartialEq,
    E: Partial,
    Fut: std::future::Future<Output = Result<HashMap<i64, V>, AppError>>,
    V: Clone,
{
    let mut loaded = HashMap::new();
    for (arguments, group) in groups(keys, &group) {
        let union = group
            .iter()
            .fold(Columns::id(), |union, key| union.union(columns(key)));
        let mut found = load(arguments, ids(&group, |key| id(key)), union).await?;
        // The last key of a parent takes its value; any before it get a copy.
        let mut left: HashMap<i64, usize> = HashMap::new();
        for key in &group {
            *left.entry(id(key)).or_default() += 1;
        }
        for key in group {
            let parent = id(key);
            let count = left.entry(parent).or_default();
            *count -= 1;
            let value = if *count == 0 {
                found.remove(&parent)
            } else {
                found.get(&parent).cloned()
            };
            if let Some(value) = value {
                loaded.insert(key.clone(), value);
            }
        }
    }
    Ok(loaded)
}

/// `Hash` for a key with arguments, from its parent id alone. The DataLoader hashes every
/// key several times on its way (with std's SipHash, over every field a derived `Hash`
/// feeds it: filters, cursors, page sizes); keys of one parent with other arguments (aliases)
/// are rare, so this is as good a hash, far cheaper, and agrees with the derived `Eq`.
macro_rules! hash_by_parent {
    ($key:ty, $parent:ident) => {
        impl Hash for $key {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.$parent.hash(state);
            }
        }
    };
}

macro_rules! load_by_id {
    ($key:ident, $value:ty, $what:literal, |$loader:ident, $ids:ident| $load:expr) => {
        #[doc = concat!("The ", $what, " with this id.")]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i64);

        impl Loader<$key> for ContentLoader {
            type Value = $value;
            type Error = Arc<AppError>;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, $value> {
                let $loader = self;
                let $ids = ids(keys, |key| key.0);
                let found = $load.await?;
                Ok(by_key(keys, |key| key.0, found))
            }
        }
    };
}

/// A key type with an id and the columns to read: a batch is one statement, reading the
/// columns of all its keys (see [`load_reading`]).
macro_rules! load_partial_by_id {
    ($key:ident, $entity:ty, $value:ty, $what:literal, |$loader:ident, $ids:ident, $columns:ident| $load:expr) => {
        #[doc = concat!("The ", $what, " with this id, reading these columns.")]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i64, pub Columns<$entity>);

        impl Loader<$key> for ContentLoader {
            type Value = $value;
            type Error = Arc<AppError>;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, $value> {
                let $loader = self;
                load_reading(
                    keys,
                    |_| (),
                    |key| key.0,
                    |key| key.1,
                    |(), $ids, $columns| async move { $load.await },
                )
                .await
            }
        }
    };
}

load_by_id!(MeetingById, meeting::Model, "meeting", |this, ids| {
    lookup::by_ids::<meeting::Entity>(&this.db, &ids, Columns::ALL)
});
load_by_id!(TagById, tag::Model, "tag", |this, ids| {
    lookup::by_ids::<tag::Entity>(&this.db, &ids, Columns::ALL)
});
load_partial_by_id!(
    ArticleById,
    article::Entity,
    article::Model,
    "visible article",
    |this, ids, columns| {
        service::article::by_ids(&this.db, this.filters.visibility, &ids, columns)
    }
);
load_partial_by_id!(
    PersonById,
    person::Entity,
    person::Model,
    "person",
    |this, ids, columns| { lookup::by_ids::<person::Entity>(&this.db, &ids, columns) }
);
load_partial_by_id!(
    SourceById,
    source::Entity,
    source::Model,
    "source",
    |this, ids, columns| { lookup::by_ids::<source::Entity>(&this.db, &ids, columns) }
);
/// The keys of whole rows by id, for look-ups whose selection is not a relation's (`node`,
/// `article(id:)`, search results).
macro_rules! whole {
    ($($key:ident),*) => {$(
        impl $key {
            /// Every column of the row with this id.
            pub fn whole(id: i64) -> Self {
                $key(id, Columns::ALL)
            }
        }
    )*};
}

whole!(ArticleById, PersonById, SourceById);

load_by_id!(QuoteById, quote::Model, "visible quote", |this, ids| {
    service::quote::by_ids(&this.db, this.filters.visibility, &ids)
});
load_partial_by_id!(
    TagsOfArticle,
    tag::Entity,
    Vec<tag::Model>,
    "tags of the article",
    |this, ids, columns| { service::tag::of_articles(&this.db, &ids, columns) }
);
load_by_id!(
    MeetingsOfArticle,
    Vec<meeting::Model>,
    "meetings the article reports on",
    |this, ids| { service::meeting::of_articles(&this.db, &ids) }
);
load_by_id!(
    QuotesOfArticle,
    Vec<quote::Model>,
    "quotes of the article",
    |this, ids| { service::quote::of_articles(&this.db, &ids) }
);
load_by_id!(
    QuotesOfMeeting,
    Vec<quote::Model>,
    "visible quotes of the meeting",
    |this, ids| { service::quote::of_meetings(&this.db, this.filters.visibility, &ids) }
);
load_by_id!(
    AliasesOfPerson,
    Vec<String>,
    "aliases of the person",
    |this, ids| { service::person::aliases_of(&this.db, &ids) }
);
load_partial_by_id!(
    PositionsOfPerson,
    position::Entity,
    Vec<position::Model>,
    "positions of the person",
    |this, ids, columns| { service::person::positions_of(&this.db, &ids, columns) }
);

/// The participants of a meeting, only those in `role` when given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParticipantsOfMeeting {
    pub meeting: i64,
    pub role: Option<ParticipantRole>,
    /// The participants' columns to read.
    pub columns: Columns<person::Entity>,
}

impl Loader<ParticipantsOfMeeting> for ContentLoader {
    type Value = Vec<Participation>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[ParticipantsOfMeeting],
    ) -> LoadResult<ParticipantsOfMeeting, Self::Value> {
        load_reading(
            keys,
            |key| key.role,
            |key| key.meeting,
            |key| key.columns,
            |role, meetings, columns| async move {
                service::person::participants_of(&self.db, &meetings, role, columns).await
            },
        )
        .await
    }
}

/// A page of the visible articles of a person, meeting, source or tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArticlesOf {
    pub parent: ArticleParent,
    pub id: i64,
    pub filter: Option<ArticleFilter>,
    pub order: Vec<ArticleOrder>,
    pub page: PageRequest,
    pub columns: Columns<article::Entity>,
}

hash_by_parent!(ArticlesOf, id);

impl Loader<ArticlesOf> for ContentLoader {
    type Value = Page<article::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[ArticlesOf]) -> LoadResult<ArticlesOf, Self::Value> {
        load_reading(
            keys,
            |key| (key.parent, &key.filter, &key.order, &key.page),
            |key| key.id,
            |key| key.columns,
            |(parent, filter, order, page), parents, columns| async move {
                let condition = self.article_condition(filter.as_ref())?;
                service::article::pages_of(
                    &self.db,
                    self.filters.visibility,
                    parent,
                    &parents,
                    condition,
                    order,
                    page,
                    columns,
                )
                .await
            },
        )
        .await
    }
}

/// A page of the people an article mentions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeopleOfArticle {
    pub article: i64,
    pub filter: Option<PersonFilter>,
    pub page: PageRequest,
    pub columns: Columns<person::Entity>,
}

hash_by_parent!(PeopleOfArticle, article);

impl Loader<PeopleOfArticle> for ContentLoader {
    type Value = Page<person::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[PeopleOfArticle]) -> LoadResult<PeopleOfArticle, Self::Value> {
        load_reading(
            keys,
            |key| (&key.filter, &key.page),
            |key| key.article,
            |key| key.columns,
            |(filter, page), articles, columns| async move {
                let condition = self.person_condition(filter.as_ref())?;
                service::person::pages_of_articles(
                    &self.db,
                    &articles,
                    condition,
                    &[PersonOrder::NameAsc],
                    page,
                    columns,
                )
                .await
            },
        )
        .await
    }
}

/// A page of the meetings a person took part in (in `role`, when given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingsOfPerson {
    pub person: i64,
    pub role: Option<ParticipantRole>,
    pub filter: Option<MeetingFilter>,
    pub order: Vec<MeetingOrder>,
    pub page: PageRequest,
    pub columns: Columns<meeting::Entity>,
}

hash_by_parent!(MeetingsOfPerson, person);

impl Loader<MeetingsOfPerson> for ContentLoader {
    type Value = Page<Attendance>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[MeetingsOfPerson]) -> LoadResult<MeetingsOfPerson, Self::Value> {
        load_reading(
            keys,
            |key| (key.role, &key.filter, &key.order, &key.page),
            |key| key.person,
            |key| key.columns,
            |(role, filter, order, page), people, columns| async move {
                let condition = self.meeting_condition(filter.as_ref())?;
                service::meeting::pages_of_people(
                    &self.db, &people, role, condition, order, page, columns,
                )
                .await
            },
        )
        .await
    }
}

/// A page of a person's visible quotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotesOfPerson {
    pub person: i64,
    pub page: PageRequest,
    pub columns: Columns<quote::Entity>,
}

hash_by_parent!(QuotesOfPerson, person);

impl Loader<QuotesOfPerson> for ContentLoader {
    type Value = Page<quote::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[QuotesOfPerson]) -> LoadResult<QuotesOfPerson, Self::Value> {
        load_reading(
            keys,
            |key| &key.page,
            |key| key.person,
            |key| key.columns,
            |page, people, columns| async move {
                service::quote::pages_of_people(
                    &self.db,
                    self.filters.visibility,
                    &people,
                    page,
                    columns,
                )
                .await
            },
        )
        .await
    }
}

/// A nested list whose length can be asked for, with the filter its connection was given.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ChildList {
    Articles(ArticleParent, Option<Box<ArticleFilter>>),
    PeopleOfArticle(Option<Box<PersonFilter>>),
    MeetingsOfPerson(Option<ParticipantRole>, Option<Box<MeetingFilter>>),
    QuotesOfPerson,
}

/// The length of a parent's nested list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountOf {
    pub list: ChildList,
    pub parent: i64,
}

hash_by_parent!(CountOf, parent);

impl Loader<CountOf> for ContentLoader {
    type Value = u64;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[CountOf]) -> LoadResult<CountOf, u64> {
        load_in_groups(
            keys,
            |key| &key.list,
            |key| key.parent,
            |list, parents| async move {
                match list {
                    ChildList::Articles(parent, filter) => {
                        let condition = self.article_condition(filter.as_deref())?;
                        service::article::counts_of(
                            &self.db,
                            self.filters.visibility,
                            *parent,
                            &parents,
                            condition,
                        )
                        .await
                    }
                    ChildList::PeopleOfArticle(filter) => {
                        let condition = self.person_condition(filter.as_deref())?;
                        service::person::counts_of_articles(&self.db, &parents, condition).await
                    }
                    ChildList::MeetingsOfPerson(role, filter) => {
                        let condition = self.meeting_condition(filter.as_deref())?;
                        service::meeting::counts_of_people(&self.db, &parents, *role, condition)
                            .await
                    }
                    ChildList::QuotesOfPerson => {
                        service::quote::counts_of_people(
                            &self.db,
                            self.filters.visibility,
                            &parents,
                        )
                        .await
                    }
                }
            },
        )
        .await
    }
}

impl ContentLoader {
    fn article_condition(&self, filter: Option<&ArticleFilter>) -> Result<Condition, AppError> {
        filter.map_or(Ok(Condition::all()), |f| self.filters.article(f, "filter"))
    }

    fn person_condition(&self, filter: Option<&PersonFilter>) -> Result<Condition, AppError> {
        filter.map_or(Ok(Condition::all()), |f| self.filters.person(f, "filter"))
    }

    fn meeting_condition(&self, filter: Option<&MeetingFilter>) -> Result<Condition, AppError> {
        filter.map_or(Ok(Condition::all()), |f| self.filters.meeting(f, "filter"))
    }
}
