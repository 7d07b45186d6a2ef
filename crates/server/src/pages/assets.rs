//! The stylesheet, script and icon, compiled into the binary: no CDN, no build step.
//!
//! Links carry `?v=<hash of the assets>`, so a fingerprinted URL can be cached for a year and a
//! new release is fetched at once; an unversioned request is revalidated by its ETag.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::problem::ApiError;

/// Name, content type, content.
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("../../assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../assets/app.js")),
    ("icon.svg", "image/svg+xml", include_str!("../../assets/icon.svg")),
];

/// A short hash of all assets together: the `v` of every asset link.
pub fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let mut h = Sha256::new();
        for (name, _, body) in ASSETS {
            h.update(name.as_bytes());
            h.update(body.as_bytes());
        }
        h.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect()
    })
}

/// The size in bytes of every asset a page loads (for the page-weight budget).
pub fn total_bytes() -> usize {
    ASSETS.iter().map(|(_, _, b)| b.len()).sum()
}

pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some((_, kind, body)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return ApiError::not_found("asset").into_response();
    };
    let etag = format!("\"{}\"", version());
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut res = (*body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    res
}
