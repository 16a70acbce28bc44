//! The case writer's own SQLite connection, driven directly (rusqlite) instead of through
//! sqlx's connection thread.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands it every statement over a
//! channel: a batch write of twenty statements is twenty round trips between two threads, each
//! a futex wake-up on either side, and every request of the next batch waits for the write to
//! end. The case writer already runs its writes on a thread of its own, so there it drives
//! this connection itself: the whole batch runs in one go on that thread, each statement
//! prepared once and kept (the profile and the figures: the book's performance chapter).
//!
//! The group-commit writers, whose batches are most of the writes (the case writer's,
//! `Store::begin_cases`; the hall's queue writer's, `Store::queue_batch`; the matter writer's,
//! `Store::add_matter_batch`), use it on a SQLite file ([`BatchTx`]); sharing it, each finds the
//! pages the others left in its cache. It
//! takes the process's write turn like every other writer (see `Store::write`); values are
//! stored exactly as sqlx stores them (UUIDs as 16-byte blobs, dates as `YYYY-MM-DD`, instants
//! as RFC 3339 text, JSON as its text), so every other reader sees the same rows.

use crate::{Result, Store, StoreError, WriteTx, corrupt};
use chrono::SecondsFormat;
use rusqlite::types::Value as Lv;
use sea_orm::{ActiveModelTrait, DbErr, EntityTrait, IdenStatic, Iterable};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// A connection; behind a lock of its own only because a rusqlite connection may move between
/// threads but not be shared (the transaction is held across `await`s; it is never contended).
type Conn = std::sync::Mutex<rusqlite::Connection>;

/// The connection, opened on first use.
#[derive(Debug, Clone)]
pub(crate) struct Lite {
    path: PathBuf,
    conn: Arc<Mutex<Option<Conn>>>,
}

/// An open write transaction on the connection (`BEGIN IMMEDIATE`), holding the write turn.
/// Dropped before [`commit`](LiteTx::commit), it rolls back.
#[derive(Debug)]
pub(crate) struct LiteTx {
    // Dropped first: the rollback runs before the turn passes on.
    conn: OwnedMutexGuard<Option<Conn>>,
    open: bool,
    _turn: Option<OwnedMutexGuard<()>>,
}

/// The transaction of a group-commit writer's batch: on the writers' own connection on a
/// SQLite file, else a sqlx transaction ([`Store::write`]).
#[derive(Debug)]
pub(crate) enum BatchTx {
    Sql(WriteTx),
    Lite(LiteTx),
}

impl Store {
    /// Begins a batch writer's transaction, once the write turn is held.
    pub(crate) async fn begin_batch(&self) -> Result<BatchTx> {
        Ok(match &self.lite {
            Some(lite) => BatchTx::Lite(lite.begin(self.write_turn().await).await?),
            None => BatchTx::Sql(self.write().await?),
        })
    }
}

/// What an insert does when the row's key is taken.
pub(crate) enum OnConflict<'a, C> {
    /// Fails (the batch rolls back).
    Fail,
    /// Leaves the stored row (the statement changes no row).
    Nothing(&'a [C]),
    /// Sets these columns of the stored row to the new row's.
    Update(&'a [C], &'a [C]),
}

/// Inserts `rows` (every column set) of entity `E`, one cached statement per row; returns the
/// rows changed.
pub(crate) fn insert_models<E: EntityTrait>(
    tx: &LiteTx,
    rows: &[E::ActiveModel],
    conflict: OnConflict<'_, E::Column>,
) -> Result<usize> {
    let cols: Vec<E::Column> = E::Column::iter().collect();
    let names = |cs: &[E::Column]| cs.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let mut sql = format!("INSERT INTO {} ({}) VALUES ({})", E::default().table_name(), names(&cols), marks.join(", "));
    match conflict {
        OnConflict::Fail => {}
        OnConflict::Nothing(key) => sql += &format!(" ON CONFLICT ({}) DO NOTHING", names(key)),
        OnConflict::Update(key, set) => {
            let set: Vec<String> = set.iter().map(|c| format!("{0} = excluded.{0}", c.as_str())).collect();
            sql += &format!(" ON CONFLICT ({}) DO UPDATE SET {}", names(key), set.join(", "));
        }
    }
    let mut changed = 0;
    for row in rows {
        let values = cols
            .iter()
            .map(|c| {
                let v = row
                    .get(*c)
                    .into_value()
                    .ok_or_else(|| corrupt(E::default().table_name(), "a column is not set"))?;
                value(&v)
            })
            .collect::<Result<Vec<_>>>()?;
        changed += tx.execute(&sql, values)?;
    }
    Ok(changed)
}

pub(crate) fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Database(DbErr::Custom(format!("sqlite: {e}")))
}

