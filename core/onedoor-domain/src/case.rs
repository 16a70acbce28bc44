//! Cases: one application, one number, one window; and the workflow engine that carries a case
//! from acceptance through its steps (parallel approval included) to completion.
//!
//! The engine is pure: [`Case::apply`] takes a [`Command`] and the facts it needs ([`Ctx`]:
//! today, the centre's calendar, its parallel-approval rule, the units) and returns the case as
//! it stands after the command plus the [`Change`]s to record, or an error and no change. The
//! platform persists the result with an optimistic version check, so two clerks acting on the
//! same step cannot both win.
//!
//! Lifecycle: `SUBMITTED` → `ACCEPTED`-and-`IN_REVIEW` | `REFUSED` (with a reason) |
//! `AWAITING_SUPPLEMENTS` (one full list, once; the clock starts when they arrive) →
//! `IN_REVIEW` (⇄ `SUSPENDED`, the clock stopped) → `APPROVED` | `DENIED` → `RESULT_ISSUED` →
//! `DELIVERED` | `COLLECTED`; `WITHDRAWN` by the applicant before a decision.

use crate::calendar::{Calendar, Clock, PauseReason};
use crate::error::{DomainError, ErrorCode};
use crate::id::{BundleId, CentreId, MatterId, StaffId, UnitId, WindowId};
use crate::organisation::string_enum;
use crate::rules::{
    ApplicantKind, BranchDecision, BranchInput, BranchOutcome, CaseMatter, Investment, InvolvedUnit,
    ParallelApprovalRule, Plan, PlanInput, RuleError, Verdict, validate_plan, validate_verdict,
};
use crate::scope::{Role, Roles};
use crate::values::{Name, WorkingDays, parse_text};
use crate::workflow::{StepKind, WorkflowDef};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

string_enum! {
    /// Where a case stands.
    CaseState {
        /// Received (online, kiosk, hotline), not yet accepted.
        Submitted = "SUBMITTED",
        /// Supplements were asked for (once, in full); the clock has not started.
        AwaitingSupplements = "AWAITING_SUPPLEMENTS",
        /// Not accepted, with a reason.
        Refused = "REFUSED",
        /// Accepted; the workflow runs and the clock counts.
        InReview = "IN_REVIEW",
        /// Accepted; the clock is stopped (hearing, expert review, testing …).
        Suspended = "SUSPENDED",
        /// Decided: approved; the result is to be issued.
        Approved = "APPROVED",
        /// Decided: denied; the decision is to be issued.
        Denied = "DENIED",
        /// The result (licence, certificate, decision) is issued.
        ResultIssued = "RESULT_ISSUED",
        /// The result was delivered (express or electronically).
        Delivered = "DELIVERED",
        /// The result was collected at the window.
        Collected = "COLLECTED",
        /// Withdrawn by the applicant before a decision.
        Withdrawn = "WITHDRAWN",
    }
}

impl CaseState {
    /// Whether the case is finished (nothing more can happen to it).
    pub fn is_final(self) -> bool {
        matches!(self, CaseState::Refused | CaseState::Delivered | CaseState::Collected | CaseState::Withdrawn)
    }

    /// Whether the case was accepted and is still waiting for its decision (its clock counts).
    pub fn is_pending(self) -> bool {
        matches!(self, CaseState::InReview | CaseState::Suspended)
    }
}

string_enum! {
    /// How a case came in.
    Channel {
        /// At a window of a hall.
        Window = "WINDOW",
        /// Online, through the portal.
        Online = "ONLINE",
        /// At a self-service kiosk.
        Kiosk = "KIOSK",
        /// By the 12345 hotline.
        Hotline = "HOTLINE",
        /// Through a proxy (a guide or an intermediary agency) acting for the applicant.
        Proxy = "PROXY",
    }
}

string_enum! {
    /// A decision on a step.
    Decision {
        /// The step's unit approves.
        Approve = "APPROVE",
        /// The step's unit denies (a reason is required).
        Deny = "DENY",
        /// Sent back to the previous task.
        Return = "RETURN",
        /// A comment; the step stays open.
        Comment = "COMMENT",
    }
}

string_enum! {
    /// Where a step stands.
    StepStatus {
        /// Waiting in the unit's worklist.
        Open = "OPEN",
        /// Approved.
        Approved = "APPROVED",
        /// Denied.
        Denied = "DENIED",
        /// Sent back to the previous task.
        Returned = "RETURNED",
        /// Closed without a decision (an optional branch after the join, or the case ended).
        Skipped = "SKIPPED",
    }
}

string_enum! {
    /// What kind of work a step is.
    StepType {
        /// A task of the workflow.
        Task = "TASK",
        /// A branch of a parallel approval.
        Branch = "BRANCH",
        /// A referral to the lead unit, which arbitrates.
        Arbitration = "ARBITRATION",
        /// A joint meeting of the units, convened by the lead unit.
        JointMeeting = "JOINT_MEETING",
    }
}

string_enum! {
    /// Who acts for an applicant.
    ProxyKind {
        /// A guide of the centre (帮办).
        Guide = "GUIDE",
        /// An intermediary agency (代办).
        Agency = "AGENCY",
    }
}

