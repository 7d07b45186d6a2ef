//! The protocol: the clinical knowledge needlepath decides by, as validated data.
//!
//! A protocol is written in TOML (`docs/PROTOCOL-FORMAT.md`) and loaded by [`Protocol::parse`],
//! which checks it completely (codes, sources, windows, duplicates, coverage of the vocabulary and
//! the safety floor) and reports every problem with its line and column. Once loaded, every table
//! is dense (one entry per code, indexed by the code), so the decisions never search or fail.

mod build;
mod floor;
mod floor_kept;
mod floor_session;
mod location;
mod raw;
mod raw_session;
pub mod session_limits;

use serde::Serialize;

use crate::vocabulary::{Activity, Answer, Decision, Disposition, Finding, Symptom};

pub use floor::{HARD_FLOOR, HARD_SCREENING_FLOOR};
pub use floor_kept::{EMERGENCY_PHRASES, FIRST_CHECK_IN_BY_DAY};
pub use location::{Problem, ProtocolError};

/// The built-in protocol's text, embedded in every binary.
pub const BUILTIN_TOML: &str = include_str!("../../../../protocols/microneedling.toml");

/// A loaded, validated protocol.
#[derive(Debug, Clone)]
pub struct Protocol {
    pub id: String,
    pub version: String,
    pub title: String,
    /// The protocol this one extends, for clinic protocols.
    pub extends: Option<String>,
    /// What changed in each version and why, newest first; a clinic protocol's own entries come
    /// before the ones it inherits.
    pub changelog: Vec<ChangelogEntry>,
    pub sources: Vec<Source>,
    pub conflicts: Vec<Conflict>,
    pub screening: ScreeningRules,
    pub triage: TriageRules,
    /// One entry per [`Activity`], indexed by [`Activity::index`].
    pub activities: Vec<ActivityRule>,
    pub plan: PlanRules,
    pub aftercare: AftercareRules,
    /// Topical anaesthetic limits, checked when a session is recorded.
    pub anaesthesia: session_limits::AnaesthesiaRules,
    /// Needle depth limits per treatment area, checked when a session is recorded.
    pub depth: session_limits::DepthRules,
}

impl Protocol {
    /// Loads the built-in protocol.
    pub fn builtin() -> Result<Self, ProtocolError> {
        Self::parse(BUILTIN_TOML, None)
    }

    /// Loads a protocol from TOML text. A protocol that `extends` another is merged over `base`
    /// (which must then be given and have the extended id), and every override is checked
    /// against it: nothing may be less safe than the base.
    pub fn parse(text: &str, base: Option<&Protocol>) -> Result<Self, ProtocolError> {
        build::build(text, base)
    }

    /// The identity shown in every decision: `{ "id": ..., "version": ... }`.
    pub fn identity(&self) -> ProtocolIdentity<'_> {
        ProtocolIdentity { id: &self.id, version: &self.version }
    }

    pub fn finding(&self, f: Finding) -> &FindingRule {
        &self.screening.findings[f.index()]
    }

    pub fn symptom(&self, s: Symptom) -> &SymptomRule {
        &self.triage.symptoms[s.index()]
    }

    pub fn activity(&self, a: Activity) -> &ActivityRule {
        &self.activities[a.index()]
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }
}

/// Which protocol made a decision.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct ProtocolIdentity<'p> {
    pub id: &'p str,
    pub version: &'p str,
}

/// What a rule rests on, so that nothing weak is presented as established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Evidence {
    #[serde(rename = "seed")]
    Seed,
    #[serde(rename = "literature")]
    Literature,
    #[serde(rename = "seed+literature")]
    SeedAndLiterature,
    #[serde(rename = "practice")]
    Practice,
    #[serde(rename = "proposed")]
    Proposed,
    #[serde(rename = "general")]
    General,
}

impl Evidence {
    pub const CODES: &'static [&'static str] =
        &["seed", "literature", "seed+literature", "practice", "proposed", "general"];

    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Seed => "seed",
            Evidence::Literature => "literature",
            Evidence::SeedAndLiterature => "seed+literature",
            Evidence::Practice => "practice",
            Evidence::Proposed => "proposed",
            Evidence::General => "general",
        }
    }
}

