//! The clinic's outcomes page and its CSV export (issue 15, part 6; admins): the report of
//! `clinic::clinic_outcomes` for a chosen span, each figure as a bar chart (inline SVG) with a
//! table of the same numbers, without JavaScript. The form is a GET, so a report is a link.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use needlepath_core::outcomes::Improvement;

use crate::App;
use crate::clinic::clinic_outcomes::{ClinicReport, ReportRow, ReportSpan, csv, report};
use crate::i18n::Locale;
use crate::pages::{Ctx, Frame, PageResult, page};
use crate::problem::ApiError;

/// One figure: a chart and its table.
struct Figure {
    id: &'static str,
    title: String,
    chart: String,
    /// (period and practitioner, the value in words)
    rows: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "staff/outcomes.html")]
struct OutcomesPage {
    f: Frame,
    from: String,
    to: String,
    month: bool,
    csv_link: String,
    figures: Vec<Figure>,
    empty: bool,
}

async fn read(app: &App, ctx: &Ctx, span: &ReportSpan) -> Result<ClinicReport, crate::pages::PageError> {
    let a = ctx.authed()?;
    Ok(report(app, &a.actor, span).await.map_err(ApiError::from)?)
}

fn who(r: &ReportRow) -> String {
    format!("{} · {}", r.period, r.practitioner)
}

/// A horizontal bar per row; `value` gives the bar (0..=max) and its words.
fn bars(
    title: &str,
    rows: &[ReportRow],
    value: impl Fn(&ReportRow) -> Option<f64>,
    unit: &str,
    max: Option<f64>,
) -> (String, Vec<(String, String)>) {
    let values: Vec<(String, Option<f64>)> = rows.iter().map(|r| (who(r), value(r))).collect();
    let top = max.unwrap_or_else(|| values.iter().filter_map(|(_, v)| *v).fold(0.0, f64::max)).max(1e-9);
    let height = 26 * values.len().max(1) + 10;
    let mut svg = format!(
        "<svg class=\"bar-chart\" viewBox=\"0 0 640 {height}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(title)
    );
    let mut table = Vec::new();
    for (i, (label, v)) in values.iter().enumerate() {
        let y = 6 + i * 26;
        let words = v.map(|v| format!("{}{unit}", trim(v))).unwrap_or_else(|| "–".into());
        let width = v.map(|v| (v / top).clamp(0.0, 1.0) * 330.0).unwrap_or(0.0);
        svg.push_str(&format!(
            "<text class=\"axis\" x=\"0\" y=\"{}\">{}</text><rect class=\"bar\" x=\"250\" y=\"{y}\" width=\"{width:.1}\" height=\"18\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{}\">{}</text>",
            y + 14,
            esc(&label.chars().take(36).collect::<String>()),
            256.0 + width,
            y + 14,
            esc(&words)
        ));
        table.push((label.clone(), words));
    }
    svg.push_str("</svg>");
    (svg, table)
}

fn trim(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A figure's further numbers per row (the counts behind a rate).
type Detail<'a> = dyn Fn(&ReportRow) -> Vec<String> + 'a;

fn figures(t: &Locale, rows: &[ReportRow]) -> Vec<Figure> {
    let improved = |r: &ReportRow| {
        let total: u32 = r.patient_improvement.iter().map(|c| c.count).sum();
        let good: u32 =
            r.patient_improvement.iter().filter(|c| c.value >= Improvement::Improved).map(|c| c.count).sum();
        (total > 0).then(|| f64::from(good) * 100.0 / f64::from(total))
    };
    let better = |r: &ReportRow| {
        let total: u32 = r.grade_changes.iter().map(|c| c.count).sum();
        let good: u32 = r.grade_changes.iter().filter(|c| c.value > 0).map(|c| c.count).sum();
        (total > 0).then(|| f64::from(good) * 100.0 / f64::from(total))
    };
    let spread = |r: &ReportRow, f: &Detail| f(r).join(", ");
    let mut out = Vec::new();
    let mut add = |id: &'static str,
                   key: &str,
                   value: &dyn Fn(&ReportRow) -> Option<f64>,
                   unit: &str,
                   max: Option<f64>,
                   detail: Option<&Detail>| {
        let title = t.s(key).to_string();
        let (chart, mut table) = bars(&title, rows, value, unit, max);
        if let Some(d) = detail {
            for (row, r) in table.iter_mut().zip(rows) {
                let more = spread(r, d);
                if !more.is_empty() {
                    row.1 = format!("{} ({more})", row.1);
                }
            }
        }
        out.push(Figure { id, title, chart, rows: table });
    };
    add("sessions", "report.sessions", &|r| Some(f64::from(r.sessions)), "", None, None);
    add(
        "complications",
        "report.alerts_per_session",
        &|r| r.alerts_per_session,
        "",
        None,
        Some(&|r: &ReportRow| {
            r.alerts.iter().map(|c| format!("{} {}", c.count, t.label("disposition", c.value.as_str()))).collect()
        }),
    );
    add(
        "adherence",
        "report.adherence",
        &|r| r.adherence_percent,
        " %",
        Some(100.0),
        Some(&|r: &ReportRow| vec![format!("{}/{}", r.check_ins_answered, r.check_ins_due)]),
    );
    add(
        "grades",
        "report.better",
        &better,
        " %",
        Some(100.0),
        Some(&|r: &ReportRow| {
            r.grade_changes
                .iter()
                .map(|c| {
                    format!("{}: {}", if c.value > 0 { format!("+{}", c.value) } else { c.value.to_string() }, c.count)
                })
                .collect()
        }),
    );
    add(
        "ratings",
        "report.improved",
        &improved,
        " %",
        Some(100.0),
        Some(&|r: &ReportRow| {
            r.patient_improvement
                .iter()
                .map(|c| format!("{} {}", c.count, t.label("improvement", c.value.as_str())))
                .collect()
        }),
    );
    add(
        "satisfaction",
        "report.satisfaction",
        &|r| r.satisfaction_mean,
        "/10",
        Some(10.0),
        Some(&|r: &ReportRow| {
            r.recommend_percent.map(|p| format!("{} {} %", t.s("report.recommend"), trim(p))).into_iter().collect()
        }),
    );
    add("overrides", "report.overrides", &|r| Some(f64::from(r.overrides)), "", None, None);
    out
}

pub async fn show(State(app): State<Arc<App>>, ctx: Ctx, Query(span): Query<ReportSpan>) -> PageResult {
    let report = read(&app, &ctx, &span).await?;
    let t = ctx.t;
    let query = format!("from={}&to={}&period={}", report.from, report.to, report.period.as_str());
    page(&OutcomesPage {
        f: ctx.frame(t.s("report.title")),
        from: report.from.to_string(),
        to: report.to.to_string(),
        month: report.period == crate::clinic::clinic_outcomes::Period::Month,
        csv_link: format!("/staff/outcomes.csv?{query}"),
        empty: report.rows.is_empty(),
        figures: figures(t, &report.rows),
    })
}

/// The same rows as CSV, named by the span.
pub async fn export(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Query(span): Query<ReportSpan>,
) -> Result<Response, crate::pages::PageError> {
    let report = read(&app, &ctx, &span).await?;
    let name = format!("attachment; filename=\"outcomes-{}-{}.csv\"", report.from, report.to);
    let mut res = csv(&report).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}
