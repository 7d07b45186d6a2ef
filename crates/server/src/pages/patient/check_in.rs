//! The check-in: every symptom as a checkbox in plain words, grouped (expected after a session,
//! concerning, emergency signs), each with its severity and trend; temperature and a note. The
//! post calls `api::check_ins::submit` (triage, record and alert in one transaction, exactly as
//! `POST /api/v1/me/check-ins`) and answers on the same response. An emergency answer turns
//! the page into the emergency banner before anything else. Works with JavaScript off.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use chrono_tz::Tz;
use needlepath_core::protocol::{Base, Protocol};
use needlepath_core::reach::{ClinicDay, FollowUp, follow_up};
use needlepath_core::vocabulary::{Disposition, Symptom};
use serde_json::{Value, json};

use crate::App;
use crate::api::check_ins::submit;
use crate::deadline::Hours;
use crate::pages::form::{FormData, Posted};
use crate::pages::i18n::Locale;
use crate::pages::patient::{instant_json, me, said_json};
use crate::pages::public::{Choice, Said};
use crate::pages::view::{self, Badge, when};
use crate::pages::{Ctx, Frame, PageResult, Shown, page, page_with};
use crate::problem::ApiError;
use crate::reach::{Phone, Reach};

/// One symptom's row: its box, and its severity and trend radios.
#[derive(Debug, Clone)]
pub struct Row {
    pub code: &'static str,
    pub label: String,
    pub checked: bool,
    pub severities: Vec<Choice>,
    pub trends: Vec<Choice>,
    pub invalid: bool,
    /// The trend is the field at fault (asked from 24 h after the session).
    pub trend_invalid: bool,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub legend: String,
    pub rows: Vec<Row>,
}

/// The answer to a submitted check-in.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub emergency: bool,
    pub badge: Badge,
    /// Below an emergency: "Call emergency services if …" with the signs, shown above the
    /// headline (issue 12, item 15).
    pub emergency_if: Option<Said>,
    pub advice: Vec<Said>,
    /// Per symptom: its words and what the protocol says about it.
    pub about: Vec<(String, Said)>,
    /// When an alert was opened: the clinic's deadline, in words; empty if it has none.
    pub alerted: Option<String>,
    /// Symptoms whose severity or trend was chosen without ticking their box, counted as
    /// ticked: their words.
    pub implied: Vec<String>,
    /// Symptoms sent without "how bad", assessed as severe: their words.
    pub assumed_severe: Vec<String>,
    /// Symptoms sent without "better or worse" from 48 h, assessed as getting worse: their words.
    pub assumed_worse: Vec<String>,
    /// What could not be read and was left out (the check-in was answered because it names a
    /// warning sign): the field in words and why.
    pub unread: Vec<String>,
    /// What the answer says about the clinic's response (`needlepath_core::reach::follow_up`):
    /// an urgent answer never waits for another day.
    pub follow_up: FollowUp,
    /// "Urgent: be seen today".
    pub urgent: bool,
    /// The emergency numbers of the clinic's country (or the common ones), and their sentence.
    pub emergency_phones: Vec<Phone>,
    pub emergency_sentence: String,
}

#[derive(Template)]
#[template(path = "patient/check_in.html")]
struct CheckInPage {
    f: Frame,
    groups: Vec<Group>,
    temperature: String,
    note: String,
    error: Option<Shown>,
    /// The clinic has no session on record to check in about.
    no_session: bool,
}

#[derive(Template)]
#[template(path = "patient/check_in_answer.html")]
struct AnswerPage {
    f: Frame,
    o: Outcome,
}

const SEVERITIES: [&str; 3] = ["mild", "moderate", "severe"];
const TRENDS: [&str; 3] = ["improving", "same", "worse"];

