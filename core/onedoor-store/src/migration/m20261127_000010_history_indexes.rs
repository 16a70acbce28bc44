//! Indexes for the reads whose cost grew with the history kept (found by the day simulator):
//! the recent bad ratings of a member of staff or a window (counted for every new rating), and
//! a worklist page read by key (unit, open, due date, case, step) instead of by offset (it
//! replaces the worklist index it extends), and the open steps of a centre due by a date (the
//! supervision pass's deadline watch).

use super::key;
use sea_orm_migration::prelude::*;

/// Adds the indexes.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(key("rating", "ix_rating_staff_day", &["centre_id", "staff_id", "rated_on"]).to_owned()).await?;
        m.create_index(key("rating", "ix_rating_window_day", &["centre_id", "window_id", "rated_on"]).to_owned())
            .await?;
        m.create_index(
            key(
                "case_step",
                "ix_case_step_worklist_key",
                &["centre_id", "unit_id", "status", "due_on", "case_id", "step"],
            )
            .to_owned(),
        )
        .await?;
        m.drop_index(Index::drop().name("ix_case_step_worklist").table("case_step").to_owned()).await?;
        m.create_index(key("case_step", "ix_case_step_open_due", &["centre_id", "status", "due_on"]).to_owned())
            .await?;
        Ok(())
    }
}
