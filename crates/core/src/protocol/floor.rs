//! The safety floor: what no protocol may lower.
//!
//! Two layers. The *hard floor* is written here, in code, so that no file can remove it: airway
//! and anaesthetic-toxicity signs are always an emergency, infection and herpes signs always
//! urgent. The *base floor* applies to a clinic protocol checked against the built-in one: a clinic
//! may make any rule stricter and reword any text, but nothing may become less safe.

use std::ops::Range;

use super::location::Problems;
use super::raw::{RawProtocol, S};
use super::{Base, Escalation, FindingRule, Hold, Protocol, Rule, When};
use crate::vocabulary::{Activity, Decision, Disposition, Finding, Symptom};

/// The least urgent disposition each of these symptoms may ever have, whatever a protocol says.
pub const HARD_FLOOR: &[(Symptom, Disposition)] = &[
    (Symptom::ThroatTightness, Disposition::Emergency),
    (Symptom::BreathingDifficulty, Disposition::Emergency),
    (Symptom::LipTongueSwelling, Disposition::Emergency),
    (Symptom::Seizure, Disposition::Emergency),
    (Symptom::MouthNumbness, Disposition::Emergency),
    (Symptom::RingingEars, Disposition::Emergency),
    (Symptom::Faintness, Disposition::Emergency),
    (Symptom::FeelingVeryUnwell, Disposition::Emergency),
    (Symptom::VisionChange, Disposition::Emergency),
    (Symptom::Palpitations, Disposition::Emergency),
    (Symptom::ChestPain, Disposition::Emergency),
    (Symptom::BlueGreyLips, Disposition::Emergency),
    (Symptom::EyeSymptoms, Disposition::UrgentSameDay),
    (Symptom::Blisters, Disposition::UrgentSameDay),
    (Symptom::Pus, Disposition::UrgentSameDay),
    (Symptom::YellowCrust, Disposition::UrgentSameDay),
    (Symptom::SpreadingRedness, Disposition::UrgentSameDay),
    (Symptom::Fever, Disposition::UrgentSameDay),
    (Symptom::Chills, Disposition::UrgentSameDay),
    (Symptom::Hives, Disposition::UrgentSameDay),
    (Symptom::BleedingWontStop, Disposition::UrgentSameDay),
    (Symptom::Rash, Disposition::ContactClinic),
    (Symptom::Lumps, Disposition::ContactClinic),
    (Symptom::DarkPatches, Disposition::ContactClinic),
    (Symptom::LightPatches, Disposition::ContactClinic),
    (Symptom::TrackMarks, Disposition::ContactClinic),
    (Symptom::RaisedScar, Disposition::ContactClinic),
];

/// The least strict screening effect each of these findings may ever have.
pub const HARD_SCREENING_FLOOR: &[(Finding, Decision)] = &[
    (Finding::Pregnant, Decision::Defer),
    (Finding::SkinInfection, Decision::Defer),
    (Finding::ColdSoreActive, Decision::Defer),
    (Finding::OpenWound, Decision::Defer),
    (Finding::PreviousSessionReaction, Decision::Defer),
];

pub(super) fn check_hard_floor(p: &Protocol, raw: &RawProtocol, problems: &mut Problems<'_>) {
    for &(symptom, least) in HARD_FLOOR {
        let got = p.symptom(symptom).base_disposition();
        if got < least {
            let at = symptom_span(raw, symptom).unwrap_or(0..0);
            problems.at(
                &at,
                format!(
                    "red flag '{symptom}' downgraded to '{got}': its floor is '{least}' and no protocol may lower it"
                ),
            );
        }
    }
    for &(finding, least) in HARD_SCREENING_FLOOR {
        let fr = p.finding(finding);
        let got = fr.ongoing.as_ref().unwrap_or(&fr.rule).effect;
        if got < least {
            let at = finding_span(raw, finding).unwrap_or(0..0);
            problems.at(
                &at,
                format!("finding '{finding}' made '{got}': its floor is '{least}' and no protocol may lower it"),
            );
        }
        let rule = fr.ongoing.as_ref().unwrap_or(&fr.rule);
        if got >= least && rule.hold != Some(Hold::Absolute) {
            let at = finding_span(raw, finding).unwrap_or(0..0);
            problems.at(
                &at,
                format!("finding '{finding}' made a relative hold: it is absolute and no protocol may let a clinician override it"),
            );
        }
    }
}

