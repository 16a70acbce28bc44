//! Repositories of the plugin registry (plugins, the activation history, per-centre
//! settings) and recorded rule decisions.
//!
//! A centre's registry state is one `plugin_centre` row whose generation every change bumps
//! inside the change's transaction: a replica's cache compares generations to know whether
//! its copy of the active plugin is still current.

use crate::entity::{decision, plugin, plugin_activation, plugin_centre};
use crate::{Result, Slice, Store, StoreError, corrupt, own, private};
use chrono::{DateTime, Utc};
use onedoor_domain::error::{DomainError, ErrorCode};
use onedoor_domain::id::{DecisionId, PluginId};
use onedoor_domain::plugin::{Activation, ActivationChange, Decision, Plugin, PluginSettings, roll_back_target};
use onedoor_domain::values::Code;
use onedoor_domain::{Caller, CentreId, Scope, StaffId};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

/// A centre's registry state: what the platform's cache of active plugins holds. A centre
/// that never touched its registry has the default: no plugin, generation 0, default fuel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PluginState {
    /// The active plugin (none: the built-in rules).
    pub active: Option<PluginId>,
    /// Bumped by every activation change and settings change.
    pub generation: u64,
    /// The centre's settings.
    pub settings: PluginSettings,
}

/// Which decisions to list; all given criteria must hold.
#[derive(Debug, Clone, Default)]
pub struct DecisionFilter {
    /// Decided by the plugin with this SHA-256.
    pub sha256: Option<String>,
    /// Concerning this subject.
    pub subject: Option<String>,
}

/// A page of a newest-first list keyed by time-ordered ids.
#[derive(Debug, Clone, Default)]
pub struct IdPage {
    /// Items strictly older than this id (the previous page's last).
    pub before: Option<Uuid>,
    /// Most items to return.
    pub limit: u64,
}

fn to_plugin(m: plugin::Model) -> Result<Plugin> {
    Ok(Plugin {
        id: PluginId(m.id),
        centre: CentreId(m.centre_id),
        name: Code::parse(&m.name).map_err(|e| corrupt("plugin name", e))?,
        sha256: m.sha256,
        contract: m.contract,
        size: u64::try_from(m.size).map_err(|e| corrupt("plugin size", e))?,
        hooks: m.hooks.split(',').filter(|h| !h.is_empty()).map(str::to_owned).collect(),
        uploaded_by: m.uploaded_by.map(StaffId),
        uploaded_at: m.uploaded_at,
    })
}

fn to_activation(m: plugin_activation::Model) -> Result<Activation> {
    Ok(Activation {
        centre: CentreId(m.centre_id),
        seq: u32::try_from(m.seq).map_err(|e| corrupt("activation seq", e))?,
        plugin: m.plugin_id.map(PluginId),
        change: ActivationChange::parse(&m.change).ok_or_else(|| corrupt("activation change", &m.change))?,
        by: m.actor_id.map(StaffId),
        at: m.at,
    })
}

fn to_state(m: plugin_centre::Model) -> Result<PluginState> {
    Ok(PluginState {
        active: m.active_plugin_id.map(PluginId),
        generation: u64::try_from(m.generation).map_err(|e| corrupt("plugin generation", e))?,
        settings: PluginSettings { fuel: u64::try_from(m.fuel).map_err(|e| corrupt("plugin fuel", e))? },
    })
}

fn to_decision(m: decision::Model) -> Decision {
    Decision {
        id: DecisionId(m.id),
        centre: CentreId(m.centre_id),
        hook: m.hook,
        sha256: m.sha256,
        contract: m.contract,
        subject: m.subject,
        error: m.error,
        record: m.record,
        at: m.at,
    }
}

fn invalid_state(field: &str, message: &str) -> StoreError {
    StoreError::Rule(DomainError::new(field, ErrorCode::InvalidState, message))
}

fn to_i64(n: u64, what: &str) -> Result<i64> {
    i64::try_from(n).map_err(|e| corrupt(what, e))
}

async fn state_in<C: ConnectionTrait>(c: &C, centre: Uuid) -> Result<(Option<plugin_centre::Model>, PluginState)> {
    match plugin_centre::Entity::find_by_id(centre).one(c).await? {
        Some(row) => Ok((Some(row.clone()), to_state(row)?)),
        None => Ok((None, PluginState::default())),
    }
}

