//! Cases in the API: the `Case` node with its steps, plan, clock, receipt and history; the
//! window's, back office's and supervisor's lists; the public status lookup; every transition
//! as a mutation; the working-day calendar and workflow definitions; `caseUpdated`.

use crate::error::{UserError, coded, query_error};
use crate::ids::{Kind, decode, encode};
use crate::mutation::{Ids, finish};
use crate::scalars::{Role, mirror};
use crate::types::*;
use async_graphql::connection::Connection;
use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result, Scalar, ScalarType, SimpleObject, Subscription, Value,
};
use chrono::NaiveDate;
use futures_util::Stream;
use onedoor::domain::calendar::{self as cal, Calendar};
use onedoor::domain::case::{self as dc, Case};
use onedoor::domain::rules as rl;
use onedoor::domain::workflow as wf;
use onedoor::domain::{CaseId, CentreId, MatterId, StaffId, UnitId, WindowId};
use onedoor::{ApplicantDraft, Application, CaseAction, ProxyDraft, Slice};
use std::sync::Arc;

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> async_graphql::InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| async_graphql::InputValueError::custom("a date is written YYYY-MM-DD")),
            _ => Err(async_graphql::InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

mirror! {
    /// Where a case stands.
    CaseState = dc::CaseState {
        /// Received, not yet accepted.
        Submitted,
        /// Supplements asked for (once, in full); the clock has not started.
        AwaitingSupplements,
        /// Not accepted, with a reason.
        Refused,
        /// Accepted; the workflow runs and the clock counts.
        InReview,
        /// The clock is stopped (hearing, expert review, testing …).
        Suspended,
        /// Approved; the result is to be issued.
        Approved,
        /// Denied; the decision is to be issued.
        Denied,
        /// The result is issued.
        ResultIssued,
        /// Delivered (express or electronically).
        Delivered,
        /// Collected at a window.
        Collected,
        /// Withdrawn by the applicant.
        Withdrawn,
    }
}

mirror! {
    /// How a case came in.
    Channel = dc::Channel {
        /// At a window.
        Window,
        /// Online.
        Online,
        /// At a kiosk.
        Kiosk,
        /// By the 12345 hotline.
        Hotline,
        /// Through a proxy.
        Proxy,
    }
}

mirror! {
    /// A decision on a step.
    StepDecision = dc::Decision {
        /// Approve.
        Approve,
        /// Deny (a reason is required).
        Deny,
        /// Send back to the previous task.
        Return,
        /// Comment; the step stays open.
        Comment,
    }
}

mirror! {
    /// Where a step stands.
    StepStatus = dc::StepStatus {
        /// In the unit's worklist.
        Open,
        /// Approved.
        Approved,
        /// Denied.
        Denied,
        /// Sent back.
        Returned,
        /// Closed without a decision.
        Skipped,
    }
}

mirror! {
    /// What kind of work a step is.
    StepType = dc::StepType {
        /// A task of the workflow.
        Task,
        /// A branch of a parallel approval.
        Branch,
        /// The lead unit arbitrates.
        Arbitration,
        /// A joint meeting of the units.
        JointMeeting,
    }
}

mirror! {
    /// Who acts for an applicant.
    ProxyKind = dc::ProxyKind {
        /// A guide of the centre (帮办).
        Guide,
        /// An intermediary agency (代办).
        Agency,
    }
}

mirror! {
    /// How a result reached the applicant.
    Handover = dc::Handover {
        /// Collected at a window.
        Collected,
        /// Delivered.
        Delivered,
    }
}

mirror! {
    /// Why a clock stopped.
    PauseReason = cal::PauseReason {
        /// A hearing.
        Hearing,
        /// An expert review.
        ExpertReview,
        /// Testing, inspection or quarantine.
        Testing,
        /// Waiting for supplements.
        Supplements,
        /// Public notice.
        PublicNotice,
    }
}

mirror! {
    /// A person or an enterprise.
    ApplicantKind = rl::ApplicantKind {
        /// A natural person.
        Person,
        /// An enterprise or another organisation.
        Enterprise,
    }
}

mirror! {
    /// How branch decisions are joined.
    JoinPolicy = rl::JoinPolicy {
        /// Every required branch must approve; one denial denies.
        AllApprove,
        /// A denial goes to the lead unit, which arbitrates.
        LeadArbitrates,
        /// A denial goes to a joint meeting.
        JointMeeting,
    }
}

mirror! {
    /// A declared calendar day.
    DayKind = cal::DayKind {
        /// A holiday on a weekday.
        Holiday,
        /// A make-up working day (调休) on a weekend.
        MakeUpWorkday,
    }
}

mirror! {
    /// What a workflow step is.
    StepKind = wf::StepKind {
        /// A decision by a unit's role within a limit.
        Task,
        /// Opens parallel branches.
        Split,
        /// Joins a split's branches.
        Join,
    }
}

/// A case: one application with one number.
pub struct CaseObj {
    pub(crate) case: Arc<Case>,
    /// Whether the viewer is staff who may see everything (else the public view).
    pub(crate) full: bool,
}

impl CaseObj {
    pub(crate) fn staff(case: impl Into<Arc<Case>>) -> CaseObj {
        CaseObj { case: case.into(), full: true }
    }

    async fn calendar(&self, ctx: &Context<'_>) -> Result<Arc<Calendar>> {
        parts(ctx).0.calendar(self.case.centre).await.map_err(query_error)
    }
}

/// The applicant (the identity number masked in public views).
#[derive(SimpleObject)]
#[graphql(name = "Applicant")]
pub struct ApplicantObj {
    /// Person or enterprise.
    kind: ApplicantKind,
    /// Name.
    name: String,
    /// The identity number; all but the last four characters hidden unless the viewer handles
    /// the case.
    id_number: String,
    /// Contact phone (empty in public views).
    phone: String,
}

/// Someone acting for the applicant.
#[derive(SimpleObject)]
#[graphql(name = "Proxy")]
pub struct ProxyObj {
    /// Guide or agency.
    kind: ProxyKind,
    /// The person acting.
    name: String,
    /// The authorisation they hold.
    authorisation: String,
    /// The guide, as a global id of a `Staff`.
    staff: Option<ID>,
    /// The agency, as a global id of a `Unit`.
    agency: Option<ID>,
}

/// A matter of a case at the catalogue version it was accepted under.
pub struct CaseMatterObj {
    centre: CentreId,
    m: dc::CaseMatterAt,
}

#[Object(name = "CaseMatter")]
impl CaseMatterObj {
    /// The matter as catalogued now.
    async fn matter(&self, ctx: &Context<'_>) -> Result<Option<MatterObj>> {
        let (od, caller) = parts(ctx);
        Ok(od.matter(caller, self.centre, self.m.matter.id).await.map_err(query_error)?.map(MatterObj))
    }
    /// The catalogue version the case was accepted under.
    async fn version(&self) -> u32 {
        self.m.version
    }
    /// The code then.
    async fn code(&self) -> &str {
        self.m.matter.code.as_str()
    }
    /// The name then.
    async fn name(&self) -> &str {
        self.m.matter.name.as_str()
    }
    /// The promised limit then, in working days.
    async fn promised_days(&self) -> u16 {
        self.m.matter.limits.promised().get()
    }
    /// The statutory limit then, in working days.
    async fn statutory_days(&self) -> u16 {
        self.m.statutory
    }
}

/// A stop of a clock.
#[derive(SimpleObject)]
#[graphql(name = "Pause")]
pub struct PauseObj {
    /// Why.
    reason: PauseReason,
    /// What.
    note: String,
    /// The day it stopped.
    from: Date,
    /// The day it restarted; null while stopped.
    until: Option<Date>,
}

fn pauses(c: &cal::Clock) -> Vec<PauseObj> {
    c.pauses
        .iter()
        .map(|p| PauseObj {
            reason: p.reason.into(),
            note: p.note.clone(),
            from: Date(p.from),
            until: p.until.map(Date),
        })
        .collect()
}

/// A step of a case's workflow: an entry in a unit's worklist.
pub struct StepObj {
    centre: CentreId,
    step: dc::Step,
    full: bool,
}

#[Object(name = "CaseStep")]
impl StepObj {
    /// The step's number in the case (pass it to `decideStep`).
    async fn number(&self) -> u32 {
        self.step.id
    }
    /// The definition's key.
    async fn key(&self) -> &str {
        &self.step.key
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.step.name
    }
    /// What kind of work.
    async fn kind(&self) -> StepType {
        self.step.kind.into()
    }
    /// The unit whose worklist holds it.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<UnitObj>> {
        Ok(parts(ctx).0.unit(self.centre, self.step.unit).await.map_err(query_error)?.map(UnitObj))
    }
    /// The role that decides it.
    async fn role(&self) -> Role {
        self.step.role.into()
    }
    /// The matter a branch decides, as a global id.
    async fn matter(&self) -> Option<ID> {
        self.step.matter.map(|m| encode(Kind::Matter, self.centre, m.0))
    }
    /// Whether the case waits for it.
    async fn required(&self) -> bool {
        self.step.required
    }
    /// Where it stands.
    async fn status(&self) -> StepStatus {
        self.step.status.into()
    }
    /// The day it was opened.
    async fn opened_on(&self) -> Date {
        Date(self.step.clock.started_on)
    }
    /// Its limit in working days.
    async fn limit_days(&self) -> u16 {
        self.step.clock.limit
    }
    /// Its due date (null while the case is suspended).
    async fn due_on(&self, ctx: &Context<'_>) -> Result<Option<Date>> {
        let cal = parts(ctx).0.calendar(self.centre).await.map_err(query_error)?;
        Ok(self.step.clock.deadline(&cal).map(Date))
    }
    /// Working days left today (negative: overdue); null once decided.
    async fn remaining_working_days(&self, ctx: &Context<'_>) -> Result<Option<i64>> {
        if self.step.status != dc::StepStatus::Open {
            return Ok(None);
        }
        let od = parts(ctx).0;
        let cal = od.calendar(self.centre).await.map_err(query_error)?;
        Ok(Some(self.step.clock.remaining(&cal, od.today())))
    }
    /// Who decided it (staff views only).
    async fn decided_by(&self) -> Option<ID> {
        self.step.decided_by.filter(|_| self.full).map(|s| encode(Kind::Staff, self.centre, s.0))
    }
    /// When.
    async fn decided_on(&self) -> Option<Date> {
        self.step.decided_on.map(Date)
    }
    /// Reasons and comments (staff views only).
    async fn comment(&self) -> Option<&str> {
        self.full.then_some(self.step.comment.as_str())
    }
}

