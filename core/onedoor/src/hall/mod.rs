//! Use cases of the hall: queue tickets (kiosk, guide, appointment check-in), calls at windows,
//! recalls, no-shows, transfers and service; the live queue status and the display boards'
//! stream; appointment slots and bookings; statistics.
//!
//! **Architecture Invariant**: each process keeps the live queue of the halls it serves in
//! memory ([`writer`]); every change is persisted, in a batch with the changes of concurrent
//! requests, before it is acknowledged or shown, and every batch checks and raises the hall's
//! version, so a change computed on a view another replica has moved on from is never
//! committed. The queue's rows belong to the hall's centre; clerks of every centre sharing the
//! hall call from it, guides and anonymous kiosks take tickets in it.

pub(crate) mod writer;

use crate::{Error, Onedoor, Result, new_id, require};
use chrono::{Duration, NaiveDate, Utc};
use onedoor_domain::case::IdNumber;
use onedoor_domain::catalogue::MatterStatus;
use onedoor_domain::error::{DomainError, ErrorCode};
use onedoor_domain::hall::appointment::{check_booking, check_generation, slot_periods};
use onedoor_domain::hall::queue::{Change, NewTicket, Seat, Transfer};
use onedoor_domain::hall::{
    Appointment, AppointmentStatus, PriorityClass, Queue, QueueSettings, QueueSettingsDraft, Slot, Statistics, Ticket,
    TicketChannel, local_day, local_zone,
};
use onedoor_domain::organisation::{Hall, Window, Zone};
use onedoor_domain::values::Name;
use onedoor_domain::{
    AppointmentId, Caller, CentreId, HallId, MatterId, Role, Scope, SlotId, StaffId, TicketId, WindowId, ZoneId,
};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;
use tokio::sync::broadcast;
use writer::{Job, Op};

/// How long cached halls, members and windows are trusted.
const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

type Key = (CentreId, HallId);

/// A change in a hall's queue, after it was committed (for display boards and kiosks).
#[derive(Debug, Clone)]
pub struct HallSignal {
    /// The hall's centre.
    pub centre: CentreId,
    /// The hall.
    pub hall: HallId,
    /// What changed.
    pub change: Change,
}

/// A ticket with where it stands in the queue.
#[derive(Debug, Clone)]
pub struct TicketView {
    /// The ticket.
    pub ticket: Ticket,
    /// Calls expected before it (1 = next), while it waits.
    pub position: Option<usize>,
    /// Estimated minutes until it is called, while it waits.
    pub estimated_wait_minutes: Option<u32>,
}

/// The queue of one zone now.
#[derive(Debug, Clone)]
pub struct ZoneStatus {
    /// The zone.
    pub zone: ZoneId,
    /// Tickets waiting, per class (appointment, priority, ordinary).
    pub waiting: [usize; 3],
    /// Windows of the zone.
    pub windows: u32,
    /// Estimated minutes for a ticket taken now.
    pub estimated_wait_minutes: u32,
    /// The ticket called last in the zone, and the window it was called to.
    pub last_called: Option<(String, WindowId)>,
}

/// What to take a ticket for.
#[derive(Debug, Clone)]
pub struct TicketRequest {
    /// A zone of the hall.
    pub zone: Option<ZoneId>,
    /// A matter of a centre sharing the hall.
    pub matter: Option<(CentreId, MatterId)>,
    /// The class (kiosks take ordinary tickets; guides may give priority).
    pub class: Option<PriorityClass>,
}

/// Where to transfer a ticket.
#[derive(Debug, Clone, Copy)]
pub enum TransferTarget {
    /// Any window of a zone.
    Zone(ZoneId),
    /// One window.
    Window(WindowId),
}

/// A booking as typed by the applicant.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    /// The slot.
    pub slot: SlotId,
    /// Name.
    pub name: String,
    /// Identity number.
    pub id_number: String,
}

/// The live queues of this process and what they need.
pub(crate) struct Live {
    pub queue: Queue,
    pub version: Option<i64>,
    pub generation: u64,
    pub zone_windows: HashMap<ZoneId, u32>,
}

