//! The plugin registry, recorded rule decisions and supervision alerts over GraphQL.
//!
//! A plugin is uploaded as base64 in `uploadPlugin`'s input; the platform's plugin host checks
//! it before anything is stored. Registry reads are for the centre's admins and supervisors
//! and the supervisors of centres above it; alerts for supervisors.

use crate::error::{UserError, coded, query_error};
use crate::ids::{Kind, decode, encode};
use crate::mutation::{finish, payload};
use crate::scalars::mirror;
use crate::types::{Node, connection, page, parts};
use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Result, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use onedoor::domain::alert::{self as al, Alert};
use onedoor::domain::id::{AlertId, DecisionId, PluginId};
use onedoor::domain::plugin::{self as pl, Decision};
use onedoor::domain::{CentreId, StaffId};
use onedoor::plugins::{PluginEntry, PluginRegistry};
use onedoor::{IdPage, Onedoor};
use uuid::Uuid;

/// The centre a query names by code, or the caller's own.
pub(crate) async fn centre_arg(ctx: &Context<'_>, centre: Option<String>) -> Result<CentreId> {
    let (od, caller) = parts(ctx);
    match (centre, caller.scope()) {
        (Some(code), _) => od
            .centre_id(&code)
            .await
            .map_err(query_error)?
            .ok_or_else(|| coded("NOT_FOUND", format!("no centre has the code `{code}`"))),
        (None, Some(scope)) => Ok(scope.centre),
        (None, None) => Err(coded("UNAUTHENTICATED", "sign in first")),
    }
}

/// A newest-first page from Relay arguments; cursors are the items' ids.
pub(crate) fn id_page(ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<IdPage> {
    let p = page(ctx, first, after)?;
    let before = match p.after {
        None => None,
        Some(a) => {
            Some(Uuid::parse_str(&a).map_err(|_| coded("INVALID_CURSOR", "`after` is not a cursor of this list"))?)
        }
    };
    Ok(IdPage { before, limit: p.limit })
}

fn staff_id(s: Option<StaffId>) -> Option<String> {
    s.map(|s| s.to_string())
}

/// A plugin of a centre's registry: one version of its local rules.
pub struct PluginObj(pub PluginEntry);

impl PluginObj {
    fn new(plugin: pl::Plugin) -> PluginObj {
        PluginObj(PluginEntry { plugin, active: false, last_activated: None })
    }
}

#[Object(name = "Plugin")]
impl PluginObj {
    /// Opaque global id.
    pub(crate) async fn id(&self) -> ID {
        encode(Kind::Plugin, self.0.plugin.centre, self.0.plugin.id.0)
    }
    /// The name the uploader gave it.
    async fn name(&self) -> &str {
        self.0.plugin.name.as_str()
    }
    /// The component's SHA-256 (64 hex digits): how decisions name it.
    async fn sha256(&self) -> &str {
        &self.0.plugin.sha256
    }
    /// The contract version it was built against, e.g. `0.1.0`.
    async fn contract(&self) -> &str {
        &self.0.plugin.contract
    }
    /// The component's size, in bytes.
    async fn size(&self) -> u64 {
        self.0.plugin.size
    }
    /// The hooks it exports (`plan`, `on_branch_decided`, `on_rating`, `assess`).
    async fn hooks(&self) -> &[String] {
        &self.0.plugin.hooks
    }
    /// The staff id of who uploaded it.
    async fn uploaded_by(&self) -> Option<String> {
        staff_id(self.0.plugin.uploaded_by)
    }
    /// When it was uploaded.
    async fn uploaded_at(&self) -> DateTime<Utc> {
        self.0.plugin.uploaded_at
    }
    /// Whether it is the centre's active plugin.
    async fn active(&self) -> bool {
        self.0.active
    }
    /// When it was last activated (or rolled back to).
    async fn activated_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_activated.as_ref().map(|a| a.at)
    }
    /// The staff id of who last activated it.
    async fn activated_by(&self) -> Option<String> {
        staff_id(self.0.last_activated.as_ref().and_then(|a| a.by))
    }
}

