//! My plan: the latest series plan as the clinic recorded it (sessions with their windows and
//! pre-care, review, maintenance, estimated cost), with sources, and the sessions had so far.
//! Session dates come from the one truth (`schedule::series_of`): a session done shows the day
//! it was done, the next one its window counted from that day and the appointment booked.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use needlepath_core::plan as engine_plan;
use serde_json::Value;

use crate::App;
use crate::clinic::my_record::{MyPlan, my_plan};
use crate::pages::patient::{NextView, date_json, me, next_view, said_json};
use crate::pages::public::Said;
use crate::pages::public::cost::money;
use crate::pages::view::SourceRef;
use crate::pages::view::{date, moment, sources_json};
use crate::pages::{Ctx, Frame, PageResult, page};
use crate::reminders::schedule::findings_of;
use needlepath_core::pathway::next::SessionDates;

#[derive(Debug, Clone)]
pub struct PlannedSession {
    pub number: u64,
    /// The window still to come, or "done on <the day it was done>".
    pub window: String,
    pub pre_care: Vec<(String, Said)>,
    pub done: bool,
    /// The next session: its booked appointment (or that none is booked) is shown with it.
    pub next: Option<NextView>,
}

#[derive(Debug, Clone)]
pub struct PlanView {
    pub sessions: Vec<PlannedSession>,
    pub count: Said,
    pub review: String,
    pub final_review: String,
    pub maintenance: Said,
    pub maintenance_due: String,
    pub cost: Option<String>,
    pub notes: Vec<Said>,
    pub sources: Vec<SourceRef>,
}

#[derive(Template)]
#[template(path = "patient/plan.html")]
struct PlanPage {
    f: Frame,
    plan: Option<PlanView>,
    /// (when, areas) of each session had, oldest first.
    had: Vec<(String, String)>,
}

fn window(t: &crate::i18n::Locale, v: &Value) -> String {
    match (date_json(&v["earliest"]), date_json(&v["latest"])) {
        (Some(a), Some(b)) => t.f("today.window", &[("from", &date(a)), ("to", &date(b))]),
        _ => String::new(),
    }
}

pub async fn page_get(State(app): State<Arc<App>>, ctx: Ctx) -> PageResult {
    let (a, id) = me(&ctx)?;
    let t = ctx.t;
    let MyPlan { protocol, patient, tz, plans, sessions, appointments, series, .. } =
        my_plan(&app, &a.actor, id).await?;
    let findings = findings_of(&patient);
    let plan = plans.first().map(|p| {
        let r = &p.result;
        // The dates of every session from the one truth: done on its day, or its window now.
        let dates =
            |n: u64| series.as_ref().and_then(|s| s.sessions.iter().find(|(k, _)| u64::from(*k) == n).map(|(_, d)| *d));
        let next = series.as_ref().and_then(|s| s.next);
        let sessions_planned = r["sessions"].as_array().cloned().unwrap_or_default();
        PlanView {
            sessions: sessions_planned
                .iter()
                .map(|s| {
                    let number = s["number"].as_u64().unwrap_or(0);
                    let (shown, done, earliest) = match dates(number) {
                        Some(SessionDates::Done { on }) => (t.f("plan.done_on", &[("date", &date(on))]), true, None),
                        Some(SessionDates::Due { window: w }) => (
                            t.f("today.window", &[("from", &date(w.earliest)), ("to", &date(w.latest))]),
                            false,
                            Some(w.earliest),
                        ),
                        None => (window(t, s), false, date_json(&s["earliest"])),
                    };
                    // A session still ahead: its pre-care counted back from its window as it is
                    // now, from the record's findings as they are now, so a finding recorded after
                    // the plan was made still counts (issue 11). A session done needs no more.
                    let pre_care = match earliest {
                        Some(earliest) if !done => {
                            let n = u32::try_from(number).unwrap_or(u32::MAX);
                            engine_plan::pre_care_for_skin(&protocol, n, findings, patient.fitzpatrick, earliest)
                                .iter()
                                .map(|st| {
                                    let from = t.f("today.from_date", &[("date", &date(st.from))]);
                                    (from, Said::new(&protocol, st.message, st.sources))
                                })
                                .collect()
                        }
                        _ => Vec::new(),
                    };
                    PlannedSession {
                        number,
                        window: shown,
                        next: next
                            .filter(|n| u64::from(n.number) == number)
                            .map(|n| next_view(t, &n, &appointments, tz)),
                        pre_care,
                        done,
                    }
                })
                .collect(),
            count: said_json(&protocol, &r["session_count"]),
            review: t.f("plan.review_after", &[("n", &r["review_after_session"].as_u64().unwrap_or(0).to_string())]),
            final_review: window(t, &r["final_review"]),
            maintenance: said_json(&protocol, &r["maintenance"]),
            maintenance_due: date_json(&r["maintenance"]["first_due"]).map(date).unwrap_or_default(),
            cost: r["estimated_cost"]["range"]["min"].as_f64().zip(r["estimated_cost"]["range"]["max"].as_f64()).map(
                |(lo, hi)| {
                    let cur = r["estimated_cost"]["currency"].as_str();
                    if (lo - hi).abs() < 0.005 {
                        money(lo, cur)
                    } else {
                        t.f("cost.range", &[("min", &money(lo, cur)), ("max", &money(hi, cur))])
                    }
                },
            ),
            notes: r["notes"]
                .as_array()
                .map(|n| n.iter().map(|x| said_json(&protocol, x)).collect())
                .unwrap_or_default(),
            sources: sources_json(&protocol, &r["sources"]),
        }
    });
    let had = sessions
        .iter()
        .rev()
        .map(|s| (moment(s.performed_at.with_timezone(&tz).fixed_offset()), s.areas.join(", ")))
        .collect();
    page(&PlanPage { f: ctx.frame(t.s("plan.title")), plan, had })
}
