//! The hall in the API: the public `Ticket` node with its place in the queue, the queue status
//! of a hall's zones, the clerk's window queue, appointment slots and bookings, statistics; the
//! queue's mutations (take, call, recall, no-show, transfer, service; configure; slots, book,
//! cancel, check in); and the display boards' subscriptions `hallCalls` and `hallQueueChanged`.

use crate::cases::Date;
use crate::error::{UserError, coded, query_error};
use crate::ids::{Kind, decode, encode};
use crate::mutation::{Ids, finish};
use crate::types::*;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Subscription};
use futures_util::Stream;
use onedoor::domain::hall::{self as dh, Appointment, Slot, StatsRow};
use onedoor::domain::{CentreId, HallId, MatterId, TicketId, WindowId, ZoneId};
use onedoor::{BookingRequest, Onedoor, TicketRequest, TicketView, TransferTarget, ZoneStatus};

crate::scalars::mirror! {
    /// A ticket's priority class.
    PriorityClass = dh::PriorityClass {
        /// Checked in from an appointment.
        Appointment,
        /// Elderly or disabled visitors.
        Priority,
        /// Everyone else.
        Ordinary,
    }
}

crate::scalars::mirror! {
    /// Where a ticket is in its life.
    TicketStatus = dh::TicketStatus {
        /// Waiting to be called.
        Waiting,
        /// Called to a window.
        Called,
        /// Being served.
        Serving,
        /// Served.
        Served,
        /// Called and did not come.
        NoShow,
    }
}

crate::scalars::mirror! {
    /// How a ticket was taken.
    TicketChannel = dh::TicketChannel {
        /// At a kiosk, by the visitor.
        Kiosk,
        /// By a guide or proxy agent for the visitor.
        Guide,
        /// By checking in an appointment.
        Appointment,
    }
}

crate::scalars::mirror! {
    /// What happened to a ticket.
    TicketEvent = dh::TicketEvent {
        /// Taken.
        Taken,
        /// Called to a window.
        Called,
        /// Called again.
        Recalled,
        /// Service started.
        ServiceStarted,
        /// Served.
        Served,
        /// Did not come.
        NoShow,
        /// Sent to another zone or window.
        Transferred,
    }
}

crate::scalars::mirror! {
    /// Where a booking is in its life.
    AppointmentStatus = dh::AppointmentStatus {
        /// Booked.
        Booked,
        /// Cancelled.
        Cancelled,
        /// Checked in: the visitor holds a ticket.
        CheckedIn,
        /// The slot passed without a check-in.
        Missed,
    }
}

/// A queue ticket (public: it carries no personal data).
pub struct TicketObj(pub TicketView);

#[Object(name = "Ticket")]
impl TicketObj {
    /// Opaque global id.
    pub(crate) async fn id(&self) -> ID {
        encode(Kind::Ticket, self.0.ticket.centre, self.0.ticket.id.0)
    }
    /// The number shown and called, e.g. `A015`.
    async fn number(&self) -> String {
        self.0.ticket.number()
    }
    /// The code to rate the visit with (好差评), printed on the ticket: for signed-in callers
    /// (the kiosk or guide printing it; display boards never see it).
    async fn rating_code(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let (od, caller) = parts(ctx);
        if caller.scope().is_none() {
            return Ok(None);
        }
        let t = &self.0.ticket;
        let code = od
            .rating_code(t.centre, onedoor::domain::evaluation::RatedKind::Visit, &t.id.0.to_string())
            .await
            .map_err(query_error)?;
        Ok(Some(code))
    }
    /// Status.
    async fn status(&self) -> TicketStatus {
        self.0.ticket.status.into()
    }
    /// Priority class.
    async fn priority(&self) -> PriorityClass {
        self.0.ticket.class.into()
    }
    /// How it was taken.
    async fn channel(&self) -> TicketChannel {
        self.0.ticket.channel.into()
    }
    /// The day it belongs to (numbers restart daily).
    async fn day(&self) -> Date {
        Date(self.0.ticket.day)
    }
    /// Calls expected before this ticket's (1 = next), while it waits.
    async fn position(&self) -> Option<i32> {
        self.0.position.map(|p| p as i32)
    }
    /// Estimated minutes until it is called, while it waits.
    async fn estimated_wait_minutes(&self) -> Option<i32> {
        self.0.estimated_wait_minutes.map(|m| m as i32)
    }
    /// The hall.
    async fn hall(&self, ctx: &Context<'_>) -> Result<Option<HallObj>> {
        let t = &self.0.ticket;
        Ok(parts(ctx).0.hall(t.centre, t.hall).await.map_err(query_error)?.map(HallObj))
    }
    /// The zone it waits (or waited) in.
    async fn zone(&self, ctx: &Context<'_>) -> Result<Option<ZoneObj>> {
        Ok(parts(ctx).0.zone_of_ticket(&self.0.ticket).await.map_err(query_error)?.map(ZoneObj))
    }
    /// The matter it was taken for, if one (and visible).
    async fn matter(&self, ctx: &Context<'_>) -> Result<Option<MatterObj>> {
        let Some((c, m)) = self.0.ticket.matter else { return Ok(None) };
        let (od, caller) = parts(ctx);
        Ok(od.matter(caller, c, m).await.map_err(query_error)?.map(MatterObj))
    }
    /// The window that holds (or last held) it.
    async fn window(&self, ctx: &Context<'_>) -> Result<Option<WindowObj>> {
        window_of(ctx, self.0.ticket.centre, self.0.ticket.window).await
    }
    /// After a transfer to one window: that window.
    async fn target_window(&self, ctx: &Context<'_>) -> Result<Option<WindowObj>> {
        window_of(ctx, self.0.ticket.centre, self.0.ticket.target_window).await
    }
    /// Recalls since it was last called from the queue.
    async fn recalls(&self) -> i32 {
        i32::from(self.0.ticket.recalls)
    }
    /// How often it was transferred.
    async fn transfers(&self) -> i32 {
        i32::from(self.0.ticket.transfers)
    }
    /// The guide or proxy agent who took it, if the caller may see them.
    async fn guide(&self, ctx: &Context<'_>) -> Result<Option<StaffObj>> {
        let Some((c, s)) = self.0.ticket.guide else { return Ok(None) };
        let (od, caller) = parts(ctx);
        Ok(od.staff(caller, c, s).await.map_err(query_error)?.map(StaffObj))
    }
    /// When it was taken.
    async fn taken_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.ticket.taken_at
    }
    /// When it was first called.
    async fn first_called_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.ticket.first_called_at
    }
    /// When it was last called.
    async fn called_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.ticket.called_at
    }
    /// When service started.
    async fn service_started_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.ticket.started_at
    }
    /// When it was served or marked a no-show.
    async fn ended_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.ticket.ended_at
    }
    /// Seconds from taking to the first call.
    async fn wait_seconds(&self) -> Option<i32> {
        self.0.ticket.wait_seconds().map(clamp)
    }
    /// Seconds of service, once served.
    async fn service_seconds(&self) -> Option<i32> {
        self.0.ticket.service_seconds().map(clamp)
    }
}