/// A source a rule cites: a seed article, a paper, a guideline or a practice page.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub id: String,
    pub kind: String,
    pub citation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authors: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One version of a protocol: what changed and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChangelogEntry {
    /// The protocol whose version this is (a clinic protocol also lists its base's entries).
    pub protocol: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub changes: Vec<Change>,
}

/// One change: the issue item it answers, what changed, why, and the sources behind it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    pub item: String,
    pub what: String,
    pub why: String,
    pub sources: Vec<String>,
}

/// A disagreement between sources, the choice made and why.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub id: String,
    pub topic: String,
    pub sides: Vec<ConflictSide>,
    pub choice: String,
    pub why: String,
    pub conservative: bool,
    pub applies_to: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConflictSide {
    pub says: String,
    pub sources: Vec<String>,
}

/// A coded sentence with its sources: a precaution, a piece of advice, a pre-care step.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Statement {
    pub code: String,
    pub message: String,
    pub sources: Vec<String>,
    /// Short points shown as a list under the message (e.g. the signs of an emergency).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<String>,
}

/// How soon a `contact_clinic` answer asks the patient to get in touch: the headline of the
/// answer follows the most urgent tier reported, so it never says "in a few days" above a sign
/// that should be seen soon. A rule without a tier is `soon` (the conservative side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Within the next few days (late, slow signs: pigment change, scarring).
    Days,
    /// Today or the clinic's next working day.
    Soon,
}

impl Tier {
    pub const CODES: &'static [&'static str] = &["soon", "days"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "soon" => Some(Tier::Soon),
            "days" => Some(Tier::Days),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Tier::Soon => "soon",
            Tier::Days => "days",
        }
    }
}

/// A screening rule: what a finding (or concern, scar type, grade, skin type) means for
/// treatment.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub effect: Decision,
    pub clinician_review: bool,
    /// How firmly a `defer` or `not_eligible` rule holds; `Some` exactly for those effects.
    pub hold: Option<Hold>,
    pub message: String,
    pub sources: Vec<String>,
    pub evidence: Option<Evidence>,
    pub note: Option<String>,
    pub precautions: Vec<Statement>,
}

/// How firmly a deferring screening reason holds against a clinician's judgement.
///
/// No source divides microneedling contraindications into absolute and relative; the protocol
/// marks each deferral, following the research notes (section 1a: do not treat today; 1b: a
/// clinician decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// A clinician may record a session over it, with a reason that says why it is safe now.
    Relative,
    /// No session can be recorded until a new screening clears it.
    Absolute,
}

impl Hold {
    /// Every hold's spelling in a protocol file.
    pub const CODES: &'static [&'static str] = &["relative", "absolute"];

    pub const fn as_str(self) -> &'static str {
        match self {
            Hold::Relative => "relative",
            Hold::Absolute => "absolute",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "relative" => Some(Hold::Relative),
            "absolute" => Some(Hold::Absolute),
            _ => None,
        }
    }
}

impl std::fmt::Display for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rule for one finding, with its time window when the finding is timed.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRule {
    pub finding: Finding,
    pub rule: Rule,
    /// For timed findings: the rule holds from `last` until `last + window_days`.
    pub window_days: Option<u32>,
    /// What applies once the window has passed.
    pub after: Option<Rule>,
    /// What applies while the finding is ongoing (no `last` date), when it differs from `rule`.
    pub ongoing: Option<Rule>,
}

#[derive(Debug, Clone)]
pub struct ScreeningRules {
    /// One per [`Finding`], indexed by [`Finding::index`].
    pub findings: Vec<FindingRule>,
    /// Indexed by [`crate::vocabulary::Concern::index`].
    pub concerns: Vec<Option<Rule>>,
    /// Indexed by [`crate::vocabulary::ScarType::index`].
    pub scar_types: Vec<Option<Rule>>,
    /// Indexed by grade − 1.
    pub scar_grades: [Option<Rule>; 4],
    /// Indexed by Fitzpatrick type − 1.
    pub fitzpatrick: [Option<Rule>; 6],
    /// The rule for minors; a protocol that stands alone must have it (the loader checks it).
    pub age: Option<AgeRule>,
}

