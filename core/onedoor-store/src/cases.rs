//! Calendars, workflow definitions and cases.
//!
//! Case writes go through a [`CaseBatch`]: one transaction that carries the transitions of
//! many requests (group commit). Each case UPDATE checks the version it was computed from, so a
//! transition computed on stale state (another replica, or an earlier write of the same batch
//! that lost) changes nothing and is reported as a conflict; events and worklist rows are
//! appended in bulk when the batch commits; the case numbers and the per-centre hash chain
//! advance once per batch.

use crate::case_doc;
use crate::entity::{calendar_day, case, case_application, case_counter, case_event, case_step, chain_head, workflow};
use crate::lite::{self, BatchTx, LiteTx};
use crate::{Page, Result, Slice, Store, StoreError, WriteTx, corrupt, own, private};
use chrono::{DateTime, NaiveDate, Utc};
use onedoor_domain::calendar::{Calendar, CalendarDay, DayKind};
use onedoor_domain::case::{Case, CaseState, Change, Step};
use onedoor_domain::error::{DomainError, ErrorCode};
use onedoor_domain::workflow::WorkflowDef;
use onedoor_domain::{Caller, CaseId, CentreId, MatterId, Scope, StaffId, UnitId, WindowId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

fn day_kind(k: DayKind) -> &'static str {
    match k {
        DayKind::Holiday => "HOLIDAY",
        DayKind::MakeUpWorkday => "MAKE_UP_WORKDAY",
    }
}

fn parse_day_kind(s: &str) -> Result<DayKind> {
    match s {
        "HOLIDAY" => Ok(DayKind::Holiday),
        "MAKE_UP_WORKDAY" => Ok(DayKind::MakeUpWorkday),
        other => Err(corrupt("calendar day kind", other)),
    }
}

/// Inserts `rows` with one multi-row `INSERT` per chunk. `cols` name the columns with the
/// PostgreSQL type of each (JSON is bound as text and cast there).
async fn insert_rows(tx: &WriteTx, table: &str, cols: &[(&str, &str)], rows: Vec<Vec<sea_orm::Value>>) -> Result<()> {
    let backend = tx.get_database_backend();
    let names = cols.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ");
    let mut rows = rows;
    while !rows.is_empty() {
        let mut values = Vec::with_capacity(CHUNK * cols.len());
        let mut tuples = Vec::with_capacity(CHUNK);
        let chunk: Vec<Vec<sea_orm::Value>> = rows.drain(..chunk_len(rows.len())).collect();
        for row in chunk {
            let n = values.len();
            let tuple: Vec<String> = cols
                .iter()
                .enumerate()
                .map(|(i, (_, ty))| match backend {
                    DatabaseBackend::Postgres => format!("${}::{ty}", n + i + 1),
                    _ => "?".to_owned(),
                })
                .collect();
            tuples.push(format!("({})", tuple.join(", ")));
            values.extend(row);
        }
        let sql = format!("INSERT INTO {table} ({names}) VALUES {}", tuples.join(", "));
        tx.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    Ok(())
}

/// One event of a case's history, as the platform describes it.
#[derive(Debug, Clone)]
pub struct EventDraft {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (none for the system).
    pub actor: Option<StaffId>,
    /// The roles they held.
    pub roles: String,
    /// The centre they acted for.
    pub acting_centre: CentreId,
    /// The window they acted at.
    pub window: Option<WindowId>,
    /// The command (`ACCEPT`, `DECIDE` …).
    pub command: &'static str,
    /// The state before.
    pub from: CaseState,
    /// What changed.
    pub changes: Vec<Change>,
}

/// A recorded event of a case's history.
#[derive(Debug, Clone)]
pub struct CaseEvent {
    /// Its position in the case's history, from 1.
    pub seq: u32,
    /// Its position in the centre's hash chain, from 1.
    pub chain_seq: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Option<StaffId>,
    /// Their roles.
    pub roles: String,
    /// The centre they acted for.
    pub acting_centre: CentreId,
    /// The window.
    pub window: Option<WindowId>,
    /// The command.
    pub command: String,
    /// The state before.
    pub from: String,
    /// The state after.
    pub to: String,
    /// What changed.
    pub changes: Vec<Change>,
    /// The hash of the centre's previous event.
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// The fields of a case event that its hash covers: all of them but the hashes.
#[derive(Debug, Clone, Copy)]
pub struct HashedEvent<'a> {
    /// The owning centre.
    pub centre: Uuid,
    /// The case.
    pub case: Uuid,
    /// Its position in the case's history.
    pub seq: i32,
    /// Its position in the centre's chain.
    pub chain_seq: i64,
    /// When.
    pub at: &'a DateTime<Utc>,
    /// Who.
    pub actor: Option<Uuid>,
    /// Their roles, as recorded.
    pub roles: &'a str,
    /// The centre they acted for.
    pub acting_centre: Uuid,
    /// The window.
    pub window: Option<Uuid>,
    /// The command.
    pub command: &'a str,
    /// The state before.
    pub from: &'a str,
    /// The state after.
    pub to: &'a str,
    /// What changed, as JSON.
    pub changes: &'a str,
}

/// The hash of an event: SHA-256 over the previous hash and every field of the event, hex.
pub fn event_hash(prev: &str, e: &HashedEvent<'_>) -> String {
    chain_hash(&[
        prev,
        &e.centre.to_string(),
        &e.case.to_string(),
        &e.seq.to_string(),
        &e.chain_seq.to_string(),
        &e.at.timestamp_micros().to_string(),
        &e.actor.map(|a| a.to_string()).unwrap_or_default(),
        e.roles,
        &e.acting_centre.to_string(),
        &e.window.map(|w| w.to_string()).unwrap_or_default(),
        e.command,
        e.from,
        e.to,
        e.changes,
    ])
}

/// SHA-256 over `parts`, each followed by a zero byte, as lowercase hex: the link of every
/// hash chain (case events, alert events).
pub fn chain_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in h.finalize() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// What a case writer knows of the case-number counters and the per-centre hash chains: their
/// values after its last batch. A batch is staged and sealed on these values (no database read
/// while the previous batch is still being written), and the write checks them against the
/// database under lock: if another process moved one on, the write fails and changes nothing.
#[derive(Debug, Default)]
pub struct CaseHeads {
    counters: HashMap<(Uuid, NaiveDate), i64>,
    chains: HashMap<Uuid, ChainHead>,
}

/// The head of a centre's hash chain: the last position and its hash.
type ChainHead = (i64, String);

impl CaseHeads {
    /// Forgets everything known: the next batch reads the heads it needs from the database.
    pub fn clear(&mut self) {
        self.counters.clear();
        self.chains.clear();
    }
}

/// Many case transitions staged together (group commit). Staging computes nothing but the
/// numbers; [`seal`](CaseBatch::seal) turns the batch into the rows to write (state documents,
/// hash-chained events, worklist rows) without touching the database, and
/// [`Store::write_cases`] writes them in one transaction. Dropped before it is written, it
/// writes nothing.
pub struct CaseBatch {
    counters: HashMap<(Uuid, NaiveDate), (i64, i64)>,
    inserts: Vec<(Arc<Case>, EventDraft)>,
    updates: Vec<(Arc<Case>, Arc<Case>, EventDraft)>,
    calendars: HashMap<Uuid, Arc<Calendar>>,
}

/// A sealed batch: every row it writes, and the heads it was computed on (checked when it is
/// written).
pub struct SealedCases {
    cases: Vec<Vec<sea_orm::Value>>,
    applications: Vec<Vec<sea_orm::Value>>,
    /// One per updated case: centre, id, version before, state, version, due date, doc, time.
    updates: Vec<Vec<sea_orm::Value>>,
    events: Vec<Vec<sea_orm::Value>>,
    steps: Vec<case_step::ActiveModel>,
    /// Counters: key, value before, value after.
    counters: Vec<((Uuid, NaiveDate), i64, i64)>,
    /// Chains: centre, head before, head after.
    chains: Vec<(Uuid, ChainHead, ChainHead)>,
}

impl std::fmt::Debug for SealedCases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedCases")
            .field("cases", &self.cases.len())
            .field("updates", &self.updates.len())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for CaseBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaseBatch")
            .field("inserts", &self.inserts.len())
            .field("updates", &self.updates.len())
            .finish_non_exhaustive()
    }
}

