//! End-to-end tests of the command line against the decision contract (`docs/spec/`).
//!
//! Every test runs the real binary. Requests are checked against the contract's request schemas
//! (so the fixtures are contract-true) and every JSON answer against the result schemas. Every
//! statement must carry sources, and every source id must be one `needlepath protocol show` lists.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::too_many_lines)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use chrono::{DateTime, Days, FixedOffset, NaiveDate};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_needlepath");
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/spec/examples");
const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/spec");

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(repo())
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the needlepath binary starts");
    {
        let mut input = child.stdin.take().expect("stdin is piped");
        // Commands that do not read standard input may close it early; that is not a failure.
        let _ = input.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().expect("needlepath runs to the end");
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    };
    assert!(
        !r.stderr.contains("panicked") && !r.stderr.contains("RUST_BACKTRACE"),
        "needlepath {args:?} panicked:\n{}",
        r.stderr
    );
    r
}

/// Runs a command that must make a decision (exit 0) and print JSON.
fn run_json(args: &[&str], stdin: &str) -> Value {
    let r = run(args, stdin);
    assert_eq!(r.code, 0, "needlepath {args:?} with stdin {stdin} exited {}; stderr:\n{}", r.code, r.stderr);
    assert!(r.stderr.is_empty(), "needlepath {args:?} wrote to stderr on success:\n{}", r.stderr);
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("needlepath {args:?} printed invalid JSON ({e}):\n{}", r.stdout))
}

/// Runs a command that must make a decision (exit 0) and print text.
fn run_text(args: &[&str], stdin: &str) -> String {
    let r = run(args, stdin);
    assert_eq!(r.code, 0, "needlepath {args:?} exited {}; stderr:\n{}", r.code, r.stderr);
    r.stdout
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn schema(name: &str) -> jsonschema::Validator {
    let s = load(&Path::new(SPEC).join(format!("{name}.schema.json")));
    jsonschema::validator_for(&s).unwrap_or_else(|e| panic!("{name}.schema.json does not compile: {e}"))
}

fn assert_valid(name: &str, instance: &Value, context: &str) {
    let v = schema(name);
    let errors: Vec<String> = v.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(
        errors.is_empty(),
        "{context}: does not validate against {name}.schema.json:\n  {}\ninstance:\n{}",
        errors.join("\n  "),
        serde_json::to_string_pretty(instance).unwrap_or_default()
    );
}

fn vocabulary() -> Value {
    load(&Path::new(SPEC).join("vocabulary.json"))
}

/// The source ids listed in the Sources section of `needlepath protocol show [--protocol FILE]`.
fn source_ids(protocol: Option<&str>) -> BTreeSet<String> {
    let mut args = vec!["protocol", "show"];
    if let Some(p) = protocol {
        args.extend(["--protocol", p]);
    }
    let text = run_text(&args, "");
    let mut lines = text.lines().skip_while(|l| !l.starts_with("== Sources ("));
    let header = lines.next().expect("protocol show has a Sources section");
    let count: usize = header
        .trim_start_matches("== Sources (")
        .split(')')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("the Sources header carries the number of sources");
    let ids: BTreeSet<String> = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(" [").next().expect("a source line starts with its id").to_owned())
        .collect();
    assert_eq!(ids.len(), count, "protocol show lists {count} sources but {} distinct ids were read", ids.len());
    ids
}

fn builtin_sources() -> &'static BTreeSet<String> {
    static IDS: OnceLock<BTreeSet<String>> = OnceLock::new();
    IDS.get_or_init(|| source_ids(None))
}

/// Every `sources` anywhere in the answer is a non-empty list of ids the protocol lists.
fn assert_sources(v: &Value, known: &BTreeSet<String>, context: &str) {
    fn walk(v: &Value, path: &str, known: &BTreeSet<String>, context: &str) {
        match v {
            Value::Object(map) => {
                for (k, x) in map {
                    let here = format!("{path}.{k}");
                    if k == "sources" {
                        let list = x.as_array().unwrap_or_else(|| panic!("{context}: {here} is not a list"));
                        assert!(!list.is_empty(), "{context}: {here} is empty");
                        for id in list {
                            let id = id.as_str().unwrap_or_else(|| panic!("{context}: {here} holds a non-string"));
                            assert!(
                                known.contains(id),
                                "{context}: {here} cites '{id}', which `protocol show` does not list"
                            );
                        }
                    } else {
                        walk(x, &here, known, context);
                    }
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    walk(x, &format!("{path}[{i}]"), known, context);
                }
            }
            _ => {}
        }
    }
    // An answer without any statement (an eligible screening with no reasons) has nothing to cite.
    walk(v, "$", known, context);
}

/// Every item of the list at `key` carries a non-empty `sources`.
fn assert_each_sourced(v: &Value, key: &str, context: &str) {
    let list = v[key].as_array().unwrap_or_else(|| panic!("{context}: '{key}' is not a list"));
    for (i, item) in list.iter().enumerate() {
        let s = item["sources"].as_array();
        assert!(s.is_some_and(|s| !s.is_empty()), "{context}: {key}[{i}] has no sources: {item}");
    }
}

