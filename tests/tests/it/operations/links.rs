//! What exams, prescriptions and bills link to, on both stores: the admission (or the
//! appointment) they name is their patient's own, and a new exam or prescription names an
//! active doctor — as appointments and admissions already require.

use super::*;

pub async fn links(local: &Local) {
    let esp = new_specialty(local, "Clínica dos Vínculos").await;
    let doc = new_doctor(local, "Dra. Vínculo", 7961, &[&esp.id]).await;
    let gone = create(
        local,
        Role::Admin,
        "/v1/doctors",
        &with(
            &crate::registries::doctor("Dr. Aposentado", 7962, "7962", "SP", &[&esp.id]),
            "status",
            json!("inactive"),
        ),
    )
    .await;
    let p1 = new_patient(local, "Paciente Internado", 7963).await;
    let p2 = new_patient(local, "Paciente Vizinho", 7964).await;
    let sector = new_sector(local, "Enfermaria dos Vínculos", "ward").await;
    let bed = new_bed(local, "V-01", &sector.id, "available").await;
    let adm = create(
        local,
        Role::Nurse,
        ADMISSIONS,
        &admission(&p1.id, &bed.id, &doc.id),
    )
    .await;
    let appt = create(
        local,
        Role::Receptionist,
        APPOINTMENTS,
        &appointment(&p1.id, &doc.id, &esp.id, &sao_paulo_date(1), "10:00"),
    )
    .await;
    let med = new_medication(local, "Dipirona Vínculo", 0, 0).await;

    let exam = |patient: &str, doctor: &str| {
        json!({"patient_id": patient, "doctor_id": doctor, "exam_type": "Hemograma",
               "priority": "routine", "admission_id": adm.id})
    };
    let prescription = |patient: &str, doctor: &str| {
        json!({"patient_id": patient, "doctor_id": doctor, "admission_id": adm.id,
               "items": [item(&med.id, Some(3))]})
    };
    let bill = |patient: &str, link: (&str, &str)| {
        let mut b = json!({"patient_id": patient, "description": "Diárias",
                           "amount_cents": 1000, "due_on": sao_paulo_date(10)});
        b[link.0] = json!(link.1);
        b
    };
    let refusals = [
        (
            EXAMS,
            Role::Doctor,
            exam(&p2.id, &doc.id),
            "admission_id",
            "another patient's",
        ),
        (
            EXAMS,
            Role::Doctor,
            exam(&p1.id, &gone.id),
            "doctor_id",
            "inactive",
        ),
        (
            PRESCRIPTIONS,
            Role::Doctor,
            prescription(&p2.id, &doc.id),
            "admission_id",
            "another patient's",
        ),
        (
            PRESCRIPTIONS,
            Role::Doctor,
            prescription(&p1.id, &gone.id),
            "doctor_id",
            "inactive",
        ),
        (
            BILLING,
            Role::Billing,
            bill(&p2.id, ("admission_id", &adm.id)),
            "admission_id",
            "another patient's",
        ),
        (
            BILLING,
            Role::Billing,
            bill(&p2.id, ("appointment_id", &appt.id)),
            "appointment_id",
            "another patient's",
        ),
    ];
    for (path, role, body, field, text) in &refusals {
        let (s, b) = send(local, Method::POST, path, *role, Some(body)).await;
        assert_error(s, &b, 422, Some(field), text);
    }
    // Nothing was written for the neighbour.
    for path in [EXAMS, PRESCRIPTIONS, BILLING] {
        assert!(
            items(local, &format!("{path}?patient_id={}", p2.id))
                .await
                .is_empty()
        );
    }

    // The patient's own links are fine.
    let e = create(local, Role::Doctor, EXAMS, &exam(&p1.id, &doc.id)).await;
    create(
        local,
        Role::Doctor,
        PRESCRIPTIONS,
        &prescription(&p1.id, &doc.id),
    )
    .await;
    create(
        local,
        Role::Billing,
        BILLING,
        &bill(&p1.id, ("admission_id", &adm.id)),
    )
    .await;
    let b2 = create(
        local,
        Role::Billing,
        BILLING,
        &bill(&p1.id, ("appointment_id", &appt.id)),
    )
    .await;
    // Nor can a patch move a link to another patient's record.
    let other = create(
        local,
        Role::Nurse,
        ADMISSIONS,
        &admission(
            &p2.id,
            &new_bed(local, "V-02", &sector.id, "available").await.id,
            &doc.id,
        ),
    )
    .await;
    let (s, b, _) = patch_as(
        local,
        Role::Doctor,
        &e.location,
        &json!({"admission_id": other.id}),
        None,
    )
    .await;
    assert_error(s, &b, 422, Some("admission_id"), "another patient's");
    let (s, b, _) = patch_as(
        local,
        Role::Billing,
        &b2.location,
        &json!({"appointment_id": null, "admission_id": other.id}),
        None,
    )
    .await;
    assert_error(s, &b, 422, Some("admission_id"), "another patient's");
    // A doctor who leaves later does not block the exams they requested.
    patch_ok(
        local,
        Role::Admin,
        &format!("/v1/doctors/{}", doc.id),
        json!({"status": "inactive"}),
    )
    .await;
    let started = patch_ok(
        local,
        Role::Nurse,
        &e.location,
        json!({"status": "in_progress"}),
    )
    .await;
    assert_eq!(started["status"], "in_progress");
}

#[tokio::test]
async fn operations_links_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    links(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn operations_links_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    links(&local).await;
    local.stop().await;
}
