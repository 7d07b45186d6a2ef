//! Consent (issue 15): the clinic's versioned consent texts, what a patient has consented to,
//! signing in the portal or recording a signature given on paper, and withdrawal.
//!
//! A clinic starts with the built-in texts (`crates/server/consent/*.txt`, each citing its
//! sources), which count as version 1 until the clinic publishes its own; the built-in text is
//! published as version 1 (by the service, in a transaction of its own just before) the first
//! time someone signs it, so every signature points at a stored text and its hash. A published version never changes: an admin's edit is a new version, and
//! a new treatment version asks for consent again before the next session (the session gate in
//! core reads it). The API and the pages call these same use cases.

use needlepath_core::consent::{ConsentKind, Signature};
use needlepath_store::{
    Actor, Audit, Consent, ConsentDocument, ConsentId, NewConsent, NewConsentDocument, Patient, PatientId, Reading,
    Seen, Signer, StoreError, Who,
};
use schemars::JsonSchema;
use serde::Serialize;

use crate::App;
use crate::auth::secrets::token_hash;
use crate::clinic::{ClinicError, ClinicResult};
use crate::policy::Caller as _;

/// The longest consent text a clinic may publish, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// The longest withdrawal note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// The built-in text of a kind: version 1 until the clinic publishes its own.
pub fn built_in_text(kind: ConsentKind) -> &'static str {
    match kind {
        ConsentKind::Treatment => include_str!("../../consent/treatment.txt"),
        ConsentKind::PhotoRecord => include_str!("../../consent/photo_record.txt"),
        ConsentKind::PhotoTeaching => include_str!("../../consent/photo_teaching.txt"),
        ConsentKind::PhotoMarketing => include_str!("../../consent/photo_marketing.txt"),
        ConsentKind::Messages => include_str!("../../consent/messages.txt"),
    }
}

/// SHA-256 of a text as signed (its UTF-8 bytes), lowercase hex.
pub fn text_hash(body: &str) -> String {
    token_hash(body)
}

/// The text a patient is asked to consent to now: the clinic's current version, or the
/// built-in one (version 1, `published: false`) when the clinic has none of this kind.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CurrentText {
    pub kind: ConsentKind,
    pub version: u32,
    pub body: String,
    pub sha256: String,
    /// False for the built-in text before anyone signed or replaced it.
    pub published: bool,
}

/// Where a patient stands with one kind of consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    /// Consent to the current version is on file.
    Given,
    /// Given to an older version: asked again.
    Outdated,
    /// Withdrawn (and not given again since).
    Withdrawn,
    /// Never given.
    NotGiven,
    /// The patient is under 18 and the consent on file is not a guardian's.
    GuardianNeeded,
}

/// One kind of consent for one patient: the current text, the state, the latest consent.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConsentStatus {
    pub kind: ConsentKind,
    /// Whether treatment waits for it (only the treatment consent does).
    pub required_for_treatment: bool,
    pub state: ConsentState,
    pub text: CurrentText,
    /// The latest consent of this kind, if any.
    pub latest: Option<Consent>,
}

/// A patient's consents: one status per kind, and every consent given, newest first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PatientConsents {
    pub patient_id: PatientId,
    /// The patient's zone, for the pages' dates.
    #[serde(skip)]
    #[schemars(skip)]
    pub zone: chrono_tz::Tz,
    /// The latest screening says the patient is under 18: a parent or guardian signs.
    pub guardian_required: bool,
    pub statuses: Vec<ConsentStatus>,
    pub consents: Vec<Consent>,
}

/// Every version of every consent text the clinic has (the built-in ones where it has none).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConsentTexts {
    pub current: Vec<CurrentText>,
    /// Every published version, by kind, newest first.
    pub versions: Vec<ConsentDocument>,
}

