//! Getting in and out: staff by password, patients by their invite or a sign-in link asked for
//! by e-mail, the end of a login, and who a request's credential names.
//!
//! A login is stored by the hash of its secret; the adapters turn an [`OpenedLogin`] into a
//! cookie (`api::session`, `pages::account`). Invites and sign-in links are single use, expire,
//! and are queued as e-mail in the same transaction as the invite (`Store::send_invite`), so the
//! worker delivers and retries them like any other message.
//!
//! Asking for a sign-in link never tells whether the address is known: the answer is the same,
//! and it is not given sooner than [`ANSWER_FLOOR`] after the request, so the timing does not
//! tell either. Requests are limited per address and per client address; failed passwords per
//! account and per client address.
//!
//! Logins, invites and links run on the wall clock, not the service's clock ([`App::now`]):
//! they are security, not the clinic's timeline, and a test that travels days ahead must not
//! find its own login expired.

use std::net::IpAddr;
use std::time::{Duration as StdDuration, Instant};

use crate::reminders::payload::Payload;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use needlepath_store::{
    Actor, ApiToken, Audit, Channel, Clinic, ClinicId, Login, LoginKind, NewMessage, PatientId, Recipient,
    SIGN_IN_KIND, Seen, Staff, StaffId, StoreError, Who,
};
use uuid::Uuid;

use crate::App;
use crate::api::email;
use crate::auth::secrets;
use crate::clinic::{ClinicError, ClinicResult, login_throttle};
use crate::metrics::Metrics;
use crate::problem::ApiError;

/// How long a sign-in link asked for by e-mail works.
pub const SIGN_IN_MINUTES: i64 = 30;
/// Sign-in links one e-mail address may ask for per hour.
pub const PER_ADDRESS_PER_HOUR: u32 = 3;
/// Sign-in links one client address may ask for per hour.
pub const PER_IP_PER_HOUR: u32 = 10;
/// No answer to a request for a link comes sooner than this, known address or not.
pub const ANSWER_FLOOR: StdDuration = StdDuration::from_millis(300);

/// A login just opened: its secret (the cookie's value, never stored), its CSRF token and when
/// it ends.
pub struct OpenedLogin {
    pub secret: String,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
    /// Its length, for the cookie's `Max-Age`.
    pub ttl: Duration,
}

/// Opens a login for `principal` (a staff member or a patient), stored by the hash of its
/// secret.
pub async fn open_login(
    app: &App,
    clinic: ClinicId,
    kind: LoginKind,
    principal: Uuid,
    ttl: Duration,
) -> ClinicResult<OpenedLogin> {
    let secret = secrets::new_token();
    let csrf = secrets::new_token();
    let now = Utc::now();
    app.records
        .store()
        .create_login(&Login {
            token_hash: secrets::token_hash(&secret),
            clinic,
            kind,
            principal,
            csrf_token: csrf.clone(),
            created_at: now,
            expires_at: now + ttl,
        })
        .await?;
    Ok(OpenedLogin { secret, csrf, expires_at: now + ttl, ttl })
}

/// A staff login's length, from the configuration.
pub fn staff_login_length(app: &App) -> Duration {
    Duration::hours(i64::from(app.config.staff_session_hours))
}

/// A patient login's length, from the configuration.
pub fn patient_login_length(app: &App) -> Duration {
    Duration::days(i64::from(app.config.patient_session_days))
}

/// How many Argon2 hashes (19 MiB of memory each) run at once, whoever asks: a login flood
/// queues behind them instead of taking the server's memory (issue 14, defect 1: 150 parallel
/// attempts took the server from 79 MB to 3.0 GB).
pub fn password_work_permits() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(2, 8)
}

/// How long a password check waits for its turn before the answer is 503 with `Retry-After`.
pub const PASSWORD_QUEUE_WAIT: StdDuration = StdDuration::from_secs(3);

