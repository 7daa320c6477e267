//! Scheduled work. Every job reads only what its window or its subject needs (no Scan), and
//! every alert it raises is sent at most once per subject per day (a marker written in the same
//! transaction as the request for the e-mail), so a repeated, overlapping or late run sends
//! nothing new.

use super::consumers::{alert, alert_label, commit, once_a_day, reachable};
use super::notify::{self, Notification, Recipient};
use super::relay;
use super::{Ctx, Handled};
use crate::admissions::{Admission, AdmissionStatus};
use crate::appointments::{Appointment, AppointmentStatus};
use crate::beds::{self, Bed, BedStatus};
use crate::billing::{self, BillingEntry};
use crate::error::DomainResult;
use crate::exams::{self, Exam};
use crate::medications::Medication;
use crate::resource::record::rfc3339;
use crate::resource::{Record, Resource};
use crate::sectors::Sector;
use crate::store::{Index, Item, Key, Query, SkRange};
use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What a run did: counts and the subjects acted on, for the caller (the dev route, the CLI,
/// the logs).
pub type Report = Value;

/// Every item of a query, page by page (the query is bounded by its window or subject).
pub async fn all(ctx: &Ctx, query: Query) -> DomainResult<Vec<Item>> {
    ctx.deps.query_all(query).await
}

fn records<R: Resource>(items: Vec<Item>) -> Vec<Record<R>> {
    items
        .into_iter()
        .filter_map(|i| Record::<R>::from_item(i).ok())
        .collect()
}

fn tally(outcomes: &[(String, Handled)]) -> Value {
    let sent: Vec<&String> = outcomes
        .iter()
        .filter(|(_, h)| matches!(h, Handled::Done(_)))
        .map(|(s, _)| s)
        .collect();
    let already = outcomes
        .iter()
        .filter(|(_, h)| matches!(h, Handled::Duplicate))
        .count();
    let skipped: Vec<&String> = outcomes
        .iter()
        .filter(|(_, h)| matches!(h, Handled::Ignored(_)))
        .map(|(s, _)| s)
        .collect();
    json!({"acted_on": sent, "already_done": already, "skipped": skipped})
}

/// What a job reports for a subject whose recipients have no e-mail address: nothing is asked
/// for, so a later run sends once one is registered.
fn no_address() -> Handled {
    Handled::Ignored("no recipient with an e-mail address".into())
}

// ---------------------------------------------------------------- RF22 reminders

/// Appointments starting within `REMINDER_HOURS` that were not reminded for their current time:
/// a reminder e-mail to the patient. Reads the appointments of the window only.
pub async fn reminders(ctx: &Ctx) -> DomainResult<Report> {
    let now = ctx.deps.calendar.now();
    let until = now + Duration::hours(ctx.settings.reminder_hours);
    let window = Query::index(Index::Gsi1, Appointment::KIND)
        .sk(SkRange::Between(rfc3339(now), rfc3339(until)));
    let appointments = records::<Appointment>(all(ctx, window).await?);
    let mut outcomes = Vec::new();
    for a in appointments.iter().filter(|a| {
        matches!(
            a.data.status,
            AppointmentStatus::Booked | AppointmentStatus::CheckedIn
        )
    }) {
        let to = vec![Recipient::Patient(a.data.patient_id.clone())];
        if !reachable(ctx, &to).await? {
            outcomes.push((a.id.clone(), no_address()));
            continue;
        }
        let mut tx = ctx.deps.tx();
        // Once per appointment and start time: a moved appointment is reminded again.
        let mut marker = Item::new();
        marker.insert("pk".into(), format!("reminded#{}", a.id).into());
        marker.insert("sk".into(), rfc3339(a.data.starts_at).into());
        marker.insert(crate::resource::ENTITY.into(), "reminded".into());
        marker.insert(
            crate::store::TTL.into(),
            (tx.wall_secs() + 60 * 24 * 3600).into(),
        );
        tx.push(
            crate::store::Write::put_if(marker, crate::store::Condition::NotExists),
            crate::resource::Blame::Duplicate,
        );
        notify::request(
            &mut tx,
            Notification {
                template: "appointment_reminder".into(),
                to,
                data: json!({"appointment_id": a.id, "starts_at": rfc3339(a.data.starts_at)}),
                attachments: Vec::new(),
            },
        );
        let h = commit(ctx, tx, "reminder requested".into()).await?;
        outcomes.push((a.id.clone(), h));
    }
    let mut report = tally(&outcomes);
    report["window"] = json!({"from": rfc3339(now), "to": rfc3339(until)});
    report["appointments_in_window"] = json!(appointments.len());
    Ok(report)
}

// ---------------------------------------------------------------- AUTO01 free beds

/// Sectors whose free beds are below `BED_ALERT_PERCENT` of their beds: an e-mail to the
/// sector's alert address (once per sector per day). Reads the bed board.
pub async fn beds_low(ctx: &Ctx) -> DomainResult<Report> {
    let board = beds::board(&ctx.deps).await?;
    let mut by_sector: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for t in board {
        let e = by_sector.entry(t.sector_id).or_default();
        e.1 += t.count;
        if t.status == BedStatus::Available.as_str() {
            e.0 += t.count;
        }
    }
    let mut outcomes = Vec::new();
    let threshold = ctx.settings.bed_alert_percent;
    for (sector, (free, total)) in by_sector {
        if total <= 0 {
            continue;
        }
        let percent = free as f64 * 100.0 / total as f64;
        if percent >= threshold {
            continue;
        }
        let to = vec![Recipient::Sector(sector.clone())];
        if !reachable(ctx, &to).await? {
            outcomes.push((sector, no_address()));
            continue;
        }
        let mut tx = ctx.deps.tx();
        let (today, now) = (tx.today(), tx.now());
        once_a_day(&mut tx, "beds_low", &sector, today);
        notify::request(
            &mut tx,
            Notification {
                template: "beds_low".into(),
                to,
                data: json!({
                    "sector_id": sector, "free": free, "total": total,
                    "percent": notify::decimal(percent, 1),
                    "threshold": notify::figure(threshold), "at": rfc3339(now),
                }),
                attachments: Vec::new(),
            },
        );
        outcomes.push((sector, commit(ctx, tx, "alerted".into()).await?));
    }
    Ok(tally(&outcomes))
}

// ---------------------------------------------------------------- AUTO02 overdue bills

/// Pending entries `OVERDUE_DAYS` past due: one collection e-mail per insurer listing them, to
/// `BILLING_EMAILS` (once per insurer per day). Reads the pending entries due before the cutoff.
pub async fn billing_overdue(ctx: &Ctx) -> DomainResult<Report> {
    let today = ctx.deps.calendar.today();
    let cutoff = today - Duration::days(ctx.settings.overdue_days);
    let query = Query::index(Index::Gsi2, billing::PENDING)
        .sk(SkRange::Between("0".into(), cutoff.to_string()));
    let entries = records::<BillingEntry>(all(ctx, query).await?);
    let mut by_insurer: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.data.due_on < cutoff) {
        by_insurer
            .entry(e.data.insurer_id.clone())
            .or_default()
            .push(e.id.clone());
    }
    let mut outcomes = Vec::new();
    let billing_list = vec![Recipient::List("billing".into())];
    let can_mail = reachable(ctx, &billing_list).await?;
    for (insurer, ids) in by_insurer {
        let subject = insurer.clone().unwrap_or_else(|| "private".into());
        if !can_mail {
            outcomes.push((subject, no_address()));
            continue;
        }
        let mut tx = ctx.deps.tx();
        once_a_day(&mut tx, "billing_overdue", &subject, today);
        notify::request(
            &mut tx,
            Notification {
                template: "billing_overdue".into(),
                to: billing_list.clone(),
                data: json!({
                    "insurer_id": insurer, "entry_ids": ids,
                    "overdue_days": ctx.settings.overdue_days,
                }),
                attachments: Vec::new(),
            },
        );
        outcomes.push((
            subject,
            commit(ctx, tx, "collection requested".into()).await?,
        ));
    }
    let mut report = tally(&outcomes);
    report["overdue_entries"] = json!(entries.len());
    Ok(report)
}

