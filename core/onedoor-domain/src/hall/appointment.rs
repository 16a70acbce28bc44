//! Appointments (预约): slots with a capacity per zone, generated from the hall's opening hours
//! on the working days of its centre's calendar; bookings, cancellation, check-in, no-shows.

use super::queue::QueueSettings;
use crate::case::IdNumber;
use crate::error::{DomainError, ErrorCode, Violations};
use crate::id::{AppointmentId, CentreId, HallId, SlotId, TicketId, ZoneId};
use crate::organisation::string_enum;
use crate::values::Name;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

/// The most days one generation may cover.
pub const MAX_GENERATION_DAYS: i64 = 92;

/// A bookable period of a zone with a capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// Identity.
    pub id: SlotId,
    /// The hall's centre (which owns the row).
    pub centre: CentreId,
    /// The hall.
    pub hall: HallId,
    /// The zone.
    pub zone: ZoneId,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// How many bookings it takes.
    pub capacity: u16,
    /// How many bookings it holds.
    pub booked: u16,
}

impl Slot {
    /// Places left.
    pub fn free(&self) -> u16 {
        self.capacity.saturating_sub(self.booked)
    }
}

/// The slot periods of one date: the opening hours cut into `slot_minutes` pieces, none on a
/// day that is not a working day. Times are the halls' local time.
pub fn slot_periods(
    settings: &QueueSettings,
    date: NaiveDate,
    is_working_day: impl Fn(NaiveDate) -> bool,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    if !is_working_day(date) {
        return Vec::new();
    }
    let len = Duration::minutes(i64::from(settings.slot_minutes.max(1)));
    let zone = super::local_zone();
    let mut out = Vec::new();
    for (from, to) in &settings.opening_hours {
        let (Some(mut start), Some(end)) = (
            zone.from_local_datetime(&date.and_time(*from)).single(),
            zone.from_local_datetime(&date.and_time(*to)).single(),
        ) else {
            continue;
        };
        while start + len <= end {
            out.push((start.with_timezone(&Utc), (start + len).with_timezone(&Utc)));
            start += len;
        }
    }
    out
}

/// Checks a request to generate slots: dates in order, at most [`MAX_GENERATION_DAYS`], a
/// capacity of 1 to 500.
pub fn check_generation(from: NaiveDate, to: NaiveDate, capacity: i32) -> Result<u16, Vec<DomainError>> {
    let mut v = Violations::new();
    if to < from {
        v.push(DomainError::new("to", ErrorCode::OutOfRange, "the last day is before the first"));
    } else if (to - from).num_days() >= MAX_GENERATION_DAYS {
        v.push(DomainError::new("to", ErrorCode::OutOfRange, format!("at most {MAX_GENERATION_DAYS} days at once")));
    }
    let cap = if (1..=500).contains(&capacity) {
        u16::try_from(capacity).ok()
    } else {
        v.push(DomainError::new("capacity", ErrorCode::OutOfRange, "must be between 1 and 500"));
        None
    };
    v.finish(|| cap)
}

string_enum! {
    /// Where a booking is in its life.
    AppointmentStatus {
        /// Booked; waiting for the visitor.
        Booked = "BOOKED",
        /// Cancelled by the applicant.
        Cancelled = "CANCELLED",
        /// The visitor checked in and holds a ticket.
        CheckedIn = "CHECKED_IN",
        /// The slot passed without a check-in.
        Missed = "MISSED",
    }
}

/// A booked appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    /// Identity.
    pub id: AppointmentId,
    /// The hall's centre.
    pub centre: CentreId,
    /// The hall.
    pub hall: HallId,
    /// The zone.
    pub zone: ZoneId,
    /// The slot.
    pub slot: SlotId,
    /// The slot's start.
    pub starts_at: DateTime<Utc>,
    /// The slot's end.
    pub ends_at: DateTime<Utc>,
    /// The applicant's name.
    pub name: Name,
    /// The applicant's identity number.
    pub id_number: IdNumber,
    /// The booking code the applicant shows at the kiosk (the secret of the booking).
    pub code: String,
    /// Status as stored (a booked appointment whose slot has passed reads as missed).
    pub status: AppointmentStatus,
    /// The ticket it was checked in as.
    pub ticket: Option<TicketId>,
    /// When it was booked.
    pub booked_at: DateTime<Utc>,
}

