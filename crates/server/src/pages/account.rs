//! Signing in and out in the browser: the staff login form, logout, the page behind a
//! patient's invite link, and the patient's way back in (a new sign-in link by e-mail), which
//! every dead end offers.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use needlepath_store::LoginKind;
use serde::Deserialize;

use crate::App;
use crate::api::session::{login_cookie, remember_device};
use crate::auth::{ClientIp, clear_cookie, device_secret};
use crate::clinic::access::{
    self, SIGN_IN_MINUTES, check_password, clinic_of_invite, clinic_to_reach, open_login, request_sign_in_link,
    staff_login_length,
};
use crate::pages::form::{FormData, Posted};
use crate::pages::{Ctx, Frame, PageError, PageResult, Shown, page, page_with, see_other};
use crate::problem::ApiError;
use crate::reach::Reach;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    f: Frame,
    form: FormData,
    error: Option<Shown>,
    next: String,
}

/// Only a path of this site may follow a login (no open redirect). Browsers drop tabs and
/// newlines from a URL and read `\` as `/`, so `/<tab>/evil.example` became `//evil.example`,
/// another site (issue 14): a path of printable ASCII only, one leading `/`, no backslash.
fn safe_next(next: &str) -> String {
    let printable = next.chars().all(|c| c.is_ascii_graphic());
    let ok = printable && next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
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
    headers: HeaderMap,
    Posted(form): Posted,
) -> PageResult {
    let next = safe_next(form.get("next"));
    let device = device_secret(&headers);
    let checked =
        check_password(&app, ip, form.get("email"), form.get("password").to_string(), device.as_deref()).await;
    match checked.map_err(ApiError::from) {
        Ok(checked) => {
            let staff = checked.staff;
            let login = open_login(&app, staff.clinic, LoginKind::Staff, staff.id.0, staff_login_length(&app)).await?;
            let mut res = see_other(&next);
            res.headers_mut().insert(header::SET_COOKIE, login_cookie(&app, &login)?);
            remember_device(&app, &mut res, checked.new_device.as_deref())?;
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
        access::end_login(&app, hash).await?;
    }
    // A patient lands on a page that says how to get back in and how to reach their clinic.
    let to = match ctx.authed.as_ref().filter(|a| a.patient().is_some()) {
        Some(a) => format!("/signed-out?clinic={}", a.clinic()),
        None => "/".to_string(),
    };
    let mut res = see_other(&to);
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

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    f: Frame,
    /// A dead end's heading and sentence, above the form.
    dead_end: Option<(String, String)>,
    email: String,
    error: Option<Shown>,
    sent: bool,
    minutes: String,
}

fn sign_in_page(f: Frame, dead_end: Option<(String, String)>) -> SignInPage {
    SignInPage { f, dead_end, email: String::new(), error: None, sent: false, minutes: SIGN_IN_MINUTES.to_string() }
}

#[derive(Debug, Deserialize)]
pub struct ClinicQuery {
    #[serde(default)]
    clinic: String,
}

/// `GET /signed-out`: a patient who signed out; the clinic's contact when the clinic named is
/// one, and the way back in.
pub async fn signed_out(State(app): State<Arc<App>>, ctx: Ctx, Query(q): Query<ClinicQuery>) -> PageResult {
    let t = ctx.t;
    let mut f = ctx.frame(t.s("reach.sign_in.signed_out_title"));
    if let Ok(id) = q.clinic.parse::<needlepath_store::ClinicId>()
        && let Some(c) = clinic_to_reach(&app, id).await?
    {
        f.reach = Some(Reach::of(&c));
    }
    let said = (t.s("reach.sign_in.signed_out_title").to_string(), t.s("reach.sign_in.signed_out").to_string());
    page(&sign_in_page(f, Some(said)))
}

/// `GET /sign-in`: the form asking for a new sign-in link.
pub async fn sign_in_get(ctx: Ctx) -> PageResult {
    page(&sign_in_page(ctx.frame(ctx.t.s("reach.sign_in.title")), None))
}

/// `POST /sign-in`: the same answer whether or not the address is known; a malformed address
/// is shown on the form, a limit reached says how long to wait.
pub async fn sign_in_post(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    Posted(form): Posted,
) -> PageResult {
    let t = ctx.t;
    let mut p = sign_in_page(ctx.frame(t.s("reach.sign_in.title")), None);
    match request_sign_in_link(&app, form.get("email"), ip).await.map_err(ApiError::from) {
        Ok(()) => {
            p.f = ctx.frame(t.s("reach.sign_in.sent_title"));
            p.sent = true;
            page(&p)
        }
        Err(e) => {
            let status = e.status;
            let message = match (e.code, e.retry_after) {
                ("too_many_requests", Some(s)) => {
                    t.f("reach.sign_in.too_many", &[("minutes", &s.div_ceil(60).to_string())])
                }
                _ => Shown::on_form(e)?.1.message,
            };
            p.email = form.get("email").to_string();
            p.error = Some(Shown { field: "email".into(), message });
            page_with(status, &p)
        }
    }
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
    match access::redeem_invite(&app, token).await.map_err(ApiError::from) {
        Ok((_, _, login)) => {
            let mut redirect = see_other("/me");
            redirect.headers_mut().insert(header::SET_COOKIE, login_cookie(&app, &login)?);
            Ok(redirect)
        }
        // A dead end: the clinic's contact when the link names a clinic, and a new link.
        Err(e) if e.status.is_client_error() => {
            let mut f = ctx.frame(ctx.t.s("invite.failed_title"));
            if let Some(clinic) = clinic_of_invite(&app, token).await? {
                f.reach = Some(Reach::of(&clinic));
            }
            let said = (ctx.t.s("invite.failed_title").to_string(), ctx.t.s("invite.failed").to_string());
            page_with(e.status, &sign_in_page(f, Some(said)))
        }
        Err(e) => Err(e.into()),
    }
}