// ---------------------------------------------------------------- AUTO03 overdue exams

/// Exams in progress for more than `EXAM_OVERDUE_HOURS`: an e-mail to the requesting doctor
/// (once per exam per day). Reads the exams in progress that started before the cutoff.
pub async fn exams_overdue(ctx: &Ctx) -> DomainResult<Report> {
    let hours = ctx.settings.exam_overdue_hours;
    let cutoff = ctx.deps.calendar.now() - Duration::hours(hours);
    let query = Query::index(Index::Gsi2, exams::IN_PROGRESS)
        .sk(SkRange::Between("0".into(), rfc3339(cutoff)));
    let late = records::<Exam>(all(ctx, query).await?);
    let mut outcomes = Vec::new();
    for exam in late
        .iter()
        .filter(|e| e.data.started_at.is_some_and(|s| s < cutoff))
    {
        let to = vec![Recipient::Doctor(exam.data.doctor_id.clone())];
        if !reachable(ctx, &to).await? {
            outcomes.push((exam.id.clone(), no_address()));
            continue;
        }
        let mut tx = ctx.deps.tx();
        let today = tx.today();
        once_a_day(&mut tx, "exam_overdue", &exam.id, today);
        notify::request(
            &mut tx,
            Notification {
                template: "exam_overdue".into(),
                to,
                data: json!({"exam_id": exam.id, "hours": hours}),
                attachments: Vec::new(),
            },
        );
        outcomes.push((
            exam.id.clone(),
            commit(ctx, tx, "doctor nudged".into()).await?,
        ));
    }
    Ok(tally(&outcomes))
}

