//! Repositories of the hall: the queue's rules and version, tickets written in batches, their
//! history; appointment slots and bookings.
//!
//! The queue rows of a hall belong to the hall's centre. They are written by the platform for
//! that centre on behalf of the callers it has checked (a clerk of any centre sharing the hall,
//! a guide, an anonymous kiosk): the one named path where a write is not the caller's own
//! centre's. Every batch raises the hall's `hall_queue.version` with a check of the version the
//! writer last saw, so two processes can never both commit a change computed from the same
//! state.

use crate::entity::{appointment, appointment_quota, appointment_slot, hall_queue, ticket, ticket_event};
use crate::lite::{self, BatchTx};
use crate::{Result, Store, StoreError, WriteTx, corrupt, own};
use chrono::{DateTime, NaiveDate, Utc};
use onedoor_domain::case::IdNumber;
use onedoor_domain::error::{DomainError, ErrorCode};
use onedoor_domain::hall::queue::ZonePasses;
use onedoor_domain::hall::{
    Appointment, AppointmentStatus, PriorityClass, QueueSettings, Slot, Ticket, TicketChannel, TicketEvent,
    TicketStatus,
};
use onedoor_domain::organisation::Hall;
use onedoor_domain::values::Name;
use onedoor_domain::{AppointmentId, CentreId, HallId, MatterId, Scope, SlotId, StaffId, TicketId, WindowId, ZoneId};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;
use uuid::Uuid;

/// The day of a queue row that has never run a day (a date every database can store).
const NO_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// Rows per multi-row statement (well under SQLite's bound-parameter limit).
const CHUNK: usize = 500;

/// A hall's queue as stored: the version, the rules, and the fairness state of its day.
#[derive(Debug, Clone)]
pub struct QueueRecord {
    /// Raised by every write; `None` when the hall has no queue row yet.
    pub version: Option<i64>,
    /// The rules (defaults until configured).
    pub settings: QueueSettings,
    /// The day the passes belong to.
    pub day: NaiveDate,
    /// The scheduler's state.
    pub passes: ZonePasses,
}

/// One ticket change to record.
#[derive(Debug, Clone)]
pub struct TicketChange {
    /// The ticket after the change.
    pub ticket: Ticket,
    /// What happened.
    pub event: TicketEvent,
    /// The window that acted.
    pub window: Option<WindowId>,
    /// Who acted (staff), if anyone signed in.
    pub actor: Option<(CentreId, StaffId)>,
    /// When.
    pub at: DateTime<Utc>,
}

fn status<T>(parse: fn(&str) -> Option<T>, s: &str, what: &str) -> Result<T> {
    parse(s).ok_or_else(|| corrupt(what, s))
}

fn to_ticket(m: ticket::Model) -> Result<Ticket> {
    let pair = |c: Option<Uuid>, i: Option<Uuid>| c.zip(i);
    Ok(Ticket {
        id: TicketId(m.id),
        centre: CentreId(m.centre_id),
        hall: HallId(m.hall_id),
        day: m.day,
        prefix: m.prefix,
        seq: u32::try_from(m.seq).map_err(|e| corrupt("ticket seq", e))?,
        order: u64::try_from(m.ord).map_err(|e| corrupt("ticket order", e))?,
        zone: ZoneId(m.zone_id),
        matter: pair(m.matter_centre_id, m.matter_id).map(|(c, i)| (CentreId(c), MatterId(i))),
        class: status(PriorityClass::parse, &m.class, "ticket class")?,
        channel: status(TicketChannel::parse, &m.channel, "ticket channel")?,
        guide: pair(m.guide_centre_id, m.guide_id).map(|(c, i)| (CentreId(c), StaffId(i))),
        appointment: m.appointment_id.map(AppointmentId),
        status: status(TicketStatus::parse, &m.status, "ticket status")?,
        window: m.window_id.map(WindowId),
        target_window: m.target_window_id.map(WindowId),
        recalls: u8::try_from(m.recalls).map_err(|e| corrupt("ticket recalls", e))?,
        transfers: u8::try_from(m.transfers).map_err(|e| corrupt("ticket transfers", e))?,
        taken_at: m.taken_at,
        first_called_at: m.first_called_at,
        called_at: m.called_at,
        started_at: m.started_at,
        ended_at: m.ended_at,
        version: u32::try_from(m.version).map_err(|e| corrupt("ticket version", e))?,
    })
}

