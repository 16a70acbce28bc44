//! The case writer's own SQLite connection, driven directly (rusqlite) instead of through
//! sqlx's connection thread.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands it every statement over a
//! channel: a batch write of twenty statements is twenty round trips between two threads, each
//! a futex wake-up on either side. `perf` put those hand-offs and the thread switches at about
//! a fifth of the case write's CPU, and the write's duration (which every request of the next
//! batch waits for) at about twice the SQLite work in it. The case writer already runs its
//! writes on a thread of its own, so there it drives this connection itself: the whole batch
//! runs in one go on that thread, each statement prepared once and kept.
//!
//! Only the case batch (`Store::begin_cases`) uses it, on a SQLite file. It takes the process's
//! write turn like every other writer ([`Store::write`](crate::Store)); values are stored
//! exactly as sqlx stores them (UUIDs as 16-byte blobs, dates as `YYYY-MM-DD`, instants as
//! RFC 3339 text), so every other reader sees the same rows.

use crate::{Result, StoreError};
use chrono::SecondsFormat;
use rusqlite::types::Value as Lv;
use sea_orm::DbErr;
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
        V::Int(i) => i.map_or(Lv::Null, |i| Lv::Integer(i.into())),
        V::BigInt(i) => i.map_or(Lv::Null, Lv::Integer),
        V::String(s) => s.as_ref().map_or(Lv::Null, |s| Lv::Text(s.clone())),
        V::Uuid(u) => u.map_or(Lv::Null, |u| Lv::Blob(u.as_bytes().to_vec())),
        V::ChronoDate(d) => d.map_or(Lv::Null, |d| Lv::Text(d.format("%F").to_string())),
        V::ChronoDateTimeUtc(t) => t.map_or(Lv::Null, |t| Lv::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, false))),
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
        assert!(value(&sea_orm::Value::Bool(Some(true))).is_err());
        Ok(())
    }
}
