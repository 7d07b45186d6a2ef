//! Check-ins: triaged at once by the engine; `contact_clinic` or worse opens an alert with the
//! clinic's response deadline, in the same transaction as the check-in.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use needlepath_core::vocabulary::Disposition;
use needlepath_store::{Actor, PatientId};
use serde_json::{Value, json};

use crate::App;
use crate::api::{created, id};
use crate::auth::Authed;
use crate::body::RawBody;
use crate::clinic::check_ins::{self, CheckInInput, CheckInOutcome};
use crate::problem::{ApiError, ApiResult};

/// A check-in's outcome as the API answers it.
pub fn answer(o: &CheckInOutcome) -> ApiResult<Value> {
    let triage = serde_json::to_value(o.triage()).map_err(|_| ApiError::internal())?;
    let mut answer = json!({
        "call_emergency_services": o.disposition == Disposition::Emergency,
        "disposition": o.disposition.as_str(),
        "check_in": o.check_in,
        "triage": triage,
        "alert": o.alert.as_ref().map(|a| json!({ "id": a.id, "disposition": a.disposition, "deadline_at": a.deadline_at })),
    });
    if !o.unread.is_empty() {
        answer["unread"] =
            json!(o.unread.iter().map(|e| json!({ "field": e.field, "detail": e.message })).collect::<Vec<_>>());
    }
    Ok(answer)
}

/// Triage a check-in for `patient`, store it with its alert, and answer (`clinic::check_ins`).
pub async fn submit(app: &App, actor: &Actor, patient: PatientId, body: &Value) -> ApiResult<Value> {
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
) -> ApiResult<Json<Value>> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(Json(json!({ "check_ins": check_ins::list(&app, &a.actor, patient).await? })))
}
