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

    /// Takes a login attempt's turn under every rule at once, in one transaction: if any key
    /// must still wait, nothing is counted and the longest wait is the answer; otherwise the
    /// attempt is counted under each key (before the password is checked, so parallel guesses
    /// cannot all slip through), each key's next turn set from its rule, and the counts returned
    /// in the order of `rules`. Issue 14, defect 2.
    async fn take_login_turn(&self, rules: &[ThrottleRule], now: DateTime<Utc>) -> Result<LoginTurn>;

    /// Forgets the attempts under `keys` (after a successful login).
    async fn forget_login_attempts(&self, keys: &[String]) -> Result<()>;

    /// Deletes the throttle rows whose last attempt was before `before`; how many.
    async fn prune_login_attempts(&self, before: DateTime<Utc>) -> Result<u64>;

    /// Remembers a device (by the hash of its cookie's secret) the staff member logged in from.
    async fn trust_device(&self, clinic: ClinicId, staff: StaffId, token_hash: &str, now: DateTime<Utc>) -> Result<()>;

    /// The staff member a remembered device belongs to, if it is one.
    async fn trusted_device(&self, token_hash: &str) -> Result<Option<(ClinicId, StaffId)>>;

    /// The installation's key named `name`: the stored one, or `fresh` (random, from the
    /// caller) stored now if there is none yet. Every instance gets the same key.
    async fn service_key(&self, name: &str, fresh: &str) -> Result<String>;

    /// Queues `message` to a staff member about their own account (a login warning); the same
    /// message key queues once.
    async fn tell_account_owner(&self, clinic: ClinicId, staff: StaffId, message: NewMessage) -> Result<()>;
}

/// One login throttle: attempts under `key` within `window` of each other go unhindered up to
/// `free`; after that each attempt waits, `first_wait` doubling with each further one up to
/// `cap`. Slows a guesser to a crawl without ever locking the key out for longer than `cap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleRule {
    /// The key, hashed by the caller: what is throttled (an account, an account from one
    /// address, an address, a device) without keeping an e-mail or IP address.
    pub key: String,
    pub free: u32,
    pub first_wait: chrono::Duration,
    pub cap: chrono::Duration,
    /// Attempts are forgotten once this long has passed since the last.
    pub window: chrono::Duration,
}

impl ThrottleRule {
    /// How long the next attempt waits after `attempts` counted ones.
    pub fn wait_after(&self, attempts: u32) -> chrono::Duration {
        if attempts < self.free {
            return chrono::Duration::zero();
        }
        let doublings = (attempts - self.free).min(20);
        let wait = self.first_wait * (1_i32 << doublings);
        wait.min(self.cap)
    }
}

/// A login attempt's turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginTurn {
    /// It may go ahead; the attempts now counted under each rule's key, this one included.
    Go(Vec<u32>),
    /// Not yet: try again in this many seconds (at least 1).
    Wait(u64),
}

/// A sign-in message as staff may see it: without its link.
pub fn redact_link(kind: MessageKind, payload: &mut serde_json::Value) {
    if kind == SIGN_IN_KIND
        && let Some(o) = payload.as_object_mut()
    {
        o.remove("link");
    }
}
