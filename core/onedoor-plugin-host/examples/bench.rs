//! The plugin benchmark: one decision per fresh store and instance, median and p99, against
//! the same rule in native Rust. Run with
//! `cargo run --release -p onedoor-plugin-host --example bench` (it builds Pingliang's plugin
//! with the author kit first). Target: ≤ 25 µs median, ≤ 60 µs p99 per decision.

use chrono::NaiveDate;
use onedoor_domain::catalogue::MatterType;
use onedoor_domain::organisation::UnitKind;
use onedoor_domain::rules::{
    ApplicantKind, CaseMatter, DefaultParallelApproval, Investment, InvolvedUnit, ParallelApprovalRule, PlanInput,
    RatingChannel, RatingInput, RatingLevel,
};
use onedoor_domain::values::{Code, Fen, MatterCode, Name, TimeLimits, WorkingDays};
use onedoor_domain::{MatterId, UnitId};
use onedoor_plugin_host::{HostConfig, PluginHost, kit};
use onedoor_plugin_sdk::{Evaluation as _, ParallelApproval as _};
use pingliang_rules::PingliangRules;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use uuid::Uuid;

const WARM_UP: usize = 2_000;
const SAMPLES: usize = 20_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from).join("onedoor-bench");
    eprintln!("building plugins/pingliang-rules with the author kit …");
    let component = std::fs::read(kit::build_in(&root.join("plugins/pingliang-rules"), &target_dir)?)?;

    let host = PluginHost::new(HostConfig::default())?;
    let started = Instant::now();
    let plugin = host.load(&component)?;
    let load = started.elapsed();
    let input = plan_input();
    let rating = rating_input();
    let first = plugin.plan(&input)?;
    let rated = plugin.on_rating(&rating)?;

    println!("onedoor plugin benchmark ({SAMPLES} samples after {WARM_UP} warm-up calls, one thread)");
    println!(
        "plugin: pingliang-rules, {} bytes, contract {}, load and compile {:.1} ms",
        plugin.size(),
        plugin.contract(),
        load.as_secs_f64() * 1e3
    );
    println!(
        "plan of {} matters: fuel {}, memory peak {} KiB, output {} bytes; on-rating: fuel {}",
        input.matters.len(),
        first.stats.fuel_used,
        first.stats.memory_peak_bytes / 1024,
        first.stats.output_bytes,
        rated.stats.fuel_used
    );
    let limits = plugin.limits();
    println!(
        "limits: fuel {}, memory {} MiB, output {} KiB, wall time {:?} (epoch interruption on, 1 ms tick)",
        limits.fuel,
        limits.memory_bytes >> 20,
        limits.output_bytes >> 10,
        limits.wall_time
    );
    println!(
        "pooled memory: {}",
        if host.keeps_pages_resident() {
            "dirty pages reset and kept resident (PAGEMAP_SCAN)"
        } else {
            "slots reset with madvise (no PAGEMAP_SCAN on this kernel)"
        }
    );
    println!();
    println!("{:<58} {:>10} {:>10} {:>10}", "per decision", "median", "p99", "max");
    report("wasm: plan, fresh store + instance, checked", || {
        black_box(plugin.plan(black_box(&input)).map(|o| o.value.branches.len()).unwrap_or(0));
    });
    report("wasm: on-rating, fresh store + instance", || {
        black_box(plugin.on_rating(black_box(&rating)).map(|o| o.value.return_visit).unwrap_or(false));
    });
    let sdk_input = sdk_plan_input(&input);
    let sdk_rating = sdk_rating_input();
    report("native: the same plan rule (pingliang-rules as rlib)", || {
        black_box(PingliangRules::plan(black_box(&sdk_input)).map(|p| p.branches.len()).unwrap_or(0));
    });
    report("native: the same on-rating rule", || {
        black_box(PingliangRules::on_rating(black_box(&sdk_rating)).map(|f| f.return_visit).unwrap_or(false));
    });
    report("native: built-in default plan (domain)", || {
        black_box(DefaultParallelApproval.plan(black_box(&input)).map(|p| p.branches.len()).unwrap_or(0));
    });
    println!();
    println!("target: wasm plan ≤ 25 µs median, ≤ 60 µs p99");
    Ok(())
}

/// Times `f` one call at a time and prints median, p99 and max.
fn report(name: &str, mut f: impl FnMut()) {
    for _ in 0..WARM_UP {
        f();
    }
    let mut samples: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    let us = |d: Duration| format!("{:.2} µs", d.as_secs_f64() * 1e6);
    println!("{name:<58} {:>10} {:>10} {:>10}", us(at(0.5)), us(at(0.99)), us(samples[samples.len() - 1]));
}

