//! Races the operations must win for exactly the right requests, on both stores: many
//! admissions to one bed, many bookings of one doctor's time, many dispensations of one stock.
//!
//! On DynamoDB they rely on moto serving one request at a time (see hospital-testkit).

use super::*;
use futures::future::join_all;

/// 100 patients admitted at once to one available bed: one is, the others get 409 naming the
/// bed; the bed is occupied once, and the board and the census agree.
pub async fn admissions_to_one_bed(local: &Local) {
    let sec = new_sector(local, "Enfermaria Corrida", "ward").await;
    let bed = new_bed(local, "C-01", &sec.id, "available").await;
    // Another bed of the sector, to see that only the contested one moves.
    new_bed(local, "C-02", &sec.id, "available").await;
    let clinica = new_specialty(local, "Clínica Corrida").await;
    let doc = new_doctor(local, "Dr. Corrida", 7500, &[&clinica.id]).await;
    let mut patients = Vec::new();
    for n in 0..100 {
        patients.push(new_patient(local, &format!("Corredor {n}"), 7501 + n).await);
    }
    let results = join_all(patients.iter().map(|p| {
        let body = admission(&p.id, &bed.id, &doc.id);
        async move {
            send(
                local,
                Method::POST,
                ADMISSIONS,
                Role::Receptionist,
                Some(&body),
            )
            .await
        }
    }))
    .await;
    let won: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    for (s, b) in results.iter().filter(|(s, _)| *s != 201) {
        assert_envelope(*s, b, 409, Some("bed_id"));
    }
    let winner = won[0]["id"].as_str().unwrap();
    assert_eq!(get_ok(local, &bed.location).await["status"], "occupied");
    assert_eq!(
        board_counts(local, Role::Nurse, &sec.id).await,
        counts(&[("occupied", 1), ("available", 1)])
    );
    assert_eq!(
        ids_of(&items(local, &format!("{ADMISSIONS}?bed_id={}", bed.id)).await),
        [winner]
    );
    assert_eq!(
        ids_of(
            &items(
                local,
                &format!("{ADMISSIONS}?sector_id={}&status=in_progress", sec.id)
            )
            .await
        ),
        [winner]
    );
    assert_eq!(ids_of(&list_all(local, ADMISSIONS, 50).await), [winner]);
    // The losers hold nothing: each may be admitted elsewhere.
    let loser = patients
        .iter()
        .find(|p| p.id != won[0]["patient_id"])
        .unwrap();
    assert!(
        items(local, &format!("{ADMISSIONS}?patient_id={}", loser.id))
            .await
            .is_empty()
    );
}