/// The hall side of the platform's state.
#[derive(Default)]
pub(crate) struct HallState {
    queues: Mutex<HashMap<Key, Live>>,
    generation: AtomicU64,
    signals: OnceLock<broadcast::Sender<HallSignal>>,
    writer: crate::group_commit::Writer<Job>,
    halls: Mutex<HashMap<Key, (Hall, Instant)>>,
    members: Mutex<HashMap<Key, Stamped<Arc<Vec<CentreId>>>>>,
    seats: Mutex<HashMap<(CentreId, WindowId), Stamped<SeatOf>>>,
    zones: Mutex<HashMap<(CentreId, ZoneId), Stamped<Zone>>>,
    /// The zone (and its code) whose windows serve a matter, per hall and asked zone.
    ticket_zones: Mutex<HashMap<TicketZoneKey, Stamped<(ZoneId, String)>>>,
}

/// A hall, the zone a ticket asked for (if any), and the matter's centre and id.
type TicketZoneKey = (Key, Option<ZoneId>, CentreId, MatterId);

/// A cached value and when it was loaded.
type Stamped<T> = (T, Instant);

/// A window and its seat in the queue.
type SeatOf = Arc<(Window, Seat)>;

impl std::fmt::Debug for HallState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HallState").finish_non_exhaustive()
    }
}

fn cached<K: std::hash::Hash + Eq, V: Clone>(m: &Mutex<HashMap<K, (V, Instant)>>, k: &K) -> Option<V> {
    let guard = m.lock().ok()?;
    guard.get(k).filter(|(_, at)| at.elapsed() < CACHE_TTL).map(|(v, _)| v.clone())
}

fn remember<K: std::hash::Hash + Eq, V>(m: &Mutex<HashMap<K, (V, Instant)>>, k: K, v: V) {
    if let Ok(mut guard) = m.lock() {
        guard.insert(k, (v, Instant::now()));
    }
}

impl HallState {
    fn signals(&self) -> &broadcast::Sender<HallSignal> {
        self.signals.get_or_init(|| broadcast::channel(4096).0)
    }

    pub(crate) fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Whether the hall's queue is loaded and of `day`.
    pub(crate) fn current(&self, key: &Key, day: NaiveDate) -> Option<()> {
        let guard = self.queues.lock().ok()?;
        guard.get(key).filter(|l| l.queue.day() == day).map(|_| ())
    }

    pub(crate) fn install(&self, key: Key, live: Live) {
        if let Ok(mut guard) = self.queues.lock() {
            guard.insert(key, live);
        }
    }

    pub(crate) fn with<R>(&self, key: &Key, f: impl FnOnce(&mut Live) -> R) -> Option<R> {
        let mut guard = self.queues.lock().ok()?;
        guard.get_mut(key).map(f)
    }

    pub(crate) fn drop_queue(&self, key: &Key) {
        if let Ok(mut guard) = self.queues.lock() {
            guard.remove(key);
        }
    }

    /// A batch that raised the hall's version committed: the view is current again (unless it
    /// was replaced meanwhile, in which case the replacement reloads on its own).
    pub(crate) fn committed(&self, key: &Key, generation: u64) {
        if let Ok(mut guard) = self.queues.lock() {
            match guard.get_mut(key) {
                Some(l) if l.generation == generation => l.version = Some(l.version.map_or(1, |v| v + 1)),
                Some(_) => {
                    guard.remove(key);
                }
                None => {}
            }
        }
    }

    pub(crate) fn publish(&self, s: HallSignal) {
        // No subscriber is not an error.
        let _ = self.signals().send(s);
    }

    /// The loaded hall holding ticket `id` of `centre`, if any.
    fn hall_of_ticket(&self, centre: CentreId, id: TicketId) -> Option<HallId> {
        let guard = self.queues.lock().ok()?;
        guard.iter().find(|((c, _), l)| *c == centre && l.queue.ticket(id).is_some()).map(|((_, h), _)| *h)
    }
}

fn view(live: &Live, t: &Ticket) -> TicketView {
    let position = live.queue.position(t.id);
    let windows = live.zone_windows.get(&t.zone).copied().unwrap_or(0).max(1);
    let avg = u32::from(live.queue.settings().average_service_minutes);
    TicketView {
        ticket: t.clone(),
        position,
        estimated_wait_minutes: position.map(|p| (p.saturating_sub(1) as u32 * avg).div_ceil(windows)),
    }
}

