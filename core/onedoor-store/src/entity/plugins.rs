//! Entities of the plugin registry, recorded decisions and supervision alerts.

/// Plugins uploaded to a centre's registry, with their components.
pub mod plugin {
    use sea_orm::entity::prelude::*;

    /// A plugin row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plugin")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub sha256: String,
        pub contract: String,
        pub size: i64,
        /// Comma-separated hook names.
        pub hooks: String,
        pub uploaded_by: Option<Uuid>,
        pub uploaded_at: DateTimeUtc,
        #[sea_orm(column_type = "Blob")]
        pub component: Vec<u8>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A centre's registry state: the active plugin, the fuel of a call, and a generation bumped
/// by every change.
pub mod plugin_centre {
    use sea_orm::entity::prelude::*;

    /// A registry state row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plugin_centre")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        pub active_plugin_id: Option<Uuid>,
        pub generation: i64,
        pub fuel: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The history of a centre's active plugin.
pub mod plugin_activation {
    use sea_orm::entity::prelude::*;

    /// An activation row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plugin_activation")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i32,
        pub plugin_id: Option<Uuid>,
        pub change: String,
        pub actor_id: Option<Uuid>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Recorded rule decisions.
pub mod decision {
    use sea_orm::entity::prelude::*;

    /// A decision row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "decision")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hook: String,
        pub sha256: Option<String>,
        pub contract: Option<String>,
        pub subject: Option<String>,
        pub error: Option<String>,
        #[sea_orm(column_type = "Text")]
        pub record: String,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Supervision alerts.
pub mod alert {
    use sea_orm::entity::prelude::*;

    /// An alert row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "alert")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: String,
        pub severity: String,
        pub subject: Option<String>,
        #[sea_orm(column_type = "Text")]
        pub message: String,
        #[sea_orm(column_type = "Text")]
        pub details: String,
        pub raised_at: DateTimeUtc,
        pub status: String,
        pub acknowledged_by: Option<Uuid>,
        pub acknowledged_at: Option<DateTimeUtc>,
        #[sea_orm(column_type = "Text", nullable)]
        pub acknowledge_note: Option<String>,
        pub resolved_by: Option<Uuid>,
        pub resolved_at: Option<DateTimeUtc>,
        #[sea_orm(column_type = "Text", nullable)]
        pub resolve_note: Option<String>,
        pub unit_id: Option<Uuid>,
        #[sea_orm(column_type = "Text", nullable)]
        pub dedupe_key: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
