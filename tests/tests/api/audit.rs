//! The GraphQL-over-HTTP conformance audit (npm `graphql-http`) against a running server: no
//! MUST audit may fail. Needs Node.js; installs the audit's locked packages on first run.

use onedoor_tests::TestServer;

use std::process::Command;

#[tokio::test]
async fn graphql_over_http_audit_has_no_must_failure() {
    let dir = onedoor_tests::node_clients().to_owned();
    let s = TestServer::start().await.unwrap();
    let url = s.url.clone();
    let out =
        tokio::task::spawn_blocking(move || Command::new("node").arg("audit.mjs").arg(&url).current_dir(&dir).output())
            .await
            .unwrap()
            .unwrap();
    assert!(out.status.success(), "audit failed to run: {}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(lines.len() > 40, "too few audits ran: {}", lines.len());
    let must_failures: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|a| a["name"].as_str().is_some_and(|n| n.starts_with("MUST")) && a["status"] != "ok")
        .collect();
    assert!(must_failures.is_empty(), "MUST failures: {must_failures:#?}");
    let passed = lines.iter().filter(|a| a["status"] == "ok").count();
    eprintln!("graphql-http audit: {passed}/{} ok", lines.len());
    s.cleanup().await.unwrap();
}
