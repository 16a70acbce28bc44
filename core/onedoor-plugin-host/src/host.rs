//! The host: one engine per process, plugins loaded and checked once (compiled artifacts
//! cached by SHA-256), and a fresh store and instance for every call, bounded by fuel, wall
//! time, memory and output size.

use crate::decision::{Hook, Request, Response};
use crate::error::HostError;
use crate::limits::{HostConfig, Limits, Sha256};
use crate::v0_1_0;
use onedoor_domain::rules::{
    AssessInput, Assessment, BranchInput, EvaluationRule, FollowUp, ParallelApprovalRule, Plan, PlanInput, RatingInput,
    RuleError, Verdict, validate_assessment, validate_plan, validate_verdict,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store, Trap,
};

/// The contract versions this host serves, oldest first.
pub const SUPPORTED_CONTRACTS: &[&str] = &[v0_1_0::VERSION];

/// The low part of a pooled memory kept resident between calls (covers a Rust plugin's stack,
/// data and first heap pages).
const KEEP_RESIDENT_BYTES: usize = 2 << 20;

/// The contract's package, as named in a component's imports and exports.
const PACKAGE: &str = "onedoor:rules";

/// How often the epoch thread advances the engine's epoch: the granularity of the wall time.
const TICK: Duration = Duration::from_millis(1);

/// A failed call, as reported to the host's failure observer (which raises the supervision
/// alert).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The plugin.
    pub plugin: Sha256,
    /// The hook called.
    pub hook: Hook,
    /// The error's stable code.
    pub code: String,
    /// The error, for people.
    pub message: String,
}

type Observer = Arc<dyn Fn(&Failure) + Send + Sync>;

/// The plugin host: build one per process with [`PluginHost::new`], then [`load`](Self::load)
/// plugins. It is `Send + Sync`; loaded plugins ([`WasmRules`]) are cheap to clone and may be
/// called from many threads at once.
pub struct PluginHost {
    engine: Engine,
    ticker: Arc<Ticker>,
    linker: Linker<CallState>,
    config: HostConfig,
    cache: Mutex<HashMap<Sha256, Arc<Compiled>>>,
    observer: Option<Observer>,
    keeps_pages_resident: bool,
}

impl fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginHost").field("config", &self.config).field("cached", &self.cached()).finish()
    }
}

/// A compiled, checked plugin, shared by every [`WasmRules`] loaded from the same bytes.
struct Compiled {
    sha256: Sha256,
    size: usize,
    contract: &'static str,
    engine: Engine,
    /// Keeps the epoch advancing while the plugin can be called, even after the host dropped.
    ticker: Arc<Ticker>,
    pre: v0_1_0::RulesPre<CallState>,
}

/// The thread that advances the engine's epoch every [`TICK`], so a call's epoch deadline
/// measures wall time. Shared by the host and every plugin loaded from it; when the last of
/// them drops, the thread is woken, stops and is joined.
struct Ticker {
    /// Dropping the sender stops the thread.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: Engine) -> Result<Ticker, HostError> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("onedoor-plugin-epoch".into())
            .spawn(move || {
                // Each wait lasts at least a tick, so ticks are never closer than TICK.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                    engine.increment_epoch();
                }
            })
            .map_err(|e| HostError::Engine(format!("the epoch thread could not start: {e}")))?;
        Ok(Ticker { stop: Some(stop), thread: Some(thread) })
    }

    /// The epoch deadline of a call that may take `wall_time`: one tick more than the whole
    /// ticks in it, since the first tick may come at once.
    fn deadline(&self, wall_time: Duration) -> u64 {
        let ticks = wall_time.as_nanos().div_ceil(TICK.as_nanos()).saturating_add(1);
        // Far beyond any real wall time, and the engine's epoch plus it cannot overflow.
        u64::try_from(ticks).unwrap_or(u64::MAX).min(u64::MAX / 2)
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // The thread only loops and increments; it cannot panic.
            thread.join().ok();
        }
    }
}

/// The data of one call's store.
struct CallState {
    limiter: MemoryLimiter,
}

/// Caps linear memory and remembers whether the cap was hit and the peak reached.
struct MemoryLimiter {
    cap: usize,
    peak: usize,
    hit: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.cap {
            self.hit = true;
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// What one call used, against its [`Limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallStats {
    /// Fuel used.
    pub fuel_used: u64,
    /// The largest the linear memory grew to, in bytes.
    pub memory_peak_bytes: usize,
    /// The answer's size, in bytes (as counted for the output cap).
    pub output_bytes: usize,
}

/// An answer with what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<T> {
    /// The answer, converted to the domain's types and validated.
    pub value: T,
    /// What the call used.
    pub stats: CallStats,
}

