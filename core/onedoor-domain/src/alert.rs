//! Supervision alerts (电子监察): records of something a supervisor must look at, with a
//! lifecycle: raised, acknowledged (someone is on it), resolved (with a note).
//!
//! Raised by the platform: a failing plugin, and the supervision rules
//! ([`crate::supervision`]): deadline warnings, yellow and red cards, irregular handling,
//! fees that differ from the catalogue, incomplete service guides.

use crate::error::{DomainError, ErrorCode};
use crate::id::{AlertId, CentreId, StaffId, UnitId};
use crate::values::parse_text;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What an alert is about. New kinds may be added (deliberately not `non_exhaustive`: a new
/// kind must be named by every layer that shows alerts); existing ones never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A local-rule plugin failed a call (trap, fuel, memory, wall time, malformed output, or
    /// its own rule error): the decision it was asked for was not made.
    PluginFailure,
    /// A case or step is due soon.
    DeadlineWarning,
    /// A case or step is overdue (yellow card).
    YellowCard,
    /// A case or step is still overdue after the follow-up period (red card).
    RedCard,
    /// A step decided by a role that may not, or skipped.
    IrregularStep,
    /// A refusal, denial or withdrawal without a reason.
    NoReason,
    /// A fee charged that differs from the catalogue.
    FeeMismatch,
    /// A published service guide with required fields empty.
    GuideIncomplete,
    /// A bad rating escalated to the supervisors by the evaluation rule.
    BadRating,
}

impl AlertKind {
    /// Every kind.
    pub const ALL: [AlertKind; 9] = [
        AlertKind::PluginFailure,
        AlertKind::DeadlineWarning,
        AlertKind::YellowCard,
        AlertKind::RedCard,
        AlertKind::IrregularStep,
        AlertKind::NoReason,
        AlertKind::FeeMismatch,
        AlertKind::GuideIncomplete,
        AlertKind::BadRating,
    ];

    /// The stable name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::PluginFailure => "plugin_failure",
            AlertKind::DeadlineWarning => "deadline_warning",
            AlertKind::YellowCard => "yellow_card",
            AlertKind::RedCard => "red_card",
            AlertKind::IrregularStep => "irregular_step",
            AlertKind::NoReason => "no_reason",
            AlertKind::FeeMismatch => "fee_mismatch",
            AlertKind::GuideIncomplete => "guide_incomplete",
            AlertKind::BadRating => "bad_rating",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For information.
    Info,
    /// Needs attention (a warning, a yellow card).
    Warning,
    /// Needs action now (a red card, a failing rule blocking cases).
    Critical,
}

impl Severity {
    /// Every severity, least urgent first.
    pub const ALL: [Severity; 3] = [Severity::Info, Severity::Warning, Severity::Critical];

    /// The stable name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where an alert is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Raised; nobody has taken it up yet.
    Raised,
    /// Someone has taken it up.
    Acknowledged,
    /// Dealt with, with a note saying how.
    Resolved,
}

impl AlertStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [AlertStatus; 3] = [AlertStatus::Raised, AlertStatus::Acknowledged, AlertStatus::Resolved];

    /// The stable name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Raised => "raised",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::Resolved => "resolved",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<AlertStatus> {
        AlertStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Who moved an alert on, when, and their note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertStep {
    /// Who (none: the platform itself).
    pub by: Option<StaffId>,
    /// When.
    pub at: DateTime<Utc>,
    /// Their note (may be empty on acknowledgement).
    pub note: String,
}

/// A supervision alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Its id.
    pub id: AlertId,
    /// The centre concerned (whose supervisors, and whose parent centre's, see it).
    pub centre: CentreId,
    /// What it is about.
    pub kind: AlertKind,
    /// How urgent.
    pub severity: Severity,
    /// What it concerns, in the platform's words (a case number, a plugin's name and hash …).
    pub subject: Option<String>,
    /// The unit concerned, whose staff see the alert beside the supervisors.
    pub unit: Option<UnitId>,
    /// What makes it unique within its centre (`deadline:CASE:STEP:LEVEL` …): raising an alert
    /// whose key exists raises nothing.
    pub key: Option<String>,
    /// What happened, for people.
    pub message: String,
    /// Machine-readable facts (e.g. the plugin's hash, the hook, the error code), as JSON text.
    pub details: String,
    /// When it was raised.
    pub raised_at: DateTime<Utc>,
    /// Where it is in its lifecycle.
    pub status: AlertStatus,
    /// Who acknowledged it.
    pub acknowledged: Option<AlertStep>,
    /// Who resolved it.
    pub resolved: Option<AlertStep>,
}

