//! Evaluation, electronic supervision, the audit and statistics through the API alone: a
//! district case driven past its deadline across the Spring Festival turns warning, yellow and
//! red live for the city's supervisors; bad ratings through the two example plugins open
//! rectifications with each centre's deadline; appeals; a tampered event is named; the
//! statistics agree with counts kept by the test; the assessment ranks windows.

use crate::cases::{applicant, set_day, spring_festival, staff_with_id};
use crate::plugins::{KONGTONG, PINGLIANG};
use crate::registry::{ACTIVATE, upload};
use crate::world::World;
use onedoor_tests::TestServer;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

const SUBMIT: &str = "mutation($input: SubmitCaseInput!) { submitCase(input: $input) { case { id number state dueOn steps { unit { id } } receipt { ratingCode } } userErrors { field code message } } }";
const DECIDE: &str = "mutation($input: DecideStepInput!) { decideStep(input: $input) { case { id state } userErrors { field code message } } }";
const REFUSE: &str = "mutation($input: CaseReasonInput!) { refuseCase(input: $input) { case { id state } userErrors { field code message } } }";
const RUN: &str = "mutation { runSupervision { report { events cases raised } userErrors { field code message } } }";
const FEE: &str = "mutation($input: RecordFeeInput!) { recordFee(input: $input) { fee { item amount alert { kind severity } } userErrors { field code message } } }";
const RATE: &str = "mutation($input: RateInput!) { rate(input: $input) { rating { id level rule counts followUp { returnVisit rectificationDueIn escalation } rectification { id status dueOn unit returnVisit } } userErrors { field code message } } }";
const ALERTS: &str = "query($centre: String, $kind: AlertKind) { alerts(centre: $centre, kind: $kind, first: 100) { edges { node { kind severity centre subject unit status } } } }";
const AUDIT: &str =
    "query($centre: String) { audit(centre: $centre) { chain events ok broken { seq reason record } } }";

/// A case of `matter` accepted at the shared window by `clerk`; returns (id, number, code,
/// owner unit).
async fn accepted(s: &TestServer, clerk: &str, window: &str, matter: &str) -> (String, String, String, String) {
    let input = json!({ "matters": [matter], "channel": "WINDOW", "window": window, "applicant": applicant(), "materials": ["申请表", "营业执照"], "accept": true });
    let c = s.mutate(clerk, "submitCase", SUBMIT, input).await["case"].clone();
    (
        c["id"].as_str().unwrap().to_owned(),
        c["number"].as_str().unwrap().to_owned(),
        c["receipt"]["ratingCode"].as_str().unwrap().to_owned(),
        c["steps"][0]["unit"]["id"].as_str().unwrap().to_owned(),
    )
}

async fn run_supervision(s: &TestServer, supervisor: &str) -> Value {
    s.mutate(supervisor, "runSupervision", RUN, json!(null)).await["report"].clone()
}

