//! The analytics functions (RF17–RF21, AD01–AD05), one Lambda function per indicator, and
//! the reports function that serves past daily reports (RF25). Each route documents its
//! formula; `docs/analytics.md` says the same for people.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::openapi::{query_param, required_query_param};
use crate::registry::{Function, TableAccess};
use crate::routes::Route;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hospital_core::analytics::appointments::GroupBy;
use hospital_core::analytics::coverage::parse_days;
use hospital_core::analytics::model::{
    Appointments, Billing, LengthOfStay, MedicationCoverage, Occupancy, Readmissions,
};
use hospital_core::analytics::stays::StayGroupBy;
use hospital_core::analytics::{self, Period, Span};
use hospital_core::automation::jobs::report_key;
use hospital_core::ids;
use hospital_core::time::parse_date;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Managers and administrators read the indicators; billing reads the financial one too.
pub const ANALYTICS: &[crate::auth::Role] = &[crate::auth::Role::Admin, crate::auth::Role::Manager];
pub const FINANCIAL: &[crate::auth::Role] = &[
    crate::auth::Role::Admin,
    crate::auth::Role::Manager,
    crate::auth::Role::Billing,
];

/// A query string's parameters, each known and given once.
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(query: Option<String>, known: &[&str]) -> ApiResult<Self> {
        let mut out = HashMap::new();
        for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let k = k.into_owned();
            if !known.contains(&k.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter {k:?}; known: {}",
                    known.join(", ")
                ))
                .with_field(k));
            }
            if out.insert(k.clone(), v.into_owned()).is_some() {
                return Err(ApiError::bad_request(format!("{k} is given twice")).with_field(k));
            }
        }
        Ok(Params(out))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn span(&self) -> ApiResult<Span> {
        Ok(Span::parse(self.get("from"), self.get("to"))?)
    }
}

fn date_param(name: &str, what: &str) -> utoipa::openapi::path::Parameter {
    required_query_param(
        name,
        what,
        json!({"type": "string", "format": "date", "example": "2026-11-01"}),
    )
}

fn enum_param(
    name: &str,
    what: &str,
    values: &[&str],
    default: &str,
) -> utoipa::openapi::path::Parameter {
    query_param(
        name,
        what,
        json!({"type": "string", "enum": values, "default": default}),
    )
}

fn days_param(
    name: &str,
    what: &str,
    default: i64,
    min: i64,
    max: i64,
) -> utoipa::openapi::path::Parameter {
    query_param(
        name,
        what,
        json!({"type": "integer", "minimum": min, "maximum": max, "default": default}),
    )
}

/// An indicator's function: one GET route.
macro_rules! indicator {
    ($name:literal, $desc:literal, $route:ident) => {
        Function {
            name: $name,
            description: $desc,
            table: TableAccess::Read,
            routes: || vec![$route()],
        }
    };
}

pub const OCCUPANCY_FN: Function = indicator!(
    "analytics-occupancy",
    "RF17, AD01: bed occupancy by the census, per sector and day or week",
    occupancy_route
);
pub const APPOINTMENTS_FN: Function = indicator!(
    "analytics-appointments",
    "RF18, AD02: appointments per doctor or specialty and period; demand drops",
    appointments_route
);
pub const BILLING_FN: Function = indicator!(
    "analytics-billing",
    "RF19, AD03: billing per insurer, overdue rates",
    billing_route
);
pub const LENGTH_OF_STAY_FN: Function = indicator!(
    "analytics-length-of-stay",
    "RF20: length of stay per diagnosis or ICD-10 chapter",
    length_of_stay_route
);
pub const READMISSIONS_FN: Function = indicator!(
    "analytics-readmissions",
    "RF21, AD04: readmissions within N days",
    readmissions_route
);
pub const COVERAGE_FN: Function = indicator!(
    "analytics-medication-coverage",
    "AD05: days of stock at the recent use, per medication",
    coverage_route
);
pub const REPORTS_FN: Function = Function {
    name: "reports",
    description: "RF25: past daily reports (PDF, XLSX)",
    table: TableAccess::ReportFiles,
    routes: || vec![reports_route()],
};

