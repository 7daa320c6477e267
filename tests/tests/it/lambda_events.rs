//! Every sample event in events/<function>/ is replayed through its function's handler, the
//! same `http_app` its Lambda binary runs, over the in-memory store.

use axum::body::to_bytes;
use hospital_adapters::embedded::EmbeddedStore;
use hospital_api::rbac::routes;
use hospital_core::time::Calendar;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

/// Dependencies over a fresh in-memory store.
pub fn memory_deps() -> hospital_core::resource::Deps {
    hospital_core::resource::Deps {
        store: Arc::new(EmbeddedStore::in_memory()),
        calendar: Calendar::system(),
        cursors: hospital_core::cursor::Cursors::new(b"test"),
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn events_of(function: &str) -> Vec<(String, String)> {
    let dir = root().join("events").join(function);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_sample_event_is_served_by_its_function() {
    for function in hospital_api::registry::names() {
        let events = events_of(function);
        assert!(
            !events.is_empty(),
            "events/{function}/ has no sample events"
        );
        // The users function's directory: the store's, with the e-mails in a temporary folder
        // (the Cognito one is tested against moto in accounts::aws).
        let deps = memory_deps();
        let outbox = tempfile::tempdir().unwrap();
        let users = (function == "users").then(|| {
            Arc::new(hospital_core::accounts::LocalAccounts::new(
                &deps,
                Arc::new(hospital_adapters::mail::OutboxMailer::new(
                    outbox.path().to_path_buf(),
                    "no-reply@hospital.example",
                )),
                Default::default(),
            )) as Arc<dyn hospital_core::accounts::Users>
        });
        let app = hospital_functions::http_app_with(function, deps, None, users);
        for (name, text) in events {
            let raw: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let route_key = raw["routeKey"].as_str().unwrap_or_default().to_string();
            assert!(
                routes()
                    .iter()
                    .any(|r| r.function == function
                        && format!("{} {}", r.method, r.path) == route_key),
                "{name}: routeKey {route_key:?} is not a route of {function}"
            );
            let req =
                lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let req = req.map(|b| axum::body::Body::from(b.to_vec()));
            let res = app.clone().oneshot(req).await.unwrap();
            let status = res.status();
            let body = to_bytes(res.into_body(), 1 << 22).await.unwrap();
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            assert!(
                !status.is_server_error() && status != 401 && status != 403,
                "{name}: {status} {body}"
            );
            if status == 404 {
                assert_ne!(
                    body["error"][0]["message"], "no such route",
                    "{name}: route not matched"
                );
            }
            if status.is_client_error() {
                assert!(
                    body["error"].is_array(),
                    "{name}: {status} without envelope: {body}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_created_patient_is_found_by_the_get_event_flow() {
    // create.json against an empty store must create; proves the claims carry a role that may.
    let app = hospital_functions::http_app("patients", memory_deps(), None);
    let text = std::fs::read_to_string(root().join("events/patients/create-patient.json")).unwrap();
    let req = lambda_http::request::from_str(&text)
        .unwrap()
        .map(|b| axum::body::Body::from(b.to_vec()));
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), 201);
    assert!(res.headers().contains_key("location"));
}

/// The automation's samples (an EventBridge event per consumer, a scheduler invocation per
/// job, a stream batch for the relay) through the same handlers the Lambda functions run, over
/// an in-memory store with the mailer writing to a temporary folder.
#[tokio::test]
async fn every_automation_sample_is_handled_by_its_function() {
    use hospital_core::automation::catalogue::{CONSUMERS, JOBS};
    let dir = tempfile::tempdir().unwrap();
    let bus = std::sync::Arc::new(hospital_local::automation::InProcessBus::default());
    let ctx = hospital_core::automation::Ctx {
        deps: memory_deps(),
        settings: std::sync::Arc::new(Default::default()),
        mailer: std::sync::Arc::new(hospital_adapters::mail::OutboxMailer::new(
            dir.path().join("outbox"),
            "no-reply@hospital.example",
        )),
        reports: std::sync::Arc::new(hospital_adapters::files::LocalFiles::new(
            dir.path().join("files"),
        )),
        bus: bus.clone(),
        render: std::sync::Arc::new(hospital_report::Renderer),
    };
    for c in CONSUMERS {
        let path = root().join("events").join(c.name).join("event.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let event = serde_json::from_str(&text).unwrap();
        let out = hospital_functions::consume(&ctx, c, event)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert!(out["outcome"].is_string(), "{}: {out}", c.name);
    }
    for j in JOBS {
        let path = root().join("events").join(j.name).join("schedule.json");
        assert!(path.is_file(), "{} missing", path.display());
        let report = (j.run)(&ctx)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", j.name));
        assert!(report.is_object(), "{}: {report}", j.name);
    }
    let text = std::fs::read_to_string(root().join("events/relay/stream.json")).unwrap();
    let batch = serde_json::from_str(&text).unwrap();
    bus.attach(ctx.clone());
    let out = hospital_functions::relay_records(&ctx, batch)
        .await
        .unwrap();
    assert_eq!(out["batchItemFailures"], serde_json::json!([]));
}

/// What the JWT authorizer does not check, the function does: a token valid for more than a
/// day, or whose sub holds control characters (which would forge log lines), is a 401.
#[tokio::test]
async fn claims_the_authorizer_lets_through_are_checked() {
    let text = std::fs::read_to_string(root().join("events/patients/create-patient.json")).unwrap();
    let base: Value = serde_json::from_str(&text).unwrap();
    let claims = "/requestContext/authorizer/jwt/claims";
    for (field, value) in [
        ("exp", "1796039460"), // iat + 24 h + 1 min
        ("sub", "7f3c2a10\nINFO forged line"),
        ("sub", ""),
    ] {
        let mut event = base.clone();
        event.pointer_mut(claims).unwrap()[field] = Value::from(value);
        let app = hospital_functions::http_app("patients", memory_deps(), None);
        let req = lambda_http::request::from_str(&event.to_string())
            .unwrap()
            .map(|b| axum::body::Body::from(b.to_vec()));
        let res = app.oneshot(req).await.unwrap();
        assert_eq!(res.status(), 401, "{field} = {value:?}");
        let body = to_bytes(res.into_body(), 1 << 16).await.unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"][0]["title"], "Unauthorized", "{body}");
    }
}
