//! Evaluation and supervision: ratings, rectifications, assessments and their scores, fees
//! charged on cases, each centre's supervision settings, and the per-centre hash chain of
//! alert events (alerts gain the unit concerned and a de-duplication key), and `case_fact`:
//! one row of figures per case, kept by the supervision pass, that statistics add up.

use super::col::{doc, flag, id, id_null, instant, text};
use super::{fk, key};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, date, date_null, integer, integer_null, text as long_text, text_null, uuid_null,
};

/// Creates the evaluation and supervision tables.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("rating")
                .col(id("centre_id"))
                .col(id("id"))
                .col(text("kind"))
                .col(text("target"))
                .col(text("channel"))
                .col(text("level"))
                .col(id_null("window_id"))
                .col(id_null("unit_id"))
                .col(id_null("staff_id"))
                .col(id_null("matter_id"))
                .col(text_null("case_number"))
                .col(date("rated_on"))
                .col(instant("rated_at"))
                .col(flag("counts"))
                .col(text_null("appeal_status"))
                .col(doc("doc"))
                .primary_key(&mut key("rating", "pk_rating", &["centre_id", "id"]))
                .foreign_key(&mut fk("rating", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(
            key("rating", "ux_rating_once", &["centre_id", "kind", "target", "channel"]).unique().to_owned(),
        )
        .await?;
        m.create_index(key("rating", "ix_rating_day", &["centre_id", "rated_on"]).to_owned()).await?;

        m.create_table(
            Table::create()
                .table("rectification")
                .col(id("centre_id"))
                .col(id("id"))
                .col(id("rating_id"))
                .col(id_null("unit_id"))
                .col(text("status"))
                .col(date("opened_on"))
                .col(date("due_on"))
                .col(date_null("closed_on"))
                .col(integer("version"))
                .col(doc("doc"))
                .primary_key(&mut key("rectification", "pk_rectification", &["centre_id", "id"]))
                .foreign_key(&mut fk("rectification", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("rectification", "ix_rectification_status", &["centre_id", "status", "due_on"]).to_owned())
            .await?;
        m.create_index(key("rectification", "ix_rectification_rating", &["centre_id", "rating_id"]).to_owned()).await?;

        m.create_table(
            Table::create()
                .table("assessment")
                .col(id("centre_id"))
                .col(id("id"))
                .col(date("period_start"))
                .col(date("period_end"))
                .col(text("rule"))
                .col(instant("computed_at"))
                .col(doc("doc"))
                .primary_key(&mut key("assessment", "pk_assessment", &["centre_id", "id"]))
                .foreign_key(&mut fk("assessment", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(
            key("assessment", "ux_assessment_period", &["centre_id", "period_start", "period_end"]).unique().to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("case_fee")
                .col(id("centre_id"))
                .col(id("id"))
                .col(id("case_id"))
                .col(text("item"))
                .col(big_integer("amount"))
                .col(id_null("charged_by"))
                .col(instant("charged_at"))
                .primary_key(&mut key("case_fee", "pk_case_fee", &["centre_id", "id"]))
                .foreign_key(&mut fk("case_fee", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("case_fee", "ix_case_fee_case", &["centre_id", "case_id"]).to_owned()).await?;

        m.create_table(
            Table::create()
                .table("case_fact")
                .col(id("centre_id"))
                .col(id("case_id"))
                .col(text("number"))
                .col(text("state"))
                .col(text("channel"))
                .col(id("reception_centre_id"))
                .col(id_null("reception_window_id"))
                .col(id_null("unit_id"))
                .col(id_null("matter_id"))
                .col(flag("assisted"))
                .col(date("submitted_on"))
                .col(date_null("accepted_on"))
                .col(date_null("decided_on"))
                .col(date_null("due_on"))
                .col(integer_null("used_days"))
                .col(flag("completed"))
                .col(flag("overdue"))
                .primary_key(&mut key("case_fact", "pk_case_fact", &["centre_id", "case_id"]))
                .foreign_key(&mut fk("case_fact", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("case_fact", "ix_case_fact_submitted", &["centre_id", "submitted_on"]).to_owned()).await?;

        m.create_table(
            Table::create()
                .table("supervision_setting")
                .col(id("centre_id"))
                .col(integer("warn_days"))
                .col(integer("red_after"))
                .col(text("rating_key"))
                .col(big_integer("cursor"))
                .primary_key(&mut key("supervision_setting", "pk_supervision_setting", &["centre_id"]))
                .foreign_key(&mut fk("supervision_setting", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;

        for mut def in [uuid_null("unit_id"), text_null("dedupe_key")] {
            m.alter_table(Table::alter().table("alert").add_column(&mut def).to_owned()).await?;
        }
        m.create_index(key("alert", "ux_alert_key", &["centre_id", "dedupe_key"]).unique().to_owned()).await?;
        m.create_index(key("alert", "ix_alert_unit", &["centre_id", "unit_id", "id"]).to_owned()).await?;

        m.create_table(
            Table::create()
                .table("alert_event")
                .col(id("centre_id"))
                .col(big_integer("seq"))
                .col(id("alert_id"))
                .col(instant("at"))
                .col(id_null("actor"))
                .col(text("action"))
                .col(long_text("body"))
                .col(text("prev_hash"))
                .col(text("hash"))
                .primary_key(&mut key("alert_event", "pk_alert_event", &["centre_id", "seq"]))
                .foreign_key(&mut fk("alert_event", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("alert_chain_head")
                .col(id("centre_id"))
                .col(big_integer("seq"))
                .col(text("hash"))
                .primary_key(&mut key("alert_chain_head", "pk_alert_chain_head", &["centre_id"]))
                .foreign_key(&mut fk("alert_chain_head", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