fn clamp(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

async fn window_of(ctx: &Context<'_>, centre: CentreId, w: Option<WindowId>) -> Result<Option<WindowObj>> {
    let Some(w) = w else { return Ok(None) };
    Ok(parts(ctx).0.window(centre, w).await.map_err(query_error)?.map(WindowObj))
}

/// The queue of one zone now.
pub struct ZoneQueueObj {
    centre: CentreId,
    status: ZoneStatus,
}

#[Object(name = "ZoneQueue")]
impl ZoneQueueObj {
    /// The zone.
    async fn zone(&self, ctx: &Context<'_>) -> Result<Option<ZoneObj>> {
        Ok(parts(ctx).0.zone(self.centre, self.status.zone).await.map_err(query_error)?.map(ZoneObj))
    }
    /// Tickets waiting, all classes.
    async fn waiting(&self) -> i32 {
        self.status.waiting.iter().sum::<usize>() as i32
    }
    /// Appointment tickets waiting.
    async fn waiting_appointment(&self) -> i32 {
        self.status.waiting[0] as i32
    }
    /// Priority tickets waiting.
    async fn waiting_priority(&self) -> i32 {
        self.status.waiting[1] as i32
    }
    /// Ordinary tickets waiting.
    async fn waiting_ordinary(&self) -> i32 {
        self.status.waiting[2] as i32
    }
    /// Windows of the zone.
    async fn windows(&self) -> i32 {
        self.status.windows as i32
    }
    /// Estimated minutes for a ticket taken now.
    async fn estimated_wait_minutes(&self) -> i32 {
        clamp(i64::from(self.status.estimated_wait_minutes))
    }
    /// The number called last in the zone.
    async fn last_called_number(&self) -> Option<&str> {
        self.status.last_called.as_ref().map(|(n, _)| n.as_str())
    }
    /// The window it was called to.
    async fn last_called_window(&self, ctx: &Context<'_>) -> Result<Option<WindowObj>> {
        window_of(ctx, self.centre, self.status.last_called.as_ref().map(|(_, w)| *w)).await
    }
}

/// A hall's queue and appointment rules.
#[derive(SimpleObject)]
#[graphql(name = "QueueSettings")]
pub struct QueueSettingsObj {
    /// Weight of appointment tickets.
    appointment_weight: i32,
    /// Weight of priority tickets.
    priority_weight: i32,
    /// Weight of ordinary tickets.
    ordinary_weight: i32,
    /// Unanswered recalls before a no-show may be marked.
    no_show_after_recalls: i32,
    /// Minutes a service takes on average (for estimates).
    average_service_minutes: i32,
    /// Opening periods, `HH:MM-HH:MM`, local time.
    opening_hours: Vec<String>,
    /// Minutes per appointment slot.
    slot_minutes: i32,
    /// Bookings one applicant may hold per day.
    bookings_per_day: i32,
    /// Missed appointments (within `noShowDays`) that bar booking.
    no_show_limit: i32,
    /// Days missed appointments count for.
    no_show_days: i32,
    /// Minutes before its slot a booking may be checked in.
    check_in_early_minutes: i32,
}

impl From<dh::QueueSettings> for QueueSettingsObj {
    fn from(s: dh::QueueSettings) -> Self {
        QueueSettingsObj {
            appointment_weight: i32::from(s.weights.appointment),
            priority_weight: i32::from(s.weights.priority),
            ordinary_weight: i32::from(s.weights.ordinary),
            no_show_after_recalls: i32::from(s.no_show_after_recalls),
            average_service_minutes: i32::from(s.average_service_minutes),
            opening_hours: s
                .opening_hours
                .iter()
                .map(|(f, t)| format!("{}-{}", f.format("%H:%M"), t.format("%H:%M")))
                .collect(),
            slot_minutes: i32::from(s.slot_minutes),
            bookings_per_day: i32::from(s.bookings_per_day),
            no_show_limit: i32::from(s.no_show_limit),
            no_show_days: i32::from(s.no_show_days),
            check_in_early_minutes: i32::from(s.check_in_early_minutes),
        }
    }
}

/// A hall's queue now: its rules and every zone's status (public).
pub struct HallQueueObj {
    hall: onedoor::domain::organisation::Hall,
}

#[Object(name = "HallQueue")]
impl HallQueueObj {
    /// The hall.
    async fn hall(&self) -> HallObj {
        HallObj(self.hall.clone())
    }
    /// The rules.
    async fn settings(&self, ctx: &Context<'_>) -> Result<QueueSettingsObj> {
        Ok(parts(ctx).0.queue_settings(self.hall.centre, self.hall.id).await.map_err(query_error)?.into())
    }
    /// Every zone's queue, by zone code.
    async fn zones(&self, ctx: &Context<'_>) -> Result<Vec<ZoneQueueObj>> {
        let od = parts(ctx).0;
        let all = od.queue_status(self.hall.centre, self.hall.id).await.map_err(query_error)?;
        Ok(all.into_iter().map(|status| ZoneQueueObj { centre: self.hall.centre, status }).collect())
    }
}

/// What a window holds and what waits for it.
#[derive(SimpleObject)]
#[graphql(name = "WindowQueue")]
pub struct WindowQueueObj {
    /// The ticket the window holds (called or serving).
    current: Option<TicketObj>,
    /// Tickets waiting that the window may call, the likeliest next first.
    waiting: Vec<TicketObj>,
}

/// An appointment slot.
pub struct SlotObj(Slot);

#[Object(name = "AppointmentSlot")]
impl SlotObj {
    /// Opaque global id.
    async fn id(&self) -> ID {
        encode(Kind::Slot, self.0.centre, self.0.id.0)
    }
    /// Start.
    async fn starts_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.starts_at
    }
    /// End.
    async fn ends_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.ends_at
    }
    /// Bookings it takes.
    async fn capacity(&self) -> i32 {
        i32::from(self.0.capacity)
    }
    /// Bookings it holds.
    async fn booked(&self) -> i32 {
        i32::from(self.0.booked)
    }
    /// Places left.
    async fn free(&self) -> i32 {
        i32::from(self.0.free())
    }
    /// The zone.
    async fn zone(&self, ctx: &Context<'_>) -> Result<Option<ZoneObj>> {
        Ok(parts(ctx).0.zone(self.0.centre, self.0.zone).await.map_err(query_error)?.map(ZoneObj))
    }
}

