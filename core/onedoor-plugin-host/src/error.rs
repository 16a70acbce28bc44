//! The host's errors: one variant per way a plugin or a load can fail, each with a stable code.

use onedoor_domain::rules::RuleError;
use std::path::PathBuf;
use std::time::Duration;

/// What went wrong loading or running a plugin, or in the author kit. Every variant has a
/// stable [`code`](HostError::code); none leaves the host unable to serve the next call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The plugin answered with its own rule error (`RULE_NOT_PROVIDED`, `RULE_INVALID_INPUT`,
    /// `RULE_FAILED`).
    #[error(transparent)]
    Rule(RuleError),
    /// The plugin's answer breaks the contract (a lead unit not involved, a malformed id …).
    #[error("malformed output: {0}")]
    MalformedOutput(String),
    /// The plugin trapped (a panic, an `unreachable`, an out-of-bounds access …).
    #[error("the plugin trapped: {0}")]
    Trap(String),
    /// The plugin used all the fuel of its call (an endless loop, or too much work).
    #[error("the plugin ran out of fuel ({limit} units)")]
    OutOfFuel {
        /// The fuel of one call.
        limit: u64,
    },
    /// The plugin ran longer than its wall time (fuel to spare, but too slow: the backstop
    /// beside fuel).
    #[error("the plugin ran out of time ({limit:?})")]
    Timeout {
        /// The wall time of one call.
        limit: Duration,
    },
    /// The plugin asked for more memory than its cap.
    #[error("the plugin ran out of memory ({limit} bytes)")]
    OutOfMemory {
        /// The memory cap of one call, in bytes.
        limit: usize,
    },
    /// The plugin's answer is larger than the output cap.
    #[error("the plugin's output of {size} bytes exceeds the cap of {limit} bytes")]
    OutputTooLarge {
        /// The answer's size, in bytes.
        size: usize,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The plugin file is larger than accepted.
    #[error("the plugin of {size} bytes exceeds the cap of {limit} bytes")]
    PluginTooLarge {
        /// The file's size, in bytes.
        size: usize,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The file is not a WebAssembly component (a core module, or not wasm at all).
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    /// The component does not compile.
    #[error("the component is invalid: {0}")]
    InvalidComponent(String),
    /// The component does not export the contract's interfaces with the contract's types.
    #[error("the component does not fulfil the contract: {0}")]
    BadContract(String),
    /// The component was built against a contract version this host does not know.
    #[error("contract version {version} is not supported (supported: {supported})")]
    UnsupportedContract {
        /// The version the plugin was built against.
        version: String,
        /// The versions this host serves.
        supported: String,
    },
    /// The component imports something with functions (WASI, or any other interface).
    #[error("the component imports `{name}`; a plugin may import nothing but the contract's types")]
    ForbiddenImport {
        /// The import's name.
        name: String,
    },
    /// The limits are not valid (a wall time of zero).
    #[error("invalid limits: {0}")]
    InvalidLimits(String),
    /// A fresh instance could not be created (e.g. every pooled slot is busy).
    #[error("the plugin could not be instantiated: {0}")]
    Instantiation(String),
    /// The engine could not be configured.
    #[error("the plugin engine could not start: {0}")]
    Engine(String),
    /// `build` failed: cargo, or turning the module into a component.
    #[error("the plugin build failed: {0}")]
    Build(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A fixture or a decision record could not be read.
    #[error("{0}")]
    BadRecord(String),
}

impl HostError {
    /// The stable code, e.g. `OUT_OF_FUEL`; for a plugin's own rule error, the rule error's
    /// code (`RULE_FAILED` …).
    pub fn code(&self) -> &str {
        match self {
            HostError::Rule(e) => e.code(),
            HostError::MalformedOutput(_) => "MALFORMED_OUTPUT",
            HostError::Trap(_) => "TRAP",
            HostError::OutOfFuel { .. } => "OUT_OF_FUEL",
            HostError::Timeout { .. } => "TIMEOUT",
            HostError::OutOfMemory { .. } => "OUT_OF_MEMORY",
            HostError::OutputTooLarge { .. } => "OUTPUT_TOO_LARGE",
            HostError::PluginTooLarge { .. } => "PLUGIN_TOO_LARGE",
            HostError::NotAComponent(_) => "NOT_A_COMPONENT",
            HostError::InvalidComponent(_) => "INVALID_COMPONENT",
            HostError::BadContract(_) => "BAD_CONTRACT",
            HostError::UnsupportedContract { .. } => "UNSUPPORTED_CONTRACT",
            HostError::ForbiddenImport { .. } => "FORBIDDEN_IMPORT",
            HostError::InvalidLimits(_) => "INVALID_LIMITS",
            HostError::Instantiation(_) => "INSTANTIATION_FAILED",
            HostError::Engine(_) => "ENGINE",
            HostError::Build(_) => "BUILD_FAILED",
            HostError::Io { .. } => "IO",
            HostError::BadRecord(_) => "BAD_RECORD",
        }
    }

    /// Whether the error is the plugin's fault while running a call (as opposed to a load or
    /// an author-kit failure): these raise a supervision alert.
    pub fn is_call_failure(&self) -> bool {
        matches!(
            self,
            HostError::MalformedOutput(_)
                | HostError::Trap(_)
                | HostError::OutOfFuel { .. }
                | HostError::Timeout { .. }
                | HostError::OutOfMemory { .. }
                | HostError::OutputTooLarge { .. }
                | HostError::Instantiation(_)
        )
    }

    /// The domain's view of the error, for callers of the domain's rule traits: a plugin's own
    /// rule error stays as it is; a malformed output is [`RuleError::MalformedOutput`]; every
    /// other failure is [`RuleError::Engine`] with this error's code.
    pub fn into_rule_error(self) -> RuleError {
        match self {
            HostError::Rule(e) => e,
            HostError::MalformedOutput(m) => RuleError::MalformedOutput(m),
            other => RuleError::Engine { code: other.code().to_owned(), message: other.to_string() },
        }
    }
}
