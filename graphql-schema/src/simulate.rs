//! The day simulator: the example deployment (Pingliang city + Kongtong district) run through
//! working days of 2018 by its kiosks, windows, back offices, citizens and supervisors, **only
//! through the GraphQL API over HTTP**, at the seed's volumes (about 3,000 visitors and 2,100
//! cases a working day at scale 1).
//!
//! [`run`] starts a server in-process on a random local port over a fresh database, with a
//! [`onedoor::ManualClock`] it moves as the day proceeds, loads the example with
//! [`onedoor::import`], mints tokens for real staff rows with the server's signer, and then acts
//! as:
//!
//! - **kiosks and guides**: `takeTicket` for a matter, arrivals peaking in the morning;
//! - **windows**: `callNextTicket`, `startService`, `submitCase` (accepted, or with a
//!   supplements request, or refused), `receiveSupplements` when the applicant comes back,
//!   `handOverResult` when they collect, `endService`; immediate matters are decided, issued and
//!   handed over within the visit;
//! - **back offices**: every evening each unit reads its `worklist` and decides (`decideStep`)
//!   the steps of the cases whose planned decision day has come, parallel branches included;
//!   then `issueResult`, and delivery by express for some;
//! - **citizens**: online applications (`submitCase` on the portal, accepted by `acceptCase`),
//!   `rate` with the code on the ticket or receipt, some of them dissatisfied;
//! - **supervisors**: `runSupervision` at the end of each day.
//!
//! Every random choice is drawn from one seeded generator before the requests it shapes, so a
//! seed gives the same visits, cases and counts however the concurrent requests interleave.
//! The [`Report`] holds the simulator's own counts and the API's `statistics` and
//! `hallStatistics`, and says whether they agree.

use anyhow::{Context, Result, bail};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use onedoor::auth::{AuthSettings, KeyPair, Signer, Verifier};
use onedoor::config::Limits;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Working days to simulate (at least 1).
    pub days: u32,
    /// The first day: the simulation starts on the first working day on or after it.
    pub start: NaiveDate,
    /// Volume factor: 1 is the seed's centre (about 3,000 visitors and 2,100 cases a day).
    pub scale: f64,
    /// The seed of every random choice.
    pub seed: u64,
    /// Most HTTP requests in flight at once.
    pub concurrency: usize,
    /// The database (empty); `None`: a temporary SQLite file, removed afterwards.
    pub database: Option<String>,
    /// Print one line per simulated day on standard error.
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            days: 10,
            start: NaiveDate::from_ymd_opt(2018, 3, 5).unwrap_or_default(),
            scale: 1.0,
            seed: 2018,
            concurrency: 32,
            database: None,
            progress: false,
        }
    }
}

impl Options {
    /// Checks the options; the message says what is wrong.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.days == 0 {
            return Err("--days must be at least 1".into());
        }
        if self.days > 240 {
            return Err("--days must be at most 240 (the statistics cover at most a year)".into());
        }
        if !self.scale.is_finite() || self.scale <= 0.0 {
            return Err(format!("--scale must be a number above 0 (got {})", self.scale));
        }
        if self.scale > 10_000.0 {
            return Err(format!("--scale must be at most 10000 (got {})", self.scale));
        }
        if self.concurrency == 0 || self.concurrency > 4096 {
            return Err(format!("--concurrency must be between 1 and 4096 (got {})", self.concurrency));
        }
        Ok(())
    }
}

// ----- volumes and mixes (per working day at scale 1) -----

/// Visitors (queue tickets) a day at scale 1: 30,000 in the first ten working days.
const VISITORS_A_DAY: f64 = 3000.0;
/// Applications at the windows a day at scale 1.
const WINDOW_CASES_A_DAY: f64 = 1950.0;
/// Online applications a day at scale 1 (with the window's: about 2,100 cases).
const ONLINE_CASES_A_DAY: f64 = 150.0;
/// Share of window applications for a bundle (parallel approval of "one thing").
const BUNDLE_SHARE: f64 = 0.03;
/// Share of window applications refused at the window.
const REFUSED_SHARE: f64 = 0.03;
/// Share of window applications that need supplements first.
const SUPPLEMENTS_SHARE: f64 = 0.07;
/// Share of decisions that deny.
const DENIED_SHARE: f64 = 0.02;
/// Share of multi-day cases decided after their limit.
const LATE_SHARE: f64 = 0.04;
/// Share of results delivered by express (the rest are collected at a window).
const DELIVERED_SHARE: f64 = 0.35;
/// Share of tickets taken by a guide for a priority visitor (elderly, disabled).
const PRIORITY_SHARE: f64 = 0.04;
/// Share of served visitors who rate the visit at the window's device.
const VISIT_RATING_SHARE: f64 = 0.25;
/// Share of completed cases rated by SMS.
const CASE_RATING_SHARE: f64 = 0.3;
/// Minutes of one step of the simulated clock.
const STEP_MINUTES: i64 = 5;
/// Weights of the zones' traffic, by zone code (tax, traffic police, … hotline).
const ZONE_WEIGHTS: &[(&str, u32)] = &[
    ("A", 12),
    ("B", 10),
    ("C", 4),
    ("D", 9),
    ("E", 8),
    ("F", 10),
    ("G", 7),
    ("H", 9),
    ("I", 2),
    ("J", 2),
    ("K", 9),
    ("L", 4),
    ("M", 5),
    ("N", 2),
    ("O", 2),
    ("P", 2),
    ("Q", 1),
    ("R", 1),
    ("S", 1),
    ("T", 1),
];

// ----- a small deterministic generator -----

/// splitmix64: small, fast and good enough for choosing visits.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in [0, n); 0 when n is 0.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    /// An index drawn with the given weights.
    fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// A count of `mean` scaled, rounded by chance (so that small scales still draw some).
    fn count(&mut self, mean: f64) -> usize {
        let whole = mean.floor();
        whole as usize + usize::from(self.chance(mean - whole))
    }
}

// ----- the GraphQL client -----

/// A GraphQL client over HTTP with bounded concurrency.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    url: Arc<str>,
    gate: Arc<tokio::sync::Semaphore>,
}

impl Api {
    /// Runs an operation; GraphQL errors are errors. Returns `data`.
    async fn query(&self, token: Option<&str>, query: &str, variables: Value) -> Result<Value> {
        let _permit = self.gate.acquire().await.context("the request gate closed")?;
        let mut req = self.http.post(&*self.url).json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.context("sending a request to the simulated server")?;
        let status = res.status();
        let mut body: Value = res.json().await.with_context(|| format!("reading an answer ({status})"))?;
        if let Some(e) = body.get("errors") {
            bail!("{status}: {e}");
        }
        Ok(body["data"].take())
    }

    /// Runs a mutation `field(input: $input)`; user errors are errors. Returns the payload.
    async fn mutate(&self, token: Option<&str>, field: &str, query: &str, input: Value) -> Result<Value> {
        let mut data = self.query(token, query, json!({ "input": input })).await?;
        let payload = data[field].take();
        match payload["userErrors"].as_array() {
            Some(e) if !e.is_empty() => bail!("{field}: {}", payload["userErrors"]),
            _ => Ok(payload),
        }
    }

    /// Runs several mutations as one document (a client acting on many things at once), in
    /// order: each `(field, input type, input)` with `selection` as its payload's selection.
    /// Returns each payload, or its user errors as an error; a GraphQL error fails them all.
    async fn mutate_many(
        &self,
        token: Option<&str>,
        ops: &[(&str, &str, Value)],
        selection: &str,
    ) -> Result<Vec<Result<Value>>> {
        if ops.is_empty() {
            return Ok(Vec::new());
        }
        let vars: Vec<String> = ops.iter().enumerate().map(|(i, (_, ty, _))| format!("$i{i}: {ty}!")).collect();
        let fields: Vec<String> = ops
            .iter()
            .enumerate()
            .map(|(i, (field, ..))| format!("m{i}: {field}(input: $i{i}) {{ {selection} }}"))
            .collect();
        let query = format!("mutation({}) {{ {} }}", vars.join(", "), fields.join(" "));
        let variables: serde_json::Map<String, Value> =
            ops.iter().enumerate().map(|(i, (.., input))| (format!("i{i}"), input.clone())).collect();
        let mut data = self.query(token, &query, Value::Object(variables)).await?;
        Ok(ops
            .iter()
            .enumerate()
            .map(|(i, (field, ..))| {
                let payload = data[format!("m{i}")].take();
                match payload["userErrors"].as_array() {
                    Some(e) if !e.is_empty() => Err(anyhow::anyhow!("{field}: {}", payload["userErrors"])),
                    _ if payload.is_null() => Err(anyhow::anyhow!("{field}: no payload")),
                    _ => Ok(payload),
                }
            })
            .collect())
    }

