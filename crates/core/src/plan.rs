//! The series plan: how many sessions, when each may take place, what to do before each, when to
//! review progress, maintenance, and what it costs.
//!
//! Session windows follow the interval rule from the planned dates: session 1 is on `start`;
//! session *n* may be no earlier than `min` days and no later than `max` days after session *n−1*
//! on its earliest date. (Once a session is recorded on another day, the service re-plans from
//! there.) The plan also carries the screening for the start day, so a plan is never read without
//! knowing whether the person may be treated at all.

use chrono::{Days, Months, NaiveDate};
use serde::Serialize;

use crate::protocol::{FindingSet, Protocol, ProtocolIdentity, SessionCount};
use crate::request::{PlanRequest, ScreeningRequest};
use crate::screening::{ScreeningResult, screen};
use crate::vocabulary::Decision;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlanResult<'p> {
    pub sessions: Vec<PlannedSession<'p>>,
    pub interval_days: Interval,
    /// Why this many sessions, and the range the protocol allows for this grade.
    pub session_count: SessionCountOut<'p>,
    /// Review progress (photos and grading) after this session number, and again after the last.
    pub review_after_session: u32,
    pub final_review: DateWindow,
    pub maintenance: MaintenanceOut<'p>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_cost: Option<Cost>,
    /// Notes the plan's reader must see: a clinician-chosen short interval, a screening that
    /// does not allow treatment on the start day.
    pub notes: Vec<Note<'p>>,
    pub screening: ScreeningSummary,
    pub sources: &'p [String],
    pub protocol: ProtocolIdentity<'p>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlannedSession<'p> {
    pub number: u32,
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
    pub pre_care: Vec<DatedStep<'p>>,
}

/// A pre-care step with the day to start it, counted back from the session's earliest date.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DatedStep<'p> {
    pub code: &'p str,
    pub message: &'p str,
    pub sources: &'p [String],
    pub from: NaiveDate,
    pub days_before: u32,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Interval {
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct DateWindow {
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SessionCountOut<'p> {
    pub planned: u32,
    pub min: u32,
    pub max: u32,
    /// True when the request set the number of sessions.
    pub chosen_by_clinician: bool,
    pub message: &'p str,
    pub sources: &'p [String],
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MaintenanceOut<'p> {
    pub every_months: u32,
    pub first_due: NaiveDate,
    pub message: &'p str,
    pub sources: &'p [String],
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cost {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub per_session: f64,
    pub total: f64,
    /// The total over the protocol's range of sessions for this grade.
    pub range: CostRange,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct CostRange {
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Note<'p> {
    pub code: &'static str,
    pub message: &'p str,
    pub sources: &'p [String],
}

/// The screening on the start day, in brief.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ScreeningSummary {
    pub decision: Decision,
    pub clinician_review_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defer_until: Option<NaiveDate>,
    pub reasons: Vec<String>,
}

pub fn plan<'p>(p: &'p Protocol, req: &PlanRequest) -> PlanResult<'p> {
    let rules = &p.plan;
    let count = session_count(p, req.scar_grade);
    let planned = req.sessions.unwrap_or(count.default);
    let (min, max) = match req.interval_weeks {
        Some(w) => (w * 7, w * 7 + (rules.interval_max_days - rules.interval_min_days)),
        None => (rules.interval_min_days, rules.interval_max_days),
    };
    let mut findings = FindingSet::default();
    for f in &req.findings {
        findings.insert(f.finding);
    }

    let mut sessions = Vec::with_capacity(planned as usize);
    let mut earliest = req.start;
    let mut latest = req.start;
    for number in 1..=planned {
        if number > 1 {
            let previous = earliest;
            earliest = add_days(previous, min);
            latest = add_days(previous, max);
        }
        let pre_care = pre_care_for_skin(p, number, findings, req.fitzpatrick, earliest);
        sessions.push(PlannedSession { number, earliest, latest, pre_care });
    }
    let last = earliest;

    let mut notes = Vec::new();
    if min < rules.interval_min_days {
        notes.push(Note {
            code: "short_interval",
            message: &rules.short_interval.message,
            sources: &rules.short_interval.sources,
        });
    }
    let screening = screen(
        p,
        &ScreeningRequest {
            concern: req.concern,
            scar_type: None,
            scar_grade: req.scar_grade,
            fitzpatrick: req.fitzpatrick,
            age_years: None,
            as_of: req.start,
            findings: req.findings.clone(),
        },
    );
    if screening.decision >= Decision::Defer {
        for r in screening.reasons.iter().filter(|r| r.effect >= Decision::Defer) {
            notes.push(Note { code: "screening_blocks_start", message: r.message, sources: r.sources });
        }
    }

    PlanResult {
        sessions,
        interval_days: Interval { min, max },
        session_count: SessionCountOut {
            planned,
            min: count.min,
            max: count.max,
            chosen_by_clinician: req.sessions.is_some(),
            message: &count.message,
            sources: &count.sources,
        },
        review_after_session: rules.review_after_session.min(planned),
        final_review: DateWindow {
            earliest: add_days(last, rules.final_review_min_days),
            latest: add_days(last, rules.final_review_max_days),
        },
        maintenance: MaintenanceOut {
            every_months: rules.maintenance.every_months,
            first_due: last.checked_add_months(Months::new(rules.maintenance.every_months)).unwrap_or(NaiveDate::MAX),
            message: &rules.maintenance.message,
            sources: &rules.maintenance.sources,
        },
        estimated_cost: req.price_per_session.map(|price| Cost {
            currency: req.currency.clone(),
            per_session: price,
            total: money(price * f64::from(planned)),
            range: CostRange { min: money(price * f64::from(count.min)), max: money(price * f64::from(count.max)) },
        }),
        notes,
        screening: summary(&screening),
        sources: &rules.sources,
        protocol: p.identity(),
    }
}

