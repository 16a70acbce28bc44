//! Cases through the API alone: acceptance at a shared window, a three-unit parallel approval
//! across the 2018 Spring Festival with a pause and an extension, supplements once, cross-centre
//! acceptance, workflow definitions, concurrent decisions and numbering, the public lookup and
//! the hash-chained history.

use crate::world::{ADD_MATTER, CREATE_BUNDLE, CREATE_STAFF, CREATE_UNIT, World, guide};
use chrono::{NaiveDate, TimeZone, Utc};
use onedoor_tests::TestServer;
use serde_json::{Value, json};
use uuid::Uuid;

const CASE_FIELDS: &str = "id number state version dueOn remainingWorkingDays acceptedOn decidedOn onTime limitDays extensionDays reason missing materials channel applicant { name idNumber } receivedBy { code } centre { code } steps { number key kind status role dueOn unit { code } } parallelApproval { plannedBy joinPolicy branches { timeLimitDays required } verdicts { verdict rule } } receipt { number promisedOn matters materials missing receivedBy } pauses { reason from until }";

fn submit_query() -> String {
    format!(
        "mutation($input: SubmitCaseInput!) {{ submitCase(input: $input) {{ case {{ {CASE_FIELDS} }} userErrors {{ field code message }} }} }}"
    )
}

fn act_query(mutation: &str, input_type: &str) -> String {
    format!(
        "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ case {{ {CASE_FIELDS} }} userErrors {{ field code message }} }} }}"
    )
}

/// Sets the platform's clock to 10:00 China time on `date`.
pub(crate) fn set_day(s: &TestServer, date: &str) {
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    s.clock.set(Utc.from_utc_datetime(&d.and_hms_opt(2, 0, 0).unwrap()));
}

/// The Spring Festival of 2018: 15, 16, 19, 20, 21 February off; 11 and 24 February worked.
pub(crate) async fn spring_festival(s: &TestServer, admin: &str) {
    let days: Vec<Value> = ["2018-02-15", "2018-02-16", "2018-02-19", "2018-02-20", "2018-02-21"]
        .iter()
        .map(|d| json!({ "date": d, "kind": "HOLIDAY", "note": "春节" }))
        .chain(
            ["2018-02-11", "2018-02-24"]
                .iter()
                .map(|d| json!({ "date": d, "kind": "MAKE_UP_WORKDAY", "note": "春节调休" })),
        )
        .collect();
    let q = "mutation($input: SetCalendarDaysInput!) { setCalendarDays(input: $input) { calendar { year workingDays declared { date kind } } userErrors { field code message } } }";
    let p = s.mutate(admin, "setCalendarDays", q, json!({ "days": days, "year": 2018 })).await;
    assert_eq!(p["calendar"]["declared"].as_array().map(Vec::len), Some(7));
    // 261 weekdays in 2018, less 5 holidays (in February) plus 2 make-up days.
    assert_eq!(p["calendar"]["workingDays"], 258);
}

/// A member of staff of `centre` in `unit` with `roles`, and a token for them.
async fn staff(s: &TestServer, admin: &str, centre: &str, unit: &str, code: &str, roles: &[&str]) -> String {
    staff_with_id(s, admin, centre, unit, code, roles).await.0
}

/// The same, with the staff id.
pub(crate) async fn staff_with_id(
    s: &TestServer,
    admin: &str,
    centre: &str,
    unit: &str,
    code: &str,
    roles: &[&str],
) -> (String, Uuid) {
    let input = json!({ "code": code, "name": "审批员", "unit": unit, "roles": roles });
    let p = s.mutate(admin, "createStaff", CREATE_STAFF, input).await;
    let id = Uuid::parse_str(p["staff"]["staffId"].as_str().unwrap()).unwrap();
    (s.token(centre, id, roles), id)
}

pub(crate) fn applicant() -> Value {
    json!({ "kind": "ENTERPRISE", "name": "平凉苹果有限公司", "idNumber": "91620800MA71234567", "phone": "0933-8211234" })
}

/// Pingliang with a third unit and a bundle of three matters of three units.
struct Parallel {
    bundle: String,
    units: Vec<String>,
    approvers: Vec<String>,
    lead: String,
}

