//! Use cases of the plugin registry: upload (checked by the host), activate, roll back,
//! deactivate, the per-centre fuel, the registry's view, and recorded decisions.
//!
//! The active plugin of each centre is cached in memory (the registry); every change made by
//! this process drops the centre's entry at once, and an entry older than [`CACHE_TTL`] is
//! checked against the centre's generation in the database, so a change made by another
//! replica takes effect within that time. Compiled plugins are cached by the host, by
//! SHA-256, so a roll back reloads nothing.

use crate::rules::{Active, Rules};
use crate::{Error, Onedoor, Result, new_id, require};
use chrono::Utc;
use onedoor_domain::error::{DomainError, ErrorCode};
use onedoor_domain::id::{DecisionId, PluginId};
use onedoor_domain::plugin::{Activation, ActivationChange, Decision, Plugin, PluginSettings, parse_subject};
use onedoor_domain::values::Code;
use onedoor_domain::{Caller, CentreId, Role, Scope};
use onedoor_plugin_host::{HostConfig, HostError, Limits, PluginHost};
use onedoor_store::{DecisionFilter, IdPage, PluginState, Slice};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// How long a cached active plugin is served before its centre's generation is checked
/// against the database again: the most a change made by another replica takes to apply.
pub const CACHE_TTL: Duration = Duration::from_secs(1);

/// The process's plugin host: one engine per process, shared by every [`Onedoor`] in it
/// (built at the first use, with the host's default limits: a 4 MiB plugin, 16 MiB of memory,
/// 64 KiB of output and 100 ms per call).
pub fn plugin_host() -> Result<Arc<PluginHost>> {
    static HOST: OnceLock<std::result::Result<Arc<PluginHost>, String>> = OnceLock::new();
    HOST.get_or_init(|| PluginHost::new(HostConfig::default()).map(Arc::new).map_err(|e| e.to_string()))
        .clone()
        .map_err(|message| {
            tracing::error!(%message, "the plugin engine could not start");
            Error::Refused { field: String::new(), code: "ENGINE", message }
        })
}

/// One centre's cached rules.
struct Cached {
    generation: u64,
    checked: Instant,
    rules: Rules,
}

/// The in-memory cache of every centre's active plugin.
#[derive(Default)]
pub(crate) struct Registry {
    cache: RwLock<HashMap<CentreId, Cached>>,
    /// Bumped by every [`forget`](Registry::forget): a load that started before a change was
    /// committed here must not cache what it read.
    epoch: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.cache.read().map(|c| c.len()).unwrap_or_default();
        f.debug_struct("Registry").field("cached_centres", &n).finish()
    }
}

impl Registry {
    fn fresh(&self, centre: CentreId) -> Option<Rules> {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        cache.get(&centre).filter(|c| c.checked.elapsed() < CACHE_TTL).map(|c| c.rules.clone())
    }

    /// The cached rules if still of `generation` (and marks them checked).
    fn current(&self, centre: CentreId, generation: u64) -> Option<Rules> {
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        let c = cache.get_mut(&centre).filter(|c| c.generation == generation)?;
        c.checked = Instant::now();
        Some(c.rules.clone())
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Caches rules loaded since `epoch`, unless this process changed a registry meanwhile
    /// (what was read may predate the change) or a newer generation is cached already.
    fn put(&self, centre: CentreId, generation: u64, rules: Rules, epoch: u64) {
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        if self.epoch() != epoch || cache.get(&centre).is_some_and(|c| c.generation > generation) {
            return;
        }
        cache.insert(centre, Cached { generation, checked: Instant::now(), rules });
    }

    pub(crate) fn forget(&self, centre: CentreId) {
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        cache.remove(&centre);
    }
}

/// The codes a plugin refusal or failure can carry, as `'static` strings for the API.
const CODES: [&str; 20] = [
    "PLUGIN_TOO_LARGE",
    "NOT_A_COMPONENT",
    "INVALID_COMPONENT",
    "BAD_CONTRACT",
    "UNSUPPORTED_CONTRACT",
    "FORBIDDEN_IMPORT",
    "INVALID_LIMITS",
    "MALFORMED_OUTPUT",
    "TRAP",
    "OUT_OF_FUEL",
    "TIMEOUT",
    "OUT_OF_MEMORY",
    "OUTPUT_TOO_LARGE",
    "INSTANTIATION_FAILED",
    "RULE_NOT_PROVIDED",
    "RULE_INVALID_INPUT",
    "RULE_FAILED",
    "ENGINE",
    "BUILD_FAILED",
    "BAD_RECORD",
];

/// The `'static` form of a host code (`RULE_FAILED` for one this platform does not know).
pub(crate) fn static_code(code: &str) -> &'static str {
    CODES.iter().copied().find(|c| *c == code).unwrap_or("RULE_FAILED")
}

