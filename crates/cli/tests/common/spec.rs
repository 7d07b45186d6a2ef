//! Helpers tied to the decision contract (`docs/spec/`): its schemas and vocabulary, the sources
//! `needlepath protocol show` lists, and the commands run with the contract's checks on every
//! answer (schema-valid, every statement sourced, every source id listed by the protocol).
//!
//! The test files use different parts of this module, and each compiles it on its own, so dead
//! code is allowed here as a whole.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use chrono::NaiveDate;
use serde_json::Value;

use super::{run_json, run_text};

const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/spec");

/// Reads a JSON file.
pub fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The compiled `docs/spec/NAME.schema.json`.
pub fn schema(name: &str) -> jsonschema::Validator {
    let s = load(&Path::new(SPEC).join(format!("{name}.schema.json")));
    jsonschema::validator_for(&s).unwrap_or_else(|e| panic!("{name}.schema.json does not compile: {e}"))
}

/// `instance` validates against `docs/spec/NAME.schema.json`.
pub fn assert_valid(name: &str, instance: &Value, context: &str) {
    let v = schema(name);
    let errors: Vec<String> = v.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(
        errors.is_empty(),
        "{context}: does not validate against {name}.schema.json:\n  {}\ninstance:\n{}",
        errors.join("\n  "),
        serde_json::to_string_pretty(instance).unwrap_or_default()
    );
}

/// `docs/spec/vocabulary.json`.
pub fn vocabulary() -> Value {
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

/// The source ids of the built-in protocol, read once per test binary.
pub fn builtin_sources() -> &'static BTreeSet<String> {
    static IDS: OnceLock<BTreeSet<String>> = OnceLock::new();
    IDS.get_or_init(|| source_ids(None))
}

/// Every `sources` anywhere in the answer is a non-empty list of ids the protocol lists.
pub fn assert_sources(v: &Value, known: &BTreeSet<String>, context: &str) {
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
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// A `YYYY-MM-DD` date.
pub fn date(v: &Value) -> NaiveDate {
    let s = v.as_str().unwrap_or_else(|| panic!("{v} is not a date string"));
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("'{s}' is not a YYYY-MM-DD date: {e}"))
}

/// `screen --json` on a request the screening-request schema accepts; the answer must follow the contract.
pub fn screen(req: &Value) -> Value {
    assert_valid("screening-request", req, "screening fixture");
    let out = run_json(&["screen", "--json"], &req.to_string());
    assert_valid("screening-result", &out, &format!("screen {req}"));
    assert_sources(&out, builtin_sources(), &format!("screen {req}"));
    assert_each_sourced(&out, "reasons", &format!("screen {req}"));
    assert_each_sourced(&out, "precautions", &format!("screen {req}"));
    out
}

/// `triage --json` on a request the checkin-request schema accepts; the answer must follow the contract.
pub fn triage(req: &Value) -> Value {
    assert_valid("checkin-request", req, "check-in fixture");
    let out = run_json(&["triage", "--json"], &req.to_string());
    assert_valid("triage-result", &out, &format!("triage {req}"));
    assert_sources(&out, builtin_sources(), &format!("triage {req}"));
    assert_each_sourced(&out, "assessments", &format!("triage {req}"));
    assert_each_sourced(&out, "advice", &format!("triage {req}"));
    out
}

/// `can-i ACTIVITY --hours HOURS --json`; the answer must validate and cite listed sources.
pub fn can_i(activity: &str, hours: &str) -> Value {
    let out = run_json(&["can-i", activity, "--hours", hours, "--json"], "");
    let ctx = format!("can-i {activity} --hours {hours}");
    assert_valid("can-i-result", &out, &ctx);
    assert_sources(&out, builtin_sources(), &ctx);
    out
}

/// `plan --json` on a request the plan-request schema accepts; the answer must follow the contract.
pub fn plan(req: &Value) -> Value {
    assert_valid("plan-request", req, "plan fixture");
    let out = run_json(&["plan", "--json"], &req.to_string());
    assert_valid("plan-result", &out, &format!("plan {req}"));
    assert_sources(&out, builtin_sources(), &format!("plan {req}"));
    out
}

/// `aftercare ARGS --json`; every source the timeline cites must be one `protocol show` lists.
pub fn aftercare(args: &[&str]) -> Value {
    let mut all = vec!["aftercare"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = run_json(&all, "");
    assert_sources(&out, builtin_sources(), &format!("aftercare {args:?}"));
    out
}

/// The entries of an aftercare timeline.
pub fn entries(out: &Value) -> &Vec<Value> {
    out["entries"].as_array().expect("entries")
}
