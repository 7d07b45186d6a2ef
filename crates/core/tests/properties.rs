//! Properties every clinical decision must have, whatever the input: more or worse symptoms never
//! make triage less urgent, a red flag always decides, more findings never make screening less
//! strict, a restriction that lifts stays lifted, and `defer_until` is exactly the first day a
//! time-limited deferral has lapsed.
//!
//! Requests are built as contract JSON and parsed the way the command line and the API parse them.
//! The runs are deterministic (fixed seed, no regression files).

use std::sync::OnceLock;

use chrono::{Days, NaiveDate};
use needlepath_core::Protocol;
use needlepath_core::can_i::can_i;
use needlepath_core::protocol::When;
use needlepath_core::request::{CanIRequest, CheckIn, ScreeningRequest, TREND_ASSUMED_FROM_HOURS};
use needlepath_core::screening::{ScreeningResult, screen};
use needlepath_core::triage::{TriageResult, triage};
use needlepath_core::vocabulary::{
    Activity, Answer, Concern, Decision, Disposition, Finding, ScarType, Severity, Symptom, Trend,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Value, json};

fn protocol() -> &'static Protocol {
    static P: OnceLock<Protocol> = OnceLock::new();
    P.get_or_init(|| Protocol::builtin().unwrap_or_else(|e| panic!("the built-in protocol does not load: {e:#?}")))
}

fn config(seed: u64) -> Config {
    Config { cases: 256, rng_seed: RngSeed::Fixed(seed), failure_persistence: None, ..Config::default() }
}

/// Symptoms that are always at least urgent same day (clinical-research.md §8).
const URGENT_RED_FLAGS: &[Symptom] = &[
    Symptom::Pus,
    Symptom::YellowCrust,
    Symptom::SpreadingRedness,
    Symptom::Blisters,
    Symptom::EyeSymptoms,
    Symptom::Hives,
    Symptom::BleedingWontStop,
    Symptom::Fever,
    Symptom::Chills,
];

/// Airway, anaesthetic-toxicity and systemic signs: always an emergency (clinical-research.md §8).
const EMERGENCY_SIGNS: &[Symptom] = &[
    Symptom::ThroatTightness,
    Symptom::BreathingDifficulty,
    Symptom::LipTongueSwelling,
    Symptom::Seizure,
    Symptom::MouthNumbness,
    Symptom::RingingEars,
    Symptom::Faintness,
    Symptom::FeelingVeryUnwell,
    Symptom::VisionChange,
    Symptom::Palpitations,
    Symptom::ChestPain,
    Symptom::BlueGreyLips,
];

// ---------------------------------------------------------------------------------------------
// Check-ins
// ---------------------------------------------------------------------------------------------

/// Trend steps from the least to the most worrying; `None` (not given) says nothing, like improving.
const TRENDS: [Option<Trend>; 4] = [None, Some(Trend::Improving), Some(Trend::Same), Some(Trend::Worse)];
/// Severity steps; `None` (not given) is assessed as severe, the conservative side.
const SEVERITIES: [Option<Severity>; 4] =
    [Some(Severity::Mild), Some(Severity::Moderate), Some(Severity::Severe), None];

fn severity_rank(s: Option<Severity>) -> usize {
    match s {
        Some(Severity::Mild) => 0,
        Some(Severity::Moderate) => 1,
        None | Some(Severity::Severe) => 2,
    }
}

/// A trend's rank at `hours` after the session: a trend that is not given says nothing before
/// 48 h (like improving) and is assessed as getting worse from 48 h (the conservative side).
fn trend_rank(t: Option<Trend>, hours: f64) -> usize {
    match t {
        None if hours >= TREND_ASSUMED_FROM_HOURS => 2,
        None | Some(Trend::Improving) => 0,
        Some(Trend::Same) => 1,
        Some(Trend::Worse) => 2,
    }
}

#[derive(Debug, Clone, Copy)]
struct Sym {
    symptom: Symptom,
    severity: Option<Severity>,
    trend: Option<Trend>,
}

#[derive(Debug, Clone)]
struct Visit {
    hours: f64,
    symptoms: Vec<Sym>,
    temperature: Option<f64>,
    findings: Vec<Finding>,
    fitzpatrick: Option<u8>,
    /// The session record: numbing cream applied, deepest depth.
    session: Option<(bool, Option<f64>)>,
}

