//! Group commit: one writer task per process and kind of work, which drains the jobs that are
//! waiting, runs them as one batch (one transaction), and answers each request only after that
//! transaction committed. The case writer and the hall's queue writer are two [`Batcher`]s over
//! this one mechanism.
//!
//! While a batch is being written, new jobs queue in the channel; the next batch takes all of
//! them (up to the batcher's maximum), so the batch size follows the load by itself: one job
//! when the system is idle, hundreds under load, and no timer ever delays a lone request.

use std::future::Future;
use std::sync::OnceLock;
use tokio::sync::{mpsc, oneshot};

/// What one writer does with a batch of jobs.
pub(crate) trait Batcher: Send + 'static {
    /// One request's work, carrying the channel its answer goes back on.
    type Job: Send + 'static;

    /// The most jobs in one batch.
    const MAX_BATCH: usize;

    /// Runs `jobs` in order as one batch and answers each of them, never before the batch
    /// committed. Returns the jobs to run again in the next batch (for example those whose
    /// state another process changed meanwhile); they run before any newer job.
    fn run(&mut self, jobs: Vec<Self::Job>) -> impl Future<Output = Vec<Self::Job>> + Send;

    /// Finishes the batch still being written, if the batcher writes one batch while it
    /// prepares the next (a pipeline): called whenever no job is waiting, so that no request
    /// waits for a next batch that may never come. Returns the jobs to run again.
    fn settle(&mut self) -> impl Future<Output = Vec<Self::Job>> + Send {
        async { Vec::new() }
    }
}

/// A group-commit writer, started on first use (inside the runtime of the first request).
pub(crate) struct Writer<J> {
    jobs: OnceLock<mpsc::Sender<J>>,
}

impl<J> Default for Writer<J> {
    fn default() -> Self {
        Writer { jobs: OnceLock::new() }
    }
}

impl<J> std::fmt::Debug for Writer<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("started", &self.jobs.get().is_some()).finish()
    }
}

impl<J: Send + 'static> Writer<J> {
    /// Hands the job that `make` builds around a reply channel to the writer (started with
    /// `batcher` if it is not running yet) and waits for the answer; `None` when the writer
    /// stopped.
    pub(crate) async fn submit<B, T>(
        &self,
        batcher: impl FnOnce() -> B,
        make: impl FnOnce(oneshot::Sender<T>) -> J,
    ) -> Option<T>
    where
        B: Batcher<Job = J>,
    {
        let sender = self.jobs.get_or_init(|| start(batcher())).clone();
        let (reply, answer) = oneshot::channel();
        sender.send(make(reply)).await.ok()?;
        answer.await.ok()
    }
}

/// Runs database writes on the writers' own thread (a single-threaded runtime, started on first
/// use), or on the caller's runtime if that thread could not be started: the case writer's batch
/// writes and the hall's queue batches.
///
/// On a SQLite file those writes drive their connection directly and block while SQLite works
/// (see `onedoor_store`'s `lite` module); on this thread that blocks no request. Through sqlx
/// (PostgreSQL) a write is a chain of statements, each a round trip to the database, and on the
/// request runtime every resumption would wait behind the requests themselves (two workers on a
/// two-core machine); here it resumes at once.
pub(crate) fn on_writer_thread<F>(write: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    static RUNTIME: OnceLock<Option<tokio::runtime::Handle>> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        let (handle, started) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new().name("onedoor-writer".into()).spawn(move || {
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => {
                    let _ = handle.send(Some(rt.handle().clone()));
                    rt.block_on(std::future::pending::<()>());
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the writers' runtime could not be started");
                    let _ = handle.send(None);
                }
            }
        });
        thread.ok().and_then(|_| started.recv().ok().flatten())
    });
    match runtime {
        Some(rt) => rt.spawn(write),
        None => tokio::spawn(write),
    }
}

/// Starts the writer task of `batcher`; jobs go to the returned sender.
fn start<B: Batcher>(mut batcher: B) -> mpsc::Sender<B::Job> {
    let (tx, mut rx) = mpsc::channel::<B::Job>(8 * B::MAX_BATCH);
    tokio::spawn(async move {
        let mut again: Vec<B::Job> = Vec::new();
        loop {
            let mut jobs = std::mem::take(&mut again);
            if jobs.is_empty() {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => {
                        again = batcher.settle().await;
                        if !again.is_empty() {
                            continue;
                        }
                    }
                }
            }
            if jobs.is_empty() {
                match rx.recv().await {
                    Some(j) => jobs.push(j),
                    None => break,
                }
            }
            while jobs.len() < B::MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            again = batcher.run(jobs).await;
        }
    });
    tx
}
