//! Each indicator against the fixture's figures, worked out by hand below.

use super::fixture::{self, Fixture};
use super::*;

fn row(rows: &Value, start: &str) -> Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["start"] == start)
        .cloned()
        .unwrap_or_else(|| panic!("no row {start} in {rows}"))
}

fn sector<'a>(occupancy: &'a Value, id: &str) -> &'a Value {
    occupancy["sectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["sector_id"] == id)
        .unwrap_or_else(|| panic!("no sector {id}"))
}

/// (patient_days, available_bed_days, occupancy_percent) of each row, in order.
fn census(rows: &Value) -> Vec<(i64, i64, Value)> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["patient_days"].as_i64().unwrap(),
                r["available_bed_days"].as_i64().unwrap(),
                r["occupancy_percent"].clone(),
            )
        })
        .collect()
}

async fn indicators(local: &Local) {
    let f: Fixture = fixture::build(local).await;
    let week = "from=2026-11-01&to=2026-11-06";

    // ---------------------------------------------------------------- occupancy (RF17, AD01)
    // Census at 24:00; a stay (from, to] counts on days date(from) ..= date(to) − 1.
    // Sector A (beds A1, A2; A1 in maintenance at the census of 11-04):
    //   available: 2, 2, 2, 1, 2, 2
    //   X1 in A1 (11-01 10:00, 11-03 09:00] → 11-01, 11-02
    //   X2 admitted and discharged on 11-02 → 1 on 11-02
    //   X3 in A2 since 11-03 08:00, open → 11-03 … 11-06 (today, projected)
    //   X5 cancelled → nothing; X6 in A1 since 11-06 08:00 → 11-06
    //   patient-days: 1, 2, 1, 1, 1, 2 → 50.0, 100.0, 50.0, 100.0, 50.0, 100.0 %
    // Sector B (bed B1): X1 (11-03 09:00, 11-05 14:00] → 11-03, 11-04; the day of discharge
    //   doesn't count: 0, 0, 1, 1, 0, 0 of 1 each day.
    // Hospital: patient-days 1, 2, 2, 2, 1, 2 of 3, 3, 3, 2, 3, 3.
    let occ = get_as_ok(
        local,
        Role::Manager,
        &format!("/v1/analytics/occupancy?{week}"),
    )
    .await;
    let p = |x: f64| json!(x);
    assert_eq!(
        census(&occ["hospital"]),
        vec![
            (1, 3, p(33.3)), // 1/3
            (2, 3, p(66.7)), // 2/3 = 66.67
            (2, 3, p(66.7)),
            (2, 2, p(100.0)),
            (1, 3, p(33.3)),
            (2, 3, p(66.7)),
        ],
        "{occ}"
    );
    let a = sector(&occ, &f.sector_a);
    assert_eq!(a["name"], "Clínica Médica");
    assert_eq!(
        census(&a["rows"]),
        vec![
            (1, 2, p(50.0)),
            (2, 2, p(100.0)),
            (1, 2, p(50.0)),
            (1, 1, p(100.0)),
            (1, 2, p(50.0)),
            (2, 2, p(100.0)),
        ]
    );
    let b = sector(&occ, &f.sector_b);
    assert_eq!(
        census(&b["rows"]),
        vec![
            (0, 1, p(0.0)),
            (0, 1, p(0.0)),
            (1, 1, p(100.0)),
            (1, 1, p(100.0)),
            (0, 1, p(0.0)),
            (0, 1, p(0.0)),
        ]
    );
    // The 7 days ending 11-06 (10-31 had no beds): 10 patient-days / 17 bed-days = 58.82 %.
    assert_eq!(
        row(&occ["hospital"], "2026-11-06")["moving_average_7d_percent"],
        58.8
    );
    // Ending 11-01: 1 / 3.
    assert_eq!(
        row(&occ["hospital"], "2026-11-01")["moving_average_7d_percent"],
        33.3
    );
    // Alert above 40 % (this server's threshold) on each of the last 3 days: A was above it
    // every day of the range (the run starts with the range); B was at 0 on 11-06.
    assert_eq!(a["alert"], json!({"since": "2026-11-01", "days": 6}));
    assert_eq!(b["alert"], Value::Null);

    // Weeks from Monday: 11-01 is a Sunday, so the first row is the week of 10-26 (its one day
    // in range: 1 / 3), then 11-02 … 11-06: (2+2+2+1+2) / (3+3+2+3+3) = 9 / 14 = 64.29 %.
    let weekly = get_as_ok(
        local,
        Role::Admin,
        &format!("/v1/analytics/occupancy?{week}&period=week"),
    )
    .await;
    assert_eq!(
        census(&weekly["hospital"]),
        vec![(1, 3, p(33.3)), (9, 14, p(64.3))]
    );
    assert_eq!(
        row(&weekly["hospital"], "2026-10-26")["moving_average_7d_percent"],
        33.3
    );
    assert_eq!(
        row(&weekly["hospital"], "2026-11-02")["moving_average_7d_percent"],
        58.8
    );
    // One sector: its rows, and the hospital's are its.
    let only_b = get_as_ok(
        local,
        Role::Manager,
        &format!("/v1/analytics/occupancy?{week}&sector_id={}", f.sector_b),
    )
    .await;
    assert_eq!(only_b["sectors"].as_array().unwrap().len(), 1);
    assert_eq!(census(&only_b["hospital"]), census(&b["rows"]));
    // Days after today are not reported.
    let ahead = get_as_ok(
        local,
        Role::Manager,
        "/v1/analytics/occupancy?from=2026-11-05&to=2026-11-30",
    )
    .await;
    assert_eq!(ahead["hospital"].as_array().unwrap().len(), 2);

    // ---------------------------------------------------------------- appointments (RF18, AD02)
    // Cardiologia: 11-02 booked, 11-03 cancelled. Pediatria: 11-04 booked.
    let appts = get_as_ok(
        local,
        Role::Manager,
        &format!("/v1/analytics/appointments?{week}&group_by=specialty"),
    )
    .await;
    let groups = appts["groups"].as_array().unwrap();
    assert_eq!(
        groups.iter().map(|g| g["name"].clone()).collect::<Vec<_>>(),
        vec![json!("Cardiologia"), json!("Pediatria")]
    );
    let cardio = &groups[0];
    assert_eq!(cardio["id"], f.cardiology.as_str());
    assert_eq!(cardio["rows"].as_array().unwrap().len(), 6);
    assert_eq!(
        row(&cardio["rows"], "2026-11-02"),
        json!({"start": "2026-11-02", "total": 1, "booked": 1, "checked_in": 0, "fulfilled": 0, "cancelled": 0, "noshow": 0})
    );
    assert_eq!(row(&cardio["rows"], "2026-11-03")["cancelled"], 1);
    assert_eq!(row(&cardio["rows"], "2026-11-01")["total"], 0);
    assert_eq!(groups[1]["id"], f.pediatrics.as_str());
    assert_eq!(row(&groups[1]["rows"], "2026-11-04")["booked"], 1);
    // AD02 over the 7 days ending 11-06: Cardiologia L = 1 (11-03 cancelled), A = 8 in
    // 10-03 … 10-30 (10-28 cancelled) → weekly average 2; (2 − 1) / 2 = 50 % > 20 %.
    // Pediatria: L = 1, A = 4 → average 1, no drop.
    assert_eq!(
        appts["alerts"],
        json!([{
            "specialty_id": f.cardiology, "name": "Cardiologia", "last_7_days": 1,
            "weekly_average_4_weeks": 2.0, "drop_percent": 50.0
        }])
    );
    // By doctor and month over October and November: Carla 9 in October (8 booked,
    // 1 cancelled), 2 in November; Paulo 4 and 1.
    let by_doctor = get_as_ok(
        local,
        Role::Manager,
        "/v1/analytics/appointments?from=2026-10-01&to=2026-11-06&group_by=doctor&period=month",
    )
    .await;
    let carla = by_doctor["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == f.doctor_c.as_str())
        .unwrap();
    assert_eq!(carla["name"], "Carla Cardoso");
    assert_eq!(
        (
            row(&carla["rows"], "2026-10-01")["total"].clone(),
            row(&carla["rows"], "2026-10-01")["cancelled"].clone()
        ),
        (json!(9), json!(1))
    );
    assert_eq!(row(&carla["rows"], "2026-11-01")["total"], 2);
    // The week of Monday 10-26: 10-26, 10-27 booked, 10-28 cancelled.
    let weekly = get_as_ok(
        local,
        Role::Manager,
        "/v1/analytics/appointments?from=2026-10-26&to=2026-11-01&group_by=doctor&period=week",
    )
    .await;
    let carla = &weekly["groups"].as_array().unwrap()[0];
    assert_eq!(
        carla["rows"],
        json!([{"start": "2026-10-26", "total": 3, "booked": 2, "checked_in": 0, "fulfilled": 0, "cancelled": 1, "noshow": 0}])
    );

    // ---------------------------------------------------------------- billing (RF19, AD03)
    // Issued 11-01 … 11-06, cancelled excluded, today 11-06:
    //   Saúde Total: 10 000 pending due 11-04 (overdue) + 20 001 paid → entries 2, billed
    //     30 001, received 20 001, pending 10 000, overdue 10 000, rate 33.33 → 33.3,
    //     ticket 15 000.5 → 15 001 (half up)
    //   Vida Plena: 5 000 pending due 11-03 (overdue) + 15 000 pending due 12-05 → billed
    //     20 000, pending 20 000, overdue 5 000, rate 25.0, ticket 10 000
    //   private: 8 000 paid → rate 0.0 (the 10-31 entry is out of range)
    //   totals: 5 entries, billed 58 001, received 28 001, pending 30 000, overdue 15 000,
    //     rate 25.86 → 25.9, ticket 11 600.2 → 11 600
    let billing = get_as_ok(
        local,
        Role::Billing,
        &format!("/v1/analytics/billing?{week}"),
    )
    .await;
    assert_eq!(
        billing,
        json!({
            "insurers": [
                {"insurer_id": f.insurer_1, "name": "Saúde Total", "entries": 2, "billed_cents": 30001,
                 "received_cents": 20001, "pending_cents": 10000, "overdue_cents": 10000,
                 "overdue_rate_percent": 33.3, "average_ticket_cents": 15001},
                {"insurer_id": f.insurer_2, "name": "Vida Plena", "entries": 2, "billed_cents": 20000,
                 "received_cents": 0, "pending_cents": 20000, "overdue_cents": 5000,
                 "overdue_rate_percent": 25.0, "average_ticket_cents": 10000},
                {"insurer_id": null, "name": "Particular", "entries": 1, "billed_cents": 8000,
                 "received_cents": 8000, "pending_cents": 0, "overdue_cents": 0,
                 "overdue_rate_percent": 0.0, "average_ticket_cents": 8000},
            ],
            "totals": {"entries": 5, "billed_cents": 58001, "received_cents": 28001,
                       "pending_cents": 30000, "overdue_cents": 15000,
                       "overdue_rate_percent": 25.9, "average_ticket_cents": 11600},
            "highest_overdue_rate_insurer_id": f.insurer_1,
        })
    );

    // ---------------------------------------------------------------- coverage (AD05)
    // Today 11-06. days=5 → 11-02 … 11-06:
    //   M2: stock 2, dispensed 8 → use 1.6/day, coverage 2 × 5 / 8 = 1.25 days (< 5)
    //   M1: stock 70, dispensed 30 → 6/day, 70 × 5 / 30 = 11.67 days
    //   M3: nothing dispensed → null, last
    let cov = get_as_ok(
        local,
        Role::Manager,
        "/v1/analytics/medication-coverage?days=5&threshold_days=5",
    )
    .await;
    let items = cov["items"].as_array().unwrap();
    let ids: Vec<&str> = items
        .iter()
        .map(|i| i["medication_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![f.m2.as_str(), f.m1.as_str(), f.m3.as_str()]);
    assert_eq!(
        items[0],
        json!({"medication_id": f.m2, "name": "Amoxicilina 500 mg", "stock_quantity": 2, "dispensed": 8,
               "average_daily_use": 1.6, "coverage_days": 1.25, "below_threshold": true})
    );
    assert_eq!(
        (
            items[1]["average_daily_use"].clone(),
            items[1]["coverage_days"].clone(),
            items[1]["below_threshold"].clone()
        ),
        (json!(6.0), json!(11.67), json!(false))
    );
    assert_eq!(
        (
            items[2]["coverage_days"].clone(),
            items[2]["dispensed"].clone()
        ),
        (Value::Null, json!(0))
    );
    // days=3 → 11-04 … 11-06: M1 dispensed 20 → 6.67/day, 70 × 3 / 20 = 10.5 days < 11.
    let cov = get_as_ok(
        local,
        Role::Manager,
        "/v1/analytics/medication-coverage?days=3&threshold_days=11",
    )
    .await;
    let m1 = cov["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["medication_id"] == f.m1.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (
            m1["average_daily_use"].clone(),
            m1["coverage_days"].clone(),
            m1["below_threshold"].clone()
        ),
        (json!(6.67), json!(10.5), json!(true))
    );

    // ---------------------------------------------------------------- readmissions (RF21, AD04)
    // Admitted 11-01 … 11-06, cancelled excluded: X1, X2, X3, X6. X6 (P1, 11-06 08:00) began
    // 18 h = 0.75 days after X1's discharge (11-05 14:00; the cancelled X5 between them is
    // skipped): 1 of 4 = 25.0 %.
    let re = get_as_ok(
        local,
        Role::Manager,
        &format!("/v1/analytics/readmissions?{week}"),
    )
    .await;
    assert_eq!(
        re,
        json!({
            "admissions": 4, "readmissions": 1, "rate_percent": 25.0,
            "top_diagnoses": [{"code": "I50.9", "count": 1}],
            "items": [{"admission_id": f.x6, "previous_admission_id": f.x1, "days_since_discharge": 0.75}],
        })
    );
    // Within a day still (18 h); before 11-06, X6 is not in the range: 0 of 3.
    let one_day = get_as_ok(
        local,
        Role::Manager,
        &format!("/v1/analytics/readmissions?{week}&days=1"),
    )
    .await;
    assert_eq!(one_day["readmissions"], 1);
    let none = get_as_ok(
        local,
        Role::Manager,
        "/v1/analytics/readmissions?from=2026-11-01&to=2026-11-05",
    )
    .await;
    assert_eq!(
        (
            none["admissions"].clone(),
            none["readmissions"].clone(),
            none["rate_percent"].clone()
        ),
        (json!(3), json!(0), json!(0.0))
    );

    // ---------------------------------------------------------------- a late discharge
    // X3's discharge is entered at 12:30 with discharged_at 11-05 20:00: its stay becomes
    // (11-03 08:00, 11-05 20:00] → 11-03, 11-04; sector A's 11-05 falls to 0 (X3 gone, X6 not
    // yet) and 11-06 to 1 (X6). Nothing else moves.
    set_clock(local, "2026-11-06T12:30:00-03:00").await;
    fixture::discharge(local, &f.x3, "J18.9", Some("2026-11-05T20:00:00-03:00")).await;
    let occ = get_as_ok(
        local,
        Role::Manager,
        &format!("/v1/analytics/occupancy?{week}"),
    )
    .await;
    let a = sector(&occ, &f.sector_a);
    assert_eq!(
        census(&a["rows"])
            .iter()
            .map(|(pd, av, _)| (*pd, *av))
            .collect::<Vec<_>>(),
        vec![(1, 2), (2, 2), (1, 2), (1, 1), (0, 2), (1, 2)]
    );

    // ---------------------------------------------------------------- length of stay (RF20)
    // Discharged 11-01 … 11-06: X2 (10 h), X1 (100 h), X3 (60 h).
    // Census patient-days: X1 2 in A + 2 in B = 4, X2 1 (same day), X3 2 → 7 / 3 = 2.33.
    // I21.9: X2 and X1 → mean 55 h = 2.29 d, median (10 + 100) / 2 = 2.29, p90 nearest rank
    //   ⌈0.9 × 2⌉ = 2nd → 100 h = 4.17. J18.9: X3 → 2.5 each.
    let los = get_as_ok(
        local,
        Role::Manager,
        &format!("/v1/analytics/length-of-stay?{week}"),
    )
    .await;
    assert_eq!(
        los,
        json!({
            "discharges": 3, "patient_days": 7, "average_stay_days": 2.33,
            "groups": [
                {"code": "I21.9", "text": "Alta por I21.9", "discharges": 2, "mean_days": 2.29, "median_days": 2.29, "p90_days": 4.17},
                {"code": "J18.9", "text": "Alta por J18.9", "discharges": 1, "mean_days": 2.5, "median_days": 2.5, "p90_days": 2.5},
            ],
        })
    );
    let chapters = get_as_ok(
        local,
        Role::Manager,
        &format!("/v1/analytics/length-of-stay?{week}&group_by=chapter"),
    )
    .await;
    let codes: Vec<(Value, Value)> = chapters["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["code"].clone(), g["discharges"].clone()))
        .collect();
    assert_eq!(codes, vec![(json!("IX"), json!(2)), (json!("X"), json!(1))]);
    assert_eq!(
        chapters["groups"][0]["text"],
        "Doenças do aparelho circulatório"
    );

    // ---------------------------------------------------------------- long stays (AUTO04)
    // Finished: X2 10 h and X1 100 h (admitted with I21.9), X3 60 h (J18.9). X6 (I50.9) has
    // no peers of its own (fewer than 5), so the median of all: 60 h = 2.5 days; + 3 days →
    // flagged once open longer than 5.5 days (132 h). At 11-12 08:00 it has been 144 h.
    let job = run_job(local, "long-stays").await;
    assert_eq!(job["report"]["flagged"], json!([]), "{job}");
    set_clock(local, "2026-11-12T08:00:00-03:00").await;
    let job = run_job(local, "long-stays").await;
    assert_eq!(
        job["report"]["flagged"].as_array().unwrap().len(),
        1,
        "{job}"
    );
    let again = run_job(local, "long-stays").await;
    assert_eq!(
        (
            again["report"]["flagged"].clone(),
            again["report"]["already_under_review"].clone()
        ),
        (json!([]), json!(1))
    );
    let open = get_as_ok(local, Role::Nurse, "/v1/reviews?status=open").await;
    let review = open["items"][0].clone();
    assert_eq!(
        (
            review["admission_id"].clone(),
            review["stay_days"].clone(),
            review["median_days"].clone(),
            review["peers"].clone(),
            review["compared_with"].clone(),
            review["diagnosis_code"].clone(),
        ),
        (
            json!(f.x6),
            json!(6.0),
            json!(2.5),
            json!(3),
            json!("all"),
            json!("I50.9")
        ),
        "{review}"
    );
    let path = format!("/v1/reviews/{}", review["id"].as_str().unwrap());
    let (s, b, _) = patch_as(
        local,
        Role::Doctor,
        &path,
        &json!({"status": "resolved"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 422, Some("note"));
    let (s, b, _) = patch_as(
        local,
        Role::Receptionist,
        &path,
        &json!({"note": "x"}),
        None,
    )
    .await;
    assert_envelope(s, &b, 403, None);
    let (s, b, _) = patch_as(local, Role::Doctor, &path, &json!({"stay_days": 1}), None).await;
    assert_envelope(s, &b, 422, Some("stay_days"));
    // A blank note is no note: refused on the field, whether resolving or not.
    for blank in [
        json!({"note": ""}),
        json!({"note": "   "}),
        json!({"status": "resolved", "note": " \n\t "}),
    ] {
        let (s, b, _) = patch_as(local, Role::Doctor, &path, &blank, None).await;
        assert_envelope(s, &b, 422, Some("note"));
    }
    assert_eq!(
        get_as_ok(local, Role::Doctor, &path).await.get("note"),
        None
    );
    let done = patch_ok(
        local,
        Role::Doctor,
        &path,
        json!({"status": "resolved", "note": "Aguarda vaga em hospital de retaguarda"}),
    )
    .await;
    assert_eq!(done["resolved_at"], utc("2026-11-12", "08:00"));
    let (s, b, _) = patch_as(local, Role::Manager, &path, &json!({"note": "outra"}), None).await;
    assert_envelope(s, &b, 422, Some("status"));
    assert_eq!(
        get_as_ok(local, Role::Manager, "/v1/reviews?status=open").await["items"],
        json!([])
    );
    assert_eq!(
        get_as_ok(local, Role::Manager, "/v1/reviews?status=resolved").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (s, _) = send(
        local,
        Method::POST,
        "/v1/reviews",
        Role::Admin,
        Some(&json!({})),
    )
    .await;
    assert_eq!(s, 405);
}

#[tokio::test]
async fn analytics_indicators_match_the_hand_computed_fixture_on_embedded_store() {
    let local = start(Backend::Embedded).await;
    indicators(&local).await;
    local.stop().await;
}

#[tokio::test]
async fn analytics_indicators_match_the_hand_computed_fixture_on_dynamodb() {
    let local = start(Backend::Dynamo).await;
    indicators(&local).await;
    local.stop().await;
}

/// Who may read which indicator, and what a malformed query gets.
#[tokio::test]
async fn analytics_roles_and_bad_queries() {
    let local = start(Backend::Embedded).await;
    let week = "from=2026-11-01&to=2026-11-06";
    for (path, allowed, refused) in [
        (
            "occupancy",
            &[Role::Admin, Role::Manager][..],
            &[Role::Billing, Role::Nurse, Role::Doctor][..],
        ),
        (
            "billing",
            &[Role::Admin, Role::Manager, Role::Billing][..],
            &[Role::Nurse, Role::Receptionist][..],
        ),
        (
            "readmissions",
            &[Role::Manager][..],
            &[Role::Billing, Role::Pharmacist][..],
        ),
    ] {
        for role in allowed {
            let (s, b, _) = get_as(&local, *role, &format!("/v1/analytics/{path}?{week}")).await;
            assert_eq!(s, 200, "{path} as {role:?}: {b}");
        }
        for role in refused {
            let (s, b, _) = get_as(&local, *role, &format!("/v1/analytics/{path}?{week}")).await;
            assert_envelope(s, &b, 403, None);
        }
    }
    for (query, field) in [
        ("/v1/analytics/occupancy?to=2026-11-06", "from"),
        ("/v1/analytics/occupancy?from=2026-11-06", "to"),
        (
            "/v1/analytics/occupancy?from=2026-02-30&to=2026-03-01",
            "from",
        ),
        (
            "/v1/analytics/occupancy?from=2026-11-06&to=2026-11-01",
            "to",
        ),
        (
            "/v1/analytics/occupancy?from=2025-01-01&to=2026-01-02",
            "to",
        ),
        (
            "/v1/analytics/occupancy?from=2026-11-01&to=2026-11-06&period=month",
            "period",
        ),
        (
            "/v1/analytics/occupancy?from=2026-11-01&to=2026-11-06&sector_id=x",
            "sector_id",
        ),
        (
            "/v1/analytics/occupancy?from=2026-11-01&to=2026-11-06&color=red",
            "color",
        ),
        (
            "/v1/analytics/occupancy?from=2026-11-01&from=2026-11-02&to=2026-11-06",
            "from",
        ),
        (
            "/v1/analytics/appointments?from=2026-11-01&to=2026-11-06&group_by=room",
            "group_by",
        ),
        (
            "/v1/analytics/length-of-stay?from=2026-11-01&to=2026-11-06&group_by=ward",
            "group_by",
        ),
        (
            "/v1/analytics/readmissions?from=2026-11-01&to=2026-11-06&days=-1",
            "days",
        ),
        (
            "/v1/analytics/readmissions?from=2026-11-01&to=2026-11-06&days=3.5",
            "days",
        ),
        ("/v1/analytics/medication-coverage?days=0", "days"),
        (
            "/v1/analytics/medication-coverage?threshold_days=abc",
            "threshold_days",
        ),
    ] {
        let (s, b, _) = get_as(&local, Role::Manager, query).await;
        assert_envelope(s, &b, 400, Some(field));
    }
    let (s, b, _) = get_as(
        &local,
        Role::Manager,
        &format!("/v1/analytics/occupancy?{week}&sector_id={MISSING_ID}"),
    )
    .await;
    assert_envelope(s, &b, 404, None);
    // 366 days is the most (a leap year's worth).
    let (s, b, _) = get_as(
        &local,
        Role::Manager,
        "/v1/analytics/billing?from=2024-01-01&to=2024-12-31",
    )
    .await;
    assert_eq!(s, 200, "{b}");
    local.stop().await;
}
