//! The HTML forms the pages accept (`application/x-www-form-urlencoded`): any bytes are read as
//! the pages read a posted form (`pages::form::FormData`), then by every form's reader — the
//! patient's check-in, the public cost estimate and candidate questionnaire, staff's screening,
//! plan, session, patient, appointment and clinic settings forms. None of it may panic, and no
//! value typed into a field may be dropped silently: a form either refuses it, naming a field, or
//! carries it into the request it builds (a number stays a number, never JSON `null`, which the
//! API reads as "not given").
//!
//! What the forms build is then read and decided as the service does (check-in, screening,
//! plan), which must not panic either.

#![no_main]

use std::sync::OnceLock;

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use needlepath_core::Protocol;
use needlepath_core::request::{CheckIn, PlanRequest, ScreeningRequest};
use needlepath_core::{plan, screening, triage};
use needlepath_server::fuzzing;
use needlepath_server::pages::form::FormData;
use serde_json::{Value, json};

fn builtin() -> &'static Protocol {
    static BASE: OnceLock<Protocol> = OnceLock::new();
    BASE.get_or_init(|| Protocol::builtin().expect("the built-in protocol loads"))
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).expect("a real date")
}

/// A number typed into a form, as the forms read one (a decimal comma allowed).
fn number(typed: &str) -> Option<f64> {
    typed.trim().replace(',', ".").parse().ok()
}

/// Every value the parser read is there: one pair per non-empty `&`-separated part, and each
/// non-blank value among the values of its name.
fn parser_keeps_every_pair(data: &[u8], form: &FormData) {
    let parts = data.split(|&b| b == b'&').filter(|p| !p.is_empty()).count();
    assert_eq!(form.pairs().len(), parts, "the form has {parts} parts, {} were read", form.pairs().len());
    for (name, value) in form.pairs() {
        let v = value.trim();
        if !v.is_empty() {
            assert!(form.all(name).contains(&v), "{name}={v:?} is not among the values of {name}");
            assert!(form.has(name, v));
        }
    }
}

fn check_in(form: &FormData) {
    let (body, codes, implied) = fuzzing::check_in_form(form);
    for s in form.all("symptom") {
        assert!(codes.iter().any(|c| c == s), "ticked symptom {s:?} dropped");
    }
    for (name, value) in form.pairs() {
        let code = name.strip_prefix("severity.").or_else(|| name.strip_prefix("trend."));
        if let Some(code) = code
            && !value.trim().is_empty()
        {
            assert!(codes.iter().any(|c| c == code), "{name}={value:?} dropped");
        }
    }
    for c in &implied {
        assert!(codes.contains(c));
    }
    let symptoms = body["symptoms"].as_array().expect("a list of symptoms");
    assert_eq!(symptoms.len(), codes.len());
    for (item, code) in symptoms.iter().zip(&codes) {
        assert_eq!(item["code"], json!(code));
        if let Some(s) = form.opt(&format!("severity.{code}")) {
            assert_eq!(item["severity"], json!(s), "the severity of {code} dropped");
        }
        if let Some(t) = form.opt(&format!("trend.{code}")) {
            assert_eq!(item["trend"], json!(t), "the trend of {code} dropped");
        }
    }
    let typed = form.get("temperature_c");
    if !typed.is_empty() {
        let sent = &body["temperature_c"];
        assert!(!sent.is_null(), "temperature {typed:?} became null (no temperature)");
        if let Some(t) = sent.as_f64() {
            assert_eq!(Some(t), number(typed), "temperature {typed:?} sent as {t}");
        }
    }
    if let Some(note) = form.opt("note") {
        assert_eq!(body["note"], json!(note));
    }
    // As the check-in service reads it (it adds the hours since the session).
    let mut with_hours = body;
    with_hours["hours_since_treatment"] = json!(30);
    let p = builtin();
    match CheckIn::from_json(&with_hours) {
        Ok(c) => {
            if !typed.is_empty() {
                assert!(c.temperature_c.is_some(), "temperature {typed:?} read as none");
            }
            let _ = triage::triage(p, &c);
        }
        Err(_) => {
            if let Some(s) = CheckIn::salvage(&with_hours, |s| p.symptom(s).is_warning_sign()) {
                let _ = triage::triage(p, &s.check_in);
            }
        }
    }
}

fn cost(form: &FormData) {
    let Ok(req) = fuzzing::cost_form(form) else { return };
    let typed = form.get("price_per_session");
    if !typed.is_empty() {
        assert!(req["price_per_session"].is_number(), "price {typed:?} sent as {}", req["price_per_session"]);
    }
    if let Some(c) = form.opt("currency") {
        assert_eq!(req["currency"], json!(c.to_uppercase()));
    }
    if let Ok(r) = PlanRequest::from_json(&req) {
        if !typed.is_empty() {
            assert!(r.price_per_session.is_some(), "price {typed:?} read as none");
        }
        let _ = plan::plan(builtin(), &r);
    }
}

fn findings_kept(form: &FormData, findings: &Value) {
    let ticked = form.all("finding");
    let sent = findings.as_array().expect("a list of findings");
    assert_eq!(sent.len(), ticked.len(), "ticked findings {ticked:?}, sent {sent:?}");
}