/// A branch of a parallel-approval plan.
#[derive(SimpleObject)]
#[graphql(name = "PlanBranch")]
pub struct PlanBranchObj {
    /// The deciding unit (a `Unit` global id).
    unit: ID,
    /// The matter it decides (a `Matter` global id).
    matter: ID,
    /// Its limit in working days.
    time_limit_days: u16,
    /// Whether the case waits for it.
    required: bool,
}

/// A verdict of the parallel-approval rule after a branch decided.
#[derive(SimpleObject)]
#[graphql(name = "Verdict")]
pub struct VerdictObj {
    /// `WAIT`, `APPROVE`, `DENY`, `REFER_TO_LEAD` or `REFER_TO_JOINT_MEETING`.
    verdict: String,
    /// The reason, where the verdict has one.
    reason: String,
    /// The rule that gave it (`builtin` or the plugin).
    rule: String,
}

fn verdict_obj(v: &rl::Verdict, rule: &str) -> VerdictObj {
    let (verdict, reason) = match v {
        rl::Verdict::Wait => ("WAIT", ""),
        rl::Verdict::Approve => ("APPROVE", ""),
        rl::Verdict::Deny { reason } => ("DENY", reason.as_str()),
        rl::Verdict::ReferToLead { reason } => ("REFER_TO_LEAD", reason.as_str()),
        rl::Verdict::ReferToJointMeeting { reason } => ("REFER_TO_JOINT_MEETING", reason.as_str()),
    };
    VerdictObj { verdict: verdict.into(), reason: reason.into(), rule: rule.into() }
}

/// A case's parallel approval (并联审批): the plan, who planned it, and the verdicts.
#[derive(SimpleObject)]
#[graphql(name = "ParallelApproval")]
pub struct ParallelApprovalObj {
    /// The lead unit (a `Unit` global id).
    lead_unit: ID,
    /// The branches.
    branches: Vec<PlanBranchObj>,
    /// How the branches' decisions are joined.
    join_policy: JoinPolicy,
    /// Why the plan looks like this.
    rationale: String,
    /// The rule that planned it (`builtin` or the plugin).
    planned_by: String,
    /// The verdicts, oldest first.
    verdicts: Vec<VerdictObj>,
}

