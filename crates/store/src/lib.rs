//! needlepath's records and where they live.
//!
//! [`Store`] is everything the service asks of a database. It has two implementations, SQLite
//! (the embedded default) and PostgreSQL (clinic groups), which share their SQL: the query code
//! in `backend.rs` is compiled once per backend, so the two cannot drift apart, and one
//! conformance suite (`tests/conformance/`) runs against both.
//!
//! Every method that touches a patient's data takes the [`Actor`] and writes an audit record
//! (who, what, when, from where) — in the same transaction when it writes. Every query is scoped
//! by the actor's clinic; a patient actor is further confined to their own record, and a staff
//! role that is not clinical is kept from clinical records (`roles.rs`, `queries/policy.rs`).

pub mod access;
mod backend;
pub mod codes;
pub mod consent;
mod error;
mod group;
mod in_core_terms;
mod open;
pub mod outbox;
pub mod outcomes;
pub mod photos;
pub mod records;
pub mod reports;
mod roles;
pub mod schema;
pub mod unit;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use access::{Access, LoginTurn, SIGN_IN_KIND, ThrottleRule};
pub use backend::{PostgresStore, SqliteStore};
pub use codes::{
    ActorKind, AppointmentStatus, FollowUpNote, FollowUpReason, IanaZone, MessageKind, MessageNote, UnknownZone,
};
pub use consent::{Consent, ConsentDocument, ConsentKind, NewConsent, NewConsentDocument, Signer, Withdrawal};
pub use error::StoreError;
pub use group::{CommitFailure, SqliteCommit};
pub use open::{DatabaseUrl, OpenOptions, open};
pub use outbox::*;
pub use outcomes::{NewOutcomeAnswer, NewScarAssessment, OutcomeAnswer, ScarAssessment};
pub use photos::{NewPhoto, Photo, PhotoStage, PhotoView, RednessRegions, Region};
pub use records::*;
pub use unit::{Audit, Reading, Seen, Writing};

pub type Result<T> = std::result::Result<T, StoreError>;

