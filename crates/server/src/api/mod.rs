//! The handlers, one module per part of the clinic's work. Each parses its input at the edge,
//! calls one use case of the application layer (`crate::clinic`) or the engine, and answers
//! JSON; who may call them is decided in `routes.rs`.

pub mod access;
pub mod check_ins;
pub mod clinic;
pub mod clinical;
pub mod consent;
pub mod decisions;
pub mod me;
pub mod ops;
pub mod outcomes;
pub mod patients;
pub mod photos;
pub mod queue;
pub mod reminders;
pub mod session;
pub mod setup;

use std::str::FromStr;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono_tz::Tz;
use needlepath_core::request::InputError;
use needlepath_core::suggest::nearest;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

/// A path id, parsed; a malformed one is a 404 naming nothing (it cannot exist).
pub fn id<T: FromStr>(raw: &str, what: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found(what))
}

/// 201 with the body.
pub fn created<T: Serialize>(body: T) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

/// An engine input error, as a problem naming the field.
pub fn input(e: InputError) -> ApiError {
    ApiError::invalid(e.field, e.message)
}

/// Parses an IANA time zone, suggesting the nearest name for a typo.
pub fn zone(field: &str, name: &str) -> Result<Tz, ApiError> {
    name.parse::<Tz>().map_err(|_| {
        let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()).collect();
        let hint = nearest(name, &names).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
        ApiError::invalid(field, format!("`{name}` is not an IANA time zone (for example Europe/Berlin){hint}"))
    })
}

/// A required text field: trimmed, not empty, at most `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(ApiError::invalid(field, format!("must be at most {max} characters")));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::invalid(field, "must not contain control characters"));
    }
    if v.chars().any(is_bidi_control) {
        return Err(ApiError::invalid(
            field,
            "must not contain right-to-left or left-to-right override characters (U+202A–U+202E, U+2066–U+2069)",
        ));
    }
    Ok(v.to_string())
}

/// The bidirectional embedding, override and isolate controls: a name with U+202E shows
/// staff something other than what is stored ("Ann\u{202E}gpj.exe"). The marks U+200E and U+200F,
/// which right-to-left names may need, stay allowed.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// An optional text field, as [`text`]; an empty string means absent.
pub fn opt_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

/// A plausible e-mail address (one `@`, something on both sides, a dot in the domain).
pub fn email(field: &str, value: &str) -> Result<String, ApiError> {
    let v = text(field, value, 254)?.to_lowercase();
    let ok = v.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'))
        && !v.contains(char::is_whitespace);
    if !ok {
        return Err(ApiError::invalid(field, format!("`{v}` is not an e-mail address (name@example.org)")));
    }
    Ok(v)
}

/// Deserialises an optional-with-null field: absent → `None`, `null` → `Some(None)`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    use serde::Deserialize as _;
    Option::<T>::deserialize(d).map(Some)
}
