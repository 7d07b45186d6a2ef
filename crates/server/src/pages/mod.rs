//! The web pages for patients and staff, rendered on the server from compiled templates
//! (`templates/`, askama), working without JavaScript.
//!
//! Pages are routes of the one table in `routes.rs` (marked `page`), so they have the same
//! access rules as the API and the access-matrix test covers them. They call the same
//! functions as the API handlers, so a form and the JSON API cannot decide differently.
//!
//! - `crate::i18n`: every user-facing string, per language, in `locales/` (a crate-level module,
//!   as the reminder worker and the calendar feed speak the patient's language too).
//! - [`form`]: reading a posted form, with its CSRF check.
//! - [`assets`]: the stylesheet, script and icon, served by the binary itself.
//! - [`chart`]: the symptom chart, drawn as inline SVG.
//! - [`guided`]: the baseline photos the guided camera lays over the live camera.
//! - [`view`]: shaping engine results and records for templates (sources, times, labels).

pub mod account;
pub mod assets;
pub mod chart;
pub mod consent_view;
pub mod form;
pub mod guided;
pub mod outcome_view;
pub mod patient;
pub mod public;
pub mod redness_view;
pub mod staff;
pub mod view;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use needlepath_store::{Role, Who};

use crate::auth::Authed;
use crate::i18n::{self, Locale};
use crate::policy::Caller;
use crate::problem::ApiError;

/// A link of the main navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page's frame (`base.html`) shows: title, navigation, the CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct Frame {
    pub t: &'static Locale,
    pub title: String,
    pub nav: Vec<NavLink>,
    /// The session's CSRF token for forms; empty when nobody is signed in.
    pub csrf: String,
    pub signed_in: bool,
    /// Cache-busting version of the assets.
    pub asset_v: &'static str,
    /// A class on `<body>`: `emergency` turns the whole page into the emergency answer.
    pub body_class: &'static str,
    /// How the patient reaches their clinic, shown in the footer of every patient page and on
    /// dead ends whose clinic is known.
    pub reach: Option<crate::reach::Reach>,
}

impl Frame {
    /// The emergency number(s) of the patient's clinic's country ("999 or 112"), when known.
    pub fn emergency_numbers(&self) -> Option<String> {
        self.reach.as_ref().and_then(|r| r.emergency_numbers(self.t))
    }
}

/// Who is asking, in which language, for which page.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub t: &'static Locale,
    pub authed: Option<Authed>,
    pub path: String,
    /// The signed-in patient's clinic's contact (put in the request by `auth::authenticate`).
    pub reach: Option<crate::reach::Reach>,
}

impl FromRequestParts<std::sync::Arc<crate::App>> for Ctx {
    type Rejection = std::convert::Infallible;

    /// A patient's pages show how to reach their clinic: the clinic is read here, for pages
    /// only, not for every patient request (the JSON API has no footer).
    async fn from_request_parts(parts: &mut Parts, app: &std::sync::Arc<crate::App>) -> Result<Self, Self::Rejection> {
        let lang = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        let authed = parts.extensions.get::<Authed>().cloned();
        let reach = match &authed {
            Some(a) if a.patient().is_some() => {
                crate::clinic::the_clinic(app, &a.actor).await.ok().map(|c| crate::reach::Reach::of(&c))
            }
            _ => None,
        };
        Ok(Ctx { t: i18n::negotiate(lang), authed, path: parts.uri.path().to_string(), reach })
    }
}

impl Ctx {
    /// The frame of a page titled `title`, with the navigation for whoever is signed in.
    pub fn frame(&self, title: impl Into<String>) -> Frame {
        let t = self.t;
        let links: Vec<(&'static str, &'static str)> = match self.authed.as_ref() {
            Some(a) if matches!(a.actor.who, Who::Patient(_)) => vec![
                ("/me", "nav.today"),
                ("/me/check-in", "nav.check_in"),
                ("/me/plan", "nav.plan"),
                ("/me/history", "nav.history"),
                ("/me/reminders", "nav.reminders"),
                ("/me/consent", "nav.consent"),
                ("/aftercare", "nav.aftercare"),
            ],
            // A signed-in staff member (not an API token, which has no pages to browse) sees a
            // link only where its route lets them in.
            Some(a) if matches!(a.actor.who, Who::Staff(..)) => {
                let mut links = vec![("/staff", "nav.queue"), ("/staff/patients", "nav.patients")];
                if a.is_clinical() {
                    links.push(("/staff/overrides", "nav.overrides"));
                }
                if a.may_manage_clinic() {
                    links.push(("/staff/outcomes", "nav.outcomes"));
                    links.push(("/staff/settings", "nav.settings"));
                }
                links
            }
            _ => vec![
                ("/", "nav.home"),
                ("/candidate", "nav.candidate"),
                ("/aftercare", "nav.aftercare"),
                ("/cost", "nav.cost"),
                ("/login", "nav.login"),
            ],
        };
        // The current link is the longest one the path is at or under (`/me/plan` is "My plan",
        // not also "Today").
        let under = |href: &str| self.path == href || (href.len() > 1 && self.path.starts_with(&format!("{href}/")));
        let current = links.iter().map(|(h, _)| *h).filter(|h| under(h)).max_by_key(|h| h.len());
        let nav = links
            .iter()
            .map(|(href, key)| NavLink { href, label: t.s(key), current: current == Some(*href) })
            .collect();
        let csrf = self.authed.as_ref().and_then(|a| a.csrf.clone()).unwrap_or_default();
        Frame {
            t,
            title: title.into(),
            nav,
            signed_in: !csrf.is_empty(),
            csrf,
            asset_v: assets::version(),
            body_class: "",
            reach: self.reach.clone(),
        }
    }

