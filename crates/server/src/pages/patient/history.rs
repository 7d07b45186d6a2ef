//! My check-ins: each submitted check-in (date, disposition, symptoms in words), the scheduled
//! ones still due, and the symptom chart since the last session (inline SVG from
//! [`crate::pages::chart`], with a table of the same data).

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use needlepath_store::CheckIn;

use crate::App;
use crate::clinic::my_record::{History, history};
use crate::i18n::Locale;
use crate::pages::chart::{self, MAX_SERIES, Series, Words};
use crate::pages::patient::me;
use crate::pages::staff::reported_words;
use crate::pages::view::{self, Badge, moment, when};
use crate::pages::{Ctx, Frame, PageResult, page};

#[derive(Debug, Clone)]
pub struct Submitted {
    pub when: String,
    pub badge: Option<Badge>,
    pub symptoms: Vec<String>,
    pub temperature: Option<String>,
}

/// The chart and its table: the table has a row per check-in and a column per series.
#[derive(Debug, Clone)]
pub struct ChartView {
    pub svg: String,
    pub legend: Vec<(String, String)>,
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

#[derive(Template)]
#[template(path = "patient/history.html")]
struct HistoryPage {
    f: Frame,
    /// What the last form did (a photo sent with a check-in), or empty.
    notice: String,
    submitted: Vec<Submitted>,
    due: Vec<String>,
    chart: Option<ChartView>,
}

fn severity_level(s: &str) -> u8 {
    match s {
        "mild" => 1,
        "moderate" => 2,
        "severe" => 3,
        _ => 0,
    }
}

/// The chart of the check-ins about one session: x = days since it, one series per symptom
/// reported (the most severe first, at most [`MAX_SERIES`]), none = 0 where not reported.
pub fn chart_of(t: &Locale, check_ins: &[&CheckIn]) -> Option<ChartView> {
    let mut points: Vec<(f64, BTreeMap<String, u8>)> = check_ins
        .iter()
        .filter_map(|c| {
            // A report that does not read is left out of the chart (the list above names it).
            let req = c.reported().ok()??;
            let day = req.hours_since_treatment? / 24.0;
            let reported = req
                .symptoms
                .iter()
                .filter_map(|s| Some((s.code.as_str().to_string(), severity_level(s.severity?.as_str()))))
                .collect();
            Some((day, reported))
        })
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut codes: Vec<(String, u8, usize)> = Vec::new();
    for (_, m) in &points {
        for (code, level) in m {
            match codes.iter_mut().find(|c| &c.0 == code) {
                Some(c) => {
                    c.1 = c.1.max(*level);
                    c.2 += 1;
                }
                None => codes.push((code.clone(), *level, 1)),
            }
        }
    }
    if codes.is_empty() {
        return None;
    }
    codes.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    codes.truncate(MAX_SERIES);
    let series: Vec<Series> = codes
        .iter()
        .map(|(code, _, _)| Series {
            label: t.label("symptom", code).to_string(),
            points: points.iter().map(|(d, m)| (*d, m.get(code).copied().unwrap_or(0))).collect(),
        })
        .collect();
    let levels = ["none", "mild", "moderate", "severe"];
    let words = Words {
        title: t.s("history.chart_title").to_string(),
        x_axis: t.s("history.chart_x").to_string(),
        levels: levels
            .map(|l| if l == "none" { t.s("history.none").to_string() } else { t.label("severity", l).to_string() }),
    };
    let day_label = |d: f64| t.f("history.day", &[("n", format!("{d:.1}").trim_end_matches(".0"))]);
    Some(ChartView {
        svg: chart::svg(&series, &words, "symptom-chart"),
        legend: series.iter().enumerate().map(|(i, s)| (chart::legend_key(i), s.label.clone())).collect(),
        columns: series.iter().map(|s| s.label.clone()).collect(),
        rows: points
            .iter()
            .enumerate()
            .map(|(k, (d, _))| {
                (day_label(*d), series.iter().map(|s| words.levels[s.points[k].1 as usize].clone()).collect())
            })
            .collect(),
    })
}

/// `?photo=sent`: the check-in photo form's answer.
#[derive(Debug, serde::Deserialize)]
pub struct Sent {
    photo: Option<String>,
}

pub async fn page_get(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<Sent>,
) -> PageResult {
    let notice = match q.photo.as_deref() {
        None => "",
        Some("sent") => ctx.t.s("check_in_photo.sent"),
        Some(_) => return Err(crate::problem::ApiError::invalid("photo", "accepted: sent").into()),
    };
    let (a, id) = me(&ctx)?;
    let t = ctx.t;
    let History { tz, check_ins, sessions, now, .. } = history(&app, &a.actor, id).await?;
    let mut submitted: Vec<Submitted> = check_ins
        .iter()
        .filter_map(|c| {
            let at = c.submitted_at?;
            let symptoms = match c.reported() {
                Ok(Some(r)) => r.symptoms.iter().map(|s| reported_words(t, s)).collect(),
                Ok(None) => Vec::new(),
                // Never a silent gap in what the patient reported: say it could not be read.
                Err(e) => {
                    tracing::error!(check_in = %c.id, error = %e, "a stored check-in does not read");
                    vec![t.s("history.unreadable").to_string()]
                }
            };
            Some(Submitted {
                when: moment(at.with_timezone(&tz).fixed_offset()),
                badge: c.disposition.map(|d| view::disposition(t, d)),
                symptoms,
                temperature: c.temperature_c.map(|x| format!("{x:.1} °C")),
            })
        })
        .collect();
    submitted.reverse();
    let due = check_ins
        .iter()
        .filter(|c| c.submitted_at.is_none())
        .filter_map(|c| c.due_at)
        .filter(|d| *d + chrono::Duration::hours(24) > now)
        .map(|d| when(t, d.with_timezone(&tz), now.with_timezone(&tz)))
        .collect();
    let chart = sessions.first().and_then(|s| {
        let of_session: Vec<&CheckIn> =
            check_ins.iter().filter(|c| c.session == Some(s.id) && c.submitted_at.is_some()).collect();
        chart_of(t, &of_session)
    });
    page(&HistoryPage { f: ctx.frame(t.s("history.title")), notice: notice.to_string(), submitted, due, chart })
}