/// What changed a centre's active plugin.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ActivationChange {
    /// A plugin was activated.
    Activate,
    /// The previously active plugin was activated again.
    RollBack,
    /// The plugin was deactivated: the built-in rules apply.
    Deactivate,
}

impl From<pl::ActivationChange> for ActivationChange {
    fn from(c: pl::ActivationChange) -> Self {
        match c {
            pl::ActivationChange::Activate => ActivationChange::Activate,
            pl::ActivationChange::RollBack => ActivationChange::RollBack,
            pl::ActivationChange::Deactivate => ActivationChange::Deactivate,
        }
    }
}

/// One change of a centre's active plugin.
#[derive(SimpleObject)]
pub struct PluginActivation {
    /// Its position in the centre's history, from 1.
    seq: u32,
    /// What changed.
    change: ActivationChange,
    /// The plugin active from then on (null: the built-in rules).
    plugin: Option<ID>,
    /// The staff id of who changed it.
    by: Option<String>,
    /// When.
    at: DateTime<Utc>,
}

/// A centre's plugin registry.
pub struct PluginRegistryObj(PluginRegistry);

#[Object(name = "PluginRegistry")]
impl PluginRegistryObj {
    /// The plugins uploaded, oldest first.
    async fn plugins(&self) -> Vec<PluginObj> {
        self.0.plugins.iter().cloned().map(PluginObj).collect()
    }
    /// The active plugin; null when the built-in rules apply.
    async fn active(&self) -> Option<PluginObj> {
        self.0.plugins.iter().find(|p| p.active).cloned().map(PluginObj)
    }
    /// The fuel of one plugin call (default 10 million).
    async fn fuel(&self) -> u64 {
        self.0.settings.fuel
    }
    /// Every change of the active plugin, oldest first.
    async fn history(&self) -> Vec<PluginActivation> {
        self.0
            .history
            .iter()
            .map(|a| PluginActivation {
                seq: a.seq,
                change: a.change.into(),
                plugin: a.plugin.map(|p| encode(Kind::Plugin, self.0.centre, p.0)),
                by: staff_id(a.by),
                at: a.at,
            })
            .collect()
    }
}

/// A recorded rule decision: which rule decided, on what input, with what output.
pub struct DecisionObj(pub Decision);

impl DecisionObj {
    fn parsed(&self) -> serde_json::Value {
        serde_json::from_str(&self.0.record).unwrap_or(serde_json::Value::Null)
    }
}

