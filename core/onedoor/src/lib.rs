//! The onedoor platform library: the use cases a city embeds and the API calls.
//!
//! **API Boundary**: [`Onedoor`] is the way in. Every use case takes the [`Caller`] (built
//! from a verified token by [`Onedoor::caller`]), checks the caller's role, validates input
//! with the domain's parsers, and persists through the tenant-scoped store. Nothing here knows
//! HTTP, GraphQL or JSON-over-the-wire.

mod alert;
pub mod auth;
mod cache;
mod cases;
mod catalogue;
pub mod config;
mod error;
mod evaluation;
mod group_commit;
mod hall;
pub mod import;
mod lookup;
mod matter_writer;
mod organisation;
pub mod plugins;
pub mod rules;
mod statistics;
mod supervision;

pub use cache::MattersWithUnits;
pub use cases::{ApplicantDraft, Application, CaseAction, CaseUpdate, Clock, ManualClock, ProxyDraft, SystemClock};
pub use catalogue::{CatalogueEvent, GuidePatch};
pub use error::{Error, Result};
pub use evaluation::{MAX_PERIOD_DAYS, RatedTarget};
pub use hall::{BookingRequest, HallSignal, TicketRequest, TicketView, TransferTarget, ZoneStatus};
pub use onedoor_domain as domain;
pub use onedoor_store::{AlertFilter, BreakReason, BrokenLink, Chain, ChainCheck, RatingFilter};
pub use onedoor_store::{CaseEvent, MatterFilter, Page, Slice, Store, WorkItem, WorkStep};
pub use onedoor_store::{IdPage, PluginState};
pub use organisation::{StaffPatch, WindowPatch};
pub use statistics::{Dimension, Figures, Reductions};
pub use supervision::SupervisionReport;

use onedoor_domain::{Caller, CentreId, Role, Roles, Scope, StaffId};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// The platform: a store, the centre directory and the live event stream.
#[derive(Debug, Clone)]
pub struct Onedoor {
    store: Store,
    directory: Arc<RwLock<Option<Directory>>>,
    events: broadcast::Sender<CatalogueEvent>,
    clock: Arc<dyn Clock>,
    case_updates: broadcast::Sender<CaseUpdate>,
    alert_updates: broadcast::Sender<onedoor_domain::alert::Alert>,
    case_caches: Arc<cases::CaseCaches>,
    case_cache: Arc<cases::committer::CaseCache>,
    committer: Arc<group_commit::Writer<cases::committer::Job>>,
    matter_writer: Arc<group_commit::Writer<matter_writer::Job>>,
    plugins: Arc<plugins::Registry>,
    halls: Arc<hall::HallState>,
    catalogue_cache: Arc<cache::CatalogueCache>,
    /// The catalogue generation at which this process last checked each centre's guides.
    guides_checked: Arc<std::sync::Mutex<HashMap<CentreId, u64>>>,
    /// Each centre's rating key, once read: it is made once, on first use, and never changed,
    /// so no replica can hold a stale one.
    rating_keys: Arc<std::sync::Mutex<HashMap<CentreId, Arc<str>>>>,
}

/// Centre codes to ids and supervised centres, cached because every request needs it and
/// centres change rarely. Rebuilt after this process creates a centre, when older than
/// [`DIRECTORY_TTL`] (another replica may have created one), and on a miss at most once per
/// [`DIRECTORY_MISS_RELOAD`].
#[derive(Debug)]
struct Directory {
    by_code: HashMap<String, (CentreId, Vec<CentreId>)>,
    loaded: Instant,
}

/// How long the centre directory is trusted.
const DIRECTORY_TTL: Duration = Duration::from_secs(30);
/// How often an unknown centre code may trigger a reload.
const DIRECTORY_MISS_RELOAD: Duration = Duration::from_secs(1);

impl Onedoor {
    /// The platform over an opened store.
    pub fn new(store: Store) -> Onedoor {
        let (events, _) = broadcast::channel(1024);
        let (case_updates, _) = broadcast::channel(4096);
        let (alert_updates, _) = broadcast::channel(1024);
        Onedoor {
            store,
            directory: Arc::new(RwLock::new(None)),
            events,
            clock: Arc::new(SystemClock),
            case_updates,
            alert_updates,
            case_caches: Arc::default(),
            case_cache: Arc::default(),
            committer: Arc::default(),
            matter_writer: Arc::default(),
            plugins: Arc::default(),
            halls: Arc::default(),
            catalogue_cache: Arc::default(),
            guides_checked: Arc::default(),
            rating_keys: Arc::default(),
        }
    }

