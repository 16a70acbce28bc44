//! The example deployment (Pingliang city + Kongtong district) at the seed's real scale: it
//! loads, has exactly the seed's counts, loads again without creating anything, reports a
//! broken file with its file and line, and the API answers catalogue queries over it.

use chrono::NaiveDate;
use onedoor::domain::organisation::UnitKind;
use onedoor::domain::{Caller, CentreId, Role, Roles, Scope, StaffId};
use onedoor::import::{Deployment, ImportError, import};
use onedoor::{MatterFilter, Page};
use onedoor_tests::TestServer;
use serde_json::json;

fn everything() -> Page {
    Page { after: None, limit: 1_000_000 }
}

fn admin(centre: CentreId) -> Caller {
    Caller::Staff(Scope { centre, staff: StaffId::SYSTEM, roles: Roles::NONE.with(Role::Admin), supervised: vec![] })
}

/// The example's files with `path` changed by `edit`.
fn edited(path: &str, edit: impl Fn(&str) -> String) -> Vec<(&'static str, Vec<u8>)> {
    onedoor_tenants_example::PINGLIANG
        .iter()
        .map(|(p, bytes)| {
            let bytes = if *p == path {
                edit(std::str::from_utf8(bytes).expect("a text file")).into_bytes()
            } else {
                bytes.to_vec()
            };
            (*p, bytes)
        })
        .collect()
}

#[track_caller]
fn problems(files: &[(&'static str, Vec<u8>)]) -> ImportError {
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (*p, b.as_slice())).collect();
    Deployment::from_files(&refs).expect_err("the edited example must be refused")
}

#[tokio::test]
async fn the_example_has_the_seeds_counts_and_loads_once() {
    let s = TestServer::start().await.unwrap();
    let d = Deployment::from_files(onedoor_tenants_example::PINGLIANG).unwrap_or_else(|e| panic!("{e}"));
    let first = import(&s.od, &d, &mut |_| {}).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.created, d.counts(), "\n{first}");
    let again = import(&s.od, &d, &mut |_| {}).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.created_total(), 0, "a second import creates nothing:\n{again}");
    assert_eq!(again.skipped, d.counts());

    // What is in the database, counted through the platform.
    let od = &s.od;
    let city = od.centre_by_code("pingliang").await.unwrap().expect("the city");
    let district = od.centre_by_code("kongtong").await.unwrap().expect("the district");
    assert_eq!(district.parent, Some(city.id));
    let mut seen = Vec::new();
    for c in [&city, &district] {
        let units = od.units(c.id, &everything()).await.unwrap().items;
        let kind = |k: UnitKind| units.iter().filter(|u| u.kind == k).count();
        let staff = od.staff_list(&admin(c.id), c.id, None, &everything()).await.unwrap().items;
        let agents = staff.iter().filter(|s| s.roles.has(Role::Guide)).count();
        let matters = od.matters(&admin(c.id), c.id, &MatterFilter::default(), &everything()).await.unwrap().items;
        for m in &matters {
            assert!(m.guide.limits.promised() <= m.guide.limits.statutory(), "{}", m.guide.code);
            assert!(!m.guide.materials.is_empty(), "{} has a complete guide", m.guide.code);
            assert!(m.guide.code.as_str().starts_with("620"), "{}", m.guide.code);
        }
        seen.push((
            c.code.to_string(),
            kind(UnitKind::CityDepartment),
            kind(UnitKind::DistrictDepartment),
            kind(UnitKind::PublicServiceBody),
            staff.len() - agents,
            agents,
            matters.len(),
        ));
    }
    // (centre, city departments, district departments, public-service bodies, staff, guide and
    // proxy agents, matters): 95 units, 564 staff, 24 agents, 1887 matters.
    assert_eq!(seen, vec![("pingliang".into(), 39, 0, 20, 289, 12, 972), ("kongtong".into(), 0, 36, 0, 275, 12, 915)]);
    let hall = od.hall_by_code(city.id, "smzx").await.unwrap().expect("the shared hall");
    assert_eq!(od.hall_members(&hall).await.unwrap(), vec![city.id, district.id]);
    assert_eq!(od.zones(&hall).await.unwrap().len(), 20);
    let windows = od.windows(&hall, None, &everything()).await.unwrap().items;
    assert_eq!(windows.len(), 251);
    let mut both = 0;
    for w in &windows {
        let served = od.window_matters(w).await.unwrap();
        if served.iter().any(|(c, _)| *c == city.id) && served.iter().any(|(c, _)| *c == district.id) {
            both += 1;
        }
    }
    assert!(both > 20, "comprehensive windows serve both centres ({both})");

    // The 2018 calendar, declared by the city and counted by the district: the centre opened on
    // Monday 8 October, and "up to 19 October" is 10 working days; 11 February (a Sunday) was a
    // make-up working day and 16 February a holiday.
    let cal = od.calendar(district.id).await.unwrap();
    let day = |m, d| NaiveDate::from_ymd_opt(2018, m, d).expect("a date");
    assert_eq!(cal.working_days_between(day(10, 7), day(10, 19)), 10);
    assert!(cal.is_working_day(day(2, 11)) && !cal.is_working_day(day(2, 16)) && !cal.is_working_day(day(10, 1)));

    // Workflows with parallel approval, and both plugins active.
    let investment = od.matter_by_code(&Caller::Anonymous, city.id, "62080000FG-XK-0001").await.unwrap().unwrap();
    let (flow, version) = od.workflow(&admin(city.id), city.id, investment.id).await.unwrap();
    assert_eq!(version, 1);
    assert!(flow.steps.iter().any(|s| s.kind == onedoor::domain::workflow::StepKind::Split));
    for (c, name) in [(&city, "pingliang-rules"), (&district, "kongtong-rules")] {
        let registry = od.plugin_registry(&admin(c.id), c.id).await.unwrap();
        let active = registry.plugins.iter().find(|e| e.active).expect("an active plugin");
        assert_eq!(active.plugin.name.as_str(), name);
    }

    // The API over it: the first 20 matters of the city with their units (the benchmark's read).
    let q = "{ matters(centre: \"pingliang\", first: 20) { edges { node { code name ownerUnit { name } } } } }";
    let data = s.gql(None, q, json!({})).await;
    let edges = data["matters"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 20);
    assert!(edges.iter().all(|e| e["node"]["ownerUnit"]["name"].is_string()));
    s.cleanup().await.unwrap();
}

