//! Use cases of the organisation: centres, halls, zones, windows, units, staff.

use crate::{Error, Onedoor, Result, new_id, require};
use onedoor_domain::error::{DomainError, ErrorCode, Violations};
use onedoor_domain::organisation::{
    Centre, CentreDraft, Hall, Level, Staff, Unit, UnitKind, Window, Zone, parse_address, parse_code_and_name,
};
use onedoor_domain::values::Name;
use onedoor_domain::{Caller, CentreId, HallId, MatterId, Role, Roles, Scope, StaffId, UnitId, WindowId, ZoneId};
use onedoor_store::{Page, Slice};

/// Changes to a window; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct WindowPatch {
    /// New name.
    pub name: Option<String>,
    /// New zone (of the same hall).
    pub zone: Option<ZoneId>,
    /// The whole new list of matters served.
    pub matters: Option<Vec<(CentreId, MatterId)>>,
}

/// Changes to a member of staff; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct StaffPatch {
    /// New name.
    pub name: Option<String>,
    /// New unit (`Some(None)`: no unit).
    pub unit: Option<Option<UnitId>>,
    /// New roles.
    pub roles: Option<Roles>,
    /// Active or not.
    pub active: Option<bool>,
}

fn name_opt(v: &mut Violations, field: &str, s: Option<&str>) -> Option<Option<Name>> {
    match s {
        None => Some(None),
        Some(s) => v.take(field, Name::parse(s)).map(Some),
    }
}

impl Onedoor {
    /// Creates a centre. With no caller (import, operator) only a root centre; otherwise an
    /// admin creates a child of their own centre.
    pub async fn create_centre(
        &self,
        caller: Option<&Caller>,
        code: &str,
        name: &str,
        level: Level,
        region: Option<&str>,
    ) -> Result<Centre> {
        let scope = match caller {
            Some(c) => Some(require(c, Role::Admin)?),
            None => None,
        };
        let parent = match scope {
            Some(s) => {
                let p = self.store.centre(s.centre).await?.ok_or_else(|| Error::not_found("parent", "centre"))?;
                Some((p.id, p.level, p.region))
            }
            None => None,
        };
        let centre =
            CentreDraft { code: code.into(), name: name.into(), level, parent, region: region.map(Into::into) }
                .parse(onedoor_domain::CentreId(new_id()))?;
        self.store.create_centre(scope, &centre).await.map_err(|e| Error::from_store(e, "code"))?;
        self.forget_directory();
        Ok(centre)
    }

    /// Every centre (public).
    pub async fn centres(&self) -> Result<Vec<Centre>> {
        Ok(self.store.centres().await?)
    }

    /// A centre by id (public).
    pub async fn centre(&self, id: CentreId) -> Result<Option<Centre>> {
        Ok(self.store.centre(id).await?)
    }

    /// A centre by code (public).
    pub async fn centre_by_code(&self, code: &str) -> Result<Option<Centre>> {
        Ok(self.store.centre_by_code(code).await?)
    }

    /// Creates a hall run by the admin's centre.
    pub async fn create_hall(&self, caller: &Caller, code: &str, name: &str, address: &str) -> Result<Hall> {
        let scope = require(caller, Role::Admin)?;
        let (code, name) = parse_code_and_name(code, name)?;
        let address = parse_address(address)?;
        let hall = Hall { id: HallId(new_id()), centre: scope.centre, code, name, address };
        self.store.create_hall(scope, &hall).await.map_err(|e| Error::from_store(e, "code"))?;
        Ok(hall)
    }

    /// Lets another centre share a hall run by the admin's centre.
    pub async fn add_hall_member(&self, caller: &Caller, hall: HallId, member: CentreId) -> Result<Hall> {
        let scope = require(caller, Role::Admin)?;
        let h = self.store.hall(scope.centre, hall).await?.ok_or_else(|| Error::not_found("hall", "hall"))?;
        self.store.add_hall_member(scope, hall, member).await.map_err(|e| match e {
            onedoor_store::StoreError::Duplicate { .. } => Error::Invalid(vec![DomainError::new(
                "centre",
                ErrorCode::Duplicate,
                "the centre already shares this hall",
            )]),
            e => Error::from_store(e, "centre"),
        })?;
        Ok(h)
    }

    /// A hall (public).
    pub async fn hall(&self, centre: CentreId, id: HallId) -> Result<Option<Hall>> {
        Ok(self.store.hall(centre, id).await?)
    }

