//! Screening rules: findings with their windows, concerns, scar types, grades and skin types.

use std::collections::HashMap;
use std::ops::Range;

use super::Builder;
use crate::protocol::raw::*;
use crate::protocol::*;
use crate::vocabulary::{Concern, ScarType};

impl Builder<'_> {
    pub(super) fn screening(&mut self, raw: &RawScreening, inherit: Option<&Protocol>) -> Option<ScreeningRules> {
        let mut findings: Vec<Option<FindingRule>> = match inherit {
            Some(b) => b.screening.findings.iter().cloned().map(Some).collect(),
            None => vec![None; Finding::ALL.len()],
        };
        let mut seen: HashMap<Finding, Range<usize>> = HashMap::new();
        for entry in &raw.findings {
            let r = entry.get_ref();
            let Some(code) = self.code(&r.code, Finding::parse) else {
                continue;
            };
            if self.duplicate(&mut seen, code, &r.code, "finding") {
                continue;
            }
            if !code.is_timed() {
                for (present, name) in [
                    (r.window_days.as_ref().map(S::span), "window_days"),
                    (r.after.as_ref().map(S::span), "after"),
                    (r.ongoing.as_ref().map(S::span), "ongoing"),
                ] {
                    if let Some(span) = present {
                        self.p.at(&span, format!("finding '{code}' is not timed, so it cannot have {name}"));
                    }
                }
            }
            let window_days = r.window_days.as_ref().and_then(|w| {
                let v = *w.get_ref();
                if v < 1 {
                    self.p.at(
                        &w.span(),
                        format!("window_days is {v}: a window that ends before it starts; it must be at least 1"),
                    );
                }
                u32::try_from(v).ok().filter(|v| *v >= 1)
            });
            if let (Some(after), None) = (&r.after, &r.window_days) {
                self.p.at(&after.span(), "`after` needs window_days: it applies once the window has passed");
            }
            let rule = self.rule(r.rule(), &entry.span());
            let after = r.after.as_ref().and_then(|a| self.rule(a.get_ref().into(), &a.span()));
            let ongoing = r.ongoing.as_ref().and_then(|a| self.rule(a.get_ref().into(), &a.span()));
            if let Some(rule) = rule {
                findings[code.index()] = Some(FindingRule { finding: code, rule, window_days, after, ongoing });
            }
        }
        let findings = self.complete(findings, Finding::ALL, "finding")?;

        let concerns = self.keyed(
            &raw.concerns,
            inherit.map(|b| b.screening.concerns.clone()),
            Concern::ALL.len(),
            |b, r| b.code(&r.code, Concern::parse).map(Concern::index),
            "concern",
        );
        let scar_types = self.keyed(
            &raw.scar_types,
            inherit.map(|b| b.screening.scar_types.clone()),
            ScarType::ALL.len(),
            |b, r| b.code(&r.code, ScarType::parse).map(ScarType::index),
            "scar type",
        );

        let mut scar_grades: [Option<Rule>; 4] = inherit.map(|b| b.screening.scar_grades.clone()).unwrap_or_default();
        let mut seen_grades: HashMap<usize, Range<usize>> = HashMap::new();
        for entry in &raw.scar_grades {
            let r = entry.get_ref();
            let g = *r.grade.get_ref();
            if !(1..=4).contains(&g) {
                self.p.at(&r.grade.span(), format!("scar grade {g} does not exist; accepted: 1, 2, 3, 4"));
                continue;
            }
            let i = usize::try_from(g - 1).unwrap_or(0);
            if self.duplicate(&mut seen_grades, i, &r.grade, "scar grade") {
                continue;
            }
            scar_grades[i] = self.rule(r.rule(), &entry.span());
        }

        let mut fitzpatrick: [Option<Rule>; 6] = inherit.map(|b| b.screening.fitzpatrick.clone()).unwrap_or_default();
        let mut seen_types: HashMap<usize, Range<usize>> = HashMap::new();
        for entry in &raw.fitzpatrick {
            let r = entry.get_ref();
            if r.types.get_ref().is_empty() {
                self.p.at(&r.types.span(), "types must list at least one Fitzpatrick type (1-6)");
            }
            let rule = self.rule(r.rule(), &entry.span());
            for &t in r.types.get_ref() {
                if !(1..=6).contains(&t) {
                    self.p.at(&r.types.span(), format!("Fitzpatrick type {t} does not exist; accepted: 1-6"));
                    continue;
                }
                let i = usize::try_from(t - 1).unwrap_or(0);
                if self.duplicate(&mut seen_types, i, &r.types, "Fitzpatrick type") {
                    continue;
                }
                fitzpatrick[i].clone_from(&rule);
            }
        }
        Some(ScreeningRules { findings, concerns, scar_types, scar_grades, fitzpatrick })
    }

    pub(super) fn keyed(
        &mut self,
        raw: &[S<RawKeyedRule>],
        inherited: Option<Vec<Option<Rule>>>,
        len: usize,
        key: fn(&mut Self, &RawKeyedRule) -> Option<usize>,
        what: &str,
    ) -> Vec<Option<Rule>> {
        let mut out = inherited.unwrap_or_else(|| vec![None; len]);
        let mut seen: HashMap<usize, Range<usize>> = HashMap::new();
        for entry in raw {
            let r = entry.get_ref();
            let Some(i) = key(self, r) else { continue };
            if self.duplicate(&mut seen, i, &r.code, what) {
                continue;
            }
            out[i] = self.rule(r.rule(), &entry.span());
        }
        out
    }

    pub(super) fn rule(&mut self, r: RawRuleRef<'_>, at: &Range<usize>) -> Option<Rule> {
        let effect = self.code(r.effect, Decision::parse);
        let message = self.non_empty(r.message, "message");
        let sources = self.cite(r.sources, at);
        let evidence = self.evidence(r.evidence);
        let precautions = r.precautions.iter().map(|s| self.statement(s)).collect();
        Some(Rule {
            effect: effect?,
            clinician_review: r.clinician_review,
            message,
            sources,
            evidence,
            note: r.note.cloned(),
            precautions,
        })
    }
}
