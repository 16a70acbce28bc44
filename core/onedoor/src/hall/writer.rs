//! The queue writer (a [`Batcher`] of the group-commit writer): one task per process applies queue operations to the live queues it holds
//! in memory and persists them in batches (group commit).
//!
//! Requests hand their operation to the writer as a job. The writer drains whatever jobs are
//! waiting, applies them in order to each hall's [`Queue`] (so "call next" from fifty windows is
//! decided one after the other, and each ticket is handed out once), writes every changed ticket
//! and its event in one transaction that also raises each touched hall's version from the
//! version the writer last saw, commits, and only then answers each request and tells the
//! display boards. An operation is never acknowledged before its commit; many share one. The
//! batches run on the writers' own thread (`group_commit::on_writer_thread`), with the case
//! writer's writes.
//!
//! Another replica may have written to a hall meanwhile: its version check then fails, the
//! writer drops that hall's queue, reloads it from the database and runs the hall's jobs again
//! (a few times at most), so no change computed on a stale view is ever committed.

use super::{HallSignal, HallState, Live};
use crate::group_commit::Batcher;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use onedoor_domain::hall::queue::{Change, NewTicket, Seat, Transfer};
use onedoor_domain::hall::{Queue, local_day};
use onedoor_domain::organisation::Hall;
use onedoor_domain::{CentreId, HallId, StaffId, TicketId, WindowId};
use onedoor_store::{QueueRecord, Store, StoreError, TicketChange};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::oneshot;

/// The most jobs in one transaction.
const MAX_BATCH: usize = 1024;
/// How often a hall's jobs are run again after another process changed the hall.
const ATTEMPTS: u8 = 4;

/// A queue operation.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Take(NewTicket),
    Call(Seat),
    Recall(TicketId, Option<WindowId>),
    NoShow(TicketId, Option<WindowId>),
    Start(TicketId, Option<WindowId>),
    End(TicketId, Option<WindowId>),
    Transfer(TicketId, Transfer, Option<WindowId>),
}

impl Op {
    fn apply(
        &self,
        q: &mut Queue,
        now: DateTime<Utc>,
    ) -> std::result::Result<Option<Change>, onedoor_domain::DomainError> {
        match self {
            Op::Take(n) => q.take(n.clone(), now).map(Some),
            Op::Call(s) => q.call_next(s, now),
            Op::Recall(t, w) => q.recall(*t, *w, now).map(Some),
            Op::NoShow(t, w) => q.no_show(*t, *w, now).map(Some),
            Op::Start(t, w) => q.start(*t, *w, now).map(Some),
            Op::End(t, w) => q.end(*t, *w, now).map(Some),
            Op::Transfer(t, to, w) => q.transfer(*t, *to, *w).map(Some),
        }
    }
}

/// One request's operation on one hall.
pub(crate) struct Job {
    pub hall: Hall,
    pub op: Op,
    pub actor: Option<(CentreId, StaffId)>,
    pub reply: oneshot::Sender<Result<Option<Change>>>,
    pub attempts: u8,
}

type Key = (CentreId, HallId);

/// Loads a hall's queue for `now`'s day from the database.
pub(crate) async fn load(store: &Store, hall: &Hall, now: DateTime<Utc>, generation: u64) -> Result<Live> {
    let record = store.queue_record(hall).await?;
    let day = local_day(now);
    let tickets = store.tickets_of_day(hall, day).await?;
    let passes = if record.day == day { record.passes } else { Default::default() };
    let mut zone_windows = HashMap::new();
    let page = onedoor_store::Page { after: None, limit: 10_000 };
    for w in store.windows(hall, None, &page).await?.items {
        *zone_windows.entry(w.zone).or_insert(0u32) += 1;
    }
    Ok(Live {
        queue: Queue::restore(hall.centre, hall.id, day, record.settings, passes, tickets),
        version: record.version,
        generation,
        zone_windows,
    })
}

/// The queue writer: runs queue operations in batches through the group-commit writer.
pub(crate) struct QueueWriter {
    pub store: Store,
    pub state: Arc<HallState>,
    pub clock: Arc<dyn crate::Clock>,
}

impl Batcher for QueueWriter {
    type Job = Job;
    const MAX_BATCH: usize = MAX_BATCH;

    async fn run(&mut self, jobs: Vec<Job>) -> Vec<Job> {
        let (store, state, now) = (self.store.clone(), self.state.clone(), self.clock.now());
        let batch = crate::group_commit::on_writer_thread(async move { run_batch(&store, &state, now, jobs).await });
        batch.await.unwrap_or_else(|e| {
            // The batch's jobs were dropped with it: their requests learn that the writer stopped.
            tracing::error!(error = %e, "a queue batch failed");
            Vec::new()
        })
    }
}

