//! The committed `schema.graphql` is the schema the code serves; refresh it with
//! `UPDATE_SCHEMA=1 cargo test -p onedoor-tests schema`.

#[test]
fn committed_schema_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../graphql-schema/schema.graphql");
    let sdl = onedoor_graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &sdl).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == sdl,
        "graphql-schema/schema.graphql differs from the code; run `UPDATE_SCHEMA=1 cargo test -p onedoor-tests schema` and commit it"
    );
}
