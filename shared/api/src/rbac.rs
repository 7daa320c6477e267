//! The one table of routes and the roles allowed on each (DESIGN §4). The auth middleware,
//! the OpenAPI document and the route-by-route tests all read it; a route missing here is
//! refused.

use crate::auth::Role::{self, *};
use axum::http::Method;

#[derive(Debug, Clone, Copy)]
pub struct RouteRule {
    pub method: &'static str,
    /// The route template as registered in axum (`/v1/patients/{id}`).
    pub path: &'static str,
    /// Roles allowed; empty means public (no token needed).
    pub roles: &'static [Role],
    /// The Lambda function serving the route (its binary name).
    pub function: &'static str,
}

const PUBLIC: &[Role] = &[];
/// Who reads patient records: the care team, the front desk, billing and the pharmacy.
const PATIENT_READ: &[Role] = &[Admin, Doctor, Nurse, Receptionist, Billing, Pharmacist];
const PATIENT_REGISTER: &[Role] = &[Admin, Receptionist];
/// Clinical staff keep allergies and contacts current as well as the front desk.
const PATIENT_EDIT: &[Role] = &[Admin, Receptionist, Doctor, Nurse];
const ADDRESS_READ: &[Role] = &[Admin, Receptionist, Doctor, Nurse, Billing];
const ONLY_ADMIN: &[Role] = &[Admin];
/// Reference data every role reads (specialties, doctors, sectors).
const EVERYONE: &[Role] = &Role::ALL;
/// Master data kept by the hospital's administration.
const ADMINISTRATION: &[Role] = &[Admin, Manager];
/// Insurer contracts: read by the front desk and billing, kept by billing and administration.
const INSURER_READ: &[Role] = &[Admin, Manager, Receptionist, Billing];
const INSURER_WRITE: &[Role] = &[Admin, Manager, Billing];
/// Beds: the care team and the front desk look; nursing moves beds through cleaning.
const BED_READ: &[Role] = &[Admin, Manager, Doctor, Nurse, Receptionist];
const BED_STATUS: &[Role] = &[Admin, Manager, Nurse];
/// Medications: prescribers and nursing read the catalogue; the pharmacy keeps it and its stock.
const MEDICATION_READ: &[Role] = &[Admin, Manager, Doctor, Nurse, Pharmacist];
const PHARMACY: &[Role] = &[Admin, Pharmacist];
const STOCK_READ: &[Role] = &[Admin, Manager, Pharmacist];

const fn r(
    method: &'static str,
    path: &'static str,
    roles: &'static [Role],
    function: &'static str,
) -> RouteRule {
    RouteRule {
        method,
        path,
        roles,
        function,
    }
}