    /// Every node of a connection at `path` (field names from `data`), page by page.
    async fn all(&self, token: &str, query: &str, mut variables: Value, path: &[&str]) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        loop {
            let data = self.query(Some(token), query, variables.clone()).await?;
            let conn = path.iter().fold(&data, |v, k| &v[*k]);
            let edges = conn["edges"].as_array().with_context(|| format!("no connection at {path:?}: {data}"))?;
            out.extend(edges.iter().map(|e| e["node"].clone()));
            if conn["pageInfo"]["hasNextPage"].as_bool() != Some(true) {
                return Ok(out);
            }
            variables["after"] = conn["pageInfo"]["endCursor"].clone();
        }
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

// ----- operations -----

const CASE_FIELDS: &str = "case { id number state limitDays receipt { ratingCode } steps { number status role unit { id } } } userErrors { field code message }";

fn case_mutation(field: &str, input: &str) -> String {
    format!("mutation($input: {input}!) {{ {field}(input: $input) {{ {CASE_FIELDS} }} }}")
}

fn ticket_mutation(field: &str, input: &str) -> String {
    format!(
        "mutation($input: {input}!) {{ {field}(input: $input) {{ ticket {{ id ratingCode zone {{ id }} }} userErrors {{ field code message }} }} }}"
    )
}

const RATE: &str =
    "mutation($input: RateInput!) { rate(input: $input) { rating { id } userErrors { field code message } } }";

const STAFF: &str = "query($c: String!, $after: String) { centre(code: $c) { staff(first: 100, after: $after) { edges { node { staffId code roles unit { id } } } pageInfo { hasNextPage endCursor } } } }";

const MATTERS: &str = "query($c: String!, $after: String) { centre(code: $c) { matters(first: 50, after: $after) { edges { node { id code status ownerUnit { id } guide { promisedDays online materials { name required } } } } pageInfo { hasNextPage endCursor } } } }";

const BUNDLES: &str = "query($c: String!, $after: String) { centre(code: $c) { bundles(first: 50, after: $after) { edges { node { id code status matters { id } } } pageInfo { hasNextPage endCursor } } } }";

const HALL: &str = "query($c: String!) { centre(code: $c) { halls { id code zones { id code } } } }";

const WINDOWS: &str = "query($c: String!, $after: String) { centre(code: $c) { halls { windows(first: 20, after: $after) { edges { node { id number zone { id } matters { id } } } pageInfo { hasNextPage endCursor } } } } }";

const CALENDAR: &str = "query($c: String!, $y: Int!) { calendar(centre: $c, year: $y) { exceptions { date kind } } }";

/// What a decision's answer is read for: the case's state and steps.
const DECIDED_FIELDS: &str =
    "case { id state steps { number status role unit { id } } } userErrors { field code message }";

/// A mutation waiting for its document: its index in the caller's list, the field, the input
/// type and the input.
type Queued<'a> = (usize, &'a str, &'a str, Value);

const WORKLIST: &str = "query($after: String) { worklist(first: 100, after: $after) { edges { node { case { id } step { number status role unit { id } } } } pageInfo { hasNextPage endCursor } } }";

const SUPERVISE: &str = "mutation { runSupervision { report { raised } userErrors { field code message } } }";

const STATISTICS: &str = "query($c: String!, $from: Date!, $to: Date!) { statistics(centre: $c, from: $from, to: $to) { visitors served casesReceived casesAccepted casesCompleted casesOnTime completionRate onTimeRate ratings badRatings satisfactionRate warnings yellowCards redCards } }";

const HALL_STATISTICS: &str = "query($h: ID!, $from: Date!, $to: Date!) { hallStatistics(hall: $h, from: $from, to: $to) { total { tickets served averageWaitSeconds } byZone { key tickets averageWaitSeconds } } }";

// ----- the deployment as the API shows it -----

/// A member of staff a token is minted for.
#[derive(Debug, Clone)]
struct Person {
    staff: String,
    centre: usize,
    roles: Vec<String>,
}

#[derive(Debug, Clone)]
struct Matter {
    id: String,
    centre: usize,
    /// Required materials (names).
    required: Vec<String>,
    online: bool,
    /// The zone a ticket for it waits in, if a window of the hall serves it.
    zone: Option<usize>,
}

#[derive(Debug, Clone)]
struct Bundle {
    id: String,
    /// Its matters (indexes).
    matters: Vec<usize>,
    /// The matter a visitor takes a ticket for.
    ticket_matter: usize,
}

#[derive(Debug, Clone)]
struct Window {
    id: String,
    zone: usize,
    matters: HashSet<usize>,
    /// Its clerk of each centre (index into `people`).
    clerks: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Zone {
    id: String,
    code: String,
    /// Matters served by its windows.
    matters: Vec<usize>,
}

/// The deployment: centres, staff, catalogue and hall, read through the API.
struct Deployment {
    centres: Vec<String>,
    hall: String,
    zones: Vec<Zone>,
    windows: Vec<Window>,
    matters: Vec<Matter>,
    bundles: Vec<Bundle>,
    people: Vec<Person>,
    /// Per centre: its supervisor and its window clerks (indexes into `people`).
    supervisors: Vec<usize>,
    clerks: Vec<Vec<usize>>,
    /// Who decides the steps of a (unit id, role).
    deciders: HashMap<(String, String), usize>,
    /// Someone of a centre with a role (for steps without a unit), by (centre, role).
    anyone: HashMap<(usize, String), usize>,
    /// A guide of each centre, if it has one (priority tickets).
    guides: Vec<Option<usize>>,
    zone_index: HashMap<String, usize>,
    /// Working days of the simulated period.
    days: Vec<NaiveDate>,
}

/// The minted tokens, index for index with `Deployment::people`.
struct Tokens(Vec<String>);

impl Tokens {
    fn mint(signer: &Signer, d: &Deployment) -> Result<Tokens> {
        let now = Utc::now().timestamp();
        let mut out = Vec::with_capacity(d.people.len());
        for p in &d.people {
            let t = signer.issue(&p.staff, &d.centres[p.centre], &p.roles, now).map_err(|e| anyhow::anyhow!("{e}"))?;
            out.push(t);
        }
        Ok(Tokens(out))
    }

