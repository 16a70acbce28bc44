//! Token validation: every failure is a 401 with a stable code, and roles are enforced.

use crate::world::{CREATE_UNIT, World};
use onedoor::auth::{AuthSettings, KeyPair, Signer};
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn bad_tokens_are_refused_with_a_code() {
    let w = World::new().await;
    let s = &w.s;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let staff = Uuid::now_v7().to_string();
    let roles = vec!["ADMIN".to_owned()];
    let other_key = Signer::from_pem(&KeyPair::generate().unwrap().private_pem, AuthSettings::default()).unwrap();
    let other_iss = Signer::from_pem(&KeyPair::generate().unwrap().private_pem, AuthSettings::default()).unwrap();
    let _ = other_iss;
    let wrong_aud = {
        let mut c = s.signer.claims(&staff, "pingliang", &roles, now).unwrap();
        c.aud = "someone-else".into();
        s.signer.sign(&c).unwrap()
    };
    let wrong_iss = {
        let mut c = s.signer.claims(&staff, "pingliang", &roles, now).unwrap();
        c.iss = "evil".into();
        s.signer.sign(&c).unwrap()
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("expired", s.signer.issue(&staff, "pingliang", &roles, now - 2 * 86_400).unwrap(), "TOKEN_EXPIRED"),
        ("not yet valid", s.signer.issue(&staff, "pingliang", &roles, now + 3600).unwrap(), "TOKEN_NOT_YET_VALID"),
        ("other key", other_key.issue(&staff, "pingliang", &roles, now).unwrap(), "INVALID_SIGNATURE"),
        ("wrong audience", wrong_aud, "WRONG_AUDIENCE"),
        ("wrong issuer", wrong_iss, "WRONG_ISSUER"),
        ("garbage", "not.a.token".into(), "MALFORMED_TOKEN"),
        ("unknown centre", s.signer.issue(&staff, "atlantis", &roles, now).unwrap(), "UNKNOWN_PRINCIPAL"),
        ("unknown role", s.signer.issue(&staff, "pingliang", &["KING".to_owned()], now).unwrap(), "UNKNOWN_PRINCIPAL"),
        ("staff id not a uuid", s.signer.issue("bob", "pingliang", &roles, now).unwrap(), "UNKNOWN_PRINCIPAL"),
    ];
    for (name, token, code) in cases {
        let (status, body) = s.post(Some(&token), "{ viewer { roles } }", json!({})).await.unwrap();
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{name}: {body}");
    }
    // HS256 with a made-up secret: the algorithm is pinned.
    let hs = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.dGVzdA";
    let (status, body) = s.post(Some(hs), "{ viewer { roles } }", json!({})).await.unwrap();
    assert_eq!((status, body["errors"][0]["extensions"]["code"].as_str()), (401, Some("WRONG_ALGORITHM")), "{body}");
    w.s.cleanup().await.unwrap();
}

#[tokio::test]
async fn roles_are_enforced_and_anonymous_callers_only_read() {
    let w = World::new().await;
    let s = &w.s;
    let input = json!({ "code": "u9", "name": "新单位", "kind": "CITY_DEPARTMENT" });
    let errs = s.user_errors(None, "createUnit", CREATE_UNIT, input.clone()).await.unwrap();
    assert_eq!(errs, vec![("input".into(), "UNAUTHENTICATED".into())]);
    let errs = s.user_errors(Some(&w.pl.clerk), "createUnit", CREATE_UNIT, input.clone()).await.unwrap();
    assert_eq!(errs, vec![("input".into(), "FORBIDDEN".into())]);
    s.mutate(&w.pl.admin, "createUnit", CREATE_UNIT, input).await;
    w.s.cleanup().await.unwrap();
}
