//! Matters, their versions, the matters each window serves, and bundles.

use super::col::{doc, flag, id, id_null, instant, text};
use super::{fk, key};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::integer;

/// Creates the catalogue tables.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("matter")
                .col(id("centre_id"))
                .col(id("id"))
                .col(text("code"))
                .col(text("name"))
                .col(text("status"))
                .col(integer("version"))
                .col(id("owner_unit_id"))
                .col(text("matter_type"))
                .col(flag("mode_immediate"))
                .col(flag("mode_online"))
                .col(flag("mode_nearby"))
                .col(flag("mode_one_visit"))
                .col(integer("promised_days"))
                .col(doc("guide"))
                .col(instant("updated_at"))
                .primary_key(&mut key("matter", "pk_matter", &["centre_id", "id"]))
                .foreign_key(&mut fk("matter", &["centre_id", "owner_unit_id"], "unit", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("matter", "ux_matter_code", &["centre_id", "code"]).unique().to_owned()).await?;
        m.create_index(key("matter", "ix_matter_unit", &["centre_id", "owner_unit_id", "code"]).to_owned()).await?;
        m.create_index(key("matter", "ix_matter_status", &["centre_id", "status", "code"]).to_owned()).await?;

        m.create_table(
            Table::create()
                .table("matter_version")
                .col(id("centre_id"))
                .col(id("matter_id"))
                .col(integer("version"))
                .col(text("operation"))
                .col(text("status"))
                .col(doc("guide"))
                .col(doc("related"))
                .col(id_null("actor_id"))
                .col(text("note"))
                .col(instant("at"))
                .primary_key(&mut key("matter_version", "pk_matter_version", &["centre_id", "matter_id", "version"]))
                .foreign_key(&mut fk("matter_version", &["centre_id", "matter_id"], "matter", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("window_matter")
                .col(id("centre_id"))
                .col(id("window_id"))
                .col(id("matter_centre_id"))
                .col(id("matter_id"))
                .primary_key(&mut key(
                    "window_matter",
                    "pk_window_matter",
                    &["centre_id", "window_id", "matter_centre_id", "matter_id"],
                ))
                .foreign_key(&mut fk("window_matter", &["centre_id", "window_id"], "window", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(
            key("window_matter", "ix_window_matter_matter", &["matter_centre_id", "matter_id", "centre_id"]).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("bundle")
                .col(id("centre_id"))
                .col(id("id"))
                .col(text("code"))
                .col(text("name"))
                .col(text("description"))
                .col(id("lead_unit_id"))
                .col(text("status"))
                .primary_key(&mut key("bundle", "pk_bundle", &["centre_id", "id"]))
                .foreign_key(&mut fk("bundle", &["centre_id", "lead_unit_id"], "unit", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("bundle", "ux_bundle_code", &["centre_id", "code"]).unique().to_owned()).await?;

        m.create_table(
            Table::create()
                .table("bundle_matter")
                .col(id("centre_id"))
                .col(id("bundle_id"))
                .col(id("matter_id"))
                .col(integer("position"))
                .primary_key(&mut key("bundle_matter", "pk_bundle_matter", &["centre_id", "bundle_id", "matter_id"]))
                .foreign_key(&mut fk("bundle_matter", &["centre_id", "bundle_id"], "bundle", &["centre_id", "id"]))
                .foreign_key(&mut fk("bundle_matter", &["centre_id", "matter_id"], "matter", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("bundle_matter", "ix_bundle_matter_matter", &["centre_id", "matter_id"]).to_owned()).await?;
        Ok(())
    }
}
