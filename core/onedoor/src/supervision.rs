//! Electronic supervision (电子监察): the pass that watches every case, the alerts it raises,
//! fees checked against the catalogue, and the tamper-evident audit.
//!
//! [`Onedoor::supervise`] handles one centre: it reads the case events since its cursor (so every
//! event is looked at, even ones a replica wrote or a busy stream dropped), checks each touched
//! case for irregular handling, refreshes the case's figures for statistics, then watches the
//! deadlines of every case in review due within the warning horizon, and checks the published
//! service guides. Alerts carry stable keys (`deadline:NUMBER:STEP:LEVEL` …), so a pass run twice,
//! or by two replicas at once, raises each alert once. The pass runs on every case event (woken
//! by the case stream) and on a schedule ([`Onedoor::spawn_supervisor`]); supervisors can run it
//! at once through the API, which is how tests and the day simulator drive a controllable clock.

use crate::{Error, Onedoor, Result, require};
use chrono::NaiveDate;
use onedoor_domain::alert::{Alert, AlertKind, NewAlert, Severity};
use onedoor_domain::calendar::Calendar;
use onedoor_domain::case::{Case, CaseState, Channel};
use onedoor_domain::catalogue::{Matter, MatterStatus};
use onedoor_domain::supervision::{
    DeadlineLevel, FeeCharged, RecordedDecision, SupervisionSettings, deadline_marks, fee_findings, guide_gaps,
    irregularities,
};
use onedoor_domain::{Caller, CentreId, DomainError, ErrorCode, Role};
use onedoor_store::entity::case_fact;
use onedoor_store::{ChainCheck, MatterFilter, Page};
use std::collections::HashSet;

/// Case events read per batch by the pass.
const EVENT_BATCH: u64 = 2_000;
/// New alerts raised per transaction by the pass (each its own chained event).
const RAISE_BATCH: usize = 1_000;
/// Guides looked at per page by the pass.
const GUIDE_PAGE: u64 = 500;

/// What one supervision pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SupervisionReport {
    /// Case events read.
    pub events: u64,
    /// Cases looked at (touched by events or due soon).
    pub cases: u64,
    /// Alerts raised (new ones only).
    pub raised: u64,
}

impl SupervisionReport {
    fn add(&mut self, o: SupervisionReport) {
        self.events += o.events;
        self.cases += o.cases;
        self.raised += o.raised;
    }
}

fn severity(level: DeadlineLevel) -> (AlertKind, Severity) {
    match level {
        DeadlineLevel::Warning => (AlertKind::DeadlineWarning, Severity::Info),
        DeadlineLevel::Yellow => (AlertKind::YellowCard, Severity::Warning),
        DeadlineLevel::Red => (AlertKind::RedCard, Severity::Critical),
    }
}

/// The figures of a case for statistics, as of `today`.
fn fact(case: &Case, cal: &Calendar, today: NaiveDate) -> case_fact::Model {
    let decided = matches!(
        case.state,
        CaseState::Approved | CaseState::Denied | CaseState::ResultIssued | CaseState::Delivered | CaseState::Collected
    );
    let due = case.clock.as_ref().and_then(|c| c.deadline(cal));
    let used = case.clock.as_ref().filter(|_| decided).map(|c| c.used(cal, case.decided_on.unwrap_or(today)));
    let overdue = match (due, decided) {
        (Some(d), true) => case.decided_on.is_some_and(|on| on > d),
        (Some(d), false) => case.state.is_pending() && today > d,
        (None, _) => false,
    };
    case_fact::Model {
        centre_id: case.centre.0,
        case_id: case.id.0,
        number: case.number.clone(),
        state: case.state.as_str().to_owned(),
        channel: case.channel.as_str().to_owned(),
        reception_centre_id: case.reception.centre.0,
        reception_window_id: case.reception.window.map(|w| w.0),
        unit_id: case
            .parallel
            .as_ref()
            .map(|p| p.plan.lead_unit.0)
            .or_else(|| case.matters.first().map(|m| m.matter.owner_unit.0)),
        matter_id: case.matters.first().map(|m| m.matter.id.0),
        assisted: case.proxy.is_some() || case.channel == Channel::Proxy,
        submitted_on: case.submitted_on,
        accepted_on: case.accepted_on,
        decided_on: case.decided_on,
        due_on: due,
        used_days: used.map(|u| i32::try_from(u).unwrap_or(i32::MAX)),
        completed: decided,
        overdue,
    }
}

