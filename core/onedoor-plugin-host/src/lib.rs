//! The host of onedoor's local-rule plugins: WebAssembly components that a centre uploads to
//! replace the built-in parallel-approval and evaluation rules.
//!
//! - [`PluginHost`]: one per process. One wasmtime engine (fuel metering, epoch interruption
//!   advanced by one thread every millisecond, pooling allocator); [`load`](PluginHost::load)
//!   checks a component (size, contract version, exports, and that it imports nothing with
//!   functions, so no WASI) and compiles it once, cached by SHA-256.
//! - [`WasmRules`]: a loaded plugin with its [`Limits`]. Implements the domain's
//!   [`ParallelApprovalRule`](onedoor_domain::rules::ParallelApprovalRule) and
//!   [`EvaluationRule`](onedoor_domain::rules::EvaluationRule). Every call runs in a fresh store
//!   and instance from a pre-instantiated component, bounded by fuel (the deterministic bound on
//!   work), wall time (a backstop: `TIMEOUT`), memory and output size; the answer is checked
//!   with the domain's `validate_*`. A failure is a typed [`HostError`] with a stable code, is
//!   reported to the host's failure observer, and leaves nothing behind: the next call is
//!   served normally.
//! - [`decide`], [`DecisionRecord`], [`replay`]: every decision recorded with the plugin's hash,
//!   input and output (or the built-in rule where a centre has no plugin), replayable against
//!   another plugin.
//! - [`kit`]: the author kit behind `onedoor plugin build | check | test`.
//!
//! Only this crate knows wasmtime; contract versions live in modules of their own
//! (`v0_1_0`), so plugins built against an older contract keep working.

mod decision;
mod error;
mod host;
pub mod kit;
mod limits;
mod v0_1_0;

pub use decision::{
    Change, DecidedBy, DecisionRecord, Diff, Hook, RecordedOutput, Request, Response, built_in, decide, replay,
};
pub use error::HostError;
pub use host::{CallStats, Failure, Outcome, PluginHost, SUPPORTED_CONTRACTS, WasmRules};
pub use limits::{BadDigest, HostConfig, Limits, Sha256};
