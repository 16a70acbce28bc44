//! Who is asking: the caller's centre, staff id and roles, and which centres' data they see.
//!
//! The scope is built from a verified token only (never from a header or an argument), and
//! every store call takes it: writes go to `scope.centre` alone; reads of non-public data go to
//! `scope.centre` and the centres it supervises (its descendants), nothing else.

use crate::id::{CentreId, StaffId};
use std::fmt;

/// A staff role. A member of staff may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Manages the centre's organisation and catalogue.
    Admin,
    /// Accepts cases at a window.
    WindowClerk,
    /// Decides workflow steps in a unit's back office.
    Approver,
    /// Leads a unit; decides what is referred to the lead unit.
    UnitLead,
    /// Guides visitors or acts for them (assisted and proxy service).
    Guide,
    /// Watches time limits, evaluations and alerts; reads supervised centres.
    Supervisor,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 6] =
        [Role::Admin, Role::WindowClerk, Role::Approver, Role::UnitLead, Role::Guide, Role::Supervisor];

    /// The stable name used in tokens and the API (`SCREAMING_SNAKE_CASE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::WindowClerk => "WINDOW_CLERK",
            Role::Approver => "APPROVER",
            Role::UnitLead => "UNIT_LEAD",
            Role::Guide => "GUIDE",
            Role::Supervisor => "SUPERVISOR",
        }
    }

    /// Parses a role name, case-insensitively; `-` is read as `_`.
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim().to_ascii_uppercase().replace('-', "_");
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Roles(u8);

impl Roles {
    /// No role.
    pub const NONE: Roles = Roles(0);

    /// Whether `role` is in the set.
    pub fn has(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// The set with `role` added.
    pub fn with(self, role: Role) -> Roles {
        Roles(self.0 | role.bit())
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The roles, in the order of [`Role::ALL`].
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.has(*r))
    }

    /// Parses role names; returns the first name that is not a role as the error.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Roles, String> {
        names
            .into_iter()
            .try_fold(Roles::NONE, |acc, n| Role::parse(n).map(|r| acc.with(r)).ok_or_else(|| n.to_owned()))
    }
}

impl FromIterator<Role> for Roles {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        iter.into_iter().fold(Roles::NONE, Roles::with)
    }
}

/// An authenticated member of staff acting for their centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The caller's own centre: the only one they write to.
    pub centre: CentreId,
    /// The caller.
    pub staff: StaffId,
    /// The caller's roles.
    pub roles: Roles,
    /// Centres below the caller's (children, grandchildren …) whose supervision-level data the
    /// caller may read, never write.
    pub supervised: Vec<CentreId>,
}

impl Scope {
    /// Whether the caller holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.has(role)
    }

    /// Whether the caller may read `centre`'s non-public data: their own centre, or one they
    /// supervise.
    pub fn can_read(&self, centre: CentreId) -> bool {
        centre == self.centre || self.supervised.contains(&centre)
    }

    /// The centres whose non-public data the caller may read: their own first.
    pub fn readable(&self) -> Vec<CentreId> {
        std::iter::once(self.centre).chain(self.supervised.iter().copied()).collect()
    }
}

/// Whoever sent a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No token: public data only (service guides, catalogue search, the organisation's
    /// public face).
    Anonymous,
    /// A member of staff with a verified token.
    Staff(Scope),
}

impl Caller {
    /// The staff scope, if signed in.
    pub fn scope(&self) -> Option<&Scope> {
        match self {
            Caller::Anonymous => None,
            Caller::Staff(s) => Some(s),
        }
    }

    /// Whether the caller may read `centre`'s non-public data.
    pub fn can_read(&self, centre: CentreId) -> bool {
        self.scope().is_some_and(|s| s.can_read(centre))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_iterate() {
        let r = Roles::parse(["admin", "window-clerk"]).expect("roles");
        assert!(r.has(Role::Admin) && r.has(Role::WindowClerk) && !r.has(Role::Supervisor));
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![Role::Admin, Role::WindowClerk]);
        assert_eq!(Roles::parse(["admin", "king"]), Err("king".to_owned()));
    }
}
