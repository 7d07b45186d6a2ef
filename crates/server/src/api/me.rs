//! The patient's own record: only ever their own, because the patient id comes from their
//! login session.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use needlepath_store::{Patient, PatientId};
use serde_json::{Value, json};

use crate::App;
use crate::auth::Authed;
use crate::clinic::my_record;
use crate::clinic::today::{TodayParts, today};
use crate::problem::{ApiError, ApiResult};

pub(crate) fn me_id(a: &Authed) -> ApiResult<PatientId> {
    a.patient().ok_or_else(|| ApiError::forbidden("only a patient has a record of their own"))
}

pub async fn me(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Patient>> {
    Ok(Json(my_record::details(&app, &a.actor, me_id(&a)?).await?))
}

pub async fn screenings(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "screenings": my_record::screenings(&app, &a.actor, me_id(&a)?).await? })))
}

pub async fn plans(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "plans": my_record::plans(&app, &a.actor, me_id(&a)?).await? })))
}

pub async fn sessions(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "sessions": my_record::sessions(&app, &a.actor, me_id(&a)?).await? })))
}

pub async fn check_ins(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "check_ins": my_record::check_ins(&app, &a.actor, me_id(&a)?).await? })))
}

/// What to do and avoid now: the aftercare timeline of the last session, what is still ahead,
/// and the next check-in.
pub async fn today_get(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    let id = me_id(&a)?;
    let protocol = app.protocol_for(a.clinic()).await?;
    let t = today(&app, &protocol, &a.actor, id, TodayParts::Aftercare).await?;
    let (Some(last), Some(tl)) = (t.sessions.first(), t.timeline.as_ref()) else {
        return Ok(Json(json!({ "session": null, "timeline": null, "next_check_in": null })));
    };
    let now = t.now;
    Ok(Json(json!({
        "now": now,
        "hours_since_session": (now - last.performed_at).num_minutes() as f64 / 60.0,
        "session": last,
        "timeline": tl,
        "next_check_in": t.next_check_in,
    })))
}
