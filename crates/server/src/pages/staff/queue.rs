//! The queue (`/staff`): open alerts, most urgent and earliest deadline first (the store's
//! order), and follow-ups for patients silent past a check-in. Practitioners and admins see
//! both; the front desk sees follow-ups only (alerts are clinical, as in the API). The page
//! reloads itself every minute when script runs; without script it is simply a page.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use needlepath_store::{AlertFilter, AlertId, FollowUpId, PatientId};

use crate::App;
use crate::api::id;
use crate::api::queue::{NoteRequest, acknowledge_alert, close_follow_up, resolve_alert};
use crate::auth::Authed;
use crate::pages::form::Posted;
use crate::pages::staff::{clinic_zone, local, symptoms_summary};
use crate::pages::view::{self, Badge};
use crate::pages::{Ctx, Frame, PageError, PageResult, Shown, page_with, see_other};
use crate::problem::ApiError;
use crate::warnings::delivery_warnings;

/// An open alert as the queue lists it.
#[derive(Debug, Clone)]
struct AlertRow {
    id: String,
    patient_id: String,
    patient_name: String,
    badge: Badge,
    overdue: bool,
    acknowledged: Option<String>,
    raised: String,
    deadline: String,
    /// What staff need to act from a phone: the patient's phone (for a `tel:` link), the
    /// temperature reported, the day since the session and the patient's own note.
    contact: Contact,
    reported: Reported,
}

/// The patient's phone, as shown and as dialled.
#[derive(Debug, Clone, Default)]
struct Contact {
    phone: String,
    tel: String,
}

/// What the check-in that raised the alert reported besides its symptoms.
#[derive(Debug, Clone, Default)]
struct Reported {
    summary: String,
    temperature: String,
    day: String,
    note: String,
}

/// A phone number as a `tel:` URI: digits and a leading plus only.
fn tel(phone: &str) -> String {
    let mut out = String::from("tel:");
    for (i, c) in phone.trim().chars().enumerate() {
        if c.is_ascii_digit() || (c == '+' && i == 0) {
            out.push(c);
        }
    }
    out
}

#[derive(Debug, Clone)]
struct FollowUpRow {
    id: String,
    patient_id: String,
    patient_name: String,
    reason: String,
    raised: String,
}

#[derive(Template)]
#[template(path = "staff/queue.html")]
struct QueuePage {
    f: Frame,
    show_alerts: bool,
    alerts: Vec<AlertRow>,
    overdue: usize,
    follow_ups: Vec<FollowUpRow>,
    error: Option<Shown>,
    /// What stops messages from reaching patients and staff, in words (see `warnings`).
    warnings: Vec<String>,
    /// The alert or follow-up whose form the error belongs to.
    error_for: String,
    note: String,
}

