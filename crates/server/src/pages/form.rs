//! A posted HTML form: read as name/value pairs (repeated names kept, for checklists), with the
//! CSRF check every signed-in form needs.
//!
//! Forms carry the session's CSRF token in a hidden `_csrf` field (scripts may send the
//! `x-csrf-token` header instead, as the API does). Anonymous forms (login, the public
//! questionnaires) have no session to forge; the same-origin check in `auth` still applies.

use std::str::FromStr;

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};

use needlepath_core::vocabulary::Finding;

use crate::auth::{Authed, CSRF_HEADER, secrets};
use crate::body::PhotoForm;
use crate::i18n::Locale;
use crate::pages::PageError;
use crate::problem::ApiError;

/// The hidden field that carries the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";

/// A form's fields, in the order sent.
#[derive(Debug, Clone, Default)]
pub struct FormData {
    pairs: Vec<(String, String)>,
}

impl FormData {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    /// Parses an `application/x-www-form-urlencoded` body or query string.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .map(Self::from_pairs)
            .map_err(|_| ApiError::invalid("(form)", "the form could not be read; reload the page and try again"))
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or_default()
    }

    /// The value of `name`, or `None` when absent or blank.
    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    /// Every value of `name` (a group of checkboxes).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty()).collect()
    }

    /// Whether a checkbox `name` was ticked (with any value), or `name` has `value` among its values.
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.pairs.iter().any(|(k, v)| k == name && (value.is_empty() || v.trim() == value))
    }

    /// `name` parsed as `T`; a blank field is `None`; a bad value names the field and what
    /// is accepted.
    pub fn parsed<T: FromStr>(&self, name: &str, accepted: &str) -> Result<Option<T>, ApiError> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| ApiError::invalid(name, format!("`{v}` is not {accepted}"))),
        }
    }

    /// `name` parsed as `T`, which must be given.
    pub fn required<T: FromStr>(&self, name: &str, accepted: &str) -> Result<T, ApiError> {
        self.parsed(name, accepted)?.ok_or_else(|| ApiError::invalid(name, format!("is required: give {accepted}")))
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Refuses a date typed for a finding whose box (`finding`) is not ticked, naming the date
    /// field (`date_field(code)`), so that a date is never dropped silently: a sunburn date
    /// without its box once became "You can be treated" (issue 11). Every form with dated
    /// findings calls this before it builds its request.
    pub fn refuse_unticked_finding_dates(
        &self,
        t: &Locale,
        date_field: impl Fn(&str) -> String,
    ) -> Result<(), ApiError> {
        for f in Finding::ALL.iter().filter(|f| f.is_timed()) {
            let code = f.as_str();
            let field = date_field(code);
            if self.opt(&field).is_some() && !self.has("finding", code) {
                return Err(ApiError::invalid(
                    field,
                    t.f("form.date_without_box", &[("finding", t.label("finding", code))]),
                ));
            }
        }
        Ok(())
    }
}

/// A posted form whose CSRF token (when someone is signed in) has been checked.
#[derive(Debug, Clone)]
pub struct Posted(pub FormData);

impl<S: Send + Sync> FromRequest<S> for Posted {
    type Rejection = PageError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(PageError(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "a form must be sent as application/x-www-form-urlencoded",
            )));
        }
        let expected = req.extensions().get::<Authed>().and_then(|a| a.csrf.clone());
        let header_token = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = crate::body::read_limited(req.into_body()).await?;
        let form = FormData::parse(&bytes)?;
        check_csrf(expected.as_deref(), header_token.as_deref().unwrap_or_else(|| form.get(CSRF_FIELD)))?;
        Ok(Posted(form))
    }
}

/// Refuses a form whose CSRF token (header, else field) is not the session's; a caller without
/// a session token (an API bearer) has none to check.
fn check_csrf(expected: Option<&str>, sent: &str) -> Result<(), PageError> {
    match expected {
        Some(expected) if !secrets::same_secret(sent, expected) => Err(PageError(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "the form's CSRF token does not match this session",
        ))),
        _ => Ok(()),
    }
}

/// A page's multipart form with a photo (`body::PhotoForm`, the text fields in `fields` and the
/// CSRF field), its CSRF token checked as [`Posted`] checks a plain form's.
pub async fn posted_photo(req: Request, fields: &[&str]) -> Result<PhotoForm, PageError> {
    let expected = req.extensions().get::<Authed>().and_then(|a| a.csrf.clone());
    let header_token = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut accepted = vec![CSRF_FIELD];
    accepted.extend_from_slice(fields);
    let form = PhotoForm::read(req, &accepted).await?;
    check_csrf(expected.as_deref(), header_token.as_deref().or_else(|| form.field(CSRF_FIELD)).unwrap_or_default())?;
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_are_kept_for_checklists() {
        let f = FormData::parse(b"symptom=redness&symptom=pain&note=+hi+&t=").unwrap();
        assert_eq!(f.all("symptom"), vec!["redness", "pain"]);
        assert_eq!(f.get("note"), "hi");
        assert_eq!(f.opt("t"), None);
        assert!(f.has("symptom", "pain"));
    }

    #[test]
    fn a_date_without_its_box_is_refused_naming_the_date_field() {
        let t = crate::i18n::default_locale();
        let f = FormData::parse(b"concern=acne_scars&last_sunburn=2026-11-30").unwrap();
        let e = f.refuse_unticked_finding_dates(t, |c| format!("last_{c}")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("last_sunburn"));
        assert!(e.detail.contains("did not tick"), "{}", e.detail);
        let ticked = FormData::parse(b"finding=sunburn&last_sunburn=2026-11-30&last_pregnant=").unwrap();
        assert!(ticked.refuse_unticked_finding_dates(t, |c| format!("last_{c}")).is_ok());
    }

    #[test]
    fn bad_numbers_name_the_field() {
        let f = FormData::parse(b"temperature_c=hot").unwrap();
        let e = f.parsed::<f64>("temperature_c", "a temperature in °C, such as 37.2").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("temperature_c"));
        assert!(e.detail.contains("37.2"));
    }
}
