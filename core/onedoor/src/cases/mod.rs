//! Use cases of cases: submission and acceptance at a window (also for another centre of the
//! region, 同城通办), supplements, the workflow's decisions, the clock, completion; worklists
//! and deadline lists; the working-day calendar and workflow definitions.
//!
//! **Architecture Invariant**: a case belongs to the centre of its matters and is written only
//! there. The one write that crosses centres is acceptance (and the window's later steps: a
//! supplement, the hand-over) by a centre of the same region for a matter whose guide allows it
//! (`CITY_WIDE` or `CROSS_REGION`); the case records where it was received, and the receiving
//! centre may read it. Every transition goes through the group-commit writer
//! ([`committer`]), which checks the case's version in its UPDATE.

pub(crate) mod committer;

use crate::rules::{Decided, DecisionRecord, RuleFailure, Rules};
use crate::{Error, Onedoor, Result, new_id, require};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use committer::{Job, NumberRequest, Transition};
use onedoor_domain::calendar::{Calendar, CalendarDay, PauseReason, validate_days};
use onedoor_domain::case::{
    Actor, Applicant, Case, CaseError, CaseMatterAt, CaseState, Channel, Command, Decision, Handover, IdNumber,
    NewCase, Proxy, ProxyKind, Reception,
};
use onedoor_domain::catalogue::{CrossCentreScope, MatterStatus};
use onedoor_domain::error::{DomainError, ErrorCode};
use onedoor_domain::organisation::{Centre, UnitKind};
use onedoor_domain::rules::{
    ApplicantKind, BranchInput, CaseMatter, Investment, InvolvedUnit, ParallelApprovalRule, Plan, PlanInput, RuleError,
    Verdict,
};
use onedoor_domain::values::{Fen, Name, parse_text};
use onedoor_domain::workflow::WorkflowDef;
use onedoor_domain::{BundleId, Caller, CaseId, CentreId, MatterId, Role, Scope, StaffId, UnitId, WindowId};
use onedoor_store::{CaseEvent, EventDraft, Page, Provenance, Slice, WorkItem};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// How long cached calendars, units and staff units are trusted (edits in this process
/// refresh them at once).
const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// How often a transition computed on stale state is retried from a fresh read.
const RETRIES: usize = 3;

/// The time the platform runs on: the system clock, or a controllable one for tests and the
/// day simulator.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(std::sync::Mutex::new(at))
    }

    /// Sets the time.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }

    /// Moves the time on.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|t| *t).unwrap_or_else(|_| Utc::now())
    }
}

/// The centres' local time: China Standard Time (UTC+8), where every working day is counted.
const LOCAL_OFFSET_HOURS: i64 = 8;

/// A live change to a case (for subscriptions).
#[derive(Debug, Clone)]
pub struct CaseUpdate {
    /// The owning centre.
    pub centre: CentreId,
    /// The centre that received it.
    pub reception: CentreId,
    /// The case.
    pub case: CaseId,
    /// Its number.
    pub number: String,
    /// Its state now.
    pub state: CaseState,
    /// Its version now.
    pub version: u32,
}

/// The applicant as typed at the window.
#[derive(Debug, Clone)]
pub struct ApplicantDraft {
    /// Person or enterprise.
    pub kind: ApplicantKind,
    /// Name.
    pub name: String,
    /// Identity number.
    pub id_number: String,
    /// Contact phone.
    pub phone: String,
}

/// A proxy as typed at the window.
#[derive(Debug, Clone)]
pub struct ProxyDraft {
    /// Guide or agency.
    pub kind: ProxyKind,
    /// The guide (staff of the receiving centre), for guide service.
    pub staff: Option<StaffId>,
    /// The agency (an intermediary unit of the receiving centre), for agency service.
    pub agency: Option<UnitId>,
    /// The person acting.
    pub name: String,
    /// The authorisation they hold.
    pub authorisation: String,
}

/// An application: what a window (or the portal) hands in.
#[derive(Debug, Clone)]
pub struct Application {
    /// The matters (all of one centre), unless a bundle is given.
    pub matters: Vec<(CentreId, MatterId)>,
    /// A bundle applied for as one.
    pub bundle: Option<(CentreId, BundleId)>,
    /// How it came in.
    pub channel: Channel,
    /// Who applies.
    pub applicant: ApplicantDraft,
    /// Who acts for them.
    pub proxy: Option<ProxyDraft>,
    /// The window (of a hall the caller's centre shares), for window cases.
    pub window: Option<(CentreId, WindowId)>,
    /// Names of the materials handed in.
    pub materials: Vec<String>,
    /// The investment project: amount in fen and whether it is a key project.
    pub investment: Option<(i64, bool)>,
    /// The queue ticket it was served from.
    pub ticket: Option<uuid::Uuid>,
}

