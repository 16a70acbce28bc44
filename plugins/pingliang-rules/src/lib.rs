//! The local rules of the Pingliang city centre (平凉市政务服务中心), as a onedoor plugin.
//!
//! See this crate's README for the rules in words. The logic is plain Rust over the SDK's
//! types, so `cargo test -p pingliang-rules` tests it natively; `onedoor plugin build` turns
//! the crate into the component the centre uploads.

use onedoor_plugin_sdk::{
    AssessInput, Assessment, Branch, BranchInput, CaseMatter, Escalation, Evaluation, FollowUp, JoinPolicy, MatterType,
    ParallelApproval, Plan, PlanInput, RatingInput, RatingLevel, Rectification, RuleError, SubjectScore, Verdict, rank,
    score, verdict_by_policy,
};

/// Pingliang city's rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct PingliangRules;

/// Investment projects from this amount (in yuan) are "large": the key approval's unit leads
/// and arbitrates denials.
pub const LARGE_INVESTMENT_YUAN: u64 = 50_000_000;

/// Working days to fix what a bad rating reports.
pub const RECTIFICATION_DAYS: u16 = 5;

/// Rating weights in points, very satisfied first.
pub const RATING_WEIGHTS: [u32; 5] = [100, 90, 70, 30, 0];

impl PingliangRules {
    /// Whether the case is a large (or key) investment project.
    pub fn is_large_project(input: &PlanInput) -> bool {
        input.investment.is_some_and(|i| i.key_project) || input.investment_yuan() >= LARGE_INVESTMENT_YUAN
    }

    /// The key approval of a case: the licence with the longest statutory limit (the earliest
    /// listed on a tie), or the matter with the longest statutory limit without a licence.
    pub fn key_approval(input: &PlanInput) -> Option<&CaseMatter> {
        let longest = |pred: &dyn Fn(&CaseMatter) -> bool| {
            input.matters.iter().filter(|m| pred(m)).fold(None::<&CaseMatter>, |best, m| match best {
                Some(b) if b.statutory_days >= m.statutory_days => Some(b),
                _ => Some(m),
            })
        };
        longest(&|m| m.matter_type == MatterType::Licence).or_else(|| longest(&|_| true))
    }
}

impl ParallelApproval for PingliangRules {
    fn plan(input: &PlanInput) -> Result<Plan, RuleError> {
        let first = input.matters.first().ok_or_else(|| RuleError::InvalidInput("the case has no matter".into()))?;
        let large = Self::is_large_project(input);
        let (lead, join_policy, rationale) = match Self::key_approval(input) {
            Some(key) if large => (
                key.owner_unit.clone(),
                JoinPolicy::LeadArbitrates,
                format!(
                    "Pingliang: a large investment project (from {LARGE_INVESTMENT_YUAN} yuan, or a key project) is led by \
                     the unit of its key approval {} ({}), which arbitrates denials",
                    key.code, key.name
                ),
            ),
            _ => (
                first.owner_unit.clone(),
                JoinPolicy::AllApprove,
                format!("Pingliang: the owner unit of the first matter {} leads; every unit must approve", first.code),
            ),
        };
        let branches = input
            .matters
            .iter()
            .map(|m| Branch {
                unit: m.owner_unit.clone(),
                matter: m.id.clone(),
                time_limit_days: m.promised_days,
                required: true,
            })
            .collect();
        Ok(Plan { lead_unit: lead, branches, join_policy, rationale })
    }

    fn on_branch_decided(input: &BranchInput) -> Result<Verdict, RuleError> {
        Ok(verdict_by_policy(input))
    }
}

impl Evaluation for PingliangRules {
    fn on_rating(input: &RatingInput) -> Result<FollowUp, RuleError> {
        let bad = input.level.is_bad();
        let escalation = if bad && input.recent_bad_ratings >= 2 {
            Escalation::Supervisor
        } else if input.level == RatingLevel::VeryDissatisfied {
            Escalation::UnitLead
        } else {
            Escalation::None
        };
        Ok(FollowUp {
            // Even a merely "basically satisfied" applicant gets a call back.
            return_visit: bad || input.level == RatingLevel::Neutral,
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
                let penalty =
                    500 * i64::from(s.complaints) + 300 * i64::from(s.red_cards) + 100 * i64::from(s.warnings);
                let total = (satisfaction * 60 + on_time * 40) / 100 - penalty;
                SubjectScore { subject: s.subject.clone(), score: score(total.max(0)), rank: 0 }
            })
            .collect();
        rank(&mut scores);
        Ok(Assessment {
            scores,
            method: "Pingliang: 60% satisfaction (ratings weighted 100/90/70/30/0) + 40% on-time completion; \
                     minus 5 per upheld complaint, 3 per red card, 1 per warning"
                .into(),
        })
    }
}

