//! Loading a deployment (centres, halls, units, staff, matters, bundles, workflows, the
//! working-day calendar, plugins) from files.
//!
//! A deployment is a directory of files that a city edits by hand (the example is
//! `tenants-example/pingliang`); small things are TOML, large tables CSV:
//!
//! - `deployment.toml`: the centres (`[[centre]]`: `code`, `name`, `level`, optional `parent`
//!   and `region`), the halls (`[[hall]]`: `centre` that runs it, `code`, `name`, `address`,
//!   `members` sharing it), their zones (`[[zone]]`: `hall`, `code`, `name`) and windows
//!   (`[[window]]`: `hall`, `zone`, `number`, `name`, `matters` as `"centre:matter code"`),
//!   working-day calendars (`[[calendar]]`: `centre`, `holidays` and `workdays` as
//!   `{ date = "2018-10-01", note = "国庆节" }`) and plugins (`[[plugin]]`: `centre`, `name`,
//!   `file`, a component under `plugins/`, uploaded and activated for the centre);
//! - `windows.csv` (optional): more windows, columns `hall,zone,number,name,matters` (matters
//!   separated by spaces);
//! - `centres/<centre code>.toml`: one centre's units (`[[unit]]`: `code`, `name`, `kind`),
//!   staff (`[[staff]]`: `code`, `name`, optional `unit` code, `roles`), matters (`[[matter]]`:
//!   every field of a service guide in snake_case, `owner_unit` a unit code, materials and fees
//!   as `[[matter.materials]]` and `[[matter.fees]]`), bundles (`[[bundle]]`: `code`, `name`,
//!   `description`, `lead_unit` code, `matters` codes) and workflows (`[[workflow]]`: `matter`
//!   code, `[[workflow.steps]]` with `key`, `name`, `kind` task/split/join, `unit` code, `role`,
//!   `limit`, `next` keys);
//! - `centres/<centre code>/*.csv` (optional): the same tables for large catalogues:
//!   `units.csv` (`code,name,kind`), `staff.csv` (`code,name,unit,roles`, roles separated by
//!   spaces), `matters.csv` (the guide's scalar fields; `modes` and `delivery` separated by
//!   spaces), `materials.csv` (`matter,name,required,form,copies,elicence_type,note`) and
//!   `fees.csv` (`matter,item,amount,basis`), rows keyed by the matter's code.
//!
//! [`Deployment::from_dir`] (or [`Deployment::from_files`] for files embedded in a binary)
//! parses every file, then checks every reference and every domain rule, and reports all the
//! problems it finds — each with its file, line and column, the item and the field — before
//! anything is written. [`import`] then creates what is missing and skips what exists, keyed
//! by code: a second run creates nothing. Staff get stable ids ([`staff_id`]), so tokens issued
//! for them stay valid across re-imports and databases.

use crate::{Error, Onedoor, system};
use chrono::{Datelike, NaiveDate};
use onedoor_domain::calendar::{CalendarDay, DayKind, validate_days};
use onedoor_domain::catalogue::{
    BundleDraft, CrossCentreScope, DeliveryOption, FeeDraft, GuideDraft, HandlingMode, MaterialDraft, MaterialForm,
    MatterStatus, MatterType,
};
use onedoor_domain::error::DomainError;
use onedoor_domain::organisation::{CentreDraft, Hall, Level, UnitKind, parse_address, parse_code_and_name};
use onedoor_domain::values::Code;
use onedoor_domain::workflow::{StepDef, StepKind, WorkflowDef};
use onedoor_domain::{BundleId, CentreId, HallId, MatterId, Role, Roles, StaffId, UnitId, ZoneId};
use onedoor_store::{MatterFilter, Page};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;
use uuid::Uuid;

/// The namespace of the stable (version 5) ids the importer gives to staff.
pub const NAMESPACE: Uuid = Uuid::from_u128(0x4df6_5b8e_c993_4ac4_a55e_3737_330c_9bb4);

/// The steps of an import, in the order they run; the keys of [`ImportReport`] and
/// [`Deployment::counts`]. `calendar` counts declared days.
pub const STEPS: [&str; 12] = [
    "centres",
    "calendar",
    "halls",
    "members",
    "zones",
    "units",
    "staff",
    "matters",
    "windows",
    "bundles",
    "workflows",
    "plugins",
];

/// The file naming the centres, halls, zones, windows, calendars and plugins.
const DEPLOYMENT: &str = "deployment.toml";
/// The optional table of windows beside it.
const WINDOWS_CSV: &str = "windows.csv";
/// The tables a centre's folder may hold.
const CENTRE_TABLES: [&str; 5] = ["units.csv", "staff.csv", "matters.csv", "materials.csv", "fees.csv"];

/// The stable id of staff member `staff_code` of centre `centre_code`: the same in every
/// database the deployment is imported into.
pub fn staff_id(centre_code: &str, staff_code: &str) -> StaffId {
    StaffId(Uuid::new_v5(&NAMESPACE, format!("staff/{centre_code}/{staff_code}").as_bytes()))
}

// ----- the file formats -----

/// Line and column (from 1) of an item in its file.
type At = Option<(usize, usize)>;

/// An item that remembers where it was written.
trait Placed {
    fn place(&mut self, at: (usize, usize));
}

macro_rules! placed {
    ($($t:ty),*) => {
        $(impl Placed for $t {
            fn place(&mut self, at: (usize, usize)) {
                self.at = Some(at);
            }
        })*
    };
}

placed!(
    CentreSpec,
    HallSpec,
    ZoneSpec,
    WindowSpec,
    CalendarSpec,
    PluginSpec,
    UnitSpec,
    StaffSpec,
    MatterSpec,
    BundleSpec,
    WorkflowSpec
);

