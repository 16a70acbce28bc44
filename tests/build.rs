//! Builds the plugins the suite runs from source: the two example plugins and the hostile
//! guests under `tests/guests/`, as `wasm32-unknown-unknown` modules (the tests turn them into
//! components with the author kit). Their paths reach the tests as `ONEDOOR_TEST_*_WASM`.
//!
//! The nested cargo uses its own target directory (`<target>/onedoor-guests`): sharing the
//! outer build's would wait forever on the lock the outer build holds.

use std::path::{Path, PathBuf};
use std::process::Command;

/// (package, environment variable for its module's path)
const GUESTS: &[(&str, &str)] = &[
    ("pingliang-rules", "ONEDOOR_TEST_PINGLIANG_WASM"),
    ("kongtong-rules", "ONEDOOR_TEST_KONGTONG_WASM"),
    ("guest-hostile", "ONEDOOR_TEST_HOSTILE_WASM"),
    ("guest-wasi-import", "ONEDOOR_TEST_WASI_IMPORT_WASM"),
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().expect("the tests crate is in the workspace").to_owned();
    for watched in [
        "plugins/wit",
        "plugins/onedoor-plugin-sdk/src",
        "plugins/onedoor-plugin-sdk/Cargo.toml",
        "plugins/pingliang-rules/src",
        "plugins/pingliang-rules/Cargo.toml",
        "plugins/kongtong-rules/src",
        "plugins/kongtong-rules/Cargo.toml",
        "tests/guests/hostile/src",
        "tests/guests/hostile/Cargo.toml",
        "tests/guests/wasi-import/src",
        "tests/guests/wasi-import/wit",
        "tests/guests/wasi-import/wit-random",
        "tests/guests/wasi-import/Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    ensure_wasm_target();

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/<package>-<hash>/out: share one nested target
    // directory between profiles and between `cargo clippy` and `cargo test`.
    let target_dir = out_dir.ancestors().nth(4).unwrap_or(&out_dir).join("onedoor-guests");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .args(["build", "--release", "--target", "wasm32-unknown-unknown", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for (package, _) in GUESTS {
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
    assert!(status.success(), "building the test plugins for wasm32-unknown-unknown failed ({status})");

    let release = target_dir.join("wasm32-unknown-unknown").join("release");
    for (package, var) in GUESTS {
        let module = release.join(format!("{}.wasm", package.replace('-', "_")));
        assert!(Path::new(&module).exists(), "{} was not built", module.display());
        println!("cargo:rustc-env={var}={}", module.display());
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