/// What staff can do to a case.
#[derive(Debug, Clone)]
pub enum CaseAction {
    /// Accept a submitted case.
    Accept,
    /// Refuse it, with a reason.
    Refuse(String),
    /// Ask for supplements (the full list, once).
    RequestSupplements(Vec<String>),
    /// The supplements arrived.
    ReceiveSupplements(Vec<String>),
    /// Decide a step.
    Decide {
        /// The step's id.
        step: u32,
        /// The decision.
        decision: Decision,
        /// The reason or comment.
        comment: String,
    },
    /// Stop the clock.
    Suspend(PauseReason, String),
    /// Restart it.
    Resume,
    /// Extend the limit.
    Extend(u16, String),
    /// Issue the result.
    IssueResult(String),
    /// Hand the result over.
    HandOver(Handover, String),
    /// The applicant withdraws.
    Withdraw(String),
}

impl CaseAction {
    /// Whether the action belongs to the window that received the case (it may be of another
    /// centre than the owner's).
    fn at_window(&self) -> bool {
        matches!(
            self,
            CaseAction::Accept
                | CaseAction::Refuse(_)
                | CaseAction::RequestSupplements(_)
                | CaseAction::ReceiveSupplements(_)
                | CaseAction::HandOver(..)
                | CaseAction::Withdraw(_)
        )
    }

    /// The roles allowed to take the action (any of them).
    fn roles(&self) -> &'static [Role] {
        match self {
            CaseAction::Accept
            | CaseAction::Refuse(_)
            | CaseAction::RequestSupplements(_)
            | CaseAction::ReceiveSupplements(_)
            | CaseAction::HandOver(..)
            | CaseAction::Withdraw(_) => &[Role::WindowClerk],
            CaseAction::Decide { .. } => &[Role::Approver, Role::UnitLead, Role::WindowClerk],
            CaseAction::Suspend(..) | CaseAction::Resume => &[Role::Approver, Role::UnitLead],
            CaseAction::Extend(..) => &[Role::UnitLead],
            CaseAction::IssueResult(_) => &[Role::Approver, Role::UnitLead, Role::WindowClerk],
        }
    }
}

/// Every centre, shared.
type CentreList = Arc<Vec<Centre>>;

/// A centre's units, as rules see them.
type UnitMap = Arc<HashMap<UnitId, InvolvedUnit>>;

/// The platform's caches for cases: calendars, units and staff units, by centre or id.
#[derive(Debug, Default)]
pub(crate) struct CaseCaches {
    calendars: std::sync::Mutex<HashMap<CentreId, (Arc<Calendar>, Instant)>>,
    units: std::sync::Mutex<HashMap<CentreId, (UnitMap, Instant)>>,
    staff_units: std::sync::Mutex<HashMap<StaffId, (Option<UnitId>, Instant)>>,
    centres: std::sync::Mutex<HashMap<(), (CentreList, Instant)>>,
}

impl CaseCaches {
    /// Drops the cached centre list and calendars (a centre was created or moved).
    pub(crate) fn forget_centres(&self) {
        if let Ok(mut m) = self.centres.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.calendars.lock() {
            m.clear();
        }
    }
}

fn cached<K: std::hash::Hash + Eq, V: Clone>(m: &std::sync::Mutex<HashMap<K, (V, Instant)>>, k: &K) -> Option<V> {
    let guard = m.lock().ok()?;
    guard.get(k).filter(|(_, at)| at.elapsed() < CACHE_TTL).map(|(v, _)| v.clone())
}

fn remember<K: std::hash::Hash + Eq, V>(m: &std::sync::Mutex<HashMap<K, (V, Instant)>>, k: K, v: V) {
    if let Ok(mut guard) = m.lock() {
        guard.insert(k, (v, Instant::now()));
    }
}

fn case_error(e: CaseError) -> Error {
    match e {
        CaseError::Invalid(v) => Error::Invalid(v),
        CaseError::Rule(r) => {
            let code = match &r {
                RuleError::NotProvided => "RULE_NOT_PROVIDED",
                RuleError::InvalidInput(_) => "RULE_INVALID_INPUT",
                RuleError::MalformedOutput(_) => "MALFORMED_OUTPUT",
                RuleError::Engine { .. } => "RULE_ENGINE_FAILED",
                _ => "RULE_FAILED",
            };
            Error::Refused { field: String::new(), code, message: r.to_string() }
        }
    }
}

/// The centre's parallel-approval rule as the engine calls it: it keeps the records of a
/// plugin's decisions (to store once the transition is committed) and a failure (to report with
/// an alert).
struct Recording {
    rules: Rules,
    name: String,
    records: std::sync::Mutex<Vec<DecisionRecord>>,
    failure: std::sync::Mutex<Option<RuleFailure>>,
}