string_enum! {
    /// How a result reached the applicant.
    Handover {
        /// Collected at a window.
        Collected = "COLLECTED",
        /// Delivered by express or electronically.
        Delivered = "DELIVERED",
    }
}

/// An identity number: a resident ID or an enterprise's unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdNumber(String);

impl IdNumber {
    /// Parses an identity number: 6 to 30 letters and digits (case-insensitive).
    pub fn parse(input: &str) -> Result<IdNumber, DomainError> {
        let s = input.trim().to_ascii_uppercase();
        if !(6..=30).contains(&s.len()) || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(DomainError::new("", ErrorCode::InvalidCode, "6 to 30 letters and digits"));
        }
        Ok(IdNumber(s))
    }

    /// The number as stored (visible to staff of the centres that handle the case).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but its last four characters hidden, for public views.
    pub fn masked(&self) -> String {
        let n = self.0.chars().count();
        let tail: String = self.0.chars().skip(n.saturating_sub(4)).collect();
        format!("{}{tail}", "*".repeat(n.saturating_sub(4)))
    }

    /// Whether `tail` (4 to 6 characters) is how the number ends: the check for an anonymous
    /// status lookup.
    pub fn ends_with(&self, tail: &str) -> bool {
        let t = tail.trim().to_ascii_uppercase();
        (4..=6).contains(&t.len()) && self.0.ends_with(&t)
    }
}

/// Who applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    /// A person or an enterprise.
    pub kind: ApplicantKind,
    /// The person's or enterprise's name.
    pub name: Name,
    /// The identity number (masked in public views).
    pub id_number: IdNumber,
    /// A contact phone number (may be empty).
    pub phone: String,
}

/// Someone acting for the applicant, with the authorisation they hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proxy {
    /// A guide of the centre or an intermediary agency.
    pub kind: ProxyKind,
    /// The guide (staff of the accepting centre), for guide service.
    pub staff: Option<StaffId>,
    /// The agency (a unit of kind intermediary), for agency service.
    pub agency: Option<UnitId>,
    /// The person acting.
    pub name: Name,
    /// The authorisation: what the applicant signed (number or description of the letter of
    /// authorisation).
    pub authorisation: String,
}

/// Where and by whom a case was received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reception {
    /// The centre whose window (or channel) received it; may differ from the owner (同城通办).
    pub centre: CentreId,
    /// The window, for window cases.
    pub window: Option<WindowId>,
    /// The member of staff who received it (the system for online submissions).
    pub staff: StaffId,
}

/// A matter of a case, as catalogued in the version the case was accepted under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseMatterAt {
    /// The matter's facts.
    pub matter: CaseMatter,
    /// The catalogue version.
    pub version: u32,
    /// The names of its required materials in that version.
    pub required_materials: Vec<String>,
    /// Its statutory limit, for extensions.
    pub statutory: u16,
}

/// A case as received: what [`Case::submit`] needs.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// The case's id.
    pub id: crate::id::CaseId,
    /// The owning centre (of the matters).
    pub centre: CentreId,
    /// The number (see the store's numbering).
    pub number: String,
    /// The channel.
    pub channel: Channel,
    /// The applicant.
    pub applicant: Applicant,
    /// A proxy, if any.
    pub proxy: Option<Proxy>,
    /// Where it was received.
    pub reception: Reception,
    /// Its matters (one, or a bundle's).
    pub matters: Vec<CaseMatterAt>,
    /// The bundle, if applied for as one.
    pub bundle: Option<BundleId>,
    /// The investment project, if any.
    pub investment: Option<Investment>,
    /// Names of the materials handed in.
    pub materials: Vec<String>,
    /// The workflow the case follows, and its version (0 for the built-in ones).
    pub workflow: (WorkflowDef, u32),
    /// The queue ticket it was served from.
    pub ticket: Option<uuid::Uuid>,
    /// The day it was received.
    pub today: NaiveDate,
}

/// One step of a case's workflow as it runs: an entry in a unit's worklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Position in the case's steps (stable: steps are only appended).
    pub id: u32,
    /// The definition's key (`review`, `branch-2`, `arbitration` …).
    pub key: String,
    /// Its name, for people.
    pub name: String,
    /// What kind of work it is.
    pub kind: StepType,
    /// The unit whose worklist holds it.
    pub unit: UnitId,
    /// The role that decides it.
    pub role: Role,
    /// The matter decided, for a branch.
    pub matter: Option<MatterId>,
    /// Whether the case waits for it (optional branches only advise).
    pub required: bool,
    /// Its own clock (limit in working days, stopped with the case's).
    pub clock: Clock,
    /// Where it stands.
    pub status: StepStatus,
    /// Who decided it.
    pub decided_by: Option<StaffId>,
    /// When.
    pub decided_on: Option<NaiveDate>,
    /// The decision's reason or comments.
    pub comment: String,
}

/// The parallel approval of a case: the rule's plan, who planned it, the branch decisions and
/// the verdicts, all kept with the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParallelApproval {
    /// The split step the plan opened.
    pub split: String,
    /// The plan.
    pub plan: Plan,
    /// Which rule planned (`builtin` or the plugin).
    pub planned_by: String,
    /// Branch decisions, oldest first.
    pub decisions: Vec<BranchDecision>,
    /// Each verdict, with the rule that gave it.
    pub verdicts: Vec<(Verdict, String)>,
}

