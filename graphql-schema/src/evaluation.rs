//! Evaluation (好差评), electronic supervision and statistics over GraphQL: ratings with their
//! follow-up, appeals, rectifications, assessments, supervision settings and passes, fees
//! charged, the audit of the hash chains, the centre's figures, the four reductions, and the
//! live `alerts` subscription.

use crate::cases::Date;
use crate::error::{UserError, coded, query_error};
use crate::ids::{Kind, decode, encode};
use crate::mutation::{Ids, finish, payload};
use crate::plugins::{AlertObj, centre_arg, id_page};
use crate::scalars::mirror;
use crate::types::{connection, page, parts};
use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use onedoor::domain::evaluation::{self as ev, AssessmentRecord, Rating, RatingDraft, Rectification};
use onedoor::domain::id::{RatingId, RectificationId};
use onedoor::domain::rules::{self as rl, Subject};
use onedoor::domain::{CentreId, TicketId, UnitId};
use onedoor::{ChainCheck, Dimension, Figures, RatedTarget, RatingFilter, Reductions, SupervisionReport};

mirror! {
    /// What a rating is about.
    RatedKind = ev::RatedKind {
        /// A visit: a served queue ticket.
        Visit,
        /// A case.
        Case,
    }
}

mirror! {
    /// The five levels of a rating.
    RatingLevel = rl::RatingLevel {
        /// 非常满意.
        VerySatisfied,
        /// 满意.
        Satisfied,
        /// 基本满意.
        Neutral,
        /// 不满意.
        Dissatisfied,
        /// 非常不满意.
        VeryDissatisfied,
    }
}

mirror! {
    /// Where a rating came from.
    RatingChannel = rl::RatingChannel {
        /// The rating device at the window.
        OnSite,
        /// The online portal or app.
        Online,
        /// A text message after the visit.
        Sms,
        /// A phone call back to the applicant.
        ReturnCall,
        /// The 12345 citizen hotline.
        Hotline,
    }
}

mirror! {
    /// Who is told about a rating beyond the people rated.
    Escalation = rl::Escalation {
        /// Nobody.
        None,
        /// The lead of the unit rated.
        UnitLead,
        /// The centre's supervisors.
        Supervisor,
    }
}

mirror! {
    /// Where an appeal against a rating stands.
    AppealStatus = ev::AppealStatus {
        /// Waiting for a supervisor.
        Pending,
        /// Upheld: the rating no longer counts.
        Upheld,
        /// Rejected: the rating stands.
        Rejected,
    }
}

mirror! {
    /// Where a rectification stands.
    RectificationStatus = ev::RectificationStatus {
        /// Opened; nobody assigned yet.
        Opened,
        /// Assigned to a unit.
        Assigned,
        /// The unit reports it fixed.
        Fixed,
        /// The applicant was visited back.
        Visited,
        /// Closed.
        Closed,
    }
}

mirror! {
    /// What statistics are broken down by.
    StatisticsDimension = Dimension {
        /// One row per centre.
        Centre,
        /// Per unit.
        Unit,
        /// Per window.
        Window,
        /// Per zone.
        Zone,
        /// Per matter.
        Matter,
    }
}

/// Who did something, when, and their note.
#[derive(SimpleObject)]
#[graphql(name = "Act")]
pub struct ActObj {
    /// The staff id of who did it (none: the platform or an anonymous applicant).
    by: Option<ID>,
    /// When.
    at: DateTime<Utc>,
    /// Their note.
    note: String,
}

fn act(centre: CentreId, a: &ev::Act) -> ActObj {
    ActObj { by: a.by.map(|s| encode(Kind::Staff, centre, s.0)), at: a.at, note: a.note.clone() }
}

/// A unit's appeal against a rating.
#[derive(SimpleObject)]
#[graphql(name = "Appeal")]
pub struct AppealObj {
    /// Where it stands.
    status: AppealStatus,
    /// Who appealed, when, why.
    filed: ActObj,
    /// The supervisor's decision.
    decided: Option<ActObj>,
}

/// What the evaluation rule decided for a rating.
#[derive(SimpleObject)]
#[graphql(name = "FollowUp")]
pub struct FollowUpObj {
    /// Whether the applicant gets a return visit.
    return_visit: bool,
    /// Working days the rectification is given, if one was opened.
    rectification_due_in: Option<i32>,
    /// Who is told.
    escalation: Escalation,
}

/// A rating of a visit or a case.
pub struct RatingObj(pub Rating);