impl Recording {
    fn new(rules: Rules) -> Arc<Recording> {
        Arc::new(Recording {
            name: rules.rule().to_string(),
            rules,
            records: std::sync::Mutex::default(),
            failure: std::sync::Mutex::default(),
        })
    }

    /// Forgets what an earlier run of the same transition recorded.
    fn reset(&self) {
        if let Ok(mut r) = self.records.lock() {
            r.clear();
        }
        if let Ok(mut f) = self.failure.lock() {
            *f = None;
        }
    }

    fn keep<T>(&self, r: std::result::Result<Decided<T>, RuleFailure>) -> std::result::Result<T, RuleError> {
        match r {
            Ok(d) => {
                if let (Some(record), Ok(mut records)) = (d.record, self.records.lock()) {
                    records.push(record);
                }
                Ok(d.value)
            }
            Err(f) => {
                let e = RuleError::Engine { code: f.code.to_owned(), message: f.message.clone() };
                if let Ok(mut slot) = self.failure.lock() {
                    *slot = Some(f);
                }
                Err(e)
            }
        }
    }

    /// After the writer answered: stores the decisions of a committed transition, or reports
    /// the rule's failure (an alert) as the error to show.
    async fn settle(&self, od: &Onedoor, centre: CentreId, r: Result<Arc<Case>>) -> Result<Arc<Case>> {
        match r {
            Ok(case) => {
                let records = self.records.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default();
                for record in &records {
                    if let Err(e) = od.record_decision(centre, record, Some(&case.number)).await {
                        tracing::error!(error = %e, case = %case.number, "a rule decision could not be recorded");
                    }
                }
                Ok(case)
            }
            Err(e) => {
                let failure = self.failure.lock().ok().and_then(|mut f| f.take());
                match failure {
                    Some(f) => Err(od.rule_failed(centre, &f, None).await),
                    None => Err(e),
                }
            }
        }
    }
}

impl ParallelApprovalRule for Recording {
    fn plan(&self, input: &PlanInput) -> std::result::Result<Plan, RuleError> {
        self.keep(self.rules.plan(input))
    }

    fn on_branch_decided(&self, input: &BranchInput) -> std::result::Result<Verdict, RuleError> {
        self.keep(self.rules.on_branch_decided(input))
    }
}

fn parse_applicant(a: &ApplicantDraft) -> std::result::Result<Applicant, Vec<DomainError>> {
    let mut errors = Vec::new();
    let name = Name::parse(&a.name).map_err(|e| errors.push(e.under("applicant.name"))).ok();
    let id_number = IdNumber::parse(&a.id_number).map_err(|e| errors.push(e.under("applicant.idNumber"))).ok();
    let phone = parse_text(&a.phone, 40, false).map_err(|e| errors.push(e.under("applicant.phone"))).ok();
    match (name, id_number, phone) {
        (Some(name), Some(id_number), Some(phone)) if errors.is_empty() => {
            Ok(Applicant { kind: a.kind, name, id_number, phone })
        }
        _ => Err(errors),
    }
}

impl Onedoor {
    /// Now, by the platform's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today in the centres' local time.
    pub fn today(&self) -> NaiveDate {
        (self.clock.now() + Duration::hours(LOCAL_OFFSET_HOURS)).date_naive()
    }

    /// Live case changes (for subscriptions).
    pub fn subscribe_cases(&self) -> tokio::sync::broadcast::Receiver<CaseUpdate> {
        self.case_updates.subscribe()
    }

    /// Every centre, cached like the directory.
    pub(crate) async fn centre_list(&self) -> Result<Arc<Vec<Centre>>> {
        if let Some(c) = cached(&self.case_caches.centres, &()) {
            return Ok(c);
        }
        let all = Arc::new(self.store.centres().await?);
        remember(&self.case_caches.centres, (), all.clone());
        Ok(all)
    }

    /// The calendar that counts `centre`'s working days: its own declared days over its
    /// ancestors'.
    pub async fn calendar(&self, centre: CentreId) -> Result<Arc<Calendar>> {
        if let Some(c) = cached(&self.case_caches.calendars, &centre) {
            return Ok(c);
        }
        let all = self.centre_list().await?;
        let mut chain = vec![centre];
        let mut at = centre;
        while let Some(parent) = all.iter().find(|c| c.id == at).and_then(|c| c.parent) {
            if chain.contains(&parent) {
                break;
            }
            chain.push(parent);
            at = parent;
        }
        chain.reverse();
        let cal = Arc::new(self.store.calendar(&chain).await?);
        remember(&self.case_caches.calendars, centre, cal.clone());
        Ok(cal)
    }

