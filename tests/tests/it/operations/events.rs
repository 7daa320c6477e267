//! Domain events, on both stores: each change writes its outbox record in its own transaction,
//! so a record exists exactly when its change committed — one per committed change, none for a
//! refused one (validation, conflict, a lost race); payloads hold ids, never names or CPFs.

use super::*;
use futures::future::join_all;
use std::collections::HashSet;

/// The sources of the events the changes write.
const DOMAIN_SOURCES: [&str; 6] = [
    "hospital.appointments",
    "hospital.admissions",
    "hospital.beds",
    "hospital.exams",
    "hospital.pharmacy",
    "hospital.billing",
];

/// Reads the outbox and answers the records written since the last call.
struct Outbox<'a> {
    local: &'a Local,
    seen: HashSet<String>,
    /// Every record read, for the payload checks at the end.
    all: Vec<Value>,
}

impl<'a> Outbox<'a> {
    async fn new(local: &'a Local) -> Outbox<'a> {
        let mut o = Outbox {
            local,
            seen: HashSet::new(),
            all: Vec::new(),
        };
        o.fresh().await;
        o
    }

    async fn fresh(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        for record in outbox(self.local).await {
            // Only the events of the changes themselves; what hospital-local's automation
            // does on them (notifications, alerts) writes records of its own, later.
            if !DOMAIN_SOURCES.contains(&record["source"].as_str().unwrap_or_default()) {
                continue;
            }
            let id = record["event_id"].as_str().expect("event_id").to_string();
            if self.seen.insert(id) {
                self.all.push(record.clone());
                out.push(record);
            }
        }
        out.sort_by(|a, b| a["event_id"].as_str().cmp(&b["event_id"].as_str()));
        out
    }

    /// Asserts that the changes since the last call wrote exactly these events (in any
    /// order), and answers them in that order.
    #[track_caller]
    fn expect<'b>(
        &'b mut self,
        types: &'b [&'b str],
    ) -> impl std::future::Future<Output = Vec<Value>> + 'b {
        let caller = std::panic::Location::caller();
        async move {
            let fresh = self.fresh().await;
            let mut got: Vec<&str> = fresh
                .iter()
                .map(|r| r["detail_type"].as_str().unwrap())
                .collect();
            got.sort();
            let mut want = types.to_vec();
            want.sort();
            assert_eq!(got, want, "outbox records at {caller}: {fresh:?}");
            types
                .iter()
                .map(|t| {
                    fresh
                        .iter()
                        .find(|r| r["detail_type"] == *t)
                        .unwrap()
                        .clone()
                })
                .collect()
        }
    }
}

