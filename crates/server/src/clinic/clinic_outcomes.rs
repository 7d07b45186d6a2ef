//! The clinic's outcomes (issue 15, part 6): for admins, per period (month or quarter, in the
//! clinic's zone) and per practitioner — sessions, grade changes since baseline, how patients
//! rate their improvement, complications (alerts per session, by disposition), check-in
//! adherence and overrides used. One read, audited once as `outcomes.report_viewed`; the page
//! draws each figure as a chart with its table, and the same rows are exported as CSV.
//!
//! A session counts in the period it was performed; its alerts and check-ins count with it
//! (check-ins only once due). A grade or an answer counts in the period it was given, for the
//! practitioner who treated the patient last before it. Only the latest grade of a series in a
//! period counts, so correcting a grade does not count the series twice.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use needlepath_core::outcomes::{Improvement, grade_change};
use needlepath_core::vocabulary::Disposition;
use needlepath_store::reports::{AnswerFact, GradeFact, SessionFact};
use needlepath_store::{Actor, Audit, Seen, StaffId};
use schemars::JsonSchema;
use serde::Serialize;

use crate::App;
use crate::clinic::{ClinicError, ClinicResult};

/// The longest span one report covers.
pub const MAX_MONTHS: u32 = 36;

/// How the report groups time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Month,
    Quarter,
}

impl Period {
    pub fn parse(text: &str) -> ClinicResult<Self> {
        match text {
            "month" => Ok(Period::Month),
            "quarter" => Ok(Period::Quarter),
            _ => Err(ClinicError::invalid("period", "month or quarter")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Month => "month",
            Period::Quarter => "quarter",
        }
    }

    /// `2027-01` or `2027-Q1`.
    fn label(self, day: NaiveDate) -> String {
        match self {
            Period::Month => format!("{}-{:02}", day.year(), day.month()),
            Period::Quarter => format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1),
        }
    }
}

/// What a report covers: `[from, to)` in the clinic's days, grouped by `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub period: Period,
}

impl ReportQuery {
    /// The query from its optional fields; by default the twelve months up to today.
    pub fn parse(from: Option<&str>, to: Option<&str>, period: Option<&str>, today: NaiveDate) -> ClinicResult<Self> {
        let day = |field: &str, text: &str| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map_err(|_| ClinicError::invalid(field, "a date as YYYY-MM-DD"))
        };
        let to = match to.filter(|s| !s.trim().is_empty()) {
            Some(t) => day("to", t)?,
            None => today.succ_opt().unwrap_or(today),
        };
        let from = match from.filter(|s| !s.trim().is_empty()) {
            Some(f) => day("from", f)?,
            None => to.checked_sub_months(Months::new(12)).unwrap_or(to),
        };
        if from >= to {
            return Err(ClinicError::invalid("from", "must be before `to` (which is not included)"));
        }
        if to.checked_sub_months(Months::new(MAX_MONTHS)).is_some_and(|earliest| from < earliest) {
            return Err(ClinicError::invalid("from", format!("a report covers at most {MAX_MONTHS} months")));
        }
        let period = Period::parse(period.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("month"))?;
        Ok(Self { from, to, period })
    }
}

/// A count of one value.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Count<T> {
    pub value: T,
    pub count: u32,
}

/// One period and practitioner (or the whole clinic, `practitioner_id` null).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ReportRow {
    /// `2027-01` or `2027-Q1`.
    pub period: String,
    pub practitioner_id: Option<StaffId>,
    /// The practitioner's name, or "All practitioners".
    pub practitioner: String,
    pub sessions: u32,
    /// Sessions recorded over blockers by a clinician's override.
    pub overrides: u32,
    pub check_ins_due: u32,
    pub check_ins_answered: u32,
    /// Answered of due, in percent; none when none were due.
    pub adherence_percent: Option<f64>,
    /// Alerts its sessions led to, by disposition (contact_clinic and worse).
    pub alerts: Vec<Count<Disposition>>,
    /// Alerts per session; none without sessions.
    pub alerts_per_session: Option<f64>,
    /// Series graded after baseline, by the change of grade since baseline (positive: better).
    pub grade_changes: Vec<Count<i8>>,
    /// Patients' global ratings of improvement.
    #[schemars(with = "Vec<Count<String>>")]
    pub patient_improvement: Vec<Count<Improvement>>,
    pub satisfaction_mean: Option<f64>,
    pub recommend_percent: Option<f64>,
}

/// The clinic's outcome report.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ClinicReport {
    pub from: NaiveDate,
    /// Not included.
    pub to: NaiveDate,
    pub period: Period,
    /// Period by period; in each, the whole clinic first, then each practitioner by name.
    pub rows: Vec<ReportRow>,
}

