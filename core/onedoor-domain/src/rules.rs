//! Local rules: the parallel-approval and evaluation rules a centre may replace with a plugin,
//! their inputs and outputs, the built-in defaults, and the checks every output must pass.
//!
//! A rule is a pure function of its input: the input carries every fact the rule needs
//! (today's date included), so a decision can be recorded and replayed. The built-in rules
//! ([`DefaultParallelApproval`], [`DefaultEvaluation`]) apply where a centre has no plugin; a
//! plugin host implements the same traits for a loaded plugin and checks what it answers with
//! [`validate_plan`], [`validate_verdict`] and [`validate_assessment`].

use crate::catalogue::MatterType;
use crate::id::{MatterId, StaffId, UnitId, WindowId};
use crate::organisation::UnitKind;
use crate::values::{Code, Fen, MatterCode, Name, TimeLimits, WorkingDays};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Why a rule gave no decision. Each variant has a stable [`code`](RuleError::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RuleError {
    /// The rule does not provide this hook; the built-in rule applies instead.
    #[error("the rule does not provide this hook")]
    NotProvided,
    /// The input lacks a fact the rule needs, or holds one it cannot handle.
    #[error("the rule cannot use its input: {0}")]
    InvalidInput(String),
    /// The rule cannot decide this case.
    #[error("the rule failed: {0}")]
    Failed(String),
    /// The rule answered something that breaks the contract (e.g. a lead unit not involved).
    #[error("the rule's output is malformed: {0}")]
    MalformedOutput(String),
    /// The engine running the rule failed (a plugin trapped, ran out of fuel or memory …);
    /// `code` is the engine's stable code, e.g. `OUT_OF_FUEL`.
    #[error("the rule engine failed ({code}): {message}")]
    Engine {
        /// The engine's stable code.
        code: String,
        /// A sentence for people.
        message: String,
    },
}

impl RuleError {
    /// The stable code: `RULE_NOT_PROVIDED`, `RULE_INVALID_INPUT`, `RULE_FAILED`,
    /// `MALFORMED_OUTPUT`, or the engine's own code.
    pub fn code(&self) -> &str {
        match self {
            RuleError::NotProvided => "RULE_NOT_PROVIDED",
            RuleError::InvalidInput(_) => "RULE_INVALID_INPUT",
            RuleError::Failed(_) => "RULE_FAILED",
            RuleError::MalformedOutput(_) => "MALFORMED_OUTPUT",
            RuleError::Engine { code, .. } => code,
        }
    }

    pub(crate) fn malformed(message: impl Into<String>) -> RuleError {
        RuleError::MalformedOutput(message.into())
    }
}

/// Who applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantKind {
    /// A natural person.
    Person,
    /// An enterprise or another organisation.
    Enterprise,
}

/// A unit involved in a case: the owner unit of one of its matters, or a supporting unit of
/// its bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvolvedUnit {
    /// The unit.
    pub id: UnitId,
    /// Its code, unique in its centre.
    pub code: Code,
    /// Its name.
    pub name: Name,
    /// What kind of body it is.
    pub kind: UnitKind,
}

/// One matter of a case, as catalogued in the version the case was accepted under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseMatter {
    /// The matter.
    pub id: MatterId,
    /// Its catalogue code.
    pub code: MatterCode,
    /// Its name.
    pub name: Name,
    /// Its legal type.
    pub matter_type: MatterType,
    /// The unit that owns (decides) it.
    pub owner_unit: UnitId,
    /// Its statutory and promised time limits.
    pub limits: TimeLimits,
}

/// The investment project a case belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Investment {
    /// The project's total investment.
    pub amount: Fen,
    /// Whether the project is on the government's list of key projects (重点项目).
    pub key_project: bool,
}

