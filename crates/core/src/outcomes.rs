//! Scar grades and outcomes over a series (issue 15, part 5): the clinician's Goodman & Baron
//! qualitative grade with their rating of improvement, the patient's short outcome
//! questionnaire, and when in the series each is due.
//!
//! **Why only the qualitative grade.** Goodman & Baron also published a quantitative score
//! (J Cosmet Dermatol 2006;5:48–52). Its points table was not visible in any source read for
//! this project (the research notes mark it UNVERIFIED), so it is not encoded: a score computed
//! from a remembered table would look exact and could be wrong. The qualitative grade's
//! definitions below are quoted where a source showed them; grades 3 and 4 are partly unverified
//! and say so.
//!
//! **When.** The clinician grades at baseline (before session 1), after every second session,
//! and 3 and 6 months after the last session of the plan; the patient answers the questionnaire
//! at the same points after baseline (an improvement cannot be rated before treatment), from
//! [`QUESTIONNAIRE_DELAY_DAYS`] after an even session, once the expected redness and swelling
//! have passed. Results "take many months" (seed 002_71106a54b86a9294.txt), so the 3- and
//! 6-month points matter most.

use chrono::{Months, NaiveDate};
use serde::Serialize;

use crate::request::InputError;

/// Days after an even session before the patient is asked how it is going: the acute effects
/// (up to a week) have passed and the next session is not yet done.
pub const QUESTIONNAIRE_DELAY_DAYS: u64 = 14;

/// Months after the last session at which the series is assessed again.
pub const FOLLOW_UP_MONTHS: [u32; 2] = [3, 6];

/// Where the outcome statements come from (cited on every page and message that shows them).
pub const SOURCES: [&str; 2] = ["GB-qual", "002_71106a54b86a9294.txt"];

/// The Goodman & Baron qualitative global grade of acne scarring (Dermatol Surg 2006;32:1458–66).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "u8")]
pub enum ScarGrade {
    Macular = 1,
    Mild = 2,
    Moderate = 3,
    Severe = 4,
}

impl From<ScarGrade> for u8 {
    fn from(g: ScarGrade) -> u8 {
        g as u8
    }
}

impl ScarGrade {
    pub const ALL: [ScarGrade; 4] = [ScarGrade::Macular, ScarGrade::Mild, ScarGrade::Moderate, ScarGrade::Severe];

    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn from_number(n: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|g| i64::from(g.number()) == n)
    }

    /// Reads a grade from a form or body field: `1` to `4`.
    pub fn parse(field: &str, text: &str) -> Result<Self, InputError> {
        text.trim()
            .parse::<i64>()
            .ok()
            .and_then(Self::from_number)
            .ok_or_else(|| InputError::new(field, "must be a Goodman & Baron grade: 1, 2, 3 or 4"))
    }

    pub fn label(self) -> &'static str {
        match self {
            ScarGrade::Macular => "macular",
            ScarGrade::Mild => "mild",
            ScarGrade::Moderate => "moderate",
            ScarGrade::Severe => "severe",
        }
    }

    /// The grade's definition, as the source gives it.
    pub fn definition(self) -> &'static str {
        match self {
            ScarGrade::Macular => "Erythematous, hyper- or hypopigmented flat marks: a problem of colour, not contour.",
            ScarGrade::Mild => {
                "Mild atrophy or hypertrophy that may not be obvious at social distances of 50 cm or more and may be covered by makeup or the normal shadow of shaved beard hair."
            }
            ScarGrade::Moderate => {
                "Moderate atrophic or hypertrophic scarring, obvious at 50 cm or more and not easily covered, but flattened by stretching the skin (if atrophic)."
            }
            ScarGrade::Severe => {
                "Severe atrophic or hypertrophic scarring, obvious at 50 cm or more, not easily covered, and not flattened by stretching the skin."
            }
        }
    }

    /// Whether the definition's wording was seen in a source (grades 3 and 4 were only partly).
    pub fn definition_verified(self) -> bool {
        matches!(self, ScarGrade::Macular | ScarGrade::Mild)
    }
}

/// A five-point global rating of change, the clinician's and the patient's (the shape of the
/// Global Aesthetic Improvement Scale, a general convention rather than a sourced instrument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Improvement {
    Worse,
    NoChange,
    Improved,
    MuchImproved,
    VeryMuchImproved,
}

