//! Consent over the JSON API (issue 15): the clinic's texts (admins), a patient's consents (the
//! patient, and clinicians), signing in the portal, a consent given on paper recorded by a
//! clinician, and withdrawal. Each handler calls one use case of `clinic::consent`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header::USER_AGENT;
use axum::response::Response;
use needlepath_core::consent::ConsentKind;
use needlepath_store::{Consent, ConsentDocument, ConsentId, PatientId};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::App;
use crate::api::me::me_id;
use crate::api::{created, id};
use crate::auth::Authed;
use crate::body::Body;
use crate::clinic::consent::{self, ConsentTexts, PatientConsents, SignInput};
use crate::problem::ApiResult;

/// A consent as signed: the text's kind and the version read, the full name typed, and the
/// confirmation. For a patient under 18 a parent or guardian signs: their name, and
/// `guardian_relationship`. Recorded by a clinician, it copies a consent signed on paper.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    pub kind: ConsentKind,
    /// The version of the text that was read (a newer one published since is a 409).
    #[schemars(range(min = 1))]
    pub version: u32,
    /// The signer's full name as typed (the guardian's for a minor).
    #[schemars(length(min = 2, max = 200))]
    pub typed_name: String,
    /// "I have read this text and agree to it": must be true.
    pub confirm: bool,
    /// For a minor: the guardian's relationship to the patient (mother, legal guardian, …);
    /// refused for an adult.
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub guardian_relationship: Option<String>,
}

/// Why a consent is withdrawn (optional).
#[derive(Debug, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub note: Option<String>,
}

/// A new version of a consent text.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentTextRequest {
    pub kind: ConsentKind,
    /// The exact text, with its sources.
    #[schemars(length(min = 1, max = 20000))]
    pub body: String,
}

/// The browser or app a portal signature came from, kept with it (bounded, printable).
pub(crate) fn user_agent(headers: &HeaderMap) -> Option<String> {
    let ua = headers.get(USER_AGENT)?.to_str().ok()?;
    let ua: String = ua.chars().filter(|c| !c.is_control()).take(300).collect();
    (!ua.trim().is_empty()).then_some(ua)
}

fn input(a: &Authed, headers: &HeaderMap, r: ConsentRequest) -> SignInput {
    SignInput {
        kind: r.kind,
        version: r.version,
        typed_name: r.typed_name,
        confirmed: r.confirm,
        guardian_relationship: r.guardian_relationship,
        address: a.actor.ip.clone(),
        user_agent: user_agent(headers),
    }
}

pub async fn texts(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<ConsentTexts>> {
    Ok(Json(consent::texts(&app, &a.actor).await?))
}

pub async fn publish(State(app): State<Arc<App>>, a: Authed, Body(r): Body<ConsentTextRequest>) -> ApiResult<Response> {
    let document: ConsentDocument = consent::publish(&app, &a.actor, r.kind, &r.body).await?;
    Ok(created(document))
}

pub async fn mine(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<PatientConsents>> {
    Ok(Json(consent::patient_consents(&app, &a.actor, me_id(&a)?).await?))
}

pub async fn sign_mine(
    State(app): State<Arc<App>>,
    a: Authed,
    headers: HeaderMap,
    Body(r): Body<ConsentRequest>,
) -> ApiResult<Response> {
    let me = me_id(&a)?;
    let signed = consent::sign(&app, &a.actor, me, input(&a, &headers, r), false).await?;
    Ok(created(signed))
}

pub async fn withdraw_mine(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<WithdrawRequest>,
) -> ApiResult<Json<Consent>> {
    let consent_id: ConsentId = id(&raw, "consent")?;
    Ok(Json(consent::withdraw(&app, &a.actor, me_id(&a)?, consent_id, r.note.as_deref()).await?))
}

pub async fn for_patient(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
) -> ApiResult<Json<PatientConsents>> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(Json(consent::patient_consents(&app, &a.actor, patient).await?))
}

pub async fn record_paper(
    State(app): State<Arc<App>>,
    a: Authed,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Body(r): Body<ConsentRequest>,
) -> ApiResult<Response> {
    let patient: PatientId = id(&raw, "patient")?;
    let recorded = consent::sign(&app, &a.actor, patient, input(&a, &headers, r), true).await?;
    Ok(created(recorded))
}

pub async fn withdraw_for_patient(
    State(app): State<Arc<App>>,
    a: Authed,
    Path((raw, consent_raw)): Path<(String, String)>,
    Body(r): Body<WithdrawRequest>,
) -> ApiResult<Json<Consent>> {
    let patient: PatientId = id(&raw, "patient")?;
    let consent_id: ConsentId = id(&consent_raw, "consent")?;
    Ok(Json(consent::withdraw(&app, &a.actor, patient, consent_id, r.note.as_deref()).await?))
}