/// A booked appointment (seen by whoever holds its code, and by the hall's staff).
pub struct AppointmentObj(Appointment);

#[Object(name = "Appointment")]
impl AppointmentObj {
    /// Opaque global id.
    async fn id(&self) -> ID {
        encode(Kind::Appointment, self.0.centre, self.0.id.0)
    }
    /// The booking code to show at the kiosk.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Status now.
    async fn status(&self, ctx: &Context<'_>) -> AppointmentStatus {
        self.0.status_at(parts(ctx).0.now()).into()
    }
    /// The applicant's name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }
    /// The applicant's identity number, all but the last four characters hidden.
    async fn id_number_masked(&self) -> String {
        self.0.id_number.masked()
    }
    /// Slot start.
    async fn starts_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.starts_at
    }
    /// Slot end.
    async fn ends_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.ends_at
    }
    /// The zone.
    async fn zone(&self, ctx: &Context<'_>) -> Result<Option<ZoneObj>> {
        Ok(parts(ctx).0.zone(self.0.centre, self.0.zone).await.map_err(query_error)?.map(ZoneObj))
    }
    /// The ticket it was checked in as.
    async fn ticket(&self, ctx: &Context<'_>) -> Result<Option<TicketObj>> {
        let Some(t) = self.0.ticket else { return Ok(None) };
        Ok(parts(ctx).0.ticket(self.0.centre, t).await.map_err(query_error)?.map(TicketObj))
    }
}

/// Counts and times of a group of tickets.
#[derive(SimpleObject)]
pub struct QueueStats {
    /// What the group is: a zone code, window number, centre code, hour (`09`), date, class,
    /// channel or guide's staff number; `total` for all.
    key: String,
    /// The global id of the zone, window, centre or guide, where there is one.
    id: Option<ID>,
    /// Tickets taken.
    tickets: i32,
    /// Served.
    served: i32,
    /// No-shows.
    no_shows: i32,
    /// Not finished.
    open: i32,
    /// Transferred at least once.
    transferred: i32,
    /// Called at least once.
    called: i32,
    /// Mean wait from taking to first call, in seconds.
    average_wait_seconds: Option<f64>,
    /// Longest wait, in seconds.
    max_wait_seconds: i32,
    /// Mean service time, in seconds.
    average_service_seconds: Option<f64>,
}

