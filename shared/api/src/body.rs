//! Request body extractors whose every rejection is an enveloped error: wrong content type 415,
//! too large 413, too slow 408, not JSON 400, JSON that breaks the schema 422 naming the field.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

fn media_type(req: &Request) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

async fn read<S: Send + Sync>(
    req: Request,
    state: &S,
    accepted: &[&str],
) -> Result<Bytes, ApiError> {
    match media_type(&req) {
        Some(t) if accepted.contains(&t.as_str()) => {}
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                format!("Content-Type must be {}", accepted.join(" or ")),
            ));
        }
    }
    let read = Bytes::from_request(req, state);
    match tokio::time::timeout(READ_TIMEOUT, read).await {
        Err(_) => Err(too_slow()),
        Ok(read) => read.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(_)
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                too_large()
            }
            e if e.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
            _ => ApiError::bad_request("could not read the request body"),
        }),
    }
}

/// How long a request body may take to arrive, all of it: a client that starts a body and
/// never finishes it (or trickles it) would otherwise hold its connection and a task forever.
pub const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A body that did not arrive within [`READ_TIMEOUT`]: 408, and the connection closed (the
/// rest of the body is not waited for).
pub fn too_slow() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "RequestTimeout",
        format!(
            "the request body did not arrive within {} s",
            READ_TIMEOUT.as_secs()
        ),
    )
}

/// All of `body`, at most [`MAX_BODY_BYTES`] within [`READ_TIMEOUT`] (for the layers that read
/// a body before the handler: idempotency keys).
pub async fn collect(body: axum::body::Body) -> Result<Bytes, ApiError> {
    match tokio::time::timeout(READ_TIMEOUT, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Err(_) => Err(too_slow()),
        Ok(Ok(bytes)) => Ok(bytes),
        // to_bytes says only that it failed: over the limit is by far the likelier cause
        // (a broken connection gets no answer anyway).
        Ok(Err(_)) => Err(too_large()),
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PayloadTooLarge",
        format!("the request body exceeds {MAX_BODY_BYTES} bytes"),
    )
}

fn parse(bytes: &[u8]) -> Result<Value, ApiError> {
    hospital_core::json::parse_strict(bytes)
        .map_err(|msg| ApiError::bad_request(format!("malformed JSON: {msg}")))
}

/// A JSON body (`application/json`) decoded into `T`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = read(req, state, &["application/json"]).await?;
        let value = parse(&bytes)?;
        hospital_core::json::decode(value)
            .map(JsonBody)
            .map_err(|e| ApiError::validation(vec![e]))
    }
}

/// A JSON Merge Patch document (RFC 7396), as `application/merge-patch+json` or
/// `application/json`.
pub struct MergePatch(pub Value);

impl<S: Send + Sync> FromRequest<S> for MergePatch {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = read(
            req,
            state,
            &["application/merge-patch+json", "application/json"],
        )
        .await?;
        parse(&bytes).map(MergePatch)
    }
}
