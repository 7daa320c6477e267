//! The operations end to end over HTTP, on both stores: appointments, exams, prescriptions with
//! their dispensations, admissions (admit, transfer, discharge, cancel) with the beds they
//! hold, and billing entries; the races each guards against; the outbox events each change
//! writes; and the rules that read the time, under the dev clock.
//!
//! Data: CPFs from `cpf(7000..)` up, so nothing collides with the other tests: appointments
//! 70xx, exams 71xx, prescriptions 72xx, admissions 73xx, billing 74xx, races 75xx to 77xx,
//! events 78xx, the clock 79xx. Every test starts its own server over its own store.

mod access;
mod admissions;
mod appointments;
mod billing;
mod clock;
mod events;
mod exams;
mod links;
mod prescriptions;
mod races;

pub use crate::common::*;
pub use crate::registries::{
    Created, create, delete_as, field_of, get_as, ids_of, items, list_all, patch_as, send, sorted,
    with, without,
};
pub use crate::registries::{
    MISSING_ID, assert_conflict_mentions, board_counts, counts, sao_paulo_date,
};
pub use hospital_api::auth::Role;
pub use reqwest::Method;
pub use serde_json::{Value, json};

pub const APPOINTMENTS: &str = "/v1/appointments";
pub const EXAMS: &str = "/v1/exams";
pub const PRESCRIPTIONS: &str = "/v1/prescriptions";
pub const ADMISSIONS: &str = "/v1/admissions";
pub const BILLING: &str = "/v1/billing-entries";

// Fixtures: each creates one resource as the role that keeps it and answers it.

pub async fn new_specialty(local: &Local, name: &str) -> Created {
    create(
        local,
        Role::Admin,
        "/v1/specialties",
        &crate::registries::specialty(name),
    )
    .await
}

/// An active doctor (CPF `cpf(n)`, CRM `n`/SP) holding these specialties.
pub async fn new_doctor(local: &Local, name: &str, n: u32, specialty_ids: &[&str]) -> Created {
    create(
        local,
        Role::Admin,
        "/v1/doctors",
        &crate::registries::doctor(name, n, &n.to_string(), "SP", specialty_ids),
    )
    .await
}

pub async fn new_patient(local: &Local, name: &str, n: u32) -> Created {
    create(local, Role::Receptionist, "/v1/patients", &patient(name, n)).await
}

pub async fn new_sector(local: &Local, name: &str, kind: &str) -> Created {
    create(
        local,
        Role::Manager,
        "/v1/sectors",
        &crate::registries::sector(name, kind),
    )
    .await
}

pub async fn new_bed(local: &Local, code: &str, sector_id: &str, status: &str) -> Created {
    create(
        local,
        Role::Manager,
        "/v1/beds",
        &crate::registries::bed(code, sector_id, status),
    )
    .await
}

pub async fn new_insurer(local: &Local, name: &str, ans: &str) -> Created {
    create(
        local,
        Role::Billing,
        "/v1/insurers",
        &crate::registries::insurer(name, ans),
    )
    .await
}

/// A medication with `stock` units received (none when 0).
pub async fn new_medication(local: &Local, name: &str, minimum_stock: i64, stock: i64) -> Created {
    let mut m = create(
        local,
        Role::Pharmacist,
        "/v1/medications",
        &crate::registries::medication(name, minimum_stock),
    )
    .await;
    if stock > 0 {
        let (s, b) = send(
            local,
            Method::POST,
            &format!("{}/stock-movements", m.location),
            Role::Pharmacist,
            Some(&json!({"kind": "received", "quantity": stock, "reason": "estoque inicial"})),
        )
        .await;
        assert_eq!(s, 201, "{b}");
        m.body = get_ok(local, &m.location).await;
    }
    m
}

/// The medication's stock now.
pub async fn stock_of(local: &Local, medication: &Created) -> i64 {
    get_ok(local, &medication.location).await["stock_quantity"]
        .as_i64()
        .expect("stock_quantity")
}

/// GET as admin, asserting 200: the body.
pub async fn get_ok(local: &Local, path: &str) -> Value {
    let (s, b, _) = get_as(local, Role::Admin, path).await;
    assert_eq!(s, 200, "GET {path}: {b}");
    b
}

/// A PATCH as `role` (no If-Match) that must succeed: the record after it.
#[track_caller]
pub fn patch_ok<'a>(
    local: &'a Local,
    role: Role,
    path: &'a str,
    patch: Value,
) -> impl std::future::Future<Output = Value> + 'a {
    let caller = std::panic::Location::caller();
    async move {
        let (s, b, _) = patch_as(local, role, path, &patch, None).await;
        assert_eq!(s, 200, "PATCH {path} (at {caller}) with {patch}: {b}");
        b
    }
}

