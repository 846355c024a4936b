//! Database access for both backends through one code path.
//!
//! Zhengwu runs on SQLite (embedded default) or PostgreSQL (scale-out). Every store writes its SQL
//! once with `$1`-style placeholders, which both backends accept, builds it with [`sql`] and runs it
//! through [`Db`] or [`Tx`]. Rows decode into structs deriving `sqlx::FromRow`, which works for both
//! row types as long as fields are `i64`, `f64`, `bool`, `String`, `Vec<u8>` or `Option`s of them.
//!
//! Portable schema rules (see `migrations/`): ids and times are BIGINT (times are Unix seconds, written
//! from Rust, never `CURRENT_TIMESTAMP`), booleans are BOOLEAN/INTEGER, text is TEXT. Aggregates that
//! PostgreSQL widens to NUMERIC (`SUM` of BIGINT) must be cast back with `CAST(… AS BIGINT)`.

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, Postgres, Sqlite, Transaction};

/// Errors from the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("记录不存在")]
    NotFound,
    #[error("与已有记录冲突：{0}")]
    Conflict(String),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl DbError {
    /// True when the error is a unique-constraint violation (both backends report it alike).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => e.is_unique_violation(),
            DbError::Conflict(_) => true,
            _ => false,
        }
    }

    /// True when a referenced row does not exist (a foreign key to a missing site or unit).
    pub fn is_foreign_key_violation(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e)) if e.is_foreign_key_violation())
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// Which backend a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to one of the two backends.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// One bound argument. Kept to the types both drivers encode natively.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
    Bytes(Vec<u8>),
    NullInt,
    NullText,
    NullFloat,
}

macro_rules! impl_from_arg {
    ($t:ty, $v:ident, $e:expr) => {
        impl From<$t> for Arg {
            fn from($v: $t) -> Self {
                $e
            }
        }
    };
}
impl_from_arg!(i64, v, Arg::Int(v));
impl_from_arg!(i32, v, Arg::Int(i64::from(v)));
impl_from_arg!(u32, v, Arg::Int(i64::from(v)));
impl_from_arg!(f64, v, Arg::Float(v));
impl_from_arg!(bool, v, Arg::Bool(v));
impl_from_arg!(String, v, Arg::Text(v));
impl_from_arg!(&str, v, Arg::Text(v.to_owned()));
impl_from_arg!(&String, v, Arg::Text(v.clone()));
impl_from_arg!(Vec<u8>, v, Arg::Bytes(v));
impl_from_arg!(Option<i64>, v, v.map_or(Arg::NullInt, Arg::Int));
impl_from_arg!(Option<f64>, v, v.map_or(Arg::NullFloat, Arg::Float));
impl_from_arg!(Option<String>, v, v.map_or(Arg::NullText, Arg::Text));
impl_from_arg!(Option<&str>, v, v.map_or(Arg::NullText, |s| Arg::Text(s.to_owned())));

/// A statement plus its arguments, built with [`sql`] and `.bind(…)`.
#[derive(Clone, Debug)]
pub struct Q {
    sql: Cow<'static, str>,
    args: Vec<Arg>,
}

/// Starts a statement. Use `$1, $2, …` placeholders.
pub fn sql(text: impl Into<Cow<'static, str>>) -> Q {
    Q { sql: text.into(), args: Vec::new() }
}

