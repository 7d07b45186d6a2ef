//! Consent records: the clinic's versioned consent texts and the consents patients give
//! (issue 15). The rules (who signs, what blocks a session) are core's (`needlepath_core::consent`);
//! these are the records as the store hands them out and takes them in.

use chrono::{DateTime, Utc};
pub use needlepath_core::consent::{ConsentKind, Signer};
use schemars::JsonSchema;
use serde::Serialize;
use uuid::Uuid;

use crate::records::{ConsentDocumentId, ConsentId, PatientId, StaffId};

/// One published version of a consent text. Never changed once published: a new text is a new
/// version, and its hash covers the exact text the signer read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ConsentDocument {
    pub id: ConsentDocumentId,
    pub kind: ConsentKind,
    /// 1, 2, … per kind and clinic.
    pub version: u32,
    /// The exact text, sources included.
    pub body: String,
    /// SHA-256 of `body` (UTF-8), lowercase hex.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    /// The admin who published it; `None` for the built-in text published by the service.
    pub created_by: Option<StaffId>,
}

/// A text to publish as the next version of its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsentDocument {
    pub kind: ConsentKind,
    pub body: String,
    pub sha256: String,
}

/// A consent withdrawn: when, by whom, and the note given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Withdrawal {
    pub at: DateTime<Utc>,
    /// The patient or staff member who recorded it.
    pub by: Option<Uuid>,
    pub note: Option<String>,
}

/// A consent as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Consent {
    pub id: ConsentId,
    pub patient: PatientId,
    pub document: ConsentDocumentId,
    pub kind: ConsentKind,
    pub version: u32,
    /// The hash of the text signed (the document's, copied at signing).
    pub sha256: String,
    pub signer: Signer,
    /// The full name as typed (the guardian's for a minor).
    pub typed_name: String,
    /// Signed on paper and recorded by staff (`recorded_by`), instead of in the portal.
    pub on_paper: bool,
    pub recorded_by: Option<StaffId>,
    pub signed_at: DateTime<Utc>,
    /// The address and browser the portal signature came from.
    pub address: Option<String>,
    pub user_agent: Option<String>,
    pub withdrawn: Option<Withdrawal>,
    /// The scan of the signed paper (SHA-256 of the sanitised image), once attached.
    pub scan_sha256: Option<String>,
}

/// A consent to record, against the document version the signer read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsent {
    pub patient: PatientId,
    pub document: ConsentDocumentId,
    pub typed_name: String,
    pub signer: Signer,
    pub on_paper: bool,
    pub signed_at: DateTime<Utc>,
    pub address: Option<String>,
    pub user_agent: Option<String>,
}
