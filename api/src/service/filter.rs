//! Filters: what clients may ask of a list, as plain values, and their translation into SQL
//! conditions that run in the database — columns compared directly, relations as `EXISTS`
//! sub-queries over the indexed link tables, nesting and emptiness checked with the path of
//! the input at fault.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    article, article_meeting, article_person, article_tag, meeting, meeting_participant, person,
    person_alias, quote, source, tag, ArticleStatus, SourceKind,
};
use sea_orm::sea_query::{Expr, ExprTrait, IntoTableRef, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, DbBackend};

use super::{column, Visibility};
use crate::db::planned_for_values;
use crate::{AppError, AppResult};

/// How deep filters may nest (`and`/`or`/`not` and relations each count a level).
pub const DEFAULT_MAX_DEPTH: usize = 6;

/// Conditions on a text column. `contains`, `startsWith` and `endsWith` ignore case in any
/// script and match `%` and `_` literally.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct StringFilter {
    pub eq: Option<String>,
    pub ne: Option<String>,
    pub in_list: Option<Vec<String>>,
    pub not_in: Option<Vec<String>>,
    pub contains: Option<String>,
    pub starts_with: Option<String>,
    pub ends_with: Option<String>,
    pub is_null: Option<bool>,
}

/// Conditions on a timestamp column.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DateTimeFilter {
    pub eq: Option<DateTime<Utc>>,
    pub ne: Option<DateTime<Utc>>,
    pub gt: Option<DateTime<Utc>>,
    pub gte: Option<DateTime<Utc>>,
    pub lt: Option<DateTime<Utc>>,
    pub lte: Option<DateTime<Utc>>,
    pub is_null: Option<bool>,
}

/// Conditions on a date column.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DateFilter {
    pub eq: Option<NaiveDate>,
    pub ne: Option<NaiveDate>,
    pub gt: Option<NaiveDate>,
    pub gte: Option<NaiveDate>,
    pub lt: Option<NaiveDate>,
    pub lte: Option<NaiveDate>,
}

/// Conditions on a row id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct IdFilter {
    pub eq: Option<i64>,
    pub in_list: Option<Vec<i64>>,
}

/// Which articles.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ArticleFilter {
    pub and: Vec<ArticleFilter>,
    pub or: Vec<ArticleFilter>,
    pub not: Option<Box<ArticleFilter>>,
    pub id: Option<IdFilter>,
    pub slug: Option<StringFilter>,
    pub title: Option<StringFilter>,
    pub language: Option<StringFilter>,
    pub status: Option<Vec<ArticleStatus>>,
    pub featured: Option<bool>,
    pub published_at: Option<DateTimeFilter>,
    pub source: Option<Box<SourceFilter>>,
    pub tag: Option<Box<TagFilter>>,
    pub person: Option<Box<PersonFilter>>,
    pub meeting: Option<Box<MeetingFilter>>,
}

/// Which people.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PersonFilter {
    pub and: Vec<PersonFilter>,
    pub or: Vec<PersonFilter>,
    pub not: Option<Box<PersonFilter>>,
    pub id: Option<IdFilter>,
    pub slug: Option<StringFilter>,
    /// Matches the name, the native name or any alias.
    pub name: Option<StringFilter>,
    pub country: Option<StringFilter>,
    pub meeting: Option<Box<MeetingFilter>>,
    pub article: Option<Box<ArticleFilter>>,
}

/// Which meetings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MeetingFilter {
    pub and: Vec<MeetingFilter>,
    pub or: Vec<MeetingFilter>,
    pub not: Option<Box<MeetingFilter>>,
    pub id: Option<IdFilter>,
    pub slug: Option<StringFilter>,
    pub title: Option<StringFilter>,
    pub held_on: Option<DateFilter>,
    pub location: Option<StringFilter>,
    pub city: Option<StringFilter>,
    pub country: Option<StringFilter>,
    pub participant: Option<Box<PersonFilter>>,
    pub article: Option<Box<ArticleFilter>>,
}

/// Which sources.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SourceFilter {
    pub and: Vec<SourceFilter>,
    pub or: Vec<SourceFilter>,
    pub not: Option<Box<SourceFilter>>,
    pub id: Option<IdFilter>,
    pub slug: Option<StringFilter>,
    pub name: Option<StringFilter>,
    pub kind: Option<Vec<SourceKind>>,
}

/// Which tags.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TagFilter {
    pub id: Option<IdFilter>,
    pub slug: Option<StringFilter>,
    pub name: Option<StringFilter>,
}

