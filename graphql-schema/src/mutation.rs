//! Mutations: each takes one `input` and returns a payload with `userErrors`. A mutation
//! that reports user errors has written nothing.

use crate::error::{UserError, user_errors};
use crate::ids::{Kind, decode};
use crate::scalars::*;
use crate::types::*;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use onedoor::domain::catalogue::{self as cat, FeeDraft, GuideDraft, MaterialDraft};
use onedoor::domain::{BundleId, CentreId, HallId, MatterId, Roles, StaffId, UnitId, WindowId, ZoneId};
use onedoor::{GuidePatch, StaffPatch, WindowPatch};
use uuid::Uuid;

/// Decodes ids of one kind, collecting an `INVALID_ID` user error for each bad one.
struct Ids(Vec<UserError>);

impl Ids {
    fn one(&mut self, kind: Kind, field: &str, id: &ID) -> (CentreId, Uuid) {
        decode(kind, id).unwrap_or_else(|| {
            self.0.push(UserError::bad_id(field));
            (CentreId(Uuid::nil()), Uuid::nil())
        })
    }

    fn opt(&mut self, kind: Kind, field: &str, id: Option<&ID>) -> Option<(CentreId, Uuid)> {
        id.map(|id| self.one(kind, field, id))
    }

    fn many(&mut self, kind: Kind, field: &str, ids: &[ID]) -> Vec<(CentreId, Uuid)> {
        ids.iter().enumerate().map(|(i, id)| self.one(kind, &format!("{field}.{i}"), id)).collect()
    }
}

/// The payload's value and user errors from a use case's result.
pub(crate) fn finish<T, U>(r: onedoor::Result<T>, wrap: impl FnOnce(T) -> U) -> Result<(Option<U>, Vec<UserError>)> {
    match r {
        Ok(v) => Ok((Some(wrap(v)), Vec::new())),
        Err(e) => Ok((None, user_errors(e)?)),
    }
}

