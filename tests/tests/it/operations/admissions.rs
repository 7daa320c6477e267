//! Admissions (RF08) and the beds they hold (RF09), on both stores, under the dev clock (late
//! registrations need beds that were available in the past): admit, transfer, discharge and
//! cancel with each rule's violation, the beds and the bed board following, and the lists.

use super::*;

const D: &str = "2030-03-04";

async fn admit(local: &Local, role: Role, body: Value) -> Created {
    create(local, role, ADMISSIONS, &body).await
}

async fn refused(local: &Local, body: Value, status: u16, field: &str, text: &str) {
    let (s, b) = send(
        local,
        Method::POST,
        ADMISSIONS,
        Role::Receptionist,
        Some(&body),
    )
    .await;
    assert_error(s, &b, status, Some(field), text);
}

/// POST /v1/admissions/{id}/<action> as `role`.
async fn action(
    local: &Local,
    role: Role,
    admission: &str,
    what: &str,
    body: Value,
) -> (u16, Value) {
    send(
        local,
        Method::POST,
        &format!("{admission}/{what}"),
        role,
        Some(&body),
    )
    .await
}

#[track_caller]
fn action_ok<'a>(
    local: &'a Local,
    role: Role,
    admission: &'a str,
    what: &'a str,
    body: Value,
) -> impl std::future::Future<Output = Value> + 'a {
    let caller = std::panic::Location::caller();
    async move {
        let (s, b) = action(local, role, admission, what, body.clone()).await;
        assert_eq!(s, 200, "{what} (at {caller}) with {body}: {b}");
        b
    }
}

async fn bed_state(local: &Local, bed: &Created) -> (String, String) {
    let b = get_ok(local, &bed.location).await;
    (
        b["status"].as_str().unwrap().to_string(),
        b["status_since"].as_str().unwrap_or_default().to_string(),
    )
}

async fn ids(local: &Local, query: &str) -> Vec<String> {
    ids_of(&items(local, &format!("{ADMISSIONS}?{query}")).await)
}

fn stay(bed: &Created, sector: &Created, from: &str, to: Option<&str>) -> Value {
    let mut s = json!({"bed_id": bed.id, "sector_id": sector.id, "from": utc(D, from)});
    if let Some(to) = to {
        s["to"] = json!(utc(D, to));
    }
    s
}

