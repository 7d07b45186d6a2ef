//! Getting patients back in: sign-in links sent by e-mail, and what a dead end may say.
//!
//! A sign-in link is an invite (single use, expiring, only its SHA-256 kept) whose link is
//! e-mailed through the outbox: the invite and its message are written in one transaction, so a
//! link exists exactly when its e-mail is queued, and the worker retries the e-mail like any
//! other. The message's payload carries the link until it is delivered; listings for staff never
//! show it (see [`redact_link`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::codes::MessageKind;
use crate::outbox::NewMessage;
use crate::records::*;

/// The message kind of an e-mailed invite or sign-in link.
pub const SIGN_IN_KIND: MessageKind = MessageKind::SignIn;

#[async_trait]
pub trait Access: Send + Sync {
    /// The patients (in every clinic) whose e-mail address is `email` (compared in lower case),
    /// for the system to send each a sign-in link. Not audited as a read of patient data: it
    /// reveals nothing to the caller, who only ever sees the same answer.
    async fn patients_by_email(&self, email: &str) -> Result<Vec<(ClinicId, PatientId)>>;

    /// Creates an invite for `patient` and queues `message` (its e-mail) in one transaction;
    /// `actor` is the staff member resending an invite, or the system answering a patient's
    /// request for a sign-in link.
    async fn send_invite(
        &self,
        actor: &Actor,
        patient: PatientId,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        message: NewMessage,
    ) -> Result<()>;

    /// Ends every login of `patient` and, with `withdraw_invites`, withdraws their outstanding
    /// invites and sign-in links (they expire now; a dead end still names the clinic), in one
    /// transaction with its audit record. `actor` is staff ending a patient's access, or the
    /// patient signing out everywhere (their own record only). Returns (logins ended, invites
    /// withdrawn).
    async fn end_patient_access(
        &self,
        actor: &Actor,
        patient: PatientId,
        withdraw_invites: bool,
        now: DateTime<Utc>,
    ) -> Result<(u64, u64)>;

    /// The clinic of an invite, used or expired or not: a dead end shows its contact.
    async fn invite_clinic(&self, token_hash: &str) -> Result<Option<ClinicId>>;
}

/// A sign-in message as staff may see it: without its link.
pub fn redact_link(kind: MessageKind, payload: &mut serde_json::Value) {
    if kind == SIGN_IN_KIND
        && let Some(o) = payload.as_object_mut()
    {
        o.remove("link");
    }
}
