//! Subscriptions over `graphql-transport-ws` at `/graphql`, received by the real `graphql-ws`
//! client (npm): live catalogue changes, with the subscriber's visibility.

use crate::world::World;
use serde_json::{Value, json};

use std::time::Duration;

const CHANGE: &str =
    "mutation($input: ChangeMatterInput!) { changeMatter(input: $input) { matter { version } userErrors { code } } }";

#[tokio::test]
async fn catalogue_changes_reach_a_graphql_ws_client() {
    let w = World::new().await;
    let query = "subscription { catalogueChanged(centre: \"pingliang\") { operation version matter { code status guide { name } } } }";
    let mut lines = w.s.subscribe(query, None, 1000);
    assert_eq!(lines.next(Duration::from_secs(30)).await, Some(json!({ "connected": true })));

    // The client subscribes right after connecting; change the catalogue until the first
    // event shows the subscription is live (bounded retries, no assertion on time).
    let mut first = None;
    for i in 0..100 {
        let name = format!("订阅测试 {i}");
        w.s.mutate(&w.pl.admin, "changeMatter", CHANGE, json!({ "id": w.pl.matters[1], "guide": { "name": name } }))
            .await;
        if let Some(line) = lines.next(Duration::from_millis(200)).await {
            first = Some(line);
            break;
        }
    }
    let first = first.expect("no event reached the subscriber");
    let e = &first["event"]["data"]["catalogueChanged"];
    assert_eq!(e["operation"], "CHANGE", "{first}");
    assert_eq!(e["matter"]["code"], "62080000SC-XK-0001", "{first}");

    // A suspension reaches the anonymous subscriber, but not the suspended matter itself.
    let q = "mutation($input: MatterStatusInput!) { suspendMatter(input: $input) { matter { status } userErrors { code } } }";
    w.s.mutate(&w.pl.admin, "suspendMatter", q, json!({ "id": w.pl.matters[1] })).await;
    // Late events of the retries above may come first: skip the CHANGEs.
    let second = loop {
        let line = lines.next(Duration::from_secs(30)).await.expect("no SUSPEND event");
        if line["event"]["data"]["catalogueChanged"]["operation"] != "CHANGE" {
            break line;
        }
    };
    let e = &second["event"]["data"]["catalogueChanged"];
    assert_eq!(e["operation"], "SUSPEND", "{second}");
    assert_eq!(e["matter"], Value::Null, "the public must not see a suspended matter: {second}");
    lines.stop().await;
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn case_updates_reach_the_desks_that_may_see_them() {
    let w = World::new().await;
    let query = "subscription { caseUpdated { number state case { centre { code } receivedBy { code } } } }";
    // Kongtong's desk sees the case its window received for Pingliang; Tianshui's sees nothing.
    let mut kt = w.s.subscribe(query, Some(&w.kt.clerk), 1000);
    let mut ts = w.s.subscribe(query, Some(&w.ts.clerk), 1000);
    for lines in [&mut kt, &mut ts] {
        assert_eq!(lines.next(Duration::from_secs(30)).await, Some(json!({ "connected": true })));
    }
    let submit =
        "mutation($input: SubmitCaseInput!) { submitCase(input: $input) { case { number } userErrors { code } } }";
    let mut first = None;
    for i in 0..100 {
        let input = json!({ "matters": [w.pl.matters[0]], "channel": "WINDOW", "window": w.window,
            "applicant": { "kind": "PERSON", "name": "李四", "idNumber": format!("6208021990010{i:05}") },
            "materials": ["申请表", "营业执照"], "accept": true });
        w.s.mutate(&w.kt.clerk, "submitCase", submit, input).await;
        if let Some(line) = kt.next(Duration::from_millis(200)).await {
            first = Some(line);
            break;
        }
    }
    let first = first.expect("no case update reached the Kongtong desk");
    let e = &first["event"]["data"]["caseUpdated"];
    assert_eq!(e["state"], "IN_REVIEW", "{first}");
    assert_eq!(e["case"]["centre"]["code"], "pingliang", "{first}");
    assert_eq!(e["case"]["receivedBy"]["code"], "kongtong", "{first}");
    assert_eq!(ts.next(Duration::from_millis(500)).await, None, "Tianshui must see nothing");
    kt.stop().await;
    ts.stop().await;
    w.s.cleanup().await.unwrap();
}