/// The patient's latest recorded screening, as a plan reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedScreening {
    /// The day it was recorded (in the clinic's zone).
    pub on: NaiveDate,
    pub decision: Decision,
    pub defer_until: Option<NaiveDate>,
    pub clinician_review_required: bool,
    /// Its reasons' codes.
    pub reasons: Vec<String>,
}

impl RecordedScreening {
    /// Whether its decision still stops treatment on `day`: `not_eligible` always, `defer`
    /// until its `defer_until` (for ever when it has none).
    pub fn holds_on(&self, day: NaiveDate) -> bool {
        match self.decision {
            Decision::NotEligible => true,
            Decision::Defer => self.defer_until.is_none_or(|d| d > day),
            _ => false,
        }
    }

    /// Whether it is older than the protocol allows on `day`.
    pub fn too_old_on(&self, p: &Protocol, day: NaiveDate) -> bool {
        p.plan.stale_screening.as_ref().is_some_and(|(days, _)| add_days(self.on, *days) < day)
    }
}

/// A plan for a patient with their latest recorded screening (issue 11: a plan made right after
/// a `defer` screening was stored as eligible). The plan's own screening on the start day sees
/// only the plan's findings; the recorded screening also saw age, skin type and the clinician's
/// answers, so a decision of it that still holds on the start day wins when it is stricter, its
/// reasons and review join the summary, and the plan says so. Without a screening, or with one
/// older than the protocol allows on the start day, the plan says that too.
pub fn plan_for_patient<'p>(p: &'p Protocol, req: &PlanRequest, latest: Option<&RecordedScreening>) -> PlanResult<'p> {
    let mut out = plan(p, req);
    let rules = &p.plan;
    let Some(s) = latest else {
        if let Some(m) = &rules.no_screening {
            out.notes.push(Note { code: "no_screening", message: &m.message, sources: &m.sources });
        }
        return out;
    };
    if s.holds_on(req.start) {
        if s.decision > out.screening.decision {
            out.screening.decision = s.decision;
        }
        out.screening.defer_until = match (out.screening.defer_until, s.defer_until) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if let Some(m) = &rules.screening_holds {
            out.notes.push(Note { code: "recorded_screening_holds", message: &m.message, sources: &m.sources });
        }
    }
    out.screening.clinician_review_required |= s.clinician_review_required;
    for r in &s.reasons {
        if !out.screening.reasons.contains(r) {
            out.screening.reasons.push(r.clone());
        }
    }
    if s.too_old_on(p, req.start)
        && let Some((_, m)) = &rules.stale_screening
    {
        out.notes.push(Note { code: "stale_screening", message: &m.message, sources: &m.sources });
    }
    out
}

