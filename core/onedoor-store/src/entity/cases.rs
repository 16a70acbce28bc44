//! Entities of calendars, workflows and cases.

/// Declared days of a centre's working-day calendar.
pub mod calendar_day {
    use sea_orm::entity::prelude::*;

    /// A declared day.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_day")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: Date,
        pub kind: String,
        pub note: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Workflow definitions of matters, one row per version.
pub mod workflow {
    use sea_orm::entity::prelude::*;

    /// A workflow version.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "workflow")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub matter_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        pub definition: Json,
        pub actor_id: Option<Uuid>,
        pub note: String,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Cases, owned by the centre of their matters. The `doc` holds what changes as the case moves
/// on (state, clock, steps, parallel approval …); what never changes after the case was received
/// is in [`case_application`]. The other columns are for lookups and lists.
pub mod case {
    use sea_orm::entity::prelude::*;

    /// A case row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "cases")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub number: String,
        pub state: String,
        pub version: i32,
        pub channel: String,
        pub reception_centre_id: Uuid,
        pub reception_window_id: Option<Uuid>,
        pub ticket_id: Option<Uuid>,
        pub submitted_on: Date,
        pub due_on: Option<Date>,
        pub doc: Json,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What a case was received with and never changes (number, channel, applicant, proxy,
/// reception, matters at their versions, workflow): written once, beside the case row.
pub mod case_application {
    use sea_orm::entity::prelude::*;

    /// A case's application.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_application")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub doc: Json,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Steps of cases: the units' worklists.
pub mod case_step {
    use sea_orm::entity::prelude::*;

    /// A step row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_step")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub case_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub step: i32,
        pub unit_id: Uuid,
        pub role: String,
        pub status: String,
        pub opened_on: Date,
        pub due_on: Option<Date>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The append-only history of cases, hash-chained per centre.
pub mod case_event {
    use sea_orm::entity::prelude::*;

    /// An event row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_event")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub case_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i32,
        pub chain_seq: i64,
        pub at: DateTimeUtc,
        pub actor_id: Option<Uuid>,
        pub roles: String,
        pub acting_centre_id: Uuid,
        pub window_id: Option<Uuid>,
        pub command: String,
        pub from_state: String,
        pub to_state: String,
        pub changes: Json,
        pub prev_hash: String,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The head of each centre's hash chain of events.
pub mod chain_head {
    use sea_orm::entity::prelude::*;

    /// A chain head.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "chain_head")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        pub seq: i64,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Case-number counters: one per region (its root centre) and day.
pub mod case_counter {
    use sea_orm::entity::prelude::*;

    /// A counter.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_counter")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: Date,
        pub next: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
