//! The shared HTTP machinery: panics become an enveloped 500 with the request id, request ids
//! are echoed, and no personal data reaches the logs.

use axum::body::{Body, to_bytes};
use axum::http::Request;
use axum::routing::get;
use hospital_adapters::embedded::EmbeddedStore;
use hospital_api::auth::{LocalJwt, Role};
use hospital_api::{AppState, with_shared_layers};
use hospital_core::resource::Deps;
use hospital_core::time::Calendar;
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

fn deps() -> Deps {
    deps_on(Arc::new(EmbeddedStore::in_memory()))
}

fn deps_on(store: Arc<EmbeddedStore>) -> Deps {
    Deps {
        store,
        calendar: Calendar::system(),
        cursors: hospital_core::cursor::Cursors::new(b"test"),
    }
}

#[tokio::test]
async fn a_panic_is_an_enveloped_500_with_the_request_id_and_an_alert() {
    let store = Arc::new(EmbeddedStore::in_memory());
    // A public route from the RBAC table, served by a handler that panics.
    let routes = axum::Router::<AppState>::new().route(
        "/v1/health",
        get(|| async {
            if true {
                panic!("boom: internal detail");
            }
        }),
    );
    let app = with_shared_layers(
        routes,
        AppState::new(hospital_api::Services {
            deps: deps_on(store.clone()),
            dev_clock: None,
            dev_jobs: None,
            settings: Default::default(),
            reports: None,
            users: None,
            local_identity: None,
        }),
        hospital_api::auth::Access::new(
            Arc::new(LocalJwt::new(b"k")),
            hospital_api::auth::Rules::all(),
        ),
    );
    let req = Request::get("/v1/health")
        .header("x-request-id", "req-123")
        .body(Body::empty())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), 500);
    assert_eq!(res.headers()["x-request-id"], "req-123");
    let body: Value =
        serde_json::from_slice(&to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
    assert_eq!(body["error"][0]["title"], "InternalError");
    assert_eq!(body["request_id"], "req-123");
    assert!(!body.to_string().contains("boom"), "{body}");

    // RF26: the 5xx is an OperationalAlert in the outbox, written before the response went
    // (a Lambda environment is frozen once it answers), so no waiting here.
    let q = hospital_core::store::Query::index(
        hospital_core::store::Index::Gsi2,
        hospital_core::events::PENDING,
    );
    let alert = hospital_core::store::Store::query(store.as_ref(), &q)
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|e| e["detail_type"] == "OperationalAlert");
    let alert = alert.expect("no OperationalAlert for the 500");
    assert_eq!(alert["detail"]["kind"], "server_error", "{alert:?}");
    let text = serde_json::to_string(&alert["detail"]).unwrap();
    assert!(
        text.contains("GET /v1/health") && text.contains("req-123"),
        "{text}"
    );
    assert!(!text.contains("boom"), "{text}");
}

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn logs_carry_request_ids_but_no_personal_data() {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber_like(writer);
    let _guard = tracing::subscriber::set_default(subscriber);

    let jwt = LocalJwt::new(b"log-test-secret-log-test-secret!");
    let token = jwt
        .issue("user-7", &[Role::Admin], crate::common::now(), 600)
        .unwrap();
    let state = AppState::new(hospital_api::Services {
        deps: deps(),
        dev_clock: None,
        dev_jobs: None,
        settings: Default::default(),
        reports: None,
        users: None,
        local_identity: None,
    });
    let app = hospital_api::app(&hospital_api::registry::local_names(), state, Arc::new(jwt));
    let patient = crate::common::patient("Beatriz Nascimento", 77);
    let mut bad = patient.clone();
    bad["email"] = "beatriz-secret@example.com-not-valid".into();
    for (uri, body) in [
        ("/v1/patients", patient.to_string()),
        ("/v1/patients", bad.to_string()),
    ] {
        let req = Request::post(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        app.clone().oneshot(req).await.unwrap();
    }
    let cpf = crate::common::cpf(77);
    let req = Request::get(format!("/v1/patients?cpf={cpf}&name=Beatriz"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    app.clone().oneshot(req).await.unwrap();

    let logs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("request_id"),
        "no request ids in logs: {logs}"
    );
    for secret in [
        "Beatriz",
        "Nascimento",
        cpf.as_str(),
        "beatriz-secret",
        "+5511987654321",
    ] {
        assert!(!logs.contains(secret), "log leaks {secret:?}: {logs}");
    }
}

fn tracing_subscriber_like(sink: Sink) -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish()
}