fn any_symptom() -> impl Strategy<Value = Symptom> {
    prop::sample::select(Symptom::ALL)
}

fn any_sym() -> impl Strategy<Value = Sym> {
    (any_symptom(), prop::sample::select(&SEVERITIES[..]), prop::sample::select(&TRENDS[..]))
        .prop_map(|(symptom, severity, trend)| Sym { symptom, severity, trend })
}

/// Hours since the session: anywhere in the first ~12 weeks, with the rule boundaries on purpose.
fn any_hours() -> impl Strategy<Value = f64> {
    prop_oneof![
        0.0f64..2000.0,
        (0u32..2000).prop_map(f64::from),
        prop::sample::select(&[0.0, 6.0, 24.0, 47.9, 48.0, 72.0, 72.1, 120.0, 168.0, 168.5, 336.0, 337.0, 672.0][..]),
    ]
}

fn any_visit() -> impl Strategy<Value = Visit> {
    (
        any_hours(),
        prop::collection::vec(any_sym(), 0..=12),
        prop::option::of(35.0f64..42.0),
        prop::collection::vec(prop::sample::select(Finding::ALL), 0..4),
        prop::option::of(1u8..=6),
        prop::option::of((any::<bool>(), prop::option::of(prop::sample::select(&[0.25, 0.5, 1.0, 1.5, 2.0, 2.5][..])))),
    )
        .prop_map(|(hours, symptoms, temperature, findings, fitzpatrick, session)| Visit {
            hours,
            symptoms,
            temperature,
            findings,
            fitzpatrick,
            session,
        })
}

fn visit_json(v: &Visit) -> Value {
    let symptoms: Vec<Value> = v
        .symptoms
        .iter()
        .map(|s| {
            let mut o = json!({"code": s.symptom.as_str()});
            if let Some(sev) = s.severity {
                o["severity"] = json!(sev.as_str());
            }
            if let Some(t) = s.trend {
                o["trend"] = json!(t.as_str());
            }
            o
        })
        .collect();
    let mut o = json!({"hours_since_treatment": v.hours, "symptoms": symptoms});
    if let Some(t) = v.temperature {
        o["temperature_c"] = json!(t);
    }
    if !v.findings.is_empty() {
        o["findings"] = json!(v.findings.iter().map(|f| f.as_str()).collect::<Vec<_>>());
    }
    if let Some(t) = v.fitzpatrick {
        o["fitzpatrick"] = json!(t);
    }
    if let Some((numbing, depth)) = v.session {
        o["session"] = json!({"numbing": numbing});
        if let Some(d) = depth {
            o["session"]["depth_mm"] = json!(d);
        }
    }
    o
}

fn run_triage(v: &Visit) -> TriageResult<'static> {
    let j = visit_json(v);
    let c = CheckIn::from_json(&j).unwrap_or_else(|e| panic!("generated check-in refused: {e:?}\n{j}"));
    triage(protocol(), &c)
}

fn describe(r: &TriageResult<'_>) -> String {
    r.assessments.iter().map(|a| format!("{}={}", a.symptom, a.disposition)).collect::<Vec<_>>().join(", ")
}

