//! Photos over the JSON API (issue 15, part 2): clinicians upload and list a patient's photos, a
//! patient sends one with a check-in and lists theirs, and both read an image or its thumbnail.
//! Uploads are multipart/form-data (`body::PhotoForm`); each handler calls one use case of
//! `clinic::photos`. Images are answered as `image/jpeg` with `Cache-Control: no-store`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use needlepath_store::{CheckInId, PatientId, PhotoId, PhotoStage, PhotoView, SessionId};
use schemars::JsonSchema;
use serde::Serialize;

use crate::App;
use crate::api::me::me_id;
use crate::api::{created, id};
use crate::auth::Authed;
use crate::body::PhotoForm;
use crate::clinic::photos::{self, PhotoList, Size, StaffUpload};
use crate::problem::{ApiError, ApiResult};

/// A clinician's upload, as multipart/form-data.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PhotoUpload {
    /// The photo: JPEG, PNG or WebP, at most 20 MiB, 10,000 pixels a side and 50 megapixels.
    /// Kept re-encoded from its pixels, without any of its metadata.
    #[schemars(extend("format" = "binary"))]
    pub photo: String,
    /// The standard view.
    #[schemars(extend("enum" = ["front", "left_oblique", "right_oblique", "left_profile", "right_profile"]))]
    pub view: String,
    /// `baseline` (before treatment) or `session` (at a session: give `session_id`).
    #[schemars(extend("enum" = ["baseline", "session"]))]
    pub stage: String,
    /// The session the photo was taken at (stage `session`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
}

/// A patient's photo with one of their check-ins, as multipart/form-data.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MyPhotoUpload {
    /// The photo: JPEG, PNG or WebP, at most 20 MiB. Kept re-encoded, without metadata.
    #[schemars(extend("format" = "binary"))]
    pub photo: String,
    /// The check-in (one of mine) the photo goes with.
    pub check_in_id: CheckInId,
}

fn the_photo(form: &mut PhotoForm) -> Result<Vec<u8>, ApiError> {
    form.photo.take().ok_or_else(|| {
        ApiError::invalid("photo", "send the photo in the field `photo` (JPEG, PNG or WebP, at most 20 MiB)")
    })
}

fn required<'f>(form: &'f PhotoForm, name: &str, accepted: &str) -> Result<&'f str, ApiError> {
    form.field(name).ok_or_else(|| ApiError::invalid(name, format!("required; accepted: {accepted}")))
}

fn parsed_id<T: std::str::FromStr>(form: &PhotoForm, name: &str) -> Result<Option<T>, ApiError> {
    form.field(name).map(|v| v.parse().map_err(|_| ApiError::invalid(name, "an id (a UUID) is accepted"))).transpose()
}

const VIEWS: &str = "front, left_oblique, right_oblique, left_profile or right_profile";

pub async fn upload_for_patient(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    let patient: PatientId = id(&raw, "patient")?;
    let mut form = PhotoForm::read(req, &["view", "stage", "session_id"]).await?;
    let view = required(&form, "view", VIEWS)?;
    let view = PhotoView::parse(view)
        .filter(|v| photos::STANDARD_VIEWS.contains(v))
        .ok_or_else(|| ApiError::invalid("view", format!("accepted: {VIEWS}")))?;
    let stage = required(&form, "stage", "baseline or session")?;
    let stage = PhotoStage::parse(stage)
        .filter(|s| *s != PhotoStage::CheckIn)
        .ok_or_else(|| ApiError::invalid("stage", "accepted: baseline or session"))?;
    let session: Option<SessionId> = parsed_id(&form, "session_id")?;
    let bytes = the_photo(&mut form)?;
    let upload = StaffUpload { bytes, view, stage, session };
    Ok(created(photos::upload_for_patient(&app, &a.actor, patient, upload).await?))
}

pub async fn for_patient(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
) -> ApiResult<Json<PhotoList>> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(Json(photos::list(&app, &a.actor, patient).await?))
}

pub async fn upload_mine(State(app): State<Arc<App>>, a: Authed, req: Request) -> ApiResult<Response> {
    let me = me_id(&a)?;
    let mut form = PhotoForm::read(req, &["check_in_id"]).await?;
    let check_in: CheckInId = parsed_id(&form, "check_in_id")?
        .ok_or_else(|| ApiError::invalid("check_in_id", "required: the check-in (one of yours) the photo goes with"))?;
    let bytes = the_photo(&mut form)?;
    Ok(created(photos::upload_mine(&app, &a.actor, me, bytes, check_in).await?))
}

pub async fn mine(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<PhotoList>> {
    Ok(Json(photos::list(&app, &a.actor, me_id(&a)?).await?))
}

fn jpeg(bytes: Vec<u8>) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub async fn image(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Response> {
    let photo: PhotoId = id(&raw, "photo")?;
    Ok(jpeg(photos::image(&app, &a.actor, photo, Size::Image).await?))
}

pub async fn thumbnail(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Response> {
    let photo: PhotoId = id(&raw, "photo")?;
    Ok(jpeg(photos::image(&app, &a.actor, photo, Size::Thumbnail).await?))
}

pub async fn set_regions(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    crate::body::Body(r): crate::body::Body<crate::clinic::redness::RegionsRequest>,
) -> ApiResult<Json<crate::clinic::redness::RegionsSet>> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(Json(crate::clinic::redness::set_regions(&app, &a.actor, patient, r).await?))
}

/// The scan of a consent signed on paper, as multipart/form-data.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConsentScanUpload {
    /// A photo or scan of the signed page: JPEG, PNG or WebP, at most 20 MiB. Kept re-encoded,
    /// without metadata.
    #[schemars(extend("format" = "binary"))]
    pub photo: String,
}

pub async fn attach_consent_scan(
    State(app): State<Arc<App>>,
    a: Authed,
    Path((raw, consent_raw)): Path<(String, String)>,
    req: Request,
) -> ApiResult<Json<needlepath_store::Consent>> {
    let patient: PatientId = id(&raw, "patient")?;
    let consent: needlepath_store::ConsentId = id(&consent_raw, "consent")?;
    let mut form = PhotoForm::read(req, &[]).await?;
    let bytes = the_photo(&mut form)?;
    Ok(Json(crate::clinic::consent_scan::attach(&app, &a.actor, patient, consent, bytes).await?))
}

pub async fn consent_scan(
    State(app): State<Arc<App>>,
    a: Authed,
    Path((raw, consent_raw)): Path<(String, String)>,
) -> ApiResult<Response> {
    let patient: PatientId = id(&raw, "patient")?;
    let consent: needlepath_store::ConsentId = id(&consent_raw, "consent")?;
    Ok(jpeg(crate::clinic::consent_scan::image(&app, &a.actor, patient, consent).await?))
}
