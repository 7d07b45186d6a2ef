//! Scar grades and outcome answers (issue 15, part 5): what the database keeps of a clinician's
//! Goodman & Baron grade with their rating of improvement, and of a patient's answer to the
//! outcome questionnaire, each at a milestone of a plan's series. The rules (which milestones,
//! what is required when) are core's (`needlepath_core::outcomes`).
//!
//! Grades and answers are clinical records: the front desk is refused them in the store, and a
//! patient reaches only their own.

use chrono::{DateTime, Utc};
pub use needlepath_core::outcomes::{Improvement, Milestone, ScarGrade};
use schemars::JsonSchema;
use serde::Serialize;

use crate::records::{AssessmentId, OutcomeAnswerId, PatientId, PlanId, StaffId};

/// A clinician's assessment as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ScarAssessment {
    pub id: AssessmentId,
    pub patient: PatientId,
    pub plan: PlanId,
    /// `baseline`, `after_session_N` (N even) or `months_N`.
    #[schemars(with = "String")]
    pub milestone: Milestone,
    /// The Goodman & Baron qualitative grade, 1 (macular) to 4 (severe).
    #[schemars(with = "u8", range(min = 1, max = 4))]
    pub grade: ScarGrade,
    /// The clinician's rating of improvement since baseline; none at baseline.
    #[schemars(with = "Option<String>")]
    pub improvement: Option<Improvement>,
    /// What the clinician noted (the scar types seen, the areas); `None` when nothing.
    pub note: Option<String>,
    pub assessed_by: StaffId,
    pub assessed_at: DateTime<Utc>,
}

/// An assessment to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewScarAssessment {
    pub patient: PatientId,
    pub plan: PlanId,
    pub milestone: Milestone,
    pub grade: ScarGrade,
    pub improvement: Option<Improvement>,
    pub note: String,
    pub assessed_at: DateTime<Utc>,
}

/// A patient's answer to the outcome questionnaire as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct OutcomeAnswer {
    pub id: OutcomeAnswerId,
    pub patient: PatientId,
    pub plan: PlanId,
    #[schemars(with = "String")]
    pub milestone: Milestone,
    /// Their global impression of change since before treatment.
    #[schemars(with = "String")]
    pub improvement: Improvement,
    /// 0 (not at all satisfied) to 10 (completely).
    pub satisfaction: u8,
    /// Whether they would recommend the treatment.
    pub recommend: bool,
    pub answered_at: DateTime<Utc>,
}

/// An answer to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutcomeAnswer {
    pub patient: PatientId,
    pub plan: PlanId,
    pub milestone: Milestone,
    pub improvement: Improvement,
    pub satisfaction: u8,
    pub recommend: bool,
    pub answered_at: DateTime<Utc>,
}
