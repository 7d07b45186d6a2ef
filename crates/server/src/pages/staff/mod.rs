//! The clinic's pages: the alert queue, patients, their records and the forms that add to
//! them, the clinic's settings, and the first-run setup page.
//!
//! Every form calls the same function as its JSON API route (`api::*`), so a page and the API
//! cannot decide differently; a refused form is shown again with its values and the error
//! (422, or 409 for a blocked session), never a bare error page.
//!
//! - [`setup`]: the first-run page behind the setup link.
//! - [`queue`]: open alerts and follow-ups, with acknowledge and resolve forms.
//! - [`patients`]: the patient list and search, adding a patient, the patient's page, invites.
//! - [`edit`]: editing the record: contact details (everyone), findings, allergies and
//!   medication (clinical staff).
//! - [`clinical`]: the screening, plan and session forms (practitioners and admins).
//! - [`reminders`]: the appointments and messages of a patient's page (everyone on staff), and
//!   [`appointment_forms`]: their book, move, cancel and "Send again" forms.
//! - [`photos`]: the photo form of a patient's page (clinical staff).
//! - [`settings`]: the clinic's settings, staff accounts and protocol overrides (admins).

pub mod appointment_forms;
pub mod clinical;
pub mod consent;
pub mod edit;
pub mod gates;
pub mod grades;
pub mod outcomes;
pub mod patients;
pub mod photos;
pub mod queue;
pub mod records;
pub mod redness;
pub mod reminders;
pub mod session_fields;
pub mod settings;
pub mod setup;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use needlepath_store::Clinic;

use crate::App;
use crate::auth::Authed;
use crate::i18n::Locale;
use crate::pages::{PageError, view};

/// An `<option>` of a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Self {
        Self { value: value.into(), label: label.into(), selected }
    }
}

/// The choices of a select: a blank "not given" first, then `(value, label)` pairs.
pub fn choices(blank: Option<&str>, items: impl IntoIterator<Item = (String, String)>, current: &str) -> Vec<Choice> {
    let mut out: Vec<Choice> = blank.map(|b| Choice::new("", b, current.is_empty())).into_iter().collect();
    out.extend(items.into_iter().map(|(v, l)| {
        let selected = v == current;
        Choice { value: v, label: l, selected }
    }));
    out
}

/// The caller's clinic and its time zone, in which staff pages show times.
pub async fn clinic_zone(app: &App, a: &Authed) -> Result<(Clinic, Tz), PageError> {
    let clinic = crate::clinic::the_clinic(app, &a.actor).await?;
    let tz = clinic.time_zone.tz();
    Ok((clinic, tz))
}

/// An instant in the clinic's zone: "Mon 24 Nov 2026, 10:30".
pub fn local(at: DateTime<Utc>, tz: Tz) -> String {
    view::moment(at.with_timezone(&tz).fixed_offset())
}

/// One reported symptom in words: "Throat tightness (Severe)", or the symptom alone.
pub fn reported_words(t: &Locale, s: &needlepath_core::stored::Reported) -> String {
    let label = t.label("symptom", s.code.as_str());
    match s.severity {
        Some(sev) => format!("{label} ({})", t.label("severity", sev.as_str())),
        None => label.to_string(),
    }
}

/// A check-in's symptoms in words: "Throat tightness (Severe), Redness (Mild)".
pub fn symptoms_summary(t: &Locale, report: &needlepath_core::stored::CheckInRead) -> String {
    report.symptoms.iter().map(|s| reported_words(t, s)).collect::<Vec<_>>().join(", ")
}
