//! What patients read (issue 12, item 15): the headline of a clinic-contact answer follows the
//! most urgent sign, every answer below an emergency carries the conditional emergency clause,
//! the emergency instruction is short points, terms are neutral, and statements say only what
//! their sources say.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use needlepath_core::Protocol;
use needlepath_core::protocol::{Base, Rule, Tier};
use needlepath_core::request::CheckIn;
use needlepath_core::triage::triage;
use needlepath_core::vocabulary::{Disposition, Finding};
use serde_json::json;

fn check_in(v: serde_json::Value) -> CheckIn {
    CheckIn::from_json(&v).unwrap()
}

/// Every sentence of the built-in protocol a patient may read, with where it is.
fn patient_texts(p: &Protocol) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut push = |at: String, text: &str| out.push((at, text.to_owned()));
    let rule = |push: &mut dyn FnMut(String, &str), at: &str, r: &Rule| {
        push(at.to_owned(), &r.message);
        for s in &r.precautions {
            push(format!("{at} precaution {}", s.code), &s.message);
        }
    };
    for f in &p.screening.findings {
        let at = format!("finding {}", f.finding);
        rule(&mut push, &at, &f.rule);
        if let Some(r) = &f.after {
            rule(&mut push, &format!("{at} after"), r);
        }
        if let Some(r) = &f.ongoing {
            rule(&mut push, &format!("{at} ongoing"), r);
        }
    }
    let s = &p.screening;
    for (i, r) in s.concerns.iter().chain(&s.scar_types).chain(&s.scar_grades).chain(&s.fitzpatrick).enumerate() {
        if let Some(r) = r {
            rule(&mut push, &format!("screening rule #{i}"), r);
        }
    }
    let statements = p
        .triage
        .disposition_advice
        .iter()
        .chain(&p.triage.contact_days_advice)
        .chain(&p.triage.emergency_if)
        .chain(p.triage.symptoms.iter().flat_map(|s| &s.advice));
    for st in statements {
        push(format!("advice {}", st.code), &st.message);
        for pt in &st.points {
            push(format!("advice {} point", st.code), pt);
        }
    }
    for sym in &p.triage.symptoms {
        let at = format!("symptom {}", sym.symptom);
        match &sym.base {
            Base::Expected { message, .. } | Base::Outside { message, .. } | Base::RedFlag { message, .. } => {
                push(at.clone(), message);
            }
        }
        for e in &sym.escalations {
            push(format!("{at} escalation"), &e.message);
        }
    }
    for a in &p.activities {
        for ph in &a.phases {
            push(format!("activity {}", a.activity), &ph.message);
            for c in &ph.conditions {
                push(format!("activity {} condition", a.activity), c);
            }
        }
    }
    for st in &p.plan.pre_care {
        push(format!("pre-care {}", st.code), &st.message);
    }
    for sc in p.plan.sessions_by_grade.iter().flatten().chain(std::iter::once(&p.plan.sessions_default)) {
        push("plan sessions".to_owned(), &sc.message);
    }
    push("plan maintenance".to_owned(), &p.plan.maintenance.message);
    push("plan short interval".to_owned(), &p.plan.short_interval.message);
    for m in &p.aftercare.milestones {
        push(format!("milestone {}", m.code), &m.message);
    }
    out
}

/// Whether `text` holds `word` as a whole word (case-insensitive).
fn has_word(text: &str, word: &str) -> bool {
    text.to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|w| w == word)
}

/// Patients read "we" and "your clinic", not the staff's words for how the advice is built
/// (issue 12 item 15).
#[test]
fn patient_messages_never_say_protocol_evidence_contested_or_windows() {
    let p = Protocol::builtin().unwrap();
    let words = ["protocol", "protocols", "evidence", "contested", "windows"];
    let found: Vec<String> = patient_texts(&p)
        .into_iter()
        .filter(|(_, t)| words.iter().any(|w| has_word(t, w)))
        .map(|(at, t)| format!("{at}: {t}"))
        .collect();
    assert!(found.is_empty(), "{} patient message(s) use staff words:\n  {}", found.len(), found.join("\n  "));
}

#[test]
fn the_patient_text_collector_sees_every_kind_of_message() {
    let texts = patient_texts(&Protocol::builtin().unwrap());
    for kind in ["finding ", "symptom ", "activity ", "pre-care ", "advice call_emergency_if point", "milestone "] {
        assert!(texts.iter().any(|(at, _)| at.starts_with(kind)), "no {kind} text collected");
    }
}

#[test]
fn no_clinic_contact_headline_says_it_is_not_urgent() {
    let p = Protocol::builtin().unwrap();
    let soon = &p.triage.disposition_advice[Disposition::ContactClinic.index()];
    let days = p.triage.contact_days_advice.as_ref().unwrap();
    for s in [soon, days] {
        assert!(!s.message.to_lowercase().contains("not urgent"), "{}: {}", s.code, s.message);
    }
}

#[test]
fn patient_texts_use_no_regional_terms() {
    let p = Protocol::builtin().unwrap();
    for (at, t) in patient_texts(&p) {
        for term in ["casualty", "a&e", " gp "] {
            assert!(!t.to_lowercase().contains(term), "{at} says '{term}': {t}");
        }
    }
}