/// The acceptance slip (受理通知书) handed to the applicant.
#[derive(SimpleObject)]
#[graphql(name = "Receipt")]
pub struct ReceiptObj {
    /// The case number.
    number: String,
    /// The matters, by name.
    matters: Vec<String>,
    /// The day the case was accepted.
    accepted_on: Option<Date>,
    /// The promised completion date.
    promised_on: Option<Date>,
    /// The materials received.
    materials: Vec<String>,
    /// What is still to be handed in (after a supplements request).
    missing: Vec<String>,
    /// The centre that received it (code).
    received_by: String,
    /// The code to rate the case with (好差评), printed on the slip: the applicant rates the
    /// case anonymously with it.
    rating_code: String,
}

/// An event of a case's history.
#[derive(SimpleObject)]
#[graphql(name = "CaseEvent")]
pub struct CaseEventObj {
    /// Its number in the case's history.
    seq: u32,
    /// When.
    at: chrono::DateTime<chrono::Utc>,
    /// The command (`SUBMIT_AND_ACCEPT`, `DECIDE` …).
    command: String,
    /// The state before.
    from_state: String,
    /// The state after.
    to_state: String,
    /// Who acted (a `Staff` global id of the acting centre).
    actor: Option<ID>,
    /// The roles they held.
    roles: String,
    /// The centre they acted for (code).
    acting_centre: String,
    /// The window they acted at (a `Window` global id is not given: windows belong to halls).
    window: Option<String>,
    /// What changed, as JSON.
    changes: async_graphql::Json<serde_json::Value>,
    /// The hash of the centre's previous event.
    prev_hash: String,
    /// This event's hash (SHA-256 over the previous hash and the event).
    hash: String,
}

#[Object(name = "Case")]
impl CaseObj {
    /// Opaque global id.
    pub(crate) async fn id(&self) -> ID {
        encode(Kind::Case, self.case.centre, self.case.id.0)
    }
    /// The case number (readable at a window).
    async fn number(&self) -> &str {
        &self.case.number
    }
    /// Where it stands.
    async fn state(&self) -> CaseState {
        self.case.state.into()
    }
    /// Bumped by every change; pass it as `expectedVersion` to act only on what you saw.
    async fn version(&self) -> u32 {
        self.case.version
    }
    /// How it came in.
    async fn channel(&self) -> Channel {
        self.case.channel.into()
    }
    /// The owning centre.
    async fn centre(&self, ctx: &Context<'_>) -> Result<Option<CentreObj>> {
        Ok(parts(ctx).0.centre(self.case.centre).await.map_err(query_error)?.map(CentreObj))
    }
    /// The centre that received it (another centre of the region for 同城通办).
    async fn received_by(&self, ctx: &Context<'_>) -> Result<Option<CentreObj>> {
        Ok(parts(ctx).0.centre(self.case.reception.centre).await.map_err(query_error)?.map(CentreObj))
    }
    /// The window that received it (a `Window` global id).
    async fn window(&self, ctx: &Context<'_>) -> Result<Option<WindowObj>> {
        let Some(w) = self.case.reception.window else { return Ok(None) };
        let od = parts(ctx).0;
        // A window belongs to its hall's centre: look in the halls the receiving centre shares.
        for hall in od.halls_of(self.case.reception.centre).await.map_err(query_error)? {
            if let Some(found) = od.window(hall.centre, w).await.map_err(query_error)? {
                return Ok(Some(WindowObj(found)));
            }
        }
        Ok(None)
    }
    /// Who applies.
    async fn applicant(&self) -> ApplicantObj {
        let a = &self.case.applicant;
        ApplicantObj {
            kind: a.kind.into(),
            name: a.name.to_string(),
            id_number: if self.full { a.id_number.as_str().to_owned() } else { a.id_number.masked() },
            phone: if self.full { a.phone.clone() } else { String::new() },
        }
    }
    /// Who acts for the applicant (staff views only).
    async fn proxy(&self) -> Option<ProxyObj> {
        let p = self.case.proxy.as_ref().filter(|_| self.full)?;
        let centre = self.case.reception.centre;
        Some(ProxyObj {
            kind: p.kind.into(),
            name: p.name.to_string(),
            authorisation: p.authorisation.clone(),
            staff: p.staff.map(|s| encode(Kind::Staff, centre, s.0)),
            agency: p.agency.map(|u| encode(Kind::Unit, centre, u.0)),
        })
    }
    /// Its matters at the versions accepted.
    async fn matters(&self) -> Vec<CaseMatterObj> {
        self.case.matters.iter().map(|m| CaseMatterObj { centre: self.case.centre, m: m.clone() }).collect()
    }
    /// The bundle applied for.
    async fn bundle(&self, ctx: &Context<'_>) -> Result<Option<BundleObj>> {
        let Some(b) = self.case.bundle else { return Ok(None) };
        let (od, caller) = parts(ctx);
        Ok(od.bundle(caller, self.case.centre, b).await.map_err(query_error)?.map(BundleObj))
    }
    /// The materials handed in.
    async fn materials(&self) -> &[String] {
        &self.case.materials
    }
    /// What the supplements request listed.
    async fn missing(&self) -> &[String] {
        &self.case.missing
    }
    /// The reason of a refusal, denial or withdrawal.
    async fn reason(&self) -> &str {
        &self.case.reason
    }
    /// The day it was received.
    async fn submitted_on(&self) -> Date {
        Date(self.case.submitted_on)
    }
    /// The day it was accepted (the clock counts from the next working day).
    async fn accepted_on(&self) -> Option<Date> {
        self.case.accepted_on.map(Date)
    }
    /// The day it was decided.
    async fn decided_on(&self) -> Option<Date> {
        self.case.decided_on.map(Date)
    }
    /// Its limit in working days (the longest promised limit of its matters).
    async fn limit_days(&self) -> Option<u16> {
        self.case.clock.as_ref().map(|c| c.limit)
    }
    /// Approved extensions in working days.
    async fn extension_days(&self) -> u16 {
        self.case.clock.as_ref().map_or(0, |c| c.extension)
    }
    /// The due date (null before acceptance and while suspended).
    async fn due_on(&self, ctx: &Context<'_>) -> Result<Option<Date>> {
        Ok(self.case.due(&*self.calendar(ctx).await?).map(Date))
    }
    /// Working days left today (negative: overdue); null before acceptance or once decided.
    async fn remaining_working_days(&self, ctx: &Context<'_>) -> Result<Option<i64>> {
        if !self.case.state.is_pending() {
            return Ok(None);
        }
        let Some(clock) = &self.case.clock else { return Ok(None) };
        let cal = self.calendar(ctx).await?;
        Ok(Some(clock.remaining(&cal, parts(ctx).0.today())))
    }
    /// Whether it was decided within its limit (null until decided).
    async fn on_time(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        let (Some(decided), Some(clock)) = (self.case.decided_on, &self.case.clock) else { return Ok(None) };
        let cal = self.calendar(ctx).await?;
        Ok(Some(clock.remaining(&cal, decided) >= 0))
    }
    /// The stops of its clock.
    async fn pauses(&self) -> Vec<PauseObj> {
        self.case.clock.as_ref().map(pauses).unwrap_or_default()
    }
    /// Its workflow's version (0: a built-in workflow).
    async fn workflow_version(&self) -> u32 {
        self.case.workflow_version
    }
    /// Its steps, in the order they were opened.
    async fn steps(&self) -> Vec<StepObj> {
        self.case.steps.iter().map(|s| StepObj { centre: self.case.centre, step: s.clone(), full: self.full }).collect()
    }
    /// Its parallel approval, once planned.
    async fn parallel_approval(&self) -> Option<ParallelApprovalObj> {
        let p = self.case.parallel.as_ref()?;
        let c = self.case.centre;
        Some(ParallelApprovalObj {
            lead_unit: encode(Kind::Unit, c, p.plan.lead_unit.0),
            branches: p
                .plan
                .branches
                .iter()
                .map(|b| PlanBranchObj {
                    unit: encode(Kind::Unit, c, b.unit.0),
                    matter: encode(Kind::Matter, c, b.matter.0),
                    time_limit_days: b.time_limit.get(),
                    required: b.required,
                })
                .collect(),
            join_policy: p.plan.join_policy.into(),
            rationale: p.plan.rationale.clone(),
            planned_by: p.planned_by.clone(),
            verdicts: p.verdicts.iter().map(|(v, r)| verdict_obj(v, r)).collect(),
        })
    }
    /// The acceptance slip.
    async fn receipt(&self, ctx: &Context<'_>) -> Result<ReceiptObj> {
        let od = parts(ctx).0;
        let cal = self.calendar(ctx).await?;
        let received_by = od.centre(self.case.reception.centre).await.map_err(query_error)?.map(|c| c.code.to_string());
        Ok(ReceiptObj {
            number: self.case.number.clone(),
            matters: self.case.matters.iter().map(|m| m.matter.name.to_string()).collect(),
            accepted_on: self.case.accepted_on.map(Date),
            promised_on: self.case.due(&cal).map(Date),
            materials: self.case.materials.clone(),
            missing: if self.case.state == dc::CaseState::AwaitingSupplements {
                self.case.missing.clone()
            } else {
                Vec::new()
            },
            received_by: received_by.unwrap_or_default(),
            rating_code: od
                .rating_code(self.case.centre, onedoor::domain::evaluation::RatedKind::Case, &self.case.number)
                .await
                .map_err(query_error)?,
        })
    }
    /// Its history, oldest first (staff views only; empty for the public).
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<CaseEventObj>> {
        if !self.full {
            return Ok(Vec::new());
        }
        let (od, caller) = parts(ctx);
        let events = od.case_history(caller, self.case.centre, self.case.id).await.map_err(query_error)?;
        let centres = od.centres().await.map_err(query_error)?;
        let code = |c: CentreId| centres.iter().find(|x| x.id == c).map(|x| x.code.to_string()).unwrap_or_default();
        Ok(events
            .into_iter()
            .map(|e| CaseEventObj {
                seq: e.seq,
                at: e.at,
                command: e.command,
                from_state: e.from,
                to_state: e.to,
                actor: e.actor.map(|a| encode(Kind::Staff, e.acting_centre, a.0)),
                roles: e.roles,
                acting_centre: code(e.acting_centre),
                window: e.window.map(|w| w.0.to_string()),
                changes: async_graphql::Json(serde_json::to_value(&e.changes).unwrap_or_default()),
                prev_hash: e.prev_hash,
                hash: e.hash,
            })
            .collect())
    }
}

