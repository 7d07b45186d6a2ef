//! The symptom chart of a patient's check-ins, drawn on the server as inline SVG (no script,
//! no library), with a table of the same data for screen readers and print.
//!
//! [`svg`] is a pure function of its input, so the same check-ins always draw the same chart
//! (a snapshot test holds it). Colour is never the only signal: each series has its own marker
//! shape and dash pattern, and the legend shows both. The words (title, axis names, severity
//! names, series labels) come from the caller, already translated; they are escaped here.

use std::fmt::Write as _;

/// At most this many series are drawn; more would be unreadable on a phone.
pub const MAX_SERIES: usize = 6;

/// One symptom's reports over time.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    /// (days since the session, severity 0 = none … 3 = severe), in time order.
    pub points: Vec<(f64, u8)>,
}

/// The chart's words, in the reader's language.
#[derive(Debug, Clone)]
pub struct Words {
    pub title: String,
    pub x_axis: String,
    /// The names of severities 0..=3: none, mild, moderate, severe.
    pub levels: [String; 4],
}

/// How series are told apart without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub colour: &'static str,
    pub dash: &'static str,
    pub marker: Marker,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
    Cross,
    Plus,
}

const STYLES: [Style; MAX_SERIES] = [
    Style { colour: "#0b5563", dash: "", marker: Marker::Circle },
    Style { colour: "#a12a00", dash: "6 3", marker: Marker::Square },
    Style { colour: "#6b3fa0", dash: "2 3", marker: Marker::Triangle },
    Style { colour: "#1d6b35", dash: "8 3 2 3", marker: Marker::Diamond },
    Style { colour: "#7a4d00", dash: "1 3", marker: Marker::Cross },
    Style { colour: "#1b1f23", dash: "10 4", marker: Marker::Plus },
];