/// The rule for people younger than an age (`[screening.age]`, issue 12 item 5). There is no
/// source on microneedling minors in the research notes: the rule is the clinic's, and it always
/// asks for clinician review and a parent's or guardian's consent (the precaution
/// [`AgeRule::GUARDIAN_CONSENT`], which the consent records read).
#[derive(Debug, Clone, PartialEq)]
pub struct AgeRule {
    /// The rule applies to anyone younger than this many whole years.
    pub minor_under_years: u8,
    pub rule: Rule,
}

impl AgeRule {
    /// The precaution code every minor rule carries.
    pub const GUARDIAN_CONSENT: &'static str = "guardian_consent";
    /// The youngest and oldest ages a protocol may set as the limit.
    pub const LIMITS: (u8, u8) = (16, 21);

    /// Whether a person of `age` whole years is a minor by this rule.
    pub fn applies(&self, age: u8) -> bool {
        age < self.minor_under_years
    }
}

#[derive(Debug, Clone)]
pub struct TriageRules {
    /// A measured temperature at or above this counts as the symptom `fever`.
    pub fever_threshold_c: f64,
    pub fever_sources: Vec<String>,
    /// The advice that opens an answer of each disposition, indexed by [`Disposition::index`].
    /// For `contact_clinic` this is the `soon` tier's.
    pub disposition_advice: Vec<Statement>,
    /// The `contact_clinic` advice when every sign reported is of tier `days`; `None`: the
    /// `soon` advice opens every `contact_clinic` answer.
    pub contact_days_advice: Option<Statement>,
    /// "Call emergency services if …", with the signs as points: shown above every answer
    /// below an emergency.
    pub emergency_if: Option<Statement>,
    /// One per [`Symptom`], indexed by [`Symptom::index`].
    pub symptoms: Vec<SymptomRule>,
}

/// How one symptom is judged against the expected course of healing.
#[derive(Debug, Clone, PartialEq)]
pub struct SymptomRule {
    pub symptom: Symptom,
    pub base: Base,
    pub escalations: Vec<Escalation>,
    pub advice: Vec<Statement>,
    pub evidence: Option<Evidence>,
    pub note: Option<String>,
    /// The base's tier when it is `contact_clinic` (`None` = `soon`).
    pub base_tier: Option<Tier>,
}

impl SymptomRule {
    /// A warning sign: a red flag, or a symptom that is never less than same-day urgent. No
    /// fault elsewhere in a check-in may stop one from being triaged and alerted.
    pub fn is_warning_sign(&self) -> bool {
        matches!(self.base, Base::RedFlag { .. }) || self.base_disposition() >= Disposition::UrgentSameDay
    }

    /// The least urgent disposition this symptom can ever get.
    pub fn base_disposition(&self) -> Disposition {
        match &self.base {
            Base::Expected { .. } => Disposition::SelfCare,
            Base::Outside { disposition, .. } | Base::RedFlag { disposition, .. } => *disposition,
        }
    }
}

/// A symptom's place in the course of healing.
#[derive(Debug, Clone, PartialEq)]
pub enum Base {
    /// Part of normal healing up to `until_hours` (the maximum-normal duration). `by_depth`
    /// shortens the course after a shallower treatment: the first entry (ascending
    /// `max_depth_mm`) whose `max_depth_mm` is at least the session's depth applies; without a
    /// depth, or deeper than every entry, `until_hours` stands.
    Expected {
        until_hours: f64,
        typical_hours: Option<f64>,
        message: String,
        sources: Vec<String>,
        by_depth: Vec<DepthCourse>,
    },
    /// Never part of the expected course.
    Outside { disposition: Disposition, message: String, sources: Vec<String> },
    /// A warning sign.
    RedFlag { disposition: Disposition, message: String, sources: Vec<String> },
}

/// The expected course after a treatment no deeper than `max_depth_mm`.
#[derive(Debug, Clone, PartialEq)]
pub struct DepthCourse {
    pub max_depth_mm: f64,
    pub until_hours: f64,
    pub typical_hours: Option<f64>,
    pub sources: Vec<String>,
}

