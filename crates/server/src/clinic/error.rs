//! The one error of the application layer. The JSON API turns it into problem+json
//! (`problem.rs`, `impl From<ClinicError> for ApiError`) and the pages into an HTML error page or
//! an error on the form (`pages::refusal`, `pages::form`), each in one place.

use needlepath_store::StoreError;

use crate::problem::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum ClinicError {
    /// Input that cannot be used: the field and what is accepted.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A check-in that names no warning sign from a patient with no session on record.
    #[error(
        "there is no treatment session on record to check in about; if you are unwell, call the clinic, or emergency services in an emergency"
    )]
    NoSession,
    /// A symptom sent without its trend from the day after the session (the page asks for it).
    #[error("say whether {0} is getting better or worse")]
    TrendMissing(String),
    /// A patient's routine check-in past their hourly limit: not saved. (A check-in that opens
    /// an alert is never refused for the limit.)
    #[error(
        "you have sent {sent} check-ins in the last hour, so this one was not saved; your answers need no urgent action. If anything gets worse, call the clinic; in an emergency, call emergency services now"
    )]
    TooManyCheckIns { sent: u32 },
    /// What was asked needs a consent the patient has not given (photos need `photo_record`).
    #[error("{message}")]
    ConsentNeeded { kind: needlepath_core::consent::ConsentKind, message: String },
    /// The store refused or failed (not found, conflict, blocked session, unavailable, …).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Refused by a shared edge parser (a JSON body's shape, a path id); kept as it was said.
    #[error("{}", .0.detail)]
    Refused(Box<ApiError>),
    /// A stored value the service wrote and cannot read back; logged, answered as a 500.
    #[error("{0}")]
    Unexpected(String),
}

pub type ClinicResult<T> = Result<T, ClinicError>;

impl ClinicError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ClinicError::Invalid { field: field.into(), message: message.into() }
    }
}

impl From<ApiError> for ClinicError {
    fn from(e: ApiError) -> Self {
        ClinicError::Refused(Box::new(e))
    }
}
