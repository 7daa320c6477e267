//! Reads stay bounded: every indicator's 30-day query reads the same number of items (±5 %)
//! over a history ten times longer. The histories are made through the use cases (the
//! counters, views and timelines they write are the real ones) over an in-memory store behind
//! a counting one, at a steady pace: each day three appointments (one cancelled), two
//! admissions of two days, a bill issued (paid five days later) and a dispensation.

use super::*;
use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use hospital_adapters::counting::CountingStore;
use hospital_adapters::embedded::EmbeddedStore;
use hospital_core::admissions::{self, Diagnosis, Discharge, Disposition};
use hospital_core::analytics::appointments::GroupBy;
use hospital_core::analytics::stays::StayGroupBy;
use hospital_core::analytics::{self, Period, Span};
use hospital_core::appointments::Appointment;
use hospital_core::beds::Bed;
use hospital_core::billing::BillingEntry;
use hospital_core::doctors::Doctor;
use hospital_core::insurers::Insurer;
use hospital_core::medications::{self, Medication, MovementKind, NewStockMovement};
use hospital_core::patients::Patient;
use hospital_core::resource::{Deps, Repository, Resource};
use hospital_core::sectors::Sector;
use hospital_core::specialties::Specialty;
use hospital_core::time::{Calendar, ScenarioClock};
use std::collections::VecDeque;
use std::sync::Arc;

struct History {
    deps: Deps,
    counting: Arc<CountingStore>,
}

fn instant(day: NaiveDate, hour: u32) -> chrono::DateTime<chrono::Utc> {
    hospital_core::time::Calendar::DEFAULT_TZ
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc)
}

async fn create<R: Resource>(deps: &Deps, body: Value) -> String {
    Repository::<R>::new(deps.clone())
        .create_json(None, body.clone())
        .await
        .unwrap_or_else(|e| panic!("{} {body}: {e}", R::KIND))
        .id
}

async fn patch<R: Resource>(deps: &Deps, id: &str, body: Value) {
    Repository::<R>::new(deps.clone())
        .update(None, id, &body, None)
        .await
        .unwrap_or_else(|e| panic!("{} {id} {body}: {e}", R::KIND));
}

