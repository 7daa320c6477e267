//! What happens by itself when something happens: a discharge bills the stay (once, however
//! often the event arrives), a released bed is e-mailed to its sector, a relay that dies
//! before publishing loses nothing.

use super::*;
use hospital_core::automation::relay::{self, EventBus};
use hospital_core::automation::{Handled, catalogue};
use hospital_core::events::DomainEvent;

/// A ward with one bed, a doctor, an insurer paying in 45 days, a patient of that insurer, and
/// the ward's tariff for the insurer.
async fn ward(local: &Local, n: u32) -> (Created, Created, Created, Created, Created) {
    let sector = new_sector(local, &format!("Enfermaria {n}"), "ward").await;
    let bed = new_bed(local, &format!("E-{n}"), &sector.id, "available").await;
    let doctor = new_doctor(local, "Renata Moura", n, &[]).await;
    let mut insurer = crate::registries::insurer("Saúde Total", &format!("{:06}", 300_000 + n));
    insurer["payment_terms_days"] = json!(45);
    let insurer = create(local, Role::Billing, "/v1/insurers", &insurer).await;
    let mut p = patient("Joana Prado", n);
    p["insurer_id"] = json!(insurer.id);
    let patient = create(local, Role::Receptionist, "/v1/patients", &p).await;
    (sector, bed, doctor, insurer, patient)
}

