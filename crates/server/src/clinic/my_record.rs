//! The patient's own record as the patient reads it: their details, the lists of
//! `GET /api/v1/me/...`, My plan and History. Each is one read-only unit audited once as the
//! view it is (`patient.plan_viewed`, `patient.history_viewed`), naming the parts seen; a single
//! list keeps the code it has always been recorded under (`patient.read`, `plan.list`, …).
//!
//! Before, each list was its own store call with its own audit row in its own durable
//! transaction (My plan wrote four, History three). The patient is always the caller's own:
//! the adapters take the id from the login, and the store confines a patient actor to it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use needlepath_core::Protocol;
use needlepath_core::pathway::next::Series;
use needlepath_store::{
    Actor, Appointment, AppointmentId, Audit, CheckIn, Page, Patient, PatientId, Plan, Reading, Screening, Seen,
    Session,
};

use crate::App;
use crate::clinic::ClinicResult;
use crate::clinic::patient_record::PatientRecord;
use crate::schedule::series_of;

/// The patient's zone (the store reads it validated: an unreadable one is reported as corrupt).
pub fn zone_of(patient: &Patient) -> Tz {
    patient.time_zone.tz()
}

/// A read of a unit, as the unit's methods return it.
type UnitRead<'u, T> = Pin<Box<dyn Future<Output = needlepath_store::Result<T>> + Send + 'u>>;

/// One list of the record, read and audited alone (the answers of `GET /api/v1/me/...`).
async fn one_list<T>(
    app: &App,
    actor: &Actor,
    id: PatientId,
    action: &'static str,
    seen: Seen,
    read: impl for<'u> FnOnce(&'u mut dyn Reading) -> UnitRead<'u, T>,
) -> ClinicResult<T> {
    let mut unit = app.records.store().reading(actor).await?;
    let list = read(&mut *unit).await?;
    unit.finish(Audit::view(action, id, &[seen])).await?;
    Ok(list)
}

/// The patient's details (`GET /api/v1/me`).
pub async fn details(app: &App, actor: &Actor, id: PatientId) -> ClinicResult<PatientRecord> {
    let patient = one_list(app, actor, id, "patient.read", Seen::Patient, |u| u.patient(id)).await?;
    Ok(PatientRecord::read_by(patient, actor))
}

/// The patient's screenings, newest first.
pub async fn screenings(app: &App, actor: &Actor, id: PatientId) -> ClinicResult<Vec<Screening>> {
    one_list(app, actor, id, "screening.list", Seen::Screenings, |u| u.screenings(id)).await
}

/// The patient's plans, newest first.
pub async fn plans(app: &App, actor: &Actor, id: PatientId, page: Page) -> ClinicResult<Vec<Plan>> {
    one_list(app, actor, id, "plan.list", Seen::Plans, |u| u.recent_plans(id, page)).await
}

/// The patient's sessions, newest first.
pub async fn sessions(app: &App, actor: &Actor, id: PatientId, page: Page) -> ClinicResult<Vec<Session>> {
    one_list(app, actor, id, "session.list", Seen::Sessions, |u| u.recent_sessions(id, page)).await
}

/// The patient's check-ins, in the order they were (or fall) due.
pub async fn check_ins(app: &App, actor: &Actor, id: PatientId, page: Page) -> ClinicResult<Vec<CheckIn>> {
    one_list(app, actor, id, "check_in.list", Seen::CheckIns, |u| u.recent_check_ins(id, page)).await
}

/// What My plan shows.
pub struct MyPlan {
    /// The clinic's protocol, which the pre-care of a session still ahead is counted from.
    pub protocol: Arc<Protocol>,
    pub patient: Patient,
    /// The patient's zone.
    pub tz: Tz,
    /// Newest first: the first is the plan shown.
    pub plans: Vec<Plan>,
    /// Newest first.
    pub sessions: Vec<Session>,
    /// Newest first.
    pub appointments: Vec<Appointment>,
    /// The series of the latest plan as it stands (`schedule::series_of`): sessions done on their
    /// days, the next one's window and booking. `None` without a plan or when it has no dates.
    pub series: Option<Series<AppointmentId>>,
    /// The latest plan's grades and my answers by milestone (issue 15).
    pub outcomes: Option<crate::clinic::outcomes::SeriesOutcomes>,
    /// My photos, newest first, while my consent to photos is given (for the comparison).
    pub photos: Option<Vec<crate::clinic::photos::PhotoEntry>>,
    pub now: DateTime<Utc>,
}

/// Plans, sessions and appointments My plan reads, the latest: more than a series has.
const RECENT: u32 = 24;

/// My plan: the latest plan, the sessions had and the appointments booked, in one read.
pub async fn my_plan(app: &App, actor: &Actor, id: PatientId) -> ClinicResult<MyPlan> {
    let protocol = app.protocol_for(actor.clinic).await?;
    let now = app.now();
    let mut unit = app.records.store().reading(actor).await?;
    let patient = unit.patient(id).await?;
    let plans = unit.recent_plans(id, Page::first(RECENT)).await?;
    let sessions = unit.recent_sessions(id, Page::first(RECENT)).await?;
    let appointments = unit.recent_appointments(id, Page::first(RECENT)).await?;
    let tz = zone_of(&patient);
    let today = now.with_timezone(&tz).date_naive();
    let outcomes = crate::clinic::outcomes::outcomes_in(&mut *unit, &plans, &sessions, tz, today).await?;
    let photos = crate::clinic::photos::shown_in(&mut *unit, id).await?;
    let seen =
        [Seen::Patient, Seen::Plans, Seen::Sessions, Seen::Appointments, Seen::Consents, Seen::Photos, Seen::Outcomes];
    unit.finish(Audit::view("patient.plan_viewed", id, &seen)).await?;
    let series = plans.first().and_then(|p| series_of(p, &sessions, &appointments, tz, now));
    Ok(MyPlan { protocol, patient, tz, plans, sessions, appointments, series, outcomes, photos, now })
}

/// Check-ins and sessions History shows, the latest.
pub const HISTORY_SHOWN: u32 = 100;

/// What History shows.
pub struct History {
    pub patient: Patient,
    /// The patient's zone.
    pub tz: Tz,
    /// In the order they were (or fall) due.
    pub check_ins: Vec<CheckIn>,
    /// Newest first: the chart is of the check-ins about the first.
    pub sessions: Vec<Session>,
    pub now: DateTime<Utc>,
}

/// History: the check-ins submitted and due, and the sessions they are about, in one read.
pub async fn history(app: &App, actor: &Actor, id: PatientId) -> ClinicResult<History> {
    let now = app.now();
    let mut unit = app.records.store().reading(actor).await?;
    let patient = unit.patient(id).await?;
    // The latest check-ins and sessions: History costs the same after a thousand (issue 16);
    // the API pages through the rest.
    let check_ins = unit.recent_check_ins(id, Page::first(HISTORY_SHOWN)).await?;
    let sessions = unit.recent_sessions(id, Page::first(HISTORY_SHOWN)).await?;
    unit.finish(Audit::view("patient.history_viewed", id, &[Seen::Patient, Seen::CheckIns, Seen::Sessions])).await?;
    let tz = zone_of(&patient);
    Ok(History { patient, tz, check_ins, sessions, now })
}
