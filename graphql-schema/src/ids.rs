//! Opaque global ids (Relay `Node`): `base64url("Type:centre-uuid:uuid")`.
//!
//! The owning centre is part of the id, so a lookup goes straight to the row's tenant key and
//! the visibility check needs no extra read. Clients must treat ids as opaque.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use onedoor::domain::CentreId;
use uuid::Uuid;

/// The kinds of node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Centre,
    Hall,
    Zone,
    Window,
    Unit,
    Staff,
    Matter,
    Bundle,
    Case,
    Plugin,
    Decision,
    Alert,
    Ticket,
    Slot,
    Appointment,
    Rating,
    Rectification,
}

impl Kind {
    const ALL: [Kind; 17] = [
        Kind::Centre,
        Kind::Hall,
        Kind::Zone,
        Kind::Window,
        Kind::Unit,
        Kind::Staff,
        Kind::Matter,
        Kind::Bundle,
        Kind::Case,
        Kind::Plugin,
        Kind::Decision,
        Kind::Alert,
        Kind::Ticket,
        Kind::Slot,
        Kind::Appointment,
        Kind::Rating,
        Kind::Rectification,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Centre => "Centre",
            Kind::Hall => "Hall",
            Kind::Zone => "Zone",
            Kind::Window => "Window",
            Kind::Unit => "Unit",
            Kind::Staff => "Staff",
            Kind::Matter => "Matter",
            Kind::Bundle => "Bundle",
            Kind::Case => "Case",
            Kind::Plugin => "Plugin",
            Kind::Decision => "Decision",
            Kind::Alert => "Alert",
            Kind::Ticket => "Ticket",
            Kind::Slot => "AppointmentSlot",
            Kind::Appointment => "Appointment",
            Kind::Rating => "Rating",
            Kind::Rectification => "Rectification",
        }
    }
}

/// Encodes a global id.
pub(crate) fn encode(kind: Kind, centre: CentreId, id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{}:{}", kind.name(), centre.0, id)))
}

/// Decodes any global id into its kind, centre and id.
pub(crate) fn decode_any(id: &str) -> Option<(Kind, CentreId, Uuid)> {
    let bytes = URL_SAFE_NO_PAD.decode(id.trim().as_bytes()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.splitn(3, ':');
    let kind = parts.next()?;
    let kind = Kind::ALL.into_iter().find(|k| k.name() == kind)?;
    let centre = Uuid::parse_str(parts.next()?).ok()?;
    let id = Uuid::parse_str(parts.next()?).ok()?;
    Some((kind, CentreId(centre), id))
}

/// Decodes a global id that must be of `kind`.
pub(crate) fn decode(kind: Kind, id: &str) -> Option<(CentreId, Uuid)> {
    decode_any(id).filter(|(k, _, _)| *k == kind).map(|(_, c, u)| (c, u))
}

/// An opaque pagination cursor over a sort key.
pub(crate) fn cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

/// The sort key inside a cursor.
pub(crate) fn uncursor(c: &str) -> Option<String> {
    URL_SAFE_NO_PAD.decode(c.as_bytes()).ok().and_then(|b| String::from_utf8(b).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_kind_check() {
        let (c, u) = (CentreId(Uuid::now_v7()), Uuid::now_v7());
        let id = encode(Kind::Matter, c, u);
        assert_eq!(decode(Kind::Matter, &id), Some((c, u)));
        assert_eq!(decode(Kind::Unit, &id), None);
        assert_eq!(decode_any("not base64!"), None);
        assert_eq!(decode_any(&URL_SAFE_NO_PAD.encode("Matter:x:y")), None);
    }
}
