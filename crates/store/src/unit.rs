//! A use case's view of the store: one transaction, one audit record.
//!
//! The application layer (`needlepath_server::clinic`) opens a [`Reading`] for a page or answer
//! that only reads, or a [`Writing`] for one that changes something, asks it for what it needs,
//! and ends it with [`Reading::finish`] and one [`Audit`] that names everything the caller saw or
//! changed. The reads inside a unit write no audit rows of their own: before units, one staff
//! view of a patient's page wrote eight audit rows in eight durable transactions, and a
//! patient's check-in five.
//!
//! A unit dropped without `finish` is rolled back and leaves no audit row, so the application
//! layer finishes every unit whose data it returns (the access matrix test proves every route
//! that shows patient data leaves a row).
//!
//! On SQLite a [`Reading`] runs on a read-only connection (a snapshot of the database) and its
//! audit row is written by the single writer when it finishes; a [`Writing`] holds the writer
//! from `BEGIN IMMEDIATE` to its commit, so it must not call back into [`crate::Store`] while
//! open (the writer is one connection).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Result;
use crate::consent::{Consent, ConsentDocument, ConsentKind, NewConsent, NewConsentDocument};
use crate::outbox::{Appointment, Message, NewAppointment, NewMessage, ReminderSettings};
use crate::outcomes::{NewOutcomeAnswer, NewScarAssessment, OutcomeAnswer, ScarAssessment};
use crate::photos::{NewPhoto, Photo, RednessRegions, Region};
use crate::records::*;

/// What a caller saw or changed in one use case, for its audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seen {
    Patient,
    Screenings,
    Plans,
    Sessions,
    CheckIns,
    Appointments,
    Messages,
    Staff,
    Alerts,
    Gates,
    Audit,
    /// The patient's reminder choices and whether their calendar feed is on.
    Reminders,
    /// The clinic's list of patients (several records, as listed).
    Patients,
    FollowUps,
    /// The patient's consents (issue 15).
    Consents,
    /// The patient's photos, listed or an image shown (issue 15).
    Photos,
    /// Scar grades and outcome answers (issue 15).
    Outcomes,
}

impl Seen {
    pub const fn as_str(self) -> &'static str {
        match self {
            Seen::Patient => "patient",
            Seen::Screenings => "screenings",
            Seen::Plans => "plans",
            Seen::Sessions => "sessions",
            Seen::CheckIns => "check_ins",
            Seen::Appointments => "appointments",
            Seen::Messages => "messages",
            Seen::Staff => "staff",
            Seen::Alerts => "alerts",
            Seen::Gates => "gates",
            Seen::Audit => "audit",
            Seen::Reminders => "reminders",
            Seen::Patients => "patients",
            Seen::FollowUps => "follow_ups",
            Seen::Consents => "consents",
            Seen::Photos => "photos",
            Seen::Outcomes => "outcomes",
        }
    }
}

/// The one audit record of a use case.
#[derive(Debug, Clone, PartialEq)]
pub struct Audit {
    /// What was done, as a stable code (`patient.today_viewed`, `check_in.submit`, …).
    pub action: &'static str,
    pub patient: Option<PatientId>,
    pub target: Option<Uuid>,
    /// The parts of the record read to answer, in the order given.
    pub seen: Vec<Seen>,
    /// Other patients whose data the answer showed (the queue's alerted patients, say): each
    /// gets a row of the same record in the same transaction, so every patient's own trail
    /// shows the view.
    pub also: Vec<PatientId>,
}

impl Audit {
    /// A view of one patient's record that showed `seen`.
    pub fn view(action: &'static str, patient: PatientId, seen: &[Seen]) -> Self {
        Self { action, patient: Some(patient), target: None, seen: seen.to_vec(), also: Vec::new() }
    }

    /// Names the patients whose data a list showed (see [`Audit::also`]).
    pub fn showing(mut self, patients: impl IntoIterator<Item = PatientId>) -> Self {
        self.also.extend(patients);
        self
    }

    pub fn with_target(mut self, target: Uuid) -> Self {
        self.target = Some(target);
        self
    }
}

