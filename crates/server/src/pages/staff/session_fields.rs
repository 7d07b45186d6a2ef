//! The session form's numbing cream and depth-per-area fields, and how a recorded session's
//! numbing, depths and warnings read on the patient's page.
//!
//! The areas and agents come from the clinic's protocol (`[depth]`, `[anaesthesia]`), so the
//! form offers exactly what the API accepts. The form builds the API's JSON; the API (and core)
//! check it and compute the warnings, so the page and the API cannot disagree. No JavaScript: one
//! number input per area, a select for the cream.

use needlepath_core::protocol::Protocol;
use needlepath_core::session::{AreaDepth, Numbing, SessionWarning, WarningCode};
use serde_json::{Value, json};

use crate::i18n::Locale;
use crate::pages::form::FormData;
use crate::pages::staff::{Choice, choices};
use crate::problem::{ApiError, ApiResult};

/// One treatment area of the protocol with its depth input.
#[derive(Debug, Clone)]
pub struct DepthBox {
    /// The input's name: `depth_<area code>`.
    pub field: String,
    pub name: String,
    /// "usual maximum 0.5 mm", and "thin skin over bone" where it applies.
    pub hint: String,
    pub value: String,
}

pub fn depth_boxes(t: &Locale, p: &Protocol, form: &FormData) -> Vec<DepthBox> {
    p.depth
        .areas
        .iter()
        .map(|a| {
            let field = format!("depth_{}", a.code);
            let mut hint = t.f("session_depth.max", &[("max", &mm(a.max_mm))]);
            if a.bony {
                hint = format!("{hint}; {}", t.s("session_depth.bony"));
            }
            DepthBox { value: form.get(&field).to_string(), field, name: a.name.clone(), hint }
        })
        .collect()
}

/// The numbing creams of the protocol, "None" first.
pub fn agent_choices(t: &Locale, p: &Protocol, form: &FormData) -> Vec<Choice> {
    let items = p.anaesthesia.agents.iter().map(|a| {
        let label = if a.methaemoglobinaemia {
            format!("{} ({})", a.name, t.s("session_numbing.met_risk"))
        } else {
            a.name.clone()
        };
        (a.code.clone(), label)
    });
    choices(Some(t.s("session_numbing.none")), items, form.get("numbing_agent"))
}

/// The protocol's general limits, for the hint under the numbing fields.
pub fn numbing_hint(t: &Locale, p: &Protocol) -> String {
    let a = &p.anaesthesia;
    t.f(
        "session_numbing.limits_hint",
        &[("area", &number(a.max_area_cm2.value)), ("minutes", &number(a.max_minutes.value))],
    )
}

fn number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn mm(v: f64) -> String {
    number(v)
}

fn decimal(form: &FormData, field: &str, what: &str) -> ApiResult<Option<f64>> {
    let raw = form.get(field).trim().replace(',', ".");
    if raw.is_empty() {
        return Ok(None);
    }
    // `nan` and `inf` parse as an f64 but are no amount (and would become JSON null in the
    // numbing cream's object).
    raw.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(Some)
        .ok_or_else(|| ApiError::invalid(field, format!("`{raw}` is not {what}, such as 1.0")))
}

/// The per-area depths of the form (areas left empty were not treated).
pub fn depths(p: &Protocol, form: &FormData) -> ApiResult<Vec<AreaDepth>> {
    let mut out = Vec::new();
    for a in &p.depth.areas {
        if let Some(d) = decimal(form, &format!("depth_{}", a.code), "a depth in millimetres")? {
            out.push(AreaDepth { area: a.code.clone(), depth_mm: d });
        }
    }
    Ok(out)
}

/// The numbing cream as the API's JSON: `null` when none was chosen (and nothing else filled).
pub fn numbing(t: &Locale, form: &FormData) -> ApiResult<Value> {
    let agent = form.get("numbing_agent").trim();
    let area = decimal(form, "numbing_area_cm2", "an area in cm²")?;
    let minutes = decimal(form, "numbing_minutes", "a number of minutes")?;
    if agent.is_empty() {
        if area.is_some() || minutes.is_some() {
            return Err(ApiError::invalid("numbing_agent", t.s("session_numbing.agent_required")));
        }
        return Ok(Value::Null);
    }
    let area = area.ok_or_else(|| ApiError::invalid("numbing_area_cm2", t.s("session_numbing.area_required")))?;
    let minutes =
        minutes.ok_or_else(|| ApiError::invalid("numbing_minutes", t.s("session_numbing.minutes_required")))?;
    Ok(json!({
        "agent": agent,
        "area_cm2": area,
        "minutes": minutes,
        "occluded": form.opt("numbing_occluded").is_some(),
        "removed": form.opt("numbing_removed").is_some(),
    }))
}

