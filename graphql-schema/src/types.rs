//! Output types: the organisation and the catalogue as GraphQL objects, and the `Node`
//! interface over them.

use crate::error::{coded, query_error};
use crate::ids::{Kind, cursor, encode, uncursor};
use crate::scalars::*;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Interface, Object, Result};
use onedoor::domain::catalogue::{self as cat};
use onedoor::domain::organisation as org;
use onedoor::domain::{Caller, CentreId, UnitId};
use onedoor::{MatterFilter, Onedoor, Page, Slice};

/// The platform and the caller of this request.
pub(crate) fn parts<'a>(ctx: &'a Context<'_>) -> (&'a Onedoor, &'a Caller) {
    let od = ctx.data_unchecked::<Onedoor>();
    let caller = ctx.data_opt::<Caller>().unwrap_or(&Caller::Anonymous);
    (od, caller)
}

/// The largest page a connection serves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MaxPage(pub usize);

/// A page request from Relay arguments, refusing pages above the cap.
pub(crate) fn page(ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<Page> {
    let max = ctx.data_opt::<MaxPage>().map_or(100, |m| m.0);
    let first = first.unwrap_or(20);
    if first < 0 {
        return Err(coded("INVALID_ARGUMENT", "`first` must not be negative"));
    }
    if first as usize > max {
        return Err(coded("PAGE_TOO_LARGE", format!("`first` is at most {max}")));
    }
    let after = match after {
        None => None,
        Some(a) => Some(uncursor(&a).ok_or_else(|| coded("INVALID_CURSOR", "`after` is not a cursor of this list"))?),
    };
    Ok(Page { after, limit: first as u64 })
}

/// A connection from a page of items.
pub(crate) fn connection<T, N>(
    had_after: bool,
    slice: Slice<T>,
    key: impl Fn(&T) -> String,
    node: impl Fn(T) -> N,
) -> Connection<String, N>
where
    N: async_graphql::OutputType,
{
    let mut c = Connection::new(had_after, slice.has_next);
    c.edges.extend(slice.items.into_iter().map(|t| Edge::new(cursor(&key(&t)), node(t))));
    c
}

/// Something with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id."))]
pub enum Node {
    /// A centre.
    Centre(CentreObj),
    /// A hall.
    Hall(HallObj),
    /// A zone.
    Zone(ZoneObj),
    /// A window.
    Window(WindowObj),
    /// A unit.
    Unit(UnitObj),
    /// A member of staff.
    Staff(StaffObj),
    /// A matter.
    Matter(MatterObj),
    /// A bundle.
    Bundle(BundleObj),
    /// A case.
    Case(crate::cases::CaseObj),
    /// A plugin of a centre's registry.
    Plugin(crate::plugins::PluginObj),
    /// A recorded rule decision.
    Decision(crate::plugins::DecisionObj),
    /// A supervision alert.
    Alert(crate::plugins::AlertObj),
    /// A rating of a visit or a case.
    Rating(crate::evaluation::RatingObj),
    /// A rectification after a bad rating.
    Rectification(crate::evaluation::RectificationObj),
    /// A queue ticket.
    Ticket(crate::hall::TicketObj),
}

/// A government service centre: the tenant.
pub struct CentreObj(pub org::Centre);

#[Object(name = "Centre")]
impl CentreObj {
    /// Opaque global id.
    async fn id(&self) -> ID {
        encode(Kind::Centre, self.0.id, self.0.id.0)
    }
    /// Unique code, e.g. `pingliang`.
    async fn code(&self) -> &str {
        self.0.code.as_str()
    }
    /// Name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }
    /// Level of government.
    async fn level(&self) -> Level {
        self.0.level.into()
    }
    /// Region code: centres of one region handle each other's city-wide matters.
    async fn region(&self) -> &str {
        self.0.region.as_str()
    }
    /// The centre above.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<CentreObj>> {
        let Some(p) = self.0.parent else { return Ok(None) };
        Ok(parts(ctx).0.centre(p).await.map_err(query_error)?.map(CentreObj))
    }
    /// The centres directly below.
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<CentreObj>> {
        let all = parts(ctx).0.centres().await.map_err(query_error)?;
        Ok(all.into_iter().filter(|c| c.parent == Some(self.0.id)).map(CentreObj).collect())
    }
    /// The halls the centre runs or shares.
    async fn halls(&self, ctx: &Context<'_>) -> Result<Vec<HallObj>> {
        Ok(parts(ctx).0.halls_of(self.0.id).await.map_err(query_error)?.into_iter().map(HallObj).collect())
    }
    /// The units stationed in the centre, by code.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn units(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, UnitObj>> {
        let had = after.is_some();
        let p = page(ctx, first, after)?;
        let s = parts(ctx).0.units(self.0.id, &p).await.map_err(query_error)?;
        Ok(connection(had, s, |u| u.code.to_string(), UnitObj))
    }
    /// The centre's staff, by code: visible to the centre's own staff and to supervising
    /// centres; empty for everyone else.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn staff(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "Only staff of this unit.")] unit: Option<ID>,
    ) -> Result<Connection<String, StaffObj>> {
        let had = after.is_some();
        let p = page(ctx, first, after)?;
        let unit = match unit {
            None => None,
            Some(u) => {
                Some(crate::ids::decode(Kind::Unit, &u).ok_or_else(|| coded("INVALID_ID", "`unit` is not a unit id"))?)
            }
        };
        if unit.is_some_and(|(c, _)| c != self.0.id) {
            return Ok(Connection::new(false, false));
        }
        let (od, caller) = parts(ctx);
        let s = od.staff_list(caller, self.0.id, unit.map(|u| UnitId(u.1)), &p).await.map_err(query_error)?;
        Ok(connection(had, s, |u| u.code.to_string(), StaffObj))
    }
    /// The centre's catalogue, by code. Matters that are not active are visible only to the
    /// centre's staff and supervising centres.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn matters(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<MatterFilterInput>,
    ) -> Result<Connection<String, MatterObj>> {
        matters_of(ctx, self.0.id, first, after, filter).await
    }
    /// The centre's bundles ("one thing"), by code.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn bundles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, BundleObj>> {
        let had = after.is_some();
        let p = page(ctx, first, after)?;
        let (od, caller) = parts(ctx);
        let s = od.bundles(caller, self.0.id, &p).await.map_err(query_error)?;
        Ok(connection(had, s, |b| b.code.to_string(), BundleObj))
    }
}

