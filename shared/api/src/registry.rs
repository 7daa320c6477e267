//! Every HTTP function of the system, once: its name (the Lambda function and the OpenAPI
//! tag), what it is for, the table access it needs, and its routes — each route with its
//! roles, handler and OpenAPI operation. hospital-local mounts them all, a Lambda function its
//! own; the RBAC table, the OpenAPI document, the SAM template's functions and the sample
//! events are derived from this list.

use crate::openapi::Schemas;
use crate::routes::Route;
use crate::{
    accounts, admissions, analytics, appointments, automation, beds, billing, doctors, exams,
    insurers, medications, meta, patients, prescriptions, reviews, sectors, specialties, staff,
    tariffs,
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
        description: "GET /v1/health (reads the table) and GET /v1/openapi.json (public)",
        table: TableAccess::Read,
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
    automation::FUNCTION,
    analytics::OCCUPANCY_FN,
    analytics::APPOINTMENTS_FN,
    analytics::BILLING_FN,
    analytics::LENGTH_OF_STAY_FN,
    analytics::READMISSIONS_FN,
    analytics::COVERAGE_FN,
    analytics::REPORTS_FN,
    accounts::USERS_FN,
];

/// What hospital-local serves besides: its development routes.
pub const LOCAL_FUNCTIONS: &[Function] = &[crate::dev::FUNCTION, accounts::AUTH_FN];

/// Every function, Lambda or local.
pub fn all() -> impl Iterator<Item = &'static Function> {
    FUNCTIONS.iter().chain(LOCAL_FUNCTIONS)
}

pub fn function(name: &str) -> Option<&'static Function> {
    all().find(|f| f.name == name)
}

/// The stack's binaries. Every function runs one of them, chosen by what it needs, so that a
/// function links only what it uses (docs/deploy.md): `hospital` the HTTP functions (the table,
/// and the reports bucket for the route that serves past reports), `hospital-automation` the
/// consumers, the jobs and the relay that need the table or EventBridge, `hospital-mail` the
/// notifier (SES), `hospital-reports` the daily report job (S3 and the renderer, no routes).
pub const BINARIES: [&str; 4] = [
    "hospital",
    "hospital-automation",
    "hospital-mail",
    "hospital-reports",
];

/// The stream relay's function name.
pub const RELAY: &str = "relay";

/// The user pool's CustomMessage trigger: renders Cognito's account e-mails from our
/// templates. In `hospital-mail`, which links the templates already and no routes.
pub const COGNITO_MESSAGES: &str = "cognito-messages";

/// The binary that runs `function` (an HTTP function, a consumer, a job or the relay).
pub fn binary_of(function: &str) -> Option<&'static str> {
    if FUNCTIONS.iter().any(|f| f.name == function) {
        Some("hospital")
    } else {
        automation_binary(function)
    }
}

/// The binary of a consumer, a job or the relay. It reads the automation catalogue only, not
/// the HTTP functions, so the automation binaries link none of the routes.
pub fn automation_binary(function: &str) -> Option<&'static str> {
    use hospital_core::automation::catalogue::{self, Needs};
    if function == RELAY {
        return Some("hospital-automation");
    }
    if function == COGNITO_MESSAGES {
        return Some("hospital-mail");
    }
    let needs = catalogue::consumer(function)
        .map(|c| c.needs)
        .or_else(|| catalogue::job(function).map(|j| j.needs))?;
    Some(if needs.contains(&Needs::Mail) {
        "hospital-mail"
    } else if needs.contains(&Needs::Reports) {
        "hospital-reports"
    } else {
        "hospital-automation"
    })
}

/// The names of every HTTP function deployed as a Lambda function.
pub fn names() -> Vec<&'static str> {
    FUNCTIONS.iter().map(|f| f.name).collect()
}

/// The names of every function hospital-local serves.
pub fn local_names() -> Vec<&'static str> {
    all().map(|f| f.name).collect()
}

/// The OpenAPI document of these functions' routes.
pub fn document<'a>(functions: impl Iterator<Item = &'a Function>) -> Value {
    let mut ops = Vec::new();
    let mut schemas = Schemas::default();
    for f in functions {
        for r in (f.routes)() {
            schemas.extend(&r.schemas);
            ops.push((r.method, r.path, r.op));
        }
    }
    crate::openapi::document(ops, &schemas)
}

/// The document as served, listing what the serving app routes: the deployed functions'; in
/// hospital-local (`local`) its identity provider's `/v1/auth/*` too, and its development routes
/// when `dev` (its dev clock is on, so they exist). Each built once: it only changes with the
/// code.
pub fn openapi_json(local: bool, dev: bool) -> &'static str {
    static DEPLOYED: OnceLock<String> = OnceLock::new();
    static LOCAL: OnceLock<String> = OnceLock::new();
    static DEV: OnceLock<String> = OnceLock::new();
    match (local, dev) {
        (false, _) => DEPLOYED.get_or_init(|| document(FUNCTIONS.iter()).to_string()),
        (true, false) => LOCAL.get_or_init(|| {
            document(FUNCTIONS.iter().chain(std::iter::once(&accounts::AUTH_FN))).to_string()
        }),
        (true, true) => DEV.get_or_init(|| document(all()).to_string()),
    }
}
