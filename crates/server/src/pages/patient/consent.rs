//! Consent: the patient reads each consent text and signs it by typing their full name and
//! confirming (a parent or guardian for a minor), withdraws a consent, and opens a printable
//! copy of what they signed. No JavaScript is needed. Every form calls what
//! `GET/POST /api/v1/me/consents` and `POST /api/v1/me/consents/{id}/withdraw` call.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use needlepath_core::consent::ConsentKind;
use needlepath_store::ConsentId;
use serde::Deserialize;

use crate::App;
use crate::api::consent::user_agent;
use crate::clinic::consent::{self, SignInput, SignedCopy};
use crate::clinic::my_record::zone_of;
use crate::pages::consent_view::{ConsentRow, kind_title, rows, signed_words};
use crate::pages::form::Posted;
use crate::pages::patient::me;
use crate::pages::staff::local;
use crate::pages::{Ctx, Frame, PageResult, Shown, page, page_with, see_other};
use crate::problem::ApiError;

#[derive(Template)]
#[template(path = "patient/consent.html")]
struct ConsentPage {
    f: Frame,
    rows: Vec<ConsentRow>,
    guardian_required: bool,
    /// What was just done, in words; empty when nothing was.
    notice: String,
    error: Option<Shown>,
    /// The kind the error belongs to, and what was typed (kept on a refused form).
    error_kind: String,
    typed_name: String,
    relationship: String,
}

#[derive(Template)]
#[template(path = "patient/consent_copy.html")]
pub struct CopyPage {
    pub f: Frame,
    pub patient: String,
    pub title: String,
    pub text: String,
    pub version: u32,
    pub sha256: String,
    pub signed: String,
    pub on_paper: bool,
    pub when: String,
    pub address: String,
    pub browser: String,
    pub withdrawn: String,
}

impl CopyPage {
    pub fn new(f: Frame, copy: &SignedCopy, t: &crate::i18n::Locale) -> Self {
        let tz = zone_of(&copy.patient);
        let c = &copy.consent;
        Self {
            f,
            patient: copy.patient.name.clone(),
            title: kind_title(t, c.kind),
            text: copy.document.body.clone(),
            version: copy.document.version,
            sha256: copy.document.sha256.clone(),
            signed: signed_words(t, c, tz),
            on_paper: c.on_paper,
            when: local(c.signed_at, tz),
            address: c.address.clone().unwrap_or_default(),
            browser: c.user_agent.clone().unwrap_or_default(),
            withdrawn: c.withdrawn.as_ref().map(|w| local(w.at, tz)).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

async fn render(
    app: &App,
    ctx: &Ctx,
    notice: &str,
    refused: Option<(axum::http::StatusCode, Shown, String, String, String)>,
) -> PageResult {
    let (a, id) = me(ctx)?;
    let t = ctx.t;
    let consents = consent::patient_consents(app, &a.actor, id).await?;
    let tz = consents.zone;
    let (status, error, error_kind, typed_name, relationship) = match refused {
        Some((status, shown, kind, name, rel)) => (status, Some(shown), kind, name, rel),
        None => (axum::http::StatusCode::OK, None, String::new(), String::new(), String::new()),
    };
    page_with(
        status,
        &ConsentPage {
            f: ctx.frame(t.s("consent.title")),
            rows: rows(t, &consents, tz),
            guardian_required: consents.guardian_required,
            notice: notice.to_string(),
            error,
            error_kind,
            typed_name,
            relationship,
        },
    )
}

pub async fn page_get(State(app): State<Arc<App>>, ctx: Ctx, Query(q): Query<Done>) -> PageResult {
    let notice = match q.done.as_deref() {
        Some("signed") => ctx.t.s("consent.signed"),
        Some("withdrawn") => ctx.t.s("consent.withdrawn_notice"),
        _ => "",
    };
    render(&app, &ctx, notice, None).await
}

/// The signature form: the kind and version read, the typed name, the confirmation.
pub async fn page_post(State(app): State<Arc<App>>, ctx: Ctx, headers: HeaderMap, Posted(form): Posted) -> PageResult {
    let (a, id) = me(&ctx)?;
    let kind_code = form.get("kind").to_string();
    let typed_name = form.get("typed_name").to_string();
    let relationship = form.get("guardian_relationship").to_string();
    let attempt = async {
        let kind = ConsentKind::parse(&kind_code)
            .ok_or_else(|| ApiError::invalid("kind", format!("one of {}", ConsentKind::CODES.join(", "))))?;
        let version = form.required::<u32>("version", "the version of the text you read")?;
        let input = SignInput {
            kind,
            version,
            typed_name: typed_name.clone(),
            confirmed: form.has("confirm", "yes"),
            guardian_relationship: Some(relationship.clone()).filter(|r| !r.trim().is_empty()),
            address: a.actor.ip.clone(),
            user_agent: user_agent(&headers),
        };
        consent::sign(&app, &a.actor, id, input, false).await.map_err(ApiError::from)
    };
    match attempt.await {
        Ok(_) => Ok(see_other("/me/consent?done=signed")),
        Err(e) => {
            let (status, shown) = Shown::on_form(e)?;
            render(&app, &ctx, "", Some((status, shown, kind_code, typed_name, relationship))).await
        }
    }
}

/// Withdraws a consent (the button asks first when JavaScript runs; without it, the page says
/// what withdrawing means next to the button).
pub async fn withdraw_post(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(form): Posted,
) -> PageResult {
    let (a, id) = me(&ctx)?;
    let consent_id: ConsentId = crate::api::id(&raw, "consent")?;
    consent::withdraw(&app, &a.actor, id, consent_id, form.opt("note")).await?;
    Ok(see_other("/me/consent?done=withdrawn"))
}

/// The printable copy of a consent: the exact text, and the signature.
pub async fn copy_get(State(app): State<Arc<App>>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let (a, id) = me(&ctx)?;
    let consent_id: ConsentId = crate::api::id(&raw, "consent")?;
    let copy = consent::signed_copy(&app, &a.actor, id, consent_id).await?;
    page(&CopyPage::new(ctx.frame(ctx.t.s("consent_copy.title")), &copy, ctx.t))
}
