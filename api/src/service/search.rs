//! Full-text search over the search documents the migrations keep up to date: words stemmed
//! in English and Chinese (or any unspaced script) found by substring, ranked by relevance,
//! paged by keyset cursors over `(score, kind, id)`. The client's text never reaches SQL as
//! syntax: words and character runs are extracted and bound as values.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use entity::article;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
};
use serde::{Deserialize, Serialize};

use super::page::{Page, PageRequest};
use super::Visibility;
use crate::db::planned_for_values;
use crate::db::Read;
use crate::{AppError, AppResult};

/// The longest search text accepted.
pub const MAX_QUERY_CHARS: usize = 500;

/// The kinds of records search finds; the numbers are those of the search index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SearchKind {
    Article = 1,
    Person = 2,
    Meeting = 3,
    Source = 4,
}

impl SearchKind {
    fn from_code(code: i64) -> Option<SearchKind> {
        match code {
            1 => Some(SearchKind::Article),
            2 => Some(SearchKind::Person),
            3 => Some(SearchKind::Meeting),
            4 => Some(SearchKind::Source),
            _ => None,
        }
    }
}

/// One record search found, and how well it matches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub kind: SearchKind,
    pub id: i64,
    pub score: f64,
}

/// What a search text asks for: words (stemmed, any order) and runs of characters from
/// scripts written without spaces (found as substrings).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Terms {
    words: Vec<String>,
    runs: Vec<String>,
}

