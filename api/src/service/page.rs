//! Pages: validated page requests, pages of rows with their cursors, and the queries that
//! fetch them — one list, one page per parent in one statement (`ROW_NUMBER() OVER
//! (PARTITION BY parent …)`), grouped child lists and counts. Orderings and cursors are in
//! `keyset`.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Func, Order, OverStatement, Query, WindowStatement,
};
use sea_orm::{Condition, EntityTrait, ModelTrait, QueryFilter, QuerySelect, QueryTrait, Select};

use super::columns::{Columns, Partial};
use super::keyset::Ordering;
use crate::db::{Read, Row};
use crate::{AppError, AppResult};

/// Page size when the client names none.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page a client may ask for; more is a `BAD_USER_INPUT` error, not a silent cut.
pub const MAX_PAGE_SIZE: u64 = 100;

/// A validated `first`/`after`/`last`/`before`. Cursors stay opaque strings here so that
/// requests can be compared and hashed (they are batch keys); they are decoded against the
/// ordering when the query is built.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PageRequest {
    /// How many rows at most.
    pub limit: u64,
    /// `last` was given: the page ends at `before` (or at the end of the list).
    pub backward: bool,
    pub after: Option<String>,
    pub before: Option<String>,
}

impl PageRequest {
    /// Checks the four Relay arguments: sizes from 0 to [`MAX_PAGE_SIZE`], not both
    /// `first` and `last`.
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<PageRequest> {
        let size = |name: &str, value: i32| -> AppResult<u64> {
            match u64::try_from(value) {
                Ok(size) if size <= MAX_PAGE_SIZE => Ok(size),
                Ok(_) => Err(AppError::validation(
                    name,
                    format!("`{name}` may be at most {MAX_PAGE_SIZE}; page through longer lists with cursors"),
                )),
                Err(_) => Err(AppError::validation(name, format!("`{name}` must not be negative"))),
            }
        };
        let (limit, backward) = match (first, last) {
            (Some(_), Some(_)) => {
                return Err(AppError::validation(
                    "last",
                    "give `first` or `last`, not both",
                ))
            }
            (Some(first), None) => (size("first", first)?, false),
            (None, Some(last)) => (size("last", last)?, true),
            // `before` alone means the page just before it.
            (None, None) => (DEFAULT_PAGE_SIZE, before.is_some() && after.is_none()),
        };
        Ok(PageRequest {
            limit,
            backward,
            after,
            before,
        })
    }
}

/// How a page's rows get their cursors. Encoding a cursor is a fair part of what a small
/// page costs, and most requests ask for none (or only `pageInfo`'s two), so a page keeps
/// the means and makes each cursor when it is asked for.
#[derive(Clone)]
enum Cursors<T> {
    /// From the row itself (its ordering's keys), when asked for.
    Of(Arc<dyn Fn(&T) -> String + Send + Sync>),
    /// Made already, one per row in page order: a list in relevance order, whose rows'
    /// cursors come from their search hits.
    Given(Vec<String>),
}

/// One page of a list: its rows in list order, with their cursors (made on demand where the
/// page can). The rows are read through [`Page::nodes`]: they stay in step with the cursors.
#[derive(Clone)]
pub struct Page<T> {
    nodes: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    cursors: Cursors<T>,
}

impl<T> Page<T> {
    /// A page whose rows' cursors `cursor_of` makes from each row.
    pub fn with_cursors_of(
        nodes: Vec<T>,
        has_next_page: bool,
        has_previous_page: bool,
        cursor_of: Arc<dyn Fn(&T) -> String + Send + Sync>,
    ) -> Page<T> {
        Page {
            nodes,
            has_next_page,
            has_previous_page,
            cursors: Cursors::Of(cursor_of),
        }
    }

    /// A page whose rows' cursors are made already, one per row.
    pub fn with_cursors(
        rows: Vec<(T, String)>,
        has_next_page: bool,
        has_previous_page: bool,
    ) -> Page<T> {
        let (nodes, cursors) = rows.into_iter().unzip();
        Page {
            nodes,
            has_next_page,
            has_previous_page,
            cursors: Cursors::Given(cursors),
        }
    }

    /// A page with no rows, as a parent with no children gets.
    pub fn empty(request: &PageRequest) -> Page<T> {
        Page::with_cursors(
            Vec::new(),
            request.backward && request.before.is_some(),
            !request.backward && request.after.is_some(),
        )
    }

    /// The page's rows, in list order.
    pub fn nodes(&self) -> &[T] {
        &self.nodes
    }