    fn of(&self, person: usize) -> &str {
        &self.0[person]
    }
}

async fn read_deployment(api: &Api, signer: &Signer, opts: &Options) -> Result<Deployment> {
    let centres = vec!["pingliang".to_owned(), "kongtong".to_owned()];
    // An administrator of each centre to read the staff with; every later token is a real row's.
    let now = Utc::now().timestamp();
    let mut people = Vec::new();
    let mut supervisors = Vec::new();
    let mut clerks = Vec::new();
    let mut deciders = HashMap::new();
    let mut unit_people: Vec<(usize, Option<String>, Vec<String>)> = Vec::new();
    let mut guides = Vec::new();
    for (ci, code) in centres.iter().enumerate() {
        let reader = signer
            .issue(&uuid::Uuid::now_v7().to_string(), code, &["admin".to_owned()], now)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let staff = api.all(&reader, STAFF, json!({ "c": code }), &["centre", "staff"]).await?;
        let mut my_clerks = Vec::new();
        let mut supervisor = None;
        for s in staff {
            let roles: Vec<String> =
                s["roles"].as_array().into_iter().flatten().map(|r| text(r).to_ascii_lowercase()).collect();
            let unit = s["unit"]["id"].as_str().map(str::to_owned);
            let i = people.len();
            people.push(Person { staff: text(&s["staffId"]), centre: ci, roles: roles.clone() });
            if roles.iter().any(|r| r == "supervisor") && supervisor.is_none() {
                supervisor = Some(i);
            }
            if roles.iter().any(|r| r == "window_clerk") && unit.is_none() {
                my_clerks.push(i);
            }
            unit_people.push((i, unit, roles));
        }
        // Clerks without a unit are the hall's; if there are none, any clerk serves.
        if my_clerks.is_empty() {
            my_clerks = unit_people
                .iter()
                .filter(|(i, _, r)| people[*i].centre == ci && r.iter().any(|r| r == "window_clerk"))
                .map(|(i, ..)| *i)
                .collect();
        }
        if my_clerks.is_empty() {
            bail!("centre `{code}` has no window clerk");
        }
        guides.push(
            unit_people.iter().find(|(i, _, r)| people[*i].centre == ci && r.iter().any(|r| r == "guide")).map(|x| x.0),
        );
        supervisors.push(supervisor.with_context(|| format!("centre `{code}` has no supervisor"))?);
        clerks.push(my_clerks);
    }
    let mut anyone = HashMap::new();
    for (i, unit, roles) in &unit_people {
        for r in roles {
            anyone.entry((people[*i].centre, r.to_ascii_uppercase())).or_insert(*i);
            if let Some(u) = unit {
                deciders.entry((u.clone(), r.to_ascii_uppercase())).or_insert(*i);
            }
        }
    }
    let admin = signer
        .issue(&uuid::Uuid::now_v7().to_string(), &centres[0], &["admin".to_owned()], now)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut matters = Vec::new();
    let mut matter_index = HashMap::new();
    let mut bundles_raw = Vec::new();
    for (ci, code) in centres.iter().enumerate() {
        let reader = signer
            .issue(&uuid::Uuid::now_v7().to_string(), code, &["admin".to_owned()], now)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for m in api.all(&reader, MATTERS, json!({ "c": code }), &["centre", "matters"]).await? {
            if m["status"] != "ACTIVE" {
                continue;
            }
            let required = m["guide"]["materials"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|x| x["required"] == true)
                .map(|x| text(&x["name"]))
                .collect();
            matter_index.insert(text(&m["id"]), matters.len());
            matters.push(Matter {
                id: text(&m["id"]),
                centre: ci,
                required,
                online: m["guide"]["online"] == true,
                zone: None,
            });
        }
        for b in api.all(&reader, BUNDLES, json!({ "c": code }), &["centre", "bundles"]).await? {
            if b["status"] == "ACTIVE" {
                bundles_raw.push(b);
            }
        }
    }
    // The hall (run by the city) and its windows.
    let hall = api.query(Some(&admin), HALL, json!({ "c": centres[0] })).await?;
    let hall = hall["centre"]["halls"].get(0).cloned().context("the city runs no hall")?;
    let mut zones: Vec<Zone> = hall["zones"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|z| Zone { id: text(&z["id"]), code: text(&z["code"]), matters: Vec::new() })
        .collect();
    let zone_index: HashMap<String, usize> = zones.iter().enumerate().map(|(i, z)| (z.id.clone(), i)).collect();
    // Windows through the city's first hall (the query pages the first hall's windows).
    let mut windows = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = api.query(Some(&admin), WINDOWS, json!({ "c": centres[0], "after": after })).await?;
        let conn = &data["centre"]["halls"][0]["windows"];
        for w in conn["edges"].as_array().into_iter().flatten().map(|e| &e["node"]) {
            let Some(&zone) = zone_index.get(w["zone"]["id"].as_str().unwrap_or_default()) else { continue };
            let served: HashSet<usize> = w["matters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| matter_index.get(m["id"].as_str().unwrap_or_default()).copied())
                .collect();
            let n = windows.len();
            windows.push(Window {
                id: text(&w["id"]),
                zone,
                matters: served,
                clerks: clerks.iter().map(|c| c[n % c.len()]).collect(),
            });
        }
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    for w in &windows {
        for &m in &w.matters {
            if matters[m].zone.is_none() {
                // takeTicket puts a matter's ticket in the zone of the first window serving it.
                matters[m].zone = Some(w.zone);
            }
        }
    }
    for (i, m) in matters.iter().enumerate() {
        if let Some(z) = m.zone {
            zones[z].matters.push(i);
        }
    }
    let bundles = bundles_raw
        .iter()
        .filter_map(|b| {
            let ms: Vec<usize> = b["matters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| matter_index.get(m["id"].as_str().unwrap_or_default()).copied())
                .collect();
            let ticket_matter = ms.iter().copied().find(|&m| matters[m].zone.is_some())?;
            Some(Bundle { id: text(&b["id"]), matters: ms, ticket_matter })
        })
        .collect();
    let days = working_days(api, &admin, &centres[0], opts.start, opts.days).await?;
    Ok(Deployment {
        centres,
        hall: text(&hall["id"]),
        zones,
        windows,
        matters,
        bundles,
        people,
        supervisors,
        clerks,
        deciders,
        anyone,
        guides,
        zone_index,
        days,
    })
}

/// The first `n` working days on or after `start`, on the centre's calendar.
async fn working_days(api: &Api, token: &str, centre: &str, start: NaiveDate, n: u32) -> Result<Vec<NaiveDate>> {
    let mut exceptions: HashMap<NaiveDate, bool> = HashMap::new();
    let mut years_read = HashSet::new();
    let mut days = Vec::new();
    let mut d = start;
    while days.len() < n as usize {
        if years_read.insert(d.year()) {
            let data = api.query(Some(token), CALENDAR, json!({ "c": centre, "y": d.year() })).await?;
            for x in data["calendar"]["exceptions"].as_array().into_iter().flatten() {
                if let Ok(date) = NaiveDate::parse_from_str(x["date"].as_str().unwrap_or_default(), "%Y-%m-%d") {
                    exceptions.insert(date, x["kind"] == "MAKE_UP_WORKDAY");
                }
            }
        }
        let weekday = !matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        if exceptions.get(&d).copied().unwrap_or(weekday) {
            days.push(d);
        }
        d = d.succ_opt().context("the calendar ran out of dates")?;
    }
    Ok(days)
}

// ----- the plan: visits and cases -----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Accept,
    Supplements,
    Refuse,
}

/// An applicant's choices, drawn when their application is planned.
#[derive(Debug, Clone)]
struct Plan {
    matter: usize,
    bundle: Option<usize>,
    outcome: Outcome,
    applicant: Value,
    /// The share of its limit the back office takes (late cases: days past it).
    speed: f64,
    late_by: i64,
    deny: bool,
    deliver: bool,
    case_rating: Option<Rating>,
    /// Working days until the applicant comes back with supplements.
    return_after: usize,
    missing: usize,
}

#[derive(Debug, Clone, Copy)]
struct Rating(usize);

const LEVELS: &[(&str, f64)] = &[
    ("VERY_SATISFIED", 0.62),
    ("SATISFIED", 0.25),
    ("NEUTRAL", 0.07),
    ("DISSATISFIED", 0.04),
    ("VERY_DISSATISFIED", 0.02),
];

impl Rating {
    fn draw(rng: &mut Rng) -> Rating {
        Rating(rng.weighted(&LEVELS.iter().map(|l| l.1).collect::<Vec<_>>()))
    }

    fn bad(self) -> bool {
        self.0 >= 3
    }

    fn input(self) -> Value {
        let (indicators, comment) = if self.bad() {
            (json!(["efficiency", "attitude"]), "等候时间长，工作人员解释不清")
        } else {
            (json!([]), "")
        };
        json!({ "level": LEVELS[self.0].0, "indicators": indicators, "comment": comment })
    }
}

#[derive(Debug, Clone)]
enum Visit {
    Apply(Box<Plan>),
    Supplement(usize),
    Collect(usize),
    Consult(usize),
}

impl Visit {
    fn matter(&self, cases: &[CaseRec]) -> usize {
        match self {
            Visit::Apply(p) => p.matter,
            Visit::Supplement(c) | Visit::Collect(c) => cases[*c].ticket_matter,
            Visit::Consult(m) => *m,
        }
    }
}

/// A visitor: when they arrive (a step of the day), what for, and how the visit goes.
#[derive(Debug, Clone)]
struct Arrival {
    session: usize,
    step: usize,
    visit: Visit,
    priority: bool,
    service_steps: usize,
    visit_rating: Option<Rating>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Submitted,
    AwaitingSupplements,
    InReview { decide_on: usize },
    Issued,
    Done,
}

#[derive(Debug, Clone)]
struct CaseRec {
    id: String,
    number: String,
    centre: usize,
    code: String,
    ticket_matter: usize,
    missing: Vec<String>,
    plan: Plan,
    stage: Stage,
}

/// What the simulator did, by centre.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Queue tickets taken.
    pub visitors: u64,
    /// Cases submitted (window and online).
    pub received: u64,
    /// Of those, accepted.
    pub accepted: u64,
    /// Of the accepted, decided.
    pub completed: u64,
    /// Cases refused at the window.
    pub refused: u64,
    /// Supplements requests.
    pub supplements: u64,
    /// Online applications.
    pub online: u64,
    /// Bundle applications (parallel approval).
    pub bundles: u64,
    /// Denied decisions.
    pub denied: u64,
    /// Results delivered by express.
    pub delivered: u64,
    /// Results collected at a window.
    pub collected: u64,
    /// Ratings given (visits and cases).
    pub ratings: u64,
    /// Of those, dissatisfied or very dissatisfied.
    pub bad_ratings: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.visitors += o.visitors;
        self.received += o.received;
        self.accepted += o.accepted;
        self.completed += o.completed;
        self.refused += o.refused;
        self.supplements += o.supplements;
        self.online += o.online;
        self.bundles += o.bundles;
        self.denied += o.denied;
        self.delivered += o.delivered;
        self.collected += o.collected;
        self.ratings += o.ratings;
        self.bad_ratings += o.bad_ratings;
    }
}

/// A centre's figures as the API's `statistics` gives them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Queue tickets taken.
    pub visitors: u64,
    /// Tickets served.
    pub served: u64,
    /// Cases received.
    pub received: u64,
    /// Of those, accepted.
    pub accepted: u64,
    /// Of the accepted, completed.
    pub completed: u64,
    /// Of the completed, on time.
    pub on_time: u64,
    /// Ratings that count.
    pub ratings: u64,
    /// Dissatisfied ones.
    pub bad_ratings: u64,
    /// Satisfied of all ratings, as the API computes it (the total row: from the counts).
    pub satisfaction_rate: Option<f64>,
    /// Deadline warnings.
    pub warnings: u64,
    /// Yellow cards.
    pub yellow_cards: u64,
    /// Red cards.
    pub red_cards: u64,
}

impl Figures {
    fn from_row(r: &Value) -> Figures {
        let n = |k: &str| r[k].as_u64().unwrap_or(0);
        Figures {
            visitors: n("visitors"),
            served: n("served"),
            received: n("casesReceived"),
            accepted: n("casesAccepted"),
            completed: n("casesCompleted"),
            on_time: n("casesOnTime"),
            ratings: n("ratings"),
            bad_ratings: n("badRatings"),
            satisfaction_rate: r["satisfactionRate"].as_f64(),
            warnings: n("warnings"),
            yellow_cards: n("yellowCards"),
            red_cards: n("redCards"),
        }
    }

    fn add(&mut self, o: &Figures) {
        let satisfied = |f: &Figures| f.satisfaction_rate.map_or(0.0, |r| r * f.ratings as f64);
        let total = satisfied(self) + satisfied(o);
        self.visitors += o.visitors;
        self.served += o.served;
        self.received += o.received;
        self.accepted += o.accepted;
        self.completed += o.completed;
        self.on_time += o.on_time;
        self.ratings += o.ratings;
        self.bad_ratings += o.bad_ratings;
        self.satisfaction_rate = (self.ratings > 0).then(|| total / self.ratings as f64);
        self.warnings += o.warnings;
        self.yellow_cards += o.yellow_cards;
        self.red_cards += o.red_cards;
    }

    /// Completed of accepted (办结率).
    pub fn completion_rate(&self) -> Option<f64> {
        (self.accepted > 0).then(|| self.completed as f64 / self.accepted as f64)
    }

    /// On time of completed (按时办结率).
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.completed > 0).then(|| self.on_time as f64 / self.completed as f64)
    }
}

/// The average wait of one zone of the hall.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneWait {
    /// The zone's code (A–T).
    pub zone: String,
    /// Tickets taken in it.
    pub tickets: u64,
    /// Average wait to the first call, in minutes.
    pub average_wait_minutes: Option<f64>,
}

