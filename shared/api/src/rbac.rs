//! Who may do what: the role groups routes are declared with, and the table of every route
//! and its roles, derived from the function registry. The auth middleware and the tests read
//! the table; a route missing from it is refused.

use crate::auth::Role::{self, *};
use axum::http::Method;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy)]
pub struct RouteRule {
    pub method: &'static str,
    /// The route template as registered in axum (`/v1/patients/{id}`).
    pub path: &'static str,
    /// Roles allowed; empty means public (no token needed).
    pub roles: &'static [Role],
    /// The function serving the route.
    pub function: &'static str,
}

pub const PUBLIC: &[Role] = &[];
/// Who reads patient records: the care team, the front desk, billing and the pharmacy.
pub const PATIENT_READ: &[Role] = &[Admin, Doctor, Nurse, Receptionist, Billing, Pharmacist];
pub const PATIENT_REGISTER: &[Role] = &[Admin, Receptionist];
/// Clinical staff keep allergies and contacts current as well as the front desk.
pub const PATIENT_EDIT: &[Role] = &[Admin, Receptionist, Doctor, Nurse];
pub const ADDRESS_READ: &[Role] = &[Admin, Receptionist, Doctor, Nurse, Billing];
pub const ONLY_ADMIN: &[Role] = &[Admin];
/// Reference data every role reads (specialties, doctors, sectors).
pub const EVERYONE: &[Role] = &Role::ALL;
/// Master data kept by the hospital's administration.
pub const ADMINISTRATION: &[Role] = &[Admin, Manager];
/// Insurer contracts: read by the front desk and billing, kept by billing and administration.
pub const INSURER_READ: &[Role] = &[Admin, Manager, Receptionist, Billing];
pub const INSURER_WRITE: &[Role] = &[Admin, Manager, Billing];
/// Beds: the care team and the front desk look; nursing moves beds through cleaning.
pub const BED_READ: &[Role] = &[Admin, Manager, Doctor, Nurse, Receptionist];
pub const BED_STATUS: &[Role] = &[Admin, Manager, Nurse];
/// Medications: prescribers and nursing read the catalogue; the pharmacy keeps it and its stock.
pub const MEDICATION_READ: &[Role] = &[Admin, Manager, Doctor, Nurse, Pharmacist];
pub const PHARMACY: &[Role] = &[Admin, Pharmacist];
pub const STOCK_READ: &[Role] = &[Admin, Manager, Pharmacist];

/// Appointments: the front desk books and checks in, doctors book follow-ups and fulfil,
/// nursing checks in; the care team and the front desk read them.
pub const APPOINTMENT_READ: &[Role] = &[Admin, Manager, Doctor, Nurse, Receptionist];
pub const APPOINTMENT_WRITE: &[Role] = &[Admin, Receptionist, Doctor, Nurse];
/// Exams: doctors request; doctors and nursing record progress and results; the front desk
/// sees them to schedule.
pub const EXAM_READ: &[Role] = &[Admin, Doctor, Nurse, Receptionist];
pub const EXAM_REQUEST: &[Role] = &[Admin, Doctor];
pub const EXAM_UPDATE: &[Role] = &[Admin, Doctor, Nurse];
/// Prescriptions: doctors prescribe (and complete or cancel); nursing administers; the
/// pharmacy dispenses.
pub const PRESCRIPTION_READ: &[Role] = &[Admin, Doctor, Nurse, Pharmacist];
pub const PRESCRIBE: &[Role] = &[Admin, Doctor];
pub const DISPENSE: &[Role] = &[Admin, Pharmacist];
/// Admissions: the admission desk and nursing admit; nursing transfers; doctors and nursing
/// discharge; whoever entered one in error cancels it; billing reads them to bill stays.
pub const ADMISSION_READ: &[Role] = &[Admin, Manager, Doctor, Nurse, Receptionist, Billing];
pub const ADMIT: &[Role] = &[Admin, Nurse, Receptionist];
pub const ADMISSION_UPDATE: &[Role] = &[Admin, Doctor, Nurse];
pub const TRANSFER: &[Role] = &[Admin, Nurse];
pub const DISCHARGE: &[Role] = &[Admin, Doctor, Nurse];
pub const ADMISSION_CANCEL: &[Role] = &[Admin, Nurse, Receptionist];
/// Who cancels an admission registered more than [`FRONT_DESK_CANCEL_HOURS`] ago: by then it
/// is a stay, not a registration to undo at the desk.
pub const ADMISSION_CANCEL_LATE: &[Role] = &[Admin, Nurse];
pub const FRONT_DESK_CANCEL_HOURS: i64 = 24;
/// Who reads clinical detail — exam results, diagnoses — where they read the record: everyone
/// but the front desk, which sees that an exam or an admission exists, not what it found.
pub const CLINICAL_READ: &[Role] = &[Admin, Manager, Doctor, Nurse, Billing, Pharmacist];
/// Billing entries: kept by billing; read by management.
pub const BILLING_READ: &[Role] = &[Admin, Manager, Billing];
pub const BILLING_WRITE: &[Role] = &[Admin, Billing];

/// Fields of a resource (its kind, the field) that only some of the roles allowed to update it
/// may change: a CPF is the front desk's, a diagnosis the doctors'. A patch naming one from
/// another role is a 403 naming the field.
pub const GUARDED_FIELDS: &[(&str, &str, &[Role])] = &[
    ("patient", "cpf", &[Admin, Receptionist]),
    ("admission", "admitting_diagnosis", &[Admin, Doctor]),
];

/// Reviews of long stays (AUTO04): the care team and management.
pub const REVIEW: &[Role] = &[Admin, Manager, Doctor, Nurse];

/// Every route of every function, in registry order.
pub fn routes() -> &'static [RouteRule] {
    &table().0
}

type Table = (Vec<RouteRule>, HashMap<(&'static str, &'static str), usize>);

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rules = Vec::new();
        for f in crate::registry::all() {
            for r in (f.routes)() {
                rules.push(RouteRule {
                    method: r.method,
                    path: r.path,
                    roles: r.roles,
                    function: f.name,
                });
            }
        }
        let index = rules
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.method, r.path), i))
            .collect();
        (rules, index)
    })
}

pub fn rule(method: &Method, path: &str) -> Option<&'static RouteRule> {
    let (rules, index) = table();
    index.get(&(method.as_str(), path)).map(|i| &rules[*i])
}

/// Whether any route has this path (then a wrong method is a 405, not a 403).
pub fn known_path(path: &str) -> bool {
    routes().iter().any(|r| r.path == path)
}

/// The routes one function serves.
pub fn routes_of(function: &str) -> impl Iterator<Item = &'static RouteRule> + '_ {
    routes().iter().filter(move |r| r.function == function)
}
