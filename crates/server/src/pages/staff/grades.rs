//! The grade form of a patient's page (issue 15, part 5): a clinician records the Goodman &
//! Baron grade at a milestone, without JavaScript, through the same use case as the API
//! (`clinic::outcomes::grade`). A refusal is shown as the error page naming the field.

use std::sync::Arc;

use axum::extract::{Path, State};
use needlepath_core::outcomes::Assessment;
use needlepath_store::PatientId;

use crate::App;
use crate::api::id;
use crate::clinic::outcomes::{self, refused};
use crate::pages::form::Posted;
use crate::pages::{Ctx, PageResult, see_other};
use crate::problem::ApiError;

/// Saves the grade and returns to the patient's progress section.
pub async fn save(State(app): State<Arc<App>>, ctx: Ctx, Path(raw): Path<String>, Posted(form): Posted) -> PageResult {
    let a = ctx.authed()?;
    let patient: PatientId = id(&raw, "patient")?;
    let assessment = Assessment::parse(form.get("milestone"), form.get("grade"), Some(form.get("improvement")))
        .map_err(refused)
        .map_err(ApiError::from)?;
    outcomes::grade(&app, &a.actor, patient, assessment, form.get("note")).await?;
    Ok(see_other(&format!("/staff/patients/{patient}?grade=saved#progress")))
}