impl PluginHost {
    /// Builds the engine (fuel metering and epoch interruption on, pooling allocator) from
    /// `config`, and starts the thread that advances the epoch every millisecond (the clock of
    /// the wall-time limit; it stops when the host and every plugin loaded from it have
    /// dropped). Refuses invalid default limits (`INVALID_LIMITS`).
    pub fn new(config: HostConfig) -> Result<PluginHost, HostError> {
        config.limits.validate()?;
        let mut pool = PoolingAllocationConfig::default();
        let slots = config.max_concurrent_calls.max(1);
        pool.total_component_instances(slots)
            .total_core_instances(slots.saturating_mul(2))
            .total_memories(slots)
            .total_tables(slots)
            .max_memory_size(config.max_memory_bytes);
        // Where the kernel can tell which pages a call dirtied (PAGEMAP_SCAN, Linux 6.7+),
        // reset only those and keep them resident, so the next call on the slot takes no page
        // faults: about 9 µs instead of 23 µs per plan. Elsewhere, `madvise` resets the slot.
        let keeps_pages_resident = PoolingAllocationConfig::is_pagemap_scan_available();
        if keeps_pages_resident {
            pool.pagemap_scan(Enabled::Yes)
                .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
                .table_keep_resident(64 << 10);
        }
        let mut wasm = Config::new();
        wasm.consume_fuel(true).epoch_interruption(true).allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&wasm).map_err(|e| HostError::Engine(format!("{e:#}")))?;
        Ok(PluginHost {
            linker: Linker::new(&engine),
            ticker: Arc::new(Ticker::start(engine.clone())?),
            engine,
            config,
            cache: Mutex::new(HashMap::new()),
            observer: None,
            keeps_pages_resident,
        })
    }

    /// Calls `observer` after every failed call (trap, fuel, wall time, memory, output,
    /// malformed output): the platform raises a supervision alert from it.
    pub fn on_failure(mut self, observer: impl Fn(&Failure) + Send + Sync + 'static) -> PluginHost {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// The host's configuration.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// Whether pooled memory slots reset only the pages a call dirtied and keep them resident
    /// (Linux 6.7+): calls are then about twice as fast.
    pub fn keeps_pages_resident(&self) -> bool {
        self.keeps_pages_resident
    }

    /// How many compiled plugins are cached.
    pub fn cached(&self) -> usize {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Loads a plugin with the host's default limits. See [`load_with`](Self::load_with).
    pub fn load(&self, bytes: &[u8]) -> Result<WasmRules, HostError> {
        self.load_with(bytes, self.config.limits)
    }

    /// Checks and compiles a plugin (or takes it from the cache by its SHA-256), to be called
    /// with `limits` (a memory cap above the host's ceiling is lowered to it).
    ///
    /// Refused: invalid limits (`INVALID_LIMITS`: a wall time of zero), a file above the size
    /// cap (`PLUGIN_TOO_LARGE`), a core module or anything else that is not a component
    /// (`NOT_A_COMPONENT`), one that does not compile (`INVALID_COMPONENT`), one that imports
    /// anything but the contract's type-only interface (`FORBIDDEN_IMPORT`, e.g. WASI), one
    /// built against an unknown contract version (`UNSUPPORTED_CONTRACT`), one whose exports do
    /// not match the contract (`BAD_CONTRACT`).
    pub fn load_with(&self, bytes: &[u8], limits: Limits) -> Result<WasmRules, HostError> {
        limits.validate()?;
        let limits = Limits { memory_bytes: limits.memory_bytes.min(self.config.max_memory_bytes), ..limits };
        if bytes.len() > self.config.max_plugin_bytes {
            return Err(HostError::PluginTooLarge { size: bytes.len(), limit: self.config.max_plugin_bytes });
        }
        check_header(bytes)?;
        let sha256 = Sha256::of(bytes);
        if let Some(compiled) = self.cache.lock().unwrap_or_else(PoisonError::into_inner).get(&sha256) {
            return Ok(WasmRules { compiled: compiled.clone(), limits, observer: self.observer.clone() });
        }
        let component =
            Component::new(&self.engine, bytes).map_err(|e| HostError::InvalidComponent(format!("{e:#}")))?;
        let contract = inspect(&self.engine, &component)?;
        let instance_pre =
            self.linker.instantiate_pre(&component).map_err(|e| HostError::BadContract(format!("{e:#}")))?;
        let pre = v0_1_0::RulesPre::new(instance_pre).map_err(|e| HostError::BadContract(format!("{e:#}")))?;
        let compiled = Arc::new(Compiled {
            sha256,
            size: bytes.len(),
            contract,
            engine: self.engine.clone(),
            ticker: self.ticker.clone(),
            pre,
        });
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).insert(sha256, compiled.clone());
        Ok(WasmRules { compiled, limits, observer: self.observer.clone() })
    }

    /// Drops a plugin's compiled artifact from the cache (running calls finish normally).
    pub fn evict(&self, sha256: &Sha256) -> bool {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).remove(sha256).is_some()
    }
}

