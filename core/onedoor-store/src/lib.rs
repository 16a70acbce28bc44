//! onedoor persistence: sea-orm entities, migrations and tenant-scoped repositories.
//!
//! **Architecture Invariant**: every call takes the caller (a [`Caller`] for reads, a
//! [`Scope`] for writes). Writes touch rows of `scope.centre` only. Reads of non-public data
//! see only the centres the caller may read ([`Scope::can_read`]); public data (the service
//! guides of active matters, the organisation's public face) is readable by anyone. The only
//! queries that cross centres are named for it: hall membership and the matters a shared
//! hall's window serves.
//!
//! SQLite (a file, WAL) is the default; PostgreSQL by URL. Only this crate knows SQL.

mod alerts;
mod audit;
mod case_doc;
mod cases;
mod catalogue;
pub mod entity;
mod evaluation;
mod hall;
mod lite;
mod lookup;
mod migration;
mod organisation;
mod plugins;

pub use alerts::{AlertFilter, alert_event_hash};
pub use audit::{BreakReason, BrokenLink, Chain, ChainCheck};
pub use cases::{
    CaseBatch, CaseEvent, CaseHeads, CasesTx, EventDraft, HashedEvent, SealedCases, WorkItem, WorkStep, chain_hash,
    event_hash,
};
pub use catalogue::{MatterFilter, Provenance, SplitPart};
pub use evaluation::{EventsSince, RatingFilter, SupervisionState};
pub use hall::{QueueBatch, QueueRecord, TicketChange};
pub use migration::Migrator;
pub use plugins::{DecisionFilter, IdPage, PluginState};

use onedoor_domain::{Caller, CentreId, Scope};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr, SqlErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::sync::Arc;
use std::time::Duration;

/// The page size of a new SQLite database. A commit writes every page it changed to the WAL,
/// two system calls each; a case transition changes a few rows of several B-trees, and with
/// 16 KiB pages more of them share a page: `cases_bench` ran 2,209–2,571 cases/s against
/// 1,873 with SQLite's 4 KiB (8 KiB: 2,295; 32 KiB: 2,191–2,266; 64 KiB: 1,965). The page cache
/// is bounded in bytes, so memory stays the same. An existing database keeps its page size.
const PAGE_SIZE: u32 = 16_384;

/// Errors of the store, with stable codes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A unique key already holds this value (e.g. a matter code used twice in a centre).
    #[error("{what} already exists")]
    Duplicate {
        /// What is duplicated, in the API's words (`code`, `number` …).
        what: String,
    },
    /// The row does not exist, or the caller may not see it (never said apart, so that ids of
    /// other centres leak nothing).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: &'static str,
    },
    /// Someone else changed the row first; retry with fresh data.
    #[error("{what} was changed concurrently; reload and retry")]
    Conflict {
        /// What changed.
        what: &'static str,
    },
    /// The rule the caller broke, checked against stored state inside the transaction.
    #[error(transparent)]
    Rule(#[from] onedoor_domain::DomainError),
    /// Stored data that no longer parses: a bug or a hand edit of the database.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database failed (connection, I/O …). Logged; clients see an opaque message.
    #[error("database error: {0}")]
    Database(#[source] DbErr),
}

impl StoreError {
    /// The stable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Duplicate { .. } => "DUPLICATE",
            StoreError::NotFound { .. } => "NOT_FOUND",
            StoreError::Conflict { .. } => "CONFLICT",
            StoreError::Rule(e) => e.code.as_str(),
            StoreError::Corrupt(_) | StoreError::Database(_) => "INTERNAL",
        }
    }
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) => StoreError::Duplicate { what: duplicate_field(&msg) },
            _ => StoreError::Database(e),
        }
    }
}

/// Names the field behind a unique-constraint message, from the index names of the migrations.
fn duplicate_field(msg: &str) -> String {
    const FIELDS: [(&str, &str); 8] = [
        ("ux_window_number", "number"),
        ("window.number", "number"),
        ("ux_", "code"),
        (".code", "code"),
        ("pk_hall_member", "membership"),
        ("hall_member.", "membership"),
        ("pk_", "id"),
        ("", "record"),
    ];
    FIELDS.iter().find(|(pat, _)| msg.contains(pat)).map(|(_, f)| (*f).to_owned()).unwrap_or_default()
}

/// Results of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A page request: keyset pagination after an opaque key, at most `limit` items.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Return items strictly after this sort key (from a previous page's last item).
    pub after: Option<String>,
    /// Most items to return.
    pub limit: u64,
}

/// A page of items, and whether more follow.
#[derive(Debug, Clone)]
pub struct Slice<T> {
    /// The items, in order.
    pub items: Vec<T>,
    /// Whether there are items after the last one.
    pub has_next: bool,
}

impl<T> Slice<T> {
    fn from_overfetch(mut items: Vec<T>, limit: u64) -> Slice<T> {
        let has_next = items.len() as u64 > limit;
        items.truncate(limit as usize);
        Slice { items, has_next }
    }

    /// The same page with each item mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Slice<U> {
        Slice { items: self.items.into_iter().map(f).collect(), has_next: self.has_next }
    }
}

