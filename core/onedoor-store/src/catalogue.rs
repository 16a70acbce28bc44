//! Repositories of the catalogue: matters, their versions, and bundles.
//!
//! Catalogue operations run in one transaction each, with an optimistic check of the matter's
//! version, so that two operators cannot both build on the same version.

use crate::entity::{bundle, bundle_matter, matter, matter_version, unit, window, window_matter};
use crate::lite::{self, BatchTx};
use crate::organisation::{paged as paged_by, slice};
use crate::{Page, Result, Slice, Store, StoreError, corrupt, own, private};
use chrono::{DateTime, Utc};
use onedoor_domain::catalogue::{
    Bundle, BundleStatus, CatalogueOperation, Guide, HandlingMode, Matter, MatterStatus, MatterType, MatterVersion,
};
use onedoor_domain::error::{DomainError, ErrorCode};
use onedoor_domain::values::{Code, Name};
use onedoor_domain::{BundleId, Caller, CentreId, MatterId, Scope, StaffId, UnitId, ZoneId};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Search criteria for matters; all given criteria must hold.
#[derive(Debug, Clone, Default)]
pub struct MatterFilter {
    /// Name contains this text (case-insensitive).
    pub name: Option<String>,
    /// Code starts with this text (case-insensitive).
    pub code: Option<String>,
    /// Owned by this unit.
    pub unit: Option<UnitId>,
    /// Served by a window of this zone (the zone's centre, the zone).
    pub zone: Option<(CentreId, ZoneId)>,
    /// Can be handled this way.
    pub mode: Option<HandlingMode>,
    /// Of this legal type.
    pub matter_type: Option<MatterType>,
    /// In this status (non-active statuses only for callers who may read the centre).
    pub status: Option<MatterStatus>,
}

/// One part of a split: the new matter's identity and guide.
#[derive(Debug, Clone)]
pub struct SplitPart {
    /// The new matter's id.
    pub id: MatterId,
    /// Its guide.
    pub guide: Guide,
}

fn to_matter(m: matter::Model) -> Result<Matter> {
    Ok(Matter {
        id: MatterId(m.id),
        centre: CentreId(m.centre_id),
        version: u32::try_from(m.version).map_err(|e| corrupt("matter version", e))?,
        status: MatterStatus::parse(&m.status).ok_or_else(|| corrupt("matter status", &m.status))?,
        guide: serde_json::from_value(m.guide).map_err(|e| corrupt("matter guide", e))?,
        updated_at: m.updated_at,
    })
}

fn to_version(m: matter_version::Model) -> Result<MatterVersion> {
    let related: Vec<Uuid> = serde_json::from_value(m.related).map_err(|e| corrupt("related matters", e))?;
    Ok(MatterVersion {
        matter: MatterId(m.matter_id),
        centre: CentreId(m.centre_id),
        version: u32::try_from(m.version).map_err(|e| corrupt("matter version", e))?,
        operation: CatalogueOperation::parse(&m.operation).ok_or_else(|| corrupt("operation", &m.operation))?,
        status: MatterStatus::parse(&m.status).ok_or_else(|| corrupt("matter status", &m.status))?,
        guide: serde_json::from_value(m.guide).map_err(|e| corrupt("matter guide", e))?,
        related: related.into_iter().map(MatterId).collect(),
        actor: m.actor_id.map(StaffId),
        note: m.note,
        at: m.at,
    })
}

fn guide_json(g: &Guide) -> Result<serde_json::Value> {
    serde_json::to_value(g).map_err(|e| corrupt("matter guide", e))
}

fn ids_json(ids: &[MatterId]) -> serde_json::Value {
    serde_json::Value::Array(ids.iter().map(|m| serde_json::Value::String(m.0.to_string())).collect())
}

