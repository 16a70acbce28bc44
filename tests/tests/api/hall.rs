//! The hall through the API alone: a simulated morning in the shared hall (kiosk, guide and
//! appointment tickets called by the right windows of two centres in the fair order,
//! transferred, served, seen by a `graphql-ws` display board, statistics that add up);
//! concurrent "call next" from many windows; appointment capacity and quotas under concurrent
//! booking; refusals with stable codes.

use crate::world::{CREATE_WINDOW, CREATE_ZONE, World};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use onedoor_tests::TestServer;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use tokio::io::{AsyncBufReadExt, BufReader};
use uuid::Uuid;

const TICKET: &str = "id number status priority channel position estimatedWaitMinutes recalls transfers zone { code } window { number } targetWindow { number }";

fn ticket_mutation(name: &str, input: &str) -> String {
    format!(
        "mutation($input: {input}!) {{ {name}(input: $input) {{ ticket {{ {TICKET} }} userErrors {{ field code message }} }} }}"
    )
}

/// 08:00 China time on `date` (a Tuesday in the tests: a working day).
fn set_time(s: &TestServer, date: &str, hour: u32, minute: u32) {
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let local = d.and_hms_opt(hour, minute, 0).unwrap() - Duration::hours(8);
    s.clock.set(Utc.from_utc_datetime(&local));
}

/// The hall's windows for the tests: zone A has window 23 (both centres' first matters); zone
/// B is added with windows 31 (Pingliang's second matter) and 32 (Kongtong's second matter).
struct Hall {
    zone_a: String,
    w23: String,
    w31: String,
    w32: String,
}

