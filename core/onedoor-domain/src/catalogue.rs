//! The catalogue: matters with their service guides and versions, and bundles ("one thing").
//!
//! A matter's identity is stable; its guide changes by catalogue operations (add, change,
//! split, merge, suspend, resume, cancel), each producing a new numbered version that is kept,
//! so a case can hold on to the version it was accepted under.

use crate::error::{DomainError, ErrorCode, Violations};
use crate::id::{BundleId, CentreId, MatterId, StaffId, UnitId};
use crate::organisation::{Level, string_enum};
use crate::values::{Code, Fen, MatterCode, Name, TimeLimits, WorkingDays, parse_text};
use chrono::{DateTime, Utc};

string_enum! {
    /// The legal type of a matter.
    MatterType {
        /// 行政许可.
        Licence = "LICENCE",
        /// 行政确认.
        Confirmation = "CONFIRMATION",
        /// 行政给付.
        Payment = "PAYMENT",
        /// 行政征收.
        Levy = "LEVY",
        /// 行政裁决.
        Ruling = "RULING",
        /// 行政奖励.
        Award = "AWARD",
        /// 公共服务.
        PublicService = "PUBLIC_SERVICE",
        /// 其他行政权力.
        Other = "OTHER",
    }
}

string_enum! {
    /// The form in which a material is handed in.
    MaterialForm {
        /// The original document, shown and returned or kept.
        Original = "ORIGINAL",
        /// A photocopy.
        Copy = "COPY",
        /// Both the original (shown) and a copy (kept).
        OriginalAndCopy = "ORIGINAL_AND_COPY",
        /// An electronic file.
        Electronic = "ELECTRONIC",
    }
}

string_enum! {
    /// A way of handling a matter (马上办 / 网上办 / 就近办 / 一次办).
    HandlingMode {
        /// Done on the spot.
        Immediate = "IMMEDIATE",
        /// Done online.
        Online = "ONLINE",
        /// Done at a nearby (street or community) centre.
        Nearby = "NEARBY",
        /// Done with at most one visit.
        OneVisit = "ONE_VISIT",
    }
}

string_enum! {
    /// Where a matter may be applied for besides its owner centre.
    CrossCentreScope {
        /// Only at the owner centre.
        OwnerOnly = "OWNER_ONLY",
        /// At any centre of the same region (同城通办).
        CityWide = "CITY_WIDE",
        /// At any centre, in any region (异地可办).
        CrossRegion = "CROSS_REGION",
    }
}

string_enum! {
    /// How the result reaches the applicant.
    DeliveryOption {
        /// Collected at the window.
        Pickup = "PICKUP",
        /// Sent by express.
        Express = "EXPRESS",
        /// Issued electronically (e-licence).
        Electronic = "ELECTRONIC",
    }
}

string_enum! {
    /// Where a matter stands in the catalogue.
    MatterStatus {
        /// Open for applications.
        Active = "ACTIVE",
        /// Temporarily closed to new applications.
        Suspended = "SUSPENDED",
        /// Withdrawn for good.
        Cancelled = "CANCELLED",
        /// Replaced by the matters it was split into or merged into.
        Superseded = "SUPERSEDED",
    }
}

string_enum! {
    /// A catalogue operation: each produces a new version of the matters it touches.
    CatalogueOperation {
        /// A new matter.
        Add = "ADD",
        /// A new guide for a matter.
        Change = "CHANGE",
        /// A matter split into several (the source is superseded; each part is added).
        Split = "SPLIT",
        /// Several matters merged into one (the sources are superseded; the result is added).
        Merge = "MERGE",
        /// Closed to new applications for now.
        Suspend = "SUSPEND",
        /// Reopened after a suspension.
        Resume = "RESUME",
        /// Withdrawn for good.
        Cancel = "CANCEL",
    }
}

