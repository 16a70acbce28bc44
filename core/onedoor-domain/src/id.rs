//! Typed identifiers: a matter's id can never be passed where a unit's is expected.

use std::fmt;
use uuid::Uuid;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The underlying UUID.
            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                $name(u)
            }
        }
    )*};
}

ids! {
    /// A centre: the tenant.
    CentreId,
    /// A case: one application with one number.
    CaseId,
    /// A hall: a building shared by one or more centres.
    HallId,
    /// A zone of a hall.
    ZoneId,
    /// A window of a hall.
    WindowId,
    /// A unit stationed in a centre.
    UnitId,
    /// A member of staff.
    StaffId,
    /// A matter of the catalogue (stable across its versions).
    MatterId,
    /// A bundle ("one thing").
    BundleId,
    /// A plugin uploaded to a centre's registry (one version of a centre's local rules).
    PluginId,
    /// A recorded rule decision.
    DecisionId,
    /// A supervision alert.
    AlertId,
    /// A rating of a visit or a case.
    RatingId,
    /// A rectification opened after a bad rating.
    RectificationId,
    /// An assessment of a centre's windows, units and staff over a period.
    AssessmentId,
    /// A queue ticket of a hall.
    TicketId,
    /// An appointment slot of a hall's zone.
    SlotId,
    /// A booked appointment.
    AppointmentId,
}

impl StaffId {
    /// The platform itself acting (imports, the operator): never a real member of staff, and
    /// recorded as "no actor".
    pub const SYSTEM: StaffId = StaffId(Uuid::nil());

    /// Whether this is [`StaffId::SYSTEM`].
    pub fn is_system(self) -> bool {
        self == StaffId::SYSTEM
    }
}
