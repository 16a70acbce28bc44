//! The author kit behind `onedoor plugin build | check | test`: build a plugin crate into a
//! component, check a component against the contract, run it on JSON fixtures.

use crate::decision::{Request, Response};
use crate::error::HostError;
use crate::host::{PluginHost, SUPPORTED_CONTRACTS};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One line of a [`Report`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportItem {
    /// What was checked (`imports`, a fixture's file name …).
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was found.
    pub detail: String,
}

/// The outcome of `check` or `test`: one item per check or fixture.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// The items, in the order they ran.
    pub items: Vec<ReportItem>,
}

impl Report {
    /// Whether every item passed (and there is at least one).
    pub fn passed(&self) -> bool {
        !self.items.is_empty() && self.items.iter().all(|i| i.passed)
    }

    fn push(&mut self, name: impl Into<String>, passed: bool, detail: impl Into<String>) {
        self.items.push(ReportItem { name: name.into(), passed, detail: detail.into() });
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in &self.items {
            writeln!(f, "{} {}: {}", if i.passed { "ok  " } else { "FAIL" }, i.name, i.detail)?;
        }
        let failed = self.items.iter().filter(|i| !i.passed).count();
        writeln!(f, "{} passed, {} failed", self.items.len() - failed, failed)
    }
}

/// Builds the plugin crate in `dir` for `wasm32-unknown-unknown` in release (in its own
/// target directory, `DIR/target/onedoor-plugin`), and turns the module into a component with
/// wit-component. Answers the component's path, `DIR/target/onedoor-plugin/NAME.wasm`.
pub fn build(dir: &Path) -> Result<PathBuf, HostError> {
    build_in(dir, &dir.join("target").join("onedoor-plugin"))
}

/// [`build`], with the target directory given: the component is `TARGET_DIR/NAME.wasm`.
pub fn build_in(dir: &Path, target_dir: &Path) -> Result<PathBuf, HostError> {
    // Absolute paths: cargo runs in `dir`, so a relative one would point elsewhere.
    let dir = &dir.canonicalize().map_err(|source| HostError::Io { path: dir.to_owned(), source })?;
    let target_dir =
        &std::path::absolute(target_dir).map_err(|source| HostError::Io { path: target_dir.to_owned(), source })?;
    let manifest = dir.join("Cargo.toml");
    let name = cdylib_name(&manifest)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(dir)
        .args(["build", "--release", "--target", "wasm32-unknown-unknown", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target_dir)
        // Settings of an enclosing cargo (a build script, `cargo run`) must not leak in.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .status()
        .map_err(|e| HostError::Build(format!("cargo could not start: {e}")))?;
    if !status.success() {
        return Err(HostError::Build(format!("cargo build failed ({status})")));
    }
    let module_path = target_dir.join("wasm32-unknown-unknown").join("release").join(format!("{name}.wasm"));
    let module = std::fs::read(&module_path).map_err(|source| HostError::Io { path: module_path.clone(), source })?;
    let component = componentize(&module)?;
    let out = target_dir.join(format!("{name}.wasm"));
    std::fs::write(&out, component).map_err(|source| HostError::Io { path: out.clone(), source })?;
    Ok(out)
}

/// Turns a core module built with the SDK into a component (the module carries the contract
/// in a custom section; no adapter is needed, since it imports nothing).
pub fn componentize(module: &[u8]) -> Result<Vec<u8>, HostError> {
    wit_component::ComponentEncoder::default()
        .module(module)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|e| HostError::Build(format!("the module could not be turned into a component: {e:#}")))
}

