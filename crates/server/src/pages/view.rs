//! Shaping records and engine results for templates: sources as numbered links, times in the
//! reader's words ("10:30 tomorrow"), urgency with a word and an icon as well as a colour.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use needlepath_core::protocol::Protocol;

use crate::i18n::Locale;

/// A source a statement rests on, as the page links it: `[n]` to `/sources#id`.
#[derive(Debug, Clone)]
pub struct SourceRef {
    /// Its number in the protocol's list of sources (1-based), stable for one protocol.
    pub n: usize,
    pub id: String,
    pub citation: String,
}

/// The protocol's sources behind `ids`, numbered as `/sources` numbers them.
pub fn sources(p: &Protocol, ids: &[String]) -> Vec<SourceRef> {
    ids.iter()
        .map(|id| {
            let n = p.sources.iter().position(|s| &s.id == id).map(|i| i + 1).unwrap_or(0);
            let citation = p.source(id).map(|s| s.citation.clone()).unwrap_or_else(|| id.clone());
            SourceRef { n, id: id.clone(), citation }
        })
        .collect()
}

/// Every source cited in `lists`, once, in the protocol's order: the list at the end of a page.
pub fn cited<'a>(lists: impl IntoIterator<Item = &'a [SourceRef]>) -> Vec<SourceRef> {
    let mut all: Vec<SourceRef> = lists.into_iter().flatten().cloned().collect();
    all.sort_by_key(|s| s.n);
    all.dedup_by_key(|s| s.n);
    all
}

/// The same, for source ids held in a stored JSON result.
pub fn sources_json(p: &Protocol, ids: &serde_json::Value) -> Vec<SourceRef> {
    let ids: Vec<String> =
        ids.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default();
    sources(p, &ids)
}

/// A calendar date as people write it: "Mon 24 Nov 2026".
pub fn date(d: NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}

/// A moment relative to `now`, both in the reader's zone: "today at 10:30", "tomorrow at
/// 10:30", or "Mon 24 Nov at 10:30".
pub fn when<Tz: TimeZone>(t: &Locale, at: DateTime<Tz>, now: DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let time = at.format("%H:%M").to_string();
    let days = (at.date_naive() - now.date_naive()).num_days();
    match days {
        0 => t.f("common.today_at", &[("time", &time)]),
        1 => t.f("common.tomorrow_at", &[("time", &time)]),
        _ => t.f("common.on_day_at", &[("day", &at.format("%a %-d %b").to_string()), ("time", &time)]),
    }
}

/// An instant shown in a fixed-offset zone: "Mon 24 Nov 2026, 10:30".
pub fn moment(at: DateTime<FixedOffset>) -> String {
    at.format("%a %-d %b %Y, %H:%M").to_string()
}

/// How a disposition or decision looks: its words, an icon that is not colour, and the CSS
/// class that colours it.
#[derive(Debug, Clone)]
pub struct Badge {
    pub label: String,
    /// A small inline SVG symbol (a shape, not a font glyph, so it shows everywhere), hidden
    /// from screen readers: the label says it in words.
    pub icon: &'static str,
    pub class: &'static str,
}

/// The badge of a triage disposition.
pub fn disposition(t: &Locale, code: &str) -> Badge {
    let (icon, class) = match code {
        "emergency" => (icons::STOP, "u-emergency"),
        "urgent_same_day" => (icons::WARNING, "u-urgent"),
        "contact_clinic" => (icons::PHONE, "u-contact"),
        _ => (icons::CHECK, "u-ok"),
    };
    Badge { label: t.label("disposition", code).to_string(), icon, class }
}

/// The badge of a screening decision.
pub fn decision(t: &Locale, code: &str) -> Badge {
    let (icon, class) = match code {
        "not_eligible" => (icons::CROSS, "u-urgent"),
        "defer" => (icons::PAUSE, "u-contact"),
        "eligible_with_precautions" => (icons::WARNING, "u-contact"),
        _ => (icons::CHECK, "u-ok"),
    };
    Badge { label: t.label("decision", code).to_string(), icon, class }
}

/// The badge symbols: one shape per level, drawn in the badge's text colour.
pub mod icons {
    pub const STOP: &str = r##"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><path fill="currentColor" d="M5 1h6l4 4v6l-4 4H5l-4-4V5z"/><path stroke="#fff" stroke-width="2" d="M8 4v5M8 11v2"/></svg>"##;
    pub const WARNING: &str = r##"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><path fill="currentColor" d="M8 1l7.5 14H.5z"/><path stroke="#fff" stroke-width="2" d="M8 6v4M8 11.5v2"/></svg>"##;
    pub const PHONE: &str = r##"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><circle cx="8" cy="8" r="7" fill="currentColor"/><path stroke="#fff" stroke-width="2" d="M8 4v5M8 11v2"/></svg>"##;
    pub const CHECK: &str = r##"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><circle cx="8" cy="8" r="7" fill="currentColor"/><path stroke="#fff" stroke-width="2" fill="none" d="M4.5 8.5l2.5 2.5 4.5-5"/></svg>"##;
    pub const CROSS: &str = r##"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><circle cx="8" cy="8" r="7" fill="currentColor"/><path stroke="#fff" stroke-width="2" d="M5 5l6 6M11 5l-6 6"/></svg>"##;
    pub const PAUSE: &str = r##"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><circle cx="8" cy="8" r="7" fill="currentColor"/><path stroke="#fff" stroke-width="2" d="M6 4.5v7M10 4.5v7"/></svg>"##;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::default_locale;
    use chrono::Utc;

    #[test]
    fn times_are_said_relative_to_now() {
        let t = default_locale();
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap();
        assert_eq!(when(t, Utc.with_ymd_and_hms(2026, 11, 22, 10, 30, 0).unwrap(), now), "tomorrow at 10:30");
        assert_eq!(when(t, Utc.with_ymd_and_hms(2026, 11, 21, 18, 5, 0).unwrap(), now), "today at 18:05");
        assert_eq!(when(t, Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap(), now), "Tue 24 Nov at 09:00");
    }

    #[test]
    fn urgency_is_never_colour_alone() {
        let t = default_locale();
        for code in ["self_care", "contact_clinic", "urgent_same_day", "emergency"] {
            let b = disposition(t, code);
            assert!(!b.icon.is_empty() && !b.label.is_empty() && b.label != code, "{code}");
        }
    }
}