#[tokio::test]
async fn a_district_case_turns_warning_yellow_red_live_for_the_city_supervisor() {
    let w = World::new().await;
    let s = &w.s;
    spring_festival(s, &w.pl.admin).await;
    set_day(s, "2018-02-09"); // Friday
    // Promised 5 working days from Friday 9 Feb: 11 (make-up), 12, 13, 14, 22.
    let (_, number, _, unit) = accepted(s, &w.kt.clerk, &w.window, &w.kt.matters[0]).await;

    let city_supervisor = s.token("pingliang", Uuid::now_v7(), &["SUPERVISOR"]);
    let query = "subscription { alerts { kind severity centre subject unit } }";
    let mut lines = s.subscribe(query, Some(&city_supervisor), 1000);
    assert_eq!(lines.next(Duration::from_secs(30)).await, Some(json!({ "connected": true })));
    // A fee the catalogue does not list raises an alert at once: charge until the first one
    // reaches the subscriber, which shows the subscription is live.
    let mut live = false;
    for _ in 0..100 {
        let f = s
            .mutate(&w.kt.clerk, "recordFee", FEE, json!({ "caseNumber": number, "item": "工本费", "amount": 1000 }))
            .await;
        assert_eq!(f["fee"]["alert"]["kind"], "FEE_MISMATCH");
        if let Some(line) = lines.next(Duration::from_millis(200)).await {
            assert_eq!(line["event"]["data"]["alerts"]["kind"], "FEE_MISMATCH", "{line}");
            assert_eq!(line["event"]["data"]["alerts"]["centre"], "kongtong", "{line}");
            live = true;
            break;
        }
    }
    assert!(live, "no alert reached the city supervisor");
    while lines.next(Duration::from_millis(300)).await.is_some() {}

    // Tuesday 13 Feb: 2 working days left (14 and 22): a warning for the case and its step.
    // Then across the holiday to Friday 23 Feb: overdue by one day, yellow; and to Tuesday
    // 27 Feb (24 was a make-up Saturday): overdue by 4 > 3, red.
    let mut seen = Vec::new();
    for (day, level) in [
        ("2018-02-13", "DEADLINE_WARNING"),
        ("2018-02-20", ""),
        ("2018-02-23", "YELLOW_CARD"),
        ("2018-02-27", "RED_CARD"),
    ] {
        set_day(s, day);
        let r = run_supervision(s, &city_supervisor).await;
        let expected = if level.is_empty() { 0 } else { 2 };
        // Guides without a description raise their alerts on the first pass only.
        if level != "DEADLINE_WARNING" {
            assert_eq!(r["raised"], expected, "{day}: {r}");
        }
        for _ in 0..expected {
            let line = lines.next(Duration::from_secs(10)).await.expect("an alert event");
            let a = &line["event"]["data"]["alerts"];
            if a["kind"] == "GUIDE_INCOMPLETE" {
                continue;
            }
            seen.push((day, a["kind"].as_str().unwrap().to_owned(), a["centre"].as_str().unwrap().to_owned()));
        }
    }
    // Drain whatever guide alerts remain and keep the deadline ones in order.
    while let Some(line) = lines.next(Duration::from_millis(300)).await {
        let a = &line["event"]["data"]["alerts"];
        if a["kind"] != "GUIDE_INCOMPLETE" {
            seen.push(("late", a["kind"].as_str().unwrap().to_owned(), a["centre"].as_str().unwrap().to_owned()));
        }
    }
    let kinds: Vec<&str> = seen.iter().map(|(_, k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["DEADLINE_WARNING", "DEADLINE_WARNING", "YELLOW_CARD", "YELLOW_CARD", "RED_CARD", "RED_CARD"],
        "{seen:?}"
    );
    assert!(seen.iter().all(|(_, _, c)| c == "kongtong"));

    // The same again raises nothing: every alert has its key.
    assert_eq!(run_supervision(s, &city_supervisor).await["raised"], 0);

    // The city supervisor lists the district's red cards; the unit's own staff see their
    // unit's alerts; another city's supervisor sees nothing.
    let red = s.gql(Some(&city_supervisor), ALERTS, json!({ "centre": "kongtong", "kind": "RED_CARD" })).await;
    let red = red["alerts"]["edges"].as_array().unwrap().clone();
    assert_eq!(red.len(), 2);
    assert!(
        red.iter().all(|e| e["node"]["subject"] == number
            && e["node"]["unit"] == unit
            && e["node"]["severity"] == "CRITICAL")
    );
    let (approver, _) = staff_with_id(s, &w.kt.admin, "kongtong", &unit, "kt-appr", &["APPROVER"]).await;
    let mine = s.gql(Some(&approver), ALERTS, json!({ "centre": "kongtong" })).await;
    let mine = mine["alerts"]["edges"].as_array().unwrap().clone();
    assert!(mine.len() >= 6 && mine.iter().all(|e| e["node"]["unit"] == unit), "{mine:?}");
    let other = s.token("tianshui", Uuid::now_v7(), &["SUPERVISOR"]);
    let (_, body) = s.post(Some(&other), ALERTS, json!({ "centre": "kongtong" })).await.unwrap();
    assert_eq!(body["data"]["alerts"]["edges"], json!([]), "{body}");

    // Both chains verify.
    let audit = s.gql(Some(&city_supervisor), AUDIT, json!({ "centre": "kongtong" })).await;
    for chain in audit["audit"].as_array().unwrap() {
        assert_eq!(chain["ok"], true, "{chain}");
        assert!(chain["events"].as_i64().unwrap() > 0, "{chain}");
    }
    lines.stop().await;
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn bad_ratings_follow_each_centres_plugin_and_rectifications_run_their_course() {
    let w = World::new().await;
    let s = &w.s;
    for (centre, admin, module) in [("pingliang", &w.pl.admin, PINGLIANG), ("kongtong", &w.kt.admin, KONGTONG)] {
        let (id, _) = upload(s, admin, &format!("{centre}-rules"), module).await;
        s.mutate(admin, "activatePlugin", ACTIVATE, json!({ "id": id })).await;
    }
    set_day(s, "2018-03-05"); // Monday
    let (_, pl_number, pl_code, pl_unit) = accepted(s, &w.pl.clerk, &w.window, &w.pl.matters[0]).await;
    let (_, kt_number, kt_code, _) = accepted(s, &w.kt.clerk, &w.window, &w.kt.matters[0]).await;

    // Bad input first: no code, a wrong code, an unknown indicator, neither target.
    let rate = |number: &str, code: &str, level: &str| json!({ "caseNumber": number, "code": code, "level": level, "channel": "ONLINE", "indicators": ["attitude"], "comment": "态度不好" });
    let e = s
        .user_errors(None, "rate", RATE, json!({ "caseNumber": pl_number, "level": "SATISFIED", "channel": "ONLINE" }))
        .await
        .unwrap();
    assert_eq!(e, [("input.code".to_owned(), "REQUIRED".to_owned())]);
    let e = s.user_errors(None, "rate", RATE, rate(&pl_number, "AAAAAAAA", "DISSATISFIED")).await.unwrap();
    assert_eq!(e, [("input.code".to_owned(), "INVALID_REFERENCE".to_owned())]);
    let mut bad = rate(&pl_number, &pl_code, "DISSATISFIED");
    bad["indicators"] = json!(["rudeness"]);
    let e = s.user_errors(None, "rate", RATE, bad).await.unwrap();
    assert_eq!(e, [("input.indicators.0".to_owned(), "INVALID_REFERENCE".to_owned())]);
    let e = s.user_errors(None, "rate", RATE, json!({ "level": "SATISFIED", "channel": "ONLINE" })).await.unwrap();
    assert_eq!(e[0].1, "REQUIRED");

    // The city fixes bad ratings within 5 working days, the district within 15.
    let pl_rating = s.mutate_anonymous("rate", RATE, rate(&pl_number, &pl_code.to_lowercase(), "DISSATISFIED")).await;
    let r = &pl_rating["rating"];
    assert!(r["rule"].as_str().unwrap().starts_with("plugin pingliang-rules@"), "{r}");
    assert_eq!(r["followUp"], json!({ "returnVisit": true, "rectificationDueIn": 5, "escalation": "NONE" }));
    assert_eq!(r["rectification"], Value::Null, "the public does not see the rectification");
    let rects = "query($centre: String) { rectifications(centre: $centre) { edges { node { id status dueOn unit returnVisit rating { id } } } } }";
    let pl_supervisor = s.token("pingliang", Uuid::now_v7(), &["SUPERVISOR"]);
    let list = s.gql(Some(&pl_supervisor), rects, json!({ "centre": "pingliang" })).await;
    let rect = list["rectifications"]["edges"][0]["node"].clone();
    assert_eq!(rect["dueOn"], "2018-03-12");
    assert_eq!(rect["status"], "ASSIGNED");
    assert_eq!(rect["unit"], pl_unit);
    assert_eq!(rect["rating"]["id"], r["id"]);
    let kt_rating = s.mutate_anonymous("rate", RATE, rate(&kt_number, &kt_code, "DISSATISFIED")).await;
    let r = &kt_rating["rating"];
    assert!(r["rule"].as_str().unwrap().starts_with("plugin kongtong-rules@"), "{r}");
    assert_eq!(r["followUp"]["rectificationDueIn"], 15);
    let kt_supervisor = s.token("kongtong", Uuid::now_v7(), &["SUPERVISOR"]);
    let list = s.gql(Some(&kt_supervisor), rects, json!({ "centre": "kongtong" })).await;
    assert_eq!(list["rectifications"]["edges"][0]["node"]["dueOn"], "2018-03-26");
    // Once per case and channel; another channel is another rating.
    let e = s.user_errors(None, "rate", RATE, rate(&pl_number, &pl_code, "SATISFIED")).await.unwrap();
    assert_eq!(e, [("input.channel".to_owned(), "DUPLICATE".to_owned())]);
    let mut call = rate(&pl_number, "", "NEUTRAL");
    call["channel"] = json!("RETURN_CALL");
    let neutral = s.mutate(&pl_supervisor, "rate", RATE, call).await;
    // The city calls back even a "basically satisfied" applicant; nothing to rectify.
    assert_eq!(
        neutral["rating"]["followUp"],
        json!({ "returnVisit": true, "rectificationDueIn": null, "escalation": "NONE" })
    );

    // The rectification's course: fixed by the unit rated, visited back, closed.
    let rect = rect["id"].as_str().unwrap().to_owned();
    let step = "mutation($input: RectificationStepInput!) { M(input: $input) { rectification { status steps { status act { note } } visitSatisfied onTime } userErrors { field code message } } }";
    let q = |m: &str| step.replace('M', m);
    let e = s
        .user_errors(Some(&w.pl.clerk), "fixRectification", &q("fixRectification"), json!({ "id": rect, "note": "x" }))
        .await
        .unwrap();
    assert_eq!(e[0].1, "NOT_ASSIGNED");
    let (unit_staff, _) = staff_with_id(s, &w.pl.admin, "pingliang", &pl_unit, "fixer", &["APPROVER"]).await;
    let e = s
        .user_errors(
            Some(&pl_supervisor),
            "closeRectification",
            &q("closeRectification"),
            json!({ "id": rect, "note": "x" }),
        )
        .await
        .unwrap();
    assert_eq!(e[0].1, "INVALID_STATE");
    s.mutate(&unit_staff, "fixRectification", &q("fixRectification"), json!({ "id": rect, "note": "窗口人员已培训" }))
        .await;
    let e = s
        .user_errors(
            Some(&pl_supervisor),
            "closeRectification",
            &q("closeRectification"),
            json!({ "id": rect, "note": "x" }),
        )
        .await
        .unwrap();
    assert_eq!(e[0].1, "INVALID_STATE", "a return visit is due first");
    s.mutate(
        &pl_supervisor,
        "recordReturnVisit",
        &q("recordReturnVisit"),
        json!({ "id": rect, "satisfied": true, "note": "申请人表示满意" }),
    )
    .await;
    let closed = s
        .mutate(
            &pl_supervisor,
            "closeRectification",
            &q("closeRectification"),
            json!({ "id": rect, "note": "整改完成" }),
        )
        .await;
    assert_eq!(closed["rectification"]["status"], "CLOSED");
    assert_eq!(closed["rectification"]["onTime"], true);
    let statuses: Vec<&str> =
        closed["rectification"]["steps"].as_array().unwrap().iter().map(|s| s["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["OPENED", "ASSIGNED", "FIXED", "VISITED", "CLOSED"]);

    // The unit appeals the district's rating; the district's supervisor upholds it and it
    // stops counting.
    let kt_rating_id = kt_rating["rating"]["id"].as_str().unwrap().to_owned();
    let kt_unit = s
        .gql(
            Some(&w.kt.admin),
            "query($id: ID!) { node(id: $id) { ... on Rating { unit } } }",
            json!({ "id": kt_rating_id }),
        )
        .await["node"]["unit"]
        .as_str()
        .unwrap()
        .to_owned();
    let (lead, _) = staff_with_id(s, &w.kt.admin, "kongtong", &kt_unit, "kt-lead", &["UNIT_LEAD"]).await;
    let appeal = "mutation($input: RatingNoteInput!) { appealRating(input: $input) { rating { counts appeal { status filed { note } } } userErrors { field code message } } }";
    let a =
        s.mutate(&lead, "appealRating", appeal, json!({ "id": kt_rating_id, "note": "该申请人未在本单位办理" })).await;
    assert_eq!(a["rating"]["appeal"]["status"], "PENDING");
    let decide = "mutation($input: DecideAppealInput!) { decideAppeal(input: $input) { rating { counts appeal { status } } userErrors { field code message } } }";
    let e = s
        .user_errors(
            Some(&pl_supervisor),
            "decideAppeal",
            decide,
            json!({ "id": kt_rating_id, "upheld": true, "note": "x" }),
        )
        .await
        .unwrap();
    assert_eq!(e[0].1, "NOT_FOUND", "the city's supervisors do not decide the district's appeals");
    let d = s
        .mutate(
            &kt_supervisor,
            "decideAppeal",
            decide,
            json!({ "id": kt_rating_id, "upheld": true, "note": "经核实属误评" }),
        )
        .await;
    assert_eq!(d["rating"]["counts"], false);
    assert_eq!(d["rating"]["appeal"]["status"], "UPHELD");
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_tampered_event_and_a_cut_alert_chain_are_named() {
    let w = World::new().await;
    let s = &w.s;
    set_day(s, "2018-03-05");
    let (_, number, _, _) = accepted(s, &w.pl.clerk, &w.window, &w.pl.matters[0]).await;
    for _ in 0..3 {
        accepted(s, &w.pl.clerk, &w.window, &w.pl.matters[1]).await;
    }
    s.mutate(&w.pl.clerk, "recordFee", FEE, json!({ "caseNumber": number, "item": "工本费", "amount": 500 })).await;
    s.mutate(&w.pl.clerk, "recordFee", FEE, json!({ "caseNumber": number, "item": "工本费", "amount": 600 })).await;
    let supervisor = s.token("pingliang", Uuid::now_v7(), &["SUPERVISOR"]);
    let ok = s.gql(Some(&supervisor), AUDIT, json!({})).await;
    assert!(ok["audit"].as_array().unwrap().iter().all(|c| c["ok"] == true), "{ok}");

    let db = s.od.store().connection();
    use sea_orm::ConnectionTrait;
    // Someone with database access gives the first event another role: named, then put back.
    let roles = "SELECT roles FROM case_event WHERE chain_seq = 1";
    let row =
        db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), roles)).await.unwrap().unwrap();
    let original: String = row.try_get("", "roles").unwrap();
    db.execute_unprepared("UPDATE case_event SET roles = 'SUPERVISOR' WHERE chain_seq = 1").await.unwrap();
    let broken = s.gql(Some(&supervisor), AUDIT, json!({})).await;
    assert_eq!(broken["audit"][0]["broken"]["seq"], 1, "{broken}");
    assert_eq!(broken["audit"][0]["broken"]["reason"], "HASH_MISMATCH");
    db.execute_unprepared(&format!("UPDATE case_event SET roles = '{original}' WHERE chain_seq = 1")).await.unwrap();
    assert_eq!(s.gql(Some(&supervisor), AUDIT, json!({})).await["audit"][0]["ok"], true);
    // And rewrites the second case's acceptance.
    db.execute_unprepared("UPDATE case_event SET to_state = 'REFUSED' WHERE chain_seq = 2").await.unwrap();
    let broken = s.gql(Some(&supervisor), AUDIT, json!({})).await;
    let cases = &broken["audit"][0];
    assert_eq!(cases["chain"], "CASES");
    assert_eq!(cases["ok"], false);
    assert_eq!(cases["broken"]["seq"], 2);
    assert_eq!(cases["broken"]["reason"], "HASH_MISMATCH");
    assert_eq!(cases["events"], 1);
    // And cuts the last alert event off.
    db.execute_unprepared("DELETE FROM alert_event WHERE seq = (SELECT MAX(seq) FROM alert_event)").await.unwrap();
    let cut = s.gql(Some(&supervisor), AUDIT, json!({})).await;
    assert_eq!(cut["audit"][1]["chain"], "ALERTS");
    assert_eq!(cut["audit"][1]["broken"]["reason"], "HEAD_MISMATCH", "{cut}");
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn statistics_agree_with_counts_kept_by_the_test_and_the_assessment_ranks_windows() {
    let w = World::new().await;
    let s = &w.s;
    set_day(s, "2018-03-05"); // Monday
    let supervisor = s.token("pingliang", Uuid::now_v7(), &["SUPERVISOR"]);
    // Per centre: (received, accepted, completed, completed on time, ratings, satisfied).
    let mut expected: std::collections::BTreeMap<&str, [i64; 6]> = Default::default();
    let mut approvers: std::collections::HashMap<String, String> = Default::default();
    for i in 0..12 {
        let (centre, clerk, admin, matter) = if i % 3 == 0 {
            ("kongtong", &w.kt.clerk, &w.kt.admin, &w.kt.matters[0])
        } else {
            ("pingliang", &w.pl.clerk, &w.pl.admin, &w.pl.matters[0])
        };
        let e = expected.entry(centre).or_default();
        if i % 4 == 3 {
            // Refused at the window: received, never accepted.
            let input = json!({ "matters": [matter], "channel": "WINDOW", "window": w.window, "applicant": applicant(), "materials": ["申请表", "营业执照"] });
            let c = s.mutate(clerk, "submitCase", SUBMIT, input).await["case"].clone();
            s.mutate(clerk, "refuseCase", REFUSE, json!({ "case": c["id"], "reason": "不属于本中心受理范围" })).await;
            e[0] += 1;
            continue;
        }
        let (id, number, code, unit) = accepted(s, clerk, &w.window, matter).await;
        e[0] += 1;
        e[1] += 1;
        if i % 2 == 0 {
            let key = format!("{centre}/{unit}");
            if !approvers.contains_key(&key) {
                let (t, _) = staff_with_id(s, admin, centre, &unit, &format!("a{i}"), &["APPROVER"]).await;
                approvers.insert(key.clone(), t);
            }
            // Half of the decided ones late: decided on the 7th working day of a 5-day limit.
            if i % 4 == 0 {
                set_day(s, "2018-03-14");
            } else {
                set_day(s, "2018-03-06");
                e[3] += 1;
            }
            s.mutate(&approvers[&key], "decideStep", DECIDE, json!({ "case": id, "step": 0, "decision": "APPROVE" }))
                .await;
            set_day(s, "2018-03-05");
            e[2] += 1;
        }
        let level = if i % 5 == 0 { "VERY_DISSATISFIED" } else { "SATISFIED" };
        s.mutate_anonymous(
            "rate",
            RATE,
            json!({ "caseNumber": number, "code": code, "level": level, "channel": "ON_SITE" }),
        )
        .await;
        e[4] += 1;
        e[5] += i64::from(level == "SATISFIED");
    }
    set_day(s, "2018-03-20");
    let q = "query($by: StatisticsDimension) { statistics(centre: \"pingliang\", from: \"2018-03-01\", to: \"2018-03-31\", by: $by, includeChildren: true) { centre key casesReceived casesAccepted casesCompleted casesOnTime ratings satisfactionRate completionRate onTimeRate rectifications redCards } }";
    let rows = s.gql(Some(&supervisor), q, json!({})).await["statistics"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 2, "{rows:?}");
    for row in &rows {
        let c = row["centre"].as_str().unwrap();
        let e = expected[c];
        let got = [
            &row["casesReceived"],
            &row["casesAccepted"],
            &row["casesCompleted"],
            &row["casesOnTime"],
            &row["ratings"],
        ]
        .map(|v| v.as_i64().unwrap());
        assert_eq!(got, [e[0], e[1], e[2], e[3], e[4]], "{c}: {row}");
        assert_eq!(row["satisfactionRate"].as_f64().unwrap(), e[5] as f64 / e[4] as f64, "{c}");
        assert_eq!(row["completionRate"].as_f64().unwrap(), e[2] as f64 / e[1] as f64, "{c}");
        assert_eq!(row["rectifications"].as_i64().unwrap(), e[4] - e[5], "{c}: one per bad rating");
    }
    // By window: every case of the city was received at the shared window.
    let by_window =
        s.gql(Some(&supervisor), q, json!({ "by": "WINDOW" })).await["statistics"].as_array().unwrap().clone();
    let pl_window = by_window.iter().find(|r| r["centre"] == "pingliang" && r["key"] == w.window).unwrap();
    assert_eq!(pl_window["casesReceived"].as_i64().unwrap(), expected["pingliang"][0]);

    // The assessment scores and ranks the city's windows and units.
    let assess = "mutation($input: AssessInput!) { assess(input: $input) { assessment { rule method results(kind: \"unit\") { subjectKind subject score rank casesHandled overdueCases ratings { satisfied veryDissatisfied } } } userErrors { field code message } } }";
    let a = s.mutate(&supervisor, "assess", assess, json!({ "from": "2018-03-01", "to": "2018-03-31" })).await;
    let results = a["assessment"]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert_eq!(results[0]["rank"], 1);
    let handled: i64 = results.iter().map(|r| r["casesHandled"].as_i64().unwrap()).sum();
    assert_eq!(handled, expected["pingliang"][2]);
    let windows = "query { assessments(last: 1) { results(kind: \"window\") { subject rank } } }";
    let ranked = s.gql(Some(&supervisor), windows, json!({})).await;
    assert_eq!(ranked["assessments"][0]["results"][0]["subject"], w.window);
    // A period that ends before it starts is refused.
    let e = s
        .user_errors(Some(&supervisor), "assess", assess, json!({ "from": "2018-03-31", "to": "2018-03-01" }))
        .await
        .unwrap();
    assert_eq!(e, [("input.to".to_owned(), "OUT_OF_RANGE".to_owned())]);
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn refusals_without_reason_guides_and_reductions_are_watched_and_low_ranks_are_flagged() {
    let w = World::new().await;
    let s = &w.s;
    set_day(s, "2018-03-05");
    let supervisor = s.token("pingliang", Uuid::now_v7(), &["SUPERVISOR"]);
    // A refusal whose reason says nothing.
    let input = json!({ "matters": [w.pl.matters[0]], "channel": "WINDOW", "window": w.window, "applicant": applicant(), "materials": ["申请表"] });
    let c = s.mutate(&w.pl.clerk, "submitCase", SUBMIT, input).await["case"].clone();
    s.mutate(&w.pl.clerk, "refuseCase", REFUSE, json!({ "case": c["id"], "reason": "无" })).await;
    run_supervision(s, &supervisor).await;
    let found = s.gql(Some(&supervisor), ALERTS, json!({ "kind": "NO_REASON" })).await;
    let found = found["alerts"]["edges"].as_array().unwrap().clone();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["node"]["subject"], c["number"]);
    // The example guides have no description: one alert per published matter version.
    let guides = s.gql(Some(&supervisor), ALERTS, json!({ "kind": "GUIDE_INCOMPLETE" })).await;
    assert_eq!(guides["alerts"]["edges"].as_array().unwrap().len(), 3, "{guides}");
    // With the catalogue unchanged the next pass finds no guide to alert on; a matter added
    // since is found by the pass after it.
    assert_eq!(run_supervision(s, &supervisor).await["raised"], 0);
    crate::catalogue::add_new_matter(s, &w.pl).await;
    assert_eq!(run_supervision(s, &supervisor).await["raised"], 1);
    let guides = s.gql(Some(&supervisor), ALERTS, json!({ "kind": "GUIDE_INCOMPLETE" })).await;
    assert_eq!(guides["alerts"]["edges"].as_array().unwrap().len(), 4, "{guides}");

    // The four reductions: the same guide and no workflow yet, so nothing reduced but the days.
    let q = "query { fourReductions(centre: \"pingliang\") { edges { node { code stepsBefore stepsNow materialsBefore materialsNow statutoryDays promisedDays feesBefore feesNow } } } }";
    let r = s.gql(None, q, json!({})).await;
    let first = &r["fourReductions"]["edges"][0]["node"];
    assert_eq!(
        first,
        &json!({ "code": "62080000SC-XK-0000", "stepsBefore": 1, "stepsNow": 1, "materialsBefore": 2, "materialsNow": 2, "statutoryDays": 20, "promisedDays": 5, "feesBefore": 0, "feesNow": 0 })
    );

    // Two units; the one rated very dissatisfied in March and in April ranks last both times
    // and is flagged in April.
    let assess = "mutation($input: AssessInput!) { assess(input: $input) { assessment { results(kind: \"unit\") { subject rank low flagged } } userErrors { field code message } } }";
    for (day, from, to) in [("2018-03-06", "2018-03-01", "2018-03-31"), ("2018-04-03", "2018-04-01", "2018-04-30")] {
        set_day(s, day);
        let (_, number, code, _) = accepted(s, &w.pl.clerk, &w.window, &w.pl.matters[0]).await;
        s.mutate_anonymous(
            "rate",
            RATE,
            json!({ "caseNumber": number, "code": code, "level": "VERY_DISSATISFIED", "channel": "ON_SITE" }),
        )
        .await;
        set_day(s, &to.replace("-30", "-29").replace("-31", "-30"));
        let a = s.mutate(&supervisor, "assess", assess, json!({ "from": from, "to": to })).await;
        let results = a["assessment"]["results"].as_array().unwrap();
        let last = results.iter().find(|r| r["subject"] == w.pl.units[0]).unwrap();
        assert_eq!(last["rank"], 2, "{results:?}");
        assert_eq!(last["low"], true);
        assert_eq!(last["flagged"], from == "2018-04-01", "{day}: {last}");
    }
    w.s.cleanup().await.unwrap();
}
