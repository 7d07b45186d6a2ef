//! What the clinic's outcome report is built from (issue 15, part 6): per session of a period,
//! its practitioner, whether it was recorded over blockers, how many of its check-ins were due
//! and answered, and the alerts it led to; per grade and questionnaire answer of the period,
//! the practitioner who treated the patient last before it. Admins only: a report names no
//! patient, but it is the whole clinic's clinical record in aggregate.

use chrono::{DateTime, Utc};
pub use needlepath_core::outcomes::{Improvement, Milestone, ScarGrade};
use needlepath_core::vocabulary::Disposition;

use crate::records::{PlanId, SessionId, StaffId};

/// A session of the period, with what followed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFact {
    pub session: SessionId,
    pub practitioner: StaffId,
    pub performed_at: DateTime<Utc>,
    /// Recorded over blockers by a clinician's override.
    pub overridden: bool,
    /// Scheduled check-ins of the session due by the report's "now".
    pub check_ins_due: u32,
    /// Of those, answered.
    pub check_ins_answered: u32,
    /// The alerts its check-ins opened, by disposition.
    pub alerts: Vec<Disposition>,
}

/// A clinician's latest grade of a series in the period, with the series' baseline grade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeFact {
    pub plan: PlanId,
    pub milestone: Milestone,
    pub grade: ScarGrade,
    pub baseline: Option<ScarGrade>,
    pub assessed_at: DateTime<Utc>,
    /// Who treated the patient last before the grade; `None` before any session.
    pub practitioner: Option<StaffId>,
}

/// A patient's questionnaire answer in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerFact {
    pub milestone: Milestone,
    pub improvement: Improvement,
    pub satisfaction: u8,
    pub recommend: bool,
    pub answered_at: DateTime<Utc>,
    pub practitioner: Option<StaffId>,
}
