//! Bad input: clear errors with stable codes, never a panic, a 500 or a database message,
//! and a failed mutation writes nothing.

use crate::world::{ADD_MATTER, CREATE_UNIT, World, guide};
use onedoor::config::Limits;
use onedoor_tests::TestServer;
use serde_json::{Value, json};

#[tokio::test]
async fn a_guide_with_many_problems_reports_them_all_and_writes_nothing() {
    let w = World::new().await;
    let s = &w.s;
    let count = "{ matters(centre: \"pingliang\", first: 100, filter: {}) { edges { node { code } } } }";
    let before = s.gql(Some(&w.pl.admin), count, json!({})).await;
    let mut g = guide("bad code!", "", &w.pl.units[0]);
    g["promisedDays"] = json!(30);
    g["modes"] = json!([]);
    g["fees"] = json!([{ "item": "工本费", "amount": -1, "basis": "" }]);
    g["materials"] = json!([{ "name": "申请表" }, { "name": "申请表" }]);
    let errs = s.user_errors(Some(&w.pl.admin), "addMatter", ADD_MATTER, json!({ "guide": g })).await.unwrap();
    let expect: Vec<(String, String)> = [
        ("input.guide.code", "INVALID_CODE"),
        ("input.guide.name", "REQUIRED"),
        ("input.guide.materials.1", "DUPLICATE"),
        ("input.guide.promisedDays", "PROMISED_EXCEEDS_STATUTORY"),
        ("input.guide.fees.0.amount", "OUT_OF_RANGE"),
        ("input.guide.fees.0.basis", "REQUIRED"),
        ("input.guide.modes", "TOO_FEW"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(errs, expect);
    let after = s.gql(Some(&w.pl.admin), count, json!({})).await;
    assert_eq!(before, after);
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn user_errors_for_each_kind_of_bad_input() {
    let w = World::new().await;
    let s = &w.s;
    type Case<'a> = (&'a str, &'a str, Value, &'a [(&'a str, &'a str)]);
    let cases: Vec<Case> = vec![
        (
            "createUnit",
            CREATE_UNIT,
            json!({ "code": "u0", "name": "重复", "kind": "CITY_DEPARTMENT" }),
            &[("input.code", "DUPLICATE")],
        ),
        (
            "createUnit",
            CREATE_UNIT,
            json!({ "code": "a b", "name": " ", "kind": "CITY_DEPARTMENT" }),
            &[("input.code", "INVALID_CODE"), ("input.name", "REQUIRED")],
        ),
        (
            "addMatter",
            ADD_MATTER,
            json!({ "guide": guide("62080000SC-XK-0000", "重复代码", &w.pl.units[0]) }),
            &[("input.guide.code", "DUPLICATE")],
        ),
        (
            "addMatter",
            ADD_MATTER,
            json!({ "guide": guide("62080000SC-XK-0777", "别人的单位", &w.kt.units[0]) }),
            &[("input.guide.ownerUnit", "INVALID_REFERENCE")],
        ),
        (
            "addMatter",
            ADD_MATTER,
            json!({ "guide": guide("62080000SC-XK-0778", "坏 id", "bm90LWFuLWlk") }),
            &[("input.guide.ownerUnit", "INVALID_ID")],
        ),
        (
            "addMatter",
            ADD_MATTER,
            json!({ "guide": guide("62080000SC-XK-0779", "单位 id 给了事项", &w.pl.matters[0]) }),
            &[("input.guide.ownerUnit", "INVALID_ID")],
        ),
    ];
    for (field, q, input, expect) in cases {
        let errs = s.user_errors(Some(&w.pl.admin), field, q, input.clone()).await.unwrap();
        let expect: Vec<(String, String)> = expect.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
        assert_eq!(errs, expect, "{field} {input}");
    }
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn malformed_requests_and_limits_get_graphql_errors() {
    let s =
        TestServer::start_with(Limits { max_depth: 6, max_complexity: 500, max_page_size: 50, ..Limits::default() })
            .await
            .unwrap();
    let cases: Vec<(&str, &str, u16, &str)> = vec![
        ("syntax", "{ centres { code ", 400, ""),
        ("unknown field", "{ nope }", 400, ""),
        ("depth", "{ centres { parent { parent { parent { parent { parent { code } } } } } } }", 400, ""),
        ("page cap", "{ matters(centre: \"x\", first: 51) { edges { cursor } } }", 200, "PAGE_TOO_LARGE"),
        ("negative page", "{ matters(centre: \"x\", first: -1) { edges { cursor } } }", 200, "INVALID_ARGUMENT"),
        (
            "complexity",
            "{ centres { units(first: 50) { edges { node { matters(first: 50) { edges { node { code } } } } } } } }",
            400,
            "",
        ),
        ("bad cursor", "{ matters(centre: \"x\", after: \"%%%\") { edges { cursor } } }", 200, "INVALID_CURSOR"),
        ("bad id", "{ node(id: \"nonsense\") { id } }", 200, "INVALID_ID"),
        ("anonymous without centre", "{ matters { edges { cursor } } }", 200, "CENTRE_REQUIRED"),
        ("unknown centre", "{ matters(centre: \"atlantis\") { edges { cursor } } }", 200, "NOT_FOUND"),
    ];
    for (name, q, status, code) in cases {
        let (got, body) = s.post(None, q, json!({})).await.unwrap();
        assert_eq!(got, status, "{name}: {body}");
        assert!(body["errors"].as_array().is_some_and(|e| !e.is_empty()), "{name}: {body}");
        if !code.is_empty() {
            assert_eq!(body["errors"][0]["extensions"]["code"], code, "{name}: {body}");
        }
        assert!(!body.to_string().to_lowercase().contains("sqlx"), "{name} leaks the database: {body}");
    }
    s.cleanup().await.unwrap();
}

/// A client that sends half a request and stalls is answered 408 once the request timeout
/// passes, instead of holding the connection for ever.
#[tokio::test]
async fn a_stalled_request_gets_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = TestServer::start_with(Limits { request_timeout_seconds: 1, ..Limits::default() }).await.unwrap();
    let addr = s.url.trim_start_matches("http://").trim_end_matches("/graphql").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"query\":"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    let mut buf = [0u8; 1024];
    // The server answers and closes; read until it does.
    loop {
        let n = tcp.read(&mut buf).await.unwrap();
        reply.extend_from_slice(&buf[..n]);
        if n == 0 || reply.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    s.cleanup().await.unwrap();
}
