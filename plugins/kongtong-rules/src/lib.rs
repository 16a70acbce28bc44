//! The local rules of the Kongtong district centre (崆峒区政务服务中心), as a onedoor plugin.
//!
//! Deliberately different from Pingliang city's: a lower investment threshold, district
//! departments lead, branches keep two working days for the lead's consolidation, denials go
//! to a joint meeting, bad ratings are fixed within 15 working days, and the assessment weighs
//! complaints more. See this crate's README for the rules in words.

use onedoor_plugin_sdk::{
    AssessInput, Assessment, Branch, BranchInput, BranchOutcome, Escalation, Evaluation, FollowUp, JoinPolicy,
    MatterType, ParallelApproval, Plan, PlanInput, RatingChannel, RatingInput, RatingLevel, Rectification, RuleError,
    SubjectScore, UnitKind, Verdict, rank, score, verdict_by_policy,
};

/// Kongtong district's rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct KongtongRules;

/// Investment projects from this amount (in yuan) are led by a district department.
pub const LARGE_INVESTMENT_YUAN: u64 = 10_000_000;

/// Working days a branch leaves to the lead unit, out of the matter's promised limit.
pub const CONSOLIDATION_DAYS: u16 = 2;

/// Working days to fix what a bad rating reports.
pub const RECTIFICATION_DAYS: u16 = 15;

/// Rating weights in points, very satisfied first.
pub const RATING_WEIGHTS: [u32; 5] = [100, 85, 60, 20, 0];

impl KongtongRules {
    /// The unit that owns the most of the case's matters among `candidates` (the first in the
    /// case's order on a tie).
    fn busiest(input: &PlanInput, candidate: impl Fn(&str) -> bool) -> Option<&str> {
        let mut best: Option<(&str, usize)> = None;
        for m in &input.matters {
            let unit = m.owner_unit.as_str();
            if !candidate(unit) {
                continue;
            }
            let owned = input.matters.iter().filter(|n| n.owner_unit == unit).count();
            if best.is_none_or(|(_, n)| owned > n) {
                best = Some((unit, owned));
            }
        }
        best.map(|(unit, _)| unit)
    }

    /// The lead unit of an investment project: the district department owning the most of
    /// its matters, or any unit owning the most when no district department owns one.
    pub fn project_lead(input: &PlanInput) -> Option<&str> {
        let district = |unit: &str| input.unit(unit).is_some_and(|u| u.kind == UnitKind::DistrictDepartment);
        Self::busiest(input, district).or_else(|| Self::busiest(input, |_| true))
    }

    /// A branch's time limit: the promised limit less [`CONSOLIDATION_DAYS`], when that leaves
    /// at least one working day.
    pub fn branch_days(promised: u16) -> u16 {
        if promised > CONSOLIDATION_DAYS { promised - CONSOLIDATION_DAYS } else { promised }
    }
}

impl ParallelApproval for KongtongRules {
    fn plan(input: &PlanInput) -> Result<Plan, RuleError> {
        let first = input.matters.first().ok_or_else(|| RuleError::InvalidInput("the case has no matter".into()))?;
        let project = input.investment_yuan() >= LARGE_INVESTMENT_YUAN;
        let (lead, rationale) = match Self::project_lead(input) {
            Some(lead) if project => (
                lead.to_owned(),
                format!(
                    "Kongtong: an investment project from {LARGE_INVESTMENT_YUAN} yuan is led by the district department \
                     that owns most of its matters"
                ),
            ),
            _ => {
                (first.owner_unit.clone(), format!("Kongtong: the owner unit of the first matter {} leads", first.code))
            }
        };
        let branches = input
            .matters
            .iter()
            .map(|m| Branch {
                unit: m.owner_unit.clone(),
                matter: m.id.clone(),
                time_limit_days: Self::branch_days(m.promised_days),
                // Utility connections and other public services advise; they do not block.
                required: m.matter_type != MatterType::PublicService,
            })
            .collect();
        Ok(Plan {
            lead_unit: lead,
            branches,
            join_policy: JoinPolicy::JointMeeting,
            rationale: format!(
                "{rationale}; branches keep {CONSOLIDATION_DAYS} working days for the lead; public services advise; \
                 a denial goes to a joint meeting"
            ),
        })
    }

