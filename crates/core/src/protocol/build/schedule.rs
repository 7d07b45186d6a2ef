//! Everything on a calendar: activity phases (can-I), the series plan and the aftercare check-ins
//! and milestones.

use std::collections::HashMap;
use std::ops::Range;

use super::Builder;
use crate::protocol::location::line_column;
use crate::protocol::raw::*;
use crate::protocol::*;

impl Builder<'_> {
    pub(super) fn activities(
        &mut self,
        raw: &[S<RawActivity>],
        inherit: Option<&Protocol>,
    ) -> Option<Vec<ActivityRule>> {
        let mut table: Vec<Option<ActivityRule>> = match inherit {
            Some(b) => b.activities.iter().cloned().map(Some).collect(),
            None => vec![None; Activity::ALL.len()],
        };
        let mut seen: HashMap<Activity, Range<usize>> = HashMap::new();
        for entry in raw {
            let r = entry.get_ref();
            let Some(code) = self.code(&r.code, Activity::parse) else {
                continue;
            };
            if self.duplicate(&mut seen, code, &r.code, "activity") {
                continue;
            }
            let sources = self.cite(&r.sources, &entry.span());
            let mut phases: Vec<Phase> = Vec::with_capacity(r.phases.len());
            if r.phases.is_empty() {
                self.p.at(&r.code.span(), format!("activity '{code}' needs at least one phase"));
            }
            for (i, ph) in r.phases.iter().enumerate() {
                let x = ph.get_ref();
                self.evidence(x.evidence.as_ref());
                let from_hours = self.hours(&x.from_hours, "from_hours");
                let answer = self.code(&x.answer, Answer::parse);
                if i == 0 && from_hours != 0.0 {
                    self.p.at(
                        &x.from_hours.span(),
                        format!("the first phase of '{code}' must start at 0 hours, not {from_hours}"),
                    );
                }
                if let Some(prev) = phases.last() {
                    if from_hours <= prev.from_hours {
                        self.p.at(
                            &x.from_hours.span(),
                            format!("phase starts at {from_hours} h, not after the previous phase ({} h): a window that ends before it starts", prev.from_hours),
                        );
                    }
                    if let Some(a) = answer
                        && a < prev.answer
                    {
                        self.p.at(
                            &x.answer.span(),
                            format!("'{a}' after '{}': a restriction that lifts must stay lifted", prev.answer),
                        );
                    }
                }
                if answer == Some(Answer::YesWithConditions) && x.conditions.is_empty() {
                    self.p.at(&x.answer.span(), "'yes_with_conditions' needs conditions = [...]");
                }
                let phase_sources = if x.sources.is_empty() { Vec::new() } else { self.cite(&x.sources, &ph.span()) };
                if let Some(answer) = answer {
                    phases.push(Phase {
                        from_hours,
                        answer,
                        message: self.non_empty(&x.message, "message"),
                        conditions: x.conditions.clone(),
                        sources: phase_sources,
                    });
                }
            }
            if phases.len() == r.phases.len() && !phases.is_empty() {
                table[code.index()] = Some(ActivityRule {
                    activity: code,
                    phases,
                    sources,
                    evidence: self.evidence(r.evidence.as_ref()),
                    note: r.note.clone(),
                });
            }
        }
        self.complete(table, Activity::ALL, "activity")
    }

    pub(super) fn count(&mut self, v: &S<i64>, what: &str, min: i64, max: i64) -> u32 {
        let x = *v.get_ref();
        if !(min..=max).contains(&x) {
            self.p.at(&v.span(), format!("{what} is {x}; accepted: {min} to {max}"));
        }
        u32::try_from(x.clamp(min, max)).unwrap_or(0)
    }

    pub(super) fn range(&mut self, r: &S<RawRange>, what: &str, max: i64) -> (u32, u32) {
        let x = r.get_ref();
        let lo = self.count(&x.min, &format!("{what}.min"), 1, max);
        let hi = self.count(&x.max, &format!("{what}.max"), 1, max);
        if hi < lo {
            self.p
                .at(&r.span(), format!("{what}: max ({hi}) is before min ({lo}): a window that ends before it starts"));
        }
        (lo, hi)
    }

    pub(super) fn plan(&mut self, raw: Option<&S<RawPlan>>, inherit: Option<&Protocol>) -> Option<PlanRules> {
        let base = inherit.map(|b| &b.plan);
        let Some(raw) = raw else {
            if base.is_none() {
                self.p.whole("the protocol needs a [plan] section");
            }
            return base.cloned();
        };
        let (r, at) = (raw.get_ref(), raw.span());
        self.evidence(r.evidence.as_ref());
        let need = |b: &mut Self, what: &str| b.p.at(&at, format!("[plan] needs {what}"));

        let (interval_min_days, interval_max_days) = match (&r.interval_days, base) {
            (Some(i), _) => self.range(i, "interval_days", 366),
            (None, Some(b)) => (b.interval_min_days, b.interval_max_days),
            (None, None) => {
                need(self, "interval_days");
                (0, 0)
            }
        };
        let sources = match (&r.sources, base) {
            (Some(s), _) => self.cite(s, &at),
            (None, Some(b)) => b.sources.clone(),
            (None, None) => {
                need(self, "sources");
                Vec::new()
            }
        };
        let review_after_session = match (&r.review_after_session, base) {
            (Some(v), _) => self.count(v, "review_after_session", 1, 20),
            (None, Some(b)) => b.review_after_session,
            (None, None) => {
                need(self, "review_after_session");
                0
            }
        };
        let (final_review_min_days, final_review_max_days) = match (&r.final_review_days, base) {
            (Some(v), _) => self.range(v, "final_review_days", 366),
            (None, Some(b)) => (b.final_review_min_days, b.final_review_max_days),
            (None, None) => {
                need(self, "final_review_days");
                (0, 0)
            }
        };
        let short_interval = match (&r.short_interval, base) {
            (Some(m), _) => self.message(m),
            (None, Some(b)) => b.short_interval.clone(),
            (None, None) => {
                need(self, "short_interval");
                Statement { code: String::new(), message: String::new(), sources: Vec::new(), points: Vec::new() }
            }
        };
        // Optional: a protocol without them sets no screening age and says nothing.
        let stale_screening = match (&r.stale_screening, base) {
            (Some(s), _) => {
                let x = s.get_ref();
                let days = self.count(&x.max_age_days, "stale_screening.max_age_days", 1, 3660);
                let statement = Statement {
                    code: String::new(),
                    message: self.non_empty(&x.message, "message"),
                    sources: self.cite(&x.sources, &s.span()),
                    points: Vec::new(),
                };
                Some((days, statement))
            }
            (None, Some(b)) => b.stale_screening.clone(),
            (None, None) => None,
        };
        let no_screening = match (&r.no_screening, base) {
            (Some(m), _) => Some(self.message(m)),
            (None, Some(b)) => b.no_screening.clone(),
            (None, None) => None,
        };
        let screening_holds = match (&r.screening_holds, base) {
            (Some(m), _) => Some(self.message(m)),
            (None, Some(b)) => b.screening_holds.clone(),
            (None, None) => None,
        };
        let mut sessions: [Option<SessionCount>; 5] = match base {
            Some(b) => {
                let [g1, g2, g3, g4] = b.sessions_by_grade.clone();
                [Some(b.sessions_default.clone()), g1, g2, g3, g4]
            }
            None => Default::default(),
        };
        let mut seen: HashMap<usize, Range<usize>> = HashMap::new();
        for entry in &r.sessions {
            let x = entry.get_ref();
            let i = match &x.grade {
                None => 0,
                Some(g) => self.count(g, "grade", 1, 4) as usize,
            };
            let key_span = x.grade.as_ref().map_or(entry.span(), S::span);
            if let Some(first) = seen.get(&i) {
                let (line, _) = line_column(self.p_text(), first.start);
                self.p.at(&key_span, format!("duplicate rule: these sessions already have a rule on line {line}"));
                continue;
            }
            seen.insert(i, key_span);
            let default = self.count(&x.default, "default", 1, 20);
            let min = self.count(&x.min, "min", 1, 20);
            let max = self.count(&x.max, "max", 1, 20);
            if !(min <= default && default <= max) {
                self.p.at(
                    &entry.span(),
                    format!("sessions need min <= default <= max, found {min} <= {default} <= {max}"),
                );
            }
            self.evidence(x.evidence.as_ref());
            sessions[i] = Some(SessionCount {
                default,
                min,
                max,
                message: self.non_empty(&x.message, "message"),
                sources: self.cite(&x.sources, &entry.span()),
            });
        }
        let [default_sessions, g1, g2, g3, g4] = sessions;
        if default_sessions.is_none() {
            self.p.at(&at, "[[plan.sessions]] needs a default entry (one without `grade`)");
        }
        let maintenance = match (&r.maintenance, base) {
            (Some(m), _) => {
                let x = m.get_ref();
                self.evidence(x.evidence.as_ref());
                Maintenance {
                    every_months: self.count(&x.every_months, "every_months", 1, 120),
                    message: self.non_empty(&x.message, "message"),
                    sources: self.cite(&x.sources, &m.span()),
                }
            }
            (None, Some(b)) => b.maintenance.clone(),
            (None, None) => {
                need(self, "[plan.maintenance]");
                Maintenance { every_months: 12, message: String::new(), sources: Vec::new() }
            }
        };
        let mut pre_care: Vec<PreCare> = base.map(|b| b.pre_care.clone()).unwrap_or_default();
        let mut seen: HashMap<String, Range<usize>> = HashMap::new();
        for entry in &r.pre_care {
            let x = entry.get_ref();
            let code = self.non_empty(&x.code, "code");
            if self.duplicate(&mut seen, code.clone(), &x.code, "pre-care step") {
                continue;
            }
            let mut if_findings = FindingSet::default();
            for f in &x.if_findings {
                if let Some(f) = self.code(f, Finding::parse) {
                    if_findings.insert(f);
                }
            }
            self.evidence(x.evidence.as_ref());
            let mut if_fitzpatrick = 0u8;
            for t in &x.if_fitzpatrick {
                let v = *t.get_ref();
                match u8::try_from(v) {
                    Ok(v) if (1..=6).contains(&v) => if_fitzpatrick |= 1 << (v - 1),
                    _ => self.p.at(&t.span(), format!("Fitzpatrick type {v} does not exist; accepted: 1-6")),
                }
            }
            let step = PreCare {
                if_fitzpatrick,
                days_before: self.count(&x.days_before, "days_before", 0, 90),
                message: self.non_empty(&x.message, "message"),
                sources: self.cite(&x.sources, &entry.span()),
                if_findings,
                first_session_only: x.first_session_only,
                code: code.clone(),
            };
            pre_care.retain(|p| p.code != code);
            pre_care.push(step);
        }
        // Earliest first, so a patient reads them in the order they are due.
        pre_care.sort_by_key(|p| std::cmp::Reverse(p.days_before));
        Some(PlanRules {
            interval_min_days,
            interval_max_days,
            sources,
            review_after_session,
            final_review_min_days,
            final_review_max_days,
            short_interval,
            stale_screening,
            no_screening,
            screening_holds,
            sessions_default: default_sessions?,
            sessions_by_grade: [g1, g2, g3, g4],
            maintenance,
            pre_care,
        })
    }

    pub(super) fn aftercare(
        &mut self,
        raw: Option<&S<RawAftercare>>,
        inherit: Option<&Protocol>,
    ) -> Option<AftercareRules> {
        let base = inherit.map(|b| &b.aftercare);
        let Some(raw) = raw else {
            if base.is_none() {
                self.p.whole("the protocol needs an [aftercare] section");
            }
            return base.cloned();
        };
        let (r, at) = (raw.get_ref(), raw.span());
        self.evidence(r.evidence.as_ref());
        let check_in_days = match (&r.check_in_days, base) {
            (Some(d), _) => {
                let days = d.get_ref();
                if days.is_empty() {
                    self.p.at(&d.span(), "check_in_days must list at least one day");
                }
                if days.windows(2).any(|w| w[1] <= w[0]) || days.iter().any(|d| !(1..=365).contains(d)) {
                    self.p.at(&d.span(), "check_in_days must be days 1 to 365 in increasing order");
                }
                days.iter().filter_map(|d| u32::try_from(*d).ok()).collect()
            }
            (None, Some(b)) => b.check_in_days.clone(),
            (None, None) => {
                self.p.at(&at, "[aftercare] needs check_in_days");
                Vec::new()
            }
        };
        let check_in_sources = match (&r.check_in_sources, base) {
            (Some(s), _) => self.cite(s, &at),
            (None, Some(b)) => b.check_in_sources.clone(),
            (None, None) => {
                self.p.at(&at, "[aftercare] needs check_in_sources");
                Vec::new()
            }
        };
        let mut milestones: Vec<Milestone> = base.map(|b| b.milestones.clone()).unwrap_or_default();
        let mut seen: HashMap<String, Range<usize>> = HashMap::new();
        for entry in &r.milestones {
            let x = entry.get_ref();
            let code = self.non_empty(&x.code, "code");
            if self.duplicate(&mut seen, code.clone(), &x.code, "milestone") {
                continue;
            }
            self.evidence(x.evidence.as_ref());
            let mut if_findings = FindingSet::default();
            for f in &x.if_findings {
                if let Some(f) = self.code(f, Finding::parse) {
                    if_findings.insert(f);
                }
            }
            let m = Milestone {
                if_findings,
                hours: self.hours(&x.hours, "hours"),
                message: self.non_empty(&x.message, "message"),
                sources: self.cite(&x.sources, &entry.span()),
                code: code.clone(),
            };
            milestones.retain(|m| m.code != code);
            milestones.push(m);
        }
        milestones.sort_by(|a, b| a.hours.total_cmp(&b.hours));
        Some(AftercareRules { check_in_days, check_in_sources, milestones })
    }
}