/// Runs Argon2 work (`f`) off the async workers, at most [`password_work_permits`] at a time;
/// refused with 503 `busy` and `Retry-After` when its turn does not come within
/// [`PASSWORD_QUEUE_WAIT`].
pub async fn password_work<T: Send + 'static>(app: &App, f: impl FnOnce() -> T + Send + 'static) -> ClinicResult<T> {
    let Ok(Ok(permit)) = tokio::time::timeout(PASSWORD_QUEUE_WAIT, app.password_work.acquire()).await else {
        Metrics::inc(&app.metrics.logins_refused_busy);
        let e = ApiError::retry_later(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "too many password checks are running; try again in a few seconds",
            2,
        );
        return Err(e.into());
    };
    let out = app.password_threads.run(f).await;
    drop(permit);
    out.ok_or_else(|| ClinicError::Unexpected("the password work did not finish".into()))
}

/// A Boxed piece of password work.
type Job = Box<dyn FnOnce() + Send>;

/// The threads that run Argon2, one per permit. Dedicated threads rather than the runtime's
/// blocking pool: the allocator keeps a freed 19 MiB buffer in the arena of the thread that
/// freed it, so work spread over many blocking threads kept hundreds of MiB after a flood even
/// when only two ran at once; on these few threads the memory is reused.
pub struct PasswordThreads {
    jobs: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
}

impl PasswordThreads {
    /// Starts `n` threads that take jobs in turn.
    pub fn start(n: usize) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..n {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new().name(format!("password-{i}")).spawn(move || {
                loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "a password thread could not start");
            }
        }
        Self { jobs: std::sync::Mutex::new(tx) }
    }

    /// Runs `f` on a password thread; `None` if it could not run.
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.jobs.lock().ok()?.send(job).ok()?;
        rx.await.ok()
    }
}

/// A staff login that passed: who, and the secret of a device cookie to set when this device
/// was not yet known for the account.
pub struct CheckedLogin {
    pub staff: Staff,
    pub new_device: Option<String>,
}

/// Checks a staff login. The attempt first takes its turn under the login throttles
/// ([`login_throttle`]: counted in the database, atomically, before the password is checked;
/// refused with `too_many_attempts` and a wait while a key is held back); `device` is the
/// secret of the device cookie the browser sent, if any. A missing account costs as much time
/// as a wrong password.
pub async fn check_password(
    app: &App,
    ip: IpAddr,
    email: &str,
    password: String,
    device: Option<&str>,
) -> ClinicResult<CheckedLogin> {
    let email = email.trim().to_lowercase();
    let staff = app.records.store().staff_by_email(&email).await?;
    let known = login_throttle::known_device(app, device, staff.as_ref()).await?;
    let turn = login_throttle::Turn::of(app, &email, ip, known.as_deref());
    let counts = turn.take(app).await?;
    let hash = staff.as_ref().map(|s| s.password_hash.clone()).unwrap_or_else(|| secrets::dummy_hash().to_string());
    // Argon2 takes tens of milliseconds of CPU and 19 MiB: off the async workers, bounded.
    let ok = password_work(app, move || secrets::verify_password(&password, &hash)).await?;
    match staff {
        Some(s) if ok && s.active => {
            turn.forget(app).await?;
            let new_device = match known {
                Some(_) => None,
                None => Some(login_throttle::remember_device(app, &s).await?),
            };
            Metrics::inc(&app.metrics.logins);
            Ok(CheckedLogin { staff: s, new_device })
        }
        owner => {
            turn.after_failure(app, &counts, owner.as_ref()).await?;
            Metrics::inc(&app.metrics.logins_failed);
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "the e-mail or password is wrong")
                .into())
        }
    }
}

/// Ends the login stored under `login_hash` (signing out).
pub async fn end_login(app: &App, login_hash: &str) -> ClinicResult<()> {
    Ok(app.records.store().delete_login(login_hash).await?)
}

/// The staff member a login or token names, as they are now.
pub async fn staff_member(app: &App, clinic: ClinicId, id: StaffId) -> ClinicResult<Staff> {
    Ok(app.records.store().staff(clinic, id).await?)
}

