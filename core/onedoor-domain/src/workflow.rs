//! Workflow definitions: the steps a case goes through after acceptance, as data.
//!
//! A definition is a small graph: **task** steps (a unit's role decides within a limit in
//! working days), **split** steps that open parallel branches (each a chain of tasks, usually of
//! different units), and **join** steps where the branches meet and the centre's
//! parallel-approval rule joins their decisions. The first step is the start; a step with no
//! `next` ends the workflow (the case is then approved).
//!
//! Definitions are validated before they are stored: every `next` names a step, every step is
//! reachable, no cycles, a split has at least two branches that all meet at one join, a join is
//! reached only from one split's branches, and the longest path's limits fit the matter's
//! promised limit.

use crate::error::{DomainError, ErrorCode};
use crate::id::UnitId;
use crate::scope::Role;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// A decision by a unit's role within a time limit.
    Task,
    /// Opens the parallel branches named by `next`.
    Split,
    /// Where a split's branches meet; the parallel-approval rule joins their decisions.
    Join,
}

/// One step of a definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDef {
    /// The step's key, unique in the definition (`review`, `fire-safety` …).
    pub key: String,
    /// Its name, for people.
    pub name: String,
    /// Task, split or join.
    pub kind: StepKind,
    /// The deciding unit of a task; `None`: the owner unit of the case's (first) matter.
    pub unit: Option<UnitId>,
    /// The role that decides a task.
    pub role: Role,
    /// A task's limit in working days.
    pub limit: u16,
    /// The following steps: one for a task or join (none at the end), two or more for a split.
    pub next: Vec<String>,
}

/// A workflow definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowDef {
    /// The steps; the first is the start.
    pub steps: Vec<StepDef>,
}

impl WorkflowDef {
    /// The built-in workflow of a matter without a definition: one review by the owner unit's
    /// approvers within the promised limit.
    pub fn single_review(limit: u16) -> WorkflowDef {
        WorkflowDef {
            steps: vec![StepDef {
                key: "review".into(),
                name: "Review".into(),
                kind: StepKind::Task,
                unit: None,
                role: Role::Approver,
                limit,
                next: Vec::new(),
            }],
        }
    }

    /// The built-in workflow of a bundle or a multi-unit case: every branch in parallel (one
    /// task per unit), joined by the parallel-approval rule.
    pub fn parallel(units: &[(UnitId, String, u16)]) -> WorkflowDef {
        let mut steps = vec![StepDef {
            key: "split".into(),
            name: "Parallel approval".into(),
            kind: StepKind::Split,
            unit: None,
            role: Role::Approver,
            limit: 0,
            next: (0..units.len()).map(|i| format!("branch-{}", i + 1)).collect(),
        }];
        for (i, (unit, name, limit)) in units.iter().enumerate() {
            steps.push(StepDef {
                key: format!("branch-{}", i + 1),
                name: name.clone(),
                kind: StepKind::Task,
                unit: Some(*unit),
                role: Role::Approver,
                limit: *limit,
                next: vec!["join".into()],
            });
        }
        steps.push(StepDef {
            key: "join".into(),
            name: "Join".into(),
            kind: StepKind::Join,
            unit: None,
            role: Role::Approver,
            limit: 0,
            next: Vec::new(),
        });
        WorkflowDef { steps }
    }

    /// The step with `key`.
    pub fn step(&self, key: &str) -> Option<&StepDef> {
        self.steps.iter().find(|s| s.key == key)
    }

    /// The start step.
    pub fn start(&self) -> Option<&StepDef> {
        self.steps.first()
    }

    /// The join that the branches of split `key` meet at.
    pub fn join_of(&self, split: &str) -> Option<&StepDef> {
        let first = self.step(split)?.next.first()?;
        let mut at = self.step(first)?;
        let mut guard = 0;
        while at.kind == StepKind::Task && guard <= self.steps.len() {
            at = self.step(at.next.first()?)?;
            guard += 1;
        }
        (at.kind == StepKind::Join).then_some(at)
    }

    /// The split whose branch contains task `key`, if any.
    pub fn split_of(&self, key: &str) -> Option<&StepDef> {
        self.steps.iter().filter(|s| s.kind == StepKind::Split).find(|s| {
            s.next.iter().any(|b| {
                let mut at = self.step(b);
                let mut guard = 0;
                while let Some(step) = at.filter(|st| st.kind == StepKind::Task) {
                    if step.key == key {
                        return true;
                    }
                    at = step.next.first().and_then(|n| self.step(n));
                    guard += 1;
                    if guard > self.steps.len() {
                        break;
                    }
                }
                false
            })
        })
    }

