//! `POST /api/v1/setup`: the one-time setup link creates the clinic and its first admin
//! (`clinic::setup`).

use std::sync::Arc;

use axum::extract::State;
use serde_json::json;

use crate::App;
use crate::api::created;
use crate::body::Body;
use crate::clinic::setup::{SetupRequest, complete};
use crate::problem::ApiResult;

pub async fn api(State(app): State<Arc<App>>, Body(req): Body<SetupRequest>) -> ApiResult<axum::response::Response> {
    let (clinic, staff) = complete(&app, req).await?;
    Ok(created(json!({ "clinic": clinic, "admin": staff })))
}