/// Searches a centre's matters (shared by `Centre.matters` and `Query.matters`).
pub(crate) async fn matters_of(
    ctx: &Context<'_>,
    centre: CentreId,
    first: Option<i32>,
    after: Option<String>,
    filter: Option<MatterFilterInput>,
) -> Result<Connection<String, MatterObj>> {
    let had = after.is_some();
    let p = page(ctx, first, after)?;
    let f = match filter {
        None => MatterFilter::default(),
        Some(f) => f.into_filter()?,
    };
    let (od, caller) = parts(ctx);
    let found = od.matters_with_units(caller, centre, &f, &p).await.map_err(query_error)?;
    if let Some(reads) = ctx.data_opt::<crate::response_cache::Reads>() {
        match found.generation {
            Some(g) => reads.read_catalogue(centre, g),
            None => reads.read_other(),
        }
    }
    if let Some(loader) = ctx.data_opt::<crate::loader::Units>() {
        loader.feed_many(found.units.into_iter().map(|u| ((centre, u.id), u))).await;
    }
    Ok(connection(had, found.matters, |m| m.guide.code.to_string(), MatterObj))
}

/// A building with zones and windows, run by one centre and shared by others.
pub struct HallObj(pub org::Hall);

#[Object(name = "Hall")]
impl HallObj {
    /// Opaque global id.
    async fn id(&self) -> ID {
        encode(Kind::Hall, self.0.centre, self.0.id.0)
    }
    /// Code, unique in its centre.
    async fn code(&self) -> &str {
        self.0.code.as_str()
    }
    /// Name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }
    /// Street address.
    async fn address(&self) -> &str {
        &self.0.address
    }
    /// The centre that runs the hall.
    async fn centre(&self, ctx: &Context<'_>) -> Result<Option<CentreObj>> {
        Ok(parts(ctx).0.centre(self.0.centre).await.map_err(query_error)?.map(CentreObj))
    }
    /// Every centre sharing the hall, the running centre first.
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<CentreObj>> {
        let od = parts(ctx).0;
        let mut out = Vec::new();
        for id in od.hall_members(&self.0).await.map_err(query_error)? {
            if let Some(c) = od.centre(id).await.map_err(query_error)? {
                out.push(CentreObj(c));
            }
        }
        Ok(out)
    }
    /// The zones, by code.
    async fn zones(&self, ctx: &Context<'_>) -> Result<Vec<ZoneObj>> {
        Ok(parts(ctx).0.zones(&self.0).await.map_err(query_error)?.into_iter().map(ZoneObj).collect())
    }
    /// The windows, by number, optionally of one zone.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn windows(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        zone: Option<ID>,
    ) -> Result<Connection<String, WindowObj>> {
        let had = after.is_some();
        let p = page(ctx, first, after)?;
        let zone = match zone {
            None => None,
            Some(z) => {
                Some(crate::ids::decode(Kind::Zone, &z).ok_or_else(|| coded("INVALID_ID", "`zone` is not a zone id"))?)
            }
        };
        let s =
            parts(ctx).0.windows(&self.0, zone.map(|z| onedoor::domain::ZoneId(z.1)), &p).await.map_err(query_error)?;
        Ok(connection(had, s, |w| w.number.to_string(), WindowObj))
    }
}