    fn on_branch_decided(input: &BranchInput) -> Result<Verdict, RuleError> {
        let latest = input.latest_decisions();
        let denials: Vec<_> = input
            .plan
            .branches
            .iter()
            .filter(|b| b.required)
            .filter_map(|b| latest.get(&(b.unit.as_str(), b.matter.as_str())))
            .filter(|d| d.outcome == BranchOutcome::Denied)
            .collect();
        // Two units saying no is beyond what a joint meeting reconciles.
        if denials.len() >= 2 {
            let reasons: Vec<&str> = denials.iter().map(|d| d.reason.as_str()).filter(|r| !r.is_empty()).collect();
            return Ok(Verdict::Deny(format!("denied by {} units: {}", denials.len(), reasons.join("; "))));
        }
        Ok(verdict_by_policy(input))
    }
}

impl Evaluation for KongtongRules {
    fn on_rating(input: &RatingInput) -> Result<FollowUp, RuleError> {
        let bad = input.level.is_bad();
        let escalation = if input.level == RatingLevel::VeryDissatisfied && input.channel == RatingChannel::Hotline {
            Escalation::Supervisor
        } else if bad && input.recent_bad_ratings >= 3 {
            Escalation::UnitLead
        } else {
            Escalation::None
        };
        Ok(FollowUp {
            return_visit: bad,
            rectification: bad.then_some(Rectification { due_in_days: RECTIFICATION_DAYS }),
            escalation,
        })
    }

    fn assess(input: &AssessInput) -> Result<Assessment, RuleError> {
        let mut scores: Vec<SubjectScore> = input
            .subjects
            .iter()
            .map(|s| {
                let satisfaction =
                    i64::try_from(s.ratings.weighted_average(RATING_WEIGHTS).unwrap_or(10_000)).unwrap_or(i64::MAX);
                let on_time = s.on_time_basis_points();
                let complaints = (10_000 - 1_000 * i64::from(s.complaints)).max(0);
                let penalty = 200 * i64::from(s.warnings) + 500 * i64::from(s.red_cards);
                let total = (satisfaction * 50 + on_time * 30 + complaints * 20) / 100 - penalty;
                SubjectScore { subject: s.subject.clone(), score: score(total.max(0)), rank: 0 }
            })
            .collect();
        rank(&mut scores);
        Ok(Assessment {
            scores,
            method: "Kongtong: 50% satisfaction (ratings weighted 100/85/60/20/0) + 30% on-time completion + 20% \
                     complaints (10 points off each); minus 2 per warning, 5 per red card"
                .into(),
        })
    }
}

