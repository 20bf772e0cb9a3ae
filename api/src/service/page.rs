//! Keyset pagination: validated page requests, opaque cursors, orderings that always end
//! on `id`, and the two page queries — one list, or one page per parent in one statement
//! (`ROW_NUMBER() OVER (PARTITION BY parent …)`).

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Func, NullOrdering, Order, OverStatement, Query, WindowStatement,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, ModelTrait,
    QueryFilter, QueryResult, QuerySelect, QueryTrait, Select, Value,
};
use serde::{Deserialize, Serialize};

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

/// One row of a page and the cursor that points at it.
#[derive(Clone, Debug)]
pub struct Edge<T> {
    pub cursor: String,
    pub node: T,
}

/// One page of a list.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub edges: Vec<Edge<T>>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    /// A page with no rows, as a parent with no children gets.
    pub fn empty(request: &PageRequest) -> Page<T> {
        Page {
            edges: Vec::new(),
            has_next_page: request.backward && request.before.is_some(),
            has_previous_page: !request.backward && request.after.is_some(),
        }
    }

    /// Builds the page from the rows fetched in query order (one more than the limit when
    /// there are more).
    fn from_rows(mut rows: Vec<Edge<T>>, request: &PageRequest) -> Page<T> {
        let more = rows.len() as u64 > request.limit;
        rows.truncate(request.limit as usize);
        if request.backward {
            rows.reverse();
            Page {
                edges: rows,
                has_next_page: request.before.is_some(),
                has_previous_page: more,
            }
        } else {
            Page {
                edges: rows,
                has_next_page: more,
                has_previous_page: request.after.is_some(),
            }
        }
    }
}

/// How a sort column's values are typed (to turn a cursor back into a bound value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Int,
    Text,
    Timestamp,
    Date,
}

/// One column of an ordering.
#[derive(Clone, Copy, Debug)]
pub struct SortKey<C> {
    pub column: C,
    pub kind: KeyKind,
    pub descending: bool,
    /// Nulls sort last in both directions.
    pub nullable: bool,
}

/// A whole ordering: the client's keys, then `id` as the tie-break. `name` goes into the
/// cursors so that a cursor of one ordering is refused by another.
#[derive(Clone, Debug)]
pub struct Ordering<C> {
    pub name: String,
    pub keys: Vec<SortKey<C>>,
}

/// An ordering option of a list (`ArticleOrder::PublishedAtDesc` …).
pub trait OrderOption: Copy + PartialEq {
    type Column: ColumnTrait;
    /// The name clients use, as in the schema.
    fn name(self) -> &'static str;
    /// The column, its kind, whether descending and whether nullable.
    fn key(self) -> SortKey<Self::Column>;
}

/// Builds the ordering for the options a client gave (or the default), ending on `id` in the
/// direction of the first key. A column named twice counts once.
pub fn ordering<O: OrderOption>(options: &[O], default: O, id: O::Column) -> Ordering<O::Column> {
    let options = if options.is_empty() {
        &[default][..]
    } else {
        options
    };
    let mut keys: Vec<SortKey<O::Column>> = Vec::new();
    let mut names = Vec::new();
    for option in options {
        let key = option.key();
        if keys
            .iter()
            .any(|k| k.column.as_str() == key.column.as_str())
        {
            continue;
        }
        names.push(option.name());
        keys.push(key);
    }
    let descending = keys.first().is_some_and(|k| k.descending);
    keys.push(SortKey {
        column: id,
        kind: KeyKind::Int,
        descending,
        nullable: false,
    });
    Ordering {
        name: names.join(","),
        keys,
    }
}

/// What a cursor holds.
#[derive(Serialize, Deserialize)]
struct CursorData {
    /// The ordering's name.
    o: String,
    /// The row's values of the ordering's keys.
    k: Vec<serde_json::Value>,
}