fn step_row(centre: Uuid, case: Uuid, s: &Step, cal: &Calendar) -> case_step::ActiveModel {
    case_step::ActiveModel {
        centre_id: Set(centre),
        case_id: Set(case),
        step: Set(s.id as i32),
        unit_id: Set(s.unit.0),
        role: Set(s.role.as_str().to_owned()),
        status: Set(s.status.as_str().to_owned()),
        opened_on: Set(s.clock.started_on),
        due_on: Set(s.clock.deadline(cal)),
    }
}

/// The most rows in one multi-row statement (15 columns × 512 rows stays well under the
/// bound-variable limits of SQLite, 32,766, and PostgreSQL, 65,535).
const CHUNK: usize = 512;

/// How many of `left` rows the next multi-row statement takes: the largest power of two that
/// fits, up to [`CHUNK`]. Each row count is its own statement text, and SQLite parses a
/// statement of hundreds of rows for far longer than it runs it; with power-of-two chunks a table
/// has at most ten statement shapes, which stay in the connection's statement cache, at the cost
/// of a few more statements per batch (a batch of 300 rows takes 256 + 32 + 8 + 4).
fn chunk_len(left: usize) -> usize {
    power_of_two_chunk(left, CHUNK)
}

/// The largest power of two that is at most `left` and `max` (0 when `left` is 0): the row
/// count of the next multi-row statement, so that a table's inserts have few statement shapes.
pub(crate) fn power_of_two_chunk(left: usize, max: usize) -> usize {
    let n = left.min(max);
    if n == 0 { 0 } else { 1 << n.ilog2() }
}

/// The columns of `cases`, with their PostgreSQL types.
const CASE_COLUMNS: &[(&str, &str)] = &[
    ("centre_id", "uuid"),
    ("id", "uuid"),
    ("number", "text"),
    ("state", "text"),
    ("version", "int"),
    ("channel", "text"),
    ("reception_centre_id", "uuid"),
    ("reception_window_id", "uuid"),
    ("ticket_id", "uuid"),
    ("submitted_on", "date"),
    ("due_on", "date"),
    ("doc", "json"),
    ("updated_at", "timestamptz"),
];

/// The columns of `case_application`, with their PostgreSQL types.
const APPLICATION_COLUMNS: &[(&str, &str)] = &[("centre_id", "uuid"), ("id", "uuid"), ("doc", "json")];

/// The columns of `case_event`, with their PostgreSQL types.
const EVENT_COLUMNS: &[(&str, &str)] = &[
    ("centre_id", "uuid"),
    ("case_id", "uuid"),
    ("seq", "int"),
    ("chain_seq", "bigint"),
    ("at", "timestamptz"),
    ("actor_id", "uuid"),
    ("roles", "text"),
    ("acting_centre_id", "uuid"),
    ("window_id", "uuid"),
    ("command", "text"),
    ("from_state", "text"),
    ("to_state", "text"),
    ("changes", "json"),
    ("prev_hash", "text"),
    ("hash", "text"),
];

impl Store {
    /// Starts a batch of case transitions.
    pub fn case_batch(&self) -> CaseBatch {
        CaseBatch { counters: HashMap::new(), inserts: Vec::new(), updates: Vec::new(), calendars: HashMap::new() }
    }

    /// The committed value of a case-number counter (0 before the first number).
    async fn counter(&self, key: (Uuid, NaiveDate)) -> Result<i64> {
        let row = case_counter::Entity::find_by_id(key).one(&self.db).await?;
        Ok(row.map_or(0, |r| r.next))
    }

    /// Writes a sealed batch in one transaction: checks under lock that the counters and
    /// chains are where the batch was sealed on (else `CONFLICT` on `case heads`), writes the
    /// new cases, updates each changed case only if it is still at the version the transition
    /// started from (else `CONFLICT` on `case`), appends the events and worklist rows, moves
    /// the heads on and commits. Any failure writes nothing.
    pub async fn write_cases(&self, sealed: SealedCases) -> Result<()> {
        let tx = self.begin_cases().await?;
        if !tx.heads_hold(&sealed, &mut CaseHeads::default()).await? {
            return Err(StoreError::Conflict { what: "case heads" });
        }
        tx.write(sealed).await
    }

