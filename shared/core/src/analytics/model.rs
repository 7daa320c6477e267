//! What the analytics answer: the JSON bodies of `GET /v1/analytics/<name>` (field names are
//! part of the API: dashboards read them) and the daily report that gathers them.
//!
//! Percentages carry one decimal, day counts two, money is integer cents; a ratio whose
//! denominator is zero is `null`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One period (a day, or an ISO week starting on Monday) of a census.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OccupancyRow {
    /// The period's first day.
    #[schema(value_type = String, format = Date)]
    pub start: NaiveDate,
    pub patient_days: i64,
    pub available_bed_days: i64,
    pub occupancy_percent: Option<f64>,
    /// Occupancy over the 7 days ending on the period's last day.
    pub moving_average_7d_percent: Option<f64>,
}

/// A sector's daily occupancy stayed above the alert threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OccupancyAlert {
    /// First day of the run of days above the threshold that ends on `to`.
    #[schema(value_type = String, format = Date)]
    pub since: NaiveDate,
    pub days: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SectorOccupancy {
    pub sector_id: String,
    pub name: String,
    pub rows: Vec<OccupancyRow>,
    pub alert: Option<OccupancyAlert>,
}

/// `GET /v1/analytics/occupancy` (RF17, AD01).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Occupancy {
    pub hospital: Vec<OccupancyRow>,
    pub sectors: Vec<SectorOccupancy>,
}

/// Appointments of one period by status (counted by `starts_at`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AppointmentRow {
    #[schema(value_type = String, format = Date)]
    pub start: NaiveDate,
    pub total: i64,
    pub booked: i64,
    pub checked_in: i64,
    pub fulfilled: i64,
    pub cancelled: i64,
    pub noshow: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AppointmentGroup {
    /// The doctor's or the specialty's id.
    pub id: String,
    pub name: String,
    pub rows: Vec<AppointmentRow>,
}

/// AD02: a specialty's demand dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AppointmentAlert {
    pub specialty_id: String,
    pub name: String,
    /// Appointments (cancelled excluded) in the 7 days ending `to`.
    pub last_7_days: i64,
    /// Appointments (cancelled excluded) in the 28 days before those 7, divided by 4.
    pub weekly_average_4_weeks: f64,
    pub drop_percent: f64,
}

/// `GET /v1/analytics/appointments` (RF18, AD02).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Appointments {
    pub groups: Vec<AppointmentGroup>,
    pub alerts: Vec<AppointmentAlert>,
}

/// Billing figures of an insurer, or of all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BillingFigures {
    pub entries: i64,
    pub billed_cents: i64,
    pub received_cents: i64,
    pub pending_cents: i64,
    /// Pending with `due_on` before today.
    pub overdue_cents: i64,
    pub overdue_rate_percent: Option<f64>,
    pub average_ticket_cents: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InsurerBilling {
    /// `null`: private pay.
    pub insurer_id: Option<String>,
    pub name: String,
    #[serde(flatten)]
    pub figures: BillingFigures,
}

/// `GET /v1/analytics/billing` (RF19, AD03).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Billing {
    pub insurers: Vec<InsurerBilling>,
    pub totals: BillingFigures,
    /// The insurer with the highest overdue rate (above zero); `null` when none is overdue
    /// or when it is private pay.
    pub highest_overdue_rate_insurer_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StayGroup {
    /// ICD-10 code, or chapter (`IX`).
    pub code: String,
    pub text: String,
    pub discharges: i64,
    pub mean_days: f64,
    pub median_days: f64,
    pub p90_days: f64,
}

/// `GET /v1/analytics/length-of-stay` (RF20).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LengthOfStay {
    pub discharges: i64,
    pub patient_days: i64,
    pub average_stay_days: Option<f64>,
    pub groups: Vec<StayGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DiagnosisCount {
    pub code: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Readmission {
    pub admission_id: String,
    pub previous_admission_id: String,
    pub days_since_discharge: f64,
}

/// `GET /v1/analytics/readmissions` (RF21, AD04).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Readmissions {
    pub admissions: i64,
    pub readmissions: i64,
    pub rate_percent: Option<f64>,
    pub top_diagnoses: Vec<DiagnosisCount>,
    pub items: Vec<Readmission>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoverageItem {
    pub medication_id: String,
    pub name: String,
    pub stock_quantity: i64,
    /// Units dispensed in the last `days` days.
    pub dispensed: i64,
    pub average_daily_use: f64,
    /// `null` when nothing was dispensed.
    pub coverage_days: Option<f64>,
    pub below_threshold: bool,
}

/// `GET /v1/analytics/medication-coverage` (AD05).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MedicationCoverage {
    pub items: Vec<CoverageItem>,
}

/// What is overdue on the report's day, whatever month it was issued: entries still pending
/// whose `due_on` is before the day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overdue {
    pub entries: i64,
    pub total_cents: i64,
    /// Per insurer, the largest first; private pay as `insurer_id: null`.
    pub insurers: Vec<OverdueInsurer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueInsurer {
    pub insurer_id: Option<String>,
    pub name: String,
    pub entries: i64,
    pub total_cents: i64,
    /// The oldest `due_on` among them.
    pub oldest_due_on: NaiveDate,
}

/// A readmission as management reads it: whose, for what, where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadmissionLine {
    pub admission_id: String,
    pub patient_name: String,
    /// The readmission's admitting diagnosis.
    pub diagnosis_code: String,
    pub diagnosis_text: String,
    /// The sector it was admitted to.
    pub sector_name: String,
    pub admitted_on: NaiveDate,
    /// When the previous admission ended.
    pub previous_discharged_on: Option<NaiveDate>,
    pub days_since_discharge: f64,
}

/// A medication out of stock or below its minimum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockLine {
    pub medication_id: String,
    pub name: String,
    /// The unit it is counted in (`ampola`, `comprimido`, …).
    pub unit: String,
    pub stock_quantity: i64,
    pub minimum_stock: i64,
}

/// An alert the report lists (occupancy, demand, coverage, overdue bills, operations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportAlert {
    pub kind: String,
    pub message: String,
}

/// RF25: the previous day's report, as rendered to PDF, XLSX and CSV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyReport {
    pub hospital_name: String,
    /// The day reported.
    pub date: NaiveDate,
    /// When it was made (RFC 3339, hospital time zone).
    pub generated_at: String,
    /// The 30 days ending `date`, per day (the chart's trend).
    pub occupancy: Occupancy,
    /// The day, per specialty.
    pub appointments: Appointments,
    /// The month to `date`, per insurer.
    pub billing: Billing,
    /// Discharges of the 30 days ending `date`, per diagnosis chapter.
    pub length_of_stay: LengthOfStay,
    /// Admissions of the 30 days ending `date`, readmitted within 30 days.
    pub readmissions: Readmissions,
    /// Stock now against the last 30 days' use; only those under the threshold.
    pub coverage: MedicationCoverage,
    /// Pending entries due before `date`, whatever month they were issued.
    #[serde(default)]
    pub overdue: Overdue,
    /// `readmissions.items`, named.
    #[serde(default)]
    pub readmitted: Vec<ReadmissionLine>,
    /// Medications out of stock or below their minimum now, out of stock first.
    #[serde(default)]
    pub stock: Vec<StockLine>,
    pub alerts: Vec<ReportAlert>,
}
