//! Route by route: 401 without a token, 403 for every role the table does not allow, and the
//! allowed roles get past auth. Runs the router in process (no sockets) over the in-memory store.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hospital_adapters::embedded::EmbeddedStore;
use hospital_api::auth::{LocalJwt, Role};
use hospital_api::rbac::routes;
use hospital_core::resource::Deps;
use hospital_core::time::Calendar;
use std::sync::Arc;
use tower::ServiceExt;

const ID: &str = "01JD3Q0V4W6X8Y9Z0A1B2C3D4E";

fn app(jwt: LocalJwt) -> axum::Router {
    let deps = Deps {
        store: Arc::new(EmbeddedStore::in_memory()),
        calendar: Calendar::system(),
        cursors: hospital_core::cursor::Cursors::new(b"test"),
    };
    let state = hospital_api::AppState::new(hospital_api::Services {
        deps,
        // The dev routes are routed only with a dev clock: on, so every route of the table is.
        dev_clock: Some(Arc::new(hospital_core::time::ScenarioClock::default())),
        dev_jobs: None,
        settings: Default::default(),
        reports: None,
        users: None,
        local_identity: None,
    });
    hospital_api::app(&hospital_api::registry::local_names(), state, Arc::new(jwt))
}

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { ID } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

async fn status(app: &axum::Router, method: &str, path: &str, token: Option<String>) -> StatusCode {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if method == "POST" || method == "PATCH" {
        req = req.header("content-type", "application/json");
    }
    let body = if method == "POST" || method == "PATCH" {
        Body::from("{}")
    } else {
        Body::empty()
    };
    app.clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn every_route_enforces_its_roles() {
    let secret = b"rbac-test-secret-rbac-test-secret";
    let app = app(LocalJwt::new(secret));
    let jwt = LocalJwt::new(secret);
    let token = |role: Role| {
        jwt.issue("rbac", &[role], crate::common::now(), 600)
            .unwrap()
    };
    for rule in routes() {
        let path = concrete(rule.path);
        let anonymous = status(&app, rule.method, &path, None).await;
        if rule.roles.is_empty() {
            // Past the auth layer: a success, or the route's own answer to an empty body.
            assert!(
                anonymous != StatusCode::UNAUTHORIZED && anonymous != StatusCode::FORBIDDEN,
                "{} {} is public but gave {anonymous}",
                rule.method,
                rule.path
            );
            continue;
        }
        assert_eq!(
            anonymous,
            StatusCode::UNAUTHORIZED,
            "{} {} without a token",
            rule.method,
            rule.path
        );
        for role in Role::ALL {
            let got = status(&app, rule.method, &path, Some(token(role))).await;
            if rule.roles.contains(&role) {
                assert!(
                    got != StatusCode::FORBIDDEN && got != StatusCode::UNAUTHORIZED,
                    "{} {} as {role:?} gave {got}",
                    rule.method,
                    rule.path
                );
            } else {
                assert_eq!(
                    got,
                    StatusCode::FORBIDDEN,
                    "{} {} as {role:?}",
                    rule.method,
                    rule.path
                );
            }
        }
    }
}

#[tokio::test]
async fn bad_tokens_are_401() {
    let app = app(LocalJwt::new(b"the-real-secret-the-real-secret!!"));
    let forged = LocalJwt::new(b"another-secret-another-secret!!!")
        .issue("x", &[Role::Admin], crate::common::now(), 600)
        .unwrap();
    let expired = LocalJwt::new(b"the-real-secret-the-real-secret!!")
        .issue("x", &[Role::Admin], crate::common::now() - 7200, 600)
        .unwrap();
    let real = LocalJwt::new(b"the-real-secret-the-real-secret!!");
    let now = crate::common::now();
    let day = 24 * 3600;
    // Valid for more than a day: after its iat, or (iat in the future) after now.
    let too_long = real.issue("x", &[Role::Admin], now, day + 60).unwrap();
    let too_far = real
        .issue("x", &[Role::Admin], now + 7200, day - 60)
        .unwrap();
    // A sub that would forge log lines, or none.
    let forging = real
        .issue("x\nINFO request status=200", &[Role::Admin], now, 600)
        .unwrap();
    let escape = real.issue("x\u{1b}[2J", &[Role::Admin], now, 600).unwrap();
    let empty = real.issue("", &[Role::Admin], now, 600).unwrap();
    let huge = real
        .issue(&"x".repeat(256), &[Role::Admin], now, 600)
        .unwrap();
    for t in [too_long, too_far, forging, escape, empty, huge] {
        let mut req = Request::builder()
            .uri("/v1/patients")
            .header("authorization", format!("Bearer {t}"));
        req = req.header("x-request-id", "bad-token");
        let res = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"][0]["title"], "Unauthorized", "{body}");
    }
    // A day exactly, and a sub of 255 characters (accents included), are fine.
    for t in [
        real.issue("x", &[Role::Admin], now, day).unwrap(),
        real.issue(&"é".repeat(255), &[Role::Admin], now, 600)
            .unwrap(),
    ] {
        assert_eq!(
            status(&app, "GET", "/v1/patients", Some(t)).await,
            StatusCode::OK
        );
    }
    for t in [forged, expired, "garbage".to_string()] {
        assert_eq!(
            status(&app, "GET", "/v1/patients", Some(t)).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // HEAD is GET for the RBAC table: no token, no data.
    assert_eq!(
        status(&app, "HEAD", "/v1/patients", None).await,
        StatusCode::UNAUTHORIZED
    );
}

/// A path parameter that is not UTF-8 once decoded (`%FF`) is a 400 in the envelope on every
/// route that has one — never axum's plain-text rejection.
#[tokio::test]
async fn undecodable_path_parameters_are_enveloped_400s() {
    let jwt = LocalJwt::new(b"the-real-secret-the-real-secret!!");
    let token = jwt
        .issue("admin", &[Role::Admin], crate::common::now(), 600)
        .unwrap();
    let app = app(jwt);
    let mut checked = 0;
    for r in routes().iter().filter(|r| r.path.contains('{')) {
        let path: String = r
            .path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "%FF" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let mut req = Request::builder()
            .method(r.method)
            .uri(&path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json");
        req = req.header("x-request-id", "utf8-check");
        let res = app
            .clone()
            .oneshot(req.body(Body::from("{}")).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| panic!("{} {path}: {status} not JSON: {body:?}", r.method));
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{} {path}: {body}",
            r.method
        );
        assert_eq!(
            body["request_id"], "utf8-check",
            "{} {path}: {body}",
            r.method
        );
        assert!(
            body["error"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("UTF-8")),
            "{} {path}: {body}",
            r.method
        );
        checked += 1;
    }
    assert!(checked > 30, "{checked}");
}