/// What a simulation did and what the API reports about it.
#[derive(Debug, Clone)]
pub struct Report {
    /// The working days simulated.
    pub days: Vec<NaiveDate>,
    /// The centres' codes, in the order of `own` and `api`.
    pub centres: Vec<String>,
    /// The simulator's own counts, per centre.
    pub own: Vec<Counts>,
    /// The API's `statistics`, per centre.
    pub api: Vec<Figures>,
    /// The hall's average wait per zone (`hallStatistics`).
    pub waits: Vec<ZoneWait>,
    /// Requests that failed (the first few messages, and how many).
    pub failures: Vec<String>,
    /// How many requests failed.
    pub failed: u64,
    /// HTTP requests sent.
    pub requests: u64,
    /// Wall time of the simulated days (set-up and import excluded).
    pub wall: std::time::Duration,
    /// Wall time of starting the server and importing the example.
    pub setup: std::time::Duration,
}

impl Report {
    /// The simulator's counts over all centres.
    pub fn own_total(&self) -> Counts {
        let mut t = Counts::default();
        self.own.iter().for_each(|c| t.add(c));
        t
    }

    /// The API's figures over all centres.
    pub fn api_total(&self) -> Figures {
        let mut t = Figures::default();
        self.api.iter().for_each(|c| t.add(c));
        t
    }

    /// Each check of the simulator's counts against the API's: (what, centre or `total`,
    /// ours, the API's).
    pub fn checks(&self) -> Vec<(&'static str, String, u64, u64)> {
        let mut out = Vec::new();
        let rows = self
            .centres
            .iter()
            .cloned()
            .zip(self.own.iter().cloned().zip(self.api.iter().cloned()))
            .chain(std::iter::once(("total".to_owned(), (self.own_total(), self.api_total()))));
        for (centre, (o, a)) in rows {
            out.push(("visitors", centre.clone(), o.visitors, a.visitors));
            out.push(("cases received", centre.clone(), o.received, a.received));
            out.push(("cases accepted", centre.clone(), o.accepted, a.accepted));
            out.push(("cases completed", centre.clone(), o.completed, a.completed));
            if centre == "total" {
                // A visit is rated for the centre of the window: compare the ratings in total.
                out.push(("ratings", centre.clone(), o.ratings, a.ratings));
                out.push(("bad ratings", centre, o.bad_ratings, a.bad_ratings));
            }
        }
        out
    }

    /// Whether every count of the simulator equals the API's and no request failed.
    pub fn agrees(&self) -> bool {
        self.failed == 0 && self.checks().iter().all(|(_, _, o, a)| o == a)
    }
}

fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (first, last) = (self.days.first(), self.days.last());
        if let (Some(a), Some(b)) = (first, last) {
            writeln!(f, "{} working days, {a} to {b}", self.days.len())?;
        }
        writeln!(
            f,
            "{:<10} {:>8} {:>8} {:>8} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6}",
            "centre",
            "visitors",
            "received",
            "accepted",
            "completed",
            "complete%",
            "onTime%",
            "satisf%",
            "warnings",
            "yellow",
            "red",
            "bad"
        )?;
        let total = ("total".to_owned(), self.api_total());
        for (c, a) in self.centres.iter().cloned().zip(self.api.iter().cloned()).chain(std::iter::once(total)) {
            writeln!(
                f,
                "{:<10} {:>8} {:>8} {:>8} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6}",
                c,
                a.visitors,
                a.received,
                a.accepted,
                a.completed,
                rate(a.completion_rate()),
                rate(a.on_time_rate()),
                rate(a.satisfaction_rate),
                a.warnings,
                a.yellow_cards,
                a.red_cards,
                a.bad_ratings
            )?;
        }
        writeln!(f, "average wait per zone (minutes):")?;
        for w in &self.waits {
            let wait = w.average_wait_minutes.map_or_else(|| "—".to_owned(), |m| format!("{m:.1}"));
            writeln!(f, "  {:<3} {:>7} tickets  {:>6}", w.zone, w.tickets, wait)?;
        }
        let o = self.own_total();
        writeln!(
            f,
            "the simulator: {} visitors, {} cases ({} online, {} bundles), {} accepted, {} completed ({} denied), {} refused, {} supplements, {} delivered, {} collected, {} ratings ({} bad)",
            o.visitors,
            o.received,
            o.online,
            o.bundles,
            o.accepted,
            o.completed,
            o.denied,
            o.refused,
            o.supplements,
            o.delivered,
            o.collected,
            o.ratings,
            o.bad_ratings
        )?;
        for (what, centre, ours, api) in self.checks() {
            let mark = if ours == api { "agrees" } else { "DIFFERS" };
            writeln!(f, "  {what:<16} {centre:<10} simulator {ours:>8}  API {api:>8}  {mark}")?;
        }
        if self.failed > 0 {
            writeln!(f, "{} requests failed, among them:", self.failed)?;
            for m in &self.failures {
                writeln!(f, "  {m}")?;
            }
        }
        writeln!(
            f,
            "{} requests in {:.1} s ({:.0} req/s); set-up and import {:.1} s",
            self.requests,
            self.wall.as_secs_f64(),
            self.requests as f64 / self.wall.as_secs_f64().max(1e-9),
            self.setup.as_secs_f64()
        )?;
        write!(f, "{}", if self.agrees() { "the table adds up" } else { "the table does NOT add up" })
    }
}

// ----- the simulation -----

/// Sessions of the hall: (opening time, steps in which visitors arrive, share of the day's
/// visitors, peak step, peak height).
const SESSIONS: &[(u32, u32, usize, f64, f64, f64)] = &[(8, 30, 42, 0.65, 14.0, 2.5), (14, 30, 36, 0.35, 10.0, 1.0)];

/// The local time (UTC+8) of a step of a session, as UTC.
fn at(day: NaiveDate, session: usize, step: usize) -> chrono::DateTime<Utc> {
    let (h, m, ..) = SESSIONS[session];
    let local = day.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default())
        + Duration::minutes(STEP_MINUTES * step as i64);
    Utc.from_utc_datetime(&(local - Duration::hours(8)))
}

/// The evening of a day (18:00 local), for the back offices and supervisors.
fn evening(day: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&(day.and_time(NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default()) - Duration::hours(8)))
}

struct Sim<'a> {
    api: Api,
    d: &'a Deployment,
    tokens: Tokens,
    rng: Rng,
    scale: f64,
    cases: Vec<CaseRec>,
    case_index: HashMap<String, usize>,
    /// Visits planned for later days (supplements, collections), by day index.
    returns: BTreeMap<usize, Vec<Visit>>,
    counts: Vec<Counts>,
    /// Arrivals by the ticket they took, until a window calls it.
    pending: HashMap<String, Arrival>,
    failures: Vec<String>,
    failed: u64,
    requests: u64,
}

/// A waiting ticket.
#[derive(Debug, Clone)]
struct Waiting {
    ticket: String,
    zone: usize,
    matter: usize,
}

/// A ticket being served at a window until `until`.
#[derive(Debug, Clone)]
struct Serving {
    ticket: String,
    arrival: Arrival,
    until: usize,
}

/// What a served visit did, applied to the simulator's state after the step.
#[derive(Debug, Default)]
struct Served {
    /// A case submitted in the visit (its record and the case as the API answered).
    new_case: Option<(CaseRec, Value)>,
    /// A case accepted on receiving supplements.
    accepted: Option<(usize, Value)>,
    /// The new case was decided in the visit (denied?).
    immediate: Option<bool>,
    /// … and handed over at once.
    collected_now: bool,
    /// A result collected.
    collected: Option<usize>,
    /// Ratings given (bad?).
    ratings: Vec<bool>,
    requests: u64,
    failures: Vec<String>,
}

