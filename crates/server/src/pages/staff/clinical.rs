//! The clinical forms of a patient's page: screening, series plan and session (practitioners
//! and admins, as in the API). Each builds the contract's request from the form and calls the
//! API's own use case (`clinic::{screening, plans, sessions}`), so the form
//! and the API decide alike, by the clinic's protocol.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use needlepath_core::protocol::Protocol;
use needlepath_core::vocabulary::{Concern, Finding, ScarType};
use needlepath_store::{Blocker, Patient, PatientFinding, PatientId, StoreError};
use serde_json::{Value, json};

use crate::App;
use crate::api::id;
use crate::auth::Authed;
use crate::clinic::ClinicError;
use crate::clinic::plans::plan_patient;
use crate::clinic::screening::{clinic_today, screen_patient};
use crate::clinic::sessions::{NewSessionRequest, record};
use crate::i18n::Locale;
use crate::pages::form::{FormData, Posted};
use crate::pages::staff::gates::{BlockerView, blocker_view, blockers_now};
use crate::pages::staff::session_fields::{self, DepthBox};
use crate::pages::staff::{Choice, choices, clinic_zone};
use crate::pages::{Ctx, Frame, PageError, PageResult, Shown, page, page_with, see_other};
use crate::policy::Caller;
use crate::problem::{ApiError, ApiResult};

async fn patient_of(app: &App, a: &Authed, raw: &str) -> Result<Patient, PageError> {
    let patient_id: PatientId = id(raw, "patient")?;
    Ok(crate::clinic::screening::patient(app, &a.actor, patient_id).await?)
}

fn concern_choices(t: &Locale, current: &str, blank: Option<&str>) -> Vec<Choice> {
    choices(blank, Concern::CODES.iter().map(|c| (c.to_string(), t.label("concern", c).to_string())), current)
}

fn grade_choices(t: &Locale, current: &str) -> Vec<Choice> {
    let items = (1..=4).map(|n| (n.to_string(), t.f("record.scar_grade_n", &[("n", &n.to_string())])));
    choices(Some(t.s("patients.not_known")), items, current)
}

// ---- Screening ---------------------------------------------------------------------------

/// One finding's checkbox, with its date for timed findings (the screening form and the
/// record's editor).
#[derive(Debug, Clone)]
pub(super) struct FindingRow {
    pub code: &'static str,
    pub label: String,
    pub checked: bool,
    pub timed: bool,
    pub date_label: String,
    /// The date input's name, `last_<code>` (the field an error names).
    pub date_field: String,
    pub date: String,
}

/// The record's findings as form fields: each ticked, with its date (`last_<code>`).
pub(super) fn finding_pairs(findings: &[PatientFinding]) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for f in findings {
        pairs.push(("finding".into(), f.code.clone()));
        if let Some(d) = f.last {
            pairs.push((format!("last_{}", f.code), d.to_string()));
        }
    }
    pairs
}

/// The ticked findings of a form, each with its date when one is given (a bad date names its
/// field).
pub(super) fn findings_of_form(form: &FormData) -> ApiResult<Vec<PatientFinding>> {
    form.all("finding")
        .into_iter()
        .map(|code| {
            let last = form.parsed::<NaiveDate>(&format!("last_{code}"), "a date such as 2026-11-18")?;
            Ok(PatientFinding { code: code.to_string(), last })
        })
        .collect()
}