async fn discharge_bills_the_stay(backend: Backend) {
    let local = start(backend).await;
    set_clock(&local, &at("2026-02-27", "08:00")).await;
    let (sector, bed, doctor, insurer, patient) = ward(&local, 9001).await;
    // A default rate for anyone, and the ward's rate for this insurer: the ward's applies.
    for t in [
        json!({"scope": "default", "daily_rate_cents": 10000}),
        json!({"scope": "sector", "sector_id": sector.id, "insurer_id": insurer.id, "daily_rate_cents": 85000}),
    ] {
        create(&local, Role::Billing, "/v1/tariffs", &t).await;
    }
    set_clock(&local, &at("2026-02-27", "15:00")).await;
    let adm = create(
        &local,
        Role::Nurse,
        ADMISSIONS,
        &admission(&patient.id, &bed.id, &doctor.id),
    )
    .await;
    set_clock(&local, &at("2026-03-02", "10:00")).await;
    let (s, b) = send(
        &local,
        Method::POST,
        &format!("{}/discharge", adm.location),
        Role::Doctor,
        Some(&json!({"disposition": "home", "discharge_diagnosis": diagnosis("I21.9", "IAM")})),
    )
    .await;
    assert_eq!(s, 200, "{b}");

    // Exactly one entry, within a second (the relay and the consumer run in process).
    let list = format!("{BILLING}?patient_id={}", patient.id);
    let billed = eventually(if backend == Backend::Embedded { 1 } else { 5 }, || async {
        get_ok(&local, &list).await["items"]
            .as_array()
            .unwrap()
            .len()
            == 1
    })
    .await;
    let entries = get_ok(&local, &list).await["items"].clone();
    assert!(billed, "no billing entry: {entries}");
    let e = &entries[0];
    // Census days: 27/02, 28/02 and 01/03 at midnight: 3 × R$ 850,00.
    assert_eq!(e["amount_cents"], 3 * 85000, "{e}");
    assert_eq!(e["origin"], "discharge");
    assert_eq!(e["insurer_id"], insurer.id.as_str());
    assert_eq!(e["admission_id"], adm.id.as_str());
    assert_eq!(e["issued_on"], "2026-03-02");
    assert_eq!(e["due_on"], "2026-04-16", "45 days after issue");

    // The same event twice more: nothing more.
    let ctx = ctx(&local);
    let consumer = catalogue::consumer("bill-discharge").unwrap();
    let event = discharged_event(&local, &adm.id).await;
    for _ in 0..2 {
        let h = (consumer.handle)(&ctx, &event).await.unwrap();
        assert_eq!(h, Handled::Duplicate);
    }
    assert_eq!(
        get_ok(&local, &list).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    local.stop().await;
}

/// The admission's `PatientDischarged` event, as recorded in the outbox.
async fn discharged_event(local: &Local, admission_id: &str) -> DomainEvent {
    outbox(local)
        .await
        .iter()
        .filter_map(|v| DomainEvent::from_outbox_item(v.as_object().unwrap()))
        .find(|e| e.detail_type == "PatientDischarged" && e.detail["admission_id"] == admission_id)
        .expect("a PatientDischarged record")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_discharge_bills_the_stay_on_embedded_store() {
    discharge_bills_the_stay(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_discharge_bills_the_stay_on_dynamodb() {
    discharge_bills_the_stay(Backend::Dynamo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_a_stay_without_tariff_is_an_email_to_billing_not_a_bill() {
    let local = start(Backend::Embedded).await;
    set_clock(&local, &at("2026-02-27", "10:00")).await;
    let (_, bed, doctor, _, patient) = ward(&local, 9010).await;
    let adm = create(
        &local,
        Role::Nurse,
        ADMISSIONS,
        &admission(&patient.id, &bed.id, &doctor.id),
    )
    .await;
    set_clock(&local, &at("2026-03-02", "10:00")).await;
    let (s, _) = send(
        &local,
        Method::POST,
        &format!("{}/discharge", adm.location),
        Role::Doctor,
        Some(&json!({"disposition": "home", "discharge_diagnosis": diagnosis("I21.9", "IAM")})),
    )
    .await;
    assert_eq!(s, 200);
    // Billing reads, in Portuguese, whose stay it is, where and when: enough to bill it by hand.
    let subject = "Internação sem faturamento: Joana Prado — falta tarifa";
    let told = eventually(3, || async {
        emails_to(&local, "faturamento@hospital.example", subject).len() == 1
    })
    .await;
    assert!(told, "no e-mail to billing: {:?}", emails(&local));
    let mail = &emails_to(&local, "faturamento@hospital.example", subject)[0];
    for says in [
        "A alta de Joana Prado não gerou lançamento de faturamento: não há tarifa cadastrada para leito de enfermaria no setor Enfermaria 9010 (convênio Saúde Total).",
        "Setor: Enfermaria 9010, de 27/02/2026 a 02/03/2026",
        "Internação: 27/02/2026",
        "Alta: 02/03/2026",
    ] {
        assert!(mail.says(says), "{says:?} in {}", mail.text);
    }
    assert!(!mail.text.contains("sector "), "no English: {}", mail.text);
    // On-call has the alert too, in Portuguese and without the patient's name.
    let alert = outbox(&local)
        .await
        .into_iter()
        .find(|e| e["detail_type"] == "OperationalAlert" && e["detail"]["kind"] == "missing_tariff")
        .expect("the alert");
    let message = alert["detail"]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "sem faturamento: não há tarifa para leito de enfermaria no setor Enfermaria 9010"
        ),
        "{message}"
    );
    assert!(!message.contains("Joana"), "{message}");
    // Delivered again: neither a second e-mail nor a bill.
    let ctx = ctx(&local);
    let consumer = catalogue::consumer("bill-discharge").unwrap();
    let event = discharged_event(&local, &adm.id).await;
    for _ in 0..2 {
        assert_eq!(
            (consumer.handle)(&ctx, &event).await.unwrap(),
            Handled::Duplicate
        );
    }
    local
        .server
        .as_ref()
        .unwrap()
        .hospital
        .bus
        .settle(std::time::Duration::from_secs(3))
        .await;
    assert_eq!(
        emails_to(&local, "faturamento@hospital.example", subject).len(),
        1
    );
    let list = format!("{BILLING}?patient_id={}", patient.id);
    assert_eq!(get_ok(&local, &list).await["items"], json!([]));
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_a_released_bed_is_emailed_to_its_sector() {
    let local = start(Backend::Embedded).await;
    let sector = new_sector(&local, "UTI Adulto", "icu").await;
    let bed = new_bed(&local, "UTI-07", &sector.id, "cleaning").await;
    assert!(emails(&local).is_empty());
    patch_ok(
        &local,
        Role::Nurse,
        &bed.location,
        json!({"status": "available"}),
    )
    .await;
    let arrived = eventually(2, || async {
        !emails_to(&local, "alertas@example.com", "Leito UTI-07 liberado").is_empty()
    })
    .await;
    assert!(arrived, "no e-mail: {:?}", emails(&local));
    let mail = &emails_to(&local, "alertas@example.com", "UTI-07")[0];
    assert_eq!(mail.subject, "Leito UTI-07 liberado — UTI Adulto");
    assert!(
        mail.says("O leito UTI-07 do setor UTI Adulto está disponível desde"),
        "{mail:?}"
    );
    // Moving it again among other statuses says nothing more.
    patch_ok(
        &local,
        Role::Nurse,
        &bed.location,
        json!({"status": "maintenance"}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(emails(&local).len(), 1);
    local.stop().await;
}

/// A bus that refuses everything: a relay that dies between reading and publishing.
struct DeadBus;

#[async_trait::async_trait]
impl EventBus for DeadBus {
    async fn publish(&self, events: &[DomainEvent]) -> Vec<Result<(), String>> {
        events
            .iter()
            .map(|_| Err("the relay died".to_string()))
            .collect()
    }
}

/// A bus that records what it was given.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<DomainEvent>>);

#[async_trait::async_trait]
impl EventBus for Recorder {
    async fn publish(&self, events: &[DomainEvent]) -> Vec<Result<(), String>> {
        self.0.lock().unwrap().extend(events.iter().cloned());
        events.iter().map(|_| Ok(())).collect()
    }
}

#[tokio::test]
async fn automation_a_relay_that_dies_before_publishing_loses_nothing() {
    // The store alone, no server: the relay is driven by hand.
    let deps = crate::lambda_events::memory_deps();
    let mut tx = deps.tx();
    tx.event(DomainEvent::new(
        "hospital.beds",
        "BedReleased",
        tx.now(),
        json!({"bed_id": "01JBEN16F07QRVXFM2VY5PFPDZ", "sector_id": "01JBEMSW30RD39EK9TNMZCBE0T"}),
    ));
    tx.commit(deps.store.as_ref()).await.unwrap();
    let pending = relay::pending(&deps, chrono::Duration::zero(), 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    // Read, then died: still pending.
    let run = relay::publish(&deps, &DeadBus, &pending).await.unwrap();
    assert_eq!((run.published.len(), run.failed.len()), (0, 1));
    assert_eq!(
        relay::pending(&deps, chrono::Duration::zero(), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // The next run publishes it, once, and it leaves the pending records.
    let bus = Recorder::default();
    let run = relay::sweep(&deps, &bus, chrono::Duration::zero(), 100)
        .await
        .unwrap();
    assert_eq!(run.published, vec![pending[0].event_id.clone()]);
    assert_eq!(bus.0.lock().unwrap().len(), 1);
    assert!(
        relay::pending(&deps, chrono::Duration::zero(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = relay::sweep(&deps, &bus, chrono::Duration::zero(), 100)
        .await
        .unwrap();
    assert!(again.published.is_empty());
}