/// Everything a parallel-approval plan is decided from: a case just accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInput {
    /// Today, in the centre's time zone.
    pub today: NaiveDate,
    /// The case number.
    pub case_number: String,
    /// Who applies.
    pub applicant: ApplicantKind,
    /// The investment project, when the case belongs to one.
    pub investment: Option<Investment>,
    /// The case's matters, in the order the applicant listed them.
    pub matters: Vec<CaseMatter>,
    /// Every unit involved in the case; a plan may name no other.
    pub units: Vec<InvolvedUnit>,
}

/// How the branches' decisions are joined into the case's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinPolicy {
    /// Every required branch must approve; one denial by a required branch denies the case.
    AllApprove,
    /// Every required branch must approve; a denial goes to the lead unit, which arbitrates.
    LeadArbitrates,
    /// Every required branch must approve; a denial goes to a joint meeting of the units.
    JointMeeting,
}

/// One branch of a plan: one unit deciding one matter, in parallel with the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    /// The deciding unit.
    pub unit: UnitId,
    /// The matter it decides.
    pub matter: MatterId,
    /// The branch's time limit (at most the matter's promised limit).
    pub time_limit: WorkingDays,
    /// Whether the case waits for this branch; an optional branch only advises.
    pub required: bool,
}

/// A parallel-approval plan for an accepted case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The lead unit (牵头单位).
    pub lead_unit: UnitId,
    /// The branches.
    pub branches: Vec<Branch>,
    /// How the branches' decisions are joined.
    pub join_policy: JoinPolicy,
    /// Why the plan looks like this, for people.
    pub rationale: String,
}

/// What a branch decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchOutcome {
    /// The unit approves its matter.
    Approved,
    /// The unit denies its matter.
    Denied,
}

/// A branch's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchDecision {
    /// The deciding unit.
    pub unit: UnitId,
    /// The matter decided.
    pub matter: MatterId,
    /// Approved or denied.
    pub outcome: BranchOutcome,
    /// The unit's reason (may be empty for an approval).
    pub reason: String,
    /// The day of the decision.
    pub decided_on: NaiveDate,
    /// Working days the branch took.
    pub days_taken: WorkingDays,
}

/// Everything a verdict is decided from: the case's plan and its branches' decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchInput {
    /// Today, in the centre's time zone.
    pub today: NaiveDate,
    /// The case number.
    pub case_number: String,
    /// The plan the case follows.
    pub plan: Plan,
    /// The decisions so far, oldest first; the last one has just arrived.
    pub decisions: Vec<BranchDecision>,
}

impl BranchInput {
    /// The latest decision of each branch of the plan that has decided, by (unit, matter).
    pub fn latest_decisions(&self) -> BTreeMap<(UnitId, MatterId), &BranchDecision> {
        let mut latest = BTreeMap::new();
        for d in &self.decisions {
            latest.insert((d.unit, d.matter), d);
        }
        latest
    }
}

/// What happens to the case after a branch has decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Wait for more branches.
    Wait,
    /// Approve the case.
    Approve,
    /// Deny the case.
    Deny {
        /// The reason given to the applicant.
        reason: String,
    },
    /// Refer the case to the lead unit, which arbitrates.
    ReferToLead {
        /// Why.
        reason: String,
    },
    /// Refer the case to a joint meeting of the units involved.
    ReferToJointMeeting {
        /// Why.
        reason: String,
    },
}

/// The five levels of a satisfaction rating (好差评).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingLevel {
    /// 非常满意.
    VerySatisfied,
    /// 满意.
    Satisfied,
    /// 基本满意.
    Neutral,
    /// 不满意.
    Dissatisfied,
    /// 非常不满意.
    VeryDissatisfied,
}

impl RatingLevel {
    /// Whether the rating is a bad one (dissatisfied or very dissatisfied).
    pub fn is_bad(self) -> bool {
        matches!(self, RatingLevel::Dissatisfied | RatingLevel::VeryDissatisfied)
    }
}

