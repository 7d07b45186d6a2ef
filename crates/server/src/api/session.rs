//! Logging in and out: staff by password, patients by their invite link.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Form, Json};
use chrono::{Duration, Utc};
use needlepath_store::{ClinicId, Login, LoginKind, Who};
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

/// Starts a login session and answers with who it is and its CSRF token.
async fn start(
    app: &App,
    clinic: ClinicId,
    kind: LoginKind,
    principal: Uuid,
    info: Value,
    ttl: Duration,
) -> ApiResult<Response> {
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
    let mut body = info;
    body["csrf_token"] = Value::String(csrf);
    body["expires_at"] = json!(now + ttl);
    let mut res = Json(body).into_response();
    let cookie = session_cookie(&token, ttl.num_seconds(), app.config.secure_cookies());
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|_| ApiError::internal())?);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

pub async fn login(
    State(app): State<Arc<App>>,
    ClientIp(ip): ClientIp,
    Body(req): Body<LoginRequest>,
) -> ApiResult<Response> {
    let email = req.email.trim().to_lowercase();
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
    let password = req.password;
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
        .await
        .map_err(|_| ApiError::internal())?;
    let staff = match staff {
        Some(s) if ok && s.active => s,
        _ => {
            app.account_failures.fail(&account_key, now);
            app.address_failures.fail(&address_key, now);
            Metrics::inc(&app.metrics.logins_failed);
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "the e-mail or password is wrong",
            ));
        }
    };
    app.account_failures.succeed(&account_key);
    Metrics::inc(&app.metrics.logins);
    let info = json!({ "kind": "staff", "clinic": staff.clinic, "staff": staff });
    let ttl = Duration::hours(i64::from(app.config.staff_session_hours));
    start(&app, staff.clinic, LoginKind::Staff, staff.id.0, info, ttl).await
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

async fn redeem(app: &App, token: &str) -> ApiResult<Response> {
    let (clinic, patient) = app.store.redeem_invite(&secrets::token_hash(token.trim()), Utc::now()).await?;
    let info = json!({ "kind": "patient", "clinic": clinic, "patient_id": patient });
    let ttl = Duration::days(i64::from(app.config.patient_session_days));
    start(app, clinic, LoginKind::Patient, patient.0, info, ttl).await
}

pub async fn redeem_invite(State(app): State<Arc<App>>, Body(req): Body<InviteRedeem>) -> ApiResult<Response> {
    redeem(&app, &req.token).await
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
}

/// The invite link opens this page; the link is only used when the patient presses the button,
/// so mail scanners that fetch links cannot use it up.
pub async fn invite_page(Query(q): Query<TokenForm>) -> Response {
    let token = q.token.replace(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'), "");
    let body = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your care with the clinic</title></head><body><main><h1>Welcome</h1>
<p>Your clinic has invited you to follow your treatment here: your aftercare, check-ins and reminders.</p>
<form method="post" action="/invite"><input type="hidden" name="token" value="{token}">
<button type="submit">Open my care plan</button></form></main></body></html>"#
    );
    ([(header::CACHE_CONTROL, "no-store"), (header::REFERRER_POLICY, "no-referrer")], Html(body)).into_response()
}

pub async fn invite_form(State(app): State<Arc<App>>, Form(f): Form<TokenForm>) -> Response {
    match redeem(&app, &f.token).await {
        Ok(res) => {
            let mut redirect = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
            if let Some(c) = res.headers().get(header::SET_COOKIE) {
                redirect.headers_mut().insert(header::SET_COOKIE, c.clone());
            }
            redirect
        }
        Err(e) => (
            e.status,
            Html(
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Link not valid</title></head><body><main>\
                 <h1>This link cannot be used</h1><p>It has expired or was already used. Ask your clinic for a new one.</p></main></body></html>",
            ),
        )
            .into_response(),
    }
}
