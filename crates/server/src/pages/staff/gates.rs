//! The session safety gates on the staff pages: each blocker in plain words with whether a
//! clinician may override it, the clinician review form of a screening, and the overrides list
//! staff review. The rules are core's (`needlepath_core::pathway::gates`); the store gathers
//! the facts; these pages only say what they decided.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use needlepath_core::protocol::Hold;
use needlepath_store::{Blocker, PatientId, ScreeningId, SessionOverride};

use crate::App;
use crate::api::{id, opt_text};
use crate::auth::Authed;
use crate::clinic::screening::review_decision;
use crate::i18n::Locale;
use crate::pages::form::Posted;
use crate::pages::staff::{clinic_zone, local};
use crate::pages::{Ctx, Frame, PageError, PageResult, page, see_other};
use crate::problem::ApiError;

/// A blocker as a staff page shows it.
#[derive(Debug, Clone)]
pub struct BlockerView {
    /// What an override names (`override_blocker` checkbox value).
    pub key: String,
    pub words: String,
    pub overridable: bool,
}

/// A blocker in plain words, with what clears it.
pub fn blocker_view(t: &Locale, b: &Blocker, tz: Tz) -> BlockerView {
    let words = match b {
        Blocker::NoScreening => t.s("gates.no_screening").to_string(),
        Blocker::Contraindication { reason, decision, hold } => {
            let key = match hold {
                Hold::Absolute => "gates.contraindication_absolute",
                Hold::Relative => "gates.contraindication_relative",
            };
            t.f(key, &[("decision", t.label("decision", decision.as_str())), ("reason", t.label("finding", reason))])
        }
        Blocker::ReviewPending => t.s("gates.review_pending").to_string(),
        Blocker::ReviewNotCleared => t.s("gates.review_not_cleared").to_string(),
        Blocker::TooSoon { last_session_at, earliest, min_interval_days } => t.f(
            "gates.too_soon",
            &[
                ("last", &local(*last_session_at, tz)),
                ("days", &min_interval_days.to_string()),
                ("earliest", &local(*earliest, tz)),
            ],
        ),
        Blocker::OpenAlert { disposition, .. } => {
            t.f("gates.open_alert", &[("disposition", t.label("disposition", disposition.as_str()))])
        }
        Blocker::RecentAlert { disposition, opened_at, .. } => t.f(
            "gates.recent_alert",
            &[("disposition", t.label("disposition", disposition.as_str())), ("when", &local(*opened_at, tz))],
        ),
        Blocker::StaleScreening { screened_on, max_age_days } => t.f(
            "session_form.blocker_stale_screening",
            &[("date", &crate::pages::view::date(*screened_on)), ("days", &max_age_days.to_string())],
        ),
        Blocker::ActiveColdSore => t.s("before_session.blocker_active_cold_sore").to_string(),
        Blocker::ConsentMissing => t.s("gates.consent_missing").to_string(),
        Blocker::ConsentWithdrawn => t.s("gates.consent_withdrawn").to_string(),
        Blocker::ConsentOutdated { signed_version, current_version } => t.f(
            "gates.consent_outdated",
            &[("signed", &signed_version.to_string()), ("current", &current_version.to_string())],
        ),
        Blocker::GuardianConsentMissing => t.s("gates.guardian_consent_missing").to_string(),
    };
    BlockerView { key: b.key(), words, overridable: b.overridable() }
}

/// The blockers of a session for this patient at `at`, in words.
pub async fn blockers_now(
    app: &App,
    a: &Authed,
    t: &Locale,
    patient: PatientId,
    at: DateTime<Utc>,
    tz: Tz,
) -> Result<Vec<BlockerView>, PageError> {
    let list = crate::clinic::sessions::blockers(app, &a.actor, patient, at).await?;
    Ok(list.iter().map(|b| blocker_view(t, b, tz)).collect())
}

/// A clinician records the review a screening requires (the patient page's form).
pub async fn review_submit(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path((raw, raw_screening)): Path<(String, String)>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let patient: PatientId = id(&raw, "patient")?;
    let screening: ScreeningId = id(&raw_screening, "screening")?;
    let decision = match form.opt("decision") {
        Some(d) => review_decision("decision", d)?,
        None => return Err(ApiError::invalid("decision", "choose cleared or not cleared").into()),
    };
    let note = opt_text("note", form.opt("note"), 4000)?;
    crate::clinic::screening::review(&app, &a.actor, patient, screening, decision, note).await?;
    Ok(see_other(&format!("/staff/patients/{patient}#screenings")))
}

struct OverrideRow {
    o: SessionOverride,
    performed: String,
    blockers: String,
}

#[derive(Template)]
#[template(path = "staff/overrides.html")]
struct OverridesPage {
    f: Frame,
    rows: Vec<OverrideRow>,
}

/// Sessions recorded over blockers, newest first.
pub async fn overrides(State(app): State<Arc<App>>, ctx: Ctx) -> PageResult {
    let a = ctx.authed()?;
    let (_, tz) = clinic_zone(&app, a).await?;
    let t = ctx.t;
    let rows = crate::clinic::sessions::overrides(&app, &a.actor, 200)
        .await?
        .into_iter()
        .map(|o| OverrideRow { performed: local(o.performed_at, tz), blockers: override_words(t, &o.blockers), o })
        .collect();
    page(&OverridesPage { f: ctx.frame(t.s("overrides.title").to_string()), rows })
}

/// The keys an override named, in words (`contraindication:chemotherapy` → its finding label).
pub fn override_words(t: &Locale, keys: &[String]) -> String {
    keys.iter()
        .map(|k| match k.split_once(':') {
            Some((_, reason)) => t.label("finding", reason).to_string(),
            None => t.label("blocker", k).to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
