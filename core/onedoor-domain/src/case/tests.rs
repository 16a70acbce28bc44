use super::*;
use crate::calendar::DayKind;
use crate::catalogue::MatterType;
use crate::id::CaseId;
use crate::organisation::UnitKind;
use crate::rules::{DefaultParallelApproval, JoinPolicy};
use crate::values::{Code, MatterCode, TimeLimits};
use crate::workflow::StepDef;
use uuid::Uuid;

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2018, m, day).unwrap_or(NaiveDate::MIN)
}

fn unit(n: u128) -> UnitId {
    UnitId(Uuid::from_u128(n))
}

/// Spring Festival 2018: 15–21 Feb off, 11 and 24 Feb make-up working days.
fn calendar() -> Calendar {
    let mut days: Vec<(NaiveDate, DayKind)> =
        [15, 16, 19, 20, 21].iter().map(|x| (d(2, *x), DayKind::Holiday)).collect();
    days.extend([(d(2, 11), DayKind::MakeUpWorkday), (d(2, 24), DayKind::MakeUpWorkday)]);
    Calendar::new(days)
}

fn matter(n: u128, promised: i64) -> CaseMatterAt {
    CaseMatterAt {
        matter: CaseMatter {
            id: MatterId(Uuid::from_u128(100 + n)),
            code: MatterCode::parse(&format!("62080000XK-XK-000{n}")).unwrap_or_else(|e| panic!("{e}")),
            name: Name::parse(&format!("matter {n}")).unwrap_or_else(|e| panic!("{e}")),
            matter_type: MatterType::Licence,
            owner_unit: unit(n),
            limits: TimeLimits::new(days(promised + 10), days(promised)).unwrap_or_else(|e| panic!("{e:?}")),
        },
        version: 1,
        required_materials: vec![format!("form {n}")],
        statutory: (promised + 10) as u16,
    }
}

fn new_case(matters: Vec<CaseMatterAt>, workflow: WorkflowDef) -> Case {
    let materials = matters.iter().flat_map(|m| m.required_materials.clone()).collect();
    Case::submit(NewCase {
        id: CaseId(Uuid::from_u128(1)),
        centre: CentreId(Uuid::from_u128(9)),
        number: "pingliang-20180209-000001".into(),
        channel: Channel::Window,
        applicant: Applicant {
            kind: ApplicantKind::Enterprise,
            name: Name::parse("Pingliang Apple Co.").unwrap_or_else(|e| panic!("{e}")),
            id_number: IdNumber::parse("91620800MA71234567").unwrap_or_else(|e| panic!("{e}")),
            phone: String::new(),
        },
        proxy: None,
        reception: Reception { centre: CentreId(Uuid::from_u128(9)), window: None, staff: StaffId(Uuid::from_u128(7)) },
        matters,
        bundle: None,
        investment: None,
        materials,
        workflow: (workflow, 0),
        ticket: None,
        today: d(2, 9),
    })
    .0
}

fn three_branches() -> Case {
    let ms = vec![matter(1, 5), matter(2, 8), matter(3, 3)];
    let wf = WorkflowDef::parallel(
        &ms.iter()
            .map(|m| (m.matter.owner_unit, m.matter.name.to_string(), m.matter.limits.promised().get()))
            .collect::<Vec<_>>(),
    );
    new_case(ms, wf)
}

fn involved(u: UnitId) -> Option<InvolvedUnit> {
    Some(InvolvedUnit {
        id: u,
        code: Code::parse(&format!("u{}", u.0.as_u128())).ok()?,
        name: Name::parse("a unit").ok()?,
        kind: UnitKind::CityDepartment,
    })
}

struct Env {
    cal: Calendar,
    rule: Box<dyn ParallelApprovalRule>,
}

impl Env {
    fn new() -> Env {
        Env { cal: calendar(), rule: Box::new(DefaultParallelApproval) }
    }

