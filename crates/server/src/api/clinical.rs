//! Screenings, series plans and sessions over the API: thin adapters around `clinic::{screening,
//! plans, sessions}`, where the engine decides and the store keeps the decision with the
//! protocol version it was made under.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use needlepath_store::{PatientId, Screening, ScreeningId};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::App;
use crate::api::{created, id, opt_text};
use crate::auth::Authed;
use crate::body::{Body, RawBody};
use crate::clinic::plans::{self, plan_patient};
use crate::clinic::screening::{self, review_decision, screen_patient};
use crate::clinic::sessions::{self, NewSessionRequest, record};
use crate::problem::ApiResult;

pub async fn list_screenings(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
) -> ApiResult<Json<Value>> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(Json(json!({ "screenings": screening::list(&app, &a.actor, patient).await? })))
}

pub async fn screen(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let patient_id: PatientId = id(&raw, "patient")?;
    Ok(created(screen_patient(&app, &a.actor, patient_id, body).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `cleared` or `not_cleared`.
    pub decision: String,
    pub note: Option<String>,
}

pub async fn review(
    State(app): State<Arc<App>>,
    a: Authed,
    Path((raw, raw_screening)): Path<(String, String)>,
    Body(r): Body<ReviewRequest>,
) -> ApiResult<Json<Screening>> {
    let patient: PatientId = id(&raw, "patient")?;
    let screening: ScreeningId = id(&raw_screening, "screening")?;
    let decision = review_decision("decision", &r.decision)?;
    let note = opt_text("note", r.note.as_deref(), 4000)?;
    Ok(Json(screening::review(&app, &a.actor, patient, screening, decision, note).await?))
}

pub async fn list_plans(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<Value>> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(Json(json!({ "plans": plans::list(&app, &a.actor, patient).await? })))
}

pub async fn plan(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let patient_id: PatientId = id(&raw, "patient")?;
    Ok(created(plan_patient(&app, &a.actor, patient_id, body).await?))
}

pub async fn list_sessions(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<Value>> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(Json(json!({ "sessions": sessions::list(&app, &a.actor, patient).await? })))
}

/// Sessions recorded over blockers, newest first, for staff to review.
pub async fn list_overrides(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "overrides": sessions::overrides(&app, &a.actor, 200).await? })))
}

pub async fn record_session(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<NewSessionRequest>,
) -> ApiResult<Response> {
    let patient_id: PatientId = id(&raw, "patient")?;
    let (session, check_ins) = record(&app, &a.actor, patient_id, r).await?;
    Ok(created(json!({ "session": session, "check_ins": check_ins })))
}
