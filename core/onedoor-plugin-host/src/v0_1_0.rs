//! Contract `onedoor:rules@0.1.0`: the generated bindings and the conversions between the
//! domain's rule types and the contract's. A later contract version gets a module of its own
//! beside this one, so plugins built against this version keep working.

use crate::error::HostError;
use onedoor_domain::catalogue::MatterType as DMatterType;
use onedoor_domain::organisation::UnitKind as DUnitKind;
use onedoor_domain::rules as d;
use onedoor_domain::values::WorkingDays;
use onedoor_domain::{MatterId, StaffId, UnitId, WindowId};
use uuid::Uuid;

wasmtime::component::bindgen!({
    path: "../../plugins/wit/onedoor-rules@0.1.0",
    world: "rules",
});

pub(crate) use onedoor::rules::types as w;

/// The version string of this contract.
pub(crate) const VERSION: &str = "0.1.0";

// ---------------------------------------------------------------------------------------------
// Domain → contract (inputs).

fn date(day: chrono::NaiveDate) -> w::Date {
    use chrono::Datelike;
    // Month and day always fit; a year outside 0..=65535 cannot occur in a centre's calendar.
    w::Date {
        year: u16::try_from(day.year()).unwrap_or(0),
        month: u8::try_from(day.month()).unwrap_or(0),
        day: u8::try_from(day.day()).unwrap_or(0),
    }
}

fn matter_type(t: DMatterType) -> w::MatterType {
    match t {
        DMatterType::Licence => w::MatterType::Licence,
        DMatterType::Confirmation => w::MatterType::Confirmation,
        DMatterType::Payment => w::MatterType::Payment,
        DMatterType::Levy => w::MatterType::Levy,
        DMatterType::Ruling => w::MatterType::Ruling,
        DMatterType::Award => w::MatterType::Award,
        DMatterType::PublicService => w::MatterType::PublicService,
        DMatterType::Other => w::MatterType::Other,
    }
}

fn unit_kind(k: DUnitKind) -> w::UnitKind {
    match k {
        DUnitKind::CityDepartment => w::UnitKind::CityDepartment,
        DUnitKind::DistrictDepartment => w::UnitKind::DistrictDepartment,
        DUnitKind::PublicServiceBody => w::UnitKind::PublicServiceBody,
        DUnitKind::IntermediaryAgency => w::UnitKind::IntermediaryAgency,
    }
}

pub(crate) fn plan_input(i: &d::PlanInput) -> w::PlanInput {
    w::PlanInput {
        today: date(i.today),
        case_number: i.case_number.clone(),
        applicant: match i.applicant {
            d::ApplicantKind::Person => w::ApplicantKind::Person,
            d::ApplicantKind::Enterprise => w::ApplicantKind::Enterprise,
        },
        investment: i.investment.map(|inv| w::Investment {
            amount_fen: u64::try_from(inv.amount.get()).unwrap_or(0),
            key_project: inv.key_project,
        }),
        matters: i
            .matters
            .iter()
            .map(|m| w::CaseMatter {
                id: m.id.to_string(),
                code: m.code.to_string(),
                name: m.name.to_string(),
                matter_type: matter_type(m.matter_type),
                owner_unit: m.owner_unit.to_string(),
                statutory_days: m.limits.statutory().get(),
                promised_days: m.limits.promised().get(),
            })
            .collect(),
        units: i
            .units
            .iter()
            .map(|u| w::Unit {
                id: u.id.to_string(),
                code: u.code.to_string(),
                name: u.name.to_string(),
                kind: unit_kind(u.kind),
            })
            .collect(),
    }
}

fn join_policy(p: d::JoinPolicy) -> w::JoinPolicy {
    match p {
        d::JoinPolicy::AllApprove => w::JoinPolicy::AllApprove,
        d::JoinPolicy::LeadArbitrates => w::JoinPolicy::LeadArbitrates,
        d::JoinPolicy::JointMeeting => w::JoinPolicy::JointMeeting,
    }
}

fn plan_to_wit(p: &d::Plan) -> w::Plan {
    w::Plan {
        lead_unit: p.lead_unit.to_string(),
        branches: p
            .branches
            .iter()
            .map(|b| w::Branch {
                unit: b.unit.to_string(),
                matter: b.matter.to_string(),
                time_limit_days: b.time_limit.get(),
                required: b.required,
            })
            .collect(),
        join_policy: join_policy(p.join_policy),
        rationale: p.rationale.clone(),
    }
}