/// Where a rating came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingChannel {
    /// The rating device at the window.
    OnSite,
    /// The online portal or app.
    Online,
    /// A text message after the visit.
    Sms,
    /// A phone call back to the applicant.
    ReturnCall,
    /// The 12345 citizen hotline.
    Hotline,
}

/// Everything a follow-up is decided from: one rating just received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingInput {
    /// Today, in the centre's time zone.
    pub today: NaiveDate,
    /// The rating.
    pub level: RatingLevel,
    /// Where it came from.
    pub channel: RatingChannel,
    /// The indicators the applicant marked as unsatisfactory (`attitude`, `efficiency` …).
    pub indicators: Vec<String>,
    /// The applicant's comment.
    pub comment: String,
    /// The window rated, if known.
    pub window: Option<WindowId>,
    /// The unit rated, if known.
    pub unit: Option<UnitId>,
    /// The member of staff rated, if known.
    pub staff: Option<StaffId>,
    /// The matter the visit was about, if known.
    pub matter: Option<MatterId>,
    /// The case rated, if the rating is about a case.
    pub case_number: Option<String>,
    /// Bad ratings of the same member of staff (or window) in the 30 days before this one.
    pub recent_bad_ratings: u32,
}

/// A rectification (整改) opened after a bad rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rectification {
    /// Working days from today until it is due.
    pub due_in: WorkingDays,
}

/// Who is told about a rating beyond the people rated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// Nobody.
    None,
    /// The lead of the unit rated.
    UnitLead,
    /// The centre's supervisors.
    Supervisor,
}

/// What follows a rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// Whether the applicant gets a return visit (回访).
    pub return_visit: bool,
    /// The rectification to open, if any.
    pub rectification: Option<Rectification>,
    /// Who is told.
    pub escalation: Escalation,
}

/// A subject of an assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// A window of the hall.
    Window(WindowId),
    /// A unit stationed in the centre.
    Unit(UnitId),
    /// A member of staff.
    Staff(StaffId),
}

impl Subject {
    /// The kind of subject, as a word (`window`, `unit`, `staff`).
    pub fn kind(self) -> &'static str {
        match self {
            Subject::Window(_) => "window",
            Subject::Unit(_) => "unit",
            Subject::Staff(_) => "staff",
        }
    }
}

/// How many ratings of each level a subject received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingCounts {
    /// 非常满意.
    pub very_satisfied: u32,
    /// 满意.
    pub satisfied: u32,
    /// 基本满意.
    pub neutral: u32,
    /// 不满意.
    pub dissatisfied: u32,
    /// 非常不满意.
    pub very_dissatisfied: u32,
}

impl RatingCounts {
    /// All ratings.
    pub fn total(&self) -> u64 {
        [self.very_satisfied, self.satisfied, self.neutral, self.dissatisfied, self.very_dissatisfied]
            .iter()
            .map(|&n| u64::from(n))
            .sum()
    }
}

/// The facts about one subject over the period assessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectCounts {
    /// The subject.
    pub subject: Subject,
    /// Its ratings.
    pub ratings: RatingCounts,
    /// Cases it completed in the period.
    pub cases_handled: u32,
    /// Of those, cases completed after their time limit.
    pub overdue_cases: u32,
    /// Supervision warnings (yellow cards).
    pub warnings: u32,
    /// Red cards.
    pub red_cards: u32,
    /// Upheld complaints.
    pub complaints: u32,
}

/// Everything an assessment is decided from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessInput {
    /// Today, in the centre's time zone.
    pub today: NaiveDate,
    /// The first day of the period.
    pub period_start: NaiveDate,
    /// The last day of the period.
    pub period_end: NaiveDate,
    /// Every subject to score, each once.
    pub subjects: Vec<SubjectCounts>,
}