/// The form field an API error about the numbing or the depths belongs to.
pub fn form_field(api_field: &str, depths: &[AreaDepth]) -> Option<String> {
    if let Some(rest) = api_field.strip_prefix("numbing.") {
        return Some(format!("numbing_{rest}"));
    }
    let index = api_field.strip_prefix("depths[")?.split(']').next()?.parse::<usize>().ok()?;
    depths.get(index).map(|d| format!("depth_{}", d.area))
}

/// A recorded session's numbing cream, in words.
pub fn numbing_words(t: &Locale, p: &Protocol, n: Option<&Numbing>, note: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(n) = n {
        let name = p.anaesthesia.agent(&n.agent).map_or(n.agent.as_str(), |a| a.name.as_str());
        parts.push(t.f(
            "session_numbing.recorded",
            &[("agent", name), ("area", &number(n.area_cm2)), ("minutes", &number(n.minutes))],
        ));
        if n.occluded {
            parts.push(t.s("session_numbing.was_occluded").to_string());
        }
        if !n.removed {
            parts.push(t.s("session_numbing.not_removed").to_string());
        }
    }
    parts.extend(note.filter(|s| !s.trim().is_empty()).map(str::to_string));
    parts.join("; ")
}

/// A recorded session's depths per area, in words ("Forehead 0.5 mm, Cheeks 1.5 mm").
pub fn depth_words(p: &Protocol, depths: &[AreaDepth]) -> String {
    depths
        .iter()
        .map(|d| {
            let name = p.depth.area(&d.area).map_or(d.area.as_str(), |a| a.name.as_str());
            format!("{name} {} mm", mm(d.depth_mm))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One warning as the patient's page shows it: what the protocol said when the session was
/// recorded, the numbers, and its sources.
pub fn warning_words(t: &Locale, p: &Protocol, w: &SessionWarning) -> String {
    let mut out = w.message.clone();
    if let (Some(v), Some(l)) = (w.value, w.limit) {
        let area = w.area.as_deref().map(|a| p.depth.area(a).map_or(a, |x| x.name.as_str()));
        let what = match area {
            Some(a) => {
                t.f("session_warnings.area_numbers", &[("area", a), ("value", &number(v)), ("limit", &number(l))])
            }
            None => {
                let unit = if w.code == WarningCode::NumbingAreaOverMax { "cm²" } else { "min" };
                t.f(
                    "session_warnings.numbers",
                    &[("value", &format!("{} {unit}", number(v))), ("limit", &format!("{} {unit}", number(l)))],
                )
            }
        };
        out = format!("{out} ({what})");
    }
    let evidence = w.evidence.as_deref().map(|e| format!("; {e}")).unwrap_or_default();
    format!("{out} [{}{evidence}]", w.sources.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (found with the `form_bodies` fuzz target): `nan` or `inf` typed as the numbing
    /// cream's area or minutes parsed as an `f64` and became JSON `null` in the cream's object,
    /// so the value typed was gone and the form came back with serde's "invalid type: null". It
    /// is now refused on its own field, as any other word is, and so is a depth.
    #[test]
    fn a_numbing_amount_that_is_not_a_finite_number_is_refused() {
        let t = crate::i18n::default_locale();
        for typed in ["nan", "inf", "-inf", "infinity", "1e999"] {
            for field in ["numbing_area_cm2", "numbing_minutes"] {
                let other = if field == "numbing_minutes" { "numbing_area_cm2" } else { "numbing_minutes" };
                let f = FormData::from_pairs(vec![
                    ("numbing_agent".into(), "lidocaine".into()),
                    (field.into(), typed.into()),
                    (other.into(), "30".into()),
                ]);
                let e = numbing(t, &f).unwrap_err();
                assert_eq!(e.field.as_deref(), Some(field), "{typed}");
                assert!(e.detail.contains(typed), "{typed}: {}", e.detail);
            }
        }
        let p = Protocol::builtin().unwrap();
        let area = &p.depth.areas[0].code;
        let f = FormData::from_pairs(vec![(format!("depth_{area}"), "NaN".into())]);
        assert_eq!(depths(&p, &f).unwrap_err().field, Some(format!("depth_{area}")));
    }
}