/// A case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Its id.
    pub id: crate::id::CaseId,
    /// The owning centre.
    pub centre: CentreId,
    /// The case number.
    pub number: String,
    /// Where it stands.
    pub state: CaseState,
    /// Bumped by every change (optimistic concurrency).
    pub version: u32,
    /// How it came in.
    pub channel: Channel,
    /// Who applies.
    pub applicant: Applicant,
    /// Who acts for them.
    pub proxy: Option<Proxy>,
    /// Where it was received.
    pub reception: Reception,
    /// Its matters at the accepted catalogue versions.
    pub matters: Vec<CaseMatterAt>,
    /// The bundle applied for.
    pub bundle: Option<BundleId>,
    /// The investment project.
    pub investment: Option<Investment>,
    /// Materials handed in.
    pub materials: Vec<String>,
    /// What the supplements request listed.
    pub missing: Vec<String>,
    /// The day it was received.
    pub submitted_on: NaiveDate,
    /// The day it was accepted (the clock starts the next day).
    pub accepted_on: Option<NaiveDate>,
    /// The day it was decided.
    pub decided_on: Option<NaiveDate>,
    /// The whole case's clock.
    pub clock: Option<Clock>,
    /// The workflow it follows.
    pub workflow: WorkflowDef,
    /// The workflow's version (0 for a built-in workflow).
    pub workflow_version: u32,
    /// Its steps, in the order they were opened.
    pub steps: Vec<Step>,
    /// Its parallel approval, once planned.
    pub parallel: Option<ParallelApproval>,
    /// The reason of a refusal, denial or withdrawal.
    pub reason: String,
    /// The queue ticket it was served from.
    pub ticket: Option<uuid::Uuid>,
}

/// Who is acting on a case.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    /// The member of staff.
    pub staff: StaffId,
    /// Their unit.
    pub unit: Option<UnitId>,
    /// Their roles.
    pub roles: Roles,
}

/// What can be done to a case.
#[derive(Debug, Clone)]
pub enum Command {
    /// Accept it: the materials are complete; the clock starts.
    Accept,
    /// Refuse it, with a reason.
    Refuse {
        /// Why.
        reason: String,
    },
    /// Ask for supplements: the full list, once.
    RequestSupplements {
        /// Everything that is missing.
        missing: Vec<String>,
    },
    /// The supplements arrived: accept the case.
    ReceiveSupplements {
        /// What was handed in.
        materials: Vec<String>,
    },
    /// Decide a step.
    Decide {
        /// The step's id.
        step: u32,
        /// The decision.
        decision: Decision,
        /// A reason or comment (required to deny).
        comment: String,
        /// Who decides.
        actor: Actor,
    },
    /// Stop the clock.
    Suspend {
        /// Why.
        reason: PauseReason,
        /// What, for people.
        note: String,
    },
    /// Restart the clock.
    Resume,
    /// Extend the time limit (approved by a unit lead).
    Extend {
        /// Working days added.
        days: u16,
        /// Why.
        reason: String,
    },
    /// Issue the result.
    IssueResult {
        /// What was issued (licence number …).
        note: String,
    },
    /// Hand the result over.
    HandOver {
        /// Collected or delivered.
        how: Handover,
        /// Tracking number, who collected …
        note: String,
    },
    /// The applicant withdraws.
    Withdraw {
        /// Why.
        reason: String,
    },
}

impl Command {
    /// The command's name in the history (`ACCEPT`, `DECIDE` …).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Accept => "ACCEPT",
            Command::Refuse { .. } => "REFUSE",
            Command::RequestSupplements { .. } => "REQUEST_SUPPLEMENTS",
            Command::ReceiveSupplements { .. } => "RECEIVE_SUPPLEMENTS",
            Command::Decide { .. } => "DECIDE",
            Command::Suspend { .. } => "SUSPEND",
            Command::Resume => "RESUME",
            Command::Extend { .. } => "EXTEND",
            Command::IssueResult { .. } => "ISSUE_RESULT",
            Command::HandOver { .. } => "HAND_OVER",
            Command::Withdraw { .. } => "WITHDRAW",
        }
    }
}