proptest! {
    #![proptest_config(config(0x6e65_6564_6c65_0001))]

    /// Reporting one more symptom never makes the check-in less urgent.
    #[test]
    fn adding_a_symptom_never_lowers_the_disposition(v in any_visit(), extra in any_sym(), at in any::<Index>()) {
        let before = run_triage(&v);
        let mut more = v.clone();
        more.symptoms.insert(at.index(more.symptoms.len() + 1), extra);
        let after = run_triage(&more);
        prop_assert!(
            after.disposition >= before.disposition,
            "adding {:?} lowered {} to {}\nbefore: {}\nafter: {}",
            extra, before.disposition, after.disposition, describe(&before), describe(&after)
        );
    }

    /// A symptom that is more severe, or whose trend is worse, never makes the check-in less urgent.
    #[test]
    fn a_worse_symptom_never_lowers_the_disposition(
        v in any_visit(),
        which in any::<Index>(),
        severity in prop::sample::select(&SEVERITIES[..]),
        trend in prop::sample::select(&TRENDS[..]),
    ) {
        prop_assume!(!v.symptoms.is_empty());
        let i = which.index(v.symptoms.len());
        let old = v.symptoms[i];
        let before = run_triage(&v);

        if severity_rank(severity) >= severity_rank(old.severity) {
            let mut w = v.clone();
            w.symptoms[i].severity = severity;
            let after = run_triage(&w);
            prop_assert!(
                after.disposition >= before.disposition,
                "{} severity {:?} -> {:?} at {} h lowered {} to {}",
                old.symptom, old.severity, severity, v.hours, before.disposition, after.disposition
            );
        }
        if trend_rank(trend, v.hours) >= trend_rank(old.trend, v.hours) {
            let mut w = v.clone();
            w.symptoms[i].trend = trend;
            let after = run_triage(&w);
            prop_assert!(
                after.disposition >= before.disposition,
                "{} trend {:?} -> {:?} at {} h lowered {} to {}",
                old.symptom, old.trend, trend, v.hours, before.disposition, after.disposition
            );
        }
    }

    /// One red flag decides, whatever else is reported: at least urgent same day, and the airway,
    /// anaesthetic-toxicity and systemic signs are an emergency that opens with "call emergency
    /// services".
    #[test]
    fn a_red_flag_decides_whatever_else_is_reported(
        v in any_visit(),
        flag in prop::sample::select([URGENT_RED_FLAGS, EMERGENCY_SIGNS].concat()),
        severity in prop::sample::select(&SEVERITIES[..]),
        trend in prop::sample::select(&TRENDS[..]),
        at in any::<Index>(),
    ) {
        let mut w = v.clone();
        w.symptoms.insert(at.index(w.symptoms.len() + 1), Sym { symptom: flag, severity, trend });
        let r = run_triage(&w);
        prop_assert!(
            r.disposition >= Disposition::UrgentSameDay,
            "{flag} at {} h gave only {} ({})", w.hours, r.disposition, describe(&r)
        );
        if EMERGENCY_SIGNS.contains(&flag) {
            prop_assert_eq!(r.disposition, Disposition::Emergency, "{} at {} h: {}", flag, w.hours, describe(&r));
            prop_assert_eq!(r.advice.first().map(|a| a.code.as_str()), Some("call_emergency_services"));
        }
    }

    /// No fault in any other field stops a warning sign: a check-in that names one is read (the
    /// strict reading or the salvage), and triaged at least as urgently as the sign alone.
    #[test]
    fn no_other_field_can_stop_a_red_flag(
        v in any_visit(),
        flag in prop::sample::select([URGENT_RED_FLAGS, EMERGENCY_SIGNS].concat()),
        at in any::<Index>(),
        faults in prop::collection::vec(0u8..6, 1..4),
    ) {
        let mut w = v.clone();
        w.symptoms.insert(at.index(w.symptoms.len() + 1), Sym { symptom: flag, severity: None, trend: None });
        let mut j = visit_json(&w);
        for f in &faults {
            match f {
                0 => j["temperature_c"] = json!("hot"),
                1 => j["symptoms"].as_array_mut().unwrap().push(json!({"code": "no_such_sign"})),
                2 => j["symptoms"][0]["severity"] = json!("unbearable"),
                3 => j["symptoms"][0]["trend"] = json!(7),
                4 => j["mood"] = json!("scared"),
                _ => j["symptoms"][0]["extra"] = json!(true),
            }
        }
        let p = protocol();
        let c = match CheckIn::from_json(&j) {
            Ok(c) => c,
            Err(_) => CheckIn::salvage(&j, |s| p.symptom(s).is_warning_sign())
                .unwrap_or_else(|| panic!("a check-in naming {flag} was not read: {j}"))
                .check_in,
        };
        let r = triage(p, &c);
        let alone = triage(p, &CheckIn::from_json(&json!({"hours_since_treatment": w.hours, "symptoms": [{"code": flag.as_str()}]})).unwrap());
        prop_assert!(r.disposition >= alone.disposition, "{flag}: {} < {} with faults {faults:?}", r.disposition, alone.disposition);
        prop_assert!(r.disposition >= Disposition::UrgentSameDay);
    }

    /// A measured temperature of 38.0 C or more is a fever: at least urgent same day.
    #[test]
    fn a_measured_fever_is_at_least_urgent(v in any_visit(), t in 38.0f64..42.0) {
        let mut w = v.clone();
        w.temperature = Some(t);
        let r = run_triage(&w);
        prop_assert!(r.disposition >= Disposition::UrgentSameDay, "{t} C gave {} ({})", r.disposition, describe(&r));
    }

    /// A sign within its window is never less urgent than outside it: for every escalation with
    /// `within_hours`, the same report at the window's last moment is triaged at least as
    /// urgently as just after the window closes (the symptom's own assessment and the check-in).
    #[test]
    fn a_sign_within_its_window_is_never_less_urgent_than_outside_it(
        v in any_visit(),
        which in any::<Index>(),
        sym in any_sym(),
        before in prop::sample::select(&[0.001, 0.1, 0.5][..]),
    ) {
        let windows = windowed();
        let (symptom, after, within) = windows[which.index(windows.len())];
        let inside_h = (within - before).max(after);
        let mut inside = v.clone();
        inside.symptoms.push(Sym { symptom, ..sym });
        inside.hours = inside_h;
        let mut outside = inside.clone();
        outside.hours = within;
        let (a, b) = (run_triage(&inside), run_triage(&outside));
        let own = |r: &TriageResult<'_>| r.assessments.iter().filter(|x| x.symptom == symptom).map(|x| x.disposition).max();
        prop_assert!(
            own(&a) >= own(&b),
            "{symptom} at {inside_h} h (inside a window ending at {within} h) gave {:?}, at {within} h {:?}\ninside: {}\noutside: {}",
            own(&a), own(&b), describe(&a), describe(&b)
        );
    }
}