/// `days` days of the steady hospital, ending `end`.
async fn history(days: i64, end: NaiveDate) -> History {
    let clock = Arc::new(ScenarioClock::default());
    let counting = Arc::new(CountingStore::new(Arc::new(EmbeddedStore::in_memory())));
    let deps = Deps {
        store: counting.clone(),
        calendar: Calendar::new(clock.clone(), hospital_core::time::Calendar::DEFAULT_TZ),
        cursors: hospital_core::cursor::Cursors::new(b"bounded"),
    };
    let first = end - Duration::days(days - 1);
    clock.set(Some(instant(first, 6)));
    let specialty = create::<Specialty>(&deps, crate::registries::specialty("Clínica Geral")).await;
    let doctors = [
        create::<Doctor>(
            &deps,
            crate::registries::doctor("Ana Souza", 6101, "6101", "SP", &[&specialty]),
        )
        .await,
        create::<Doctor>(
            &deps,
            crate::registries::doctor("Bruno Lima", 6102, "6102", "SP", &[&specialty]),
        )
        .await,
    ];
    let mut beds = Vec::new();
    for s in ["Enfermaria", "UTI"] {
        let sector = create::<Sector>(&deps, crate::registries::sector(s, "ward")).await;
        for n in 1..=4 {
            beds.push(
                create::<Bed>(
                    &deps,
                    crate::registries::bed(&format!("{s}-{n}"), &sector, "available"),
                )
                .await,
            );
        }
    }
    let insurers = [
        create::<Insurer>(&deps, crate::registries::insurer("Saúde Total", "610001")).await,
        create::<Insurer>(&deps, crate::registries::insurer("Vida Plena", "610002")).await,
    ];
    let mut patients = Vec::new();
    for n in 0..40 {
        patients.push(create::<Patient>(&deps, patient(&format!("Paciente {n}"), 6200 + n)).await);
    }
    let medication =
        create::<Medication>(&deps, crate::registries::medication("Dipirona", 10)).await;
    medications::record_movement(
        &deps,
        &medication,
        NewStockMovement {
            kind: MovementKind::Received,
            quantity: 1_000_000,
            reason: "estoque".into(),
        },
        "bounded",
    )
    .await
    .unwrap();

    let mut free: VecDeque<String> = beds.into_iter().collect();
    let mut cleaning: Vec<String> = Vec::new();
    let mut open: VecDeque<(String, String, NaiveDate)> = VecDeque::new();
    let mut bills: VecDeque<(String, NaiveDate)> = VecDeque::new();
    let mut next_patient = 0;
    for day in first.iter_days().take(days as usize) {
        let at = |hour: u32| Some(instant(day, hour));
        clock.set(at(7));
        for bed in cleaning.drain(..) {
            patch::<Bed>(&deps, &bed, json!({"status": "available"})).await;
            free.push_back(bed);
        }
        for (i, hour) in [9, 10, 11].into_iter().enumerate() {
            let id = create::<Appointment>(
                &deps,
                json!({
                    "patient_id": patients[(day.ordinal() as usize + i) % patients.len()],
                    "doctor_id": doctors[i % 2],
                    "specialty_id": specialty,
                    "starts_at": crate::operations::at(&day.to_string(), &format!("{hour:02}:00")),
                }),
            )
            .await;
            if i == 2 {
                patch::<Appointment>(
                    &deps,
                    &id,
                    json!({"status": "cancelled", "cancel_reason": "desmarcou"}),
                )
                .await;
            }
        }
        clock.set(at(8));
        for _ in 0..2 {
            let bed = free.pop_front().expect("a free bed");
            let patient = patients[next_patient % patients.len()].clone();
            next_patient += 1;
            let a = admissions::admit(
                &deps,
                json!({
                    "patient_id": patient, "bed_id": bed, "attending_doctor_id": doctors[0],
                    "admitting_diagnosis": {"code": "J18.9", "text": "Pneumonia"},
                }),
            )
            .await
            .unwrap();
            open.push_back((a.id, bed, day));
        }
        clock.set(at(12));
        let issued = create::<BillingEntry>(
            &deps,
            json!({
                "patient_id": patients[0], "insurer_id": insurers[day.ordinal() as usize % 2],
                "description": "Diária", "amount_cents": 10_000 + i64::from(day.ordinal()),
                "due_on": (day + Duration::days(10)).to_string(),
            }),
        )
        .await;
        bills.push_back((issued, day));
        while let Some((bill, on)) = bills.front().cloned() {
            if day - on < Duration::days(5) {
                break;
            }
            bills.pop_front();
            patch::<BillingEntry>(
                &deps,
                &bill,
                json!({"status": "paid", "paid_on": day.to_string()}),
            )
            .await;
        }
        medications::record_movement(
            &deps,
            &medication,
            NewStockMovement {
                kind: MovementKind::Dispensed,
                quantity: 3,
                reason: "dispensação".into(),
            },
            "bounded",
        )
        .await
        .unwrap();
        clock.set(at(16));
        while let Some((id, bed, on)) = open.front().cloned() {
            if day - on < Duration::days(2) {
                break;
            }
            open.pop_front();
            admissions::discharge(
                &deps,
                &id,
                Discharge {
                    disposition: Disposition::Home,
                    discharge_diagnosis: Diagnosis {
                        code: "J18.9".into(),
                        text: "Pneumonia".into(),
                    },
                    discharged_at: None,
                },
            )
            .await
            .unwrap();
            cleaning.push(bed);
        }
    }
    clock.set(at_end(end));
    counting.take();
    History { deps, counting }
}

fn at_end(end: NaiveDate) -> Option<chrono::DateTime<chrono::Utc>> {
    Some(instant(end, 18))
}

/// Items each indicator's 30-day query reads.
async fn reads(h: &History, end: NaiveDate) -> Vec<(&'static str, u64)> {
    let span = Span::ending(end, 30);
    let d = &h.deps;
    let mut out = Vec::new();
    analytics::occupancy::occupancy(d, span, Period::Day, None, 85.0)
        .await
        .unwrap();
    out.push(("occupancy", h.counting.take().items));
    analytics::appointments::appointments(d, span, GroupBy::Doctor, Period::Week)
        .await
        .unwrap();
    out.push(("appointments", h.counting.take().items));
    analytics::billing::billing(d, span).await.unwrap();
    out.push(("billing", h.counting.take().items));
    let los = analytics::stays::length_of_stay(d, span, StayGroupBy::Chapter)
        .await
        .unwrap();
    assert!(los.discharges > 50, "the window holds discharges");
    out.push(("length-of-stay", h.counting.take().items));
    let re = analytics::stays::readmissions(d, span, 30).await.unwrap();
    assert!(re.readmissions > 0, "patients come back");
    out.push(("readmissions", h.counting.take().items));
    analytics::coverage::coverage(d, 30, 5).await.unwrap();
    out.push(("medication-coverage", h.counting.take().items));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_reads_do_not_grow_with_the_history() {
    let end = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let short = history(60, end).await;
    let long = history(600, end).await;
    let (a, b) = (reads(&short, end).await, reads(&long, end).await);
    for ((name, s), (_, l)) in a.iter().zip(&b) {
        eprintln!("{name}: {s} items read over 60 days of history, {l} over 600");
        let ratio = *l as f64 / *s as f64;
        assert!(
            (0.95..=1.05).contains(&ratio),
            "{name}: {s} items over 60 days of history, {l} over 600"
        );
    }
}