/// A functional zone of a hall.
pub struct ZoneObj(pub org::Zone);

#[Object(name = "Zone")]
impl ZoneObj {
    /// Opaque global id.
    async fn id(&self) -> ID {
        encode(Kind::Zone, self.0.centre, self.0.id.0)
    }
    /// Code, unique in the hall; prefixes queue tickets.
    async fn code(&self) -> &str {
        self.0.code.as_str()
    }
    /// Name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }
    /// The hall.
    async fn hall(&self, ctx: &Context<'_>) -> Result<Option<HallObj>> {
        Ok(parts(ctx).0.hall(self.0.centre, self.0.hall).await.map_err(query_error)?.map(HallObj))
    }
}

/// A window of a hall.
pub struct WindowObj(pub org::Window);

#[Object(name = "Window")]
impl WindowObj {
    /// Opaque global id.
    async fn id(&self) -> ID {
        encode(Kind::Window, self.0.centre, self.0.id.0)
    }
    /// Number shown above the window.
    async fn number(&self) -> &str {
        self.0.number.as_str()
    }
    /// Name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }
    /// The hall.
    async fn hall(&self, ctx: &Context<'_>) -> Result<Option<HallObj>> {
        Ok(parts(ctx).0.hall(self.0.centre, self.0.hall).await.map_err(query_error)?.map(HallObj))
    }
    /// The zone.
    async fn zone(&self, ctx: &Context<'_>) -> Result<Option<ZoneObj>> {
        Ok(parts(ctx).0.zone(self.0.centre, self.0.zone).await.map_err(query_error)?.map(ZoneObj))
    }
    /// The matters the window serves, of any centre sharing the hall (as visible to the
    /// caller: active ones for the public).
    async fn matters(&self, ctx: &Context<'_>) -> Result<Vec<MatterObj>> {
        let (od, caller) = parts(ctx);
        let pairs = od.window_matters(&self.0).await.map_err(query_error)?;
        let mut out = Vec::with_capacity(pairs.len());
        let mut centres: Vec<CentreId> = pairs.iter().map(|p| p.0).collect();
        centres.sort();
        centres.dedup();
        for c in centres {
            let ids: Vec<_> = pairs.iter().filter(|p| p.0 == c).map(|p| p.1).collect();
            out.extend(od.matters_by_ids(caller, c, &ids).await.map_err(query_error)?);
        }
        out.sort_by(|a, b| (a.centre, &a.guide.code).cmp(&(b.centre, &b.guide.code)));
        Ok(out.into_iter().map(MatterObj).collect())
    }
}

