//! Write a onedoor local-rule plugin in plain Rust: implement [`ParallelApproval`] and/or
//! [`Evaluation`], register the type with [`export!`], build for `wasm32-unknown-unknown`.
//!
//! A plugin decides, for one centre, how parallel approval is planned and joined and how
//! ratings are followed up and windows, units and staff assessed. It runs sandboxed inside
//! onedoor: it imports nothing (no clock, no randomness, no I/O), and every fact it needs,
//! today's date included, is in its input. Write it as pure functions of the input.
//!
//! ```
//! use onedoor_plugin_sdk::{Evaluation, FollowUp, RatingInput, RuleError, Escalation, Rectification};
//! use onedoor_plugin_sdk::ParallelApproval;
//!
//! /// Our centre's rules: bad ratings are fixed within 3 working days.
//! pub struct MyRules;
//!
//! // Planning and joining stay with onedoor's built-in rule.
//! impl ParallelApproval for MyRules {}
//!
//! impl Evaluation for MyRules {
//!     fn on_rating(input: &RatingInput) -> Result<FollowUp, RuleError> {
//!         let bad = input.level.is_bad();
//!         Ok(FollowUp {
//!             return_visit: bad,
//!             rectification: bad.then_some(Rectification { due_in_days: 3 }),
//!             escalation: Escalation::None,
//!         })
//!     }
//! }
//!
//! onedoor_plugin_sdk::export!(MyRules);
//!
//! // The logic is plain Rust, so it is tested natively with `cargo test`.
//! # fn main() {
//! # use onedoor_plugin_sdk::{Date, RatingLevel, RatingChannel};
//! let input = RatingInput {
//!     today: Date::new(2026, 11, 26),
//!     level: RatingLevel::Dissatisfied,
//!     channel: RatingChannel::OnSite,
//!     indicators: vec!["waiting-time".into()],
//!     comment: String::new(),
//!     window: None,
//!     unit: None,
//!     staff: None,
//!     matter: None,
//!     case_number: None,
//!     recent_bad_ratings: 0,
//! };
//! assert_eq!(MyRules::on_rating(&input).unwrap().rectification, Some(Rectification { due_in_days: 3 }));
//! # }
//! ```
//!
//! A hook a plugin leaves out answers [`RuleError::NotProvided`], and onedoor applies its
//! built-in rule for that hook. Types mirror the contract `onedoor:rules@0.1.0` one to one
//! (identifiers are strings; time limits are working days; money is in fen); see
//! [`CONTRACT_VERSION`].

#![deny(missing_docs)]

use std::collections::BTreeMap;

/// The generated bindings of the contract. Not part of the API: use the re-exports at the
/// crate's root.
#[doc(hidden)]
#[allow(unsafe_code, missing_docs, missing_debug_implementations, clippy::all)]
pub mod __bindings {
    wit_bindgen::generate!({
        path: "../wit/onedoor-rules@0.1.0",
        world: "rules",
        pub_export_macro: true,
        export_macro_name: "__export",
        additional_derives: [PartialEq, Eq],
    });
}

#[cfg(all(target_arch = "wasm32", feature = "bump-allocator"))]
mod bump;

pub use __bindings::onedoor::rules::types::{
    ApplicantKind, AssessInput, Assessment, Branch, BranchDecision, BranchInput, BranchOutcome, CaseMatter, Date,
    Escalation, FollowUp, Investment, JoinPolicy, MatterType, Plan, PlanInput, RatingChannel, RatingCounts,
    RatingInput, RatingLevel, Rectification, RuleError, Subject, SubjectCounts, SubjectKind, SubjectScore, Unit,
    UnitKind, Verdict,
};

/// The contract this SDK builds plugins against: `onedoor:rules@0.1.0`.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// The parallel-approval rule (并联审批). Every method has a default that answers
/// [`RuleError::NotProvided`], so onedoor's built-in rule applies to what you leave out.
pub trait ParallelApproval {
    /// Plans an accepted case: the lead unit, one or more branches covering every matter (each
    /// within its matter's promised limit, for a unit of `input.units`), and the join policy.
    fn plan(input: &PlanInput) -> Result<Plan, RuleError> {
        let _ = input;
        Err(RuleError::NotProvided)
    }

