//! The clinic's own settings, its staff accounts and its API tokens by the API (admin only,
//! except reading the clinic); the use cases are `clinic::settings`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use needlepath_store::{ApiToken, Clinic, Staff, StaffId, TokenId};
use serde::Serialize;

use crate::App;
use crate::api::{created, id};
use crate::auth::Authed;
use crate::body::Body;
use crate::clinic::settings::{self, ClinicUpdate, NewStaffRequest, NewTokenRequest, StaffUpdateRequest};
use crate::problem::ApiResult;

pub async fn get_clinic(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Clinic>> {
    Ok(Json(crate::clinic::the_clinic(&app, &a.actor).await?))
}

pub async fn update_clinic(
    State(app): State<Arc<App>>,
    a: Authed,
    Body(u): Body<ClinicUpdate>,
) -> ApiResult<Json<Clinic>> {
    Ok(Json(settings::change_clinic(&app, &a.actor, u).await?))
}

/// The clinic's staff accounts.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct StaffList {
    pub staff: Vec<Staff>,
}

/// The clinic's API tokens (never their secrets).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TokenList {
    pub tokens: Vec<ApiToken>,
}

pub async fn list_staff(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<StaffList>> {
    Ok(Json(StaffList { staff: settings::list_staff(&app, &a.actor).await? }))
}

pub async fn add_staff(State(app): State<Arc<App>>, a: Authed, Body(r): Body<NewStaffRequest>) -> ApiResult<Response> {
    Ok(created(settings::create_staff(&app, &a.actor, r).await?))
}

pub async fn update_staff(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<StaffUpdateRequest>,
) -> ApiResult<Json<Staff>> {
    let staff_id: StaffId = id(&raw, "staff member")?;
    Ok(Json(settings::change_staff(&app, &a.actor, staff_id, r).await?))
}

pub async fn list_tokens(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<TokenList>> {
    Ok(Json(TokenList { tokens: settings::list_tokens(&app, &a.actor).await? }))
}

pub async fn create_token(
    State(app): State<Arc<App>>,
    a: Authed,
    Body(r): Body<NewTokenRequest>,
) -> ApiResult<Response> {
    Ok(created(settings::create_token(&app, &a.actor, r).await?))
}

pub async fn revoke_token(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
) -> ApiResult<Json<ApiToken>> {
    let token_id: TokenId = id(&raw, "API token")?;
    Ok(Json(settings::revoke_token(&app, &a.actor, token_id).await?))
}
