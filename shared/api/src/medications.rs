//! Medications (RF07) and their stock movements.

use crate::AppState;
use crate::auth::Principal;
use crate::body::JsonBody;
use crate::error::ApiResult;
use crate::openapi::{Doc, error_response, header_param, path_param};
use crate::resources::{self, Ids, crud};
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use hospital_core::medications::{self, Medication, NewStockMovement, StockMovement};
use utoipa::openapi::path::OperationBuilder;
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder, Schema};

pub const COLLECTION: &str = "/v1/medications";
pub const ITEM: &str = "/v1/medications/{id}";
pub const MOVEMENTS: &str = "/v1/medications/{medication_id}/stock-movements";
pub const MOVEMENT: &str = "/v1/medications/{medication_id}/stock-movements/{id}";

pub fn router() -> Router<AppState> {
    crud::<Medication>(Router::new(), COLLECTION, ITEM)
        .route(
            MOVEMENTS,
            get(resources::list::<StockMovement>).post(record_movement),
        )
        .route(MOVEMENT, get(resources::get::<StockMovement>))
}

/// Records a movement; answers the movement, with the medication's new ETag in a header.
async fn record_movement(
    State(state): State<AppState>,
    ids: Ids,
    OriginalUri(uri): OriginalUri,
    Extension(principal): Extension<Principal>,
    JsonBody(movement): JsonBody<NewStockMovement>,
) -> ApiResult<Response> {
    let medication_id = ids.first().map(String::as_str).unwrap_or_default();
    let recorded =
        medications::record_movement(&state.deps, medication_id, movement, &principal.sub).await?;
    let mut res = (StatusCode::CREATED, Json(recorded.to_json())).into_response();
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}/{}",
        uri.path().trim_end_matches('/'),
        recorded.id
    )) {
        headers.insert(header::LOCATION, v);
    }
    headers.insert(header::ETAG, HeaderValue::from_static("\"1\""));
    Ok(res)
}

pub fn describe(doc: &mut Doc) {
    doc.resource::<Medication>("medications", COLLECTION, ITEM);
    // Movements: listed and read like any sub-resource, created by their own operation.
    doc.sub_resource_reads::<StockMovement>("medications", MOVEMENTS, MOVEMENT);
    doc.schema::<NewStockMovement>();
    let input: RefOr<Schema> = Ref::from_schema_name("NewStockMovement").into();
    let record: RefOr<Schema> = Ref::from_schema_name("StockMovementRecord").into();
    doc.operation(
        "POST",
        MOVEMENTS,
        OperationBuilder::new()
            .tag("medications")
            .summary(Some("Record a stock movement"))
            .operation_id(Some("create_stock_movement"))
            .description(Some("Applies the movement to the medication's stock in the same transaction; a movement that would take the stock below zero is refused with 409."))
            .parameter(path_param("medication_id", "Id of the medication"))
            .parameter(header_param("Idempotency-Key", "Replays the first response for a repeated key"))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content("application/json", ContentBuilder::new().schema(Some(input)).build())
                    .build(),
            ))
            .response(
                "201",
                ResponseBuilder::new()
                    .description("Recorded")
                    .content("application/json", ContentBuilder::new().schema(Some(record)).build())
                    .build(),
            )
            .response("400", error_response("Malformed JSON"))
            .response("404", error_response("No such medication"))
            .response("409", error_response("Insufficient stock"))
            .response("413", error_response("Body too large"))
            .response("415", error_response("Content-Type is not application/json"))
            .response("422", error_response("Validation failed; each error names its field")),
    );
}
