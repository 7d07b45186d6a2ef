//! Signing in and out in the browser: the staff login form, logout, and the page behind a
//! patient's invite link.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use chrono::Duration;
use needlepath_store::LoginKind;
use serde::Deserialize;

use crate::App;
use crate::api::session::{check_password, start_session};
use crate::auth::{ClientIp, clear_cookie};
use crate::pages::form::{FormData, Posted};
use crate::pages::{Ctx, Frame, PageError, PageResult, Shown, page, page_with, see_other};
use crate::problem::ApiError;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    f: Frame,
    form: FormData,
    error: Option<Shown>,
    next: String,
}

/// Only a path of this site may follow a login (no open redirect).
fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if ok { next.to_string() } else { "/staff".into() }
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn login_page(ctx: Ctx, Query(q): Query<NextQuery>) -> PageResult {
    if ctx.role().is_some() {
        return Ok(see_other("/staff"));
    }
    page(&LoginPage { f: ctx.frame(ctx.t.s("login.title")), form: FormData::default(), error: None, next: q.next })
}

pub async fn login_form(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    Posted(form): Posted,
) -> PageResult {
    let next = safe_next(form.get("next"));
    match check_password(&app, ip, form.get("email"), form.get("password").to_string()).await {
        Ok(staff) => {
            let ttl = Duration::hours(i64::from(app.config.staff_session_hours));
            let started = start_session(&app, staff.clinic, LoginKind::Staff, staff.id.0, ttl).await?;
            let mut res = see_other(&next);
            res.headers_mut().insert(header::SET_COOKIE, started.cookie);
            Ok(res)
        }
        Err(e) => {
            // The form is shown again: 422 for a wrong password (401 would ask for HTTP auth).
            let status = if e.status == StatusCode::UNAUTHORIZED { StatusCode::UNPROCESSABLE_ENTITY } else { e.status };
            let t = ctx.t;
            let message = match (e.code, e.retry_after) {
                ("too_many_attempts", Some(s)) => t.f("login.too_many", &[("seconds", &s.to_string())]),
                ("invalid_credentials", _) => t.s("login.failed").to_string(),
                _ => return Err(PageError(e)),
            };
            let keep = FormData::from_pairs(vec![("email".into(), form.get("email").into())]);
            let mut res = page_with(
                status,
                &LoginPage {
                    f: ctx.frame(t.s("login.title")),
                    form: keep,
                    error: Some(Shown { field: "password".into(), message }),
                    next,
                },
            )?;
            if let Some(wait) = e.retry_after
                && let Ok(v) = HeaderValue::from_str(&wait.to_string())
            {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(res)
        }
    }
}

pub async fn logout_form(State(app): State<Arc<App>>, ctx: Ctx, Posted(_): Posted) -> PageResult {
    if let Some(hash) = ctx.authed.as_ref().and_then(|a| a.login_hash.as_ref()) {
        app.store.delete_login(hash).await?;
    }
    let mut res = see_other("/");
    let cookie = HeaderValue::from_str(&clear_cookie(app.config.secure_cookies())).map_err(|_| ApiError::internal())?;
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(res)
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    f: Frame,
    token: String,
    failed: bool,
}

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The invite link opens this page; the link is only used when the patient presses the button,
/// so mail scanners that fetch links cannot use it up.
pub async fn invite_page(ctx: Ctx, Query(q): Query<TokenQuery>) -> PageResult {
    let token = q.token.replace(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'), "");
    page(&InvitePage { f: ctx.frame(ctx.t.s("invite.title")), token, failed: false })
}

pub async fn invite_form(State(app): State<Arc<App>>, ctx: Ctx, Posted(form): Posted) -> PageResult {
    let token = form.get("token");
    if token.is_empty() {
        return Err(ApiError::invalid("token", "the invite link is incomplete: open the whole link again").into());
    }
    match crate::api::session::redeem(&app, token).await {
        Ok(res) => {
            let mut redirect = see_other("/me");
            if let Some(c) = res.headers().get(header::SET_COOKIE) {
                redirect.headers_mut().insert(header::SET_COOKIE, c.clone());
            }
            Ok(redirect)
        }
        Err(e) if e.status.is_client_error() => page_with(
            e.status,
            &InvitePage { f: ctx.frame(ctx.t.s("invite.failed_title")), token: String::new(), failed: true },
        ),
        Err(e) => Err(e.into()),
    }
}