onedoor_plugin_sdk::export!(PingliangRules);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use onedoor_plugin_sdk::{
        ApplicantKind, Date, Investment, RatingChannel, RatingCounts, Subject, SubjectCounts, SubjectKind, Unit,
        UnitKind,
    };

    fn matter(id: &str, owner: &str, matter_type: MatterType, statutory: u16, promised: u16) -> CaseMatter {
        CaseMatter {
            id: id.into(),
            code: format!("62080000XK-{id}"),
            name: format!("matter {id}"),
            matter_type,
            owner_unit: owner.into(),
            statutory_days: statutory,
            promised_days: promised,
        }
    }

    fn case(investment_yuan: Option<u64>) -> PlanInput {
        let unit = |id: &str| Unit {
            id: id.into(),
            code: id.to_uppercase(),
            name: format!("unit {id}"),
            kind: UnitKind::CityDepartment,
        };
        PlanInput {
            today: Date::new(2026, 11, 26),
            case_number: "PL-2026-000042".into(),
            applicant: ApplicantKind::Enterprise,
            investment: investment_yuan.map(|y| Investment { amount_fen: y * 100, key_project: false }),
            matters: vec![
                matter("m1", "market", MatterType::Confirmation, 5, 3),
                matter("m2", "planning", MatterType::Licence, 20, 12),
                matter("m3", "environment", MatterType::Licence, 20, 10),
            ],
            units: vec![unit("market"), unit("planning"), unit("environment")],
        }
    }

    #[test]
    fn small_cases_are_led_by_the_first_owner_and_need_every_approval() {
        let plan = PingliangRules::plan(&case(None)).unwrap();
        assert_eq!(plan.lead_unit, "market");
        assert_eq!(plan.join_policy, JoinPolicy::AllApprove);
        let limits: Vec<u16> = plan.branches.iter().map(|b| b.time_limit_days).collect();
        assert_eq!(limits, vec![3, 12, 10]);
        assert!(plan.branches.iter().all(|b| b.required));
    }

    #[test]
    fn large_projects_are_led_by_the_key_approval() {
        let plan = PingliangRules::plan(&case(Some(80_000_000))).unwrap();
        // Two licences of 20 statutory days: the first listed is the key approval.
        assert_eq!(plan.lead_unit, "planning");
        assert_eq!(plan.join_policy, JoinPolicy::LeadArbitrates);
        // 20 million yuan is below Pingliang's threshold.
        assert_eq!(PingliangRules::plan(&case(Some(20_000_000))).unwrap().lead_unit, "market");
    }

    #[test]
    fn denials_of_large_projects_go_to_the_lead() {
        let plan = PingliangRules::plan(&case(Some(80_000_000))).unwrap();
        let input = BranchInput {
            today: Date::new(2026, 12, 1),
            case_number: "PL-2026-000042".into(),
            decisions: vec![onedoor_plugin_sdk::BranchDecision {
                unit: "environment".into(),
                matter: "m3".into(),
                outcome: onedoor_plugin_sdk::BranchOutcome::Denied,
                reason: "emissions above the limit".into(),
                decided_on: Date::new(2026, 12, 1),
                days_taken: 3,
            }],
            plan,
        };
        assert_eq!(
            PingliangRules::on_branch_decided(&input).unwrap(),
            Verdict::ReferToLead("emissions above the limit".into())
        );
    }

    fn rating(level: RatingLevel, recent: u32) -> RatingInput {
        RatingInput {
            today: Date::new(2026, 11, 26),
            level,
            channel: RatingChannel::OnSite,
            indicators: vec![],
            comment: String::new(),
            window: Some("w1".into()),
            unit: None,
            staff: Some("s1".into()),
            matter: None,
            case_number: None,
            recent_bad_ratings: recent,
        }
    }

    #[test]
    fn bad_ratings_are_fixed_within_five_working_days() {
        let f = PingliangRules::on_rating(&rating(RatingLevel::Dissatisfied, 0)).unwrap();
        assert_eq!(
            f,
            FollowUp {
                return_visit: true,
                rectification: Some(Rectification { due_in_days: 5 }),
                escalation: Escalation::None
            }
        );
        assert_eq!(
            PingliangRules::on_rating(&rating(RatingLevel::VeryDissatisfied, 0)).unwrap().escalation,
            Escalation::UnitLead
        );
        assert_eq!(
            PingliangRules::on_rating(&rating(RatingLevel::Dissatisfied, 2)).unwrap().escalation,
            Escalation::Supervisor
        );
        let neutral = PingliangRules::on_rating(&rating(RatingLevel::Neutral, 0)).unwrap();
        assert!(neutral.return_visit && neutral.rectification.is_none());
    }

    #[test]
    fn assessment_weighs_satisfaction_and_punctuality() {
        let counts = |id: &str, satisfied, overdue, complaints| SubjectCounts {
            subject: Subject { kind: SubjectKind::Staff, id: id.into() },
            ratings: RatingCounts { very_satisfied: 0, satisfied, neutral: 0, dissatisfied: 0, very_dissatisfied: 0 },
            cases_handled: 10,
            overdue_cases: overdue,
            warnings: 0,
            red_cards: 0,
            complaints,
        };
        let input = AssessInput {
            today: Date::new(2026, 12, 1),
            period_start: Date::new(2026, 11, 1),
            period_end: Date::new(2026, 11, 30),
            subjects: vec![counts("a", 10, 0, 0), counts("b", 10, 5, 0), counts("c", 10, 0, 1)],
        };
        let a = PingliangRules::assess(&input).unwrap();
        let got: Vec<(i32, u32)> = a.scores.iter().map(|s| (s.score, s.rank)).collect();
        // a: 0.6 × 90 + 0.4 × 100 = 94; b: 54 + 20 = 74; c: 94 − 5 = 89.
        assert_eq!(got, vec![(9400, 1), (7400, 3), (8900, 2)]);
    }
}
