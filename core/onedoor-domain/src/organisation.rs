//! The organisation: centres (tenants), halls shared by centres, zones, windows, units, staff.

use crate::error::{DomainError, ErrorCode, Violations};
use crate::id::{CentreId, HallId, StaffId, UnitId, WindowId, ZoneId};
use crate::scope::Roles;
use crate::values::{Code, Name, parse_text};

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name { $($(#[$vdoc])* $variant),* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stable text form (as stored and as sent to clients).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            /// Parses the stable text form (case-insensitive).
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// The level of a government (and so of its centre, or of a matter's handling).
    Level {
        /// Province.
        Province = "PROVINCE",
        /// Prefecture-level city.
        City = "CITY",
        /// City district.
        District = "DISTRICT",
        /// County.
        County = "COUNTY",
        /// Street or township.
        Street = "STREET",
    }
}

impl Level {
    /// Rank from the top: a parent centre must rank strictly above its children.
    pub fn rank(self) -> u8 {
        match self {
            Level::Province => 0,
            Level::City => 1,
            Level::District | Level::County => 2,
            Level::Street => 3,
        }
    }
}

/// A government service centre: the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Centre {
    /// Identity.
    pub id: CentreId,
    /// Unique code, e.g. `pingliang`.
    pub code: Code,
    /// Name, e.g. 平凉市政务服务中心.
    pub name: Name,
    /// Level of government.
    pub level: Level,
    /// The centre above, if any.
    pub parent: Option<CentreId>,
    /// The region (top-level city or area code) it belongs to; cross-centre handling
    /// (同城通办) is allowed between centres of one region.
    pub region: Code,
}

/// What is needed to create a centre.
#[derive(Debug, Clone)]
pub struct CentreDraft {
    /// See [`Centre::code`].
    pub code: String,
    /// See [`Centre::name`].
    pub name: String,
    /// See [`Centre::level`].
    pub level: Level,
    /// The parent centre and its level, if any.
    pub parent: Option<(CentreId, Level, Code)>,
    /// See [`Centre::region`]; defaults to the parent's region, or the centre's own code.
    pub region: Option<String>,
}

impl CentreDraft {
    /// Validates the draft into a centre with identity `id`.
    pub fn parse(self, id: CentreId) -> Result<Centre, Vec<DomainError>> {
        let mut v = Violations::new();
        let code = v.take("code", Code::parse(&self.code));
        let name = v.take("name", Name::parse(&self.name));
        if let Some((_, parent_level, _)) = &self.parent
            && parent_level.rank() >= self.level.rank()
        {
            v.push(DomainError::new(
                "parent",
                ErrorCode::InvalidReference,
                format!("a {} centre cannot be the parent of a {} centre", parent_level, self.level),
            ));
        }
        let region = match (&self.region, &self.parent) {
            (Some(r), _) => v.take("region", Code::parse(r)),
            (None, Some((_, _, parent_region))) => Some(parent_region.clone()),
            (None, None) => code.clone(),
        };
        v.finish(|| {
            Some(Centre {
                id,
                code: code?,
                name: name?,
                level: self.level,
                parent: self.parent.map(|p| p.0),
                region: region?,
            })
        })
    }
}

/// A building with zones and windows, run by one centre and shared by member centres.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hall {
    /// Identity.
    pub id: HallId,
    /// The centre that runs the hall (owns its zones and windows).
    pub centre: CentreId,
    /// Code, unique in its centre.
    pub code: Code,
    /// Name.
    pub name: Name,
    /// Street address.
    pub address: String,
}

/// A functional zone of a hall (tax, social insurance …); its code prefixes queue tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// Identity.
    pub id: ZoneId,
    /// The hall's centre.
    pub centre: CentreId,
    /// The hall.
    pub hall: HallId,
    /// Code, unique in the hall, e.g. `A`.
    pub code: Code,
    /// Name, e.g. 税务服务区.
    pub name: Name,
}

/// A window of a hall, in one zone, serving a set of matters of the hall's centres.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Identity.
    pub id: WindowId,
    /// The hall's centre.
    pub centre: CentreId,
    /// The hall.
    pub hall: HallId,
    /// The zone.
    pub zone: ZoneId,
    /// Number shown above the window, unique in the hall, e.g. `23`.
    pub number: Code,
    /// Name, e.g. 综合受理窗口.
    pub name: Name,
}

string_enum! {
    /// What kind of body a unit is.
    UnitKind {
        /// A department of the city government.
        CityDepartment = "CITY_DEPARTMENT",
        /// A department of a district (or county) government.
        DistrictDepartment = "DISTRICT_DEPARTMENT",
        /// A public-service body (utilities, public institutions).
        PublicServiceBody = "PUBLIC_SERVICE_BODY",
        /// An intermediary agency (surveyors, agents, proxies).
        IntermediaryAgency = "INTERMEDIARY_AGENCY",
    }
}

/// A department or body stationed in a centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Identity.
    pub id: UnitId,
    /// The centre it is stationed in.
    pub centre: CentreId,
    /// Code, unique in the centre.
    pub code: Code,
    /// Name, e.g. 平凉市市场监督管理局.
    pub name: Name,
    /// Kind of body.
    pub kind: UnitKind,
}

/// A member of a centre's staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// Identity (the token's `sub`).
    pub id: StaffId,
    /// The centre they work for.
    pub centre: CentreId,
    /// The unit they belong to, if any (centre staff may belong to none).
    pub unit: Option<UnitId>,
    /// Staff number, unique in the centre.
    pub code: Code,
    /// Name.
    pub name: Name,
    /// Roles held.
    pub roles: Roles,
    /// Whether the staff member is active; inactive staff cannot sign in.
    pub active: bool,
}

/// Validates a code and a name, the two fields every organisation record has.
pub fn parse_code_and_name(code: &str, name: &str) -> Result<(Code, Name), Vec<DomainError>> {
    let mut v = Violations::new();
    let c = v.take("code", Code::parse(code));
    let n = v.take("name", Name::parse(name));
    v.finish(|| Some((c?, n?)))
}

/// Validates a hall's address (free text, at most 300 characters).
pub fn parse_address(address: &str) -> Result<String, DomainError> {
    parse_text(address, 300, false).map_err(|e| e.under("address"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn centre_levels_and_regions() {
        let city = CentreDraft {
            code: "pingliang".into(),
            name: "平凉市".into(),
            level: Level::City,
            parent: None,
            region: None,
        }
        .parse(CentreId(Uuid::nil()))
        .expect("city");
        assert_eq!(city.region.as_str(), "pingliang");
        let district = CentreDraft {
            code: "kongtong".into(),
            name: "崆峒区".into(),
            level: Level::District,
            parent: Some((city.id, city.level, city.region.clone())),
            region: None,
        }
        .parse(CentreId(Uuid::max()))
        .expect("district");
        assert_eq!(district.region.as_str(), "pingliang");
        let upside_down = CentreDraft {
            code: "gansu".into(),
            name: "甘肃省".into(),
            level: Level::Province,
            parent: Some((district.id, district.level, district.region)),
            region: None,
        }
        .parse(CentreId(Uuid::nil()));
        assert_eq!(upside_down.map_err(|e| e[0].code), Err(ErrorCode::InvalidReference));
    }
}
