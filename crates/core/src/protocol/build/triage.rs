//! Triage rules: the fever threshold, the advice per disposition and every symptom's course,
//! red flags and escalations.

use std::collections::HashMap;
use std::ops::Range;

use super::{Builder, WHENS};
use crate::protocol::raw::*;
use crate::protocol::*;
use crate::suggest::nearest;

impl Builder<'_> {
    pub(super) fn triage(&mut self, raw: Option<&S<RawTriage>>, inherit: Option<&Protocol>) -> Option<TriageRules> {
        let base = inherit.map(|b| &b.triage);
        let empty = RawTriage::default();
        let (r, at) = raw.map_or((&empty, 0..0), |t| (t.get_ref(), t.span()));
        self.evidence(r.fever_evidence.as_ref());

        let fever_threshold_c = match (&r.fever_threshold_c, base) {
            (Some(t), _) => {
                let v = *t.get_ref();
                if !(36.0..=41.0).contains(&v) {
                    self.p.at(&t.span(), format!("fever_threshold_c is {v}; accepted: 36.0 to 41.0 °C"));
                }
                v
            }
            (None, Some(b)) => b.fever_threshold_c,
            (None, None) => {
                self.p.whole("[triage] needs fever_threshold_c");
                38.0
            }
        };
        let fever_sources = match (&r.fever_sources, base) {
            (Some(s), _) => self.cite(s, &at),
            (None, Some(b)) => b.fever_sources.clone(),
            (None, None) => {
                self.p.whole("[triage] needs fever_sources");
                Vec::new()
            }
        };

        let mut advice: Vec<Option<Statement>> = match base {
            Some(b) => b.disposition_advice.iter().cloned().map(Some).collect(),
            None => vec![None; Disposition::ALL.len()],
        };
        let mut contact_days_advice = base.and_then(|b| b.contact_days_advice.clone());
        let emergency_if = match &r.emergency_if {
            Some(s) => Some(self.statement(s)),
            None => base.and_then(|b| b.emergency_if.clone()),
        };
        let mut seen: HashMap<Disposition, Range<usize>> = HashMap::new();
        for entry in &r.dispositions {
            let e = entry.get_ref();
            let Some(d) = self.disposition(&e.code) else {
                continue;
            };
            if self.duplicate(&mut seen, d, &e.code, "disposition") {
                continue;
            }
            advice[d.index()] = Some(self.statement(&e.advice));
            self.contact_days(d, e.days.as_ref(), &mut contact_days_advice);
        }
        let disposition_advice = self.complete(advice, Disposition::ALL, "triage disposition");

        let mut symptoms: Vec<Option<SymptomRule>> = match base {
            Some(b) => b.symptoms.iter().cloned().map(Some).collect(),
            None => vec![None; Symptom::ALL.len()],
        };
        let mut seen: HashMap<Symptom, Range<usize>> = HashMap::new();
        for entry in &r.symptoms {
            let e = entry.get_ref();
            let Some(code) = self.code(&e.code, Symptom::parse) else {
                continue;
            };
            if self.duplicate(&mut seen, code, &e.code, "symptom") {
                continue;
            }
            if let Some(rule) = self.symptom(code, entry) {
                symptoms[code.index()] = Some(rule);
            }
        }
        let symptoms = self.complete(symptoms, Symptom::ALL, "symptom");
        Some(TriageRules {
            fever_threshold_c,
            fever_sources,
            disposition_advice: disposition_advice?,
            contact_days_advice,
            emergency_if,
            symptoms: symptoms?,
        })
    }

    pub(super) fn symptom(&mut self, code: Symptom, entry: &S<RawSymptomRule>) -> Option<SymptomRule> {
        let e = entry.get_ref();
        let given = [e.expected.is_some(), e.outside.is_some(), e.red_flag.is_some()];
        if given.iter().filter(|g| **g).count() != 1 {
            self.p.at(&e.code.span(), format!("symptom '{code}' needs exactly one of expected, outside or red_flag"));
            return None;
        }
        let mut base_tier = None;
        let base = if let Some(x) = &e.expected {
            let x_ = x.get_ref();
            self.evidence(x_.evidence.as_ref());
            let until_hours = self.hours(&x_.until_hours, "until_hours");
            let typical_hours = x_.typical_hours.as_ref().map(|t| self.hours(t, "typical_hours"));
            if until_hours <= 0.0 {
                self.p
                    .at(&x_.until_hours.span(), "until_hours must be more than 0: a window that ends before it starts");
            }
            if let (Some(t), Some(ts)) = (typical_hours, &x_.typical_hours)
                && t > until_hours
            {
                self.p.at(
                    &ts.span(),
                    format!(
                        "typical_hours ({t}) is after until_hours ({until_hours}): a window that ends before it starts"
                    ),
                );
            }
            let by_depth = self.by_depth(&x_.by_depth, until_hours);
            Base::Expected {
                until_hours,
                typical_hours,
                message: self.non_empty(&x_.message, "message"),
                sources: self.cite(&x_.sources, &x.span()),
                by_depth,
            }
        } else {
            let (fixed, red) = match (&e.outside, &e.red_flag) {
                (Some(o), _) => (o, false),
                (None, Some(r)) => (r, true),
                (None, None) => return None,
            };
            let f = fixed.get_ref();
            self.evidence(f.evidence.as_ref());
            let disposition = self.disposition(&f.disposition)?;
            let least = if red { Disposition::UrgentSameDay } else { Disposition::ContactClinic };
            if disposition < least {
                self.p.at(
                    &f.disposition.span(),
                    format!(
                        "{} '{code}' cannot be '{disposition}'; it must be at least '{least}'",
                        if red { "red flag" } else { "a sign outside the expected course" }
                    ),
                );
            }
            let message = self.non_empty(&f.message, "message");
            let sources = self.cite(&f.sources, &fixed.span());
            base_tier = self.tier(f.tier.as_ref(), disposition);
            if red {
                Base::RedFlag { disposition, message, sources }
            } else {
                Base::Outside { disposition, message, sources }
            }
        };
        let floor_disposition = match &base {
            Base::Expected { .. } => Disposition::SelfCare,
            Base::Outside { disposition, .. } | Base::RedFlag { disposition, .. } => *disposition,
        };
        let mut escalations = Vec::with_capacity(e.escalations.len());
        for x in &e.escalations {
            if let Some(esc) = self.escalation(code, x, &base, floor_disposition) {
                escalations.push(esc);
            }
        }
        if matches!(base, Base::Expected { .. })
            && !escalations.iter().any(|x: &Escalation| matches!(x.when, When::BeyondExpected))
        {
            self.p.at(
                &e.code.span(),
                format!("symptom '{code}' has an expected course but no 'beyond_expected' escalation: say what to do when it lasts too long"),
            );
        }
        let advice = e.advice.iter().map(|a| self.statement(a)).collect();
        Some(SymptomRule {
            symptom: code,
            base,
            escalations,
            advice,
            evidence: self.evidence(e.evidence.as_ref()),
            note: e.note.clone(),
            base_tier,
        })
    }

    pub(super) fn escalation(
        &mut self,
        code: Symptom,
        x: &S<RawEscalation>,
        base: &Base,
        floor: Disposition,
    ) -> Option<Escalation> {
        let r = x.get_ref();
        self.evidence(r.evidence.as_ref());
        let disposition = self.disposition(&r.disposition);
        let message = self.non_empty(&r.message, "message");
        let sources = self.cite(&r.sources, &x.span());
        let after_hours = r.after_hours.as_ref().map_or(0.0, |h| self.hours(h, "after_hours"));
        let within_hours = r.within_hours.as_ref().map(|h| {
            let v = self.hours(h, "within_hours");
            if v.is_finite() && v <= after_hours {
                self.p.at(
                    &h.span(),
                    format!(
                        "within_hours ({v}) must be more than after_hours ({after_hours}): a window that ends before it starts"
                    ),
                );
            }
            v
        });
        let mut with_symptoms = SymptomSet::default();
        for s in &r.with_symptoms {
            if let Some(s) = self.code(s, Symptom::parse) {
                with_symptoms.insert(s);
            }
        }
        let when_name = r.when.get_ref().as_str();
        if !r.types.is_empty() && when_name != "with_fitzpatrick" {
            self.p
                .at(&r.when.span(), format!("types = [...] is only read by 'with_fitzpatrick', not by '{when_name}'"));
        }
        if !r.symptoms.is_empty() && when_name != "with_symptom" {
            self.p.at(&r.when.span(), format!("symptoms = [...] is only read by 'with_symptom', not by '{when_name}'"));
        }
        if !r.findings.is_empty() && when_name != "with_finding" {
            self.p.at(&r.when.span(), format!("findings = [...] is only read by 'with_finding', not by '{when_name}'"));
        }
        let when = match when_name {
            "beyond_expected" => {
                if !matches!(base, Base::Expected { .. }) {
                    self.p.at(
                        &r.when.span(),
                        format!("'beyond_expected' needs an expected course, and symptom '{code}' has none"),
                    );
                }
                When::BeyondExpected
            }
            "worse" => When::Worse,
            "not_improving" => When::NotImproving,
            "severe" => When::Severe,
            "after_numbing" => When::AfterNumbing,
            "reported" => {
                if r.after_hours.is_none() && r.within_hours.is_none() {
                    self.p.at(
                        &r.when.span(),
                        "'reported' needs after_hours or within_hours: without a window, say it in the symptom's own disposition",
                    );
                }
                When::Reported
            }
            "with_fitzpatrick" => {
                let mut mask = 0u8;
                if r.types.is_empty() {
                    self.p.at(&r.when.span(), "'with_fitzpatrick' needs types = [...] (1 to 6)");
                }
                for t in &r.types {
                    match u8::try_from(*t.get_ref()) {
                        Ok(v @ 1..=6) => mask |= 1 << (v - 1),
                        _ => self.p.at(&t.span(), format!("Fitzpatrick type {}; accepted: 1 to 6", t.get_ref())),
                    }
                }
                When::WithFitzpatrick(mask)
            }
            "with_symptom" => {
                let mut set = SymptomSet::default();
                if r.symptoms.is_empty() {
                    self.p.at(&r.when.span(), "'with_symptom' needs symptoms = [...]");
                }
                for s in &r.symptoms {
                    if let Some(s) = self.code(s, Symptom::parse) {
                        set.insert(s);
                    }
                }
                When::WithSymptom(set)
            }
            "with_finding" => {
                let mut set = FindingSet::default();
                if r.findings.is_empty() {
                    self.p.at(&r.when.span(), "'with_finding' needs findings = [...]");
                }
                for f in &r.findings {
                    if let Some(f) = self.code(f, Finding::parse) {
                        set.insert(f);
                    }
                }
                When::WithFinding(set)
            }
            other => {
                let hint = nearest(other, WHENS).map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default();
                self.p.at(&r.when.span(), format!("unknown when '{other}'{hint}; accepted: {}", WHENS.join(", ")));
                return None;
            }
        };
        let disposition = disposition?;
        if disposition < floor {
            self.p.at(
                &r.disposition.span(),
                format!("escalation to '{disposition}' is below the symptom's own '{floor}': an escalation may only raise it"),
            );
        }
        let tier = self.tier(r.tier.as_ref(), disposition);
        Some(Escalation { when, after_hours, within_hours, with_symptoms, disposition, message, sources, tier })
    }

    /// The shorter courses after shallower treatments: depths in 0–3 mm, strictly increasing,
    /// each course no longer than the full one (a depth may only shorten what counts as normal).
    fn by_depth(&mut self, raw: &[S<RawDepthCourse>], until_full: f64) -> Vec<DepthCourse> {
        let mut out: Vec<DepthCourse> = Vec::with_capacity(raw.len());
        for entry in raw {
            let d = entry.get_ref();
            self.evidence(d.evidence.as_ref());
            let max_depth_mm = *d.max_depth_mm.get_ref();
            let (lo, hi) = crate::request::DEPTH_MM;
            if !max_depth_mm.is_finite() || max_depth_mm <= lo || max_depth_mm > hi {
                self.p.at(
                    &d.max_depth_mm.span(),
                    format!("max_depth_mm is {max_depth_mm}; accepted: more than {lo} and up to {hi} mm"),
                );
            }
            if let Some(prev) = out.last()
                && max_depth_mm <= prev.max_depth_mm
            {
                self.p.at(
                    &d.max_depth_mm.span(),
                    format!(
                        "by_depth entries must have increasing max_depth_mm ({max_depth_mm} after {})",
                        prev.max_depth_mm
                    ),
                );
            }
            let until_hours = self.hours(&d.until_hours, "until_hours");
            if until_hours <= 0.0 || until_hours > until_full {
                self.p.at(
                    &d.until_hours.span(),
                    format!("by_depth until_hours is {until_hours}; accepted: more than 0 and up to the full course's {until_full} h"),
                );
            }
            let typical_hours = d.typical_hours.as_ref().map(|t| self.hours(t, "typical_hours"));
            if let (Some(t), Some(ts)) = (typical_hours, &d.typical_hours)
                && t > until_hours
            {
                self.p.at(&ts.span(), format!("typical_hours ({t}) is after until_hours ({until_hours})"));
            }
            let sources = self.cite(&d.sources, &entry.span());
            out.push(DepthCourse { max_depth_mm, until_hours, typical_hours, sources });
        }
        out
    }

    pub(super) fn disposition(&mut self, s: &S<String>) -> Option<Disposition> {
        self.code(s, Disposition::parse)
    }
}
