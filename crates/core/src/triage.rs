//! Check-in triage: is what the patient reports part of normal healing, and if not, how urgent?
//!
//! Each symptom is judged against its expected course at `hours_since_treatment`, with its
//! severity and trend, the other symptoms reported and the patient's background findings. A
//! measured temperature at or above the protocol's threshold counts as `fever`. The disposition
//! is the most urgent over all assessments: one red flag decides, whatever else is reported, and
//! nothing reported can lower what another symptom raised.
//!
//! A `contact_clinic` answer also says how soon (`contact_tier`): each rule that gives
//! `contact_clinic` carries a tier (`soon` unless the protocol says `days`), and the answer's
//! headline follows the most urgent tier reported. Every answer below an emergency opens with the
//! protocol's conditional emergency clause (`emergency_if`: "Call emergency services if …").

use serde::{Serialize, Serializer};

use crate::protocol::{Base, Escalation, Protocol, ProtocolIdentity, Statement, SymptomRule, SymptomSet, Tier, When};
use crate::request::{CheckIn, Report};
use crate::vocabulary::{Disposition, Severity, Status, Symptom, Trend};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TriageResult<'p> {
    pub disposition: Disposition,
    /// Most urgent first.
    pub assessments: Vec<Assessment<'p>>,
    /// The disposition's own advice first (for an emergency: call emergency services), then the
    /// advice for the symptoms reported.
    pub advice: Vec<&'p Statement>,
    /// For a `contact_clinic` answer: how soon, the most urgent tier over its assessments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_tier: Option<Tier>,
    /// Below an emergency: "Call emergency services if …", with the signs as points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_if: Option<&'p Statement>,
    #[serde(serialize_with = "crate::hours::serialize")]
    pub hours_since_treatment: f64,
    pub protocol: ProtocolIdentity<'p>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Assessment<'p> {
    pub symptom: Symptom,
    pub status: Status,
    pub disposition: Disposition,
    /// For `contact_clinic`: how soon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    pub message: &'p str,
    pub sources: &'p [String],
    /// As reported, or severe when the patient did not say (see `severity_assumed`).
    pub severity: Severity,
    /// True when the patient did not say how bad it is and it was assessed as severe.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub severity_assumed: bool,
    /// As reported, or `worse` when the patient did not say from 48 h on (see `trend_assumed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trend: Option<Trend>,
    /// True when the patient did not say whether it is getting better or worse, the symptom has
    /// a "getting worse" rule, and it was assessed as getting worse (from 48 h after the session).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub trend_assumed: bool,
    /// Set when the assessment comes from a measured temperature rather than a reported symptom.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_temperature")]
    pub temperature_c: Option<f64>,
}

fn opt_temperature<S: Serializer>(t: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_f64(*t),
        None => s.serialize_none(),
    }
}

pub fn triage<'p>(p: &'p Protocol, c: &CheckIn) -> TriageResult<'p> {
    let fever_measured = c.temperature_c.filter(|t| *t >= p.triage.fever_threshold_c);
    let mut present = SymptomSet::default();
    for r in &c.symptoms {
        present.insert(r.symptom);
    }
    if fever_measured.is_some() {
        present.insert(Symptom::Fever);
    }

    let mut assessments: Vec<Assessment<'p>> = Vec::with_capacity(c.symptoms.len() + 1);
    for r in &c.symptoms {
        assessments.push(assess(p.symptom(r.symptom), r, c, present));
    }
    if let Some(t) = fever_measured
        && !c.symptoms.iter().any(|r| r.symptom == Symptom::Fever)
    {
        let r = Report { symptom: Symptom::Fever, severity: Some(Severity::Moderate), trend: None };
        let mut a = assess(p.symptom(Symptom::Fever), &r, c, present);
        a.temperature_c = Some(t);
        assessments.push(a);
    }
    assessments.sort_by_key(|a| std::cmp::Reverse(a.disposition));

    let disposition = assessments.iter().map(|a| a.disposition).max().unwrap_or(Disposition::SelfCare);
    let contact_tier = (disposition == Disposition::ContactClinic)
        .then(|| assessments.iter().filter_map(|a| a.tier).max().unwrap_or(Tier::Soon));
    let mut advice: Vec<&'p Statement> = Vec::with_capacity(4);
    advice.push(match (contact_tier, &p.triage.contact_days_advice) {
        (Some(Tier::Days), Some(days)) => days,
        _ => &p.triage.disposition_advice[disposition.index()],
    });
    for a in &assessments {
        for s in &p.symptom(a.symptom).advice {
            if !advice.iter().any(|x| x.code == s.code) {
                advice.push(s);
            }
        }
    }
    TriageResult {
        disposition,
        assessments,
        advice,
        contact_tier,
        emergency_if: if disposition < Disposition::Emergency { p.triage.emergency_if.as_ref() } else { None },
        hours_since_treatment: c.hours_since_treatment,
        protocol: p.identity(),
    }
}

