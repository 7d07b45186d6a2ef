//! The records a clinic keeps, as the store hands them out and takes them in.
//!
//! Ids are newtypes over UUIDv7 so a patient id can never be passed where a clinic id belongs.
//! Closed vocabularies are typed: core's codes (decision, disposition) and the store's own
//! ([`crate::codes`]), so a record read back holds a known value or is reported as corrupt.
//! Engine requests and results are kept as the contract's JSON (`serde_json::Value`): they are
//! what was decided at the time, with the protocol version beside them, and they are re-read,
//! never recomputed.

use chrono::{DateTime, NaiveDate, Utc};
use needlepath_core::session::{AreaDepth, Numbing, SessionWarning};
pub use needlepath_core::vocabulary::{Decision, Disposition};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::codes::{ActorKind, FollowUpNote, FollowUpReason, IanaZone};
use crate::schema;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[schemars(inline)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

ids! {
    /// A clinic: the tenant every record belongs to.
    ClinicId,
    /// A staff member's account.
    StaffId,
    /// A patient of one clinic.
    PatientId,
    /// A screening as recorded.
    ScreeningId,
    /// A series plan.
    PlanId,
    /// A treatment session.
    SessionId,
    /// A check-in, scheduled or submitted.
    CheckInId,
    /// An alert in the clinic's queue.
    AlertId,
    /// A follow-up item for a patient who did not check in.
    FollowUpId,
    /// An API token for an integration.
    TokenId,
    /// An audit record.
    AuditId,
    /// A booked session (an appointment), before it happens.
    AppointmentId,
    /// A message in the outbox.
    MessageId,
    /// One published version of a clinic's consent text.
    ConsentDocumentId,
    /// A consent given (signed, or recorded from paper) by a patient or their guardian.
    ConsentId,
    /// A photo of a patient (its image and thumbnail are stored outside the database).
    PhotoId,
    /// A clinician's scar grade and rating of improvement at a milestone of a series.
    AssessmentId,
    /// A patient's answer to the outcome questionnaire at a milestone of a series.
    OutcomeAnswerId,
}

/// What a staff member (or an API token acting for the clinic) may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Practitioner,
    FrontDesk,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Practitioner, Role::FrontDesk];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Practitioner => "practitioner",
            Role::FrontDesk => "front_desk",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Who is acting: the subject of every audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Staff(StaffId, Role),
    Patient(PatientId),
    Token(TokenId, Role),
    /// The service itself (scheduled sweeps, the command line).
    System,
}

impl Who {
    pub fn kind(self) -> ActorKind {
        match self {
            Who::Staff(..) => ActorKind::Staff,
            Who::Patient(_) => ActorKind::Patient,
            Who::Token(..) => ActorKind::ApiToken,
            Who::System => ActorKind::System,
        }
    }

    pub fn id(self) -> Option<Uuid> {
        match self {
            Who::Staff(id, _) => Some(id.0),
            Who::Patient(id) => Some(id.0),
            Who::Token(id, _) => Some(id.0),
            Who::System => None,
        }
    }

    /// The staff member behind this actor, if a person of the clinic is acting.
    pub fn staff(self) -> Option<StaffId> {
        match self {
            Who::Staff(id, _) => Some(id),
            _ => None,
        }
    }
}

/// An authenticated actor within one clinic, and where the request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub clinic: ClinicId,
    pub who: Who,
    pub ip: Option<String>,
}

/// Clinic working hours, for response deadlines ("next business day", "within 1 hour in
/// opening hours").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    /// ISO weekdays the clinic is open, 1 = Monday … 7 = Sunday.
    #[schemars(inner(range(min = 1, max = 7)))]
    pub days: Vec<u8>,
    /// Opening time, local, "HH:MM".
    #[schemars(regex(pattern = r"^\d{2}:\d{2}$"))]
    pub opens: String,
    /// Closing time, local, "HH:MM".
    #[schemars(regex(pattern = r"^\d{2}:\d{2}$"))]
    pub closes: String,
}

impl Default for OpeningHours {
    fn default() -> Self {
        Self { days: vec![1, 2, 3, 4, 5], opens: "09:00".into(), closes: "17:00".into() }
    }
}

