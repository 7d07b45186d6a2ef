//! The aftercare guide: the engine's timeline (`timeline::timeline`, as the patient's Today
//! uses) for a nominal first session, said relative to the session ("from 24 hours after",
//! "day 3"), and a "Can I …?" table from `can_i`. Printable as a care sheet.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use chrono::{TimeZone, Utc};
use needlepath_core::can_i::can_i;
use needlepath_core::protocol::FindingSet;
use needlepath_core::request::CanIRequest;
use needlepath_core::timeline::{AftercareRequest, Entry, Kind, Zone, timeline};
use needlepath_core::vocabulary::Activity;

use crate::App;
use crate::i18n::Locale;
use crate::pages::public::Said;
use crate::pages::view::{self, SourceRef};
use crate::pages::{Ctx, Frame, PageResult, page};

/// One line of the guide.
#[derive(Debug, Clone)]
pub struct Step {
    pub when: String,
    /// The activity or step it is about, in words; empty for milestones and check-ins.
    pub what: String,
    /// The answer in words ("Not yet", "Yes, with conditions"), for activities.
    pub answer: String,
    pub said: Said,
    /// The conditions of a "yes, with conditions", always shown with it.
    pub conditions: Vec<String>,
    pub class: &'static str,
}

/// A row of the "Can I …?" table.
#[derive(Debug, Clone)]
pub struct CanRow {
    pub activity: String,
    pub allowed: String,
    pub unrestricted: String,
    pub sources: Vec<SourceRef>,
}

#[derive(Template)]
#[template(path = "public/aftercare.html")]
struct AftercarePage {
    f: Frame,
    steps: Vec<Step>,
    table: Vec<CanRow>,
    /// Every source cited above, once, with its full citation (the care sheet's last part).
    cited: Vec<SourceRef>,
}

/// Hours after the session in words: "straight after", "from 24 hours after", "from day 5".
pub fn relative(t: &Locale, hours: f64) -> String {
    if hours < 0.0 {
        let days = (-hours / 24.0).ceil().max(1.0) as i64;
        return t.f("aftercare.days_before", &[("n", &days.to_string())]);
    }
    if hours < 0.01 {
        return t.s("aftercare.at_session").to_string();
    }
    if hours < 72.0 {
        return t.f("aftercare.from_hours", &[("n", &format!("{}", hours.round() as i64))]);
    }
    t.f("aftercare.from_day", &[("n", &format!("{}", (hours / 24.0).round() as i64))])
}

/// A time to allow something: "straight away", a relative time, or `never` (the protocol never
/// allows it: "Never" for picking scabs, "Keep to the conditions" for what stays conditional).
fn from(t: &Locale, hours: Option<f64>, never: &str) -> String {
    match hours {
        None => t.s(never).to_string(),
        Some(h) if h < 0.01 => t.s("aftercare.straight_away").to_string(),
        Some(h) => relative(t, h),
    }
}

/// An entry of the engine's timeline as a step of the guide.
pub fn step(app: &App, t: &Locale, e: &Entry<'_>, when: String) -> Step {
    let activity =
        Activity::parse(e.code).is_ok() && matches!(e.kind, Kind::Restriction | Kind::Allowed | Kind::Unrestricted);
    Step {
        when,
        what: if activity { t.label("activity", e.code).to_string() } else { String::new() },
        answer: e.answer.map(|a| t.label("answer", a.as_str()).to_string()).unwrap_or_default(),
        said: Said::new(&app.protocol, e.message, e.sources),
        conditions: e.conditions.to_vec(),
        class: match e.kind {
            Kind::Restriction => "step-no",
            Kind::Allowed => "step-conditions",
            Kind::Unrestricted => "step-yes",
            Kind::CheckIn => "step-check-in",
            _ => "step-info",
        },
    }
}

pub async fn page_get(State(app): State<Arc<App>>, ctx: Ctx) -> PageResult {
    let t = ctx.t;
    let p = &app.protocol;
    // A nominal first session: only the hours relative to it are shown.
    let treated_at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().unwrap_or_else(Utc::now);
    let req = AftercareRequest {
        treated_at,
        zone: Zone::Named(chrono_tz::UTC),
        findings: FindingSet::default(),
        session_number: 1,
        check_in_days: None,
    };
    let tl = timeline(p, &req);
    let steps: Vec<Step> = tl
        .entries
        .iter()
        .map(|e| {
            let when = match e.kind {
                Kind::CheckIn => t.f("aftercare.day", &[("n", &format!("{}", (e.hours / 24.0).round() as i64))]),
                _ => relative(t, e.hours),
            };
            step(&app, t, e, when)
        })
        .collect();
    let table: Vec<CanRow> = Activity::ALL
        .iter()
        .map(|a| {
            let r = can_i(p, &CanIRequest { activity: *a, hours_since_treatment: 0.0 });
            CanRow {
                activity: t.label("activity", a.as_str()).to_string(),
                allowed: from(t, r.allowed_from_hours, "aftercare.never"),
                unrestricted: from(
                    t,
                    r.unrestricted_from_hours,
                    if r.allowed_from_hours.is_some() { "aftercare.keep_conditions" } else { "aftercare.never" },
                ),
                sources: crate::pages::view::sources(p, &p.activity(*a).sources),
            }
        })
        .collect();
    let cited =
        view::cited(steps.iter().map(|s| s.said.sources.as_slice()).chain(table.iter().map(|r| r.sources.as_slice())));
    page(&AftercarePage { f: ctx.frame(t.s("aftercare.title")), steps, table, cited })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::default_locale;

    #[test]
    fn hours_are_said_relative_to_the_session() {
        let t = default_locale();
        assert_eq!(relative(t, 0.0), "Straight after the session");
        assert_eq!(relative(t, 24.0), "From 24 hours after");
        assert_eq!(relative(t, 120.0), "From day 5");
        assert_eq!(relative(t, -72.0), "3 days before the session");
        assert_eq!(from(t, None, "aftercare.never"), "Never");
        assert_eq!(from(t, None, "aftercare.keep_conditions"), "Keep to the conditions");
    }
}