/// Everything the service keeps. Implementations must pass `tests/conformance/`.
#[async_trait]
pub trait Store: Reminders + Access + Send + Sync + 'static {
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;
    /// Cheap round trip to the database, for `/readyz`.
    async fn ping(&self) -> Result<()>;
    /// The database's own consistency check; `Ok` holds its report ("ok" when sound).
    async fn integrity_check(&self) -> Result<String>;

    // --- units of work (`unit.rs`): one transaction and one audit record per use case ------
    /// Opens a read-only unit (a consistent snapshot); [`Reading::finish`] writes its audit.
    async fn reading(&self, actor: &Actor) -> Result<Box<dyn Reading>>;
    /// Opens a write unit; [`Reading::finish`] writes its audit record and commits.
    async fn writing(&self, actor: &Actor) -> Result<Box<dyn Writing>>;
    /// Opens a read-only unit on the record of the patient whose calendar-feed token hashes to
    /// `token_hash`, as the system actor of their clinic; `None` for an unknown token.
    async fn calendar_reading(&self, token_hash: &str) -> Result<Option<(PatientId, Box<dyn Reading>)>>;

    // --- first run -------------------------------------------------------------------------
    async fn has_clinic(&self) -> Result<bool>;
    /// Replaces any unused setup link with this one.
    async fn replace_setup_token(&self, token_hash: &str, now: DateTime<Utc>, expires_at: DateTime<Utc>) -> Result<()>;
    /// Consumes the setup link and creates the clinic with its first admin, in one transaction.
    async fn complete_setup(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        clinic: NewClinic,
        admin: NewStaff,
    ) -> Result<(Clinic, Staff)>;

    // --- clinic and staff ------------------------------------------------------------------
    async fn clinic(&self, id: ClinicId) -> Result<Clinic>;
    async fn update_clinic(
        &self,
        actor: &Actor,
        name: Option<String>,
        time_zone: Option<IanaZone>,
        settings: Option<ClinicSettings>,
    ) -> Result<Clinic>;
    /// The account behind a login e-mail, in whatever clinic it is (login happens before the
    /// clinic is known). Comparison ignores case.
    async fn staff_by_email(&self, email: &str) -> Result<Option<Staff>>;
    async fn staff(&self, clinic: ClinicId, id: StaffId) -> Result<Staff>;
    async fn list_staff(&self, actor: &Actor) -> Result<Vec<Staff>>;
    async fn add_staff(&self, actor: &Actor, staff: NewStaff) -> Result<Staff>;
    /// Updates an account; deactivating it or changing its password ends its login sessions.
    async fn update_staff(&self, actor: &Actor, id: StaffId, update: StaffUpdate) -> Result<Staff>;
    /// Every clinic, for the command line's `user add` when only one exists.
    async fn list_clinics(&self) -> Result<Vec<Clinic>>;

    // --- login sessions and tokens ---------------------------------------------------------
    async fn create_login(&self, login: &Login) -> Result<()>;
    /// The unexpired login with this token hash.
    async fn login(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Login>>;
    async fn delete_login(&self, token_hash: &str) -> Result<()>;
    async fn create_invite(
        &self,
        actor: &Actor,
        patient: PatientId,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// Uses an invite once: valid, unexpired and unused, or [`StoreError::InvalidToken`].
    async fn redeem_invite(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(ClinicId, PatientId)>;
    async fn create_api_token(&self, actor: &Actor, name: &str, role: Role, token_hash: &str) -> Result<ApiToken>;
    async fn list_api_tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>>;
    async fn revoke_api_token(&self, actor: &Actor, id: TokenId) -> Result<ApiToken>;
    /// The unrevoked token with this hash.
    async fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>>;

    // --- patients --------------------------------------------------------------------------
    async fn create_patient(&self, actor: &Actor, patient: NewPatient) -> Result<Patient>;
    async fn patient(&self, actor: &Actor, id: PatientId) -> Result<Patient>;
    /// Patients whose name, e-mail or phone contains `search` (any case), newest first.
    async fn list_patients(&self, actor: &Actor, search: Option<&str>, limit: u32, offset: u32)
    -> Result<Vec<Patient>>;
    async fn update_patient(&self, actor: &Actor, id: PatientId, update: PatientUpdate) -> Result<Patient>;

    // --- clinical records ------------------------------------------------------------------
    async fn add_screening(&self, actor: &Actor, screening: NewScreening) -> Result<Screening>;
    async fn list_screenings(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Screening>>;
    async fn review_screening(
        &self,
        actor: &Actor,
        patient: PatientId,
        id: ScreeningId,
        decision: ReviewDecision,
        note: Option<String>,
    ) -> Result<Screening>;
    async fn add_plan(&self, actor: &Actor, plan: NewPlan) -> Result<Plan>;
    async fn list_plans(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Plan>>;
    /// Records a session and schedules its check-ins, in one transaction. The facts of the
    /// session safety gates are gathered inside it and judged by
    /// [`needlepath_core::pathway::gates`]: refused with [`StoreError::SessionBlocked`] while a
    /// blocker stands, unless a practitioner's override names every blocker, each overridable,
    /// with a reason of at least a sentence ([`StoreError::OverrideRefused`],
    /// [`StoreError::OverrideNotAllowed`] otherwise).
    async fn record_session(&self, actor: &Actor, session: NewSession) -> Result<(Session, Vec<CheckIn>)>;
    async fn list_sessions(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Session>>;
    /// What would block a session for this patient at `performed_at` now (read only; the same
    /// facts and rule as [`Store::record_session`], which decides again in its transaction).
    async fn session_blockers(
        &self,
        actor: &Actor,
        patient: PatientId,
        performed_at: DateTime<Utc>,
        min_interval_days: u32,
    ) -> Result<Vec<Blocker>>;
    /// Sessions recorded over blockers, newest first (staff review them).
    async fn list_overrides(&self, actor: &Actor, limit: u32) -> Result<Vec<SessionOverride>>;
    async fn list_check_ins(&self, actor: &Actor, patient: PatientId) -> Result<Vec<CheckIn>>;
    /// Stores a submitted check-in and the alert it opens, in one transaction.
    async fn submit_check_in(&self, actor: &Actor, submission: CheckInSubmission) -> Result<(CheckIn, Option<Alert>)>;

    // --- the queue -------------------------------------------------------------------------
    async fn list_alerts(&self, actor: &Actor, filter: AlertFilter) -> Result<Vec<Alert>>;
    async fn acknowledge_alert(&self, actor: &Actor, id: AlertId, now: DateTime<Utc>) -> Result<Alert>;
    async fn resolve_alert(&self, actor: &Actor, id: AlertId, note: &str, now: DateTime<Utc>) -> Result<Alert>;
    /// Raises a follow-up for every scheduled check-in still unanswered `grace` hours (the
    /// clinic's setting) after it fell due. Returns how many were raised.
    async fn raise_missed_check_ins(&self, now: DateTime<Utc>) -> Result<u64>;
    async fn list_follow_ups(&self, actor: &Actor, open_only: bool) -> Result<Vec<FollowUp>>;
    async fn resolve_follow_up(
        &self,
        actor: &Actor,
        id: FollowUpId,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<FollowUp>;

    // --- audit -----------------------------------------------------------------------------
    /// Appends an audit record on its own (for reads and actions that store nothing else).
    async fn audit(
        &self,
        actor: &Actor,
        action: &str,
        patient: Option<PatientId>,
        target: Option<uuid::Uuid>,
    ) -> Result<()>;
    async fn list_audit(&self, actor: &Actor, patient: Option<PatientId>, limit: u32) -> Result<Vec<AuditEntry>>;

    // --- the bench harness's seed (issue 16) -------------------------------------------------
    /// Copies the history of `template` (a patient the service wrote) into each target: a new
    /// patient `(id, name)` with `copies` copies of the template's sessions, check-ins, alerts,
    /// follow-ups, appointments and messages, and one of its screenings, plans and consents
    /// (so `copies = 34` of a 30-check-in history gives 1,020 check-ins and one plan). One
    /// transaction; answers the rows written. For the bench seed only: no audit record, no
    /// access check.
    async fn copy_patients(
        &self,
        clinic: ClinicId,
        template: PatientId,
        targets: &[(PatientId, String, u32)],
    ) -> Result<u64>;
}
