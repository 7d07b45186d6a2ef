//! Logging in and out: staff by password, patients by their invite link.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use needlepath_store::{ClinicId, Login, LoginKind, Staff, Who};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::App;
use crate::auth::{Authed, ClientIp, clear_cookie, secrets, session_cookie};
use crate::body::Body;
use crate::metrics::Metrics;
use crate::problem::{ApiError, ApiResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteRedeem {
    pub token: String,
}

/// A new login session: the `Set-Cookie` value and the session's CSRF token.
pub struct Started {
    pub cookie: HeaderValue,
    pub csrf: String,
    pub expires_at: chrono::DateTime<Utc>,
}

/// Starts a login session (stored by the hash of its token).
pub async fn start_session(
    app: &App,
    clinic: ClinicId,
    kind: LoginKind,
    principal: Uuid,
    ttl: Duration,
) -> ApiResult<Started> {
    let token = secrets::new_token();
    let csrf = secrets::new_token();
    let now = Utc::now();
    app.store
        .create_login(&Login {
            token_hash: secrets::token_hash(&token),
            clinic,
            kind,
            principal,
            csrf_token: csrf.clone(),
            created_at: now,
            expires_at: now + ttl,
        })
        .await?;
    let cookie = session_cookie(&token, ttl.num_seconds(), app.config.secure_cookies());
    let cookie = HeaderValue::from_str(&cookie).map_err(|_| ApiError::internal())?;
    Ok(Started { cookie, csrf, expires_at: now + ttl })
}

/// Starts a login session and answers with who it is and its CSRF token.
async fn start(
    app: &App,
    clinic: ClinicId,
    kind: LoginKind,
    principal: Uuid,
    info: Value,
    ttl: Duration,
) -> ApiResult<Response> {
    let started = start_session(app, clinic, kind, principal, ttl).await?;
    let mut body = info;
    body["csrf_token"] = Value::String(started.csrf);
    body["expires_at"] = json!(started.expires_at);
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::SET_COOKIE, started.cookie);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

pub async fn login(
    State(app): State<Arc<App>>,
    ClientIp(ip): ClientIp,
    Body(req): Body<LoginRequest>,
) -> ApiResult<Response> {
    let staff = check_password(&app, ip, &req.email, req.password).await?;
    let info = json!({ "kind": "staff", "clinic": staff.clinic, "staff": staff });
    let ttl = Duration::hours(i64::from(app.config.staff_session_hours));
    start(&app, staff.clinic, LoginKind::Staff, staff.id.0, info, ttl).await
}

/// Checks a staff login, counting failures per account and per address (429 once either is
/// over its limit). A missing account costs as much time as a wrong password.
pub async fn check_password(app: &App, ip: IpAddr, email: &str, password: String) -> ApiResult<Staff> {
    let email = email.trim().to_lowercase();
    let now = Instant::now();
    let account_key = format!("account:{email}");
    let address_key = format!("address:{ip}");
    for (limiter, key) in [(&app.account_failures, &account_key), (&app.address_failures, &address_key)] {
        if let Err(wait) = limiter.check(key, now) {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("too many failed logins; try again in {wait} seconds"),
            );
            e.retry_after = Some(wait);
            return Err(e);
        }
    }
    let staff = app.store.staff_by_email(&email).await?;
    let hash = staff.as_ref().map(|s| s.password_hash.clone()).unwrap_or_else(|| secrets::dummy_hash().to_string());
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
        .await
        .map_err(|_| ApiError::internal())?;
    match staff {
        Some(s) if ok && s.active => {
            app.account_failures.succeed(&account_key);
            Metrics::inc(&app.metrics.logins);
            Ok(s)
        }
        _ => {
            app.account_failures.fail(&account_key, now);
            app.address_failures.fail(&address_key, now);
            Metrics::inc(&app.metrics.logins_failed);
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "the e-mail or password is wrong"))
        }
    }
}

pub async fn logout(State(app): State<Arc<App>>, authed: Authed) -> ApiResult<Response> {
    if let Some(hash) = &authed.login_hash {
        app.store.delete_login(hash).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    let cookie = clear_cookie(app.config.secure_cookies());
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|_| ApiError::internal())?);
    Ok(res)
}

pub async fn current(State(app): State<Arc<App>>, authed: Authed) -> ApiResult<Json<Value>> {
    let mut body = match authed.actor.who {
        Who::Staff(id, _) => {
            json!({ "kind": "staff", "clinic": authed.clinic(), "staff": app.store.staff(authed.clinic(), id).await? })
        }
        Who::Patient(id) => json!({ "kind": "patient", "clinic": authed.clinic(), "patient_id": id }),
        Who::Token(id, role) => json!({ "kind": "api_token", "clinic": authed.clinic(), "token_id": id, "role": role }),
        Who::System => json!({ "kind": "system" }),
    };
    if let Some(csrf) = authed.csrf {
        body["csrf_token"] = Value::String(csrf);
    }
    Ok(Json(body))
}

/// Uses a patient's invite and starts their session.
pub async fn redeem(app: &App, token: &str) -> ApiResult<Response> {
    let (clinic, patient) = app.store.redeem_invite(&secrets::token_hash(token.trim()), Utc::now()).await?;
    let info = json!({ "kind": "patient", "clinic": clinic, "patient_id": patient });
    let ttl = Duration::days(i64::from(app.config.patient_session_days));
    start(app, clinic, LoginKind::Patient, patient.0, info, ttl).await
}

pub async fn redeem_invite(State(app): State<Arc<App>>, Body(req): Body<InviteRedeem>) -> ApiResult<Response> {
    redeem(&app, &req.token).await
}
