//! The domain crate stays pure: no database, web, GraphQL, async runtime or wasm crate in its
//! dependency graph.

#[test]
fn the_domain_depends_on_no_infrastructure() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["tree", "-p", "onedoor-domain", "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8_lossy(&out.stdout);
    let crates: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(crates.contains(&"onedoor-domain"), "{tree}");
    let forbidden = [
        "sea-orm",
        "sqlx",
        "tokio",
        "axum",
        "hyper",
        "async-graphql",
        "wasmtime",
        "reqwest",
        "jsonwebtoken",
        "onedoor-store",
    ];
    let found: Vec<&&str> = crates.iter().filter(|c| forbidden.iter().any(|f| c.starts_with(f))).collect();
    assert!(found.is_empty(), "the domain crate depends on {found:?}");
}
