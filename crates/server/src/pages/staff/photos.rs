//! The photo form of a patient's page (issue 15, part 2): a clinician adds a photo without
//! JavaScript (a multipart/form-data form with the file, the view, when it was taken and the
//! session, and the CSRF field), through the same use case as the API
//! (`clinic::photos::upload_for_patient`). A refusal (no consent, not a photo, a bomb) is shown
//! as the error page with the problem's words.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use needlepath_store::{PatientId, PhotoStage, PhotoView, SessionId};

use crate::App;
use crate::api::id;
use crate::clinic::photos::{self, StaffUpload};
use crate::pages::form::posted_photo;
use crate::pages::{Ctx, PageResult, see_other};
use crate::problem::ApiError;

const VIEWS: &str = "front, left_oblique, right_oblique, left_profile or right_profile";

/// Adds the photo and returns to the patient's page.
pub async fn upload(State(app): State<Arc<App>>, ctx: Ctx, Path(raw): Path<String>, req: Request) -> PageResult {
    let a = ctx.authed()?;
    let patient: PatientId = id(&raw, "patient")?;
    let mut form = posted_photo(req, &["view", "stage", "session_id"]).await?;
    let view = form
        .field("view")
        .and_then(PhotoView::parse)
        .filter(|v| photos::STANDARD_VIEWS.contains(v))
        .ok_or_else(|| ApiError::invalid("view", format!("accepted: {VIEWS}")))?;
    let stage = form
        .field("stage")
        .and_then(PhotoStage::parse)
        .filter(|s| *s != PhotoStage::CheckIn)
        .ok_or_else(|| ApiError::invalid("stage", "accepted: baseline or session"))?;
    // The session list offers "none" for a baseline: a session chosen with a baseline is ignored.
    let session: Option<SessionId> = match stage {
        PhotoStage::Session => Some(
            form.field("session_id")
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| ApiError::invalid("session_id", "choose the session the photo was taken at"))?,
        ),
        _ => None,
    };
    let bytes = form
        .photo
        .take()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| ApiError::invalid("photo", "choose a photo (JPEG, PNG or WebP, at most 20 MB)"))?;
    let upload = StaffUpload { bytes, view, stage, session };
    photos::upload_for_patient(&app, &a.actor, patient, upload).await?;
    Ok(see_other(&format!("/staff/patients/{patient}?photo=uploaded#photos")))
}

/// Attaches the scan of a consent signed on paper and returns to the consent section.
pub async fn consent_scan(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path((raw, consent_raw)): Path<(String, String)>,
    req: Request,
) -> PageResult {
    let a = ctx.authed()?;
    let patient: PatientId = id(&raw, "patient")?;
    let consent: needlepath_store::ConsentId = id(&consent_raw, "consent")?;
    let mut form = posted_photo(req, &[]).await?;
    let bytes = form.photo.take().filter(|b| !b.is_empty()).ok_or_else(|| {
        ApiError::invalid("photo", "choose a photo or scan of the signed page (JPEG, PNG or WebP, at most 20 MB)")
    })?;
    crate::clinic::consent_scan::attach(&app, &a.actor, patient, consent, bytes).await?;
    Ok(see_other(&format!("/staff/patients/{patient}?consent=scanned#consent")))
}