fn applicant(rng: &mut Rng, n: u64) -> Value {
    const SURNAMES: &[&str] =
        &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭"];
    const GIVEN: &[&str] =
        &["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "秀英"];
    const FIRMS: &[&str] = &["宏远", "崆峒", "泾川", "陇东", "金瑞", "华亭", "静宁", "丰泰"];
    const TRADES: &[&str] = &["商贸", "建筑", "农业", "物流", "餐饮", "科技"];
    if rng.chance(0.2) {
        let name = format!("平凉{}{}有限公司", FIRMS[rng.below(FIRMS.len())], TRADES[rng.below(TRADES.len())]);
        json!({ "kind": "ENTERPRISE", "name": name, "idNumber": format!("91620800MA{:08X}", n & 0xFFFF_FFFF) })
    } else {
        let name = format!("{}{}", SURNAMES[rng.below(SURNAMES.len())], GIVEN[rng.below(GIVEN.len())]);
        let born = 1950 + rng.below(50);
        let id = format!("620802{born}{:02}{:02}{:04}", 1 + rng.below(12), 1 + rng.below(28), n % 10_000);
        json!({ "kind": "PERSON", "name": name, "idNumber": id, "phone": format!("139{:08}", n % 100_000_000) })
    }
}

impl Sim<'_> {
    fn fail(&mut self, what: String) {
        self.failed += 1;
        if self.failures.len() < 10 {
            self.failures.push(what);
        }
    }

    /// A step of a session drawn with the morning or afternoon peak.
    fn draw_time(&mut self) -> (usize, usize) {
        let session = usize::from(!self.rng.chance(SESSIONS[0].3));
        let (.., steps, _, peak, height) = SESSIONS[session];
        let weights: Vec<f64> = (0..steps)
            .map(|i| {
                let x = (i as f64 - peak) / 8.0;
                1.0 + height * (-x * x).exp()
            })
            .collect();
        (session, self.rng.weighted(&weights))
    }

    fn draw_plan(&mut self, n: u64) -> Option<Plan> {
        let d = self.d;
        let (matter, bundle) = if self.rng.chance(BUNDLE_SHARE) && !d.bundles.is_empty() {
            let b = self.rng.below(d.bundles.len());
            (d.bundles[b].ticket_matter, Some(b))
        } else {
            (self.draw_matter()?, None)
        };
        let x = self.rng.unit();
        let outcome = if x < REFUSED_SHARE {
            Outcome::Refuse
        } else if x < REFUSED_SHARE + SUPPLEMENTS_SHARE {
            Outcome::Supplements
        } else {
            Outcome::Accept
        };
        let late = self.rng.chance(LATE_SHARE);
        Some(Plan {
            matter,
            bundle,
            outcome,
            applicant: applicant(&mut self.rng, n),
            speed: 0.2 + 0.8 * self.rng.unit(),
            late_by: if late { 1 + self.rng.below(3) as i64 } else { 0 },
            deny: self.rng.chance(DENIED_SHARE),
            deliver: self.rng.chance(DELIVERED_SHARE),
            case_rating: self.rng.chance(CASE_RATING_SHARE).then(|| Rating::draw(&mut self.rng)),
            return_after: 1 + self.rng.below(3),
            missing: 1 + self.rng.below(2),
        })
    }

    /// A matter served in the hall, by the zones' traffic.
    fn draw_matter(&mut self) -> Option<usize> {
        let d = self.d;
        let weights: Vec<f64> = d
            .zones
            .iter()
            .map(|z| {
                let w = ZONE_WEIGHTS.iter().find(|(c, _)| *c == z.code).map_or(1, |x| x.1);
                if z.matters.is_empty() { 0.0 } else { f64::from(w) }
            })
            .collect();
        if weights.iter().all(|w| *w == 0.0) {
            return None;
        }
        let z = &d.zones[self.rng.weighted(&weights)];
        Some(z.matters[self.rng.below(z.matters.len())])
    }

    fn arrival(&mut self, visit: Visit) -> Arrival {
        let (session, step) = self.draw_time();
        let service_steps = match visit {
            Visit::Apply(_) => 1 + self.rng.below(3),
            _ => 1,
        };
        Arrival {
            session,
            step,
            visit,
            priority: self.rng.chance(PRIORITY_SHARE),
            service_steps,
            visit_rating: self.rng.chance(VISIT_RATING_SHARE).then(|| Rating::draw(&mut self.rng)),
        }
    }

    /// The day's visitors and online applications.
    fn plan_day(&mut self, day: usize) -> (Vec<Arrival>, Vec<(usize, usize, Plan)>) {
        let mut arrivals = Vec::new();
        for v in self.returns.remove(&day).unwrap_or_default() {
            let a = self.arrival(v);
            arrivals.push(a);
        }
        let applications = self.rng.count(WINDOW_CASES_A_DAY * self.scale);
        for i in 0..applications {
            if let Some(p) = self.draw_plan(((day as u64) << 32) | i as u64) {
                let a = self.arrival(Visit::Apply(Box::new(p)));
                arrivals.push(a);
            }
        }
        let visitors = self.rng.count(VISITORS_A_DAY * self.scale);
        for _ in arrivals.len()..visitors {
            if let Some(m) = self.draw_matter() {
                let a = self.arrival(Visit::Consult(m));
                arrivals.push(a);
            }
        }
        let mut online = Vec::new();
        let candidates: Vec<usize> = (0..self.d.matters.len()).filter(|&m| self.d.matters[m].online).collect();
        for i in 0..self.rng.count(ONLINE_CASES_A_DAY * self.scale) {
            if candidates.is_empty() {
                break;
            }
            let matter = candidates[self.rng.below(candidates.len())];
            let (session, step) = self.draw_time();
            if let Some(mut p) = self.draw_plan(((day as u64) << 32) | (1 << 31) | i as u64) {
                p.matter = matter;
                p.bundle = None;
                p.outcome = Outcome::Accept;
                online.push((session, step, p));
            }
        }
        (arrivals, online)
    }

    /// The matters and materials of an application.
    fn application(&self, p: &Plan) -> (Vec<usize>, Vec<String>) {
        let matters = match p.bundle {
            Some(b) => self.d.bundles[b].matters.clone(),
            None => vec![p.matter],
        };
        let mut materials: Vec<String> = Vec::new();
        for &m in &matters {
            for r in &self.d.matters[m].required {
                if !materials.contains(r) {
                    materials.push(r.clone());
                }
            }
        }
        (matters, materials)
    }

    /// Runs one working day; returns how long the hall's hours took (the rest is the evening's
    /// back office and supervision).
    async fn day(&mut self, day: usize, clock: &onedoor::ManualClock) -> Result<std::time::Duration> {
        let started = std::time::Instant::now();
        let date = self.d.days[day];
        let (arrivals, online) = self.plan_day(day);
        for (session, (_, _, arrival_steps, ..)) in SESSIONS.iter().enumerate() {
            let mut coming: BTreeMap<usize, Vec<Arrival>> = BTreeMap::new();
            for a in arrivals.iter().filter(|a| a.session == session) {
                coming.entry(a.step).or_default().push(a.clone());
            }
            let mut submitting: BTreeMap<usize, Vec<Plan>> = BTreeMap::new();
            for (_, step, p) in online.iter().filter(|o| o.0 == session) {
                submitting.entry(*step).or_default().push(p.clone());
            }
            let mut waiting: Vec<Waiting> = Vec::new();
            let mut serving: HashMap<usize, Serving> = HashMap::new();
            let mut step = 0;
            // Visitors arrive during the session; the windows serve until the queue is empty.
            while step < *arrival_steps || !waiting.is_empty() || !serving.is_empty() {
                if step > arrival_steps + 240 {
                    bail!("the queue did not empty by {} on {date}", at(date, session, step));
                }
                clock.set(at(date, session, step));
                self.step(day, step, &mut coming, &mut submitting, &mut waiting, &mut serving).await?;
                step += 1;
            }
        }
        let hall = started.elapsed();
        clock.set(evening(date));
        self.back_office(day).await?;
        let supervise = self.d.supervisors.iter().map(|&s| {
            let api = self.api.clone();
            let token = self.tokens.of(s).to_owned();
            async move { api.mutate(Some(&token), "runSupervision", SUPERVISE, Value::Null).await }
        });
        // runSupervision takes no input: `mutate` sends a null one, which it ignores.
        for r in futures_util::future::join_all(supervise).await {
            self.requests += 1;
            if let Err(e) = r {
                self.fail(format!("runSupervision: {e:#}"));
            }
        }
        Ok(hall)
    }

    /// One step of the clock in a session: services end, visitors arrive and take tickets,
    /// online applications come in, free windows call the next ticket.
    async fn step(
        &mut self,
        day: usize,
        step: usize,
        coming: &mut BTreeMap<usize, Vec<Arrival>>,
        submitting: &mut BTreeMap<usize, Vec<Plan>>,
        waiting: &mut Vec<Waiting>,
        serving: &mut HashMap<usize, Serving>,
    ) -> Result<()> {
        let d = self.d;
        // Services that end now.
        let mut ending: Vec<(usize, Serving)> = Vec::new();
        let mut done: Vec<usize> = serving.iter().filter(|(_, s)| s.until <= step).map(|(w, _)| *w).collect();
        done.sort_unstable();
        for w in done {
            if let Some(s) = serving.remove(&w) {
                ending.push((w, s));
            }
        }
        let services = ending.iter().map(|(w, s)| self.serve(*w, s));
        let arrivals = coming.remove(&step).unwrap_or_default();
        let takes = arrivals.iter().map(|a| self.take(a));
        let plans = submitting.remove(&step).unwrap_or_default();
        let online = plans.iter().map(|p| self.submit_online(p));
        let (served, taken, submitted) = tokio::join!(
            futures_util::future::join_all(services),
            futures_util::future::join_all(takes),
            futures_util::future::join_all(online)
        );
        for s in served {
            self.apply_served(day, s);
        }
        for (a, t) in arrivals.iter().zip(taken) {
            self.requests += 1;
            match t {
                Ok(w) => {
                    self.counts[d.matters[w.matter].centre].visitors += 1;
                    self.pending.insert(w.ticket.clone(), a.clone());
                    waiting.push(w);
                }
                Err(e) => self.fail(format!("takeTicket: {e:#}")),
            }
        }
        for (p, r) in plans.into_iter().zip(submitted) {
            self.requests += 1;
            match r {
                Ok(case) => {
                    let centre = d.matters[p.matter].centre;
                    self.counts[centre].received += 1;
                    self.counts[centre].online += 1;
                    self.record_case(&case, centre, p, Stage::Submitted);
                }
                Err(e) => self.fail(format!("submitCase (online): {e:#}")),
            }
        }
        // Free windows call: for each waiting ticket, in order, one free window that may serve it.
        let mut calling: Vec<usize> = Vec::new();
        let mut busy: HashSet<usize> = serving.keys().copied().collect();
        for t in waiting.iter() {
            let free = d
                .windows
                .iter()
                .enumerate()
                .find(|(i, w)| w.zone == t.zone && w.matters.contains(&t.matter) && !busy.contains(i));
            if let Some((i, _)) = free {
                busy.insert(i);
                calling.push(i);
            }
        }
        let calls = calling.iter().map(|&w| self.call(w));
        let called = futures_util::future::join_all(calls).await;
        for (w, r) in calling.into_iter().zip(called) {
            match r {
                Ok((n, Some(ticket))) => {
                    self.requests += n;
                    if let Some(pos) = waiting.iter().position(|x| x.ticket == ticket) {
                        waiting.remove(pos);
                    }
                    match self.pending.remove(&ticket) {
                        Some(arrival) => {
                            let until = step + arrival.service_steps;
                            serving.insert(w, Serving { ticket, arrival, until });
                        }
                        None => self.fail(format!("callNextTicket: a ticket the simulator did not take: {ticket}")),
                    }
                }
                Ok((n, None)) => self.requests += n,
                Err(e) => {
                    self.requests += 1;
                    self.fail(format!("callNextTicket: {e:#}"));
                }
            }
        }
        Ok(())
    }
}

