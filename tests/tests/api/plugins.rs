//! Local-rule plugins, built from source by `tests/build.rs`: the two centres' rules on the same
//! case, hostile guests contained, a hot swap and roll back under concurrent calls, decisions
//! recorded and replayed, and the author kit's check and fixture runner.

use chrono::NaiveDate;
use onedoor_domain::catalogue::MatterType;
use onedoor_domain::organisation::UnitKind;
use onedoor_domain::rules::{
    ApplicantKind, CaseMatter, EvaluationRule, Investment, InvolvedUnit, JoinPolicy, ParallelApprovalRule, Plan,
    PlanInput, RatingChannel, RatingInput, RatingLevel, RuleError,
};
use onedoor_domain::values::{Code, Fen, MatterCode, Name, TimeLimits, WorkingDays};
use onedoor_domain::{MatterId, UnitId};
use onedoor_plugin_host::{
    DecidedBy, DecisionRecord, Failure, HostConfig, HostError, Limits, PluginHost, RecordedOutput, Request, Response,
    WasmRules, decide, kit, replay,
};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::Duration;
use uuid::Uuid;

pub(crate) const PINGLIANG: &str = env!("ONEDOOR_TEST_PINGLIANG_WASM");
pub(crate) const KONGTONG: &str = env!("ONEDOOR_TEST_KONGTONG_WASM");
pub(crate) const HOSTILE: &str = env!("ONEDOOR_TEST_HOSTILE_WASM");
pub(crate) const WASI_IMPORT: &str = env!("ONEDOOR_TEST_WASI_IMPORT_WASM");

/// Failures reported by the shared host's observer (the supervision alerts).
static FAILURES: Mutex<Vec<Failure>> = Mutex::new(Vec::new());

/// One host for the whole suite, as in a process.
fn host() -> &'static PluginHost {
    static HOST: OnceLock<PluginHost> = OnceLock::new();
    HOST.get_or_init(|| {
        PluginHost::new(HostConfig::default())
            .unwrap()
            .on_failure(|f| FAILURES.lock().unwrap_or_else(|e| e.into_inner()).push(f.clone()))
    })
}

/// The component of a module built by the build script (turned into a component by the
/// author kit, as `onedoor plugin build` does).
pub(crate) fn component(module: &str) -> Vec<u8> {
    kit::componentize(&std::fs::read(module).unwrap()).unwrap()
}

pub(crate) fn load(module: &str) -> WasmRules {
    host().load(&component(module)).unwrap()
}

fn unit(n: u128) -> UnitId {
    UnitId(Uuid::from_u128(n))
}

/// One case, the same for both centres: a 30-million-yuan investment project with four
/// matters of three units (Pingliang's threshold is 50 million, Kongtong's 10 million).
pub(crate) fn project_case(case_number: &str) -> PlanInput {
    let units = [
        (1, "PL-SCJ", "平凉市市场监督管理局", UnitKind::CityDepartment),
        (2, "KT-ZJJ", "崆峒区住房和城乡建设局", UnitKind::DistrictDepartment),
        (3, "PL-WATER", "平凉市供水公司", UnitKind::PublicServiceBody),
    ];
    let matters = [
        (1, "62080000SC-QR-0001", "企业设立登记", MatterType::Confirmation, 1, 15, 3),
        (2, "62080200ZJ-XK-0001", "建筑工程施工许可", MatterType::Licence, 2, 20, 10),
        (3, "62080200ZJ-XK-0002", "建设工程规划许可", MatterType::Licence, 2, 20, 12),
        (4, "62080000GS-GG-0001", "供水报装", MatterType::PublicService, 3, 10, 5),
    ];
    PlanInput {
        today: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        case_number: case_number.into(),
        applicant: ApplicantKind::Enterprise,
        investment: Some(Investment { amount: Fen::parse(30_000_000 * 100).unwrap(), key_project: false }),
        matters: matters
            .iter()
            .map(|&(n, code, name, matter_type, owner, statutory, promised)| CaseMatter {
                id: MatterId(Uuid::from_u128(0x100 + n)),
                code: MatterCode::parse(code).unwrap(),
                name: Name::parse(name).unwrap(),
                matter_type,
                owner_unit: unit(owner),
                limits: TimeLimits::new(WorkingDays::parse(statutory).unwrap(), WorkingDays::parse(promised).unwrap())
                    .unwrap(),
            })
            .collect(),
        units: units
            .iter()
            .map(|&(n, code, name, kind)| InvolvedUnit {
                id: unit(n),
                code: Code::parse(code).unwrap(),
                name: Name::parse(name).unwrap(),
                kind,
            })
            .collect(),
    }
}