    fn ctx(&self, today: NaiveDate) -> Ctx<'_> {
        Ctx { today, calendar: &self.cal, rule: self.rule.as_ref(), rule_name: "builtin", unit: &involved }
    }

    fn run(&self, case: &Case, today: NaiveDate, cmd: Command) -> Case {
        match case.apply(&cmd, &self.ctx(today)) {
            Ok((c, _)) => c,
            Err(e) => panic!("{cmd:?} failed: {e}"),
        }
    }

    fn fails(&self, case: &Case, today: NaiveDate, cmd: Command) -> Vec<(String, &'static str)> {
        match case.apply(&cmd, &self.ctx(today)) {
            Ok(_) => panic!("{cmd:?} should fail"),
            Err(CaseError::Invalid(es)) => es.into_iter().map(|e| (e.field, e.code.as_str())).collect(),
            Err(CaseError::Rule(e)) => {
                vec![("rule".into(), "RULE")].into_iter().chain(std::iter::once((e.to_string(), ""))).collect()
            }
        }
    }
}

fn actor(u: u128, role: Role) -> Actor {
    Actor { staff: StaffId(Uuid::from_u128(1000 + u)), unit: Some(unit(u)), roles: Roles::from_iter([role]) }
}

fn decide(step: u32, decision: Decision, comment: &str, who: Actor) -> Command {
    Command::Decide { step, decision, comment: comment.into(), actor: who }
}

#[test]
fn a_three_unit_parallel_approval_runs_to_collection_across_the_holiday() {
    let env = Env::new();
    let case = env.run(&three_branches(), d(2, 9), Command::Accept);
    assert_eq!(case.state, CaseState::InReview);
    // Promised 8 working days from Fri 9 Feb: 11 (make-up), 12, 13, 14, 22, 23, 24 (make-up), 26.
    assert_eq!(case.due(&env.cal), Some(d(2, 26)));
    let branches: Vec<(u32, UnitId, Option<NaiveDate>)> =
        case.open_steps().map(|s| (s.id, s.unit, s.clock.deadline(&env.cal))).collect();
    assert_eq!(
        branches,
        vec![(0, unit(1), Some(d(2, 22))), (1, unit(2), Some(d(2, 26))), (2, unit(3), Some(d(2, 13)))]
    );
    assert_eq!(case.parallel.as_ref().map(|p| p.plan.lead_unit), Some(unit(1)));

    let case = env.run(&case, d(2, 12), decide(2, Decision::Approve, "", actor(3, Role::Approver)));
    let case = env.run(&case, d(2, 13), decide(0, Decision::Approve, "fine", actor(1, Role::Approver)));
    assert_eq!(case.state, CaseState::InReview, "one branch still open");
    let case = env.run(&case, d(2, 22), decide(1, Decision::Approve, "", actor(2, Role::Approver)));
    assert_eq!(case.state, CaseState::Approved);
    assert_eq!(case.decided_on, Some(d(2, 22)));
    let p = case.parallel.as_ref().map(|p| (p.decisions.len(), p.verdicts.len()));
    assert_eq!(p, Some((3, 3)));
    assert_eq!(case.parallel.as_ref().and_then(|p| p.decisions.last()).map(|d| d.days_taken.get()), Some(5));
    let case = env.run(&case, d(2, 23), Command::IssueResult { note: "licence 2018-001".into() });
    let case = env.run(&case, d(2, 24), Command::HandOver { how: Handover::Collected, note: String::new() });
    assert_eq!(case.state, CaseState::Collected);
    assert_eq!(case.version, 7);
}

