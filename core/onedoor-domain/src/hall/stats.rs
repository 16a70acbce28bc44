//! Statistics of a hall over a day or a period: tickets, waiting and service times, no-shows,
//! by zone, window, centre, hour, class, channel and guide. Every breakdown adds up to the
//! total (a ticket without a window, e.g. one still waiting, is in no window's row).

use super::local_zone;
use super::queue::{PriorityClass, Ticket, TicketChannel, TicketStatus};
use crate::id::{CentreId, StaffId, WindowId, ZoneId};
use chrono::{NaiveDate, Timelike};
use std::collections::BTreeMap;

/// Counts and times of a set of tickets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsRow {
    /// Tickets taken.
    pub tickets: u64,
    /// Served.
    pub served: u64,
    /// Marked no-show.
    pub no_shows: u64,
    /// Not finished (waiting, called or being served when counted).
    pub open: u64,
    /// Tickets transferred at least once.
    pub transferred: u64,
    /// Sum of the waits (taking to first call) of the called tickets, in seconds.
    pub wait_seconds: i64,
    /// Tickets that were called (the waits summed).
    pub called: u64,
    /// Longest wait, in seconds.
    pub max_wait_seconds: i64,
    /// Sum of service times of the served tickets, in seconds.
    pub service_seconds: i64,
}

impl StatsRow {
    fn add(&mut self, t: &Ticket) {
        self.tickets += 1;
        match t.status {
            TicketStatus::Served => self.served += 1,
            TicketStatus::NoShow => self.no_shows += 1,
            _ => self.open += 1,
        }
        if t.transfers > 0 {
            self.transferred += 1;
        }
        if let Some(w) = t.wait_seconds() {
            self.called += 1;
            self.wait_seconds += w;
            self.max_wait_seconds = self.max_wait_seconds.max(w);
        }
        if let Some(s) = t.service_seconds() {
            self.service_seconds += s;
        }
    }

    /// Mean wait of the called tickets, in seconds.
    pub fn average_wait_seconds(&self) -> Option<f64> {
        (self.called > 0).then(|| self.wait_seconds as f64 / self.called as f64)
    }

    /// Mean service time of the served tickets, in seconds.
    pub fn average_service_seconds(&self) -> Option<f64> {
        (self.served > 0).then(|| self.service_seconds as f64 / self.served as f64)
    }
}

/// The statistics of a hall's tickets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statistics {
    /// Every ticket.
    pub total: StatsRow,
    /// By day.
    pub by_day: BTreeMap<NaiveDate, StatsRow>,
    /// By local hour taken (0–23).
    pub by_hour: BTreeMap<u32, StatsRow>,
    /// By zone (where it waited last).
    pub by_zone: BTreeMap<ZoneId, StatsRow>,
    /// By the window that held it last.
    pub by_window: BTreeMap<WindowId, StatsRow>,
    /// By the centre whose matter it was for (the hall's centre for tickets for a zone).
    pub by_centre: BTreeMap<CentreId, StatsRow>,
    /// By priority class.
    pub by_class: BTreeMap<PriorityClass, StatsRow>,
    /// By channel.
    pub by_channel: BTreeMap<TicketChannel, StatsRow>,
    /// By the guide or proxy agent who took it.
    pub by_guide: BTreeMap<(CentreId, StaffId), StatsRow>,
}

impl Statistics {
    /// The statistics of `tickets`.
    pub fn of<'a>(tickets: impl IntoIterator<Item = &'a Ticket>) -> Statistics {
        let mut s = Statistics::default();
        for t in tickets {
            s.total.add(t);
            s.by_day.entry(t.day).or_default().add(t);
            s.by_hour.entry(t.taken_at.with_timezone(&local_zone()).hour()).or_default().add(t);
            s.by_zone.entry(t.zone).or_default().add(t);
            if let Some(w) = t.window {
                s.by_window.entry(w).or_default().add(t);
            }
            s.by_centre.entry(t.matter.map_or(t.centre, |m| m.0)).or_default().add(t);
            s.by_class.entry(t.class).or_default().add(t);
            s.by_channel.entry(t.channel).or_default().add(t);
            if let Some(g) = t.guide {
                s.by_guide.entry(g).or_default().add(t);
            }
        }
        s
    }
}
