//! Repositories of evaluation and supervision: ratings, rectifications, assessments, fees
//! charged, supervision settings, and the case facts that statistics add up.
//!
//! These are the platform's own reads and writes: the platform checks who may read or write a
//! centre before it calls them.

use crate::entity::{
    alert, assessment, case, case_event, case_fact, case_fee, case_step, rating, rectification, supervision_setting,
};
use crate::{Result, Slice, Store, StoreError, corrupt};
use chrono::{DateTime, NaiveDate, Utc};
use onedoor_domain::alert::AlertKind;
use onedoor_domain::case::{Case, CaseState, Change};
use onedoor_domain::evaluation::{AssessmentRecord, Rating, Rectification, RectificationStatus};
use onedoor_domain::id::{CaseId, RatingId, RectificationId};
use onedoor_domain::supervision::{FeeCharged, RecordedDecision, SupervisionSettings};
use onedoor_domain::{CentreId, StaffId, UnitId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use uuid::Uuid;

pub use crate::plugins::IdPage;

/// A centre's supervision state: its settings, the key its rating codes are derived with, and
/// how far the supervision pass has read its case history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisionState {
    /// The settings.
    pub settings: SupervisionSettings,
    /// The secret the centre's rating codes are derived with.
    pub rating_key: String,
    /// The last case event (chain position) the supervision pass has handled.
    pub cursor: i64,
}

/// Which ratings to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct RatingFilter {
    /// Rated on or after.
    pub from: Option<NaiveDate>,
    /// Rated on or before.
    pub to: Option<NaiveDate>,
    /// Of this unit.
    pub unit: Option<UnitId>,
    /// Only dissatisfied and very dissatisfied ones.
    pub bad_only: bool,
}

/// Case events after a chain position, for the supervision pass: per event the case, its
/// decisions (step and the roles the actor held).
#[derive(Debug, Clone)]
pub struct EventsSince {
    /// Cases touched, in order of their first new event, with the decisions recorded.
    pub cases: Vec<(CaseId, Vec<RecordedDecision>)>,
    /// The last chain position read.
    pub last: i64,
    /// Whether more events follow.
    pub more: bool,
}

fn json<T: serde::Serialize>(v: &T, what: &str) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| corrupt(what, e))
}

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value, what: &str) -> Result<T> {
    serde_json::from_value(v).map_err(|e| corrupt(what, e))
}

fn rectification_row(r: &Rectification, version: i32) -> Result<rectification::ActiveModel> {
    let closed_on = (r.status == RectificationStatus::Closed)
        .then(|| r.steps.last().map(|(_, a)| (a.at + chrono::Duration::hours(8)).date_naive()))
        .flatten();
    Ok(rectification::ActiveModel {
        centre_id: Set(r.centre.0),
        id: Set(r.id.0),
        rating_id: Set(r.rating.0),
        unit_id: Set(r.unit.map(|u| u.0)),
        status: Set(r.status.as_str().to_owned()),
        opened_on: Set(r.opened_on),
        due_on: Set(r.due_on),
        closed_on: Set(closed_on),
        version: Set(version),
        doc: Set(json(r, "rectification")?),
    })
}

impl Store {
    // ----- settings -----

    /// A centre's supervision state, created with the defaults (and a fresh rating key) on
    /// first use.
    pub async fn supervision_state(&self, centre: CentreId) -> Result<SupervisionState> {
        if let Some(row) = supervision_setting::Entity::find_by_id(centre.0).one(&self.db).await? {
            return to_state(row);
        }
        // Version-7 UUIDs carry 74 random bits each: three of them, hashed.
        let seed: String = (0..3).map(|_| Uuid::now_v7().simple().to_string()).collect();
        let key = crate::cases::chain_hash(&[&seed]);
        let d = SupervisionSettings::default();
        supervision_setting::Entity::insert(supervision_setting::ActiveModel {
            centre_id: Set(centre.0),
            warn_days: Set(i32::from(d.warn_days)),
            red_after: Set(i32::from(d.red_after)),
            rating_key: Set(key),
            cursor: Set(0),
        })
        .on_conflict(OnConflict::column(supervision_setting::Column::CentreId).do_nothing().to_owned())
        .exec_without_returning(&self.db)
        .await?;
        let row = supervision_setting::Entity::find_by_id(centre.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound { what: "supervision settings" })?;
        to_state(row)
    }