/// One subject's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectScore {
    /// The subject.
    pub subject: Subject,
    /// The score in hundredths of a point (9550 is 95.50 points).
    pub score: i32,
    /// The rank among subjects of the same kind: 1 is best; equal scores share a rank.
    pub rank: u32,
}

/// An assessment: one score for every subject of the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The scores, one per subject of the input.
    pub scores: Vec<SubjectScore>,
    /// How the scores were computed, for people.
    pub method: String,
}

/// The parallel-approval rule: plans an accepted case and joins its branches' decisions.
pub trait ParallelApprovalRule {
    /// Plans an accepted case: lead unit, branches, join policy.
    fn plan(&self, input: &PlanInput) -> Result<Plan, RuleError>;
    /// Decides what happens after a branch has decided.
    fn on_branch_decided(&self, input: &BranchInput) -> Result<Verdict, RuleError>;
}

/// The evaluation rule: follows up ratings and assesses windows, units and staff.
pub trait EvaluationRule {
    /// Decides the follow-up of one rating.
    fn on_rating(&self, input: &RatingInput) -> Result<FollowUp, RuleError>;
    /// Scores and ranks the subjects over a period.
    fn assess(&self, input: &AssessInput) -> Result<Assessment, RuleError>;
}

/// The built-in parallel-approval rule: one branch per matter, decided by its owner unit within
/// the matter's promised limit, every branch required, all must approve
/// ([`JoinPolicy::AllApprove`]); the owner unit of the first matter leads.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultParallelApproval;

impl ParallelApprovalRule for DefaultParallelApproval {
    fn plan(&self, input: &PlanInput) -> Result<Plan, RuleError> {
        let first = input.matters.first().ok_or_else(|| RuleError::InvalidInput("the case has no matter".into()))?;
        Ok(Plan {
            lead_unit: first.owner_unit,
            branches: input
                .matters
                .iter()
                .map(|m| Branch { unit: m.owner_unit, matter: m.id, time_limit: m.limits.promised(), required: true })
                .collect(),
            join_policy: JoinPolicy::AllApprove,
            rationale: "built-in rule: the owner unit of the first matter leads; every owner unit decides its \
                        matter within the promised limit; all must approve"
                .into(),
        })
    }

    fn on_branch_decided(&self, input: &BranchInput) -> Result<Verdict, RuleError> {
        Ok(verdict_by_policy(input))
    }
}

/// Joins branch decisions by the plan's [`JoinPolicy`]: a denial by a required branch denies
/// the case, or goes to the lead unit or a joint meeting; when every required branch has
/// approved, the case is approved; otherwise it waits. Optional branches only advise.
pub fn verdict_by_policy(input: &BranchInput) -> Verdict {
    let latest = input.latest_decisions();
    let required: Vec<&Branch> = input.plan.branches.iter().filter(|b| b.required).collect();
    let denial =
        required.iter().filter_map(|b| latest.get(&(b.unit, b.matter))).find(|d| d.outcome == BranchOutcome::Denied);
    if let Some(d) = denial {
        let reason =
            if d.reason.is_empty() { "a required branch denied its matter".to_owned() } else { d.reason.clone() };
        return match input.plan.join_policy {
            JoinPolicy::AllApprove => Verdict::Deny { reason },
            JoinPolicy::LeadArbitrates => Verdict::ReferToLead { reason },
            JoinPolicy::JointMeeting => Verdict::ReferToJointMeeting { reason },
        };
    }
    let all_approved =
        required.iter().all(|b| latest.get(&(b.unit, b.matter)).is_some_and(|d| d.outcome == BranchOutcome::Approved));
    if all_approved { Verdict::Approve } else { Verdict::Wait }
}

