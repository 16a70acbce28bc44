//! The organisation through the API: centres and their tree, the shared hall and its window
//! serving two centres' matters, units, staff, bundles.

use crate::world::World;
use serde_json::json;

#[tokio::test]
async fn shared_hall_window_serves_both_centres() {
    let w = World::new().await;
    let s = &w.s;
    let q = "query($id: ID!) { node(id: $id) { ... on Window { number name zone { code } hall { code centre { code } members { code } } matters { code centre { code } } } } }";
    let d = s.gql(None, q, json!({ "id": w.window })).await;
    let win = &d["node"];
    assert_eq!(win["hall"]["centre"]["code"], "pingliang");
    assert_eq!(win["hall"]["members"], json!([{ "code": "pingliang" }, { "code": "kongtong" }]));
    let centres: Vec<&str> =
        win["matters"].as_array().unwrap().iter().map(|m| m["centre"]["code"].as_str().unwrap()).collect();
    assert_eq!(centres.len(), 2);
    assert!(centres.contains(&"pingliang") && centres.contains(&"kongtong"), "{win}");

    // the member centre finds the hall through its own centre, with zones and windows.
    let q = "{ centre(code: \"kongtong\") { parent { code } halls { code zones { code } windows { edges { node { number } } } } } }";
    let d = s.gql(None, q, json!({})).await;
    assert_eq!(d["centre"]["parent"]["code"], "pingliang");
    assert_eq!(d["centre"]["halls"][0]["zones"][0]["code"], "A");
    assert_eq!(d["centre"]["halls"][0]["windows"]["edges"][0]["node"]["number"], "23");

    // the matters served by a zone's windows can be searched from either centre.
    let q = "query($z: ID!) { matters(centre: \"kongtong\", filter: { zone: $z }) { edges { node { code } } } }";
    let d = s.gql(None, q, json!({ "z": w.zone })).await;
    assert_eq!(d["matters"]["edges"][0]["node"]["code"], "62080200SC-XK-0000");

    // a suspended matter of a member may not be served by a window it cannot see publicly,
    // but the owner's own staff see it in the window's list.
    let q = "mutation($input: UpdateWindowInput!) { updateWindow(input: $input) { window { matters { code } } userErrors { code } } }";
    let p = s
        .mutate(
            &w.pl.admin,
            "updateWindow",
            q,
            json!({ "id": w.window, "matters": [w.pl.matters[0], w.kt.matters[0], w.kt.matters[1]] }),
        )
        .await;
    assert_eq!(p["window"]["matters"].as_array().unwrap().len(), 3);
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn centres_units_staff_and_bundles() {
    let w = World::new().await;
    let s = &w.s;
    let d = s.gql(None, "{ centres { code level parent { code } children { code } } }", json!({})).await;
    assert_eq!(
        d["centres"],
        json!([
            { "code": "kongtong", "level": "DISTRICT", "parent": { "code": "pingliang" }, "children": [] },
            { "code": "pingliang", "level": "CITY", "parent": null, "children": [{ "code": "kongtong" }] },
            { "code": "tianshui", "level": "CITY", "parent": null, "children": [] },
        ])
    );
    let q = "query($id: ID!) { node(id: $id) { ... on Bundle { name status leadUnit { code } supportingUnits { code } matters { code } } } }";
    let d = s.gql(None, q, json!({ "id": w.pl.bundle })).await;
    assert_eq!(d["node"]["leadUnit"]["code"], "u0");
    assert_eq!(d["node"]["supportingUnits"], json!([{ "code": "u1" }]));
    assert_eq!(d["node"]["matters"].as_array().unwrap().len(), 2);

    let q = "mutation($input: UpdateStaffInput!) { updateStaff(input: $input) { staff { name active roles unit { code } } userErrors { field code } } }";
    let p = s
        .mutate(
            &w.pl.admin,
            "updateStaff",
            q,
            json!({ "id": w.pl.staff, "roles": ["APPROVER", "UNIT_LEAD"], "clearUnit": true, "active": false }),
        )
        .await;
    assert_eq!(
        p["staff"],
        json!({ "name": "王芳", "active": false, "roles": ["APPROVER", "UNIT_LEAD"], "unit": null })
    );

    let d = s.gql(Some(&w.pl.admin), "{ viewer { centre { code } roles } }", json!({})).await;
    assert_eq!(d["viewer"], json!({ "centre": { "code": "pingliang" }, "roles": ["ADMIN", "SUPERVISOR"] }));
    let d = s.gql(None, "{ viewer { roles } }", json!({})).await;
    assert_eq!(d["viewer"], json!(null));
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn health_and_readiness() {
    let s = onedoor_tests::TestServer::start().await.unwrap();
    let base = s.url.trim_end_matches("/graphql").to_owned();
    for (path, expect) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let res = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
        assert_eq!(res.text().await.unwrap(), expect, "{path}");
    }
    s.cleanup().await.unwrap();
}