#[Object(name = "Rating")]
impl RatingObj {
    /// Opaque global id.
    pub(crate) async fn id(&self) -> ID {
        encode(Kind::Rating, self.0.centre, self.0.id.0)
    }
    /// Visit or case.
    async fn kind(&self) -> RatedKind {
        self.0.kind.into()
    }
    /// The case number, for a case.
    async fn case_number(&self) -> Option<&str> {
        self.0.case_number.as_deref()
    }
    /// The ticket, for a visit.
    async fn ticket(&self) -> Option<ID> {
        (self.0.kind == ev::RatedKind::Visit)
            .then(|| uuid::Uuid::parse_str(&self.0.target).ok())
            .flatten()
            .map(|t| encode(Kind::Ticket, self.0.centre, t))
    }
    /// The level.
    async fn level(&self) -> RatingLevel {
        self.0.level.into()
    }
    /// Where it came from.
    async fn channel(&self) -> RatingChannel {
        self.0.channel.into()
    }
    /// Indicators marked unsatisfactory.
    async fn indicators(&self) -> &[String] {
        &self.0.indicators
    }
    /// The comment.
    async fn comment(&self) -> &str {
        &self.0.comment
    }
    /// The window rated.
    async fn window(&self) -> Option<ID> {
        self.0.window.map(|w| encode(Kind::Window, self.0.centre, w.0))
    }
    /// The unit rated.
    async fn unit(&self) -> Option<ID> {
        self.0.unit.map(|u| encode(Kind::Unit, self.0.centre, u.0))
    }
    /// The member of staff rated.
    async fn staff(&self) -> Option<ID> {
        self.0.staff.map(|s| encode(Kind::Staff, self.0.centre, s.0))
    }
    /// Whether staff recorded it (a return call …) rather than the applicant with the code.
    async fn recorded_by_staff(&self) -> bool {
        self.0.recorded_by.is_some()
    }
    /// When.
    async fn rated_at(&self) -> DateTime<Utc> {
        self.0.rated_at
    }
    /// What the evaluation rule decided.
    async fn follow_up(&self) -> FollowUpObj {
        let f = &self.0.follow_up;
        FollowUpObj {
            return_visit: f.return_visit,
            rectification_due_in: f.rectification.map(|r| i32::from(r.due_in.get())),
            escalation: f.escalation.into(),
        }
    }
    /// Which rule decided (`builtin` or the plugin with its hash).
    async fn rule(&self) -> &str {
        &self.0.rule
    }
    /// The rectification opened.
    async fn rectification(&self, ctx: &Context<'_>) -> Result<Option<RectificationObj>> {
        let Some(id) = self.0.rectification else { return Ok(None) };
        let (od, caller) = parts(ctx);
        Ok(od.rectification(caller, self.0.centre, id).await.map_err(query_error)?.map(RectificationObj))
    }
    /// The unit's appeal.
    async fn appeal(&self) -> Option<AppealObj> {
        self.0.appeal.as_ref().map(|a| AppealObj {
            status: a.status.into(),
            filed: act(self.0.centre, &a.filed),
            decided: a.decided.as_ref().map(|d| act(self.0.centre, d)),
        })
    }
    /// Whether it counts in statistics and assessments (not after an upheld appeal).
    async fn counts(&self) -> bool {
        self.0.counts()
    }
}

/// One step of a rectification.
#[derive(SimpleObject)]
#[graphql(name = "RectificationStep")]
pub struct RectificationStepObj {
    /// The status reached.
    status: RectificationStatus,
    /// Who, when, note.
    act: ActObj,
}

/// A rectification (整改) opened after a bad rating.
pub struct RectificationObj(pub Rectification);

#[Object(name = "Rectification")]
impl RectificationObj {
    /// Opaque global id.
    pub(crate) async fn id(&self) -> ID {
        encode(Kind::Rectification, self.0.centre, self.0.id.0)
    }
    /// The rating that opened it.
    async fn rating(&self, ctx: &Context<'_>) -> Result<Option<RatingObj>> {
        let (od, caller) = parts(ctx);
        Ok(od.rating(caller, self.0.centre, self.0.rating).await.map_err(query_error)?.map(RatingObj))
    }
    /// The unit it is assigned to.
    async fn unit(&self) -> Option<ID> {
        self.0.unit.map(|u| encode(Kind::Unit, self.0.centre, u.0))
    }
    /// Where it stands.
    async fn status(&self) -> RectificationStatus {
        self.0.status.into()
    }
    /// The day it was opened.
    async fn opened_on(&self) -> Date {
        Date(self.0.opened_on)
    }
    /// The day it is due (working days counted on the centre's calendar).
    async fn due_on(&self) -> Date {
        Date(self.0.due_on)
    }
    /// Whether a return visit is due before it closes.
    async fn return_visit(&self) -> bool {
        self.0.return_visit
    }
    /// Who is told beyond the unit.
    async fn escalation(&self) -> Escalation {
        self.0.escalation.into()
    }
    /// Every step, oldest first.
    async fn steps(&self) -> Vec<RectificationStepObj> {
        self.0
            .steps
            .iter()
            .map(|(s, a)| RectificationStepObj { status: (*s).into(), act: act(self.0.centre, a) })
            .collect()
    }
    /// Whether the return visit found the applicant satisfied.
    async fn visit_satisfied(&self) -> Option<bool> {
        self.0.visit.as_ref().map(|v| v.satisfied)
    }
    /// Whether it was closed by its due date (null while open).
    async fn on_time(&self) -> Option<bool> {
        self.0.on_time()
    }
}

