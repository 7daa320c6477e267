//! The admissions function (RF08, RF09): admitting, transferring, discharging and cancelling.

use crate::AppState;
use crate::auth::Principal;
use crate::body::JsonBody;
use crate::error::{ApiError, ApiResult};
use crate::rbac::{
    ADMISSION_CANCEL, ADMISSION_CANCEL_LATE, ADMISSION_READ, ADMISSION_UPDATE, ADMIT, DISCHARGE,
    FRONT_DESK_CANCEL_HOURS, TRANSFER,
};
use crate::registry::{Function, TableAccess};
use crate::resources::{self, Crud, Ids, crud_with};
use crate::routes::Route;
use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::routing::post;
use hospital_core::admissions::{self, Admission, Cancel, Discharge, Transfer};
use hospital_core::resource::Repository;
use serde_json::{Value, json};

pub const FUNCTION: Function = Function {
    name: "admissions",
    description: "Admissions (RF08) and the beds they hold (RF09): admit, transfer, discharge, cancel",
    table: TableAccess::ReadWrite,
    routes,
};

const COLLECTION: &str = "/v1/admissions";

fn routes() -> Vec<Route> {
    let mut routes = crud_with::<Admission>(
        Crud {
            tag: "admissions",
            collection: COLLECTION,
            item: "/v1/admissions/{id}",
            create: ADMIT,
            read: ADMISSION_READ,
            update: ADMISSION_UPDATE,
            delete: &[],
        },
        json!({
            "patient_id": "01JBEN16F07QRVXFM2VY5PFPDZ", "bed_id": "01JBEMSW30RD39EK9TNMZCBE0T",
            "attending_doctor_id": "01JBEMSW30RD39EK9TNMZCBE0V",
            "admitting_diagnosis": {"code": "I21.9", "text": "Infarto agudo do miocárdio"}
        }),
        post(admit),
    );
    let action = |path: &'static str,
                  roles,
                  handler,
                  id: &str,
                  summary: &str,
                  description: &str,
                  schema: &str,
                  example: Value| {
        Route::at("POST", path, roles, handler)
            .summary("admissions", id, summary)
            .description(description)
            .body(schema, &["application/json"])
            .ok(
                200,
                "The admission as it is now; ETag header set",
                Some("AdmissionRecord"),
            )
            .error(404, "No such admission")
            .error(
                409,
                "The bed is not available, or the time overlaps another stay",
            )
            .error(
                422,
                "Validation failed, or the admission is not in progress",
            )
            .example(example)
    };
    routes.push(
        action(
            "/v1/admissions/{id}/transfer",
            TRANSFER,
            resources::withholding::<Admission>(post(transfer)),
            "transfer_admission",
            "Move the patient to another bed",
            "The new bed becomes occupied and the old one cleaning; `stays` records the move. `at` (default now) is not in the future nor before the admission's last step.",
            "Transfer",
            json!({"bed_id": "01JBEMSW30RD39EK9TNMZCBE0W"}),
        )
        .schema::<Transfer>()
        .build(),
    );
    routes.push(
        action(
            "/v1/admissions/{id}/discharge",
            DISCHARGE,
            resources::withholding::<Admission>(post(discharge)),
            "discharge_admission",
            "Discharge the patient",
            "in_progress → finished; the bed goes to cleaning. `discharged_at` (default now) is not in the future nor before the last transfer.",
            "Discharge",
            json!({"disposition": "home", "discharge_diagnosis": {"code": "I21.9", "text": "Infarto agudo do miocárdio"}}),
        )
        .schema::<Discharge>()
        .build(),
    );
    routes.push(
        action(
            "/v1/admissions/{id}/cancel",
            ADMISSION_CANCEL,
            resources::withholding::<Admission>(post(cancel)),
            "cancel_admission",
            "Cancel an admission entered in error",
            "in_progress → cancelled; the bed is available again. A receptionist cancels only within 24 hours of the admission's registration (`created_at`; 403 after).",
            "Cancel",
            json!({"reason": "Registrada no paciente errado"}),
        )
        .schema::<Cancel>()
        .build(),
    );
    routes
}

async fn admit(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let record = admissions::admit(&state.deps, body).await?;
    Ok(resources::created(&record, uri.path()))
}

fn id_of(ids: &Ids) -> &str {
    ids.first().map(String::as_str).unwrap_or_default()
}

async fn transfer(
    State(state): State<AppState>,
    ids: Ids,
    JsonBody(input): JsonBody<Transfer>,
) -> ApiResult<Response> {
    let record = admissions::transfer(&state.deps, id_of(&ids), input).await?;
    Ok(resources::ok(&record))
}

async fn discharge(
    State(state): State<AppState>,
    ids: Ids,
    JsonBody(input): JsonBody<Discharge>,
) -> ApiResult<Response> {
    let record = admissions::discharge(&state.deps, id_of(&ids), input).await?;
    Ok(resources::ok(&record))
}

/// The front desk cancels what it registered by mistake, within a day of registering it;
/// an admission older than that is a stay, which nursing or an administrator cancels. Its
/// `created_at` never changes, so reading it first can't go stale.
async fn cancel(
    State(state): State<AppState>,
    ids: Ids,
    Extension(principal): Extension<Principal>,
    JsonBody(input): JsonBody<Cancel>,
) -> ApiResult<Response> {
    if !principal
        .roles
        .iter()
        .any(|r| ADMISSION_CANCEL_LATE.contains(r))
    {
        let admission = Repository::<Admission>::new(state.deps.clone())
            .get(None, id_of(&ids))
            .await?;
        let age = state.deps.calendar.now() - admission.created_at;
        if age > chrono::Duration::hours(FRONT_DESK_CANCEL_HOURS) {
            return Err(ApiError::forbidden_because(format!(
                "the front desk cancels an admission within {FRONT_DESK_CANCEL_HOURS} hours of registering it; nursing or an administrator cancels this one"
            )));
        }
    }
    let record = admissions::cancel(&state.deps, id_of(&ids), input).await?;
    Ok(resources::ok(&record))
}
