//! What a session record says about the numbing cream and the needle depth, checked against the
//! protocol's limits (`[anaesthesia]`, `[depth]`).
//!
//! Three pure functions serve every caller (API, staff page, store): [`check`] refuses input the
//! protocol does not know (an agent or area it does not list, a number out of range), naming the
//! field and what is accepted; [`warnings`] lists what staff must see about a recorded session,
//! each warning with the sources behind it; [`facts`] gives what check-in triage needs to know.
//!
//! Warnings never block. A session is recorded after it happened: refusing the record would lose
//! exactly the facts (numbing applied, deep needling) that switch on the early-hours triage rules.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::protocol::Protocol;
use crate::protocol::session_limits::Guidance;
use crate::request::SessionFacts;

/// The numbing cream applied before a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Numbing {
    /// An agent code of the protocol's [anaesthesia] section (`needlepath protocol show`):
    /// its `[[anaesthesia.agents]]`.
    pub agent: String,
    /// The area covered, in cm².
    #[cfg_attr(feature = "schemars", schemars(range(max = MAX_AREA_INPUT_CM2), extend("exclusiveMinimum" = 0)))]
    pub area_cm2: f64,
    /// How long it stayed on, in minutes.
    #[cfg_attr(feature = "schemars", schemars(range(max = MAX_MINUTES_INPUT), extend("exclusiveMinimum" = 0)))]
    pub minutes: f64,
    /// Covered with film or an occlusive dressing.
    pub occluded: bool,
    /// Removed completely before needling.
    pub removed: bool,
}

/// The needle depth used on one treatment area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AreaDepth {
    /// An area code of the protocol's [depth] section: its `[[depth.areas]]`.
    pub area: String,
    #[cfg_attr(feature = "schemars", schemars(range(min = DEPTH_MM.0, max = DEPTH_MM.1)))]
    pub depth_mm: f64,
}

/// Input the protocol does not accept: the field (JSON path) and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub field: String,
    pub message: String,
}

/// The largest area of numbing cream accepted as input at all, in cm² (an adult's face and neck
/// are far below it; anything larger is a typing error, not a session).
pub const MAX_AREA_INPUT_CM2: f64 = 2000.0;
/// The longest application accepted as input at all, in minutes.
pub const MAX_MINUTES_INPUT: f64 = 480.0;
/// The needle depths a session may record, in millimetres (inclusive).
pub const DEPTH_MM: (f64, f64) = (0.1, 3.0);
/// At most this many areas per session.
pub const MAX_AREAS: usize = 20;

/// How far ahead of now a session's time may be (clocks differ a little; a session is recorded
/// after it happens), and how far back.
pub const PERFORMED_AHEAD_HOURS: i64 = 1;
pub const PERFORMED_BACK_DAYS: i64 = 365 * 5;

/// Checks when a session was performed against `now`: not in the future, not more than five
/// years ago.
pub fn check_performed_at(performed_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Refused> {
    let refuse = |message: &str| Err(Refused { field: "performed_at".into(), message: message.into() });
    if performed_at > now + Duration::hours(PERFORMED_AHEAD_HOURS) {
        return refuse("a session is recorded after it happens; this time is in the future");
    }
    if performed_at < now - Duration::days(PERFORMED_BACK_DAYS) {
        return refuse("is more than five years ago");
    }
    Ok(())
}

/// Checks a session's numbing and depths against the protocol's lists and plausible ranges.
pub fn check(p: &Protocol, numbing: Option<&Numbing>, depths: &[AreaDepth]) -> Result<(), Refused> {
    let refuse = |field: &str, message: String| Err(Refused { field: field.to_owned(), message });
    if let Some(n) = numbing {
        if p.anaesthesia.agent(&n.agent).is_none() {
            let codes: Vec<&str> = p.anaesthesia.agents.iter().map(|a| a.code.as_str()).collect();
            return refuse(
                "numbing.agent",
                format!("unknown numbing agent '{}'; accepted: {}", n.agent, codes.join(", ")),
            );
        }
        if !(n.area_cm2.is_finite() && n.area_cm2 > 0.0 && n.area_cm2 <= MAX_AREA_INPUT_CM2) {
            return refuse(
                "numbing.area_cm2",
                format!("must be the area covered in cm², above 0 and at most {MAX_AREA_INPUT_CM2}"),
            );
        }
        if !(n.minutes.is_finite() && n.minutes > 0.0 && n.minutes <= MAX_MINUTES_INPUT) {
            return refuse(
                "numbing.minutes",
                format!("must be how long it stayed on in minutes, above 0 and at most {MAX_MINUTES_INPUT}"),
            );
        }
    }
    if depths.len() > MAX_AREAS {
        return refuse("depths", format!("give at most {MAX_AREAS} areas"));
    }
    for (i, d) in depths.iter().enumerate() {
        if p.depth.area(&d.area).is_none() {
            let codes: Vec<&str> = p.depth.areas.iter().map(|a| a.code.as_str()).collect();
            return refuse(
                &format!("depths[{i}].area"),
                format!("unknown area '{}'; accepted: {}", d.area, codes.join(", ")),
            );
        }
        if depths[..i].iter().any(|x| x.area == d.area) {
            return refuse(&format!("depths[{i}].area"), format!("area '{}' is given twice", d.area));
        }
        let (lo, hi) = DEPTH_MM;
        if !(d.depth_mm.is_finite() && (lo..=hi).contains(&d.depth_mm)) {
            return refuse(
                &format!("depths[{i}].depth_mm"),
                format!("must be a depth in millimetres from {lo} to {hi}"),
            );
        }
    }
    Ok(())
}

/// The deepest of the per-area depths; `None` for none.
pub fn deepest(depths: &[AreaDepth]) -> Option<f64> {
    depths.iter().map(|d| d.depth_mm).reduce(f64::max)
}

/// What check-in triage needs to know about the session a check-in follows. A legacy free-text
/// numbing note counts as numbing applied (it was only ever written when a cream was used).
pub fn facts(numbing: Option<&Numbing>, legacy_numbing_note: bool, deepest_mm: Option<f64>) -> SessionFacts {
    SessionFacts { numbing: numbing.is_some() || legacy_numbing_note, depth_mm: deepest_mm }
}

/// What a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    NumbingOccluded,
    NumbingNotRemoved,
    NumbingAreaOverMax,
    NumbingTimeOverMax,
    NumbingMethaemoglobinaemiaRisk,
    DepthOverAreaMax,
    DepthDarkerSkin,
}