/// The symptom groups, from the protocol: expected after a session, outside the expected
/// course, and emergency signs.
fn groups(p: &Protocol, t: &Locale, form: &FormData, invalid: &str) -> Vec<Group> {
    let mut out: Vec<Group> = ["check_in.group.expected", "check_in.group.concerning", "check_in.group.emergency"]
        .iter()
        .map(|k| Group { legend: t.s(k).to_string(), rows: Vec::new() })
        .collect();
    for s in Symptom::ALL {
        let rule = p.symptom(*s);
        let i = match (&rule.base, rule.base_disposition()) {
            (_, Disposition::Emergency) => 2,
            (Base::Expected { .. }, _) => 0,
            _ => 1,
        };
        let code = s.as_str();
        let pick = |name: String, values: &[&str], kind: &str| -> Vec<Choice> {
            values
                .iter()
                .map(|v| Choice {
                    value: (*v).to_string(),
                    label: t.label(kind, v).to_string(),
                    checked: form.get(&name) == *v,
                })
                .collect()
        };
        out[i].rows.push(Row {
            code,
            label: t.label("symptom", code).to_string(),
            checked: form.has("symptom", code),
            severities: pick(format!("severity.{code}"), &SEVERITIES, "severity"),
            trends: pick(format!("trend.{code}"), &TRENDS, "trend"),
            invalid: invalid == format!("severity.{code}"),
            trend_invalid: invalid == format!("trend.{code}"),
        });
    }
    out
}

fn form_page(p: &Protocol, ctx: &Ctx, form: &FormData, error: Option<Shown>, no_session: bool) -> CheckInPage {
    let invalid = error.as_ref().map(|e| e.field.clone()).unwrap_or_default();
    CheckInPage {
        f: ctx.frame(ctx.t.s("check_in.title")),
        groups: groups(p, ctx.t, form, &invalid),
        temperature: form.get("temperature_c").to_string(),
        note: form.get("note").to_string(),
        error,
        no_session,
    }
}

pub async fn page_get(State(app): State<Arc<App>>, ctx: Ctx) -> PageResult {
    let (a, id) = me(&ctx)?;
    let no_session = app.store.list_sessions(&a.actor, id).await?.is_empty();
    page(&form_page(&*app.protocol_for(a.clinic()).await?, &ctx, &FormData::default(), None, no_session))
}

/// The form as the API's check-in body, and the symptom code at each `symptoms[i]`.
///
/// Nothing on the form stops a check-in from being sent: a ticked symptom without its severity
/// goes without one (the engine assesses it as severe), and a value the form cannot read is sent
/// as typed, so the one reading of check-ins (`api::check_ins::submit`) decides: a warning sign is
/// answered whatever else is wrong, anything else comes back naming its field.
///
/// A severity or trend chosen for a symptom whose box is not ticked is never dropped: the symptom
/// counts as ticked (the patient said how bad it is), and the answer says so. Returns the body,
/// the symptom code at each `symptoms[i]`, and the codes counted as ticked that way.
fn request(form: &FormData) -> (Value, Vec<String>, Vec<String>) {
    let mut codes: Vec<String> = form.all("symptom").into_iter().map(str::to_string).collect();
    let mut implied = Vec::new();
    for (name, value) in form.pairs() {
        let code = name.strip_prefix("severity.").or_else(|| name.strip_prefix("trend."));
        if let Some(code) = code
            && !value.trim().is_empty()
            && !codes.iter().any(|c| c == code)
        {
            codes.push(code.to_string());
            implied.push(code.to_string());
        }
    }
    let mut symptoms = Vec::new();
    for code in &codes {
        let mut item = json!({ "code": code });
        if let Some(severity) = form.opt(&format!("severity.{code}")) {
            item["severity"] = json!(severity);
        }
        if let Some(trend) = form.opt(&format!("trend.{code}")) {
            item["trend"] = json!(trend);
        }
        symptoms.push(item);
    }
    let mut body = json!({ "symptoms": symptoms });
    let typed = form.get("temperature_c").trim();
    if !typed.is_empty() {
        body["temperature_c"] =
            typed.replace(',', ".").parse::<f64>().map(|t| json!(t)).unwrap_or_else(|_| json!(typed));
    }
    if let Some(note) = form.opt("note") {
        body["note"] = json!(note);
    }
    (body, codes, implied)
}

/// From this many hours after the session the form asks whether each ticked symptom is getting
/// better or worse (the engine assumes "worse" from 48 h when it is not said).
const TREND_ASKED_FROM_HOURS: f64 = 24.0;

