//! Builds the example deployment's two plugins (`plugins/pingliang-rules`,
//! `plugins/kongtong-rules`) from source for `wasm32-unknown-unknown`, so the crate embeds them
//! without a prebuilt binary in the repository; the import turns the modules into components.

include!("../plugins/build-guests.rs");

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().expect("the example crate is in the workspace").to_owned();
    watch(
        &root,
        &[
            "plugins/pingliang-rules/src",
            "plugins/pingliang-rules/Cargo.toml",
            "plugins/kongtong-rules/src",
            "plugins/kongtong-rules/Cargo.toml",
        ],
    );
    let release = build_guests(&root, &["pingliang-rules", "kongtong-rules"]);
    for (package, var) in
        [("pingliang_rules", "ONEDOOR_EXAMPLE_PINGLIANG_RULES"), ("kongtong_rules", "ONEDOOR_EXAMPLE_KONGTONG_RULES")]
    {
        println!("cargo:rustc-env={var}={}", release.join(format!("{package}.wasm")).display());
    }
}