fn invalid(field: &str, code: ErrorCode, message: &str) -> Error {
    Error::Invalid(vec![DomainError::new(field, code, message)])
}

/// A booking code: ten characters without look-alikes (no 0/O, 1/I/L).
fn booking_code() -> Result<String> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut bytes = [0u8; 10];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(onedoor_store::StoreError::Corrupt(e.to_string())))?;
    Ok(bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect())
}

impl Onedoor {
    fn halls_state(&self) -> &HallState {
        &self.halls
    }

    /// Live changes of every hall's queue, after commit (for display boards and kiosks).
    pub fn subscribe_halls(&self) -> broadcast::Receiver<HallSignal> {
        self.halls_state().signals().subscribe()
    }

    /// A hall, cached (public).
    pub(crate) async fn hall_cached(&self, centre: CentreId, id: HallId) -> Result<Hall> {
        if let Some(h) = cached(&self.halls.halls, &(centre, id)) {
            return Ok(h);
        }
        let h = self.store.hall(centre, id).await?.ok_or_else(|| Error::not_found("hall", "hall"))?;
        remember(&self.halls.halls, (centre, id), h.clone());
        Ok(h)
    }

    pub(crate) async fn members_cached(&self, hall: &Hall) -> Result<Arc<Vec<CentreId>>> {
        let key = (hall.centre, hall.id);
        if let Some(m) = cached(&self.halls.members, &key) {
            return Ok(m);
        }
        let m = Arc::new(self.store.hall_members(hall).await?);
        remember(&self.halls.members, key, m.clone());
        Ok(m)
    }

