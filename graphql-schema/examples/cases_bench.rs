//! The case benchmark: the SpiffWorkflow peer's parallel-approval lifecycle (accept → three
//! parallel unit reviews → join → issue), every transition committed before it is
//! acknowledged, through the library or through the GraphQL API over HTTP.
//!
//! ```text
//! cargo run --release -p onedoor-graphql --example cases_bench -- [--api] [--database URL]
//!     [--cases N] [--concurrency C] [--live N]
//! ```
//!
//! Prints cases per second, transitions per second, p50/p99 per transition, and the memory
//! each live (accepted, undecided) case costs the server. 256 concurrent clients by default:
//! about the Pingliang hall's 251 windows, each with one transition in flight. SQLite (a temporary file) by default;
//! `--database postgres://…/db` for PostgreSQL (the database must exist and be empty).

mod bench_support;

use onedoor::domain::case::{Channel, Decision};
use onedoor::domain::catalogue::{
    CrossCentreScope, DeliveryOption, GuideDraft, HandlingMode, MaterialDraft, MatterType,
};
use onedoor::domain::organisation::{Level, UnitKind};
use onedoor::domain::rules::ApplicantKind;
use onedoor::domain::{BundleId, Caller, CaseId, CentreId, Role, Roles, Scope, StaffId};
use onedoor::{ApplicantDraft, Application, CaseAction, Onedoor};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Setup {
    od: Onedoor,
    centre: CentreId,
    bundle: BundleId,
    clerk: Caller,
    approvers: Vec<Caller>,
    /// The same people as bearer tokens, for the API.
    tokens: Option<Tokens>,
}

struct Tokens {
    url: String,
    clerk: String,
    approvers: Vec<String>,
    bundle: String,
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn staff_caller(centre: CentreId, staff: StaffId, roles: &[Role]) -> Caller {
    Caller::Staff(Scope { centre, staff, roles: roles.iter().copied().collect(), supervised: Vec::new() })
}

async fn setup(database: &str) -> anyhow::Result<Setup> {
    let od = Onedoor::open(database).await?;
    let centre = od.create_centre(None, "benchcity", "Bench City Centre", Level::City, None).await?;
    let admin = staff_caller(centre.id, StaffId(uuid::Uuid::now_v7()), &[Role::Admin]);
    let mut units = Vec::new();
    let mut matters = Vec::new();
    for (i, name) in ["Development and Reform", "Natural Resources", "Housing and Construction"].iter().enumerate() {
        let unit = od.create_unit(&admin, &format!("u{i}"), name, UnitKind::CityDepartment).await?;
        let draft = GuideDraft {
            code: format!("62080000B{i}-XK-0001"),
            name: format!("{name} licence"),
            matter_type: MatterType::Licence,
            owner_unit: unit.id,
            handling_level: Level::City,
            legal_basis: "Administrative Licensing Law".into(),
            description: String::new(),
            materials: vec![MaterialDraft {
                name: "application form".into(),
                required: true,
                form: None,
                copies: None,
                elicence_type: None,
                note: String::new(),
            }],
            statutory_days: 20,
            promised_days: 5,
            fees: Vec::new(),
            modes: vec![HandlingMode::OneVisit],
            max_visits: 1,
            cross_scope: CrossCentreScope::CityWide,
            delivery: vec![DeliveryOption::Pickup],
            online: true,
        };
        matters.push(od.add_matter(&admin, draft, "bench").await?.id);
        units.push(unit.id);
    }
    let bundle = od.create_bundle(&admin, "project", "Investment project start", "", units[0], &matters).await?;
    let clerk = od.create_staff(&admin, "clerk", "Clerk", None, Roles::from_iter([Role::WindowClerk])).await?;
    let mut approvers = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let s = od
            .create_staff(&admin, &format!("appr{i}"), "Approver", Some(*u), Roles::from_iter([Role::Approver]))
            .await?;
        approvers.push(staff_caller(centre.id, s.id, &[Role::Approver]));
    }
    Ok(Setup {
        od,
        centre: centre.id,
        bundle: bundle.id,
        clerk: staff_caller(centre.id, clerk.id, &[Role::WindowClerk]),
        approvers,
        tokens: None,
    })
}