impl Appointment {
    /// The status at `now`: a booking whose slot ended without a check-in is missed.
    pub fn status_at(&self, now: DateTime<Utc>) -> AppointmentStatus {
        if self.status == AppointmentStatus::Booked && now >= self.ends_at {
            AppointmentStatus::Missed
        } else {
            self.status
        }
    }

    /// Whether it may be cancelled at `now`: booked, and the slot has not started.
    pub fn check_cancel(&self, now: DateTime<Utc>) -> Result<(), DomainError> {
        if self.status_at(now) != AppointmentStatus::Booked || now >= self.starts_at {
            return Err(DomainError::new(
                "code",
                ErrorCode::InvalidState,
                "only a booking whose slot has not started can be cancelled",
            ));
        }
        Ok(())
    }

    /// Whether it may be checked in at `now`: booked, from `early` minutes before the slot to
    /// its end.
    pub fn check_in(&self, now: DateTime<Utc>, early_minutes: u16) -> Result<(), DomainError> {
        match self.status_at(now) {
            AppointmentStatus::Booked => {}
            s => {
                return Err(DomainError::new(
                    "code",
                    ErrorCode::InvalidState,
                    format!("the booking is {}", s.as_str().to_ascii_lowercase()),
                ));
            }
        }
        if now < self.starts_at - Duration::minutes(i64::from(early_minutes)) {
            return Err(DomainError::new(
                "code",
                ErrorCode::InvalidState,
                format!("check-in opens {early_minutes} minutes before the slot"),
            ));
        }
        Ok(())
    }
}

/// Checks whether an applicant may book: the slot is in the future with a place left, the
/// applicant holds fewer than the hall's bookings for that day and has missed fewer than the
/// limit recently.
pub fn check_booking(
    settings: &QueueSettings,
    slot: &Slot,
    now: DateTime<Utc>,
    bookings_that_day: usize,
    recent_misses: usize,
) -> Result<(), DomainError> {
    if slot.starts_at <= now {
        return Err(DomainError::new("slot", ErrorCode::InvalidState, "the slot has started already"));
    }
    if recent_misses >= usize::from(settings.no_show_limit) {
        return Err(DomainError::new(
            "idNumber",
            ErrorCode::LimitReached,
            format!("{recent_misses} missed appointments in the last {} days: book at a window", settings.no_show_days),
        ));
    }
    if bookings_that_day >= usize::from(settings.bookings_per_day) {
        return Err(DomainError::new(
            "idNumber",
            ErrorCode::LimitReached,
            format!("at most {} bookings per day", settings.bookings_per_day),
        ));
    }
    if slot.free() == 0 {
        return Err(DomainError::new("slot", ErrorCode::Full, "the slot is fully booked"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn slots_fill_the_opening_hours_of_working_days_only() {
        let s = QueueSettings::default();
        let monday = NaiveDate::from_ymd_opt(2018, 10, 8).unwrap_or_default();
        let periods = slot_periods(&s, monday, |d| d.weekday().number_from_monday() <= 5);
        // 09:00-12:00 and 13:30-17:00 in 30 minutes: 6 + 7.
        assert_eq!(periods.len(), 13);
        assert_eq!(periods[0].0.to_rfc3339(), "2018-10-08T01:00:00+00:00");
        assert_eq!(periods[12].1.to_rfc3339(), "2018-10-08T09:00:00+00:00");
        let sunday = NaiveDate::from_ymd_opt(2018, 10, 7).unwrap_or_default();
        assert!(slot_periods(&s, sunday, |d| d.weekday().number_from_monday() <= 5).is_empty());
        assert!(check_generation(monday, sunday, 5).is_err());
        assert_eq!(check_generation(sunday, monday, 5), Ok(5));
    }
}
