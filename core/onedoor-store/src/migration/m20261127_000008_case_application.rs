//! Splits a case's document: what never changes after the case was received moves to
//! `case_application`, written once, so a transition rewrites only the part that changes.
//!
//! Existing cases keep their whole document in `cases.doc` (its extra fields are ignored when
//! it is read as the changing part) and get a copy of it as their application.

use super::col::{doc, id};
use super::key;
use sea_orm_migration::prelude::*;

/// Creates `case_application` and fills it from the existing cases.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("case_application")
                .col(id("centre_id"))
                .col(id("id"))
                .col(doc("doc"))
                .primary_key(&mut key("case_application", "pk_case_application", &["centre_id", "id"]))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO case_application (centre_id, id, doc) SELECT centre_id, id, doc FROM cases",
            )
            .await?;
        Ok(())
    }
}
