//! E-mail: the mailer port, the `NotificationRequested` event every part asks for an e-mail
//! with, and the templates (pt-BR, HTML and plain text, rendered with minijinja).
//!
//! A notification names its recipients and its subject matter by id (a patient, a sector, a
//! configured list such as `PHARMACY_EMAILS`), never by address or name: events carry no
//! personal data. The notifier reads the addresses and the facts the template shows when it
//! sends.

use crate::error::{DomainError, DomainResult};
use crate::events::DomainEvent;
use crate::resource::Tx;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// An e-mail, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Worth retrying (throttled, unreachable).
    #[error("mail transient failure: {0}")]
    Transient(String),
    /// Retrying won't help (a rejected address, a bad sender).
    #[error("mail permanent failure: {0}")]
    Permanent(String),
}

/// The mailer port: SES v2 on AWS, `.eml` files in hospital-local's outbox folder.
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// Sends; answers the message id.
    async fn send(&self, email: &Email) -> Result<String, MailError>;
}

/// Where generated files (reports) are kept: an S3 bucket on AWS, the data dir locally.
#[async_trait]
pub trait Files: Send + Sync + 'static {
    async fn put(&self, key: &str, content_type: &str, bytes: Vec<u8>) -> DomainResult<()>;
    async fn get(&self, key: &str) -> DomainResult<Option<Vec<u8>>>;
}

/// Who an e-mail goes to, by id: the notifier looks the address up when it sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Patient(String),
    Doctor(String),
    /// The sector's `alert_email`.
    Sector(String),
    /// A configured list: `billing`, `pharmacy`, `oncall`, `management`.
    List(String),
}

/// A file to attach, by its key in [`Files`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub key: String,
    pub filename: String,
    pub content_type: String,
}

/// The detail of a `NotificationRequested` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// The template (`appointment_reminder`, `bed_released`, …).
    pub template: String,
    pub to: Vec<Recipient>,
    /// Ids and facts the template's context is read from.
    pub data: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<FileRef>,
}

pub const SOURCE: &str = "hospital.notifications";
pub const REQUESTED: &str = "NotificationRequested";

/// Asks for an e-mail, in `tx`: a `NotificationRequested` event.
pub fn request(tx: &mut Tx, notification: Notification) {
    let detail = serde_json::to_value(&notification).unwrap_or(Value::Null);
    tx.event(DomainEvent::new(SOURCE, REQUESTED, tx.now(), detail));
}

impl Notification {
    pub fn of(event: &DomainEvent) -> DomainResult<Self> {
        serde_json::from_value(event.detail.clone())
            .map_err(|e| DomainError::invalid("detail", format!("not a notification request: {e}")))
    }
}

/// `dd/mm/aaaa HH:MM` in the hospital's time zone.
pub fn when(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string()
}

/// `dd/mm/aaaa`.
pub fn day(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// `R$ 1.234,56`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let grouped = thousands(i64::try_from(cents / 100).unwrap_or(i64::MAX));
    format!("{sign}R$ {grouped},{:02}", cents % 100)
}

/// `x` with `places` decimals and a decimal comma: `85,3`.
pub fn decimal(x: f64, places: usize) -> String {
    format!("{x:.places$}").replace('.', ",")
}

/// A setting as people write it: `10` for a whole number, `85,5` otherwise.
pub fn figure(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        decimal(x, 1)
    }
}

