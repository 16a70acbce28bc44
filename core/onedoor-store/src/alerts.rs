//! Repositories of supervision alerts and their per-centre hash chain.
//!
//! Every change of an alert (raised, acknowledged, resolved) appends an event to its centre's
//! alert chain in the same transaction: each event carries the hash of the previous one, and
//! the head row holds the last, so a changed, removed or inserted event (or a cut tail) shows
//! in [`Store::verify_chains`](crate::Store::verify_chains).

use crate::cases::{chain_hash, chain_head_of};
use crate::entity::{alert, alert_chain_head, alert_event};
use crate::{Result, Slice, Store, StoreError, WriteTx, corrupt, own, private};
use chrono::{DateTime, Utc};
use onedoor_domain::alert::{Alert, AlertKind, AlertStatus, AlertStep, Severity};
use onedoor_domain::id::AlertId;
use onedoor_domain::{Caller, CentreId, Scope, StaffId, UnitId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

pub use crate::plugins::IdPage;

/// Which alerts to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlertFilter {
    /// Only alerts in this status.
    pub status: Option<AlertStatus>,
    /// Only alerts of this kind.
    pub kind: Option<AlertKind>,
    /// Only alerts concerning this unit.
    pub unit: Option<UnitId>,
}

pub(crate) fn to_alert(m: alert::Model) -> Result<Alert> {
    let step = |by: Option<Uuid>, at: Option<DateTime<Utc>>, note: Option<String>| {
        at.map(|at| AlertStep { by: by.map(StaffId), at, note: note.unwrap_or_default() })
    };
    Ok(Alert {
        id: AlertId(m.id),
        centre: CentreId(m.centre_id),
        kind: AlertKind::parse(&m.kind).ok_or_else(|| corrupt("alert kind", &m.kind))?,
        severity: Severity::parse(&m.severity).ok_or_else(|| corrupt("alert severity", &m.severity))?,
        subject: m.subject,
        unit: m.unit_id.map(UnitId),
        key: m.dedupe_key,
        message: m.message,
        details: m.details,
        raised_at: m.raised_at,
        status: AlertStatus::parse(&m.status).ok_or_else(|| corrupt("alert status", &m.status))?,
        acknowledged: step(m.acknowledged_by, m.acknowledged_at, m.acknowledge_note),
        resolved: step(m.resolved_by, m.resolved_at, m.resolve_note),
    })
}

/// What an alert event records: the alert as raised, or the step it was moved on by.
fn event_body(action: &str, a: &Alert) -> Result<String> {
    let value = match action {
        "raise" => serde_json::json!({
            "kind": a.kind.as_str(),
            "severity": a.severity.as_str(),
            "subject": a.subject,
            "unit": a.unit.map(|u| u.0),
            "key": a.key,
            "message": a.message,
            "details": a.details,
        }),
        _ => {
            let step = if action == "acknowledge" { &a.acknowledged } else { &a.resolved };
            serde_json::json!({ "status": a.status.as_str(), "note": step.as_ref().map(|s| s.note.as_str()) })
        }
    };
    serde_json::to_string(&value).map_err(|e| corrupt("alert event", e))
}

/// The hash of an alert event.
#[allow(clippy::too_many_arguments)]
pub fn alert_event_hash(
    prev: &str,
    centre: Uuid,
    seq: i64,
    alert: Uuid,
    at: &DateTime<Utc>,
    actor: Option<Uuid>,
    action: &str,
    body: &str,
) -> String {
    chain_hash(&[
        prev,
        &centre.to_string(),
        &seq.to_string(),
        &alert.to_string(),
        &at.timestamp_micros().to_string(),
        &actor.map(|a| a.to_string()).unwrap_or_default(),
        action,
        body,
    ])
}

/// The centre's alert chain head, locked until the transaction ends (PostgreSQL).
async fn chain_head(tx: &WriteTx, centre: Uuid) -> Result<(i64, String)> {
    chain_head_of(tx, "alert_chain_head", centre, true).await
}

/// The event of `action` on `a`, linked after `head`, which it moves on.
fn link(
    head: &mut (i64, String),
    a: &Alert,
    action: &str,
    at: DateTime<Utc>,
    actor: Option<StaffId>,
) -> Result<alert_event::ActiveModel> {
    let centre = a.centre.0;
    let seq = head.0 + 1;
    let body = event_body(action, a)?;
    let actor = actor.map(|s| s.0);
    let hash = alert_event_hash(&head.1, centre, seq, a.id.0, &at, actor, action, &body);
    let prev = std::mem::replace(head, (seq, hash.clone())).1;
    Ok(alert_event::ActiveModel {
        centre_id: Set(centre),
        seq: Set(seq),
        alert_id: Set(a.id.0),
        at: Set(at),
        actor: Set(actor),
        action: Set(action.to_owned()),
        body: Set(body),
        prev_hash: Set(prev),
        hash: Set(hash),
    })
}

