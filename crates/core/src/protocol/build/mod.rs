//! Turns a protocol file into a validated [`Protocol`], reporting every problem at once.
//!
//! The checks: TOML syntax and field types (first error only: the parser stops there), then every
//! code, source id, window, phase and duplicate; coverage of the whole vocabulary for a protocol
//! that stands alone; and the safety floor (see `floor`). A clinic protocol that `extends` a base
//! inherits whatever it does not name.

use std::collections::HashMap;
use std::ops::Range;

mod changelog;
mod schedule;
mod screening;
mod session_limits;
mod tiers;
mod triage;

use super::floor;
use super::floor_kept;
use super::location::{Problems, ProtocolError, line_column};
use super::raw::*;
use super::*;
use crate::suggest::nearest;
use crate::vocabulary::{Concern, ScarType, UnknownCode};

const SOURCE_KINDS: &[&str] = &["seed", "paper", "guideline", "regulator", "practice", "vendor"];
const READ_KINDS: &[&str] = &["full", "abstract", "excerpt"];
pub(super) const WHENS: &[&str] = &[
    "beyond_expected",
    "worse",
    "not_improving",
    "severe",
    "with_symptom",
    "with_finding",
    "after_numbing",
    "reported",
    "with_fitzpatrick",
];

pub(super) fn build(text: &str, base: Option<&Protocol>) -> Result<Protocol, ProtocolError> {
    let raw: RawProtocol = toml::from_str(text).map_err(|e| syntax_error(text, &e))?;
    let mut b = Builder::new(text);

    let header = raw.protocol.get_ref();
    let id = b.non_empty(&header.id, "protocol.id");
    let version = b.non_empty(&header.version, "protocol.version");
    let extends = header.extends.as_ref().map(|e| e.get_ref().clone());
    // Only a protocol that extends another inherits from it; the safety floor is checked against
    // the base either way.
    let inherit = match (&header.extends, base) {
        (Some(e), Some(base)) if *e.get_ref() == base.id => Some(base),
        (Some(e), Some(base)) => {
            b.p.at(&e.span(), format!("extends '{}', but the base protocol is '{}'", e.get_ref(), base.id));
            None
        }
        (Some(e), None) => {
            b.p.at(&e.span(), format!("extends '{}', but no base protocol is available", e.get_ref()));
            None
        }
        (None, _) => None,
    };
    b.clinic = header.extends.is_some();

    let sources = b.sources(&raw.sources, inherit);
    let conflicts = b.conflicts(&raw.conflicts, inherit);
    let changelog = b.changelog(&raw.changelog, &id, &version, inherit);
    let screening = b.screening(&raw.screening, inherit);
    let triage = b.triage(raw.triage.as_ref(), inherit);
    let activities = b.activities(&raw.activities, inherit);
    let plan = b.plan(raw.plan.as_ref(), inherit);
    let aftercare = b.aftercare(raw.aftercare.as_ref(), inherit);
    let anaesthesia = b.anaesthesia(raw.anaesthesia.as_ref(), inherit);
    let depth = b.depth(raw.depth.as_ref(), inherit);
    b.unused_sources(&raw.sources);

    let built = match (screening, triage, activities, plan, aftercare, anaesthesia, depth) {
        // Built even when problems were found, so that the safety floor is checked in the same
        // pass and a clinic sees every problem at once; `finish` refuses it afterwards.
        (
            Some(screening),
            Some(triage),
            Some(activities),
            Some(plan),
            Some(aftercare),
            Some(anaesthesia),
            Some(depth),
        ) => Some(Protocol {
            id,
            version,
            title: header.title.clone().unwrap_or_default(),
            extends,
            changelog,
            sources,
            conflicts,
            screening,
            triage,
            activities,
            plan,
            aftercare,
            anaesthesia,
            depth,
        }),
        _ => None,
    };
    if let Some(p) = &built {
        b.home_needling_window(p, &raw);
    }
    if let (Some(p), Some(base)) = (&built, base) {
        floor::check_against_base(p, base, &raw, &mut b.p);
        super::floor_session::check_against_base(p, base, &raw, &mut b.p);
        floor_kept::check_tiers_against_base(p, base, &raw, &mut b.p);
    }
    if let Some(p) = &built {
        floor::check_hard_floor(p, &raw, &mut b.p);
        floor_kept::check(p, &raw, &mut b.p);
    }
    b.p.finish()?;
    built.ok_or_else(|| ProtocolError { problems: Vec::new() })
}

fn syntax_error(text: &str, e: &toml::de::Error) -> ProtocolError {
    let (line, column) = e.span().map_or((0, 0), |s| line_column(text, s.start));
    let message = e.message().trim().to_owned();
    ProtocolError { problems: vec![super::Problem { line, column, message }] }
}