#[Object(name = "Decision")]
impl DecisionObj {
    /// Opaque global id.
    pub(crate) async fn id(&self) -> ID {
        encode(Kind::Decision, self.0.centre, self.0.id.0)
    }
    /// The decision's id, as `onedoor plugin replay --decision` takes it.
    async fn decision_id(&self) -> String {
        self.0.id.to_string()
    }
    /// The hook (`plan`, `on_branch_decided`, `on_rating`, `assess`).
    async fn hook(&self) -> &str {
        &self.0.hook
    }
    /// The plugin's SHA-256; null for the built-in rule.
    async fn sha256(&self) -> Option<&str> {
        self.0.sha256.as_deref()
    }
    /// The contract version the plugin was called through.
    async fn contract(&self) -> Option<&str> {
        self.0.contract.as_deref()
    }
    /// What it concerns (a case number, a rating …).
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    /// The error code when the call failed (then the decision was not applied).
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// The input, as the rule received it.
    async fn input(&self) -> Json<serde_json::Value> {
        Json(self.parsed()["input"].clone())
    }
    /// The output: the decision itself, or `{"error": CODE, "message": …}` for a failed call.
    async fn output(&self) -> Json<serde_json::Value> {
        let output = self.parsed()["output"].take();
        Json(match output {
            serde_json::Value::Object(mut o) if o.contains_key("ok") => o.remove("ok").unwrap_or_default(),
            serde_json::Value::Object(mut o) => match o.remove("error") {
                Some(serde_json::Value::Object(e)) => {
                    serde_json::json!({ "error": e.get("code"), "message": e.get("message") })
                }
                _ => serde_json::Value::Null,
            },
            other => other,
        })
    }
    /// The whole record, as `onedoor plugin replay` reads it from a file.
    async fn record(&self) -> Json<serde_json::Value> {
        Json(self.parsed())
    }
    /// When it was recorded.
    async fn decided_at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

mirror! {
    /// What an alert is about.
    AlertKind = al::AlertKind {
        /// A local-rule plugin failed a call.
        PluginFailure,
        /// A case or step is due soon.
        DeadlineWarning,
        /// A case or step is overdue (yellow card).
        YellowCard,
        /// Still overdue after the follow-up period (red card).
        RedCard,
        /// A step decided by a role that may not, or skipped.
        IrregularStep,
        /// A refusal, denial or withdrawal without a reason.
        NoReason,
        /// A fee charged that differs from the catalogue.
        FeeMismatch,
        /// A published service guide with required fields empty.
        GuideIncomplete,
        /// A bad rating escalated by the evaluation rule.
        BadRating,
    }
}

mirror! {
    /// How urgent an alert is.
    Severity = al::Severity {
        /// For information.
        Info,
        /// Needs attention.
        Warning,
        /// Needs action now.
        Critical,
    }
}

mirror! {
    /// Where an alert is in its lifecycle.
    AlertStatus = al::AlertStatus {
        /// Raised; nobody has taken it up yet.
        Raised,
        /// Someone has taken it up.
        Acknowledged,
        /// Dealt with.
        Resolved,
    }
}

/// A supervision alert.
pub struct AlertObj(pub Alert);

#[Object(name = "Alert")]
impl AlertObj {
    /// Opaque global id.
    pub(crate) async fn id(&self) -> ID {
        encode(Kind::Alert, self.0.centre, self.0.id.0)
    }
    /// What it is about.
    async fn kind(&self) -> AlertKind {
        self.0.kind.into()
    }
    /// How urgent.
    async fn severity(&self) -> Severity {
        self.0.severity.into()
    }
    /// The code of the centre concerned.
    async fn centre(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(parts(ctx).0.centre(self.0.centre).await.map_err(query_error)?.map(|c| c.code.to_string()))
    }
    /// What it concerns (a case number …).
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    /// The unit concerned, whose staff see the alert beside the supervisors.
    async fn unit(&self) -> Option<ID> {
        self.0.unit.map(|u| encode(Kind::Unit, self.0.centre, u.0))
    }
    /// What happened.
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// Machine-readable facts (for a plugin failure: the plugin, its hash, the hook, the code).
    async fn details(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.details).unwrap_or(serde_json::Value::Null))
    }
    /// When it was raised.
    async fn raised_at(&self) -> DateTime<Utc> {
        self.0.raised_at
    }
    /// Where it is in its lifecycle.
    async fn status(&self) -> AlertStatus {
        self.0.status.into()
    }
    /// The staff id of who acknowledged it.
    async fn acknowledged_by(&self) -> Option<String> {
        staff_id(self.0.acknowledged.as_ref().and_then(|s| s.by))
    }
    /// When it was acknowledged.
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.acknowledged.as_ref().map(|s| s.at)
    }
    /// The note given on acknowledgement.
    async fn acknowledge_note(&self) -> Option<&str> {
        self.0.acknowledged.as_ref().map(|s| s.note.as_str())
    }
    /// The staff id of who resolved it.
    async fn resolved_by(&self) -> Option<String> {
        staff_id(self.0.resolved.as_ref().and_then(|s| s.by))
    }
    /// When it was resolved.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved.as_ref().map(|s| s.at)
    }
    /// How it was resolved.
    async fn resolve_note(&self) -> Option<&str> {
        self.0.resolved.as_ref().map(|s| s.note.as_str())
    }
}