/// Every escalation of the built-in protocol with an end to its window: (symptom, from, until).
fn windowed() -> Vec<(Symptom, f64, f64)> {
    let mut out = Vec::new();
    for rule in &protocol().triage.symptoms {
        for e in &rule.escalations {
            if let Some(w) = e.within_hours {
                out.push((rule.symptom, e.after_hours, w));
            }
        }
    }
    assert!(!out.is_empty(), "the built-in protocol has windowed escalations (issue 12)");
    // Every kind of condition the format offers is combined with a window somewhere.
    assert!(
        protocol()
            .triage
            .symptoms
            .iter()
            .flat_map(|r| &r.escalations)
            .any(|e| e.within_hours.is_some() && e.when == When::AfterNumbing)
    );
    out
}

// ---------------------------------------------------------------------------------------------
// Screening
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Candidate {
    concern: Concern,
    scar_type: Option<ScarType>,
    grade: Option<u8>,
    fitzpatrick: Option<u8>,
    as_of: NaiveDate,
    /// A finding and, optionally, how many days before `as_of` it last happened.
    findings: Vec<(Finding, Option<u32>)>,
}

const TIMED: &[Finding] = &[
    Finding::Sunburn,
    Finding::RadiationTherapyToArea,
    Finding::RadiationTherapyElsewhere,
    Finding::Chemotherapy,
    Finding::Isotretinoin,
    Finding::RecentProcedureInArea,
    Finding::PreviousMicroneedling,
];

const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2024, 1, 1) {
    Some(d) => d,
    None => panic!("2024-01-01 is a valid date"),
};

fn any_as_of() -> impl Strategy<Value = NaiveDate> {
    // 2024-01-01 plus up to ~6 years: covers leap years and month ends.
    (0u64..2200).prop_map(|d| FIRST_DAY + Days::new(d))
}

/// Days since a finding: around every window (14, 28, 30, 90, 182) and well beyond.
fn any_days_ago() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..400, prop::sample::select(&[0, 13, 14, 15, 27, 28, 29, 30, 31, 89, 90, 91, 181, 182, 183][..])]
}

fn any_finding_entry() -> impl Strategy<Value = (Finding, Option<u32>)> {
    (prop::sample::select(Finding::ALL), prop::option::of(any_days_ago()))
}

