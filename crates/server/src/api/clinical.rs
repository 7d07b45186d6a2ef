//! Screenings, series plans and sessions over the API: thin adapters around `clinic::{screening,
//! plans, sessions}`, where the engine decides and the store keeps the decision with the
//! protocol version it was made under.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use needlepath_core::pathway::gates::ReviewDecision;
use needlepath_store::{CheckIn, PatientId, Plan, Screening, ScreeningId, Session, SessionOverride};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::api::{created, id, opt_text};
use crate::auth::Authed;
use crate::body::{Body, RawBody};
use crate::clinic::plans::{self, plan_patient};
use crate::clinic::screening::{self, review_decision, screen_patient};
use crate::clinic::sessions::{self, NewSessionRequest, record};
use crate::problem::ApiResult;

/// Screenings, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ScreeningList {
    pub screenings: Vec<Screening>,
}

/// Series plans.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PlanList {
    pub plans: Vec<Plan>,
}

/// Treatment sessions.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SessionList {
    pub sessions: Vec<Session>,
}

/// Sessions recorded over blockers, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OverrideList {
    pub overrides: Vec<SessionOverride>,
}

/// A session as recorded, with the check-ins scheduled after it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SessionRecorded {
    pub session: Session,
    pub check_ins: Vec<CheckIn>,
}

pub async fn list_screenings(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
) -> ApiResult<Json<ScreeningList>> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(Json(ScreeningList { screenings: screening::list(&app, &a.actor, patient).await? }))
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// The clinician's decision; `not_cleared` blocks sessions until a new screening.
    #[schemars(with = "ReviewDecision")]
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

pub async fn list_plans(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    crate::body::QueryParams(q): crate::body::QueryParams<crate::paging::PageQuery>,
) -> ApiResult<Json<PlanList>> {
    let patient: PatientId = id(&raw, "patient")?;
    let page = q.page()?;
    Ok(Json(PlanList { plans: plans::list(&app, &a.actor, patient, page).await? }))
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

pub async fn list_sessions(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    crate::body::QueryParams(q): crate::body::QueryParams<crate::paging::PageQuery>,
) -> ApiResult<Json<SessionList>> {
    let patient: PatientId = id(&raw, "patient")?;
    let page = q.page()?;
    Ok(Json(SessionList { sessions: sessions::list(&app, &a.actor, patient, page).await? }))
}

/// Sessions recorded over blockers, newest first, for staff to review.
pub async fn list_overrides(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<OverrideList>> {
    Ok(Json(OverrideList { overrides: sessions::overrides(&app, &a.actor, 200).await? }))
}

pub async fn record_session(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<NewSessionRequest>,
) -> ApiResult<Response> {
    let patient_id: PatientId = id(&raw, "patient")?;
    let (session, check_ins) = record(&app, &a.actor, patient_id, r).await?;
    Ok(created(SessionRecorded { session, check_ins }))
}