/// The pre-care before session `number` for a patient with `findings`, each step dated back from
/// the session's `earliest` day. The plan uses it for every planned session, and the patient's
/// pages use it with the record's *current* findings, so a finding recorded after the plan was
/// made (a cold-sore history: the antiviral) still reaches the patient.
pub fn pre_care(p: &Protocol, number: u32, findings: FindingSet, earliest: NaiveDate) -> Vec<DatedStep<'_>> {
    pre_care_for_skin(p, number, findings, None, earliest)
}

/// [`pre_care`] for a person whose skin type may be known (steps for other skin types left out).
pub fn pre_care_for_skin(
    p: &Protocol,
    number: u32,
    findings: FindingSet,
    fitzpatrick: Option<u8>,
    earliest: NaiveDate,
) -> Vec<DatedStep<'_>> {
    p.plan
        .pre_care
        .iter()
        .filter(|s| s.applies_to_skin(number, findings, fitzpatrick))
        .map(|s| DatedStep {
            code: &s.code,
            message: &s.message,
            sources: &s.sources,
            from: sub_days(earliest, s.days_before),
            days_before: s.days_before,
        })
        .collect()
}

/// The protocol's session count for a grade, falling back to the default entry.
fn session_count(p: &Protocol, grade: Option<u8>) -> &SessionCount {
    let by_grade = grade.and_then(|g| p.plan.sessions_by_grade.get(usize::from(g).wrapping_sub(1))?.as_ref());
    by_grade.unwrap_or(&p.plan.sessions_default)
}

fn summary(s: &ScreeningResult<'_>) -> ScreeningSummary {
    ScreeningSummary {
        decision: s.decision,
        clinician_review_required: s.clinician_review_required,
        defer_until: s.defer_until,
        reasons: s.reasons.iter().map(|r| r.code.to_string()).collect(),
    }
}

