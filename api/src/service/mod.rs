//! The content store: queries, keyset pagination, batch loads, import and export.
//! Plain Rust in and out: no async-graphql, no actix in here.

pub mod article;
pub mod columns;
pub mod edit;
pub mod export;
pub mod filter;
pub mod import;
pub mod keyset;
pub(crate) mod links;
pub mod lookup;
pub mod meeting;
pub mod order;
pub mod page;
pub mod person;
pub mod quote;
pub mod record;
pub mod search;
pub mod tag;
pub mod token;
pub mod validate;

use chrono::Utc;
use entity::ArticleStatus;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition};

/// What the caller may see. Anonymous clients see published articles only (see `published`) — in lists,
/// relations, counts and look-ups — and the quotes of those articles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Visibility {
    Published,
    All,
}

/// What an article meets when anonymous clients may see it: PUBLISHED, and its publishing
/// time, if it has one, has come (a future `published_at` schedules it: it appears by itself
/// when that moment passes).
pub(crate) fn published() -> Condition {
    Condition::all()
        .add(entity::article::Column::Status.eq(ArticleStatus::Published))
        .add(
            Condition::any()
                .add(entity::article::Column::PublishedAt.is_null())
                .add(entity::article::Column::PublishedAt.lte(Utc::now())),
        )
}

/// What articles meet when anonymous clients may not see them: exactly the articles
/// `published` leaves out, as two sets — another status, or a publishing time still to come
/// — each a range of the `(status, published_at, id)` index, read from the index alone. (As
/// one condition with `OR`, PostgreSQL reads the table's rows for it.)
pub(crate) fn hidden() -> [Condition; 2] {
    use sea_orm::Iterable;
    let other_statuses = ArticleStatus::iter().filter(|status| *status != ArticleStatus::Published);
    [
        Condition::all().add(entity::article::Column::Status.is_in(other_statuses)),
        Condition::all()
            .add(entity::article::Column::Status.eq(ArticleStatus::Published))
            .add(entity::article::Column::PublishedAt.gt(Utc::now())),
    ]
}

/// Opens a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
/// so that concurrent writers wait their turn instead of failing when they start to write.
pub(crate) async fn begin_write(
    db: &sea_orm::DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    db.begin_with_options(options).await
}

/// A qualified column expression, `table.column`.
pub(crate) fn column<C: ColumnTrait>(column: C) -> Expr {
    let (table, name) = column.as_column_ref();
    Expr::col((table, name))
}
