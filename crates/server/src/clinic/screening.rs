//! Screening a patient for contraindications: the engine decides by the clinic's protocol, and
//! the screening, with the findings it puts on the patient's record, is stored in one write
//! transaction with its audit record.

use chrono::{Datelike as _, NaiveDate};
use needlepath_core::plan::RecordedScreening;
use needlepath_core::protocol::Protocol;
use needlepath_core::request::{FindingEntry, ScreeningRequest};
use needlepath_core::vocabulary::Finding;
use needlepath_core::{findings, screening};
use needlepath_store::{
    Actor, Audit, NewScreening, Patient, PatientFinding, PatientId, ReviewDecision, Screening, Seen,
};
use serde_json::{Value, json};

use crate::App;
use crate::api::input;
use crate::clinic::{ClinicError, ClinicResult};

/// The protocol's id and version, as a stored decision names it.
pub fn protocol_version(p: &Protocol) -> String {
    let id = p.identity();
    format!("{}@{}", id.id, id.version)
}

/// Today in the clinic's zone: screenings count their windows from the clinic's day.
pub async fn clinic_today(app: &App, actor: &Actor) -> ClinicResult<NaiveDate> {
    let tz = crate::clinic::the_clinic(app, actor).await?.time_zone.tz();
    Ok(app.now().with_timezone(&tz).date_naive())
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

/// A request body completed from the patient's record where it is silent. A `null` member is
/// silent too (the engine reads it as absent): it is dropped first, so `"findings": null` cannot
/// keep the record's contraindications out, and the stored request never echoes a null the
/// contract's schema does not allow (issue 14: `as_of: null` was accepted and echoed back).
pub(crate) fn with_patient_defaults(mut body: Value, p: &Patient, today: NaiveDate, age: bool) -> ClinicResult<Value> {
    let obj =
        body.as_object_mut().ok_or_else(|| ClinicError::invalid("(request)", "the body must be a JSON object"))?;
    obj.retain(|_, v| !v.is_null());
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

/// Screens a patient by the clinic's protocol and records the result (the API and the screening
/// page call this). `body` is the contract's screening request; where it is silent, the
/// patient's record fills in findings, skin type and age.
pub async fn screen_patient(app: &App, actor: &Actor, patient_id: PatientId, body: Value) -> ClinicResult<Screening> {
    let mut unit = app.records.store().writing(actor).await?;
    let patient = unit.patient(patient_id).await?;
    let clinic = unit.clinic().await?;
    let protocol = app.protocol_of(&clinic);
    let today = app.now().with_timezone(&clinic.time_zone.tz()).date_naive();
    let body = with_patient_defaults(body, &patient, today, true)?;
    let req = ScreeningRequest::from_json(&body, today).map_err(input)?;
    let result = screening::screen(&protocol, &req);
    let decision = result.decision;
    let defer_until = result.defer_until;
    let result = serde_json::to_value(&result).map_err(|e| ClinicError::Unexpected(e.to_string()))?;
    let findings_on_record = Some(record_after_screening(&patient.findings, &req.findings));
    let screening = unit
        .add_screening(NewScreening {
            patient: patient_id,
            request: body,
            result,
            decision,
            defer_until,
            protocol_version: protocol_version(&protocol),
            findings_on_record,
        })
        .await?;
    unit.finish(Audit::view("screening.add", patient_id, &[Seen::Patient]).with_target(screening.id.0)).await?;
    Ok(screening)
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

/// Parses a review decision, naming the field and what is accepted.
pub fn review_decision(field: &str, raw: &str) -> ClinicResult<ReviewDecision> {
    ReviewDecision::parse(raw.trim()).ok_or_else(|| {
        ClinicError::invalid(
            field,
            format!("`{raw}` is not a review decision; accepted: {}", ReviewDecision::CODES.join(", ")),
        )
    })
}

/// A stored screening as the engine reads it: the day it was recorded in the clinic's zone, its
/// decision, its deferral, review and reasons. A stored result that does not read is an error
/// (never "no review required").
pub fn recorded_screening(s: &Screening, tz: chrono_tz::Tz) -> ClinicResult<RecordedScreening> {
    let result = s.read()?;
    Ok(RecordedScreening {
        on: s.created_at.with_timezone(&tz).date_naive(),
        decision: s.decision,
        defer_until: s.defer_until,
        clinician_review_required: result.clinician_review_required,
        reasons: result.reasons.into_iter().map(|r| r.code).collect(),
    })
}

/// The patient's screenings, newest first (an unknown patient is a 404, never an empty list).
pub async fn list(app: &App, actor: &Actor, patient: PatientId) -> ClinicResult<Vec<Screening>> {
    let mut unit = app.records.store().reading(actor).await?;
    unit.patient(patient).await?;
    let list = unit.screenings(patient).await?;
    unit.finish(Audit::view("screening.list", patient, &[Seen::Patient, Seen::Screenings])).await?;
    Ok(list)
}

/// A clinician's review of a screening: cleared or not cleared, with a note (one write, audited
/// as `screening.review`).
pub async fn review(
    app: &App,
    actor: &Actor,
    patient: PatientId,
    screening: needlepath_store::ScreeningId,
    decision: ReviewDecision,
    note: Option<String>,
) -> ClinicResult<Screening> {
    Ok(app.records.store().review_screening(actor, patient, screening, decision, note).await?)
}

/// One patient's record as the clinical forms show it (audited as a read of the record).
pub async fn patient(app: &App, actor: &Actor, patient: PatientId) -> ClinicResult<Patient> {
    let mut unit = app.records.store().reading(actor).await?;
    let record = unit.patient(patient).await?;
    unit.finish(Audit::view("patient.read", patient, &[Seen::Patient])).await?;
    Ok(record)
}
