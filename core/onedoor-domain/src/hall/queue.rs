//! The live queue of one hall for one day: tickets, their fair order, and the window's moves.
//!
//! **Order.** Each priority class (appointment, priority, ordinary) has a weight. Calls are
//! shared between the classes that have a ticket the calling window may serve by stride
//! scheduling: every class has a *pass*; the class with the lowest pass is served and its pass
//! grows by `STRIDE / weight`. A class that had nothing waiting does not save up credit (its pass
//! is lifted to the current virtual time), so a burst of one class cannot starve the others:
//! while an ordinary ticket waits, at most `Σ (w_c / w_ordinary + 1)` tickets of other classes
//! are called before it. Within a class, tickets are called in the order they were taken; a
//! transferred ticket keeps its place (the order key it was given when taken).
//!
//! **Eligibility.** A ticket waits in a zone. A window may call it when the window is in that
//! zone and, for a ticket taken for a matter, serves the matter; a ticket transferred to one
//! window waits for that window alone.

use crate::error::{DomainError, ErrorCode, Violations};
use crate::id::{AppointmentId, CentreId, HallId, MatterId, StaffId, TicketId, WindowId, ZoneId};
use crate::organisation::string_enum;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use std::collections::{BTreeSet, HashMap, HashSet};

string_enum! {
    /// A ticket's priority class.
    PriorityClass {
        /// Checked in from an appointment.
        Appointment = "APPOINTMENT",
        /// Elderly or disabled visitors (and others the hall's rules put first).
        Priority = "PRIORITY",
        /// Everyone else.
        Ordinary = "ORDINARY",
    }
}

impl PriorityClass {
    fn index(self) -> usize {
        match self {
            PriorityClass::Appointment => 0,
            PriorityClass::Priority => 1,
            PriorityClass::Ordinary => 2,
        }
    }
}

string_enum! {
    /// Where a ticket is in its life.
    TicketStatus {
        /// Waiting to be called.
        Waiting = "WAITING",
        /// Called to a window; the visitor is on the way.
        Called = "CALLED",
        /// Being served at the window.
        Serving = "SERVING",
        /// Served: done.
        Served = "SERVED",
        /// Called and did not come.
        NoShow = "NO_SHOW",
    }
}

impl TicketStatus {
    /// Whether nothing more happens to the ticket.
    pub fn is_final(self) -> bool {
        matches!(self, TicketStatus::Served | TicketStatus::NoShow)
    }
}

string_enum! {
    /// How a ticket was taken.
    TicketChannel {
        /// At a ticket machine or kiosk, by the visitor.
        Kiosk = "KIOSK",
        /// By a guide or proxy agent (帮办代办) for the visitor.
        Guide = "GUIDE",
        /// By checking in an appointment.
        Appointment = "APPOINTMENT",
    }
}

string_enum! {
    /// What happened to a ticket (its history, and the live stream of the display boards).
    TicketEvent {
        /// Taken.
        Taken = "TAKEN",
        /// Called to a window.
        Called = "CALLED",
        /// Called again.
        Recalled = "RECALLED",
        /// Service started.
        ServiceStarted = "SERVICE_STARTED",
        /// Served.
        Served = "SERVED",
        /// Did not come.
        NoShow = "NO_SHOW",
        /// Sent to another zone or window.
        Transferred = "TRANSFERRED",
    }
}

/// The weights of the priority classes: the share of calls each gets while all have tickets
/// waiting (each 1 to 20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Weights {
    /// Appointment tickets.
    pub appointment: u8,
    /// Priority (elderly, disabled) tickets.
    pub priority: u8,
    /// Ordinary tickets.
    pub ordinary: u8,
}

impl Weights {
    /// The weight of `class`.
    pub fn of(&self, class: PriorityClass) -> u8 {
        match class {
            PriorityClass::Appointment => self.appointment,
            PriorityClass::Priority => self.priority,
            PriorityClass::Ordinary => self.ordinary,
        }
    }
}

/// A hall's queue and appointment rules.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueueSettings {
    /// Class weights.
    pub weights: Weights,
    /// How many recalls must go unanswered before a ticket may be marked a no-show.
    pub no_show_after_recalls: u8,
    /// Minutes a service takes on average (the estimate before the day has its own figures).
    pub average_service_minutes: u16,
    /// Opening hours (local time), sorted and not overlapping: appointment slots fill them.
    pub opening_hours: Vec<(NaiveTime, NaiveTime)>,
    /// Length of an appointment slot, in minutes.
    pub slot_minutes: u16,
    /// Most bookings one applicant may hold for one day in this hall.
    pub bookings_per_day: u8,
    /// Missed appointments within [`QueueSettings::no_show_days`] that bar an applicant from
    /// booking.
    pub no_show_limit: u8,
    /// The period (days back from today) in which missed appointments count.
    pub no_show_days: u16,
    /// Minutes before its slot an appointment may be checked in.
    pub check_in_early_minutes: u16,
}