/// Which quotes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct QuoteFilter {
    pub person: Option<Box<PersonFilter>>,
    pub meeting: Option<Box<MeetingFilter>>,
    pub article: Option<Box<ArticleFilter>>,
    pub text: Option<StringFilter>,
}

/// Turns filters into conditions for one database and one caller.
#[derive(Clone, Copy, Debug)]
pub struct Filters {
    pub backend: DbBackend,
    pub visibility: Visibility,
    pub max_depth: usize,
}

/// The conditions of one filter object, gathered with its path for errors.
struct Builder<'a> {
    filters: &'a Filters,
    path: String,
    condition: Condition,
    criteria: usize,
}

impl<'a> Builder<'a> {
    fn new(filters: &'a Filters, path: &str, depth: usize) -> AppResult<Builder<'a>> {
        if depth > filters.max_depth {
            return Err(AppError::validation(
                path,
                format!("filters may nest at most {} levels deep", filters.max_depth),
            ));
        }
        Ok(Builder {
            filters,
            path: path.to_owned(),
            condition: Condition::all(),
            criteria: 0,
        })
    }

    fn at(&self, field: &str) -> String {
        format!("{}.{field}", self.path)
    }

    fn add(&mut self, condition: impl Into<Condition>) {
        self.condition =
            std::mem::replace(&mut self.condition, Condition::all()).add(condition.into());
        self.criteria += 1;
    }

    /// `and`, `or` and `not` over filters of the same entity.
    fn combine<F>(
        &mut self,
        and: &[F],
        or: &[F],
        not: Option<&F>,
        depth: usize,
        each: impl Fn(&Filters, &F, &str, usize) -> AppResult<Condition>,
    ) -> AppResult<()> {
        for (index, filter) in and.iter().enumerate() {
            let condition = each(
                self.filters,
                filter,
                &format!("{}.and.{index}", self.path),
                depth + 1,
            )?;
            self.add(condition);
        }
        if !or.is_empty() {
            let mut any = Condition::any();
            for (index, filter) in or.iter().enumerate() {
                any = any.add(each(
                    self.filters,
                    filter,
                    &format!("{}.or.{index}", self.path),
                    depth + 1,
                )?);
            }
            self.add(any);
        }
        if let Some(filter) = not {
            let condition = each(self.filters, filter, &self.at("not"), depth + 1)?;
            self.add(condition.not());
        }
        Ok(())
    }

    fn id(&mut self, id: Expr, filter: &Option<IdFilter>) -> AppResult<()> {
        let Some(filter) = filter else { return Ok(()) };
        let path = self.at("id");
        let mut any_operator = false;
        if let Some(eq) = filter.eq {
            self.add(id.clone().eq(eq));
            any_operator = true;
        }
        if let Some(list) = &filter.in_list {
            self.add(id.is_in(list.iter().copied()));
            any_operator = true;
        }
        if any_operator {
            Ok(())
        } else {
            Err(empty(&path))
        }
    }

    fn text(
        &mut self,
        field: &str,
        columns: &[Expr],
        filter: &Option<StringFilter>,
    ) -> AppResult<()> {
        let Some(filter) = filter else { return Ok(()) };
        let condition = self.filters.text(columns, filter, &self.at(field))?;
        self.add(condition);
        Ok(())
    }

    fn finish(self) -> AppResult<Condition> {
        if self.criteria == 0 {
            return Err(empty(&self.path));
        }
        Ok(self.condition)
    }
}

fn empty(path: &str) -> AppError {
    AppError::validation(
        path,
        "an empty filter object matches nothing: name at least one field",
    )
}

/// A text pattern's position.
#[derive(Clone, Copy)]
enum Anchor {
    Anywhere,
    Start,
    End,
}

impl Filters {
    /// Articles that match `filter` (given at `path`, e.g. `filter`).
    pub fn article(&self, filter: &ArticleFilter, path: &str) -> AppResult<Condition> {
        Ok(self.planned(self.article_at(filter, path, 1)?))
    }

    /// People who match `filter`.
    pub fn person(&self, filter: &PersonFilter, path: &str) -> AppResult<Condition> {
        Ok(self.planned(self.person_at(filter, path, 1)?))
    }

    /// Meetings that match `filter`.
    pub fn meeting(&self, filter: &MeetingFilter, path: &str) -> AppResult<Condition> {
        Ok(self.planned(self.meeting_at(filter, path, 1)?))
    }

