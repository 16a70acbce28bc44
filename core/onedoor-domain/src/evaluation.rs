//! Evaluation (好差评): ratings of visits and cases, appeals against them, and the
//! rectifications that follow bad ones.
//!
//! A rating is given once per visit (a served queue ticket) or case, per channel, either
//! anonymously with the code printed on the ticket or the receipt, or by a signed-in member of
//! staff recording it (a return call, an SMS gateway). The centre's evaluation rule
//! ([`EvaluationRule::on_rating`](crate::rules::EvaluationRule::on_rating)) decides the
//! follow-up: a return visit, a [`Rectification`] with its deadline, an escalation.
//!
//! A unit that believes a rating wrong or malicious appeals; a supervisor upholds the appeal
//! (the rating no longer counts in statistics and assessments) or rejects it.

use crate::error::{DomainError, ErrorCode};
use crate::id::{AssessmentId, CentreId, MatterId, RatingId, RectificationId, StaffId, UnitId, WindowId, ZoneId};
use crate::organisation::string_enum;
use crate::rules::{Escalation, FollowUp, RatingChannel, RatingLevel, Subject, SubjectCounts, SubjectScore};
use crate::values::parse_text;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The indicators a rating may mark as unsatisfactory.
pub const INDICATORS: [&str; 6] = ["efficiency", "attitude", "guidance", "environment", "convenience", "integrity"];

/// The longest rating comment, in characters.
pub const MAX_COMMENT: usize = 500;
/// The longest note on an appeal or a rectification step, in characters.
pub const MAX_NOTE: usize = 2000;

string_enum! {
    /// What a rating is about.
    RatedKind {
        /// A visit: a served queue ticket.
        Visit = "VISIT",
        /// A case.
        Case = "CASE",
    }
}

/// A rating as typed by the applicant (or recorded by staff).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingDraft {
    /// The level.
    pub level: RatingLevel,
    /// Where it came from.
    pub channel: RatingChannel,
    /// Indicators marked unsatisfactory (from [`INDICATORS`]).
    pub indicators: Vec<String>,
    /// The comment.
    pub comment: String,
}

impl RatingDraft {
    /// Checks the draft: known indicators, each once; a comment of at most [`MAX_COMMENT`]
    /// characters. Returns the cleaned indicators and comment.
    pub fn check(&self) -> Result<(Vec<String>, String), Vec<DomainError>> {
        let mut errors = Vec::new();
        let mut indicators: Vec<String> = Vec::new();
        for (i, raw) in self.indicators.iter().enumerate() {
            let name = raw.trim().to_ascii_lowercase();
            if !INDICATORS.contains(&name.as_str()) {
                errors.push(DomainError::new(
                    format!("indicators.{i}"),
                    ErrorCode::InvalidReference,
                    format!("unknown indicator \"{raw}\"; known: {}", INDICATORS.join(", ")),
                ));
            } else if indicators.contains(&name) {
                errors.push(DomainError::new(format!("indicators.{i}"), ErrorCode::Duplicate, "listed twice"));
            } else {
                indicators.push(name);
            }
        }
        let comment = parse_text(&self.comment, MAX_COMMENT, false).map_err(|e| e.under("comment"));
        match comment {
            Ok(c) if errors.is_empty() => Ok((indicators, c)),
            Ok(_) => Err(errors),
            Err(e) => {
                errors.push(e);
                Err(errors)
            }
        }
    }
}

string_enum! {
    /// Where an appeal against a rating stands.
    AppealStatus {
        /// Waiting for a supervisor.
        Pending = "PENDING",
        /// Upheld: the rating no longer counts.
        Upheld = "UPHELD",
        /// Rejected: the rating stands.
        Rejected = "REJECTED",
    }
}

/// Who did something, when, and their note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Act {
    /// Who (none: the platform itself or an anonymous applicant).
    pub by: Option<StaffId>,
    /// When.
    pub at: DateTime<Utc>,
    /// Their note.
    pub note: String,
}

/// A unit's appeal against a rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appeal {
    /// Who appealed, when, and why.
    pub filed: Act,
    /// Where it stands.
    pub status: AppealStatus,
    /// The supervisor's decision.
    pub decided: Option<Act>,
}

impl Appeal {
    /// Files an appeal with its reason (required).
    pub fn file(by: StaffId, reason: &str, at: DateTime<Utc>) -> Result<Appeal, DomainError> {
        let note = parse_text(reason, MAX_NOTE, true).map_err(|e| e.under("reason"))?;
        Ok(Appeal { filed: Act { by: Some(by), at, note }, status: AppealStatus::Pending, decided: None })
    }

