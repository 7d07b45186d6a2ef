//! The alert queue, follow-ups for silent patients, and the clinic's audit log.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use chrono::DateTime;
use chrono::Utc;
use needlepath_store::{Alert, AlertFilter, AlertId, CheckInId, FollowUp, FollowUpId, PatientId, StaffId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::App;
use crate::api::{id, text};
use crate::auth::Authed;
use crate::body::{Body, QueryParams};
use crate::i18n::default_locale;
use crate::problem::{ApiError, ApiResult};
use crate::reasons;

/// A follow-up as the API shows it: the store's reason and note codes in words (the API's
/// language is the default locale's, as the sentences it showed before codes were).
#[derive(Debug, Serialize)]
pub struct FollowUpView {
    pub id: FollowUpId,
    pub patient: PatientId,
    pub patient_name: String,
    pub check_in: CheckInId,
    pub reason: String,
    pub raised_at: DateTime<Utc>,
    pub resolved_by: Option<StaffId>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

impl From<FollowUp> for FollowUpView {
    fn from(f: FollowUp) -> Self {
        let t = default_locale();
        Self {
            id: f.id,
            patient: f.patient,
            patient_name: f.patient_name,
            check_in: f.check_in,
            reason: reasons::follow_up_reason(t, &f.reason),
            raised_at: f.raised_at,
            resolved_by: f.resolved_by,
            resolved_at: f.resolved_at,
            note: f.note.as_ref().map(|n| reasons::follow_up_note(t, n)),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct StateQuery {
    pub state: Option<String>,
}

fn open_only(q: &StateQuery) -> ApiResult<bool> {
    match q.state.as_deref() {
        None | Some("open") => Ok(true),
        Some("all") => Ok(false),
        Some(other) => Err(ApiError::invalid("state", format!("`{other}` is not a state; accepted: open, all"))),
    }
}

pub async fn list_alerts(
    State(app): State<Arc<App>>,
    a: Authed,
    QueryParams(q): QueryParams<StateQuery>,
) -> ApiResult<Json<Value>> {
    let filter = if open_only(&q)? { AlertFilter::Open } else { AlertFilter::All };
    let now = Utc::now();
    let alerts: Vec<Value> = app
        .store
        .list_alerts(&a.actor, filter)
        .await?
        .into_iter()
        .map(|al| {
            let overdue = al.resolved_at.is_none() && al.acknowledged_at.is_none() && al.deadline_at < now;
            let mut v = serde_json::to_value(&al).unwrap_or(Value::Null);
            v["overdue"] = json!(overdue);
            v
        })
        .collect();
    let overdue = alerts.iter().filter(|v| v["overdue"] == json!(true)).count();
    Ok(Json(json!({ "alerts": alerts, "overdue": overdue })))
}

/// Acknowledges an alert (the API and the queue page call this).
pub async fn acknowledge_alert(app: &App, a: &Authed, alert: AlertId) -> ApiResult<Alert> {
    Ok(app.store.acknowledge_alert(&a.actor, alert, Utc::now()).await?)
}

pub async fn acknowledge(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<Alert>> {
    let alert: AlertId = id(&raw, "alert")?;
    Ok(Json(acknowledge_alert(&app, &a, alert).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    pub note: String,
}

/// Resolves an alert with a note (the API and the queue page call this).
pub async fn resolve_alert(app: &App, a: &Authed, alert: AlertId, r: NoteRequest) -> ApiResult<Alert> {
    let note = text("note", &r.note, 4000)?;
    Ok(app.store.resolve_alert(&a.actor, alert, &note, Utc::now()).await?)
}

pub async fn resolve(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<NoteRequest>,
) -> ApiResult<Json<Alert>> {
    let alert: AlertId = id(&raw, "alert")?;
    Ok(Json(resolve_alert(&app, &a, alert, r).await?))
}

pub async fn list_follow_ups(
    State(app): State<Arc<App>>,
    a: Authed,
    QueryParams(q): QueryParams<StateQuery>,
) -> ApiResult<Json<Value>> {
    let follow_ups: Vec<FollowUpView> =
        app.store.list_follow_ups(&a.actor, open_only(&q)?).await?.into_iter().map(FollowUpView::from).collect();
    Ok(Json(json!({ "follow_ups": follow_ups })))
}

/// Closes a follow-up with a note (the API and the queue page call this).
pub async fn close_follow_up(app: &App, a: &Authed, follow_up: FollowUpId, r: NoteRequest) -> ApiResult<FollowUp> {
    let note = text("note", &r.note, 4000)?;
    Ok(app.store.resolve_follow_up(&a.actor, follow_up, &note, Utc::now()).await?)
}

pub async fn resolve_follow_up(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<NoteRequest>,
) -> ApiResult<Json<FollowUpView>> {
    let follow_up: FollowUpId = id(&raw, "follow-up")?;
    Ok(Json(close_follow_up(&app, &a, follow_up, r).await?.into()))
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    pub limit: Option<u32>,
}

pub async fn audit(
    State(app): State<Arc<App>>,
    a: Authed,
    QueryParams(q): QueryParams<AuditQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit.unwrap_or(200);
    if !(1..=5000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be from 1 to 5000"));
    }
    Ok(Json(json!({ "entries": app.store.list_audit(&a.actor, None, limit).await? })))
}
