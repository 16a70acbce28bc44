//! The example deployment (Pingliang city + Kongtong district) loads, idempotently, and the
//! API answers catalogue queries over it.

use onedoor::import::{Deployment, import};
use onedoor_tests::TestServer;
use serde_json::json;

#[tokio::test]
async fn the_example_loads_and_answers_catalogue_queries() {
    let s = TestServer::start().await.unwrap();
    let d = Deployment::from_files(onedoor_tenants_example::PINGLIANG).unwrap();
    let first = import(&s.od, &d, &mut |_| {}).await.unwrap();
    assert_eq!(first.created_total(), d.counts().values().sum::<usize>());
    let again = import(&s.od, &d, &mut |_| {}).await.unwrap();
    assert_eq!(again.created_total(), 0, "a second import creates nothing");

    let q = "{ centre(code: \"kongtong\") { parent { code } halls { code zones { code } } matters(first: 100) { edges { node { code ownerUnit { name } guide { promisedDays statutoryDays } } } } bundles { edges { node { name leadUnit { name } } } } } }";
    let data = s.gql(None, q, json!({})).await;
    let c = &data["centre"];
    assert_eq!(c["parent"]["code"], "pingliang");
    assert_eq!(c["halls"][0]["zones"].as_array().unwrap().len(), 20, "the seed's 20 zones");
    let matters = c["matters"]["edges"].as_array().unwrap();
    assert_eq!(matters.len(), d.counts()["matters"] / 2);
    for m in matters {
        let g = &m["node"]["guide"];
        assert!(g["promisedDays"].as_u64() <= g["statutoryDays"].as_u64(), "{m}");
        assert!(m["node"]["ownerUnit"]["name"].is_string(), "{m}");
    }
    assert!(!c["bundles"]["edges"].as_array().unwrap().is_empty());

    // A comprehensive window of the shared hall serves matters of both centres.
    let q = "{ centre(code: \"pingliang\") { halls { windows(first: 100) { edges { node { number matters { centre { code } } } } } } } }";
    let data = s.gql(None, q, json!({})).await;
    let both = data["centre"]["halls"][0]["windows"]["edges"].as_array().unwrap().iter().any(|w| {
        let centres: Vec<&str> =
            w["node"]["matters"].as_array().unwrap().iter().filter_map(|m| m["centre"]["code"].as_str()).collect();
        centres.contains(&"pingliang") && centres.contains(&"kongtong")
    });
    assert!(both, "no window serves both centres: {data}");
    s.cleanup().await.unwrap();
}