impl MatterStatus {
    /// The status after `op` is applied to a matter in this status, or why it cannot be.
    pub fn apply(self, op: CatalogueOperation) -> Result<MatterStatus, DomainError> {
        use CatalogueOperation as Op;
        use MatterStatus as S;
        let next = match (self, op) {
            (S::Active | S::Suspended, Op::Change) => Some(self),
            (S::Active | S::Suspended, Op::Split | Op::Merge) => Some(S::Superseded),
            (S::Active, Op::Suspend) => Some(S::Suspended),
            (S::Suspended, Op::Resume) => Some(S::Active),
            (S::Active | S::Suspended, Op::Cancel) => Some(S::Cancelled),
            _ => None,
        };
        next.ok_or_else(|| {
            DomainError::new(
                "",
                ErrorCode::InvalidState,
                format!("a {} matter cannot take the catalogue operation {}", self.as_str().to_lowercase(), op),
            )
        })
    }
}

/// A material the applicant hands in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Material {
    /// Name, e.g. 营业执照.
    pub name: Name,
    /// Whether it must be handed in (otherwise it is needed only in some situations).
    pub required: bool,
    /// Original, copy, both or electronic.
    pub form: MaterialForm,
    /// Number of copies.
    pub copies: u8,
    /// The e-licence type that can stand in for it, e.g. `business-licence`, if any.
    pub elicence_type: Option<Code>,
    /// Notes for the applicant.
    pub note: String,
}

/// A fee item charged for a matter.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fee {
    /// What the fee is for.
    pub item: Name,
    /// Amount in fen.
    pub amount: Fen,
    /// Its legal basis (a document, an article).
    pub basis: String,
}

/// A matter's service guide (办事指南): everything that a catalogue version fixes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Guide {
    /// Catalogue code, unique in the centre.
    pub code: MatterCode,
    /// Name.
    pub name: Name,
    /// Legal type.
    pub matter_type: MatterType,
    /// The unit that owns (decides) the matter.
    pub owner_unit: UnitId,
    /// The level of government that handles it.
    pub handling_level: Level,
    /// Legal basis.
    pub legal_basis: String,
    /// Conditions and description for applicants.
    pub description: String,
    /// Materials to hand in.
    pub materials: Vec<Material>,
    /// Statutory and promised time limits.
    pub limits: TimeLimits,
    /// Fee items (none: free of charge).
    pub fees: Vec<Fee>,
    /// Ways of handling.
    pub modes: Vec<HandlingMode>,
    /// Most visits an applicant needs to make (0: none at all, fully online).
    pub max_visits: u8,
    /// Where it may be applied for besides the owner centre.
    pub cross_scope: CrossCentreScope,
    /// How the result is delivered.
    pub delivery: Vec<DeliveryOption>,
    /// Whether an online application is available.
    pub online: bool,
}

/// A material as sent by a client, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaterialDraft {
    /// See [`Material::name`].
    pub name: String,
    /// See [`Material::required`].
    pub required: bool,
    /// See [`Material::form`].
    pub form: Option<MaterialForm>,
    /// See [`Material::copies`]; defaults to 1.
    pub copies: Option<i64>,
    /// See [`Material::elicence_type`].
    pub elicence_type: Option<String>,
    /// See [`Material::note`].
    pub note: String,
}

/// A fee item as sent by a client, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeeDraft {
    /// See [`Fee::item`].
    pub item: String,
    /// See [`Fee::amount`].
    pub amount: i64,
    /// See [`Fee::basis`].
    pub basis: String,
}

/// A guide as sent by a client, before validation. [`Guide::to_draft`] gives the draft of an
/// existing guide, so a change can patch it and validate the result as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideDraft {
    /// See [`Guide::code`].
    pub code: String,
    /// See [`Guide::name`].
    pub name: String,
    /// See [`Guide::matter_type`].
    pub matter_type: MatterType,
    /// See [`Guide::owner_unit`].
    pub owner_unit: UnitId,
    /// See [`Guide::handling_level`].
    pub handling_level: Level,
    /// See [`Guide::legal_basis`].
    pub legal_basis: String,
    /// See [`Guide::description`].
    pub description: String,
    /// See [`Guide::materials`].
    pub materials: Vec<MaterialDraft>,
    /// Statutory limit in working days.
    pub statutory_days: i64,
    /// Promised limit in working days.
    pub promised_days: i64,
    /// See [`Guide::fees`].
    pub fees: Vec<FeeDraft>,
    /// See [`Guide::modes`].
    pub modes: Vec<HandlingMode>,
    /// See [`Guide::max_visits`].
    pub max_visits: i64,
    /// See [`Guide::cross_scope`].
    pub cross_scope: CrossCentreScope,
    /// See [`Guide::delivery`].
    pub delivery: Vec<DeliveryOption>,
    /// See [`Guide::online`].
    pub online: bool,
}