    /// Decides what follows a branch's decision (the last of `input.decisions`).
    /// [`verdict_by_policy`] is the usual join.
    fn on_branch_decided(input: &BranchInput) -> Result<Verdict, RuleError> {
        let _ = input;
        Err(RuleError::NotProvided)
    }
}

/// The evaluation rule (好差评, 考核). Every method has a default that answers
/// [`RuleError::NotProvided`], so onedoor's built-in rule applies to what you leave out.
pub trait Evaluation {
    /// Decides the follow-up of one rating: return visit, rectification, escalation.
    fn on_rating(input: &RatingInput) -> Result<FollowUp, RuleError> {
        let _ = input;
        Err(RuleError::NotProvided)
    }

    /// Scores and ranks every subject of the input (see [`rank`]).
    fn assess(input: &AssessInput) -> Result<Assessment, RuleError> {
        let _ = input;
        Err(RuleError::NotProvided)
    }
}

/// Provides no hook at all: stands in for the trait a plugin does not implement, in
/// `export!(parallel_approval: MyRules)` or `export!(evaluation: MyRules)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotProvided;

impl ParallelApproval for NotProvided {}
impl Evaluation for NotProvided {}

/// Registers a plugin's rules as the component's exports. Use it once, at the root of the
/// plugin crate:
///
/// - `export!(MyRules)`: `MyRules` implements both [`ParallelApproval`] and [`Evaluation`]
///   (an empty `impl` leaves every hook of that trait to onedoor's built-in rule);
/// - `export!(parallel_approval: MyRules)` or `export!(evaluation: MyRules)`: only one;
/// - `export!(parallel_approval: A, evaluation: B)`: two types.
#[macro_export]
macro_rules! export {
    (parallel_approval: $approval:ty, evaluation: $evaluation:ty $(,)?) => {
        // The exports exist only in the wasm build: their names (`onedoor:rules/…#plan`) are
        // not valid symbols for native linkers, and native builds only run the rules' tests.
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __OnedoorRules = $crate::__private::Plugin<$approval, $evaluation>;
            $crate::__export_rules_impl!(__OnedoorRules with_types_in $crate::__bindings);
        };
        // Natively, still check that the types implement the traits.
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() = $crate::__private::implements::<$approval, $evaluation>;
    };
    (parallel_approval: $approval:ty $(,)?) => {
        $crate::export!(parallel_approval: $approval, evaluation: $crate::NotProvided);
    };
    (evaluation: $evaluation:ty $(,)?) => {
        $crate::export!(parallel_approval: $crate::NotProvided, evaluation: $evaluation);
    };
    ($rules:ty $(,)?) => {
        $crate::export!(parallel_approval: $rules, evaluation: $rules);
    };
}

/// What [`export!`] expands to. Not part of the API.
#[doc(hidden)]
pub mod __private {
    use super::__bindings::exports::onedoor::rules::{evaluation, parallel_approval};
    use super::*;
    use std::marker::PhantomData;

    /// Compiles only when the types implement the SDK's traits.
    pub fn implements<A: ParallelApproval, E: Evaluation>() {}

    /// Adapts the SDK's traits to the generated export traits.
    #[derive(Debug)]
    pub struct Plugin<A, E>(PhantomData<(A, E)>);

    impl<A: ParallelApproval + 'static, E: 'static> parallel_approval::Guest for Plugin<A, E> {
        fn plan(input: PlanInput) -> Result<Plan, RuleError> {
            A::plan(&input)
        }

        fn on_branch_decided(input: BranchInput) -> Result<Verdict, RuleError> {
            A::on_branch_decided(&input)
        }
    }