pub(super) fn check_against_base(p: &Protocol, base: &Protocol, raw: &RawProtocol, problems: &mut Problems<'_>) {
    for f in Finding::ALL {
        if let Some(why) = finding_less_safe(p.finding(*f), base.finding(*f)) {
            let at = finding_span(raw, *f).unwrap_or(0..0);
            problems.at(&at, format!("finding '{f}' is less safe than in '{}': {why}", base.id));
        }
    }
    let keyed = [
        ("concern", &p.screening.concerns, &base.screening.concerns),
        ("scar type", &p.screening.scar_types, &base.screening.scar_types),
    ];
    for (what, new, old) in keyed {
        for (i, (n, o)) in new.iter().zip(old.iter()).enumerate() {
            if let Some(why) = optional_rule_less_safe(n.as_ref(), o.as_ref()) {
                problems.at(
                    &raw.screening_span(),
                    format!("{what} rule #{} is less safe than in '{}': {why}", i + 1, base.id),
                );
            }
        }
    }
    for (i, (n, o)) in p.screening.scar_grades.iter().zip(&base.screening.scar_grades).enumerate() {
        if let Some(why) = optional_rule_less_safe(n.as_ref(), o.as_ref()) {
            problems
                .at(&raw.screening_span(), format!("scar grade {} is less safe than in '{}': {why}", i + 1, base.id));
        }
    }
    for (i, (n, o)) in p.screening.fitzpatrick.iter().zip(&base.screening.fitzpatrick).enumerate() {
        if let Some(why) = optional_rule_less_safe(n.as_ref(), o.as_ref()) {
            problems.at(
                &raw.screening_span(),
                format!("Fitzpatrick type {} is less safe than in '{}': {why}", i + 1, base.id),
            );
        }
    }

    for s in Symptom::ALL {
        let (n, o) = (p.symptom(*s), base.symptom(*s));
        let at = || symptom_span(raw, *s).unwrap_or(0..0);
        if n.base_disposition() < o.base_disposition() {
            problems.at(
                &at(),
                format!("symptom '{s}' downgraded from '{}' to '{}'", o.base_disposition(), n.base_disposition()),
            );
        }
        if let (Base::Expected { until_hours: nu, .. }, Base::Expected { until_hours: ou, .. }) = (&n.base, &o.base)
            && nu > ou
        {
            problems.at(&at(), format!("symptom '{s}' is expected for {nu} h, longer than the floor of {ou} h"));
        }
        if let Some((d, nu, ou)) = longer_by_depth(&n.base, &o.base) {
            problems.at(
                &at(),
                format!(
                    "symptom '{s}' is expected for {nu} h after a treatment of {d} mm, longer than the floor of {ou} h (keep the built-in by_depth courses or shorter ones)"
                ),
            );
        }
        for e in &o.escalations {
            let kept = n.escalations.iter().any(|x| {
                x.disposition >= e.disposition
                    && covers(&x.when, &e.when)
                    && window_covers(x, e)
                    && (x.with_symptoms.0 == 0
                        || (e.with_symptoms.0 != 0 && x.with_symptoms.0 & e.with_symptoms.0 == e.with_symptoms.0))
            });
            if kept {
                continue;
            }
            let narrowed = n.escalations.iter().find(|x| x.disposition >= e.disposition && covers(&x.when, &e.when));
            match narrowed {
                Some(x) => problems.at(
                    &at(),
                    format!(
                        "symptom '{s}' narrows the window of the escalation '{}' → '{}' of '{}' (built-in: {}; here: {})",
                        e.when.as_str(),
                        e.disposition,
                        base.id,
                        window(e),
                        window(x)
                    ),
                ),
                None => problems.at(
                    &at(),
                    format!(
                        "symptom '{s}' drops or lowers the escalation '{}' → '{}' of '{}'",
                        e.when.as_str(),
                        e.disposition,
                        base.id
                    ),
                ),
            }
        }
    }
    if p.triage.fever_threshold_c > base.triage.fever_threshold_c {
        problems.at(
            &raw.triage.as_ref().and_then(|t| t.get_ref().fever_threshold_c.as_ref()).map_or(0..0, S::span),
            format!(
                "fever_threshold_c {} is above the floor of {}: fevers would be missed",
                p.triage.fever_threshold_c, base.triage.fever_threshold_c
            ),
        );
    }

    for a in Activity::ALL {
        let (n, o) = (p.activity(*a), base.activity(*a));
        let at = activity_span(raw, *a).unwrap_or(0..0);
        for (what, nv, ov) in [
            ("allowed", n.allowed_from_hours(), o.allowed_from_hours()),
            ("unrestricted", n.unrestricted_from_hours(), o.unrestricted_from_hours()),
        ] {
            if earlier(nv, ov) {
                problems.at(
                    &at,
                    format!(
                        "activity '{a}' would be {what} from {} instead of {}: earlier than the floor",
                        hours(nv),
                        hours(ov)
                    ),
                );
            }
        }
    }
    if p.plan.interval_min_days < base.plan.interval_min_days {
        problems.at(
            &raw.plan.as_ref().and_then(|p| p.get_ref().interval_days.as_ref()).map_or(0..0, S::span),
            format!(
                "interval_days.min {} is shorter than the floor of {} days (a shorter interval is a clinician's choice per plan, not a protocol default)",
                p.plan.interval_min_days, base.plan.interval_min_days
            ),
        );
    }
}

