//! The dev clock (hospital-local with `dev_clock`), on both stores: off, the dev routes do not
//! exist (404, undocumented); on,
//! every rule that reads the time reads it — "today" in the hospital's time zone for bookings
//! and bills, "not in the future" for admissions and payments, the stamps of records.

use super::*;

const CLOCK: &str = "/v1/dev/clock";

async fn clock(local: &Local, method: Method, role: Role, body: Option<Value>) -> (u16, Value) {
    send(local, method, CLOCK, role, body.as_ref()).await
}

/// The paths of the OpenAPI document the server serves.
async fn documented_paths(local: &Local) -> Vec<String> {
    let (s, doc) = body(local.get("/v1/openapi.json").await).await;
    assert_eq!(s, 200);
    doc["paths"].as_object().unwrap().keys().cloned().collect()
}

/// Without `dev_clock` the dev routes do not exist at all: not routed (a 404 as for any
/// unknown path, for every method), not documented.
pub async fn clock_off(local: &Local) {
    for (method, path, body) in [
        (Method::GET, CLOCK, None),
        (
            Method::PUT,
            CLOCK,
            Some(json!({"now": "2030-03-02T10:00:00-03:00"})),
        ),
        (Method::DELETE, CLOCK, None),
        (Method::POST, "/v1/dev/jobs/reminders", None),
        (Method::GET, "/v1/dev/jobs/reminders", None),
    ] {
        let (s, b) = send(local, method, path, Role::Admin, body.as_ref()).await;
        assert_error(s, &b, 404, None, "no such route");
    }
    let paths = documented_paths(local).await;
    assert!(paths.iter().all(|p| !p.starts_with("/v1/dev")), "{paths:?}");
    assert!(paths.iter().any(|p| p == "/v1/patients"));
    // Nothing moved: the server's today is the real one.
    let p = new_patient(local, "Relógio Desligado", 7901).await;
    let esp = new_specialty(local, "Relógio Desligado").await;
    let doc = new_doctor(local, "Dr. Desligado", 7902, &[&esp.id]).await;
    let (s, b) = send(
        local,
        Method::POST,
        APPOINTMENTS,
        Role::Receptionist,
        Some(&appointment(&p.id, &doc.id, &esp.id, "2030-03-02", "10:00")),
    )
    .await;
    assert_eq!(s, 201, "{b}");
}