impl Improvement {
    /// Best last, so a chart reads upwards.
    pub const ALL: [Improvement; 5] = [
        Improvement::Worse,
        Improvement::NoChange,
        Improvement::Improved,
        Improvement::MuchImproved,
        Improvement::VeryMuchImproved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Improvement::Worse => "worse",
            Improvement::NoChange => "no_change",
            Improvement::Improved => "improved",
            Improvement::MuchImproved => "much_improved",
            Improvement::VeryMuchImproved => "very_much_improved",
        }
    }

    /// 0 (worse) to 4 (very much improved).
    pub fn score(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.as_str() == code)
    }

    pub fn parse(field: &str, text: &str) -> Result<Self, InputError> {
        Self::from_code(text.trim()).ok_or_else(|| {
            InputError::new(field, "must be one of worse, no_change, improved, much_improved, very_much_improved")
        })
    }
}

/// A point in the series at which the outcome is assessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Milestone {
    /// Before session 1.
    Baseline,
    /// After session `n` (even: 2, 4, 6, …).
    AfterSession(u32),
    /// `n` months after the last session of the plan.
    MonthsAfter(u32),
}

impl Milestone {
    /// `baseline`, `after_session_2`, `months_3`.
    pub fn code(self) -> String {
        match self {
            Milestone::Baseline => "baseline".into(),
            Milestone::AfterSession(n) => format!("after_session_{n}"),
            Milestone::MonthsAfter(m) => format!("months_{m}"),
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        if code == "baseline" {
            return Some(Milestone::Baseline);
        }
        let number = |rest: &str| rest.parse::<u32>().ok().filter(|n| (1..=120).contains(n));
        if let Some(n) = code.strip_prefix("after_session_").and_then(number) {
            return (n % 2 == 0).then_some(Milestone::AfterSession(n));
        }
        code.strip_prefix("months_").and_then(number).map(Milestone::MonthsAfter)
    }

    pub fn parse(field: &str, text: &str) -> Result<Self, InputError> {
        Self::from_code(text.trim()).ok_or_else(|| {
            InputError::new(field, "must be baseline, after_session_N (N even: 2, 4, …) or months_N (3 or 6)")
        })
    }

    /// How the clinic says it: "Baseline", "After session 2", "3 months after".
    pub fn label(self) -> String {
        match self {
            Milestone::Baseline => "Baseline".into(),
            Milestone::AfterSession(n) => format!("After session {n}"),
            Milestone::MonthsAfter(m) => format!("{m} months after"),
        }
    }
}

impl Serialize for Milestone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

/// Every assessment point of a series of `planned` sessions, in order.
pub fn milestones(planned: u32) -> Vec<Milestone> {
    let mut out = vec![Milestone::Baseline];
    out.extend((2..=planned).step_by(2).map(Milestone::AfterSession));
    out.extend(FOLLOW_UP_MONTHS.map(Milestone::MonthsAfter));
    out
}

/// When a milestone falls due, given the days the sessions were done (session 1 first) and the
/// number planned. `None`: not yet known (the session it follows is not done). Baseline is due
/// from the start (`Some(None)` stands for "before session 1").
pub fn due_on(milestone: Milestone, planned: u32, done: &[NaiveDate]) -> Option<Option<NaiveDate>> {
    match milestone {
        Milestone::Baseline => Some(None),
        Milestone::AfterSession(n) => {
            let index = usize::try_from(n).ok()?.checked_sub(1)?;
            done.get(index).map(|d| Some(*d))
        }
        Milestone::MonthsAfter(m) => {
            let last = usize::try_from(planned).ok()?.checked_sub(1)?;
            let day = done.get(last)?;
            day.checked_add_months(Months::new(m)).map(Some)
        }
    }
}

/// The day the patient is asked the questionnaire for `milestone` (none at baseline).
pub fn questionnaire_day(milestone: Milestone, planned: u32, done: &[NaiveDate]) -> Option<NaiveDate> {
    let day = due_on(milestone, planned, done)??;
    match milestone {
        Milestone::Baseline => None,
        Milestone::AfterSession(_) => day.checked_add_days(chrono::Days::new(QUESTIONNAIRE_DELAY_DAYS)),
        Milestone::MonthsAfter(_) => Some(day),
    }
}

/// The questionnaire the patient has to answer on `today`: the latest milestone whose day has
/// come and which they have not answered. Earlier unanswered ones are passed over (asking how
/// session 2 felt after session 4 helps no one).
pub fn questionnaire_open(
    planned: u32,
    done: &[NaiveDate],
    answered: &[Milestone],
    today: NaiveDate,
) -> Option<Milestone> {
    milestones(planned)
        .into_iter()
        .filter_map(|m| questionnaire_day(m, planned, done).filter(|d| *d <= today).map(|d| (m, d)))
        .max_by_key(|(_, d)| *d)
        .map(|(m, _)| m)
        .filter(|m| !answered.contains(m))
}

/// When the yearly (protocol: `every_months`) maintenance session is suggested: that long after
/// the last session of a complete series.
pub fn maintenance_day(planned: u32, done: &[NaiveDate], every_months: u32) -> Option<NaiveDate> {
    let last = usize::try_from(planned).ok()?.checked_sub(1)?;
    done.get(last)?.checked_add_months(Months::new(every_months))
}

/// What the clinician records at a milestone: the grade, and from the second point on their
/// rating of improvement since baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub milestone: Milestone,
    pub grade: ScarGrade,
    pub improvement: Option<Improvement>,
}

