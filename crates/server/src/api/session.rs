//! Logging in and out by the API: staff by password, patients by their invite link
//! (`clinic::access`). The answer carries who it is and the login's CSRF token; the login
//! itself is the cookie.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use needlepath_store::{ClinicId, LoginKind, PatientId, Role, Staff, TokenId, Who};
use serde::{Deserialize, Serialize};

use crate::App;
use crate::auth::{Authed, ClientIp, clear_cookie, device_cookie, device_secret, session_cookie};
use crate::body::Body;
use crate::clinic::access::{self, OpenedLogin};
use crate::problem::{ApiError, ApiResult};

/// A staff login.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// A patient's invite, used.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRedeem {
    pub token: String,
}

/// Who a login or token is, as `POST /auth/login`, `POST /auth/invite` and `GET /auth/me`
/// answer it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SessionInfo {
    pub kind: CallerKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinic: Option<ClinicId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff: Option<Staff>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<PatientId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<TokenId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Send it as X-CSRF-Token on every cookie-authenticated change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// What kind of caller a session is.
#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallerKind {
    Staff,
    Patient,
    ApiToken,
    /// The service itself (never a login; listed for completeness).
    System,
}

impl SessionInfo {
    fn of(kind: CallerKind, clinic: Option<ClinicId>) -> Self {
        Self {
            kind,
            clinic,
            staff: None,
            patient_id: None,
            token_id: None,
            role: None,
            csrf_token: None,
            expires_at: None,
        }
    }
}

/// The `Set-Cookie` value that carries an opened login.
pub fn login_cookie(app: &App, login: &OpenedLogin) -> ApiResult<HeaderValue> {
    let cookie = session_cookie(&login.secret, login.ttl.num_seconds(), app.config.secure_cookies());
    HeaderValue::from_str(&cookie).map_err(|_| ApiError::internal())
}

/// Answers an opened login with who it is and its CSRF token, and sets its cookie.
fn opened(app: &App, login: OpenedLogin, info: SessionInfo) -> ApiResult<Response> {
    let cookie = login_cookie(app, &login)?;
    let body = SessionInfo { csrf_token: Some(login.csrf), expires_at: Some(login.expires_at), ..info };
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

pub async fn login(
    State(app): State<Arc<App>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Body(req): Body<LoginRequest>,
) -> ApiResult<Response> {
    let device = device_secret(&headers);
    let checked = access::check_password(&app, ip, &req.email, req.password, device.as_deref()).await?;
    let staff = checked.staff;
    let login =
        access::open_login(&app, staff.clinic, LoginKind::Staff, staff.id.0, access::staff_login_length(&app)).await?;
    let info = SessionInfo { staff: Some(staff.clone()), ..SessionInfo::of(CallerKind::Staff, Some(staff.clinic)) };
    let mut res = opened(&app, login, info)?;
    remember_device(&app, &mut res, checked.new_device.as_deref())?;
    Ok(res)
}

/// Sets the device cookie of a device just remembered (see `auth::DEVICE_COOKIE`).
pub fn remember_device(app: &App, res: &mut Response, secret: Option<&str>) -> ApiResult<()> {
    if let Some(secret) = secret {
        let cookie = device_cookie(secret, app.config.secure_cookies());
        res.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|_| ApiError::internal())?);
    }
    Ok(())
}

pub async fn logout(State(app): State<Arc<App>>, authed: Authed) -> ApiResult<Response> {
    if let Some(hash) = &authed.login_hash {
        access::end_login(&app, hash).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    let cookie = clear_cookie(app.config.secure_cookies());
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|_| ApiError::internal())?);
    Ok(res)
}

pub async fn current(State(app): State<Arc<App>>, authed: Authed) -> ApiResult<Json<SessionInfo>> {
    let clinic = Some(authed.clinic());
    let body = match authed.actor.who {
        Who::Staff(id, _) => SessionInfo {
            staff: Some(access::staff_member(&app, authed.clinic(), id).await?),
            ..SessionInfo::of(CallerKind::Staff, clinic)
        },
        Who::Patient(id) => SessionInfo { patient_id: Some(id), ..SessionInfo::of(CallerKind::Patient, clinic) },
        Who::Token(id, role) => {
            SessionInfo { token_id: Some(id), role: Some(role), ..SessionInfo::of(CallerKind::ApiToken, clinic) }
        }
        Who::System => SessionInfo::of(CallerKind::System, None),
    };
    Ok(Json(SessionInfo { csrf_token: authed.csrf, ..body }))
}

pub async fn redeem_invite(State(app): State<Arc<App>>, Body(req): Body<InviteRedeem>) -> ApiResult<Response> {
    let (clinic, patient, login) = access::redeem_invite(&app, &req.token).await?;
    let info = SessionInfo { patient_id: Some(patient), ..SessionInfo::of(CallerKind::Patient, Some(clinic)) };
    opened(&app, login, info)
}
