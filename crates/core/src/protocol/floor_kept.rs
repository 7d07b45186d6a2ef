//! The safety floor, part two: content no protocol may remove or reword away.
//!
//! `floor` keeps dispositions, screening effects and time windows from going down. That is not
//! enough: a file could keep every disposition and still drop the sentence that makes a patient
//! safe (the antiviral before the session, never stopping a blood thinner, calling emergency
//! services for eczema herpeticum), aim a pre-care step at a finding nobody has, or space the
//! check-ins so that the cold-sore days (24–96 h) pass unasked. These checks apply to every
//! protocol, the built-in one included, so they are written here, in code.
//!
//! How "keeps its instruction" is checked: each protected statement is found by its **stable
//! code** (the code is the contract; a clinic may reword the message but not rename it), and its
//! message must still contain one phrase of each required group (case-insensitive). The phrases
//! are the instruction itself ("emergency services", "today", "antiviral"). This guards against a
//! rewording that loses the instruction; it does not judge the rest of the sentence.

use std::ops::Range;

use super::location::Problems;
use super::raw::{RawProtocol, S};
use super::{FindingRule, Protocol, Statement, Tier};
use crate::vocabulary::{Disposition, Finding, Symptom};

/// Phrases that tell a patient to get emergency help (any one).
pub const EMERGENCY_PHRASES: &[&str] = &["emergency services", "emergency department", "911", "999", "112"];