fn refused(field: &str, e: &HostError) -> Error {
    Error::Refused { field: field.to_owned(), code: static_code(e.code()), message: e.to_string() }
}

/// A plugin in the registry's view: the plugin, whether it is active, and when it was last
/// activated and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginEntry {
    /// The plugin.
    pub plugin: Plugin,
    /// Whether it is the centre's active plugin.
    pub active: bool,
    /// Its latest activation (by activate or roll back), if any.
    pub last_activated: Option<Activation>,
}

/// A centre's registry: its plugins, which is active, its settings and its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginRegistry {
    /// The centre.
    pub centre: CentreId,
    /// The plugins, oldest first.
    pub plugins: Vec<PluginEntry>,
    /// The active plugin (none: the built-in rules).
    pub active: Option<PluginId>,
    /// The centre's settings.
    pub settings: PluginSettings,
    /// Every change of the active plugin, oldest first.
    pub history: Vec<Activation>,
}

/// The caller's scope, if they hold one of `roles`.
pub(crate) fn require_any<'a>(caller: &'a Caller, roles: &[Role]) -> Result<&'a Scope> {
    let mut last = Err(Error::Unauthenticated);
    for role in roles {
        match require(caller, *role) {
            Ok(s) => return Ok(s),
            Err(e) => last = Err(e),
        }
    }
    last
}

impl Onedoor {
    /// Uploads a plugin to the admin's centre: the host checks the component (size, that it
    /// is a component, its imports, its contract version and exports) and compiles it before
    /// anything is stored. Refusals carry the host's code on `component` (`PLUGIN_TOO_LARGE`,
    /// `NOT_A_COMPONENT`, `INVALID_COMPONENT`, `FORBIDDEN_IMPORT`, `UNSUPPORTED_CONTRACT`,
    /// `BAD_CONTRACT`); the same component twice is `DUPLICATE`. Uploading does not activate.
    pub async fn upload_plugin(&self, caller: &Caller, name: &str, component: Vec<u8>) -> Result<Plugin> {
        let scope = require(caller, Role::Admin)?;
        let name = Code::parse(name).map_err(|e| Error::Invalid(vec![e.under("name")]))?;
        let host = plugin_host()?;
        let (checked, component) = tokio::task::spawn_blocking(move || (host.load(&component), component))
            .await
            .map_err(|e| Error::Refused { field: String::new(), code: "ENGINE", message: e.to_string() })?;
        let wasm = checked.map_err(|e| refused("component", &e))?;
        let plugin = Plugin {
            id: PluginId(new_id()),
            centre: scope.centre,
            name,
            sha256: wasm.sha256().to_string(),
            contract: wasm.contract().to_owned(),
            size: component.len() as u64,
            hooks: wasm.hooks().iter().map(|h| h.as_str().to_owned()).collect(),
            uploaded_by: (!scope.staff.is_system()).then_some(scope.staff),
            uploaded_at: Utc::now(),
        };
        self.store.add_plugin(scope, &plugin, &component).await.map_err(|e| Error::from_store(e, "component"))?;
        Ok(plugin)
    }

    async fn change_activation(
        &self,
        caller: &Caller,
        change: ActivationChange,
        target: Option<PluginId>,
        expected_active: Option<PluginId>,
    ) -> Result<Activation> {
        let scope = require(caller, Role::Admin)?;
        let a = self.store.change_activation(scope, change, target, expected_active, Utc::now()).await.map_err(
            |e| match e {
                onedoor_store::StoreError::Rule(d) if d.field.is_empty() && change == ActivationChange::RollBack => {
                    Error::Refused { field: String::new(), code: "NO_PREVIOUS_PLUGIN", message: d.message }
                }
                onedoor_store::StoreError::Rule(d) if d.field.is_empty() => {
                    Error::Refused { field: String::new(), code: "NO_ACTIVE_PLUGIN", message: d.message }
                }
                e => Error::from_store(e, "id"),
            },
        )?;
        self.plugins.forget(scope.centre);
        Ok(a)
    }