/// The deadline alerts of a case today: every level reached by the case and its open steps.
fn deadline_alerts(case: &Case, cal: &Calendar, today: NaiveDate, settings: &SupervisionSettings) -> Vec<NewAlert> {
    let mut out = Vec::new();
    for mark in deadline_marks(case, cal, today, settings) {
        for level in mark.levels() {
            let (kind, severity) = severity(level);
            let what = match mark.step.and_then(|s| case.steps.get(s as usize)) {
                Some(s) => format!("step {} ({})", s.name, s.key),
                None => "the case".to_owned(),
            };
            let message = match level {
                DeadlineLevel::Warning => {
                    format!(
                        "case {}: {what} is due on {} ({} working days left)",
                        case.number, mark.due, mark.remaining
                    )
                }
                _ => format!("case {}: {what} was due on {} and is overdue", case.number, mark.due),
            };
            out.push(NewAlert {
                kind,
                severity,
                subject: Some(case.number.clone()),
                unit: mark.unit,
                key: Some(format!(
                    "deadline:{}:{}:{}",
                    case.number,
                    mark.step.map_or_else(|| "case".to_owned(), |s| s.to_string()),
                    level.as_str()
                )),
                message,
                details: serde_json::json!({
                    "case": case.number,
                    "step": mark.step,
                    "due": mark.due,
                    "level": level.as_str(),
                })
                .to_string(),
            });
        }
    }
    out
}

/// The irregular-handling alerts of a case, from the decisions recorded since the cursor.
fn irregularity_alerts(case: &Case, decisions: &[RecordedDecision]) -> Vec<NewAlert> {
    irregularities(case, decisions)
        .into_iter()
        .map(|finding| {
            let kind = if matches!(finding, onedoor_domain::supervision::Irregularity::NoReason { .. }) {
                AlertKind::NoReason
            } else {
                AlertKind::IrregularStep
            };
            NewAlert {
                kind,
                severity: Severity::Warning,
                subject: Some(case.number.clone()),
                unit: case.matters.first().map(|m| m.matter.owner_unit),
                key: Some(format!("case:{}:{}", case.number, finding.key())),
                message: finding.message(case),
                details: serde_json::json!({ "case": case.number, "finding": finding.key() }).to_string(),
            }
        })
        .collect()
}

/// The alert of a published guide with required fields empty (else `None`).
fn guide_alert(m: &Matter) -> Option<NewAlert> {
    if m.status != MatterStatus::Active {
        return None;
    }
    let gaps = guide_gaps(&m.guide);
    if gaps.is_empty() {
        return None;
    }
    Some(NewAlert {
        kind: AlertKind::GuideIncomplete,
        severity: Severity::Info,
        subject: Some(m.guide.code.as_str().to_owned()),
        unit: Some(m.guide.owner_unit),
        key: Some(format!("guide:{}:{}", m.id, m.version)),
        message: format!(
            "matter {} {}: the service guide leaves {} empty",
            m.guide.code.as_str(),
            m.guide.name.as_str(),
            gaps.join(", ")
        ),
        details: serde_json::json!({ "matter": m.id.0, "version": m.version, "gaps": gaps }).to_string(),
    })
}

impl Onedoor {
    /// One supervision pass over `centre`: its new case events, its deadlines, its guides.
    /// Alerts the centre holds already (a pass sees an overdue case every day) are found with
    /// one read per batch and not raised again.
    pub async fn supervise(&self, centre: CentreId) -> Result<SupervisionReport> {
        let mut report = SupervisionReport::default();
        let state = self.store.supervision_state(centre).await?;
        let cal = self.calendar(centre).await?;
        let today = self.today();
        let mut cursor = state.cursor;
        let mut seen = HashSet::new();
        loop {
            let batch = self.store.case_events_since(centre, cursor, EVENT_BATCH).await?;
            report.events += (batch.last - cursor).max(0) as u64;
            let ids: Vec<_> = batch.cases.iter().map(|(id, _)| *id).collect();
            let cases = self.store.cases_by_id(centre, &ids).await?;
            let mut facts = Vec::with_capacity(cases.len());
            let mut alerts = Vec::new();
            for case in &cases {
                let decisions =
                    batch.cases.iter().find(|(id, _)| *id == case.id).map(|(_, d)| d.as_slice()).unwrap_or(&[]);
                alerts.extend(irregularity_alerts(case, decisions));
                alerts.extend(deadline_alerts(case, &cal, today, &state.settings));
                facts.push(fact(case, &cal, today));
                seen.insert(case.id);
            }
            report.raised += self.raise_new(centre, alerts).await?;
            report.cases += cases.len() as u64;
            self.store.put_case_facts(facts).await?;
            cursor = batch.last;
            self.store.advance_supervision_cursor(centre, cursor).await?;
            if !batch.more {
                break;
            }
        }
        // The scheduled part: cases due within the horizon, whether or not anything happened
        // (those the events brought were looked at already, as of today).
        let horizon = cal.add_working_days(today, u32::from(state.settings.warn_days));
        let mut due = self.store.cases_to_watch(centre, horizon).await?;
        due.retain(|id| !seen.contains(id));
        for chunk in due.chunks(500) {
            let cases = self.store.cases_by_id(centre, chunk).await?;
            let alerts = cases.iter().flat_map(|c| deadline_alerts(c, &cal, today, &state.settings)).collect();
            report.raised += self.raise_new(centre, alerts).await?;
            self.store.put_case_facts(cases.iter().map(|c| fact(c, &cal, today)).collect()).await?;
            report.cases += cases.len() as u64;
        }
        report.raised += self.check_guides(centre).await?;
        Ok(report)
    }

