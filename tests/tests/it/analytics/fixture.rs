//! The fixture hospital: two sectors, three beds, four patients, two specialties, two insurers,
//! three medications, and a week of November 2026 (São Paulo, UTC−3) in which every census rule
//! shows up once. Times are set on the dev clock before each step; the hospital's "now" ends
//! at 2026-11-06 12:00.
//!
//! | when (−03:00) | what                                                        |
//! |---------------|-------------------------------------------------------------|
//! | 11-01 08:00   | sectors A (beds A1, A2) and B (bed B1)                      |
//! | 11-01 10:00   | X1: P1 admitted to A1 (I21.9)                               |
//! | 11-02 08:00   | X2: P2 admitted to A2                                       |
//! | 11-02 18:00   | X2 discharged (same day; I21.9)                             |
//! | 11-03 07:00   | A2 available again                                          |
//! | 11-03 08:00   | X3: P3 admitted to A2 (J18.9)                               |
//! | 11-03 09:00   | X1 transferred to B1                                        |
//! | 11-04 10:00   | A1 to maintenance                                           |
//! | 11-05 11:00   | A1 available                                                |
//! | 11-05 14:00   | X1 discharged (I21.9)                                       |
//! | 11-05 15:00   | X5: P1 admitted to A1 … cancelled at 16:00 (entered in error) |
//! | 11-06 08:00   | X6: P1 admitted to A1 again (I50.9): a readmission          |
//! | 11-06 12:00   | now                                                         |

use super::*;

pub const NOW: &str = "2026-11-06T12:00:00-03:00";

pub struct Fixture {
    pub sector_a: String,
    pub sector_b: String,
    pub x1: String,
    pub x3: String,
    pub x6: String,
    pub cardiology: String,
    pub pediatrics: String,
    pub doctor_c: String,
    pub insurer_1: String,
    pub insurer_2: String,
    pub m1: String,
    pub m2: String,
    pub m3: String,
}

async fn at_clock(local: &Local, day: &str, hm: &str) {
    set_clock(local, &at(day, hm)).await;
}

async fn post_ok(local: &Local, role: Role, path: &str, body: Value) -> Value {
    let (s, b) = send(local, Method::POST, path, role, Some(&body)).await;
    assert!(s == 200 || s == 201, "POST {path} {body}: {s} {b}");
    b
}

async fn bed_status(local: &Local, bed: &str, status: &str) {
    patch_ok(
        local,
        Role::Nurse,
        &format!("/v1/beds/{bed}"),
        json!({"status": status}),
    )
    .await;
}

fn admit_body(patient: &str, bed: &str, doctor: &str, code: &str) -> Value {
    json!({
        "patient_id": patient,
        "bed_id": bed,
        "attending_doctor_id": doctor,
        "admitting_diagnosis": diagnosis(code, "Diagnóstico de entrada"),
    })
}

pub async fn discharge(local: &Local, admission: &str, code: &str, when: Option<&str>) {
    let mut body = json!({
        "disposition": "home",
        "discharge_diagnosis": diagnosis(code, &format!("Alta por {code}")),
    });
    if let Some(w) = when {
        body["discharged_at"] = json!(w);
    }
    post_ok(
        local,
        Role::Doctor,
        &format!("{ADMISSIONS}/{admission}/discharge"),
        body,
    )
    .await;
}