impl Terms {
    /// Reads a client's search text (given in the input `field`).
    pub fn parse(text: &str, field: &str) -> AppResult<Terms> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(AppError::validation(
                field,
                format!("a search text may have at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let mut terms = Terms::default();
        let mut current = String::new();
        let mut current_unspaced = false;
        let flush = |current: &mut String, unspaced_run: bool, terms: &mut Terms| {
            if current.is_empty() {
                return;
            }
            let term = std::mem::take(current);
            let list = if unspaced_run {
                &mut terms.runs
            } else {
                &mut terms.words
            };
            if !list.contains(&term) {
                list.push(term);
            }
        };
        for c in text.chars() {
            if migration::unspaced(c) {
                if !current_unspaced {
                    flush(&mut current, current_unspaced, &mut terms);
                }
                current_unspaced = true;
                current.push(c);
            } else if c.is_alphanumeric() {
                if current_unspaced {
                    flush(&mut current, current_unspaced, &mut terms);
                }
                current_unspaced = false;
                current.extend(c.to_lowercase());
            } else {
                flush(&mut current, current_unspaced, &mut terms);
            }
        }
        flush(&mut current, current_unspaced, &mut terms);
        if terms.words.is_empty() && terms.runs.is_empty() {
            return Err(AppError::validation(
                field,
                "a search needs at least one word",
            ));
        }
        Ok(terms)
    }

    /// The statement selecting `kind`, `ref` and `score` of every matching document.
    fn hits(&self, backend: DbBackend) -> SelectStatement {
        let mut query = Query::select();
        match backend {
            DbBackend::Postgres => {
                let words = self.words.join(" ");
                query
                    .expr_as(Expr::cust("kind::bigint"), Alias::new("kind"))
                    .expr_as(Expr::cust("ref"), Alias::new("ref"))
                    .from(Alias::new("search_documents"));
                if self.words.is_empty() {
                    query.expr_as(
                        Expr::cust("1.0 / (1 + length(body) / 1000.0)::float8"),
                        Alias::new("score"),
                    );
                } else {
                    // The query is a function in FROM, made once per statement: as an
                    // expression with a parameter it would be parsed again for every row a
                    // generic plan ranks.
                    query
                        .from_function(
                            Func::cust("plainto_tsquery")
                                .arg(Expr::cust("'english'::regconfig"))
                                .arg(words),
                            Alias::new("q"),
                        )
                        .expr_as(Expr::cust("ts_rank(words, q)::float8"), Alias::new("score"))
                        .and_where(Expr::cust("words @@ q"));
                }
                for run in &self.runs {
                    query.and_where(Expr::cust_with_values("body LIKE $1", [format!("%{run}%")]));
                }
                // How many documents the terms match only their values tell.
                query.and_where(planned_for_values());
            }
            _ => {
                let table = if self.words.is_empty() {
                    "search_grams"
                } else {
                    "search_words"
                };
                query
                    .expr_as(Expr::cust(format!("{table}.rowid % 8")), Alias::new("kind"))
                    .expr_as(Expr::cust(format!("{table}.rowid / 8")), Alias::new("ref"))
                    .from(Alias::new(table));
                if self.words.is_empty() {
                    query.expr_as(
                        Expr::cust("1.0 / (1 + length(body) / 1000.0)"),
                        Alias::new("score"),
                    );
                } else {
                    let phrase = self
                        .words
                        .iter()
                        .map(|w| format!("\"{w}\""))
                        .collect::<Vec<_>>()
                        .join(" ");
                    query
                        // bm25() can differ in its last bits between two evaluations of a row
                        // (select list, where clause); cut to 9 decimals, a cursor's score
                        // compares equal. Not with round(), which formats every score as text
                        // and parses it back (a sixth of the CPU of an English search).
                        .expr_as(
                            Expr::cust(
                                "CAST(-bm25(search_words) * 1000000000 AS INTEGER) / 1000000000.0",
                            ),
                            Alias::new("score"),
                        )
                        .and_where(Expr::cust_with_values("search_words MATCH ?", [phrase]));
                }
                for run in &self.runs {
                    // The trigram index serves LIKE for three characters or more; shorter
                    // runs are found by scanning.
                    let condition = if run.chars().count() >= 3 {
                        Expr::cust_with_values("body LIKE ?", [format!("%{run}%")])
                    } else {
                        Expr::cust_with_values("instr(body, ?) > 0", [run.clone()])
                    };
                    if self.words.is_empty() {
                        query.and_where(condition);
                    } else {
                        let mut grams = Query::select();
                        grams
                            .expr(Expr::cust("rowid"))
                            .from(Alias::new("search_grams"))
                            .and_where(condition);
                        query.and_where(Expr::cust("search_words.rowid").in_subquery(grams));
                    }
                }
                // Its cost only its terms tell: the server runs it off the HTTP worker
                // (`db::raw`).
                query.and_where(planned_for_values());
            }
        }
        query
    }
}

/// Which matching records a search may return: the kinds asked for, visible to the caller,
/// and for one kind optionally only the rows `restrict` selects (a list's filter).
pub struct Scope {
    pub kinds: Vec<SearchKind>,
    pub visibility: Visibility,
    pub restrict: Option<(SearchKind, SelectStatement)>,
}

impl Scope {
    /// The ids of `E` rows that meet `condition`, for [`Scope::restrict`].
    pub fn rows_of<E: EntityTrait>(id: E::Column, condition: Condition) -> SelectStatement
    where
        E::Column: ColumnTrait,
    {
        E::find()
            .select_only()
            .column(id)
            .filter(condition)
            .into_query()
    }

    /// The matching documents as a sub-query `hits` with the scope's conditions.
    fn statement(&self, terms: &Terms, backend: DbBackend) -> SelectStatement {
        let kind = || Expr::col((Alias::new("hits"), Alias::new("kind")));
        let id = || Expr::col((Alias::new("hits"), Alias::new("ref")));
        let mut query = Query::select();
        query
            .column((Alias::new("hits"), Alias::new("kind")))
            .column((Alias::new("hits"), Alias::new("ref")))
            .column((Alias::new("hits"), Alias::new("score")))
            .from_subquery(terms.hits(backend), Alias::new("hits"))
            .and_where(kind().is_in(self.kinds.iter().map(|k| *k as i64)));
        if self.visibility == Visibility::Published && self.kinds.contains(&SearchKind::Article) {
            // Checked against the few hidden articles (an index range), not the many
            // published ones: the same rows, a far smaller set to build per statement.
            let visible = super::hidden()
                .into_iter()
                .map(|hidden| {
                    id().not_in_subquery(Scope::rows_of::<article::Entity>(
                        article::Column::Id,
                        hidden,
                    ))
                })
                .fold(Condition::all(), Condition::add);
            query.cond_where(
                Condition::any()
                    .add(kind().ne(SearchKind::Article as i64))
                    .add(visible),
            );
        }
        if let Some((restricted, rows)) = &self.restrict {
            query.and_where(
                kind()
                    .ne(*restricted as i64)
                    .or(id().in_subquery(rows.clone())),
            );
        }
        query
    }
}

/// What a search cursor holds.
#[derive(Serialize, Deserialize)]
struct CursorData {
    s: f64,
    k: i64,
    r: i64,
}

fn cursor_of(hit: &Hit) -> String {
    let data = CursorData {
        s: hit.score,
        k: hit.kind as i64,
        r: hit.id,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&data).unwrap_or_default())
}

fn decode(cursor: &str) -> AppResult<CursorData> {
    let invalid = || {
        AppError::validation(
            "after",
            "`after` is not a cursor of this search; use one it returned",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    serde_json::from_slice(&bytes).map_err(|_| invalid())
}

/// One page of hits, best first (ties by kind, then id).
pub async fn search(
    db: &impl Read,
    terms: &Terms,
    scope: &Scope,
    request: &PageRequest,
) -> AppResult<Page<Hit>> {
    if request.backward || request.before.is_some() {
        return Err(AppError::validation(
            "last",
            "search results page forward only: use `first` and `after`",
        ));
    }
    let score = || Expr::col(Alias::new("score"));
    let kind = || Expr::col(Alias::new("kind"));
    let id = || Expr::col(Alias::new("ref"));
    let mut query = Query::select();
    query
        .columns([Alias::new("kind"), Alias::new("ref"), Alias::new("score")])
        .from_subquery(
            scope.statement(terms, db.get_database_backend()),
            Alias::new("scoped"),
        );
    if let Some(after) = &request.after {
        let c = decode(after)?;
        query.cond_where(
            Condition::any()
                .add(score().lt(c.s))
                .add(score().eq(c.s).and(kind().gt(c.k)))
                .add(score().eq(c.s).and(kind().eq(c.k)).and(id().gt(c.r))),
        );
    }
    query
        .order_by(Alias::new("score"), Order::Desc)
        .order_by(Alias::new("kind"), Order::Asc)
        .order_by(Alias::new("ref"), Order::Asc)
        .limit(request.limit + 1);
    let mut hits = Vec::new();
    for row in db.read(&query).await?.iter() {
        let code: i64 = row.get_named("kind")?;
        let Some(kind) = SearchKind::from_code(code) else {
            continue;
        };
        hits.push(Hit {
            kind,
            id: row.get_named("ref")?,
            score: row.get_named("score")?,
        });
    }
    let more = hits.len() as u64 > request.limit;
    hits.truncate(request.limit as usize);
    Ok(Page::with_cursors_of(
        hits,
        more,
        request.after.is_some(),
        Arc::new(cursor_of),
    ))
}

/// How many records a search finds in `scope`.
pub async fn count(db: &impl Read, terms: &Terms, scope: &Scope) -> AppResult<u64> {
    let mut query = Query::select();
    query
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("count"))
        .from_subquery(
            scope.statement(terms, db.get_database_backend()),
            Alias::new("scoped"),
        );
    let rows = db.read(&query).await?;
    let count: Option<i64> = rows.first().map(|row| row.get(0)).transpose()?;
    Ok(count.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
}

/// The ids of the records of `kind` a search finds, as a sub-query (to narrow a list that is
/// ordered by something other than relevance).
pub fn matching(terms: &Terms, scope: &Scope, backend: DbBackend) -> SelectStatement {
    let mut query = Query::select();
    query
        .column(Alias::new("ref"))
        .from_subquery(scope.statement(terms, backend), Alias::new("scoped"));
    query
}
