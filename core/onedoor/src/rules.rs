//! Rule resolution for the platform: a centre's [`Rules`] decide with its active plugin, or
//! with the built-in rule where the centre has none (or its plugin leaves a hook to the
//! built-in rule), and say which rule decided.
//!
//! A plugin that traps, runs out of fuel, memory or time, or answers something malformed is
//! a [`RuleFailure`] with the host's stable code, never a silent fallback: the caller changes
//! nothing and reports it with [`Onedoor::rule_failed`], which raises a supervision alert.

use crate::plugins::{static_code, stored_decision};
use crate::{Error, Onedoor, Result};
use onedoor_domain::CentreId;
use onedoor_domain::alert::{AlertKind, NewAlert, Severity};
use onedoor_domain::id::PluginId;
use onedoor_domain::rules::{
    AssessInput, Assessment, BranchInput, FollowUp, Plan, PlanInput, RatingInput, RuleError, Verdict,
};
use onedoor_plugin_host::{HostError, Request, Response, WasmRules, built_in};
use std::fmt;

pub use onedoor_plugin_host::{DecisionRecord, Hook};

/// Which rule decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleRef {
    /// onedoor's built-in rule.
    Builtin,
    /// A centre's plugin.
    Plugin {
        /// The plugin's id in the registry.
        id: PluginId,
        /// Its name.
        name: String,
        /// Its SHA-256, as 64 hex digits.
        sha256: String,
    },
}

impl fmt::Display for RuleRef {
    /// `builtin`, or `plugin NAME@` and the first 12 hex digits of the hash.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleRef::Builtin => f.write_str("builtin"),
            RuleRef::Plugin { name, sha256, .. } => {
                write!(f, "plugin {name}@{}", sha256.get(..12).unwrap_or(sha256))
            }
        }
    }
}

/// A decision, with the rule that made it and, for a plugin's decision, the record to keep
/// (with [`Onedoor::record_decision`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Decided<T> {
    /// The decision.
    pub value: T,
    /// Which rule decided.
    pub rule: RuleRef,
    /// The record of a plugin's decision (none for the built-in rule).
    pub record: Option<DecisionRecord>,
}

/// A rule that gave no decision. The caller changes nothing and reports it with
/// [`Onedoor::rule_failed`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{rule} failed in {hook} ({code}): {message}")]
pub struct RuleFailure {
    /// The hook called.
    pub hook: Hook,
    /// The rule that failed.
    pub rule: RuleRef,
    /// The stable code: the host's (`TRAP`, `OUT_OF_FUEL`, `OUT_OF_MEMORY`, `TIMEOUT`,
    /// `OUTPUT_TOO_LARGE`, `MALFORMED_OUTPUT`, `INSTANTIATION_FAILED`) or the rule's own
    /// (`RULE_FAILED`, `RULE_INVALID_INPUT`).
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
    /// Whether the plugin itself misbehaved (trapped, ran out of a limit, answered something
    /// malformed), as opposed to a rule that declined this input.
    pub plugin_fault: bool,
    /// The record of the failed call, for a plugin (kept by [`Onedoor::rule_failed`]).
    pub record: Option<Box<DecisionRecord>>,
}

/// The active plugin of a centre.
#[derive(Clone)]
pub(crate) struct Active {
    pub(crate) id: PluginId,
    pub(crate) name: String,
    pub(crate) sha256: String,
    pub(crate) wasm: WasmRules,
}

/// A centre's local rules at one moment: cheap to clone, safe to call from many threads. A
/// copy keeps deciding with the plugin that was active when it was taken, so one case never
/// mixes two plugins; take a fresh one with [`Onedoor::rules`] for each decision.
#[derive(Clone)]
pub struct Rules {
    centre: CentreId,
    plugin: Option<Active>,
}

impl fmt::Debug for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rules").field("centre", &self.centre).field("rule", &self.rule()).finish()
    }
}

impl Rules {
    pub(crate) fn built_in(centre: CentreId) -> Rules {
        Rules { centre, plugin: None }
    }

    pub(crate) fn with_plugin(centre: CentreId, plugin: Active) -> Rules {
        Rules { centre, plugin: Some(plugin) }
    }

    /// The centre.
    pub fn centre(&self) -> CentreId {
        self.centre
    }

    /// The rule that decides when the plugin provides the hook: the active plugin, or the
    /// built-in rule.
    pub fn rule(&self) -> RuleRef {
        match &self.plugin {
            None => RuleRef::Builtin,
            Some(p) => RuleRef::Plugin { id: p.id, name: p.name.clone(), sha256: p.sha256.clone() },
        }
    }

    /// Plans an accepted case.
    pub fn plan(&self, input: &PlanInput) -> Result<Decided<Plan>, RuleFailure> {
        self.decide(Request::Plan(input.clone()), |r| match r {
            Response::Plan(p) => Some(p),
            _ => None,
        })
    }

