//! Use cases of the catalogue: the seven operations on matters, searches, and bundles.

use crate::{Error, Onedoor, Result, new_id, require};
use chrono::Utc;
use onedoor_domain::catalogue::{
    Bundle, BundleDraft, CatalogueOperation, CrossCentreScope, DeliveryOption, FeeDraft, GuideDraft, HandlingMode,
    MaterialDraft, Matter, MatterType, MatterVersion, check_merge_sources, check_split_parts,
};
use onedoor_domain::error::{DomainError, Violations};
use onedoor_domain::organisation::Level;
use onedoor_domain::values::parse_text;
use onedoor_domain::{BundleId, Caller, CentreId, MatterId, Role, UnitId};
use onedoor_store::{MatterFilter, Page, Provenance, Slice, SplitPart};

/// A change to a guide: `None` keeps the current value. The patched guide is validated as a
/// whole, so a change cannot leave a guide that breaks a rule (e.g. promised > statutory).
#[derive(Debug, Clone, Default)]
#[allow(missing_docs)]
pub struct GuidePatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub matter_type: Option<MatterType>,
    pub owner_unit: Option<UnitId>,
    pub handling_level: Option<Level>,
    pub legal_basis: Option<String>,
    pub description: Option<String>,
    pub materials: Option<Vec<MaterialDraft>>,
    pub statutory_days: Option<i64>,
    pub promised_days: Option<i64>,
    pub fees: Option<Vec<FeeDraft>>,
    pub modes: Option<Vec<HandlingMode>>,
    pub max_visits: Option<i64>,
    pub cross_scope: Option<CrossCentreScope>,
    pub delivery: Option<Vec<DeliveryOption>>,
    pub online: Option<bool>,
}

impl GuidePatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.code.is_none()
            && self.name.is_none()
            && self.matter_type.is_none()
            && self.owner_unit.is_none()
            && self.handling_level.is_none()
            && self.legal_basis.is_none()
            && self.description.is_none()
            && self.materials.is_none()
            && self.statutory_days.is_none()
            && self.promised_days.is_none()
            && self.fees.is_none()
            && self.modes.is_none()
            && self.max_visits.is_none()
            && self.cross_scope.is_none()
            && self.delivery.is_none()
            && self.online.is_none()
    }

    /// The draft with the patch applied.
    pub fn apply(self, d: GuideDraft) -> GuideDraft {
        GuideDraft {
            code: self.code.unwrap_or(d.code),
            name: self.name.unwrap_or(d.name),
            matter_type: self.matter_type.unwrap_or(d.matter_type),
            owner_unit: self.owner_unit.unwrap_or(d.owner_unit),
            handling_level: self.handling_level.unwrap_or(d.handling_level),
            legal_basis: self.legal_basis.unwrap_or(d.legal_basis),
            description: self.description.unwrap_or(d.description),
            materials: self.materials.unwrap_or(d.materials),
            statutory_days: self.statutory_days.unwrap_or(d.statutory_days),
            promised_days: self.promised_days.unwrap_or(d.promised_days),
            fees: self.fees.unwrap_or(d.fees),
            modes: self.modes.unwrap_or(d.modes),
            max_visits: self.max_visits.unwrap_or(d.max_visits),
            cross_scope: self.cross_scope.unwrap_or(d.cross_scope),
            delivery: self.delivery.unwrap_or(d.delivery),
            online: self.online.unwrap_or(d.online),
        }
    }
}

/// A change in the catalogue, published to live subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueEvent {
    /// The centre.
    pub centre: CentreId,
    /// The matter.
    pub matter: MatterId,
    /// Its new version.
    pub version: u32,
    /// The operation.
    pub operation: CatalogueOperation,
}

/// Who is changing the catalogue, with their (validated) note, now.
fn provenance(scope: &onedoor_domain::Scope, note: &str) -> Result<Provenance> {
    let note = parse_text(note, 2000, false).map_err(|e| Error::Invalid(vec![e.under("note")]))?;
    let actor = (!scope.staff.is_system()).then_some(scope.staff);
    Ok(Provenance { actor, note, at: Utc::now() })
}

impl Onedoor {
    fn announce(&self, m: &Matter, operation: CatalogueOperation) {
        self.publish(CatalogueEvent { centre: m.centre, matter: m.id, version: m.version, operation });
    }