impl Default for QueueSettings {
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        QueueSettings {
            weights: Weights { appointment: 3, priority: 2, ordinary: 1 },
            no_show_after_recalls: 2,
            average_service_minutes: 8,
            opening_hours: vec![(t(9, 0), t(12, 0)), (t(13, 30), t(17, 0))],
            slot_minutes: 30,
            bookings_per_day: 2,
            no_show_limit: 3,
            no_show_days: 90,
            check_in_early_minutes: 30,
        }
    }
}

/// The settings as typed: every field optional (omitted fields keep the current value).
#[derive(Debug, Clone, Default)]
pub struct QueueSettingsDraft {
    /// Weight of appointment tickets.
    pub appointment_weight: Option<i32>,
    /// Weight of priority tickets.
    pub priority_weight: Option<i32>,
    /// Weight of ordinary tickets.
    pub ordinary_weight: Option<i32>,
    /// See [`QueueSettings::no_show_after_recalls`].
    pub no_show_after_recalls: Option<i32>,
    /// See [`QueueSettings::average_service_minutes`].
    pub average_service_minutes: Option<i32>,
    /// Opening hours as `HH:MM` pairs.
    pub opening_hours: Option<Vec<(String, String)>>,
    /// See [`QueueSettings::slot_minutes`].
    pub slot_minutes: Option<i32>,
    /// See [`QueueSettings::bookings_per_day`].
    pub bookings_per_day: Option<i32>,
    /// See [`QueueSettings::no_show_limit`].
    pub no_show_limit: Option<i32>,
    /// See [`QueueSettings::no_show_days`].
    pub no_show_days: Option<i32>,
    /// See [`QueueSettings::check_in_early_minutes`].
    pub check_in_early_minutes: Option<i32>,
}

fn ranged<T: TryFrom<i32>>(v: i32, lo: i32, hi: i32) -> Result<T, DomainError> {
    if v < lo || v > hi {
        return Err(DomainError::new("", ErrorCode::OutOfRange, format!("must be between {lo} and {hi}")));
    }
    T::try_from(v).map_err(|_| DomainError::new("", ErrorCode::OutOfRange, "out of range"))
}

fn time(s: &str) -> Result<NaiveTime, DomainError> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| DomainError::new("", ErrorCode::OutOfRange, "a time is written HH:MM (00:00 to 23:59)"))
}

impl QueueSettingsDraft {
    /// Applies the draft over `current`, checking every field.
    pub fn apply(self, current: &QueueSettings) -> Result<QueueSettings, Vec<DomainError>> {
        let mut v = Violations::new();
        let mut s = current.clone();
        if let Some(w) = self.appointment_weight {
            s.weights.appointment = v.take("appointmentWeight", ranged(w, 1, 20)).unwrap_or(s.weights.appointment);
        }
        if let Some(w) = self.priority_weight {
            s.weights.priority = v.take("priorityWeight", ranged(w, 1, 20)).unwrap_or(s.weights.priority);
        }
        if let Some(w) = self.ordinary_weight {
            s.weights.ordinary = v.take("ordinaryWeight", ranged(w, 1, 20)).unwrap_or(s.weights.ordinary);
        }
        macro_rules! field {
            ($f:ident, $name:literal, $lo:expr, $hi:expr) => {
                if let Some(x) = self.$f {
                    if let Some(x) = v.take($name, ranged(x, $lo, $hi)) {
                        s.$f = x;
                    }
                }
            };
        }
        field!(no_show_after_recalls, "noShowAfterRecalls", 0, 10);
        field!(average_service_minutes, "averageServiceMinutes", 1, 240);
        field!(slot_minutes, "slotMinutes", 5, 240);
        field!(bookings_per_day, "bookingsPerDay", 1, 20);
        field!(no_show_limit, "noShowLimit", 1, 100);
        field!(no_show_days, "noShowDays", 1, 3650);
        field!(check_in_early_minutes, "checkInEarlyMinutes", 0, 240);
        if let Some(hours) = self.opening_hours {
            let mut parsed = Vec::new();
            for (i, (from, to)) in hours.iter().enumerate() {
                let f = v.take(&format!("openingHours.{i}.from"), time(from));
                let t = v.take(&format!("openingHours.{i}.to"), time(to));
                if let (Some(f), Some(t)) = (f, t) {
                    if f >= t {
                        v.push(DomainError::new(
                            format!("openingHours.{i}.to"),
                            ErrorCode::OutOfRange,
                            "a period ends after it starts",
                        ));
                    } else if parsed.last().is_some_and(|&(_, end)| f < end) {
                        v.push(DomainError::new(
                            format!("openingHours.{i}.from"),
                            ErrorCode::OutOfRange,
                            "periods are in order and do not overlap",
                        ));
                    }
                    parsed.push((f, t));
                }
            }
            if hours.is_empty() {
                v.push(DomainError::new("openingHours", ErrorCode::TooFew, "at least one opening period"));
            }
            s.opening_hours = parsed;
        }
        v.finish(|| Some(s))
    }
}

