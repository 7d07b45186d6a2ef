//! What a queued message carries for the worker to write it later: typed, written and read by
//! this one type. Everything a message says was true when it was scheduled; nothing is read back
//! by string key with a guess for what is missing. A payload that does not read fails its
//! message (a dead letter staff see), never sends a guess.

use chrono::{DateTime, Utc};
use needlepath_core::vocabulary::Disposition;
use needlepath_store::PatientId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One care step of a reminder, with its sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub code: String,
    pub at: DateTime<Utc>,
    pub message: String,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// A message's payload. `link` is the page the message leads to (a path of this site).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    pub link: String,
    /// The reminder kind (`check_in`, `pre_care`, …) or `alert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The webhook event an alert message raises (`alert.opened`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// When the first step is (a check-in's time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_at: Option<DateTime<Utc>>,
    /// The appointment a pre-care or appointment reminder is about, and its length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Step>,
    /// Until when an invite or sign-in link works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// An alert's disposition, deadline and patient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Disposition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<PatientId>,
    /// A login warning's count of wrong passwords.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
}

impl Payload {
    /// A payload leading to `link`, with nothing else yet.
    pub fn to(link: impl Into<String>) -> Self {
        Self {
            link: link.into(),
            kind: None,
            event: None,
            event_at: None,
            session_at: None,
            minutes: None,
            items: Vec::new(),
            expires_at: None,
            disposition: None,
            deadline_at: None,
            patient_id: None,
            attempts: None,
        }
    }

    /// As the outbox stores it.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// A stored payload, read; the error names the field that does not read.
    pub fn read(v: &Value) -> Result<Self, String> {
        Payload::deserialize(v).map_err(|e| {
            // serde names the value, not where it is: try each field alone to name it.
            let field = v.as_object().and_then(|o| {
                o.iter()
                    .find(|(k, value)| {
                        let mut alone = serde_json::Map::new();
                        alone.insert("link".into(), Value::String(String::new()));
                        alone.insert((*k).clone(), (*value).clone());
                        Payload::deserialize(&Value::Object(alone)).is_err()
                    })
                    .map(|(k, _)| k.clone())
            });
            match field {
                Some(f) => format!("the message's payload does not read: `{f}`: {e}"),
                None => format!("the message's payload does not read: {e}"),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_payload_reads_back_as_written_and_a_broken_one_is_named() {
        let mut p = Payload::to("/staff/patients/x");
        p.kind = Some("alert".into());
        p.disposition = Some(Disposition::Emergency);
        assert_eq!(Payload::read(&p.to_value()).unwrap(), p);
        let e = Payload::read(&json!({ "link": "/staff", "disposition": "bad" })).unwrap_err();
        assert!(e.contains("bad") && e.contains("`disposition`"), "{e}");
        let e = Payload::read(&json!({ "link": "/staff", "disposition": 3 })).unwrap_err();
        assert!(e.contains("`disposition`"), "{e}");
        assert!(Payload::read(&json!({ "items": [] })).unwrap_err().contains("link"));
    }
}
