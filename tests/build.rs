//! Builds the plugins the suite runs from source: the two example plugins and the hostile
//! guests under `tests/guests/`, as `wasm32-unknown-unknown` modules (the tests turn them into
//! components with the author kit). Their paths reach the tests as `ONEDOOR_TEST_*_WASM`.

include!("../plugins/build-guests.rs");

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
    watch(
        &root,
        &[
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
        ],
    );
    let packages: Vec<&str> = GUESTS.iter().map(|(p, _)| *p).collect();
    let release = build_guests(&root, &packages);
    for (package, var) in GUESTS {
        println!("cargo:rustc-env={var}={}", release.join(format!("{}.wasm", package.replace('-', "_"))).display());
    }
}