fn no_duplicates<T: PartialEq + std::fmt::Display>(v: &mut Violations, field: &str, items: &[T]) {
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            v.push(DomainError::new(format!("{field}.{i}"), ErrorCode::Duplicate, format!("{item} is listed twice")));
        }
    }
}

impl MaterialDraft {
    fn parse(self) -> Result<Material, Vec<DomainError>> {
        let mut v = Violations::new();
        let name = v.take("name", Name::parse(&self.name));
        let copies = self.copies.unwrap_or(1);
        if !(0..=20).contains(&copies) {
            v.push(DomainError::new("copies", ErrorCode::OutOfRange, "between 0 and 20 copies"));
        }
        let elicence_type = match self.elicence_type.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(t) => v.take("elicenceType", Code::parse(t)).map(Some),
        };
        let note = v.take("note", parse_text(&self.note, 500, false));
        v.finish(|| {
            Some(Material {
                name: name?,
                required: self.required,
                form: self.form.unwrap_or(MaterialForm::Original),
                copies: u8::try_from(copies).ok()?,
                elicence_type: elicence_type?,
                note: note?,
            })
        })
    }
}

impl FeeDraft {
    fn parse(self) -> Result<Fee, Vec<DomainError>> {
        let mut v = Violations::new();
        let item = v.take("item", Name::parse(&self.item));
        let amount = v.take("amount", Fen::parse(self.amount));
        let basis = v.take("basis", parse_text(&self.basis, 1000, true));
        v.finish(|| Some(Fee { item: item?, amount: amount?, basis: basis? }))
    }
}

impl GuideDraft {
    /// Validates every field and the rules between them; reports every violation at once.
    pub fn parse(self) -> Result<Guide, Vec<DomainError>> {
        let mut v = Violations::new();
        let code = v.take("code", MatterCode::parse(&self.code));
        let name = v.take("name", Name::parse(&self.name));
        let legal_basis = v.take("legalBasis", parse_text(&self.legal_basis, 4000, true));
        let description = v.take("description", parse_text(&self.description, 8000, false));
        let mut materials = Vec::with_capacity(self.materials.len());
        if self.materials.len() > 100 {
            v.push(DomainError::new("materials", ErrorCode::OutOfRange, "at most 100 materials"));
        }
        for (i, m) in self.materials.into_iter().enumerate() {
            match m.parse() {
                Ok(m) => materials.push(m),
                Err(es) => v.extend_under(&format!("materials.{i}"), es),
            }
        }
        let names: Vec<&str> = materials.iter().map(|m| m.name.as_str()).collect();
        no_duplicates(&mut v, "materials", &names);
        let statutory = v.take("statutoryDays", WorkingDays::parse(self.statutory_days));
        let promised = v.take("promisedDays", WorkingDays::parse(self.promised_days));
        let limits = match (statutory, promised) {
            (Some(s), Some(p)) => v.take("", TimeLimits::new(s, p)),
            _ => None,
        };
        let mut fees = Vec::with_capacity(self.fees.len());
        for (i, f) in self.fees.into_iter().enumerate() {
            match f.parse() {
                Ok(f) => fees.push(f),
                Err(es) => v.extend_under(&format!("fees.{i}"), es),
            }
        }
        if self.modes.is_empty() {
            v.push(DomainError::new("modes", ErrorCode::TooFew, "a matter has at least one way of handling"));
        }
        no_duplicates(&mut v, "modes", &self.modes);
        no_duplicates(&mut v, "delivery", &self.delivery);
        if self.delivery.is_empty() {
            v.push(DomainError::new("delivery", ErrorCode::TooFew, "a matter has at least one delivery option"));
        }
        if !(0..=10).contains(&self.max_visits) {
            v.push(DomainError::new("maxVisits", ErrorCode::OutOfRange, "between 0 and 10 visits"));
        }
        if self.modes.contains(&HandlingMode::OneVisit) && self.max_visits > 1 {
            v.push(DomainError::new("maxVisits", ErrorCode::OutOfRange, "a one-visit matter needs at most 1 visit"));
        }
        if self.modes.contains(&HandlingMode::Online) && !self.online {
            v.push(DomainError::new(
                "online",
                ErrorCode::InvalidState,
                "an online-handled matter must be available online",
            ));
        }
        if self.max_visits == 0 && !self.online {
            v.push(DomainError::new("maxVisits", ErrorCode::OutOfRange, "only an online matter can need no visit"));
        }
        if self.modes.contains(&HandlingMode::Immediate) && limits.is_some_and(|l| l.promised().get() > 0) {
            v.push(DomainError::new(
                "promisedDays",
                ErrorCode::OutOfRange,
                "an immediately handled matter promises 0 working days",
            ));
        }
        let (mut modes, mut delivery) = (self.modes, self.delivery);
        modes.sort();
        modes.dedup();
        delivery.sort();
        delivery.dedup();
        v.finish(|| {
            Some(Guide {
                code: code?,
                name: name?,
                matter_type: self.matter_type,
                owner_unit: self.owner_unit,
                handling_level: self.handling_level,
                legal_basis: legal_basis?,
                description: description?,
                materials,
                limits: limits?,
                fees,
                modes,
                max_visits: u8::try_from(self.max_visits).ok()?,
                cross_scope: self.cross_scope,
                delivery,
                online: self.online,
            })
        })
    }
}