/// An open step in a worklist, with its case.
pub struct WorkItemObj(onedoor::WorkItem);

#[Object(name = "WorkItem")]
impl WorkItemObj {
    /// The case.
    async fn case(&self) -> CaseObj {
        CaseObj::staff(self.0.case.clone())
    }
    /// The open step.
    async fn step(&self) -> Option<StepObj> {
        let s = self.0.case.steps.get(self.0.step as usize)?;
        Some(StepObj { centre: self.0.case.centre, step: s.clone(), full: true })
    }
}

/// A declared day of a centre's calendar.
#[derive(SimpleObject)]
#[graphql(name = "CalendarDay")]
pub struct CalendarDayObj {
    /// The date.
    date: Date,
    /// Holiday or make-up working day.
    kind: DayKind,
    /// What the day is.
    note: String,
}

/// A centre's working-day calendar for a year.
pub struct CalendarYearObj {
    centre: CentreId,
    year: i32,
}

#[Object(name = "CalendarYear")]
impl CalendarYearObj {
    /// The year.
    async fn year(&self) -> i32 {
        self.year
    }
    /// The days this centre itself declared (its parent's apply too).
    async fn declared(&self, ctx: &Context<'_>) -> Result<Vec<CalendarDayObj>> {
        let days = parts(ctx).0.calendar_days(self.centre, self.year).await.map_err(query_error)?;
        Ok(days.into_iter().map(|d| CalendarDayObj { date: Date(d.date), kind: d.kind.into(), note: d.note }).collect())
    }
    /// Every non-working day of the year that falls on a weekday and every working weekend day,
    /// as the centre counts them (its own days over its parent's).
    async fn exceptions(&self, ctx: &Context<'_>) -> Result<Vec<CalendarDayObj>> {
        let cal = parts(ctx).0.calendar(self.centre).await.map_err(query_error)?;
        Ok(cal
            .year(self.year)
            .map(|(date, kind)| CalendarDayObj { date: Date(date), kind: kind.into(), note: String::new() })
            .collect())
    }
    /// The number of working days of the year.
    async fn working_days(&self, ctx: &Context<'_>) -> Result<i64> {
        let cal = parts(ctx).0.calendar(self.centre).await.map_err(query_error)?;
        let (Some(start), Some(end)) =
            (NaiveDate::from_ymd_opt(self.year - 1, 12, 31), NaiveDate::from_ymd_opt(self.year, 12, 31))
        else {
            return Ok(0);
        };
        Ok(cal.working_days_between(start, end))
    }
    /// The due date of a limit of `days` working days counted from `from` (the day after it
    /// first).
    async fn due_on(&self, ctx: &Context<'_>, from: Date, days: u16) -> Result<Date> {
        let cal = parts(ctx).0.calendar(self.centre).await.map_err(query_error)?;
        Ok(Date(cal.add_working_days(from.0, u32::from(days))))
    }
}

