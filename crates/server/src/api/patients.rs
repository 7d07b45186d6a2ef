//! Patients: their record, search, invitations and who looked at them.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use needlepath_core::vocabulary::Finding;
use needlepath_store::{NewPatient, Patient, PatientFinding, PatientId, PatientUpdate};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::App;
use crate::api::{created, email, id, known_patient, nullable, opt_text, text, zone};
use crate::auth::{Authed, secrets};
use crate::body::{Body, QueryParams};
use crate::problem::{ApiError, ApiResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPatientRequest {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub time_zone: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub fitzpatrick: Option<u8>,
    #[serde(default)]
    pub findings: Vec<PatientFinding>,
    #[serde(default)]
    pub allergies: Vec<String>,
    #[serde(default)]
    pub medication: Vec<String>,
    #[serde(default)]
    pub consent_messages: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientUpdateRequest {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub phone: Option<Option<String>>,
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub birth_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    pub fitzpatrick: Option<Option<u8>>,
    pub findings: Option<Vec<PatientFinding>>,
    pub allergies: Option<Vec<String>>,
    pub medication: Option<Vec<String>>,
    pub consent_messages: Option<bool>,
}

/// The most entries an allergy or medication list may hold, and the longest entry.
pub const FREE_LIST_MAX: usize = 30;
pub const FREE_ENTRY_MAX: usize = 200;

/// An allergy or medication list: trimmed entries, none blank, at most [`FREE_LIST_MAX`] of at
/// most [`FREE_ENTRY_MAX`] characters; each refusal names `field[i]`.
pub fn free_list(field: &str, items: Vec<String>) -> ApiResult<Vec<String>> {
    if items.len() > FREE_LIST_MAX {
        return Err(ApiError::invalid(field, format!("give at most {FREE_LIST_MAX} entries")));
    }
    items.iter().enumerate().map(|(i, s)| text(&format!("{field}[{i}]"), s, FREE_ENTRY_MAX)).collect()
}

/// Only clinical staff (practitioners, admins) change clinical data: findings, allergies,
/// medication. The front desk keeps contact details (and the intake's birth date and skin type,
/// as the new-patient form asks them) (issue 11).
fn clinical_only(a: &Authed, fields: &[(&str, bool)]) -> ApiResult<()> {
    if a.may_edit_clinical_fields() {
        return Ok(());
    }
    let touched: Vec<&str> = fields.iter().filter(|(_, given)| *given).map(|(f, _)| *f).collect();
    match touched.first() {
        None => Ok(()),
        Some(first) => Err(ApiError {
            field: Some((*first).to_string()),
            ..ApiError::new(
                StatusCode::FORBIDDEN,
                "clinical_data_not_allowed",
                format!(
                    "only a practitioner or an admin may change {}; the front desk may change contact details (name, e-mail, phone, time zone, message consent), birth date and skin type",
                    touched.join(", ")
                ),
            )
        }),
    }
}

fn fitzpatrick(v: Option<u8>) -> ApiResult<Option<u8>> {
    match v {
        Some(f) if !(1..=6).contains(&f) => {
            Err(ApiError::invalid("fitzpatrick", format!("{f} is not a Fitzpatrick type; accepted: 1 to 6")))
        }
        v => Ok(v),
    }
}

fn birth_date(v: Option<NaiveDate>) -> ApiResult<Option<NaiveDate>> {
    let today = Utc::now().date_naive();
    match v {
        Some(d) if d > today || d.year_ce().1 < 1900 => {
            Err(ApiError::invalid("birth_date", format!("{d} is not a plausible birth date (from 1900 to today)")))
        }
        v => Ok(v),
    }
}

use chrono::Datelike as _;

fn findings(list: Vec<PatientFinding>) -> ApiResult<Vec<PatientFinding>> {
    let today = Utc::now().date_naive();
    for (i, f) in list.iter().enumerate() {
        Finding::parse(&f.code).map_err(|e| ApiError::invalid(format!("findings[{i}].code"), e.to_string()))?;
        if let Some(d) = f.last
            && d > today
        {
            return Err(ApiError::invalid(
                format!("findings[{i}].last"),
                format!("{d} is in the future; give the day it last happened"),
            ));
        }
    }
    Ok(list)
}

fn phone(v: Option<&str>) -> ApiResult<Option<String>> {
    let p = opt_text("phone", v, 40)?;
    if let Some(p) = &p
        && !p.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        return Err(ApiError::invalid("phone", "may hold digits, spaces and + - ( ) . only"));
    }
    Ok(p)
}

/// Adds a patient (the API and the new-patient page call this); the time zone defaults to the
/// clinic's.
pub async fn create_patient(app: &App, a: &Authed, r: NewPatientRequest) -> ApiResult<Patient> {
    clinical_only(
        a,
        &[
            ("findings", !r.findings.is_empty()),
            ("allergies", !r.allergies.is_empty()),
            ("medication", !r.medication.is_empty()),
        ],
    )?;
    let tz = match r.time_zone.as_deref() {
        Some(z) => zone("time_zone", z)?.name().to_string(),
        None => app.store.clinic(a.clinic()).await?.time_zone,
    };
    let new = NewPatient {
        name: text("name", &r.name, 200)?,
        email: r.email.as_deref().map(|e| email("email", e)).transpose()?,
        phone: phone(r.phone.as_deref())?,
        time_zone: tz,
        birth_date: birth_date(r.birth_date)?,
        fitzpatrick: fitzpatrick(r.fitzpatrick)?,
        findings: findings(r.findings)?,
        allergies: free_list("allergies", r.allergies)?,
        medication: free_list("medication", r.medication)?,
        consent_messages: r.consent_messages,
    };
    Ok(app.store.create_patient(&a.actor, new).await?)
}

pub async fn create(State(app): State<Arc<App>>, a: Authed, Body(r): Body<NewPatientRequest>) -> ApiResult<Response> {
    Ok(created(create_patient(&app, &a, r).await?))
}

pub async fn get_one(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<Patient>> {
    Ok(Json(app.store.patient(&a.actor, id(&raw, "patient")?).await?))
}

pub async fn update(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<PatientUpdateRequest>,
) -> ApiResult<Json<Patient>> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(Json(update_patient(&app, &a, patient, r).await?))
}

/// Changes a patient's record (the API and the record page's editors call this): contact
/// details by any staff, clinical data (findings, allergies, medication) by clinical
/// staff only. The store audits the change.
pub async fn update_patient(app: &App, a: &Authed, patient: PatientId, r: PatientUpdateRequest) -> ApiResult<Patient> {
    clinical_only(
        a,
        &[
            ("findings", r.findings.is_some()),
            ("allergies", r.allergies.is_some()),
            ("medication", r.medication.is_some()),
        ],
    )?;
    let update = PatientUpdate {
        name: r.name.as_deref().map(|n| text("name", n, 200)).transpose()?,
        email: r.email.map(|e| e.as_deref().map(|e| email("email", e)).transpose()).transpose()?,
        phone: r.phone.map(|p| phone(p.as_deref())).transpose()?,
        time_zone: r.time_zone.as_deref().map(|z| zone("time_zone", z).map(|t| t.name().to_string())).transpose()?,
        birth_date: r.birth_date.map(birth_date).transpose()?,
        fitzpatrick: r.fitzpatrick.map(fitzpatrick).transpose()?,
        findings: r.findings.map(findings).transpose()?,
        allergies: r.allergies.map(|l| free_list("allergies", l)).transpose()?,
        medication: r.medication.map(|l| free_list("medication", l)).transpose()?,
        consent_messages: r.consent_messages,
    };
    Ok(app.store.update_patient(&a.actor, patient, update).await?)
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub search: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

pub async fn list(
    State(app): State<Arc<App>>,
    a: Authed,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be from 1 to 500"));
    }
    let offset = q.offset.unwrap_or(0);
    let patients = app.store.list_patients(&a.actor, q.search.as_deref(), limit, offset).await?;
    Ok(Json(json!({ "patients": patients, "limit": limit, "offset": offset })))
}

/// A new invite: the link (shown once; only its hash is stored) and when it expires.
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub url: String,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Invites a patient (the API and the patient page call this).
pub async fn create_invite(app: &App, a: &Authed, patient: PatientId) -> ApiResult<NewInvite> {
    let token = secrets::new_token();
    let expires_at = Utc::now() + Duration::hours(i64::from(app.config.invite_hours));
    app.store.create_invite(&a.actor, patient, &secrets::token_hash(&token), expires_at).await?;
    let url = format!("{}/invite?token={token}", app.config.public_url.trim_end_matches('/'));
    Ok(NewInvite { url, token, expires_at })
}

pub async fn invite(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Response> {
    let patient: PatientId = id(&raw, "patient")?;
    let i = create_invite(&app, &a, patient).await?;
    Ok(created(json!({ "patient_id": patient, "url": i.url, "token": i.token, "expires_at": i.expires_at })))
}

pub async fn audit(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<Value>> {
    let patient = known_patient(&app, &a, &raw).await?;
    Ok(Json(json!({ "entries": app.store.list_audit(&a.actor, Some(patient), 500).await? })))
}