#[test]
fn only_the_steps_unit_and_role_decide_and_only_once() {
    let env = Env::new();
    let case = env.run(&three_branches(), d(2, 9), Command::Accept);
    assert_eq!(
        env.fails(&case, d(2, 12), decide(0, Decision::Approve, "", actor(2, Role::Approver))),
        [("step".into(), "NOT_ASSIGNED")]
    );
    assert_eq!(
        env.fails(&case, d(2, 12), decide(0, Decision::Approve, "", actor(1, Role::Guide))),
        [("step".into(), "NOT_ASSIGNED")]
    );
    assert_eq!(
        env.fails(&case, d(2, 12), decide(9, Decision::Approve, "", actor(1, Role::Approver))),
        [("step".into(), "INVALID_REFERENCE")]
    );
    assert_eq!(
        env.fails(&case, d(2, 12), decide(0, Decision::Deny, " ", actor(1, Role::Approver))),
        [("comment".into(), "REQUIRED")]
    );
    let first = env.run(&case, d(2, 12), decide(0, Decision::Approve, "", actor(1, Role::Approver)));
    // A second clerk acting on the state the first one changed loses with a conflict.
    assert_eq!(
        env.fails(&first, d(2, 12), decide(0, Decision::Deny, "no", actor(1, Role::Approver))),
        [("step".into(), "CONFLICT")]
    );
}

#[test]
fn a_required_branch_denying_denies_the_case_and_closes_the_rest() {
    let env = Env::new();
    let case = env.run(&three_branches(), d(2, 9), Command::Accept);
    let case = env.run(&case, d(2, 12), decide(1, Decision::Deny, "zoning forbids it", actor(2, Role::Approver)));
    assert_eq!(case.state, CaseState::Denied);
    assert_eq!(case.reason, "zoning forbids it");
    assert_eq!(case.open_steps().count(), 0);
    assert!(case.steps.iter().filter(|s| s.status == StepStatus::Skipped).count() == 2);
}

struct LeadArbitrates;
impl ParallelApprovalRule for LeadArbitrates {
    fn plan(&self, input: &PlanInput) -> Result<Plan, RuleError> {
        let mut plan = DefaultParallelApproval.plan(input)?;
        plan.join_policy = JoinPolicy::LeadArbitrates;
        plan.lead_unit = unit(2);
        Ok(plan)
    }
    fn on_branch_decided(&self, input: &BranchInput) -> Result<Verdict, RuleError> {
        DefaultParallelApproval.on_branch_decided(input)
    }
}

#[test]
fn a_denial_referred_to_the_lead_unit_is_arbitrated_by_its_lead() {
    let env = Env { cal: calendar(), rule: Box::new(LeadArbitrates) };
    let case = env.run(&three_branches(), d(2, 9), Command::Accept);
    let case = env.run(&case, d(2, 12), decide(2, Decision::Deny, "noise", actor(3, Role::Approver)));
    assert_eq!(case.state, CaseState::InReview);
    let arb: Vec<(StepType, UnitId, Role)> = case.open_steps().map(|s| (s.kind, s.unit, s.role)).collect();
    assert_eq!(arb, vec![(StepType::Arbitration, unit(2), Role::UnitLead)]);
    assert_eq!(
        env.fails(&case, d(2, 13), decide(3, Decision::Approve, "", actor(2, Role::Approver))),
        [("step".into(), "NOT_ASSIGNED")]
    );
    let case = env.run(&case, d(2, 13), decide(3, Decision::Approve, "conditions agreed", actor(2, Role::UnitLead)));
    assert_eq!(case.state, CaseState::Approved);
}

struct Broken;
impl ParallelApprovalRule for Broken {
    fn plan(&self, input: &PlanInput) -> Result<Plan, RuleError> {
        let mut plan = DefaultParallelApproval.plan(input)?;
        plan.lead_unit = unit(77);
        Ok(plan)
    }
    fn on_branch_decided(&self, _: &BranchInput) -> Result<Verdict, RuleError> {
        Err(RuleError::Failed("trap".into()))
    }
}

