//! Patients as staff keep them: the list and search, a new record, one record, its changes
//! (contact details by any staff, clinical data by clinical staff only), invitations to the
//! patient's own pages, and the record's audit trail.
//!
//! Each use case is one unit of work with one audit record; a change reads the record and writes
//! it in one transaction with its record. Input is checked here, field by field, before the
//! store is asked, and every refusal names its field.

use chrono::{Datelike as _, NaiveDate};
use needlepath_core::vocabulary::Finding;
use needlepath_store::{
    Actor, Audit, AuditEntry, IanaZone, NewPatient, PatientFinding, PatientId, PatientUpdate, Seen, Who,
};
use serde::Deserialize;

use crate::App;
use crate::api::{email, nullable, opt_text, text, zone};
use crate::clinic::patient_record::PatientRecord;
use crate::clinic::{ClinicError, ClinicResult};
use crate::problem::ApiError;

/// A new patient as the API and the new-patient form give it.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "NewPatient")]
#[serde(deny_unknown_fields)]
pub struct NewPatientRequest {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Default: the clinic's.
    pub time_zone: Option<String>,
    pub birth_date: Option<NaiveDate>,
    #[schemars(range(min = 1, max = 6))]
    pub fitzpatrick: Option<u8>,
    #[serde(default)]
    pub findings: Vec<PatientFinding>,
    /// Allergies, free text. Changed by practitioners and admins only.
    #[serde(default)]
    #[schemars(length(max = FREE_LIST_MAX), inner(length(min = 1, max = FREE_ENTRY_MAX)))]
    pub allergies: Vec<String>,
    /// Current medication, free text. Changed by practitioners and admins only.
    #[serde(default)]
    #[schemars(length(max = FREE_LIST_MAX), inner(length(min = 1, max = FREE_ENTRY_MAX)))]
    pub medication: Vec<String>,
    #[serde(default)]
    pub consent_messages: bool,
}

/// Changes to a patient's record. Absent fields stay; null clears an optional field.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "PatientUpdate")]
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
    #[schemars(range(min = 1, max = 6))]
    pub fitzpatrick: Option<Option<u8>>,
    /// The whole list; practitioners and admins only.
    pub findings: Option<Vec<PatientFinding>>,
    /// Allergies, free text. Changed by practitioners and admins only.
    #[schemars(length(max = FREE_LIST_MAX), inner(length(min = 1, max = FREE_ENTRY_MAX)))]
    pub allergies: Option<Vec<String>>,
    /// Current medication, free text. Changed by practitioners and admins only.
    #[schemars(length(max = FREE_LIST_MAX), inner(length(min = 1, max = FREE_ENTRY_MAX)))]
    pub medication: Option<Vec<String>>,
    pub consent_messages: Option<bool>,
}

/// The most entries an allergy or medication list may hold, and the longest entry.
pub const FREE_LIST_MAX: usize = 30;
pub const FREE_ENTRY_MAX: usize = 200;

/// An allergy or medication list: trimmed entries, none blank, at most [`FREE_LIST_MAX`] of at
/// most [`FREE_ENTRY_MAX`] characters; each refusal names `field[i]`.
pub fn free_list(field: &str, items: Vec<String>) -> Result<Vec<String>, ApiError> {
    if items.len() > FREE_LIST_MAX {
        return Err(ApiError::invalid(field, format!("give at most {FREE_LIST_MAX} entries")));
    }
    items.iter().enumerate().map(|(i, s)| text(&format!("{field}[{i}]"), s, FREE_ENTRY_MAX)).collect()
}

/// Whether the caller may change clinical fields: clinical staff, by login or token (the rule
/// of `Authed::may_edit_clinical_fields` in `policy`, read from the use case's `Actor`).
fn may_edit_clinical_fields(actor: &Actor) -> bool {
    match actor.who {
        Who::Staff(_, r) | Who::Token(_, r) => r.is_clinical(),
        _ => false,
    }
}

