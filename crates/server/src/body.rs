//! Request bodies: JSON only, parsed with the path of the offending field in every error.
//!
//! axum's own `Json` rejects bad input with plain text and no field; here every failure is a
//! problem document: 415 for a body that is not JSON, 400 for malformed JSON, 422 naming the
//! field for a missing, unknown or mistyped one.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::problem::ApiError;

/// The largest JSON body accepted (a check-in or screening is a few kilobytes).
pub const MAX_BODY: usize = 64 * 1024;

/// Reads a request body of at most [`MAX_BODY`] bytes. Too large is 413 `body_too_large`; a body
/// that cannot be read (a malformed chunked encoding, a connection that ends early) is 400
/// `malformed_body`, not 413 (issue 14: every failure was reported as too large). A body that
/// does not arrive in full within the body deadline (`listen.rs`) is 408 `request_timeout`.
pub async fn read_limited(body: axum::body::Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        let inner = e.into_inner();
        let too_large = inner.downcast_ref::<http_body_util::LengthLimitError>().is_some();
        if too_large {
            too_large_body()
        } else if let Some(t) = crate::listen::BodyTimedOut::find(&*inner) {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!(
                    "the body did not arrive in time: it must arrive in full within {} s of the headers",
                    t.after.as_secs()
                ),
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_body",
                "the body could not be read: a malformed chunked encoding, or the connection ended early",
            )
        }
    })
}

/// 413 `body_too_large`, as problem+json.
pub fn too_large_body() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", format!("the body must be at most {MAX_BODY} bytes"))
}

/// A JSON body of type `T`.
pub struct Body<T>(pub T);

/// A JSON body as a raw value, for the engine's own parsers (which name fields themselves).
pub struct RawBody(pub Value);

async fn json_value<S: Send + Sync>(req: Request, state: &S) -> Result<Value, ApiError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let mime = v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false);
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be JSON, sent with Content-Type: application/json",
        ));
    }
    let _ = state;
    let bytes = read_limited(req.into_body()).await?;
    json_from_slice(&bytes)
}

/// The bytes of a JSON body as a value, each whole number as an integer ([`whole_numbers`]).
pub(crate) fn json_from_slice(bytes: &[u8]) -> Result<Value, ApiError> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", format!("the body is not valid JSON: {e}"))
    })?;
    whole_numbers(&mut value);
    Ok(value)
}

/// A number with no fractional part read as the integer it is: JSON (and the OpenAPI document's
/// `integer`) does not tell `6` from `6.0`, and a client that writes every number as a float
/// must not have a skin type of `6.0` refused (found by schemathesis, issue 14).
fn whole_numbers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9_007_199_254_740_992.0
            {
                // Exact: a whole number below 2^53 converts without loss.
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                *v = Value::from(i);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        json_value(req, state).await.map(RawBody)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = json_value(req, state).await?;
        parse(value).map(Body)
    }
}

/// Deserialises `value`, naming the field that failed.
pub fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = if path == "." { missing_field(&inner).unwrap_or_else(|| "body".into()) } else { path };
        ApiError::invalid(field, inner)
    })
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// Query parameters of type `T`; a bad one is a 422 naming the parameter.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded_deserializer(query);
        de.map(QueryParams)
    }
}

fn serde_urlencoded_deserializer<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{query}").parse().map_err(|_| ApiError::invalid("query", "the query string is not valid"))?,
    )
    .map(|q| q.0)
    .map_err(|e| {
        let text = e.body_text();
        let detail = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text).to_string();
        let field = detail
            .split('`')
            .nth(1)
            .filter(|_| detail.starts_with("unknown field") || detail.starts_with("missing field"))
            .unwrap_or("query")
            .to_string();
        let field = if field == "query" {
            detail.split(':').next().filter(|f| !f.contains(' ')).unwrap_or("query").to_string()
        } else {
            field
        };
        ApiError::invalid(field, detail)
    })
}

#[cfg(test)]
mod whole_number_tests {
    use super::*;