/// One patient admitted at once to two beds: one admission, the other bed untouched; and a
/// transfer racing a discharge: whatever the order, the admission ends finished and no bed is
/// left occupied.
pub async fn one_patient_two_beds(local: &Local) {
    let sec = new_sector(local, "Enfermaria Dupla", "ward").await;
    let clinica = new_specialty(local, "Clínica Dupla").await;
    let doc = new_doctor(local, "Dr. Dupla", 7680, &[&clinica.id]).await;
    let post = |path: String, role: Role, body: Value| async move {
        send(local, Method::POST, &path, role, Some(&body)).await
    };
    for round in 0..4u32 {
        let p = new_patient(local, &format!("Duplo {round}"), 7681 + round).await;
        let x = new_bed(local, &format!("X-{round}"), &sec.id, "available").await;
        let y = new_bed(local, &format!("Y-{round}"), &sec.id, "available").await;
        let (rx, ry) = tokio::join!(
            post(
                ADMISSIONS.into(),
                Role::Nurse,
                admission(&p.id, &x.id, &doc.id)
            ),
            post(
                ADMISSIONS.into(),
                Role::Nurse,
                admission(&p.id, &y.id, &doc.id)
            ),
        );
        let (won, lost, held, free) = match (rx.0, ry.0) {
            (201, _) => (rx, ry, &x, &y),
            (_, 201) => (ry, rx, &y, &x),
            other => panic!("no admission won: {other:?} {rx:?} {ry:?}"),
        };
        assert_error(lost.0, &lost.1, 409, Some("patient_id"), "open admission");
        assert_eq!(get_ok(local, &held.location).await["status"], "occupied");
        assert_eq!(get_ok(local, &free.location).await["status"], "available");
        let adm = format!("{ADMISSIONS}/{}", won.1["id"].as_str().unwrap());
        // Transfer to the free bed racing the discharge.
        let (t, d) = tokio::join!(
            post(
                format!("{adm}/transfer"),
                Role::Nurse,
                json!({"bed_id": free.id})
            ),
            post(
                format!("{adm}/discharge"),
                Role::Doctor,
                json!({"disposition": "home", "discharge_diagnosis": diagnosis("R69", "Alta")})
            ),
        );
        assert_eq!(d.0, 200, "{d:?}");
        let now = get_ok(local, &adm).await;
        assert_eq!(now["status"], "finished");
        match t.0 {
            // Transferred first, then discharged from the new bed.
            200 => {
                assert_eq!(now["stays"].as_array().unwrap().len(), 2, "{now}");
                assert_eq!(now["bed_id"], free.id.as_str());
            }
            _ => {
                assert_envelope(t.0, &t.1, 422, None);
                assert_eq!(now["stays"].as_array().unwrap().len(), 1, "{now}");
                assert_eq!(get_ok(local, &free.location).await["status"], "available");
            }
        }
        assert!(
            now["stays"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["to"].is_string()),
            "{now}"
        );
        assert_eq!(get_ok(local, &held.location).await["status"], "cleaning");
    }
    let board = board_counts(local, Role::Nurse, &sec.id).await;
    assert_eq!(board["occupied"], 0, "{board}");
    assert_eq!(
        board["available"].as_i64().unwrap() + board["cleaning"].as_i64().unwrap(),
        8,
        "{board}"
    );
    assert!(
        items(
            local,
            &format!("/v1/beds?sector_id={}&status=occupied", sec.id)
        )
        .await
        .is_empty()
    );
}

/// 20 bookings of one doctor at once, each overlapping all the others: one is booked, the
/// others get 409.
pub async fn bookings_of_one_doctor(local: &Local) {
    let cardio = new_specialty(local, "Cardiologia Corrida").await;
    let doc = new_doctor(local, "Dra. Agenda Cheia", 7600, &[&cardio.id]).await;
    let mut patients = Vec::new();
    for n in 0..20 {
        patients.push(new_patient(local, &format!("Agendado {n}"), 7601 + n).await);
    }
    let d = sao_paulo_date(4);
    let results = join_all(patients.iter().enumerate().map(|(i, p)| {
        let body = appointment(&p.id, &doc.id, &cardio.id, &d, &format!("14:{i:02}"));
        async move {
            send(
                local,
                Method::POST,
                APPOINTMENTS,
                Role::Receptionist,
                Some(&body),
            )
            .await
        }
    }))
    .await;
    let statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    for (s, b) in results.iter().filter(|(s, _)| *s != 201) {
        assert_envelope(*s, b, 409, Some("starts_at"));
    }
    let booked = items(
        local,
        &format!("{APPOINTMENTS}?doctor_id={}&date={d}", doc.id),
    )
    .await;
    assert_eq!(booked.len(), 1, "{booked:?}");
    let winner = results.iter().find(|r| r.0 == 201).unwrap();
    assert_eq!(booked[0], winner.1);
    // The time is the winner's for good: one more booking inside it is refused.
    let (s, b) = send(
        local,
        Method::POST,
        APPOINTMENTS,
        Role::Receptionist,
        Some(&appointment(
            &patients[0].id,
            &doc.id,
            &cardio.id,
            &d,
            "14:25",
        )),
    )
    .await;
    assert_envelope(s, &b, 409, Some("starts_at"));
}

