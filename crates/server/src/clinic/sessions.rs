//! Recording a session: the request checked against the protocol's limits (numbing cream, depth
//! per area: warnings, never blocking), the session safety gates judged inside the transaction
//! that records it, the check-ins scheduled on the clinic's days (the one list Today, the
//! reminders and the missed-check-in follow-ups read back), and the reminders after it — one
//! write transaction, one audit record (and the override's own, when blockers were overridden).

use chrono::{DateTime, FixedOffset, Utc};
use needlepath_core::session::{self as session_limits, AreaDepth, Numbing};
use needlepath_store::{
    Actor, AppointmentId, Audit, Blocker, CheckIn, NewSession, PatientId, PlanId, Seen, Session, StaffId, StoreError,
};
use serde::Deserialize;
use serde_json::Value;

use crate::App;
use crate::api::{opt_text, text};
use crate::clinic::screening::recorded_screening;
use crate::clinic::{ClinicError, ClinicResult};
use crate::policy::Caller;
use crate::reminders;
use crate::schedule::next_window;
use needlepath_core::pathway::check_ins::check_in_times;

/// A session to record. Give the depth per area (`depths`) or the deepest depth
/// (`needle_depth_mm`), or both when they agree; and the areas (`areas`), which default to the
/// areas of `depths`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "NewSession")]
#[serde(deny_unknown_fields)]
pub struct NewSessionRequest {
    /// RFC 3339 with offset; default now.
    pub performed_at: Option<DateTime<FixedOffset>>,
    pub device: String,
    /// The deepest needle depth; derived from `depths` when left out; when both are given it
    /// must equal their deepest.
    #[schemars(range(min = session_limits::DEPTH_MM.0, max = session_limits::DEPTH_MM.1))]
    pub needle_depth_mm: Option<f64>,
    /// The needle depth per treatment area (an area code of the protocol's `[depth]`).
    #[serde(default)]
    #[schemars(length(max = session_limits::MAX_AREAS))]
    pub depths: Vec<AreaDepth>,
    /// Free-text areas; default: the areas of `depths`.
    #[serde(default)]
    pub areas: Vec<String>,
    #[serde(default)]
    pub products: Vec<String>,
    /// The numbing cream applied, or null for none. Free text is refused here: it goes in
    /// `numbing_note`.
    //
    // Kept as JSON so free text gets its own refusal and a fault names its part (`numbing.agent`);
    // `default` changes nothing for serde (a missing `Option` is `None` anyway) but tells the
    // schema, which cannot see through `schema_with`, that the field may be left out.
    #[serde(default)]
    #[schemars(schema_with = "numbing_or_null")]
    pub numbing: Option<Value>,
    /// Free text about the numbing cream, beside the structured `numbing`.
    #[schemars(length(max = 200))]
    pub numbing_note: Option<String>,
    pub notes: Option<String>,
    pub plan_id: Option<PlanId>,
    /// The booked appointment this session fulfils; default: one booked within 12 hours.
    pub appointment_id: Option<AppointmentId>,
    pub practitioner_id: Option<StaffId>,
    /// A practitioner's reason to record over blockers: why the session is safe now, at least a
    /// sentence (30 characters, 5 words); logged and listed under /api/v1/overrides.
    pub override_reason: Option<String>,
    /// The keys of the blockers overridden, as `session_blocked` lists them; every blocker must
    /// be named and overridable.
    #[serde(default)]
    pub override_blockers: Vec<String>,
    /// The check before every session: is there an active cold sore now? `true` blocks the
    /// session absolutely (blocker `active_cold_sore`); the staff session page always asks.
    #[serde(default)]
    pub cold_sore_now: Option<bool>,
}

/// The schema of `numbing`: a [`Numbing`], or null.
fn numbing_or_null(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let numbing = g.subschema_for::<Numbing>();
    schemars::json_schema!({ "oneOf": [numbing, { "type": "null" }] })
}

