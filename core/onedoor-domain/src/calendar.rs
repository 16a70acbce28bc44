//! The working-day calendar and the clock of a case.
//!
//! Time limits are counted in **working days**: Monday to Friday, except the public holidays
//! a centre declares, plus the make-up working days (调休) it declares on weekends. A centre's
//! calendar is its own days over its parent's (so a city declares the national holidays once and
//! a district adds only its local ones).
//!
//! Counting starts on the day **after** the start: a case accepted on a Friday with a limit of
//! one working day is due on the next working day. A [`Clock`] adds pauses (suspensions: a
//! hearing, expert review, testing, waiting for supplements) and approved extensions.

use crate::error::{DomainError, ErrorCode};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a calendar says about one date, overriding the weekday rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A public holiday (or any other day off) on a weekday.
    Holiday,
    /// A make-up working day (调休) on a weekend.
    MakeUpWorkday,
}

/// One declared day of a calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    /// The date.
    pub date: NaiveDate,
    /// Holiday or make-up working day.
    pub kind: DayKind,
    /// What the day is, for people (e.g. "Spring Festival").
    pub note: String,
}

/// The furthest a calendar computation looks: limits beyond this are refused by
/// [`crate::values::WorkingDays`] already; this guards loops against a calendar that declares
/// every day a holiday.
const HORIZON_DAYS: i64 = 3650 * 2;

/// A centre's working-day calendar: the weekday rule with declared exceptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, DayKind>,
}

impl Calendar {
    /// A calendar from declared days; later days for the same date win (so a centre's own days
    /// given after its parent's override them).
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Calendar {
        Calendar { days: days.into_iter().collect() }
    }

    /// The declared exception for `date`, if any.
    pub fn declared(&self, date: NaiveDate) -> Option<DayKind> {
        self.days.get(&date).copied()
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.days.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::MakeUpWorkday) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`-th working day after `start` (`start` itself when `n` is 0).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut date = start;
        let mut left = n;
        let mut steps = 0;
        while left > 0 && steps < HORIZON_DAYS {
            date += Duration::days(1);
            steps += 1;
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }

    /// Working days in `(from, to]`: how many working days have passed at the end of `to` for a
    /// clock started on `from`. Negative (the days in `(to, from]`) when `to` is before `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        let span = (to - from).num_days().min(HORIZON_DAYS);
        (1..=span).filter(|d| self.is_working_day(from + Duration::days(*d))).count() as i64
    }

    /// The first working day on or after `date`.
    pub fn next_working_day(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        let mut steps = 0;
        while !self.is_working_day(d) && steps < HORIZON_DAYS {
            d += Duration::days(1);
            steps += 1;
        }
        d
    }

    /// Every declared day of `year`, in date order.
    pub fn year(&self, year: i32) -> impl Iterator<Item = (NaiveDate, DayKind)> + '_ {
        let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
        let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
        self.days.range(from..=to).map(|(d, k)| (*d, *k))
    }
}

/// Checks declared days: a holiday must fall on a weekday and a make-up working day on a
/// weekend (anything else declares nothing), and no date twice. Every violation is reported,
/// with the field `days.N.date`.
pub fn validate_days(days: &[CalendarDay]) -> Result<(), Vec<DomainError>> {
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, d) in days.iter().enumerate() {
        let field = format!("days.{i}.date");
        let weekend = matches!(d.date.weekday(), Weekday::Sat | Weekday::Sun);
        match d.kind {
            DayKind::Holiday if weekend => errors.push(DomainError::new(
                &field,
                ErrorCode::InvalidReference,
                format!("{} is a weekend day: it is off already; declare holidays on weekdays", d.date),
            )),
            DayKind::MakeUpWorkday if !weekend => errors.push(DomainError::new(
                &field,
                ErrorCode::InvalidReference,
                format!("{} is a weekday: it is a working day already; make-up days fall on weekends", d.date),
            )),
            _ => {}
        }
        if !seen.insert(d.date) {
            errors.push(DomainError::new(&field, ErrorCode::Duplicate, format!("{} is declared twice", d.date)));
        }
        if d.note.chars().count() > 200 {
            errors.push(DomainError::new(format!("days.{i}.note"), ErrorCode::TooLong, "at most 200 characters"));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Why a clock was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// A hearing (听证).
    Hearing,
    /// An expert review (专家评审).
    ExpertReview,
    /// Testing, inspection or quarantine (检验检测).
    Testing,
    /// Waiting for supplementary materials.
    Supplements,
    /// Public notice (公示).
    PublicNotice,
}

/// A stop of the clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// Why.
    pub reason: PauseReason,
    /// What, for people.
    pub note: String,
    /// The day the clock stopped (the day itself still counts).
    pub from: NaiveDate,
    /// The day it restarted (working days in `(from, until]` do not count); open while paused.
    pub until: Option<NaiveDate>,
}

