//! Electronic supervision (电子监察): the rules that watch every case.
//!
//! Pure functions over a [`Case`] and the centre's [`Calendar`]; the platform runs them on
//! every case event and on a schedule, and raises an [`Alert`](crate::alert::Alert) for each
//! finding under a stable key, so running them twice raises nothing new.
//!
//! - **Deadlines** ([`deadline_marks`]): for the whole case and for every open step with a
//!   clock, a *warning* when at most [`SupervisionSettings::warn_days`] working days are left,
//!   a *yellow card* once overdue, a *red card* when still overdue more than
//!   [`SupervisionSettings::red_after`] working days after the due date (the follow-up period).
//!   A stopped clock (a suspended case) raises nothing.
//! - **Irregular handling** ([`irregularities`]): a step decided by someone without the step's
//!   role, a case approved while a required step was never decided (skipped), a refusal or a
//!   denial without a real reason.
//! - **Fees** ([`fee_findings`]): a fee charged on a case that is not in the catalogue of its
//!   matters, or charged at another amount.

use crate::calendar::Calendar;
use crate::case::{Case, CaseState, StepStatus, StepType};
use crate::catalogue::{Fee, Guide};
use crate::error::{DomainError, ErrorCode};
use crate::id::UnitId;
use crate::organisation::string_enum;
use crate::scope::Role;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A centre's supervision settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionSettings {
    /// Warn when at most this many working days are left (0: on the due day only).
    pub warn_days: u16,
    /// The follow-up period: a red card when still overdue more than this many working days
    /// after the due date.
    pub red_after: u16,
}

impl Default for SupervisionSettings {
    fn default() -> SupervisionSettings {
        SupervisionSettings { warn_days: 2, red_after: 3 }
    }
}

/// The longest warning horizon or follow-up period, in working days.
pub const MAX_SETTING_DAYS: i64 = 60;

impl SupervisionSettings {
    /// Checks settings typed by an administrator.
    pub fn parse(warn_days: i64, red_after: i64) -> Result<SupervisionSettings, Vec<DomainError>> {
        let mut errors = Vec::new();
        let mut check = |field: &str, v: i64| match u16::try_from(v) {
            Ok(d) if v <= MAX_SETTING_DAYS => d,
            _ => {
                errors.push(DomainError::new(
                    field,
                    ErrorCode::OutOfRange,
                    format!("must be between 0 and {MAX_SETTING_DAYS} working days"),
                ));
                0
            }
        };
        let s =
            SupervisionSettings { warn_days: check("warnDays", warn_days), red_after: check("redAfter", red_after) };
        if errors.is_empty() { Ok(s) } else { Err(errors) }
    }
}

string_enum! {
    /// How far past (or near) its due date a case or step is.
    DeadlineLevel {
        /// Due soon (预警).
        Warning = "WARNING",
        /// Overdue (黄牌).
        Yellow = "YELLOW",
        /// Still overdue after the follow-up period (红牌).
        Red = "RED",
    }
}

/// A deadline finding for a case or one of its steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineMark {
    /// The step (its id in the case), or `None` for the whole case.
    pub step: Option<u32>,
    /// The unit whose work it is (the step's unit; for the whole case, the lead or owner unit).
    pub unit: Option<UnitId>,
    /// The highest level reached today; every lower level has been reached too.
    pub level: DeadlineLevel,
    /// The due date.
    pub due: NaiveDate,
    /// Working days left at the end of today (negative: overdue by that many).
    pub remaining: i64,
}

impl DeadlineMark {
    /// Every level reached, in the order they are reached.
    pub fn levels(&self) -> impl Iterator<Item = DeadlineLevel> + '_ {
        DeadlineLevel::ALL.iter().copied().filter(|l| *l <= self.level)
    }
}

fn level(remaining: i64, s: &SupervisionSettings) -> Option<DeadlineLevel> {
    if remaining < -i64::from(s.red_after) {
        Some(DeadlineLevel::Red)
    } else if remaining < 0 {
        Some(DeadlineLevel::Yellow)
    } else if remaining <= i64::from(s.warn_days) {
        Some(DeadlineLevel::Warning)
    } else {
        None
    }
}