/// The first ticked symptom sent without its trend, when the session was `TREND_ASKED_FROM_HOURS`
/// or more ago; `None` when nothing is missing, before then, or when the check-in names a warning
/// sign (a warning sign is never held back by a missing answer: it is sent, and the engine
/// assumes the trend conservatively).
fn trend_missing(p: &Protocol, body: &Value, hours: Option<f64>) -> Option<String> {
    if hours.is_none_or(|h| h < TREND_ASKED_FROM_HOURS) {
        return None;
    }
    let symptoms = body["symptoms"].as_array()?;
    let warning = symptoms.iter().any(|s| {
        s["code"].as_str().and_then(|c| Symptom::parse(c).ok()).is_some_and(|s| p.symptom(s).is_warning_sign())
    }) || body["temperature_c"].as_f64().is_some_and(|t| t >= p.triage.fever_threshold_c);
    if warning {
        return None;
    }
    symptoms
        .iter()
        .find(|s| s.get("trend").is_none() && s["code"].as_str().is_some_and(|c| Symptom::parse(c).is_ok()))
        .and_then(|s| s["code"].as_str().map(str::to_string))
}

/// The form field behind an API field path (`symptoms[1].severity` → `severity.pain`).
fn field_of(path: &str, codes: &[String]) -> String {
    if let Some(rest) = path.strip_prefix("symptoms[") {
        let i: Option<usize> = rest.split(']').next().and_then(|n| n.parse().ok());
        if let Some(code) = i.and_then(|i| codes.get(i)) {
            let part = if path.ends_with(".trend") { "trend" } else { "severity" };
            return format!("{part}.{code}");
        }
    }
    path.to_string()
}

pub async fn page_post(State(app): State<Arc<App>>, ctx: Ctx, Posted(form): Posted) -> PageResult {
    let (a, id) = me(&ctx)?;
    let t = ctx.t;
    let (body, codes, implied) = request(&form);
    {
        let protocol = app.protocol_for(a.clinic()).await?;
        let sessions = app.store.list_sessions(&a.actor, id).await?;
        let hours =
            sessions.first().map(|s| ((chrono::Utc::now() - s.performed_at).num_seconds().max(0)) as f64 / 3600.0);
        if let Some(code) = trend_missing(&protocol, &body, hours) {
            let s = Shown {
                field: format!("trend.{code}"),
                message: t.f("checkins.trend_missing", &[("symptom", t.label("symptom", &code))]),
            };
            return page_with(StatusCode::UNPROCESSABLE_ENTITY, &form_page(&protocol, &ctx, &form, Some(s), false));
        }
    }
    let answer = match submit(&app, &a.actor, id, &body).await {
        Ok(v) => v,
        Err(e) if e.code == "no_session" => {
            return page_with(
                StatusCode::CONFLICT,
                &form_page(&*app.protocol_for(a.clinic()).await?, &ctx, &form, None, true),
            );
        }
        Err(e) => {
            let (_, mut s) = Shown::on_form(e)?;
            s.field = field_of(&s.field, &codes);
            if s.field == "temperature_c" {
                s.message = t.s("check_in.temperature_bad").to_string();
            }
            if let Some(code) = s.field.split('.').nth(1)
                && !s.message.contains(t.label("symptom", code))
            {
                s.message = t.f("common.field_error", &[("field", t.label("symptom", code)), ("detail", &s.message)]);
            }
            return page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form_page(&*app.protocol_for(a.clinic()).await?, &ctx, &form, Some(s), false),
            );
        }
    };
    let patient = app.store.patient(&a.actor, id).await?;
    let clinic = app.store.clinic(a.clinic()).await?;
    let reach = Reach::of(&clinic);
    let zones = (patient.time_zone.tz(), clinic.time_zone.tz());
    let hours = Hours::parse(&clinic.settings.opening_hours).ok();
    let mut o = outcome(&*app.protocol_for(a.clinic()).await?, t, &answer, zones, hours.as_ref(), &reach)?;
    o.implied = implied.iter().map(|c| t.label("symptom", c).to_string()).collect();
    let mut f = ctx.frame(if o.emergency { t.s("check_in.emergency_title") } else { t.s("check_in.answer_title") });
    if o.emergency {
        f.body_class = "emergency";
    }
    page(&AnswerPage { f, o })
}