impl Guide {
    /// The draft this guide was (or could have been) parsed from.
    pub fn to_draft(&self) -> GuideDraft {
        GuideDraft {
            code: self.code.to_string(),
            name: self.name.to_string(),
            matter_type: self.matter_type,
            owner_unit: self.owner_unit,
            handling_level: self.handling_level,
            legal_basis: self.legal_basis.clone(),
            description: self.description.clone(),
            materials: self
                .materials
                .iter()
                .map(|m| MaterialDraft {
                    name: m.name.to_string(),
                    required: m.required,
                    form: Some(m.form),
                    copies: Some(i64::from(m.copies)),
                    elicence_type: m.elicence_type.as_ref().map(ToString::to_string),
                    note: m.note.clone(),
                })
                .collect(),
            statutory_days: self.limits.statutory().into(),
            promised_days: self.limits.promised().into(),
            fees: self
                .fees
                .iter()
                .map(|f| FeeDraft { item: f.item.to_string(), amount: f.amount.get(), basis: f.basis.clone() })
                .collect(),
            modes: self.modes.clone(),
            max_visits: i64::from(self.max_visits),
            cross_scope: self.cross_scope,
            delivery: self.delivery.clone(),
            online: self.online,
        }
    }

    /// Total of the fee items, in fen.
    pub fn total_fee(&self) -> i64 {
        self.fees.iter().map(|f| f.amount.get()).sum()
    }
}

/// A matter as it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matter {
    /// Identity, stable across versions.
    pub id: MatterId,
    /// The owner centre.
    pub centre: CentreId,
    /// Current version number, from 1.
    pub version: u32,
    /// Current status.
    pub status: MatterStatus,
    /// Current guide.
    pub guide: Guide,
    /// When the current version was made.
    pub updated_at: DateTime<Utc>,
}

impl Matter {
    /// A new, active matter at version 1.
    pub fn first_version(id: MatterId, centre: CentreId, guide: Guide, at: DateTime<Utc>) -> Matter {
        Matter { id, centre, version: 1, status: MatterStatus::Active, guide, updated_at: at }
    }
}

/// One version of a matter, kept for ever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatterVersion {
    /// The matter.
    pub matter: MatterId,
    /// The owner centre.
    pub centre: CentreId,
    /// Version number, from 1.
    pub version: u32,
    /// The operation that made it.
    pub operation: CatalogueOperation,
    /// Status after the operation.
    pub status: MatterStatus,
    /// The guide in this version.
    pub guide: Guide,
    /// Matters on the other side of a split or merge (sources for an added part, results for
    /// a superseded source).
    pub related: Vec<MatterId>,
    /// Who made it (none for imports).
    pub actor: Option<StaffId>,
    /// Why, in the operator's words.
    pub note: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Checks the sources of a merge: at least two, no duplicates.