/// TOML items with their place in `text`.
fn placed<T: Placed>(text: &str, items: Vec<Spanned<T>>) -> Vec<T> {
    items
        .into_iter()
        .map(|s| {
            let at = line_col(text, s.span().start);
            let mut item = s.into_inner();
            item.place(at);
            item
        })
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeploymentToml {
    #[serde(default)]
    centre: Vec<Spanned<CentreSpec>>,
    #[serde(default)]
    hall: Vec<Spanned<HallSpec>>,
    #[serde(default)]
    zone: Vec<Spanned<ZoneSpec>>,
    #[serde(default)]
    window: Vec<Spanned<WindowSpec>>,
    #[serde(default)]
    calendar: Vec<Spanned<CalendarSpec>>,
    #[serde(default)]
    plugin: Vec<Spanned<PluginSpec>>,
}

#[derive(Debug, Clone, Default)]
struct DeploymentFile {
    centre: Vec<CentreSpec>,
    hall: Vec<HallSpec>,
    zone: Vec<ZoneSpec>,
    window: Vec<WindowSpec>,
    calendar: Vec<CalendarSpec>,
    plugin: Vec<PluginSpec>,
}

impl DeploymentFile {
    fn parse(text: &str) -> Result<DeploymentFile, toml::de::Error> {
        let t: DeploymentToml = toml::from_str(text)?;
        Ok(DeploymentFile {
            centre: placed(text, t.centre),
            hall: placed(text, t.hall),
            zone: placed(text, t.zone),
            window: placed(text, t.window),
            calendar: placed(text, t.calendar),
            plugin: placed(text, t.plugin),
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CentreSpec {
    code: String,
    name: String,
    level: Level,
    parent: Option<String>,
    region: Option<String>,
    #[serde(skip)]
    at: At,
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
    #[serde(skip)]
    at: At,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneSpec {
    hall: String,
    code: String,
    name: String,
    #[serde(skip)]
    at: At,
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
    /// Whether the window is a row of `windows.csv` (else a table of `deployment.toml`).
    #[serde(skip)]
    from_csv: bool,
    #[serde(skip)]
    at: At,
}

impl WindowSpec {
    fn file(&self) -> &'static str {
        if self.from_csv { WINDOWS_CSV } else { DEPLOYMENT }
    }
}

/// A centre's declared days: holidays on weekdays, make-up working days on weekends.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarSpec {
    centre: String,
    #[serde(default)]
    holidays: Vec<DaySpec>,
    #[serde(default)]
    workdays: Vec<DaySpec>,
    #[serde(skip)]
    at: At,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DaySpec {
    date: NaiveDate,
    #[serde(default)]
    note: String,
}

impl CalendarSpec {
    fn days(&self) -> Vec<CalendarDay> {
        let day = |kind| move |d: &DaySpec| CalendarDay { date: d.date, kind, note: d.note.clone() };
        self.holidays
            .iter()
            .map(day(DayKind::Holiday))
            .chain(self.workdays.iter().map(day(DayKind::MakeUpWorkday)))
            .collect()
    }
}

/// A plugin component to install (upload and activate) for a centre.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginSpec {
    centre: String,
    name: String,
    /// The component, relative to the deployment directory (under `plugins/`).
    file: String,
    #[serde(skip)]
    at: At,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CentreToml {
    #[serde(default)]
    unit: Vec<Spanned<UnitSpec>>,
    #[serde(default)]
    staff: Vec<Spanned<StaffSpec>>,
    #[serde(default)]
    matter: Vec<Spanned<MatterSpec>>,
    #[serde(default)]
    bundle: Vec<Spanned<BundleSpec>>,
    #[serde(default)]
    workflow: Vec<Spanned<WorkflowSpec>>,
}

/// One centre's items, from its TOML file and its CSV tables.
#[derive(Debug, Clone, Default)]
struct CentreFile {
    /// Codes of `matters.csv` rows that could not be read: their materials and fees are not
    /// reported again as orphans.
    unreadable: HashSet<String>,
    unit: Vec<UnitSpec>,
    staff: Vec<StaffSpec>,
    matter: Vec<MatterSpec>,
    bundle: Vec<BundleSpec>,
    workflow: Vec<WorkflowSpec>,
}

impl CentreFile {
    fn parse(text: &str, file: &str) -> Result<CentreFile, toml::de::Error> {
        let t: CentreToml = toml::from_str(text)?;
        let mut f = CentreFile {
            unreadable: HashSet::new(),
            unit: placed(text, t.unit),
            staff: placed(text, t.staff),
            matter: placed(text, t.matter),
            bundle: placed(text, t.bundle),
            workflow: placed(text, t.workflow),
        };
        f.unit.iter_mut().for_each(|u| u.file = file.to_owned());
        f.staff.iter_mut().for_each(|s| s.file = file.to_owned());
        f.matter.iter_mut().for_each(|m| m.file = file.to_owned());
        Ok(f)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitSpec {
    code: String,
    name: String,
    kind: UnitKind,
    /// The file the unit is written in.
    #[serde(skip)]
    file: String,
    #[serde(skip)]
    at: At,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffSpec {
    code: String,
    name: String,
    unit: Option<String>,
    roles: Vec<String>,
    /// The file the member of staff is written in.
    #[serde(skip)]
    file: String,
    #[serde(skip)]
    at: At,
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
    /// The file the matter is written in (its TOML file or `matters.csv`).
    #[serde(skip)]
    file: String,
    #[serde(skip)]
    at: At,
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
    #[serde(skip)]
    at: At,
}

/// A matter's workflow: its steps, with units named by code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkflowSpec {
    matter: String,
    #[serde(default)]
    note: String,
    steps: Vec<StepSpec>,
    #[serde(skip)]
    at: At,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepSpec {
    key: String,
    name: String,
    kind: StepKind,
    unit: Option<String>,
    role: Role,
    #[serde(default)]
    limit: u16,
    #[serde(default)]
    next: Vec<String>,
}

impl WorkflowSpec {
    /// The definition, with unit codes resolved by `unit` (`None` for an unknown code).
    fn def(&self, unit: impl Fn(&str) -> Option<UnitId>) -> WorkflowDef {
        WorkflowDef {
            steps: self
                .steps
                .iter()
                .map(|s| StepDef {
                    key: s.key.clone(),
                    name: s.name.clone(),
                    kind: s.kind,
                    unit: s.unit.as_deref().map(|u| unit(u).unwrap_or(UnitId(Uuid::nil()))),
                    role: s.role,
                    limit: s.limit,
                    next: s.next.clone(),
                })
                .collect(),
        }
    }
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

// ----- the CSV tables -----

#[derive(Debug, Deserialize)]
struct StaffRow {
    code: String,
    name: String,
    unit: Option<String>,
    roles: String,
}

#[derive(Debug, Deserialize)]
struct MatterRow {
    code: String,
    name: String,
    matter_type: MatterType,
    owner_unit: String,
    handling_level: Level,
    legal_basis: String,
    description: Option<String>,
    statutory_days: i64,
    promised_days: i64,
    modes: String,
    max_visits: i64,
    cross_scope: CrossCentreScope,
    delivery: String,
    online: bool,
}

#[derive(Debug, Deserialize)]
struct MaterialRow {
    matter: String,
    name: String,
    required: Option<bool>,
    form: Option<MaterialForm>,
    copies: Option<i64>,
    elicence_type: Option<String>,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FeeRow {
    matter: String,
    item: String,
    amount: i64,
    basis: String,
}

#[derive(Debug, Deserialize)]
struct WindowRow {
    hall: String,
    zone: String,
    number: String,
    name: String,
    matters: Option<String>,
}

/// A CSV file: its rows (with their line) and where each column starts on a line.
struct Table<'a, R> {
    file: &'a str,
    text: &'a str,
    headers: Vec<String>,
    rows: Vec<(usize, R)>,
    /// The rows that could not be read (their problems are reported).
    failed: Vec<csv::StringRecord>,
}

impl<R> Table<'_, R> {
    /// Line and column of field `column` on `line`.
    fn at(&self, line: usize, column: &str) -> (usize, usize) {
        let index = self.headers.iter().position(|h| h == column).unwrap_or(0);
        (line, csv_column(self.text.lines().nth(line.saturating_sub(1)).unwrap_or(""), index))
    }
}

/// The column (from 1, in characters) where field `index` starts on a CSV line.
fn csv_column(line: &str, index: usize) -> usize {
    let (mut field, mut quoted) = (0, false);
    for (i, c) in line.chars().enumerate() {
        if field == index {
            return i + 1;
        }
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => field += 1,
            _ => {}
        }
    }
    line.chars().count() + 1
}

/// Parses a CSV table whose header must hold every column of `required` and may hold those of
/// `optional`; every problem is reported with its line and column.
fn read_csv<'a, R: DeserializeOwned>(
    p: &mut Problems,
    file: &'a str,
    text: &'a str,
    required: &[&str],
    optional: &[&str],
) -> Table<'a, R> {
    let mut table = Table { file, text, headers: Vec::new(), rows: Vec::new(), failed: Vec::new() };
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            p.at(file, (1, 1), None, "SYNTAX", e.to_string());
            return table;
        }
    };
    table.headers = headers.iter().map(str::to_owned).collect();
    let first = text.lines().next().unwrap_or("");
    let mut broken = false;
    for (i, h) in table.headers.iter().enumerate() {
        if !required.contains(&h.as_str()) && !optional.contains(&h.as_str()) {
            let known = required.iter().chain(optional).copied().collect::<Vec<_>>().join(", ");
            p.at(file, (1, csv_column(first, i)), None, "SYNTAX", format!("unknown column `{h}`, expected {known}"));
            broken = true;
        }
    }
    for r in required {
        if !table.headers.iter().any(|h| h == r) {
            p.at(file, (1, 1), None, "SYNTAX", format!("missing column `{r}`"));
            broken = true;
        }
    }
    if broken {
        return table;
    }
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(1, |pos| pos.line() as usize);
                match record.deserialize::<R>(Some(&headers)) {
                    Ok(r) => table.rows.push((line, r)),
                    Err(e) => {
                        let (column, message) = match e.kind() {
                            csv::ErrorKind::Deserialize { err, .. } => {
                                // The field: as the reader names it, or the one holding the
                                // value the message quotes (`unknown variant `X``).
                                let message = err.kind().to_string();
                                let quoted = message.split('`').nth(1).unwrap_or("");
                                let index = err
                                    .field()
                                    .map(|f| f as usize)
                                    .or_else(|| record.iter().position(|v| !quoted.is_empty() && v == quoted));
                                let text_line = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
                                match index.and_then(|i| table.headers.get(i).map(|h| (i, h))) {
                                    Some((i, name)) => (csv_column(text_line, i), format!("{name}: {message}")),
                                    None => (1, message),
                                }
                            }
                            _ => (1, e.to_string()),
                        };
                        p.at(file, (line, column), None, "SYNTAX", message);
                        table.failed.push(record.clone());
                    }
                }
            }
            Err(e) => {
                let line = e.position().map_or(1, |pos| pos.line() as usize);
                p.at(file, (line, 1), None, "SYNTAX", e.to_string());
                break;
            }
        }
    }
    table
}

