//! Scar grades and outcomes over a series (issue 15, part 5): where the patient's latest plan
//! stands at each milestone (baseline, every second session, 3 and 6 months after the last), a
//! clinician recording the Goodman & Baron grade with their rating of improvement, and the
//! patient answering the outcome questionnaire.
//!
//! The series is the latest plan's: its sessions are those recorded for it or for no plan in
//! particular (a session recorded for an older plan belongs to that one). The rules — which
//! milestones, when each is due, what a grade or an answer must hold — are core's
//! (`needlepath_core::outcomes`); this module reads, checks the milestone against the series,
//! writes and audits (`outcome.graded`, `outcome.answered`, `outcomes.viewed`).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use needlepath_core::outcomes::{
    self, Assessment, Milestone, PatientAnswer, grade_change, milestones, questionnaire_day, questionnaire_open,
};
use needlepath_core::pathway::next::PlanDates;
use needlepath_store::{
    Actor, Audit, NewOutcomeAnswer, NewScarAssessment, OutcomeAnswer, PatientId, Plan, PlanId, Reading, ScarAssessment,
    Seen, Session,
};
use schemars::JsonSchema;
use serde::Serialize;

use crate::App;
use crate::clinic::{ClinicError, ClinicResult};

/// A milestone's grades may be recorded this many days before its date (a follow-up visit a
/// little early still counts).
const EARLY_DAYS: u64 = 14;

/// One milestone of the series, with what was recorded at it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MilestoneRow {
    /// `baseline`, `after_session_N`, `months_N`.
    #[schemars(with = "String")]
    pub milestone: Milestone,
    /// When it falls due (the patient's local date); `None` at baseline (before session 1) or
    /// while the session it follows is not done.
    pub due_on: Option<NaiveDate>,
    /// The day the patient is asked the questionnaire (none at baseline).
    pub questionnaire_on: Option<NaiveDate>,
    /// The clinician's latest assessment at this milestone.
    pub assessment: Option<ScarAssessment>,
    /// The grade's change since baseline: positive when it went down (better).
    pub grade_change: Option<i8>,
    /// The patient's answer.
    pub answer: Option<OutcomeAnswer>,
}

/// The latest plan's outcomes: every milestone in order, and the questionnaire open now.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SeriesOutcomes {
    pub patient_id: PatientId,
    /// The plan whose series this is; null before the patient has a plan (then nothing is due).
    pub plan_id: Option<PlanId>,
    /// Sessions the plan gives, and how many are done.
    pub sessions_planned: u32,
    pub sessions_done: u32,
    pub milestones: Vec<MilestoneRow>,
    /// The questionnaire the patient can answer now, if any.
    #[schemars(with = "Option<String>")]
    pub questionnaire_open: Option<Milestone>,
    /// Where the grade and the rating scales come from.
    pub sources: Vec<String>,
}

/// The days the series' sessions were done, session 1 first.
pub fn series_days(plan: &Plan, sessions: &[Session], tz: Tz) -> Vec<NaiveDate> {
    let mut days: Vec<(DateTime<Utc>, NaiveDate)> = sessions
        .iter()
        .filter(|s| s.plan.is_none_or(|p| p == plan.id))
        .map(|s| (s.performed_at, s.performed_at.with_timezone(&tz).date_naive()))
        .collect();
    days.sort();
    days.into_iter().map(|(_, d)| d).collect()
}

/// How many sessions the plan gives (0 when its stored result has no dates).
pub fn planned(plan: &Plan) -> u32 {
    PlanDates::from_result(&plan.result).map_or(0, |d| u32::try_from(d.windows.len()).unwrap_or(u32::MAX))
}