    /// The staff member's role, when staff is signed in.
    pub fn role(&self) -> Option<Role> {
        self.authed.as_ref().and_then(Authed::role)
    }

    /// The signed-in caller; pages behind an access rule always have one.
    pub fn authed(&self) -> Result<&Authed, PageError> {
        self.authed.as_ref().ok_or_else(|| PageError(ApiError::unauthenticated()))
    }
}

/// An error shown as a page (the API's problem, in words, with the page frame).
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl From<needlepath_store::StoreError> for PageError {
    fn from(e: needlepath_store::StoreError) -> Self {
        Self(e.into())
    }
}

/// The application layer's errors on a page: the same problem the API gives, drawn as the HTML
/// error page (or, where a handler catches it first, as an error on its form).
impl From<crate::clinic::ClinicError> for PageError {
    fn from(e: crate::clinic::ClinicError) -> Self {
        Self(e.into())
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "a template failed to render");
        Self(ApiError::internal())
    }
}

pub type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    f: Frame,
    heading: &'a str,
    message: String,
    /// Show the staff login form (for a 401 on a staff page).
    login: bool,
    patient_hint: bool,
    next: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(&Ctx { t: i18n::default_locale(), authed: None, path: String::new(), reach: None }, self.0)
    }
}

/// The answer to a refused request: a problem under `/api/`, an error page elsewhere.
pub fn refusal(req: &axum::extract::Request, e: ApiError) -> Response {
    let path = req.uri().path().to_string();
    // The API and the metrics (read by machines) answer problems; the rest, pages.
    if path.starts_with("/api/") || path == "/metrics" {
        return e.into_response();
    }
    let lang = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let ctx = Ctx {
        t: i18n::negotiate(lang),
        authed: req.extensions().get::<Authed>().cloned(),
        path,
        // A refusal comes before any page reads the clinic: no footer.
        reach: None,
    };
    error_page(&ctx, e)
}

/// The error page for `e`, in the caller's language and frame.
pub fn error_page(ctx: &Ctx, e: ApiError) -> Response {
    let t = ctx.t;
    let (heading, message, login, patient_hint) = match (e.status, e.code) {
        (StatusCode::UNAUTHORIZED, _) => {
            (t.s("error.unauthenticated_title"), t.s("error.staff_sign_in").to_string(), true, true)
        }
        (StatusCode::NOT_FOUND, _) => (t.s("error.not_found_title"), t.s("error.not_found").to_string(), false, false),
        (StatusCode::FORBIDDEN, "csrf_failed") => {
            (t.s("error.forbidden_title"), t.s("error.csrf").to_string(), false, false)
        }
        (StatusCode::FORBIDDEN, _) => (t.s("error.forbidden_title"), e.detail.clone(), false, false),
        // Busy (overloaded, or the database away): what to do is in the detail, with
        // `Retry-After` below (issue 16: the page dropped it).
        (StatusCode::SERVICE_UNAVAILABLE, _) => (t.s("error.title"), e.detail.clone(), false, false),
        (s, _) if s.is_server_error() => (t.s("error.title"), t.s("error.internal").to_string(), false, false),
        _ => (t.s("error.title"), e.detail.clone(), false, false),
    };
    let page = ErrorPage {
        f: ctx.frame(heading),
        heading,
        message,
        login,
        patient_hint,
        next: if ctx.path.starts_with("/staff") { ctx.path.clone() } else { String::new() },
    };
    let mut res = match page.render() {
        Ok(body) => with_page_headers(e.status, body),
        Err(_) => (e.status, e.detail).into_response(),
    };
    if let Some(secs) = e.retry_after {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// A rendered page with the headers every page carries: pages hold health data, so no caching.
pub fn with_page_headers(status: StatusCode, body: String) -> Response {
    let mut res = (status, Html(body)).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::VARY, HeaderValue::from_static("Cookie, Accept-Language"));
    res
}

/// Renders `tpl` as a 200 page.
pub fn page<T: Template>(tpl: &T) -> PageResult {
    page_with(StatusCode::OK, tpl)
}

/// Renders `tpl` with `status` (422 for a form shown again with its error).
pub fn page_with<T: Template>(status: StatusCode, tpl: &T) -> PageResult {
    Ok(with_page_headers(status, tpl.render()?))
}

/// After a successful form: see the result at `location` (post/redirect/get).
pub fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// An input error, as a form shows it next to the fields.
#[derive(Debug, Clone, Default)]
pub struct Shown {
    /// The form field at fault (the API's field path), empty when the fault is not one field's.
    pub field: String,
    pub message: String,
}

impl Shown {
    /// Errors that belong on the form (bad input, a refused action); `None` for the rest,
    /// which become error pages.
    pub fn from_api(e: &ApiError) -> Option<Self> {
        let shown = matches!(e.status.as_u16(), 409 | 422 | 429) || e.code == "invalid_credentials";
        shown.then(|| Shown { field: e.field.clone().unwrap_or_default(), message: e.detail.clone() })
    }

    /// A refused form's error: the status and what to show on the form, or — for an error that
    /// does not belong on a form — the error page.
    pub fn on_form(e: ApiError) -> Result<(StatusCode, Self), PageError> {
        match Self::from_api(&e) {
            Some(s) => Ok((e.status, s)),
            None => Err(PageError(e)),
        }
    }

    pub fn is(&self, field: &str) -> bool {
        self.field == field
    }
}

#[cfg(test)]
mod tests;