/// A component starts with `\0asm`, then the component layer's version; a core module has
/// version 1 there.
fn check_header(bytes: &[u8]) -> Result<(), HostError> {
    match bytes.get(..8) {
        Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => Err(HostError::NotAComponent(
            "this is a core WebAssembly module; turn it into a component (`onedoor plugin build` does)".into(),
        )),
        Some([0, b'a', b's', b'm', _, _, 1, 0]) => Ok(()),
        _ => Err(HostError::NotAComponent("the file does not start like a WebAssembly component".into())),
    }
}

/// Splits `onedoor:rules/parallel-approval@0.1.0` into (`parallel-approval`, `0.1.0`).
fn contract_item(name: &str) -> Option<(&str, &str)> {
    name.strip_prefix(PACKAGE)?.strip_prefix('/')?.split_once('@')
}

/// Checks a compiled component's imports and exports; answers the contract version.
fn inspect(engine: &Engine, component: &Component) -> Result<&'static str, HostError> {
    let ty = component.component_type();
    let mut version: Option<&'static str> = None;
    let mut interfaces = Vec::new();
    for (name, export) in ty.exports(engine) {
        let Some((interface, v)) = contract_item(name) else { continue };
        let known = SUPPORTED_CONTRACTS.iter().copied().find(|s| *s == v).ok_or_else(|| {
            HostError::UnsupportedContract { version: v.to_owned(), supported: SUPPORTED_CONTRACTS.join(", ") }
        })?;
        if version.is_some_and(|seen| seen != known) {
            return Err(HostError::BadContract("the exports name two contract versions".into()));
        }
        if !matches!(export.ty, ComponentItem::ComponentInstance(_)) {
            return Err(HostError::BadContract(format!("`{name}` is not an interface")));
        }
        version = Some(known);
        interfaces.push(interface);
    }
    let Some(version) = version else {
        return Err(HostError::BadContract(format!(
            "the component exports none of the contract's interfaces ({PACKAGE}/parallel-approval, \
             {PACKAGE}/evaluation)"
        )));
    };
    for required in ["parallel-approval", "evaluation"] {
        if !interfaces.contains(&required) {
            return Err(HostError::BadContract(format!(
                "the component does not export {PACKAGE}/{required}@{version}"
            )));
        }
    }
    for (name, import) in ty.imports(engine) {
        let allowed = contract_item(name) == Some(("types", version))
            && match &import.ty {
                ComponentItem::ComponentInstance(instance) => {
                    instance.exports(engine).all(|(_, item)| matches!(item.ty, ComponentItem::Type(_)))
                }
                _ => false,
            };
        if !allowed {
            return Err(HostError::ForbiddenImport { name: name.to_owned() });
        }
    }
    Ok(version)
}

/// A loaded plugin with the limits of its calls: implements the domain's rule traits. Every
/// call runs in a fresh store and instance, so a failed call leaves nothing behind.
#[derive(Clone)]
pub struct WasmRules {
    compiled: Arc<Compiled>,
    limits: Limits,
    observer: Option<Observer>,
}

impl fmt::Debug for WasmRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmRules")
            .field("sha256", &self.compiled.sha256)
            .field("contract", &self.compiled.contract)
            .field("limits", &self.limits)
            .finish()
    }
}

type Bindings = v0_1_0::Rules;

impl WasmRules {
    /// The plugin's SHA-256.
    pub fn sha256(&self) -> Sha256 {
        self.compiled.sha256
    }