fn ticket_row(t: &Ticket) -> ticket::ActiveModel {
    ticket::ActiveModel {
        centre_id: Set(t.centre.0),
        id: Set(t.id.0),
        hall_id: Set(t.hall.0),
        day: Set(t.day),
        prefix: Set(t.prefix.clone()),
        seq: Set(t.seq as i32),
        ord: Set(t.order as i64),
        zone_id: Set(t.zone.0),
        matter_centre_id: Set(t.matter.map(|m| m.0.0)),
        matter_id: Set(t.matter.map(|m| m.1.0)),
        class: Set(t.class.as_str().to_owned()),
        channel: Set(t.channel.as_str().to_owned()),
        guide_centre_id: Set(t.guide.map(|g| g.0.0)),
        guide_id: Set(t.guide.map(|g| g.1.0)),
        appointment_id: Set(t.appointment.map(|a| a.0)),
        status: Set(t.status.as_str().to_owned()),
        window_id: Set(t.window.map(|w| w.0)),
        target_window_id: Set(t.target_window.map(|w| w.0)),
        recalls: Set(i32::from(t.recalls)),
        transfers: Set(i32::from(t.transfers)),
        taken_at: Set(t.taken_at),
        first_called_at: Set(t.first_called_at),
        called_at: Set(t.called_at),
        started_at: Set(t.started_at),
        ended_at: Set(t.ended_at),
        version: Set(t.version as i32),
    }
}

fn to_slot(m: appointment_slot::Model) -> Result<Slot> {
    Ok(Slot {
        id: SlotId(m.id),
        centre: CentreId(m.centre_id),
        hall: HallId(m.hall_id),
        zone: ZoneId(m.zone_id),
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        capacity: u16::try_from(m.capacity).map_err(|e| corrupt("slot capacity", e))?,
        booked: u16::try_from(m.booked).map_err(|e| corrupt("slot bookings", e))?,
    })
}

fn to_appointment(m: appointment::Model) -> Result<Appointment> {
    Ok(Appointment {
        id: AppointmentId(m.id),
        centre: CentreId(m.centre_id),
        hall: HallId(m.hall_id),
        zone: ZoneId(m.zone_id),
        slot: SlotId(m.slot_id),
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        name: Name::parse(&m.name).map_err(|e| corrupt("applicant name", e))?,
        id_number: IdNumber::parse(&m.id_number).map_err(|e| corrupt("applicant id number", e))?,
        code: m.code,
        status: status(AppointmentStatus::parse, &m.status, "appointment status")?,
        ticket: m.ticket_id.map(TicketId),
        booked_at: m.booked_at,
    })
}

fn json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| corrupt("queue state", e))
}

fn rule(field: &str, code: ErrorCode, message: &str) -> StoreError {
    StoreError::Rule(DomainError::new(field, code, message))
}

impl Store {
    // ----- the queue -----

    /// A hall's queue row (defaults when the hall has none yet) (public).
    pub async fn queue_record(&self, hall: &Hall) -> Result<QueueRecord> {
        let row = hall_queue::Entity::find_by_id((hall.centre.0, hall.id.0)).one(&self.db).await?;
        Ok(match row {
            Some(r) => QueueRecord {
                version: Some(r.version),
                settings: serde_json::from_value(r.settings).map_err(|e| corrupt("queue settings", e))?,
                day: r.day,
                passes: serde_json::from_value(r.passes).map_err(|e| corrupt("queue passes", e))?,
            },
            None => QueueRecord {
                version: None,
                settings: QueueSettings::default(),
                day: NO_DAY,
                passes: ZonePasses::new(),
            },
        })
    }

    /// The version of a hall's queue (cheap: one row by key), to tell whether a cached queue is
    /// current.
    pub async fn queue_version(&self, hall: &Hall) -> Result<Option<i64>> {
        Ok(hall_queue::Entity::find_by_id((hall.centre.0, hall.id.0)).one(&self.db).await?.map(|r| r.version))
    }

