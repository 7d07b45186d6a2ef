//! Photos (issue 15, part 2): clinical staff upload a patient's photos (a standard view, as a
//! baseline or at a session), a patient sends one with a check-in of theirs, and both list them
//! and read an image or its thumbnail.
//!
//! Every upload is sanitised (`photos::sanitize`: decoded within limits, turned upright, re-encoded
//! from the pixels alone, so no metadata survives) before anything keeps it; the bytes go to the
//! photo store by their hash (`App::photos`) and the record to the database. Photos are kept and
//! shown only while the patient's consent to photos for the record (`photo_record`) is given: an
//! upload without it is refused naming that consent, and once it is withdrawn the photos on
//! record are no longer listed or served (they stay stored, as the record of care they are,
//! until a retention rule says otherwise). Each list and each image shown writes one audit
//! record; front-desk staff are refused photos by the route table and by the store.

use needlepath_core::consent::ConsentKind;
use needlepath_store::{
    Actor, Audit, CheckInId, NewPhoto, PatientId, Photo, PhotoId, PhotoStage, PhotoView, Reading, Seen, SessionId,
};
use schemars::JsonSchema;
use serde::Serialize;

use crate::App;
use crate::clinic::consent::ConsentState;
use crate::clinic::{ClinicError, ClinicResult};
use crate::photos::{BlobError, CleanPhoto, PhotoLimits, sanitize};
use needlepath_store::Region;

/// The standard views staff take; a patient's photo with a check-in is `check_in`.
pub const STANDARD_VIEWS: [PhotoView; 5] = [
    PhotoView::Front,
    PhotoView::LeftOblique,
    PhotoView::RightOblique,
    PhotoView::LeftProfile,
    PhotoView::RightProfile,
];

/// A photo as the API lists it: its record and where its image and thumbnail are read.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PhotoEntry {
    #[serde(flatten)]
    pub photo: Photo,
    /// `GET` this for the image (JPEG).
    pub image_url: String,
    /// `GET` this for the thumbnail (JPEG).
    pub thumbnail_url: String,
}

impl From<Photo> for PhotoEntry {
    fn from(photo: Photo) -> Self {
        Self {
            image_url: format!("/api/v1/photos/{}/image", photo.id),
            thumbnail_url: format!("/api/v1/photos/{}/thumbnail", photo.id),
            photo,
        }
    }
}

/// A patient's photos, newest first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PhotoList {
    pub patient_id: PatientId,
    pub photos: Vec<PhotoEntry>,
}

/// A staff upload: the file's bytes, the view, the stage and (at a session) the session.
#[derive(Debug, Clone)]
pub struct StaffUpload {
    pub bytes: Vec<u8>,
    pub view: PhotoView,
    pub stage: PhotoStage,
    pub session: Option<SessionId>,
}

/// Which of a photo's two images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Image,
    Thumbnail,
}

/// The message of a refused upload or view: the consent it needs, and where it stands.
fn consent_needed(state: ConsentState) -> ClinicError {
    let why = match state {
        ConsentState::Withdrawn => "was withdrawn",
        ConsentState::Outdated => "was given to an older version of its text",
        _ => "has not been given",
    };
    ClinicError::ConsentNeeded {
        kind: ConsentKind::PhotoRecord,
        message: format!(
            "photos are kept only with the patient's consent to photos for their record (photo_record), which {why}; \
             the patient can give it on their Consent page, or a clinician records it from paper"
        ),
    }
}

/// Where the patient stands with consent to photos for their record, read in the unit.
async fn photo_consent<R: Reading + ?Sized>(unit: &mut R, patient: PatientId) -> ClinicResult<ConsentState> {
    crate::clinic::consent::state_in(unit, patient, ConsentKind::PhotoRecord).await
}

async fn require_consent<R: Reading + ?Sized>(unit: &mut R, patient: PatientId) -> ClinicResult<()> {
    match photo_consent(unit, patient).await? {
        ConsentState::Given => Ok(()),
        state => Err(consent_needed(state)),
    }
}

/// Runs blocking work (decoding) off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ClinicResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ClinicError::Unexpected(format!("photo work stopped: {e}")))
}

fn blob_error(e: BlobError) -> ClinicError {
    ClinicError::Unexpected(format!("photo store: {e}"))
}

