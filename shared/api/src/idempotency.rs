//! `Idempotency-Key` on POST (docs/http.md): the first response for a key is stored for 24 hours
//! and replayed for a repeat of the same request; the same key with a different request is a
//! 422; a repeat while the first is still running is a 409. Keys are scoped to the caller: its
//! subject and roles.
//! A "pending" marker claims the key first (a conditional write), so two racing requests with
//! one key can never both run.

use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hospital_core::store::{Condition, Item, Key, StoreError, Write};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const HEADER: &str = "idempotency-key";
/// How long a completed response is replayed.
const KEEP_SECS: i64 = 24 * 3600;
/// How long a claim of a request that never finished (a crash) blocks its key.
const PENDING_SECS: i64 = 60;
/// Response headers worth replaying.
const REPLAYED: [&str; 3] = ["content-type", "location", "etag"];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(raw) = req.headers().get(HEADER).cloned() else {
        return next.run(req).await;
    };
    // Public routes (logging in) have no caller to scope a key to, and their responses
    // (tokens) are not to be kept: they are never replayed.
    if req.extensions().get::<Principal>().is_none() {
        return next.run(req).await;
    }
    match run(state, raw, req, next).await {
        Ok(res) | Err(res) => res,
    }
}

async fn run(
    state: AppState,
    raw: HeaderValue,
    req: Request,
    next: Next,
) -> Result<Response, Response> {
    let key = raw
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters")
                .with_field("Idempotency-Key")
                .into_response()
        })?
        .to_string();
    let caller = req
        .extensions()
        .get::<Principal>()
        .map(caller_scope)
        .unwrap_or_default();
    let (parts, body) = req.into_parts();
    let bytes = crate::body::collect(body)
        .await
        .map_err(IntoResponse::into_response)?;
    let fingerprint = {
        let mut h = Sha256::new();
        h.update(parts.uri.path().as_bytes());
        h.update([0]);
        h.update(&bytes);
        hex(&h.finalize())
    };
    let id = hex(&Sha256::digest(format!("{caller}\u{0}{key}").as_bytes()));
    let store_key = Key::new(format!("idempotency#{id}"), "idempotency");
    let store = state.deps.store.clone();
    let now = state.deps.calendar.now().timestamp();
    let fail = |e: StoreError| ApiError::from(hospital_core::DomainError::from(e)).into_response();

    let mut claim = base_item(&store_key, &fingerprint);
    claim.insert("state".into(), "pending".into());
    claim.insert("expires_at".into(), (now + PENDING_SECS).into());
    match store
        .transact(vec![Write::put_if(claim, Condition::NotExists)])
        .await
    {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { .. }) => {
            let stored = store.get(&store_key).await.map_err(fail)?;
            return Err(replay(stored, &fingerprint));
        }
        Err(e) => return Err(fail(e)),
    }

    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    if res.status().is_server_error() {
        // Let the caller retry with the same key.
        let _ = store.transact(vec![Write::delete(store_key)]).await;
        return Ok(res);
    }
    let (res_parts, res_body) = res.into_parts();
    let body = to_bytes(res_body, usize::MAX).await.unwrap_or_default();
    let mut done = base_item(&store_key, &fingerprint);
    done.insert("state".into(), "complete".into());
    done.insert("expires_at".into(), (now + KEEP_SECS).into());
    done.insert("status".into(), res_parts.status.as_u16().into());
    let headers: serde_json::Map<String, Value> = REPLAYED
        .iter()
        .filter_map(|h| {
            let v = res_parts.headers.get(*h)?.to_str().ok()?;
            Some((h.to_string(), Value::from(v)))
        })
        .collect();
    done.insert("headers".into(), Value::Object(headers));
    done.insert("body".into(), STANDARD.encode(&body).into());
    if let Err(e) = store.transact(vec![Write::put(done)]).await {
        tracing::error!(error = %e, "could not record the idempotent response");
    }
    Ok(Response::from_parts(res_parts, Body::from(body)))
}

/// Whose keys these are: the subject with its roles (sorted, so their order in the token does
/// not matter). The same key from another subject, or from the same subject with other roles,
/// is another key: a response is replayed only to a caller who could have asked for it.
fn caller_scope(p: &Principal) -> String {
    let mut roles: Vec<&str> = p.roles.iter().map(|r| r.as_str()).collect();
    roles.sort_unstable();
    roles.dedup();
    format!("{}\u{0}{}", p.sub, roles.join(","))
}

fn base_item(key: &Key, fingerprint: &str) -> Item {
    let Value::Object(item) = json!({
        "pk": key.pk, "sk": key.sk, "entity": "idempotency", "fingerprint": fingerprint,
    }) else {
        unreachable!()
    };
    item
}

fn replay(stored: Option<Item>, fingerprint: &str) -> Response {
    let Some(item) = stored else {
        // The claim expired between our write and read: treat as in progress, retry soon.
        return in_progress();
    };
    if item.get("fingerprint").and_then(Value::as_str) != Some(fingerprint) {
        return ApiError::validation(vec![hospital_core::FieldError::new(
            "Idempotency-Key",
            "was already used for a different request",
        )])
        .into_response();
    }
    if item.get("state").and_then(Value::as_str) != Some("complete") {
        return in_progress();
    }
    let status = item
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::OK);
    let body = item
        .get("body")
        .and_then(Value::as_str)
        .and_then(|b| STANDARD.decode(b).ok())
        .unwrap_or_default();
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    if let Some(Value::Object(headers)) = item.get("headers") {
        for (k, v) in headers {
            if let (Ok(name), Some(Ok(value))) = (
                HeaderName::try_from(k.as_str()),
                v.as_str().map(HeaderValue::from_str),
            ) {
                res.headers_mut().insert(name, value);
            }
        }
    }
    res.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}

fn in_progress() -> Response {
    ApiError::new(
        StatusCode::CONFLICT,
        "Conflict",
        "a request with this Idempotency-Key is still in progress; retry shortly",
    )
    .with_field("Idempotency-Key")
    .into_response()
}