/// The most decisions one case gets in a day (a workflow is shorter).
const MAX_ROUNDS: usize = 64;

/// Mutations the simulator puts in one document before starting another (one case's two more
/// at most: the server allows 30 aliases).
const PER_DOCUMENT: usize = 24;

/// A decision on a step: approval, or denial.
fn decision_input(case: &str, step: Value, deny: bool) -> Value {
    let (decision, comment) = if deny { ("DENY", "不符合法定条件") } else { ("APPROVE", "同意") };
    json!({ "case": case, "step": step, "decision": decision, "comment": comment })
}

/// Whether a case payload's state is a decision.
fn decided(case: &Value) -> bool {
    matches!(case["state"].as_str(), Some("APPROVED" | "DENIED"))
}

impl Sim<'_> {
    fn clerk(&self, window: usize, centre: usize) -> &str {
        let w = &self.d.windows[window];
        self.tokens.of(w.clerks.get(centre).copied().unwrap_or(w.clerks[0]))
    }

    /// The clerk who issues and hands over a centre's results outside a visit.
    fn desk(&self, centre: usize) -> &str {
        self.tokens.of(self.d.clerks[centre][0])
    }

    fn record_case(&mut self, case: &Value, centre: usize, plan: Plan, stage: Stage) -> usize {
        let i = self.cases.len();
        let id = text(&case["id"]);
        self.case_index.insert(id.clone(), i);
        self.cases.push(CaseRec {
            id,
            number: text(&case["number"]),
            centre,
            code: text(&case["receipt"]["ratingCode"]),
            ticket_matter: plan.matter,
            missing: Vec::new(),
            plan,
            stage,
        });
        i
    }

    /// The day index on which the back office decides a case accepted on `day`.
    fn decide_on(day: usize, limit: i64, plan: &Plan) -> usize {
        let k = if plan.late_by > 0 { limit + plan.late_by } else { (limit as f64 * plan.speed).ceil() as i64 };
        day + usize::try_from(k.max(0)).unwrap_or(0)
    }

    async fn take(&self, a: &Arrival) -> Result<Waiting> {
        let m = a.visit.matter(&self.cases);
        let matter = &self.d.matters[m];
        let mut input = json!({ "hall": self.d.hall, "matter": matter.id });
        let guide = if a.priority { self.d.guides[matter.centre] } else { None };
        if guide.is_some() {
            input["priority"] = json!("PRIORITY");
        }
        let q = ticket_mutation("takeTicket", "TakeTicketInput");
        let p = self.api.mutate(guide.map(|g| self.tokens.of(g)), "takeTicket", &q, input).await?;
        let zone = p["ticket"]["zone"]["id"].as_str().and_then(|z| self.d.zone_index.get(z)).copied();
        Ok(Waiting { ticket: text(&p["ticket"]["id"]), zone: zone.unwrap_or(0), matter: m })
    }

    /// A window calls the next ticket and starts serving it: (requests, the ticket).
    async fn call(&self, w: usize) -> Result<(u64, Option<String>)> {
        let window = &self.d.windows[w];
        let clerk = self.clerk(w, 0);
        let q = ticket_mutation("callNextTicket", "CallNextInput");
        let p = self.api.mutate(Some(clerk), "callNextTicket", &q, json!({ "window": window.id })).await?;
        let Some(ticket) = p["ticket"]["id"].as_str() else { return Ok((1, None)) };
        let q = ticket_mutation("startService", "TicketActionInput");
        self.api.mutate(Some(clerk), "startService", &q, json!({ "ticket": ticket, "window": window.id })).await?;
        Ok((2, Some(ticket.to_owned())))
    }

    async fn submit_online(&self, p: &Plan) -> Result<Value> {
        let (matters, materials) = self.application(p);
        let centre = self.d.matters[p.matter].centre;
        let ids: Vec<&str> = matters.iter().map(|&m| self.d.matters[m].id.as_str()).collect();
        let input = json!({ "channel": "ONLINE", "applicant": p.applicant, "matters": ids, "materials": materials });
        let q = case_mutation("submitCase", "SubmitCaseInput");
        Ok(self.api.mutate(Some(self.desk(centre)), "submitCase", &q, input).await?["case"].take())
    }

    /// The next open step of a case to decide, and who decides it (its unit's member with the
    /// step's role, or anyone of the centre with it).
    fn next_decision(&self, centre: usize, steps: &[Value]) -> Option<(Value, usize)> {
        steps.iter().find_map(|s| {
            if s["status"] != "OPEN" {
                return None;
            }
            let role = text(&s["role"]);
            let by_unit = s["unit"]["id"].as_str().and_then(|u| self.d.deciders.get(&(u.to_owned(), role.clone())));
            by_unit.or_else(|| self.d.anyone.get(&(centre, role))).map(|&p| (s["number"].clone(), p))
        })
    }

    /// Decides a case's open steps, one after the other (parallel branches each by its unit),
    /// until it is decided or no open step has someone to decide it. Returns the last case
    /// seen and the requests sent.
    async fn review(&self, centre: usize, case: &str, mut steps: Vec<Value>, deny: bool) -> Result<(Value, u64)> {
        let q = case_mutation("decideStep", "DecideStepInput");
        let mut last = Value::Null;
        let mut n = 0;
        for _ in 0..MAX_ROUNDS {
            let Some((number, person)) = self.next_decision(centre, &steps) else { break };
            let input = decision_input(case, number, deny);
            let mut p = self.api.mutate(Some(self.tokens.of(person)), "decideStep", &q, input).await?;
            n += 1;
            last = p["case"].take();
            if decided(&last) {
                break;
            }
            steps = last["steps"].as_array().cloned().unwrap_or_default();
        }
        Ok((last, n))
    }

    /// Rates a case with the code on its receipt (by SMS).
    async fn rate_case(&self, c: &CaseRec, r: Rating) -> Result<()> {
        let mut input = r.input();
        input["caseNumber"] = json!(c.number);
        input["code"] = json!(c.code);
        input["channel"] = json!("SMS");
        self.api.mutate(None, "rate", RATE, input).await.map(drop)
    }

    /// A window serves a visitor whose service ends now, and ends the service.
    async fn serve(&self, w: usize, s: &Serving) -> Served {
        let mut out = Served::default();
        if let Err(e) = self.serve_visit(w, s, &mut out).await {
            out.failures.push(format!("serving a visit: {e:#}"));
        }
        let window = &self.d.windows[w];
        let q = ticket_mutation("endService", "TicketActionInput");
        out.requests += 1;
        let ended = self
            .api
            .mutate(Some(self.clerk(w, 0)), "endService", &q, json!({ "ticket": s.ticket, "window": window.id }))
            .await;
        match (ended, s.arrival.visit_rating) {
            (Ok(p), Some(r)) => {
                let mut input = r.input();
                input["ticket"] = json!(s.ticket);
                input["code"] = p["ticket"]["ratingCode"].clone();
                input["channel"] = json!("ON_SITE");
                out.requests += 1;
                match self.api.mutate(None, "rate", RATE, input).await {
                    Ok(_) => out.ratings.push(r.bad()),
                    Err(e) => out.failures.push(format!("rate (visit): {e:#}")),
                }
            }
            (Ok(_), None) => {}
            (Err(e), _) => out.failures.push(format!("endService: {e:#}")),
        }
        out
    }

    async fn serve_visit(&self, w: usize, s: &Serving, out: &mut Served) -> Result<()> {
        let window = &self.d.windows[w];
        match &s.arrival.visit {
            Visit::Consult(_) => Ok(()),
            Visit::Apply(plan) => {
                let centre = self.d.matters[plan.matter].centre;
                let clerk = self.clerk(w, centre);
                let (_, mut materials) = self.application(plan);
                let mut input = json!({
                    "channel": "WINDOW", "window": window.id, "ticket": s.ticket,
                    "applicant": plan.applicant, "accept": plan.outcome == Outcome::Accept,
                });
                match plan.bundle {
                    Some(b) => input["bundle"] = json!(self.d.bundles[b].id),
                    None => input["matters"] = json!([self.d.matters[plan.matter].id]),
                }
                let missing = match plan.outcome {
                    Outcome::Accept => Vec::new(),
                    Outcome::Supplements => {
                        let keep = materials.len().saturating_sub(plan.missing).max(1).min(materials.len());
                        materials.split_off(keep)
                    }
                    Outcome::Refuse => {
                        materials.truncate(1);
                        Vec::new()
                    }
                };
                input["materials"] = json!(materials);
                let q = case_mutation("submitCase", "SubmitCaseInput");
                out.requests += 1;
                let mut case = self.api.mutate(Some(clerk), "submitCase", &q, input).await?["case"].take();
                let mut rec = CaseRec {
                    id: text(&case["id"]),
                    number: text(&case["number"]),
                    centre,
                    code: text(&case["receipt"]["ratingCode"]),
                    ticket_matter: plan.matter,
                    missing: missing.clone(),
                    plan: (**plan).clone(),
                    stage: Stage::Submitted,
                };
                match plan.outcome {
                    Outcome::Refuse => {
                        rec.stage = Stage::Done;
                        let reason = "申请事项不属于本中心受理范围，已告知向有权机关申请";
                        let input = json!({ "case": rec.id, "reason": reason });
                        out.new_case = Some((rec, case));
                        out.requests += 1;
                        self.api
                            .mutate(Some(clerk), "refuseCase", &case_mutation("refuseCase", "CaseReasonInput"), input)
                            .await?;
                        Ok(())
                    }
                    Outcome::Supplements if !missing.is_empty() => {
                        let input = json!({ "case": rec.id, "materials": missing });
                        rec.stage = Stage::AwaitingSupplements;
                        out.new_case = Some((rec, case));
                        out.requests += 1;
                        let q = case_mutation("requestSupplements", "CaseMaterialsInput");
                        self.api.mutate(Some(clerk), "requestSupplements", &q, input).await?;
                        Ok(())
                    }
                    Outcome::Supplements => {
                        // Nothing to ask for: accepted as it is.
                        out.requests += 1;
                        let q = case_mutation("acceptCase", "CaseRefInput");
                        case = self.api.mutate(Some(clerk), "acceptCase", &q, json!({ "case": rec.id })).await?["case"]
                            .take();
                        self.accepted_at_window(clerk, rec, case, out).await
                    }
                    Outcome::Accept => self.accepted_at_window(clerk, rec, case, out).await,
                }
            }
            Visit::Supplement(c) => {
                let rec = &self.cases[*c];
                let clerk = self.clerk(w, rec.centre);
                let q = case_mutation("receiveSupplements", "CaseMaterialsInput");
                out.requests += 1;
                let input = json!({ "case": rec.id, "materials": rec.missing });
                let case = self.api.mutate(Some(clerk), "receiveSupplements", &q, input).await?["case"].take();
                out.accepted = Some((*c, case));
                Ok(())
            }
            Visit::Collect(c) => {
                let rec = &self.cases[*c];
                let clerk = self.clerk(w, rec.centre);
                let q = case_mutation("handOverResult", "HandOverInput");
                out.requests += 1;
                let input = json!({ "case": rec.id, "how": "COLLECTED", "note": "本人领取" });
                self.api.mutate(Some(clerk), "handOverResult", &q, input).await?;
                out.collected = Some(*c);
                if let Some(r) = rec.plan.case_rating {
                    out.requests += 1;
                    self.rate_case(rec, r).await?;
                    out.ratings.push(r.bad());
                }
                Ok(())
            }
        }
    }

    /// A case accepted at the window: an immediate matter (limit 0) is decided, issued and
    /// handed over within the visit (马上办).
    async fn accepted_at_window(&self, clerk: &str, mut rec: CaseRec, case: Value, out: &mut Served) -> Result<()> {
        let limit = case["limitDays"].as_i64().unwrap_or(0);
        rec.stage = Stage::InReview { decide_on: usize::MAX };
        let steps = case["steps"].as_array().cloned().unwrap_or_default();
        let id = rec.id.clone();
        let (centre, deny) = (rec.centre, rec.plan.deny);
        out.new_case = Some((rec, case));
        if limit > 0 {
            return Ok(());
        }
        let (last, n) = self.review(centre, &id, steps, deny).await?;
        out.requests += n;
        if !decided(&last) {
            return Ok(());
        }
        out.immediate = Some(last["state"] == "DENIED");
        // Issued and handed over at once: one document, in order.
        out.requests += 1;
        let ops = [
            ("issueResult", "CaseNoteInput", json!({ "case": id, "note": "当场办结" })),
            ("handOverResult", "HandOverInput", json!({ "case": id, "how": "COLLECTED", "note": "当场领取" })),
        ];
        for r in self.api.mutate_many(Some(clerk), &ops, "case { id } userErrors { field code message }").await? {
            r?;
        }
        out.collected_now = true;
        if let Some((rec, _)) = &out.new_case
            && let Some(r) = rec.plan.case_rating
        {
            out.requests += 1;
            self.rate_case(rec, r).await?;
            out.ratings.push(r.bad());
        }
        Ok(())
    }

    /// Takes in what a served visit did.
    fn apply_served(&mut self, day: usize, s: Served) {
        self.requests += s.requests;
        for f in s.failures {
            self.fail(f);
        }
        for bad in &s.ratings {
            self.counts[0].ratings += 1;
            self.counts[0].bad_ratings += u64::from(*bad);
        }
        if let Some((mut rec, case)) = s.new_case {
            let centre = rec.centre;
            let c = &mut self.counts[centre];
            c.received += 1;
            c.bundles += u64::from(rec.plan.bundle.is_some());
            match rec.stage {
                Stage::Done => c.refused += 1,
                Stage::AwaitingSupplements => c.supplements += 1,
                Stage::InReview { .. } => {
                    c.accepted += 1;
                    let limit = case["limitDays"].as_i64().unwrap_or(0);
                    rec.stage = Stage::InReview { decide_on: Self::decide_on(day, limit, &rec.plan) };
                    if let Some(denied) = s.immediate {
                        c.completed += 1;
                        c.denied += u64::from(denied);
                        rec.stage = Stage::Issued;
                        if s.collected_now {
                            c.collected += 1;
                            rec.stage = Stage::Done;
                        }
                    }
                }
                Stage::Submitted | Stage::Issued => {}
            }
            let i = self.cases.len();
            if rec.stage == Stage::AwaitingSupplements {
                self.returns.entry(day + rec.plan.return_after).or_default().push(Visit::Supplement(i));
            }
            self.case_index.insert(rec.id.clone(), i);
            self.cases.push(rec);
        }
        if let Some((i, case)) = s.accepted {
            let limit = case["limitDays"].as_i64().unwrap_or(0);
            let rec = &mut self.cases[i];
            rec.stage = Stage::InReview { decide_on: Self::decide_on(day, limit, &rec.plan) };
            self.counts[rec.centre].accepted += 1;
        }
        if let Some(i) = s.collected {
            self.cases[i].stage = Stage::Done;
            self.counts[self.cases[i].centre].collected += 1;
        }
    }

    /// The evening: online applications accepted, worklists read, ripe cases decided, results
    /// issued and delivered or awaited at the window. Each desk and back office acts on its
    /// whole list with documents of several mutations, as a client working through a list
    /// would; citizens rate one by one.
    async fn back_office(&mut self, day: usize) -> Result<()> {
        // Online applications of the day: accepted after the portal's pre-review, by each
        // centre's desk.
        let online: Vec<usize> = (0..self.cases.len()).filter(|&i| self.cases[i].stage == Stage::Submitted).collect();
        let ops: Vec<(usize, usize, &str, &str, Value)> = online
            .iter()
            .map(|&i| {
                (
                    i,
                    self.d.clerks[self.cases[i].centre][0],
                    "acceptCase",
                    "CaseRefInput",
                    json!({ "case": self.cases[i].id }),
                )
            })
            .collect();
        for (i, r) in self.run_documents(ops, "case { limitDays } userErrors { field code message }").await {
            match r {
                Ok(p) => {
                    let limit = p["case"]["limitDays"].as_i64().unwrap_or(0);
                    let rec = &mut self.cases[i];
                    rec.stage = Stage::InReview { decide_on: Self::decide_on(day, limit, &rec.plan) };
                    self.counts[rec.centre].accepted += 1;
                }
                Err(e) => {
                    self.cases[i].stage = Stage::Done;
                    self.fail(format!("acceptCase: {e:#}"));
                }
            }
        }
        // Each back office reads its worklist.
        let mut deciders: Vec<usize> = self.d.deciders.values().copied().collect();
        deciders.sort_unstable();
        deciders.dedup();
        let reads = deciders.iter().map(|&p| self.api.all(self.tokens.of(p), WORKLIST, json!({}), &["worklist"]));
        let lists = futures_util::future::join_all(reads).await;
        let mut open: BTreeMap<usize, Vec<Value>> = BTreeMap::new();
        let mut seen = HashSet::new();
        for l in lists {
            self.requests += 1;
            let items = match l {
                Ok(items) => items,
                Err(e) => {
                    self.fail(format!("worklist: {e:#}"));
                    continue;
                }
            };
            for mut item in items {
                let Some(&i) = item["case"]["id"].as_str().and_then(|c| self.case_index.get(c)) else { continue };
                let ripe = matches!(self.cases[i].stage, Stage::InReview { decide_on } if decide_on <= day);
                if ripe && seen.insert((i, item["step"]["number"].as_i64())) {
                    open.entry(i).or_default().push(item["step"].take());
                }
            }
        }
        // The ripe cases are decided in rounds: each back office decides the next open step of
        // each of its cases in one go; a step opened by a decision waits for the next round.
        let mut issuing = Vec::new();
        for _ in 0..MAX_ROUNDS {
            let mut ops = Vec::new();
            for (&i, steps) in &open {
                let c = &self.cases[i];
                if let Some((number, person)) = self.next_decision(c.centre, steps) {
                    ops.push((i, person, "decideStep", "DecideStepInput", decision_input(&c.id, number, c.plan.deny)));
                }
            }
            if ops.is_empty() {
                break;
            }
            let mut next = BTreeMap::new();
            for (i, r) in self.run_documents(ops, DECIDED_FIELDS).await {
                match r {
                    Ok(mut p) => {
                        let case = p["case"].take();
                        if decided(&case) {
                            let rec = &mut self.cases[i];
                            rec.stage = Stage::Issued;
                            self.counts[rec.centre].completed += 1;
                            self.counts[rec.centre].denied += u64::from(case["state"] == "DENIED");
                            issuing.push(i);
                        } else {
                            next.insert(i, case["steps"].as_array().cloned().unwrap_or_default());
                        }
                    }
                    Err(e) => self.fail(format!("decideStep: {e:#}")),
                }
            }
            open = next;
        }
        // Results issued by each centre's desk; delivered by express (the issue and the
        // hand-over in order, in one document), or collected at a window on a later day.
        let mut ops = Vec::new();
        for &i in &issuing {
            let c = &self.cases[i];
            let desk = self.d.clerks[c.centre][0];
            ops.push((i, desk, "issueResult", "CaseNoteInput", json!({ "case": c.id, "note": "审批完成" })));
            if c.plan.deliver {
                let input = json!({ "case": c.id, "how": "DELIVERED", "note": "EMS 1187" });
                ops.push((i, desk, "handOverResult", "HandOverInput", input));
            }
        }
        let mut failed = HashSet::new();
        for (i, r) in self.run_documents(ops, "case { id } userErrors { field code message }").await {
            if let Err(e) = r
                && failed.insert(i)
            {
                self.fail(format!("issuing a result: {e:#}"));
            }
        }
        let mut ratings = Vec::new();
        for i in issuing.into_iter().filter(|i| !failed.contains(i)) {
            let c = &mut self.cases[i];
            if c.plan.deliver {
                c.stage = Stage::Done;
                self.counts[c.centre].delivered += 1;
                if let Some(r) = c.plan.case_rating {
                    ratings.push((i, r));
                }
            } else {
                let back = day + c.plan.return_after;
                self.returns.entry(back).or_default().push(Visit::Collect(i));
            }
        }
        // The citizens whose results were delivered rate them by SMS.
        let this = &*self;
        let rates = ratings.iter().map(|&(i, r)| this.rate_case(&this.cases[i], r));
        let rated = futures_util::future::join_all(rates).await;
        for ((_, r), done) in ratings.into_iter().zip(rated) {
            self.requests += 1;
            match done {
                Ok(()) => {
                    self.counts[0].ratings += 1;
                    self.counts[0].bad_ratings += u64::from(r.bad());
                }
                Err(e) => self.fail(format!("rate (case): {e:#}")),
            }
        }
        Ok(())
    }

    /// Runs mutations `(case, person, field, input type, input)`, each person's in documents
    /// of about [`PER_DOCUMENT`] (a case's mutations together, in order), all persons at
    /// once; answers each with its case.
    async fn run_documents(
        &mut self,
        ops: Vec<(usize, usize, &str, &str, Value)>,
        selection: &str,
    ) -> Vec<(usize, Result<Value>)> {
        let mut by_person: BTreeMap<usize, Vec<Queued<'_>>> = BTreeMap::new();
        for (i, person, field, ty, input) in ops {
            by_person.entry(person).or_default().push((i, field, ty, input));
        }
        // A case's mutations stay in one document, so that they run in order.
        let mut docs: Vec<(usize, Vec<Queued<'_>>)> = Vec::new();
        for (person, list) in by_person {
            let mut doc: Vec<Queued<'_>> = Vec::new();
            for op in list {
                if doc.len() >= PER_DOCUMENT && doc.last().is_some_and(|last| last.0 != op.0) {
                    docs.push((person, std::mem::take(&mut doc)));
                }
                doc.push(op);
            }
            if !doc.is_empty() {
                docs.push((person, doc));
            }
        }
        let api = &self.api;
        let tokens = &self.tokens;
        let sent = docs.iter().map(|(person, list)| async move {
            let ops: Vec<(&str, &str, Value)> = list.iter().map(|(_, f, t, v)| (*f, *t, v.clone())).collect();
            api.mutate_many(Some(tokens.of(*person)), &ops, selection).await
        });
        let answers = futures_util::future::join_all(sent).await;
        self.requests += docs.len() as u64;
        let mut out = Vec::new();
        for ((_, list), answer) in docs.into_iter().zip(answers) {
            match answer {
                Ok(results) => out.extend(list.iter().map(|(i, ..)| *i).zip(results)),
                Err(e) => {
                    let message = format!("{e:#}");
                    out.extend(list.iter().map(|(i, ..)| (*i, Err(anyhow::anyhow!("{message}")))));
                }
            }
        }
        out
    }
}