/// Reads inside one transaction, audited once when finished. Every read is scoped by the actor's
/// clinic and a patient actor is confined to their own record, as in [`crate::Store`].
#[async_trait]
pub trait Reading: Send {
    fn actor(&self) -> &Actor;
    /// The actor's clinic.
    async fn clinic(&mut self) -> Result<Clinic>;
    async fn patient(&mut self, id: PatientId) -> Result<Patient>;
    /// Newest first.
    async fn screenings(&mut self, patient: PatientId) -> Result<Vec<Screening>>;
    /// Newest first.
    async fn plans(&mut self, patient: PatientId) -> Result<Vec<Plan>>;
    /// Newest first.
    async fn sessions(&mut self, patient: PatientId) -> Result<Vec<Session>>;
    /// In the order they were (or fall) due.
    async fn check_ins(&mut self, patient: PatientId) -> Result<Vec<CheckIn>>;
    /// The latest page of the patient's check-ins (`offset` skips the newest), in time order.
    async fn recent_check_ins(&mut self, patient: PatientId, page: Page) -> Result<Vec<CheckIn>>;
    /// One check-in of the patient (clinical staff, or the patient themself).
    async fn check_in(&mut self, patient: PatientId, id: CheckInId) -> Result<Option<CheckIn>>;
    /// The check-ins scheduled by day (answered or not), in the order they fall due; not the
    /// check-ins a patient sent on their own (a patient may send hundreds).
    async fn scheduled_check_ins(&mut self, patient: PatientId) -> Result<Vec<CheckIn>>;
    /// One page of the patient's sessions, newest first (issue 16: a page that shows the latest
    /// few reads no more, however long the history).
    async fn recent_sessions(&mut self, patient: PatientId, page: Page) -> Result<Vec<Session>>;
    /// One page of the patient's screenings, newest first.
    async fn recent_screenings(&mut self, patient: PatientId, page: Page) -> Result<Vec<Screening>>;
    /// The patient's latest consent of one kind (given or withdrawn).
    async fn latest_consent(&mut self, patient: PatientId, kind: ConsentKind) -> Result<Option<Consent>>;
    /// One page of the patient's plans, newest first.
    async fn recent_plans(&mut self, patient: PatientId, page: Page) -> Result<Vec<Plan>>;
    /// One page of the patient's appointments, latest start first.
    async fn recent_appointments(&mut self, patient: PatientId, page: Page) -> Result<Vec<Appointment>>;
    /// How many sessions the patient had.
    async fn session_count(&mut self, patient: PatientId) -> Result<u32>;
    /// The check-ins one session scheduled, in the order they fall due.
    async fn scheduled_check_ins_of(&mut self, patient: PatientId, session: SessionId) -> Result<Vec<CheckIn>>;
    /// How many check-ins the patient sent (or staff recorded for them) since `since`.
    async fn check_ins_sent_since(&mut self, patient: PatientId, since: chrono::DateTime<chrono::Utc>) -> Result<u32>;
    /// Newest first.
    async fn appointments(&mut self, patient: PatientId) -> Result<Vec<Appointment>>;
    /// The latest `limit` messages to or about the patient, links redacted.
    async fn messages(&mut self, patient: PatientId, limit: u32) -> Result<Vec<Message>>;
    /// The clinic's staff (not for a patient actor).
    async fn staff(&mut self) -> Result<Vec<Staff>>;
    /// The patient's alerts in the queue's order (open and most urgent first) (not for a patient actor).
    async fn alerts(&mut self, patient: PatientId) -> Result<Vec<Alert>>;
    /// What would block a session for the patient at `at` now (not for a patient actor).
    async fn blockers(
        &mut self,
        patient: PatientId,
        at: chrono::DateTime<chrono::Utc>,
        min_interval_days: u32,
    ) -> Result<Vec<Blocker>>;
    /// The latest `limit` audit records about the patient (not for a patient actor).
    async fn audit_trail(&mut self, patient: PatientId, limit: u32) -> Result<Vec<AuditEntry>>;
    /// The clinic's staff, to tell them of an alert this unit opens, whoever the actor is (a
    /// patient's check-in opens alerts too; the list is never shown to the patient).
    async fn staff_to_tell(&mut self) -> Result<Vec<Staff>>;
    // --- patient side: reads added for the patient's own pages (My plan, History, Reminders) ---
    /// The patient's reminder choices (the defaults when they never chose).
    async fn reminder_settings(&mut self, patient: PatientId) -> Result<ReminderSettings>;
    /// What the patient's calendar feed shows: their booked appointments, soonest first.
    async fn calendar_appointments(&mut self, patient: PatientId) -> Result<Vec<Appointment>>;
    /// What the patient's calendar feed shows: their reminders (the e-mail copy of each, which
    /// every reminder has), not withdrawn, in the order they fall due, links kept.
    async fn calendar_messages(&mut self, patient: PatientId) -> Result<Vec<Message>>;
    // --- staff side: reads added for the queue and the patient list ---------------------------
    /// The clinic's alerts in the queue's order: open first, most urgent first, then the
    /// earliest deadline (not for a patient actor).
    async fn alert_queue(&mut self, filter: AlertFilter, page: Page) -> Result<Vec<Alert>>;
    /// Follow-ups for silent patients, oldest first (not for a patient actor).
    async fn follow_ups(&mut self, open_only: bool, page: Page) -> Result<Vec<FollowUp>>;
    /// The clinic's patients, newest first, matching `search` on name, e-mail and phone (a
    /// patient actor gets their own record only).
    async fn patients(&mut self, search: Option<&str>, limit: u32, offset: u32) -> Result<Vec<Patient>>;
    /// The latest `limit` audit records of the whole clinic (not for a patient actor).
    async fn clinic_audit(&mut self, limit: u32) -> Result<Vec<AuditEntry>>;
    // --- consent (issue 15) ----------------------------------------------------------------
    /// Every published version of the clinic's consent texts, by kind, newest version first.
    async fn consent_documents(&mut self) -> Result<Vec<ConsentDocument>>;
    /// The current version of one kind; `None` when the clinic never published one.
    async fn current_consent_document(&mut self, kind: ConsentKind) -> Result<Option<ConsentDocument>>;
    /// The patient's consents, newest first.
    async fn consents(&mut self, patient: PatientId) -> Result<Vec<Consent>>;
    // --- photos (issue 15) -----------------------------------------------------------------
    /// The patient's photos, newest first (clinical staff, or the patient themself).
    async fn photos(&mut self, patient: PatientId) -> Result<Vec<Photo>>;
    /// One photo (clinical staff of its clinic, or the patient it shows).
    async fn photo(&mut self, id: PhotoId) -> Result<Photo>;
    /// Where the patient's redness index is read, per view.
    async fn redness_regions(&mut self, patient: PatientId) -> Result<Vec<RednessRegions>>;