/// A department or body stationed in a centre.
pub struct UnitObj(pub org::Unit);

#[Object(name = "Unit")]
impl UnitObj {
    /// Opaque global id.
    async fn id(&self) -> ID {
        encode(Kind::Unit, self.0.centre, self.0.id.0)
    }
    /// Code, unique in the centre.
    async fn code(&self) -> &str {
        self.0.code.as_str()
    }
    /// Name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }
    /// Kind of body.
    async fn kind(&self) -> UnitKind {
        self.0.kind.into()
    }
    /// The centre it is stationed in.
    async fn centre(&self, ctx: &Context<'_>) -> Result<Option<CentreObj>> {
        Ok(parts(ctx).0.centre(self.0.centre).await.map_err(query_error)?.map(CentreObj))
    }
    /// The matters the unit owns, by code.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn matters(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, MatterObj>> {
        let filter =
            MatterFilterInput { unit: Some(encode(Kind::Unit, self.0.centre, self.0.id.0)), ..Default::default() };
        matters_of(ctx, self.0.centre, first, after, Some(filter)).await
    }
}

/// A member of a centre's staff.
pub struct StaffObj(pub org::Staff);

#[Object(name = "Staff")]
impl StaffObj {
    /// Opaque global id.
    async fn id(&self) -> ID {
        encode(Kind::Staff, self.0.centre, self.0.id.0)
    }
    /// The staff id used as the token's `sub`.
    async fn staff_id(&self) -> String {
        self.0.id.to_string()
    }
    /// Staff number, unique in the centre.
    async fn code(&self) -> &str {
        self.0.code.as_str()
    }
    /// Name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }
    /// Roles held.
    async fn roles(&self) -> Vec<Role> {
        self.0.roles.iter().map(Into::into).collect()
    }
    /// Whether the member of staff is active.
    async fn active(&self) -> bool {
        self.0.active
    }
    /// Their unit, if any.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<UnitObj>> {
        let Some(u) = self.0.unit else { return Ok(None) };
        Ok(parts(ctx).0.unit(self.0.centre, u).await.map_err(query_error)?.map(UnitObj))
    }
    /// Their centre.
    async fn centre(&self, ctx: &Context<'_>) -> Result<Option<CentreObj>> {
        Ok(parts(ctx).0.centre(self.0.centre).await.map_err(query_error)?.map(CentreObj))
    }
}

/// A matter of the catalogue as it stands now.
pub struct MatterObj(pub cat::Matter);

#[Object(name = "Matter")]
impl MatterObj {
    /// Opaque global id (stable across versions).
    async fn id(&self) -> ID {
        encode(Kind::Matter, self.0.centre, self.0.id.0)
    }
    /// Catalogue code (the current version's).
    async fn code(&self) -> &str {
        self.0.guide.code.as_str()
    }
    /// Name (the current version's).
    async fn name(&self) -> &str {
        self.0.guide.name.as_str()
    }
    /// Where the matter stands in the catalogue.
    async fn status(&self) -> MatterStatus {
        self.0.status.into()
    }
    /// Current version number, from 1.
    async fn version(&self) -> u32 {
        self.0.version
    }
    /// When the current version was made.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
    /// The owner unit.
    async fn owner_unit(&self, ctx: &Context<'_>) -> Result<Option<UnitObj>> {
        owner_unit(ctx, self.0.centre, self.0.guide.owner_unit).await
    }
    /// The owner centre.
    async fn centre(&self, ctx: &Context<'_>) -> Result<Option<CentreObj>> {
        Ok(parts(ctx).0.centre(self.0.centre).await.map_err(query_error)?.map(CentreObj))
    }
    /// The current service guide.
    async fn guide(&self) -> GuideObj {
        GuideObj { centre: self.0.centre, guide: self.0.guide.clone() }
    }
    /// Every version, oldest first: visible to the centre's staff and supervising centres,
    /// empty for everyone else.
    async fn versions(&self, ctx: &Context<'_>) -> Result<Vec<MatterVersionObj>> {
        let (od, caller) = parts(ctx);
        let vs = od.matter_versions(caller, self.0.centre, self.0.id).await.map_err(query_error)?;
        Ok(vs.into_iter().map(MatterVersionObj).collect())
    }
}

