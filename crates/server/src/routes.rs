//! Every route, with who may call it, in one table.
//!
//! The router, the OpenAPI document and the access-matrix test are all built from [`table`], so
//! a route cannot exist without an access rule, and the documented rule is the enforced one.
//! What each rule allows is `policy.rs`'s to say; this is also the composition root that turns
//! a refusal (of a rule, or of authentication) into problem+json or an HTML page.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use tower_http::catch_panic::CatchPanicLayer;

use crate::App;
use crate::api::{
    access, check_ins, clinic, clinical, consent, decisions, me, ops, outcomes, patients, photos, queue, reminders,
    session, setup,
};
use crate::auth::{self, Authed};
use crate::calendar;
use crate::pages::{self, account, assets, patient, public, staff};
use crate::problem::ApiError;

pub use crate::policy::{ADMIN, ANY_STAFF, Access, CLINICAL, PRACTITIONER};

/// A route as documented.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    /// Schema name of the JSON request body (see `openapi.rs`).
    pub request: Option<&'static str>,
    /// Schema name of the success response, and its status.
    pub response: Option<&'static str>,
    pub status: u16,
    /// False for HTML pages and form posts, which are not part of the JSON API.
    pub api: bool,
}

struct Entry {
    doc: RouteDoc,
    handler: MethodRouter<Arc<App>>,
}

macro_rules! r {
    ($m:ident $method:literal $path:literal, $access:expr, $summary:literal, $req:expr, $res:expr, $status:literal, $handler:expr) => {
        Entry {
            doc: RouteDoc {
                method: $method,
                path: $path,
                access: $access,
                summary: $summary,
                request: $req,
                response: $res,
                status: $status,
                api: true,
            },
            handler: $m($handler),
        }
    };
}

/// A photo upload: its body may be as large as [`crate::body::MAX_PHOTO_BODY`] (the route must
/// also be listed in [`crate::body::PHOTO_UPLOAD_ROUTES`], which the body check reads).
fn photo_upload(mut e: Entry) -> Entry {
    e.handler = e.handler.layer(axum::extract::DefaultBodyLimit::max(crate::body::MAX_PHOTO_BODY));
    e
}

fn page(mut e: Entry) -> Entry {
    e.doc.api = false;
    e
}

use Access::{Authenticated, Patient, PatientOrStaff, Public, Staff};