    /// The halls a centre runs or shares (public).
    pub async fn halls_of(&self, centre: CentreId) -> Result<Vec<Hall>> {
        Ok(self.store.halls_of(centre).await?)
    }

    /// The centres sharing a hall (public).
    pub async fn hall_members(&self, hall: &Hall) -> Result<Vec<CentreId>> {
        Ok(self.store.hall_members(hall).await?)
    }

    /// Creates a zone in a hall of the admin's centre.
    pub async fn create_zone(&self, caller: &Caller, hall: HallId, code: &str, name: &str) -> Result<Zone> {
        let scope = require(caller, Role::Admin)?;
        let (code, name) = parse_code_and_name(code, name)?;
        let zone = Zone { id: ZoneId(new_id()), centre: scope.centre, hall, code, name };
        self.store.create_zone(scope, &zone).await.map_err(|e| Error::from_store_on(e, "hall", "code"))?;
        Ok(zone)
    }

    /// A zone (public).
    pub async fn zone(&self, centre: CentreId, id: ZoneId) -> Result<Option<Zone>> {
        Ok(self.store.zone(centre, id).await?)
    }

    /// The zones of a hall (public).
    pub async fn zones(&self, hall: &Hall) -> Result<Vec<Zone>> {
        Ok(self.store.zones(hall).await?)
    }

    /// Creates a window in a hall of the admin's centre, serving matters of the centres that
    /// share the hall.
    pub async fn create_window(
        &self,
        caller: &Caller,
        hall: HallId,
        zone: ZoneId,
        number: &str,
        name: &str,
        matters: &[(CentreId, MatterId)],
    ) -> Result<Window> {
        let scope = require(caller, Role::Admin)?;
        let (number, name) = parse_code_and_name(number, name).map_err(|es| {
            Error::Invalid(
                es.into_iter()
                    .map(|mut e| {
                        if e.field == "code" {
                            e.field = "number".into();
                        }
                        e
                    })
                    .collect(),
            )
        })?;
        let window = Window { id: WindowId(new_id()), centre: scope.centre, hall, zone, number, name };
        self.store
            .create_window(scope, &window, matters)
            .await
            .map_err(|e| Error::from_store_on(e, "hall", "number"))?;
        Ok(window)
    }

    /// Changes a window of the admin's centre.
    pub async fn update_window(&self, caller: &Caller, id: WindowId, patch: WindowPatch) -> Result<Window> {
        let scope = require(caller, Role::Admin)?;
        let mut v = Violations::new();
        let name = name_opt(&mut v, "name", patch.name.as_deref());
        let name = v.finish(|| name)?;
        Ok(self.store.update_window(scope, id, name.as_ref(), patch.zone, patch.matters.as_deref()).await?)
    }

    /// A window (public).
    pub async fn window(&self, centre: CentreId, id: WindowId) -> Result<Option<Window>> {
        Ok(self.store.window(centre, id).await?)
    }

    /// The windows of a hall (public).
    pub async fn windows(&self, hall: &Hall, zone: Option<ZoneId>, page: &Page) -> Result<Slice<Window>> {
        Ok(self.store.windows(hall, zone, page).await?)
    }

    /// The matters a window serves, as (centre, matter) pairs (public).
    pub async fn window_matters(&self, w: &Window) -> Result<Vec<(CentreId, MatterId)>> {
        Ok(self.store.window_matters(w).await?)
    }

    /// Creates a unit in the admin's centre.
    pub async fn create_unit(&self, caller: &Caller, code: &str, name: &str, kind: UnitKind) -> Result<Unit> {
        let scope = require(caller, Role::Admin)?;
        let (code, name) = parse_code_and_name(code, name)?;
        let unit = Unit { id: UnitId(new_id()), centre: scope.centre, code, name, kind };
        self.store.create_unit(scope, &unit).await.map_err(|e| Error::from_store(e, "code"))?;
        Ok(unit)
    }

    /// Changes a unit of the admin's centre.
    pub async fn update_unit(
        &self,
        caller: &Caller,
        id: UnitId,
        name: Option<&str>,
        kind: Option<UnitKind>,
    ) -> Result<Unit> {
        let scope = require(caller, Role::Admin)?;
        let mut v = Violations::new();
        let name = name_opt(&mut v, "name", name);
        let name = v.finish(|| name)?;
        Ok(self.store.update_unit(scope, id, name.as_ref(), kind).await?)
    }

