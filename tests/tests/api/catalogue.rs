//! Every catalogue operation and its versions, through the API.

use crate::world::{ADD_MATTER, Centre, World, guide};
use onedoor_tests::TestServer;
use serde_json::json;

const MATTER: &str = "query($id: ID!) { node(id: $id) { ... on Matter { code name status version guide { promisedDays statutoryDays ownerUnit { code } materials { name form elicenceType } modes } versions { version operation status guide { code promisedDays } related { code } note actor { code } } } } }";
const CHANGE: &str = "mutation($input: ChangeMatterInput!) { changeMatter(input: $input) { matter { id version guide { promisedDays name } } userErrors { field code message } } }";
const SPLIT: &str = "mutation($input: SplitMatterInput!) { splitMatter(input: $input) { parts { id code status version } userErrors { field code message } } }";
const MERGE: &str = "mutation($input: MergeMattersInput!) { mergeMatters(input: $input) { matter { id code version } userErrors { field code message } } }";
const STATUS: &str = "mutation($input: MatterStatusInput!) { m1: suspendMatter(input: $input) { matter { status version } userErrors { code } } }";

#[tokio::test]
async fn add_change_suspend_resume_cancel_keep_every_version() {
    let w = World::new().await;
    let (s, pl) = (&w.s, &w.pl);
    let id = &pl.matters[2];

    // change: a new version; the old one is kept.
    let p = s.mutate(&pl.admin, "changeMatter", CHANGE, json!({ "id": id, "expectedVersion": 1, "guide": { "promisedDays": 3, "name": "新名称" }, "note": "压缩时限" })).await;
    assert_eq!(p["matter"]["version"], 2);
    assert_eq!(p["matter"]["guide"]["promisedDays"], 3);

    // a change built on a stale version is refused.
    let errs = s
        .user_errors(
            Some(&pl.admin),
            "changeMatter",
            CHANGE,
            json!({ "id": id, "expectedVersion": 1, "guide": { "promisedDays": 2 } }),
        )
        .await
        .unwrap();
    assert_eq!(errs, vec![("input".into(), "CONFLICT".into())]);

    // promised > statutory is refused and writes nothing.
    let errs = s
        .user_errors(Some(&pl.admin), "changeMatter", CHANGE, json!({ "id": id, "guide": { "promisedDays": 30 } }))
        .await
        .unwrap();
    assert_eq!(errs, vec![("input.guide.promisedDays".into(), "PROMISED_EXCEEDS_STATUTORY".into())]);

    for (op, status, version) in
        [("suspendMatter", "SUSPENDED", 3), ("resumeMatter", "ACTIVE", 4), ("cancelMatter", "CANCELLED", 5)]
    {
        let q = STATUS.replace("suspendMatter", op);
        let d = s.gql(Some(&pl.admin), &q, json!({ "input": { "id": id, "note": op } })).await;
        assert_eq!(d["m1"]["matter"]["status"], status, "{op}");
        assert_eq!(d["m1"]["matter"]["version"], version, "{op}");
    }
    // a cancelled matter takes no further operation.
    let d = s
        .gql(Some(&pl.admin), &STATUS.replace("suspendMatter", "resumeMatter"), json!({ "input": { "id": id } }))
        .await;
    assert_eq!(d["m1"]["userErrors"][0]["code"], "INVALID_STATE");

    let d = s.gql(Some(&pl.admin), MATTER, json!({ "id": id })).await;
    let ops: Vec<String> = d["node"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| format!("{} {} {}", v["version"], v["operation"].as_str().unwrap(), v["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ops,
        ["1 ADD ACTIVE", "2 CHANGE ACTIVE", "3 SUSPEND SUSPENDED", "4 RESUME ACTIVE", "5 CANCEL CANCELLED"]
    );
    // version 1 still holds the original guide: a case accepted under it keeps it.
    assert_eq!(d["node"]["versions"][0]["guide"]["promisedDays"], 5);
    assert_eq!(d["node"]["versions"][1]["guide"]["promisedDays"], 3);
    assert_eq!(d["node"]["versions"][1]["note"], "压缩时限");
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn split_and_merge_supersede_their_sources_and_link_both_ways() {
    let w = World::new().await;
    let (s, pl) = (&w.s, &w.pl);
    let unit = &pl.units[0];
    let p = s
        .mutate(&pl.admin, "splitMatter", SPLIT, json!({ "id": pl.matters[0], "parts": [guide("62080000SC-XK-0101", "许可（新办）", unit), guide("62080000SC-XK-0102", "许可（变更）", unit)], "note": "拆分" }))
        .await;
    let parts: Vec<String> =
        p["parts"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(parts.len(), 2);
    let d = s.gql(Some(&pl.admin), MATTER, json!({ "id": pl.matters[0] })).await;
    assert_eq!(d["node"]["status"], "SUPERSEDED");
    assert_eq!(d["node"]["versions"][1]["operation"], "SPLIT");
    let related: Vec<_> =
        d["node"]["versions"][1]["related"].as_array().unwrap().iter().map(|m| m["code"].as_str().unwrap()).collect();
    assert_eq!(related, vec!["62080000SC-XK-0101", "62080000SC-XK-0102"]);

    // a superseded matter cannot be split again; a split needs two parts.
    let errs = s.user_errors(Some(&pl.admin), "splitMatter", SPLIT, json!({ "id": pl.matters[0], "parts": [guide("62080000SC-XK-0103", "x", unit), guide("62080000SC-XK-0104", "y", unit)] })).await.unwrap();
    assert_eq!(errs, vec![("input.id".into(), "INVALID_STATE".into())]);
    let errs = s
        .user_errors(
            Some(&pl.admin),
            "splitMatter",
            SPLIT,
            json!({ "id": pl.matters[1], "parts": [guide("62080000SC-XK-0105", "x", unit)] }),
        )
        .await
        .unwrap();
    assert_eq!(errs, vec![("input.parts".into(), "TOO_FEW".into())]);

    let p = s
        .mutate(
            &pl.admin,
            "mergeMatters",
            MERGE,
            json!({ "sources": parts, "result": guide("62080000SC-XK-0200", "许可（合并）", unit) }),
        )
        .await;
    let merged = p["matter"]["id"].as_str().unwrap().to_owned();
    for part in &parts {
        let d = s.gql(Some(&pl.admin), MATTER, json!({ "id": part })).await;
        assert_eq!(d["node"]["status"], "SUPERSEDED");
        assert_eq!(d["node"]["versions"][1]["related"][0]["code"], "62080000SC-XK-0200");
    }
    let d = s.gql(Some(&pl.admin), MATTER, json!({ "id": merged })).await;
    assert_eq!(d["node"]["versions"][0]["operation"], "MERGE");
    assert_eq!(d["node"]["versions"][0]["related"].as_array().unwrap().len(), 2);

    // a merge with a code already taken writes nothing: the sources stay superseded-free.
    let before = s.gql(Some(&pl.admin), MATTER, json!({ "id": pl.matters[1] })).await;
    let errs = s
        .user_errors(
            Some(&pl.admin),
            "mergeMatters",
            MERGE,
            json!({ "sources": [pl.matters[1], pl.matters[2]], "result": guide("62080000SC-XK-0200", "重复", unit) }),
        )
        .await
        .unwrap();
    assert_eq!(errs, vec![("input.result.code".into(), "DUPLICATE".into())]);
    let after = s.gql(Some(&pl.admin), MATTER, json!({ "id": pl.matters[1] })).await;
    assert_eq!(before, after);
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn search_by_name_code_unit_zone_and_mode() {
    let w = World::new().await;
    let (s, pl) = (&w.s, &w.pl);
    let q = "query($c: String, $f: MatterFilterInput) { matters(centre: $c, filter: $f, first: 50) { edges { node { code ownerUnit { code } } } } }";
    let check = |filter: serde_json::Value, expect: &'static [&'static str]| {
        let s = &w.s;
        async move {
            let d = s.gql(None, q, json!({ "c": "pingliang", "f": filter })).await;
            let got: Vec<String> = d["matters"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["code"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(got, expect, "filter {filter}");
        }
    };
    check(json!({}), &["62080000SC-XK-0000", "62080000SC-XK-0001", "62080000SC-XK-0002"]).await;
    check(json!({ "name": "许可 1" }), &["62080000SC-XK-0001"]).await;
    check(json!({ "code": "62080000sc-xk-000" }), &["62080000SC-XK-0000", "62080000SC-XK-0001", "62080000SC-XK-0002"])
        .await;
    check(json!({ "unit": pl.units[1] }), &["62080000SC-XK-0001"]).await;
    check(json!({ "zone": w.zone }), &["62080000SC-XK-0000"]).await;
    check(json!({ "mode": "IMMEDIATE" }), &[]).await;
    check(json!({ "mode": "ONLINE", "name": "%" }), &[]).await;
    // the public never sees the suspended matter, even when asking for it.
    check(json!({ "status": "SUSPENDED" }), &[]).await;
    let d = s.gql(Some(&pl.admin), q, json!({ "c": "pingliang", "f": { "status": "SUSPENDED" } })).await;
    assert_eq!(d["matters"]["edges"][0]["node"]["code"], "62080000SC-XK-0009");

    // cursor pagination walks the whole list once.
    let page = "query($after: String) { matters(centre: \"pingliang\", first: 2, after: $after) { edges { cursor node { code } } pageInfo { hasNextPage endCursor } } }";
    let d1 = s.gql(None, page, json!({})).await;
    assert_eq!(d1["matters"]["pageInfo"]["hasNextPage"], true);
    let d2 = s.gql(None, page, json!({ "after": d1["matters"]["pageInfo"]["endCursor"] })).await;
    assert_eq!(d2["matters"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(d2["matters"]["edges"][0]["node"]["code"], "62080000SC-XK-0002");
    let _ = ADD_MATTER;
    w.s.cleanup().await.unwrap();
}

/// Eight admins change the same version at once: exactly one wins, the others get
/// `CONFLICT`, and no change is lost or applied twice.
#[tokio::test]
async fn concurrent_changes_of_one_version_have_exactly_one_winner() {
    let w = World::new().await;
    let s = &w.s;
    let id = &w.pl.matters[1];
    let tries = (0..8).map(|i| {
        let input =
            json!({ "input": { "id": id, "expectedVersion": 1, "guide": { "name": format!("并发修改 {i}") } } });
        s.post(Some(&w.pl.admin), CHANGE, input)
    });
    let results = futures_util::future::join_all(tries).await;
    let mut won = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        let (status, body) = r.unwrap();
        assert_eq!(status, 200, "{body}");
        let p = &body["data"]["changeMatter"];
        match p["userErrors"].as_array().map(Vec::len) {
            Some(0) => won.push(i),
            _ => assert_eq!(p["userErrors"][0]["code"], "CONFLICT", "{body}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one change wins: {won:?}");
    let d = s.gql(Some(&w.pl.admin), MATTER, json!({ "id": id })).await;
    assert_eq!(d["node"]["version"], 2);
    assert_eq!(d["node"]["name"], format!("并发修改 {}", won[0]));
    assert_eq!(d["node"]["versions"].as_array().unwrap().len(), 2);
    w.s.cleanup().await.unwrap();
}

/// A matter of a list as the tests compare it: (code, name, owner unit's name).
type ListRow = (String, String, String);

/// What a list must show after a change.
type RowsCheck = dyn Fn(&[ListRow]) -> bool;

/// The [`ListRow`] of each matter in `data.matters.edges`.
fn rows(data: &serde_json::Value) -> Vec<ListRow> {
    data["matters"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
            (s(&n["code"]), s(&n["name"]), s(&n["ownerUnit"]["name"]))
        })
        .collect()
}

/// The catalogue cache: a read after any catalogue change sees it — in the process that made
/// the change, and in another replica over the same database (a second platform here, which
/// learns of the change only through the database's catalogue generation).
#[tokio::test]
async fn a_read_after_a_catalogue_change_sees_it_on_every_replica() {
    const LIST: &str =
        "{ matters(centre: \"pingliang\", first: 50) { edges { node { id code name status ownerUnit { name } } } } }";
    const UPDATE_UNIT: &str =
        "mutation($input: UpdateUnitInput!) { updateUnit(input: $input) { unit { name } userErrors { code } } }";
    let w = World::new().await;
    let (s, pl) = (&w.s, &w.pl);
    let replica = onedoor::Onedoor::open(&s.database_url).await.unwrap();
    let city = replica.centre_id("pingliang").await.unwrap().unwrap();
    let on_replica = |code: String| {
        let replica = replica.clone();
        async move {
            let page = onedoor::Page { after: None, limit: 50 };
            let filter = onedoor::MatterFilter::default();
            let all = replica.matters(&onedoor::domain::Caller::Anonymous, city, &filter, &page).await.unwrap();
            let found = all.items.into_iter().find(|m| m.guide.code.as_str() == code);
            found.map(|m| (m.guide.name.to_string(), m.status.as_str().to_owned()))
        }
    };
    let names = rows;
    // Fill both caches.
    let before = names(&s.gql(None, LIST, json!({})).await);
    let first = before[0].0.clone();
    assert!(on_replica(first.clone()).await.is_some());

    // A change of a guide: seen by the next read here and on the replica.
    let id = s.gql(None, LIST, json!({})).await["matters"]["edges"][0]["node"]["id"].clone();
    s.mutate(&pl.admin, "changeMatter", CHANGE, json!({ "id": id, "guide": { "name": "缓存之后改的名称" } })).await;
    let after = names(&s.gql(None, LIST, json!({})).await);
    assert_eq!(after[0].1, "缓存之后改的名称");
    assert_eq!(on_replica(first.clone()).await.map(|m| m.0).as_deref(), Some("缓存之后改的名称"));

    // A new matter, and a suspended one (gone from the public list), and a renamed unit.
    add_new_matter(s, pl).await;
    s.gql(Some(&pl.admin), STATUS, json!({ "input": { "id": id, "note": "暂停" } })).await;
    let unit =
        s.mutate(&pl.admin, "updateUnit", UPDATE_UNIT, json!({ "id": pl.units[0], "name": "改名后的单位" })).await;
    assert_eq!(unit["unit"]["name"], "改名后的单位");
    let now = names(&s.gql(None, LIST, json!({})).await);
    assert!(now.iter().any(|m| m.0 == "62080000SC-XK-0999"), "{now:?}");
    assert!(!now.iter().any(|m| m.0 == first), "a suspended matter is not public: {now:?}");
    assert!(now.iter().any(|m| m.2 == "改名后的单位"), "{now:?}");
    assert_eq!(on_replica(first.clone()).await, None, "the replica sees the suspension");
    assert!(on_replica("62080000SC-XK-0999".into()).await.is_some(), "the replica sees the new matter");
    // The admin still sees the suspended matter (visibility is per caller, not per cache).
    let own = names(&s.gql(Some(&pl.admin), LIST, json!({})).await);
    assert!(own.iter().any(|m| m.0 == first));
    drop(replica);
    w.s.cleanup().await.unwrap();
}

/// Adds the matter `62080000SC-XK-0999` (its guide without a description) to Pingliang, as its
/// admin: the change the cache tests make after filling the caches.
pub(crate) async fn add_new_matter(s: &TestServer, pl: &Centre) {
    s.mutate(
        &pl.admin,
        "addMatter",
        ADD_MATTER,
        json!({ "guide": guide("62080000SC-XK-0999", "新增事项", &pl.units[0]), "note": "" }),
    )
    .await;
}

/// The peer's read: the first matters of a centre with their owner units.
const PUBLIC_LIST: &str = "query($c: String!) { matters(centre: $c, first: 50) { edges { node { id code name status guide { promisedDays } ownerUnit { id name } } } } }";

/// The response cache: a stored response is never served after a catalogue change committed
/// on another replica (which learns of it only through the database's catalogue generation).
#[tokio::test]
async fn a_cached_response_is_never_served_after_a_catalogue_change_on_another_replica() {
    const UPDATE_UNIT: &str =
        "mutation($input: UpdateUnitInput!) { updateUnit(input: $input) { unit { name } userErrors { code } } }";
    let w = World::new().await;
    let (s, pl) = (&w.s, &w.pl);
    let replica = s.replica().await.unwrap();
    let read = || async {
        let (status, body, cache) = replica.post_cached(None, PUBLIC_LIST, json!({ "c": "pingliang" })).await.unwrap();
        assert_eq!(status, 200, "{body}");
        (rows(&body["data"]), cache.unwrap_or_default())
    };
    let (before, cache) = read().await;
    assert_eq!(cache, "miss");
    assert_eq!(read().await, (before.clone(), "hit".to_owned()), "served from the cache while nothing changed");
    let id = s.gql(None, PUBLIC_LIST, json!({ "c": "pingliang" })).await["matters"]["edges"][0]["node"]["id"].clone();

    // Each change on the first replica: the next read on the other is executed again and shows
    // it, and the read after that is a hit again.
    let changed = |what: &'static str, check: Box<RowsCheck>| {
        let read = &read;
        async move {
            let (rows, cache) = read().await;
            assert_eq!(cache, "miss", "after {what}");
            assert!(check(&rows), "after {what}: {rows:?}");
            assert_eq!(read().await, (rows, "hit".to_owned()), "after {what}");
        }
    };
    s.mutate(&pl.admin, "changeMatter", CHANGE, json!({ "id": id, "guide": { "name": "缓存之后改的名称" } })).await;
    changed("a guide change", Box::new(|rows| rows[0].1 == "缓存之后改的名称")).await;
    add_new_matter(s, pl).await;
    changed("an addition", Box::new(|rows| rows.iter().any(|m| m.0 == "62080000SC-XK-0999"))).await;
    let unit =
        s.mutate(&pl.admin, "updateUnit", UPDATE_UNIT, json!({ "id": pl.units[0], "name": "改名后的单位" })).await;
    assert_eq!(unit["unit"]["name"], "改名后的单位");
    changed("a unit renamed", Box::new(|rows| rows.iter().any(|m| m.2 == "改名后的单位"))).await;
    let first = before[0].0.clone();
    s.gql(Some(&pl.admin), STATUS, json!({ "input": { "id": id, "note": "暂停" } })).await;
    changed("a suspension", Box::new(move |rows| !rows.iter().any(|m| m.0 == first))).await;
    drop(replica);
    w.s.cleanup().await.unwrap();
}

/// The response cache is hit by a repeated anonymous catalogue read, and keeps nothing else:
/// staff callers, non-catalogue fields, searches read from the database, errors.
#[tokio::test]
async fn a_repeated_anonymous_catalogue_read_is_served_from_the_response_cache() {
    let w = World::new().await;
    let (s, pl) = (&w.s, &w.pl);
    let vars = json!({ "c": "pingliang" });
    let mut first = None;
    let mut hits = 0;
    for i in 0..10 {
        let (status, body, cache) = s.post_cached(None, PUBLIC_LIST, vars.clone()).await.unwrap();
        assert_eq!(status, 200);
        assert_eq!(cache.as_deref(), Some(if i == 0 { "miss" } else { "hit" }));
        hits += usize::from(cache.as_deref() == Some("hit"));
        assert_eq!(first.get_or_insert_with(|| body.clone()), &body, "a hit answers the same bytes' worth");
    }
    assert_eq!(hits, 9, "one execution for ten reads");
    // Other variables are another entry.
    let (_, _, cache) = s.post_cached(None, PUBLIC_LIST, json!({ "c": "kongtong" })).await.unwrap();
    assert_eq!(cache.as_deref(), Some("miss"));

    let not_kept = [
        // A signed-in caller (visibility is per caller).
        (Some(pl.admin.as_str()), PUBLIC_LIST, vars.clone(), false),
        // A field outside the catalogue snapshot.
        (None, "query($c: String!) { matters(centre: $c) { nodes { code centre { name } } } }", vars.clone(), false),
        // A search by name goes to the database.
        (
            None,
            "query($c: String!) { matters(centre: $c, filter: { name: \"登记\" }) { nodes { code } } }",
            vars.clone(),
            false,
        ),
        // An error.
        (None, PUBLIC_LIST, json!({ "c": "nowhere" }), true),
    ];
    for (token, query, vars, error) in not_kept {
        for _ in 0..2 {
            let (status, body, cache) = s.post_cached(token, query, vars.clone()).await.unwrap();
            assert_eq!(status, 200);
            assert_eq!(body.get("errors").is_some(), error, "{body}");
            assert_eq!(cache, None, "{query} {vars}");
        }
    }
    w.s.cleanup().await.unwrap();
}

/// Concurrent additions share the matter writer's transactions; a bad one (a taken code, an
/// owner unit of another centre) gets its own user error and fails none of the others.
#[tokio::test]
async fn concurrent_additions_commit_together_and_a_bad_one_fails_alone() {
    let w = World::new().await;
    let (s, pl) = (&w.s, &w.pl);
    let add = |code: String, unit: String| async move {
        let input = json!({ "input": { "guide": guide(&code, "并发新增", &unit) } });
        let (status, body) = s.post(Some(&pl.admin), ADD_MATTER, input).await.unwrap();
        assert_eq!(status, 200, "{body}");
        let errors: Vec<(String, String)> = body["data"]["addMatter"]["userErrors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let path: Vec<&str> = e["field"].as_array().unwrap().iter().filter_map(|p| p.as_str()).collect();
                (path.join("."), e["code"].as_str().unwrap().to_owned())
            })
            .collect();
        (code, errors)
    };
    let mut tries = Vec::new();
    for i in 0..40 {
        let (code, unit) = match i {
            // The example's code taken before, and one code asked for twice at once.
            7 => ("62080000SC-XK-0000".to_owned(), pl.units[0].clone()),
            11 | 12 => ("62080000SC-XK-0500".to_owned(), pl.units[0].clone()),
            // An owner unit of another centre.
            23 => ("62080000SC-XK-0523".to_owned(), w.kt.units[0].clone()),
            _ => (format!("62080000SC-XK-{:04}", 600 + i), pl.units[i % pl.units.len()].clone()),
        };
        tries.push(add(code, unit));
    }
    let results = futures_util::future::join_all(tries).await;
    let refused = |code: &str| -> Vec<Vec<(String, String)>> {
        results.iter().filter(|r| r.0 == code && !r.1.is_empty()).map(|r| r.1.clone()).collect()
    };
    assert_eq!(refused("62080000SC-XK-0000"), vec![vec![("input.guide.code".to_owned(), "DUPLICATE".to_owned())]]);
    assert_eq!(refused("62080000SC-XK-0500"), vec![vec![("input.guide.code".to_owned(), "DUPLICATE".to_owned())]]);
    assert_eq!(
        refused("62080000SC-XK-0523"),
        vec![vec![("input.guide.ownerUnit".to_owned(), "INVALID_REFERENCE".to_owned())]]
    );
    let accepted: Vec<&str> = results.iter().filter(|r| r.1.is_empty()).map(|r| r.0.as_str()).collect();
    assert_eq!(accepted.len(), 37, "every good addition is written: {results:?}");
    // Every accepted matter is there, once, at version 1.
    let d = s
        .gql(
            Some(&pl.admin),
            "{ matters(first: 100, filter: { code: \"62080000SC-XK-0\" }) { nodes { code version } } }",
            json!({}),
        )
        .await;
    let listed: Vec<&str> =
        d["matters"]["nodes"].as_array().unwrap().iter().filter_map(|n| n["code"].as_str()).collect();
    for code in &accepted {
        assert_eq!(listed.iter().filter(|c| *c == code).count(), 1, "{code} in {listed:?}");
    }
    assert!(!listed.contains(&"62080000SC-XK-0523"));
    w.s.cleanup().await.unwrap();
}
