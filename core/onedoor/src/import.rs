//! Loading a deployment (centres, halls, units, staff, matters, bundles) from files.
//!
//! A deployment is a directory of TOML files that a city edits by hand (the example is
//! `tenants-example/pingliang`):
//!
//! - `deployment.toml`: the centres (`[[centre]]`: `code`, `name`, `level`, optional `parent`
//!   and `region`), the halls (`[[hall]]`: `centre` that runs it, `code`, `name`, `address`,
//!   `members` sharing it), their zones (`[[zone]]`: `hall`, `code`, `name`) and windows
//!   (`[[window]]`: `hall`, `zone`, `number`, `name`, `matters` as `"centre:matter code"`);
//! - `centres/<centre code>.toml`: one centre's units (`[[unit]]`: `code`, `name`, `kind`),
//!   staff (`[[staff]]`: `code`, `name`, optional `unit` code, `roles`), matters (`[[matter]]`:
//!   every field of a service guide in snake_case, `owner_unit` a unit code, materials and fees
//!   as `[[matter.materials]]` and `[[matter.fees]]`) and bundles (`[[bundle]]`: `code`, `name`,
//!   `description`, `lead_unit` code, `matters` codes).
//!
//! [`Deployment::from_dir`] (or [`Deployment::from_files`] for files embedded in a binary)
//! parses every file, then checks every reference and every domain rule, and reports all the
//! problems it finds (file, line and column for syntax; file and item for the rest) before
//! anything is written. [`import`] then creates what is missing and skips what exists, keyed
//! by code: a second run creates nothing. Staff get stable ids ([`staff_id`]), so tokens issued
//! for them stay valid across re-imports and databases.

use crate::{Error, Onedoor};
use onedoor_domain::catalogue::{
    BundleDraft, CrossCentreScope, DeliveryOption, FeeDraft, GuideDraft, HandlingMode, MaterialDraft, MaterialForm,
    MatterStatus, MatterType,
};
use onedoor_domain::error::DomainError;
use onedoor_domain::organisation::{CentreDraft, Hall, Level, UnitKind, parse_address, parse_code_and_name};
use onedoor_domain::values::Code;
use onedoor_domain::{BundleId, Caller, CentreId, MatterId, Role, Roles, Scope, StaffId, UnitId, ZoneId};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The namespace of the stable (version 5) ids the importer gives to staff.
pub const NAMESPACE: Uuid = Uuid::from_u128(0x4df6_5b8e_c993_4ac4_a55e_3737_330c_9bb4);

/// The steps of an import, in the order they run; the keys of [`ImportReport`] and
/// [`Deployment::counts`].
pub const STEPS: [&str; 9] =
    ["centres", "halls", "members", "zones", "units", "staff", "matters", "windows", "bundles"];

/// The file naming the centres, halls, zones and windows.
const DEPLOYMENT: &str = "deployment.toml";

/// The stable id of staff member `staff_code` of centre `centre_code`: the same in every
/// database the deployment is imported into.
pub fn staff_id(centre_code: &str, staff_code: &str) -> StaffId {
    StaffId(Uuid::new_v5(&NAMESPACE, format!("staff/{centre_code}/{staff_code}").as_bytes()))
}