    /// Activates a plugin of the admin's centre: the centre's next rule calls use it
    /// (`INVALID_STATE` if it is already active). With `expected_active`, only if that plugin
    /// is the active one (`CONFLICT` otherwise); so for the two below.
    pub async fn activate_plugin(
        &self,
        caller: &Caller,
        id: PluginId,
        expected_active: Option<PluginId>,
    ) -> Result<Activation> {
        self.change_activation(caller, ActivationChange::Activate, Some(id), expected_active).await
    }

    /// Activates the plugin that was active before the current one (`NO_PREVIOUS_PLUGIN` when
    /// there is none).
    pub async fn roll_back_plugin(&self, caller: &Caller, expected_active: Option<PluginId>) -> Result<Activation> {
        self.change_activation(caller, ActivationChange::RollBack, None, expected_active).await
    }

    /// Deactivates the admin's centre's plugin: the built-in rules apply again
    /// (`NO_ACTIVE_PLUGIN` when none is active).
    pub async fn deactivate_plugin(&self, caller: &Caller, expected_active: Option<PluginId>) -> Result<Activation> {
        self.change_activation(caller, ActivationChange::Deactivate, None, expected_active).await
    }

    /// Sets the fuel of one call of the admin's centre's plugins (`OUT_OF_RANGE` on `fuel`
    /// outside 10 thousand to 1 billion).
    pub async fn set_plugin_fuel(&self, caller: &Caller, fuel: i64) -> Result<PluginSettings> {
        let scope = require(caller, Role::Admin)?;
        let settings = PluginSettings::parse(fuel)?;
        let state = self.store.set_plugin_settings(scope, settings).await?;
        self.plugins.forget(scope.centre);
        Ok(state.settings)
    }

    /// A centre's registry, for its admins and supervisors and the supervisors of centres
    /// above it (`NOT_FOUND` for anyone else).
    pub async fn plugin_registry(&self, caller: &Caller, centre: CentreId) -> Result<PluginRegistry> {
        require_any(caller, &[Role::Admin, Role::Supervisor])?;
        let Some((state, history)) = self.store.plugin_history(caller, centre).await? else {
            return Err(Error::not_found("centre", "plugin registry"));
        };
        let plugins = self
            .store
            .plugins(caller, centre)
            .await?
            .into_iter()
            .map(|plugin| PluginEntry {
                active: state.active == Some(plugin.id),
                last_activated: history.iter().rev().find(|a| a.plugin == Some(plugin.id)).cloned(),
                plugin,
            })
            .collect();
        Ok(PluginRegistry { centre, plugins, active: state.active, settings: state.settings, history })
    }

    /// A plugin of a centre, for callers who may read the centre.
    pub async fn plugin(&self, caller: &Caller, centre: CentreId, id: PluginId) -> Result<Option<Plugin>> {
        Ok(self.store.plugin(caller, centre, id).await?)
    }

    /// A centre's recorded decisions, newest first, optionally only those of one plugin or
    /// about one subject: for its admins and supervisors and the supervisors above.
    pub async fn decisions(
        &self,
        caller: &Caller,
        centre: CentreId,
        plugin: Option<PluginId>,
        subject: Option<&str>,
        page: &IdPage,
    ) -> Result<Slice<Decision>> {
        require_any(caller, &[Role::Admin, Role::Supervisor])?;
        let sha256 = match plugin {
            None => None,
            Some(id) => match self.store.plugin(caller, centre, id).await? {
                Some(p) => Some(p.sha256),
                None => return Ok(Slice { items: Vec::new(), has_next: false }),
            },
        };
        let subject = parse_subject(subject)?;
        Ok(self.store.decisions(caller, centre, &DecisionFilter { sha256, subject }, page).await?)
    }

