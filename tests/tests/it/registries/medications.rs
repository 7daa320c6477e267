//! Medications (RF07) and their stock movements, on both stores.

use super::*;
use futures::future::join_all;

const MEDICATIONS: &str = "/v1/medications";

async fn movement(
    local: &Local,
    role: Role,
    medication: &str,
    kind: &str,
    quantity: i64,
) -> (u16, Value) {
    send(
        local,
        Method::POST,
        &format!("{medication}/stock-movements"),
        role,
        Some(&json!({"kind": kind, "quantity": quantity, "reason": format!("{kind} {quantity}")})),
    )
    .await
}

async fn stock_of(local: &Local, location: &str) -> Value {
    let (s, m, _) = get_as(local, Role::Pharmacist, location).await;
    assert_eq!(s, 200, "{m}");
    m["stock_quantity"].clone()
}

pub async fn medications(local: &Local) {
    // Create: the stock starts at 0 and belongs to the server.
    let dip = create(
        local,
        Role::Pharmacist,
        MEDICATIONS,
        &medication("Dipirona Sódica 500 mg", 10),
    )
    .await;
    assert_eq!(dip.body["stock_quantity"], 0);
    assert_eq!(dip.body["minimum_stock"], 10);
    assert_eq!(dip.body["expires_on"], "2027-06-30");
    let amox = create(
        local,
        Role::Admin,
        MEDICATIONS,
        &medication("Amoxicilina 500 mg", 0),
    )
    .await;
    for role in [Role::Doctor, Role::Nurse, Role::Manager] {
        let (s, got, etag) = get_as(local, role, &dip.location).await;
        assert_eq!((s, &got, etag.as_deref()), (200, &dip.body, Some("\"1\"")));
    }
    for role in [Role::Receptionist, Role::Billing] {
        let (s, b, _) = get_as(local, role, &dip.location).await;
        assert_envelope(s, &b, 403, None);
    }
    let (s, b) = send(
        local,
        Method::POST,
        MEDICATIONS,
        Role::Nurse,
        Some(&medication("Soro", 1)),
    )
    .await;
    assert_envelope(s, &b, 403, None);

    // Bad inputs; the stock can't be sent.
    let base = medication("Losartana 50 mg", 5);
    for (bad, field) in [
        (with(&base, "stock_quantity", json!(100)), "stock_quantity"),
        (with(&base, "stock_quantity", json!(0)), "stock_quantity"),
        (with(&base, "minimum_stock", json!(-1)), "minimum_stock"),
        (with(&base, "minimum_stock", json!("5")), "minimum_stock"),
        (without(&base, "minimum_stock"), "minimum_stock"),
        (with(&base, "expires_on", json!("30/06/2027")), "expires_on"),
        (without(&base, "expires_on"), "expires_on"),
        (with(&base, "name", json!("")), "name"),
        (
            with(&base, "active_ingredient", json!("")),
            "active_ingredient",
        ),
        (with(&base, "presentation", json!(null)), "presentation"),
        (with(&base, "manufacturer", json!("")), "manufacturer"),
        (with(&base, "unit", json!("x".repeat(31))), "unit"),
        (with(&base, "barcode", json!("789")), "barcode"),
    ] {
        let (s, b) = send(
            local,
            Method::POST,
            MEDICATIONS,
            Role::Pharmacist,
            Some(&bad),
        )
        .await;
        assert_envelope(s, &b, 422, Some(field));
    }

    // Lists: name prefix, below minimum.
    assert_eq!(
        ids_of(&items(local, "/v1/medications?name=DIP").await),
        [dip.id.as_str()]
    );
    assert_eq!(
        field_of(&list_all(local, MEDICATIONS, 1).await, "name"),
        ["Amoxicilina 500 mg", "Dipirona Sódica 500 mg"]
    );
    let below = || async { ids_of(&items(local, "/v1/medications?below_minimum=true").await) };
    assert_eq!(below().await, [dip.id.as_str()]);
    // below_minimum is a boolean: false lists them all.
    assert_eq!(
        items(local, "/v1/medications?below_minimum=false")
            .await
            .len(),
        2
    );
    for q in ["below_minimum=yes", "below_minimum=1", "stock_quantity=0"] {
        let (s, b) = body(local.get(&format!("{MEDICATIONS}?{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }

    // Stock movements: received, dispensed, adjusted (signed), expired.
    let res = local
        .req(
            Method::POST,
            &format!("{}/stock-movements", dip.location),
            Some(Role::Pharmacist),
        )
        .json(&json!({"kind": "received", "quantity": 10, "reason": "  nota fiscal 123 "}))
        .send()
        .await
        .unwrap();
    let m_loc = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(res.headers()["etag"], "\"1\"");
    let (s, m) = body(res).await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(
        m_loc,
        format!(
            "{}/stock-movements/{}",
            dip.location,
            m["id"].as_str().unwrap()
        )
    );
    assert_eq!(m["kind"], "received");
    assert_eq!(m["quantity"], 10);
    assert_eq!(m["reason"], "nota fiscal 123");
    assert_eq!(m["performed_by"], "test-pharmacist");
    assert_eq!(m["medication_id"], dip.id.as_str());
    assert!(m["created_at"].is_string(), "{m}");
    let (s, got, _) = get_as(local, Role::Manager, &m_loc).await;
    assert_eq!((s, &got), (200, &m));
    assert_eq!(stock_of(local, &dip.location).await, 10);
    // At the minimum is not below it.
    assert!(below().await.is_empty());

    let (s, m) = movement(local, Role::Pharmacist, &dip.location, "dispensed", 3).await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(stock_of(local, &dip.location).await, 7);
    assert_eq!(below().await, [dip.id.as_str()]);
    let (s, m) = movement(local, Role::Admin, &dip.location, "adjusted", -2).await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(stock_of(local, &dip.location).await, 5);
    assert_eq!(m["performed_by"], "test-admin");
    let (s, m) = movement(local, Role::Pharmacist, &dip.location, "adjusted", 6).await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(stock_of(local, &dip.location).await, 11);
    assert!(below().await.is_empty());
    let (s, m) = movement(local, Role::Pharmacist, &dip.location, "expired", 4).await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(stock_of(local, &dip.location).await, 7);
    assert_eq!(below().await, [dip.id.as_str()]);

    // Never below zero: 409 naming the quantity, nothing recorded.
    for (kind, q) in [("dispensed", 8), ("expired", 8), ("adjusted", -8)] {
        let (s, b) = movement(local, Role::Pharmacist, &dip.location, kind, q).await;
        assert_envelope(s, &b, 409, Some("quantity"));
    }
    let (s, m) = movement(local, Role::Pharmacist, &dip.location, "dispensed", 7).await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(stock_of(local, &dip.location).await, 0);
    let (s, b) = movement(local, Role::Pharmacist, &dip.location, "dispensed", 1).await;
    assert_envelope(s, &b, 409, Some("quantity"));
    assert_eq!(stock_of(local, &dip.location).await, 0);

    // A retried movement with the same Idempotency-Key is replayed, not applied twice.
    let retried = || async {
        let res = local
            .req(
                Method::POST,
                &format!("{}/stock-movements", dip.location),
                Some(Role::Pharmacist),
            )
            .header("idempotency-key", "entrada-nf-456")
            .json(&json!({"kind": "received", "quantity": 5, "reason": "nota fiscal 456"}))
            .send()
            .await
            .unwrap();
        let replayed = res.headers().get("idempotent-replayed").cloned();
        let (s, b) = body(res).await;
        (s, b, replayed)
    };
    let (s, first, replayed) = retried().await;
    assert_eq!((s, replayed), (201, None), "{first}");
    assert_eq!(stock_of(local, &dip.location).await, 5);
    let (s, again, replayed) = retried().await;
    assert_eq!((s, &again), (201, &first));
    assert_eq!(replayed.as_ref().map(|v| v.to_str().unwrap()), Some("true"));
    assert_eq!(stock_of(local, &dip.location).await, 5);
    let (s, m) = movement(local, Role::Pharmacist, &dip.location, "dispensed", 5).await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(stock_of(local, &dip.location).await, 0);

    // Bad movements.
    let movements = format!("{}/stock-movements", dip.location);
    let good = json!({"kind": "received", "quantity": 1, "reason": "compra"});
    for (bad, field) in [
        (with(&good, "kind", json!("stolen")), "kind"),
        (without(&good, "kind"), "kind"),
        (with(&good, "quantity", json!(0)), "quantity"),
        (with(&good, "quantity", json!(-1)), "quantity"),
        (with(&good, "quantity", json!(1.5)), "quantity"),
        (with(&good, "quantity", json!("1")), "quantity"),
        (with(&good, "quantity", json!(20_000_000)), "quantity"),
        (without(&good, "quantity"), "quantity"),
        (
            json!({"kind": "adjusted", "quantity": 0, "reason": "x"}),
            "quantity",
        ),
        (
            json!({"kind": "dispensed", "quantity": -1, "reason": "x"}),
            "quantity",
        ),
        (with(&good, "reason", json!("")), "reason"),
        (with(&good, "reason", json!("   ")), "reason"),
        (without(&good, "reason"), "reason"),
        (with(&good, "performed_by", json!("eu")), "performed_by"),
        (
            with(&good, "dispensation_id", json!("x")),
            "dispensation_id",
        ),
    ] {
        let (s, b) = send(
            local,
            Method::POST,
            &movements,
            Role::Pharmacist,
            Some(&bad),
        )
        .await;
        assert_envelope(s, &b, 422, Some(field));
    }
    for role in [Role::Nurse, Role::Doctor, Role::Manager] {
        let (s, b) = send(local, Method::POST, &movements, role, Some(&good)).await;
        assert_envelope(s, &b, 403, None);
    }
    for path in [
        format!("/v1/medications/{MISSING_ID}/stock-movements"),
        "/v1/medications/nope/stock-movements".to_string(),
    ] {
        let (s, b) = send(local, Method::POST, &path, Role::Pharmacist, Some(&good)).await;
        assert_envelope(s, &b, 404, None);
        let (s, b) = body(local.get(&path).await).await;
        assert_envelope(s, &b, 404, None);
    }

    // The movements, listed in order and paged; stock read by pharmacy and administration.
    let listed = list_all(local, &movements, 2).await;
    let summary: Vec<(String, i64)> = listed
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_string(),
                m["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, i64)> = [
        ("received", 10),
        ("dispensed", 3),
        ("adjusted", -2),
        ("adjusted", 6),
        ("expired", 4),
        ("dispensed", 7),
        ("received", 5),
        ("dispensed", 5),
    ]
    .iter()
    .map(|(k, q)| (k.to_string(), *q))
    .collect();
    assert_eq!(summary, expected);
    for role in [Role::Nurse, Role::Doctor] {
        let (s, b, _) = get_as(local, role, &movements).await;
        assert_envelope(s, &b, 403, None);
    }
    let (s, b, _) = get_as(local, Role::Manager, &movements).await;
    assert_eq!(s, 200, "{b}");
    assert!(
        items(local, &format!("{}/stock-movements", amox.location))
            .await
            .is_empty()
    );

    // PATCH: merge patch with If-Match (movements change the version); the stock can't be
    // patched; the below-minimum list follows the minimum.
    let (s, b, _) = patch_as(
        local,
        Role::Pharmacist,
        &dip.location,
        &json!({"minimum_stock": 0}),
        Some("\"1\""),
    )
    .await;
    assert_envelope(s, &b, 412, Some("If-Match"));
    let (_, now, etag) = get_as(local, Role::Pharmacist, &dip.location).await;
    assert_eq!(now["version"], 9, "{now}");
    let (s, b, etag2) = patch_as(
        local,
        Role::Pharmacist,
        &dip.location,
        &json!({"minimum_stock": 0, "manufacturer": "Medley"}),
        etag.as_deref(),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(etag2.as_deref(), Some("\"10\""));
    assert_eq!(
        (
            &b["minimum_stock"],
            &b["manufacturer"],
            &b["stock_quantity"]
        ),
        (&json!(0), &json!("Medley"), &json!(0))
    );
    assert!(below().await.is_empty());
    let (s, b, _) = patch_as(
        local,
        Role::Pharmacist,
        &amox.location,
        &json!({"minimum_stock": 3}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(below().await, [amox.id.as_str()]);
    for (patch, field) in [
        (json!({"stock_quantity": 50}), "stock_quantity"),
        (json!({"stock_quantity": null}), "stock_quantity"),
        (json!({"minimum_stock": -5}), "minimum_stock"),
        (json!({"expires_on": "2027-13-01"}), "expires_on"),
        (json!({"name": null}), "name"),
        (json!({"lot": "A1"}), "lot"),
    ] {
        let (s, b, _) = patch_as(local, Role::Pharmacist, &amox.location, &patch, None).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    let (s, b, _) = patch_as(
        local,
        Role::Nurse,
        &amox.location,
        &json!({"minimum_stock": 1}),
        None,
    )
    .await;
    assert_envelope(s, &b, 403, None);
    assert_eq!(stock_of(local, &amox.location).await, 0);

    // A medication with movements is kept; one without goes.
    let (s, b) = delete_as(local, Role::Pharmacist, &dip.location).await;
    assert_envelope(s, &b, 409, None);
    let (s, b, _) = get_as(local, Role::Pharmacist, &m_loc).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = delete_as(local, Role::Nurse, &amox.location).await;
    assert_envelope(s, &b, 403, None);
    let (s, b) = delete_as(local, Role::Pharmacist, &amox.location).await;
    assert_eq!(s, 204, "{b}");
    let (s, b, _) = get_as(local, Role::Pharmacist, &amox.location).await;
    assert_envelope(s, &b, 404, None);
    assert!(below().await.is_empty());
}

/// 50 concurrent dispensings of one unit against a stock of 10: exactly 10 succeed.
pub async fn concurrent_dispensing(local: &Local) {
    let med = create(
        local,
        Role::Pharmacist,
        MEDICATIONS,
        &medication("Paracetamol 750 mg", 0),
    )
    .await;
    let (s, m) = movement(local, Role::Pharmacist, &med.location, "received", 10).await;
    assert_eq!(s, 201, "{m}");
    let results = join_all((0..50).map(|_| {
        let loc = med.location.clone();
        async move { movement(local, Role::Pharmacist, &loc, "dispensed", 1).await }
    }))
    .await;
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    let ok = statuses.iter().filter(|s| **s == 201).count();
    let refused = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((ok, refused), (10, 40), "{statuses:?}");
    for (s, b) in results.iter().filter(|(s, _)| *s == 409) {
        assert_envelope(*s, b, 409, Some("quantity"));
    }
    assert_eq!(stock_of(local, &med.location).await, 0);
    let listed = list_all(local, &format!("{}/stock-movements", med.location), 7).await;
    let dispensed = listed.iter().filter(|m| m["kind"] == "dispensed").count();
    assert_eq!((listed.len(), dispensed), (11, 10));
    let (_, now, _) = get_as(local, Role::Pharmacist, &med.location).await;
    assert_eq!(now["version"], 12, "{now}");
}

#[tokio::test]
async fn registries_medications_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    medications(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn registries_medications_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    medications(&local).await;
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registries_concurrent_dispensing_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    concurrent_dispensing(&local).await;
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registries_concurrent_dispensing_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    concurrent_dispensing(&local).await;
    local.stop().await;
}