/// A step of a workflow definition.
#[derive(SimpleObject)]
#[graphql(name = "StepDef")]
pub struct StepDefObj {
    /// Key.
    key: String,
    /// Name.
    name: String,
    /// Task, split or join.
    kind: StepKind,
    /// The deciding unit of a task (a `Unit` global id); null: the matter's owner unit.
    unit: Option<ID>,
    /// The deciding role.
    role: Role,
    /// A task's limit in working days.
    limit_days: u16,
    /// The following steps' keys.
    next: Vec<String>,
}

/// A matter's workflow definition.
#[derive(SimpleObject)]
#[graphql(name = "Workflow")]
pub struct WorkflowObj {
    /// Its version (0: the built-in single review).
    version: u32,
    /// The steps; the first is the start.
    steps: Vec<StepDefObj>,
    /// The longest path's limits, in working days.
    longest_path_days: u32,
}

fn workflow_obj(centre: CentreId, def: &wf::WorkflowDef, version: u32) -> WorkflowObj {
    WorkflowObj {
        version,
        longest_path_days: def.longest_limit(),
        steps: def
            .steps
            .iter()
            .map(|s| StepDefObj {
                key: s.key.clone(),
                name: s.name.clone(),
                kind: s.kind.into(),
                unit: s.unit.map(|u| encode(Kind::Unit, centre, u.0)),
                role: s.role.into(),
                limit_days: s.limit,
                next: s.next.clone(),
            })
            .collect(),
    }
}

/// The public view of a case found by number and identity digits.
pub type CaseStatusObj = CaseObj;

fn offset_connection<T, N: async_graphql::OutputType>(
    page: &onedoor::Page,
    had_after: bool,
    slice: Slice<T>,
    node: impl Fn(T) -> N,
) -> Connection<String, N> {
    let start = page.after.as_deref().and_then(|a| a.parse::<u64>().ok()).unwrap_or(0);
    let numbered = Slice {
        items: slice.items.into_iter().enumerate().map(|(i, t)| (start + i as u64 + 1, t)).collect(),
        has_next: slice.has_next,
    };
    connection(had_after, numbered, |(n, _)| n.to_string(), |(_, t)| node(t))
}

/// Queries of cases, worklists, calendars and workflows.
#[derive(Debug, Default)]
pub struct CaseQuery;

#[Object]
impl CaseQuery {
    /// A case by number (staff of the owning or receiving centre, or supervising it).
    async fn case(&self, ctx: &Context<'_>, number: String) -> Result<Option<CaseObj>> {
        let (od, caller) = parts(ctx);
        Ok(od.case_by_number(caller, &number).await.map_err(query_error)?.map(CaseObj::staff))
    }

    /// The public status of a case: its number and the last 4 to 6 characters of the
    /// applicant's identity number. Anyone may ask; the view hides the identity number, the
    /// phone, the proxy, comments and the history.
    async fn case_status(
        &self,
        ctx: &Context<'_>,
        number: String,
        id_number_tail: String,
    ) -> Result<Option<CaseStatusObj>> {
        let od = parts(ctx).0;
        Ok(od
            .case_status(&number, &id_number_tail)
            .await
            .map_err(query_error)?
            .map(|c| CaseObj { case: Arc::new(c), full: false }))
    }

    /// Open steps of a unit's worklist by due date; without `unit`, the caller's own unit and
    /// roles.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn worklist(
        &self,
        ctx: &Context<'_>,
        unit: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, WorkItemObj>> {
        let p = page(ctx, first, after.clone())?;
        if p.after.as_deref().is_some_and(|a| !onedoor::WorkStep::is_cursor(a)) {
            return Err(coded("INVALID_CURSOR", "`after` is not a cursor of this list"));
        }
        let (od, caller) = parts(ctx);
        let Some(scope) = caller.scope() else { return Err(coded("UNAUTHENTICATED", "sign in first")) };
        let unit = match &unit {
            Some(id) => Some(decode(Kind::Unit, id).ok_or_else(|| coded("INVALID_ID", "not a unit id"))?),
            None => None,
        };
        let centre = unit.map_or(scope.centre, |(c, _)| c);
        let slice = od.worklist(caller, centre, unit.map(|(_, u)| UnitId(u)), &p).await.map_err(query_error)?;
        Ok(connection(after.is_some(), slice, |w| w.cursor.clone(), WorkItemObj))
    }