/// The file name of the crate's cdylib (`pingliang-rules` → `pingliang_rules`).
fn cdylib_name(manifest: &Path) -> Result<String, HostError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version", "1", "--manifest-path"])
        .arg(manifest)
        .output()
        .map_err(|e| HostError::Build(format!("cargo could not start: {e}")))?;
    if !out.status.success() {
        return Err(HostError::Build(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let metadata: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| HostError::Build(format!("cargo metadata answered something unexpected: {e}")))?;
    let canonical = manifest.canonicalize().map_err(|source| HostError::Io { path: manifest.to_owned(), source })?;
    let packages = metadata["packages"].as_array().map(Vec::as_slice).unwrap_or_default();
    let package = packages
        .iter()
        .find(|p| p["manifest_path"].as_str().is_some_and(|m| Path::new(m) == canonical))
        .ok_or_else(|| HostError::Build(format!("{} is not a package's manifest", manifest.display())))?;
    let targets = package["targets"].as_array().map(Vec::as_slice).unwrap_or_default();
    targets
        .iter()
        .find(|t| t["crate_types"].as_array().is_some_and(|c| c.iter().any(|k| k == "cdylib")))
        .and_then(|t| t["name"].as_str())
        .map(|n| n.replace('-', "_"))
        .ok_or_else(|| {
            HostError::Build("the crate has no `cdylib` library: add `crate-type = [\"cdylib\", \"rlib\"]`".into())
        })
}

/// Checks a plugin file as an upload would: size, component, imports, exports and contract
/// version, compilation.
pub fn check(host: &PluginHost, bytes: &[u8]) -> Report {
    let mut report = Report::default();
    let limit = host.config().max_plugin_bytes;
    report.push("size", bytes.len() <= limit, format!("{} of at most {limit} bytes", bytes.len()));
    match host.load(bytes) {
        Ok(plugin) => {
            report.push("component", true, "a WebAssembly component that compiles");
            report.push(
                "contract",
                true,
                format!("onedoor:rules@{} (supported: {})", plugin.contract(), SUPPORTED_CONTRACTS.join(", ")),
            );
            report.push("imports", true, "nothing but the contract's types");
            report.push("sha256", true, plugin.sha256().to_string());
        }
        Err(HostError::PluginTooLarge { .. }) => {}
        Err(e) => {
            let item = match &e {
                HostError::NotAComponent(_) | HostError::InvalidComponent(_) => "component",
                HostError::ForbiddenImport { .. } => "imports",
                _ => "contract",
            };
            report.push(item, false, format!("{} ({})", e, e.code()));
        }
    }
    report
}

/// A fixture file: a request and what it should answer. As JSON:
/// `{"hook": "plan", "input": {…}, "expect": {…}}`, or with `"expect_error": "CODE"`.
#[derive(Debug, Deserialize)]
struct Fixture {
    #[serde(flatten)]
    request: Request,
    #[serde(default)]
    expect: Option<Value>,
    #[serde(default)]
    expect_error: Option<String>,
}

/// Runs the plugin on every `*.json` fixture of `dir` (in name order): a fixture passes when
/// the answer equals `expect` (or the error's code equals `expect_error`). Each item shows
/// the fuel used, the memory peak and the output size against the plugin's limits.
pub fn test_fixtures(host: &PluginHost, bytes: &[u8], dir: &Path) -> Result<Report, HostError> {
    let plugin = host.load(bytes)?;
    let limits = plugin.limits();
    let entries = std::fs::read_dir(dir).map_err(|source| HostError::Io { path: dir.to_owned(), source })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut report = Report::default();
    for path in files {
        let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let text = std::fs::read_to_string(&path).map_err(|source| HostError::Io { path: path.clone(), source })?;
        let fixture: Fixture = match serde_json::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                report.push(name, false, format!("not a fixture: {e}"));
                continue;
            }
        };
        let (passed, detail) = match (plugin.call(&fixture.request), &fixture.expect, &fixture.expect_error) {
            (Ok(outcome), expect, expect_error) => {
                let s = outcome.stats;
                let usage = format!(
                    "fuel {} / {}, memory {} / {} bytes, output {} / {} bytes",
                    s.fuel_used,
                    limits.fuel,
                    s.memory_peak_bytes,
                    limits.memory_bytes,
                    s.output_bytes,
                    limits.output_bytes
                );
                let actual = response_json(&outcome.value);
                match (expect, expect_error) {
                    (_, Some(code)) => (false, format!("expected the error {code}, got {actual}; {usage}")),
                    (Some(expected), None) if *expected != actual => {
                        (false, format!("expected {expected}, got {actual}; {usage}"))
                    }
                    _ => (true, usage),
                }
            }
            (Err(e), _, Some(code)) if e.code() == code => (true, format!("failed as expected: {e}")),
            (Err(e), _, _) => (false, format!("{} ({})", e, e.code())),
        };
        report.push(name, passed, detail);
    }
    if report.items.is_empty() {
        report.push(dir.display().to_string(), false, "no *.json fixture");
    }
    Ok(report)
}

fn response_json(response: &Response) -> Value {
    serde_json::to_value(response).unwrap_or(Value::Null)
}