/// A plan in words, with unit and matter codes instead of ids.
fn render(input: &PlanInput, plan: &Plan) -> String {
    let unit = |id: UnitId| input.units.iter().find(|u| u.id == id).map_or("?".into(), |u| u.code.to_string());
    let matter = |id: MatterId| input.matters.iter().find(|m| m.id == id).map_or("?".into(), |m| m.code.to_string());
    let mut out = format!("lead {}, {:?}\n", unit(plan.lead_unit), plan.join_policy);
    for b in &plan.branches {
        let required = if b.required { "required" } else { "advisory" };
        out += &format!("  {} decides {} in {} days, {required}\n", unit(b.unit), matter(b.matter), b.time_limit.get());
    }
    out
}

#[test]
fn the_two_centres_plan_the_same_case_differently() {
    let input = project_case("PL-2026-000001");
    let pingliang = load(PINGLIANG).plan(&input).unwrap();
    let kongtong = load(KONGTONG).plan(&input).unwrap();
    expect_test::expect![[r#"
        lead PL-SCJ, AllApprove
          PL-SCJ decides 62080000SC-QR-0001 in 3 days, required
          KT-ZJJ decides 62080200ZJ-XK-0001 in 10 days, required
          KT-ZJJ decides 62080200ZJ-XK-0002 in 12 days, required
          PL-WATER decides 62080000GS-GG-0001 in 5 days, required
    "#]]
    .assert_eq(&render(&input, &pingliang.value));
    expect_test::expect![[r#"
        lead KT-ZJJ, JointMeeting
          PL-SCJ decides 62080000SC-QR-0001 in 1 days, required
          KT-ZJJ decides 62080200ZJ-XK-0001 in 8 days, required
          KT-ZJJ decides 62080200ZJ-XK-0002 in 10 days, required
          PL-WATER decides 62080000GS-GG-0001 in 3 days, advisory
    "#]]
    .assert_eq(&render(&input, &kongtong.value));
    // Both are well within the default limits.
    for stats in [pingliang.stats, kongtong.stats] {
        assert!(stats.fuel_used > 0 && stats.fuel_used < Limits::DEFAULT_FUEL / 100, "{stats:?}");
        assert!(stats.memory_peak_bytes > 0 && stats.memory_peak_bytes <= Limits::DEFAULT_MEMORY_BYTES);
    }
    // Above 50 million yuan, Pingliang's key approval (the first 20-day licence) leads and
    // arbitrates.
    let mut large = input.clone();
    large.investment = Some(Investment { amount: Fen::parse(80_000_000 * 100).unwrap(), key_project: false });
    let plan = load(PINGLIANG).plan(&large).unwrap().value;
    assert_eq!((plan.lead_unit, plan.join_policy), (unit(2), JoinPolicy::LeadArbitrates));
}

pub(crate) fn bad_rating() -> RatingInput {
    RatingInput {
        today: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        level: RatingLevel::Dissatisfied,
        channel: RatingChannel::OnSite,
        indicators: vec!["waiting-time".into()],
        comment: "排队太久".into(),
        window: None,
        unit: Some(unit(2)),
        staff: None,
        matter: None,
        case_number: Some("PL-2026-000001".into()),
        recent_bad_ratings: 0,
    }
}

#[test]
fn the_two_centres_fix_bad_ratings_in_5_and_15_working_days() {
    // Through the domain's trait, as the platform will call it.
    let due =
        |rules: &dyn EvaluationRule| rules.on_rating(&bad_rating()).unwrap().rectification.map(|r| r.due_in.get());
    assert_eq!(due(&load(PINGLIANG)), Some(5));
    assert_eq!(due(&load(KONGTONG)), Some(15));
}

/// Calls the hostile plugin with the case number that triggers `behaviour`, expects the error
/// `code`, and then the same plugin and another serve good calls at once.
#[track_caller]
fn check_contained(behaviour: &str, code: &str) {
    check_contained_with(&load(HOSTILE), behaviour, code);
}

/// [`check_contained`], with the hostile plugin loaded under the caller's limits.
#[track_caller]
fn check_contained_with(hostile: &WasmRules, behaviour: &str, code: &str) {
    let err = hostile.plan(&project_case(behaviour)).unwrap_err();
    assert_eq!(err.code(), code, "{behaviour}: {err}");
    let alerted = FAILURES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|f| f.plugin == hostile.sha256() && f.code == code);
    assert!(alerted, "{behaviour}: no failure reported to the observer");
    let good = hostile.plan(&project_case("good")).unwrap();
    assert_eq!(good.value.lead_unit, unit(1));
    assert!(load(PINGLIANG).plan(&project_case("PL-2026-000002")).is_ok());
}

#[test]
fn an_endless_loop_runs_out_of_fuel() {
    check_contained("loop", "OUT_OF_FUEL");
}

#[test]
fn an_endless_loop_with_fuel_to_spare_times_out() {
    // Fuel cannot stop it (u64::MAX units would last decades): the wall time does.
    let limits = Limits { fuel: u64::MAX, wall_time: Duration::from_millis(20), ..Limits::default() };
    let hostile = load(HOSTILE).with_limits(limits);
    check_contained_with(&hostile, "loop", "TIMEOUT");
    let err = hostile.plan(&project_case("loop")).unwrap_err();
    assert!(matches!(err, HostError::Timeout { limit } if limit == limits.wall_time), "{err:?}");
    // Through the domain's trait, the same failure is an engine error with its code.
    assert_eq!(ParallelApprovalRule::plan(&hostile, &project_case("loop")).unwrap_err().code(), "TIMEOUT");
}

#[test]
fn a_zero_wall_time_is_refused() {
    let zero = Limits { wall_time: Duration::ZERO, ..Limits::default() };
    assert_eq!(host().load_with(&component(PINGLIANG), zero).unwrap_err().code(), "INVALID_LIMITS");
    let err = load(PINGLIANG).with_limits(zero).plan(&project_case("PL-2026-000006")).unwrap_err();
    assert_eq!(err.code(), "INVALID_LIMITS");
    assert!(!err.is_call_failure());
}

#[test]
fn a_memory_bomb_hits_the_memory_cap() {
    check_contained("bomb", "OUT_OF_MEMORY");
}

#[test]
fn a_panic_is_a_trap() {
    check_contained("panic", "TRAP");
}

#[test]
fn an_oversized_output_is_refused() {
    check_contained("big", "OUTPUT_TOO_LARGE");
}

#[test]
fn malformed_plans_are_refused() {
    check_contained("stranger", "MALFORMED_OUTPUT");
    check_contained("not-an-id", "MALFORMED_OUTPUT");
    // Through the domain's trait, the same failure is the domain's malformed output.
    let err = ParallelApprovalRule::plan(&load(HOSTILE), &project_case("stranger")).unwrap_err();
    assert!(matches!(err, RuleError::MalformedOutput(ref m) if m.contains("lead unit")), "{err:?}");
    let err = ParallelApprovalRule::plan(&load(HOSTILE), &project_case("loop")).unwrap_err();
    assert_eq!(err.code(), "OUT_OF_FUEL");
}

#[test]
fn fuel_is_configurable_per_plugin() {
    let starved = load(PINGLIANG).with_limits(Limits { fuel: 1_000, ..Limits::default() });
    assert_eq!(starved.plan(&project_case("PL-2026-000003")).unwrap_err().code(), "OUT_OF_FUEL");
}

#[test]
fn plugins_that_import_or_are_not_components_are_refused_at_load() {
    let err = host().load(&component(WASI_IMPORT)).unwrap_err();
    assert!(matches!(&err, HostError::ForbiddenImport { name } if name == "wasi:random/random@0.2.0"), "{err:?}");
    let err = host().load(&std::fs::read(PINGLIANG).unwrap()).unwrap_err();
    assert_eq!(err.code(), "NOT_A_COMPONENT");
    assert_eq!(host().load(b"not wasm at all").unwrap_err().code(), "NOT_A_COMPONENT");
    let small =
        PluginHost::new(HostConfig { max_plugin_bytes: 1_000, max_concurrent_calls: 2, ..HostConfig::default() })
            .unwrap();
    assert_eq!(small.load(&component(PINGLIANG)).unwrap_err().code(), "PLUGIN_TOO_LARGE");
}

#[test]
fn compiled_plugins_are_cached_by_hash() {
    let a = load(KONGTONG);
    let b = load(KONGTONG);
    assert_eq!(a.sha256(), b.sha256());
    assert_eq!(a.contract(), "0.1.0");
    assert!(host().cached() >= 1);
}

#[test]
fn a_hook_the_plugin_leaves_out_falls_back_to_the_built_in_rule() {
    // The hostile guest provides no evaluation rule.
    let hostile = load(HOSTILE);
    let (result, record) = decide(Some(&hostile), &Request::OnRating(bad_rating()));
    assert_eq!(record.decided_by, DecidedBy::BuiltIn);
    match result.unwrap() {
        Response::FollowUp(f) => assert_eq!(f.rectification.map(|r| r.due_in.get()), Some(5)),
        other => panic!("{other:?}"),
    }
    // A plugin that provides it decides, and the record names it.
    let kongtong = load(KONGTONG);
    let (_, record) = decide(Some(&kongtong), &Request::OnRating(bad_rating()));
    assert_eq!(record.decided_by, DecidedBy::Plugin(kongtong.sha256()));
    // A failing plugin is an error, recorded as such; nothing falls back silently.
    let (result, record) = decide(Some(&hostile), &Request::Plan(project_case("loop")));
    assert_eq!(result.unwrap_err().code(), "OUT_OF_FUEL");
    assert!(matches!(record.output, RecordedOutput::Error { ref code, .. } if code == "OUT_OF_FUEL"));
}

#[test]
fn plugins_are_swapped_and_rolled_back_under_concurrent_calls() {
    let input = project_case("PL-2026-000004");
    let pingliang = load(PINGLIANG);
    let kongtong = load(KONGTONG);
    let expected = |rules: &WasmRules| rules.plan(&input).unwrap().value;
    let plans = [(pingliang.clone(), expected(&pingliang)), (kongtong.clone(), expected(&kongtong))];
    assert_ne!(plans[0].1, plans[1].1);

    // The centre's active plugin, with a generation number bumped by every activation.
    let active = RwLock::new((0u64, plans[0].0.clone()));
    let served = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while !stop.load(Ordering::Acquire) {
                    let (generation, rules) = active.read().unwrap().clone();
                    let plan = rules.plan(&input).unwrap().value;
                    let want = &plans.iter().find(|(r, _)| r.sha256() == rules.sha256()).unwrap().1;
                    assert_eq!(&plan, want, "a call mixed two plugins");
                    served.fetch_max(generation, Ordering::AcqRel);
                }
            });
        }
        // Activate Kongtong's, roll back to Pingliang's, again and again; each activation
        // serves at least one call before the next.
        for generation in 1..=10u64 {
            let next = plans[(generation % 2) as usize].0.clone();
            *active.write().unwrap() = (generation, next);
            while served.load(Ordering::Acquire) < generation {
                std::thread::yield_now();
            }
        }
        stop.store(true, Ordering::Release);
    });
    // Rolled back to Pingliang's (generation 10 is even).
    let (_, rules) = active.read().unwrap().clone();
    assert_eq!(rules.plan(&input).unwrap().value, plans[0].1);
}

