//! Exams (RF05), on both stores: requests, progress and results, cancellation and the lists.

use super::*;

async fn request(local: &Local, role: Role, body: Value) -> Created {
    // Lists order by request time (milliseconds): keep requests apart.
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    create(local, role, EXAMS, &body).await
}

fn exam(patient_id: &str, doctor_id: &str, exam_type: &str, priority: &str) -> Value {
    json!({
        "patient_id": patient_id,
        "doctor_id": doctor_id,
        "exam_type": exam_type,
        "priority": priority,
    })
}

async fn patch_refused(local: &Local, loc: &str, patch: Value, status: u16, field: &str) {
    let (s, b, _) = patch_as(local, Role::Doctor, loc, &patch, None).await;
    assert_envelope(s, &b, status, Some(field));
}

async fn ids(local: &Local, query: &str) -> Vec<String> {
    ids_of(&items(local, &format!("{EXAMS}?{query}")).await)
}

pub async fn exams(local: &Local) {
    let clinica = new_specialty(local, "Clínica Médica").await;
    let d1 = new_doctor(local, "Dra. Exames", 7101, &[&clinica.id]).await;
    let d2 = new_doctor(local, "Dr. Imagem", 7102, &[&clinica.id]).await;
    let p1 = new_patient(local, "Paciente Exame Um", 7110).await;
    let p2 = new_patient(local, "Paciente Exame Dois", 7111).await;

    // A doctor requests: status requested, requested_at stamped.
    let e1 = request(
        local,
        Role::Doctor,
        with(
            &exam(&p1.id, &d1.id, "  Hemograma completo ", "routine"),
            "notes",
            json!("Jejum de 8 horas\nTrazer pedido"),
        ),
    )
    .await;
    assert_eq!(e1.body["status"], "requested");
    assert_eq!(e1.body["exam_type"], "Hemograma completo");
    assert_eq!(e1.body["priority"], "routine");
    assert_eq!(e1.body["notes"], "Jejum de 8 horas\nTrazer pedido");
    assert_eq!(e1.body["requested_at"], e1.body["created_at"]);
    for absent in ["started_at", "completed_at", "result", "cancel_reason"] {
        assert!(e1.body.get(absent).is_none(), "{absent}: {}", e1.body);
    }
    for role in [Role::Doctor, Role::Nurse, Role::Receptionist] {
        let (s, got, _) = get_as(local, role, &e1.location).await;
        assert_eq!((s, &got), (200, &e1.body));
    }
    let base = exam(&p2.id, &d1.id, "Raio-X de tórax", "urgent");
    for role in [Role::Pharmacist, Role::Billing, Role::Manager] {
        let (s, b, _) = get_as(local, role, &e1.location).await;
        assert_envelope(s, &b, 403, None);
    }
    for role in [
        Role::Nurse,
        Role::Receptionist,
        Role::Pharmacist,
        Role::Billing,
    ] {
        let (s, b) = send(local, Method::POST, EXAMS, role, Some(&base)).await;
        assert_envelope(s, &b, 403, None);
    }

    // Each rule's violation.
    for (bad, field) in [
        (with(&base, "priority", json!("whenever")), "priority"),
        (without(&base, "priority"), "priority"),
        (with(&base, "exam_type", json!("")), "exam_type"),
        (with(&base, "exam_type", json!("   ")), "exam_type"),
        (
            with(&base, "exam_type", json!("x".repeat(201))),
            "exam_type",
        ),
        (without(&base, "exam_type"), "exam_type"),
        (with(&base, "status", json!("in_progress")), "status"),
        (with(&base, "status", json!("done")), "status"),
        (with(&base, "result", json!("normal")), "result"),
        (
            with(&base, "cancel_reason", json!("engano")),
            "cancel_reason",
        ),
        (
            with(&base, "requested_at", json!("2026-03-02T10:00:00Z")),
            "requested_at",
        ),
        (
            with(&base, "started_at", json!("2026-03-02T10:00:00Z")),
            "started_at",
        ),
        (
            with(&base, "completed_at", json!("2026-03-02T10:00:00Z")),
            "completed_at",
        ),
        (with(&base, "patient_id", json!(MISSING_ID)), "patient_id"),
        (with(&base, "doctor_id", json!(MISSING_ID)), "doctor_id"),
        (with(&base, "doctor_id", json!("dr-1")), "doctor_id"),
        (
            with(&base, "admission_id", json!(MISSING_ID)),
            "admission_id",
        ),
        (with(&base, "admission_id", json!("int-1")), "admission_id"),
        (with(&base, "notes", json!("x".repeat(2001))), "notes"),
        (with(&base, "lab", json!("central")), "lab"),
    ] {
        let (s, b) = send(local, Method::POST, EXAMS, Role::Doctor, Some(&bad)).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    assert!(
        ids(local, &format!("patient_id={}", p2.id))
            .await
            .is_empty()
    );

    let e2 = request(
        local,
        Role::Admin,
        exam(&p1.id, &d2.id, "Tomografia de tórax", "stat"),
    )
    .await;
    let e3 = request(local, Role::Doctor, base.clone()).await;
    let e4 = request(
        local,
        Role::Doctor,
        exam(&p2.id, &d1.id, "Ecocardiograma", "asap"),
    )
    .await;

    // requested → in_progress (started_at stamped) → completed (result required).
    patch_refused(
        local,
        &e1.location,
        json!({"status": "completed", "result": "normal"}),
        422,
        "status",
    )
    .await;
    let b = patch_ok(
        local,
        Role::Nurse,
        &e1.location,
        json!({"status": "in_progress"}),
    )
    .await;
    assert_eq!(b["status"], "in_progress");
    let started = b["started_at"].clone();
    assert!(started.is_string(), "{b}");
    assert_eq!(started, b["updated_at"]);
    assert!(b.get("completed_at").is_none(), "{b}");
    patch_refused(
        local,
        &e1.location,
        json!({"started_at": "2026-03-02T10:00:00Z"}),
        422,
        "started_at",
    )
    .await;
    patch_refused(
        local,
        &e1.location,
        json!({"status": "requested"}),
        422,
        "status",
    )
    .await;
    patch_refused(
        local,
        &e1.location,
        json!({"status": "completed"}),
        422,
        "result",
    )
    .await;
    patch_refused(
        local,
        &e1.location,
        json!({"result": "parcial"}),
        422,
        "result",
    )
    .await;
    patch_refused(
        local,
        &e1.location,
        json!({"status": "completed", "result": "   "}),
        422,
        "result",
    )
    .await;
    for role in [Role::Receptionist, Role::Pharmacist] {
        let (s, b, _) = patch_as(
            local,
            role,
            &e1.location,
            &json!({"status": "completed", "result": "ok"}),
            None,
        )
        .await;
        assert_envelope(s, &b, 403, None);
    }
    let b = patch_ok(
        local,
        Role::Doctor,
        &e1.location,
        json!({"status": "completed", "result": "  Hemoglobina 13,5 g/dL\nLeucócitos normais "}),
    )
    .await;
    assert_eq!(b["status"], "completed");
    assert_eq!(b["result"], "Hemoglobina 13,5 g/dL\nLeucócitos normais");
    assert_eq!(b["started_at"], started);
    assert!(b["completed_at"].is_string(), "{b}");
    assert_eq!(b["completed_at"], b["updated_at"]);
    // A completed exam no longer changes.
    for patch in [
        json!({"notes": "revisado"}),
        json!({"result": "outro"}),
        json!({"status": "cancelled", "cancel_reason": "engano"}),
        json!({"status": "in_progress", "result": null}),
    ] {
        patch_refused(local, &e1.location, patch, 422, "status").await;
    }

    // While requested, the request may be corrected, but not its parties.
    let b = patch_ok(
        local,
        Role::Doctor,
        &e2.location,
        json!({"priority": "urgent"}),
    )
    .await;
    assert_eq!(b["priority"], "urgent");
    patch_refused(
        local,
        &e2.location,
        json!({"patient_id": p2.id}),
        422,
        "patient_id",
    )
    .await;
    patch_refused(
        local,
        &e2.location,
        json!({"doctor_id": d1.id}),
        422,
        "doctor_id",
    )
    .await;
    patch_refused(
        local,
        &e2.location,
        json!({"priority": "later"}),
        422,
        "priority",
    )
    .await;
    // Cancelling takes a reason, from requested or in progress; then nothing changes.
    let b = cancel_with_reason(
        local,
        &e2.location,
        (Role::Doctor, "x"),
        (Role::Nurse, " paciente recusou "),
    )
    .await;
    assert_eq!(
        (&b["status"], &b["cancel_reason"]),
        (&json!("cancelled"), &json!("paciente recusou"))
    );
    assert!(b.get("started_at").is_none(), "{b}");
    patch_refused(
        local,
        &e2.location,
        json!({"status": "in_progress"}),
        422,
        "status",
    )
    .await;
    patch_refused(
        local,
        &e2.location,
        json!({"status": "requested", "cancel_reason": null}),
        422,
        "status",
    )
    .await;
    patch_ok(
        local,
        Role::Nurse,
        &e3.location,
        json!({"status": "in_progress"}),
    )
    .await;
    patch_ok(
        local,
        Role::Doctor,
        &e3.location,
        json!({"status": "cancelled", "cancel_reason": "equipamento parado"}),
    )
    .await;

    // Lists: the patient's and the doctor's, newest request first, by status too.
    assert_eq!(
        ids(local, &format!("patient_id={}", p1.id)).await,
        [e2.id.as_str(), e1.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("patient_id={}", p2.id)).await,
        [e4.id.as_str(), e3.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("doctor_id={}", d1.id)).await,
        [e4.id.as_str(), e3.id.as_str(), e1.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("doctor_id={}&status=completed", d1.id)).await,
        [e1.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("status=cancelled&patient_id={}", p2.id)).await,
        [e3.id.as_str()]
    );
    assert_eq!(ids(local, "status=requested").await, [e4.id.as_str()]);
    assert!(ids(local, "status=in_progress").await.is_empty());
    assert_eq!(
        ids_of(&list_all(local, EXAMS, 1).await),
        [
            e4.id.as_str(),
            e3.id.as_str(),
            e2.id.as_str(),
            e1.id.as_str()
        ]
    );
    assert_eq!(
        ids_of(&list_all(local, &format!("{EXAMS}?doctor_id={}", d1.id), 2).await),
        [e4.id.as_str(), e3.id.as_str(), e1.id.as_str()]
    );
    let (s, page, _) = get_as(
        local,
        Role::Receptionist,
        &format!("{EXAMS}?patient_id={}", p1.id),
    )
    .await;
    assert_eq!((s, page["items"].as_array().map(Vec::len)), (200, Some(2)));
    for q in [
        format!("patient_id={}&doctor_id={}", p1.id, d1.id),
        "status=done".to_string(),
        "patient_id=p1".to_string(),
        "priority=stat".to_string(),
    ] {
        let (s, b) = body(local.get(&format!("{EXAMS}?{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }

    // Records are kept; so are the parties they name.
    let (s, b) = delete_as(local, Role::Admin, &e4.location).await;
    assert_envelope(s, &b, 405, None);
    let (s, b) = delete_as(local, Role::Admin, &p1.location).await;
    assert_conflict_mentions(s, &b, "exam ");
    let (s, b) = delete_as(local, Role::Admin, &d2.location).await;
    assert_conflict_mentions(s, &b, &e2.id);
}

#[tokio::test]
async fn operations_exams_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    exams(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn operations_exams_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    exams(&local).await;
    local.stop().await;
}
