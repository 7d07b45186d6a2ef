//! The engine's four decisions for anyone, exactly as the contract (`docs/spec/`) defines them:
//! the same functions the command line calls, so the two can never disagree.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use needlepath_core::request::{CanIRequest, CheckIn, PlanRequest, ScreeningRequest, hours_value};
use needlepath_core::{
    can_i as engine_can_i, plan as engine_plan, screening as engine_screening, triage as engine_triage,
};
use schemars::JsonSchema;
use serde_json::Value;

use crate::App;
use crate::api::input;
use crate::body::RawBody;
use crate::problem::{ApiError, ApiResult};

fn json<T: serde::Serialize>(v: &T) -> ApiResult<Json<Value>> {
    serde_json::to_value(v).map(Json).map_err(|_| ApiError::internal())
}

pub async fn screening(State(app): State<Arc<App>>, RawBody(body): RawBody) -> ApiResult<Json<Value>> {
    let req = ScreeningRequest::from_json(&body, app.now().date_naive()).map_err(input)?;
    json(&engine_screening::screen(&app.protocol, &req))
}

pub async fn triage(State(app): State<Arc<App>>, RawBody(body): RawBody) -> ApiResult<Json<Value>> {
    let req = CheckIn::from_json(&body).map_err(input)?;
    json(&engine_triage::triage(&app.protocol, &req))
}

pub async fn plan(State(app): State<Arc<App>>, RawBody(body): RawBody) -> ApiResult<Json<Value>> {
    let req = PlanRequest::from_json(&body).map_err(input)?;
    json(&engine_plan::plan(&app.protocol, &req))
}

/// May I do this activity now? `{ "activity": "makeup", "hours_since_treatment": 6 }`.
//
// Read by hand in [`can_i`] (each fault names its field), so this type is never built: it
// describes the body for the OpenAPI document.
#[derive(Debug, JsonSchema)]
#[schemars(rename = "CanIRequest", deny_unknown_fields)]
#[allow(dead_code)]
pub struct CanIBody {
    /// An activity code of the protocol (`makeup`, `sun`, …).
    pub activity: String,
    /// Hours since the session, 0 or more.
    #[schemars(range(min = 0))]
    pub hours_since_treatment: f64,
}

/// `{ "activity": "makeup", "hours_since_treatment": 6 }`.
pub async fn can_i(State(app): State<Arc<App>>, RawBody(body): RawBody) -> ApiResult<Json<Value>> {
    let req = can_i_request(&body)?;
    json(&engine_can_i::can_i(&app.protocol, &req))
}

/// The can-I body read by hand, each fault naming its field.
pub(crate) fn can_i_request(body: &Value) -> ApiResult<CanIRequest> {
    let obj = body.as_object().ok_or_else(|| ApiError::invalid("(request)", "the body must be a JSON object"))?;
    if let Some(k) = obj.keys().find(|k| !["activity", "hours_since_treatment"].contains(&k.as_str())) {
        return Err(ApiError::invalid(k.clone(), "unknown field; accepted: activity, hours_since_treatment"));
    }
    let activity = match obj.get("activity") {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(ApiError::invalid("activity", "must be an activity code (a string), e.g. makeup")),
        None => return Err(ApiError::invalid("activity", "is required, e.g. makeup")),
    };
    let hours = obj
        .get("hours_since_treatment")
        .ok_or_else(|| ApiError::invalid("hours_since_treatment", "is required: hours since the session, 0 or more"))?;
    let hours = hours_value(hours, "hours_since_treatment").map_err(input)?;
    CanIRequest::parse(activity, hours).map_err(input)
}