/// How many ratings of each level.
#[derive(SimpleObject)]
#[graphql(name = "RatingCounts")]
pub struct RatingCountsObj {
    /// 非常满意.
    very_satisfied: i64,
    /// 满意.
    satisfied: i64,
    /// 基本满意.
    neutral: i64,
    /// 不满意.
    dissatisfied: i64,
    /// 非常不满意.
    very_dissatisfied: i64,
}

/// One subject's result in an assessment.
#[derive(SimpleObject)]
#[graphql(name = "AssessedSubject")]
pub struct AssessedObj {
    /// `window`, `unit` or `staff`.
    subject_kind: String,
    /// The window, unit or member of staff.
    subject: ID,
    /// The score in points (two decimals).
    score: f64,
    /// Its rank among subjects of its kind (1 is best).
    rank: i32,
    /// Whether it ranks low in this period.
    low: bool,
    /// Whether it ranked low in this period and the previous one: flagged.
    flagged: bool,
    /// Its ratings.
    ratings: RatingCountsObj,
    /// Cases it completed.
    cases_handled: i64,
    /// Of those, late.
    overdue_cases: i64,
    /// Yellow cards.
    warnings: i64,
    /// Red cards.
    red_cards: i64,
    /// Complaints (bad ratings through the hotline).
    complaints: i64,
}

/// An assessment of a centre's windows, units and staff over a period.
pub struct AssessmentObj(pub AssessmentRecord);

#[Object(name = "Assessment")]
impl AssessmentObj {
    /// The first day.
    async fn period_start(&self) -> Date {
        Date(self.0.period_start)
    }
    /// The last day.
    async fn period_end(&self) -> Date {
        Date(self.0.period_end)
    }
    /// Which rule scored.
    async fn rule(&self) -> &str {
        &self.0.rule
    }
    /// How, in the rule's words.
    async fn method(&self) -> &str {
        &self.0.method
    }
    /// When it was computed.
    async fn computed_at(&self) -> DateTime<Utc> {
        self.0.computed_at
    }
    /// The results, best first within each kind; `kind` keeps one kind (`window`, `unit`,
    /// `staff`).
    async fn results(&self, kind: Option<String>) -> Vec<AssessedObj> {
        let centre = self.0.centre;
        self.0
            .results
            .iter()
            .filter(|r| kind.as_deref().is_none_or(|k| k.eq_ignore_ascii_case(r.counts.subject.kind())))
            .map(|r| {
                let (k, id) = match r.counts.subject {
                    Subject::Window(w) => (Kind::Window, w.0),
                    Subject::Unit(u) => (Kind::Unit, u.0),
                    Subject::Staff(s) => (Kind::Staff, s.0),
                };
                let c = &r.counts;
                AssessedObj {
                    subject_kind: c.subject.kind().to_owned(),
                    subject: encode(k, centre, id),
                    score: f64::from(r.score) / 100.0,
                    rank: i32::try_from(r.rank).unwrap_or(i32::MAX),
                    low: r.low,
                    flagged: r.flagged,
                    ratings: RatingCountsObj {
                        very_satisfied: c.ratings.very_satisfied.into(),
                        satisfied: c.ratings.satisfied.into(),
                        neutral: c.ratings.neutral.into(),
                        dissatisfied: c.ratings.dissatisfied.into(),
                        very_dissatisfied: c.ratings.very_dissatisfied.into(),
                    },
                    cases_handled: c.cases_handled.into(),
                    overdue_cases: c.overdue_cases.into(),
                    warnings: c.warnings.into(),
                    red_cards: c.red_cards.into(),
                    complaints: c.complaints.into(),
                }
            })
            .collect()
    }
}

