//! Cross-centre isolation: a token of one centre never sees or changes another centre's
//! non-public data, through any query, `node(id:)` or any mutation. A parent centre reads
//! (never writes) its children's supervision data. Data-driven: one table of cases.

use crate::world::World;
use serde_json::{Value, json};

const NODE: &str =
    "query($id: ID!) { node(id: $id) { id ... on Matter { status } ... on Staff { code } ... on Bundle { status } } }";

/// (reader, owner, what, expected visible): `what` is a field of the owner's centre.
#[tokio::test]
async fn node_lookups_respect_tenant_and_supervision() {
    let w = World::new().await;
    let s = &w.s;
    let (pl, kt, ts) = (&w.pl, &w.kt, &w.ts);
    let cases: Vec<(&str, Option<&str>, &str, bool)> = vec![
        // the owner sees its own staff and suspended matter
        ("own staff", Some(&kt.admin), &kt.staff, true),
        ("own suspended matter", Some(&kt.admin), &kt.suspended, true),
        // the parent supervises the child: reads
        ("parent reads child staff", Some(&pl.admin), &kt.staff, true),
        ("parent reads child suspended matter", Some(&pl.admin), &kt.suspended, true),
        // the child does not read the parent, nor a stranger
        ("child reads parent staff", Some(&kt.admin), &pl.staff, false),
        ("child reads parent suspended matter", Some(&kt.admin), &pl.suspended, false),
        ("stranger reads staff", Some(&ts.admin), &kt.staff, false),
        ("stranger reads suspended matter", Some(&ts.admin), &kt.suspended, false),
        ("stranger reads parent staff", Some(&ts.admin), &pl.staff, false),
        ("anonymous reads staff", None, &pl.staff, false),
        ("anonymous reads suspended matter", None, &pl.suspended, false),
        // public data is public
        ("anonymous reads active matter", None, &pl.matters[1], true),
        ("stranger reads active matter", Some(&ts.admin), &kt.matters[1], true),
        ("anonymous reads unit", None, &kt.units[0], true),
        ("anonymous reads active bundle", None, &kt.bundle, true),
        ("anonymous reads hall", None, &w.hall, true),
    ];
    for (name, token, id, visible) in cases {
        let d = s.gql(token, NODE, json!({ "id": id })).await;
        assert_eq!(!d["node"].is_null(), visible, "{name}: {d}");
    }
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn lists_respect_tenant_and_supervision() {
    let w = World::new().await;
    let s = &w.s;
    let staff = "query($c: String!) { centre(code: $c) { staff(first: 50) { edges { node { code } } } matters(first: 50, filter: { status: SUSPENDED }) { edges { node { code } } } bundles { edges { node { code status } } } } }";
    let count = |d: &Value, f: &str| d["centre"][f]["edges"].as_array().map_or(0, Vec::len);
    for (name, token, centre, visible) in [
        ("own", Some(&w.kt.admin), "kongtong", true),
        ("parent", Some(&w.pl.admin), "kongtong", true),
        ("child", Some(&w.kt.admin), "pingliang", false),
        ("stranger", Some(&w.ts.admin), "kongtong", false),
        ("anonymous", None, "kongtong", false),
    ] {
        let d = s.gql(token.map(String::as_str), staff, json!({ "c": centre })).await;
        assert_eq!(count(&d, "staff") > 0, visible, "{name} staff: {d}");
        assert_eq!(count(&d, "matters") > 0, visible, "{name} suspended matters: {d}");
        assert_eq!(count(&d, "bundles"), 1, "{name} active bundles are public: {d}");
    }
    // versions (with actors) are supervision data.
    let q = "query($id: ID!) { node(id: $id) { ... on Matter { versions { version } } } }";
    let d = s.gql(Some(&w.ts.admin), q, json!({ "id": w.kt.matters[0] })).await;
    assert_eq!(d["node"]["versions"], json!([]));
    let d = s.gql(Some(&w.pl.admin), q, json!({ "id": w.kt.matters[0] })).await;
    assert_eq!(d["node"]["versions"].as_array().unwrap().len(), 1);
    w.s.cleanup().await.unwrap();
}

/// Every mutation that targets an existing record, tried by the parent (who may read the
/// child's data but never write it) and by a stranger: each is refused and nothing changes.
#[tokio::test]
async fn no_mutation_reaches_another_centre() {
    let w = World::new().await;
    let s = &w.s;
    let kt = &w.kt;
    let g = crate::world::guide("62080200SC-XK-0777", "越权", &kt.units[0]);
    let cases: Vec<(&str, String, Value)> = vec![
        ("changeMatter", "ChangeMatterInput", json!({ "id": kt.matters[1], "guide": { "name": "越权修改" } })),
        ("suspendMatter", "MatterStatusInput", json!({ "id": kt.matters[1] })),
        ("resumeMatter", "MatterStatusInput", json!({ "id": kt.suspended })),
        ("cancelMatter", "MatterStatusInput", json!({ "id": kt.matters[1] })),
        ("splitMatter", "SplitMatterInput", json!({ "id": kt.matters[1], "parts": [g.clone(), g.clone()] })),
        (
            "mergeMatters",
            "MergeMattersInput",
            json!({ "sources": [kt.matters[1], kt.matters[2]], "result": g.clone() }),
        ),
        ("addMatter", "AddMatterInput", json!({ "guide": g.clone() })),
        ("updateUnit", "UpdateUnitInput", json!({ "id": kt.units[0], "name": "越权" })),
        ("updateStaff", "UpdateStaffInput", json!({ "id": kt.staff, "active": false })),
        ("cancelBundle", "CancelBundleInput", json!({ "id": kt.bundle })),
        (
            "createBundle",
            "CreateBundleInput",
            json!({ "code": "x", "name": "x", "leadUnit": kt.units[0], "matters": [kt.matters[1], kt.matters[2]] }),
        ),
    ]
    .into_iter()
    .map(|(f, t, i)| (f, t.to_owned(), i))
    .collect();
    let snapshot = "query($c: String!) { centre(code: $c) { units { edges { node { name } } } staff { edges { node { active } } } matters(first: 50) { edges { node { code status version name } } } bundles { edges { node { status } } } } }";
    let before = s.gql(Some(&kt.admin), snapshot, json!({ "c": "kongtong" })).await;
    for (field, input_type, input) in &cases {
        let q =
            format!("mutation($input: {input_type}!) {{ {field}(input: $input) {{ userErrors {{ field code }} }} }}");
        for (who, token) in [("parent", &w.pl.admin), ("stranger", &w.ts.admin)] {
            let errs = s
                .user_errors(Some(token), field, &q, input.clone())
                .await
                .unwrap_or_else(|e| panic!("{field} by {who}: {e}"));
            let codes: Vec<&str> = errs.iter().map(|e| e.1.as_str()).collect();
            assert!(codes.iter().all(|c| ["NOT_FOUND", "INVALID_REFERENCE"].contains(c)), "{field} by {who}: {errs:?}");
        }
    }
    let after = s.gql(Some(&kt.admin), snapshot, json!({ "c": "kongtong" })).await;
    assert_eq!(before, after, "a refused mutation changed the child's data");

    // The hall belongs to Pingliang: Kongtong shares it but cannot change it.
    for (field, input_type, input) in [
        ("createZone", "CreateZoneInput", json!({ "hall": w.hall, "code": "Z", "name": "越权" })),
        ("addHallMember", "AddHallMemberInput", json!({ "hall": w.hall, "centre": "tianshui" })),
        (
            "createWindow",
            "CreateWindowInput",
            json!({ "hall": w.hall, "zone": w.zone, "number": "99", "name": "越权" }),
        ),
        ("updateWindow", "UpdateWindowInput", json!({ "id": w.window, "name": "越权" })),
    ] {
        let q =
            format!("mutation($input: {input_type}!) {{ {field}(input: $input) {{ userErrors {{ field code }} }} }}");
        let errs = s.user_errors(Some(&kt.admin), field, &q, input).await.unwrap();
        assert_eq!(errs[0].1, "NOT_FOUND", "{field}: {errs:?}");
    }
    // A stranger cannot put its matters on Pingliang's window, nor Pingliang a stranger's.
    let q = "mutation($input: UpdateWindowInput!) { updateWindow(input: $input) { userErrors { field code } } }";
    let errs = s
        .user_errors(Some(&w.pl.admin), "updateWindow", q, json!({ "id": w.window, "matters": [w.ts.matters[0]] }))
        .await
        .unwrap();
    assert_eq!(errs, vec![("input.matters.0".into(), "INVALID_REFERENCE".into())]);
    w.s.cleanup().await.unwrap();
}