    /// Cases of the caller's centre (or `centre`, supervised) in review, due within `withinDays`
    /// working days (0: due today or overdue), earliest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn cases_due(
        &self,
        ctx: &Context<'_>,
        centre: Option<String>,
        #[graphql(default = 3)] within_days: u16,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, CaseObj>> {
        self.due(ctx, centre, within_days, false, first, after).await
    }

    /// Overdue cases of the caller's centre (or `centre`, supervised), most overdue first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn overdue_cases(
        &self,
        ctx: &Context<'_>,
        centre: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, CaseObj>> {
        self.due(ctx, centre, 0, true, first, after).await
    }

    /// Cases the caller's centre received (at `window`, or all), newest first, optionally in
    /// some states: a window's cases waiting for supplements or for collection.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn cases_received(
        &self,
        ctx: &Context<'_>,
        window: Option<ID>,
        #[graphql(default)] states: Vec<CaseState>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, CaseObj>> {
        let p = page(ctx, first, after.clone())?;
        let (od, caller) = parts(ctx);
        let window = match &window {
            Some(id) => {
                Some(WindowId(decode(Kind::Window, id).ok_or_else(|| coded("INVALID_ID", "not a window id"))?.1))
            }
            None => None,
        };
        let states: Vec<dc::CaseState> = states.into_iter().map(Into::into).collect();
        let slice = od.cases_received(caller, window, &states, &p).await.map_err(query_error)?;
        Ok(offset_connection(&p, after.is_some(), slice, CaseObj::staff))
    }

    /// A centre's working-day calendar for a year (public).
    async fn calendar(&self, ctx: &Context<'_>, centre: String, year: i32) -> Result<Option<CalendarYearObj>> {
        if !(1900..=2200).contains(&year) {
            return Err(coded("OUT_OF_RANGE", "a year between 1900 and 2200"));
        }
        let od = parts(ctx).0;
        Ok(od.centre_id(&centre).await.map_err(query_error)?.map(|c| CalendarYearObj { centre: c, year }))
    }

    /// The workflow a matter follows now.
    async fn workflow(&self, ctx: &Context<'_>, matter: ID) -> Result<WorkflowObj> {
        let (centre, id) = decode(Kind::Matter, &matter).ok_or_else(|| coded("INVALID_ID", "not a matter id"))?;
        let (od, caller) = parts(ctx);
        let (def, version) = od.workflow(caller, centre, MatterId(id)).await.map_err(query_error)?;
        Ok(workflow_obj(centre, &def, version))
    }
}

