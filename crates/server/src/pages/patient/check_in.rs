//! The check-in: every symptom as a checkbox in plain words, grouped (expected after a session,
//! concerning, emergency signs), each with its severity and trend; temperature and a note. The
//! post calls `clinic::check_ins::submit` (triage, record and alert in one transaction, exactly as
//! `POST /api/v1/me/check-ins`) and answers on the same response. An emergency answer turns
//! the page into the emergency banner before anything else. Works with JavaScript off.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use chrono_tz::Tz;
use needlepath_core::protocol::{Base, Protocol, Statement};
use needlepath_core::reach::{ClinicDay, FollowUp, follow_up};
use needlepath_core::vocabulary::{Disposition, Symptom};
use serde_json::{Value, json};

use crate::App;
use crate::clinic::ClinicError;
use crate::clinic::check_ins::{self, CheckInInput, CheckInOutcome};
use crate::i18n::Locale;
use crate::pages::form::{FormData, Posted};
use crate::pages::patient::me;
use crate::pages::public::{Choice, Said};
use crate::pages::view::{self, Badge, when};
use crate::pages::{Ctx, Frame, PageResult, Shown, page, page_with};
use crate::reach::{Phone, Reach};
use needlepath_core::pathway::booking::OpeningHours;

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
    /// The check-in just sent, for the photo form (issue 15).
    check_in_id: String,
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
    let no_session = !crate::clinic::check_ins::has_session(&app, &a.actor, id).await?;
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
pub(crate) fn request(form: &FormData) -> (Value, Vec<String>, Vec<String>) {
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
        // `nan` and `inf` parse as numbers that JSON cannot hold (they would become null, which
        // reads as "no temperature"): they are sent as typed, like any other word.
        body["temperature_c"] = typed
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|t| t.is_finite())
            .map_or_else(|| json!(typed), |t| json!(t));
    }
    if let Some(note) = form.opt("note") {
        body["note"] = json!(note);
    }
    (body, codes, implied)
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
    let input = CheckInInput { body, trend_required: true };
    let o = match check_ins::submit(&app, &a.actor, id, &input).await {
        Ok(o) => o,
        Err(ClinicError::TrendMissing(code)) => {
            let s = Shown {
                field: format!("trend.{code}"),
                message: t.f("checkins.trend_missing", &[("symptom", t.label("symptom", &code))]),
            };
            return page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form_page(&*app.protocol_for(a.clinic()).await?, &ctx, &form, Some(s), false),
            );
        }
        Err(ClinicError::NoSession) => {
            return page_with(
                StatusCode::CONFLICT,
                &form_page(&*app.protocol_for(a.clinic()).await?, &ctx, &form, None, true),
            );
        }
        Err(e) => {
            let (_, mut s) = Shown::on_form(e.into())?;
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
    let reach = Reach::of(&o.clinic);
    let zones = (o.patient.time_zone.tz(), o.clinic.time_zone.tz());
    let hours = o.clinic.settings.opening_hours.parsed().ok();
    let mut answer = outcome(t, &o, zones, hours.as_ref(), &reach);
    answer.implied = implied.iter().map(|c| t.label("symptom", c).to_string()).collect();
    let mut f =
        ctx.frame(if answer.emergency { t.s("check_in.emergency_title") } else { t.s("check_in.answer_title") });
    if answer.emergency {
        f.body_class = "emergency";
    }
    page(&AnswerPage { f, o: answer, check_in_id: o.check_in.id.to_string() })
}

/// A statement of the protocol as the page says it, with its points and numbered sources.
fn said(p: &Protocol, s: &Statement) -> Said {
    Said { message: s.message.clone(), points: s.points.clone(), sources: view::sources(p, &s.sources) }
}

/// A check-in's outcome in words; `zones` are the patient's (for times in words) and the clinic's
/// (for "today", which is the clinic's day).
fn outcome(t: &Locale, o: &CheckInOutcome, zones: (Tz, Tz), hours: Option<&OpeningHours>, reach: &Reach) -> Outcome {
    let p = &*o.protocol;
    let triage = o.triage();
    let disposition = o.disposition;
    let (tz, clinic_tz) = zones;
    let now_utc = o.now;
    let now = now_utc.with_timezone(&tz);
    let deadline = o.alert.as_ref().map(|a| a.deadline_at);
    let alerted = o.alert.as_ref().map(|a| when(t, a.deadline_at.with_timezone(&tz), now));
    let follow_up = match disposition {
        d if o.alert.is_some() => follow_up(
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
    let label = |code: Symptom| t.label("symptom", code.as_str()).to_string();
    let assumed_severe = triage.assessments.iter().filter(|a| a.severity_assumed).map(|a| label(a.symptom)).collect();
    let assumed_worse = triage.assessments.iter().filter(|a| a.trend_assumed).map(|a| label(a.symptom)).collect();
    let unread = o
        .unread
        .iter()
        .map(|u| t.f("check_in.unread_item", &[("field", &unread_field(t, &u.field)), ("detail", &u.message)]))
        .collect();
    Outcome {
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
        emergency_if: triage.emergency_if.map(|s| said(p, s)),
        advice: triage.advice.iter().map(|s| said(p, s)).collect(),
        about: triage
            .assessments
            .iter()
            .map(|a| {
                (
                    label(a.symptom),
                    Said { message: a.message.to_string(), points: Vec::new(), sources: view::sources(p, a.sources) },
                )
            })
            .collect(),
        alerted,
    }
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
    use crate::clinic::check_ins::trend_missing;

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

    /// Regression (found by the `form_bodies` fuzz target): `nan`, `inf` and `infinity` parse as
    /// an `f64`, and JSON has no such number, so the temperature became `null` — which the
    /// check-in reads as "no temperature given" — and a patient's typed value vanished. It is
    /// now sent as typed, and the check-in names the field.
    #[test]
    fn a_temperature_that_is_not_a_finite_number_is_not_dropped() {
        for typed in ["nan", "NaN", "inf", "-inf", "infinity", "+Infinity", "1e999"] {
            let f =
                FormData::from_pairs(vec![("symptom".into(), "pain".into()), ("temperature_c".into(), typed.into())]);
            let (body, _, _) = request(&f);
            assert_eq!(body["temperature_c"], json!(typed), "{typed}");
            let mut with_hours = body.clone();
            with_hours["hours_since_treatment"] = json!(30);
            let e = needlepath_core::request::CheckIn::from_json(&with_hours).unwrap_err();
            assert_eq!(e.field, "temperature_c", "{typed}");
        }
    }
}