/// The row columns that mirror a guide, for search.
fn guide_columns(am: &mut matter::ActiveModel, g: &Guide) -> Result<()> {
    am.code = Set(g.code.to_string());
    am.name = Set(g.name.to_string());
    am.owner_unit_id = Set(g.owner_unit.0);
    am.matter_type = Set(g.matter_type.as_str().to_owned());
    am.mode_immediate = Set(g.modes.contains(&HandlingMode::Immediate));
    am.mode_online = Set(g.modes.contains(&HandlingMode::Online));
    am.mode_nearby = Set(g.modes.contains(&HandlingMode::Nearby));
    am.mode_one_visit = Set(g.modes.contains(&HandlingMode::OneVisit));
    am.promised_days = Set(i32::from(g.limits.promised().get()));
    am.guide = Set(guide_json(g)?);
    Ok(())
}

/// Who made a catalogue change, why and when: recorded in every version row it writes.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// Who (none for imports).
    pub actor: Option<StaffId>,
    /// Why, in the operator's words.
    pub note: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a version row records besides the matter itself.
struct VersionMeta<'a> {
    operation: CatalogueOperation,
    related: &'a [MatterId],
    actor: Option<StaffId>,
    note: &'a str,
    at: DateTime<Utc>,
}

impl<'a> VersionMeta<'a> {
    /// What a version row of a newly added matter records.
    fn added(by: &'a Provenance) -> VersionMeta<'a> {
        VersionMeta { operation: CatalogueOperation::Add, related: &[], actor: by.actor, note: &by.note, at: by.at }
    }
}

async fn insert_version<C: ConnectionTrait>(c: &C, m: &Matter, meta: &VersionMeta<'_>) -> Result<()> {
    version_row(m, meta)?.insert(c).await?;
    Ok(())
}

/// The version row recording `m` as `meta` made it.
fn version_row(m: &Matter, meta: &VersionMeta<'_>) -> Result<matter_version::ActiveModel> {
    Ok(matter_version::ActiveModel {
        centre_id: Set(m.centre.0),
        matter_id: Set(m.id.0),
        version: Set(i32::try_from(m.version).map_err(|e| corrupt("matter version", e))?),
        operation: Set(meta.operation.as_str().to_owned()),
        status: Set(m.status.as_str().to_owned()),
        guide: Set(guide_json(&m.guide)?),
        related: Set(ids_json(meta.related)),
        actor_id: Set(meta.actor.map(|a| a.0)),
        note: Set(meta.note.to_owned()),
        at: Set(meta.at),
    })
}

async fn check_owner_unit<C: ConnectionTrait>(c: &C, centre: Uuid, g: &Guide, field: &str) -> Result<()> {
    if unit::Entity::find_by_id((centre, g.owner_unit.0)).one(c).await?.is_none() {
        return Err(StoreError::Rule(DomainError::new(
            field,
            ErrorCode::InvalidReference,
            "the owner unit is not a unit of this centre",
        )));
    }
    Ok(())
}

/// Inserts a new matter (version 1) made by `meta.operation`.
async fn insert_matter<C: ConnectionTrait>(c: &C, m: &Matter, meta: &VersionMeta<'_>, field: &str) -> Result<()> {
    check_owner_unit(c, m.centre.0, &m.guide, field).await?;
    matter_row(m)?.insert(c).await?;
    insert_version(c, m, meta).await
}

/// The row of a new matter (version 1).
fn matter_row(m: &Matter) -> Result<matter::ActiveModel> {
    let mut am = matter::ActiveModel {
        centre_id: Set(m.centre.0),
        id: Set(m.id.0),
        status: Set(m.status.as_str().to_owned()),
        version: Set(1),
        updated_at: Set(m.updated_at),
        ..Default::default()
    };
    guide_columns(&mut am, &m.guide)?;
    Ok(am)
}

/// Rows per multi-row insert: well under SQLite's bound on parameters per statement.
const BULK_ROWS: usize = 200;

/// Inserts new matters and their first versions with multi-row inserts (at most
/// [`BULK_ROWS`] rows per statement, in power-of-two chunks so that the statement cache holds
/// few shapes).
async fn insert_rows<C: ConnectionTrait>(
    c: &C,
    mut rows: Vec<matter::ActiveModel>,
    mut versions: Vec<matter_version::ActiveModel>,
) -> Result<()> {
    while !rows.is_empty() {
        let rest = rows.split_off(crate::cases::power_of_two_chunk(rows.len(), BULK_ROWS));
        matter::Entity::insert_many(std::mem::replace(&mut rows, rest)).exec_without_returning(c).await?;
    }
    while !versions.is_empty() {
        let rest = versions.split_off(crate::cases::power_of_two_chunk(versions.len(), BULK_ROWS));
        matter_version::Entity::insert_many(std::mem::replace(&mut versions, rest)).exec_without_returning(c).await?;
    }
    Ok(())
}

/// Applies `op` to a matter of the caller's centre inside `c`, checking the expected version;
/// returns the matter as it now stands.
async fn transition<C: ConnectionTrait>(
    c: &C,
    scope: &Scope,
    id: MatterId,
    expected: Option<u32>,
    guide: Option<Guide>,
    meta: &VersionMeta<'_>,
    field: &str,
) -> Result<Matter> {
    let row =
        matter::Entity::find_by_id((own(scope), id.0)).one(c).await?.ok_or(StoreError::NotFound { what: "matter" })?;
    let current = to_matter(row.clone())?;
    if expected.is_some_and(|v| v != current.version) {
        return Err(StoreError::Conflict { what: "matter" });
    }
    let status = current.status.apply(meta.operation).map_err(|e| StoreError::Rule(e.under(field)))?;
    let next = Matter {
        version: current.version + 1,
        status,
        guide: guide.unwrap_or(current.guide),
        updated_at: meta.at,
        ..current
    };
    if next.guide.owner_unit.0 != row.owner_unit_id {
        check_owner_unit(c, own(scope), &next.guide, "ownerUnit").await?;
    }
    let old_version = row.version;
    let mut am = row.into_active_model();
    guide_columns(&mut am, &next.guide)?;
    am.status = Set(next.status.as_str().to_owned());
    am.version = Set(i32::try_from(next.version).map_err(|e| corrupt("matter version", e))?);
    am.updated_at = Set(next.updated_at);
    // The version check is part of the UPDATE, so a concurrent operation cannot slip between
    // the read above and this write.
    let res = matter::Entity::update_many()
        .set(am)
        .filter(matter::Column::CentreId.eq(own(scope)))
        .filter(matter::Column::Id.eq(id.0))
        .filter(matter::Column::Version.eq(old_version))
        .exec(c)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Conflict { what: "matter" });
    }
    insert_version(c, &next, meta).await?;
    Ok(next)
}