fn stats(key: String, id: Option<ID>, r: &StatsRow) -> QueueStats {
    let n = |v: u64| i32::try_from(v).unwrap_or(i32::MAX);
    QueueStats {
        key,
        id,
        tickets: n(r.tickets),
        served: n(r.served),
        no_shows: n(r.no_shows),
        open: n(r.open),
        transferred: n(r.transferred),
        called: n(r.called),
        average_wait_seconds: r.average_wait_seconds(),
        max_wait_seconds: clamp(r.max_wait_seconds),
        average_service_seconds: r.average_service_seconds(),
    }
}

/// A hall's statistics over a period: every breakdown adds up to the total (tickets without a
/// window are in no window's group).
#[derive(SimpleObject)]
pub struct HallStatistics {
    /// All tickets.
    total: QueueStats,
    /// By day.
    by_day: Vec<QueueStats>,
    /// By local hour taken.
    by_hour: Vec<QueueStats>,
    /// By zone.
    by_zone: Vec<QueueStats>,
    /// By the window that held the ticket last.
    by_window: Vec<QueueStats>,
    /// By the centre of the ticket's matter (the hall's centre for zone tickets).
    by_centre: Vec<QueueStats>,
    /// By priority class.
    by_class: Vec<QueueStats>,
    /// By channel.
    by_channel: Vec<QueueStats>,
    /// By guide or proxy agent (their work).
    by_guide: Vec<QueueStats>,
}

async fn statistics(
    od: &Onedoor,
    caller: &onedoor::domain::Caller,
    hall: &onedoor::domain::organisation::Hall,
    s: dh::Statistics,
) -> Result<HallStatistics> {
    let e = query_error;
    let mut by_zone = Vec::new();
    for (z, r) in &s.by_zone {
        let code = od.zone(hall.centre, *z).await.map_err(e)?.map_or_else(|| z.to_string(), |z| z.code.to_string());
        by_zone.push(stats(code, Some(encode(Kind::Zone, hall.centre, z.0)), r));
    }
    let mut by_window = Vec::new();
    for (w, r) in &s.by_window {
        let n = od.window(hall.centre, *w).await.map_err(e)?.map_or_else(|| w.to_string(), |w| w.number.to_string());
        by_window.push(stats(n, Some(encode(Kind::Window, hall.centre, w.0)), r));
    }
    let mut by_centre = Vec::new();
    for (c, r) in &s.by_centre {
        let code = od.centre(*c).await.map_err(e)?.map_or_else(|| c.to_string(), |c| c.code.to_string());
        by_centre.push(stats(code, Some(encode(Kind::Centre, *c, c.0)), r));
    }
    let mut by_guide = Vec::new();
    for ((c, g), r) in &s.by_guide {
        let key = od.staff(caller, *c, *g).await.map_err(e)?.map_or_else(|| g.to_string(), |s| s.code.to_string());
        by_guide.push(stats(key, Some(encode(Kind::Staff, *c, g.0)), r));
    }
    Ok(HallStatistics {
        total: stats("total".into(), None, &s.total),
        by_day: s.by_day.iter().map(|(d, r)| stats(d.format("%Y-%m-%d").to_string(), None, r)).collect(),
        by_hour: s.by_hour.iter().map(|(h, r)| stats(format!("{h:02}"), None, r)).collect(),
        by_zone,
        by_window,
        by_centre,
        by_class: s.by_class.iter().map(|(c, r)| stats(c.as_str().into(), None, r)).collect(),
        by_channel: s.by_channel.iter().map(|(c, r)| stats(c.as_str().into(), None, r)).collect(),
        by_guide,
    })
}

fn hall_id(id: &ID) -> Result<(CentreId, HallId)> {
    decode(Kind::Hall, id).map(|(c, h)| (c, HallId(h))).ok_or_else(|| coded("INVALID_ID", "not a hall id"))
}

/// Queries of the hall.
#[derive(Debug, Default)]
pub struct HallQuery;

#[Object]
impl HallQuery {
    /// A hall's queue now: rules and every zone's waiting tickets (public).
    async fn hall_queue(&self, ctx: &Context<'_>, hall: ID) -> Result<Option<HallQueueObj>> {
        let (c, h) = hall_id(&hall)?;
        Ok(parts(ctx).0.hall(c, h).await.map_err(query_error)?.map(|hall| HallQueueObj { hall }))
    }

    /// A ticket with its place in the queue (public).
    async fn ticket(&self, ctx: &Context<'_>, id: ID) -> Result<Option<TicketObj>> {
        let (c, t) = decode(Kind::Ticket, &id).ok_or_else(|| coded("INVALID_ID", "not a ticket id"))?;
        Ok(parts(ctx).0.ticket(c, TicketId(t)).await.map_err(query_error)?.map(TicketObj))
    }

