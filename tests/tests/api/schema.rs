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

/// GraphiQL and code generators send graphql-js's introspection query, which nests deeper
/// than the data limits allow; it must still pass, while data queries keep their limits.
#[tokio::test]
async fn the_standard_introspection_query_passes_the_default_limits() {
    let dir = onedoor_tests::node_clients();
    let out = std::process::Command::new("node")
        .args(["--input-type=module", "-e", "import { getIntrospectionQuery } from 'graphql'; process.stdout.write(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }))"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let query = String::from_utf8(out.stdout).unwrap();
    let s = onedoor_tests::TestServer::start().await.unwrap();
    let data = s.gql(None, &query, serde_json::json!({})).await;
    let types = data["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Matter"), "{data}");
    // A data query mixed with introspection keeps the data limits.
    let deep = "{ __typename centres { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { code } } } } } } } } } } } }";
    let (status, body) = s.post(None, deep, serde_json::json!({})).await.unwrap();
    assert_eq!(status, 400, "{body}");
    s.cleanup().await.unwrap();
}
