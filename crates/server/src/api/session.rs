//! Logging in and out by the API: staff by password, patients by their invite link
//! (`clinic::access`). The answer carries who it is and the login's CSRF token; the login
//! itself is the cookie.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use needlepath_store::{LoginKind, Who};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::App;
use crate::auth::{Authed, ClientIp, clear_cookie, session_cookie};
use crate::body::Body;
use crate::clinic::access::{self, OpenedLogin};
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

/// The `Set-Cookie` value that carries an opened login.
pub fn login_cookie(app: &App, login: &OpenedLogin) -> ApiResult<HeaderValue> {
    let cookie = session_cookie(&login.secret, login.ttl.num_seconds(), app.config.secure_cookies());
    HeaderValue::from_str(&cookie).map_err(|_| ApiError::internal())
}

/// Answers an opened login with who it is and its CSRF token, and sets its cookie.
fn opened(app: &App, login: OpenedLogin, info: Value) -> ApiResult<Response> {
    let cookie = login_cookie(app, &login)?;
    let mut body = info;
    body["csrf_token"] = Value::String(login.csrf);
    body["expires_at"] = json!(login.expires_at);
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

pub async fn login(
    State(app): State<Arc<App>>,
    ClientIp(ip): ClientIp,
    Body(req): Body<LoginRequest>,
) -> ApiResult<Response> {
    let staff = access::check_password(&app, ip, &req.email, req.password).await?;
    let login =
        access::open_login(&app, staff.clinic, LoginKind::Staff, staff.id.0, access::staff_login_length(&app)).await?;
    let info = json!({ "kind": "staff", "clinic": staff.clinic, "staff": staff });
    opened(&app, login, info)
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

pub async fn current(State(app): State<Arc<App>>, authed: Authed) -> ApiResult<Json<Value>> {
    let mut body = match authed.actor.who {
        Who::Staff(id, _) => {
            json!({ "kind": "staff", "clinic": authed.clinic(), "staff": access::staff_member(&app, authed.clinic(), id).await? })
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

pub async fn redeem_invite(State(app): State<Arc<App>>, Body(req): Body<InviteRedeem>) -> ApiResult<Response> {
    let (clinic, patient, login) = access::redeem_invite(&app, &req.token).await?;
    let info = json!({ "kind": "patient", "clinic": clinic, "patient_id": patient });
    opened(&app, login, info)
}
