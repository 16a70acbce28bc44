//! The hall benchmark: take + call + serve through the GraphQL API over HTTP (or the library),
//! with many windows calling at once; every operation committed before it is acknowledged.
//!
//! ```text
//! cargo run --release -p onedoor-graphql --example hall_bench -- [--library] [--database URL]
//!     [--windows N] [--zones N] [--seconds S]
//! ```
//!
//! Each of `--windows` workers (default 50) sits at its own window, in one of `--zones` zones
//! (default 10) of one hall, and loops: a kiosk takes a ticket in the window's zone (anonymous),
//! the window calls its next ticket, and ends its service. Prints operations per second (take,
//! call and end each count as one) and p50/p99 latency per operation. SQLite (a temporary file)
//! by default; `--database postgres://…/db` for PostgreSQL (an existing, empty database).

mod bench_support;

use onedoor::domain::organisation::Level;
use onedoor::domain::{Caller, CentreId, HallId, Role, Scope, StaffId, WindowId, ZoneId};
use onedoor::{Onedoor, TicketRequest};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn base64_id(kind: &str, centre: CentreId, id: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{}:{id}", centre.0))
}

struct Seat {
    zone: ZoneId,
    window: WindowId,
}

struct Setup {
    od: Onedoor,
    centre: CentreId,
    hall: HallId,
    clerk: Caller,
    seats: Vec<Seat>,
    api: Option<(String, String)>,
}

