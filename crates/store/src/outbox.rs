//! Reminders: booked appointments, the durable outbox of messages, and each patient's choices
//! about how they are reached.
//!
//! The outbox is what makes reminders reliable. A message is written in the same transaction as
//! the change that causes it (booking, recording a session, an alert opening), so it exists
//! exactly when its cause does. Workers claim due messages with a lease — on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so several service instances never take the same one; on SQLite the
//! single writer serialises claims — and record each outcome only while their claim still holds.
//! A worker that dies mid-delivery loses nothing: its lease runs out and the message is claimed
//! again, with the same idempotency key, so the receiver can tell a resend from a new message.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codes::{AppointmentStatus, IanaZone, MessageKind};
use crate::records::*;
use crate::{AppointmentId, MessageId, Result};

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// E-mail over SMTP.
    Email,
    /// A signed JSON POST (an SMS gateway, the clinic's own systems).
    Webhook,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Webhook];

    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Waiting for its time (or for its next attempt after a failure).
    Pending,
    /// Claimed by a worker, being delivered.
    Sending,
    /// Accepted by the receiving server.
    Sent,
    /// Given up: the dead-letter state, with the reason.
    Failed,
    /// Not sent, by design: the patient opted out, has no address, or the channel is not set up.
    Skipped,
    /// Withdrawn before it was sent: its appointment was moved or cancelled.
    Withdrawn,
}

impl MessageStatus {
    pub const ALL: [MessageStatus; 6] = [
        MessageStatus::Pending,
        MessageStatus::Sending,
        MessageStatus::Sent,
        MessageStatus::Failed,
        MessageStatus::Skipped,
        MessageStatus::Withdrawn,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Pending => "pending",
            MessageStatus::Sending => "sending",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
            MessageStatus::Skipped => "skipped",
            MessageStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Who a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(inline)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Recipient {
    Patient(PatientId),
    Staff(StaffId),
    /// The clinic's own systems (the webhook), for events such as a new alert.
    Clinic,
}

/// A message to queue. `key` only needs to be unique within its cause: the store prefixes it
/// with the cause (appointment, session or alert, and the appointment's revision), which makes
/// the message's idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub key: String,
    pub recipient: Recipient,
    /// What it is about.
    pub kind: MessageKind,
    pub channel: Channel,
    pub due_at: DateTime<Utc>,
    /// What the message says, rendered by the worker at delivery.
    pub payload: Value,
}

/// A message as kept.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Message {
    pub id: MessageId,
    pub clinic: ClinicId,
    pub idempotency_key: String,
    pub recipient: Recipient,
    pub kind: MessageKind,
    pub channel: Channel,
    pub due_at: DateTime<Utc>,
    pub status: MessageStatus,
    pub attempts: u32,
    /// When it may next be claimed (the next attempt, or when a claim's lease runs out).
    pub next_attempt_at: DateTime<Utc>,
    #[schemars(schema_with = "crate::schema::object")]
    pub payload: Value,
    /// Why the last attempt failed (the receiving server's words), or why it was skipped or
    /// withdrawn (a code: read it with [`crate::MessageNote::from_stored`]).
    #[schemars(
        description = "Why the last attempt failed (the receiving server's words), or why it was skipped or withdrawn (in words)."
    )]
    pub last_error: Option<String>,
    /// The receiving server's answer ("250 2.0.0 queued", "HTTP 202").
    pub detail: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What happened when a worker tried to deliver a message it claimed.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Sent {
        detail: String,
    },
    /// Try again at `at` (backoff); after too many attempts the worker says `Failed` instead.
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    Failed {
        error: String,
    },
    /// Not sent by design; `reason` is a [`crate::MessageNote`] code.
    Skipped {
        reason: String,
    },
}

/// The change a message comes from; with the message's own key it makes the idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageSource {
    /// An appointment, at a revision (each move gets fresh keys).
    Appointment(AppointmentId, u32),
    Session(SessionId),
    Alert(AlertId),
    /// An invite or sign-in link sent by e-mail (its own id: each link is a new message).
    Invite(uuid::Uuid),
    /// A staff member's account: the warning that someone is guessing at its password.
    Account(StaffId),
}

impl MessageSource {
    pub const fn kind(self) -> &'static str {
        match self {
            MessageSource::Appointment(..) => "appointment",
            MessageSource::Session(_) => "session",
            MessageSource::Alert(_) => "alert",
            MessageSource::Invite(_) => "invite",
            MessageSource::Account(_) => "account",
        }
    }

    pub fn id(self) -> uuid::Uuid {
        match self {
            MessageSource::Appointment(id, _) => id.0,
            MessageSource::Session(id) => id.0,
            MessageSource::Alert(id) => id.0,
            MessageSource::Invite(id) => id,
            MessageSource::Account(id) => id.0,
        }
    }

    /// The idempotency key of a message of this source.
    pub fn key(self, message: &NewMessage) -> String {
        let channel = message.channel.as_str();
        match self {
            MessageSource::Appointment(id, rev) => format!("appointment:{id}:r{rev}:{}:{channel}", message.key),
            MessageSource::Session(id) => format!("session:{id}:{}:{channel}", message.key),
            MessageSource::Alert(id) => format!("alert:{id}:{}:{channel}", message.key),
            MessageSource::Invite(id) => format!("invite:{id}:{}:{channel}", message.key),
            MessageSource::Account(id) => format!("account:{id}:{}:{channel}", message.key),
        }
    }
}