    /// Decides a pending appeal; refused (`INVALID_STATE`) when it is decided already.
    pub fn decide(&self, upheld: bool, by: StaffId, note: &str, at: DateTime<Utc>) -> Result<Appeal, DomainError> {
        let note = parse_text(note, MAX_NOTE, true).map_err(|e| e.under("note"))?;
        if self.status != AppealStatus::Pending {
            return Err(DomainError::new("id", ErrorCode::InvalidState, "the appeal is decided already"));
        }
        Ok(Appeal {
            status: if upheld { AppealStatus::Upheld } else { AppealStatus::Rejected },
            decided: Some(Act { by: Some(by), at, note }),
            ..self.clone()
        })
    }
}

/// A rating as stored, with the facts it was given about and the follow-up decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// Its id.
    pub id: RatingId,
    /// The centre rated (the serving window's, or the case's owner).
    pub centre: CentreId,
    /// Visit or case.
    pub kind: RatedKind,
    /// The ticket's id or the case number.
    pub target: String,
    /// The level.
    pub level: RatingLevel,
    /// Where it came from.
    pub channel: RatingChannel,
    /// Indicators marked unsatisfactory.
    pub indicators: Vec<String>,
    /// The comment.
    pub comment: String,
    /// The window rated.
    pub window: Option<WindowId>,
    /// The zone of the visit.
    pub zone: Option<ZoneId>,
    /// The unit rated.
    pub unit: Option<UnitId>,
    /// The member of staff rated.
    pub staff: Option<StaffId>,
    /// The matter.
    pub matter: Option<MatterId>,
    /// The case number, for a case or a visit linked to one.
    pub case_number: Option<String>,
    /// The member of staff who recorded it (none: the applicant, with the code).
    pub recorded_by: Option<StaffId>,
    /// When.
    pub rated_at: DateTime<Utc>,
    /// The centre's local day.
    pub rated_on: NaiveDate,
    /// What the evaluation rule decided.
    pub follow_up: FollowUp,
    /// Which rule decided (`builtin` or the plugin).
    pub rule: String,
    /// The rectification opened, if any.
    pub rectification: Option<RectificationId>,
    /// The unit's appeal, if any.
    pub appeal: Option<Appeal>,
}

impl Rating {
    /// Whether the rating counts in statistics and assessments (not when an appeal was upheld).
    pub fn counts(&self) -> bool {
        self.appeal.as_ref().is_none_or(|a| a.status != AppealStatus::Upheld)
    }
}

string_enum! {
    /// Where a rectification (整改) stands.
    RectificationStatus {
        /// Opened after a bad rating; nobody assigned yet.
        Opened = "OPENED",
        /// Assigned to a unit.
        Assigned = "ASSIGNED",
        /// The unit reports it fixed.
        Fixed = "FIXED",
        /// The applicant was visited (called) back.
        Visited = "VISITED",
        /// Closed by a supervisor.
        Closed = "CLOSED",
    }
}

/// The outcome of a return visit (回访).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnVisit {
    /// Whether the applicant is now satisfied.
    pub satisfied: bool,
    /// Who called, when, and what was said.
    pub act: Act,
}

/// A rectification opened after a bad rating, with its deadline in working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rectification {
    /// Its id.
    pub id: RectificationId,
    /// The rating that opened it.
    pub rating: RatingId,
    /// The centre whose work it is.
    pub centre: CentreId,
    /// The unit it is assigned to (the unit rated, when known, from the start).
    pub unit: Option<UnitId>,
    /// Where it stands.
    pub status: RectificationStatus,
    /// The day it was opened.
    pub opened_on: NaiveDate,
    /// The day it is due.
    pub due_on: NaiveDate,
    /// Whether the applicant gets a return visit before it closes.
    pub return_visit: bool,
    /// Who is told beyond the unit.
    pub escalation: Escalation,
    /// Every step, oldest first (status reached, who, when, note).
    pub steps: Vec<(RectificationStatus, Act)>,
    /// The return visit's outcome.
    pub visit: Option<ReturnVisit>,
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::new("id", ErrorCode::InvalidState, message)
}

