//! Slowing down password guessing without locking the owner out (issue 14, defects 2 and 3).
//!
//! Measured before: with limits of 5 failures per account and 20 per address kept in memory,
//! 36 of 60 parallel guesses reached one account and 150 of 150 against unknown e-mails, the
//! counts were per process (several instances multiplied them), and five wrong passwords locked
//! the real owner out for the window.
//!
//! Now every attempt takes a turn in the database before its password is checked
//! ([`Access::take_login_turn`]: read and count in one transaction, so parallel guesses are
//! counted one by one and instances sharing a PostgreSQL share the counts), under these keys:
//!
//! - from a device the staff member logged in from before (a cookie whose secret's hash the
//!   store keeps): that device alone, so guessing elsewhere never slows the owner down;
//! - from anywhere else: the account from this address, the account from all such addresses
//!   (four times as many), and the address over all accounts.
//!
//! Past a key's free attempts each attempt waits, the wait doubling up to 15 minutes: a backoff
//! that makes guessing useless, never a lockout. When the account's own key reaches its limit,
//! the owner is told by e-mail (once per window). Keys are stored as SHA-256 hashes: no e-mail
//! or IP address is kept in the throttle.

use std::net::IpAddr;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use needlepath_store::{Channel, LoginTurn, MessageKind, NewMessage, Recipient, Staff, ThrottleRule};

use crate::App;
use crate::auth::secrets;
use crate::clinic::ClinicResult;
use crate::problem::ApiError;
use crate::reminders::payload::Payload;

/// The first wait past a key's free attempts; each further attempt doubles it.
const FIRST_WAIT: Duration = Duration::seconds(1);
/// The longest wait: a backoff, never a lockout.
const LONGEST_WAIT: Duration = Duration::minutes(15);
/// The account over every address without a known device gets this many times the per-account
/// attempts: a guesser spread over many addresses is slowed and its owner told.
const ACCOUNT_MULTIPLE: u32 = 4;

/// The keys one login attempt is counted under.
pub struct Turn {
    rules: Vec<ThrottleRule>,
    /// Where in `rules` the account-wide key is (absent from a known device).
    account_rule: Option<usize>,
}

fn rule(app: &App, what: &str, free: u32) -> ThrottleRule {
    ThrottleRule {
        key: secrets::token_hash(what),
        free: free.max(1),
        first_wait: FIRST_WAIT,
        cap: LONGEST_WAIT,
        window: Duration::minutes(i64::from(app.config.login_window_minutes.max(1))),
    }
}

impl Turn {
    /// The keys of an attempt at `email` from `ip`; `device` is the device's own key when the
    /// attempt comes from a device this account logged in from before.
    pub fn of(app: &App, email: &str, ip: IpAddr, device: Option<&str>) -> Self {
        let per_account = app.config.login_failures_per_account;
        match device {
            Some(d) => Self { rules: vec![rule(app, &format!("device:{d}"), per_account)], account_rule: None },
            None => Self {
                rules: vec![
                    rule(app, &format!("pair:{email}|{ip}"), per_account),
                    rule(app, &format!("account:{email}"), per_account.saturating_mul(ACCOUNT_MULTIPLE)),
                    rule(app, &format!("address:{ip}"), app.config.login_failures_per_address),
                ],
                account_rule: Some(1),
            },
        }
    }

    /// Takes the attempt's turn: `Ok(counts)` to go ahead, or 429 `too_many_attempts` with the
    /// wait in `Retry-After`.
    pub async fn take(&self, app: &App) -> ClinicResult<Vec<u32>> {
        match app.records.store().take_login_turn(&self.rules, Utc::now()).await? {
            LoginTurn::Go(counts) => Ok(counts),
            LoginTurn::Wait(seconds) => Err(ApiError::retry_later(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!(
                    "too many failed logins; try again in {seconds} seconds (from a device you have logged in from before, your own attempts are not held up)"
                ),
                seconds,
            )
            .into()),
        }
    }

    /// After a successful login: the attempts under these keys are forgotten.
    pub async fn forget(&self, app: &App) -> ClinicResult<()> {
        let keys: Vec<String> = self.rules.iter().map(|r| r.key.clone()).collect();
        Ok(app.records.store().forget_login_attempts(&keys).await?)
    }

    /// After a failed attempt: when the account-wide count has just reached its limit, the
    /// owner (if the account exists) is e-mailed, once per window.
    pub async fn after_failure(&self, app: &App, counts: &[u32], owner: Option<&Staff>) -> ClinicResult<()> {
        let (Some(i), Some(staff)) = (self.account_rule, owner) else { return Ok(()) };
        let (Some(rule), Some(&count)) = (self.rules.get(i), counts.get(i)) else { return Ok(()) };
        if count != rule.free {
            return Ok(());
        }
        let now = Utc::now();
        let message = warning_message(staff, count, now);
        app.records.store().tell_account_owner(staff.clinic, staff.id, message).await?;
        Ok(())
    }
}

/// The e-mail to an account's owner: someone has tried `count` wrong passwords. Keyed by the
/// hour, so one burst sends one e-mail.
fn warning_message(staff: &Staff, count: u32, now: DateTime<Utc>) -> NewMessage {
    NewMessage {
        key: format!("login_warning:{}", now.format("%Y%m%d%H")),
        recipient: Recipient::Staff(staff.id),
        kind: MessageKind::LoginWarning,
        channel: Channel::Email,
        due_at: now,
        payload: Payload { attempts: Some(count), ..Payload::to("/login") }.to_value(),
    }
}

/// A device's key from the cookie's secret, when the store knows the device as `staff`'s.
pub async fn known_device(app: &App, secret: Option<&str>, staff: Option<&Staff>) -> ClinicResult<Option<String>> {
    let (Some(secret), Some(staff)) = (secret, staff) else { return Ok(None) };
    let hash = secrets::token_hash(secret);
    match app.records.store().trusted_device(&hash).await? {
        Some((clinic, id)) if clinic == staff.clinic && id == staff.id => Ok(Some(hash)),
        _ => Ok(None),
    }
}

/// Remembers the device a staff member just logged in from: its cookie's secret, to set.
pub async fn remember_device(app: &App, staff: &Staff) -> ClinicResult<String> {
    let secret = secrets::new_token();
    app.records.store().trust_device(staff.clinic, staff.id, &secrets::token_hash(&secret), Utc::now()).await?;
    Ok(secret)
}

/// Deletes the rows of keys whose last attempt is older than the window (and a day, so a
/// window changed in the configuration never forgets early).
pub async fn prune(app: &App) -> ClinicResult<u64> {
    let window = Duration::minutes(i64::from(app.config.login_window_minutes.max(1)));
    Ok(app.records.store().prune_login_attempts(Utc::now() - window - Duration::days(1)).await?)
}
