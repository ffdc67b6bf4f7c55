//! Delivery through lettre: SMTP when `SMTP_URL` is set, otherwise `.eml` files in `MAIL_DIR`.

use std::time::Duration;

use lettre::message::{Mailbox, Message, header::ContentType};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::email::outbox::OutboxRow;

/// The configured transport.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mailer::Smtp(_) => "Mailer::Smtp",
            Mailer::File(_) => "Mailer::File",
        })
    }
}

impl Mailer {
    /// Builds the transport the settings name; creates the mail folder for the file transport.
    pub fn from_settings(settings: &Settings) -> Result<Mailer, String> {
        match &settings.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|e| format!("SMTP_URL is not usable: {e}"))?
                    .timeout(Some(Duration::from_secs(15)))
                    .build();
                Ok(Mailer::Smtp(transport))
            }
            None => {
                std::fs::create_dir_all(&settings.mail_dir).map_err(|e| {
                    format!(
                        "cannot create MAIL_DIR {}: {e}",
                        settings.mail_dir.display()
                    )
                })?;
                Ok(Mailer::File(AsyncFileTransport::new(&settings.mail_dir)))
            }
        }
    }

    /// Sends one outbox row. The Message-ID is derived from the row, so a receiver can drop a
    /// duplicate should a worker crash between sending and recording the send.
    pub async fn send(&self, from: &Mailbox, row: &OutboxRow) -> Result<(), String> {
        let to: Mailbox = row
            .recipient
            .parse()
            .map_err(|e| format!("bad recipient: {e}"))?;
        let domain = from.email.domain().to_owned();
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&row.subject)
            .message_id(Some(format!("<outbox-{}@{}>", row.id, domain)))
            .header(ContentType::TEXT_PLAIN)
            .body(row.body.clone())
            .map_err(|e| format!("cannot build message: {e}"))?;
        match self {
            Mailer::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Mailer::File(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}