    impl<A: 'static, E: Evaluation + 'static> evaluation::Guest for Plugin<A, E> {
        fn on_rating(input: RatingInput) -> Result<FollowUp, RuleError> {
            E::on_rating(&input)
        }

        fn assess(input: AssessInput) -> Result<Assessment, RuleError> {
            E::assess(&input)
        }
    }
}

impl Date {
    /// A date; the host always passes valid ones.
    pub const fn new(year: u16, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }
}

impl PlanInput {
    /// The matter with this id, if it is in the case.
    pub fn matter(&self, id: &str) -> Option<&CaseMatter> {
        self.matters.iter().find(|m| m.id == id)
    }

    /// The involved unit with this id, if any.
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    /// The project's investment in yuan (0 when the case is not an investment project).
    pub fn investment_yuan(&self) -> u64 {
        self.investment.map_or(0, |i| i.amount_fen / 100)
    }
}

impl RatingLevel {
    /// Whether the rating is a bad one (dissatisfied or very dissatisfied).
    pub fn is_bad(self) -> bool {
        matches!(self, RatingLevel::Dissatisfied | RatingLevel::VeryDissatisfied)
    }
}

impl RatingCounts {
    /// All ratings.
    pub fn total(&self) -> u64 {
        [self.very_satisfied, self.satisfied, self.neutral, self.dissatisfied, self.very_dissatisfied]
            .iter()
            .map(|&n| u64::from(n))
            .sum()
    }

    /// The weighted average of the ratings, in hundredths of a point, with the weights (in
    /// points, very satisfied first) given; `None` without ratings.
    pub fn weighted_average(&self, weights: [u32; 5]) -> Option<u64> {
        let counts = [self.very_satisfied, self.satisfied, self.neutral, self.dissatisfied, self.very_dissatisfied];
        let total = self.total();
        if total == 0 {
            return None;
        }
        let sum: u64 = counts.iter().zip(weights).map(|(&n, w)| u64::from(n) * u64::from(w) * 100).sum();
        Some((sum + total / 2) / total)
    }
}

impl SubjectCounts {
    /// The share of handled cases finished on time, in basis points (10,000 = all on time,
    /// and also when nothing was handled).
    pub fn on_time_basis_points(&self) -> i64 {
        let handled = i64::from(self.cases_handled);
        if handled == 0 {
            return 10_000;
        }
        (handled - i64::from(self.overdue_cases).min(handled)) * 10_000 / handled
    }
}

impl BranchInput {
    /// The latest decision of each branch that has decided, by (unit, matter).
    pub fn latest_decisions(&self) -> BTreeMap<(&str, &str), &BranchDecision> {
        let mut latest = BTreeMap::new();
        for d in &self.decisions {
            latest.insert((d.unit.as_str(), d.matter.as_str()), d);
        }
        latest
    }
}

/// The usual join of branch decisions by the plan's [`JoinPolicy`] (the same as onedoor's
/// built-in rule): a denial by a required branch denies the case, or goes to the lead unit or
/// a joint meeting; when every required branch has approved, the case is approved; otherwise
/// it waits. Optional branches only advise.
pub fn verdict_by_policy(input: &BranchInput) -> Verdict {
    let latest = input.latest_decisions();
    let required: Vec<&Branch> = input.plan.branches.iter().filter(|b| b.required).collect();
    let denial = required
        .iter()
        .filter_map(|b| latest.get(&(b.unit.as_str(), b.matter.as_str())))
        .find(|d| d.outcome == BranchOutcome::Denied);
    if let Some(d) = denial {
        let reason =
            if d.reason.is_empty() { "a required branch denied its matter".to_owned() } else { d.reason.clone() };
        return match input.plan.join_policy {
            JoinPolicy::AllApprove => Verdict::Deny(reason),
            JoinPolicy::LeadArbitrates => Verdict::ReferToLead(reason),
            JoinPolicy::JointMeeting => Verdict::ReferToJointMeeting(reason),
        };
    }
    let approved = required.iter().all(|b| {
        latest.get(&(b.unit.as_str(), b.matter.as_str())).is_some_and(|d| d.outcome == BranchOutcome::Approved)
    });
    if approved { Verdict::Approve } else { Verdict::Wait }
}

