//! The service's own state for operators: whether the database answers (readiness, metrics),
//! and the sweep that raises follow-ups for missed check-ins. No patient's data is read here.

use chrono::{DateTime, Utc};

use crate::App;
use crate::clinic::ClinicResult;

/// Whether the database answers a round trip, and which backend it is.
pub struct Readiness {
    pub database: &'static str,
    /// The failure, when it does not answer.
    pub failure: Option<String>,
}

/// How long `/readyz` waits for the database.
const READINESS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Asks the database for a cheap round trip.
pub async fn readiness(app: &App) -> Readiness {
    let store = app.records.store();
    // A probe that hangs is no answer: a database that does not answer within this bound is
    // reported not ready (the pool alone would retry a refused connection for seconds).
    let failure = match tokio::time::timeout(READINESS_TIMEOUT, store.ping()).await {
        Ok(answer) => answer.err().map(|e| e.to_string()),
        Err(_) => Some(format!("the database did not answer within {} s", READINESS_TIMEOUT.as_secs())),
    };
    Readiness { database: store.backend(), failure }
}

/// Raises a follow-up for every patient silent past a scheduled check-in's grace period, as of
/// `now`; how many were raised.
pub async fn raise_missed_check_ins(app: &App, now: DateTime<Utc>) -> ClinicResult<u64> {
    Ok(app.records.store().raise_missed_check_ins(now).await?)
}
