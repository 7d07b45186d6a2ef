//! The base floor for the session limits (`[anaesthesia]`, `[depth]`).
//!
//! The numbers are practice values a clinic may change (its own maximum area, time or depth), but
//! a clinic file may not cut the safety content loose from its sources: the no-occlusion and
//! full-removal rules, the limits and the methaemoglobinaemia warning keep every source the base
//! cites, and an agent the base flags for methaemoglobinaemia stays flagged. Kept apart from
//! `floor` so that each part of the floor reads on its own.

use std::ops::Range;

use super::Protocol;
use super::location::Problems;
use super::raw::{RawProtocol, S};
use super::session_limits::Guidance;

pub(super) fn check_against_base(p: &Protocol, base: &Protocol, raw: &RawProtocol, problems: &mut Problems<'_>) {
    let (n, o) = (&p.anaesthesia, &base.anaesthesia);
    let ra = raw.anaesthesia.as_ref().map(S::get_ref);
    let at = raw.anaesthesia.as_ref().map_or(0..0, S::span);
    let span = |s: Option<Range<usize>>| s.unwrap_or_else(|| at.clone());
    let parts: [(&str, &Guidance, &Guidance, Range<usize>); 5] = [
        ("no_occlusion", &n.no_occlusion, &o.no_occlusion, span(ra.and_then(|r| r.no_occlusion.as_ref()).map(S::span))),
        ("full_removal", &n.full_removal, &o.full_removal, span(ra.and_then(|r| r.full_removal.as_ref()).map(S::span))),
        (
            "methaemoglobinaemia",
            &n.methaemoglobinaemia,
            &o.methaemoglobinaemia,
            span(ra.and_then(|r| r.methaemoglobinaemia.as_ref()).map(S::span)),
        ),
        (
            "max_area",
            &n.max_area_cm2.guidance,
            &o.max_area_cm2.guidance,
            span(ra.and_then(|r| r.max_area.as_ref()).map(S::span)),
        ),
        (
            "max_time",
            &n.max_minutes.guidance,
            &o.max_minutes.guidance,
            span(ra.and_then(|r| r.max_time.as_ref()).map(S::span)),
        ),
    ];
    for (name, new, old, at) in parts {
        keeps_sources(&format!("anaesthesia.{name}"), &new.sources, &old.sources, &base.id, &at, problems);
    }
    for old in &o.agents {
        let Some(new) = n.agent(&old.code) else { continue };
        let at = agent_span(raw, &old.code).unwrap_or_else(|| at.clone());
        if old.methaemoglobinaemia && !new.methaemoglobinaemia {
            problems.at(
                &at,
                format!(
                    "agent '{}' carries a risk of methaemoglobinaemia in '{}'; no protocol may drop that warning",
                    old.code, base.id
                ),
            );
        }
        keeps_sources(&format!("agent '{}'", old.code), &new.sources, &old.sources, &base.id, &at, problems);
    }
    let rd = raw.depth.as_ref().map(S::get_ref);
    let at = raw.depth.as_ref().map_or(0..0, S::span);
    let (n, o) = (&p.depth, &base.depth);
    let area_at = rd.and_then(|r| r.area_max.as_ref()).map_or_else(|| at.clone(), S::span);
    keeps_sources("depth.area_max", &n.area_max.sources, &o.area_max.sources, &base.id, &area_at, problems);
    let at = rd.and_then(|r| r.darker_skin.as_ref()).map_or(at, S::span);
    keeps_sources(
        "depth.darker_skin",
        &n.darker_skin.guidance.sources,
        &o.darker_skin.guidance.sources,
        &base.id,
        &at,
        problems,
    );
    for t in &o.darker_skin.types {
        if !n.darker_skin.types.contains(t) {
            problems.at(
                &at,
                format!("depth.darker_skin no longer covers Fitzpatrick type {t}, which '{}' covers", base.id),
            );
        }
    }
}

fn keeps_sources(
    what: &str,
    new: &[String],
    old: &[String],
    base: &str,
    at: &Range<usize>,
    problems: &mut Problems<'_>,
) {
    let dropped: Vec<&str> = old.iter().filter(|s| !new.contains(s)).map(String::as_str).collect();
    if !dropped.is_empty() {
        problems.at(
            at,
            format!(
                "{what} drops the source(s) {} that '{base}' cites: a clinic may reword it or add sources, not remove them",
                dropped.join(", ")
            ),
        );
    }
}

fn agent_span(raw: &RawProtocol, code: &str) -> Option<Range<usize>> {
    let a = raw.anaesthesia.as_ref()?;
    a.get_ref().agents.iter().find(|e| e.get_ref().code.get_ref() == code).map(|e| e.get_ref().code.span())
}