/// Stores the centre's new chain head.
async fn put_head(tx: &WriteTx, centre: Uuid, (seq, hash): (i64, String)) -> Result<()> {
    alert_chain_head::Entity::insert(alert_chain_head::ActiveModel {
        centre_id: Set(centre),
        seq: Set(seq),
        hash: Set(hash),
    })
    .on_conflict(
        OnConflict::column(alert_chain_head::Column::CentreId)
            .update_columns([alert_chain_head::Column::Seq, alert_chain_head::Column::Hash])
            .to_owned(),
    )
    .exec_without_returning(tx)
    .await?;
    Ok(())
}

/// Appends an event to the centre's alert chain inside `tx`.
async fn append(tx: &WriteTx, a: &Alert, action: &str, at: DateTime<Utc>, actor: Option<StaffId>) -> Result<()> {
    let mut head = chain_head(tx, a.centre.0).await?;
    link(&mut head, a, action, at, actor)?.insert(tx).await?;
    put_head(tx, a.centre.0, head).await
}

/// The row of a new alert.
fn alert_row(a: &Alert) -> alert::ActiveModel {
    alert::ActiveModel {
        centre_id: Set(a.centre.0),
        id: Set(a.id.0),
        kind: Set(a.kind.as_str().to_owned()),
        severity: Set(a.severity.as_str().to_owned()),
        subject: Set(a.subject.clone()),
        message: Set(a.message.clone()),
        details: Set(a.details.clone()),
        raised_at: Set(a.raised_at),
        status: Set(a.status.as_str().to_owned()),
        acknowledged_by: Set(None),
        acknowledged_at: Set(None),
        acknowledge_note: Set(None),
        resolved_by: Set(None),
        resolved_at: Set(None),
        resolve_note: Set(None),
        unit_id: Set(a.unit.map(|u| u.0)),
        dedupe_key: Set(a.key.clone()),
    }
}

/// Alert rows (and event rows) per multi-row insert: well under SQLite's 32,766 parameters.
const ROWS_PER_INSERT: usize = 500;

/// How often a write that lost a race for a new chain's first link is retried.
const CHAIN_RETRIES: usize = 5;

impl Store {
    /// Stores a raised alert of `a.centre` (the platform's own write) and chains its event.
    /// An alert whose key the centre holds already is not stored: `false`.
    pub async fn raise_alert(&self, a: &Alert) -> Result<bool> {
        Ok(self.raise_alerts(std::slice::from_ref(a)).await?.first().copied().unwrap_or(false))
    }