    /// Stores a centre's settings.
    pub async fn set_supervision_settings(&self, centre: CentreId, s: SupervisionSettings) -> Result<()> {
        self.supervision_state(centre).await?;
        supervision_setting::Entity::update_many()
            .col_expr(supervision_setting::Column::WarnDays, i32::from(s.warn_days).into())
            .col_expr(supervision_setting::Column::RedAfter, i32::from(s.red_after).into())
            .filter(supervision_setting::Column::CentreId.eq(centre.0))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Moves the supervision pass's cursor on (never back: replicas may race).
    pub async fn advance_supervision_cursor(&self, centre: CentreId, to: i64) -> Result<()> {
        supervision_setting::Entity::update_many()
            .col_expr(supervision_setting::Column::Cursor, to.into())
            .filter(supervision_setting::Column::CentreId.eq(centre.0))
            .filter(supervision_setting::Column::Cursor.lt(to))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Case events of `centre` after chain position `after`, at most `limit`.
    pub async fn case_events_since(&self, centre: CentreId, after: i64, limit: u64) -> Result<EventsSince> {
        let rows = case_event::Entity::find()
            .filter(case_event::Column::CentreId.eq(centre.0))
            .filter(case_event::Column::ChainSeq.gt(after))
            .order_by_asc(case_event::Column::ChainSeq)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        let mut last = after;
        let mut cases: Vec<(CaseId, Vec<RecordedDecision>)> = Vec::new();
        for r in rows.into_iter().take(limit as usize) {
            last = r.chain_seq;
            let id = CaseId(r.case_id);
            let pos = match cases.iter().position(|(c, _)| *c == id) {
                Some(p) => p,
                None => {
                    cases.push((id, Vec::new()));
                    cases.len() - 1
                }
            };
            let changes: Vec<Change> = parse(r.changes, "event changes")?;
            for c in changes {
                if let Change::StepDecided { step, .. } = c {
                    cases[pos].1.push(RecordedDecision { step, roles: r.roles.clone() });
                }
            }
        }
        Ok(EventsSince { cases, last, more })
    }

    /// Cases of a centre by id, for the platform's own passes.
    pub async fn cases_by_id(&self, centre: CentreId, ids: &[CaseId]) -> Result<Vec<Case>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows = case::Entity::find()
                .filter(case::Column::CentreId.eq(centre.0))
                .filter(case::Column::Id.is_in(chunk.iter().map(|c| c.0)))
                .all(&self.db)
                .await?;
            out.extend(self.assemble(rows).await?);
        }
        Ok(out)
    }

    /// Ids of a centre's cases in review whose own deadline or an open step's falls on or
    /// before `until`: what the scheduled deadline watch looks at.
    pub async fn cases_to_watch(&self, centre: CentreId, until: NaiveDate) -> Result<Vec<CaseId>> {
        let mut ids: Vec<Uuid> = case::Entity::find()
            .select_only()
            .column(case::Column::Id)
            .filter(case::Column::CentreId.eq(centre.0))
            .filter(case::Column::State.eq(CaseState::InReview.as_str()))
            .filter(case::Column::DueOn.lte(until))
            .into_tuple()
            .all(&self.db)
            .await?;
        let steps: Vec<Uuid> = case_step::Entity::find()
            .select_only()
            .column(case_step::Column::CaseId)
            .filter(case_step::Column::CentreId.eq(centre.0))
            .filter(case_step::Column::Status.eq("OPEN"))
            .filter(case_step::Column::DueOn.lte(until))
            .into_tuple()
            .all(&self.db)
            .await?;
        ids.extend(steps);
        ids.sort_unstable();
        ids.dedup();
        Ok(ids.into_iter().map(CaseId).collect())
    }