/// Runs blocking work: in place on a thread of its own (the case writer's), or marked as
/// blocking on a multi-threaded runtime so that its other tasks move to another worker.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl Lite {
    pub(crate) fn new(path: PathBuf) -> Lite {
        Lite { path, conn: Arc::default() }
    }

    /// Begins a write transaction, once `turn` (the process's write turn) is held.
    pub(crate) async fn begin(&self, turn: Option<OwnedMutexGuard<()>>) -> Result<LiteTx> {
        let mut conn = self.conn.clone().lock_owned().await;
        blocking(|| -> Result<()> {
            if conn.is_none() {
                let c = rusqlite::Connection::open(&self.path).map_err(failed)?;
                c.busy_timeout(Duration::from_secs(10)).map_err(failed)?;
                c.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;").map_err(failed)?;
                c.set_prepared_statement_cache_capacity(64);
                *conn = Some(std::sync::Mutex::new(c));
            }
            Ok(())
        })?;
        let mut tx = LiteTx { conn, open: false, _turn: turn };
        blocking(|| tx.conn()?.execute_batch("BEGIN IMMEDIATE").map_err(failed))?;
        tx.open = true;
        Ok(tx)
    }
}

impl LiteTx {
    fn conn(&self) -> Result<std::sync::MutexGuard<'_, rusqlite::Connection>> {
        let closed = || StoreError::Database(DbErr::Custom("sqlite: the connection is closed".into()));
        self.conn.as_ref().ok_or_else(closed)?.lock().map_err(|_| closed())
    }

    /// Runs a cached statement with `values`; returns the rows it changed.
    pub(crate) fn execute(&self, sql: &str, values: impl IntoIterator<Item = Lv>) -> Result<usize> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(sql).map_err(failed)?;
        stmt.execute(rusqlite::params_from_iter(values)).map_err(failed)
    }

    /// The first row of a cached query, each column read by `read`.
    pub(crate) fn query_row<T>(
        &self,
        sql: &str,
        values: impl IntoIterator<Item = Lv>,
        read: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(sql).map_err(failed)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(values)).map_err(failed)?;
        match rows.next().map_err(failed)? {
            Some(r) => read(r).map(Some).map_err(failed),
            None => Ok(None),
        }
    }

    pub(crate) fn commit(mut self) -> Result<()> {
        blocking(|| self.conn()?.execute_batch("COMMIT").map_err(failed))?;
        self.open = false;
        Ok(())
    }

    /// Rolls back (as dropping it does), off the runtime's workers.
    pub(crate) fn rollback(self) {
        blocking(|| drop(self));
    }
}

impl Drop for LiteTx {
    fn drop(&mut self) {
        if self.open {
            // Rolled back, or the connection is closed (and SQLite rolls back itself).
            let rolled_back = self.conn().is_ok_and(|c| c.execute_batch("ROLLBACK").is_ok());
            if !rolled_back {
                *self.conn = None;
            }
        }
    }
}

/// A value as sqlx stores it in SQLite.
pub(crate) fn value(v: &sea_orm::Value) -> Result<Lv> {
    use sea_orm::Value as V;
    Ok(match v {
        V::Bool(b) => b.map_or(Lv::Null, |b| Lv::Integer(i64::from(b))),
        V::Int(i) => i.map_or(Lv::Null, |i| Lv::Integer(i.into())),
        V::BigInt(i) => i.map_or(Lv::Null, Lv::Integer),
        V::String(s) => s.as_ref().map_or(Lv::Null, |s| Lv::Text(s.clone())),
        V::Uuid(u) => u.map_or(Lv::Null, |u| Lv::Blob(u.as_bytes().to_vec())),
        V::ChronoDate(d) => d.map_or(Lv::Null, |d| Lv::Text(d.format("%F").to_string())),
        V::ChronoDateTimeUtc(t) => t.map_or(Lv::Null, |t| Lv::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, false))),
        V::Json(j) => j.as_ref().map_or(Lv::Null, |j| Lv::Text(j.to_string())),
        other => return Err(StoreError::Corrupt(format!("no SQLite form for {other:?}"))),
    })
}

/// Each of `row`'s values as sqlx stores it.
pub(crate) fn values(row: &[sea_orm::Value]) -> Result<Vec<Lv>> {
    row.iter().map(value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    #[test]
    fn values_are_stored_as_sqlx_stores_them() -> Result<()> {
        let id = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let at = Utc.with_ymd_and_hms(2018, 3, 5, 8, 30, 0).single().map(|t| t + chrono::Duration::microseconds(5));
        let day = NaiveDate::from_ymd_opt(2018, 3, 5);
        assert_eq!(value(&id.into())?, Lv::Blob(id.as_bytes().to_vec()));
        assert_eq!(value(&day.into())?, Lv::Text("2018-03-05".into()));
        assert_eq!(value(&at.into())?, Lv::Text("2018-03-05T08:30:00.000005+00:00".into()));
        assert_eq!(value(&Option::<uuid::Uuid>::None.into())?, Lv::Null);
        assert_eq!(value(&7i32.into())?, Lv::Integer(7));
        assert_eq!(value(&serde_json::json!({ "a": [1, "b"] }).into())?, Lv::Text(r#"{"a":[1,"b"]}"#.into()));
        assert_eq!(value(&true.into())?, Lv::Integer(1));
        assert!(value(&sea_orm::Value::Char(Some('x'))).is_err());
        Ok(())
    }
}