/// Sets each score's rank among the subjects of the same kind: 1 for the best, equal scores
/// sharing a rank (1, 1, 3 …), as the contract asks.
pub fn rank(scores: &mut [SubjectScore]) {
    let snapshot: Vec<(SubjectKind, i32)> = scores.iter().map(|s| (s.subject.kind, s.score)).collect();
    for s in scores.iter_mut() {
        let better = snapshot.iter().filter(|(kind, score)| *kind == s.subject.kind && *score > s.score).count();
        s.rank = u32::try_from(better).map_or(u32::MAX, |b| b.saturating_add(1));
    }
}

/// Clamps a score computed in a wider type into the contract's `s32` hundredths.
pub fn score(hundredths: i64) -> i32 {
    i32::try_from(hundredths).unwrap_or(if hundredths < 0 { i32::MIN } else { i32::MAX })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn branch(unit: &str, matter: &str, required: bool) -> Branch {
        Branch { unit: unit.into(), matter: matter.into(), time_limit_days: 5, required }
    }

    fn decision(unit: &str, matter: &str, outcome: BranchOutcome) -> BranchDecision {
        BranchDecision {
            unit: unit.into(),
            matter: matter.into(),
            outcome,
            reason: String::new(),
            decided_on: Date::new(2026, 11, 26),
            days_taken: 1,
        }
    }

    #[test]
    fn the_usual_join() {
        let plan = Plan {
            lead_unit: "u1".into(),
            branches: vec![branch("u1", "m1", true), branch("u2", "m2", true), branch("u3", "m3", false)],
            join_policy: JoinPolicy::LeadArbitrates,
            rationale: String::new(),
        };
        let input = |decisions| BranchInput {
            today: Date::new(2026, 11, 26),
            case_number: "C1".into(),
            plan: plan.clone(),
            decisions,
        };
        use BranchOutcome::{Approved, Denied};
        assert_eq!(verdict_by_policy(&input(vec![decision("u1", "m1", Approved)])), Verdict::Wait);
        assert_eq!(
            verdict_by_policy(&input(vec![decision("u1", "m1", Approved), decision("u2", "m2", Approved)])),
            Verdict::Approve
        );
        assert!(matches!(verdict_by_policy(&input(vec![decision("u2", "m2", Denied)])), Verdict::ReferToLead(_)));
        assert_eq!(verdict_by_policy(&input(vec![decision("u3", "m3", Denied)])), Verdict::Wait);
    }

    #[test]
    fn ranks_are_per_kind_and_shared() {
        let s = |kind, id: &str, score| SubjectScore { subject: Subject { kind, id: id.into() }, score, rank: 0 };
        let mut scores = vec![
            s(SubjectKind::Unit, "a", 90),
            s(SubjectKind::Unit, "b", 95),
            s(SubjectKind::Unit, "c", 90),
            s(SubjectKind::Staff, "d", 10),
        ];
        rank(&mut scores);
        assert_eq!(scores.iter().map(|s| s.rank).collect::<Vec<_>>(), vec![2, 1, 2, 1]);
    }

    #[test]
    fn weighted_averages() {
        let c = RatingCounts { very_satisfied: 1, satisfied: 0, neutral: 0, dissatisfied: 1, very_dissatisfied: 0 };
        assert_eq!(c.weighted_average([100, 90, 70, 30, 0]), Some(6500));
        assert_eq!(RatingCounts::default_counts().weighted_average([100, 90, 70, 30, 0]), None);
    }

    impl RatingCounts {
        fn default_counts() -> RatingCounts {
            RatingCounts { very_satisfied: 0, satisfied: 0, neutral: 0, dissatisfied: 0, very_dissatisfied: 0 }
        }
    }
}