/// Every finding as a checkbox row, ticked and dated as `form` says.
pub(super) fn finding_rows(t: &Locale, form: &FormData) -> Vec<FindingRow> {
    Finding::ALL
        .iter()
        .map(|f| {
            let code = f.as_str();
            FindingRow {
                code,
                label: t.label("finding", code).to_string(),
                checked: form.has("finding", code),
                timed: f.is_timed(),
                date_label: t.label("finding_date", code).to_string(),
                date_field: format!("last_{code}"),
                date: form.get(&format!("last_{code}")).to_string(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "staff/screening.html")]
struct ScreeningPage {
    f: Frame,
    p: Patient,
    error: Option<Shown>,
    concerns: Vec<Choice>,
    scar_types: Vec<Choice>,
    grades: Vec<Choice>,
    skin_types: Vec<Choice>,
    findings: Vec<FindingRow>,
}

fn screening_page(ctx: &Ctx, p: Patient, form: &FormData, error: Option<Shown>) -> ScreeningPage {
    let t = ctx.t;
    let findings = finding_rows(t, form);
    let skin = (1..=6).map(|n| (n.to_string(), t.f("patients.skin_type_n", &[("n", &n.to_string())])));
    ScreeningPage {
        f: ctx.frame(t.f("screen_form.title", &[("name", &p.name)])),
        error,
        concerns: concern_choices(t, form.get("concern"), None),
        scar_types: choices(
            Some(t.s("patients.not_known")),
            ScarType::CODES.iter().map(|c| (c.to_string(), t.label("scar_type", c).to_string())),
            form.get("scar_type"),
        ),
        grades: grade_choices(t, form.get("scar_grade")),
        skin_types: choices(Some(t.s("patients.not_known")), skin, form.get("fitzpatrick")),
        findings,
        p,
    }
}

pub async fn screening_form(State(app): State<Arc<App>>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let a = ctx.authed()?;
    let p = patient_of(&app, a, &raw).await?;
    // The record's findings and skin type, ticked already.
    let mut pairs = vec![("concern".to_string(), "acne_scars".to_string())];
    if let Some(n) = p.fitzpatrick {
        pairs.push(("fitzpatrick".into(), n.to_string()));
    }
    pairs.extend(finding_pairs(&p.findings));
    page(&screening_page(&ctx, p, &FormData::from_pairs(pairs), None))
}

/// The contract's screening request from the form.
pub(crate) fn screening_body(form: &FormData, t: &Locale) -> ApiResult<Value> {
    form.refuse_unticked_finding_dates(t, |code| format!("last_{code}"))?;
    let mut body = json!({ "concern": form.get("concern") });
    if let Some(s) = form.opt("scar_type") {
        body["scar_type"] = json!(s);
    }
    if let Some(g) = form.parsed::<u8>("scar_grade", "a grade from 1 to 4")? {
        body["scar_grade"] = json!(g);
    }
    if let Some(f) = form.parsed::<u8>("fitzpatrick", "a skin type from 1 to 6")? {
        body["fitzpatrick"] = json!(f);
    }
    let findings = findings_of_form(form)?
        .into_iter()
        .map(|f| match f.last {
            Some(d) => json!({ "code": f.code, "last": d }),
            None => json!(f.code),
        })
        .collect();
    body["findings"] = Value::Array(findings);
    Ok(body)
}

pub async fn screening_submit(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let p = patient_of(&app, a, &raw).await?;
    let r = match screening_body(&form, ctx.t) {
        Ok(body) => screen_patient(&app, &a.actor, p.id, body).await.map(|_| ()).map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => Ok(see_other(&format!("/staff/patients/{}#screenings", p.id))),
        Err(e) => {
            let (status, shown) = Shown::on_form(e)?;
            page_with(status, &screening_page(&ctx, p, &form, Some(shown)))
        }
    }
}

// ---- Plan --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/plan.html")]
struct PlanPage {
    f: Frame,
    p: Patient,
    form: FormData,
    error: Option<Shown>,
    concerns: Vec<Choice>,
    grades: Vec<Choice>,
}

fn plan_page(ctx: &Ctx, p: Patient, form: FormData, error: Option<Shown>) -> PlanPage {
    let t = ctx.t;
    PlanPage {
        f: ctx.frame(t.f("plan_form.title", &[("name", &p.name)])),
        concerns: concern_choices(t, form.get("concern"), None),
        grades: grade_choices(t, form.get("scar_grade")),
        form,
        error,
        p,
    }
}

pub async fn plan_form(State(app): State<Arc<App>>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let a = ctx.authed()?;
    let p = patient_of(&app, a, &raw).await?;
    let today = clinic_today(&app, &a.actor).await?;
    let form = FormData::from_pairs(vec![("concern".into(), "acne_scars".into()), ("start".into(), today.to_string())]);
    page(&plan_page(&ctx, p, form, None))
}

pub(crate) fn plan_body(form: &FormData) -> ApiResult<Value> {
    let start = form.required::<NaiveDate>("start", "a date such as 2027-01-04")?;
    let mut body = json!({ "concern": form.get("concern"), "start": start });
    if let Some(g) = form.parsed::<u8>("scar_grade", "a grade from 1 to 4")? {
        body["scar_grade"] = json!(g);
    }
    if let Some(n) = form.parsed::<u32>("sessions", "a number of sessions from 1 to 20")? {
        body["sessions"] = json!(n);
    }
    if let Some(w) = form.parsed::<u32>("interval_weeks", "a number of weeks from 1 to 26")? {
        body["interval_weeks"] = json!(w);
    }
    Ok(body)
}

pub async fn plan_submit(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let p = patient_of(&app, a, &raw).await?;
    let r = match plan_body(&form) {
        Ok(body) => plan_patient(&app, &a.actor, p.id, body).await.map(|_| ()).map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => Ok(see_other(&format!("/staff/patients/{}#plans", p.id))),
        Err(e) => {
            let (status, shown) = Shown::on_form(e)?;
            page_with(status, &plan_page(&ctx, p, form, Some(shown)))
        }
    }
}

// ---- Session -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/session.html")]
struct SessionPage {
    f: Frame,
    p: Patient,
    form: FormData,
    error: Option<Shown>,
    /// One depth input per treatment area of the protocol.
    depths: Vec<DepthBox>,
    /// The numbing creams of the protocol, "None" first.
    agents: Vec<Choice>,
    numbing_hint: String,
    zone: String,
    /// What blocks a session now, in words, each with whether it may be overridden.
    blockers: Vec<BlockerView>,
    /// Whether to offer the override (a practitioner, and every blocker overridable).
    can_override: bool,
    /// Some blocker is not overridable: only a new screening or the review clears it.
    any_absolute: bool,
}

fn session_page(
    ctx: &Ctx,
    protocol: &Protocol,
    p: Patient,
    form: FormData,
    error: Option<Shown>,
    blockers: Vec<BlockerView>,
    zone: String,
) -> SessionPage {
    let t = ctx.t;
    let practitioner = ctx.authed().is_ok_and(Authed::may_override_session_gates);
    let any_absolute = blockers.iter().any(|b| !b.overridable);
    SessionPage {
        f: ctx.frame(t.f("session_form.title", &[("name", &p.name)])),
        depths: session_fields::depth_boxes(t, protocol, &form),
        agents: session_fields::agent_choices(t, protocol, &form),
        numbing_hint: session_fields::numbing_hint(t, protocol),
        can_override: practitioner && !blockers.is_empty() && !any_absolute,
        any_absolute,
        form,
        error,
        zone,
        blockers,
        p,
    }
}

pub async fn session_form(State(app): State<Arc<App>>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let a = ctx.authed()?;
    let p = patient_of(&app, a, &raw).await?;
    let (clinic, tz) = clinic_zone(&app, a).await?;
    let now = app.now();
    let local_now = now.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string();
    // Numbing cream is removed before needling unless staff say otherwise.
    let form = FormData::from_pairs(vec![
        ("performed_at".into(), local_now),
        ("needle_depth_mm".into(), String::new()),
        ("numbing_removed".into(), "yes".into()),
    ]);
    let blockers = blockers_now(&app, a, ctx.t, p.id, now, tz).await?;
    let protocol = app.protocol_for(a.clinic()).await?;
    page(&session_page(&ctx, &protocol, p, form, None, blockers, clinic.time_zone.to_string()))
}

/// The API's session request from the form; the time is read in the clinic's zone.
pub(crate) fn session_request(
    t: &Locale,
    protocol: &Protocol,
    form: &FormData,
    tz: chrono_tz::Tz,
) -> ApiResult<NewSessionRequest> {
    let performed_at = match form.opt("performed_at") {
        None => None,
        Some(v) => {
            let local = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
                .map_err(|_| {
                    ApiError::invalid("performed_at", format!("`{v}` is not a date and time such as 2026-11-21T10:30"))
                })?;
            let at = tz.from_local_datetime(&local).earliest().ok_or_else(|| {
                ApiError::invalid(
                    "performed_at",
                    format!("{v} does not exist in {} (the clocks changed); give another time", tz.name()),
                )
            })?;
            Some(at.fixed_offset())
        }
    };
    let depths = session_fields::depths(protocol, form)?;
    // The areas: those given a depth, any ticked by name (older forms), and the others typed in.
    let mut areas: Vec<String> = depths.iter().map(|d| d.area.clone()).collect();
    areas.extend(form.all("area").into_iter().map(str::to_string));
    areas.extend(
        form.opt("area_other")
            .into_iter()
            .flat_map(|o| o.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    );
    if areas.is_empty() {
        return Err(ApiError::invalid("areas", t.s("session_depth.areas_required")));
    }
    // Asked before every session (issue 12 item 9): no answer, no session.
    let cold_sore_now = match form.get("cold_sore_now") {
        "yes" => true,
        "no" => false,
        _ => {
            return Err(ApiError::invalid("cold_sore_now", t.s("before_session.cold_sore_now_required")));
        }
    };
    let depth = form.get("needle_depth_mm").trim().replace(',', ".");
    let needle_depth_mm = if depth.is_empty() {
        if depths.is_empty() {
            return Err(ApiError::invalid("needle_depth_mm", t.s("session_depth.deepest_required")));
        }
        None
    } else {
        Some(depth.parse::<f64>().map_err(|_| {
            ApiError::invalid("needle_depth_mm", format!("`{depth}` is not a depth in millimetres, such as 1.0"))
        })?)
    };
    Ok(NewSessionRequest {
        performed_at,
        device: form.get("device").to_string(),
        needle_depth_mm,
        depths,
        areas,
        products: form
            .get("products")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        numbing: Some(session_fields::numbing(t, form)?),
        numbing_note: form.opt("numbing_note").map(str::to_string),
        notes: form.opt("notes").map(str::to_string),
        plan_id: None,
        appointment_id: None,
        practitioner_id: None,
        override_reason: form.opt("override_reason").map(str::to_string),
        override_blockers: form.all("override_blocker").into_iter().map(str::to_string).collect(),
        cold_sore_now: Some(cold_sore_now),
    })
}

pub async fn session_submit(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let p = patient_of(&app, a, &raw).await?;
    let (clinic, tz) = clinic_zone(&app, a).await?;
    let protocol = app.protocol_for(a.clinic()).await?;
    // Which area each per-area depth came from, to put an error about it next to its input.
    let given = session_fields::depths(&protocol, &form).unwrap_or_default();
    // The stale-screening and cold-sore checks run with the store's gates in the session's
    // transaction (clinic::sessions::record); their blockers come back typed with the refusal and
    // are said here in words like the gates' own (which the page reads again below).
    let mut stale: Vec<BlockerView> = Vec::new();
    let (r, at) = match session_request(ctx.t, &protocol, &form, tz) {
        Ok(req) => {
            let at = req.performed_at.map_or_else(|| app.now(), |t| t.with_timezone(&Utc));
            let r = match record(&app, &a.actor, p.id, req).await {
                Ok(_) => Ok(()),
                Err(e) => {
                    if let ClinicError::Store(StoreError::SessionBlocked(blockers)) = &e {
                        stale = blockers
                            .iter()
                            .filter(|b| matches!(b, Blocker::StaleScreening { .. } | Blocker::ActiveColdSore))
                            .map(|b| blocker_view(ctx.t, b, tz))
                            .collect();
                    }
                    Err(ApiError::from(e))
                }
            };
            (r, at)
        }
        Err(e) => (Err(e), app.now()),
    };
    match r {
        Ok(()) => Ok(see_other(&format!("/staff/patients/{}#sessions", p.id))),
        Err(e) => {
            let blocked = e.code == "session_blocked";
            let (status, mut shown) = Shown::on_form(e)?;
            if let Some(field) = session_fields::form_field(&shown.field, &given) {
                shown.field = field;
            }
            let shown = if blocked {
                Shown { field: String::new(), message: ctx.t.s("session_form.blocked").to_string() }
            } else {
                shown
            };
            let mut blockers = blockers_now(&app, a, ctx.t, p.id, at, tz).await?;
            blockers.extend(stale);
            page_with(
                status,
                &session_page(&ctx, &protocol, p, form, Some(shown), blockers, clinic.time_zone.to_string()),
            )
        }
    }
}
