//! Evaluation (好差评) use cases: rating a visit or a case, the follow-up decided by the
//! centre's evaluation rule, appeals, rectifications, and assessments of windows, units and
//! staff over a period.
//!
//! The rating code printed on a ticket or receipt is derived from the centre's secret key and
//! the ticket or case (8 characters): it proves the rater held the ticket or receipt without
//! storing anything per ticket, and cannot be guessed from the ticket number.

use crate::rules::RuleRef;
use crate::{Error, Onedoor, Result, new_id, require};
use chrono::Duration;
use onedoor_domain::alert::{AlertKind, NewAlert, Severity};
use onedoor_domain::case::Case;
use onedoor_domain::evaluation::{
    Appeal, AssessmentRecord, RatedKind, Rating, RatingDraft, Rectification, RectificationStatus, assessed,
};
use onedoor_domain::hall::TicketStatus;
use onedoor_domain::id::{AssessmentId, RatingId, RectificationId};
use onedoor_domain::rules::{
    AssessInput, Escalation, FollowUp, RatingCounts, RatingInput, RatingLevel, Subject, SubjectCounts,
};
use onedoor_domain::{Caller, CentreId, DomainError, ErrorCode, Role, TicketId, UnitId, WindowId};
use onedoor_store::{IdPage, Page, RatingFilter, Slice};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// What is rated: a served ticket of a hall's centre, or a case by its number.
#[derive(Debug, Clone)]
pub enum RatedTarget {
    /// A visit: the ticket (of the hall's centre).
    Visit {
        /// The hall's centre.
        centre: CentreId,
        /// The ticket.
        ticket: TicketId,
    },
    /// A case, by number.
    Case {
        /// The case number.
        number: String,
    },
}

/// The longest period an assessment or statistics cover, in days.
pub const MAX_PERIOD_DAYS: i64 = 366;

fn code_of(key: &str, kind: RatedKind, target: &str) -> String {
    // An alphabet without look-alikes (no 0/O, 1/I/L).
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let hex = onedoor_store::chain_hash(&[key, kind.as_str(), target]);
    hex.as_bytes()
        .chunks(2)
        .take(8)
        .map(|pair| {
            let byte = std::str::from_utf8(pair).ok().and_then(|p| u8::from_str_radix(p, 16).ok()).unwrap_or(0);
            ALPHABET[usize::from(byte) % ALPHABET.len()] as char
        })
        .collect()
}

fn bad_code() -> Error {
    DomainError::new("code", ErrorCode::InvalidReference, "the rating code does not match the ticket or receipt").into()
}

