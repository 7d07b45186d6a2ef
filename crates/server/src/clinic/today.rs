//! The patient's Today: the last session, its aftercare timeline, the next check-in and, for the
//! page, the plan and appointments the next session is read from. One read-only unit, audited
//! once as the view it is.
//!
//! The check-in days of the timeline are the days the session's check-ins were scheduled on when
//! it was recorded (`pathway::next::check_in_days` over the clinic's settings then), read back
//! from the record: the scheduled check-ins own them. A later change to the clinic's settings
//! applies to later sessions and cannot split Today from the check-ins and reminders already
//! scheduled.

use chrono::{DateTime, Duration, Utc};
use needlepath_core::protocol::{FindingSet, Protocol};
use needlepath_core::timeline::{AftercareRequest, Timeline, Zone, timeline};
use needlepath_core::vocabulary::Finding;
use needlepath_store::{Actor, Appointment, Audit, CheckIn, Page, Patient, PatientId, Plan, Seen, Session};

use crate::App;
use crate::clinic::ClinicResult;
use crate::clinic::consent::{ConsentState, state_in};
use needlepath_core::consent::ConsentKind;

/// What Today shows.
#[derive(Debug)]
pub struct Today<'p> {
    pub patient: Patient,
    pub now: DateTime<Utc>,
    /// Newest first.
    pub sessions: Vec<Session>,
    /// The timeline of the last session; `None` before the first session.
    pub timeline: Option<Timeline<'p>>,
    pub next_check_in: Option<CheckIn>,
    /// Newest first; empty unless asked for.
    pub plans: Vec<Plan>,
    /// Newest first; empty unless asked for.
    pub appointments: Vec<Appointment>,
    /// Where the patient stands with the treatment consent (asked for with the series): a new
    /// text of the clinic's waits for their consent before the next session.
    pub treatment_consent: Option<ConsentState>,
    /// The outcome questionnaire open now (issue 15), on the Today page.
    pub questionnaire_open: Option<needlepath_core::outcomes::Milestone>,
}

/// What to read besides the session and its check-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TodayParts {
    /// The session, its timeline and the next check-in (`GET /api/v1/me/today`).
    Aftercare,
    /// And the plan and appointments, for the next session and its pre-care (the Today page).
    WithSeries,
}

/// The days the check-ins of `session` were scheduled on, from the record; `None` for a session
/// recorded before check-ins were scheduled by day (the protocol's days apply then).
pub fn scheduled_days(check_ins: &[CheckIn], session: &Session) -> Option<Vec<u32>> {
    let mut days: Vec<u32> = check_ins.iter().filter(|c| c.session == Some(session.id)).filter_map(|c| c.day).collect();
    days.sort_unstable();
    days.dedup();
    (!days.is_empty()).then_some(days)
}

/// Sessions and appointments Today reads, newest first: more than a series ever has, so the
/// series' progress and the next booking are all in them.
const RECENT: u32 = 12;

/// What to do and avoid now for `patient`, as of the service's clock. `protocol` is the clinic's
/// (`App::protocol_for`).
pub async fn today<'p>(
    app: &App,
    protocol: &'p Protocol,
    actor: &Actor,
    id: PatientId,
    parts: TodayParts,
) -> ClinicResult<Today<'p>> {
    let mut unit = app.records.store().reading(actor).await?;
    let patient = unit.patient(id).await?;
    // The latest sessions, their number, and the check-ins the latest one scheduled: what Today
    // shows costs the same after 50 sessions and 1,000 check-ins as after one (issue 16).
    let sessions = unit.recent_sessions(id, Page::first(RECENT)).await?;
    let session_count = unit.session_count(id).await?;
    let check_ins = match sessions.first() {
        Some(last) => unit.scheduled_check_ins_of(id, last.id).await?,
        None => Vec::new(),
    };
    let mut seen = vec![Seen::Patient, Seen::Sessions, Seen::CheckIns];
    let now = app.now();
    let (plans, appointments, treatment_consent, questionnaire_open) = match parts {
        TodayParts::Aftercare => (Vec::new(), Vec::new(), None, None),
        TodayParts::WithSeries => {
            seen.extend([Seen::Plans, Seen::Appointments, Seen::Consents, Seen::Outcomes]);
            let consent = state_in(&mut *unit, id, ConsentKind::Treatment).await?;
            let plans = unit.recent_plans(id, Page::first(1)).await?;
            let tz = patient.time_zone.tz();
            let today = now.with_timezone(&tz).date_naive();
            let open = crate::clinic::outcomes::outcomes_in(&mut *unit, &plans, &sessions, tz, today)
                .await?
                .and_then(|o| o.questionnaire_open);
            (plans, unit.recent_appointments(id, Page::first(RECENT)).await?, Some(consent), open)
        }
    };
    unit.finish(Audit::view("patient.today_viewed", id, &seen)).await?;
    let Some(last) = sessions.first() else {
        return Ok(Today {
            patient,
            now,
            sessions,
            timeline: None,
            next_check_in: None,
            plans,
            appointments,
            treatment_consent,
            questionnaire_open,
        });
    };
    let tz = patient.time_zone.tz();
    let mut findings = FindingSet::default();
    for f in &patient.findings {
        if let Ok(code) = Finding::parse(&f.code) {
            findings.insert(code);
        }
    }
    let req = AftercareRequest {
        treated_at: last.performed_at,
        zone: Zone::Named(tz),
        findings,
        session_number: session_count,
        check_in_days: scheduled_days(&check_ins, last),
    };
    let tl = timeline(protocol, &req);
    let next = check_ins
        .into_iter()
        .filter(|c| c.submitted_at.is_none())
        .filter_map(|c| c.due_at.map(|d| (d, c)))
        .filter(|(d, _)| *d + Duration::hours(24) > now)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c);
    Ok(Today {
        patient,
        now,
        sessions,
        timeline: Some(tl),
        next_check_in: next,
        plans,
        appointments,
        treatment_consent,
        questionnaire_open,
    })
}