/// The plural of a pt-BR noun as units and things are named in the hospital (`ampola` →
/// `ampolas`, `frasco-ampola` → `frascos-ampola`, `comprimido` → `comprimidos`, `leito` →
/// `leitos`); abbreviations (`mL`, `UI`, `g`) do not change. The rules of the language's
/// regular nouns, enough for the words a hospital counts in: no dictionary crate covers pt-BR.
pub fn plural_of(word: &str) -> String {
    if let Some((head, tail)) = word.split_once('-') {
        // A compound of two nouns varies in the first (frascos-ampola).
        return format!("{}-{tail}", plural_of(head));
    }
    if let Some((head, tail)) = word.split_once(' ') {
        // A noun and its complement (leito livre → leitos livres, dose de ataque → doses de
        // ataque): the complement varies unless it starts with a preposition.
        let tail = match tail.split_once(' ') {
            Some((first, _)) if ["de", "do", "da", "com", "em", "para"].contains(&first) => {
                tail.to_string()
            }
            _ => tail.split(' ').map(plural_of).collect::<Vec<_>>().join(" "),
        };
        return format!("{} {tail}", plural_of(head));
    }
    let lower = word.to_lowercase();
    let abbreviation = word.chars().count() <= 2
        || word.chars().any(|c| c.is_uppercase())
        || !word.chars().any(|c| "aeiouáéíóúâêôãõà".contains(c));
    if abbreviation {
        return word.to_string();
    }
    let stem = |n: usize| {
        word.chars()
            .take(word.chars().count() - n)
            .collect::<String>()
    };
    if lower.ends_with("ão") {
        format!("{}ões", stem(2))
    } else if lower.ends_with("al") || lower.ends_with("el") && !lower.ends_with("vel") {
        format!("{}is", stem(1))
    } else if lower.ends_with("vel") {
        format!("{}eis", stem(2))
    } else if lower.ends_with("ol") || lower.ends_with("ul") {
        format!("{}is", stem(1))
    } else if lower.ends_with('m') {
        format!("{}ns", stem(1))
    } else if lower.ends_with('r') || lower.ends_with('z') {
        format!("{word}es")
    } else if lower.ends_with('s') || lower.ends_with('x') {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// `1 ampola`, `45 ampolas`, `0 leitos livres`, `1.234 comprimidos`: a count and its noun,
/// singular only for one (in pt-BR zero takes the plural).
pub fn count(n: i64, singular: &str) -> String {
    let noun = if n.abs() == 1 {
        singular.to_string()
    } else {
        plural_of(singular)
    };
    format!("{} {noun}", thousands(n))
}

/// `1.234`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The templates, compiled in: `<name>.subject`, `<name>.txt` and `<name>.html` each.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    (
        "appointment_reminder.subject",
        include_str!("templates/appointment_reminder.subject"),
    ),
    (
        "appointment_reminder.txt",
        include_str!("templates/appointment_reminder.txt"),
    ),
    (
        "appointment_reminder.html",
        include_str!("templates/appointment_reminder.html"),
    ),
    (
        "bed_released.subject",
        include_str!("templates/bed_released.subject"),
    ),
    (
        "bed_released.txt",
        include_str!("templates/bed_released.txt"),
    ),
    (
        "bed_released.html",
        include_str!("templates/bed_released.html"),
    ),
    (
        "beds_low.subject",
        include_str!("templates/beds_low.subject"),
    ),
    ("beds_low.txt", include_str!("templates/beds_low.txt")),
    ("beds_low.html", include_str!("templates/beds_low.html")),
    (
        "billing_overdue.subject",
        include_str!("templates/billing_overdue.subject"),
    ),
    (
        "billing_overdue.txt",
        include_str!("templates/billing_overdue.txt"),
    ),
    (
        "billing_overdue.html",
        include_str!("templates/billing_overdue.html"),
    ),
    (
        "exam_overdue.subject",
        include_str!("templates/exam_overdue.subject"),
    ),
    (
        "exam_overdue.txt",
        include_str!("templates/exam_overdue.txt"),
    ),
    (
        "exam_overdue.html",
        include_str!("templates/exam_overdue.html"),
    ),
    (
        "stock_low.subject",
        include_str!("templates/stock_low.subject"),
    ),
    ("stock_low.txt", include_str!("templates/stock_low.txt")),
    ("stock_low.html", include_str!("templates/stock_low.html")),
    (
        "oncall_alert.subject",
        include_str!("templates/oncall_alert.subject"),
    ),
    (
        "oncall_alert.txt",
        include_str!("templates/oncall_alert.txt"),
    ),
    (
        "oncall_alert.html",
        include_str!("templates/oncall_alert.html"),
    ),
    (
        "tariff_missing.subject",
        include_str!("templates/tariff_missing.subject"),
    ),
    (
        "tariff_missing.txt",
        include_str!("templates/tariff_missing.txt"),
    ),
    (
        "tariff_missing.html",
        include_str!("templates/tariff_missing.html"),
    ),
    (
        "daily_report.subject",
        include_str!("templates/daily_report.subject"),
    ),
    (
        "daily_report.txt",
        include_str!("templates/daily_report.txt"),
    ),
    (
        "daily_report.html",
        include_str!("templates/daily_report.html"),
    ),
    // The account e-mails (crate::accounts): sent directly, not through notifications, as
    // they carry a code.
    (
        "account_invite.subject",
        include_str!("templates/account_invite.subject"),
    ),
    (
        "account_invite.txt",
        include_str!("templates/account_invite.txt"),
    ),
    (
        "account_invite.html",
        include_str!("templates/account_invite.html"),
    ),
    (
        "account_resend.subject",
        include_str!("templates/account_resend.subject"),
    ),
    (
        "account_resend.txt",
        include_str!("templates/account_resend.txt"),
    ),
    (
        "account_resend.html",
        include_str!("templates/account_resend.html"),
    ),
    (
        "account_verify.subject",
        include_str!("templates/account_verify.subject"),
    ),
    (
        "account_verify.txt",
        include_str!("templates/account_verify.txt"),
    ),
    (
        "account_verify.html",
        include_str!("templates/account_verify.html"),
    ),
    (
        "account_reset.subject",
        include_str!("templates/account_reset.subject"),
    ),
    (
        "account_reset.txt",
        include_str!("templates/account_reset.txt"),
    ),
    (
        "account_reset.html",
        include_str!("templates/account_reset.html"),
    ),
];