/// JSON equality that treats 24 and 24.0 as the same number.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn date(v: &Value) -> NaiveDate {
    let s = v.as_str().unwrap_or_else(|| panic!("{v} is not a date string"));
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("'{s}' is not a YYYY-MM-DD date: {e}"))
}

fn add(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_add_days(Days::new(days)).expect("date in range")
}

fn sub(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(days)).expect("date in range")
}

fn rank_decision(d: &str) -> usize {
    ["eligible", "eligible_with_precautions", "defer", "not_eligible"]
        .iter()
        .position(|x| *x == d)
        .unwrap_or_else(|| panic!("unknown decision '{d}'"))
}

fn rank_disposition(d: &str) -> usize {
    ["self_care", "contact_clinic", "urgent_same_day", "emergency"]
        .iter()
        .position(|x| *x == d)
        .unwrap_or_else(|| panic!("unknown disposition '{d}'"))
}

fn screen(req: &Value) -> Value {
    assert_valid("screening-request", req, "screening fixture");
    let out = run_json(&["screen", "--json"], &req.to_string());
    assert_valid("screening-result", &out, &format!("screen {req}"));
    assert_sources(&out, builtin_sources(), &format!("screen {req}"));
    assert_each_sourced(&out, "reasons", &format!("screen {req}"));
    assert_each_sourced(&out, "precautions", &format!("screen {req}"));
    out
}

fn triage(req: &Value) -> Value {
    assert_valid("checkin-request", req, "check-in fixture");
    let out = run_json(&["triage", "--json"], &req.to_string());
    assert_valid("triage-result", &out, &format!("triage {req}"));
    assert_sources(&out, builtin_sources(), &format!("triage {req}"));
    assert_each_sourced(&out, "assessments", &format!("triage {req}"));
    assert_each_sourced(&out, "advice", &format!("triage {req}"));
    out
}

fn can_i(activity: &str, hours: &str) -> Value {
    let out = run_json(&["can-i", activity, "--hours", hours, "--json"], "");
    let ctx = format!("can-i {activity} --hours {hours}");
    assert_valid("can-i-result", &out, &ctx);
    assert_sources(&out, builtin_sources(), &ctx);
    out
}

fn plan(req: &Value) -> Value {
    assert_valid("plan-request", req, "plan fixture");
    let out = run_json(&["plan", "--json"], &req.to_string());
    assert_valid("plan-result", &out, &format!("plan {req}"));
    assert_sources(&out, builtin_sources(), &format!("plan {req}"));
    out
}

