//! A property test of keyset pagination: random articles (ties, undated rows, drafts), random
//! orderings and filters, every page walked forward and backward, compared with filtering
//! and sorting the whole table in Rust.

use std::cmp::Ordering;

use chrono::{DateTime, TimeZone, Utc};
use content_api::service::article;
use content_api::service::filter::{ArticleFilter, DateTimeFilter, Filters, StringFilter};
use content_api::service::order::ArticleOrder;
use content_api::service::page::PageRequest;
use content_api::service::Visibility;
use entity::{article as articles, ArticleStatus};
use proptest::prelude::*;
use sea_orm::{ActiveValue::Set, Condition, ConnectionTrait, EntityTrait};

use crate::helpers::TestDb;

/// One generated article.
#[derive(Clone, Debug)]
struct Row {
    title: String,
    published_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    language: &'static str,
    featured: bool,
    draft: bool,
}

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_600_000_000 + minutes * 60, 0)
        .single()
        .unwrap_or_default()
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    let row = (
        "[a-c]{0,2}",
        proptest::option::weighted(0.8, 0i64..4),
        0i64..3,
        prop_oneof![Just("en"), Just("zh")],
        any::<bool>(),
        proptest::bool::weighted(0.15),
    )
        .prop_map(
            |(title, published, updated, language, featured, draft)| Row {
                title,
                published_at: published.map(at),
                updated_at: at(updated),
                language,
                featured,
                draft,
            },
        );
    proptest::collection::vec(row, 0..28)
}

fn orders() -> impl Strategy<Value = Vec<ArticleOrder>> {
    let order = prop_oneof![
        Just(ArticleOrder::PublishedAtAsc),
        Just(ArticleOrder::PublishedAtDesc),
        Just(ArticleOrder::TitleAsc),
        Just(ArticleOrder::TitleDesc),
        Just(ArticleOrder::UpdatedAtAsc),
        Just(ArticleOrder::UpdatedAtDesc),
    ];
    proptest::collection::vec(order, 0..3)
}

/// A filter the test can also evaluate itself.
#[derive(Clone, Debug)]
struct Wanted {
    language: Option<&'static str>,
    title_contains: Option<String>,
    published_from: Option<i64>,
    featured: Option<bool>,
}