/// One row of a centre's figures.
pub struct FiguresObj {
    figures: Figures,
    by: Dimension,
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[Object(name = "StatisticsRow")]
impl FiguresObj {
    /// The centre's code.
    async fn centre(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(parts(ctx).0.centre(self.figures.centre).await.map_err(query_error)?.map(|c| c.code.to_string()))
    }
    /// The unit, window, zone or matter of the row (null for a centre row, or for what is not
    /// attributed to one).
    async fn key(&self) -> Option<ID> {
        let kind = match self.by {
            Dimension::Centre => return None,
            Dimension::Unit => Kind::Unit,
            Dimension::Window => Kind::Window,
            Dimension::Zone => Kind::Zone,
            Dimension::Matter => Kind::Matter,
        };
        self.figures.key.map(|k| encode(kind, self.figures.centre, k))
    }
    /// Visitors: queue tickets taken.
    async fn visitors(&self) -> i64 {
        count(self.figures.visitors)
    }
    /// Tickets served.
    async fn served(&self) -> i64 {
        count(self.figures.served)
    }
    /// Tickets marked no-show.
    async fn no_shows(&self) -> i64 {
        count(self.figures.no_shows)
    }
    /// Average wait to the first call, in minutes.
    async fn average_wait_minutes(&self) -> Option<f64> {
        self.figures.average_wait_minutes()
    }
    /// Cases received in the period.
    async fn cases_received(&self) -> i64 {
        count(self.figures.cases_received)
    }
    /// Of those, accepted.
    async fn cases_accepted(&self) -> i64 {
        count(self.figures.cases_accepted)
    }
    /// Of the accepted, decided by now.
    async fn cases_completed(&self) -> i64 {
        count(self.figures.cases_completed)
    }
    /// Of the completed, within their time limit.
    async fn cases_on_time(&self) -> i64 {
        count(self.figures.cases_on_time)
    }
    /// Cases received with a guide's or agent's help.
    async fn cases_assisted(&self) -> i64 {
        count(self.figures.cases_assisted)
    }
    /// Completed of accepted (办结率).
    async fn completion_rate(&self) -> Option<f64> {
        self.figures.completion_rate()
    }
    /// On time of completed (按时办结率).
    async fn on_time_rate(&self) -> Option<f64> {
        self.figures.on_time_rate()
    }
    /// Working days used per completed case.
    async fn average_working_days(&self) -> Option<f64> {
        self.figures.average_working_days()
    }
    /// Ratings that count.
    async fn ratings(&self) -> i64 {
        count(self.figures.ratings)
    }
    /// Satisfied (very, plain and basically) of all ratings (满意率).
    async fn satisfaction_rate(&self) -> Option<f64> {
        self.figures.satisfaction_rate()
    }
    /// Dissatisfied and very dissatisfied ratings.
    async fn bad_ratings(&self) -> i64 {
        count(self.figures.bad_ratings)
    }
    /// Rectifications opened.
    async fn rectifications(&self) -> i64 {
        count(self.figures.rectifications)
    }
    /// Of those, closed.
    async fn rectifications_closed(&self) -> i64 {
        count(self.figures.rectifications_closed)
    }
    /// Closed of opened rectifications (整改率).
    async fn rectification_rate(&self) -> Option<f64> {
        self.figures.rectification_rate()
    }
    /// Deadline warnings raised.
    async fn warnings(&self) -> i64 {
        count(self.figures.warnings)
    }
    /// Yellow cards raised.
    async fn yellow_cards(&self) -> i64 {
        count(self.figures.yellow_cards)
    }
    /// Red cards raised.
    async fn red_cards(&self) -> i64 {
        count(self.figures.red_cards)
    }
}

/// A matter's four reductions (四减): now against its first version (days: against the
/// statutory limit).
#[derive(SimpleObject)]
#[graphql(name = "Reductions")]
pub struct ReductionsObj {
    /// The matter.
    matter: ID,
    /// Its code.
    code: String,
    /// Its name.
    name: String,
    /// Decision steps of its first workflow version.
    steps_before: i32,
    /// Decision steps now.
    steps_now: i32,
    /// Required materials in its first catalogue version.
    materials_before: i32,
    /// Required materials now.
    materials_now: i32,
    /// The statutory limit in working days.
    statutory_days: i32,
    /// The promised limit in working days.
    promised_days: i32,
    /// Fees in its first version, in fen.
    fees_before: i64,
    /// Fees now, in fen.
    fees_now: i64,
}

fn reductions(centre: CentreId, r: Reductions) -> ReductionsObj {
    let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    ReductionsObj {
        matter: encode(Kind::Matter, centre, r.matter.0),
        code: r.code,
        name: r.name,
        steps_before: n(r.steps.0),
        steps_now: n(r.steps.1),
        materials_before: n(r.materials.0),
        materials_now: n(r.materials.1),
        statutory_days: n(r.days.0),
        promised_days: n(r.days.1),
        fees_before: r.fees.0,
        fees_now: r.fees.1,
    }
}

/// The hash chains a centre keeps.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AuditChain {
    /// The case history.
    Cases,
    /// The alerts' lifecycle.
    Alerts,
}

/// Why a link of a chain is broken.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum BreakReason {
    /// Events are missing or were inserted.
    Missing,
    /// An event does not carry the previous event's hash.
    PrevMismatch,
    /// An event was changed.
    HashMismatch,
    /// The head does not name the last event (a cut tail).
    HeadMismatch,
}

