//! Health check and the OpenAPI document; both public.

use crate::AppState;
use crate::rbac::PUBLIC;
use crate::routes::Route;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

pub const HEALTH: &str = "/v1/health";
pub const OPENAPI: &str = "/v1/openapi.json";

/// The routes; `document` gives the OpenAPI document's JSON (the registry's), with the dev
/// routes or without.
pub fn routes(document: fn(bool) -> &'static str) -> Vec<Route> {
    vec![
        Route::at("GET", HEALTH, PUBLIC, get(health))
            .summary("meta", "health", "Liveness check")
            .raw_schema(
                "Health",
                json!({
                    "type": "object",
                    "properties": {"status": {"const": "ok"}, "version": {"type": "string"}},
                    "required": ["status", "version"],
                    "additionalProperties": false,
                }),
            )
            .ok(200, "The service is up", Some("Health"))
            .build(),
        Route::at(
            "GET",
            OPENAPI,
            PUBLIC,
            get(move |State(state): State<AppState>| async move {
                let doc = document(state.dev_clock.is_some());
                ([(header::CONTENT_TYPE, "application/json")], doc).into_response()
            }),
        )
        .summary("meta", "openapi", "This OpenAPI 3.1 document")
        .raw_schema("OpenApiDocument", json!({"type": "object"}))
        .ok(200, "The document", Some("OpenApiDocument"))
        .build(),
    ]
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}