    /// Sources that match `filter`.
    pub fn source(&self, filter: &SourceFilter, path: &str) -> AppResult<Condition> {
        Ok(self.planned(self.source_at(filter, path, 1)?))
    }

    /// Tags that match `filter`.
    pub fn tag(&self, filter: &TagFilter, path: &str) -> AppResult<Condition> {
        Ok(self.planned(self.tag_at(filter, path, 1)?))
    }

    /// Quotes that match `filter`.
    pub fn quote(&self, filter: &QuoteFilter, path: &str) -> AppResult<Condition> {
        Ok(self.planned(self.quote_at(filter, path)?))
    }

    /// `condition` marked as one whose cost only its values tell (a text pattern, a date
    /// range, which tag; see [`crate::db::PLAN_FOR_VALUES`]). On PostgreSQL it is planned for
    /// its values at every execution, since a generic plan made without them can cost many
    /// times the plan made for them (BENCHMARKS.md, eleventh run); on a SQLite file it runs
    /// off the HTTP worker at once (`db::raw`).
    fn planned(&self, condition: Condition) -> Condition {
        Condition::all().add(condition).add(planned_for_values())
    }

    fn quote_at(&self, filter: &QuoteFilter, path: &str) -> AppResult<Condition> {
        let mut b = Builder::new(self, path, 1)?;
        b.text("text", &[column(quote::Column::Text)], &filter.text)?;
        if let Some(person) = &filter.person {
            let inner = self.person_at(person, &b.at("person"), 2)?;
            b.add(exists(
                person::Entity,
                column(person::Column::Id).eq(column(quote::Column::PersonId)),
                inner,
            ));
        }
        if let Some(meeting) = &filter.meeting {
            let inner = self.meeting_at(meeting, &b.at("meeting"), 2)?;
            b.add(exists(
                meeting::Entity,
                column(meeting::Column::Id).eq(column(quote::Column::MeetingId)),
                inner,
            ));
        }
        if let Some(article) = &filter.article {
            let inner = self.visible_article_at(article, &b.at("article"), 2)?;
            b.add(exists(
                article::Entity,
                column(article::Column::Id).eq(column(quote::Column::ArticleId)),
                inner,
            ));
        }
        b.finish()
    }

    fn article_at(&self, filter: &ArticleFilter, path: &str, depth: usize) -> AppResult<Condition> {
        let mut b = Builder::new(self, path, depth)?;
        b.combine(
            &filter.and,
            &filter.or,
            filter.not.as_deref(),
            depth,
            |f, x, p, d| f.article_at(x, p, d),
        )?;
        b.id(column(article::Column::Id), &filter.id)?;
        b.text("slug", &[column(article::Column::Slug)], &filter.slug)?;
        b.text("title", &[column(article::Column::Title)], &filter.title)?;
        b.text(
            "language",
            &[column(article::Column::Language)],
            &filter.language,
        )?;
        if let Some(status) = &filter.status {
            b.add(article::Column::Status.is_in(status.iter().copied()));
        }
        if let Some(featured) = filter.featured {
            b.add(article::Column::Featured.eq(featured));
        }
        if let Some(published_at) = &filter.published_at {
            let condition = date_time(
                column(article::Column::PublishedAt),
                published_at,
                &b.at("publishedAt"),
            )?;
            b.add(condition);
        }
        if let Some(source) = &filter.source {
            let inner = self.source_at(source, &b.at("source"), depth + 1)?;
            b.add(exists(
                source::Entity,
                column(source::Column::Id).eq(column(article::Column::SourceId)),
                inner,
            ));
        }
        if let Some(tag) = &filter.tag {
            let inner = self.tag_at(tag, &b.at("tag"), depth + 1)?;
            b.add(self.exists_among(
                article_tag::Entity,
                column(article_tag::Column::ArticleId).eq(column(article::Column::Id)),
                column(article_tag::Column::TagId),
                tag::Entity,
                column(tag::Column::Id),
                inner,
            ));
        }
        if let Some(person) = &filter.person {
            let inner = self.person_at(person, &b.at("person"), depth + 1)?;
            b.add(self.exists_among(
                article_person::Entity,
                column(article_person::Column::ArticleId).eq(column(article::Column::Id)),
                column(article_person::Column::PersonId),
                person::Entity,
                column(person::Column::Id),
                inner,
            ));
        }
        if let Some(meeting) = &filter.meeting {
            let inner = self.meeting_at(meeting, &b.at("meeting"), depth + 1)?;
            b.add(self.exists_among(
                article_meeting::Entity,
                column(article_meeting::Column::ArticleId).eq(column(article::Column::Id)),
                column(article_meeting::Column::MeetingId),
                meeting::Entity,
                column(meeting::Column::Id),
                inner,
            ));
        }
        b.finish()
    }

