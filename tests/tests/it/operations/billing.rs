//! Billing entries (RF12), on both stores: charges in integer cents, their dates, payment and
//! cancellation, and the lists (by insurer, by patient, pending by due date).

use super::*;

async fn bill(local: &Local, body: Value) -> Created {
    create(local, Role::Billing, BILLING, &body).await
}

async fn patch_refused(local: &Local, loc: &str, patch: Value, status: u16, field: &str) {
    let (s, b, _) = patch_as(local, Role::Billing, loc, &patch, None).await;
    assert_envelope(s, &b, status, Some(field));
}

async fn ids(local: &Local, query: &str) -> Vec<String> {
    ids_of(&items(local, &format!("{BILLING}?{query}")).await)
}

pub async fn billing(local: &Local) {
    let today = sao_paulo_date(0);
    let day = sao_paulo_date;
    let p1 = new_patient(local, "Paciente Conta Um", 7410).await;
    let p2 = new_patient(local, "Paciente Conta Dois", 7411).await;
    let ins1 = new_insurer(local, "Saúde Total", "740001").await;
    let ins2 = new_insurer(local, "Vida Plena", "740002").await;
    let cardio = new_specialty(local, "Cardiologia Faturada").await;
    let doc = new_doctor(local, "Dr. Fatura", 7401, &[&cardio.id]).await;
    let ap1 = create(
        local,
        Role::Receptionist,
        APPOINTMENTS,
        &appointment(&p1.id, &doc.id, &cardio.id, &day(1), "10:00"),
    )
    .await;
    let sec = new_sector(local, "Enfermaria Faturada", "ward").await;
    let bed = new_bed(local, "F-01", &sec.id, "available").await;
    let a1 = create(
        local,
        Role::Receptionist,
        ADMISSIONS,
        &admission(&p2.id, &bed.id, &doc.id),
    )
    .await;

    // Billing enters a charge: pending, in reais, issued today unless said.
    let e1 = bill(
        local,
        json!({
            "patient_id": p1.id, "insurer_id": ins1.id, "appointment_id": ap1.id,
            "description": "  Consulta de cardiologia ", "amount_cents": 35000,
            "due_on": day(30),
        }),
    )
    .await;
    assert_eq!(e1.body["status"], "pending");
    assert_eq!(e1.body["currency"], "BRL");
    assert_eq!(e1.body["issued_on"], today.as_str());
    assert_eq!(e1.body["origin"], "manual");
    assert_eq!(e1.body["description"], "Consulta de cardiologia");
    assert_eq!(e1.body["amount_cents"], 35000);
    for role in [Role::Billing, Role::Manager] {
        let (s, got, _) = get_as(local, role, &e1.location).await;
        assert_eq!((s, &got), (200, &e1.body));
    }
    for role in [
        Role::Doctor,
        Role::Receptionist,
        Role::Nurse,
        Role::Pharmacist,
    ] {
        let (s, b, _) = get_as(local, role, &e1.location).await;
        assert_envelope(s, &b, 403, None);
    }
    let base = json!({
        "patient_id": p2.id, "insurer_id": ins2.id, "admission_id": a1.id,
        "description": "Diárias de internação", "amount_cents": 125000, "currency": "BRL",
        "due_on": day(30),
    });
    for role in [Role::Manager, Role::Receptionist, Role::Doctor] {
        let (s, b) = send(local, Method::POST, BILLING, role, Some(&base)).await;
        assert_envelope(s, &b, 403, None);
    }

    // Each rule's violation.
    for (bad, field) in [
        (with(&base, "amount_cents", json!(0)), "amount_cents"),
        (with(&base, "amount_cents", json!(-5)), "amount_cents"),
        (with(&base, "amount_cents", json!(12.5)), "amount_cents"),
        (with(&base, "amount_cents", json!("100")), "amount_cents"),
        (
            with(&base, "amount_cents", json!(100_000_000_001_i64)),
            "amount_cents",
        ),
        (without(&base, "amount_cents"), "amount_cents"),
        (with(&base, "currency", json!("USD")), "currency"),
        (with(&base, "currency", json!("brl")), "currency"),
        (
            with(&base, "appointment_id", json!(ap1.id)),
            "appointment_id",
        ),
        (with(&base, "issued_on", json!(day(1))), "issued_on"),
        (with(&base, "issued_on", json!("10/01/2026")), "issued_on"),
        (with(&base, "due_on", json!(day(-1))), "due_on"),
        (
            with(
                &with(&base, "issued_on", json!(day(-5))),
                "due_on",
                json!(day(-6)),
            ),
            "due_on",
        ),
        (without(&base, "due_on"), "due_on"),
        (
            with(
                &with(&base, "status", json!("paid")),
                "paid_on",
                json!(today),
            ),
            "status",
        ),
        (with(&base, "status", json!("overdue")), "status"),
        (with(&base, "paid_on", json!(today)), "paid_on"),
        (
            with(&base, "cancel_reason", json!("engano")),
            "cancel_reason",
        ),
        (with(&base, "origin", json!("discharge")), "origin"),
        (with(&base, "insurer_id", json!(MISSING_ID)), "insurer_id"),
        (with(&base, "insurer_id", json!("unimed")), "insurer_id"),
        (with(&base, "patient_id", json!(MISSING_ID)), "patient_id"),
        (
            with(&base, "admission_id", json!(MISSING_ID)),
            "admission_id",
        ),
        (
            with(
                &without(&base, "admission_id"),
                "appointment_id",
                json!(MISSING_ID),
            ),
            "appointment_id",
        ),
        (with(&base, "description", json!("")), "description"),
        (
            with(&base, "description", json!("x".repeat(501))),
            "description",
        ),
        (with(&base, "tax_cents", json!(10)), "tax_cents"),
    ] {
        let (s, b) = send(local, Method::POST, BILLING, Role::Billing, Some(&bad)).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    assert!(
        ids(local, &format!("patient_id={}", p2.id))
            .await
            .is_empty()
    );

    let e2 = bill(local, base.clone()).await;
    assert_eq!(e2.body["admission_id"], a1.id.as_str());
    // Private pay, issued in the past.
    let e3 = bill(
        local,
        json!({
            "patient_id": p1.id, "description": "Curativo", "amount_cents": 8000,
            "issued_on": day(-40), "due_on": day(-10),
        }),
    )
    .await;
    assert!(e3.body.get("insurer_id").is_none(), "{}", e3.body);
    let e4 = bill(
        local,
        json!({
            "patient_id": p2.id, "insurer_id": ins1.id, "description": "Exames laboratoriais",
            "amount_cents": 4550, "issued_on": day(-5), "due_on": day(2),
        }),
    )
    .await;
    let e5 = bill(
        local,
        json!({
            "patient_id": p1.id, "insurer_id": ins2.id, "description": "Taxa de sala",
            "amount_cents": 12000, "issued_on": day(-3), "due_on": day(-1),
        }),
    )
    .await;

    // While pending an entry may be corrected (not its patient); then paid, once.
    let b = patch_ok(
        local,
        Role::Billing,
        &e1.location,
        json!({"amount_cents": 36000}),
    )
    .await;
    assert_eq!(
        (&b["amount_cents"], &b["version"]),
        (&json!(36000), &json!(2))
    );
    patch_refused(
        local,
        &e1.location,
        json!({"patient_id": p2.id}),
        422,
        "patient_id",
    )
    .await;
    patch_refused(
        local,
        &e1.location,
        json!({"amount_cents": 0}),
        422,
        "amount_cents",
    )
    .await;
    // The issue date may be corrected, not removed.
    patch_refused(
        local,
        &e1.location,
        json!({"issued_on": null}),
        422,
        "issued_on",
    )
    .await;
    patch_refused(
        local,
        &e1.location,
        json!({"issued_on": day(1)}),
        422,
        "issued_on",
    )
    .await;
    patch_refused(
        local,
        &e1.location,
        json!({"appointment_id": null, "admission_id": MISSING_ID}),
        422,
        "admission_id",
    )
    .await;
    patch_refused(
        local,
        &e1.location,
        json!({"status": "paid"}),
        422,
        "paid_on",
    )
    .await;
    patch_refused(
        local,
        &e1.location,
        json!({"paid_on": today}),
        422,
        "paid_on",
    )
    .await;
    for paid_on in [day(-1), day(1)] {
        patch_refused(
            local,
            &e1.location,
            json!({"status": "paid", "paid_on": paid_on}),
            422,
            "paid_on",
        )
        .await;
    }
    for role in [Role::Manager, Role::Doctor] {
        let (s, b, _) = patch_as(
            local,
            role,
            &e1.location,
            &json!({"status": "paid", "paid_on": today}),
            None,
        )
        .await;
        assert_envelope(s, &b, 403, None);
    }
    let (s, b, _) = patch_as(
        local,
        Role::Billing,
        &e1.location,
        &json!({"status": "paid", "paid_on": today}),
        Some("\"1\""),
    )
    .await;
    assert_envelope(s, &b, 412, Some("If-Match"));
    let (s, b, etag) = patch_as(
        local,
        Role::Billing,
        &e1.location,
        &json!({"status": "paid", "paid_on": today}),
        Some("\"2\""),
    )
    .await;
    assert_eq!(
        (s, &b["status"], &b["paid_on"]),
        (200, &json!("paid"), &json!(today)),
        "{b}"
    );
    assert_eq!(etag.as_deref(), Some("\"3\""));
    for patch in [
        json!({"amount_cents": 1}),
        json!({"status": "pending", "paid_on": null}),
        json!({"status": "cancelled", "cancel_reason": "engano", "paid_on": null}),
        json!({"paid_on": day(-1)}),
    ] {
        patch_refused(local, &e1.location, patch, 422, "status").await;
    }
    patch_refused(
        local,
        &e3.location,
        json!({"status": "paid", "paid_on": day(-41)}),
        422,
        "paid_on",
    )
    .await;
    patch_ok(
        local,
        Role::Billing,
        &e3.location,
        json!({"status": "paid", "paid_on": day(-20)}),
    )
    .await;
    // Cancelled, with a reason; then nothing changes.
    let b = cancel_with_reason(
        local,
        &e2.location,
        (Role::Billing, "x"),
        (Role::Billing, " lançada em duplicidade "),
    )
    .await;
    assert_eq!(b["cancel_reason"], "lançada em duplicidade");
    for patch in [
        json!({"amount_cents": 1}),
        json!({"status": "pending", "cancel_reason": null}),
        json!({"status": "paid", "paid_on": today, "cancel_reason": null}),
    ] {
        patch_refused(local, &e2.location, patch, 422, "status").await;
    }

    // Lists: by insurer and patient (newest issue first), by status, and pending by due date.
    assert_eq!(
        ids(local, &format!("insurer_id={}", ins1.id)).await,
        [e1.id.as_str(), e4.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("insurer_id={}&status=pending", ins2.id)).await,
        [e5.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("patient_id={}", p1.id)).await,
        [e1.id.as_str(), e5.id.as_str(), e3.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("patient_id={}", p2.id)).await,
        [e2.id.as_str(), e4.id.as_str()]
    );
    assert_eq!(
        ids(local, "status=pending").await,
        [e5.id.as_str(), e4.id.as_str()]
    );
    assert_eq!(
        ids(local, "status=paid").await,
        [e1.id.as_str(), e3.id.as_str()]
    );
    assert_eq!(ids(local, "status=cancelled").await, [e2.id.as_str()]);
    assert_eq!(
        ids(local, &format!("due_before={today}")).await,
        [e5.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("due_before={}", day(2))).await,
        [e5.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("due_before={}", day(3))).await,
        [e5.id.as_str(), e4.id.as_str()]
    );
    assert!(
        ids(local, &format!("due_before={}", day(-1)))
            .await
            .is_empty()
    );
    assert_eq!(
        ids_of(&list_all(local, BILLING, 2).await),
        [
            e1.id.as_str(),
            e2.id.as_str(),
            e5.id.as_str(),
            e4.id.as_str(),
            e3.id.as_str()
        ]
    );
    let (s, page, _) = get_as(
        local,
        Role::Manager,
        &format!("{BILLING}?patient_id={}", p2.id),
    )
    .await;
    assert_eq!((s, page["items"].as_array().map(Vec::len)), (200, Some(2)));
    for q in [
        format!("due_before={today}&status=pending"),
        "due_before=2026-13-01".to_string(),
        format!("insurer_id={}&patient_id={}", ins1.id, p1.id),
        "status=overdue".to_string(),
        "insurer_id=unimed".to_string(),
        "amount_cents=100".to_string(),
    ] {
        let (s, b) = body(local.get(&format!("{BILLING}?{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }

    // Financial records are kept, and so are the insurers and patients they name.
    let (s, b) = delete_as(local, Role::Admin, &e2.location).await;
    assert_envelope(s, &b, 405, None);
    let (s, b) = delete_as(local, Role::Admin, &ins1.location).await;
    assert_conflict_mentions(s, &b, "billing_entry ");
    let (s, b) = delete_as(local, Role::Admin, &p1.location).await;
    assert_conflict_mentions(s, &b, "billing_entry ");
}

#[tokio::test]
async fn operations_billing_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    billing(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn operations_billing_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    billing(&local).await;
    local.stop().await;
}
