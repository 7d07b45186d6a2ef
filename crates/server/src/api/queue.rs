//! The alert queue, follow-ups for silent patients, and the clinic's audit log: the JSON
//! adapters of `clinic::queue` (parse, call one use case, answer).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use needlepath_store::{Alert, AlertFilter, AlertId, CheckInId, FollowUp, FollowUpId, PatientId, StaffId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::api::id;
use crate::api::patients::AuditList;
use crate::auth::Authed;
use crate::body::{Body, QueryParams};
use crate::clinic::queue;
use crate::i18n::default_locale;
use crate::problem::{ApiError, ApiResult};
use crate::reasons;

/// A follow-up as the API shows it: the store's reason and note codes in words (the API's
/// language is the default locale's, as the sentences it showed before codes were).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "FollowUp")]
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

/// Follow-ups for patients silent past a check-in.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FollowUpList {
    pub follow_ups: Vec<FollowUpView>,
}

/// An alert as the queue lists it: the alert, and whether it is overdue.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListedAlert {
    #[serde(flatten)]
    pub alert: Alert,
    /// Open, not acknowledged, and its deadline has passed.
    pub overdue: bool,
}

/// Alerts, most urgent and earliest deadline first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AlertList {
    pub alerts: Vec<ListedAlert>,
    /// How many of them are overdue.
    pub overdue: usize,
}

#[derive(Debug, Deserialize)]
pub struct StateQuery {
    pub state: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

impl StateQuery {
    fn page(&self) -> ApiResult<needlepath_store::Page> {
        crate::paging::PageQuery { limit: self.limit, offset: self.offset }.page()
    }
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
) -> ApiResult<Json<AlertList>> {
    let filter = if open_only(&q)? { AlertFilter::Open } else { AlertFilter::All };
    let list = queue::alerts(&app, &a.actor, filter, q.page()?).await?;
    let alerts = list.alerts.into_iter().map(|q| ListedAlert { alert: q.alert, overdue: q.overdue }).collect();
    Ok(Json(AlertList { alerts, overdue: list.overdue }))
}

pub async fn acknowledge(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<Alert>> {
    let alert: AlertId = id(&raw, "alert")?;
    Ok(Json(queue::acknowledge(&app, &a.actor, alert).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    #[schemars(length(min = 1))]
    pub note: String,
}

pub async fn resolve(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<NoteRequest>,
) -> ApiResult<Json<Alert>> {
    let alert: AlertId = id(&raw, "alert")?;
    Ok(Json(queue::resolve(&app, &a.actor, alert, &r.note).await?))
}

pub async fn list_follow_ups(
    State(app): State<Arc<App>>,
    a: Authed,
    QueryParams(q): QueryParams<StateQuery>,
) -> ApiResult<Json<FollowUpList>> {
    let follow_ups: Vec<FollowUpView> = queue::follow_ups(&app, &a.actor, open_only(&q)?, q.page()?)
        .await?
        .into_iter()
        .map(FollowUpView::from)
        .collect();
    Ok(Json(FollowUpList { follow_ups }))
}

pub async fn resolve_follow_up(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<NoteRequest>,
) -> ApiResult<Json<FollowUpView>> {
    let follow_up: FollowUpId = id(&raw, "follow-up")?;
    Ok(Json(queue::close_follow_up(&app, &a.actor, follow_up, &r.note).await?.into()))
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    pub limit: Option<u32>,
}

pub async fn audit(
    State(app): State<Arc<App>>,
    a: Authed,
    QueryParams(q): QueryParams<AuditQuery>,
) -> ApiResult<Json<AuditList>> {
    let limit = q.limit.unwrap_or(200);
    if !(1..=5000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be from 1 to 5000"));
    }
    Ok(Json(AuditList { entries: queue::audit_log(&app, &a.actor, limit).await? }))
}