    /// Raises those of `alerts` whose key the centre does not hold yet: how many were raised.
    async fn raise_new(&self, centre: CentreId, alerts: Vec<NewAlert>) -> Result<u64> {
        let keys: Vec<&str> = alerts.iter().filter_map(|a| a.key.as_deref()).collect();
        let held = self.store.alert_keys_held(centre, &keys).await?;
        let mut new: Vec<NewAlert> =
            alerts.into_iter().filter(|a| !a.key.as_deref().is_some_and(|k| held.contains(k))).collect();
        let mut raised = 0;
        while !new.is_empty() {
            let rest = new.split_off(new.len().min(RAISE_BATCH));
            raised += self.raise_alerts(centre, std::mem::replace(&mut new, rest)).await?.len() as u64;
        }
        Ok(raised)
    }

    /// Published guides of `centre` with required fields empty: one alert per matter version.
    /// A pass looks again only when the catalogue changed since this process last looked (its
    /// generation moved), from the catalogue snapshot when one is held at that generation, else
    /// page by page (loading a snapshot here would read every guide twice while the catalogue
    /// keeps changing, and hold them all).
    async fn check_guides(&self, centre: CentreId) -> Result<u64> {
        let last = self.guides_checked.lock().ok().and_then(|m| m.get(&centre).copied());
        let generation = self.catalogue_generation(centre).await;
        if generation.is_some() && last == generation {
            return Ok(0);
        }
        // Raised a page at a time, so that a large catalogue's findings are never all held.
        let mut raised = 0;
        match generation.and_then(|g| self.snapshot_at(centre, g)) {
            Some(s) => {
                for page in s.matters().chunks(GUIDE_PAGE as usize) {
                    raised += self.raise_new(centre, page.iter().filter_map(guide_alert).collect()).await?;
                }
            }
            None => {
                let mut page = Page { after: None, limit: GUIDE_PAGE };
                let filter = MatterFilter { status: Some(MatterStatus::Active), ..MatterFilter::default() };
                loop {
                    let slice = self.store.matters(&Caller::Anonymous, centre, &filter, &page).await?;
                    raised += self.raise_new(centre, slice.items.iter().filter_map(guide_alert).collect()).await?;
                    if !slice.has_next {
                        break;
                    }
                    page.after = slice.items.last().map(|m| m.guide.code.as_str().to_owned());
                }
            }
        }
        if let (Some(g), Ok(mut m)) = (generation, self.guides_checked.lock()) {
            m.insert(centre, g);
        }
        Ok(raised)
    }

    /// A supervision pass over every centre.
    pub async fn supervise_all(&self) -> Result<SupervisionReport> {
        let mut report = SupervisionReport::default();
        for c in self.centre_list().await?.iter() {
            report.add(self.supervise(c.id).await?);
        }
        Ok(report)
    }

    /// Runs the pass now over the supervisor's centre and the centres it supervises.
    pub async fn run_supervision(&self, caller: &Caller) -> Result<SupervisionReport> {
        let scope = require(caller, Role::Supervisor)?;
        let mut report = SupervisionReport::default();
        for centre in scope.readable() {
            report.add(self.supervise(centre).await?);
        }
        Ok(report)
    }

