//! Orderings and cursors: the sort keys of each ordering (always ending on `id`), opaque
//! cursors that hold a row's key values, and the keyset conditions "after" and "before" a
//! cursor, with nulls sorting last.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sea_orm::sea_query::{Expr, NullOrdering, Order, OrderedStatement};
use sea_orm::{ColumnTrait, Condition, EntityTrait, IdenStatic, ModelTrait, Value};
use serde::{Deserialize, Serialize};

use super::page::PageRequest;
use crate::{AppError, AppResult};

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
    /// Holds nulls, which sort as the smallest value (last descending, first ascending).
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

impl<C> SortKey<C> {
    /// Whether moving forward (or backward) in this key's direction goes toward its nulls.
    fn toward_nulls(&self, forward: bool) -> bool {
        forward == self.descending
    }
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
    /// this ordering. Nulls sort as the smallest value: last when descending, first when
    /// ascending.
    ///
    /// With `without_null_tail`, the rows beyond a non-null value of a nullable first key
    /// leave out the nulls that lie beyond them (see [`Ordering::null_tail`]), so that the
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
            let toward_nulls = key.toward_nulls(forward);
            let step = if is_null(value) {
                if toward_nulls {
                    // Nothing lies beyond a null but other nulls, which tie.
                    continue;
                }
                Condition::all().add(key.column.is_not_null())
            } else {
                let compare = if forward != key.descending {
                    key.column.gt(value.clone())
                } else {
                    key.column.lt(value.clone())
                };
                if key.nullable && toward_nulls && !(i == 0 && without_null_tail) {
                    Condition::any().add(compare).add(key.column.is_null())
                } else {
                    Condition::all().add(compare)
                }
            };
            any = any.add(all.add(step));
        }
        if self.keys.is_empty() {
            return Condition::all();
        }
        // The first key's bound is implied by every branch above; stated on its own it lets
        // the database start an index range scan at the cursor instead of filtering from the
        // top of the list, so a deep page costs what the first page costs. (Beyond a non-null
        // value of a nullable key toward its nulls, no single range covers the rows.)
        if let (Some(first), Some(value)) = (self.keys.first(), values.first()) {
            let one_range = !is_null(value)
                && (!first.nullable || !first.toward_nulls(forward) || without_null_tail);
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
    pub(super) fn condition(&self, request: &PageRequest) -> AppResult<Condition> {
        self.condition_split(request, false)
    }

    /// The cursor conditions of a request, leaving out the null tail beyond the cursor the
    /// page moves from when `without_null_tail`.
    pub(super) fn condition_split(
        &self,
        request: &PageRequest,
        without_null_tail: bool,
    ) -> AppResult<Condition> {
        let mut condition = Condition::all();
        if let Some(after) = &request.after {
            let values = self.decode(after, "after")?;
            let split = without_null_tail && !request.backward;
            condition = condition.add(self.beyond(&values, true, split));
        }
        if let Some(before) = &request.before {
            let values = self.decode(before, "before")?;
            let split = without_null_tail && request.backward;
            condition = condition.add(self.beyond(&values, false, split));
        }
        Ok(condition)
    }

    /// When a page moves from a non-null value of a nullable first key toward its nulls
    /// (forward in a descending order, backward in an ascending one), the rows beyond it are
    /// the rest of the non-null values and then every null: two index ranges. Returns the
    /// condition of the second (the nulls, within the other cursor if given) so the page can
    /// read it only when the first range does not fill the page.
    pub(super) fn null_tail(&self, request: &PageRequest) -> AppResult<Option<Condition>> {
        let forward = !request.backward;
        let (moving, other, other_field) = if forward {
            (&request.after, &request.before, "before")
        } else {
            (&request.before, &request.after, "after")
        };
        let (Some(first), Some(cursor)) = (self.keys.first(), moving) else {
            return Ok(None);
        };
        let field = if forward { "after" } else { "before" };
        if !first.nullable
            || !first.toward_nulls(forward)
            || is_null(&self.decode(cursor, field)?[0])
        {
            return Ok(None);
        }
        let mut tail = Condition::all().add(first.column.is_null());
        if let Some(other) = other {
            tail = tail.add(self.beyond(&self.decode(other, other_field)?, !forward, false));
        }
        Ok(Some(tail))
    }

    /// Orders `statement` (a query or a window) by the keys, in query order (reversed for a
    /// backward page). Null placement is written only for nullable keys, so that the others
    /// match plain indexes (PostgreSQL puts nulls first in a descending index).
    pub(super) fn order<S: OrderedStatement>(&self, statement: &mut S, backward: bool) {
        for key in &self.keys {
            let descending = key.descending != backward;
            let order = if descending { Order::Desc } else { Order::Asc };
            let expr = Expr::col(key.column.as_column_ref());
            // Nulls are the smallest value.
            if key.nullable {
                let nulls = if descending {
                    NullOrdering::Last
                } else {
                    NullOrdering::First
                };
                statement.order_by_expr_with_nulls(expr, order, nulls);
            } else {
                statement.order_by_expr(expr, order);
            }
        }
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
