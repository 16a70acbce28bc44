//! Lookups by code: what people, import files and URLs name things by. Each query filters by
//! the owning centre (and hall), finds the row's id on the unique code index, and returns the
//! record through the id lookup of the same visibility.

use crate::entity::{bundle, hall, matter, staff, unit, window, zone};
use crate::{Result, Store};
use onedoor_domain::catalogue::{Bundle, Matter};
use onedoor_domain::organisation::{Hall, Staff, Unit, Window, Zone};
use onedoor_domain::{BundleId, Caller, CentreId, HallId, MatterId, StaffId, UnitId, WindowId, ZoneId};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

/// The id of the one row `q` finds, if any.
async fn one_id<E: EntityTrait>(store: &Store, q: sea_orm::Select<E>, id: E::Column) -> Result<Option<Uuid>> {
    Ok(q.select_only().column(id).into_tuple().one(&store.db).await?)
}

impl Store {
    /// A hall run by `centre`, by code (public).
    pub async fn hall_by_code(&self, centre: CentreId, code: &str) -> Result<Option<Hall>> {
        let q = hall::Entity::find().filter(hall::Column::CentreId.eq(centre.0)).filter(hall::Column::Code.eq(code));
        match one_id(self, q, hall::Column::Id).await? {
            Some(id) => self.hall(centre, HallId(id)).await,
            None => Ok(None),
        }
    }

    /// A zone of a hall, by code (public).
    pub async fn zone_by_code(&self, h: &Hall, code: &str) -> Result<Option<Zone>> {
        let q = zone::Entity::find()
            .filter(zone::Column::CentreId.eq(h.centre.0))
            .filter(zone::Column::HallId.eq(h.id.0))
            .filter(zone::Column::Code.eq(code));
        match one_id(self, q, zone::Column::Id).await? {
            Some(id) => self.zone(h.centre, ZoneId(id)).await,
            None => Ok(None),
        }
    }

    /// A window of a hall, by number (public).
    pub async fn window_by_number(&self, h: &Hall, number: &str) -> Result<Option<Window>> {
        let q = window::Entity::find()
            .filter(window::Column::CentreId.eq(h.centre.0))
            .filter(window::Column::HallId.eq(h.id.0))
            .filter(window::Column::Number.eq(number));
        match one_id(self, q, window::Column::Id).await? {
            Some(id) => self.window(h.centre, WindowId(id)).await,
            None => Ok(None),
        }
    }

    /// A unit of a centre, by code (public).
    pub async fn unit_by_code(&self, centre: CentreId, code: &str) -> Result<Option<Unit>> {
        let q = unit::Entity::find().filter(unit::Column::CentreId.eq(centre.0)).filter(unit::Column::Code.eq(code));
        match one_id(self, q, unit::Column::Id).await? {
            Some(id) => self.unit(centre, UnitId(id)).await,
            None => Ok(None),
        }
    }

    /// A member of staff of a centre, by staff number, if the caller may read the centre.
    pub async fn staff_by_code(&self, caller: &Caller, centre: CentreId, code: &str) -> Result<Option<Staff>> {
        if !caller.can_read(centre) {
            return Ok(None);
        }
        let q = staff::Entity::find().filter(staff::Column::CentreId.eq(centre.0)).filter(staff::Column::Code.eq(code));
        match one_id(self, q, staff::Column::Id).await? {
            Some(id) => self.staff(caller, centre, StaffId(id)).await,
            None => Ok(None),
        }
    }

    /// A matter of a centre, by catalogue code (compared upper-case), with the visibility of
    /// [`Store::matter`]: any status for callers who may read the centre, else only active.
    pub async fn matter_by_code(&self, caller: &Caller, centre: CentreId, code: &str) -> Result<Option<Matter>> {
        let code = code.trim().to_ascii_uppercase();
        let q =
            matter::Entity::find().filter(matter::Column::CentreId.eq(centre.0)).filter(matter::Column::Code.eq(code));
        match one_id(self, q, matter::Column::Id).await? {
            Some(id) => self.matter(caller, centre, MatterId(id)).await,
            None => Ok(None),
        }
    }

    /// A bundle of a centre, by code, with the visibility of [`Store::bundle`].
    pub async fn bundle_by_code(&self, caller: &Caller, centre: CentreId, code: &str) -> Result<Option<Bundle>> {
        let q =
            bundle::Entity::find().filter(bundle::Column::CentreId.eq(centre.0)).filter(bundle::Column::Code.eq(code));
        match one_id(self, q, bundle::Column::Id).await? {
            Some(id) => self.bundle(caller, centre, BundleId(id)).await,
            None => Ok(None),
        }
    }
}