async fn render(app: &App, ctx: &Ctx, status: StatusCode, error: Option<(Shown, String, String)>) -> PageResult {
    let a = ctx.authed()?;
    let t = ctx.t;
    let (_, tz) = clinic_zone(app, a).await?;
    let now = Utc::now();
    let now_local = now.with_timezone(&tz);
    let show_alerts = a.is_clinical();
    let mut alerts = Vec::new();
    if show_alerts {
        let open = app.store.list_alerts(&a.actor, AlertFilter::Open).await?;
        // What each alert's check-in reported, and the patient's phone, read once per patient.
        let mut symptoms: HashMap<PatientId, HashMap<String, Reported>> = HashMap::new();
        let mut contacts: HashMap<PatientId, Contact> = HashMap::new();
        for al in &open {
            if let Entry::Vacant(slot) = symptoms.entry(al.patient) {
                let by_check_in = app
                    .store
                    .list_check_ins(&a.actor, al.patient)
                    .await?
                    .into_iter()
                    .filter_map(|c| {
                        let r = c.request?;
                        let hours = r["hours_since_treatment"].as_f64();
                        Some((
                            c.id.to_string(),
                            Reported {
                                summary: symptoms_summary(t, &r),
                                temperature: c
                                    .temperature_c
                                    .map(|x| t.f("queue.temperature_value", &[("c", &format!("{x:.1}"))]))
                                    .unwrap_or_default(),
                                day: hours
                                    .map(|h| {
                                        t.f(
                                            "queue.day_value",
                                            &[
                                                ("day", &format!("{}", (h / 24.0).floor() as i64)),
                                                ("hours", &format!("{}", h.round() as i64)),
                                            ],
                                        )
                                    })
                                    .unwrap_or_default(),
                                note: c.note.unwrap_or_default(),
                            },
                        ))
                    })
                    .collect();
                slot.insert(by_check_in);
                let phone = app.store.patient(&a.actor, al.patient).await?.phone.unwrap_or_default();
                contacts.insert(al.patient, Contact { tel: tel(&phone), phone });
            }
        }
        alerts = open
            .into_iter()
            .map(|al| AlertRow {
                id: al.id.to_string(),
                patient_id: al.patient.to_string(),
                badge: view::disposition(t, &al.disposition),
                overdue: al.acknowledged_at.is_none() && al.deadline_at < now,
                acknowledged: al.acknowledged_at.map(|at| local(at, tz)),
                raised: view::when(t, al.opened_at.with_timezone(&tz), now_local),
                deadline: view::when(t, al.deadline_at.with_timezone(&tz), now_local),
                reported: symptoms
                    .get(&al.patient)
                    .and_then(|m| m.get(&al.check_in.to_string()))
                    .cloned()
                    .unwrap_or_default(),
                contact: contacts.get(&al.patient).cloned().unwrap_or_default(),
                patient_name: al.patient_name,
            })
            .collect();
    }
    let follow_ups = app
        .store
        .list_follow_ups(&a.actor, true)
        .await?
        .into_iter()
        .map(|fu| FollowUpRow {
            id: fu.id.to_string(),
            patient_id: fu.patient.to_string(),
            patient_name: fu.patient_name,
            reason: fu.reason,
            raised: local(fu.raised_at, tz),
        })
        .collect();
    let (error, error_for, note) = match error {
        Some((e, target, note)) => (Some(e), target, note),
        None => (None, String::new(), String::new()),
    };
    let overdue = alerts.iter().filter(|r: &&AlertRow| r.overdue).count();
    page_with(
        status,
        &QueuePage {
            f: ctx.frame(t.s("queue.title")),
            show_alerts,
            alerts,
            overdue,
            follow_ups,
            error,
            warnings: delivery_warnings(&app.config).iter().map(|w| t.s(w.key()).to_string()).collect(),
            error_for,
            note,
        },
    )
}

pub async fn show(State(app): State<Arc<App>>, ctx: Ctx) -> PageResult {
    render(&app, &ctx, StatusCode::OK, None).await
}

/// A queue action's result: back to the queue, or the queue again with the error at its form.
async fn after(app: &App, ctx: &Ctx, target: &str, note: &str, r: Result<(), ApiError>) -> PageResult {
    match r {
        Ok(()) => Ok(see_other("/staff")),
        Err(e) => {
            let (status, shown) = Shown::on_form(e)?;
            render(app, ctx, status, Some((shown, target.to_string(), note.to_string()))).await
        }
    }
}

fn authed(ctx: &Ctx) -> Result<Authed, PageError> {
    ctx.authed().cloned()
}

pub async fn acknowledge(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(_): Posted,
) -> PageResult {
    let a = authed(&ctx)?;
    let alert: AlertId = id(&raw, "alert")?;
    let r = acknowledge_alert(&app, &a, alert).await.map(|_| ());
    after(&app, &ctx, &raw, "", r).await
}

pub async fn resolve(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(form): Posted,
) -> PageResult {
    let a = authed(&ctx)?;
    let alert: AlertId = id(&raw, "alert")?;
    let note = form.get("note").to_string();
    let r = resolve_alert(&app, &a, alert, NoteRequest { note: note.clone() }).await.map(|_| ());
    after(&app, &ctx, &raw, &note, r).await
}

pub async fn resolve_follow_up(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(form): Posted,
) -> PageResult {
    let a = authed(&ctx)?;
    let follow_up: FollowUpId = id(&raw, "follow-up")?;
    let note = form.get("note").to_string();
    let r = close_follow_up(&app, &a, follow_up, NoteRequest { note: note.clone() }).await.map(|_| ());
    after(&app, &ctx, &raw, &note, r).await
}