/// Values separated by blanks, each parsed by `parse`; unknown ones are reported at the field.
fn words<T>(
    p: &mut Problems,
    t: &Table<'_, impl Sized>,
    line: usize,
    column: &str,
    text: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Vec<T> {
    let mut out = Vec::new();
    for w in text.split_whitespace() {
        match parse(w) {
            Some(v) => out.push(v),
            None => p.at(t.file, t.at(line, column), None, "SYNTAX", format!("{column}: unknown value `{w}`")),
        }
    }
    out
}

impl CentreFile {
    /// Adds the rows of a centre's CSV table `name` (one of [`CENTRE_TABLES`]).
    fn add_csv(&mut self, p: &mut Problems, file: &str, name: &str, text: &str) {
        match name {
            "units.csv" => {
                let t = read_csv::<UnitSpec>(p, file, text, &["code", "name", "kind"], &[]);
                self.unit.extend(t.rows.into_iter().map(|(line, mut u)| {
                    u.file = file.to_owned();
                    u.at = Some((line, 1));
                    u
                }));
            }
            "staff.csv" => {
                let t = read_csv::<StaffRow>(p, file, text, &["code", "name", "roles"], &["unit"]);
                for (line, r) in &t.rows {
                    self.staff.push(StaffSpec {
                        code: r.code.clone(),
                        name: r.name.clone(),
                        unit: r.unit.clone().filter(|u| !u.is_empty()),
                        roles: r.roles.split_whitespace().map(str::to_owned).collect(),
                        file: file.to_owned(),
                        at: Some((*line, 1)),
                    });
                }
            }
            "matters.csv" => {
                let required = [
                    "code",
                    "name",
                    "matter_type",
                    "owner_unit",
                    "handling_level",
                    "legal_basis",
                    "statutory_days",
                    "promised_days",
                    "modes",
                    "max_visits",
                    "cross_scope",
                    "delivery",
                    "online",
                ];
                let t = read_csv::<MatterRow>(p, file, text, &required, &["description"]);
                let code = t.headers.iter().position(|h| h == "code");
                for r in &t.failed {
                    if let Some(c) = code.and_then(|i| r.get(i)) {
                        self.unreadable.insert(c.trim().to_ascii_uppercase());
                    }
                }
                for (line, r) in &t.rows {
                    let modes = words(p, &t, *line, "modes", &r.modes, HandlingMode::parse);
                    let delivery = words(p, &t, *line, "delivery", &r.delivery, DeliveryOption::parse);
                    self.matter.push(MatterSpec {
                        code: r.code.clone(),
                        name: r.name.clone(),
                        matter_type: r.matter_type,
                        owner_unit: r.owner_unit.clone(),
                        handling_level: r.handling_level,
                        legal_basis: r.legal_basis.clone(),
                        description: r.description.clone().unwrap_or_default(),
                        materials: Vec::new(),
                        statutory_days: r.statutory_days,
                        promised_days: r.promised_days,
                        fees: Vec::new(),
                        modes,
                        max_visits: r.max_visits,
                        cross_scope: r.cross_scope,
                        delivery,
                        online: r.online,
                        file: file.to_owned(),
                        at: Some((*line, 1)),
                    });
                }
            }
            "materials.csv" => {
                let optional = ["required", "form", "copies", "elicence_type", "note"];
                let t = read_csv::<MaterialRow>(p, file, text, &["matter", "name"], &optional);
                for (line, r) in t.rows {
                    let material = MaterialSpec {
                        name: r.name,
                        required: r.required.unwrap_or(true),
                        form: r.form,
                        copies: r.copies,
                        elicence_type: r.elicence_type.filter(|e| !e.is_empty()),
                        note: r.note.unwrap_or_default(),
                    };
                    self.attach(p, file, line, &r.matter, |m| m.materials.push(material));
                }
            }
            "fees.csv" => {
                let t = read_csv::<FeeRow>(p, file, text, &["matter", "item", "amount", "basis"], &[]);
                for (line, r) in t.rows {
                    let fee = FeeSpec { item: r.item, amount: r.amount, basis: r.basis };
                    self.attach(p, file, line, &r.matter, |m| m.fees.push(fee));
                }
            }
            _ => {}
        }
    }

    /// Attaches a row of `file` (at `line`) to the matter with code `matter`; a row of an
    /// unknown matter is a problem, unless that matter's own row could not be read.
    fn attach(&mut self, p: &mut Problems, file: &str, line: usize, matter: &str, add: impl FnOnce(&mut MatterSpec)) {
        let unreadable = self.unreadable.contains(&matter.trim().to_ascii_uppercase());
        match self.matter_mut(matter) {
            Some(m) => add(m),
            None if unreadable => {}
            None => p.at(
                file,
                (line, 1),
                Some("matter"),
                "INVALID_REFERENCE",
                format!("matter: no matter {matter} in this centre"),
            ),
        }
    }

    /// The matter with `code` (as written, or trimmed and upper-cased), for attaching rows.
    fn matter_mut(&mut self, code: &str) -> Option<&mut MatterSpec> {
        let code = code.trim().to_ascii_uppercase();
        self.matter.iter_mut().find(|m| m.code.trim().eq_ignore_ascii_case(&code))
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
        for c in &mut self.calendar {
            tidy(&mut c.centre);
        }
        for pl in &mut self.plugin {
            tidy(&mut pl.centre);
            tidy(&mut pl.file);
        }
    }

    /// Adds the rows of `windows.csv`.
    fn add_windows_csv(&mut self, p: &mut Problems, text: &str) {
        let t = read_csv::<WindowRow>(p, WINDOWS_CSV, text, &["hall", "zone", "number", "name"], &["matters"]);
        self.window.extend(t.rows.into_iter().map(|(line, r)| WindowSpec {
            hall: r.hall,
            zone: r.zone,
            number: r.number,
            name: r.name,
            matters: r.matters.unwrap_or_default().split_whitespace().map(str::to_owned).collect(),
            from_csv: true,
            at: Some((line, 1)),
        }));
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
        for w in &mut self.workflow {
            tidy_matter(&mut w.matter);
        }
    }
}

// ----- problems and errors -----

/// One problem found in a deployment's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, relative to the deployment directory (`centres/kongtong/matters.csv`).
    pub file: String,
    /// Line and column (from 1): of the error for syntax and format problems, of the item (its
    /// TOML table or CSV row) for the others.
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

/// An item being checked: its file, its name for people and where it is written.
#[derive(Debug, Clone)]
struct Item<'a> {
    file: &'a str,
    name: String,
    at: At,
}