pub(crate) fn branch_input(i: &d::BranchInput) -> w::BranchInput {
    w::BranchInput {
        today: date(i.today),
        case_number: i.case_number.clone(),
        plan: plan_to_wit(&i.plan),
        decisions: i
            .decisions
            .iter()
            .map(|x| w::BranchDecision {
                unit: x.unit.to_string(),
                matter: x.matter.to_string(),
                outcome: match x.outcome {
                    d::BranchOutcome::Approved => w::BranchOutcome::Approved,
                    d::BranchOutcome::Denied => w::BranchOutcome::Denied,
                },
                reason: x.reason.clone(),
                decided_on: date(x.decided_on),
                days_taken: x.days_taken.get(),
            })
            .collect(),
    }
}

pub(crate) fn rating_input(i: &d::RatingInput) -> w::RatingInput {
    w::RatingInput {
        today: date(i.today),
        level: match i.level {
            d::RatingLevel::VerySatisfied => w::RatingLevel::VerySatisfied,
            d::RatingLevel::Satisfied => w::RatingLevel::Satisfied,
            d::RatingLevel::Neutral => w::RatingLevel::Neutral,
            d::RatingLevel::Dissatisfied => w::RatingLevel::Dissatisfied,
            d::RatingLevel::VeryDissatisfied => w::RatingLevel::VeryDissatisfied,
        },
        channel: match i.channel {
            d::RatingChannel::OnSite => w::RatingChannel::OnSite,
            d::RatingChannel::Online => w::RatingChannel::Online,
            d::RatingChannel::Sms => w::RatingChannel::Sms,
            d::RatingChannel::ReturnCall => w::RatingChannel::ReturnCall,
            d::RatingChannel::Hotline => w::RatingChannel::Hotline,
        },
        indicators: i.indicators.clone(),
        comment: i.comment.clone(),
        window: i.window.map(|x| x.to_string()),
        unit: i.unit.map(|x| x.to_string()),
        staff: i.staff.map(|x| x.to_string()),
        matter: i.matter.map(|x| x.to_string()),
        case_number: i.case_number.clone(),
        recent_bad_ratings: i.recent_bad_ratings,
    }
}

fn subject_to_wit(s: d::Subject) -> w::Subject {
    match s {
        d::Subject::Window(id) => w::Subject { kind: w::SubjectKind::Window, id: id.to_string() },
        d::Subject::Unit(id) => w::Subject { kind: w::SubjectKind::Unit, id: id.to_string() },
        d::Subject::Staff(id) => w::Subject { kind: w::SubjectKind::Staff, id: id.to_string() },
    }
}

