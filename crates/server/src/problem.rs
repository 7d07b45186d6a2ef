//! API errors as `application/problem+json` (RFC 9457) with a stable snake_case `code`, and the
//! offending `field` when the fault is in the input.
//!
//! Nothing here ever carries health data or secrets: a problem says what kind of thing went
//! wrong and, for bad input, where.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use needlepath_store::{Blocker, StoreError};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub field: Option<String>,
    pub extra: Option<Value>,
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self { status, code, detail: detail.into(), field: None, extra: None, retry_after: None }
    }

    /// Bad input in `field`: 422 `invalid_input`.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { field: Some(field.into()), ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", detail) }
    }

    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    /// Names the field the problem is about (a 413 on an upload names the file's field).
    pub fn for_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    pub fn with_extra(mut self, extra: Value) -> Self {
        self.extra = Some(extra);
        self
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "log in first: this needs a staff or patient session, or an API token",
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    /// A refusal that says when to come back (`Retry-After`, in seconds): a limit reached
    /// (429) or a busy or full service (503).
    pub fn retry_later(status: StatusCode, code: &'static str, detail: impl Into<String>, seconds: u64) -> Self {
        Self { retry_after: Some(seconds), ..Self::new(status, code, detail) }
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong on our side; nothing was changed by this request",
        )
    }

    fn title(&self) -> &'static str {
        self.status.canonical_reason().unwrap_or("Error")
    }
}

/// The body of every API error, as served (`application/problem+json`); the OpenAPI document's
/// `Problem` schema is derived from it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    /// Stable snake_case error code.
    pub code: &'static str,
    pub detail: String,
    /// The offending field, for input errors (e.g. symptoms[1].code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What some problems add (`blockers`, `problems`), merged into the body.
    #[serde(flatten)]
    #[schemars(schema_with = "extra_schema")]
    pub extra: Map<String, Value>,
}

/// The members a problem may add: written by hand, as the code that adds them builds them as
/// JSON ([`blocker_json`], the clinic protocol's refusal).
fn extra_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "properties": {
            "blockers": {
                "type": "array",
                "description": "For `session_blocked`: each blocker with its `code`, `key` (what an override names), `message`, `overridable` and `override_by`.",
                "items": { "type": "object", "required": ["code", "key", "message", "overridable"], "properties": {
                    "code": { "type": "string" }, "key": { "type": "string" }, "message": { "type": "string" },
                    "overridable": { "type": "boolean" }, "override_by": { "type": ["string", "null"] } } }
            },
            "problems": {
                "type": "array",
                "description": "For a clinic protocol that is refused: each problem with its `line`, `column` and `message`.",
                "items": { "type": "object", "properties": {
                    "line": { "type": ["integer", "null"] }, "column": { "type": ["integer", "null"] }, "message": { "type": "string" } } }
            }
        }
    })
}

impl ApiError {
    /// The problem document this error answers with.
    pub fn problem(&self) -> Problem {
        let mut extra = match &self.extra {
            Some(Value::Object(map)) => map.clone(),
            _ => Map::new(),
        };
        // No extra names a fixed member (they add `blockers`, `problems`); should one ever, the
        // fixed member stands, so the body cannot carry a key twice.
        for fixed in ["type", "title", "status", "code", "detail", "field"] {
            extra.remove(fixed);
        }
        Problem {
            kind: format!("https://needlepath.invalid/problems/{}", self.code),
            title: self.title(),
            status: self.status.as_u16(),
            code: self.code,
            detail: self.detail.clone(),
            field: self.field.clone(),
            extra,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_string(&self.problem()).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// A blocker as the API lists it: its fields, its key (what an override names), its words and
/// whether (and by whom) it may be overridden.
pub fn blocker_json(b: &Blocker) -> Value {
    let mut v = serde_json::to_value(b).unwrap_or_else(|_| json!({ "code": b.code() }));
    if let Some(obj) = v.as_object_mut() {
        obj.insert("key".into(), Value::String(b.key()));
        obj.insert("message".into(), Value::String(b.to_string()));
        obj.insert("overridable".into(), Value::Bool(b.overridable()));
        obj.insert("override_by".into(), if b.overridable() { json!("practitioner") } else { Value::Null });
    }
    v
}

/// The application layer's errors as problems: the one mapping for the JSON API.
impl From<crate::clinic::ClinicError> for ApiError {
    fn from(e: crate::clinic::ClinicError) -> Self {
        use crate::clinic::ClinicError as E;
        match e {
            E::Invalid { field, message } => ApiError::invalid(field, message),
            E::Forbidden(m) => ApiError::forbidden(m),
            e @ E::NoSession => ApiError::new(StatusCode::CONFLICT, "no_session", e.to_string()),
            e @ E::TrendMissing(_) => ApiError::invalid("symptoms", e.to_string()),
            // The limit counts the last hour; a few minutes frees a turn.
            e @ E::TooManyCheckIns { .. } => {
                ApiError::retry_later(StatusCode::TOO_MANY_REQUESTS, "too_many_check_ins", e.to_string(), 300)
            }
            E::ConsentNeeded { kind, message } => ApiError::new(StatusCode::CONFLICT, "consent_required", message)
                .with_extra(json!({ "consent": kind.as_str() })),
            E::Store(e) => e.into(),
            E::Refused(e) => *e,
            E::Unexpected(m) => {
                tracing::error!(error = %m, "unexpected state");
                ApiError::internal()
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::InvalidToken => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_token",
                "the link or token is invalid, expired or already used",
            ),
            StoreError::InvalidState(m) => ApiError::new(StatusCode::CONFLICT, "invalid_state", m),
            StoreError::SessionBlocked(blockers) => {
                let overridable = blockers.iter().all(Blocker::overridable);
                let how = if overridable {
                    "; a practitioner may record it anyway with override_blockers (the keys) and override_reason (why it is safe now, at least a sentence)"
                } else {
                    "; not every blocker can be overridden (see each blocker's `overridable`)"
                };
                ApiError::new(
                    StatusCode::CONFLICT,
                    "session_blocked",
                    format!("{}{how}", StoreError::SessionBlocked(blockers.clone())),
                )
                .with_extra(json!({ "blockers": blockers.iter().map(blocker_json).collect::<Vec<_>>() }))
            }
            // The store's copy of the clinical-role rule: the same answer as the route table's.
            e @ StoreError::Forbidden(_) => ApiError::forbidden(e.to_string()),
            StoreError::OverrideNotAllowed => ApiError::new(
                StatusCode::FORBIDDEN,
                "override_not_allowed",
                "only a practitioner may record a session over blockers",
            ),
            StoreError::OverrideRefused { field, message } => ApiError::invalid(field, message),
            e if e.is_disk_full() => {
                tracing::error!(error = %e, "the database's disk is full");
                ApiError::retry_later(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "disk_full",
                    "the service cannot save anything now: its disk is full. Nothing was changed by this request; if you are unwell, call the clinic, or emergency services in an emergency",
                    60,
                )
            }
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::retry_later(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is busy; try again shortly",
                    1,
                )
            }
            e => {
                tracing::error!(error = %e, "store error");
                ApiError::internal()
            }
        }
    }
}
