//! The protocol's limits for what happens at the session itself: the topical anaesthetic
//! (numbing cream) and the needle depth per treatment area.
//!
//! These are checked when a session is recorded (`crate::session::warnings`), not when a patient
//! is screened or triaged: a numbing cream left on too long or too widely, or a depth beyond an
//! area's usual maximum, is something staff must see on the record, with the sources that set the
//! limit. Most values are practice-level (no peer-reviewed table exists), and say so.

use serde::Serialize;

use super::Evidence;

/// A sentence for staff with its sources and what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guidance {
    pub message: String,
    pub sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A numeric limit with the guidance that explains it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limit {
    pub value: f64,
    #[serde(flatten)]
    pub guidance: Guidance,
}

/// Topical anaesthetic limits (`[anaesthesia]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnaesthesiaRules {
    /// The agents a clinic may record; a session names one by code.
    pub agents: Vec<Agent>,
    /// The largest area covered, in cm², unless an agent sets its own.
    pub max_area_cm2: Limit,
    /// The longest application, in minutes, unless an agent sets its own.
    pub max_minutes: Limit,
    /// Never under an occlusive dressing or film.
    pub no_occlusion: Guidance,
    /// Removed completely before the needling starts.
    pub full_removal: Guidance,
    /// What is said when the agent carries a risk of methaemoglobinaemia.
    pub methaemoglobinaemia: Guidance,
}

impl AnaesthesiaRules {
    pub fn agent(&self, code: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| a.code == code)
    }

    /// The area limit in force for `agent`: its own, or the general one.
    pub fn area_limit(&self, agent: &Agent) -> f64 {
        agent.max_area_cm2.unwrap_or(self.max_area_cm2.value)
    }

    /// The time limit in force for `agent`: its own, or the general one.
    pub fn time_limit(&self, agent: &Agent) -> f64 {
        agent.max_minutes.unwrap_or(self.max_minutes.value)
    }
}

/// One topical anaesthetic a clinic may use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agent {
    pub code: String,
    pub name: String,
    /// Carries a risk of methaemoglobinaemia (prilocaine, benzocaine).
    pub methaemoglobinaemia: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_area_cm2: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_minutes: Option<f64>,
    pub sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Needle depth limits (`[depth]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepthRules {
    /// The treatment areas a session may name, each with its usual maximum depth.
    pub areas: Vec<DepthArea>,
    /// What is said when a depth exceeds its area's maximum.
    pub area_max: Guidance,
    /// A conservative maximum for darker skin types.
    pub darker_skin: DarkerSkinDepth,
}

impl DepthRules {
    pub fn area(&self, code: &str) -> Option<&DepthArea> {
        self.areas.iter().find(|a| a.code == code)
    }
}

/// One treatment area and its usual maximum depth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepthArea {
    pub code: String,
    pub name: String,
    pub max_mm: f64,
    /// Thin skin over bone (forehead, cheekbones, nose): tram-track scarring risk when deep.
    pub bony: bool,
    pub sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The conservative depth for the skin types most prone to pigment darkening.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DarkerSkinDepth {
    /// Fitzpatrick types it applies to.
    pub types: Vec<u8>,
    pub max_mm: f64,
    #[serde(flatten)]
    pub guidance: Guidance,
}