fn hours(h: Option<f64>) -> String {
    h.map_or_else(|| "never".to_owned(), |h| format!("{h} h"))
}

/// Whether `new` allows sooner than `old` (None = never).
fn earlier(new: Option<f64>, old: Option<f64>) -> bool {
    match (new, old) {
        (Some(n), Some(o)) => n < o,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// The first depth at which `new` counts a symptom as normal for longer than `old` does, with
/// both durations. The courses are step functions of the depth, constant between the entries'
/// `max_depth_mm`, so checking at each breakpoint and just above it covers every depth.
fn longer_by_depth(new: &Base, old: &Base) -> Option<(f64, f64, f64)> {
    let (Base::Expected { by_depth: nd, .. }, Base::Expected { by_depth: od, .. }) = (new, old) else {
        return None;
    };
    let mut depths = vec![0.0];
    for c in nd.iter().chain(od) {
        depths.push(c.max_depth_mm);
        depths.push(c.max_depth_mm + 1e-6);
    }
    depths.into_iter().find_map(|d| {
        let (nu, ou) = (new.until_hours(Some(d))?, old.until_hours(Some(d))?);
        (nu > ou).then_some((d, nu, ou))
    })
}

/// Whether escalation `new` is in force at every hour `old` is: it starts no later and ends no
/// sooner (no end is the latest end).
fn window_covers(new: &Escalation, old: &Escalation) -> bool {
    new.after_hours <= old.after_hours
        && match (new.within_hours, old.within_hours) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(n), Some(o)) => n >= o,
        }
}

fn window(e: &Escalation) -> String {
    match e.within_hours {
        Some(w) => format!("{} h to {w} h", e.after_hours),
        None => format!("{} h on", e.after_hours),
    }
}