    /// Decides what follows a branch's decision.
    pub fn on_branch_decided(&self, input: &BranchInput) -> Result<Decided<Verdict>, RuleFailure> {
        self.decide(Request::OnBranchDecided(input.clone()), |r| match r {
            Response::Verdict(v) => Some(v),
            _ => None,
        })
    }

    /// Decides the follow-up of a rating.
    pub fn on_rating(&self, input: &RatingInput) -> Result<Decided<FollowUp>, RuleFailure> {
        self.decide(Request::OnRating(input.clone()), |r| match r {
            Response::FollowUp(f) => Some(f),
            _ => None,
        })
    }

    /// Scores and ranks windows, units and staff over a period.
    pub fn assess(&self, input: &AssessInput) -> Result<Decided<Assessment>, RuleFailure> {
        self.decide(Request::Assess(input.clone()), |r| match r {
            Response::Assessment(a) => Some(a),
            _ => None,
        })
    }

    fn decide<T>(&self, request: Request, unwrap: fn(Response) -> Option<T>) -> Result<Decided<T>, RuleFailure> {
        let hook = request.hook();
        if let Some(p) = &self.plugin {
            let (result, record) = p.wasm.decide(&request);
            match result {
                Ok(response) => {
                    let value = unwrap(response).ok_or_else(|| RuleFailure {
                        hook,
                        rule: self.rule(),
                        code: "MALFORMED_OUTPUT",
                        message: "the answer is not of the hook's type".into(),
                        plugin_fault: true,
                        record: Some(Box::new(record.clone())),
                    })?;
                    return Ok(Decided { value, rule: self.rule(), record: Some(record) });
                }
                Err(HostError::Rule(RuleError::NotProvided)) => {}
                Err(e) => {
                    return Err(RuleFailure {
                        hook,
                        rule: self.rule(),
                        code: static_code(e.code()),
                        message: e.to_string(),
                        plugin_fault: !matches!(e, HostError::Rule(_)),
                        record: Some(Box::new(record)),
                    });
                }
            }
        }
        let failure = |code: &str, message: String| RuleFailure {
            hook,
            rule: RuleRef::Builtin,
            code: static_code(code),
            message,
            plugin_fault: false,
            record: None,
        };
        let response = built_in(&request).map_err(|e| failure(e.code(), e.to_string()))?;
        let value =
            unwrap(response).ok_or_else(|| failure("RULE_FAILED", "the built-in rule answered another hook".into()))?;
        Ok(Decided { value, rule: RuleRef::Builtin, record: None })
    }
}

impl Onedoor {
    /// A centre's rules: cached per centre (see [`crate::plugins::CACHE_TTL`]), so cheap to
    /// call for every decision; a change of the active plugin applies to the next call.
    pub async fn rules(&self, centre: CentreId) -> Result<Rules> {
        self.load_rules(centre).await
    }

    /// Persists a plugin decision record (hook, plugin hash, input, output), about `subject`
    /// (a case number, a rating …), so it can be listed, explained and replayed.
    pub async fn record_decision(
        &self,
        centre: CentreId,
        record: &DecisionRecord,
        subject: Option<&str>,
    ) -> Result<()> {
        let d = stored_decision(centre, record, subject)?;
        self.store.record_decision(&d).await.map_err(|e| Error::from_store(e, "record"))
    }

    /// Raises the supervision alert for a failed rule call (a plugin's failure; the built-in
    /// rule declining its input raises none), keeps the failed call's record, and returns the
    /// error to show: the failure's code, on no field. A failure to store the alert is logged
    /// and does not hide the rule's error.
    pub async fn rule_failed(&self, centre: CentreId, failure: &RuleFailure, subject: Option<&str>) -> Error {
        if let RuleRef::Plugin { id, name, sha256 } = &failure.rule {
            let details = serde_json::json!({
                "plugin_id": id.0,
                "plugin": name,
                "sha256": sha256,
                "hook": failure.hook,
                "code": failure.code,
            });
            let alert = NewAlert {
                kind: AlertKind::PluginFailure,
                severity: if failure.plugin_fault { Severity::Critical } else { Severity::Warning },
                subject: subject.map(str::to_owned),
                unit: None,
                key: None,
                message: failure.to_string(),
                details: details.to_string(),
            };
            if let Err(e) = self.raise_alert(centre, alert).await {
                tracing::error!(error = %e, %failure, "the alert for a failed rule could not be raised");
            }
            if let Some(record) = &failure.record
                && let Err(e) = self.record_decision(centre, record, subject).await
            {
                tracing::error!(error = %e, %failure, "the record of a failed rule could not be kept");
            }
        }
        Error::Refused { field: String::new(), code: failure.code, message: failure.to_string() }
    }
}