/// [`bump_catalogue`] on SQLite.
const BUMP_CATALOGUE_SQLITE: &str = "INSERT INTO catalogue_centre (centre_id, generation) VALUES (?1, 1) \
     ON CONFLICT (centre_id) DO UPDATE SET generation = catalogue_centre.generation + 1";

/// Which of `candidates` are units of `centre`, on the batch writers' own SQLite connection.
fn lite_unit_ids(tx: &lite::LiteTx, centre: Uuid, candidates: Vec<Uuid>) -> Result<std::collections::HashSet<Uuid>> {
    let mut known = std::collections::HashSet::new();
    for id in candidates {
        let key = lite::values(&[centre.into(), id.into()])?;
        if tx.query_row("SELECT 1 FROM unit WHERE centre_id = ?1 AND id = ?2", key, |_| Ok(()))?.is_some() {
            known.insert(id);
        }
    }
    Ok(known)
}

/// Bumps `centre`'s catalogue generation inside the write `c`. Every change to a centre's
/// matters or units calls it before committing, so a cache that read generation `g` before
/// loading knows, by reading the generation again, whether what it holds is still current.
pub(crate) async fn bump_catalogue<C: ConnectionTrait>(c: &C, centre: Uuid) -> Result<()> {
    let backend = c.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "INSERT INTO catalogue_centre (centre_id, generation) VALUES ($1, 1) \
             ON CONFLICT (centre_id) DO UPDATE SET generation = catalogue_centre.generation + 1"
        }
        _ => BUMP_CATALOGUE_SQLITE,
    };
    c.execute_raw(sea_orm::Statement::from_sql_and_values(backend, sql, [centre.into()])).await?;
    Ok(())
}

