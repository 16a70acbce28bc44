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
use onedoor_store::{CaseBatch, CaseHeads, CasesTx, EventDraft, SealedCases, Store};
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

/// The case writer: runs case transitions in batches through the group-commit writer, as a
/// pipeline of two: while one batch is being written (on the database's side), the next is
/// staged and sealed (transitions, documents, hashes) on the state the first leaves, so the
/// writer's own work and the database's overlap. Each request is answered after its batch
/// committed; if a batch fails, the one prepared on it is void and runs again.
pub(crate) struct Committer {
    pub store: Store,
    pub cache: Arc<CaseCache>,
    /// The counters and chains as the last sealed batch leaves them.
    pub heads: CaseHeads,
    /// The batch being written.
    pub in_flight: Option<InFlight>,
}

impl Committer {
    pub(crate) fn new(store: Store, cache: Arc<CaseCache>) -> Self {
        Committer { store, cache, heads: CaseHeads::default(), in_flight: None }
    }
}

/// A batch being written: the cases it produces (the base of the next batch's staging) and the
/// write, which answers the batch's jobs itself as soon as it committed and hands them back only
/// if it failed.
pub(crate) struct InFlight {
    latest: Arc<HashMap<CaseId, Arc<Case>>>,
    write: tokio::task::JoinHandle<std::result::Result<(), Failed>>,
}

/// A batch whose write failed: why, and its jobs, not answered yet.
struct Failed {
    error: String,
    staged: Vec<(Job, Arc<Case>)>,
}

/// A batch after staging.
enum Prepared {
    /// Every job was refused (and answered).
    Nothing,
    /// Ready to write.
    Sealed { staged: Vec<(Job, Arc<Case>)>, latest: HashMap<CaseId, Arc<Case>>, sealed: Box<SealedCases> },
    /// A database read failed while staging: these jobs are not answered yet.
    Failed(Vec<Job>),
}

impl Batcher for Committer {
    type Job = Job;
    const MAX_BATCH: usize = MAX_BATCH;

    async fn run(&mut self, jobs: Vec<Job>) -> Vec<Job> {
        let flight = self.in_flight.as_ref().map(|f| f.latest.as_ref());
        let prepared = prepare(&self.store, &self.cache, &mut self.heads, flight, jobs).await;
        let base_written = self.finish().await;
        match prepared {
            Prepared::Nothing => Vec::new(),
            // Prepared on a batch that failed: run again, from what is stored.
            Prepared::Sealed { staged, .. } if !base_written => staged.into_iter().map(|(j, _)| j).collect(),
            Prepared::Sealed { staged, latest, sealed } => {
                let (store, cache) = (self.store.clone(), self.cache.clone());
                let latest = Arc::new(latest);
                let cases = latest.clone();
                let write = crate::group_commit::on_writer_thread(async move {
                    if let Err(e) = store.write_cases(*sealed).await {
                        return Err(Failed { error: e.to_string(), staged });
                    }
                    for c in cases.values() {
                        cache.put(c.clone());
                    }
                    for (job, c) in staged {
                        let _ = job.reply.send(Ok(c));
                    }
                    Ok(())
                });
                self.in_flight = Some(InFlight { latest, write });
                Vec::new()
            }
            Prepared::Failed(jobs) => {
                self.heads.clear();
                for job in jobs {
                    self.run_alone(job).await;
                }
                Vec::new()
            }
        }
    }

    async fn settle(&mut self) -> Vec<Job> {
        self.finish().await;
        Vec::new()
    }
}

impl Committer {
    /// Waits for the batch in flight, whose write answered its jobs right after its commit; if it
    /// failed, runs each of them alone. Whether it was written (true when none was in flight).
    async fn finish(&mut self) -> bool {
        let Some(InFlight { latest, write }) = self.in_flight.take() else { return true };
        let Failed { error, staged } = match write.await {
            Ok(Ok(())) => return true,
            Ok(Err(failed)) => failed,
            Err(e) => {
                // The write task itself stopped: its jobs' answers were dropped with it.
                tracing::error!(error = %e, "case batch write stopped");
                Failed { error: e.to_string(), staged: Vec::new() }
            }
        };
        tracing::debug!(error = %error, "case batch failed; running its jobs one by one");
        self.heads.clear();
        for id in latest.keys() {
            self.cache.forget(*id);
        }
        for (job, _) in staged {
            self.run_alone(job).await;
        }
        false
    }

