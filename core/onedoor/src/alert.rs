//! Use cases of supervision alerts: raising (the platform's own work), listing for
//! supervisors of the centre and of the centres above it, acknowledging and resolving.

use crate::{Error, Onedoor, Result, new_id, require};
use chrono::Utc;
use onedoor_domain::alert::{Alert, AlertStatus, NewAlert};
use onedoor_domain::error::{DomainError, ErrorCode};
use onedoor_domain::id::AlertId;
use onedoor_domain::plugin::parse_subject;
use onedoor_domain::{Caller, CentreId, Role};
use onedoor_store::{IdPage, Slice};

impl Onedoor {
    /// Raises an alert for `centre` (the platform's own work: supervision rules, failed
    /// plugins). A subject longer than allowed is cut.
    pub async fn raise_alert(&self, centre: CentreId, new: NewAlert) -> Result<Alert> {
        let subject = match parse_subject(new.subject.as_deref()) {
            Ok(s) => s,
            Err(_) => new.subject.as_deref().map(|s| s.chars().take(onedoor_domain::plugin::MAX_SUBJECT).collect()),
        };
        let alert = Alert::raise(AlertId(new_id()), centre, Utc::now(), NewAlert { subject, ..new });
        self.store.raise_alert(&alert).await?;
        tracing::warn!(centre = %centre, kind = alert.kind.as_str(), severity = alert.severity.as_str(), message = %alert.message, "alert raised");
        Ok(alert)
    }

    /// A centre's alerts, newest first, optionally of one status: for supervisors of the
    /// centre and of the centres above it (empty for supervisors of other centres).
    pub async fn alerts(
        &self,
        caller: &Caller,
        centre: CentreId,
        status: Option<AlertStatus>,
        page: &IdPage,
    ) -> Result<Slice<Alert>> {
        require(caller, Role::Supervisor)?;
        Ok(self.store.alerts(caller, centre, status, page).await?)
    }

    /// An alert, for the supervisors who may list it.
    pub async fn alert(&self, caller: &Caller, centre: CentreId, id: AlertId) -> Result<Option<Alert>> {
        require(caller, Role::Supervisor)?;
        Ok(self.store.alert(caller, centre, id).await?)
    }

    async fn move_alert(
        &self,
        caller: &Caller,
        centre: CentreId,
        id: AlertId,
        step: impl FnOnce(&Alert) -> Result<Alert, DomainError>,
    ) -> Result<Alert> {
        let scope = require(caller, Role::Supervisor)?;
        let before = self.store.alert(caller, centre, id).await?.ok_or_else(|| Error::not_found("id", "alert"))?;
        if centre != scope.centre {
            return Err(DomainError::new(
                "id",
                ErrorCode::InvalidReference,
                "this alert is of a supervised centre: that centre's supervisors take it up",
            )
            .into());
        }
        let after = step(&before)?;
        Ok(self.store.update_alert(scope, &before, &after).await?)
    }

    /// Acknowledges a raised alert of the supervisor's own centre (`INVALID_STATE` unless
    /// raised; `CONFLICT` when someone moved it first).
    pub async fn acknowledge_alert(&self, caller: &Caller, centre: CentreId, id: AlertId, note: &str) -> Result<Alert> {
        let by = caller.scope().map(|s| s.staff);
        self.move_alert(caller, centre, id, |a| a.acknowledge(by, note, Utc::now())).await
    }

    /// Resolves an alert of the supervisor's own centre with a note saying how (required;
    /// `INVALID_STATE` when already resolved).
    pub async fn resolve_alert(&self, caller: &Caller, centre: CentreId, id: AlertId, note: &str) -> Result<Alert> {
        let by = caller.scope().map(|s| s.staff);
        self.move_alert(caller, centre, id, |a| a.resolve(by, note, Utc::now())).await
    }
}
