//! Schema migrations, run at start. One file per migration; released migrations never change.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, json, string, timestamp_with_time_zone, uuid, uuid_null};

mod m20261126_000001_organisation;
mod m20261126_000002_catalogue;
mod m20261126_000003_cases;
mod m20261126_000004_hall_queue;
mod m20261126_000005_plugins;
mod m20261127_000006_evaluation;
mod m20261127_000007_catalogue_generation;
mod m20261127_000008_case_application;
mod m20261127_000010_history_indexes;

/// The migrator: every migration in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_organisation::Migration),
            Box::new(m20261126_000002_catalogue::Migration),
            Box::new(m20261126_000003_cases::Migration),
            Box::new(m20261126_000004_hall_queue::Migration),
            Box::new(m20261126_000005_plugins::Migration),
            Box::new(m20261127_000006_evaluation::Migration),
            Box::new(m20261127_000007_catalogue_generation::Migration),
            Box::new(m20261127_000008_case_application::Migration),
            Box::new(m20261127_000010_history_indexes::Migration),
        ]
    }
}

/// Column builders shared by the migrations.
pub(crate) mod col {
    use super::*;

    /// A non-null UUID.
    pub(crate) fn id(name: &'static str) -> ColumnDef {
        uuid(name)
    }
    /// A nullable UUID.
    pub(crate) fn id_null(name: &'static str) -> ColumnDef {
        uuid_null(name)
    }
    /// A non-null string.
    pub(crate) fn text(name: &'static str) -> ColumnDef {
        string(name)
    }
    /// A non-null JSON document.
    pub(crate) fn doc(name: &'static str) -> ColumnDef {
        json(name)
    }
    /// A non-null flag.
    pub(crate) fn flag(name: &'static str) -> ColumnDef {
        boolean(name)
    }
    /// A non-null instant.
    pub(crate) fn instant(name: &'static str) -> ColumnDef {
        timestamp_with_time_zone(name)
    }
}

/// A primary key or index over `cols` of `table`.
pub(crate) fn key(table: &'static str, name: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    i
}

/// A foreign key from `cols` of `table` to `ref_cols` of `ref_table`.
pub(crate) fn fk(
    table: &'static str,
    cols: &[&'static str],
    ref_table: &'static str,
    ref_cols: &[&'static str],
) -> ForeignKeyCreateStatement {
    let mut f = ForeignKey::create();
    f.name(format!("fk_{table}_{}", cols.join("_"))).from_tbl(table).to_tbl(ref_table);
    for c in cols {
        f.from_col(*c);
    }
    for c in ref_cols {
        f.to_col(*c);
    }
    f
}