/// The cancellation rule that appointments, exams and billing entries share: cancelling takes
/// a `cancel_reason`, and a reason without the cancellation is refused (both 422 naming
/// `cancel_reason`, asked as `refused_as`); then `cancel_as` cancels with `reason`. The record
/// after it.
pub async fn cancel_with_reason(
    local: &Local,
    loc: &str,
    (refused_as, lone_reason): (Role, &str),
    (cancel_as, reason): (Role, &str),
) -> Value {
    for patch in [
        json!({"status": "cancelled"}),
        json!({"cancel_reason": lone_reason}),
    ] {
        let (s, b, _) = patch_as(local, refused_as, loc, &patch, None).await;
        assert_envelope(s, &b, 422, Some("cancel_reason"));
    }
    patch_ok(
        local,
        cancel_as,
        loc,
        json!({"status": "cancelled", "cancel_reason": reason}),
    )
    .await
}

/// Asserts the error envelope with `status`, an error naming `field`, and (when given) a
/// message containing `text`.
#[track_caller]
pub fn assert_error(s: u16, b: &Value, status: u16, field: Option<&str>, text: &str) {
    assert_envelope(s, b, status, field);
    let mentions = b["error"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["message"].as_str().is_some_and(|m| m.contains(text)));
    assert!(mentions, "no message mentions {text:?}: {b}");
}

/// An instant of day `date` (YYYY-MM-DD) at `hh:mm` in São Paulo (UTC-3).
pub fn at(date: &str, hm: &str) -> String {
    format!("{date}T{hm}:00-03:00")
}

/// The same instant as the API writes it back: UTC with milliseconds.
pub fn utc(date: &str, hm: &str) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(&at(date, hm)).expect("instant");
    t.with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Sets the dev clock (the server must run with `dev_clock`).
pub async fn set_clock(local: &Local, now: &str) -> Value {
    let (s, b) = send(
        local,
        Method::PUT,
        "/v1/dev/clock",
        Role::Admin,
        Some(&json!({ "now": now })),
    )
    .await;
    assert_eq!(s, 200, "PUT /v1/dev/clock {now}: {b}");
    b
}

/// Every outbox record kept in the store, published or not: hospital-local's relay publishes
/// records as they commit, taking them out of the pending index (gsi2 `outbox#pending`), so
/// both that index and the one of every record kept (gsi1 `outbox`) are read. By event id.
pub async fn outbox(local: &Local) -> Vec<Value> {
    use hospital_core::store::{Index, Query};
    let store = local.server.as_ref().expect("running").store.clone();
    let mut out: std::collections::BTreeMap<String, Value> = Default::default();
    for (index, pk) in [
        (Index::Gsi1, "outbox"),
        (Index::Gsi2, hospital_core::events::PENDING),
    ] {
        let mut start = None;
        loop {
            let q = Query::index(index, pk).limit(200).start_after(start);
            let page = store.query(&q).await.expect("outbox query");
            for item in page.items {
                if let Some(id) = item.get("event_id").and_then(Value::as_str) {
                    out.insert(id.to_string(), Value::Object(item));
                }
            }
            match page.last_key {
                Some(k) => start = Some(k),
                None => break,
            }
        }
    }
    out.into_values().collect()
}

/// An appointment body for `date` at `hm`.
pub fn appointment(
    patient_id: &str,
    doctor_id: &str,
    specialty_id: &str,
    date: &str,
    hm: &str,
) -> Value {
    json!({
        "patient_id": patient_id,
        "doctor_id": doctor_id,
        "specialty_id": specialty_id,
        "starts_at": at(date, hm),
    })
}

pub fn diagnosis(code: &str, text: &str) -> Value {
    json!({"code": code, "text": text})
}

pub fn admission(patient_id: &str, bed_id: &str, doctor_id: &str) -> Value {
    json!({
        "patient_id": patient_id,
        "bed_id": bed_id,
        "attending_doctor_id": doctor_id,
        "admitting_diagnosis": diagnosis("I21.9", "Infarto agudo do miocárdio"),
    })
}

/// A prescription item of `quantity` units (uncapped when None).
pub fn item(medication_id: &str, quantity: Option<i64>) -> Value {
    let mut v = json!({
        "medication_id": medication_id,
        "dose": "500",
        "dose_unit": "mg",
        "frequency": "de 8 em 8 horas",
        "route": "oral",
        "duration_days": 7,
    });
    if let Some(q) = quantity {
        v["quantity"] = json!(q);
    }
    v
}

pub async fn dispense(local: &Local, prescription: &str, item: u32, quantity: i64) -> (u16, Value) {
    send(
        local,
        Method::POST,
        &format!("{prescription}/dispensations"),
        Role::Pharmacist,
        Some(&json!({"item": item, "quantity": quantity})),
    )
    .await
}