/// The bench's inputs are constants: a parse failure is a bug in the bench.
fn parse<T>(r: Result<T, onedoor_domain::DomainError>) -> T {
    r.unwrap_or_else(|e| panic!("bench input: {e}"))
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// A five-matter investment case of three units.
fn plan_input() -> PlanInput {
    let units = [
        (1, "PL-SCJ", "平凉市市场监督管理局", UnitKind::CityDepartment),
        (2, "PL-ZJJ", "平凉市住房和城乡建设局", UnitKind::CityDepartment),
        (3, "PL-HBJ", "平凉市生态环境局", UnitKind::CityDepartment),
    ];
    let matters = [
        (1, "62080000SC-QR-0001", MatterType::Confirmation, 1, 15, 3),
        (2, "62080000ZJ-XK-0001", MatterType::Licence, 2, 20, 10),
        (3, "62080000ZJ-XK-0002", MatterType::Licence, 2, 20, 12),
        (4, "62080000HB-XK-0001", MatterType::Licence, 3, 30, 15),
        (5, "62080000HB-XK-0002", MatterType::Licence, 3, 20, 8),
    ];
    PlanInput {
        today: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default(),
        case_number: "PL-2026-000001".into(),
        applicant: ApplicantKind::Enterprise,
        investment: Some(Investment { amount: parse(Fen::parse(80_000_000 * 100)), key_project: false }),
        matters: matters
            .iter()
            .map(|&(n, code, matter_type, owner, statutory, promised)| CaseMatter {
                id: MatterId(id(0x100 + n)),
                code: parse(MatterCode::parse(code)),
                name: parse(Name::parse(&format!("matter {code}"))),
                matter_type,
                owner_unit: UnitId(id(owner)),
                limits: parse(TimeLimits::new(
                    parse(WorkingDays::parse(statutory)),
                    parse(WorkingDays::parse(promised)),
                )),
            })
            .collect(),
        units: units
            .iter()
            .map(|&(n, code, name, kind)| InvolvedUnit {
                id: UnitId(id(n)),
                code: parse(Code::parse(code)),
                name: parse(Name::parse(name)),
                kind,
            })
            .collect(),
    }
}

fn rating_input() -> RatingInput {
    RatingInput {
        today: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default(),
        level: RatingLevel::Dissatisfied,
        channel: RatingChannel::OnSite,
        indicators: vec!["waiting-time".into()],
        comment: "排队太久".into(),
        window: None,
        unit: Some(UnitId(id(2))),
        staff: None,
        matter: None,
        case_number: Some("PL-2026-000001".into()),
        recent_bad_ratings: 1,
    }
}

/// The same case in the SDK's types, for the native comparison.
fn sdk_plan_input(input: &PlanInput) -> onedoor_plugin_sdk::PlanInput {
    use onedoor_plugin_sdk as sdk;
    sdk::PlanInput {
        today: sdk::Date::new(2026, 11, 26),
        case_number: input.case_number.clone(),
        applicant: sdk::ApplicantKind::Enterprise,
        investment: input.investment.map(|i| sdk::Investment {
            amount_fen: u64::try_from(i.amount.get()).unwrap_or(0),
            key_project: i.key_project,
        }),
        matters: input
            .matters
            .iter()
            .map(|m| sdk::CaseMatter {
                id: m.id.to_string(),
                code: m.code.to_string(),
                name: m.name.to_string(),
                matter_type: if m.matter_type == MatterType::Licence {
                    sdk::MatterType::Licence
                } else {
                    sdk::MatterType::Confirmation
                },
                owner_unit: m.owner_unit.to_string(),
                statutory_days: m.limits.statutory().get(),
                promised_days: m.limits.promised().get(),
            })
            .collect(),
        units: input
            .units
            .iter()
            .map(|u| sdk::Unit {
                id: u.id.to_string(),
                code: u.code.to_string(),
                name: u.name.to_string(),
                kind: sdk::UnitKind::CityDepartment,
            })
            .collect(),
    }
}

fn sdk_rating_input() -> onedoor_plugin_sdk::RatingInput {
    use onedoor_plugin_sdk as sdk;
    sdk::RatingInput {
        today: sdk::Date::new(2026, 11, 26),
        level: sdk::RatingLevel::Dissatisfied,
        channel: sdk::RatingChannel::OnSite,
        indicators: vec!["waiting-time".into()],
        comment: "排队太久".into(),
        window: None,
        unit: Some(id(2).to_string()),
        staff: None,
        matter: None,
        case_number: Some("PL-2026-000001".into()),
        recent_bad_ratings: 1,
    }
}