/// The first broken link of a chain.
#[derive(SimpleObject)]
#[graphql(name = "BrokenLink")]
pub struct BrokenLinkObj {
    /// Its position in the chain.
    seq: i64,
    /// Why it is broken.
    reason: BreakReason,
    /// Which record, in words.
    record: String,
}

/// The result of walking one hash chain.
#[derive(SimpleObject)]
#[graphql(name = "AuditCheck")]
pub struct AuditCheckObj {
    /// The chain.
    chain: AuditChain,
    /// Events checked.
    events: i64,
    /// The last good hash.
    head: String,
    /// Whether every link holds.
    ok: bool,
    /// The first broken link.
    broken: Option<BrokenLinkObj>,
}

fn audit_check(c: ChainCheck) -> AuditCheckObj {
    AuditCheckObj {
        chain: match c.chain {
            onedoor::Chain::Cases => AuditChain::Cases,
            onedoor::Chain::Alerts => AuditChain::Alerts,
        },
        events: count(c.events),
        head: c.head,
        ok: c.broken.is_none(),
        broken: c.broken.map(|b| BrokenLinkObj {
            seq: b.seq,
            reason: match b.reason {
                onedoor::BreakReason::Missing => BreakReason::Missing,
                onedoor::BreakReason::PrevMismatch => BreakReason::PrevMismatch,
                onedoor::BreakReason::HashMismatch => BreakReason::HashMismatch,
                onedoor::BreakReason::HeadMismatch => BreakReason::HeadMismatch,
            },
            record: b.record,
        }),
    }
}

/// A centre's supervision settings.
#[derive(SimpleObject)]
#[graphql(name = "SupervisionSettings")]
pub struct SupervisionSettingsObj {
    /// Warn when at most this many working days are left.
    warn_days: i32,
    /// Red card when still overdue more than this many working days after the due date.
    red_after: i32,
}

fn settings(s: onedoor::domain::supervision::SupervisionSettings) -> SupervisionSettingsObj {
    SupervisionSettingsObj { warn_days: s.warn_days.into(), red_after: s.red_after.into() }
}

/// What a supervision pass did.
#[derive(SimpleObject)]
#[graphql(name = "SupervisionReport")]
pub struct SupervisionReportObj {
    /// Case events read.
    events: i64,
    /// Cases looked at.
    cases: i64,
    /// Alerts raised.
    raised: i64,
}

fn report(r: SupervisionReport) -> SupervisionReportObj {
    SupervisionReportObj { events: count(r.events), cases: count(r.cases), raised: count(r.raised) }
}

/// A fee recorded on a case, and the alert it raised when it differs from the catalogue.
#[derive(SimpleObject)]
#[graphql(name = "FeeRecord")]
pub struct FeeRecordObj {
    /// The case number.
    case_number: String,
    /// The item.
    item: String,
    /// The amount in fen.
    amount: i64,
    /// The alert, when the fee differs from the catalogue.
    alert: Option<AlertObj>,
}

/// Queries of evaluation, supervision and statistics.
#[derive(Debug, Default)]
pub struct EvaluationQuery;

#[Object]
impl EvaluationQuery {
    /// A centre's ratings, newest first (supervisors of the centre and above; other staff of the
    /// centre see their unit's).
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    #[allow(clippy::too_many_arguments)]
    async fn ratings(
        &self,
        ctx: &Context<'_>,
        centre: Option<String>,
        from: Option<Date>,
        to: Option<Date>,
        bad_only: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, RatingObj>> {
        let had = after.is_some();
        let p = id_page(ctx, first, after)?;
        let id = centre_arg(ctx, centre).await?;
        let (od, caller) = parts(ctx);
        let f = RatingFilter {
            from: from.map(|d| d.0),
            to: to.map(|d| d.0),
            unit: None,
            bad_only: bad_only.unwrap_or(false),
        };
        let s = od.ratings(caller, id, f, &p).await.map_err(query_error)?;
        Ok(connection(had, s, |r| r.id.0.to_string(), RatingObj))
    }

    /// A centre's rectifications, newest first, optionally in one status.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn rectifications(
        &self,
        ctx: &Context<'_>,
        centre: Option<String>,
        status: Option<RectificationStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, RectificationObj>> {
        let had = after.is_some();
        let p = id_page(ctx, first, after)?;
        let id = centre_arg(ctx, centre).await?;
        let (od, caller) = parts(ctx);
        let s = od.rectifications(caller, id, status.map(Into::into), &p).await.map_err(query_error)?;
        Ok(connection(had, s, |r| r.id.0.to_string(), RectificationObj))
    }

    /// A centre's assessments, latest period first (at most `last`, default 5).
    async fn assessments(
        &self,
        ctx: &Context<'_>,
        centre: Option<String>,
        last: Option<i32>,
    ) -> Result<Vec<AssessmentObj>> {
        let id = centre_arg(ctx, centre).await?;
        let (od, caller) = parts(ctx);
        let n = u64::try_from(last.unwrap_or(5).clamp(1, 50)).unwrap_or(5);
        Ok(od.assessments(caller, id, n).await.map_err(query_error)?.into_iter().map(AssessmentObj).collect())
    }

    /// The figures of a centre from `from` to `to` (at most a year), broken down `by` centre
    /// (default), unit, window, zone or matter; with `includeChildren`, also of every centre it
    /// supervises. For supervisors of the centre and above.
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        centre: Option<String>,
        from: Date,
        to: Date,
        by: Option<StatisticsDimension>,
        include_children: Option<bool>,
    ) -> Result<Vec<FiguresObj>> {
        let id = centre_arg(ctx, centre).await?;
        let (od, caller) = parts(ctx);
        let by: Dimension = by.unwrap_or(StatisticsDimension::Centre).into();
        let rows = od
            .statistics(caller, id, from.0, to.0, by, include_children.unwrap_or(false))
            .await
            .map_err(query_error)?;
        Ok(rows.into_iter().map(|figures| FiguresObj { figures, by }).collect())
    }

