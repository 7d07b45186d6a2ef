//! The clinic's own settings, its staff accounts and its API tokens: the admin's work in
//! Settings, by the API and by the settings page alike. Each change is one store call with its
//! audit record; settings, a clinic protocol and new staff are checked here, field by field,
//! before the store is asked.

use needlepath_core::protocol::Protocol;
use needlepath_store::{
    Actor, ApiToken, Clinic, ClinicContact, ClinicSettings, IanaZone, NewStaff, Role, Staff, StaffId, StaffUpdate,
    TokenId,
};
use serde::Deserialize;
use serde_json::json;

use crate::App;
use crate::api::{email, opt_text, text, zone};
use crate::auth::secrets;
use crate::clinic::setup::currency;
use crate::clinic::{ClinicError, ClinicResult};
use crate::policy::Caller;
use crate::problem::{ApiError, ApiResult};

/// Changes to the clinic; a part left out stays as it is.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClinicUpdate {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub settings: Option<ClinicSettings>,
}

/// Checks settings a clinic sends; the error names the field.
pub fn check_settings(s: &ClinicSettings) -> ApiResult<ClinicSettings> {
    let mut s = s.clone();
    s.currency = currency("settings.currency", &s.currency)?;
    if let Some(p) = s.price_per_session
        && !(p.is_finite() && (0.0..=1_000_000.0).contains(&p))
    {
        return Err(ApiError::invalid("settings.price_per_session", "must be a number from 0 to 1000000"));
    }
    s.opening_hours.parsed().map_err(|(f, m)| ApiError::invalid(format!("settings.{f}"), m))?;
    if !(1..=24 * 60).contains(&s.response.emergency_minutes) {
        return Err(ApiError::invalid("settings.response.emergency_minutes", "must be from 1 to 1440 minutes"));
    }
    if !(1..=24 * 60).contains(&s.response.urgent_minutes) {
        return Err(ApiError::invalid("settings.response.urgent_minutes", "must be from 1 to 1440 minutes"));
    }
    if !(1..=10).contains(&s.response.contact_business_days) {
        return Err(ApiError::invalid("settings.response.contact_business_days", "must be from 1 to 10 business days"));
    }
    if s.check_in_days.is_empty() || s.check_in_days.len() > 8 {
        return Err(ApiError::invalid("settings.check_in_days", "give 1 to 8 days, for example [1, 3, 7, 14]"));
    }
    if let Some((i, d)) = s.check_in_days.iter().enumerate().find(|(_, d)| !(1..=90).contains(*d)) {
        return Err(ApiError::invalid(
            format!("settings.check_in_days[{i}]"),
            format!("{d} is not a day from 1 to 90"),
        ));
    }
    s.check_in_days.sort_unstable();
    s.check_in_days.dedup();
    let first_by = needlepath_core::protocol::FIRST_CHECK_IN_BY_DAY;
    if s.check_in_days.first().is_some_and(|d| *d > first_by) {
        return Err(ApiError::invalid(
            "settings.check_in_days",
            format!(
                "the first check-in must be by day {first_by}: cold-sore and infection signs start 24 to 48 hours after a session"
            ),
        ));
    }
    if !(1..=168).contains(&s.missed_check_in_grace_hours) {
        return Err(ApiError::invalid("settings.missed_check_in_grace_hours", "must be from 1 to 168 hours"));
    }
    let quiet = needlepath_core::reminders::QuietHours::parse(&s.quiet_hours)
        .map_err(|m| ApiError::invalid("settings.quiet_hours", m))?;
    s.quiet_hours = quiet.to_string();
    s.contact = check_contact(&s.contact)?;
    Ok(s)
}

/// Checks how patients reach the clinic; empty parts are absent. The error names the field.
pub fn check_contact(c: &ClinicContact) -> ApiResult<ClinicContact> {
    let phone = |field: &str, v: Option<&str>| -> ApiResult<Option<String>> {
        let p = opt_text(field, v, 40)?;
        if let Some(p) = &p {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            if !p.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) || !(3..=20).contains(&digits) {
                return Err(ApiError::invalid(
                    field,
                    format!("`{p}` is not a phone number: 3 to 20 digits, with spaces and + - ( ) . only"),
                ));
            }
        }
        Ok(p)
    };
    let country = match c.country.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) if needlepath_core::reach::is_country(&v.to_ascii_uppercase()) => Some(v.to_ascii_uppercase()),
        Some(v) => {
            return Err(ApiError::invalid(
                "settings.contact.country",
                format!("`{v}` is not a country code; accepted: ISO 3166 alpha-2, such as DE, GB or US"),
            ));
        }
    };
    Ok(ClinicContact {
        phone: phone("settings.contact.phone", c.phone.as_deref())?,
        out_of_hours_phone: phone("settings.contact.out_of_hours_phone", c.out_of_hours_phone.as_deref())?,
        address: opt_text("settings.contact.address", c.address.as_deref(), 300)?,
        email: c
            .email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .map(|e| email("settings.contact.email", e))
            .transpose()?,
        country,
    })
}