#[test]
fn a_broken_csv_row_names_file_line_and_column() {
    // Line 3 of kongtong's matters: an unknown legal type (a format problem, with its column).
    let e = problems(&edited("centres/kongtong/matters.csv", |t| {
        let mut lines: Vec<String> = t.lines().map(str::to_owned).collect();
        lines[2] = lines[2].replacen(",LICENCE,", ",PERMIT,", 1).replacen(",OTHER,", ",PERMIT,", 1);
        lines.join("\n") + "\n"
    }));
    assert_eq!(e.code(), "SYNTAX");
    let text = e.to_string();
    // The column of the value, in characters (the third field of that row).
    assert!(text.starts_with("centres/kongtong/matters.csv:3:33: matter_type: unknown variant `PERMIT`"), "{text}");
    assert_eq!(text.lines().count(), 1, "the row's materials are not reported again: {text}");

    // A promise beyond the statutory limit on line 2 (a domain rule: file, line, item, field).
    let e = problems(&edited("centres/pingliang/matters.csv", |t| {
        let mut lines: Vec<String> = t.lines().map(str::to_owned).collect();
        lines[1] = lines[1].replacen(",45,22,", ",45,46,", 1);
        lines.join("\n") + "\n"
    }));
    assert_eq!(e.code(), "PROMISED_EXCEEDS_STATUTORY");
    let text = e.to_string();
    assert!(text.starts_with("centres/pingliang/matters.csv:2:1: matter 62080000FG-XK-0001: promised_days"), "{text}");

    // A window naming a matter that does not exist.
    let e = problems(&edited("windows.csv", |t| {
        t.replacen("pingliang:62080000SW-QR-0001", "pingliang:62080000SW-QR-9999", 1)
    }));
    assert_eq!(e.code(), "INVALID_REFERENCE");
    assert!(e.to_string().starts_with("windows.csv:2:1: window A01 of hall smzx: no matter 62080000SW-QR-9999"), "{e}");

    // A holiday on a Sunday in deployment.toml.
    let e = problems(&edited("deployment.toml", |t| t.replacen("2018-01-01", "2017-12-31", 1)));
    assert!(e.to_string().contains("deployment.toml:"), "{e}");
    assert!(e.to_string().contains("calendar of pingliang"), "{e}");
}