#[test]
fn statements_say_only_what_their_sources_say() {
    let p = Protocol::builtin().unwrap();
    let texts = patient_texts(&p);
    // The bleeding figure was in no source.
    assert!(texts.iter().all(|(_, t)| !t.contains("10 to 15 minutes")));
    // Nickel-free tips and patch tests come from a commentary this protocol does not cite.
    let nickel = p.finding(Finding::NickelAllergy).rule.precautions.iter().find(|s| s.code == "nickel_free_tips");
    let nickel = nickel.unwrap().message.to_lowercase();
    assert!(!nickel.contains("nickel") && !nickel.contains("patch test"), "{nickel}");
    // The test area is the research notes' own proposal: offered as an option, not a rule.
    let test_area = p.finding(Finding::KeloidTendency).rule.precautions.iter().find(|s| s.code == "test_area");
    assert!(test_area.unwrap().message.contains("may suggest"));
    // The seeds cited for water say it helps; the sentence claims nothing about healing.
    let water = p.activity(needlepath_core::vocabulary::Activity::DrinkWater);
    assert!(water.phases.iter().all(|ph| !ph.message.to_lowercase().contains("heal")));
}

#[test]
fn the_emergency_instruction_is_short_with_points() {
    let p = Protocol::builtin().unwrap();
    let e = &p.triage.disposition_advice[Disposition::Emergency.index()];
    assert_eq!(e.message, "Call emergency services now.");
    assert!(e.points.len() >= 2 && e.points.iter().all(|pt| pt.len() <= 90), "{:?}", e.points);
}

#[test]
fn the_clinic_contact_headline_follows_the_most_urgent_tier_reported() {
    let p = Protocol::builtin().unwrap();
    // Only a late, slow sign: the "next few days" headline.
    let late = triage(&p, &check_in(json!({"hours_since_treatment": 504, "symptoms": [{"code": "dark_patches"}]})));
    assert_eq!(late.disposition, Disposition::ContactClinic);
    assert_eq!(late.contact_tier, Some(Tier::Days));
    assert_eq!(late.advice[0].code, "contact_clinic_days");
    // With a sign that should be seen soon, the soon headline, whatever else is reported.
    let both = triage(
        &p,
        &check_in(
            json!({"hours_since_treatment": 504, "symptoms": [{"code": "dark_patches"}, {"code": "lumps", "severity": "mild", "trend": "same"}, {"code": "rash", "severity": "mild", "trend": "same"}]}),
        ),
    );
    assert_eq!(both.disposition, Disposition::ContactClinic, "{both:?}");
    assert_eq!(both.contact_tier, Some(Tier::Soon));
    assert_eq!(both.advice[0].code, "contact_clinic");
    // Other dispositions have no tier.
    let urgent = triage(&p, &check_in(json!({"hours_since_treatment": 48, "symptoms": [{"code": "pus"}]})));
    assert_eq!(urgent.contact_tier, None);
}

#[test]
fn every_answer_below_an_emergency_carries_the_conditional_emergency_clause() {
    let p = Protocol::builtin().unwrap();
    for (symptoms, emergency) in [
        (json!([]), false),
        (json!([{"code": "redness", "severity": "mild"}]), false),
        (json!([{"code": "rash", "severity": "mild"}]), false),
        (json!([{"code": "pus"}]), false),
        (json!([{"code": "throat_tightness"}]), true),
    ] {
        let r = triage(&p, &check_in(json!({"hours_since_treatment": 30, "symptoms": symptoms})));
        assert_eq!(r.emergency_if.is_none(), emergency, "{symptoms}");
        if let Some(c) = r.emergency_if {
            assert!(c.message.starts_with("Call emergency services") && !c.points.is_empty());
        }
    }
}

#[test]
fn a_tier_is_refused_on_any_disposition_but_contact_clinic() {
    let base = Protocol::builtin().unwrap();
    let text = r#"[protocol]
id = "c"
version = "1"
extends = "needlepath-microneedling"

[[triage.symptoms]]
code = "pus"

[triage.symptoms.red_flag]
disposition = "urgent_same_day"
tier = "days"
message = "Pus needs a clinician today."
sources = ["000_0cdd9f63a5fbde05.txt"]
"#;
    let e = Protocol::parse(text, Some(&base)).unwrap_err();
    assert!(e.problems.iter().any(|p| p.line == 11 && p.message.contains("tier is only for 'contact_clinic'")), "{e}");
}

#[test]
fn a_clinic_may_not_ask_for_a_soon_sign_to_wait_days() {
    let base = Protocol::builtin().unwrap();
    let text = r#"[protocol]
id = "c"
version = "1"
extends = "needlepath-microneedling"

[[triage.symptoms]]
code = "rash"

[triage.symptoms.outside]
disposition = "contact_clinic"
tier = "days"
message = "A rash needs a look."
sources = ["Arnica2017"]
"#;
    let e = Protocol::parse(text, Some(&base)).unwrap_err();
    assert!(e.problems.iter().any(|p| p.line == 7 && p.message.contains("'rash' lowers its tier")), "{e}");
}