    #[test]
    fn a_whole_number_written_as_a_float_is_read_as_an_integer() {
        let mut v = serde_json::json!({ "fitzpatrick": 6.0, "days": [1.0, 3], "t": 38.5, "big": 1e300 });
        whole_numbers(&mut v);
        assert_eq!(v, serde_json::json!({ "fitzpatrick": 6, "days": [1, 3], "t": 38.5, "big": 1e300 }));
        let f: u8 = parse(v["fitzpatrick"].clone()).unwrap();
        assert_eq!(f, 6);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        depth: f64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        items: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Page {
        limit: Option<u32>,
    }

    #[test]
    fn bad_query_parameters_are_named() {
        let e = serde_urlencoded_deserializer::<Page>("limit=abc").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("limit"), "{}", e.detail);
        assert!(serde_urlencoded_deserializer::<Page>("limit=5").unwrap().limit == Some(5));
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse::<Outer>(serde_json::json!({"name": "a", "items": [{"depth": "x"}]})).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("items[0].depth"));
        let e = parse::<Outer>(serde_json::json!({"items": []})).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        let e = parse::<Outer>(serde_json::json!({"name": "a", "items": [], "extra": 1})).unwrap_err();
        assert!(e.detail.contains("unknown field `extra`"), "{}", e.detail);
    }
}

/// The largest photo upload body: a photo of 20 MiB (`photos::PhotoLimits`) and the form's
/// other fields and boundaries.
pub const MAX_PHOTO_BODY: usize = 20 * 1024 * 1024 + 64 * 1024;

/// The routes that take a photo (multipart/form-data), whose bodies may be up to
/// [`MAX_PHOTO_BODY`]; every other route keeps [`MAX_BODY`].
pub const PHOTO_UPLOAD_ROUTES: [&str; 6] = [
    "/api/v1/patients/{id}/photos",
    "/api/v1/me/photos",
    "/staff/patients/{id}/photos",
    "/me/check-ins/{check_in_id}/photo",
    "/api/v1/patients/{id}/consents/{consent_id}/scan",
    "/staff/patients/{id}/consent/{consent_id}/scan",
];

/// The largest body a request to `route` (its template) with `method` may carry.
pub fn max_body_for(method: &axum::http::Method, route: Option<&str>) -> usize {
    match route {
        Some(r) if method == axum::http::Method::POST && PHOTO_UPLOAD_ROUTES.contains(&r) => MAX_PHOTO_BODY,
        _ => MAX_BODY,
    }
}

/// A multipart/form-data body with one file, `photo`, and short text fields, read as a problem
/// naming the field on every failure: 415 for another media type, 413 past
/// [`MAX_PHOTO_BODY`], 400 for a body that is not well-formed multipart, 422 for an unknown,
/// repeated or overlong field.
#[derive(Debug, Default)]
pub struct PhotoForm {
    /// The `photo` file's bytes, if sent.
    pub photo: Option<Vec<u8>>,
    /// The text fields, by name.
    pub fields: std::collections::BTreeMap<String, String>,
}

/// The longest text field of a photo form, in bytes.
const MAX_FORM_FIELD: usize = 200;

impl PhotoForm {
    /// Reads the form, accepting only `photo` and the text fields named in `fields`.
    pub async fn read(req: Request, fields: &[&str]) -> Result<Self, ApiError> {
        use axum::extract::Multipart;
        let accepted = || {
            let mut names = vec!["photo"];
            names.extend_from_slice(fields);
            names.join(", ")
        };
        let mut multipart = Multipart::from_request(req, &()).await.map_err(|_| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "the body must be multipart/form-data with the file in the field `photo` (fields: {})",
                    accepted()
                ),
            )
        })?;
        let unreadable = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    format!("the upload must be at most {MAX_PHOTO_BODY} bytes (a photo of at most 20 MiB)"),
                )
                .for_field("photo")
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_body",
                    format!("the multipart body could not be read: {}", e.body_text()),
                )
            }
        };
        let mut form = PhotoForm::default();
        while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "photo" {
                if form.photo.is_some() {
                    return Err(ApiError::invalid("photo", "send one photo per upload"));
                }
                form.photo = Some(field.bytes().await.map_err(unreadable)?.to_vec());
            } else if fields.contains(&name.as_str()) {
                let value = field.bytes().await.map_err(unreadable)?;
                if value.len() > MAX_FORM_FIELD {
                    return Err(ApiError::invalid(name, format!("at most {MAX_FORM_FIELD} bytes are accepted")));
                }
                let Ok(text) = String::from_utf8(value.to_vec()) else {
                    return Err(ApiError::invalid(name, "text (UTF-8) is accepted"));
                };
                if form.fields.insert(name.clone(), text.trim().to_owned()).is_some() {
                    return Err(ApiError::invalid(name, "given twice; send it once"));
                }
            } else {
                let shown: String = name.chars().filter(|c| !c.is_control()).take(60).collect();
                return Err(ApiError::invalid(shown, format!("unknown field; accepted: {}", accepted())));
            }
        }
        Ok(form)
    }

    /// The text field `name`, if given and not blank.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
}