const RANGE_NOTE: &str = "`from` and `to` are the hospital's days (YYYY-MM-DD, inclusive, at most 366 days). Percentages have one decimal, day counts two, money is integer cents; a ratio over zero is null.";

fn occupancy_route() -> Route {
    Route::at("GET", "/v1/analytics/occupancy", ANALYTICS, get(occupancy))
        .summary("analytics-occupancy", "occupancy", "Bed occupancy (RF17, AD01)")
        .description(&format!("{RANGE_NOTE}\n\n\
The census is taken at 24:00 of each day in the hospital's time zone (Brazilian Ministry of Health conventions). \
**patient_days**: patients in a bed of the sector at the census — the day of discharge does not count, the day of admission does; a patient admitted and discharged on the same day counts one patient-day that day; a transferred patient counts in the sector of the bed held at the census. \
**available_bed_days**: the sector's beds that exist at the census and are not `maintenance` or `blocked` then. \
**occupancy_percent** = patient_days / available_bed_days × 100. A week row (ISO week, from Monday; `start` is its Monday) sums its days within the range. \
**moving_average_7d_percent** = Σ patient_days / Σ available_bed_days over the 7 days ending on the row's last day. \
**alert** (per sector): non-null when the daily occupancy was above OCCUPANCY_ALERT_PERCENT (default 85) on each of the last 3 days of the range: `since` is the first day of that run within the range, `days` its length. \
Days after today are not reported; today's census is the present. With `sector_id`, `hospital` is that sector's."))
        .param(date_param("from", "First day"))
        .param(date_param("to", "Last day"))
        .param(enum_param("period", "Rows per day or per ISO week", &["day", "week"], "day"))
        .param(query_param("sector_id", "Only this sector", serde_json::from_str(hospital_core::resource::ULID_SCHEMA).unwrap_or(Value::Null)))
        .schema::<Occupancy>()
        .ok(200, "The census", Some("Occupancy"))
        .error(400, "A missing or malformed parameter, or a range over 366 days")
        .error(404, "No such sector")
        .build()
}

