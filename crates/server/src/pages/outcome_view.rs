//! How a series' outcomes and photos are shown, the same on the staff record and on the
//! patient's My plan (issue 15, parts 3 and 5): a chart of the grade and the patient's
//! satisfaction over the milestones (inline SVG drawn here from numbers only, so nothing a user
//! typed reaches the markup unescaped) with a table of the same data, and each standard view
//! compared over time (baseline and latest side by side; an overlay with an opacity slider once
//! the script runs).

use needlepath_core::Protocol;
use needlepath_core::outcomes::{Improvement, Milestone, ScarGrade};
use needlepath_store::{PhotoStage, PhotoView};

use crate::clinic::outcomes::SeriesOutcomes;
use crate::clinic::photos::PhotoEntry;
use crate::i18n::Locale;
use crate::pages::view::{SourceRef, date, sources};

/// One milestone as the table shows it.
#[derive(Debug, Clone)]
pub struct OutcomeRow {
    pub milestone: String,
    pub label: String,
    pub due: String,
    pub grade: String,
    pub change: String,
    pub clinician: String,
    pub patient: String,
    pub satisfaction: String,
    pub recommend: String,
    pub note: String,
}

/// A series' outcomes, ready for the page.
#[derive(Debug, Clone)]
pub struct OutcomeView {
    pub rows: Vec<OutcomeRow>,
    /// The chart, as SVG markup built from numbers and fixed labels only.
    pub chart: String,
    /// Milestones a clinician may grade now: (code, label).
    pub gradable: Vec<(String, String)>,
    /// The questionnaire open now: (code, label).
    pub open: Option<(String, String)>,
    pub sessions: String,
    pub sources: Vec<SourceRef>,
    /// Nothing graded yet (the form opens by itself).
    pub ungraded: bool,
    /// The grades (number, words) and ratings of improvement (code, words) the forms offer.
    pub grade_choices: Vec<(String, String)>,
    pub improvement_choices: Vec<(String, String)>,
}

fn short(m: Milestone) -> String {
    match m {
        Milestone::Baseline => "Base".into(),
        Milestone::AfterSession(n) => format!("S{n}"),
        Milestone::MonthsAfter(n) => format!("{n} mo"),
    }
}