fn application(bundle: (CentreId, BundleId), n: u64) -> Application {
    Application {
        matters: Vec::new(),
        bundle: Some(bundle),
        channel: Channel::Online,
        applicant: ApplicantDraft {
            kind: ApplicantKind::Enterprise,
            name: "Bench Enterprise Co.".into(),
            id_number: format!("91620800MA{n:08}"),
            phone: String::new(),
        },
        proxy: None,
        window: None,
        materials: vec!["application form".into()],
        investment: None,
        ticket: None,
    }
}

/// One lifecycle through the library; returns the latency of each transition.
async fn lifecycle_lib(s: &Setup, n: u64) -> anyhow::Result<Vec<Duration>> {
    let mut lat = Vec::with_capacity(5);
    let t = Instant::now();
    let case = s.od.submit_case(&s.clerk, application((s.centre, s.bundle), n), true).await?;
    lat.push(t.elapsed());
    let id: CaseId = case.id;
    for (step, approver) in s.approvers.iter().enumerate() {
        let t = Instant::now();
        let action = CaseAction::Decide { step: step as u32, decision: Decision::Approve, comment: String::new() };
        s.od.act_on_case(approver, s.centre, id, action, None).await?;
        lat.push(t.elapsed());
    }
    let t = Instant::now();
    s.od.act_on_case(&s.clerk, s.centre, id, CaseAction::IssueResult("licence".into()), None).await?;
    lat.push(t.elapsed());
    Ok(lat)
}

async fn post(http: &reqwest::Client, url: &str, token: &str, query: &str, input: Value) -> anyhow::Result<Value> {
    let body: Value = http
        .post(url)
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": { "input": input } }))
        .send()
        .await?
        .json()
        .await?;
    let data = body["data"].as_object().and_then(|d| d.values().next().cloned()).unwrap_or(Value::Null);
    if data["userErrors"].as_array().is_some_and(|e| !e.is_empty()) || body.get("errors").is_some() {
        anyhow::bail!("request failed: {body}");
    }
    Ok(data)
}

/// One lifecycle through the GraphQL API.
async fn lifecycle_api(t: &Tokens, http: &reqwest::Client, n: u64) -> anyhow::Result<Vec<Duration>> {
    const SUBMIT: &str =
        "mutation($input: SubmitCaseInput!) { submitCase(input: $input) { case { id } userErrors { code message } } }";
    const DECIDE: &str = "mutation($input: DecideStepInput!) { decideStep(input: $input) { case { state } userErrors { code message } } }";
    const ISSUE: &str = "mutation($input: CaseNoteInput!) { issueResult(input: $input) { case { state } userErrors { code message } } }";
    let mut lat = Vec::with_capacity(5);
    let start = Instant::now();
    let input = json!({ "bundle": t.bundle, "channel": "ONLINE", "accept": true, "materials": ["application form"],
        "applicant": { "kind": "ENTERPRISE", "name": "Bench Enterprise Co.", "idNumber": format!("91620800MA{n:08}") } });
    let d = post(http, &t.url, &t.clerk, SUBMIT, input).await?;
    lat.push(start.elapsed());
    let id = d["case"]["id"].as_str().unwrap_or_default().to_owned();
    for (step, token) in t.approvers.iter().enumerate() {
        let start = Instant::now();
        post(http, &t.url, token, DECIDE, json!({ "case": id, "step": step, "decision": "APPROVE" })).await?;
        lat.push(start.elapsed());
    }
    let start = Instant::now();
    post(http, &t.url, &t.clerk, ISSUE, json!({ "case": id, "note": "licence" })).await?;
    lat.push(start.elapsed());
    Ok(lat)
}

