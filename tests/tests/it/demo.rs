//! The demo hospital (`hospital-local demo-data`), generated over a temporary data dir with a
//! fixed seed and three weeks of history: the registry it promises, every indicator answering
//! with data and the alerts it is built to raise, the jobs that read it, the same figures for
//! the same seed, and a store that holds a hospital refused.

use chrono::Duration;
use hospital_core::analytics::appointments::GroupBy;
use hospital_core::analytics::stays::StayGroupBy;
use hospital_core::analytics::{self, Period, Span};
use hospital_core::patients::Patient;
use hospital_core::resource::{Filter, Repository};
use hospital_core::reviews::Review;
use hospital_core::time::FixedClock;
use hospital_local::{Config, demo};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

const OPTIONS: demo::Options = demo::Options {
    seed: 20_240_501,
    days: 21,
    now: None,
};

fn config_in(dir: &Path) -> Config {
    let mut c = Config::in_dir(dir);
    c.settings.management_emails = vec!["gestao@santaclara.example".into()];
    c
}

/// Every indicator over the last 30 days, as the API computes it, with the clock at the end of
/// the history.
async fn indicators(config: &Config, summary: &demo::Summary) -> Value {
    let clock = Arc::new(FixedClock::new(summary.ended_at));
    let hospital = hospital_local::assemble_with_clock(config, clock)
        .await
        .expect("open the demo store");
    let deps = hospital.deps().clone();
    let span = Span {
        from: summary.today - Duration::days(29),
        to: summary.today,
    };
    let occupancy = analytics::occupancy::occupancy(&deps, span, Period::Day, None, 85.0)
        .await
        .expect("occupancy");
    let appointments =
        analytics::appointments::appointments(&deps, span, GroupBy::Specialty, Period::Day)
            .await
            .expect("appointments");
    let billing = analytics::billing::billing(&deps, span)
        .await
        .expect("billing");
    let length_of_stay = analytics::stays::length_of_stay(&deps, span, StayGroupBy::Chapter)
        .await
        .expect("length of stay");
    let readmissions = analytics::stays::readmissions(&deps, span, 30)
        .await
        .expect("readmissions");
    let coverage = analytics::coverage::coverage(&deps, 30, 5)
        .await
        .expect("coverage");
    hospital.bus.detach();
    json!({
        "occupancy": occupancy,
        "appointments": appointments,
        "billing": billing,
        "length_of_stay": length_of_stay,
        "readmissions": readmissions,
        "coverage": coverage,
    })
}

/// The figures without ids (ULIDs are random) and without the order ids decide.
fn figures(v: &Value) -> Value {
    match v {
        Value::String(s) if hospital_core::ids::is_id(s) => json!("<id>"),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(figures).collect();
            items.sort_by_key(|i| i.to_string());
            Value::Array(items)
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), figures(v))).collect()),
        other => other.clone(),
    }
}