    /// The contract version it was built against, e.g. `0.1.0`.
    pub fn contract(&self) -> &'static str {
        self.compiled.contract
    }

    /// The hooks the plugin exports. Contract 0.1.0 requires both interfaces, so a plugin
    /// exports every hook (a hook it leaves to the built-in rule answers `RULE_NOT_PROVIDED`
    /// when called).
    pub fn hooks(&self) -> &'static [Hook] {
        &[Hook::Plan, Hook::OnBranchDecided, Hook::OnRating, Hook::Assess]
    }

    /// The plugin file's size, in bytes.
    pub fn size(&self) -> usize {
        self.compiled.size
    }

    /// The limits of its calls.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The same plugin with other limits (invalid ones make every call fail with
    /// `INVALID_LIMITS`).
    pub fn with_limits(&self, limits: Limits) -> WasmRules {
        WasmRules { limits, ..self.clone() }
    }

    /// Plans an accepted case; the plan is checked with [`validate_plan`].
    pub fn plan(&self, input: &PlanInput) -> Result<Outcome<Plan>, HostError> {
        let wit = v0_1_0::plan_input(input);
        self.observe(Hook::Plan, || {
            let out = self.run(
                |store, rules| rules.onedoor_rules_parallel_approval().call_plan(store, &wit),
                v0_1_0::plan_size,
                v0_1_0::plan,
            )?;
            validate_plan(input, &out.value).map_err(malformed)?;
            Ok(out)
        })
    }

    /// Decides what follows a branch's decision; the verdict is checked with
    /// [`validate_verdict`].
    pub fn on_branch_decided(&self, input: &BranchInput) -> Result<Outcome<Verdict>, HostError> {
        let wit = v0_1_0::branch_input(input);
        self.observe(Hook::OnBranchDecided, || {
            let out = self.run(
                |store, rules| rules.onedoor_rules_parallel_approval().call_on_branch_decided(store, &wit),
                v0_1_0::verdict_size,
                |v| Ok(v0_1_0::verdict(v)),
            )?;
            validate_verdict(input, &out.value).map_err(malformed)?;
            Ok(out)
        })
    }

    /// Decides the follow-up of a rating.
    pub fn on_rating(&self, input: &RatingInput) -> Result<Outcome<FollowUp>, HostError> {
        let wit = v0_1_0::rating_input(input);
        self.observe(Hook::OnRating, || {
            self.run(
                |store, rules| rules.onedoor_rules_evaluation().call_on_rating(store, &wit),
                v0_1_0::follow_up_size,
                v0_1_0::follow_up,
            )
        })
    }

    /// Scores and ranks windows, units and staff; the assessment is checked with
    /// [`validate_assessment`].
    pub fn assess(&self, input: &AssessInput) -> Result<Outcome<Assessment>, HostError> {
        let wit = v0_1_0::assess_input(input);
        self.observe(Hook::Assess, || {
            let out = self.run(
                |store, rules| rules.onedoor_rules_evaluation().call_assess(store, &wit),
                v0_1_0::assessment_size,
                v0_1_0::assessment,
            )?;
            validate_assessment(input, &out.value).map_err(malformed)?;
            Ok(out)
        })
    }

    /// Calls the hook a [`Request`] names.
    pub fn call(&self, request: &Request) -> Result<Outcome<Response>, HostError> {
        fn wrap<T>(o: Outcome<T>, f: impl FnOnce(T) -> Response) -> Outcome<Response> {
            Outcome { value: f(o.value), stats: o.stats }
        }
        match request {
            Request::Plan(i) => self.plan(i).map(|o| wrap(o, Response::Plan)),
            Request::OnBranchDecided(i) => self.on_branch_decided(i).map(|o| wrap(o, Response::Verdict)),
            Request::OnRating(i) => self.on_rating(i).map(|o| wrap(o, Response::FollowUp)),
            Request::Assess(i) => self.assess(i).map(|o| wrap(o, Response::Assessment)),
        }
    }

    fn observe<T>(&self, hook: Hook, call: impl FnOnce() -> Result<T, HostError>) -> Result<T, HostError> {
        let result = call();
        if let (Err(e), Some(observer)) = (&result, &self.observer)
            && e.is_call_failure()
        {
            observer(&Failure {
                plugin: self.compiled.sha256,
                hook,
                code: e.code().to_owned(),
                message: e.to_string(),
            });
        }
        result
    }

    /// One call in a fresh store and instance: fuel, wall time and memory bounded, the
    /// answer's size checked before it is converted.
    fn run<W, T>(
        &self,
        call: impl FnOnce(&mut Store<CallState>, &Bindings) -> wasmtime::Result<Result<W, v0_1_0::w::RuleError>>,
        size: fn(&W) -> usize,
        convert: impl FnOnce(W) -> Result<T, HostError>,
    ) -> Result<Outcome<T>, HostError> {
        self.limits.validate()?;
        let limiter = MemoryLimiter { cap: self.limits.memory_bytes, peak: 0, hit: false };
        let mut store = Store::new(&self.compiled.engine, CallState { limiter });
        store.limiter(|state| &mut state.limiter);
        store.set_fuel(self.limits.fuel).map_err(|e| HostError::Engine(format!("{e:#}")))?;
        // Before instantiating: a store's deadline is 0 until set, and would trap at once.
        store.set_epoch_deadline(self.compiled.ticker.deadline(self.limits.wall_time));
        store.epoch_deadline_trap();
        let rules = match self.compiled.pre.instantiate(&mut store) {
            Ok(rules) => rules,
            Err(e) => return Err(self.classify(&store, e, true)),
        };
        let answer = call(&mut store, &rules).map_err(|e| self.classify(&store, e, false))?;
        let fuel_used = self.limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        let memory_peak_bytes = store.data().limiter.peak;
        let answer = answer.map_err(v0_1_0::rule_error)?;
        let output_bytes = size(&answer);
        if output_bytes > self.limits.output_bytes {
            return Err(HostError::OutputTooLarge { size: output_bytes, limit: self.limits.output_bytes });
        }
        let value = convert(answer)?;
        Ok(Outcome { value, stats: CallStats { fuel_used, memory_peak_bytes, output_bytes } })
    }

    fn classify(&self, store: &Store<CallState>, e: wasmtime::Error, instantiating: bool) -> HostError {
        if store.data().limiter.hit {
            return HostError::OutOfMemory { limit: self.limits.memory_bytes };
        }
        match e.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => HostError::OutOfFuel { limit: self.limits.fuel },
            Some(Trap::Interrupt) => HostError::Timeout { limit: self.limits.wall_time },
            Some(trap) => HostError::Trap(trap.to_string()),
            None if instantiating => HostError::Instantiation(format!("{e:#}")),
            // Lifting the answer failed (bad UTF-8, a bad discriminant …): the plugin broke
            // the canonical ABI.
            None => HostError::Trap(format!("{e:#}")),
        }
    }
}