/// Only clinical staff (practitioners, admins) change clinical data: findings, allergies,
/// medication. The front desk keeps contact details (and the intake's birth date and skin type,
/// as the new-patient form asks them) (issue 11).
fn clinical_only(actor: &Actor, fields: &[(&str, bool)]) -> Result<(), ApiError> {
    if may_edit_clinical_fields(actor) {
        return Ok(());
    }
    let touched: Vec<&str> = fields.iter().filter(|(_, given)| *given).map(|(f, _)| *f).collect();
    match touched.first() {
        None => Ok(()),
        Some(first) => Err(ApiError {
            field: Some((*first).to_string()),
            ..ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "clinical_data_not_allowed",
                format!(
                    "only a practitioner or an admin may change {}; the front desk may change contact details (name, e-mail, phone, time zone, message consent), birth date and skin type",
                    touched.join(", ")
                ),
            )
        }),
    }
}

fn fitzpatrick(v: Option<u8>) -> Result<Option<u8>, ApiError> {
    match v {
        Some(f) if !(1..=6).contains(&f) => {
            Err(ApiError::invalid("fitzpatrick", format!("{f} is not a Fitzpatrick type; accepted: 1 to 6")))
        }
        v => Ok(v),
    }
}

fn birth_date(v: Option<NaiveDate>, today: NaiveDate) -> Result<Option<NaiveDate>, ApiError> {
    match v {
        Some(d) if d > today || d.year_ce().1 < 1900 => {
            Err(ApiError::invalid("birth_date", format!("{d} is not a plausible birth date (from 1900 to today)")))
        }
        v => Ok(v),
    }
}

fn findings(list: Vec<PatientFinding>, today: NaiveDate) -> Result<Vec<PatientFinding>, ApiError> {
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

fn phone(v: Option<&str>) -> Result<Option<String>, ApiError> {
    let p = opt_text("phone", v, 40)?;
    if let Some(p) = &p
        && !p.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        return Err(ApiError::invalid("phone", "may hold digits, spaces and + - ( ) . only"));
    }
    Ok(p)
}

/// The record's changes, checked: who may change what first, then each field.
fn changes(actor: &Actor, r: PatientUpdateRequest, today: NaiveDate) -> Result<PatientUpdate, ApiError> {
    clinical_only(
        actor,
        &[
            ("findings", r.findings.is_some()),
            ("allergies", r.allergies.is_some()),
            ("medication", r.medication.is_some()),
        ],
    )?;
    Ok(PatientUpdate {
        name: r.name.as_deref().map(|n| text("name", n, 200)).transpose()?,
        email: r.email.map(|e| e.as_deref().map(|e| email("email", e)).transpose()).transpose()?,
        phone: r.phone.map(|p| phone(p.as_deref())).transpose()?,
        time_zone: r.time_zone.as_deref().map(|z| zone("time_zone", z).map(IanaZone::from)).transpose()?,
        birth_date: r.birth_date.map(|d| birth_date(d, today)).transpose()?,
        fitzpatrick: r.fitzpatrick.map(fitzpatrick).transpose()?,
        findings: r.findings.map(|f| findings(f, today)).transpose()?,
        allergies: r.allergies.map(|l| free_list("allergies", l)).transpose()?,
        medication: r.medication.map(|l| free_list("medication", l)).transpose()?,
        consent_messages: r.consent_messages,
    })
}

/// The clinic's patients, newest first; `search` matches name, e-mail and phone.
pub async fn list(
    app: &App,
    actor: &Actor,
    search: Option<&str>,
    limit: u32,
    offset: u32,
) -> ClinicResult<Vec<PatientRecord>> {
    let mut unit = app.records.store().reading(actor).await?;
    let patients = unit.patients(search, limit, offset).await?;
    unit.finish(Audit {
        also: Vec::new(),
        action: "patient.list",
        patient: None,
        target: None,
        seen: vec![Seen::Patients],
    })
    .await?;
    Ok(patients.into_iter().map(|p| PatientRecord::read_by(p, actor)).collect())
}

/// One patient's record (the API's `GET /api/v1/patients/{id}`, the edit form).
pub async fn show(app: &App, actor: &Actor, id: PatientId) -> ClinicResult<PatientRecord> {
    let mut unit = app.records.store().reading(actor).await?;
    let patient = unit.patient(id).await?;
    unit.finish(Audit::view("patient.read", id, &[Seen::Patient])).await?;
    Ok(PatientRecord::read_by(patient, actor))
}

