//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer), and for nothing else.
//!
//! The parsers that read what callers send (a JSON body as the API reads it, the can-I body, the
//! HTML forms of the pages) are private to their modules; these thin wrappers reach them so that
//! the fuzz targets run exactly the code the service runs, not a copy of it. Nothing here is part
//! of the service's interface: the module is hidden from the documentation, adds no behaviour,
//! and may change with the targets.

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use needlepath_core::Protocol;
use needlepath_core::request::CanIRequest;
use needlepath_store::ClinicSettings;
use serde_json::Value;

use crate::clinic::patients::{NewPatientRequest, PatientUpdateRequest};
use crate::clinic::sessions::NewSessionRequest;
use crate::delivery::{DeliveryError, Email, EmailSender, SmtpConfig, SmtpSecurity};
use crate::i18n::default_locale;
use crate::pages::form::FormData;
use crate::pages::{patient, public, staff};
use crate::problem::ApiError;

/// A request body's bytes as the JSON API reads them (`body::RawBody`).
pub fn json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    crate::body::json_from_slice(bytes)
}

/// `POST /api/v1/decisions/can-i`'s body as the handler reads it.
pub fn can_i_request(body: &Value) -> Result<CanIRequest, ApiError> {
    crate::api::decisions::can_i_request(body)
}

/// The patient's check-in form as the API's check-in body: the body, the symptom code at each
/// `symptoms[i]`, and the codes counted as ticked because a severity or trend was chosen.
pub fn check_in_form(form: &FormData) -> (Value, Vec<String>, Vec<String>) {
    patient::check_in::request(form)
}

/// The public cost estimate's form as a plan request.
pub fn cost_form(form: &FormData) -> Result<Value, ApiError> {
    public::cost::request(form)
}

/// The public "am I a candidate?" form as a screening request, and the finding code at each
/// `findings[i]`.
pub fn candidate_form(form: &FormData) -> Result<(Value, Vec<String>), ApiError> {
    public::candidate::request(form, default_locale())
}

/// Staff's screening form as the contract's screening request.
pub fn screening_form(form: &FormData) -> Result<Value, ApiError> {
    staff::clinical::screening_body(form, default_locale())
}

/// Staff's plan form as the contract's plan request.
pub fn plan_form(form: &FormData) -> Result<Value, ApiError> {
    staff::clinical::plan_body(form)
}

/// Staff's session form as the API's session request, times read in `tz`.
pub fn session_form(protocol: &Protocol, form: &FormData, tz: Tz) -> Result<NewSessionRequest, ApiError> {
    staff::clinical::session_request(default_locale(), protocol, form, tz)
}

/// The clinic's settings form.
pub fn settings_form(form: &FormData) -> Result<ClinicSettings, ApiError> {
    staff::settings::read_settings(form)
}

/// The new patient form.
pub fn new_patient_form(form: &FormData) -> Result<NewPatientRequest, ApiError> {
    staff::patients::read_new(form)
}

/// The patient edit form.
pub fn patient_update_form(form: &FormData) -> Result<PatientUpdateRequest, ApiError> {
    staff::edit::update_of(form, default_locale())
}

/// The appointment forms' date and time (read in `tz`) and length.
pub fn appointment_form(
    form: &FormData,
    tz: Tz,
) -> (Result<DateTime<FixedOffset>, ApiError>, Result<Option<u32>, ApiError>) {
    let t = default_locale();
    (staff::appointment_forms::starts_at(t, form, tz), staff::appointment_forms::minutes(t, form))
}

/// An e-mail as it would go on the wire (headers and both parts), from a fixed sender; never
/// connects.
pub fn email_on_the_wire(e: &Email) -> Result<Vec<u8>, DeliveryError> {
    static SENDER: OnceLock<Option<EmailSender>> = OnceLock::new();
    let sender = SENDER.get_or_init(|| {
        EmailSender::new(&SmtpConfig {
            host: "localhost".into(),
            port: 2525,
            security: SmtpSecurity::None,
            from: "Clinic <reminders@example.org>".into(),
            ..SmtpConfig::default()
        })
        .ok()
    });
    let Some(sender) = sender else {
        return Err(DeliveryError::permanent("the fuzzing sender could not be set up"));
    };
    sender.message(e).map(|m| m.formatted())
}