/// A plugin, decision or alert by its global id (for `node`).
pub(crate) async fn node(ctx: &Context<'_>, kind: Kind, centre: CentreId, id: Uuid) -> Result<Option<Node>> {
    let (od, caller) = parts(ctx);
    // Callers without the role see nothing, as for any node they may not see.
    let n = match kind {
        Kind::Plugin => {
            od.plugin(caller, centre, PluginId(id)).await.ok().flatten().map(|p| Node::Plugin(PluginObj::new(p)))
        }
        Kind::Decision => {
            od.decision(caller, centre, DecisionId(id)).await.ok().flatten().map(|d| Node::Decision(DecisionObj(d)))
        }
        Kind::Alert => od.alert(caller, centre, AlertId(id)).await.ok().flatten().map(|a| Node::Alert(AlertObj(a))),
        _ => None,
    };
    Ok(n)
}

/// Queries of the plugin registry, decisions and alerts.
#[derive(Debug, Default)]
pub struct PluginsQuery;

#[Object]
impl PluginsQuery {
    /// A centre's plugin registry (by centre code; the caller's own by default): its plugins,
    /// the active one, the fuel of a call, and the history of activations. For the centre's
    /// admins and supervisors, and supervisors of centres above it.
    async fn plugins(&self, ctx: &Context<'_>, centre: Option<String>) -> Result<PluginRegistryObj> {
        let id = centre_arg(ctx, centre).await?;
        let (od, caller) = parts(ctx);
        Ok(PluginRegistryObj(od.plugin_registry(caller, id).await.map_err(query_error)?))
    }

    /// A centre's recorded rule decisions, newest first: all, those of one plugin, or those
    /// about one subject (a case number …). For the centre's admins and supervisors, and
    /// supervisors of centres above it.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn decisions(
        &self,
        ctx: &Context<'_>,
        centre: Option<String>,
        plugin: Option<ID>,
        subject: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, DecisionObj>> {
        let had = after.is_some();
        let p = id_page(ctx, first, after)?;
        let id = centre_arg(ctx, centre).await?;
        let plugin = match plugin {
            None => None,
            Some(p) => {
                let (c, u) =
                    decode(Kind::Plugin, &p).ok_or_else(|| coded("INVALID_ID", "`plugin` is not a plugin id"))?;
                if c != id {
                    return Ok(Connection::new(false, false));
                }
                Some(PluginId(u))
            }
        };
        let (od, caller) = parts(ctx);
        let s = od.decisions(caller, id, plugin, subject.as_deref(), &p).await.map_err(query_error)?;
        Ok(connection(had, s, |d| d.id.to_string(), DecisionObj))
    }

    /// A centre's supervision alerts, newest first, optionally of one status, kind or unit.
    /// Supervisors of the centre and of centres above it see all; other staff of the centre see
    /// their unit's.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    #[allow(clippy::too_many_arguments)]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        centre: Option<String>,
        status: Option<AlertStatus>,
        kind: Option<AlertKind>,
        unit: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, AlertObj>> {
        let had = after.is_some();
        let p = id_page(ctx, first, after)?;
        let id = centre_arg(ctx, centre).await?;
        let unit = match unit {
            None => None,
            Some(u) => Some(onedoor::domain::UnitId(
                decode(Kind::Unit, &u).ok_or_else(|| coded("INVALID_ID", "`unit` is not a unit id"))?.1,
            )),
        };
        let (od, caller) = parts(ctx);
        let filter = onedoor::AlertFilter { status: status.map(Into::into), kind: kind.map(Into::into), unit };
        let s = od.alerts(caller, id, filter, &p).await.map_err(query_error)?;
        Ok(connection(had, s, |a| a.id.to_string(), AlertObj))
    }
}

payload!(/// Result of an upload.
    PluginPayload, plugin: PluginObj);
