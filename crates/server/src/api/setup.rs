//! `POST /api/v1/setup`: the one-time setup link creates the clinic and its first admin
//! (`clinic::setup`).

use std::sync::Arc;

use axum::extract::State;
use needlepath_store::{Clinic, Staff};
use serde::Serialize;

use crate::App;
use crate::api::created;
use crate::body::Body;
use crate::clinic::setup::{SetupRequest, complete};
use crate::problem::ApiResult;

/// The clinic set up and its first admin.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SetupResult {
    pub clinic: Clinic,
    pub admin: Staff,
}

pub async fn api(State(app): State<Arc<App>>, Body(req): Body<SetupRequest>) -> ApiResult<axum::response::Response> {
    let (clinic, admin) = complete(&app, req).await?;
    Ok(created(SetupResult { clinic, admin }))
}