    /// The cursor of the row at `index`, if the page has one there.
    pub fn cursor(&self, index: usize) -> Option<String> {
        match &self.cursors {
            Cursors::Of(cursor_of) => self.nodes.get(index).map(|node| cursor_of(node)),
            Cursors::Given(cursors) => cursors.get(index).cloned(),
        }
    }

    /// The cursor of the page's first row.
    pub fn start_cursor(&self) -> Option<String> {
        self.cursor(0)
    }

    /// The cursor of the page's last row.
    pub fn end_cursor(&self) -> Option<String> {
        self.cursor(self.nodes.len().checked_sub(1)?)
    }

    /// Builds the page from the rows fetched in query order (one more than the limit when
    /// there are more).
    fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest,
        cursor_of: Arc<dyn Fn(&T) -> String + Send + Sync>,
    ) -> Page<T> {
        let more = rows.len() as u64 > request.limit;
        rows.truncate(request.limit as usize);
        if request.backward {
            rows.reverse();
            Page::with_cursors_of(rows, request.before.is_some(), more, cursor_of)
        } else {
            Page::with_cursors_of(rows, more, request.after.is_some(), cursor_of)
        }
    }
}

impl<T> Debug for Page<T>
where
    T: Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("nodes", &self.nodes)
            .field("has_next_page", &self.has_next_page)
            .field("has_previous_page", &self.has_previous_page)
            .finish_non_exhaustive()
    }
}

