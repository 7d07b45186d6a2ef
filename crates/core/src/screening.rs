//! Screening: is this person a candidate today, and if not, until when?
//!
//! Every finding, concern, scar type, grade and skin type with a rule gives a reason; the
//! decision is the strictest reason (`not_eligible` > `defer` > `eligible_with_precautions` >
//! `eligible`). A timed finding is judged by its window from `last` to `as_of`. `defer_until` is
//! the day every time-limited deferral has lapsed, and is absent when a deferral lasts until a
//! condition resolves. A person younger than the protocol's `[screening.age]` limit gets the
//! rule for minors, and the result says a guardian's consent is required.

use std::borrow::Cow;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::protocol::{Hold, Protocol, ProtocolIdentity, Rule, Statement};
use crate::request::{FindingEntry, ScreeningRequest};
use crate::vocabulary::Decision;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScreeningResult<'p> {
    pub decision: Decision,
    pub clinician_review_required: bool,
    /// The person is a minor by the protocol's `[screening.age]` rule: a parent's or guardian's
    /// consent is needed before treatment (needlepath addition, protocol 2; the consent records
    /// read it).
    pub guardian_consent_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defer_until: Option<NaiveDate>,
    pub reasons: Vec<Reason<'p>>,
    pub precautions: Vec<&'p Statement>,
    pub as_of: NaiveDate,
    pub protocol: ProtocolIdentity<'p>,
}

/// Why the decision is what it is: one applied rule.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Reason<'p> {
    /// A finding code, or `concern:CODE`, `scar_type:CODE`, `scar_grade:N`, `fitzpatrick:N`,
    /// `age:minor`.
    pub code: Cow<'p, str>,
    pub message: &'p str,
    pub sources: &'p [String],
    pub effect: Decision,
    pub clinician_review: bool,
    /// For a `defer` or `not_eligible` reason: whether a clinician may override it (`relative`)
    /// or only a new screening clears it (`absolute`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold: Option<Hold>,
    /// The finding's date, for timed findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<NaiveDate>,
    /// The first day this reason no longer holds, for time-limited rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

/// The reason code of the rule for minors.
pub const AGE_MINOR: &str = "age:minor";
const GRADES: [&str; 4] = ["scar_grade:1", "scar_grade:2", "scar_grade:3", "scar_grade:4"];
const SKIN_TYPES: [&str; 6] =
    ["fitzpatrick:1", "fitzpatrick:2", "fitzpatrick:3", "fitzpatrick:4", "fitzpatrick:5", "fitzpatrick:6"];

pub fn screen<'p>(p: &'p Protocol, req: &ScreeningRequest) -> ScreeningResult<'p> {
    let mut reasons: Vec<Reason<'p>> = Vec::with_capacity(req.findings.len() + 4);
    let mut precautions: Vec<&'p Statement> = Vec::new();
    let mut add = |reason: Reason<'p>, rule: &'p Rule| {
        for pc in &rule.precautions {
            if !precautions.iter().any(|x| x.code == pc.code) {
                precautions.push(pc);
            }
        }
        reasons.push(reason);
    };

    if let Some(rule) = &p.screening.concerns[req.concern.index()] {
        add(reason(Cow::Owned(format!("concern:{}", req.concern)), rule), rule);
    }
    if let Some(t) = req.scar_type
        && let Some(rule) = &p.screening.scar_types[t.index()]
    {
        add(reason(Cow::Owned(format!("scar_type:{t}")), rule), rule);
    }
    if let Some(g) = req.scar_grade {
        let i = usize::from(g.clamp(1, 4) - 1);
        if let Some(rule) = &p.screening.scar_grades[i] {
            add(reason(Cow::Borrowed(GRADES[i]), rule), rule);
        }
    }
    if let Some(t) = req.fitzpatrick {
        let i = usize::from(t.clamp(1, 6) - 1);
        if let Some(rule) = &p.screening.fitzpatrick[i] {
            add(reason(Cow::Borrowed(SKIN_TYPES[i]), rule), rule);
        }
    }
    let mut guardian_consent_required = false;
    if let (Some(age), Some(minor)) = (req.age_years, &p.screening.age)
        && minor.applies(age)
    {
        guardian_consent_required = true;
        add(reason(Cow::Borrowed(AGE_MINOR), &minor.rule), &minor.rule);
    }
    for entry in merged(&req.findings) {
        if let Some((r, rule)) = judge(p, entry, req.as_of) {
            add(r, rule);
        }
    }

    let decision = reasons.iter().map(|r| r.effect).max().unwrap_or(Decision::Eligible);
    let clinician_review_required = reasons.iter().any(|r| r.clinician_review);
    let defer_until = if decision == Decision::Defer {
        reasons
            .iter()
            .filter(|r| r.effect == Decision::Defer)
            .map(|r| r.until)
            .try_fold(None, |acc: Option<NaiveDate>, u| u.map(|u| Some(acc.map_or(u, |a| a.max(u)))))
            .flatten()
    } else {
        None
    };
    // The strictest reasons first, so a person reads what matters most first.
    reasons.sort_by_key(|r| std::cmp::Reverse(r.effect));
    ScreeningResult {
        decision,
        clinician_review_required,
        guardian_consent_required,
        defer_until,
        reasons,
        precautions,
        as_of: req.as_of,
        protocol: p.identity(),
    }
}

fn reason<'p>(code: Cow<'p, str>, rule: &'p Rule) -> Reason<'p> {
    Reason {
        code,
        message: &rule.message,
        sources: &rule.sources,
        effect: rule.effect,
        clinician_review: rule.clinician_review,
        hold: rule.hold,
        last: None,
        until: None,
    }
}

/// One entry per finding: a finding listed twice counts once, as ongoing if any entry has no
/// date, else with its latest date — the reading that keeps every window longest.
fn merged(findings: &[FindingEntry]) -> impl Iterator<Item = FindingEntry> + '_ {
    findings.iter().enumerate().filter_map(move |(i, e)| {
        if findings[..i].iter().any(|x| x.finding == e.finding) {
            return None;
        }
        let mut out = *e;
        for x in &findings[i + 1..] {
            if x.finding == e.finding {
                out.last = match (out.last, x.last) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
        }
        Some(out)
    })
}

/// Applies a finding's rule for the day `as_of`.
fn judge<'p>(p: &'p Protocol, entry: FindingEntry, as_of: NaiveDate) -> Option<(Reason<'p>, &'p Rule)> {
    let fr = p.finding(entry.finding);
    let code = Cow::Borrowed(entry.finding.as_str());
    // Untimed findings are present whatever date is given: a date never shortens them.
    let (Some(last), Some(window), true) = (entry.last, fr.window_days, entry.finding.is_timed()) else {
        let rule = if entry.last.is_none() || !entry.finding.is_timed() {
            fr.ongoing.as_ref().unwrap_or(&fr.rule)
        } else {
            &fr.rule
        };
        let mut r = reason(code, rule);
        r.last = entry.last.filter(|_| entry.finding.is_timed());
        return Some((r, rule));
    };
    let until = last.checked_add_days(Days::new(u64::from(window))).unwrap_or(NaiveDate::MAX);
    if as_of < until {
        let mut r = reason(code, &fr.rule);
        r.last = Some(last);
        r.until = Some(until);
        Some((r, &fr.rule))
    } else {
        let rule = fr.after.as_ref()?;
        let mut r = reason(code, rule);
        r.last = Some(last);
        Some((r, rule))
    }
}
