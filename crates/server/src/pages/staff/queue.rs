//! The queue (`/staff`): open alerts, most urgent and earliest deadline first (the store's
//! order), and follow-ups for patients silent past a check-in. Practitioners and admins see
//! both; the front desk sees follow-ups only (alerts are clinical, as in the API). The page
//! reloads itself every minute when script runs; without script it is simply a page.
//! An adapter of `clinic::queue`: the page is one use case (`board`), each form another.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use needlepath_store::{AlertId, CheckIn, FollowUpId};

use crate::App;
use crate::api::id;
use crate::clinic::{ClinicResult, queue};
use crate::i18n::Locale;
use crate::pages::form::Posted;
use crate::pages::staff::{local, symptoms_summary};
use crate::pages::view::{self, Badge};
use crate::pages::{Ctx, Frame, PageResult, Shown, page_with, see_other};
use crate::policy::Caller;
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
    /// How many check-ins the alert stands for, when more than one (empty otherwise).
    check_ins: String,
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
    /// The next page, when a list goes on; the first page, when this is not it.
    next: Option<String>,
    first: Option<String>,
}

async fn render(
    app: &App,
    ctx: &Ctx,
    status: StatusCode,
    error: Option<(Shown, String, String)>,
    page: needlepath_store::Page,
) -> PageResult {
    let a = ctx.authed()?;
    let t = ctx.t;
    let show_alerts = a.is_clinical();
    let board = queue::board(app, &a.actor, show_alerts, page).await?;
    // A page at a time (issue 16): the queue of a clinic group with thousands of follow-ups
    // was a 13 MB page.
    let next = board.more.then(|| format!("/staff?offset={}", page.start() + page.size()));
    let first = (page.start() > 0).then(|| "/staff".to_string());
    let tz = board.clinic.time_zone.tz();
    let now = board.now;
    let now_local = now.with_timezone(&tz);
    let alerts: Vec<AlertRow> = board
        .alerts
        .into_iter()
        .map(|row| {
            let al = row.alert;
            let phone = row.phone.unwrap_or_default();
            AlertRow {
                id: al.id.to_string(),
                patient_id: al.patient.to_string(),
                badge: view::disposition(t, al.disposition),
                overdue: row.overdue,
                acknowledged: al.acknowledged_at.map(|at| local(at, tz)),
                raised: view::when(t, al.opened_at.with_timezone(&tz), now_local),
                deadline: view::when(t, al.deadline_at.with_timezone(&tz), now_local),
                check_ins: if al.check_ins > 1 {
                    t.f("queue.check_ins_value", &[("n", &al.check_ins.to_string())])
                } else {
                    String::new()
                },
                reported: row.check_in.map(|c| reported(t, c)).unwrap_or_default(),
                contact: Contact { tel: tel(&phone), phone },
                patient_name: al.patient_name,
            }
        })
        .collect();
    let follow_ups = board
        .follow_ups
        .into_iter()
        .map(|fu| FollowUpRow {
            id: fu.id.to_string(),
            patient_id: fu.patient.to_string(),
            patient_name: fu.patient_name,
            reason: crate::reasons::follow_up_reason(t, &fu.reason),
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
            next,
            first,
        },
    )
}

/// What the check-in that raised an alert reported besides its symptoms, in words; empty for a
/// check-in stored without its request.
fn reported(t: &Locale, c: CheckIn) -> Reported {
    let r = match c.reported() {
        Ok(Some(r)) => r,
        Ok(None) => return Reported::default(),
        // The alert is shown whatever its check-in holds; what cannot be read is said so.
        Err(e) => {
            tracing::error!(check_in = %c.id, error = %e, "a stored check-in does not read");
            return Reported { summary: t.s("queue.unreadable").to_string(), ..Reported::default() };
        }
    };
    let hours = r.hours_since_treatment;
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
                    &[("day", &format!("{}", (h / 24.0).floor() as i64)), ("hours", &format!("{}", h.round() as i64))],
                )
            })
            .unwrap_or_default(),
        note: c.note.unwrap_or_default(),
    }
}

/// Alerts and follow-ups a queue page shows, of each.
const QUEUE_PAGE: u32 = 50;

pub async fn show(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    crate::body::QueryParams(q): crate::body::QueryParams<crate::paging::PageQuery>,
) -> PageResult {
    let page = crate::paging::PageQuery { limit: Some(q.limit.unwrap_or(QUEUE_PAGE)), ..q }.page()?;
    render(&app, &ctx, StatusCode::OK, None, page).await
}

/// A queue action's result: back to the queue, or the queue again with the error at its form.
async fn after<T>(app: &App, ctx: &Ctx, target: &str, note: &str, r: ClinicResult<T>) -> PageResult {
    match r {
        Ok(_) => Ok(see_other("/staff")),
        Err(e) => {
            let (status, shown) = Shown::on_form(ApiError::from(e))?;
            let page = needlepath_store::Page::first(QUEUE_PAGE);
            render(app, ctx, status, Some((shown, target.to_string(), note.to_string())), page).await
        }
    }
}

pub async fn acknowledge(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(_): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let alert: AlertId = id(&raw, "alert")?;
    let r = queue::acknowledge(&app, &a.actor, alert).await;
    after(&app, &ctx, &raw, "", r).await
}

pub async fn resolve(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let alert: AlertId = id(&raw, "alert")?;
    let note = form.get("note").to_string();
    let r = queue::resolve(&app, &a.actor, alert, &note).await;
    after(&app, &ctx, &raw, &note, r).await
}

pub async fn resolve_follow_up(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let follow_up: FollowUpId = id(&raw, "follow-up")?;
    let note = form.get("note").to_string();
    let r = queue::close_follow_up(&app, &a.actor, follow_up, &note).await;
    after(&app, &ctx, &raw, &note, r).await
}
