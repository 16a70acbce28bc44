//! The plugin registry through the API: the two example plugins (built from source by
//! `tests/build.rs`) uploaded, refused when they must be, activated, rolled back under
//! concurrent calls and across replicas; decisions through `Onedoor::rules` recorded, listed
//! and replayed from the database; a hostile plugin raising a supervision alert that
//! supervisors take up.

use crate::plugins::{HOSTILE, KONGTONG, PINGLIANG, WASI_IMPORT, bad_rating, component, load, project_case};
use crate::world::World;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use onedoor::Onedoor;
use onedoor::domain::CentreId;
use onedoor::domain::organisation::Level;
use onedoor::rules::RuleRef;
use onedoor_tests::TestServer;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use uuid::Uuid;

const UPLOAD: &str = "mutation($input: UploadPluginInput!) { uploadPlugin(input: $input) { plugin { id name sha256 contract size hooks active uploadedBy } userErrors { field code message } } }";
pub(crate) const ACTIVATE: &str = "mutation($input: ActivatePluginInput!) { activatePlugin(input: $input) { registry { active { id name activatedBy activatedAt } history { seq change plugin by } } userErrors { field code message } } }";
const ROLL_BACK: &str = "mutation($input: ChangeActivePluginInput) { rollBackPlugin(input: $input) { registry { active { id name } } userErrors { field code message } } }";
const DEACTIVATE: &str = "mutation($input: ChangeActivePluginInput) { deactivatePlugin(input: $input) { registry { active { id } history { change plugin } } userErrors { field code message } } }";
const SET_FUEL: &str = "mutation($input: SetPluginFuelInput!) { setPluginFuel(input: $input) { registry { fuel } userErrors { field code message } } }";
const PLUGINS: &str = "query($centre: String) { plugins(centre: $centre) { fuel active { name } plugins { name active activatedAt activatedBy sha256 } history { seq change plugin } } }";
pub(crate) const DECISIONS: &str = "query($centre: String, $plugin: ID, $subject: String) { decisions(centre: $centre, plugin: $plugin, subject: $subject) { edges { node { id decisionId hook sha256 contract subject error input output } } } }";
const ALERTS: &str = "query($centre: String, $status: AlertStatus) { alerts(centre: $centre, status: $status) { edges { node { id kind severity centre subject message details status acknowledgedBy resolveNote } } } }";
const ACK: &str = "mutation($input: AlertStepInput!) { acknowledgeAlert(input: $input) { alert { id status acknowledgedBy } userErrors { field code message } } }";
const RESOLVE: &str = "mutation($input: AlertStepInput!) { resolveAlert(input: $input) { alert { id status resolveNote } userErrors { field code message } } }";

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

async fn centre(od: &Onedoor, code: &str) -> CentreId {
    od.centre_id(code).await.unwrap().unwrap()
}