impl Q {
    pub fn bind(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Appends SQL text. Only for fragments built from code, never from user input: user values go
    /// through [`Q::push_bind`].
    pub fn push(mut self, text: &str) -> Self {
        self.sql.to_mut().push_str(text);
        self
    }

    /// Appends the next placeholder and binds `value` to it.
    pub fn push_bind(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        let n = self.args.len();
        self.sql.to_mut().push_str(&format!("${n}"));
        self
    }

    /// Appends `$a, $b, …` for the values and binds them (for `IN (…)`); nothing for none.
    pub fn push_bind_list<T: Into<Arg>>(mut self, values: impl IntoIterator<Item = T>) -> Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self = self.push(",");
            }
            self = self.push_bind(v);
        }
        self
    }

    /// Appends one row `(…)` of a multi-row `INSERT … VALUES` (`, (…)` after the first) and binds its
    /// values.
    pub fn push_row(mut self, first: bool, values: impl IntoIterator<Item = Arg>) -> Self {
        self = self.push(if first { "(" } else { ", (" });
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self = self.push(", ");
            }
            self = self.push_bind(v);
        }
        self.push(")")
    }

    /// Appends ` AND column IN (…)` for `ids`: `None` restricts nothing, an empty list matches no
    /// row (how queues keep to the units or channels a user may see). `column` comes from code.
    pub fn and_within(self, column: &str, ids: Option<&[i64]>) -> Self {
        match ids {
            None => self,
            Some([]) => self.push(" AND 1=0"),
            Some(ids) => self.push(&format!(" AND {column} IN (")).push_bind_list(ids.iter().copied()).push(")"),
        }
    }

    /// Number of arguments bound so far (the next placeholder is this plus one).
    pub fn arg_count(&self) -> usize {
        self.args.len()
    }

    pub fn text(&self) -> &str {
        &self.sql
    }
}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args {
            q = match a {
                Arg::Int(v) => q.bind(v),
                Arg::Float(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::Bool(v) => q.bind(v),
                Arg::Bytes(v) => q.bind(v),
                Arg::NullInt => q.bind(Option::<i64>::None),
                Arg::NullText => q.bind(Option::<String>::None),
                Arg::NullFloat => q.bind(Option::<f64>::None),
            };
        }
        q
    }};
}

/// Rows that decode from both backends.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// A single scalar column (`SELECT count(*) …`).
#[derive(Debug, sqlx::FromRow)]
pub struct Scalar<T>(pub T);

/// For SQLite, `$1, $2, …, $n` used once each in order become plain `?`. sqlx binds every SQLite
/// parameter after asking its name, and SQLite finds a named (`$n`, `?n`) parameter's name by a
/// linear scan, so binding is quadratic in a statement's parameters — a batch insert spent 88% of
/// its time in `sqlite3_bind_parameter_name`; anonymous `?` parameters have no names to scan.
/// Statements that reuse or reorder parameters keep their numbers. Quoted text is left alone.
fn sqlite_positional(sql: Cow<'static, str>) -> Cow<'static, str> {
    if !sql.contains('$') {
        return sql;
    }
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut expected = 1u32;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            out.push(c);
        } else if c == '\'' || c == '"' {
            quote = Some(c);
            out.push(c);
        } else if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut n = 0u32;
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                n = n.saturating_mul(10).saturating_add(d);
                chars.next();
            }
            if n != expected {
                return sql;
            }
            expected += 1;
            out.push('?');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

macro_rules! run_on {
    ($conn:expr, $q:expr, $method:ident) => {{
        let Q { sql, args } = $q;
        match $conn {
            Conn::Sqlite(c) => {
                let query = bind_all!(sqlx::query_as::<Sqlite, _>(AssertSqlSafe(sqlite_positional(sql))), args);
                query.$method(c).await
            }
            Conn::Postgres(c) => {
                let query = bind_all!(sqlx::query_as::<Postgres, _>(AssertSqlSafe(sql)), args);
                query.$method(c).await
            }
        }
    }};
}

macro_rules! exec_on {
    ($conn:expr, $q:expr) => {{
        let Q { sql, args } = $q;
        match $conn {
            Conn::Sqlite(c) => {
                let query = bind_all!(sqlx::query::<Sqlite>(AssertSqlSafe(sqlite_positional(sql))), args);
                query.execute(c).await.map(|r| r.rows_affected())
            }
            Conn::Postgres(c) => {
                let query = bind_all!(sqlx::query::<Postgres>(AssertSqlSafe(sql)), args);
                query.execute(c).await.map(|r| r.rows_affected())
            }
        }
    }};
}

enum Conn<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// Executes statements; implemented by both a pool and a transaction so store code can take either.
#[allow(async_fn_in_trait)]
pub trait Exec {
    async fn fetch_all<T: Row>(&mut self, q: Q) -> DbResult<Vec<T>>;
    async fn fetch_optional<T: Row>(&mut self, q: Q) -> DbResult<Option<T>>;
    async fn execute(&mut self, q: Q) -> DbResult<u64>;
    fn backend(&self) -> Backend;

