//! A centre's plugin registry as data: the plugins uploaded (one row per version, known by
//! SHA-256), which one is active and since when, the per-centre call settings, and recorded
//! rule decisions.
//!
//! The checks of a plugin file itself (a component, its imports, its contract) belong to the
//! plugin host; here are only the facts the registry keeps about it.

use crate::error::{DomainError, ErrorCode};
use crate::id::{CentreId, DecisionId, PluginId, StaffId};
use crate::values::Code;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A plugin in a centre's registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plugin {
    /// Its id.
    pub id: PluginId,
    /// The centre whose rules it holds.
    pub centre: CentreId,
    /// Its name, as the uploader gave it (e.g. `pingliang-rules`).
    pub name: Code,
    /// The SHA-256 of the component, as 64 lower-case hex digits.
    pub sha256: String,
    /// The contract version it was built against, e.g. `0.1.0`.
    pub contract: String,
    /// The component's size, in bytes.
    pub size: u64,
    /// The hooks it exports (`plan`, `on_branch_decided`, `on_rating`, `assess`).
    pub hooks: Vec<String>,
    /// Who uploaded it (none: the platform itself).
    pub uploaded_by: Option<StaffId>,
    /// When.
    pub uploaded_at: DateTime<Utc>,
}

/// What changed a centre's active plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationChange {
    /// A plugin was activated.
    Activate,
    /// The previously active plugin was activated again.
    RollBack,
    /// The plugin was deactivated: the built-in rules apply.
    Deactivate,
}

impl ActivationChange {
    /// Every change.
    pub const ALL: [ActivationChange; 3] =
        [ActivationChange::Activate, ActivationChange::RollBack, ActivationChange::Deactivate];

    /// The stable name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivationChange::Activate => "activate",
            ActivationChange::RollBack => "roll_back",
            ActivationChange::Deactivate => "deactivate",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<ActivationChange> {
        ActivationChange::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One change of a centre's active plugin, in its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activation {
    /// The centre.
    pub centre: CentreId,
    /// Its position in the centre's history, from 1.
    pub seq: u32,
    /// The plugin active from then on (none: the built-in rules).
    pub plugin: Option<PluginId>,
    /// What changed.
    pub change: ActivationChange,
    /// Who (none: the platform itself).
    pub by: Option<StaffId>,
    /// When.
    pub at: DateTime<Utc>,
}

/// The plugin a roll back returns to: the one active before the current one, i.e. the plugin
/// of the latest activation before the last that names a plugin other than the current one.
/// `history` is in order, oldest first. None when there is no such plugin.
pub fn roll_back_target(history: &[Activation]) -> Option<PluginId> {
    let (current, earlier) = history.split_last()?;
    earlier.iter().rev().filter_map(|a| a.plugin).find(|p| Some(*p) != current.plugin)
}

/// A centre's plugin settings: the fuel of one call (the deterministic bound on a plugin's
/// work). Memory, output and wall-time caps are the host's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginSettings {
    /// Fuel per call.
    pub fuel: u64,
}

impl PluginSettings {
    /// The default fuel per call: 10 million (a plan of five matters takes about 10 thousand).
    pub const DEFAULT_FUEL: u64 = 10_000_000;
    /// The least fuel a centre may set.
    pub const MIN_FUEL: u64 = 10_000;
    /// The most fuel a centre may set (about a second of work).
    pub const MAX_FUEL: u64 = 1_000_000_000;

    /// Settings with `fuel`, which must be within [`MIN_FUEL`](Self::MIN_FUEL) and
    /// [`MAX_FUEL`](Self::MAX_FUEL) (`OUT_OF_RANGE` on `fuel` otherwise).
    pub fn parse(fuel: i64) -> Result<PluginSettings, DomainError> {
        match u64::try_from(fuel) {
            Ok(f) if (Self::MIN_FUEL..=Self::MAX_FUEL).contains(&f) => Ok(PluginSettings { fuel: f }),
            _ => Err(DomainError::new(
                "fuel",
                ErrorCode::OutOfRange,
                format!("the fuel of a call is between {} and {}", Self::MIN_FUEL, Self::MAX_FUEL),
            )),
        }
    }
}