    /// Adds a matter to the admin's centre.
    pub async fn add_matter(&self, caller: &Caller, draft: GuideDraft, why: &str) -> Result<Matter> {
        let scope = require(caller, Role::Admin)?;
        let by = provenance(scope, why)?;
        let guide = draft.parse()?;
        let matter = Matter::first_version(MatterId(new_id()), scope.centre, guide, by.at);
        // Through the group-commit writer: concurrent additions share one transaction.
        let writer = || crate::matter_writer::MatterWriter { store: self.store.clone() };
        let m = self
            .matter_writer
            .submit(writer, |reply| crate::matter_writer::Job { scope: scope.clone(), matter, by, reply })
            .await
            .ok_or_else(|| Error::Internal(onedoor_store::StoreError::Corrupt("the matter writer stopped".into())))??;
        self.announce(&m, CatalogueOperation::Add);
        Ok(m)
    }

    /// Adds many matters to the admin's centre at once, in one transaction (all or nothing):
    /// the bulk path of a deployment import. Each draft is validated as by
    /// [`Onedoor::add_matter`]; problems are reported under `matters.N`.
    pub async fn add_matters(&self, caller: &Caller, drafts: Vec<GuideDraft>, why: &str) -> Result<Vec<Matter>> {
        let scope = require(caller, Role::Admin)?;
        let by = provenance(scope, why)?;
        let mut problems = Violations::new();
        let mut ms = Vec::with_capacity(drafts.len());
        for (i, d) in drafts.into_iter().enumerate() {
            match d.parse() {
                Ok(guide) => ms.push(Matter::first_version(MatterId(new_id()), scope.centre, guide, by.at)),
                Err(es) => problems.extend_under(&format!("matters.{i}"), es),
            }
        }
        problems.finish(|| Some(()))?;
        self.store.add_matters(scope, &ms, &by).await.map_err(|e| Error::from_store(e, "code"))?;
        for m in &ms {
            self.announce(m, CatalogueOperation::Add);
        }
        Ok(ms)
    }

    /// Changes a matter's guide (a new version). With `expected_version`, fails with
    /// `CONFLICT` if someone changed the matter since.
    pub async fn change_matter(
        &self,
        caller: &Caller,
        id: MatterId,
        expected_version: Option<u32>,
        patch: GuidePatch,
        why: &str,
    ) -> Result<Matter> {
        let scope = require(caller, Role::Admin)?;
        let by = provenance(scope, why)?;
        if patch.is_empty() {
            return Err(
                DomainError::new("guide", onedoor_domain::ErrorCode::Required, "the change changes nothing").into()
            );
        }
        let current =
            self.store.matter(caller, scope.centre, id).await?.ok_or_else(|| Error::not_found("id", "matter"))?;
        let guide = patch
            .apply(current.guide.to_draft())
            .parse()
            .map_err(|es| Error::Invalid(es.into_iter().map(|e| e.under("guide")).collect()))?;
        let expected = expected_version.or(Some(current.version));
        let m = self
            .store
            .apply_to_matter(scope, id, CatalogueOperation::Change, expected, Some(guide), &by)
            .await
            .map_err(|e| Error::from_store(e, "guide.code"))?;
        self.announce(&m, CatalogueOperation::Change);
        Ok(m)
    }

    /// Suspends, resumes or cancels a matter of the admin's centre.
    pub async fn set_matter_status(
        &self,
        caller: &Caller,
        id: MatterId,
        op: CatalogueOperation,
        why: &str,
    ) -> Result<Matter> {
        let scope = require(caller, Role::Admin)?;
        let by = provenance(scope, why)?;
        debug_assert!(matches!(
            op,
            CatalogueOperation::Suspend | CatalogueOperation::Resume | CatalogueOperation::Cancel
        ));
        let m = self.store.apply_to_matter(scope, id, op, None, None, &by).await?;
        self.announce(&m, op);
        Ok(m)
    }

    /// Splits a matter into at least two new ones; the source is superseded.
    pub async fn split_matter(
        &self,
        caller: &Caller,
        id: MatterId,
        expected_version: Option<u32>,
        parts: Vec<GuideDraft>,
        why: &str,
    ) -> Result<Vec<Matter>> {
        let scope = require(caller, Role::Admin)?;
        let by = provenance(scope, why)?;
        let mut v = Violations::new();
        v.take("", check_split_parts(parts.len()));
        let mut guides = Vec::new();
        for (i, p) in parts.into_iter().enumerate() {
            match p.parse() {
                Ok(g) => guides.push(g),
                Err(es) => v.extend_under(&format!("parts.{i}"), es),
            }
        }
        v.finish(|| Some(()))?;
        let parts: Vec<SplitPart> =
            guides.into_iter().map(|guide| SplitPart { id: MatterId(new_id()), guide }).collect();
        let out = self
            .store
            .split_matter(scope, id, expected_version, &parts, &by)
            .await
            .map_err(|e| Error::from_store(e, "parts"))?;
        self.publish(CatalogueEvent {
            centre: scope.centre,
            matter: id,
            version: 0,
            operation: CatalogueOperation::Split,
        });
        for m in &out {
            self.announce(m, CatalogueOperation::Split);
        }
        Ok(out)
    }

