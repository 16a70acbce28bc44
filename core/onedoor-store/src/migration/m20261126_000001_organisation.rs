//! Centres, halls and their members, zones, windows, units and staff.

use super::col::{flag, id, id_null, instant, text};
use super::{fk, key};
use sea_orm_migration::prelude::*;

/// Creates the organisation tables.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("centre")
                .col(id("id").primary_key())
                .col(text("code"))
                .col(text("name"))
                .col(text("level"))
                .col(id_null("parent_id"))
                .col(text("region"))
                .col(instant("created_at"))
                .foreign_key(&mut fk("centre", &["parent_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("centre", "ux_centre_code", &["code"]).unique().to_owned()).await?;
        m.create_index(key("centre", "ix_centre_parent", &["parent_id"]).to_owned()).await?;

        m.create_table(
            Table::create()
                .table("hall")
                .col(id("centre_id"))
                .col(id("id"))
                .col(text("code"))
                .col(text("name"))
                .col(text("address"))
                .primary_key(&mut key("hall", "pk_hall", &["centre_id", "id"]))
                .foreign_key(&mut fk("hall", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("hall", "ux_hall_code", &["centre_id", "code"]).unique().to_owned()).await?;

        m.create_table(
            Table::create()
                .table("hall_member")
                .col(id("centre_id"))
                .col(id("hall_id"))
                .col(id("member_id"))
                .primary_key(&mut key("hall_member", "pk_hall_member", &["centre_id", "hall_id", "member_id"]))
                .foreign_key(&mut fk("hall_member", &["centre_id", "hall_id"], "hall", &["centre_id", "id"]))
                .foreign_key(&mut fk("hall_member", &["member_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("hall_member", "ix_hall_member_member", &["member_id", "centre_id", "hall_id"]).to_owned())
            .await?;

        m.create_table(
            Table::create()
                .table("zone")
                .col(id("centre_id"))
                .col(id("id"))
                .col(id("hall_id"))
                .col(text("code"))
                .col(text("name"))
                .primary_key(&mut key("zone", "pk_zone", &["centre_id", "id"]))
                .foreign_key(&mut fk("zone", &["centre_id", "hall_id"], "hall", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("zone", "ux_zone_code", &["centre_id", "hall_id", "code"]).unique().to_owned()).await?;

        m.create_table(
            Table::create()
                .table("window")
                .col(id("centre_id"))
                .col(id("id"))
                .col(id("hall_id"))
                .col(id("zone_id"))
                .col(text("number"))
                .col(text("name"))
                .primary_key(&mut key("window", "pk_window", &["centre_id", "id"]))
                .foreign_key(&mut fk("window", &["centre_id", "hall_id"], "hall", &["centre_id", "id"]))
                .foreign_key(&mut fk("window", &["centre_id", "zone_id"], "zone", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("window", "ux_window_number", &["centre_id", "hall_id", "number"]).unique().to_owned())
            .await?;
        m.create_index(key("window", "ix_window_zone", &["centre_id", "zone_id"]).to_owned()).await?;

        m.create_table(
            Table::create()
                .table("unit")
                .col(id("centre_id"))
                .col(id("id"))
                .col(text("code"))
                .col(text("name"))
                .col(text("kind"))
                .primary_key(&mut key("unit", "pk_unit", &["centre_id", "id"]))
                .foreign_key(&mut fk("unit", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("unit", "ux_unit_code", &["centre_id", "code"]).unique().to_owned()).await?;

        m.create_table(
            Table::create()
                .table("staff")
                .col(id("centre_id"))
                .col(id("id"))
                .col(id_null("unit_id"))
                .col(text("code"))
                .col(text("name"))
                .col(text("roles"))
                .col(flag("active"))
                .primary_key(&mut key("staff", "pk_staff", &["centre_id", "id"]))
                .foreign_key(&mut fk("staff", &["centre_id", "unit_id"], "unit", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;
        m.create_index(key("staff", "ux_staff_code", &["centre_id", "code"]).unique().to_owned()).await?;
        m.create_index(key("staff", "ix_staff_unit", &["centre_id", "unit_id"]).to_owned()).await?;
        Ok(())
    }
}