/// The longest note on an alert step, in characters.
pub const MAX_NOTE: usize = 2000;
/// The longest alert message, in characters (longer ones are cut).
pub const MAX_MESSAGE: usize = 2000;

/// What a new alert says: everything but its identity, time and lifecycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// What it is about.
    pub kind: AlertKind,
    /// How urgent.
    pub severity: Severity,
    /// What it concerns.
    pub subject: Option<String>,
    /// The unit concerned.
    pub unit: Option<UnitId>,
    /// What makes it unique within its centre, if anything.
    pub key: Option<String>,
    /// What happened, for people (cut to [`MAX_MESSAGE`] characters).
    pub message: String,
    /// Machine-readable facts, as JSON text.
    pub details: String,
}

impl Alert {
    /// A new, raised alert.
    pub fn raise(id: AlertId, centre: CentreId, at: DateTime<Utc>, new: NewAlert) -> Alert {
        Alert {
            id,
            centre,
            kind: new.kind,
            severity: new.severity,
            subject: new.subject,
            unit: new.unit,
            key: new.key,
            message: new.message.chars().take(MAX_MESSAGE).collect(),
            details: new.details,
            raised_at: at,
            status: AlertStatus::Raised,
            acknowledged: None,
            resolved: None,
        }
    }

    /// Acknowledges a raised alert; the note may be empty. Refused (`INVALID_STATE`) unless
    /// the alert is raised.
    pub fn acknowledge(&self, by: Option<StaffId>, note: &str, at: DateTime<Utc>) -> Result<Alert, DomainError> {
        let note = parse_text(note, MAX_NOTE, false).map_err(|e| e.under("note"))?;
        if self.status != AlertStatus::Raised {
            return Err(DomainError::new(
                "id",
                ErrorCode::InvalidState,
                format!("the alert is {}; only a raised alert can be acknowledged", self.status.as_str()),
            ));
        }
        Ok(Alert { status: AlertStatus::Acknowledged, acknowledged: Some(AlertStep { by, at, note }), ..self.clone() })
    }

    /// Resolves a raised or acknowledged alert with a note saying how (required). Refused
    /// (`INVALID_STATE`) when it is already resolved.
    pub fn resolve(&self, by: Option<StaffId>, note: &str, at: DateTime<Utc>) -> Result<Alert, DomainError> {
        let note = parse_text(note, MAX_NOTE, true).map_err(|e| e.under("note"))?;
        if self.status == AlertStatus::Resolved {
            return Err(DomainError::new("id", ErrorCode::InvalidState, "the alert is already resolved"));
        }
        Ok(Alert { status: AlertStatus::Resolved, resolved: Some(AlertStep { by, at, note }), ..self.clone() })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use uuid::Uuid;

    fn raised() -> Alert {
        let new = NewAlert {
            kind: AlertKind::PluginFailure,
            severity: Severity::Critical,
            subject: Some("PL-2026-000001".into()),
            unit: None,
            key: None,
            message: "x".repeat(MAX_MESSAGE + 10),
            details: "{}".into(),
        };
        Alert::raise(AlertId(Uuid::nil()), CentreId(Uuid::nil()), Utc::now(), new)
    }

    #[test]
    fn the_lifecycle_goes_raised_acknowledged_resolved() {
        let a = raised();
        assert_eq!(a.message.chars().count(), MAX_MESSAGE);
        let ack = a.acknowledge(None, "", Utc::now()).unwrap();
        assert_eq!(ack.status, AlertStatus::Acknowledged);
        assert_eq!(ack.acknowledge(None, "", Utc::now()).unwrap_err().code, ErrorCode::InvalidState);
        let done = ack.resolve(None, "plugin rolled back", Utc::now()).unwrap();
        assert_eq!(done.status, AlertStatus::Resolved);
        assert_eq!(done.resolved.as_ref().map(|s| s.note.as_str()), Some("plugin rolled back"));
        assert_eq!(done.resolve(None, "again", Utc::now()).unwrap_err().code, ErrorCode::InvalidState);
        assert_eq!(done.acknowledge(None, "", Utc::now()).unwrap_err().code, ErrorCode::InvalidState);
    }

    #[test]
    fn a_raised_alert_resolves_directly_but_only_with_a_note() {
        let a = raised();
        let e = a.resolve(None, "  ", Utc::now()).unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("note", ErrorCode::Required));
        assert!(a.resolve(None, "fixed", Utc::now()).is_ok());
    }

    #[test]
    fn names_round_trip() {
        for k in AlertKind::ALL {
            assert_eq!(AlertKind::parse(k.as_str()), Some(k));
        }
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
        for s in AlertStatus::ALL {
            assert_eq!(AlertStatus::parse(s.as_str()), Some(s));
        }
    }
}