/// A statement no protocol may drop, with what its message must keep saying: every group must be
/// matched by at least one of its phrases.
pub struct Kept {
    pub code: &'static str,
    pub phrases: &'static [&'static [&'static str]],
    pub why: &'static str,
}

/// Precautions a finding's rule must keep (checked on the rule and on its `ongoing` rule, when
/// they let the patient be treated: a deferring rule has no session to take care of).
pub const KEPT_PRECAUTIONS: &[(Finding, Kept)] = &[
    (
        Finding::ColdSoreHistory,
        Kept {
            code: "antiviral_prophylaxis",
            phrases: &[&["antiviral"]],
            why: "the cold-sore virus reactivates 24-48 h after facial procedures; prophylaxis is the guideline",
        },
    ),
    (
        Finding::Anticoagulant,
        Kept {
            code: "never_stop_prescribed_anticoagulant",
            phrases: &[&["never", "do not", "don't"], &["stop"]],
            why: "stopping a prescribed anticoagulant for a cosmetic procedure carries its own serious risks",
        },
    ),
    (
        Finding::AtopicDermatitis,
        Kept {
            code: "clustered_blisters_emergency",
            phrases: &[EMERGENCY_PHRASES],
            why: "eczema herpeticum is a dermatologic emergency",
        },
    ),
];

/// The advice that opens an answer of these dispositions must keep its code and instruction.
pub const KEPT_DISPOSITION_ADVICE: &[(Disposition, Kept)] = &[
    (
        Disposition::Emergency,
        Kept {
            code: "call_emergency_services",
            phrases: &[EMERGENCY_PHRASES],
            why: "an emergency answer must tell the patient to call emergency services",
        },
    ),
    (
        Disposition::UrgentSameDay,
        Kept {
            code: "call_clinic_today",
            phrases: &[&["today"], &["urgent care", "emergency department", "emergency services"]],
            why: "a same-day answer must say today, and where to go when the clinic cannot be reached",
        },
    ),
];

/// Pre-care steps that must exist, be given at least `days_before` days before a session (not
/// only before the first) and apply to at least these findings (an empty list, meaning everyone,
/// also covers them).
pub const KEPT_PRE_CARE: &[(&str, u32, &[Finding])] = &[
    ("antiviral_prophylaxis", 1, &[Finding::ColdSoreHistory]),
    ("anticoagulant_prescriber", 1, &[Finding::Anticoagulant, Finding::BleedingDisorder]),
];

/// The first check-in must come by this day after a session (the cold-sore and infection signs
/// start from 24-48 h; research notes §8).
pub const FIRST_CHECK_IN_BY_DAY: u32 = 3;

pub(super) fn check(p: &Protocol, raw: &RawProtocol, problems: &mut Problems<'_>) {
    check_precautions(p, raw, problems);
    check_disposition_advice(p, raw, problems);
    check_pre_care(p, raw, problems);
    check_check_in_days(p, raw, problems);
}

/// Against the base: a symptom's `contact_clinic` base may not go from `soon` to `days` (its
/// answer would ask the patient to wait longer).
pub(super) fn check_tiers_against_base(p: &Protocol, base: &Protocol, raw: &RawProtocol, problems: &mut Problems<'_>) {
    for s in Symptom::ALL {
        let (n, o) = (p.symptom(*s), base.symptom(*s));
        let contact = |r: &super::SymptomRule| r.base_disposition() == Disposition::ContactClinic;
        if contact(n) && contact(o) && n.base_tier.unwrap_or(Tier::Soon) < o.base_tier.unwrap_or(Tier::Soon) {
            let at = raw
                .triage
                .as_ref()
                .and_then(|t| t.get_ref().symptoms.iter().find(|e| e.get_ref().code.get_ref() == s.as_str()))
                .map_or(0..0, |e| e.get_ref().code.span());
            problems.at(&at, format!("symptom '{s}' lowers its tier from 'soon' to 'days' of '{}'", base.id));
        }
    }
}

/// Whether `message` keeps every phrase group of `k`; the first group it lost otherwise.
fn lost_phrase(k: &Kept, message: &str) -> Option<String> {
    let m = message.to_lowercase();
    k.phrases
        .iter()
        .find(|group| !group.iter().any(|ph| m.contains(ph)))
        .map(|group| group.iter().map(|g| format!("'{g}'")).collect::<Vec<_>>().join(" or "))
}

fn kept_problem(k: &Kept, found: Option<&Statement>, owner: &str) -> Option<String> {
    match found {
        None => Some(format!("{owner} must keep '{}' ({}); it was removed or renamed", k.code, k.why)),
        Some(s) => lost_phrase(k, &s.message).map(|lost| {
            format!(
                "{owner}: '{}' must keep its instruction, a message saying {lost} ({}); it was reworded without it",
                k.code, k.why
            )
        }),
    }
}

fn check_precautions(p: &Protocol, raw: &RawProtocol, problems: &mut Problems<'_>) {
    for (finding, k) in KEPT_PRECAUTIONS {
        let fr: &FindingRule = p.finding(*finding);
        // A rule that defers (or refuses) treatment has no session to take care of; the pre-care
        // step (checked below) still reminds before the rescheduled one.
        let treats = |r: &&super::Rule| r.effect < crate::vocabulary::Decision::Defer;
        for rule in std::iter::once(&fr.rule).chain(fr.ongoing.as_ref()).filter(treats) {
            let found = rule.precautions.iter().find(|s| s.code == k.code);
            if let Some(why) = kept_problem(k, found, &format!("finding '{finding}'")) {
                problems.at(&finding_span(raw, *finding, k.code), why);
                break;
            }
        }
    }
}

fn check_disposition_advice(p: &Protocol, raw: &RawProtocol, problems: &mut Problems<'_>) {
    for (d, k) in KEPT_DISPOSITION_ADVICE {
        let s = &p.triage.disposition_advice[d.index()];
        let found = (s.code == k.code).then_some(s);
        if let Some(why) = kept_problem(k, found, &format!("the '{d}' advice")) {
            problems.at(&disposition_span(raw, *d, k.code), why);
        }
    }
}

fn check_pre_care(p: &Protocol, raw: &RawProtocol, problems: &mut Problems<'_>) {
    for (code, days, findings) in KEPT_PRE_CARE {
        let at = pre_care_span(raw, code);
        let Some(step) = p.plan.pre_care.iter().find(|s| s.code == *code) else {
            problems.at(&at, format!("pre-care step '{code}' is part of the safety floor and must not be removed"));
            continue;
        };
        let missed: Vec<String> = findings
            .iter()
            .filter(|f| !step.if_findings.is_empty() && !step.if_findings.contains(**f))
            .map(|f| f.to_string())
            .collect();
        if !missed.is_empty() {
            problems.at(
                &at,
                format!(
                    "pre-care step '{code}' must apply to patients with {}: its if_findings leave them out",
                    missed.join(", ")
                ),
            );
        }
        if step.days_before < *days {
            problems.at(
                &at,
                format!("pre-care step '{code}' is due {} day(s) before; its floor is {days}", step.days_before),
            );
        }
        if step.first_session_only {
            problems.at(&at, format!("pre-care step '{code}' applies before every session, not only the first"));
        }
    }
}

fn check_check_in_days(p: &Protocol, raw: &RawProtocol, problems: &mut Problems<'_>) {
    let first = p.aftercare.check_in_days.first().copied();
    if first.is_none_or(|d| d > FIRST_CHECK_IN_BY_DAY) {
        let at = raw.aftercare.as_ref().and_then(|a| a.get_ref().check_in_days.as_ref()).map_or(0..0, S::span);
        problems.at(
            &at,
            format!(
                "check_in_days must include a first check-in by day {FIRST_CHECK_IN_BY_DAY} (cold-sore and infection signs start 24-48 h after a session); the first is {}",
                first.map_or_else(|| "missing".to_owned(), |d| format!("day {d}"))
            ),
        );
    }
}

/// The finding's entry in the file: the precaution with `code` if written, else the finding's code.
fn finding_span(raw: &RawProtocol, f: Finding, code: &str) -> Range<usize> {
    let Some(entry) = raw.screening.findings.iter().find(|e| e.get_ref().code.get_ref() == f.as_str()) else {
        return 0..0;
    };
    let e = entry.get_ref();
    e.precautions
        .iter()
        .find(|s| s.get_ref().code.get_ref() == code)
        .map_or_else(|| e.code.span(), |s| s.get_ref().message.span())
}

/// The disposition's advice in the file: its code when renamed, else its message.
fn disposition_span(raw: &RawProtocol, d: Disposition, code: &str) -> Range<usize> {
    raw.triage
        .as_ref()
        .and_then(|t| t.get_ref().dispositions.iter().find(|e| e.get_ref().code.get_ref() == d.as_str()))
        .map_or(0..0, |e| {
            let a = e.get_ref().advice.get_ref();
            if a.code.get_ref() == code { a.message.span() } else { a.code.span() }
        })
}

fn pre_care_span(raw: &RawProtocol, code: &str) -> Range<usize> {
    raw.plan
        .as_ref()
        .and_then(|p| p.get_ref().pre_care.iter().find(|e| e.get_ref().code.get_ref() == code))
        .map_or(0..0, |e| e.get_ref().code.span())
}