    /// Stores raised alerts (of any centres) in one transaction, each event chained in order:
    /// one answer per alert, `false` for one whose key its centre holds already (or that an
    /// earlier alert of the same call carries). A supervision pass raises its findings so.
    pub async fn raise_alerts(&self, alerts: &[Alert]) -> Result<Vec<bool>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_raise(alerts).await {
                // Another replica began the same centre's chain, or raised the same key, first.
                Err(StoreError::Duplicate { .. }) if attempt < CHAIN_RETRIES => continue,
                other => return other,
            }
        }
    }

    /// Which of `keys` the centre's alerts hold already (a read, for passes that would raise
    /// the same alerts again: the key is checked again when an alert is raised).
    pub async fn alert_keys_held(&self, centre: CentreId, keys: &[&str]) -> Result<HashSet<String>> {
        let mut held = HashSet::new();
        for chunk in keys.chunks(500) {
            let found: Vec<Option<String>> = alert::Entity::find()
                .select_only()
                .column(alert::Column::DedupeKey)
                .filter(alert::Column::CentreId.eq(centre.0))
                .filter(alert::Column::DedupeKey.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await?;
            held.extend(found.into_iter().flatten());
        }
        Ok(held)
    }

    async fn try_raise(&self, alerts: &[Alert]) -> Result<Vec<bool>> {
        if alerts.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.write().await?;
        // The heads first: locked (PostgreSQL), so a replica raising in the same centre waits
        // for this transaction and keys it committed before are seen below.
        let mut heads: HashMap<Uuid, (i64, String)> = HashMap::new();
        for a in alerts {
            if let std::collections::hash_map::Entry::Vacant(e) = heads.entry(a.centre.0) {
                e.insert(chain_head(&tx, a.centre.0).await?);
            }
        }
        let mut held: HashSet<(Uuid, String)> = HashSet::new();
        for &centre in heads.keys() {
            let keys: Vec<&str> =
                alerts.iter().filter(|a| a.centre.0 == centre).filter_map(|a| a.key.as_deref()).collect();
            for chunk in keys.chunks(ROWS_PER_INSERT) {
                let found: Vec<Option<String>> = alert::Entity::find()
                    .select_only()
                    .column(alert::Column::DedupeKey)
                    .filter(alert::Column::CentreId.eq(centre))
                    .filter(alert::Column::DedupeKey.is_in(chunk.iter().copied()))
                    .into_tuple()
                    .all(&tx)
                    .await?;
                held.extend(found.into_iter().flatten().map(|k| (centre, k)));
            }
        }
        let (mut rows, mut events, mut answers) = (Vec::new(), Vec::new(), Vec::with_capacity(alerts.len()));
        let mut touched = HashSet::new();
        for a in alerts {
            if let Some(key) = &a.key
                && !held.insert((a.centre.0, key.clone()))
            {
                answers.push(false);
                continue;
            }
            let head = heads.get_mut(&a.centre.0).ok_or_else(|| corrupt("alert chain head", "missing"))?;
            events.push(link(head, a, "raise", a.raised_at, None)?);
            touched.insert(a.centre.0);
            rows.push(alert_row(a));
            answers.push(true);
        }
        if rows.is_empty() {
            return Ok(answers);
        }
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(ROWS_PER_INSERT));
            alert::Entity::insert_many(std::mem::replace(&mut rows, rest)).exec_without_returning(&tx).await?;
        }
        while !events.is_empty() {
            let rest = events.split_off(events.len().min(ROWS_PER_INSERT));
            alert_event::Entity::insert_many(std::mem::replace(&mut events, rest)).exec_without_returning(&tx).await?;
        }
        for (centre, head) in heads {
            if touched.contains(&centre) {
                put_head(&tx, centre, head).await?;
            }
        }
        tx.commit().await?;
        Ok(answers)
    }

    /// An alert, if the caller may read its centre.
    pub async fn alert(&self, caller: &Caller, centre: CentreId, id: AlertId) -> Result<Option<Alert>> {
        if !private(caller, centre) {
            return Ok(None);
        }
        alert::Entity::find_by_id((centre.0, id.0)).one(&self.db).await?.map(to_alert).transpose()
    }

    /// A centre's alerts, newest first, filtered, for callers who may read the centre (else
    /// empty).
    pub async fn alerts(
        &self,
        caller: &Caller,
        centre: CentreId,
        filter: AlertFilter,
        page: &IdPage,
    ) -> Result<Slice<Alert>> {
        if !private(caller, centre) {
            return Ok(Slice { items: Vec::new(), has_next: false });
        }
        let mut q = alert::Entity::find().filter(alert::Column::CentreId.eq(centre.0));
        if let Some(s) = filter.status {
            q = q.filter(alert::Column::Status.eq(s.as_str()));
        }
        if let Some(k) = filter.kind {
            q = q.filter(alert::Column::Kind.eq(k.as_str()));
        }
        if let Some(u) = filter.unit {
            q = q.filter(alert::Column::UnitId.eq(u.0));
        }
        if let Some(before) = page.before {
            q = q.filter(alert::Column::Id.lt(before));
        }
        let rows = q.order_by_desc(alert::Column::Id).limit(page.limit + 1).all(&self.db).await?;
        let s = Slice::from_overfetch(rows, page.limit);
        Ok(Slice { items: s.items.into_iter().map(to_alert).collect::<Result<_>>()?, has_next: s.has_next })
    }

    /// Moves an alert of the caller's centre on, from the status `before` was read in
    /// (`CONFLICT` when someone moved it first), and chains the event.
    pub async fn update_alert(&self, scope: &Scope, before: &Alert, after: &Alert) -> Result<Alert> {
        if before.centre != scope.centre || after.id != before.id {
            return Err(StoreError::NotFound { what: "alert" });
        }
        let tx = self.write().await?;
        let row = alert::Entity::find_by_id((own(scope), before.id.0))
            .one(&tx)
            .await?
            .ok_or(StoreError::NotFound { what: "alert" })?;
        let status_before = before.status.as_str();
        let mut am = row.into_active_model();
        am.status = Set(after.status.as_str().to_owned());
        let (action, step) = match after.status {
            AlertStatus::Acknowledged => ("acknowledge", &after.acknowledged),
            _ => ("resolve", &after.resolved),
        };
        let step = step.as_ref().ok_or_else(|| corrupt("alert step", "missing"))?;
        if let Some(s) = &after.acknowledged {
            am.acknowledged_by = Set(s.by.map(|b| b.0));
            am.acknowledged_at = Set(Some(s.at));
            am.acknowledge_note = Set(Some(s.note.clone()));
        }
        if let Some(s) = &after.resolved {
            am.resolved_by = Set(s.by.map(|b| b.0));
            am.resolved_at = Set(Some(s.at));
            am.resolve_note = Set(Some(s.note.clone()));
        }
        let done = alert::Entity::update_many()
            .set(am)
            .filter(alert::Column::CentreId.eq(own(scope)))
            .filter(alert::Column::Id.eq(before.id.0))
            .filter(alert::Column::Status.eq(status_before))
            .exec(&tx)
            .await?;
        if done.rows_affected != 1 {
            return Err(StoreError::Conflict { what: "alert" });
        }
        append(&tx, after, action, step.at, step.by).await?;
        tx.commit().await?;
        Ok(after.clone())
    }
}