async fn parallel(w: &World) -> Parallel {
    let s = &w.s;
    let pl = &w.pl;
    let u2 = s
        .mutate(
            &pl.admin,
            "createUnit",
            CREATE_UNIT,
            json!({ "code": "u2", "name": "平凉市 消防救援支队", "kind": "CITY_DEPARTMENT" }),
        )
        .await["unit"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut g = guide("62080000SC-XK-0007", "消防安全检查", &u2);
    g["promisedDays"] = json!(3);
    let m2 = s.mutate(&pl.admin, "addMatter", ADD_MATTER, json!({ "guide": g })).await["matter"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut g = guide("62080000SC-XK-0008", "食品经营许可", &pl.units[1]);
    g["promisedDays"] = json!(8);
    let m1 = s.mutate(&pl.admin, "addMatter", ADD_MATTER, json!({ "guide": g })).await["matter"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bundle = s
        .mutate(&pl.admin, "createBundle", CREATE_BUNDLE, json!({ "code": "open-restaurant", "name": "开餐馆一件事", "leadUnit": pl.units[0], "matters": [pl.matters[0], m1, m2] }))
        .await["bundle"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let units = vec![pl.units[0].clone(), pl.units[1].clone(), u2];
    let mut approvers = Vec::new();
    for (i, u) in units.iter().enumerate() {
        approvers.push(staff(s, &pl.admin, "pingliang", u, &format!("appr{i}"), &["APPROVER"]).await);
    }
    let lead = staff(s, &pl.admin, "pingliang", &units[0], "lead0", &["UNIT_LEAD", "APPROVER"]).await;
    Parallel { bundle, units, approvers, lead }
}

#[tokio::test]
async fn a_three_unit_parallel_approval_runs_to_collection_across_the_spring_festival() {
    let w = World::new().await;
    let s = &w.s;
    let p = parallel(&w).await;
    spring_festival(s, &w.pl.admin).await;
    set_day(s, "2018-02-09"); // a Friday

    let case = s
        .mutate(
            &w.pl.clerk,
            "submitCase",
            &submit_query(),
            json!({
                "bundle": p.bundle, "channel": "WINDOW", "window": w.window, "applicant": applicant(),
                "materials": ["申请表", "营业执照"], "accept": true
            }),
        )
        .await["case"]
        .clone();
    let id = case["id"].as_str().unwrap().to_owned();
    assert_eq!(case["number"], "PINGLIANG-20180209-000001");
    assert_eq!(case["state"], "IN_REVIEW");
    // Promised 8 working days from Friday 9 Feb: 11 (make-up), 12, 13, 14, 22, 23, 24 (make-up), 26.
    assert_eq!(case["dueOn"], "2018-02-26");
    assert_eq!(case["receipt"]["promisedOn"], "2018-02-26");
    assert_eq!(case["receipt"]["receivedBy"], "pingliang");
    assert_eq!(case["parallelApproval"]["plannedBy"], "builtin");
    assert_eq!(case["parallelApproval"]["joinPolicy"], "ALL_APPROVE");
    let steps: Vec<(String, String)> = case["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| (st["unit"]["code"].as_str().unwrap().to_owned(), st["dueOn"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("u0".into(), "2018-02-22".into()),
            ("u1".into(), "2018-02-26".into()),
            ("u2".into(), "2018-02-13".into())
        ]
    );

    // Each unit finds its branch in its worklist.
    let wl = "query { worklist(first: 10) { edges { node { case { number } step { number key status dueOn } } } } }";
    for (i, token) in p.approvers.iter().enumerate() {
        let d = s.gql(Some(token), wl, json!({})).await;
        let items = d["worklist"]["edges"].as_array().unwrap();
        assert_eq!(items.len(), 1, "unit {i}");
        assert_eq!(items[0]["node"]["step"]["number"], i);
    }

    let decide = act_query("decideStep", "DecideStepInput");
    set_day(s, "2018-02-12");
    let c =
        s.mutate(&p.approvers[2], "decideStep", &decide, json!({ "case": id, "step": 2, "decision": "APPROVE" })).await;
    assert_eq!(c["case"]["parallelApproval"]["verdicts"][0]["verdict"], "WAIT");

    // An expert review stops the clock from Tuesday 13 Feb to Thursday 22 Feb.
    set_day(s, "2018-02-13");
    let c = s
        .mutate(
            &p.lead,
            "suspendCase",
            &act_query("suspendCase", "SuspendCaseInput"),
            json!({ "case": id, "reason": "EXPERT_REVIEW", "note": "食品安全专家评审" }),
        )
        .await;
    assert_eq!(c["case"]["state"], "SUSPENDED");
    assert_eq!(c["case"]["dueOn"], Value::Null);
    let blocked = s
        .user_errors(
            Some(&p.approvers[0]),
            "decideStep",
            &decide,
            json!({ "case": id, "step": 0, "decision": "APPROVE" }),
        )
        .await
        .unwrap();
    assert_eq!(blocked, vec![("input.case".into(), "INVALID_STATE".into())]);
    set_day(s, "2018-02-22");
    let c = s.mutate(&p.lead, "resumeCase", &act_query("resumeCase", "CaseRefInput"), json!({ "case": id })).await;
    // 14 and 22 Feb did not count: two more working days (23, 24 were counted; 26 → 28).
    assert_eq!(c["case"]["dueOn"], "2018-02-28");
    assert_eq!(
        c["case"]["pauses"],
        json!([{ "reason": "EXPERT_REVIEW", "from": "2018-02-13", "until": "2018-02-22" }])
    );

    // An extension beyond the statute is refused; two days are approved.
    let ext = act_query("extendCase", "ExtendCaseInput");
    let errs = s
        .user_errors(Some(&p.lead), "extendCase", &ext, json!({ "case": id, "days": 30, "reason": "现场核查" }))
        .await
        .unwrap();
    assert_eq!(errs, vec![("input.days".into(), "OUT_OF_RANGE".into())]);
    let errs = s
        .user_errors(Some(&p.approvers[0]), "extendCase", &ext, json!({ "case": id, "days": 2, "reason": "现场核查" }))
        .await
        .unwrap();
    assert_eq!(errs, vec![("input".into(), "FORBIDDEN".into())]);
    let c = s.mutate(&p.lead, "extendCase", &ext, json!({ "case": id, "days": 2, "reason": "现场核查" })).await;
    assert_eq!(c["case"]["dueOn"], "2018-03-02");
    assert_eq!(c["case"]["extensionDays"], 2);

    let c =
        s.mutate(&p.approvers[0], "decideStep", &decide, json!({ "case": id, "step": 0, "decision": "APPROVE" })).await;
    assert_eq!(c["case"]["state"], "IN_REVIEW");
    set_day(s, "2018-02-26");
    let c = s
        .mutate(
            &p.approvers[1],
            "decideStep",
            &decide,
            json!({ "case": id, "step": 1, "decision": "APPROVE", "comment": "符合条件" }),
        )
        .await;
    assert_eq!(c["case"]["state"], "APPROVED");
    assert_eq!(c["case"]["decidedOn"], "2018-02-26");
    assert_eq!(c["case"]["onTime"], true);
    let verdicts: Vec<&str> = c["case"]["parallelApproval"]["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["WAIT", "WAIT", "APPROVE"]);

    let c = s
        .mutate(
            &w.pl.clerk,
            "issueResult",
            &act_query("issueResult", "CaseNoteInput"),
            json!({ "case": id, "note": "许可证 PL-2018-001" }),
        )
        .await;
    assert_eq!(c["case"]["state"], "RESULT_ISSUED");
    let c = s
        .mutate(
            &w.pl.clerk,
            "handOverResult",
            &act_query("handOverResult", "HandOverInput"),
            json!({ "case": id, "how": "COLLECTED" }),
        )
        .await;
    assert_eq!(c["case"]["state"], "COLLECTED");

    // The history: every transition, hash-chained.
    let d = s
        .gql(Some(&w.pl.admin), "query($id: ID!) { node(id: $id) { ... on Case { history { seq command fromState toState actingCentre prevHash hash } } } }", json!({ "id": id }))
        .await;
    let history = d["node"]["history"].as_array().unwrap();
    let commands: Vec<&str> = history.iter().map(|e| e["command"].as_str().unwrap()).collect();
    assert_eq!(
        commands,
        ["SUBMIT_AND_ACCEPT", "DECIDE", "SUSPEND", "RESUME", "EXTEND", "DECIDE", "DECIDE", "ISSUE_RESULT", "HAND_OVER"]
    );
    for pair in history.windows(2) {
        assert_eq!(pair[1]["prevHash"], pair[0]["hash"]);
    }
    assert_eq!(history.last().unwrap()["toState"], "COLLECTED");
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn two_clerks_deciding_one_step_at_once_one_wins() {
    let w = World::new().await;
    let s = &w.s;
    let p = parallel(&w).await;
    let case = s
        .mutate(
            &w.pl.clerk,
            "submitCase",
            &submit_query(),
            json!({
                "bundle": p.bundle, "channel": "WINDOW", "window": w.window, "applicant": applicant(),
                "materials": ["申请表", "营业执照"], "accept": true
            }),
        )
        .await["case"]
        .clone();
    let id = case["id"].as_str().unwrap();
    let decide = act_query("decideStep", "DecideStepInput");
    let second = staff(s, &w.pl.admin, "pingliang", &p.units[1], "appr1b", &["APPROVER"]).await;
    let tokens = [p.approvers[1].clone(), second];
    let mut tasks = Vec::new();
    for i in 0..8 {
        let decision = if i % 2 == 0 { "APPROVE" } else { "DENY" };
        let input = json!({ "case": id, "step": 1, "decision": decision, "comment": format!("clerk {i}") });
        let (q, t) = (decide.clone(), tokens[i % 2].clone());
        let s2 = s.url.clone();
        tasks.push(tokio::spawn(async move { post_alone(s2, t, q, input).await["data"]["decideStep"].clone() }));
    }
    let mut wins = 0;
    let mut conflicts = 0;
    for t in tasks {
        let r = t.await.unwrap();
        if r["case"].is_object() {
            wins += 1;
        } else if r["userErrors"][0]["code"] == "CONFLICT" {
            conflicts += 1;
        } else {
            panic!("neither a win nor a conflict: {r}");
        }
    }
    assert_eq!((wins, conflicts), (1, 7));
    // A stale expected version is a conflict too.
    let errs = s
        .user_errors(
            Some(&p.approvers[0]),
            "decideStep",
            &decide,
            json!({ "case": id, "step": 0, "decision": "APPROVE", "expectedVersion": 1 }),
        )
        .await
        .unwrap();
    assert_eq!(errs, vec![("input".into(), "CONFLICT".into())]);
    w.s.cleanup().await.unwrap();
}

/// Posts a mutation with `input` over its own HTTP connection (so that many run at once) and
/// returns the whole response (`data` and any `errors`).
async fn post_alone(url: String, token: String, query: String, input: Value) -> Value {
    reqwest::Client::new()
        .post(&url)
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": { "input": input } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Submits an application with [`post_alone`]: the case number, or the whole response when
/// no case was made (so that a failing test shows why).
async fn submitted_number(url: String, token: String, input: Value) -> Result<String, Value> {
    let body = post_alone(url, token, submit_query(), input).await;
    body["data"]["submitCase"]["case"]["number"].as_str().map(str::to_owned).ok_or(body)
}

#[tokio::test]
async fn case_numbers_have_no_gaps_or_duplicates_under_concurrent_acceptance() {
    let w = World::new().await;
    let s = &w.s;
    set_day(s, "2018-03-01");
    let mut tasks = Vec::new();
    for i in 0..40 {
        // Both centres of the hall draw from the region's one sequence; a few inputs fail and
        // must not use a number.
        let (token, matter) = if i % 3 == 0 {
            (w.kt.clerk.clone(), w.kt.matters[0].clone())
        } else {
            (w.pl.clerk.clone(), w.pl.matters[0].clone())
        };
        let id_number = if i % 10 == 7 { "bad id!".to_owned() } else { format!("62080219900101{i:04}") };
        let input = json!({ "matters": [matter], "channel": "WINDOW", "window": w.window, "applicant": { "kind": "PERSON", "name": "张三", "idNumber": id_number }, "materials": ["申请表", "营业执照"], "accept": true });
        let url = s.url.clone();
        tasks.push(tokio::spawn(submitted_number(url, token, input)));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        if let Ok(n) = t.await.unwrap() {
            assert!(n.starts_with("PINGLIANG-20180301-") || n.starts_with("KONGTONG-20180301-"), "{n}");
            seqs.push(n.rsplit('-').next().unwrap().parse::<u32>().unwrap());
        }
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=36).collect::<Vec<_>>());
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn two_replicas_accepting_at_once_share_one_gapless_sequence_and_one_unbroken_chain() {
    // Each replica's case writer counts numbers and chains events on from what it wrote last;
    // the other replica moves both on, so every write checks them under lock and starts again
    // when they moved.
    let w = World::new().await;
    let s = &w.s;
    set_day(s, "2018-03-02");
    let r2 = s.replica().await.unwrap();
    set_day(&r2, "2018-03-02");
    let clerk2 = r2.token("pingliang", Uuid::now_v7(), &["WINDOW_CLERK"]);
    let mut tasks = Vec::new();
    for i in 0..30 {
        let (url, token) =
            if i % 2 == 0 { (s.url.clone(), w.pl.clerk.clone()) } else { (r2.url.clone(), clerk2.clone()) };
        let input = json!({ "matters": [w.pl.matters[0]], "channel": "WINDOW", "window": w.window, "applicant": applicant(), "materials": ["申请表", "营业执照"], "accept": true });
        tasks.push(tokio::spawn(submitted_number(url, token, input)));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        let n = t.await.unwrap().unwrap_or_else(|answer| panic!("every application is accepted: {answer}"));
        seqs.push(n.rsplit('-').next().unwrap().parse::<u32>().unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=30).collect::<Vec<_>>());
    for check in s.od.verify_audit_all().await.unwrap() {
        assert!(check.broken.is_none(), "{check:?}");
    }
    drop(r2);
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn supplements_are_asked_once_and_the_public_sees_a_masked_status() {
    let w = World::new().await;
    let s = &w.s;
    set_day(s, "2018-03-05");
    let submit = submit_query();
    let c = s
        .mutate(&w.pl.clerk, "submitCase", &submit, json!({ "matters": [w.pl.matters[0]], "channel": "WINDOW", "window": w.window, "applicant": applicant(), "materials": ["申请表"] }))
        .await["case"]
        .clone();
    let id = c["id"].as_str().unwrap();
    assert_eq!(c["state"], "SUBMITTED");
    // Accepting with a required material missing names it.
    let accept = act_query("acceptCase", "CaseRefInput");
    let errs = s.user_errors(Some(&w.pl.clerk), "acceptCase", &accept, json!({ "case": id })).await.unwrap();
    assert_eq!(errs, vec![("input.materials".into(), "MATERIAL_MISSING".into())]);
    let req = act_query("requestSupplements", "CaseMaterialsInput");
    let c = s
        .mutate(
            &w.pl.clerk,
            "requestSupplements",
            &req,
            json!({ "case": id, "materials": ["营业执照", "法定代表人身份证"] }),
        )
        .await;
    assert_eq!(c["case"]["state"], "AWAITING_SUPPLEMENTS");
    assert_eq!(c["case"]["receipt"]["missing"], json!(["营业执照", "法定代表人身份证"]));
    assert_eq!(c["case"]["dueOn"], Value::Null, "the clock waits for the supplements");
    let errs = s
        .user_errors(Some(&w.pl.clerk), "requestSupplements", &req, json!({ "case": id, "materials": ["印章"] }))
        .await
        .unwrap();
    assert_eq!(errs, vec![("input.missing".into(), "INVALID_STATE".into())]);
    let recv = act_query("receiveSupplements", "CaseMaterialsInput");
    set_day(s, "2018-03-07");
    let errs = s
        .user_errors(Some(&w.pl.clerk), "receiveSupplements", &recv, json!({ "case": id, "materials": ["营业执照"] }))
        .await
        .unwrap();
    assert_eq!(errs, vec![("input.materials".into(), "MATERIAL_MISSING".into())]);
    let c = s
        .mutate(
            &w.pl.clerk,
            "receiveSupplements",
            &recv,
            json!({ "case": id, "materials": ["营业执照", "法定代表人身份证"] }),
        )
        .await;
    assert_eq!(c["case"]["state"], "IN_REVIEW");
    assert_eq!(c["case"]["acceptedOn"], "2018-03-07");
    assert_eq!(c["case"]["dueOn"], "2018-03-14", "5 working days from Wednesday 7 March");
    let number = c["case"]["number"].as_str().unwrap();

    // The applicant looks the case up anonymously with the last digits of the ID number.
    let q = "query($n: String!, $t: String!) { caseStatus(number: $n, idNumberTail: $t) { number state dueOn applicant { name idNumber phone } history { seq } steps { status comment decidedBy } } }";
    let d = s.gql(None, q, json!({ "n": number, "t": "4567" })).await;
    assert_eq!(d["caseStatus"]["state"], "IN_REVIEW");
    assert_eq!(d["caseStatus"]["applicant"]["idNumber"], "**************4567");
    assert_eq!(d["caseStatus"]["applicant"]["phone"], "");
    assert_eq!(d["caseStatus"]["history"], json!([]));
    assert_eq!(d["caseStatus"]["steps"][0]["comment"], Value::Null);
    let d = s.gql(None, q, json!({ "n": number, "t": "4568" })).await;
    assert_eq!(d["caseStatus"], Value::Null);
    // Staff lookups by number are not for the public.
    let d = s.gql(None, "query($n: String!) { case(number: $n) { number } }", json!({ "n": number })).await;
    assert_eq!(d["case"], Value::Null);

    // A refusal needs a reason.
    let c2 = s
        .mutate(
            &w.pl.clerk,
            "submitCase",
            &submit,
            json!({ "matters": [w.pl.matters[1]], "channel": "ONLINE", "applicant": applicant() }),
        )
        .await["case"]
        .clone();
    let refuse = act_query("refuseCase", "CaseReasonInput");
    let errs = s
        .user_errors(Some(&w.pl.clerk), "refuseCase", &refuse, json!({ "case": c2["id"], "reason": "  " }))
        .await
        .unwrap();
    assert_eq!(errs, vec![("input.reason".into(), "REQUIRED".into())]);
    let c2 = s
        .mutate(&w.pl.clerk, "refuseCase", &refuse, json!({ "case": c2["id"], "reason": "不属于本中心受理范围" }))
        .await;
    assert_eq!(c2["case"]["state"], "REFUSED");
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_district_window_accepts_a_city_matter_for_the_city() {
    let w = World::new().await;
    let s = &w.s;
    set_day(s, "2018-03-05");
    let submit = submit_query();
    let c = s
        .mutate(&w.kt.clerk, "submitCase", &submit, json!({ "matters": [w.pl.matters[0]], "channel": "WINDOW", "window": w.window, "applicant": applicant(), "materials": ["申请表", "营业执照"], "accept": true }))
        .await["case"]
        .clone();
    assert_eq!(c["centre"]["code"], "pingliang");
    assert_eq!(c["receivedBy"]["code"], "kongtong");
    assert!(c["number"].as_str().unwrap().starts_with("PINGLIANG-"));
    let id = c["id"].as_str().unwrap();
    let q = "query($id: ID!) { node(id: $id) { ... on Case { number } } }";
    for (token, visible) in [(&w.kt.clerk, true), (&w.pl.admin, true), (&w.ts.admin, false)] {
        let d = s.gql(Some(token), q, json!({ "id": id })).await;
        assert_eq!(d["node"].is_object(), visible, "{token}");
    }
    // The district window may not decide the city's steps.
    let errs = s
        .user_errors(
            Some(&w.kt.clerk),
            "decideStep",
            &act_query("decideStep", "DecideStepInput"),
            json!({ "case": id, "step": 0, "decision": "APPROVE" }),
        )
        .await
        .unwrap();
    assert_eq!(errs, vec![("input".into(), "FORBIDDEN".into())]);
    // Tianshui shares no hall with Pingliang: the window is not theirs to use, and the matter
    // is not of their region.
    let errs = s
        .user_errors(Some(&w.ts.clerk), "submitCase", &submit, json!({ "matters": [w.pl.matters[0]], "channel": "WINDOW", "window": w.window, "applicant": applicant(), "accept": true }))
        .await
        .unwrap();
    assert_eq!(errs, vec![("input.window".into(), "NOT_FOUND".into())]);
    let errs = s
        .user_errors(Some(&w.ts.clerk), "submitCase", &submit, json!({ "matters": [w.pl.matters[0]], "channel": "ONLINE", "applicant": applicant(), "materials": ["申请表", "营业执照"], "accept": true }))
        .await
        .unwrap();
    assert_eq!(errs, vec![("input.matters.0".into(), "INVALID_REFERENCE".into())]);
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn workflow_definitions_are_validated_and_cases_follow_them() {
    let w = World::new().await;
    let s = &w.s;
    set_day(s, "2018-03-05");
    let set = "mutation($input: SetWorkflowInput!) { setWorkflow(input: $input) { workflow { version longestPathDays steps { key kind next } } userErrors { field code message } } }";
    let task = |key: &str, limit: u16, next: &[&str]| json!({ "key": key, "name": key, "kind": "TASK", "limitDays": limit, "next": next });
    let matter = &w.pl.matters[0];
    type Check = (Value, &'static [(&'static str, &'static str)]);
    let checks: Vec<Check> = vec![
        (
            json!([task("check", 2, &["join"]), { "key": "join", "name": "join", "kind": "JOIN" }]),
            &[("input.steps.1", "INVALID_REFERENCE"), ("input.steps.0", "INVALID_REFERENCE")],
        ),
        (json!([task("check", 4, &["sign"]), task("sign", 2, &[])]), &[("input.steps", "PROMISED_EXCEEDS_STATUTORY")]),
        (json!([task("check", 1, &["nowhere"])]), &[("input.steps.0.next.0", "INVALID_REFERENCE")]),
        (json!([task("check", 1, &[]), task("orphan", 1, &[])]), &[("input.steps.1", "INVALID_REFERENCE")]),
        (json!([]), &[("input.steps", "TOO_FEW")]),
    ];
    for (i, (steps, want)) in checks.iter().enumerate() {
        let errs = s
            .user_errors(Some(&w.pl.admin), "setWorkflow", set, json!({ "matter": matter, "steps": steps }))
            .await
            .unwrap();
        let want: Vec<(String, String)> = want.iter().map(|(f, c)| ((*f).into(), (*c).into())).collect();
        assert_eq!(errs, want, "check {i}");
    }
    let errs = s
        .user_errors(Some(&w.pl.clerk), "setWorkflow", set, json!({ "matter": matter, "steps": [task("a", 1, &[])] }))
        .await
        .unwrap();
    assert_eq!(errs, vec![("input".into(), "FORBIDDEN".into())]);
    let p = s.mutate(&w.pl.admin, "setWorkflow", set, json!({ "matter": matter, "steps": [task("check", 2, &["sign"]), task("sign", 3, &[])], "note": "两级审核" })).await;
    assert_eq!(p["workflow"]["version"], 1);
    assert_eq!(p["workflow"]["longestPathDays"], 5);

    let approver = staff(s, &w.pl.admin, "pingliang", &w.pl.units[0], "appr-wf", &["APPROVER"]).await;
    let c = s
        .mutate(&w.pl.clerk, "submitCase", &submit_query(), json!({ "matters": [matter], "channel": "WINDOW", "window": w.window, "applicant": applicant(), "materials": ["申请表", "营业执照"], "accept": true }))
        .await["case"]
        .clone();
    let id = c["id"].as_str().unwrap();
    assert_eq!(c["steps"][0]["key"], "check");
    let decide = act_query("decideStep", "DecideStepInput");
    let c = s.mutate(&approver, "decideStep", &decide, json!({ "case": id, "step": 0, "decision": "APPROVE" })).await;
    assert_eq!(c["case"]["steps"][1]["key"], "sign");
    let c = s
        .mutate(
            &approver,
            "decideStep",
            &decide,
            json!({ "case": id, "step": 1, "decision": "RETURN", "comment": "缺少签章" }),
        )
        .await;
    let open: Vec<(u64, &str)> = c["case"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st["status"] == "OPEN")
        .map(|st| (st["number"].as_u64().unwrap(), st["key"].as_str().unwrap()))
        .collect();
    assert_eq!(open, vec![(2, "check")]);
    let errs = s
        .user_errors(Some(&approver), "decideStep", &decide, json!({ "case": id, "step": 2, "decision": "DENY" }))
        .await
        .unwrap();
    assert_eq!(errs, vec![("input.comment".into(), "REQUIRED".into())]);
    let c = s
        .mutate(
            &approver,
            "decideStep",
            &decide,
            json!({ "case": id, "step": 2, "decision": "DENY", "comment": "材料不实" }),
        )
        .await;
    assert_eq!(c["case"]["state"], "DENIED");
    assert_eq!(c["case"]["reason"], "材料不实");
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn bad_case_input_is_refused_with_codes() {
    let w = World::new().await;
    let s = &w.s;
    let submit = submit_query();
    let pl = &w.pl;
    type Check<'a> = (Option<String>, Value, Vec<(&'a str, &'a str)>);
    let checks: Vec<Check> = vec![
        (
            None,
            json!({ "matters": [pl.matters[0]], "channel": "ONLINE", "applicant": applicant() }),
            vec![("input", "UNAUTHENTICATED")],
        ),
        (
            Some(pl.admin.clone()),
            json!({ "matters": [pl.matters[0]], "channel": "ONLINE", "applicant": applicant() }),
            vec![("input", "FORBIDDEN")],
        ),
        (
            Some(pl.clerk.clone()),
            json!({ "matters": ["nope"], "channel": "ONLINE", "applicant": applicant() }),
            vec![("input.matters.0", "INVALID_ID")],
        ),
        (
            Some(pl.clerk.clone()),
            json!({ "matters": [], "channel": "ONLINE", "applicant": applicant() }),
            vec![("input.matters", "TOO_FEW")],
        ),
        (
            Some(pl.clerk.clone()),
            json!({ "matters": [pl.suspended], "channel": "ONLINE", "applicant": applicant() }),
            vec![("input.matters.0", "INVALID_STATE")],
        ),
        (
            Some(pl.clerk.clone()),
            json!({ "matters": [pl.matters[0]], "channel": "WINDOW", "applicant": applicant() }),
            vec![("input.window", "REQUIRED")],
        ),
        (
            Some(pl.clerk.clone()),
            json!({ "matters": [pl.matters[0]], "channel": "ONLINE", "applicant": { "kind": "PERSON", "name": "", "idNumber": "x" } }),
            vec![("input.applicant.name", "REQUIRED"), ("input.applicant.idNumber", "INVALID_CODE")],
        ),
        (
            Some(pl.clerk.clone()),
            json!({ "matters": [pl.matters[0]], "bundle": pl.bundle, "channel": "ONLINE", "applicant": applicant() }),
            vec![("input.matters", "INVALID_REFERENCE")],
        ),
        (
            Some(pl.clerk.clone()),
            json!({ "matters": [pl.matters[0]], "channel": "PROXY", "applicant": applicant(), "proxy": { "kind": "GUIDE", "staff": pl.staff, "name": "李导", "authorisation": "授权委托书 2018-01" } }),
            vec![("input.proxy.staff", "INVALID_REFERENCE")],
        ),
    ];
    for (i, (token, input, want)) in checks.into_iter().enumerate() {
        let errs = s.user_errors(token.as_deref(), "submitCase", &submit, input).await.unwrap();
        let want: Vec<(String, String)> = want.iter().map(|(f, c)| ((*f).into(), (*c).into())).collect();
        assert_eq!(errs, want, "check {i}");
    }
    // Nothing was written by the refused submissions.
    let d = s.gql(Some(&pl.clerk), "query { casesReceived(first: 10) { edges { node { number } } } }", json!({})).await;
    assert_eq!(d["casesReceived"]["edges"], json!([]));
    let accept = act_query("acceptCase", "CaseRefInput");
    let errs = s.user_errors(Some(&pl.clerk), "acceptCase", &accept, json!({ "case": pl.matters[0] })).await.unwrap();
    assert_eq!(errs, vec![("input.case".into(), "INVALID_ID".into())]);
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_replica_acting_on_stale_state_loses_and_retries_from_the_database() {
    use onedoor::domain::case::Decision as D;
    use onedoor::domain::{Caller, CaseId, Role, Scope, StaffId};
    let w = World::new().await;
    let s = &w.s;
    let p = parallel(&w).await;
    let case = s
        .mutate(
            &w.pl.clerk,
            "submitCase",
            &submit_query(),
            json!({
                "bundle": p.bundle, "channel": "WINDOW", "window": w.window, "applicant": applicant(),
                "materials": ["申请表", "营业执照"], "accept": true
            }),
        )
        .await["case"]
        .clone();
    let id = case["id"].as_str().unwrap();
    // A second replica over the same database decides branch 0.
    let other = onedoor::Onedoor::open(&s.database_url).await.unwrap();
    let centre = other.centre_id("pingliang").await.unwrap().unwrap();
    let (_, approver0) = staff_with_id(s, &w.pl.admin, "pingliang", &p.units[0], "appr0-r2", &["APPROVER"]).await;
    let caller = Caller::Staff(Scope {
        centre,
        staff: StaffId(approver0),
        roles: [Role::Approver].into_iter().collect(),
        supervised: vec![],
    });
    let number = case["number"].as_str().unwrap();
    let case_id: CaseId = other.case_by_number(&caller, number).await.unwrap().unwrap().id;
    let decided = other
        .act_on_case(
            &caller,
            centre,
            case_id,
            onedoor::CaseAction::Decide { step: 0, decision: D::Approve, comment: "replica 2".into() },
            None,
        )
        .await
        .unwrap();
    assert_eq!(decided.version, 2);
    // The first replica still holds version 1 in its writer's cache: its decision on the same
    // step is computed on stale state, loses the version check, and is retried on a fresh read,
    // where the step is decided already.
    let decide = act_query("decideStep", "DecideStepInput");
    let errs = s
        .user_errors(
            Some(&p.approvers[0]),
            "decideStep",
            &decide,
            json!({ "case": id, "step": 0, "decision": "DENY", "comment": "stale" }),
        )
        .await
        .unwrap();
    assert_eq!(errs, vec![("input.step".into(), "CONFLICT".into())]);
    // A decision on another step goes through after the same retry, on top of replica 2's.
    let c =
        s.mutate(&p.approvers[1], "decideStep", &decide, json!({ "case": id, "step": 1, "decision": "APPROVE" })).await;
    assert_eq!(c["case"]["version"], 3);
    let statuses: Vec<&str> =
        c["case"]["steps"].as_array().unwrap().iter().map(|st| st["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["APPROVED", "APPROVED", "OPEN"]);
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn the_centres_plugin_plans_and_joins_a_real_case_and_its_decisions_are_recorded() {
    use crate::plugins::PINGLIANG;
    use crate::registry::{ACTIVATE, DECISIONS, upload};
    let w = World::new().await;
    let s = &w.s;
    let p = parallel(&w).await;
    let (plugin, sha) = upload(s, &w.pl.admin, "pingliang-rules", PINGLIANG).await;
    s.mutate(&w.pl.admin, "activatePlugin", ACTIVATE, json!({ "id": plugin })).await;
    // A project of 60 million yuan: Pingliang's rule lets the lead unit arbitrate a denial.
    let case = s
        .mutate(
            &w.pl.clerk,
            "submitCase",
            &submit_query(),
            json!({
                "bundle": p.bundle, "channel": "WINDOW", "window": w.window, "applicant": applicant(),
                "materials": ["申请表", "营业执照"], "accept": true,
                "investment": { "amountFen": 6_000_000_000i64, "keyProject": false }
            }),
        )
        .await["case"]
        .clone();
    let id = case["id"].as_str().unwrap();
    let number = case["number"].as_str().unwrap();
    let rule = format!("plugin pingliang-rules@{}", &sha[..12]);
    assert_eq!(case["parallelApproval"]["plannedBy"], rule.as_str());
    assert_eq!(case["parallelApproval"]["joinPolicy"], "LEAD_ARBITRATES");
    let decide = act_query("decideStep", "DecideStepInput");
    let c = s
        .mutate(
            &p.approvers[2],
            "decideStep",
            &decide,
            json!({ "case": id, "step": 2, "decision": "DENY", "comment": "消防通道不足" }),
        )
        .await;
    let verdict = &c["case"]["parallelApproval"]["verdicts"][0];
    assert_eq!((verdict["verdict"].as_str(), verdict["rule"].as_str()), (Some("REFER_TO_LEAD"), Some(rule.as_str())));
    let open: Vec<(String, String)> = c["case"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st["status"] == "OPEN")
        .map(|st| (st["kind"].as_str().unwrap().to_owned(), st["unit"]["code"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(open, vec![("ARBITRATION".to_owned(), "u0".to_owned())]);
    let c = s
        .mutate(
            &p.lead,
            "decideStep",
            &decide,
            json!({ "case": id, "step": 3, "decision": "APPROVE", "comment": "整改后通过" }),
        )
        .await;
    assert_eq!(c["case"]["state"], "APPROVED");
    // The plugin's two decisions are recorded against the case number, with its hash.
    let d = s.gql(Some(&w.pl.admin), DECISIONS, json!({ "subject": number })).await;
    let hooks: Vec<(String, String)> = d["decisions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["node"]["hook"].as_str().unwrap().to_owned(), e["node"]["sha256"].as_str().unwrap().to_owned()))
        .collect();
    let mut hooks_sorted = hooks.clone();
    hooks_sorted.sort();
    assert_eq!(hooks_sorted, vec![("on_branch_decided".to_owned(), sha.clone()), ("plan".to_owned(), sha.clone())]);
    w.s.cleanup().await.unwrap();
}

/// A worklist is paged by key (due date, case, step): pages of two walk every open step once,
/// earliest due first, and a cursor of another list is refused.
#[tokio::test]
async fn a_worklist_pages_by_due_date_and_refuses_a_foreign_cursor() {
    let w = World::new().await;
    let s = &w.s;
    let p = parallel(&w).await;
    // Five bundles on three days (two on the same day: the same due date, ordered by case).
    let mut numbers = Vec::new();
    for day in ["2018-03-05", "2018-03-05", "2018-03-07", "2018-03-06", "2018-03-07"] {
        set_day(s, day);
        let input = json!({
            "bundle": p.bundle, "channel": "WINDOW", "window": w.window, "applicant": applicant(),
            "materials": ["申请表", "营业执照"], "accept": true
        });
        let c = s.mutate(&w.pl.clerk, "submitCase", &submit_query(), input).await;
        numbers.push(c["case"]["number"].as_str().unwrap().to_owned());
    }
    let q = "query($after: String) { worklist(first: 2, after: $after) { edges { cursor node { case { number } step { number dueOn } } } pageInfo { hasNextPage endCursor } } }";
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let d = s.gql(Some(&p.approvers[2]), q, json!({ "after": after })).await;
        let conn = &d["worklist"];
        for e in conn["edges"].as_array().unwrap() {
            assert_eq!(e["node"]["step"]["number"], 2, "{d}");
            seen.push((
                e["node"]["step"]["dueOn"].as_str().unwrap().to_owned(),
                e["node"]["case"]["number"].as_str().unwrap().to_owned(),
            ));
        }
        pages += 1;
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 3, "{seen:?}");
    let mut listed: Vec<String> = seen.iter().map(|(_, n)| n.clone()).collect();
    listed.sort();
    let mut expected = numbers.clone();
    expected.sort();
    assert_eq!(listed, expected, "every open step once");
    assert!(seen.windows(2).all(|x| x[0].0 <= x[1].0), "earliest due first: {seen:?}");

    // A cursor of another list is not a worklist cursor.
    let d = s.gql(None, "{ matters(centre: \"pingliang\", first: 1) { pageInfo { endCursor } } }", json!({})).await;
    let foreign = d["matters"]["pageInfo"]["endCursor"].clone();
    let (_, body) = s.post(Some(&p.approvers[2]), q, json!({ "after": foreign })).await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "INVALID_CURSOR", "{body}");
    w.s.cleanup().await.unwrap();
}