impl<'a> Item<'a> {
    fn new(file: &'a str, name: String, at: At) -> Item<'a> {
        Item { file, name, at }
    }
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

    /// A problem at a known place of a file.
    fn at(&mut self, file: &str, at: (usize, usize), field: Option<&str>, code: &'static str, message: String) {
        self.0.push(Problem {
            file: file.to_owned(),
            at: Some(at),
            item: None,
            field: field.map(str::to_owned),
            code,
            message,
        });
    }

    /// A problem of `item`.
    fn item(&mut self, item: &Item<'_>, field: Option<&str>, code: &'static str, message: String) {
        self.0.push(Problem {
            file: item.file.to_owned(),
            at: item.at,
            item: Some(item.name.clone()),
            field: field.map(str::to_owned),
            code,
            message,
        });
    }

    /// A broken reference from `field` of `item`.
    fn reference(&mut self, item: &Item<'_>, field: &str, message: String) {
        self.item(item, Some(field), "INVALID_REFERENCE", message);
    }

    /// A code used twice.
    fn duplicate(&mut self, item: &Item<'_>, field: &str, message: String) {
        self.item(item, Some(field), "DUPLICATE", message);
    }

    /// The domain's violations for `item`, with snake_case fields.
    fn domain(&mut self, item: &Item<'_>, errors: Vec<DomainError>) {
        for e in errors {
            let field = (!e.field.is_empty()).then(|| snake_case(&e.field));
            self.item(item, field.as_deref(), e.code.as_str(), domain_message(&e));
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

/// A plugin file as a component: a component as it is; a `wasm32-unknown-unknown` module (what
/// `cargo build` makes of a plugin crate) turned into one, as `onedoor plugin build` would.
fn component_of(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.starts_with(b"\0asm\x01\0\0\0") {
        onedoor_plugin_host::kit::componentize(bytes).map_err(|e| e.to_string())
    } else {
        Ok(bytes.to_vec())
    }
}

/// A plugin component to install, read from the deployment's files.
#[derive(Clone)]
struct Component {
    spec: PluginSpec,
    bytes: Vec<u8>,
}

impl fmt::Debug for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} for {} ({} bytes)", self.spec.name, self.spec.centre, self.bytes.len())
    }
}

/// A parsed and checked deployment, ready to [`import`].
#[derive(Debug, Clone)]
pub struct Deployment {
    /// Parents before children.
    centres: Vec<CentreSpec>,
    halls: Vec<HallSpec>,
    zones: Vec<ZoneSpec>,
    windows: Vec<WindowSpec>,
    calendars: Vec<CalendarSpec>,
    plugins: Vec<Component>,
    /// Each centre's file (empty when it has none), in the order of `centres`.
    catalogues: Vec<CentreFile>,
}

/// The file of a centre's units, staff, matters, bundles and workflows.
fn centre_file(code: &str) -> String {
    format!("centres/{code}.toml")
}

/// The files under `dir` (relative paths with `/`), recursively, sorted.
fn list_files(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<(), ImportError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| ImportError::Io { path, source }
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if let Some(name) = path.file_name().and_then(|n| n.to_str())
            && !name.starts_with('.')
        {
            entries.push((name.to_owned(), path));
        }
    }
    entries.sort();
    for (name, path) in entries {
        let rel = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
        if path.is_dir() {
            list_files(&path, &rel, out)?;
        } else if path.is_file() {
            out.push(rel);
        }
    }
    Ok(())
}

impl Deployment {
    /// Reads every file of the deployment directory `dir` (`deployment.toml`, `windows.csv`,
    /// `centres/…`, `plugins/…`) and checks them (see [`Deployment::from_files`]). Other files
    /// (a README, say) are ignored.
    pub fn from_dir(dir: &Path) -> Result<Deployment, ImportError> {
        let mut names = Vec::new();
        list_files(dir, "", &mut names)?;
        let wanted =
            |n: &str| n == DEPLOYMENT || n == WINDOWS_CSV || n.starts_with("centres/") || n.starts_with("plugins/");
        let mut files = Vec::new();
        for name in names.into_iter().filter(|n| wanted(n)) {
            let path = dir.join(&name);
            let bytes = std::fs::read(&path).map_err(|source| ImportError::Io { path, source })?;
            files.push((name, bytes));
        }
        let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
        Deployment::from_files(&refs)
    }

