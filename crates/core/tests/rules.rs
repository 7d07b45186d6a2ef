//! Clinical rules as case tables (`tests/cases/*.json`), run against the built-in protocol.
//!
//! Every case says what the rule is and where it comes from (`why`: a section of
//! `docs/sources/clinical-research.md` or a contract example), gives a contract request and the
//! expected outcome. All cases run; every mismatch is collected and the test fails once, listing
//! each failing case with what was expected and what the engine gave.

use chrono::NaiveDate;
use needlepath_core::Protocol;
use needlepath_core::can_i::can_i;
use needlepath_core::request::{CanIRequest, CheckIn, ScreeningRequest};
use needlepath_core::screening::screen;
use needlepath_core::triage::triage;
use needlepath_core::vocabulary::{Answer, Decision, Disposition};
use serde_json::{Map, Value};

const SCREENING: &str = include_str!("cases/screening.json");
const TRIAGE: &str = include_str!("cases/triage.json");
const CAN_I: &str = include_str!("cases/can_i.json");

const MIN_SCREENING: usize = 35;
const MIN_TRIAGE: usize = 40;
const MIN_CAN_I: usize = 25;
const MIN_TOTAL: usize = 100;

const SCREENING_KEYS: &[&str] = &[
    "decision",
    "decision_at_least",
    "decision_at_most",
    "clinician_review_required",
    "defer_until",
    "reasons_include",
    "reasons_exclude",
    "reason_effects",
    "precautions_include",
];
const TRIAGE_KEYS: &[&str] =
    &["disposition", "disposition_at_least", "assessment", "assessments", "advice_first", "advice_include"];
const CAN_I_KEYS: &[&str] = &["answer", "allowed_from_hours", "unrestricted_from_hours", "conditions_nonempty"];

/// The mismatches of one case.
struct Check<'a> {
    table: &'a str,
    name: &'a str,
    why: &'a str,
    problems: Vec<String>,
}

impl Check<'_> {
    fn fail(&mut self, field: &str, expected: impl std::fmt::Display, got: impl std::fmt::Display) {
        self.problems.push(format!("{field}: expected {expected}, got {got}"));
    }

    fn into_report(self) -> Option<String> {
        if self.problems.is_empty() {
            return None;
        }
        let mut s = format!("[{}] {}\n      why: {}", self.table, self.name, self.why);
        for p in self.problems {
            s.push_str("\n      - ");
            s.push_str(&p);
        }
        Some(s)
    }
}

/// A loaded table: its cases, plus problems with the table itself.
fn load(table: &str, text: &str, min: usize, failures: &mut Vec<String>) -> Vec<Value> {
    let doc: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            failures.push(format!("[{table}] the table is not valid JSON: {e}"));
            return Vec::new();
        }
    };
    let Some(cases) = doc.get("cases").and_then(Value::as_array) else {
        failures.push(format!("[{table}] the table has no \"cases\" list"));
        return Vec::new();
    };
    if cases.len() < min {
        failures.push(format!("[{table}] {} cases; at least {min} are required", cases.len()));
    }
    let mut names = std::collections::BTreeSet::new();
    for c in cases {
        let name = c.get("name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() {
            failures.push(format!("[{table}] a case has no name: {c}"));
        } else if !names.insert(name.to_owned()) {
            failures.push(format!("[{table}] two cases are named '{name}'"));
        }
        for key in ["why", "request", "expect"] {
            if c.get(key).is_none() {
                failures.push(format!("[{table}] {name}: missing \"{key}\""));
            }
        }
        if c.get("why").and_then(Value::as_str).is_some_and(str::is_empty) {
            failures.push(format!("[{table}] {name}: empty \"why\""));
        }
    }
    cases.clone()
}