    /// What a window holds and the tickets it may call (window clerks of a centre sharing the
    /// hall).
    async fn window_queue(
        &self,
        ctx: &Context<'_>,
        window: ID,
        #[graphql(default = 20)] first: i32,
    ) -> Result<WindowQueueObj> {
        let (c, w) = decode(Kind::Window, &window).ok_or_else(|| coded("INVALID_ID", "not a window id"))?;
        if !(1..=100).contains(&first) {
            return Err(coded("PAGE_TOO_LARGE", "first is 1 to 100"));
        }
        let (od, caller) = parts(ctx);
        let (current, waiting) = od.window_queue(caller, c, WindowId(w), first as usize).await.map_err(query_error)?;
        Ok(WindowQueueObj { current: current.map(TicketObj), waiting: waiting.into_iter().map(TicketObj).collect() })
    }

    /// The appointment slots of a zone on a day (public).
    async fn appointment_slots(&self, ctx: &Context<'_>, zone: ID, date: Date) -> Result<Vec<SlotObj>> {
        let (c, z) = decode(Kind::Zone, &zone).ok_or_else(|| coded("INVALID_ID", "not a zone id"))?;
        let od = parts(ctx).0;
        let Some(z) = od.zone(c, ZoneId(z)).await.map_err(query_error)? else { return Ok(Vec::new()) };
        Ok(od.slots(c, z.hall, z.id, date.0).await.map_err(query_error)?.into_iter().map(SlotObj).collect())
    }

    /// A booking by its code (public to whoever holds the code).
    async fn appointment(&self, ctx: &Context<'_>, hall: ID, code: String) -> Result<Option<AppointmentObj>> {
        let (c, h) = hall_id(&hall)?;
        Ok(parts(ctx).0.appointment(c, h, &code).await.map_err(query_error)?.map(AppointmentObj))
    }

    /// The bookings of a hall on a day (staff of a centre sharing the hall).
    async fn appointments(&self, ctx: &Context<'_>, hall: ID, date: Date) -> Result<Vec<AppointmentObj>> {
        let (c, h) = hall_id(&hall)?;
        let (od, caller) = parts(ctx);
        Ok(od.appointments(caller, c, h, date.0).await.map_err(query_error)?.into_iter().map(AppointmentObj).collect())
    }

    /// A hall's statistics from `from` to `to` (inclusive): supervisors of a centre sharing
    /// the hall.
    async fn hall_statistics(&self, ctx: &Context<'_>, hall: ID, from: Date, to: Date) -> Result<HallStatistics> {
        let (c, h) = hall_id(&hall)?;
        let (od, caller) = parts(ctx);
        let s = od.hall_statistics(caller, c, h, from.0, to.0).await.map_err(query_error)?;
        let hall = od.hall(c, h).await.map_err(query_error)?.ok_or_else(|| coded("NOT_FOUND", "no such hall"))?;
        statistics(od, caller, &hall, s).await
    }
}

crate::mutation::payload!(/// Result of a ticket mutation; `ticket` is null when a call found nothing waiting.
    TicketPayload, ticket: TicketObj);
crate::mutation::payload!(/// Result of configuring a hall's queue.
    QueueSettingsPayload, settings: QueueSettingsObj);
crate::mutation::payload!(/// Result of a booking mutation.
    AppointmentPayload, appointment: AppointmentObj);

/// Result of generating appointment slots.
#[derive(SimpleObject)]
pub struct GenerateSlotsPayload {
    /// Slots created (periods that had one already are kept).
    created: Option<i32>,
    /// What was wrong with the input; empty on success.
    user_errors: Vec<UserError>,
}

/// Result of a check-in.
#[derive(SimpleObject)]
pub struct CheckInPayload {
    /// The booking, checked in.
    appointment: Option<AppointmentObj>,
    /// The appointment-class ticket it became.
    ticket: Option<TicketObj>,
    /// What was wrong with the input; empty on success.
    user_errors: Vec<UserError>,
}

/// Takes a ticket: anonymous at a kiosk (ordinary), or by a guide for a visitor.
#[derive(InputObject)]
pub struct TakeTicketInput {
    /// The hall.
    pub hall: ID,
    /// A zone of the hall (or give a matter).
    pub zone: Option<ID>,
    /// A matter of a centre sharing the hall (its zone is that of a window serving it).
    pub matter: Option<ID>,
    /// The class; guides may give PRIORITY (elderly, disabled). Defaults to ORDINARY.
    pub priority: Option<PriorityClass>,
}

/// A window calls its next ticket.
#[derive(InputObject)]
pub struct CallNextInput {
    /// The window.
    pub window: ID,
}

/// A clerk's move on a ticket.
#[derive(InputObject)]
pub struct TicketActionInput {
    /// The ticket.
    pub ticket: ID,
    /// The clerk's window: when given, the move is refused unless this window holds the ticket.
    pub window: Option<ID>,
}

/// Transfers a ticket to another zone or window of its hall; it keeps its place.
#[derive(InputObject)]
pub struct TransferTicketInput {
    /// The ticket.
    pub ticket: ID,
    /// The clerk's window (checked to hold the ticket when given).
    pub window: Option<ID>,
    /// To any window of this zone.
    pub to_zone: Option<ID>,
    /// To this window.
    pub to_window: Option<ID>,
}

