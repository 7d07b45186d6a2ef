//! Email over SMTP: STARTTLS (required, never opportunistic), implicit TLS, or plain to a relay
//! on this machine. One message per connection, `multipart/alternative` with a text and an HTML
//! part (rendered by [`render_mail`]).
//!
//! The `Message-ID` is made from the idempotency key, so a reminder sent again after a crash
//! carries the same `Message-ID` and mail systems (and people) can see it is the same message.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use super::{ConfigError, Delivered, DeliveryError, brief};

pub use super::mail::{MailParagraph, ReminderMail, render_mail};

/// How the connection to the mail server is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS; sending fails if the server does not offer it
    /// (usually port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// No encryption: only for a relay on this machine (credentials are refused unless the host
    /// is a loopback address or `localhost`).
    None,
}

/// The mail server reminders are sent through (`[smtp]` in the configuration).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, `"Clinic <reminders@example.org>"` or a bare address.
    pub from: String,
    /// An extra trusted root (PEM) for a relay with a private certificate authority.
    pub ca_file: Option<PathBuf>,
    /// How long to wait for the server at each step (connecting, each reply).
    pub timeout_seconds: u32,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 587,
            security: SmtpSecurity::Starttls,
            username: None,
            password: None,
            from: String::new(),
            ca_file: None,
            timeout_seconds: 30,
        }
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("ca_file", &self.ca_file)
            .field("timeout_seconds", &self.timeout_seconds)
            .finish()
    }
}

/// One email to send.
#[derive(Debug, Clone)]
pub struct Email {
    /// Stable for the reminder: the `Message-ID` and `X-Needlepath-Idempotency-Key` come from it.
    pub idempotency_key: String,
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Sent as `List-Unsubscribe` with one-click unsubscribe (RFC 8058).
    pub unsubscribe_url: Option<String>,
}

const IDEMPOTENCY_HEADER: HeaderName = HeaderName::new_from_ascii_str("X-Needlepath-Idempotency-Key");
const LIST_UNSUBSCRIBE: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe");
const LIST_UNSUBSCRIBE_POST: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe-Post");

/// Sends email through one configured server.
#[derive(Clone)]
pub struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    server: String,
    timeout: Duration,
}

impl fmt::Debug for EmailSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailSender").field("server", &self.server).field("from", &self.from).finish()
    }
}

impl EmailSender {
    /// Checks the configuration and prepares the transport (reads `ca_file`); connects only
    /// when sending.
    pub fn new(cfg: &SmtpConfig) -> Result<Self, ConfigError> {
        let host = cfg.host.trim();
        if host.is_empty() {
            return Err(ConfigError::invalid("smtp.host", "missing", "the mail server's name or IP address"));
        }
        if cfg.port == 0 {
            return Err(ConfigError::invalid("smtp.port", "0", "a TCP port, usually 587 (starttls) or 465 (tls)"));
        }
        if cfg.timeout_seconds == 0 || cfg.timeout_seconds > 600 {
            return Err(ConfigError::invalid("smtp.timeout_seconds", cfg.timeout_seconds.to_string(), "1 to 600"));
        }
        let from: Mailbox = cfg.from.parse().map_err(|e| {
            ConfigError::invalid(
                "smtp.from",
                format!("{:?} is not a mailbox: {e}", cfg.from),
                "\"Name <address@domain>\" or an address",
            )
        })?;
        let credentials = match (&cfg.username, &cfg.password) {
            (Some(u), Some(p)) => Some(Credentials::new(u.clone(), p.clone())),
            (None, None) => None,
            _ => {
                return Err(ConfigError::invalid(
                    "smtp.username",
                    "username and password must be set together",
                    "both smtp.username and smtp.password, or neither",
                ));
            }
        };
        if cfg.security == SmtpSecurity::None && credentials.is_some() && !is_loopback_host(host) {
            return Err(ConfigError::invalid(
                "smtp.security",
                format!("\"none\" would send the password unencrypted to {host}"),
                "\"starttls\" or \"tls\"; \"none\" with credentials only for 127.0.0.1, ::1 or localhost",
            ));
        }
        let tls = match cfg.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::Starttls => Tls::Required(tls_parameters(host, cfg)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters(host, cfg)?),
        };
        let timeout = Duration::from_secs(u64::from(cfg.timeout_seconds));
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(cfg.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let Some(c) = credentials {
            builder = builder.credentials(c);
        }
        Ok(Self { transport: builder.build(), from, server: format!("{host}:{}", cfg.port), timeout })
    }