pub async fn clock_on(local: &Local) {
    // Real time until set.
    let (s, b) = clock(local, Method::GET, Role::Admin, None).await;
    assert_eq!((s, &b["fixed"]), (200, &json!(false)), "{b}");
    assert_eq!(b["today"], sao_paulo_date(0));
    let paths = documented_paths(local).await;
    for dev in [CLOCK, "/v1/dev/jobs/{name}"] {
        assert!(
            paths.iter().any(|p| p == dev),
            "{dev} undocumented: {paths:?}"
        );
    }
    // A job that does not run, or fails, answers the envelope with a 4xx, never a 200.
    let tomorrow = sao_paulo_date(1);
    for (path, status, field) in [
        ("/v1/dev/jobs/no-such-job".to_string(), 404, "name"),
        (
            format!("/v1/dev/jobs/reminders?date={tomorrow}"),
            400,
            "date",
        ),
        (
            "/v1/dev/jobs/daily-report?date=ontem".to_string(),
            400,
            "date",
        ),
        (
            format!("/v1/dev/jobs/daily-report?date={tomorrow}"),
            422,
            "date",
        ),
    ] {
        let (s, b) = send(local, Method::POST, &path, Role::Admin, None).await;
        assert_envelope(s, &b, status, Some(field));
    }
    for role in [Role::Manager, Role::Receptionist] {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let (s, b) = clock(
                local,
                method,
                role,
                Some(json!({"now": "2030-03-02T10:00:00-03:00"})),
            )
            .await;
            assert_envelope(s, &b, 403, None);
        }
    }
    for (bad, field) in [
        (json!({"now": "amanhã"}), "now"),
        (json!({"now": "2030-03-02"}), "now"),
        (json!({"now": "2030-03-02T10:00:00"}), "now"),
        (json!({}), "now"),
        (json!({"now": "2030-03-02T10:00:00Z", "tz": "UTC"}), "tz"),
    ] {
        let (s, b) = clock(local, Method::PUT, Role::Admin, Some(bad)).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    let set = set_clock(local, "2030-03-02T10:00:00-03:00").await;
    assert_eq!(
        set,
        json!({"now": "2030-03-02T13:00:00.000Z", "today": "2030-03-02", "fixed": true})
    );
    let (_, got) = clock(local, Method::GET, Role::Admin, None).await;
    assert_eq!(got, set);

    // Records are stamped with the clock's now.
    let esp = new_specialty(local, "Clínica do Relógio").await;
    let doc = new_doctor(local, "Dra. Relógio", 7910, &[&esp.id]).await;
    let p1 = new_patient(local, "Relógio Um", 7911).await;
    let p2 = new_patient(local, "Relógio Dois", 7912).await;
    assert_eq!(p1.body["created_at"], "2030-03-02T13:00:00.000Z");
    let sec = new_sector(local, "Enfermaria do Relógio", "ward").await;
    let bed = new_bed(local, "R-01", &sec.id, "available").await;
    assert_eq!(bed.body["status_since"], "2030-03-02T13:00:00.000Z");

    // Booking "today" is the hospital's today: earlier hours of the day are still today; the
    // evening before is not, though its UTC date is today's.
    let book = |patient: &str, starts_at: &str| json!({"patient_id": patient, "doctor_id": doc.id, "specialty_id": esp.id, "starts_at": starts_at});
    let early = create(
        local,
        Role::Receptionist,
        APPOINTMENTS,
        &book(&p1.id, "2030-03-02T03:00:00Z"),
    )
    .await;
    assert_eq!(early.body["starts_at"], "2030-03-02T03:00:00.000Z");
    let ap = create(
        local,
        Role::Receptionist,
        APPOINTMENTS,
        &book(&p1.id, &at("2030-03-02", "09:00")),
    )
    .await;
    for refused in ["2030-03-02T02:59:00Z", "2030-03-01T23:59:00-03:00"] {
        let (s, b) = send(
            local,
            Method::POST,
            APPOINTMENTS,
            Role::Receptionist,
            Some(&book(&p2.id, refused)),
        )
        .await;
        assert_error(s, &b, 422, Some("starts_at"), "today or later");
    }

    // A day later, that day is past: no booking on it, no moving into it; moving ahead is fine.
    set_clock(local, "2030-03-03T10:00:00-03:00").await;
    let (s, b) = send(
        local,
        Method::POST,
        APPOINTMENTS,
        Role::Receptionist,
        Some(&book(&p2.id, &at("2030-03-02", "15:00"))),
    )
    .await;
    assert_error(s, &b, 422, Some("starts_at"), "today or later");
    let (s, b, _) = patch_as(
        local,
        Role::Receptionist,
        &ap.location,
        &json!({"starts_at": at("2030-03-02", "16:00")}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("starts_at"));
    // Without moving it, the past appointment is still checked in and fulfilled.
    patch_ok(
        local,
        Role::Nurse,
        &early.location,
        json!({"status": "checked_in"}),
    )
    .await;
    let b = patch_ok(
        local,
        Role::Receptionist,
        &ap.location,
        json!({"starts_at": at("2030-03-03", "08:00")}),
    )
    .await;
    assert_eq!(b["updated_at"], "2030-03-03T13:00:00.000Z");

    // Admissions: never in the future of the clock; in its past, from when the bed was free.
    let body = admission(&p2.id, &bed.id, &doc.id);
    for (when, field, text) in [
        ("2030-03-03T10:01:00-03:00", "admitted_at", "future"),
        (
            "2030-03-02T09:59:00-03:00",
            "bed_id",
            "available only since",
        ),
    ] {
        let (s, b) = send(
            local,
            Method::POST,
            ADMISSIONS,
            Role::Receptionist,
            Some(&with(&body, "admitted_at", json!(when))),
        )
        .await;
        assert_error(s, &b, 422, Some(field), text);
    }
    let adm = create(
        local,
        Role::Receptionist,
        ADMISSIONS,
        &with(&body, "admitted_at", json!("2030-03-02T22:00:00-03:00")),
    )
    .await;
    assert_eq!(adm.body["admitted_at"], "2030-03-03T01:00:00.000Z");
    assert_eq!(adm.body["created_at"], "2030-03-03T13:00:00.000Z");
    let (s, b) = send(
        local,
        Method::POST,
        &format!("{}/discharge", adm.location),
        Role::Doctor,
        Some(&json!({
            "disposition": "home",
            "discharge_diagnosis": diagnosis("J18.9", "Pneumonia"),
            "discharged_at": "2030-03-03T10:30:00-03:00",
        })),
    )
    .await;
    assert_error(s, &b, 422, Some("discharged_at"), "future");
    // Discharged now (the clock's).
    let (s, b) = send(
        local,
        Method::POST,
        &format!("{}/discharge", adm.location),
        Role::Doctor,
        Some(
            &json!({"disposition": "home", "discharge_diagnosis": diagnosis("J18.9", "Pneumonia")}),
        ),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["discharge"]["discharged_at"], "2030-03-03T13:00:00.000Z");

    // Billing: today is the clock's; nothing issued or paid in its future.
    let ins = new_insurer(local, "Seguradora do Relógio", "790001").await;
    let entry = create(
        local,
        Role::Billing,
        BILLING,
        &json!({
            "patient_id": p2.id, "insurer_id": ins.id, "admission_id": adm.id,
            "description": "Internação", "amount_cents": 99000, "due_on": "2030-04-02",
        }),
    )
    .await;
    assert_eq!(entry.body["issued_on"], "2030-03-03");
    let due_before = |day: &'static str| async move {
        ids_of(&items(local, &format!("{BILLING}?due_before={day}")).await)
    };
    assert_eq!(due_before("2030-04-03").await, [entry.id.as_str()]);
    assert!(due_before("2030-04-02").await.is_empty());
    let (s, b) = send(
        local,
        Method::POST,
        BILLING,
        Role::Billing,
        Some(&json!({
            "patient_id": p2.id, "description": "Taxa", "amount_cents": 100,
            "issued_on": "2030-03-04", "due_on": "2030-04-02",
        })),
    )
    .await;
    assert_envelope(s, &b, 422, Some("issued_on"));
    let (s, b, _) = patch_as(
        local,
        Role::Billing,
        &entry.location,
        &json!({"status": "paid", "paid_on": "2030-03-04"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("paid_on"));
    // Late in the evening in São Paulo it is still that day, though UTC has moved on.
    set_clock(local, "2030-03-04T02:30:00Z").await;
    let (_, got) = clock(local, Method::GET, Role::Admin, None).await;
    assert_eq!(got["today"], "2030-03-03");
    let (s, b, _) = patch_as(
        local,
        Role::Billing,
        &entry.location,
        &json!({"status": "paid", "paid_on": "2030-03-04"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("paid_on"));
    let b = patch_ok(
        local,
        Role::Billing,
        &entry.location,
        json!({"status": "paid", "paid_on": "2030-03-03"}),
    )
    .await;
    assert_eq!(b["paid_on"], "2030-03-03");
    assert!(due_before("2030-04-03").await.is_empty());

    // Back to real time.
    let (s, b) = clock(local, Method::DELETE, Role::Admin, None).await;
    assert_eq!((s, &b["fixed"]), (200, &json!(false)), "{b}");
    assert_eq!(b["today"], sao_paulo_date(0));
    let p3 = new_patient(local, "Relógio Três", 7913).await;
    assert_ne!(
        p3.body["created_at"].as_str().unwrap().get(..4),
        Some("2030")
    );
    let (s, b) = send(
        local,
        Method::POST,
        APPOINTMENTS,
        Role::Receptionist,
        Some(&book(&p3.id, &at(&sao_paulo_date(-1), "10:00"))),
    )
    .await;
    assert_envelope(s, &b, 422, Some("starts_at"));
}

fn with_clock(c: &mut hospital_local::Config) {
    c.dev_clock = true;
}

#[tokio::test]
async fn operations_clock_on_embedded_store() {
    let off = Local::start(Backend::Embedded).await;
    clock_off(&off).await;
    off.stop().await;
    let local = Local::start_with(Backend::Embedded, with_clock).await;
    clock_on(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn operations_clock_on_dynamodb() {
    let off = Local::start(Backend::Dynamo).await;
    clock_off(&off).await;
    off.stop().await;
    let local = Local::start_with(Backend::Dynamo, with_clock).await;
    clock_on(&local).await;
    local.stop().await;
}
