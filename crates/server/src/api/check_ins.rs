//! Check-ins: triaged at once by the engine; `contact_clinic` or worse opens an alert with the
//! clinic's response deadline, in the same transaction as the check-in.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use needlepath_core::vocabulary::Disposition;
use needlepath_store::{Actor, AlertId, CheckIn, CheckInId, PatientId};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::App;
use crate::api::{created, id};
use crate::auth::Authed;
use crate::body::RawBody;
use crate::clinic::check_ins::{self, CheckInInput, CheckInOutcome};
use crate::problem::{ApiError, ApiResult};

/// A check-in that names a warning sign (a red flag or emergency sign) is answered and alerted
/// even when other fields are faulty: they are left out and listed in the result's `unread`.
//
// The body is read by the engine's lenient check-in reader, not by serde, so this type is never
// built: it describes the body for the OpenAPI document.
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct CheckInSubmit {
    pub symptoms: Vec<SymptomReport>,
    pub temperature_c: Option<f64>,
    pub note: Option<String>,
    /// The scheduled check-in this answers.
    pub check_in_id: Option<CheckInId>,
}

/// One symptom of a check-in as posted.
#[derive(Debug, JsonSchema)]
#[allow(dead_code)]
pub struct SymptomReport {
    pub code: String,
    /// Not given: assessed as severe (the conservative side).
    pub severity: Option<Severity>,
    pub trend: Option<Trend>,
}

#[derive(Debug, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum Severity {
    Mild,
    Moderate,
    Severe,
}

#[derive(Debug, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum Trend {
    Improving,
    Same,
    Worse,
}

/// A check-in's outcome as the API answers it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "CheckInResult")]
pub struct CheckInAnswer {
    pub call_emergency_services: bool,
    pub disposition: Disposition,
    pub check_in: CheckIn,
    #[schemars(schema_with = "needlepath_store::schema::contract::triage_result")]
    pub triage: Value,
    pub alert: Option<OpenedAlert>,
    /// Present only when a check-in naming a warning sign was answered despite faulty fields:
    /// each part left out, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<Unread>,
}

/// The alert a check-in opened.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(inline)]
pub struct OpenedAlert {
    pub id: AlertId,
    pub disposition: Disposition,
    pub deadline_at: DateTime<Utc>,
}

/// A part of a check-in left out, and why.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(inline)]
pub struct Unread {
    pub field: String,
    pub detail: String,
}

/// A patient's check-ins, scheduled and submitted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckInList {
    pub check_ins: Vec<CheckIn>,
}

/// A check-in's outcome as the API answers it.
pub fn answer(o: &CheckInOutcome) -> ApiResult<CheckInAnswer> {
    let triage = serde_json::to_value(o.triage()).map_err(|_| ApiError::internal())?;
    Ok(CheckInAnswer {
        call_emergency_services: o.disposition == Disposition::Emergency,
        disposition: o.disposition,
        check_in: o.check_in.clone(),
        triage,
        alert: o.alert.as_ref().map(|a| OpenedAlert {
            id: a.id,
            disposition: a.disposition,
            deadline_at: a.deadline_at,
        }),
        unread: o.unread.iter().map(|e| Unread { field: e.field.clone(), detail: e.message.clone() }).collect(),
    })
}

/// Triage a check-in for `patient`, store it with its alert, and answer (`clinic::check_ins`).
pub async fn submit(app: &App, actor: &Actor, patient: PatientId, body: &Value) -> ApiResult<CheckInAnswer> {
    let input = CheckInInput { body: body.clone(), trend_required: false };
    answer(&check_ins::submit(app, actor, patient, &input).await?)
}

pub async fn submit_own(State(app): State<Arc<App>>, a: Authed, RawBody(body): RawBody) -> ApiResult<Response> {
    let patient = a.patient().ok_or_else(|| ApiError::forbidden("only a patient can check in for themselves"))?;
    Ok(created(submit(&app, &a.actor, patient, &body).await?))
}

pub async fn submit_for_patient(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(created(submit(&app, &a.actor, patient, &body).await?))
}

pub async fn list_for_patient(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    crate::body::QueryParams(q): crate::body::QueryParams<crate::paging::PageQuery>,
) -> ApiResult<Json<CheckInList>> {
    let patient: PatientId = id(&raw, "patient")?;
    let page = q.page()?;
    Ok(Json(CheckInList { check_ins: check_ins::list(&app, &a.actor, patient, page).await? }))
}