// ----- the file formats -----

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeploymentFile {
    #[serde(default)]
    centre: Vec<CentreSpec>,
    #[serde(default)]
    hall: Vec<HallSpec>,
    #[serde(default)]
    zone: Vec<ZoneSpec>,
    #[serde(default)]
    window: Vec<WindowSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CentreSpec {
    code: String,
    name: String,
    level: Level,
    parent: Option<String>,
    region: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct HallSpec {
    centre: String,
    code: String,
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneSpec {
    hall: String,
    code: String,
    name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowSpec {
    hall: String,
    zone: String,
    number: String,
    name: String,
    #[serde(default)]
    matters: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CentreFile {
    #[serde(default)]
    unit: Vec<UnitSpec>,
    #[serde(default)]
    staff: Vec<StaffSpec>,
    #[serde(default)]
    matter: Vec<MatterSpec>,
    #[serde(default)]
    bundle: Vec<BundleSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitSpec {
    code: String,
    name: String,
    kind: UnitKind,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffSpec {
    code: String,
    name: String,
    unit: Option<String>,
    roles: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatterSpec {
    code: String,
    name: String,
    matter_type: MatterType,
    owner_unit: String,
    handling_level: Level,
    legal_basis: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    materials: Vec<MaterialSpec>,
    statutory_days: i64,
    promised_days: i64,
    #[serde(default)]
    fees: Vec<FeeSpec>,
    modes: Vec<HandlingMode>,
    max_visits: i64,
    cross_scope: CrossCentreScope,
    delivery: Vec<DeliveryOption>,
    online: bool,
}

/// Materials are required unless they say `required = false`.
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MaterialSpec {
    name: String,
    #[serde(default = "yes")]
    required: bool,
    form: Option<MaterialForm>,
    copies: Option<i64>,
    elicence_type: Option<String>,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeeSpec {
    item: String,
    amount: i64,
    basis: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BundleSpec {
    code: String,
    name: String,
    #[serde(default)]
    description: String,
    lead_unit: String,
    matters: Vec<String>,
}

impl MatterSpec {
    fn draft(&self, owner_unit: UnitId) -> GuideDraft {
        GuideDraft {
            code: self.code.clone(),
            name: self.name.clone(),
            matter_type: self.matter_type,
            owner_unit,
            handling_level: self.handling_level,
            legal_basis: self.legal_basis.clone(),
            description: self.description.clone(),
            materials: self
                .materials
                .iter()
                .map(|m| MaterialDraft {
                    name: m.name.clone(),
                    required: m.required,
                    form: m.form,
                    copies: m.copies,
                    elicence_type: m.elicence_type.clone(),
                    note: m.note.clone(),
                })
                .collect(),
            statutory_days: self.statutory_days,
            promised_days: self.promised_days,
            fees: self
                .fees
                .iter()
                .map(|f| FeeDraft { item: f.item.clone(), amount: f.amount, basis: f.basis.clone() })
                .collect(),
            modes: self.modes.clone(),
            max_visits: self.max_visits,
            cross_scope: self.cross_scope,
            delivery: self.delivery.clone(),
            online: self.online,
        }
    }
}

/// Trims a code in place (the platform stores codes trimmed, so lookups must use them so).
fn tidy(s: &mut String) {
    let t = s.trim();
    if t.len() != s.len() {
        *s = t.to_owned();
    }
}

/// Trims and upper-cases a matter code, as the platform stores it.
fn tidy_matter(s: &mut String) {
    *s = s.trim().to_ascii_uppercase();
}

impl DeploymentFile {
    fn tidy(&mut self) {
        for c in &mut self.centre {
            tidy(&mut c.code);
            c.parent.iter_mut().for_each(tidy);
        }
        for h in &mut self.hall {
            tidy(&mut h.centre);
            tidy(&mut h.code);
            h.members.iter_mut().for_each(tidy);
        }
        for z in &mut self.zone {
            tidy(&mut z.hall);
            tidy(&mut z.code);
        }
        for w in &mut self.window {
            tidy(&mut w.hall);
            tidy(&mut w.zone);
            tidy(&mut w.number);
            for m in &mut w.matters {
                if let Some((c, code)) = m.split_once(':') {
                    *m = format!("{}:{}", c.trim(), code.trim().to_ascii_uppercase());
                }
            }
        }
    }
}

impl CentreFile {
    fn tidy(&mut self) {
        for u in &mut self.unit {
            tidy(&mut u.code);
        }
        for s in &mut self.staff {
            tidy(&mut s.code);
            s.unit.iter_mut().for_each(tidy);
        }
        for m in &mut self.matter {
            tidy_matter(&mut m.code);
            tidy(&mut m.owner_unit);
        }
        for b in &mut self.bundle {
            tidy(&mut b.code);
            tidy(&mut b.lead_unit);
            b.matters.iter_mut().for_each(tidy_matter);
        }
    }
}

// ----- problems and errors -----

/// One problem found in a deployment's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, relative to the deployment directory (`centres/kongtong.toml`).
    pub file: String,
    /// Line and column (from 1) for syntax and format errors.
    pub at: Option<(usize, usize)>,
    /// The item concerned, e.g. `matter 62080200MZ-XK-0003`.
    pub item: Option<String>,
    /// The field concerned (snake_case, dotted for nested fields: `materials.0.name`).
    pub field: Option<String>,
    /// A stable code: `SYNTAX`, `MISSING_FILE`, `UNKNOWN_FILE`, `DUPLICATE`,
    /// `INVALID_REFERENCE`, or a domain rule's code (`PROMISED_EXCEEDS_STATUTORY` …).
    pub code: &'static str,
    /// What is wrong, for people (naming the field where there is one).
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some((line, column)) = self.at {
            write!(f, ":{line}:{column}")?;
        }
        f.write_str(": ")?;
        if let Some(item) = &self.item {
            write!(f, "{item}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why loading or importing a deployment failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// A file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The files have problems; all that were found are listed, and nothing was written.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
    /// The platform refused to write an item (what was written before it stays; fix the
    /// cause and import again).
    #[error("{file}: {item}: {}", describe(source))]
    Platform {
        /// The file the item comes from.
        file: String,
        /// The item, e.g. `window 01 of hall plsmzx`.
        item: String,
        /// The platform's error.
        #[source]
        source: Error,
    },
}

impl ImportError {
    /// The stable code of the (first) problem: `IO`, a [`Problem::code`], or the platform
    /// error's code.
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::Io { .. } => "IO",
            ImportError::Invalid(ps) => ps.first().map_or("INVALID", |p| p.code),
            ImportError::Platform { source, .. } => source.code(),
        }
    }
}

/// A platform error as `field: message` lines (snake_case fields) for domain violations.
fn describe(e: &Error) -> String {
    match e {
        Error::Invalid(es) => es.iter().map(domain_message).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

/// `legalBasis` → `legal_basis`, `materials.0.elicenceType` → `materials.0.elicence_type`.
fn snake_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len() + 4);
    for c in field.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn domain_message(e: &DomainError) -> String {
    if e.field.is_empty() { e.message.clone() } else { format!("{}: {}", snake_case(&e.field), e.message) }
}

/// Line and column (from 1, in characters) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Collects the problems of a deployment.
#[derive(Debug, Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, file: &str, item: Option<&str>, field: Option<&str>, code: &'static str, message: String) {
        self.0.push(Problem {
            file: file.to_owned(),
            at: None,
            item: item.map(str::to_owned),
            field: field.map(str::to_owned),
            code,
            message,
        });
    }

    /// A broken reference from `field` of `item`.
    fn reference(&mut self, file: &str, item: &str, field: &str, message: String) {
        self.push(file, Some(item), Some(field), "INVALID_REFERENCE", message);
    }

    /// A code used twice.
    fn duplicate(&mut self, file: &str, item: &str, field: &str, message: String) {
        self.push(file, Some(item), Some(field), "DUPLICATE", message);
    }

    /// The domain's violations for `item`, with snake_case fields.
    fn domain(&mut self, file: &str, item: &str, errors: Vec<DomainError>) {
        for e in errors {
            let field = (!e.field.is_empty()).then(|| snake_case(&e.field));
            self.0.push(Problem {
                file: file.to_owned(),
                at: None,
                item: Some(item.to_owned()),
                field,
                code: e.code.as_str(),
                message: domain_message(&e),
            });
        }
    }

    fn syntax(&mut self, file: &str, text: &str, e: &toml::de::Error) {
        self.0.push(Problem {
            file: file.to_owned(),
            at: e.span().map(|s| line_col(text, s.start)),
            item: None,
            field: None,
            code: "SYNTAX",
            message: e.message().trim().to_owned(),
        });
    }

    fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, ImportError> {
        if self.0.is_empty() { Ok(value()) } else { Err(ImportError::Invalid(self.0)) }
    }
}

// ----- the deployment -----

/// A parsed and checked deployment, ready to [`import`].
#[derive(Debug, Clone)]
pub struct Deployment {
    /// Parents before children.
    centres: Vec<CentreSpec>,
    halls: Vec<HallSpec>,
    zones: Vec<ZoneSpec>,
    windows: Vec<WindowSpec>,
    /// Each centre's file (empty when it has none), in the order of `centres`.
    catalogues: Vec<CentreFile>,
}

/// The file of a centre's units, staff, matters and bundles.
fn centre_file(code: &str) -> String {
    format!("centres/{code}.toml")
}

impl Deployment {
    /// Reads `dir/deployment.toml` and every `dir/centres/*.toml`, and checks them (see
    /// [`Deployment::from_files`]).
    pub fn from_dir(dir: &Path) -> Result<Deployment, ImportError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| ImportError::Io { path, source }
        };
        let deployment = dir.join(DEPLOYMENT);
        let mut files = vec![(DEPLOYMENT.to_owned(), std::fs::read_to_string(&deployment).map_err(io(&deployment))?)];
        let centres = dir.join("centres");
        if centres.is_dir() {
            let mut names = Vec::new();
            for entry in std::fs::read_dir(&centres).map_err(io(&centres))? {
                let path = entry.map_err(io(&centres))?.path();
                if path.is_file()
                    && path.extension().is_some_and(|e| e == "toml")
                    && let Some(name) = path.file_name().and_then(|n| n.to_str())
                {
                    names.push(name.to_owned());
                }
            }
            names.sort();
            for name in names {
                let path = centres.join(&name);
                files.push((format!("centres/{name}"), std::fs::read_to_string(&path).map_err(io(&path))?));
            }
        }
        let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        Deployment::from_files(&refs)
    }

    /// Parses files given as (path relative to the deployment directory, contents):
    /// `deployment.toml` and `centres/<centre code>.toml`. Every file is parsed first (syntax
    /// and format problems name the file, line and column); then every reference and domain
    /// rule is checked (problems name the file and item). All problems found are returned.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Deployment, ImportError> {
        let mut p = Problems::default();
        let mut deployment = None;
        let mut deployment_given = false;
        let mut catalogues: BTreeMap<String, (String, CentreFile)> = BTreeMap::new();
        let mut seen = HashSet::new();
        for (path, text) in files {
            let path = path.replace('\\', "/");
            let path = path.trim_start_matches("./").to_owned();
            if !seen.insert(path.clone()) {
                p.push(&path, None, None, "DUPLICATE", "the file is given twice".into());
                continue;
            }
            if path == DEPLOYMENT {
                deployment_given = true;
                match toml::from_str::<DeploymentFile>(text) {
                    Ok(mut d) => {
                        d.tidy();
                        deployment = Some(d);
                    }
                    Err(e) => p.syntax(&path, text, &e),
                }
            } else if let Some(code) =
                path.strip_prefix("centres/").and_then(|r| r.strip_suffix(".toml")).filter(|c| !c.contains('/'))
            {
                match toml::from_str::<CentreFile>(text) {
                    Ok(mut f) => {
                        f.tidy();
                        catalogues.insert(code.to_owned(), (path.clone(), f));
                    }
                    Err(e) => p.syntax(&path, text, &e),
                }
            } else {
                p.push(
                    &path,
                    None,
                    None,
                    "UNKNOWN_FILE",
                    "not part of a deployment: expected deployment.toml or centres/<centre code>.toml".into(),
                );
            }
        }
        if !deployment_given {
            p.push(DEPLOYMENT, None, None, "MISSING_FILE", "every deployment has a deployment.toml".into());
        }
        match deployment {
            Some(d) if p.0.is_empty() => check(d, catalogues),
            _ => Err(ImportError::Invalid(p.0)),
        }
    }

    /// How many items of each step ([`STEPS`]) the files hold.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let sum = |f: fn(&CentreFile) -> usize| self.catalogues.iter().map(f).sum::<usize>();
        BTreeMap::from([
            ("centres", self.centres.len()),
            ("halls", self.halls.len()),
            ("members", self.halls.iter().map(|h| h.members.len()).sum()),
            ("zones", self.zones.len()),
            ("units", sum(|c| c.unit.len())),
            ("staff", sum(|c| c.staff.len())),
            ("matters", sum(|c| c.matter.len())),
            ("windows", self.windows.len()),
            ("bundles", sum(|c| c.bundle.len())),
        ])
    }

    /// The codes of the centres, parents before children.
    pub fn centre_codes(&self) -> Vec<&str> {
        self.centres.iter().map(|c| c.code.as_str()).collect()
    }
}

/// Orders centres parents first; reports unknown parents and cycles.
fn order_centres(p: &mut Problems, centres: Vec<CentreSpec>) -> Vec<CentreSpec> {
    let codes: HashSet<String> = centres.iter().map(|c| c.code.clone()).collect();
    let mut placed: HashSet<String> = HashSet::new();
    let mut ordered = Vec::with_capacity(centres.len());
    let mut rest = centres;
    loop {
        let (ready, waiting): (Vec<_>, Vec<_>) =
            rest.into_iter().partition(|c| c.parent.as_ref().is_none_or(|parent| placed.contains(parent)));
        if ready.is_empty() {
            rest = waiting;
            break;
        }
        for c in ready {
            placed.insert(c.code.clone());
            ordered.push(c);
        }
        rest = waiting;
    }
    for c in rest {
        let item = format!("centre {}", c.code);
        let parent = c.parent.as_deref().unwrap_or_default();
        let message = if codes.contains(parent) {
            format!("parent {parent:?} cannot be placed in the tree: its ancestors form a cycle or are unknown")
        } else {
            format!("parent {parent:?} is not a centre of deployment.toml")
        };
        p.reference(DEPLOYMENT, &item, "parent", message);
    }
    ordered
}

/// Checks every reference and domain rule of the parsed files.
fn check(mut d: DeploymentFile, mut files: BTreeMap<String, (String, CentreFile)>) -> Result<Deployment, ImportError> {
    let mut p = Problems::default();

    // Centres: unique codes, known parents, valid drafts (levels below their parents).
    let mut seen = HashSet::new();
    for c in &d.centre {
        if !seen.insert(c.code.clone()) {
            p.duplicate(DEPLOYMENT, &format!("centre {}", c.code), "code", "another centre has this code".into());
        }
    }
    let centres = order_centres(&mut p, std::mem::take(&mut d.centre));
    let mut parsed: HashMap<&str, (Level, Code)> = HashMap::new();
    for c in &centres {
        let parent =
            c.parent.as_deref().and_then(|p| parsed.get(p)).map(|(l, r)| (CentreId(Uuid::nil()), *l, r.clone()));
        if c.parent.is_some() && parent.is_none() {
            continue; // the parent is reported already
        }
        let draft = CentreDraft {
            code: c.code.clone(),
            name: c.name.clone(),
            level: c.level,
            parent,
            region: c.region.clone(),
        };
        match draft.parse(CentreId(Uuid::nil())) {
            Ok(ok) => {
                parsed.insert(&c.code, (ok.level, ok.region));
            }
            Err(es) => p.domain(DEPLOYMENT, &format!("centre {}", c.code), es),
        }
    }
    let centre_codes: HashSet<&str> = centres.iter().map(|c| c.code.as_str()).collect();

    // Each centre's file: it must belong to a centre.
    for (code, (file, _)) in &files {
        if !centre_codes.contains(code.as_str()) {
            p.push(file, None, None, "UNKNOWN_FILE", format!("no centre {code:?} in deployment.toml"));
        }
    }
    let catalogues: Vec<CentreFile> =
        centres.iter().map(|c| files.remove(&c.code).map(|(_, f)| f).unwrap_or_default()).collect();
    let matter_codes: HashMap<&str, HashSet<&str>> = centres
        .iter()
        .zip(&catalogues)
        .map(|(c, f)| (c.code.as_str(), f.matter.iter().map(|m| m.code.as_str()).collect()))
        .collect();
    for (c, f) in centres.iter().zip(&catalogues) {
        check_centre(&mut p, &c.code, f);
    }

    // Halls: known running centre and members.
    let mut halls: HashMap<&str, &HallSpec> = HashMap::new();
    for h in &d.hall {
        let item = format!("hall {}", h.code);
        if halls.insert(&h.code, h).is_some() {
            p.duplicate(DEPLOYMENT, &item, "code", "another hall has this code".into());
        }
        if !centre_codes.contains(h.centre.as_str()) {
            p.reference(
                DEPLOYMENT,
                &item,
                "centre",
                format!("centre {:?} is not a centre of deployment.toml", h.centre),
            );
        }
        if let Err(es) = parse_code_and_name(&h.code, &h.name) {
            p.domain(DEPLOYMENT, &item, es);
        }
        if let Err(e) = parse_address(&h.address) {
            p.domain(DEPLOYMENT, &item, vec![e]);
        }
        for (i, m) in h.members.iter().enumerate() {
            let field = format!("members.{i}");
            if !centre_codes.contains(m.as_str()) {
                p.reference(DEPLOYMENT, &item, &field, format!("member {m:?} is not a centre of deployment.toml"));
            } else if *m == h.centre {
                p.duplicate(DEPLOYMENT, &item, &field, format!("{m} runs the hall, so it shares it already"));
            } else if h.members[..i].contains(m) {
                p.duplicate(DEPLOYMENT, &item, &field, format!("{m} is listed twice"));
            }
        }
    }

    // Zones: in a known hall, unique codes per hall.
    let mut zones: HashSet<(&str, &str)> = HashSet::new();
    for z in &d.zone {
        let item = format!("zone {} of hall {}", z.code, z.hall);
        if !halls.contains_key(z.hall.as_str()) {
            p.reference(DEPLOYMENT, &item, "hall", format!("hall {:?} is not a hall of deployment.toml", z.hall));
        }
        if !zones.insert((&z.hall, &z.code)) {
            p.duplicate(DEPLOYMENT, &item, "code", "another zone of the hall has this code".into());
        }
        if let Err(es) = parse_code_and_name(&z.code, &z.name) {
            p.domain(DEPLOYMENT, &item, es);
        }
    }

    // Windows: in a known zone of the hall, unique numbers per hall, matters of centres that
    // share the hall.
    let mut numbers: HashSet<(&str, &str)> = HashSet::new();
    for w in &d.window {
        let item = format!("window {} of hall {}", w.number, w.hall);
        let hall = halls.get(w.hall.as_str());
        match hall {
            None => {
                p.reference(DEPLOYMENT, &item, "hall", format!("hall {:?} is not a hall of deployment.toml", w.hall));
            }
            Some(_) if !zones.contains(&(w.hall.as_str(), w.zone.as_str())) => {
                p.reference(DEPLOYMENT, &item, "zone", format!("zone {:?} is not a zone of hall {}", w.zone, w.hall));
            }
            Some(_) => {}
        }
        if !numbers.insert((&w.hall, &w.number)) {
            p.duplicate(DEPLOYMENT, &item, "number", "another window of the hall has this number".into());
        }
        if let Err(es) = parse_code_and_name(&w.number, &w.name) {
            let es = es
                .into_iter()
                .map(|mut e| {
                    if e.field == "code" {
                        e.field = "number".into();
                    }
                    e
                })
                .collect();
            p.domain(DEPLOYMENT, &item, es);
        }
        for (i, m) in w.matters.iter().enumerate() {
            let field = format!("matters.{i}");
            let Some((centre, code)) = m.split_once(':') else {
                p.reference(DEPLOYMENT, &item, &field, format!("{m:?} is not of the form \"centre:matter code\""));
                continue;
            };
            let shares = hall.is_some_and(|h| h.centre == centre || h.members.iter().any(|c| c == centre));
            if !centre_codes.contains(centre) {
                p.reference(DEPLOYMENT, &item, &field, format!("centre {centre:?} is not a centre of deployment.toml"));
            } else if hall.is_some() && !shares {
                p.reference(DEPLOYMENT, &item, &field, format!("centre {centre} does not share hall {}", w.hall));
            } else if !matter_codes.get(centre).is_some_and(|ms| ms.contains(code)) {
                p.reference(DEPLOYMENT, &item, &field, format!("no matter {code} in {}", centre_file(centre)));
            } else if w.matters[..i].contains(m) {
                p.duplicate(DEPLOYMENT, &item, &field, format!("{m} is listed twice"));
            }
        }
    }

    p.finish(|| Deployment { centres, halls: d.hall, zones: d.zone, windows: d.window, catalogues })
}

/// Checks one centre's file: unique codes, known units and matters, valid guides and bundles.
fn check_centre(p: &mut Problems, centre: &str, f: &CentreFile) {
    let file = centre_file(centre);
    let file = file.as_str();

    let mut units: HashMap<&str, UnitId> = HashMap::new();
    for (i, u) in f.unit.iter().enumerate() {
        let item = format!("unit {}", u.code);
        // Stand-in ids, only to check bundles with the domain's rules.
        if units.insert(&u.code, UnitId(Uuid::from_u128(i as u128 + 1))).is_some() {
            p.duplicate(file, &item, "code", "another unit has this code".into());
        }
        if let Err(es) = parse_code_and_name(&u.code, &u.name) {
            p.domain(file, &item, es);
        }
    }
    let unknown_unit = |u: &str| format!("{u:?} is not a unit of {centre}");

    let mut staff = HashSet::new();
    for s in &f.staff {
        let item = format!("staff {}", s.code);
        if !staff.insert(&s.code) {
            p.duplicate(file, &item, "code", "another member of staff has this code".into());
        }
        if let Err(es) = parse_code_and_name(&s.code, &s.name) {
            p.domain(file, &item, es);
        }
        if let Some(u) = &s.unit
            && !units.contains_key(u.as_str())
        {
            p.reference(file, &item, "unit", format!("unit {}", unknown_unit(u)));
        }
        if s.roles.is_empty() {
            p.push(
                file,
                Some(&item),
                Some("roles"),
                "TOO_FEW",
                "roles: a member of staff holds at least one role".into(),
            );
        }
        if let Err(r) = Roles::parse(s.roles.iter().map(String::as_str)) {
            let known = Role::ALL.map(Role::as_str).join(", ");
            p.reference(file, &item, "roles", format!("roles: {r:?} is not a role (one of {known})"));
        }
    }

    let mut matters: HashMap<&str, (MatterId, UnitId)> = HashMap::new();
    for (i, m) in f.matter.iter().enumerate() {
        let item = format!("matter {}", m.code);
        let owner = units.get(m.owner_unit.as_str()).copied();
        if owner.is_none() {
            p.reference(file, &item, "owner_unit", format!("owner_unit {}", unknown_unit(&m.owner_unit)));
        }
        let owner = owner.unwrap_or(UnitId(Uuid::nil()));
        if matters.insert(&m.code, (MatterId(Uuid::from_u128(i as u128 + 1)), owner)).is_some() {
            p.duplicate(file, &item, "code", "another matter has this code".into());
        }
        if let Err(es) = m.draft(owner).parse() {
            p.domain(file, &item, es);
        }
    }

    let mut bundles = HashSet::new();
    for b in &f.bundle {
        let item = format!("bundle {}", b.code);
        if !bundles.insert(&b.code) {
            p.duplicate(file, &item, "code", "another bundle has this code".into());
        }
        let lead = units.get(b.lead_unit.as_str()).copied();
        if lead.is_none() {
            p.reference(file, &item, "lead_unit", format!("lead_unit {}", unknown_unit(&b.lead_unit)));
        }
        let mut listed = Vec::with_capacity(b.matters.len());
        let mut broken = lead.is_none();
        for (i, code) in b.matters.iter().enumerate() {
            let field = format!("matters.{i}");
            match matters.get(code.as_str()) {
                None => {
                    p.reference(file, &item, &field, format!("no matter {code} in {file}"));
                    broken = true;
                }
                Some(_) if b.matters[..i].contains(code) => {
                    p.duplicate(file, &item, &field, format!("{code} is listed twice"));
                    broken = true;
                }
                Some((id, owner)) => listed.push((*id, *owner, MatterStatus::Active)),
            }
        }
        if let (false, Some(lead)) = (broken, lead) {
            let draft = BundleDraft {
                code: b.code.clone(),
                name: b.name.clone(),
                description: b.description.clone(),
                lead_unit: lead,
                matters: listed,
            };
            if let Err(es) = draft.parse(BundleId(Uuid::nil()), CentreId(Uuid::nil())) {
                p.domain(file, &item, es);
            }
        }
    }
}

// ----- the import -----

/// Where an import stands: `done` of `total` items of `step` ([`STEPS`]) handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    /// The step.
    pub step: &'static str,
    /// Items of the step handled so far.
    pub done: usize,
    /// Items of the step in the deployment.
    pub total: usize,
}

/// What an import did: per step ([`STEPS`]), how many items it created and how many it
/// skipped because they existed (by code). Displays as a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Items created, per step.
    pub created: BTreeMap<&'static str, usize>,
    /// Items that existed already, per step.
    pub skipped: BTreeMap<&'static str, usize>,
}

impl Default for ImportReport {
    fn default() -> Self {
        let zero: BTreeMap<&'static str, usize> = STEPS.iter().map(|s| (*s, 0)).collect();
        ImportReport { created: zero.clone(), skipped: zero }
    }
}

impl ImportReport {
    /// Items created in all steps.
    pub fn created_total(&self) -> usize {
        self.created.values().sum()
    }

    /// Items skipped in all steps.
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let get = |m: &BTreeMap<&'static str, usize>, s: &str| m.get(s).copied().unwrap_or(0);
        writeln!(f, "{:<10}{:>9}{:>9}", "step", "created", "skipped")?;
        for s in STEPS {
            writeln!(f, "{:<10}{:>9}{:>9}", s, get(&self.created, s), get(&self.skipped, s))?;
        }
        write!(f, "{:<10}{:>9}{:>9}", "total", self.created_total(), self.skipped_total())
    }
}

/// The importer's caller for a centre: a system admin of that centre (no staff behind it).
fn system(centre: CentreId) -> Caller {
    Caller::Staff(Scope { centre, staff: StaffId::SYSTEM, roles: Roles::NONE.with(Role::Admin), supervised: vec![] })
}

/// Maps a platform error to one naming the file and item.
fn failed(file: &str, item: &str) -> impl FnOnce(Error) -> ImportError {
    let (file, item) = (file.to_owned(), item.to_owned());
    move |source| ImportError::Platform { file, item, source }
}

/// An id the checks guarantee but the database lacks (a concurrent change): reported as the
/// platform's not-found error.
fn missing<T>(found: Option<T>, file: &str, item: &str, field: &str, what: &str) -> Result<T, ImportError> {
    found.ok_or_else(|| failed(file, item)(Error::not_found(field, what)))
}

/// The state of one import run.
struct Run<'a> {
    od: &'a Onedoor,
    d: &'a Deployment,
    progress: &'a mut dyn FnMut(ImportProgress),
    report: ImportReport,
    counts: BTreeMap<&'static str, usize>,
    centres: HashMap<String, CentreId>,
    halls: HashMap<String, Hall>,
    zones: HashMap<(String, String), ZoneId>,
    units: HashMap<(String, String), UnitId>,
    matters: HashMap<(String, String), (CentreId, MatterId)>,
}

