//! The registries end to end over HTTP, on both stores: specialties and doctors, staff,
//! insurers, sectors and beds (with the bed board), medications and their stock movements,
//! and the referential integrity between them (including under races).
//!
//! Data: CPFs from `cpf(1000..)` up, so nothing collides with the patients tests.
//!
//! The races (concurrent dispensings, deletes racing referrer creations, unique values created
//! at once) run on both stores. On DynamoDB they rely on moto serving one request at a time
//! (see hospital-testkit): moto 5.2.1 applies a `TransactWriteItems` item by item without a
//! lock, so on concurrent threads two transactions conditional on one version can both commit,
//! which DynamoDB never allows.

mod beds;
mod doctors;
mod insurers;
mod integrity;
mod medications;
mod staff;

use crate::common::*;
use hospital_api::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

/// A resource just created, with its `Location` (its `ETag` was checked to be "1").
pub struct Created {
    pub id: String,
    pub location: String,
    pub body: Value,
}

/// Sends a request as `role`, with an optional JSON body; answers status and JSON body.
pub async fn send(
    local: &Local,
    method: Method,
    path: &str,
    role: Role,
    json_body: Option<&Value>,
) -> (u16, Value) {
    let mut b = local.req(method, path, Some(role));
    if let Some(v) = json_body {
        b = b.json(v);
    }
    body(b.send().await.expect("send")).await
}

/// POSTs as `role` and asserts a proper creation: 201, `Location` = collection/id, `ETag` "1",
/// version 1 and the metadata.
#[track_caller]
pub fn create<'a>(
    local: &'a Local,
    role: Role,
    collection: &'a str,
    json_body: &'a Value,
) -> impl std::future::Future<Output = Created> + 'a {
    let caller = std::panic::Location::caller();
    async move {
        let res = local
            .req(Method::POST, collection, Some(role))
            .json(json_body)
            .send()
            .await
            .expect("send");
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let etag = res
            .headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_string());
        let (status, created) = body(res).await;
        assert_eq!(
            status, 201,
            "POST {collection} (at {caller}) sent {json_body}: {created}"
        );
        let id = created["id"].as_str().expect("id").to_string();
        let location = location.expect("Location header");
        assert_eq!(location, format!("{collection}/{id}"));
        assert_eq!(etag.as_deref(), Some("\"1\""));
        assert_eq!(created["version"], 1);
        assert!(created["created_at"].is_string() && created["updated_at"].is_string());
        Created {
            id,
            location,
            body: created,
        }
    }
}

/// GETs as `role`: status, body and ETag.
pub async fn get_as(local: &Local, role: Role, path: &str) -> (u16, Value, Option<String>) {
    let res = local
        .req(Method::GET, path, Some(role))
        .send()
        .await
        .expect("send");
    let etag = res
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    let (s, b) = body(res).await;
    (s, b, etag)
}

/// A JSON Merge Patch as `role`, with an optional `If-Match`: status, body and ETag.
pub async fn patch_as(
    local: &Local,
    role: Role,
    path: &str,
    patch: &Value,
    if_match: Option<&str>,
) -> (u16, Value, Option<String>) {
    let mut b = local
        .req(Method::PATCH, path, Some(role))
        .header("content-type", "application/merge-patch+json")
        .body(patch.to_string());
    if let Some(tag) = if_match {
        b = b.header("if-match", tag);
    }
    let res = b.send().await.expect("send");
    let etag = res
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    let (s, body) = body(res).await;
    (s, body, etag)
}

/// DELETE as `role`: status and body.
pub async fn delete_as(local: &Local, role: Role, path: &str) -> (u16, Value) {
    send(local, Method::DELETE, path, role, None).await
}

/// Every item of a list (following cursors, `limit` per page), as admin.
pub async fn list_all(local: &Local, path: &str, limit: usize) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let (s, page) = body(local.get(&url).await).await;
        assert_eq!(s, 200, "GET {url}: {page}");
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= limit, "page larger than limit: {page}");
        out.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
    panic!("paging of {path} never ended");
}

/// One page of a list, as admin (asserting 200): the items.
pub async fn items(local: &Local, path: &str) -> Vec<Value> {
    let (s, page) = body(local.get(path).await).await;
    assert_eq!(s, 200, "GET {path}: {page}");
    assert!(page.get("next_cursor").is_some(), "no next_cursor: {page}");
    page["items"].as_array().expect("items").clone()
}

/// The values of one string field of list items.
pub fn field_of(items: &[Value], field: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| i[field].as_str().unwrap_or_default().to_string())
        .collect()
}

pub fn ids_of(items: &[Value]) -> Vec<String> {
    field_of(items, "id")
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// `base` with `key` set to `value`.
pub fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut b = base.clone();
    b[key] = value;
    b
}

/// `base` without `key`.
pub fn without(base: &Value, key: &str) -> Value {
    let mut b = base.clone();
    b.as_object_mut().expect("object").remove(key);
    b
}

