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

pub const ROUTES: &[RouteRule] = &[
    r("GET", "/v1/health", PUBLIC, "meta"),
    r("GET", "/v1/openapi.json", PUBLIC, "meta"),
    r("POST", "/v1/patients", PATIENT_REGISTER, "patients"),
    r("GET", "/v1/patients", PATIENT_READ, "patients"),
    r("GET", "/v1/patients/{id}", PATIENT_READ, "patients"),
    r("PATCH", "/v1/patients/{id}", PATIENT_EDIT, "patients"),
    r("DELETE", "/v1/patients/{id}", ONLY_ADMIN, "patients"),
    r(
        "POST",
        "/v1/patients/{patient_id}/addresses",
        PATIENT_REGISTER,
        "patients",
    ),
    r(
        "GET",
        "/v1/patients/{patient_id}/addresses",
        ADDRESS_READ,
        "patients",
    ),
    r(
        "GET",
        "/v1/patients/{patient_id}/addresses/{id}",
        ADDRESS_READ,
        "patients",
    ),
    r(
        "PATCH",
        "/v1/patients/{patient_id}/addresses/{id}",
        PATIENT_REGISTER,
        "patients",
    ),
    r(
        "DELETE",
        "/v1/patients/{patient_id}/addresses/{id}",
        PATIENT_REGISTER,
        "patients",
    ),
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