    async fn fetch_one<T: Row>(&mut self, q: Q) -> DbResult<T> {
        self.fetch_optional(q).await?.ok_or(DbError::NotFound)
    }
    async fn count(&mut self, q: Q) -> DbResult<i64> {
        Ok(self.fetch_one::<Scalar<i64>>(q).await?.0)
    }
}

impl Exec for &Db {
    async fn fetch_all<T: Row>(&mut self, q: Q) -> DbResult<Vec<T>> {
        let conn = match *self {
            Db::Sqlite(p) => Conn::Sqlite(p),
            Db::Postgres(p) => Conn::Postgres(p),
        };
        Ok(run_on!(conn, q, fetch_all)?)
    }
    async fn fetch_optional<T: Row>(&mut self, q: Q) -> DbResult<Option<T>> {
        let conn = match *self {
            Db::Sqlite(p) => Conn::Sqlite(p),
            Db::Postgres(p) => Conn::Postgres(p),
        };
        Ok(run_on!(conn, q, fetch_optional)?)
    }
    async fn execute(&mut self, q: Q) -> DbResult<u64> {
        let conn = match *self {
            Db::Sqlite(p) => Conn::Sqlite(p),
            Db::Postgres(p) => Conn::Postgres(p),
        };
        Ok(exec_on!(conn, q)?)
    }
    fn backend(&self) -> Backend {
        self.kind()
    }
}

/// A transaction on either backend. Dropped without [`Tx::commit`] it rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> DbResult<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