/// A queue ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Identity.
    pub id: TicketId,
    /// The hall's centre (which owns the ticket row).
    pub centre: CentreId,
    /// The hall.
    pub hall: HallId,
    /// The local day it was taken on; numbers restart every day.
    pub day: NaiveDate,
    /// The readable prefix (the zone's code).
    pub prefix: String,
    /// The number after the prefix, from 1 each day.
    pub seq: u32,
    /// Its place in the hall's day: the order it was taken in (kept through transfers).
    pub order: u64,
    /// The zone it waits in.
    pub zone: ZoneId,
    /// The matter it was taken for (of any centre sharing the hall), if one.
    pub matter: Option<(CentreId, MatterId)>,
    /// Priority class.
    pub class: PriorityClass,
    /// How it was taken.
    pub channel: TicketChannel,
    /// The guide or proxy agent who took it for the visitor.
    pub guide: Option<(CentreId, StaffId)>,
    /// The appointment it was checked in from.
    pub appointment: Option<AppointmentId>,
    /// Status.
    pub status: TicketStatus,
    /// The window that holds (or last held) it.
    pub window: Option<WindowId>,
    /// After a transfer to one window: the only window that may call it.
    pub target_window: Option<WindowId>,
    /// Calls since the last call from the waiting state (0 at the first call).
    pub recalls: u8,
    /// How often it was transferred.
    pub transfers: u8,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// When it was first called.
    pub first_called_at: Option<DateTime<Utc>>,
    /// When it was last called.
    pub called_at: Option<DateTime<Utc>>,
    /// When service started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it was served or marked a no-show.
    pub ended_at: Option<DateTime<Utc>>,
    /// Changes so far (0 when taken).
    pub version: u32,
}

impl Ticket {
    /// The number shown and called, e.g. `A015`.
    pub fn number(&self) -> String {
        format!("{}{:03}", self.prefix, self.seq)
    }

    /// Seconds from taking to the first call.
    pub fn wait_seconds(&self) -> Option<i64> {
        self.first_called_at.map(|c| (c - self.taken_at).num_seconds())
    }

    /// Seconds of service: from the start (or the last call) to the end, for served tickets.
    pub fn service_seconds(&self) -> Option<i64> {
        if self.status != TicketStatus::Served {
            return None;
        }
        let from = self.started_at.or(self.called_at)?;
        self.ended_at.map(|e| (e - from).num_seconds())
    }
}

/// A window as the queue sees it: its zone and the matters it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// The window.
    pub window: WindowId,
    /// Its zone.
    pub zone: ZoneId,
    /// The matters it serves.
    pub matters: HashSet<(CentreId, MatterId)>,
}

impl Seat {
    /// Whether this window may call `t`.
    pub fn may_serve(&self, t: &Ticket) -> bool {
        match t.target_window {
            Some(w) => w == self.window,
            None => t.zone == self.zone && t.matter.is_none_or(|m| self.matters.contains(&m)),
        }
    }
}

/// A ticket to take.
#[derive(Debug, Clone)]
pub struct NewTicket {
    /// Its id (chosen by the caller, so a retried request stays one ticket).
    pub id: TicketId,
    /// The zone.
    pub zone: ZoneId,
    /// The zone's code: the prefix.
    pub prefix: String,
    /// The matter, if taken for one.
    pub matter: Option<(CentreId, MatterId)>,
    /// Class.
    pub class: PriorityClass,
    /// Channel.
    pub channel: TicketChannel,
    /// The guide who took it.
    pub guide: Option<(CentreId, StaffId)>,
    /// The appointment checked in.
    pub appointment: Option<AppointmentId>,
}

/// Where a ticket is transferred to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// Any window of a zone (the ticket's matter no longer narrows it).
    Zone(ZoneId),
    /// One window (in the given zone).
    Window(WindowId, ZoneId),
}

/// What an operation changed: the ticket as it is now and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The ticket after the operation.
    pub ticket: Ticket,
    /// What happened.
    pub event: TicketEvent,
    /// The window that acted (for calls, service and transfers).
    pub window: Option<WindowId>,
}

/// The stride numerator: `STRIDE / weight` is a class's step (weights are 1 to 20, which all
/// divide it).
const STRIDE: u64 = 232_792_560;

/// The stride scheduler's state of each zone; persisted with the queue, so fairness survives a
/// restart.
pub type ZonePasses = HashMap<ZoneId, Passes>;

/// The stride scheduler's state of one zone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Passes {
    /// Each class's pass (appointment, priority, ordinary).
    pub pass: [u64; 3],
    /// The virtual time: the pass of the class served last.
    pub vtime: u64,
}

type Lane = [BTreeSet<(u64, TicketId)>; 3];

/// The live queue of one hall for one day.
#[derive(Debug, Clone)]
pub struct Queue {
    centre: CentreId,
    hall: HallId,
    day: NaiveDate,
    settings: QueueSettings,
    tickets: HashMap<TicketId, Ticket>,
    /// Waiting tickets per zone, per class, in order.
    by_zone: HashMap<ZoneId, Lane>,
    /// Waiting tickets transferred to one window.
    by_window: HashMap<WindowId, Lane>,
    /// The ticket each window holds (called or serving).
    at_window: HashMap<WindowId, TicketId>,
    counters: HashMap<String, u32>,
    next_order: u64,
    passes: ZonePasses,
}