    /// The task before `key` on its path (for a return), if any.
    pub fn previous_task(&self, key: &str) -> Option<&StepDef> {
        self.steps.iter().find(|s| s.kind == StepKind::Task && s.next.iter().any(|n| n == key))
    }

    /// The longest sum of task limits from the start to an end.
    pub fn longest_limit(&self) -> u32 {
        fn walk(def: &WorkflowDef, key: &str, memo: &mut BTreeMap<String, u32>, depth: usize) -> u32 {
            if let Some(v) = memo.get(key) {
                return *v;
            }
            let Some(step) = def.step(key) else { return 0 };
            if depth > def.steps.len() {
                return 0;
            }
            let own = if step.kind == StepKind::Task { u32::from(step.limit) } else { 0 };
            let rest = step.next.iter().map(|n| walk(def, n, memo, depth + 1)).max().unwrap_or(0);
            memo.insert(key.to_owned(), own + rest);
            own + rest
        }
        self.start().map(|s| walk(self, &s.key.clone(), &mut BTreeMap::new(), 0)).unwrap_or(0)
    }

    /// Validates the definition against the matter's promised limit; `unit_exists` says whether
    /// a unit id names a unit of the centre. Every violation is reported, with fields like
    /// `steps.2.next.0`.
    pub fn validate(&self, promised: u16, unit_exists: impl Fn(UnitId) -> bool) -> Result<(), Vec<DomainError>> {
        let mut errors = Vec::new();
        let err = |errors: &mut Vec<DomainError>, field: String, code: ErrorCode, msg: String| {
            errors.push(DomainError::new(field, code, msg));
        };
        if self.steps.is_empty() {
            err(&mut errors, "steps".into(), ErrorCode::TooFew, "a workflow has at least one step".into());
            return Err(errors);
        }
        if self.steps.len() > 100 {
            err(&mut errors, "steps".into(), ErrorCode::OutOfRange, "at most 100 steps".into());
            return Err(errors);
        }
        let mut keys = BTreeSet::new();
        for (i, s) in self.steps.iter().enumerate() {
            let key_ok = !s.key.is_empty()
                && s.key.len() <= 40
                && s.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !key_ok {
                err(
                    &mut errors,
                    format!("steps.{i}.key"),
                    ErrorCode::InvalidCode,
                    "1 to 40 letters, digits, `-` or `_`".into(),
                );
            }
            if !keys.insert(s.key.as_str()) {
                err(&mut errors, format!("steps.{i}.key"), ErrorCode::Duplicate, format!("`{}` is used twice", s.key));
            }
            if s.name.trim().is_empty() || s.name.chars().count() > 200 {
                err(&mut errors, format!("steps.{i}.name"), ErrorCode::Required, "1 to 200 characters".into());
            }
            for (j, n) in s.next.iter().enumerate() {
                if self.step(n).is_none() {
                    err(
                        &mut errors,
                        format!("steps.{i}.next.{j}"),
                        ErrorCode::InvalidReference,
                        format!("no step has the key `{n}`"),
                    );
                }
            }
            match s.kind {
                StepKind::Task | StepKind::Join if s.next.len() > 1 => err(
                    &mut errors,
                    format!("steps.{i}.next"),
                    ErrorCode::OutOfRange,
                    "a task or join has at most one next step; open branches with a split".into(),
                ),
                StepKind::Split if s.next.len() < 2 => err(
                    &mut errors,
                    format!("steps.{i}.next"),
                    ErrorCode::TooFew,
                    "a split opens at least two branches".into(),
                ),
                _ => {}
            }
            if s.kind == StepKind::Task {
                if let Some(u) = s.unit
                    && !unit_exists(u)
                {
                    err(&mut errors, format!("steps.{i}.unit"), ErrorCode::InvalidReference, "no such unit".into());
                }
                if !matches!(s.role, Role::Approver | Role::UnitLead | Role::WindowClerk) {
                    err(
                        &mut errors,
                        format!("steps.{i}.role"),
                        ErrorCode::InvalidReference,
                        "tasks are decided by approvers, unit leads or window clerks".into(),
                    );
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        self.check_graph(&mut errors);
        if errors.is_empty() && self.longest_limit() > u32::from(promised) {
            errors.push(DomainError::new(
                "steps",
                ErrorCode::PromisedExceedsStatutory,
                format!("the longest path takes {} working days; the matter promises {promised}", self.longest_limit()),
            ));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    fn index(&self, key: &str) -> usize {
        self.steps.iter().position(|s| s.key == key).unwrap_or(0)
    }

    /// Reachability, cycles, and split/join pairing.
    fn check_graph(&self, errors: &mut Vec<DomainError>) {
        // Reachable from the start, and acyclic (depth-first with colours).
        let mut colour = vec![0u8; self.steps.len()];
        let mut cyclic = None;
        fn dfs(def: &WorkflowDef, i: usize, colour: &mut [u8], cyclic: &mut Option<usize>) {
            colour[i] = 1;
            for n in &def.steps[i].next {
                let j = def.index(n);
                match colour[j] {
                    0 => dfs(def, j, colour, cyclic),
                    1 => *cyclic = cyclic.or(Some(i)),
                    _ => {}
                }
            }
            colour[i] = 2;
        }
        dfs(self, 0, &mut colour, &mut cyclic);
        if let Some(i) = cyclic {
            errors.push(DomainError::new(
                format!("steps.{i}.next"),
                ErrorCode::InvalidReference,
                "the steps form a cycle; send a case back with a `return` decision instead".to_string(),
            ));
            return;
        }
        for (i, c) in colour.iter().enumerate() {
            if *c == 0 {
                errors.push(DomainError::new(
                    format!("steps.{i}"),
                    ErrorCode::InvalidReference,
                    format!("step `{}` cannot be reached from the start", self.steps[i].key),
                ));
            }
        }
        // Splits: each branch is a chain of tasks ending at one common join.
        let mut joined: BTreeMap<&str, &str> = BTreeMap::new();
        for (i, s) in self.steps.iter().enumerate().filter(|(_, s)| s.kind == StepKind::Split) {
            let mut ends = BTreeSet::new();
            for (j, b) in s.next.iter().enumerate() {
                let mut at = self.step(b);
                let mut end = None;
                while let Some(step) = at {
                    match step.kind {
                        StepKind::Task => at = step.next.first().and_then(|n| self.step(n)),
                        StepKind::Join => {
                            end = Some(step.key.as_str());
                            at = None;
                        }
                        StepKind::Split => at = None,
                    }
                }
                match end {
                    Some(e) => {
                        ends.insert(e);
                    }
                    None => errors.push(DomainError::new(
                        format!("steps.{i}.next.{j}"),
                        ErrorCode::InvalidReference,
                        format!("branch `{b}` must be a chain of tasks that ends at a join"),
                    )),
                }
            }
            if ends.len() > 1 {
                errors.push(DomainError::new(
                    format!("steps.{i}.next"),
                    ErrorCode::InvalidReference,
                    "all branches of a split meet at the same join".to_string(),
                ));
            }
            for e in ends {
                if let Some(other) = joined.insert(e, s.key.as_str()) {
                    errors.push(DomainError::new(
                        format!("steps.{i}"),
                        ErrorCode::InvalidReference,
                        format!("join `{e}` already joins split `{other}`"),
                    ));
                }
            }
        }
        for (i, s) in self.steps.iter().enumerate().filter(|(_, s)| s.kind == StepKind::Join) {
            if !joined.contains_key(s.key.as_str()) {
                errors.push(DomainError::new(
                    format!("steps.{i}"),
                    ErrorCode::InvalidReference,
                    format!("join `{}` has no split", s.key),
                ));
            }
            // Only the branches' last tasks lead into a join.
            let feeders = self.steps.iter().filter(|f| f.next.iter().any(|n| n == &s.key));
            for f in feeders {
                if f.kind != StepKind::Task || self.split_of(&f.key).is_none() {
                    errors.push(DomainError::new(
                        format!("steps.{}", self.index(&f.key)),
                        ErrorCode::InvalidReference,
                        format!("`{}` leads into join `{}` but is not on a branch of its split", f.key, s.key),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn task(key: &str, limit: u16, next: &[&str]) -> StepDef {
        StepDef {
            key: key.into(),
            name: key.into(),
            kind: StepKind::Task,
            unit: None,
            role: Role::Approver,
            limit,
            next: next.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn node(key: &str, kind: StepKind, next: &[&str]) -> StepDef {
        StepDef { kind, limit: 0, ..task(key, 0, next) }
    }

    fn codes(def: &WorkflowDef, promised: u16) -> Vec<(String, &'static str)> {
        match def.validate(promised, |u| u.0 != Uuid::nil()) {
            Ok(()) => Vec::new(),
            Err(es) => es.into_iter().map(|e| (e.field, e.code.as_str())).collect(),
        }
    }

    fn parallel() -> WorkflowDef {
        WorkflowDef {
            steps: vec![
                task("accept-review", 1, &["split"]),
                node("split", StepKind::Split, &["fire", "planning"]),
                task("fire", 5, &["fire-sign"]),
                task("fire-sign", 1, &["join"]),
                task("planning", 3, &["join"]),
                node("join", StepKind::Join, &["issue"]),
                task("issue", 1, &[]),
            ],
        }
    }

    #[test]
    fn valid_definitions_pass_and_their_longest_path_is_counted() {
        assert_eq!(codes(&parallel(), 8), Vec::<(String, &str)>::new());
        assert_eq!(parallel().longest_limit(), 8);
        assert_eq!(parallel().join_of("split").map(|j| j.key.as_str()), Some("join"));
        assert_eq!(parallel().split_of("fire-sign").map(|s| s.key.as_str()), Some("split"));
        assert_eq!(parallel().previous_task("fire-sign").map(|s| s.key.as_str()), Some("fire"));
        assert_eq!(codes(&WorkflowDef::single_review(3), 3), Vec::<(String, &str)>::new());
        let u = UnitId(Uuid::from_u128(1));
        let bundle = WorkflowDef::parallel(&[(u, "a".into(), 2), (u, "b".into(), 3)]);
        assert_eq!(codes(&bundle, 3), Vec::<(String, &str)>::new());
    }

    #[test]
    fn broken_definitions_name_every_problem() {
        type Case = (fn(&mut WorkflowDef), u16, &'static [(&'static str, &'static str)]);
        let cases: &[Case] = &[
            (|d| d.steps.clear(), 8, &[("steps", "TOO_FEW")]),
            (|d| d.steps[0].next = vec!["nowhere".into()], 8, &[("steps.0.next.0", "INVALID_REFERENCE")]),
            (
                |d| d.steps[6].key = "fire".into(),
                8,
                &[("steps.5.next.0", "INVALID_REFERENCE"), ("steps.6.key", "DUPLICATE")],
            ),
            (|d| d.steps.push(task("orphan", 1, &[])), 8, &[("steps.7", "INVALID_REFERENCE")]),
            (|d| d.steps[6].next = vec!["accept-review".into()], 8, &[("steps.6.next", "INVALID_REFERENCE")]),
            (
                |d| d.steps[0].next = vec!["join".into()],
                8,
                &[
                    ("steps.1", "INVALID_REFERENCE"),
                    ("steps.2", "INVALID_REFERENCE"),
                    ("steps.3", "INVALID_REFERENCE"),
                    ("steps.4", "INVALID_REFERENCE"),
                    ("steps.0", "INVALID_REFERENCE"),
                ],
            ),
            (|d| d.steps[1].next = vec!["fire".into()], 8, &[("steps.1.next", "TOO_FEW")]),
            (|d| d.steps[4].next = vec!["issue".into()], 8, &[("steps.1.next.1", "INVALID_REFERENCE")]),
            (|_| {}, 7, &[("steps", "PROMISED_EXCEEDS_STATUTORY")]),
            (|d| d.steps[2].unit = Some(UnitId(Uuid::nil())), 8, &[("steps.2.unit", "INVALID_REFERENCE")]),
            (|d| d.steps[2].role = Role::Guide, 8, &[("steps.2.role", "INVALID_REFERENCE")]),
            (
                |d| d.steps[2].key = "bad key".into(),
                8,
                &[("steps.1.next.0", "INVALID_REFERENCE"), ("steps.2.key", "INVALID_CODE")],
            ),
        ];
        let mut failed = false;
        for (i, (edit, promised, want)) in cases.iter().enumerate() {
            let mut def = parallel();
            edit(&mut def);
            let got = codes(&def, *promised);
            let want: Vec<(String, &str)> = want.iter().map(|(f, c)| ((*f).to_owned(), *c)).collect();
            if got != want {
                eprintln!("case {i}: {got:?}");
                failed = true;
            }
        }
        assert!(!failed);
    }
}