    /// Runs the pass in the background: after case events (batched: at most one pass per
    /// `every`/10 while events flow) and every `every` in any case. Errors are logged; the next
    /// pass retries.
    pub fn spawn_supervisor(&self, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let od = self.clone();
        let mut events = self.subscribe_cases();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            let settle = every / 10;
            loop {
                let woken = tokio::select! {
                    _ = tick.tick() => true,
                    r = events.recv() => !matches!(r, Err(tokio::sync::broadcast::error::RecvError::Closed)),
                };
                if !woken {
                    return;
                }
                tokio::time::sleep(settle).await;
                while events.try_recv().is_ok() {}
                if let Err(e) = od.supervise_all().await {
                    tracing::error!(error = %e, "supervision pass failed");
                }
            }
        })
    }

    /// The settings of a centre the caller may read (supervisors).
    pub async fn supervision_settings(&self, caller: &Caller, centre: CentreId) -> Result<SupervisionSettings> {
        let scope = require(caller, Role::Supervisor)?;
        if !scope.can_read(centre) {
            return Err(Error::not_found("centre", "centre"));
        }
        Ok(self.store.supervision_state(centre).await?.settings)
    }

    /// Sets the admin's centre's warning horizon and follow-up period.
    pub async fn set_supervision_settings(
        &self,
        caller: &Caller,
        warn_days: i64,
        red_after: i64,
    ) -> Result<SupervisionSettings> {
        let scope = require(caller, Role::Admin)?;
        let s = SupervisionSettings::parse(warn_days, red_after)?;
        self.store.set_supervision_settings(scope.centre, s).await?;
        Ok(s)
    }

    /// Records a fee charged on a case of the clerk's centre, checked against the catalogue of
    /// the case's matters (in the versions it was accepted under). A fee that differs is still
    /// recorded (it was charged) and raises an alert, which is returned.
    pub async fn record_fee(&self, caller: &Caller, number: &str, item: &str, amount: i64) -> Result<Option<Alert>> {
        let scope = require(caller, Role::WindowClerk)?;
        let case = self
            .store
            .case_by_number_unchecked(number)
            .await?
            .filter(|c| c.centre == scope.centre || c.reception.centre == scope.centre)
            .ok_or_else(|| Error::not_found("number", "case"))?;
        let item = onedoor_domain::values::parse_text(item, 200, true).map_err(|e| e.under("item"))?;
        if amount < 0 {
            return Err(DomainError::new("amount", ErrorCode::OutOfRange, "a fee is never negative").into());
        }
        let fee = FeeCharged { item, amount };
        let mut fees = Vec::new();
        for m in &case.matters {
            if let Some(v) = self.store.matter_version_unchecked(case.centre, m.matter.id, m.version).await? {
                fees.extend(v.guide.fees.iter().cloned());
            }
        }
        self.store.record_fee(case.centre, case.id, &fee, scope.staff, self.now()).await?;
        let Some(finding) = fee_findings(&fee, &fees) else { return Ok(None) };
        let new = NewAlert {
            kind: AlertKind::FeeMismatch,
            severity: Severity::Critical,
            subject: Some(case.number.clone()),
            unit: case.matters.first().map(|m| m.matter.owner_unit),
            key: None,
            message: finding.message(&case.number),
            details: serde_json::json!({ "case": case.number, "item": fee.item, "amount": fee.amount }).to_string(),
        };
        self.raise_alert(case.centre, new).await
    }

    /// The fees charged on a case the caller may see.
    pub async fn case_fees(&self, caller: &Caller, case: &Case) -> Result<Vec<FeeCharged>> {
        if !caller.can_read(case.centre) && caller.scope().is_none_or(|s| s.centre != case.reception.centre) {
            return Ok(Vec::new());
        }
        Ok(self.store.case_fees(case.centre, case.id).await?)
    }

    /// Walks the hash chains of a centre the supervisor may read (case history, alerts) and
    /// names the first broken link of each.
    pub async fn verify_audit(&self, caller: &Caller, centre: CentreId) -> Result<Vec<ChainCheck>> {
        let scope = require(caller, Role::Supervisor)?;
        if !scope.can_read(centre) {
            return Err(Error::not_found("centre", "centre"));
        }
        Ok(self.store.verify_chains(centre).await?)
    }

    /// The operator's audit (`onedoor audit verify`): every centre's chains, no caller.
    pub async fn verify_audit_all(&self) -> Result<Vec<ChainCheck>> {
        let mut out = Vec::new();
        for c in self.store.centres().await? {
            out.extend(self.store.verify_chains(c.id).await?);
        }
        Ok(out)
    }
}