    /// Starts a case write that holds the write lock (and, on PostgreSQL, the head rows it
    /// checks) until [`CasesTx::write`]: a batch whose heads another process moved can be
    /// staged again on the heads read under that lock, and then cannot lose them again.
    ///
    /// On a SQLite file it runs on the batch writers' own connection (see the `lite` module) and
    /// blocks while SQLite works: call it from the writers' thread, as the case writer does.
    pub async fn begin_cases(&self) -> Result<CasesTx> {
        Ok(CasesTx(self.begin_batch().await?))
    }
}

/// A case write in progress (see [`Store::begin_cases`]). Dropped unwritten, it writes nothing.
#[derive(Debug)]
pub struct CasesTx(BatchTx);

impl CasesTx {
    /// Whether the counters and chains `sealed` was computed on are still where it found them,
    /// read under lock. If not, `heads` is reset to what is stored now for every counter and
    /// chain the batch touches (staged again on them, the batch will hold while this
    /// transaction is open).
    pub async fn heads_hold(&self, sealed: &SealedCases, heads: &mut CaseHeads) -> Result<bool> {
        let tx = match &self.0 {
            BatchTx::Sql(tx) => tx,
            BatchTx::Lite(tx) => return lite::blocking(|| Ok(sealed.on_heads(lite_stored_heads(tx, sealed)?, heads))),
        };
        let backend = tx.get_database_backend();
        let mut stored = CaseHeads::default();
        for ((centre, day), ..) in &sealed.counters {
            let sql = format!(
                "SELECT next FROM case_counter WHERE centre_id = {} AND day = {}{}",
                placeholder(backend, 1),
                placeholder(backend, 2),
                lock_suffix(backend)
            );
            let row = tx
                .query_one_raw(Statement::from_sql_and_values(backend, sql, [(*centre).into(), (*day).into()]))
                .await?;
            let next: i64 = match row {
                Some(r) => r.try_get("", "next")?,
                None => 0,
            };
            stored.counters.insert((*centre, *day), next);
        }
        for (centre, ..) in &sealed.chains {
            stored.chains.insert(*centre, chain_head_of(tx, "chain_head", *centre, true).await?);
        }
        Ok(sealed.on_heads(stored, heads))
    }

    /// Writes `sealed` (whose heads [`heads_hold`](Self::heads_hold) confirmed) and commits.
    /// An update whose case moved on fails the whole write with `CONFLICT` on `case`.
    pub async fn write(self, sealed: SealedCases) -> Result<()> {
        let tx = match self.0 {
            BatchTx::Sql(tx) => tx,
            BatchTx::Lite(tx) => return lite::blocking(|| lite_write(tx, sealed)),
        };
        let SealedCases { cases, applications, updates, events, steps, counters, chains } = sealed;
        let backend = tx.get_database_backend();
        insert_rows(&tx, "cases", CASE_COLUMNS, cases).await?;
        insert_rows(&tx, "case_application", APPLICATION_COLUMNS, applications).await?;
        let expected = updates.len() as u64;
        let mut written: u64 = 0;
        let mut rest = updates;
        while !rest.is_empty() {
            let chunk: Vec<Vec<sea_orm::Value>> = rest.drain(..chunk_len(rest.len())).collect();
            let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 8);
            let mut tuples = Vec::with_capacity(chunk.len());
            for row in chunk {
                let n = values.len();
                let p = |i: usize| placeholder(backend, n + i);
                tuples.push(match backend {
                    DatabaseBackend::Postgres => format!(
                        "({}::uuid, {}::uuid, {}::int, {}::text, {}::int, {}::date, {}::json, {}::timestamptz)",
                        p(1),
                        p(2),
                        p(3),
                        p(4),
                        p(5),
                        p(6),
                        p(7),
                        p(8)
                    ),
                    _ => "(?, ?, ?, ?, ?, ?, ?, ?)".to_owned(),
                });
                values.extend(row);
            }
            let sql = match backend {
                DatabaseBackend::Postgres => format!(
                    "UPDATE cases SET state = v.state, version = v.version, due_on = v.due_on, doc = v.doc, \
                     updated_at = v.at FROM (VALUES {}) AS v(centre_id, id, before, state, version, due_on, doc, at) \
                     WHERE cases.centre_id = v.centre_id AND cases.id = v.id AND cases.version = v.before",
                    tuples.join(", ")
                ),
                _ => format!(
                    "UPDATE cases SET state = v.state, version = v.version, due_on = v.due_on, doc = v.doc, \
                     updated_at = v.at FROM (SELECT column1 AS centre_id, column2 AS id, column3 AS before, \
                     column4 AS state, column5 AS version, column6 AS due_on, column7 AS doc, column8 AS at \
                     FROM (VALUES {})) AS v WHERE cases.centre_id = v.centre_id AND cases.id = v.id \
                     AND cases.version = v.before",
                    tuples.join(", ")
                ),
            };
            written += tx.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?.rows_affected();
        }
        if written != expected {
            // Dropping the transaction rolls back what was written.
            return Err(StoreError::Conflict { what: "case" });
        }
        insert_rows(&tx, "case_event", EVENT_COLUMNS, events).await?;
        let mut steps = steps;
        while !steps.is_empty() {
            let chunk: Vec<case_step::ActiveModel> = steps.drain(..chunk_len(steps.len())).collect();
            case_step::Entity::insert_many(chunk)
                .on_conflict(
                    OnConflict::columns([
                        case_step::Column::CentreId,
                        case_step::Column::CaseId,
                        case_step::Column::Step,
                    ])
                    .update_columns([case_step::Column::Status, case_step::Column::DueOn])
                    .to_owned(),
                )
                .exec_without_returning(&tx)
                .await?;
        }
        for ((centre, day), _, next) in counters {
            let row = case_counter::ActiveModel { centre_id: Set(centre), day: Set(day), next: Set(next) };
            case_counter::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([case_counter::Column::CentreId, case_counter::Column::Day])
                        .update_column(case_counter::Column::Next)
                        .to_owned(),
                )
                .exec_without_returning(&tx)
                .await?;
        }
        for (centre, _, (seq, hash)) in chains {
            let row = chain_head::ActiveModel { centre_id: Set(centre), seq: Set(seq), hash: Set(hash) };
            chain_head::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(chain_head::Column::CentreId)
                        .update_columns([chain_head::Column::Seq, chain_head::Column::Hash])
                        .to_owned(),
                )
                .exec_without_returning(&tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl SealedCases {
    /// Whether the batch was sealed on the `stored` heads (those it touches, read under lock);
    /// if not, `heads` becomes `stored`.
    fn on_heads(&self, stored: CaseHeads, heads: &mut CaseHeads) -> bool {
        let counters = self.counters.iter().all(|(key, before, _)| stored.counters.get(key) == Some(before));
        let chains = self.chains.iter().all(|(centre, before, _)| stored.chains.get(centre) == Some(before));
        let hold = counters && chains;
        if !hold {
            *heads = stored;
        }
        hold
    }
}

/// The heads `sealed` touches, as stored, read on the batch writers' own SQLite connection.
fn lite_stored_heads(tx: &LiteTx, sealed: &SealedCases) -> Result<CaseHeads> {
    let mut stored = CaseHeads::default();
    for ((centre, day), ..) in &sealed.counters {
        let key = lite::values(&[(*centre).into(), (*day).into()])?;
        let next = tx
            .query_row("SELECT next FROM case_counter WHERE centre_id = ?1 AND day = ?2", key, |r| r.get(0))?
            .unwrap_or(0);
        stored.counters.insert((*centre, *day), next);
    }
    for (centre, ..) in &sealed.chains {
        let key = lite::values(&[(*centre).into()])?;
        let head = tx
            .query_row("SELECT seq, hash FROM chain_head WHERE centre_id = ?1", key, |r| Ok((r.get(0)?, r.get(1)?)))?
            .unwrap_or((0, String::new()));
        stored.chains.insert(*centre, head);
    }
    Ok(stored)
}

/// Inserts `rows` of `cols` into `table`, one cached statement per row.
fn lite_insert_rows(tx: &LiteTx, table: &str, cols: &[(&str, &str)], rows: &[Vec<sea_orm::Value>]) -> Result<()> {
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let sql = format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), marks.join(", "));
    for row in rows {
        tx.execute(&sql, lite::values(row)?)?;
    }
    Ok(())
}

