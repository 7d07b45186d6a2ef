//! Patient access that lasts, by the API: a patient asks for a new sign-in link by e-mail, and
//! staff e-mail a patient a new invite (`clinic::access`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use needlepath_store::PatientId;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::api::id;
use crate::auth::{Authed, ClientIp};
use crate::body::Body;
use crate::clinic::access::{
    AccessEnded, SIGN_IN_MINUTES, email_invite, end_patient_access, request_sign_in_link, sign_out_everywhere,
};
use crate::problem::ApiResult;

/// A patient asking for a new sign-in link.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInLinkRequest {
    /// The address the clinic has for the patient.
    #[schemars(email)]
    pub email: String,
}

/// The same answer whether or not the address is known.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SignInLinkAccepted {
    pub detail: &'static str,
    pub expires_in_minutes: i64,
}

/// A new invite, queued to be e-mailed to the patient's own address. The link itself is never
/// in the answer: staff do not see it (issue 14, defect 5).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InviteSent {
    pub patient_id: PatientId,
    /// The address on record it goes to.
    pub sent_to: String,
    pub expires_at: DateTime<Utc>,
    /// Whether this service sends e-mail (`[reminders.smtp]`); when false the invite waits in the
    /// outbox, marked "e-mail is not set up", and the patient receives nothing.
    pub email_set_up: bool,
}

/// `POST /api/v1/auth/sign-in-link`: always 202 with the same body for a valid address.
pub async fn sign_in_link(
    State(app): State<Arc<App>>,
    ClientIp(ip): ClientIp,
    Body(r): Body<SignInLinkRequest>,
) -> ApiResult<Response> {
    request_sign_in_link(&app, &r.email, ip).await?;
    let accepted = SignInLinkAccepted {
        detail: "if this address is on record at a clinic, a sign-in link is on its way to it",
        expires_in_minutes: SIGN_IN_MINUTES,
    };
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

/// `POST /api/v1/patients/{id}/access/end`: every login of the patient ends and every
/// outstanding invite or sign-in link is withdrawn.
pub async fn end_access(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
) -> ApiResult<Json<AccessEnded>> {
    let patient = id(&raw, "patient")?;
    Ok(Json(end_patient_access(&app, &a.actor, patient).await?))
}

/// `POST /api/v1/me/sign-out-everywhere`: the patient's logins end on every device, this one
/// too (its cookie is cleared).
pub async fn sign_out_everywhere_api(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Response> {
    let ended = sign_out_everywhere(&app, &a.actor).await?;
    let mut res = Json(ended).into_response();
    let cookie = crate::auth::clear_cookie(app.config.secure_cookies());
    if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(axum::http::header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `POST /api/v1/patients/{id}/invites/email`: a patient of another clinic is a 404.
pub async fn invite(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Response> {
    let patient = id(&raw, "patient")?;
    let sent = email_invite(&app, &a.actor, patient).await?;
    let answer = InviteSent {
        patient_id: patient,
        sent_to: sent.sent_to,
        expires_at: sent.expires_at,
        email_set_up: sent.email_set_up,
    };
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}
