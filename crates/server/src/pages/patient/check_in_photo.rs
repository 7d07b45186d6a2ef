//! A photo with a check-in (issue 15, part 2): after the answer to their check-in the patient
//! may add a photo of the healing skin from their phone, on a plain multipart form
//! (`capture` opens the camera; no JavaScript needed), through the same use case as the API
//! (`clinic::photos::upload_mine`). The check-in itself never waits for a photo: it is answered
//! and stored first, so nothing about a photo can stop a red flag being answered. A refusal (no
//! consent to photos, not a photo, too large) is shown as the error page with the problem's
//! words.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use needlepath_store::CheckInId;

use crate::App;
use crate::api::id;
use crate::clinic::photos;
use crate::pages::form::posted_photo;
use crate::pages::patient::me;
use crate::pages::{Ctx, PageResult, see_other};
use crate::problem::ApiError;

/// Keeps the photo with the check-in and shows the history with a notice.
pub async fn upload(State(app): State<Arc<App>>, ctx: Ctx, Path(raw): Path<String>, req: Request) -> PageResult {
    let (a, patient) = me(&ctx)?;
    let check_in: CheckInId = id(&raw, "check-in")?;
    let mut form = posted_photo(req, &[]).await?;
    let bytes = form
        .photo
        .take()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| ApiError::invalid("photo", "choose a photo (JPEG, PNG or WebP, at most 20 MB)"))?;
    photos::upload_mine(&app, &a.actor, patient, bytes, check_in).await?;
    Ok(see_other("/me/history?photo=sent"))
}
