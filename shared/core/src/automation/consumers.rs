//! What reacts to events. Each consumer records the event ids it handled in the same
//! transaction as its effect ([`Tx::handled`]), so the same event delivered three times has one
//! effect.

use super::notify::{self, Email, FileRef, MailError, Notification, Recipient};
use super::{Ctx, Handled, detail_str};
use crate::admissions::Admission;
use crate::appointments::Appointment;
use crate::beds::{Bed, BedKind};
use crate::billing::{BillingEntry, BillingOrigin, Currency};
use crate::doctors::Doctor;
use crate::error::{DomainError, DomainResult};
use crate::events::DomainEvent;
use crate::exams::Exam;
use crate::insurers::Insurer;
use crate::medications::Medication;
use crate::patients::Patient;
use crate::resource::{Blame, Record, Repository, Resource, Tx, TxError};
use crate::sectors::Sector;
use crate::specialties::Specialty;
use crate::store::{Condition, Item, Key, Write};
use crate::{ids, tariffs};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

/// Commits `tx`; a repeated delivery (the consumer's record exists) is [`Handled::Duplicate`].
pub async fn commit(ctx: &Ctx, tx: Tx, done: String) -> DomainResult<Handled> {
    match tx.commit(ctx.deps.store.as_ref()).await {
        Ok(()) => Ok(Handled::Done(done)),
        Err(TxError::Failed(Blame::Duplicate)) => Ok(Handled::Duplicate),
        Err(TxError::Failed(b)) => Err(b.error().unwrap_or_else(|| DomainError::Conflict {
            field: None,
            message: "changed meanwhile; deliver again".into(),
        })),
        Err(TxError::Unexplained) => Err(DomainError::Conflict {
            field: None,
            message: "changed meanwhile; deliver again".into(),
        }),
        Err(TxError::Store(e)) => Err(e.into()),
    }
}