/// How fast the clinic answers an alert, by disposition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponsePolicy {
    /// `emergency`: minutes of opening hours in which the clinic calls the patient back (the
    /// patient has already been told to call emergency services). Settings stored before this
    /// field existed read the default.
    #[serde(default = "default_emergency_minutes")]
    #[schemars(range(min = 1, max = 1440))]
    pub emergency_minutes: u32,
    /// `urgent_same_day`: minutes of opening hours to respond in.
    pub urgent_minutes: u32,
    /// `contact_clinic`: business days to respond in (1 = by closing time next business day).
    pub contact_business_days: u32,
}

fn default_emergency_minutes() -> u32 {
    30
}

impl Default for ResponsePolicy {
    fn default() -> Self {
        Self { emergency_minutes: default_emergency_minutes(), urgent_minutes: 60, contact_business_days: 1 }
    }
}

/// The clinic's own settings, kept together because they change together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClinicSettings {
    pub currency: String,
    /// Price of one session, in the currency's major unit.
    pub price_per_session: Option<f64>,
    pub opening_hours: OpeningHours,
    pub response: ResponsePolicy,
    /// Days after each session on which a check-in is scheduled.
    #[schemars(inner(range(min = 1, max = 90)))]
    pub check_in_days: Vec<u32>,
    /// Hours after a scheduled check-in falls due before silence raises a follow-up.
    pub missed_check_in_grace_hours: u32,
    /// The clinic's own protocol: TOML extending the service's protocol, refused (422, with
    /// `problems`) when anything is below the safety floor. In a PATCH: absent keeps the stored
    /// protocol, an empty text removes it.
    ///
    /// `None` decides by the service's protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// When no reminder is sent, in each patient's local time: `21:00-08:00` (start-end), or
    /// `none`. The hours may cross midnight.
    pub quiet_hours: String,
    /// Whether calendar-feed events carry the care step's words (by default they say only
    /// "Clinic appointment", "Care step" or "Check-in"), so that by default they are free of
    /// health details.
    pub calendar_details: bool,
    /// How patients reach the clinic: shown on every patient page, on urgent and emergency
    /// answers, in e-mails and on the printed care sheet. Empty or null parts are absent.
    #[serde(deserialize_with = "object_only")]
    pub contact: ClinicContact,
}

/// Reads a struct only from a JSON object: serde would also take an array of its fields in
/// order (`[null, null]` read as a contact with nothing in it), which no client means.
fn object_only<'de, D: serde::Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<T, D::Error> {
    use serde::de::Error as _;
    match Value::deserialize(d)? {
        v @ Value::Object(_) => serde_json::from_value(v).map_err(D::Error::custom),
        other => Err(D::Error::custom(format!(
            "expected an object, found {}",
            match other {
                Value::Array(_) => "an array",
                Value::Null => "null",
                _ => "a single value",
            }
        ))),
    }
}

/// How patients reach the clinic. Each part may be missing; the pages then fall back to
/// "contact your clinic" and, for emergencies, to the generic emergency numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClinicContact {
    /// The clinic's phone number, as patients dial it ("+49 30 1234567"): 3 to 20 digits, with
    /// spaces and + - ( ) . only.
    pub phone: Option<String>,
    /// Who answers when the clinic is closed (an on-call clinician or service); an urgent
    /// check-in outside opening hours is told to call it now.
    pub out_of_hours_phone: Option<String>,
    /// The postal address, one line or several.
    #[schemars(length(max = 300))]
    pub address: Option<String>,
    #[schemars(email)]
    pub email: Option<String>,
    /// ISO 3166 alpha-2 ("DE"); decides the emergency number patients are given (DE 112, GB
    /// 999, US 911, …).
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub country: Option<String>,
}

