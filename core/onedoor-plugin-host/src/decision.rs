//! Decisions as data: a request to one hook, its response, the record kept of every decision
//! (who decided, the input, the output) and the replay of a record against another plugin.

use crate::error::HostError;
use crate::host::WasmRules;
use crate::limits::Sha256;
use onedoor_domain::rules::{
    AssessInput, Assessment, BranchInput, DefaultEvaluation, DefaultParallelApproval, EvaluationRule, FollowUp,
    ParallelApprovalRule, Plan, PlanInput, RatingInput, RuleError, Verdict,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// A rule hook of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hook {
    /// `parallel-approval.plan`.
    Plan,
    /// `parallel-approval.on-branch-decided`.
    OnBranchDecided,
    /// `evaluation.on-rating`.
    OnRating,
    /// `evaluation.assess`.
    Assess,
}

impl Hook {
    /// The stable name, as in records and fixtures (`plan`, `on_branch_decided` …).
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::Plan => "plan",
            Hook::OnBranchDecided => "on_branch_decided",
            Hook::OnRating => "on_rating",
            Hook::Assess => "assess",
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A call of one hook with its input. As JSON: `{"hook": "plan", "input": {…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "hook", content = "input", rename_all = "snake_case")]
pub enum Request {
    /// Plan an accepted case.
    Plan(PlanInput),
    /// Decide what follows a branch's decision.
    OnBranchDecided(BranchInput),
    /// Follow up a rating.
    OnRating(RatingInput),
    /// Assess a period.
    Assess(AssessInput),
}

impl Request {
    /// The hook called.
    pub fn hook(&self) -> Hook {
        match self {
            Request::Plan(_) => Hook::Plan,
            Request::OnBranchDecided(_) => Hook::OnBranchDecided,
            Request::OnRating(_) => Hook::OnRating,
            Request::Assess(_) => Hook::Assess,
        }
    }
}

/// A hook's answer. As JSON, the answer itself (a plan, a verdict …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// From `plan`.
    Plan(Plan),
    /// From `on_branch_decided`.
    Verdict(Verdict),
    /// From `on_rating`.
    FollowUp(FollowUp),
    /// From `assess`.
    Assessment(Assessment),
}

/// Who decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// The plugin with this SHA-256.
    Plugin(Sha256),
    /// onedoor's built-in rule (no plugin, or the plugin does not provide the hook).
    BuiltIn,
}

impl fmt::Display for DecidedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecidedBy::Plugin(sha) => write!(f, "plugin {sha}"),
            DecidedBy::BuiltIn => f.write_str("the built-in rule"),
        }
    }
}

/// A recorded answer: the output, or the error's code and message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordedOutput {
    /// The answer, as JSON.
    Ok(Value),
    /// The failure.
    Error {
        /// The stable code.
        code: String,
        /// For people.
        message: String,
    },
}

impl RecordedOutput {
    fn of(result: &Result<Response, HostError>) -> RecordedOutput {
        match result {
            Ok(response) => match serde_json::to_value(response) {
                Ok(v) => RecordedOutput::Ok(v),
                Err(e) => RecordedOutput::Error { code: "BAD_RECORD".into(), message: e.to_string() },
            },
            Err(e) => RecordedOutput::Error { code: e.code().to_owned(), message: e.to_string() },
        }
    }

    fn as_value(&self) -> Value {
        match self {
            RecordedOutput::Ok(v) => v.clone(),
            RecordedOutput::Error { code, .. } => serde_json::json!({ "error": code }),
        }
    }
}

/// The record of one decision: who decided, under which contract, the request and the
/// output. Stored with every decision so it can be explained and replayed later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// The plugin (by SHA-256) or the built-in rule.
    pub decided_by: DecidedBy,
    /// The contract version the plugin was called through (none for the built-in rule).
    pub contract: Option<String>,
    /// The hook and its input.
    #[serde(flatten)]
    pub request: Request,
    /// The output or the error.
    pub output: RecordedOutput,
}

impl DecisionRecord {
    /// Reads a record from JSON.
    pub fn from_json(json: &str) -> Result<DecisionRecord, HostError> {
        serde_json::from_str(json).map_err(|e| HostError::BadRecord(format!("not a decision record: {e}")))
    }

    /// The record as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Runs the built-in rule for a request.
pub fn built_in(request: &Request) -> Result<Response, RuleError> {
    match request {
        Request::Plan(i) => DefaultParallelApproval.plan(i).map(Response::Plan),
        Request::OnBranchDecided(i) => DefaultParallelApproval.on_branch_decided(i).map(Response::Verdict),
        Request::OnRating(i) => DefaultEvaluation.on_rating(i).map(Response::FollowUp),
        Request::Assess(i) => DefaultEvaluation.assess(i).map(Response::Assessment),
    }
}

impl WasmRules {
    /// Calls the plugin and records the decision, whatever the outcome.
    pub fn decide(&self, request: &Request) -> (Result<Response, HostError>, DecisionRecord) {
        let result = self.call(request).map(|o| o.value);
        let record = DecisionRecord {
            decided_by: DecidedBy::Plugin(self.sha256()),
            contract: Some(self.contract().to_owned()),
            request: request.clone(),
            output: RecordedOutput::of(&result),
        };
        (result, record)
    }
}

/// Decides a request with the centre's plugin, or with the built-in rule where the centre has
/// none or its plugin does not provide the hook; the record says which decided. A failing
/// plugin is an error (the caller changes nothing), and is recorded too.
pub fn decide(plugin: Option<&WasmRules>, request: &Request) -> (Result<Response, HostError>, DecisionRecord) {
    if let Some(plugin) = plugin {
        let (result, record) = plugin.decide(request);
        if !matches!(result, Err(HostError::Rule(RuleError::NotProvided))) {
            return (result, record);
        }
    }
    let result = built_in(request).map_err(HostError::Rule);
    let record = DecisionRecord {
        decided_by: DecidedBy::BuiltIn,
        contract: None,
        request: request.clone(),
        output: RecordedOutput::of(&result),
    };
    (result, record)
}

/// One difference between two outputs, at a JSON path such as `branches[1].time_limit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Where.
    pub path: String,
    /// The recorded value (none: absent).
    pub before: Option<Value>,
    /// The replayed value (none: absent).
    pub after: Option<Value>,
}