/// Names of the templates a notification may name.
pub fn template_names() -> Vec<&'static str> {
    TEMPLATES
        .iter()
        .filter_map(|(n, _)| n.strip_suffix(".subject"))
        .collect()
}

fn environment() -> &'static minijinja::Environment<'static> {
    static ENV: std::sync::OnceLock<minijinja::Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = minijinja::Environment::new();
        // HTML templates escape what they show; text and subjects are text.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        // `{{ 45 | count("ampola") }}` → `45 ampolas`; `{{ 85.25 | decimal(1) }}` → `85,3`.
        env.add_filter("count", |n: i64, singular: String| count(n, &singular));
        env.add_filter("decimal", |x: f64, places: Option<usize>| {
            decimal(x, places.unwrap_or(1))
        });
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        for (name, source) in TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                // The templates are compiled in and tested: a bad one is a bug.
                tracing::error!(template = name, error = %e, "invalid e-mail template");
            }
        }
        env
    })
}

/// Renders `template` with `context` (the hospital's name and address are added).
pub fn render(
    template: &str,
    context: &Value,
    settings: &super::Settings,
) -> DomainResult<(String, String, String)> {
    let env = environment();
    let mut ctx = context.clone();
    if let Some(o) = ctx.as_object_mut() {
        o.insert(
            "hospital".into(),
            json!({
                "name": settings.hospital_name,
                "address": settings.hospital_address,
            }),
        );
    }
    let one = |suffix: &str| -> DomainResult<String> {
        let name = format!("{template}.{suffix}");
        env.get_template(&name)
            .and_then(|t| t.render(&ctx))
            .map_err(|e| DomainError::invalid("template", format!("{name}: {e}")))
    };
    let subject = one("subject")?
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    Ok((subject, one("txt")?, one("html")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(money(123456), "R$ 1.234,56");
        assert_eq!(money(5), "R$ 0,05");
        assert_eq!(money(100_000_000), "R$ 1.000.000,00");
        let t = DateTime::parse_from_rfc3339("2026-03-02T13:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(when(t, chrono_tz::America::Sao_Paulo), "02/03/2026 10:05");
    }

    #[test]
    fn counts_read_as_in_brazil() {
        assert_eq!(count(45, "ampola"), "45 ampolas");
        assert_eq!(count(1, "ampola"), "1 ampola");
        assert_eq!(count(0, "leito livre"), "0 leitos livres");
        assert_eq!(count(2, "frasco-ampola"), "2 frascos-ampola");
        assert_eq!(count(1234, "comprimido"), "1.234 comprimidos");
        assert_eq!(count(3, "alerta operacional"), "3 alertas operacionais");
        assert_eq!(count(2, "lançamento vencido"), "2 lançamentos vencidos");
        assert_eq!(count(2, "dose de ataque"), "2 doses de ataque");
        assert_eq!(count(5, "mL"), "5 mL");
        assert_eq!(count(2, "cápsula"), "2 cápsulas");
        assert_eq!(count(2, "internação"), "2 internações");
        assert_eq!(decimal(85.26, 1), "85,3");
        assert_eq!(decimal(10.0, 1), "10,0");
    }

    #[test]
    fn every_template_renders() {
        let settings = crate::automation::Settings {
            hospital_name: "Hospital Santa Clara".into(),
            hospital_address: "Rua das Flores, 100 — Curitiba/PR".into(),
            ..Default::default()
        };
        for name in template_names() {
            let (subject, text, html) = render(name, &json!({}), &settings).unwrap();
            assert!(!subject.is_empty(), "{name}");
            assert!(!text.trim().is_empty(), "{name}");
            assert!(html.contains("<html"), "{name}");
        }
    }
}