/// One page of `select` in `ordering`: one statement, an index range from the cursor (two
/// when a page from a dated row runs on into the undated ones). Each row is turned into a
/// model by `read` ([`read_model`] for a whole one).
pub async fn fetch_page<E, C>(
    db: &C,
    select: Select<E>,
    ordering: &Ordering<E::Column>,
    request: &PageRequest,
    read: impl Fn(Row<'_>) -> Result<E::Model, sea_orm::DbErr>,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: ModelTrait<Entity = E>,
    C: Read,
{
    let wanted = request.limit + 1;
    let fetch = |select: Select<E>, condition: Condition, limit: u64| {
        let mut select = select.filter(condition);
        ordering.order(QueryTrait::query(&mut select), request.backward);
        let query = select.limit(limit).into_query();
        let read = &read;
        async move {
            db.read(&query)
                .await?
                .iter()
                .map(read)
                .collect::<Result<Vec<_>, _>>()
        }
    };
    let null_tail = ordering.null_tail(request)?;
    let head = ordering.condition_split(request, null_tail.is_some())?;
    let mut rows = fetch(select.clone(), head, wanted).await?;
    if let Some(tail) = null_tail {
        let missing = wanted.saturating_sub(rows.len() as u64);
        if missing > 0 {
            rows.extend(fetch(select, tail, missing).await?);
        }
    }
    let ordering = ordering.clone();
    let cursor_of = Arc::new(move |node: &E::Model| ordering.cursor_of(node));
    Ok(Page::from_rows(rows, request, cursor_of))
}

/// Column aliases of the per-parent query.
const PARENT: &str = "page_parent";
const ROW_NUMBER: &str = "page_row";

/// The parents of nested lists: the expression that names a row's parent id (a column of
/// the list's table or of a joined link table) and the parents wanted.
pub struct Parents<'a> {
    pub column: Expr,
    pub ids: &'a [i64],
}

/// One page per parent, all in one statement (numbered per parent with `ROW_NUMBER`; a
/// plain `LIMIT` for a single parent): `select` must already join whatever
/// `parents.column` needs. Each row is turned into a `T` by `read`
/// (which may read extra columns the caller selected) and `model` gives the row's entity
/// model for its cursor. Parents with no rows get an empty page.
pub async fn fetch_pages_per_parent<E, C, T>(
    db: &C,
    select: Select<E>,
    parents: Parents<'_>,
    ordering: &Ordering<E::Column>,
    request: &PageRequest,
    read: impl Fn(Row<'_>) -> Result<T, sea_orm::DbErr>,
    model: impl Fn(&T) -> &E::Model + Send + Sync + 'static,
) -> AppResult<HashMap<i64, Page<T>>>
where
    E: EntityTrait,
    T: 'static,
    E::Model: ModelTrait<Entity = E>,
    C: Read,
{
    let Parents {
        column: parent,
        ids: parents,
    } = parents;
    let mut pages: HashMap<i64, Page<T>> = HashMap::new();
    if parents.is_empty() {
        return Ok(pages);
    }
    let outer = if let [only] = parents {
        // One parent (a detail page): a plain ordered `LIMIT`, which stops after the page's
        // rows, rather than numbering every row of the parent.
        let mut query = select
            .filter(parent.clone().eq(*only))
            .filter(ordering.condition(request)?)
            .into_query();
        query.expr_as(parent, Alias::new(PARENT));
        ordering.order(&mut query, request.backward);
        query.limit(request.limit + 1).to_owned()
    } else {
        let mut inner = select
            .filter(parent.clone().is_in(parents.iter().copied()))
            .filter(ordering.condition(request)?)
            .into_query();
        let mut window = WindowStatement::new();
        window.add_partition_by(parent.clone());
        ordering.order(&mut window, request.backward);
        inner.expr_as(parent, Alias::new(PARENT)).expr_window_as(
            Func::cust("ROW_NUMBER"),
            window,
            Alias::new(ROW_NUMBER),
        );
        Query::select()
            .column(sea_orm::sea_query::Asterisk)
            .from_subquery(inner, Alias::new("page"))
            .and_where(Expr::col(Alias::new(ROW_NUMBER)).lte(request.limit + 1))
            .order_by(Alias::new(PARENT), Order::Asc)
            .order_by(Alias::new(ROW_NUMBER), Order::Asc)
            .to_owned()
    };
    let rows = db.read(&outer).await?;
    let mut grouped: HashMap<i64, Vec<T>> = HashMap::new();
    for row in rows.iter() {
        let parent: i64 = row.get_named(PARENT)?;
        grouped.entry(parent).or_default().push(read(row)?);
    }
    let ordering = ordering.clone();
    let cursor_of: Arc<dyn Fn(&T) -> String + Send + Sync> =
        Arc::new(move |node: &T| ordering.cursor_of(model(node)));
    for id in parents {
        let page = match grouped.remove(id) {
            Some(rows) => Page::from_rows(rows, request, cursor_of.clone()),
            None => Page::empty(request),
        };
        pages.insert(*id, page);
    }
    Ok(pages)
}

/// Reads a whole entity model from a row that selects every column first, in the
/// entity's order (as `E::find()` does).
pub fn read_model<E: Partial>(row: Row<'_>) -> Result<E::Model, sea_orm::DbErr> {
    Columns::<E>::ALL.read(row)
}

/// Runs `query` (which selects the parent's id as [`PARENT_COLUMN`]) and groups its rows
/// by parent, in query order.
pub async fn fetch_grouped<C: Read, T>(
    db: &C,
    query: sea_orm::sea_query::SelectStatement,
    read: impl Fn(Row<'_>) -> Result<T, sea_orm::DbErr>,
) -> AppResult<HashMap<i64, Vec<T>>> {
    let mut grouped: HashMap<i64, Vec<T>> = HashMap::new();
    for row in db.read(&query).await?.iter() {
        let parent: i64 = row.get_named(PARENT)?;
        grouped.entry(parent).or_default().push(read(row)?);
    }
    Ok(grouped)
}

/// The alias under which grouped queries select the parent's id.
pub const PARENT_COLUMN: &str = PARENT;

/// Counts the rows of `select` per parent in one `GROUP BY` statement; parents with no
/// rows count 0.
pub async fn count_per_parent<E: EntityTrait, C: Read>(
    db: &C,
    select: Select<E>,
    parents: Parents<'_>,
) -> AppResult<HashMap<i64, u64>> {
    let Parents {
        column: parent,
        ids: parents,
    } = parents;
    let mut counts: HashMap<i64, u64> = parents.iter().map(|id| (*id, 0)).collect();
    if parents.is_empty() {
        return Ok(counts);
    }
    let query = select
        .filter(parent.clone().is_in(parents.iter().copied()))
        .select_only()
        .expr_as(parent.clone(), PARENT)
        .expr_as(Expr::cust("COUNT(*)"), "count")
        .group_by(parent)
        .into_query();
    for row in db.read(&query).await?.iter() {
        let count: i64 = row.get(1)?;
        counts.insert(row.get(0)?, u64::try_from(count).unwrap_or(0));
    }
    Ok(counts)
}

/// Counts the rows of `select`.
pub async fn count<E: EntityTrait, C: Read>(db: &C, select: Select<E>) -> AppResult<u64> {
    let query = select
        .select_only()
        .expr_as(Expr::cust("COUNT(*)"), "count")
        .into_query();
    let rows = db.read(&query).await?;
    let count: Option<i64> = rows.first().map(|row| row.get(0)).transpose()?;
    Ok(count.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
}

/// Joins `link` to `select` on `link.child = child_id` (an inner join).
pub fn join_link<E: EntityTrait>(
    mut select: Select<E>,
    link: impl sea_orm::sea_query::IntoTableRef,
    child_column: Expr,
    child_id: Expr,
) -> Select<E> {
    QueryTrait::query(&mut select).inner_join(link, child_column.eq(child_id));
    select
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page::with_cursors(Vec::new(), false, false)
    }
}
