//! The first-run page behind the setup link: the clinic (name, time zone, currency) and its
//! first admin. It calls [`clinic::setup::complete`](crate::clinic::setup::complete) as
//! `POST /api/v1/setup` does, then signs the new admin in and opens the queue.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use needlepath_store::LoginKind;
use serde::Deserialize;

use crate::App;
use crate::api::session::login_cookie;
use crate::auth::secrets;
use crate::clinic::access::{open_login, staff_login_length};
use crate::clinic::setup::{SetupAdmin, SetupClinic, SetupRequest, complete};
use crate::pages::form::{FormData, Posted};
use crate::pages::{Ctx, Frame, PageResult, Shown, page_with, see_other};
use crate::problem::ApiError;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    f: Frame,
    form: FormData,
    error: Option<Shown>,
    zones: Vec<&'static str>,
    min_password: usize,
}

impl SetupPage {
    fn new(ctx: &Ctx, form: FormData, error: Option<Shown>) -> Self {
        Self {
            f: ctx.frame(ctx.t.s("setup.title")),
            form,
            error,
            zones: chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect(),
            min_password: secrets::MIN_PASSWORD,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The setup form; the token from the link travels in a hidden field.
pub async fn page(ctx: Ctx, Query(q): Query<TokenQuery>) -> PageResult {
    let token = q.token.replace(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'), "");
    let form = FormData::from_pairs(vec![
        ("token".into(), token),
        ("time_zone".into(), "UTC".into()),
        ("currency".into(), "EUR".into()),
    ]);
    crate::pages::page(&SetupPage::new(&ctx, form, None))
}

/// Creates the clinic and its admin, signs the admin in, and opens the queue; bad input is
/// shown on the form with the values kept (the password is asked again).
pub async fn form(State(app): State<Arc<App>>, ctx: Ctx, Posted(form): Posted) -> PageResult {
    let req = SetupRequest {
        token: form.get("token").to_string(),
        clinic: SetupClinic {
            name: form.get("clinic_name").to_string(),
            time_zone: form.get("time_zone").to_string(),
            currency: form.opt("currency").map(str::to_string),
        },
        admin: SetupAdmin {
            email: form.get("admin_email").to_string(),
            name: form.get("admin_name").to_string(),
            password: form.get("admin_password").to_string(),
        },
    };
    match complete(&app, req).await.map_err(ApiError::from) {
        Ok((clinic, staff)) => {
            let login = open_login(&app, clinic.id, LoginKind::Staff, staff.id.0, staff_login_length(&app)).await?;
            let mut res = see_other("/staff");
            res.headers_mut().insert(header::SET_COOKIE, login_cookie(&app, &login)?);
            Ok(res)
        }
        Err(e) => {
            let (_, shown) = Shown::on_form(e)?;
            let keep: Vec<(String, String)> =
                form.pairs().iter().filter(|(k, _)| k != "admin_password" && k != "_csrf").cloned().collect();
            page_with(StatusCode::UNPROCESSABLE_ENTITY, &SetupPage::new(&ctx, FormData::from_pairs(keep), Some(shown)))
        }
    }
}
