//! A small world for the tests: Pingliang (city), its child Kongtong (district), and an
//! unrelated Tianshui (city); units, staff and matters in each, and Pingliang's hall shared
//! with Kongtong, with a window serving matters of both.

use onedoor::domain::organisation::Level;
use onedoor_tests::TestServer;
use serde_json::{Value, json};
use uuid::Uuid;

pub const CREATE_CENTRE: &str = "mutation($input: CreateCentreInput!) { createCentre(input: $input) { centre { id code } userErrors { field code message } } }";
pub const CREATE_UNIT: &str = "mutation($input: CreateUnitInput!) { createUnit(input: $input) { unit { id code } userErrors { field code message } } }";
pub const CREATE_STAFF: &str = "mutation($input: CreateStaffInput!) { createStaff(input: $input) { staff { id staffId code } userErrors { field code message } } }";
pub const ADD_MATTER: &str = "mutation($input: AddMatterInput!) { addMatter(input: $input) { matter { id code version status } userErrors { field code message } } }";
pub const CREATE_HALL: &str = "mutation($input: CreateHallInput!) { createHall(input: $input) { hall { id code } userErrors { field code message } } }";
pub const ADD_HALL_MEMBER: &str = "mutation($input: AddHallMemberInput!) { addHallMember(input: $input) { hall { id members { code } } userErrors { field code message } } }";
pub const CREATE_ZONE: &str = "mutation($input: CreateZoneInput!) { createZone(input: $input) { zone { id code } userErrors { field code message } } }";
pub const CREATE_WINDOW: &str = "mutation($input: CreateWindowInput!) { createWindow(input: $input) { window { id number matters { code } } userErrors { field code message } } }";
pub const CREATE_BUNDLE: &str = "mutation($input: CreateBundleInput!) { createBundle(input: $input) { bundle { id code } userErrors { field code message } } }";
pub const SUSPEND: &str = "mutation($input: MatterStatusInput!) { suspendMatter(input: $input) { matter { id status version } userErrors { field code message } } }";

/// One centre of the world and handles on its data.
#[derive(Debug, Clone)]
pub struct Centre {
    #[allow(dead_code)]
    pub code: &'static str,
    pub admin: String,
    pub clerk: String,
    pub units: Vec<String>,
    pub staff: String,
    pub matters: Vec<String>,
    /// A suspended (non-public) matter.
    pub suspended: String,
    pub bundle: String,
}

#[derive(Debug)]
pub struct World {
    pub s: TestServer,
    pub pl: Centre,
    pub kt: Centre,
    pub ts: Centre,
    pub hall: String,
    pub zone: String,
    pub window: String,
}

/// A valid service guide input owned by `unit`.
pub fn guide(code: &str, name: &str, unit: &str) -> Value {
    json!({
        "code": code,
        "name": name,
        "matterType": "LICENCE",
        "ownerUnit": unit,
        "handlingLevel": "CITY",
        "legalBasis": "《中华人民共和国行政许可法》",
        "materials": [
            { "name": "申请表", "required": true, "form": "ORIGINAL" },
            { "name": "营业执照", "required": true, "form": "COPY", "elicenceType": "business-licence" }
        ],
        "statutoryDays": 20,
        "promisedDays": 5,
        "fees": [],
        "modes": ["ONE_VISIT", "ONLINE"],
        "maxVisits": 1,
        "crossScope": "CITY_WIDE",
        "delivery": ["PICKUP", "EXPRESS"],
        "online": true
    })
}

async fn populate(s: &TestServer, code: &'static str, prefix: &str) -> Centre {
    let admin = s.token(code, Uuid::now_v7(), &["ADMIN", "SUPERVISOR"]);
    let clerk = s.token(code, Uuid::now_v7(), &["WINDOW_CLERK"]);
    let mut units = Vec::new();
    for (i, kind) in ["CITY_DEPARTMENT", "PUBLIC_SERVICE_BODY"].iter().enumerate() {
        let p = s
            .mutate(
                &admin,
                "createUnit",
                CREATE_UNIT,
                json!({ "code": format!("u{i}"), "name": format!("{code} 单位 {i}"), "kind": kind }),
            )
            .await;
        units.push(p["unit"]["id"].as_str().unwrap().to_owned());
    }
    let p = s
        .mutate(
            &admin,
            "createStaff",
            CREATE_STAFF,
            json!({ "code": "clerk01", "name": "王芳", "unit": units[0], "roles": ["WINDOW_CLERK"] }),
        )
        .await;
    let staff = p["staff"]["id"].as_str().unwrap().to_owned();
    let mut matters = Vec::new();
    for i in 0..3 {
        let p = s
            .mutate(
                &admin,
                "addMatter",
                ADD_MATTER,
                json!({ "guide": guide(&format!("{prefix}-XK-000{i}"), &format!("{code} 许可 {i}"), &units[i % 2]) }),
            )
            .await;
        matters.push(p["matter"]["id"].as_str().unwrap().to_owned());
    }
    let p = s
        .mutate(
            &admin,
            "addMatter",
            ADD_MATTER,
            json!({ "guide": guide(&format!("{prefix}-XK-0009"), "暂停的事项", &units[0]) }),
        )
        .await;
    let suspended = p["matter"]["id"].as_str().unwrap().to_owned();
    s.mutate(&admin, "suspendMatter", SUSPEND, json!({ "id": suspended, "note": "政策调整" })).await;
    let p = s
        .mutate(&admin, "createBundle", CREATE_BUNDLE, json!({ "code": "start-up", "name": "开办企业一件事", "leadUnit": units[0], "matters": [matters[0], matters[1]] }))
        .await;
    let bundle = p["bundle"]["id"].as_str().unwrap().to_owned();
    Centre { code, admin, clerk, units, staff, matters, suspended, bundle }
}

impl World {
    pub async fn new() -> World {
        let s = TestServer::start().await.unwrap();
        s.od.create_centre(None, "pingliang", "平凉市政务服务中心", Level::City, None).await.unwrap();
        s.od.create_centre(None, "tianshui", "天水市政务服务中心", Level::City, None).await.unwrap();
        let pl_admin = s.token("pingliang", Uuid::now_v7(), &["ADMIN"]);
        s.mutate(
            &pl_admin,
            "createCentre",
            CREATE_CENTRE,
            json!({ "code": "kongtong", "name": "崆峒区政务服务中心", "level": "DISTRICT" }),
        )
        .await;
        let pl = populate(&s, "pingliang", "62080000SC").await;
        let kt = populate(&s, "kongtong", "62080200SC").await;
        let ts = populate(&s, "tianshui", "62050000SC").await;
        let hall = s
            .mutate(
                &pl.admin,
                "createHall",
                CREATE_HALL,
                json!({ "code": "civic", "name": "平凉市民中心", "address": "平凉市崆峒区" }),
            )
            .await["hall"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        s.mutate(&pl.admin, "addHallMember", ADD_HALL_MEMBER, json!({ "hall": hall, "centre": "kongtong" })).await;
        let zone = s
            .mutate(
                &pl.admin,
                "createZone",
                CREATE_ZONE,
                json!({ "hall": hall, "code": "A", "name": "市场监管服务区" }),
            )
            .await["zone"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let window = s
            .mutate(&pl.admin, "createWindow", CREATE_WINDOW, json!({ "hall": hall, "zone": zone, "number": "23", "name": "综合受理窗口", "matters": [pl.matters[0], kt.matters[0]] }))
            .await["window"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        World { s, pl, kt, ts, hall, zone, window }
    }
}