#[rustfmt::skip]
pub const ROUTES: &[RouteRule] = &[
    r("GET", "/v1/health", PUBLIC, "meta"),
    r("GET", "/v1/openapi.json", PUBLIC, "meta"),
    r("POST", "/v1/patients", PATIENT_REGISTER, "patients"),
    r("GET", "/v1/patients", PATIENT_READ, "patients"),
    r("GET", "/v1/patients/{id}", PATIENT_READ, "patients"),
    r("PATCH", "/v1/patients/{id}", PATIENT_EDIT, "patients"),
    r("DELETE", "/v1/patients/{id}", ONLY_ADMIN, "patients"),
    r("POST", "/v1/patients/{patient_id}/addresses", PATIENT_REGISTER, "patients"),
    r("GET", "/v1/patients/{patient_id}/addresses", ADDRESS_READ, "patients"),
    r("GET", "/v1/patients/{patient_id}/addresses/{id}", ADDRESS_READ, "patients"),
    r("PATCH", "/v1/patients/{patient_id}/addresses/{id}", PATIENT_REGISTER, "patients"),
    r("DELETE", "/v1/patients/{patient_id}/addresses/{id}", PATIENT_REGISTER, "patients"),
    r("POST", "/v1/specialties", ADMINISTRATION, "specialties"),
    r("GET", "/v1/specialties", EVERYONE, "specialties"),
    r("GET", "/v1/specialties/{id}", EVERYONE, "specialties"),
    r("PATCH", "/v1/specialties/{id}", ADMINISTRATION, "specialties"),
    r("DELETE", "/v1/specialties/{id}", ADMINISTRATION, "specialties"),
    r("GET", "/v1/specialties/{id}/doctors", EVERYONE, "specialties"),
    r("POST", "/v1/doctors", ADMINISTRATION, "doctors"),
    r("GET", "/v1/doctors", EVERYONE, "doctors"),
    r("GET", "/v1/doctors/{id}", EVERYONE, "doctors"),
    r("PATCH", "/v1/doctors/{id}", ADMINISTRATION, "doctors"),
    r("DELETE", "/v1/doctors/{id}", ADMINISTRATION, "doctors"),
    r("GET", "/v1/doctors/{id}/specialties", EVERYONE, "doctors"),
    r("POST", "/v1/staff", ADMINISTRATION, "staff"),
    r("GET", "/v1/staff", ADMINISTRATION, "staff"),
    r("GET", "/v1/staff/{id}", ADMINISTRATION, "staff"),
    r("PATCH", "/v1/staff/{id}", ADMINISTRATION, "staff"),
    r("DELETE", "/v1/staff/{id}", ADMINISTRATION, "staff"),
    r("POST", "/v1/insurers", INSURER_WRITE, "insurers"),
    r("GET", "/v1/insurers", INSURER_READ, "insurers"),
    r("GET", "/v1/insurers/{id}", INSURER_READ, "insurers"),
    r("PATCH", "/v1/insurers/{id}", INSURER_WRITE, "insurers"),
    r("DELETE", "/v1/insurers/{id}", INSURER_WRITE, "insurers"),
    r("POST", "/v1/sectors", ADMINISTRATION, "sectors"),
    r("GET", "/v1/sectors", EVERYONE, "sectors"),
    r("GET", "/v1/sectors/{id}", EVERYONE, "sectors"),
    r("PATCH", "/v1/sectors/{id}", ADMINISTRATION, "sectors"),
    r("DELETE", "/v1/sectors/{id}", ADMINISTRATION, "sectors"),
    r("POST", "/v1/beds", ADMINISTRATION, "beds"),
    r("GET", "/v1/beds", BED_READ, "beds"),
    r("GET", "/v1/beds/{id}", BED_READ, "beds"),
    r("PATCH", "/v1/beds/{id}", BED_STATUS, "beds"),
    r("DELETE", "/v1/beds/{id}", ADMINISTRATION, "beds"),
    r("GET", "/v1/bed-board", BED_READ, "beds"),
    r("POST", "/v1/medications", PHARMACY, "medications"),
    r("GET", "/v1/medications", MEDICATION_READ, "medications"),
    r("GET", "/v1/medications/{id}", MEDICATION_READ, "medications"),
    r("PATCH", "/v1/medications/{id}", PHARMACY, "medications"),
    r("DELETE", "/v1/medications/{id}", PHARMACY, "medications"),
    r("POST", "/v1/medications/{medication_id}/stock-movements", PHARMACY, "medications"),
    r("GET", "/v1/medications/{medication_id}/stock-movements", STOCK_READ, "medications"),
    r("GET", "/v1/medications/{medication_id}/stock-movements/{id}", STOCK_READ, "medications"),
];

pub fn rule(method: &Method, path: &str) -> Option<&'static RouteRule> {
    ROUTES
        .iter()
        .find(|r| r.method == method.as_str() && r.path == path)
}

/// The routes one function serves.
pub fn routes_of(function: &str) -> impl Iterator<Item = &'static RouteRule> + '_ {
    ROUTES.iter().filter(move |r| r.function == function)
}