pub fn check_merge_sources(sources: &[MatterId]) -> Result<(), DomainError> {
    if sources.len() < 2 {
        return Err(DomainError::new("sources", ErrorCode::TooFew, "a merge takes at least two matters"));
    }
    if sources.iter().enumerate().any(|(i, s)| sources[..i].contains(s)) {
        return Err(DomainError::new("sources", ErrorCode::Duplicate, "a matter is listed twice"));
    }
    Ok(())
}

/// Checks the parts of a split: at least two.
pub fn check_split_parts(parts: usize) -> Result<(), DomainError> {
    if parts < 2 {
        return Err(DomainError::new("parts", ErrorCode::TooFew, "a split yields at least two matters"));
    }
    Ok(())
}

string_enum! {
    /// Where a bundle stands.
    BundleStatus {
        /// Open for applications.
        Active = "ACTIVE",
        /// Withdrawn.
        Cancelled = "CANCELLED",
    }
}

/// A bundle ("one thing", 一件事): several matters applied for together, with one lead unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// Identity.
    pub id: BundleId,
    /// The owner centre.
    pub centre: CentreId,
    /// Code, unique in the centre.
    pub code: Code,
    /// Name, e.g. 开办企业一件事.
    pub name: Name,
    /// Description for applicants.
    pub description: String,
    /// The lead unit.
    pub lead_unit: UnitId,
    /// The matters, in order.
    pub matters: Vec<MatterId>,
    /// Status.
    pub status: BundleStatus,
}

/// A bundle as sent by a client, with the owner units of its matters looked up.
#[derive(Debug, Clone)]
pub struct BundleDraft {
    /// See [`Bundle::code`].
    pub code: String,
    /// See [`Bundle::name`].
    pub name: String,
    /// See [`Bundle::description`].
    pub description: String,
    /// See [`Bundle::lead_unit`].
    pub lead_unit: UnitId,
    /// The matters with their owner units and statuses.
    pub matters: Vec<(MatterId, UnitId, MatterStatus)>,
}

impl BundleDraft {
    /// Validates: at least two distinct active matters, and a lead unit that owns one of them.
    pub fn parse(self, id: BundleId, centre: CentreId) -> Result<Bundle, Vec<DomainError>> {
        let mut v = Violations::new();
        let code = v.take("code", Code::parse(&self.code));
        let name = v.take("name", Name::parse(&self.name));
        let description = v.take("description", parse_text(&self.description, 8000, false));
        let ids: Vec<MatterId> = self.matters.iter().map(|m| m.0).collect();
        if ids.len() < 2 {
            v.push(DomainError::new("matters", ErrorCode::TooFew, "a bundle has at least two matters"));
        }
        no_duplicates(&mut v, "matters", &ids);
        for (i, (_, _, status)) in self.matters.iter().enumerate() {
            if *status != MatterStatus::Active {
                v.push(DomainError::new(
                    format!("matters.{i}"),
                    ErrorCode::InvalidState,
                    format!("a {} matter cannot join a bundle", status.as_str().to_lowercase()),
                ));
            }
        }
        if !self.matters.iter().any(|(_, owner, _)| *owner == self.lead_unit) {
            v.push(DomainError::new(
                "leadUnit",
                ErrorCode::InvalidReference,
                "the lead unit must own one of the bundle's matters",
            ));
        }
        v.finish(|| {
            Some(Bundle {
                id,
                centre,
                code: code?,
                name: name?,
                description: description?,
                lead_unit: self.lead_unit,
                matters: ids,
                status: BundleStatus::Active,
            })
        })
    }
}