fn text_list(field: &str, items: &[String], min: usize) -> ClinicResult<Vec<String>> {
    if items.len() < min || items.len() > 20 {
        return Err(ClinicError::invalid(field, format!("give {min} to 20 entries")));
    }
    Ok(items.iter().enumerate().map(|(i, s)| text(&format!("{field}[{i}]"), s, 100)).collect::<Result<_, _>>()?)
}

/// The structured numbing cream: an object, or null for none. Free text is refused here (it
/// belongs in `numbing_note`), so that a cream is never recorded where no rule can read it.
fn numbing(v: Option<Value>) -> ClinicResult<Option<Numbing>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => crate::body::parse::<Numbing>(v).map(Some).map_err(|mut e| {
            e.field = Some(match e.field.as_deref() {
                None | Some("body") => "numbing".to_owned(),
                Some(f) => format!("numbing.{f}"),
            });
            ClinicError::from(e)
        }),
        Some(_) => Err(ClinicError::invalid(
            "numbing",
            "must be an object {agent, area_cm2, minutes, occluded, removed} or null for none; free text goes in numbing_note",
        )),
    }
}

/// The deepest needle depth: `needle_depth_mm`, or the deepest of `depths`; both given, they
/// must agree.
fn needle_depth(given: Option<f64>, depths: &[AreaDepth]) -> ClinicResult<f64> {
    let (lo, hi) = session_limits::DEPTH_MM;
    if let Some(d) = given
        && !(d.is_finite() && (lo..=hi).contains(&d))
    {
        return Err(ClinicError::invalid(
            "needle_depth_mm",
            format!("must be a depth in millimetres from {lo} to {hi}"),
        ));
    }
    match (given, session_limits::deepest(depths)) {
        (None, None) => Err(ClinicError::invalid(
            "depths",
            "give the needle depth per area (depths: [{area, depth_mm}]) or needle_depth_mm",
        )),
        (Some(d), None) => Ok(d),
        (None, Some(deepest)) => Ok(deepest),
        (Some(d), Some(deepest)) if (d - deepest).abs() < 1e-9 => Ok(d),
        (Some(d), Some(deepest)) => Err(ClinicError::invalid(
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
    actor: &Actor,
    patient_id: PatientId,
    r: NewSessionRequest,
) -> ClinicResult<(Session, Vec<CheckIn>)> {
    let now = app.now();
    let performed_at = r.performed_at.map(|t| t.with_timezone(&Utc)).unwrap_or(now);
    session_limits::check_performed_at(performed_at, now).map_err(|r| ClinicError::invalid(r.field, r.message))?;
    let numbing = numbing(r.numbing)?;
    let needle_depth_mm = needle_depth(r.needle_depth_mm, &r.depths)?;
    let override_reason = opt_text("override_reason", r.override_reason.as_deref(), 2000)?;
    if (override_reason.is_some() || !r.override_blockers.is_empty()) && !actor.may_override_session_gates() {
        return Err(ClinicError::Store(StoreError::OverrideNotAllowed));
    }
    if r.override_blockers.len() > 50 {
        return Err(ClinicError::invalid("override_blockers", "give at most 50 blocker keys"));
    }
    let override_blockers = r
        .override_blockers
        .iter()
        .enumerate()
        .map(|(i, k)| text(&format!("override_blockers[{i}]"), k, 200))
        .collect::<Result<Vec<_>, _>>()?;
    let practitioner = match (r.practitioner_id, actor.who.staff()) {
        (Some(p), _) => p,
        (None, Some(me)) => me,
        (None, None) => {
            return Err(ClinicError::invalid("practitioner_id", "an API token must say which practitioner treated"));
        }
    };
    // The reminders after the session, with the next session's window from the plan.
    let mut unit = app.records.store().writing(actor).await?;
    let patient = unit.patient(patient_id).await?;
    let clinic = unit.clinic().await?;
    let protocol = app.protocol_of(&clinic);
    let tz = patient.time_zone.tz();
    // A screening older than the protocol allows blocks the session like a deferral does (a
    // clinician may override it, naming it, with a reason); the store judges it with the rest.
    let mut extra_blockers: Vec<Blocker> =
        needlepath_core::pathway::gates::pre_session_check(r.cold_sore_now).into_iter().collect();
    if let Some(latest) = unit.recent_screenings(patient_id, needlepath_store::Page::first(1)).await?.first() {
        let clinic_tz = clinic.time_zone.tz();
        let recorded = recorded_screening(latest, clinic_tz)?;
        let day = performed_at.with_timezone(&clinic_tz).date_naive();
        if let Some((days, _)) = &protocol.plan.stale_screening
            && recorded.too_old_on(&protocol, day)
        {
            extra_blockers.push(Blocker::StaleScreening { screened_on: recorded.on, max_age_days: *days });
        }
    }
    // The protocol knows the agents and areas; its limits give the warnings (never blocking).
    session_limits::check(&protocol, numbing.as_ref(), &r.depths)
        .map_err(|e| ClinicError::invalid(e.field, e.message))?;
    let warnings = session_limits::warnings(&protocol, numbing.as_ref(), &r.depths, patient.fitzpatrick);
    let areas = if r.areas.is_empty() && !r.depths.is_empty() {
        r.depths.iter().map(|d| d.area.clone()).collect()
    } else {
        text_list("areas", &r.areas, 1)?
    };
    let earlier = unit.sessions(patient_id).await?;
    let had = earlier.len() + 1;
    let plans = unit.plans(patient_id).await?;
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
    let mut messages = reminders::schedule::for_session(
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
    // The outcome questionnaires this session opens, and after the last one the maintenance
    // session (issue 15): counted over the plan's series, this session included.
    if let Some(plan) = plan {
        let mut done = crate::clinic::outcomes::series_days(plan, &earlier, tz);
        done.push(performed_at.with_timezone(&tz).date_naive());
        done.sort();
        let planned = crate::clinic::outcomes::planned(plan);
        messages.extend(reminders::schedule::for_series(
            &protocol,
            &clinic.settings,
            &patient,
            performed_at,
            needlepath_core::reminders::SeriesPoint { planned, done: &done },
            now,
        ));
    }
    let session = NewSession {
        patient: patient_id,
        plan: r.plan_id,
        performed_at,
        device: text("device", &r.device, 200)?,
        needle_depth_mm,
        areas,
        products: text_list("products", &r.products, 0)?,
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
    let (session, check_ins) = unit.record_session(session).await?;
    let seen = [Seen::Patient, Seen::Screenings, Seen::Sessions, Seen::Plans];
    unit.finish(Audit::view("session.record", patient_id, &seen).with_target(session.id.0)).await?;
    Ok((session, check_ins))
}

/// The patient's sessions, newest first (an unknown patient is a 404).
pub async fn list(
    app: &App,
    actor: &Actor,
    patient: PatientId,
    page: needlepath_store::Page,
) -> ClinicResult<Vec<Session>> {
    let mut unit = app.records.store().reading(actor).await?;
    unit.patient(patient).await?;
    let list = unit.recent_sessions(patient, page).await?;
    unit.finish(Audit::view("session.list", patient, &[Seen::Patient, Seen::Sessions])).await?;
    Ok(list)
}

/// Sessions recorded over blockers, newest first, for staff to review (one read, audited as the
/// list it is).
pub async fn overrides(app: &App, actor: &Actor, limit: u32) -> ClinicResult<Vec<needlepath_store::SessionOverride>> {
    Ok(app.records.store().list_overrides(actor, limit).await?)
}

/// What would block a session for the patient at `at` now, by the same facts and rule the
/// recording judges again in its own transaction (audited as `session.gates`).
pub async fn blockers(app: &App, actor: &Actor, patient: PatientId, at: DateTime<Utc>) -> ClinicResult<Vec<Blocker>> {
    let protocol = app.protocol_for(actor.clinic).await?;
    let mut unit = app.records.store().reading(actor).await?;
    let list = unit.blockers(patient, at, protocol.plan.interval_min_days).await?;
    unit.finish(Audit::view("session.gates", patient, &[Seen::Gates])).await?;
    Ok(list)
}