/// Imports a deployment: creates what is missing, keyed by code, and skips what exists, in the
/// order root centres, child centres (as their parent's admin), halls, hall members, zones,
/// units, staff (with [`staff_id`]s), matters, windows, bundles. Running it again creates
/// nothing. `progress` hears of every item handled.
pub async fn import(
    od: &Onedoor,
    d: &Deployment,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<ImportReport, ImportError> {
    let mut run = Run {
        od,
        d,
        progress,
        report: ImportReport::default(),
        counts: d.counts(),
        centres: HashMap::new(),
        halls: HashMap::new(),
        zones: HashMap::new(),
        units: HashMap::new(),
        matters: HashMap::new(),
    };
    run.centres().await?;
    run.halls().await?;
    run.members().await?;
    run.zones().await?;
    run.units().await?;
    run.staff().await?;
    run.matters().await?;
    run.windows().await?;
    run.bundles().await?;
    Ok(run.report)
}

impl Run<'_> {
    /// Counts an item of `step` as created or skipped, and tells the progress callback.
    fn tick(&mut self, step: &'static str, created: bool) {
        let counter = if created { &mut self.report.created } else { &mut self.report.skipped };
        *counter.entry(step).or_insert(0) += 1;
        let done =
            self.report.created.get(step).copied().unwrap_or(0) + self.report.skipped.get(step).copied().unwrap_or(0);
        let total = self.counts.get(step).copied().unwrap_or(0);
        (self.progress)(ImportProgress { step, done, total });
    }

    fn centre(&self, code: &str, file: &str, item: &str) -> Result<CentreId, ImportError> {
        missing(self.centres.get(code).copied(), file, item, "centre", "centre")
    }

    fn hall(&self, code: &str, item: &str) -> Result<Hall, ImportError> {
        missing(self.halls.get(code).cloned(), DEPLOYMENT, item, "hall", "hall")
    }

    async fn centres(&mut self) -> Result<(), ImportError> {
        let d = self.d;
        for c in &d.centres {
            let item = format!("centre {}", c.code);
            let fail = || failed(DEPLOYMENT, &item);
            let (id, created) = match self.od.centre_by_code(&c.code).await.map_err(fail())? {
                Some(found) => (found.id, false),
                None => {
                    let parent = match &c.parent {
                        Some(p) => Some(system(self.centre(p, DEPLOYMENT, &item)?)),
                        None => None,
                    };
                    let made = self
                        .od
                        .create_centre(parent.as_ref(), &c.code, &c.name, c.level, c.region.as_deref())
                        .await
                        .map_err(fail())?;
                    (made.id, true)
                }
            };
            self.centres.insert(c.code.clone(), id);
            self.tick("centres", created);
        }
        Ok(())
    }

    async fn halls(&mut self) -> Result<(), ImportError> {
        let d = self.d;
        for h in &d.halls {
            let item = format!("hall {}", h.code);
            let fail = || failed(DEPLOYMENT, &item);
            let centre = self.centre(&h.centre, DEPLOYMENT, &item)?;
            let (hall, created) = match self.od.hall_by_code(centre, &h.code).await.map_err(fail())? {
                Some(found) => (found, false),
                None => {
                    let made =
                        self.od.create_hall(&system(centre), &h.code, &h.name, &h.address).await.map_err(fail())?;
                    (made, true)
                }
            };
            self.halls.insert(h.code.clone(), hall);
            self.tick("halls", created);
        }
        Ok(())
    }

    async fn members(&mut self) -> Result<(), ImportError> {
        let d = self.d;
        for h in &d.halls {
            let item = format!("hall {}", h.code);
            let fail = || failed(DEPLOYMENT, &item);
            let hall = self.hall(&h.code, &item)?;
            let current = self.od.hall_members(&hall).await.map_err(fail())?;
            for m in &h.members {
                let member = self.centre(m, DEPLOYMENT, &item)?;
                let created = !current.contains(&member);
                if created {
                    self.od.add_hall_member(&system(hall.centre), hall.id, member).await.map_err(fail())?;
                }
                self.tick("members", created);
            }
        }
        Ok(())
    }

    async fn zones(&mut self) -> Result<(), ImportError> {
        let d = self.d;
        for z in &d.zones {
            let item = format!("zone {} of hall {}", z.code, z.hall);
            let fail = || failed(DEPLOYMENT, &item);
            let hall = self.hall(&z.hall, &item)?;
            let (id, created) = match self.od.zone_by_code(&hall, &z.code).await.map_err(fail())? {
                Some(found) => (found.id, false),
                None => {
                    let made =
                        self.od.create_zone(&system(hall.centre), hall.id, &z.code, &z.name).await.map_err(fail())?;
                    (made.id, true)
                }
            };
            self.zones.insert((z.hall.clone(), z.code.clone()), id);
            self.tick("zones", created);
        }
        Ok(())
    }

    async fn units(&mut self) -> Result<(), ImportError> {
        let d = self.d;
        for (c, f) in d.centres.iter().zip(&d.catalogues) {
            let file = centre_file(&c.code);
            for u in &f.unit {
                let item = format!("unit {}", u.code);
                let fail = || failed(&file, &item);
                let centre = self.centre(&c.code, &file, &item)?;
                let (id, created) = match self.od.unit_by_code(centre, &u.code).await.map_err(fail())? {
                    Some(found) => (found.id, false),
                    None => {
                        let made =
                            self.od.create_unit(&system(centre), &u.code, &u.name, u.kind).await.map_err(fail())?;
                        (made.id, true)
                    }
                };
                self.units.insert((c.code.clone(), u.code.clone()), id);
                self.tick("units", created);
            }
        }
        Ok(())
    }

    fn unit(&self, centre: &str, code: &str, file: &str, item: &str, field: &str) -> Result<UnitId, ImportError> {
        missing(self.units.get(&(centre.to_owned(), code.to_owned())).copied(), file, item, field, "unit")
    }

    async fn staff(&mut self) -> Result<(), ImportError> {
        let d = self.d;
        for (c, f) in d.centres.iter().zip(&d.catalogues) {
            let file = centre_file(&c.code);
            for s in &f.staff {
                let item = format!("staff {}", s.code);
                let fail = || failed(&file, &item);
                let centre = self.centre(&c.code, &file, &item)?;
                let admin = system(centre);
                let created = match self.od.staff_by_code(&admin, centre, &s.code).await.map_err(fail())? {
                    Some(_) => false,
                    None => {
                        let unit = match &s.unit {
                            Some(u) => Some(self.unit(&c.code, u, &file, &item, "unit")?),
                            None => None,
                        };
                        let roles = Roles::parse(s.roles.iter().map(String::as_str)).map_err(|r| {
                            fail()(Error::Invalid(vec![DomainError::new(
                                "roles",
                                onedoor_domain::ErrorCode::InvalidReference,
                                format!("{r:?} is not a role"),
                            )]))
                        })?;
                        let id = staff_id(&c.code, &s.code);
                        self.od.create_staff_with_id(&admin, id, &s.code, &s.name, unit, roles).await.map_err(fail())?;
                        true
                    }
                };
                self.tick("staff", created);
            }
        }
        Ok(())
    }

    async fn matters(&mut self) -> Result<(), ImportError> {
        let d = self.d;
        for (c, f) in d.centres.iter().zip(&d.catalogues) {
            let file = centre_file(&c.code);
            for m in &f.matter {
                let item = format!("matter {}", m.code);
                let fail = || failed(&file, &item);
                let centre = self.centre(&c.code, &file, &item)?;
                let admin = system(centre);
                let (id, created) = match self.od.matter_by_code(&admin, centre, &m.code).await.map_err(fail())? {
                    Some(found) => (found.id, false),
                    None => {
                        let owner = self.unit(&c.code, &m.owner_unit, &file, &item, "owner_unit")?;
                        let why = format!("imported from {file}");
                        let made = self.od.add_matter(&admin, m.draft(owner), &why).await.map_err(fail())?;
                        (made.id, true)
                    }
                };
                self.matters.insert((c.code.clone(), m.code.clone()), (centre, id));
                self.tick("matters", created);
            }
        }
        Ok(())
    }

    fn matter(&self, centre: &str, code: &str, file: &str, item: &str) -> Result<(CentreId, MatterId), ImportError> {
        missing(self.matters.get(&(centre.to_owned(), code.to_owned())).copied(), file, item, "matters", "matter")
    }

    async fn windows(&mut self) -> Result<(), ImportError> {
        let d = self.d;
        for w in &d.windows {
            let item = format!("window {} of hall {}", w.number, w.hall);
            let fail = || failed(DEPLOYMENT, &item);
            let hall = self.hall(&w.hall, &item)?;
            let created = match self.od.window_by_number(&hall, &w.number).await.map_err(fail())? {
                Some(_) => false,
                None => {
                    let zone = missing(
                        self.zones.get(&(w.hall.clone(), w.zone.clone())).copied(),
                        DEPLOYMENT,
                        &item,
                        "zone",
                        "zone",
                    )?;
                    let mut matters = Vec::with_capacity(w.matters.len());
                    for m in &w.matters {
                        let (centre, code) = m.split_once(':').unwrap_or((m, ""));
                        matters.push(self.matter(centre, code, DEPLOYMENT, &item)?);
                    }
                    self.od
                        .create_window(&system(hall.centre), hall.id, zone, &w.number, &w.name, &matters)
                        .await
                        .map_err(fail())?;
                    true
                }
            };
            self.tick("windows", created);
        }
        Ok(())
    }

    async fn bundles(&mut self) -> Result<(), ImportError> {
        let d = self.d;
        for (c, f) in d.centres.iter().zip(&d.catalogues) {
            let file = centre_file(&c.code);
            for b in &f.bundle {
                let item = format!("bundle {}", b.code);
                let fail = || failed(&file, &item);
                let centre = self.centre(&c.code, &file, &item)?;
                let admin = system(centre);
                let created = match self.od.bundle_by_code(&admin, centre, &b.code).await.map_err(fail())? {
                    Some(_) => false,
                    None => {
                        let lead = self.unit(&c.code, &b.lead_unit, &file, &item, "lead_unit")?;
                        let mut matters = Vec::with_capacity(b.matters.len());
                        for m in &b.matters {
                            matters.push(self.matter(&c.code, m, &file, &item)?.1);
                        }
                        self.od
                            .create_bundle(&admin, &b.code, &b.name, &b.description, lead, &matters)
                            .await
                            .map_err(fail())?;
                        true
                    }
                };
                self.tick("bundles", created);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onedoor_domain::catalogue::MatterStatus;

    fn example() -> Deployment {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants-example/pingliang");
        Deployment::from_dir(&dir).unwrap_or_else(|e| panic!("the example loads:\n{e}"))
    }

    /// A database file of its own, removed (with its WAL files) when dropped.
    struct TempDb(PathBuf);

    impl TempDb {
        fn new() -> TempDb {
            TempDb(std::env::temp_dir().join(format!("onedoor-import-{}.db", Uuid::now_v7())))
        }

        fn url(&self) -> String {
            format!("sqlite://{}?mode=rwc", self.0.display())
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    const DEPLOYMENT_TOML: &str = r#"
[[centre]]
code = "pingliang"
name = "平凉市政务服务中心"
level = "CITY"

[[centre]]
code = "kongtong"
name = "崆峒区政务服务中心"
level = "DISTRICT"
parent = "pingliang"
"#;

    const MATTER: &str = r#"
[[unit]]
code = "mz"
name = "崆峒区民政局"
kind = "DISTRICT_DEPARTMENT"

[[matter]]
code = "62080200MZ-XK-0003"
name = "内地居民结婚登记"
matter_type = "CONFIRMATION"
owner_unit = "@UNIT"
handling_level = "DISTRICT"
legal_basis = "《婚姻登记条例》第五条"
statutory_days = 0
promised_days = PROMISED
modes = ["ONE_VISIT"]
max_visits = 1
cross_scope = "OWNER_ONLY"
delivery = ["PICKUP"]
online = false
"#;

    fn kongtong(text: &str) -> Result<Deployment, ImportError> {
        Deployment::from_files(&[("deployment.toml", DEPLOYMENT_TOML), ("centres/kongtong.toml", text)])
    }

    #[test]
    fn the_example_counts() {
        let d = example();
        assert_eq!(d.centre_codes(), vec!["pingliang", "kongtong"]);
        let counts: Vec<(&str, usize)> = STEPS.iter().map(|s| (*s, d.counts()[s])).collect();
        assert_eq!(
            counts,
            vec![
                ("centres", 2),
                ("halls", 1),
                ("members", 1),
                ("zones", 20),
                ("units", 20),
                ("staff", 19),
                ("matters", 28),
                ("windows", 14),
                ("bundles", 4),
            ]
        );
    }

    #[tokio::test]
    async fn the_example_imports_once() {
        let d = example();
        let db = TempDb::new();
        let od = Onedoor::open(&db.url()).await.expect("open");
        let mut heard = Vec::new();
        let first = import(&od, &d, &mut |p| heard.push(p)).await.unwrap_or_else(|e| panic!("import:\n{e}"));
        assert_eq!(first.created, d.counts(), "\n{first}");
        assert_eq!(first.skipped_total(), 0);
        let last = heard.last().copied();
        assert_eq!(last, Some(ImportProgress { step: "bundles", done: 4, total: 4 }));
        assert_eq!(heard.len(), d.counts().values().sum::<usize>());

        let second = import(&od, &d, &mut |_| {}).await.unwrap_or_else(|e| panic!("re-import:\n{e}"));
        assert_eq!(second.created_total(), 0, "\n{second}");
        assert_eq!(second.skipped, d.counts());
        assert!(second.to_string().contains("total"));

        // What was written: the tree, the shared hall, stable staff ids, windows of both centres.
        let city = od.centre_by_code("pingliang").await.expect("read").expect("city");
        let district = od.centre_by_code("kongtong").await.expect("read").expect("district");
        assert_eq!(district.parent, Some(city.id));
        assert_eq!(district.region.as_str(), "pingliang");
        let hall = od.hall_by_code(city.id, "smzx").await.expect("read").expect("hall");
        assert_eq!(od.hall_members(&hall).await.expect("read"), vec![city.id, district.id]);
        assert_eq!(od.halls_of(district.id).await.expect("read"), vec![hall.clone()]);
        let admin = system(district.id);
        let staff = od.staff_by_code(&admin, district.id, "admin").await.expect("read").expect("staff");
        assert_eq!(staff.id, staff_id("kongtong", "admin"));
        assert!(staff.roles.has(Role::Admin));
        let window = od.window_by_number(&hall, "E01").await.expect("read").expect("window");
        let served = od.window_matters(&window).await.expect("read");
        assert!(served.iter().any(|(c, _)| *c == city.id) && served.iter().any(|(c, _)| *c == district.id));
        let m = od.matter_by_code(&Caller::Anonymous, district.id, "62080200mz-qr-0001").await.expect("read");
        let m = m.expect("a public matter");
        assert_eq!((m.status, m.version, m.guide.limits.promised().get()), (MatterStatus::Active, 1, 0));
        let bundle = od.bundle_by_code(&admin, district.id, "kbqy").await.expect("read").expect("bundle");
        assert_eq!(bundle.matters.len(), 5);
        let unit = od.unit_by_code(district.id, "scjg").await.expect("read").expect("unit");
        assert_eq!(bundle.lead_unit, unit.id);
        let zone = od.zone_by_code(&hall, "T").await.expect("read").expect("zone");
        assert_eq!(zone.name.as_str(), "12345综合便民热线受理中心");
    }

    #[test]
    fn a_broken_file_names_file_and_line() {
        let e = kongtong("[[unit]]\ncode = \"mz\"\nname = \"崆峒区民政局\nkind = \"DISTRICT_DEPARTMENT\"\n")
            .expect_err("an unclosed string");
        assert_eq!(e.code(), "SYNTAX");
        assert!(e.to_string().starts_with("centres/kongtong.toml:3:"), "{e}");

        let e = kongtong(
            "[[unit]]\ncode = \"mz\"\nname = \"崆峒区民政局\"\nkind = \"DISTRICT_DEPARTMENT\"\ncolour = \"red\"\n",
        )
        .expect_err("an unknown field");
        assert!(e.to_string().starts_with("centres/kongtong.toml:5:1: "), "{e}");
        assert!(e.to_string().contains("colour"), "{e}");

        let e = kongtong("[[unit]]\ncode = \"mz\"\nname = \"崆峒区民政局\"\nkind = \"CITY_HALL\"\n")
            .expect_err("an unknown kind");
        assert!(e.to_string().starts_with("centres/kongtong.toml:4:8: "), "{e}");

        let e = Deployment::from_files(&[("deployment.toml", "[[centre]\n"), ("centres/kongtong.toml", "x = 1\n")])
            .expect_err("two broken files");
        let ImportError::Invalid(problems) = &e else { panic!("{e}") };
        let files: Vec<_> = problems.iter().map(|p| (p.file.as_str(), p.at.map(|a| a.0))).collect();
        assert_eq!(files, vec![("deployment.toml", Some(1)), ("centres/kongtong.toml", Some(1))]);
    }

    #[test]
    fn an_unknown_unit_names_file_and_item() {
        let e = kongtong(&MATTER.replace("@UNIT", "x").replace("PROMISED", "0")).expect_err("unknown unit");
        assert_eq!(e.code(), "INVALID_REFERENCE");
        assert_eq!(
            e.to_string(),
            "centres/kongtong.toml: matter 62080200MZ-XK-0003: owner_unit \"x\" is not a unit of kongtong"
        );
    }

    #[test]
    fn domain_rules_name_file_item_and_field() {
        assert!(kongtong(&MATTER.replace("@UNIT", "mz").replace("PROMISED", "0")).is_ok());
        let e = kongtong(&MATTER.replace("@UNIT", "mz").replace("PROMISED", "5")).expect_err("promised > statutory");
        assert_eq!(e.code(), "PROMISED_EXCEEDS_STATUTORY");
        let ImportError::Invalid(problems) = &e else { panic!("{e}") };
        assert_eq!(problems[0].field.as_deref(), Some("promised_days"));
        assert!(
            e.to_string().starts_with("centres/kongtong.toml: matter 62080200MZ-XK-0003: promised_days: the promised"),
            "{e}"
        );
    }

    #[test]
    fn references_across_files_are_checked() {
        let deployment = format!(
            "{DEPLOYMENT_TOML}\n[[hall]]\ncentre = \"kongtong\"\ncode = \"h\"\nname = \"大厅\"\nmembers = [\"nowhere\"]\n\
             [[zone]]\nhall = \"h\"\ncode = \"A\"\nname = \"综合区\"\n\
             [[window]]\nhall = \"h\"\nzone = \"B\"\nnumber = \"01\"\nname = \"窗口\"\n\
             matters = [\"pingliang:62080000XX-XK-0001\", \"kongtong\"]\n"
        );
        let e = Deployment::from_files(&[("deployment.toml", &deployment), ("centres/jingchuan.toml", "")])
            .expect_err("broken references");
        let text = e.to_string();
        for expected in [
            "centres/jingchuan.toml: no centre \"jingchuan\" in deployment.toml",
            "deployment.toml: hall h: member \"nowhere\" is not a centre of deployment.toml",
            "deployment.toml: window 01 of hall h: zone \"B\" is not a zone of hall h",
            "deployment.toml: window 01 of hall h: centre pingliang does not share hall h",
            "deployment.toml: window 01 of hall h: \"kongtong\" is not of the form \"centre:matter code\"",
        ] {
            assert!(text.contains(expected), "{expected}\nnot in\n{text}");
        }
    }

    #[test]
    fn staff_ids_are_stable() {
        assert_eq!(staff_id("kongtong", "admin"), staff_id("kongtong", "admin"));
        assert_ne!(staff_id("kongtong", "admin"), staff_id("pingliang", "admin"));
        assert_eq!(staff_id("kongtong", "admin").0.get_version_num(), 5);
    }

    #[test]
    fn the_report_is_a_table() {
        let mut r = ImportReport::default();
        r.created.insert("matters", 28);
        r.skipped.insert("centres", 2);
        let text = r.to_string();
        assert!(text.lines().any(|l| l.split_whitespace().eq(["matters", "28", "0"])), "{text}");
        assert!(text.lines().any(|l| l.split_whitespace().eq(["total", "28", "2"])), "{text}");
    }
}
