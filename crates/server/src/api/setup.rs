//! First run: the one-time setup link creates the clinic and its first admin.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use needlepath_store::{ClinicSettings, NewClinic, NewStaff, Role};
use serde::Deserialize;
use serde_json::json;

use crate::App;
use crate::api::{created, email, text, zone};
use crate::auth::secrets;
use crate::body::Body;
use crate::problem::{ApiError, ApiResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub token: String,
    pub clinic: SetupClinic,
    pub admin: SetupAdmin,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupClinic {
    pub name: String,
    pub time_zone: String,
    #[serde(default)]
    pub currency: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupAdmin {
    pub email: String,
    pub name: String,
    pub password: String,
}

async fn complete(app: &App, req: SetupRequest) -> ApiResult<serde_json::Value> {
    let name = text("clinic.name", &req.clinic.name, 200)?;
    let tz = zone("clinic.time_zone", &req.clinic.time_zone)?;
    let mut settings = ClinicSettings::default();
    if let Some(c) = req.clinic.currency {
        settings.currency = currency("clinic.currency", &c)?;
    }
    let admin_email = email("admin.email", &req.admin.email)?;
    let admin_name = text("admin.name", &req.admin.name, 200)?;
    secrets::check_new_password(&req.admin.password).map_err(|m| ApiError::invalid("admin.password", m))?;
    let hash = secrets::hash_password(&req.admin.password).map_err(|_| ApiError::internal())?;
    let (clinic, staff) = app
        .store
        .complete_setup(
            &secrets::token_hash(req.token.trim()),
            Utc::now(),
            NewClinic { name, time_zone: tz.name().to_string(), settings },
            NewStaff { email: admin_email, name: admin_name, role: Role::Admin, password_hash: hash },
        )
        .await?;
    tracing::info!("clinic set up");
    Ok(json!({ "clinic": clinic, "admin": staff }))
}

/// A three-letter ISO 4217 code.
pub fn currency(field: &str, c: &str) -> ApiResult<String> {
    let c = c.trim().to_ascii_uppercase();
    if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()) {
        Ok(c)
    } else {
        Err(ApiError::invalid(
            field,
            format!("`{c}` is not a currency code; accepted: three letters such as EUR, USD, GBP"),
        ))
    }
}

pub async fn api(State(app): State<Arc<App>>, Body(req): Body<SetupRequest>) -> ApiResult<axum::response::Response> {
    Ok(created(complete(&app, req).await?))
}

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A plain form, working without script, for the setup link.
pub async fn page(Query(q): Query<TokenQuery>) -> Response {
    let body = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Set up needlepath</title></head><body><main><h1>Set up your clinic</h1>
<form method="post" action="/setup"><input type="hidden" name="token" value="{}">
<p><label for="clinic_name">Clinic name</label><br><input id="clinic_name" name="clinic_name" required></p>
<p><label for="time_zone">Time zone (for example Europe/Berlin)</label><br><input id="time_zone" name="time_zone" required value="UTC"></p>
<p><label for="admin_name">Your name</label><br><input id="admin_name" name="admin_name" required autocomplete="name"></p>
<p><label for="admin_email">Your e-mail</label><br><input id="admin_email" name="admin_email" type="email" required autocomplete="email"></p>
<p><label for="admin_password">Password (at least {} characters)</label><br><input id="admin_password" name="admin_password" type="password" required minlength="{}" autocomplete="new-password"></p>
<p><button type="submit">Create the clinic</button></p></form></main></body></html>"#,
        escape(&q.token),
        secrets::MIN_PASSWORD,
        secrets::MIN_PASSWORD
    );
    ([(header::CACHE_CONTROL, "no-store"), (header::REFERRER_POLICY, "no-referrer")], Html(body)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct SetupForm {
    token: String,
    clinic_name: String,
    time_zone: String,
    admin_name: String,
    admin_email: String,
    admin_password: String,
}

pub async fn form(State(app): State<Arc<App>>, Form(f): Form<SetupForm>) -> Response {
    let req = SetupRequest {
        token: f.token,
        clinic: SetupClinic { name: f.clinic_name, time_zone: f.time_zone, currency: None },
        admin: SetupAdmin { email: f.admin_email, name: f.admin_name, password: f.admin_password },
    };
    match complete(&app, req).await {
        Ok(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response(),
        Err(e) => {
            let msg = format!("{}{}", e.field.map(|f| format!("{f}: ")).unwrap_or_default(), e.detail);
            (e.status, Html(format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Setup failed</title></head><body><main><h1>Setup failed</h1><p>{}</p><p>Go back, correct it and send the form again.</p></main></body></html>", escape(&msg)))).into_response()
        }
    }
}
