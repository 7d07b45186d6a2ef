//! The text form of the answers, end to end: what a person reads when `--json` is not given.
//!
//! Every test runs the real binary. The decision comes first (an emergency opens with the call to
//! emergency services), and each statement is printed with its sources.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::too_many_lines)]

mod common;

use serde_json::json;

use common::run_text;

#[test]
fn text_answers_put_the_decision_first() {
    let timed = json!({"concern": "acne_scars", "scar_type": "atrophic", "as_of": "2026-11-21",
                       "findings": [{"code": "sunburn", "last": "2026-11-18"}]});
    let text = run_text(&["screen"], &timed.to_string());
    let first = text.lines().next().unwrap_or_default();
    assert!(first.starts_with("Decision:") && first.contains("DEFER"), "first line: {first}\n{text}");
    assert!(first.contains("2026-12-02"), "the deferral date belongs on the decision line: {first}");
    assert!(text.contains("Sources:"), "each reason is printed with its sources:\n{text}");

    let ok = json!({"concern": "acne_scars", "as_of": "2026-11-21"});
    let first = run_text(&["screen", "-"], &ok.to_string()).lines().next().unwrap_or_default().to_owned();
    assert!(first.starts_with("Decision:") && first.contains("ELIGIBLE"), "first line: {first}");

    let not = json!({"concern": "acne_scars", "as_of": "2026-11-21", "findings": ["previous_session_reaction"]});
    let first = run_text(&["screen"], &not.to_string()).lines().next().unwrap_or_default().to_owned();
    assert!(first.starts_with("Decision:") && first.contains("NOT ELIGIBLE"), "first line: {first}");
}

#[test]
fn an_emergency_opens_with_the_call_to_emergency_services() {
    for req in [
        json!({"hours_since_treatment": 2, "symptoms": [{"code": "redness"}, {"code": "throat_tightness"}]}),
        json!({"hours_since_treatment": 1, "symptoms": [{"code": "mouth_numbness", "severity": "mild"}]}),
        json!({"hours_since_treatment": 5, "symptoms": [{"code": "hives"}, {"code": "faintness"}]}),
    ] {
        let text = run_text(&["triage"], &req.to_string());
        assert_eq!(text.lines().next(), Some("CALL EMERGENCY SERVICES NOW."), "{req}:\n{text}");
    }
    let calm = json!({"hours_since_treatment": 30, "symptoms": [{"code": "redness", "severity": "mild"}]});
    let text = run_text(&["triage"], &calm.to_string());
    assert!(!text.contains("CALL EMERGENCY SERVICES"), "no emergency, no call:\n{text}");
    assert!(text.lines().next().unwrap_or_default().contains("SELF CARE"), "decision first:\n{text}");
}

#[test]
fn can_i_text_prints_the_answer() {
    let cases = [("makeup", "6", "NO"), ("makeup", "30", "YES WITH CONDITIONS"), ("makeup", "100", "YES")];
    for (activity, hours, answer) in cases {
        let text = run_text(&["can-i", activity, "--hours", hours], "");
        let first = text.lines().next().unwrap_or_default();
        assert!(first.starts_with(activity), "{activity} {hours}: {first}");
        assert!(first.ends_with(&format!(": {answer}")), "{activity} {hours}: expected {answer} in '{first}'");
        assert!(text.contains("Sources:"), "{activity} {hours}: sources\n{text}");
    }
    let text = run_text(&["can-i", "makeup", "--hours", "6"], "");
    assert!(text.contains("24 h"), "a 'no' says from when it is allowed:\n{text}");
}
