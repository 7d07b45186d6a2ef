//! The protocol file as written: TOML shapes with the byte span of everything a problem may be
//! reported at. Nothing here is trusted; `build` turns it into the validated model.
//!
//! Singletons (`[triage]`, `[plan]`, `[aftercare]`) have optional fields so that a clinic file
//! can override one value and inherit the rest; lists are keyed by code and replace whole entries.

use serde::Deserialize;
use toml::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProtocol {
    pub protocol: S<RawHeader>,
    /// What changed in each version and why, newest first (protocol 2).
    #[serde(default)]
    pub changelog: Vec<S<RawChangelog>>,
    #[serde(default)]
    pub sources: Vec<S<RawSource>>,
    #[serde(default)]
    pub conflicts: Vec<S<RawConflict>>,
    #[serde(default)]
    pub screening: RawScreening,
    pub triage: Option<S<RawTriage>>,
    #[serde(default)]
    pub activities: Vec<S<RawActivity>>,
    pub plan: Option<S<RawPlan>>,
    pub aftercare: Option<S<RawAftercare>>,
    /// Topical anaesthetic limits (`raw_session`).
    #[serde(default)]
    pub anaesthesia: Option<S<super::raw_session::RawAnaesthesia>>,
    /// Needle depth limits (`raw_session`).
    #[serde(default)]
    pub depth: Option<S<super::raw_session::RawDepth>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHeader {
    pub id: S<String>,
    pub version: S<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub extends: Option<S<String>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub id: S<String>,
    pub kind: S<String>,
    pub citation: S<String>,
    #[serde(default)]
    pub authors: Option<String>,
    #[serde(default)]
    pub year: Option<S<i64>>,
    #[serde(default)]
    pub journal: Option<String>,
    #[serde(default)]
    pub read: Option<S<String>>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub file: Option<String>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

pub type Sources = Vec<S<String>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConflict {
    pub id: S<String>,
    pub topic: S<String>,
    pub sides: Vec<S<RawSide>>,
    pub choice: S<String>,
    pub why: S<String>,
    #[serde(default)]
    pub conservative: bool,
    #[serde(default)]
    pub applies_to: Vec<S<String>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
    /// What this rests on; checked, and shown by `protocol show` on the entry that owns it.
    #[serde(default)]
    pub evidence: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSide {
    pub says: S<String>,
    pub sources: Sources,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStatement {
    pub code: S<String>,
    pub message: S<String>,
    pub sources: Sources,
    /// Short points shown as a list under the message (protocol 2).
    #[serde(default)]
    pub points: Vec<String>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
    /// What this rests on; checked, and shown by `protocol show` on the entry that owns it.
    #[serde(default)]
    pub evidence: Option<S<String>>,
}

/// The fields every screening rule has.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub effect: S<String>,
    #[serde(default)]
    pub clinician_review: bool,
    /// For a `defer` or `not_eligible` rule: `absolute` (no session until a new screening clears
    /// it) or `relative` (a clinician may override it with a reason).
    #[serde(default)]
    pub hold: Option<S<String>>,
    pub message: S<String>,
    pub sources: Sources,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
    #[serde(default)]
    pub precautions: Vec<S<RawStatement>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScreening {
    #[serde(default)]
    pub findings: Vec<S<RawFindingRule>>,
    #[serde(default)]
    pub concerns: Vec<S<RawKeyedRule>>,
    #[serde(default)]
    pub scar_types: Vec<S<RawKeyedRule>>,
    #[serde(default)]
    pub scar_grades: Vec<S<RawGradeRule>>,
    #[serde(default)]
    pub fitzpatrick: Vec<S<RawFitzpatrickRule>>,
    /// `[screening.age]`: the rule for minors (issue 12, item 5).
    #[serde(default)]
    pub age: Option<S<RawAgeRule>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFindingRule {
    pub code: S<String>,
    pub effect: S<String>,
    #[serde(default)]
    pub clinician_review: bool,
    /// For a `defer` or `not_eligible` rule: `absolute` (no session until a new screening clears
    /// it) or `relative` (a clinician may override it with a reason).
    #[serde(default)]
    pub hold: Option<S<String>>,
    pub message: S<String>,
    pub sources: Sources,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
    #[serde(default)]
    pub precautions: Vec<S<RawStatement>>,
    #[serde(default)]
    pub window_days: Option<S<i64>>,
    #[serde(default)]
    pub after: Option<S<RawRule>>,
    #[serde(default)]
    pub ongoing: Option<S<RawRule>>,
}

impl RawFindingRule {
    /// The finding's own rule, without the keys that make it a finding rule.
    pub fn rule(&self) -> RawRuleRef<'_> {
        RawRuleRef {
            effect: &self.effect,
            clinician_review: self.clinician_review,
            hold: self.hold.as_ref(),
            message: &self.message,
            sources: &self.sources,
            evidence: self.evidence.as_ref(),
            note: self.note.as_ref(),
            precautions: &self.precautions,
        }
    }
}

/// A borrowed view of a rule's fields, whichever entry they sit in.
pub struct RawRuleRef<'a> {
    pub effect: &'a S<String>,
    pub clinician_review: bool,
    pub hold: Option<&'a S<String>>,
    pub message: &'a S<String>,
    pub sources: &'a Sources,
    pub evidence: Option<&'a S<String>>,
    pub note: Option<&'a String>,
    pub precautions: &'a [S<RawStatement>],
}

impl<'a> From<&'a RawRule> for RawRuleRef<'a> {
    fn from(r: &'a RawRule) -> Self {
        RawRuleRef {
            effect: &r.effect,
            clinician_review: r.clinician_review,
            hold: r.hold.as_ref(),
            message: &r.message,
            sources: &r.sources,
            evidence: r.evidence.as_ref(),
            note: r.note.as_ref(),
            precautions: &r.precautions,
        }
    }
}

/// Generates a rule entry keyed by something other than a finding.
macro_rules! keyed_rule {
    ($name:ident, $key:ident: $ty:ty) => {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            pub $key: S<$ty>,
            pub effect: S<String>,
            #[serde(default)]
            pub clinician_review: bool,
            #[serde(default)]
            pub hold: Option<S<String>>,
            pub message: S<String>,
            pub sources: Sources,
            #[serde(default)]
            pub evidence: Option<S<String>>,
            #[serde(default)]
            pub note: Option<String>,
            #[serde(default)]
            pub precautions: Vec<S<RawStatement>>,
        }

        impl $name {
            pub fn rule(&self) -> RawRuleRef<'_> {
                RawRuleRef {
                    effect: &self.effect,
                    clinician_review: self.clinician_review,
                    hold: self.hold.as_ref(),
                    message: &self.message,
                    sources: &self.sources,
                    evidence: self.evidence.as_ref(),
                    note: self.note.as_ref(),
                    precautions: &self.precautions,
                }
            }
        }
    };
}