/// What a command changed, as recorded in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Change {
    /// Received.
    Submitted,
    /// Accepted; the promised date.
    Accepted {
        /// The due date of the whole case.
        due: Option<NaiveDate>,
    },
    /// Refused.
    Refused {
        /// Why.
        reason: String,
    },
    /// Supplements asked for.
    SupplementsRequested {
        /// The full list.
        missing: Vec<String>,
    },
    /// Supplements received.
    SupplementsReceived {
        /// What was handed in.
        materials: Vec<String>,
    },
    /// A step was opened in a unit's worklist.
    StepOpened {
        /// The step's id.
        step: u32,
        /// Its key.
        key: String,
        /// The unit.
        unit: UnitId,
        /// Its due date.
        due: Option<NaiveDate>,
    },
    /// A step was decided.
    StepDecided {
        /// The step's id.
        step: u32,
        /// The decision.
        decision: Decision,
        /// Reason or comment.
        comment: String,
    },
    /// A step was closed without a decision.
    StepSkipped {
        /// The step's id.
        step: u32,
    },
    /// The parallel-approval rule planned the branches.
    Planned {
        /// The rule (`builtin` or the plugin).
        rule: String,
        /// The plan.
        plan: Plan,
    },
    /// The parallel-approval rule gave a verdict after a branch decided.
    Joined {
        /// The rule.
        rule: String,
        /// The verdict.
        verdict: Verdict,
    },
    /// The clock stopped.
    Suspended {
        /// Why.
        reason: PauseReason,
        /// What.
        note: String,
    },
    /// The clock restarted.
    Resumed {
        /// The new due date.
        due: Option<NaiveDate>,
    },
    /// The limit was extended.
    Extended {
        /// Working days added.
        days: u16,
        /// Why.
        reason: String,
        /// The new due date.
        due: Option<NaiveDate>,
    },
    /// Approved.
    Approved,
    /// Denied.
    Denied {
        /// Why.
        reason: String,
    },
    /// The result was issued.
    ResultIssued {
        /// What.
        note: String,
    },
    /// The result was handed over.
    HandedOver {
        /// How.
        how: Handover,
        /// Details.
        note: String,
    },
    /// Withdrawn.
    Withdrawn {
        /// Why.
        reason: String,
    },
}

/// Why a command failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// The command is not allowed or its input is wrong (every problem listed).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<DomainError>),
    /// The centre's parallel-approval rule failed; nothing changed.
    #[error(transparent)]
    Rule(#[from] RuleError),
}

impl From<DomainError> for CaseError {
    fn from(e: DomainError) -> Self {
        CaseError::Invalid(vec![e])
    }
}

/// The facts a command is applied with.
pub struct Ctx<'a> {
    /// Today, in the centre's time zone.
    pub today: NaiveDate,
    /// The owning centre's calendar.
    pub calendar: &'a Calendar,
    /// The owning centre's parallel-approval rule.
    pub rule: &'a dyn ParallelApprovalRule,
    /// What to record as the rule (`builtin`, or the plugin's name and hash).
    pub rule_name: &'a str,
    /// The owning centre's units, for plans.
    pub unit: &'a dyn Fn(UnitId) -> Option<InvolvedUnit>,
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").field("today", &self.today).field("rule", &self.rule_name).finish_non_exhaustive()
    }
}

fn invalid(field: &str, code: ErrorCode, message: impl Into<String>) -> CaseError {
    CaseError::Invalid(vec![DomainError::new(field, code, message)])
}

fn state_error(state: CaseState, what: &str) -> CaseError {
    invalid("case", ErrorCode::InvalidState, format!("a case that is {state} cannot {what}"))
}

fn reason(text: &str, field: &str) -> Result<String, CaseError> {
    parse_text(text, 2000, true).map_err(|e| CaseError::Invalid(vec![e.under(field)]))
}

impl Case {
    /// A case as received: `SUBMITTED`, its workflow chosen, nothing started.
    pub fn submit(new: NewCase) -> (Case, Vec<Change>) {
        let case = Case {
            id: new.id,
            centre: new.centre,
            number: new.number,
            state: CaseState::Submitted,
            version: 1,
            channel: new.channel,
            applicant: new.applicant,
            proxy: new.proxy,
            reception: new.reception,
            matters: new.matters,
            bundle: new.bundle,
            investment: new.investment,
            materials: new.materials,
            missing: Vec::new(),
            submitted_on: new.today,
            accepted_on: None,
            decided_on: None,
            clock: None,
            workflow: new.workflow.0,
            workflow_version: new.workflow.1,
            steps: Vec::new(),
            parallel: None,
            reason: String::new(),
            ticket: new.ticket,
        };
        (case, vec![Change::Submitted])
    }

    /// The case's time limit: the longest promised limit of its matters.
    pub fn promised_limit(&self) -> u16 {
        self.matters.iter().map(|m| m.matter.limits.promised().get()).max().unwrap_or(0)
    }

    /// The longest statutory limit of its matters: extensions may not go beyond it.
    pub fn statutory_limit(&self) -> u16 {
        self.matters.iter().map(|m| m.statutory).max().unwrap_or(0)
    }

    /// The due date of the whole case, once accepted and while the clock runs.
    pub fn due(&self, cal: &Calendar) -> Option<NaiveDate> {
        self.clock.as_ref().and_then(|c| c.deadline(cal))
    }

    /// Required materials of its matters not handed in, by name.
    pub fn missing_materials(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in &self.matters {
            for name in &m.required_materials {
                if !self.materials.iter().any(|h| h == name) && !out.contains(name) {
                    out.push(name.clone());
                }
            }
        }
        out
    }

