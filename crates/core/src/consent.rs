//! Consent: what a patient agrees to, and whether what they agreed to still holds.
//!
//! A clinic keeps versioned consent documents, one series per [`ConsentKind`]: the treatment,
//! three separate photo uses (the clinical record only, teaching, marketing) and messages. A
//! version is immutable once published (the service stores it with the hash of its exact text),
//! so a signature always points at the words the patient read. A session may not be recorded
//! without a signature, not withdrawn, of the treatment document's **current** version: a new
//! version asks for consent again at the next visit. A minor (the screening's
//! `guardian_consent_required`, from the protocol's age rule) is consented for by a parent or
//! guardian, whose name and relationship are kept.
//!
//! The rules here are pure: the store gathers the facts inside the transaction that records the
//! session, and [`treatment_blocker`] says what stands in the way. No clinician may override a
//! missing consent (a clinic may not treat without it).

use serde::{Deserialize, Serialize};

/// A consent document's series: what the patient agrees to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    /// The microneedling treatment itself, with its risks and expected course.
    Treatment,
    /// Photos kept in the clinical record, seen only by the patient's clinicians.
    PhotoRecord,
    /// Photos shown (without name) for teaching clinicians.
    PhotoTeaching,
    /// Photos used in the clinic's marketing.
    PhotoMarketing,
    /// Reminders and check-in messages by e-mail or text.
    Messages,
}

impl ConsentKind {
    pub const ALL: [ConsentKind; 5] = [
        ConsentKind::Treatment,
        ConsentKind::PhotoRecord,
        ConsentKind::PhotoTeaching,
        ConsentKind::PhotoMarketing,
        ConsentKind::Messages,
    ];
    pub const CODES: &'static [&'static str] =
        &["treatment", "photo_record", "photo_teaching", "photo_marketing", "messages"];

    pub const fn as_str(self) -> &'static str {
        match self {
            ConsentKind::Treatment => "treatment",
            ConsentKind::PhotoRecord => "photo_record",
            ConsentKind::PhotoTeaching => "photo_teaching",
            ConsentKind::PhotoMarketing => "photo_marketing",
            ConsentKind::Messages => "messages",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the patient must give this consent before treatment; the others are choices
    /// the patient may decline without any effect on their care.
    pub const fn required_for_treatment(self) -> bool {
        matches!(self, ConsentKind::Treatment)
    }
}

impl std::fmt::Display for ConsentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who gave a consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Signer {
    /// The patient, signing in the portal.
    Patient,
    /// A parent or guardian, for a minor; the typed name is theirs.
    Guardian { relationship: String },
}

/// The shortest typed name taken as a signature, in letters.
pub const MIN_NAME_LETTERS: usize = 2;
/// The longest typed name, relationship or reason, in characters.
pub const MAX_TEXT_CHARS: usize = 200;

/// A signature as typed: the signer's full name (the patient's, or the guardian's for a minor)
/// and the confirmation that they read and agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub typed_name: String,
    pub signer: Signer,
}

/// Why a signature was not taken; `field` names the form or body field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SignatureError {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> SignatureError {
    SignatureError { field, message: message.into() }
}

/// A name or relationship as typed: trimmed, with letters, no control or direction-override
/// characters, not too long.
fn typed_text(field: &'static str, value: &str, what: &str) -> Result<String, SignatureError> {
    let value = value.trim();
    if value.chars().any(|c| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')) {
        return Err(problem(field, format!("{what} may not hold control or text-direction characters")));
    }
    if value.chars().filter(|c| c.is_alphabetic()).count() < MIN_NAME_LETTERS {
        return Err(problem(field, format!("type {what} (at least {MIN_NAME_LETTERS} letters)")));
    }
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(problem(field, format!("{what} is at most {MAX_TEXT_CHARS} characters")));
    }
    Ok(value.split_whitespace().collect::<Vec<_>>().join(" "))
}

impl Signature {
    /// Reads a signature from what was typed. `guardian_required` is the latest screening's
    /// `guardian_consent_required` (a minor): then the guardian's name and relationship are
    /// required and the typed name is the guardian's; otherwise guardian fields are refused, so
    /// nothing typed is silently ignored.
    pub fn parse(
        typed_name: &str,
        confirmed: bool,
        guardian_relationship: Option<&str>,
        guardian_required: bool,
    ) -> Result<Self, SignatureError> {
        if !confirmed {
            return Err(problem("confirm", "confirm that you have read the text and agree to it"));
        }
        let relationship = guardian_relationship.map(str::trim).filter(|r| !r.is_empty());
        let signer = match (guardian_required, relationship) {
            (true, None) => {
                return Err(problem(
                    "guardian_relationship",
                    "the patient is under 18: a parent or guardian signs, and says how they are related \
                     (for example mother, father, legal guardian)",
                ));
            }
            (true, Some(r)) => {
                let relationship = typed_text("guardian_relationship", r, "the relationship to the patient")?;
                let typed_name = typed_text("typed_name", typed_name, "the parent's or guardian's full name")?;
                return Ok(Signature { typed_name, signer: Signer::Guardian { relationship } });
            }
            (false, Some(_)) => {
                return Err(problem(
                    "guardian_relationship",
                    "the patient is an adult and signs for themselves: leave the guardian's relationship empty",
                ));
            }
            (false, None) => Signer::Patient,
        };
        let typed_name = typed_text("typed_name", typed_name, "your full name")?;
        Ok(Signature { typed_name, signer })
    }
}