impl Rectification {
    /// Opens a rectification; assigned at once when the unit rated is known.
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        id: RectificationId,
        rating: RatingId,
        centre: CentreId,
        unit: Option<UnitId>,
        opened_on: NaiveDate,
        due_on: NaiveDate,
        return_visit: bool,
        escalation: Escalation,
        at: DateTime<Utc>,
    ) -> Rectification {
        let mut r = Rectification {
            id,
            rating,
            centre,
            unit: None,
            status: RectificationStatus::Opened,
            opened_on,
            due_on,
            return_visit,
            escalation,
            steps: vec![(RectificationStatus::Opened, Act { by: None, at, note: String::new() })],
            visit: None,
        };
        if let Some(u) = unit {
            r.unit = Some(u);
            r.status = RectificationStatus::Assigned;
            r.steps.push((RectificationStatus::Assigned, Act { by: None, at, note: "the unit rated".into() }));
        }
        r
    }

    fn step(
        &self,
        status: RectificationStatus,
        by: StaffId,
        note: &str,
        required: bool,
        at: DateTime<Utc>,
    ) -> Result<Rectification, DomainError> {
        let note = parse_text(note, MAX_NOTE, required).map_err(|e| e.under("note"))?;
        let mut r = self.clone();
        r.status = status;
        r.steps.push((status, Act { by: Some(by), at, note }));
        Ok(r)
    }

    /// Assigns (or re-assigns) an open or assigned rectification to a unit.
    pub fn assign(
        &self,
        unit: UnitId,
        by: StaffId,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<Rectification, DomainError> {
        if !matches!(self.status, RectificationStatus::Opened | RectificationStatus::Assigned) {
            return Err(invalid(format!("the rectification is {}; only an open one is assigned", self.status)));
        }
        let mut r = self.step(RectificationStatus::Assigned, by, note, false, at)?;
        r.unit = Some(unit);
        Ok(r)
    }

    /// The unit reports what it fixed (a note is required).
    pub fn fix(&self, by: StaffId, note: &str, at: DateTime<Utc>) -> Result<Rectification, DomainError> {
        if self.status != RectificationStatus::Assigned {
            return Err(invalid(format!("the rectification is {}; only an assigned one is fixed", self.status)));
        }
        self.step(RectificationStatus::Fixed, by, note, true, at)
    }

    /// Records the return visit of a fixed rectification.
    pub fn visit(
        &self,
        satisfied: bool,
        by: StaffId,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<Rectification, DomainError> {
        if self.status != RectificationStatus::Fixed {
            return Err(invalid(format!("the rectification is {}; the return visit follows the fix", self.status)));
        }
        let mut r = self.step(RectificationStatus::Visited, by, note, true, at)?;
        r.visit = Some(ReturnVisit { satisfied, act: r.steps[r.steps.len() - 1].1.clone() });
        Ok(r)
    }

    /// Closes a rectification: after the return visit when one is due, otherwise once fixed. A
    /// return visit that found the applicant still dissatisfied sends it back to the unit
    /// instead (status `ASSIGNED`).
    pub fn close(&self, by: StaffId, note: &str, at: DateTime<Utc>) -> Result<Rectification, DomainError> {
        match (self.status, self.return_visit) {
            (RectificationStatus::Visited, _) if self.visit.as_ref().is_some_and(|v| !v.satisfied) => {
                self.step(RectificationStatus::Assigned, by, note, true, at)
            }
            (RectificationStatus::Visited, _) | (RectificationStatus::Fixed, false) => {
                self.step(RectificationStatus::Closed, by, note, true, at)
            }
            (RectificationStatus::Fixed, true) => Err(invalid("a return visit is due before it closes")),
            (s, _) => Err(invalid(format!("the rectification is {s}; it closes once fixed"))),
        }
    }

    /// Whether it was closed by its due date (`None` while open).
    pub fn on_time(&self) -> Option<bool> {
        (self.status == RectificationStatus::Closed).then(|| {
            self.steps.last().is_some_and(|(_, a)| (a.at + chrono::Duration::hours(8)).date_naive() <= self.due_on)
        })
    }
}

/// One subject's result in a stored assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessedSubject {
    /// The facts it was scored from.
    pub counts: SubjectCounts,
    /// The score in hundredths of a point.
    pub score: i32,
    /// Its rank among subjects of its kind (1 is best).
    pub rank: u32,
    /// Whether it ranks low ([`is_low`]) in this period.
    pub low: bool,
    /// Whether it ranked low in this period and the previous one too: flagged for the
    /// supervisors.
    pub flagged: bool,
}

/// An assessment of a centre's windows, units and staff over a period, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentRecord {
    /// Its id.
    pub id: AssessmentId,
    /// The centre.
    pub centre: CentreId,
    /// The first day.
    pub period_start: NaiveDate,
    /// The last day.
    pub period_end: NaiveDate,
    /// Which rule scored (`builtin` or the plugin).
    pub rule: String,
    /// How, in the rule's words.
    pub method: String,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// One result per subject, best first within each kind.
    pub results: Vec<AssessedSubject>,
}

/// Whether a rank is low: in the bottom quarter of `of` subjects of its kind (the last one of
/// fewer than four), and not shared with the best (everyone equal is nobody low).
pub fn is_low(rank: u32, of: usize) -> bool {
    let of = of as u32;
    let quarter = of.div_ceil(4).max(1);
    of > 1 && rank > 1 && rank > of - quarter
}