/// The built-in evaluation rule.
///
/// - **On a rating**: a dissatisfied or very dissatisfied rating gets a return visit and a
///   rectification due in [`DefaultEvaluation::RECTIFICATION_DAYS`] working days; the third bad
///   rating of the same member of staff (or window) within 30 days is escalated to the
///   supervisors. Other ratings need nothing.
/// - **Assessment**: the satisfaction score is the average of the ratings weighted 100 (very
///   satisfied), 90 (satisfied), 70 (neutral), 30 (dissatisfied) and 0 (very dissatisfied),
///   or 100 without ratings; then 2 points off per overdue case, 1 per warning, 5 per red card
///   and 5 per upheld complaint, never below 0. Ranks are per kind of subject.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultEvaluation;

impl DefaultEvaluation {
    /// Working days to fix what a bad rating reports.
    pub const RECTIFICATION_DAYS: u16 = 5;
}

impl EvaluationRule for DefaultEvaluation {
    fn on_rating(&self, input: &RatingInput) -> Result<FollowUp, RuleError> {
        if !input.level.is_bad() {
            return Ok(FollowUp { return_visit: false, rectification: None, escalation: Escalation::None });
        }
        let due_in =
            WorkingDays::parse(i64::from(Self::RECTIFICATION_DAYS)).map_err(|e| RuleError::Failed(e.to_string()))?;
        Ok(FollowUp {
            return_visit: true,
            rectification: Some(Rectification { due_in }),
            escalation: if input.recent_bad_ratings >= 2 { Escalation::Supervisor } else { Escalation::None },
        })
    }

    fn assess(&self, input: &AssessInput) -> Result<Assessment, RuleError> {
        let mut scores: Vec<SubjectScore> = input
            .subjects
            .iter()
            .map(|s| {
                let r = &s.ratings;
                let weighted = 10_000 * u64::from(r.very_satisfied)
                    + 9_000 * u64::from(r.satisfied)
                    + 7_000 * u64::from(r.neutral)
                    + 3_000 * u64::from(r.dissatisfied);
                let total = r.total();
                let satisfaction = (weighted + total / 2).checked_div(total).unwrap_or(10_000);
                let penalty = 200 * u64::from(s.overdue_cases)
                    + 100 * u64::from(s.warnings)
                    + 500 * u64::from(s.red_cards)
                    + 500 * u64::from(s.complaints);
                let score = satisfaction.saturating_sub(penalty);
                SubjectScore { subject: s.subject, score: i32::try_from(score).unwrap_or(i32::MAX), rank: 0 }
            })
            .collect();
        rank_scores(&mut scores);
        Ok(Assessment {
            scores,
            method: "built-in rule: ratings weighted 100/90/70/30/0; minus 2 per overdue case, 1 per warning, \
                     5 per red card, 5 per upheld complaint"
                .into(),
        })
    }
}