/// The style of the `i`-th series.
pub fn style(i: usize) -> Style {
    STYLES[i % MAX_SERIES]
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 92.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 52.0;

/// Escapes text for SVG (XML) content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number as SVG writes it: at most one decimal, no trailing `.0`.
fn n(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r.fract() == 0.0 { format!("{}", r as i64) } else { format!("{r:.1}") }
}

/// A tidy step for the day axis: about six ticks at most.
fn day_step(max_day: f64) -> f64 {
    [1.0, 2.0, 5.0, 7.0, 14.0, 28.0, 56.0, 91.0, 182.0].into_iter().find(|s| max_day / s <= 6.0).unwrap_or(365.0)
}

fn marker(out: &mut String, m: Marker, x: f64, y: f64, colour: &str) {
    let (x, y) = (x, y);
    let _ = match m {
        Marker::Circle => write!(out, r#"<circle cx="{}" cy="{}" r="4.5" fill="{colour}"/>"#, n(x), n(y)),
        Marker::Square => {
            write!(out, r#"<rect x="{}" y="{}" width="9" height="9" fill="{colour}"/>"#, n(x - 4.5), n(y - 4.5))
        }
        Marker::Triangle => write!(
            out,
            r#"<path d="M{} {}L{} {}L{} {}Z" fill="{colour}"/>"#,
            n(x),
            n(y - 5.5),
            n(x + 5.5),
            n(y + 4.5),
            n(x - 5.5),
            n(y + 4.5)
        ),
        Marker::Diamond => write!(
            out,
            r#"<path d="M{} {}L{} {}L{} {}L{} {}Z" fill="{colour}"/>"#,
            n(x),
            n(y - 6.0),
            n(x + 6.0),
            n(y),
            n(x),
            n(y + 6.0),
            n(x - 6.0),
            n(y)
        ),
        Marker::Cross => write!(
            out,
            r#"<path d="M{} {}L{} {}M{} {}L{} {}" stroke="{colour}" stroke-width="2.5"/>"#,
            n(x - 5.0),
            n(y - 5.0),
            n(x + 5.0),
            n(y + 5.0),
            n(x - 5.0),
            n(y + 5.0),
            n(x + 5.0),
            n(y - 5.0)
        ),
        Marker::Plus => write!(
            out,
            r#"<path d="M{} {}L{} {}M{} {}L{} {}" stroke="{colour}" stroke-width="2.5"/>"#,
            n(x - 6.0),
            n(y),
            n(x + 6.0),
            n(y),
            n(x),
            n(y - 6.0),
            n(x),
            n(y + 6.0)
        ),
    };
}

/// A small sample of a series' style (line and marker), for the legend.
pub fn legend_key(i: usize) -> String {
    let s = style(i);
    let mut out =
        String::from(r#"<svg width="40" height="16" viewBox="0 0 40 16" aria-hidden="true" focusable="false">"#);
    let dash = if s.dash.is_empty() { String::new() } else { format!(r#" stroke-dasharray="{}""#, s.dash) };
    let _ = write!(out, r#"<path d="M2 8H38" stroke="{}" stroke-width="2"{dash} fill="none"/>"#, s.colour);
    marker(&mut out, s.marker, 20.0, 8.0, s.colour);
    out.push_str("</svg>");
    out
}

/// The chart as an `<svg>` element: `role="img"`, titled by `<title id="{id}-title">`.
/// Only the first [`MAX_SERIES`] series are drawn; severities above 3 are drawn as 3.
pub fn svg(series: &[Series], words: &Words, id: &str) -> String {
    let id = escape(id);
    let series = &series[..series.len().min(MAX_SERIES)];
    let max_day = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).fold(0.0_f64, f64::max).max(1.0);
    let step = day_step(max_day);
    let max_x = (max_day / step).ceil() * step;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x_of = |d: f64| LEFT + d.max(0.0) / max_x * plot_w;
    let y_of = |s: u8| TOP + plot_h - f64::from(s.min(3)) / 3.0 * plot_h;

    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-labelledby="{id}-title" id="{id}"><title id="{id}-title">{}</title>"#,
        n(WIDTH),
        n(HEIGHT),
        escape(&words.title)
    );
    // Severity grid and labels.
    for (level, name) in words.levels.iter().enumerate() {
        let y = y_of(level as u8);
        let _ = write!(
            out,
            r##"<path d="M{} {}H{}" stroke="#c9d2d6" stroke-width="1"/><text x="{}" y="{}" text-anchor="end" font-size="13" fill="#1b1f23">{}</text>"##,
            n(LEFT),
            n(y),
            n(WIDTH - RIGHT),
            n(LEFT - 8.0),
            n(y + 4.0),
            escape(name)
        );
    }
    // Day axis.
    let mut d = 0.0;
    while d <= max_x + 1e-9 {
        let x = x_of(d);
        let _ = write!(
            out,
            r##"<path d="M{} {}V{}" stroke="#1b1f23" stroke-width="1"/><text x="{}" y="{}" text-anchor="middle" font-size="13" fill="#1b1f23">{}</text>"##,
            n(x),
            n(TOP + plot_h),
            n(TOP + plot_h + 5.0),
            n(x),
            n(TOP + plot_h + 20.0),
            n(d)
        );
        d += step;
    }
    let _ = write!(
        out,
        r##"<path d="M{} {}H{}M{} {}V{}" stroke="#1b1f23" stroke-width="1.5" fill="none"/><text x="{}" y="{}" text-anchor="middle" font-size="13" fill="#1b1f23">{}</text>"##,
        n(LEFT),
        n(TOP + plot_h),
        n(WIDTH - RIGHT),
        n(LEFT),
        n(TOP),
        n(TOP + plot_h),
        n(LEFT + plot_w / 2.0),
        n(HEIGHT - 8.0),
        escape(&words.x_axis)
    );
    // Series: a line, then its markers, each series in a group titled by its label.
    for (i, s) in series.iter().enumerate() {
        let st = style(i);
        let _ = write!(out, r#"<g><title>{}</title>"#, escape(&s.label));
        if s.points.len() > 1 {
            let path: Vec<String> = s
                .points
                .iter()
                .enumerate()
                .map(|(k, p)| format!("{}{} {}", if k == 0 { "M" } else { "L" }, n(x_of(p.0)), n(y_of(p.1))))
                .collect();
            let dash = if st.dash.is_empty() { String::new() } else { format!(r#" stroke-dasharray="{}""#, st.dash) };
            let _ = write!(
                out,
                r#"<path d="{}" stroke="{}" stroke-width="2"{dash} fill="none"/>"#,
                path.join(""),
                st.colour
            );
        }
        for p in &s.points {
            marker(&mut out, st.marker, x_of(p.0), y_of(p.1), st.colour);
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Words {
        Words {
            title: "Symptoms <since> the session".into(),
            x_axis: "Days since the session".into(),
            levels: ["None".into(), "Mild".into(), "Moderate".into(), "Severe".into()],
        }
    }

    fn sample() -> Vec<Series> {
        vec![
            Series { label: "Redness".into(), points: vec![(1.0, 2), (3.0, 1), (7.0, 0)] },
            Series { label: "Swelling & puffiness".into(), points: vec![(1.0, 1), (3.0, 0), (7.0, 0)] },
        ]
    }

    #[test]
    fn it_is_an_accessible_image_with_a_title() {
        let s = svg(&sample(), &words(), "chart");
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains(r#"role="img""#));
        assert!(s.contains(r#"aria-labelledby="chart-title""#));
        assert!(s.contains(r#"<title id="chart-title">Symptoms &lt;since&gt; the session</title>"#));
        assert!(s.contains("Swelling &amp; puffiness"), "labels are escaped");
        for level in ["None", "Mild", "Moderate", "Severe", "Days since the session"] {
            assert!(s.contains(level), "{level}");
        }
    }

    #[test]
    fn series_differ_in_more_than_colour() {
        for i in 0..MAX_SERIES {
            for j in 0..i {
                assert_ne!(style(i).marker, style(j).marker);
                assert_ne!(style(i).dash, style(j).dash);
            }
        }
        let s = svg(&sample(), &words(), "c");
        assert!(s.contains("<circle") && s.contains("<rect") && s.contains(r#"stroke-dasharray="6 3""#));
    }

    #[test]
    fn at_most_six_series_are_drawn_and_nothing_breaks_on_empty_input() {
        let many: Vec<Series> =
            (0..9).map(|i| Series { label: format!("S{i}"), points: vec![(0.5, 1), (2.0, 3)] }).collect();
        let s = svg(&many, &words(), "c");
        assert_eq!(s.matches("<g>").count(), MAX_SERIES);
        let empty = svg(&[], &words(), "c");
        assert!(empty.contains("</svg>") && !empty.contains("<g>"));
        // A single point draws a marker without a line; out-of-range severities are clamped.
        let one = svg(&[Series { label: "x".into(), points: vec![(0.0, 9)] }], &words(), "c");
        assert!(one.contains(r#"<circle cx="92" cy="16""#), "{one}");
    }

    #[test]
    fn the_day_axis_has_a_few_tidy_ticks() {
        assert_eq!(day_step(3.0), 1.0);
        assert_eq!(day_step(14.0), 5.0);
        assert_eq!(day_step(40.0), 7.0);
        assert_eq!(n(2.0), "2");
        assert_eq!(n(2.25), "2.3");
    }

    #[test]
    fn snapshot_of_a_fixed_chart() {
        insta::assert_snapshot!(svg(&sample(), &words(), "symptom-chart"));
    }

    #[test]
    fn legend_keys_show_the_marker_and_dash() {
        let k = legend_key(1);
        assert!(k.contains("<rect") && k.contains("6 3") && k.contains(r#"aria-hidden="true""#));
    }
}
