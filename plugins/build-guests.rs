// Shared by the build scripts that build plugin crates from source for
// `wasm32-unknown-unknown` (`tenants-example/build.rs`, `tests/build.rs`), through `include!`:
// a build script cannot depend on a workspace crate without building it for the host too.
//
// The nested cargo uses its own target directory (`<target>/onedoor-guests`), shared by every
// profile and by both scripts: sharing the outer build's would wait forever on the lock the
// outer build holds.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds `packages` of the workspace at `root` for `wasm32-unknown-unknown` (release) and
/// returns the folder holding their modules (`<package with underscores>.wasm`).
fn build_guests(root: &Path, packages: &[&str]) -> PathBuf {
    ensure_wasm_target();
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/<package>-<hash>/out.
    let target_dir = out_dir.ancestors().nth(4).unwrap_or(&out_dir).join("onedoor-guests");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["build", "--release", "--target", "wasm32-unknown-unknown", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for package in packages {
        command.args(["-p", package]);
    }
    // The outer build's settings (clippy's wrapper, flags, its target directory) must not
    // leak into the nested build.
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        command.env_remove(var);
    }
    let status = command.status().expect("cargo runs");
    assert!(status.success(), "building {packages:?} for wasm32-unknown-unknown failed ({status})");
    let release = target_dir.join("wasm32-unknown-unknown").join("release");
    for package in packages {
        let module = release.join(format!("{}.wasm", package.replace('-', "_")));
        assert!(Path::new(&module).exists(), "{} was not built", module.display());
    }
    release
}

/// Asks cargo to rebuild when a plugin's sources, the SDK or the contract change.
fn watch(root: &Path, paths: &[&str]) {
    for watched in ["plugins/wit", "plugins/onedoor-plugin-sdk/src", "plugins/onedoor-plugin-sdk/Cargo.toml", "Cargo.lock"]
        .iter()
        .chain(paths)
    {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
}

/// The wasm target is listed in `rust-toolchain.toml`, but rustup adds listed targets only when
/// it installs the toolchain: on a machine that already had the toolchain, add it here (rustup
/// fetches it once), or say clearly what to run.
fn ensure_wasm_target() {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(&rustc).args(["--print", "sysroot"]).output().ok().filter(|o| o.status.success());
    let installed = sysroot.is_some_and(|o| {
        Path::new(String::from_utf8_lossy(&o.stdout).trim()).join("lib/rustlib/wasm32-unknown-unknown").exists()
    });
    if installed {
        return;
    }
    let added = Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]).status();
    assert!(
        added.is_ok_and(|s| s.success()),
        "the wasm32-unknown-unknown target is missing and rustup could not add it: run `rustup target add wasm32-unknown-unknown`"
    );
}