    /// Sets a hall's rules (a hall of the caller's centre), raising the queue's version.
    pub async fn configure_queue(&self, scope: &Scope, hall: HallId, settings: &QueueSettings) -> Result<()> {
        let tx = self.write().await?;
        let current = hall_queue::Entity::find_by_id((own(scope), hall.0)).one(&tx).await?;
        match current {
            Some(r) => {
                let version = r.version + 1;
                let mut am: hall_queue::ActiveModel = r.into();
                am.version = Set(version);
                am.settings = Set(json(settings)?);
                am.update(&tx).await?;
            }
            None => {
                hall_queue::ActiveModel {
                    centre_id: Set(own(scope)),
                    hall_id: Set(hall.0),
                    version: Set(1),
                    settings: Set(json(settings)?),
                    day: Set(NO_DAY),
                    passes: Set(json(&ZonePasses::new())?),
                }
                .insert(&tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The tickets of a hall's day, in order (public: tickets carry no personal data).
    pub async fn tickets_of_day(&self, hall: &Hall, day: NaiveDate) -> Result<Vec<Ticket>> {
        ticket::Entity::find()
            .filter(ticket::Column::CentreId.eq(hall.centre.0))
            .filter(ticket::Column::HallId.eq(hall.id.0))
            .filter(ticket::Column::Day.eq(day))
            .order_by_asc(ticket::Column::Ord)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_ticket)
            .collect()
    }

    /// The tickets of a hall from `from` to `to` (days, inclusive), for statistics.
    pub async fn tickets_between(&self, hall: &Hall, from: NaiveDate, to: NaiveDate) -> Result<Vec<Ticket>> {
        ticket::Entity::find()
            .filter(ticket::Column::CentreId.eq(hall.centre.0))
            .filter(ticket::Column::HallId.eq(hall.id.0))
            .filter(ticket::Column::Day.between(from, to))
            .order_by_asc(ticket::Column::Day)
            .order_by_asc(ticket::Column::Ord)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_ticket)
            .collect()
    }

    /// A ticket by its centre and id (public).
    pub async fn ticket(&self, centre: CentreId, id: TicketId) -> Result<Option<Ticket>> {
        ticket::Entity::find_by_id((centre.0, id.0)).one(&self.db).await?.map(to_ticket).transpose()
    }

    /// A ticket's history, oldest first: (event, status after, window, actor, when).
    #[allow(clippy::type_complexity)]
    pub async fn ticket_history(
        &self,
        t: &Ticket,
    ) -> Result<Vec<(TicketEvent, TicketStatus, Option<WindowId>, Option<(CentreId, StaffId)>, DateTime<Utc>)>> {
        ticket_event::Entity::find()
            .filter(ticket_event::Column::CentreId.eq(t.centre.0))
            .filter(ticket_event::Column::TicketId.eq(t.id.0))
            .order_by_asc(ticket_event::Column::Version)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|e| {
                Ok((
                    status(TicketEvent::parse, &e.event, "ticket event")?,
                    status(TicketStatus::parse, &e.status, "ticket status")?,
                    e.window_id.map(WindowId),
                    e.actor_centre_id.zip(e.actor_id).map(|(c, s)| (CentreId(c), StaffId(s))),
                    e.at,
                ))
            })
            .collect()
    }

    /// Starts a batch of queue writes.
    pub async fn queue_batch(&self) -> Result<QueueBatch> {
        Ok(QueueBatch { tx: self.begin_batch().await?, tickets: HashMap::new(), order: Vec::new(), events: Vec::new() })
    }

    // ----- appointments -----

    /// Creates slots of `capacity` in a zone of a hall of the caller's centre for the given
    /// periods; periods that already have a slot are kept as they are. Returns how many were
    /// created.
    pub async fn create_slots(
        &self,
        scope: &Scope,
        hall: HallId,
        zone: ZoneId,
        periods: &[(DateTime<Utc>, DateTime<Utc>)],
        capacity: u16,
    ) -> Result<usize> {
        let tx = self.write().await?;
        let mut created = 0;
        for chunk in periods.chunks(CHUNK) {
            let before = appointment_slot::Entity::find()
                .filter(appointment_slot::Column::CentreId.eq(own(scope)))
                .filter(appointment_slot::Column::HallId.eq(hall.0))
                .filter(appointment_slot::Column::ZoneId.eq(zone.0))
                .count(&tx)
                .await?;
            let rows = chunk.iter().map(|(s, e)| appointment_slot::ActiveModel {
                centre_id: Set(own(scope)),
                id: Set(Uuid::now_v7()),
                hall_id: Set(hall.0),
                zone_id: Set(zone.0),
                starts_at: Set(*s),
                ends_at: Set(*e),
                capacity: Set(i32::from(capacity)),
                booked: Set(0),
            });
            appointment_slot::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        appointment_slot::Column::CentreId,
                        appointment_slot::Column::HallId,
                        appointment_slot::Column::ZoneId,
                        appointment_slot::Column::StartsAt,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&tx)
                .await?;
            let after = appointment_slot::Entity::find()
                .filter(appointment_slot::Column::CentreId.eq(own(scope)))
                .filter(appointment_slot::Column::HallId.eq(hall.0))
                .filter(appointment_slot::Column::ZoneId.eq(zone.0))
                .count(&tx)
                .await?;
            created += (after - before) as usize;
        }
        tx.commit().await?;
        Ok(created)
    }