impl WarningCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            WarningCode::NumbingOccluded => "numbing_occluded",
            WarningCode::NumbingNotRemoved => "numbing_not_removed",
            WarningCode::NumbingAreaOverMax => "numbing_area_over_max",
            WarningCode::NumbingTimeOverMax => "numbing_time_over_max",
            WarningCode::NumbingMethaemoglobinaemiaRisk => "numbing_methaemoglobinaemia_risk",
            WarningCode::DepthOverAreaMax => "depth_over_area_max",
            WarningCode::DepthDarkerSkin => "depth_darker_skin",
        }
    }
}

/// Something staff must see about a recorded session, with the sources behind it. Shown on the
/// answer and the page and stored with the session; never blocking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SessionWarning {
    pub code: WarningCode,
    /// The treatment area, for depth warnings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// The recorded value (cm², minutes or mm), when the warning is about a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The protocol's limit it exceeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<f64>,
    pub message: String,
    pub sources: Vec<String>,
    /// What the limit rests on: practice, proposed, general, literature..., so a practice value
    /// is never read as established.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

fn warning(code: WarningCode, g: &Guidance) -> SessionWarning {
    SessionWarning {
        code,
        area: None,
        value: None,
        limit: None,
        message: g.message.clone(),
        sources: g.sources.clone(),
        evidence: g.evidence.map(|e| e.as_str().to_owned()),
    }
}

/// The warnings for a session's numbing and depths, given the patient's Fitzpatrick type. Input
/// the protocol does not know (see [`check`]) gives no warning for that part: check it first.
/// Ordered: numbing (occlusion, removal, area, time, agent), then depths in the order given.
pub fn warnings(
    p: &Protocol,
    numbing: Option<&Numbing>,
    depths: &[AreaDepth],
    fitzpatrick: Option<u8>,
) -> Vec<SessionWarning> {
    let mut out = Vec::new();
    let a = &p.anaesthesia;
    if let Some(n) = numbing {
        if n.occluded {
            out.push(warning(WarningCode::NumbingOccluded, &a.no_occlusion));
        }
        if !n.removed {
            out.push(warning(WarningCode::NumbingNotRemoved, &a.full_removal));
        }
        if let Some(agent) = a.agent(&n.agent) {
            let area = a.area_limit(agent);
            if n.area_cm2 > area {
                out.push(SessionWarning {
                    value: Some(n.area_cm2),
                    limit: Some(area),
                    ..warning(WarningCode::NumbingAreaOverMax, &a.max_area_cm2.guidance)
                });
            }
            let time = a.time_limit(agent);
            if n.minutes > time {
                out.push(SessionWarning {
                    value: Some(n.minutes),
                    limit: Some(time),
                    ..warning(WarningCode::NumbingTimeOverMax, &a.max_minutes.guidance)
                });
            }
            if agent.methaemoglobinaemia {
                let mut w = warning(WarningCode::NumbingMethaemoglobinaemiaRisk, &a.methaemoglobinaemia);
                for s in &agent.sources {
                    if !w.sources.contains(s) {
                        w.sources.push(s.clone());
                    }
                }
                out.push(w);
            }
        }
    }
    let d = &p.depth;
    let darker = fitzpatrick.is_some_and(|f| d.darker_skin.types.contains(&f));
    for x in depths {
        if let Some(area) = d.area(&x.area)
            && x.depth_mm > area.max_mm
        {
            let mut w = warning(WarningCode::DepthOverAreaMax, &d.area_max);
            for s in &area.sources {
                if !w.sources.contains(s) {
                    w.sources.push(s.clone());
                }
            }
            // The area's own evidence label, when it is weaker than the general one.
            if let Some(e) = area.evidence {
                w.evidence = Some(e.as_str().to_owned());
            }
            out.push(SessionWarning {
                area: Some(x.area.clone()),
                value: Some(x.depth_mm),
                limit: Some(area.max_mm),
                ..w
            });
        }
        if darker && x.depth_mm > d.darker_skin.max_mm {
            out.push(SessionWarning {
                area: Some(x.area.clone()),
                value: Some(x.depth_mm),
                limit: Some(d.darker_skin.max_mm),
                ..warning(WarningCode::DepthDarkerSkin, &d.darker_skin.guidance)
            });
        }
    }
    out
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