/// Changes the clinic (the API's `PATCH /api/v1/clinic` and the settings page call this).
///
/// `settings` replaces the settings as a whole, except `settings.protocol`: absent keeps the
/// clinic's protocol, an empty text removes it, any other text must load over the service's
/// protocol within the safety floor.
pub async fn change_clinic(app: &App, actor: &Actor, u: ClinicUpdate) -> ClinicResult<Clinic> {
    let name = u.name.as_deref().map(|n| text("name", n, 200)).transpose()?;
    let tz = u.time_zone.as_deref().map(|z| zone("time_zone", z).map(IanaZone::from)).transpose()?;
    let settings = match u.settings.as_ref().map(check_settings).transpose()? {
        Some(mut s) => {
            match s.protocol.take() {
                None => s.protocol = app.records.store().clinic(actor.clinic).await?.settings.protocol,
                Some(text) if text.trim().is_empty() => {}
                Some(text) => {
                    check_protocol(&app.protocol, &text).map_err(|e| ClinicError::from(e.api))?;
                    s.protocol = Some(text);
                }
            }
            Some(s)
        }
        None => None,
    };
    Ok(app.records.store().update_clinic(actor, name, tz, settings).await?)
}

/// A clinic protocol that does not load: every problem, with its line and column.
#[derive(Debug, Clone)]
pub struct ProtocolRefused {
    pub problems: Vec<needlepath_core::protocol::Problem>,
    pub api: ApiError,
}

/// Loads a clinic's protocol text over `base`, refusing anything below the safety floor.
pub fn check_protocol(base: &Protocol, text: &str) -> Result<Protocol, Box<ProtocolRefused>> {
    if text.len() > 512 * 1024 {
        return Err(Box::new(ProtocolRefused {
            problems: Vec::new(),
            api: ApiError::invalid("settings.protocol", "is larger than 512 KiB"),
        }));
    }
    Protocol::parse(text, Some(base)).map_err(|e| {
        let detail = e.problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        Box::new(ProtocolRefused {
            api: ApiError::invalid("settings.protocol", format!("the protocol was refused: {detail}"))
                .with_extra(json!({ "problems": e.problems.iter().map(|p| json!({ "line": p.line, "column": p.column, "message": p.message })).collect::<Vec<_>>() })),
            problems: e.problems,
        })
    })
}

/// A new staff account.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NewStaff")]
pub struct NewStaffRequest {
    pub email: String,
    pub name: String,
    pub role: Role,
    #[schemars(length(min = 12))]
    pub password: String,
}

async fn hash(app: &App, password: String, field: &str) -> ClinicResult<String> {
    secrets::check_new_password(&password).map_err(|m| ApiError::invalid(field, m))?;
    crate::clinic::access::password_work(app, move || secrets::hash_password(&password))
        .await?
        .map_err(|e| ClinicError::Unexpected(format!("the password could not be hashed: {e}")))
}

/// Adds a staff account (the API and the settings page call this).
pub async fn create_staff(app: &App, actor: &Actor, r: NewStaffRequest) -> ClinicResult<Staff> {
    let new = NewStaff {
        email: email("email", &r.email)?,
        name: text("name", &r.name, 200)?,
        role: r.role,
        password_hash: hash(app, r.password, "password").await?,
    };
    Ok(app.records.store().add_staff(actor, new).await?)
}

/// Changes to a staff account; a part left out stays as it is.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "StaffUpdate")]
pub struct StaffUpdateRequest {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    #[schemars(length(min = 12))]
    pub password: Option<String>,
}

/// Changes a staff account (the API and the settings page call this); an admin cannot
/// deactivate or demote themselves.
pub async fn change_staff(app: &App, actor: &Actor, staff_id: StaffId, r: StaffUpdateRequest) -> ClinicResult<Staff> {
    if actor.would_lock_self_out(staff_id, r.active, r.role) {
        return Err(ClinicError::invalid(
            "active",
            "an admin cannot deactivate or demote their own account; ask another admin",
        ));
    }
    let password_hash = match r.password {
        Some(p) => Some(hash(app, p, "password").await?),
        None => None,
    };
    let update = StaffUpdate {
        name: r.name.as_deref().map(|n| text("name", n, 200)).transpose()?,
        role: r.role,
        active: r.active,
        password_hash,
    };
    Ok(app.records.store().update_staff(actor, staff_id, update).await?)
}

/// A new API token with its role.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NewToken")]
pub struct NewTokenRequest {
    pub name: String,
    pub role: Role,
}

/// The clinic's staff accounts.
pub async fn list_staff(app: &App, actor: &Actor) -> ClinicResult<Vec<Staff>> {
    Ok(app.records.store().list_staff(actor).await?)
}

/// The clinic's API tokens (never their secrets).
pub async fn list_tokens(app: &App, actor: &Actor) -> ClinicResult<Vec<ApiToken>> {
    Ok(app.records.store().list_api_tokens(actor).await?)
}

/// A token just made, with its secret: shown once, only its hash is kept.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "TokenCreated")]
pub struct NewToken {
    pub token: ApiToken,
    /// Shown once; send as Authorization: Bearer SECRET.
    pub secret: String,
}

/// Makes an API token with a role.
pub async fn create_token(app: &App, actor: &Actor, r: NewTokenRequest) -> ClinicResult<NewToken> {
    let name = text("name", &r.name, 200)?;
    let secret = secrets::new_token();
    let token = app.records.store().create_api_token(actor, &name, r.role, &secrets::token_hash(&secret)).await?;
    Ok(NewToken { token, secret })
}

/// Revokes an API token; it stops working at once.
pub async fn revoke_token(app: &App, actor: &Actor, token: TokenId) -> ClinicResult<ApiToken> {
    Ok(app.records.store().revoke_api_token(actor, token).await?)
}