    /// The four reductions (四减) of a centre's active matters, by code (public).
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn four_reductions(
        &self,
        ctx: &Context<'_>,
        centre: String,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ReductionsObj>> {
        let had = after.is_some();
        let p = page(ctx, first, after)?;
        let id = centre_arg(ctx, Some(centre)).await?;
        let od = parts(ctx).0;
        let s = od.four_reductions(id, &p).await.map_err(query_error)?;
        Ok(connection(had, s, |r| r.code.clone(), |r| reductions(id, r)))
    }

    /// Walks a centre's hash chains (case history, alerts) and names the first broken link of
    /// each (supervisors of the centre and above).
    async fn audit(&self, ctx: &Context<'_>, centre: Option<String>) -> Result<Vec<AuditCheckObj>> {
        let id = centre_arg(ctx, centre).await?;
        let (od, caller) = parts(ctx);
        Ok(od.verify_audit(caller, id).await.map_err(query_error)?.into_iter().map(audit_check).collect())
    }

    /// A centre's supervision settings (supervisors of the centre and above).
    async fn supervision_settings(&self, ctx: &Context<'_>, centre: Option<String>) -> Result<SupervisionSettingsObj> {
        let id = centre_arg(ctx, centre).await?;
        let (od, caller) = parts(ctx);
        Ok(settings(od.supervision_settings(caller, id).await.map_err(query_error)?))
    }
}

/// Rates a visit (a served ticket) or a case: anonymously with the code on the ticket or
/// receipt, or recorded by staff of the centre rated without it.
#[derive(InputObject)]
pub struct RateInput {
    /// The served ticket (for a visit).
    ticket: Option<ID>,
    /// The case number (for a case).
    case_number: Option<String>,
    /// The code printed on the ticket or receipt (anonymous raters).
    code: Option<String>,
    /// The level.
    level: RatingLevel,
    /// Where the rating comes from.
    channel: RatingChannel,
    /// Indicators marked unsatisfactory: `efficiency`, `attitude`, `guidance`, `environment`,
    /// `convenience`, `integrity`.
    #[graphql(default)]
    indicators: Vec<String>,
    /// A comment.
    #[graphql(default)]
    comment: String,
}

/// A rating and a note (appeal, decision).
#[derive(InputObject)]
pub struct RatingNoteInput {
    /// The rating.
    id: ID,
    /// The reason or the note.
    note: String,
}

/// A supervisor's decision on an appeal.
#[derive(InputObject)]
pub struct DecideAppealInput {
    /// The rating.
    id: ID,
    /// Whether the appeal is upheld (the rating stops counting).
    upheld: bool,
    /// Why.
    note: String,
}

/// A step of a rectification.
#[derive(InputObject)]
pub struct RectificationStepInput {
    /// The rectification.
    id: ID,
    /// The note (what was fixed, what the applicant said …).
    #[graphql(default)]
    note: String,
    /// For `assignRectification`: the unit.
    unit: Option<ID>,
    /// For `recordReturnVisit`: whether the applicant is now satisfied.
    satisfied: Option<bool>,
}

/// A period to assess.
#[derive(InputObject)]
pub struct AssessInput {
    /// The first day.
    from: Date,
    /// The last day.
    to: Date,
}

/// The supervision settings of the admin's centre.
#[derive(InputObject)]
pub struct SupervisionSettingsInput {
    /// Warn when at most this many working days are left (0–60).
    warn_days: i32,
    /// Red card when still overdue more than this many working days after the due date (0–60).
    red_after: i32,
}

/// A fee charged on a case.
#[derive(InputObject)]
pub struct RecordFeeInput {
    /// The case number.
    case_number: String,
    /// The catalogue's fee item.
    item: String,
    /// The amount in fen.
    amount: i64,
}

payload!(/// Result of a rating mutation.
    RatingPayload, rating: RatingObj);
payload!(/// Result of a rectification mutation.
    RectificationPayload, rectification: RectificationObj);
payload!(/// Result of an assessment.
    AssessmentPayload, assessment: AssessmentObj);
payload!(/// Result of a settings change.
    SupervisionSettingsPayload, settings: SupervisionSettingsObj);
payload!(/// Result of a supervision pass.
    SupervisionReportPayload, report: SupervisionReportObj);
payload!(/// Result of recording a fee.
    FeePayload, fee: FeeRecordObj);

fn rating_id(ids: &mut Ids, id: &ID) -> (CentreId, RatingId) {
    let (c, u) = ids.one(Kind::Rating, "id", id);
    (c, RatingId(u))
}

/// Mutations of evaluation and supervision.
#[derive(Debug, Default)]
pub struct EvaluationMutation;

#[Object]
impl EvaluationMutation {
    /// Rates a visit or a case; the centre's evaluation rule decides the follow-up (a return
    /// visit, a rectification with its deadline, an escalation). Once per visit or case and
    /// channel (`DUPLICATE`); a wrong code is `INVALID_REFERENCE` on `code`.
    async fn rate(&self, ctx: &Context<'_>, input: RateInput) -> Result<RatingPayload> {
        let mut ids = Ids::default();
        let target = match (&input.ticket, &input.case_number) {
            (Some(t), None) => {
                let (centre, id) = ids.one(Kind::Ticket, "ticket", t);
                RatedTarget::Visit { centre, ticket: TicketId(id) }
            }
            (None, Some(n)) => RatedTarget::Case { number: n.clone() },
            _ => {
                return Ok(RatingPayload::errors(vec![UserError::new(
                    "ticket",
                    "REQUIRED",
                    "name either the ticket or the case number",
                )]));
            }
        };
        if !ids.is_empty() {
            return Ok(RatingPayload::errors(ids.into_errors()));
        }
        let draft = RatingDraft {
            level: input.level.into(),
            channel: input.channel.into(),
            indicators: input.indicators,
            comment: input.comment,
        };
        let (od, caller) = parts(ctx);
        let r = od.rate(caller, target, input.code.as_deref(), draft).await.map(|(r, _)| r);
        Ok(RatingPayload::of(finish(r, RatingObj)?))
    }