/// Asserts a 409 whose message mentions `text` (e.g. `"doctor "` for a delete refused because
/// doctors still refer to the resource).
#[track_caller]
pub fn assert_conflict_mentions(status: u16, body: &Value, text: &str) {
    assert_envelope(status, body, 409, None);
    let messages: Vec<&str> = body["error"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains(text)),
        "no message mentions {text:?}: {body}"
    );
}

/// A well-formed id that names nothing.
pub const MISSING_ID: &str = "01JD3Q0V4W6X8Y9Z0A1B2C3D4E";

/// `YYYY-MM-DD` of the day `days` after today in the hospital's time zone (America/Sao_Paulo,
/// UTC-3 all year since 2019).
pub fn sao_paulo_date(days: i64) -> String {
    let local_days = (now() - 3 * 3600).div_euclid(86_400) + days;
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = local_days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A CPF written with dots and dash.
pub fn formatted_cpf(n: u32) -> String {
    let c = cpf(n);
    format!("{}.{}.{}-{}", &c[0..3], &c[3..6], &c[6..9], &c[9..])
}

// Fixtures.

pub fn specialty(name: &str) -> Value {
    json!({"name": name, "description": format!("Atendimento de {name}")})
}

pub fn doctor(name: &str, n: u32, crm: &str, uf: &str, specialty_ids: &[&str]) -> Value {
    json!({
        "full_name": name,
        "cpf": cpf(n),
        "crm": {"number": crm, "uf": uf},
        "email": "medico@example.com",
        "phone": "+5511987650000",
        "status": "active",
        "specialty_ids": specialty_ids,
    })
}

pub fn staff_member(name: &str, n: u32, role: &str, sector_id: Option<&str>) -> Value {
    let mut v = json!({
        "full_name": name,
        "cpf": cpf(n),
        "role": role,
        "email": "equipe@example.com",
        "phone": "+5511933334444",
        "hired_on": "2020-02-01",
    });
    if let Some(s) = sector_id {
        v["sector_id"] = json!(s);
    }
    v
}

pub fn insurer(name: &str, ans: &str) -> Value {
    json!({
        "name": name,
        "ans_registration": ans,
        "plan_type": "corporate",
        "billing_email": "faturamento@example.com",
        "payment_terms_days": 30,
    })
}

pub fn sector(name: &str, kind: &str) -> Value {
    json!({"name": name, "floor": 3, "kind": kind, "alert_email": "alertas@example.com"})
}

pub fn bed(code: &str, sector_id: &str, status: &str) -> Value {
    json!({"code": code, "sector_id": sector_id, "kind": "ward", "status": status})
}

pub fn medication(name: &str, minimum_stock: i64) -> Value {
    json!({
        "name": name,
        "active_ingredient": "dipirona sódica",
        "presentation": "comprimido 500 mg",
        "manufacturer": "EMS",
        "unit": "comprimido",
        "minimum_stock": minimum_stock,
        "expires_on": "2027-06-30",
    })
}

/// The bed statuses, in the board's order.
pub const BED_STATUSES: [&str; 5] = [
    "available",
    "blocked",
    "cleaning",
    "maintenance",
    "occupied",
];

/// The bed board's counts for one sector (all zero when the sector is not on the board), after
/// checking the board's shape: every sector and the totals list all five statuses, each
/// sector's total is the sum of its counts, and the totals are the sums over the sectors.
pub async fn board_counts(local: &Local, role: Role, sector_id: &str) -> Value {
    let (s, board, _) = get_as(local, role, "/v1/bed-board").await;
    assert_eq!(s, 200, "{board}");
    let sectors = board["sectors"].as_array().expect("sectors");
    let mut sums = json!({});
    for status in BED_STATUSES {
        sums[status] = json!(0);
    }
    for sec in sectors {
        let mut total = 0;
        for status in BED_STATUSES {
            let n = sec["counts"][status]
                .as_i64()
                .unwrap_or_else(|| panic!("no count of {status}: {sec}"));
            assert!(n >= 0, "negative count: {board}");
            total += n;
            sums[status] = json!(sums[status].as_i64().unwrap() + n);
        }
        assert_eq!(sec["total"], total, "bad total: {sec}");
        assert_eq!(sec["counts"].as_object().unwrap().len(), 5, "{sec}");
    }
    assert_eq!(board["totals"], sums, "totals are not the sums: {board}");
    let mine: Vec<&Value> = sectors
        .iter()
        .filter(|s| s["sector_id"] == sector_id)
        .collect();
    assert!(mine.len() <= 1, "sector listed twice: {board}");
    match mine.first() {
        Some(s) => s["counts"].clone(),
        None => {
            let mut zero = json!({});
            for status in BED_STATUSES {
                zero[status] = json!(0);
            }
            zero
        }
    }
}

/// Expected board counts: `pairs` of (status, count), the rest zero.
pub fn counts(pairs: &[(&str, i64)]) -> Value {
    let mut v = json!({});
    for status in BED_STATUSES {
        v[status] = json!(0);
    }
    for (status, n) in pairs {
        v[*status] = json!(n);
    }
    v
}