pub(super) struct Builder<'t> {
    p: Problems<'t>,
    /// Every source id that may be cited, with where it was defined (None = inherited).
    known: HashMap<String, Option<Range<usize>>>,
    cited: std::collections::HashSet<String>,
    /// A clinic protocol (it extends a base): unmarked holds are inherited, not errors.
    clinic: bool,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Self {
        Self { p: Problems::new(text), known: HashMap::new(), cited: Default::default(), clinic: false }
    }

    fn non_empty(&mut self, s: &S<String>, what: &str) -> String {
        if s.get_ref().trim().is_empty() {
            self.p.at(&s.span(), format!("{what} must not be empty"));
        }
        s.get_ref().clone()
    }

    fn code<T>(&mut self, s: &S<String>, parse: fn(&str) -> Result<T, UnknownCode>) -> Option<T> {
        match parse(s.get_ref()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.p.at(&s.span(), e.to_string());
                None
            }
        }
    }

    fn evidence(&mut self, e: Option<&S<String>>) -> Option<Evidence> {
        let e = e?;
        let found = Evidence::CODES.iter().position(|c| c == e.get_ref());
        match found {
            Some(i) => Some(EVIDENCE[i]),
            None => {
                self.p.at(
                    &e.span(),
                    format!("unknown evidence '{}'; accepted: {}", e.get_ref(), Evidence::CODES.join(", ")),
                );
                None
            }
        }
    }

    /// Resolves a list of source ids; empty lists and unknown ids are problems.
    fn cite(&mut self, ids: &Sources, at: &Range<usize>) -> Vec<String> {
        if ids.is_empty() {
            self.p.at(at, "sources must name at least one source");
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let name = id.get_ref();
            if self.known.contains_key(name) {
                self.cited.insert(name.clone());
            } else {
                let candidates: Vec<&str> = self.known.keys().map(String::as_str).collect();
                let hint = nearest(name, &candidates).map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default();
                self.p.at(&id.span(), format!("unknown source '{name}'{hint}: it is not listed in [[sources]]"));
            }
            out.push(name.clone());
        }
        out
    }

    fn statement(&mut self, s: &S<RawStatement>) -> Statement {
        let r = s.get_ref();
        self.evidence(r.evidence.as_ref());
        Statement {
            code: self.non_empty(&r.code, "code"),
            message: self.non_empty(&r.message, "message"),
            sources: self.cite(&r.sources, &s.span()),
            points: r.points.clone(),
        }
    }

    fn message(&mut self, m: &S<RawMessage>) -> Statement {
        let r = m.get_ref();
        Statement {
            code: String::new(),
            message: self.non_empty(&r.message, "message"),
            sources: self.cite(&r.sources, &m.span()),
            points: Vec::new(),
        }
    }

    fn sources(&mut self, raw: &[S<RawSource>], inherit: Option<&Protocol>) -> Vec<Source> {
        let mut out: Vec<Source> = inherit.map(|b| b.sources.clone()).unwrap_or_default();
        for s in &out {
            self.known.insert(s.id.clone(), None);
        }
        for entry in raw {
            let r = entry.get_ref();
            let id = r.id.get_ref().clone();
            if id.trim().is_empty() {
                self.p.at(&r.id.span(), "source id must not be empty");
            }
            match self.known.get(&id) {
                Some(Some(first)) => {
                    let (line, _) = line_column(self.p_text(), first.start);
                    self.p.at(&r.id.span(), format!("source '{id}' is listed twice (first on line {line})"));
                    continue;
                }
                Some(None) => {
                    // A clinic file may restate an inherited source; its text replaces the base's,
                    // and the inherited rules that cite it count as citing it.
                    out.retain(|s| s.id != id);
                    self.cited.insert(id.clone());
                }
                None => {}
            }
            self.known.insert(id.clone(), Some(r.id.span()));
            if !SOURCE_KINDS.contains(&r.kind.get_ref().as_str()) {
                self.p.at(
                    &r.kind.span(),
                    format!("unknown source kind '{}'; accepted: {}", r.kind.get_ref(), SOURCE_KINDS.join(", ")),
                );
            }
            if r.citation.get_ref().trim().is_empty() {
                self.p.at(&r.citation.span(), "citation must not be empty");
            }
            if r.kind.get_ref() == "paper" && (r.authors.is_none() || r.year.is_none() || r.journal.is_none()) {
                self.p.at(&entry.span(), format!("paper '{id}' needs authors, year and journal"));
            }
            let year = r.year.as_ref().and_then(|y| {
                let v = *y.get_ref();
                match u16::try_from(v) {
                    Ok(v) if (1900..=2100).contains(&v) => Some(v),
                    _ => {
                        self.p.at(&y.span(), format!("year {v} is not a plausible publication year"));
                        None
                    }
                }
            });
            if let Some(read) = &r.read
                && !READ_KINDS.contains(&read.get_ref().as_str())
            {
                self.p.at(
                    &read.span(),
                    format!("unknown read '{}'; accepted: {}", read.get_ref(), READ_KINDS.join(", ")),
                );
            }
            out.push(Source {
                id,
                kind: r.kind.get_ref().clone(),
                citation: r.citation.get_ref().clone(),
                authors: r.authors.clone(),
                year,
                journal: r.journal.clone(),
                read: r.read.as_ref().map(|s| s.get_ref().clone()),
                url: r.url.clone().or_else(|| r.file.clone()),
            });
        }
        out
    }

    fn p_text(&self) -> &'t str {
        self.p.text()
    }

    fn unused_sources(&mut self, raw: &[S<RawSource>]) {
        for entry in raw {
            let id = entry.get_ref().id.get_ref();
            if !self.cited.contains(id) {
                self.p.at(&entry.get_ref().id.span(), format!("source '{id}' is listed but never cited"));
            }
        }
    }

    fn conflicts(&mut self, raw: &[S<RawConflict>], inherit: Option<&Protocol>) -> Vec<Conflict> {
        let mut out: Vec<Conflict> = inherit.map(|b| b.conflicts.clone()).unwrap_or_default();
        let mut seen: HashMap<String, Range<usize>> = HashMap::new();
        for entry in raw {
            let r = entry.get_ref();
            let id = r.id.get_ref().clone();
            if let Some(first) = seen.get(&id) {
                let (line, _) = line_column(self.p_text(), first.start);
                self.p.at(&r.id.span(), format!("conflict '{id}' is listed twice (first on line {line})"));
                continue;
            }
            seen.insert(id.clone(), r.id.span());
            self.evidence(r.evidence.as_ref());
            if r.sides.len() < 2 {
                self.p.at(&entry.span(), format!("conflict '{id}' needs at least two sides"));
            }
            let sides = r
                .sides
                .iter()
                .map(|s| ConflictSide {
                    says: self.non_empty(&s.get_ref().says, "says"),
                    sources: self.cite(&s.get_ref().sources, &s.span()),
                })
                .collect();
            for a in &r.applies_to {
                self.target(a);
            }
            out.retain(|c| c.id != id);
            out.push(Conflict {
                id,
                topic: self.non_empty(&r.topic, "topic"),
                sides,
                choice: self.non_empty(&r.choice, "choice"),
                why: self.non_empty(&r.why, "why"),
                conservative: r.conservative,
                applies_to: r.applies_to.iter().map(|a| a.get_ref().clone()).collect(),
            });
        }
        out
    }

    /// Checks a conflict's `applies_to` target: `finding:CODE`, `symptom:CODE`, `activity:CODE`,
    /// `concern:CODE`, `scar_type:CODE` or a section name.
    fn target(&mut self, t: &S<String>) {
        let s = t.get_ref();
        let ok = match s.split_once(':') {
            Some(("finding", c)) => Finding::parse(c).map(|_| ()),
            Some(("symptom", c)) => Symptom::parse(c).map(|_| ()),
            Some(("activity", c)) => Activity::parse(c).map(|_| ()),
            Some(("concern", c)) => Concern::parse(c).map(|_| ()),
            Some(("scar_type", c)) => ScarType::parse(c).map(|_| ()),
            None if [
                "screening",
                "triage",
                "plan",
                "aftercare",
                "fitzpatrick",
                "scar_grade",
                "anaesthesia",
                "depth",
            ]
            .contains(&s.as_str()) =>
            {
                Ok(())
            }
            _ => {
                self.p.at(
                    &t.span(),
                    format!("applies_to '{s}' is not finding:CODE, symptom:CODE, activity:CODE, concern:CODE, scar_type:CODE, screening, triage, plan or aftercare"),
                );
                return;
            }
        };
        if let Err(e) = ok {
            self.p.at(&t.span(), e.to_string());
        }
    }

    /// Reports a second rule for the same key; true when `key` was already seen.
    fn duplicate<K: std::hash::Hash + Eq, T>(
        &mut self,
        seen: &mut HashMap<K, Range<usize>>,
        key: K,
        at: &S<T>,
        what: &str,
    ) -> bool {
        if let Some(first) = seen.get(&key) {
            let (line, _) = line_column(self.p_text(), first.start);
            self.p.at(&at.span(), format!("duplicate rule: this {what} already has a rule on line {line}"));
            true
        } else {
            seen.insert(key, at.span());
            false
        }
    }

    /// Requires a rule for every code of the vocabulary.
    fn complete<C: Copy + std::fmt::Display, T>(
        &mut self,
        table: Vec<Option<T>>,
        all: &[C],
        what: &str,
    ) -> Option<Vec<T>> {
        let missing: Vec<String> =
            table.iter().zip(all).filter(|(t, _)| t.is_none()).map(|(_, c)| c.to_string()).collect();
        if !missing.is_empty() {
            self.p.whole(format!(
                "no rule for {what}(s): {} (the protocol must cover the whole vocabulary)",
                missing.join(", ")
            ));
            return None;
        }
        Some(table.into_iter().flatten().collect())
    }

    fn hours(&mut self, h: &S<f64>, what: &str) -> f64 {
        let v = *h.get_ref();
        if !v.is_finite() || v < 0.0 {
            self.p.at(&h.span(), format!("{what} is {v}; hours must be a number of 0 or more"));
        }
        v
    }
}

const EVIDENCE: [Evidence; 6] = [
    Evidence::Seed,
    Evidence::Literature,
    Evidence::SeedAndLiterature,
    Evidence::Practice,
    Evidence::Proposed,
    Evidence::General,
];
