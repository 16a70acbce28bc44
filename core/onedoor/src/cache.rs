//! The catalogue cache: each centre's matters and units in memory, for the read-mostly public
//! catalogue (service guides, owner units).
//!
//! **Correct across replicas, without a TTL.** Every transaction that changes a centre's
//! matters or units bumps the centre's catalogue generation in the database
//! (`catalogue_centre`, in the same transaction). A read asks the database for the current
//! generation and serves the cached snapshot only if it was loaded at that generation;
//! otherwise it reloads (reading the generation before the data, so a snapshot is never
//! labelled newer than what it holds; the data is read in pages, and the snapshot is kept only
//! if the generation is still the same after the last page, so it never mixes two states). A
//! change committed by any replica is therefore seen by every read that starts after the
//! commit.
//!
//! **Group checks.** The generation read is batched like a group commit: a read joins the next
//! check of its centre that *starts after it arrived*, so one query answers every read that
//! waited for it (under load, one query per dozens of requests), and no read is answered from
//! a check that began before it.

use crate::{Onedoor, Result};
use onedoor_domain::catalogue::{Matter, MatterStatus};
use onedoor_domain::organisation::Unit;
use onedoor_domain::{Caller, CentreId, MatterId, UnitId};
use onedoor_store::{MatterFilter, Page, Slice, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use tokio::sync::oneshot;

/// Matters read per query when a snapshot is loaded.
const LOAD_PAGE: u64 = 256;

/// One centre's catalogue at one generation.
#[derive(Debug)]
pub(crate) struct Snapshot {
    generation: u64,
    /// Every matter of the centre (any status), by code in byte order.
    matters: Vec<Matter>,
    /// Each matter's position in `matters`.
    positions: HashMap<MatterId, usize>,
    units: HashMap<UnitId, Unit>,
}

impl Snapshot {
    /// Every matter of the centre (any status), by code.
    pub(crate) fn matters(&self) -> &[Matter] {
        &self.matters
    }
}

/// The readers waiting for a centre's next generation check.
#[derive(Debug, Default)]
struct Gate {
    running: bool,
    waiting: Vec<oneshot::Sender<Option<u64>>>,
}

/// Snapshots and check gates per centre.
#[derive(Debug, Default)]
pub(crate) struct CatalogueCache {
    snapshots: RwLock<HashMap<CentreId, Arc<Snapshot>>>,
    gates: Mutex<HashMap<CentreId, Gate>>,
    /// Snapshots loaded and generation checks run, since start (for tests and tuning).
    loads: std::sync::atomic::AtomicU64,
    checks: std::sync::atomic::AtomicU64,
}

impl CatalogueCache {
    /// The centre's current generation, from a check that starts after this call; `None` if the
    /// database could not be read (the caller then reads through the store and reports the
    /// error).
    async fn generation(self: &Arc<Self>, store: &Store, centre: CentreId) -> Option<u64> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
            let gate = gates.entry(centre).or_default();
            gate.waiting.push(tx);
            !std::mem::replace(&mut gate.running, true)
        };
        if start {
            let (cache, store) = (self.clone(), store.clone());
            tokio::spawn(async move { cache.check_loop(&store, centre).await });
        }
        rx.await.ok().flatten()
    }

    /// Runs checks while readers wait: each check answers the readers that were waiting when
    /// it started.
    async fn check_loop(&self, store: &Store, centre: CentreId) {
        loop {
            let batch = {
                let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
                let gate = gates.entry(centre).or_default();
                if gate.waiting.is_empty() {
                    gate.running = false;
                    return;
                }
                std::mem::take(&mut gate.waiting)
            };
            let g = store.catalogue_generation(centre).await;
            self.checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if let Err(e) = &g {
                tracing::warn!("reading the catalogue generation failed: {e}");
            }
            let g = g.ok();
            for reader in batch {
                let _ = reader.send(g);
            }
        }
    }

    fn cached(&self, centre: CentreId) -> Option<Arc<Snapshot>> {
        self.snapshots.read().unwrap_or_else(PoisonError::into_inner).get(&centre).cloned()
    }

    fn keep(&self, centre: CentreId, s: Arc<Snapshot>) {
        let mut all = self.snapshots.write().unwrap_or_else(PoisonError::into_inner);
        if all.get(&centre).is_none_or(|old| old.generation <= s.generation) {
            all.insert(centre, s);
        }
    }
}

/// A page of a centre's matters with their owner units, and the catalogue generation it was
/// read at when it came from one snapshot (`None` when it was read from the database, whose
/// answer carries no generation).
#[derive(Debug)]
pub struct MattersWithUnits {
    /// The matters found.
    pub matters: Slice<Matter>,
    /// Their owner units (each once).
    pub units: Vec<Unit>,
    /// The centre's catalogue generation the answer holds for.
    pub generation: Option<u64>,
}

