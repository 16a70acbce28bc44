//! Repositories of the organisation: centres, halls and members, zones, windows, units, staff.

use crate::entity::{centre, hall, hall_member, matter, staff, unit, window, window_matter, zone};
use crate::{Page, Result, Slice, Store, StoreError, corrupt, own, private};
use onedoor_domain::error::{DomainError, ErrorCode};
use onedoor_domain::organisation::{Centre, Hall, Level, Staff, Unit, UnitKind, Window, Zone};
use onedoor_domain::values::{Code, Name};
use onedoor_domain::{Caller, CentreId, HallId, MatterId, Roles, Scope, StaffId, UnitId, WindowId, ZoneId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use uuid::Uuid;

fn code(s: &str) -> Result<Code> {
    Code::parse(s).map_err(|e| corrupt("code", e))
}

fn name(s: &str) -> Result<Name> {
    Name::parse(s).map_err(|e| corrupt("name", e))
}

fn to_centre(m: centre::Model) -> Result<Centre> {
    Ok(Centre {
        id: CentreId(m.id),
        code: code(&m.code)?,
        name: name(&m.name)?,
        level: Level::parse(&m.level).ok_or_else(|| corrupt("centre level", &m.level))?,
        parent: m.parent_id.map(CentreId),
        region: code(&m.region)?,
    })
}

fn to_hall(m: hall::Model) -> Result<Hall> {
    Ok(Hall {
        id: HallId(m.id),
        centre: CentreId(m.centre_id),
        code: code(&m.code)?,
        name: name(&m.name)?,
        address: m.address,
    })
}

fn to_zone(m: zone::Model) -> Result<Zone> {
    Ok(Zone {
        id: ZoneId(m.id),
        centre: CentreId(m.centre_id),
        hall: HallId(m.hall_id),
        code: code(&m.code)?,
        name: name(&m.name)?,
    })
}

fn to_window(m: window::Model) -> Result<Window> {
    Ok(Window {
        id: WindowId(m.id),
        centre: CentreId(m.centre_id),
        hall: HallId(m.hall_id),
        zone: ZoneId(m.zone_id),
        number: code(&m.number)?,
        name: name(&m.name)?,
    })
}

fn to_unit(m: unit::Model) -> Result<Unit> {
    Ok(Unit {
        id: UnitId(m.id),
        centre: CentreId(m.centre_id),
        code: code(&m.code)?,
        name: name(&m.name)?,
        kind: UnitKind::parse(&m.kind).ok_or_else(|| corrupt("unit kind", &m.kind))?,
    })
}

fn to_staff(m: staff::Model) -> Result<Staff> {
    Ok(Staff {
        id: StaffId(m.id),
        centre: CentreId(m.centre_id),
        unit: m.unit_id.map(UnitId),
        code: code(&m.code)?,
        name: name(&m.name)?,
        roles: Roles::parse(m.roles.split(',').filter(|r| !r.is_empty())).map_err(|r| corrupt("role", r))?,
        active: m.active,
    })
}

fn roles_text(roles: Roles) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

/// Fetches one more than `page.limit` rows ordered by `col`, after the page's key.
pub(crate) fn paged<E: EntityTrait>(
    q: sea_orm::Select<E>,
    col: impl ColumnTrait + Copy,
    page: &Page,
) -> sea_orm::Select<E> {
    let q = match &page.after {
        Some(after) => q.filter(col.gt(after.clone())),
        None => q,
    };
    q.order_by_asc(col).limit(page.limit + 1)
}

impl Store {
    // ----- centres (public) -----

    /// Creates a centre. A root centre (no parent) is created without a caller (at import or
    /// by the operator); a child centre only by a caller of its parent centre.
    pub async fn create_centre(&self, by: Option<&Scope>, c: &Centre) -> Result<()> {
        if let Some(parent) = c.parent
            && by.map(|s| s.centre) != Some(parent)
        {
            return Err(StoreError::NotFound { what: "parent centre" });
        }
        centre::ActiveModel {
            id: Set(c.id.0),
            code: Set(c.code.to_string()),
            name: Set(c.name.to_string()),
            level: Set(c.level.as_str().to_owned()),
            parent_id: Set(c.parent.map(|p| p.0)),
            region: Set(c.region.to_string()),
            created_at: Set(chrono::Utc::now()),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// Every centre, ordered by code (public).
    pub async fn centres(&self) -> Result<Vec<Centre>> {
        centre::Entity::find()
            .order_by_asc(centre::Column::Code)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_centre)
            .collect()
    }

    /// A centre by id (public).
    pub async fn centre(&self, id: CentreId) -> Result<Option<Centre>> {
        centre::Entity::find_by_id(id.0).one(&self.db).await?.map(to_centre).transpose()
    }

    /// A centre by code (public).
    pub async fn centre_by_code(&self, code: &str) -> Result<Option<Centre>> {
        centre::Entity::find().filter(centre::Column::Code.eq(code)).one(&self.db).await?.map(to_centre).transpose()
    }

    // ----- halls (public) -----

    /// Creates a hall run by the caller's centre, which becomes its first member.
    pub async fn create_hall(&self, scope: &Scope, h: &Hall) -> Result<()> {
        let tx = self.write().await?;
        hall::ActiveModel {
            centre_id: Set(own(scope)),
            id: Set(h.id.0),
            code: Set(h.code.to_string()),
            name: Set(h.name.to_string()),
            address: Set(h.address.clone()),
        }
        .insert(&tx)
        .await?;
        hall_member::ActiveModel { centre_id: Set(own(scope)), hall_id: Set(h.id.0), member_id: Set(own(scope)) }
            .insert(&tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds `member` to a hall run by the caller's centre (a shared hall).
    pub async fn add_hall_member(&self, scope: &Scope, hall: HallId, member: CentreId) -> Result<()> {
        self.own_hall(scope, hall).await?;
        if self.centre(member).await?.is_none() {
            return Err(StoreError::NotFound { what: "centre" });
        }
        hall_member::ActiveModel { centre_id: Set(own(scope)), hall_id: Set(hall.0), member_id: Set(member.0) }
            .insert(&self.db)
            .await?;
        Ok(())
    }

    async fn own_hall(&self, scope: &Scope, hall: HallId) -> Result<hall::Model> {
        hall::Entity::find_by_id((own(scope), hall.0)).one(&self.db).await?.ok_or(StoreError::NotFound { what: "hall" })
    }

    /// A hall by its centre and id (public).
    pub async fn hall(&self, centre: CentreId, id: HallId) -> Result<Option<Hall>> {
        hall::Entity::find_by_id((centre.0, id.0)).one(&self.db).await?.map(to_hall).transpose()
    }

    /// The halls a centre runs or shares (public; the shared-hall path).
    pub async fn halls_of(&self, centre: CentreId) -> Result<Vec<Hall>> {
        let keys: Vec<(Uuid, Uuid)> = hall_member::Entity::find()
            .filter(hall_member::Column::MemberId.eq(centre.0))
            .select_only()
            .column(hall_member::Column::CentreId)
            .column(hall_member::Column::HallId)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(keys.len());
        for (c, h) in keys {
            if let Some(h) = self.hall(CentreId(c), HallId(h)).await? {
                out.push(h);
            }
        }
        out.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(out)
    }

    /// The centres sharing a hall, the running centre first (public; the shared-hall path).
    pub async fn hall_members(&self, hall: &Hall) -> Result<Vec<CentreId>> {
        let mut ids: Vec<Uuid> = hall_member::Entity::find()
            .filter(hall_member::Column::CentreId.eq(hall.centre.0))
            .filter(hall_member::Column::HallId.eq(hall.id.0))
            .select_only()
            .column(hall_member::Column::MemberId)
            .into_tuple()
            .all(&self.db)
            .await?;
        ids.sort_by_key(|m| (*m != hall.centre.0, *m));
        Ok(ids.into_iter().map(CentreId).collect())
    }

    // ----- zones (public) -----

    /// Creates a zone in a hall of the caller's centre.
    pub async fn create_zone(&self, scope: &Scope, z: &Zone) -> Result<()> {
        self.own_hall(scope, z.hall).await?;
        zone::ActiveModel {
            centre_id: Set(own(scope)),
            id: Set(z.id.0),
            hall_id: Set(z.hall.0),
            code: Set(z.code.to_string()),
            name: Set(z.name.to_string()),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// A zone by its centre and id (public).
    pub async fn zone(&self, centre: CentreId, id: ZoneId) -> Result<Option<Zone>> {
        zone::Entity::find_by_id((centre.0, id.0)).one(&self.db).await?.map(to_zone).transpose()
    }

    /// The zones of a hall, by code (public).
    pub async fn zones(&self, hall: &Hall) -> Result<Vec<Zone>> {
        zone::Entity::find()
            .filter(zone::Column::CentreId.eq(hall.centre.0))
            .filter(zone::Column::HallId.eq(hall.id.0))
            .order_by_asc(zone::Column::Code)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_zone)
            .collect()
    }

    // ----- windows (public) -----

    /// Creates a window in a hall of the caller's centre, serving `matters` (each of a centre
    /// sharing the hall).
    pub async fn create_window(&self, scope: &Scope, w: &Window, matters: &[(CentreId, MatterId)]) -> Result<()> {
        let hall = self.own_hall(scope, w.hall).await?;
        self.check_zone_in_hall(scope, w.zone, w.hall).await?;
        let tx = self.write().await?;
        window::ActiveModel {
            centre_id: Set(own(scope)),
            id: Set(w.id.0),
            hall_id: Set(w.hall.0),
            zone_id: Set(w.zone.0),
            number: Set(w.number.to_string()),
            name: Set(w.name.to_string()),
        }
        .insert(&tx)
        .await?;
        Self::write_window_matters(&tx, scope, &hall, w.id, matters).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes a window of the caller's centre: name, zone, and (when given) the whole list of
    /// matters it serves.
    pub async fn update_window(
        &self,
        scope: &Scope,
        id: WindowId,
        name: Option<&Name>,
        zone: Option<ZoneId>,
        matters: Option<&[(CentreId, MatterId)]>,
    ) -> Result<Window> {
        let current = window::Entity::find_by_id((own(scope), id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound { what: "window" })?;
        let hall = self.own_hall(scope, HallId(current.hall_id)).await?;
        if let Some(z) = zone {
            self.check_zone_in_hall(scope, z, HallId(current.hall_id)).await?;
        }
        let tx = self.write().await?;
        let mut am = current.into_active_model();
        if let Some(n) = name {
            am.name = Set(n.to_string());
        }
        if let Some(z) = zone {
            am.zone_id = Set(z.0);
        }
        let updated = am.update(&tx).await?;
        if let Some(ms) = matters {
            window_matter::Entity::delete_many()
                .filter(window_matter::Column::CentreId.eq(own(scope)))
                .filter(window_matter::Column::WindowId.eq(id.0))
                .exec(&tx)
                .await?;
            Self::write_window_matters(&tx, scope, &hall, id, ms).await?;
        }
        tx.commit().await?;
        to_window(updated)
    }

    async fn check_zone_in_hall(&self, scope: &Scope, z: ZoneId, hall: HallId) -> Result<()> {
        match zone::Entity::find_by_id((own(scope), z.0)).one(&self.db).await? {
            Some(zone) if zone.hall_id == hall.0 => Ok(()),
            _ => Err(StoreError::Rule(DomainError::new(
                "zone",
                ErrorCode::InvalidReference,
                "no such zone in this hall",
            ))),
        }
    }

    /// Writes the window's matters after checking each is an existing matter of a centre that
    /// shares the hall: the one place a centre's row refers to another centre's.
    async fn write_window_matters<C: ConnectionTrait>(
        tx: &C,
        scope: &Scope,
        hall: &hall::Model,
        window: WindowId,
        matters: &[(CentreId, MatterId)],
    ) -> Result<()> {
        let members: Vec<Uuid> = hall_member::Entity::find()
            .filter(hall_member::Column::CentreId.eq(hall.centre_id))
            .filter(hall_member::Column::HallId.eq(hall.id))
            .select_only()
            .column(hall_member::Column::MemberId)
            .into_tuple()
            .all(tx)
            .await?;
        let mut rows = Vec::with_capacity(matters.len());
        for (i, (c, m)) in matters.iter().enumerate() {
            let found = members.contains(&c.0) && matter::Entity::find_by_id((c.0, m.0)).one(tx).await?.is_some();
            if !found {
                return Err(StoreError::Rule(DomainError::new(
                    format!("matters.{i}"),
                    ErrorCode::InvalidReference,
                    "no such matter among the centres sharing this hall",
                )));
            }
            if matters[..i].contains(&(*c, *m)) {
                return Err(StoreError::Rule(DomainError::new(
                    format!("matters.{i}"),
                    ErrorCode::Duplicate,
                    "the matter is listed twice",
                )));
            }
            rows.push(window_matter::ActiveModel {
                centre_id: Set(own(scope)),
                window_id: Set(window.0),
                matter_centre_id: Set(c.0),
                matter_id: Set(m.0),
            });
        }
        if !rows.is_empty() {
            window_matter::Entity::insert_many(rows).exec(tx).await?;
        }
        Ok(())
    }

    /// A window by its centre and id (public).
    pub async fn window(&self, centre: CentreId, id: WindowId) -> Result<Option<Window>> {
        window::Entity::find_by_id((centre.0, id.0)).one(&self.db).await?.map(to_window).transpose()
    }

    /// The windows of a hall, optionally of one zone, by number (public).
    pub async fn windows(&self, hall: &Hall, zone: Option<ZoneId>, page: &Page) -> Result<Slice<Window>> {
        let mut q = window::Entity::find()
            .filter(window::Column::CentreId.eq(hall.centre.0))
            .filter(window::Column::HallId.eq(hall.id.0));
        if let Some(z) = zone {
            q = q.filter(window::Column::ZoneId.eq(z.0));
        }
        let rows = paged(q, window::Column::Number, page).all(&self.db).await?;
        slice(rows, page, to_window)
    }

    /// The matters a window serves, as (centre, matter) pairs (public; the shared-hall path).
    pub async fn window_matters(&self, w: &Window) -> Result<Vec<(CentreId, MatterId)>> {
        let rows: Vec<(Uuid, Uuid)> = window_matter::Entity::find()
            .filter(window_matter::Column::CentreId.eq(w.centre.0))
            .filter(window_matter::Column::WindowId.eq(w.id.0))
            .select_only()
            .column(window_matter::Column::MatterCentreId)
            .column(window_matter::Column::MatterId)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|(c, m)| (CentreId(c), MatterId(m))).collect())
    }

    // ----- units (public) -----

    /// Creates a unit in the caller's centre.
    pub async fn create_unit(&self, scope: &Scope, u: &Unit) -> Result<()> {
        unit::ActiveModel {
            centre_id: Set(own(scope)),
            id: Set(u.id.0),
            code: Set(u.code.to_string()),
            name: Set(u.name.to_string()),
            kind: Set(u.kind.as_str().to_owned()),
        }
        .insert(&self.db)
        .await?;
        crate::catalogue::bump_catalogue(&self.db, own(scope)).await
    }

    /// Changes a unit of the caller's centre.
    pub async fn update_unit(
        &self,
        scope: &Scope,
        id: UnitId,
        name: Option<&Name>,
        kind: Option<UnitKind>,
    ) -> Result<Unit> {
        let current = unit::Entity::find_by_id((own(scope), id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound { what: "unit" })?;
        let mut am = current.into_active_model();
        if let Some(n) = name {
            am.name = Set(n.to_string());
        }
        if let Some(k) = kind {
            am.kind = Set(k.as_str().to_owned());
        }
        let updated = to_unit(am.update(&self.db).await?)?;
        crate::catalogue::bump_catalogue(&self.db, own(scope)).await?;
        Ok(updated)
    }

    /// A unit by its centre and id (public).
    pub async fn unit(&self, centre: CentreId, id: UnitId) -> Result<Option<Unit>> {
        unit::Entity::find_by_id((centre.0, id.0)).one(&self.db).await?.map(to_unit).transpose()
    }

    /// Units by id, of one centre (public; for batch loading).
    pub async fn units_by_ids(&self, centre: CentreId, ids: &[UnitId]) -> Result<Vec<Unit>> {
        unit::Entity::find()
            .filter(unit::Column::CentreId.eq(centre.0))
            .filter(unit::Column::Id.is_in(ids.iter().map(|u| u.0)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_unit)
            .collect()
    }

    /// The units of a centre, by code (public).
    pub async fn units(&self, centre: CentreId, page: &Page) -> Result<Slice<Unit>> {
        let q = unit::Entity::find().filter(unit::Column::CentreId.eq(centre.0));
        let rows = paged(q, unit::Column::Code, page).all(&self.db).await?;
        slice(rows, page, to_unit)
    }

    // ----- staff (private) -----

    /// Creates a member of staff in the caller's centre.
    pub async fn create_staff(&self, scope: &Scope, s: &Staff) -> Result<()> {
        if let Some(u) = s.unit {
            self.check_own_unit(scope, u).await?;
        }
        staff_row(scope, s).insert(&self.db).await?;
        Ok(())
    }

    /// Creates many members of staff in the caller's centre in one transaction with
    /// multi-row inserts (the bulk path of a deployment import). All or nothing: a unit that is
    /// not the centre's (`staff.N.unit`) or a taken code fails the whole call.
    pub async fn create_staff_many(&self, scope: &Scope, all: &[Staff]) -> Result<()> {
        let tx = self.write().await?;
        let units =
            crate::organisation::unit_ids(&tx, own(scope), all.iter().filter_map(|s| s.unit.map(|u| u.0))).await?;
        let mut rows = Vec::with_capacity(all.len());
        for (i, s) in all.iter().enumerate() {
            if s.unit.is_some_and(|u| !units.contains(&u.0)) {
                return Err(StoreError::Rule(DomainError::new(
                    format!("staff.{i}.unit"),
                    ErrorCode::InvalidReference,
                    "no such unit in this centre",
                )));
            }
            rows.push(staff_row(scope, s));
        }
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(200));
            staff::Entity::insert_many(std::mem::replace(&mut rows, rest)).exec_without_returning(&tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Checks that `unit` is a unit of the caller's centre.
    pub async fn check_own_unit(&self, scope: &Scope, u: UnitId) -> Result<()> {
        match self.unit(scope.centre, u).await? {
            Some(_) => Ok(()),
            None => Err(StoreError::Rule(DomainError::new(
                "unit",
                ErrorCode::InvalidReference,
                "no such unit in this centre",
            ))),
        }
    }

    /// Changes a member of staff of the caller's centre.
    pub async fn update_staff(
        &self,
        scope: &Scope,
        id: StaffId,
        name: Option<&Name>,
        unit: Option<Option<UnitId>>,
        roles: Option<Roles>,
        active: Option<bool>,
    ) -> Result<Staff> {
        let current = staff::Entity::find_by_id((own(scope), id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound { what: "staff" })?;
        if let Some(Some(u)) = unit {
            self.check_own_unit(scope, u).await?;
        }
        let mut am = current.into_active_model();
        if let Some(n) = name {
            am.name = Set(n.to_string());
        }
        if let Some(u) = unit {
            am.unit_id = Set(u.map(|u| u.0));
        }
        if let Some(r) = roles {
            am.roles = Set(roles_text(r));
        }
        if let Some(a) = active {
            am.active = Set(a);
        }
        to_staff(am.update(&self.db).await?)
    }

    /// A member of staff, if the caller may read their centre.
    pub async fn staff(&self, caller: &Caller, centre: CentreId, id: StaffId) -> Result<Option<Staff>> {
        if !private(caller, centre) {
            return Ok(None);
        }
        staff::Entity::find_by_id((centre.0, id.0)).one(&self.db).await?.map(to_staff).transpose()
    }

    /// The staff of a centre, by code, if the caller may read it (else an empty page).
    pub async fn staff_list(
        &self,
        caller: &Caller,
        centre: CentreId,
        unit: Option<UnitId>,
        page: &Page,
    ) -> Result<Slice<Staff>> {
        if !private(caller, centre) {
            return Ok(Slice { items: Vec::new(), has_next: false });
        }
        let mut q = staff::Entity::find().filter(staff::Column::CentreId.eq(centre.0));
        if let Some(u) = unit {
            q = q.filter(staff::Column::UnitId.eq(u.0));
        }
        let rows = paged(q, staff::Column::Code, page).all(&self.db).await?;
        slice(rows, page, to_staff)
    }
}

/// Converts an over-fetched page of rows.
pub(crate) fn slice<M, T>(rows: Vec<M>, page: &Page, f: impl Fn(M) -> Result<T>) -> Result<Slice<T>> {
    let s = Slice::from_overfetch(rows, page.limit);
    Ok(Slice { items: s.items.into_iter().map(f).collect::<Result<Vec<_>>>()?, has_next: s.has_next })
}

/// The row of a new member of staff of the caller's centre.
fn staff_row(scope: &Scope, s: &Staff) -> staff::ActiveModel {
    staff::ActiveModel {
        centre_id: Set(own(scope)),
        id: Set(s.id.0),
        unit_id: Set(s.unit.map(|u| u.0)),
        code: Set(s.code.to_string()),
        name: Set(s.name.to_string()),
        roles: Set(roles_text(s.roles)),
        active: Set(s.active),
    }
}

/// Those of `candidates` that are units of `centre`, read inside `c` (bulk writes check
/// their references against them; reading only the candidates keeps a batch of matters of one
/// owner unit from reading every unit of the centre).
pub(crate) async fn unit_ids<C: ConnectionTrait>(
    c: &C,
    centre: uuid::Uuid,
    candidates: impl IntoIterator<Item = uuid::Uuid>,
) -> Result<std::collections::HashSet<uuid::Uuid>> {
    let candidates: std::collections::BTreeSet<uuid::Uuid> = candidates.into_iter().collect();
    if candidates.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let found: Vec<uuid::Uuid> = unit::Entity::find()
        .select_only()
        .column(unit::Column::Id)
        .filter(unit::Column::CentreId.eq(centre))
        .filter(unit::Column::Id.is_in(candidates))
        .into_tuple()
        .all(c)
        .await?;
    Ok(found.into_iter().collect())
}