impl<C: ColumnTrait> Ordering<C> {
    /// The cursor of a row.
    pub fn cursor_of<M: ModelTrait<Entity = E>, E: EntityTrait<Column = C>>(
        &self,
        model: &M,
    ) -> String {
        let values = self
            .keys
            .iter()
            .map(|key| value_to_json(model.get(key.column)))
            .collect();
        let data = CursorData {
            o: self.name.clone(),
            k: values,
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&data).unwrap_or_default())
    }

    /// Decodes a client's cursor into one bound value per key.
    fn decode(&self, cursor: &str, field: &str) -> AppResult<Vec<Value>> {
        let invalid = || {
            AppError::validation(
                field,
                format!("`{field}` is not a cursor of this list in this order; use a cursor this list returned"),
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
        let data: CursorData = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if data.o != self.name || data.k.len() != self.keys.len() {
            return Err(invalid());
        }
        self.keys
            .iter()
            .zip(data.k)
            .map(|(key, value)| json_to_value(key, value).ok_or_else(invalid))
            .collect()
    }

    /// The condition "strictly after the cursor" (`forward`) or "strictly before" it, in
    /// this ordering, nulls last.
    ///
    /// With `without_null_tail`, the rows after a non-null value of a nullable first key
    /// leave out the nulls that follow them (see [`Ordering::null_tail_after`]), so that the
    /// condition is one index range.
    fn beyond(&self, values: &[Value], forward: bool, without_null_tail: bool) -> Condition {
        let mut any = Condition::any();
        for (i, (key, value)) in self.keys.iter().zip(values).enumerate() {
            let mut all = Condition::all();
            for (earlier, earlier_value) in self.keys[..i].iter().zip(values) {
                all = all.add(if is_null(earlier_value) {
                    earlier.column.is_null()
                } else {
                    earlier.column.eq(earlier_value.clone())
                });
            }
            let greater = forward != key.descending;
            let step = match (is_null(value), forward) {
                // Nothing sorts after a null but other nulls, which tie.
                (true, true) => continue,
                (true, false) => Condition::all().add(key.column.is_not_null()),
                (false, _) => {
                    let compare = if greater {
                        key.column.gt(value.clone())
                    } else {
                        key.column.lt(value.clone())
                    };
                    if key.nullable && forward && !(i == 0 && without_null_tail) {
                        Condition::any().add(compare).add(key.column.is_null())
                    } else {
                        Condition::all().add(compare)
                    }
                }
            };
            any = any.add(all.add(step));
        }
        if self.keys.is_empty() {
            return Condition::all();
        }
        // The first key's bound is implied by every branch above; stated on its own it lets
        // the database start an index range scan at the cursor instead of filtering from the
        // top of the list, so a deep page costs what the first page costs. (After a non-null
        // value of a nullable key the nulls follow, so no single range covers that case.)
        if let (Some(first), Some(value)) = (self.keys.first(), values.first()) {
            let one_range = !is_null(value) && (!first.nullable || !forward || without_null_tail);
            if one_range {
                let bound = if forward != first.descending {
                    first.column.gte(value.clone())
                } else {
                    first.column.lte(value.clone())
                };
                return Condition::all().add(bound).add(any);
            }
        }
        any
    }

    /// The cursor conditions of a request.
    fn condition(&self, request: &PageRequest) -> AppResult<Condition> {
        self.condition_split(request, false)
    }

    /// The cursor conditions of a request, leaving out the null tail after `after` when
    /// `without_null_tail`.
    fn condition_split(
        &self,
        request: &PageRequest,
        without_null_tail: bool,
    ) -> AppResult<Condition> {
        let mut condition = Condition::all();
        if let Some(after) = &request.after {
            let values = self.decode(after, "after")?;
            condition = condition.add(self.beyond(&values, true, without_null_tail));
        }
        if let Some(before) = &request.before {
            let values = self.decode(before, "before")?;
            condition = condition.add(self.beyond(&values, false, false));
        }
        Ok(condition)
    }

    /// When a forward page starts after a non-null value of a nullable first key, the rows
    /// after it are the rest of the non-null values and then every null: two index ranges.
    /// Returns the condition of the second (the nulls, within `before` if given) so the
    /// page can read it only when the first range does not fill the page.
    fn null_tail_after(&self, request: &PageRequest) -> AppResult<Option<Condition>> {
        let (Some(first), Some(after), false) =
            (self.keys.first(), &request.after, request.backward)
        else {
            return Ok(None);
        };
        if !first.nullable || is_null(&self.decode(after, "after")?[0]) {
            return Ok(None);
        }
        let mut tail = Condition::all().add(first.column.is_null());
        if let Some(before) = &request.before {
            tail = tail.add(self.beyond(&self.decode(before, "before")?, false, false));
        }
        Ok(Some(tail))
    }

    /// `(expression, order, nulls)` per key, in query order (reversed for a backward page).
    /// Null placement is written only for nullable keys, so that the others match plain
    /// indexes (PostgreSQL puts nulls first in a descending index).
    fn sort(&self, backward: bool) -> Vec<(Expr, Order, Option<NullOrdering>)> {
        self.keys
            .iter()
            .map(|key| {
                let descending = key.descending != backward;
                let order = if descending { Order::Desc } else { Order::Asc };
                let nulls = key.nullable.then_some(if backward {
                    NullOrdering::First
                } else {
                    NullOrdering::Last
                });
                (Expr::col(key.column.as_column_ref()), order, nulls)
            })
            .collect()
    }
}

fn is_null(value: &Value) -> bool {
    matches!(
        value,
        Value::String(None)
            | Value::BigInt(None)
            | Value::ChronoDateTimeUtc(None)
            | Value::ChronoDate(None)
    )
}

fn value_to_json(value: Value) -> serde_json::Value {
    match value {
        Value::BigInt(Some(v)) => v.into(),
        Value::Int(Some(v)) => v.into(),
        Value::String(Some(v)) => v.into(),
        Value::ChronoDateTimeUtc(Some(v)) => v.to_rfc3339_opts(SecondsFormat::AutoSi, true).into(),
        Value::ChronoDate(Some(v)) => v.format("%Y-%m-%d").to_string().into(),
        _ => serde_json::Value::Null,
    }
}

fn json_to_value<C>(key: &SortKey<C>, value: serde_json::Value) -> Option<Value> {
    if matches!(value, serde_json::Value::Null) {
        if !key.nullable {
            return None;
        }
        return Some(match key.kind {
            KeyKind::Int => Value::BigInt(None),
            KeyKind::Text => Value::String(None),
            KeyKind::Timestamp => Value::ChronoDateTimeUtc(None),
            KeyKind::Date => Value::ChronoDate(None),
        });
    }
    Some(match key.kind {
        KeyKind::Int => Value::BigInt(Some(value.as_i64()?)),
        KeyKind::Text => Value::String(Some(value.as_str()?.to_owned())),
        KeyKind::Timestamp => {
            let parsed = DateTime::parse_from_rfc3339(value.as_str()?).ok()?;
            Value::ChronoDateTimeUtc(Some(parsed.with_timezone(&Utc)))
        }
        KeyKind::Date => Value::ChronoDate(Some(
            NaiveDate::parse_from_str(value.as_str()?, "%Y-%m-%d").ok()?,
        )),
    })
}

/// One page of `select` in `ordering`: one statement, each an index range from the cursor
/// (two when a page after a dated row runs on into the undated ones).
pub async fn fetch_page<E, C>(
    db: &C,
    select: Select<E>,
    ordering: &Ordering<E::Column>,
    request: &PageRequest,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: ModelTrait<Entity = E>,
    C: ConnectionTrait,
{
    let wanted = request.limit + 1;
    let sorted = |select: Select<E>, condition: Condition, limit: u64| {
        let mut select = select.filter(condition);
        for (expr, order, nulls) in ordering.sort(request.backward) {
            let query = QueryTrait::query(&mut select);
            match nulls {
                Some(nulls) => query.order_by_expr_with_nulls(expr, order, nulls),
                None => query.order_by_expr(expr, order),
            };
        }
        select.limit(limit)
    };
    let null_tail = ordering.null_tail_after(request)?;
    let head = ordering.condition_split(request, null_tail.is_some())?;
    let mut rows = sorted(select.clone(), head, wanted).all(db).await?;
    if let Some(tail) = null_tail {
        let missing = wanted.saturating_sub(rows.len() as u64);
        if missing > 0 {
            rows.extend(sorted(select, tail, missing).all(db).await?);
        }
    }
    let edges = rows
        .into_iter()
        .map(|node| Edge {
            cursor: ordering.cursor_of(&node),
            node,
        })
        .collect();
    Ok(Page::from_rows(edges, request))
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

/// One page per parent, all in one statement: `select` must already join whatever
/// `parents.column` needs. Each row is turned into a `T` by `read`
/// (which may read extra columns the caller selected) and `model` gives the row's entity
/// model for its cursor. Parents with no rows get an empty page.
pub async fn fetch_pages_per_parent<E, C, T>(
    db: &C,
    select: Select<E>,
    parents: Parents<'_>,
    ordering: &Ordering<E::Column>,
    request: &PageRequest,
    read: impl Fn(&QueryResult) -> Result<T, sea_orm::DbErr>,
    model: impl Fn(&T) -> &E::Model,
) -> AppResult<HashMap<i64, Page<T>>>
where
    E: EntityTrait,
    E::Model: ModelTrait<Entity = E>,
    C: ConnectionTrait,
{
    let Parents {
        column: parent,
        ids: parents,
    } = parents;
    let mut pages: HashMap<i64, Page<T>> = HashMap::new();
    if parents.is_empty() {
        return Ok(pages);
    }
    let mut inner = select
        .filter(parent.clone().is_in(parents.iter().copied()))
        .filter(ordering.condition(request)?)
        .into_query();
    let mut window = WindowStatement::new();
    window.add_partition_by(parent.clone());
    for (expr, order, nulls) in ordering.sort(request.backward) {
        match nulls {
            Some(nulls) => window.order_by_expr_with_nulls(expr, order, nulls),
            None => window.order_by_expr(expr, order),
        };
    }
    inner.expr_as(parent, Alias::new(PARENT)).expr_window_as(
        Func::cust("ROW_NUMBER"),
        window,
        Alias::new(ROW_NUMBER),
    );
    let outer = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .from_subquery(inner, Alias::new("page"))
        .and_where(Expr::col(Alias::new(ROW_NUMBER)).lte(request.limit + 1))
        .order_by(Alias::new(PARENT), Order::Asc)
        .order_by(Alias::new(ROW_NUMBER), Order::Asc)
        .to_owned();
    let rows = db.query_all(&outer).await?;
    let mut grouped: HashMap<i64, Vec<Edge<T>>> = HashMap::new();
    for row in rows {
        let parent: i64 = row.try_get("", PARENT)?;
        let node = read(&row)?;
        let cursor = ordering.cursor_of(model(&node));
        grouped
            .entry(parent)
            .or_default()
            .push(Edge { cursor, node });
    }
    for id in parents {
        let page = match grouped.remove(id) {
            Some(rows) => Page::from_rows(rows, request),
            None => Page::empty(request),
        };
        pages.insert(*id, page);
    }
    Ok(pages)
}

/// Reads an entity model from a row of a per-parent query.
pub fn read_model<M: FromQueryResult>(row: &QueryResult) -> Result<M, sea_orm::DbErr> {
    M::from_query_result(row, "")
}

/// Runs `query` (which selects the parent's id as [`PARENT_COLUMN`]) and groups its rows
/// by parent, in query order.
pub async fn fetch_grouped<C: ConnectionTrait, T>(
    db: &C,
    query: sea_orm::sea_query::SelectStatement,
    read: impl Fn(&QueryResult) -> Result<T, sea_orm::DbErr>,
) -> AppResult<HashMap<i64, Vec<T>>> {
    let mut grouped: HashMap<i64, Vec<T>> = HashMap::new();
    for row in db.query_all(&query).await? {
        let parent: i64 = row.try_get("", PARENT)?;
        grouped.entry(parent).or_default().push(read(&row)?);
    }
    Ok(grouped)
}

/// The alias under which grouped queries select the parent's id.
pub const PARENT_COLUMN: &str = PARENT;

/// Counts the rows of `select` per parent in one `GROUP BY` statement; parents with no
/// rows count 0.
pub async fn count_per_parent<E: EntityTrait, C: ConnectionTrait>(
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
    let rows: Vec<(i64, i64)> = select
        .filter(parent.clone().is_in(parents.iter().copied()))
        .select_only()
        .expr_as(parent.clone(), PARENT)
        .expr_as(Expr::cust("COUNT(*)"), "count")
        .group_by(parent)
        .into_tuple()
        .all(db)
        .await?;
    for (parent, count) in rows {
        counts.insert(parent, u64::try_from(count).unwrap_or(0));
    }
    Ok(counts)
}

/// Counts the rows of `select`.
pub async fn count<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    select: Select<E>,
) -> AppResult<u64> {
    let count: Option<i64> = select
        .select_only()
        .expr_as(Expr::cust("COUNT(*)"), "count")
        .into_tuple()
        .one(db)
        .await?;
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
        Page {
            edges: Vec::new(),
            has_next_page: false,
            has_previous_page: false,
        }
    }
}