/// The outcomes of `plan` from records already read.
pub fn outcomes_of(
    plan: &Plan,
    sessions: &[Session],
    assessments: &[ScarAssessment],
    answers: &[OutcomeAnswer],
    tz: Tz,
    today: NaiveDate,
) -> SeriesOutcomes {
    let planned = planned(plan);
    let done = series_days(plan, sessions, tz);
    let latest = |m: Milestone| assessments.iter().rfind(|a| a.plan == plan.id && a.milestone == m);
    let baseline = latest(Milestone::Baseline).map(|a| a.grade);
    let answered: Vec<Milestone> = answers.iter().filter(|a| a.plan == plan.id).map(|a| a.milestone).collect();
    let rows = milestones(planned)
        .into_iter()
        .map(|m| {
            let assessment = latest(m).cloned();
            MilestoneRow {
                milestone: m,
                due_on: outcomes::due_on(m, planned, &done).flatten(),
                questionnaire_on: questionnaire_day(m, planned, &done),
                grade_change: match (baseline, &assessment) {
                    (Some(b), Some(a)) if m != Milestone::Baseline => Some(grade_change(b, a.grade)),
                    _ => None,
                },
                assessment,
                answer: answers.iter().find(|a| a.plan == plan.id && a.milestone == m).cloned(),
            }
        })
        .collect();
    SeriesOutcomes {
        patient_id: plan.patient,
        plan_id: Some(plan.id),
        sessions_planned: planned,
        sessions_done: u32::try_from(done.len()).unwrap_or(u32::MAX),
        milestones: rows,
        questionnaire_open: questionnaire_open(planned, &done, &answered, today),
        sources: outcomes::SOURCES.iter().map(|s| s.to_string()).collect(),
    }
}

/// The outcomes of the patient's latest plan, read in a unit the caller holds (the staff chart,
/// My plan, Today); `None` without a plan.
pub async fn outcomes_in<R: Reading + ?Sized>(
    unit: &mut R,
    plans: &[Plan],
    sessions: &[Session],
    tz: Tz,
    today: NaiveDate,
) -> ClinicResult<Option<SeriesOutcomes>> {
    let Some(plan) = plans.first() else { return Ok(None) };
    let assessments = unit.assessments(plan.patient).await?;
    let answers = unit.outcome_answers(plan.patient).await?;
    Ok(Some(outcomes_of(plan, sessions, &assessments, &answers, tz, today)))
}

/// The outcomes of the patient's latest plan (`GET …/outcomes`), audited as `outcomes.viewed`.
pub async fn view(app: &App, actor: &Actor, patient: PatientId) -> ClinicResult<SeriesOutcomes> {
    let now = app.now();
    let mut unit = app.records.store().reading(actor).await?;
    let record = unit.patient(patient).await?;
    let tz = record.time_zone.tz();
    let plans = unit.plans(patient).await?;
    let sessions = unit.sessions(patient).await?;
    let found = outcomes_in(&mut *unit, &plans, &sessions, tz, now.with_timezone(&tz).date_naive()).await?;
    unit.finish(Audit::view("outcomes.viewed", patient, &[Seen::Patient, Seen::Plans, Seen::Sessions, Seen::Outcomes]))
        .await?;
    // Before a plan there is no series: nothing is due, nothing recorded.
    Ok(found.unwrap_or_else(|| SeriesOutcomes {
        patient_id: patient,
        plan_id: None,
        sessions_planned: 0,
        sessions_done: 0,
        milestones: Vec::new(),
        questionnaire_open: None,
        sources: outcomes::SOURCES.iter().map(|s| s.to_string()).collect(),
    }))
}

fn no_plan() -> ClinicError {
    ClinicError::Store(needlepath_store::StoreError::InvalidState(
        "the patient has no plan yet: outcomes are recorded over a planned series".into(),
    ))
}

/// Core's refusal of a field, as the clinic's.
pub fn refused(e: needlepath_core::request::InputError) -> ClinicError {
    ClinicError::invalid(e.field, e.message)
}

