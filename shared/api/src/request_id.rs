//! A request id on every response and every log line of the request. Taken from the caller's
//! `x-request-id` when sane (API Gateway sets one), else a new ULID. Log lines carry the method,
//! the route template and the status, never the query string or a body: they may hold personal
//! data (names, CPF), which must not reach the logs. The same layer raises RF26's alert when
//! the answer is a 5xx.

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument;

use crate::AppState;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served, inside the middleware's scope.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

fn sane(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The outermost layer: the request id, the request's log line, and RF26's alert on a 5xx.
/// One layer rather than two, because every layer costs each request a boxed future and a
/// clone of the service under it (docs/benchmarks.md).
pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_string)
        .unwrap_or_else(hospital_core::ids::new_id);
    let method = req.method().clone();
    // MatchedPath holds an Arc<str>: cloning it allocates nothing.
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
    let span = tracing::info_span!("request", request_id = %id, %method, route = %route);
    let started = Instant::now();
    let mut res = REQUEST_ID
        .scope(id.clone(), next.run(req).instrument(span.clone()))
        .await;
    let status = res.status();
    span.in_scope(|| {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), ms, "request failed");
        } else {
            tracing::info!(status = status.as_u16(), ms, "request");
        }
    });
    if status.is_server_error() {
        crate::alert_on_server_error(&state, status, &method, route, &id).await;
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, v);
    }
    res
}