    /// The caller's scope if they hold `role` and their centre shares the hall.
    async fn member<'a>(&self, caller: &'a Caller, role: Role, hall: &Hall) -> Result<&'a Scope> {
        let scope = require(caller, role)?;
        if !self.members_cached(hall).await?.contains(&scope.centre) {
            return Err(Error::not_found("hall", "hall"));
        }
        Ok(scope)
    }

    /// A zone, cached like halls and windows (a ticket names one).
    async fn zone_cached(&self, centre: CentreId, id: ZoneId) -> Result<Option<Zone>> {
        if let Some(z) = cached(&self.halls.zones, &(centre, id)) {
            return Ok(Some(z));
        }
        let z = self.store.zone(centre, id).await?;
        if let Some(z) = &z {
            remember(&self.halls.zones, (centre, id), z.clone());
        }
        Ok(z)
    }

    /// The zone a ticket waits (or waited) in, from the hall's cache of zones (as the queue
    /// itself sees them; a renamed zone shows within 30 seconds). Every answer about a ticket
    /// names it, so it is not read from the database each time.
    pub async fn zone_of_ticket(&self, ticket: &Ticket) -> Result<Option<Zone>> {
        self.zone_cached(ticket.centre, ticket.zone).await
    }

    pub(crate) async fn seat(&self, centre: CentreId, window: WindowId) -> Result<Arc<(Window, Seat)>> {
        if let Some(s) = cached(&self.halls.seats, &(centre, window)) {
            return Ok(s);
        }
        let w = self.store.window(centre, window).await?.ok_or_else(|| Error::not_found("window", "window"))?;
        let matters: HashSet<(CentreId, MatterId)> = self.store.window_matters(&w).await?.into_iter().collect();
        let seat = Arc::new((w.clone(), Seat { window: w.id, zone: w.zone, matters }));
        remember(&self.halls.seats, (centre, window), seat.clone());
        Ok(seat)
    }

    /// Makes sure this process holds the hall's queue of today, current with the database.
    async fn live(&self, hall: &Hall) -> Result<()> {
        let key = (hall.centre, hall.id);
        let day = local_day(self.now());
        let loaded = self.halls.with(&key, |l| (l.queue.day() == day).then_some(l.version)).flatten();
        let stored = self.store.queue_version(hall).await?;
        if let Some(v) = loaded
            && v == stored
        {
            return Ok(());
        }
        let live = writer::load(&self.store, hall, self.now(), self.halls.next_generation()).await?;
        self.halls.install(key, live);
        Ok(())
    }

    async fn run(&self, hall: &Hall, op: Op, actor: Option<(CentreId, StaffId)>) -> Result<Option<Change>> {
        let writer =
            || writer::QueueWriter { store: self.store.clone(), state: self.halls.clone(), clock: self.clock.clone() };
        self.halls
            .writer
            .submit(writer, |reply| Job { hall: hall.clone(), op, actor, reply, attempts: 0 })
            .await
            .ok_or_else(|| Error::Internal(onedoor_store::StoreError::Corrupt("the queue writer stopped".into())))?
    }

    fn view_of(&self, hall: &Hall, t: &Ticket) -> TicketView {
        self.halls.with(&(hall.centre, hall.id), |l| view(l, t)).unwrap_or(TicketView {
            ticket: t.clone(),
            position: None,
            estimated_wait_minutes: None,
        })
    }

    // ----- tickets -----

    /// Takes a ticket in a hall: at a kiosk (anonymous: ordinary class) or by a guide for a
    /// visitor (any class but appointment), for a zone or for a matter of a centre sharing the
    /// hall (its zone is that of a window serving it).
    pub async fn take_ticket(
        &self,
        caller: &Caller,
        centre: CentreId,
        hall: HallId,
        req: TicketRequest,
    ) -> Result<TicketView> {
        let hall = self.hall_cached(centre, hall).await?;
        let (channel, guide) = match caller {
            Caller::Anonymous => (TicketChannel::Kiosk, None),
            Caller::Staff(_) => {
                let s = self.member(caller, Role::Guide, &hall).await?;
                (TicketChannel::Guide, Some((s.centre, s.staff)))
            }
        };
        let class = req.class.unwrap_or(PriorityClass::Ordinary);
        match (class, channel) {
            (PriorityClass::Appointment, _) => {
                return Err(invalid(
                    "priority",
                    ErrorCode::InvalidState,
                    "appointment tickets come from checking in a booking",
                ));
            }
            (PriorityClass::Priority, TicketChannel::Kiosk) => {
                return Err(invalid(
                    "priority",
                    ErrorCode::InvalidState,
                    "a guide gives priority tickets (elderly, disabled)",
                ));
            }
            _ => {}
        }
        let (zone, prefix) = self.ticket_zone(&hall, req.zone, req.matter).await?;
        let new = NewTicket {
            id: TicketId(new_id()),
            zone,
            prefix,
            matter: req.matter,
            class,
            channel,
            guide,
            appointment: None,
        };
        let change = self.run(&hall, Op::Take(new), guide).await?;
        let t = change.ok_or_else(|| Error::Conflict("queue".into()))?.ticket;
        Ok(self.view_of(&hall, &t))
    }

    /// The zone (and its code) a ticket for `zone` or `matter` waits in.
    async fn ticket_zone(
        &self,
        hall: &Hall,
        zone: Option<ZoneId>,
        matter: Option<(CentreId, MatterId)>,
    ) -> Result<(ZoneId, String)> {
        let z = match zone {
            Some(z) => Some(
                self.zone_cached(hall.centre, z)
                    .await?
                    .filter(|z| z.hall == hall.id)
                    .ok_or_else(|| invalid("zone", ErrorCode::InvalidReference, "no such zone in this hall"))?,
            ),
            None => None,
        };
        let Some((mc, mid)) = matter else {
            return z
                .map(|z| (z.id, z.code.to_string()))
                .ok_or_else(|| invalid("zone", ErrorCode::Required, "name a zone or a matter"));
        };
        let active = self.matter(&Caller::Anonymous, mc, mid).await?.is_some_and(|m| m.status == MatterStatus::Active);
        if !active || !self.members_cached(hall).await?.contains(&mc) {
            return Err(invalid(
                "matter",
                ErrorCode::InvalidReference,
                "no such matter among the centres sharing this hall",
            ));
        }
        let key = ((hall.centre, hall.id), z.as_ref().map(|z| z.id), mc, mid);
        if let Some(found) = cached(&self.halls.ticket_zones, &key) {
            return Ok(found);
        }
        let found = self.serving_zone(hall, z, (mc, mid)).await?;
        remember(&self.halls.ticket_zones, key, found.clone());
        Ok(found)
    }

    /// The first zone (of `z` if given) with a window that serves the matter.
    async fn serving_zone(
        &self,
        hall: &Hall,
        z: Option<Zone>,
        (mc, mid): (CentreId, MatterId),
    ) -> Result<(ZoneId, String)> {
        let page = onedoor_store::Page { after: None, limit: 10_000 };
        for w in self.store.windows(hall, z.as_ref().map(|z| z.id), &page).await?.items {
            if self.seat(hall.centre, w.id).await?.1.matters.contains(&(mc, mid)) {
                let zone = match &z {
                    Some(z) => z.clone(),
                    None => {
                        self.store.zone(hall.centre, w.zone).await?.ok_or_else(|| Error::not_found("zone", "zone"))?
                    }
                };
                return Ok((zone.id, zone.code.to_string()));
            }
        }
        Err(invalid("matter", ErrorCode::InvalidReference, "no window of this hall (or zone) serves the matter"))
    }

    /// A window calls the next ticket it may serve, in the fair order; `None` when none waits.
    /// Needs the window clerk role in a centre sharing the hall.
    pub async fn call_next(&self, caller: &Caller, centre: CentreId, window: WindowId) -> Result<Option<TicketView>> {
        let seat = self.seat(centre, window).await?;
        let hall = self.hall_cached(centre, seat.0.hall).await?;
        let s = self.member(caller, Role::WindowClerk, &hall).await?;
        let change = self.run(&hall, Op::Call(seat.1.clone()), Some((s.centre, s.staff))).await?;
        Ok(change.map(|c| self.view_of(&hall, &c.ticket)))
    }

    /// The hall of a ticket of `centre`.
    async fn ticket_hall(&self, centre: CentreId, id: TicketId) -> Result<Hall> {
        let hall = match self.halls.hall_of_ticket(centre, id) {
            Some(h) => h,
            None => self.store.ticket(centre, id).await?.ok_or_else(|| Error::not_found("ticket", "ticket"))?.hall,
        };
        self.hall_cached(centre, hall).await
    }

    /// A clerk's move on a ticket their window holds (or, for a transfer, any live ticket).
    async fn ticket_op(
        &self,
        caller: &Caller,
        centre: CentreId,
        id: TicketId,
        op: impl FnOnce(Option<WindowId>) -> Op,
        window: Option<WindowId>,
    ) -> Result<TicketView> {
        let hall = self.ticket_hall(centre, id).await?;
        let s = self.member(caller, Role::WindowClerk, &hall).await?;
        let change = self.run(&hall, op(window), Some((s.centre, s.staff))).await?;
        let t = change.ok_or_else(|| Error::Conflict("ticket".into()))?.ticket;
        Ok(self.view_of(&hall, &t))
    }

    /// Calls a called ticket again.
    pub async fn recall_ticket(
        &self,
        caller: &Caller,
        centre: CentreId,
        id: TicketId,
        window: Option<WindowId>,
    ) -> Result<TicketView> {
        self.ticket_op(caller, centre, id, |w| Op::Recall(id, w), window).await
    }

    /// Marks a called ticket a no-show (after the hall's number of recalls).
    pub async fn mark_no_show(
        &self,
        caller: &Caller,
        centre: CentreId,
        id: TicketId,
        window: Option<WindowId>,
    ) -> Result<TicketView> {
        self.ticket_op(caller, centre, id, |w| Op::NoShow(id, w), window).await
    }

    /// Starts serving a called ticket.
    pub async fn start_service(
        &self,
        caller: &Caller,
        centre: CentreId,
        id: TicketId,
        window: Option<WindowId>,
    ) -> Result<TicketView> {
        self.ticket_op(caller, centre, id, |w| Op::Start(id, w), window).await
    }

    /// Ends the service of a ticket: served.
    pub async fn end_service(
        &self,
        caller: &Caller,
        centre: CentreId,
        id: TicketId,
        window: Option<WindowId>,
    ) -> Result<TicketView> {
        self.ticket_op(caller, centre, id, |w| Op::End(id, w), window).await
    }

    /// Transfers a ticket to a zone or a window of the same hall; it keeps its place.
    pub async fn transfer_ticket(
        &self,
        caller: &Caller,
        centre: CentreId,
        id: TicketId,
        to: TransferTarget,
        window: Option<WindowId>,
    ) -> Result<TicketView> {
        let hall = self.ticket_hall(centre, id).await?;
        let target = match to {
            TransferTarget::Zone(z) => {
                let zone = self.store.zone(hall.centre, z).await?.filter(|z| z.hall == hall.id);
                Transfer::Zone(
                    zone.ok_or_else(|| invalid("zone", ErrorCode::InvalidReference, "no such zone in this hall"))?.id,
                )
            }
            TransferTarget::Window(w) => {
                let seat =
                    self.seat(hall.centre, w).await.ok().filter(|s| s.0.hall == hall.id).ok_or_else(|| {
                        invalid("toWindow", ErrorCode::InvalidReference, "no such window in this hall")
                    })?;
                Transfer::Window(seat.0.id, seat.0.zone)
            }
        };
        self.ticket_op(caller, centre, id, |w| Op::Transfer(id, target, w), window).await
    }

    /// A ticket with its place in the queue (public: a ticket carries no personal data). The
    /// lookup a case accepted from a ticket uses.
    pub async fn ticket(&self, centre: CentreId, id: TicketId) -> Result<Option<TicketView>> {
        let Some(t) = self.store.ticket(centre, id).await? else { return Ok(None) };
        let hall = self.hall_cached(centre, t.hall).await?;
        if t.day == local_day(self.now()) {
            self.live(&hall).await?;
            if let Some(v) =
                self.halls.with(&(hall.centre, hall.id), |l| l.queue.ticket(id).map(|t| view(l, t))).flatten()
            {
                return Ok(Some(v));
            }
        }
        Ok(Some(TicketView { ticket: t, position: None, estimated_wait_minutes: None }))
    }

    /// The ticket a window holds and the tickets waiting that it may call, in the order it
    /// would call them within each class (for the clerk's desk).
    pub async fn window_queue(
        &self,
        caller: &Caller,
        centre: CentreId,
        window: WindowId,
        limit: usize,
    ) -> Result<(Option<TicketView>, Vec<TicketView>)> {
        let seat = self.seat(centre, window).await?;
        let hall = self.hall_cached(centre, seat.0.hall).await?;
        self.member(caller, Role::WindowClerk, &hall).await?;
        self.live(&hall).await?;
        let out = self.halls.with(&(hall.centre, hall.id), |l| {
            let held = l.queue.at_window(window).map(|t| view(l, t));
            let mut waiting: Vec<TicketView> = l
                .queue
                .tickets()
                .into_iter()
                .filter(|t| t.status == onedoor_domain::hall::TicketStatus::Waiting && seat.1.may_serve(t))
                .map(|t| view(l, t))
                .collect();
            waiting.sort_by_key(|v| (v.position, v.ticket.order));
            waiting.truncate(limit);
            (held, waiting)
        });
        Ok(out.unwrap_or_default())
    }

    /// The queue of every zone of a hall now (public: display boards, kiosks).
    pub async fn queue_status(&self, centre: CentreId, hall: HallId) -> Result<Vec<ZoneStatus>> {
        let hall = self.hall_cached(centre, hall).await?;
        self.live(&hall).await?;
        let zones = self.store.zones(&hall).await?;
        let out = self.halls.with(&(hall.centre, hall.id), |l| {
            zones
                .iter()
                .map(|z| {
                    let waiting = l.queue.waiting_in(z.id);
                    let windows = l.zone_windows.get(&z.id).copied().unwrap_or(0);
                    let ahead: usize = waiting.iter().sum();
                    let avg = u32::from(l.queue.settings().average_service_minutes);
                    let last_called = l
                        .queue
                        .tickets()
                        .into_iter()
                        .filter(|t| t.zone == z.id && t.called_at.is_some() && t.window.is_some())
                        .max_by_key(|t| (t.called_at, t.order))
                        .and_then(|t| t.window.map(|w| (t.number(), w)));
                    ZoneStatus {
                        zone: z.id,
                        waiting,
                        windows,
                        estimated_wait_minutes: (ahead as u32 * avg).div_ceil(windows.max(1)),
                        last_called,
                    }
                })
                .collect()
        });
        Ok(out.unwrap_or_default())
    }

    // ----- rules -----

    /// A hall's queue and appointment rules (public).
    pub async fn queue_settings(&self, centre: CentreId, hall: HallId) -> Result<QueueSettings> {
        let hall = self.hall_cached(centre, hall).await?;
        Ok(self.store.queue_record(&hall).await?.settings)
    }

    /// Changes a hall's rules (an admin of the hall's centre). Takes effect at once in every
    /// process (the queue's version moves, so live queues reload).
    pub async fn configure_queue(
        &self,
        caller: &Caller,
        hall: HallId,
        draft: QueueSettingsDraft,
    ) -> Result<QueueSettings> {
        let scope = require(caller, Role::Admin)?;
        let hall = self.store.hall(scope.centre, hall).await?.ok_or_else(|| Error::not_found("hall", "hall"))?;
        let current = self.store.queue_record(&hall).await?.settings;
        let next = draft.apply(&current)?;
        self.store.configure_queue(scope, hall.id, &next).await?;
        self.halls.drop_queue(&(hall.centre, hall.id));
        Ok(next)
    }

    // ----- appointments -----

    /// Creates slots of `capacity` for a zone of a hall of the admin's centre, from `from` to
    /// `to`: the hall's opening hours cut into slots, on the working days of the centre's
    /// calendar. Returns the slots created (existing ones are kept).
    pub async fn generate_slots(
        &self,
        caller: &Caller,
        hall: HallId,
        zone: ZoneId,
        from: NaiveDate,
        to: NaiveDate,
        capacity: i32,
    ) -> Result<usize> {
        let scope = require(caller, Role::Admin)?;
        let capacity = check_generation(from, to, capacity)?;
        let hall = self.store.hall(scope.centre, hall).await?.ok_or_else(|| Error::not_found("hall", "hall"))?;
        if self.store.zone(hall.centre, zone).await?.filter(|z| z.hall == hall.id).is_none() {
            return Err(invalid("zone", ErrorCode::InvalidReference, "no such zone in this hall"));
        }
        let settings = self.store.queue_record(&hall).await?.settings;
        let calendar = self.calendar(hall.centre).await?;
        let mut periods = Vec::new();
        let mut d = from;
        while d <= to {
            periods.extend(slot_periods(&settings, d, |x| calendar.is_working_day(x)));
            d += Duration::days(1);
        }
        Ok(self.store.create_slots(scope, hall.id, zone, &periods, capacity).await?)
    }

    /// The slots of a hall's zone on a day (public).
    pub async fn slots(&self, centre: CentreId, hall: HallId, zone: ZoneId, day: NaiveDate) -> Result<Vec<Slot>> {
        let hall = self.hall_cached(centre, hall).await?;
        let start = day.and_hms_opt(0, 0, 0).unwrap_or_default().and_local_timezone(local_zone()).single();
        let Some(start) = start.map(|s| s.with_timezone(&Utc)) else { return Ok(Vec::new()) };
        Ok(self.store.slots(&hall, zone, start, start + Duration::days(1)).await?)
    }

    /// A slot (public).
    pub async fn slot(&self, centre: CentreId, id: SlotId) -> Result<Option<Slot>> {
        Ok(self.store.slot(centre, id).await?)
    }

    /// Books a slot for an applicant (anyone may book: the portal, a kiosk, a guide). Checks the
    /// slot's capacity, the applicant's bookings that day and their recent no-shows; returns the
    /// booking with its code.
    pub async fn book_appointment(&self, centre: CentreId, req: BookingRequest) -> Result<Appointment> {
        let mut errors = Vec::new();
        let name = Name::parse(&req.name).map_err(|e| errors.push(e.under("name"))).ok();
        let id_number = IdNumber::parse(&req.id_number).map_err(|e| errors.push(e.under("idNumber"))).ok();
        let (Some(name), Some(id_number)) = (name, id_number) else { return Err(Error::Invalid(errors)) };
        let slot = self.store.slot(centre, req.slot).await?.ok_or_else(|| Error::not_found("slot", "slot"))?;
        let hall = self.hall_cached(slot.centre, slot.hall).await?;
        let settings = self.store.queue_record(&hall).await?.settings;
        let now = self.now();
        let since = now - Duration::days(i64::from(settings.no_show_days));
        let misses = self.store.missed_appointments(&hall, &id_number, since, now).await?;
        check_booking(&settings, &slot, now, 0, misses)?;
        let a = Appointment {
            id: AppointmentId(new_id()),
            centre: hall.centre,
            hall: hall.id,
            zone: slot.zone,
            slot: slot.id,
            starts_at: slot.starts_at,
            ends_at: slot.ends_at,
            name,
            id_number,
            code: booking_code()?,
            status: AppointmentStatus::Booked,
            ticket: None,
            booked_at: now,
        };
        self.store.book(&a, local_day(a.starts_at), settings.bookings_per_day).await?;
        Ok(a)
    }

    /// A booking by its code (public to whoever holds the code).
    pub async fn appointment(&self, centre: CentreId, hall: HallId, code: &str) -> Result<Option<Appointment>> {
        let hall = self.hall_cached(centre, hall).await?;
        Ok(self.store.appointment_by_code(&hall, code).await?)
    }

    /// The bookings of a hall on a day (staff of a centre sharing the hall).
    pub async fn appointments(
        &self,
        caller: &Caller,
        centre: CentreId,
        hall: HallId,
        day: NaiveDate,
    ) -> Result<Vec<Appointment>> {
        let hall = self.hall_cached(centre, hall).await?;
        let scope = caller.scope().ok_or(Error::Unauthenticated)?;
        if !self.members_cached(&hall).await?.contains(&scope.centre) {
            return Err(Error::not_found("hall", "hall"));
        }
        let start = day.and_hms_opt(0, 0, 0).unwrap_or_default().and_local_timezone(local_zone()).single();
        let Some(start) = start.map(|s| s.with_timezone(&Utc)) else { return Ok(Vec::new()) };
        Ok(self.store.appointments(&hall, start, start + Duration::days(1)).await?)
    }

    /// Cancels a booking by its code before its slot starts.
    pub async fn cancel_appointment(&self, centre: CentreId, hall: HallId, code: &str) -> Result<Appointment> {
        let mut a = self.appointment(centre, hall, code).await?.ok_or_else(|| Error::not_found("code", "booking"))?;
        a.check_cancel(self.now())?;
        if !self.store.cancel_appointment(&a).await? {
            return Err(Error::Conflict("booking".into()));
        }
        a.status = AppointmentStatus::Cancelled;
        Ok(a)
    }

    /// Checks a booking in at the kiosk: it becomes an appointment-class ticket of its zone.
    pub async fn check_in(&self, centre: CentreId, hall: HallId, code: &str) -> Result<(Appointment, TicketView)> {
        let hall = self.hall_cached(centre, hall).await?;
        let mut a =
            self.store.appointment_by_code(&hall, code).await?.ok_or_else(|| Error::not_found("code", "booking"))?;
        let settings = self.store.queue_record(&hall).await?.settings;
        a.check_in(self.now(), settings.check_in_early_minutes)?;
        let zone = self.store.zone(hall.centre, a.zone).await?.ok_or_else(|| Error::not_found("zone", "zone"))?;
        let id = TicketId(new_id());
        if !self.store.check_in_appointment(&a, id).await? {
            return Err(Error::Conflict("booking".into()));
        }
        let new = NewTicket {
            id,
            zone: zone.id,
            prefix: zone.code.to_string(),
            matter: None,
            class: PriorityClass::Appointment,
            channel: TicketChannel::Appointment,
            guide: None,
            appointment: Some(a.id),
        };
        match self.run(&hall, Op::Take(new), None).await {
            Ok(Some(c)) => {
                a.status = AppointmentStatus::CheckedIn;
                a.ticket = Some(id);
                Ok((a, self.view_of(&hall, &c.ticket)))
            }
            Ok(None) => {
                self.store.undo_check_in(&a).await?;
                Err(Error::Conflict("queue".into()))
            }
            Err(e) => {
                self.store.undo_check_in(&a).await?;
                Err(e)
            }
        }
    }

    // ----- statistics -----

    /// The statistics of a hall from `from` to `to` (days, inclusive, at most a year): for
    /// supervisors of a centre sharing the hall.
    pub async fn hall_statistics(
        &self,
        caller: &Caller,
        centre: CentreId,
        hall: HallId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Statistics> {
        let hall = self.hall_cached(centre, hall).await?;
        self.member(caller, Role::Supervisor, &hall).await?;
        if to < from || (to - from).num_days() > 366 {
            return Err(invalid("to", ErrorCode::OutOfRange, "a period of one day to a year, ending after it starts"));
        }
        let tickets = self.store.tickets_between(&hall, from, to).await?;
        Ok(Statistics::of(&tickets))
    }
}
