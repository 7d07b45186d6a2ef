//! Screenings, series plans and sessions: the engine decides, the store keeps the decision
//! with the protocol version it was made under.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Datelike as _, Duration, FixedOffset, NaiveDate, Utc};
use needlepath_core::plan::RecordedScreening;
use needlepath_core::protocol::Protocol;
use needlepath_core::request::{FindingEntry, PlanRequest, ScreeningRequest};
use needlepath_core::session::{self as session_limits, AreaDepth, Numbing};
use needlepath_core::vocabulary::Finding;
use needlepath_core::{findings, plan as engine_plan, screening};
use needlepath_store::{
    AppointmentId, Blocker, CheckIn, NewPlan, NewScreening, NewSession, Patient, PatientFinding, PatientId, Plan,
    PlanId, ReviewDecision, Role, Screening, ScreeningId, Session, StaffId,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::App;
use crate::api::{created, id, input, known_patient, opt_text, text};
use crate::auth::Authed;
use crate::body::{Body, RawBody};
use crate::problem::{ApiError, ApiResult};
use crate::reminders;
use crate::schedule::{check_in_times, next_window};

/// The protocol's id and version, as a stored decision names it.
pub(crate) fn protocol_version(p: &Protocol) -> String {
    let id = p.identity();
    format!("{}@{}", id.id, id.version)
}

/// Today in the clinic's zone: screenings count their windows from the clinic's day.
pub(crate) async fn clinic_today(app: &App, a: &Authed) -> ApiResult<NaiveDate> {
    let clinic = app.store.clinic(a.clinic()).await?;
    let tz = clinic.time_zone.tz();
    Ok(Utc::now().with_timezone(&tz).date_naive())
}

fn findings_json(p: &Patient) -> Value {
    serde_json::to_value(&p.findings).unwrap_or(Value::Array(vec![]))
}

fn age_on(birth: NaiveDate, day: NaiveDate) -> Option<u32> {
    let mut years = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// A request body completed from the patient's record where it is silent.
fn with_patient_defaults(mut body: Value, p: &Patient, today: NaiveDate, age: bool) -> ApiResult<Value> {
    let obj = body.as_object_mut().ok_or_else(|| ApiError::invalid("(request)", "the body must be a JSON object"))?;
    if !obj.contains_key("findings") {
        obj.insert("findings".into(), findings_json(p));
    }
    if !obj.contains_key("fitzpatrick")
        && let Some(f) = p.fitzpatrick
    {
        obj.insert("fitzpatrick".into(), json!(f));
    }
    if age
        && !obj.contains_key("age_years")
        && let Some(a) = p.birth_date.and_then(|b| age_on(b, today))
    {
        obj.insert("age_years".into(), json!(a));
    }
    Ok(body)
}

pub async fn list_screenings(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
) -> ApiResult<Json<Value>> {
    let patient = known_patient(&app, &a, &raw).await?;
    Ok(Json(json!({ "screenings": app.store.list_screenings(&a.actor, patient).await? })))
}

/// Screens a patient by the clinic's protocol and records the result (the API and the
/// screening page call this). `body` is the contract's screening request; where it is silent,
/// the patient's record fills in findings, skin type and age.
pub async fn screen_patient(app: &App, a: &Authed, patient_id: PatientId, body: Value) -> ApiResult<Screening> {
    let patient = app.store.patient(&a.actor, patient_id).await?;
    let today = clinic_today(app, a).await?;
    let body = with_patient_defaults(body, &patient, today, true)?;
    let req = ScreeningRequest::from_json(&body, today).map_err(input)?;
    let protocol = app.protocol_for(a.clinic()).await?;
    let screened = screening::screen(&protocol, &req);
    // The decision and deferral are kept typed beside the result: read from the engine's own
    // answer, never re-read (or defaulted) from its JSON.
    let (decision, defer_until) = (screened.decision, screened.defer_until);
    let result = serde_json::to_value(&screened).map_err(|_| ApiError::internal())?;
    let findings_on_record = Some(record_after_screening(&patient.findings, &req.findings));
    Ok(app
        .store
        .add_screening(
            &a.actor,
            NewScreening {
                patient: patient_id,
                request: body,
                result,
                decision,
                defer_until,
                protocol_version: protocol_version(&protocol),
                findings_on_record,
            },
        )
        .await?)
}

/// The record's findings after a screening reported `screened`, by core's rule
/// (`needlepath_core::findings::merge`: a screened finding replaces its older entry, findings
/// not reported stay). An entry whose code this version's vocabulary does not know is kept as
/// it is, never dropped.
fn record_after_screening(record: &[PatientFinding], screened: &[FindingEntry]) -> Vec<PatientFinding> {
    let mut known = Vec::with_capacity(record.len());
    let mut unknown = Vec::new();
    for f in record {
        match Finding::parse(&f.code) {
            Ok(finding) => known.push(FindingEntry { finding, last: f.last }),
            Err(_) => unknown.push(f.clone()),
        }
    }
    let mut out: Vec<PatientFinding> = findings::merge(&known, screened)
        .into_iter()
        .map(|e| PatientFinding { code: e.finding.as_str().to_string(), last: e.last })
        .collect();
    out.extend(unknown);
    out
}

pub async fn screen(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let patient_id: PatientId = id(&raw, "patient")?;
    Ok(created(screen_patient(&app, &a, patient_id, body).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `cleared` or `not_cleared`.
    pub decision: String,
    pub note: Option<String>,
}

/// Parses a review decision, naming the field and what is accepted.
pub(crate) fn review_decision(field: &str, raw: &str) -> ApiResult<ReviewDecision> {
    ReviewDecision::parse(raw.trim()).ok_or_else(|| {
        ApiError::invalid(
            field,
            format!("`{raw}` is not a review decision; accepted: {}", ReviewDecision::CODES.join(", ")),
        )
    })
}

pub async fn review(
    State(app): State<Arc<App>>,
    a: Authed,
    Path((raw, raw_screening)): Path<(String, String)>,
    Body(r): Body<ReviewRequest>,
) -> ApiResult<Json<Screening>> {
    let patient: PatientId = id(&raw, "patient")?;
    let screening: ScreeningId = id(&raw_screening, "screening")?;
    let decision = review_decision("decision", &r.decision)?;
    let note = opt_text("note", r.note.as_deref(), 4000)?;
    Ok(Json(app.store.review_screening(&a.actor, patient, screening, decision, note).await?))
}

pub async fn list_plans(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<Value>> {
    let patient = known_patient(&app, &a, &raw).await?;
    Ok(Json(json!({ "plans": app.store.list_plans(&a.actor, patient).await? })))
}

/// Plans a series by the clinic's protocol and records it (the API and the plan page call
/// this). `body` is the contract's plan request; the clinic's price and currency fill in.
pub async fn plan_patient(app: &App, a: &Authed, patient_id: PatientId, body: Value) -> ApiResult<Plan> {
    let patient = app.store.patient(&a.actor, patient_id).await?;
    let clinic = app.store.clinic(a.clinic()).await?;
    let mut body = with_patient_defaults(body, &patient, Utc::now().date_naive(), false)?;
    if let Some(obj) = body.as_object_mut() {
        if !obj.contains_key("price_per_session")
            && let Some(p) = clinic.settings.price_per_session
        {
            obj.insert("price_per_session".into(), json!(p));
        }
        if !obj.contains_key("currency") {
            obj.insert("currency".into(), json!(clinic.settings.currency));
        }
    }
    let req = PlanRequest::from_json(&body).map_err(input)?;
    let protocol = app.protocol_for(a.clinic()).await?;
    let tz = clinic.time_zone.tz();
    let screenings = app.store.list_screenings(&a.actor, patient_id).await?;
    let latest = screenings.first().map(|s| recorded_screening(s, tz));
    let result = engine_plan::plan_for_patient(&protocol, &req, latest.as_ref());
    let result = serde_json::to_value(&result).map_err(|_| ApiError::internal())?;
    Ok(app.store.add_plan(&a.actor, NewPlan { patient: patient_id, request: body, result }).await?)
}

pub async fn plan(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let patient_id: PatientId = id(&raw, "patient")?;
    Ok(created(plan_patient(&app, &a, patient_id, body).await?))
}

/// A stored screening as the engine reads it: the day it was recorded in the clinic's zone, its
/// decision, its deferral, review and reasons.
pub(crate) fn recorded_screening(s: &Screening, tz: chrono_tz::Tz) -> RecordedScreening {
    RecordedScreening {
        on: s.created_at.with_timezone(&tz).date_naive(),
        decision: s.decision,
        defer_until: s.defer_until,
        clinician_review_required: s.result["clinician_review_required"].as_bool().unwrap_or(false),
        reasons: s.result["reasons"]
            .as_array()
            .map(|rs| rs.iter().filter_map(|r| r["code"].as_str().map(str::to_string)).collect())
            .unwrap_or_default(),
    }
}

pub async fn list_sessions(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<Value>> {
    let patient = known_patient(&app, &a, &raw).await?;
    Ok(Json(json!({ "sessions": app.store.list_sessions(&a.actor, patient).await? })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSessionRequest {
    /// RFC 3339 with offset; default now.
    pub performed_at: Option<DateTime<FixedOffset>>,
    pub device: String,
    /// The deepest needle depth; derived from `depths` when left out (both given: they agree).
    pub needle_depth_mm: Option<f64>,
    /// The needle depth per treatment area (an area code of the protocol's `[depth]`).
    #[serde(default)]
    pub depths: Vec<AreaDepth>,
    /// Free-text areas; default: the areas of `depths`.
    #[serde(default)]
    pub areas: Vec<String>,
    #[serde(default)]
    pub products: Vec<String>,
    /// `{agent, area_cm2, minutes, occluded, removed}`, or null: no numbing cream.
    pub numbing: Option<Value>,
    /// Free text about the numbing cream, beside the structured `numbing`.
    pub numbing_note: Option<String>,
    pub notes: Option<String>,
    pub plan_id: Option<PlanId>,
    /// The booked appointment this session fulfils; default: one booked within 12 hours.
    pub appointment_id: Option<AppointmentId>,
    pub practitioner_id: Option<StaffId>,
    /// Why it is safe to record the session over its blockers (at least a sentence).
    pub override_reason: Option<String>,
    /// The keys of the blockers overridden (`session_blocked` lists them).
    #[serde(default)]
    pub override_blockers: Vec<String>,
    /// The check before every session: is there an active cold sore now? `true` blocks the
    /// session absolutely (`active_cold_sore`); the staff session page always asks.
    #[serde(default)]
    pub cold_sore_now: Option<bool>,
}

fn list(field: &str, items: &[String], min: usize) -> ApiResult<Vec<String>> {
    if items.len() < min || items.len() > 20 {
        return Err(ApiError::invalid(field, format!("give {min} to 20 entries")));
    }
    items.iter().enumerate().map(|(i, s)| text(&format!("{field}[{i}]"), s, 100)).collect()
}

/// The structured numbing cream: an object, or null for none. Free text is refused here (it
/// belongs in `numbing_note`), so that a cream is never recorded where no rule can read it.
fn numbing(v: Option<Value>) -> ApiResult<Option<Numbing>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => crate::body::parse::<Numbing>(v).map(Some).map_err(|mut e| {
            e.field = Some(match e.field.as_deref() {
                None | Some("body") => "numbing".to_owned(),
                Some(f) => format!("numbing.{f}"),
            });
            e
        }),
        Some(_) => Err(ApiError::invalid(
            "numbing",
            "must be an object {agent, area_cm2, minutes, occluded, removed} or null for none; free text goes in numbing_note",
        )),
    }
}

/// The deepest needle depth: `needle_depth_mm`, or the deepest of `depths`; both given, they
/// must agree.
fn needle_depth(given: Option<f64>, depths: &[AreaDepth]) -> ApiResult<f64> {
    let (lo, hi) = session_limits::DEPTH_MM;
    if let Some(d) = given
        && !(d.is_finite() && (lo..=hi).contains(&d))
    {
        return Err(ApiError::invalid("needle_depth_mm", format!("must be a depth in millimetres from {lo} to {hi}")));
    }
    match (given, session_limits::deepest(depths)) {
        (None, None) => Err(ApiError::invalid(
            "depths",
            "give the needle depth per area (depths: [{area, depth_mm}]) or needle_depth_mm",
        )),
        (Some(d), None) => Ok(d),
        (None, Some(deepest)) => Ok(deepest),
        (Some(d), Some(deepest)) if (d - deepest).abs() < 1e-9 => Ok(d),
        (Some(d), Some(deepest)) => Err(ApiError::invalid(
            "needle_depth_mm",
            format!("is {d} mm but the deepest of depths is {deepest} mm: give the deepest, or leave it out"),
        )),
    }
}

/// Records a session and schedules its check-ins (the API and the session page call this).
/// The session safety gates (`needlepath_core::pathway::gates`) may block it (409
/// `session_blocked`, with the blockers); a practitioner overrides the overridable ones by
/// naming them in `override_blockers` with an `override_reason` of at least a sentence.
pub async fn record(
    app: &App,
    a: &Authed,
    patient_id: PatientId,
    r: NewSessionRequest,
) -> ApiResult<(Session, Vec<CheckIn>)> {
    let now = Utc::now();
    let performed_at = r.performed_at.map(|t| t.with_timezone(&Utc)).unwrap_or(now);
    if performed_at > now + Duration::hours(1) {
        return Err(ApiError::invalid(
            "performed_at",
            "a session is recorded after it happens; this time is in the future",
        ));
    }
    if performed_at < now - Duration::days(365 * 5) {
        return Err(ApiError::invalid("performed_at", "is more than five years ago"));
    }
    let numbing = numbing(r.numbing)?;
    let needle_depth_mm = needle_depth(r.needle_depth_mm, &r.depths)?;
    let override_reason = opt_text("override_reason", r.override_reason.as_deref(), 2000)?;
    if (override_reason.is_some() || !r.override_blockers.is_empty()) && a.role() != Some(Role::Practitioner) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "override_not_allowed",
            "only a practitioner may record a session over blockers",
        ));
    }
    if r.override_blockers.len() > 50 {
        return Err(ApiError::invalid("override_blockers", "give at most 50 blocker keys"));
    }
    let override_blockers = r
        .override_blockers
        .iter()
        .enumerate()
        .map(|(i, k)| text(&format!("override_blockers[{i}]"), k, 200))
        .collect::<ApiResult<Vec<_>>>()?;
    let practitioner = match (r.practitioner_id, a.staff()) {
        (Some(p), _) => p,
        (None, Some(me)) => me,
        (None, None) => {
            return Err(ApiError::invalid("practitioner_id", "an API token must say which practitioner treated"));
        }
    };
    let patient = app.store.patient(&a.actor, patient_id).await?;
    let clinic = app.store.clinic(a.clinic()).await?;
    let tz = patient.time_zone.tz();
    // The reminders after the session, with the next session's window from the plan.
    let protocol = app.protocol_for(a.clinic()).await?;
    // A screening older than the protocol allows blocks the session like a deferral does (a
    // clinician may override it, naming it, with a reason); the store judges it with the rest.
    let mut extra_blockers: Vec<Blocker> =
        needlepath_core::pathway::gates::pre_session_check(r.cold_sore_now).into_iter().collect();
    if let Some(latest) = app.store.list_screenings(&a.actor, patient_id).await?.first() {
        let clinic_tz = clinic.time_zone.tz();
        let recorded = recorded_screening(latest, clinic_tz);
        let day = performed_at.with_timezone(&clinic_tz).date_naive();
        if let Some((days, _)) = &protocol.plan.stale_screening
            && recorded.too_old_on(&protocol, day)
        {
            extra_blockers.push(Blocker::StaleScreening { screened_on: recorded.on, max_age_days: *days });
        }
    }
    // The protocol knows the agents and areas; its limits give the warnings (never blocking).
    session_limits::check(&protocol, numbing.as_ref(), &r.depths).map_err(|e| ApiError::invalid(e.field, e.message))?;
    let warnings = session_limits::warnings(&protocol, numbing.as_ref(), &r.depths, patient.fitzpatrick);
    let areas = if r.areas.is_empty() && !r.depths.is_empty() {
        r.depths.iter().map(|d| d.area.clone()).collect()
    } else {
        list("areas", &r.areas, 1)?
    };
    let had = app.store.list_sessions(&a.actor, patient_id).await?.len() + 1;
    let plans = app.store.list_plans(&a.actor, patient_id).await?;
    let plan = match r.plan_id {
        Some(id) => plans.iter().find(|p| p.id == id),
        None => plans.first(),
    };
    let window = plan.and_then(|p| next_window(p, had, Some(performed_at.with_timezone(&tz).date_naive())));
    // The clinic's check-in days, with week 3 for darker skin and "ready for the next session?"
    // the day before the next window opens (issue 12 item 10).
    let opens_after = window
        .and_then(|(earliest, _)| {
            u32::try_from((earliest - performed_at.with_timezone(&tz).date_naive()).num_days()).ok()
        })
        .unwrap_or(protocol.plan.interval_min_days);
    let check_in_days =
        needlepath_core::pathway::next::check_in_days(&clinic.settings.check_in_days, patient.fitzpatrick, opens_after);
    let messages = reminders::schedule::for_session(
        &protocol,
        &clinic.settings,
        &patient,
        performed_at,
        reminders::schedule::AfterSession {
            number: u32::try_from(had).unwrap_or(u32::MAX),
            next_window: window,
            check_in_days: &check_in_days,
        },
        now,
    )?;
    let session = NewSession {
        patient: patient_id,
        plan: r.plan_id,
        performed_at,
        device: text("device", &r.device, 200)?,
        needle_depth_mm,
        areas,
        products: list("products", &r.products, 0)?,
        numbing,
        numbing_note: opt_text("numbing_note", r.numbing_note.as_deref(), 200)?,
        depths: r.depths,
        warnings,
        practitioner,
        notes: opt_text("notes", r.notes.as_deref(), 8000)?.unwrap_or_default(),
        override_reason,
        override_blockers,
        min_interval_days: protocol.plan.interval_min_days,
        extra_blockers,
        check_ins: check_in_times(performed_at, tz, &check_in_days),
        appointment: r.appointment_id,
        messages,
    };
    Ok(app.store.record_session(&a.actor, session).await?)
}

/// Sessions recorded over blockers, newest first, for staff to review.
pub async fn list_overrides(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "overrides": app.store.list_overrides(&a.actor, 200).await? })))
}

pub async fn record_session(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<NewSessionRequest>,
) -> ApiResult<Response> {
    let patient_id: PatientId = id(&raw, "patient")?;
    let (session, check_ins) = record(&app, &a, patient_id, r).await?;
    Ok(created(json!({ "session": session, "check_ins": check_ins })))
}