/// Joins the rule's scores with the facts, marks low ranks, and flags subjects that ranked low
/// in the previous period too.
pub fn assessed(
    counts: &[SubjectCounts],
    scores: &[SubjectScore],
    previously_low: &HashSet<Subject>,
) -> Vec<AssessedSubject> {
    let of_kind = |kind: &str| scores.iter().filter(|s| s.subject.kind() == kind).count();
    let mut out: Vec<AssessedSubject> = scores
        .iter()
        .filter_map(|s| {
            let c = counts.iter().find(|c| c.subject == s.subject)?;
            let low = is_low(s.rank, of_kind(s.subject.kind()));
            Some(AssessedSubject {
                counts: c.clone(),
                score: s.score,
                rank: s.rank,
                low,
                flagged: low && previously_low.contains(&s.subject),
            })
        })
        .collect();
    out.sort_by(|a, b| (a.counts.subject.kind(), a.rank).cmp(&(b.counts.subject.kind(), b.rank)));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use uuid::Uuid;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2018, 3, d).unwrap()
    }

    #[test]
    fn drafts_are_checked() {
        let d = RatingDraft {
            level: RatingLevel::Dissatisfied,
            channel: RatingChannel::OnSite,
            indicators: vec!["Attitude".into(), "speed".into(), "attitude".into()],
            comment: "x".repeat(MAX_COMMENT + 1),
        };
        let e = d.check().unwrap_err();
        let got: Vec<(&str, ErrorCode)> = e.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            got,
            [
                ("indicators.1", ErrorCode::InvalidReference),
                ("indicators.2", ErrorCode::Duplicate),
                ("comment", ErrorCode::TooLong)
            ]
        );
        let ok = RatingDraft { indicators: vec![" efficiency ".into()], comment: " slow ".into(), ..d };
        assert_eq!(ok.check().unwrap(), (vec!["efficiency".to_owned()], "slow".to_owned()));
    }

    #[test]
    fn a_rectification_goes_through_fix_visit_and_close() {
        let now = Utc::now();
        let me = StaffId(Uuid::nil());
        let r = Rectification::open(
            RectificationId(Uuid::nil()),
            RatingId(Uuid::nil()),
            CentreId(Uuid::nil()),
            None,
            day(1),
            day(8),
            true,
            Escalation::None,
            now,
        );
        assert_eq!(r.status, RectificationStatus::Opened);
        assert_eq!(r.fix(me, "done", now).unwrap_err().code, ErrorCode::InvalidState);
        let r = r.assign(UnitId(Uuid::nil()), me, "", now).unwrap();
        assert_eq!(r.fix(me, " ", now).unwrap_err().code, ErrorCode::Required);
        let r = r.fix(me, "clerk retrained", now).unwrap();
        assert_eq!(r.close(me, "ok", now).unwrap_err().code, ErrorCode::InvalidState);
        let unhappy = r.visit(false, me, "still unhappy", now).unwrap();
        assert_eq!(unhappy.close(me, "back to the unit", now).unwrap().status, RectificationStatus::Assigned);
        let r = r.visit(true, me, "satisfied now", now).unwrap();
        let closed = r.close(me, "closed", now).unwrap();
        assert_eq!(closed.status, RectificationStatus::Closed);
        assert_eq!(closed.steps.len(), 5);
        assert_eq!(closed.on_time(), Some((now + chrono::Duration::hours(8)).date_naive() <= day(8)));
    }

    #[test]
    fn without_a_return_visit_it_closes_once_fixed() {
        let now = Utc::now();
        let me = StaffId(Uuid::nil());
        let r = Rectification::open(
            RectificationId(Uuid::nil()),
            RatingId(Uuid::nil()),
            CentreId(Uuid::nil()),
            Some(UnitId(Uuid::nil())),
            day(1),
            day(8),
            false,
            Escalation::None,
            now,
        );
        assert_eq!(r.status, RectificationStatus::Assigned);
        let r = r.fix(me, "fixed", now).unwrap().close(me, "closed", now).unwrap();
        assert_eq!(r.status, RectificationStatus::Closed);
    }

    #[test]
    fn low_ranks_are_the_bottom_quarter() {
        assert!(!is_low(1, 1));
        assert!(!is_low(1, 3) && !is_low(2, 3) && is_low(3, 3));
        assert_eq!((1..=8).filter(|r| is_low(*r, 8)).collect::<Vec<_>>(), [7, 8]);
        assert!(!is_low(1, 8), "a shared first rank is never low");
    }

    #[test]
    fn an_appeal_is_decided_once() {
        let now = Utc::now();
        let me = StaffId(Uuid::nil());
        assert_eq!(Appeal::file(me, "", now).unwrap_err().code, ErrorCode::Required);
        let a = Appeal::file(me, "the applicant was not served by this window", now).unwrap();
        let d = a.decide(true, me, "CCTV confirms", now).unwrap();
        assert_eq!(d.status, AppealStatus::Upheld);
        assert_eq!(d.decide(false, me, "again", now).unwrap_err().code, ErrorCode::InvalidState);
    }
}
