//! The staff view of one patient's record (the patient page): everything it shows, read in one
//! consistent snapshot and audited once as "patient chart viewed", naming the parts seen.
//!
//! Before, each part was its own store call with its own audit row in its own durable
//! transaction (eight or more per view).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use needlepath_core::Protocol;
use needlepath_store::{
    Actor, Alert, Appointment, Audit, AuditEntry, Blocker, CheckIn, Clinic, Message, Page, Patient, PatientId, Plan,
    Screening, Seen, Session, Staff,
};

use crate::App;
use crate::clinic::ClinicResult;
use crate::clinic::consent::{PatientConsents, consents_in};

/// How many messages the page lists.
pub const MESSAGES_SHOWN: u32 = 50;
/// How many audit records an admin sees on the page.
pub const AUDIT_SHOWN: u32 = 200;

/// What the caller's role lets the chart show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartScope {
    /// Clinical parts: screenings, plans, sessions, check-ins, alerts, session gates.
    pub clinical: bool,
    /// The patient's audit trail.
    pub audit: bool,
}

/// One patient's chart as staff see it.
pub struct Chart {
    pub clinic: Clinic,
    pub patient: Patient,
    pub staff: Vec<Staff>,
    /// Newest first.
    pub appointments: Vec<Appointment>,
    pub messages: Vec<Message>,
    /// The clinical parts (empty when the scope is not clinical).
    pub protocol: Arc<Protocol>,
    pub screenings: Vec<Screening>,
    pub plans: Vec<Plan>,
    pub sessions: Vec<Session>,
    pub check_ins: Vec<CheckIn>,
    pub alerts: Vec<Alert>,
    /// What would block a session now.
    pub blockers: Vec<Blocker>,
    /// Where the patient stands with each consent (clinical scope).
    pub consents: Option<PatientConsents>,
    /// The patient's photos, newest first (clinical scope); `None` while their consent to
    /// photos for the record is not given.
    pub photos: Option<Vec<crate::clinic::photos::PhotoEntry>>,
    /// Where the redness index is read, per view (clinical scope, photos shown).
    pub redness_regions: Vec<needlepath_store::RednessRegions>,
    /// The latest plan's grades and outcome answers by milestone (clinical scope, with a plan).
    pub outcomes: Option<crate::clinic::outcomes::SeriesOutcomes>,
    pub audit: Vec<AuditEntry>,
    pub now: DateTime<Utc>,
}

/// Plans, sessions, check-ins and appointments the chart shows, the latest of each.
pub const CHART_SHOWN: u32 = 20;

/// The chart of `patient`, as `actor` may see it, in one read and one audit record.
pub async fn chart(app: &App, actor: &Actor, patient: PatientId, scope: ChartScope) -> ClinicResult<Chart> {
    let now = app.now();
    let mut unit = app.records.store().reading(actor).await?;
    let record = unit.patient(patient).await?;
    let clinic = unit.clinic().await?;
    let protocol = app.protocol_of(&clinic);
    let staff = unit.staff().await?;
    let appointments = unit.recent_appointments(patient, Page::first(CHART_SHOWN)).await?;
    let messages = unit.messages(patient, MESSAGES_SHOWN).await?;
    let mut seen = vec![Seen::Patient, Seen::Appointments, Seen::Messages];
    let mut chart = Chart {
        clinic,
        patient: record,
        staff,
        appointments,
        messages,
        protocol: protocol.clone(),
        screenings: Vec::new(),
        plans: Vec::new(),
        sessions: Vec::new(),
        check_ins: Vec::new(),
        alerts: Vec::new(),
        blockers: Vec::new(),
        consents: None,
        photos: None,
        redness_regions: Vec::new(),
        outcomes: None,
        audit: Vec::new(),
        now,
    };
    if scope.clinical {
        chart.screenings = unit.recent_screenings(patient, Page::first(CHART_SHOWN)).await?;
        // The latest of each (issue 16): the page costs the same after a thousand check-ins; the
        // API pages through the whole history.
        chart.plans = unit.recent_plans(patient, Page::first(CHART_SHOWN)).await?;
        chart.sessions = unit.recent_sessions(patient, Page::first(CHART_SHOWN)).await?;
        chart.check_ins = unit.recent_check_ins(patient, Page::first(CHART_SHOWN)).await?;
        chart.alerts = unit.alerts(patient).await?;
        chart.blockers = unit.blockers(patient, now, protocol.plan.interval_min_days).await?;
        chart.consents = Some(consents_in(&mut *unit, &chart.patient).await?);
        chart.photos = crate::clinic::photos::shown_in(&mut *unit, patient).await?;
        if chart.photos.is_some() {
            chart.redness_regions = unit.redness_regions(patient).await?;
        }
        let tz = chart.patient.time_zone.tz();
        chart.outcomes = crate::clinic::outcomes::outcomes_in(
            &mut *unit,
            &chart.plans,
            &chart.sessions,
            tz,
            now.with_timezone(&tz).date_naive(),
        )
        .await?;
        seen.extend([
            Seen::Screenings,
            Seen::Plans,
            Seen::Sessions,
            Seen::CheckIns,
            Seen::Alerts,
            Seen::Gates,
            Seen::Consents,
            Seen::Photos,
            Seen::Outcomes,
        ]);
    }
    if scope.audit {
        // Read before this view's own record is written: the trail shows what came before.
        chart.audit = unit.audit_trail(patient, AUDIT_SHOWN).await?;
        seen.push(Seen::Audit);
    }
    unit.finish(Audit::view("patient.chart_viewed", patient, &seen)).await?;
    Ok(chart)
}
