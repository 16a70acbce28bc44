//! Use cases of supervision alerts: raising (the platform's own work), listing for
//! supervisors of the centre and of the centres above it and for the unit concerned,
//! acknowledging and resolving, and the live stream.

use crate::{Error, Onedoor, Result, new_id, require};
use onedoor_domain::alert::{Alert, NewAlert};
use onedoor_domain::error::{DomainError, ErrorCode};
use onedoor_domain::id::AlertId;
use onedoor_domain::plugin::parse_subject;
use onedoor_domain::{Caller, CentreId, Role, Scope, UnitId};
use onedoor_store::{AlertFilter, IdPage, Slice};

impl Onedoor {
    /// Raises an alert for `centre` (the platform's own work: supervision rules, failed
    /// plugins) and sends it to live subscribers. A subject longer than allowed is cut. With a
    /// key the centre holds already, nothing is raised: `None`.
    pub async fn raise_alert(&self, centre: CentreId, new: NewAlert) -> Result<Option<Alert>> {
        Ok(self.raise_alerts(centre, vec![new]).await?.pop())
    }

    /// Raises alerts for `centre` in one transaction, as [`Onedoor::raise_alert`] does each:
    /// the alerts raised, in order (those whose key the centre holds already are left out).
    pub async fn raise_alerts(&self, centre: CentreId, new: Vec<NewAlert>) -> Result<Vec<Alert>> {
        let now = self.now();
        let alerts: Vec<Alert> = new
            .into_iter()
            .map(|n| {
                let subject = match parse_subject(n.subject.as_deref()) {
                    Ok(s) => s,
                    Err(_) => {
                        n.subject.as_deref().map(|s| s.chars().take(onedoor_domain::plugin::MAX_SUBJECT).collect())
                    }
                };
                Alert::raise(AlertId(new_id()), centre, now, NewAlert { subject, ..n })
            })
            .collect();
        let stored = self.store.raise_alerts(&alerts).await?;
        let raised: Vec<Alert> = alerts.into_iter().zip(stored).filter_map(|(a, s)| s.then_some(a)).collect();
        for alert in &raised {
            tracing::warn!(centre = %centre, kind = alert.kind.as_str(), severity = alert.severity.as_str(), message = %alert.message, "alert raised");
            let _ = self.alert_updates.send(alert.clone());
        }
        Ok(raised)
    }

    /// Live alerts (raised, acknowledged, resolved) of every centre; [`Onedoor::may_see_alert`]
    /// says which a subscriber may see.
    pub fn subscribe_alerts(&self) -> tokio::sync::broadcast::Receiver<Alert> {
        self.alert_updates.subscribe()
    }

    /// Whether `caller` (of `unit`) may see `alert`: supervisors of its centre and of the
    /// centres above it, and staff of the unit concerned.
    pub fn may_see_alert(caller: &Caller, unit: Option<UnitId>, alert: &Alert) -> bool {
        caller.scope().is_some_and(|s| {
            (s.has(Role::Supervisor) && s.can_read(alert.centre))
                || (s.centre == alert.centre && alert.unit.is_some() && alert.unit == unit)
        })
    }

    /// The unit of the caller (for the alerts of their unit).
    pub async fn caller_unit(&self, caller: &Caller) -> Result<Option<UnitId>> {
        match caller.scope() {
            Some(scope) => self.staff_unit(caller, scope).await,
            None => Ok(None),
        }
    }

    /// A centre's alerts, newest first, filtered: supervisors of the centre and of the centres
    /// above it see all; other staff of the centre see their own unit's.
    pub async fn alerts(
        &self,
        caller: &Caller,
        centre: CentreId,
        mut filter: AlertFilter,
        page: &IdPage,
    ) -> Result<Slice<Alert>> {
        let scope = caller.scope().ok_or(Error::Unauthenticated)?;
        if !scope.has(Role::Supervisor) {
            if scope.centre != centre {
                return Err(Error::Forbidden(Role::Supervisor));
            }
            let unit = self.staff_unit(caller, scope).await?.ok_or(Error::Forbidden(Role::Supervisor))?;
            filter.unit = Some(unit);
        }
        Ok(self.store.alerts(caller, centre, filter, page).await?)
    }

    /// An alert, for those who may list it.
    pub async fn alert(&self, caller: &Caller, centre: CentreId, id: AlertId) -> Result<Option<Alert>> {
        let unit = self.caller_unit(caller).await?;
        Ok(self.store.alert(caller, centre, id).await?.filter(|a| Onedoor::may_see_alert(caller, unit, a)))
    }

    async fn move_alert(
        &self,
        caller: &Caller,
        centre: CentreId,
        id: AlertId,
        step: impl FnOnce(&Alert) -> Result<Alert, DomainError>,
    ) -> Result<Alert> {
        let scope: &Scope = require(caller, Role::Supervisor)?;
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
        let after = self.store.update_alert(scope, &before, &after).await?;
        let _ = self.alert_updates.send(after.clone());
        Ok(after)
    }

    /// Acknowledges a raised alert of the supervisor's own centre (`INVALID_STATE` unless
    /// raised).
    pub async fn acknowledge_alert(&self, caller: &Caller, centre: CentreId, id: AlertId, note: &str) -> Result<Alert> {
        let (by, now) = (caller.scope().map(|s| s.staff), self.now());
        self.move_alert(caller, centre, id, |a| a.acknowledge(by, note, now)).await
    }

    /// Resolves an alert of the supervisor's own centre with a note saying how (required;
    /// `INVALID_STATE` when resolved already).
    pub async fn resolve_alert(&self, caller: &Caller, centre: CentreId, id: AlertId, note: &str) -> Result<Alert> {
        let (by, now) = (caller.scope().map(|s| s.staff), self.now());
        self.move_alert(caller, centre, id, |a| a.resolve(by, note, now)).await
    }
}