impl Base {
    /// The maximum-normal duration for a session of `depth_mm` (none known: the full course).
    pub fn until_hours(&self, depth_mm: Option<f64>) -> Option<f64> {
        match self {
            Base::Expected { until_hours, by_depth, .. } => Some(
                depth_mm
                    .and_then(|d| by_depth.iter().find(|c| d <= c.max_depth_mm))
                    .map_or(*until_hours, |c| c.until_hours),
            ),
            _ => None,
        }
    }
}

/// A condition that raises a symptom's disposition. Every condition holds only in its time
/// window: from `after_hours` (inclusive) and, when `within_hours` is set, before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub when: When,
    /// The escalation fires only from this many hours after the session (0 = from the start).
    pub after_hours: f64,
    /// The escalation fires only while fewer than this many hours have passed; `None` = no end.
    pub within_hours: Option<f64>,
    /// An extra condition on any `when`: one of these symptoms is also reported (a measured
    /// fever counts as `fever`); empty = no extra condition.
    pub with_symptoms: SymptomSet,
    pub disposition: Disposition,
    pub message: String,
    pub sources: Vec<String>,
    /// For `contact_clinic`: how soon (`None` = `soon`).
    pub tier: Option<Tier>,
}

impl Escalation {
    /// Whether `hours` since the session is inside this escalation's time window.
    pub fn in_window(&self, hours: f64) -> bool {
        hours >= self.after_hours && self.within_hours.is_none_or(|w| hours < w)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum When {
    BeyondExpected,
    Worse,
    NotImproving,
    Severe,
    WithSymptom(SymptomSet),
    WithFinding(FindingSet),
    /// The check-in's session record says numbing cream was used.
    AfterNumbing,
    /// Whenever the symptom is reported (within the time window).
    Reported,
    /// The check-in's Fitzpatrick skin type is one of these (bit `t - 1` for type `t`).
    WithFitzpatrick(u8),
}

impl When {
    /// The spelling in a protocol file.
    pub const fn as_str(&self) -> &'static str {
        match self {
            When::BeyondExpected => "beyond_expected",
            When::Worse => "worse",
            When::NotImproving => "not_improving",
            When::Severe => "severe",
            When::WithSymptom(_) => "with_symptom",
            When::WithFinding(_) => "with_finding",
            When::AfterNumbing => "after_numbing",
            When::Reported => "reported",
            When::WithFitzpatrick(_) => "with_fitzpatrick",
        }
    }

    /// Whether the condition depends on the trend (a missing trend may then be assumed worse).
    pub const fn reads_trend(&self) -> bool {
        matches!(self, When::Worse | When::NotImproving)
    }
}

/// A set of symptoms as a bit mask (43 symptoms fit in a `u64`), so that combination rules are
/// checked without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SymptomSet(pub u64);

impl SymptomSet {
    pub fn insert(&mut self, s: Symptom) {
        self.0 |= 1 << s.index();
    }
    pub fn contains(self, s: Symptom) -> bool {
        self.0 & (1 << s.index()) != 0
    }
    pub fn intersects(self, other: SymptomSet) -> bool {
        self.0 & other.0 != 0
    }
    pub fn iter(self) -> impl Iterator<Item = Symptom> {
        Symptom::ALL.iter().copied().filter(move |s| self.contains(*s))
    }
}

/// A set of findings as a bit mask (34 findings fit in a `u64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FindingSet(pub u64);

impl FindingSet {
    pub fn insert(&mut self, f: Finding) {
        self.0 |= 1 << f.index();
    }
    pub fn contains(self, f: Finding) -> bool {
        self.0 & (1 << f.index()) != 0
    }
    pub fn intersects(self, other: FindingSet) -> bool {
        self.0 & other.0 != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Finding> {
        Finding::ALL.iter().copied().filter(move |f| self.contains(*f))
    }
}

/// When an activity is allowed after a session.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRule {
    pub activity: Activity,
    /// Start at 0 hours, strictly increasing, answers never stricter than the phase before.
    pub phases: Vec<Phase>,
    pub sources: Vec<String>,
    pub evidence: Option<Evidence>,
    pub note: Option<String>,
}

impl ActivityRule {
    /// The phase in force at `hours` after the session.
    pub fn phase_at(&self, hours: f64) -> &Phase {
        // Phases are validated non-empty and starting at 0, so the first always applies.
        let mut current = &self.phases[0];
        for p in &self.phases[1..] {
            if p.from_hours <= hours {
                current = p;
            } else {
                break;
            }
        }
        current
    }

