//! sea-orm entities: one module per table. Every centre-owned table's primary key leads with
//! `centre_id`, so rows distribute by tenant (Citus, YugabyteDB) and every lookup is scoped.
//! Each capability after the catalogue keeps its tables in a file of its own under `entity/`.

mod cases;
pub use cases::*;
mod queue;
pub use queue::*;

/// Centres: the tenants. The centre's own id is its tenant key.
pub mod centre {
    use sea_orm::entity::prelude::*;

    /// A centre row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "centre")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub code: String,
        pub name: String,
        pub level: String,
        pub parent_id: Option<Uuid>,
        pub region: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Halls, owned by the centre that runs them.
pub mod hall {
    use sea_orm::entity::prelude::*;

    /// A hall row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hall")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub code: String,
        pub name: String,
        pub address: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The centres sharing a hall (the hall's own centre included), owned by the hall's centre.
pub mod hall_member {
    use sea_orm::entity::prelude::*;

    /// A membership row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hall_member")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub hall_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Zones of a hall, owned by the hall's centre.
pub mod zone {
    use sea_orm::entity::prelude::*;

    /// A zone row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "zone")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hall_id: Uuid,
        pub code: String,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Windows of a hall, owned by the hall's centre.
pub mod window {
    use sea_orm::entity::prelude::*;

    /// A window row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "window")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hall_id: Uuid,
        pub zone_id: Uuid,
        pub number: String,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The matters a window serves (of any member centre of its hall).
pub mod window_matter {
    use sea_orm::entity::prelude::*;

    /// A window–matter row, owned by the window's centre.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "window_matter")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub window_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub matter_centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub matter_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Units stationed in a centre.
pub mod unit {
    use sea_orm::entity::prelude::*;

    /// A unit row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "unit")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub code: String,
        pub name: String,
        pub kind: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Staff of a centre.
pub mod staff {
    use sea_orm::entity::prelude::*;

    /// A staff row; `roles` is a comma-separated list of role names.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "staff")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub unit_id: Option<Uuid>,
        pub code: String,
        pub name: String,
        pub roles: String,
        pub active: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Matters as they stand now: the searchable fields as columns, the whole guide as JSON.
pub mod matter {
    use sea_orm::entity::prelude::*;

    /// A matter row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "matter")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub code: String,
        pub name: String,
        pub status: String,
        pub version: i32,
        pub owner_unit_id: Uuid,
        pub matter_type: String,
        pub mode_immediate: bool,
        pub mode_online: bool,
        pub mode_nearby: bool,
        pub mode_one_visit: bool,
        pub promised_days: i32,
        pub guide: Json,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Every version of every matter, append-only.
pub mod matter_version {
    use sea_orm::entity::prelude::*;

    /// A version row; `related` is a JSON array of matter ids.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "matter_version")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub matter_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        pub operation: String,
        pub status: String,
        pub guide: Json,
        pub related: Json,
        pub actor_id: Option<Uuid>,
        pub note: String,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Bundles ("one thing").
pub mod bundle {
    use sea_orm::entity::prelude::*;

    /// A bundle row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bundle")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub code: String,
        pub name: String,
        pub description: String,
        pub lead_unit_id: Uuid,
        pub status: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The matters of a bundle, in order.
pub mod bundle_matter {
    use sea_orm::entity::prelude::*;

    /// A bundle–matter row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bundle_matter")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub bundle_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub matter_id: Uuid,
        pub position: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod plugins;
pub use plugins::*;
mod evaluation;
pub use evaluation::*;
