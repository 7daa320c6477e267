//! Prescriptions (RF06) and their dispensations, on both stores: items, the status flow, and
//! each dispensation with its stock movement, within the stock and the quantity prescribed.

use super::*;

fn prescription(patient_id: &str, doctor_id: &str, items: Vec<Value>) -> Value {
    json!({"patient_id": patient_id, "doctor_id": doctor_id, "items": items})
}

async fn prescribe(local: &Local, body: Value) -> Created {
    // Lists order by id, which orders by milliseconds: keep them apart.
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    create(local, Role::Doctor, PRESCRIPTIONS, &body).await
}

/// A PATCH with `token`: status and body.
pub async fn patch_with(local: &Local, token: &str, loc: &str, patch: &Value) -> (u16, Value) {
    let res = local
        .req(Method::PATCH, loc, None)
        .bearer_auth(token)
        .header("content-type", "application/merge-patch+json")
        .body(patch.to_string())
        .send()
        .await
        .expect("send");
    body(res).await
}

/// A doctor's token acting as the doctor who prescribed `loc`.
async fn prescriber(local: &Local, loc: &str) -> String {
    let doctor = get_ok(local, loc).await["doctor_id"]
        .as_str()
        .expect("doctor_id")
        .to_string();
    local.token_with("test-prescriber", &[Role::Doctor], Some(&doctor))
}

/// A PATCH by the prescribing doctor that must succeed: the record after it.
async fn prescriber_ok(local: &Local, loc: &str, patch: Value) -> Value {
    let (s, b) = patch_with(local, &prescriber(local, loc).await, loc, &patch).await;
    assert_eq!(s, 200, "PATCH {loc} with {patch}: {b}");
    b
}

async fn patch_refused(local: &Local, loc: &str, patch: Value, status: u16, field: &str) {
    let (s, b) = patch_with(local, &prescriber(local, loc).await, loc, &patch).await;
    assert_envelope(s, &b, status, Some(field));
}

async fn dispense_refused(local: &Local, rx: &str, body: Value, status: u16, field: Option<&str>) {
    let (s, b) = send(
        local,
        Method::POST,
        &format!("{rx}/dispensations"),
        Role::Pharmacist,
        Some(&body),
    )
    .await;
    assert_envelope(s, &b, status, field);
}

async fn ids(local: &Local, query: &str) -> Vec<String> {
    ids_of(&items(local, &format!("{PRESCRIPTIONS}?{query}")).await)
}

