//! Patients: the list with search, adding a patient, and inviting one to their own pages.
//! The patient's page itself is in [`records`](super::records). Each page and form calls one use
//! case of `clinic::patients` (`list`, `create`, `invite`), as the API does.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use chrono::NaiveDate;
use needlepath_store::PatientId;

use crate::clinic::patient_record::PatientRecord;
use serde::Deserialize;

use crate::App;
use crate::api::id;
use crate::clinic::patients::{self, NewPatientRequest};
use crate::pages::form::{FormData, Posted};
use crate::pages::staff::{Choice, choices, clinic_zone};
use crate::pages::{Ctx, Frame, PageResult, Shown, page, page_with, see_other};
use crate::problem::ApiError;

#[derive(Template)]
#[template(path = "staff/patients.html")]
struct ListPage {
    f: Frame,
    q: String,
    patients: Vec<PatientRecord>,
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Patients, newest first; `?q=` searches name, e-mail and phone.
pub async fn list(State(app): State<Arc<App>>, ctx: Ctx, Query(q): Query<SearchQuery>) -> PageResult {
    let a = ctx.authed()?;
    let search = q.q.trim();
    let patients = patients::list(&app, &a.actor, Some(search).filter(|s| !s.is_empty()), 200, 0).await?;
    page(&ListPage { f: ctx.frame(ctx.t.s("patients.title")), q: search.to_string(), patients })
}

#[derive(Template)]
#[template(path = "staff/patient_new.html")]
struct NewPage {
    f: Frame,
    form: FormData,
    error: Option<Shown>,
    skin_types: Vec<Choice>,
}

fn skin_types(ctx: &Ctx, current: &str) -> Vec<Choice> {
    let items = (1..=6).map(|n| (n.to_string(), ctx.t.f("patients.skin_type_n", &[("n", &n.to_string())])));
    choices(Some(ctx.t.s("patients.not_known")), items, current)
}

fn new_page(ctx: &Ctx, form: FormData, error: Option<Shown>) -> NewPage {
    let skin_types = skin_types(ctx, form.get("fitzpatrick"));
    NewPage { f: ctx.frame(ctx.t.s("patients.new_title")), form, error, skin_types }
}

pub async fn new_form(State(app): State<Arc<App>>, ctx: Ctx) -> PageResult {
    let a = ctx.authed()?;
    let (clinic, _) = clinic_zone(&app, a).await?;
    let form = FormData::from_pairs(vec![("time_zone".into(), clinic.time_zone.to_string())]);
    page(&new_page(&ctx, form, None))
}

pub(crate) fn read_new(form: &FormData) -> Result<NewPatientRequest, ApiError> {
    Ok(NewPatientRequest {
        name: form.get("name").to_string(),
        email: form.opt("email").map(str::to_string),
        phone: form.opt("phone").map(str::to_string),
        time_zone: form.opt("time_zone").map(str::to_string),
        birth_date: form.parsed::<NaiveDate>("birth_date", "a date such as 1990-05-17")?,
        fitzpatrick: form.parsed::<u8>("fitzpatrick", "a skin type from 1 to 6")?,
        findings: Vec::new(),
        allergies: Vec::new(),
        medication: Vec::new(),
        consent_messages: form.has("consent_messages", ""),
    })
}

pub async fn create(State(app): State<Arc<App>>, ctx: Ctx, Posted(form): Posted) -> PageResult {
    let a = ctx.authed()?;
    let r = match read_new(&form) {
        Ok(req) => patients::create(&app, &a.actor, req).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match r {
        Ok(p) => Ok(see_other(&format!("/staff/patients/{}", p.id))),
        Err(e) => {
            let (status, shown) = Shown::on_form(e)?;
            page_with(status, &new_page(&ctx, form, Some(shown)))
        }
    }
}

/// E-mails the patient a new invite (queued in the outbox), back to their page; a patient
/// without an e-mail address gets the refusal in words.
pub async fn invite(State(app): State<Arc<App>>, ctx: Ctx, Path(raw): Path<String>, Posted(_): Posted) -> PageResult {
    let a = ctx.authed()?;
    let patient_id: PatientId = id(&raw, "patient")?;
    let sent = crate::clinic::access::email_invite(&app, &a.actor, patient_id).await?;
    let said = if sent.email_set_up { "sent" } else { "waiting" };
    Ok(crate::pages::see_other(&format!("/staff/patients/{patient_id}?invite={said}")))
}
