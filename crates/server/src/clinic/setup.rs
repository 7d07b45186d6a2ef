//! First run: the one-time setup link creates the clinic and its first admin. The API
//! (`api::setup`) and the setup page (`pages::staff::setup`) both call [`complete`]; the binary
//! asks [`setup_link`] for the link to print while there is no clinic yet.

use chrono::Utc;
use needlepath_store::{Clinic, ClinicSettings, NewClinic, NewStaff, Role, Staff};
use serde::Deserialize;

use crate::App;
use crate::api::{email, text, zone};
use crate::auth::secrets;
use crate::clinic::{ClinicError, ClinicResult};
use crate::problem::ApiError;

/// The one-time setup: the token from the setup link, the clinic and its first admin.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub token: String,
    pub clinic: SetupClinic,
    pub admin: SetupAdmin,
}

/// The clinic being set up.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupClinic {
    pub name: String,
    #[schemars(example = &"Europe/Berlin")]
    pub time_zone: String,
    #[serde(default)]
    pub currency: Option<String>,
}

/// The clinic's first admin.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupAdmin {
    #[schemars(email)]
    pub email: String,
    pub name: String,
    #[schemars(length(min = 12))]
    pub password: String,
}

/// Creates the clinic and its first admin (the API and the setup page both call this).
pub async fn complete(app: &App, req: SetupRequest) -> ClinicResult<(Clinic, Staff)> {
    let name = text("clinic.name", &req.clinic.name, 200)?;
    let tz = zone("clinic.time_zone", &req.clinic.time_zone)?;
    let mut settings = ClinicSettings::default();
    if let Some(c) = req.clinic.currency {
        settings.currency = currency("clinic.currency", &c)?;
    }
    let admin_email = email("admin.email", &req.admin.email)?;
    let admin_name = text("admin.name", &req.admin.name, 200)?;
    secrets::check_new_password(&req.admin.password).map_err(|m| ClinicError::invalid("admin.password", m))?;
    let password = req.admin.password.clone();
    let hash = crate::clinic::access::password_work(app, move || secrets::hash_password(&password))
        .await?
        .map_err(|e| ClinicError::Unexpected(format!("the password could not be hashed: {e}")))?;
    let (clinic, staff) = app
        .records
        .store()
        .complete_setup(
            &secrets::token_hash(req.token.trim()),
            Utc::now(),
            NewClinic { name, time_zone: tz.into(), settings },
            NewStaff { email: admin_email, name: admin_name, role: Role::Admin, password_hash: hash },
        )
        .await?;
    tracing::info!("clinic set up");
    Ok((clinic, staff))
}

/// A three-letter ISO 4217 code.
pub fn currency(field: &str, c: &str) -> Result<String, ApiError> {
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

/// On first run (no clinic yet), makes a new setup link and returns it; `None` once set up.
pub async fn setup_link(app: &App) -> ClinicResult<Option<String>> {
    if app.records.store().has_clinic().await? {
        return Ok(None);
    }
    let token = secrets::new_token();
    let now = Utc::now();
    app.records
        .store()
        .replace_setup_token(&secrets::token_hash(&token), now, now + chrono::Duration::hours(24))
        .await?;
    Ok(Some(format!("{}/setup?token={token}", app.config.public_url.trim_end_matches('/'))))
}