/// The grade and satisfaction chart. Grade 1 (best) is drawn at the top, so "up" is better on
/// both lines; points are drawn only where something was recorded.
pub fn chart_svg(t: &Locale, o: &SeriesOutcomes) -> String {
    const W: f64 = 640.0;
    const TOP: f64 = 30.0;
    const BOTTOM: f64 = 170.0;
    const LEFT: f64 = 70.0;
    const RIGHT: f64 = 570.0;
    let n = o.milestones.len().max(1);
    let x = |i: usize| if n == 1 { (LEFT + RIGHT) / 2.0 } else { LEFT + (RIGHT - LEFT) * i as f64 / (n - 1) as f64 };
    let grade_y = |g: u8| TOP + (BOTTOM - TOP) * f64::from(g.saturating_sub(1)) / 3.0;
    let sat_y = |s: u8| BOTTOM - (BOTTOM - TOP) * f64::from(s) / 10.0;
    let mut svg = format!(
        "<svg class=\"outcome-chart\" viewBox=\"0 0 {W} 240\" role=\"img\" aria-labelledby=\"outcome-chart-title\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title id=\"outcome-chart-title\">{}</title>",
        esc(t.s("outcomes.chart_title"))
    );
    for g in ScarGrade::ALL {
        let y = grade_y(g.number());
        svg.push_str(&format!(
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{RIGHT}\" y1=\"{y}\" y2=\"{y}\"/>\
             <text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{} {}</text>",
            LEFT - 8.0,
            y + 4.0,
            esc(t.s("outcomes.grade_short")),
            g.number()
        ));
    }
    for s in [0u8, 5, 10] {
        svg.push_str(&format!("<text class=\"axis\" x=\"{}\" y=\"{}\">{s}/10</text>", RIGHT + 10.0, sat_y(s) + 4.0));
    }
    let mut grade_points = Vec::new();
    let mut sat_points = Vec::new();
    for (i, row) in o.milestones.iter().enumerate() {
        svg.push_str(&format!(
            "<text class=\"axis\" x=\"{}\" y=\"195\" text-anchor=\"middle\">{}</text>",
            x(i),
            esc(&short(row.milestone))
        ));
        if let Some(a) = &row.assessment {
            grade_points.push((x(i), grade_y(a.grade.number()), a.grade.number(), row.milestone));
        }
        if let Some(ans) = &row.answer {
            sat_points.push((x(i), sat_y(ans.satisfaction), ans.satisfaction, row.milestone));
        }
    }
    let line = |pts: &[(f64, f64, u8, Milestone)]| -> String {
        pts.iter().map(|(x, y, _, _)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ")
    };
    if grade_points.len() > 1 {
        svg.push_str(&format!("<polyline class=\"grade-line\" points=\"{}\"/>", line(&grade_points)));
    }
    for (x, y, g, m) in &grade_points {
        svg.push_str(&format!(
            "<circle class=\"grade-point\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\"><title>{}: {} {g}</title></circle>",
            esc(&m.label()),
            esc(t.s("outcomes.grade_short"))
        ));
    }
    if sat_points.len() > 1 {
        svg.push_str(&format!("<polyline class=\"satisfaction-line\" points=\"{}\"/>", line(&sat_points)));
    }
    for (x, y, s, m) in &sat_points {
        svg.push_str(&format!(
            "<rect class=\"satisfaction-point\" x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\"><title>{}: {s}/10</title></rect>",
            x - 5.0,
            y - 5.0,
            esc(&m.label())
        ));
    }
    svg.push_str(&format!(
        "<circle class=\"grade-point\" cx=\"80\" cy=\"211\" r=\"4\"/><text class=\"axis\" x=\"90\" y=\"215\">{}</text>\
         <rect class=\"satisfaction-point\" x=\"76\" y=\"226\" width=\"8\" height=\"8\"/><text class=\"axis\" x=\"90\" y=\"234\">{}</text></svg>",
        esc(t.s("outcomes.legend_grade")),
        esc(t.s("outcomes.legend_satisfaction"))
    ));
    svg
}

/// Escapes text for SVG (only fixed labels and milestone names reach it).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The outcome section's content for `o`, as of `today`.
pub fn outcome_view(t: &Locale, p: &Protocol, o: &SeriesOutcomes, today: chrono::NaiveDate) -> OutcomeView {
    let rows = o
        .milestones
        .iter()
        .map(|r| OutcomeRow {
            milestone: r.milestone.code(),
            label: r.milestone.label(),
            due: match (r.milestone, r.due_on) {
                (Milestone::Baseline, _) => t.s("outcomes.before_session_1").to_string(),
                (_, Some(d)) => date(d),
                (_, None) => t.s("outcomes.not_yet").to_string(),
            },
            grade: r
                .assessment
                .as_ref()
                .map(|a| format!("{} – {}", a.grade.number(), t.label("scar_grade", a.grade.label())))
                .unwrap_or_default(),
            change: match r.grade_change {
                Some(c) if c > 0 => t.f("outcomes.better_by", &[("n", &c.to_string())]),
                Some(c) if c < 0 => t.f("outcomes.worse_by", &[("n", &(-c).to_string())]),
                Some(_) => t.s("outcomes.same").to_string(),
                None => String::new(),
            },
            clinician: r
                .assessment
                .as_ref()
                .and_then(|a| a.improvement)
                .map(|i| t.label("improvement", i.as_str()).to_string())
                .unwrap_or_default(),
            patient: r
                .answer
                .as_ref()
                .map(|a| t.label("improvement", a.improvement.as_str()).to_string())
                .unwrap_or_default(),
            satisfaction: r.answer.as_ref().map(|a| format!("{}/10", a.satisfaction)).unwrap_or_default(),
            recommend: r
                .answer
                .as_ref()
                .map(|a| t.s(if a.recommend { "outcomes.yes" } else { "outcomes.no" }).to_string())
                .unwrap_or_default(),
            note: r.assessment.as_ref().and_then(|a| a.note.clone()).unwrap_or_default(),
        })
        .collect();
    let gradable = o
        .milestones
        .iter()
        .filter(|r| match (r.milestone, r.due_on) {
            (Milestone::Baseline, _) => true,
            (_, Some(d)) => d - chrono::Days::new(14) <= today,
            (_, None) => false,
        })
        .map(|r| (r.milestone.code(), r.milestone.label()))
        .collect();
    OutcomeView {
        rows,
        chart: chart_svg(t, o),
        gradable,
        open: o.questionnaire_open.map(|m| (m.code(), m.label())),
        sessions: t.f(
            "outcomes.sessions",
            &[("done", &o.sessions_done.to_string()), ("planned", &o.sessions_planned.to_string())],
        ),
        sources: sources(p, &o.sources),
        ungraded: o.milestones.iter().all(|r| r.assessment.is_none()),
        grade_choices: ScarGrade::ALL
            .iter()
            .map(|g| (g.number().to_string(), t.label("scar_grade", g.label()).to_string()))
            .collect(),
        improvement_choices: improvement_choices(t),
    }
}

/// The five-point rating, best first (code, words).
pub fn improvement_choices(t: &Locale) -> Vec<(String, String)> {
    Improvement::ALL
        .iter()
        .rev()
        .map(|i| (i.as_str().to_string(), t.label("improvement", i.as_str()).to_string()))
        .collect()
}

/// One photo in a comparison.
#[derive(Debug, Clone)]
pub struct ComparePhoto {
    pub image_url: String,
    pub label: String,
}

/// One standard view over time: the first photo of it and the latest.
#[derive(Debug, Clone)]
pub struct CompareRow {
    pub view: String,
    pub view_code: String,
    pub first: ComparePhoto,
    pub latest: ComparePhoto,
}

/// Each standard view with at least two photos: the earliest (the baseline where there is one)
/// and the latest, for side-by-side and overlay comparison. `photos` are newest first.
pub fn compare_rows(t: &Locale, photos: &[PhotoEntry], tz: chrono_tz::Tz) -> Vec<CompareRow> {
    crate::clinic::photos::STANDARD_VIEWS
        .iter()
        .filter_map(|view: &PhotoView| {
            let of_view: Vec<&PhotoEntry> = photos.iter().filter(|p| p.photo.view == *view).collect();
            if of_view.len() < 2 {
                return None;
            }
            let latest = of_view.first()?;
            let first =
                of_view.iter().rev().find(|p| p.photo.stage == PhotoStage::Baseline).or_else(|| of_view.last())?;
            let shown = |p: &PhotoEntry| ComparePhoto {
                image_url: p.image_url.clone(),
                label: format!(
                    "{} – {}",
                    t.label("photo_stage", p.photo.stage.as_str()),
                    date(p.photo.taken_at.with_timezone(&tz).date_naive())
                ),
            };
            Some(CompareRow {
                view: t.label("photo_view", view.as_str()).to_string(),
                view_code: view.as_str().to_string(),
                first: shown(first),
                latest: shown(latest),
            })
        })
        .collect()
}