impl Default for ClinicSettings {
    fn default() -> Self {
        Self {
            currency: "EUR".into(),
            price_per_session: None,
            opening_hours: OpeningHours::default(),
            response: ResponsePolicy::default(),
            check_in_days: vec![1, 3, 7, 14],
            missed_check_in_grace_hours: 24,
            protocol: None,
            quiet_hours: "21:00-08:00".into(),
            calendar_details: false,
            contact: ClinicContact::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Clinic {
    pub id: ClinicId,
    pub name: String,
    pub time_zone: IanaZone,
    pub settings: ClinicSettings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewClinic {
    pub name: String,
    pub time_zone: IanaZone,
    pub settings: ClinicSettings,
}

/// A staff account. The password hash never leaves the server in a response.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Staff {
    pub id: StaffId,
    pub clinic: ClinicId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    #[serde(skip)]
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
}

/// Changes to a staff account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaffUpdate {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

/// A finding on a patient's record, in the contract's form: a code, or `{ "code", "last" }`
/// with the day it last happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatientFinding {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<NaiveDate>,
}

// Read by hand (a code, or the object), so its schema is written by hand to match: what is
// served is always the object; what is accepted is either.
impl JsonSchema for PatientFinding {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PatientFinding".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let object = schemars::json_schema!({
            "type": "object", "additionalProperties": false, "required": ["code"],
            "properties": { "code": { "type": "string" }, "last": { "type": "string", "format": "date" } }
        });
        if g.contract().is_serialize() {
            return object;
        }
        schemars::json_schema!({
            "description": "A finding code, or an object with the code and the day it last happened.",
            "anyOf": [{ "type": "string" }, object]
        })
    }
}

impl<'de> Deserialize<'de> for PatientFinding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            code: String,
            #[serde(default)]
            last: Option<NaiveDate>,
        }
        use serde::de::Error as _;
        match Value::deserialize(d)? {
            Value::String(code) => Ok(Self { code, last: None }),
            v @ Value::Object(_) => {
                let f: Full = serde_json::from_value(v).map_err(D::Error::custom)?;
                Ok(Self { code: f.code, last: f.last })
            }
            _ => Err(D::Error::custom("a finding is a code, or an object { \"code\", \"last\": \"YYYY-MM-DD\" }")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Patient {
    pub id: PatientId,
    pub clinic: ClinicId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub time_zone: IanaZone,
    pub birth_date: Option<NaiveDate>,
    #[schemars(range(min = 1, max = 6))]
    pub fitzpatrick: Option<u8>,
    pub findings: Vec<PatientFinding>,
    /// Allergies, free text. Changed by practitioners and admins only.
    #[schemars(length(max = 30), inner(length(min = 1, max = 200)))]
    pub allergies: Vec<String>,
    /// Current medication, free text. Changed by practitioners and admins only.
    ///
    /// Medication the protocol decides on (anticoagulant, isotretinoin, …) is a finding.
    #[schemars(length(max = 30), inner(length(min = 1, max = 200)))]
    pub medication: Vec<String>,
    pub consent_messages: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPatient {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub time_zone: IanaZone,
    pub birth_date: Option<NaiveDate>,
    pub fitzpatrick: Option<u8>,
    pub findings: Vec<PatientFinding>,
    pub allergies: Vec<String>,
    pub medication: Vec<String>,
    pub consent_messages: bool,
}

/// Changes to a patient; `Some(None)` clears an optional field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatientUpdate {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub time_zone: Option<IanaZone>,
    pub birth_date: Option<Option<NaiveDate>>,
    pub fitzpatrick: Option<Option<u8>>,
    pub findings: Option<Vec<PatientFinding>>,
    pub allergies: Option<Vec<String>>,
    pub medication: Option<Vec<String>>,
    pub consent_messages: Option<bool>,
}

/// Which kind of person a login session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginKind {
    Staff,
    Patient,
}

impl LoginKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginKind::Staff => "staff",
            LoginKind::Patient => "patient",
        }
    }
}

/// A server-side login session. Only the hash of its token is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Login {
    pub token_hash: String,
    pub clinic: ClinicId,
    pub kind: LoginKind,
    pub principal: Uuid,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An API token, without its secret (named `Token` in the API).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Token")]