/// [`CasesTx::write`] on the batch writers' own SQLite connection: the same rows, one cached
/// statement per row.
fn lite_write(tx: LiteTx, sealed: SealedCases) -> Result<()> {
    let SealedCases { cases, applications, updates, events, steps, counters, chains } = sealed;
    lite_insert_rows(&tx, "cases", CASE_COLUMNS, &cases)?;
    lite_insert_rows(&tx, "case_application", APPLICATION_COLUMNS, &applications)?;
    for row in &updates {
        let changed = tx.execute(
            "UPDATE cases SET state = ?4, version = ?5, due_on = ?6, doc = ?7, updated_at = ?8 \
             WHERE centre_id = ?1 AND id = ?2 AND version = ?3",
            lite::values(row)?,
        )?;
        if changed != 1 {
            // Dropping the transaction rolls back what was written.
            return Err(StoreError::Conflict { what: "case" });
        }
    }
    lite_insert_rows(&tx, "case_event", EVENT_COLUMNS, &events)?;
    lite::insert_models::<case_step::Entity>(
        &tx,
        &steps,
        lite::OnConflict::Update(
            &[case_step::Column::CentreId, case_step::Column::CaseId, case_step::Column::Step],
            &[case_step::Column::Status, case_step::Column::DueOn],
        ),
    )?;
    for ((centre, day), _, next) in counters {
        tx.execute(
            "INSERT INTO case_counter (centre_id, day, next) VALUES (?1, ?2, ?3) \
             ON CONFLICT (centre_id, day) DO UPDATE SET next = excluded.next",
            lite::values(&[centre.into(), day.into(), next.into()])?,
        )?;
    }
    for (centre, _, (seq, hash)) in chains {
        tx.execute(
            "INSERT INTO chain_head (centre_id, seq, hash) VALUES (?1, ?2, ?3) \
             ON CONFLICT (centre_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            lite::values(&[centre.into(), seq.into(), hash.into()])?,
        )?;
    }
    tx.commit()
}