    /// The open steps.
    pub fn open_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.status == StepStatus::Open)
    }

    /// Applies `cmd`: the case after it and what changed, or why not (and nothing changed).
    pub fn apply(&self, cmd: &Command, ctx: &Ctx<'_>) -> Result<(Case, Vec<Change>), CaseError> {
        let mut next = self.clone();
        let mut changes = Vec::new();
        next.run(cmd, ctx, &mut changes)?;
        next.version += 1;
        Ok((next, changes))
    }

    fn run(&mut self, cmd: &Command, ctx: &Ctx<'_>, out: &mut Vec<Change>) -> Result<(), CaseError> {
        use CaseState as S;
        match cmd {
            Command::Accept => match self.state {
                S::Submitted => self.accept(ctx, out),
                S::AwaitingSupplements => {
                    Err(state_error(self.state, "be accepted before the supplements are received"))
                }
                s => Err(state_error(s, "be accepted")),
            },
            Command::Refuse { reason: r } => match self.state {
                S::Submitted | S::AwaitingSupplements => {
                    self.reason = reason(r, "reason")?;
                    self.state = S::Refused;
                    out.push(Change::Refused { reason: self.reason.clone() });
                    Ok(())
                }
                s => Err(state_error(s, "be refused")),
            },
            Command::RequestSupplements { missing } => {
                if self.state == S::AwaitingSupplements || !self.missing.is_empty() {
                    return Err(invalid(
                        "missing",
                        ErrorCode::InvalidState,
                        "supplements are asked for once, with the full list (一次性告知)",
                    ));
                }
                if self.state != S::Submitted {
                    return Err(state_error(self.state, "ask for supplements"));
                }
                let mut list = Vec::new();
                let mut errors = Vec::new();
                for (i, m) in missing.iter().enumerate() {
                    match parse_text(m, 200, true) {
                        Ok(m) if list.contains(&m) => {
                            errors.push(DomainError::new(format!("missing.{i}"), ErrorCode::Duplicate, "listed twice"))
                        }
                        Ok(m) => list.push(m),
                        Err(e) => errors.push(e.under(&format!("missing.{i}"))),
                    }
                }
                if list.is_empty() && errors.is_empty() {
                    errors.push(DomainError::new("missing", ErrorCode::TooFew, "list what is missing"));
                }
                if !errors.is_empty() {
                    return Err(CaseError::Invalid(errors));
                }
                self.missing = list.clone();
                self.state = S::AwaitingSupplements;
                out.push(Change::SupplementsRequested { missing: list });
                Ok(())
            }
            Command::ReceiveSupplements { materials } => {
                if self.state != S::AwaitingSupplements {
                    return Err(state_error(self.state, "receive supplements"));
                }
                let absent: Vec<DomainError> = self
                    .missing
                    .iter()
                    .filter(|m| !materials.iter().any(|h| h.trim() == m.as_str()))
                    .map(|m| {
                        DomainError::new("materials", ErrorCode::MaterialMissing, format!("`{m}` is still missing"))
                    })
                    .collect();
                if !absent.is_empty() {
                    return Err(CaseError::Invalid(absent));
                }
                for m in materials {
                    let m = m.trim().to_owned();
                    if !m.is_empty() && !self.materials.contains(&m) {
                        self.materials.push(m);
                    }
                }
                out.push(Change::SupplementsReceived { materials: materials.clone() });
                self.accept(ctx, out)
            }
            Command::Decide { step, decision, comment, actor } => {
                self.decide(*step, *decision, comment, actor, ctx, out)
            }
            Command::Suspend { reason: why, note } => {
                if self.state != S::InReview {
                    return Err(state_error(self.state, "be suspended"));
                }
                let note = reason(note, "note")?;
                let today = ctx.today;
                if let Some(c) = self.clock.as_mut() {
                    c.pause(*why, note.clone(), today)?;
                }
                for s in self.steps.iter_mut().filter(|s| s.status == StepStatus::Open) {
                    s.clock.pause(*why, note.clone(), today)?;
                }
                self.state = S::Suspended;
                out.push(Change::Suspended { reason: *why, note });
                Ok(())
            }
            Command::Resume => {
                if self.state != S::Suspended {
                    return Err(state_error(self.state, "be resumed"));
                }
                let today = ctx.today;
                if let Some(c) = self.clock.as_mut() {
                    c.resume(today)?;
                }
                for s in self.steps.iter_mut().filter(|s| s.status == StepStatus::Open) {
                    s.clock.resume(today)?;
                }
                self.state = S::InReview;
                out.push(Change::Resumed { due: self.due(ctx.calendar) });
                Ok(())
            }
            Command::Extend { days, reason: why } => {
                if !self.state.is_pending() {
                    return Err(state_error(self.state, "be extended"));
                }
                let why = reason(why, "reason")?;
                let Some(clock) = self.clock.as_mut() else { return Err(state_error(self.state, "be extended")) };
                let total = u32::from(clock.limit) + u32::from(clock.extension) + u32::from(*days);
                let statutory = self.matters.iter().map(|m| m.statutory).max().unwrap_or(0);
                if *days == 0 || total > u32::from(statutory) {
                    return Err(invalid(
                        "days",
                        ErrorCode::OutOfRange,
                        format!(
                            "the limit with extensions ({total} working days) must stay within the statutory \
                             limit of {statutory}"
                        ),
                    ));
                }
                clock.extension += days;
                out.push(Change::Extended { days: *days, reason: why, due: self.due(ctx.calendar) });
                Ok(())
            }
            Command::IssueResult { note } => match self.state {
                S::Approved | S::Denied => {
                    self.state = S::ResultIssued;
                    out.push(Change::ResultIssued {
                        note: parse_text(note, 2000, false).map_err(|e| e.under("note"))?,
                    });
                    Ok(())
                }
                s => Err(state_error(s, "have its result issued")),
            },
            Command::HandOver { how, note } => match self.state {
                S::ResultIssued => {
                    self.state = match how {
                        Handover::Collected => S::Collected,
                        Handover::Delivered => S::Delivered,
                    };
                    out.push(Change::HandedOver {
                        how: *how,
                        note: parse_text(note, 2000, false).map_err(|e| e.under("note"))?,
                    });
                    Ok(())
                }
                s => Err(state_error(s, "be handed over")),
            },
            Command::Withdraw { reason: why } => match self.state {
                S::Submitted | S::AwaitingSupplements | S::InReview | S::Suspended => {
                    self.reason = reason(why, "reason")?;
                    self.close_open_steps(out);
                    self.state = S::Withdrawn;
                    out.push(Change::Withdrawn { reason: self.reason.clone() });
                    Ok(())
                }
                s => Err(state_error(s, "be withdrawn")),
            },
        }
    }

    fn accept(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Change>) -> Result<(), CaseError> {
        let missing: Vec<DomainError> = self
            .missing_materials()
            .into_iter()
            .map(|m| {
                DomainError::new(
                    "materials",
                    ErrorCode::MaterialMissing,
                    format!("`{m}` is required; ask for supplements or hand it in"),
                )
            })
            .collect();
        if !missing.is_empty() {
            return Err(CaseError::Invalid(missing));
        }
        self.accepted_on = Some(ctx.today);
        self.clock = Some(Clock::start(ctx.today, self.promised_limit()));
        self.state = CaseState::InReview;
        out.push(Change::Accepted { due: self.due(ctx.calendar) });
        let start = self.workflow.start().map(|s| s.key.clone()).unwrap_or_default();
        self.enter(&start, ctx, out)
    }

    /// The unit that decides a task of the definition: its own, or the owner unit of the first
    /// matter.
    fn task_unit(&self, unit: Option<UnitId>) -> UnitId {
        unit.or_else(|| self.matters.first().map(|m| m.matter.owner_unit)).unwrap_or(UnitId(uuid::Uuid::nil()))
    }

    #[allow(clippy::too_many_arguments)]
    fn open(
        &mut self,
        key: &str,
        name: &str,
        kind: StepType,
        unit: UnitId,
        role: Role,
        matter: Option<MatterId>,
        required: bool,
        limit: u16,
        ctx: &Ctx<'_>,
        out: &mut Vec<Change>,
    ) {
        let id = self.steps.len() as u32;
        let clock = Clock::start(ctx.today, limit);
        let due = clock.deadline(ctx.calendar);
        self.steps.push(Step {
            id,
            key: key.to_owned(),
            name: name.to_owned(),
            kind,
            unit,
            role,
            matter,
            required,
            clock,
            status: StepStatus::Open,
            decided_by: None,
            decided_on: None,
            comment: String::new(),
        });
        out.push(Change::StepOpened { step: id, key: key.to_owned(), unit, due });
    }

    /// Moves the case into step `key` of its workflow (or finishes it when `key` is empty).
    fn enter(&mut self, key: &str, ctx: &Ctx<'_>, out: &mut Vec<Change>) -> Result<(), CaseError> {
        let Some(def) = self.workflow.step(key).cloned() else {
            self.finish(None, ctx, out);
            return Ok(());
        };
        match def.kind {
            StepKind::Task => {
                let unit = self.task_unit(def.unit);
                self.open(&def.key, &def.name, StepType::Task, unit, def.role, None, true, def.limit, ctx, out);
                Ok(())
            }
            StepKind::Join => {
                let next = def.next.first().cloned().unwrap_or_default();
                self.enter(&next, ctx, out)
            }
            StepKind::Split => self.split(&def.key, ctx, out),
        }
    }

    /// Opens a split's branches as the centre's rule plans them.
    fn split(&mut self, key: &str, ctx: &Ctx<'_>, out: &mut Vec<Change>) -> Result<(), CaseError> {
        let def = self.workflow.step(key).cloned().unwrap_or_else(|| WorkflowDef::single_review(0).steps[0].clone());
        // Each branch: its first task and that task's unit.
        let chains: Vec<(String, UnitId)> = def
            .next
            .iter()
            .filter_map(|b| self.workflow.step(b))
            .map(|s| (s.key.clone(), self.task_unit(s.unit)))
            .collect();
        let mut units: Vec<InvolvedUnit> = Vec::new();
        for (_, u) in &chains {
            if !units.iter().any(|x| x.id == *u) {
                units
                    .push((ctx.unit)(*u).ok_or_else(|| {
                        RuleError::InvalidInput(format!("unit {u} of the workflow no longer exists"))
                    })?);
            }
        }
        let input = PlanInput {
            today: ctx.today,
            case_number: self.number.clone(),
            applicant: self.applicant.kind,
            investment: self.investment,
            matters: self.matters.iter().map(|m| m.matter.clone()).collect(),
            units,
        };
        let plan = ctx.rule.plan(&input)?;
        validate_plan(&input, &plan)?;
        // Each planned branch takes the first unused chain of its unit.
        let mut used = vec![false; chains.len()];
        let mut opened = Vec::new();
        for b in &plan.branches {
            let Some(i) = chains.iter().enumerate().position(|(i, (_, u))| !used[i] && *u == b.unit) else {
                return Err(RuleError::malformed(format!(
                    "the plan has more branches for unit {} than the workflow has branch steps for it",
                    b.unit
                ))
                .into());
            };
            used[i] = true;
            opened.push((chains[i].0.clone(), b.clone()));
        }
        out.push(Change::Planned { rule: ctx.rule_name.to_owned(), plan: plan.clone() });
        self.parallel = Some(ParallelApproval {
            split: key.to_owned(),
            plan,
            planned_by: ctx.rule_name.to_owned(),
            decisions: Vec::new(),
            verdicts: Vec::new(),
        });
        for (chain, b) in opened {
            let step = self.workflow.step(&chain).cloned();
            let (name, role) = step.map(|s| (s.name, s.role)).unwrap_or_else(|| (chain.clone(), Role::Approver));
            self.open(
                &chain,
                &name,
                StepType::Branch,
                b.unit,
                role,
                Some(b.matter),
                b.required,
                b.time_limit.get(),
                ctx,
                out,
            );
        }
        Ok(())
    }

    fn decide(
        &mut self,
        id: u32,
        decision: Decision,
        comment: &str,
        actor: &Actor,
        ctx: &Ctx<'_>,
        out: &mut Vec<Change>,
    ) -> Result<(), CaseError> {
        // A step someone else closed first is a conflict, whatever it did to the case.
        let Some(step) = self.steps.get(id as usize).cloned() else {
            return Err(invalid("step", ErrorCode::InvalidReference, format!("the case has no step {id}")));
        };
        if step.status == StepStatus::Open {
            match self.state {
                CaseState::InReview => {}
                CaseState::Suspended => {
                    return Err(invalid("case", ErrorCode::InvalidState, "the case is suspended; resume it first"));
                }
                s => return Err(state_error(s, "have its steps decided")),
            }
        }
        if step.status != StepStatus::Open {
            return Err(invalid(
                "step",
                ErrorCode::Conflict,
                format!(
                    "step {id} ({}) is {} already{}; reload the case",
                    step.name,
                    step.status,
                    step.decided_on.map(|d| format!(" since {d}")).unwrap_or_default()
                ),
            ));
        }
        if actor.unit != Some(step.unit) || !actor.roles.has(step.role) {
            return Err(invalid(
                "step",
                ErrorCode::NotAssigned,
                format!("step {id} is for the {} role of its unit's worklist", step.role.as_str()),
            ));
        }
        let comment = parse_text(comment, 2000, decision == Decision::Deny).map_err(|e| e.under("comment"))?;
        if decision == Decision::Comment {
            if comment.is_empty() {
                return Err(invalid("comment", ErrorCode::Required, "a comment needs text"));
            }
            let s = &mut self.steps[id as usize];
            s.comment = if s.comment.is_empty() { comment.clone() } else { format!("{}\n{comment}", s.comment) };
            out.push(Change::StepDecided { step: id, decision, comment });
            return Ok(());
        }
        if decision == Decision::Return {
            let prev = self.workflow.previous_task(&step.key).cloned().filter(|_| step.kind != StepType::Arbitration);
            let Some(prev) = prev.filter(|p| step.kind == StepType::Task || self.workflow.split_of(&p.key).is_some())
            else {
                return Err(invalid(
                    "decision",
                    ErrorCode::InvalidState,
                    "this step has no previous task to return to",
                ));
            };
            self.close(id, StepStatus::Returned, actor.staff, comment.clone(), ctx.today);
            out.push(Change::StepDecided { step: id, decision, comment });
            let unit = if step.kind == StepType::Branch { step.unit } else { self.task_unit(prev.unit) };
            self.open(
                &prev.key,
                &prev.name,
                step.kind,
                unit,
                prev.role,
                step.matter,
                step.required,
                prev.limit,
                ctx,
                out,
            );
            return Ok(());
        }
        let approved = decision == Decision::Approve;
        let status = if approved { StepStatus::Approved } else { StepStatus::Denied };
        self.close(id, status, actor.staff, comment.clone(), ctx.today);
        out.push(Change::StepDecided { step: id, decision, comment: comment.clone() });
        let next = self.workflow.step(&step.key).and_then(|d| d.next.first().cloned()).unwrap_or_default();
        match step.kind {
            StepType::Task if approved => self.enter(&next, ctx, out),
            StepType::Task => {
                self.deny(comment, ctx, out);
                Ok(())
            }
            StepType::Arbitration | StepType::JointMeeting if approved => {
                let after = self.after_join();
                self.enter(&after, ctx, out)
            }
            StepType::Arbitration | StepType::JointMeeting => {
                self.deny(comment, ctx, out);
                Ok(())
            }
            StepType::Branch => {
                let next_is_task = self.workflow.step(&next).is_some_and(|d| d.kind == StepKind::Task);
                if approved && next_is_task {
                    let d = self
                        .workflow
                        .step(&next)
                        .cloned()
                        .unwrap_or_else(|| WorkflowDef::single_review(0).steps[0].clone());
                    self.open(
                        &d.key,
                        &d.name,
                        StepType::Branch,
                        step.unit,
                        d.role,
                        step.matter,
                        step.required,
                        d.limit,
                        ctx,
                        out,
                    );
                    return Ok(());
                }
                self.branch_decided(&step, approved, comment, ctx, out)
            }
        }
    }

    /// The step after the join of the case's parallel approval.
    fn after_join(&self) -> String {
        let split = self.parallel.as_ref().map(|p| p.split.clone()).unwrap_or_default();
        self.workflow.join_of(&split).and_then(|j| j.next.first().cloned()).unwrap_or_default()
    }

    fn branch_decided(
        &mut self,
        step: &Step,
        approved: bool,
        reason: String,
        ctx: &Ctx<'_>,
        out: &mut Vec<Change>,
    ) -> Result<(), CaseError> {
        let Some(parallel) = self.parallel.as_mut() else {
            return Err(invalid("step", ErrorCode::InvalidState, "the case has no parallel approval"));
        };
        let first_opened = self
            .steps
            .iter()
            .find(|s| s.kind == StepType::Branch && s.unit == step.unit && s.matter == step.matter)
            .map(|s| s.clock.started_on)
            .unwrap_or(ctx.today);
        let days = ctx.calendar.working_days_between(first_opened, ctx.today).clamp(0, i64::from(WorkingDays::MAX));
        parallel.decisions.push(BranchDecision {
            unit: step.unit,
            matter: step.matter.unwrap_or(MatterId(uuid::Uuid::nil())),
            outcome: if approved { BranchOutcome::Approved } else { BranchOutcome::Denied },
            reason,
            decided_on: ctx.today,
            days_taken: WorkingDays::parse(days).unwrap_or(WorkingDays::parse(0).map_err(CaseError::from)?),
        });
        let input = BranchInput {
            today: ctx.today,
            case_number: self.number.clone(),
            plan: parallel.plan.clone(),
            decisions: parallel.decisions.clone(),
        };
        let verdict = ctx.rule.on_branch_decided(&input)?;
        validate_verdict(&input, &verdict)?;
        parallel.verdicts.push((verdict.clone(), ctx.rule_name.to_owned()));
        let lead = parallel.plan.lead_unit;
        out.push(Change::Joined { rule: ctx.rule_name.to_owned(), verdict: verdict.clone() });
        let remaining = self.clock.as_ref().map(|c| c.remaining(ctx.calendar, ctx.today)).unwrap_or(1).clamp(1, 3650);
        match verdict {
            Verdict::Wait => Ok(()),
            Verdict::Approve => {
                self.close_open_steps(out);
                let after = self.after_join();
                self.enter(&after, ctx, out)
            }
            Verdict::Deny { reason } => {
                self.deny(reason, ctx, out);
                Ok(())
            }
            Verdict::ReferToLead { reason } => {
                self.close_open_steps(out);
                let name = format!("Arbitration by the lead unit: {reason}");
                let limit = remaining as u16;
                self.open(
                    "arbitration",
                    &name,
                    StepType::Arbitration,
                    lead,
                    Role::UnitLead,
                    None,
                    true,
                    limit,
                    ctx,
                    out,
                );
                Ok(())
            }
            Verdict::ReferToJointMeeting { reason } => {
                self.close_open_steps(out);
                let name = format!("Joint meeting of the units: {reason}");
                let limit = remaining as u16;
                self.open(
                    "joint-meeting",
                    &name,
                    StepType::JointMeeting,
                    lead,
                    Role::UnitLead,
                    None,
                    true,
                    limit,
                    ctx,
                    out,
                );
                Ok(())
            }
        }
    }

    fn close(&mut self, id: u32, status: StepStatus, by: StaffId, comment: String, today: NaiveDate) {
        if let Some(s) = self.steps.get_mut(id as usize) {
            s.status = status;
            s.decided_by = Some(by);
            s.decided_on = Some(today);
            if !comment.is_empty() {
                s.comment = if s.comment.is_empty() { comment } else { format!("{}\n{comment}", s.comment) };
            }
        }
    }

    fn close_open_steps(&mut self, out: &mut Vec<Change>) {
        for s in self.steps.iter_mut().filter(|s| s.status == StepStatus::Open) {
            s.status = StepStatus::Skipped;
            out.push(Change::StepSkipped { step: s.id });
        }
    }

    fn deny(&mut self, reason: String, ctx: &Ctx<'_>, out: &mut Vec<Change>) {
        self.close_open_steps(out);
        self.finish(Some(reason), ctx, out);
    }

    fn finish(&mut self, denial: Option<String>, ctx: &Ctx<'_>, out: &mut Vec<Change>) {
        self.decided_on = Some(ctx.today);
        match denial {
            Some(reason) => {
                self.reason = reason.clone();
                self.state = CaseState::Denied;
                out.push(Change::Denied { reason });
            }
            None => {
                self.state = CaseState::Approved;
                out.push(Change::Approved);
            }
        }
    }
}

#[cfg(test)]
mod tests;