/// The figures of the simulated period from the API.
async fn read_figures(sim: &Sim<'_>) -> Result<(Vec<Figures>, Vec<ZoneWait>)> {
    let d = sim.d;
    let (from, to) = (d.days[0].to_string(), d.days[d.days.len() - 1].to_string());
    let mut figures = Vec::new();
    for (c, code) in d.centres.iter().enumerate() {
        let token = sim.tokens.of(d.supervisors[c]);
        let data = sim.api.query(Some(token), STATISTICS, json!({ "c": code, "from": from, "to": to })).await?;
        let row = data["statistics"].get(0).with_context(|| format!("no statistics for {code}: {data}"))?;
        figures.push(Figures::from_row(row));
    }
    let token = sim.tokens.of(d.supervisors[0]);
    let data = sim.api.query(Some(token), HALL_STATISTICS, json!({ "h": d.hall, "from": from, "to": to })).await?;
    let waits = data["hallStatistics"]["byZone"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|z| ZoneWait {
            zone: text(&z["key"]),
            tickets: z["tickets"].as_u64().unwrap_or(0),
            average_wait_minutes: z["averageWaitSeconds"].as_f64().map(|s| s / 60.0),
        })
        .collect();
    Ok((figures, waits))
}

/// Runs a simulation: starts a server over a fresh database, loads the example, simulates the
/// working days through the API and returns the table.
pub async fn run(opts: &Options) -> Result<Report> {
    opts.check().map_err(anyhow::Error::msg)?;
    let (url, temp) = match &opts.database {
        Some(u) => (u.clone(), None),
        None => {
            let path = std::env::temp_dir().join(format!("onedoor-simulate-{}.db", uuid::Uuid::now_v7().simple()));
            (format!("sqlite://{}?mode=rwc", path.display()), Some(path))
        }
    };
    let result = run_on(&url, opts).await;
    if let Some(path) = temp {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
    result
}

async fn run_on(url: &str, opts: &Options) -> Result<Report> {
    let started = std::time::Instant::now();
    let clock = Arc::new(onedoor::ManualClock::new(at(opts.start, 0, 0)));
    let od = onedoor::Onedoor::open(url).await.context("opening the simulation's database")?.with_clock(clock.clone());
    if od.centre_by_code("pingliang").await?.is_some() {
        bail!(
            "the database already holds the example: the simulator needs an empty one, so that the API's figures are of this run only"
        );
    }
    let deployment = onedoor::import::Deployment::from_files(onedoor_tenants_example::PINGLIANG)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    onedoor::import::import(&od, &deployment, &mut |_| {}).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let keys = KeyPair::generate()?;
    let settings = AuthSettings::default();
    let signer = Signer::from_pem(&keys.private_pem, settings.clone())?;
    let verifier = Verifier::from_pem(&keys.public_pem, settings)?;
    let app = crate::app(od.clone(), verifier, &Limits::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        // Serves until the simulation ends and aborts it.
        let _ = axum::serve(listener, app).await;
    });
    let api = Api {
        http: reqwest::Client::builder().pool_max_idle_per_host(opts.concurrency).build()?,
        url: format!("http://{addr}/graphql").into(),
        gate: Arc::new(tokio::sync::Semaphore::new(opts.concurrency)),
    };
    let result = simulate(&api, &signer, &clock, opts, started).await;
    server.abort();
    result
}