impl Assessment {
    /// Reads an assessment from its fields; a rating of improvement is required after baseline
    /// and refused at baseline (nothing to compare with yet).
    pub fn parse(milestone: &str, grade: &str, improvement: Option<&str>) -> Result<Self, InputError> {
        let milestone = Milestone::parse("milestone", milestone)?;
        let grade = ScarGrade::parse("grade", grade)?;
        let improvement = improvement.map(str::trim).filter(|s| !s.is_empty());
        let improvement = match (milestone, improvement) {
            (Milestone::Baseline, None) => None,
            (Milestone::Baseline, Some(_)) => {
                return Err(InputError::new("improvement", "is not rated at baseline: leave it empty"));
            }
            (_, None) => {
                return Err(InputError::new(
                    "improvement",
                    "is required after baseline: worse, no_change, improved, much_improved or very_much_improved",
                ));
            }
            (_, Some(text)) => Some(Improvement::parse("improvement", text)?),
        };
        Ok(Self { milestone, grade, improvement })
    }
}

/// Whether the patient would recommend the treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recommend {
    Yes,
    No,
}

impl Recommend {
    pub fn as_bool(self) -> bool {
        self == Recommend::Yes
    }

    pub fn parse(field: &str, text: &str) -> Result<Self, InputError> {
        match text.trim() {
            "yes" => Ok(Recommend::Yes),
            "no" => Ok(Recommend::No),
            _ => Err(InputError::new(field, "must be yes or no")),
        }
    }
}

/// The patient's answer to the outcome questionnaire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PatientAnswer {
    pub milestone: Milestone,
    /// Their global impression of change since before treatment.
    pub improvement: Improvement,
    /// Satisfaction with the treatment so far, 0 (not at all) to 10 (completely).
    pub satisfaction: u8,
    pub recommend: Recommend,
}

impl PatientAnswer {
    pub fn parse(milestone: &str, improvement: &str, satisfaction: &str, recommend: &str) -> Result<Self, InputError> {
        let milestone = Milestone::parse("milestone", milestone)?;
        if milestone == Milestone::Baseline {
            return Err(InputError::new(
                "milestone",
                "the questionnaire is answered after treatment: after_session_N or months_N",
            ));
        }
        let improvement = Improvement::parse("improvement", improvement)?;
        let satisfaction = satisfaction
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|s| *s <= 10)
            .ok_or_else(|| InputError::new("satisfaction", "must be a whole number from 0 to 10"))?;
        let recommend = Recommend::parse("recommend", recommend)?;
        Ok(Self { milestone, improvement, satisfaction, recommend })
    }
}