/// What the demo promises its indicators show: every sector, the ICU's occupancy alert,
/// patient-days, a demand alert, overdue bills, stays, readmissions, short medications.
fn assert_indicators(first: &Value) {
    let occupancy = &first["occupancy"]["sectors"];
    assert_eq!(occupancy.as_array().map(Vec::len), Some(5), "{occupancy}");
    let alerted: Vec<&str> = occupancy
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| !s["alert"].is_null())
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(alerted.contains(&"UTI Adulto"), "{occupancy}");
    assert!(
        first["occupancy"]["hospital"]
            .as_array()
            .is_some_and(|rows| rows.iter().any(|r| r["patient_days"].as_i64() > Some(0))),
        "{}",
        first["occupancy"]
    );
    let appointments = &first["appointments"];
    assert!(
        appointments["groups"]
            .as_array()
            .is_some_and(|g| g.len() >= 9),
        "{appointments}"
    );
    assert!(
        appointments["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["name"] == "Dermatologia"),
        "{}",
        appointments["alerts"]
    );
    let billing = &first["billing"]["totals"];
    assert!(
        billing["entries"].as_i64() > Some(100) && billing["overdue_cents"].as_i64() > Some(0),
        "{}",
        first["billing"]
    );
    let stays = &first["length_of_stay"];
    assert!(
        stays["discharges"].as_i64() > Some(50)
            && stays["groups"].as_array().is_some_and(|g| g.len() >= 5),
        "{stays}"
    );
    let readmissions = &first["readmissions"];
    assert!(
        readmissions["admissions"].as_i64() > Some(50)
            && readmissions["readmissions"].as_i64() >= Some(1),
        "{readmissions}"
    );
    let coverage = first["coverage"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let used = coverage
        .iter()
        .filter(|i| i["dispensed"].as_i64() > Some(0))
        .count();
    let short = coverage
        .iter()
        .filter(|i| i["below_threshold"] == true)
        .count();
    assert!(used >= 20 && short >= 2, "{coverage:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_hospital_fills_every_indicator_the_same_way_for_a_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_in(dir.path());
    let summary = demo::generate(&config, &OPTIONS)
        .await
        .expect("the demo hospital");
    let c = &summary.counts;
    assert_eq!(summary.refused_count, 0, "{:?}", summary.refused);
    assert_eq!((c.sectors, c.beds, c.insurers), (5, 60, 6), "{c:?}");
    assert!(
        (10..=12).contains(&c.specialties) && c.doctors == 25,
        "{c:?}"
    );
    assert!(
        (demo::PATIENTS..=demo::PATIENTS + 20).contains(&c.patients),
        "{c:?}"
    );
    assert!(
        c.appointments > 500 && c.admissions > 100 && c.discharge_bills > 50,
        "{c:?}"
    );

    // Every patient on file, each with a valid CPF of their own.
    let hospital =
        hospital_local::assemble_with_clock(&config, Arc::new(FixedClock::new(summary.ended_at)))
            .await
            .expect("open the demo store");
    let patients = Repository::<Patient>::new(hospital.deps().clone());
    let (mut cpfs, mut cursor) = (std::collections::HashSet::new(), None);
    loop {
        let page = patients
            .list(None, Filter::All, Some(200), cursor.as_deref())
            .await
            .expect("patients");
        for p in &page.items {
            assert!(
                hospital_core::validate::cpf(&p.data.cpf).is_ok(),
                "{}",
                p.data.cpf
            );
            assert!(cpfs.insert(p.data.cpf.clone()), "CPF twice: {}", p.data.cpf);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(cpfs.len(), c.patients);
    // Closed before the next opening (the embedded store allows one).
    drop(patients);
    hospital.bus.detach();
    drop(hospital);

    let first = indicators(&config, &summary).await;
    assert_indicators(&first);

    // A store that holds a hospital is left alone, saying where a demo can go.
    let refused = demo::generate(&config, &OPTIONS)
        .await
        .expect_err("a filled store is refused");
    assert!(refused.contains("HOSPITAL_DATA_DIR"), "{refused}");

    // The jobs find their material: long stays to review, a day to report.
    let long = hospital_local::run_job(&config, "long-stays", None)
        .await
        .expect("long-stays");
    assert!(
        long["report"]["flagged"]
            .as_array()
            .is_some_and(|f| !f.is_empty()),
        "{long}"
    );
    // The report of the demo's last day, named: run at the real now, which may have passed
    // midnight since the demo was made.
    let yesterday = summary.today - Duration::days(1);
    let report = hospital_local::run_job(&config, "daily-report", Some(&yesterday.to_string()))
        .await
        .expect("daily-report");
    assert_eq!(report["ok"], true, "{report}");
    let pdf = dir.path().join(format!(
        "files/reports/daily/{yesterday}/relatorio-diario-{yesterday}.pdf"
    ));
    assert!(pdf.is_file(), "{report}");
    // The report is the one e-mail in the outbox folder: nothing about the past was sent.
    let mails: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
        .expect("the outbox folder")
        .flatten()
        .collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let hospital =
        hospital_local::assemble_with_clock(&config, Arc::new(FixedClock::new(summary.ended_at)))
            .await
            .expect("open the demo store");
    let reviews = Repository::<Review>::new(hospital.deps().clone())
        .list(None, Filter::All, Some(50), None)
        .await
        .expect("reviews");
    assert!(!reviews.items.is_empty());
    hospital.bus.detach();
    drop(hospital);

    // The same seed, another data dir: the same figures.
    let again = tempfile::tempdir().expect("tempdir");
    let config2 = config_in(again.path());
    let summary2 = demo::generate(&config2, &OPTIONS)
        .await
        .expect("the demo hospital again");
    assert_eq!(summary2.counts, summary.counts);
    let second = indicators(&config2, &summary2).await;
    assert_eq!(figures(&second), figures(&first));
}

/// The demo's figures do not depend on the hour it is made at nor on the day: the first and
/// last minutes of a day (hospital time), the hour UTC changes date (03:00 in São Paulo), a
/// month's first and last days, a year's turn. 2026-12-05 is the day a fresh clone's CI
/// found the ICU without its alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_hospital_is_the_same_at_any_hour_and_on_any_day() {
    let tz = hospital_core::time::parse_tz("America/Sao_Paulo").expect("zone");
    let at = |day: &str, time: &str| {
        let local =
            chrono::NaiveDateTime::parse_from_str(&format!("{day} {time}"), "%Y-%m-%d %H:%M")
                .expect("instant");
        local
            .and_local_timezone(tz)
            .single()
            .expect("one instant")
            .with_timezone(&chrono::Utc)
    };
    let mut same_day: Option<Value> = None;
    for (day, time) in [
        ("2026-12-05", "00:30"),
        ("2026-12-05", "02:59"),
        ("2026-12-05", "03:00"),
        ("2026-12-05", "23:59"),
        ("2026-11-30", "12:00"),
        ("2027-01-01", "00:30"),
        ("2027-03-01", "21:00"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = config_in(dir.path());
        let options = demo::Options {
            now: Some(at(day, time)),
            ..OPTIONS
        };
        let summary = demo::generate(&config, &options)
            .await
            .expect("the demo hospital");
        assert_eq!(summary.today.to_string(), day, "{time}");
        assert_eq!(
            summary.refused_count, 0,
            "{day} {time}: {:?}",
            summary.refused
        );
        let figures_now = indicators(&config, &summary).await;
        assert_indicators(&figures_now);
        if day == "2026-12-05" {
            // The hour changes nothing.
            match &same_day {
                None => same_day = Some(figures(&figures_now)),
                Some(before) => assert_eq!(&figures(&figures_now), before, "{day} {time}"),
            }
        }
    }
}