/// 8 bookings of one doctor's day at once, each in a slot of its own: all are booked (they
/// contend for the day's agenda, and retry on it rather than fail).
pub async fn bookings_of_free_slots(local: &Local) {
    let cardio = new_specialty(local, "Cardiologia Livre").await;
    let doc = new_doctor(local, "Dr. Agenda Livre", 7630, &[&cardio.id]).await;
    let mut patients = Vec::new();
    for n in 0..8 {
        patients.push(new_patient(local, &format!("Livre {n}"), 7631 + n).await);
    }
    let d = sao_paulo_date(5);
    let results = join_all(patients.iter().enumerate().map(|(i, p)| {
        let body = with(
            &appointment(&p.id, &doc.id, &cardio.id, &d, &format!("15:{:02}", i * 5)),
            "duration_minutes",
            json!(5),
        );
        async move {
            send(
                local,
                Method::POST,
                APPOINTMENTS,
                Role::Receptionist,
                Some(&body),
            )
            .await
        }
    }))
    .await;
    for (s, b) in &results {
        assert_eq!(*s, 201, "{b}");
    }
    assert_eq!(
        items(
            local,
            &format!("{APPOINTMENTS}?doctor_id={}&date={d}", doc.id)
        )
        .await
        .len(),
        8
    );
}

/// A reschedule under `If-Match` of the current version while others book the same doctor's
/// day: the appointment itself did not change, so the reschedule must succeed. It gets 409
/// "being changed by others" instead: `Repository::update` retries a transaction that failed
/// on something read to plan it (the day's agenda, `Blame::Moved`) only without `If-Match`
/// (shared machinery, see the report).
pub async fn reschedule_under_if_match(local: &Local) {
    let cardio = new_specialty(local, "Cardiologia If-Match").await;
    let doc = new_doctor(local, "Dr. If-Match", 7650, &[&cardio.id]).await;
    let mut patients = Vec::new();
    for n in 0..9 {
        patients.push(new_patient(local, &format!("If-Match {n}"), 7651 + n).await);
    }
    let d = sao_paulo_date(6);
    let mut outcomes = Vec::new();
    let longer = json!({"duration_minutes": 20});
    for round in 0..5 {
        let target = create(
            local,
            Role::Receptionist,
            APPOINTMENTS,
            &appointment(
                &patients[0].id,
                &doc.id,
                &cardio.id,
                &d,
                &format!("{:02}:00", 7 + round),
            ),
        )
        .await;
        let patch = patch_as(
            local,
            Role::Receptionist,
            &target.location,
            &longer,
            Some("\"1\""),
        );
        let books = join_all((1..9).map(|i| {
            let body = with(
                &appointment(
                    &patients[i].id,
                    &doc.id,
                    &cardio.id,
                    &d,
                    &format!("{:02}:{:02}", 13 + round, i * 5),
                ),
                "duration_minutes",
                json!(5),
            );
            async move {
                send(
                    local,
                    Method::POST,
                    APPOINTMENTS,
                    Role::Receptionist,
                    Some(&body),
                )
                .await
                .0
            }
        }));
        let ((s, b, _), booked) = tokio::join!(patch, books);
        assert!(booked.iter().all(|s| *s == 201), "{booked:?}");
        outcomes.push((s, b));
    }
    for (s, b) in &outcomes {
        assert_eq!(*s, 200, "{b}");
    }
}

