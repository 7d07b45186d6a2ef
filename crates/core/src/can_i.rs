//! "Can I do this now?": an activity at a number of hours after the session.
//!
//! The answer comes from the activity's phases; a restriction that lifts stays lifted (the
//! protocol loader refuses phases that would make an answer stricter later).

use serde::Serialize;

use crate::protocol::{Protocol, ProtocolIdentity};
use crate::request::CanIRequest;
use crate::vocabulary::{Activity, Answer};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CanIResult<'p> {
    pub activity: Activity,
    #[serde(serialize_with = "crate::hours::serialize")]
    pub hours_since_treatment: f64,
    pub answer: Answer,
    /// When the answer first becomes `yes` or `yes_with_conditions`; `null` = never.
    #[serde(serialize_with = "crate::hours::serialize_opt")]
    pub allowed_from_hours: Option<f64>,
    /// When the answer becomes a plain `yes`; `null` = never.
    #[serde(serialize_with = "crate::hours::serialize_opt")]
    pub unrestricted_from_hours: Option<f64>,
    pub conditions: &'p [String],
    pub message: &'p str,
    pub sources: &'p [String],
    pub protocol: ProtocolIdentity<'p>,
}

pub fn can_i<'p>(p: &'p Protocol, req: &CanIRequest) -> CanIResult<'p> {
    let rule = p.activity(req.activity);
    let phase = rule.phase_at(req.hours_since_treatment);
    CanIResult {
        activity: req.activity,
        hours_since_treatment: req.hours_since_treatment,
        answer: phase.answer,
        allowed_from_hours: rule.allowed_from_hours(),
        unrestricted_from_hours: rule.unrestricted_from_hours(),
        conditions: &phase.conditions,
        message: &phase.message,
        sources: if phase.sources.is_empty() { &rule.sources } else { &phase.sources },
        protocol: p.identity(),
    }
}