    /// The unit rated appeals a rating (its unit lead), with the reason.
    async fn appeal_rating(&self, ctx: &Context<'_>, input: RatingNoteInput) -> Result<RatingPayload> {
        let mut ids = Ids::default();
        let (_, id) = rating_id(&mut ids, &input.id);
        if !ids.is_empty() {
            return Ok(RatingPayload::errors(ids.into_errors()));
        }
        let (od, caller) = parts(ctx);
        Ok(RatingPayload::of(finish(od.appeal_rating(caller, id, &input.note).await, RatingObj)?))
    }

    /// A supervisor of the rating's centre upholds or rejects an appeal.
    async fn decide_appeal(&self, ctx: &Context<'_>, input: DecideAppealInput) -> Result<RatingPayload> {
        let mut ids = Ids::default();
        let (_, id) = rating_id(&mut ids, &input.id);
        if !ids.is_empty() {
            return Ok(RatingPayload::errors(ids.into_errors()));
        }
        let (od, caller) = parts(ctx);
        Ok(RatingPayload::of(finish(od.decide_appeal(caller, id, input.upheld, &input.note).await, RatingObj)?))
    }

    /// A supervisor assigns a rectification to a unit (`unit` required).
    async fn assign_rectification(
        &self,
        ctx: &Context<'_>,
        input: RectificationStepInput,
    ) -> Result<RectificationPayload> {
        let mut ids = Ids::default();
        let (_, id) = ids.one(Kind::Rectification, "id", &input.id);
        let unit = ids.opt(Kind::Unit, "unit", input.unit.as_ref());
        let Some((_, unit)) = unit else {
            ids.push(UserError::new("unit", "REQUIRED", "the unit to assign it to"));
            return Ok(RectificationPayload::errors(ids.into_errors()));
        };
        if !ids.is_empty() {
            return Ok(RectificationPayload::errors(ids.into_errors()));
        }
        let (od, caller) = parts(ctx);
        let r = od.assign_rectification(caller, RectificationId(id), UnitId(unit), &input.note).await;
        Ok(RectificationPayload::of(finish(r, RectificationObj)?))
    }

    /// Staff of the unit report what they fixed (`note` required).
    async fn fix_rectification(
        &self,
        ctx: &Context<'_>,
        input: RectificationStepInput,
    ) -> Result<RectificationPayload> {
        rectification_step(ctx, input, Step::Fix).await
    }