fn entries() -> Vec<Entry> {
    vec![
        // Operations.
        r!(get "GET" "/healthz", Public, "Liveness: the process answers", None, Some("Health"), 200, ops::healthz),
        r!(get "GET" "/readyz", Public, "Readiness: the database answers", None, Some("Health"), 200, ops::readyz),
        r!(get "GET" "/metrics", Staff(ADMIN), "Prometheus metrics (counts only, no health data); scrape with an admin API token as a bearer token", None, None, 200, ops::metrics),
        r!(get "GET" "/api/v1/openapi.json", Public, "This document", None, None, 200, ops::openapi),
        // First run.
        page(
            r!(get "GET" "/setup", Public, "The setup page behind the first-run link", None, None, 200, staff::setup::page),
        ),
        page(r!(post "POST" "/setup", Public, "The setup form", None, None, 303, staff::setup::form)),
        r!(post "POST" "/api/v1/setup", Public, "Create the clinic and its first admin with the one-time setup token", Some("SetupRequest"), Some("SetupResult"), 201, setup::api),
        // Sessions.
        r!(post "POST" "/api/v1/auth/login", Public, "Staff log in; sets the session cookie", Some("LoginRequest"), Some("SessionInfo"), 200, session::login),
        r!(post "POST" "/api/v1/auth/logout", Authenticated, "End this session", None, None, 204, session::logout),
        r!(get "GET" "/api/v1/auth/session", Authenticated, "Who this session is, with its CSRF token", None, Some("SessionInfo"), 200, session::current),
        r!(post "POST" "/api/v1/auth/invite", Public, "A patient opens their invite; sets the session cookie", Some("InviteRedeem"), Some("SessionInfo"), 200, session::redeem_invite),
        page(
            r!(get "GET" "/invite", Public, "The invite page behind a patient's link", None, None, 200, account::invite_page),
        ),
        page(r!(post "POST" "/invite", Public, "The invite form", None, None, 303, account::invite_form)),
        r!(post "POST" "/api/v1/auth/sign-in-link", Public, "A patient asks for a new sign-in link by e-mail: the same 202 whether or not the address is known; limited per address and per client", Some("SignInLinkRequest"), Some("SignInLinkAccepted"), 202, access::sign_in_link),
        page(
            r!(get "GET" "/signed-out", Public, "A patient who signed out: the way back in and their clinic's contact", None, None, 200, account::signed_out),
        ),
        page(
            r!(get "GET" "/sign-in", Public, "The page asking for a new sign-in link", None, None, 200, account::sign_in_get),
        ),
        page(r!(post "POST" "/sign-in", Public, "The sign-in link form", None, None, 200, account::sign_in_post)),
        // Clinic, staff, tokens.
        r!(get "GET" "/api/v1/clinic", Staff(ANY_STAFF), "The clinic and its settings", None, Some("Clinic"), 200, clinic::get_clinic),
        r!(patch "PATCH" "/api/v1/clinic", Staff(ADMIN), "Change the clinic's name, zone or settings", Some("ClinicUpdate"), Some("Clinic"), 200, clinic::update_clinic),
        r!(get "GET" "/api/v1/staff", Staff(ADMIN), "Staff accounts", None, Some("StaffList"), 200, clinic::list_staff),
        r!(post "POST" "/api/v1/staff", Staff(ADMIN), "Add a staff account", Some("NewStaff"), Some("Staff"), 201, clinic::add_staff),
        r!(patch "PATCH" "/api/v1/staff/{id}", Staff(ADMIN), "Change a staff account (role, active, password)", Some("StaffUpdate"), Some("Staff"), 200, clinic::update_staff),
        r!(get "GET" "/api/v1/tokens", Staff(ADMIN), "API tokens (without their secrets)", None, Some("TokenList"), 200, clinic::list_tokens),
        r!(post "POST" "/api/v1/tokens", Staff(ADMIN), "Create an API token; the secret is shown once", Some("NewToken"), Some("TokenCreated"), 201, clinic::create_token),
        r!(delete "DELETE" "/api/v1/tokens/{id}", Staff(ADMIN), "Revoke an API token", None, Some("Token"), 200, clinic::revoke_token),
        r!(get "GET" "/api/v1/consent-texts", Staff(ADMIN), "The clinic's consent texts: the current one of each kind (the built-in text until the clinic publishes its own) and every published version", None, Some("ConsentTexts"), 200, consent::texts),
        r!(post "POST" "/api/v1/consent-texts", Staff(ADMIN), "Publish a new version of a consent text; versions already published never change, and a new treatment version asks patients to consent again before their next session", Some("ConsentTextRequest"), Some("ConsentDocument"), 201, consent::publish),
        // Patients.
        r!(get "GET" "/api/v1/patients", Staff(ANY_STAFF), "Patients, newest first; ?search= name, e-mail or phone", None, Some("PatientList"), 200, patients::list),
        r!(post "POST" "/api/v1/patients", Staff(ANY_STAFF), "Add a patient", Some("NewPatient"), Some("Patient"), 201, patients::create),
        r!(get "GET" "/api/v1/patients/{id}", Staff(ANY_STAFF), "A patient", None, Some("Patient"), 200, patients::get_one),
        r!(patch "PATCH" "/api/v1/patients/{id}", Staff(ANY_STAFF), "Change a patient's record", Some("PatientUpdate"), Some("Patient"), 200, patients::update),
        r!(post "POST" "/api/v1/patients/{id}/invites", Staff(ANY_STAFF), "Invite the patient: a single-use, expiring link e-mailed to the patient's own address (staff never see it)", None, Some("InviteSent"), 202, access::invite),
        r!(post "POST" "/api/v1/patients/{id}/access/end", Staff(ANY_STAFF), "End the patient's access: every login ends and every outstanding invite or sign-in link is withdrawn", None, Some("AccessEnded"), 200, access::end_access),
        r!(get "GET" "/api/v1/patients/{id}/audit", Staff(ADMIN), "Who read or changed this patient's record", None, Some("AuditList"), 200, patients::audit),
        // Clinical records.
        r!(get "GET" "/api/v1/patients/{id}/screenings", Staff(CLINICAL), "The patient's screenings, newest first", None, Some("ScreeningList"), 200, clinical::list_screenings),
        r!(post "POST" "/api/v1/patients/{id}/screenings", Staff(CLINICAL), "Screen the patient and record the result", Some("ScreeningRequest"), Some("Screening"), 201, clinical::screen),
        r!(post "POST" "/api/v1/patients/{id}/screenings/{screening_id}/review", Staff(PRACTITIONER), "Record a clinician's review of a screening: cleared or not cleared, with a note", Some("ReviewRequest"), Some("Screening"), 200, clinical::review),
        r!(get "GET" "/api/v1/patients/{id}/plans", Staff(CLINICAL), "The patient's series plans", None, Some("PlanList"), 200, clinical::list_plans),
        r!(post "POST" "/api/v1/patients/{id}/plans", Staff(CLINICAL), "Plan a series and record it", Some("PlanRequest"), Some("Plan"), 201, clinical::plan),
        r!(get "GET" "/api/v1/patients/{id}/sessions", Staff(CLINICAL), "The patient's sessions", None, Some("SessionList"), 200, clinical::list_sessions),
        r!(post "POST" "/api/v1/patients/{id}/sessions", Staff(CLINICAL), "Record a session and schedule its check-ins", Some("NewSession"), Some("SessionRecorded"), 201, clinical::record_session),
        r!(get "GET" "/api/v1/overrides", Staff(CLINICAL), "Sessions recorded over blockers by a clinician's override, newest first", None, Some("OverrideList"), 200, clinical::list_overrides),
        r!(get "GET" "/api/v1/patients/{id}/check-ins", Staff(CLINICAL), "The patient's check-ins, scheduled and submitted", None, Some("CheckInList"), 200, check_ins::list_for_patient),
        r!(post "POST" "/api/v1/patients/{id}/check-ins", Staff(CLINICAL), "Record a check-in for the patient (for example by phone)", Some("CheckInSubmit"), Some("CheckInResult"), 201, check_ins::submit_for_patient),
        r!(get "GET" "/api/v1/patients/{id}/consents", Staff(CLINICAL), "The patient's consents: where each kind stands against the current text, and every consent given", None, Some("PatientConsents"), 200, consent::for_patient),
        r!(post "POST" "/api/v1/patients/{id}/consents", Staff(CLINICAL), "Record a consent the patient (or, under 18, their guardian) signed on paper, against the current text", Some("ConsentRequest"), Some("Consent"), 201, consent::record_paper),
        photo_upload(
            r!(post "POST" "/api/v1/patients/{id}/consents/{consent_id}/scan", Staff(CLINICAL), "Attach the scan of a consent signed on paper (multipart/form-data: photo), once; kept re-encoded without metadata", Some("ConsentScanUpload"), Some("Consent"), 200, photos::attach_consent_scan),
        ),
        r!(get "GET" "/api/v1/patients/{id}/consents/{consent_id}/scan", Staff(CLINICAL), "The scan of a consent signed on paper (JPEG); audited", None, None, 200, photos::consent_scan),
        r!(post "POST" "/api/v1/patients/{id}/consents/{consent_id}/withdraw", Staff(CLINICAL), "Record that the patient withdrew a consent (honoured at once)", Some("WithdrawRequest"), Some("Consent"), 200, consent::withdraw_for_patient),
        photo_upload(
            r!(post "POST" "/api/v1/patients/{id}/photos", Staff(CLINICAL), "Upload a photo of the patient (multipart/form-data: photo, view, stage, session_id): kept re-encoded without metadata, only with the patient's consent to photos for their record", Some("PhotoUpload"), Some("PhotoEntry"), 201, photos::upload_for_patient),
        ),
        r!(get "GET" "/api/v1/patients/{id}/photos", Staff(CLINICAL), "The patient's photos, newest first (none while their consent to photos is not given); audited", None, Some("PhotoList"), 200, photos::for_patient),
        r!(post "POST" "/api/v1/patients/{id}/photos/regions", Staff(CLINICAL), "Mark where a view's redness index is read (treated and untreated skin, fractions of the photo) and read every photo of that view (and the check-in photos, for the front) again", Some("RegionsRequest"), Some("RegionsSet"), 200, photos::set_regions),
        r!(get "GET" "/api/v1/photos/{photo_id}/image", PatientOrStaff(CLINICAL), "A photo's image (JPEG), for clinical staff or the patient it shows, while their consent is given; audited", None, None, 200, photos::image),
        r!(get "GET" "/api/v1/photos/{photo_id}/thumbnail", PatientOrStaff(CLINICAL), "A photo's thumbnail (JPEG), for clinical staff or the patient it shows, while their consent is given; audited", None, None, 200, photos::thumbnail),
        r!(get "GET" "/api/v1/patients/{id}/outcomes", Staff(CLINICAL), "The latest plan's outcomes: each milestone (baseline, every second session, 3 and 6 months after the last) with the clinician's grade and the patient's answer; audited", None, Some("SeriesOutcomes"), 200, outcomes::for_patient),
        r!(post "POST" "/api/v1/patients/{id}/grades", Staff(CLINICAL), "Record the Goodman & Baron grade (and, after baseline, the clinician's rating of improvement) at a milestone the series has reached", Some("GradeRequest"), Some("ScarAssessment"), 201, outcomes::grade),
        // The queue.
        r!(get "GET" "/api/v1/patients/{id}/appointments", Staff(ANY_STAFF), "The patient's appointments (booked sessions), latest first", None, Some("AppointmentList"), 200, reminders::list),
        r!(post "POST" "/api/v1/patients/{id}/appointments", Staff(ANY_STAFF), "Book a session and schedule its pre-care and appointment reminders", Some("AppointmentRequest"), Some("Appointment"), 201, reminders::create),
        r!(post "POST" "/api/v1/patients/{id}/appointments/{appointment_id}/reschedule", Staff(ANY_STAFF), "Move a booked session; pending reminders are scheduled again", Some("RescheduleRequest"), Some("Appointment"), 200, reminders::move_to),
        r!(post "POST" "/api/v1/patients/{id}/appointments/{appointment_id}/cancel", Staff(ANY_STAFF), "Cancel a booked session; pending reminders are withdrawn", None, Some("Appointment"), 200, reminders::cancel),
        r!(get "GET" "/api/v1/patients/{id}/messages", Staff(ANY_STAFF), "What the patient was sent, when, and whether it arrived", None, Some("MessageList"), 200, reminders::messages),
        r!(post "POST" "/api/v1/messages/{id}/retry", Staff(ANY_STAFF), "Send a failed message again", None, Some("Message"), 200, reminders::retry),
        r!(get "GET" "/api/v1/alerts", Staff(CLINICAL), "Alerts, most urgent and earliest deadline first; ?state=open|all", None, Some("AlertList"), 200, queue::list_alerts),
        r!(post "POST" "/api/v1/alerts/{id}/acknowledge", Staff(CLINICAL), "Acknowledge an alert", None, Some("Alert"), 200, queue::acknowledge),
        r!(post "POST" "/api/v1/alerts/{id}/resolve", Staff(CLINICAL), "Resolve an alert with a note", Some("NoteRequest"), Some("Alert"), 200, queue::resolve),
        r!(get "GET" "/api/v1/follow-ups", Staff(ANY_STAFF), "Patients silent past a check-in; ?state=open|all", None, Some("FollowUpList"), 200, queue::list_follow_ups),
        r!(post "POST" "/api/v1/follow-ups/{id}/resolve", Staff(ANY_STAFF), "Close a follow-up with a note", Some("NoteRequest"), Some("FollowUp"), 200, queue::resolve_follow_up),
        r!(get "GET" "/api/v1/outcomes", Staff(ADMIN), "The clinic's outcomes by period and practitioner: sessions, grade changes, patient ratings, alerts per session, check-in adherence, overrides (?from, to: YYYY-MM-DD; period: month or quarter)", None, Some("ClinicReport"), 200, outcomes::clinic_report),
        r!(get "GET" "/api/v1/audit", Staff(ADMIN), "The clinic's audit log, newest first", None, Some("AuditList"), 200, queue::audit),
        // The patient's own record.
        r!(get "GET" "/api/v1/me", Patient, "My record", None, Some("Patient"), 200, me::me),
        r!(get "GET" "/api/v1/me/today", Patient, "What to do and avoid now, after my last session", None, Some("Today"), 200, me::today_get),
        r!(get "GET" "/api/v1/me/screenings", Patient, "My screenings", None, Some("ScreeningList"), 200, me::screenings),
        r!(get "GET" "/api/v1/me/plans", Patient, "My series plans", None, Some("PlanList"), 200, me::plans),
        r!(get "GET" "/api/v1/me/sessions", Patient, "My sessions", None, Some("SessionList"), 200, me::sessions),
        r!(get "GET" "/api/v1/me/check-ins", Patient, "My check-ins", None, Some("CheckInList"), 200, me::check_ins),
        r!(get "GET" "/api/v1/me/appointments", Patient, "My booked sessions", None, Some("AppointmentList"), 200, reminders::my_appointments),
        r!(get "GET" "/api/v1/me/reminders", Patient, "My reminder choices", None, Some("ReminderSettings"), 200, reminders::my_settings),
        r!(put "PUT" "/api/v1/me/reminders", Patient, "Choose e-mail and text-message reminders", Some("ReminderChoices"), Some("ReminderSettings"), 200, reminders::set_my_settings),
        r!(post "POST" "/api/v1/me/sign-out-everywhere", Patient, "Sign out on every device (this one too)", None, Some("AccessEnded"), 200, access::sign_out_everywhere_api),
        r!(post "POST" "/api/v1/me/calendar", Patient, "A new calendar-feed link (the old one stops working); shown once", None, Some("CalendarLink"), 201, reminders::reset_calendar),
        r!(post "POST" "/api/v1/me/calendar/off", Patient, "Turn the calendar feed off", None, Some("ReminderSettings"), 200, reminders::calendar_off),
        r!(get "GET" "/api/v1/me/consents", Patient, "My consents: what I have agreed to, and the texts to read and sign", None, Some("PatientConsents"), 200, consent::mine),
        r!(post "POST" "/api/v1/me/consents", Patient, "Sign a consent text (the version I read): my full name typed and the confirmation; under 18, a parent or guardian signs", Some("ConsentRequest"), Some("Consent"), 201, consent::sign_mine),
        r!(post "POST" "/api/v1/me/consents/{consent_id}/withdraw", Patient, "Withdraw a consent (honoured at once)", Some("WithdrawRequest"), Some("Consent"), 200, consent::withdraw_mine),
        photo_upload(
            r!(post "POST" "/api/v1/me/photos", Patient, "Send a photo with one of my check-ins (multipart/form-data: photo, check_in_id); kept only with my consent to photos for my record", Some("MyPhotoUpload"), Some("PhotoEntry"), 201, photos::upload_mine),
        ),
        r!(get "GET" "/api/v1/me/photos", Patient, "My photos, newest first", None, Some("PhotoList"), 200, photos::mine),
        r!(get "GET" "/api/v1/me/outcomes", Patient, "My series' outcomes: grades, my answers, and the questionnaire open now", None, Some("SeriesOutcomes"), 200, outcomes::mine),
        r!(post "POST" "/api/v1/me/outcomes", Patient, "Answer the outcome questionnaire (once its day has come; once per milestone)", Some("AnswerRequest"), Some("OutcomeAnswer"), 201, outcomes::answer_mine),
        r!(post "POST" "/api/v1/me/check-ins", Patient, "Check in: answered at once with the triage result", Some("CheckInSubmit"), Some("CheckInResult"), 201, check_ins::submit_own),
        // ---- Pages: assets, sign-in ----
        page(r!(get "GET" "/assets/{name}", Public, "The stylesheet, script and icon", None, None, 200, assets::serve)),
        page(r!(get "GET" "/login", Public, "The staff login page", None, None, 200, account::login_page)),
        page(r!(post "POST" "/login", Public, "The staff login form", None, None, 303, account::login_form)),
        page(
            r!(post "POST" "/logout", Public, "Log out (form); without a session it only clears the cookie", None, None, 303, account::logout_form),
        ),
        // ---- Pages: for everyone ----
        page(r!(get "GET" "/", Public, "The home page", None, None, 200, public::home)),
        page(
            r!(get "GET" "/calendar/{file}", Public, "A patient's calendar feed (iCalendar); the token in the address is the key", None, None, 200, calendar::feed::serve),
        ),
        page(
            r!(get "GET" "/unsubscribe/{token}", Public, "Stop e-mail reminders? (the link in every reminder e-mail)", None, None, 200, public::unsubscribe::page_get),
        ),
        page(
            r!(post "POST" "/unsubscribe/{token}", Public, "Stop e-mail reminders (the button, or a one-click unsubscribe)", None, None, 200, public::unsubscribe::page_post),
        ),
        page(r!(get "GET" "/sources", Public, "The sources the protocol cites", None, None, 200, public::sources)),
        page(
            r!(get "GET" "/candidate", Public, "Am I a candidate? (the screening questions)", None, None, 200, public::candidate::page_get),
        ),
        page(
            r!(post "POST" "/candidate", Public, "Am I a candidate? (the answer)", None, None, 200, public::candidate::page_post),
        ),
        page(
            r!(get "GET" "/aftercare", Public, "The aftercare guide, printable as a care sheet", None, None, 200, public::aftercare::page_get),
        ),
        page(
            r!(get "GET" "/cost", Public, "The cost estimate of a series (GET form)", None, None, 200, public::cost::page_get),
        ),
        // (end of pages for everyone)

        // ---- Pages: the patient's own ----
        page(
            r!(get "GET" "/me", Patient, "Today: what to do and avoid now, the next check-in and session", None, None, 200, patient::today::page_get),
        ),
        page(r!(get "GET" "/me/check-in", Patient, "The check-in form", None, None, 200, patient::check_in::page_get)),
        page(
            r!(post "POST" "/me/check-in", Patient, "Send a check-in; answered at once", None, None, 200, patient::check_in::page_post),
        ),
        page(
            r!(get "GET" "/me/plan", Patient, "My plan and the sessions had so far", None, None, 200, patient::plan::page_get),
        ),
        page(photo_upload(
            r!(post "POST" "/me/check-ins/{check_in_id}/photo", Patient, "Add a photo to one of my check-ins (multipart form: photo, _csrf)", None, None, 303, patient::check_in_photo::upload),
        )),
        page(
            r!(get "GET" "/me/outcome", Patient, "The outcome questionnaire open now (three questions)", None, None, 200, patient::outcome::page_get),
        ),
        page(
            r!(post "POST" "/me/outcome", Patient, "Answer the outcome questionnaire (form: milestone, improvement, satisfaction, recommend, _csrf)", None, None, 303, patient::outcome::page_post),
        ),
        page(
            r!(get "GET" "/me/history", Patient, "My check-ins and the symptom chart", None, None, 200, patient::history::page_get),
        ),
        page(
            r!(get "GET" "/me/reminders", Patient, "Reminders: e-mail and text choices, booked appointments, the calendar link", None, None, 200, patient::reminders::page_get),
        ),
        page(
            r!(post "POST" "/me/reminders", Patient, "Choose e-mail and text-message reminders (form)", None, None, 303, patient::reminders::page_post),
        ),
        page(
            r!(post "POST" "/me/reminders/calendar", Patient, "A new calendar link, shown once; the old one stops working (form)", None, None, 200, patient::reminders::calendar_post),
        ),
        page(
            r!(post "POST" "/me/reminders/calendar/off", Patient, "Turn the calendar feed off (form)", None, None, 303, patient::reminders::calendar_off),
        ),
        page(
            r!(get "GET" "/me/consent", Patient, "Consent: read and sign, or withdraw", None, None, 200, patient::consent::page_get),
        ),
        page(
            r!(post "POST" "/me/consent", Patient, "Sign a consent: the full name typed and the confirmation (form)", None, None, 303, patient::consent::page_post),
        ),
        page(
            r!(post "POST" "/me/consent/{consent_id}/withdraw", Patient, "Withdraw a consent (form)", None, None, 303, patient::consent::withdraw_post),
        ),
        page(
            r!(get "GET" "/me/consent/{consent_id}", Patient, "A consent's printable copy: the exact text and the signature", None, None, 200, patient::consent::copy_get),
        ),
        // (end of the patient's pages)

        // ---- Pages: staff ----
        page(
            r!(get "GET" "/staff", Staff(ANY_STAFF), "The queue: open alerts (clinical staff) and follow-ups", None, None, 200, staff::queue::show),
        ),
        page(
            r!(post "POST" "/staff/alerts/{id}/acknowledge", Staff(CLINICAL), "Acknowledge an alert (form)", None, None, 303, staff::queue::acknowledge),
        ),
        page(
            r!(post "POST" "/staff/alerts/{id}/resolve", Staff(CLINICAL), "Resolve an alert with a note (form)", None, None, 303, staff::queue::resolve),
        ),
        page(
            r!(post "POST" "/staff/follow-ups/{id}/resolve", Staff(ANY_STAFF), "Close a follow-up with a note (form)", None, None, 303, staff::queue::resolve_follow_up),
        ),
        page(
            r!(get "GET" "/staff/patients", Staff(ANY_STAFF), "Patients, with search", None, None, 200, staff::patients::list),
        ),
        page(
            r!(get "GET" "/staff/patients/new", Staff(ANY_STAFF), "The new-patient form", None, None, 200, staff::patients::new_form),
        ),
        page(
            r!(post "POST" "/staff/patients", Staff(ANY_STAFF), "Add a patient (form)", None, None, 303, staff::patients::create),
        ),
        page(
            r!(get "GET" "/staff/patients/{id}", Staff(ANY_STAFF), "A patient's page (clinical records for clinical staff)", None, None, 200, staff::records::show),
        ),
        page(
            r!(get "GET" "/staff/patients/{id}/edit", Staff(ANY_STAFF), "The record's edit form: contact details; findings, allergies and medication for clinical staff", None, None, 200, staff::edit::edit_form),
        ),
        page(
            r!(post "POST" "/staff/patients/{id}/edit", Staff(ANY_STAFF), "Change the record (form); clinical data by clinical staff only, audited", None, None, 303, staff::edit::edit_submit),
        ),
        page(
            r!(post "POST" "/staff/patients/{id}/invite", Staff(ANY_STAFF), "E-mail the patient a new invite (form); staff never see the link", None, None, 303, staff::patients::invite),
        ),
        page(
            r!(get "GET" "/staff/patients/{id}/screening", Staff(CLINICAL), "The screening form", None, None, 200, staff::clinical::screening_form),
        ),
        page(
            r!(post "POST" "/staff/patients/{id}/screening", Staff(CLINICAL), "Screen the patient (form)", None, None, 303, staff::clinical::screening_submit),
        ),
        page(
            r!(get "GET" "/staff/patients/{id}/plan", Staff(CLINICAL), "The series-plan form", None, None, 200, staff::clinical::plan_form),
        ),
        page(
            r!(post "POST" "/staff/patients/{id}/plan", Staff(CLINICAL), "Plan a series (form)", None, None, 303, staff::clinical::plan_submit),
        ),
        page(
            r!(post "POST" "/staff/patients/{id}/consent", Staff(CLINICAL), "Record a consent signed on paper (form)", None, None, 303, staff::consent::paper_post),
        ),
        page(
            r!(post "POST" "/staff/patients/{id}/consent/{consent_id}/withdraw", Staff(CLINICAL), "Record a withdrawal of consent (form)", None, None, 303, staff::consent::withdraw_post),
        ),
        page(
            r!(post "POST" "/staff/patients/{id}/grades", Staff(CLINICAL), "Record a scar grade at a milestone (form: milestone, grade, improvement, note, _csrf)", None, None, 303, staff::grades::save),
        ),
        page(
            r!(get "GET" "/staff/patients/{id}/consent/{consent_id}", Staff(CLINICAL), "A consent's printable copy: the exact text and the signature", None, None, 200, staff::consent::copy_get),
        ),
        page(
            r!(post "POST" "/staff/patients/{id}/photos/regions", Staff(CLINICAL), "Mark where a view's redness index is read (form: view, treated_x/y/width/height and reference_x/y/width/height in percent, _csrf)", None, None, 303, staff::redness::save),
        ),
        page(photo_upload(
            r!(post "POST" "/staff/patients/{id}/consent/{consent_id}/scan", Staff(CLINICAL), "Attach the scan of a consent signed on paper (multipart form: photo, _csrf)", None, None, 303, staff::photos::consent_scan),
        )),
        page(photo_upload(
            r!(post "POST" "/staff/patients/{id}/photos", Staff(CLINICAL), "Add a photo of the patient (multipart form: photo, view, stage, session_id, _csrf)", None, None, 303, staff::photos::upload),
        )),
        page(
            r!(get "GET" "/staff/patients/{id}/session", Staff(CLINICAL), "The session form", None, None, 200, staff::clinical::session_form),
        ),
        page(
            r!(post "POST" "/staff/patients/{id}/session", Staff(CLINICAL), "Record a session (form)", None, None, 303, staff::clinical::session_submit),
        ),
        page(
            r!(post "POST" "/staff/patients/{id}/screenings/{screening_id}/review", Staff(PRACTITIONER), "Record a clinician's review of a screening (form)", None, None, 303, staff::gates::review_submit),
        ),
        page(
            r!(get "GET" "/staff/overrides", Staff(CLINICAL), "Sessions recorded over blockers, for staff to review", None, None, 200, staff::gates::overrides),
        ),
        page(
            r!(post "POST" "/staff/patients/{id}/appointments", Staff(ANY_STAFF), "Book a session (form); its reminders are scheduled", None, None, 303, staff::appointment_forms::book_submit),
        ),
        page(
            r!(post "POST" "/staff/patients/{id}/appointments/{appointment_id}/move", Staff(ANY_STAFF), "Move a booked session (form); its reminders are scheduled again", None, None, 303, staff::appointment_forms::move_submit),
        ),
        page(
            r!(post "POST" "/staff/patients/{id}/appointments/{appointment_id}/cancel", Staff(ANY_STAFF), "Cancel a booked session (form); its pending reminders are withdrawn", None, None, 303, staff::appointment_forms::cancel_submit),
        ),
        page(
            r!(post "POST" "/staff/messages/{id}/retry", Staff(ANY_STAFF), "Send a failed message again (form)", None, None, 303, staff::appointment_forms::retry_submit),
        ),
        page(
            r!(get "GET" "/staff/outcomes", Staff(ADMIN), "The clinic's outcomes by period and practitioner: charts and tables (?from, to, period)", None, None, 200, staff::outcomes::show),
        ),
        page(
            r!(get "GET" "/staff/outcomes.csv", Staff(ADMIN), "The clinic's outcomes as CSV (?from, to, period)", None, None, 200, staff::outcomes::export),
        ),
        page(
            r!(get "GET" "/staff/settings", Staff(ADMIN), "The clinic's settings, staff and protocol", None, None, 200, staff::settings::show),
        ),
        page(
            r!(post "POST" "/staff/settings", Staff(ADMIN), "Save the clinic's settings (form)", None, None, 303, staff::settings::save_clinic),
        ),
        page(
            r!(post "POST" "/staff/settings/staff", Staff(ADMIN), "Add a staff account (form)", None, None, 303, staff::settings::add_staff),
        ),
        page(
            r!(post "POST" "/staff/settings/staff/{id}", Staff(ADMIN), "Change a staff account's role or access (form)", None, None, 303, staff::settings::change_member),
        ),
        page(
            r!(get "GET" "/staff/settings/consent", Staff(ADMIN), "The clinic's consent texts, each editable as a new version", None, None, 200, staff::consent::texts_get),
        ),
        page(
            r!(post "POST" "/staff/settings/consent", Staff(ADMIN), "Publish an edited consent text as a new version (form)", None, None, 303, staff::consent::texts_post),
        ),
        page(
            r!(post "POST" "/staff/settings/protocol", Staff(ADMIN), "Save the clinic's protocol within the safety floor (form)", None, None, 303, staff::settings::save_protocol),
        ),
        // (end of staff pages)

        // The engine's decisions, for anyone.
        r!(post "POST" "/api/v1/decisions/screening", Public, "Is this person a candidate now?", Some("ScreeningRequest"), Some("ScreeningResult"), 200, decisions::screening),
        r!(post "POST" "/api/v1/decisions/triage", Public, "How urgent is this check-in?", Some("CheckInRequest"), Some("TriageResult"), 200, decisions::triage),
        r!(post "POST" "/api/v1/decisions/can-i", Public, "May I do this activity now?", Some("CanIRequest"), Some("CanIResult"), 200, decisions::can_i),
        r!(post "POST" "/api/v1/decisions/plan", Public, "Plan a treatment series", Some("PlanRequest"), Some("PlanResult"), 200, decisions::plan),
    ]
}

