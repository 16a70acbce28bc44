//! The hall's queue (rules and version per hall, tickets and their history) and appointments
//! (slots, bookings, per-applicant quotas).

use super::col::{doc, id, id_null, instant, text};
use super::{fk, key};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, date, integer, timestamp_with_time_zone_null};

/// Creates the queue and appointment tables.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("hall_queue")
                .col(id("centre_id"))
                .col(id("hall_id"))
                .col(big_integer("version"))
                .col(doc("settings"))
                .col(date("day"))
                .col(doc("passes"))
                .primary_key(&mut key("hall_queue", "pk_hall_queue", &["centre_id", "hall_id"]))
                .foreign_key(&mut fk("hall_queue", &["centre_id", "hall_id"], "hall", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("ticket")
                .col(id("centre_id"))
                .col(id("id"))
                .col(id("hall_id"))
                .col(date("day"))
                .col(text("prefix"))
                .col(integer("seq"))
                .col(big_integer("ord"))
                .col(id("zone_id"))
                .col(id_null("matter_centre_id"))
                .col(id_null("matter_id"))
                .col(text("class"))
                .col(text("channel"))
                .col(id_null("guide_centre_id"))
                .col(id_null("guide_id"))
                .col(id_null("appointment_id"))
                .col(text("status"))
                .col(id_null("window_id"))
                .col(id_null("target_window_id"))
                .col(integer("recalls"))
                .col(integer("transfers"))
                .col(instant("taken_at"))
                .col(timestamp_with_time_zone_null("first_called_at"))
                .col(timestamp_with_time_zone_null("called_at"))
                .col(timestamp_with_time_zone_null("started_at"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .col(integer("version"))
                .primary_key(&mut key("ticket", "pk_ticket", &["centre_id", "id"]))
                .foreign_key(&mut fk("ticket", &["centre_id", "hall_id"], "hall", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;
        // One number per prefix and day in a hall; and the day's tickets of a hall, in order.
        m.create_index(
            key("ticket", "ux_ticket_number", &["centre_id", "hall_id", "day", "prefix", "seq"]).unique().to_owned(),
        )
        .await?;
        m.create_index(key("ticket", "ix_ticket_day", &["centre_id", "hall_id", "day", "ord"]).to_owned()).await?;

        m.create_table(
            Table::create()
                .table("ticket_event")
                .col(id("centre_id"))
                .col(id("ticket_id"))
                .col(integer("version"))
                .col(text("event"))
                .col(text("status"))
                .col(id_null("window_id"))
                .col(id_null("actor_centre_id"))
                .col(id_null("actor_id"))
                .col(instant("at"))
                .primary_key(&mut key("ticket_event", "pk_ticket_event", &["centre_id", "ticket_id", "version"]))
                .foreign_key(&mut fk("ticket_event", &["centre_id", "ticket_id"], "ticket", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("appointment_slot")
                .col(id("centre_id"))
                .col(id("id"))
                .col(id("hall_id"))
                .col(id("zone_id"))
                .col(instant("starts_at"))
                .col(instant("ends_at"))
                .col(integer("capacity"))
                .col(integer("booked"))
                .primary_key(&mut key("appointment_slot", "pk_appointment_slot", &["centre_id", "id"]))
                .foreign_key(&mut fk("appointment_slot", &["centre_id", "zone_id"], "zone", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(
            key("appointment_slot", "ux_appointment_slot", &["centre_id", "hall_id", "zone_id", "starts_at"])
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("appointment")
                .col(id("centre_id"))
                .col(id("id"))
                .col(id("hall_id"))
                .col(id("zone_id"))
                .col(id("slot_id"))
                .col(instant("starts_at"))
                .col(instant("ends_at"))
                .col(date("day"))
                .col(text("name"))
                .col(text("id_number"))
                .col(text("code"))
                .col(text("status"))
                .col(id_null("ticket_id"))
                .col(instant("booked_at"))
                .primary_key(&mut key("appointment", "pk_appointment", &["centre_id", "id"]))
                .foreign_key(&mut fk(
                    "appointment",
                    &["centre_id", "slot_id"],
                    "appointment_slot",
                    &["centre_id", "id"],
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(key("appointment", "ux_appointment_code", &["centre_id", "code"]).unique().to_owned()).await?;
        m.create_index(
            key("appointment", "ix_appointment_applicant", &["centre_id", "hall_id", "id_number", "ends_at"])
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("appointment_quota")
                .col(id("centre_id"))
                .col(id("hall_id"))
                .col(date("day"))
                .col(text("id_number"))
                .col(integer("booked"))
                .primary_key(&mut key(
                    "appointment_quota",
                    "pk_appointment_quota",
                    &["centre_id", "hall_id", "day", "id_number"],
                ))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