fn wanted() -> impl Strategy<Value = Wanted> {
    (
        proptest::option::of(prop_oneof![Just("en"), Just("zh")]),
        proptest::option::of("[A-C]"),
        proptest::option::of(0i64..4),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(
            |(language, title_contains, published_from, featured)| Wanted {
                language,
                title_contains,
                published_from,
                featured,
            },
        )
}

impl Wanted {
    fn filter(&self) -> Option<ArticleFilter> {
        let filter = ArticleFilter {
            language: self.language.map(|l| StringFilter {
                eq: Some(l.to_owned()),
                ..Default::default()
            }),
            title: self.title_contains.clone().map(|t| StringFilter {
                contains: Some(t),
                ..Default::default()
            }),
            published_at: self.published_from.map(|m| DateTimeFilter {
                gte: Some(at(m)),
                ..Default::default()
            }),
            featured: self.featured,
            ..Default::default()
        };
        (filter != ArticleFilter::default()).then_some(filter)
    }

    fn keeps(&self, row: &articles::Model) -> bool {
        row.status == ArticleStatus::Published
            && self.language.is_none_or(|l| row.language == l)
            && self
                .title_contains
                .as_ref()
                .is_none_or(|t| row.title.to_lowercase().contains(&t.to_lowercase()))
            && self
                .published_from
                .is_none_or(|m| row.published_at.is_some_and(|p| p >= at(m)))
            && self.featured.is_none_or(|f| row.featured == f)
    }
}

/// The promised order: each key in turn, nulls as the smallest value, then id in the first
/// key's direction (the default order when none is given).
fn promised(orders: &[ArticleOrder], a: &articles::Model, b: &articles::Model) -> Ordering {
    use ArticleOrder::*;
    let orders = if orders.is_empty() {
        &[PublishedAtDesc][..]
    } else {
        orders
    };
    let mut seen = Vec::new();
    for order in orders {
        let (key, descending) = match order {
            PublishedAtAsc | PublishedAtDesc => ("published", *order == PublishedAtDesc),
            TitleAsc | TitleDesc => ("title", *order == TitleDesc),
            CreatedAtAsc | CreatedAtDesc => ("created", *order == CreatedAtDesc),
            UpdatedAtAsc | UpdatedAtDesc => ("updated", *order == UpdatedAtDesc),
        };
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let by = match key {
            "published" => a.published_at.cmp(&b.published_at),
            "title" => a.title.as_bytes().cmp(b.title.as_bytes()),
            "created" => a.created_at.cmp(&b.created_at),
            _ => a.updated_at.cmp(&b.updated_at),
        };
        let by = if descending { by.reverse() } else { by };
        if by != Ordering::Equal {
            return by;
        }
    }
    let first_descending = matches!(
        orders[0],
        PublishedAtDesc | TitleDesc | CreatedAtDesc | UpdatedAtDesc
    );
    let by_id = a.id.cmp(&b.id);
    if first_descending {
        by_id.reverse()
    } else {
        by_id
    }
}

fn walk(
    test: &TestDb,
    condition: &Condition,
    orders: &[ArticleOrder],
    size: i32,
    backward: bool,
) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let request = if backward {
            PageRequest::new(None, None, Some(size), cursor.clone())
        } else {
            PageRequest::new(Some(size), cursor.clone(), None, None)
        }
        .unwrap();
        let page = test
            .run(article::list(
                &test.served,
                Visibility::Published,
                condition.clone(),
                orders,
                &request,
                // `id` alone: the ordering's columns are read for the cursors all the same.
                article::Columns::id(),
            ))
            .unwrap();
        let mut chunk: Vec<i64> = page.nodes().iter().map(|node| node.id).collect();
        assert!(chunk.len() <= size as usize);
        let more = if backward {
            page.has_previous_page
        } else {
            page.has_next_page
        };
        cursor = if backward {
            page.start_cursor()
        } else {
            page.end_cursor()
        };
        if backward {
            chunk.extend(ids);
            ids = chunk;
        } else {
            ids.extend(chunk);
        }
        if !more {
            return ids;
        }
        assert!(ids.len() < 1000, "pagination does not end");
    }
}

#[test]
fn every_page_walk_matches_sorting_the_whole_list() {
    let test = TestDb::new();
    let filters = Filters {
        backend: test.db.get_database_backend(),
        visibility: Visibility::Published,
        max_depth: 6,
    };
    // No regression files: a failure prints its minimal case, which belongs in a named test.
    let config = ProptestConfig {
        cases: 100,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(rows in rows(), orders in orders(), wanted in wanted(), size in 1i32..6)| {
        test.run(test.db.execute_unprepared("DELETE FROM articles")).unwrap();
        if !rows.is_empty() {
            let models = rows.iter().enumerate().map(|(i, row)| articles::ActiveModel {
                slug: Set(format!("a{i}")),
                title: Set(row.title.clone()),
                language: Set(row.language.to_owned()),
                status: Set(if row.draft { ArticleStatus::Draft } else { ArticleStatus::Published }),
                featured: Set(row.featured),
                published_at: Set(row.published_at),
                version: Set(1),
                created_at: Set(at(0)),
                updated_at: Set(row.updated_at),
                ..Default::default()
            });
            test.run(articles::Entity::insert_many(models).exec(&test.db)).unwrap();
        }
        let all = test.run(articles::Entity::find().all(&test.db)).unwrap();
        let mut expected: Vec<&articles::Model> = all.iter().filter(|row| wanted.keeps(row)).collect();
        expected.sort_by(|a, b| promised(&orders, a, b));
        let expected: Vec<i64> = expected.iter().map(|row| row.id).collect();
        let condition = match wanted.filter() {
            Some(filter) => filters.article(&filter, "filter").unwrap(),
            None => Condition::all(),
        };
        prop_assert_eq!(&walk(&test, &condition, &orders, size, false), &expected, "forward");
        prop_assert_eq!(&walk(&test, &condition, &orders, size, true), &expected, "backward");
        let count = test.run(article::count(&test.served, Visibility::Published, condition.clone())).unwrap();
        prop_assert_eq!(count as usize, expected.len());
    });
}
