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
pub(crate) struct Sink(pub(crate) Arc<Mutex<Vec<u8>>>);

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
    let _guard = capture(subscriber);

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

/// Makes `subscriber` this thread's default, so that it sees what this thread logs, whatever
/// other test threads do. tracing caches each callsite's interest process-wide, computed when
/// another thread first hits it; with a single dispatcher registered, that is asked of the
/// hitting thread's default (none: "never"). A second dispatcher kept alive makes tracing ask
/// every registered one instead, and the rebuild covers callsites hit before.
pub(crate) fn capture(
    subscriber: impl tracing::Subscriber + Send + Sync + 'static,
) -> tracing::subscriber::DefaultGuard {
    static OTHER: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
    OTHER.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()));
    let guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    guard
}

pub(crate) fn tracing_subscriber_like(sink: Sink) -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish()
}

/// `GET /v1/health` answers the meta function's app over `store`: status, body, and how long it
/// took.
async fn health_over(
    store: Arc<dyn hospital_core::store::Store>,
) -> (u16, Value, std::time::Duration) {
    let state = AppState::new(hospital_api::Services {
        deps: Deps {
            store,
            calendar: Calendar::system(),
            cursors: hospital_core::cursor::Cursors::new(b"test"),
        },
        dev_clock: None,
        dev_jobs: None,
        settings: Default::default(),
        reports: None,
        users: None,
        local_identity: None,
    });
    let app = hospital_api::app(&["meta"], state, Arc::new(LocalJwt::new(b"k")));
    let started = std::time::Instant::now();
    let res = app
        .oneshot(Request::get("/v1/health").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = to_bytes(res.into_body(), 1 << 16).await.unwrap();
    (
        status,
        serde_json::from_slice(&body).unwrap(),
        started.elapsed(),
    )
}

/// The health check reads the store: up on both stores (DynamoDB on moto); a DynamoDB that
/// refuses connections, or accepts them and never answers, is a 503 in the envelope naming
/// storage, within the check's 2 s (and the SDK's retries) rather than hanging.
#[tokio::test]
async fn health_reads_the_store_and_names_it_when_down() {
    let up = serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "checks": {"storage": "ok"}});
    for backend in [
        crate::common::Backend::Embedded,
        crate::common::Backend::Dynamo,
    ] {
        let local = crate::common::Local::start(backend).await;
        let (s, b) = crate::common::body(local.get("/v1/health").await).await;
        assert_eq!((s, &b), (200, &up), "{backend:?}");
        local.stop().await;
    }
    hospital_testkit::aws_test_env();
    // Accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    // Refuses them: a port bound, then released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for endpoint in [format!("http://{silent_addr}"), format!("http://{closed}")] {
        let store =
            hospital_adapters::dynamodb::DynamoStore::from_env("hospital", Some(endpoint.clone()))
                .await;
        let (s, b, took) = health_over(Arc::new(store)).await;
        assert_eq!(s, 503, "{endpoint}: {b}");
        assert_eq!(b["error"][0]["field"], "storage", "{endpoint}: {b}");
        assert!(
            b["error"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("storage is down"),
            "{endpoint}: {b}"
        );
        assert!(
            took < std::time::Duration::from_secs(5),
            "{endpoint}: took {took:?}"
        );
    }
    holder.abort();
}

/// A client that sends half a body and then nothing gets a 408 in the envelope once the body's
/// read timeout passes, and its connection is closed — with or without an Idempotency-Key
/// (whose layer reads the body first). A raw TCP client, as a slow one would be.
#[tokio::test]
async fn a_body_that_never_finishes_is_a_408_and_the_connection_closes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let local = crate::common::Local::start(crate::common::Backend::Embedded).await;
    let addr = local.server.as_ref().unwrap().addr;
    let token = local.token(Role::Receptionist);
    let half = r#"{"full_name": "Lenta Mente", "cpf": "#;
    let runs = ["", "Idempotency-Key: slow-1\r\n"].map(|extra| {
        let token = token.clone();
        async move {
            let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let head = format!(
                "POST /v1/patients HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nContent-Length: 400\r\n{extra}\r\n{half}"
            );
            tcp.write_all(head.as_bytes()).await.unwrap();
            let started = std::time::Instant::now();
            // Read to the end: the server must answer and close, the body still unfinished.
            let mut answer = Vec::new();
            tokio::time::timeout(
                hospital_api::body::READ_TIMEOUT + std::time::Duration::from_secs(10),
                tcp.read_to_end(&mut answer),
            )
            .await
            .expect("the server neither answered nor closed")
            .unwrap();
            (
                String::from_utf8_lossy(&answer).to_string(),
                started.elapsed(),
            )
        }
    });
    for (answer, took) in futures::future::join_all(runs).await {
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(took >= hospital_api::body::READ_TIMEOUT, "{took:?}");
        let json = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
        let body: Value = serde_json::from_str(json).unwrap();
        assert_eq!(body["error"][0]["title"], "RequestTimeout", "{body}");
        assert!(body["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    }
    // Nothing was written.
    let (_, page) = crate::common::body(local.get("/v1/patients?name=lenta").await).await;
    assert_eq!(page["items"], serde_json::json!([]));
    local.stop().await;
}