    /// A supervisor records the return visit (`satisfied` required).
    async fn record_return_visit(
        &self,
        ctx: &Context<'_>,
        input: RectificationStepInput,
    ) -> Result<RectificationPayload> {
        rectification_step(ctx, input, Step::Visit).await
    }

    /// A supervisor closes a rectification (after the return visit when one is due); after an
    /// unhappy return visit it goes back to the unit instead.
    async fn close_rectification(
        &self,
        ctx: &Context<'_>,
        input: RectificationStepInput,
    ) -> Result<RectificationPayload> {
        rectification_step(ctx, input, Step::Close).await
    }

    /// Assesses the supervisor's centre over a period with its `assess` rule; replaces an
    /// earlier assessment of the same period.
    async fn assess(&self, ctx: &Context<'_>, input: AssessInput) -> Result<AssessmentPayload> {
        let (od, caller) = parts(ctx);
        Ok(AssessmentPayload::of(finish(od.assess(caller, input.from.0, input.to.0).await, AssessmentObj)?))
    }

    /// Sets the warning horizon and the follow-up period of the admin's centre.
    async fn set_supervision_settings(
        &self,
        ctx: &Context<'_>,
        input: SupervisionSettingsInput,
    ) -> Result<SupervisionSettingsPayload> {
        let (od, caller) = parts(ctx);
        let r = od.set_supervision_settings(caller, input.warn_days.into(), input.red_after.into()).await;
        Ok(SupervisionSettingsPayload::of(finish(r, settings)?))
    }

    /// Runs the supervision pass now over the supervisor's centre and the centres it
    /// supervises (it also runs on every case event and on a schedule).
    async fn run_supervision(&self, ctx: &Context<'_>) -> Result<SupervisionReportPayload> {
        let (od, caller) = parts(ctx);
        Ok(SupervisionReportPayload::of(finish(od.run_supervision(caller).await, report)?))
    }

    /// Records a fee charged on a case (window clerks); a fee that differs from the catalogue
    /// of the case's matters is recorded and raises an alert.
    async fn record_fee(&self, ctx: &Context<'_>, input: RecordFeeInput) -> Result<FeePayload> {
        let (od, caller) = parts(ctx);
        let r = od.record_fee(caller, &input.case_number, &input.item, input.amount).await;
        Ok(FeePayload::of(finish(r, |alert| FeeRecordObj {
            case_number: input.case_number.trim().to_owned(),
            item: input.item.trim().to_owned(),
            amount: input.amount,
            alert: alert.map(AlertObj),
        })?))
    }
}

enum Step {
    Fix,
    Visit,
    Close,
}

async fn rectification_step(
    ctx: &Context<'_>,
    input: RectificationStepInput,
    step: Step,
) -> Result<RectificationPayload> {
    let Some((_, id)) = decode(Kind::Rectification, &input.id) else {
        return Ok(RectificationPayload::errors(vec![UserError::bad_id("id")]));
    };
    let id = RectificationId(id);
    let (od, caller) = parts(ctx);
    let r = match step {
        Step::Fix => od.fix_rectification(caller, id, &input.note).await,
        Step::Visit => match input.satisfied {
            Some(s) => od.record_return_visit(caller, id, s, &input.note).await,
            None => {
                return Ok(RectificationPayload::errors(vec![UserError::new(
                    "satisfied",
                    "REQUIRED",
                    "whether the applicant is now satisfied",
                )]));
            }
        },
        Step::Close => od.close_rectification(caller, id, &input.note).await,
    };
    Ok(RectificationPayload::of(finish(r, RectificationObj)?))
}

/// Live supervision.
#[derive(Debug, Default)]
pub struct EvaluationSubscription;

#[Subscription]
impl EvaluationSubscription {
    /// Alerts as they are raised, acknowledged and resolved: for supervisors, of their centre
    /// and the centres they supervise (a city's supervisors watch their districts turn yellow
    /// and red); for other staff, their unit's. `centre` keeps one centre.
    async fn alerts(&self, ctx: &Context<'_>, centre: Option<String>) -> Result<impl Stream<Item = AlertObj>> {
        let (od, caller) = parts(ctx);
        if caller.scope().is_none() {
            return Err(coded("UNAUTHENTICATED", "sign in first"));
        }
        let only = match centre {
            Some(code) => Some(centre_arg(ctx, Some(code)).await?),
            None => None,
        };
        let unit = od.caller_unit(caller).await.map_err(query_error)?;
        let caller = caller.clone();
        let rx = od.subscribe_alerts();
        let stream = tokio_stream::wrappers::BroadcastStream::new(rx);
        Ok(futures_util::StreamExt::filter_map(stream, move |e| {
            let keep = match e {
                Ok(a) if onedoor::Onedoor::may_see_alert(&caller, unit, &a) && only.is_none_or(|c| c == a.centre) => {
                    Some(AlertObj(a))
                }
                _ => None,
            };
            async move { keep }
        }))
    }
}