    /// Parses files given as (path relative to the deployment directory, contents):
    /// `deployment.toml`, `windows.csv`, `centres/<centre code>.toml`,
    /// `centres/<centre code>/<table>.csv` and plugin components under `plugins/`. Every file is
    /// parsed first (syntax and format problems name the file, line and column); then every
    /// reference and domain rule is checked (problems name the file, the item's line and the
    /// item). All problems found are returned.
    pub fn from_files(files: &[(&str, &[u8])]) -> Result<Deployment, ImportError> {
        let mut p = Problems::default();
        let mut deployment = None;
        let mut windows_csv = None;
        let mut catalogues: BTreeMap<String, (String, CentreFile)> = BTreeMap::new();
        let mut tables: Vec<(String, String, String, String)> = Vec::new();
        let mut binaries: HashMap<String, Vec<u8>> = HashMap::new();
        let mut seen = HashSet::new();
        for (path, bytes) in files {
            let path = path.replace('\\', "/");
            let path = path.trim_start_matches("./").to_owned();
            if !seen.insert(path.clone()) {
                p.push(&path, None, None, "DUPLICATE", "the file is given twice".into());
                continue;
            }
            if path.starts_with("plugins/") {
                binaries.insert(path, bytes.to_vec());
                continue;
            }
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    let at = line_col(&String::from_utf8_lossy(&bytes[..e.valid_up_to()]), e.valid_up_to());
                    p.at(&path, at, None, "SYNTAX", "the file is not UTF-8 text".into());
                    continue;
                }
            };
            let table = path
                .strip_prefix("centres/")
                .and_then(|r| r.split_once('/'))
                .filter(|(c, t)| !c.is_empty() && CENTRE_TABLES.contains(t));
            if path == DEPLOYMENT {
                match DeploymentFile::parse(text) {
                    Ok(d) => deployment = Some(d),
                    Err(e) => p.syntax(&path, text, &e),
                }
            } else if path == WINDOWS_CSV {
                windows_csv = Some(text.to_owned());
            } else if let Some((code, table)) = table {
                tables.push((code.to_owned(), table.to_owned(), path.clone(), text.to_owned()));
            } else if let Some(code) =
                path.strip_prefix("centres/").and_then(|r| r.strip_suffix(".toml")).filter(|c| !c.contains('/'))
            {
                match CentreFile::parse(text, &path) {
                    Ok(f) => {
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
                    format!(
                        "not part of a deployment: expected deployment.toml, windows.csv, centres/<centre code>.toml, \
                         centres/<centre code>/{{{}}} or plugins/…",
                        CENTRE_TABLES.join(",")
                    ),
                );
            }
        }
        let Some(mut deployment) = deployment else {
            if !seen.contains(DEPLOYMENT) {
                p.push(DEPLOYMENT, None, None, "MISSING_FILE", "every deployment has a deployment.toml".into());
            }
            return Err(ImportError::Invalid(p.0));
        };
        if let Some(text) = &windows_csv {
            deployment.add_windows_csv(&mut p, text);
        }
        // Tables in a fixed order: matters before their materials and fees.
        tables.sort_by_key(|(code, table, _, _)| {
            (code.clone(), CENTRE_TABLES.iter().position(|t| t == table).unwrap_or(usize::MAX))
        });
        for (code, table, path, text) in &tables {
            let (_, f) = catalogues.entry(code.clone()).or_insert_with(|| (centre_file(code), CentreFile::default()));
            f.add_csv(&mut p, path, table, text);
        }
        if !p.0.is_empty() {
            return Err(ImportError::Invalid(p.0));
        }
        deployment.tidy();
        for (_, f) in catalogues.values_mut() {
            f.tidy();
        }
        check(deployment, catalogues, binaries)
    }

    /// How many items of each step ([`STEPS`]) the files hold.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let sum = |f: fn(&CentreFile) -> usize| self.catalogues.iter().map(f).sum::<usize>();
        BTreeMap::from([
            ("centres", self.centres.len()),
            ("calendar", self.calendars.iter().map(|c| c.holidays.len() + c.workdays.len()).sum()),
            ("halls", self.halls.len()),
            ("members", self.halls.iter().map(|h| h.members.len()).sum()),
            ("zones", self.zones.len()),
            ("units", sum(|c| c.unit.len())),
            ("staff", sum(|c| c.staff.len())),
            ("matters", sum(|c| c.matter.len())),
            ("windows", self.windows.len()),
            ("bundles", sum(|c| c.bundle.len())),
            ("workflows", sum(|c| c.workflow.len())),
            ("plugins", self.plugins.len()),
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
        let item = Item::new(DEPLOYMENT, format!("centre {}", c.code), c.at);
        let parent = c.parent.as_deref().unwrap_or_default();
        let message = if codes.contains(parent) {
            format!("parent {parent:?} cannot be placed in the tree: its ancestors form a cycle or are unknown")
        } else {
            format!("parent {parent:?} is not a centre of deployment.toml")
        };
        p.reference(&item, "parent", message);
    }
    ordered
}