impl CaseBatch {
    /// The next case number of `region` (its root centre) on `day`, from 1, without gaps:
    /// counted on from `heads` (or the database, the first time), checked when the batch is
    /// written.
    pub async fn next_number(
        &mut self,
        store: &Store,
        heads: &CaseHeads,
        region: CentreId,
        day: NaiveDate,
    ) -> Result<u64> {
        let key = (region.0, day);
        let entry = match self.counters.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let start = match heads.counters.get(&key) {
                    Some(v) => *v,
                    None => store.counter(key).await?,
                };
                slot.insert((start, start))
            }
        };
        entry.1 += 1;
        u64::try_from(entry.1).map_err(|e| corrupt("counter", e))
    }

    /// Gives back the last number drawn for `region` on `day` (its case failed before it was
    /// staged), so numbers stay gapless.
    pub fn return_number(&mut self, region: CentreId, day: NaiveDate) {
        if let Some(e) = self.counters.get_mut(&(region.0, day))
            && e.1 > e.0
        {
            e.1 -= 1;
        }
    }

    /// Stages a new case and its first event.
    pub fn insert(&mut self, c: Arc<Case>, cal: Arc<Calendar>, event: EventDraft) {
        self.calendars.insert(c.centre.0, cal);
        self.inserts.push((c, event));
    }

    /// Stages `next`, computed from `before`. It is written only if the stored case is still at
    /// `before`'s version.
    pub fn update(&mut self, before: Arc<Case>, next: Arc<Case>, cal: Arc<Calendar>, event: EventDraft) {
        self.calendars.insert(next.centre.0, cal);
        self.updates.push((before, next, event));
    }

    /// Whether nothing is staged.
    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty() && self.updates.is_empty()
    }

    /// Computes every row the batch writes: the cases' documents, one row per updated case
    /// (its first base version, its last state), the events in order hash-chained per centre,
    /// the worklist rows (last state per step). Counts on from `heads` (reading a chain head
    /// the first time) and moves them on to where the batch leaves them, as if it were
    /// written: the next batch can be sealed while this one is being written. If the write
    /// fails, clear `heads`.
    pub async fn seal(self, store: &Store, heads: &mut CaseHeads) -> Result<SealedCases> {
        let CaseBatch { counters, inserts, updates, calendars } = self;
        let cal_of = |c: &Case| calendars.get(&c.centre.0).cloned().unwrap_or_default();

        let mut cases = Vec::with_capacity(inserts.len());
        let mut applications = Vec::with_capacity(inserts.len());
        for (c, e) in &inserts {
            cases.push(vec![
                c.centre.0.into(),
                c.id.0.into(),
                c.number.as_str().into(),
                c.state.as_str().into(),
                (c.version as i32).into(),
                c.channel.as_str().into(),
                c.reception.centre.0.into(),
                c.reception.window.map(|w| w.0).into(),
                c.ticket.into(),
                c.submitted_on.into(),
                c.due(&cal_of(c)).into(),
                case_doc::state(c)?.into(),
                e.at.into(),
            ]);
            applications.push(vec![c.centre.0.into(), c.id.0.into(), case_doc::application(c)?.into()]);
        }

        let mut order: Vec<CaseId> = Vec::new();
        let mut collapsed: HashMap<CaseId, (u32, Arc<Case>, DateTime<Utc>)> = HashMap::new();
        for (before, next, e) in &updates {
            match collapsed.get_mut(&next.id) {
                Some(entry) => {
                    entry.1 = next.clone();
                    entry.2 = e.at;
                }
                None => {
                    order.push(next.id);
                    collapsed.insert(next.id, (before.version, next.clone(), e.at));
                }
            }
        }
        let mut update_rows = Vec::with_capacity(order.len());
        for id in &order {
            let Some((before, next, at)) = collapsed.get(id) else { continue };
            update_rows.push(vec![
                next.centre.0.into(),
                next.id.0.into(),
                (*before as i32).into(),
                next.state.as_str().into(),
                (next.version as i32).into(),
                next.due(&cal_of(next)).into(),
                case_doc::state(next)?.into(),
                (*at).into(),
            ]);
        }

        let mut chains: HashMap<Uuid, (ChainHead, ChainHead)> = HashMap::new();
        let mut events = Vec::with_capacity(inserts.len() + updates.len());
        let mut steps: HashMap<(Uuid, i32), case_step::ActiveModel> = HashMap::new();
        let mut step_order: Vec<(Uuid, i32)> = Vec::new();
        let staged = inserts.iter().map(|(c, e)| (None, c, e)).chain(updates.iter().map(|(b, c, e)| (Some(b), c, e)));
        for (before, c, e) in staged {
            let centre = c.centre.0;
            if let std::collections::hash_map::Entry::Vacant(slot) = chains.entry(centre) {
                let head = match heads.chains.get(&centre) {
                    Some(h) => h.clone(),
                    None => chain_head_of(&store.db, "chain_head", centre, false).await?,
                };
                slot.insert((head.clone(), head));
            }
            let (_, chain) = chains.get_mut(&centre).ok_or_else(|| corrupt("chain", "missing"))?;
            chain.0 += 1;
            let seq = if before.is_some() { c.version as i32 } else { 1 };
            let changes = serde_json::to_string(&e.changes).map_err(|err| corrupt("changes", err))?;
            let from = if before.is_some() { e.from.as_str() } else { CaseState::Submitted.as_str() };
            let actor = e.actor.map(|a| a.0);
            let hash = event_hash(
                &chain.1,
                &HashedEvent {
                    centre,
                    case: c.id.0,
                    seq,
                    chain_seq: chain.0,
                    at: &e.at,
                    actor,
                    roles: &e.roles,
                    acting_centre: e.acting_centre.0,
                    window: e.window.map(|w| w.0),
                    command: e.command,
                    from,
                    to: c.state.as_str(),
                    changes: &changes,
                },
            );
            let prev = std::mem::replace(&mut chain.1, hash.clone());
            events.push(vec![
                centre.into(),
                c.id.0.into(),
                seq.into(),
                chain.0.into(),
                e.at.into(),
                actor.into(),
                e.roles.as_str().into(),
                e.acting_centre.0.into(),
                e.window.map(|w| w.0).into(),
                e.command.into(),
                from.into(),
                c.state.as_str().into(),
                changes.into(),
                prev.into(),
                hash.into(),
            ]);
            let cal = cal_of(c);
            for s in &c.steps {
                let changed = match before.and_then(|b| b.steps.get(s.id as usize)) {
                    None => true,
                    Some(old) => old.status != s.status || old.clock != s.clock,
                };
                if changed {
                    let key = (c.id.0, s.id as i32);
                    if steps.insert(key, step_row(centre, c.id.0, s, &cal)).is_none() {
                        step_order.push(key);
                    }
                }
            }
        }
        let steps: Vec<case_step::ActiveModel> = step_order.iter().filter_map(|k| steps.remove(k)).collect();
        let counters: Vec<_> =
            counters.into_iter().filter(|(_, (start, next))| next != start).map(|(k, (a, b))| (k, a, b)).collect();
        let chains: Vec<_> = chains.into_iter().map(|(centre, (before, after))| (centre, before, after)).collect();
        for (key, _, next) in &counters {
            heads.counters.insert(*key, *next);
        }
        for (centre, _, after) in &chains {
            heads.chains.insert(*centre, after.clone());
        }
        Ok(SealedCases { cases, applications, updates: update_rows, events, steps, counters, chains })
    }
}

