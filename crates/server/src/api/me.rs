//! The patient's own record: only ever their own, because the patient id comes from their
//! login session.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use needlepath_core::timeline::Timeline;
use needlepath_store::{CheckIn, PatientId, Session};
use schemars::JsonSchema;
use serde::Serialize;

use crate::App;
use crate::api::check_ins::CheckInList;
use crate::api::clinical::{PlanList, ScreeningList, SessionList};
use crate::auth::Authed;
use crate::clinic::my_record;
use crate::clinic::patient_record::PatientRecord;
use crate::clinic::today::{TodayParts, today};
use crate::problem::{ApiError, ApiResult};

pub(crate) fn me_id(a: &Authed) -> ApiResult<PatientId> {
    a.patient().ok_or_else(|| ApiError::forbidden("only a patient has a record of their own"))
}

pub async fn me(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<PatientRecord>> {
    Ok(Json(my_record::details(&app, &a.actor, me_id(&a)?).await?))
}

pub async fn screenings(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<ScreeningList>> {
    Ok(Json(ScreeningList { screenings: my_record::screenings(&app, &a.actor, me_id(&a)?).await? }))
}

pub async fn plans(
    State(app): State<Arc<App>>,
    a: Authed,
    crate::body::QueryParams(q): crate::body::QueryParams<crate::paging::PageQuery>,
) -> ApiResult<Json<PlanList>> {
    let page = q.page()?;
    Ok(Json(PlanList { plans: my_record::plans(&app, &a.actor, me_id(&a)?, page).await? }))
}

pub async fn sessions(
    State(app): State<Arc<App>>,
    a: Authed,
    crate::body::QueryParams(q): crate::body::QueryParams<crate::paging::PageQuery>,
) -> ApiResult<Json<SessionList>> {
    let page = q.page()?;
    Ok(Json(SessionList { sessions: my_record::sessions(&app, &a.actor, me_id(&a)?, page).await? }))
}

pub async fn check_ins(
    State(app): State<Arc<App>>,
    a: Authed,
    crate::body::QueryParams(q): crate::body::QueryParams<crate::paging::PageQuery>,
) -> ApiResult<Json<CheckInList>> {
    let page = q.page()?;
    Ok(Json(CheckInList { check_ins: my_record::check_ins(&app, &a.actor, me_id(&a)?, page).await? }))
}

/// What to do and avoid now, after the last session; all null before the first session.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Today")]
pub struct TodayAnswer<'a, 'p> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours_since_session: Option<f64>,
    pub session: Option<&'a Session>,
    /// The aftercare timeline of the session.
    #[schemars(schema_with = "needlepath_store::schema::object_or_null")]
    pub timeline: Option<&'a Timeline<'p>>,
    pub next_check_in: Option<&'a CheckIn>,
}

/// What to do and avoid now: the aftercare timeline of the last session, what is still ahead,
/// and the next check-in.
pub async fn today_get(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Response> {
    let id = me_id(&a)?;
    let protocol = app.protocol_for(a.clinic()).await?;
    let t = today(&app, &protocol, &a.actor, id, TodayParts::Aftercare).await?;
    let (Some(last), Some(tl)) = (t.sessions.first(), t.timeline.as_ref()) else {
        let none =
            TodayAnswer { now: None, hours_since_session: None, session: None, timeline: None, next_check_in: None };
        return Ok(Json(none).into_response());
    };
    let now = t.now;
    Ok(Json(TodayAnswer {
        now: Some(now),
        hours_since_session: Some((now - last.performed_at).num_minutes() as f64 / 60.0),
        session: Some(last),
        timeline: Some(tl),
        next_check_in: t.next_check_in.as_ref(),
    })
    .into_response())
}
