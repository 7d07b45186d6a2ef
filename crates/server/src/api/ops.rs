//! Health, readiness, metrics and the API description.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::App;
use crate::clinic::ops::readiness;

pub async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

pub async fn readyz(State(app): State<Arc<App>>) -> Response {
    let ready = readiness(&app).await;
    match ready.failure {
        None => Json(json!({ "status": "ok", "database": ready.database })).into_response(),
        Some(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": ready.database })))
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