/// A recorded decision against its replay by another plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    /// The hook.
    pub hook: Hook,
    /// Who decided the recorded decision.
    pub before: DecidedBy,
    /// Who decided the replay.
    pub after: DecidedBy,
    /// The differences (object keys in sorted order, list items in order); empty when both
    /// decided the same.
    pub changes: Vec<Change>,
    /// The replay's own record.
    pub replayed: DecisionRecord,
}

impl Diff {
    /// Whether both decided the same.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {} → {}", self.hook, self.before, self.after)?;
        if self.changes.is_empty() {
            return writeln!(f, "  the same decision");
        }
        let show = |v: &Option<Value>| v.as_ref().map_or_else(|| "(absent)".to_owned(), Value::to_string);
        for c in &self.changes {
            writeln!(f, "  {}: {} → {}", c.path, show(&c.before), show(&c.after))?;
        }
        Ok(())
    }
}

/// Re-runs a recorded decision's request against `plugin` and shows what changes.
pub fn replay(record: &DecisionRecord, plugin: &WasmRules) -> Diff {
    let (_, replayed) = plugin.decide(&record.request);
    let mut changes = Vec::new();
    diff_values("", Some(&record.output.as_value()), Some(&replayed.output.as_value()), &mut changes);
    Diff { hook: record.request.hook(), before: record.decided_by, after: replayed.decided_by, changes, replayed }
}

fn diff_values(path: &str, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<Change>) {
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys: Vec<&String> = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))).collect();
            for k in keys {
                diff_values(&join(k), a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                diff_values(&format!("{path}[{i}]"), a.get(i), b.get(i), out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(Change {
            path: if path.is_empty() { "(output)".to_owned() } else { path.to_owned() },
            before: a.cloned(),
            after: b.cloned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diffs_name_paths() {
        let mut out = Vec::new();
        let a = json!({"lead_unit": "a", "branches": [{"t": 1}, {"t": 2}], "same": true});
        let b = json!({"lead_unit": "b", "branches": [{"t": 1}, {"t": 3}, {"t": 4}], "same": true, "new": 1});
        diff_values("", Some(&a), Some(&b), &mut out);
        let paths: Vec<&str> = out.iter().map(|c| c.path.as_str()).collect();
        // Keys in their sorted order, array items in order.
        assert_eq!(paths, vec!["branches[1].t", "branches[2]", "lead_unit", "new"]);
    }
}
