//! Health check and the OpenAPI document; both public.

use crate::AppState;
use crate::openapi::Doc;
use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, http::header};
use serde_json::json;
use std::sync::OnceLock;
use utoipa::openapi::path::OperationBuilder;
use utoipa::openapi::{ContentBuilder, ResponseBuilder};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/openapi.json", get(openapi))
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

async fn openapi() -> Response {
    // Built once: the document only changes with the code.
    static DOC: OnceLock<String> = OnceLock::new();
    let body = DOC.get_or_init(|| {
        crate::openapi::document()
            .to_json()
            .unwrap_or_else(|_| "{}".to_string())
    });
    ([(header::CONTENT_TYPE, "application/json")], body.clone()).into_response()
}

pub fn describe(doc: &mut Doc) {
    let json = |d: &str| {
        ResponseBuilder::new()
            .description(d)
            .content("application/json", ContentBuilder::new().build())
            .build()
    };
    doc.operation(
        "GET",
        "/v1/health",
        OperationBuilder::new()
            .tag("meta")
            .summary(Some("Liveness check"))
            .operation_id(Some("health"))
            .response("200", json("The service is up")),
    );
    doc.operation(
        "GET",
        "/v1/openapi.json",
        OperationBuilder::new()
            .tag("meta")
            .summary(Some("This OpenAPI 3.1 document"))
            .operation_id(Some("openapi"))
            .response("200", json("The document")),
    );
}