/// Writes a centre's new registry state with the generation bumped, checking that nobody
/// changed it since it was read (`CONFLICT` otherwise).
async fn save_state<C: ConnectionTrait>(
    c: &C,
    centre: Uuid,
    read: Option<plugin_centre::Model>,
    next: PluginState,
) -> Result<()> {
    let generation = to_i64(next.generation, "plugin generation")?;
    let fuel = to_i64(next.settings.fuel, "plugin fuel")?;
    match read {
        None => {
            plugin_centre::ActiveModel {
                centre_id: Set(centre),
                active_plugin_id: Set(next.active.map(|p| p.0)),
                generation: Set(generation),
                fuel: Set(fuel),
            }
            .insert(c)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Duplicate { .. } => StoreError::Conflict { what: "plugin registry" },
                e => e,
            })?;
        }
        Some(row) => {
            let done = plugin_centre::Entity::update_many()
                .filter(plugin_centre::Column::CentreId.eq(centre))
                .filter(plugin_centre::Column::Generation.eq(row.generation))
                .col_expr(plugin_centre::Column::ActivePluginId, next.active.map(|p| p.0).into())
                .col_expr(plugin_centre::Column::Generation, generation.into())
                .col_expr(plugin_centre::Column::Fuel, fuel.into())
                .exec(c)
                .await?;
            if done.rows_affected != 1 {
                return Err(StoreError::Conflict { what: "plugin registry" });
            }
        }
    }
    Ok(())
}

impl Store {
    // ----- plugins -----

