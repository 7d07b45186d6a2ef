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
use crate::api::{created, id, known_patient, opt_text};
use crate::auth::Authed;
use crate::body::{Body, RawBody};
use crate::clinic::plans::plan_patient;
use crate::clinic::screening::{review_decision, screen_patient};
use crate::clinic::sessions::{NewSessionRequest, record};
use crate::problem::ApiResult;

pub async fn list_screenings(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
) -> ApiResult<Json<Value>> {
    let patient = known_patient(&app, &a, &raw).await?;
    Ok(Json(json!({ "screenings": app.store.list_screenings(&a.actor, patient).await? })))
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
    Ok(Json(app.store.review_screening(&a.actor, patient, screening, decision, note).await?))
}

pub async fn list_plans(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<Value>> {
    let patient = known_patient(&app, &a, &raw).await?;
    Ok(Json(json!({ "plans": app.store.list_plans(&a.actor, patient).await? })))
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
    let patient = known_patient(&app, &a, &raw).await?;
    Ok(Json(json!({ "sessions": app.store.list_sessions(&a.actor, patient).await? })))
}

/// Sessions recorded over blockers, newest first, for staff to review.
pub async fn list_overrides(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "overrides": app.store.list_overrides(&a.actor, 200).await? })))
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
