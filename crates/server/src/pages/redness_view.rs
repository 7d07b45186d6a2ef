//! The redness index on the staff record (issue 15, part 4): per standard view with a baseline,
//! the regions marked on it (drawn over the photo as SVG rectangles, so no inline style is
//! needed) with the form to mark them, and the index of every photo as a trend after its
//! session — labelled as a measure, not a diagnosis.

use chrono_tz::Tz;
use needlepath_store::{PhotoStage, RednessRegions, Region, Session};

use crate::clinic::photos::{PhotoEntry, STANDARD_VIEWS};
use crate::i18n::Locale;
use crate::pages::view::date;

/// One view's regions, for the form.
#[derive(Debug, Clone)]
pub struct RegionsView {
    pub view_code: String,
    pub view: String,
    /// The baseline with the regions drawn over it (SVG from numbers and an image URL of ours).
    pub picture: String,
    /// The form's values in percent: treated x, y, width, height, then the reference's.
    pub values: [String; 8],
}

/// One photo's index in the trend.
#[derive(Debug, Clone)]
pub struct TrendRow {
    pub when: String,
    pub photo: String,
    /// "day 4 after session 2", or empty before any session.
    pub after: String,
    pub index: String,
}

#[derive(Debug, Clone)]
pub struct RednessView {
    pub views: Vec<RegionsView>,
    pub trend: Vec<TrendRow>,
}

fn pct(v: f64) -> String {
    let p = (v * 1000.0).round() / 10.0;
    if p.fract() == 0.0 { format!("{p:.0}") } else { format!("{p:.1}") }
}

fn rect(class: &str, r: &Region) -> String {
    format!(
        "<rect class=\"{class}\" x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\"/>",
        r.x * 100.0,
        r.y * 100.0,
        r.width * 100.0,
        r.height * 100.0
    )
}

/// The section's content from the chart's photos (newest first), regions and sessions.
pub fn redness_view(
    t: &Locale,
    photos: &[PhotoEntry],
    regions: &[RednessRegions],
    sessions: &[Session],
    tz: Tz,
) -> RednessView {
    let views = STANDARD_VIEWS
        .iter()
        .filter_map(|v| {
            let baseline = photos.iter().rev().find(|p| p.photo.view == *v && p.photo.stage == PhotoStage::Baseline)?;
            let marked = regions.iter().find(|r| r.view == *v);
            let mut picture = format!(
                "<svg class=\"regions\" viewBox=\"0 0 100 100\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}\" \
                 xmlns=\"http://www.w3.org/2000/svg\"><image href=\"{}\" x=\"0\" y=\"0\" width=\"100\" height=\"100\" preserveAspectRatio=\"none\"/>",
                t.s("redness.picture"),
                baseline.image_url
            );
            if let Some(m) = marked {
                picture.push_str(&rect("treated", &m.treated));
                picture.push_str(&rect("reference", &m.reference));
            }
            picture.push_str("</svg>");
            let values = match marked {
                Some(m) => [
                    pct(m.treated.x),
                    pct(m.treated.y),
                    pct(m.treated.width),
                    pct(m.treated.height),
                    pct(m.reference.x),
                    pct(m.reference.y),
                    pct(m.reference.width),
                    pct(m.reference.height),
                ],
                // A start a clinician adjusts: the left cheek, and the neck below the jaw.
                None => ["25", "45", "20", "20", "40", "85", "20", "10"].map(String::from),
            };
            Some(RegionsView { view_code: v.as_str().into(), view: t.label("photo_view", v.as_str()).into(), picture, values })
        })
        .collect();
    let mut sessions: Vec<&Session> = sessions.iter().collect();
    sessions.sort_by_key(|s| s.performed_at);
    let trend = photos
        .iter()
        .rev()
        .filter_map(|p| {
            let index = p.photo.redness?;
            let before = sessions.iter().enumerate().rfind(|(_, s)| s.performed_at <= p.photo.taken_at);
            let after = before
                .map(|(n, s)| {
                    let days = (p.photo.taken_at - s.performed_at).num_days();
                    t.f("redness.after", &[("day", &days.to_string()), ("session", &(n + 1).to_string())])
                })
                .unwrap_or_default();
            Some(TrendRow {
                when: date(p.photo.taken_at.with_timezone(&tz).date_naive()),
                photo: format!(
                    "{} · {}",
                    t.label("photo_view", p.photo.view.as_str()),
                    t.label("photo_stage", p.photo.stage.as_str())
                ),
                after,
                index: format!("{index:+.1}"),
            })
        })
        .collect();
    RednessView { views, trend }
}
