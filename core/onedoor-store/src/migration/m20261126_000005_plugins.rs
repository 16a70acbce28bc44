//! The plugin registry (plugins with their components, the activation history, per-centre
//! settings), recorded rule decisions, and supervision alerts.

use super::col::{id, id_null, instant, text};
use super::{fk, key};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, blob, integer, string_null, text as long_text, text_null, timestamp_with_time_zone_null,
};

/// Creates the plugin, decision and alert tables.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("plugin")
                .col(id("centre_id"))
                .col(id("id"))
                .col(text("name"))
                .col(text("sha256"))
                .col(text("contract"))
                .col(big_integer("size"))
                .col(text("hooks"))
                .col(id_null("uploaded_by"))
                .col(instant("uploaded_at"))
                .col(blob("component"))
                .primary_key(&mut key("plugin", "pk_plugin", &["centre_id", "id"]))
                .foreign_key(&mut fk("plugin", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("plugin", "ux_plugin_sha256", &["centre_id", "sha256"]).unique().to_owned()).await?;

        // One row per centre that ever touched its registry: the active plugin, the fuel of a
        // call, and a generation bumped by every change (what replicas' caches check).
        m.create_table(
            Table::create()
                .table("plugin_centre")
                .col(id("centre_id"))
                .col(id_null("active_plugin_id"))
                .col(big_integer("generation"))
                .col(big_integer("fuel"))
                .primary_key(&mut key("plugin_centre", "pk_plugin_centre", &["centre_id"]))
                .foreign_key(&mut fk("plugin_centre", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("plugin_activation")
                .col(id("centre_id"))
                .col(integer("seq"))
                .col(id_null("plugin_id"))
                .col(text("change"))
                .col(id_null("actor_id"))
                .col(instant("at"))
                .primary_key(&mut key("plugin_activation", "pk_plugin_activation", &["centre_id", "seq"]))
                .foreign_key(&mut fk("plugin_activation", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("decision")
                .col(id("centre_id"))
                .col(id("id"))
                .col(text("hook"))
                .col(string_null("sha256"))
                .col(string_null("contract"))
                .col(string_null("subject"))
                .col(string_null("error"))
                .col(long_text("record"))
                .col(instant("at"))
                .primary_key(&mut key("decision", "pk_decision", &["centre_id", "id"]))
                .foreign_key(&mut fk("decision", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("decision", "ix_decision_sha256", &["centre_id", "sha256", "id"]).to_owned()).await?;
        m.create_index(key("decision", "ix_decision_subject", &["centre_id", "subject", "id"]).to_owned()).await?;
        // Replay from the operator's tool finds a decision by its id alone.
        m.create_index(key("decision", "ix_decision_id", &["id"]).to_owned()).await?;

        m.create_table(
            Table::create()
                .table("alert")
                .col(id("centre_id"))
                .col(id("id"))
                .col(text("kind"))
                .col(text("severity"))
                .col(string_null("subject"))
                .col(long_text("message"))
                .col(long_text("details"))
                .col(instant("raised_at"))
                .col(text("status"))
                .col(id_null("acknowledged_by"))
                .col(timestamp_with_time_zone_null("acknowledged_at"))
                .col(text_null("acknowledge_note"))
                .col(id_null("resolved_by"))
                .col(timestamp_with_time_zone_null("resolved_at"))
                .col(text_null("resolve_note"))
                .primary_key(&mut key("alert", "pk_alert", &["centre_id", "id"]))
                .foreign_key(&mut fk("alert", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("alert", "ix_alert_status", &["centre_id", "status", "id"]).to_owned()).await?;
        Ok(())
    }
}
