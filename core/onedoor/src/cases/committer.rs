//! Group commit for case transitions (a [`Batcher`] of the group-commit writer).
//!
//! Requests hand their transition to one writer task per process as a job: the case it starts
//! from and a pure function that computes the next state. The writer drains whatever jobs are
//! waiting, applies them in order inside one transaction (a later job on the same case starts
//! from the state an earlier job of the batch produced), commits once, and only then answers
//! each request. A transition is never acknowledged before its commit; many share one.
//!
//! The writer keeps the cases it wrote in a bounded cache, so the next transition of a live
//! case needs no read. Another replica may have moved a case on: the version check in the
//! UPDATE then fails, the job is answered with a conflict, the entry is dropped, and the
//! platform retries from a fresh read.

use crate::group_commit::Batcher;
use crate::{Error, Result};
use onedoor_domain::CaseId;
use onedoor_domain::calendar::Calendar;
use onedoor_domain::case::Case;
use onedoor_store::{CaseBatch, EventDraft, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The most jobs in one transaction.
const MAX_BATCH: usize = 512;
/// The most cases kept in the cache.
const CACHE_CAPACITY: usize = 100_000;

/// Computes a transition: from the current case (none for a new one) and the drawn number (for
/// a new case) to the next case and the event that records it.
pub(crate) type Transition = Arc<dyn Fn(Option<&Case>, Option<&str>) -> Result<(Case, EventDraft)> + Send + Sync>;

/// A case number to draw: region (its root centre), day, and the prefix before the sequence.
#[derive(Debug, Clone)]
pub(crate) struct NumberRequest {
    pub region: onedoor_domain::CentreId,
    pub day: chrono::NaiveDate,
    pub prefix: String,
}

pub(crate) struct Job {
    /// The case the transition starts from; `None` for a new case.
    pub base: Option<Arc<Case>>,
    /// For a new case: the number to draw.
    pub number: Option<NumberRequest>,
    pub run: Transition,
    pub calendar: Arc<Calendar>,
    pub reply: oneshot::Sender<Result<Arc<Case>>>,
}

/// The cases the writer wrote last, by id.
#[derive(Debug, Default)]
pub(crate) struct CaseCache {
    cases: Mutex<HashMap<CaseId, Arc<Case>>>,
}

impl CaseCache {
    pub(crate) fn get(&self, id: CaseId) -> Option<Arc<Case>> {
        self.cases.lock().ok()?.get(&id).cloned()
    }

    fn put(&self, c: Arc<Case>) {
        if let Ok(mut m) = self.cases.lock() {
            if m.len() >= CACHE_CAPACITY && !m.contains_key(&c.id) {
                // Finished cases go first; if none, an arbitrary tenth.
                let finished: Vec<CaseId> = m.values().filter(|c| c.state.is_final()).map(|c| c.id).collect();
                let drop: Vec<CaseId> =
                    if finished.is_empty() { m.keys().take(CACHE_CAPACITY / 10).copied().collect() } else { finished };
                for id in drop {
                    m.remove(&id);
                }
            }
            if c.state.is_final() {
                m.remove(&c.id);
            } else {
                m.insert(c.id, c);
            }
        }
    }

    fn forget(&self, id: CaseId) {
        if let Ok(mut m) = self.cases.lock() {
            m.remove(&id);
        }
    }

    /// How many cases are cached (for benchmarks).
    pub(crate) fn len(&self) -> usize {
        self.cases.lock().map(|m| m.len()).unwrap_or(0)
    }
}

/// The case writer: runs case transitions in batches through the group-commit writer.
pub(crate) struct Committer {
    pub store: Store,
    pub cache: Arc<CaseCache>,
}

impl Batcher for Committer {
    type Job = Job;
    const MAX_BATCH: usize = MAX_BATCH;

    async fn run(&mut self, jobs: Vec<Job>) -> Vec<Job> {
        if let Err(jobs) = run_batch(&self.store, &self.cache, jobs).await {
            // The batch failed as a whole (a database error): run each job alone, so one bad
            // job cannot fail the others.
            for job in jobs {
                if let Err(mut failed) = run_batch(&self.store, &self.cache, vec![job]).await
                    && let Some(job) = failed.pop()
                {
                    let _ = job.reply.send(Err(Error::Internal(onedoor_store::StoreError::Corrupt(
                        "the case could not be written".into(),
                    ))));
                }
            }
        }
        Vec::new()
    }
}

/// Runs `jobs` in one transaction. On a database error, gives back every job whose request has
/// not been answered (none is answered with success before the commit).
async fn run_batch(store: &Store, cache: &CaseCache, jobs: Vec<Job>) -> std::result::Result<(), Vec<Job>> {
    let mut batch = match store.case_batch().await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "case batch could not start");
            return Err(jobs);
        }
    };
    let mut latest: HashMap<CaseId, Arc<Case>> = HashMap::new();
    let mut staged: Vec<(Job, Arc<Case>)> = Vec::with_capacity(jobs.len());
    let mut pending = jobs.into_iter();
    while let Some(job) = pending.next() {
        match stage(&mut batch, cache, &latest, &job).await {
            Ok(Ok(c)) => {
                latest.insert(c.id, c.clone());
                staged.push((job, c));
            }
            Ok(Err(e)) => {
                let _ = job.reply.send(Err(e));
            }
            Err(e) => {
                tracing::warn!(error = %e, "case batch failed; retrying its jobs one by one");
                let mut back: Vec<Job> = staged.into_iter().map(|(j, _)| j).collect();
                back.push(job);
                back.extend(pending);
                return Err(back);
            }
        }
    }
    let conflicts = match batch.commit().await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "case batch commit failed");
            for id in latest.keys() {
                cache.forget(*id);
            }
            return Err(staged.into_iter().map(|(j, _)| j).collect());
        }
    };
    for (id, c) in latest {
        if conflicts.contains(&id) {
            cache.forget(id);
        } else {
            cache.put(c);
        }
    }
    for (job, c) in staged {
        let answer = if conflicts.contains(&c.id) { Err(Error::Conflict("case".into())) } else { Ok(c) };
        let _ = job.reply.send(answer);
    }
    Ok(())
}

/// Computes a job's transition on the newest state this process knows and stages it; the
/// inner error refuses the job (nothing staged), the outer one fails the batch.
async fn stage(
    batch: &mut CaseBatch,
    cache: &CaseCache,
    latest: &HashMap<CaseId, Arc<Case>>,
    job: &Job,
) -> std::result::Result<Result<Arc<Case>>, onedoor_store::StoreError> {
    let base = job.base.as_ref().map(|b| {
        let mut best = b.clone();
        for known in [latest.get(&b.id).cloned(), cache.get(b.id)].into_iter().flatten() {
            if known.version > best.version {
                best = known;
            }
        }
        best
    });
    let number = match &job.number {
        Some(n) => Some(format!("{}{:06}", n.prefix, batch.next_number(n.region, n.day).await?)),
        None => None,
    };
    let (next, event) = match (job.run)(base.as_deref(), number.as_deref()) {
        Ok(v) => v,
        Err(e) => {
            if let Some(n) = &job.number {
                batch.return_number(n.region, n.day);
            }
            return Ok(Err(e));
        }
    };
    let next = Arc::new(next);
    match base {
        None => batch.insert(next.clone(), job.calendar.clone(), event),
        Some(b) => batch.update(b, next.clone(), job.calendar.clone(), event),
    }
    Ok(Ok(next))
}