/// Loads an owner unit through the request's batch loader.
async fn owner_unit(ctx: &Context<'_>, centre: CentreId, unit: UnitId) -> Result<Option<UnitObj>> {
    if let Some(loader) = ctx.data_opt::<crate::loader::Units>() {
        return Ok(loader.load_one((centre, unit)).await.map_err(|_| crate::error::internal())?.map(UnitObj));
    }
    Ok(parts(ctx).0.unit(centre, unit).await.map_err(query_error)?.map(UnitObj))
}

/// A matter's service guide (办事指南): what one catalogue version fixes.
pub struct GuideObj {
    centre: CentreId,
    guide: cat::Guide,
}

#[Object(name = "ServiceGuide")]
impl GuideObj {
    /// Catalogue code, e.g. `62080000SC-XK-0001`.
    async fn code(&self) -> &str {
        self.guide.code.as_str()
    }
    /// Name.
    async fn name(&self) -> &str {
        self.guide.name.as_str()
    }
    /// Legal type.
    async fn matter_type(&self) -> MatterType {
        self.guide.matter_type.into()
    }
    /// The owner unit.
    async fn owner_unit(&self, ctx: &Context<'_>) -> Result<Option<UnitObj>> {
        owner_unit(ctx, self.centre, self.guide.owner_unit).await
    }
    /// The level of government that handles it.
    async fn handling_level(&self) -> Level {
        self.guide.handling_level.into()
    }
    /// Legal basis.
    async fn legal_basis(&self) -> &str {
        &self.guide.legal_basis
    }
    /// Conditions and description.
    async fn description(&self) -> &str {
        &self.guide.description
    }
    /// Materials to hand in.
    async fn materials(&self) -> Vec<MaterialObj> {
        self.guide.materials.iter().cloned().map(MaterialObj).collect()
    }
    /// Statutory time limit, in working days.
    async fn statutory_days(&self) -> u16 {
        self.guide.limits.statutory().get()
    }
    /// Promised time limit, in working days (never above the statutory one).
    async fn promised_days(&self) -> u16 {
        self.guide.limits.promised().get()
    }
    /// Fee items; none means free of charge.
    async fn fees(&self) -> Vec<FeeObj> {
        self.guide.fees.iter().cloned().map(FeeObj).collect()
    }
    /// Total of the fee items, in fen.
    async fn total_fee(&self) -> i64 {
        self.guide.total_fee()
    }
    /// Ways of handling.
    async fn modes(&self) -> Vec<HandlingMode> {
        self.guide.modes.iter().copied().map(Into::into).collect()
    }
    /// Most visits an applicant needs to make.
    async fn max_visits(&self) -> u8 {
        self.guide.max_visits
    }
    /// Where it may be applied for besides the owner centre.
    async fn cross_scope(&self) -> CrossCentreScope {
        self.guide.cross_scope.into()
    }
    /// How the result is delivered.
    async fn delivery(&self) -> Vec<DeliveryOption> {
        self.guide.delivery.iter().copied().map(Into::into).collect()
    }
    /// Whether an online application is available.
    async fn online(&self) -> bool {
        self.guide.online
    }
}

/// A material the applicant hands in.
pub struct MaterialObj(cat::Material);

#[Object(name = "Material")]
impl MaterialObj {
    /// Name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }
    /// Whether it must be handed in.
    async fn required(&self) -> bool {
        self.0.required
    }
    /// Original, copy, both or electronic.
    async fn form(&self) -> MaterialForm {
        self.0.form.into()
    }
    /// Number of copies.
    async fn copies(&self) -> u8 {
        self.0.copies
    }
    /// The e-licence type that can stand in for it.
    async fn elicence_type(&self) -> Option<&str> {
        self.0.elicence_type.as_ref().map(|c| c.as_str())
    }
    /// Notes for the applicant.
    async fn note(&self) -> &str {
        &self.0.note
    }
}