    /// Adds a checked plugin and its component to the caller's centre's registry. The same
    /// component twice is `DUPLICATE` (`component`).
    pub async fn add_plugin(&self, scope: &Scope, p: &Plugin, component: &[u8]) -> Result<()> {
        let tx = self.write().await?;
        let taken = plugin::Entity::find()
            .filter(plugin::Column::CentreId.eq(own(scope)))
            .filter(plugin::Column::Sha256.eq(p.sha256.as_str()))
            .one(&tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Duplicate { what: "component".into() });
        }
        plugin::ActiveModel {
            centre_id: Set(own(scope)),
            id: Set(p.id.0),
            name: Set(p.name.to_string()),
            sha256: Set(p.sha256.clone()),
            contract: Set(p.contract.clone()),
            size: Set(to_i64(p.size, "plugin size")?),
            hooks: Set(p.hooks.join(",")),
            uploaded_by: Set(p.uploaded_by.map(|s| s.0)),
            uploaded_at: Set(p.uploaded_at),
            component: Set(component.to_vec()),
        }
        .insert(&tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A centre's plugins, oldest first (for callers who may read the centre; else empty).
    pub async fn plugins(&self, caller: &Caller, centre: CentreId) -> Result<Vec<Plugin>> {
        if !private(caller, centre) {
            return Ok(Vec::new());
        }
        type Row = (Uuid, Uuid, String, String, String, i64, String, Option<Uuid>, DateTime<Utc>);
        // The list never needs the components.
        let rows: Vec<Row> = plugin::Entity::find()
            .filter(plugin::Column::CentreId.eq(centre.0))
            .select_only()
            .columns([
                plugin::Column::CentreId,
                plugin::Column::Id,
                plugin::Column::Name,
                plugin::Column::Sha256,
                plugin::Column::Contract,
                plugin::Column::Size,
                plugin::Column::Hooks,
                plugin::Column::UploadedBy,
                plugin::Column::UploadedAt,
            ])
            .order_by_asc(plugin::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|(centre_id, id, name, sha256, contract, size, hooks, uploaded_by, uploaded_at)| {
                to_plugin(plugin::Model {
                    centre_id,
                    id,
                    name,
                    sha256,
                    contract,
                    size,
                    hooks,
                    uploaded_by,
                    uploaded_at,
                    component: Vec::new(),
                })
            })
            .collect()
    }

    /// One plugin of a centre, if the caller may read the centre.
    pub async fn plugin(&self, caller: &Caller, centre: CentreId, id: PluginId) -> Result<Option<Plugin>> {
        if !private(caller, centre) {
            return Ok(None);
        }
        plugin::Entity::find_by_id((centre.0, id.0)).one(&self.db).await?.map(to_plugin).transpose()
    }

    /// A plugin of a centre and its component, for the platform's own loading (the rules of a
    /// centre are needed whoever's case is decided).
    pub async fn plugin_with_component(&self, centre: CentreId, id: PluginId) -> Result<Option<(Plugin, Vec<u8>)>> {
        let Some(mut row) = plugin::Entity::find_by_id((centre.0, id.0)).one(&self.db).await? else {
            return Ok(None);
        };
        let component = std::mem::take(&mut row.component);
        Ok(Some((to_plugin(row)?, component)))
    }

    /// A centre's registry state (the platform's own read, for its cache).
    pub async fn plugin_state(&self, centre: CentreId) -> Result<PluginState> {
        Ok(state_in(&self.db, centre.0).await?.1)
    }

    /// A centre's registry generation alone: the cache's cheap check.
    pub async fn plugin_generation(&self, centre: CentreId) -> Result<u64> {
        let g: Option<i64> = plugin_centre::Entity::find_by_id(centre.0)
            .select_only()
            .column(plugin_centre::Column::Generation)
            .into_tuple()
            .one(&self.db)
            .await?;
        u64::try_from(g.unwrap_or(0)).map_err(|e| corrupt("plugin generation", e))
    }

    /// A centre's registry state and activation history, oldest first, for callers who may
    /// read the centre (else none).
    pub async fn plugin_history(
        &self,
        caller: &Caller,
        centre: CentreId,
    ) -> Result<Option<(PluginState, Vec<Activation>)>> {
        if !private(caller, centre) {
            return Ok(None);
        }
        let state = self.plugin_state(centre).await?;
        let rows = plugin_activation::Entity::find()
            .filter(plugin_activation::Column::CentreId.eq(centre.0))
            .order_by_asc(plugin_activation::Column::Seq)
            .all(&self.db)
            .await?;
        Ok(Some((state, rows.into_iter().map(to_activation).collect::<Result<_>>()?)))
    }

    /// Changes the caller's centre's active plugin in one transaction: activates `target`
    /// (a plugin of the centre, `NOT_FOUND` otherwise; `INVALID_STATE` if already active),
    /// rolls back to the plugin active before (`INVALID_STATE` when there is none), or
    /// deactivates (`INVALID_STATE` when none is active). With `expected_active`, fails with
    /// `CONFLICT` unless that plugin is the active one. Returns the history entry written.
    pub async fn change_activation(
        &self,
        scope: &Scope,
        change: ActivationChange,
        target: Option<PluginId>,
        expected_active: Option<PluginId>,
        at: DateTime<Utc>,
    ) -> Result<Activation> {
        let tx = self.write().await?;
        let centre = own(scope);
        let (read, state) = state_in(&tx, centre).await?;
        if expected_active.is_some_and(|e| state.active != Some(e)) {
            return Err(StoreError::Conflict { what: "the active plugin" });
        }
        let history: Vec<Activation> = plugin_activation::Entity::find()
            .filter(plugin_activation::Column::CentreId.eq(centre))
            .order_by_asc(plugin_activation::Column::Seq)
            .all(&tx)
            .await?
            .into_iter()
            .map(to_activation)
            .collect::<Result<_>>()?;
        let next = match change {
            ActivationChange::Activate => {
                let Some(target) = target else {
                    return Err(StoreError::NotFound { what: "plugin" });
                };
                let found: Option<Uuid> = plugin::Entity::find_by_id((centre, target.0))
                    .select_only()
                    .column(plugin::Column::Id)
                    .into_tuple()
                    .one(&tx)
                    .await?;
                if found.is_none() {
                    return Err(StoreError::NotFound { what: "plugin" });
                }
                if state.active == Some(target) {
                    return Err(invalid_state("id", "this plugin is already active"));
                }
                Some(target)
            }
            ActivationChange::RollBack => Some(
                roll_back_target(&history)
                    .filter(|_| history.last().is_some())
                    .ok_or_else(|| invalid_state("", "no plugin was active before the current one"))?,
            ),
            ActivationChange::Deactivate => {
                if state.active.is_none() {
                    return Err(invalid_state("", "no plugin is active: the built-in rules already apply"));
                }
                None
            }
        };
        let seq = history.last().map_or(1, |a| a.seq + 1);
        let activation = Activation {
            centre: scope.centre,
            seq,
            plugin: next,
            change,
            by: (!scope.staff.is_system()).then_some(scope.staff),
            at,
        };
        plugin_activation::ActiveModel {
            centre_id: Set(centre),
            seq: Set(i32::try_from(seq).map_err(|e| corrupt("activation seq", e))?),
            plugin_id: Set(next.map(|p| p.0)),
            change: Set(change.as_str().to_owned()),
            actor_id: Set(activation.by.map(|s| s.0)),
            at: Set(at),
        }
        .insert(&tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate { .. } => StoreError::Conflict { what: "plugin registry" },
            e => e,
        })?;
        save_state(&tx, centre, read, PluginState { active: next, generation: state.generation + 1, ..state }).await?;
        tx.commit().await?;
        Ok(activation)
    }