impl CaseQuery {
    async fn due(
        &self,
        ctx: &Context<'_>,
        centre: Option<String>,
        days: u16,
        overdue: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, CaseObj>> {
        let p = page(ctx, first, after.clone())?;
        let (od, caller) = parts(ctx);
        let Some(scope) = caller.scope() else { return Err(coded("UNAUTHENTICATED", "sign in first")) };
        let centre = match centre {
            Some(code) => od
                .centre_id(&code)
                .await
                .map_err(query_error)?
                .ok_or_else(|| coded("NOT_FOUND", format!("no centre has the code `{code}`")))?,
            None => scope.centre,
        };
        let slice = od.cases_due(caller, centre, days, overdue, &p).await.map_err(query_error)?;
        Ok(offset_connection(&p, after.is_some(), slice, CaseObj::staff))
    }
}

crate::mutation::payload!(/// Result of a case mutation.
    CasePayload, case: CaseObj);
crate::mutation::payload!(/// Result of a calendar mutation.
    CalendarPayload, calendar: CalendarYearObj);
crate::mutation::payload!(/// Result of a workflow mutation.
    WorkflowPayload, workflow: WorkflowObj);

/// The applicant.
#[derive(InputObject)]
pub struct ApplicantInput {
    /// Person or enterprise.
    pub kind: ApplicantKind,
    /// Name.
    pub name: String,
    /// Resident ID or unified social credit code.
    pub id_number: String,
    /// Contact phone.
    #[graphql(default)]
    pub phone: String,
}

/// Someone acting for the applicant.
#[derive(InputObject)]
pub struct ProxyInput {
    /// Guide or agency.
    pub kind: ProxyKind,
    /// The guide (a `Staff` id of the receiving centre), for guide service.
    pub staff: Option<ID>,
    /// The agency (a `Unit` id of kind intermediary agency), for agency service.
    pub agency: Option<ID>,
    /// The person acting.
    pub name: String,
    /// The authorisation they hold (number or description of the signed letter).
    pub authorisation: String,
}

/// An investment project.
#[derive(InputObject)]
pub struct InvestmentInput {
    /// Amount in fen.
    pub amount_fen: i64,
    /// Whether it is a key project.
    #[graphql(default)]
    pub key_project: bool,
}

/// An application.
#[derive(InputObject)]
pub struct SubmitCaseInput {
    /// The matters (of one centre), unless `bundle` is given.
    #[graphql(default)]
    pub matters: Vec<ID>,
    /// A bundle applied for as one.
    pub bundle: Option<ID>,
    /// How it came in.
    pub channel: Channel,
    /// Who applies.
    pub applicant: ApplicantInput,
    /// Who acts for them.
    pub proxy: Option<ProxyInput>,
    /// The window (required for window cases).
    pub window: Option<ID>,
    /// Names of the materials handed in.
    #[graphql(default)]
    pub materials: Vec<String>,
    /// The investment project, if any.
    pub investment: Option<InvestmentInput>,
    /// The queue ticket it is served from (an opaque id).
    pub ticket: Option<ID>,
    /// Accept at once (the materials are complete): the clock starts and the workflow opens.
    #[graphql(default)]
    pub accept: bool,
}

/// A case to act on.
#[derive(InputObject)]
pub struct CaseRefInput {
    /// The case.
    pub case: ID,
    /// Act only if the case is still at this version (else `CONFLICT`).
    pub expected_version: Option<u32>,
}

/// A case and a reason.
#[derive(InputObject)]
pub struct CaseReasonInput {
    /// The case.
    pub case: ID,
    /// Why.
    pub reason: String,
    /// Act only at this version.
    pub expected_version: Option<u32>,
}

/// A case and a note.
#[derive(InputObject)]
pub struct CaseNoteInput {
    /// The case.
    pub case: ID,
    /// What.
    #[graphql(default)]
    pub note: String,
    /// Act only at this version.
    pub expected_version: Option<u32>,
}

/// A case and a list of materials.
#[derive(InputObject)]
pub struct CaseMaterialsInput {
    /// The case.
    pub case: ID,
    /// The materials (for a request: everything missing; for a receipt: what was handed in).
    pub materials: Vec<String>,
    /// Act only at this version.
    pub expected_version: Option<u32>,
}

/// A decision on a step.
#[derive(InputObject)]
pub struct DecideStepInput {
    /// The case.
    pub case: ID,
    /// The step's number.
    pub step: u32,
    /// The decision.
    pub decision: StepDecision,
    /// The reason (required to deny) or comment.
    #[graphql(default)]
    pub comment: String,
    /// Act only at this version.
    pub expected_version: Option<u32>,
}

/// A suspension.
#[derive(InputObject)]
pub struct SuspendCaseInput {
    /// The case.
    pub case: ID,
    /// Why.
    pub reason: PauseReason,
    /// What, for people.
    pub note: String,
    /// Act only at this version.
    pub expected_version: Option<u32>,
}

/// An extension.
#[derive(InputObject)]
pub struct ExtendCaseInput {
    /// The case.
    pub case: ID,
    /// Working days added.
    pub days: u16,
    /// Why.
    pub reason: String,
    /// Act only at this version.
    pub expected_version: Option<u32>,
}

/// A hand-over of the result.
#[derive(InputObject)]
pub struct HandOverInput {
    /// The case.
    pub case: ID,
    /// Collected or delivered.
    pub how: Handover,
    /// Tracking number, who collected …
    #[graphql(default)]
    pub note: String,
    /// Act only at this version.
    pub expected_version: Option<u32>,
}

/// A declared day.
#[derive(InputObject)]
pub struct CalendarDayInput {
    /// The date.
    pub date: Date,
    /// Holiday or make-up working day.
    pub kind: DayKind,
    /// What it is.
    #[graphql(default)]
    pub note: String,
}

/// Days of the caller's centre's calendar to declare or clear.
#[derive(InputObject)]
pub struct SetCalendarDaysInput {
    /// Days to declare (replacing what those dates said).
    #[graphql(default)]
    pub days: Vec<CalendarDayInput>,
    /// Dates to clear back to the weekday rule.
    #[graphql(default)]
    pub clear: Vec<Date>,
    /// The year to return in the payload.
    pub year: i32,
}

/// A step of a workflow definition.
#[derive(InputObject)]
pub struct StepDefInput {
    /// Key, unique in the definition.
    pub key: String,
    /// Name.
    pub name: String,
    /// Task, split or join.
    pub kind: StepKind,
    /// The deciding unit of a task (a `Unit` id of the centre); omit for the matter's owner.
    pub unit: Option<ID>,
    /// The deciding role of a task.
    #[graphql(default_with = "Role::Approver")]
    pub role: Role,
    /// A task's limit in working days.
    #[graphql(default)]
    pub limit_days: u16,
    /// The following steps' keys.
    #[graphql(default)]
    pub next: Vec<String>,
}

/// A new workflow version for a matter.
#[derive(InputObject)]
pub struct SetWorkflowInput {
    /// The matter (of the caller's centre).
    pub matter: ID,
    /// The steps; the first is the start.
    pub steps: Vec<StepDefInput>,
    /// Why it changes.
    #[graphql(default)]
    pub note: String,
}

async fn act(
    ctx: &Context<'_>,
    case: &ID,
    expected: Option<u32>,
    action: impl FnOnce(&mut Ids) -> CaseAction,
) -> Result<CasePayload> {
    let mut ids = Ids::default();
    let (centre, id) = ids.one(Kind::Case, "case", case);
    let action = action(&mut ids);
    if !ids.is_empty() {
        return Ok(CasePayload::errors(ids.into_errors()));
    }
    let (od, caller) = parts(ctx);
    let r = od.act_on_case(caller, centre, CaseId(id), action, expected).await;
    Ok(CasePayload::of(finish(r, CaseObj::staff)?))
}

/// Mutations of cases, calendars and workflows.
#[derive(Debug, Default)]
pub struct CaseMutation;

#[Object]
impl CaseMutation {
    /// Receives an application: a case with its number, `SUBMITTED`; with `accept: true`
    /// accepted at once (window clerks). Guides may submit for a visitor.
    async fn submit_case(&self, ctx: &Context<'_>, input: SubmitCaseInput) -> Result<CasePayload> {
        let mut ids = Ids::default();
        let matters: Vec<(CentreId, MatterId)> =
            ids.many(Kind::Matter, "matters", &input.matters).into_iter().map(|(c, m)| (c, MatterId(m))).collect();
        let bundle =
            ids.opt(Kind::Bundle, "bundle", input.bundle.as_ref()).map(|(c, b)| (c, onedoor::domain::BundleId(b)));
        let window = ids.opt(Kind::Window, "window", input.window.as_ref()).map(|(c, w)| (c, WindowId(w)));
        let proxy = input.proxy.map(|p| ProxyDraft {
            kind: p.kind.into(),
            staff: ids.opt(Kind::Staff, "proxy.staff", p.staff.as_ref()).map(|(_, s)| StaffId(s)),
            agency: ids.opt(Kind::Unit, "proxy.agency", p.agency.as_ref()).map(|(_, u)| UnitId(u)),
            name: p.name,
            authorisation: p.authorisation,
        });
        let ticket = match &input.ticket {
            Some(t) => match crate::ids::decode_any(t) {
                Some((_, _, id)) => Some(id),
                None => {
                    ids.push(UserError::bad_id("ticket"));
                    None
                }
            },
            None => None,
        };
        if !ids.is_empty() {
            return Ok(CasePayload::errors(ids.into_errors()));
        }
        let app = Application {
            matters,
            bundle,
            channel: input.channel.into(),
            applicant: ApplicantDraft {
                kind: input.applicant.kind.into(),
                name: input.applicant.name,
                id_number: input.applicant.id_number,
                phone: input.applicant.phone,
            },
            proxy,
            window,
            materials: input.materials,
            investment: input.investment.map(|i| (i.amount_fen, i.key_project)),
            ticket,
        };
        let (od, caller) = parts(ctx);
        let r = od.submit_case(caller, app, input.accept).await;
        Ok(CasePayload::of(finish(r, CaseObj::staff)?))
    }

    /// Accepts a submitted case: the materials are complete; the clock starts.
    async fn accept_case(&self, ctx: &Context<'_>, input: CaseRefInput) -> Result<CasePayload> {
        act(ctx, &input.case, input.expected_version, |_| CaseAction::Accept).await
    }

    /// Refuses a submitted case, with a reason.
    async fn refuse_case(&self, ctx: &Context<'_>, input: CaseReasonInput) -> Result<CasePayload> {
        act(ctx, &input.case, input.expected_version, |_| CaseAction::Refuse(input.reason)).await
    }

    /// Asks for supplements: the full list of what is missing, once (一次性告知). The clock
    /// starts when they arrive.
    async fn request_supplements(&self, ctx: &Context<'_>, input: CaseMaterialsInput) -> Result<CasePayload> {
        act(ctx, &input.case, input.expected_version, |_| CaseAction::RequestSupplements(input.materials)).await
    }

    /// Records the supplements (every listed one) and accepts the case.
    async fn receive_supplements(&self, ctx: &Context<'_>, input: CaseMaterialsInput) -> Result<CasePayload> {
        act(ctx, &input.case, input.expected_version, |_| CaseAction::ReceiveSupplements(input.materials)).await
    }

