//! The medications function: the catalogue (RF07) and each medication's stock movements.

use crate::AppState;
use crate::auth::Principal;
use crate::body::JsonBody;
use crate::error::ApiResult;
use crate::openapi::Schemas;
use crate::rbac::{MEDICATION_READ, PHARMACY, STOCK_READ};
use crate::registry::{Function, TableAccess};
use crate::resources::{self, Crud, Ids, crud};
use crate::routes::Route;
use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::routing::post;
use hospital_core::medications::{self, Medication, NewStockMovement, StockMovement};
use serde_json::json;

pub const FUNCTION: Function = Function {
    name: "medications",
    description: "Medications (RF07) and their stock movements",
    table: TableAccess::ReadWrite,
    routes,
};

pub const MOVEMENTS: &str = "/v1/medications/{medication_id}/stock-movements";
pub const MOVEMENT: &str = "/v1/medications/{medication_id}/stock-movements/{id}";

fn routes() -> Vec<Route> {
    let mut routes = crud::<Medication>(
        Crud {
            tag: "medications",
            collection: "/v1/medications",
            item: "/v1/medications/{id}",
            create: PHARMACY,
            read: MEDICATION_READ,
            update: PHARMACY,
            delete: PHARMACY,
        },
        json!({
            "name": "Dipirona Sódica 500 mg", "active_ingredient": "dipirona sódica",
            "presentation": "comprimido 500 mg", "manufacturer": "EMS", "unit": "comprimido",
            "minimum_stock": 100, "expires_on": "2027-06-30"
        }),
    );
    // Movements: listed and read like any sub-resource, created by their own operation.
    routes.extend(resources::reads::<StockMovement>(
        "medications",
        MOVEMENTS,
        MOVEMENT,
        STOCK_READ,
        &Schemas::default(),
    ));
    routes.push(
        Route::at("POST", MOVEMENTS, PHARMACY, post(record_movement))
            .summary("medications", "create_stock_movement", "Record a stock movement")
            .description("Applies the movement to the medication's stock in the same transaction; a movement that would take the stock below zero is refused with 409.")
            .schema::<NewStockMovement>()
            .body("NewStockMovement", &["application/json"])
            .param(resources::idempotency_key())
            .ok(201, "Recorded; Location and ETag headers are set", Some("StockMovementRecord"))
            .error(404, "No such medication")
            .error(409, "Insufficient stock")
            .error(422, "Validation failed; each error names its field")
            .example(json!({"kind": "received", "quantity": 10, "reason": "Recebimento do fornecedor, nota fiscal 004521"}))
            .build(),
    );
    routes
}

/// Records a movement; answers the movement.
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
    Ok(resources::created(&recorded, uri.path()))
}
