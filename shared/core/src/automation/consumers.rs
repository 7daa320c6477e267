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
pub fn alert(tx: &mut Tx, kind: &str, subject: &str, message: &str) {
    tracing::warn!(alert = kind, subject, message, "operational alert");
    tx.event(DomainEvent::new(
        "hospital.operations",
        "OperationalAlert",
        tx.now(),
        json!({"kind": kind, "subject": subject, "message": message}),
    ));
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
/// terms (30 days for private pay). A missing tariff is an operational alert, never a wrong
/// amount.
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
            None => missing.push(format!("sector {} ({:?} bed)", stay.sector_id, kind)),
        }
    }
    if !missing.is_empty() {
        alert(
            &mut tx,
            "missing_tariff",
            admission_id,
            &format!(
                "admission {admission_id} was not billed: no tariff for {}; bill it by hand",
                missing.join(", ")
            ),
        );
        return commit(ctx, tx, "alerted: missing tariff".into()).await;
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

/// `OperationalAlert` → kept for the hourly on-call digest (one e-mail per hour at most).
pub async fn keep_alert(ctx: &Ctx, event: &DomainEvent) -> DomainResult<Handled> {
    let hour = event.occurred_at.format("%Y-%m-%dT%H").to_string();
    let mut item = Item::new();
    item.insert("pk".into(), format!("ops-alerts#{hour}").into());
    item.insert("sk".into(), event.event_id.clone().into());
    item.insert(crate::resource::ENTITY.into(), "ops_alert".into());
    item.insert(
        "at".into(),
        crate::resource::record::rfc3339(event.occurred_at).into(),
    );
    for f in ["kind", "subject", "message"] {
        item.insert(
            f.into(),
            event.detail.get(f).cloned().unwrap_or(Value::Null),
        );
    }
    let mut tx = ctx.deps.tx();
    item.insert(
        crate::store::TTL.into(),
        (tx.wall_secs() + 30 * 24 * 3600).into(),
    );
    tx.handled("keep-alert", &event.event_id);
    tx.push(Write::put(item), Blame::Moved);
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
    let result = deliver(ctx, &notification).await;
    let (state, outcome) = match &result {
        Ok(Some(id)) => ("sent", format!("sent ({id})")),
        Ok(None) => ("sent", "no recipient with an address; skipped".to_string()),
        Err(DomainError::Validation(_)) => ("sent", "not sendable; dropped".to_string()),
        Err(_) => ("failed", String::new()),
    };
    if state == "failed" {
        // Free the claim so that the retry sends.
        let _ = store.transact(vec![Write::delete(key)]).await;
        return result.map(|_| Handled::Ignored(String::new()));
    }
    let mut done = Item::new();
    done.insert("pk".into(), key.pk.into());
    done.insert("sk".into(), key.sk.into());
    done.insert(crate::resource::ENTITY.into(), "notification".into());
    done.insert("state".into(), state.into());
    done.insert("template".into(), notification.template.clone().into());
    done.insert(crate::store::TTL.into(), (wall + 30 * 24 * 3600).into());
    store.transact(vec![Write::put(done)]).await?;
    match result {
        Err(e) => {
            tracing::error!(template = %notification.template, error = %e, "notification not sendable");
            Ok(Handled::Ignored(outcome))
        }
        Ok(_) => Ok(Handled::Done(outcome)),
    }
}

/// Resolves, renders and sends; `Ok(None)` when no recipient has an address.
async fn deliver(ctx: &Ctx, n: &Notification) -> DomainResult<Option<String>> {
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
