//! The redness regions form of a patient's page (issue 15, part 4): a clinician marks, in
//! percent of the baseline photo, the treated and the untreated skin of a view, without
//! JavaScript, through the same use case as the API (`clinic::redness::set_regions`).

use std::sync::Arc;

use axum::extract::{Path, State};
use needlepath_store::PatientId;

use crate::App;
use crate::api::id;
use crate::clinic::redness::{RegionInput, RegionsRequest, set_regions};
use crate::pages::form::Posted;
use crate::pages::{Ctx, PageResult, see_other};
use crate::problem::ApiError;

/// Saves the regions and returns to the patient's redness section.
pub async fn save(State(app): State<Arc<App>>, ctx: Ctx, Path(raw): Path<String>, Posted(form): Posted) -> PageResult {
    let a = ctx.authed()?;
    let patient: PatientId = id(&raw, "patient")?;
    let percent = |name: &str| -> Result<f64, ApiError> {
        form.get(name)
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && (0.0..=100.0).contains(v))
            .map(|v| v / 100.0)
            .ok_or_else(|| ApiError::invalid(name, format!("{name} must be a percentage from 0 to 100")))
    };
    let region = |which: &str| -> Result<RegionInput, ApiError> {
        Ok(RegionInput {
            x: percent(&format!("{which}_x"))?,
            y: percent(&format!("{which}_y"))?,
            width: percent(&format!("{which}_width"))?,
            height: percent(&format!("{which}_height"))?,
        })
    };
    let request = RegionsRequest {
        view: form.get("view").to_string(),
        treated: region("treated")?,
        reference: region("reference")?,
    };
    set_regions(&app, &a.actor, patient, request).await?;
    Ok(see_other(&format!("/staff/patients/{patient}?redness=saved#redness")))
}