fn refuse(field: &str, code: ErrorCode, message: impl Into<String>) -> DomainError {
    DomainError::new(field, code, message)
}

impl Queue {
    /// An empty queue of `hall` (run by `centre`) for `day`.
    pub fn new(centre: CentreId, hall: HallId, day: NaiveDate, settings: QueueSettings) -> Queue {
        Queue {
            centre,
            hall,
            day,
            settings,
            tickets: HashMap::new(),
            by_zone: HashMap::new(),
            by_window: HashMap::new(),
            at_window: HashMap::new(),
            counters: HashMap::new(),
            next_order: 1,
            passes: ZonePasses::new(),
        }
    }

    /// The queue rebuilt from stored tickets of its day and the stored passes.
    pub fn restore(
        centre: CentreId,
        hall: HallId,
        day: NaiveDate,
        settings: QueueSettings,
        passes: ZonePasses,
        tickets: impl IntoIterator<Item = Ticket>,
    ) -> Queue {
        let mut q = Queue::new(centre, hall, day, settings);
        q.passes = passes;
        for t in tickets {
            if t.day != day {
                continue;
            }
            let c = q.counters.entry(t.prefix.clone()).or_insert(0);
            *c = (*c).max(t.seq);
            q.next_order = q.next_order.max(t.order + 1);
            q.index(&t);
            q.tickets.insert(t.id, t);
        }
        q
    }

    fn lane(&mut self, t: &Ticket) -> &mut BTreeSet<(u64, TicketId)> {
        let lanes = match t.target_window {
            Some(w) => self.by_window.entry(w).or_default(),
            None => self.by_zone.entry(t.zone).or_default(),
        };
        &mut lanes[t.class.index()]
    }

    fn index(&mut self, t: &Ticket) {
        match t.status {
            TicketStatus::Waiting => {
                self.lane(t).insert((t.order, t.id));
            }
            TicketStatus::Called | TicketStatus::Serving => {
                if let Some(w) = t.window {
                    self.at_window.insert(w, t.id);
                }
            }
            TicketStatus::Served | TicketStatus::NoShow => {}
        }
    }

    fn unindex(&mut self, t: &Ticket) {
        match t.status {
            TicketStatus::Waiting => {
                self.lane(t).remove(&(t.order, t.id));
            }
            TicketStatus::Called | TicketStatus::Serving => {
                if let Some(w) = t.window
                    && self.at_window.get(&w) == Some(&t.id)
                {
                    self.at_window.remove(&w);
                }
            }
            TicketStatus::Served | TicketStatus::NoShow => {}
        }
    }

    /// Replaces a ticket, keeping the indexes right.
    fn put(&mut self, t: Ticket) {
        if let Some(old) = self.tickets.remove(&t.id) {
            self.unindex(&old);
        }
        self.index(&t);
        self.tickets.insert(t.id, t);
    }

    /// The hall's centre.
    pub fn centre(&self) -> CentreId {
        self.centre
    }

    /// The hall.
    pub fn hall(&self) -> HallId {
        self.hall
    }

    /// The day.
    pub fn day(&self) -> NaiveDate {
        self.day
    }

    /// The rules in force.
    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    /// The scheduler's state (to persist).
    pub fn passes(&self) -> &ZonePasses {
        &self.passes
    }

    /// A ticket of the day.
    pub fn ticket(&self, id: TicketId) -> Option<&Ticket> {
        self.tickets.get(&id)
    }

    /// Every ticket of the day, in the order taken.
    pub fn tickets(&self) -> Vec<&Ticket> {
        let mut v: Vec<&Ticket> = self.tickets.values().collect();
        v.sort_by_key(|t| t.order);
        v
    }

    /// The ticket a window holds (called or serving).
    pub fn at_window(&self, w: WindowId) -> Option<&Ticket> {
        self.at_window.get(&w).and_then(|id| self.tickets.get(id))
    }

    /// Takes a ticket: the next number of its prefix, the last place in the day's order.
    pub fn take(&mut self, new: NewTicket, now: DateTime<Utc>) -> Result<Change, DomainError> {
        if self.tickets.contains_key(&new.id) {
            return Err(refuse("id", ErrorCode::Duplicate, "this ticket was taken already"));
        }
        let seq = self.counters.entry(new.prefix.clone()).or_insert(0);
        if *seq >= 999_999 {
            return Err(refuse("zone", ErrorCode::OutOfRange, "the day's numbers of this zone are used up"));
        }
        *seq += 1;
        let t = Ticket {
            id: new.id,
            centre: self.centre,
            hall: self.hall,
            day: self.day,
            prefix: new.prefix,
            seq: *seq,
            order: self.next_order,
            zone: new.zone,
            matter: new.matter,
            class: new.class,
            channel: new.channel,
            guide: new.guide,
            appointment: new.appointment,
            status: TicketStatus::Waiting,
            window: None,
            target_window: None,
            recalls: 0,
            transfers: 0,
            taken_at: now,
            first_called_at: None,
            called_at: None,
            started_at: None,
            ended_at: None,
            version: 0,
        };
        self.next_order += 1;
        self.put(t.clone());
        Ok(Change { ticket: t, event: TicketEvent::Taken, window: None })
    }