fn case_parts(c: &Value) -> (&str, &str, &Value, &Map<String, Value>) {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let name = c.get("name").and_then(Value::as_str).unwrap_or("<unnamed>");
    let why = c.get("why").and_then(Value::as_str).unwrap_or("");
    let request = c.get("request").unwrap_or(&Value::Null);
    let expect = c.get("expect").and_then(Value::as_object).unwrap_or_else(|| EMPTY.get_or_init(Map::new));
    (name, why, request, expect)
}

fn unknown_keys(check: &mut Check<'_>, expect: &Map<String, Value>, known: &[&str]) {
    for k in expect.keys() {
        if !known.contains(&k.as_str()) {
            check.problems.push(format!("the table is wrong: unknown expect key '{k}' (known: {})", known.join(", ")));
        }
    }
}

fn codes_of(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .map(|a| a.iter().filter_map(|x| x.get(field).and_then(Value::as_str)).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn str_list(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect()).unwrap_or_default()
}

/// Expected vs got for a JSON value where `null` means "absent or null".
fn same_or_absent(expected: &Value, got: Option<&Value>) -> bool {
    match (expected, got) {
        (Value::Null, None | Some(Value::Null)) => true,
        (Value::Number(e), Some(Value::Number(g))) => match (e.as_f64(), g.as_f64()) {
            (Some(e), Some(g)) => (e - g).abs() < 1e-9,
            _ => false,
        },
        (e, Some(g)) => e == g,
        _ => false,
    }
}

/// The result as contract JSON.
fn to_json(result: &impl serde::Serialize) -> Value {
    serde_json::to_value(result).unwrap_or_else(|e| panic!("a result does not serialize: {e}"))
}

fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "absent".to_owned(), Value::to_string)
}

fn run_screening(p: &Protocol, c: &Value, failures: &mut Vec<String>) {
    let (name, why, request, expect) = case_parts(c);
    let mut check = Check { table: "screening", name, why, problems: Vec::new() };
    unknown_keys(&mut check, expect, SCREENING_KEYS);
    if request.get("as_of").is_none() {
        check.problems.push("the table is wrong: the request must give \"as_of\"".to_owned());
    }
    // Never used when the request gives as_of (checked above); a fixed day keeps the run deterministic.
    let fallback = NaiveDate::MIN;
    let req = match ScreeningRequest::from_json(request, fallback) {
        Ok(r) => r,
        Err(e) => {
            check.fail("request", "a valid screening request", format!("input error {e:?}"));
            failures.extend(check.into_report());
            return;
        }
    };
    let result = screen(p, &req);
    let got = to_json(&result);

    if let Some(e) = expect.get("decision")
        && !same_or_absent(e, got.get("decision"))
    {
        check.fail("decision", e, show(got.get("decision")));
    }
    for (key, at_least) in [("decision_at_least", true), ("decision_at_most", false)] {
        if let Some(e) = expect.get(key) {
            match e.as_str().map(Decision::parse) {
                Some(Ok(bound)) => {
                    let ok = if at_least { result.decision >= bound } else { result.decision <= bound };
                    if !ok {
                        let rel = if at_least { "at least" } else { "at most" };
                        check.fail("decision", format!("{rel} {bound}"), result.decision);
                    }
                }
                _ => check.problems.push(format!("the table is wrong: {key} {e} is not a decision")),
            }
        }
    }
    if let Some(e) = expect.get("clinician_review_required")
        && !same_or_absent(e, got.get("clinician_review_required"))
    {
        check.fail("clinician_review_required", e, show(got.get("clinician_review_required")));
    }
    if let Some(e) = expect.get("defer_until")
        && !same_or_absent(e, got.get("defer_until"))
    {
        let expected = if e.is_null() { "absent".to_owned() } else { e.to_string() };
        check.fail("defer_until", expected, show(got.get("defer_until")));
    }
    let reasons = got.get("reasons").cloned().unwrap_or(Value::Null);
    let reason_codes = codes_of(&reasons, "code");
    if let Some(e) = expect.get("reasons_include") {
        for code in str_list(e) {
            if !reason_codes.contains(&code) {
                check.fail("reasons", format!("to include '{code}'"), format!("{reason_codes:?}"));
            }
        }
    }
    if let Some(e) = expect.get("reasons_exclude") {
        for code in str_list(e) {
            if reason_codes.contains(&code) {
                check.fail("reasons", format!("not to include '{code}'"), format!("{reason_codes:?}"));
            }
        }
    }
    if let Some(e) = expect.get("reason_effects").and_then(Value::as_object) {
        for (code, effect) in e {
            let found = reasons
                .as_array()
                .and_then(|a| a.iter().find(|r| r.get("code").and_then(Value::as_str) == Some(code.as_str())));
            match found {
                None => check.fail(&format!("reason '{code}'"), format!("effect {effect}"), "no such reason"),
                Some(r) if !same_or_absent(effect, r.get("effect")) => {
                    check.fail(&format!("reason '{code}' effect"), effect, show(r.get("effect")));
                }
                Some(_) => {}
            }
        }
    }
    if let Some(e) = expect.get("precautions_include") {
        let pcs = codes_of(got.get("precautions").unwrap_or(&Value::Null), "code");
        for code in str_list(e) {
            if !pcs.contains(&code) {
                check.fail("precautions", format!("to include '{code}'"), format!("{pcs:?}"));
            }
        }
    }
    failures.extend(check.into_report());
}

