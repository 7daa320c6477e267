//! Who sees and changes what beyond the route table, on both stores: the front desk reads exams
//! and admissions without their clinical detail (results, diagnoses) and cancels only the
//! admissions it registered within a day; nursing changes neither a diagnosis nor a CPF.

use super::*;

pub async fn access(local: &Local) {
    let day = sao_paulo_date(1);
    set_clock(local, &at(&day, "10:00")).await;
    let esp = new_specialty(local, "Clínica do Acesso").await;
    let doc = new_doctor(local, "Dra. Acesso", 7981, &[&esp.id]).await;
    let p1 = new_patient(local, "Paciente Acesso Um", 7982).await;
    let p2 = new_patient(local, "Paciente Acesso Dois", 7983).await;
    let p3 = new_patient(local, "Paciente Acesso Três", 7984).await;
    let sector = new_sector(local, "Enfermaria do Acesso", "ward").await;
    let beds: Vec<Created> = futures::future::join_all(
        ["AC-1", "AC-2", "AC-3"].map(|code| new_bed(local, code, &sector.id, "available")),
    )
    .await;

    // An exam with its result, an admission in progress and a discharged one.
    let exam = create(
        local,
        Role::Doctor,
        EXAMS,
        &json!({"patient_id": p1.id, "doctor_id": doc.id, "exam_type": "Hemograma", "priority": "routine"}),
    )
    .await;
    patch_ok(
        local,
        Role::Nurse,
        &exam.location,
        json!({"status": "in_progress"}),
    )
    .await;
    patch_ok(
        local,
        Role::Doctor,
        &exam.location,
        json!({"status": "completed", "result": "Anemia leve"}),
    )
    .await;
    // The front desk's own registration answers without the diagnosis it was given.
    let (s, open) = send(
        local,
        Method::POST,
        ADMISSIONS,
        Role::Receptionist,
        Some(&admission(&p1.id, &beds[0].id, &doc.id)),
    )
    .await;
    assert_eq!(s, 201, "{open}");
    assert!(open.get("admitting_diagnosis").is_none(), "{open}");
    let open_loc = format!("{ADMISSIONS}/{}", open["id"].as_str().unwrap());
    let done = create(
        local,
        Role::Nurse,
        ADMISSIONS,
        &admission(&p2.id, &beds[1].id, &doc.id),
    )
    .await;
    let (s, b) = send(
        local,
        Method::POST,
        &format!("{}/discharge", done.location),
        Role::Doctor,
        Some(&json!({"disposition": "home", "discharge_diagnosis": diagnosis("D64.9", "Anemia")})),
    )
    .await;
    assert_eq!(s, 200, "{b}");

    // The care team reads everything; the front desk that they exist, and how they stand.
    let nurse_exam = get_as(local, Role::Nurse, &exam.location).await.1;
    assert_eq!(nurse_exam["result"], "Anemia leve");
    let desk_exam = get_as(local, Role::Receptionist, &exam.location).await.1;
    assert_eq!(desk_exam, without(&nurse_exam, "result"));
    let nurse_done = get_as(local, Role::Nurse, &done.location).await.1;
    assert_eq!(
        nurse_done["discharge"]["discharge_diagnosis"]["code"],
        "D64.9"
    );
    let desk_done = get_as(local, Role::Receptionist, &done.location).await.1;
    let mut expected = without(&nurse_done, "admitting_diagnosis");
    expected["discharge"] = without(&nurse_done["discharge"], "discharge_diagnosis");
    assert_eq!(desk_done, expected);
    assert_eq!(desk_done["discharge"]["disposition"], "home");
    for (path, field) in [
        (format!("{EXAMS}?patient_id={}", p1.id), "result"),
        (ADMISSIONS.to_string(), "admitting_diagnosis"),
    ] {
        let (s, page) = send(local, Method::GET, &path, Role::Receptionist, None).await;
        assert_eq!(s, 200, "{page}");
        let listed = page["items"].as_array().unwrap();
        assert!(!listed.is_empty());
        assert!(listed.iter().all(|i| i.get(field).is_none()), "{page}");
        let (_, page) = send(local, Method::GET, &path, Role::Nurse, None).await;
        assert!(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i.get(field).is_some())
        );
    }

    // Nursing changes neither a diagnosis nor a CPF; a doctor the one, the front desk the other.
    let (s, b, _) = patch_as(
        local,
        Role::Nurse,
        &open_loc,
        &json!({"admitting_diagnosis": diagnosis("J18.9", "Pneumonia")}),
        None,
    )
    .await;
    assert_error(
        s,
        &b,
        403,
        Some("admitting_diagnosis"),
        "only admin or doctor",
    );
    let b = patch_ok(
        local,
        Role::Doctor,
        &open_loc,
        json!({"admitting_diagnosis": diagnosis("J18.9", "Pneumonia")}),
    )
    .await;
    assert_eq!(b["admitting_diagnosis"]["code"], "J18.9");
    patch_ok(
        local,
        Role::Nurse,
        &open_loc,
        json!({"notes": "Acompanhante presente"}),
    )
    .await;
    let (s, b, _) = patch_as(
        local,
        Role::Nurse,
        &p1.location,
        &json!({"cpf": cpf(7985)}),
        None,
    )
    .await;
    assert_error(s, &b, 403, Some("cpf"), "only admin or receptionist");
    assert_eq!(get_ok(local, &p1.location).await["cpf"], p1.body["cpf"]);
    patch_ok(
        local,
        Role::Nurse,
        &p1.location,
        json!({"allergies": ["dipirona", "látex"]}),
    )
    .await;
    let b = patch_ok(
        local,
        Role::Receptionist,
        &p1.location,
        json!({"cpf": cpf(7985)}),
    )
    .await;
    assert_eq!(b["cpf"], cpf(7985));

    // Cancelling: the front desk within a day of registering, nursing after.
    let late = create(
        local,
        Role::Receptionist,
        ADMISSIONS,
        &admission(&p3.id, &beds[2].id, &doc.id),
    )
    .await;
    let reason = json!({"reason": "Registrada no paciente errado"});
    set_clock(local, &at(&sao_paulo_date(2), "09:59")).await;
    let (s, b) = send(
        local,
        Method::POST,
        &format!("{open_loc}/cancel"),
        Role::Receptionist,
        Some(&reason),
    )
    .await;
    assert_eq!((s, &b["status"]), (200, &json!("cancelled")), "{b}");
    set_clock(local, &at(&sao_paulo_date(2), "10:01")).await;
    let (s, b) = send(
        local,
        Method::POST,
        &format!("{}/cancel", late.location),
        Role::Receptionist,
        Some(&reason),
    )
    .await;
    assert_error(s, &b, 403, None, "within 24 hours");
    assert_eq!(get_ok(local, &late.location).await["status"], "in_progress");
    let (s, b) = send(
        local,
        Method::POST,
        &format!("{}/cancel", late.location),
        Role::Nurse,
        Some(&reason),
    )
    .await;
    assert_eq!((s, &b["status"]), (200, &json!("cancelled")), "{b}");
}

#[tokio::test]
async fn operations_access_on_embedded_store() {
    let local = Local::start_with(Backend::Embedded, |c| c.dev_clock = true).await;
    access(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn operations_access_on_dynamodb() {
    let local = Local::start_with(Backend::Dynamo, |c| c.dev_clock = true).await;
    access(&local).await;
    local.stop().await;
}
