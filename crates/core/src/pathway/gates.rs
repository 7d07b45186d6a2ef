//! The session safety gates: may a new session be recorded for this patient now, and if not,
//! what stands in the way and who (if anyone) may record it anyway.
//!
//! The facts are the latest screening with its held reasons and its clinician review, the
//! patient's treatment consent (`crate::consent`), the last session's time, the patient's alerts (open, or opened since the last session), the protocol's
//! minimum interval and the moment of the new session. From them come the blockers, each saying
//! whether a clinician may override it. An override names every blocker it overrides and says,
//! in at least a sentence, why the session is safe now; an absolute blocker is never overridden,
//! and only a clinician overrides.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::consent::{ConsentGap, TreatmentConsentFacts, treatment_blocker};
use crate::protocol::Hold;
use crate::vocabulary::{Decision, Disposition};

/// An override's reason must be at least this long, in characters once trimmed …
pub const MIN_REASON_CHARS: usize = 30;
/// … and have at least this many words: a sentence, never "ok".
pub const MIN_REASON_WORDS: usize = 5;

/// A deferring reason of the latest screening, with how firmly it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldReason {
    /// The reason's code (a finding code, or `concern:CODE`, …).
    pub code: String,
    pub effect: Decision,
    pub hold: Hold,
}

/// A clinician's decision on a screening that required review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// The clinician cleared the patient for treatment.
    Cleared,
    /// The clinician did not clear the patient: only a new screening can change that.
    NotCleared,
}

impl ReviewDecision {
    pub const CODES: &'static [&'static str] = &["cleared", "not_cleared"];

    pub const fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Cleared => "cleared",
            ReviewDecision::NotCleared => "not_cleared",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cleared" => Some(ReviewDecision::Cleared),
            "not_cleared" => Some(ReviewDecision::NotCleared),
            _ => None,
        }
    }
}

/// The latest screening, as far as the gates are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningFacts {
    pub decision: Decision,
    /// Its `defer` and `not_eligible` reasons.
    pub held: Vec<HeldReason>,
    pub review_required: bool,
    /// The recorded review of this screening, if any.
    pub review: Option<ReviewDecision>,
}

impl ScreeningFacts {
    /// Reads a stored screening result (the contract's `ScreeningResult` as JSON), reading every
    /// doubt the safe way: a deferring reason without a known hold is absolute; a deferring
    /// decision without any readable deferring reason counts as one absolute reason; an
    /// unreadable decision counts as `defer`.
    pub fn from_result(result: &Value, review: Option<ReviewDecision>) -> Self {
        let decision = result["decision"].as_str().and_then(|d| Decision::parse(d).ok()).unwrap_or(Decision::Defer);
        let mut held: Vec<HeldReason> = result["reasons"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|r| {
                let effect = r["effect"].as_str().and_then(|e| Decision::parse(e).ok()).unwrap_or(Decision::Defer);
                (effect >= Decision::Defer).then(|| HeldReason {
                    code: r["code"].as_str().unwrap_or("unknown").to_owned(),
                    effect,
                    hold: r["hold"].as_str().and_then(Hold::parse).unwrap_or(Hold::Absolute),
                })
            })
            .collect();
        if decision >= Decision::Defer && held.is_empty() {
            held.push(HeldReason { code: "unknown".into(), effect: decision, hold: Hold::Absolute });
        }
        let review_required = result["clinician_review_required"].as_bool().unwrap_or(true);
        ScreeningFacts { decision, held, review_required, review }
    }
}

/// An alert of the patient's: open, or opened since the last session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFact {
    pub id: String,
    pub disposition: Disposition,
    pub opened_at: DateTime<Utc>,
    pub open: bool,
}

/// Everything the gates look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    /// The latest screening; `None` when the patient was never screened.
    pub screening: Option<ScreeningFacts>,
    /// When the patient's latest session before this one was performed.
    pub last_session_at: Option<DateTime<Utc>>,
    pub alerts: Vec<AlertFact>,
    /// The protocol's minimum interval between sessions.
    pub min_interval_days: u32,
    /// When the new session is (to be) performed.
    pub performed_at: DateTime<Utc>,
    /// The patient's treatment consent against the clinic's current version.
    pub consent: TreatmentConsentFacts,
}

/// Why a new session cannot be recorded as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Blocker {
    /// The patient has never been screened.
    NoScreening,
    /// A `defer` or `not_eligible` reason of the latest screening.
    Contraindication { reason: String, decision: Decision, hold: Hold },
    /// The latest screening requires a clinician's review, and none is recorded.
    ReviewPending,
    /// A clinician reviewed the latest screening and did not clear the patient.
    ReviewNotCleared,
    /// Fewer than the protocol's minimum days since the last session.
    TooSoon { last_session_at: DateTime<Utc>, earliest: DateTime<Utc>, min_interval_days: u32 },
    /// An alert is still open.
    OpenAlert { alert: String, disposition: Disposition },
    /// An urgent or emergency alert (a reported reaction) since the last session, now resolved.
    RecentAlert { alert: String, disposition: Disposition, opened_at: DateTime<Utc> },
    /// The latest screening is older than the protocol allows before a session.
    StaleScreening { screened_on: chrono::NaiveDate, max_age_days: u32 },
    /// The check before the session found an active cold sore (issue 12 item 9): held like
    /// the screening's `cold_sore_active`, absolutely.
    ActiveColdSore,
    /// No treatment consent was signed (issue 15): a clinic may not treat without it.
    ConsentMissing,
    /// The patient withdrew their treatment consent.
    ConsentWithdrawn,
    /// The consent on file is for an older version of the clinic's text: consent again first.
    ConsentOutdated { signed_version: u32, current_version: u32 },
    /// The patient is under 18 and the consent on file is not a parent's or guardian's.
    GuardianConsentMissing,
}