/// Adds a patient; the time zone defaults to the clinic's. Clinical data only from clinical
/// staff.
pub async fn create(app: &App, actor: &Actor, r: NewPatientRequest) -> ClinicResult<PatientRecord> {
    clinical_only(
        actor,
        &[
            ("findings", !r.findings.is_empty()),
            ("allergies", !r.allergies.is_empty()),
            ("medication", !r.medication.is_empty()),
        ],
    )?;
    let given_zone = r.time_zone.as_deref().map(|z| zone("time_zone", z).map(IanaZone::from)).transpose()?;
    let today = app.now().date_naive();
    let mut new = NewPatient {
        name: text("name", &r.name, 200)?,
        email: r.email.as_deref().map(|e| email("email", e)).transpose()?,
        phone: phone(r.phone.as_deref())?,
        time_zone: given_zone.unwrap_or(IanaZone::UTC),
        birth_date: birth_date(r.birth_date, today)?,
        fitzpatrick: fitzpatrick(r.fitzpatrick)?,
        findings: findings(r.findings, today)?,
        allergies: free_list("allergies", r.allergies)?,
        medication: free_list("medication", r.medication)?,
        consent_messages: r.consent_messages,
    };
    let mut unit = app.records.store().writing(actor).await?;
    if given_zone.is_none() {
        new.time_zone = unit.clinic().await?.time_zone;
    }
    let patient = unit.create_patient(new).await?;
    unit.finish(Audit::view("patient.create", patient.id, &[Seen::Patient])).await?;
    Ok(PatientRecord::read_by(patient, actor))
}

/// Changes a patient's record (`PATCH /api/v1/patients/{id}`): the changes are checked first,
/// then the record is read and written in one transaction.
pub async fn update(app: &App, actor: &Actor, id: PatientId, r: PatientUpdateRequest) -> ClinicResult<PatientRecord> {
    let update = changes(actor, r, app.now().date_naive())?;
    let mut unit = app.records.store().writing(actor).await?;
    let patient = unit.update_patient(id, update).await?;
    unit.finish(Audit::view("patient.update", id, &[Seen::Patient])).await?;
    Ok(PatientRecord::read_by(patient, actor))
}

/// What an edit from the record's page led to.
#[derive(Debug)]
pub enum Edit {
    /// The record as changed.
    Saved(PatientRecord),
    /// The changes were refused; the record as it stands, to show the form again with the
    /// refusal.
    Refused(PatientRecord, ClinicError),
}

/// An edit from the record's page: the record is read first (an unknown patient is not found,
/// whatever was posted), then the posted changes (already refused by the form's own reading, or
/// checked here) are written in the same transaction. A refused edit is recorded as the read it
/// was; a saved one as the change.
pub async fn edit(
    app: &App,
    actor: &Actor,
    id: PatientId,
    posted: Result<PatientUpdateRequest, ClinicError>,
) -> ClinicResult<Edit> {
    let today = app.now().date_naive();
    let mut unit = app.records.store().writing(actor).await?;
    let patient = unit.patient(id).await?;
    let update = match posted.and_then(|r| changes(actor, r, today).map_err(ClinicError::from)) {
        Ok(u) => u,
        Err(e) => {
            unit.finish(Audit::view("patient.read", id, &[Seen::Patient])).await?;
            return Ok(Edit::Refused(PatientRecord::read_by(patient, actor), e));
        }
    };
    let saved = unit.update_patient(id, update).await?;
    unit.finish(Audit::view("patient.update", id, &[Seen::Patient])).await?;
    Ok(Edit::Saved(PatientRecord::read_by(saved, actor)))
}

/// The latest audit records about a patient (who looked, who changed what), read before this
/// view's own record is written.
pub async fn audit_trail(app: &App, actor: &Actor, id: PatientId, limit: u32) -> ClinicResult<Vec<AuditEntry>> {
    let mut unit = app.records.store().reading(actor).await?;
    unit.patient(id).await?;
    let entries = unit.audit_trail(id, limit).await?;
    unit.finish(Audit::view("patient.read", id, &[Seen::Patient, Seen::Audit])).await?;
    Ok(entries)
}
