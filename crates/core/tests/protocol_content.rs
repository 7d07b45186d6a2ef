//! The built-in protocol and the vocabulary against the contract's committed copy
//! (`docs/spec/vocabulary.json`) and the seed articles it cites (`docs/sources/seeds/`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly

use needlepath_core::Protocol;
use needlepath_core::protocol::Base;
use needlepath_core::vocabulary::{
    Activity, Answer, Concern, Decision, Disposition, Finding, ScarType, Severity, Symptom, Trend,
};
use serde_json::Value;

const VOCABULARY: &str = include_str!("../../../docs/spec/vocabulary.json");
const SEEDS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/sources/seeds");

fn vocabulary() -> Value {
    serde_json::from_str(VOCABULARY).unwrap()
}

/// The codes of a vocabulary section, sorted (serde_json's map does not keep file order).
fn keys(v: &Value, section: &str) -> Vec<String> {
    v[section].as_object().unwrap().keys().cloned().collect()
}

fn sorted(c: &[&str]) -> Vec<String> {
    let mut v = codes(c);
    v.sort();
    v
}

fn list(v: &Value, section: &str) -> Vec<String> {
    v[section].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

fn codes(c: &[&str]) -> Vec<String> {
    c.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn enums_match_the_contract_vocabulary_exactly() {
    let v = vocabulary();
    assert_eq!(sorted(Concern::CODES), keys(&v, "concerns"));
    assert_eq!(sorted(ScarType::CODES), keys(&v, "scar_types"));
    assert_eq!(sorted(Finding::CODES), keys(&v, "findings"));
    assert_eq!(sorted(Symptom::CODES), keys(&v, "symptoms"));
    assert_eq!(sorted(Activity::CODES), keys(&v, "activities"));
    assert_eq!(codes(Decision::CODES), list(&v, "screening_decisions"));
    assert_eq!(codes(Disposition::CODES), list(&v, "dispositions"));
    // Answers are ordered strict to free in code (so "lifts and stays lifted" is `>=`); the
    // contract lists them the other way round.
    let mut answers = list(&v, "answers");
    answers.sort();
    assert_eq!(sorted(Answer::CODES), answers);
    assert_eq!(codes(Severity::CODES), list(&v, "severity"));
    assert_eq!(codes(Trend::CODES), list(&v, "trend"));
}

#[test]
fn timed_findings_match_the_contract() {
    let v = vocabulary();
    for f in Finding::ALL {
        let timed = v["findings"][f.as_str()]["timed"].as_bool().unwrap();
        assert_eq!(f.is_timed(), timed, "{f}");
    }
}

#[test]
fn the_builtin_protocol_loads_and_covers_the_vocabulary() {
    let p = Protocol::builtin().unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(p.id, "needlepath-microneedling");
    assert_eq!(p.screening.findings.len(), Finding::ALL.len());
    assert_eq!(p.triage.symptoms.len(), Symptom::ALL.len());
    assert_eq!(p.activities.len(), Activity::ALL.len());
    for (i, f) in Finding::ALL.iter().enumerate() {
        assert_eq!(p.screening.findings[i].finding, *f);
    }
}

/// clinical-research.md §11 lists eighteen disagreements; each must be recorded.
#[test]
fn every_conflict_of_the_research_notes_is_recorded() {
    let p = Protocol::builtin().unwrap();
    assert!(p.conflicts.len() >= 18, "only {} conflicts", p.conflicts.len());
    let expected = [
        "cleansing",
        "moisturizer_shea_butter",
        "darker_skin",
        "rosacea",
        "active_acne",
        "radiation",
        "keloid_tendency",
        "vitamin_c_delivery",
        "safety_claims",
        "redness_duration",
        "makeup_window",
        "sun_avoidance",
        "exercise",
        "needle_length",
        "hydration_claims",
        "isotretinoin",
        "anticoagulants",
        "interval",
    ];
    for id in expected {
        let c = p.conflicts.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no conflict '{id}'"));
        assert!(c.sides.len() >= 2, "{id}");
        assert!(c.sides.iter().all(|s| !s.sources.is_empty()), "{id}");
        assert!(!c.choice.is_empty() && !c.why.is_empty(), "{id}");
    }
}

#[test]
fn every_cited_seed_exists_and_every_seed_is_cited() {
    let p = Protocol::builtin().unwrap();
    let seeds: Vec<String> =
        std::fs::read_dir(SEEDS_DIR).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(seeds.len(), 5);
    for s in p.sources.iter().filter(|s| s.kind == "seed") {
        assert!(seeds.contains(&s.id), "seed source '{}' has no file in docs/sources/seeds", s.id);
    }
    for seed in &seeds {
        assert!(p.source(seed).is_some(), "seed {seed} is not among the protocol's sources");
    }
}

#[test]
fn papers_name_authors_year_and_journal() {
    let p = Protocol::builtin().unwrap();
    for s in p.sources.iter().filter(|s| s.kind == "paper") {
        assert!(s.authors.is_some() && s.year.is_some() && s.journal.is_some(), "{}", s.id);
    }
}

#[test]
fn emergency_red_flags_tell_the_patient_to_call_emergency_services_first() {
    let p = Protocol::builtin().unwrap();
    let advice = &p.triage.disposition_advice[Disposition::Emergency.index()];
    assert_eq!(advice.code, "call_emergency_services");
    assert!(advice.message.starts_with("Call emergency services now"), "{}", advice.message);
    for s in &p.triage.symptoms {
        if let Base::RedFlag { disposition: Disposition::Emergency, message, .. } = &s.base {
            assert!(message.starts_with("Call emergency services now"), "{}: {message}", s.symptom);
        }
    }
}

/// The safety floor in code: these must stay emergencies whatever the protocol file says.
#[test]
fn airway_and_anaesthetic_toxicity_signs_are_emergencies() {
    let p = Protocol::builtin().unwrap();
    for s in [
        Symptom::ThroatTightness,
        Symptom::BreathingDifficulty,
        Symptom::LipTongueSwelling,
        Symptom::Seizure,
        Symptom::MouthNumbness,
        Symptom::RingingEars,
    ] {
        assert_eq!(p.symptom(s).base_disposition(), Disposition::Emergency, "{s}");
    }
}