#[test]
fn a_rule_that_fails_changes_nothing() {
    let env = Env { cal: calendar(), rule: Box::new(Broken) };
    let before = three_branches();
    let err = before.apply(&Command::Accept, &env.ctx(d(2, 9))).err();
    assert!(matches!(err, Some(CaseError::Rule(RuleError::MalformedOutput(_)))), "{err:?}");
    assert_eq!(before.state, CaseState::Submitted);
}

#[test]
fn supplements_are_asked_once_in_full_and_the_clock_starts_when_they_arrive() {
    let env = Env::new();
    let mut case = three_branches();
    case.materials.clear();
    let missing = env.fails(&case, d(2, 9), Command::Accept);
    assert_eq!(missing, vec![("materials".into(), "MATERIAL_MISSING"); 3]);
    let empty = env.fails(&case, d(2, 9), Command::RequestSupplements { missing: vec![] });
    assert_eq!(empty, [("missing".into(), "TOO_FEW")]);
    let case = env.run(&case, d(2, 9), Command::RequestSupplements { missing: case.missing_materials() });
    assert_eq!(case.state, CaseState::AwaitingSupplements);
    assert!(case.clock.is_none());
    let again = env.fails(&case, d(2, 9), Command::RequestSupplements { missing: vec!["more".into()] });
    assert_eq!(again, [("missing".into(), "INVALID_STATE")]);
    let partial = env.fails(&case, d(2, 12), Command::ReceiveSupplements { materials: vec!["form 1".into()] });
    assert_eq!(partial, vec![("materials".into(), "MATERIAL_MISSING"); 2]);
    let all = vec!["form 1".into(), "form 2".into(), "form 3".into()];
    let case = env.run(&case, d(2, 12), Command::ReceiveSupplements { materials: all });
    assert_eq!(case.state, CaseState::InReview);
    assert_eq!(case.accepted_on, Some(d(2, 12)));
    assert_eq!(case.due(&env.cal), Some(env.cal.add_working_days(d(2, 12), 8)));
}

#[test]
fn suspension_stops_the_clock_and_extensions_stay_within_the_statute() {
    let env = Env::new();
    let case = env.run(&three_branches(), d(2, 9), Command::Accept);
    let case = env.run(&case, d(2, 12), Command::Suspend { reason: PauseReason::ExpertReview, note: "panel".into() });
    assert_eq!(case.due(&env.cal), None);
    let blocked = env.fails(&case, d(2, 13), decide(0, Decision::Approve, "", actor(1, Role::Approver)));
    assert_eq!(blocked, [("case".into(), "INVALID_STATE")]);
    let case = env.run(&case, d(2, 14), Command::Resume);
    // 13 and 14 Feb held: two more working days, across the festival: 26 Feb → 28 Feb.
    assert_eq!(case.due(&env.cal), Some(d(2, 28)));
    let too_long = env.fails(&case, d(2, 14), Command::Extend { days: 11, reason: "survey".into() });
    assert_eq!(too_long, [("days".into(), "OUT_OF_RANGE")]);
    let case = env.run(&case, d(2, 14), Command::Extend { days: 2, reason: "site survey".into() });
    assert_eq!(case.due(&env.cal), Some(env.cal.add_working_days(d(2, 28), 2)));
}

#[test]
fn a_return_reopens_the_previous_task() {
    let env = Env::new();
    let task = |key: &str, next: &[&str]| StepDef {
        key: key.into(),
        name: key.into(),
        kind: StepKind::Task,
        unit: None,
        role: Role::Approver,
        limit: 2,
        next: next.iter().map(|s| (*s).to_owned()).collect(),
    };
    let wf = WorkflowDef { steps: vec![task("check", &["sign"]), task("sign", &[])] };
    let case = env.run(&new_case(vec![matter(1, 5)], wf), d(2, 9), Command::Accept);
    let returned = env.fails(&case, d(2, 12), decide(0, Decision::Return, "", actor(1, Role::Approver)));
    assert_eq!(returned, [("decision".into(), "INVALID_STATE")]);
    let case = env.run(&case, d(2, 12), decide(0, Decision::Approve, "", actor(1, Role::Approver)));
    let case = env.run(&case, d(2, 13), decide(1, Decision::Return, "stamp missing", actor(1, Role::Approver)));
    let open: Vec<(u32, &str)> = case.open_steps().map(|s| (s.id, s.key.as_str())).collect();
    assert_eq!(open, vec![(2, "check")]);
    let case = env.run(&case, d(2, 13), decide(2, Decision::Approve, "", actor(1, Role::Approver)));
    let case = env.run(&case, d(2, 14), decide(3, Decision::Approve, "", actor(1, Role::Approver)));
    assert_eq!(case.state, CaseState::Approved);
}