    /// Runs one job in a batch of its own, written before this returns, and answers it. A
    /// batch of one is exact: a version check that fails is this job's conflict. The write
    /// lock is taken before the heads are checked; if another process moved the counters or
    /// chains the job was staged on, it is staged once more on the heads read under that lock,
    /// which it holds until its write, so it cannot lose them again.
    async fn run_alone(&mut self, job: Job) {
        let mut job = job;
        let mut held: Option<CasesTx> = None;
        loop {
            let restaged = held.is_some();
            let (mut staged, latest, sealed) =
                match prepare(&self.store, &self.cache, &mut self.heads, None, vec![job]).await {
                    Prepared::Nothing => return,
                    Prepared::Sealed { staged, latest, sealed } => (staged, latest, sealed),
                    Prepared::Failed(mut jobs) => {
                        self.heads.clear();
                        if let Some(job) = jobs.pop() {
                            let _ = job.reply.send(Err(written_nothing()));
                        }
                        return;
                    }
                };
            let Some((one, case)) = staged.pop() else { return };
            let checked = async {
                let tx = match held.take() {
                    Some(tx) => tx,
                    None => self.store.begin_cases().await?,
                };
                let hold = tx.heads_hold(&sealed, &mut self.heads).await?;
                Ok::<_, onedoor_store::StoreError>((tx, hold))
            }
            .await;
            let written = match checked {
                Ok((tx, true)) => tx.write(*sealed).await,
                Ok((tx, false)) if !restaged => {
                    held = Some(tx);
                    job = one;
                    continue;
                }
                // Staged on heads read under the lock it holds: they cannot have moved.
                Ok((_, false)) => Err(onedoor_store::StoreError::Conflict { what: "case heads" }),
                Err(e) => Err(e),
            };
            match written {
                Ok(()) => {
                    for c in latest.into_values() {
                        self.cache.put(c);
                    }
                    let _ = one.reply.send(Ok(case));
                }
                Err(e) => {
                    self.heads.clear();
                    self.cache.forget(case.id);
                    let answer = match e {
                        onedoor_store::StoreError::Conflict { what: "case" } => Error::Conflict("case".into()),
                        e => {
                            tracing::error!(error = %e, "case could not be written");
                            written_nothing()
                        }
                    };
                    let _ = one.reply.send(Err(answer));
                }
            }
            return;
        }
    }
}

/// The answer to a job whose batch could not be written.
fn written_nothing() -> Error {
    Error::Internal(onedoor_store::StoreError::Corrupt("the case could not be written".into()))
}

/// Stages `jobs` in order (a later job on the same case starts from the state an earlier one
/// produced) on the newest state known — this batch's, the batch in flight's, the cache's —
/// and seals them. Jobs refused by their transition are answered here.
async fn prepare(
    store: &Store,
    cache: &CaseCache,
    heads: &mut CaseHeads,
    flight: Option<&HashMap<CaseId, Arc<Case>>>,
    jobs: Vec<Job>,
) -> Prepared {
    let mut batch = store.case_batch();
    let mut latest: HashMap<CaseId, Arc<Case>> = HashMap::new();
    let mut staged: Vec<(Job, Arc<Case>)> = Vec::with_capacity(jobs.len());
    let mut pending = jobs.into_iter();
    while let Some(job) = pending.next() {
        match stage(store, &mut batch, heads, cache, flight, &latest, &job).await {
            Ok(Ok(c)) => {
                latest.insert(c.id, c.clone());
                staged.push((job, c));
            }
            Ok(Err(e)) => {
                let _ = job.reply.send(Err(e));
            }
            Err(e) => {
                tracing::warn!(error = %e, "case batch could not be staged");
                let mut back: Vec<Job> = staged.into_iter().map(|(j, _)| j).collect();
                back.push(job);
                back.extend(pending);
                return Prepared::Failed(back);
            }
        }
    }
    if staged.is_empty() {
        return Prepared::Nothing;
    }
    match batch.seal(store, heads).await {
        Ok(sealed) => Prepared::Sealed { staged, latest, sealed: Box::new(sealed) },
        Err(e) => {
            tracing::warn!(error = %e, "case batch could not be sealed");
            Prepared::Failed(staged.into_iter().map(|(j, _)| j).collect())
        }
    }
}

/// Computes a job's transition on the newest state this process knows and stages it; the
/// inner error refuses the job (nothing staged), the outer one fails the batch.
async fn stage(
    store: &Store,
    batch: &mut CaseBatch,
    heads: &CaseHeads,
    cache: &CaseCache,
    flight: Option<&HashMap<CaseId, Arc<Case>>>,
    latest: &HashMap<CaseId, Arc<Case>>,
    job: &Job,
) -> std::result::Result<Result<Arc<Case>>, onedoor_store::StoreError> {
    let base = job.base.as_ref().map(|b| {
        let mut best = b.clone();
        let known = [latest.get(&b.id).cloned(), flight.and_then(|f| f.get(&b.id).cloned()), cache.get(b.id)];
        for known in known.into_iter().flatten() {
            if known.version > best.version {
                best = known;
            }
        }
        best
    });
    let number = match &job.number {
        Some(n) => Some(format!("{}{:06}", n.prefix, batch.next_number(store, heads, n.region, n.day).await?)),
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
