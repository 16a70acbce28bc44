//! How a case is stored: two JSON documents, the application (what never changes after the
//! case was received, written once into `case_application`) and the state (what a transition
//! changes, rewritten into `cases.doc` by each one). A transition then writes a fraction of the
//! case instead of all of it.
//!
//! Both documents name every field of [`Case`] they hold, and [`split`] and [`join`] destructure
//! and build a whole `Case`, so a field added to the case fails to compile here until it is given
//! to one of them.

use crate::{Result, corrupt};
use chrono::NaiveDate;
use onedoor_domain::calendar::Clock;
use onedoor_domain::case::{
    Applicant, Case, CaseMatterAt, CaseState, Channel, ParallelApproval, Proxy, Reception, Step,
};
use onedoor_domain::workflow::WorkflowDef;
use onedoor_domain::{BundleId, CaseId, CentreId};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// What a case was received with.
#[derive(Serialize, Deserialize)]
struct ApplicationDoc<'a> {
    id: CaseId,
    centre: CentreId,
    number: Cow<'a, str>,
    channel: Channel,
    applicant: Cow<'a, Applicant>,
    proxy: Cow<'a, Option<Proxy>>,
    reception: Cow<'a, Reception>,
    matters: Cow<'a, [CaseMatterAt]>,
    bundle: Option<BundleId>,
    investment: Cow<'a, Option<onedoor_domain::rules::Investment>>,
    submitted_on: NaiveDate,
    workflow: Cow<'a, WorkflowDef>,
    workflow_version: u32,
    ticket: Option<uuid::Uuid>,
}

/// Where a case stands.
#[derive(Serialize, Deserialize)]
struct StateDoc<'a> {
    state: CaseState,
    version: u32,
    materials: Cow<'a, [String]>,
    missing: Cow<'a, [String]>,
    accepted_on: Option<NaiveDate>,
    decided_on: Option<NaiveDate>,
    clock: Cow<'a, Option<Clock>>,
    steps: Cow<'a, [Step]>,
    parallel: Cow<'a, Option<ParallelApproval>>,
    reason: Cow<'a, str>,
}

/// The case's two documents: (application, state).
fn split(c: &Case) -> (ApplicationDoc<'_>, StateDoc<'_>) {
    let Case {
        id,
        centre,
        number,
        state,
        version,
        channel,
        applicant,
        proxy,
        reception,
        matters,
        bundle,
        investment,
        materials,
        missing,
        submitted_on,
        accepted_on,
        decided_on,
        clock,
        workflow,
        workflow_version,
        steps,
        parallel,
        reason,
        ticket,
    } = c;
    (
        ApplicationDoc {
            id: *id,
            centre: *centre,
            number: Cow::Borrowed(number),
            channel: *channel,
            applicant: Cow::Borrowed(applicant),
            proxy: Cow::Borrowed(proxy),
            reception: Cow::Borrowed(reception),
            matters: Cow::Borrowed(matters),
            bundle: *bundle,
            investment: Cow::Borrowed(investment),
            submitted_on: *submitted_on,
            workflow: Cow::Borrowed(workflow),
            workflow_version: *workflow_version,
            ticket: *ticket,
        },
        StateDoc {
            state: *state,
            version: *version,
            materials: Cow::Borrowed(materials),
            missing: Cow::Borrowed(missing),
            accepted_on: *accepted_on,
            decided_on: *decided_on,
            clock: Cow::Borrowed(clock),
            steps: Cow::Borrowed(steps),
            parallel: Cow::Borrowed(parallel),
            reason: Cow::Borrowed(reason),
        },
    )
}

/// The application document of a case, as JSON text.
pub(crate) fn application(c: &Case) -> Result<String> {
    serde_json::to_string(&split(c).0).map_err(|e| corrupt("case application", e))
}

/// The state document of a case, as JSON text.
pub(crate) fn state(c: &Case) -> Result<String> {
    serde_json::to_string(&split(c).1).map_err(|e| corrupt("case state", e))
}

/// The case stored as `application` and `state`.
pub(crate) fn join(application: serde_json::Value, state: serde_json::Value) -> Result<Case> {
    let a: ApplicationDoc<'static> = serde_json::from_value(application).map_err(|e| corrupt("case application", e))?;
    let s: StateDoc<'static> = serde_json::from_value(state).map_err(|e| corrupt("case state", e))?;
    Ok(Case {
        id: a.id,
        centre: a.centre,
        number: a.number.into_owned(),
        state: s.state,
        version: s.version,
        channel: a.channel,
        applicant: a.applicant.into_owned(),
        proxy: a.proxy.into_owned(),
        reception: a.reception.into_owned(),
        matters: a.matters.into_owned(),
        bundle: a.bundle,
        investment: a.investment.into_owned(),
        materials: s.materials.into_owned(),
        missing: s.missing.into_owned(),
        submitted_on: a.submitted_on,
        accepted_on: s.accepted_on,
        decided_on: s.decided_on,
        clock: s.clock.into_owned(),
        workflow: a.workflow.into_owned(),
        workflow_version: a.workflow_version,
        steps: s.steps.into_owned(),
        parallel: s.parallel.into_owned(),
        reason: s.reason.into_owned(),
        ticket: a.ticket,
    })
}