/// Runs one batch; returns the jobs to run again (their hall changed elsewhere).
async fn run_batch(store: &Store, state: &HallState, now: DateTime<Utc>, jobs: Vec<Job>) -> Vec<Job> {
    let day = local_day(now);
    // Group by hall, keeping each hall's jobs in arrival order.
    let mut halls: Vec<(Key, Hall, Vec<Job>)> = Vec::new();
    for job in jobs {
        let key = (job.hall.centre, job.hall.id);
        match halls.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, js)) => js.push(job),
            None => halls.push((key, job.hall.clone(), vec![job])),
        }
    }
    // Make sure each hall's queue is loaded and of today.
    let mut failed: Vec<Job> = Vec::new();
    let mut ready = Vec::with_capacity(halls.len());
    for (key, hall, js) in halls {
        if state.current(&key, day).is_none() {
            match load(store, &hall, now, state.next_generation()).await {
                Ok(live) => state.install(key, live),
                Err(e) => {
                    tracing::error!(error = %e, "the hall's queue could not be loaded");
                    for j in js {
                        let _ = j
                            .reply
                            .send(Err(Error::Internal(StoreError::Corrupt("the queue could not be loaded".into()))));
                    }
                    continue;
                }
            }
        }
        ready.push((key, hall, js));
    }
    let mut batch = match store.queue_batch().await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "queue batch could not start");
            for (_, _, js) in ready {
                for j in js {
                    let _ = j.reply.send(Err(Error::from(e_clone(&e))));
                }
            }
            return failed;
        }
    };
    // Apply the operations in memory; stage what they change.
    struct Staged {
        key: Key,
        generation: u64,
        answers: Vec<(Job, std::result::Result<Option<Change>, onedoor_domain::DomainError>)>,
    }
    let mut staged: Vec<Staged> = Vec::new();
    for (key, hall, js) in ready {
        let applied = state.with(&key, |live| {
            let seen = live.version;
            let answers: Vec<_> = js
                .into_iter()
                .map(|j| {
                    let r = j.op.apply(&mut live.queue, now);
                    (j, r)
                })
                .collect();
            let record = QueueRecord {
                version: seen,
                settings: live.queue.settings().clone(),
                day: live.queue.day(),
                passes: live.queue.passes().clone(),
            };
            (seen, live.generation, record, answers)
        });
        let Some((seen, generation, record, answers)) = applied else { continue };
        // A call that found nothing is checked too: on a stale view "nothing waits" may be wrong.
        let changed = answers.iter().any(|(j, r)| matches!(r, Ok(Some(_))) || matches!(j.op, Op::Call(_)));
        if changed {
            match batch.claim(&hall, seen, &record).await {
                Ok(true) => {}
                Ok(false) => {
                    // Another process wrote to this hall: drop our view, run the jobs again.
                    state.drop_queue(&key);
                    for (mut j, _) in answers {
                        j.attempts += 1;
                        if j.attempts >= ATTEMPTS {
                            let _ = j.reply.send(Err(Error::Conflict("queue".into())));
                        } else {
                            failed.push(j);
                        }
                    }
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, "queue claim failed");
                    state.drop_queue(&key);
                    for (j, _) in answers {
                        let _ = j.reply.send(Err(Error::from(e_clone(&e))));
                    }
                    continue;
                }
            }
            for (j, r) in &answers {
                if let Ok(Some(c)) = r {
                    batch.put(&TicketChange {
                        ticket: c.ticket.clone(),
                        event: c.event,
                        window: c.window,
                        actor: j.actor,
                        at: now,
                    });
                }
            }
        }
        staged.push(Staged { key, generation, answers });
    }
    match batch.commit().await {
        Ok(()) => {
            for s in staged {
                let changed = s.answers.iter().any(|(j, r)| matches!(r, Ok(Some(_))) || matches!(j.op, Op::Call(_)));
                if changed {
                    state.committed(&s.key, s.generation);
                }
                for (j, r) in s.answers {
                    match r {
                        Ok(Some(c)) => {
                            state.publish(HallSignal { centre: s.key.0, hall: s.key.1, change: c.clone() });
                            let _ = j.reply.send(Ok(Some(c)));
                        }
                        Ok(None) => {
                            let _ = j.reply.send(Ok(None));
                        }
                        Err(e) => {
                            let _ = j.reply.send(Err(Error::Invalid(vec![e])));
                        }
                    }
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "queue batch commit failed");
            for s in staged {
                state.drop_queue(&s.key);
                for (j, _) in s.answers {
                    let _ = j.reply.send(Err(Error::from(e_clone(&e))));
                }
            }
        }
    }
    failed
}

/// A store error to hand to several requests (the original is logged once).
fn e_clone(e: &StoreError) -> StoreError {
    match e {
        StoreError::Conflict { what } => StoreError::Conflict { what },
        _ => StoreError::Corrupt("the queue could not be written".into()),
    }
}