/// Changes a hall's queue rules; omitted fields keep their value.
#[derive(InputObject)]
pub struct ConfigureHallQueueInput {
    /// The hall (of the caller's centre).
    pub hall: ID,
    /// Weight of appointment tickets (1–20).
    pub appointment_weight: Option<i32>,
    /// Weight of priority tickets (1–20).
    pub priority_weight: Option<i32>,
    /// Weight of ordinary tickets (1–20).
    pub ordinary_weight: Option<i32>,
    /// Unanswered recalls before a no-show (0–10).
    pub no_show_after_recalls: Option<i32>,
    /// Average service minutes for estimates (1–240).
    pub average_service_minutes: Option<i32>,
    /// Opening periods as `HH:MM-HH:MM`, in order.
    pub opening_hours: Option<Vec<String>>,
    /// Minutes per appointment slot (5–240).
    pub slot_minutes: Option<i32>,
    /// Bookings per applicant and day (1–20).
    pub bookings_per_day: Option<i32>,
    /// Missed appointments that bar booking (1–100).
    pub no_show_limit: Option<i32>,
    /// Days missed appointments count for (1–3650).
    pub no_show_days: Option<i32>,
    /// Minutes before its slot a booking may be checked in (0–240).
    pub check_in_early_minutes: Option<i32>,
}

/// Generates appointment slots for a zone from the hall's opening hours on working days.
#[derive(InputObject)]
pub struct GenerateSlotsInput {
    /// The zone (of a hall of the caller's centre).
    pub zone: ID,
    /// First day.
    pub from: Date,
    /// Last day (at most 92 days after the first).
    pub to: Date,
    /// Bookings per slot (1–500).
    pub capacity: i32,
}

/// Books a slot.
#[derive(InputObject)]
pub struct BookAppointmentInput {
    /// The slot.
    pub slot: ID,
    /// The applicant's name.
    pub name: String,
    /// The applicant's identity number.
    pub id_number: String,
}

/// Names a booking by its code.
#[derive(InputObject)]
pub struct AppointmentCodeInput {
    /// The hall.
    pub hall: ID,
    /// The booking code.
    pub code: String,
}

/// Mutations of the hall.
#[derive(Debug, Default)]
pub struct HallMutation;

fn bad(field: &str) -> Vec<UserError> {
    vec![UserError::bad_id(field)]
}

#[Object]
impl HallMutation {
    /// Takes a queue ticket: anonymous at a kiosk (ORDINARY), or by a guide for a visitor.
    async fn take_ticket(&self, ctx: &Context<'_>, input: TakeTicketInput) -> Result<TicketPayload> {
        let mut ids = Ids::default();
        let (c, h) = ids.one(Kind::Hall, "hall", &input.hall);
        let zone = ids.opt(Kind::Zone, "zone", input.zone.as_ref());
        let matter = ids.opt(Kind::Matter, "matter", input.matter.as_ref()).map(|(c, m)| (c, MatterId(m)));
        if let Some((zc, _)) = zone
            && ids.is_empty()
            && zc != c
        {
            ids.push(UserError::new("zone", "INVALID_REFERENCE", "the zone is not of this hall"));
        }
        if !ids.is_empty() {
            return Ok(TicketPayload::errors(ids.into_errors()));
        }
        let (od, caller) = parts(ctx);
        let req = TicketRequest { zone: zone.map(|z| ZoneId(z.1)), matter, class: input.priority.map(Into::into) };
        Ok(TicketPayload::of(finish(od.take_ticket(caller, c, HallId(h), req).await, TicketObj)?))
    }

    /// A window calls its next ticket in the fair order (window clerks of a centre sharing the
    /// hall); `ticket` is null when nothing waits for the window.
    async fn call_next_ticket(&self, ctx: &Context<'_>, input: CallNextInput) -> Result<TicketPayload> {
        let Some((c, w)) = decode(Kind::Window, &input.window) else { return Ok(TicketPayload::errors(bad("window"))) };
        let (od, caller) = parts(ctx);
        Ok(match od.call_next(caller, c, WindowId(w)).await {
            Ok(t) => TicketPayload { ticket: t.map(TicketObj), user_errors: Vec::new() },
            Err(e) => TicketPayload::errors(crate::error::user_errors(e)?),
        })
    }

    /// Calls a called ticket again.
    async fn recall_ticket(&self, ctx: &Context<'_>, input: TicketActionInput) -> Result<TicketPayload> {
        act(ctx, input, |od, caller, c, t, w| Box::pin(async move { od.recall_ticket(caller, c, t, w).await })).await
    }

    /// Marks a called ticket a no-show (after the hall's number of recalls).
    async fn mark_ticket_no_show(&self, ctx: &Context<'_>, input: TicketActionInput) -> Result<TicketPayload> {
        act(ctx, input, |od, caller, c, t, w| Box::pin(async move { od.mark_no_show(caller, c, t, w).await })).await
    }

    /// Starts serving a called ticket.
    async fn start_service(&self, ctx: &Context<'_>, input: TicketActionInput) -> Result<TicketPayload> {
        act(ctx, input, |od, caller, c, t, w| Box::pin(async move { od.start_service(caller, c, t, w).await })).await
    }

    /// Ends the service of a called or serving ticket: served.
    async fn end_service(&self, ctx: &Context<'_>, input: TicketActionInput) -> Result<TicketPayload> {
        act(ctx, input, |od, caller, c, t, w| Box::pin(async move { od.end_service(caller, c, t, w).await })).await
    }