/// The API's answer to a check-in, in words; `zones` are the patient's (for times in words) and
/// the clinic's (for "today", which is the clinic's day).
fn outcome(
    p: &Protocol,
    t: &Locale,
    v: &Value,
    zones: (Tz, Tz),
    hours: Option<&Hours>,
    reach: &Reach,
) -> Result<Outcome, ApiError> {
    // The disposition was the engine's a moment ago; one that does not read is a fault to show,
    // never a triage to guess (a guess could tell an emergency it is less).
    let disposition = v["disposition"].as_str().and_then(|d| Disposition::parse(d).ok()).ok_or_else(|| {
        tracing::error!(answer = %v["disposition"], "a check-in answer without a readable disposition");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "your check-in was recorded, but its answer cannot be shown; if you feel unwell, call your clinic, \
             or emergency services in an emergency",
        )
    })?;
    let (tz, clinic_tz) = zones;
    let now_utc = chrono::Utc::now();
    let now = now_utc.with_timezone(&tz);
    let list = |key: &str| v["triage"][key].as_array().cloned().unwrap_or_default();
    let deadline = instant_json(&v["alert"]["deadline_at"]);
    let alerted =
        v["alert"].is_object().then(|| deadline.map(|d| when(t, d.with_timezone(&tz), now)).unwrap_or_default());
    let follow_up = match disposition {
        d if v["alert"].is_object() => follow_up(
            d,
            ClinicDay {
                date: now_utc.with_timezone(&clinic_tz).date_naive(),
                open: hours.is_some_and(|h| h.open_at(now_utc, clinic_tz)),
            },
            deadline.map(|x| x.with_timezone(&clinic_tz).date_naive()),
            reach.out_of_hours.is_some(),
        ),
        // Triage asked for the clinic but no alert came back: say no more than "alerted".
        Disposition::SelfCare => FollowUp::None,
        _ => FollowUp::Alerted,
    };
    let label = |code: &str| t.label("symptom", code).to_string();
    let assumed_severe = list("assessments")
        .iter()
        .filter(|a| a["severity_assumed"].as_bool() == Some(true))
        .map(|a| label(a["symptom"].as_str().unwrap_or_default()))
        .collect();
    let assumed_worse = list("assessments")
        .iter()
        .filter(|a| a["trend_assumed"].as_bool() == Some(true))
        .map(|a| label(a["symptom"].as_str().unwrap_or_default()))
        .collect();
    let unread = v["unread"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|u| {
                    let field = u["field"].as_str().unwrap_or_default();
                    let what = unread_field(t, field);
                    t.f(
                        "check_in.unread_item",
                        &[("field", &what), ("detail", u["detail"].as_str().unwrap_or_default())],
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Outcome {
        implied: Vec::new(),
        assumed_severe,
        assumed_worse,
        unread,
        follow_up,
        urgent: disposition == Disposition::UrgentSameDay,
        emergency_phones: Reach::emergency_phones(Some(reach)),
        emergency_sentence: Reach::emergency_sentence(Some(reach), t),
        emergency: disposition == Disposition::Emergency,
        badge: view::disposition(t, disposition),
        emergency_if: v["triage"]["emergency_if"].is_object().then(|| said_json(p, &v["triage"]["emergency_if"])),
        advice: list("advice").iter().map(|s| said_json(p, s)).collect(),
        about: list("assessments")
            .iter()
            .map(|s| (t.label("symptom", s["symptom"].as_str().unwrap_or_default()).to_string(), said_json(p, s)))
            .collect(),
        alerted,
    })
}

/// A field left out of a check-in, in words: `temperature_c` → "Your temperature …".
fn unread_field(t: &Locale, field: &str) -> String {
    match field {
        "temperature_c" => t.s("check_in.temperature").to_string(),
        "note" => t.s("check_in.note").to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reach() -> Reach {
        Reach {
            clinic: "Clinic".into(),
            phone: None,
            out_of_hours: None,
            email: None,
            address_lines: Vec::new(),
            emergency: Vec::new(),
        }
    }

    /// Regression (issue 13 item 4): the answer page read the disposition with
    /// `unwrap_or("contact_clinic")`, so an answer it could not read was shown as "contact the
    /// clinic" — possibly an emergency told less. It is now a fault that tells the patient to call.
    #[test]
    fn an_answer_without_a_readable_disposition_is_never_shown_as_contact_clinic() {
        let p = Protocol::builtin().unwrap();
        let t = crate::pages::i18n::default_locale();
        let zones = (chrono_tz::UTC, chrono_tz::UTC);
        for bad in [json!({}), json!({ "disposition": "catastrophic" })] {
            let Err(e) = outcome(&p, t, &bad, zones, None, &reach()) else { panic!("{bad} was shown") };
            assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
            assert!(e.detail.contains("emergency services"), "{}", e.detail);
        }
        let o = outcome(&p, t, &json!({ "disposition": "emergency" }), zones, None, &reach()).unwrap();
        assert!(o.emergency && !o.urgent);
    }

    #[test]
    fn a_ticked_symptom_without_its_severity_is_sent_without_one() {
        let f = FormData::parse(b"symptom=redness&severity.redness=mild&symptom=lip_tongue_swelling").unwrap();
        let (body, codes, implied) = request(&f);
        assert_eq!(body["symptoms"][1], json!({ "code": "lip_tongue_swelling" }));
        assert_eq!(codes, ["redness", "lip_tongue_swelling"]);
        assert!(implied.is_empty());
    }

    #[test]
    fn a_severity_chosen_without_its_box_is_not_dropped() {
        let f = FormData::parse(b"severity.pain=severe&trend.swelling=worse&symptom=redness").unwrap();
        let (body, codes, implied) = request(&f);
        assert_eq!(codes, ["redness", "pain", "swelling"]);
        assert_eq!(implied, ["pain", "swelling"]);
        assert_eq!(body["symptoms"][1], json!({ "code": "pain", "severity": "severe" }));
        assert_eq!(body["symptoms"][2], json!({ "code": "swelling", "trend": "worse" }));
    }

    #[test]
    fn the_trend_is_asked_from_24_hours_but_never_holds_back_a_warning_sign() {
        let p = Protocol::builtin().unwrap();
        let body = |f: &[u8]| request(&FormData::parse(f).unwrap()).0;
        let no_trend =
            body(b"symptom=redness&severity.redness=mild&trend.redness=same&symptom=pain&severity.pain=mild");
        assert_eq!(trend_missing(&p, &no_trend, Some(30.0)).as_deref(), Some("pain"));
        assert_eq!(trend_missing(&p, &no_trend, Some(23.9)), None, "not asked on the first day");
        assert_eq!(trend_missing(&p, &no_trend, None), None, "no session on record");
        let with_flag = body(b"symptom=pain&severity.pain=mild&symptom=pus");
        assert_eq!(trend_missing(&p, &with_flag, Some(60.0)), None, "a warning sign goes through");
        let fever = body(b"symptom=pain&severity.pain=mild&temperature_c=38.4");
        assert_eq!(trend_missing(&p, &fever, Some(60.0)), None, "a measured fever goes through");
        let all = body(b"symptom=pain&severity.pain=mild&trend.pain=worse");
        assert_eq!(trend_missing(&p, &all, Some(60.0)), None);
    }

    #[test]
    fn the_form_becomes_the_api_check_in() {
        let f = FormData::parse(b"symptom=redness&severity.redness=mild&trend.redness=improving&temperature_c=37,5")
            .unwrap();
        let (r, codes, _) = request(&f);
        assert_eq!(r["symptoms"], json!([{ "code": "redness", "severity": "mild", "trend": "improving" }]));
        assert_eq!(r["temperature_c"], json!(37.5));
        assert_eq!(field_of("symptoms[0].severity", &codes), "severity.redness");
        let hot = FormData::parse(b"temperature_c=hot").unwrap();
        assert_eq!(request(&hot).0["temperature_c"], json!("hot"), "sent as typed, for the check-in to name");
    }
}