    /// Stores the figures of cases (upserted by case).
    pub async fn put_case_facts(&self, facts: Vec<case_fact::Model>) -> Result<()> {
        for chunk in facts.chunks(200) {
            let rows: Vec<case_fact::ActiveModel> =
                chunk.iter().cloned().map(IntoActiveModel::into_active_model).collect();
            case_fact::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([case_fact::Column::CentreId, case_fact::Column::CaseId])
                        .update_columns([
                            case_fact::Column::State,
                            case_fact::Column::UnitId,
                            case_fact::Column::MatterId,
                            case_fact::Column::AcceptedOn,
                            case_fact::Column::DecidedOn,
                            case_fact::Column::DueOn,
                            case_fact::Column::UsedDays,
                            case_fact::Column::Completed,
                            case_fact::Column::Overdue,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await?;
        }
        Ok(())
    }

    /// The figures of a centre's cases received from `from` to `to`.
    pub async fn case_facts(&self, centre: CentreId, from: NaiveDate, to: NaiveDate) -> Result<Vec<case_fact::Model>> {
        Ok(case_fact::Entity::find()
            .filter(case_fact::Column::CentreId.eq(centre.0))
            .filter(case_fact::Column::SubmittedOn.between(from, to))
            .all(&self.db)
            .await?)
    }

    /// The figures of a centre's cases decided from `from` to `to`.
    pub async fn case_facts_decided(
        &self,
        centre: CentreId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<case_fact::Model>> {
        Ok(case_fact::Entity::find()
            .filter(case_fact::Column::CentreId.eq(centre.0))
            .filter(case_fact::Column::DecidedOn.between(from, to))
            .all(&self.db)
            .await?)
    }

    /// Yellow and red cards raised for each unit of a centre from `from` to `to` (local days).
    pub async fn cards_by_unit(
        &self,
        centre: CentreId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(UnitId, u32, u32)>> {
        let rows: Vec<(Option<Uuid>, String)> = alert::Entity::find()
            .select_only()
            .column(alert::Column::UnitId)
            .column(alert::Column::Kind)
            .filter(alert::Column::CentreId.eq(centre.0))
            .filter(alert::Column::Kind.is_in([AlertKind::YellowCard.as_str(), AlertKind::RedCard.as_str()]))
            .filter(alert::Column::RaisedAt.between(local_start(from), local_start(to + chrono::Duration::days(1))))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut out: Vec<(UnitId, u32, u32)> = Vec::new();
        for (unit, kind) in rows {
            let Some(unit) = unit.map(UnitId) else { continue };
            let pos = match out.iter().position(|(u, _, _)| *u == unit) {
                Some(p) => p,
                None => {
                    out.push((unit, 0, 0));
                    out.len() - 1
                }
            };
            if kind == AlertKind::YellowCard.as_str() {
                out[pos].1 += 1;
            } else {
                out[pos].2 += 1;
            }
        }
        Ok(out)
    }

    /// Alerts of a centre raised from `from` to `to` (local days), by kind and unit.
    pub async fn alerts_in(
        &self,
        centre: CentreId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(String, Option<UnitId>)>> {
        let rows: Vec<(String, Option<Uuid>)> = alert::Entity::find()
            .select_only()
            .column(alert::Column::Kind)
            .column(alert::Column::UnitId)
            .filter(alert::Column::CentreId.eq(centre.0))
            .filter(alert::Column::RaisedAt.between(local_start(from), local_start(to + chrono::Duration::days(1))))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|(k, u)| (k, u.map(UnitId))).collect())
    }

    // ----- fees -----

    /// Records a fee charged on a case.
    pub async fn record_fee(
        &self,
        centre: CentreId,
        case: CaseId,
        fee: &FeeCharged,
        by: StaffId,
        at: DateTime<Utc>,
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        case_fee::ActiveModel {
            centre_id: Set(centre.0),
            id: Set(id),
            case_id: Set(case.0),
            item: Set(fee.item.clone()),
            amount: Set(fee.amount),
            charged_by: Set(Some(by.0)),
            charged_at: Set(at),
        }
        .insert(&self.db)
        .await?;
        Ok(id)
    }

    /// The fees charged on a case, oldest first.
    pub async fn case_fees(&self, centre: CentreId, case: CaseId) -> Result<Vec<FeeCharged>> {
        let rows = case_fee::Entity::find()
            .filter(case_fee::Column::CentreId.eq(centre.0))
            .filter(case_fee::Column::CaseId.eq(case.0))
            .order_by_asc(case_fee::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|r| FeeCharged { item: r.item, amount: r.amount }).collect())
    }

    // ----- ratings -----

    /// Stores a rating with the rectification it opened, in one transaction (`DUPLICATE` when
    /// the visit or case was rated through this channel already).
    pub async fn add_rating(&self, r: &Rating, rect: Option<&Rectification>) -> Result<()> {
        let tx = self.write().await?;
        rating::ActiveModel {
            centre_id: Set(r.centre.0),
            id: Set(r.id.0),
            kind: Set(r.kind.as_str().to_owned()),
            target: Set(r.target.clone()),
            channel: Set(json(&r.channel, "channel")?.as_str().unwrap_or_default().to_owned()),
            level: Set(json(&r.level, "level")?.as_str().unwrap_or_default().to_owned()),
            window_id: Set(r.window.map(|w| w.0)),
            unit_id: Set(r.unit.map(|u| u.0)),
            staff_id: Set(r.staff.map(|s| s.0)),
            matter_id: Set(r.matter.map(|m| m.0)),
            case_number: Set(r.case_number.clone()),
            rated_on: Set(r.rated_on),
            rated_at: Set(r.rated_at),
            counts: Set(r.counts()),
            appeal_status: Set(r.appeal.as_ref().map(|a| a.status.as_str().to_owned())),
            doc: Set(json(r, "rating")?),
        }
        .insert(&tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate { .. } => StoreError::Duplicate { what: "rating".into() },
            e => e,
        })?;
        if let Some(rect) = rect {
            rectification_row(rect, 1)?.insert(&tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A rating.
    pub async fn rating(&self, centre: CentreId, id: RatingId) -> Result<Option<Rating>> {
        rating::Entity::find_by_id((centre.0, id.0)).one(&self.db).await?.map(|r| parse(r.doc, "rating")).transpose()
    }

    /// A centre's ratings, newest first.
    pub async fn ratings(&self, centre: CentreId, f: RatingFilter, page: &IdPage) -> Result<Slice<Rating>> {
        let mut q = rating::Entity::find().filter(rating::Column::CentreId.eq(centre.0));
        if let Some(d) = f.from {
            q = q.filter(rating::Column::RatedOn.gte(d));
        }
        if let Some(d) = f.to {
            q = q.filter(rating::Column::RatedOn.lte(d));
        }
        if let Some(u) = f.unit {
            q = q.filter(rating::Column::UnitId.eq(u.0));
        }
        if f.bad_only {
            q = q.filter(rating::Column::Level.is_in(["dissatisfied", "very_dissatisfied"]));
        }
        if let Some(before) = page.before {
            q = q.filter(rating::Column::Id.lt(before));
        }
        let rows = q.order_by_desc(rating::Column::Id).limit(page.limit + 1).all(&self.db).await?;
        let s = Slice::from_overfetch(rows, page.limit);
        Ok(Slice {
            items: s.items.into_iter().map(|r| parse(r.doc, "rating")).collect::<Result<_>>()?,
            has_next: s.has_next,
        })
    }

    /// Every counting rating of a centre rated from `from` to `to` (for statistics and
    /// assessments).
    pub async fn ratings_in(&self, centre: CentreId, from: NaiveDate, to: NaiveDate) -> Result<Vec<Rating>> {
        let rows = rating::Entity::find()
            .filter(rating::Column::CentreId.eq(centre.0))
            .filter(rating::Column::RatedOn.between(from, to))
            .filter(rating::Column::Counts.eq(true))
            .all(&self.db)
            .await?;
        rows.into_iter().map(|r| parse(r.doc, "rating")).collect()
    }

    /// Counting bad ratings of a member of staff (or, without one, a window) of a centre rated
    /// from `from` to `to`: what an evaluation rule weighs as "recent bad ratings".
    pub async fn bad_ratings_of(
        &self,
        centre: CentreId,
        staff: Option<StaffId>,
        window: Option<onedoor_domain::WindowId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u64> {
        let mut q = rating::Entity::find()
            .filter(rating::Column::CentreId.eq(centre.0))
            .filter(rating::Column::RatedOn.between(from, to))
            .filter(rating::Column::Counts.eq(true))
            .filter(rating::Column::Level.is_in(["dissatisfied", "very_dissatisfied"]));
        q = match (staff, window) {
            (Some(s), _) => q.filter(rating::Column::StaffId.eq(s.0)),
            (None, Some(w)) => q.filter(rating::Column::WindowId.eq(w.0)),
            (None, None) => return Ok(0),
        };
        Ok(q.count(&self.db).await?)
    }

    /// Stores a rating's new appeal state, if its appeal is still as `before` had it
    /// (`CONFLICT` otherwise).
    pub async fn update_rating(&self, before: &Rating, after: &Rating) -> Result<()> {
        let status_before = before.appeal.as_ref().map(|a| a.status.as_str().to_owned());
        let mut q = rating::Entity::update_many()
            .col_expr(rating::Column::Counts, after.counts().into())
            .col_expr(rating::Column::AppealStatus, after.appeal.as_ref().map(|a| a.status.as_str().to_owned()).into())
            .col_expr(rating::Column::Doc, json(after, "rating")?.into())
            .filter(rating::Column::CentreId.eq(before.centre.0))
            .filter(rating::Column::Id.eq(before.id.0));
        q = match status_before {
            Some(s) => q.filter(rating::Column::AppealStatus.eq(s)),
            None => q.filter(rating::Column::AppealStatus.is_null()),
        };
        if q.exec(&self.db).await?.rows_affected != 1 {
            return Err(StoreError::Conflict { what: "rating" });
        }
        Ok(())
    }

    // ----- rectifications -----

    /// A rectification and its version.
    pub async fn rectification(&self, centre: CentreId, id: RectificationId) -> Result<Option<(Rectification, i32)>> {
        rectification::Entity::find_by_id((centre.0, id.0))
            .one(&self.db)
            .await?
            .map(|r| Ok((parse(r.doc, "rectification")?, r.version)))
            .transpose()
    }

    /// A centre's rectifications, newest first, optionally in one status or of one unit.
    pub async fn rectifications(
        &self,
        centre: CentreId,
        status: Option<RectificationStatus>,
        unit: Option<UnitId>,
        page: &IdPage,
    ) -> Result<Slice<Rectification>> {
        let mut q = rectification::Entity::find().filter(rectification::Column::CentreId.eq(centre.0));
        if let Some(s) = status {
            q = q.filter(rectification::Column::Status.eq(s.as_str()));
        }
        if let Some(u) = unit {
            q = q.filter(rectification::Column::UnitId.eq(u.0));
        }
        if let Some(before) = page.before {
            q = q.filter(rectification::Column::Id.lt(before));
        }
        let rows = q.order_by_desc(rectification::Column::Id).limit(page.limit + 1).all(&self.db).await?;
        let s = Slice::from_overfetch(rows, page.limit);
        Ok(Slice {
            items: s.items.into_iter().map(|r| parse(r.doc, "rectification")).collect::<Result<_>>()?,
            has_next: s.has_next,
        })
    }

    /// Every rectification of a centre opened from `from` to `to`.
    pub async fn rectifications_in(
        &self,
        centre: CentreId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Rectification>> {
        let rows = rectification::Entity::find()
            .filter(rectification::Column::CentreId.eq(centre.0))
            .filter(rectification::Column::OpenedOn.between(from, to))
            .all(&self.db)
            .await?;
        rows.into_iter().map(|r| parse(r.doc, "rectification")).collect()
    }

    /// Stores a rectification's next state if it is still at `version` (`CONFLICT` otherwise).
    pub async fn update_rectification(&self, r: &Rectification, version: i32) -> Result<()> {
        let mut row = rectification_row(r, version + 1)?;
        row.centre_id = sea_orm::ActiveValue::Unchanged(r.centre.0);
        row.id = sea_orm::ActiveValue::Unchanged(r.id.0);
        let done = rectification::Entity::update_many()
            .set(row)
            .filter(rectification::Column::CentreId.eq(r.centre.0))
            .filter(rectification::Column::Id.eq(r.id.0))
            .filter(rectification::Column::Version.eq(version))
            .exec(&self.db)
            .await?;
        if done.rows_affected != 1 {
            return Err(StoreError::Conflict { what: "rectification" });
        }
        Ok(())
    }

    // ----- assessments -----

    /// Stores an assessment, replacing the centre's earlier one of the same period.
    pub async fn put_assessment(&self, a: &AssessmentRecord) -> Result<()> {
        let tx = self.write().await?;
        assessment::Entity::delete_many()
            .filter(assessment::Column::CentreId.eq(a.centre.0))
            .filter(assessment::Column::PeriodStart.eq(a.period_start))
            .filter(assessment::Column::PeriodEnd.eq(a.period_end))
            .exec(&tx)
            .await?;
        assessment::ActiveModel {
            centre_id: Set(a.centre.0),
            id: Set(a.id.0),
            period_start: Set(a.period_start),
            period_end: Set(a.period_end),
            rule: Set(a.rule.clone()),
            computed_at: Set(a.computed_at),
            doc: Set(json(a, "assessment")?),
        }
        .insert(&tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A centre's assessments, latest period first.
    pub async fn assessments(&self, centre: CentreId, limit: u64) -> Result<Vec<AssessmentRecord>> {
        let rows = assessment::Entity::find()
            .filter(assessment::Column::CentreId.eq(centre.0))
            .order_by_desc(assessment::Column::PeriodEnd)
            .order_by_desc(assessment::Column::PeriodStart)
            .limit(limit)
            .all(&self.db)
            .await?;
        rows.into_iter().map(|r| parse(r.doc, "assessment")).collect()
    }

    /// The centre's latest assessment of a period ending before `start`.
    pub async fn assessment_before(&self, centre: CentreId, start: NaiveDate) -> Result<Option<AssessmentRecord>> {
        assessment::Entity::find()
            .filter(assessment::Column::CentreId.eq(centre.0))
            .filter(assessment::Column::PeriodEnd.lt(start))
            .order_by_desc(assessment::Column::PeriodEnd)
            .one(&self.db)
            .await?
            .map(|r| parse(r.doc, "assessment"))
            .transpose()
    }
}

/// The first instant of a local day (UTC+8).
fn local_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - chrono::Duration::hours(8)
}

fn to_state(row: supervision_setting::Model) -> Result<SupervisionState> {
    let day = |v: i32| u16::try_from(v).map_err(|e| corrupt("supervision setting", e));
    Ok(SupervisionState {
        settings: SupervisionSettings { warn_days: day(row.warn_days)?, red_after: day(row.red_after)? },
        rating_key: row.rating_key,
        cursor: row.cursor,
    })
}
