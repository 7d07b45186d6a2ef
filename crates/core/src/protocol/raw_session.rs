//! The `[anaesthesia]` and `[depth]` sections as written (see `session_limits` for what they
//! mean). Every field is optional so that a clinic file can restate one part and inherit the rest;
//! agents and areas are keyed by code and replace whole entries.

use serde::Deserialize;

use super::raw::{S, Sources};

/// A sentence for staff with its sources.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGuidance {
    pub message: S<String>,
    pub sources: Sources,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAreaLimit {
    pub cm2: S<f64>,
    pub message: S<String>,
    pub sources: Sources,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimeLimit {
    pub minutes: S<f64>,
    pub message: S<String>,
    pub sources: Sources,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnaesthesia {
    #[serde(default)]
    pub max_area: Option<S<RawAreaLimit>>,
    #[serde(default)]
    pub max_time: Option<S<RawTimeLimit>>,
    #[serde(default)]
    pub no_occlusion: Option<S<RawGuidance>>,
    #[serde(default)]
    pub full_removal: Option<S<RawGuidance>>,
    #[serde(default)]
    pub methaemoglobinaemia: Option<S<RawGuidance>>,
    #[serde(default)]
    pub agents: Vec<S<RawAgent>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAgent {
    pub code: S<String>,
    pub name: S<String>,
    #[serde(default)]
    pub methaemoglobinaemia: bool,
    #[serde(default)]
    pub max_area_cm2: Option<S<f64>>,
    #[serde(default)]
    pub max_minutes: Option<S<f64>>,
    pub sources: Sources,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDarkerSkin {
    pub types: S<Vec<i64>>,
    pub max_mm: S<f64>,
    pub message: S<String>,
    pub sources: Sources,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDepth {
    #[serde(default)]
    pub area_max: Option<S<RawGuidance>>,
    #[serde(default)]
    pub darker_skin: Option<S<RawDarkerSkin>>,
    #[serde(default)]
    pub areas: Vec<S<RawDepthArea>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDepthArea {
    pub code: S<String>,
    pub name: S<String>,
    pub max_mm: S<f64>,
    #[serde(default)]
    pub bony: bool,
    pub sources: Sources,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    #[serde(default)]
    pub note: Option<String>,
}