keyed_rule!(RawKeyedRule, code: String);
keyed_rule!(RawGradeRule, grade: i64);
keyed_rule!(RawFitzpatrickRule, types: Vec<i64>);
keyed_rule!(RawAgeRule, minor_under_years: i64);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTriage {
    #[serde(default)]
    pub fever_threshold_c: Option<S<f64>>,
    #[serde(default)]
    pub fever_sources: Option<Sources>,
    #[serde(default)]
    pub fever_evidence: Option<S<String>>,
    #[serde(default)]
    pub dispositions: Vec<S<RawDispositionAdvice>>,
    /// "Call emergency services if …": shown above every answer below an emergency (protocol 2).
    #[serde(default)]
    pub emergency_if: Option<S<RawStatement>>,
    #[serde(default)]
    pub symptoms: Vec<S<RawSymptomRule>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDispositionAdvice {
    pub code: S<String>,
    pub advice: S<RawStatement>,
    /// For `contact_clinic`: the advice when every sign reported may wait a few days (tier
    /// `days`); `advice` is then the `soon` tier's (protocol 2).
    #[serde(default)]
    pub days: Option<S<RawStatement>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSymptomRule {
    pub code: S<String>,
    #[serde(default)]
    pub expected: Option<S<RawExpected>>,
    #[serde(default)]
    pub outside: Option<S<RawFixed>>,
    #[serde(default)]
    pub red_flag: Option<S<RawFixed>>,
    #[serde(default)]
    pub escalations: Vec<S<RawEscalation>>,
    #[serde(default)]
    pub advice: Vec<S<RawStatement>>,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpected {
    pub until_hours: S<f64>,
    #[serde(default)]
    pub typical_hours: Option<S<f64>>,
    pub message: S<String>,
    pub sources: Sources,
    /// A shorter course after a shallower treatment, by the session's depth.
    #[serde(default)]
    pub by_depth: Vec<S<RawDepthCourse>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
    /// What this rests on; checked, and shown by `protocol show` on the entry that owns it.
    #[serde(default)]
    pub evidence: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDepthCourse {
    pub max_depth_mm: S<f64>,
    pub until_hours: S<f64>,
    #[serde(default)]
    pub typical_hours: Option<S<f64>>,
    pub sources: Sources,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
    /// What this rests on; checked.
    #[serde(default)]
    pub evidence: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFixed {
    pub disposition: S<String>,
    pub message: S<String>,
    pub sources: Sources,
    /// For `contact_clinic`: `soon` (the default) or `days` (protocol 2).
    #[serde(default)]
    pub tier: Option<S<String>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
    /// What this rests on; checked, and shown by `protocol show` on the entry that owns it.
    #[serde(default)]
    pub evidence: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEscalation {
    pub when: S<String>,
    pub disposition: S<String>,
    pub message: S<String>,
    pub sources: Sources,
    /// For `contact_clinic`: `soon` (the default) or `days` (protocol 2).
    #[serde(default)]
    pub tier: Option<S<String>>,
    #[serde(default)]
    pub after_hours: Option<S<f64>>,
    #[serde(default)]
    pub within_hours: Option<S<f64>>,
    /// An extra condition on any `when`: one of these symptoms is also reported.
    #[serde(default)]
    pub with_symptoms: Vec<S<String>>,
    /// Fitzpatrick types for `when = "with_fitzpatrick"`.
    #[serde(default)]
    pub types: Vec<S<i64>>,
    #[serde(default)]
    pub symptoms: Vec<S<String>>,
    #[serde(default)]
    pub findings: Vec<S<String>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
    /// What this rests on; checked, and shown by `protocol show` on the entry that owns it.
    #[serde(default)]
    pub evidence: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActivity {
    pub code: S<String>,
    pub sources: Sources,
    pub phases: Vec<S<RawPhase>>,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhase {
    pub from_hours: S<f64>,
    pub answer: S<String>,
    pub message: S<String>,
    #[serde(default)]
    pub conditions: Vec<String>,
    #[serde(default)]
    pub sources: Sources,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
    /// What this rests on; checked, and shown by `protocol show` on the entry that owns it.
    #[serde(default)]
    pub evidence: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRange {
    pub min: S<i64>,
    pub max: S<i64>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStaleScreening {
    pub max_age_days: S<i64>,
    pub message: S<String>,
    pub sources: Sources,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    #[serde(default)]
    pub interval_days: Option<S<RawRange>>,
    #[serde(default)]
    pub sources: Option<Sources>,
    #[serde(default)]
    pub review_after_session: Option<S<i64>>,
    #[serde(default)]
    pub final_review_days: Option<S<RawRange>>,
    #[serde(default)]
    pub short_interval: Option<S<RawMessage>>,
    /// How old the latest screening may be at a session, and what a plan says past that.
    #[serde(default)]
    pub stale_screening: Option<S<RawStaleScreening>>,
    /// What a plan says when the patient was never screened.
    #[serde(default)]
    pub no_screening: Option<S<RawMessage>>,
    /// What a plan says when the latest recorded screening defers or refuses treatment on the
    /// plan's start day.
    #[serde(default)]
    pub screening_holds: Option<S<RawMessage>>,
    #[serde(default)]
    pub sessions: Vec<S<RawSessions>>,
    #[serde(default)]
    pub maintenance: Option<S<RawMaintenance>>,
    #[serde(default)]
    pub pre_care: Vec<S<RawPreCare>>,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMessage {
    pub message: S<String>,
    pub sources: Sources,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSessions {
    #[serde(default)]
    pub grade: Option<S<i64>>,
    pub default: S<i64>,
    pub min: S<i64>,
    pub max: S<i64>,
    pub message: S<String>,
    pub sources: Sources,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMaintenance {
    pub every_months: S<i64>,
    pub message: S<String>,
    pub sources: Sources,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPreCare {
    pub code: S<String>,
    pub days_before: S<i64>,
    pub message: S<String>,
    pub sources: Sources,
    #[serde(default)]
    pub if_findings: Vec<S<String>>,
    /// Only for these Fitzpatrick skin types (empty = every type).
    #[serde(default)]
    pub if_fitzpatrick: Vec<S<i64>>,
    #[serde(default)]
    pub first_session_only: bool,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAftercare {
    #[serde(default)]
    pub check_in_days: Option<S<Vec<i64>>>,
    #[serde(default)]
    pub check_in_sources: Option<Sources>,
    #[serde(default)]
    pub milestones: Vec<S<RawMilestone>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
    /// What this rests on; checked, and shown by `protocol show` on the entry that owns it.
    #[serde(default)]
    pub evidence: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMilestone {
    pub code: S<String>,
    pub hours: S<f64>,
    pub message: S<String>,
    pub sources: Sources,
    /// Only for people with one of these findings (empty = everyone).
    #[serde(default)]
    pub if_findings: Vec<S<String>>,
    #[serde(default)]
    pub evidence: Option<S<String>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

/// One version's entry in `[[changelog]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChangelog {
    pub version: S<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub changes: Vec<S<RawChange>>,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}

/// One change of a version: which item it answers, what changed, why, and its sources.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChange {
    pub item: S<String>,
    pub what: S<String>,
    pub why: S<String>,
    pub sources: Sources,
    /// A note for staff: accepted in the file; the engine does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
}
