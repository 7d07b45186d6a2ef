//! Reading values the service itself stored as JSON (engine results, message payloads): dates
//! and instants written as text. Shared by the pages, the reminder renderer and the calendar
//! feed, so the worker and the feed need not import the pages for them.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

/// A date stored in a result (`"2026-03-01"`).
pub fn date_json(v: &Value) -> Option<NaiveDate> {
    v.as_str().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

/// An instant stored in a result or a payload (RFC 3339).
pub fn instant_json(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|d| d.with_timezone(&Utc))
}
