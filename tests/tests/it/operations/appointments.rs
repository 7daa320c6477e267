//! Appointments (RF04), on both stores: booking with its rules, the doctor's and the patient's
//! time, the status flow, rescheduling and the lists.

use super::*;

async fn book(local: &Local, role: Role, body: Value) -> Created {
    create(local, role, APPOINTMENTS, &body).await
}

/// POSTs an appointment that must be refused with `status` naming `field`; the message must
/// mention `text`.
async fn refused(local: &Local, body: &Value, status: u16, field: &str, text: &str) {
    let (s, b) = send(
        local,
        Method::POST,
        APPOINTMENTS,
        Role::Receptionist,
        Some(body),
    )
    .await;
    assert_error(s, &b, status, Some(field), text);
}

async fn patch_refused(local: &Local, loc: &str, patch: Value, status: u16, field: &str) {
    let (s, b, _) = patch_as(local, Role::Receptionist, loc, &patch, None).await;
    assert_envelope(s, &b, status, Some(field));
}

async fn ids(local: &Local, query: &str) -> Vec<String> {
    ids_of(&items(local, &format!("{APPOINTMENTS}?{query}")).await)
}

pub async fn appointments(local: &Local) {
    let cardio = new_specialty(local, "Cardiologia").await;
    let derm = new_specialty(local, "Dermatologia").await;
    let ana = new_doctor(local, "Ana Cardio", 7001, &[&cardio.id]).await;
    let bruno = new_doctor(local, "Bruno Cardio", 7002, &[&cardio.id, &derm.id]).await;
    let inactive = create(
        local,
        Role::Admin,
        "/v1/doctors",
        &with(
            &crate::registries::doctor("Inativo", 7003, "7003", "SP", &[&cardio.id]),
            "status",
            json!("inactive"),
        ),
    )
    .await;
    let p1 = new_patient(local, "Paciente Um", 7010).await;
    let p2 = new_patient(local, "Paciente Dois", 7011).await;
    let p3 = new_patient(local, "Paciente Três", 7012).await;
    let p4 = new_patient(local, "Paciente Quatro", 7013).await;
    let d = sao_paulo_date(2);
    let d1 = sao_paulo_date(3);
    let yesterday = sao_paulo_date(-1);

    // Booking: status booked, 30 minutes by default, the time as UTC, notes trimmed.
    let a1 = book(
        local,
        Role::Receptionist,
        with(
            &appointment(&p1.id, &ana.id, &cardio.id, &d, "10:00"),
            "notes",
            json!("  Primeira consulta\nTrazer exames  "),
        ),
    )
    .await;
    assert_eq!(a1.body["status"], "booked");
    assert_eq!(a1.body["duration_minutes"], 30);
    assert_eq!(a1.body["starts_at"], utc(&d, "10:00"));
    assert_eq!(a1.body["notes"], "Primeira consulta\nTrazer exames");
    assert_eq!(
        (&a1.body["patient_id"], &a1.body["doctor_id"]),
        (&json!(p1.id), &json!(ana.id))
    );
    assert!(a1.body.get("cancel_reason").is_none(), "{}", a1.body);
    for role in [Role::Doctor, Role::Nurse, Role::Receptionist, Role::Manager] {
        let (s, got, etag) = get_as(local, role, &a1.location).await;
        assert_eq!((s, &got, etag.as_deref()), (200, &a1.body, Some("\"1\"")));
    }
    for role in [Role::Pharmacist, Role::Billing] {
        let (s, b, _) = get_as(local, role, &a1.location).await;
        assert_envelope(s, &b, 403, None);
    }
    let base = appointment(&p2.id, &ana.id, &cardio.id, &d, "14:00");
    for role in [Role::Billing, Role::Pharmacist, Role::Manager] {
        let (s, b) = send(local, Method::POST, APPOINTMENTS, role, Some(&base)).await;
        assert_envelope(s, &b, 403, None);
    }

    // Each rule's violation: 422 naming the field.
    for (bad, field) in [
        (with(&base, "specialty_id", json!(derm.id)), "specialty_id"),
        (
            with(&base, "specialty_id", json!(MISSING_ID)),
            "specialty_id",
        ),
        (with(&base, "doctor_id", json!(inactive.id)), "doctor_id"),
        (with(&base, "doctor_id", json!(MISSING_ID)), "doctor_id"),
        (without(&base, "doctor_id"), "doctor_id"),
        (with(&base, "patient_id", json!(MISSING_ID)), "patient_id"),
        (with(&base, "patient_id", json!("paciente-1")), "patient_id"),
        (
            with(&base, "starts_at", json!(at(&yesterday, "23:00"))),
            "starts_at",
        ),
        (with(&base, "starts_at", json!(d.clone())), "starts_at"),
        (
            with(&base, "starts_at", json!(format!("{d}T14:00:00"))),
            "starts_at",
        ),
        (without(&base, "starts_at"), "starts_at"),
        (
            with(&base, "duration_minutes", json!(4)),
            "duration_minutes",
        ),
        (
            with(&base, "duration_minutes", json!(241)),
            "duration_minutes",
        ),
        (
            with(&base, "duration_minutes", json!(30.5)),
            "duration_minutes",
        ),
        (
            with(&base, "duration_minutes", json!("30")),
            "duration_minutes",
        ),
        (with(&base, "status", json!("checked_in")), "status"),
        (with(&base, "status", json!("waiting")), "status"),
        (
            with(&base, "cancel_reason", json!("engano")),
            "cancel_reason",
        ),
        (with(&base, "notes", json!("x".repeat(2001))), "notes"),
        (with(&base, "room", json!("12")), "room"),
        (with(&base, "id", json!(MISSING_ID)), "id"),
    ] {
        let (s, b) = send(
            local,
            Method::POST,
            APPOINTMENTS,
            Role::Receptionist,
            Some(&bad),
        )
        .await;
        assert_envelope(s, &b, 422, Some(field));
    }
    let (s, b) = send(
        local,
        Method::POST,
        APPOINTMENTS,
        Role::Receptionist,
        Some(&with(
            &with(&base, "status", json!("cancelled")),
            "cancel_reason",
            json!("engano"),
        )),
    )
    .await;
    assert_envelope(s, &b, 422, Some("status"));
    assert!(
        ids(local, &format!("patient_id={}", p2.id))
            .await
            .is_empty()
    );

    // The doctor can't hold two overlapping appointments, nor the patient: 409 naming the
    // appointment that holds the time.
    refused(
        local,
        &appointment(&p2.id, &ana.id, &cardio.id, &d, "10:15"),
        409,
        "starts_at",
        a1.id.as_str(),
    )
    .await;
    refused(
        local,
        &appointment(&p1.id, &bruno.id, &cardio.id, &d, "10:20"),
        409,
        "starts_at",
        &format!("the patient already has appointment {}", a1.id),
    )
    .await;
    refused(
        local,
        &with(
            &appointment(&p2.id, &ana.id, &cardio.id, &d, "09:45"),
            "duration_minutes",
            json!(240),
        ),
        409,
        "starts_at",
        &format!("the doctor already has appointment {}", a1.id),
    )
    .await;
    // Ending when the other starts, or starting when it ends, is no overlap.
    let a2 = book(
        local,
        Role::Doctor,
        appointment(&p2.id, &ana.id, &cardio.id, &d, "10:30"),
    )
    .await;
    let a0 = book(
        local,
        Role::Nurse,
        appointment(&p3.id, &ana.id, &cardio.id, &d, "09:30"),
    )
    .await;
    refused(
        local,
        &with(
            &appointment(&p4.id, &ana.id, &cardio.id, &d, "09:00"),
            "duration_minutes",
            json!(45),
        ),
        409,
        "starts_at",
        a0.id.as_str(),
    )
    .await;
    refused(
        local,
        &appointment(&p2.id, &bruno.id, &derm.id, &d, "10:45"),
        409,
        "starts_at",
        a2.id.as_str(),
    )
    .await;
    // Another day is another agenda.
    let a3 = book(
        local,
        Role::Receptionist,
        appointment(&p1.id, &ana.id, &cardio.id, &d1, "10:00"),
    )
    .await;
    // Across midnight: the appointment holds both days.
    let a9 = book(
        local,
        Role::Receptionist,
        with(
            &appointment(&p4.id, &bruno.id, &cardio.id, &d, "23:45"),
            "duration_minutes",
            json!(30),
        ),
    )
    .await;
    refused(
        local,
        &appointment(&p3.id, &bruno.id, &cardio.id, &d1, "00:00"),
        409,
        "starts_at",
        a9.id.as_str(),
    )
    .await;
    assert!(ids(local, &format!("patient_id={}", p3.id)).await == [a0.id.clone()]);

    // Status: booked → checked_in → fulfilled; nothing after.
    patch_refused(
        local,
        &a1.location,
        json!({"status": "fulfilled"}),
        422,
        "status",
    )
    .await;
    // Not days ahead: a check-in opens two hours before the start (a1 at 10:00), a no-show
    // and a fulfilment need the start to have come.
    for (now, patch, text) in [
        (None, json!({"status": "checked_in"}), "check-in opens"),
        (
            Some("07:59"),
            json!({"status": "checked_in"}),
            "check-in opens",
        ),
        (
            Some("09:29"),
            json!({"status": "noshow"}),
            "once it has started",
        ),
    ] {
        if let Some(hm) = now {
            set_clock(local, &at(&d, hm)).await;
        }
        let loc = if patch["status"] == "noshow" {
            &a0.location
        } else {
            &a1.location
        };
        let (s, b, _) = patch_as(local, Role::Nurse, loc, &patch, None).await;
        assert_error(s, &b, 422, Some("status"), text);
    }
    set_clock(local, &at(&d, "08:00")).await;
    let (s, b, etag) = patch_as(
        local,
        Role::Nurse,
        &a1.location,
        &json!({"status": "checked_in"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!((s, &b["status"]), (200, &json!("checked_in")), "{b}");
    assert_eq!(etag.as_deref(), Some("\"2\""));
    let (s, b, _) = patch_as(
        local,
        Role::Nurse,
        &a1.location,
        &json!({"notes": "atrasado"}),
        Some("\"1\""),
    )
    .await;
    assert_envelope(s, &b, 412, Some("If-Match"));
    for st in ["booked", "noshow", "arrived"] {
        patch_refused(local, &a1.location, json!({"status": st}), 422, "status").await;
    }
    // Only a booked appointment moves.
    patch_refused(
        local,
        &a1.location,
        json!({"starts_at": at(&d, "16:00")}),
        422,
        "starts_at",
    )
    .await;
    let (s, b, _) = patch_as(
        local,
        Role::Doctor,
        &a1.location,
        &json!({"status": "fulfilled"}),
        None,
    )
    .await;
    assert_error(s, &b, 422, Some("status"), "once it has started");
    set_clock(local, &at(&d, "10:00")).await;
    let b = patch_ok(
        local,
        Role::Doctor,
        &a1.location,
        json!({"status": "fulfilled"}),
    )
    .await;
    assert_eq!(
        (&b["status"], &b["version"]),
        (&json!("fulfilled"), &json!(3))
    );
    patch_refused(
        local,
        &a1.location,
        json!({"status": "cancelled", "cancel_reason": "engano"}),
        422,
        "status",
    )
    .await;
    patch_refused(
        local,
        &a1.location,
        json!({"notes": "revisado"}),
        422,
        "status",
    )
    .await;
    // A patch that changes nothing changes nothing.
    let b = patch_ok(
        local,
        Role::Doctor,
        &a1.location,
        json!({"status": "fulfilled"}),
    )
    .await;
    assert_eq!(b["version"], 3);
    for role in [Role::Billing, Role::Pharmacist, Role::Manager] {
        let (s, b, _) = patch_as(local, role, &a2.location, &json!({"notes": "x"}), None).await;
        assert_envelope(s, &b, 403, None);
    }

    // Cancelling takes a reason, and frees the time for the doctor and the patient.
    let b = cancel_with_reason(
        local,
        &a2.location,
        (Role::Receptionist, "desistiu"),
        (Role::Receptionist, "  paciente desistiu "),
    )
    .await;
    assert_eq!(
        (&b["status"], &b["cancel_reason"]),
        (&json!("cancelled"), &json!("paciente desistiu"))
    );
    patch_refused(
        local,
        &a2.location,
        json!({"status": "booked", "cancel_reason": null}),
        422,
        "status",
    )
    .await;
    patch_refused(
        local,
        &a2.location,
        json!({"cancel_reason": "outro"}),
        422,
        "cancel_reason",
    )
    .await;
    let a4 = book(
        local,
        Role::Receptionist,
        appointment(&p4.id, &ana.id, &cardio.id, &d, "10:30"),
    )
    .await;
    let a5 = book(
        local,
        Role::Receptionist,
        appointment(&p2.id, &bruno.id, &derm.id, &d, "10:30"),
    )
    .await;
    // checked_in → cancelled.
    patch_ok(
        local,
        Role::Nurse,
        &a4.location,
        json!({"status": "checked_in"}),
    )
    .await;
    patch_ok(
        local,
        Role::Receptionist,
        &a4.location,
        json!({"status": "cancelled", "cancel_reason": "passou mal"}),
    )
    .await;
    // booked → noshow frees the time too; a no-show stays one.
    patch_refused(
        local,
        &a0.location,
        json!({"status": "noshow", "cancel_reason": "x"}),
        422,
        "cancel_reason",
    )
    .await;
    patch_ok(
        local,
        Role::Receptionist,
        &a0.location,
        json!({"status": "noshow"}),
    )
    .await;
    for st in ["checked_in", "booked", "fulfilled"] {
        patch_refused(local, &a0.location, json!({"status": st}), 422, "status").await;
    }
    // Back to real time (two days before `d`) for the rest.
    let (s, b) = send(local, Method::DELETE, "/v1/dev/clock", Role::Admin, None).await;
    assert_eq!(s, 200, "{b}");
    let a6 = book(
        local,
        Role::Receptionist,
        appointment(&p2.id, &ana.id, &cardio.id, &d, "09:30"),
    )
    .await;

    // Rescheduling, while booked: re-checked like a booking.
    patch_refused(
        local,
        &a3.location,
        json!({"starts_at": at(&d, "10:15")}),
        409,
        "starts_at",
    )
    .await;
    patch_refused(
        local,
        &a3.location,
        json!({"starts_at": at(&yesterday, "10:00")}),
        422,
        "starts_at",
    )
    .await;
    patch_refused(
        local,
        &a3.location,
        json!({"duration_minutes": 241}),
        422,
        "duration_minutes",
    )
    .await;
    patch_refused(
        local,
        &a3.location,
        json!({"patient_id": p2.id}),
        422,
        "patient_id",
    )
    .await;
    patch_refused(
        local,
        &a3.location,
        json!({"doctor_id": inactive.id}),
        422,
        "doctor_id",
    )
    .await;
    patch_refused(
        local,
        &a3.location,
        json!({"specialty_id": derm.id}),
        422,
        "specialty_id",
    )
    .await;
    let b = patch_ok(
        local,
        Role::Receptionist,
        &a3.location,
        json!({"starts_at": at(&d1, "11:00"), "duration_minutes": 60}),
    )
    .await;
    assert_eq!(
        (&b["starts_at"], &b["duration_minutes"], &b["status"]),
        (&json!(utc(&d1, "11:00")), &json!(60), &json!("booked"))
    );
    // Its old time is free again; lengthening another into it is refused.
    let a7 = book(
        local,
        Role::Receptionist,
        appointment(&p4.id, &ana.id, &cardio.id, &d1, "10:00"),
    )
    .await;
    let (s, b, _) = patch_as(
        local,
        Role::Receptionist,
        &a7.location,
        &json!({"duration_minutes": 90}),
        None,
    )
    .await;
    assert_error(s, &b, 409, Some("starts_at"), a3.id.as_str());
    // Moving to another doctor of the specialty frees the first doctor's time.
    patch_ok(
        local,
        Role::Receptionist,
        &a3.location,
        json!({"doctor_id": bruno.id}),
    )
    .await;
    let a8 = book(
        local,
        Role::Receptionist,
        appointment(&p3.id, &ana.id, &cardio.id, &d1, "11:00"),
    )
    .await;
    patch_refused(
        local,
        &a8.location,
        json!({"specialty_id": derm.id}),
        422,
        "specialty_id",
    )
    .await;

    // Moving within its own time, and to another day and back: the time held follows.
    patch_ok(
        local,
        Role::Receptionist,
        &a7.location,
        json!({"starts_at": at(&d1, "10:10")}),
    )
    .await;
    patch_ok(
        local,
        Role::Receptionist,
        &a7.location,
        json!({"starts_at": at(&d1, "10:00")}),
    )
    .await;
    patch_ok(
        local,
        Role::Receptionist,
        &a6.location,
        json!({"starts_at": at(&d1, "09:00")}),
    )
    .await;
    let a10 = book(
        local,
        Role::Receptionist,
        appointment(&p3.id, &ana.id, &cardio.id, &d, "09:30"),
    )
    .await;
    patch_ok(
        local,
        Role::Receptionist,
        &a10.location,
        json!({"status": "cancelled", "cancel_reason": "teste"}),
    )
    .await;
    patch_ok(
        local,
        Role::Receptionist,
        &a6.location,
        json!({"starts_at": at(&d, "09:30")}),
    )
    .await;
    refused(
        local,
        &appointment(&p3.id, &ana.id, &cardio.id, &d, "09:45"),
        409,
        "starts_at",
        a6.id.as_str(),
    )
    .await;
    let (s, b) = send(
        local,
        Method::POST,
        APPOINTMENTS,
        Role::Receptionist,
        Some(&appointment(&p3.id, &ana.id, &cardio.id, &d1, "09:00")),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let a11 = b["id"].as_str().unwrap().to_string();

    // Lists: by doctor, patient, day (hospital time zone) and status, in start order.
    assert_eq!(
        ids(local, &format!("doctor_id={}", ana.id)).await,
        [
            a0.id.as_str(),
            a6.id.as_str(),
            a10.id.as_str(),
            a1.id.as_str(),
            a2.id.as_str(),
            a4.id.as_str(),
            a11.as_str(),
            a7.id.as_str(),
            a8.id.as_str()
        ]
    );
    assert_eq!(
        ids(local, &format!("doctor_id={}&date={d}", ana.id)).await,
        [
            a0.id.as_str(),
            a6.id.as_str(),
            a10.id.as_str(),
            a1.id.as_str(),
            a2.id.as_str(),
            a4.id.as_str()
        ]
    );
    assert_eq!(
        ids(
            local,
            &format!("doctor_id={}&date={d}&status=booked", ana.id)
        )
        .await,
        [a6.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("status=cancelled&doctor_id={}", ana.id)).await,
        [a10.id.as_str(), a2.id.as_str(), a4.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("doctor_id={}", bruno.id)).await,
        [a5.id.as_str(), a9.id.as_str(), a3.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("patient_id={}", p1.id)).await,
        [a1.id.as_str(), a3.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("patient_id={}&date={d}", p2.id)).await,
        [a6.id.as_str(), a2.id.as_str(), a5.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("patient_id={}", p4.id)).await,
        [a4.id.as_str(), a9.id.as_str(), a7.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("date={d1}")).await,
        [a11.as_str(), a7.id.as_str(), a3.id.as_str(), a8.id.as_str()]
    );
    assert_eq!(ids(local, "status=noshow").await, [a0.id.as_str()]);
    assert_eq!(ids(local, "status=fulfilled").await, [a1.id.as_str()]);
    assert!(
        ids(local, &format!("date={}", sao_paulo_date(9)))
            .await
            .is_empty()
    );
    assert_eq!(
        ids_of(&list_all(local, APPOINTMENTS, 2).await),
        [
            a0.id.as_str(),
            a6.id.as_str(),
            a10.id.as_str(),
            a1.id.as_str(),
            a2.id.as_str(),
            a4.id.as_str(),
            a5.id.as_str(),
            a9.id.as_str(),
            a11.as_str(),
            a7.id.as_str(),
            a3.id.as_str(),
            a8.id.as_str()
        ]
    );
    assert_eq!(
        ids_of(&list_all(local, &format!("{APPOINTMENTS}?date={d}"), 3).await),
        [
            a0.id.as_str(),
            a6.id.as_str(),
            a10.id.as_str(),
            a1.id.as_str(),
            a2.id.as_str(),
            a4.id.as_str(),
            a5.id.as_str(),
            a9.id.as_str()
        ]
    );
    let (s, page, _) = get_as(
        local,
        Role::Doctor,
        &format!("{APPOINTMENTS}?doctor_id={}&date={d1}", ana.id),
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(
        ids_of(page["items"].as_array().unwrap()),
        [a11.as_str(), a7.id.as_str(), a8.id.as_str()]
    );
    for q in [
        format!("doctor_id={}&patient_id={}", ana.id, p1.id),
        "date=2026-02-30".to_string(),
        "date=02/03/2026".to_string(),
        "status=done".to_string(),
        "doctor_id=ana".to_string(),
        "patient_id=1".to_string(),
        "room=1".to_string(),
    ] {
        let (s, b) = body(local.get(&format!("{APPOINTMENTS}?{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }

    // Records are kept: no DELETE; the parties they name can't be deleted.
    let (s, b) = delete_as(local, Role::Admin, &a2.location).await;
    assert_envelope(s, &b, 405, None);
    let (s, b) = delete_as(local, Role::Admin, &p1.location).await;
    assert_conflict_mentions(s, &b, "appointment ");
    let (s, b) = delete_as(local, Role::Admin, &ana.location).await;
    assert_conflict_mentions(s, &b, "appointment ");
    let (s, b) = delete_as(local, Role::Admin, &derm.location).await;
    assert_envelope(s, &b, 409, None);
    let _ = (a5, a9);
}

#[tokio::test]
async fn operations_appointments_on_embedded_store() {
    let local = Local::start_with(Backend::Embedded, |c| c.dev_clock = true).await;
    appointments(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn operations_appointments_on_dynamodb() {
    let local = Local::start_with(Backend::Dynamo, |c| c.dev_clock = true).await;
    appointments(&local).await;
    local.stop().await;
}
