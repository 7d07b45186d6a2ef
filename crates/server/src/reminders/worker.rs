//! The outbox worker: claims due messages, delivers them, records each outcome.
//!
//! At-least-once, made safe by idempotency keys: a message is claimed under a lease, delivered,
//! then marked. A worker that dies between delivering and marking leaves the message claimed;
//! when the lease runs out another worker (or this one, restarted) delivers it again with the
//! same key — the e-mail's Message-ID and the webhook's `Idempotency-Key` — so the receiver can
//! drop the repeat. Nothing is lost, because nothing leaves the table until it is marked.
//!
//! Failures are retried with exponential backoff and jitter; after `max_attempts` the message
//! stays `failed` (the dead letter), with the reason, on the patient's record for staff to see.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use needlepath_store::{Channel, ClinicId, Message, MessageId, MessageNote, Outcome, Recipient, StoreError};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use crate::App;
use crate::clinic::{ClinicError, outbox};
use crate::delivery::{ConfigError, DeliveryError, EmailSender, SmtpConfig, WebhookConfig, WebhookSender};
use crate::i18n::default_locale;
use crate::reminders::render;

/// How the worker runs, and the channels it delivers through (`[reminders]` in the
/// configuration file).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReminderConfig {
    /// Whether this instance runs a worker (several instances may; on PostgreSQL they share).
    pub worker: bool,
    /// Messages claimed per round.
    pub batch: u32,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// How long to wait between rounds when there was nothing to do.
    pub poll_milliseconds: u64,
    /// How long a claim holds: a delivery still unmarked after this is taken again.
    pub lease_seconds: u64,
    /// Attempts before a message is given up (the dead letter).
    pub max_attempts: u32,
    /// The first retry's delay; each further retry doubles it (with jitter), up to a cap.
    pub backoff_seconds: u64,
    pub backoff_max_seconds: u64,
    /// A reminder this many hours late (the service was down) is skipped, not sent.
    pub stale_hours: u32,
    pub smtp: Option<SmtpConfig>,
    pub webhook: Option<WebhookConfig>,
}

impl Default for ReminderConfig {
    fn default() -> Self {
        Self {
            worker: true,
            batch: 200,
            concurrency: 32,
            poll_milliseconds: 500,
            lease_seconds: 120,
            max_attempts: 8,
            backoff_seconds: 60,
            backoff_max_seconds: 6 * 3600,
            stale_hours: 48,
            smtp: None,
            webhook: None,
        }
    }
}

/// The channels, set up once from the configuration.
pub struct Couriers {
    pub email: Option<EmailSender>,
    pub webhook: Option<WebhookSender>,
}

impl Couriers {
    pub fn new(config: &ReminderConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            email: config.smtp.as_ref().map(EmailSender::new).transpose()?,
            webhook: config.webhook.as_ref().map(WebhookSender::new).transpose()?,
        })
    }
}

/// One worker. Several may run against one database.
pub struct Worker {
    app: Arc<App>,
    couriers: Arc<Couriers>,
    id: String,
}

