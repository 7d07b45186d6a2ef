//! Where a patient's redness index is read (issue 15, part 4): a clinician marks, once per
//! standard view on the baseline, the treated skin and untreated skin to compare it with; every
//! photo of that view (and the patient's check-in photos, taken as front views) then carries its
//! index, read again now and at every later upload (`clinic::photos`). The index is shown to
//! staff as a trend after each session, labelled as a measure; it never touches a triage answer.

use needlepath_store::{Actor, Audit, PatientId, Photo, PhotoId, PhotoStage, PhotoView, RednessRegions, Region, Seen};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::clinic::{ClinicError, ClinicResult};

/// A rectangle as the API takes it: fractions 0 to 1 of the photo's width and height.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionInput {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// The regions of one view.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionsRequest {
    /// front, left_oblique, right_oblique, left_profile or right_profile.
    pub view: String,
    /// The treated skin (a cheek, say).
    pub treated: RegionInput,
    /// Untreated skin in the same photo (the neck below the jaw, say), so lighting cancels out.
    pub reference: RegionInput,
}

/// The regions saved and the indexes read with them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RegionsSet {
    pub regions: RednessRegions,
    /// Each photo the regions apply to, with its index (null when it could not be read).
    pub photos: Vec<PhotoIndex>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PhotoIndex {
    pub photo_id: PhotoId,
    pub redness: Option<f64>,
}

/// Reads a region, naming the field at fault (`treated.x`, …).
pub fn region(which: &'static str, r: RegionInput) -> ClinicResult<Region> {
    for (name, v) in [("x", r.x), ("y", r.y), ("width", r.width), ("height", r.height)] {
        if !(0.0..=1.0).contains(&v) || !v.is_finite() {
            return Err(ClinicError::invalid(format!("{which}.{name}"), "a fraction from 0 to 1 of the photo's size"));
        }
    }
    Region::parse(which, r.x, r.y, r.width, r.height).map_err(|e| ClinicError::invalid(which, e.to_string()))
}

fn applies(view: PhotoView, photo: &Photo) -> bool {
    photo.view == view || (view == PhotoView::Front && photo.stage == PhotoStage::CheckIn)
}

/// Marks the regions of `view` and reads the index of every photo they apply to.
pub async fn set_regions(app: &App, actor: &Actor, patient: PatientId, r: RegionsRequest) -> ClinicResult<RegionsSet> {
    let view =
        PhotoView::parse(&r.view).filter(|v| crate::clinic::photos::STANDARD_VIEWS.contains(v)).ok_or_else(|| {
            ClinicError::invalid("view", "front, left_oblique, right_oblique, left_profile or right_profile")
        })?;
    let treated = region("treated", r.treated)?;
    let reference = region("reference", r.reference)?;
    // The photos and their images are read before the writing unit, so decoding never holds
    // the single writer.
    let mut unit = app.records.store().reading(actor).await?;
    unit.patient(patient).await?;
    let photos: Vec<Photo> = match crate::clinic::photos::shown_in(&mut *unit, patient).await? {
        Some(list) => list.into_iter().map(|e| e.photo).filter(|p| applies(view, p)).collect(),
        None => Vec::new(),
    };
    unit.finish(Audit::view("photo.list", patient, &[Seen::Patient, Seen::Consents, Seen::Photos])).await?;
    let mut indexes = Vec::with_capacity(photos.len());
    for p in &photos {
        let Some(jpeg) =
            app.photos.get(&p.sha256).await.map_err(|e| ClinicError::Unexpected(format!("photo store: {e}")))?
        else {
            indexes.push(PhotoIndex { photo_id: p.id, redness: None });
            continue;
        };
        let redness =
            tokio::task::spawn_blocking(move || crate::photos::measure::redness_of(&jpeg, &treated, &reference))
                .await
                .map_err(|e| ClinicError::Unexpected(format!("photo work stopped: {e}")))?;
        indexes.push(PhotoIndex { photo_id: p.id, redness });
    }
    let mut unit = app.records.store().writing(actor).await?;
    let regions = unit.set_redness_regions(patient, view, treated, reference, app.now()).await?;
    for i in &indexes {
        unit.set_photo_redness(i.photo_id, i.redness).await?;
    }
    unit.finish(Audit::view("photo.redness_regions_set", patient, &[Seen::Patient, Seen::Photos])).await?;
    Ok(RegionsSet { regions, photos: indexes })
}