    /// An article filter inside another entity's filter: only articles the caller may see
    /// count, so a draft never shows through what it links to.
    fn visible_article_at(
        &self,
        filter: &ArticleFilter,
        path: &str,
        depth: usize,
    ) -> AppResult<Condition> {
        let condition = self.article_at(filter, path, depth)?;
        Ok(match self.visibility {
            Visibility::Published => condition.add(super::published()),
            Visibility::All => condition,
        })
    }

    fn person_at(&self, filter: &PersonFilter, path: &str, depth: usize) -> AppResult<Condition> {
        let mut b = Builder::new(self, path, depth)?;
        b.combine(
            &filter.and,
            &filter.or,
            filter.not.as_deref(),
            depth,
            |f, x, p, d| f.person_at(x, p, d),
        )?;
        b.id(column(person::Column::Id), &filter.id)?;
        b.text("slug", &[column(person::Column::Slug)], &filter.slug)?;
        b.text(
            "country",
            &[column(person::Column::Country)],
            &filter.country,
        )?;
        if let Some(name) = &filter.name {
            let path = b.at("name");
            let own = self.text(
                &[
                    column(person::Column::Name),
                    column(person::Column::NativeName),
                ],
                name,
                &path,
            )?;
            let alias = self.text(&[column(person_alias::Column::Alias)], name, &path)?;
            let aliases = exists(
                person_alias::Entity,
                column(person_alias::Column::PersonId).eq(column(person::Column::Id)),
                alias,
            );
            b.add(Condition::any().add(own).add(aliases));
        }
        if let Some(meeting) = &filter.meeting {
            let inner = self.meeting_at(meeting, &b.at("meeting"), depth + 1)?;
            b.add(self.exists_among(
                meeting_participant::Entity,
                column(meeting_participant::Column::PersonId).eq(column(person::Column::Id)),
                column(meeting_participant::Column::MeetingId),
                meeting::Entity,
                column(meeting::Column::Id),
                inner,
            ));
        }
        if let Some(article) = &filter.article {
            let inner = self.visible_article_at(article, &b.at("article"), depth + 1)?;
            b.add(exists_through(
                article_person::Entity,
                column(article_person::Column::PersonId).eq(column(person::Column::Id)),
                article::Entity,
                column(article::Column::Id).eq(column(article_person::Column::ArticleId)),
                inner,
            ));
        }
        b.finish()
    }

    fn meeting_at(&self, filter: &MeetingFilter, path: &str, depth: usize) -> AppResult<Condition> {
        let mut b = Builder::new(self, path, depth)?;
        b.combine(
            &filter.and,
            &filter.or,
            filter.not.as_deref(),
            depth,
            |f, x, p, d| f.meeting_at(x, p, d),
        )?;
        b.id(column(meeting::Column::Id), &filter.id)?;
        b.text("slug", &[column(meeting::Column::Slug)], &filter.slug)?;
        b.text("title", &[column(meeting::Column::Title)], &filter.title)?;
        b.text(
            "location",
            &[column(meeting::Column::Location)],
            &filter.location,
        )?;
        b.text("city", &[column(meeting::Column::City)], &filter.city)?;
        b.text(
            "country",
            &[column(meeting::Column::Country)],
            &filter.country,
        )?;
        if let Some(held_on) = &filter.held_on {
            let condition = date(column(meeting::Column::HeldOn), held_on, &b.at("heldOn"))?;
            b.add(condition);
        }
        if let Some(participant) = &filter.participant {
            let inner = self.person_at(participant, &b.at("participant"), depth + 1)?;
            b.add(self.exists_among(
                meeting_participant::Entity,
                column(meeting_participant::Column::MeetingId).eq(column(meeting::Column::Id)),
                column(meeting_participant::Column::PersonId),
                person::Entity,
                column(person::Column::Id),
                inner,
            ));
        }
        if let Some(article) = &filter.article {
            let inner = self.visible_article_at(article, &b.at("article"), depth + 1)?;
            b.add(exists_through(
                article_meeting::Entity,
                column(article_meeting::Column::MeetingId).eq(column(meeting::Column::Id)),
                article::Entity,
                column(article::Column::Id).eq(column(article_meeting::Column::ArticleId)),
                inner,
            ));
        }
        b.finish()
    }