payload!(/// Result of a change to the registry: the registry as it now stands.
    PluginRegistryPayload, registry: PluginRegistryObj);
payload!(/// Result of an alert mutation.
    AlertPayload, alert: AlertObj);

/// Uploads a plugin to the caller's centre (it is not activated).
#[derive(InputObject)]
pub struct UploadPluginInput {
    /// A name for it, e.g. `pingliang-rules` (letters, digits, `-`, `_`, `.`).
    pub name: String,
    /// The WebAssembly component (what `onedoor plugin build` writes), base64-encoded.
    pub component: String,
}

/// Activates a plugin of the caller's centre.
#[derive(InputObject)]
pub struct ActivatePluginInput {
    /// The plugin.
    pub id: ID,
    /// Only if this plugin is the active one now (`CONFLICT` otherwise).
    pub expected_active: Option<ID>,
}

/// Rolls the caller's centre back to the plugin active before the current one, or
/// deactivates its plugin.
#[derive(InputObject, Default)]
pub struct ChangeActivePluginInput {
    /// Only if this plugin is the active one now (`CONFLICT` otherwise).
    pub expected_active: Option<ID>,
}

/// Sets the fuel of one plugin call in the caller's centre.
#[derive(InputObject)]
pub struct SetPluginFuelInput {
    /// Fuel per call, 10,000 to 1,000,000,000 (default 10,000,000).
    pub fuel: i64,
}

/// Acknowledges or resolves an alert.
#[derive(InputObject)]
pub struct AlertStepInput {
    /// The alert.
    pub id: ID,
    /// A note (required to resolve).
    #[graphql(default)]
    pub note: String,
}

/// Mutations of the plugin registry and alerts.
#[derive(Debug, Default)]
pub struct PluginsMutation;

/// Decodes an optional plugin id, or the user error for it.
fn plugin_id(field: &str, id: Option<&ID>) -> std::result::Result<Option<PluginId>, UserError> {
    match id {
        None => Ok(None),
        Some(id) => decode(Kind::Plugin, id).map(|(_, u)| Some(PluginId(u))).ok_or_else(|| UserError::bad_id(field)),
    }
}

async fn registry_after(
    od: &Onedoor,
    ctx: &Context<'_>,
    r: onedoor::Result<pl::Activation>,
) -> onedoor::Result<PluginRegistryObj> {
    let a = r?;
    Ok(PluginRegistryObj(od.plugin_registry(parts(ctx).1, a.centre).await?))
}

#[Object]
impl PluginsMutation {
    /// Uploads a plugin (admin). The host checks it first: `PLUGIN_TOO_LARGE`,
    /// `NOT_A_COMPONENT`, `INVALID_COMPONENT`, `FORBIDDEN_IMPORT` (WASI or any import with
    /// functions), `UNSUPPORTED_CONTRACT`, `BAD_CONTRACT` on `component`; `INVALID_BASE64`
    /// when it does not decode; `DUPLICATE` when the centre has it already.
    async fn upload_plugin(&self, ctx: &Context<'_>, input: UploadPluginInput) -> Result<PluginPayload> {
        let Ok(bytes) = STANDARD.decode(input.component.trim().as_bytes()) else {
            return Ok(PluginPayload::errors(vec![UserError::new(
                "component",
                "INVALID_BASE64",
                "the component is not base64 (standard alphabet, padded)",
            )]));
        };
        let (od, caller) = parts(ctx);
        Ok(PluginPayload::of(finish(od.upload_plugin(caller, &input.name, bytes).await, PluginObj::new)?))
    }

