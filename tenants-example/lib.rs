//! The example deployment: Pingliang city and Kongtong district sharing one hall, as data, at
//! the scale of the seed report (2018).
//!
//! This is what a new city copies. The directory `pingliang/` holds human-editable files:
//!
//! - `deployment.toml`: the centres (city `pingliang`, district `kongtong` below it), the
//!   shared hall 平凉市民中心 run by the city with the district as a member, its 20 functional
//!   zones (A–T), the 2018 working-day calendar (declared by the city, inherited by the
//!   district) and the two example plugins to install;
//! - `windows.csv`: the hall's 251 windows, many serving matters of both centres;
//! - `centres/<centre>/{units,staff,matters,materials,fees}.csv`: each centre's units, staff and
//!   matters with complete service guides (95 units, 588 staff of whom 24 are guide and proxy
//!   agents, 1887 matters);
//! - `centres/<centre>.toml`: bundles ("one thing") and workflows, parallel approval included;
//! - `plugins/*.wasm`: the two example plugins. They are not in the repository: this crate's
//!   build script builds `plugins/pingliang-rules` and `plugins/kongtong-rules` from source and
//!   embeds the modules (the import turns a module into a component); a city that copies the
//!   directory puts its own there with `onedoor plugin build`.
//!
//! The files were generated once by `examples/generate.rs` (see `generate.sh`) and are edited
//! as data from then on. `onedoor::import::Deployment::from_dir` checks the files (every
//! problem with its file, line and column) and `onedoor::import::import` loads them
//! idempotently: items are keyed by code, so importing again creates only what is new.
//!
//! This crate has no dependencies: it only embeds the files ([`PINGLIANG`]) so that a binary
//! can import the example without the source tree, and names their directory
//! ([`pingliang_dir`]).

/// Embeds a file of the example, as (path, bytes).
macro_rules! file {
    ($path:literal) => {
        ($path, include_bytes!(concat!("pingliang/", $path)))
    };
}

/// The Pingliang example as (path relative to the deployment directory, contents), ready for
/// `onedoor::import::Deployment::from_files`.
pub const PINGLIANG: &[(&str, &[u8])] = &[
    file!("deployment.toml"),
    file!("windows.csv"),
    file!("centres/kongtong.toml"),
    file!("centres/kongtong/fees.csv"),
    file!("centres/kongtong/materials.csv"),
    file!("centres/kongtong/matters.csv"),
    file!("centres/kongtong/staff.csv"),
    file!("centres/kongtong/units.csv"),
    file!("centres/pingliang.toml"),
    file!("centres/pingliang/fees.csv"),
    file!("centres/pingliang/materials.csv"),
    file!("centres/pingliang/matters.csv"),
    file!("centres/pingliang/staff.csv"),
    file!("centres/pingliang/units.csv"),
    ("plugins/kongtong-rules.wasm", include_bytes!(env!("ONEDOOR_EXAMPLE_KONGTONG_RULES"))),
    ("plugins/pingliang-rules.wasm", include_bytes!(env!("ONEDOOR_EXAMPLE_PINGLIANG_RULES"))),
];

/// The directory of the Pingliang example in the source tree, to copy. (To import it from
/// disk with `onedoor::import::Deployment::from_dir`, first build the plugins into its
/// `plugins/` with `onedoor plugin build`; [`PINGLIANG`] embeds them already.)
pub fn pingliang_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pingliang")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the directory, relative, sorted.
    fn on_disk(dir: &std::path::Path, prefix: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("the directory exists") {
            let path = entry.expect("an entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).expect("a name").to_owned();
            let rel = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
            if path.is_dir() {
                on_disk(&path, &rel, out);
            } else {
                out.push(rel);
            }
        }
    }

    #[test]
    fn embedded_files_are_the_directory() {
        let mut files = Vec::new();
        on_disk(&pingliang_dir(), "", &mut files);
        // Plugins built locally with `onedoor plugin build` are not part of the example.
        files.retain(|f| !f.starts_with("plugins/"));
        files.sort();
        let (data, plugins): (Vec<_>, Vec<_>) = PINGLIANG.iter().partition(|(p, _)| !p.starts_with("plugins/"));
        let mut embedded: Vec<&str> = data.iter().map(|(p, _)| *p).collect();
        embedded.sort();
        assert_eq!(files, embedded);
        // The plugins are built from source: wasm modules.
        for (path, bytes) in plugins {
            assert!(bytes.starts_with(b"\0asm\x01\0\0\0"), "{path} is not a wasm module");
        }
        for (path, contents) in data {
            let on_disk = std::fs::read(pingliang_dir().join(path)).expect("the file exists");
            assert!(on_disk == *contents, "{path} differs from the embedded copy");
        }
    }
}