pub async fn admissions(local: &Local) {
    set_clock(local, &at(D, "08:00")).await;
    let s1 = new_sector(local, "Enfermaria A", "ward").await;
    let s2 = new_sector(local, "UTI A", "icu").await;
    let b1 = new_bed(local, "A-01", &s1.id, "available").await;
    let b2 = new_bed(local, "A-02", &s1.id, "available").await;
    let b3 = new_bed(local, "U-01", &s2.id, "available").await;
    let b4 = new_bed(local, "A-03", &s1.id, "maintenance").await;
    let clinica = new_specialty(local, "Cardiologia Clínica").await;
    let doc = new_doctor(local, "Dra. Plantão", 7301, &[&clinica.id]).await;
    let inactive = create(
        local,
        Role::Admin,
        "/v1/doctors",
        &with(
            &crate::registries::doctor("Dr. Aposentado", 7302, "7302", "SP", &[]),
            "status",
            json!("inactive"),
        ),
    )
    .await;
    let p1 = new_patient(local, "Internado Um", 7310).await;
    let p2 = new_patient(local, "Internado Dois", 7311).await;
    let p3 = new_patient(local, "Internado Três", 7312).await;
    assert_eq!(
        board_counts(local, Role::Nurse, &s1.id).await,
        counts(&[("available", 2), ("maintenance", 1)])
    );
    set_clock(local, &at(D, "10:00")).await;

    // Admit, registered late: the bed becomes occupied since then, the board follows. (By
    // nursing: the front desk's answer would leave the diagnosis out.)
    let a1 = admit(
        local,
        Role::Nurse,
        with(
            &with(
                &admission(&p1.id, &b1.id, &doc.id),
                "admitted_at",
                json!(at(D, "09:00")),
            ),
            "notes",
            json!("Dor torácica\nChegou pelo PS"),
        ),
    )
    .await;
    assert_eq!(a1.body["status"], "in_progress");
    assert_eq!(a1.body["admitted_at"], utc(D, "09:00"));
    assert_eq!(a1.body["sector_id"], s1.id.as_str());
    assert_eq!(a1.body["bed_id"], b1.id.as_str());
    assert_eq!(a1.body["stays"], json!([stay(&b1, &s1, "09:00", None)]));
    assert_eq!(a1.body["admitting_diagnosis"]["code"], "I21.9");
    assert!(a1.body.get("discharge").is_none(), "{}", a1.body);
    assert_eq!(
        bed_state(local, &b1).await,
        ("occupied".into(), utc(D, "09:00"))
    );
    assert_eq!(
        board_counts(local, Role::Nurse, &s1.id).await,
        counts(&[("available", 1), ("occupied", 1), ("maintenance", 1)])
    );
    for role in [Role::Manager, Role::Doctor, Role::Nurse, Role::Billing] {
        let (s, got, _) = get_as(local, role, &a1.location).await;
        assert_eq!((s, &got), (200, &a1.body));
    }
    // The front desk reads it without the diagnosis (operations/access.rs).
    let (s, got, _) = get_as(local, Role::Receptionist, &a1.location).await;
    assert_eq!((s, &got), (200, &without(&a1.body, "admitting_diagnosis")));
    let (s, b, _) = get_as(local, Role::Pharmacist, &a1.location).await;
    assert_envelope(s, &b, 403, None);

    // Each rule's violation; nothing changes.
    let base = admission(&p2.id, &b2.id, &doc.id);
    refused(
        local,
        admission(&p1.id, &b2.id, &doc.id),
        409,
        "patient_id",
        "the patient already has an open admission",
    )
    .await;
    refused(
        local,
        with(&base, "bed_id", json!(b1.id)),
        409,
        "bed_id",
        "occupied",
    )
    .await;
    refused(
        local,
        with(&base, "bed_id", json!(b4.id)),
        409,
        "bed_id",
        "maintenance",
    )
    .await;
    refused(
        local,
        with(&base, "bed_id", json!(MISSING_ID)),
        422,
        "bed_id",
        MISSING_ID,
    )
    .await;
    refused(
        local,
        with(&base, "admitted_at", json!(at(D, "10:30"))),
        422,
        "admitted_at",
        "future",
    )
    .await;
    refused(
        local,
        with(&base, "admitted_at", json!(at(D, "07:00"))),
        422,
        "bed_id",
        "available only since",
    )
    .await;
    refused(
        local,
        with(&base, "attending_doctor_id", json!(inactive.id)),
        422,
        "attending_doctor_id",
        "inactive",
    )
    .await;
    let mut bad_code = base.clone();
    bad_code["admitting_diagnosis"]["code"] = json!("I2");
    let mut lower_code = base.clone();
    lower_code["admitting_diagnosis"]["code"] = json!("i21.9");
    let mut no_text = base.clone();
    no_text["admitting_diagnosis"]["text"] = json!("");
    for (bad, field) in [
        (
            with(&base, "attending_doctor_id", json!(MISSING_ID)),
            "attending_doctor_id",
        ),
        (with(&base, "patient_id", json!(MISSING_ID)), "patient_id"),
        (with(&base, "patient_id", json!("p2")), "patient_id"),
        (with(&base, "bed_id", json!("leito-2")), "bed_id"),
        (bad_code, "admitting_diagnosis.code"),
        (lower_code, "admitting_diagnosis.code"),
        (no_text, "admitting_diagnosis.text"),
        (without(&base, "admitting_diagnosis"), "admitting_diagnosis"),
        (with(&base, "admitted_at", json!("ontem")), "admitted_at"),
        (with(&base, "status", json!("in_progress")), "status"),
        (with(&base, "stays", json!([])), "stays"),
        (with(&base, "sector_id", json!(s1.id)), "sector_id"),
        (with(&base, "cancel_reason", json!("x")), "cancel_reason"),
        (with(&base, "room", json!("12")), "room"),
    ] {
        let (s, b) = send(local, Method::POST, ADMISSIONS, Role::Nurse, Some(&bad)).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    for role in [Role::Doctor, Role::Billing, Role::Pharmacist, Role::Manager] {
        let (s, b) = send(local, Method::POST, ADMISSIONS, role, Some(&base)).await;
        assert_envelope(s, &b, 403, None);
    }
    assert!(
        ids(local, &format!("patient_id={}", p2.id))
            .await
            .is_empty()
    );
    assert_eq!(bed_state(local, &b2).await.0, "available");
    assert_eq!(
        board_counts(local, Role::Nurse, &s1.id).await,
        counts(&[("available", 1), ("occupied", 1), ("maintenance", 1)])
    );

    // Transfer: not before the last step, not into the future, to another available bed.
    for (body, status, field) in [
        (json!({"bed_id": b3.id, "at": at(D, "08:30")}), 422, "at"),
        (json!({"bed_id": b3.id, "at": at(D, "10:01")}), 422, "at"),
        (json!({"bed_id": b1.id}), 422, "bed_id"),
        (json!({"bed_id": b4.id}), 409, "bed_id"),
        (json!({"bed_id": MISSING_ID}), 422, "bed_id"),
        (json!({"bed_id": "leito"}), 422, "bed_id"),
        (json!({"at": at(D, "09:30")}), 422, "bed_id"),
        (
            json!({"bed_id": b3.id, "sector_id": s2.id}),
            422,
            "sector_id",
        ),
    ] {
        let (s, b) = action(local, Role::Nurse, &a1.location, "transfer", body).await;
        assert_envelope(s, &b, status, Some(field));
    }
    for role in [Role::Receptionist, Role::Doctor] {
        let (s, b) = action(
            local,
            role,
            &a1.location,
            "transfer",
            json!({"bed_id": b3.id}),
        )
        .await;
        assert_envelope(s, &b, 403, None);
    }
    let (s, b) = action(
        local,
        Role::Nurse,
        &format!("{ADMISSIONS}/{MISSING_ID}"),
        "transfer",
        json!({"bed_id": b3.id}),
    )
    .await;
    assert_envelope(s, &b, 404, None);
    let t = action_ok(
        local,
        Role::Nurse,
        &a1.location,
        "transfer",
        json!({"bed_id": b3.id, "at": at(D, "09:30")}),
    )
    .await;
    assert_eq!(
        (&t["bed_id"], &t["sector_id"]),
        (&json!(b3.id), &json!(s2.id))
    );
    assert_eq!(
        t["stays"],
        json!([
            stay(&b1, &s1, "09:00", Some("09:30")),
            stay(&b3, &s2, "09:30", None)
        ])
    );
    assert_eq!(t["version"], 2);
    assert_eq!(
        bed_state(local, &b1).await,
        ("cleaning".into(), utc(D, "09:30"))
    );
    assert_eq!(
        bed_state(local, &b3).await,
        ("occupied".into(), utc(D, "09:30"))
    );
    assert_eq!(
        board_counts(local, Role::Nurse, &s1.id).await,
        counts(&[("available", 1), ("cleaning", 1), ("maintenance", 1)])
    );
    assert_eq!(
        board_counts(local, Role::Nurse, &s2.id).await,
        counts(&[("occupied", 1)])
    );

    // PATCH: notes, diagnosis and the attending doctor; never what the operations set.
    let b = patch_ok(
        local,
        Role::Doctor,
        &a1.location,
        json!({"notes": "Estável"}),
    )
    .await;
    assert_eq!((&b["notes"], &b["stays"]), (&json!("Estável"), &t["stays"]));
    for (patch, field) in [
        (
            json!({"attending_doctor_id": inactive.id}),
            "attending_doctor_id",
        ),
        (
            json!({"attending_doctor_id": MISSING_ID}),
            "attending_doctor_id",
        ),
        (json!({"status": "finished"}), "status"),
        (json!({"bed_id": b2.id}), "bed_id"),
        (json!({"admitted_at": at(D, "08:00")}), "admitted_at"),
        (json!({"stays": []}), "stays"),
        (json!({"patient_id": p2.id}), "patient_id"),
        (
            json!({"admitting_diagnosis": {"code": "XX", "text": "x"}}),
            "admitting_diagnosis.code",
        ),
    ] {
        // A doctor: nursing may not change the diagnosis at all (operations/access.rs).
        let (s, b, _) = patch_as(local, Role::Doctor, &a1.location, &patch, None).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    let (s, b, _) = patch_as(
        local,
        Role::Receptionist,
        &a1.location,
        &json!({"notes": "x"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 403, None);

    // The beds API neither sets nor clears occupied; an occupied bed is not deleted.
    let (s, b, _) = patch_as(
        local,
        Role::Nurse,
        &b3.location,
        &json!({"status": "available"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("status"));
    let (s, b, _) = patch_as(
        local,
        Role::Nurse,
        &b1.location,
        &json!({"status": "occupied"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("status"));
    let (s, b) = delete_as(local, Role::Manager, &b3.location).await;
    assert_envelope(s, &b, 409, None);

    // Nursing makes the bed available again: since now, so nobody is admitted into it earlier.
    let b = patch_ok(
        local,
        Role::Nurse,
        &b1.location,
        json!({"status": "available"}),
    )
    .await;
    assert_eq!(b["status_since"], utc(D, "10:00"));
    let (s, b) = send(
        local,
        Method::POST,
        ADMISSIONS,
        Role::Receptionist,
        Some(&with(
            &admission(&p2.id, &b1.id, &doc.id),
            "admitted_at",
            json!(at(D, "09:45")),
        )),
    )
    .await;
    assert_error(s, &b, 422, Some("bed_id"), "available only since");
    // admitted_at defaults to now.
    let a2 = admit(local, Role::Nurse, admission(&p2.id, &b1.id, &doc.id)).await;
    assert_eq!(a2.body["admitted_at"], utc(D, "10:00"));
    // Clinical records may name the admission.
    let exam = create(
        local,
        Role::Doctor,
        EXAMS,
        &json!({
            "patient_id": p1.id, "doctor_id": doc.id, "exam_type": "Troponina",
            "priority": "stat", "admission_id": a1.id
        }),
    )
    .await;
    assert_eq!(exam.body["admission_id"], a1.id.as_str());

    // Discharge: not before the last step, not into the future; the bed goes to cleaning.
    set_clock(local, &at(D, "11:00")).await;
    let discharge = |when: &str| {
        json!({
            "disposition": "home",
            "discharge_diagnosis": diagnosis("I21.4", "Infarto sem supradesnivelamento"),
            "discharged_at": at(D, when),
        })
    };
    let mut bad_code = discharge("10:30");
    bad_code["discharge_diagnosis"]["code"] = json!("infarto");
    for (body, field) in [
        (discharge("09:15"), "discharged_at"),
        (discharge("11:30"), "discharged_at"),
        (
            with(&discharge("10:30"), "disposition", json!("escaped")),
            "disposition",
        ),
        (without(&discharge("10:30"), "disposition"), "disposition"),
        (bad_code, "discharge_diagnosis.code"),
        (
            without(&discharge("10:30"), "discharge_diagnosis"),
            "discharge_diagnosis",
        ),
        (with(&discharge("10:30"), "bed_id", json!(b1.id)), "bed_id"),
    ] {
        let (s, b) = action(local, Role::Doctor, &a1.location, "discharge", body).await;
        assert_envelope(s, &b, 422, Some(field));
    }
    let (s, b) = action(
        local,
        Role::Receptionist,
        &a1.location,
        "discharge",
        discharge("10:30"),
    )
    .await;
    assert_envelope(s, &b, 403, None);
    let f = action_ok(
        local,
        Role::Doctor,
        &a1.location,
        "discharge",
        discharge("10:30"),
    )
    .await;
    assert_eq!(f["status"], "finished");
    assert_eq!(
        f["discharge"],
        json!({
            "disposition": "home",
            "discharge_diagnosis": diagnosis("I21.4", "Infarto sem supradesnivelamento"),
            "discharged_at": utc(D, "10:30"),
        })
    );
    assert_eq!(
        f["stays"],
        json!([
            stay(&b1, &s1, "09:00", Some("09:30")),
            stay(&b3, &s2, "09:30", Some("10:30"))
        ])
    );
    assert_eq!(
        bed_state(local, &b3).await,
        ("cleaning".into(), utc(D, "10:30"))
    );
    assert_eq!(
        board_counts(local, Role::Nurse, &s2.id).await,
        counts(&[("cleaning", 1)])
    );
    // A finished admission no longer changes.
    for (what, body) in [
        ("discharge", discharge("10:45")),
        ("transfer", json!({"bed_id": b2.id})),
        ("cancel", json!({"reason": "engano"})),
    ] {
        let (s, b) = action(local, Role::Admin, &a1.location, what, body).await;
        assert_envelope(s, &b, 422, None);
    }
    let (s, b, _) = patch_as(
        local,
        Role::Doctor,
        &a1.location,
        &json!({"notes": "x"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("status"));

    // The patient's admissions don't overlap: a late registration inside the one just
    // finished is refused, naming it.
    refused(
        local,
        with(
            &admission(&p1.id, &b2.id, &doc.id),
            "admitted_at",
            json!(at(D, "10:00")),
        ),
        409,
        "admitted_at",
        &a1.id,
    )
    .await;
    let a3 = admit(
        local,
        Role::Receptionist,
        with(
            &admission(&p1.id, &b2.id, &doc.id),
            "admitted_at",
            json!(at(D, "10:30")),
        ),
    )
    .await;

    // Cancel (entered in error): the bed is available again, and the patient may be admitted.
    for body in [
        json!({"reason": ""}),
        json!({"reason": "   "}),
        json!({}),
        json!({"reason": "x".repeat(501)}),
    ] {
        let (s, b) = action(local, Role::Receptionist, &a2.location, "cancel", body).await;
        assert_envelope(s, &b, 422, Some("reason"));
    }
    let (s, b) = action(
        local,
        Role::Doctor,
        &a2.location,
        "cancel",
        json!({"reason": "engano"}),
    )
    .await;
    assert_envelope(s, &b, 403, None);
    let c = action_ok(
        local,
        Role::Receptionist,
        &a2.location,
        "cancel",
        json!({"reason": " Registrada no paciente errado "}),
    )
    .await;
    assert_eq!(
        (&c["status"], &c["cancel_reason"]),
        (&json!("cancelled"), &json!("Registrada no paciente errado"))
    );
    assert_eq!(
        bed_state(local, &b1).await,
        ("available".into(), utc(D, "11:00"))
    );
    for (what, body) in [
        ("cancel", json!({"reason": "de novo"})),
        ("discharge", discharge("11:00")),
    ] {
        let (s, b) = action(local, Role::Admin, &a2.location, what, body).await;
        assert_envelope(s, &b, 422, None);
    }
    let a4 = admit(
        local,
        Role::Receptionist,
        admission(&p2.id, &b1.id, &doc.id),
    )
    .await;
    assert_eq!(
        board_counts(local, Role::Nurse, &s1.id).await,
        counts(&[("occupied", 2), ("maintenance", 1)])
    );

    // Lists: a patient's admissions and a bed's history, newest first; who is in a sector.
    assert_eq!(
        ids(local, &format!("patient_id={}", p1.id)).await,
        [a3.id.as_str(), a1.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("patient_id={}", p2.id)).await,
        [a4.id.as_str(), a2.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("bed_id={}", b1.id)).await,
        [a4.id.as_str(), a2.id.as_str(), a1.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("bed_id={}", b3.id)).await,
        [a1.id.as_str()]
    );
    assert_eq!(
        ids(local, &format!("sector_id={}&status=in_progress", s1.id)).await,
        [a4.id.as_str(), a3.id.as_str()]
    );
    assert_eq!(
        sorted(ids(local, &format!("sector_id={}", s1.id)).await),
        sorted(vec![a2.id.clone(), a3.id.clone(), a4.id.clone()])
    );
    assert_eq!(
        ids(local, &format!("sector_id={}", s2.id)).await,
        [a1.id.as_str()]
    );
    assert!(
        ids(local, &format!("sector_id={}&status=in_progress", s2.id))
            .await
            .is_empty()
    );
    assert_eq!(ids(local, "status=finished").await, [a1.id.as_str()]);
    assert_eq!(ids(local, "status=cancelled").await, [a2.id.as_str()]);
    assert_eq!(
        ids(local, &format!("patient_id={}&status=in_progress", p1.id)).await,
        [a3.id.as_str()]
    );
    assert_eq!(
        ids_of(&list_all(local, ADMISSIONS, 1).await),
        [
            a4.id.as_str(),
            a3.id.as_str(),
            a2.id.as_str(),
            a1.id.as_str()
        ]
    );
    for q in [
        format!("patient_id={}&bed_id={}", p1.id, b1.id),
        "status=open".to_string(),
        "sector_id=uti".to_string(),
        "ward=1".to_string(),
    ] {
        let (s, b) = body(local.get(&format!("{ADMISSIONS}?{q}")).await).await;
        assert_envelope(s, &b, 400, None);
    }

    // Records are kept, and so are the beds, patients and doctors they name.
    let (s, b) = delete_as(local, Role::Admin, &a1.location).await;
    assert_envelope(s, &b, 405, None);
    let (s, b) = delete_as(local, Role::Manager, &b3.location).await;
    assert_conflict_mentions(s, &b, &format!("admission {}", a1.id));
    let (s, b) = delete_as(local, Role::Admin, &p3.location).await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = delete_as(local, Role::Admin, &p1.location).await;
    assert_conflict_mentions(s, &b, "admission ");
    let (s, b) = delete_as(local, Role::Admin, &doc.location).await;
    assert_conflict_mentions(s, &b, "admission ");
}

/// An admission that returns to a bed it held before keeps both stays in the bed's history,
/// and can still be cancelled.
pub async fn back_to_a_bed(local: &Local) {
    set_clock(local, &at(D, "11:00")).await;
    let sec = new_sector(local, "Enfermaria Volta", "ward").await;
    let c1 = new_bed(local, "V-01", &sec.id, "available").await;
    let c2 = new_bed(local, "V-02", &sec.id, "available").await;
    let c3 = new_bed(local, "V-03", &sec.id, "available").await;
    let clinica = new_specialty(local, "Clínica Volta").await;
    let doc = new_doctor(local, "Dr. Volta", 7320, &[&clinica.id]).await;
    let p = new_patient(local, "Paciente Volta", 7321).await;
    set_clock(local, &at(D, "12:00")).await;
    let a = admit(
        local,
        Role::Nurse,
        with(
            &admission(&p.id, &c1.id, &doc.id),
            "admitted_at",
            json!(at(D, "11:00")),
        ),
    )
    .await;
    action_ok(
        local,
        Role::Nurse,
        &a.location,
        "transfer",
        json!({"bed_id": c2.id, "at": at(D, "11:10")}),
    )
    .await;
    patch_ok(
        local,
        Role::Nurse,
        &c1.location,
        json!({"status": "available"}),
    )
    .await;
    set_clock(local, &at(D, "12:30")).await;
    action_ok(
        local,
        Role::Nurse,
        &a.location,
        "transfer",
        json!({"bed_id": c1.id, "at": at(D, "12:10")}),
    )
    .await;
    let t = action_ok(
        local,
        Role::Nurse,
        &a.location,
        "transfer",
        json!({"bed_id": c3.id, "at": at(D, "12:20")}),
    )
    .await;
    assert_eq!(
        t["stays"],
        json!([
            stay(&c1, &sec, "11:00", Some("11:10")),
            stay(&c2, &sec, "11:10", Some("12:10")),
            stay(&c1, &sec, "12:10", Some("12:20")),
            stay(&c3, &sec, "12:20", None),
        ])
    );
    assert_eq!(
        ids(local, &format!("bed_id={}", c1.id)).await,
        [a.id.as_str()]
    );
    // Both stays in C1 are in its history (the timeline the overlap checks read).
    let store = local.server.as_ref().unwrap().store.clone();
    let bucket = store
        .get(&hospital_core::store::Key::new(
            format!("timeline#bed#{}", c1.id),
            "2030-03",
        ))
        .await
        .unwrap()
        .expect("the bed's timeline");
    let held: Vec<(String, String)> = bucket["intervals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["from"].as_str().unwrap().to_string(),
                i["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        held,
        [
            (utc(D, "11:00"), utc(D, "11:10")),
            (utc(D, "12:10"), utc(D, "12:20"))
        ],
        "{bucket:?}"
    );
    // Cancelling takes every stay out of the beds' history.
    let c = action_ok(
        local,
        Role::Nurse,
        &a.location,
        "cancel",
        json!({"reason": "paciente de outro hospital"}),
    )
    .await;
    assert_eq!(c["status"], "cancelled");
    assert_eq!(bed_state(local, &c3).await.0, "available");
    let bucket = store
        .get(&hospital_core::store::Key::new(
            format!("timeline#bed#{}", c1.id),
            "2030-03",
        ))
        .await
        .unwrap()
        .expect("the bed's timeline");
    assert_eq!(bucket["intervals"], json!([]), "{bucket:?}");
}

fn with_clock(c: &mut hospital_local::Config) {
    c.dev_clock = true;
}

#[tokio::test]
async fn operations_admissions_on_embedded_store() {
    let local = Local::start_with(Backend::Embedded, with_clock).await;
    admissions(&local).await;
    back_to_a_bed(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn operations_admissions_on_dynamodb() {
    let local = Local::start_with(Backend::Dynamo, with_clock).await;
    admissions(&local).await;
    back_to_a_bed(&local).await;
    local.stop().await;
}
