//! GraphQL enums mirroring the domain's, converted at the boundary, and shared inputs.

use crate::error::coded;
use crate::ids::{Kind, decode};
use async_graphql::{Enum, ID, InputObject};
use onedoor::domain::catalogue as cat;
use onedoor::domain::organisation as org;
use onedoor::domain::{UnitId, ZoneId};

macro_rules! mirror {
    ($(#[$doc:meta])* $name:ident = $domain:path { $($(#[$vdoc:meta])* $v:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
        pub enum $name { $($(#[$vdoc])* $v),* }

        impl From<$domain> for $name {
            fn from(d: $domain) -> Self {
                match d { $(<$domain>::$v => $name::$v),* }
            }
        }

        impl From<$name> for $domain {
            fn from(g: $name) -> Self {
                match g { $($name::$v => <$domain>::$v),* }
            }
        }
    };
}
pub(crate) use mirror;

mirror! {
    /// Level of government.
    Level = org::Level {
        /// Province.
        Province,
        /// Prefecture-level city.
        City,
        /// City district.
        District,
        /// County.
        County,
        /// Street or township.
        Street,
    }
}

mirror! {
    /// What kind of body a unit is.
    UnitKind = org::UnitKind {
        /// A department of the city government.
        CityDepartment,
        /// A department of a district (or county) government.
        DistrictDepartment,
        /// A public-service body.
        PublicServiceBody,
        /// An intermediary agency.
        IntermediaryAgency,
    }
}

mirror! {
    /// A staff role.
    Role = onedoor::domain::Role {
        /// Manages the centre's organisation and catalogue.
        Admin,
        /// Accepts cases at a window.
        WindowClerk,
        /// Decides workflow steps.
        Approver,
        /// Leads a unit.
        UnitLead,
        /// Guides visitors or acts for them.
        Guide,
        /// Watches time limits, evaluations and alerts.
        Supervisor,
    }
}

mirror! {
    /// The legal type of a matter.
    MatterType = cat::MatterType {
        /// 行政许可.
        Licence,
        /// 行政确认.
        Confirmation,
        /// 行政给付.
        Payment,
        /// 行政征收.
        Levy,
        /// 行政裁决.
        Ruling,
        /// 行政奖励.
        Award,
        /// 公共服务.
        PublicService,
        /// 其他行政权力.
        Other,
    }
}

mirror! {
    /// The form in which a material is handed in.
    MaterialForm = cat::MaterialForm {
        /// The original.
        Original,
        /// A photocopy.
        Copy,
        /// Original shown and copy kept.
        OriginalAndCopy,
        /// An electronic file.
        Electronic,
    }
}

mirror! {
    /// A way of handling a matter.
    HandlingMode = cat::HandlingMode {
        /// Done on the spot (马上办).
        Immediate,
        /// Done online (网上办).
        Online,
        /// Done nearby (就近办).
        Nearby,
        /// Done in at most one visit (一次办).
        OneVisit,
    }
}

mirror! {
    /// Where a matter may be applied for besides its owner centre.
    CrossCentreScope = cat::CrossCentreScope {
        /// Only at the owner centre.
        OwnerOnly,
        /// At any centre of the same region (同城通办).
        CityWide,
        /// Anywhere (异地可办).
        CrossRegion,
    }
}

mirror! {
    /// How the result reaches the applicant.
    DeliveryOption = cat::DeliveryOption {
        /// Collected at the window.
        Pickup,
        /// Sent by express.
        Express,
        /// Issued electronically.
        Electronic,
    }
}

mirror! {
    /// Where a matter stands in the catalogue.
    MatterStatus = cat::MatterStatus {
        /// Open for applications.
        Active,
        /// Temporarily closed.
        Suspended,
        /// Withdrawn for good.
        Cancelled,
        /// Replaced by a split or merge.
        Superseded,
    }
}

mirror! {
    /// A catalogue operation.
    CatalogueOperation = cat::CatalogueOperation {
        /// A new matter.
        Add,
        /// A new guide.
        Change,
        /// Split into several matters.
        Split,
        /// Merged with others.
        Merge,
        /// Closed for now.
        Suspend,
        /// Reopened.
        Resume,
        /// Withdrawn.
        Cancel,
    }
}

mirror! {
    /// Where a bundle stands.
    BundleStatus = cat::BundleStatus {
        /// Open for applications.
        Active,
        /// Withdrawn.
        Cancelled,
    }
}

/// Criteria for searching a centre's matters; all given criteria must hold.
#[derive(InputObject, Debug, Clone, Default)]
pub struct MatterFilterInput {
    /// Name contains this text (case-insensitive).
    pub name: Option<String>,
    /// Code starts with this text.
    pub code: Option<String>,
    /// Owned by this unit.
    pub unit: Option<ID>,
    /// Served by a window of this zone.
    pub zone: Option<ID>,
    /// Can be handled this way.
    pub mode: Option<HandlingMode>,
    /// Of this legal type.
    pub matter_type: Option<MatterType>,
    /// In this status (only the centre's staff and supervisors see other than ACTIVE).
    pub status: Option<MatterStatus>,
}

impl MatterFilterInput {
    /// The store's filter; ids that are not of the right kind are an error.
    pub(crate) fn into_filter(self) -> async_graphql::Result<onedoor::MatterFilter> {
        let unit = match self.unit {
            None => None,
            Some(u) => {
                Some(UnitId(decode(Kind::Unit, &u).ok_or_else(|| coded("INVALID_ID", "`unit` is not a unit id"))?.1))
            }
        };
        let zone = match self.zone {
            None => None,
            Some(z) => {
                let (c, z) = decode(Kind::Zone, &z).ok_or_else(|| coded("INVALID_ID", "`zone` is not a zone id"))?;
                Some((c, ZoneId(z)))
            }
        };
        Ok(onedoor::MatterFilter {
            name: self.name,
            code: self.code,
            unit,
            zone,
            mode: self.mode.map(Into::into),
            matter_type: self.matter_type.map(Into::into),
            status: self.status.map(Into::into),
        })
    }
}
