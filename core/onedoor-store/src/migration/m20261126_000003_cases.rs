//! Calendars, workflow definitions, cases, their steps (the worklists), their history with the
//! per-centre hash chain, and the case-number counters.

use super::col::{doc, id, id_null, instant, text};
use super::{fk, key};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, date, date_null, integer};

/// Creates the case tables.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("calendar_day")
                .col(id("centre_id"))
                .col(date("day"))
                .col(text("kind"))
                .col(text("note"))
                .primary_key(&mut key("calendar_day", "pk_calendar_day", &["centre_id", "day"]))
                .foreign_key(&mut fk("calendar_day", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("workflow")
                .col(id("centre_id"))
                .col(id("matter_id"))
                .col(integer("version"))
                .col(doc("definition"))
                .col(id_null("actor_id"))
                .col(text("note"))
                .col(instant("at"))
                .primary_key(&mut key("workflow", "pk_workflow", &["centre_id", "matter_id", "version"]))
                .foreign_key(&mut fk("workflow", &["centre_id", "matter_id"], "matter", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("cases")
                .col(id("centre_id"))
                .col(id("id"))
                .col(text("number"))
                .col(text("state"))
                .col(integer("version"))
                .col(text("channel"))
                .col(id("reception_centre_id"))
                .col(id_null("reception_window_id"))
                .col(id_null("ticket_id"))
                .col(date("submitted_on"))
                .col(date_null("due_on"))
                .col(doc("doc"))
                .col(instant("updated_at"))
                .primary_key(&mut key("cases", "pk_cases", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("cases", "ux_cases_number", &["number"]).unique().to_owned()).await?;
        m.create_index(key("cases", "ix_cases_due", &["centre_id", "state", "due_on"]).to_owned()).await?;
        m.create_index(key("cases", "ix_cases_reception", &["reception_centre_id", "reception_window_id"]).to_owned())
            .await?;

        m.create_table(
            Table::create()
                .table("case_step")
                .col(id("centre_id"))
                .col(id("case_id"))
                .col(integer("step"))
                .col(id("unit_id"))
                .col(text("role"))
                .col(text("status"))
                .col(date("opened_on"))
                .col(date_null("due_on"))
                .primary_key(&mut key("case_step", "pk_case_step", &["centre_id", "case_id", "step"]))
                .to_owned(),
        )
        .await?;
        m.create_index(
            key("case_step", "ix_case_step_worklist", &["centre_id", "unit_id", "status", "due_on"]).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("case_event")
                .col(id("centre_id"))
                .col(id("case_id"))
                .col(integer("seq"))
                .col(big_integer("chain_seq"))
                .col(instant("at"))
                .col(id_null("actor_id"))
                .col(text("roles"))
                .col(id("acting_centre_id"))
                .col(id_null("window_id"))
                .col(text("command"))
                .col(text("from_state"))
                .col(text("to_state"))
                .col(doc("changes"))
                .col(text("prev_hash"))
                .col(text("hash"))
                .primary_key(&mut key("case_event", "pk_case_event", &["centre_id", "case_id", "seq"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("case_event", "ux_case_event_chain", &["centre_id", "chain_seq"]).unique().to_owned())
            .await?;

        m.create_table(
            Table::create()
                .table("chain_head")
                .col(id("centre_id"))
                .col(big_integer("seq"))
                .col(text("hash"))
                .primary_key(&mut key("chain_head", "pk_chain_head", &["centre_id"]))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("case_counter")
                .col(id("centre_id"))
                .col(date("day"))
                .col(big_integer("next"))
                .primary_key(&mut key("case_counter", "pk_case_counter", &["centre_id", "day"]))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
