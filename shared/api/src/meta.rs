//! Health check (which reads the store) and the OpenAPI document; both public.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::rbac::PUBLIC;
use crate::routes::Route;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

pub const HEALTH: &str = "/v1/health";
pub const OPENAPI: &str = "/v1/openapi.json";

/// The routes; `document` gives the OpenAPI document's JSON (the registry's), with the dev
/// routes or without.
pub fn routes(document: fn(bool, bool) -> &'static str) -> Vec<Route> {
    vec![
        Route::at("GET", HEALTH, PUBLIC, get(health))
            .summary("meta", "health", "Health check: the service and its storage")
            .description("Reads the store (one item, at most 2 seconds): 200 when it answers, 503 naming the dependency down when it does not.")
            .raw_schema(
                "Health",
                json!({
                    "type": "object",
                    "properties": {
                        "status": {"const": "ok"},
                        "version": {"type": "string"},
                        "checks": {
                            "type": "object",
                            "description": "Each dependency read, and how it answered",
                            "properties": {"storage": {"const": "ok"}},
                            "required": ["storage"],
                            "additionalProperties": false,
                        },
                    },
                    "required": ["status", "version", "checks"],
                    "additionalProperties": false,
                }),
            )
            .ok(200, "The service and its storage are up", Some("Health"))
            .error(503, "A dependency is down; the message names it (storage)")
            .build(),
        Route::at(
            "GET",
            OPENAPI,
            PUBLIC,
            get(move |State(state): State<AppState>| async move {
                // hospital-local is the one with an identity provider of its own.
                let doc = document(state.local_identity.is_some(), state.dev_clock.is_some());
                ([(header::CONTENT_TYPE, "application/json")], doc).into_response()
            }),
        )
        .summary("meta", "openapi", "This OpenAPI 3.1 document")
        .raw_schema("OpenApiDocument", json!({"type": "object"}))
        .ok(200, "The document", Some("OpenApiDocument"))
        .build(),
    ]
}

/// How long the health check waits for the store: a load balancer or an operator asking wants
/// an answer soon, and a store slower than this is as good as down to every request.
pub const STORE_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads one item of the store (a key nothing writes: the read is all it costs).
async fn health(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    let key = hospital_core::store::Key::new("health", "health");
    let down = |why: String, detail: String| {
        tracing::error!(dependency = "storage", %why, %detail, "health check failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            format!("storage is down: {why}"),
        )
        .with_field("storage")
    };
    // The store's own error stays in the log: it may name hosts and tables.
    match tokio::time::timeout(STORE_CHECK, state.deps.store.get(&key)).await {
        Ok(Ok(_)) => Ok(Json(json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "checks": {"storage": "ok"},
        }))),
        Ok(Err(e)) => Err(down(
            "it answered a read with an error".into(),
            e.to_string(),
        )),
        Err(_) => Err(down(
            format!("no answer to a read within {} s", STORE_CHECK.as_secs()),
            String::new(),
        )),
    }
}
