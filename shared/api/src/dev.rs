//! hospital-local's development routes (`/v1/dev/**`, admin only): the scenario clock and the
//! scheduled jobs on demand. They exist only when hospital-local runs with
//! `HOSPITAL_DEV_CLOCK=1` (neither routed nor documented otherwise: [`crate::app`]); no Lambda
//! function serves them and the template has none of them.

use crate::AppState;
use crate::body::JsonBody;
use crate::error::{ApiError, ApiResult};
use crate::rbac::ONLY_ADMIN;
use crate::registry::{Function, TableAccess};
use crate::routes::Route;
use axum::Json;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use hospital_core::resource::record::rfc3339;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

pub const FUNCTION: Function = Function {
    name: "dev",
    description: "hospital-local only: the scenario clock and the scheduled jobs on demand",
    table: TableAccess::None,
    routes,
};

pub const CLOCK: &str = "/v1/dev/clock";
pub const JOB: &str = "/v1/dev/jobs/{name}";

/// `PUT /v1/dev/clock`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetClock {
    /// RFC 3339: the server's now from here on, fixed until set again.
    #[serde(with = "hospital_core::time::instant")]
    #[schema(value_type = String, format = DateTime, example = "2026-03-02T10:00:00-03:00")]
    pub now: DateTime<Utc>,
}

/// The clock as the server reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockState {
    #[schema(format = DateTime)]
    pub now: String,
    /// The hospital's date at `now`.
    #[schema(format = Date)]
    pub today: String,
    /// Whether the clock is set (fixed) or real time.
    pub fixed: bool,
}

fn routes() -> Vec<Route> {
    vec![
        Route::at("GET", CLOCK, ONLY_ADMIN, get(read))
            .summary("dev", "get_dev_clock", "The scenario clock (hospital-local, HOSPITAL_DEV_CLOCK=1)")
            .schema::<ClockState>()
            .ok(200, "The clock", Some("ClockState"))
            .build(),
        Route::at("PUT", CLOCK, ONLY_ADMIN, axum::routing::put(set))
            .summary("dev", "set_dev_clock", "Set the server's now (hospital-local, HOSPITAL_DEV_CLOCK=1)")
            .description("From then on every rule that reads the time (today's date, bookings, census, reminders, overdue bills) reads this instant, fixed, until it is set again or cleared.")
            .schema::<SetClock>()
            .schema::<ClockState>()
            .body("SetClock", &["application/json"])
            .ok(200, "The clock, set", Some("ClockState"))
            .error(422, "Not an RFC 3339 timestamp")
            .example(json!({"now": "2026-03-02T10:00:00-03:00"}))
            .build(),
        Route::at("POST", JOB, ONLY_ADMIN, axum::routing::post(run_job))
            .summary("dev", "run_dev_job", "Run a scheduled job now (hospital-local)")
            .param(crate::openapi::query_param("date", "daily-report only: the day to report (YYYY-MM-DD; default yesterday)", json!({"type": "string", "format": "date"})))
            .description("Runs the job once, at the server's now (the dev clock's, when set), waits for the e-mails it asks for to be written, and answers what it did. The jobs: reminders, beds-low, billing-overdue, exams-overdue, long-stays, stock-sweep, consistency-scan, alert-digest, outbox-sweep, daily-report (which takes `?date=`).")
            .raw_schema("JobRun", json!({"type": "object", "description": "What the job did: its counts and the subjects it acted on"}))
            .ok(200, "What the job did", Some("JobRun"))
            .error(400, "A date for a job other than daily-report, or not a date")
            .error(404, "No such job")
            .error(422, "The job refused its input (a daily report of a future day)")
            .error(503, "The job failed: storage unavailable")
            .build(),
        Route::at("DELETE", CLOCK, ONLY_ADMIN, axum::routing::delete(clear))
            .summary("dev", "clear_dev_clock", "Back to real time (hospital-local, HOSPITAL_DEV_CLOCK=1)")
            .schema::<ClockState>()
            .ok(200, "The clock, real again", Some("ClockState"))
            .build(),
    ]
}

fn clock(state: &AppState) -> ApiResult<&hospital_core::time::ScenarioClock> {
    state.dev_clock.as_deref().ok_or_else(|| {
        ApiError::not_found("the dev clock is off; start hospital-local with HOSPITAL_DEV_CLOCK=1")
    })
}

fn state_of(state: &AppState) -> ApiResult<Json<ClockState>> {
    let fixed = clock(state)?.fixed().is_some();
    Ok(Json(ClockState {
        now: rfc3339(state.deps.calendar.now()),
        today: state.deps.calendar.today().to_string(),
        fixed,
    }))
}

async fn read(State(state): State<AppState>) -> ApiResult<Json<ClockState>> {
    state_of(&state)
}

async fn set(
    State(state): State<AppState>,
    JsonBody(input): JsonBody<SetClock>,
) -> ApiResult<Json<ClockState>> {
    clock(&state)?.set(Some(input.now));
    tracing::info!(now = %rfc3339(input.now), "dev clock set");
    state_of(&state)
}

async fn run_job(
    State(state): State<AppState>,
    ids: crate::resources::Ids,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> ApiResult<Json<serde_json::Value>> {
    let name = ids.first().cloned().unwrap_or_default();
    let runner = state
        .dev_jobs
        .as_ref()
        .ok_or_else(|| ApiError::not_found("jobs run on demand in hospital-local only"))?;
    let mut date = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "date" if date.is_none() => date = Some(v.into_owned()),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown or repeated query parameter {other:?}"
                ))
                .with_field(other.to_string()));
            }
        }
    }
    Ok(Json(runner(name, date).await?))
}

async fn clear(State(state): State<AppState>) -> ApiResult<Json<ClockState>> {
    clock(&state)?.set(None);
    tracing::info!("dev clock cleared");
    state_of(&state)
}
