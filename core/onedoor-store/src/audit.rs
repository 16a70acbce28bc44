//! The tamper-evident audit: walks a centre's hash chains (case events, alert events) from the
//! first link and names the first broken one.
//!
//! A link is broken when its position is not the next one (an event removed or inserted), when
//! it does not carry the previous event's hash, when its own hash does not match its fields (an
//! event changed), or when the chain's head does not name the last event (a tail cut off).

use crate::alerts::alert_event_hash;
use crate::cases::{HashedEvent, event_hash};
use crate::entity::{alert_chain_head, alert_event, case_event, chain_head};
use crate::{Result, Store, corrupt};
use onedoor_domain::CentreId;
use onedoor_domain::case::Change;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The hash chains a centre keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    /// The case history.
    Cases,
    /// The alerts' lifecycle.
    Alerts,
}

impl Chain {
    /// The stable name (`CASES`, `ALERTS`).
    pub fn as_str(self) -> &'static str {
        match self {
            Chain::Cases => "CASES",
            Chain::Alerts => "ALERTS",
        }
    }
}

/// Why a link is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakReason {
    /// The position is not the next one: events are missing (or were inserted).
    Missing,
    /// The event does not carry the previous event's hash.
    PrevMismatch,
    /// The event's fields do not hash to its stored hash: it was changed.
    HashMismatch,
    /// The chain's head does not name the last event: the tail was cut off or the head changed.
    HeadMismatch,
}

impl BreakReason {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakReason::Missing => "MISSING",
            BreakReason::PrevMismatch => "PREV_MISMATCH",
            BreakReason::HashMismatch => "HASH_MISMATCH",
            BreakReason::HeadMismatch => "HEAD_MISMATCH",
        }
    }
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// Its position in the chain (for a head mismatch: the head's).
    pub seq: i64,
    /// Why.
    pub reason: BreakReason,
    /// Which record, in words (`case <id> event 3`, `alert <id> resolve`).
    pub record: String,
}

/// The result of walking one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    /// The centre.
    pub centre: CentreId,
    /// The chain.
    pub chain: Chain,
    /// Events checked (up to the first broken link).
    pub events: u64,
    /// The head's hash (empty for an empty chain).
    pub head: String,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
}

/// Events read per query while walking.
const PAGE: u64 = 2_000;

/// One link as read: position, previous hash, stored hash, the recomputed hash, and a name.
struct Link {
    seq: i64,
    prev: String,
    hash: String,
    computed: String,
    record: String,
}

/// Walks links in order; `None` when every link holds.
fn walk(links: &[Link], expected_seq: &mut i64, last: &mut String, events: &mut u64) -> Option<BrokenLink> {
    for l in links {
        let reason = if l.seq != *expected_seq + 1 {
            Some(BreakReason::Missing)
        } else if l.prev != *last {
            Some(BreakReason::PrevMismatch)
        } else if l.computed != l.hash {
            Some(BreakReason::HashMismatch)
        } else {
            None
        };
        if let Some(reason) = reason {
            return Some(BrokenLink { seq: *expected_seq + 1, reason, record: l.record.clone() });
        }
        *expected_seq = l.seq;
        last.clone_from(&l.hash);
        *events += 1;
    }
    None
}

impl Store {
    /// Walks both of `centre`'s chains (the operator's tool and supervisors through the API).
    pub async fn verify_chains(&self, centre: CentreId) -> Result<Vec<ChainCheck>> {
        Ok(vec![self.verify_case_chain(centre).await?, self.verify_alert_chain(centre).await?])
    }

    async fn verify_case_chain(&self, centre: CentreId) -> Result<ChainCheck> {
        let (mut seq, mut last, mut events) = (0i64, String::new(), 0u64);
        loop {
            let rows = case_event::Entity::find()
                .filter(case_event::Column::CentreId.eq(centre.0))
                .filter(case_event::Column::ChainSeq.gt(seq))
                .order_by_asc(case_event::Column::ChainSeq)
                .limit(PAGE)
                .all(&self.db)
                .await?;
            let n = rows.len() as u64;
            let mut links = Vec::with_capacity(rows.len());
            for r in rows {
                let changes: Vec<Change> =
                    serde_json::from_value(r.changes.clone()).map_err(|e| corrupt("event changes", e))?;
                let changes = serde_json::to_string(&changes).map_err(|e| corrupt("event changes", e))?;
                let computed = event_hash(
                    &r.prev_hash,
                    &HashedEvent {
                        centre: r.centre_id,
                        case: r.case_id,
                        seq: r.seq,
                        chain_seq: r.chain_seq,
                        at: &r.at,
                        actor: r.actor_id,
                        roles: &r.roles,
                        acting_centre: r.acting_centre_id,
                        window: r.window_id,
                        command: &r.command,
                        from: &r.from_state,
                        to: &r.to_state,
                        changes: &changes,
                    },
                );
                links.push(Link {
                    seq: r.chain_seq,
                    prev: r.prev_hash,
                    hash: r.hash,
                    computed,
                    record: format!("case {} event {}", r.case_id, r.seq),
                });
            }
            if let Some(broken) = walk(&links, &mut seq, &mut last, &mut events) {
                return Ok(ChainCheck { centre, chain: Chain::Cases, events, head: last, broken: Some(broken) });
            }
            if n < PAGE {
                break;
            }
        }
        let head = chain_head::Entity::find_by_id(centre.0).one(&self.db).await?.map(|h| (h.seq, h.hash));
        Ok(finish(centre, Chain::Cases, seq, last, events, head))
    }

    async fn verify_alert_chain(&self, centre: CentreId) -> Result<ChainCheck> {
        let (mut seq, mut last, mut events) = (0i64, String::new(), 0u64);
        loop {
            let rows = alert_event::Entity::find()
                .filter(alert_event::Column::CentreId.eq(centre.0))
                .filter(alert_event::Column::Seq.gt(seq))
                .order_by_asc(alert_event::Column::Seq)
                .limit(PAGE)
                .all(&self.db)
                .await?;
            let n = rows.len() as u64;
            let links: Vec<Link> = rows
                .into_iter()
                .map(|r| Link {
                    seq: r.seq,
                    computed: alert_event_hash(
                        &r.prev_hash,
                        r.centre_id,
                        r.seq,
                        r.alert_id,
                        &r.at,
                        r.actor,
                        &r.action,
                        &r.body,
                    ),
                    prev: r.prev_hash,
                    hash: r.hash,
                    record: format!("alert {} {}", r.alert_id, r.action),
                })
                .collect();
            if let Some(broken) = walk(&links, &mut seq, &mut last, &mut events) {
                return Ok(ChainCheck { centre, chain: Chain::Alerts, events, head: last, broken: Some(broken) });
            }
            if n < PAGE {
                break;
            }
        }
        let head = alert_chain_head::Entity::find_by_id(centre.0).one(&self.db).await?.map(|h| (h.seq, h.hash));
        Ok(finish(centre, Chain::Alerts, seq, last, events, head))
    }
}

fn finish(
    centre: CentreId,
    chain: Chain,
    seq: i64,
    last: String,
    events: u64,
    head: Option<(i64, String)>,
) -> ChainCheck {
    let (head_seq, head_hash) = head.unwrap_or((0, String::new()));
    let broken = (head_seq != seq || head_hash != last).then(|| BrokenLink {
        seq: head_seq.max(seq + 1),
        reason: BreakReason::HeadMismatch,
        record: format!("chain head at {head_seq}, last event at {seq}"),
    });
    ChainCheck { centre, chain, events, head: last, broken }
}