/// 20 dispensations at once that together exceed the stock: the stock ends at the initial
/// stock less what the successful ones took, never below zero; each one either took its
/// quantity (with its movement) or got 409.
pub async fn dispensations_of_one_stock(local: &Local) {
    let clinica = new_specialty(local, "Clínica Farmácia").await;
    let doc = new_doctor(local, "Dr. Farmácia", 7700, &[&clinica.id]).await;
    let p = new_patient(local, "Paciente Farmácia", 7701).await;
    let med = new_medication(local, "Ceftriaxona 1 g", 10, 50).await;
    let rx = create(
        local,
        Role::Doctor,
        PRESCRIPTIONS,
        &json!({"patient_id": p.id, "doctor_id": doc.id, "items": [item(&med.id, None)]}),
    )
    .await;
    let quantities: Vec<i64> = (1..=20).collect();
    let rx_loc = rx.location.as_str();
    assert!(quantities.iter().sum::<i64>() > 50);
    let results = join_all(
        quantities
            .iter()
            .map(|q| async move { (*q, dispense(local, rx_loc, 0, *q).await) }),
    )
    .await;
    let mut taken = 0;
    let mut successes = 0;
    let mut conflicts = 0;
    for (q, (s, b)) in &results {
        match s {
            201 => {
                assert_eq!(b["quantity"], *q);
                taken += q;
                successes += 1;
            }
            _ => {
                assert_envelope(*s, b, 409, Some("quantity"));
                conflicts += 1;
            }
        }
    }
    assert_eq!(successes + conflicts, 20);
    assert!(successes > 0 && conflicts > 0, "{results:?}");
    let stock = stock_of(local, &med).await;
    assert_eq!(stock, 50 - taken, "{results:?}");
    assert!(stock >= 0);
    let dispensed = list_all(local, &format!("{}/dispensations", rx.location), 50).await;
    assert_eq!(dispensed.len(), successes);
    assert_eq!(
        dispensed
            .iter()
            .map(|d| d["quantity"].as_i64().unwrap())
            .sum::<i64>(),
        taken
    );
    let movements = list_all(local, &format!("{}/stock-movements", med.location), 50).await;
    let out: Vec<&Value> = movements
        .iter()
        .filter(|m| m["kind"] == "dispensed")
        .collect();
    assert_eq!(out.len(), successes);
    assert!(out.iter().all(|m| m["dispensation_id"].is_string()));
    // Below the minimum, the medication is listed as such.
    if stock < 10 {
        assert!(
            ids_of(&items(local, "/v1/medications?below_minimum=true").await).contains(&med.id)
        );
    }

    // A capped item: 20 dispensations of 3 units of an item prescribed 30; 10 succeed.
    let plenty = new_medication(local, "Soro glicosado 5%", 0, 1000).await;
    let capped = create(
        local,
        Role::Doctor,
        PRESCRIPTIONS,
        &json!({"patient_id": p.id, "doctor_id": doc.id, "items": [item(&plenty.id, Some(30))]}),
    )
    .await;
    let results = join_all((0..20).map(|_| dispense(local, &capped.location, 0, 3))).await;
    let ok = results.iter().filter(|r| r.0 == 201).count();
    for (s, b) in results.iter().filter(|r| r.0 != 201) {
        assert_envelope(*s, b, 409, Some("quantity"));
    }
    assert_eq!(ok, 10, "{results:?}");
    assert_eq!(stock_of(local, &plenty).await, 970);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operations_races_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    admissions_to_one_bed(&local).await;
    one_patient_two_beds(&local).await;
    bookings_of_one_doctor(&local).await;
    bookings_of_free_slots(&local).await;
    dispensations_of_one_stock(&local).await;
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operations_races_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    admissions_to_one_bed(&local).await;
    one_patient_two_beds(&local).await;
    bookings_of_one_doctor(&local).await;
    bookings_of_free_slots(&local).await;
    dispensations_of_one_stock(&local).await;
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operations_if_match_reschedule_while_the_day_fills_on_embedded_store() {
    let local = Local::start(Backend::Embedded).await;
    reschedule_under_if_match(&local).await;
    local.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operations_if_match_reschedule_while_the_day_fills_on_dynamodb() {
    let local = Local::start(Backend::Dynamo).await;
    reschedule_under_if_match(&local).await;
    local.stop().await;
}