/// Whether a search can be answered from a snapshot with exactly the store's semantics. Name
/// search (the database's `lower`) and zone search (a join) go to the store.
fn servable(f: &MatterFilter) -> bool {
    f.name.as_deref().is_none_or(|n| n.trim().is_empty()) && f.zone.is_none()
}

impl Snapshot {
    /// The store's matters by id, in memory: those of `ids` the caller may see (active ones
    /// only, unless they may read the centre), in no particular order.
    pub(crate) fn by_ids(&self, private: bool, ids: &[MatterId]) -> Vec<Matter> {
        ids.iter()
            .filter_map(|id| self.positions.get(id).map(|&i| &self.matters[i]))
            .filter(|m| private || m.status == MatterStatus::Active)
            .cloned()
            .collect()
    }

    /// The store's search, in memory: visibility, filters, then the page after `page.after`.
    fn search(&self, private: bool, f: &MatterFilter, page: &Page) -> Slice<Matter> {
        let status = match (private, f.status) {
            (true, s) => s,
            (false, None | Some(MatterStatus::Active)) => Some(MatterStatus::Active),
            (false, Some(_)) => return Slice { items: Vec::new(), has_next: false },
        };
        let code = f.code.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_ascii_uppercase);
        let start = match &page.after {
            Some(after) => self.matters.partition_point(|m| m.guide.code.as_str() <= after.as_str()),
            None => 0,
        };
        let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
        let mut items = Vec::with_capacity(limit.min(100));
        let mut has_next = false;
        for m in self.matters[start..].iter().filter(|m| {
            status.is_none_or(|s| m.status == s)
                && code.as_deref().is_none_or(|c| m.guide.code.as_str().starts_with(c))
                && f.unit.is_none_or(|u| m.guide.owner_unit == u)
                && f.mode.is_none_or(|mode| m.guide.modes.contains(&mode))
                && f.matter_type.is_none_or(|t| m.guide.matter_type == t)
        }) {
            if items.len() == limit {
                has_next = true;
                break;
            }
            items.push(m.clone());
        }
        Slice { items, has_next }
    }
}

impl Onedoor {
    /// The centre's catalogue snapshot, current as of a generation check that started after
    /// this call; `None` when the generation cannot be read.
    pub(crate) async fn catalogue_snapshot(&self, centre: CentreId) -> Result<Option<Arc<Snapshot>>> {
        let Some(generation) = self.catalogue_cache.generation(&self.store, centre).await else {
            return Ok(None);
        };
        if let Some(s) = self.catalogue_cache.cached(centre).filter(|s| s.generation == generation) {
            return Ok(Some(s));
        }
        // Read with a caller who sees every status (visibility is applied per search), a page
        // at a time: decoding a thousand guides at once held several MiB that the allocator
        // then kept. Pages are separate reads, so the snapshot is kept only if no change was
        // committed while it was read (a change bumps the generation).
        let reader = crate::system(centre);
        let mut matters = Vec::new();
        let mut page = Page { after: None, limit: LOAD_PAGE };
        loop {
            let slice = self.store.matters(&reader, centre, &MatterFilter::default(), &page).await?;
            page.after = slice.items.last().map(|m| m.guide.code.to_string());
            matters.extend(slice.items);
            if !slice.has_next {
                break;
            }
        }
        matters.sort_by(|a, b| a.guide.code.as_str().cmp(b.guide.code.as_str()));
        let everything = Page { after: None, limit: 1 << 40 };
        let units = self.store.units(centre, &everything).await?.items.into_iter().map(|u| (u.id, u)).collect();
        if self.catalogue_cache.generation(&self.store, centre).await != Some(generation) {
            return Ok(None);
        }
        let positions = matters.iter().enumerate().map(|(i, m)| (m.id, i)).collect();
        let s = Arc::new(Snapshot { generation, matters, positions, units });
        self.catalogue_cache.loads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.catalogue_cache.keep(centre, s.clone());
        Ok(Some(s))
    }

    /// The centre's snapshot if one is held at `generation`, without loading one.
    pub(crate) fn snapshot_at(&self, centre: CentreId, generation: u64) -> Option<Arc<Snapshot>> {
        self.catalogue_cache.cached(centre).filter(|s| s.generation == generation)
    }

    /// A search answered from the snapshot when it can be, else `None`.
    pub(crate) async fn cached_matters(
        &self,
        caller: &Caller,
        centre: CentreId,
        f: &MatterFilter,
        page: &Page,
    ) -> Result<Option<Slice<Matter>>> {
        if !servable(f) {
            return Ok(None);
        }
        Ok(self.catalogue_snapshot(centre).await?.map(|s| s.search(caller.can_read(centre), f, page)))
    }

