//! The outbound channels reminders are delivered through: email over SMTP ([`email`]) and a
//! signed JSON webhook ([`webhook`]) for SMS gateways and the clinic's own systems.
//!
//! Each channel sends one message per call and says whether a failure is worth retrying
//! ([`DeliveryError::retryable`]); the queue that calls them decides when. Both carry an
//! idempotency key the caller keeps with the reminder, so a resend after a crash is recognisable
//! downstream (the same `Message-ID`, the same `Idempotency-Key`).
//!
//! - [`email`]: SMTP with required STARTTLS, implicit TLS, or plain on a loopback relay; the
//!   reminder rendered from `templates/email/` as text and HTML.
//! - [`webhook`]: an HMAC-SHA256-signed POST, never to private or loopback addresses unless the
//!   webhook is configured to allow them ([`address_guard`]).

pub mod address_guard;
pub mod email;
mod mail;
pub mod webhook;

use std::path::PathBuf;

pub use email::{Email, EmailSender, MailParagraph, ReminderMail, SmtpConfig, SmtpSecurity, render_mail};
pub use webhook::{WebhookConfig, WebhookSender, signature, verify};

/// A message that did not go out. `reason` is shown to staff: short, plain, without secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DeliveryError {
    /// Whether sending the same message again later may succeed (a busy or unreachable server),
    /// as opposed to a refusal that will not change (an unknown mailbox, a bad address).
    pub retryable: bool,
    pub reason: String,
}

impl DeliveryError {
    pub(crate) fn retry(reason: impl Into<String>) -> Self {
        Self { retryable: true, reason: reason.into() }
    }

    pub(crate) fn permanent(reason: impl Into<String>) -> Self {
        Self { retryable: false, reason: reason.into() }
    }
}

/// A message the other side accepted, with what it answered (`"250 2.0.0 Ok: queued as ABC"`,
/// `"HTTP 202"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub detail: String,
}

/// A channel configuration that cannot work, naming the key and what it accepts.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{key}: {problem} (accepted: {accepted})")]
    Invalid { key: &'static str, problem: String, accepted: &'static str },
    #[error("{key}: cannot read {}: {source}", path.display())]
    Unreadable {
        key: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ConfigError {
    pub(crate) fn invalid(key: &'static str, problem: impl Into<String>, accepted: &'static str) -> Self {
        Self::Invalid { key, problem: problem.into(), accepted }
    }
}

/// `text` cut to at most `max` characters on one line (for a server's reply in a reason).
pub(crate) fn brief(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The TLS failure behind `err`, if there is one, in words.
pub(crate) fn find_tls_error(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(brief(&tls.to_string(), 160));
        }
        // `io::Error::source` skips the error it wraps; step into it instead.
        next = match e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// Trusted roots from a PEM file (every certificate in it), for private relays and tests.
pub(crate) fn read_pem_certificates(
    key: &'static str,
    path: &std::path::Path,
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, ConfigError> {
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(path).map_err(|source| ConfigError::Unreadable { key, path: path.into(), source })?;
    let certs =
        rustls::pki_types::CertificateDer::pem_slice_iter(&pem).collect::<Result<Vec<_>, _>>().map_err(|e| {
            ConfigError::invalid(
                key,
                format!("{} is not a PEM certificate file: {e}", path.display()),
                "a PEM file of CA certificates",
            )
        })?;
    if certs.is_empty() {
        return Err(ConfigError::invalid(
            key,
            format!("{} holds no certificate", path.display()),
            "a PEM file of CA certificates",
        ));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brief_keeps_one_line_and_cuts_long_text() {
        assert_eq!(brief("5.1.1 <a@b>\r\n  mailbox   unavailable", 80), "5.1.1 <a@b> mailbox unavailable");
        let long = "x".repeat(300);
        let cut = brief(&long, 100);
        assert_eq!(cut.chars().count(), 100);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn config_errors_name_the_key() {
        let e = ConfigError::invalid("webhook.url", "no host", "an http or https URL");
        assert_eq!(e.to_string(), "webhook.url: no host (accepted: an http or https URL)");
    }
}
