//! The scheduled jobs, with the dev clock moving time: each fires above its threshold, is
//! silent below it, and a repeated run sends nothing new.

use super::*;

/// How many of the e-mails to `address` carry `subject`.
fn count(local: &Local, address: &str, subject: &str) -> usize {
    emails_to(local, address, subject).len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_reminders_once_per_appointment_time() {
    let local = start(Backend::Embedded).await;
    set_clock(&local, &at("2026-03-02", "08:00")).await;
    let spec = new_specialty(&local, "Cardiologia").await;
    let doc = new_doctor(&local, "Ana Paula Ribeiro", 9100, &[&spec.id]).await;
    let soon = new_patient(&local, "Maria da Silva", 9101).await;
    let later = new_patient(&local, "Pedro Alves", 9102).await;
    let cancelled = new_patient(&local, "Lia Souza", 9103).await;
    // 20 hours ahead, 30 hours ahead (outside the 24-hour window), and one cancelled.
    let a = create(
        &local,
        Role::Receptionist,
        APPOINTMENTS,
        &appointment(&soon.id, &doc.id, &spec.id, "2026-03-03", "04:00"),
    )
    .await;
    create(
        &local,
        Role::Receptionist,
        APPOINTMENTS,
        &appointment(&later.id, &doc.id, &spec.id, "2026-03-03", "14:00"),
    )
    .await;
    let c = create(
        &local,
        Role::Receptionist,
        APPOINTMENTS,
        &appointment(&cancelled.id, &doc.id, &spec.id, "2026-03-03", "05:00"),
    )
    .await;
    patch_ok(
        &local,
        Role::Receptionist,
        &c.location,
        json!({"status": "cancelled", "cancel_reason": "paciente desistiu"}),
    )
    .await;

    let report = run_job(&local, "reminders").await;
    assert_eq!(report["report"]["acted_on"], json!([a.id]), "{report}");
    let mails = emails(&local);
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert_eq!(mail.to, "paciente@example.com");
    assert_eq!(
        mail.subject,
        "Lembrete: sua consulta em 03/03/2026 às 04:00"
    );
    assert!(mail.says("Olá, Maria da Silva."), "{mail:?}");
    assert!(
        mail.says("Ana Paula Ribeiro") && mail.says("Cardiologia"),
        "{mail:?}"
    );
    assert!(mail.says("Rua das Flores, 100 — Curitiba/PR"), "{mail:?}");
    assert!(mail.html.contains("<html lang=\"pt-BR\">"), "{mail:?}");
    // Run again, and again a bit later: nothing new.
    run_job(&local, "reminders").await;
    set_clock(&local, &at("2026-03-02", "08:15")).await;
    run_job(&local, "reminders").await;
    assert_eq!(emails(&local).len(), 1);
    // Moved: reminded again, for its new time.
    patch_ok(
        &local,
        Role::Receptionist,
        &a.location,
        json!({"starts_at": at("2026-03-03", "06:00")}),
    )
    .await;
    run_job(&local, "reminders").await;
    assert_eq!(count(&local, "paciente@example.com", "às 06:00"), 1);
    assert_eq!(emails(&local).len(), 2);
    // The one 30 hours ahead comes into the window later.
    set_clock(&local, &at("2026-03-02", "15:00")).await;
    run_job(&local, "reminders").await;
    assert_eq!(count(&local, "paciente@example.com", "às 14:00"), 1);
    assert_eq!(
        count(&local, "paciente@example.com", "às 05:00"),
        0,
        "cancelled"
    );
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_few_free_beds_alert_once_a_day() {
    let local = start(Backend::Embedded).await;
    set_clock(&local, &at("2026-03-02", "08:00")).await;
    let sector = new_sector(&local, "Clínica Médica", "ward").await;
    let mut beds = Vec::new();
    for i in 0..10 {
        beds.push(new_bed(&local, &format!("CM-{i:02}"), &sector.id, "available").await);
    }
    // 9 of 10 under maintenance: 10 % free, not below 10 %: silent.
    for b in &beds[..9] {
        patch_ok(
            &local,
            Role::Nurse,
            &b.location,
            json!({"status": "maintenance"}),
        )
        .await;
    }
    run_job(&local, "beds-low").await;
    assert_eq!(
        count(&local, "alertas@example.com", "Poucos leitos livres"),
        0
    );
    // None free: alerted, once.
    patch_ok(
        &local,
        Role::Nurse,
        &beds[9].location,
        json!({"status": "blocked"}),
    )
    .await;
    run_job(&local, "beds-low").await;
    run_job(&local, "beds-low").await;
    assert_eq!(
        count(&local, "alertas@example.com", "Poucos leitos livres"),
        1
    );
    let mail = &emails_to(&local, "alertas@example.com", "Poucos leitos livres")[0];
    assert!(mail.subject.contains("Clínica Médica"), "{mail:?}");
    assert!(
        mail.says("0 leitos livres de 10 (0,0%), abaixo do limite de 10%"),
        "{mail:?}"
    );
    // The next day, still short: alerted again.
    set_clock(&local, &at("2026-03-03", "08:00")).await;
    run_job(&local, "beds-low").await;
    assert_eq!(
        count(&local, "alertas@example.com", "Poucos leitos livres"),
        2
    );
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_overdue_bills_go_to_collection_per_insurer() {
    let local = start(Backend::Embedded).await;
    set_clock(&local, &at("2026-03-20", "09:00")).await;
    let insurer = new_insurer(&local, "Saúde Total", "309001").await;
    let p = new_patient(&local, "Joana Prado", 9201).await;
    let entry = |due: &str, desc: &str, insurer_id: Option<&str>| {
        let mut e = json!({
            "patient_id": p.id, "description": desc, "amount_cents": 125000,
            "issued_on": "2026-02-01", "due_on": due,
        });
        if let Some(i) = insurer_id {
            e["insurer_id"] = json!(i);
        }
        e
    };
    // Due 6 and 10 days ago (overdue beyond 5 days), due 3 days ago (not yet), and one paid.
    let a = create(
        &local,
        Role::Billing,
        BILLING,
        &entry("2026-03-14", "Consulta", Some(&insurer.id)),
    )
    .await;
    let b = create(
        &local,
        Role::Billing,
        BILLING,
        &entry("2026-03-10", "Exames", Some(&insurer.id)),
    )
    .await;
    create(
        &local,
        Role::Billing,
        BILLING,
        &entry("2026-03-17", "Retorno", Some(&insurer.id)),
    )
    .await;
    let paid = create(
        &local,
        Role::Billing,
        BILLING,
        &entry("2026-03-01", "Paga", Some(&insurer.id)),
    )
    .await;
    patch_ok(
        &local,
        Role::Billing,
        &paid.location,
        json!({"status": "paid", "paid_on": "2026-03-05"}),
    )
    .await;
    let private = create(
        &local,
        Role::Billing,
        BILLING,
        &entry("2026-03-12", "Particular", None),
    )
    .await;

    let report = run_job(&local, "billing-overdue").await;
    assert_eq!(report["report"]["overdue_entries"], 3, "{report}");
    let mails = emails_to(&local, "faturamento@hospital.example", "Cobrança");
    assert_eq!(
        mails.len(),
        2,
        "one per insurer, private pay apart: {mails:?}"
    );
    let insurer_mail = mails
        .iter()
        .find(|m| m.subject.contains("Saúde Total"))
        .expect("insurer's");
    assert!(
        insurer_mail
            .subject
            .starts_with("Cobrança: 2 lançamentos vencidos"),
        "{insurer_mail:?}"
    );
    assert!(
        insurer_mail.says(&a.id) && insurer_mail.says(&b.id),
        "{insurer_mail:?}"
    );
    assert!(
        insurer_mail.says("R$ 2.500,00"),
        "the total: {insurer_mail:?}"
    );
    assert!(!insurer_mail.says("Retorno"), "not yet 5 days overdue");
    assert!(
        mails
            .iter()
            .any(|m| m.says(&private.id) && m.subject.contains("Particular"))
    );
    // Again the same day: nothing new.
    run_job(&local, "billing-overdue").await;
    assert_eq!(
        emails_to(&local, "faturamento@hospital.example", "Cobrança").len(),
        2
    );
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_exams_in_progress_too_long_nudge_the_doctor() {
    let local = start(Backend::Embedded).await;
    set_clock(&local, &at("2026-03-02", "08:00")).await;
    let doc = new_doctor(&local, "Carlos Mendes", 9301, &[]).await;
    let p = new_patient(&local, "Rita Lopes", 9302).await;
    let exam = create(
        &local,
        Role::Doctor,
        EXAMS,
        &json!({"patient_id": p.id, "doctor_id": doc.id, "exam_type": "Tomografia de tórax", "priority": "urgent"}),
    )
    .await;
    patch_ok(
        &local,
        Role::Nurse,
        &exam.location,
        json!({"status": "in_progress"}),
    )
    .await;
    // 47 hours in: silent.
    set_clock(&local, &at("2026-03-04", "07:00")).await;
    run_job(&local, "exams-overdue").await;
    assert_eq!(count(&local, "@example.com", "Exame em andamento"), 0);
    // 49 hours in: the requesting doctor is told, once.
    set_clock(&local, &at("2026-03-04", "09:00")).await;
    run_job(&local, "exams-overdue").await;
    run_job(&local, "exams-overdue").await;
    let mails = emails_to(&local, "@example.com", "Exame em andamento");
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].says("Tomografia de tórax") && mails[0].says("Rita Lopes"),
        "{:?}",
        mails[0]
    );
    assert!(
        !mails[0].subject.contains("Rita"),
        "no patient name in the subject"
    );
    // Completed: nothing more, even the next day.
    patch_ok(
        &local,
        Role::Doctor,
        &exam.location,
        json!({"status": "completed", "result": "Sem alterações."}),
    )
    .await;
    set_clock(&local, &at("2026-03-05", "09:00")).await;
    run_job(&local, "exams-overdue").await;
    assert_eq!(
        emails_to(&local, "@example.com", "Exame em andamento").len(),
        1
    );
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_low_stock_tells_the_pharmacy_once_a_day() {
    let local = start(Backend::Embedded).await;
    set_clock(&local, &at("2026-03-02", "08:00")).await;
    let med = new_medication(&local, "Dipirona 500 mg", 10, 12).await;
    // At the minimum: silent, on the event and in the sweep.
    let (s, b) = send(
        &local,
        Method::POST,
        &format!("{}/stock-movements", med.location),
        Role::Pharmacist,
        Some(&json!({"kind": "dispensed", "quantity": 2, "reason": "enfermaria"})),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    run_job(&local, "stock-sweep").await;
    assert_eq!(count(&local, "farmacia@hospital.example", "Reposição"), 0);
    // Below it: the event tells the pharmacy; the sweep the same day adds nothing.
    let (s, _) = send(
        &local,
        Method::POST,
        &format!("{}/stock-movements", med.location),
        Role::Pharmacist,
        Some(&json!({"kind": "dispensed", "quantity": 3, "reason": "enfermaria"})),
    )
    .await;
    assert_eq!(s, 201);
    assert!(
        eventually(2, || async {
            count(&local, "farmacia@hospital.example", "Reposição") == 1
        })
        .await
    );
    run_job(&local, "stock-sweep").await;
    assert_eq!(count(&local, "farmacia@hospital.example", "Reposição"), 1);
    let mail = &emails_to(&local, "farmacia@hospital.example", "Reposição")[0];
    assert!(
        mail.says("7 comprimidos, abaixo do mínimo de 10 comprimidos"),
        "{mail:?}"
    );
    // The next day, still low: the sweep tells it again.
    set_clock(&local, &at("2026-03-03", "07:30")).await;
    run_job(&local, "stock-sweep").await;
    assert_eq!(count(&local, "farmacia@hospital.example", "Reposição"), 2);
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_inconsistencies_are_found_and_reported_to_on_call() {
    let local = start(Backend::Embedded).await;
    set_clock(&local, &at("2026-03-02", "03:00")).await;
    let sector = new_sector(&local, "UTI Adulto", "icu").await;
    let bed = new_bed(&local, "UTI-01", &sector.id, "available").await;
    // Consistent: nothing found.
    let report = run_job(&local, "consistency-scan").await;
    assert_eq!(report["report"]["violations"], json!([]), "{report}");
    // A bed marked occupied behind the API's back: found, alerted once a day.
    let store = local.server.as_ref().unwrap().store.clone();
    let key = hospital_core::store::Key::new(format!("bed#{}", bed.id), "bed");
    let mut item = store.get(&key).await.unwrap().unwrap();
    item.insert("status".into(), json!("occupied"));
    store
        .transact(vec![hospital_core::store::Write::put(item)])
        .await
        .unwrap();
    let report = run_job(&local, "consistency-scan").await;
    let violations = report["report"]["violations"].as_array().unwrap().clone();
    assert_eq!(violations.len(), 2, "the bed and the board: {report}");
    assert_eq!(report["report"]["alerts_raised"], 2);
    let again = run_job(&local, "consistency-scan").await;
    assert_eq!(again["report"]["alerts_raised"], 0);
    // A stock that its movements don't add up to: found (each run reads the movements since
    // the last one; legitimate movements in between keep it consistent).
    let medication = new_medication(&local, "Dipirona 500 mg", 5, 40).await;
    let (s, b) = send(
        &local,
        Method::POST,
        &format!("{}/stock-movements", medication.location),
        Role::Pharmacist,
        Some(&json!({"kind": "dispensed", "quantity": 15, "reason": "dispensação"})),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let report = run_job(&local, "consistency-scan").await;
    assert_eq!(
        report["report"]["violations"].as_array().unwrap().len(),
        2,
        "{report}"
    );
    let key = hospital_core::store::Key::new(format!("medication#{}", medication.id), "medication");
    let mut item = store.get(&key).await.unwrap().unwrap();
    item.insert("stock_quantity".into(), json!(99));
    store
        .transact(vec![hospital_core::store::Write::put(item)])
        .await
        .unwrap();
    let report = run_job(&local, "consistency-scan").await;
    let violations = report["report"]["violations"].as_array().unwrap().clone();
    assert!(
        violations.iter().any(|v| v
            .as_str()
            .unwrap()
            .contains("estoque 99, mas suas movimentações somam 25")),
        "{report}"
    );
    assert_eq!(report["report"]["alerts_raised"], 1);
    // The alerts reach on-call in one e-mail, in Portuguese, naming the bed.
    set_clock(&local, &at("2026-03-02", "04:05")).await;
    run_job(&local, "alert-digest").await;
    run_job(&local, "alert-digest").await;
    let mails = emails_to(&local, "plantao@hospital.example", "alertas operacionais");
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(
        mails[0].subject,
        "[Hospital Santa Clara] 3 alertas operacionais"
    );
    assert!(
        mails[0].says(&format!(
            "[Leito sem internação] leito UTI-01 ({}) do setor UTI Adulto está ocupado, mas nenhuma internação aberta o ocupa",
            bed.id
        )),
        "{:?}",
        mails[0]
    );
    local.stop().await;
}