/// The committed head of `centre`'s hash chain in `table` (`chain_head` for case events,
/// `alert_chain_head` for alert events): its last position and hash (0 and empty before the
/// first event). With `lock`, in a transaction, locked until it ends (PostgreSQL).
pub(crate) async fn chain_head_of<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    centre: Uuid,
    lock: bool,
) -> Result<ChainHead> {
    let backend = conn.get_database_backend();
    let sql = format!(
        "SELECT seq, hash FROM {table} WHERE centre_id = {}{}",
        placeholder(backend, 1),
        if lock { lock_suffix(backend) } else { "" }
    );
    let row = conn.query_one_raw(Statement::from_sql_and_values(backend, sql, [centre.into()])).await?;
    Ok(match row {
        Some(r) => (r.try_get("", "seq")?, r.try_get("", "hash")?),
        None => (0, String::new()),
    })
}

/// Locks the rows read until the transaction ends (PostgreSQL; SQLite's writer holds the
/// database already).
pub(crate) fn lock_suffix(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => " FOR UPDATE",
        _ => "",
    }
}

pub(crate) fn placeholder(backend: DatabaseBackend, n: usize) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// What a worklist entry is: an open step of a case.
#[derive(Debug, Clone)]
pub struct WorkItem {
    /// The case as it stands.
    pub case: Arc<Case>,
    /// The open step's id.
    pub step: u32,
    /// The entry's place in the list (a page cursor).
    pub cursor: String,
}

/// An open step as the worklist index holds it, with the version of its case when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkStep {
    /// The case.
    pub case: CaseId,
    /// The step's id.
    pub step: u32,
    /// The step's due date (undated steps come last).
    pub due_on: Option<NaiveDate>,
    /// The case's version.
    pub version: u32,
}

impl WorkStep {
    /// The entry's place in the list, to page on from (`due date|case|step`).
    pub fn cursor(&self) -> String {
        let due = self.due_on.map(|d| d.to_string()).unwrap_or_default();
        format!("{due}|{}|{}", self.case.0, self.step)
    }

    /// Whether `s` is a cursor of a worklist.
    pub fn is_cursor(s: &str) -> bool {
        WorkStep::parse_cursor(s).is_some()
    }

    fn parse_cursor(s: &str) -> Option<(Option<NaiveDate>, Uuid, i32)> {
        let mut parts = s.split('|');
        let due = match parts.next()? {
            "" => None,
            d => Some(d.parse().ok()?),
        };
        let case = parts.next()?.parse().ok()?;
        let step = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some((due, case, step))
    }
}

impl Store {
    /// The declared days of `centres`' calendars, parents first (so a child's days win).
    pub async fn calendar(&self, centres: &[CentreId]) -> Result<Calendar> {
        let rows = calendar_day::Entity::find()
            .filter(calendar_day::Column::CentreId.is_in(centres.iter().map(|c| c.0)))
            .all(&self.db)
            .await?;
        let mut days = Vec::with_capacity(rows.len());
        for c in centres {
            for r in rows.iter().filter(|r| r.centre_id == c.0) {
                days.push((r.day, parse_day_kind(&r.kind)?));
            }
        }
        Ok(Calendar::new(days))
    }

