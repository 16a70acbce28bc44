//! Group commit for new matters (a [`Batcher`] of the group-commit writer).
//!
//! `add_matter` hands its validated matter to one writer task per process. The writer drains
//! the matters waiting (of any centres) and adds them in one transaction, on the writers' own
//! thread (`group_commit::on_writer_thread`): owner units read once per centre, the matters and
//! their versions inserted together, one generation bump per centre. No request is answered before the commit. A matter refused by the store
//! (an owner unit of another centre) gets its own error while the others are written; a batch
//! that fails as a whole (for example a code already taken, which aborts the transaction) is
//! run again one matter at a time, so one bad request cannot fail the others.

use crate::group_commit::Batcher;
use crate::{Error, Result};
use onedoor_domain::Scope;
use onedoor_domain::catalogue::Matter;
use onedoor_store::{Provenance, Store};
use tokio::sync::oneshot;

/// The most matters in one transaction.
const MAX_BATCH: usize = 256;

/// One `add_matter` request: the admin's scope, the validated matter and its provenance.
pub(crate) struct Job {
    pub scope: Scope,
    pub matter: Matter,
    pub by: Provenance,
    pub reply: oneshot::Sender<Result<Matter>>,
}

/// The matter writer.
pub(crate) struct MatterWriter {
    pub store: Store,
}

/// The error of a refused matter, as `add_matter` reports it (a taken code under `code`).
fn refused(e: onedoor_store::StoreError) -> Error {
    Error::from_store(e, "code")
}

impl Batcher for MatterWriter {
    type Job = Job;
    const MAX_BATCH: usize = MAX_BATCH;

    async fn run(&mut self, jobs: Vec<Job>) -> Vec<Job> {
        let store = self.store.clone();
        let batch = crate::group_commit::on_writer_thread(async move { add(&store, jobs).await });
        if let Err(e) = batch.await {
            // The batch's jobs were dropped with it: their requests learn that the writer stopped.
            tracing::error!(error = %e, "a matter batch failed");
        }
        Vec::new()
    }
}

/// Adds the matters of `jobs` in one transaction (on the writers' thread), or one at a time if
/// that fails, and answers each job.
async fn add(store: &Store, jobs: Vec<Job>) {
    let items: Vec<_> = jobs.iter().map(|j| (&j.scope, &j.matter, &j.by)).collect();
    let batch = store.add_matter_batch(&items).await;
    drop(items);
    match batch {
        Ok(answers) => {
            for (job, answer) in jobs.into_iter().zip(answers) {
                let _ = job.reply.send(answer.map(|()| job.matter).map_err(refused));
            }
        }
        Err(e) => {
            tracing::debug!(error = %e, "matter batch failed; adding its matters one at a time");
            for job in jobs {
                let answer = store.add_matter(&job.scope, &job.matter, &job.by).await;
                let _ = job.reply.send(answer.map(|()| job.matter).map_err(refused));
            }
        }
    }
}
