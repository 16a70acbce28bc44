//! The hall's queue (排队叫号) and appointments (预约): tickets with priority classes and their
//! fair order, calls at windows, transfers, appointment slots, and the statistics of a day.
//!
//! One hall has one numbering and one queue, shared by every centre that shares the hall: a
//! window calls the next ticket it may serve (by zone and matters), whichever centre's matter
//! the ticket is for. Everything here is pure: the platform keeps a [`queue::Queue`] per hall in
//! memory, applies operations to it and persists the tickets they change.

pub mod appointment;
pub mod queue;
pub mod stats;

pub use appointment::{Appointment, AppointmentStatus, Slot};
pub use queue::{
    Change, NewTicket, PriorityClass, Queue, QueueSettings, QueueSettingsDraft, Seat, Ticket, TicketChannel,
    TicketEvent, TicketStatus, Transfer, Weights,
};
pub use stats::{Statistics, StatsRow};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// The halls' local time: China Standard Time (UTC+8), in which days, opening hours and
/// ticket numbering are counted.
pub const LOCAL_OFFSET_SECONDS: i32 = 8 * 3600;

/// The local time zone of the halls.
pub fn local_zone() -> FixedOffset {
    LOCAL
}

/// Checked when compiling: an offset inside ±24 h.
const LOCAL: FixedOffset = match FixedOffset::east_opt(LOCAL_OFFSET_SECONDS) {
    Some(o) => o,
    None => panic!("the local offset is out of range"),
};

/// The local date of an instant: the day a ticket belongs to.
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&local_zone()).date_naive()
}