/// Sanitises the upload (on the blocking pool: decoding is CPU work) and keeps its image and
/// thumbnail; refusals name the field `photo`.
async fn keep(app: &App, bytes: Vec<u8>, regions: Option<(Region, Region)>) -> ClinicResult<(CleanPhoto, Option<f64>)> {
    let (clean, redness) = blocking(move || {
        let clean =
            sanitize(&bytes, &PhotoLimits::default()).map_err(|e| ClinicError::invalid("photo", e.to_string()))?;
        let redness = regions.and_then(|(t, r)| crate::photos::measure::redness_of(&clean.jpeg, &t, &r));
        Ok::<_, ClinicError>((clean, redness))
    })
    .await??;
    app.photos.put(&clean.jpeg).await.map_err(blob_error)?;
    app.photos.put(&clean.thumbnail).await.map_err(blob_error)?;
    Ok((clean, redness))
}

/// The view whose regions a photo's index is read with: its own, or the front for a photo sent
/// with a check-in (the patient is guided to take it as a front view).
fn measured_as(view: PhotoView) -> PhotoView {
    if view == PhotoView::CheckIn { PhotoView::Front } else { view }
}

/// Whether a check-in photo's index asks for a look (core's `redness::look_at`): the course is
/// the check-in photos with an index since the last session before it, oldest first.
fn worth_a_look(photo: &Photo, photos: &[Photo], sessions: &[needlepath_store::Session]) -> bool {
    let Some(session) = sessions.iter().filter(|s| s.performed_at <= photo.taken_at).map(|s| s.performed_at).max()
    else {
        return false;
    };
    let mut course: Vec<(chrono::DateTime<chrono::Utc>, f64)> = photos
        .iter()
        .filter(|p| p.stage == PhotoStage::CheckIn && p.taken_at >= session && p.taken_at <= photo.taken_at)
        .filter_map(|p| p.redness.map(|r| (p.taken_at, r)))
        .collect();
    course.sort_by_key(|(t, _)| *t);
    #[allow(clippy::cast_precision_loss)]
    let days: Vec<(f64, f64)> =
        course.into_iter().map(|(t, r)| ((t - session).num_minutes() as f64 / 1440.0, r)).collect();
    needlepath_core::redness::look_at(&days).is_some()
}

async fn record(app: &App, actor: &Actor, new: NewPhoto) -> ClinicResult<PhotoEntry> {
    let mut unit = app.records.store().writing(actor).await?;
    let patient = new.patient;
    unit.patient(patient).await?;
    require_consent(&mut *unit, patient).await?;
    let photo = unit.add_photo(new).await?;
    let mut seen = vec![Seen::Patient, Seen::Consents, Seen::Photos];
    // A check-in photo redder where it should be fading asks staff to look (a follow-up on
    // the queue); it never changes the check-in's answer.
    if let (Some(check_in), Some(_)) = (photo.check_in, photo.redness) {
        let sessions = unit.sessions(patient).await?;
        let photos = unit.photos(patient).await?;
        seen.push(Seen::Sessions);
        if worth_a_look(&photo, &photos, &sessions) {
            unit.flag_photo(patient, check_in, photo.id, app.now()).await?;
            seen.push(Seen::FollowUps);
        }
    }
    unit.finish(Audit::view("photo.uploaded", patient, &seen).with_target(photo.id.0)).await?;
    Ok(photo.into())
}

/// Refuses early, before the upload is decoded, when the patient's consent is not given (the
/// writing unit checks again); returns the regions the view's redness is read with, if marked.
async fn check_consent_first(
    app: &App,
    actor: &Actor,
    patient: PatientId,
    view: PhotoView,
) -> ClinicResult<Option<(Region, Region)>> {
    let mut unit = app.records.store().reading(actor).await?;
    unit.patient(patient).await?;
    require_consent(&mut *unit, patient).await?;
    let view = measured_as(view);
    Ok(unit.redness_regions(patient).await?.into_iter().find(|r| r.view == view).map(|r| (r.treated, r.reference)))
}

