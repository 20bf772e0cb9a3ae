//! Writing rows in batches, and the tables that link articles to tags, people and meetings:
//! what imports and mutations both write.

use entity::{article_meeting, article_person, article_tag};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// How many rows one `INSERT` or `IN (…)` carries, well under every backend's parameter limit.
pub(crate) const BATCH_ROWS: usize = 500;

/// Inserts rows in batches, in order (ids grow in the order given); nothing for no rows.
pub(crate) async fn insert_rows<A>(txn: &impl ConnectionTrait, rows: Vec<A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(BATCH_ROWS).collect();
        A::Entity::insert_many(batch)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// A table linking articles to other records, in the order given.
pub(crate) trait Link: EntityTrait {
    fn id_column() -> Self::Column;
    fn article_column() -> Self::Column;
    fn other_column() -> Self::Column;
    fn row(article_id: i64, other_id: i64) -> Self::ActiveModel;
}

macro_rules! link {
    ($($module:ident: $column:ident $field:ident),* $(,)?) => {$(
        impl Link for $module::Entity {
            fn id_column() -> $module::Column {
                $module::Column::Id
            }
            fn article_column() -> $module::Column {
                $module::Column::ArticleId
            }
            fn other_column() -> $module::Column {
                $module::Column::$column
            }
            fn row(article_id: i64, other_id: i64) -> $module::ActiveModel {
                $module::ActiveModel {
                    id: NotSet,
                    article_id: Set(article_id),
                    $field: Set(other_id),
                }
            }
        }
    )*};
}

link!(
    article_tag: TagId tag_id,
    article_person: PersonId person_id,
    article_meeting: MeetingId meeting_id,
);

/// The ids an article links to through `L`, in order.
pub(crate) async fn stored_links<L: Link>(
    txn: &impl ConnectionTrait,
    article_id: i64,
) -> Result<Vec<i64>, DbErr> {
    L::find()
        .select_only()
        .column(L::other_column())
        .filter(L::article_column().eq(article_id))
        .order_by_asc(L::id_column())
        .into_tuple()
        .all(txn)
        .await
}

/// Replaces the links of an article through `L` with `others`, in that order.
pub(crate) async fn replace_links<L: Link>(
    txn: &impl ConnectionTrait,
    article_id: i64,
    others: &[i64],
) -> Result<(), DbErr> {
    L::delete_many()
        .filter(L::article_column().eq(article_id))
        .exec(txn)
        .await?;
    insert_rows(txn, link_rows::<L>(article_id, others).collect()).await
}

/// The rows linking an article to `others` through `L`.
pub(crate) fn link_rows<L: Link>(
    article_id: i64,
    others: &[i64],
) -> impl Iterator<Item = L::ActiveModel> + '_ {
    others.iter().map(move |&other| L::row(article_id, other))
}