/// Rounds to cents, so totals print as money.
fn money(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn add_days(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_days(Days::new(u64::from(n))).unwrap_or(NaiveDate::MAX)
}

fn sub_days(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_sub_days(Days::new(u64::from(n))).unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::vocabulary::Concern;

    fn protocol() -> Protocol {
        Protocol::builtin().unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn request(start: &str) -> PlanRequest {
        PlanRequest {
            concern: Concern::AcneScars,
            scar_grade: Some(2),
            fitzpatrick: None,
            start: day(start),
            interval_weeks: None,
            sessions: None,
            findings: Vec::new(),
            price_per_session: None,
            currency: None,
        }
    }

    fn recorded(on: &str, decision: Decision, until: Option<&str>) -> RecordedScreening {
        RecordedScreening {
            on: day(on),
            decision,
            defer_until: until.map(day),
            clinician_review_required: false,
            reasons: vec!["pregnant".into()],
        }
    }

    fn codes(r: &PlanResult<'_>) -> Vec<&'static str> {
        r.notes.iter().map(|n| n.code).collect()
    }

    #[test]
    fn a_plan_after_a_defer_screening_is_not_eligible() {
        let p = protocol();
        let r = plan_for_patient(&p, &request("2027-01-04"), Some(&recorded("2027-01-02", Decision::Defer, None)));
        assert_eq!(r.screening.decision, Decision::Defer);
        assert!(r.screening.reasons.contains(&"pregnant".to_string()));
        assert!(codes(&r).contains(&"recorded_screening_holds"), "{:?}", codes(&r));
        // A deferral that ends before the start day no longer holds on it.
        let lapsed = recorded("2027-01-02", Decision::Defer, Some("2027-01-03"));
        assert_eq!(plan_for_patient(&p, &request("2027-01-04"), Some(&lapsed)).screening.decision, Decision::Eligible);
    }

    #[test]
    fn a_plan_says_when_there_is_no_screening_or_it_is_too_old() {
        let p = protocol();
        assert!(codes(&plan_for_patient(&p, &request("2027-01-04"), None)).contains(&"no_screening"));
        let old = recorded("2026-06-01", Decision::Eligible, None);
        assert!(codes(&plan_for_patient(&p, &request("2027-01-04"), Some(&old))).contains(&"stale_screening"));
        let fresh = recorded("2027-01-01", Decision::Eligible, None);
        assert!(!codes(&plan_for_patient(&p, &request("2027-01-04"), Some(&fresh))).contains(&"stale_screening"));
    }

    /// Issue 12 item 10: the plan receives the skin type (it screened with `fitzpatrick: None`),
    /// and darker skin (IV-VI) gets sun protection before every session (research notes section
    /// 1b row 'Fitzpatrick IV-VI', section 2 'Darker skin').
    #[test]
    fn a_plan_for_darker_skin_screens_with_the_skin_type_and_adds_sun_protection() {
        let p = protocol();
        fn steps<'p>(r: &PlanResult<'p>, n: usize) -> Vec<&'p str> {
            r.sessions[n].pre_care.iter().map(|s| s.code).collect()
        }
        let mut dark = request("2027-01-04");
        dark.fitzpatrick = Some(5);
        let r = plan(&p, &dark);
        assert_eq!(r.screening.decision, Decision::EligibleWithPrecautions);
        assert!(r.screening.reasons.contains(&"fitzpatrick:5".to_string()), "{:?}", r.screening.reasons);
        for n in 0..r.sessions.len() {
            assert!(steps(&r, n).contains(&"daily_spf_darker_skin"), "session {}: {:?}", n + 1, steps(&r, n));
        }
        let mut light = request("2027-01-04");
        light.fitzpatrick = Some(2);
        let r = plan(&p, &light);
        assert_eq!(r.screening.decision, Decision::Eligible);
        assert!(!steps(&r, 0).contains(&"daily_spf_darker_skin"));
        // Not known: the step is shown, the safe side.
        assert!(steps(&plan(&p, &request("2027-01-04")), 0).contains(&"daily_spf_darker_skin"));
    }

    proptest! {
        /// A recorded screening that holds on the start day is never weakened by the plan.
        #[test]
        fn a_plan_is_never_less_strict_than_a_screening_that_holds(
            d in 0usize..4, until in proptest::option::of(0u64..60), start_in in 0u64..60,
        ) {
            let p = protocol();
            let decision = [Decision::Eligible, Decision::EligibleWithPrecautions, Decision::Defer, Decision::NotEligible][d];
            let on = day("2027-01-01");
            let s = RecordedScreening {
                on,
                decision,
                defer_until: until.map(|n| add_days(on, u32::try_from(n).unwrap())),
                clinician_review_required: true,
                reasons: vec![],
            };
            let mut req = request("2027-01-01");
            req.start = add_days(on, u32::try_from(start_in).unwrap());
            let r = plan_for_patient(&p, &req, Some(&s));
            if s.holds_on(req.start) {
                prop_assert!(r.screening.decision >= decision);
            }
            prop_assert!(r.screening.clinician_review_required);
        }
    }
}