/// A clinician uploads a photo of the patient: a standard view, as a baseline or at one of the
/// patient's sessions.
pub async fn upload_for_patient(
    app: &App,
    actor: &Actor,
    patient: PatientId,
    upload: StaffUpload,
) -> ClinicResult<PhotoEntry> {
    if !STANDARD_VIEWS.contains(&upload.view) {
        return Err(ClinicError::invalid(
            "view",
            "a standard view is accepted: front, left_oblique, right_oblique, left_profile or right_profile",
        ));
    }
    let session = match (upload.stage, upload.session) {
        (PhotoStage::Baseline, None) => None,
        (PhotoStage::Baseline, Some(_)) => {
            return Err(ClinicError::invalid("session_id", "a baseline photo names no session; leave it out"));
        }
        (PhotoStage::Session, Some(s)) => Some(s),
        (PhotoStage::Session, None) => {
            return Err(ClinicError::invalid("session_id", "a photo at a session names the session (its id)"));
        }
        (PhotoStage::CheckIn, _) => {
            return Err(ClinicError::invalid(
                "stage",
                "baseline or session are accepted; a photo with a check-in is sent by the patient",
            ));
        }
    };
    let regions = check_consent_first(app, actor, patient, upload.view).await?;
    let (clean, redness) = keep(app, upload.bytes, regions).await?;
    let new = NewPhoto {
        patient,
        sha256: clean.sha256.clone(),
        thumbnail_sha256: crate::photos::blobs::name_of(&clean.thumbnail),
        width: clean.width,
        height: clean.height,
        view: upload.view,
        stage: upload.stage,
        session,
        check_in: None,
        taken_at: app.now(),
        redness,
    };
    record(app, actor, new).await
}

/// A patient sends a photo with one of their check-ins.
pub async fn upload_mine(
    app: &App,
    actor: &Actor,
    me: PatientId,
    bytes: Vec<u8>,
    check_in: CheckInId,
) -> ClinicResult<PhotoEntry> {
    let regions = check_consent_first(app, actor, me, PhotoView::CheckIn).await?;
    let (clean, redness) = keep(app, bytes, regions).await?;
    let new = NewPhoto {
        patient: me,
        sha256: clean.sha256.clone(),
        thumbnail_sha256: crate::photos::blobs::name_of(&clean.thumbnail),
        width: clean.width,
        height: clean.height,
        view: PhotoView::CheckIn,
        stage: PhotoStage::CheckIn,
        session: None,
        check_in: Some(check_in),
        taken_at: app.now(),
        redness,
    };
    record(app, actor, new).await
}

/// The patient's photos as a caller may be shown them, read in the caller's unit: `None` while
/// their consent to photos for the record is not given.
pub(crate) async fn shown_in<R: Reading + ?Sized>(
    unit: &mut R,
    patient: PatientId,
) -> ClinicResult<Option<Vec<PhotoEntry>>> {
    Ok(match photo_consent(unit, patient).await? {
        ConsentState::Given => Some(unit.photos(patient).await?.into_iter().map(PhotoEntry::from).collect()),
        _ => None,
    })
}

/// The patient's photos, newest first: none while their consent to photos is not given (the
/// view is audited all the same).
pub async fn list(app: &App, actor: &Actor, patient: PatientId) -> ClinicResult<PhotoList> {
    let mut unit = app.records.store().reading(actor).await?;
    unit.patient(patient).await?;
    let photos = shown_in(&mut *unit, patient).await?.unwrap_or_default();
    unit.finish(Audit::view("photo.list", patient, &[Seen::Patient, Seen::Consents, Seen::Photos])).await?;
    Ok(PhotoList { patient_id: patient, photos })
}

/// A photo's image or thumbnail (JPEG bytes), while the patient's consent is given.
pub async fn image(app: &App, actor: &Actor, id: PhotoId, size: Size) -> ClinicResult<Vec<u8>> {
    let mut unit = app.records.store().reading(actor).await?;
    let photo = unit.photo(id).await?;
    require_consent(&mut *unit, photo.patient).await?;
    let name = match size {
        Size::Image => photo.sha256.clone(),
        Size::Thumbnail => photo.thumbnail_sha256.clone(),
    };
    let bytes = app.photos.get(&name).await.map_err(blob_error)?;
    let Some(bytes) = bytes else {
        return Err(ClinicError::Unexpected(format!("photo {id}: its image is not in the photo store")));
    };
    let action = match size {
        Size::Image => "photo.image_viewed",
        Size::Thumbnail => "photo.thumbnail_viewed",
    };
    unit.finish(Audit::view(action, photo.patient, &[Seen::Consents, Seen::Photos]).with_target(id.0)).await?;
    Ok(bytes)
}