/// Every route as documented, in table order.
pub fn table() -> Vec<RouteDoc> {
    entries().into_iter().map(|e| e.doc).collect()
}

/// Builds the router from the table, each route behind its access check.
pub fn build(app: Arc<App>) -> Router {
    let mut router: Router<Arc<App>> = Router::new();
    for e in entries() {
        let (access, api) = (e.doc.access, e.doc.api);
        let handler =
            e.handler.layer(middleware::from_fn(move |req: Request, next: Next| check(access, api, req, next)));
        router = router.route(e.doc.path, handler);
    }
    router
        .fallback(|ctx: pages::Ctx| async move {
            let e = ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route; see /api/v1/openapi.json");
            if ctx.path.starts_with("/api/") { e.into_response() } else { pages::error_page(&ctx, e) }
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not accept that method; see /api/v1/openapi.json",
            )
        })
        .layer(middleware::from_fn_with_state(app.clone(), authenticate))
        // A panic is answered 500 inside `front`, so that answer too is counted, logged and
        // carries the security headers.
        .layer(CatchPanicLayer::custom(|_| ApiError::internal().into_response()))
        .layer(middleware::from_fn_with_state(app.clone(), crate::front::front))
        .with_state(app)
}

async fn check(access: Access, api: bool, req: Request, next: Next) -> Response {
    match access.allows(req.extensions().get::<Authed>()) {
        Ok(()) => next.run(req).await,
        Err(refusal) if api => ApiError::from(refusal).into_response(),
        Err(refusal) => pages::refusal(&req, refusal.into()),
    }
}

/// Resolves the caller (`auth::identify`); a refusal is answered here, by path as it always
/// was: problem+json under `/api/`, an error page in the caller's language elsewhere (the
/// route is not known yet when authentication runs on an unmatched path).
async fn authenticate(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    match auth::identify(&app, &mut req).await {
        Ok(()) => next.run(req).await,
        Err(refusal) => pages::refusal(&req, refusal.into()),
    }
}
