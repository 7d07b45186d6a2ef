//! Health, readiness, metrics and the API description.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::App;
use crate::clinic::ops::readiness;

/// Whether the service (and, for readiness, its database) answers.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the database does not answer.
    pub status: &'static str,
    /// The database backend (`sqlite` or `postgres`), for readiness.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

pub async fn healthz() -> Response {
    Json(Health { status: "ok", database: None }).into_response()
}

pub async fn readyz(State(app): State<Arc<App>>) -> Response {
    let ready = readiness(&app).await;
    match ready.failure {
        None => Json(Health { status: "ok", database: Some(ready.database) }).into_response(),
        Some(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "unavailable", database: Some(ready.database) }))
                .into_response()
        }
    }
}

pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    let up = readiness(&app).await.failure.is_none();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], app.metrics.render(Some(up))).into_response()
}

pub async fn openapi() -> Response {
    Json(crate::openapi::document()).into_response()
}