async fn get<R: Resource>(ctx: &Ctx, id: &str) -> DomainResult<Option<Record<R>>> {
    match Repository::<R>::new(ctx.deps.clone()).get(None, id).await {
        Ok(r) => Ok(Some(r)),
        Err(DomainError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// An operational alert (RF26): a structured log line and an `OperationalAlert` event, in `tx`.
/// `message` is for on-call, in pt-BR, with ids and facts but no personal data (it travels in an
/// event).
pub fn alert(tx: &mut Tx, kind: &str, subject: &str, message: &str) {
    tracing::warn!(alert = kind, subject, message, "operational alert");
    tx.event(DomainEvent::new(
        "hospital.operations",
        "OperationalAlert",
        tx.now(),
        json!({"kind": kind, "subject": subject, "message": message}),
    ));
}

/// What on-call reads for an alert's kind.
pub fn alert_label(kind: &str) -> &str {
    match kind {
        "missing_tariff" => "Tarifa ausente",
        "server_error" => "Erro no servidor",
        "job_failed" => "Tarefa falhou",
        "bed_board" => "Quadro de leitos",
        "bed_without_admission" => "Leito sem internação",
        "admission_without_bed" => "Internação sem leito",
        "patient_two_admissions" => "Paciente com duas internações",
        "stock_mismatch" => "Estoque divergente",
        other => other,
    }
}

/// A bed kind as the hospital says it.
pub fn bed_kind_label(kind: BedKind) -> &'static str {
    match kind {
        BedKind::Ward => "leito de enfermaria",
        BedKind::PrivateRoom => "leito de apartamento",
        BedKind::AdultIcu => "leito de UTI adulto",
        BedKind::PediatricIcu => "leito de UTI pediátrica",
        BedKind::NeonatalIcu => "leito de UTI neonatal",
    }
}

// ---------------------------------------------------------------- RF24 billing on discharge

/// Census days of a stay `[from, to)`: the days whose midnight (hospital time) falls inside.
fn census_days(from: DateTime<Utc>, to: DateTime<Utc>, tz: chrono_tz::Tz) -> i64 {
    let first = from.with_timezone(&tz).date_naive();
    let last = to.with_timezone(&tz).date_naive();
    (last - first).num_days().max(0)
}

/// `PatientDischarged` → the stay's billing entry: each bed's tariff × its census days (at least
/// one day in all), to the patient's insurer (or private pay), due after the insurer's payment
/// terms (30 days for private pay). A missing tariff bills nothing (a guessed price would be
/// wrong money): `BILLING_EMAILS` get an e-mail naming the patient, the sectors and the dates,
/// to bill it by hand, and on-call an operational alert — both in the transaction that marks
/// the event handled, so a redelivered event sends neither again.
pub async fn bill_discharge(ctx: &Ctx, event: &DomainEvent) -> DomainResult<Handled> {
    let Some(admission_id) = detail_str(event, "admission_id") else {
        return Ok(Handled::Ignored("no admission_id".into()));
    };
    let Some(admission) = get::<Admission>(ctx, admission_id).await? else {
        return Ok(Handled::Ignored(format!(
            "admission {admission_id} not found"
        )));
    };
    let patient = get::<Patient>(ctx, &admission.data.patient_id).await?;
    let insurer_id = patient.as_ref().and_then(|p| p.data.insurer_id.clone());
    let insurer = match &insurer_id {
        Some(i) => get::<Insurer>(ctx, i).await?,
        None => None,
    };
    let tz = ctx.deps.calendar.tz();
    let mut tx = ctx.deps.tx();
    tx.handled("bill-discharge", &event.event_id);
    let stays = &admission.data.stays;
    let mut lines = Vec::new();
    let mut missing = Vec::new();
    let total_days: i64 = stays
        .iter()
        .map(|s| census_days(s.from, s.to.unwrap_or(s.from), tz))
        .sum();
    for (i, stay) in stays.iter().enumerate() {
        let mut days = census_days(stay.from, stay.to.unwrap_or(stay.from), tz);
        // A stay shorter than a census still bills one day, on its last bed.
        if total_days == 0 && i + 1 == stays.len() {
            days = 1;
        }
        if days == 0 {
            continue;
        }
        let kind = get::<Bed>(ctx, &stay.bed_id)
            .await?
            .map(|b| b.data.kind)
            .unwrap_or(BedKind::Ward);
        match tariffs::daily_rate(&ctx.deps, &stay.sector_id, kind, insurer_id.as_deref()).await? {
            Some((rate, _)) => lines.push((days, rate)),
            None => {
                let m = json!({"sector_id": stay.sector_id, "bed_kind": kind});
                if !missing.contains(&m) {
                    missing.push(m);
                }
            }
        }
    }
    if !missing.is_empty() {
        let mut names = Vec::new();
        for m in &missing {
            let sector = m["sector_id"].as_str().unwrap_or_default();
            let kind: BedKind =
                serde_json::from_value(m["bed_kind"].clone()).unwrap_or(BedKind::Ward);
            let name = get::<Sector>(ctx, sector)
                .await?
                .map_or_else(|| sector.to_string(), |s| s.data.name);
            names.push(format!("{} no setor {name}", bed_kind_label(kind)));
        }
        alert(
            &mut tx,
            "missing_tariff",
            admission_id,
            &format!(
                "internação {admission_id} sem faturamento: não há tarifa para {}; o faturamento foi avisado por e-mail",
                names.join(" e ")
            ),
        );
        notify::request(
            &mut tx,
            Notification {
                template: "tariff_missing".into(),
                to: vec![Recipient::List("billing".into())],
                data: json!({"admission_id": admission_id, "missing": missing}),
                attachments: Vec::new(),
            },
        );
        return commit(ctx, tx, "billing told: missing tariff".into()).await;
    }
    let days: i64 = lines.iter().map(|(d, _)| d).sum();
    let amount: i64 = lines.iter().map(|(d, r)| d * r).sum();
    let discharged = admission
        .data
        .discharge
        .as_ref()
        .map(|d| d.discharged_at.with_timezone(&tz).date_naive())
        .unwrap_or_else(|| ctx.deps.calendar.today());
    let issued = ctx.deps.calendar.today().max(discharged);
    let terms = insurer
        .as_ref()
        .map(|i| i64::from(i.data.payment_terms_days))
        .unwrap_or(30);
    let entry = BillingEntry {
        patient_id: admission.data.patient_id.clone(),
        insurer_id: insurer.as_ref().map(|i| i.id.clone()),
        admission_id: Some(admission.id.clone()),
        appointment_id: None,
        description: format!(
            "Internação: {days} diária(s), alta em {}",
            notify::day(discharged)
        ),
        amount_cents: amount,
        currency: Currency::BRL,
        issued_on: Some(issued),
        due_on: issued + Duration::days(terms),
        status: Default::default(),
        paid_on: None,
        cancel_reason: None,
        origin: BillingOrigin::Discharge,
    };
    let record = Record::new(ids::new_id(), None, tx.now(), entry);
    tx.create(&record);
    match commit(ctx, tx, format!("billing entry {}", record.id)).await {
        // The stay was billed by an earlier delivery that recorded nothing else: the unique
        // marker on the admission says so.
        Err(DomainError::Conflict { field: Some(f), .. }) if f == "admission_id" => {
            Ok(Handled::Duplicate)
        }
        other => other,
    }
}

// ---------------------------------------------------------------- RF23 bed released

/// `BedReleased` → an e-mail to the sector's `alert_email` saying which bed is free.
pub async fn announce_bed(ctx: &Ctx, event: &DomainEvent) -> DomainResult<Handled> {
    let (Some(bed_id), Some(sector_id)) =
        (detail_str(event, "bed_id"), detail_str(event, "sector_id"))
    else {
        return Ok(Handled::Ignored("no bed_id or sector_id".into()));
    };
    let mut tx = ctx.deps.tx();
    tx.handled("announce-bed", &event.event_id);
    notify::request(
        &mut tx,
        Notification {
            template: "bed_released".into(),
            to: vec![Recipient::Sector(sector_id.to_string())],
            data: json!({
                "bed_id": bed_id,
                "sector_id": sector_id,
                "released_at": crate::resource::record::rfc3339(event.occurred_at),
            }),
            attachments: Vec::new(),
        },
    );
    commit(ctx, tx, format!("e-mail requested for bed {bed_id}")).await
}

// ---------------------------------------------------------------- AUTO05 on the event

/// Once per subject per day: the marker of an alert already sent today (`Blame::Duplicate`
/// when it exists), in the transaction that sends it.
pub fn once_a_day(tx: &mut Tx, alert: &str, subject: &str, day: NaiveDate) {
    let mut item = Item::new();
    item.insert("pk".into(), format!("alerted#{alert}#{day}").into());
    item.insert("sk".into(), subject.into());
    item.insert(crate::resource::ENTITY.into(), "alerted".into());
    item.insert(
        crate::store::TTL.into(),
        (tx.wall_secs() + 40 * 24 * 3600).into(),
    );
    tx.push(Write::put_if(item, Condition::NotExists), Blame::Duplicate);
}

/// `StockBelowMinimum` → an e-mail to the pharmacy (once per medication per day).
pub async fn stock_low(ctx: &Ctx, event: &DomainEvent) -> DomainResult<Handled> {
    let Some(medication_id) = detail_str(event, "medication_id") else {
        return Ok(Handled::Ignored("no medication_id".into()));
    };
    let mut tx = ctx.deps.tx();
    let today = tx.today();
    once_a_day(&mut tx, "stock_low", medication_id, today);
    notify::request(
        &mut tx,
        Notification {
            template: "stock_low".into(),
            to: vec![Recipient::List("pharmacy".into())],
            data: json!({"medication_id": medication_id}),
            attachments: Vec::new(),
        },
    );
    tracing::info!(medication_id, "stock below minimum");
    commit(ctx, tx, format!("pharmacy told about {medication_id}")).await
}

// ---------------------------------------------------------------- RF26 alerts

/// Where kept alerts are listed, newest first (`GET /v1/automation/alerts`).
pub const ALERTS: &str = "automation#alert";
/// Alerts not yet in an on-call digest, oldest first.
pub const UNMAILED: &str = "ops-alert#unmailed";
/// Where the notifier's outcomes are listed, newest first (`GET /v1/automation/emails`).
pub const EMAILS: &str = "automation#email";
/// How long the automation's records (alerts, e-mails, job runs) are kept.
pub const LOG_KEEP_SECS: i64 = 30 * 24 * 3600;

/// `OperationalAlert` → kept, listed, and marked for the on-call digest, which mails every
/// alert not yet mailed.
pub async fn keep_alert(ctx: &Ctx, event: &DomainEvent) -> DomainResult<Handled> {
    let at = crate::resource::record::rfc3339(event.occurred_at);
    let order = format!("{at} {}", event.event_id);
    let mut item = Item::new();
    item.insert("pk".into(), format!("ops-alert#{}", event.event_id).into());
    item.insert("sk".into(), "ops-alert".into());
    item.insert(crate::resource::ENTITY.into(), "ops_alert".into());
    item.insert("id".into(), event.event_id.clone().into());
    item.insert("at".into(), at.into());
    for f in ["kind", "subject", "message"] {
        item.insert(
            f.into(),
            event.detail.get(f).cloned().unwrap_or(Value::Null),
        );
    }
    item.insert("state".into(), "unmailed".into());
    item.insert("gsi1pk".into(), ALERTS.into());
    item.insert("gsi1sk".into(), order.clone().into());
    item.insert("gsi2pk".into(), UNMAILED.into());
    item.insert("gsi2sk".into(), order.into());
    let mut tx = ctx.deps.tx();
    item.insert(
        crate::store::TTL.into(),
        (tx.wall_secs() + LOG_KEEP_SECS).into(),
    );
    tx.handled("keep-alert", &event.event_id);
    tx.push(Write::put_if(item, Condition::NotExists), Blame::Duplicate);
    commit(ctx, tx, "kept for the on-call digest".into()).await
}

// ---------------------------------------------------------------- the notifier

/// How long one notifier holds a notification while it sends it; another delivery waits.
const SENDING_LEASE_SECS: i64 = 120;

/// `NotificationRequested` → the e-mail, sent once: a claim on the notification before sending
/// (a concurrent delivery backs off), a record that it was sent after.
pub async fn send_notification(ctx: &Ctx, event: &DomainEvent) -> DomainResult<Handled> {
    let notification = Notification::of(event)?;
    let store = ctx.deps.store.as_ref();
    let key = Key::new(format!("notification#{}", event.event_id), "notification");
    let wall = ctx.deps.calendar.wall_secs();
    if let Some(done) = store.get(&key).await?
        && done.get("state").and_then(Value::as_str) == Some("sent")
    {
        return Ok(Handled::Duplicate);
    }
    let mut claim = Item::new();
    claim.insert("pk".into(), key.pk.clone().into());
    claim.insert("sk".into(), key.sk.clone().into());
    claim.insert(crate::resource::ENTITY.into(), "notification".into());
    claim.insert("state".into(), "sending".into());
    claim.insert(crate::store::TTL.into(), (wall + SENDING_LEASE_SECS).into());
    match store
        .transact(vec![Write::put_if(claim, Condition::NotExists)])
        .await
    {
        Ok(()) => {}
        Err(crate::store::StoreError::ConditionFailed { .. }) => return Ok(Handled::Duplicate),
        Err(e) => return Err(e.into()),
    }
    let mut to = Vec::new();
    let result = deliver(ctx, &notification, &mut to).await;
    // What the log says (`GET /v1/automation/emails`): sent, skipped (no address) or rejected
    // (not sendable: a bad address, a template that failed); a transient failure is retried.
    let (status, outcome, error) = match &result {
        Ok(Some(id)) => ("sent", format!("sent ({id})"), None),
        Ok(None) => (
            "skipped",
            "no recipient with an address; skipped".to_string(),
            Some("nenhum destinatário com e-mail cadastrado".to_string()),
        ),
        Err(e @ DomainError::Validation(_)) => (
            "rejected",
            "not sendable; dropped".to_string(),
            Some(e.to_string()),
        ),
        Err(_) => ("failed", String::new(), None),
    };
    if status == "failed" {
        // Free the claim so that the retry sends.
        let _ = store.transact(vec![Write::delete(key)]).await;
        return result.map(|_| Handled::Ignored(String::new()));
    }
    let at = crate::resource::record::rfc3339(ctx.deps.calendar.now());
    let mut done = Item::new();
    done.insert("pk".into(), key.pk.into());
    done.insert("sk".into(), key.sk.into());
    done.insert(crate::resource::ENTITY.into(), "notification".into());
    done.insert("state".into(), "sent".into());
    done.insert("id".into(), event.event_id.clone().into());
    done.insert("status".into(), status.into());
    done.insert("template".into(), notification.template.clone().into());
    done.insert("to".into(), json!(to));
    done.insert("recipients".into(), json!(notification.to));
    done.insert("at".into(), at.clone().into());
    if let Ok(Some(id)) = &result {
        done.insert("message_id".into(), id.clone().into());
    }
    if let Some(e) = error {
        done.insert("error".into(), e.into());
    }
    done.insert("gsi1pk".into(), EMAILS.into());
    done.insert("gsi1sk".into(), format!("{at} {}", event.event_id).into());
    done.insert(crate::store::TTL.into(), (wall + LOG_KEEP_SECS).into());
    store.transact(vec![Write::put(done)]).await?;
    match result {
        Err(e) => {
            tracing::error!(template = %notification.template, error = %e, "notification not sendable");
            Ok(Handled::Ignored(outcome))
        }
        Ok(None) => Ok(Handled::Ignored(outcome)),
        Ok(Some(_)) => Ok(Handled::Done(outcome)),
    }
}

/// Whether any of `recipients` has an address: a job asks for no e-mail nobody would get, and
/// reports it as skipped.
pub async fn reachable(ctx: &Ctx, recipients: &[Recipient]) -> DomainResult<bool> {
    for r in recipients {
        if !address_of(ctx, r).await?.is_empty() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Resolves, renders and sends; `Ok(None)` when no recipient has an address. The addresses
/// it resolved are left in `to`.
async fn deliver(
    ctx: &Ctx,
    n: &Notification,
    resolved: &mut Vec<String>,
) -> DomainResult<Option<String>> {
    let mut to = Vec::new();
    for r in &n.to {
        match address_of(ctx, r).await? {
            list if list.is_empty() => {
                // Logged without personal data: the kind of recipient and its id only.
                tracing::warn!(template = %n.template, recipient = ?r, "recipient without an e-mail address; skipped");
            }
            list => to.extend(list),
        }
    }
    to.dedup();
    resolved.clone_from(&to);
    if to.is_empty() {
        return Ok(None);
    }
    let context = context_of(ctx, &n.template, &n.data).await?;
    let (subject, text, html) = notify::render(&n.template, &context, &ctx.settings)?;
    let mut attachments = Vec::new();
    for FileRef {
        key,
        filename,
        content_type,
    } in &n.attachments
    {
        match ctx.reports.get(key).await? {
            Some(bytes) => attachments.push(notify::Attachment {
                filename: filename.clone(),
                content_type: content_type.clone(),
                bytes,
            }),
            None => tracing::warn!(key, "attachment missing; sent without it"),
        }
    }
    let email = Email {
        to,
        subject,
        text,
        html,
        attachments,
    };
    match ctx.mailer.send(&email).await {
        Ok(id) => Ok(Some(id)),
        Err(MailError::Permanent(m)) => Err(DomainError::invalid("to", m)),
        Err(MailError::Transient(m)) => {
            Err(DomainError::Store(crate::store::StoreError::Unavailable(m)))
        }
    }
}

async fn address_of(ctx: &Ctx, r: &Recipient) -> DomainResult<Vec<String>> {
    let one = |a: Option<String>| a.into_iter().filter(|a| !a.is_empty()).collect::<Vec<_>>();
    Ok(match r {
        Recipient::Patient(id) => one(get::<Patient>(ctx, id).await?.and_then(|p| p.data.email)),
        Recipient::Doctor(id) => one(get::<Doctor>(ctx, id).await?.map(|d| d.data.email)),
        Recipient::Sector(id) => one(get::<Sector>(ctx, id)
            .await?
            .and_then(|s| s.data.alert_email)),
        Recipient::List(name) => match name.as_str() {
            "billing" => ctx.settings.billing_emails.clone(),
            "pharmacy" => ctx.settings.pharmacy_emails.clone(),
            "oncall" => ctx.settings.oncall_emails.clone(),
            "management" => ctx.settings.management_emails.clone(),
            _ => Vec::new(),
        },
    })
}

/// The facts a template shows, read from the ids the notification names.
async fn context_of(ctx: &Ctx, template: &str, data: &Value) -> DomainResult<Value> {
    let tz = ctx.deps.calendar.tz();
    let s = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or_default();
    let instant = |k: &str| {
        DateTime::parse_from_rfc3339(s(k))
            .map(|t| notify::when(t.with_timezone(&Utc), tz))
            .unwrap_or_default()
    };
    Ok(match template {
        "appointment_reminder" => {
            let Some(a) = get::<Appointment>(ctx, s("appointment_id")).await? else {
                return Err(DomainError::invalid("appointment_id", "appointment gone"));
            };
            let patient = get::<Patient>(ctx, &a.data.patient_id).await?;
            let doctor = get::<Doctor>(ctx, &a.data.doctor_id).await?;
            let specialty = get::<Specialty>(ctx, &a.data.specialty_id).await?;
            let local = a.data.starts_at.with_timezone(&tz);
            json!({
                "patient_name": patient.map(|p| p.data.full_name),
                "doctor_name": doctor.map(|d| d.data.full_name),
                "specialty_name": specialty.map(|s| s.data.name),
                "date": local.format("%d/%m/%Y").to_string(),
                "time": local.format("%H:%M").to_string(),
            })
        }
        "bed_released" => {
            let bed = get::<Bed>(ctx, s("bed_id")).await?;
            let sector = get::<Sector>(ctx, s("sector_id")).await?;
            json!({
                "bed_code": bed.map(|b| b.data.code),
                "sector_name": sector.map(|s| s.data.name),
                "released_at": instant("released_at"),
            })
        }
        "beds_low" => {
            let sector = get::<Sector>(ctx, s("sector_id")).await?;
            let mut c = data.clone();
            c["sector_name"] = json!(sector.map(|s| s.data.name));
            c["at"] = json!(instant("at"));
            c
        }
        "billing_overdue" => {
            let insurer = match data.get("insurer_id").and_then(Value::as_str) {
                Some(i) => get::<Insurer>(ctx, i).await?.map(|i| i.data.name),
                None => None,
            };
            let today = ctx.deps.calendar.today();
            let mut entries = Vec::new();
            let mut total = 0;
            for id in data["entry_ids"].as_array().into_iter().flatten() {
                if let Some(e) = get::<BillingEntry>(ctx, id.as_str().unwrap_or_default()).await? {
                    total += e.data.amount_cents;
                    entries.push(json!({
                        "id": e.id,
                        "description": e.data.description,
                        "amount": notify::money(e.data.amount_cents),
                        "issued_on": e.data.issued_on.map(notify::day),
                        "due_on": notify::day(e.data.due_on),
                        "days_overdue": (today - e.data.due_on).num_days(),
                    }));
                }
            }
            json!({
                "insurer_name": insurer.unwrap_or_else(|| "Particular".into()),
                "entries": entries,
                "count": entries.len(),
                "total": notify::money(total),
                "overdue_days": data.get("overdue_days"),
            })
        }
        "exam_overdue" => {
            let Some(exam) = get::<Exam>(ctx, s("exam_id")).await? else {
                return Err(DomainError::invalid("exam_id", "exam gone"));
            };
            let doctor = get::<Doctor>(ctx, &exam.data.doctor_id).await?;
            let patient = get::<Patient>(ctx, &exam.data.patient_id).await?;
            json!({
                "exam_type": exam.data.exam_type,
                "doctor_name": doctor.map(|d| d.data.full_name),
                "patient_name": patient.map(|p| p.data.full_name),
                "started_at": exam.data.started_at.map(|t| notify::when(t, tz)),
                "hours": data.get("hours"),
            })
        }
        "tariff_missing" => {
            let Some(a) = get::<Admission>(ctx, s("admission_id")).await? else {
                return Err(DomainError::invalid("admission_id", "admission gone"));
            };
            let patient = get::<Patient>(ctx, &a.data.patient_id).await?;
            let insurer = match patient.as_ref().and_then(|p| p.data.insurer_id.clone()) {
                Some(i) => get::<Insurer>(ctx, &i).await?.map(|i| i.data.name),
                None => None,
            };
            let local = |t: DateTime<Utc>| notify::day(t.with_timezone(&tz).date_naive());
            let mut ids: Vec<&str> = a
                .data
                .stays
                .iter()
                .map(|st| st.sector_id.as_str())
                .collect();
            ids.extend(
                data["missing"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m["sector_id"].as_str()),
            );
            ids.sort_unstable();
            ids.dedup();
            let mut names = std::collections::HashMap::new();
            for id in ids {
                let n = get::<Sector>(ctx, id)
                    .await?
                    .map_or_else(|| id.to_string(), |s| s.data.name);
                names.insert(id.to_string(), n);
            }
            let name_of = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
            let mut missing = Vec::new();
            for m in data["missing"].as_array().into_iter().flatten() {
                let kind: BedKind =
                    serde_json::from_value(m["bed_kind"].clone()).unwrap_or(BedKind::Ward);
                missing.push(json!({
                    "sector_name": name_of(m["sector_id"].as_str().unwrap_or_default()),
                    "bed_kind": bed_kind_label(kind),
                }));
            }
            let mut stays = Vec::new();
            for st in &a.data.stays {
                stays.push(json!({
                    "sector_name": name_of(&st.sector_id),
                    "from": local(st.from),
                    "to": local(st.to.unwrap_or(st.from)),
                }));
            }
            json!({
                "admission_id": a.id,
                "patient_name": patient.map(|p| p.data.full_name),
                "insurer_name": insurer,
                "missing": missing,
                "stays": stays,
                "admitted_on": a.data.admitted_at.map(local),
                "discharged_on": a.data.discharge.as_ref().map(|d| local(d.discharged_at)),
            })
        }
        "stock_low" => {
            let Some(m) = get::<Medication>(ctx, s("medication_id")).await? else {
                return Err(DomainError::invalid("medication_id", "medication gone"));
            };
            json!({
                "medication_name": m.data.name,
                "stock": m.data.stock_quantity,
                "minimum": m.data.minimum_stock,
                "unit": m.data.unit,
            })
        }
        _ => data.clone(),
    })
}