/// The span a report is asked for, as given (all optional: the last twelve months by month).
#[derive(Debug, Clone, Default, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSpan {
    /// The first day, YYYY-MM-DD (the clinic's day).
    pub from: Option<String>,
    /// The day after the last, YYYY-MM-DD.
    pub to: Option<String>,
    /// `month` (default) or `quarter`.
    pub period: Option<String>,
}

/// The report for `span`, in one read (the clinic's day decides the default span).
pub async fn report(app: &App, actor: &Actor, span: &ReportSpan) -> ClinicResult<ClinicReport> {
    let now = app.now();
    let mut unit = app.records.store().reading(actor).await?;
    let clinic = unit.clinic().await?;
    let tz = clinic.time_zone.tz();
    let q = ReportQuery::parse(
        span.from.as_deref(),
        span.to.as_deref(),
        span.period.as_deref(),
        now.with_timezone(&tz).date_naive(),
    )?;
    let start = instant(q.from, tz);
    let end = instant(q.to, tz);
    let sessions = unit.report_sessions(start, end, now).await?;
    let grades = unit.report_grades(start, end).await?;
    let answers = unit.report_answers(start, end).await?;
    let staff = unit.staff().await?;
    let audit = Audit {
        action: "outcomes.report_viewed",
        patient: None,
        target: None,
        seen: vec![Seen::Sessions, Seen::CheckIns, Seen::Alerts, Seen::Outcomes, Seen::Staff],
        also: Vec::new(),
    };
    unit.finish(audit).await?;
    let names: BTreeMap<StaffId, String> = staff.into_iter().map(|s| (s.id, s.name)).collect();
    Ok(ClinicReport {
        from: q.from,
        to: q.to,
        period: q.period,
        rows: build(&sessions, &grades, &answers, &names, tz, q.period),
    })
}

/// The first instant of `day` in `tz` (a day that starts in a daylight-saving gap starts at
/// the first instant that exists).
fn instant(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    needlepath_core::timeline::Zone::Named(tz).instant(midnight)
}

#[derive(Default)]
struct Tally {
    sessions: u32,
    overrides: u32,
    due: u32,
    answered: u32,
    alerts: BTreeMap<Disposition, u32>,
    /// Latest grade per series: (when, change).
    series: BTreeMap<needlepath_store::PlanId, (DateTime<Utc>, i8)>,
    improvement: BTreeMap<Improvement, u32>,
    satisfaction: Vec<u8>,
    recommend: Vec<bool>,
}