/// Judges one reported symptom: its base, then every escalation that fires; the most urgent wins,
/// and on a tie the first written (the base before any escalation).
fn assess<'p>(rule: &'p SymptomRule, r: &Report, c: &CheckIn, present: SymptomSet) -> Assessment<'p> {
    let h = c.hours_since_treatment;
    let reads_trend = rule.escalations.iter().any(|e| e.when.reads_trend());
    let trend_assumed = reads_trend && r.trend_assumed(h);
    let trend = if trend_assumed { r.assessed_trend(h) } else { r.trend };
    let (mut disposition, mut message, mut sources) = match &rule.base {
        Base::Expected { message, sources, .. } => (Disposition::SelfCare, message.as_str(), sources.as_slice()),
        Base::Outside { disposition, message, sources } | Base::RedFlag { disposition, message, sources } => {
            (*disposition, message.as_str(), sources.as_slice())
        }
    };
    let mut tier = rule.base_tier;
    for e in &rule.escalations {
        if fires(e, rule, r, trend, c, present) {
            if e.disposition > disposition {
                disposition = e.disposition;
                message = &e.message;
                sources = &e.sources;
                tier = e.tier;
            } else if e.disposition == Disposition::ContactClinic && disposition == Disposition::ContactClinic {
                // Two contact-clinic rules: the more urgent tier holds (the message stays);
                // no tier is `soon`.
                tier = match (tier, e.tier) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
        }
    }
    // Past its maximum-normal duration a symptom is never reported as expected, even if a
    // protocol's escalations said nothing about it (the loader requires them to; this is the
    // engine's own guard).
    if let Some(until_hours) = rule.base.until_hours(depth(c))
        && h > until_hours
    {
        disposition = disposition.max(Disposition::ContactClinic);
    }
    Assessment {
        symptom: r.symptom,
        status: Status::of(disposition),
        disposition,
        // A rule without a tier is `soon`: the conservative side.
        tier: (disposition == Disposition::ContactClinic).then(|| tier.unwrap_or(Tier::Soon)),
        message,
        sources,
        severity: r.assessed_severity(),
        severity_assumed: r.severity.is_none(),
        trend,
        trend_assumed,
        temperature_c: None,
    }
}

fn depth(c: &CheckIn) -> Option<f64> {
    c.session.as_ref().and_then(|s| s.depth_mm)
}