impl Bundle {
    /// The supporting units: owners of the bundle's matters other than the lead, each once,
    /// in the order of the matters.
    pub fn supporting_units(&self, owner_of: impl Fn(MatterId) -> Option<UnitId>) -> Vec<UnitId> {
        let mut out = Vec::new();
        for m in &self.matters {
            if let Some(u) = owner_of(*m)
                && u != self.lead_unit
                && !out.contains(&u)
            {
                out.push(u);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn draft() -> GuideDraft {
        GuideDraft {
            code: "62080000SC-XK-0001".into(),
            name: "食品经营许可".into(),
            matter_type: MatterType::Licence,
            owner_unit: UnitId(Uuid::nil()),
            handling_level: Level::City,
            legal_basis: "《食品安全法》第三十五条".into(),
            description: String::new(),
            materials: vec![MaterialDraft { name: "营业执照".into(), required: true, ..Default::default() }],
            statutory_days: 20,
            promised_days: 5,
            fees: vec![],
            modes: vec![HandlingMode::OneVisit, HandlingMode::Online],
            max_visits: 1,
            cross_scope: CrossCentreScope::CityWide,
            delivery: vec![DeliveryOption::Pickup],
            online: true,
        }
    }

    fn codes(r: Result<Guide, Vec<DomainError>>) -> Vec<(String, &'static str)> {
        r.err().unwrap_or_default().into_iter().map(|e| (e.field, e.code.as_str())).collect()
    }

    #[test]
    fn a_valid_guide_round_trips_through_its_draft() {
        let g = draft().parse().expect("valid");
        assert_eq!(g.to_draft().parse(), Ok(g));
    }

    #[test]
    fn every_violation_is_reported_at_once() {
        let mut d = draft();
        d.code = "x".into();
        d.promised_days = 30;
        d.materials.push(MaterialDraft { name: "营业执照".into(), ..Default::default() });
        d.modes.clear();
        d.fees.push(FeeDraft { item: "工本费".into(), amount: -5, basis: String::new() });
        assert_eq!(
            codes(d.parse()),
            vec![
                ("code".into(), "INVALID_CODE"),
                ("materials.1".into(), "DUPLICATE"),
                ("promisedDays".into(), "PROMISED_EXCEEDS_STATUTORY"),
                ("fees.0.amount".into(), "OUT_OF_RANGE"),
                ("fees.0.basis".into(), "REQUIRED"),
                ("modes".into(), "TOO_FEW"),
            ]
        );
    }

    #[test]
    fn status_transitions() {
        use CatalogueOperation as Op;
        use MatterStatus as S;
        assert_eq!(S::Active.apply(Op::Suspend), Ok(S::Suspended));
        assert_eq!(S::Suspended.apply(Op::Resume), Ok(S::Active));
        assert_eq!(S::Suspended.apply(Op::Change), Ok(S::Suspended));
        assert_eq!(S::Active.apply(Op::Split), Ok(S::Superseded));
        assert!(S::Active.apply(Op::Resume).is_err());
        assert!(S::Cancelled.apply(Op::Change).is_err());
        assert!(S::Superseded.apply(Op::Cancel).is_err());
    }

    #[test]
    fn bundles_need_two_active_matters_and_an_owning_lead() {
        let (u1, u2, u3) = (UnitId(Uuid::from_u128(1)), UnitId(Uuid::from_u128(2)), UnitId(Uuid::from_u128(3)));
        let (m1, m2) = (MatterId(Uuid::from_u128(1)), MatterId(Uuid::from_u128(2)));
        let d = |lead, ms: Vec<(MatterId, UnitId, MatterStatus)>| BundleDraft {
            code: "start-up".into(),
            name: "开办企业".into(),
            description: String::new(),
            lead_unit: lead,
            matters: ms,
        };
        let b = d(u1, vec![(m1, u1, MatterStatus::Active), (m2, u2, MatterStatus::Active)])
            .parse(BundleId(Uuid::nil()), CentreId(Uuid::nil()))
            .expect("valid");
        assert_eq!(b.supporting_units(|m| if m == m1 { Some(u1) } else { Some(u2) }), vec![u2]);
        let bad = d(u3, vec![(m1, u1, MatterStatus::Suspended)]).parse(BundleId(Uuid::nil()), CentreId(Uuid::nil()));
        let got: Vec<_> = bad.err().unwrap_or_default().into_iter().map(|e| (e.field, e.code.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("matters".into(), "TOO_FEW"),
                ("matters.0".into(), "INVALID_STATE"),
                ("leadUnit".into(), "INVALID_REFERENCE"),
            ]
        );
    }
}