pub async fn events(local: &Local) {
    let cardio = new_specialty(local, "Cardiologia Eventos").await;
    let doc = new_doctor(local, "Dra. Eventos", 7801, &[&cardio.id]).await;
    let p1 = new_patient(local, "Evento Um", 7810).await;
    let p2 = new_patient(local, "Evento Dois", 7811).await;
    let p3 = new_patient(local, "Evento Três", 7812).await;
    let sec = new_sector(local, "Enfermaria Eventos", "ward").await;
    let b1 = new_bed(local, "E-01", &sec.id, "available").await;
    let b2 = new_bed(local, "E-02", &sec.id, "available").await;
    let b3 = new_bed(local, "E-03", &sec.id, "available").await;
    let med = new_medication(local, "Heparina 5000 UI", 10, 12).await;
    let ins = new_insurer(local, "Saúde Eventos", "780001").await;
    let mut outbox = Outbox::new(local).await;
    outbox.expect(&[]).await;

    // Appointments: booked, rescheduled, cancelled; nothing for a refused booking.
    let d = sao_paulo_date(2);
    let ap = create(
        local,
        Role::Receptionist,
        APPOINTMENTS,
        &appointment(&p1.id, &doc.id, &cardio.id, &d, "09:00"),
    )
    .await;
    let [booked] = outbox
        .expect(&["AppointmentBooked"])
        .await
        .try_into()
        .unwrap();
    assert_eq!(booked["source"], "hospital.appointments");
    assert_eq!(booked["detail"]["appointment_id"], ap.id.as_str());
    assert_eq!(booked["detail"]["patient_id"], p1.id.as_str());
    assert_eq!(booked["detail"]["doctor_id"], doc.id.as_str());
    assert_eq!(booked["detail"]["starts_at"], utc(&d, "09:00"));
    let (s, b) = send(
        local,
        Method::POST,
        APPOINTMENTS,
        Role::Receptionist,
        Some(&appointment(&p2.id, &doc.id, &cardio.id, &d, "09:10")),
    )
    .await;
    assert_envelope(s, &b, 409, Some("starts_at"));
    let (s, b) = send(
        local,
        Method::POST,
        APPOINTMENTS,
        Role::Receptionist,
        Some(&appointment(
            &p2.id,
            &doc.id,
            &cardio.id,
            &sao_paulo_date(-1),
            "09:10",
        )),
    )
    .await;
    assert_envelope(s, &b, 422, Some("starts_at"));
    outbox.expect(&[]).await;
    patch_ok(
        local,
        Role::Receptionist,
        &ap.location,
        json!({"starts_at": at(&d, "11:00")}),
    )
    .await;
    let [moved] = outbox
        .expect(&["AppointmentRescheduled"])
        .await
        .try_into()
        .unwrap();
    assert_eq!(moved["detail"]["starts_at"], utc(&d, "11:00"));
    patch_ok(
        local,
        Role::Nurse,
        &ap.location,
        json!({"notes": "sem jejum"}),
    )
    .await;
    let (s, b, _) = patch_as(
        local,
        Role::Nurse,
        &ap.location,
        &json!({"status": "fulfilled"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("status"));
    outbox.expect(&[]).await;
    patch_ok(
        local,
        Role::Receptionist,
        &ap.location,
        json!({"status": "cancelled", "cancel_reason": "viagem"}),
    )
    .await;
    let [cancelled] = outbox
        .expect(&["AppointmentCancelled"])
        .await
        .try_into()
        .unwrap();
    assert_eq!(cancelled["detail"]["status"], "cancelled");

    // Admissions: admitted, transferred, discharged; the bed released by nursing; cancelled.
    let a1 = create(
        local,
        Role::Nurse,
        ADMISSIONS,
        &admission(&p1.id, &b1.id, &doc.id),
    )
    .await;
    let [admitted] = outbox
        .expect(&["PatientAdmitted"])
        .await
        .try_into()
        .unwrap();
    assert_eq!(admitted["source"], "hospital.admissions");
    assert_eq!(
        (
            &admitted["detail"]["admission_id"],
            &admitted["detail"]["patient_id"],
            &admitted["detail"]["bed_id"],
            &admitted["detail"]["sector_id"]
        ),
        (&json!(a1.id), &json!(p1.id), &json!(b1.id), &json!(sec.id))
    );
    for body in [
        admission(&p2.id, &b1.id, &doc.id),
        admission(&p1.id, &b2.id, &doc.id),
        with(
            &admission(&p2.id, &b2.id, &doc.id),
            "admitted_at",
            json!("2100-01-01T00:00:00Z"),
        ),
    ] {
        let (s, b) = send(local, Method::POST, ADMISSIONS, Role::Nurse, Some(&body)).await;
        assert!(s == 409 || s == 422, "{s} {b}");
    }
    outbox.expect(&[]).await;
    let (s, b) = send(
        local,
        Method::POST,
        &format!("{}/transfer", a1.location),
        Role::Nurse,
        Some(&json!({"bed_id": b1.id})),
    )
    .await;
    assert_envelope(s, &b, 422, Some("bed_id"));
    outbox.expect(&[]).await;
    let (s, b) = send(
        local,
        Method::POST,
        &format!("{}/transfer", a1.location),
        Role::Nurse,
        Some(&json!({"bed_id": b2.id})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let [moved] = outbox
        .expect(&["PatientTransferred"])
        .await
        .try_into()
        .unwrap();
    assert_eq!(
        (
            &moved["detail"]["from_bed_id"],
            &moved["detail"]["to_bed_id"]
        ),
        (&json!(b1.id), &json!(b2.id))
    );
    let (s, b) = send(
        local,
        Method::POST,
        &format!("{}/discharge", a1.location),
        Role::Doctor,
        Some(&json!({"disposition": "home", "discharge_diagnosis": diagnosis("I21.9", "Infarto")})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let [discharged] = outbox
        .expect(&["PatientDischarged"])
        .await
        .try_into()
        .unwrap();
    assert_eq!(discharged["detail"]["admission_id"], a1.id.as_str());
    assert_eq!(discharged["detail"]["bed_id"], b2.id.as_str());
    assert_eq!(discharged["detail"]["disposition"], "home");
    patch_ok(
        local,
        Role::Nurse,
        &b1.location,
        json!({"status": "available"}),
    )
    .await;
    let [released] = outbox.expect(&["BedReleased"]).await.try_into().unwrap();
    assert_eq!(
        (
            &released["detail"]["bed_id"],
            &released["detail"]["previous_status"]
        ),
        (&json!(b1.id), &json!("cleaning"))
    );
    // A bed moved between other statuses releases nothing.
    patch_ok(
        local,
        Role::Nurse,
        &b2.location,
        json!({"status": "maintenance"}),
    )
    .await;
    outbox.expect(&[]).await;
    let a2 = create(
        local,
        Role::Nurse,
        ADMISSIONS,
        &admission(&p2.id, &b3.id, &doc.id),
    )
    .await;
    outbox.expect(&["PatientAdmitted"]).await;
    let (s, b) = send(
        local,
        Method::POST,
        &format!("{}/cancel", a2.location),
        Role::Receptionist,
        Some(&json!({"reason": "paciente errado"})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let [cancelled, released] = outbox
        .expect(&["AdmissionCancelled", "BedReleased"])
        .await
        .try_into()
        .unwrap();
    assert_eq!(cancelled["detail"]["admission_id"], a2.id.as_str());
    assert_eq!(
        (
            &released["detail"]["bed_id"],
            &released["detail"]["previous_status"]
        ),
        (&json!(b3.id), &json!("occupied"))
    );
    // A race for one bed: one admission, one event.
    let racers = [&p2, &p3];
    let results = join_all(racers.iter().map(|p| {
        let body = admission(&p.id, &b1.id, &doc.id);
        async move {
            send(local, Method::POST, ADMISSIONS, Role::Nurse, Some(&body))
                .await
                .0
        }
    }))
    .await;
    let mut sorted_results = results.clone();
    sorted_results.sort();
    assert_eq!(sorted_results, [201, 409]);
    outbox.expect(&["PatientAdmitted"]).await;

    // Exams: completed.
    let exam = create(
        local,
        Role::Doctor,
        EXAMS,
        &json!({"patient_id": p1.id, "doctor_id": doc.id, "exam_type": "ECG", "priority": "urgent"}),
    )
    .await;
    patch_ok(
        local,
        Role::Nurse,
        &exam.location,
        json!({"status": "in_progress"}),
    )
    .await;
    let (s, b, _) = patch_as(
        local,
        Role::Doctor,
        &exam.location,
        &json!({"status": "completed"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("result"));
    outbox.expect(&[]).await;
    patch_ok(
        local,
        Role::Doctor,
        &exam.location,
        json!({"status": "completed", "result": "Ritmo sinusal"}),
    )
    .await;
    let [completed] = outbox.expect(&["ExamCompleted"]).await.try_into().unwrap();
    assert_eq!(completed["detail"]["exam_id"], exam.id.as_str());
    assert_eq!(completed["source"], "hospital.exams");

    // The pharmacy: the dispensation that takes the stock under the minimum, only that one.
    let rx = create(
        local,
        Role::Doctor,
        PRESCRIPTIONS,
        &json!({"patient_id": p1.id, "doctor_id": doc.id, "items": [item(&med.id, None)]}),
    )
    .await;
    let (s, b) = dispense(local, &rx.location, 0, 2).await;
    assert_eq!(s, 201, "{b}");
    outbox.expect(&[]).await;
    let (s, b) = dispense(local, &rx.location, 0, 100).await;
    assert_envelope(s, &b, 409, Some("quantity"));
    outbox.expect(&[]).await;
    let (s, disp) = dispense(local, &rx.location, 0, 1).await;
    assert_eq!(s, 201, "{disp}");
    let [below] = outbox
        .expect(&["StockBelowMinimum"])
        .await
        .try_into()
        .unwrap();
    assert_eq!(below["source"], "hospital.pharmacy");
    assert_eq!(
        (
            &below["detail"]["medication_id"],
            &below["detail"]["movement_id"]
        ),
        (&json!(med.id), &disp["movement_id"])
    );
    assert_eq!(below["detail"]["minimum_stock"], 10);
    let (s, b) = dispense(local, &rx.location, 0, 1).await;
    assert_eq!(s, 201, "{b}");
    outbox.expect(&[]).await;

    // Billing: paid.
    let entry = create(
        local,
        Role::Billing,
        BILLING,
        &json!({
            "patient_id": p1.id, "insurer_id": ins.id, "admission_id": a1.id,
            "description": "Diárias", "amount_cents": 250000, "due_on": sao_paulo_date(30),
        }),
    )
    .await;
    outbox.expect(&[]).await;
    let today = sao_paulo_date(0);
    patch_ok(
        local,
        Role::Billing,
        &entry.location,
        json!({"status": "paid", "paid_on": today}),
    )
    .await;
    let [paid] = outbox
        .expect(&["BillingEntryPaid"])
        .await
        .try_into()
        .unwrap();
    assert_eq!(
        (
            &paid["detail"]["billing_entry_id"],
            &paid["detail"]["amount_cents"],
            &paid["detail"]["paid_on"]
        ),
        (&json!(entry.id), &json!(250000), &json!(today))
    );
    let (s, b, _) = patch_as(
        local,
        Role::Billing,
        &entry.location,
        &json!({"amount_cents": 1}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("status"));
    outbox.expect(&[]).await;

    // Every record: its keys, pending, kept for a while; ids in payloads, never personal data.
    let people = [&p1, &p2, &p3, &doc];
    let secrets: Vec<String> = people
        .iter()
        .flat_map(|p| {
            [
                p.body["full_name"].as_str().unwrap().to_string(),
                p.body["cpf"].as_str().unwrap().to_string(),
                p.body["email"].as_str().unwrap().to_string(),
                p.body["phone"].as_str().unwrap().to_string(),
            ]
        })
        .collect();
    assert_eq!(outbox.all.len(), 14);
    for r in &outbox.all {
        let id = r["event_id"].as_str().unwrap();
        assert_eq!(r["pk"], format!("outbox#{id}"));
        assert_eq!(
            (&r["sk"], &r["entity"]),
            (&json!("outbox"), &json!("outbox"))
        );
        // Pending, or published by the relay (then out of the pending index).
        match r.get("published_at") {
            None => assert_eq!(
                (&r["gsi2pk"], &r["gsi2sk"]),
                (&json!("outbox#pending"), &json!(id)),
                "{r}"
            ),
            Some(at) => assert!(at.is_string() && r.get("gsi2pk").is_none(), "{r}"),
        }
        assert!(
            r["source"].as_str().unwrap().starts_with("hospital."),
            "{r}"
        );
        assert!(r["occurred_at"].is_string(), "{r}");
        assert!(r["expires_at"].as_i64().unwrap() > now() + 86_400, "{r}");
        let detail = r["detail"].to_string();
        for s in &secrets {
            assert!(!detail.contains(s.as_str()), "{s} in {r}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operations_events_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    events(&local).await;
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operations_events_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    events(&local).await;
    local.stop().await;
}