    /// Merges at least two matters into a new one; the sources are superseded.
    pub async fn merge_matters(
        &self,
        caller: &Caller,
        sources: &[MatterId],
        result: GuideDraft,
        why: &str,
    ) -> Result<Matter> {
        let scope = require(caller, Role::Admin)?;
        let by = provenance(scope, why)?;
        let mut v = Violations::new();
        v.take("", check_merge_sources(sources));
        let guide = match result.parse() {
            Ok(g) => Some(g),
            Err(es) => {
                v.extend_under("result", es);
                None
            }
        };
        let guide = v.finish(|| guide)?;
        let m = Matter::first_version(MatterId(new_id()), scope.centre, guide, by.at);
        let m =
            self.store.merge_matters(scope, sources, &m, &by).await.map_err(|e| Error::from_store(e, "result.code"))?;
        self.announce(&m, CatalogueOperation::Merge);
        Ok(m)
    }

    /// A matter: the caller's own or supervised centres in any status; others only active.
    /// From the catalogue cache, like [`Onedoor::matters_by_ids`].
    pub async fn matter(&self, caller: &Caller, centre: CentreId, id: MatterId) -> Result<Option<Matter>> {
        Ok(self.matters_by_ids(caller, centre, &[id]).await?.pop())
    }

    /// Matters of a centre by id, with the visibility of [`Onedoor::matter`], in no particular
    /// order: from the catalogue cache (checked against the centre's generation, so never
    /// stale), or from the store when the generation cannot be read.
    pub async fn matters_by_ids(&self, caller: &Caller, centre: CentreId, ids: &[MatterId]) -> Result<Vec<Matter>> {
        match self.catalogue_snapshot(centre).await? {
            Some(s) => Ok(s.by_ids(caller.can_read(centre), ids)),
            None => Ok(self.store.matters_by_ids(caller, centre, ids).await?),
        }
    }

    /// Searches a centre's catalogue: from the catalogue cache (checked against the centre's
    /// generation in the database) unless the search is by name or zone.
    pub async fn matters(
        &self,
        caller: &Caller,
        centre: CentreId,
        f: &MatterFilter,
        page: &Page,
    ) -> Result<Slice<Matter>> {
        if let Some(found) = self.cached_matters(caller, centre, f, page).await? {
            return Ok(found);
        }
        Ok(self.store.matters(caller, centre, f, page).await?)
    }

    /// A matter's versions (for its centre and supervisors; empty for others).
    pub async fn matter_versions(&self, caller: &Caller, centre: CentreId, id: MatterId) -> Result<Vec<MatterVersion>> {
        Ok(self.store.matter_versions(caller, centre, id).await?)
    }

    /// Creates a bundle of matters of the admin's centre.
    pub async fn create_bundle(
        &self,
        caller: &Caller,
        code: &str,
        name: &str,
        description: &str,
        lead_unit: UnitId,
        matters: &[MatterId],
    ) -> Result<Bundle> {
        let scope = require(caller, Role::Admin)?;
        let found = self.matters_by_ids(caller, scope.centre, matters).await?;
        let mut listed = Vec::with_capacity(matters.len());
        for (i, id) in matters.iter().enumerate() {
            match found.iter().find(|m| m.id == *id) {
                Some(m) => listed.push((m.id, m.guide.owner_unit, m.status)),
                None => return Err(Error::not_found(&format!("matters.{i}"), "matter")),
            }
        }
        let bundle = BundleDraft {
            code: code.into(),
            name: name.into(),
            description: description.into(),
            lead_unit,
            matters: listed,
        }
        .parse(BundleId(new_id()), scope.centre)?;
        self.store.create_bundle(scope, &bundle).await.map_err(|e| Error::from_store(e, "code"))?;
        Ok(bundle)
    }

    /// Cancels a bundle of the admin's centre.
    pub async fn cancel_bundle(&self, caller: &Caller, id: BundleId) -> Result<Bundle> {
        let scope = require(caller, Role::Admin)?;
        Ok(self.store.cancel_bundle(scope, id).await?)
    }

    /// A bundle: own and supervised centres in any status, others only active.
    pub async fn bundle(&self, caller: &Caller, centre: CentreId, id: BundleId) -> Result<Option<Bundle>> {
        Ok(self.store.bundle(caller, centre, id).await?)
    }

    /// A centre's bundles.
    pub async fn bundles(&self, caller: &Caller, centre: CentreId, page: &Page) -> Result<Slice<Bundle>> {
        Ok(self.store.bundles(caller, centre, page).await?)
    }
}