    /// Sends one email; one connection per call.
    pub async fn send(&self, e: &Email) -> Result<Delivered, DeliveryError> {
        let message = self.message(e)?;
        // lettre's timeout bounds each step; this bounds a server that answers slowly at every one.
        let whole = self.timeout * 4;
        let sent = tokio::time::timeout(whole, self.transport.send(message)).await.map_err(|_| {
            DeliveryError::retry(format!(
                "the mail server at {} did not finish within {}s",
                self.server,
                whole.as_secs()
            ))
        })?;
        match sent {
            Ok(reply) => {
                let text = reply.message().collect::<Vec<_>>().join(" ");
                Ok(Delivered { detail: brief(&format!("{} {text}", reply.code()), 200) })
            }
            Err(err) => Err(self.classify(&err)),
        }
    }

    /// The message as it goes on the wire.
    pub(crate) fn message(&self, e: &Email) -> Result<Message, DeliveryError> {
        let address: Address =
            e.to.trim().parse().map_err(|err| {
                DeliveryError::permanent(format!("the recipient address {:?} is not valid: {err}", e.to))
            })?;
        let to = Mailbox::new(e.to_name.as_deref().map(one_line).filter(|n| !n.is_empty()), address);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(one_line(&e.subject))
            .message_id(Some(message_id(&e.idempotency_key)))
            .raw_header(HeaderValue::new(IDEMPOTENCY_HEADER, one_line(&e.idempotency_key)));
        if let Some(url) = &e.unsubscribe_url {
            let url = url.trim();
            if url.is_empty() || url.len() > 900 || !url.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
            {
                return Err(DeliveryError::permanent("the unsubscribe link is not a plain URL"));
            }
            let value = format!("<{url}>");
            builder = builder
                .raw_header(HeaderValue::dangerous_new_pre_encoded(LIST_UNSUBSCRIBE, value.clone(), value))
                .raw_header(HeaderValue::new(LIST_UNSUBSCRIBE_POST, "List-Unsubscribe=One-Click".into()));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(e.text.clone(), e.html.clone()))
            .map_err(|err| DeliveryError::permanent(format!("the message could not be built: {err}")))
    }

    fn classify(&self, err: &lettre::transport::smtp::Error) -> DeliveryError {
        let said = || brief(&std::error::Error::source(err).map(ToString::to_string).unwrap_or_default(), 160);
        if let Some(code) = err.status() {
            let reason = format!("the mail server at {} answered {code} {}", self.server, said());
            return DeliveryError { retryable: !err.is_permanent(), reason: reason.trim_end().to_string() };
        }
        let server = &self.server;
        let reason = if err.is_timeout() {
            format!("no answer from the mail server at {server} within {}s", self.timeout.as_secs())
        } else if let Some(tls) = super::find_tls_error(err).or(err.is_tls().then(said)) {
            format!("TLS with the mail server at {server} failed: {tls} (a private CA goes in smtp.ca_file)")
        } else if err.is_client() {
            format!("the mail server at {server} could not be used: {}", said())
        } else {
            format!("could not reach the mail server at {server}: {}", said())
        };
        DeliveryError::retry(reason)
    }
}