    /// When the answer first becomes `yes` or `yes_with_conditions`; `None` = never.
    pub fn allowed_from_hours(&self) -> Option<f64> {
        self.phases.iter().find(|p| p.answer != Answer::No).map(|p| p.from_hours)
    }

    /// When the answer becomes a plain `yes`; `None` = never.
    pub fn unrestricted_from_hours(&self) -> Option<f64> {
        self.phases.iter().find(|p| p.answer == Answer::Yes).map(|p| p.from_hours)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    pub from_hours: f64,
    pub answer: Answer,
    pub message: String,
    pub conditions: Vec<String>,
    /// The phase's own sources; empty = the activity's.
    pub sources: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PlanRules {
    pub interval_min_days: u32,
    pub interval_max_days: u32,
    pub sources: Vec<String>,
    pub review_after_session: u32,
    pub final_review_min_days: u32,
    pub final_review_max_days: u32,
    pub short_interval: Statement,
    /// How many days the latest screening stays valid for a session, and what a plan says past
    /// that; `None` when the protocol sets no limit.
    pub stale_screening: Option<(u32, Statement)>,
    /// What a plan says when the patient was never screened; `None`: nothing.
    pub no_screening: Option<Statement>,
    /// What a plan says when the latest recorded screening holds on its start day.
    pub screening_holds: Option<Statement>,
    /// The number of sessions when no grade is given, or the grade has no entry of its own.
    pub sessions_default: SessionCount,
    /// By scar grade (index grade − 1).
    pub sessions_by_grade: [Option<SessionCount>; 4],
    pub maintenance: Maintenance,
    pub pre_care: Vec<PreCare>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionCount {
    pub default: u32,
    pub min: u32,
    pub max: u32,
    pub message: String,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Maintenance {
    pub every_months: u32,
    pub message: String,
    pub sources: Vec<String>,
}

/// A step before each session.
#[derive(Debug, Clone, PartialEq)]
pub struct PreCare {
    pub code: String,
    pub days_before: u32,
    pub message: String,
    pub sources: Vec<String>,
    /// Only when one of these findings is present; empty = always.
    pub if_findings: FindingSet,
    /// Only before the first session of a series (e.g. the consultation).
    pub first_session_only: bool,
    /// Only for these Fitzpatrick types (bit `type − 1`); 0 = every type. Where the skin type is
    /// not known, such a step is shown (issue 12 item 10: sun protection for darker skin).
    pub if_fitzpatrick: u8,
}

impl PreCare {
    /// Whether this step applies before session `number` (1-based) of a patient with `findings`.
    pub fn applies(&self, number: u32, findings: FindingSet) -> bool {
        self.applies_to_skin(number, findings, None)
    }

    /// [`PreCare::applies`] for a person whose Fitzpatrick type may be known; a step for some
    /// skin types is left out only when the type is known and not one of them.
    pub fn applies_to_skin(&self, number: u32, findings: FindingSet, fitzpatrick: Option<u8>) -> bool {
        let skin = match fitzpatrick {
            Some(t) if (1..=6).contains(&t) && self.if_fitzpatrick != 0 => self.if_fitzpatrick & (1 << (t - 1)) != 0,
            _ => true,
        };
        (!self.first_session_only || number == 1)
            && (self.if_findings.is_empty() || self.if_findings.intersects(findings))
            && skin
    }
}

#[derive(Debug, Clone)]
pub struct AftercareRules {
    pub check_in_days: Vec<u32>,
    pub check_in_sources: Vec<String>,
    pub milestones: Vec<Milestone>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    pub code: String,
    pub hours: f64,
    pub message: String,
    pub sources: Vec<String>,
    /// Only for people with one of these findings; empty = everyone (e.g. keep taking the
    /// antiviral after the session, for a cold-sore history).
    pub if_findings: FindingSet,
}

impl Milestone {
    /// Whether this point of the course is said to a person with `findings`.
    pub fn applies(&self, findings: FindingSet) -> bool {
        self.if_findings.is_empty() || self.if_findings.intersects(findings)
    }
}
