//! A local mock of the Lambda Runtime API, one per process start: it hands out a single
//! invocation (an API Gateway HTTP API event for `GET /v1/patients/{id}`), reports what the
//! function does over a channel, and answers the function's DynamoDB calls too (the
//! function's DynamoDB endpoint points here).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

const PATIENT_ID_IN_EVENT: &str = "01JD3Q0V4W6X8Y9Z0A1B2C3D4E";

pub enum MockEvent {
    Next(Instant),
    Response {
        at: Instant,
        id: String,
        body: Bytes,
    },
    Error {
        id: String,
        body: Bytes,
    },
    DynamoDb(String),
}

struct Mock {
    /// The request id handed out by the next `/next`, or None once the one invocation of the
    /// current run is out (later `/next` calls wait until the process is killed).
    pending: Mutex<Option<String>>,
    events: mpsc::UnboundedSender<MockEvent>,
}

impl Mock {
    fn emit(&self, event: MockEvent) {
        // The receiver lives as long as the run; a send error only means it is over.
        let _ = self.events.send(event);
    }
}

/// A mock serving on `listener` (on the runtime of `server`) that hands out one invocation,
/// `run_id`; what happens comes out of the returned receiver.
pub fn serve(
    listener: std::net::TcpListener,
    run_id: &str,
    server: &tokio::runtime::Handle,
) -> (
    mpsc::UnboundedReceiver<MockEvent>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mock = Arc::new(Mock {
        pending: Mutex::new(Some(run_id.to_string())),
        events: tx,
    });
    let router = router(mock);
    let task = server.spawn(async move {
        let served = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => axum::serve(listener, router).await,
            Err(e) => Err(e),
        };
        if let Err(e) = served {
            eprintln!("mock Runtime API stopped: {e}");
        }
    });
    (rx, task)
}

fn invocation_event() -> serde_json::Value {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    serde_json::json!({
        "version": "2.0",
        "routeKey": "GET /v1/patients/{id}",
        "rawPath": format!("/v1/patients/{PATIENT_ID_IN_EVENT}"),
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "host": "bench.execute-api.us-east-1.amazonaws.com",
            "user-agent": "hospital-bench",
            "x-forwarded-proto": "https"
        },
        "pathParameters": { "id": PATIENT_ID_IN_EVENT },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "bench.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "bench",
            "http": {
                "method": "GET",
                "path": format!("/v1/patients/{PATIENT_ID_IN_EVENT}"),
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "hospital-bench"
            },
            "requestId": "hospital-bench",
            "routeKey": "GET /v1/patients/{id}",
            "stage": "$default",
            "time": "29/Nov/2026:12:00:00 +0000",
            "timeEpoch": now_ms,
            "authorizer": {
                "jwt": {
                    "claims": { "sub": "bench", "roles": "[doctor]" },
                    "scopes": null
                }
            }
        },
        "isBase64Encoded": false
    })
}

async fn next(State(mock): State<Arc<Mock>>) -> Response {
    mock.emit(MockEvent::Next(Instant::now()));
    let id = mock.pending.lock().map(|mut p| p.take()).unwrap_or(None);
    let Some(id) = id else {
        // One invocation per process start: the runtime now waits here until it is killed.
        return std::future::pending().await;
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
        + 30_000;
    (
        [
            ("lambda-runtime-aws-request-id", id),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:bench".to_string(),
            ),
            (
                "lambda-runtime-trace-id",
                "Root=1-6749ac40-0123456789abcdef01234567;Sampled=0".to_string(),
            ),
            ("content-type", "application/json".to_string()),
        ],
        invocation_event().to_string(),
    )
        .into_response()
}

async fn response(
    State(mock): State<Arc<Mock>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let at = Instant::now();
    mock.emit(MockEvent::Response { at, id, body });
    StatusCode::ACCEPTED
}

async fn invocation_error(
    State(mock): State<Arc<Mock>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    mock.emit(MockEvent::Error { id, body });
    StatusCode::ACCEPTED
}

async fn init_error(State(mock): State<Arc<Mock>>, body: Bytes) -> StatusCode {
    mock.emit(MockEvent::Error {
        id: "init".into(),
        body,
    });
    StatusCode::ACCEPTED
}

/// Everything else: DynamoDB calls (the functions' endpoint points here) get an empty JSON
/// answer, i.e. `GetItem` finds nothing, so the function's GET answers 404 without the network.
async fn fallback(State(mock): State<Arc<Mock>>, headers: HeaderMap) -> Response {
    match headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        Some(target) => {
            mock.emit(MockEvent::DynamoDb(target.to_string()));
            ([(header::CONTENT_TYPE, "application/x-amz-json-1.0")], "{}").into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn router(mock: Arc<Mock>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route(
            "/2018-06-01/runtime/invocation/{id}/error",
            post(invocation_error),
        )
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .fallback(fallback)
        .with_state(mock)
}