onedoor_plugin_sdk::export!(KongtongRules);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use onedoor_plugin_sdk::{
        ApplicantKind, BranchDecision, CaseMatter, Date, Investment, RatingCounts, Subject, SubjectCounts, SubjectKind,
        Unit,
    };

    fn case(investment_yuan: Option<u64>) -> PlanInput {
        let matter = |id: &str, owner: &str, matter_type, promised| CaseMatter {
            id: id.into(),
            code: format!("62080200XK-{id}"),
            name: format!("matter {id}"),
            matter_type,
            owner_unit: owner.into(),
            statutory_days: 20,
            promised_days: promised,
        };
        let unit = |id: &str, kind| Unit { id: id.into(), code: id.to_uppercase(), name: format!("unit {id}"), kind };
        PlanInput {
            today: Date::new(2026, 11, 26),
            case_number: "KT-2026-000007".into(),
            applicant: ApplicantKind::Enterprise,
            investment: investment_yuan.map(|y| Investment { amount_fen: y * 100, key_project: false }),
            matters: vec![
                matter("m1", "city-market", MatterType::Confirmation, 3),
                matter("m2", "kt-housing", MatterType::Licence, 12),
                matter("m3", "kt-housing", MatterType::Licence, 10),
                matter("m4", "water", MatterType::PublicService, 2),
            ],
            units: vec![
                unit("city-market", UnitKind::CityDepartment),
                unit("kt-housing", UnitKind::DistrictDepartment),
                unit("water", UnitKind::PublicServiceBody),
            ],
        }
    }

    #[test]
    fn projects_from_ten_million_are_led_by_the_busiest_district_department() {
        let plan = KongtongRules::plan(&case(Some(20_000_000))).unwrap();
        assert_eq!(plan.lead_unit, "kt-housing");
        assert_eq!(plan.join_policy, JoinPolicy::JointMeeting);
        assert_eq!(KongtongRules::plan(&case(Some(5_000_000))).unwrap().lead_unit, "city-market");
    }

    #[test]
    fn branches_leave_two_days_to_the_lead_and_public_services_advise() {
        let plan = KongtongRules::plan(&case(None)).unwrap();
        let got: Vec<(u16, bool)> = plan.branches.iter().map(|b| (b.time_limit_days, b.required)).collect();
        assert_eq!(got, vec![(1, true), (10, true), (8, true), (2, false)]);
    }

    #[test]
    fn one_denial_goes_to_a_joint_meeting_two_deny() {
        let plan = KongtongRules::plan(&case(None)).unwrap();
        let denial = |unit: &str, matter: &str| BranchDecision {
            unit: unit.into(),
            matter: matter.into(),
            outcome: BranchOutcome::Denied,
            reason: format!("{unit} says no"),
            decided_on: Date::new(2026, 12, 1),
            days_taken: 2,
        };
        let input = |decisions| BranchInput {
            today: Date::new(2026, 12, 1),
            case_number: "KT-2026-000007".into(),
            plan: plan.clone(),
            decisions,
        };
        assert!(matches!(
            KongtongRules::on_branch_decided(&input(vec![denial("kt-housing", "m2")])).unwrap(),
            Verdict::ReferToJointMeeting(_)
        ));
        assert!(matches!(
            KongtongRules::on_branch_decided(&input(vec![denial("kt-housing", "m2"), denial("city-market", "m1")]))
                .unwrap(),
            Verdict::Deny(_)
        ));
    }

    #[test]
    fn bad_ratings_are_fixed_within_fifteen_working_days() {
        let rating = |level, channel, recent| RatingInput {
            today: Date::new(2026, 11, 26),
            level,
            channel,
            indicators: vec!["efficiency".into()],
            comment: String::new(),
            window: None,
            unit: Some("kt-housing".into()),
            staff: None,
            matter: None,
            case_number: None,
            recent_bad_ratings: recent,
        };
        let f = KongtongRules::on_rating(&rating(RatingLevel::Dissatisfied, RatingChannel::Online, 0)).unwrap();
        assert_eq!(f.rectification, Some(Rectification { due_in_days: 15 }));
        assert_eq!(f.escalation, Escalation::None);
        let hotline = rating(RatingLevel::VeryDissatisfied, RatingChannel::Hotline, 0);
        assert_eq!(KongtongRules::on_rating(&hotline).unwrap().escalation, Escalation::Supervisor);
        let neutral = KongtongRules::on_rating(&rating(RatingLevel::Neutral, RatingChannel::Sms, 9)).unwrap();
        assert_eq!(neutral, FollowUp { return_visit: false, rectification: None, escalation: Escalation::None });
    }

    #[test]
    fn assessment_weighs_complaints() {
        let counts = |id: &str, complaints| SubjectCounts {
            subject: Subject { kind: SubjectKind::Unit, id: id.into() },
            ratings: RatingCounts {
                very_satisfied: 4,
                satisfied: 0,
                neutral: 0,
                dissatisfied: 0,
                very_dissatisfied: 0,
            },
            cases_handled: 4,
            overdue_cases: 0,
            warnings: 0,
            red_cards: 0,
            complaints,
        };
        let input = AssessInput {
            today: Date::new(2026, 12, 1),
            period_start: Date::new(2026, 11, 1),
            period_end: Date::new(2026, 11, 30),
            subjects: vec![counts("a", 0), counts("b", 2)],
        };
        let a = KongtongRules::assess(&input).unwrap();
        let got: Vec<(i32, u32)> = a.scores.iter().map(|s| (s.score, s.rank)).collect();
        assert_eq!(got, vec![(10_000, 1), (9_600, 2)]);
    }
}