async fn hall(w: &World) -> Hall {
    let zone_b =
        w.s.mutate(
            &w.pl.admin,
            "createZone",
            CREATE_ZONE,
            json!({ "hall": w.hall, "code": "B", "name": "社保医保服务区" }),
        )
        .await["zone"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let mut ids = Vec::new();
    for (number, matter) in [("31", &w.pl.matters[1]), ("32", &w.kt.matters[1])] {
        let p =
            w.s.mutate(
                &w.pl.admin,
                "createWindow",
                CREATE_WINDOW,
                json!({ "hall": w.hall, "zone": zone_b, "number": number, "name": "窗口", "matters": [matter] }),
            )
            .await;
        ids.push(p["window"]["id"].as_str().unwrap().to_owned());
    }
    Hall { zone_a: w.zone.clone(), w23: w.window.clone(), w31: ids[0].clone(), w32: ids[1].clone() }
}

async fn take(s: &TestServer, token: Option<&str>, input: Value) -> Value {
    let q = ticket_mutation("takeTicket", "TakeTicketInput");
    let (status, body) = s.post(token, &q, json!({ "input": input })).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let p = &body["data"]["takeTicket"];
    assert_eq!(p["userErrors"], json!([]), "{body}");
    p["ticket"].clone()
}

async fn call(s: &TestServer, clerk: &str, window: &str) -> Value {
    let q = ticket_mutation("callNextTicket", "CallNextInput");
    s.mutate(clerk, "callNextTicket", &q, json!({ "window": window })).await["ticket"].clone()
}

async fn act(s: &TestServer, clerk: &str, name: &str, input: Value) -> Value {
    let q = ticket_mutation(name, if name == "transferTicket" { "TransferTicketInput" } else { "TicketActionInput" });
    s.mutate(clerk, name, &q, input).await["ticket"].clone()
}

async fn errors(
    s: &TestServer,
    token: Option<&str>,
    name: &str,
    input_type: &str,
    input: Value,
) -> Vec<(String, String)> {
    s.user_errors(token, name, &ticket_mutation(name, input_type), input).await.unwrap()
}

async fn display_board(s: &TestServer, hall: &str, count: usize) -> tokio::process::Child {
    let dir = onedoor_tests::node_clients();
    let query =
        format!("subscription {{ hallCalls(hall: \"{hall}\") {{ number event windowNumber zone {{ code }} }} }}");
    tokio::process::Command::new("node")
        .arg("subscribe.mjs")
        .arg(s.url.replace("http://", "ws://"))
        .arg(query)
        .arg("")
        .arg(count.to_string())
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn a_morning_in_the_shared_hall() {
    let w = World::new().await;
    let s = &w.s;
    let h = hall(&w).await;
    set_time(s, "2026-12-01", 8, 0);
    let guide = s.token("kongtong", Uuid::now_v7(), &["GUIDE"]);
    let supervisor = s.token("kongtong", Uuid::now_v7(), &["SUPERVISOR"]);

    // Appointments: slots for zone A today, a booking, a check-in at 08:40.
    let q = "mutation($input: GenerateSlotsInput!) { generateAppointmentSlots(input: $input) { created userErrors { field code message } } }";
    let p = s
        .mutate(
            &w.pl.admin,
            "generateAppointmentSlots",
            q,
            json!({ "zone": h.zone_a, "from": "2026-12-01", "to": "2026-12-07", "capacity": 2 }),
        )
        .await;
    // Tue–Fri and Mon: 5 working days of 13 slots (the weekend has none).
    assert_eq!(p["created"], 65);
    let slots = s
        .gql(
            None,
            "query($z: ID!) { appointmentSlots(zone: $z, date: \"2026-12-01\") { id startsAt free } }",
            json!({ "z": h.zone_a }),
        )
        .await;
    let slot = slots["appointmentSlots"][0].clone();
    assert_eq!(slot["startsAt"], "2026-12-01T01:00:00+00:00");
    let q = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { code status idNumberMasked } userErrors { field code message } } }";
    let booking = s
        .mutate(
            &w.pl.admin,
            "bookAppointment",
            q,
            json!({ "slot": slot["id"], "name": "张三", "idNumber": "620802199001011234" }),
        )
        .await;
    let code = booking["appointment"]["code"].as_str().unwrap().to_owned();
    assert_eq!(booking["appointment"]["idNumberMasked"], "**************1234");

    // The board subscribes to every call of the morning.
    let mut board = display_board(s, &w.hall, 8).await;
    let mut lines = BufReader::new(board.stdout.take().unwrap()).lines();
    let connected = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line()).await.unwrap().unwrap();
    assert_eq!(connected.as_deref(), Some("{\"connected\":true}"));

    // 08:30: kiosk tickets (zone A; a Kongtong matter served in zone B), a guide's priority ticket.
    set_time(s, "2026-12-01", 8, 30);
    let a1 = take(s, None, json!({ "hall": w.hall, "zone": h.zone_a })).await;
    let a2 = take(s, None, json!({ "hall": w.hall, "zone": h.zone_a })).await;
    let a3 = take(s, None, json!({ "hall": w.hall, "zone": h.zone_a })).await;
    let b1 = take(s, None, json!({ "hall": w.hall, "matter": w.kt.matters[1] })).await;
    let p1 = take(s, Some(&guide), json!({ "hall": w.hall, "zone": h.zone_a, "priority": "PRIORITY" })).await;
    assert_eq!(
        [&a1, &a2, &a3, &b1, &p1].map(|t| t["number"].as_str().unwrap().to_owned()),
        ["A001", "A002", "A003", "B001", "A004"].map(String::from)
    );
    assert_eq!(b1["zone"]["code"], "B", "a Kongtong matter served in zone B");
    assert_eq!((p1["channel"].as_str(), p1["priority"].as_str()), (Some("GUIDE"), Some("PRIORITY")));
    assert_eq!(a3["position"], 3);
    assert_eq!(p1["position"], 1, "priority goes first: {p1}");

    set_time(s, "2026-12-01", 8, 40);
    let q = "mutation($input: AppointmentCodeInput!) { checkInAppointment(input: $input) { appointment { status } ticket { number priority channel } userErrors { field code message } } }";
    let checked = s.mutate(&w.pl.admin, "checkInAppointment", q, json!({ "hall": w.hall, "code": code })).await;
    assert_eq!(checked["ticket"], json!({ "number": "A005", "priority": "APPOINTMENT", "channel": "APPOINTMENT" }));
    assert_eq!(checked["appointment"]["status"], "CHECKED_IN");
    let again = s.user_errors(None, "checkInAppointment", q, json!({ "hall": w.hall, "code": code })).await.unwrap();
    assert_eq!(again, vec![("input.code".into(), "INVALID_STATE".into())]);

    // 09:00: window 23 (zone A) calls: appointment (weight 3), then priority (2), then the
    // ordinary ones in order. Window 31 serves Pingliang's second matter only: nothing for it.
    set_time(s, "2026-12-01", 9, 0);
    let mut called = Vec::new();
    for minute in [0, 6, 12] {
        set_time(s, "2026-12-01", 9, minute);
        let t = call(s, &w.pl.clerk, &h.w23).await;
        called.push(t["number"].as_str().unwrap().to_owned());
        set_time(s, "2026-12-01", 9, minute + 5);
        act(s, &w.kt.clerk, "endService", json!({ "ticket": t["id"], "window": h.w23 })).await;
    }
    assert_eq!(called, ["A005", "A004", "A001"]);
    assert_eq!(call(s, &w.kt.clerk, &h.w31).await, Value::Null, "B001 is a Kongtong matter window 31 does not serve");
    let b = call(s, &w.kt.clerk, &h.w32).await;
    assert_eq!(b["number"], "B001");
    act(s, &w.kt.clerk, "startService", json!({ "ticket": b["id"] })).await;

    // A002: called, recalled twice, no-show. A003: called, transferred to zone B's window 32,
    // where it waits behind nothing and is served after B001.
    set_time(s, "2026-12-01", 9, 20);
    let t = call(s, &w.pl.clerk, &h.w23).await;
    assert_eq!(t["number"], "A002");
    let early =
        errors(s, Some(&w.pl.clerk), "markTicketNoShow", "TicketActionInput", json!({ "ticket": t["id"] })).await;
    assert_eq!(early, vec![("input.ticket".into(), "INVALID_STATE".into())]);
    act(s, &w.pl.clerk, "recallTicket", json!({ "ticket": t["id"] })).await;
    let r = act(s, &w.pl.clerk, "recallTicket", json!({ "ticket": t["id"] })).await;
    assert_eq!(r["recalls"], 2);
    let ns = act(s, &w.pl.clerk, "markTicketNoShow", json!({ "ticket": t["id"] })).await;
    assert_eq!(ns["status"], "NO_SHOW");
    let t = call(s, &w.pl.clerk, &h.w23).await;
    assert_eq!(t["number"], "A003");
    let wrong = errors(
        s,
        Some(&w.pl.clerk),
        "transferTicket",
        "TransferTicketInput",
        json!({ "ticket": t["id"], "window": h.w31, "toWindow": h.w32 }),
    )
    .await;
    assert_eq!(wrong, vec![("input.window".into(), "NOT_ASSIGNED".into())]);
    let moved =
        act(s, &w.pl.clerk, "transferTicket", json!({ "ticket": t["id"], "window": h.w23, "toWindow": h.w32 })).await;
    assert_eq!(
        (moved["status"].as_str(), moved["targetWindow"]["number"].as_str(), moved["zone"]["code"].as_str()),
        (Some("WAITING"), Some("32"), Some("B"))
    );
    assert_eq!(moved["number"], "A003", "a transfer keeps the number");
    let busy = errors(s, Some(&w.kt.clerk), "callNextTicket", "CallNextInput", json!({ "window": h.w32 })).await;
    assert_eq!(busy, vec![("input.window".into(), "INVALID_STATE".into())], "window 32 still serves B001");
    set_time(s, "2026-12-01", 9, 30);
    act(s, &w.kt.clerk, "endService", json!({ "ticket": b["id"] })).await;
    let t = call(s, &w.kt.clerk, &h.w32).await;
    assert_eq!(t["number"], "A003");
    set_time(s, "2026-12-01", 9, 40);
    act(s, &w.kt.clerk, "endService", json!({ "ticket": t["id"] })).await;
    assert_eq!(call(s, &w.pl.clerk, &h.w23).await, Value::Null);

    // The board saw every call and recall, in order.
    let mut seen = Vec::new();
    while seen.len() < 8 {
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        let c = &v["event"]["data"]["hallCalls"];
        seen.push(format!(
            "{} {} {}",
            c["number"].as_str().unwrap(),
            c["event"].as_str().unwrap(),
            c["windowNumber"].as_str().unwrap()
        ));
    }
    assert_eq!(
        seen,
        [
            "A005 CALLED 23",
            "A004 CALLED 23",
            "A001 CALLED 23",
            "B001 CALLED 32",
            "A002 CALLED 23",
            "A002 RECALLED 23",
            "A002 RECALLED 23",
            "A003 CALLED 23"
        ]
    );
    let _ = board.kill().await;

    // The queue is empty; the statistics add up.
    let status = s
        .gql(None, "query($h: ID!) { hallQueue(hall: $h) { zones { zone { code } waiting lastCalledNumber lastCalledWindow { number } } } }", json!({ "h": w.hall }))
        .await;
    assert_eq!(
        status["hallQueue"]["zones"][0],
        json!({ "zone": { "code": "A" }, "waiting": 0, "lastCalledNumber": "A002", "lastCalledWindow": { "number": "23" } })
    );
    let q = "query($h: ID!) { hallStatistics(hall: $h, from: \"2026-12-01\", to: \"2026-12-01\") { total { tickets served noShows open transferred averageWaitSeconds maxWaitSeconds averageServiceSeconds } byZone { key tickets } byWindow { key tickets served noShows } byCentre { key tickets } byClass { key tickets } byChannel { key tickets } byGuide { key tickets } byHour { key tickets } } }";
    let st = s.gql(Some(&supervisor), q, json!({ "h": w.hall })).await["hallStatistics"].clone();
    assert_eq!(st["total"]["tickets"], 6);
    assert_eq!(st["total"]["served"], 5);
    assert_eq!(st["total"]["noShows"], 1);
    assert_eq!(st["total"]["open"], 0);
    assert_eq!(st["total"]["transferred"], 1);
    // Waits: A005 20 min, A004 36, A001 42, B001 47, A002 50, A003 50 (to its first call).
    assert_eq!(st["total"]["maxWaitSeconds"], 50 * 60);
    let avg = st["total"]["averageWaitSeconds"].as_f64().unwrap();
    assert!((avg - (20.0 + 36.0 + 42.0 + 47.0 + 50.0 + 50.0) * 60.0 / 6.0).abs() < 1e-6, "{avg}");
    for group in ["byZone", "byCentre", "byClass", "byChannel", "byHour"] {
        let sum: i64 = st[group].as_array().unwrap().iter().map(|g| g["tickets"].as_i64().unwrap()).sum();
        assert_eq!(sum, 6, "{group} adds up: {st}");
    }
    let by_window: HashMap<&str, (i64, i64)> = st["byWindow"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().unwrap(), (g["tickets"].as_i64().unwrap(), g["noShows"].as_i64().unwrap())))
        .collect();
    assert_eq!(by_window, HashMap::from([("23", (4, 1)), ("32", (2, 0))]));
    let by_centre: HashMap<&str, i64> = st["byCentre"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().unwrap(), g["tickets"].as_i64().unwrap()))
        .collect();
    assert_eq!(by_centre, HashMap::from([("pingliang", 5), ("kongtong", 1)]));
    assert_eq!(st["byGuide"].as_array().map(Vec::len), Some(1), "the guide's work: {st}");
    assert_eq!(st["byGuide"][0]["tickets"], 1);
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn concurrent_calls_from_many_windows_hand_out_each_ticket_once() {
    let w = World::new().await;
    let s = &w.s;
    set_time(s, "2026-12-01", 9, 0);
    let mut windows = Vec::new();
    for i in 0..12 {
        let p = s
            .mutate(
                &w.pl.admin,
                "createWindow",
                CREATE_WINDOW,
                json!({ "hall": w.hall, "zone": w.zone, "number": format!("{}", 40 + i), "name": "窗口" }),
            )
            .await;
        windows.push(p["window"]["id"].as_str().unwrap().to_owned());
    }
    let taken: Vec<Value> =
        futures_util::future::join_all((0..60).map(|_| take(s, None, json!({ "hall": w.hall, "zone": w.zone })))).await;
    let numbers: HashSet<String> = taken.iter().map(|t| t["number"].as_str().unwrap().to_owned()).collect();
    assert_eq!(numbers.len(), 60, "concurrent takes get distinct numbers");
    // Every window calls and serves until nothing waits, all at once.
    let clerk = w.kt.clerk.as_str();
    let rounds = futures_util::future::join_all(windows.iter().map(|win| async move {
        let mut mine = Vec::new();
        loop {
            let t = call(s, clerk, win).await;
            if t.is_null() {
                break mine;
            }
            mine.push(t["number"].as_str().unwrap().to_owned());
            act(s, clerk, "endService", json!({ "ticket": t["id"], "window": win })).await;
        }
    }))
    .await;
    let all: Vec<String> = rounds.into_iter().flatten().collect();
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!((all.len(), distinct.len()), (60, 60), "each ticket called exactly once");
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn appointment_capacity_and_quotas_hold_under_concurrent_booking() {
    let w = World::new().await;
    let s = &w.s;
    set_time(s, "2026-11-30", 9, 0);
    let q = "mutation($input: ConfigureHallQueueInput!) { configureHallQueue(input: $input) { settings { bookingsPerDay noShowLimit openingHours } userErrors { field code message } } }";
    let p = s
        .mutate(
            &w.pl.admin,
            "configureHallQueue",
            q,
            json!({ "hall": w.hall, "bookingsPerDay": 1, "noShowLimit": 1, "openingHours": ["09:00-10:30"] }),
        )
        .await;
    assert_eq!(p["settings"]["openingHours"], json!(["09:00-10:30"]));
    let bad = s
        .user_errors(
            Some(&w.pl.admin),
            "configureHallQueue",
            q,
            json!({ "hall": w.hall, "ordinaryWeight": 0, "openingHours": ["10:00-09:00"] }),
        )
        .await
        .unwrap();
    assert_eq!(
        bad,
        vec![
            ("input.ordinaryWeight".into(), "OUT_OF_RANGE".into()),
            ("input.openingHours.0.to".into(), "OUT_OF_RANGE".into())
        ]
    );
    let g = "mutation($input: GenerateSlotsInput!) { generateAppointmentSlots(input: $input) { created userErrors { field code message } } }";
    let p = s
        .mutate(
            &w.pl.admin,
            "generateAppointmentSlots",
            g,
            json!({ "zone": w.zone, "from": "2026-12-01", "to": "2026-12-01", "capacity": 5 }),
        )
        .await;
    assert_eq!(p["created"], 3);
    let slots = s
        .gql(None, "query($z: ID!) { appointmentSlots(zone: $z, date: \"2026-12-01\") { id } }", json!({ "z": w.zone }))
        .await;
    let slot = |i: usize| slots["appointmentSlots"][i]["id"].clone();
    let (first, second, third) = (slot(0), slot(1), slot(2));
    let book = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { code } userErrors { field code message } } }";

    // 20 applicants for 5 places, all at once.
    let results = futures_util::future::join_all((0..20).map(|i| {
        let slot = first.clone();
        async move {
            s.post(
                None,
                book,
                json!({ "input": { "slot": slot, "name": "申请人", "idNumber": format!("62080219900101{i:04}") } }),
            )
            .await
            .unwrap()
            .1
        }
    }))
    .await;
    let ok = results.iter().filter(|b| b["data"]["bookAppointment"]["appointment"].is_object()).count();
    let full = results.iter().filter(|b| b["data"]["bookAppointment"]["userErrors"][0]["code"] == "FULL").count();
    assert_eq!((ok, full), (5, 15), "{results:?}");

    // One applicant tries four bookings at once; the hall allows one per day.
    let results = futures_util::future::join_all((0..4).map(|i| {
        let slot = if i % 2 == 0 { second.clone() } else { third.clone() };
        async move {
            s.post(None, book, json!({ "input": { "slot": slot, "name": "李四", "idNumber": "620802198001015678" } }))
                .await
                .unwrap()
                .1
        }
    }))
    .await;
    let ok: Vec<String> = results
        .iter()
        .filter_map(|b| b["data"]["bookAppointment"]["appointment"]["code"].as_str().map(String::from))
        .collect();
    assert_eq!(ok.len(), 1, "{results:?}");
    let limited =
        results.iter().filter(|b| b["data"]["bookAppointment"]["userErrors"][0]["code"] == "LIMIT_REACHED").count();
    assert_eq!(limited, 3, "{results:?}");
    let full = s
        .user_errors(
            None,
            "bookAppointment",
            book,
            json!({ "slot": first, "name": "赵六", "idNumber": "620802198001010000" }),
        )
        .await
        .unwrap();
    assert_eq!(full, vec![("input.slot".into(), "FULL".into())]);

    // Cancelling gives the place back; a missed appointment bars the applicant (limit 1).
    let c = "mutation($input: AppointmentCodeInput!) { cancelAppointment(input: $input) { appointment { status } userErrors { field code message } } }";
    let p = s.mutate(&w.pl.admin, "cancelAppointment", c, json!({ "hall": w.hall, "code": ok[0] })).await;
    assert_eq!(p["appointment"]["status"], "CANCELLED");
    let p = s
        .mutate(
            &w.pl.admin,
            "bookAppointment",
            book,
            json!({ "slot": second, "name": "王五", "idNumber": "620802197001019999" }),
        )
        .await;
    let code = p["appointment"]["code"].as_str().unwrap().to_owned();
    set_time(s, "2026-12-01", 12, 0);
    let q = "query($h: ID!, $c: String!) { appointment(hall: $h, code: $c) { status } }";
    assert_eq!(s.gql(None, q, json!({ "h": w.hall, "c": code })).await["appointment"]["status"], "MISSED");
    let p = s
        .mutate(
            &w.pl.admin,
            "generateAppointmentSlots",
            g,
            json!({ "zone": w.zone, "from": "2026-12-02", "to": "2026-12-02", "capacity": 5 }),
        )
        .await;
    assert_eq!(p["created"], 3);
    let later = s
        .gql(None, "query($z: ID!) { appointmentSlots(zone: $z, date: \"2026-12-02\") { id } }", json!({ "z": w.zone }))
        .await;
    let barred = s
        .user_errors(
            None,
            "bookAppointment",
            book,
            json!({ "slot": later["appointmentSlots"][0]["id"], "name": "王五", "idNumber": "620802197001019999" }),
        )
        .await
        .unwrap();
    assert_eq!(barred, vec![("input.idNumber".into(), "LIMIT_REACHED".into())]);
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn refusals_have_stable_codes_and_write_nothing() {
    let w = World::new().await;
    let s = &w.s;
    set_time(s, "2026-12-01", 9, 0);
    let take_q = ticket_mutation("takeTicket", "TakeTicketInput");
    let check = |token: Option<&'static str>, input: Value, want: Vec<(&'static str, &'static str)>| {
        let take_q = take_q.clone();
        async move {
            let got = s.user_errors(token, "takeTicket", &take_q, input.clone()).await.unwrap();
            let want: Vec<(String, String)> = want.into_iter().map(|(f, c)| (f.to_owned(), c.to_owned())).collect();
            assert_eq!(got, want, "{input}");
        }
    };
    check(None, json!({ "hall": "nope", "zone": w.zone }), vec![("input.hall", "INVALID_ID")]).await;
    check(None, json!({ "hall": w.hall }), vec![("input.zone", "REQUIRED")]).await;
    check(
        None,
        json!({ "hall": w.hall, "zone": w.zone, "priority": "PRIORITY" }),
        vec![("input.priority", "INVALID_STATE")],
    )
    .await;
    check(
        None,
        json!({ "hall": w.hall, "zone": w.zone, "priority": "APPOINTMENT" }),
        vec![("input.priority", "INVALID_STATE")],
    )
    .await;
    check(None, json!({ "hall": w.hall, "matter": w.ts.matters[0] }), vec![("input.matter", "INVALID_REFERENCE")])
        .await;
    check(None, json!({ "hall": w.hall, "matter": w.pl.suspended }), vec![("input.matter", "INVALID_REFERENCE")]).await;
    check(None, json!({ "hall": w.hall, "matter": w.pl.matters[2] }), vec![("input.matter", "INVALID_REFERENCE")])
        .await;
    // A clerk without the guide role cannot take tickets for visitors; Tianshui's clerk may not
    // call at Pingliang's hall.
    let got = s
        .user_errors(Some(&w.pl.clerk), "takeTicket", &take_q, json!({ "hall": w.hall, "zone": w.zone }))
        .await
        .unwrap();
    assert_eq!(got, vec![("input".into(), "FORBIDDEN".into())]);
    let call_q = ticket_mutation("callNextTicket", "CallNextInput");
    let got = s.user_errors(Some(&w.ts.clerk), "callNextTicket", &call_q, json!({ "window": w.window })).await.unwrap();
    assert_eq!(got, vec![("input.hall".into(), "NOT_FOUND".into())]);
    let got = s.user_errors(None, "callNextTicket", &call_q, json!({ "window": w.window })).await.unwrap();
    assert_eq!(got, vec![("input".into(), "UNAUTHENTICATED".into())]);
    let got = s.user_errors(Some(&w.pl.clerk), "callNextTicket", &call_q, json!({ "window": w.zone })).await.unwrap();
    assert_eq!(got, vec![("input.window".into(), "INVALID_ID".into())]);
    // Nothing was taken.
    let status =
        s.gql(None, "query($h: ID!) { hallQueue(hall: $h) { zones { waiting } } }", json!({ "h": w.hall })).await;
    assert_eq!(status["hallQueue"]["zones"], json!([{ "waiting": 0 }]));
    // A ticket's public view and its node.
    let t = take(s, None, json!({ "hall": w.hall, "matter": w.kt.matters[0] })).await;
    assert_eq!((t["number"].as_str(), t["position"].as_i64()), (Some("A001"), Some(1)));
    let node = s
        .gql(None, "query($id: ID!) { node(id: $id) { ... on Ticket { number status } } }", json!({ "id": t["id"] }))
        .await;
    assert_eq!(node["node"], json!({ "number": "A001", "status": "WAITING" }));
    let end = errors(s, Some(&w.pl.clerk), "endService", "TicketActionInput", json!({ "ticket": t["id"] })).await;
    assert_eq!(end, vec![("input.ticket".into(), "INVALID_STATE".into())]);
    w.s.cleanup().await.unwrap();
}