    // --- scar grades and outcomes (issue 15) ----------------------------------------------
    /// The patient's scar assessments, oldest first (clinical staff, or the patient themself).
    async fn assessments(&mut self, patient: PatientId) -> Result<Vec<ScarAssessment>>;
    /// The patient's outcome answers, oldest first (clinical staff, or the patient themself).
    async fn outcome_answers(&mut self, patient: PatientId) -> Result<Vec<OutcomeAnswer>>;

    // --- the clinic's outcome report (issue 15; admins) ------------------------------------
    /// Sessions performed in `[from, to)` with their check-ins due by `now` and their alerts.
    async fn report_sessions(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::reports::SessionFact>>;
    /// Grades after baseline recorded in `[from, to)`, with their series' baseline.
    async fn report_grades(&mut self, from: DateTime<Utc>, to: DateTime<Utc>)
    -> Result<Vec<crate::reports::GradeFact>>;
    /// Questionnaire answers given in `[from, to)`.
    async fn report_answers(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::reports::AnswerFact>>;
    /// Commits the unit with its one audit record.
    async fn finish(self: Box<Self>, audit: Audit) -> Result<()>;
}

/// A [`Reading`] that also writes, all in one transaction with its audit record.
#[async_trait]
pub trait Writing: Reading {
    /// Stores a submitted check-in, the alert it opens and the escalation messages.
    async fn submit_check_in(&mut self, submission: CheckInSubmission) -> Result<(CheckIn, Option<Alert>)>;
    /// Stores a screening and the findings it puts on the record (audited as such).
    async fn add_screening(&mut self, screening: NewScreening) -> Result<Screening>;
    async fn add_plan(&mut self, plan: NewPlan) -> Result<Plan>;
    /// Records a session and its scheduled check-ins, judged by the session safety gates here,
    /// inside the transaction (an override is audited as such).
    async fn record_session(&mut self, session: NewSession) -> Result<(Session, Vec<CheckIn>)>;
    // --- patient side: writes ----------------------------------------------------------------
    /// The patient's choice of reminder channels.
    async fn set_reminder_channels(
        &mut self,
        patient: PatientId,
        email: bool,
        sms: bool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<ReminderSettings>;
    /// Replaces the patient's calendar-feed token (the old link stops working at once); `None`
    /// turns the feed off.
    async fn set_calendar_token(
        &mut self,
        patient: PatientId,
        token_hash: Option<&str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<ReminderSettings>;
    // --- staff side: writes (alerts, follow-ups, patients) -------------------------------------
    /// Marks an open, unacknowledged alert acknowledged by the actor (refused when it is not).
    async fn acknowledge_alert(&mut self, id: AlertId, now: chrono::DateTime<chrono::Utc>) -> Result<Alert>;
    /// Resolves an open alert with a note, acknowledging it too if nobody had.
    async fn resolve_alert(&mut self, id: AlertId, note: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Alert>;
    /// Closes an open follow-up with a note.
    async fn resolve_follow_up(
        &mut self,
        id: FollowUpId,
        note: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<FollowUp>;
    async fn create_patient(&mut self, patient: NewPatient) -> Result<Patient>;
    /// Applies the changes to the record as read in this unit.
    async fn update_patient(&mut self, id: PatientId, update: PatientUpdate) -> Result<Patient>;
    /// Stores an invite for the patient by the hash of its token.
    async fn create_invite(
        &mut self,
        patient: PatientId,
        token_hash: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()>;
    /// Stores an invite for the patient by the hash of its token and queues `message`, the
    /// e-mail that carries the link to the patient (the only way the link leaves the service).
    async fn send_invite(
        &mut self,
        patient: PatientId,
        token_hash: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
        message: NewMessage,
    ) -> Result<()>;
    // --- appointments ---------------------------------------------------------------------------
    /// Books an appointment and queues its reminders; the patient and the plan named must be on
    /// record, and the practitioner free at that time (`Conflict` otherwise, judged here).
    async fn book_appointment(
        &mut self,
        appointment: NewAppointment,
        messages: Vec<NewMessage>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Appointment>;
    /// Moves a booked appointment: its pending reminders are withdrawn and `messages` queued.
    async fn reschedule_appointment(
        &mut self,
        patient: PatientId,
        id: crate::AppointmentId,
        starts_at: chrono::DateTime<chrono::Utc>,
        messages: Vec<NewMessage>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Appointment>;
    /// Cancels a booked appointment and withdraws its pending reminders.
    async fn cancel_appointment(
        &mut self,
        patient: PatientId,
        id: crate::AppointmentId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Appointment>;
    /// Puts a failed message back in the queue ("Send again"); only a failed one can be.
    async fn retry_message(&mut self, id: crate::MessageId, now: chrono::DateTime<chrono::Utc>) -> Result<Message>;
    // --- consent (issue 15) ----------------------------------------------------------------
    /// Publishes a consent text as the next version of its kind (not for a patient actor).
    async fn publish_consent_document(
        &mut self,
        document: NewConsentDocument,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<ConsentDocument>;
    /// Records a consent to the current version of its document (`Conflict` when a newer one
    /// was published since); a consent to messages turns the record's `consent_messages` on.
    async fn sign_consent(&mut self, consent: NewConsent) -> Result<Consent>;
    /// Attaches the scan of a paper consent (once; clinical staff).
    async fn attach_consent_scan(&mut self, patient: PatientId, id: ConsentId, scan_sha256: &str) -> Result<Consent>;
    /// Withdraws a consent (`Conflict` when it already is); withdrawing the consent to messages
    /// turns `consent_messages` off.
    async fn withdraw_consent(
        &mut self,
        patient: PatientId,
        id: ConsentId,
        note: Option<&str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Consent>;
    // --- photos (issue 15) -----------------------------------------------------------------
    /// Records a photo whose image is stored (clinical staff; a patient to one of their own
    /// check-ins only); the session or check-in it names must be the patient's.
    async fn add_photo(&mut self, photo: NewPhoto) -> Result<Photo>;
    /// Marks where a view's redness is read (clinical staff).
    async fn set_redness_regions(
        &mut self,
        patient: PatientId,
        view: crate::PhotoView,
        treated: Region,
        reference: Region,
        now: DateTime<Utc>,
    ) -> Result<RednessRegions>;
    /// Stores a photo's redness index.
    async fn set_photo_redness(&mut self, photo: PhotoId, redness: Option<f64>) -> Result<()>;
    /// Asks staff to look at a check-in's photo (a follow-up, one per check-in).
    async fn flag_photo(
        &mut self,
        patient: PatientId,
        check_in: CheckInId,
        photo: PhotoId,
        now: DateTime<Utc>,
    ) -> Result<()>;

    // --- scar grades and outcomes (issue 15) ----------------------------------------------
    /// Records a clinician's assessment (clinical staff signed in).
    async fn add_assessment(&mut self, new: NewScarAssessment) -> Result<ScarAssessment>;
    /// Records the patient's questionnaire answer (the patient; one per plan and milestone).
    async fn add_outcome_answer(&mut self, new: NewOutcomeAnswer) -> Result<OutcomeAnswer>;
}