    /// Transfers a ticket to another zone or window of its hall (exactly one of `toZone`,
    /// `toWindow`); it waits there in the place it was taken in.
    async fn transfer_ticket(&self, ctx: &Context<'_>, input: TransferTicketInput) -> Result<TicketPayload> {
        let mut ids = Ids::default();
        let (c, t) = ids.one(Kind::Ticket, "ticket", &input.ticket);
        let window = ids.opt(Kind::Window, "window", input.window.as_ref()).map(|w| WindowId(w.1));
        let to = match (&input.to_zone, &input.to_window) {
            (Some(z), None) => Some(TransferTarget::Zone(ZoneId(ids.one(Kind::Zone, "toZone", z).1))),
            (None, Some(w)) => Some(TransferTarget::Window(WindowId(ids.one(Kind::Window, "toWindow", w).1))),
            _ => {
                ids.push(UserError::new("toZone", "REQUIRED", "give exactly one of toZone and toWindow"));
                None
            }
        };
        let Some(to) = to.filter(|_| ids.is_empty()) else { return Ok(TicketPayload::errors(ids.into_errors())) };
        let (od, caller) = parts(ctx);
        Ok(TicketPayload::of(finish(od.transfer_ticket(caller, c, TicketId(t), to, window).await, TicketObj)?))
    }

    /// Changes a hall's queue and appointment rules (admins of the hall's centre).
    async fn configure_hall_queue(
        &self,
        ctx: &Context<'_>,
        input: ConfigureHallQueueInput,
    ) -> Result<QueueSettingsPayload> {
        let Some((_, h)) = decode(Kind::Hall, &input.hall) else {
            return Ok(QueueSettingsPayload::errors(bad("hall")));
        };
        let opening_hours = input.opening_hours.map(|v| {
            v.iter()
                .map(|p| match p.split_once('-') {
                    Some((f, t)) => (f.to_owned(), t.to_owned()),
                    None => (p.clone(), String::new()),
                })
                .collect()
        });
        let draft = dh::QueueSettingsDraft {
            appointment_weight: input.appointment_weight,
            priority_weight: input.priority_weight,
            ordinary_weight: input.ordinary_weight,
            no_show_after_recalls: input.no_show_after_recalls,
            average_service_minutes: input.average_service_minutes,
            opening_hours,
            slot_minutes: input.slot_minutes,
            bookings_per_day: input.bookings_per_day,
            no_show_limit: input.no_show_limit,
            no_show_days: input.no_show_days,
            check_in_early_minutes: input.check_in_early_minutes,
        };
        let (od, caller) = parts(ctx);
        Ok(QueueSettingsPayload::of(finish(od.configure_queue(caller, HallId(h), draft).await, Into::into)?))
    }

    /// Generates appointment slots for a zone (admins of the hall's centre): the hall's
    /// opening hours cut into slots, on the working days of the centre's calendar.
    async fn generate_appointment_slots(
        &self,
        ctx: &Context<'_>,
        input: GenerateSlotsInput,
    ) -> Result<GenerateSlotsPayload> {
        let Some((c, z)) = decode(Kind::Zone, &input.zone) else {
            return Ok(GenerateSlotsPayload { created: None, user_errors: bad("zone") });
        };
        let od = parts(ctx).0;
        let caller = parts(ctx).1;
        let zone = od.zone(c, ZoneId(z)).await.map_err(query_error)?;
        let r = match zone {
            Some(zone) => od.generate_slots(caller, zone.hall, zone.id, input.from.0, input.to.0, input.capacity).await,
            None => Err(onedoor::Error::not_found("zone", "zone")),
        };
        let (created, user_errors) = finish(r, |n| n as i32)?;
        Ok(GenerateSlotsPayload { created, user_errors })
    }

    /// Books a slot for an applicant (anyone: the portal, a kiosk, a guide).
    async fn book_appointment(&self, ctx: &Context<'_>, input: BookAppointmentInput) -> Result<AppointmentPayload> {
        let Some((c, s)) = decode(Kind::Slot, &input.slot) else { return Ok(AppointmentPayload::errors(bad("slot"))) };
        let req = BookingRequest { slot: onedoor::domain::SlotId(s), name: input.name, id_number: input.id_number };
        Ok(AppointmentPayload::of(finish(parts(ctx).0.book_appointment(c, req).await, AppointmentObj)?))
    }

    /// Cancels a booking by its code, before its slot starts.
    async fn cancel_appointment(&self, ctx: &Context<'_>, input: AppointmentCodeInput) -> Result<AppointmentPayload> {
        let Some((c, h)) = decode(Kind::Hall, &input.hall) else { return Ok(AppointmentPayload::errors(bad("hall"))) };
        Ok(AppointmentPayload::of(finish(
            parts(ctx).0.cancel_appointment(c, HallId(h), &input.code).await,
            AppointmentObj,
        )?))
    }