/// A consent as typed in the portal or copied from paper.
#[derive(Debug, Clone)]
pub struct SignInput {
    pub kind: ConsentKind,
    /// The version the signer read (a newer one published since is a conflict).
    pub version: u32,
    pub typed_name: String,
    pub confirmed: bool,
    pub guardian_relationship: Option<String>,
    /// Where a portal signature came from.
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

fn current_text(kind: ConsentKind, stored: Option<&ConsentDocument>) -> CurrentText {
    match stored {
        Some(d) => {
            CurrentText { kind, version: d.version, body: d.body.clone(), sha256: d.sha256.clone(), published: true }
        }
        None => {
            let body = built_in_text(kind).to_owned();
            CurrentText { kind, version: 1, sha256: text_hash(&body), body, published: false }
        }
    }
}

fn state_of(latest: Option<&Consent>, current: u32, guardian_required: bool, kind: ConsentKind) -> ConsentState {
    match latest {
        None => ConsentState::NotGiven,
        Some(c) if c.withdrawn.is_some() => ConsentState::Withdrawn,
        Some(c) if c.version < current => ConsentState::Outdated,
        Some(c) if kind == ConsentKind::Treatment && guardian_required && c.signer == Signer::Patient => {
            ConsentState::GuardianNeeded
        }
        Some(_) => ConsentState::Given,
    }
}

/// Whether the latest screening says a guardian consents (the protocol's age rule for minors).
async fn guardian_required<R: Reading + ?Sized>(unit: &mut R, patient: PatientId) -> ClinicResult<bool> {
    let screenings = unit.recent_screenings(patient, needlepath_store::Page::first(1)).await?;
    Ok(screenings.first().is_some_and(|s| s.result["guardian_consent_required"].as_bool().unwrap_or(false)))
}

pub(crate) async fn consents_in<R: Reading + ?Sized>(unit: &mut R, patient: &Patient) -> ClinicResult<PatientConsents> {
    let documents = unit.consent_documents().await?;
    let consents = unit.consents(patient.id).await?;
    let guardian_required = guardian_required(unit, patient.id).await?;
    let statuses = ConsentKind::ALL
        .into_iter()
        .map(|kind| {
            let text = current_text(kind, documents.iter().find(|d| d.kind == kind));
            let latest = consents.iter().find(|c| c.kind == kind).cloned();
            let state = state_of(latest.as_ref(), text.version, guardian_required, kind);
            ConsentStatus { kind, required_for_treatment: kind.required_for_treatment(), state, text, latest }
        })
        .collect();
    let zone = crate::clinic::my_record::zone_of(patient);
    Ok(PatientConsents { patient_id: patient.id, zone, guardian_required, statuses, consents })
}

/// Where the patient stands with one kind of consent, read in the caller's unit (for a kind
/// other than treatment, whose guardian rule needs the screening, the consents alone decide).
pub(crate) async fn state_in<R: Reading + ?Sized>(
    unit: &mut R,
    patient: PatientId,
    kind: ConsentKind,
) -> ClinicResult<ConsentState> {
    let guardian = if kind == ConsentKind::Treatment { guardian_required(unit, patient).await? } else { false };
    let current = unit.current_consent_document(kind).await?.map_or(1, |d| d.version);
    let latest = unit.latest_consent(patient, kind).await?;
    Ok(state_of(latest.as_ref(), current, guardian, kind))
}

/// A patient's consents, for the patient or their clinicians.
pub async fn patient_consents(app: &App, actor: &Actor, id: PatientId) -> ClinicResult<PatientConsents> {
    let mut unit = app.records.store().reading(actor).await?;
    let patient = unit.patient(id).await?;
    let out = consents_in(&mut *unit, &patient).await?;
    unit.finish(Audit::view("consent.list", id, &[Seen::Patient, Seen::Screenings, Seen::Consents])).await?;
    Ok(out)
}

/// One consent with the exact text signed, for its printable copy.
pub struct SignedCopy {
    pub patient: Patient,
    pub consent: Consent,
    pub document: ConsentDocument,
}

/// A consent and the exact text it was given to (the printable copy).
pub async fn signed_copy(app: &App, actor: &Actor, patient: PatientId, id: ConsentId) -> ClinicResult<SignedCopy> {
    let mut unit = app.records.store().reading(actor).await?;
    let record = unit.patient(patient).await?;
    let consent = unit.consents(patient).await?.into_iter().find(|c| c.id == id);
    let documents = unit.consent_documents().await?;
    let consent = consent.ok_or(StoreError::NotFound("consent"))?;
    let document = documents
        .into_iter()
        .find(|d| d.id == consent.document)
        .ok_or_else(|| ClinicError::Unexpected(format!("consent {id} names a text that is not stored")))?;
    unit.finish(Audit::view("consent.copy_viewed", patient, &[Seen::Patient, Seen::Consents]).with_target(id.0))
        .await?;
    Ok(SignedCopy { patient: record, consent, document })
}

/// Records a consent: in the portal by the patient (or their guardian), or from paper by a
/// clinician (`on_paper`). The text must be the current version; a minor's treatment consent
/// is a guardian's.
pub async fn sign(
    app: &App,
    actor: &Actor,
    patient: PatientId,
    input: SignInput,
    on_paper: bool,
) -> ClinicResult<Consent> {
    if on_paper && !actor.is_clinical() {
        return Err(ClinicError::Forbidden(
            "a consent given on paper is recorded by a practitioner or an admin".into(),
        ));
    }
    ensure_published(app, actor, input.kind).await?;
    let now = app.now();
    let mut unit = app.records.store().writing(actor).await?;
    unit.patient(patient).await?;
    let current = unit
        .current_consent_document(input.kind)
        .await?
        .ok_or_else(|| ClinicError::Unexpected(format!("no {} consent text after publishing it", input.kind)))?;
    if input.version != current.version {
        return Err(ClinicError::Store(StoreError::Conflict(format!(
            "the {} consent text changed: version {} is current (you read version {}); read it and sign again",
            input.kind, current.version, input.version
        ))));
    }
    let minor = input.kind == ConsentKind::Treatment && guardian_required(&mut *unit, patient).await?;
    let signature = Signature::parse(&input.typed_name, input.confirmed, input.guardian_relationship.as_deref(), minor)
        .map_err(|e| ClinicError::invalid(e.field, e.message))?;
    let consent = unit
        .sign_consent(NewConsent {
            patient,
            document: current.id,
            typed_name: signature.typed_name,
            signer: signature.signer,
            on_paper,
            signed_at: now,
            address: if on_paper { None } else { input.address },
            user_agent: if on_paper { None } else { input.user_agent },
        })
        .await?;
    let action = if on_paper { "consent.recorded_from_paper" } else { "consent.signed" };
    unit.finish(Audit::view(action, patient, &[Seen::Patient, Seen::Consents]).with_target(consent.id.0)).await?;
    Ok(consent)
}

/// The audit record of a published text (no patient's data is read or changed).
fn text_published(document: &ConsentDocument) -> Audit {
    Audit { action: "consent.text_published", patient: None, target: Some(document.id.0), seen: vec![], also: vec![] }
}

/// Publishes the built-in text of `kind` as version 1 when the clinic has no text of that kind,
/// as the service itself (a patient signing first may not publish). Two first signatures at once
/// may both try: the second finds the version taken and goes on.
async fn ensure_published(app: &App, actor: &Actor, kind: ConsentKind) -> ClinicResult<()> {
    let system = Actor { clinic: actor.clinic, who: Who::System, ip: None };
    let mut unit = app.records.store().writing(&system).await?;
    if unit.current_consent_document(kind).await?.is_some() {
        return Ok(());
    }
    let body = built_in_text(kind).to_owned();
    let new = NewConsentDocument { kind, sha256: text_hash(&body), body };
    match unit.publish_consent_document(new, app.now()).await {
        Ok(document) => {
            unit.finish(text_published(&document)).await?;
            Ok(())
        }
        Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Withdraws a consent: by the patient, or recorded by a clinician (a withdrawal said on the
/// phone, say). Honoured at once: a withdrawn treatment consent blocks the next session.
pub async fn withdraw(
    app: &App,
    actor: &Actor,
    patient: PatientId,
    id: ConsentId,
    note: Option<&str>,
) -> ClinicResult<Consent> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = note {
        if n.chars().count() > MAX_NOTE_CHARS {
            return Err(ClinicError::invalid("note", format!("at most {MAX_NOTE_CHARS} characters")));
        }
        if n.chars().any(|c| c.is_control() && c != '\n') {
            return Err(ClinicError::invalid("note", "plain text without control characters"));
        }
    }
    let mut unit = app.records.store().writing(actor).await?;
    let consent = unit.withdraw_consent(patient, id, note, app.now()).await?;
    unit.finish(Audit::view("consent.withdrawn", patient, &[Seen::Consents]).with_target(id.0)).await?;
    Ok(consent)
}

/// The clinic's consent texts: the current one of each kind and every published version.
pub async fn texts(app: &App, actor: &Actor) -> ClinicResult<ConsentTexts> {
    let mut unit = app.records.store().reading(actor).await?;
    let versions = unit.consent_documents().await?;
    let audit = Audit { action: "consent.texts_viewed", patient: None, target: None, seen: vec![], also: vec![] };
    unit.finish(audit).await?;
    let current =
        ConsentKind::ALL.into_iter().map(|k| current_text(k, versions.iter().find(|d| d.kind == k))).collect();
    Ok(ConsentTexts { current, versions })
}

/// Publishes a new version of a consent text (admins). The text is kept exactly as given, apart
/// from line endings; the same text as the current version is refused, so versions mean changes.
pub async fn publish(app: &App, actor: &Actor, kind: ConsentKind, body: &str) -> ClinicResult<ConsentDocument> {
    let body = body.replace("\r\n", "\n");
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return Err(ClinicError::invalid("body", "the consent text may not be empty"));
    }
    if trimmed.chars().count() > MAX_TEXT_CHARS {
        return Err(ClinicError::invalid("body", format!("at most {MAX_TEXT_CHARS} characters")));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ClinicError::invalid("body", "plain text: no control characters other than line breaks and tabs"));
    }
    let mut unit = app.records.store().writing(actor).await?;
    let current = unit.current_consent_document(kind).await?;
    let same = current.as_ref().map_or(trimmed == built_in_text(kind).trim(), |d| d.body.trim() == trimmed);
    if same {
        return Err(ClinicError::Store(StoreError::Conflict(format!(
            "this is the current {kind} consent text already; change it to publish a new version"
        ))));
    }
    let new = NewConsentDocument { kind, body: trimmed.to_owned(), sha256: text_hash(trimmed) };
    let document = unit.publish_consent_document(new, app.now()).await?;
    unit.finish(text_published(&document)).await?;
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every statement a patient reads carries its sources: every name in brackets in a
    /// built-in text is a source of the built-in protocol (so it is on the Sources page).
    #[test]
    fn the_built_in_texts_cite_sources_the_protocol_lists() {
        let protocol = needlepath_core::protocol::Protocol::builtin().unwrap();
        let mut cited = 0;
        for kind in ConsentKind::ALL {
            let text = built_in_text(kind);
            assert!(text.contains("Sources:"), "{kind} names its sources");
            for group in text.split('(').skip(1).filter_map(|g| g.split(')').next()) {
                for piece in group.split(';').map(|p| p.split_whitespace().collect::<Vec<_>>()) {
                    // A one-word piece in brackets is a source id; longer ones are prose.
                    if let [id] = piece.as_slice() {
                        assert!(protocol.source(id).is_some(), "{kind}: '{id}' is not a source of the protocol");
                        cited += 1;
                    }
                }
            }
        }
        assert!(cited >= 10, "the built-in texts cite their sources ({cited} citations)");
    }

    #[test]
    fn a_state_follows_the_latest_consent() {
        assert_eq!(state_of(None, 1, false, ConsentKind::Treatment), ConsentState::NotGiven);
    }
}
