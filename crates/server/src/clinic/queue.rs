//! The clinic's work queue: alerts opened by check-ins (listed, acknowledged, resolved) and
//! follow-ups for patients silent past a check-in (listed, closed), and the clinic's audit log.
//!
//! Each use case is one unit of work with one audit record. The queue page reads the alerts,
//! the check-in that raised each one and the patient's phone in one snapshot, audited once as
//! "queue viewed", with a row of that record on each shown patient's trail, all in one
//! transaction (before, one row per alerted patient and list, each in its own transaction);
//! an acknowledgement reads the alert and changes it in one transaction with its record.

use chrono::{DateTime, Utc};
use needlepath_store::{
    Actor, Alert, AlertFilter, AlertId, Audit, AuditEntry, CheckIn, Clinic, FollowUp, FollowUpId, Page, PatientId, Seen,
};

use crate::App;
use crate::api::text;
use crate::clinic::ClinicResult;

/// The longest resolution note.
pub const MAX_NOTE: usize = 4000;

/// An alert with whether it is past its response deadline unanswered.
#[derive(Debug, Clone)]
pub struct QueuedAlert {
    pub alert: Alert,
    /// Open, not acknowledged, and its deadline has passed.
    pub overdue: bool,
}

/// The alerts of `GET /api/v1/alerts`.
#[derive(Debug, Clone)]
pub struct AlertList {
    pub alerts: Vec<QueuedAlert>,
    /// How many of them are overdue.
    pub overdue: usize,
}

/// An open alert on the queue page, with what staff need to act from a phone.
#[derive(Debug, Clone)]
pub struct BoardAlert {
    pub alert: Alert,
    pub overdue: bool,
    /// The check-in that raised it (its symptoms, temperature, hours and note).
    pub check_in: Option<CheckIn>,
    /// The patient's phone on record.
    pub phone: Option<String>,
}

/// The queue page (`/staff`).
#[derive(Debug, Clone)]
pub struct Board {
    pub clinic: Clinic,
    pub now: DateTime<Utc>,
    /// Open alerts, most urgent first; empty when not asked for.
    pub alerts: Vec<BoardAlert>,
    /// Open follow-ups, oldest first.
    pub follow_ups: Vec<FollowUp>,
    /// The page shown (of each list); `more` when either list goes on past it.
    pub page: Page,
    pub more: bool,
}

fn overdue(alert: &Alert, now: DateTime<Utc>) -> bool {
    alert.resolved_at.is_none() && alert.acknowledged_at.is_none() && alert.deadline_at < now
}

/// The queue page: the open follow-ups and, with `with_alerts` (alerts are clinical), the open
/// alerts with the check-in that raised each and the patient's phone. One read, one record.
pub async fn board(app: &App, actor: &Actor, with_alerts: bool, page: Page) -> ClinicResult<Board> {
    let now = app.now();
    let mut unit = app.records.store().reading(actor).await?;
    let clinic = unit.clinic().await?;
    let mut seen = Vec::new();
    let mut alerts = Vec::new();
    if with_alerts {
        let open = unit.alert_queue(AlertFilter::Open, page).await?;
        // Each alert's check-in, and each alerted patient's phone (read once per patient).
        let mut phones: Vec<(PatientId, Option<String>)> = Vec::new();
        for alert in open {
            let phone = match phones.iter().find(|(p, _)| *p == alert.patient) {
                Some((_, phone)) => phone.clone(),
                None => {
                    let phone = unit.patient(alert.patient).await?.phone;
                    phones.push((alert.patient, phone.clone()));
                    phone
                }
            };
            alerts.push(BoardAlert {
                overdue: overdue(&alert, now),
                check_in: unit.check_in(alert.patient, alert.check_in).await?,
                phone,
                alert,
            });
        }
        seen.extend([Seen::Alerts, Seen::CheckIns, Seen::Patient]);
    }
    let follow_ups = unit.follow_ups(true, page).await?;
    seen.push(Seen::FollowUps);
    let full = |n: usize| n >= page.size() as usize;
    let more = full(alerts.len()) || full(follow_ups.len());
    // Every patient shown (an alert's check-in and phone, a follow-up's name) gets the view on
    // their own trail, in this one transaction.
    let shown = alerts.iter().map(|a| a.alert.patient).chain(follow_ups.iter().map(|f| f.patient));
    let audit = Audit { also: Vec::new(), action: "queue.viewed", patient: None, target: None, seen }.showing(shown);
    unit.finish(audit).await?;
    Ok(Board { clinic, now, alerts, follow_ups, page, more })
}

