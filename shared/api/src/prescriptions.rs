//! The prescriptions function (RF06) and the pharmacy's dispensations.

use crate::AppState;
use crate::auth::{Principal, Role};
use crate::body::JsonBody;
use crate::error::{ApiError, ApiResult};
use crate::openapi::Schemas;
use crate::rbac::{DISPENSE, PRESCRIBE, PRESCRIPTION_READ};
use crate::registry::{Function, TableAccess};
use crate::resources::{self, Crud, Ids, created, crud};
use crate::routes::Route;
use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::routing::post;
use hospital_core::prescriptions::{self, Dispensation, NewDispensation, Prescription};
use hospital_core::resource::Repository;
use serde_json::json;

pub const FUNCTION: Function = Function {
    name: "prescriptions",
    description: "Prescriptions (RF06) and their dispensations",
    table: TableAccess::ReadWrite,
    routes,
};

pub const DISPENSATIONS: &str = "/v1/prescriptions/{prescription_id}/dispensations";
pub const DISPENSATION: &str = "/v1/prescriptions/{prescription_id}/dispensations/{id}";

fn routes() -> Vec<Route> {
    let mut routes = crud::<Prescription>(
        Crud {
            tag: "prescriptions",
            collection: "/v1/prescriptions",
            item: "/v1/prescriptions/{id}",
            create: PRESCRIBE,
            read: PRESCRIPTION_READ,
            update: PRESCRIBE,
            delete: &[],
        },
        json!({
            "patient_id": "01JBEN16F07QRVXFM2VY5PFPDZ", "doctor_id": "01JBEMSW30RD39EK9TNMZCBE0T",
            "items": [{"medication_id": "01JBEMSW30RD39EK9TNMZCBE0V", "dose": "500", "dose_unit": "mg",
                       "frequency": "de 8 em 8 horas", "route": "oral", "duration_days": 7, "quantity": 21}]
        }),
    );
    // A doctor changes only their own prescriptions: the generic PATCH, behind that check.
    for r in routes.iter_mut().filter(|r| r.method == "PATCH") {
        r.handler = axum::routing::patch(update);
        if let Some(d) = r.op.description.as_mut() {
            d.insert_str(0, "A doctor changes only the prescriptions they prescribed: the token's `doctor_id` claim names the doctor's record (403 otherwise); an admin changes any. ");
        }
    }
    routes.extend(resources::reads::<Dispensation>(
        "prescriptions",
        DISPENSATIONS,
        DISPENSATION,
        PRESCRIPTION_READ,
        &Schemas::default(),
    ));
    routes.push(
        Route::at("POST", DISPENSATIONS, DISPENSE, post(dispense))
            .summary("prescriptions", "create_dispensation", "Dispense an item")
            .description("Writes the dispensation and the medication's `dispensed` stock movement in one transaction. 409: not enough stock, or more than the item's prescribed quantity; 422: the prescription is not active, or no such item.")
            .schema::<NewDispensation>()
            .body("NewDispensation", &["application/json"])
            .param(resources::idempotency_key())
            .ok(201, "Dispensed; Location and ETag headers are set", Some("DispensationRecord"))
            .error(404, "No such prescription")
            .error(409, "Insufficient stock, or beyond the prescribed quantity")
            .error(422, "Validation failed, the prescription is not active, or no such item")
            .example(json!({"item": 0, "quantity": 7}))
            .build(),
    );
    routes
}

async fn dispense(
    State(state): State<AppState>,
    ids: Ids,
    OriginalUri(uri): OriginalUri,
    Extension(principal): Extension<Principal>,
    JsonBody(input): JsonBody<NewDispensation>,
) -> ApiResult<Response> {
    let prescription_id = ids.first().map(String::as_str).unwrap_or_default();
    let record =
        prescriptions::dispense(&state.deps, prescription_id, input, &principal.sub).await?;
    Ok(created(&record, uri.path()))
}

/// The doctor record the caller acts as: the token's `doctor_id` claim
/// ([`crate::auth::DOCTOR_CLAIM`]). The one place that says it, so that a link kept with a
/// user account can be read here instead.
pub async fn acting_doctor(_state: &AppState, principal: &Principal) -> Option<String> {
    principal.doctor_id.clone()
}

/// `PATCH /v1/prescriptions/{id}`: an admin changes any prescription, a doctor only those
/// they prescribed (a prescription's doctor never changes, so the check can't go stale).
async fn update(
    State(state): State<AppState>,
    ids: Ids,
    Extension(principal): Extension<Principal>,
    headers: axum::http::HeaderMap,
    patch: crate::body::MergePatch,
) -> ApiResult<Response> {
    if !principal.roles.contains(&Role::Admin) {
        let id = ids.first().map(String::as_str).unwrap_or_default();
        let current = Repository::<Prescription>::new(state.deps.clone())
            .get(None, id)
            .await?;
        if acting_doctor(&state, &principal).await.as_deref() != Some(&current.data.doctor_id) {
            return Err(ApiError::forbidden_because(
                "a doctor changes only their own prescriptions (the token's doctor_id names the doctor)",
            ));
        }
    }
    resources::update::<Prescription>(
        State(state),
        ids,
        headers,
        Some(Extension(principal)),
        patch,
    )
    .await
}
