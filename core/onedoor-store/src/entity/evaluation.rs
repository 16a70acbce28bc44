//! Entities of evaluation and supervision: ratings, rectifications, assessments, fees charged,
//! supervision settings, and the alert chain.

/// Ratings of visits and cases.
pub mod rating {
    use sea_orm::entity::prelude::*;

    /// A rating row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rating")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: String,
        pub target: String,
        pub channel: String,
        pub level: String,
        pub window_id: Option<Uuid>,
        pub unit_id: Option<Uuid>,
        pub staff_id: Option<Uuid>,
        pub matter_id: Option<Uuid>,
        #[sea_orm(column_type = "Text", nullable)]
        pub case_number: Option<String>,
        pub rated_on: Date,
        pub rated_at: DateTimeUtc,
        pub counts: bool,
        #[sea_orm(column_type = "Text", nullable)]
        pub appeal_status: Option<String>,
        pub doc: Json,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Rectifications opened after bad ratings.
pub mod rectification {
    use sea_orm::entity::prelude::*;

    /// A rectification row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rectification")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub rating_id: Uuid,
        pub unit_id: Option<Uuid>,
        pub status: String,
        pub opened_on: Date,
        pub due_on: Date,
        pub closed_on: Option<Date>,
        pub version: i32,
        pub doc: Json,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Assessments of a period, with their scores in the document.
pub mod assessment {
    use sea_orm::entity::prelude::*;

    /// An assessment row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "assessment")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub period_start: Date,
        pub period_end: Date,
        pub rule: String,
        pub computed_at: DateTimeUtc,
        pub doc: Json,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Fees charged on cases.
pub mod case_fee {
    use sea_orm::entity::prelude::*;

    /// A fee row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_fee")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub case_id: Uuid,
        pub item: String,
        pub amount: i64,
        pub charged_by: Option<Uuid>,
        pub charged_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Each centre's supervision settings, rating-code key and event cursor.
pub mod supervision_setting {
    use sea_orm::entity::prelude::*;

    /// A settings row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "supervision_setting")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        pub warn_days: i32,
        pub red_after: i32,
        pub rating_key: String,
        pub cursor: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The per-centre hash chain of alert events (raised, acknowledged, resolved).
pub mod alert_event {
    use sea_orm::entity::prelude::*;

    /// An alert event row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "alert_event")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub alert_id: Uuid,
        pub at: DateTimeUtc,
        pub actor: Option<Uuid>,
        pub action: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        pub prev_hash: String,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The head of each centre's alert chain.
pub mod alert_chain_head {
    use sea_orm::entity::prelude::*;

    /// A head row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "alert_chain_head")]
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

/// One row of figures per case, kept by the supervision pass for statistics.
pub mod case_fact {
    use sea_orm::entity::prelude::*;

    /// A case-fact row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_fact")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub case_id: Uuid,
        pub number: String,
        pub state: String,
        pub channel: String,
        pub reception_centre_id: Uuid,
        pub reception_window_id: Option<Uuid>,
        pub unit_id: Option<Uuid>,
        pub matter_id: Option<Uuid>,
        pub assisted: bool,
        pub submitted_on: Date,
        pub accepted_on: Option<Date>,
        pub decided_on: Option<Date>,
        pub due_on: Option<Date>,
        pub used_days: Option<i32>,
        pub completed: bool,
        pub overdue: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