async fn serve(s: &mut Setup) -> anyhow::Result<()> {
    use onedoor::auth::{AuthSettings, KeyPair, Signer, Verifier};
    let keys = KeyPair::generate()?;
    let settings = AuthSettings::default();
    let signer = Signer::from_pem(&keys.private_pem, settings.clone())?;
    let verifier = Verifier::from_pem(&keys.public_pem, settings)?;
    let app = onedoor_graphql::app(s.od.clone(), verifier, &onedoor::config::Limits::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/graphql", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
    let token = |c: &Caller| -> anyhow::Result<String> {
        let scope = c.scope().ok_or_else(|| anyhow::anyhow!("no scope"))?;
        let roles: Vec<String> = scope.roles.iter().map(|r| r.as_str().to_owned()).collect();
        Ok(signer.issue(&scope.staff.to_string(), "benchcity", &roles, now)?)
    };
    let bundle = base64_id("Bundle", s.centre, s.bundle.0);
    s.tokens = Some(Tokens {
        url,
        clerk: token(&s.clerk)?,
        approvers: s.approvers.iter().map(&token).collect::<anyhow::Result<_>>()?,
        bundle,
    });
    Ok(())
}

/// The API's global id of a node (the bench is a client and builds the one id it needs).
fn base64_id(kind: &str, centre: CentreId, id: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{}:{id}", centre.0))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let api = std::env::args().any(|a| a == "--api");
    let cases: u64 = arg("--cases").and_then(|v| v.parse().ok()).unwrap_or(if api { 5_000 } else { 20_000 });
    let concurrency: u64 = arg("--concurrency").and_then(|v| v.parse().ok()).unwrap_or(256);
    let live: u64 = arg("--live").and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let dir = std::env::temp_dir().join(format!("onedoor-cases-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let database =
        arg("--database").unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display()));
    let backend = if database.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let mut s = setup(&database).await?;
    if api {
        serve(&mut s).await?;
    }
    let s = Arc::new(s);
    let http = reqwest::Client::builder().pool_max_idle_per_host(concurrency as usize).build()?;

    // Warm up (connections, caches, prepared statements).
    let warm = (concurrency * 4).min(cases);
    let run = |from: u64, count: u64| {
        let s = s.clone();
        let http = http.clone();
        async move {
            let next = Arc::new(std::sync::atomic::AtomicU64::new(from));
            let mut tasks = Vec::new();
            for _ in 0..concurrency {
                let (s, next, http) = (s.clone(), next.clone(), http.clone());
                tasks.push(tokio::spawn(async move {
                    let mut lat = Vec::new();
                    loop {
                        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if n >= from + count {
                            break;
                        }
                        let one = match &s.tokens {
                            Some(t) => lifecycle_api(t, &http, n).await,
                            None => lifecycle_lib(&s, n).await,
                        };
                        lat.extend(one?);
                    }
                    anyhow::Ok(lat)
                }));
            }
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await??);
            }
            anyhow::Ok(all)
        }
    };
    run(0, warm).await?;
    let cpu = bench_support::cpu_seconds();
    let started = Instant::now();
    let mut lat = run(warm, cases).await?;
    let wall = started.elapsed();
    let cpu = bench_support::cpu_seconds() - cpu;
    lat.sort_unstable();
    let per_s = cases as f64 / wall.as_secs_f64();
    println!(
        "onedoor case lifecycle ({}) on {backend}: accept → 3 parallel reviews → join → issue",
        if api { "GraphQL API over HTTP, client in-process" } else { "library" }
    );
    println!("  cases:        {cases} in {:.2} s with {concurrency} concurrent clients", wall.as_secs_f64());
    println!("  cases/s:      {per_s:.0}");
    println!("  transitions/s {:.0}", lat.len() as f64 / wall.as_secs_f64());
    println!(
        "  CPU:          {:.2} s of {:.2} s wall ({:.0} µs per case, client included; load average {})",
        cpu,
        wall.as_secs_f64(),
        cpu / cases as f64 * 1e6,
        bench_support::load_average()
    );
    println!(
        "  per transition: p50 {:.2} ms, p99 {:.2} ms",
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3
    );

    // Memory per live case: accept `live` cases and leave them in review.
    if !api && live > 0 {
        let before = rss_kib();
        let next = Arc::new(std::sync::atomic::AtomicU64::new(10_000_000));
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (s, next) = (s.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if n >= 10_000_000 + live {
                        break;
                    }
                    s.od.submit_case(&s.clerk, application((s.centre, s.bundle), n), true).await?;
                }
                anyhow::Ok(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        let after = rss_kib();
        println!(
            "  memory per live case: {:.1} KiB ({} live cases cached; RSS {} → {} MiB)",
            after.saturating_sub(before) as f64 / live as f64,
            s.od.live_cases_cached(),
            before / 1024,
            after / 1024
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
