//! Load shedding (issue 16): past a limit of requests in flight, the excess is answered at once
//! with `503 overloaded` and `Retry-After`, instead of queuing without bound (at 150 % of the
//! service's maximum every request waited longer and longer, and memory grew with the queue).
//!
//! Never shed: a patient's check-in (`POST /api/v1/me/check-ins`, `POST /me/check-in`, and staff
//! recording one for a patient) — a red flag must be answered and alerted whatever the load, so
//! check-ins wait their turn and reads are shed first — and `/healthz`, so a load balancer does
//! not take a busy but live service for a dead one.
//!
//! The limit counts requests being answered (a counter, no queue of its own): with the service
//! answering N requests a second, `max_requests_in_flight / N` bounds the wait of an accepted
//! one.

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;

use crate::App;
use crate::problem::ApiError;

/// Requests being answered now.
#[derive(Debug, Default)]
pub struct InFlight(AtomicUsize);

impl InFlight {
    pub fn now(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Decrements the count however the request ends (answered, failed, or dropped).
pub struct Turn<'a>(&'a AtomicUsize);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl InFlight {
    /// Counts a request in until the turn is dropped.
    pub fn enter(&self) -> Turn<'_> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Turn(&self.0)
    }
}

/// Whether a request is never shed (see the module docs).
pub fn never_shed(method: &Method, path: &str) -> bool {
    if path == "/healthz" {
        return true;
    }
    *method == Method::POST
        && (path == "/api/v1/me/check-ins"
            || path == "/me/check-in"
            || (path.starts_with("/api/v1/patients/") && path.ends_with("/check-ins")))
}

/// The refusal of a request past the limit (the request itself already counted in), if any.
pub fn refusal(app: &App, req: &Request) -> Option<Response> {
    let limit = app.config.max_requests_in_flight as usize;
    if limit == 0 || app.in_flight.now() <= limit || never_shed(req.method(), req.uri().path()) {
        return None;
    }
    app.metrics.record_shed();
    let e = ApiError::retry_later(
        StatusCode::SERVICE_UNAVAILABLE,
        "overloaded",
        "the service is answering as many requests as it can; try again in a moment",
        1,
    );
    Some(crate::pages::refusal(req, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_in_and_liveness_are_never_shed() {
        assert!(never_shed(&Method::POST, "/api/v1/me/check-ins"));
        assert!(never_shed(&Method::POST, "/me/check-in"));
        assert!(never_shed(&Method::POST, "/api/v1/patients/0191/check-ins"));
        assert!(never_shed(&Method::GET, "/healthz"));
        assert!(!never_shed(&Method::GET, "/api/v1/me/check-ins"));
        assert!(!never_shed(&Method::GET, "/me"));
        assert!(!never_shed(&Method::GET, "/readyz"));
    }
}
