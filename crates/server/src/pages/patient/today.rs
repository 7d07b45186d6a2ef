//! Today: what to do and avoid right now after the last session. Each restriction with the
//! moment it lifts in the patient's zone, what is allowed now, the next check-in and the next
//! session's window, with sources. Before any session: the pre-care of the plan, if there is one.
//!
//! The current answer per activity comes from the engine's `can_i` at the hours since the
//! session; the moments come from the session's timeline (`clinic::today`, which the
//! JSON `GET /api/v1/me/today` also answers from).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use needlepath_core::can_i::can_i;
use needlepath_core::plan as engine_plan;
use needlepath_core::request::CanIRequest;
use needlepath_core::timeline::Kind;
use needlepath_core::vocabulary::{Activity, Answer};

use crate::App;
use crate::clinic::consent::ConsentState;
use crate::clinic::today::{TodayParts, today};
use crate::pages::patient::{NextView, me, next_view};
use crate::pages::public::Said;
use crate::pages::view::{self, date, when};
use crate::pages::{Ctx, Frame, PageResult, page};
use crate::reminders::schedule::findings_of;
use crate::schedule::series_of;

/// An activity as it stands now.
#[derive(Debug, Clone)]
pub struct Now {
    /// "Makeup: from tomorrow at 10:30", or just the activity for what is allowed.
    pub headline: String,
    pub answer: String,
    pub said: Said,
    /// The conditions of a "yes, with conditions", always shown with it.
    pub conditions: Vec<String>,
}

/// A pre-care step before the next session.
#[derive(Debug, Clone)]
pub struct PreCare {
    pub from: String,
    pub said: Said,
}

#[derive(Template)]
#[template(path = "patient/today.html")]
struct TodayPage {
    f: Frame,
    name: String,
    /// "Your last session: Mon 5 Jan 2026, 09:00"; empty before the first session.
    session: String,
    restrictions: Vec<Now>,
    allowed: Vec<Now>,
    next_check_in: Option<String>,
    /// The next session's window and booking, as My plan and the record say it.
    next_session: Option<NextView>,
    pre_care: Vec<PreCare>,
    has_plan: bool,
    /// The treatment consent is not (or no longer) on file: what to do, in words; empty when it is.
    consent_needed: String,
    /// The outcome questionnaire open now, by its milestone's words; empty when none is.
    questionnaire: String,
}

pub async fn page_get(State(app): State<Arc<App>>, ctx: Ctx) -> PageResult {
    let (a, id) = me(&ctx)?;
    let t = ctx.t;
    let protocol = app.protocol_for(a.clinic()).await?;
    let today = today(&app, &protocol, &a.actor, id, TodayParts::WithSeries).await?;
    let tz = today.patient.time_zone.tz();
    let now = today.now.with_timezone(&tz);
    let latest_plan = today.plans.first();
    let p = &*protocol;

    let mut restrictions = Vec::new();
    let mut allowed = Vec::new();
    let mut session = String::new();
    let mut pre_care = Vec::new();
    let last = today.sessions.first();
    if let (Some(last), Some(tl)) = (last, today.timeline.as_ref()) {
        session = view::moment(last.performed_at.with_timezone(&tz).fixed_offset());
        let hours = ((today.now - last.performed_at).num_seconds().max(0)) as f64 / 3600.0;
        for act in Activity::ALL {
            let r = can_i(p, &CanIRequest { activity: *act, hours_since_treatment: hours });
            let label = t.label("activity", act.as_str());
            // The next change of this activity's answer, from the session's timeline.
            let next = |kinds: &[Kind]| {
                tl.entries
                    .iter()
                    .find(|e| e.code == act.as_str() && kinds.contains(&e.kind) && e.at > today.now)
                    .map(|e| when(t, e.at.with_timezone(&tz), now))
            };
            let said = Said::new(p, r.message, r.sources);
            match r.answer {
                Answer::No => {
                    let (headline, answer) = match next(&[Kind::Allowed, Kind::Unrestricted]) {
                        Some(w) => (t.f("common.restriction_lifts", &[("what", label), ("when", &w)]), "no"),
                        // Never allowed by the protocol (picking scabs): say never, not "ask".
                        None if r.allowed_from_hours.is_none() => (t.f("today.never", &[("what", label)]), "never"),
                        None => (t.f("today.not_until_clinic", &[("what", label)]), "no"),
                    };
                    restrictions.push(Now {
                        headline,
                        answer: t.label("answer", answer).to_string(),
                        said,
                        conditions: Vec::new(),
                    });
                }
                Answer::YesWithConditions => {
                    let headline = match next(&[Kind::Unrestricted]) {
                        Some(w) => t.f("today.conditions_until", &[("what", label), ("when", &w)]),
                        None => label.to_string(),
                    };
                    allowed.push(Now {
                        headline,
                        answer: t.label("answer", "yes_with_conditions").to_string(),
                        said,
                        conditions: r.conditions.to_vec(),
                    });
                }
                Answer::Yes => allowed.push(Now {
                    headline: label.to_string(),
                    answer: t.label("answer", "yes").to_string(),
                    said,
                    conditions: Vec::new(),
                }),
            }
        }
    }
    let next_check_in = today.next_check_in.as_ref().and_then(|c| c.due_at).map(|d| when(t, d.with_timezone(&tz), now));
    let appointments = &today.appointments;
    let next =
        latest_plan.and_then(|plan| series_of(plan, &today.sessions, appointments, tz, today.now)).and_then(|s| s.next);
    // The pre-care before the next session, counted back from its window as it is now, from the
    // record's findings as they are now (a finding recorded after the plan was made still
    // counts: issue 11).
    if let Some(n) = &next {
        pre_care = engine_plan::pre_care_for_skin(
            p,
            n.number,
            findings_of(&today.patient),
            today.patient.fitzpatrick,
            n.window.earliest,
        )
        .iter()
        .map(|s| PreCare {
            from: t.f("today.from_date", &[("date", &date(s.from))]),
            said: Said::new(p, s.message, s.sources),
        })
        .collect();
    }
    let next_session = next.map(|n| next_view(t, &n, appointments, tz));
    page(&TodayPage {
        f: ctx.frame(t.s("today.title")),
        name: today.patient.name.clone(),
        session,
        restrictions,
        allowed,
        next_check_in,
        next_session,
        pre_care,
        has_plan: latest_plan.is_some(),
        questionnaire: today.questionnaire_open.map(|m| m.label()).unwrap_or_default(),
        consent_needed: match today.treatment_consent {
            None | Some(ConsentState::Given) => String::new(),
            Some(ConsentState::Outdated) => t.s("today.consent_outdated").to_string(),
            Some(_) => t.s("today.consent_needed").to_string(),
        },
    })
}