fn tls_parameters(host: &str, cfg: &SmtpConfig) -> Result<TlsParameters, ConfigError> {
    let mut builder = TlsParameters::builder(host.to_string());
    if let Some(path) = &cfg.ca_file {
        for der in super::read_pem_certificates("smtp.ca_file", path)? {
            let cert = Certificate::from_der(der.to_vec())
                .map_err(|e| ConfigError::invalid("smtp.ca_file", e.to_string(), "a PEM file of CA certificates"))?;
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build_rustls()
        .map_err(|e| ConfigError::invalid("smtp.ca_file", e.to_string(), "a PEM file of CA certificates"))
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Header text on one line (a stray newline would otherwise end the header).
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

/// `<key@needlepath.invalid>`, the key kept readable where it is `[A-Za-z0-9_-]` and every other
/// byte written `=XX`, so distinct keys give distinct Message-IDs; very long keys are hashed.
pub fn message_id(key: &str) -> String {
    use std::fmt::Write as _;
    let mut local = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            local.push(char::from(b));
        } else {
            let _ = write!(local, "={b:02X}");
        }
    }
    if local.is_empty() || local.len() > 120 {
        let digest = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
        local = digest.as_ref().iter().fold(String::from("h-"), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
    }
    format!("<{local}@needlepath.invalid>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_distinct_and_valid() {
        assert_eq!(message_id("rem-42_a"), "<rem-42_a@needlepath.invalid>");
        assert_eq!(message_id("rem:42/a b"), "<rem=3A42=2Fa=20b@needlepath.invalid>");
        assert_ne!(message_id("a:b"), message_id("a/b"));
        assert_ne!(message_id("a=3Ab"), message_id("a:b"));
        let long = message_id(&"k".repeat(500));
        assert!(long.starts_with("<h-") && long.len() < 100, "{long}");
        assert!(message_id("").starts_with("<h-"));
    }

    fn config() -> SmtpConfig {
        SmtpConfig {
            host: "mail.example.org".into(),
            from: "Clinic <reminders@example.org>".into(),
            ..Default::default()
        }
    }

    fn err(cfg: &SmtpConfig) -> String {
        EmailSender::new(cfg).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn config_errors_name_the_key() {
        assert!(EmailSender::new(&config()).is_ok());
        assert!(err(&SmtpConfig { host: " ".into(), ..config() }).starts_with("smtp.host:"));
        assert!(err(&SmtpConfig { from: "not a mailbox".into(), ..config() }).starts_with("smtp.from:"));
        assert!(err(&SmtpConfig { username: Some("u".into()), ..config() }).starts_with("smtp.username:"));
        assert!(err(&SmtpConfig { timeout_seconds: 0, ..config() }).starts_with("smtp.timeout_seconds:"));
        let cleartext = SmtpConfig {
            security: SmtpSecurity::None,
            username: Some("u".into()),
            password: Some("secret-password".into()),
            ..config()
        };
        let e = err(&cleartext);
        assert!(e.starts_with("smtp.security:") && !e.contains("secret-password"), "{e}");
        assert!(EmailSender::new(&SmtpConfig { host: "127.0.0.1".into(), ..cleartext.clone() }).is_ok());
        let missing = SmtpConfig { ca_file: Some("/nonexistent/ca.pem".into()), ..config() };
        assert!(err(&missing).starts_with("smtp.ca_file:"));
    }

    #[test]
    fn debug_hides_the_password() {
        let cfg = SmtpConfig { username: Some("u".into()), password: Some("hunter2-secret".into()), ..config() };
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }

    #[test]
    fn config_reads_from_toml_with_defaults_and_rejects_unknown_keys() {
        let cfg: SmtpConfig =
            toml::from_str("host = \"mx\"\nfrom = \"a@b.org\"\nsecurity = \"tls\"\nport = 465").unwrap();
        assert_eq!((cfg.security, cfg.port, cfg.timeout_seconds), (SmtpSecurity::Tls, 465, 30));
        assert!(toml::from_str::<SmtpConfig>("hots = \"mx\"").is_err());
        assert!(toml::from_str::<SmtpConfig>("security = \"ssl\"").is_err());
    }
}