pub async fn prescriptions(local: &Local) {
    let clinica = new_specialty(local, "Clínica Geral").await;
    let d1 = new_doctor(local, "Dra. Receita", 7201, &[&clinica.id]).await;
    let d2 = new_doctor(local, "Dr. Receita", 7202, &[&clinica.id]).await;
    let p1 = new_patient(local, "Paciente Receita Um", 7210).await;
    let p2 = new_patient(local, "Paciente Receita Dois", 7211).await;
    let dip = new_medication(local, "Dipirona 500 mg", 5, 20).await;
    let amox = new_medication(local, "Amoxicilina 500 mg", 0, 3).await;
    let soro = new_medication(local, "Soro fisiológico", 0, 0).await;

    // A doctor prescribes: active, the items as signed.
    let mut first = item(&dip.id, Some(10));
    first["dose"] = json!(" 1-2 ");
    let rx1 = prescribe(
        local,
        with(
            &prescription(&p1.id, &d1.id, vec![first, item(&amox.id, None)]),
            "notes",
            json!("Após as refeições"),
        ),
    )
    .await;
    assert_eq!(rx1.body["status"], "active");
    assert_eq!(rx1.body["items"][0]["dose"], "1-2");
    assert_eq!(rx1.body["items"][0]["quantity"], 10);
    assert!(
        rx1.body["items"][1].get("quantity").is_none(),
        "{}",
        rx1.body
    );
    assert_eq!(rx1.body["items"][1]["route"], "oral");
    for role in [Role::Doctor, Role::Nurse, Role::Pharmacist] {
        let (s, got, _) = get_as(local, role, &rx1.location).await;
        assert_eq!((s, &got), (200, &rx1.body));
    }
    for role in [Role::Receptionist, Role::Billing, Role::Manager] {
        let (s, b, _) = get_as(local, role, &rx1.location).await;
        assert_envelope(s, &b, 403, None);
    }
    let base = prescription(&p2.id, &d2.id, vec![item(&dip.id, Some(5))]);
    // A receptionist, a nurse or the pharmacy can't prescribe.
    for role in [
        Role::Receptionist,
        Role::Nurse,
        Role::Pharmacist,
        Role::Billing,
    ] {
        let (s, b) = send(local, Method::POST, PRESCRIPTIONS, role, Some(&base)).await;
        assert_envelope(s, &b, 403, None);
    }

    // Each rule's violation.
    let with_item = |key: &str, value: Value| {
        let mut b = base.clone();
        b["items"][0][key] = value;
        b
    };
    let mut no_route = base.clone();
    no_route["items"][0]
        .as_object_mut()
        .unwrap()
        .remove("route");
    for (bad, field) in [
        (with(&base, "items", json!([])), "items"),
        (without(&base, "items"), "items"),
        (
            with(&base, "items", json!(vec![item(&dip.id, None); 51])),
            "items",
        ),
        (with(&base, "items", json!(item(&dip.id, None))), "items"),
        (with_item("route", json!("nasal")), "items[0].route"),
        (no_route, "items[0].route"),
        (
            with_item("duration_days", json!(0)),
            "items[0].duration_days",
        ),
        (
            with_item("duration_days", json!(366)),
            "items[0].duration_days",
        ),
        (with_item("quantity", json!(0)), "items[0].quantity"),
        (with_item("quantity", json!(2.5)), "items[0].quantity"),
        (with_item("dose", json!("")), "items[0].dose"),
        (
            with_item("dose_unit", json!("x".repeat(31))),
            "items[0].dose_unit",
        ),
        (with_item("frequency", json!("")), "items[0].frequency"),
        (
            with_item("medication_id", json!("dipirona")),
            "items[0].medication_id",
        ),
        (
            with_item("medication_id", json!(MISSING_ID)),
            "items[0].medication_id",
        ),
        (with_item("color", json!("azul")), "items[0].color"),
        (with(&base, "status", json!("completed")), "status"),
        (
            with(&base, "cancel_reason", json!("engano")),
            "cancel_reason",
        ),
        (with(&base, "patient_id", json!(MISSING_ID)), "patient_id"),
        (with(&base, "doctor_id", json!(MISSING_ID)), "doctor_id"),
        (
            with(&base, "admission_id", json!(MISSING_ID)),
            "admission_id",
        ),
        (with(&base, "notes", json!("x".repeat(2001))), "notes"),
    ] {
        let (s, b) = send(local, Method::POST, PRESCRIPTIONS, Role::Doctor, Some(&bad)).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    let mut second_missing = base.clone();
    second_missing["items"] = json!([item(&dip.id, None), item(MISSING_ID, None)]);
    let (s, b) = send(
        local,
        Method::POST,
        PRESCRIPTIONS,
        Role::Doctor,
        Some(&second_missing),
    )
    .await;
    assert_envelope(s, &b, 422, Some("items[1].medication_id"));
    assert!(
        ids(local, &format!("patient_id={}", p2.id))
            .await
            .is_empty()
    );
    // Fifty items is the most.
    let rx2 = prescribe(
        local,
        with(&base, "items", json!(vec![item(&dip.id, None); 50])),
    )
    .await;
    assert_eq!(rx2.body["items"].as_array().unwrap().len(), 50);

    // Dispensing: the dispensation and its stock movement, together.
    let res = local
        .req(
            Method::POST,
            &format!("{}/dispensations", rx1.location),
            Some(Role::Pharmacist),
        )
        .json(&json!({"item": 0, "quantity": 4, "notes": " primeira retirada "}))
        .send()
        .await
        .unwrap();
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(res.headers()["etag"], "\"1\"");
    let (s, disp) = body(res).await;
    assert_eq!(s, 201, "{disp}");
    let disp_id = disp["id"].as_str().unwrap().to_string();
    assert_eq!(loc, format!("{}/dispensations/{disp_id}", rx1.location));
    assert_eq!(disp["prescription_id"], rx1.id.as_str());
    assert_eq!(disp["item"], 0);
    assert_eq!(disp["medication_id"], dip.id.as_str());
    assert_eq!(disp["quantity"], 4);
    assert_eq!(disp["notes"], "primeira retirada");
    assert_eq!(disp["performed_by"], "test-pharmacist");
    assert_eq!(stock_of(local, &dip).await, 16);
    let movement = get_ok(
        local,
        &format!(
            "{}/stock-movements/{}",
            dip.location,
            disp["movement_id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        (
            &movement["kind"],
            &movement["quantity"],
            &movement["dispensation_id"]
        ),
        (&json!("dispensed"), &json!(4), &json!(disp_id))
    );
    assert_eq!(movement["performed_by"], "test-pharmacist");
    let movements = items(local, &format!("{}/stock-movements", dip.location)).await;
    assert!(
        movements
            .iter()
            .any(|m| m["dispensation_id"] == disp_id.as_str() && m["id"] == disp["movement_id"]),
        "{movements:?}"
    );
    for role in [Role::Nurse, Role::Doctor, Role::Pharmacist] {
        let (s, got, _) = get_as(local, role, &loc).await;
        assert_eq!((s, &got), (200, &disp));
    }
    let (s, b, _) = get_as(local, Role::Receptionist, &loc).await;
    assert_envelope(s, &b, 403, None);

    // Never beyond the item's quantity (4 + 7 > 10), never below zero stock; nothing written.
    let (s, b) = dispense(local, &rx1.location, 0, 7).await;
    assert_error(s, &b, 409, Some("quantity"), "10");
    assert_eq!(stock_of(local, &dip).await, 16);
    let (s, b) = dispense(local, &rx1.location, 0, 6).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(stock_of(local, &dip).await, 10);
    let (s, b) = dispense(local, &rx1.location, 0, 1).await;
    assert_envelope(s, &b, 409, Some("quantity"));
    let (s, b) = dispense(local, &rx1.location, 1, 4).await;
    assert_error(s, &b, 409, Some("quantity"), "insufficient stock");
    assert_eq!(stock_of(local, &amox).await, 3);
    let (s, b) = dispense(local, &rx1.location, 1, 3).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(stock_of(local, &amox).await, 0);
    let (s, b) = dispense(local, &rx1.location, 1, 1).await;
    assert_envelope(s, &b, 409, Some("quantity"));
    // Bad requests.
    for (bad, field) in [
        (json!({"item": 2, "quantity": 1}), "item"),
        (json!({"item": 50, "quantity": 1}), "item"),
        (json!({"item": -1, "quantity": 1}), "item"),
        (json!({"quantity": 1}), "item"),
        (json!({"item": 0, "quantity": 0}), "quantity"),
        (json!({"item": 0, "quantity": -2}), "quantity"),
        (json!({"item": 0, "quantity": "2"}), "quantity"),
        (json!({"item": 0}), "quantity"),
        (
            json!({"item": 0, "quantity": 1, "notes": "x".repeat(501)}),
            "notes",
        ),
        (
            json!({"item": 0, "quantity": 1, "medication_id": dip.id}),
            "medication_id",
        ),
    ] {
        dispense_refused(local, &rx1.location, bad, 422, Some(field)).await;
    }
    for role in [Role::Doctor, Role::Nurse, Role::Receptionist] {
        let (s, b) = send(
            local,
            Method::POST,
            &format!("{}/dispensations", rx2.location),
            role,
            Some(&json!({"item": 0, "quantity": 1})),
        )
        .await;
        assert_envelope(s, &b, 403, None);
    }
    let (s, b) = dispense(local, &format!("{PRESCRIPTIONS}/{MISSING_ID}"), 0, 1).await;
    assert_envelope(s, &b, 404, None);
    let dispensations = list_all(local, &format!("{}/dispensations", rx1.location), 2).await;
    assert_eq!(
        field_of(&dispensations, "medication_id"),
        [dip.id.as_str(), dip.id.as_str(), amox.id.as_str()]
    );
    assert_eq!(dispensations[0], disp);
    assert!(
        items(local, &format!("{}/dispensations", rx2.location))
            .await
            .is_empty()
    );
    let (s, b) = delete_as(local, Role::Admin, &loc).await;
    assert_envelope(s, &b, 405, None);

    // The prescription as signed doesn't change; its status does, once.
    let mut changed = rx1.body["items"].clone();
    changed[0]["quantity"] = json!(20);
    patch_refused(
        local,
        &rx1.location,
        json!({"items": changed}),
        422,
        "items",
    )
    .await;
    patch_refused(
        local,
        &rx1.location,
        json!({"patient_id": p2.id}),
        422,
        "patient_id",
    )
    .await;
    patch_refused(
        local,
        &rx1.location,
        json!({"doctor_id": d2.id}),
        422,
        "doctor_id",
    )
    .await;
    patch_refused(
        local,
        &rx1.location,
        json!({"admission_id": MISSING_ID}),
        422,
        "admission_id",
    )
    .await;
    patch_refused(
        local,
        &rx1.location,
        json!({"status": "paused"}),
        422,
        "status",
    )
    .await;
    patch_refused(
        local,
        &rx1.location,
        json!({"cancel_reason": "x"}),
        422,
        "cancel_reason",
    )
    .await;
    for role in [Role::Pharmacist, Role::Nurse] {
        let (s, b, _) = patch_as(
            local,
            role,
            &rx1.location,
            &json!({"status": "completed"}),
            None,
        )
        .await;
        assert_envelope(s, &b, 403, None);
    }
    // A doctor changes only their own prescriptions (the token's doctor_id names the doctor);
    // an admin any.
    let own = get_ok(local, &rx1.location).await["doctor_id"].clone();
    let other = if own == d1.id.as_str() {
        &d2.id
    } else {
        &d1.id
    };
    for token in [
        local.token(Role::Doctor),
        local.token_with("test-other-doctor", &[Role::Doctor], Some(other)),
    ] {
        let (s, b) = patch_with(local, &token, &rx1.location, &json!({"notes": "alheia"})).await;
        assert_error(s, &b, 403, None, "their own prescriptions");
    }
    let b = patch_ok(
        local,
        Role::Admin,
        &rx1.location,
        json!({"notes": "Conferida"}),
    )
    .await;
    assert_eq!(b["notes"], "Conferida");
    let b = prescriber_ok(local, &rx1.location, json!({"notes": "Revisada"})).await;
    assert_eq!(b["notes"], "Revisada");
    let b = prescriber_ok(local, &rx1.location, json!({"status": "completed"})).await;
    assert_eq!(b["status"], "completed");
    dispense_refused(
        local,
        &rx1.location,
        json!({"item": 1, "quantity": 1}),
        422,
        None,
    )
    .await;
    for patch in [
        json!({"status": "active"}),
        json!({"status": "cancelled", "cancel_reason": "engano"}),
        json!({"notes": "outra"}),
    ] {
        patch_refused(local, &rx1.location, patch, 422, "status").await;
    }
    patch_refused(
        local,
        &rx2.location,
        json!({"status": "cancelled"}),
        422,
        "cancel_reason",
    )
    .await;
    let b = prescriber_ok(
        local,
        &rx2.location,
        json!({"status": "cancelled", "cancel_reason": " dose errada "}),
    )
    .await;
    assert_eq!(b["cancel_reason"], "dose errada");
    dispense_refused(
        local,
        &rx2.location,
        json!({"item": 0, "quantity": 1}),
        422,
        None,
    )
    .await;
    patch_refused(
        local,
        &rx2.location,
        json!({"status": "active", "cancel_reason": null}),
        422,
        "status",
    )
    .await;
    assert_eq!(stock_of(local, &dip).await, 10);

    // Out of stock.
    let rx3 = prescribe(
        local,
        prescription(&p1.id, &d1.id, vec![item(&soro.id, Some(2))]),
    )
    .await;
    let (s, b) = dispense(local, &rx3.location, 0, 1).await;
    assert_error(s, &b, 409, Some("quantity"), "insufficient stock");
    assert!(
        items(local, &format!("{}/dispensations", rx3.location))
            .await
            .is_empty()
    );

    // Lists: by patient or doctor, newest first, and by status.
    assert_eq!(
        ids(local, &format!("patient_id={}", p1.id)).await,
        [rx3.id.as_str(), rx1.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("doctor_id={}", d1.id)).await,
        [rx3.id.as_str(), rx1.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("doctor_id={}", d2.id)).await,
        [rx2.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("patient_id={}&status=completed", p1.id)).await,
        [rx1.id.as_str()]
    );
    assert_eq!(ids(local, "status=active").await, [rx3.id.as_str()]);
    assert_eq!(ids(local, "status=cancelled").await, [rx2.id.as_str()]);
    assert_eq!(
        sorted(ids_of(&list_all(local, PRESCRIPTIONS, 1).await)),
        sorted(vec![rx1.id.clone(), rx2.id.clone(), rx3.id.clone()])
    );
    for q in [
        format!("patient_id={}&doctor_id={}", p1.id, d1.id),
        "status=paused".to_string(),
        "doctor_id=d1".to_string(),
        "medication_id=x".to_string(),
    ] {
        let (s, b) = body(local.get(&format!("{PRESCRIPTIONS}?{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }

    // Records are kept; so are the medications and parties they name.
    let (s, b) = delete_as(local, Role::Admin, &rx3.location).await;
    assert_envelope(s, &b, 405, None);
    let (s, b) = delete_as(local, Role::Admin, &soro.location).await;
    assert_conflict_mentions(s, &b, &format!("prescription {}", rx3.id));
    let (s, b) = delete_as(local, Role::Admin, &p2.location).await;
    assert_conflict_mentions(s, &b, "prescription ");
    let (s, b) = delete_as(local, Role::Admin, &d1.location).await;
    assert_conflict_mentions(s, &b, "prescription ");
}

#[tokio::test]
async fn operations_prescriptions_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    prescriptions(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn operations_prescriptions_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    prescriptions(&local).await;
    local.stop().await;
}