    /// A search with the owner units of the matters found, from one snapshot when the search
    /// can be answered from it (else from the store): what a list with its units needs, with
    /// one generation check.
    pub async fn matters_with_units(
        &self,
        caller: &Caller,
        centre: CentreId,
        f: &MatterFilter,
        page: &Page,
    ) -> Result<MattersWithUnits> {
        if servable(f)
            && let Some(s) = self.catalogue_snapshot(centre).await?
        {
            let found = s.search(caller.can_read(centre), f, page);
            let mut ids: Vec<UnitId> = found.items.iter().map(|m| m.guide.owner_unit).collect();
            ids.sort_unstable();
            ids.dedup();
            let units = ids.iter().filter_map(|id| s.units.get(id).cloned()).collect();
            return Ok(MattersWithUnits { matters: found, units, generation: Some(s.generation) });
        }
        let found = self.store.matters(caller, centre, f, page).await?;
        let ids: Vec<UnitId> = found.items.iter().map(|m| m.guide.owner_unit).collect();
        let units = self.store.units_by_ids(centre, &ids).await?;
        Ok(MattersWithUnits { matters: found, units, generation: None })
    }

    /// The centre's catalogue generation, from a check that started after this call (joining
    /// the catalogue cache's group check); `None` when it cannot be read. An answer computed
    /// from a snapshot at generation `g` is still the current answer if this returns `g`: what
    /// a response cache checks before serving a stored response.
    pub async fn catalogue_generation(&self, centre: CentreId) -> Option<u64> {
        self.catalogue_cache.generation(&self.store, centre).await
    }

    /// Units by id from the snapshot (public data), else `None`.
    pub(crate) async fn cached_units(&self, centre: CentreId, ids: &[UnitId]) -> Result<Option<Vec<Unit>>> {
        Ok(self
            .catalogue_snapshot(centre)
            .await?
            .map(|s| ids.iter().filter_map(|id| s.units.get(id).cloned()).collect()))
    }
}

#[cfg(test)]
mod tests {
    use crate::Onedoor;
    use crate::import::{Deployment, import};
    use onedoor_domain::Caller;
    use onedoor_store::{MatterFilter, Page};
    use std::sync::atomic::Ordering;

    const FILES: [(&str, &str); 2] = [
        ("deployment.toml", "[[centre]]\ncode = \"kongtong\"\nname = \"崆峒区政务服务中心\"\nlevel = \"DISTRICT\"\n"),
        (
            "centres/kongtong.toml",
            "[[unit]]\ncode = \"mz\"\nname = \"崆峒区民政局\"\nkind = \"DISTRICT_DEPARTMENT\"\n\n\
             [[matter]]\ncode = \"62080200MZ-QR-0001\"\nname = \"内地居民结婚登记\"\nmatter_type = \"CONFIRMATION\"\n\
             owner_unit = \"mz\"\nhandling_level = \"DISTRICT\"\nlegal_basis = \"《婚姻登记条例》\"\n\
             statutory_days = 0\npromised_days = 0\nmodes = [\"IMMEDIATE\"]\nmax_visits = 1\n\
             cross_scope = \"OWNER_ONLY\"\ndelivery = [\"PICKUP\"]\nonline = false\n",
        ),
    ];

    #[tokio::test]
    async fn reads_are_served_from_one_snapshot_until_a_change() {
        let path = std::env::temp_dir().join(format!("onedoor-cache-{}.db", uuid::Uuid::now_v7()));
        let od = Onedoor::open(&format!("sqlite://{}?mode=rwc", path.display())).await.expect("open");
        let files: Vec<(&str, &[u8])> = FILES.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
        let d = Deployment::from_files(&files).unwrap_or_else(|e| panic!("{e}"));
        import(&od, &d, &mut |_| {}).await.unwrap_or_else(|e| panic!("{e}"));
        let centre = od.centre_id("kongtong").await.expect("read").expect("the centre");
        let page = Page { after: None, limit: 20 };
        let cache = &od.catalogue_cache;
        let read = || async {
            od.matters(&Caller::Anonymous, centre, &MatterFilter::default(), &page).await.expect("read").items
        };
        let (loads, checks) = (cache.loads.load(Ordering::Relaxed), cache.checks.load(Ordering::Relaxed));
        for _ in 0..10 {
            assert_eq!(read().await.len(), 1);
        }
        assert_eq!(cache.loads.load(Ordering::Relaxed) - loads, 1, "one load for ten reads");
        assert_eq!(
            cache.checks.load(Ordering::Relaxed) - checks,
            11,
            "one generation check per read, one at a time, and one after the load"
        );

        // A change (here a suspension) is seen by the next read, which loads again.
        let admin = crate::system(centre);
        let m = read().await.remove(0);
        od.set_matter_status(&admin, m.id, onedoor_domain::catalogue::CatalogueOperation::Suspend, "")
            .await
            .expect("suspend");
        assert!(read().await.is_empty(), "a suspended matter is not public");
        assert_eq!(cache.loads.load(Ordering::Relaxed) - loads, 2);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