#[test]
fn a_decision_replayed_against_the_other_plugin_shows_the_difference() {
    let pingliang = load(PINGLIANG);
    let kongtong = load(KONGTONG);
    let (result, record) = pingliang.decide(&Request::Plan(project_case("PL-2026-000005")));
    assert!(result.is_ok());
    // Records survive storage as JSON.
    let record = DecisionRecord::from_json(&record.to_json()).unwrap();
    assert_eq!(record.decided_by, DecidedBy::Plugin(pingliang.sha256()));

    let same = replay(&record, &pingliang);
    assert!(same.is_empty(), "{same}");

    let diff = replay(&record, &kongtong);
    let paths: Vec<&str> = diff.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "branches[0].time_limit",
            "branches[1].time_limit",
            "branches[2].time_limit",
            "branches[3].required",
            "branches[3].time_limit",
            "join_policy",
            "lead_unit",
            "rationale",
        ],
        "{diff}"
    );
    let text = diff.to_string();
    assert!(text.contains(r#"join_policy: "all_approve" → "joint_meeting""#), "{text}");
    assert_eq!(diff.replayed.decided_by, DecidedBy::Plugin(kongtong.sha256()));
}

#[test]
fn the_author_kit_checks_components() {
    let report = kit::check(host(), &component(PINGLIANG));
    assert!(report.passed(), "{report}");
    assert!(report.to_string().contains("onedoor:rules@0.1.0"), "{report}");
    let report = kit::check(host(), &component(WASI_IMPORT));
    assert!(!report.passed());
    assert!(report.to_string().contains("FAIL imports"), "{report}");
}

fn fixtures(plugin: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins").join(plugin).join("fixtures")
}

#[test]
fn the_example_plugins_pass_their_fixtures() {
    for (module, dir) in [(PINGLIANG, fixtures("pingliang-rules")), (KONGTONG, fixtures("kongtong-rules"))] {
        let report = kit::test_fixtures(host(), &component(module), &dir).unwrap();
        assert!(report.passed(), "{}:\n{report}", dir.display());
        assert!(report.items.len() >= 3, "{report}");
        assert!(report.to_string().contains("fuel "), "{report}");
    }
}

#[test]
fn a_fixture_that_expects_something_else_fails() {
    // Pingliang's fixtures, run against Kongtong's plugin.
    let report = kit::test_fixtures(host(), &component(KONGTONG), &fixtures("pingliang-rules")).unwrap();
    assert!(!report.passed(), "{report}");
    assert!(report.to_string().contains("FAIL plan-project.json: expected"), "{report}");
}

#[test]
fn the_released_contract_is_frozen() {
    // A released contract never changes (plugins/wit/README.md): a new version goes into a
    // folder of its own. Each released file, with its SHA-256.
    let released =
        [("onedoor-rules@0.1.0/rules.wit", "eca744d72f6c0a56898f09ac288025cd52dbaae447f9f2a3a43f413d5fc3a27e")];
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/wit");
    for (file, sha256) in released {
        let bytes = std::fs::read(wit.join(file)).unwrap();
        assert_eq!(
            onedoor_plugin_host::Sha256::of(&bytes).to_string(),
            sha256,
            "{file} changed: released contracts are frozen"
        );
    }
    let folders: Vec<String> = std::fs::read_dir(&wit)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for folder in folders {
        let files = std::fs::read_dir(wit.join(&folder)).unwrap().count();
        let pinned = released.iter().filter(|(f, _)| f.starts_with(&format!("{folder}/"))).count();
        assert_eq!(files, pinned, "{folder}: every file of a released contract is pinned here");
    }
}