/// Uploads a module's component to the token's centre; returns the plugin's id and hash.
pub(crate) async fn upload(s: &TestServer, token: &str, name: &str, module: &str) -> (String, String) {
    let p =
        s.mutate(token, "uploadPlugin", UPLOAD, json!({ "name": name, "component": b64(&component(module)) })).await;
    (p["plugin"]["id"].as_str().unwrap().to_owned(), p["plugin"]["sha256"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn plugins_are_uploaded_activated_and_decide_with_recorded_decisions() {
    let w = World::new().await;
    let s = &w.s;
    let admin_id = Uuid::now_v7();
    let admin = s.token("pingliang", admin_id, &["ADMIN"]);
    let pl = centre(&s.od, "pingliang").await;

    let bytes = component(PINGLIANG);
    let p =
        s.mutate(&admin, "uploadPlugin", UPLOAD, json!({ "name": "pingliang-rules", "component": b64(&bytes) })).await;
    let plugin = &p["plugin"];
    assert_eq!(plugin["contract"], "0.1.0");
    assert_eq!(plugin["size"], json!(bytes.len()));
    assert_eq!(plugin["hooks"], json!(["plan", "on_branch_decided", "on_rating", "assess"]));
    assert_eq!(plugin["active"], false);
    assert_eq!(plugin["uploadedBy"], admin_id.to_string());
    assert_eq!(plugin["sha256"], onedoor_plugin_host::Sha256::of(&bytes).to_string());
    let pingliang = plugin["id"].as_str().unwrap().to_owned();
    let pingliang_sha = plugin["sha256"].as_str().unwrap().to_owned();
    let (kongtong, _) = upload(s, &admin, "kongtong-rules", KONGTONG).await;

    // Uploaded, not active: the built-in rule decides, and says so.
    let input = project_case("PL-2026-000101");
    let decided = s.od.rules(pl).await.unwrap().plan(&input).unwrap();
    assert_eq!((decided.rule.clone(), decided.record.is_none()), (RuleRef::Builtin, true));
    assert_eq!(decided.rule.to_string(), "builtin");

    let a = s.mutate(&admin, "activatePlugin", ACTIVATE, json!({ "id": pingliang })).await;
    assert_eq!(a["registry"]["active"]["name"], "pingliang-rules");
    assert_eq!(a["registry"]["active"]["activatedBy"], admin_id.to_string());
    assert_eq!(
        a["registry"]["history"],
        json!([{ "seq": 1, "change": "ACTIVATE", "plugin": pingliang, "by": admin_id.to_string() }])
    );

    // Effective at once: the plugin decides, the rule names it, and its record is kept.
    let decided = s.od.rules(pl).await.unwrap().plan(&input).unwrap();
    assert_eq!(decided.value, load(PINGLIANG).plan(&input).unwrap().value);
    match &decided.rule {
        RuleRef::Plugin { name, sha256, .. } => {
            assert_eq!((name.as_str(), sha256.as_str()), ("pingliang-rules", pingliang_sha.as_str()))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(decided.rule.to_string(), format!("plugin pingliang-rules@{}", &pingliang_sha[..12]));
    let record = decided.record.unwrap();
    s.od.record_decision(pl, &record, Some("PL-2026-000101")).await.unwrap();
    // A rating through the same rules: Pingliang fixes bad ratings within 5 working days.
    let follow_up = s.od.rules(pl).await.unwrap().on_rating(&bad_rating()).unwrap();
    assert_eq!(follow_up.value.rectification.map(|r| r.due_in.get()), Some(5));
    s.od.record_decision(pl, &follow_up.record.unwrap(), Some("rating-1")).await.unwrap();

    // Listed, newest first, by plugin and by subject.
    let all = s.gql(Some(&w.pl.admin), DECISIONS, json!({})).await;
    let edges = all["decisions"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2);
    assert_eq!(edges[0]["node"]["hook"], "on_rating");
    let plan = &edges[1]["node"];
    assert_eq!((plan["hook"].as_str(), plan["subject"].as_str()), (Some("plan"), Some("PL-2026-000101")));
    assert_eq!((plan["sha256"].as_str(), plan["contract"].as_str()), (Some(pingliang_sha.as_str()), Some("0.1.0")));
    assert_eq!(plan["error"], Value::Null);
    assert_eq!(plan["input"]["case_number"], "PL-2026-000101");
    assert_eq!(plan["output"]["join_policy"], "all_approve");
    let by_subject = s.gql(Some(&w.pl.admin), DECISIONS, json!({ "subject": "PL-2026-000101" })).await;
    assert_eq!(by_subject["decisions"]["edges"].as_array().unwrap().len(), 1);
    let by_other_plugin = s.gql(Some(&w.pl.admin), DECISIONS, json!({ "plugin": kongtong })).await;
    assert_eq!(by_other_plugin["decisions"]["edges"], json!([]));
    let by_plugin = s.gql(Some(&w.pl.admin), DECISIONS, json!({ "plugin": pingliang })).await;
    assert_eq!(by_plugin["decisions"]["edges"].as_array().unwrap().len(), 2);
    // The node lookup finds a decision for its readers only.
    let id = plan["id"].as_str().unwrap();
    let q = "query($id: ID!) { node(id: $id) { ... on Decision { hook } } }";
    assert_eq!(s.gql(Some(&w.pl.admin), q, json!({ "id": id })).await["node"]["hook"], "plan");
    assert_eq!(s.gql(Some(&w.ts.admin), q, json!({ "id": id })).await["node"], Value::Null);
    // Other centres see nothing; the parent centre's supervisors see the child's.
    let other = s.gql(Some(&w.ts.admin), DECISIONS, json!({ "centre": "pingliang" })).await;
    assert_eq!(other["decisions"]["edges"], json!([]));
    let clerk = s.post(Some(&w.pl.clerk), DECISIONS, json!({})).await.unwrap().1;
    assert_eq!(clerk["errors"][0]["extensions"]["code"], "FORBIDDEN");

    // Replay from the database (what `onedoor plugin replay --decision ID --against FILE`
    // runs): against Kongtong's plugin the plan differs, against Pingliang's it does not.
    let decision_id = plan["decisionId"].as_str().unwrap().parse().map(onedoor::domain::id::DecisionId).unwrap();
    let (stored, diff) = s.od.replay_decision(decision_id, component(KONGTONG)).await.unwrap();
    assert_eq!(stored.subject.as_deref(), Some("PL-2026-000101"));
    let text = diff.to_string();
    assert!(text.contains(r#"join_policy: "all_approve" → "joint_meeting""#), "{text}");
    let (_, same) = s.od.replay_decision(decision_id, component(PINGLIANG)).await.unwrap();
    assert!(same.is_empty(), "{same}");
    let missing = s.od.replay_decision(onedoor::domain::id::DecisionId(Uuid::now_v7()), component(PINGLIANG)).await;
    assert_eq!(missing.unwrap_err().code(), "NOT_FOUND");
    let bad = s.od.replay_decision(decision_id, std::fs::read(PINGLIANG).unwrap()).await;
    assert_eq!(bad.unwrap_err().code(), "NOT_A_COMPONENT");

    // Deactivated: the built-in rule again; deactivating twice is refused.
    let d = s.mutate(&admin, "deactivatePlugin", DEACTIVATE, json!({})).await;
    assert_eq!(d["registry"]["active"], Value::Null);
    assert_eq!(s.od.rules(pl).await.unwrap().rule(), RuleRef::Builtin);
    let e = s.user_errors(Some(&admin), "deactivatePlugin", DEACTIVATE, json!({})).await.unwrap();
    assert_eq!(e, vec![("input".into(), "NO_ACTIVE_PLUGIN".into())]);
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn uploads_are_refused_with_a_code_for_each_reason() {
    let limits = onedoor::config::Limits { max_body_bytes: 8 << 20, ..Default::default() };
    let s = TestServer::start_with(limits).await.unwrap();
    s.od.create_centre(None, "pingliang", "平凉市政务服务中心", Level::City, None).await.unwrap();
    let admin = s.token("pingliang", Uuid::now_v7(), &["ADMIN"]);
    let refused = |component: Vec<u8>| {
        let input = json!({ "name": "rules", "component": b64(&component) });
        let s = &s;
        let admin = admin.clone();
        async move { s.user_errors(Some(&admin), "uploadPlugin", UPLOAD, input).await.unwrap() }
    };
    let on_component = |code: &str| vec![("input.component".to_owned(), code.to_owned())];

    // A core module, not a component.
    assert_eq!(refused(std::fs::read(PINGLIANG).unwrap()).await, on_component("NOT_A_COMPONENT"));
    assert_eq!(refused(b"not wasm at all".to_vec()).await, on_component("NOT_A_COMPONENT"));
    // A component importing WASI.
    assert_eq!(refused(component(WASI_IMPORT)).await, on_component("FORBIDDEN_IMPORT"));
    // The example plugin, claiming a contract version this host does not serve.
    let mut future = component(PINGLIANG);
    let patched = replace_all(&mut future, b"@0.1.0", b"@9.1.0");
    assert!(patched >= 3, "the contract version appears in every import and export");
    assert_eq!(refused(future).await, on_component("UNSUPPORTED_CONTRACT"));
    // An empty component: it exports none of the contract.
    assert_eq!(refused(vec![0, b'a', b's', b'm', 0x0d, 0, 1, 0]).await, on_component("BAD_CONTRACT"));
    // Above the host's cap of 4 MiB (checked before anything is compiled).
    let mut big = vec![0, b'a', b's', b'm', 0x0d, 0, 1, 0];
    big.resize((4 << 20) + 1, 0);
    assert_eq!(refused(big).await, on_component("PLUGIN_TOO_LARGE"));
    // Not base64; a bad name.
    let e = s.user_errors(Some(&admin), "uploadPlugin", UPLOAD, json!({ "name": "rules", "component": "%%%" })).await;
    assert_eq!(e.unwrap(), on_component("INVALID_BASE64"));
    let input = json!({ "name": "bad name!", "component": b64(&component(KONGTONG)) });
    let e = s.user_errors(Some(&admin), "uploadPlugin", UPLOAD, input).await.unwrap();
    assert_eq!(e, vec![("input.name".into(), "INVALID_CODE".into())]);
    // Not an admin.
    let clerk = s.token("pingliang", Uuid::now_v7(), &["WINDOW_CLERK", "SUPERVISOR"]);
    let input = json!({ "name": "rules", "component": b64(&component(KONGTONG)) });
    let e = s.user_errors(Some(&clerk), "uploadPlugin", UPLOAD, input.clone()).await.unwrap();
    assert_eq!(e, vec![("input".into(), "FORBIDDEN".into())]);
    let e = s.user_errors(None, "uploadPlugin", UPLOAD, input.clone()).await.unwrap();
    assert_eq!(e, vec![("input".into(), "UNAUTHENTICATED".into())]);

    // Nothing was stored by any refusal; the same component twice is a duplicate.
    let registry = s.gql(Some(&admin), PLUGINS, json!({})).await;
    assert_eq!(registry["plugins"]["plugins"], json!([]));
    s.mutate(&admin, "uploadPlugin", UPLOAD, input.clone()).await;
    let e = s.user_errors(Some(&admin), "uploadPlugin", UPLOAD, input).await.unwrap();
    assert_eq!(e, on_component("DUPLICATE"));

    // Activation refusals: a bad id, another centre's plugin, no previous plugin.
    let e = s.user_errors(Some(&admin), "activatePlugin", ACTIVATE, json!({ "id": "nope" })).await.unwrap();
    assert_eq!(e, vec![("input.id".into(), "INVALID_ID".into())]);
    let e = s.user_errors(Some(&admin), "rollBackPlugin", ROLL_BACK, json!({})).await.unwrap();
    assert_eq!(e, vec![("input".into(), "NO_PREVIOUS_PLUGIN".into())]);
    let e = s.user_errors(Some(&admin), "setPluginFuel", SET_FUEL, json!({ "fuel": 5 })).await.unwrap();
    assert_eq!(e, vec![("input.fuel".into(), "OUT_OF_RANGE".into())]);
    s.cleanup().await.unwrap();
}

fn replace_all(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

#[tokio::test]
async fn roll_backs_under_concurrent_calls_never_mix_plugins_and_reach_other_replicas() {
    let w = World::new().await;
    let s = &w.s;
    let admin = &w.pl.admin;
    let pl = centre(&s.od, "pingliang").await;
    let (pingliang, _) = upload(s, admin, "pingliang-rules", PINGLIANG).await;
    let (kongtong, _) = upload(s, admin, "kongtong-rules", KONGTONG).await;
    let input = project_case("PL-2026-000201");
    let expected = [load(PINGLIANG).plan(&input).unwrap().value, load(KONGTONG).plan(&input).unwrap().value];
    assert_ne!(expected[0], expected[1]);
    s.mutate(admin, "activatePlugin", ACTIVATE, json!({ "id": pingliang })).await;
    s.mutate(admin, "activatePlugin", ACTIVATE, json!({ "id": kongtong, "expectedActive": pingliang })).await;

    // A second replica over the same database, with its own cache.
    let replica = Onedoor::open(&s.database_url).await.unwrap();
    assert_eq!(replica.rules(pl).await.unwrap().plan(&input).unwrap().value, expected[1]);

    // Four callers decide without pause while the admin rolls back and forth.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut callers = Vec::new();
    for _ in 0..4 {
        let (od, input, expected, stop) = (s.od.clone(), input.clone(), expected.clone(), stop.clone());
        callers.push(tokio::spawn(async move {
            let mut calls = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Acquire) {
                let rules = od.rules(pl).await.unwrap();
                let decided = rules.plan(&input).unwrap();
                let want = match &decided.rule {
                    RuleRef::Plugin { name, .. } if name == "pingliang-rules" => &expected[0],
                    RuleRef::Plugin { name, .. } if name == "kongtong-rules" => &expected[1],
                    other => panic!("decided by {other}"),
                };
                assert_eq!(&decided.value, want, "a decision mixed two plugins");
                calls += 1;
                tokio::task::yield_now().await;
            }
            calls
        }));
    }
    let names = ["pingliang-rules", "kongtong-rules"];
    for i in 0..6 {
        let p = s.mutate(admin, "rollBackPlugin", ROLL_BACK, json!({})).await;
        // Kongtong's was active; odd roll backs land on Pingliang's, even ones on Kongtong's.
        let now = names[i % 2];
        assert_eq!(p["registry"]["active"]["name"], now);
        // This replica applies it to the very next call.
        let rule = s.od.rules(pl).await.unwrap().rule();
        assert!(matches!(&rule, RuleRef::Plugin { name, .. } if name == now), "{rule}");
    }
    stop.store(true, std::sync::atomic::Ordering::Release);
    for c in callers {
        assert!(c.await.unwrap() > 0);
    }
    // Six roll backs from Kongtong's: Kongtong's again, with the whole history kept.
    let registry = s.gql(Some(admin), PLUGINS, json!({})).await;
    assert_eq!(registry["plugins"]["active"]["name"], "kongtong-rules");
    assert_eq!(registry["plugins"]["fuel"], 10_000_000);
    let changes: Vec<&str> =
        registry["plugins"]["history"].as_array().unwrap().iter().map(|h| h["change"].as_str().unwrap()).collect();
    assert_eq!(
        changes,
        ["ACTIVATE", "ACTIVATE", "ROLL_BACK", "ROLL_BACK", "ROLL_BACK", "ROLL_BACK", "ROLL_BACK", "ROLL_BACK"]
    );
    // A stale expectation is a conflict, and changes nothing.
    let e =
        s.user_errors(Some(admin), "rollBackPlugin", ROLL_BACK, json!({ "expectedActive": pingliang })).await.unwrap();
    assert_eq!(e, vec![("input".into(), "CONFLICT".into())]);

    // The other replica follows within its cache's time to live.
    s.mutate(admin, "rollBackPlugin", ROLL_BACK, json!({})).await;
    let deadline = Instant::now() + onedoor::plugins::CACHE_TTL * 5;
    loop {
        let decided = replica.rules(pl).await.unwrap().plan(&input).unwrap();
        if decided.value == expected[0] {
            break;
        }
        assert!(Instant::now() < deadline, "the other replica still decides with the old plugin");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_hostile_plugin_raises_an_alert_that_supervisors_take_up() {
    let w = World::new().await;
    let s = &w.s;
    // Kongtong (the district) installs the hostile plugin, with less fuel than the default.
    let kt_admin = &w.kt.admin;
    let kt = centre(&s.od, "kongtong").await;
    let (hostile, _) = upload(s, kt_admin, "hostile", HOSTILE).await;
    s.mutate(kt_admin, "activatePlugin", ACTIVATE, json!({ "id": hostile })).await;
    let f = s.mutate(kt_admin, "setPluginFuel", SET_FUEL, json!({ "fuel": 200_000 })).await;
    assert_eq!(f["registry"]["fuel"], 200_000);

    let rules = s.od.rules(kt).await.unwrap();
    // It plans an ordinary case …
    assert!(rules.plan(&project_case("good")).is_ok());
    // … loops forever on another: a typed failure with the host's code, no fallback.
    let failure = rules.plan(&project_case("loop")).unwrap_err();
    assert_eq!(failure.code, "OUT_OF_FUEL");
    assert!(failure.plugin_fault && failure.message.contains("200000"), "{failure}");
    let error = s.od.rule_failed(kt, &failure, Some("KT-2026-000007")).await;
    assert_eq!(error.code(), "OUT_OF_FUEL");
    // Malformed output too.
    let failure = rules.plan(&project_case("stranger")).unwrap_err();
    assert_eq!(failure.code, "MALFORMED_OUTPUT");
    s.od.rule_failed(kt, &failure, Some("KT-2026-000008")).await;
    // The host serves the next call normally; the hook it leaves out falls to the built-in rule.
    assert!(rules.plan(&project_case("good")).is_ok());
    assert_eq!(rules.on_rating(&bad_rating()).unwrap().rule, RuleRef::Builtin);

    // The failed calls' records are kept with their codes.
    let d = s.gql(Some(kt_admin), DECISIONS, json!({ "subject": "KT-2026-000007" })).await;
    assert_eq!(d["decisions"]["edges"][0]["node"]["error"], "OUT_OF_FUEL");

    // Kongtong's supervisors and Pingliang's (the parent) see the alerts; Tianshui's do not.
    let kt_supervisor = s.token("kongtong", Uuid::now_v7(), &["SUPERVISOR"]);
    let alerts = s.gql(Some(&kt_supervisor), ALERTS, json!({})).await;
    let edges = alerts["alerts"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2);
    let alert = &edges[1]["node"];
    assert_eq!((alert["kind"].as_str(), alert["severity"].as_str()), (Some("PLUGIN_FAILURE"), Some("CRITICAL")));
    assert_eq!((alert["centre"].as_str(), alert["subject"].as_str()), (Some("kongtong"), Some("KT-2026-000007")));
    assert_eq!(alert["details"]["code"], "OUT_OF_FUEL");
    assert_eq!(alert["details"]["plugin"], "hostile");
    assert!(alert["message"].as_str().unwrap().starts_with("plugin hostile@"), "{alert}");
    let parent = s.gql(Some(&w.pl.admin), ALERTS, json!({ "centre": "kongtong" })).await;
    assert_eq!(parent["alerts"]["edges"].as_array().unwrap().len(), 2);
    let other = s.gql(Some(&w.ts.admin), ALERTS, json!({ "centre": "kongtong" })).await;
    assert_eq!(other["alerts"]["edges"], json!([]));
    let clerk = s.post(Some(&w.kt.clerk), ALERTS, json!({})).await.unwrap().1;
    assert_eq!(clerk["errors"][0]["extensions"]["code"], "FORBIDDEN");

    // The parent's supervisors read, the centre's own take it up.
    let id = alert["id"].as_str().unwrap();
    let e = s.user_errors(Some(&w.pl.admin), "acknowledgeAlert", ACK, json!({ "id": id })).await.unwrap();
    assert_eq!(e, vec![("input.id".into(), "INVALID_REFERENCE".into())]);
    let a = s.mutate(&kt_supervisor, "acknowledgeAlert", ACK, json!({ "id": id, "note": "looking" })).await;
    assert_eq!(a["alert"]["status"], "ACKNOWLEDGED");
    let e = s.user_errors(Some(&kt_supervisor), "acknowledgeAlert", ACK, json!({ "id": id })).await.unwrap();
    assert_eq!(e, vec![("input.id".into(), "INVALID_STATE".into())]);
    let e = s.user_errors(Some(&kt_supervisor), "resolveAlert", RESOLVE, json!({ "id": id })).await.unwrap();
    assert_eq!(e, vec![("input.note".into(), "REQUIRED".into())]);
    let r = s.mutate(&kt_supervisor, "resolveAlert", RESOLVE, json!({ "id": id, "note": "plugin deactivated" })).await;
    assert_eq!(
        (r["alert"]["status"].as_str(), r["alert"]["resolveNote"].as_str()),
        (Some("RESOLVED"), Some("plugin deactivated"))
    );
    let raised = s.gql(Some(&kt_supervisor), ALERTS, json!({ "status": "RAISED" })).await;
    let raised = raised["alerts"]["edges"].as_array().unwrap();
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0]["node"]["details"]["code"], "MALFORMED_OUTPUT");
    w.s.cleanup().await.unwrap();
}