    /// The days `centre` itself declared in `year` (public).
    pub async fn calendar_days(&self, centre: CentreId, year: i32) -> Result<Vec<CalendarDay>> {
        if !(1900..=2200).contains(&year) {
            return Err(DomainError::new("year", ErrorCode::OutOfRange, "a year between 1900 and 2200").into());
        }
        Ok(self.store.calendar_days(centre, year).await?)
    }

    /// Declares holidays and make-up working days of the caller's centre, and clears dates back
    /// to the weekday rule (admin).
    pub async fn set_calendar_days(&self, caller: &Caller, days: &[CalendarDay], clear: &[NaiveDate]) -> Result<()> {
        let scope = require(caller, Role::Admin)?;
        validate_days(days)?;
        if days.len() + clear.len() > 2000 {
            return Err(DomainError::new("days", ErrorCode::OutOfRange, "at most 2000 dates at once").into());
        }
        if let Some(i) = clear.iter().position(|c| days.iter().any(|d| d.date == *c)) {
            return Err(DomainError::new(
                format!("clear.{i}"),
                ErrorCode::Duplicate,
                "a date is both declared and cleared",
            )
            .into());
        }
        self.store.set_calendar_days(scope, days, clear).await?;
        // Children count on this centre's days too.
        if let Ok(mut m) = self.case_caches.calendars.lock() {
            m.clear();
        }
        Ok(())
    }

    /// The workflow a matter follows now, and its version (0: the built-in single review).
    pub async fn workflow(&self, caller: &Caller, centre: CentreId, matter: MatterId) -> Result<(WorkflowDef, u32)> {
        let m = self.store.matter(caller, centre, matter).await?.ok_or_else(|| Error::not_found("matter", "matter"))?;
        Ok(self
            .store
            .workflow(centre, matter)
            .await?
            .unwrap_or_else(|| (WorkflowDef::single_review(m.guide.limits.promised().get()), 0)))
    }

    /// Stores a new version of a matter's workflow (admin), validated against the matter's
    /// promised limit and the centre's units; cases keep the version they were accepted under.
    pub async fn set_workflow(
        &self,
        caller: &Caller,
        matter: MatterId,
        def: WorkflowDef,
        note: String,
    ) -> Result<(WorkflowDef, u32)> {
        let scope = require(caller, Role::Admin)?;
        let m = self
            .store
            .matter(caller, scope.centre, matter)
            .await?
            .ok_or_else(|| Error::not_found("matter", "matter"))?;
        let units = self.units_of(scope.centre).await?;
        def.validate(m.guide.limits.promised().get(), |u| units.contains_key(&u))?;
        let note = parse_text(&note, 2000, false).map_err(|e| e.under("note"))?;
        let by = Provenance { actor: Some(scope.staff), note, at: self.now() };
        let version = self.store.add_workflow(scope, matter, &def, &by).await?;
        Ok((def, version))
    }

    async fn units_of(&self, centre: CentreId) -> Result<Arc<HashMap<UnitId, InvolvedUnit>>> {
        if let Some(u) = cached(&self.case_caches.units, &centre) {
            return Ok(u);
        }
        let units = self.store.units(centre, &Page { after: None, limit: 100_000 }).await?;
        let map: HashMap<UnitId, InvolvedUnit> = units
            .items
            .into_iter()
            .map(|u| (u.id, InvolvedUnit { id: u.id, code: u.code, name: u.name, kind: u.kind }))
            .collect();
        let map = Arc::new(map);
        remember(&self.case_caches.units, centre, map.clone());
        Ok(map)
    }

    pub(crate) async fn staff_unit(&self, caller: &Caller, scope: &Scope) -> Result<Option<UnitId>> {
        if let Some(u) = cached(&self.case_caches.staff_units, &scope.staff) {
            return Ok(u);
        }
        let unit = self.store.staff(caller, scope.centre, scope.staff).await?.and_then(|s| s.unit);
        remember(&self.case_caches.staff_units, scope.staff, unit);
        Ok(unit)
    }

    /// Hands a transition to the group-commit writer and waits for its commit.
    async fn commit(
        &self,
        base: Option<Arc<Case>>,
        number: Option<NumberRequest>,
        run: Transition,
        calendar: Arc<Calendar>,
    ) -> Result<Arc<Case>> {
        let writer = || committer::Committer::new(self.store.clone(), self.case_cache.clone());
        let case = self
            .committer
            .submit(writer, |reply| Job { base, number, run, calendar, reply })
            .await
            .ok_or_else(|| Error::Conflict("the case writer stopped".into()))??;
        let _ = self.case_updates.send(CaseUpdate {
            centre: case.centre,
            reception: case.reception.centre,
            case: case.id,
            number: case.number.clone(),
            state: case.state,
            version: case.version,
        });
        Ok(case)
    }