fn candidate(form: &FormData) {
    let Ok((req, codes)) = fuzzing::candidate_form(form) else { return };
    assert_eq!(codes, form.all("finding"));
    findings_kept(form, &req["findings"]);
    for (field, typed) in [("age_years", form.get("age_years")), ("fitzpatrick", form.get("fitzpatrick"))] {
        if !typed.is_empty() {
            assert!(req[field].is_number(), "{field} {typed:?} dropped");
        }
    }
    if let Ok(r) = ScreeningRequest::from_json(&req, today()) {
        let _ = screening::screen(builtin(), &r);
    }
}

fn staff_screening(form: &FormData) {
    let Ok(body) = fuzzing::screening_form(form) else { return };
    findings_kept(form, &body["findings"]);
    for field in ["scar_grade", "fitzpatrick"] {
        if form.opt(field).is_some() {
            assert!(body[field].is_number(), "{field} {:?} dropped", form.get(field));
        }
    }
    if let Ok(r) = ScreeningRequest::from_json(&body, today()) {
        let _ = screening::screen(builtin(), &r);
    }
}

fn staff_plan(form: &FormData) {
    let Ok(body) = fuzzing::plan_form(form) else { return };
    for field in ["scar_grade", "sessions", "interval_weeks"] {
        if form.opt(field).is_some() {
            assert!(body[field].is_number(), "{field} {:?} dropped", form.get(field));
        }
    }
    if let Ok(r) = PlanRequest::from_json(&body) {
        let _ = plan::plan(builtin(), &r);
    }
}

fn session(form: &FormData) {
    let p = builtin();
    let Ok(req) = fuzzing::session_form(p, form, chrono_tz::Europe::Berlin) else { return };
    for a in &p.depth.areas {
        if let Some(typed) = form.opt(&format!("depth_{}", a.code)) {
            assert!(req.depths.iter().any(|d| d.area == a.code), "the depth of {} ({typed:?}) dropped", a.code);
        }
    }
    if form.opt("needle_depth_mm").is_some() {
        assert!(req.needle_depth_mm.is_some(), "needle depth {:?} dropped", form.get("needle_depth_mm"));
    }
    for area in form.all("area") {
        assert!(req.areas.iter().any(|a| a == area), "area {area:?} dropped");
    }
    for product in form.get("products").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        assert!(req.products.iter().any(|p| p == product), "product {product:?} dropped");
    }
    match &req.numbing {
        Some(Value::Null) => {
            for field in ["numbing_agent", "numbing_area_cm2", "numbing_minutes"] {
                assert!(form.opt(field).is_none(), "{field} {:?} dropped: no numbing recorded", form.get(field));
            }
        }
        Some(n) => {
            assert_eq!(n["agent"], json!(form.get("numbing_agent")));
            for (key, field) in [("area_cm2", "numbing_area_cm2"), ("minutes", "numbing_minutes")] {
                assert!(n[key].is_number(), "{field} {:?} sent as {}", form.get(field), n[key]);
            }
        }
        None => panic!("the session form always says what numbing was used"),
    }
}

fn settings(form: &FormData) {
    let Ok(s) = fuzzing::settings_form(form) else { return };
    if form.opt("price_per_session").is_some() {
        assert!(s.price_per_session.is_some(), "price {:?} dropped", form.get("price_per_session"));
    }
    assert_eq!(s.opening_hours.days.len(), form.all("day").len(), "opening days dropped");
    let typed_days = form.get("check_in_days").split([',', ' ']).filter(|d| !d.trim().is_empty()).count();
    assert_eq!(s.check_in_days.len(), typed_days, "check-in days dropped");
}

fn patients(form: &FormData) {
    if let Ok(r) = fuzzing::new_patient_form(form) {
        if form.opt("fitzpatrick").is_some() {
            assert!(r.fitzpatrick.is_some(), "skin type dropped");
        }
        if form.opt("birth_date").is_some() {
            assert!(r.birth_date.is_some(), "birth date dropped");
        }
    }
    if let Ok(r) = fuzzing::patient_update_form(form) {
        if form.opt("fitzpatrick").is_some() {
            assert!(matches!(r.fitzpatrick, Some(Some(_))), "skin type dropped");
        }
        if form.opt("birth_date").is_some() {
            assert!(matches!(r.birth_date, Some(Some(_))), "birth date dropped");
        }
        let ticked = form.all("finding");
        if !ticked.is_empty() {
            let sent = r.findings.as_ref().map_or(0, Vec::len);
            assert_eq!(sent, ticked.len(), "ticked findings dropped");
        }
    }
    let (at, minutes) = fuzzing::appointment_form(form, chrono_tz::America::New_York);
    let _ = at;
    if let Ok(m) = minutes
        && form.opt("minutes").is_some()
    {
        assert!(m.is_some(), "minutes dropped");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(form) = FormData::parse(data) else { return };
    parser_keeps_every_pair(data, &form);
    check_in(&form);
    cost(&form);
    candidate(&form);
    staff_screening(&form);
    staff_plan(&form);
    session(&form);
    settings(&form);
    patients(&form);
});