async fn occupancy(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Occupancy>> {
    let p = Params::parse(q, &["from", "to", "period", "sector_id"])?;
    let span = p.span()?;
    let period = Period::parse(p.get("period"), &[Period::Day, Period::Week])?;
    let sector = p.get("sector_id");
    if let Some(s) = sector
        && !ids::is_id(s)
    {
        return Err(
            ApiError::bad_request("sector_id must be a sector id (ULID)").with_field("sector_id"),
        );
    }
    let alert = state.settings.occupancy_alert_percent;
    Ok(Json(
        analytics::occupancy::occupancy(&state.deps, span, period, sector, alert).await?,
    ))
}

fn appointments_route() -> Route {
    Route::at("GET", "/v1/analytics/appointments", ANALYTICS, get(appointments))
        .summary("analytics-appointments", "appointments_analytics", "Appointments by doctor or specialty (RF18, AD02)")
        .description(&format!("{RANGE_NOTE}\n\n\
Appointments are counted on the day of `starts_at` (hospital time), in their current status; `total` is every status. Rows are per day, ISO week (from Monday) or month; `start` is the period's first day and a row counts its days within the range. Groups with no appointment in the range are left out. \
**alerts** (AD02, per specialty, whatever `group_by`): L = appointments (cancelled excluded) in the 7 days ending `to`; A = the same count over the 28 days before those 7; `weekly_average_4_weeks` = A / 4; `drop_percent` = (A/4 − L) / (A/4) × 100; a specialty alerts when drop_percent > 20."))
        .param(date_param("from", "First day"))
        .param(date_param("to", "Last day"))
        .param(enum_param("group_by", "Group by", &["doctor", "specialty"], "specialty"))
        .param(enum_param("period", "Rows per", &["day", "week", "month"], "day"))
        .schema::<Appointments>()
        .ok(200, "The counts", Some("Appointments"))
        .error(400, "A missing or malformed parameter, or a range over 366 days")
        .build()
}

async fn appointments(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Appointments>> {
    let p = Params::parse(q, &["from", "to", "group_by", "period"])?;
    let span = p.span()?;
    let group_by = GroupBy::parse(p.get("group_by"))?;
    let period = Period::parse(p.get("period"), &[Period::Day, Period::Week, Period::Month])?;
    Ok(Json(
        analytics::appointments::appointments(&state.deps, span, group_by, period).await?,
    ))
}

fn billing_route() -> Route {
    Route::at("GET", "/v1/analytics/billing", FINANCIAL, get(billing))
        .summary("analytics-billing", "billing_analytics", "Billing per insurer (RF19, AD03)")
        .description(&format!("{RANGE_NOTE}\n\n\
Entries issued in the range (`issued_on`), cancelled ones excluded; `insurer_id` null is private pay. \
**billed_cents** = Σ amount; **received_cents** = Σ amount of paid entries; **pending_cents** = Σ amount of pending entries; **overdue_cents** = Σ amount of pending entries with `due_on` before today; \
**overdue_rate_percent** = overdue / billed × 100; **average_ticket_cents** = billed / entries, rounded half up. \
**highest_overdue_rate_insurer_id**: the insurer (private pay excluded) with the highest overdue rate above zero, the first by name on a tie; null when none."))
        .param(date_param("from", "First day of issue"))
        .param(date_param("to", "Last day of issue"))
        .schema::<Billing>()
        .ok(200, "The figures", Some("Billing"))
        .error(400, "A missing or malformed parameter, or a range over 366 days")
        .build()
}

async fn billing(State(state): State<AppState>, RawQuery(q): RawQuery) -> ApiResult<Json<Billing>> {
    let p = Params::parse(q, &["from", "to"])?;
    Ok(Json(
        analytics::billing::billing(&state.deps, p.span()?).await?,
    ))
}

fn length_of_stay_route() -> Route {
    Route::at("GET", "/v1/analytics/length-of-stay", ANALYTICS, get(length_of_stay))
        .summary("analytics-length-of-stay", "length_of_stay", "Length of stay (RF20)")
        .description(&format!("{RANGE_NOTE}\n\n\
Finished admissions (any disposition: deaths and transfers out included) whose `discharged_at` falls in the range. \
**patient_days** = Σ their census patient-days (a stay admitted and discharged on one day counts 1); **average_stay_days** = patient_days / discharges. \
Per group — the discharge diagnosis code, or its ICD-10 chapter (`IX` for I00–I99) — over the stays' lengths (discharged_at − admitted_at) / 24 h: **mean_days**; **median_days** (the mean of the middle two for an even count); **p90_days** by the nearest-rank method (the ⌈0.9 n⌉-th smallest). Groups by discharges, most first."))
        .param(date_param("from", "First day of discharge"))
        .param(date_param("to", "Last day of discharge"))
        .param(enum_param("group_by", "Group by", &["diagnosis", "chapter"], "diagnosis"))
        .schema::<LengthOfStay>()
        .ok(200, "The figures", Some("LengthOfStay"))
        .error(400, "A missing or malformed parameter, or a range over 366 days")
        .build()
}

async fn length_of_stay(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<LengthOfStay>> {
    let p = Params::parse(q, &["from", "to", "group_by"])?;
    let by = StayGroupBy::parse(p.get("group_by"))?;
    Ok(Json(
        analytics::stays::length_of_stay(&state.deps, p.span()?, by).await?,
    ))
}

fn readmissions_route() -> Route {
    Route::at("GET", "/v1/analytics/readmissions", ANALYTICS, get(readmissions))
        .summary("analytics-readmissions", "readmissions", "Readmissions (RF21, AD04)")
        .description(&format!("{RANGE_NOTE}\n\n\
Admissions (not cancelled) whose `admitted_at` falls in the range. One is a **readmission** when it begins within `days` × 24 h after the discharge of the same patient's previous admission. \
**rate_percent** = readmissions / admissions × 100; **top_diagnoses**: the 3 most frequent admitting diagnosis codes among readmissions, ties by code; **days_since_discharge** = (admitted_at − previous discharged_at) / 24 h."))
        .param(date_param("from", "First day of admission"))
        .param(date_param("to", "Last day of admission"))
        .param(days_param("days", "The readmission window, in days", 30, 1, 365))
        .schema::<Readmissions>()
        .ok(200, "The figures", Some("Readmissions"))
        .error(400, "A missing or malformed parameter, or a range over 366 days")
        .build()
}

async fn readmissions(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Readmissions>> {
    let p = Params::parse(q, &["from", "to", "days"])?;
    let span = p.span()?;
    let days = parse_days("days", p.get("days"), 30, 1, 365)?;
    Ok(Json(
        analytics::stays::readmissions(&state.deps, span, days).await?,
    ))
}

fn coverage_route() -> Route {
    Route::at("GET", "/v1/analytics/medication-coverage", ANALYTICS, get(coverage))
        .summary("analytics-medication-coverage", "medication_coverage", "Medication coverage (AD05)")
        .description("Over the `days` days ending today: **dispensed** = units of the `dispensed` stock movements recorded in those days; **average_daily_use** = dispensed / days (two decimals); **coverage_days** = stock_quantity / average_daily_use (two decimals; null when nothing was dispensed); **below_threshold** = coverage_days < threshold_days. Sorted by coverage, shortest first, null last, then by name.")
        .param(days_param("days", "The window of use, in days", 30, 1, 365))
        .param(days_param("threshold_days", "Coverage under this many days is flagged", 5, 0, 365))
        .schema::<MedicationCoverage>()
        .ok(200, "The medications", Some("MedicationCoverage"))
        .error(400, "A malformed parameter")
        .build()
}

async fn coverage(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<MedicationCoverage>> {
    let p = Params::parse(q, &["days", "threshold_days"])?;
    let days = parse_days("days", p.get("days"), 30, 1, 365)?;
    let threshold = parse_days("threshold_days", p.get("threshold_days"), 5, 0, 365)?;
    Ok(Json(
        analytics::coverage::coverage(&state.deps, days, threshold).await?,
    ))
}

pub const REPORT: &str = "/v1/reports/daily/{file}";

fn reports_route() -> Route {
    Route::at("GET", REPORT, ANALYTICS, get(report))
        .summary("reports", "daily_report", "A past daily report (RF25)")
        .description("`{file}` is `<YYYY-MM-DD>.pdf` or `<YYYY-MM-DD>.xlsx`: the report of that day, as e-mailed to MANAGEMENT_EMAILS by the daily-report job (07:00, the previous day).")
        .with_op(|op| {
            op.response(
                "200",
                utoipa::openapi::ResponseBuilder::new()
                    .description("The file")
                    .content("application/pdf", utoipa::openapi::ContentBuilder::new().build())
                    .content(XLSX, utoipa::openapi::ContentBuilder::new().build())
                    .build(),
            )
        })
        .error(404, "No report of that day (or not a .pdf or .xlsx name)")
        .build()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn report(
    State(state): State<AppState>,
    ids: crate::resources::Ids,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    Params::parse(q, &[])?;
    let file = ids.first().cloned().unwrap_or_default();
    let not_found = || ApiError::not_found(format!("no daily report {file:?}")).with_field("file");
    let (day, ext, content_type) = match file.rsplit_once('.') {
        Some((d, "pdf")) => (d, "pdf", "application/pdf"),
        Some((d, "xlsx")) => (d, "xlsx", XLSX),
        _ => return Err(not_found()),
    };
    let date = parse_date(day).map_err(|_| not_found())?;
    let files = state
        .reports
        .as_ref()
        .ok_or_else(|| ApiError::not_found("reports are not kept here"))?;
    let key = report_key(date, &format!("relatorio-diario-{date}.{ext}"));
    match files.get(&key).await? {
        Some(bytes) => Ok((
            [
                (header::CONTENT_TYPE, content_type.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"relatorio-diario-{date}.{ext}\""),
                ),
            ],
            bytes,
        )
            .into_response()),
        None => Err(not_found()),
    }
}