/// Checks every reference and domain rule of the parsed files.
fn check(
    mut d: DeploymentFile,
    mut files: BTreeMap<String, (String, CentreFile)>,
    binaries: HashMap<String, Vec<u8>>,
) -> Result<Deployment, ImportError> {
    let mut p = Problems::default();

    // Centres: unique codes, known parents, valid drafts (levels below their parents).
    let mut seen = HashSet::new();
    for c in &d.centre {
        if !seen.insert(c.code.clone()) {
            let item = Item::new(DEPLOYMENT, format!("centre {}", c.code), c.at);
            p.duplicate(&item, "code", "another centre has this code".into());
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
            Err(es) => p.domain(&Item::new(DEPLOYMENT, format!("centre {}", c.code), c.at), es),
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

    // Calendars: a known centre, valid days (holidays on weekdays, make-up days on weekends).
    for c in &d.calendar {
        let item = Item::new(DEPLOYMENT, format!("calendar of {}", c.centre), c.at);
        if !centre_codes.contains(c.centre.as_str()) {
            p.reference(&item, "centre", format!("centre {:?} is not a centre of deployment.toml", c.centre));
        }
        if let Err(es) = validate_days(&c.days()) {
            p.domain(&item, es);
        }
    }

    // Plugins: a known centre, a valid name, a component among the files.
    let mut plugins = Vec::with_capacity(d.plugin.len());
    for pl in &d.plugin {
        let item = Item::new(DEPLOYMENT, format!("plugin {}", pl.name), pl.at);
        if !centre_codes.contains(pl.centre.as_str()) {
            p.reference(&item, "centre", format!("centre {:?} is not a centre of deployment.toml", pl.centre));
        }
        if let Err(e) = Code::parse(&pl.name) {
            p.domain(&item, vec![e.under("name")]);
        }
        match binaries.get(&pl.file).map(|b| component_of(b)) {
            Some(Ok(bytes)) => plugins.push(Component { spec: pl.clone(), bytes }),
            Some(Err(e)) => p.item(&item, Some("file"), "NOT_A_COMPONENT", format!("file: {}: {e}", pl.file)),
            None => p.item(
                &item,
                Some("file"),
                "MISSING_FILE",
                format!("file: no {} in the deployment (components live under plugins/)", pl.file),
            ),
        }
    }

    // Halls: known running centre and members.
    let mut halls: HashMap<&str, &HallSpec> = HashMap::new();
    for h in &d.hall {
        let item = Item::new(DEPLOYMENT, format!("hall {}", h.code), h.at);
        if halls.insert(&h.code, h).is_some() {
            p.duplicate(&item, "code", "another hall has this code".into());
        }
        if !centre_codes.contains(h.centre.as_str()) {
            p.reference(&item, "centre", format!("centre {:?} is not a centre of deployment.toml", h.centre));
        }
        if let Err(es) = parse_code_and_name(&h.code, &h.name) {
            p.domain(&item, es);
        }
        if let Err(e) = parse_address(&h.address) {
            p.domain(&item, vec![e]);
        }
        for (i, m) in h.members.iter().enumerate() {
            let field = format!("members.{i}");
            if !centre_codes.contains(m.as_str()) {
                p.reference(&item, &field, format!("member {m:?} is not a centre of deployment.toml"));
            } else if *m == h.centre {
                p.duplicate(&item, &field, format!("{m} runs the hall, so it shares it already"));
            } else if h.members[..i].contains(m) {
                p.duplicate(&item, &field, format!("{m} is listed twice"));
            }
        }
    }

    // Zones: in a known hall, unique codes per hall.
    let mut zones: HashSet<(&str, &str)> = HashSet::new();
    for z in &d.zone {
        let item = Item::new(DEPLOYMENT, format!("zone {} of hall {}", z.code, z.hall), z.at);
        if !halls.contains_key(z.hall.as_str()) {
            p.reference(&item, "hall", format!("hall {:?} is not a hall of deployment.toml", z.hall));
        }
        if !zones.insert((&z.hall, &z.code)) {
            p.duplicate(&item, "code", "another zone of the hall has this code".into());
        }
        if let Err(es) = parse_code_and_name(&z.code, &z.name) {
            p.domain(&item, es);
        }
    }

    // Windows: in a known zone of the hall, unique numbers per hall, matters of centres that
    // share the hall.
    let mut numbers: HashSet<(&str, &str)> = HashSet::new();
    for w in &d.window {
        let file = w.file();
        let item = Item::new(file, format!("window {} of hall {}", w.number, w.hall), w.at);
        let hall = halls.get(w.hall.as_str());
        match hall {
            None => {
                p.reference(&item, "hall", format!("hall {:?} is not a hall of deployment.toml", w.hall));
            }
            Some(_) if !zones.contains(&(w.hall.as_str(), w.zone.as_str())) => {
                p.reference(&item, "zone", format!("zone {:?} is not a zone of hall {}", w.zone, w.hall));
            }
            Some(_) => {}
        }
        if !numbers.insert((&w.hall, &w.number)) {
            p.duplicate(&item, "number", "another window of the hall has this number".into());
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
            p.domain(&item, es);
        }
        for (i, m) in w.matters.iter().enumerate() {
            let field = format!("matters.{i}");
            let Some((centre, code)) = m.split_once(':') else {
                p.reference(&item, &field, format!("{m:?} is not of the form \"centre:matter code\""));
                continue;
            };
            let shares = hall.is_some_and(|h| h.centre == centre || h.members.iter().any(|c| c == centre));
            if !centre_codes.contains(centre) {
                p.reference(&item, &field, format!("centre {centre:?} is not a centre of deployment.toml"));
            } else if hall.is_some() && !shares {
                p.reference(&item, &field, format!("centre {centre} does not share hall {}", w.hall));
            } else if !matter_codes.get(centre).is_some_and(|ms| ms.contains(code)) {
                p.reference(&item, &field, format!("no matter {code} in the files of {centre}"));
            } else if w.matters[..i].contains(m) {
                p.duplicate(&item, &field, format!("{m} is listed twice"));
            }
        }
    }

    p.finish(|| Deployment {
        centres,
        halls: d.hall,
        zones: d.zone,
        windows: d.window,
        calendars: d.calendar,
        plugins,
        catalogues,
    })
}

/// Checks one centre's items: unique codes, known units and matters, valid guides, bundles and
/// workflows.
fn check_centre(p: &mut Problems, centre: &str, f: &CentreFile) {
    let file = centre_file(centre);
    let file = file.as_str();

    let mut units: HashMap<&str, UnitId> = HashMap::new();
    for (i, u) in f.unit.iter().enumerate() {
        let item = Item::new(&u.file, format!("unit {}", u.code), u.at);
        // Stand-in ids, only to check bundles and workflows with the domain's rules.
        if units.insert(&u.code, UnitId(Uuid::from_u128(i as u128 + 1))).is_some() {
            p.duplicate(&item, "code", "another unit has this code".into());
        }
        if let Err(es) = parse_code_and_name(&u.code, &u.name) {
            p.domain(&item, es);
        }
    }
    let unknown_unit = |u: &str| format!("{u:?} is not a unit of {centre}");

    let mut staff = HashSet::new();
    for s in &f.staff {
        let item = Item::new(&s.file, format!("staff {}", s.code), s.at);
        if !staff.insert(&s.code) {
            p.duplicate(&item, "code", "another member of staff has this code".into());
        }
        if let Err(es) = parse_code_and_name(&s.code, &s.name) {
            p.domain(&item, es);
        }
        if let Some(u) = &s.unit
            && !units.contains_key(u.as_str())
        {
            p.reference(&item, "unit", format!("unit {}", unknown_unit(u)));
        }
        if s.roles.is_empty() {
            p.item(&item, Some("roles"), "TOO_FEW", "roles: a member of staff holds at least one role".into());
        }
        if let Err(r) = Roles::parse(s.roles.iter().map(String::as_str)) {
            let known = Role::ALL.map(Role::as_str).join(", ");
            p.reference(&item, "roles", format!("roles: {r:?} is not a role (one of {known})"));
        }
    }

    let mut matters: HashMap<&str, (MatterId, UnitId, i64)> = HashMap::new();
    for (i, m) in f.matter.iter().enumerate() {
        let item = Item::new(&m.file, format!("matter {}", m.code), m.at);
        let owner = units.get(m.owner_unit.as_str()).copied();
        if owner.is_none() {
            p.reference(&item, "owner_unit", format!("owner_unit {}", unknown_unit(&m.owner_unit)));
        }
        let owner = owner.unwrap_or(UnitId(Uuid::nil()));
        let stand_in = MatterId(Uuid::from_u128(i as u128 + 1));
        if matters.insert(&m.code, (stand_in, owner, m.promised_days)).is_some() {
            p.duplicate(&item, "code", "another matter has this code".into());
        }
        if let Err(es) = m.draft(owner).parse() {
            p.domain(&item, es);
        }
    }

    let mut bundles = HashSet::new();
    for b in &f.bundle {
        let item = Item::new(file, format!("bundle {}", b.code), b.at);
        if !bundles.insert(&b.code) {
            p.duplicate(&item, "code", "another bundle has this code".into());
        }
        let lead = units.get(b.lead_unit.as_str()).copied();
        if lead.is_none() {
            p.reference(&item, "lead_unit", format!("lead_unit {}", unknown_unit(&b.lead_unit)));
        }
        let mut listed = Vec::with_capacity(b.matters.len());
        let mut broken = lead.is_none();
        for (i, code) in b.matters.iter().enumerate() {
            let field = format!("matters.{i}");
            match matters.get(code.as_str()) {
                None => {
                    p.reference(&item, &field, format!("no matter {code} in the files of {centre}"));
                    broken = true;
                }
                Some(_) if b.matters[..i].contains(code) => {
                    p.duplicate(&item, &field, format!("{code} is listed twice"));
                    broken = true;
                }
                Some((id, owner, _)) => listed.push((*id, *owner, MatterStatus::Active)),
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
                p.domain(&item, es);
            }
        }
    }

    let mut workflows = HashSet::new();
    for w in &f.workflow {
        let item = Item::new(file, format!("workflow of matter {}", w.matter), w.at);
        if !workflows.insert(&w.matter) {
            p.duplicate(&item, "matter", "the matter has another workflow in this file".into());
        }
        let Some((_, _, promised)) = matters.get(w.matter.as_str()) else {
            p.reference(&item, "matter", format!("no matter {} in the files of {centre}", w.matter));
            continue;
        };
        let mut broken = false;
        for (i, s) in w.steps.iter().enumerate() {
            if let Some(u) = &s.unit
                && !units.contains_key(u.as_str())
            {
                p.reference(&item, &format!("steps.{i}.unit"), format!("steps.{i}.unit {}", unknown_unit(u)));
                broken = true;
            }
        }
        let promised = u16::try_from(*promised).unwrap_or(u16::MAX);
        if !broken && let Err(es) = w.def(|u| units.get(u).copied()).validate(promised, |_| true) {
            p.domain(&item, es);
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

/// Every item: the page the import reads what exists with.
fn everything() -> Page {
    Page { after: None, limit: 1 << 40 }
}

/// New matters per transaction of the bulk path.
const MATTER_CHUNK: usize = 500;

/// The index `N` of the first problem's field `prefixN.…` of a bulk call's error.
fn first_index(e: &Error, prefix: &str) -> Option<usize> {
    match e {
        Error::Invalid(es) => es
            .first()
            .and_then(|d| d.field.strip_prefix(prefix))
            .and_then(|rest| rest.split('.').next().and_then(|n| n.parse::<usize>().ok())),
        _ => None,
    }
}

/// An item's name with the line it starts on.
fn located(at: At, item: &str) -> String {
    match at {
        Some((line, _)) => format!("line {line}: {item}"),
        None => item.to_owned(),
    }
}

/// A bulk add's error, naming the matter of its first problem (`matters.N.field`).
fn blame(e: Error, specs: &[&MatterSpec]) -> ImportError {
    let spec = specs[first_index(&e, "matters.").unwrap_or(0).min(specs.len() - 1)];
    failed(&spec.file, &located(spec.at, &format!("matter {}", spec.code)))(e)
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
/// order root centres, child centres (as their parent's admin), calendars, halls, hall members,
/// zones, units, staff (with [`staff_id`]s), matters (in bulk, one transaction per centre),
/// windows, bundles, workflows, plugins (uploaded and activated). Running it again creates
/// nothing: each step first reads what exists, once per centre. `progress` hears of every item
/// handled.
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
    run.calendars().await?;
    run.halls().await?;
    run.members().await?;
    run.zones().await?;
    run.units().await?;
    run.staff().await?;
    run.matters().await?;
    run.windows().await?;
    run.bundles().await?;
    run.workflows().await?;
    run.plugins().await?;
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
            let centre = self.centre(&c.code, &file, "units")?;
            let existing: HashMap<String, UnitId> = self
                .od
                .units(centre, &everything())
                .await
                .map_err(failed(&file, "units"))?
                .items
                .into_iter()
                .map(|u| (u.code.to_string(), u.id))
                .collect();
            for u in &f.unit {
                let item = format!("unit {}", u.code);
                let fail = || failed(&u.file, &item);
                let (id, created) = match existing.get(&u.code) {
                    Some(found) => (*found, false),
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
            let centre = self.centre(&c.code, &file, "staff")?;
            let admin = system(centre);
            let existing: HashSet<String> = self
                .od
                .staff_list(&admin, centre, None, &everything())
                .await
                .map_err(failed(&file, "staff"))?
                .items
                .into_iter()
                .map(|s| s.code.to_string())
                .collect();
            let mut new = Vec::new();
            let mut specs = Vec::new();
            for s in &f.staff {
                if existing.contains(&s.code) {
                    self.tick("staff", false);
                    continue;
                }
                let item = format!("staff {}", s.code);
                let unit = match &s.unit {
                    Some(u) => Some(self.unit(&c.code, u, &s.file, &item, "unit")?),
                    None => None,
                };
                let roles = Roles::parse(s.roles.iter().map(String::as_str)).map_err(|r| {
                    failed(&s.file, &item)(Error::Invalid(vec![DomainError::new(
                        "roles",
                        onedoor_domain::ErrorCode::InvalidReference,
                        format!("{r:?} is not a role"),
                    )]))
                })?;
                new.push((staff_id(&c.code, &s.code), s.code.clone(), s.name.clone(), unit, roles));
                specs.push(s);
            }
            // The new staff of the centre in one transaction; a failure names the member of
            // staff by the index the platform reports.
            if !new.is_empty() {
                self.od.create_staff_many(&admin, new).await.map_err(|e| {
                    let index = first_index(&e, "staff.").unwrap_or(0).min(specs.len() - 1);
                    let s = specs[index];
                    failed(&s.file, &located(s.at, &format!("staff {}", s.code)))(e)
                })?;
                for _ in &specs {
                    self.tick("staff", true);
                }
            }
        }
        Ok(())
    }

    async fn matters(&mut self) -> Result<(), ImportError> {
        let d = self.d;
        for (c, f) in d.centres.iter().zip(&d.catalogues) {
            let file = centre_file(&c.code);
            let centre = self.centre(&c.code, &file, "matters")?;
            let admin = system(centre);
            let existing: HashMap<String, MatterId> = self
                .od
                .matters(&admin, centre, &MatterFilter::default(), &everything())
                .await
                .map_err(failed(&file, "matters"))?
                .items
                .into_iter()
                .map(|m| (m.guide.code.to_string(), m.id))
                .collect();
            let mut new = Vec::new();
            let mut drafts = Vec::new();
            for m in &f.matter {
                match existing.get(&m.code) {
                    Some(id) => {
                        self.matters.insert((c.code.clone(), m.code.clone()), (centre, *id));
                        self.tick("matters", false);
                    }
                    None => {
                        let owner =
                            self.unit(&c.code, &m.owner_unit, &m.file, &format!("matter {}", m.code), "owner_unit")?;
                        drafts.push(m.draft(owner));
                        new.push(m);
                    }
                }
            }
            // The new matters in one transaction per chunk: fast, and a failure names the
            // matter by the index the platform reports.
            for (chunk, specs) in drafts.chunks(MATTER_CHUNK).zip(new.chunks(MATTER_CHUNK)) {
                let why = format!("imported from {}", specs[0].file);
                let made = self.od.add_matters(&admin, chunk.to_vec(), &why).await.map_err(|e| blame(e, specs))?;
                for (spec, m) in specs.iter().zip(made) {
                    self.matters.insert((c.code.clone(), spec.code.clone()), (centre, m.id));
                    self.tick("matters", true);
                }
            }
        }
        Ok(())
    }

    fn matter(&self, centre: &str, code: &str, file: &str, item: &str) -> Result<(CentreId, MatterId), ImportError> {
        missing(self.matters.get(&(centre.to_owned(), code.to_owned())).copied(), file, item, "matters", "matter")
    }

    async fn windows(&mut self) -> Result<(), ImportError> {
        let d = self.d;
        let mut existing: HashMap<HallId, HashSet<String>> = HashMap::new();
        for w in &d.windows {
            let item = format!("window {} of hall {}", w.number, w.hall);
            let fail = || failed(w.file(), &item);
            let hall = self.hall(&w.hall, &item)?;
            if let std::collections::hash_map::Entry::Vacant(slot) = existing.entry(hall.id) {
                let numbers = self
                    .od
                    .windows(&hall, None, &everything())
                    .await
                    .map_err(fail())?
                    .items
                    .into_iter()
                    .map(|w| w.number.to_string())
                    .collect();
                slot.insert(numbers);
            }
            let created = match existing.get(&hall.id).is_some_and(|n| n.contains(&w.number)) {
                true => false,
                false => {
                    let zone = missing(
                        self.zones.get(&(w.hall.clone(), w.zone.clone())).copied(),
                        w.file(),
                        &item,
                        "zone",
                        "zone",
                    )?;
                    let mut matters = Vec::with_capacity(w.matters.len());
                    for m in &w.matters {
                        let (centre, code) = m.split_once(':').unwrap_or((m, ""));
                        matters.push(self.matter(centre, code, w.file(), &item)?);
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

    async fn calendars(&mut self) -> Result<(), ImportError> {
        let d = self.d;
        for cal in &d.calendars {
            let item = format!("calendar of {}", cal.centre);
            let centre = self.centre(&cal.centre, DEPLOYMENT, &item)?;
            let days = cal.days();
            let mut years: Vec<i32> = days.iter().map(|d| d.date.year()).collect();
            years.sort_unstable();
            years.dedup();
            let mut declared = Vec::new();
            for y in years {
                declared.extend(self.od.calendar_days(centre, y).await.map_err(failed(DEPLOYMENT, &item))?);
            }
            let new: Vec<CalendarDay> = days.iter().filter(|d| !declared.contains(d)).cloned().collect();
            if !new.is_empty() {
                self.od.set_calendar_days(&system(centre), &new, &[]).await.map_err(failed(DEPLOYMENT, &item))?;
            }
            for d in &days {
                self.tick("calendar", new.contains(d));
            }
        }
        Ok(())
    }

    async fn workflows(&mut self) -> Result<(), ImportError> {
        let d = self.d;
        for (c, f) in d.centres.iter().zip(&d.catalogues) {
            let file = centre_file(&c.code);
            for w in &f.workflow {
                let item = format!("workflow of matter {}", w.matter);
                let fail = || failed(&file, &item);
                let (centre, matter) = self.matter(&c.code, &w.matter, &file, &item)?;
                let admin = system(centre);
                let (_, version) = self.od.workflow(&admin, centre, matter).await.map_err(fail())?;
                let created = version == 0;
                if created {
                    let def = w.def(|u| self.units.get(&(c.code.clone(), u.to_owned())).copied());
                    let note = if w.note.is_empty() { format!("imported from {file}") } else { w.note.clone() };
                    self.od.set_workflow(&admin, matter, def, note).await.map_err(fail())?;
                }
                self.tick("workflows", created);
            }
        }
        Ok(())
    }

    async fn plugins(&mut self) -> Result<(), ImportError> {
        use sha2::Digest;
        let d = self.d;
        for pl in &d.plugins {
            let item = format!("plugin {}", pl.spec.name);
            let fail = || failed(DEPLOYMENT, &item);
            let centre = self.centre(&pl.spec.centre, DEPLOYMENT, &item)?;
            let admin = system(centre);
            let sha: String = sha2::Sha256::digest(&pl.bytes).iter().map(|b| format!("{b:02x}")).collect();
            let registry = self.od.plugin_registry(&admin, centre).await.map_err(fail())?;
            // Installed once: a later roll-back or deactivation by the centre is its own choice.
            let created = !registry.plugins.iter().any(|e| e.plugin.sha256 == sha);
            if created {
                let plugin = self.od.upload_plugin(&admin, &pl.spec.name, pl.bytes.clone()).await.map_err(fail())?;
                self.od.activate_plugin(&admin, plugin.id, registry.active).await.map_err(fail())?;
            }
            self.tick("plugins", created);
        }
        Ok(())
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use onedoor_domain::catalogue::MatterStatus;

    fn example() -> Deployment {
        Deployment::from_files(onedoor_tenants_example::PINGLIANG).unwrap_or_else(|e| panic!("the example loads:\n{e}"))
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
        Deployment::from_files(&[
            ("deployment.toml", DEPLOYMENT_TOML.as_bytes()),
            ("centres/kongtong.toml", text.as_bytes()),
        ])
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
                ("calendar", 23),
                ("halls", 1),
                ("members", 1),
                ("zones", 20),
                ("units", 95),
                ("staff", 588),
                ("matters", 1887),
                ("windows", 251),
                ("bundles", 6),
                ("workflows", 5),
                ("plugins", 2),
            ]
        );
    }

    #[tokio::test]
    async fn a_small_deployment_imports_once() {
        let d = kongtong(&MATTER.replace("@UNIT", "mz").replace("PROMISED", "0")).expect("valid");
        let db = TempDb::new();
        let od = Onedoor::open(&db.url()).await.expect("open");
        let mut heard = Vec::new();
        let first = import(&od, &d, &mut |p| heard.push(p)).await.unwrap_or_else(|e| panic!("import:\n{e}"));
        assert_eq!(first.created, d.counts(), "\n{first}");
        assert_eq!(heard.last().copied(), Some(ImportProgress { step: "matters", done: 1, total: 1 }));
        assert_eq!(heard.len(), d.counts().values().sum::<usize>());
        let second = import(&od, &d, &mut |_| {}).await.unwrap_or_else(|e| panic!("re-import:\n{e}"));
        assert_eq!(second.created_total(), 0, "\n{second}");
        assert!(second.to_string().contains("total"));
        let district = od.centre_by_code("kongtong").await.expect("read").expect("district");
        let admin = system(district.id);
        let m = od.matter_by_code(&admin, district.id, "62080200mz-xk-0003").await.expect("read").expect("matter");
        assert_eq!((m.status, m.version), (MatterStatus::Active, 1));
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

        let e = Deployment::from_files(&[
            ("deployment.toml", "[[centre]\n".as_bytes()),
            ("centres/kongtong.toml", "x = 1\n".as_bytes()),
        ])
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
            "centres/kongtong.toml:7:1: matter 62080200MZ-XK-0003: owner_unit \"x\" is not a unit of kongtong"
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
            e.to_string()
                .starts_with("centres/kongtong.toml:7:1: matter 62080200MZ-XK-0003: promised_days: the promised"),
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
        let e = Deployment::from_files(&[("deployment.toml", deployment.as_bytes()), ("centres/jingchuan.toml", b"")])
            .expect_err("broken references");
        let text = e.to_string();
        // (file and place, problem): items in deployment.toml carry their line and column.
        for (file, expected) in [
            ("centres/jingchuan.toml: ", "no centre \"jingchuan\" in deployment.toml"),
            ("deployment.toml:13:1: ", "hall h: member \"nowhere\" is not a centre of deployment.toml"),
            ("deployment.toml:22:1: ", "window 01 of hall h: zone \"B\" is not a zone of hall h"),
            ("deployment.toml:22:1: ", "window 01 of hall h: centre pingliang does not share hall h"),
            ("deployment.toml:22:1: ", "window 01 of hall h: \"kongtong\" is not of the form \"centre:matter code\""),
        ] {
            assert!(
                text.lines().any(|l| l.starts_with(file) && l.ends_with(expected)),
                "{file}…{expected}\nnot in\n{text}"
            );
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
