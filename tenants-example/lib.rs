//! The example deployment: Pingliang city and Kongtong district sharing one hall, as data.
//!
//! This is what a new city copies. The directory `pingliang/` holds human-editable TOML:
//!
//! - `deployment.toml`: the centres (city `pingliang`, district `kongtong` below it), the
//!   shared hall 平凉市民中心 run by the city with the district as a member, its 20 functional
//!   zones (A–T) and windows, some of which serve matters of both centres;
//! - `centres/pingliang.toml` and `centres/kongtong.toml`: each centre's units, staff (every
//!   role), matters with complete service guides, and bundles ("one thing").
//!
//! To start another city: copy the directory, rename the centres and their files, and edit.
//! `onedoor::import::Deployment::from_dir` checks the files (every problem with its file and
//! line or item) and `onedoor::import::import` loads them idempotently: items are keyed by
//! code, so importing again after adding items creates only the new ones.
//!
//! This crate has no dependencies: it only embeds the files ([`PINGLIANG`]) so that a binary
//! can import the example without the source tree, and names their directory
//! ([`pingliang_dir`]).

/// The Pingliang example as (path relative to the deployment directory, contents), ready for
/// `onedoor::import::Deployment::from_files`.
pub const PINGLIANG: &[(&str, &str)] = &[
    ("deployment.toml", include_str!("pingliang/deployment.toml")),
    ("centres/pingliang.toml", include_str!("pingliang/centres/pingliang.toml")),
    ("centres/kongtong.toml", include_str!("pingliang/centres/kongtong.toml")),
];

/// The directory of the Pingliang example in the source tree (for
/// `onedoor::import::Deployment::from_dir`, or to copy it).
pub fn pingliang_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pingliang")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_match_the_directory() {
        for (path, contents) in PINGLIANG {
            let on_disk = std::fs::read_to_string(pingliang_dir().join(path)).expect("the file exists");
            assert_eq!(&on_disk, contents, "{path}");
        }
    }
}