fn malformed(e: RuleError) -> HostError {
    match e {
        RuleError::MalformedOutput(m) => HostError::MalformedOutput(m),
        other => HostError::Rule(other),
    }
}

impl ParallelApprovalRule for WasmRules {
    fn plan(&self, input: &PlanInput) -> Result<Plan, RuleError> {
        WasmRules::plan(self, input).map(|o| o.value).map_err(HostError::into_rule_error)
    }

    fn on_branch_decided(&self, input: &BranchInput) -> Result<Verdict, RuleError> {
        WasmRules::on_branch_decided(self, input).map(|o| o.value).map_err(HostError::into_rule_error)
    }
}

impl EvaluationRule for WasmRules {
    fn on_rating(&self, input: &RatingInput) -> Result<FollowUp, RuleError> {
        WasmRules::on_rating(self, input).map(|o| o.value).map_err(HostError::into_rule_error)
    }

    fn assess(&self, input: &AssessInput) -> Result<Assessment, RuleError> {
        WasmRules::assess(self, input).map(|o| o.value).map_err(HostError::into_rule_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_cover_the_wall_time_in_whole_ticks() {
        let host = PluginHost::new(HostConfig { max_concurrent_calls: 1, ..HostConfig::default() });
        let Ok(host) = host else { panic!("{:?}", host.err()) };
        let deadline = |d: Duration| host.ticker.deadline(d);
        assert_eq!(deadline(Duration::from_millis(20)), 21);
        assert_eq!(deadline(Duration::from_micros(300)), 2);
        assert_eq!(deadline(Duration::MAX), u64::MAX / 2);
    }

    #[test]
    fn the_epoch_thread_stops_when_the_host_drops() {
        let host = PluginHost::new(HostConfig { max_concurrent_calls: 1, ..HostConfig::default() });
        let Ok(host) = host else { panic!("{:?}", host.err()) };
        let ticker = Arc::downgrade(&host.ticker);
        assert!(ticker.upgrade().is_some());
        drop(host);
        // The last handle dropped: the ticker's drop stopped and joined the thread.
        assert!(ticker.upgrade().is_none());
    }

    #[test]
    fn invalid_default_limits_are_refused() {
        let limits = Limits { wall_time: Duration::ZERO, ..Limits::default() };
        let err = PluginHost::new(HostConfig { limits, max_concurrent_calls: 1, ..HostConfig::default() }).err();
        assert_eq!(err.map(|e| e.code().to_owned()), Some("INVALID_LIMITS".to_owned()));
    }
}