/// Records the clinician's grade at a milestone the series has reached.
pub async fn grade(
    app: &App,
    actor: &Actor,
    patient: PatientId,
    a: Assessment,
    note: &str,
) -> ClinicResult<ScarAssessment> {
    if !matches!(actor.who, needlepath_store::Who::Staff(..)) {
        return Err(ClinicError::invalid(
            "(request)",
            "a grade is a clinician's own judgement: record it signed in as that clinician, not with an API token",
        ));
    }
    let note = note.trim().to_string();
    if note.chars().count() > 4000 {
        return Err(ClinicError::invalid("note", "at most 4000 characters"));
    }
    let now = app.now();
    let mut unit = app.records.store().writing(actor).await?;
    let plan = reached_in(&mut *unit, patient, a.milestone, By::Clinician, now).await?;
    let saved = unit
        .add_assessment(NewScarAssessment {
            patient,
            plan,
            milestone: a.milestone,
            grade: a.grade,
            improvement: a.improvement,
            note,
            assessed_at: now,
        })
        .await?;
    let seen = [Seen::Patient, Seen::Plans, Seen::Sessions, Seen::Outcomes];
    unit.finish(Audit::view("outcome.graded", patient, &seen).with_target(saved.id.0)).await?;
    Ok(saved)
}

/// Who records at a milestone: a clinician grades (from two weeks before a follow-up's day),
/// the patient answers (from the questionnaire's day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Clinician,
    Patient,
}

/// The latest plan, read in the unit, once `m` belongs to its series and its day has come for
/// `by`; refusals name the field `milestone`.
async fn reached_in<R: Reading + ?Sized>(
    unit: &mut R,
    patient: PatientId,
    m: Milestone,
    by: By,
    now: DateTime<Utc>,
) -> ClinicResult<PlanId> {
    let tz = unit.patient(patient).await?.time_zone.tz();
    let plans = unit.plans(patient).await?;
    let plan = plans.first().ok_or_else(no_plan)?;
    let sessions = unit.sessions(patient).await?;
    let planned = planned(plan);
    let done = series_days(plan, &sessions, tz);
    let today = now.with_timezone(&tz).date_naive();
    let all = milestones(planned);
    if !all.contains(&m) {
        let codes: Vec<String> = all.iter().map(|m| m.code()).collect();
        return Err(ClinicError::invalid("milestone", format!("this series has {}", codes.join(", "))));
    }
    let (day, what) = match by {
        By::Patient => (questionnaire_day(m, planned, &done), "answered"),
        By::Clinician => {
            let day = match outcomes::due_on(m, planned, &done) {
                Some(None) => Some(today),
                Some(Some(d)) => Some(d - chrono::Days::new(EARLY_DAYS)),
                None => None,
            };
            (day, "graded")
        }
    };
    match day {
        Some(d) if d <= today => Ok(plan.id),
        Some(d) => Err(ClinicError::invalid("milestone", format!("{} can be {what} from {d}", m.label()))),
        None => Err(ClinicError::invalid(
            "milestone",
            format!("{} can be {what} once the session it follows is done", m.label()),
        )),
    }
}

/// Records the patient's answer to a questionnaire whose day has come.
pub async fn answer(app: &App, actor: &Actor, patient: PatientId, a: PatientAnswer) -> ClinicResult<OutcomeAnswer> {
    let now = app.now();
    let mut unit = app.records.store().writing(actor).await?;
    let plan = reached_in(&mut *unit, patient, a.milestone, By::Patient, now).await?;
    let saved = unit
        .add_outcome_answer(NewOutcomeAnswer {
            patient,
            plan,
            milestone: a.milestone,
            improvement: a.improvement,
            satisfaction: a.satisfaction,
            recommend: a.recommend.as_bool(),
            answered_at: now,
        })
        .await?;
    let seen = [Seen::Patient, Seen::Plans, Seen::Sessions, Seen::Outcomes];
    unit.finish(Audit::view("outcome.answered", patient, &seen).with_target(saved.id.0)).await?;
    Ok(saved)
}