    /// Changes the caller's centre's plugin settings (bumping the registry's generation).
    pub async fn set_plugin_settings(&self, scope: &Scope, settings: PluginSettings) -> Result<PluginState> {
        let tx = self.write().await?;
        let (read, state) = state_in(&tx, own(scope)).await?;
        let next = PluginState { settings, generation: state.generation + 1, ..state };
        save_state(&tx, own(scope), read, next).await?;
        tx.commit().await?;
        Ok(next)
    }

    // ----- decisions -----

    /// Records a rule decision of `d.centre` (the platform's own write, made for the centre
    /// whose rule decided).
    pub async fn record_decision(&self, d: &Decision) -> Result<()> {
        decision::ActiveModel {
            centre_id: Set(d.centre.0),
            id: Set(d.id.0),
            hook: Set(d.hook.clone()),
            sha256: Set(d.sha256.clone()),
            contract: Set(d.contract.clone()),
            subject: Set(d.subject.clone()),
            error: Set(d.error.clone()),
            record: Set(d.record.clone()),
            at: Set(d.at),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// A centre's decisions, newest first, for callers who may read the centre (else empty).
    pub async fn decisions(
        &self,
        caller: &Caller,
        centre: CentreId,
        filter: &DecisionFilter,
        page: &IdPage,
    ) -> Result<Slice<Decision>> {
        if !private(caller, centre) {
            return Ok(Slice { items: Vec::new(), has_next: false });
        }
        let mut q = decision::Entity::find().filter(decision::Column::CentreId.eq(centre.0));
        if let Some(sha) = &filter.sha256 {
            q = q.filter(decision::Column::Sha256.eq(sha.as_str()));
        }
        if let Some(subject) = &filter.subject {
            q = q.filter(decision::Column::Subject.eq(subject.as_str()));
        }
        if let Some(before) = page.before {
            q = q.filter(decision::Column::Id.lt(before));
        }
        let rows = q.order_by_desc(decision::Column::Id).limit(page.limit + 1).all(&self.db).await?;
        Ok(Slice::from_overfetch(rows, page.limit).map(to_decision))
    }

    /// A decision of a centre, if the caller may read the centre.
    pub async fn decision(&self, caller: &Caller, centre: CentreId, id: DecisionId) -> Result<Option<Decision>> {
        if !private(caller, centre) {
            return Ok(None);
        }
        Ok(decision::Entity::find_by_id((centre.0, id.0)).one(&self.db).await?.map(to_decision))
    }

    /// A decision of any centre by its id: for the operator's replay tool, which holds the
    /// database itself, never for the API.
    pub async fn decision_for_operator(&self, id: DecisionId) -> Result<Option<Decision>> {
        Ok(decision::Entity::find().filter(decision::Column::Id.eq(id.0)).one(&self.db).await?.map(to_decision))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_registry_row_is_the_default_state() {
        let s = PluginState::default();
        assert_eq!((s.active, s.generation, s.settings.fuel), (None, 0, PluginSettings::DEFAULT_FUEL));
    }
}