/// The clinic's alerts (open only, or all), most urgent first.
pub async fn alerts(app: &App, actor: &Actor, filter: AlertFilter, page: Page) -> ClinicResult<AlertList> {
    let now = app.now();
    let mut unit = app.records.store().reading(actor).await?;
    let list = unit.alert_queue(filter, page).await?;
    let audit = Audit { also: Vec::new(), action: "alert.list", patient: None, target: None, seen: vec![Seen::Alerts] }
        .showing(list.iter().map(|a| a.patient));
    unit.finish(audit).await?;
    let alerts: Vec<QueuedAlert> =
        list.into_iter().map(|alert| QueuedAlert { overdue: overdue(&alert, now), alert }).collect();
    let overdue = alerts.iter().filter(|a| a.overdue).count();
    Ok(AlertList { alerts, overdue })
}

/// The clinic's follow-ups (open only, or all), oldest first.
pub async fn follow_ups(app: &App, actor: &Actor, open_only: bool, page: Page) -> ClinicResult<Vec<FollowUp>> {
    let mut unit = app.records.store().reading(actor).await?;
    let list = unit.follow_ups(open_only, page).await?;
    let audit =
        Audit { also: Vec::new(), action: "follow_up.list", patient: None, target: None, seen: vec![Seen::FollowUps] }
            .showing(list.iter().map(|f| f.patient));
    unit.finish(audit).await?;
    Ok(list)
}

/// Acknowledges an open alert: read and changed in one transaction with its record.
pub async fn acknowledge(app: &App, actor: &Actor, id: AlertId) -> ClinicResult<Alert> {
    let now = app.now();
    let mut unit = app.records.store().writing(actor).await?;
    let alert = unit.acknowledge_alert(id, now).await?;
    let audit = Audit {
        also: Vec::new(),
        action: "alert.acknowledge",
        patient: Some(alert.patient),
        target: Some(id.0),
        seen: vec![Seen::Alerts],
    };
    unit.finish(audit).await?;
    Ok(alert)
}

/// Resolves an open alert with a note saying what was done.
pub async fn resolve(app: &App, actor: &Actor, id: AlertId, note: &str) -> ClinicResult<Alert> {
    let note = text("note", note, MAX_NOTE)?;
    let now = app.now();
    let mut unit = app.records.store().writing(actor).await?;
    let alert = unit.resolve_alert(id, &note, now).await?;
    let audit = Audit {
        also: Vec::new(),
        action: "alert.resolve",
        patient: Some(alert.patient),
        target: Some(id.0),
        seen: vec![Seen::Alerts],
    };
    unit.finish(audit).await?;
    Ok(alert)
}

/// Closes an open follow-up with a note saying what was done.
pub async fn close_follow_up(app: &App, actor: &Actor, id: FollowUpId, note: &str) -> ClinicResult<FollowUp> {
    let note = text("note", note, MAX_NOTE)?;
    let now = app.now();
    let mut unit = app.records.store().writing(actor).await?;
    let f = unit.resolve_follow_up(id, &note, now).await?;
    let audit = Audit {
        also: Vec::new(),
        action: "follow_up.resolve",
        patient: Some(f.patient),
        target: Some(id.0),
        seen: vec![Seen::FollowUps],
    };
    unit.finish(audit).await?;
    Ok(f)
}

/// The latest `limit` audit records of the clinic. Reading the log is itself recorded.
pub async fn audit_log(app: &App, actor: &Actor, limit: u32) -> ClinicResult<Vec<AuditEntry>> {
    let mut unit = app.records.store().reading(actor).await?;
    let entries = unit.clinic_audit(limit).await?;
    unit.finish(Audit {
        also: Vec::new(),
        action: "audit.viewed",
        patient: None,
        target: None,
        seen: vec![Seen::Audit],
    })
    .await?;
    Ok(entries)
}