async fn setup(database: &str, windows: usize, zones: usize) -> anyhow::Result<Setup> {
    let od = Onedoor::open(database).await?;
    let centre = od.create_centre(None, "benchcity", "Bench City Centre", Level::City, None).await?;
    let admin = Caller::Staff(Scope {
        centre: centre.id,
        staff: StaffId(uuid::Uuid::now_v7()),
        roles: [Role::Admin].into_iter().collect(),
        supervised: Vec::new(),
    });
    let hall = od.create_hall(&admin, "hall", "Bench Hall", "").await?;
    let mut zone_ids = Vec::new();
    for z in 0..zones {
        let code = char::from(b'A' + (z % 26) as u8).to_string() + &"Z".repeat(z / 26);
        zone_ids.push(od.create_zone(&admin, hall.id, &code, "zone").await?.id);
    }
    let mut seats = Vec::new();
    for w in 0..windows {
        let zone = zone_ids[w % zones];
        let window = od.create_window(&admin, hall.id, zone, &format!("{}", w + 1), "window", &[]).await?;
        seats.push(Seat { zone, window: window.id });
    }
    let clerk = Caller::Staff(Scope {
        centre: centre.id,
        staff: StaffId(uuid::Uuid::now_v7()),
        roles: [Role::WindowClerk].into_iter().collect(),
        supervised: Vec::new(),
    });
    Ok(Setup { od, centre: centre.id, hall: hall.id, clerk, seats, api: None })
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
    let scope = s.clerk.scope().ok_or_else(|| anyhow::anyhow!("no scope"))?;
    let token = signer.issue(&scope.staff.to_string(), "benchcity", &["WINDOW_CLERK".to_owned()], now)?;
    s.api = Some((url, token));
    Ok(())
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    input: Value,
) -> anyhow::Result<Value> {
    let mut req = http.post(url).json(&json!({ "query": query, "variables": { "input": input } }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let body: Value = req.send().await?.json().await?;
    let data = body["data"].as_object().and_then(|d| d.values().next().cloned()).unwrap_or(Value::Null);
    if data["userErrors"].as_array().is_some_and(|e| !e.is_empty()) || body.get("errors").is_some() {
        anyhow::bail!("request failed: {body}");
    }
    Ok(data)
}

/// One round at a window: take, call, end (the end only when the call found a ticket). Returns
/// each operation's latency.
async fn round(s: &Setup, http: &reqwest::Client, seat: &Seat, lat: &mut Vec<Duration>) -> anyhow::Result<()> {
    const TAKE: &str = "mutation($input: TakeTicketInput!) { takeTicket(input: $input) { ticket { id number position } userErrors { code message } } }";
    const CALL: &str = "mutation($input: CallNextInput!) { callNextTicket(input: $input) { ticket { id number } userErrors { code message } } }";
    const END: &str = "mutation($input: TicketActionInput!) { endService(input: $input) { ticket { status } userErrors { code message } } }";
    match &s.api {
        Some((url, token)) => {
            let t = Instant::now();
            let hall = base64_id("Hall", s.centre, s.hall.0);
            let zone = base64_id("Zone", s.centre, seat.zone.0);
            post(http, url, None, TAKE, json!({ "hall": hall, "zone": zone })).await?;
            lat.push(t.elapsed());
            let t = Instant::now();
            let window = base64_id("Window", s.centre, seat.window.0);
            let called = post(http, url, Some(token), CALL, json!({ "window": window })).await?;
            lat.push(t.elapsed());
            if let Some(id) = called["ticket"]["id"].as_str() {
                let t = Instant::now();
                post(http, url, Some(token), END, json!({ "ticket": id, "window": window })).await?;
                lat.push(t.elapsed());
            }
        }
        None => {
            let t = Instant::now();
            let req = TicketRequest { zone: Some(seat.zone), matter: None, class: None };
            s.od.take_ticket(&Caller::Anonymous, s.centre, s.hall, req).await?;
            lat.push(t.elapsed());
            let t = Instant::now();
            let called = s.od.call_next(&s.clerk, s.centre, seat.window).await?;
            lat.push(t.elapsed());
            if let Some(v) = called {
                let t = Instant::now();
                s.od.end_service(&s.clerk, s.centre, v.ticket.id, Some(seat.window)).await?;
                lat.push(t.elapsed());
            }
        }
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(s: &Arc<Setup>, http: &reqwest::Client, seconds: f64) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for i in 0..s.seats.len() {
        let (s, http, stop, rounds) = (s.clone(), http.clone(), stop.clone(), rounds.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                round(&s, &http, &s.seats[i], &mut lat).await?;
                rounds.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(lat)
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok((all, started.elapsed()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let library = std::env::args().any(|a| a == "--library");
    let windows: usize = arg("--windows").and_then(|v| v.parse().ok()).unwrap_or(50);
    let zones: usize = arg("--zones").and_then(|v| v.parse().ok()).unwrap_or(10).clamp(1, windows.max(1));
    let seconds: f64 = arg("--seconds").and_then(|v| v.parse().ok()).unwrap_or(10.0);
    let dir = std::env::temp_dir().join(format!("onedoor-hall-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let database =
        arg("--database").unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display()));
    let backend = if database.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let mut s = setup(&database, windows, zones).await?;
    if !library {
        serve(&mut s).await?;
    }
    let s = Arc::new(s);
    let http = reqwest::Client::builder().pool_max_idle_per_host(windows).build()?;
    // Warm up: connections, caches, the hall's live queue.
    run(&s, &http, 1.0).await?;
    let cpu = bench_support::cpu_seconds();
    let (mut lat, wall) = run(&s, &http, seconds).await?;
    let cpu = bench_support::cpu_seconds() - cpu;
    lat.sort_unstable();
    println!(
        "onedoor hall queue ({}) on {backend}: take + call + serve, {windows} windows in {zones} zones",
        if library { "library" } else { "GraphQL API over HTTP, client in-process" }
    );
    println!("  operations:   {} in {:.2} s", lat.len(), wall.as_secs_f64());
    println!("  operations/s: {:.0}", lat.len() as f64 / wall.as_secs_f64());
    println!(
        "  CPU:          {:.2} s of {:.2} s wall ({:.0} µs per operation, client included; load average {})",
        cpu,
        wall.as_secs_f64(),
        cpu / lat.len().max(1) as f64 * 1e6,
        bench_support::load_average()
    );
    println!(
        "  per operation: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
