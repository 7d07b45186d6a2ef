//! Consent on the staff side (issue 15): the record's Consent section (where each consent
//! stands, with its printable copy), a consent signed on paper recorded by a clinician, a
//! withdrawal the patient asked for, and the clinic's consent texts in Settings (admins), where
//! an edited text is published as a new version. Each form calls the use case the API calls
//! (`clinic::consent`); a refused form is shown again with its error.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use needlepath_core::consent::ConsentKind;
use needlepath_store::{ConsentId, PatientId};
use serde::Deserialize;

use crate::App;
use crate::api::id;
use crate::clinic::consent::{self, SignInput};
use crate::pages::consent_view::kind_title;
use crate::pages::form::{FormData, Posted};
use crate::pages::patient::consent::CopyPage;
use crate::pages::staff::local;
use crate::pages::staff::records::render;
use crate::pages::staff::reminders::Refused;
use crate::pages::{Ctx, Frame, PageResult, Shown, page, page_with, see_other};
use crate::problem::ApiError;

/// The paper form: the kind and version of the text signed, the name as signed, the check.
pub async fn paper_post(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let patient: PatientId = id(&raw, "patient")?;
    let attempt = async {
        // `kind@version`: the text as the form listed it.
        let (kind, version) = form
            .get("text")
            .split_once('@')
            .and_then(|(k, v)| Some((ConsentKind::parse(k)?, v.parse::<u32>().ok()?)))
            .ok_or_else(|| {
                ApiError::invalid(
                    "text",
                    format!("a consent text as listed: one of {} with its version", ConsentKind::CODES.join(", ")),
                )
            })?;
        let input = SignInput {
            kind,
            version,
            typed_name: form.get("typed_name").to_string(),
            confirmed: form.has("confirm", "yes"),
            guardian_relationship: form
                .opt("guardian_relationship")
                .filter(|r| !r.trim().is_empty())
                .map(str::to_string),
            address: None,
            user_agent: None,
        };
        consent::sign(&app, &a.actor, patient, input, true).await.map_err(ApiError::from)
    };
    match attempt.await {
        Ok(_) => Ok(see_other(&format!("/staff/patients/{patient}?consent=recorded#consent"))),
        Err(e) => {
            let (status, shown) = Shown::on_form(e)?;
            let refused = Refused { error: Some(shown), target: "consent".into(), form };
            render(&app, &ctx, patient, status, refused).await
        }
    }
}

/// Records that the patient withdrew a consent.
pub async fn withdraw_post(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path((raw, consent_raw)): Path<(String, String)>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let patient: PatientId = id(&raw, "patient")?;
    let consent_id: ConsentId = id(&consent_raw, "consent")?;
    consent::withdraw(&app, &a.actor, patient, consent_id, form.opt("note")).await?;
    Ok(see_other(&format!("/staff/patients/{patient}?consent=withdrawn#consent")))
}

/// The printable copy of a patient's consent, for the paper record.
pub async fn copy_get(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path((raw, consent_raw)): Path<(String, String)>,
) -> PageResult {
    let a = ctx.authed()?;
    let patient: PatientId = id(&raw, "patient")?;
    let consent_id: ConsentId = id(&consent_raw, "consent")?;
    let copy = consent::signed_copy(&app, &a.actor, patient, consent_id).await?;
    page(&CopyPage::new(ctx.frame(ctx.t.s("consent_copy.title")), &copy, ctx.t))
}

#[derive(Debug, Clone)]
struct TextRow {
    kind: &'static str,
    title: String,
    /// "Current: version 2, published …", or that it is the built-in text.
    current: String,
    body: String,
    older: Vec<String>,
}

#[derive(Template)]
#[template(path = "staff/consent_texts.html")]
struct TextsPage {
    f: Frame,
    rows: Vec<TextRow>,
    notice: String,
    error: Option<Shown>,
    error_kind: String,
}

#[derive(Debug, Deserialize)]
pub struct PublishedQuery {
    published: Option<u32>,
}

async fn texts_page(
    app: &App,
    ctx: &Ctx,
    status: StatusCode,
    notice: String,
    refused: Option<(Shown, String, String)>,
) -> PageResult {
    let a = ctx.authed()?;
    let t = ctx.t;
    let texts = consent::texts(app, &a.actor).await?;
    let tz = crate::clinic::the_clinic(app, &a.actor).await?.time_zone.tz();
    let (error, error_kind, typed) = match refused {
        Some((shown, kind, body)) => (Some(shown), kind, body),
        None => (None, String::new(), String::new()),
    };
    let rows = texts
        .current
        .iter()
        .map(|c| {
            let published = texts.versions.iter().find(|d| d.kind == c.kind && d.version == c.version);
            TextRow {
                kind: c.kind.as_str(),
                title: kind_title(t, c.kind),
                current: match published.filter(|_| c.published) {
                    Some(d) => t.f(
                        "consent_texts.current",
                        &[("version", &d.version.to_string()), ("when", &local(d.created_at, tz))],
                    ),
                    None => t.s("consent_texts.built_in").to_string(),
                },
                body: if error_kind == c.kind.as_str() { typed.clone() } else { c.body.clone() },
                older: texts
                    .versions
                    .iter()
                    .filter(|d| d.kind == c.kind && d.version != c.version)
                    .map(|d| {
                        t.f(
                            "consent_texts.current",
                            &[("version", &d.version.to_string()), ("when", &local(d.created_at, tz))],
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    page_with(status, &TextsPage { f: ctx.frame(t.s("consent_texts.title")), rows, notice, error, error_kind })
}

pub async fn texts_get(State(app): State<Arc<App>>, ctx: Ctx, Query(q): Query<PublishedQuery>) -> PageResult {
    let notice = q.published.map(|v| ctx.t.f("consent_texts.published", &[("version", &v.to_string())]));
    texts_page(&app, &ctx, StatusCode::OK, notice.unwrap_or_default(), None).await
}

/// Publishes an edited text as a new version.
pub async fn texts_post(State(app): State<Arc<App>>, ctx: Ctx, Posted(form): Posted) -> PageResult {
    let a = ctx.authed()?;
    let kind_code = form.get("kind").to_string();
    let body = form.get("body").to_string();
    let attempt = async {
        let kind = ConsentKind::parse(&kind_code)
            .ok_or_else(|| ApiError::invalid("kind", format!("one of {}", ConsentKind::CODES.join(", "))))?;
        consent::publish(&app, &a.actor, kind, &body).await.map_err(ApiError::from)
    };
    match attempt.await {
        Ok(d) => Ok(see_other(&format!("/staff/settings/consent?published={}#{}", d.version, d.kind))),
        Err(e) => {
            let (status, shown) = Shown::on_form(e)?;
            texts_page(&app, &ctx, status, String::new(), Some((shown, kind_code, body))).await
        }
    }
}

/// The paper form's values after a refusal, else empty.
pub fn paper_values(refused: &Refused) -> (Option<Shown>, FormData) {
    if refused.target == "consent" {
        (refused.error.clone(), refused.form.clone())
    } else {
        (None, FormData::default())
    }
}
