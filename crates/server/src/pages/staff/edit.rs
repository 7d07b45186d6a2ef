//! Editing a patient's record from their page (`/staff/patients/{id}/edit`): contact details for
//! everyone on staff; findings (with their dates), allergies and medication for clinical staff
//! (practitioners, admins). The form calls one use case, `clinic::patients::edit`, which
//! enforces who may change what as the API does and records the change (issue 11: staff could
//! not add or edit findings, allergies, medication or contact details from the pages).
//!
//! Nothing posted is dropped: a finding's date without its box is refused with the date field
//! named, and clinical fields posted by the front desk are refused (403), not ignored.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use needlepath_core::vocabulary::Finding;
use needlepath_store::PatientId;

use crate::clinic::patient_record::PatientRecord;

use crate::App;
use crate::api::id;
use crate::clinic::ClinicError;
use crate::clinic::patients::{self, Edit, PatientUpdateRequest};
use crate::i18n::Locale;
use crate::pages::form::{FormData, Posted};
use crate::pages::staff::clinical::{FindingRow, finding_pairs, finding_rows, findings_of_form};
use crate::pages::staff::{Choice, choices};
use crate::pages::{Ctx, Frame, PageResult, Shown, page, page_with, see_other};
use crate::policy::Caller;
use crate::problem::{ApiError, ApiResult};

#[derive(Template)]
#[template(path = "staff/patient_edit.html")]
struct EditPage {
    f: Frame,
    p: PatientRecord,
    form: FormData,
    error: Option<Shown>,
    skin_types: Vec<Choice>,
    /// Whether the clinical part (findings, allergies, medication) is offered.
    clinical: bool,
    findings: Vec<FindingRow>,
}

fn edit_page(ctx: &Ctx, p: PatientRecord, form: FormData, error: Option<Shown>, clinical: bool) -> EditPage {
    let t = ctx.t;
    let skin = (1..=6).map(|n| (n.to_string(), t.f("patients.skin_type_n", &[("n", &n.to_string())])));
    let findings = finding_rows(t, &form);
    EditPage {
        f: ctx.frame(t.f("edit_record.title", &[("name", &p.name)])),
        skin_types: choices(Some(t.s("patients.not_known")), skin, form.get("fitzpatrick")),
        findings,
        clinical,
        form,
        error,
        p,
    }
}

/// The record as the form's values.
fn form_of(p: &PatientRecord) -> FormData {
    let mut pairs = vec![
        ("name".to_string(), p.name.clone()),
        ("email".into(), p.email.clone().unwrap_or_default()),
        ("phone".into(), p.phone.clone().unwrap_or_default()),
        ("time_zone".into(), p.time_zone.to_string()),
        ("birth_date".into(), p.birth_date.map(|d| d.to_string()).unwrap_or_default()),
        ("fitzpatrick".into(), p.fitzpatrick.map(|n| n.to_string()).unwrap_or_default()),
    ];
    if p.consent_messages {
        pairs.push(("consent_messages".into(), "yes".into()));
    }
    // Present only for a reader of clinical data (the record as the use case gave it).
    if let Some(findings) = &p.findings {
        pairs.extend(finding_pairs(findings));
    }
    if let Some(allergies) = &p.allergies {
        pairs.push(("allergies".into(), allergies.join("\n")));
    }
    if let Some(medication) = &p.medication {
        pairs.push(("medication".into(), medication.join("\n")));
    }
    FormData::from_pairs(pairs)
}

/// One entry per line of a text area; blank lines are not entries.
fn lines(v: &str) -> Vec<String> {
    v.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// The API's update from the form. The clinical part is sent whenever the form carries it (the
/// `clinical` marker, a finding, allergies or medication), so a front-desk post of clinical
/// data reaches the API's rule and is refused there, never dropped here.
pub(crate) fn update_of(form: &FormData, t: &Locale) -> ApiResult<PatientUpdateRequest> {
    form.refuse_unticked_finding_dates(t, |code| format!("last_{code}"))?;
    let clinical_part = form.has("clinical", "")
        || form.has("finding", "")
        || form.has("allergies", "")
        || form.has("medication", "")
        || Finding::ALL.iter().any(|f| form.opt(&format!("last_{}", f.as_str())).is_some());
    let (findings, allergies, medication) = if clinical_part {
        (Some(findings_of_form(form)?), Some(lines(form.get("allergies"))), Some(lines(form.get("medication"))))
    } else {
        (None, None, None)
    };
    Ok(PatientUpdateRequest {
        name: Some(form.get("name").to_string()),
        email: Some(form.opt("email").map(str::to_string)),
        phone: Some(form.opt("phone").map(str::to_string)),
        // Required: a blank zone is refused by name, never taken as "leave it".
        time_zone: Some(
            form.opt("time_zone")
                .ok_or_else(|| ApiError::invalid("time_zone", "is required: give a zone such as Europe/Berlin"))?
                .to_string(),
        ),
        birth_date: Some(form.parsed::<NaiveDate>("birth_date", "a date such as 1990-05-17")?),
        fitzpatrick: Some(form.parsed::<u8>("fitzpatrick", "a skin type from 1 to 6")?),
        findings,
        allergies,
        medication,
        consent_messages: Some(form.has("consent_messages", "")),
    })
}

pub async fn edit_form(State(app): State<Arc<App>>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let a = ctx.authed()?;
    let patient_id: PatientId = id(&raw, "patient")?;
    let p = patients::show(&app, &a.actor, patient_id).await?;
    let clinical = a.may_edit_clinical_fields();
    let form = form_of(&p);
    page(&edit_page(&ctx, p, form, None, clinical))
}

pub async fn edit_submit(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let patient_id: PatientId = id(&raw, "patient")?;
    let posted = update_of(&form, ctx.t).map_err(ClinicError::from);
    match patients::edit(&app, &a.actor, patient_id, posted).await? {
        Edit::Saved(p) => Ok(see_other(&format!("/staff/patients/{}#contact", p.id))),
        Edit::Refused(p, e) => {
            let (status, shown) = Shown::on_form(ApiError::from(e))?;
            let clinical = a.may_edit_clinical_fields();
            page_with(status, &edit_page(&ctx, p, form, Some(shown), clinical))
        }
    }
}
