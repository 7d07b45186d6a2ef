//! The one middleware in front of every route (issue 16): load shedding (`overload.rs`), the
//! refusal of what no route can read, the security headers, and the count and access-log line
//! of each answer. They were four layers, each boxing the request's future once more.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::App;
use crate::problem::ApiError;

pub async fn front(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let api = req.uri().path().starts_with("/api/");
    // A shared string: cloning it allocates nothing on the way of every request.
    let route = req.extensions().get::<axum::extract::MatchedPath>().cloned();
    let _turn = app.in_flight.enter();
    let refusal = crate::overload::refusal(&app, &req).or_else(|| unreadable(&req));
    let mut res = match refusal {
        Some(refused) => refused,
        None => next.run(req).await,
    };
    security_headers(&mut res, api);
    // Counted and logged by its route template — never the raw URI, whose query may hold an
    // invite or setup token.
    let status = res.status().as_u16();
    app.metrics.record_status(status);
    if app.config.access_log {
        let route = route.as_ref().map_or("(unmatched)", |p| p.as_str());
        tracing::info!(%method, route, status, ms = started.elapsed().as_millis() as u64, "request");
    }
    res
}

/// Refuses, as problem+json, what no route can read: a body declared larger than
/// [`crate::body::MAX_BODY`] ([`crate::body::MAX_PHOTO_BODY`] on the photo uploads) (413; a body that grows past it while read is refused where it is
/// read) and a path whose percent-encoding is not UTF-8 (400). Before, both were answered in
/// plain text (issue 14).
fn unreadable(req: &Request) -> Option<Response> {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let route = req.extensions().get::<axum::extract::MatchedPath>().map(|p| p.as_str());
    let limit = crate::body::max_body_for(req.method(), route);
    if declared.is_some_and(|n| n > limit as u64) {
        return Some(if limit == crate::body::MAX_BODY {
            crate::body::too_large_body().into_response()
        } else {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the upload must be at most {limit} bytes (a photo of at most 20 MiB)"),
            )
            .for_field("photo")
            .into_response()
        });
    }
    if !decodes_to_utf8(req.uri().path()) {
        return Some(
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_path",
                "the path's percent-encoding is not UTF-8; see /api/v1/openapi.json for the routes",
            )
            .into_response(),
        );
    }
    None
}

/// Whether a path's percent-encoded bytes decode to UTF-8 (a `%` not followed by two hex digits
/// is taken as itself, as the router does).
fn decodes_to_utf8(path: &str) -> bool {
    let raw = path.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (raw[i], raw.get(i + 1).copied().and_then(hex), raw.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(0));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&out).is_ok()
}

/// Headers every answer carries: no sniffing, no framing, no referrer leaking a token in a
/// link, and no caching of API answers (they hold health data).
fn security_headers(res: &mut Response, api: bool) {
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // `same-origin`: our own pages get the referrer (and browsers then send a real `Origin` on
    // our forms, which the same-origin check needs; `no-referrer` makes it `null`), other sites
    // get nothing, so a token in a URL never leaves the site.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'"));
    if api {
        h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    }
}