pub struct ApiToken {
    pub id: TokenId,
    pub clinic: ClinicId,
    pub name: String,
    pub role: Role,
    #[serde(skip)]
    pub token_hash: String,
    pub created_by: Option<StaffId>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Screening {
    pub id: ScreeningId,
    pub patient: PatientId,
    #[schemars(schema_with = "schema::contract::screening_request")]
    pub request: Value,
    #[schemars(schema_with = "schema::contract::screening_result")]
    pub result: Value,
    pub decision: Decision,
    pub defer_until: Option<NaiveDate>,
    pub protocol_version: String,
    pub recorded_by: Option<StaffId>,
    pub reviewed_by: Option<StaffId>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The clinician's decision: cleared for treatment or not.
    pub review_decision: Option<ReviewDecision>,
    pub review_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewScreening {
    pub patient: PatientId,
    pub request: Value,
    pub result: Value,
    pub decision: Decision,
    pub defer_until: Option<NaiveDate>,
    pub protocol_version: String,
    /// The patient's findings after this screening (merged by `needlepath_core::findings`),
    /// written onto the record in the screening's transaction; `None` leaves the record as is.
    pub findings_on_record: Option<Vec<PatientFinding>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Plan {
    pub id: PlanId,
    pub patient: PatientId,
    #[schemars(schema_with = "schema::contract::plan_request")]
    pub request: Value,
    #[schemars(schema_with = "schema::contract::plan_result")]
    pub result: Value,
    pub created_by: Option<StaffId>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPlan {
    pub patient: PatientId,
    pub request: Value,
    pub result: Value,
}

/// A treatment session as the practitioner recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Session {
    pub id: SessionId,
    pub patient: PatientId,
    pub plan: Option<PlanId>,
    pub performed_at: DateTime<Utc>,
    pub device: String,
    pub needle_depth_mm: f64,
    pub areas: Vec<String>,
    pub products: Vec<String>,
    /// The numbing cream applied; null: none, or a session recorded before it was structured
    /// (then `numbing_note` may say what was used).
    pub numbing: Option<Numbing>,
    /// Free text about the numbing cream (what older sessions recorded instead of `numbing`).
    pub numbing_note: Option<String>,
    /// The needle depth per area; empty for older sessions, whose only depth is
    /// `needle_depth_mm`. When given, `needle_depth_mm` is the deepest of them.
    pub depths: Vec<AreaDepth>,
    /// What the protocol's numbing and depth limits said when the session was recorded; never
    /// blocking.
    pub warnings: Vec<SessionWarning>,
    pub practitioner: StaffId,
    pub notes: String,
    /// Why a clinician recorded it over blockers, and which blockers (their keys).
    pub override_reason: Option<String>,
    pub override_blockers: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    pub patient: PatientId,
    pub plan: Option<PlanId>,
    pub performed_at: DateTime<Utc>,
    pub device: String,
    pub needle_depth_mm: f64,
    pub areas: Vec<String>,
    pub products: Vec<String>,
    pub numbing: Option<Numbing>,
    pub numbing_note: Option<String>,
    pub depths: Vec<AreaDepth>,
    /// Computed by the caller with `needlepath_core::session::warnings`.
    pub warnings: Vec<SessionWarning>,
    pub practitioner: StaffId,
    pub notes: String,
    /// A clinician's override of the session safety gates: why it is safe now (at least a
    /// sentence) and which blockers it overrides (their [`Blocker::key`]s); logged and listed.
    pub override_reason: Option<String>,
    pub override_blockers: Vec<String>,
    /// The protocol's minimum days between sessions (a gate).
    pub min_interval_days: u32,
    /// Blockers the caller found that the store cannot see (a screening older than the
    /// protocol allows); judged, named and overridden with the store's own.
    pub extra_blockers: Vec<Blocker>,
    /// When the check-ins after this session fall due, with their day numbers.
    pub check_ins: Vec<(u32, DateTime<Utc>)>,
    /// The booked appointment this session fulfils; when `None`, a booked appointment of the
    /// patient's within 12 hours of `performed_at` is taken to be it.
    pub appointment: Option<crate::AppointmentId>,
    /// The reminders after the session (aftercare, check-ins, next window), queued in the same
    /// transaction; their keys are made unique by the store.
    pub messages: Vec<crate::NewMessage>,
}

/// Why a new session cannot be recorded as it stands: the core's session safety gates.
pub use needlepath_core::pathway::gates::{Blocker, ReviewDecision};

/// A session recorded over blockers, as the overrides list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SessionOverride {
    pub session: SessionId,
    pub patient: PatientId,
    pub patient_name: String,
    pub performed_at: DateTime<Utc>,
    pub practitioner: StaffId,
    pub practitioner_name: String,
    pub reason: String,
    pub blockers: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CheckIn {
    pub id: CheckInId,
    pub patient: PatientId,
    pub session: Option<SessionId>,
    /// The day after the session it was scheduled for; `None` when the patient checked in
    /// unprompted.
    pub day: Option<u32>,
    pub due_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub submitted_by: Option<ActorKind>,
    #[schemars(schema_with = "schema::object_or_null")]
    pub request: Option<Value>,
    #[schemars(schema_with = "schema::object_or_null")]
    pub result: Option<Value>,
    pub disposition: Option<Disposition>,
    pub temperature_c: Option<f64>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A submitted check-in with the engine's triage result and, when the disposition is
/// `contact_clinic` or worse, the alert it opens (written in the same transaction).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInSubmission {
    pub patient: PatientId,
    /// The scheduled check-in this answers; filled if still open, otherwise a new row is made.
    pub scheduled: Option<CheckInId>,
    pub session: Option<SessionId>,
    pub submitted_at: DateTime<Utc>,
    pub request: Value,
    pub result: Value,
    pub disposition: Disposition,
    pub temperature_c: Option<f64>,
    pub note: Option<String>,
    pub alert: Option<NewAlert>,
    /// The escalation messages to staff, queued with the alert (ignored when no alert opens).
    pub escalation: Vec<crate::NewMessage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub disposition: Disposition,
    pub deadline_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Alert {
    pub id: AlertId,
    pub patient: PatientId,
    pub patient_name: String,
    pub session: Option<SessionId>,
    pub check_in: CheckInId,
    pub disposition: Disposition,
    pub opened_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub acknowledged_by: Option<StaffId>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<StaffId>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution_note: Option<String>,
    /// How many check-ins this alert stands for: repeated check-ins while it is open update it
    /// (worst disposition, earliest deadline) instead of opening new alerts.
    pub check_ins: u32,
}

/// Which alerts to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertFilter {
    Open,
    All,
}

/// A follow-up item. Its reason and the note its closing left are codes the server renders in the
/// reader's language (see [`FollowUpReason`]); the API renders them too, so this record is not
/// serialised as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    pub id: FollowUpId,
    pub patient: PatientId,
    pub patient_name: String,
    pub check_in: CheckInId,
    pub reason: FollowUpReason,
    pub raised_at: DateTime<Utc>,
    pub resolved_by: Option<StaffId>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub note: Option<FollowUpNote>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AuditEntry {
    pub id: AuditId,
    pub at: DateTime<Utc>,
    pub actor_kind: ActorKind,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub patient: Option<PatientId>,
    pub target: Option<Uuid>,
    pub ip: Option<String>,
    /// The parts of the record the use case read to answer (`patient`, `sessions`, …); empty
    /// for a record that names only its action.
    #[schemars(schema_with = "schema::seen")]
    pub seen: Vec<String>,
}

/// One page of a list: at most `limit` rows after skipping `offset` (issue 16: every list is
/// read a page at a time, so what a page costs does not grow with the history).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    limit: u32,
    offset: u32,
}

impl Page {
    /// The whole list (for exports and the few reads that need every row).
    pub const ALL: Page = Page { limit: u32::MAX, offset: 0 };

    /// The first `limit` rows.
    pub const fn first(limit: u32) -> Page {
        Page { limit, offset: 0 }
    }

    pub const fn new(limit: u32, offset: u32) -> Page {
        Page { limit, offset }
    }

    pub const fn size(self) -> u32 {
        self.limit
    }

    pub const fn start(self) -> u32 {
        self.offset
    }

    pub(crate) fn limit(self) -> i64 {
        i64::from(self.limit)
    }

    pub(crate) fn offset(self) -> i64 {
        i64::from(self.offset)
    }
}