/// Uses a patient's invite (or sign-in link) and opens their login.
pub async fn redeem_invite(app: &App, token: &str) -> ClinicResult<(ClinicId, PatientId, OpenedLogin)> {
    let (clinic, patient) = app.records.store().redeem_invite(&secrets::token_hash(token.trim()), Utc::now()).await?;
    let login = open_login(app, clinic, LoginKind::Patient, patient.0, patient_login_length(app)).await?;
    Ok((clinic, patient, login))
}

/// The clinic an invite link names, used or not, for a dead end's "how to reach your clinic".
pub async fn clinic_of_invite(app: &App, token: &str) -> ClinicResult<Option<Clinic>> {
    match app.records.store().invite_clinic(&secrets::token_hash(token.trim())).await? {
        Some(id) => Ok(Some(app.records.store().clinic(id).await?)),
        None => Ok(None),
    }
}

/// A clinic by its id, for the public "signed out" page (its name and contact only are shown);
/// `None` when there is no such clinic.
pub async fn clinic_to_reach(app: &App, id: ClinicId) -> ClinicResult<Option<Clinic>> {
    match app.records.store().clinic(id).await {
        Ok(c) => Ok(Some(c)),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The API token with this secret's hash, when it exists, is not revoked, and the admin who
/// made it is still an active admin: a token never outlives its creator's rights (issue 14,
/// defect 7: tokens kept admin rights after their creator was deactivated or demoted). A token
/// recorded without a creator (made before creators were recorded) keeps working until revoked.
pub async fn token_by_hash(app: &App, token_hash: &str) -> ClinicResult<Option<ApiToken>> {
    let store = app.records.store();
    let Some(token) = store.api_token(token_hash).await? else { return Ok(None) };
    let Some(creator) = token.created_by else { return Ok(Some(token)) };
    match store.staff(token.clinic, creator).await {
        Ok(s) if s.active && crate::policy::ADMIN.contains(&s.role) => Ok(Some(token)),
        Ok(_) | Err(StoreError::NotFound(_)) => {
            tracing::info!(token = %token.id, "an API token whose creator is no longer an active admin was refused");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The caller a login names: the login, with the staff member behind it for a staff login.
/// `None` when the login is unknown or over, or its staff member is gone or deactivated.
pub async fn caller_of_login(app: &App, login_hash: &str) -> ClinicResult<Option<(Login, Option<Staff>)>> {
    let Some(login) = app.records.store().login(login_hash, Utc::now()).await? else { return Ok(None) };
    match login.kind {
        LoginKind::Patient => Ok(Some((login, None))),
        LoginKind::Staff => match app.records.store().staff(login.clinic, StaffId(login.principal)).await {
            Ok(s) if s.active => Ok(Some((login, Some(s)))),
            Ok(_) | Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        },
    }
}

/// What ending a patient's access did.
#[derive(Debug, Clone, Copy, serde::Serialize, schemars::JsonSchema)]
pub struct AccessEnded {
    /// Logins (devices signed in) ended.
    pub logins_ended: u64,
    /// Outstanding invites and sign-in links withdrawn.
    pub invites_withdrawn: u64,
}

/// Staff end a patient's access: every login ends and every outstanding invite or sign-in
/// link is withdrawn (issue 14, defect 9: patient logins lasted 30 days and invites could not
/// be withdrawn).
pub async fn end_patient_access(app: &App, actor: &Actor, patient: PatientId) -> ClinicResult<AccessEnded> {
    let (logins_ended, invites_withdrawn) =
        app.records.store().end_patient_access(actor, patient, true, Utc::now()).await?;
    Ok(AccessEnded { logins_ended, invites_withdrawn })
}

/// The signed-in patient ends all their logins, on every device (this one too).
pub async fn sign_out_everywhere(app: &App, actor: &Actor) -> ClinicResult<AccessEnded> {
    let Who::Patient(me) = actor.who else {
        return Err(ClinicError::Forbidden("only a patient signs out of their own devices".into()));
    };
    let (logins_ended, invites_withdrawn) =
        app.records.store().end_patient_access(actor, me, false, Utc::now()).await?;
    Ok(AccessEnded { logins_ended, invites_withdrawn })
}

/// The e-mail of an invite or sign-in link, queued with it.
fn link_message(patient: PatientId, token: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> NewMessage {
    NewMessage {
        key: SIGN_IN_KIND.as_str().into(),
        recipient: Recipient::Patient(patient),
        kind: SIGN_IN_KIND,
        channel: Channel::Email,
        due_at: now,
        payload: Payload { expires_at: Some(expires_at), ..Payload::to(format!("/invite?token={token}")) }.to_value(),
    }
}

/// Sends a sign-in link to every patient record with this e-mail address; `Ok` whether or not
/// there is one. Refused only for an address that is not one, or when a limit is reached.
pub async fn request_sign_in_link(app: &App, raw_email: &str, ip: IpAddr) -> ClinicResult<()> {
    let started = Instant::now();
    let result = send_links(app, raw_email, ip).await;
    let floor = tokio::time::Instant::from_std(started + ANSWER_FLOOR);
    tokio::time::sleep_until(floor).await;
    result
}

async fn send_links(app: &App, raw_email: &str, ip: IpAddr) -> ClinicResult<()> {
    let address = email("email", raw_email)?;
    let now = Instant::now();
    let by_ip = format!("ip:{ip}");
    let by_address = format!("email:{address}");
    for (limiter, key) in [(&app.sign_in_by_ip, &by_ip), (&app.sign_in_by_address, &by_address)] {
        if let Err(wait) = limiter.check(key, now) {
            return Err(ApiError::retry_later(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "too many sign-in links were asked for; wait and try again, or contact your clinic",
                wait,
            )
            .into());
        }
    }
    app.sign_in_by_ip.fail(&by_ip, now);
    app.sign_in_by_address.fail(&by_address, now);
    let at = Utc::now();
    let expires_at = at + Duration::minutes(SIGN_IN_MINUTES);
    for (clinic, patient) in app.records.store().patients_by_email(&address).await? {
        let token = secrets::new_token();
        let actor = Actor { clinic, who: Who::System, ip: Some(ip.to_string()) };
        app.records
            .store()
            .send_invite(
                &actor,
                patient,
                &secrets::token_hash(&token),
                expires_at,
                link_message(patient, &token, expires_at, at),
            )
            .await?;
    }
    Ok(())
}

/// An invite e-mailed to a patient: the address it went to, when the link expires, and whether
/// this service sends e-mail at all.
#[derive(Debug, Clone)]
pub struct InviteSent {
    pub sent_to: String,
    pub expires_at: DateTime<Utc>,
    pub email_set_up: bool,
}

/// E-mails the patient a new invite (staff: the API and the patient page call this).
///
/// The only way staff invite a patient (issue 14, defect 5): the link goes to the address on
/// the patient's record and is never shown to the member of staff, so nobody at the desk can
/// open it and act as the patient. Who sent it is kept with the invite and named in the audit
/// when it is opened.
pub async fn email_invite(app: &App, actor: &Actor, patient: PatientId) -> ClinicResult<InviteSent> {
    let token = secrets::new_token();
    let now = Utc::now();
    let expires_at = now + Duration::hours(i64::from(app.config.invite_hours));
    let mut unit = app.records.store().writing(actor).await?;
    let record = unit.patient(patient).await?;
    let Some(address) = record.email.filter(|e| !e.trim().is_empty()) else {
        unit.finish(Audit::view("patient.read", patient, &[Seen::Patient])).await?;
        return Err(ClinicError::invalid(
            "email",
            "there is no e-mail address on record for this patient: add their own address first (an invite goes only to the patient, never to staff)",
        ));
    };
    let message = link_message(patient, &token, expires_at, now);
    unit.send_invite(patient, &secrets::token_hash(&token), expires_at, message).await?;
    unit.finish(Audit::view("patient.invite", patient, &[Seen::Patient])).await?;
    Ok(InviteSent { sent_to: address, expires_at, email_set_up: app.config.reminders.smtp.is_some() })
}
