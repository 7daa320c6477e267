//! Every HTTP function of the system, once: its name (the Lambda function and the OpenAPI
//! tag), what it is for, the table access it needs, and its routes — each route with its
//! roles, handler and OpenAPI operation. hospital-local mounts them all, a Lambda function its
//! own; the RBAC table, the OpenAPI document, the SAM template's functions and the sample
//! events are derived from this list.

use crate::openapi::Schemas;
use crate::routes::Route;
use crate::{
    admissions, analytics, appointments, beds, billing, doctors, exams, insurers, medications,
    meta, patients, prescriptions, reviews, sectors, specialties, staff, tariffs,
};
use serde_json::Value;
use std::sync::OnceLock;

/// What a function may do with the table (its least-privilege policy in the template).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableAccess {
    None,
    Read,
    ReadWrite,
    /// No table: reads the reports bucket (the daily reports' files).
    ReportFiles,
}

pub struct Function {
    /// The function's name: `HOSPITAL_FUNCTION` of its Lambda function, its OpenAPI tag.
    pub name: &'static str,
    /// One line for the template and the README (which requirement it serves).
    pub description: &'static str,
    pub table: TableAccess,
    pub routes: fn() -> Vec<Route>,
}

/// Every HTTP function.
pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "meta",
        description: "GET /v1/health and GET /v1/openapi.json (public)",
        table: TableAccess::None,
        routes: || meta::routes(openapi_json),
    },
    patients::FUNCTION,
    specialties::FUNCTION,
    doctors::FUNCTION,
    staff::FUNCTION,
    insurers::FUNCTION,
    sectors::FUNCTION,
    beds::FUNCTION,
    medications::FUNCTION,
    appointments::FUNCTION,
    exams::FUNCTION,
    prescriptions::FUNCTION,
    admissions::FUNCTION,
    billing::FUNCTION,
    tariffs::FUNCTION,
    reviews::FUNCTION,
    analytics::OCCUPANCY_FN,
    analytics::APPOINTMENTS_FN,
    analytics::BILLING_FN,
    analytics::LENGTH_OF_STAY_FN,
    analytics::READMISSIONS_FN,
    analytics::COVERAGE_FN,
    analytics::REPORTS_FN,
];

/// What hospital-local serves besides: its development routes.
pub const LOCAL_FUNCTIONS: &[Function] = &[crate::dev::FUNCTION];

/// Every function, Lambda or local.
pub fn all() -> impl Iterator<Item = &'static Function> {
    FUNCTIONS.iter().chain(LOCAL_FUNCTIONS)
}

pub fn function(name: &str) -> Option<&'static Function> {
    all().find(|f| f.name == name)
}

/// The names of every HTTP function deployed as a Lambda function.
pub fn names() -> Vec<&'static str> {
    FUNCTIONS.iter().map(|f| f.name).collect()
}

/// The names of every function hospital-local serves.
pub fn local_names() -> Vec<&'static str> {
    all().map(|f| f.name).collect()
}

/// The OpenAPI document of every function's routes.
pub fn document() -> Value {
    let mut ops = Vec::new();
    let mut schemas = Schemas::default();
    for f in all() {
        for r in (f.routes)() {
            schemas.extend(&r.schemas);
            ops.push((r.method, r.path, r.op));
        }
    }
    crate::openapi::document(ops, &schemas)
}

/// The document as served (built once: it only changes with the code).
pub fn openapi_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| document().to_string())
}