impl From<ConsentGap> for Blocker {
    fn from(gap: ConsentGap) -> Self {
        match gap {
            ConsentGap::NotSigned => Blocker::ConsentMissing,
            ConsentGap::Withdrawn => Blocker::ConsentWithdrawn,
            ConsentGap::Outdated { signed, current } => {
                Blocker::ConsentOutdated { signed_version: signed, current_version: current }
            }
            ConsentGap::GuardianMissing => Blocker::GuardianConsentMissing,
        }
    }
}

impl Blocker {
    /// What an override names to override this blocker: the code, and for a contraindication its
    /// reason (`contraindication:cold_sore_history`).
    pub fn key(&self) -> String {
        match self {
            Blocker::Contraindication { reason, .. } => format!("contraindication:{reason}"),
            other => other.code().to_owned(),
        }
    }

    pub const fn code(&self) -> &'static str {
        match self {
            Blocker::NoScreening => "no_screening",
            Blocker::Contraindication { .. } => "contraindication",
            Blocker::ReviewPending => "review_pending",
            Blocker::ReviewNotCleared => "review_not_cleared",
            Blocker::TooSoon { .. } => "too_soon",
            Blocker::OpenAlert { .. } => "open_alert",
            Blocker::RecentAlert { .. } => "recent_alert",
            Blocker::StaleScreening { .. } => "stale_screening",
            Blocker::ActiveColdSore => "active_cold_sore",
            Blocker::ConsentMissing => "consent_missing",
            Blocker::ConsentWithdrawn => "consent_withdrawn",
            Blocker::ConsentOutdated { .. } => "consent_outdated",
            Blocker::GuardianConsentMissing => "guardian_consent_missing",
        }
    }

    /// Whether a clinician may record a session over this blocker. An absolute contraindication
    /// and a "not cleared" review wait for a new screening; a pending review waits for the review
    /// itself, which the same clinician records. Consent is the patient's to give: nobody
    /// overrides its absence.
    pub const fn overridable(&self) -> bool {
        match self {
            Blocker::Contraindication { hold, .. } => matches!(hold, Hold::Relative),
            Blocker::ReviewPending
            | Blocker::ReviewNotCleared
            | Blocker::ActiveColdSore
            | Blocker::ConsentMissing
            | Blocker::ConsentWithdrawn
            | Blocker::ConsentOutdated { .. }
            | Blocker::GuardianConsentMissing => false,
            Blocker::NoScreening
            | Blocker::TooSoon { .. }
            | Blocker::OpenAlert { .. }
            | Blocker::RecentAlert { .. }
            | Blocker::StaleScreening { .. } => true,
        }
    }
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocker::NoScreening => f.write_str("the patient has no screening on record"),
            Blocker::Contraindication { reason, decision, hold: Hold::Absolute } => write!(
                f,
                "the latest screening says {decision} because of '{reason}', an absolute contraindication: \
                 only a new screening that clears it allows a session"
            ),
            Blocker::Contraindication { reason, decision, hold: Hold::Relative } => write!(
                f,
                "the latest screening says {decision} because of '{reason}'; a clinician may override it with a reason"
            ),
            Blocker::ReviewPending => {
                f.write_str("the latest screening requires a clinician's review, and none is recorded")
            }
            Blocker::ReviewNotCleared => f.write_str(
                "a clinician reviewed the latest screening and did not clear the patient; only a new screening allows a session",
            ),
            Blocker::TooSoon { last_session_at, earliest, min_interval_days } => write!(
                f,
                "the last session was at {last_session_at}; sessions are at least {min_interval_days} days apart, \
                 so the earliest is {earliest}"
            ),
            Blocker::OpenAlert { disposition, .. } => write!(f, "an alert ({disposition}) is still open"),
            Blocker::RecentAlert { disposition, opened_at, .. } => {
                write!(f, "an {disposition} alert was opened at {opened_at}, since the last session")
            }
            Blocker::StaleScreening { screened_on, max_age_days } => write!(
                f,
                "the latest screening ({screened_on}) is more than {max_age_days} days before the session; screen the patient again, or a clinician may override it with a reason"
            ),
            Blocker::ActiveColdSore => f.write_str(
                "an active cold sore was found before the session: no session until it has fully healed and a new screening clears it",
            ),
            Blocker::ConsentMissing => ConsentGap::NotSigned.fmt(f),
            Blocker::ConsentWithdrawn => ConsentGap::Withdrawn.fmt(f),
            Blocker::ConsentOutdated { signed_version, current_version } => {
                ConsentGap::Outdated { signed: *signed_version, current: *current_version }.fmt(f)
            }
            Blocker::GuardianConsentMissing => ConsentGap::GuardianMissing.fmt(f),
        }
    }
}