macro_rules! payload {
    ($(#[$doc:meta])* $name:ident, $field:ident: $ty:ty) => {
        $(#[$doc])*
        #[derive(SimpleObject)]
        pub struct $name {
            /// The result, when the mutation succeeded.
            pub $field: Option<$ty>,
            /// What was wrong with the input; empty on success.
            pub user_errors: Vec<UserError>,
        }

        impl $name {
            fn of(r: (Option<$ty>, Vec<UserError>)) -> Self {
                $name { $field: r.0, user_errors: r.1 }
            }

            #[allow(dead_code)]
            fn errors(user_errors: Vec<UserError>) -> Self {
                $name { $field: None, user_errors }
            }
        }
    };
}

pub(crate) use payload;

payload!(/// Result of a centre mutation.
    CentrePayload, centre: CentreObj);
payload!(/// Result of a hall mutation.
    HallPayload, hall: HallObj);
payload!(/// Result of a zone mutation.
    ZonePayload, zone: ZoneObj);
payload!(/// Result of a window mutation.
    WindowPayload, window: WindowObj);
payload!(/// Result of a unit mutation.
    UnitPayload, unit: UnitObj);
payload!(/// Result of a staff mutation.
    StaffPayload, staff: StaffObj);
payload!(/// Result of a matter mutation.
    MatterPayload, matter: MatterObj);
payload!(/// Result of a bundle mutation.
    BundlePayload, bundle: BundleObj);

/// Result of a split: the new matters.
#[derive(SimpleObject)]
pub struct SplitMatterPayload {
    /// The matters the source was split into.
    pub parts: Option<Vec<MatterObj>>,
    /// What was wrong with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Creates a child centre of the caller's centre.
#[derive(InputObject)]
pub struct CreateCentreInput {
    /// Unique code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Level (below the caller's centre).
    pub level: Level,
    /// Region code; defaults to the parent's.
    pub region: Option<String>,
}

/// Creates a hall run by the caller's centre.
#[derive(InputObject)]
pub struct CreateHallInput {
    /// Code, unique in the centre.
    pub code: String,
    /// Name.
    pub name: String,
    /// Street address.
    #[graphql(default)]
    pub address: String,
}

/// Lets another centre share a hall of the caller's centre.
#[derive(InputObject)]
pub struct AddHallMemberInput {
    /// The hall.
    pub hall: ID,
    /// The centre's code.
    pub centre: String,
}

/// Creates a zone in a hall of the caller's centre.
#[derive(InputObject)]
pub struct CreateZoneInput {
    /// The hall.
    pub hall: ID,
    /// Code, unique in the hall (prefixes queue tickets).
    pub code: String,
    /// Name.
    pub name: String,
}

/// Creates a window.
#[derive(InputObject)]
pub struct CreateWindowInput {
    /// The hall.
    pub hall: ID,
    /// The zone (of that hall).
    pub zone: ID,
    /// Number, unique in the hall.
    pub number: String,
    /// Name.
    pub name: String,
    /// Matters served, of any centre sharing the hall.
    #[graphql(default)]
    pub matters: Vec<ID>,
}

/// Changes a window.
#[derive(InputObject)]
pub struct UpdateWindowInput {
    /// The window.
    pub id: ID,
    /// New name.
    pub name: Option<String>,
    /// New zone.
    pub zone: Option<ID>,
    /// The whole new list of matters served.
    pub matters: Option<Vec<ID>>,
}

/// Creates a unit in the caller's centre.
#[derive(InputObject)]
pub struct CreateUnitInput {
    /// Code, unique in the centre.
    pub code: String,
    /// Name.
    pub name: String,
    /// Kind of body.
    pub kind: UnitKind,
}

/// Changes a unit.
#[derive(InputObject)]
pub struct UpdateUnitInput {
    /// The unit.
    pub id: ID,
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<UnitKind>,
}

/// Creates a member of staff in the caller's centre.
#[derive(InputObject)]
pub struct CreateStaffInput {
    /// Staff number, unique in the centre.
    pub code: String,
    /// Name.
    pub name: String,
    /// Their unit.
    pub unit: Option<ID>,
    /// Roles (at least one).
    pub roles: Vec<Role>,
}

/// Changes a member of staff.
#[derive(InputObject)]
pub struct UpdateStaffInput {
    /// The member of staff.
    pub id: ID,
    /// New name.
    pub name: Option<String>,
    /// New unit.
    pub unit: Option<ID>,
    /// Take them out of any unit.
    #[graphql(default)]
    pub clear_unit: bool,
    /// New roles.
    pub roles: Option<Vec<Role>>,
    /// Active or not.
    pub active: Option<bool>,
}

/// A material of a service guide.
#[derive(InputObject, Clone)]
pub struct MaterialInput {
    /// Name.
    pub name: String,
    /// Whether it must be handed in.
    #[graphql(default = true)]
    pub required: bool,
    /// Form; defaults to ORIGINAL.
    pub form: Option<MaterialForm>,
    /// Copies; defaults to 1.
    pub copies: Option<i32>,
    /// The e-licence type that can stand in for it.
    pub elicence_type: Option<String>,
    /// Notes.
    #[graphql(default)]
    pub note: String,
}

/// A fee item of a service guide.
#[derive(InputObject, Clone)]
pub struct FeeInput {
    /// What it is for.
    pub item: String,
    /// Amount in fen.
    pub amount: i64,
    /// Legal basis.
    pub basis: String,
}

/// A complete service guide.
#[derive(InputObject, Clone)]
pub struct ServiceGuideInput {
    /// Catalogue code, unique in the centre.
    pub code: String,
    /// Name.
    pub name: String,
    /// Legal type.
    pub matter_type: MatterType,
    /// The owner unit (of the caller's centre).
    pub owner_unit: ID,
    /// Handling level.
    pub handling_level: Level,
    /// Legal basis.
    pub legal_basis: String,
    /// Conditions and description.
    #[graphql(default)]
    pub description: String,
    /// Materials.
    #[graphql(default)]
    pub materials: Vec<MaterialInput>,
    /// Statutory limit in working days.
    pub statutory_days: i32,
    /// Promised limit in working days (≤ statutory).
    pub promised_days: i32,
    /// Fee items.
    #[graphql(default)]
    pub fees: Vec<FeeInput>,
    /// Ways of handling (at least one).
    pub modes: Vec<HandlingMode>,
    /// Most visits needed.
    #[graphql(default = 1)]
    pub max_visits: i32,
    /// Where else it may be applied for.
    #[graphql(default_with = "CrossCentreScope::OwnerOnly")]
    pub cross_scope: CrossCentreScope,
    /// Delivery options (at least one).
    pub delivery: Vec<DeliveryOption>,
    /// Whether an online application is available.
    #[graphql(default)]
    pub online: bool,
}

/// Changes to a service guide: omitted fields keep their value.
#[derive(InputObject, Default)]
#[allow(missing_docs)]
pub struct ServiceGuidePatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub matter_type: Option<MatterType>,
    pub owner_unit: Option<ID>,
    pub handling_level: Option<Level>,
    pub legal_basis: Option<String>,
    pub description: Option<String>,
    pub materials: Option<Vec<MaterialInput>>,
    pub statutory_days: Option<i32>,
    pub promised_days: Option<i32>,
    pub fees: Option<Vec<FeeInput>>,
    pub modes: Option<Vec<HandlingMode>>,
    pub max_visits: Option<i32>,
    pub cross_scope: Option<CrossCentreScope>,
    pub delivery: Option<Vec<DeliveryOption>>,
    pub online: Option<bool>,
}

fn materials(ms: Vec<MaterialInput>) -> Vec<MaterialDraft> {
    ms.into_iter()
        .map(|m| MaterialDraft {
            name: m.name,
            required: m.required,
            form: m.form.map(Into::into),
            copies: m.copies.map(i64::from),
            elicence_type: m.elicence_type,
            note: m.note,
        })
        .collect()
}

fn fees(fs: Vec<FeeInput>) -> Vec<FeeDraft> {
    fs.into_iter().map(|f| FeeDraft { item: f.item, amount: f.amount, basis: f.basis }).collect()
}

impl ServiceGuideInput {
    fn draft(self, ids: &mut Ids, field: &str) -> GuideDraft {
        let (_, unit) = ids.one(Kind::Unit, &format!("{field}.ownerUnit"), &self.owner_unit);
        GuideDraft {
            code: self.code,
            name: self.name,
            matter_type: self.matter_type.into(),
            owner_unit: UnitId(unit),
            handling_level: self.handling_level.into(),
            legal_basis: self.legal_basis,
            description: self.description,
            materials: materials(self.materials),
            statutory_days: i64::from(self.statutory_days),
            promised_days: i64::from(self.promised_days),
            fees: fees(self.fees),
            modes: self.modes.into_iter().map(Into::into).collect(),
            max_visits: i64::from(self.max_visits),
            cross_scope: self.cross_scope.into(),
            delivery: self.delivery.into_iter().map(Into::into).collect(),
            online: self.online,
        }
    }
}

impl ServiceGuidePatch {
    fn patch(self, ids: &mut Ids) -> GuidePatch {
        let unit = ids.opt(Kind::Unit, "guide.ownerUnit", self.owner_unit.as_ref());
        GuidePatch {
            code: self.code,
            name: self.name,
            matter_type: self.matter_type.map(Into::into),
            owner_unit: unit.map(|u| UnitId(u.1)),
            handling_level: self.handling_level.map(Into::into),
            legal_basis: self.legal_basis,
            description: self.description,
            materials: self.materials.map(materials),
            statutory_days: self.statutory_days.map(i64::from),
            promised_days: self.promised_days.map(i64::from),
            fees: self.fees.map(fees),
            modes: self.modes.map(|m| m.into_iter().map(Into::into).collect()),
            max_visits: self.max_visits.map(i64::from),
            cross_scope: self.cross_scope.map(Into::into),
            delivery: self.delivery.map(|d| d.into_iter().map(Into::into).collect()),
            online: self.online,
        }
    }
}

/// Adds a matter to the caller's centre.
#[derive(InputObject)]
pub struct AddMatterInput {
    /// The service guide.
    pub guide: ServiceGuideInput,
    /// Why, for the version history.
    #[graphql(default)]
    pub note: String,
}

/// Changes a matter's guide (a new version).
#[derive(InputObject)]
pub struct ChangeMatterInput {
    /// The matter.
    pub id: ID,
    /// Fail with `CONFLICT` unless the matter is still at this version.
    pub expected_version: Option<i32>,
    /// The changes.
    pub guide: ServiceGuidePatch,
    /// Why.
    #[graphql(default)]
    pub note: String,
}

/// Splits a matter into several new ones.
#[derive(InputObject)]
pub struct SplitMatterInput {
    /// The matter to split (it becomes SUPERSEDED).
    pub id: ID,
    /// Fail with `CONFLICT` unless the matter is still at this version.
    pub expected_version: Option<i32>,
    /// The new matters (at least two).
    pub parts: Vec<ServiceGuideInput>,
    /// Why.
    #[graphql(default)]
    pub note: String,
}

/// Merges several matters into one new one.
#[derive(InputObject)]
pub struct MergeMattersInput {
    /// The matters to merge (at least two; they become SUPERSEDED).
    pub sources: Vec<ID>,
    /// The merged matter.
    pub result: ServiceGuideInput,
    /// Why.
    #[graphql(default)]
    pub note: String,
}

/// Suspends, resumes or cancels a matter.
#[derive(InputObject)]
pub struct MatterStatusInput {
    /// The matter.
    pub id: ID,
    /// Why.
    #[graphql(default)]
    pub note: String,
}

/// Creates a bundle.
#[derive(InputObject)]
pub struct CreateBundleInput {
    /// Code, unique in the centre.
    pub code: String,
    /// Name.
    pub name: String,
    /// Description.
    #[graphql(default)]
    pub description: String,
    /// The lead unit (owns one of the matters).
    pub lead_unit: ID,
    /// The matters (at least two, active).
    pub matters: Vec<ID>,
}

/// Cancels a bundle.
#[derive(InputObject)]
pub struct CancelBundleInput {
    /// The bundle.
    pub id: ID,
}

/// Mutations of the organisation and the catalogue (admin role).
#[derive(Debug, Default)]
pub struct CatalogueMutation;

#[Object]
impl CatalogueMutation {
    /// Creates a child centre of the caller's centre.
    async fn create_centre(&self, ctx: &Context<'_>, input: CreateCentreInput) -> Result<CentrePayload> {
        let (od, caller) = parts(ctx);
        let r =
            od.create_centre(Some(caller), &input.code, &input.name, input.level.into(), input.region.as_deref()).await;
        Ok(CentrePayload::of(finish(r, CentreObj)?))
    }

    /// Creates a hall run by the caller's centre.
    async fn create_hall(&self, ctx: &Context<'_>, input: CreateHallInput) -> Result<HallPayload> {
        let (od, caller) = parts(ctx);
        Ok(HallPayload::of(finish(od.create_hall(caller, &input.code, &input.name, &input.address).await, HallObj)?))
    }

    /// Lets another centre share a hall run by the caller's centre.
    async fn add_hall_member(&self, ctx: &Context<'_>, input: AddHallMemberInput) -> Result<HallPayload> {
        let (od, caller) = parts(ctx);
        let mut ids = Ids(Vec::new());
        let (_, hall) = ids.one(Kind::Hall, "hall", &input.hall);
        if !ids.0.is_empty() {
            return Ok(HallPayload::errors(ids.0));
        }
        let Some(member) = od.centre_id(&input.centre).await.map_err(crate::error::query_error)? else {
            return Ok(HallPayload::errors(vec![UserError::new("centre", "NOT_FOUND", "no centre has this code")]));
        };
        Ok(HallPayload::of(finish(od.add_hall_member(caller, HallId(hall), member).await, HallObj)?))
    }

    /// Creates a zone in a hall of the caller's centre.
    async fn create_zone(&self, ctx: &Context<'_>, input: CreateZoneInput) -> Result<ZonePayload> {
        let (od, caller) = parts(ctx);
        let mut ids = Ids(Vec::new());
        let (_, hall) = ids.one(Kind::Hall, "hall", &input.hall);
        if !ids.0.is_empty() {
            return Ok(ZonePayload::errors(ids.0));
        }
        Ok(ZonePayload::of(finish(od.create_zone(caller, HallId(hall), &input.code, &input.name).await, ZoneObj)?))
    }

    /// Creates a window in a hall of the caller's centre.
    async fn create_window(&self, ctx: &Context<'_>, input: CreateWindowInput) -> Result<WindowPayload> {
        let (od, caller) = parts(ctx);
        let mut ids = Ids(Vec::new());
        let (_, hall) = ids.one(Kind::Hall, "hall", &input.hall);
        let (_, zone) = ids.one(Kind::Zone, "zone", &input.zone);
        let matters: Vec<_> =
            ids.many(Kind::Matter, "matters", &input.matters).into_iter().map(|(c, m)| (c, MatterId(m))).collect();
        if !ids.0.is_empty() {
            return Ok(WindowPayload::errors(ids.0));
        }
        let r = od.create_window(caller, HallId(hall), ZoneId(zone), &input.number, &input.name, &matters).await;
        Ok(WindowPayload::of(finish(r, WindowObj)?))
    }

    /// Changes a window of the caller's centre.
    async fn update_window(&self, ctx: &Context<'_>, input: UpdateWindowInput) -> Result<WindowPayload> {
        let (od, caller) = parts(ctx);
        let mut ids = Ids(Vec::new());
        let (_, id) = ids.one(Kind::Window, "id", &input.id);
        let zone = ids.opt(Kind::Zone, "zone", input.zone.as_ref()).map(|z| ZoneId(z.1));
        let matters = input
            .matters
            .as_deref()
            .map(|ms| ids.many(Kind::Matter, "matters", ms).into_iter().map(|(c, m)| (c, MatterId(m))).collect());
        if !ids.0.is_empty() {
            return Ok(WindowPayload::errors(ids.0));
        }
        let r = od.update_window(caller, WindowId(id), WindowPatch { name: input.name, zone, matters }).await;
        Ok(WindowPayload::of(finish(r, WindowObj)?))
    }

    /// Creates a unit in the caller's centre.
    async fn create_unit(&self, ctx: &Context<'_>, input: CreateUnitInput) -> Result<UnitPayload> {
        let (od, caller) = parts(ctx);
        Ok(UnitPayload::of(finish(od.create_unit(caller, &input.code, &input.name, input.kind.into()).await, UnitObj)?))
    }

    /// Changes a unit of the caller's centre.
    async fn update_unit(&self, ctx: &Context<'_>, input: UpdateUnitInput) -> Result<UnitPayload> {
        let (od, caller) = parts(ctx);
        let mut ids = Ids(Vec::new());
        let (_, id) = ids.one(Kind::Unit, "id", &input.id);
        if !ids.0.is_empty() {
            return Ok(UnitPayload::errors(ids.0));
        }
        let r = od.update_unit(caller, UnitId(id), input.name.as_deref(), input.kind.map(Into::into)).await;
        Ok(UnitPayload::of(finish(r, UnitObj)?))
    }

    /// Creates a member of staff in the caller's centre.
    async fn create_staff(&self, ctx: &Context<'_>, input: CreateStaffInput) -> Result<StaffPayload> {
        let (od, caller) = parts(ctx);
        let mut ids = Ids(Vec::new());
        let unit = ids.opt(Kind::Unit, "unit", input.unit.as_ref()).map(|u| UnitId(u.1));
        if !ids.0.is_empty() {
            return Ok(StaffPayload::errors(ids.0));
        }
        let roles: Roles = input.roles.into_iter().map(Into::into).collect();
        Ok(StaffPayload::of(finish(od.create_staff(caller, &input.code, &input.name, unit, roles).await, StaffObj)?))
    }

    /// Changes a member of staff of the caller's centre.
    async fn update_staff(&self, ctx: &Context<'_>, input: UpdateStaffInput) -> Result<StaffPayload> {
        let (od, caller) = parts(ctx);
        let mut ids = Ids(Vec::new());
        let (_, id) = ids.one(Kind::Staff, "id", &input.id);
        let unit = ids.opt(Kind::Unit, "unit", input.unit.as_ref()).map(|u| UnitId(u.1));
        if !ids.0.is_empty() {
            return Ok(StaffPayload::errors(ids.0));
        }
        let patch = StaffPatch {
            name: input.name,
            unit: if input.clear_unit { Some(None) } else { unit.map(Some) },
            roles: input.roles.map(|rs| rs.into_iter().map(Into::into).collect()),
            active: input.active,
        };
        Ok(StaffPayload::of(finish(od.update_staff(caller, StaffId(id), patch).await, StaffObj)?))
    }

    /// Adds a matter to the caller's centre (version 1).
    async fn add_matter(&self, ctx: &Context<'_>, input: AddMatterInput) -> Result<MatterPayload> {
        let (od, caller) = parts(ctx);
        let mut ids = Ids(Vec::new());
        let draft = input.guide.draft(&mut ids, "guide");
        if !ids.0.is_empty() {
            return Ok(MatterPayload::errors(ids.0));
        }
        let r = od.add_matter(caller, draft, &input.note).await.map_err(|e| nest(e, "guide"));
        Ok(MatterPayload::of(finish(r, MatterObj)?))
    }

    /// Changes a matter's guide: a new version.
    async fn change_matter(&self, ctx: &Context<'_>, input: ChangeMatterInput) -> Result<MatterPayload> {
        let (od, caller) = parts(ctx);
        let mut ids = Ids(Vec::new());
        let (_, id) = ids.one(Kind::Matter, "id", &input.id);
        let patch = input.guide.patch(&mut ids);
        if !ids.0.is_empty() {
            return Ok(MatterPayload::errors(ids.0));
        }
        let expected = match input.expected_version.map(u32::try_from) {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(_)) => {
                return Ok(MatterPayload::errors(vec![UserError::new(
                    "expectedVersion",
                    "OUT_OF_RANGE",
                    "not a version",
                )]));
            }
        };
        let r = od.change_matter(caller, MatterId(id), expected, patch, &input.note).await;
        Ok(MatterPayload::of(finish(r, MatterObj)?))
    }

    /// Splits a matter into at least two new ones; the source becomes SUPERSEDED.
    async fn split_matter(&self, ctx: &Context<'_>, input: SplitMatterInput) -> Result<SplitMatterPayload> {
        let (od, caller) = parts(ctx);
        let mut ids = Ids(Vec::new());
        let (_, id) = ids.one(Kind::Matter, "id", &input.id);
        let parts_: Vec<GuideDraft> =
            input.parts.into_iter().enumerate().map(|(i, p)| p.draft(&mut ids, &format!("parts.{i}"))).collect();
        let expected = input.expected_version.and_then(|v| u32::try_from(v).ok());
        if !ids.0.is_empty() {
            return Ok(SplitMatterPayload { parts: None, user_errors: ids.0 });
        }
        let r = od.split_matter(caller, MatterId(id), expected, parts_, &input.note).await;
        let (parts, user_errors) = finish(r, |ms| ms.into_iter().map(MatterObj).collect())?;
        Ok(SplitMatterPayload { parts, user_errors })
    }

    /// Merges at least two matters into a new one; the sources become SUPERSEDED.
    async fn merge_matters(&self, ctx: &Context<'_>, input: MergeMattersInput) -> Result<MatterPayload> {
        let (od, caller) = parts(ctx);
        let mut ids = Ids(Vec::new());
        let sources: Vec<MatterId> =
            ids.many(Kind::Matter, "sources", &input.sources).into_iter().map(|m| MatterId(m.1)).collect();
        let draft = input.result.draft(&mut ids, "result");
        if !ids.0.is_empty() {
            return Ok(MatterPayload::errors(ids.0));
        }
        Ok(MatterPayload::of(finish(od.merge_matters(caller, &sources, draft, &input.note).await, MatterObj)?))
    }

    /// Suspends an active matter: closed to new applications for now.
    async fn suspend_matter(&self, ctx: &Context<'_>, input: MatterStatusInput) -> Result<MatterPayload> {
        status(ctx, input, cat::CatalogueOperation::Suspend).await
    }

    /// Resumes a suspended matter.
    async fn resume_matter(&self, ctx: &Context<'_>, input: MatterStatusInput) -> Result<MatterPayload> {
        status(ctx, input, cat::CatalogueOperation::Resume).await
    }

    /// Cancels a matter for good.
    async fn cancel_matter(&self, ctx: &Context<'_>, input: MatterStatusInput) -> Result<MatterPayload> {
        status(ctx, input, cat::CatalogueOperation::Cancel).await
    }

    /// Creates a bundle ("one thing") of matters of the caller's centre.
    async fn create_bundle(&self, ctx: &Context<'_>, input: CreateBundleInput) -> Result<BundlePayload> {
        let (od, caller) = parts(ctx);
        let mut ids = Ids(Vec::new());
        let (_, lead) = ids.one(Kind::Unit, "leadUnit", &input.lead_unit);
        let matters: Vec<MatterId> =
            ids.many(Kind::Matter, "matters", &input.matters).into_iter().map(|m| MatterId(m.1)).collect();
        if !ids.0.is_empty() {
            return Ok(BundlePayload::errors(ids.0));
        }
        let r = od.create_bundle(caller, &input.code, &input.name, &input.description, UnitId(lead), &matters).await;
        Ok(BundlePayload::of(finish(r, BundleObj)?))
    }

    /// Cancels a bundle of the caller's centre.
    async fn cancel_bundle(&self, ctx: &Context<'_>, input: CancelBundleInput) -> Result<BundlePayload> {
        let (od, caller) = parts(ctx);
        let mut ids = Ids(Vec::new());
        let (_, id) = ids.one(Kind::Bundle, "id", &input.id);
        if !ids.0.is_empty() {
            return Ok(BundlePayload::errors(ids.0));
        }
        Ok(BundlePayload::of(finish(od.cancel_bundle(caller, BundleId(id)).await, BundleObj)?))
    }
}

async fn status(ctx: &Context<'_>, input: MatterStatusInput, op: cat::CatalogueOperation) -> Result<MatterPayload> {
    let (od, caller) = parts(ctx);
    let mut ids = Ids(Vec::new());
    let (_, id) = ids.one(Kind::Matter, "id", &input.id);
    if !ids.0.is_empty() {
        return Ok(MatterPayload::errors(ids.0));
    }
    Ok(MatterPayload::of(finish(od.set_matter_status(caller, MatterId(id), op, &input.note).await, MatterObj)?))
}

/// Nests validation errors of a guide under the input field that carried it.
fn nest(e: onedoor::Error, prefix: &str) -> onedoor::Error {
    match e {
        onedoor::Error::Invalid(v) => onedoor::Error::Invalid(v.into_iter().map(|e| e.under(prefix)).collect()),
        onedoor::Error::Duplicate { field } => onedoor::Error::Duplicate { field: format!("{prefix}.{field}") },
        e => e,
    }
}