impl Worker {
    pub fn new(app: Arc<App>, couriers: Arc<Couriers>) -> Self {
        let id = format!("worker-{}", uuid::Uuid::now_v7());
        Self { app, couriers, id }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// One round: claims a batch, delivers it, records the outcomes. Returns how many messages
    /// it handled.
    pub async fn run_once(&self) -> Result<usize, crate::clinic::ClinicError> {
        let cfg = &self.app.config.reminders;
        let now = Utc::now();
        let lease = now + chrono::Duration::seconds(i64::try_from(cfg.lease_seconds).unwrap_or(120));
        let claimed = outbox::claim(&self.app, &self.id, now, lease, cfg.batch).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let n = claimed.len();
        let mut tasks = JoinSet::new();
        let mut outcomes = Vec::with_capacity(n);
        let limit = cfg.concurrency.max(1);
        for m in claimed {
            while tasks.len() >= limit {
                if let Some(Ok(done)) = tasks.join_next().await {
                    outcomes.push(done);
                }
            }
            let app = self.app.clone();
            let couriers = self.couriers.clone();
            tasks.spawn(async move {
                let outcome = deliver(&app, &couriers, &m).await;
                (m.clinic, m.id, outcome)
            });
        }
        while let Some(done) = tasks.join_next().await {
            if let Ok(done) = done {
                outcomes.push(done);
            }
        }
        record_metrics(&self.app, &outcomes);
        outbox::complete(&self.app, &self.id, &outcomes, Utc::now()).await?;
        Ok(n)
    }

    /// Runs rounds until `stop` turns true; a full batch goes straight on to the next round.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let idle = Duration::from_millis(self.app.config.reminders.poll_milliseconds.max(10));
        loop {
            if *stop.borrow() {
                return;
            }
            let pause = match self.run_once().await {
                Ok(n) if n >= self.app.config.reminders.batch as usize => Duration::ZERO,
                Ok(_) => idle,
                Err(e) => {
                    tracing::warn!(error = %e, worker = %self.id, "outbox round failed");
                    idle * 4
                }
            };
            if !pause.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }
}

fn record_metrics(app: &App, outcomes: &[(ClinicId, MessageId, Outcome)]) {
    use crate::metrics::Metrics;
    for (_, _, o) in outcomes {
        match o {
            Outcome::Sent { .. } => Metrics::inc(&app.metrics.messages_sent),
            Outcome::Retry { .. } => Metrics::inc(&app.metrics.messages_retried),
            Outcome::Failed { .. } => Metrics::inc(&app.metrics.messages_failed),
            Outcome::Skipped { .. } => Metrics::inc(&app.metrics.messages_skipped),
        }
    }
}

/// The delay before attempt `attempts + 1`: base · 2^(attempts−1), capped, with ±20 % jitter so
/// a burst of failures does not retry in lockstep.
pub fn backoff(cfg: &ReminderConfig, attempts: u32, now: DateTime<Utc>) -> DateTime<Utc> {
    let exp = attempts.saturating_sub(1).min(20);
    let base = cfg.backoff_seconds.saturating_mul(1_u64 << exp).min(cfg.backoff_max_seconds);
    let jitter = 0.8 + 0.4 * rand::random::<f64>();
    let secs = (base as f64 * jitter).round() as i64;
    now + chrono::Duration::seconds(secs.max(1))
}

/// A message not sent by design, with why as a code (rendered in the reader's words where it is
/// shown), never an English sentence in the row.
fn skipped(note: MessageNote) -> Outcome {
    Outcome::Skipped { reason: note.code() }
}

async fn deliver(app: &App, couriers: &Couriers, m: &Message) -> Outcome {
    let cfg = &app.config.reminders;
    let now = Utc::now();
    if m.recipient != Recipient::Clinic && now - m.due_at > chrono::Duration::hours(i64::from(cfg.stale_hours)) {
        return skipped(MessageNote::Stale { hours: cfg.stale_hours });
    }
    let to = match outbox::addressee(app, m.clinic, m.recipient).await {
        Ok(a) => a,
        Err(ClinicError::Store(StoreError::NotFound(what))) => {
            return skipped(MessageNote::RecipientGone { what: what.to_string() });
        }
        Err(e) => return retry_or_fail(cfg, m, format!("could not read the recipient: {e}"), now),
    };
    let t = default_locale();
    let result: Result<String, DeliveryError> = match m.channel {
        Channel::Email => {
            let Some(sender) = &couriers.email else {
                return skipped(MessageNote::EmailNotSetUp);
            };
            let Some(address) = to.email.as_deref().filter(|a| !a.trim().is_empty()) else {
                return skipped(MessageNote::NoEmailAddress);
            };
            // A sign-in link is the patient's way back in, not a reminder: it goes to the
            // address on record whatever the reminder choices.
            if !to.email_allowed && m.kind != needlepath_store::SIGN_IN_KIND {
                return skipped(MessageNote::EmailOff);
            }
            let protocol = match app.protocol_for(m.clinic).await {
                Ok(p) => p,
                Err(_) => app.protocol.clone(),
            };
            let reach = crate::clinic::clinic_by_id(app, m.clinic).await.ok().map(|c| crate::reach::Reach::of(&c));
            let unsubscribe = match m.recipient {
                Recipient::Patient(_) if m.kind != needlepath_store::SIGN_IN_KIND => {
                    match crate::clinic::unsubscribe::path(app, m.id).await {
                        Ok(path) => Some(path),
                        Err(e) => {
                            return retry_or_fail(cfg, m, format!("could not make the unsubscribe link: {e}"), now);
                        }
                    }
                }
                _ => None,
            };
            let links = render::Links { public_url: &app.config.public_url, unsubscribe: unsubscribe.as_deref() };
            let email = match render::email(t, &protocol, links, m, &to, address, reach.as_ref()) {
                Ok(e) => e,
                Err(e) => return Outcome::Failed { error: e.to_string() },
            };
            sender.send(&email).await.map(|d| d.detail)
        }
        Channel::Webhook => {
            let Some(sender) = &couriers.webhook else {
                return skipped(MessageNote::WebhookNotSetUp);
            };
            if let Recipient::Patient(_) = m.recipient {
                if to.phone.as_deref().is_none_or(|p| p.trim().is_empty()) {
                    return skipped(MessageNote::NoPhone);
                }
                if !to.sms_allowed {
                    return skipped(MessageNote::SmsOff);
                }
            }
            let body = match render::webhook_body(t, &app.config.public_url, m, &to, now) {
                Ok(b) => b,
                Err(e) => return Outcome::Failed { error: e.to_string() },
            };
            sender.post(&m.idempotency_key, &body, now).await.map(|d| d.detail)
        }
    };
    match result {
        Ok(detail) => Outcome::Sent { detail },
        Err(e) if e.retryable => retry_or_fail(cfg, m, e.reason, now),
        Err(e) => Outcome::Failed { error: e.reason },
    }
}

fn retry_or_fail(cfg: &ReminderConfig, m: &Message, error: String, now: DateTime<Utc>) -> Outcome {
    if m.attempts >= cfg.max_attempts {
        Outcome::Failed { error: format!("gave up after {} attempts: {error}", m.attempts) }
    } else {
        Outcome::Retry { error, at: backoff(cfg, m.attempts, now) }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let cfg = ReminderConfig::default();
        let now = Utc::now();
        for (attempt, base) in [(1_u32, 60_i64), (2, 120), (3, 240), (12, 6 * 3600)] {
            let d = (backoff(&cfg, attempt, now) - now).num_seconds();
            assert!(d >= base * 8 / 10 - 1 && d <= base * 12 / 10 + 1, "attempt {attempt}: {d}s");
        }
    }
}