/// The rows from the facts: pure, so the arithmetic is tested without a database.
pub fn build(
    sessions: &[SessionFact],
    grades: &[GradeFact],
    answers: &[AnswerFact],
    names: &BTreeMap<StaffId, String>,
    tz: Tz,
    period: Period,
) -> Vec<ReportRow> {
    // (period, practitioner) → tally; practitioner None is the whole clinic.
    let mut tallies: BTreeMap<(String, Option<StaffId>), Tally> = BTreeMap::new();
    let label = |t: DateTime<Utc>| period.label(t.with_timezone(&tz).date_naive());
    let mut each = |p: String, who: Option<StaffId>, f: &mut dyn FnMut(&mut Tally)| {
        f(tallies.entry((p.clone(), None)).or_default());
        if who.is_some() {
            f(tallies.entry((p, who)).or_default());
        }
    };
    for s in sessions {
        each(label(s.performed_at), Some(s.practitioner), &mut |t| {
            t.sessions += 1;
            t.overrides += u32::from(s.overridden);
            t.due += s.check_ins_due;
            t.answered += s.check_ins_answered;
            for d in &s.alerts {
                *t.alerts.entry(*d).or_default() += 1;
            }
        });
    }
    for g in grades {
        let Some(baseline) = g.baseline else { continue };
        let change = grade_change(baseline, g.grade);
        each(label(g.assessed_at), g.practitioner, &mut |t| {
            let slot = t.series.entry(g.plan).or_insert((g.assessed_at, change));
            if g.assessed_at >= slot.0 {
                *slot = (g.assessed_at, change);
            }
        });
    }
    for a in answers {
        each(label(a.answered_at), a.practitioner, &mut |t| {
            *t.improvement.entry(a.improvement).or_default() += 1;
            t.satisfaction.push(a.satisfaction);
            t.recommend.push(a.recommend);
        });
    }
    let percent = |part: u32, whole: u32| (whole > 0).then(|| round1(f64::from(part) * 100.0 / f64::from(whole)));
    let mut rows: Vec<ReportRow> = tallies
        .into_iter()
        .map(|((p, who), t)| {
            let mut changes: BTreeMap<i8, u32> = BTreeMap::new();
            for (_, c) in t.series.values() {
                *changes.entry(*c).or_default() += 1;
            }
            let alerts_total: u32 = t.alerts.values().sum();
            ReportRow {
                period: p,
                practitioner_id: who,
                practitioner: match who {
                    None => "All practitioners".into(),
                    Some(id) => names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
                },
                sessions: t.sessions,
                overrides: t.overrides,
                check_ins_due: t.due,
                check_ins_answered: t.answered,
                adherence_percent: percent(t.answered, t.due),
                alerts: t.alerts.into_iter().rev().map(|(value, count)| Count { value, count }).collect(),
                alerts_per_session: (t.sessions > 0)
                    .then(|| (f64::from(alerts_total) / f64::from(t.sessions) * 100.0).round() / 100.0),
                grade_changes: changes.into_iter().rev().map(|(value, count)| Count { value, count }).collect(),
                patient_improvement: t
                    .improvement
                    .into_iter()
                    .rev()
                    .map(|(value, count)| Count { value, count })
                    .collect(),
                satisfaction_mean: (!t.satisfaction.is_empty()).then(|| {
                    round1(t.satisfaction.iter().map(|s| f64::from(*s)).sum::<f64>() / t.satisfaction.len() as f64)
                }),
                recommend_percent: percent(
                    u32::try_from(t.recommend.iter().filter(|r| **r).count()).unwrap_or(u32::MAX),
                    u32::try_from(t.recommend.len()).unwrap_or(u32::MAX),
                ),
            }
        })
        .collect();
    // In each period the whole clinic first, then practitioners by name.
    rows.sort_by(|a, b| {
        a.period
            .cmp(&b.period)
            .then(a.practitioner_id.is_some().cmp(&b.practitioner_id.is_some()))
            .then(a.practitioner.cmp(&b.practitioner))
    });
    rows
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The rows as CSV (RFC 4180: comma-separated, CRLF, quoted where needed), one line per row,
/// counts spread into columns so a spreadsheet can chart them.
pub fn csv(report: &ClinicReport) -> String {
    let mut header: Vec<String> = [
        "period",
        "practitioner",
        "sessions",
        "overrides",
        "check_ins_due",
        "check_ins_answered",
        "adherence_percent",
        "alerts_per_session",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(Disposition::ALL.iter().rev().map(|d| format!("alerts_{}", d.as_str())));
    header.extend(["series_better", "series_same", "series_worse"].map(String::from));
    header.extend(Improvement::ALL.iter().rev().map(|i| format!("patients_{}", i.as_str())));
    header.extend(["satisfaction_mean", "recommend_percent"].map(String::from));
    let mut out = header.join(",");
    out.push_str("\r\n");
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for r in &report.rows {
        let mut cells = vec![
            field(&r.period),
            field(&r.practitioner),
            r.sessions.to_string(),
            r.overrides.to_string(),
            r.check_ins_due.to_string(),
            r.check_ins_answered.to_string(),
            opt(r.adherence_percent),
            opt(r.alerts_per_session),
        ];
        for d in Disposition::ALL.iter().rev() {
            cells.push(r.alerts.iter().find(|c| c.value == *d).map_or(0, |c| c.count).to_string());
        }
        let sum = |f: &dyn Fn(i8) -> bool| r.grade_changes.iter().filter(|c| f(c.value)).map(|c| c.count).sum::<u32>();
        cells.push(sum(&|c| c > 0).to_string());
        cells.push(sum(&|c| c == 0).to_string());
        cells.push(sum(&|c| c < 0).to_string());
        for i in Improvement::ALL.iter().rev() {
            cells.push(r.patient_improvement.iter().find(|c| c.value == *i).map_or(0, |c| c.count).to_string());
        }
        cells.push(opt(r.satisfaction_mean));
        cells.push(opt(r.recommend_percent));
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A CSV field: quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-` or
/// `@` is prefixed with `'` so a spreadsheet never runs a name as a formula.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use needlepath_core::outcomes::{Milestone, ScarGrade};
    use needlepath_store::{PlanId, SessionId};

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(12, 0, 0).unwrap().and_utc()
    }

    #[test]
    fn sessions_alerts_adherence_grades_and_answers_add_up_per_period_and_practitioner() {
        let (ann, bob) = (StaffId::new(), StaffId::new());
        let names = BTreeMap::from([(ann, "Ann".to_string()), (bob, "Bob".to_string())]);
        let session = |who, when, alerts: Vec<Disposition>, overridden| SessionFact {
            session: SessionId::new(),
            practitioner: who,
            performed_at: when,
            overridden,
            check_ins_due: 4,
            check_ins_answered: 3,
            alerts,
        };
        let sessions = [
            session(ann, at(2027, 1, 5), vec![Disposition::ContactClinic], false),
            session(ann, at(2027, 1, 20), vec![], true),
            session(bob, at(2027, 1, 21), vec![Disposition::Emergency, Disposition::ContactClinic], false),
            session(bob, at(2027, 2, 2), vec![], false),
        ];
        let plan = PlanId::new();
        let grade = |g, when| GradeFact {
            plan,
            milestone: Milestone::AfterSession(2),
            grade: g,
            baseline: Some(ScarGrade::Moderate),
            assessed_at: when,
            practitioner: Some(ann),
        };
        // A correction later the same month: only the latest counts.
        let grades = [grade(ScarGrade::Moderate, at(2027, 1, 22)), grade(ScarGrade::Mild, at(2027, 1, 23))];
        let answers = [AnswerFact {
            milestone: Milestone::AfterSession(2),
            improvement: Improvement::MuchImproved,
            satisfaction: 8,
            recommend: true,
            answered_at: at(2027, 1, 25),
            practitioner: Some(ann),
        }];
        let rows = build(&sessions, &grades, &answers, &names, chrono_tz::UTC, Period::Month);
        let who: Vec<(&str, &str)> = rows.iter().map(|r| (r.period.as_str(), r.practitioner.as_str())).collect();
        assert_eq!(
            who,
            vec![
                ("2027-01", "All practitioners"),
                ("2027-01", "Ann"),
                ("2027-01", "Bob"),
                ("2027-02", "All practitioners"),
                ("2027-02", "Bob")
            ]
        );
        let all = &rows[0];
        assert_eq!((all.sessions, all.overrides, all.check_ins_due, all.check_ins_answered), (3, 1, 12, 9));
        assert_eq!(all.adherence_percent, Some(75.0));
        assert_eq!(all.alerts_per_session, Some(1.0));
        assert_eq!(
            all.alerts,
            vec![
                Count { value: Disposition::Emergency, count: 1 },
                Count { value: Disposition::ContactClinic, count: 2 }
            ]
        );
        assert_eq!(all.grade_changes, vec![Count { value: 1, count: 1 }]);
        assert_eq!((all.satisfaction_mean, all.recommend_percent), (Some(8.0), Some(100.0)));
        assert_eq!(rows[2].alerts_per_session, Some(2.0), "Bob: two alerts from one session");
        let q = rows.iter().find(|r| r.period == "2027-02" && r.practitioner_id.is_none()).unwrap();
        assert_eq!((q.sessions, q.alerts_per_session, q.satisfaction_mean), (1, Some(0.0), None));
        let text = csv(&ClinicReport {
            from: at(2027, 1, 1).date_naive(),
            to: at(2027, 3, 1).date_naive(),
            period: Period::Month,
            rows,
        });
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert!(lines[0].starts_with("period,practitioner,sessions,overrides"));
        assert!(lines[1].starts_with("2027-01,All practitioners,3,1,12,9,75,1,1,0,2,0,1,0,0"), "{}", lines[1]);
    }

    #[test]
    fn a_query_names_the_field_it_refuses() {
        let today = NaiveDate::from_ymd_opt(2027, 6, 1).unwrap();
        let q = ReportQuery::parse(None, None, None, today).unwrap();
        assert_eq!(
            (q.from.to_string(), q.to.to_string(), q.period),
            ("2026-06-02".into(), "2027-06-02".into(), Period::Month)
        );
        let field = |r: ClinicResult<ReportQuery>| match r {
            Err(ClinicError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(ReportQuery::parse(Some("01/02/2027"), None, None, today)), "from");
        assert_eq!(field(ReportQuery::parse(Some("2027-05-01"), Some("2027-04-01"), None, today)), "from");
        assert_eq!(field(ReportQuery::parse(Some("2020-01-01"), Some("2027-04-01"), None, today)), "from");
        assert_eq!(field(ReportQuery::parse(None, None, Some("week"), today)), "period");
        assert_eq!(field(ReportQuery::parse(None, Some("soon"), None, today)), "to");
    }

    #[test]
    fn a_name_is_never_a_formula_in_the_export() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("Ann, RN"), "\"Ann, RN\"");
        assert_eq!(field("Bob"), "Bob");
    }
}