async fn simulate(
    api: &Api,
    signer: &Signer,
    clock: &onedoor::ManualClock,
    opts: &Options,
    started: std::time::Instant,
) -> Result<Report> {
    let d = read_deployment(api, signer, opts).await?;
    if d.zones.iter().all(|z| z.matters.is_empty()) {
        bail!("no window of the hall serves a matter");
    }
    let setup = started.elapsed();
    let t0 = std::time::Instant::now();
    let mut sim = Sim {
        api: api.clone(),
        d: &d,
        tokens: Tokens::mint(signer, &d)?,
        rng: Rng(opts.seed),
        scale: opts.scale,
        cases: Vec::new(),
        case_index: HashMap::new(),
        returns: BTreeMap::new(),
        counts: vec![Counts::default(); d.centres.len()],
        pending: HashMap::new(),
        failures: Vec::new(),
        failed: 0,
        requests: 0,
    };
    for day in 0..d.days.len() {
        // Fresh tokens each day: a long simulation outlives a token's lifetime.
        sim.tokens = Tokens::mint(signer, &d)?;
        let t = std::time::Instant::now();
        let before = (sim.own_total(), sim.requests);
        let hall = sim.day(day, clock).await?;
        if opts.progress {
            let now = sim.own_total();
            eprintln!(
                "{} day {:>3}: {:>6} visitors {:>6} cases {:>6} completed {:>7} requests in {:>6.2} s (hall {:.2} s)",
                d.days[day],
                day + 1,
                now.visitors - before.0.visitors,
                now.received - before.0.received,
                now.completed - before.0.completed,
                sim.requests - before.1,
                t.elapsed().as_secs_f64(),
                hall.as_secs_f64()
            );
        }
    }
    let (api_figures, waits) = read_figures(&sim).await?;
    sim.requests += 3;
    Ok(Report {
        days: d.days.clone(),
        centres: d.centres.clone(),
        own: sim.counts.clone(),
        api: api_figures,
        waits,
        failures: sim.failures.clone(),
        failed: sim.failed,
        requests: sim.requests,
        wall: t0.elapsed(),
        setup,
    })
}

impl Sim<'_> {
    fn own_total(&self) -> Counts {
        let mut t = Counts::default();
        self.counts.iter().for_each(|c| t.add(c));
        t
    }
}