/// The case's deadline findings today: the whole case (while in review) and each open step.
pub fn deadline_marks(case: &Case, cal: &Calendar, today: NaiveDate, s: &SupervisionSettings) -> Vec<DeadlineMark> {
    let mut marks = Vec::new();
    if case.state != CaseState::InReview {
        return marks;
    }
    let lead =
        case.parallel.as_ref().map(|p| p.plan.lead_unit).or_else(|| case.matters.first().map(|m| m.matter.owner_unit));
    if let Some(clock) = case.clock.as_ref().filter(|c| !c.is_paused()) {
        let remaining = clock.remaining(cal, today);
        if let (Some(level), Some(due)) = (level(remaining, s), clock.deadline(cal)) {
            marks.push(DeadlineMark { step: None, unit: lead, level, due, remaining });
        }
    }
    for step in case.steps.iter().filter(|st| st.status == StepStatus::Open && !st.clock.is_paused()) {
        let remaining = step.clock.remaining(cal, today);
        if let (Some(level), Some(due)) = (level(remaining, s), step.clock.deadline(cal)) {
            marks.push(DeadlineMark { step: Some(step.id), unit: Some(step.unit), level, due, remaining });
        }
    }
    marks
}

/// The shortest reason that counts as a reason, in characters (a refusal "无" or "." is none).
pub const MIN_REASON_CHARS: usize = 4;

/// Something irregular in how a case was handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Irregularity {
    /// A step was decided by someone who does not hold the step's role.
    RoleMayNot {
        /// The step.
        step: u32,
        /// The role the step needs.
        role: Role,
        /// The roles the actor held.
        held: String,
    },
    /// The case was approved while a required step was never decided.
    StepSkipped {
        /// The step.
        step: u32,
    },
    /// A refusal, denial or withdrawal recorded without a real reason.
    NoReason {
        /// The state it ended in.
        state: CaseState,
    },
}

impl Irregularity {
    /// A stable key for the finding within its case.
    pub fn key(&self) -> String {
        match self {
            Irregularity::RoleMayNot { step, .. } => format!("role:{step}"),
            Irregularity::StepSkipped { step } => format!("skipped:{step}"),
            Irregularity::NoReason { state } => format!("reason:{}", state.as_str()),
        }
    }

    /// What happened, for people.
    pub fn message(&self, case: &Case) -> String {
        match self {
            Irregularity::RoleMayNot { step, role, held } => format!(
                "case {}: step {} was decided by someone holding [{held}], not the step's role {}",
                case.number,
                step_name(case, *step),
                role.as_str()
            ),
            Irregularity::StepSkipped { step } => format!(
                "case {}: approved while the required step {} was never decided",
                case.number,
                step_name(case, *step)
            ),
            Irregularity::NoReason { state } => {
                format!("case {}: {} without a reason (\"{}\")", case.number, state.as_str(), case.reason)
            }
        }
    }
}

fn step_name(case: &Case, step: u32) -> String {
    case.steps.get(step as usize).map_or_else(|| format!("#{step}"), |s| format!("{} ({})", s.name, s.key))
}

/// A decision as recorded in the case's history: the step and the roles the actor held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedDecision {
    /// The step decided.
    pub step: u32,
    /// The actor's roles as recorded (comma-separated stable names).
    pub roles: String,
}

/// Irregularities in a case as it stands, given the decisions its history records.
pub fn irregularities(case: &Case, decisions: &[RecordedDecision]) -> Vec<Irregularity> {
    let mut found = Vec::new();
    for d in decisions {
        if let Some(step) = case.steps.get(d.step as usize) {
            let held = d.roles.split(',').any(|r| Role::parse(r) == Some(step.role));
            if !held {
                found.push(Irregularity::RoleMayNot { step: d.step, role: step.role, held: d.roles.clone() });
            }
        }
    }
    let approved = matches!(
        case.state,
        CaseState::Approved | CaseState::ResultIssued | CaseState::Delivered | CaseState::Collected
    ) && case.reason.is_empty();
    if approved {
        // A required step still open or skipped when the case was approved; branches left
        // when the lead unit or a joint meeting settled the case are settled by that step.
        let settled = case.steps.iter().any(|s| {
            s.status == StepStatus::Approved && matches!(s.kind, StepType::Arbitration | StepType::JointMeeting)
        });
        for s in case.steps.iter().filter(|s| s.required && matches!(s.status, StepStatus::Open | StepStatus::Skipped))
        {
            if !(settled && s.kind == StepType::Branch) {
                found.push(Irregularity::StepSkipped { step: s.id });
            }
        }
    }
    if matches!(case.state, CaseState::Refused | CaseState::Denied | CaseState::Withdrawn)
        && case.reason.trim().chars().count() < MIN_REASON_CHARS
    {
        found.push(Irregularity::NoReason { state: case.state });
    }
    found
}