/// Whether escalation `e` fires for report `r`, assessed at `trend` (as reported or assumed).
fn fires(
    e: &Escalation,
    rule: &SymptomRule,
    r: &Report,
    trend: Option<Trend>,
    c: &CheckIn,
    present: SymptomSet,
) -> bool {
    let h = c.hours_since_treatment;
    if !e.in_window(h) || (e.with_symptoms.0 != 0 && !present.intersects(e.with_symptoms)) {
        return false;
    }
    match &e.when {
        When::BeyondExpected => rule.base.until_hours(depth(c)).is_some_and(|until| h > until),
        When::Worse => trend == Some(Trend::Worse),
        When::NotImproving => matches!(trend, Some(Trend::Same | Trend::Worse)),
        When::Severe => r.assessed_severity() == Severity::Severe,
        When::WithSymptom(set) => present.intersects(*set),
        When::WithFinding(set) => c.findings.intersects(*set),
        When::AfterNumbing => c.session.as_ref().is_some_and(|s| s.numbing),
        When::Reported => true,
        When::WithFitzpatrick(types) => {
            c.fitzpatrick.is_some_and(|t| (1..=6).contains(&t) && types & (1 << (t - 1)) != 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run(j: serde_json::Value) -> TriageResult<'static> {
        static P: std::sync::OnceLock<Protocol> = std::sync::OnceLock::new();
        let p = P.get_or_init(|| Protocol::builtin().unwrap_or_else(|e| panic!("{e:?}")));
        triage(p, &CheckIn::from_json(&j).unwrap_or_else(|e| panic!("{e:?}")))
    }

    /// The pain assessment's (disposition, trend, trend_assumed).
    fn pain(r: &TriageResult<'_>) -> (Disposition, Option<Trend>, bool) {
        let a = r.assessments.iter().find(|a| a.symptom == Symptom::Pain);
        a.map(|a| (a.disposition, a.trend, a.trend_assumed)).unwrap_or_else(|| panic!("no pain assessment"))
    }

    #[test]
    fn a_missing_trend_is_assumed_worse_from_48_hours_and_says_so() {
        let r = run(json!({"hours_since_treatment": 48, "symptoms": [{"code": "pain", "severity": "mild"}]}));
        assert_eq!(pain(&r), (Disposition::UrgentSameDay, Some(Trend::Worse), true));
        let v = serde_json::to_value(&r.assessments[0]).unwrap_or_default();
        assert_eq!(v["trend_assumed"], true, "{v}");
    }

    #[test]
    fn before_48_hours_nothing_is_assumed() {
        let r = run(json!({"hours_since_treatment": 47.9, "symptoms": [{"code": "pain", "severity": "mild"}]}));
        assert_eq!(pain(&r), (Disposition::SelfCare, None, false));
        let v = serde_json::to_value(&r.assessments[0]).unwrap_or_default();
        assert!(v.get("trend_assumed").is_none(), "{v}");
    }

    #[test]
    fn a_given_trend_is_never_assumed() {
        let r = run(
            json!({"hours_since_treatment": 60, "symptoms": [{"code": "pain", "severity": "mild", "trend": "improving"}]}),
        );
        assert_eq!(pain(&r), (Disposition::SelfCare, Some(Trend::Improving), false));
    }

    #[test]
    fn a_symptom_without_getting_worse_rules_assumes_nothing() {
        // Scabs have no getting-worse rule: nothing to assume, nothing said.
        let r = run(json!({"hours_since_treatment": 60, "symptoms": [{"code": "scabs", "severity": "mild"}]}));
        assert!(!r.assessments[0].trend_assumed);
        assert_eq!(r.assessments[0].trend, None);
    }

    #[test]
    fn the_numbing_window_closes_at_12_hours() {
        let at = |h: f64, numbing: bool| {
            run(json!({"hours_since_treatment": h, "symptoms": [{"code": "tingling", "severity": "mild"}],
                       "session": {"numbing": numbing}}))
            .disposition
        };
        assert_eq!(at(0.0, true), Disposition::Emergency);
        assert_eq!(at(11.99, true), Disposition::Emergency);
        assert_eq!(at(12.0, true), Disposition::ContactClinic);
        assert_eq!(at(2.0, false), Disposition::UrgentSameDay);
    }

    #[test]
    fn with_symptoms_needs_the_other_symptom() {
        let alone = run(
            json!({"hours_since_treatment": 60, "symptoms": [{"code": "tightness", "severity": "mild", "trend": "worse"}]}),
        );
        assert_eq!(alone.disposition, Disposition::SelfCare);
        let fever = run(json!({"hours_since_treatment": 60, "temperature_c": 38.5,
                               "symptoms": [{"code": "tightness", "severity": "mild", "trend": "worse"}]}));
        assert!(fever.disposition >= Disposition::UrgentSameDay);
        let warm = run(json!({"hours_since_treatment": 60,
                              "symptoms": [{"code": "tightness", "severity": "mild", "trend": "worse"},
                                           {"code": "warmth", "severity": "mild", "trend": "same"}]}));
        let t = warm.assessments.iter().find(|a| a.symptom == Symptom::Tightness).map(|a| a.disposition);
        assert_eq!(t, Some(Disposition::UrgentSameDay));
    }
}
