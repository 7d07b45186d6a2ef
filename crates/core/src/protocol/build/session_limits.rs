//! Builds `[anaesthesia]` and `[depth]`: every part present (or inherited), every number in its
//! range, every entry cited, codes unique.

use std::collections::HashMap;
use std::ops::Range;

use super::Builder;
use crate::protocol::Protocol;
use crate::protocol::raw::{S, Sources};
use crate::protocol::raw_session::*;
use crate::protocol::session_limits::*;

/// Accepted area codes and agent codes: lower-case words joined by `_`.
fn code_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Builder<'_> {
    fn guidance(
        &mut self,
        message: &S<String>,
        sources: &Sources,
        evidence: Option<&S<String>>,
        note: Option<&String>,
        at: &Range<usize>,
    ) -> Guidance {
        Guidance {
            message: self.non_empty(message, "message"),
            sources: self.cite(sources, at),
            evidence: self.evidence(evidence),
            note: note.cloned(),
        }
    }

    fn raw_guidance(&mut self, g: &S<RawGuidance>) -> Guidance {
        let r = g.get_ref();
        self.guidance(&r.message, &r.sources, r.evidence.as_ref(), r.note.as_ref(), &g.span())
    }

    /// A positive number no larger than `max`.
    fn positive(&mut self, v: &S<f64>, what: &str, max: f64, unit: &str) -> f64 {
        let x = *v.get_ref();
        if !(x.is_finite() && x > 0.0 && x <= max) {
            self.p.at(&v.span(), format!("{what} is {x}; accepted: a number of {unit} above 0 and at most {max}"));
        }
        x
    }

    /// One part of a section: as written, else inherited, else a problem.
    fn part<R, T>(
        &mut self,
        raw: Option<&S<R>>,
        inherited: Option<T>,
        section: &str,
        name: &str,
        build: impl FnOnce(&mut Self, &S<R>) -> T,
    ) -> Option<T> {
        match (raw, inherited) {
            (Some(r), _) => Some(build(self, r)),
            (None, Some(t)) => Some(t),
            (None, None) => {
                self.p.whole(format!("[{section}] needs {name}"));
                None
            }
        }
    }

    pub(super) fn anaesthesia(
        &mut self,
        raw: Option<&S<RawAnaesthesia>>,
        inherit: Option<&Protocol>,
    ) -> Option<AnaesthesiaRules> {
        let base = inherit.map(|b| &b.anaesthesia);
        let r = raw.map(S::get_ref);
        let max_area_cm2 = self.part(
            r.and_then(|r| r.max_area.as_ref()),
            base.map(|b| b.max_area_cm2.clone()),
            "anaesthesia",
            "max_area = { cm2, message, sources }",
            |b, m| {
                let x = m.get_ref();
                Limit {
                    value: b.positive(&x.cm2, "max_area.cm2", 5000.0, "cm²"),
                    guidance: b.guidance(&x.message, &x.sources, x.evidence.as_ref(), x.note.as_ref(), &m.span()),
                }
            },
        );
        let max_minutes = self.part(
            r.and_then(|r| r.max_time.as_ref()),
            base.map(|b| b.max_minutes.clone()),
            "anaesthesia",
            "max_time = { minutes, message, sources }",
            |b, m| {
                let x = m.get_ref();
                Limit {
                    value: b.positive(&x.minutes, "max_time.minutes", 240.0, "minutes"),
                    guidance: b.guidance(&x.message, &x.sources, x.evidence.as_ref(), x.note.as_ref(), &m.span()),
                }
            },
        );
        let no_occlusion = self.part(
            r.and_then(|r| r.no_occlusion.as_ref()),
            base.map(|b| b.no_occlusion.clone()),
            "anaesthesia",
            "no_occlusion = { message, sources }",
            Self::raw_guidance,
        );
        let full_removal = self.part(
            r.and_then(|r| r.full_removal.as_ref()),
            base.map(|b| b.full_removal.clone()),
            "anaesthesia",
            "full_removal = { message, sources }",
            Self::raw_guidance,
        );
        let methaemoglobinaemia = self.part(
            r.and_then(|r| r.methaemoglobinaemia.as_ref()),
            base.map(|b| b.methaemoglobinaemia.clone()),
            "anaesthesia",
            "methaemoglobinaemia = { message, sources }",
            Self::raw_guidance,
        );

        let mut agents: Vec<Agent> = base.map(|b| b.agents.clone()).unwrap_or_default();
        let mut seen: HashMap<String, Range<usize>> = HashMap::new();
        for entry in r.map(|r| r.agents.as_slice()).unwrap_or_default() {
            let a = entry.get_ref();
            let code = a.code.get_ref().clone();
            if !code_ok(&code) {
                self.p.at(
                    &a.code.span(),
                    format!("agent code '{code}' is not accepted: use lower-case letters, digits and '_' (at most 40)"),
                );
            }
            if self.duplicate(&mut seen, code.clone(), &a.code, "agent") {
                continue;
            }
            let agent = Agent {
                code: code.clone(),
                name: self.non_empty(&a.name, "name"),
                methaemoglobinaemia: a.methaemoglobinaemia,
                max_area_cm2: a.max_area_cm2.as_ref().map(|v| self.positive(v, "max_area_cm2", 5000.0, "cm²")),
                max_minutes: a.max_minutes.as_ref().map(|v| self.positive(v, "max_minutes", 240.0, "minutes")),
                sources: self.cite(&a.sources, &entry.span()),
                evidence: self.evidence(a.evidence.as_ref()),
                note: a.note.clone(),
            };
            match agents.iter_mut().find(|x| x.code == code) {
                Some(old) => *old = agent,
                None => agents.push(agent),
            }
        }
        if agents.is_empty() {
            self.p.whole("[anaesthesia] needs at least one [[anaesthesia.agents]] entry");
        }
        Some(AnaesthesiaRules {
            agents,
            max_area_cm2: max_area_cm2?,
            max_minutes: max_minutes?,
            no_occlusion: no_occlusion?,
            full_removal: full_removal?,
            methaemoglobinaemia: methaemoglobinaemia?,
        })
    }

    pub(super) fn depth(&mut self, raw: Option<&S<RawDepth>>, inherit: Option<&Protocol>) -> Option<DepthRules> {
        let base = inherit.map(|b| &b.depth);
        let r = raw.map(S::get_ref);
        let area_max = self.part(
            r.and_then(|r| r.area_max.as_ref()),
            base.map(|b| b.area_max.clone()),
            "depth",
            "area_max = { message, sources }",
            Self::raw_guidance,
        );
        let darker_skin = self.part(
            r.and_then(|r| r.darker_skin.as_ref()),
            base.map(|b| b.darker_skin.clone()),
            "depth",
            "darker_skin = { types, max_mm, message, sources }",
            |b, d| {
                let x = d.get_ref();
                let mut types = Vec::new();
                for t in x.types.get_ref() {
                    match u8::try_from(*t) {
                        Ok(t @ 1..=6) if !types.contains(&t) => types.push(t),
                        _ => b.p.at(
                            &x.types.span(),
                            format!("Fitzpatrick type {t} is not accepted: give distinct types from 1 to 6"),
                        ),
                    }
                }
                if types.is_empty() {
                    b.p.at(&x.types.span(), "darker_skin.types must name at least one Fitzpatrick type (1 to 6)");
                }
                DarkerSkinDepth {
                    types,
                    max_mm: b.positive(&x.max_mm, "darker_skin.max_mm", 3.0, "millimetres"),
                    guidance: b.guidance(&x.message, &x.sources, x.evidence.as_ref(), x.note.as_ref(), &d.span()),
                }
            },
        );
        let mut areas: Vec<DepthArea> = base.map(|b| b.areas.clone()).unwrap_or_default();
        let mut seen: HashMap<String, Range<usize>> = HashMap::new();
        for entry in r.map(|r| r.areas.as_slice()).unwrap_or_default() {
            let a = entry.get_ref();
            let code = a.code.get_ref().clone();
            if !code_ok(&code) {
                self.p.at(
                    &a.code.span(),
                    format!("area code '{code}' is not accepted: use lower-case letters, digits and '_' (at most 40)"),
                );
            }
            if self.duplicate(&mut seen, code.clone(), &a.code, "area") {
                continue;
            }
            let area = DepthArea {
                code: code.clone(),
                name: self.non_empty(&a.name, "name"),
                max_mm: self.positive(&a.max_mm, "max_mm", 3.0, "millimetres"),
                bony: a.bony,
                sources: self.cite(&a.sources, &entry.span()),
                evidence: self.evidence(a.evidence.as_ref()),
                note: a.note.clone(),
            };
            match areas.iter_mut().find(|x| x.code == code) {
                Some(old) => *old = area,
                None => areas.push(area),
            }
        }
        if areas.is_empty() {
            self.p.whole("[depth] needs at least one [[depth.areas]] entry");
        }
        Some(DepthRules { areas, area_max: area_max?, darker_skin: darker_skin? })
    }
}
