//! The pool as the server reads through it: PostgreSQL plans statements that carry a
//! client's values for those values, every time.

use std::sync::Arc;
use std::time::Instant;

use sea_orm::sea_query::Expr;
use sea_orm::{
    metric, ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult,
    QueryResult, RuntimeErr, Statement,
};
use sea_query_sqlx::SqlxValues;
use sqlx::pool::PoolConnection;
use sqlx::Postgres;

/// Marks a statement whose best plan depends on the values it is given, written into its SQL
/// as a comment: on PostgreSQL, [`Db`] has such a statement planned for its values at every
/// execution. Every statement with a client's filter carries it (`service::filter`), and every
/// search (`service::search`).
pub const PLAN_FOR_VALUES: &str = "/* plan for values */";

/// A condition that is always true and marks its statement [`PLAN_FOR_VALUES`].
pub fn planned_for_values() -> Expr {
    Expr::cust(format!("TRUE {PLAN_FOR_VALUES}"))
}

/// What is told of every statement run: sea-orm's metric callback.
pub type OnStatement = Arc<dyn Fn(&metric::Info<'_>) + Send + Sync>;

/// The pool as the server reads through it ([`ConnectionTrait`]): the statements go to
/// sea-orm's [`DatabaseConnection`], except that on PostgreSQL one marked
/// [`PLAN_FOR_VALUES`] is sent unnamed, so that PostgreSQL plans it for its values each time.
///
/// A prepared statement is planned for its values on its first five executions on a
/// connection; after that PostgreSQL may keep one generic plan instead, made without the
/// values. For a filter that plan can be a poor one: not knowing how few names `%wang%`
/// matches, it tests the pattern once per (article, person) pair rather than once per
/// person, and the filtered list costs twice as much (BENCHMARKS.md, tenth and eleventh
/// runs; a tag and a year, nine times as much). An unnamed statement is planned afresh at
/// every execution, at the price of parsing it again and one more round trip; every other
/// statement stays a cached prepared statement.
///
/// Only statements run through this handle are: [`Db::connection`] (for transactions and
/// writes) runs every statement prepared and kept.
#[derive(Clone)]
pub struct Db {
    connection: DatabaseConnection,
    on_statement: Option<OnStatement>,
}

impl Db {
    /// `connection` as it is: the statements this handle runs itself are told to no one,
    /// those it hands to sea-orm to `connection`'s metric callback if it has one.
    pub fn new(connection: DatabaseConnection) -> Db {
        Db {
            connection,
            on_statement: None,
        }
    }

    /// `connection` with every statement run through it told to `on_statement`, those it
    /// runs itself as well as those it hands to sea-orm (whose metric callback it sets).
    pub fn observed(mut connection: DatabaseConnection, on_statement: OnStatement) -> Db {
        let callback = on_statement.clone();
        connection.set_metric_callback(move |info| callback(info));
        Db {
            connection,
            on_statement: Some(on_statement),
        }
    }

    /// The pool itself, for transactions, writes and what else needs a [`DatabaseConnection`].
    pub fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), DbErr> {
        self.connection.close().await
    }

    /// A PostgreSQL connection, when `statement` is to be planned for its values there. A
    /// connection that cannot be had fails as on sea-orm's own path.
    async fn planned_for_values(
        &self,
        statement: &Statement,
    ) -> Result<Option<PoolConnection<Postgres>>, DbErr> {
        if self.connection.get_database_backend() != DbBackend::Postgres
            || !statement.sql.contains(PLAN_FOR_VALUES)
        {
            return Ok(None);
        }
        let pool = self.connection.get_postgres_connection_pool();
        match pool.acquire().await {
            Ok(connection) => Ok(Some(connection)),
            Err(sqlx::Error::PoolTimedOut) => {
                Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))
            }
            Err(sqlx::Error::PoolClosed) => {
                Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))
            }
            Err(error) => Err(DbErr::Conn(RuntimeErr::SqlxError(error.into()))),
        }
    }

    /// Runs `statement` unnamed with `run`, telling `on_statement` of it.
    async fn unnamed<'s, T, F>(
        &self,
        statement: &'s Statement,
        run: impl FnOnce(sqlx::query::Query<'s, Postgres, SqlxValues>) -> F,
    ) -> Result<T, DbErr>
    where
        F: std::future::Future<Output = Result<T, sqlx::Error>>,
    {
        let values = statement
            .values
            .clone()
            .unwrap_or(sea_orm::sea_query::Values(Vec::new()));
        let query = sqlx::query_with(
            sqlx::AssertSqlSafe(statement.sql.as_str()),
            SqlxValues(values),
        )
        .persistent(false);
        let start = Instant::now();
        let result = run(query).await;
        if let Some(on_statement) = &self.on_statement {
            on_statement(&metric::Info {
                elapsed: start.elapsed(),
                statement,
                failed: result.is_err(),
            });
        }
        result.map_err(|error| DbErr::Query(RuntimeErr::SqlxError(error.into())))
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.connection.get_database_backend()
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        self.connection.execute_raw(statement).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.connection.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self.planned_for_values(&statement).await? {
            Some(mut connection) => Ok(self
                .unnamed(&statement, |query| query.fetch_optional(&mut *connection))
                .await?
                .map(QueryResult::from)),
            None => self.connection.query_one_raw(statement).await,
        }
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self.planned_for_values(&statement).await? {
            Some(mut connection) => Ok(self
                .unnamed(&statement, |query| query.fetch_all(&mut *connection))
                .await?
                .into_iter()
                .map(QueryResult::from)
                .collect()),
            None => self.connection.query_all_raw(statement).await,
        }
    }
}
