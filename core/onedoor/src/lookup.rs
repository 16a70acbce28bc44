//! Lookups by code: halls, zones, windows, units, staff, matters and bundles as people (and
//! import files) name them.

use crate::{Onedoor, Result};
use onedoor_domain::catalogue::{Bundle, Matter};
use onedoor_domain::organisation::{Hall, Staff, Unit, Window, Zone};
use onedoor_domain::{Caller, CentreId};

impl Onedoor {
    /// A hall run by `centre`, by code (public).
    pub async fn hall_by_code(&self, centre: CentreId, code: &str) -> Result<Option<Hall>> {
        Ok(self.store.hall_by_code(centre, code).await?)
    }

    /// A zone of a hall, by code (public).
    pub async fn zone_by_code(&self, hall: &Hall, code: &str) -> Result<Option<Zone>> {
        Ok(self.store.zone_by_code(hall, code).await?)
    }

    /// A window of a hall, by the number shown above it (public).
    pub async fn window_by_number(&self, hall: &Hall, number: &str) -> Result<Option<Window>> {
        Ok(self.store.window_by_number(hall, number).await?)
    }

    /// A unit of a centre, by code (public).
    pub async fn unit_by_code(&self, centre: CentreId, code: &str) -> Result<Option<Unit>> {
        Ok(self.store.unit_by_code(centre, code).await?)
    }

    /// A member of staff by staff number, if the caller may read the centre.
    pub async fn staff_by_code(&self, caller: &Caller, centre: CentreId, code: &str) -> Result<Option<Staff>> {
        Ok(self.store.staff_by_code(caller, centre, code).await?)
    }

    /// A matter by catalogue code, with the visibility of [`Onedoor::matter`].
    pub async fn matter_by_code(&self, caller: &Caller, centre: CentreId, code: &str) -> Result<Option<Matter>> {
        Ok(self.store.matter_by_code(caller, centre, code).await?)
    }

    /// A bundle by code, with the visibility of [`Onedoor::bundle`].
    pub async fn bundle_by_code(&self, caller: &Caller, centre: CentreId, code: &str) -> Result<Option<Bundle>> {
        Ok(self.store.bundle_by_code(caller, centre, code).await?)
    }
}