#[test]
fn identity_numbers_are_masked_in_public() {
    let id = IdNumber::parse("620802199001011234").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(id.masked(), "**************1234");
    assert!(id.ends_with("1234") && id.ends_with("011234") && !id.ends_with("34") && !id.ends_with("1235"));
    assert!(IdNumber::parse("12-34").is_err());
}

fn days(n: i64) -> WorkingDays {
    WorkingDays::parse(n).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn supervision_marks_deadlines_across_the_holiday_and_irregular_decisions() {
    use crate::supervision::{
        DeadlineLevel, Irregularity, RecordedDecision, SupervisionSettings, deadline_marks, irregularities,
    };
    let env = Env::new();
    let case = env.run(&three_branches(), d(2, 9), Command::Accept);
    let s = SupervisionSettings::default();
    let marks = |today| -> Vec<(Option<u32>, DeadlineLevel)> {
        deadline_marks(&case, &env.cal, today, &s).iter().map(|m| (m.step, m.level)).collect()
    };
    // Branch 2 is due on 13 Feb (11, 12, 13); nothing is near on the 9th.
    assert_eq!(marks(d(2, 9)), []);
    assert_eq!(marks(d(2, 12)), [(Some(2), DeadlineLevel::Warning)]);
    // Branch 0 is due on the 22nd: one working day left after the 14th.
    assert_eq!(marks(d(2, 14)), [(Some(0), DeadlineLevel::Warning), (Some(2), DeadlineLevel::Yellow)]);
    // The holiday counts nothing: on the 21st branch 2 is still one day late.
    assert_eq!(marks(d(2, 21)), [(Some(0), DeadlineLevel::Warning), (Some(2), DeadlineLevel::Yellow)]);
    // 24 Feb is a make-up working day: branch 2 is 4 days late, red; the case is due soon.
    assert_eq!(
        marks(d(2, 24)),
        [
            (None, DeadlineLevel::Warning),
            (Some(0), DeadlineLevel::Yellow),
            (Some(1), DeadlineLevel::Warning),
            (Some(2), DeadlineLevel::Red)
        ]
    );
    // A suspended case raises nothing.
    let paused = env.run(
        &case,
        d(2, 12),
        Command::Suspend { reason: crate::calendar::PauseReason::ExpertReview, note: "review".into() },
    );
    assert_eq!(deadline_marks(&paused, &env.cal, d(2, 24), &s), []);

    // A decision recorded with roles that do not include the step's.
    let clerk = vec![RecordedDecision { step: 2, roles: "WINDOW_CLERK".into() }];
    assert!(matches!(irregularities(&case, &clerk)[..], [Irregularity::RoleMayNot { step: 2, .. }]));
    let fine = vec![RecordedDecision { step: 2, roles: "APPROVER,UNIT_LEAD".into() }];
    assert_eq!(irregularities(&case, &fine), []);
    // A refusal whose reason says nothing.
    let fresh = three_branches();
    let refused = env.run(&fresh, d(2, 9), Command::Refuse { reason: "无".into() });
    assert!(matches!(irregularities(&refused, &[])[..], [Irregularity::NoReason { .. }]));
}
