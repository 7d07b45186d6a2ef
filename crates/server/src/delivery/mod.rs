//! TEMPORARY STUB until the channels branch is merged.
#![allow(dead_code, unused_variables)]
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct DeliveryError {
    pub retryable: bool,
    pub reason: String,
}
pub struct Delivered {
    pub detail: String,
}
#[derive(Debug, thiserror::Error)]
#[error("config")]
pub struct ConfigError;
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmtpConfig {
    pub host: String,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookConfig {
    pub url: String,
}
pub struct Email {
    pub idempotency_key: String,
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub unsubscribe_url: Option<String>,
}
pub struct EmailSender;
impl EmailSender {
    pub fn new(cfg: &SmtpConfig) -> Result<Self, ConfigError> {
        Ok(Self)
    }
    pub async fn send(&self, e: &Email) -> Result<Delivered, DeliveryError> {
        Err(DeliveryError { retryable: true, reason: String::new() })
    }
}
pub struct WebhookSender;
impl WebhookSender {
    pub fn new(cfg: &WebhookConfig) -> Result<Self, ConfigError> {
        Ok(Self)
    }
    pub async fn post(
        &self,
        k: &str,
        body: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Delivered, DeliveryError> {
        Err(DeliveryError { retryable: true, reason: String::new() })
    }
}
pub struct ReminderMail {
    pub clinic: String,
    pub heading: String,
    pub paragraphs: Vec<MailParagraph>,
    pub action: Option<(String, String)>,
    pub sources: Vec<String>,
    pub unsubscribe_url: Option<String>,
}
pub struct MailParagraph {
    pub text: String,
    pub sources: Vec<usize>,
}
pub fn render_mail(m: &ReminderMail) -> (String, String) {
    (String::new(), String::new())
}
