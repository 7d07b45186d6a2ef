//! Photo records (issue 15, part 2): what the database keeps about a patient's photo. The image
//! and its thumbnail are kept outside the database, by the SHA-256 of their sanitised bytes (the
//! server's `photos::blobs`); the record names them, says which standard view it is, at which
//! stage of the treatment it was taken, and who uploaded it.
//!
//! Photos are clinical records: staff of a non-clinical role (the front desk) are refused them in
//! the store itself, and a patient reaches only their own.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use uuid::Uuid;

use crate::codes::ActorKind;
pub use crate::codes::{PhotoStage, PhotoView};
use crate::records::{CheckInId, PatientId, PhotoId, SessionId};
pub use needlepath_core::redness::Region;

/// A photo as stored.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Photo {
    pub id: PhotoId,
    pub patient: PatientId,
    /// SHA-256 of the sanitised JPEG, lowercase hex: its name in the photo store.
    pub sha256: String,
    /// SHA-256 of its thumbnail (a JPEG), lowercase hex.
    pub thumbnail_sha256: String,
    /// The upright image's size in pixels.
    pub width: u32,
    pub height: u32,
    pub view: PhotoView,
    pub stage: PhotoStage,
    /// The session it was taken at (stage `session`).
    pub session: Option<SessionId>,
    /// The check-in it was sent with (stage `check_in`).
    pub check_in: Option<CheckInId>,
    pub taken_at: DateTime<Utc>,
    pub uploaded_by_kind: ActorKind,
    /// The staff member, API token or patient who uploaded it.
    pub uploaded_by: Option<Uuid>,
    /// The redness index of the treated region against untreated skin (CIELAB a*), once
    /// regions are marked; `None` until then.
    pub redness: Option<f64>,
}

/// A photo to record, after its image and thumbnail are stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPhoto {
    pub patient: PatientId,
    pub sha256: String,
    pub thumbnail_sha256: String,
    pub width: u32,
    pub height: u32,
    pub view: PhotoView,
    pub stage: PhotoStage,
    pub session: Option<SessionId>,
    pub check_in: Option<CheckInId>,
    pub taken_at: DateTime<Utc>,
    /// The redness index, when regions are marked for its view.
    pub redness: Option<f64>,
}

/// Where a patient's redness index is read for one view: the treated and the untreated skin,
/// each a rectangle in fractions of the photo (core's `redness::Region`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RednessRegions {
    pub patient: PatientId,
    pub view: PhotoView,
    #[schemars(with = "RegionShape")]
    pub treated: Region,
    #[schemars(with = "RegionShape")]
    pub reference: Region,
    pub set_by: Option<Uuid>,
    pub set_at: DateTime<Utc>,
}

/// A rectangle of a photo in fractions (0 to 1) of its width and height.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub struct RegionShape {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}