/// A fee charged on a case, as recorded by the cashier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeCharged {
    /// The catalogue's fee item.
    pub item: String,
    /// The amount in fen.
    pub amount: i64,
}

/// A fee charged that the catalogue does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeeFinding {
    /// No matter of the case lists the item.
    NotInCatalogue {
        /// The item.
        item: String,
        /// The amount charged, in fen.
        amount: i64,
    },
    /// The item is listed at another amount.
    WrongAmount {
        /// The item.
        item: String,
        /// Charged, in fen.
        charged: i64,
        /// The catalogue's amount, in fen.
        catalogue: i64,
    },
}

impl FeeFinding {
    /// What happened, for people.
    pub fn message(&self, number: &str) -> String {
        match self {
            FeeFinding::NotInCatalogue { item, amount } => {
                format!("case {number}: fee \"{item}\" of {amount} fen charged but not in the catalogue")
            }
            FeeFinding::WrongAmount { item, charged, catalogue } => {
                format!("case {number}: fee \"{item}\" charged {charged} fen; the catalogue says {catalogue} fen")
            }
        }
    }
}

/// Compares a fee charged with the catalogue's fees of the case's matters.
pub fn fee_findings(charged: &FeeCharged, catalogue: &[Fee]) -> Option<FeeFinding> {
    let listed: Vec<&Fee> = catalogue.iter().filter(|f| f.item.as_str() == charged.item.trim()).collect();
    if listed.is_empty() {
        return Some(FeeFinding::NotInCatalogue { item: charged.item.clone(), amount: charged.amount });
    }
    if listed.iter().any(|f| f.amount.get() == charged.amount) {
        None
    } else {
        Some(FeeFinding::WrongAmount {
            item: charged.item.clone(),
            charged: charged.amount,
            catalogue: listed[0].amount.get(),
        })
    }
}

/// The fields of a published service guide that the public needs but the guide leaves empty:
/// `description`, `materials` (nothing to bring is stated as a material "none" in practice,
/// so an empty list is a gap), and a fee's `basis` (`fees.N.basis`).
pub fn guide_gaps(guide: &Guide) -> Vec<String> {
    let mut gaps = Vec::new();
    if guide.description.trim().is_empty() {
        gaps.push("description".to_owned());
    }
    if guide.materials.is_empty() {
        gaps.push("materials".to_owned());
    }
    for (i, f) in guide.fees.iter().enumerate() {
        if f.basis.trim().is_empty() {
            gaps.push(format!("fees.{i}.basis"));
        }
    }
    gaps
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn levels_follow_the_remaining_days() {
        let s = SupervisionSettings { warn_days: 2, red_after: 3 };
        assert_eq!(level(3, &s), None);
        assert_eq!(level(2, &s), Some(DeadlineLevel::Warning));
        assert_eq!(level(0, &s), Some(DeadlineLevel::Warning));
        assert_eq!(level(-1, &s), Some(DeadlineLevel::Yellow));
        assert_eq!(level(-3, &s), Some(DeadlineLevel::Yellow));
        assert_eq!(level(-4, &s), Some(DeadlineLevel::Red));
        let mark =
            DeadlineMark { step: None, unit: None, level: DeadlineLevel::Yellow, due: NaiveDate::MIN, remaining: -1 };
        assert_eq!(mark.levels().collect::<Vec<_>>(), [DeadlineLevel::Warning, DeadlineLevel::Yellow]);
    }

    #[test]
    fn settings_are_checked() {
        assert_eq!(SupervisionSettings::parse(2, 3), Ok(SupervisionSettings::default()));
        let e = SupervisionSettings::parse(-1, 61).unwrap_err();
        assert_eq!(e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["warnDays", "redAfter"]);
    }
}