pub(crate) fn assess_input(i: &d::AssessInput) -> w::AssessInput {
    w::AssessInput {
        today: date(i.today),
        period_start: date(i.period_start),
        period_end: date(i.period_end),
        subjects: i
            .subjects
            .iter()
            .map(|s| w::SubjectCounts {
                subject: subject_to_wit(s.subject),
                ratings: w::RatingCounts {
                    very_satisfied: s.ratings.very_satisfied,
                    satisfied: s.ratings.satisfied,
                    neutral: s.ratings.neutral,
                    dissatisfied: s.ratings.dissatisfied,
                    very_dissatisfied: s.ratings.very_dissatisfied,
                },
                cases_handled: s.cases_handled,
                overdue_cases: s.overdue_cases,
                warnings: s.warnings,
                red_cards: s.red_cards,
                complaints: s.complaints,
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Contract → domain (outputs): anything that does not parse is a malformed output.

fn id(s: &str, what: &str) -> Result<Uuid, HostError> {
    Uuid::parse_str(s).map_err(|_| HostError::MalformedOutput(format!("`{s}` is not a {what} id")))
}

fn days(n: u16, what: &str) -> Result<WorkingDays, HostError> {
    WorkingDays::parse(i64::from(n)).map_err(|e| HostError::MalformedOutput(format!("{what}: {e}")))
}

pub(crate) fn rule_error(e: w::RuleError) -> HostError {
    HostError::Rule(match e {
        w::RuleError::NotProvided => d::RuleError::NotProvided,
        w::RuleError::InvalidInput(m) => d::RuleError::InvalidInput(m),
        w::RuleError::Failed(m) => d::RuleError::Failed(m),
    })
}

pub(crate) fn plan(p: w::Plan) -> Result<d::Plan, HostError> {
    Ok(d::Plan {
        lead_unit: UnitId(id(&p.lead_unit, "unit")?),
        branches: p
            .branches
            .iter()
            .enumerate()
            .map(|(i, b)| {
                Ok(d::Branch {
                    unit: UnitId(id(&b.unit, "unit")?),
                    matter: MatterId(id(&b.matter, "matter")?),
                    time_limit: days(b.time_limit_days, &format!("branch {i}"))?,
                    required: b.required,
                })
            })
            .collect::<Result<_, HostError>>()?,
        join_policy: match p.join_policy {
            w::JoinPolicy::AllApprove => d::JoinPolicy::AllApprove,
            w::JoinPolicy::LeadArbitrates => d::JoinPolicy::LeadArbitrates,
            w::JoinPolicy::JointMeeting => d::JoinPolicy::JointMeeting,
        },
        rationale: p.rationale,
    })
}

pub(crate) fn verdict(v: w::Verdict) -> d::Verdict {
    match v {
        w::Verdict::Wait => d::Verdict::Wait,
        w::Verdict::Approve => d::Verdict::Approve,
        w::Verdict::Deny(reason) => d::Verdict::Deny { reason },
        w::Verdict::ReferToLead(reason) => d::Verdict::ReferToLead { reason },
        w::Verdict::ReferToJointMeeting(reason) => d::Verdict::ReferToJointMeeting { reason },
    }
}

pub(crate) fn follow_up(f: w::FollowUp) -> Result<d::FollowUp, HostError> {
    Ok(d::FollowUp {
        return_visit: f.return_visit,
        rectification: match f.rectification {
            Some(r) => Some(d::Rectification { due_in: days(r.due_in_days, "rectification")? }),
            None => None,
        },
        escalation: match f.escalation {
            w::Escalation::None => d::Escalation::None,
            w::Escalation::UnitLead => d::Escalation::UnitLead,
            w::Escalation::Supervisor => d::Escalation::Supervisor,
        },
    })
}

pub(crate) fn assessment(a: w::Assessment) -> Result<d::Assessment, HostError> {
    let scores = a
        .scores
        .iter()
        .map(|s| {
            let subject = match s.subject.kind {
                w::SubjectKind::Window => d::Subject::Window(WindowId(id(&s.subject.id, "window")?)),
                w::SubjectKind::Unit => d::Subject::Unit(UnitId(id(&s.subject.id, "unit")?)),
                w::SubjectKind::Staff => d::Subject::Staff(StaffId(id(&s.subject.id, "staff")?)),
            };
            Ok(d::SubjectScore { subject, score: s.score, rank: s.rank })
        })
        .collect::<Result<_, HostError>>()?;
    Ok(d::Assessment { scores, method: a.method })
}

// ---------------------------------------------------------------------------------------------
// Output sizes: the bytes of every string plus a fixed size per field, close to what the
// answer occupies in the canonical ABI. Checked before the answer is converted.

const WORD: usize = 8;

fn text(s: &str) -> usize {
    WORD + s.len()
}

pub(crate) fn plan_size(p: &w::Plan) -> usize {
    text(&p.lead_unit)
        + WORD
        + p.branches.iter().map(|b| text(&b.unit) + text(&b.matter) + 4).sum::<usize>()
        + 1
        + text(&p.rationale)
}

pub(crate) fn verdict_size(v: &w::Verdict) -> usize {
    match v {
        w::Verdict::Wait | w::Verdict::Approve => WORD,
        w::Verdict::Deny(s) | w::Verdict::ReferToLead(s) | w::Verdict::ReferToJointMeeting(s) => WORD + text(s),
    }
}

pub(crate) fn follow_up_size(_: &w::FollowUp) -> usize {
    WORD
}

pub(crate) fn assessment_size(a: &w::Assessment) -> usize {
    WORD + a.scores.iter().map(|s| text(&s.subject.id) + 12).sum::<usize>() + text(&a.method)
}