impl Exec for Tx {
    async fn fetch_all<T: Row>(&mut self, q: Q) -> DbResult<Vec<T>> {
        let conn = match self {
            Tx::Sqlite(t) => Conn::Sqlite(&mut **t),
            Tx::Postgres(t) => Conn::Postgres(&mut **t),
        };
        Ok(run_on!(conn, q, fetch_all)?)
    }
    async fn fetch_optional<T: Row>(&mut self, q: Q) -> DbResult<Option<T>> {
        let conn = match self {
            Tx::Sqlite(t) => Conn::Sqlite(&mut **t),
            Tx::Postgres(t) => Conn::Postgres(&mut **t),
        };
        Ok(run_on!(conn, q, fetch_optional)?)
    }
    async fn execute(&mut self, q: Q) -> DbResult<u64> {
        let conn = match self {
            Tx::Sqlite(t) => Conn::Sqlite(&mut **t),
            Tx::Postgres(t) => Conn::Postgres(&mut **t),
        };
        Ok(exec_on!(conn, q)?)
    }
    fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

impl Db {
    /// Opens the database: a PostgreSQL URL, a `sqlite:` URL, or (when `url` is `None`) the embedded
    /// SQLite file `zhengwu.db` under `data_dir`, created on first use, in WAL mode.
    pub async fn connect(url: Option<&str>, data_dir: &Path) -> DbResult<Db> {
        match url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(u)
                    .await?;
                Ok(Db::Postgres(pool))
            }
            Some(u) => Self::open_sqlite(SqliteConnectOptions::from_str(u)?).await,
            None => {
                let _ = std::fs::create_dir_all(data_dir);
                let opts = SqliteConnectOptions::new().filename(data_dir.join("zhengwu.db"));
                Self::open_sqlite(opts).await
            }
        }
    }

    async fn open_sqlite(opts: SqliteConnectOptions) -> DbResult<Db> {
        let opts = opts
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(opts).await?;
        let db = Db::Sqlite(pool);
        db.drop_index_samples().await?;
        Ok(db)
    }

    pub fn kind(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the backend's migrations (idempotent).
    pub async fn migrate(&self) -> DbResult<()> {
        match self {
            Db::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Db::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// Begins a write transaction. On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`) so
    /// two writers queue on the busy timeout instead of failing when a read lock is upgraded.
    pub async fn begin(&self) -> DbResult<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// After rows were inserted with explicit ids (bulk loads), moves the table's id generator past
    /// them. SQLite's rowid allocation already does this; PostgreSQL identity sequences do not.
    pub async fn resync_identity(&self, table: &'static str) -> DbResult<()> {
        if let Db::Postgres(_) = self {
            self.execute(sql(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
            )))
            .await?;
        }
        Ok(())
    }

    /// Keeps the query planner's statistics fresh: SQLite's `PRAGMA optimize` (cheap; analyses only
    /// tables whose statistics are stale). PostgreSQL's autovacuum does this on its own.
    pub async fn optimize(&self) -> DbResult<()> {
        if let Db::Sqlite(_) = self {
            self.execute(sql("PRAGMA optimize")).await?;
            self.drop_index_samples().await?;
        }
        Ok(())
    }

    /// Gathers planner statistics for every table (after a bulk load).
    pub async fn analyze(&self) -> DbResult<()> {
        self.execute(sql("ANALYZE")).await?;
        if let Db::Sqlite(_) = self {
            self.drop_index_samples().await?;
        }
        Ok(())
    }

    /// The bundled SQLite is built with STAT4: once `ANALYZE` has stored index samples, every
    /// statement whose plan could depend on a bound value is planned again at each execution (a
    /// profile of a page render showed 10% of its time in re-preparing). Our queries plan well
    /// from the per-index statistics alone, so the samples are removed and statements stay prepared.
    async fn drop_index_samples(&self) -> DbResult<()> {
        let has_samples = self
            .count(sql("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat4'"))
            .await?
            > 0;
        if has_samples && self.count(sql("SELECT COUNT(*) FROM sqlite_stat4")).await? > 0 {
            self.execute(sql("DELETE FROM sqlite_stat4")).await?;
            // Reloads the statistics into every connection's schema.
            self.execute(sql("ANALYZE sqlite_schema")).await?;
        }
        Ok(())
    }

    /// Answers when the database is reachable (`/healthz`).
    pub async fn ping(&self) -> bool {
        self.count(sql("SELECT CAST(1 AS BIGINT)")).await.is_ok()
    }

    /// Pool size and idle connections, for `/metrics`.
    pub fn pool_stats(&self) -> (u32, usize) {
        match self {
            Db::Sqlite(p) => (p.size(), p.num_idle()),
            Db::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

/// The same operations as [`Exec`], callable on a shared pool without a `mut` binding.
impl Db {
    pub async fn fetch_all<T: Row>(&self, q: Q) -> DbResult<Vec<T>> {
        let mut d = self;
        Exec::fetch_all(&mut d, q).await
    }
    pub async fn fetch_optional<T: Row>(&self, q: Q) -> DbResult<Option<T>> {
        let mut d = self;
        Exec::fetch_optional(&mut d, q).await
    }
    pub async fn fetch_one<T: Row>(&self, q: Q) -> DbResult<T> {
        let mut d = self;
        Exec::fetch_one(&mut d, q).await
    }
    pub async fn execute(&self, q: Q) -> DbResult<u64> {
        let mut d = self;
        Exec::execute(&mut d, q).await
    }
    pub async fn count(&self, q: Q) -> DbResult<i64> {
        let mut d = self;
        Exec::count(&mut d, q).await
    }
}

/// Current time as Unix seconds, the one time representation stored in the database.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_parameters_in_order_become_positional() {
        let q = |s: &'static str| super::sqlite_positional(std::borrow::Cow::Borrowed(s)).into_owned();
        assert_eq!(q("SELECT * FROM t WHERE a = $1 AND b IN ($2,$3)"), "SELECT * FROM t WHERE a = ? AND b IN (?,?)");
        assert_eq!(
            q("SELECT '$1', \"$2\" FROM t WHERE c = $1 AND d = $2"),
            "SELECT '$1', \"$2\" FROM t WHERE c = ? AND d = ?"
        );
        assert_eq!(q("SELECT 'it''s $9' WHERE x = $1"), "SELECT 'it''s $9' WHERE x = ?");
        // Reused or out of order: numbers kept.
        assert_eq!(q("UPDATE t SET a = $1, b = $1 WHERE id = $2"), "UPDATE t SET a = $1, b = $1 WHERE id = $2");
        assert_eq!(q("SELECT $2, $1"), "SELECT $2, $1");
        assert_eq!(q("VALUES ($9), ($10), ($11)"), "VALUES ($9), ($10), ($11)");
        assert_eq!(q("SELECT 1"), "SELECT 1");
    }

    use super::*;

    #[test]
    fn push_bind_numbers_placeholders_in_order() {
        let q = sql("SELECT 1 WHERE a = $1").bind(5).push(" AND b = ").push_bind("x");
        assert_eq!(q.text(), "SELECT 1 WHERE a = $1 AND b = $2");
        assert_eq!(q.arg_count(), 2);
    }
}
