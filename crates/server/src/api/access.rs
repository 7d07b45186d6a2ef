//! Patient access that lasts: a patient asks for a new sign-in link by e-mail, and staff e-mail
//! a patient a new invite. Both make an invite (single use, expiring, only its hash stored) and
//! queue its e-mail in the same transaction (`Store::send_invite`), so the worker delivers and
//! retries it like any other message.
//!
//! Asking for a link never tells whether the address is known: the answer is the same, and it
//! is not sent sooner than [`ANSWER_FLOOR`] after the request, so the timing does not tell
//! either. Requests are limited per address and per client address.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use needlepath_store::{Actor, Channel, NewMessage, PatientId, Recipient, SIGN_IN_KIND, Who};
use serde::Deserialize;
use serde_json::json;

use crate::App;
use crate::api::{email, known_patient};
use crate::auth::{Authed, ClientIp, secrets};
use crate::body::Body;
use crate::problem::{ApiError, ApiResult};

/// How long a sign-in link asked for by e-mail works.
pub const SIGN_IN_MINUTES: i64 = 30;
/// Sign-in links one e-mail address may ask for per hour.
pub const PER_ADDRESS_PER_HOUR: u32 = 3;
/// Sign-in links one client address may ask for per hour.
pub const PER_IP_PER_HOUR: u32 = 10;
/// No answer to a request for a link comes sooner than this, known address or not.
pub const ANSWER_FLOOR: StdDuration = StdDuration::from_millis(300);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInLinkRequest {
    pub email: String,
}

/// The e-mail of an invite or sign-in link, queued with it.
fn message(patient: PatientId, token: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> NewMessage {
    NewMessage {
        key: SIGN_IN_KIND.as_str().into(),
        recipient: Recipient::Patient(patient),
        kind: SIGN_IN_KIND,
        channel: Channel::Email,
        due_at: now,
        payload: json!({ "link": format!("/invite?token={token}"), "expires_at": expires_at }),
    }
}

/// Sends a sign-in link to every patient record with this e-mail address; `Ok` whether or not
/// there is one. Refused only for an address that is not one, or when a limit is reached.
pub async fn request_sign_in_link(app: &App, raw_email: &str, ip: IpAddr) -> ApiResult<()> {
    let started = Instant::now();
    let result = send_links(app, raw_email, ip).await;
    let floor = tokio::time::Instant::from_std(started + ANSWER_FLOOR);
    tokio::time::sleep_until(floor).await;
    result
}

async fn send_links(app: &App, raw_email: &str, ip: IpAddr) -> ApiResult<()> {
    let address = email("email", raw_email)?;
    let now = Instant::now();
    let by_ip = format!("ip:{ip}");
    let by_address = format!("email:{address}");
    for (limiter, key) in [(&app.sign_in_by_ip, &by_ip), (&app.sign_in_by_address, &by_address)] {
        if let Err(wait) = limiter.check(key, now) {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "too many sign-in links were asked for; wait and try again, or contact your clinic",
            );
            e.retry_after = Some(wait);
            return Err(e);
        }
    }
    app.sign_in_by_ip.fail(&by_ip, now);
    app.sign_in_by_address.fail(&by_address, now);
    let at = Utc::now();
    let expires_at = at + Duration::minutes(SIGN_IN_MINUTES);
    for (clinic, patient) in app.store.patients_by_email(&address).await? {
        let token = secrets::new_token();
        let actor = Actor { clinic, who: Who::System, ip: Some(ip.to_string()) };
        app.store
            .send_invite(
                &actor,
                patient,
                &secrets::token_hash(&token),
                expires_at,
                message(patient, &token, expires_at, at),
            )
            .await?;
    }
    Ok(())
}

/// `POST /api/v1/auth/sign-in-link`: always 202 with the same body for a valid address.
pub async fn sign_in_link(
    State(app): State<Arc<App>>,
    ClientIp(ip): ClientIp,
    Body(r): Body<SignInLinkRequest>,
) -> ApiResult<Response> {
    request_sign_in_link(&app, &r.email, ip).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "detail": "if this address is on record at a clinic, a sign-in link is on its way to it",
            "expires_in_minutes": SIGN_IN_MINUTES,
        })),
    )
        .into_response())
}

/// E-mails the patient a new invite (staff: the API and the patient page call this); the
/// address it went to and when the link expires.
pub async fn email_invite(app: &App, a: &Authed, patient: PatientId) -> ApiResult<(String, DateTime<Utc>)> {
    let record = app.store.patient(&a.actor, patient).await?;
    let Some(address) = record.email.filter(|e| !e.trim().is_empty()) else {
        return Err(ApiError::invalid(
            "email",
            "there is no e-mail address on record for this patient; add one, or give them the link in person",
        ));
    };
    let token = secrets::new_token();
    let now = Utc::now();
    let expires_at = now + Duration::hours(i64::from(app.config.invite_hours));
    app.store
        .send_invite(
            &a.actor,
            patient,
            &secrets::token_hash(&token),
            expires_at,
            message(patient, &token, expires_at, now),
        )
        .await?;
    Ok((address, expires_at))
}

/// `POST /api/v1/patients/{id}/invites/email`.
pub async fn email_invite_api(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Response> {
    let patient = known_patient(&app, &a, &raw).await?;
    let (to, expires_at) = email_invite(&app, &a, patient).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "patient_id": patient, "sent_to": to, "expires_at": expires_at })))
        .into_response())
}