    fn source_at(&self, filter: &SourceFilter, path: &str, depth: usize) -> AppResult<Condition> {
        let mut b = Builder::new(self, path, depth)?;
        b.combine(
            &filter.and,
            &filter.or,
            filter.not.as_deref(),
            depth,
            |f, x, p, d| f.source_at(x, p, d),
        )?;
        b.id(column(source::Column::Id), &filter.id)?;
        b.text("slug", &[column(source::Column::Slug)], &filter.slug)?;
        b.text("name", &[column(source::Column::Name)], &filter.name)?;
        if let Some(kind) = &filter.kind {
            b.add(source::Column::Kind.is_in(kind.iter().copied()));
        }
        b.finish()
    }

    fn tag_at(&self, filter: &TagFilter, path: &str, depth: usize) -> AppResult<Condition> {
        let mut b = Builder::new(self, path, depth)?;
        b.id(column(tag::Column::Id), &filter.id)?;
        b.text("slug", &[column(tag::Column::Slug)], &filter.slug)?;
        b.text("name", &[column(tag::Column::Name)], &filter.name)?;
        b.finish()
    }

    /// A text filter over one or more columns: a row matches when any of them does.
    fn text(&self, columns: &[Expr], filter: &StringFilter, path: &str) -> AppResult<Condition> {
        let mut any = Condition::any();
        for column in columns {
            any = any.add(self.text_on(column.clone(), filter, path)?);
        }
        Ok(any)
    }

    fn text_on(&self, column: Expr, filter: &StringFilter, path: &str) -> AppResult<Condition> {
        let mut all = Condition::all();
        let mut operators = 0;
        let mut add = |condition: Expr| {
            all = std::mem::replace(&mut all, Condition::all()).add(condition);
            operators += 1;
        };
        if let Some(value) = &filter.eq {
            add(column.clone().eq(value.as_str()));
        }
        if let Some(value) = &filter.ne {
            add(column.clone().ne(value.as_str()));
        }
        if let Some(values) = &filter.in_list {
            add(column.clone().is_in(values.iter().map(String::as_str)));
        }
        if let Some(values) = &filter.not_in {
            add(column.clone().is_not_in(values.iter().map(String::as_str)));
        }
        if let Some(value) = &filter.contains {
            add(self.pattern(column.clone(), value, Anchor::Anywhere));
        }
        if let Some(value) = &filter.starts_with {
            add(self.pattern(column.clone(), value, Anchor::Start));
        }
        if let Some(value) = &filter.ends_with {
            add(self.pattern(column.clone(), value, Anchor::End));
        }
        if let Some(is_null) = filter.is_null {
            add(if is_null {
                column.is_null()
            } else {
                column.is_not_null()
            });
        }
        if operators == 0 {
            return Err(empty(path));
        }
        Ok(all)
    }

    /// `EXISTS (SELECT 1 FROM link_table WHERE link AND target IN (SELECT id FROM table
    /// WHERE condition))`: a relation through a link table to people, meetings or tags.
    ///
    /// * The inner `SELECT` does not depend on the outer row, so the database runs it once
    ///   per statement (SQLite keeps its ids in a transient index, PostgreSQL in a hash)
    ///   rather than once per link of every outer row. "Articles mentioning someone whose
    ///   name contains `wang`" thus matches names against the few thousand people once, not
    ///   against the people of each of tens of thousands of articles.
    /// * On SQLite the link's target column is written `+target`, which keeps the planner
    ///   from looking up every id of the inner `SELECT` in the link table's
    ///   `(outer, target)` index for every outer row (hundreds of look-ups each, measured);
    ///   it reads the outer row's few links and checks each against the ids instead.
    fn exists_among(
        &self,
        link_table: impl IntoTableRef,
        link: Expr,
        target: Expr,
        table: impl IntoTableRef,
        id: Expr,
        condition: Condition,
    ) -> Expr {
        let mut among: SelectStatement = Query::select();
        among.expr(id).from(table).cond_where(condition);
        let target = match self.backend {
            DbBackend::Sqlite => Expr::cust_with_expr("+?", target),
            _ => target,
        };
        let mut query: SelectStatement = Query::select();
        query
            .expr(Expr::val(1))
            .from(link_table)
            .and_where(link)
            .and_where(target.in_subquery(among));
        Expr::exists(query)
    }