/// Sets each score's rank among the subjects of the same kind: 1 for the best, equal scores
/// sharing a rank (1, 1, 3 …).
pub fn rank_scores(scores: &mut [SubjectScore]) {
    let snapshot: Vec<(&'static str, i32)> = scores.iter().map(|s| (s.subject.kind(), s.score)).collect();
    for s in scores.iter_mut() {
        let better = snapshot.iter().filter(|(kind, score)| *kind == s.subject.kind() && *score > s.score).count();
        s.rank = u32::try_from(better).map_or(u32::MAX, |b| b.saturating_add(1));
    }
}

/// Checks a plan against the input it was made from. A plan is malformed when it has no
/// branch; its lead unit or a branch's unit is not among the units involved; a branch names a
/// matter not in the case, or has a time limit above the matter's promised limit; two
/// branches are the same unit deciding the same matter; or a matter has no branch.
pub fn validate_plan(input: &PlanInput, plan: &Plan) -> Result<(), RuleError> {
    let units: BTreeSet<UnitId> = input.units.iter().map(|u| u.id).collect();
    let matters: BTreeMap<MatterId, &CaseMatter> = input.matters.iter().map(|m| (m.id, m)).collect();
    if plan.branches.is_empty() {
        return Err(RuleError::malformed("the plan has no branch"));
    }
    if !units.contains(&plan.lead_unit) {
        return Err(RuleError::malformed(format!("the lead unit {} is not among the units involved", plan.lead_unit)));
    }
    let mut seen = BTreeSet::new();
    for (i, b) in plan.branches.iter().enumerate() {
        if !units.contains(&b.unit) {
            return Err(RuleError::malformed(format!(
                "branch {i}: the unit {} is not among the units involved",
                b.unit
            )));
        }
        let Some(matter) = matters.get(&b.matter) else {
            return Err(RuleError::malformed(format!("branch {i}: the matter {} is not in the case", b.matter)));
        };
        let promised = matter.limits.promised();
        if b.time_limit > promised {
            return Err(RuleError::malformed(format!(
                "branch {i}: {} working days exceed the promised limit of {} ({} working days)",
                b.time_limit.get(),
                matter.code,
                promised.get()
            )));
        }
        if !seen.insert((b.unit, b.matter)) {
            return Err(RuleError::malformed(format!("branch {i}: the unit {} decides {} twice", b.unit, matter.code)));
        }
    }
    if let Some(m) = input.matters.iter().find(|m| !plan.branches.iter().any(|b| b.matter == m.id)) {
        return Err(RuleError::malformed(format!("the matter {} has no branch", m.code)));
    }
    Ok(())
}

/// Checks a verdict against its input: approving needs every required branch approved, and
/// denying needs at least one denial.
pub fn validate_verdict(input: &BranchInput, verdict: &Verdict) -> Result<(), RuleError> {
    let latest = input.latest_decisions();
    match verdict {
        Verdict::Approve => {
            let missing = input
                .plan
                .branches
                .iter()
                .filter(|b| b.required)
                .find(|b| latest.get(&(b.unit, b.matter)).is_none_or(|d| d.outcome != BranchOutcome::Approved));
            match missing {
                Some(b) => Err(RuleError::malformed(format!(
                    "approved while the required branch of unit {} for matter {} has not approved",
                    b.unit, b.matter
                ))),
                None => Ok(()),
            }
        }
        Verdict::Deny { .. } if !latest.values().any(|d| d.outcome == BranchOutcome::Denied) => {
            Err(RuleError::malformed("denied although no branch has denied"))
        }
        _ => Ok(()),
    }
}

/// Checks an assessment against its input: every subject scored exactly once, no other
/// subject, and every rank between 1 and the number of subjects of its kind.
pub fn validate_assessment(input: &AssessInput, assessment: &Assessment) -> Result<(), RuleError> {
    let expected: BTreeSet<Subject> = input.subjects.iter().map(|s| s.subject).collect();
    let mut per_kind: BTreeMap<&str, u32> = BTreeMap::new();
    for s in &expected {
        *per_kind.entry(s.kind()).or_default() += 1;
    }
    let mut seen = BTreeSet::new();
    for s in &assessment.scores {
        if !expected.contains(&s.subject) {
            return Err(RuleError::malformed(format!("a score for {:?}, which is not in the input", s.subject)));
        }
        if !seen.insert(s.subject) {
            return Err(RuleError::malformed(format!("{:?} is scored twice", s.subject)));
        }
        let of_kind = per_kind.get(s.subject.kind()).copied().unwrap_or(0);
        if s.rank == 0 || s.rank > of_kind {
            return Err(RuleError::malformed(format!("{:?} has rank {}, outside 1 to {of_kind}", s.subject, s.rank)));
        }
    }
    if let Some(missing) = expected.iter().find(|s| !seen.contains(*s)) {
        return Err(RuleError::malformed(format!("{missing:?} has no score")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use uuid::Uuid;

    fn unit(n: u128) -> UnitId {
        UnitId(Uuid::from_u128(n))
    }

    fn matter(n: u128) -> MatterId {
        MatterId(Uuid::from_u128(0x100 + n))
    }

    fn input() -> PlanInput {
        let m = |n: u128, owner: u128, promised: i64| CaseMatter {
            id: matter(n),
            code: MatterCode::parse(&format!("62052400XK-000{n}")).unwrap(),
            name: Name::parse(&format!("matter {n}")).unwrap(),
            matter_type: MatterType::Licence,
            owner_unit: unit(owner),
            limits: TimeLimits::new(WorkingDays::parse(20).unwrap(), WorkingDays::parse(promised).unwrap()).unwrap(),
        };
        let u = |n: u128| InvolvedUnit {
            id: unit(n),
            code: Code::parse(&format!("U{n}")).unwrap(),
            name: Name::parse(&format!("unit {n}")).unwrap(),
            kind: UnitKind::CityDepartment,
        };
        PlanInput {
            today: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            case_number: "PL-2026-000001".into(),
            applicant: ApplicantKind::Enterprise,
            investment: None,
            matters: vec![m(1, 1, 10), m(2, 2, 5)],
            units: vec![u(1), u(2)],
        }
    }

    #[test]
    fn the_default_plan_is_valid_and_led_by_the_first_owner() {
        let input = input();
        let plan = DefaultParallelApproval.plan(&input).unwrap();
        assert_eq!(plan.lead_unit, unit(1));
        assert_eq!(plan.branches.len(), 2);
        assert_eq!(plan.branches[1].time_limit.get(), 5);
        assert_eq!(validate_plan(&input, &plan), Ok(()));
    }

    #[track_caller]
    fn check_malformed(edit: impl FnOnce(&mut Plan), expect: &str) {
        let input = input();
        let mut plan = DefaultParallelApproval.plan(&input).unwrap();
        edit(&mut plan);
        match validate_plan(&input, &plan) {
            Err(RuleError::MalformedOutput(m)) => assert!(m.contains(expect), "{m}"),
            other => panic!("expected a malformed output, got {other:?}"),
        }
    }

    #[test]
    fn malformed_plans_are_refused() {
        check_malformed(|p| p.lead_unit = unit(9), "lead unit");
        check_malformed(|p| p.branches[0].unit = unit(9), "not among the units involved");
        check_malformed(|p| p.branches[0].matter = matter(9), "not in the case");
        check_malformed(|p| p.branches[1].time_limit = WorkingDays::parse(6).unwrap(), "exceed the promised");
        check_malformed(|p| p.branches.clear(), "no branch");
        check_malformed(|p| p.branches[1].matter = matter(1), "has no branch");
        check_malformed(|p| p.branches.push(p.branches[0].clone()), "twice");
    }

    fn decided(plan: &Plan, outcomes: &[(usize, BranchOutcome)]) -> BranchInput {
        BranchInput {
            today: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            case_number: "PL-2026-000001".into(),
            plan: plan.clone(),
            decisions: outcomes
                .iter()
                .map(|&(i, outcome)| BranchDecision {
                    unit: plan.branches[i].unit,
                    matter: plan.branches[i].matter,
                    outcome,
                    reason: String::new(),
                    decided_on: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                    days_taken: WorkingDays::parse(2).unwrap(),
                })
                .collect(),
        }
    }

    #[test]
    fn verdicts_follow_the_join_policy() {
        use BranchOutcome::*;
        let mut plan = DefaultParallelApproval.plan(&input()).unwrap();
        let rule = DefaultParallelApproval;
        assert_eq!(rule.on_branch_decided(&decided(&plan, &[(0, Approved)])), Ok(Verdict::Wait));
        assert_eq!(rule.on_branch_decided(&decided(&plan, &[(0, Approved), (1, Approved)])), Ok(Verdict::Approve));
        let deny = decided(&plan, &[(0, Approved), (1, Denied)]);
        assert!(matches!(rule.on_branch_decided(&deny), Ok(Verdict::Deny { .. })));
        plan.join_policy = JoinPolicy::JointMeeting;
        let refer = decided(&plan, &[(1, Denied)]);
        assert!(matches!(rule.on_branch_decided(&refer), Ok(Verdict::ReferToJointMeeting { .. })));
        plan.branches[1].required = false;
        assert_eq!(rule.on_branch_decided(&decided(&plan, &[(1, Denied), (0, Approved)])), Ok(Verdict::Approve));
        // A verdict that jumps ahead is malformed.
        let early = decided(&plan, &[]);
        assert!(matches!(validate_verdict(&early, &Verdict::Approve), Err(RuleError::MalformedOutput(_))));
        assert!(matches!(
            validate_verdict(&early, &Verdict::Deny { reason: "no".into() }),
            Err(RuleError::MalformedOutput(_))
        ));
    }

    fn rating(level: RatingLevel, recent: u32) -> RatingInput {
        RatingInput {
            today: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            level,
            channel: RatingChannel::OnSite,
            indicators: vec!["attitude".into()],
            comment: String::new(),
            window: None,
            unit: Some(unit(1)),
            staff: None,
            matter: None,
            case_number: None,
            recent_bad_ratings: recent,
        }
    }

    #[test]
    fn bad_ratings_open_a_rectification_in_five_days() {
        let rule = DefaultEvaluation;
        let f = rule.on_rating(&rating(RatingLevel::Dissatisfied, 0)).unwrap();
        assert!(f.return_visit);
        assert_eq!(f.rectification.map(|r| r.due_in.get()), Some(5));
        assert_eq!(f.escalation, Escalation::None);
        let f = rule.on_rating(&rating(RatingLevel::VeryDissatisfied, 2)).unwrap();
        assert_eq!(f.escalation, Escalation::Supervisor);
        let f = rule.on_rating(&rating(RatingLevel::Neutral, 5)).unwrap();
        assert_eq!(f, FollowUp { return_visit: false, rectification: None, escalation: Escalation::None });
    }

    #[test]
    fn assessment_weights_and_ranks() {
        let counts = |subject, vs, d, overdue| SubjectCounts {
            subject,
            ratings: RatingCounts { very_satisfied: vs, dissatisfied: d, ..RatingCounts::default() },
            cases_handled: 10,
            overdue_cases: overdue,
            warnings: 0,
            red_cards: 0,
            complaints: 0,
        };
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let input = AssessInput {
            today: day,
            period_start: day,
            period_end: day,
            subjects: vec![
                counts(Subject::Unit(unit(1)), 9, 1, 0),
                counts(Subject::Unit(unit(2)), 10, 0, 1),
                counts(Subject::Unit(unit(3)), 9, 1, 0),
                counts(Subject::Window(WindowId(Uuid::from_u128(7))), 0, 0, 0),
            ],
        };
        let a = DefaultEvaluation.assess(&input).unwrap();
        let got: Vec<(i32, u32)> = a.scores.iter().map(|s| (s.score, s.rank)).collect();
        assert_eq!(got, vec![(9300, 2), (9800, 1), (9300, 2), (10000, 1)]);
        assert_eq!(validate_assessment(&input, &a), Ok(()));
        let mut twice = a.clone();
        twice.scores[1] = twice.scores[0];
        assert!(matches!(validate_assessment(&input, &twice), Err(RuleError::MalformedOutput(_))));
    }

    #[test]
    fn inputs_and_outputs_round_trip_through_json() {
        let input = input();
        let json = serde_json::to_string(&input).unwrap();
        assert!(json.contains(r#""today":"2026-11-26""#), "{json}");
        assert_eq!(serde_json::from_str::<PlanInput>(&json).unwrap(), input);
        let v = Verdict::ReferToLead { reason: "conflict".into() };
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, r#"{"refer_to_lead":{"reason":"conflict"}}"#);
        assert_eq!(serde_json::to_string(&Verdict::Wait).unwrap(), r#""wait""#);
    }
}
