//! The contract's four decisions (`docs/spec/*-request.schema.json`: screening, triage, can-I,
//! plan) as the JSON API reads them: any bytes are read as a JSON body (`body::RawBody`, whole
//! numbers as integers), then by each request's parser; whatever parses is decided by the
//! built-in protocol, and the result is serialised as the API answers it. None of it may panic,
//! a refusal always names a field, and a result always serialises (the API would answer 500).
//!
//! A check-in the strict reading refuses is salvaged as the check-in service does when it names
//! a warning sign, and that salvaged check-in is triaged too.

#![no_main]

use std::sync::OnceLock;

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use needlepath_core::Protocol;
use needlepath_core::request::{CheckIn, PlanRequest, ScreeningRequest};
use needlepath_core::{can_i, plan, screening, triage};
use needlepath_server::fuzzing;
use serde_json::Value;

fn builtin() -> &'static Protocol {
    static BASE: OnceLock<Protocol> = OnceLock::new();
    BASE.get_or_init(|| Protocol::builtin().expect("the built-in protocol loads"))
}

/// A refusal says what is wrong and where: its field is named (an unknown field by its own
/// name, which is empty only when the body has a field named "").
fn names_a_field(body: &Value, field: &str, message: &str) {
    assert!(!message.trim().is_empty(), "a refusal without a message at {field:?}");
    let empty_key = body.as_object().is_some_and(|o| o.contains_key(""));
    assert!(!field.is_empty() || empty_key, "a refusal naming no field: {message}");
}

fn serialises<T: serde::Serialize>(what: &str, v: &T) {
    if let Err(e) = serde_json::to_string(v) {
        panic!("the {what} result does not serialise: {e}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = fuzzing::json_body(data) else { return };
    let p = builtin();
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("a real date");

    match ScreeningRequest::from_json(&body, today) {
        Ok(req) => {
            let r = screening::screen(p, &req);
            assert_eq!(r.as_of, req.as_of);
            serialises("screening", &r);
        }
        Err(e) => names_a_field(&body, &e.field, &e.message),
    }

    match CheckIn::from_json(&body) {
        Ok(c) => {
            let r = triage::triage(p, &c);
            assert!(r.assessments.len() >= c.symptoms.len());
            serialises("triage", &r);
        }
        Err(e) => {
            names_a_field(&body, &e.field, &e.message);
            if let Some(s) = CheckIn::salvage(&body, |s| p.symptom(s).is_warning_sign()) {
                assert!(!s.unread.is_empty(), "a salvaged check-in says what was left out");
                assert!(s.check_in.symptoms.iter().any(|r| p.symptom(r.symptom).is_warning_sign()));
                serialises("salvaged triage", &triage::triage(p, &s.check_in));
            }
        }
    }

    match PlanRequest::from_json(&body) {
        Ok(req) => {
            let r = plan::plan(p, &req);
            serialises("plan", &r);
        }
        Err(e) => names_a_field(&body, &e.field, &e.message),
    }

    match fuzzing::can_i_request(&body) {
        Ok(req) => {
            let r = can_i::can_i(p, &req);
            assert!(r.hours_since_treatment.is_finite());
            serialises("can-I", &r);
        }
        Err(e) => names_a_field(&body, e.field.as_deref().unwrap_or_default(), &e.detail),
    }
});