    /// A recorded decision, for the callers of [`Onedoor::decisions`].
    pub async fn decision(&self, caller: &Caller, centre: CentreId, id: DecisionId) -> Result<Option<Decision>> {
        require_any(caller, &[Role::Admin, Role::Supervisor])?;
        Ok(self.store.decision(caller, centre, id).await?)
    }

    /// A recorded decision of any centre, for the operator's replay tool (which holds the
    /// database, not a token).
    pub async fn decision_for_operator(&self, id: DecisionId) -> Result<Option<Decision>> {
        Ok(self.store.decision_for_operator(id).await?)
    }

    /// Replays a stored decision (any centre's: for the operator's `onedoor plugin replay
    /// --decision`, which holds the database, not a token) against the plugin `component`,
    /// and answers the decision and what the plugin decides differently. `NOT_FOUND` on
    /// `decision`; the host's refusal codes on `component`; `BAD_RECORD` for a stored record
    /// that no longer reads.
    pub async fn replay_decision(
        &self,
        id: DecisionId,
        component: Vec<u8>,
    ) -> Result<(Decision, onedoor_plugin_host::Diff)> {
        let decision = self.decision_for_operator(id).await?.ok_or_else(|| Error::not_found("decision", "decision"))?;
        let record =
            onedoor_plugin_host::DecisionRecord::from_json(&decision.record).map_err(|e| refused("decision", &e))?;
        let host = plugin_host()?;
        let diff = tokio::task::spawn_blocking(move || {
            host.load(&component).map(|plugin| onedoor_plugin_host::replay(&record, &plugin))
        })
        .await
        .map_err(|e| Error::Refused { field: String::new(), code: "ENGINE", message: e.to_string() })?
        .map_err(|e| refused("component", &e))?;
        Ok((decision, diff))
    }

    /// The rules of a centre, from the cache or loaded (see the module's docs).
    pub(crate) async fn load_rules(&self, centre: CentreId) -> Result<Rules> {
        if let Some(rules) = self.plugins.fresh(centre) {
            return Ok(rules);
        }
        let epoch = self.plugins.epoch();
        let generation = self.store.plugin_generation(centre).await?;
        if let Some(rules) = self.plugins.current(centre, generation) {
            return Ok(rules);
        }
        let state: PluginState = self.store.plugin_state(centre).await?;
        let rules = match state.active {
            None => Rules::built_in(centre),
            Some(id) => {
                let (plugin, component) = self
                    .store
                    .plugin_with_component(centre, id)
                    .await?
                    .ok_or_else(|| Error::not_found("centre", "active plugin"))?;
                let host = plugin_host()?;
                let limits = Limits { fuel: state.settings.fuel, ..host.config().limits };
                let wasm = tokio::task::spawn_blocking(move || host.load_with(&component, limits))
                    .await
                    .map_err(|e| Error::Refused { field: String::new(), code: "ENGINE", message: e.to_string() })?
                    .map_err(|e| refused("", &e))?;
                Rules::with_plugin(
                    centre,
                    Active { id: plugin.id, name: plugin.name.to_string(), sha256: plugin.sha256, wasm },
                )
            }
        };
        self.plugins.put(centre, state.generation, rules.clone(), epoch);
        Ok(rules)
    }
}

/// A decision record made into the stored form.
pub(crate) fn stored_decision(
    centre: CentreId,
    record: &onedoor_plugin_host::DecisionRecord,
    subject: Option<&str>,
) -> Result<Decision> {
    use onedoor_plugin_host::{DecidedBy, RecordedOutput};
    let json = serde_json::to_string(record).map_err(|e| {
        Error::Invalid(vec![DomainError::new("record", ErrorCode::InvalidReference, format!("unrecordable: {e}"))])
    })?;
    Ok(Decision {
        id: DecisionId(new_id()),
        centre,
        hook: record.request.hook().as_str().to_owned(),
        sha256: match record.decided_by {
            DecidedBy::Plugin(sha) => Some(sha.to_string()),
            DecidedBy::BuiltIn => None,
        },
        contract: record.contract.clone(),
        subject: parse_subject(subject)?,
        error: match &record.output {
            RecordedOutput::Error { code, .. } => Some(code.clone()),
            RecordedOutput::Ok(_) => None,
        },
        record: json,
        at: Utc::now(),
    })
}
