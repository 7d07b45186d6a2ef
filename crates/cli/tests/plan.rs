//! End-to-end tests of `needlepath plan` against the contract: every answer validates against
//! `plan-result.schema.json`, sessions follow the interval rule, and pre-care follows findings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::too_many_lines)]

mod common;

use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use common::spec::*;

fn add(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_add_days(Days::new(days)).expect("date in range")
}

fn sub(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(days)).expect("date in range")
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

#[test]
fn plan_results_follow_the_contract() {
    // (name, request, planned sessions, interval min, interval max)
    let cases: Vec<(&str, Value, usize, u64, u64)> = vec![
        ("defaults", json!({"concern": "acne_scars", "start": "2026-01-05"}), 3, 28, 42),
        ("grade 1", json!({"concern": "acne_scars", "scar_grade": 1, "start": "2026-01-05"}), 3, 28, 42),
        ("grade 2", json!({"concern": "acne_scars", "scar_grade": 2, "start": "2026-01-05"}), 3, 28, 42),
        (
            "grade 3 with price",
            json!({"concern": "acne_scars", "scar_grade": 3, "start": "2026-01-05", "price_per_session": 250, "currency": "EUR"}),
            4,
            28,
            42,
        ),
        (
            "grade 4 with price, no currency",
            json!({"concern": "acne_scars", "scar_grade": 4, "start": "2026-02-27", "price_per_session": 199.99}),
            6,
            28,
            42,
        ),
        (
            "clinician's short interval",
            json!({"concern": "acne_scars", "scar_grade": 3, "start": "2026-01-05", "interval_weeks": 2}),
            4,
            14,
            28,
        ),
        (
            "clinician's long interval and session count",
            json!({"concern": "stretch_marks", "start": "2026-12-20", "interval_weeks": 6, "sessions": 5}),
            5,
            42,
            56,
        ),
        (
            "anticoagulant and cold sores add pre-care",
            json!({"concern": "acne_scars", "scar_grade": 2, "start": "2026-03-02", "findings": ["anticoagulant", {"code": "cold_sore_history"}]}),
            3,
            28,
            42,
        ),
        (
            "pregnant: the screening blocks the start",
            json!({"concern": "acne_scars", "start": "2026-03-02", "findings": ["pregnant"], "price_per_session": 0, "currency": "USD"}),
            3,
            28,
            42,
        ),
        (
            "recent sunburn: the screening blocks the start",
            json!({"concern": "acne_scars", "start": "2026-03-02", "findings": [{"code": "sunburn", "last": "2026-02-25"}]}),
            3,
            28,
            42,
        ),
        ("one session", json!({"concern": "hair_loss", "start": "2024-02-29", "sessions": 1}), 1, 28, 42),
        (
            "twenty sessions",
            json!({"concern": "acne_scars", "start": "2026-01-31", "sessions": 20, "interval_weeks": 26}),
            20,
            182,
            196,
        ),
    ];
    for (name, req, planned, min, max) in cases {
        let out = plan(&req);
        let sessions = out["sessions"].as_array().expect("sessions");
        assert_eq!(sessions.len(), planned, "{name}: number of sessions\n{out:#}");
        assert!(
            same(&out["interval_days"], &json!({"min": min, "max": max})),
            "{name}: interval_days {}",
            out["interval_days"]
        );
        let start = date(&req["start"]);
        assert_eq!(date(&sessions[0]["earliest"]), start, "{name}: session 1 is on the start day");
        assert_eq!(date(&sessions[0]["latest"]), start, "{name}: session 1 is on the start day");
        for (i, s) in sessions.iter().enumerate() {
            assert_eq!(s["number"], i + 1, "{name}: numbering");
            if i > 0 {
                let prev = date(&sessions[i - 1]["earliest"]);
                assert_eq!(date(&s["earliest"]), add(prev, min), "{name}: session {} earliest", i + 1);
                assert_eq!(date(&s["latest"]), add(prev, max), "{name}: session {} latest", i + 1);
            }
            for step in s["pre_care"].as_array().expect("pre_care") {
                let days = step["days_before"].as_u64().expect("days_before");
                assert_eq!(date(&step["from"]), sub(date(&s["earliest"]), days), "{name}: pre-care {step}");
            }
        }
        match req.get("price_per_session") {
            Some(price) => {
                let cost = &out["estimated_cost"];
                let total = price.as_f64().expect("price") * planned as f64;
                assert!((cost["total"].as_f64().expect("total") - total).abs() < 0.005, "{name}: total {cost}");
                assert_eq!(cost.get("currency"), req.get("currency"), "{name}: currency {cost}");
            }
            None => {
                assert!(out.get("estimated_cost").is_none_or(Value::is_null), "{name}: cost without a price\n{out:#}")
            }
        }
        let notes: Vec<&str> =
            out["notes"].as_array().map(|n| n.iter().filter_map(|x| x["code"].as_str()).collect()).unwrap_or_default();
        assert_eq!(notes.contains(&"short_interval"), min < 28, "{name}: short_interval note {notes:?}");
        let blocked = matches!(out["screening"]["decision"].as_str(), Some("defer" | "not_eligible"));
        assert_eq!(notes.contains(&"screening_blocks_start"), blocked, "{name}: screening note {notes:?}");
    }
}

#[test]
fn plan_pre_care_depends_on_findings() {
    let codes = |out: &Value| -> Vec<String> {
        out["sessions"][0]["pre_care"]
            .as_array()
            .expect("pre_care")
            .iter()
            .map(|s| s["code"].as_str().expect("code").to_owned())
            .collect()
    };
    let plain = plan(&json!({"concern": "acne_scars", "start": "2026-03-02"}));
    let with = plan(
        &json!({"concern": "acne_scars", "start": "2026-03-02", "findings": ["anticoagulant", "cold_sore_history"]}),
    );
    for code in ["anticoagulant_prescriber", "antiviral_prophylaxis"] {
        assert!(!codes(&plain).contains(&code.to_owned()), "{code} without its finding");
        assert!(codes(&with).contains(&code.to_owned()), "{code} missing with its finding");
    }
}
