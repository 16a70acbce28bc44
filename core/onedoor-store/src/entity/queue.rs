//! Entities of the hall's queue and appointments. Every row belongs to the hall's centre.

/// One row per hall with a queue: its rules, the fairness state and a version that every write
/// to the hall's tickets raises (the optimistic lock that keeps replicas from calling one ticket
/// twice).
pub mod hall_queue {
    use sea_orm::entity::prelude::*;

    /// A queue row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hall_queue")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub hall_id: Uuid,
        pub version: i64,
        pub settings: Json,
        pub day: Date,
        pub passes: Json,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Queue tickets.
pub mod ticket {
    use sea_orm::entity::prelude::*;

    /// A ticket row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ticket")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hall_id: Uuid,
        pub day: Date,
        pub prefix: String,
        pub seq: i32,
        pub ord: i64,
        pub zone_id: Uuid,
        pub matter_centre_id: Option<Uuid>,
        pub matter_id: Option<Uuid>,
        pub class: String,
        pub channel: String,
        pub guide_centre_id: Option<Uuid>,
        pub guide_id: Option<Uuid>,
        pub appointment_id: Option<Uuid>,
        pub status: String,
        pub window_id: Option<Uuid>,
        pub target_window_id: Option<Uuid>,
        pub recalls: i32,
        pub transfers: i32,
        pub taken_at: DateTimeUtc,
        pub first_called_at: Option<DateTimeUtc>,
        pub called_at: Option<DateTimeUtc>,
        pub started_at: Option<DateTimeUtc>,
        pub ended_at: Option<DateTimeUtc>,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Every change of every ticket, append-only: who did what, where, when.
pub mod ticket_event {
    use sea_orm::entity::prelude::*;

    /// An event row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ticket_event")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub ticket_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        pub event: String,
        pub status: String,
        pub window_id: Option<Uuid>,
        pub actor_centre_id: Option<Uuid>,
        pub actor_id: Option<Uuid>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Appointment slots of a zone.
pub mod appointment_slot {
    use sea_orm::entity::prelude::*;

    /// A slot row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "appointment_slot")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hall_id: Uuid,
        pub zone_id: Uuid,
        pub starts_at: DateTimeUtc,
        pub ends_at: DateTimeUtc,
        pub capacity: i32,
        pub booked: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Booked appointments.
pub mod appointment {
    use sea_orm::entity::prelude::*;

    /// An appointment row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "appointment")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hall_id: Uuid,
        pub zone_id: Uuid,
        pub slot_id: Uuid,
        pub starts_at: DateTimeUtc,
        pub ends_at: DateTimeUtc,
        pub day: Date,
        pub name: String,
        pub id_number: String,
        pub code: String,
        pub status: String,
        pub ticket_id: Option<Uuid>,
        pub booked_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Bookings per applicant and day in a hall: the counter that enforces the limit under
/// concurrent bookings.
pub mod appointment_quota {
    use sea_orm::entity::prelude::*;

    /// A quota row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "appointment_quota")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub hall_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: Date,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id_number: String,
        pub booked: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