    /// The first waiting ticket of `class` that `seat` may call.
    fn candidate(&self, seat: &Seat, class: PriorityClass) -> Option<(u64, TicketId)> {
        let i = class.index();
        let targeted = self.by_window.get(&seat.window).and_then(|l| l[i].first().copied());
        let zoned = self
            .by_zone
            .get(&seat.zone)
            .and_then(|l| l[i].iter().find(|(_, id)| self.tickets.get(id).is_some_and(|t| seat.may_serve(t))).copied());
        match (targeted, zoned) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Calls the next ticket `seat` may serve, in the fair order; `None` when none waits. A
    /// window that still holds a ticket must finish, transfer or give it up first.
    pub fn call_next(&mut self, seat: &Seat, now: DateTime<Utc>) -> Result<Option<Change>, DomainError> {
        if let Some(held) = self.at_window(seat.window) {
            return Err(refuse(
                "window",
                ErrorCode::InvalidState,
                format!("the window still holds ticket {}; finish or transfer it first", held.number()),
            ));
        }
        let passes = self.passes.get(&seat.zone).copied().unwrap_or_default();
        let mut best: Option<(u64, usize, PriorityClass, TicketId)> = None;
        for class in PriorityClass::ALL.iter().copied() {
            if let Some((_, id)) = self.candidate(seat, class) {
                let eff = passes.pass[class.index()].max(passes.vtime);
                let key = (eff, class.index());
                if best.is_none_or(|(e, i, _, _)| key < (e, i)) {
                    best = Some((eff, class.index(), class, id));
                }
            }
        }
        let Some((eff, _, class, id)) = best else { return Ok(None) };
        let p = self.passes.entry(seat.zone).or_default();
        p.vtime = eff;
        p.pass[class.index()] = eff + STRIDE / u64::from(self.settings.weights.of(class).max(1));
        let mut t = self.tickets.get(&id).cloned().ok_or_else(|| refuse("ticket", ErrorCode::Conflict, "gone"))?;
        t.status = TicketStatus::Called;
        t.window = Some(seat.window);
        t.target_window = None;
        t.recalls = 0;
        t.first_called_at.get_or_insert(now);
        t.called_at = Some(now);
        t.version += 1;
        self.put(t.clone());
        Ok(Some(Change { ticket: t, event: TicketEvent::Called, window: Some(seat.window) }))
    }

    fn held_by(&self, id: TicketId, window: Option<WindowId>) -> Result<Ticket, DomainError> {
        let t = self
            .tickets
            .get(&id)
            .ok_or_else(|| refuse("ticket", ErrorCode::InvalidReference, "no such ticket today"))?;
        if let Some(w) = window
            && t.window != Some(w)
        {
            return Err(refuse("window", ErrorCode::NotAssigned, "another window holds this ticket"));
        }
        Ok(t.clone())
    }

    fn status_error(t: &Ticket, wanted: &str) -> DomainError {
        refuse(
            "ticket",
            ErrorCode::InvalidState,
            format!("ticket {} is {}; this needs it {wanted}", t.number(), t.status.as_str().to_ascii_lowercase()),
        )
    }

    /// Calls a called ticket again (the visitor did not come yet).
    pub fn recall(
        &mut self,
        id: TicketId,
        window: Option<WindowId>,
        now: DateTime<Utc>,
    ) -> Result<Change, DomainError> {
        let mut t = self.held_by(id, window)?;
        if t.status != TicketStatus::Called {
            return Err(Self::status_error(&t, "called"));
        }
        if t.recalls >= 99 {
            return Err(refuse("ticket", ErrorCode::OutOfRange, "recalled too often; mark it a no-show"));
        }
        t.recalls += 1;
        t.called_at = Some(now);
        t.version += 1;
        self.put(t.clone());
        Ok(Change { ticket: t, event: TicketEvent::Recalled, window: self.tickets.get(&id).and_then(|t| t.window) })
    }

    /// Marks a called ticket a no-show, after the hall's number of unanswered recalls.
    pub fn no_show(
        &mut self,
        id: TicketId,
        window: Option<WindowId>,
        now: DateTime<Utc>,
    ) -> Result<Change, DomainError> {
        let mut t = self.held_by(id, window)?;
        if t.status != TicketStatus::Called {
            return Err(Self::status_error(&t, "called"));
        }
        let needed = self.settings.no_show_after_recalls;
        if t.recalls < needed {
            return Err(refuse(
                "ticket",
                ErrorCode::InvalidState,
                format!("recall the ticket {} more time(s) before marking it a no-show", needed - t.recalls),
            ));
        }
        let w = t.window;
        t.status = TicketStatus::NoShow;
        t.ended_at = Some(now);
        t.version += 1;
        self.put(t.clone());
        Ok(Change { ticket: t, event: TicketEvent::NoShow, window: w })
    }

    /// Starts serving a called ticket.
    pub fn start(&mut self, id: TicketId, window: Option<WindowId>, now: DateTime<Utc>) -> Result<Change, DomainError> {
        let mut t = self.held_by(id, window)?;
        if t.status != TicketStatus::Called {
            return Err(Self::status_error(&t, "called"));
        }
        let w = t.window;
        t.status = TicketStatus::Serving;
        t.started_at = Some(now);
        t.version += 1;
        self.put(t.clone());
        Ok(Change { ticket: t, event: TicketEvent::ServiceStarted, window: w })
    }

    /// Ends the service of a called or serving ticket: served.
    pub fn end(&mut self, id: TicketId, window: Option<WindowId>, now: DateTime<Utc>) -> Result<Change, DomainError> {
        let mut t = self.held_by(id, window)?;
        if !matches!(t.status, TicketStatus::Called | TicketStatus::Serving) {
            return Err(Self::status_error(&t, "called or serving"));
        }
        let w = t.window;
        t.status = TicketStatus::Served;
        t.ended_at = Some(now);
        t.version += 1;
        self.put(t.clone());
        Ok(Change { ticket: t, event: TicketEvent::Served, window: w })
    }

    /// Sends a called, serving or waiting ticket to another zone or window; it waits there in
    /// the place it was taken in.
    pub fn transfer(&mut self, id: TicketId, to: Transfer, window: Option<WindowId>) -> Result<Change, DomainError> {
        let mut t = self.held_by(id, None)?;
        if t.status.is_final() {
            return Err(Self::status_error(&t, "waiting, called or serving"));
        }
        if let Some(w) = window
            && t.status != TicketStatus::Waiting
            && t.window != Some(w)
        {
            return Err(refuse("window", ErrorCode::NotAssigned, "another window holds this ticket"));
        }
        if t.transfers >= 99 {
            return Err(refuse("ticket", ErrorCode::OutOfRange, "transferred too often"));
        }
        let from = t.window;
        match to {
            Transfer::Zone(z) => {
                t.zone = z;
                t.matter = None;
                t.target_window = None;
            }
            Transfer::Window(w, z) => {
                if from == Some(w) && t.status != TicketStatus::Waiting {
                    return Err(refuse("window", ErrorCode::InvalidReference, "the ticket is at this window already"));
                }
                t.zone = z;
                t.target_window = Some(w);
            }
        }
        t.status = TicketStatus::Waiting;
        t.transfers += 1;
        t.recalls = 0;
        t.version += 1;
        self.put(t.clone());
        Ok(Change { ticket: t, event: TicketEvent::Transferred, window: from })
    }

    /// Tickets waiting in `zone`, per class (appointment, priority, ordinary), including those
    /// transferred to one of its windows.
    pub fn waiting_in(&self, zone: ZoneId) -> [usize; 3] {
        let mut out = [0; 3];
        if let Some(l) = self.by_zone.get(&zone) {
            for (i, o) in out.iter_mut().enumerate() {
                *o += l[i].len();
            }
        }
        for l in self.by_window.values() {
            for (i, o) in out.iter_mut().enumerate() {
                *o += l[i].iter().filter(|(_, id)| self.tickets.get(id).is_some_and(|t| t.zone == zone)).count();
            }
        }
        out
    }

    /// The calls expected before a waiting ticket's (1 = next): the zone's scheduler run
    /// forward over the tickets waiting now, as if one window called them all.
    pub fn position(&self, id: TicketId) -> Option<usize> {
        let t = self.tickets.get(&id)?;
        if t.status != TicketStatus::Waiting {
            return None;
        }
        let lanes = match t.target_window {
            Some(w) => self.by_window.get(&w)?,
            None => self.by_zone.get(&t.zone)?,
        };
        let own = t.class.index();
        let mut left = [lanes[0].len(), lanes[1].len(), lanes[2].len()];
        left[own] = lanes[own].range(..(t.order, t.id)).count() + 1;
        let mut p = self.passes.get(&t.zone).copied().unwrap_or_default();
        let mut calls = 0;
        loop {
            calls += 1;
            let (eff, k) = (0..3).filter(|k| left[*k] > 0).map(|k| (p.pass[k].max(p.vtime), k)).min()?;
            if k == own && left[k] == 1 {
                return Some(calls);
            }
            left[k] -= 1;
            p.vtime = eff;
            p.pass[k] = eff + STRIDE / u64::from(self.settings.weights.of(PriorityClass::ALL[k]).max(1));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_700_000_000 + min * 60, 0).unwrap_or_default()
    }

    fn queue(weights: (u8, u8, u8)) -> Queue {
        let settings = QueueSettings {
            weights: Weights { appointment: weights.0, priority: weights.1, ordinary: weights.2 },
            ..QueueSettings::default()
        };
        Queue::new(CentreId(Uuid::nil()), HallId(Uuid::nil()), at(0).date_naive(), settings)
    }

    fn zone(n: u128) -> ZoneId {
        ZoneId(Uuid::from_u128(n))
    }

    fn seat(n: u128, z: u128) -> Seat {
        Seat { window: WindowId(Uuid::from_u128(1000 + n)), zone: zone(z), matters: HashSet::new() }
    }

    fn new(z: u128, class: PriorityClass) -> NewTicket {
        NewTicket {
            id: TicketId(Uuid::now_v7()),
            zone: zone(z),
            prefix: format!("Z{z}"),
            matter: None,
            class,
            channel: TicketChannel::Kiosk,
            guide: None,
            appointment: None,
        }
    }

    fn class_of(i: u8) -> PriorityClass {
        PriorityClass::ALL[usize::from(i % 3)]
    }

    #[test]
    fn numbers_per_prefix_and_a_busy_window() {
        let mut q = queue((3, 2, 1));
        let a = q.take(new(1, PriorityClass::Ordinary), at(0)).unwrap();
        let b = q.take(new(1, PriorityClass::Ordinary), at(1)).unwrap();
        let c = q.take(new(2, PriorityClass::Ordinary), at(1)).unwrap();
        assert_eq!(
            (a.ticket.number(), b.ticket.number(), c.ticket.number()),
            ("Z1001".into(), "Z1002".into(), "Z2001".into())
        );
        let s = seat(1, 1);
        let called = q.call_next(&s, at(2)).unwrap().unwrap();
        assert_eq!(called.ticket.id, a.ticket.id);
        assert_eq!(q.call_next(&s, at(2)).map_err(|e| e.code), Err(ErrorCode::InvalidState));
        assert_eq!(q.no_show(a.ticket.id, None, at(3)).map_err(|e| e.code), Err(ErrorCode::InvalidState));
        q.recall(a.ticket.id, Some(s.window), at(3)).unwrap();
        q.recall(a.ticket.id, Some(s.window), at(4)).unwrap();
        assert_eq!(q.no_show(a.ticket.id, Some(s.window), at(5)).unwrap().ticket.status, TicketStatus::NoShow);
        assert_eq!(q.call_next(&s, at(6)).unwrap().unwrap().ticket.id, b.ticket.id);
        assert_eq!(q.call_next(&seat(2, 1), at(6)).unwrap(), None, "zone 1 is empty; zone 2's ticket is not for it");
    }

    #[test]
    fn matter_tickets_wait_for_a_window_serving_the_matter() {
        let mut q = queue((3, 2, 1));
        let m = (CentreId(Uuid::from_u128(7)), MatterId(Uuid::from_u128(8)));
        let mut t = new(1, PriorityClass::Ordinary);
        t.matter = Some(m);
        let id = q.take(t, at(0)).unwrap().ticket.id;
        assert_eq!(q.call_next(&seat(1, 1), at(1)).unwrap(), None);
        let mut serving = seat(2, 1);
        serving.matters.insert(m);
        assert_eq!(q.call_next(&serving, at(1)).unwrap().map(|c| c.ticket.id), Some(id));
    }

    #[test]
    fn a_restored_queue_goes_on_where_it_stopped() {
        let mut q = queue((3, 2, 1));
        for i in 0..5 {
            q.take(new(1, class_of(i)), at(i64::from(i))).unwrap();
        }
        q.call_next(&seat(1, 1), at(9)).unwrap();
        let tickets: Vec<Ticket> = q.tickets().into_iter().cloned().collect();
        let mut r = Queue::restore(q.centre(), q.hall(), q.day(), q.settings().clone(), q.passes().clone(), tickets);
        let next_a = q.take(new(1, PriorityClass::Ordinary), at(10)).unwrap().ticket;
        let next_b = r.take(new(1, PriorityClass::Ordinary), at(10)).unwrap().ticket;
        assert_eq!((next_a.seq, next_a.order), (next_b.seq, next_b.order));
        q.end(q.at_window(seat(1, 1).window).unwrap().id, None, at(11)).unwrap();
        r.end(r.at_window(seat(1, 1).window).unwrap().id, None, at(11)).unwrap();
        let a = q.call_next(&seat(1, 1), at(12)).unwrap().map(|c| c.ticket.number());
        let b = r.call_next(&seat(1, 1), at(12)).unwrap().map(|c| c.ticket.number());
        assert_eq!(a, b);
    }

    /// An operation of the property tests.
    #[derive(Debug, Clone)]
    enum Op {
        Take { zone: u8, class: u8 },
        Call { window: u8 },
        Finish { window: u8, served: bool },
        Transfer { window: u8, zone: u8 },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..2u8, 0..3u8).prop_map(|(zone, class)| Op::Take { zone, class }),
            4 => (0..4u8).prop_map(|window| Op::Call { window }),
            3 => (0..4u8, any::<bool>()).prop_map(|(window, served)| Op::Finish { window, served }),
            1 => (0..4u8, 0..2u8).prop_map(|(window, zone)| Op::Transfer { window, zone }),
        ]
    }

    proptest! {
        /// Every ticket is called at most once from the waiting state per stay there, never by
        /// a window that may not serve it, never while another window holds it; each window
        /// holds at most one ticket.
        #[test]
        fn tickets_are_called_once_and_by_the_right_windows(ops in proptest::collection::vec(op(), 1..200)) {
            let mut q = queue((3, 2, 1));
            let seats: Vec<Seat> = (0..4u8).map(|w| seat(u128::from(w), u128::from(w % 2))).collect();
            let mut holders: HashMap<TicketId, WindowId> = HashMap::new();
            let mut now = 0;
            for o in ops {
                now += 1;
                match o {
                    Op::Take { zone: z, class } => { q.take(new(u128::from(z), class_of(class)), at(now)).unwrap(); }
                    Op::Call { window } => {
                        let s = &seats[usize::from(window)];
                        match q.call_next(s, at(now)) {
                            Ok(Some(c)) => {
                                prop_assert!(holders.insert(c.ticket.id, s.window).is_none(), "called twice");
                                prop_assert!(c.ticket.zone == s.zone);
                            }
                            Ok(None) => {
                                // Nothing waits for this window.
                                prop_assert!(q.tickets().iter().all(|t| t.status != TicketStatus::Waiting || !s.may_serve(t)));
                            }
                            Err(_) => prop_assert!(holders.values().any(|w| *w == s.window)),
                        }
                    }
                    Op::Finish { window, served } => {
                        let s = &seats[usize::from(window)];
                        if let Some(t) = q.at_window(s.window).map(|t| t.id) {
                            if served {
                                q.end(t, Some(s.window), at(now)).unwrap();
                            } else {
                                q.recall(t, Some(s.window), at(now)).unwrap();
                                q.recall(t, Some(s.window), at(now)).unwrap();
                                q.no_show(t, Some(s.window), at(now)).unwrap();
                            }
                            holders.remove(&t);
                        }
                    }
                    Op::Transfer { window, zone: z } => {
                        let s = &seats[usize::from(window)];
                        if let Some(t) = q.at_window(s.window).map(|t| t.id) {
                            q.transfer(t, Transfer::Zone(zone(u128::from(z))), Some(s.window)).unwrap();
                            holders.remove(&t);
                        }
                    }
                }
                let held: usize = seats.iter().filter(|s| q.at_window(s.window).is_some()).count();
                prop_assert_eq!(held, holders.len());
            }
        }

        /// Within a class, tickets are called in the order taken, transferred ones included;
        /// and while a class has tickets waiting, the others get at most their share before it.
        #[test]
        fn fair_order_and_no_starvation(
            classes in proptest::collection::vec(0..3u8, 1..150),
            weights in (1..6u8, 1..6u8, 1..6u8),
            transfer_every in 2..9usize,
        ) {
            let mut q = queue(weights);
            let w = [weights.0, weights.1, weights.2];
            let (a, b) = (seat(0, 0), seat(1, 1));
            for c in &classes {
                q.take(new(0, class_of(*c)), at(0)).unwrap();
            }
            let mut last_order = [0u64; 3];
            let mut since = [0usize; 3];
            let mut n = 0;
            // Window `a` calls; every few calls it transfers the ticket to zone 1, where window
            // `b` serves transferred tickets in their original order.
            let mut transferred_orders = Vec::new();
            while let Some(c) = q.call_next(&a, at(1)).unwrap() {
                n += 1;
                let t = c.ticket;
                let i = t.class.index();
                prop_assert!(t.order > last_order[i], "class order broken");
                last_order[i] = t.order;
                for (k, s) in since.iter_mut().enumerate() {
                    if k == i { *s = 0 } else if q.waiting_in(zone(0))[k] > 0 { *s += 1 }
                }
                for k in 0..3 {
                    let bound: usize = (0..3).filter(|j| *j != k).map(|j| usize::from(w[j]).div_ceil(usize::from(w[k])) + 1).sum();
                    prop_assert!(since[k] <= bound, "class {} waited {} calls (bound {})", k, since[k], bound);
                }
                if n % transfer_every == 0 {
                    transferred_orders.push((t.class.index(), t.order));
                    q.transfer(t.id, Transfer::Zone(zone(1)), Some(a.window)).unwrap();
                } else {
                    q.end(t.id, Some(a.window), at(2)).unwrap();
                }
            }
            let mut last_b = [0u64; 3];
            while let Some(c) = q.call_next(&b, at(3)).unwrap() {
                let i = c.ticket.class.index();
                prop_assert!(c.ticket.order > last_b[i], "a transfer changed the order");
                last_b[i] = c.ticket.order;
                q.end(c.ticket.id, Some(b.window), at(4)).unwrap();
            }
            prop_assert_eq!(q.tickets().iter().filter(|t| t.status == TicketStatus::Served).count(), classes.len());
        }
    }
}