    /// The same platform on another clock (a [`ManualClock`] for tests and the day simulator).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Onedoor {
        self.clock = clock;
        self
    }

    /// Opens the store at `database_url` (migrating it) and builds the platform.
    pub async fn open(database_url: &str) -> Result<Onedoor> {
        Ok(Onedoor::new(Store::open(database_url).await?))
    }

    /// The store, for tools and tests.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Live catalogue changes (for subscriptions).
    pub fn subscribe(&self) -> broadcast::Receiver<CatalogueEvent> {
        self.events.subscribe()
    }

    fn publish(&self, e: CatalogueEvent) {
        // No subscriber is not an error.
        let _ = self.events.send(e);
    }

    async fn directory_entry(&self, code: &str) -> Result<Option<(CentreId, Vec<CentreId>)>> {
        if let Ok(guard) = self.directory.read()
            && let Some(dir) = guard.as_ref()
        {
            let age = dir.loaded.elapsed();
            match dir.by_code.get(code) {
                Some(found) if age < DIRECTORY_TTL => return Ok(Some(found.clone())),
                None if age < DIRECTORY_MISS_RELOAD => return Ok(None),
                _ => {}
            }
        }
        let mut dir = Directory { by_code: HashMap::new(), loaded: Instant::now() };
        let all = self.store.centres().await?;
        for c in &all {
            dir.by_code.insert(c.code.to_string(), (c.id, descendants(&all, c.id)));
        }
        let found = dir.by_code.get(code).cloned();
        if let Ok(mut guard) = self.directory.write() {
            *guard = Some(dir);
        }
        Ok(found)
    }

    fn forget_directory(&self) {
        if let Ok(mut guard) = self.directory.write() {
            *guard = None;
        }
        self.case_caches.forget_centres();
    }

    /// The caller behind verified claims: their centre (by code), staff id and roles, and the
    /// centres they supervise. Fails with `Unauthenticated` when the centre does not exist, the
    /// staff id is malformed or a role is unknown.
    pub async fn caller(&self, claims: &auth::Claims) -> Result<Caller> {
        let Some((centre, supervised)) = self.directory_entry(&claims.centre).await? else {
            return Err(Error::Unauthenticated);
        };
        let staff = uuid::Uuid::parse_str(&claims.sub).map_err(|_| Error::Unauthenticated)?;
        if StaffId(staff).is_system() {
            // The system id is for the platform's own work, never for a token.
            return Err(Error::Unauthenticated);
        }
        let roles = Roles::parse(claims.roles.iter().map(String::as_str)).map_err(|_| Error::Unauthenticated)?;
        Ok(Caller::Staff(Scope { centre, staff: StaffId(staff), roles, supervised }))
    }

    /// The id of a centre by its code (public).
    pub async fn centre_id(&self, code: &str) -> Result<Option<CentreId>> {
        Ok(self.directory_entry(code).await?.map(|e| e.0))
    }
}

/// The platform's own caller for `centre`: an admin scope with no staff behind it (imports,
/// cache loads).
pub(crate) fn system(centre: CentreId) -> Caller {
    Caller::Staff(Scope { centre, staff: StaffId::SYSTEM, roles: Roles::NONE.with(Role::Admin), supervised: vec![] })
}

/// The centres below `id` in the tree (children, grandchildren …).
fn descendants(all: &[onedoor_domain::organisation::Centre], id: CentreId) -> Vec<CentreId> {
    let mut out = Vec::new();
    let mut frontier = vec![id];
    while let Some(p) = frontier.pop() {
        for c in all.iter().filter(|c| c.parent == Some(p)) {
            if !out.contains(&c.id) {
                out.push(c.id);
                frontier.push(c.id);
            }
        }
    }
    out
}

/// The caller's scope, if they hold `role`.
pub(crate) fn require(caller: &Caller, role: Role) -> Result<&Scope> {
    match caller.scope() {
        None => Err(Error::Unauthenticated),
        Some(s) if s.has(role) => Ok(s),
        Some(_) => Err(Error::Forbidden(role)),
    }
}

/// A fresh, time-ordered id.
pub(crate) fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}
