//! Patients: their record, search, invitations and who looked at them. The JSON adapters of
//! `clinic::patients` (parse, call one use case, answer).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use needlepath_store::{AuditEntry, PatientId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::api::{created, id};
use crate::auth::Authed;
use crate::body::{Body, QueryParams};
use crate::clinic::patient_record::PatientRecord;
use crate::clinic::patients::{self, NewPatientRequest, PatientUpdateRequest};
use crate::problem::{ApiError, ApiResult};

pub async fn create(State(app): State<Arc<App>>, a: Authed, Body(r): Body<NewPatientRequest>) -> ApiResult<Response> {
    Ok(created(patients::create(&app, &a.actor, r).await?))
}

pub async fn get_one(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
) -> ApiResult<Json<PatientRecord>> {
    Ok(Json(patients::show(&app, &a.actor, id(&raw, "patient")?).await?))
}

pub async fn update(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<PatientUpdateRequest>,
) -> ApiResult<Json<PatientRecord>> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(Json(patients::update(&app, &a.actor, patient, r).await?))
}

/// A page of patients, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PatientList {
    pub patients: Vec<PatientRecord>,
    pub limit: u32,
    pub offset: u32,
}

/// Audit records, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditList {
    pub entries: Vec<AuditEntry>,
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
) -> ApiResult<Json<PatientList>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be from 1 to 500"));
    }
    let offset = q.offset.unwrap_or(0);
    let patients = patients::list(&app, &a.actor, q.search.as_deref(), limit, offset).await?;
    Ok(Json(PatientList { patients, limit, offset }))
}

/// How many audit records the API lists for one patient.
const AUDIT_LISTED: u32 = 500;

pub async fn audit(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<AuditList>> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(Json(AuditList { entries: patients::audit_trail(&app, &a.actor, patient, AUDIT_LISTED).await? }))
}
