//! The hospital's reflexes end to end: events published exactly when their change committed,
//! consumers that act once however often an event arrives, the scheduled jobs (each above its
//! threshold, below it, and run again), and the AWS adapters against moto (SES, EventBridge
//! rules from the template, the stream relay, S3).
//!
//! Data: CPFs from `cpf(9000..)`.

mod aws;
mod jobs;
mod log;
mod reactions;

pub use crate::operations::*;
use hospital_core::automation::Ctx;
use mail_parser::MimeHeaders;

/// A hospital-local with the dev clock on and recipients configured.
pub async fn start(backend: Backend) -> Local {
    Local::start_with(backend, |c| {
        c.dev_clock = true;
        c.settings.billing_emails = vec!["faturamento@hospital.example".into()];
        c.settings.pharmacy_emails = vec!["farmacia@hospital.example".into()];
        c.settings.oncall_emails = vec!["plantao@hospital.example".into()];
        c.settings.management_emails = vec!["gestao@hospital.example".into()];
        c.settings.hospital_name = "Hospital Santa Clara".into();
        c.settings.hospital_address = "Rua das Flores, 100 — Curitiba/PR".into();
    })
    .await
}

/// The automation's context of the running server.
pub fn ctx(local: &Local) -> Ctx {
    local.server.as_ref().expect("running").hospital.ctx.clone()
}

/// Runs a job through `POST /v1/dev/jobs/{name}` (which waits for the e-mails it set off).
pub async fn run_job(local: &Local, name: &str) -> Value {
    let (s, b) = send(
        local,
        Method::POST,
        &format!("/v1/dev/jobs/{name}"),
        Role::Admin,
        None,
    )
    .await;
    assert_eq!(s, 200, "job {name}: {b}");
    assert_eq!(b["ok"], true, "job {name}: {b}");
    b
}

/// An e-mail as its recipient reads it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<String>,
}

impl Mail {
    /// Parses a MIME message (the outbox's `.eml`, or what SES received).
    pub fn parse(raw: &[u8]) -> Mail {
        let m = mail_parser::MessageParser::default()
            .parse(raw)
            .expect("a MIME message");
        let to = m
            .to()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.address().map(str::to_string))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        Mail {
            to,
            subject: m.subject().unwrap_or_default().to_string(),
            text: m.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
            html: m.body_html(0).map(|t| t.to_string()).unwrap_or_default(),
            attachments: m
                .attachments()
                .map(|a| a.attachment_name().unwrap_or_default().to_string())
                .collect(),
        }
    }

    /// Whether the text or the HTML part says `s`.
    pub fn says(&self, s: &str) -> bool {
        self.text.contains(s) || self.html.contains(s)
    }
}

/// The e-mails written to the outbox folder so far, oldest first.
pub fn emails(local: &Local) -> Vec<Mail> {
    let dir = local.config.data_dir.join("outbox");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|p| Mail::parse(&std::fs::read(p).expect("read .eml")))
        .collect()
}

/// The e-mails to `address` whose subject holds `subject`.
pub fn emails_to(local: &Local, address: &str, subject: &str) -> Vec<Mail> {
    emails(local)
        .into_iter()
        .filter(|m| m.to.contains(address) && m.subject.contains(subject))
        .collect()
}

/// Waits (up to `secs`) for `check` to hold, polling.
pub async fn eventually<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if check().await {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