    /// Activates a plugin of the caller's centre (admin): the centre's next decisions use it,
    /// on every replica within a second.
    async fn activate_plugin(&self, ctx: &Context<'_>, input: ActivatePluginInput) -> Result<PluginRegistryPayload> {
        let (id, expected) =
            match (decode(Kind::Plugin, &input.id), plugin_id("expectedActive", input.expected_active.as_ref())) {
                (Some((_, id)), Ok(e)) => (PluginId(id), e),
                (None, _) => return Ok(PluginRegistryPayload::errors(vec![UserError::bad_id("id")])),
                (_, Err(e)) => return Ok(PluginRegistryPayload::errors(vec![e])),
            };
        let (od, caller) = parts(ctx);
        let r = registry_after(od, ctx, od.activate_plugin(caller, id, expected).await).await;
        Ok(PluginRegistryPayload::of(finish(r, |r| r)?))
    }

    /// Activates the plugin that was active before the current one (admin;
    /// `NO_PREVIOUS_PLUGIN` when there is none).
    async fn roll_back_plugin(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] input: ChangeActivePluginInput,
    ) -> Result<PluginRegistryPayload> {
        change_active(ctx, input, pl::ActivationChange::RollBack).await
    }

    /// Deactivates the caller's centre's plugin (admin): the built-in rules apply again
    /// (`NO_ACTIVE_PLUGIN` when none is active).
    async fn deactivate_plugin(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] input: ChangeActivePluginInput,
    ) -> Result<PluginRegistryPayload> {
        change_active(ctx, input, pl::ActivationChange::Deactivate).await
    }

    /// Sets the fuel of one plugin call in the caller's centre (admin; `OUT_OF_RANGE`).
    async fn set_plugin_fuel(&self, ctx: &Context<'_>, input: SetPluginFuelInput) -> Result<PluginRegistryPayload> {
        let (od, caller) = parts(ctx);
        let r = match od.set_plugin_fuel(caller, input.fuel).await {
            Ok(_) => match caller.scope() {
                Some(s) => od.plugin_registry(caller, s.centre).await,
                None => Err(onedoor::Error::Unauthenticated),
            },
            Err(e) => Err(e),
        };
        Ok(PluginRegistryPayload::of(finish(r, PluginRegistryObj)?))
    }

    /// Acknowledges a raised alert of the caller's centre (supervisor).
    async fn acknowledge_alert(&self, ctx: &Context<'_>, input: AlertStepInput) -> Result<AlertPayload> {
        alert_step(ctx, input, AlertStatus::Acknowledged).await
    }

    /// Resolves an alert of the caller's centre with a note saying how (supervisor).
    async fn resolve_alert(&self, ctx: &Context<'_>, input: AlertStepInput) -> Result<AlertPayload> {
        alert_step(ctx, input, AlertStatus::Resolved).await
    }
}

/// Rolls back or deactivates, and answers the registry as it now stands.
async fn change_active(
    ctx: &Context<'_>,
    input: ChangeActivePluginInput,
    change: pl::ActivationChange,
) -> Result<PluginRegistryPayload> {
    let expected = match plugin_id("expectedActive", input.expected_active.as_ref()) {
        Ok(e) => e,
        Err(e) => return Ok(PluginRegistryPayload::errors(vec![e])),
    };
    let (od, caller) = parts(ctx);
    let changed = match change {
        pl::ActivationChange::Deactivate => od.deactivate_plugin(caller, expected).await,
        _ => od.roll_back_plugin(caller, expected).await,
    };
    let r = registry_after(od, ctx, changed).await;
    Ok(PluginRegistryPayload::of(finish(r, |r| r)?))
}

/// Moves an alert on to `to` (acknowledged or resolved).
async fn alert_step(ctx: &Context<'_>, input: AlertStepInput, to: AlertStatus) -> Result<AlertPayload> {
    let Some((centre, id)) = decode(Kind::Alert, &input.id) else {
        return Ok(AlertPayload::errors(vec![UserError::bad_id("id")]));
    };
    let (od, caller) = parts(ctx);
    let moved = match to {
        AlertStatus::Resolved => od.resolve_alert(caller, centre, AlertId(id), &input.note).await,
        _ => od.acknowledge_alert(caller, centre, AlertId(id), &input.note).await,
    };
    Ok(AlertPayload::of(finish(moved, AlertObj)?))
}