    /// Checks a booking in at the kiosk: it becomes an APPOINTMENT-class ticket.
    async fn check_in_appointment(&self, ctx: &Context<'_>, input: AppointmentCodeInput) -> Result<CheckInPayload> {
        let Some((c, h)) = decode(Kind::Hall, &input.hall) else {
            return Ok(CheckInPayload { appointment: None, ticket: None, user_errors: bad("hall") });
        };
        Ok(match parts(ctx).0.check_in(c, HallId(h), &input.code).await {
            Ok((a, t)) => CheckInPayload {
                appointment: Some(AppointmentObj(a)),
                ticket: Some(TicketObj(t)),
                user_errors: Vec::new(),
            },
            Err(e) => CheckInPayload { appointment: None, ticket: None, user_errors: crate::error::user_errors(e)? },
        })
    }
}

type ActFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = onedoor::Result<TicketView>> + Send + 'a>>;

/// Runs a clerk's move on a ticket.
async fn act<'a>(
    ctx: &'a Context<'_>,
    input: TicketActionInput,
    f: impl FnOnce(&'a Onedoor, &'a onedoor::domain::Caller, CentreId, TicketId, Option<WindowId>) -> ActFuture<'a>,
) -> Result<TicketPayload> {
    let mut ids = Ids::default();
    let (c, t) = ids.one(Kind::Ticket, "ticket", &input.ticket);
    let window = ids.opt(Kind::Window, "window", input.window.as_ref()).map(|w| WindowId(w.1));
    if !ids.is_empty() {
        return Ok(TicketPayload::errors(ids.into_errors()));
    }
    let (od, caller) = parts(ctx);
    Ok(TicketPayload::of(finish(f(od, caller, c, TicketId(t), window).await, TicketObj)?))
}

/// A call shown on the display boards: "A015 → window 23".
pub struct TicketCall {
    signal: onedoor::HallSignal,
}

#[Object]
impl TicketCall {
    /// The ticket's number.
    async fn number(&self) -> String {
        self.signal.change.ticket.number()
    }
    /// CALLED or RECALLED.
    async fn event(&self) -> TicketEvent {
        self.signal.change.event.into()
    }
    /// The window's number.
    async fn window_number(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(window_of(ctx, self.signal.centre, self.signal.change.window).await?.map(|w| w.0.number.to_string()))
    }
    /// The window.
    async fn window(&self, ctx: &Context<'_>) -> Result<Option<WindowObj>> {
        window_of(ctx, self.signal.centre, self.signal.change.window).await
    }
    /// The zone.
    async fn zone(&self, ctx: &Context<'_>) -> Result<Option<ZoneObj>> {
        let t = &self.signal.change.ticket;
        Ok(parts(ctx).0.zone(t.centre, t.zone).await.map_err(query_error)?.map(ZoneObj))
    }
    /// When it was called.
    async fn at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.signal.change.ticket.called_at
    }
    /// The ticket.
    async fn ticket(&self) -> TicketObj {
        TicketObj(TicketView {
            ticket: self.signal.change.ticket.clone(),
            position: None,
            estimated_wait_minutes: None,
        })
    }
}

/// Subscriptions of the hall, for display boards and kiosks (public, read-only).
#[derive(Debug, Default)]
pub struct HallSubscription;

fn signals(od: &Onedoor, centre: CentreId, hall: HallId) -> impl Stream<Item = onedoor::HallSignal> + use<> {
    let stream = tokio_stream::wrappers::BroadcastStream::new(od.subscribe_halls());
    futures_util::StreamExt::filter_map(stream, move |s| async move {
        match s {
            Ok(s) if s.centre == centre && s.hall == hall => Some(s),
            _ => None,
        }
    })
}

#[Subscription]
impl HallSubscription {
    /// Every call and recall in a hall, as the display boards show them.
    async fn hall_calls(&self, ctx: &Context<'_>, hall: ID) -> Result<impl Stream<Item = TicketCall>> {
        let (c, h) = hall_id(&hall)?;
        let od = parts(ctx).0;
        od.hall(c, h).await.map_err(query_error)?.ok_or_else(|| coded("NOT_FOUND", "no such hall"))?;
        Ok(futures_util::StreamExt::filter_map(signals(od, c, h), |signal| async move {
            matches!(signal.change.event, dh::TicketEvent::Called | dh::TicketEvent::Recalled)
                .then_some(TicketCall { signal })
        }))
    }

    /// The queue of a zone each time it changes (a ticket taken, called, transferred …).
    async fn hall_queue_changed(&self, ctx: &Context<'_>, hall: ID) -> Result<impl Stream<Item = ZoneQueueObj>> {
        let (c, h) = hall_id(&hall)?;
        let od = parts(ctx).0.clone();
        od.hall(c, h).await.map_err(query_error)?.ok_or_else(|| coded("NOT_FOUND", "no such hall"))?;
        Ok(futures_util::StreamExt::filter_map(signals(&od, c, h), move |signal| {
            let od = od.clone();
            async move {
                let all = od.queue_status(c, h).await.ok()?;
                all.into_iter()
                    .find(|z| z.zone == signal.change.ticket.zone)
                    .map(|status| ZoneQueueObj { centre: c, status })
            }
        }))
    }
}

/// The ticket node of a global id.
pub(crate) async fn ticket_node(od: &Onedoor, centre: CentreId, id: uuid::Uuid) -> Result<Option<TicketObj>> {
    Ok(od.ticket(centre, TicketId(id)).await.map_err(query_error)?.map(TicketObj))
}