impl Default for PluginSettings {
    fn default() -> Self {
        PluginSettings { fuel: Self::DEFAULT_FUEL }
    }
}

/// A recorded rule decision: which rule decided (a plugin by hash, or the built-in rule), for
/// which hook and subject, and the record itself (hook, input, output) as JSON text, so it can
/// be explained and replayed later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Its id.
    pub id: DecisionId,
    /// The centre whose rule decided.
    pub centre: CentreId,
    /// The hook (`plan`, `on_branch_decided`, `on_rating`, `assess`).
    pub hook: String,
    /// The plugin's SHA-256 (none: the built-in rule).
    pub sha256: Option<String>,
    /// The contract version the plugin was called through.
    pub contract: Option<String>,
    /// What the decision concerns (a case number, a rating …).
    pub subject: Option<String>,
    /// The error code, when the call failed.
    pub error: Option<String>,
    /// The whole record, as JSON text.
    pub record: String,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

/// The longest subject of a decision or an alert, in characters.
pub const MAX_SUBJECT: usize = 200;

/// A subject as given by the platform: trimmed, empty as none, at most [`MAX_SUBJECT`]
/// characters (`TOO_LONG` on `subject` otherwise).
pub fn parse_subject(subject: Option<&str>) -> Result<Option<String>, DomainError> {
    let Some(s) = subject.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    if s.chars().count() > MAX_SUBJECT {
        return Err(DomainError::new(
            "subject",
            ErrorCode::TooLong,
            format!("a subject has at most {MAX_SUBJECT} characters"),
        ));
    }
    Ok(Some(s.to_owned()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use uuid::Uuid;

    fn act(seq: u32, plugin: Option<u128>) -> Activation {
        Activation {
            centre: CentreId(Uuid::nil()),
            seq,
            plugin: plugin.map(|p| PluginId(Uuid::from_u128(p))),
            change: ActivationChange::Activate,
            by: None,
            at: Utc::now(),
        }
    }

    #[test]
    fn roll_back_returns_to_the_plugin_active_before() {
        let p = |n: u128| Some(PluginId(Uuid::from_u128(n)));
        assert_eq!(roll_back_target(&[]), None);
        assert_eq!(roll_back_target(&[act(1, Some(1))]), None);
        assert_eq!(roll_back_target(&[act(1, Some(1)), act(2, Some(2))]), p(1));
        // After a roll back, another roll back goes forward again.
        assert_eq!(roll_back_target(&[act(1, Some(1)), act(2, Some(2)), act(3, Some(1))]), p(2));
        // Deactivated: back to the last plugin.
        assert_eq!(roll_back_target(&[act(1, Some(1)), act(2, Some(2)), act(3, None)]), p(2));
        // The same plugin activated twice in a row is skipped.
        assert_eq!(roll_back_target(&[act(1, Some(1)), act(2, Some(2)), act(3, Some(2))]), p(1));
    }

    #[test]
    fn fuel_is_bounded() {
        assert_eq!(PluginSettings::default().fuel, 10_000_000);
        assert!(PluginSettings::parse(5_000_000).is_ok());
        for bad in [-1, 0, 9_999, 1_000_000_001] {
            assert_eq!(PluginSettings::parse(bad).unwrap_err().code, ErrorCode::OutOfRange);
        }
    }

    #[test]
    fn subjects_are_trimmed_and_bounded() {
        assert_eq!(parse_subject(None), Ok(None));
        assert_eq!(parse_subject(Some("  ")), Ok(None));
        assert_eq!(parse_subject(Some(" PL-1 ")), Ok(Some("PL-1".into())));
        assert!(parse_subject(Some(&"x".repeat(201))).is_err());
    }
}
