//! Every event route and every scheduled job, declared once. template.yaml's rules, schedules
//! and their functions are generated from this list (`cargo run -p hospital-codegen`; a test
//! fails when they are stale), and hospital-local runs the same list in process.

use super::{Ctx, Fut, Handled, consumers, jobs};
use crate::error::DomainResult;
use crate::events::DomainEvent;

/// When a job runs, in the hospital's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    Every { minutes: u32 },
    Daily { hour: u32, minute: u32 },
}

impl Schedule {
    /// As EventBridge Scheduler writes it.
    pub fn expression(&self) -> String {
        match self {
            Schedule::Every { minutes: 1 } => "rate(1 minute)".into(),
            Schedule::Every { minutes } => format!("rate({minutes} minutes)"),
            Schedule::Daily { hour, minute } => format!("cron({minute} {hour} * * ? *)"),
        }
    }
}

/// What a function needs beyond its table access (its template policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// SES SendEmail / SendRawEmail.
    Mail,
    /// EventBridge PutEvents on the stack's bus.
    PublishEvents,
    /// Read and write the reports bucket.
    Reports,
}

pub type Handler = for<'a> fn(&'a Ctx, &'a DomainEvent) -> Fut<'a, DomainResult<Handled>>;
pub type Runner = for<'a> fn(&'a Ctx) -> Fut<'a, DomainResult<jobs::Report>>;

/// An event route: events of `source` with one of `detail_types` go to `handle`.
pub struct Consumer {
    /// The function's name (HOSPITAL_FUNCTION), and the consumer's in its handled records.
    pub name: &'static str,
    pub description: &'static str,
    pub source: &'static str,
    pub detail_types: &'static [&'static str],
    pub handle: Handler,
    pub needs: &'static [Needs],
}

pub struct Job {
    pub name: &'static str,
    pub description: &'static str,
    pub schedule: Schedule,
    pub run: Runner,
    pub needs: &'static [Needs],
}

pub const CONSUMERS: &[Consumer] = &[
    Consumer {
        name: "notifier",
        description: "Sends the e-mails every part asks for (NotificationRequested)",
        source: super::notify::SOURCE,
        detail_types: &[super::notify::REQUESTED],
        handle: |c, e| Box::pin(consumers::send_notification(c, e)),
        needs: &[Needs::Mail, Needs::Reports],
    },
    Consumer {
        name: "bill-discharge",
        description: "RF24: a discharge bills the stay (tariff × census days); no tariff: billing is e-mailed",
        source: "hospital.admissions",
        detail_types: &["PatientDischarged"],
        handle: |c, e| Box::pin(consumers::bill_discharge(c, e)),
        needs: &[],
    },
    Consumer {
        name: "announce-bed",
        description: "RF23: a released bed is e-mailed to its sector",
        source: "hospital.beds",
        detail_types: &["BedReleased"],
        handle: |c, e| Box::pin(consumers::announce_bed(c, e)),
        needs: &[],
    },
    Consumer {
        name: "stock-low",
        description: "AUTO05: stock under the minimum is e-mailed to the pharmacy",
        source: "hospital.pharmacy",
        detail_types: &["StockBelowMinimum"],
        handle: |c, e| Box::pin(consumers::stock_low(c, e)),
        needs: &[],
    },
    Consumer {
        name: "keep-alert",
        description: "RF26: operational alerts are kept for the on-call digest",
        source: "hospital.operations",
        detail_types: &["OperationalAlert"],
        handle: |c, e| Box::pin(consumers::keep_alert(c, e)),
        needs: &[],
    },
];

pub const JOBS: &[Job] = &[
    Job {
        name: "reminders",
        description: "RF22: reminds appointments starting within REMINDER_HOURS",
        schedule: Schedule::Every { minutes: 15 },
        run: |c| Box::pin(jobs::reminders(c)),
        needs: &[],
    },
    Job {
        name: "beds-low",
        description: "AUTO01: sectors with few free beds",
        schedule: Schedule::Every { minutes: 60 },
        run: |c| Box::pin(jobs::beds_low(c)),
        needs: &[],
    },
    Job {
        name: "billing-overdue",
        description: "AUTO02: collection of bills OVERDUE_DAYS past due, per insurer",
        schedule: Schedule::Daily { hour: 8, minute: 0 },
        run: |c| Box::pin(jobs::billing_overdue(c)),
        needs: &[],
    },
    Job {
        name: "exams-overdue",
        description: "AUTO03: exams in progress for more than 48 hours",
        schedule: Schedule::Every { minutes: 60 },
        run: |c| Box::pin(jobs::exams_overdue(c)),
        needs: &[],
    },
    Job {
        name: "long-stays",
        description: "AUTO04: open admissions longer than usual for their diagnosis, for review",
        schedule: Schedule::Daily { hour: 6, minute: 0 },
        run: |c| Box::pin(jobs::long_stays(c)),
        needs: &[],
    },
    Job {
        name: "stock-sweep",
        description: "AUTO05: medications below their minimum stock",
        schedule: Schedule::Daily {
            hour: 7,
            minute: 30,
        },
        run: |c| Box::pin(jobs::stock_sweep(c)),
        needs: &[],
    },
    Job {
        name: "consistency-scan",
        description: "RF26: what must agree (beds, admissions, the bed board)",
        schedule: Schedule::Daily { hour: 3, minute: 0 },
        run: |c| Box::pin(jobs::consistency_scan(c)),
        needs: &[],
    },
    Job {
        name: "alert-digest",
        description: "RF26: every operational alert not yet mailed, to on-call",
        schedule: Schedule::Every { minutes: 60 },
        run: |c| Box::pin(jobs::alert_digest(c)),
        needs: &[],
    },
    Job {
        name: "daily-report",
        description: "RF25: the previous day's report (PDF, XLSX, CSV) e-mailed to management",
        schedule: Schedule::Daily { hour: 7, minute: 0 },
        run: |c| Box::pin(jobs::daily_report(c)),
        needs: &[Needs::Reports],
    },
    Job {
        name: "outbox-sweep",
        description: "Publishes outbox records a relay left pending",
        schedule: Schedule::Every { minutes: 5 },
        run: |c| Box::pin(jobs::outbox_sweep(c)),
        needs: &[Needs::PublishEvents],
    },
];

pub fn job(name: &str) -> Option<&'static Job> {
    JOBS.iter().find(|j| j.name == name)
}

pub fn consumer(name: &str) -> Option<&'static Consumer> {
    CONSUMERS.iter().find(|c| c.name == name)
}

/// The consumers an event goes to.
pub fn routes_of(event: &DomainEvent) -> impl Iterator<Item = &'static Consumer> + '_ {
    CONSUMERS.iter().filter(move |c| {
        c.source == event.source && c.detail_types.contains(&event.detail_type.as_str())
    })
}
