//! The scan of a consent signed on paper (issue 15, part 1): a clinician attaches a photo of
//! the signed page to the consent they recorded from it, once; it is sanitised like every
//! photo (decoded within limits, upright, re-encoded, so no metadata — a phone's GPS above all —
//! survives) and kept in the photo store by its hash. It is part of the consent record, not a
//! clinical photo: it needs no photo consent, and clinical staff read it, audited.

use needlepath_store::{Actor, Audit, Consent, ConsentId, PatientId, Seen, StoreError};

use crate::App;
use crate::clinic::{ClinicError, ClinicResult};
use crate::photos::{PhotoLimits, sanitize};
use crate::policy::Caller as _;

fn store_error(e: crate::photos::BlobError) -> ClinicError {
    ClinicError::Unexpected(format!("photo store: {e}"))
}

/// Attaches the scan; refused for a consent not given on paper or one that has its scan.
pub async fn attach(
    app: &App,
    actor: &Actor,
    patient: PatientId,
    id: ConsentId,
    bytes: Vec<u8>,
) -> ClinicResult<Consent> {
    if !actor.is_clinical() {
        return Err(ClinicError::Forbidden("the scan of a paper consent is attached by clinical staff".into()));
    }
    let clean = tokio::task::spawn_blocking(move || sanitize(&bytes, &PhotoLimits::default()))
        .await
        .map_err(|e| ClinicError::Unexpected(format!("photo work stopped: {e}")))?
        .map_err(|e| ClinicError::invalid("scan", e.to_string()))?;
    app.photos.put(&clean.jpeg).await.map_err(store_error)?;
    let mut unit = app.records.store().writing(actor).await?;
    unit.patient(patient).await?;
    let consent = unit.attach_consent_scan(patient, id, &clean.sha256).await?;
    unit.finish(Audit::view("consent.scan_attached", patient, &[Seen::Patient, Seen::Consents]).with_target(id.0))
        .await?;
    Ok(consent)
}

/// The scan's image (JPEG), audited.
pub async fn image(app: &App, actor: &Actor, patient: PatientId, id: ConsentId) -> ClinicResult<Vec<u8>> {
    let mut unit = app.records.store().reading(actor).await?;
    unit.patient(patient).await?;
    let consent =
        unit.consents(patient).await?.into_iter().find(|c| c.id == id).ok_or(StoreError::NotFound("consent"))?;
    let name = consent.scan_sha256.ok_or(StoreError::NotFound("consent scan"))?;
    let bytes = app
        .photos
        .get(&name)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ClinicError::Unexpected(format!("consent {id}: its scan is not in the photo store")))?;
    unit.finish(Audit::view("consent.scan_viewed", patient, &[Seen::Consents]).with_target(id.0)).await?;
    Ok(bytes)
}