    /// The slots of a hall's zone starting in `[from, to)`, in time order (public).
    pub async fn slots(&self, hall: &Hall, zone: ZoneId, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Slot>> {
        appointment_slot::Entity::find()
            .filter(appointment_slot::Column::CentreId.eq(hall.centre.0))
            .filter(appointment_slot::Column::HallId.eq(hall.id.0))
            .filter(appointment_slot::Column::ZoneId.eq(zone.0))
            .filter(appointment_slot::Column::StartsAt.gte(from))
            .filter(appointment_slot::Column::StartsAt.lt(to))
            .order_by_asc(appointment_slot::Column::StartsAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_slot)
            .collect()
    }

    /// A slot by its centre and id (public).
    pub async fn slot(&self, centre: CentreId, id: SlotId) -> Result<Option<Slot>> {
        appointment_slot::Entity::find_by_id((centre.0, id.0)).one(&self.db).await?.map(to_slot).transpose()
    }

    /// Missed appointments of an applicant in a hall whose slot ended in `[since, now)`.
    pub async fn missed_appointments(
        &self,
        hall: &Hall,
        id_number: &IdNumber,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let n = appointment::Entity::find()
            .filter(appointment::Column::CentreId.eq(hall.centre.0))
            .filter(appointment::Column::HallId.eq(hall.id.0))
            .filter(appointment::Column::IdNumber.eq(id_number.as_str()))
            .filter(appointment::Column::EndsAt.gte(since))
            .filter(appointment::Column::EndsAt.lt(now))
            .filter(appointment::Column::Status.eq(AppointmentStatus::Booked.as_str()))
            .count(&self.db)
            .await?;
        Ok(n as usize)
    }

    /// Books an appointment (for the hall's centre, on behalf of an anonymous applicant): takes
    /// a place of the slot and of the applicant's quota for the day, both with checked
    /// increments, so concurrent bookings never exceed either.
    pub async fn book(&self, a: &Appointment, day: NaiveDate, per_day: u8) -> Result<()> {
        let tx = self.write().await?;
        appointment_quota::Entity::insert(appointment_quota::ActiveModel {
            centre_id: Set(a.centre.0),
            hall_id: Set(a.hall.0),
            day: Set(day),
            id_number: Set(a.id_number.as_str().to_owned()),
            booked: Set(0),
        })
        .on_conflict(
            OnConflict::columns([
                appointment_quota::Column::CentreId,
                appointment_quota::Column::HallId,
                appointment_quota::Column::Day,
                appointment_quota::Column::IdNumber,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&tx)
        .await?;
        let quota = appointment_quota::Entity::update_many()
            .col_expr(appointment_quota::Column::Booked, Expr::col(appointment_quota::Column::Booked).add(1))
            .filter(appointment_quota::Column::CentreId.eq(a.centre.0))
            .filter(appointment_quota::Column::HallId.eq(a.hall.0))
            .filter(appointment_quota::Column::Day.eq(day))
            .filter(appointment_quota::Column::IdNumber.eq(a.id_number.as_str()))
            .filter(appointment_quota::Column::Booked.lt(i32::from(per_day)))
            .exec(&tx)
            .await?;
        if quota.rows_affected == 0 {
            return Err(rule(
                "idNumber",
                ErrorCode::LimitReached,
                &format!("at most {per_day} bookings per day in this hall"),
            ));
        }
        let holds = appointment::Entity::find()
            .filter(appointment::Column::CentreId.eq(a.centre.0))
            .filter(appointment::Column::SlotId.eq(a.slot.0))
            .filter(appointment::Column::IdNumber.eq(a.id_number.as_str()))
            .filter(appointment::Column::Status.eq(AppointmentStatus::Booked.as_str()))
            .count(&tx)
            .await?;
        if holds > 0 {
            return Err(rule("slot", ErrorCode::Duplicate, "this applicant already holds a booking of this slot"));
        }
        let slot = appointment_slot::Entity::update_many()
            .col_expr(appointment_slot::Column::Booked, Expr::col(appointment_slot::Column::Booked).add(1))
            .filter(appointment_slot::Column::CentreId.eq(a.centre.0))
            .filter(appointment_slot::Column::Id.eq(a.slot.0))
            .filter(Expr::col(appointment_slot::Column::Booked).lt(Expr::col(appointment_slot::Column::Capacity)))
            .exec(&tx)
            .await?;
        if slot.rows_affected == 0 {
            return Err(rule("slot", ErrorCode::Full, "the slot is fully booked"));
        }
        appointment::ActiveModel {
            centre_id: Set(a.centre.0),
            id: Set(a.id.0),
            hall_id: Set(a.hall.0),
            zone_id: Set(a.zone.0),
            slot_id: Set(a.slot.0),
            starts_at: Set(a.starts_at),
            ends_at: Set(a.ends_at),
            day: Set(day),
            name: Set(a.name.to_string()),
            id_number: Set(a.id_number.as_str().to_owned()),
            code: Set(a.code.clone()),
            status: Set(a.status.as_str().to_owned()),
            ticket_id: Set(None),
            booked_at: Set(a.booked_at),
        }
        .insert(&tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An appointment of a hall by its booking code (public to whoever holds the code).
    pub async fn appointment_by_code(&self, hall: &Hall, code: &str) -> Result<Option<Appointment>> {
        appointment::Entity::find()
            .filter(appointment::Column::CentreId.eq(hall.centre.0))
            .filter(appointment::Column::HallId.eq(hall.id.0))
            .filter(appointment::Column::Code.eq(code.trim().to_ascii_uppercase()))
            .one(&self.db)
            .await?
            .map(to_appointment)
            .transpose()
    }

    /// The appointments of a hall's zone whose slots start in `[from, to)` (for the hall's
    /// staff; the platform checks the caller).
    pub async fn appointments(&self, hall: &Hall, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Appointment>> {
        appointment::Entity::find()
            .filter(appointment::Column::CentreId.eq(hall.centre.0))
            .filter(appointment::Column::HallId.eq(hall.id.0))
            .filter(appointment::Column::StartsAt.gte(from))
            .filter(appointment::Column::StartsAt.lt(to))
            .order_by_asc(appointment::Column::StartsAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_appointment)
            .collect()
    }

    /// Cancels a booked appointment and gives its places back; `false` if it was no longer
    /// booked.
    pub async fn cancel_appointment(&self, a: &Appointment) -> Result<bool> {
        let tx = self.write().await?;
        let done = set_status(&tx, a, AppointmentStatus::Booked, AppointmentStatus::Cancelled, None).await?;
        if done {
            appointment_slot::Entity::update_many()
                .col_expr(appointment_slot::Column::Booked, Expr::col(appointment_slot::Column::Booked).sub(1))
                .filter(appointment_slot::Column::CentreId.eq(a.centre.0))
                .filter(appointment_slot::Column::Id.eq(a.slot.0))
                .filter(appointment_slot::Column::Booked.gt(0))
                .exec(&tx)
                .await?;
            appointment_quota::Entity::update_many()
                .col_expr(appointment_quota::Column::Booked, Expr::col(appointment_quota::Column::Booked).sub(1))
                .filter(appointment_quota::Column::CentreId.eq(a.centre.0))
                .filter(appointment_quota::Column::HallId.eq(a.hall.0))
                .filter(appointment_quota::Column::IdNumber.eq(a.id_number.as_str()))
                .filter(appointment_quota::Column::Booked.gt(0))
                .filter(appointment_quota::Column::Day.eq(onedoor_domain::hall::local_day(a.starts_at)))
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Marks a booked appointment checked in as `ticket`; `false` if it was no longer booked.
    pub async fn check_in_appointment(&self, a: &Appointment, ticket: TicketId) -> Result<bool> {
        let tx = self.write().await?;
        let done = set_status(&tx, a, AppointmentStatus::Booked, AppointmentStatus::CheckedIn, Some(ticket)).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Undoes a check-in whose ticket could not be written.
    pub async fn undo_check_in(&self, a: &Appointment) -> Result<()> {
        let tx = self.write().await?;
        set_status(&tx, a, AppointmentStatus::CheckedIn, AppointmentStatus::Booked, None).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn set_status(
    tx: &WriteTx,
    a: &Appointment,
    from: AppointmentStatus,
    to: AppointmentStatus,
    ticket: Option<TicketId>,
) -> Result<bool> {
    let r = appointment::Entity::update_many()
        .col_expr(appointment::Column::Status, Expr::value(to.as_str()))
        .col_expr(appointment::Column::TicketId, Expr::value(ticket.map(|t| t.0)))
        .filter(appointment::Column::CentreId.eq(a.centre.0))
        .filter(appointment::Column::Id.eq(a.id.0))
        .filter(appointment::Column::Status.eq(from.as_str()))
        .exec(tx)
        .await?;
    Ok(r.rows_affected == 1)
}

/// The columns of a stored ticket that a later change of it sets.
const TICKET_CHANGES: [ticket::Column; 13] = [
    ticket::Column::ZoneId,
    ticket::Column::MatterCentreId,
    ticket::Column::MatterId,
    ticket::Column::Status,
    ticket::Column::WindowId,
    ticket::Column::TargetWindowId,
    ticket::Column::Recalls,
    ticket::Column::Transfers,
    ticket::Column::FirstCalledAt,
    ticket::Column::CalledAt,
    ticket::Column::StartedAt,
    ticket::Column::EndedAt,
    ticket::Column::Version,
];

/// Queue writes of one transaction: claims of halls (version checks), ticket rows and events.
/// On a SQLite file they run on the batch writers' own connection (the `lite` module).
#[derive(Debug)]
pub struct QueueBatch {
    tx: BatchTx,
    /// The last row staged per ticket, and the order tickets were first staged in.
    tickets: HashMap<TicketId, ticket::ActiveModel>,
    order: Vec<TicketId>,
    events: Vec<ticket_event::ActiveModel>,
}

impl QueueBatch {
    /// Moves a hall's queue from version `seen` (`None`: no row yet) to `seen + 1`, storing the
    /// day and passes. `false` when someone else moved it first: the caller's view is stale and
    /// nothing of that hall may be written.
    pub async fn claim(&mut self, hall: &Hall, seen: Option<i64>, record: &QueueRecord) -> Result<bool> {
        let passes = json(&record.passes)?;
        let first = || -> Result<hall_queue::ActiveModel> {
            Ok(hall_queue::ActiveModel {
                centre_id: Set(hall.centre.0),
                hall_id: Set(hall.id.0),
                version: Set(1),
                settings: Set(json(&record.settings)?),
                day: Set(record.day),
                passes: Set(passes.clone()),
            })
        };
        let key = [hall_queue::Column::CentreId, hall_queue::Column::HallId];
        let tx = match &self.tx {
            BatchTx::Sql(tx) => tx,
            BatchTx::Lite(tx) => {
                return lite::blocking(|| match seen {
                    Some(v) => {
                        let values = lite::values(&[
                            (v + 1).into(),
                            record.day.into(),
                            passes.clone().into(),
                            hall.centre.0.into(),
                            hall.id.0.into(),
                            v.into(),
                        ])?;
                        let sql = "UPDATE hall_queue SET version = ?1, day = ?2, passes = ?3 \
                                   WHERE centre_id = ?4 AND hall_id = ?5 AND version = ?6";
                        Ok(tx.execute(sql, values)? == 1)
                    }
                    None => {
                        Ok(lite::insert_models::<hall_queue::Entity>(tx, &[first()?], lite::OnConflict::Nothing(&key))?
                            == 1)
                    }
                });
            }
        };
        match seen {
            Some(v) => {
                let r = hall_queue::Entity::update_many()
                    .col_expr(hall_queue::Column::Version, Expr::value(v + 1))
                    .col_expr(hall_queue::Column::Day, Expr::value(record.day))
                    .col_expr(hall_queue::Column::Passes, Expr::value(passes))
                    .filter(hall_queue::Column::CentreId.eq(hall.centre.0))
                    .filter(hall_queue::Column::HallId.eq(hall.id.0))
                    .filter(hall_queue::Column::Version.eq(v))
                    .exec(tx)
                    .await?;
                Ok(r.rows_affected == 1)
            }
            None => {
                let r = hall_queue::Entity::insert(first()?)
                    .on_conflict(OnConflict::columns(key).do_nothing().to_owned())
                    .exec_without_returning(tx)
                    .await?;
                Ok(r == 1)
            }
        }
    }

    /// Stages a ticket change (the row, inserted or replaced, and its event).
    pub fn put(&mut self, c: &TicketChange) {
        // A ticket changed twice in the batch: its last row wins (one row per key per statement).
        if self.tickets.insert(c.ticket.id, ticket_row(&c.ticket)).is_none() {
            self.order.push(c.ticket.id);
        }
        self.events.push(ticket_event::ActiveModel {
            centre_id: Set(c.ticket.centre.0),
            ticket_id: Set(c.ticket.id.0),
            version: Set(c.ticket.version as i32),
            event: Set(c.event.as_str().to_owned()),
            status: Set(c.ticket.status.as_str().to_owned()),
            window_id: Set(c.window.map(|w| w.0)),
            actor_centre_id: Set(c.actor.map(|a| a.0.0)),
            actor_id: Set(c.actor.map(|a| a.1.0)),
            at: Set(c.at),
        });
    }

    /// Writes the staged rows (with multi-row statements through sqlx) and commits.
    pub async fn commit(self) -> Result<()> {
        let QueueBatch { tx, mut tickets, order, mut events } = self;
        let mut tickets: Vec<ticket::ActiveModel> = order.iter().filter_map(|id| tickets.remove(id)).collect();
        let key = [ticket::Column::CentreId, ticket::Column::Id];
        let tx = match tx {
            BatchTx::Sql(tx) => tx,
            BatchTx::Lite(tx) => {
                return lite::blocking(|| {
                    let update = lite::OnConflict::Update(&key, &TICKET_CHANGES);
                    lite::insert_models::<ticket::Entity>(&tx, &tickets, update)?;
                    lite::insert_models::<ticket_event::Entity>(&tx, &events, lite::OnConflict::Fail)?;
                    tx.commit()
                });
            }
        };
        while !tickets.is_empty() {
            let chunk: Vec<ticket::ActiveModel> = tickets.drain(..tickets.len().min(CHUNK)).collect();
            ticket::Entity::insert_many(chunk)
                .on_conflict(OnConflict::columns(key).update_columns(TICKET_CHANGES).to_owned())
                .exec_without_returning(&tx)
                .await?;
        }
        while !events.is_empty() {
            let chunk: Vec<ticket_event::ActiveModel> = events.drain(..events.len().min(CHUNK)).collect();
            ticket_event::Entity::insert_many(chunk).exec_without_returning(&tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Gives up the batch: nothing is written.
    pub async fn rollback(self) -> Result<()> {
        match self.tx {
            BatchTx::Sql(tx) => Ok(tx.rollback().await?),
            BatchTx::Lite(tx) => {
                tx.rollback();
                Ok(())
            }
        }
    }
}