/// A time limit in working days that runs from a start date, stops while paused, and may be
/// extended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// The day the clock started (counting from the next day).
    pub started_on: NaiveDate,
    /// The limit in working days.
    pub limit: u16,
    /// Approved extensions in working days.
    pub extension: u16,
    /// Pauses, oldest first; at most the last is open.
    pub pauses: Vec<Pause>,
}

impl Clock {
    /// A clock of `limit` working days started on `started_on`.
    pub fn start(started_on: NaiveDate, limit: u16) -> Clock {
        Clock { started_on, limit, extension: 0, pauses: Vec::new() }
    }

    /// Whether the clock is stopped now.
    pub fn is_paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.until.is_none())
    }

    /// Whether `day` counts against the limit: a working day outside every pause's
    /// `(from, until]` (an open pause holds every day after its start).
    fn counts(&self, cal: &Calendar, day: NaiveDate) -> bool {
        cal.is_working_day(day) && !self.pauses.iter().any(|p| day > p.from && p.until.is_none_or(|u| day <= u))
    }

    /// The due date: the day the last working day of the limit (with extensions) is used.
    /// `None` while paused before reaching it (the date moves with the pause).
    pub fn deadline(&self, cal: &Calendar) -> Option<NaiveDate> {
        let total = i64::from(self.limit) + i64::from(self.extension);
        let open_from = self.pauses.last().filter(|p| p.until.is_none()).map(|p| p.from);
        let mut day = self.started_on;
        let mut counted = 0;
        let mut steps = 0;
        while counted < total {
            if open_from.is_some_and(|f| day >= f) || steps >= HORIZON_DAYS {
                return None;
            }
            day += Duration::days(1);
            steps += 1;
            if self.counts(cal, day) {
                counted += 1;
            }
        }
        Some(day)
    }

    /// Working days used up to the end of `today` (none are used while paused).
    pub fn used(&self, cal: &Calendar, today: NaiveDate) -> i64 {
        let span = (today - self.started_on).num_days().clamp(0, HORIZON_DAYS);
        (1..=span).filter(|d| self.counts(cal, self.started_on + Duration::days(*d))).count() as i64
    }

    /// Working days left at the end of `today`: negative when overdue.
    pub fn remaining(&self, cal: &Calendar, today: NaiveDate) -> i64 {
        i64::from(self.limit) + i64::from(self.extension) - self.used(cal, today)
    }

    /// Stops the clock on `today`. Fails when it is stopped already.
    pub fn pause(&mut self, reason: PauseReason, note: String, today: NaiveDate) -> Result<(), DomainError> {
        if self.is_paused() {
            return Err(DomainError::new("", ErrorCode::InvalidState, "the clock is stopped already"));
        }
        self.pauses.push(Pause { reason, note, from: today.max(self.started_on), until: None });
        Ok(())
    }

    /// Restarts the clock on `today`. Fails when it runs.
    pub fn resume(&mut self, today: NaiveDate) -> Result<&Pause, DomainError> {
        match self.pauses.last_mut() {
            Some(p) if p.until.is_none() => {
                p.until = Some(today.max(p.from));
                Ok(p)
            }
            _ => Err(DomainError::new("", ErrorCode::InvalidState, "the clock is not stopped")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    /// China 2018: Spring Festival 15–21 February off, 11 and 24 February make-up days.
    fn spring_2018() -> Calendar {
        let mut days: Vec<(NaiveDate, DayKind)> =
            [15, 16, 19, 20, 21].iter().map(|x| (d(2018, 2, *x), DayKind::Holiday)).collect();
        days.push((d(2018, 2, 11), DayKind::MakeUpWorkday));
        days.push((d(2018, 2, 24), DayKind::MakeUpWorkday));
        Calendar::new(days)
    }

    #[test]
    fn counts_across_the_spring_festival_with_make_up_days() {
        let cal = spring_2018();
        // Accepted Friday 9 Feb; working days after: Sun 11 (make-up), Mon 12, Tue 13, Wed 14,
        // then Thu 22, Fri 23, Sat 24 (make-up), Mon 26.
        let start = d(2018, 2, 9);
        let expected = [d(2018, 2, 11), d(2018, 2, 12), d(2018, 2, 13), d(2018, 2, 14), d(2018, 2, 22)];
        for (n, want) in expected.iter().enumerate() {
            assert_eq!(cal.add_working_days(start, n as u32 + 1), *want, "day {}", n + 1);
        }
        assert_eq!(cal.add_working_days(start, 7), d(2018, 2, 24));
        assert_eq!(cal.add_working_days(start, 8), d(2018, 2, 26));
        assert_eq!(cal.working_days_between(start, d(2018, 2, 26)), 8);
        assert_eq!(cal.next_working_day(d(2018, 2, 17)), d(2018, 2, 22));
    }

    #[test]
    fn a_pause_moves_the_deadline_by_the_working_days_it_held() {
        let cal = spring_2018();
        let mut clock = Clock::start(d(2018, 2, 5), 5); // Mon 5 Feb; due Sun 11 (make-up)
        assert_eq!(clock.deadline(&cal), Some(d(2018, 2, 11)));
        clock.pause(PauseReason::ExpertReview, "panel".into(), d(2018, 2, 7)).unwrap_or(());
        assert_eq!(clock.deadline(&cal), None);
        assert_eq!(clock.remaining(&cal, d(2018, 2, 28)), 3, "frozen while paused");
        assert!(clock.resume(d(2018, 2, 13)).is_ok()); // 8, 9, 11, 12, 13 paused: 5 working days
        assert_eq!(clock.deadline(&cal), Some(cal.add_working_days(d(2018, 2, 5), 10)));
        clock.extension = 2;
        assert_eq!(clock.deadline(&cal), Some(cal.add_working_days(d(2018, 2, 5), 12)));
        assert_eq!(clock.remaining(&cal, d(2018, 2, 13)), 5);
    }

    #[test]
    fn declared_days_are_checked() {
        let days = vec![
            CalendarDay { date: d(2018, 2, 17), kind: DayKind::Holiday, note: String::new() },
            CalendarDay { date: d(2018, 2, 12), kind: DayKind::MakeUpWorkday, note: String::new() },
            CalendarDay { date: d(2018, 2, 15), kind: DayKind::Holiday, note: String::new() },
            CalendarDay { date: d(2018, 2, 15), kind: DayKind::Holiday, note: String::new() },
        ];
        let errors = validate_days(&days).err().unwrap_or_default();
        let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(
            got,
            [("days.0.date", "INVALID_REFERENCE"), ("days.1.date", "INVALID_REFERENCE"), ("days.3.date", "DUPLICATE")]
        );
    }

    fn any_calendar() -> impl Strategy<Value = Calendar> {
        proptest::collection::vec((0i64..400, prop::bool::ANY), 0..60).prop_map(|v| {
            Calendar::new(v.into_iter().map(|(off, holiday)| {
                let date = d(2018, 1, 1) + Duration::days(off);
                (date, if holiday { DayKind::Holiday } else { DayKind::MakeUpWorkday })
            }))
        })
    }

    proptest! {
        #[test]
        fn adding_then_counting_gives_back_the_days(cal in any_calendar(), off in 0i64..365, n in 0u32..120) {
            let start = d(2018, 1, 1) + Duration::days(off);
            let due = cal.add_working_days(start, n);
            prop_assert_eq!(cal.working_days_between(start, due), i64::from(n));
            prop_assert!(n == 0 || cal.is_working_day(due));
            prop_assert!(due >= start);
        }

        #[test]
        fn adding_is_monotonic_and_composes(cal in any_calendar(), off in 0i64..365, a in 0u32..60, b in 0u32..60) {
            let start = d(2018, 1, 1) + Duration::days(off);
            prop_assert!(cal.add_working_days(start, a) <= cal.add_working_days(start, a + b));
            let two_steps = cal.add_working_days(cal.add_working_days(start, a), b);
            prop_assert_eq!(two_steps, cal.add_working_days(start, a + b));
        }

        #[test]
        fn counting_is_antisymmetric_and_additive(cal in any_calendar(), x in 0i64..400, y in 0i64..400, z in 0i64..400) {
            let (a, b, c) = (d(2018, 1, 1) + Duration::days(x), d(2018, 1, 1) + Duration::days(y), d(2018, 1, 1) + Duration::days(z));
            prop_assert_eq!(cal.working_days_between(a, b), -cal.working_days_between(b, a));
            prop_assert_eq!(cal.working_days_between(a, c), cal.working_days_between(a, b) + cal.working_days_between(b, c));
        }

        #[test]
        fn the_deadline_is_the_day_the_last_working_day_is_used(cal in any_calendar(), off in 0i64..200, limit in 1u16..60,
                                            ext in 0u16..10, pause_at in 0i64..40, pause_len in 0i64..20) {
            let start = d(2018, 1, 1) + Duration::days(off);
            let mut clock = Clock::start(start, limit);
            clock.extension = ext;
            let from = start + Duration::days(pause_at);
            let until = from + Duration::days(pause_len);
            prop_assert!(clock.pause(PauseReason::Testing, String::new(), from).is_ok());
            prop_assert!(clock.deadline(&cal).is_none_or(|due| due <= from), "unknown while paused unless reached before");
            prop_assert!(clock.resume(until).is_ok());
            let due = clock.deadline(&cal).unwrap_or(NaiveDate::MIN);
            prop_assert!(cal.is_working_day(due));
            // Counted the slow way: walk the days, skipping the pause's (from, until].
            let mut counted = 0i64;
            let mut day = start;
            while counted < i64::from(limit + ext) {
                day += Duration::days(1);
                if cal.is_working_day(day) && !(day > from && day <= until) {
                    counted += 1;
                }
            }
            prop_assert_eq!(due, day);
            if due > until {
                prop_assert_eq!(clock.remaining(&cal, due), 0);
                let next = due + Duration::days(1);
                prop_assert_eq!(clock.remaining(&cal, next), -i64::from(cal.is_working_day(next)));
            }
        }
    }
}
