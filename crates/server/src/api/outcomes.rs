//! Scar grades and outcomes over the JSON API (issue 15, part 5): clinicians read a patient's
//! outcomes and record a grade; a patient reads theirs and answers the questionnaire. Each
//! handler parses its typed body with core's rules and calls one use case of `clinic::outcomes`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use needlepath_core::outcomes::{Assessment, PatientAnswer};
use needlepath_store::PatientId;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::App;
use crate::api::me::me_id;
use crate::api::{created, id};
use crate::auth::Authed;
use crate::body::Body;
use crate::clinic::outcomes::{self, SeriesOutcomes, refused};
use crate::problem::ApiResult;

/// A clinician's assessment at a milestone of the latest plan's series.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GradeRequest {
    /// `baseline`, `after_session_N` (N even) or `months_3` / `months_6`.
    pub milestone: String,
    /// The Goodman & Baron qualitative grade: 1 macular, 2 mild, 3 moderate, 4 severe.
    #[schemars(range(min = 1, max = 4))]
    pub grade: u8,
    /// Required after baseline, refused at it: worse, no_change, improved, much_improved,
    /// very_much_improved.
    #[serde(default)]
    pub improvement: Option<String>,
    /// At most 4,000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// The patient's answer to the outcome questionnaire.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The questionnaire answered: `after_session_N` or `months_N`, once its day has come.
    pub milestone: String,
    /// Since before treatment: worse, no_change, improved, much_improved, very_much_improved.
    pub improvement: String,
    /// 0 (not at all satisfied) to 10 (completely).
    #[schemars(range(max = 10))]
    pub satisfaction: u8,
    /// Would you recommend the treatment?
    pub recommend: bool,
}

pub async fn for_patient(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
) -> ApiResult<Json<SeriesOutcomes>> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(Json(outcomes::view(&app, &a.actor, patient).await?))
}

pub async fn grade(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<GradeRequest>,
) -> ApiResult<Response> {
    let patient: PatientId = id(&raw, "patient")?;
    let assessment =
        Assessment::parse(&r.milestone, &r.grade.to_string(), r.improvement.as_deref()).map_err(refused)?;
    let saved = outcomes::grade(&app, &a.actor, patient, assessment, r.note.as_deref().unwrap_or_default()).await?;
    Ok(created(saved))
}

pub async fn mine(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<SeriesOutcomes>> {
    Ok(Json(outcomes::view(&app, &a.actor, me_id(&a)?).await?))
}

pub async fn answer_mine(State(app): State<Arc<App>>, a: Authed, Body(r): Body<AnswerRequest>) -> ApiResult<Response> {
    let recommend = if r.recommend { "yes" } else { "no" };
    let answer =
        PatientAnswer::parse(&r.milestone, &r.improvement, &r.satisfaction.to_string(), recommend).map_err(refused)?;
    let saved = outcomes::answer(&app, &a.actor, me_id(&a)?, answer).await?;
    Ok(created(saved))
}

pub async fn clinic_report(
    State(app): State<Arc<App>>,
    a: Authed,
    axum::extract::Query(span): axum::extract::Query<crate::clinic::clinic_outcomes::ReportSpan>,
) -> ApiResult<Json<crate::clinic::clinic_outcomes::ClinicReport>> {
    Ok(Json(crate::clinic::clinic_outcomes::report(&app, &a.actor, &span).await?))
}
