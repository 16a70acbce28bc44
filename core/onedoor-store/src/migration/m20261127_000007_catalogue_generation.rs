//! The catalogue generation of each centre: bumped inside every transaction that changes the
//! centre's matters or units, so that a cached catalogue (on any replica) knows with one cheap
//! read whether it is still current.

use super::col::id;
use super::{fk, key};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer;

/// Creates `catalogue_centre`.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("catalogue_centre")
                .col(id("centre_id"))
                .col(big_integer("generation"))
                .primary_key(&mut key("catalogue_centre", "pk_catalogue_centre", &["centre_id"]))
                .foreign_key(&mut fk("catalogue_centre", &["centre_id"], "centre", &["id"]))
                .to_owned(),
        )
        .await
    }
}