fn aftercare(args: &[&str]) -> Value {
    let mut all = vec!["aftercare"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = run_json(&all, "");
    assert_sources(&out, builtin_sources(), &format!("aftercare {args:?}"));
    out
}

#[test]
fn the_schemas_reject_answers_that_break_the_contract() {
    // Guards the guard: a validator that accepted everything would make every check here vacuous.
    let broken = [
        (
            "screening-result",
            json!({"decision": "maybe", "clinician_review_required": false, "reasons": [], "precautions": [], "protocol": {"id": "x", "version": "1"}}),
        ),
        (
            "screening-result",
            json!({"decision": "defer", "clinician_review_required": false, "reasons": [{"code": "pregnant", "message": "m", "sources": [], "effect": "defer"}], "precautions": [], "protocol": {"id": "x", "version": "1"}}),
        ),
        ("triage-result", json!({"disposition": "self_care", "assessments": [], "advice": []})),
        (
            "can-i-result",
            json!({"activity": "skydiving", "hours_since_treatment": 1, "answer": "yes", "message": "m", "sources": ["a"]}),
        ),
        (
            "plan-result",
            json!({"sessions": [{"number": 1, "earliest": "2026-1-1", "latest": "2026-01-01"}], "interval_days": {"min": 28, "max": 42}, "maintenance": {}, "protocol": {}}),
        ),
        ("screening-request", json!({"concern": "acne_scars", "extra": true})),
        ("checkin-request", json!({"hours_since_treatment": -1, "symptoms": []})),
        ("plan-request", json!({"concern": "acne_scars", "start": "2026-01-05", "currency": "eur"})),
    ];
    for (name, instance) in broken {
        assert!(!schema(name).is_valid(&instance), "{name}.schema.json accepted {instance}");
    }
}

// ---------------------------------------------------------------------------------------------
// The spec's examples
// ---------------------------------------------------------------------------------------------

#[test]
fn every_spec_example_produces_its_expected_outcome() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(EXAMPLES)
        .expect("docs/spec/examples exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "expected at least the 6 examples of the spec, found {}", files.len());

    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let ex = load(path);
        let req = &ex["request"];
        let expect = ex["expect"].as_object().unwrap_or_else(|| panic!("{name}: 'expect' is not an object"));
        assert!(!expect.is_empty(), "{name}: 'expect' is empty");

        let out = if name.starts_with("can-i") || req.get("activity").is_some() {
            let activity = req["activity"].as_str().unwrap_or_else(|| panic!("{name}: request.activity"));
            let hours = req["hours"].as_number().unwrap_or_else(|| panic!("{name}: request.hours")).to_string();
            can_i(activity, &hours)
        } else if name.starts_with("screening") {
            screen(req)
        } else if name.starts_with("triage") {
            triage(req)
        } else if name.starts_with("plan") {
            plan(req)
        } else {
            panic!("{name}: no command matches this example (file names start with screening, triage, can-i or plan)");
        };
        for (key, want) in expect {
            let got = out.get(key).unwrap_or(&Value::Null);
            assert!(same(got, want), "{name}: expected {key} = {want}, got {got}\nfull answer:\n{out:#}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Screening
// ---------------------------------------------------------------------------------------------

struct ScreeningCase {
    name: &'static str,
    req: Value,
    decision: &'static str,
    /// `Some(date)`: defer_until must be that date; `None`: it must be absent.
    defer_until: Option<&'static str>,
    review: Option<bool>,
}

fn screening_cases() -> Vec<ScreeningCase> {
    let base = |findings: Value| {
        json!({"concern": "acne_scars", "scar_type": "atrophic", "scar_grade": 3, "fitzpatrick": 2,
               "as_of": "2026-11-21", "findings": findings})
    };
    vec![
        ScreeningCase {
            name: "nothing in the way",
            req: json!({"concern": "acne_scars", "scar_type": "atrophic", "scar_grade": 3, "fitzpatrick": 2,
                        "age_years": 27, "as_of": "2026-11-21", "findings": []}),
            decision: "eligible",
            defer_until: None,
            review: Some(false),
        },
        ScreeningCase {
            name: "sunburn three days ago: timed deferral",
            req: base(json!([{"code": "sunburn", "last": "2026-11-18"}])),
            decision: "defer",
            defer_until: Some("2026-12-02"),
            review: Some(false),
        },
        ScreeningCase {
            name: "sunburn 13 days ago: the window holds until tomorrow",
            req: base(json!([{"code": "sunburn", "last": "2026-11-08"}])),
            decision: "defer",
            defer_until: Some("2026-11-22"),
            review: None,
        },
        ScreeningCase {
            name: "sunburn exactly 14 days ago: the window has lapsed today",
            req: base(json!([{"code": "sunburn", "last": "2026-11-07"}])),
            decision: "eligible",
            defer_until: None,
            review: None,
        },
        ScreeningCase {
            name: "sunburn without a date is ongoing: untimed deferral",
            req: base(json!(["sunburn"])),
            decision: "defer",
            defer_until: None,
            review: None,
        },
        ScreeningCase {
            name: "pregnant: deferral without a date",
            req: base(json!(["pregnant"])),
            decision: "defer",
            defer_until: None,
            review: Some(false),
        },
        ScreeningCase {
            name: "unresolved reaction to a previous session",
            req: base(json!(["previous_session_reaction"])),
            decision: "not_eligible",
            defer_until: None,
            review: Some(true),
        },
        ScreeningCase {
            name: "still taking isotretinoin (ongoing rule)",
            req: base(json!(["isotretinoin"])),
            decision: "defer",
            defer_until: None,
            review: Some(true),
        },
        ScreeningCase {
            name: "isotretinoin stopped within its window",
            req: base(json!([{"code": "isotretinoin", "last": "2026-08-01"}])),
            decision: "eligible_with_precautions",
            defer_until: None,
            review: Some(true),
        },
        ScreeningCase {
            name: "two timed deferrals: the later end wins",
            req: base(json!([{"code": "recent_procedure_in_area", "last": "2026-11-01"},
                             {"code": "sunburn", "last": "2026-11-18"}])),
            decision: "defer",
            defer_until: Some("2026-12-02"),
            review: Some(true),
        },
        ScreeningCase {
            name: "a timed and an untimed deferral: no date can be given",
            req: base(json!([{"code": "sunburn", "last": "2026-11-18"}, "pregnant"])),
            decision: "defer",
            defer_until: None,
            review: None,
        },
        ScreeningCase {
            name: "not_eligible outranks a timed deferral",
            req: base(json!([{"code": "sunburn", "last": "2026-11-18"}, "previous_session_reaction"])),
            decision: "not_eligible",
            defer_until: None,
            review: Some(true),
        },
        ScreeningCase {
            name: "precautions from scar type, skin type and background",
            req: json!({"concern": "acne_scars", "scar_type": "keloid", "scar_grade": 4, "fitzpatrick": 5,
                        "as_of": "2026-11-21", "findings": ["anticoagulant", "cold_sore_history", "bruises_easily"]}),
            decision: "eligible_with_precautions",
            defer_until: None,
            review: Some(true),
        },
        ScreeningCase {
            name: "the same finding twice: the latest date counts",
            req: base(json!([{"code": "sunburn", "last": "2026-11-01"}, {"code": "sunburn", "last": "2026-11-18"}])),
            decision: "defer",
            defer_until: Some("2026-12-02"),
            review: None,
        },
        ScreeningCase {
            name: "the same finding dated and ongoing: ongoing counts",
            req: base(json!([{"code": "sunburn", "last": "2026-11-18"}, "sunburn"])),
            decision: "defer",
            defer_until: None,
            review: None,
        },
        ScreeningCase {
            name: "rosacea as the concern",
            req: json!({"concern": "rosacea", "as_of": "2026-11-21"}),
            decision: "eligible_with_precautions",
            defer_until: None,
            review: None,
        },
        ScreeningCase {
            name: "minimal request, as_of defaults to today",
            req: json!({"concern": "stretch_marks", "findings": ["pregnant"]}),
            decision: "defer",
            defer_until: None,
            review: None,
        },
    ]
}

#[test]
fn screening_results_follow_the_contract() {
    for case in screening_cases() {
        let out = screen(&case.req);
        let ctx = case.name;
        assert_eq!(out["decision"], case.decision, "{ctx}: decision\n{out:#}");
        match case.defer_until {
            Some(d) => assert_eq!(out["defer_until"], d, "{ctx}: defer_until\n{out:#}"),
            None => {
                assert!(out.get("defer_until").is_none_or(Value::is_null), "{ctx}: defer_until must be absent\n{out:#}")
            }
        }
        if let Some(r) = case.review {
            assert_eq!(out["clinician_review_required"], r, "{ctx}: clinician_review_required\n{out:#}");
        }
        // The decision is the strictest over all reasons.
        let reasons = out["reasons"].as_array().expect("reasons");
        let strictest = reasons.iter().map(|r| rank_decision(r["effect"].as_str().expect("effect"))).max().unwrap_or(0);
        assert_eq!(rank_decision(case.decision), strictest, "{ctx}: decision is not the strictest reason\n{out:#}");
        // clinician_review_required whenever a reason requires it.
        let any_review = reasons.iter().any(|r| r["clinician_review"] == true);
        assert_eq!(out["clinician_review_required"], any_review, "{ctx}: review flag vs reasons\n{out:#}");
        assert_eq!(out["protocol"]["id"], "needlepath-microneedling", "{ctx}");
    }
}

#[test]
fn a_lapsed_timed_finding_gives_no_deferral() {
    let out = screen(&json!({"concern": "acne_scars", "as_of": "2026-11-21",
                             "findings": [{"code": "sunburn", "last": "2026-11-01"}]}));
    assert_eq!(out["decision"], "eligible");
    assert!(
        out["reasons"].as_array().expect("reasons").iter().all(|r| r["effect"] != "defer"),
        "a sunburn 20 days ago must not defer: {out:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// Triage
// ---------------------------------------------------------------------------------------------

fn all_symptoms() -> Vec<String> {
    vocabulary()["symptoms"].as_object().expect("symptoms").keys().cloned().collect()
}

#[test]
fn triage_results_follow_the_contract() {
    let every_symptom: Vec<Value> = all_symptoms().into_iter().map(|c| json!({"code": c})).collect();
    // (name, request, expected disposition, or the least urgent acceptable one when prefixed with >=)
    let cases: Vec<(&str, Value, &str)> = vec![
        ("nothing reported", json!({"hours_since_treatment": 24, "symptoms": []}), "self_care"),
        (
            "expected redness and swelling",
            json!({"hours_since_treatment": 30, "symptoms": [{"code": "redness", "severity": "mild"}, {"code": "swelling", "severity": "mild"}]}),
            "self_care",
        ),
        (
            "redness beyond its expected course",
            json!({"hours_since_treatment": 200, "symptoms": [{"code": "redness", "severity": "mild"}]}),
            ">=contact_clinic",
        ),
        (
            "airway sign with expected redness",
            json!({"hours_since_treatment": 2, "symptoms": [{"code": "redness"}, {"code": "throat_tightness"}]}),
            "emergency",
        ),
        (
            "mixed report with a red flag and a measured fever",
            json!({"hours_since_treatment": 60, "symptoms": [
                {"code": "redness", "severity": "mild", "trend": "improving"},
                {"code": "swelling", "trend": "worse"},
                {"code": "pus"},
                {"code": "itching", "severity": "mild"}],
                "temperature_c": 38.4, "findings": ["cold_sore_history"], "fitzpatrick": 4}),
            ">=urgent_same_day",
        ),
        (
            "measured fever alone",
            json!({"hours_since_treatment": 48, "symptoms": [], "temperature_c": 38.4}),
            ">=urgent_same_day",
        ),
        (
            "fever exactly at the threshold",
            json!({"hours_since_treatment": 48, "symptoms": [], "temperature_c": 38.0}),
            ">=urgent_same_day",
        ),
        (
            "normal temperature",
            json!({"hours_since_treatment": 48, "symptoms": [], "temperature_c": 37.2}),
            "self_care",
        ),
        ("hives alone", json!({"hours_since_treatment": 5, "symptoms": [{"code": "hives"}]}), ">=urgent_same_day"),
        (
            "hives with faintness",
            json!({"hours_since_treatment": 5, "symptoms": [{"code": "hives"}, {"code": "faintness", "severity": "mild"}]}),
            "emergency",
        ),
        (
            "blisters in a patient with cold sores",
            json!({"hours_since_treatment": 40, "symptoms": [{"code": "blisters"}], "findings": ["cold_sore_history"]}),
            ">=urgent_same_day",
        ),
        (
            "swelling getting worse after two days",
            json!({"hours_since_treatment": 60, "symptoms": [{"code": "swelling", "trend": "worse"}]}),
            ">=contact_clinic",
        ),
        (
            "severe pain at one hour",
            json!({"hours_since_treatment": 1, "symptoms": [{"code": "pain", "severity": "severe", "trend": "same"}]}),
            ">=self_care",
        ),
        ("every symptom at once", json!({"hours_since_treatment": 12, "symptoms": every_symptom}), "emergency"),
        (
            "findings in object form with dates",
            json!({"hours_since_treatment": 10, "symptoms": [{"code": "dryness"}],
                   "findings": [{"code": "isotretinoin", "last": "2026-01-01"}, "atopic_dermatitis"]}),
            ">=self_care",
        ),
    ];
    for (name, req, want) in cases {
        let out = triage(&req);
        let got = out["disposition"].as_str().expect("disposition");
        match want.strip_prefix(">=") {
            Some(least) => assert!(
                rank_disposition(got) >= rank_disposition(least),
                "{name}: disposition {got} is below {least}\n{out:#}"
            ),
            None => assert_eq!(got, want, "{name}: disposition\n{out:#}"),
        }
        let assessments = out["assessments"].as_array().expect("assessments");
        // The overall disposition is the most urgent over all assessments; an empty list is self_care.
        let most = assessments.iter().map(|a| rank_disposition(a["disposition"].as_str().expect("d"))).max();
        assert_eq!(rank_disposition(got), most.unwrap_or(0), "{name}: not the most urgent assessment\n{out:#}");
        // Most urgent first, and each status follows from its disposition.
        let ranks: Vec<usize> =
            assessments.iter().map(|a| rank_disposition(a["disposition"].as_str().expect("d"))).collect();
        assert!(ranks.windows(2).all(|w| w[0] >= w[1]), "{name}: assessments not most urgent first\n{out:#}");
        for a in assessments {
            let status = match a["disposition"].as_str().expect("d") {
                "self_care" => "expected",
                "contact_clinic" => "outside_expected_course",
                _ => "red_flag",
            };
            assert_eq!(a["status"], status, "{name}: status does not follow the disposition: {a}");
        }
        // Every reported symptom is assessed.
        for s in req["symptoms"].as_array().expect("symptoms") {
            assert!(
                assessments.iter().any(|a| a["symptom"] == s["code"]),
                "{name}: symptom {} reported but not assessed\n{out:#}",
                s["code"]
            );
        }
        // An emergency opens with the call to emergency services.
        if got == "emergency" {
            assert_eq!(out["advice"][0]["code"], "call_emergency_services", "{name}\n{out:#}");
        }
        assert!(!out["advice"].as_array().expect("advice").is_empty(), "{name}: no advice\n{out:#}");
    }
}

#[test]
fn a_measured_fever_is_assessed_as_fever_with_its_temperature() {
    let out = triage(&json!({"hours_since_treatment": 48, "symptoms": [{"code": "redness"}], "temperature_c": 38.4}));
    let fever = out["assessments"]
        .as_array()
        .expect("assessments")
        .iter()
        .find(|a| a["symptom"] == "fever")
        .unwrap_or_else(|| panic!("no fever assessment for 38.4 °C:\n{out:#}"))
        .clone();
    assert!(same(&fever["temperature_c"], &json!(38.4)), "{fever}");
    let below = triage(&json!({"hours_since_treatment": 48, "symptoms": [], "temperature_c": 37.9}));
    assert!(below["assessments"].as_array().expect("assessments").is_empty(), "37.9 °C is no fever:\n{below:#}");
}

#[test]
fn the_same_symptom_is_expected_early_and_outside_the_course_late() {
    let early = triage(&json!({"hours_since_treatment": 24, "symptoms": [{"code": "redness", "severity": "mild"}]}));
    let late = triage(&json!({"hours_since_treatment": 200, "symptoms": [{"code": "redness", "severity": "mild"}]}));
    assert_eq!(early["assessments"][0]["status"], "expected");
    assert_eq!(late["assessments"][0]["status"], "outside_expected_course");
}

// ---------------------------------------------------------------------------------------------
// Can I
// ---------------------------------------------------------------------------------------------

#[test]
fn can_i_answers_every_activity_at_every_hour() {
    let activities: Vec<String> = vocabulary()["activities"].as_object().expect("activities").keys().cloned().collect();
    assert_eq!(activities.len(), 22, "the vocabulary lists 22 activities");
    for activity in &activities {
        let mut previous_rank = 0;
        for hours in ["0", "0.5", "6", "23.99", "24", "48", "72", "100", "120", "168", "672", "1000", "87600"] {
            let out = can_i(activity, hours);
            let ctx = format!("can-i {activity} --hours {hours}");
            let h: f64 = hours.parse().expect("hours");
            assert_eq!(out["activity"], activity.as_str(), "{ctx}");
            assert!(
                same(&out["hours_since_treatment"], &json!(h)),
                "{ctx}: hours echoed as {}",
                out["hours_since_treatment"]
            );
            let answer = out["answer"].as_str().expect("answer");
            let allowed = out["allowed_from_hours"].as_f64();
            let unrestricted = out["unrestricted_from_hours"].as_f64();
            let conditions = out["conditions"].as_array().map_or(0, Vec::len);
            match answer {
                "no" => assert!(allowed.is_none_or(|a| a > h), "{ctx}: 'no' but allowed from {allowed:?}"),
                "yes_with_conditions" => {
                    assert!(allowed.is_some_and(|a| a <= h), "{ctx}: allowed_from {allowed:?}");
                    assert!(unrestricted.is_none_or(|u| u > h), "{ctx}: unrestricted_from {unrestricted:?}");
                    assert!(conditions > 0, "{ctx}: yes_with_conditions lists no conditions");
                }
                "yes" => {
                    assert!(
                        unrestricted.is_some_and(|u| u <= h),
                        "{ctx}: 'yes' but unrestricted from {unrestricted:?}"
                    );
                    assert!(allowed.is_some_and(|a| a <= h), "{ctx}: 'yes' but allowed from {allowed:?}");
                }
                other => panic!("{ctx}: unknown answer '{other}'"),
            }
            if let (Some(a), Some(u)) = (allowed, unrestricted) {
                assert!(a <= u, "{ctx}: allowed_from {a} after unrestricted_from {u}");
            }
            assert!(!out["message"].as_str().unwrap_or_default().is_empty(), "{ctx}: empty message");
            // A restriction that lifts stays lifted.
            let rank = ["no", "yes_with_conditions", "yes"].iter().position(|x| *x == answer).expect("rank");
            assert!(rank >= previous_rank, "{ctx}: the answer became stricter later ({answer})");
            previous_rank = rank;
        }
    }
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

// ---------------------------------------------------------------------------------------------
// Dates near year 9999: a schema-valid request must give a schema-valid answer (or be refused)
// ---------------------------------------------------------------------------------------------

/// A schema-valid request must give a schema-valid answer, or be refused as invalid input.
fn assert_in_contract_or_refused(args: &[&str], req: &Value, request_schema: &str, result_schema: &str) {
    assert_valid(request_schema, req, "fixture");
    let r = run(args, &req.to_string());
    match r.code {
        0 => {
            let out: Value = serde_json::from_str(&r.stdout).expect("JSON");
            assert_valid(result_schema, &out, &format!("{args:?} {req}"));
        }
        2 => assert_eq!(r.stderr.lines().count(), 1, "{args:?}: one line on stderr"),
        other => panic!("{args:?} {req}: exit {other}; stderr {}", r.stderr),
    }
}

#[test]
fn a_plan_starting_late_in_year_9999_keeps_contract_dates() {
    let req = json!({"concern": "acne_scars", "start": "9999-12-01", "sessions": 3});
    assert_in_contract_or_refused(&["plan", "--json"], &req, "plan-request", "plan-result");
}

#[test]
fn a_deferral_ending_after_year_9999_keeps_contract_dates() {
    let req = json!({"concern": "acne_scars", "as_of": "9999-12-31", "findings": [{"code": "sunburn", "last": "9999-12-30"}]});
    assert_in_contract_or_refused(&["screen", "--json"], &req, "screening-request", "screening-result");
}

#[test]
fn a_request_file_standard_input_and_dash_give_the_same_answer() {
    let req = json!({"concern": "acne_scars", "scar_grade": 3, "start": "2026-01-05", "price_per_session": 250, "currency": "EUR"});
    let dir = std::env::temp_dir().join(format!("needlepath-contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("plan.json");
    std::fs::write(&file, req.to_string()).expect("write request");
    let path = file.to_str().expect("UTF-8 path");
    let from_file = run_json(&["plan", path, "--json"], "");
    let from_stdin = run_json(&["plan", "--json"], &req.to_string());
    let from_dash = run_json(&["plan", "-", "--json"], &req.to_string());
    let global_first = run_json(&["--json", "plan"], &req.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(from_file, from_stdin);
    assert_eq!(from_dash, from_stdin);
    assert_eq!(global_first, from_stdin, "--json before the command");
}

// ---------------------------------------------------------------------------------------------
// Text form
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Aftercare timeline and daylight saving
// ---------------------------------------------------------------------------------------------

fn entries(out: &Value) -> &Vec<Value> {
    out["entries"].as_array().expect("entries")
}

fn find<'a>(out: &'a Value, kind: &str, code: &str) -> &'a Value {
    entries(out)
        .iter()
        .find(|e| e["kind"] == kind && e["code"] == code)
        .unwrap_or_else(|| panic!("no {kind} entry for {code}:\n{out:#}"))
}

fn instant(v: &Value) -> DateTime<FixedOffset> {
    let s = v.as_str().unwrap_or_else(|| panic!("{v} is not a time"));
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("'{s}' is not RFC 3339: {e}"))
}

/// Entries sorted by time; hours consistent with the instant; pre-care before the session.
fn assert_timeline_shape(out: &Value, treated_at: &str) {
    let t0 = DateTime::parse_from_rfc3339(treated_at).expect("treated_at");
    assert_eq!(instant(&out["treated_at"]), t0, "treated_at echoed as the same instant");
    let list = entries(out);
    let times: Vec<DateTime<FixedOffset>> = list.iter().map(|e| instant(&e["at"])).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "entries are not sorted by time:\n{out:#}");
    let session = list.iter().position(|e| e["kind"] == "session").expect("a session entry");
    assert_eq!(times[session], t0, "the session is at treated_at");
    for (i, e) in list.iter().enumerate() {
        let hours = e["hours"].as_f64().expect("hours");
        let real = (times[i] - t0).num_seconds() as f64 / 3600.0;
        assert!((hours - real).abs() < 0.01, "entry {e}: hours {hours} but {real} h after the session");
        assert_eq!(date(&e["date"]), times[i].date_naive(), "entry {e}: date is the local date of 'at'");
        if e["kind"] == "pre_care" {
            assert!(i < session, "pre-care after the session: {e}");
            assert!(hours <= 0.0, "pre-care with positive hours: {e}");
        }
        if i < session {
            assert_eq!(e["kind"], "pre_care", "only pre-care comes before the session: {e}");
        }
    }
    let negative =
        list.iter().filter(|e| e["kind"] == "pre_care" && e["hours"].as_f64().is_some_and(|h| h < 0.0)).count();
    assert!(negative > 0, "pre-care days before the session have negative hours:\n{out:#}");
}

#[test]
fn aftercare_across_the_european_spring_change() {
    // Clocks go forward in Berlin on 2026-03-29 at 02:00.
    let treated = "2026-03-28T10:00:00+01:00";
    let out = aftercare(&["--treated-at", treated, "--tz", "Europe/Berlin"]);
    assert_eq!(out["time_zone"], "Europe/Berlin");
    assert_timeline_shape(&out, treated);
    // Healing runs on the clock: 24 real hours later is 11:00 local.
    let makeup = find(&out, "allowed", "makeup");
    assert_eq!(makeup["at"], "2026-03-29T11:00:00+02:00", "{makeup}");
    assert!(same(&makeup["hours"], &json!(24)), "{makeup}");
    // People run on the calendar: the day-1 check-in is at the same local time.
    let day1 = find(&out, "check_in", "check_in_1");
    assert_eq!(day1["at"], "2026-03-29T10:00:00+02:00", "{day1}");
    assert!(same(&day1["hours"], &json!(23)), "{day1}");
    // Pre-care before the change keeps its local time too.
    let consult = find(&out, "pre_care", "consultation");
    assert_eq!(consult["at"], "2026-03-14T10:00:00+01:00", "{consult}");
    assert!(same(&consult["hours"], &json!(-336)), "{consult}");
}

#[test]
fn aftercare_across_the_american_spring_change() {
    // Clocks go forward in New York on 2026-03-08 at 02:00.
    let treated = "2026-03-07T10:00:00-05:00";
    let out = aftercare(&["--treated-at", treated, "--tz", "America/New_York"]);
    assert_eq!(out["time_zone"], "America/New_York");
    assert_timeline_shape(&out, treated);
    assert_eq!(find(&out, "allowed", "makeup")["at"], "2026-03-08T11:00:00-04:00");
    assert_eq!(find(&out, "check_in", "check_in_1")["at"], "2026-03-08T10:00:00-04:00");
    assert_eq!(find(&out, "check_in", "check_in_2")["at"], "2026-03-10T10:00:00-04:00");
    assert_eq!(find(&out, "unrestricted", "makeup")["at"], "2026-03-10T11:00:00-04:00");
}

#[test]
fn aftercare_across_the_european_autumn_change() {
    // Clocks go back in Berlin on 2026-10-25 at 03:00.
    let treated = "2026-10-24T10:00:00+02:00";
    let out = aftercare(&["--treated-at", treated, "--tz", "Europe/Berlin"]);
    assert_timeline_shape(&out, treated);
    assert_eq!(find(&out, "allowed", "makeup")["at"], "2026-10-25T09:00:00+01:00");
    let day1 = find(&out, "check_in", "check_in_1");
    assert_eq!(day1["at"], "2026-10-25T10:00:00+01:00");
    assert!(same(&day1["hours"], &json!(25)), "{day1}");
}

#[test]
fn aftercare_pre_care_crosses_the_change_backwards_in_local_days() {
    // A session just after the change: pre-care 7 days before is on the winter offset.
    let treated = "2026-03-30T10:00:00+02:00";
    let out = aftercare(&["--treated-at", treated, "--tz", "Europe/Berlin"]);
    assert_timeline_shape(&out, treated);
    let stop = find(&out, "pre_care", "stop_retinoids_acids");
    assert_eq!(stop["at"], "2026-03-23T10:00:00+01:00", "{stop}");
    assert!(same(&stop["hours"], &json!(-167)), "{stop}");
}

#[test]
fn aftercare_check_in_in_the_spring_gap_moves_forward() {
    // 02:30 on 2026-03-29 does not exist in Berlin: the check-in moves forward by the gap.
    let treated = "2026-03-28T02:30:00+01:00";
    let out = aftercare(&["--treated-at", treated, "--tz", "Europe/Berlin"]);
    assert_timeline_shape(&out, treated);
    assert_eq!(find(&out, "check_in", "check_in_1")["at"], "2026-03-29T03:30:00+02:00");
}

#[test]
fn aftercare_without_a_zone_uses_the_offset_and_findings_add_pre_care() {
    let treated = "2026-03-28T10:00:00+01:00";
    let plain = aftercare(&["--treated-at", treated]);
    assert_timeline_shape(&plain, treated);
    // A fixed offset has no daylight saving: 24 h later is 10:00 at +01:00.
    assert_eq!(find(&plain, "allowed", "makeup")["at"], "2026-03-29T10:00:00+01:00");
    assert!(!entries(&plain).iter().any(|e| e["code"] == "antiviral_prophylaxis"));
    let with = aftercare(&["--treated-at", treated, "--finding", "cold_sore_history"]);
    assert_timeline_shape(&with, treated);
    let step = find(&with, "pre_care", "antiviral_prophylaxis");
    assert!(step["hours"].as_f64().is_some_and(|h| h < 0.0), "{step}");
    let utc = aftercare(&["--treated-at", "2026-03-28T09:00:00Z", "--tz", "Europe/Berlin"]);
    assert_eq!(instant(&utc["treated_at"]), instant(&json!(treated)));
    assert_eq!(utc["treated_at"], treated, "treated_at is shown in the patient's zone");
}

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

#[test]
fn protocol_show_lists_sources_once_and_all_cited_ids_resolve() {
    let ids = builtin_sources();
    assert!(ids.len() >= 10, "protocol show lists only {} sources", ids.len());
    // The spec examples' answers are checked in their own test; here a broad sweep of plan and
    // aftercare answers (which carry the most statements) is checked against the list.
    let out = plan(&json!({"concern": "acne_scars", "scar_grade": 3, "start": "2026-01-05", "interval_weeks": 1,
                           "findings": ["anticoagulant", "cold_sore_history", "pregnant"], "price_per_session": 100, "currency": "CHF"}));
    assert_sources(&out, ids, "plan sweep");
    let out = aftercare(&[
        "--treated-at",
        "2026-06-01T09:00:00Z",
        "--finding",
        "cold_sore_active",
        "--finding",
        "bleeding_disorder",
    ]);
    for e in entries(&out) {
        assert!(e["sources"].as_array().is_some_and(|s| !s.is_empty()), "entry without sources: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

#[test]
fn snapshot_screening_timed_sunburn() {
    let out = screen(&json!({"concern": "acne_scars", "scar_type": "atrophic", "scar_grade": 3, "fitzpatrick": 2,
                             "as_of": "2026-11-21", "findings": [{"code": "sunburn", "last": "2026-11-18"}]}));
    insta::assert_json_snapshot!("screening_timed_sunburn", out);
}

#[test]
fn snapshot_triage_mixed() {
    let out = triage(&json!({"hours_since_treatment": 60, "symptoms": [
        {"code": "redness", "severity": "mild", "trend": "improving"},
        {"code": "swelling", "trend": "worse"},
        {"code": "itching", "severity": "mild"},
        {"code": "blisters"}],
        "findings": ["cold_sore_history"]}));
    insta::assert_json_snapshot!("triage_mixed", out);
}

#[test]
fn snapshot_can_i_makeup() {
    let out = can_i("makeup", "30");
    insta::assert_json_snapshot!("can_i_makeup_30h", out);
}

#[test]
fn snapshot_plan_with_price() {
    let out = plan(&json!({"concern": "acne_scars", "scar_grade": 3, "start": "2026-01-05",
                           "price_per_session": 250, "currency": "EUR", "findings": ["cold_sore_history"]}));
    insta::assert_json_snapshot!("plan_grade3_with_price", out);
}

#[test]
fn snapshot_aftercare_berlin_spring() {
    let out = aftercare(&["--treated-at", "2026-03-28T10:00:00+01:00", "--tz", "Europe/Berlin"]);
    insta::assert_json_snapshot!("aftercare_berlin_spring_change", out);
}