    /// Receives an application: a case with its number, `SUBMITTED`, or — `accept` — accepted
    /// at once (the materials complete; the clock starts and the workflow opens).
    pub async fn submit_case(&self, caller: &Caller, app: Application, accept: bool) -> Result<Arc<Case>> {
        let scope = match caller.scope() {
            Some(s) if s.has(Role::WindowClerk) || (s.has(Role::Guide) && !accept) => s.clone(),
            Some(_) => return Err(Error::Forbidden(Role::WindowClerk)),
            None => return Err(Error::Unauthenticated),
        };
        let mut errors = Vec::new();
        let applicant = parse_applicant(&app.applicant).map_err(|e| errors.extend(e)).ok();
        let materials: Vec<String> = app
            .materials
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                parse_text(m, 200, true).map_err(|e| errors.push(e.under(&format!("materials.{i}")))).ok()
            })
            .collect();
        let investment = match app.investment {
            Some((amount, key_project)) => match Fen::parse(amount) {
                Ok(amount) => Some(Investment { amount, key_project }),
                Err(e) => {
                    errors.push(e.under("investment.amount"));
                    None
                }
            },
            None => None,
        };
        // The matters: one bundle's, or the listed ones, all of one centre.
        let (owner, matter_ids, bundle) = match (&app.bundle, app.matters.as_slice()) {
            (Some((c, b)), []) => {
                let bundle =
                    self.store.bundle(caller, *c, *b).await?.ok_or_else(|| Error::not_found("bundle", "bundle"))?;
                (*c, bundle.matters.clone(), Some(*b))
            }
            (None, [first, ..]) => {
                if let Some(i) = app.matters.iter().position(|(c, _)| *c != first.0) {
                    errors.push(DomainError::new(
                        format!("matters.{i}"),
                        ErrorCode::InvalidReference,
                        "all matters of a case belong to one centre",
                    ));
                }
                (first.0, app.matters.iter().map(|(_, m)| *m).collect(), None)
            }
            (Some(_), [_, ..]) => {
                return Err(DomainError::new(
                    "matters",
                    ErrorCode::InvalidReference,
                    "give a bundle or matters, not both",
                )
                .into());
            }
            (None, []) => return Err(DomainError::new("matters", ErrorCode::TooFew, "name at least one matter").into()),
        };
        if matter_ids.len() > 50 {
            return Err(DomainError::new("matters", ErrorCode::OutOfRange, "at most 50 matters").into());
        }
        let found = self.matters_by_ids(caller, owner, &matter_ids).await?;
        let mut matters = Vec::with_capacity(matter_ids.len());
        for (i, id) in matter_ids.iter().enumerate() {
            let field = if bundle.is_some() { "bundle".to_owned() } else { format!("matters.{i}") };
            let Some(m) = found.iter().find(|m| m.id == *id) else {
                return Err(Error::not_found(&field, "matter"));
            };
            if m.status != MatterStatus::Active {
                errors.push(DomainError::new(
                    &field,
                    ErrorCode::InvalidState,
                    format!("{} is {}", m.guide.name, m.status),
                ));
            }
            matters.push(m.clone());
        }
        // Where it is received: the caller's centre, at a window of a hall it shares.
        let window = match app.window {
            Some((hall_centre, w)) => {
                // The hall's organisation, as its queue caches it.
                let seat = self.seat(hall_centre, w).await?;
                let hall = self.hall_cached(hall_centre, seat.0.hall).await?;
                if !self.members_cached(&hall).await?.contains(&scope.centre) {
                    return Err(Error::not_found("window", "window"));
                }
                Some(w)
            }
            None if app.channel == Channel::Window => {
                errors.push(DomainError::new("window", ErrorCode::Required, "window cases name their window"));
                None
            }
            None => None,
        };
        // Cross-centre acceptance: only where the guide allows it.
        let centres = self.centre_list().await?;
        let region_of = |c: CentreId| centres.iter().find(|x| x.id == c).map(|x| x.region.to_string());
        if owner != scope.centre {
            for (i, m) in matters.iter().enumerate() {
                let allowed = match m.guide.cross_scope {
                    CrossCentreScope::OwnerOnly => false,
                    CrossCentreScope::CityWide => region_of(owner) == region_of(scope.centre),
                    CrossCentreScope::CrossRegion => true,
                };
                if !allowed {
                    errors.push(DomainError::new(
                        if bundle.is_some() { "bundle".to_owned() } else { format!("matters.{i}") },
                        ErrorCode::InvalidReference,
                        format!("{} is handled only at its own centre ({})", m.guide.name, m.guide.cross_scope),
                    ));
                }
            }
        }
        let proxy = match &app.proxy {
            Some(p) => match self.proxy(caller, &scope, p).await {
                Ok(p) => Some(p),
                Err(e) => {
                    errors.extend(e);
                    None
                }
            },
            None => None,
        };
        let Some(applicant) = applicant.filter(|_| errors.is_empty()) else { return Err(Error::Invalid(errors)) };
        // The workflow: a bundle's or several units' matters run in parallel; one matter
        // follows its definition.
        let (workflow, workflow_version) = if matters.len() == 1 {
            self.store
                .workflow(owner, matters[0].id)
                .await?
                .unwrap_or_else(|| (WorkflowDef::single_review(matters[0].guide.limits.promised().get()), 0))
        } else {
            let branches: Vec<(UnitId, String, u16)> = matters
                .iter()
                .map(|m| (m.guide.owner_unit, m.guide.name.to_string(), m.guide.limits.promised().get()))
                .collect();
            (WorkflowDef::parallel(&branches), 0)
        };
        let case_matters: Vec<CaseMatterAt> = matters
            .iter()
            .map(|m| CaseMatterAt {
                matter: CaseMatter {
                    id: m.id,
                    code: m.guide.code.clone(),
                    name: m.guide.name.clone(),
                    matter_type: m.guide.matter_type,
                    owner_unit: m.guide.owner_unit,
                    limits: m.guide.limits,
                },
                version: m.version,
                required_materials: m
                    .guide
                    .materials
                    .iter()
                    .filter(|x| x.required)
                    .map(|x| x.name.to_string())
                    .collect(),
                statutory: m.guide.limits.statutory().get(),
            })
            .collect();
        let owner_code = centres.iter().find(|c| c.id == owner).map(|c| c.code.to_string()).unwrap_or_default();
        let region_root = region_of(owner)
            .and_then(|r| centres.iter().find(|c| c.code.to_string() == r).map(|c| c.id))
            .unwrap_or(owner);
        let today = self.today();
        let number = NumberRequest {
            region: region_root,
            day: today,
            prefix: format!("{}-{}-", owner_code.to_uppercase(), today.format("%Y%m%d")),
        };
        let calendar = self.calendar(owner).await?;
        let units = self.units_of(owner).await?;
        let rule = Recording::new(self.rules(owner).await?);
        let recording = rule.clone();
        let draft = NewCase {
            id: CaseId(new_id()),
            centre: owner,
            number: String::new(),
            channel: app.channel,
            applicant,
            proxy,
            reception: Reception { centre: scope.centre, window, staff: scope.staff },
            matters: case_matters,
            bundle,
            investment,
            materials,
            workflow: (workflow, workflow_version),
            ticket: app.ticket,
            today,
        };
        let at = self.now();
        let cal = calendar.clone();
        let roles = roles_text(&scope);
        let acting = scope.centre;
        let staff = scope.staff;
        let run: Transition = Arc::new(move |_, number| {
            rule.reset();
            let mut new = draft.clone();
            new.number = number.unwrap_or_default().to_owned();
            let (case, mut changes) = Case::submit(new);
            let case = if accept {
                let lookup = |u: UnitId| units.get(&u).cloned();
                let ctx = onedoor_domain::case::Ctx {
                    today,
                    calendar: &cal,
                    rule: rule.as_ref(),
                    rule_name: &rule.name,
                    unit: &lookup,
                };
                let (mut accepted, more) = case.apply(&Command::Accept, &ctx).map_err(case_error)?;
                accepted.version = 1;
                changes.extend(more);
                accepted
            } else {
                case
            };
            let event = EventDraft {
                at,
                actor: Some(staff),
                roles: roles.clone(),
                acting_centre: acting,
                window,
                command: if accept { "SUBMIT_AND_ACCEPT" } else { "SUBMIT" },
                from: CaseState::Submitted,
                changes,
            };
            Ok((case, event))
        });
        let r = self.commit(None, Some(number), run, calendar).await;
        recording.settle(self, owner, r).await
    }

    async fn proxy(
        &self,
        caller: &Caller,
        scope: &Scope,
        p: &ProxyDraft,
    ) -> std::result::Result<Proxy, Vec<DomainError>> {
        let mut errors = Vec::new();
        let name = Name::parse(&p.name).map_err(|e| errors.push(e.under("proxy.name"))).ok();
        let authorisation =
            parse_text(&p.authorisation, 500, true).map_err(|e| errors.push(e.under("proxy.authorisation"))).ok();
        match p.kind {
            ProxyKind::Guide => {
                let guide = match p.staff {
                    Some(s) => self.store.staff(caller, scope.centre, s).await.ok().flatten(),
                    None => None,
                };
                if guide.is_none_or(|g| !g.active || !g.roles.has(Role::Guide)) {
                    errors.push(DomainError::new(
                        "proxy.staff",
                        ErrorCode::InvalidReference,
                        "guide service names an active guide of the receiving centre",
                    ));
                }
            }
            ProxyKind::Agency => {
                let agency = match p.agency {
                    Some(u) => self.store.unit(scope.centre, u).await.ok().flatten(),
                    None => None,
                };
                if agency.is_none_or(|a| a.kind != UnitKind::IntermediaryAgency) {
                    errors.push(DomainError::new(
                        "proxy.agency",
                        ErrorCode::InvalidReference,
                        "agency service names an intermediary agency of the receiving centre",
                    ));
                }
            }
        }
        match (name, authorisation) {
            (Some(name), Some(authorisation)) if errors.is_empty() => {
                Ok(Proxy { kind: p.kind, staff: p.staff, agency: p.agency, name, authorisation })
            }
            _ => Err(errors),
        }
    }

    /// Takes `action` on a case: checks the caller's role and centre, applies it through the
    /// engine and commits it. With `expected_version`, fails with a conflict when the case has
    /// moved on; without, a transition computed on stale state is retried on fresh state.
    pub async fn act_on_case(
        &self,
        caller: &Caller,
        centre: CentreId,
        id: CaseId,
        action: CaseAction,
        expected_version: Option<u32>,
    ) -> Result<Arc<Case>> {
        let Some(scope) = caller.scope() else { return Err(Error::Unauthenticated) };
        let roles = action.roles();
        if !roles.iter().any(|r| scope.has(*r)) {
            return Err(Error::Forbidden(roles[0]));
        }
        let mut attempt = 0;
        loop {
            let base = match self.case_cache.get(id).filter(|c| c.centre == centre) {
                Some(c) if attempt == 0 => c,
                _ => Arc::new(
                    self.store.case_unchecked(centre, id).await?.ok_or_else(|| Error::not_found("case", "case"))?,
                ),
            };
            let allowed = scope.centre == base.centre || (action.at_window() && scope.centre == base.reception.centre);
            if !allowed {
                return Err(if caller.can_read(base.centre) || scope.centre == base.reception.centre {
                    Error::Forbidden(roles[0])
                } else {
                    Error::not_found("case", "case")
                });
            }
            if let Some(v) = expected_version
                && v != base.version
            {
                return Err(Error::Conflict(format!("case {} (now at version {})", base.number, base.version)));
            }
            let actor = Actor { staff: scope.staff, unit: self.staff_unit(caller, scope).await?, roles: scope.roles };
            let command = match action.clone() {
                CaseAction::Accept => Command::Accept,
                CaseAction::Refuse(reason) => Command::Refuse { reason },
                CaseAction::RequestSupplements(missing) => Command::RequestSupplements { missing },
                CaseAction::ReceiveSupplements(materials) => Command::ReceiveSupplements { materials },
                CaseAction::Decide { step, decision, comment } => Command::Decide { step, decision, comment, actor },
                CaseAction::Suspend(reason, note) => Command::Suspend { reason, note },
                CaseAction::Resume => Command::Resume,
                CaseAction::Extend(days, reason) => Command::Extend { days, reason },
                CaseAction::IssueResult(note) => Command::IssueResult { note },
                CaseAction::HandOver(how, note) => Command::HandOver { how, note },
                CaseAction::Withdraw(reason) => Command::Withdraw { reason },
            };
            let calendar = self.calendar(base.centre).await?;
            let units = self.units_of(base.centre).await?;
            let rule = Recording::new(self.rules(base.centre).await?);
            let recording = rule.clone();
            let today = self.today();
            let at = self.now();
            let cal = calendar.clone();
            let roles_text = roles_text(scope);
            let acting = scope.centre;
            let window = if scope.centre == base.reception.centre { base.reception.window } else { None };
            let expected = expected_version;
            let run: Transition = Arc::new(move |current, _| {
                rule.reset();
                let current = current.ok_or_else(|| Error::not_found("case", "case"))?;
                if expected.is_some_and(|v| v != current.version) {
                    return Err(Error::Conflict(format!(
                        "case {} (now at version {})",
                        current.number, current.version
                    )));
                }
                let lookup = |u: UnitId| units.get(&u).cloned();
                let ctx = onedoor_domain::case::Ctx {
                    today,
                    calendar: &cal,
                    rule: rule.as_ref(),
                    rule_name: &rule.name,
                    unit: &lookup,
                };
                let (next, changes) = current.apply(&command, &ctx).map_err(case_error)?;
                let event = EventDraft {
                    at,
                    actor: Some(actor.staff),
                    roles: roles_text.clone(),
                    acting_centre: acting,
                    window,
                    command: command.name(),
                    from: current.state,
                    changes,
                };
                Ok((next, event))
            });
            let centre = base.centre;
            let r = self.commit(Some(base), None, run, calendar).await;
            match recording.settle(self, centre, r).await {
                Err(Error::Conflict(what)) if expected_version.is_none() && attempt + 1 < RETRIES && what == "case" => {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// A case, if the caller may see it.
    pub async fn case(&self, caller: &Caller, centre: CentreId, id: CaseId) -> Result<Option<Case>> {
        Ok(self.store.case(caller, centre, id).await?)
    }

    /// A case by number, if the caller (staff) may see it.
    pub async fn case_by_number(&self, caller: &Caller, number: &str) -> Result<Option<Case>> {
        let Some(c) = self.store.case_by_number_unchecked(number).await? else { return Ok(None) };
        let visible = caller.can_read(c.centre) || caller.scope().is_some_and(|s| s.centre == c.reception.centre);
        Ok(visible.then_some(c))
    }

    /// The public status lookup: a case by number and the last 4 to 6 characters of the
    /// applicant's identity number (anyone may ask; a wrong pair finds nothing).
    pub async fn case_status(&self, number: &str, id_tail: &str) -> Result<Option<Case>> {
        let Some(c) = self.store.case_by_number_unchecked(number).await? else { return Ok(None) };
        Ok(c.applicant.id_number.ends_with(id_tail).then_some(c))
    }

    /// A case's history, oldest first, if the caller may see the case.
    pub async fn case_history(&self, caller: &Caller, centre: CentreId, id: CaseId) -> Result<Vec<CaseEvent>> {
        if self.store.case(caller, centre, id).await?.is_none() {
            return Ok(Vec::new());
        }
        Ok(self.store.case_events(centre, id).await?)
    }

    /// Open steps in a unit's worklist, by due date. Without `unit`: the caller's own unit and
    /// the roles they hold. A case comes from the writer's cache when the cached one is at the
    /// version the list was read at (so never stale, whichever replica wrote it), else from the
    /// database.
    pub async fn worklist(
        &self,
        caller: &Caller,
        centre: CentreId,
        unit: Option<UnitId>,
        page: &Page,
    ) -> Result<Slice<WorkItem>> {
        let Some(scope) = caller.scope() else { return Err(Error::Unauthenticated) };
        let (unit, roles) = match unit {
            Some(u) => (u, None),
            None => match self.staff_unit(caller, scope).await? {
                Some(u) => (u, Some(scope.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>())),
                None => return Ok(Slice { items: Vec::new(), has_next: false }),
            },
        };
        let steps = self.store.worklist(caller, centre, unit, roles.as_deref(), page).await?;
        let mut cases: HashMap<CaseId, Arc<Case>> = HashMap::with_capacity(steps.items.len());
        let mut missing = Vec::new();
        for s in &steps.items {
            match self.case_cache.get(s.case).filter(|c| c.version == s.version && c.centre == centre) {
                Some(c) => {
                    cases.insert(s.case, c);
                }
                None => missing.push(s.case),
            }
        }
        missing.sort_unstable();
        missing.dedup();
        for c in self.store.cases_by_id(centre, &missing).await? {
            cases.insert(c.id, Arc::new(c));
        }
        let items = steps
            .items
            .iter()
            .filter_map(|s| cases.get(&s.case).map(|c| WorkItem { case: c.clone(), step: s.step, cursor: s.cursor() }))
            .collect();
        Ok(Slice { items, has_next: steps.has_next })
    }

    /// Cases in review due within `days` working days from today (0: due today or overdue),
    /// earliest first; `overdue_only` lists only those past their due date.
    pub async fn cases_due(
        &self,
        caller: &Caller,
        centre: CentreId,
        days: u16,
        overdue_only: bool,
        page: &Page,
    ) -> Result<Slice<Case>> {
        let today = self.today();
        let until = if overdue_only {
            today - Duration::days(1)
        } else {
            self.calendar(centre).await?.add_working_days(today, u32::from(days))
        };
        Ok(self.store.cases_due(caller, centre, until, page).await?)
    }

    /// Cases received by the caller's centre (at `window`, or all), newest first, optionally in
    /// some states only: a window's list of cases waiting for supplements or collection.
    pub async fn cases_received(
        &self,
        caller: &Caller,
        window: Option<WindowId>,
        states: &[CaseState],
        page: &Page,
    ) -> Result<Slice<Case>> {
        let Some(scope) = caller.scope() else { return Err(Error::Unauthenticated) };
        Ok(self.store.cases_received(caller, scope.centre, window, states, page).await?)
    }

    /// How many cases the writer holds in memory (for benchmarks).
    pub fn live_cases_cached(&self) -> usize {
        self.case_cache.len()
    }
}

fn roles_text(scope: &Scope) -> String {
    scope.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}