/// The change of grade from baseline to a later assessment: positive when it went down (better).
pub fn grade_change(baseline: ScarGrade, later: ScarGrade) -> i8 {
    i8::try_from(baseline.number()).unwrap_or(0) - i8::try_from(later.number()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(day: u32, month: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, month, day).unwrap()
    }

    #[test]
    fn a_series_is_assessed_at_baseline_every_second_session_and_3_and_6_months_after() {
        assert_eq!(
            milestones(4),
            vec![
                Milestone::Baseline,
                Milestone::AfterSession(2),
                Milestone::AfterSession(4),
                Milestone::MonthsAfter(3),
                Milestone::MonthsAfter(6)
            ]
        );
        assert_eq!(
            milestones(3),
            vec![Milestone::Baseline, Milestone::AfterSession(2), Milestone::MonthsAfter(3), Milestone::MonthsAfter(6)]
        );
    }

    #[test]
    fn codes_read_back_and_odd_sessions_are_refused() {
        for m in milestones(6) {
            assert_eq!(Milestone::from_code(&m.code()), Some(m));
        }
        assert_eq!(Milestone::from_code("after_session_3"), None);
        assert_eq!(Milestone::from_code("months_0"), None);
        assert_eq!(Milestone::from_code("later"), None);
        let e = Milestone::parse("milestone", "after_session_3").unwrap_err();
        assert_eq!(e.field, "milestone");
    }

    #[test]
    fn follow_ups_count_from_the_last_planned_session() {
        let done = [d(1, 1), d(1, 2), d(1, 3)];
        assert_eq!(due_on(Milestone::MonthsAfter(3), 4, &done), None, "the series is not complete");
        let done = [d(1, 1), d(1, 2), d(1, 3), d(1, 4)];
        assert_eq!(due_on(Milestone::MonthsAfter(3), 4, &done), Some(Some(d(1, 7))));
        assert_eq!(due_on(Milestone::AfterSession(2), 4, &done), Some(Some(d(1, 2))));
        assert_eq!(maintenance_day(4, &done, 12), Some(NaiveDate::from_ymd_opt(2028, 4, 1).unwrap()));
        assert_eq!(maintenance_day(4, &done[..3], 12), None);
    }

    #[test]
    fn the_open_questionnaire_is_the_latest_due_and_unanswered() {
        let done = [d(1, 1), d(1, 2)];
        assert_eq!(questionnaire_open(4, &done, &[], d(10, 2)), None, "two weeks after session 2 not yet");
        assert_eq!(questionnaire_open(4, &done, &[], d(15, 2)), Some(Milestone::AfterSession(2)));
        assert_eq!(questionnaire_open(4, &done, &[Milestone::AfterSession(2)], d(15, 2)), None);
        let done = [d(1, 1), d(1, 2), d(1, 3), d(1, 4)];
        assert_eq!(questionnaire_open(4, &done, &[], d(2, 7)), Some(Milestone::MonthsAfter(3)));
    }

    #[test]
    fn an_assessment_rates_improvement_only_after_baseline() {
        let a = Assessment::parse("baseline", "3", None).unwrap();
        assert_eq!((a.grade, a.improvement), (ScarGrade::Moderate, None));
        assert_eq!(Assessment::parse("baseline", "3", Some("improved")).unwrap_err().field, "improvement");
        assert_eq!(Assessment::parse("after_session_2", "3", Some("")).unwrap_err().field, "improvement");
        assert_eq!(Assessment::parse("after_session_2", "5", Some("improved")).unwrap_err().field, "grade");
        let a = Assessment::parse("after_session_2", "2", Some("much_improved")).unwrap();
        assert_eq!(a.improvement, Some(Improvement::MuchImproved));
        assert_eq!(grade_change(ScarGrade::Moderate, a.grade), 1);
    }

    #[test]
    fn a_patient_answer_names_the_field_it_refuses() {
        assert!(PatientAnswer::parse("after_session_2", "improved", "7", "yes").is_ok());
        assert_eq!(PatientAnswer::parse("baseline", "improved", "7", "yes").unwrap_err().field, "milestone");
        assert_eq!(PatientAnswer::parse("months_3", "better", "7", "yes").unwrap_err().field, "improvement");
        assert_eq!(PatientAnswer::parse("months_3", "improved", "11", "yes").unwrap_err().field, "satisfaction");
        assert_eq!(PatientAnswer::parse("months_3", "improved", "-1", "yes").unwrap_err().field, "satisfaction");
        assert_eq!(PatientAnswer::parse("months_3", "improved", "5", "maybe").unwrap_err().field, "recommend");
    }
}
