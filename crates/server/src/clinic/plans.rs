//! Planning a series: the engine plans by the clinic's protocol from the latest screening (a
//! deferral that still holds wins), and the plan is stored in one write transaction with its
//! audit record.

use needlepath_core::plan as engine_plan;
use needlepath_core::request::PlanRequest;
use needlepath_store::{Actor, Audit, NewPlan, PatientId, Plan, Seen};
use serde_json::{Value, json};

use crate::App;
use crate::api::input;
use crate::clinic::screening::{recorded_screening, with_patient_defaults};
use crate::clinic::{ClinicError, ClinicResult};

/// Plans a series by the clinic's protocol and records it (the API and the plan page call this).
/// `body` is the contract's plan request; the clinic's price and currency fill in.
pub async fn plan_patient(app: &App, actor: &Actor, patient_id: PatientId, body: Value) -> ClinicResult<Plan> {
    let mut unit = app.records.store().writing(actor).await?;
    let patient = unit.patient(patient_id).await?;
    let clinic = unit.clinic().await?;
    let protocol = app.protocol_of(&clinic);
    let mut body = with_patient_defaults(body, &patient, app.now().date_naive(), false)?;
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
    let tz = clinic.time_zone.tz();
    let screenings = unit.recent_screenings(patient_id, needlepath_store::Page::first(1)).await?;
    let latest = screenings.first().map(|s| recorded_screening(s, tz)).transpose()?;
    let result = engine_plan::plan_for_patient(&protocol, &req, latest.as_ref());
    let result = serde_json::to_value(&result).map_err(|e| ClinicError::Unexpected(e.to_string()))?;
    let plan = unit.add_plan(NewPlan { patient: patient_id, request: body, result }).await?;
    unit.finish(Audit::view("plan.add", patient_id, &[Seen::Patient, Seen::Screenings]).with_target(plan.id.0)).await?;
    Ok(plan)
}

/// The patient's series plans, newest first (an unknown patient is a 404).
pub async fn list(
    app: &App,
    actor: &Actor,
    patient: PatientId,
    page: needlepath_store::Page,
) -> ClinicResult<Vec<Plan>> {
    let mut unit = app.records.store().reading(actor).await?;
    unit.patient(patient).await?;
    let list = unit.recent_plans(patient, page).await?;
    unit.finish(Audit::view("plan.list", patient, &[Seen::Patient, Seen::Plans])).await?;
    Ok(list)
}