/// A booked session.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Appointment {
    pub id: AppointmentId,
    pub clinic: ClinicId,
    pub patient: PatientId,
    pub plan: Option<PlanId>,
    pub starts_at: DateTime<Utc>,
    pub minutes: u32,
    pub status: AppointmentStatus,
    /// Counts the moves: reminders of each revision have their own keys.
    pub revision: u32,
    pub session: Option<SessionId>,
    pub note: Option<String>,
    /// Who treats; one practitioner's booked appointments never overlap.
    pub practitioner: Option<StaffId>,
    /// Why it was booked outside the plan's window for the next session, when it was.
    pub window_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAppointment {
    pub patient: PatientId,
    pub plan: Option<PlanId>,
    pub starts_at: DateTime<Utc>,
    pub minutes: u32,
    pub note: Option<String>,
    /// The practitioner; the store refuses (`Conflict`) an overlap with their booked appointments.
    pub practitioner: Option<StaffId>,
    pub window_reason: Option<String>,
}

/// A patient's choices about reminders. Without a stored choice, both channels are on (the
/// patient's consent to messages, kept on the patient, still applies).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ReminderSettings {
    pub email: bool,
    pub sms: bool,
    /// Whether a calendar-feed link exists (the token itself is only shown when made).
    pub calendar_feed: bool,
    pub calendar_feed_created_at: Option<DateTime<Utc>>,
}

/// What a worker needs to address a message: the recipient's contact details and choices.
#[derive(Debug, Clone, PartialEq)]
pub struct Addressee {
    pub clinic_name: String,
    pub time_zone: IanaZone,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Consent and per-channel choice together: whether this channel may be used.
    pub email_allowed: bool,
    pub sms_allowed: bool,
}

/// Everything about reminders. Implementations must pass `tests/conformance/`.
#[async_trait]
pub trait Reminders: Send + Sync {
    // --- appointments ----------------------------------------------------------------------
    /// Books a session and queues its reminders, in one transaction.
    async fn book_appointment(
        &self,
        actor: &Actor,
        appointment: NewAppointment,
        messages: Vec<NewMessage>,
    ) -> Result<Appointment>;
    /// Moves a booked session: what was still pending is withdrawn and `messages` queued, in one
    /// transaction.
    async fn reschedule_appointment(
        &self,
        actor: &Actor,
        patient: PatientId,
        id: AppointmentId,
        starts_at: DateTime<Utc>,
        messages: Vec<NewMessage>,
    ) -> Result<Appointment>;
    /// Cancels a booked session and withdraws what was still pending.
    async fn cancel_appointment(&self, actor: &Actor, patient: PatientId, id: AppointmentId) -> Result<Appointment>;
    async fn list_appointments(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Appointment>>;

    // --- the outbox ------------------------------------------------------------------------
    /// Claims up to `limit` messages due at `now` (pending, or sending with an expired lease)
    /// for `worker`, leasing them until `lease_until`; each claim counts as an attempt.
    async fn claim_messages(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Message>>;
    /// Records outcomes of messages `worker` claimed, in one transaction. An outcome whose claim
    /// was lost (the lease ran out and another worker took the message) is not recorded; the
    /// answer says how many were.
    async fn complete_messages(
        &self,
        worker: &str,
        outcomes: &[(ClinicId, MessageId, Outcome)],
        now: DateTime<Utc>,
    ) -> Result<u64>;
    /// The contact details a message goes to.
    async fn addressee(&self, clinic: ClinicId, recipient: Recipient) -> Result<Addressee>;
    /// A patient's messages, newest due first (staff and the patient themself).
    async fn list_messages(&self, actor: &Actor, patient: PatientId, limit: u32) -> Result<Vec<Message>>;
    /// Queues messages outside any other change (the command line, load tests), in batches.
    async fn enqueue(&self, clinic: ClinicId, source: MessageSource, messages: &[NewMessage]) -> Result<u64>;
    /// Puts a failed message back in the queue (staff, after fixing an address).
    async fn retry_message(&self, actor: &Actor, id: MessageId, now: DateTime<Utc>) -> Result<Message>;

    // --- patient choices and the calendar feed ---------------------------------------------
    async fn reminder_settings(&self, actor: &Actor, patient: PatientId) -> Result<ReminderSettings>;
    async fn set_reminder_channels(
        &self,
        actor: &Actor,
        patient: PatientId,
        email: bool,
        sms: bool,
    ) -> Result<ReminderSettings>;
    /// Replaces the patient's calendar-feed token (the old link stops working at once); `None`
    /// turns the feed off.
    async fn set_calendar_token(
        &self,
        actor: &Actor,
        patient: PatientId,
        token_hash: Option<&str>,
    ) -> Result<ReminderSettings>;
    /// Turns e-mail reminders off for the patient a message was sent to (the e-mail's
    /// unsubscribe link); `None` when there is no such message.
    async fn unsubscribe(&self, message: MessageId) -> Result<Option<PatientId>>;
    /// The patient a calendar-feed token belongs to, with what the feed shows: their booked
    /// appointments and their reminders (the e-mail copy of each, which every reminder has).
    async fn calendar_feed(&self, token_hash: &str) -> Result<Option<(Patient, Vec<Appointment>, Vec<Message>)>>;
}