    /// The days `centre` itself declared in `year` (public).
    pub async fn calendar_days(&self, centre: CentreId, year: i32) -> Result<Vec<CalendarDay>> {
        let from = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| corrupt("year", year))?;
        let to = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| corrupt("year", year))?;
        let rows = calendar_day::Entity::find()
            .filter(calendar_day::Column::CentreId.eq(centre.0))
            .filter(calendar_day::Column::Day.between(from, to))
            .order_by_asc(calendar_day::Column::Day)
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|r| Ok(CalendarDay { date: r.day, kind: parse_day_kind(&r.kind)?, note: r.note }))
            .collect()
    }

    /// Declares days of the caller's centre's calendar (replacing what those dates said) and
    /// clears `clear` (back to the weekday rule), in one transaction.
    pub async fn set_calendar_days(&self, scope: &Scope, days: &[CalendarDay], clear: &[NaiveDate]) -> Result<()> {
        let tx = self.write().await?;
        let dates: Vec<NaiveDate> = days.iter().map(|d| d.date).chain(clear.iter().copied()).collect();
        if !dates.is_empty() {
            calendar_day::Entity::delete_many()
                .filter(calendar_day::Column::CentreId.eq(own(scope)))
                .filter(calendar_day::Column::Day.is_in(dates))
                .exec(&tx)
                .await?;
        }
        let rows: Vec<calendar_day::ActiveModel> = days
            .iter()
            .map(|d| calendar_day::ActiveModel {
                centre_id: Set(own(scope)),
                day: Set(d.date),
                kind: Set(day_kind(d.kind).to_owned()),
                note: Set(d.note.clone()),
            })
            .collect();
        for chunk in rows.chunks(500) {
            calendar_day::Entity::insert_many(chunk.to_vec()).exec_without_returning(&tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The latest workflow definition of a matter and its version.
    pub async fn workflow(&self, centre: CentreId, matter: MatterId) -> Result<Option<(WorkflowDef, u32)>> {
        let row = workflow::Entity::find()
            .filter(workflow::Column::CentreId.eq(centre.0))
            .filter(workflow::Column::MatterId.eq(matter.0))
            .order_by_desc(workflow::Column::Version)
            .one(&self.db)
            .await?;
        row.map(|r| {
            let def = serde_json::from_value(r.definition).map_err(|e| corrupt("workflow", e))?;
            Ok((def, u32::try_from(r.version).map_err(|e| corrupt("workflow version", e))?))
        })
        .transpose()
    }

    /// The first workflow definition of a matter (the baseline of the "four reductions").
    pub async fn first_workflow(&self, centre: CentreId, matter: MatterId) -> Result<Option<WorkflowDef>> {
        let row = workflow::Entity::find()
            .filter(workflow::Column::CentreId.eq(centre.0))
            .filter(workflow::Column::MatterId.eq(matter.0))
            .order_by_asc(workflow::Column::Version)
            .one(&self.db)
            .await?;
        row.map(|r| serde_json::from_value(r.definition).map_err(|e| corrupt("workflow", e))).transpose()
    }

    /// Stores a new version of a matter's workflow (the caller's centre); returns its version.
    pub async fn add_workflow(
        &self,
        scope: &Scope,
        matter: MatterId,
        def: &WorkflowDef,
        by: &crate::Provenance,
    ) -> Result<u32> {
        let tx = self.write().await?;
        let latest = workflow::Entity::find()
            .filter(workflow::Column::CentreId.eq(own(scope)))
            .filter(workflow::Column::MatterId.eq(matter.0))
            .order_by_desc(workflow::Column::Version)
            .one(&tx)
            .await?
            .map(|r| r.version)
            .unwrap_or(0);
        let version = latest + 1;
        let row = workflow::ActiveModel {
            centre_id: Set(own(scope)),
            matter_id: Set(matter.0),
            version: Set(version),
            definition: Set(serde_json::to_value(def).map_err(|e| corrupt("workflow", e))?),
            actor_id: Set(by.actor.map(|a| a.0)),
            note: Set(by.note.clone()),
            at: Set(by.at),
        };
        workflow::Entity::insert(row).exec_without_returning(&tx).await?;
        tx.commit().await?;
        u32::try_from(version).map_err(|e| corrupt("workflow version", e))
    }

    /// A case by id, for the platform's own use (no visibility check: the caller checks).
    pub async fn case_unchecked(&self, centre: CentreId, id: CaseId) -> Result<Option<Case>> {
        let Some(row) = case::Entity::find_by_id((centre.0, id.0)).one(&self.db).await? else { return Ok(None) };
        Ok(self.assemble(vec![row]).await?.pop())
    }

    /// The cases of `rows`, in their order, each joined with its application.
    pub(crate) async fn assemble(&self, rows: Vec<case::Model>) -> Result<Vec<Case>> {
        let mut by_centre: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for r in &rows {
            by_centre.entry(r.centre_id).or_default().push(r.id);
        }
        let mut applications: HashMap<(Uuid, Uuid), serde_json::Value> = HashMap::with_capacity(rows.len());
        for (centre, ids) in by_centre {
            let found = case_application::Entity::find()
                .filter(case_application::Column::CentreId.eq(centre))
                .filter(case_application::Column::Id.is_in(ids))
                .all(&self.db)
                .await?;
            applications.extend(found.into_iter().map(|a| ((a.centre_id, a.id), a.doc)));
        }
        rows.into_iter()
            .map(|r| {
                let application =
                    applications.remove(&(r.centre_id, r.id)).ok_or_else(|| corrupt("case application", "missing"))?;
                case_doc::join(application, r.doc)
            })
            .collect()
    }

    /// A case by id, if the caller may see it: staff of the owning centre (or a centre above
    /// it), and staff of the centre that received it.
    pub async fn case(&self, caller: &Caller, centre: CentreId, id: CaseId) -> Result<Option<Case>> {
        let Some(row) = case::Entity::find_by_id((centre.0, id.0)).one(&self.db).await? else { return Ok(None) };
        if !may_see(caller, centre, CentreId(row.reception_centre_id)) {
            return Ok(None);
        }
        Ok(self.assemble(vec![row]).await?.pop())
    }

    /// A case by number, for the platform (no visibility check: the caller checks).
    pub async fn case_by_number_unchecked(&self, number: &str) -> Result<Option<Case>> {
        let Some(row) = case::Entity::find().filter(case::Column::Number.eq(number.trim())).one(&self.db).await? else {
            return Ok(None);
        };
        Ok(self.assemble(vec![row]).await?.pop())
    }

    /// Open steps of `centre`'s worklists, by due date (earliest first; undated last), of one
    /// unit and optionally of some roles only. Paged by key (due date, case, step; the
    /// cursor is [`WorkStep::cursor`]), so a page costs the same however long the list is; it
    /// reads the step rows and their cases' versions, not the cases.
    pub async fn worklist(
        &self,
        caller: &Caller,
        centre: CentreId,
        unit: UnitId,
        roles: Option<&[&str]>,
        page: &Page,
    ) -> Result<Slice<WorkStep>> {
        if !private(caller, centre) || roles.is_some_and(<[&str]>::is_empty) {
            return Ok(Slice { items: Vec::new(), has_next: false });
        }
        let after = match page.after.as_deref() {
            Some(a) => Some(WorkStep::parse_cursor(a).ok_or_else(|| {
                StoreError::Rule(DomainError::new("after", ErrorCode::InvalidReference, "not a cursor of this list"))
            })?),
            None => None,
        };
        let base = || {
            let mut q = case_step::Entity::find()
                .filter(case_step::Column::CentreId.eq(centre.0))
                .filter(case_step::Column::UnitId.eq(unit.0))
                .filter(case_step::Column::Status.eq("OPEN"));
            if let Some(r) = roles {
                q = q.filter(case_step::Column::Role.is_in(r.iter().copied()));
            }
            q
        };
        let by_key = |q: sea_orm::Select<case_step::Entity>| {
            q.order_by_asc(case_step::Column::CaseId).order_by_asc(case_step::Column::Step).limit(page.limit + 1)
        };
        // Dated steps first (in the index's order), then the undated ones: the same order on
        // every backend, whatever it does with NULL.
        let mut rows = Vec::new();
        let after_in_undated = matches!(after, Some((None, ..)));
        if !after_in_undated {
            let mut q = base().filter(case_step::Column::DueOn.is_not_null());
            if let Some((Some(due), case, step)) = after {
                q = q.filter(
                    Condition::any().add(case_step::Column::DueOn.gt(due)).add(
                        Condition::all().add(case_step::Column::DueOn.eq(due)).add(
                            Condition::any().add(case_step::Column::CaseId.gt(case)).add(
                                Condition::all()
                                    .add(case_step::Column::CaseId.eq(case))
                                    .add(case_step::Column::Step.gt(step)),
                            ),
                        ),
                    ),
                );
            }
            rows = by_key(q.order_by_asc(case_step::Column::DueOn)).all(&self.db).await?;
        }
        if (rows.len() as u64) <= page.limit {
            let mut q = base().filter(case_step::Column::DueOn.is_null());
            if let Some((None, case, step)) = after {
                q = q.filter(Condition::any().add(case_step::Column::CaseId.gt(case)).add(
                    Condition::all().add(case_step::Column::CaseId.eq(case)).add(case_step::Column::Step.gt(step)),
                ));
            }
            rows.extend(by_key(q).all(&self.db).await?);
        }
        rows.truncate(page.limit as usize + 1);
        let ids: Vec<Uuid> = rows.iter().map(|r| r.case_id).collect();
        let versions: HashMap<Uuid, i32> = if ids.is_empty() {
            HashMap::new()
        } else {
            case::Entity::find()
                .select_only()
                .column(case::Column::Id)
                .column(case::Column::Version)
                .filter(case::Column::CentreId.eq(centre.0))
                .filter(case::Column::Id.is_in(ids))
                .into_tuple::<(Uuid, i32)>()
                .all(&self.db)
                .await?
                .into_iter()
                .collect()
        };
        let items = rows
            .into_iter()
            .filter_map(|r| {
                let version = u32::try_from(*versions.get(&r.case_id)?).ok()?;
                Some(WorkStep { case: CaseId(r.case_id), step: u32::try_from(r.step).ok()?, due_on: r.due_on, version })
            })
            .collect();
        Ok(Slice::from_overfetch(items, page.limit))
    }

    /// Pending cases (in review or suspended) of `centre` due on or before `until`, earliest
    /// first; suspended cases have no due date and are not listed.
    pub async fn cases_due(
        &self,
        caller: &Caller,
        centre: CentreId,
        until: NaiveDate,
        page: &Page,
    ) -> Result<Slice<Case>> {
        if !private(caller, centre) {
            return Ok(Slice { items: Vec::new(), has_next: false });
        }
        let offset = page.after.as_deref().and_then(|a| a.parse::<u64>().ok()).unwrap_or(0);
        let rows = case::Entity::find()
            .filter(case::Column::CentreId.eq(centre.0))
            .filter(case::Column::State.eq(CaseState::InReview.as_str()))
            .filter(case::Column::DueOn.lte(until))
            .order_by_asc(case::Column::DueOn)
            .order_by_asc(case::Column::Id)
            .offset(offset)
            .limit(page.limit + 1)
            .all(&self.db)
            .await?;
        let items = self.assemble(rows).await?;
        Ok(Slice::from_overfetch(items, page.limit))
    }

    /// Cases received by the caller's centre at `window` (or through any channel when
    /// `window` is `None`), newest first, optionally in some states only.
    pub async fn cases_received(
        &self,
        caller: &Caller,
        reception: CentreId,
        window: Option<WindowId>,
        states: &[CaseState],
        page: &Page,
    ) -> Result<Slice<Case>> {
        if !private(caller, reception) {
            return Ok(Slice { items: Vec::new(), has_next: false });
        }
        let offset = page.after.as_deref().and_then(|a| a.parse::<u64>().ok()).unwrap_or(0);
        let mut q = case::Entity::find().filter(case::Column::ReceptionCentreId.eq(reception.0));
        if let Some(w) = window {
            q = q.filter(case::Column::ReceptionWindowId.eq(w.0));
        }
        if !states.is_empty() {
            q = q.filter(case::Column::State.is_in(states.iter().map(|s| s.as_str())));
        }
        let rows = q
            .order_by_desc(case::Column::SubmittedOn)
            .order_by_desc(case::Column::Id)
            .offset(offset)
            .limit(page.limit + 1)
            .all(&self.db)
            .await?;
        let items = self.assemble(rows).await?;
        Ok(Slice::from_overfetch(items, page.limit))
    }

    /// A case's history, oldest first (the caller must be allowed to see the case).
    pub async fn case_events(&self, centre: CentreId, id: CaseId) -> Result<Vec<CaseEvent>> {
        let rows = case_event::Entity::find()
            .filter(case_event::Column::CentreId.eq(centre.0))
            .filter(case_event::Column::CaseId.eq(id.0))
            .order_by_asc(case_event::Column::Seq)
            .all(&self.db)
            .await?;
        rows.into_iter().map(to_event).collect()
    }
}

fn to_event(r: case_event::Model) -> Result<CaseEvent> {
    Ok(CaseEvent {
        seq: u32::try_from(r.seq).map_err(|e| corrupt("event seq", e))?,
        chain_seq: u64::try_from(r.chain_seq).map_err(|e| corrupt("chain seq", e))?,
        at: r.at,
        actor: r.actor_id.map(StaffId),
        roles: r.roles,
        acting_centre: CentreId(r.acting_centre_id),
        window: r.window_id.map(WindowId),
        command: r.command,
        from: r.from_state,
        to: r.to_state,
        changes: serde_json::from_value(r.changes).map_err(|e| corrupt("event changes", e))?,
        prev_hash: r.prev_hash,
        hash: r.hash,
    })
}

/// Whether `caller` may see a case of `owner` received by `reception`.
pub(crate) fn may_see(caller: &Caller, owner: CentreId, reception: CentreId) -> bool {
    private(caller, owner) || caller.scope().is_some_and(|s| s.centre == reception)
}

#[cfg(test)]
mod tests {
    use super::{chain_hash, power_of_two_chunk};

    #[test]
    fn a_chain_link_is_sha256_over_zero_terminated_parts_in_lowercase_hex() {
        // sha256(b"a\0bc\0"): stored chains are checked against this, so it must never change.
        assert_eq!(chain_hash(&["a", "bc"]), "aa795aa4bbb6117911ef062e271bcb05ccfd58ea439da7d46a44e3a3fcefa790");
    }

    #[test]
    fn chunks_are_powers_of_two_within_the_bound() {
        assert_eq!(power_of_two_chunk(0, 512), 0);
        assert_eq!(power_of_two_chunk(1, 512), 1);
        assert_eq!(power_of_two_chunk(300, 512), 256);
        assert_eq!(power_of_two_chunk(513, 512), 512);
        assert_eq!(power_of_two_chunk(300, 200), 128);
        // A batch of 300 rows is written as 256 + 32 + 8 + 4.
        let (mut left, mut sizes) = (300, Vec::new());
        while left > 0 {
            let n = power_of_two_chunk(left, 512);
            sizes.push(n);
            left -= n;
        }
        assert_eq!(sizes, [256, 32, 8, 4]);
    }
}
