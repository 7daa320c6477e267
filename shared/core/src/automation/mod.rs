//! The hospital's reflexes (RF22–RF24, RF26, AUTO01–AUTO05): what happens by itself when an
//! event arrives or a schedule fires.
//!
//! - [`catalogue`]: every consumer (an event route: source + detail types → consumer) and every
//!   scheduled job, declared once; the template's rules and schedules and hospital-local's
//!   in-process bus and scheduler are derived from it.
//! - [`consumers`]: what reacts to events — the notifier, billing on discharge, the e-mail for a
//!   released bed, low stock, operational alerts. Each records the event ids it handled in the
//!   same transaction as its effect, so a repeated delivery has no second effect.
//! - [`jobs`]: the scheduled work — reminders, the automation scans, the consistency scan, the
//!   outbox sweep.
//! - [`notify`]: e-mails: the mailer port, the templates (pt-BR, HTML and text), and the
//!   `NotificationRequested` events every other part asks for an e-mail with.
//! - [`relay`]: moving outbox records to the event bus, exactly once in effect.
//! - [`runs`]: every job run recorded (outcome, counts, error); a failed one alerts on-call.

pub mod catalogue;
pub mod consumers;
pub mod jobs;
pub mod notify;
pub mod relay;
pub mod runs;

use crate::events::DomainEvent;
use crate::resource::Deps;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Thresholds, recipients and the hospital's particulars, from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Shown in e-mails.
    pub hospital_name: String,
    pub hospital_address: String,
    /// `REMINDER_HOURS` (24): how far ahead appointments are reminded.
    pub reminder_hours: i64,
    /// `BED_ALERT_PERCENT` (10): a sector's free beds below this share of its beds alert.
    pub bed_alert_percent: f64,
    /// `OVERDUE_DAYS` (5): pending bills this many days past due go to collection.
    pub overdue_days: i64,
    /// `EXAM_OVERDUE_HOURS` (48).
    pub exam_overdue_hours: i64,
    /// `LONG_STAY_EXTRA_DAYS` (3).
    pub long_stay_extra_days: i64,
    /// `OCCUPANCY_ALERT_PERCENT` (85).
    pub occupancy_alert_percent: f64,
    /// `BILLING_EMAILS`, `PHARMACY_EMAILS`, `ONCALL_EMAILS`, `MANAGEMENT_EMAILS`.
    pub billing_emails: Vec<String>,
    pub pharmacy_emails: Vec<String>,
    pub oncall_emails: Vec<String>,
    pub management_emails: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            hospital_name: "Hospital".into(),
            hospital_address: String::new(),
            reminder_hours: 24,
            bed_alert_percent: 10.0,
            overdue_days: 5,
            exam_overdue_hours: 48,
            long_stay_extra_days: 3,
            occupancy_alert_percent: 85.0,
            billing_emails: Vec::new(),
            pharmacy_emails: Vec::new(),
            oncall_emails: Vec::new(),
            management_emails: Vec::new(),
        }
    }
}

impl Settings {
    /// From variables by name (the environment, in both runtimes); unset ones keep their
    /// defaults, malformed ones are an error naming the variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut s = Settings::default();
        let num = |name: &str, into: &mut f64| -> Result<(), String> {
            if let Some(v) = var(name) {
                *into = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("{name} must be a number, not {v:?}"))?;
            }
            Ok(())
        };
        let int = |name: &str, into: &mut i64| -> Result<(), String> {
            if let Some(v) = var(name) {
                *into = v
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n: &i64| *n >= 0)
                    .ok_or_else(|| format!("{name} must be a whole number, not {v:?}"))?;
            }
            Ok(())
        };
        let list = |name: &str| -> Vec<String> {
            var(name)
                .map(|v| {
                    v.split([',', ';', ' '])
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        if let Some(v) = var("HOSPITAL_NAME") {
            s.hospital_name = v;
        }
        if let Some(v) = var("HOSPITAL_ADDRESS") {
            s.hospital_address = v;
        }
        int("REMINDER_HOURS", &mut s.reminder_hours)?;
        num("BED_ALERT_PERCENT", &mut s.bed_alert_percent)?;
        int("OVERDUE_DAYS", &mut s.overdue_days)?;
        int("EXAM_OVERDUE_HOURS", &mut s.exam_overdue_hours)?;
        int("LONG_STAY_EXTRA_DAYS", &mut s.long_stay_extra_days)?;
        num("OCCUPANCY_ALERT_PERCENT", &mut s.occupancy_alert_percent)?;
        s.billing_emails = list("BILLING_EMAILS");
        s.pharmacy_emails = list("PHARMACY_EMAILS");
        s.oncall_emails = list("ONCALL_EMAILS");
        s.management_emails = list("MANAGEMENT_EMAILS");
        Ok(s)
    }
}

/// What consumers and jobs run with.
#[derive(Clone)]
pub struct Ctx {
    pub deps: Deps,
    pub settings: Arc<Settings>,
    /// Sends e-mails (the notifier only).
    pub mailer: Arc<dyn notify::Mailer>,
    /// Where reports are kept (the daily report, and the notifier's attachments).
    pub reports: Arc<dyn notify::Files>,
    /// Where outbox records are published (the outbox sweep).
    pub bus: Arc<dyn relay::EventBus>,
    /// Draws the daily report (PDF, XLSX, CSV).
    pub render: Arc<dyn crate::analytics::report::Render>,
}

/// A future of a consumer or a job.
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a consumer did with one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Handled {
    /// Its effect committed.
    Done(String),
    /// Seen before: nothing more.
    Duplicate,
    /// Nothing to do for this event.
    Ignored(String),
}

impl Handled {
    pub fn describe(&self) -> String {
        match self {
            Handled::Done(s) => format!("done: {s}"),
            Handled::Duplicate => "already handled".into(),
            Handled::Ignored(s) => format!("nothing to do: {s}"),
        }
    }
}

/// The event of a consumer, decoded.
pub fn detail_str<'a>(event: &'a DomainEvent, field: &str) -> Option<&'a str> {
    event.detail.get(field).and_then(serde_json::Value::as_str)
}