// ---------------------------------------------------------------- AUTO04 long stays

/// Open admissions lasting longer than the median stay of finished admissions with the same
/// admitting diagnosis (at least 5; else of all) plus `LONG_STAY_EXTRA_DAYS`: a review for
/// the care team (one per admission, ever). Reads the open admissions, sector by sector, and
/// one histogram per diagnosis met.
pub async fn long_stays(ctx: &Ctx) -> DomainResult<Report> {
    use crate::reviews::{self, ALL, Histogram, MIN_PEERS, Review};
    let now = ctx.deps.calendar.now();
    let extra_hours = (ctx.settings.long_stay_extra_days * 24) as f64;
    let sectors = records::<Sector>(all(ctx, Query::index(Index::Gsi1, Sector::KIND)).await?);
    let everyone = Histogram::read(&ctx.deps, ALL).await?;
    let mut by_code: BTreeMap<String, Histogram> = BTreeMap::new();
    let repo = crate::resource::Repository::<Review>::new(ctx.deps.clone());
    let (mut open, mut flagged, mut known) = (0, Vec::new(), 0);
    for sector in &sectors {
        let admissions = records::<Admission>(
            all(
                ctx,
                Query::table(format!("admission#sector#{}", sector.id))
                    .sk(SkRange::BeginsWith("in_progress#".into())),
            )
            .await?,
        );
        for a in admissions {
            let Some(admitted) = a.data.admitted_at else {
                continue;
            };
            open += 1;
            let code = a.data.admitting_diagnosis.code.clone();
            if !by_code.contains_key(&code) {
                by_code.insert(code.clone(), Histogram::read(&ctx.deps, &code).await?);
            }
            let own = &by_code[&code];
            let (yardstick, compared_with) = if own.count() >= MIN_PEERS {
                (own, "diagnosis")
            } else {
                (&everyone, "all")
            };
            let Some(median) = yardstick.median_hours() else {
                continue;
            };
            let hours = (now - admitted).num_minutes() as f64 / 60.0;
            if hours <= median + extra_hours {
                continue;
            }
            let round2 = |h: f64| (h / 24.0 * 100.0).round() / 100.0;
            let review = reviews::flag(
                &a,
                now,
                round2(hours),
                round2(median),
                yardstick.count(),
                compared_with,
            )?;
            match repo.create(None, review).await {
                Ok(r) => flagged.push(json!({"review_id": r.id, "admission_id": a.id})),
                Err(crate::DomainError::Conflict { .. }) => known += 1,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(json!({
        "open_admissions": open,
        "flagged": flagged,
        "already_under_review": known,
        "extra_days": ctx.settings.long_stay_extra_days,
    }))
}

// ---------------------------------------------------------------- AUTO05 stock sweep

/// Medications below their minimum: an e-mail to `PHARMACY_EMAILS` (once per medication per
/// day; the `StockBelowMinimum` event sends it as it happens). Reads the below-minimum index.
pub async fn stock_sweep(ctx: &Ctx) -> DomainResult<Report> {
    let query = Query::index(Index::Gsi2, "medication#below_minimum");
    let low = records::<Medication>(all(ctx, query).await?);
    let mut outcomes = Vec::new();
    let pharmacy = vec![Recipient::List("pharmacy".into())];
    let can_mail = reachable(ctx, &pharmacy).await?;
    for m in &low {
        if !can_mail {
            outcomes.push((m.id.clone(), no_address()));
            continue;
        }
        let mut tx = ctx.deps.tx();
        let today = tx.today();
        once_a_day(&mut tx, "stock_low", &m.id, today);
        notify::request(
            &mut tx,
            Notification {
                template: "stock_low".into(),
                to: pharmacy.clone(),
                data: json!({"medication_id": m.id}),
                attachments: Vec::new(),
            },
        );
        outcomes.push((m.id.clone(), commit(ctx, tx, "pharmacy told".into()).await?));
    }
    Ok(tally(&outcomes))
}

// ---------------------------------------------------------------- RF26 digest

/// Alerts one digest e-mail lists at most (its transaction also marks each one mailed).
const DIGEST_MAX: usize = 90;

/// Every operational alert not yet mailed, in e-mails of at most [`DIGEST_MAX`] to
/// `ONCALL_EMAILS`, times in the hospital's time zone. Each e-mail is requested in the
/// transaction that marks its alerts mailed, conditional on their still being unmailed, so an
/// alert is in exactly one digest however runs overlap; with no on-call address the alerts
/// stay unmailed for a later run.
pub async fn alert_digest(ctx: &Ctx) -> DomainResult<Report> {
    let items = all(ctx, Query::index(Index::Gsi2, super::consumers::UNMAILED)).await?;
    if items.is_empty() {
        return Ok(json!({"alerts": 0, "mailed": 0}));
    }
    let oncall = vec![Recipient::List("oncall".into())];
    if !reachable(ctx, &oncall).await? {
        return Ok(json!({
            "alerts": items.len(), "mailed": 0,
            "skipped": "no address: ONCALL_EMAILS is empty",
        }));
    }
    let tz = ctx.deps.calendar.tz();
    let local = |i: &Item| {
        i.get("at")
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| notify::when(t.with_timezone(&chrono::Utc), tz))
    };
    let (mut mailed, mut raced, mut emails) = (0, 0, 0);
    for batch in items.chunks(DIGEST_MAX) {
        let alerts: Vec<Value> = batch
            .iter()
            .map(|i| {
                let kind = i.get("kind").and_then(Value::as_str).unwrap_or_default();
                json!({"at": local(i), "kind": alert_label(kind), "message": i.get("message")})
            })
            .collect();
        let mut tx = ctx.deps.tx();
        let now = rfc3339(tx.now());
        for i in batch {
            let Some(key) = Key::of(i) else { continue };
            tx.push(
                crate::store::Write::update_if(
                    key,
                    crate::store::Update::new()
                        .set("state", "mailed")
                        .set("mailed_at", now.clone())
                        .remove("gsi2pk")
                        .remove("gsi2sk"),
                    crate::store::Condition::equals("state", "unmailed"),
                ),
                crate::resource::Blame::Duplicate,
            );
        }
        notify::request(
            &mut tx,
            Notification {
                template: "oncall_alert".into(),
                to: oncall.clone(),
                data: json!({
                    "alerts": alerts, "count": alerts.len(),
                    "from": batch.first().and_then(local),
                    "to": batch.last().and_then(local),
                }),
                attachments: Vec::new(),
            },
        );
        match commit(ctx, tx, "digest requested".into()).await? {
            Handled::Done(_) => {
                mailed += batch.len();
                emails += 1;
            }
            // Another run mailed some of them meanwhile: the next run takes what is left.
            _ => raced += batch.len(),
        }
    }
    Ok(
        json!({"alerts": items.len(), "mailed": mailed, "emails": emails, "left_to_another_run": raced}),
    )
}

// ---------------------------------------------------------------- RF26 consistency scan

/// Checks what must agree and says what does not (each violation an operational alert, once a
/// day): an occupied bed without an open admission or the reverse, a bed-board count that
/// disagrees with the beds, an open admission whose patient has another, a stock that disagrees
/// with its movements. Reads the beds and the open admissions, sector by sector, and each
/// medication's movements since the last run.
pub async fn consistency_scan(ctx: &Ctx) -> DomainResult<Report> {
    let mut violations: Vec<(String, String, String)> = Vec::new();
    let sectors = records::<Sector>(all(ctx, Query::index(Index::Gsi1, Sector::KIND)).await?);
    let board = beds::board(&ctx.deps).await?;
    let mut open_by_patient: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut open_by_bed: BTreeMap<String, String> = BTreeMap::new();
    for sector in &sectors {
        let beds_of = records::<Bed>(
            all(
                ctx,
                Query::index(Index::Gsi2, format!("bed#sector#{}", sector.id)),
            )
            .await?,
        );
        let open = records::<Admission>(
            all(
                ctx,
                Query::table(format!("admission#sector#{}", sector.id))
                    .sk(SkRange::BeginsWith("in_progress#".into())),
            )
            .await?,
        );
        for a in open
            .iter()
            .filter(|a| a.data.status == AdmissionStatus::InProgress)
        {
            open_by_patient
                .entry(a.data.patient_id.clone())
                .or_default()
                .push(a.id.clone());
            open_by_bed.insert(a.data.bed_id.clone(), a.id.clone());
        }
        // The board against the beds.
        let mut counted: BTreeMap<&str, i64> = BTreeMap::new();
        for b in &beds_of {
            *counted.entry(b.data.status.as_str()).or_default() += 1;
        }
        for t in board.iter().filter(|t| t.sector_id == sector.id) {
            let real = counted.get(t.status.as_str()).copied().unwrap_or(0);
            if real != t.count {
                violations.push((
                    "bed_board".into(),
                    format!("{}#{}", sector.id, t.status),
                    format!(
                        "setor {} ({}): o quadro de leitos conta {} com status {}, os leitos dizem {real}",
                        sector.data.name,
                        sector.id,
                        notify::count(t.count, "leito"),
                        t.status
                    ),
                ));
            }
        }
        for b in &beds_of {
            let held = open_by_bed.contains_key(&b.id);
            if b.data.status == BedStatus::Occupied && !held {
                violations.push((
                    "bed_without_admission".into(),
                    b.id.clone(),
                    format!(
                        "leito {} ({}) do setor {} está ocupado, mas nenhuma internação aberta o ocupa",
                        b.data.code, b.id, sector.data.name
                    ),
                ));
            }
        }
    }
    for (bed_id, admission_id) in &open_by_bed {
        let bed = crate::resource::Repository::<Bed>::new(ctx.deps.clone())
            .get(None, bed_id)
            .await
            .ok();
        if bed.is_none_or(|b| b.data.status != BedStatus::Occupied) {
            violations.push((
                "admission_without_bed".into(),
                admission_id.clone(),
                format!(
                    "internação {admission_id} está aberta, mas seu leito {bed_id} não está ocupado"
                ),
            ));
        }
    }
    for (patient, open) in open_by_patient.iter().filter(|(_, v)| v.len() > 1) {
        violations.push((
            "patient_two_admissions".into(),
            patient.clone(),
            format!(
                "paciente {patient} tem {} abertas: {}",
                notify::count(open.len() as i64, "internação"),
                open.join(", ")
            ),
        ));
    }
    violations.extend(stock_mismatches(ctx).await?);
    let mut raised = 0;
    for (kind, subject, message) in &violations {
        let mut tx = ctx.deps.tx();
        let today = tx.today();
        once_a_day(&mut tx, kind, subject, today);
        alert(&mut tx, kind, subject, message);
        if matches!(commit(ctx, tx, String::new()).await?, Handled::Done(_)) {
            raised += 1;
        }
    }
    Ok(json!({
        "sectors": sectors.len(),
        "violations": violations.iter().map(|(_, _, m)| m).collect::<Vec<_>>(),
        "alerts_raised": raised,
    }))
}

// ---------------------------------------------------------------- RF25 daily report

/// Where a daily report's files are kept: `reports/daily/<date>/<filename>`.
pub fn report_key(date: NaiveDate, filename: &str) -> String {
    format!("reports/daily/{date}/{filename}")
}

/// The previous day's report (RF25), at 07:00.
pub async fn daily_report(ctx: &Ctx) -> DomainResult<Report> {
    let yesterday = ctx.deps.calendar.today() - Duration::days(1);
    daily_report_on(ctx, yesterday).await
}

/// The report of `date`: gathered from the indicators, drawn as PDF, XLSX and CSVs, kept in
/// the reports store (a new run for the day replaces them) and e-mailed to
/// `MANAGEMENT_EMAILS` with the files attached — once per day reported.
pub async fn daily_report_on(ctx: &Ctx, date: NaiveDate) -> DomainResult<Report> {
    if date > ctx.deps.calendar.today() {
        return Err(crate::DomainError::invalid(
            "date",
            "must not be in the future",
        ));
    }
    let report = crate::analytics::report::gather(&ctx.deps, &ctx.settings, date).await?;
    let files = ctx
        .render
        .render(&report)
        .map_err(|e| crate::DomainError::invalid("report", format!("not drawn: {e}")))?;
    let mut attachments = Vec::new();
    for f in files {
        let key = report_key(date, &f.filename);
        ctx.reports.put(&key, &f.content_type, f.bytes).await?;
        attachments.push(notify::FileRef {
            key,
            filename: f.filename,
            content_type: f.content_type,
        });
    }
    let mut tx = ctx.deps.tx();
    tx.handled("daily-report", &date.to_string());
    notify::request(
        &mut tx,
        Notification {
            template: "daily_report".into(),
            to: vec![Recipient::List("management".into())],
            data: json!({
                "date": notify::day(date),
                "summary": crate::analytics::report::summary(&report),
            }),
            attachments: attachments.clone(),
        },
    );
    let h = commit(ctx, tx, "report e-mailed".into()).await?;
    Ok(json!({
        "date": date.to_string(),
        "files": attachments.iter().map(|a| &a.key).collect::<Vec<_>>(),
        "e-mail": match h {
            Handled::Duplicate => "already sent for this day (files drawn anew)".to_string(),
            _ if ctx.settings.management_emails.is_empty() => {
                "none: MANAGEMENT_EMAILS is empty (the files are kept)".to_string()
            }
            other => other.describe(),
        },
        "alerts": report.alerts.len(),
    }))
}

/// Medications whose stock disagrees with their movements. Each check goes on from a
/// checkpoint (`stock-check` in the medication's partition: the last movement counted and the
/// stock it gave), so a run reads the movements since the last one, not the whole history; a
/// medication moved while being read is left for the next run.
async fn stock_mismatches(ctx: &Ctx) -> DomainResult<Vec<(String, String, String)>> {
    use crate::medications::{MovementKind, StockMovement};
    let mut found = Vec::new();
    let medications =
        records::<Medication>(all(ctx, Query::index(Index::Gsi1, Medication::KIND)).await?);
    let repo = crate::resource::Repository::<Medication>::new(ctx.deps.clone());
    for m in medications {
        let partition = format!("medication#{}", m.id);
        let checkpoint_key = Key::new(partition.clone(), "stock-check");
        let checkpoint = ctx.deps.store.get(&checkpoint_key).await?;
        let (after, mut stock) = match &checkpoint {
            Some(c) => (
                c.get("movement")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                c.get("stock").and_then(Value::as_i64).unwrap_or(0),
            ),
            None => ("stock_movement#".to_string(), 0),
        };
        let query = Query::table(partition.clone()).sk(SkRange::Between(
            after.clone(),
            "stock_movement#\u{10FFFF}".into(),
        ));
        let mut last = after.clone();
        for item in all(ctx, query).await? {
            let sk = item
                .get("sk")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if sk == after {
                continue;
            }
            let Ok(movement) = crate::resource::Record::<StockMovement>::from_item(item) else {
                continue;
            };
            let q = movement.data.quantity;
            stock += match movement.data.kind {
                MovementKind::Received | MovementKind::Adjusted => q,
                MovementKind::Dispensed | MovementKind::Expired => -q,
            };
            last = sk;
        }
        // A movement committed while this ran moves the version: check again next run.
        let now = repo.get(None, &m.id).await?;
        if now.version != m.version {
            continue;
        }
        if stock != m.data.stock_quantity {
            found.push((
                "stock_mismatch".to_string(),
                m.id.clone(),
                format!(
                    "medicamento {} ({}): estoque {}, mas suas movimentações somam {stock}",
                    m.data.name, m.id, m.data.stock_quantity
                ),
            ));
            continue;
        }
        if last != after {
            let mut c = Item::new();
            c.insert("pk".into(), partition.into());
            c.insert("sk".into(), "stock-check".into());
            c.insert(crate::resource::ENTITY.into(), "stock_check".into());
            c.insert("movement".into(), last.into());
            c.insert("stock".into(), stock.into());
            ctx.deps
                .store
                .transact(vec![crate::store::Write::put(c)])
                .await?;
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------- the outbox sweep

/// Publishes outbox records left pending for two minutes or more (a relay that died, a bus
/// that refused).
pub async fn outbox_sweep(ctx: &Ctx) -> DomainResult<Report> {
    let run = relay::sweep(&ctx.deps, ctx.bus.as_ref(), Duration::minutes(2), 1000).await?;
    Ok(json!({"published": run.published.len(), "failed": run.failed.len()}))
}

/// Records an item's key as a JSON string (for reports).
pub fn key_text(k: &Key) -> String {
    format!("{}/{}", k.pk, k.sk)
}