/// The store: a pool of connections to one database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// Where write transactions run: on SQLite one connection of its own, else `db`.
    writer: DatabaseConnection,
    /// SQLite's one write lock, taken in turn by this process's writers (`None` on PostgreSQL,
    /// whose writers run side by side): see [`Store::write`].
    write_turn: Option<Arc<tokio::sync::Mutex<()>>>,
    /// On a SQLite file, the case writer's own connection (see the `lite` module).
    lite: Option<lite::Lite>,
}

/// A transaction that writes, holding the process's write turn on SQLite until it ends.
/// Statements run on it as on the transaction; [`WriteTx::commit`] ends it.
#[derive(Debug)]
pub(crate) struct WriteTx {
    // Dropped first: an unfinished transaction is rolled back before the turn passes on.
    tx: DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTx {
    fn get_database_backend(&self) -> sea_orm::DbBackend {
        self.tx.get_database_backend()
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> Result<sea_orm::ExecResult, DbErr> {
        self.tx.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        self.tx.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: sea_orm::Statement) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        self.tx.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: sea_orm::Statement) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        self.tx.query_all_raw(stmt).await
    }
}

impl WriteTx {
    /// Commits the transaction, then passes the write turn on.
    pub(crate) async fn commit(self) -> std::result::Result<(), DbErr> {
        self.tx.commit().await
    }

    /// Rolls the transaction back, then passes the write turn on.
    pub(crate) async fn rollback(self) -> std::result::Result<(), DbErr> {
        self.tx.rollback().await
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and runs pending
    /// migrations. SQLite runs in WAL mode with a busy timeout.
    ///
    /// On SQLite the writers get a connection of their own, kept open. A connection drops its
    /// whole page cache whenever it finds that another connection wrote since its last
    /// transaction, so writes spread over a pool started cold every time: about 40 page reads
    /// to add one matter, every B-tree descended from its root again. The one writing
    /// connection sees only its own writes and keeps its cache; the pool reads.
    pub async fn open(url: &str) -> Result<Store> {
        let options = |max: u32| {
            let mut opts = ConnectOptions::new(url.to_owned());
            opts.sqlx_logging(false)
                .connect_timeout(Duration::from_secs(10))
                .acquire_timeout(Duration::from_secs(30))
                .max_connections(max)
                .min_connections(1);
            opts
        };
        if !url.starts_with("sqlite:") {
            let db = Database::connect(options(16)).await.map_err(StoreError::Database)?;
            Migrator::up(&db, None).await.map_err(StoreError::Database)?;
            return Ok(Store { writer: db.clone(), db, write_turn: None, lite: None });
        }
        let sqlite = |mut opts: ConnectOptions| {
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .create_if_missing(true)
                    // The writers' multi-row statements have one shape per power-of-two row count.
                    .statement_cache_capacity(512)
                    .page_size(PAGE_SIZE)
            });
            opts
        };
        // SQLite runs one statement per connection thread: three readers and the writer keep
        // both cores busy, and each more holds its own page and statement caches.
        let db = Database::connect(sqlite(options(3))).await.map_err(StoreError::Database)?;
        Migrator::up(&db, None).await.map_err(StoreError::Database)?;
        if url.contains(":memory:") || url.contains("mode=memory") {
            // Each pool opens an in-memory database of its own: one pool, then.
            return Ok(Store { writer: db.clone(), db, write_turn: Some(Arc::default()), lite: None });
        }
        let mut write_options = sqlite(options(1));
        write_options.idle_timeout(None).max_lifetime(None);
        let writer = Database::connect(write_options).await.map_err(StoreError::Database)?;
        let path = url
            .parse::<sea_orm::sqlx::sqlite::SqliteConnectOptions>()
            .map_err(|e| StoreError::Database(DbErr::Custom(e.to_string())))?
            .get_filename()
            .to_path_buf();
        Ok(Store { db, writer, write_turn: Some(Arc::default()), lite: Some(lite::Lite::new(path)) })
    }

    /// The connection, for tests and tools that need raw access.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Starts a transaction that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that read first and upgraded later could fail with
    /// "database is locked" when another writer got in between, instead of waiting its turn.
    ///
    /// SQLite has one write lock, and a connection that finds it taken polls for it with
    /// sleeps of 1 to 100 ms (its busy handler): two of this process's writers at once (the
    /// case writer and the hall's, a supervision pass) cost each other whole milliseconds of
    /// sleep on every meeting. So this process's writers first queue, in order, for its write
    /// turn (an async mutex held with the transaction) and meet the lock only when another
    /// process holds it.
    pub(crate) async fn write(&self) -> Result<WriteTx> {
        let turn = self.write_turn().await;
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        Ok(WriteTx { tx: self.writer.begin_with_options(options).await?, _turn: turn })
    }

    /// Waits for this process's write turn (SQLite; `None` on PostgreSQL).
    async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.write_turn {
            Some(m) => Some(m.clone().lock_owned().await),
            None => None,
        }
    }

    /// Whether the store is reachable (for health checks).
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await.map_err(StoreError::Database)
    }
}

/// Whether `caller` may read `centre`'s non-public data.
fn private(caller: &Caller, centre: CentreId) -> bool {
    caller.can_read(centre)
}

/// The centre that `scope` writes to.
fn own(scope: &Scope) -> uuid::Uuid {
    scope.centre.0
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}