pub(crate) fn check_period(from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<()> {
    if to < from || (to - from).num_days() >= MAX_PERIOD_DAYS {
        return Err(DomainError::new(
            "to",
            ErrorCode::OutOfRange,
            "a period of one day to a year, ending after it starts",
        )
        .into());
    }
    Ok(())
}

/// The facts of what was rated.
struct Facts {
    centre: CentreId,
    kind: RatedKind,
    target: String,
    window: Option<WindowId>,
    zone: Option<onedoor_domain::ZoneId>,
    unit: Option<UnitId>,
    staff: Option<onedoor_domain::StaffId>,
    matter: Option<onedoor_domain::MatterId>,
    case_number: Option<String>,
    /// The centre whose key signs the code (the hall's for a visit).
    code_centre: CentreId,
}

fn lead_unit(case: &Case) -> Option<UnitId> {
    case.parallel.as_ref().map(|p| p.plan.lead_unit).or_else(|| case.matters.first().map(|m| m.matter.owner_unit))
}

impl Onedoor {
    /// The rating code of a ticket or case, as printed on it.
    pub async fn rating_code(&self, centre: CentreId, kind: RatedKind, target: &str) -> Result<String> {
        Ok(code_of(&self.rating_key(centre).await?, kind, target))
    }

    /// A centre's rating key: read once, then kept (it never changes once made).
    async fn rating_key(&self, centre: CentreId) -> Result<Arc<str>> {
        if let Some(k) = self.rating_keys.lock().ok().and_then(|m| m.get(&centre).cloned()) {
            return Ok(k);
        }
        let key: Arc<str> = self.store.supervision_state(centre).await?.rating_key.into();
        if let Ok(mut m) = self.rating_keys.lock() {
            m.insert(centre, key.clone());
        }
        Ok(key)
    }

    async fn rated_facts(&self, target: &RatedTarget) -> Result<Facts> {
        match target {
            RatedTarget::Visit { centre, ticket } => {
                let t =
                    self.store.ticket(*centre, *ticket).await?.ok_or_else(|| Error::not_found("ticket", "ticket"))?;
                if t.status != TicketStatus::Served {
                    return Err(
                        DomainError::new("ticket", ErrorCode::InvalidState, "only a served visit is rated").into()
                    );
                }
                let window = t.window.ok_or_else(|| Error::not_found("ticket", "window"))?;
                // The window may be of any centre sharing the hall: the rating is that centre's.
                let hall = self.hall_cached(*centre, t.hall).await?;
                let mut owner = None;
                for &member in self.members_cached(&hall).await?.iter() {
                    if let Some(w) = self.store.window(member, window).await? {
                        owner = Some(w.centre);
                        break;
                    }
                }
                let owner = owner.ok_or_else(|| Error::not_found("ticket", "window"))?;
                Ok(Facts {
                    centre: owner,
                    kind: RatedKind::Visit,
                    target: ticket.0.to_string(),
                    window: Some(window),
                    zone: Some(t.zone),
                    unit: None,
                    staff: None,
                    matter: t.matter.map(|(_, m)| m),
                    case_number: None,
                    code_centre: *centre,
                })
            }
            RatedTarget::Case { number } => {
                let c = self
                    .store
                    .case_by_number_unchecked(number)
                    .await?
                    .ok_or_else(|| Error::not_found("number", "case"))?;
                Ok(Facts {
                    centre: c.centre,
                    kind: RatedKind::Case,
                    target: c.number.clone(),
                    window: c.reception.window.filter(|_| c.reception.centre == c.centre),
                    zone: None,
                    unit: lead_unit(&c),
                    staff: Some(c.reception.staff),
                    matter: c.matters.first().map(|m| m.matter.id),
                    case_number: Some(c.number.clone()),
                    code_centre: c.centre,
                })
            }
        }
    }

    /// Rates a visit or a case: anonymously with the code printed on the ticket or receipt, or
    /// recorded by staff of the centre rated (a return call, an SMS gateway) without it. The
    /// centre's evaluation rule decides the follow-up; a rectification it asks for is opened
    /// with its deadline in working days. Once per visit or case and channel (`DUPLICATE`).
    ///
    /// When the centre's plugin fails, the rating is kept with the built-in rule's follow-up
    /// (the applicant's rating is never lost), the rule recorded says so, and the failure
    /// raises an alert.
    pub async fn rate(
        &self,
        caller: &Caller,
        target: RatedTarget,
        code: Option<&str>,
        draft: RatingDraft,
    ) -> Result<(Rating, Option<Rectification>)> {
        let (indicators, comment) = draft.check()?;
        let facts = self.rated_facts(&target).await?;
        let recorded_by = match caller.scope() {
            Some(s) if s.centre == facts.centre || s.centre == facts.code_centre => Some(s.staff),
            _ => {
                let given = code.map(|c| c.trim().to_ascii_uppercase()).unwrap_or_default();
                if given.is_empty() {
                    return Err(
                        DomainError::new("code", ErrorCode::Required, "the code on the ticket or receipt").into()
                    );
                }
                if given != self.rating_code(facts.code_centre, facts.kind, &facts.target).await? {
                    return Err(bad_code());
                }
                None
            }
        };
        let today = self.today();
        let recent_bad = self
            .store
            .bad_ratings_of(facts.centre, facts.staff, facts.window, today - Duration::days(30), today)
            .await?;
        let input = RatingInput {
            today,
            level: draft.level,
            channel: draft.channel,
            indicators: indicators.clone(),
            comment: comment.clone(),
            window: facts.window,
            unit: facts.unit,
            staff: facts.staff,
            matter: facts.matter,
            case_number: facts.case_number.clone(),
            recent_bad_ratings: u32::try_from(recent_bad).unwrap_or(u32::MAX),
        };
        let id = RatingId(new_id());
        let rules = self.rules(facts.centre).await?;
        let (follow_up, rule): (FollowUp, String) = match rules.on_rating(&input) {
            Ok(d) => {
                if let Some(record) = &d.record {
                    self.record_decision(facts.centre, record, Some(&id.0.to_string())).await?;
                }
                (d.value, d.rule.to_string())
            }
            Err(failure) => {
                let _ = self.rule_failed(facts.centre, &failure, Some(&id.0.to_string())).await;
                let fallback = crate::rules::Rules::built_in(facts.centre)
                    .on_rating(&input)
                    .map_err(|f| Error::Refused { field: String::new(), code: f.code, message: f.message })?;
                (fallback.value, format!("{} ({} failed: {})", RuleRef::Builtin, failure.rule, failure.code))
            }
        };
        let rectification = match follow_up.rectification {
            Some(r) => {
                let cal = self.calendar(facts.centre).await?;
                Some(Rectification::open(
                    RectificationId(new_id()),
                    id,
                    facts.centre,
                    facts.unit,
                    today,
                    cal.add_working_days(today, u32::from(r.due_in.get())),
                    follow_up.return_visit,
                    follow_up.escalation,
                    self.now(),
                ))
            }
            None => None,
        };
        let rating = Rating {
            id,
            centre: facts.centre,
            kind: facts.kind,
            target: facts.target,
            level: draft.level,
            channel: draft.channel,
            indicators,
            comment,
            window: facts.window,
            zone: facts.zone,
            unit: facts.unit,
            staff: facts.staff,
            matter: facts.matter,
            case_number: facts.case_number,
            recorded_by,
            rated_at: self.now(),
            rated_on: today,
            follow_up: follow_up.clone(),
            rule,
            rectification: rectification.as_ref().map(|r| r.id),
            appeal: None,
        };
        self.store.add_rating(&rating, rectification.as_ref()).await.map_err(|e| Error::from_store(e, "channel"))?;
        if follow_up.escalation != Escalation::None {
            let new = NewAlert {
                kind: AlertKind::BadRating,
                severity: if follow_up.escalation == Escalation::Supervisor {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                subject: Some(rating.case_number.clone().unwrap_or_else(|| rating.target.clone())),
                unit: rating.unit,
                key: Some(format!("rating:{}", rating.id)),
                message: format!(
                    "a {} rating ({}) escalated to the {}",
                    serde_json::to_value(rating.level)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    if rating.comment.is_empty() { "no comment" } else { rating.comment.as_str() },
                    if follow_up.escalation == Escalation::Supervisor { "supervisors" } else { "unit lead" }
                ),
                details: serde_json::json!({ "rating": rating.id.0 }).to_string(),
            };
            self.raise_alert(rating.centre, new).await?;
        }
        Ok((rating, rectification))
    }

    /// A rating, for supervisors of its centre (and above) and staff of the unit rated.
    pub async fn rating(&self, caller: &Caller, centre: CentreId, id: RatingId) -> Result<Option<Rating>> {
        let Some(r) = self.store.rating(centre, id).await? else { return Ok(None) };
        Ok(self.may_read_unit(caller, centre, r.unit).await?.then_some(r))
    }

    async fn may_read_unit(&self, caller: &Caller, centre: CentreId, unit: Option<UnitId>) -> Result<bool> {
        let Some(scope) = caller.scope() else { return Ok(false) };
        if scope.has(Role::Supervisor) && scope.can_read(centre) {
            return Ok(true);
        }
        Ok(scope.centre == centre && unit.is_some() && self.staff_unit(caller, scope).await? == unit)
    }

    /// A centre's ratings, newest first: supervisors see all, other staff of the centre their
    /// unit's.
    pub async fn ratings(
        &self,
        caller: &Caller,
        centre: CentreId,
        mut f: RatingFilter,
        page: &IdPage,
    ) -> Result<Slice<Rating>> {
        let scope = caller.scope().ok_or(Error::Unauthenticated)?;
        if !(scope.has(Role::Supervisor) && scope.can_read(centre)) {
            if scope.centre != centre {
                return Err(Error::Forbidden(Role::Supervisor));
            }
            f.unit = Some(self.staff_unit(caller, scope).await?.ok_or(Error::Forbidden(Role::Supervisor))?);
        }
        Ok(self.store.ratings(centre, f, page).await?)
    }

    /// The unit rated appeals a rating it believes wrong or malicious (its unit lead).
    pub async fn appeal_rating(&self, caller: &Caller, id: RatingId, reason: &str) -> Result<Rating> {
        let scope = require(caller, Role::UnitLead)?;
        let before = self.store.rating(scope.centre, id).await?.ok_or_else(|| Error::not_found("id", "rating"))?;
        if before.unit.is_none() || self.staff_unit(caller, scope).await? != before.unit {
            return Err(DomainError::new("id", ErrorCode::NotAssigned, "only the unit rated appeals its rating").into());
        }
        if before.appeal.is_some() {
            return Err(DomainError::new("id", ErrorCode::InvalidState, "the rating was appealed already").into());
        }
        let after = Rating { appeal: Some(Appeal::file(scope.staff, reason, self.now())?), ..before.clone() };
        self.store.update_rating(&before, &after).await?;
        Ok(after)
    }

    /// A supervisor of the rating's centre decides an appeal: upheld (the rating no longer
    /// counts) or rejected.
    pub async fn decide_appeal(&self, caller: &Caller, id: RatingId, upheld: bool, note: &str) -> Result<Rating> {
        let scope = require(caller, Role::Supervisor)?;
        let before = self.store.rating(scope.centre, id).await?.ok_or_else(|| Error::not_found("id", "rating"))?;
        let appeal = before
            .appeal
            .as_ref()
            .ok_or_else(|| DomainError::new("id", ErrorCode::InvalidState, "the rating has no appeal"))?;
        let after = Rating { appeal: Some(appeal.decide(upheld, scope.staff, note, self.now())?), ..before.clone() };
        self.store.update_rating(&before, &after).await?;
        Ok(after)
    }

    // ----- rectifications -----

    /// A rectification, for supervisors of its centre (and above) and staff of its unit.
    pub async fn rectification(
        &self,
        caller: &Caller,
        centre: CentreId,
        id: RectificationId,
    ) -> Result<Option<Rectification>> {
        let Some((r, _)) = self.store.rectification(centre, id).await? else { return Ok(None) };
        Ok(self.may_read_unit(caller, centre, r.unit).await?.then_some(r))
    }

    /// A centre's rectifications, newest first: supervisors see all, other staff their unit's.
    pub async fn rectifications(
        &self,
        caller: &Caller,
        centre: CentreId,
        status: Option<RectificationStatus>,
        page: &IdPage,
    ) -> Result<Slice<Rectification>> {
        let scope = caller.scope().ok_or(Error::Unauthenticated)?;
        let unit = if scope.has(Role::Supervisor) && scope.can_read(centre) {
            None
        } else if scope.centre == centre {
            Some(self.staff_unit(caller, scope).await?.ok_or(Error::Forbidden(Role::Supervisor))?)
        } else {
            return Err(Error::Forbidden(Role::Supervisor));
        };
        Ok(self.store.rectifications(centre, status, unit, page).await?)
    }

    async fn move_rectification(
        &self,
        caller: &Caller,
        id: RectificationId,
        unit_only: bool,
        step: impl FnOnce(&Rectification, onedoor_domain::StaffId) -> Result<Rectification, DomainError>,
    ) -> Result<Rectification> {
        let scope = caller.scope().ok_or(Error::Unauthenticated)?;
        let (before, version) =
            self.store.rectification(scope.centre, id).await?.ok_or_else(|| Error::not_found("id", "rectification"))?;
        if unit_only {
            if before.unit.is_none() || self.staff_unit(caller, scope).await? != before.unit {
                return Err(
                    DomainError::new("id", ErrorCode::NotAssigned, "the rectification is another unit's").into()
                );
            }
        } else {
            require(caller, Role::Supervisor)?;
        }
        let after = step(&before, scope.staff)?;
        self.store.update_rectification(&after, version).await?;
        Ok(after)
    }

    /// A supervisor assigns (or re-assigns) a rectification to a unit of the centre.
    pub async fn assign_rectification(
        &self,
        caller: &Caller,
        id: RectificationId,
        unit: UnitId,
        note: &str,
    ) -> Result<Rectification> {
        let scope = require(caller, Role::Supervisor)?;
        if self.store.unit(scope.centre, unit).await?.is_none() {
            return Err(Error::not_found("unit", "unit"));
        }
        let now = self.now();
        self.move_rectification(caller, id, false, |r, by| r.assign(unit, by, note, now)).await
    }

    /// Staff of the unit report what they fixed.
    pub async fn fix_rectification(&self, caller: &Caller, id: RectificationId, note: &str) -> Result<Rectification> {
        let now = self.now();
        self.move_rectification(caller, id, true, |r, by| r.fix(by, note, now)).await
    }

    /// A supervisor records the return visit.
    pub async fn record_return_visit(
        &self,
        caller: &Caller,
        id: RectificationId,
        satisfied: bool,
        note: &str,
    ) -> Result<Rectification> {
        let now = self.now();
        self.move_rectification(caller, id, false, |r, by| r.visit(satisfied, by, note, now)).await
    }

    /// A supervisor closes a rectification (or sends it back to the unit after an unhappy
    /// return visit).
    pub async fn close_rectification(&self, caller: &Caller, id: RectificationId, note: &str) -> Result<Rectification> {
        let now = self.now();
        self.move_rectification(caller, id, false, |r, by| r.close(by, note, now)).await
    }

    // ----- assessment -----

    /// Assesses the supervisor's centre over a period with the centre's `assess` rule: every
    /// window, unit and member of staff rated or handling cases, scored and ranked; low ranks
    /// two periods running are flagged. Replaces an earlier assessment of the same period.
    pub async fn assess(
        &self,
        caller: &Caller,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<AssessmentRecord> {
        let scope = require(caller, Role::Supervisor)?;
        check_period(from, to)?;
        let centre = scope.centre;
        self.supervise(centre).await?;
        let mut subjects: BTreeMap<Subject, SubjectCounts> = BTreeMap::new();
        let blank = |s: Subject| SubjectCounts {
            subject: s,
            ratings: RatingCounts::default(),
            cases_handled: 0,
            overdue_cases: 0,
            warnings: 0,
            red_cards: 0,
            complaints: 0,
        };
        for hall in self.store.halls_of(centre).await? {
            let mut page = Page { after: None, limit: 500 };
            loop {
                let s = self.store.windows(&hall, None, &page).await?;
                for w in s.items.iter().filter(|w| w.centre == centre) {
                    subjects.entry(Subject::Window(w.id)).or_insert_with(|| blank(Subject::Window(w.id)));
                }
                if !s.has_next {
                    break;
                }
                page.after = s.items.last().map(|w| w.number.as_str().to_owned());
            }
        }
        let mut page = Page { after: None, limit: 500 };
        loop {
            let s = self.store.units(centre, &page).await?;
            for u in &s.items {
                subjects.entry(Subject::Unit(u.id)).or_insert_with(|| blank(Subject::Unit(u.id)));
            }
            if !s.has_next {
                break;
            }
            page.after = s.items.last().map(|u| u.code.as_str().to_owned());
        }
        for r in self.store.ratings_in(centre, from, to).await? {
            let subs = [r.window.map(Subject::Window), r.unit.map(Subject::Unit), r.staff.map(Subject::Staff)];
            for s in subs.into_iter().flatten() {
                let c = subjects.entry(s).or_insert_with(|| blank(s));
                let n = match r.level {
                    RatingLevel::VerySatisfied => &mut c.ratings.very_satisfied,
                    RatingLevel::Satisfied => &mut c.ratings.satisfied,
                    RatingLevel::Neutral => &mut c.ratings.neutral,
                    RatingLevel::Dissatisfied => &mut c.ratings.dissatisfied,
                    RatingLevel::VeryDissatisfied => &mut c.ratings.very_dissatisfied,
                };
                *n += 1;
                if r.level.is_bad() && r.channel == onedoor_domain::rules::RatingChannel::Hotline {
                    c.complaints += 1;
                }
            }
        }
        for f in self.store.case_facts_decided(centre, from, to).await? {
            let subs = [
                f.unit_id.map(|u| Subject::Unit(UnitId(u))),
                f.reception_window_id
                    .filter(|_| f.reception_centre_id == centre.0)
                    .map(|w| Subject::Window(WindowId(w))),
            ];
            for s in subs.into_iter().flatten() {
                if let Some(c) = subjects.get_mut(&s) {
                    c.cases_handled += 1;
                    c.overdue_cases += u32::from(f.overdue);
                }
            }
        }
        for (unit, yellow, red) in self.store.cards_by_unit(centre, from, to).await? {
            if let Some(c) = subjects.get_mut(&Subject::Unit(unit)) {
                c.warnings += yellow;
                c.red_cards += red;
            }
        }
        let counts: Vec<SubjectCounts> = subjects.into_values().collect();
        let input = AssessInput { today: self.today(), period_start: from, period_end: to, subjects: counts.clone() };
        let rules = self.rules(centre).await?;
        let id = AssessmentId(new_id());
        let decided = match rules.assess(&input) {
            Ok(d) => d,
            Err(failure) => return Err(self.rule_failed(centre, &failure, Some(&id.0.to_string())).await),
        };
        if let Some(record) = &decided.record {
            self.record_decision(centre, record, Some(&id.0.to_string())).await?;
        }
        let previous = self.store.assessment_before(centre, from).await?;
        let previously_low: HashSet<Subject> = previous
            .map(|p| p.results.iter().filter(|r| r.low).map(|r| r.counts.subject).collect())
            .unwrap_or_default();
        let record = AssessmentRecord {
            id,
            centre,
            period_start: from,
            period_end: to,
            rule: decided.rule.to_string(),
            method: decided.value.method.clone(),
            computed_at: self.now(),
            results: assessed(&counts, &decided.value.scores, &previously_low),
        };
        self.store.put_assessment(&record).await?;
        Ok(record)
    }

    /// A centre's assessments, latest period first (supervisors of the centre and above).
    pub async fn assessments(&self, caller: &Caller, centre: CentreId, limit: u64) -> Result<Vec<AssessmentRecord>> {
        let scope = require(caller, Role::Supervisor)?;
        if !scope.can_read(centre) {
            return Ok(Vec::new());
        }
        Ok(self.store.assessments(centre, limit).await?)
    }
}