/// The admissions week, the appointments of October and November, the billing entries and the
/// pharmacy's movements.
pub async fn build(local: &Local) -> Fixture {
    // Appointments are booked before the week (they can't be booked in the past).
    at_clock(local, "2026-10-01", "08:00").await;
    let cardiology = new_specialty(local, "Cardiologia").await.id;
    let pediatrics = new_specialty(local, "Pediatria").await.id;
    let doctor_c = new_doctor(local, "Carla Cardoso", 6001, &[&cardiology])
        .await
        .id;
    let doctor_p = new_doctor(local, "Paulo Prado", 6002, &[&pediatrics])
        .await
        .id;
    let p1 = new_patient(local, "Paciente Um", 6011).await.id;
    let p2 = new_patient(local, "Paciente Dois", 6012).await.id;
    let p3 = new_patient(local, "Paciente Três", 6013).await.id;
    let p4 = new_patient(local, "Paciente Quatro", 6014).await.id;
    let patients = [&p1, &p2, &p3, &p4];
    // Cardiology: 2 a week in the 4 weeks 10-03..10-30 (8 held + 1 cancelled), 1 held and 1
    // cancelled in the last 7 days (10-31..11-06). Pediatrics: 1 a week, and 1 in the last 7.
    let mut booked: Vec<(String, &str)> = Vec::new();
    let cardio_days = [
        "2026-10-05",
        "2026-10-06",
        "2026-10-12",
        "2026-10-13",
        "2026-10-19",
        "2026-10-20",
        "2026-10-26",
        "2026-10-27",
        "2026-10-28",
        "2026-11-02",
        "2026-11-03",
    ];
    for (i, day) in cardio_days.iter().enumerate() {
        let b = post_ok(
            local,
            Role::Receptionist,
            APPOINTMENTS,
            appointment(patients[i % 4], &doctor_c, &cardiology, day, "09:00"),
        )
        .await;
        booked.push((b["id"].as_str().unwrap().to_string(), day));
    }
    for (i, day) in [
        "2026-10-07",
        "2026-10-14",
        "2026-10-21",
        "2026-10-28",
        "2026-11-04",
    ]
    .iter()
    .enumerate()
    {
        let b = post_ok(
            local,
            Role::Receptionist,
            APPOINTMENTS,
            appointment(patients[i % 4], &doctor_p, &pediatrics, day, "14:00"),
        )
        .await;
        booked.push((b["id"].as_str().unwrap().to_string(), day));
    }
    let appointment_of = |day: &str, n: usize| -> String {
        booked
            .iter()
            .filter(|(_, d)| *d == day)
            .nth(n)
            .unwrap()
            .0
            .clone()
    };
    // Cardiology on 10-28 and 11-03: cancelled.
    for day in ["2026-10-28", "2026-11-03"] {
        patch_ok(
            local,
            Role::Receptionist,
            &format!("{APPOINTMENTS}/{}", appointment_of(day, 0)),
            json!({"status": "cancelled", "cancel_reason": "paciente desmarcou"}),
        )
        .await;
    }

    // The admissions week.
    at_clock(local, "2026-11-01", "08:00").await;
    let sector_a = new_sector(local, "Clínica Médica", "ward").await.id;
    let sector_b = new_sector(local, "UTI Adulto", "icu").await.id;
    let a1 = new_bed(local, "A1", &sector_a, "available").await.id;
    let a2 = new_bed(local, "A2", &sector_a, "available").await.id;
    let b1 = new_bed(local, "B1", &sector_b, "available").await.id;
    let insurer_1 = new_insurer(local, "Saúde Total", "600001").await.id;
    let insurer_2 = new_insurer(local, "Vida Plena", "600002").await.id;
    let m1 = new_medication(local, "Dipirona 500 mg", 0, 100).await.id;
    let m2 = new_medication(local, "Amoxicilina 500 mg", 0, 10).await.id;
    let m3 = new_medication(local, "Omeprazol 20 mg", 0, 50).await.id;

    at_clock(local, "2026-11-01", "10:00").await;
    let x1 = post_ok(
        local,
        Role::Nurse,
        ADMISSIONS,
        admit_body(&p1, &a1, &doctor_c, "I21.9"),
    )
    .await;
    let x1 = x1["id"].as_str().unwrap().to_string();
    at_clock(local, "2026-11-02", "08:00").await;
    let x2 = post_ok(
        local,
        Role::Nurse,
        ADMISSIONS,
        admit_body(&p2, &a2, &doctor_c, "I21.9"),
    )
    .await;
    let x2 = x2["id"].as_str().unwrap().to_string();
    at_clock(local, "2026-11-02", "18:00").await;
    discharge(local, &x2, "I21.9", None).await;
    at_clock(local, "2026-11-03", "07:00").await;
    bed_status(local, &a2, "available").await;
    at_clock(local, "2026-11-03", "08:00").await;
    let x3 = post_ok(
        local,
        Role::Nurse,
        ADMISSIONS,
        admit_body(&p3, &a2, &doctor_c, "J18.9"),
    )
    .await;
    let x3 = x3["id"].as_str().unwrap().to_string();
    at_clock(local, "2026-11-03", "09:00").await;
    post_ok(
        local,
        Role::Nurse,
        &format!("{ADMISSIONS}/{x1}/transfer"),
        json!({"bed_id": b1}),
    )
    .await;
    at_clock(local, "2026-11-04", "10:00").await;
    bed_status(local, &a1, "maintenance").await;
    at_clock(local, "2026-11-05", "11:00").await;
    bed_status(local, &a1, "available").await;
    at_clock(local, "2026-11-05", "14:00").await;
    discharge(local, &x1, "I21.9", None).await;
    at_clock(local, "2026-11-05", "15:00").await;
    let x5 = post_ok(
        local,
        Role::Nurse,
        ADMISSIONS,
        admit_body(&p1, &a1, &doctor_c, "I21.9"),
    )
    .await;
    at_clock(local, "2026-11-05", "16:00").await;
    post_ok(
        local,
        Role::Nurse,
        &format!("{ADMISSIONS}/{}/cancel", x5["id"].as_str().unwrap()),
        json!({"reason": "paciente errado"}),
    )
    .await;
    at_clock(local, "2026-11-06", "08:00").await;
    let x6 = post_ok(
        local,
        Role::Nurse,
        ADMISSIONS,
        admit_body(&p1, &a1, &doctor_c, "I50.9"),
    )
    .await;
    let x6 = x6["id"].as_str().unwrap().to_string();

    // Pharmacy: M1 dispensed 10 on 11-02 and 20 on 11-05; M2 8 on 11-06; M3 never.
    for (day, med, qty) in [
        ("2026-11-02", &m1, 10),
        ("2026-11-05", &m1, 20),
        ("2026-11-06", &m2, 8),
    ] {
        at_clock(local, day, "09:30").await;
        post_ok(
            local,
            Role::Pharmacist,
            &format!("/v1/medications/{med}/stock-movements"),
            json!({"kind": "dispensed", "quantity": qty, "reason": "dispensação"}),
        )
        .await;
    }

    // Billing, entered on 11-06 with past issue dates.
    at_clock(local, "2026-11-06", "10:00").await;
    let entry = |patient: &str, insurer: Option<&str>, issued: &str, due: &str, cents: i64| {
        let mut b = json!({
            "patient_id": patient,
            "description": "Atendimento",
            "amount_cents": cents,
            "issued_on": issued,
            "due_on": due,
        });
        if let Some(i) = insurer {
            b["insurer_id"] = json!(i);
        }
        b
    };
    let entries = [
        // (insurer, issued, due, cents, then)
        (
            Some(&insurer_1),
            "2026-11-02",
            "2026-11-04",
            10_000,
            "pending",
        ),
        (Some(&insurer_1), "2026-11-03", "2026-11-30", 20_001, "paid"),
        (
            Some(&insurer_1),
            "2026-11-04",
            "2026-11-10",
            30_000,
            "cancelled",
        ),
        (
            Some(&insurer_2),
            "2026-11-02",
            "2026-11-03",
            5_000,
            "pending",
        ),
        (
            Some(&insurer_2),
            "2026-11-05",
            "2026-12-05",
            15_000,
            "pending",
        ),
        (None, "2026-11-01", "2026-11-02", 8_000, "paid"),
        (None, "2026-10-31", "2026-11-01", 99_900, "pending"),
    ];
    for (insurer, issued, due, cents, then) in entries {
        let e = post_ok(
            local,
            Role::Billing,
            BILLING,
            entry(&p4, insurer.map(String::as_str), issued, due, cents),
        )
        .await;
        let path = format!("{BILLING}/{}", e["id"].as_str().unwrap());
        match then {
            "paid" => {
                patch_ok(
                    local,
                    Role::Billing,
                    &path,
                    json!({"status": "paid", "paid_on": "2026-11-06"}),
                )
                .await;
            }
            "cancelled" => {
                patch_ok(
                    local,
                    Role::Billing,
                    &path,
                    json!({"status": "cancelled", "cancel_reason": "lançado em duplicidade"}),
                )
                .await;
            }
            _ => {}
        }
    }

    set_clock(local, NOW).await;
    Fixture {
        sector_a,
        sector_b,
        x1,
        x3,
        x6,
        cardiology,
        pediatrics,
        doctor_c,
        insurer_1,
        insurer_2,
        m1,
        m2,
        m3,
    }
}