fn any_candidate() -> impl Strategy<Value = Candidate> {
    (
        prop::sample::select(Concern::ALL),
        prop::option::of(prop::sample::select(ScarType::ALL)),
        prop::option::of(1u8..=4),
        prop::option::of(1u8..=6),
        any_as_of(),
        prop::collection::vec(any_finding_entry(), 0..6),
    )
        .prop_map(|(concern, scar_type, grade, fitzpatrick, as_of, findings)| Candidate {
            concern,
            scar_type,
            grade,
            fitzpatrick,
            as_of,
            findings,
        })
}

fn candidate_json(c: &Candidate) -> Value {
    let findings: Vec<Value> = c
        .findings
        .iter()
        .map(|(f, ago)| match ago {
            None => json!(f.as_str()),
            Some(d) => json!({"code": f.as_str(), "last": (c.as_of - Days::new(u64::from(*d))).to_string()}),
        })
        .collect();
    let mut o = json!({"concern": c.concern.as_str(), "as_of": c.as_of.to_string(), "findings": findings});
    if let Some(t) = c.scar_type {
        o["scar_type"] = json!(t.as_str());
    }
    if let Some(g) = c.grade {
        o["scar_grade"] = json!(g);
    }
    if let Some(t) = c.fitzpatrick {
        o["fitzpatrick"] = json!(t);
    }
    o
}

fn run_screen(c: &Candidate) -> ScreeningResult<'static> {
    let j = candidate_json(c);
    // The request always gives as_of; the default day is never used.
    let r =
        ScreeningRequest::from_json(&j, c.as_of).unwrap_or_else(|e| panic!("generated request refused: {e:?}\n{j}"));
    screen(protocol(), &r)
}

fn reasons(r: &ScreeningResult<'_>) -> String {
    r.reasons.iter().map(|x| format!("{}={}", x.code, x.effect)).collect::<Vec<_>>().join(", ")
}

proptest! {
    #![proptest_config(config(0x6e65_6564_6c65_0002))]

    /// Learning one more thing about a person never makes screening less strict: the decision
    /// never goes down, a required clinician review stays required, and a deferral never gets
    /// shorter (a condition-bound deferral never turns into a dated one).
    #[test]
    fn adding_a_finding_never_makes_screening_less_strict(c in any_candidate(), extra in any_finding_entry(), at in any::<Index>()) {
        let before = run_screen(&c);
        let mut more = c.clone();
        more.findings.insert(at.index(more.findings.len() + 1), extra);
        let after = run_screen(&more);
        let j = candidate_json(&more);
        prop_assert!(
            after.decision >= before.decision,
            "adding {:?} lowered {} to {}\nrequest: {}\nbefore: {}\nafter: {}",
            extra, before.decision, after.decision, j, reasons(&before), reasons(&after)
        );
        prop_assert!(
            !before.clinician_review_required || after.clinician_review_required,
            "adding {:?} dropped the clinician review\nrequest: {}", extra, j
        );
        if before.decision == Decision::Defer && after.decision == Decision::Defer {
            match (before.defer_until, after.defer_until) {
                (Some(b), Some(a)) => prop_assert!(a >= b, "adding {:?} moved defer_until from {} to {}\nrequest: {}", extra, b, a, j),
                (None, Some(a)) => prop_assert!(false, "adding {:?} gave an undated deferral a date ({})\nrequest: {}", extra, a, j),
                _ => {}
            }
        }
    }

    /// With only dated, time-limited findings, a deferral always has a date; that date is after
    /// `as_of`; the day before it the person is still deferred, and on it no deferral is left.
    #[test]
    fn defer_until_is_the_first_day_the_deferral_has_lapsed(
        c in any_candidate(),
        timed in prop::collection::vec((prop::sample::select(TIMED), any_days_ago()), 1..5),
    ) {
        let mut c = c;
        c.findings = timed.into_iter().map(|(f, d)| (f, Some(d))).collect();
        let r = run_screen(&c);
        let j = candidate_json(&c);
        if r.decision != Decision::Defer {
            prop_assert!(r.defer_until.is_none(), "defer_until without a deferral\nrequest: {}", j);
            return Ok(());
        }
        let Some(until) = r.defer_until else {
            return Err(TestCaseError::fail(format!("a deferral from dated findings has no date\nrequest: {j}\n{}", reasons(&r))));
        };
        prop_assert!(until > c.as_of, "defer_until {} is not after as_of {}\nrequest: {}", until, c.as_of, j);
        for reason in r.reasons.iter().filter(|x| x.effect == Decision::Defer) {
            prop_assert!(reason.until.is_some_and(|u| u <= until), "reason {} lasts past defer_until {}\nrequest: {}", reason.code, until, j);
        }

        // On defer_until: the same findings, seen from that day.
        let days_later = (until - c.as_of).num_days();
        let shift = |c: &Candidate, days: i64| {
            let mut s = c.clone();
            s.as_of = c.as_of + Days::new(u64::try_from(days).unwrap());
            s.findings = c.findings.iter().map(|(f, d)| (*f, d.map(|d| d + u32::try_from(days).unwrap()))).collect();
            s
        };
        let on = run_screen(&shift(&c, days_later));
        prop_assert!(
            on.decision != Decision::Defer && on.reasons.iter().all(|x| x.effect != Decision::Defer),
            "still deferred on defer_until {}\nrequest: {}\nthen: {}", until, j, reasons(&on)
        );
        let eve = run_screen(&shift(&c, days_later - 1));
        prop_assert_eq!(eve.decision, Decision::Defer, "not deferred the day before defer_until {}\nrequest: {}", until, j);
    }
}