    /// Decides an open step of the caller's unit's worklist (the step's role).
    async fn decide_step(&self, ctx: &Context<'_>, input: DecideStepInput) -> Result<CasePayload> {
        act(ctx, &input.case, input.expected_version, |_| CaseAction::Decide {
            step: input.step,
            decision: input.decision.into(),
            comment: input.comment,
        })
        .await
    }

    /// Stops the clock (hearing, expert review, testing …), with a reason.
    async fn suspend_case(&self, ctx: &Context<'_>, input: SuspendCaseInput) -> Result<CasePayload> {
        act(ctx, &input.case, input.expected_version, |_| CaseAction::Suspend(input.reason.into(), input.note)).await
    }

    /// Restarts the clock.
    async fn resume_case(&self, ctx: &Context<'_>, input: CaseRefInput) -> Result<CasePayload> {
        act(ctx, &input.case, input.expected_version, |_| CaseAction::Resume).await
    }

    /// Extends the limit (unit leads), within the statutory limit.
    async fn extend_case(&self, ctx: &Context<'_>, input: ExtendCaseInput) -> Result<CasePayload> {
        act(ctx, &input.case, input.expected_version, |_| CaseAction::Extend(input.days, input.reason)).await
    }

    /// Issues the result of a decided case.
    async fn issue_result(&self, ctx: &Context<'_>, input: CaseNoteInput) -> Result<CasePayload> {
        act(ctx, &input.case, input.expected_version, |_| CaseAction::IssueResult(input.note)).await
    }

    /// Hands the issued result over: collected at a window or delivered.
    async fn hand_over_result(&self, ctx: &Context<'_>, input: HandOverInput) -> Result<CasePayload> {
        act(ctx, &input.case, input.expected_version, |_| CaseAction::HandOver(input.how.into(), input.note)).await
    }

    /// Withdraws a case at the applicant's request, before a decision.
    async fn withdraw_case(&self, ctx: &Context<'_>, input: CaseReasonInput) -> Result<CasePayload> {
        act(ctx, &input.case, input.expected_version, |_| CaseAction::Withdraw(input.reason)).await
    }

    /// Declares holidays and make-up working days of the caller's centre (admin).
    async fn set_calendar_days(&self, ctx: &Context<'_>, input: SetCalendarDaysInput) -> Result<CalendarPayload> {
        let (od, caller) = parts(ctx);
        let days: Vec<cal::CalendarDay> = input
            .days
            .into_iter()
            .map(|d| cal::CalendarDay { date: d.date.0, kind: d.kind.into(), note: d.note })
            .collect();
        let clear: Vec<NaiveDate> = input.clear.into_iter().map(|d| d.0).collect();
        let year = input.year;
        let r = od.set_calendar_days(caller, &days, &clear).await;
        let centre = caller.scope().map(|s| s.centre);
        Ok(CalendarPayload::of(finish(r, |_| CalendarYearObj {
            centre: centre.unwrap_or(CentreId(uuid::Uuid::nil())),
            year,
        })?))
    }

    /// Stores a new version of a matter's workflow (admin). Cases keep the version they were
    /// accepted under.
    async fn set_workflow(&self, ctx: &Context<'_>, input: SetWorkflowInput) -> Result<WorkflowPayload> {
        let mut ids = Ids::default();
        let (centre, matter) = ids.one(Kind::Matter, "matter", &input.matter);
        let steps: Vec<wf::StepDef> = input
            .steps
            .into_iter()
            .enumerate()
            .map(|(i, s)| wf::StepDef {
                key: s.key,
                name: s.name,
                kind: s.kind.into(),
                unit: ids.opt(Kind::Unit, &format!("steps.{i}.unit"), s.unit.as_ref()).map(|(_, u)| UnitId(u)),
                role: s.role.into(),
                limit: s.limit_days,
                next: s.next,
            })
            .collect();
        if !ids.is_empty() {
            return Ok(WorkflowPayload::errors(ids.into_errors()));
        }
        let (od, caller) = parts(ctx);
        let r = od.set_workflow(caller, MatterId(matter), wf::WorkflowDef { steps }, input.note).await;
        Ok(WorkflowPayload::of(finish(r, |(def, v)| workflow_obj(centre, &def, v))?))
    }
}

/// A change to a case, for desks and dashboards.
pub struct CaseChange {
    update: onedoor::CaseUpdate,
}

#[Object]
impl CaseChange {
    /// The case's number.
    async fn number(&self) -> &str {
        &self.update.number
    }
    /// Its state now.
    async fn state(&self) -> CaseState {
        self.update.state.into()
    }
    /// Its version now.
    async fn version(&self) -> u32 {
        self.update.version
    }
    /// The case as it stands now.
    async fn case(&self, ctx: &Context<'_>) -> Result<Option<CaseObj>> {
        let (od, caller) = parts(ctx);
        Ok(od.case(caller, self.update.centre, self.update.case).await.map_err(query_error)?.map(CaseObj::staff))
    }
}

/// Subscriptions to cases.
#[derive(Debug, Default)]
pub struct CaseSubscription;

#[Subscription]
impl CaseSubscription {
    /// Changes to cases the caller's centre owns or received (staff); with `case`, to that case
    /// only.
    async fn case_updated(&self, ctx: &Context<'_>, case: Option<ID>) -> Result<impl Stream<Item = CaseChange>> {
        let (od, caller) = parts(ctx);
        let Some(scope) = caller.scope().cloned() else { return Err(coded("UNAUTHENTICATED", "sign in first")) };
        let only = match &case {
            Some(id) => Some(decode(Kind::Case, id).ok_or_else(|| coded("INVALID_ID", "not a case id"))?),
            None => None,
        };
        let caller = caller.clone();
        let rx = od.subscribe_cases();
        let stream = tokio_stream::wrappers::BroadcastStream::new(rx);
        Ok(futures_util::StreamExt::filter_map(stream, move |e| {
            let visible = match &e {
                Ok(u) => {
                    (caller.can_read(u.centre) || scope.centre == u.reception)
                        && only.is_none_or(|(c, id)| c == u.centre && id == u.case.0)
                }
                Err(_) => false,
            };
            async move {
                match e {
                    Ok(update) if visible => Some(CaseChange { update }),
                    _ => None,
                }
            }
        }))
    }
}