/// Whether some assessment matches every field the expectation gives.
fn assessment_matches(assessments: &Value, want: &Value) -> bool {
    let Some(want) = want.as_object() else { return false };
    assessments
        .as_array()
        .is_some_and(|list| list.iter().any(|a| want.iter().all(|(k, v)| same_or_absent(v, a.get(k)))))
}

fn run_triage(p: &Protocol, c: &Value, failures: &mut Vec<String>) {
    let (name, why, request, expect) = case_parts(c);
    let mut check = Check { table: "triage", name, why, problems: Vec::new() };
    unknown_keys(&mut check, expect, TRIAGE_KEYS);
    let checkin = match CheckIn::from_json(request) {
        Ok(r) => r,
        Err(e) => {
            check.fail("request", "a valid check-in", format!("input error {e:?}"));
            failures.extend(check.into_report());
            return;
        }
    };
    let result = triage(p, &checkin);
    let got = to_json(&result);
    let assessments = got.get("assessments").cloned().unwrap_or(Value::Null);
    let summary = || {
        assessments
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| {
                        format!(
                            "{}={}/{}",
                            x.get("symptom").and_then(Value::as_str).unwrap_or("?"),
                            x.get("status").and_then(Value::as_str).unwrap_or("?"),
                            x.get("disposition").and_then(Value::as_str).unwrap_or("?"),
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };

    if let Some(e) = expect.get("disposition")
        && !same_or_absent(e, got.get("disposition"))
    {
        check.fail("disposition", e, format!("{} (assessments: {})", show(got.get("disposition")), summary()));
    }
    if let Some(e) = expect.get("disposition_at_least") {
        match e.as_str().map(Disposition::parse) {
            Some(Ok(bound)) => {
                if result.disposition < bound {
                    check.fail("disposition", format!("at least {bound}"), result.disposition);
                }
            }
            _ => check.problems.push(format!("the table is wrong: disposition_at_least {e} is not a disposition")),
        }
    }
    let mut wanted: Vec<&Value> = Vec::new();
    if let Some(a) = expect.get("assessment") {
        wanted.push(a);
    }
    if let Some(list) = expect.get("assessments").and_then(Value::as_array) {
        wanted.extend(list);
    }
    for want in wanted {
        if want.get("symptom").is_none() {
            check.problems.push(format!("the table is wrong: an expected assessment has no symptom: {want}"));
        } else if !assessment_matches(&assessments, want) {
            check.fail("assessment", want, format!("[{}]", summary()));
        }
    }
    let advice = codes_of(got.get("advice").unwrap_or(&Value::Null), "code");
    if let Some(e) = expect.get("advice_first") {
        let first = advice.first().map(|s| Value::String(s.clone()));
        if !same_or_absent(e, first.as_ref()) {
            check.fail("advice[0]", e, format!("{advice:?}"));
        }
    }
    if let Some(e) = expect.get("advice_include") {
        for code in str_list(e) {
            if !advice.contains(&code) {
                check.fail("advice", format!("to include '{code}'"), format!("{advice:?}"));
            }
        }
    }
    failures.extend(check.into_report());
}

fn run_can_i(p: &Protocol, c: &Value, failures: &mut Vec<String>) {
    let (name, why, request, expect) = case_parts(c);
    let mut check = Check { table: "can_i", name, why, problems: Vec::new() };
    unknown_keys(&mut check, expect, CAN_I_KEYS);
    let activity = request.get("activity").and_then(Value::as_str);
    let hours = request.get("hours").and_then(Value::as_f64);
    let (Some(activity), Some(hours)) = (activity, hours) else {
        check.problems.push(format!("the table is wrong: the request needs \"activity\" and \"hours\": {request}"));
        failures.extend(check.into_report());
        return;
    };
    let req = match CanIRequest::parse(activity, hours) {
        Ok(r) => r,
        Err(e) => {
            check.fail("request", "a valid can-I request", format!("input error {e:?}"));
            failures.extend(check.into_report());
            return;
        }
    };
    let result = can_i(p, &req);
    let got = to_json(&result);

    if let Some(e) = expect.get("answer") {
        if e.as_str().map(Answer::parse).is_none_or(|a| a.is_err()) {
            check.problems.push(format!("the table is wrong: answer {e} is not an answer"));
        } else if !same_or_absent(e, got.get("answer")) {
            check.fail("answer", e, show(got.get("answer")));
        }
    }
    for key in ["allowed_from_hours", "unrestricted_from_hours"] {
        if let Some(e) = expect.get(key)
            && !same_or_absent(e, got.get(key))
        {
            let expected = if e.is_null() { "null (never)".to_owned() } else { e.to_string() };
            check.fail(key, expected, show(got.get(key)));
        }
    }
    if let Some(e) = expect.get("conditions_nonempty") {
        let nonempty = got.get("conditions").and_then(Value::as_array).is_some_and(|a| !a.is_empty());
        if e.as_bool() != Some(nonempty) {
            check.fail(
                "conditions",
                if e.as_bool() == Some(true) { "some" } else { "none" },
                show(got.get("conditions")),
            );
        }
    }
    failures.extend(check.into_report());
}

#[test]
fn every_case_in_the_rule_tables_holds() {
    let p = Protocol::builtin().unwrap_or_else(|e| panic!("the built-in protocol does not load: {e:#?}"));
    let mut failures: Vec<String> = Vec::new();

    let screening = load("screening", SCREENING, MIN_SCREENING, &mut failures);
    let triage_cases = load("triage", TRIAGE, MIN_TRIAGE, &mut failures);
    let can_i_cases = load("can_i", CAN_I, MIN_CAN_I, &mut failures);
    let total = screening.len() + triage_cases.len() + can_i_cases.len();
    if total < MIN_TOTAL {
        failures.push(format!("{total} cases in all; at least {MIN_TOTAL} are required"));
    }

    for c in &screening {
        run_screening(&p, c, &mut failures);
    }
    for c in &triage_cases {
        run_triage(&p, c, &mut failures);
    }
    for c in &can_i_cases {
        run_can_i(&p, c, &mut failures);
    }

    assert!(
        failures.is_empty(),
        "{} of {total} rule cases failed (screening {}, triage {}, can_i {}):\n\n{}\n",
        failures.len(),
        screening.len(),
        triage_cases.len(),
        can_i_cases.len(),
        failures.join("\n\n")
    );
}