// ---------------------------------------------------------------------------------------------
// Can I
// ---------------------------------------------------------------------------------------------

fn answer_at(a: Activity, hours: f64) -> needlepath_core::can_i::CanIResult<'static> {
    let req = CanIRequest::parse(a.as_str(), hours).unwrap_or_else(|e| panic!("{a} at {hours} h refused: {e:?}"));
    can_i(protocol(), &req)
}

fn any_can_i_hours() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 0.0f64..2000.0,
        1 => 2000.0f64..87_600.0,
        1 => prop::sample::select(&[0.0, 5.99, 6.0, 23.99, 24.0, 71.99, 72.0, 119.99, 120.0, 167.99, 168.0, 671.99, 672.0][..]),
    ]
}

proptest! {
    #![proptest_config(config(0x6e65_6564_6c65_0003))]

    /// For every activity: a restriction that lifts stays lifted, and allowed_from_hours /
    /// unrestricted_from_hours say exactly when the answer becomes allowed / a plain yes.
    #[test]
    fn can_i_only_gets_freer_with_time_and_its_hours_agree(h1 in any_can_i_hours(), h2 in any_can_i_hours()) {
        let (early, late) = if h1 <= h2 { (h1, h2) } else { (h2, h1) };
        for a in Activity::ALL {
            let (e, l) = (answer_at(*a, early), answer_at(*a, late));
            prop_assert!(l.answer >= e.answer, "{a}: {} at {early} h but {} at {late} h", e.answer, l.answer);

            for r in [&e, &l] {
                let h = r.hours_since_treatment;
                let allowed = r.allowed_from_hours.is_some_and(|from| h >= from);
                prop_assert_eq!(r.answer != Answer::No, allowed, "{} at {} h: answer {} vs allowed_from_hours {:?}", a, h, r.answer, r.allowed_from_hours);
                let free = r.unrestricted_from_hours.is_some_and(|from| h >= from);
                prop_assert_eq!(r.answer == Answer::Yes, free, "{} at {} h: answer {} vs unrestricted_from_hours {:?}", a, h, r.answer, r.unrestricted_from_hours);
                prop_assert_eq!(r.answer == Answer::YesWithConditions, !r.conditions.is_empty(), "{} at {} h: answer {} with conditions {:?}", a, h, r.answer, r.conditions);
            }
            if let Some(from) = e.allowed_from_hours {
                prop_assert!(answer_at(*a, from).answer != Answer::No, "{a}: not allowed at its own allowed_from_hours {from}");
                if from > 0.0 {
                    prop_assert_eq!(answer_at(*a, (from - 0.01).max(0.0)).answer, Answer::No, "{}: allowed before {}", a, from);
                }
            }
            if let Some(from) = e.unrestricted_from_hours {
                prop_assert_eq!(answer_at(*a, from).answer, Answer::Yes, "{}: not a plain yes at its own unrestricted_from_hours {}", a, from);
                prop_assert!(e.allowed_from_hours.is_some_and(|x| x <= from), "{a}: unrestricted before allowed");
            }
        }
    }
}
