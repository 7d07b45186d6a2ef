//! Health, readiness, metrics and the API description.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::App;

pub async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

pub async fn readyz(State(app): State<Arc<App>>) -> Response {
    match app.store.ping().await {
        Ok(()) => Json(json!({ "status": "ok", "database": app.store.backend() })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": app.store.backend() })))
                .into_response()
        }
    }
}

pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    let up = app.store.ping().await.is_ok();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], app.metrics.render(Some(up))).into_response()
}

pub async fn openapi() -> Response {
    Json(crate::openapi::document()).into_response()
}