/// A fee item.
pub struct FeeObj(cat::Fee);

#[Object(name = "Fee")]
impl FeeObj {
    /// What the fee is for.
    async fn item(&self) -> &str {
        self.0.item.as_str()
    }
    /// Amount in fen (1/100 yuan).
    async fn amount(&self) -> i64 {
        self.0.amount.get()
    }
    /// Legal basis of the fee.
    async fn basis(&self) -> &str {
        &self.0.basis
    }
}

/// One version of a matter, kept for ever.
pub struct MatterVersionObj(cat::MatterVersion);

#[Object(name = "MatterVersion")]
impl MatterVersionObj {
    /// Version number, from 1.
    async fn version(&self) -> u32 {
        self.0.version
    }
    /// The catalogue operation that made it.
    async fn operation(&self) -> CatalogueOperation {
        self.0.operation.into()
    }
    /// Status after the operation.
    async fn status(&self) -> MatterStatus {
        self.0.status.into()
    }
    /// The guide in this version.
    async fn guide(&self) -> GuideObj {
        GuideObj { centre: self.0.centre, guide: self.0.guide.clone() }
    }
    /// Matters on the other side of a split or merge.
    async fn related(&self, ctx: &Context<'_>) -> Result<Vec<MatterObj>> {
        let (od, caller) = parts(ctx);
        let ms = od.matters_by_ids(caller, self.0.centre, &self.0.related).await.map_err(query_error)?;
        Ok(ms.into_iter().map(MatterObj).collect())
    }
    /// Who made it (none for imports).
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<StaffObj>> {
        let Some(a) = self.0.actor else { return Ok(None) };
        let (od, caller) = parts(ctx);
        Ok(od.staff(caller, self.0.centre, a).await.map_err(query_error)?.map(StaffObj))
    }
    /// Why, in the operator's words.
    async fn note(&self) -> &str {
        &self.0.note
    }
    /// When.
    async fn at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.at
    }
}

/// A bundle ("one thing", 一件事): matters applied for together, with a lead unit.
pub struct BundleObj(pub cat::Bundle);

#[Object(name = "Bundle")]
impl BundleObj {
    /// Opaque global id.
    async fn id(&self) -> ID {
        encode(Kind::Bundle, self.0.centre, self.0.id.0)
    }
    /// Code, unique in the centre.
    async fn code(&self) -> &str {
        self.0.code.as_str()
    }
    /// Name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }
    /// Description.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Active or cancelled.
    async fn status(&self) -> BundleStatus {
        self.0.status.into()
    }
    /// The lead unit.
    async fn lead_unit(&self, ctx: &Context<'_>) -> Result<Option<UnitObj>> {
        owner_unit(ctx, self.0.centre, self.0.lead_unit).await
    }
    /// The matters, in order (as visible to the caller).
    async fn matters(&self, ctx: &Context<'_>) -> Result<Vec<MatterObj>> {
        let (od, caller) = parts(ctx);
        let found = od.matters_by_ids(caller, self.0.centre, &self.0.matters).await.map_err(query_error)?;
        Ok(self.0.matters.iter().filter_map(|id| found.iter().find(|m| m.id == *id).cloned()).map(MatterObj).collect())
    }
    /// The supporting units: owners of the bundle's matters other than the lead.
    async fn supporting_units(&self, ctx: &Context<'_>) -> Result<Vec<UnitObj>> {
        let (od, caller) = parts(ctx);
        let found = od.matters_by_ids(caller, self.0.centre, &self.0.matters).await.map_err(query_error)?;
        let ids = self.0.supporting_units(|m| found.iter().find(|x| x.id == m).map(|x| x.guide.owner_unit));
        let units = od.units_by_ids(self.0.centre, &ids).await.map_err(query_error)?;
        Ok(ids.iter().filter_map(|id| units.iter().find(|u| u.id == *id).cloned()).map(UnitObj).collect())
    }
}
