//! Speed of the engine on the built-in protocol. Run: `cargo bench -p needlepath-core`.
//!
//! Targets (one core of the project machine): triage of a 10-symptom check-in ≤ 2 µs, screening
//! of a 10-finding profile ≤ 5 µs, protocol load and validation ≤ 5 ms. Figures go in
//! BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly

use chrono::{NaiveDate, TimeZone, Utc};
use divan::{Bencher, black_box};
use needlepath_core::Protocol;
use needlepath_core::protocol::{BUILTIN_TOML, FindingSet};
use needlepath_core::request::{CheckIn, PlanRequest, ScreeningRequest};
use needlepath_core::timeline::{AftercareRequest, Zone};
use needlepath_core::vocabulary::Finding;
use needlepath_core::{plan, screening, timeline, triage};
use serde_json::{Value, json};

fn main() {
    divan::main();
}

fn protocol() -> Protocol {
    Protocol::builtin().unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

/// Ten symptoms, some expected, some not, one red flag among them; a temperature; findings.
fn ten_symptom_checkin() -> Value {
    json!({
        "hours_since_treatment": 60,
        "symptoms": [
            {"code": "redness", "severity": "moderate", "trend": "same"},
            {"code": "swelling", "severity": "mild", "trend": "improving"},
            {"code": "pain", "severity": "moderate", "trend": "worse"},
            {"code": "dryness"},
            {"code": "flaking", "severity": "mild"},
            {"code": "itching", "trend": "same"},
            {"code": "bruising", "severity": "mild"},
            {"code": "breakout", "severity": "severe"},
            {"code": "tingling"},
            {"code": "blisters", "severity": "mild"}
        ],
        "temperature_c": 37.6,
        "findings": ["cold_sore_history", "atopic_dermatitis"]
    })
}

/// Ten findings across the kinds of rule: timed, untimed, after-window, with precautions.
fn ten_finding_profile() -> Value {
    json!({
        "concern": "acne_scars", "scar_type": "mixed", "scar_grade": 3, "fitzpatrick": 5, "age_years": 34,
        "as_of": "2026-11-21",
        "findings": [
            "cold_sore_history", "atopic_dermatitis", "anticoagulant", "topical_retinoid", "nickel_allergy",
            {"code": "sunburn", "last": "2026-11-15"},
            {"code": "isotretinoin", "last": "2026-08-01"},
            {"code": "previous_microneedling", "last": "2026-10-01"},
            {"code": "recent_procedure_in_area", "last": "2026-06-01"},
            "keloid_tendency"
        ]
    })
}

#[divan::bench]
fn triage_10_symptoms(b: Bencher) {
    let p = protocol();
    let c = CheckIn::from_json(&ten_symptom_checkin()).unwrap();
    b.bench(|| triage::triage(black_box(&p), black_box(&c)).disposition);
}

#[divan::bench]
fn triage_10_symptoms_with_json_parse(b: Bencher) {
    let p = protocol();
    let v = ten_symptom_checkin();
    b.bench(|| {
        let c = CheckIn::from_json(black_box(&v)).unwrap();
        triage::triage(&p, &c).disposition
    });
}

#[divan::bench]
fn screening_10_findings(b: Bencher) {
    let p = protocol();
    let r = ScreeningRequest::from_json(&ten_finding_profile(), today()).unwrap();
    b.bench(|| screening::screen(black_box(&p), black_box(&r)).decision);
}

#[divan::bench]
fn screening_10_findings_with_json_parse(b: Bencher) {
    let p = protocol();
    let v = ten_finding_profile();
    b.bench(|| {
        let r = ScreeningRequest::from_json(black_box(&v), today()).unwrap();
        screening::screen(&p, &r).decision
    });
}

#[divan::bench]
fn plan_and_timeline(b: Bencher) {
    let p = protocol();
    let r = PlanRequest::from_json(&json!({
        "concern": "acne_scars", "scar_grade": 3, "start": "2026-12-01",
        "findings": ["cold_sore_history"], "price_per_session": 300, "currency": "USD"
    }))
    .unwrap();
    let mut findings = FindingSet::default();
    findings.insert(Finding::ColdSoreHistory);
    let a = AftercareRequest {
        treated_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap(),
        zone: Zone::parse("Europe/Berlin").unwrap(),
        findings,
        session_number: 1,
        check_in_days: None,
    };
    b.bench(|| {
        let plan = plan::plan(black_box(&p), black_box(&r));
        let tl = timeline::timeline(black_box(&p), black_box(&a));
        (plan.sessions.len(), tl.entries.len())
    });
}

#[divan::bench(sample_count = 50)]
fn protocol_load_and_validate(b: Bencher) {
    b.bench(|| Protocol::parse(black_box(BUILTIN_TOML), None).unwrap().sources.len());
}

#[divan::bench(sample_count = 50)]
fn clinic_protocol_over_builtin(b: Bencher) {
    let base = protocol();
    let clinic = r#"
[protocol]
id = "clinic"
version = "1"
extends = "needlepath-microneedling"

[[activities]]
code = "sauna"
sources = ["Sasaki2019"]
phases = [
  { from_hours = 0, answer = "no", message = "No sauna for five days." },
  { from_hours = 120, answer = "yes", message = "Sauna is fine again." },
]
"#;
    b.bench(|| Protocol::parse(black_box(clinic), Some(&base)).unwrap().activities.len());
}