/// What stands in the way of a new session, in a stable order: consent, screening, review,
/// interval, alerts.
pub fn blockers(facts: &SessionFacts) -> Vec<Blocker> {
    let mut out = Vec::new();
    out.extend(treatment_blocker(&facts.consent).map(Blocker::from));
    match &facts.screening {
        None => out.push(Blocker::NoScreening),
        Some(s) => {
            for r in &s.held {
                out.push(Blocker::Contraindication { reason: r.code.clone(), decision: r.effect, hold: r.hold });
            }
            match (s.review_required, s.review) {
                (true, None) => out.push(Blocker::ReviewPending),
                (_, Some(ReviewDecision::NotCleared)) => out.push(Blocker::ReviewNotCleared),
                _ => {}
            }
        }
    }
    if let Some(last) = facts.last_session_at {
        let earliest = last + Duration::days(i64::from(facts.min_interval_days));
        if facts.performed_at < earliest {
            out.push(Blocker::TooSoon { last_session_at: last, earliest, min_interval_days: facts.min_interval_days });
        }
    }
    for a in &facts.alerts {
        if a.open {
            out.push(Blocker::OpenAlert { alert: a.id.clone(), disposition: a.disposition });
        } else if a.disposition >= Disposition::UrgentSameDay && facts.last_session_at.is_none_or(|l| a.opened_at >= l)
        {
            out.push(Blocker::RecentAlert { alert: a.id.clone(), disposition: a.disposition, opened_at: a.opened_at });
        }
    }
    out
}

/// The question asked before every session, not only at the first screening (issue 12 item 9;
/// research notes section 1a: an active cold sore defers until healed, and section 1b:
/// reactivation follows facial procedures): "is there an active cold sore now?". Yes blocks
/// absolutely, like the screening's `cold_sore_active`; `None` (not asked) adds nothing here: the
/// staff session page always asks, and the API documents the field.
pub fn pre_session_check(cold_sore_now: Option<bool>) -> Option<Blocker> {
    (cold_sore_now == Some(true)).then_some(Blocker::ActiveColdSore)
}

/// A clinician's override: which blockers (by [`Blocker::key`]) and why it is safe now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override<'a> {
    pub blockers: &'a [String],
    pub reason: &'a str,
}

/// Why a session is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Blockers stand and no (acceptable) override covers them.
    Blocked(Vec<Blocker>),
    /// Only a clinician overrides.
    NotAClinician,
    /// The override's reason is not a sentence.
    Reason(String),
    /// The override does not match the blockers: names one that is not blocking, or misses one.
    Naming(String),
}

/// Whether the reason of an override says enough; `None` when it does.
pub fn reason_problem(reason: &str) -> Option<String> {
    let reason = reason.trim();
    let words = reason.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count();
    (reason.chars().count() < MIN_REASON_CHARS || words < MIN_REASON_WORDS).then(|| {
        format!(
            "say in at least a sentence ({MIN_REASON_CHARS} characters, {MIN_REASON_WORDS} words) why the session is safe now"
        )
    })
}

/// May the session be recorded? `clinician` is whether the caller is a clinician (the role
/// `practitioner`).
pub fn decide(blockers: &[Blocker], over: Option<&Override<'_>>, clinician: bool) -> Result<(), Refusal> {
    let Some(over) = over else {
        return if blockers.is_empty() { Ok(()) } else { Err(Refusal::Blocked(blockers.to_vec())) };
    };
    if !clinician {
        return Err(Refusal::NotAClinician);
    }
    if let Some(problem) = reason_problem(over.reason) {
        return Err(Refusal::Reason(problem));
    }
    let absolute: Vec<Blocker> = blockers.iter().filter(|b| !b.overridable()).cloned().collect();
    if !absolute.is_empty() {
        return Err(Refusal::Blocked(absolute));
    }
    let keys: Vec<String> = blockers.iter().map(Blocker::key).collect();
    if over.blockers.is_empty() {
        return Err(Refusal::Naming(format!("name the blockers you override; blocking now: {}", list(&keys))));
    }
    if let Some(stray) = over.blockers.iter().find(|k| !keys.contains(k)) {
        return Err(Refusal::Naming(format!("'{stray}' is not blocking this session; blocking now: {}", list(&keys))));
    }
    let missing: Vec<String> = keys.iter().filter(|k| !over.blockers.contains(k)).cloned().collect();
    if !missing.is_empty() {
        return Err(Refusal::Naming(format!("the override does not name: {}", missing.join(", "))));
    }
    Ok(())
}

fn list(keys: &[String]) -> String {
    if keys.is_empty() { "nothing".to_owned() } else { keys.join(", ") }
}

#[cfg(test)]
mod tests;
