//! The engine's results as they are stored and read back: the screening result, the plan result
//! and a check-in's request, as owned, typed values.
//!
//! The API answers the stored documents as they are (they are the contract's own, versioned
//! documents), so the records keep them as JSON; everything that renders them (the pages, the
//! calendar, the messages) reads them through these types instead of by string key. A field the
//! contract requires is required here, so a stored document that lacks it is an error that
//! names it, never a silent default (a missing `disposition` once read as "contact the
//! clinic"). Fields added after the first documents were stored are optional, and say so.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use crate::vocabulary::{Concern, Decision, Severity, Symptom, Trend};

/// A stored document that does not read as its type: what was being read and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stored {what} does not read: {reason}")]
pub struct Unreadable {
    pub what: &'static str,
    pub reason: String,
}

fn read<T: for<'de> Deserialize<'de>>(what: &'static str, v: &Value) -> Result<T, Unreadable> {
    T::deserialize(v).map_err(|e| Unreadable { what, reason: e.to_string() })
}

/// A statement of the protocol as a result carries it: words, and the sources behind them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Said {
    #[serde(default)]
    pub code: String,
    pub message: String,
    /// The statement's points, where it has them (aftercare steps).
    #[serde(default)]
    pub points: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// A reason of a screening result, with the decision it leads to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Reason {
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub sources: Vec<String>,
    pub effect: Decision,
}

/// A stored screening result (`screening-result.schema.json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ScreeningRead {
    pub decision: Decision,
    pub clinician_review_required: bool,
    /// Protocol 2 on; absent in older results (read as not required).
    #[serde(default)]
    pub guardian_consent_required: bool,
    #[serde(default)]
    pub defer_until: Option<NaiveDate>,
    pub reasons: Vec<Reason>,
    pub precautions: Vec<Said>,
}

impl ScreeningRead {
    pub fn from_stored(v: &Value) -> Result<Self, Unreadable> {
        read("screening result", v)
    }
}

/// One planned session of a stored plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct PlannedSession {
    pub number: u32,
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
}

/// Days between sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Interval {
    pub min: u32,
    pub max: u32,
}

/// A window of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Window {
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
}

/// How many sessions, and why.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SessionCount {
    pub planned: u32,
    pub min: u32,
    pub max: u32,
    #[serde(default)]
    pub chosen_by_clinician: bool,
    pub message: String,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// Maintenance after the series.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Maintenance {
    #[serde(default)]
    pub every_months: Option<u32>,
    #[serde(default)]
    pub first_due: Option<NaiveDate>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// A cost range.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct CostRange {
    pub min: f64,
    pub max: f64,
}

/// The estimated cost of the series, when the clinic has a price.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Cost {
    #[serde(default)]
    pub currency: Option<String>,
    pub total: f64,
    pub range: CostRange,
}

/// A stored plan result (`plan-result.schema.json`). The parts the schema does not require are
/// optional: plans stored by earlier versions may lack them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlanRead {
    pub sessions: Vec<PlannedSession>,
    pub interval_days: Interval,
    #[serde(default)]
    pub session_count: Option<SessionCount>,
    #[serde(default)]
    pub review_after_session: Option<u32>,
    #[serde(default)]
    pub final_review: Option<Window>,
    pub maintenance: Maintenance,
    #[serde(default)]
    pub estimated_cost: Option<Cost>,
    #[serde(default)]
    pub notes: Vec<Said>,
    #[serde(default)]
    pub sources: Vec<String>,
}

impl PlanRead {
    pub fn from_stored(v: &Value) -> Result<Self, Unreadable> {
        read("plan result", v)
    }
}

/// The concern a stored plan request names (the rest of the request is the engine's input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct PlanRequestRead {
    pub concern: Concern,
}

impl PlanRequestRead {
    pub fn from_stored(v: &Value) -> Result<Self, Unreadable> {
        read("plan request", v)
    }
}

/// A symptom as a stored check-in reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Reported {
    pub code: Symptom,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub trend: Option<Trend>,
}

/// A stored check-in request (the check-in as triaged: `checkin-request.schema.json`, after
/// reading), the parts shown back to staff and the patient.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CheckInRead {
    #[serde(default)]
    pub hours_since_treatment: Option<f64>,
    #[serde(default)]
    pub symptoms: Vec<Reported>,
}

impl CheckInRead {
    pub fn from_stored(v: &Value) -> Result<Self, Unreadable> {
        read("check-in", v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Protocol;
    use crate::request::{PlanRequest, ScreeningRequest};
    use serde_json::json;

    #[test]
    fn a_screening_and_a_plan_the_engine_makes_read_back() {
        let p = Protocol::builtin().unwrap();
        let req = ScreeningRequest::from_json(
            &json!({
                "concern": "acne_scars", "scar_type": "atrophic", "age_years": 30, "fitzpatrick": 5,
                "findings": [{ "code": "isotretinoin", "last": "2026-10-01" }]
            }),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        )
        .unwrap();
        let stored = serde_json::to_value(crate::screening::screen(&p, &req)).unwrap();
        let read = ScreeningRead::from_stored(&stored).unwrap();
        assert_eq!(read.decision.as_str(), stored["decision"]);
        assert_eq!(read.reasons.len(), stored["reasons"].as_array().unwrap().len());
        let plan = PlanRequest::from_json(&json!({
            "concern": "acne_scars", "scar_grade": 3, "start": "2026-12-01", "price_per_session": 250, "currency": "EUR"
        }))
        .unwrap();
        let stored = serde_json::to_value(crate::plan::plan(&p, &plan)).unwrap();
        let read = PlanRead::from_stored(&stored).unwrap();
        assert_eq!(read.sessions.len(), stored["sessions"].as_array().unwrap().len());
        assert!(read.session_count.is_some() && read.final_review.is_some() && read.estimated_cost.is_some());
    }

    #[test]
    fn a_stored_result_missing_a_required_field_is_an_error_naming_it() {
        let e = ScreeningRead::from_stored(
            &json!({ "clinician_review_required": false, "reasons": [], "precautions": [] }),
        )
        .unwrap_err();
        assert!(e.reason.contains("decision"), "{e}");
        let e =
            CheckInRead::from_stored(&json!({ "symptoms": [{ "code": "pain", "severity": "agony" }] })).unwrap_err();
        assert!(e.reason.contains("agony"), "an unknown code is named, never read as another: {e}");
    }
}
