//! Screening rules: findings with their windows, concerns, scar types, grades and skin types.

use std::collections::HashMap;
use std::ops::Range;

use super::Builder;
use crate::protocol::floor;
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
            // A clinic's rule that does not mark its hold keeps the base's (see `rule`).
            let base = inherit.map(|b| b.finding(code));
            let held = |r: Option<&Rule>| r.and_then(|r| r.hold);
            let rule = self.rule(r.rule(), &entry.span(), held(base.map(|b| &b.rule)));
            let after = r
                .after
                .as_ref()
                .and_then(|a| self.rule(a.get_ref().into(), &a.span(), held(base.and_then(|b| b.after.as_ref()))));
            let ongoing = r.ongoing.as_ref().and_then(|a| {
                let inherited = base.map(|b| b.ongoing.as_ref().unwrap_or(&b.rule));
                self.rule(a.get_ref().into(), &a.span(), held(inherited))
            });
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
            scar_grades[i] = self.rule(r.rule(), &entry.span(), None);
        }

        let mut fitzpatrick: [Option<Rule>; 6] = inherit.map(|b| b.screening.fitzpatrick.clone()).unwrap_or_default();
        let mut seen_types: HashMap<usize, Range<usize>> = HashMap::new();
        for entry in &raw.fitzpatrick {
            let r = entry.get_ref();
            if r.types.get_ref().is_empty() {
                self.p.at(&r.types.span(), "types must list at least one Fitzpatrick type (1-6)");
            }
            let rule = self.rule(r.rule(), &entry.span(), None);
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
        let age = self.age(raw.age.as_ref(), inherit);
        Some(ScreeningRules { findings, concerns, scar_types, scar_grades, fitzpatrick, age })
    }

    /// `[screening.age]`, the rule for minors: required in a protocol that stands alone; its age
    /// limit within [`AgeRule::LIMITS`]; never `eligible`, always with clinician review and the
    /// `guardian_consent` precaution; a clinic may raise the limit or tighten the rule, never the
    /// reverse.
    fn age(&mut self, raw: Option<&S<RawAgeRule>>, inherit: Option<&Protocol>) -> Option<AgeRule> {
        let base = inherit.and_then(|b| b.screening.age.as_ref());
        let Some(entry) = raw else {
            if base.is_none() && !self.clinic {
                self.p.at(
                    &(0..0),
                    "[screening.age] is missing: every protocol says how minors are screened (e.g. \
                     minor_under_years = 18, eligible_with_precautions with clinician review and a \
                     'guardian_consent' precaution)",
                );
            }
            return base.cloned();
        };
        let r = entry.get_ref();
        let (lo, hi) = AgeRule::LIMITS;
        let years = *r.minor_under_years.get_ref();
        let minor_under_years = match u8::try_from(years) {
            Ok(y) if (lo..=hi).contains(&y) => y,
            _ => {
                self.p.at(
                    &r.minor_under_years.span(),
                    format!("minor_under_years is {years}; accepted: {lo} to {hi} (whole years)"),
                );
                return None;
            }
        };
        let rule = self.rule(r.rule(), &entry.span(), None)?;
        if rule.effect == Decision::Eligible {
            self.p.at(&r.effect.span(), "the rule for minors cannot be 'eligible': it needs precautions at least");
        }
        if !rule.clinician_review {
            self.p.at(&entry.span(), "the rule for minors must set clinician_review = true");
        }
        if !rule.precautions.iter().any(|pc| pc.code == AgeRule::GUARDIAN_CONSENT) {
            self.p.at(
                &entry.span(),
                format!(
                    "the rule for minors must carry the precaution '{}' (the consent of a parent or guardian)",
                    AgeRule::GUARDIAN_CONSENT
                ),
            );
        }
        if let Some(b) = base {
            if minor_under_years < b.minor_under_years {
                self.p.at(
                    &r.minor_under_years.span(),
                    format!(
                        "minor_under_years {minor_under_years} is below the floor of {}: younger people would \
                         be screened as adults",
                        b.minor_under_years
                    ),
                );
            }
            if let Some(why) = floor::rule_less_safe(&rule, &b.rule) {
                self.p.at(&entry.span(), format!("the rule for minors is less safe than the base's: {why}"));
            }
        }
        Some(AgeRule { minor_under_years, rule })
    }

    /// Home needling is needling: its window is at least the series' minimum interval (issue 12,
    /// item 6), so a clinic that lengthens its interval cannot leave home needling shorter.
    pub(super) fn home_needling_window(&mut self, p: &Protocol, raw: &RawProtocol) {
        let fr = p.finding(Finding::HomeMicroneedling);
        let min = p.plan.interval_min_days;
        if fr.window_days.is_none_or(|w| w < min) {
            let at = raw
                .screening
                .findings
                .iter()
                .find(|e| e.get_ref().code.get_ref() == Finding::HomeMicroneedling.as_str())
                .map_or(0..0, |e| e.get_ref().window_days.as_ref().map_or_else(|| e.span(), S::span));
            let got = fr.window_days.map_or_else(|| "no window".to_owned(), |w| format!("window_days {w}"));
            self.p.at(
                &at,
                format!(
                    "finding 'home_microneedling' has {got}: home needling keeps at least the series' \
                     minimum interval (plan.interval_days.min = {min} days)"
                ),
            );
        }
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
            out[i] = self.rule(r.rule(), &entry.span(), None);
        }
        out
    }

    /// A screening rule. Its `hold` must be given for `defer` and `not_eligible` and only for
    /// them; a clinic protocol may leave it out, and then keeps `inherited` (the base's hold for
    /// the same rule) or, when the base did not defer, the stricter `absolute`.
    pub(super) fn rule(&mut self, r: RawRuleRef<'_>, at: &Range<usize>, inherited: Option<Hold>) -> Option<Rule> {
        let effect = self.code(r.effect, Decision::parse);
        // The decision vocabulary: `eligible` means nothing to take care of. A rule that brings
        // precautions decides at least `eligible_with_precautions` (issue 12, item 6).
        if effect == Some(Decision::Eligible) && !r.precautions.is_empty() {
            self.p.at(
                &r.effect.span(),
                "a rule with precautions decides at least 'eligible_with_precautions': 'eligible' means there is nothing to take care of",
            );
        }
        let hold = self.hold(r.hold, effect, at, inherited);
        let message = self.non_empty(r.message, "message");
        let sources = self.cite(r.sources, at);
        let evidence = self.evidence(r.evidence);
        let precautions = r.precautions.iter().map(|s| self.statement(s)).collect();
        Some(Rule {
            effect: effect?,
            clinician_review: r.clinician_review,
            hold,
            message,
            sources,
            evidence,
            note: r.note.cloned(),
            precautions,
        })
    }

    fn hold(
        &mut self,
        given: Option<&S<String>>,
        effect: Option<Decision>,
        at: &Range<usize>,
        inherited: Option<Hold>,
    ) -> Option<Hold> {
        let parsed = given.and_then(|h| {
            let hold = Hold::parse(h.get_ref());
            if hold.is_none() {
                self.p.at(&h.span(), format!("unknown hold '{}'; accepted: {}", h.get_ref(), Hold::CODES.join(", ")));
            }
            hold
        });
        let effect = effect?;
        let holds = effect >= Decision::Defer;
        match (given, holds) {
            (Some(h), false) => {
                self.p.at(
                    &h.span(),
                    format!("hold is only for 'defer' and 'not_eligible' rules, and this rule is '{effect}'"),
                );
                None
            }
            (Some(_), true) => Some(parsed.unwrap_or(Hold::Absolute)),
            (None, false) => None,
            (None, true) if self.clinic => Some(inherited.unwrap_or(Hold::Absolute)),
            (None, true) => {
                self.p.at(
                    at,
                    format!(
                        "a '{effect}' rule must say how it holds: hold = \"absolute\" (no session until a new \
                         screening clears it) or hold = \"relative\" (a clinician may override it)"
                    ),
                );
                Some(Hold::Absolute)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::protocol::{Hold, Protocol};
    use crate::vocabulary::{Decision, Finding};

    const BUILTIN: &str = include_str!("../../../../../protocols/microneedling.toml");

    #[test]
    fn every_deferral_of_the_built_in_protocol_says_how_it_holds() {
        let p = Protocol::builtin().unwrap_or_else(|e| panic!("{e}"));
        for f in Finding::ALL {
            let fr = p.finding(*f);
            for rule in [Some(&fr.rule), fr.after.as_ref(), fr.ongoing.as_ref()].into_iter().flatten() {
                assert_eq!(
                    rule.hold.is_some(),
                    rule.effect >= Decision::Defer,
                    "{f}: {:?} with {:?}",
                    rule.effect,
                    rule.hold
                );
            }
        }
        for f in [Finding::Pregnant, Finding::ColdSoreActive, Finding::SkinInfection, Finding::PreviousSessionReaction]
        {
            assert_eq!(p.finding(f).rule.hold, Some(Hold::Absolute), "{f}");
        }
    }

    #[test]
    fn a_standalone_protocol_must_classify_every_deferral() {
        let unmarked = BUILTIN.replacen("effect = \"defer\"\nhold = \"absolute\"\n", "effect = \"defer\"\n", 1);
        assert_ne!(unmarked, BUILTIN);
        let err = Protocol::parse(&unmarked, None).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("must say how it holds"), "{err}");
    }

    fn clinic(body: &str) -> String {
        let base = Protocol::builtin().unwrap_or_else(|e| panic!("{e}"));
        let text = format!("[protocol]\nid = \"c\"\nversion = \"1\"\nextends = \"needlepath-microneedling\"\n\n{body}");
        let problems = Protocol::parse(&text, Some(&base)).err().map(|e| e.problems).unwrap_or_default();
        problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn a_standalone_protocol_without_a_rule_for_minors_is_refused() {
        let start = BUILTIN.find("[screening.age]").unwrap_or(0);
        let end = BUILTIN[start..].find("# ----").map_or(BUILTIN.len(), |e| start + e);
        let without = format!("{}{}", &BUILTIN[..start], &BUILTIN[end..]);
        let err = Protocol::parse(&without, None).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("[screening.age] is missing"), "{err}");
    }

    #[test]
    fn the_rule_for_minors_needs_review_and_guardian_consent() {
        let err = clinic(
            "[screening.age]\nminor_under_years = 18\neffect = \"eligible_with_precautions\"\n\
             message = \"m\"\nsources = [\"Chu2021\"]\n",
        );
        assert!(err.contains("clinician_review = true"), "{err}");
        assert!(err.contains("'guardian_consent'"), "{err}");
    }

    #[test]
    fn a_clinic_may_not_lower_the_age_of_minors() {
        let err = clinic(
            "[screening.age]\nminor_under_years = 16\neffect = \"eligible_with_precautions\"\n\
             clinician_review = true\nmessage = \"m\"\nsources = [\"Chu2021\"]\n\
             [[screening.age.precautions]]\ncode = \"guardian_consent\"\nmessage = \"m\"\nsources = [\"Chu2021\"]\n",
        );
        assert!(err.contains("below the floor of 18"), "{err}");
        let err = clinic(
            "[screening.age]\nminor_under_years = 12\neffect = \"eligible\"\nmessage = \"m\"\nsources = [\"Chu2021\"]\n",
        );
        assert!(err.contains("accepted: 16 to 21"), "{err}");
    }

    #[test]
    fn a_clinic_may_raise_the_age_of_minors() {
        let base = Protocol::builtin().unwrap_or_else(|e| panic!("{e}"));
        let text = "[protocol]\nid = \"c\"\nversion = \"1\"\nextends = \"needlepath-microneedling\"\n\n\
            [screening.age]\nminor_under_years = 21\neffect = \"eligible_with_precautions\"\n\
            clinician_review = true\nmessage = \"m\"\nsources = [\"Chu2021\"]\n\
            [[screening.age.precautions]]\ncode = \"guardian_consent\"\nmessage = \"m\"\nsources = [\"Chu2021\"]\n";
        let p = Protocol::parse(text, Some(&base)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.screening.age.map(|a| a.minor_under_years), Some(21));
        // A clinic file that says nothing keeps the base's rule.
        assert!(base.screening.age.is_some_and(|a| a.applies(17) && !a.applies(18)));
    }

    #[test]
    fn home_needling_keeps_at_least_the_series_interval() {
        let err = clinic("[plan]\ninterval_days = { min = 35, max = 42 }\nsources = [\"Harris2015\"]\n");
        assert!(err.contains("'home_microneedling' has window_days 28"), "{err}");
    }
}
