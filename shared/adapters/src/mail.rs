//! The mailer port twice: SES v2 on AWS (`SendEmail` with simple content, or raw MIME when
//! there are attachments) and, for hospital-local, one `.eml` file per message in an outbox
//! folder. Both build the same MIME message (mail-builder) for what they can't say simply.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, RawMessage};
use hospital_core::automation::notify::{Email, MailError, Mailer};
use mail_builder::MessageBuilder;
use std::path::PathBuf;

/// A sender as configured, `Name <address>` or a bare address, as (name, address).
fn sender(from: &str) -> (Option<String>, String) {
    match from.trim().rsplit_once('<') {
        Some((name, rest)) if rest.ends_with('>') => {
            let name = name.trim().trim_matches('"').trim();
            let address = rest.trim_end_matches('>').trim().to_string();
            ((!name.is_empty()).then(|| name.to_string()), address)
        }
        _ => (None, from.trim().to_string()),
    }
}

/// The message as MIME text: text and HTML alternatives, then the attachments.
pub fn mime(from: &str, email: &Email, message_id: &str) -> Result<Vec<u8>, MailError> {
    let (name, address) = sender(from);
    let from = mail_builder::headers::address::Address::new_address(name, address);
    let mut builder = MessageBuilder::new()
        .from(from)
        .to(email.to.clone())
        .subject(email.subject.clone())
        .message_id(message_id)
        .text_body(email.text.clone())
        .html_body(email.html.clone());
    for a in &email.attachments {
        builder = builder.attachment(a.content_type.clone(), a.filename.clone(), a.bytes.clone());
    }
    builder
        .write_to_vec()
        .map_err(|e| MailError::Permanent(format!("cannot build the message: {e}")))
}

/// SES v2.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>, configuration_set: Option<String>) -> Self {
        Self {
            client,
            from: from.into(),
            configuration_set,
        }
    }
}

fn content(text: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError::Permanent(e.to_string()))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let content = if email.attachments.is_empty() {
            let message = Message::builder()
                .subject(content(&email.subject)?)
                .body(
                    Body::builder()
                        .text(content(&email.text)?)
                        .html(content(&email.html)?)
                        .build(),
                )
                .build();
            EmailContent::builder().simple(message).build()
        } else {
            let id = format!("{}@hospital", hospital_core::ids::new_id());
            let raw = RawMessage::builder()
                .data(Blob::new(mime(&self.from, email, &id)?))
                .build()
                .map_err(|e| MailError::Permanent(e.to_string()))?;
            EmailContent::builder().raw(raw).build()
        };
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(email.to.clone()))
                    .build(),
            )
            .content(content)
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await;
        match out {
            Ok(o) => Ok(o.message_id().unwrap_or_default().to_string()),
            Err(e) => {
                let text = aws_sdk_sesv2::error::DisplayErrorContext(&e).to_string();
                let permanent = e.as_service_error().is_some_and(|s| {
                    s.is_message_rejected()
                        || s.is_mail_from_domain_not_verified_exception()
                        || s.is_account_suspended_exception()
                        || s.is_bad_request_exception()
                });
                Err(if permanent {
                    MailError::Permanent(text)
                } else {
                    MailError::Transient(text)
                })
            }
        }
    }
}

/// hospital-local's mailer: each message a `.eml` file in `dir` (`<data dir>/outbox/`),
/// named by its time and id, readable by any mail client.
#[derive(Debug, Clone)]
pub struct OutboxMailer {
    dir: PathBuf,
    from: String,
}

impl OutboxMailer {
    pub fn new(dir: PathBuf, from: impl Into<String>) -> Self {
        Self {
            dir,
            from: from.into(),
        }
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let id = hospital_core::ids::new_id();
        let bytes = mime(&self.from, email, &format!("{id}@hospital-local"))?;
        let path = self.dir.join(format!("{id}.eml"));
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            std::fs::write(&path, bytes)
        })
        .await
        .map_err(|e| MailError::Transient(e.to_string()))?
        .map_err(|e| MailError::Transient(format!("cannot write the outbox: {e}")))?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_line(from: &str) -> String {
        let email = Email {
            to: vec!["gestao@hospital.example".into()],
            subject: "Relatório".into(),
            text: "texto".into(),
            html: "<p>texto</p>".into(),
            attachments: Vec::new(),
        };
        let raw = String::from_utf8(mime(from, &email, "1@test").unwrap()).unwrap();
        raw.lines()
            .find(|l| l.starts_with("From:"))
            .unwrap()
            .to_string()
    }

    #[test]
    fn the_sender_is_a_name_and_an_address() {
        assert_eq!(
            from_line("Hospital Santa Clara <no-reply@hospital.example>"),
            "From: \"Hospital Santa Clara\" <no-reply@hospital.example>"
        );
        assert_eq!(
            from_line("no-reply@hospital.example"),
            "From: <no-reply@hospital.example>"
        );
        assert_eq!(
            sender("  \"Hospital\" <a@b.c> "),
            (Some("Hospital".into()), "a@b.c".into())
        );
    }
}