/// The facts the session gate reads about treatment consent, gathered in the session's
/// transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreatmentConsentFacts {
    /// The clinic's current treatment consent version.
    pub current_version: u32,
    /// The newest version the patient (or guardian) signed and did not withdraw, if any.
    pub signed_version: Option<u32>,
    /// Whether that signature was given by a guardian.
    pub signed_by_guardian: bool,
    /// Whether the patient withdrew their latest treatment consent (and signed none since).
    pub withdrawn: bool,
    /// The latest screening says the patient is a minor: a guardian must consent.
    pub guardian_required: bool,
}

/// What is missing about treatment consent; no clinician may override it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentGap {
    /// No treatment consent was ever signed.
    NotSigned,
    /// The patient withdrew it.
    Withdrawn,
    /// Signed for an older version of the text: consent again to the current one.
    Outdated { signed: u32, current: u32 },
    /// The patient is a minor and the consent on file is not a guardian's.
    GuardianMissing,
}

/// What stands in the way of treatment, as far as consent goes; `None` when a valid consent to
/// the current version is on file.
pub fn treatment_blocker(facts: &TreatmentConsentFacts) -> Option<ConsentGap> {
    match facts.signed_version {
        _ if facts.withdrawn => Some(ConsentGap::Withdrawn),
        None => Some(ConsentGap::NotSigned),
        Some(v) if v < facts.current_version => {
            Some(ConsentGap::Outdated { signed: v, current: facts.current_version })
        }
        Some(_) if facts.guardian_required && !facts.signed_by_guardian => Some(ConsentGap::GuardianMissing),
        Some(_) => None,
    }
}

impl std::fmt::Display for ConsentGap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConsentGap::NotSigned => f.write_str("the patient has not signed the treatment consent"),
            ConsentGap::Withdrawn => f.write_str("the patient withdrew their treatment consent"),
            ConsentGap::Outdated { signed, current } => write!(
                f,
                "the patient signed version {signed} of the treatment consent; the current version is {current}: \
                 they consent again before the session"
            ),
            ConsentGap::GuardianMissing => {
                f.write_str("the patient is under 18: a parent or guardian must sign the treatment consent")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(signed: Option<u32>, current: u32) -> TreatmentConsentFacts {
        TreatmentConsentFacts {
            current_version: current,
            signed_version: signed,
            signed_by_guardian: false,
            withdrawn: false,
            guardian_required: false,
        }
    }

    #[test]
    fn a_session_needs_consent_to_the_current_version() {
        assert_eq!(treatment_blocker(&facts(None, 1)), Some(ConsentGap::NotSigned));
        assert_eq!(treatment_blocker(&facts(Some(1), 2)), Some(ConsentGap::Outdated { signed: 1, current: 2 }));
        assert_eq!(treatment_blocker(&facts(Some(2), 2)), None);
        let withdrawn = TreatmentConsentFacts { withdrawn: true, ..facts(Some(2), 2) };
        assert_eq!(treatment_blocker(&withdrawn), Some(ConsentGap::Withdrawn));
    }

    #[test]
    fn a_minor_needs_a_guardians_consent() {
        let minor = TreatmentConsentFacts { guardian_required: true, ..facts(Some(1), 1) };
        assert_eq!(treatment_blocker(&minor), Some(ConsentGap::GuardianMissing));
        let by_guardian = TreatmentConsentFacts { signed_by_guardian: true, ..minor };
        assert_eq!(treatment_blocker(&by_guardian), None);
    }

    #[test]
    fn a_signature_needs_a_name_and_the_confirmation() {
        assert_eq!(Signature::parse("Ada Lovelace", false, None, false).unwrap_err().field, "confirm");
        assert_eq!(Signature::parse("  ", true, None, false).unwrap_err().field, "typed_name");
        assert_eq!(Signature::parse("x", true, None, false).unwrap_err().field, "typed_name");
        assert_eq!(Signature::parse("Ada\u{202E}ecalevoL", true, None, false).unwrap_err().field, "typed_name");
        let s = Signature::parse("  Ada   Lovelace ", true, Some(" "), false).unwrap();
        assert_eq!((s.typed_name.as_str(), s.signer), ("Ada Lovelace", Signer::Patient));
    }

    #[test]
    fn a_guardian_signs_for_a_minor_and_only_for_a_minor() {
        assert_eq!(Signature::parse("Mia Minor", true, None, true).unwrap_err().field, "guardian_relationship");
        let s = Signature::parse("Gina Guardian", true, Some("mother"), true).unwrap();
        assert_eq!(
            (s.typed_name.as_str(), s.signer),
            ("Gina Guardian", Signer::Guardian { relationship: "mother".into() })
        );
        let adult = Signature::parse("Ada Lovelace", true, Some("mother"), false).unwrap_err();
        assert_eq!(adult.field, "guardian_relationship", "a relationship typed for an adult is not ignored");
    }

    #[test]
    fn kinds_round_trip_their_codes() {
        for (k, code) in ConsentKind::ALL.iter().zip(ConsentKind::CODES) {
            assert_eq!(k.as_str(), *code);
            assert_eq!(ConsentKind::parse(code), Some(*k));
        }
        assert_eq!(ConsentKind::parse("photos"), None);
    }
}
