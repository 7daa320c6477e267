//! What the automation did (RF26): the e-mails the notifier sent or skipped, the operational
//! alerts kept for on-call, and the runs of the scheduled jobs — each a list, newest first,
//! paged by cursor like every other list, for administrators and managers. The records are
//! written by the notifier, the `keep-alert` consumer and every job run, and kept 30 days.

use crate::AppState;
use crate::analytics::Params;
use crate::error::{ApiError, ApiResult};
use crate::rbac::ADMINISTRATION;
use crate::registry::{Function, TableAccess};
use crate::routes::Route;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use hospital_core::automation::consumers::{ALERTS, EMAILS, alert_label};
use hospital_core::automation::runs::JOB_RUNS;
use hospital_core::store::{Index, Item, Query};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

pub const FUNCTION: Function = Function {
    name: "automation-log",
    description: "RF26: what the automation did: e-mails, operational alerts, job runs",
    table: TableAccess::Read,
    routes,
};

pub const EMAILS_PATH: &str = "/v1/automation/emails";
pub const ALERTS_PATH: &str = "/v1/automation/alerts";
pub const JOB_RUNS_PATH: &str = "/v1/automation/job-runs";

/// An e-mail the notifier handled.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailLog {
    /// The `NotificationRequested` event's id.
    pub id: String,
    /// When it was handled (UTC).
    #[schema(format = DateTime)]
    pub at: String,
    /// `appointment_reminder`, `bed_released`, `tariff_missing`, `oncall_alert`, …
    pub template: String,
    /// `sent`; `skipped`: no recipient had an e-mail address; `rejected`: not sendable (a
    /// refused address, a template error).
    #[schema(pattern = "^(sent|skipped|rejected)$")]
    pub status: String,
    /// The addresses it went to.
    pub to: Vec<String>,
    /// Who it was for, by id (`{"patient": "01J…"}`, `{"list": "billing"}`, …).
    pub recipients: Vec<Value>,
    /// The mail service's id, when sent.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Why it was not sent.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An operational alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertLog {
    /// The `OperationalAlert` event's id.
    pub id: String,
    #[schema(format = DateTime)]
    pub at: String,
    /// `server_error`, `missing_tariff`, `job_failed`, `stock_mismatch`, …
    pub kind: String,
    /// The kind as on-call reads it (pt-BR).
    pub label: String,
    /// What it is about (a route, an admission id, a job's name).
    pub subject: String,
    pub message: String,
    /// `unmailed` until an on-call digest lists it, then `mailed`.
    #[schema(pattern = "^(unmailed|mailed)$")]
    pub state: String,
    #[schema(nullable = false, format = DateTime)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailed_at: Option<String>,
}

/// A run of a scheduled job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobRun {
    pub id: String,
    /// The job's name (`reminders`, `daily-report`, …).
    pub job: String,
    #[schema(format = DateTime)]
    pub started_at: String,
    /// Absent while it runs (or when it died midway).
    #[schema(nullable = false, format = DateTime)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[schema(pattern = "^(running|ok|failed)$")]
    pub outcome: String,
    /// Its report's figures: each number, and the length of each list.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<Map<String, Value>>,
    /// Why it failed.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmailLogPage {
    pub items: Vec<EmailLog>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertLogPage {
    pub items: Vec<AlertLog>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobRunPage {
    pub items: Vec<JobRun>,
    pub next_cursor: Option<String>,
}

fn routes() -> Vec<Route> {
    let list = |path: &'static str, id: &str, summary: &str, handler, page: &str| {
        Route::at("GET", path, ADMINISTRATION, handler)
            .summary("automation-log", id, summary)
            .description("Newest first; kept 30 days. Paged: `limit` (1–200, default 50) and `cursor` (the previous page's `next_cursor`).")
            .params(crate::openapi::paging)
            .ok(200, "A page", Some(page))
            .error(400, "An unknown parameter, a bad limit or a tampered cursor")
    };
    vec![
        list(
            EMAILS_PATH,
            "automation_emails",
            "E-mails the automation sent or skipped",
            get(emails),
            "EmailLogPage",
        )
        .schema::<EmailLogPage>()
        .build(),
        list(
            ALERTS_PATH,
            "automation_alerts",
            "Operational alerts, and whether on-call was mailed",
            get(alerts),
            "AlertLogPage",
        )
        .schema::<AlertLogPage>()
        .build(),
        list(
            JOB_RUNS_PATH,
            "automation_job_runs",
            "Runs of the scheduled jobs: outcome, counts, error",
            get(job_runs),
            "JobRunPage",
        )
        .schema::<JobRunPage>()
        .build(),
    ]
}

/// One page of an automation list (an index partition read backwards: newest first).
async fn page(
    state: &AppState,
    q: Option<String>,
    partition: &str,
) -> ApiResult<(Vec<Item>, Option<String>)> {
    let p = Params::parse(q, &["limit", "cursor"])?;
    let limit = p
        .get("limit")
        .map(|v| {
            v.parse::<usize>().map_err(|_| {
                ApiError::bad_request("limit must be a whole number").with_field("limit")
            })
        })
        .transpose()?;
    let query = Query::index(Index::Gsi1, partition).backward();
    Ok(state.deps.page(query, limit, p.get("cursor")).await?)
}

fn text(i: &Item, k: &str) -> String {
    i.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn opt(i: &Item, k: &str) -> Option<String> {
    i.get(k).and_then(Value::as_str).map(str::to_string)
}

async fn emails(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<EmailLogPage>> {
    let (items, next_cursor) = page(&state, q, EMAILS).await?;
    let items = items
        .iter()
        .map(|i| EmailLog {
            id: text(i, "id"),
            at: text(i, "at"),
            template: text(i, "template"),
            status: text(i, "status"),
            to: i
                .get("to")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            recipients: i
                .get("recipients")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            message_id: opt(i, "message_id"),
            error: opt(i, "error"),
        })
        .collect();
    Ok(Json(EmailLogPage { items, next_cursor }))
}

async fn alerts(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<AlertLogPage>> {
    let (items, next_cursor) = page(&state, q, ALERTS).await?;
    let items = items
        .iter()
        .map(|i| {
            let kind = text(i, "kind");
            AlertLog {
                id: text(i, "id"),
                at: text(i, "at"),
                label: alert_label(&kind).to_string(),
                kind,
                subject: text(i, "subject"),
                message: text(i, "message"),
                state: text(i, "state"),
                mailed_at: opt(i, "mailed_at"),
            }
        })
        .collect();
    Ok(Json(AlertLogPage { items, next_cursor }))
}

async fn job_runs(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<JobRunPage>> {
    let (items, next_cursor) = page(&state, q, JOB_RUNS).await?;
    let items = items
        .iter()
        .map(|i| JobRun {
            id: text(i, "id"),
            job: text(i, "job"),
            started_at: text(i, "started_at"),
            finished_at: opt(i, "finished_at"),
            outcome: text(i, "outcome"),
            counts: i.get("counts").and_then(Value::as_object).cloned(),
            error: opt(i, "error"),
        })
        .collect();
    Ok(Json(JobRunPage { items, next_cursor }))
}