impl Store {
    /// Adds a matter to the caller's centre (version 1, operation ADD).
    pub async fn add_matter(&self, scope: &Scope, m: &Matter, by: &Provenance) -> Result<()> {
        let m = Matter { centre: scope.centre, updated_at: by.at, ..m.clone() };
        let meta = VersionMeta::added(by);
        let tx = self.write().await?;
        insert_matter(&tx, &m, &meta, "ownerUnit").await?;
        bump_catalogue(&tx, own(scope)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A centre's catalogue generation (0 before its first change): the catalogue cache's one
    /// cheap read per check.
    pub async fn catalogue_generation(&self, centre: CentreId) -> Result<u64> {
        let backend = self.db.get_database_backend();
        let sql = match backend {
            sea_orm::DatabaseBackend::Postgres => "SELECT generation FROM catalogue_centre WHERE centre_id = $1",
            _ => "SELECT generation FROM catalogue_centre WHERE centre_id = ?",
        };
        let row =
            self.db.query_one_raw(sea_orm::Statement::from_sql_and_values(backend, sql, [centre.0.into()])).await?;
        let g: i64 = match row {
            Some(r) => r.try_get("", "generation")?,
            None => 0,
        };
        u64::try_from(g).map_err(|e| corrupt("catalogue generation", e))
    }

    /// Adds many matters (each at version 1, operation `ADD`) to the caller's centre in one
    /// transaction with multi-row inserts: the bulk path of a deployment import. All or nothing:
    /// an owner unit that is not a unit of the centre (`matters.N.ownerUnit`) or a taken code
    /// fails the whole call.
    pub async fn add_matters(&self, scope: &Scope, ms: &[Matter], by: &Provenance) -> Result<()> {
        let meta = VersionMeta::added(by);
        let tx = self.write().await?;
        let units = crate::organisation::unit_ids(&tx, own(scope), ms.iter().map(|m| m.guide.owner_unit.0)).await?;
        let mut rows = Vec::with_capacity(ms.len());
        let mut versions = Vec::with_capacity(ms.len());
        for (i, m) in ms.iter().enumerate() {
            if !units.contains(&m.guide.owner_unit.0) {
                return Err(StoreError::Rule(DomainError::new(
                    format!("matters.{i}.ownerUnit"),
                    ErrorCode::InvalidReference,
                    "the owner unit is not a unit of this centre",
                )));
            }
            let m = Matter { centre: scope.centre, updated_at: by.at, ..m.clone() };
            rows.push(matter_row(&m)?);
            versions.push(version_row(&m, &meta)?);
        }
        insert_rows(&tx, rows, versions).await?;
        bump_catalogue(&tx, own(scope)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds matters of any centres (each at version 1, operation `ADD`, in its admin's centre)
    /// in one transaction: the owner units named are read once per centre, the matters and their
    /// versions go in with multi-row inserts, and each centre's generation is bumped once. The
    /// answer has one entry per matter: a matter whose owner unit is not a unit of its centre
    /// is refused (`ownerUnit`) and the others are written. A failed statement (e.g. a code
    /// already taken) fails the whole transaction, which then writes nothing: the caller runs
    /// the matters one at a time to tell which one it was.
    pub async fn add_matter_batch(&self, items: &[(&Scope, &Matter, &Provenance)]) -> Result<Vec<Result<()>>> {
        let tx = self.begin_batch().await?;
        let mut owners: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (scope, m, _) in items {
            owners.entry(own(scope)).or_default().push(m.guide.owner_unit.0);
        }
        let mut units: HashMap<Uuid, std::collections::HashSet<Uuid>> = HashMap::new();
        for (centre, candidates) in owners {
            let known = match &tx {
                BatchTx::Sql(tx) => crate::organisation::unit_ids(tx, centre, candidates).await?,
                BatchTx::Lite(tx) => lite::blocking(|| lite_unit_ids(tx, centre, candidates))?,
            };
            units.insert(centre, known);
        }
        let mut answers = Vec::with_capacity(items.len());
        let (mut rows, mut versions) = (Vec::with_capacity(items.len()), Vec::with_capacity(items.len()));
        let mut centres: Vec<Uuid> = Vec::new();
        for (scope, m, by) in items {
            let centre = own(scope);
            if !units.get(&centre).is_some_and(|known| known.contains(&m.guide.owner_unit.0)) {
                answers.push(Err(StoreError::Rule(DomainError::new(
                    "ownerUnit",
                    ErrorCode::InvalidReference,
                    "the owner unit is not a unit of this centre",
                ))));
                continue;
            }
            let m = Matter { centre: scope.centre, updated_at: by.at, ..(*m).clone() };
            rows.push(matter_row(&m)?);
            versions.push(version_row(&m, &VersionMeta::added(by))?);
            if !centres.contains(&centre) {
                centres.push(centre);
            }
            answers.push(Ok(()));
        }
        let tx = match tx {
            BatchTx::Sql(tx) => tx,
            BatchTx::Lite(tx) => {
                return lite::blocking(|| {
                    lite::insert_models::<matter::Entity>(&tx, &rows, lite::OnConflict::Fail)?;
                    lite::insert_models::<matter_version::Entity>(&tx, &versions, lite::OnConflict::Fail)?;
                    for centre in centres {
                        tx.execute(BUMP_CATALOGUE_SQLITE, lite::values(&[centre.into()])?)?;
                    }
                    tx.commit()?;
                    Ok(answers)
                });
            }
        };
        insert_rows(&tx, rows, versions).await?;
        for centre in centres {
            bump_catalogue(&tx, centre).await?;
        }
        tx.commit().await?;
        Ok(answers)
    }

    /// Applies a single-matter operation (change, suspend, resume, cancel) to a matter of the
    /// caller's centre. `guide` is the new guide for a change. With `expected`, fails with
    /// `Conflict` unless the matter is still at that version.
    pub async fn apply_to_matter(
        &self,
        scope: &Scope,
        id: MatterId,
        op: CatalogueOperation,
        expected: Option<u32>,
        guide: Option<Guide>,
        by: &Provenance,
    ) -> Result<Matter> {
        let meta = VersionMeta { operation: op, related: &[], actor: by.actor, note: &by.note, at: by.at };
        let tx = self.write().await?;
        let m = transition(&tx, scope, id, expected, guide, &meta, "id").await?;
        bump_catalogue(&tx, own(scope)).await?;
        tx.commit().await?;
        Ok(m)
    }

    /// Splits a matter of the caller's centre into `parts`: the source is superseded and each
    /// part is added, all in one transaction. Returns the parts.
    pub async fn split_matter(
        &self,
        scope: &Scope,
        source: MatterId,
        expected: Option<u32>,
        parts: &[SplitPart],
        by: &Provenance,
    ) -> Result<Vec<Matter>> {
        let (actor, note, at) = (by.actor, by.note.as_str(), by.at);
        let part_ids: Vec<MatterId> = parts.iter().map(|p| p.id).collect();
        let tx = self.write().await?;
        let src_meta = VersionMeta { operation: CatalogueOperation::Split, related: &part_ids, actor, note, at };
        transition(&tx, scope, source, expected, None, &src_meta, "id").await?;
        let part_meta = VersionMeta { operation: CatalogueOperation::Split, related: &[source], actor, note, at };
        let mut out = Vec::with_capacity(parts.len());
        for (i, p) in parts.iter().enumerate() {
            let m = Matter::first_version(p.id, scope.centre, p.guide.clone(), at);
            insert_matter(&tx, &m, &part_meta, &format!("parts.{i}.ownerUnit")).await?;
            out.push(m);
        }
        bump_catalogue(&tx, own(scope)).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Merges matters of the caller's centre into `result`: each source is superseded and the
    /// result is added, in one transaction.
    pub async fn merge_matters(
        &self,
        scope: &Scope,
        sources: &[MatterId],
        result: &Matter,
        by: &Provenance,
    ) -> Result<Matter> {
        let (actor, note, at) = (by.actor, by.note.as_str(), by.at);
        let tx = self.write().await?;
        let src_meta = VersionMeta { operation: CatalogueOperation::Merge, related: &[result.id], actor, note, at };
        for (i, s) in sources.iter().enumerate() {
            transition(&tx, scope, *s, None, None, &src_meta, &format!("sources.{i}")).await?;
        }
        let m =
            Matter { centre: scope.centre, version: 1, status: MatterStatus::Active, updated_at: at, ..result.clone() };
        let meta = VersionMeta { operation: CatalogueOperation::Merge, related: sources, actor, note, at };
        insert_matter(&tx, &m, &meta, "result.ownerUnit").await?;
        bump_catalogue(&tx, own(scope)).await?;
        tx.commit().await?;
        Ok(m)
    }

    /// A matter: any status for callers who may read its centre, else only an active one.
    pub async fn matter(&self, caller: &Caller, centre: CentreId, id: MatterId) -> Result<Option<Matter>> {
        let m = matter::Entity::find_by_id((centre.0, id.0)).one(&self.db).await?.map(to_matter).transpose()?;
        Ok(m.filter(|m| private(caller, centre) || m.status == MatterStatus::Active))
    }

    /// Matters of one centre by id, with the same visibility as [`Store::matter`].
    pub async fn matters_by_ids(&self, caller: &Caller, centre: CentreId, ids: &[MatterId]) -> Result<Vec<Matter>> {
        let mut q = matter::Entity::find()
            .filter(matter::Column::CentreId.eq(centre.0))
            .filter(matter::Column::Id.is_in(ids.iter().map(|m| m.0)));
        if !private(caller, centre) {
            q = q.filter(matter::Column::Status.eq(MatterStatus::Active.as_str()));
        }
        q.all(&self.db).await?.into_iter().map(to_matter).collect()
    }

    /// Searches a centre's matters, by code. Callers who may not read the centre see only
    /// active matters, whatever the filter says.
    pub async fn matters(
        &self,
        caller: &Caller,
        centre: CentreId,
        f: &MatterFilter,
        page: &Page,
    ) -> Result<Slice<Matter>> {
        let mut q = matter::Entity::find().filter(matter::Column::CentreId.eq(centre.0));
        let status = match (private(caller, centre), f.status) {
            (true, s) => s,
            (false, None | Some(MatterStatus::Active)) => Some(MatterStatus::Active),
            (false, Some(_)) => return Ok(Slice { items: Vec::new(), has_next: false }),
        };
        if let Some(s) = status {
            q = q.filter(matter::Column::Status.eq(s.as_str()));
        }
        if let Some(name) = f.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            q = q.filter(
                Expr::expr(Func::lower(Expr::col(matter::Column::Name)))
                    .like(LikeExpr::new(format!("%{}%", escape_like(&name.to_lowercase()))).escape('\\')),
            );
        }
        if let Some(code) = f.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            q = q.filter(
                matter::Column::Code
                    .like(LikeExpr::new(format!("{}%", escape_like(&code.to_ascii_uppercase()))).escape('\\')),
            );
        }
        if let Some(u) = f.unit {
            q = q.filter(matter::Column::OwnerUnitId.eq(u.0));
        }
        if let Some(t) = f.matter_type {
            q = q.filter(matter::Column::MatterType.eq(t.as_str()));
        }
        if let Some(mode) = f.mode {
            let col = match mode {
                HandlingMode::Immediate => matter::Column::ModeImmediate,
                HandlingMode::Online => matter::Column::ModeOnline,
                HandlingMode::Nearby => matter::Column::ModeNearby,
                HandlingMode::OneVisit => matter::Column::ModeOneVisit,
            };
            q = q.filter(col.eq(true));
        }
        if let Some((zone_centre, zone)) = f.zone {
            let windows: Vec<Uuid> = window::Entity::find()
                .filter(window::Column::CentreId.eq(zone_centre.0))
                .filter(window::Column::ZoneId.eq(zone.0))
                .select_only()
                .column(window::Column::Id)
                .into_tuple()
                .all(&self.db)
                .await?;
            let served: Vec<Uuid> = window_matter::Entity::find()
                .filter(window_matter::Column::CentreId.eq(zone_centre.0))
                .filter(window_matter::Column::WindowId.is_in(windows))
                .filter(window_matter::Column::MatterCentreId.eq(centre.0))
                .select_only()
                .column(window_matter::Column::MatterId)
                .distinct()
                .into_tuple()
                .all(&self.db)
                .await?;
            q = q.filter(matter::Column::Id.is_in(served));
        }
        let rows = paged_by(q, matter::Column::Code, page).all(&self.db).await?;
        slice(rows, page, to_matter)
    }

    /// The versions of a matter, oldest first, for callers who may read its centre.
    pub async fn matter_versions(&self, caller: &Caller, centre: CentreId, id: MatterId) -> Result<Vec<MatterVersion>> {
        if !private(caller, centre) {
            return Ok(Vec::new());
        }
        matter_version::Entity::find()
            .filter(matter_version::Column::CentreId.eq(centre.0))
            .filter(matter_version::Column::MatterId.eq(id.0))
            .order_by_asc(matter_version::Column::Version)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_version)
            .collect()
    }

    /// The first version of a matter (the platform's own read: the baseline of the "four
    /// reductions").
    pub async fn first_matter_version(&self, centre: CentreId, id: MatterId) -> Result<Option<MatterVersion>> {
        matter_version::Entity::find()
            .filter(matter_version::Column::CentreId.eq(centre.0))
            .filter(matter_version::Column::MatterId.eq(id.0))
            .order_by_asc(matter_version::Column::Version)
            .one(&self.db)
            .await?
            .map(to_version)
            .transpose()
    }

    /// One version of a matter, for the platform's own checks (no visibility check: a fee
    /// recorded at another centre's window is checked against the owner's catalogue).
    pub async fn matter_version_unchecked(
        &self,
        centre: CentreId,
        id: MatterId,
        version: u32,
    ) -> Result<Option<MatterVersion>> {
        let v = i32::try_from(version).map_err(|_| StoreError::NotFound { what: "matter version" })?;
        matter_version::Entity::find_by_id((centre.0, id.0, v)).one(&self.db).await?.map(to_version).transpose()
    }

    /// One version of a matter (what a case was accepted under), for callers who may read its
    /// centre.
    pub async fn matter_version(
        &self,
        caller: &Caller,
        centre: CentreId,
        id: MatterId,
        version: u32,
    ) -> Result<Option<MatterVersion>> {
        if !private(caller, centre) {
            return Ok(None);
        }
        let v = i32::try_from(version).map_err(|_| StoreError::NotFound { what: "matter version" })?;
        matter_version::Entity::find_by_id((centre.0, id.0, v)).one(&self.db).await?.map(to_version).transpose()
    }

    // ----- bundles -----

    /// Creates a bundle in the caller's centre.
    pub async fn create_bundle(&self, scope: &Scope, b: &Bundle) -> Result<()> {
        let tx = self.write().await?;
        if unit::Entity::find_by_id((own(scope), b.lead_unit.0)).one(&tx).await?.is_none() {
            return Err(StoreError::Rule(DomainError::new(
                "leadUnit",
                ErrorCode::InvalidReference,
                "no such unit in this centre",
            )));
        }
        bundle::ActiveModel {
            centre_id: Set(own(scope)),
            id: Set(b.id.0),
            code: Set(b.code.to_string()),
            name: Set(b.name.to_string()),
            description: Set(b.description.clone()),
            lead_unit_id: Set(b.lead_unit.0),
            status: Set(b.status.as_str().to_owned()),
        }
        .insert(&tx)
        .await?;
        let rows = b.matters.iter().enumerate().map(|(i, m)| bundle_matter::ActiveModel {
            centre_id: Set(own(scope)),
            bundle_id: Set(b.id.0),
            matter_id: Set(m.0),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
        });
        bundle_matter::Entity::insert_many(rows).exec(&tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cancels a bundle of the caller's centre.
    pub async fn cancel_bundle(&self, scope: &Scope, id: BundleId) -> Result<Bundle> {
        let row = bundle::Entity::find_by_id((own(scope), id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound { what: "bundle" })?;
        if row.status == BundleStatus::Cancelled.as_str() {
            return Err(StoreError::Rule(DomainError::new(
                "id",
                ErrorCode::InvalidState,
                "the bundle is already cancelled",
            )));
        }
        let mut am = row.into_active_model();
        am.status = Set(BundleStatus::Cancelled.as_str().to_owned());
        let row = am.update(&self.db).await?;
        self.to_bundle(row).await
    }

    async fn to_bundle(&self, b: bundle::Model) -> Result<Bundle> {
        let matters: Vec<Uuid> = bundle_matter::Entity::find()
            .filter(bundle_matter::Column::CentreId.eq(b.centre_id))
            .filter(bundle_matter::Column::BundleId.eq(b.id))
            .order_by_asc(bundle_matter::Column::Position)
            .select_only()
            .column(bundle_matter::Column::MatterId)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(Bundle {
            id: BundleId(b.id),
            centre: CentreId(b.centre_id),
            code: Code::parse(&b.code).map_err(|e| corrupt("bundle code", e))?,
            name: Name::parse(&b.name).map_err(|e| corrupt("bundle name", e))?,
            description: b.description,
            lead_unit: UnitId(b.lead_unit_id),
            matters: matters.into_iter().map(MatterId).collect(),
            status: BundleStatus::parse(&b.status).ok_or_else(|| corrupt("bundle status", &b.status))?,
        })
    }

    /// A bundle: any status for callers who may read its centre, else only an active one.
    pub async fn bundle(&self, caller: &Caller, centre: CentreId, id: BundleId) -> Result<Option<Bundle>> {
        let Some(row) = bundle::Entity::find_by_id((centre.0, id.0)).one(&self.db).await? else {
            return Ok(None);
        };
        if !private(caller, centre) && row.status != BundleStatus::Active.as_str() {
            return Ok(None);
        }
        self.to_bundle(row).await.map(Some)
    }

    /// A centre's bundles, by code, with the same visibility as [`Store::bundle`].
    pub async fn bundles(&self, caller: &Caller, centre: CentreId, page: &Page) -> Result<Slice<Bundle>> {
        let mut q = bundle::Entity::find().filter(bundle::Column::CentreId.eq(centre.0));
        if !private(caller, centre) {
            q = q.filter(bundle::Column::Status.eq(BundleStatus::Active.as_str()));
        }
        let rows = paged_by(q, bundle::Column::Code, page).all(&self.db).await?;
        let has_next = rows.len() as u64 > page.limit;
        let mut items = Vec::new();
        for row in rows.into_iter().take(page.limit as usize) {
            items.push(self.to_bundle(row).await?);
        }
        Ok(Slice { items, has_next })
    }
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