    /// A unit (public).
    pub async fn unit(&self, centre: CentreId, id: UnitId) -> Result<Option<Unit>> {
        Ok(self.store.unit(centre, id).await?)
    }

    /// Units of one centre by id (public; batch loading).
    pub async fn units_by_ids(&self, centre: CentreId, ids: &[UnitId]) -> Result<Vec<Unit>> {
        if let Some(found) = self.cached_units(centre, ids).await? {
            return Ok(found);
        }
        Ok(self.store.units_by_ids(centre, ids).await?)
    }

    /// A centre's units (public).
    pub async fn units(&self, centre: CentreId, page: &Page) -> Result<Slice<Unit>> {
        Ok(self.store.units(centre, page).await?)
    }

    /// Creates a member of staff in the admin's centre.
    pub async fn create_staff(
        &self,
        caller: &Caller,
        code: &str,
        name: &str,
        unit: Option<UnitId>,
        roles: Roles,
    ) -> Result<Staff> {
        self.create_staff_with_id(caller, StaffId(new_id()), code, name, unit, roles).await
    }

    /// Creates a member of staff with a chosen id (imports use stable ids).
    pub async fn create_staff_with_id(
        &self,
        caller: &Caller,
        id: StaffId,
        code: &str,
        name: &str,
        unit: Option<UnitId>,
        roles: Roles,
    ) -> Result<Staff> {
        let scope = require(caller, Role::Admin)?;
        let staff = new_staff(scope, id, code, name, unit, roles)?;
        self.store.create_staff(scope, &staff).await.map_err(|e| Error::from_store(e, "code"))?;
        Ok(staff)
    }

    /// Creates many members of staff of the admin's centre at once, in one transaction (all or
    /// nothing): the bulk path of a deployment import. Each is checked as by
    /// [`Onedoor::create_staff_with_id`]; problems are reported under `staff.N`.
    pub async fn create_staff_many(
        &self,
        caller: &Caller,
        all: Vec<(StaffId, String, String, Option<UnitId>, Roles)>,
    ) -> Result<Vec<Staff>> {
        let scope = require(caller, Role::Admin)?;
        let mut problems = Vec::new();
        let mut made = Vec::with_capacity(all.len());
        for (i, (id, code, name, unit, roles)) in all.into_iter().enumerate() {
            match new_staff(scope, id, &code, &name, unit, roles) {
                Ok(s) => made.push(s),
                Err(Error::Invalid(es)) => problems.extend(es.into_iter().map(|e| e.under(&format!("staff.{i}")))),
                Err(e) => return Err(e),
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        self.store.create_staff_many(scope, &made).await.map_err(|e| Error::from_store(e, "code"))?;
        Ok(made)
    }

    /// Changes a member of staff of the admin's centre.
    pub async fn update_staff(&self, caller: &Caller, id: StaffId, patch: StaffPatch) -> Result<Staff> {
        let scope = require(caller, Role::Admin)?;
        let mut v = Violations::new();
        let name = name_opt(&mut v, "name", patch.name.as_deref());
        if patch.roles.is_some_and(Roles::is_empty) {
            v.push(DomainError::new("roles", ErrorCode::TooFew, "a member of staff holds at least one role"));
        }
        let name = v.finish(|| name)?;
        Ok(self.store.update_staff(scope, id, name.as_ref(), patch.unit, patch.roles, patch.active).await?)
    }

    /// A member of staff, if the caller may read their centre.
    pub async fn staff(&self, caller: &Caller, centre: CentreId, id: StaffId) -> Result<Option<Staff>> {
        Ok(self.store.staff(caller, centre, id).await?)
    }

    /// A centre's staff, if the caller may read the centre (else empty).
    pub async fn staff_list(
        &self,
        caller: &Caller,
        centre: CentreId,
        unit: Option<UnitId>,
        page: &Page,
    ) -> Result<Slice<Staff>> {
        Ok(self.store.staff_list(caller, centre, unit, page).await?)
    }
}

/// A new, active member of staff of the scope's centre, checked.
fn new_staff(scope: &Scope, id: StaffId, code: &str, name: &str, unit: Option<UnitId>, roles: Roles) -> Result<Staff> {
    let (code, name) = parse_code_and_name(code, name)?;
    if roles.is_empty() {
        return Err(DomainError::new("roles", ErrorCode::TooFew, "a member of staff holds at least one role").into());
    }
    Ok(Staff { id, centre: scope.centre, unit, code, name, roles, active: true })
}
