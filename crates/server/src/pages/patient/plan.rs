//! My plan: the latest series plan as the clinic recorded it (sessions with their windows and
//! pre-care, review, maintenance, estimated cost), with sources, and the sessions had so far.
//! Session dates come from the one truth (`schedule::series_of`): a session done shows the day
//! it was done, the next one its window counted from that day and the appointment booked.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use needlepath_core::plan as engine_plan;
use needlepath_core::stored::{self, Window};

use crate::App;
use crate::clinic::my_record::{MyPlan, my_plan};
use crate::pages::outcome_view::{CompareRow, OutcomeView, compare_rows, outcome_view};
use crate::pages::patient::{NextView, me, next_view, said};
use crate::pages::public::Said;
use crate::pages::public::cost::money;
use crate::pages::view::SourceRef;
use crate::pages::view::{date, moment, sources};
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
    /// Progress over the series and each view compared (issue 15).
    outcomes: Option<OutcomeView>,
    compare: Vec<CompareRow>,
    mine: bool,
}

fn window(t: &crate::i18n::Locale, w: Option<Window>) -> String {
    match w {
        Some(w) => t.f("today.window", &[("from", &date(w.earliest)), ("to", &date(w.latest))]),
        None => String::new(),
    }
}

pub async fn page_get(State(app): State<Arc<App>>, ctx: Ctx) -> PageResult {
    let (a, id) = me(&ctx)?;
    let t = ctx.t;
    let MyPlan { protocol, patient, tz, plans, sessions, appointments, series, outcomes, photos, now } =
        my_plan(&app, &a.actor, id).await?;
    let progress = outcomes.as_ref().map(|o| outcome_view(t, &protocol, o, now.with_timezone(&tz).date_naive()));
    let compare = photos.as_deref().map(|list| compare_rows(t, list, tz)).unwrap_or_default();
    let findings = findings_of(&patient);
    let plan = plans.first().map(|p| -> Result<PlanView, needlepath_store::StoreError> {
        let r = p.read()?;
        // The dates of every session from the one truth: done on its day, or its window now.
        let dates =
            |n: u64| series.as_ref().and_then(|s| s.sessions.iter().find(|(k, _)| u64::from(*k) == n).map(|(_, d)| *d));
        let next = series.as_ref().and_then(|s| s.next);
        Ok(PlanView {
            sessions: r
                .sessions
                .iter()
                .map(|s: &stored::PlannedSession| {
                    let number = u64::from(s.number);
                    let (shown, done, earliest) = match dates(number) {
                        Some(SessionDates::Done { on }) => (t.f("plan.done_on", &[("date", &date(on))]), true, None),
                        Some(SessionDates::Due { window: w }) => (
                            t.f("today.window", &[("from", &date(w.earliest)), ("to", &date(w.latest))]),
                            false,
                            Some(w.earliest),
                        ),
                        None => (
                            window(t, Some(Window { earliest: s.earliest, latest: s.latest })),
                            false,
                            Some(s.earliest),
                        ),
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
            count: r
                .session_count
                .as_ref()
                .map(|c| Said::new(&protocol, &c.message, &c.sources))
                .unwrap_or_else(|| Said::new(&protocol, "", &[])),
            review: r
                .review_after_session
                .map(|n| t.f("plan.review_after", &[("n", &n.to_string())]))
                .unwrap_or_default(),
            final_review: window(t, r.final_review),
            maintenance: Said::new(&protocol, &r.maintenance.message, &r.maintenance.sources),
            maintenance_due: r.maintenance.first_due.map(date).unwrap_or_default(),
            cost: r.estimated_cost.as_ref().map(|c| {
                let (lo, hi, cur) = (c.range.min, c.range.max, c.currency.as_deref());
                if (lo - hi).abs() < 0.005 {
                    money(lo, cur)
                } else {
                    t.f("cost.range", &[("min", &money(lo, cur)), ("max", &money(hi, cur))])
                }
            }),
            notes: r.notes.iter().map(|x| said(&protocol, x)).collect(),
            sources: sources(&protocol, &r.sources),
        })
    });
    let plan = plan.transpose()?;
    let had = sessions
        .iter()
        .rev()
        .map(|s| (moment(s.performed_at.with_timezone(&tz).fixed_offset()), s.areas.join(", ")))
        .collect();
    page(&PlanPage { f: ctx.frame(t.s("plan.title")), plan, had, outcomes: progress, compare, mine: true })
}
