//! The pure domain of onedoor: the words of a one-stop government service centre as types.
//!
//! Everything here is data and rules: centres (the tenants) and their halls, zones, windows,
//! units and staff; the catalogue of matters with their service guides and versions; bundles;
//! the local rules (parallel approval, evaluation) that a centre may replace with a plugin.
//! The crate knows no database, web server, GraphQL or wasm runtime (a test in `tests/` guards
//! the crate graph); the store and the API convert to and from these types at their boundary.
//!
//! Values that have rules (codes, names, time limits, money) are built only by a `parse` that
//! can fail, so a value held elsewhere in the code is always valid.

pub mod alert;
pub mod calendar;
pub mod case;
pub mod catalogue;
pub mod error;
pub mod evaluation;
pub mod hall;
pub mod id;
pub mod organisation;
pub mod plugin;
pub mod rules;
pub mod scope;
pub mod supervision;
pub mod values;
pub mod workflow;

pub use error::{DomainError, ErrorCode};
pub use id::{
    AppointmentId, BundleId, CaseId, CentreId, HallId, MatterId, SlotId, StaffId, TicketId, UnitId, WindowId, ZoneId,
};
pub use scope::{Caller, Role, Roles, Scope};