    /// A case-insensitive match of `value` as literal text: `ILIKE` on PostgreSQL (Unicode
    /// case folding by the database's locale), a case-insensitive `REGEXP` on SQLite (whose
    /// own `LIKE` folds ASCII letters only).
    fn pattern(&self, column: Expr, value: &str, anchor: Anchor) -> Expr {
        match self.backend {
            DbBackend::Postgres => {
                let escaped: String = value
                    .chars()
                    .flat_map(|c| match c {
                        '%' | '_' | '\\' => vec!['\\', c],
                        c => vec![c],
                    })
                    .collect();
                let pattern = match anchor {
                    Anchor::Anywhere => format!("%{escaped}%"),
                    Anchor::Start => format!("{escaped}%"),
                    Anchor::End => format!("%{escaped}"),
                };
                Expr::cust_with_exprs("$1 ILIKE $2 ESCAPE '\\'", [column, Expr::val(pattern)])
            }
            _ => {
                let escaped = regex::escape(value);
                let pattern = match anchor {
                    Anchor::Anywhere => format!("(?i){escaped}"),
                    Anchor::Start => format!("(?i)^{escaped}"),
                    Anchor::End => format!("(?i){escaped}$"),
                };
                Expr::cust_with_exprs("? REGEXP ?", [column, Expr::val(pattern)])
            }
        }
    }
}

/// A comparison of a filter operator.
#[derive(Clone, Copy)]
enum Compare {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

/// The comparisons a date or time filter asks for, and how many there are.
fn comparisons<V: Into<sea_orm::Value>>(
    column: &Expr,
    operators: [(Option<V>, Compare); 6],
) -> (Condition, usize) {
    let mut all = Condition::all();
    let mut count = 0;
    for (value, compare) in operators {
        let Some(value) = value else { continue };
        let column = column.clone();
        all = all.add(match compare {
            Compare::Eq => ExprTrait::eq(column, value),
            Compare::Ne => ExprTrait::ne(column, value),
            Compare::Gt => column.gt(value),
            Compare::Gte => column.gte(value),
            Compare::Lt => column.lt(value),
            Compare::Lte => column.lte(value),
        });
        count += 1;
    }
    (all, count)
}

fn date_time(column: Expr, filter: &DateTimeFilter, path: &str) -> AppResult<Condition> {
    use Compare::*;
    let operators = [
        (filter.eq, Eq),
        (filter.ne, Ne),
        (filter.gt, Gt),
        (filter.gte, Gte),
        (filter.lt, Lt),
        (filter.lte, Lte),
    ];
    let (mut all, mut count) = comparisons(&column, operators);
    if let Some(is_null) = filter.is_null {
        all = all.add(if is_null {
            column.is_null()
        } else {
            column.is_not_null()
        });
        count += 1;
    }
    if count == 0 {
        return Err(empty(path));
    }
    Ok(all)
}

fn date(column: Expr, filter: &DateFilter, path: &str) -> AppResult<Condition> {
    use Compare::*;
    let operators = [
        (filter.eq, Eq),
        (filter.ne, Ne),
        (filter.gt, Gt),
        (filter.gte, Gte),
        (filter.lt, Lt),
        (filter.lte, Lte),
    ];
    let (all, count) = comparisons(&column, operators);
    if count == 0 {
        return Err(empty(path));
    }
    Ok(all)
}

/// `EXISTS (SELECT 1 FROM table WHERE link AND condition)`.
fn exists(table: impl IntoTableRef, link: Expr, condition: Condition) -> Expr {
    let mut query = Query::select();
    query
        .expr(Expr::val(1))
        .from(table)
        .and_where(link)
        .cond_where(condition);
    Expr::exists(query)
}

/// `EXISTS (SELECT 1 FROM link_table JOIN table ON join WHERE link AND condition)`: a
/// relation through a link table to articles, correlated to the outer row by `link`.
///
/// The articles' condition is checked only for the outer row's own links: articles are the
/// large table, and a list of people or meetings is usually a page of a few of them.
fn exists_through(
    link_table: impl IntoTableRef,
    link: Expr,
    table: impl IntoTableRef,
    join: Expr,
    condition: Condition,
) -> Expr {
    let mut query: SelectStatement = Query::select();
    query
        .expr(Expr::val(1))
        .from(link_table)
        .inner_join(table, join)
        .and_where(link)
        .cond_where(condition);
    Expr::exists(query)
}
