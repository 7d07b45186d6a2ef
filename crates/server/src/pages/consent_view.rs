//! Consent as the pages show it (issue 15): one row per kind of consent, with its state in
//! words, the text to read, and what was signed. The patient's Consent page and the staff
//! record's section read the same rows, so they cannot tell different stories.

use chrono_tz::Tz;
use needlepath_core::consent::ConsentKind;
use needlepath_store::{Consent, Signer};

use crate::clinic::consent::{ConsentState, PatientConsents};
use crate::i18n::Locale;
use crate::pages::staff::local;

/// One kind of consent, for a page.
#[derive(Debug, Clone)]
pub struct ConsentRow {
    /// The kind's code (the form's `kind`).
    pub kind: &'static str,
    pub title: String,
    pub required: bool,
    /// Consent to the current text is on file.
    pub given: bool,
    pub state: String,
    /// The current text and its version (what a signature now agrees to).
    pub text: String,
    pub version: u32,
    /// What is on file, in words ("Version 1, signed by … on …"); empty when nothing is.
    pub signed: String,
    /// The withdrawal, in words; empty when none.
    pub withdrawn: String,
    /// The latest consent's id, for its printable copy and withdrawal.
    pub consent_id: Option<String>,
    /// Whether the latest consent may still be withdrawn.
    pub withdrawable: bool,
    /// The treatment text asks a guardian's name and relationship.
    pub guardian: bool,
    /// The latest consent was signed on paper: whether its scan is attached.
    pub on_paper: bool,
    pub scanned: bool,
}

pub fn kind_title(t: &Locale, kind: ConsentKind) -> String {
    t.s(&format!("consent.kind_{}", kind.as_str())).to_string()
}

/// What a consent on file says, in words.
pub fn signed_words(t: &Locale, c: &Consent, tz: Tz) -> String {
    let name = match &c.signer {
        Signer::Patient => c.typed_name.clone(),
        Signer::Guardian { relationship } => {
            t.f("consent.by_guardian", &[("name", &c.typed_name), ("relationship", relationship)])
        }
    };
    let key = if c.on_paper { "consent.given_on_paper" } else { "consent.given_on" };
    t.f(key, &[("version", &c.version.to_string()), ("name", &name), ("when", &local(c.signed_at, tz))])
}

pub fn rows(t: &Locale, consents: &PatientConsents, tz: Tz) -> Vec<ConsentRow> {
    consents
        .statuses
        .iter()
        .map(|s| {
            let state = match s.state {
                ConsentState::Given => "consent.state_given",
                ConsentState::Outdated => "consent.state_outdated",
                ConsentState::Withdrawn => "consent.state_withdrawn",
                ConsentState::NotGiven => "consent.state_not_given",
                ConsentState::GuardianNeeded => "consent.state_guardian_needed",
            };
            let latest = s.latest.as_ref();
            ConsentRow {
                kind: s.kind.as_str(),
                title: kind_title(t, s.kind),
                required: s.required_for_treatment,
                given: s.state == ConsentState::Given,
                state: t.s(state).to_string(),
                text: s.text.body.clone(),
                version: s.text.version,
                signed: latest.map(|c| signed_words(t, c, tz)).unwrap_or_default(),
                withdrawn: latest
                    .and_then(|c| c.withdrawn.as_ref())
                    .map(|w| t.f("consent.withdrawn_on", &[("when", &local(w.at, tz))]))
                    .unwrap_or_default(),
                consent_id: latest.map(|c| c.id.to_string()),
                withdrawable: latest.is_some_and(|c| c.withdrawn.is_none()),
                on_paper: latest.is_some_and(|c| c.on_paper),
                scanned: latest.is_some_and(|c| c.scan_sha256.is_some()),
                guardian: consents.guardian_required && s.kind == ConsentKind::Treatment,
            }
        })
        .collect()
}
