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
        dev_clock: None,
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