/// Whether condition `new` fires in at least every case `old` fires (the time windows are
/// compared by [`window_covers`]).
fn covers(new: &When, old: &When) -> bool {
    match (new, old) {
        (When::NotImproving, When::NotImproving | When::Worse) => true,
        (When::WithSymptom(n), When::WithSymptom(o)) => n.0 & o.0 == o.0,
        (When::WithFinding(n), When::WithFinding(o)) => n.0 & o.0 == o.0,
        (When::WithFitzpatrick(n), When::WithFitzpatrick(o)) => n & o == *o,
        // Fires whenever reported: covers every condition.
        (When::Reported, _) => true,
        (n, o) => n == o,
    }
}

pub(super) fn rule_less_safe(new: &Rule, old: &Rule) -> Option<String> {
    if new.effect < old.effect {
        return Some(format!("'{}' instead of '{}'", new.effect, old.effect));
    }
    if old.hold == Some(Hold::Absolute) && new.hold == Some(Hold::Relative) {
        return Some("an absolute hold was made relative (a clinician could override it)".to_owned());
    }
    if old.clinician_review && !new.clinician_review {
        return Some("clinician review was required and no longer is".to_owned());
    }
    None
}

fn optional_rule_less_safe(new: Option<&Rule>, old: Option<&Rule>) -> Option<String> {
    match (new, old) {
        (_, None) => None,
        (None, Some(o)) => Some(format!("the rule ('{}') was removed", o.effect)),
        (Some(n), Some(o)) => rule_less_safe(n, o),
    }
}

fn finding_less_safe(new: &FindingRule, old: &FindingRule) -> Option<String> {
    let ongoing = |f: &FindingRule| f.ongoing.clone().unwrap_or_else(|| f.rule.clone());
    if let Some(why) = rule_less_safe(&ongoing(new), &ongoing(old)) {
        return Some(format!("while ongoing: {why}"));
    }
    if let Some(why) = rule_less_safe(&new.rule, &old.rule) {
        return Some(why);
    }
    match (new.window_days, old.window_days) {
        (Some(n), Some(o)) if n < o => {
            return Some(format!("window of {n} days is shorter than {o}"));
        }
        (Some(_), None) => return Some("a window was added to a rule that had none".to_owned()),
        _ => {}
    }
    if new.window_days.is_some() {
        // After the window: the new `after` must be at least as strict as the old one.
        match (&new.after, &old.after) {
            (None, Some(o)) if o.effect > Decision::Eligible || o.clinician_review => {
                return Some(format!("the rule after the window ('{}') was removed", o.effect));
            }
            (Some(n), Some(o)) => {
                return rule_less_safe(n, o).map(|w| format!("after the window: {w}"));
            }
            _ => {}
        }
    }
    None
}

fn symptom_span(raw: &RawProtocol, s: Symptom) -> Option<Range<usize>> {
    let t = raw.triage.as_ref()?;
    t.get_ref().symptoms.iter().find(|e| e.get_ref().code.get_ref() == s.as_str()).map(|e| e.get_ref().code.span())
}

fn finding_span(raw: &RawProtocol, f: Finding) -> Option<Range<usize>> {
    raw.screening.findings.iter().find(|e| e.get_ref().code.get_ref() == f.as_str()).map(|e| e.get_ref().code.span())
}

fn activity_span(raw: &RawProtocol, a: Activity) -> Option<Range<usize>> {
    raw.activities.iter().find(|e| e.get_ref().code.get_ref() == a.as_str()).map(|e| e.get_ref().code.span())
}

impl RawProtocol {
    fn screening_span(&self) -> Range<usize> {
        let s = &self.screening;
        s.concerns
            .first()
            .map(S::span)
            .or_else(|| s.scar_types.first().map(S::span))
            .or_else(|| s.scar_grades.first().map(S::span))
            .or_else(|| s.fitzpatrick.first().map(S::span))
            .unwrap_or(0..0)
    }
}
