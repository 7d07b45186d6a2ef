//! Invalid input, end to end: every case in `tests/bad-inputs/` is run against the binary.
//!
//! A case is a file `NAME.json`:
//!
//! ```json
//! { "command": ["screen"],            // argv after the binary
//!   "stdin": "<text>" or <JSON value>, // a string is sent as it is; anything else as JSON
//!   "field": "findings[0]",           // the field or code the message must name
//!   "contains": ["did you mean 'pregnant'"],
//!   "exit": 2 }                       // optional; default 2
//! ```
//!
//! The contract (`docs/spec/README.md`): exit 2 for invalid input with ONE line on standard error
//! that names the field and says what was wrong; 1 for any other failure; never a panic. Nothing
//! is printed on standard output.
//!
//! Commands run in `crates/cli`, so protocol files are named `tests/protocols/...`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use serde_json::Value;

use common::{Run, json_files, run_bytes};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad-inputs");

struct Case {
    name: String,
    command: Vec<String>,
    stdin: String,
    field: String,
    contains: Vec<String>,
    exit: i32,
}

fn load_case(path: &Path) -> Result<Case, String> {
    let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{name}: not JSON: {e}"))?;
    let obj = v.as_object().ok_or_else(|| format!("{name}: a case is a JSON object"))?;
    for key in obj.keys() {
        if !["command", "stdin", "field", "contains", "exit"].contains(&key.as_str()) {
            return Err(format!("{name}: unknown key '{key}' in the case"));
        }
    }
    let strings = |key: &str| -> Result<Vec<String>, String> {
        obj.get(key)
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{name}: '{key}' must be a list of strings"))?
            .iter()
            .map(|x| x.as_str().map(str::to_owned).ok_or_else(|| format!("{name}: '{key}' holds a non-string")))
            .collect()
    };
    let command = strings("command")?;
    if command.is_empty() {
        return Err(format!("{name}: 'command' is empty"));
    }
    let stdin = match obj.get("stdin") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let field = obj
        .get("field")
        .and_then(Value::as_str)
        .filter(|f| !f.is_empty())
        .ok_or_else(|| format!("{name}: 'field' must be a non-empty string"))?
        .to_owned();
    let exit = match obj.get("exit") {
        None => 2,
        Some(e) => {
            e.as_i64().and_then(|e| i32::try_from(e).ok()).ok_or_else(|| format!("{name}: 'exit' must be a number"))?
        }
    };
    let contains = strings("contains")?;
    Ok(Case { name, command, stdin, field, contains, exit })
}

fn corpus() -> Vec<Case> {
    let files = json_files(CORPUS);
    let (cases, errors): (Vec<_>, Vec<_>) = files.iter().map(|p| load_case(p)).partition(Result::is_ok);
    let errors: Vec<String> = errors.into_iter().filter_map(Result::err).collect();
    assert!(errors.is_empty(), "malformed corpus cases:\n  {}", errors.join("\n  "));
    cases.into_iter().filter_map(Result::ok).collect()
}

fn run(case: &Case) -> Run {
    run_bytes(&case.command, case.stdin.as_bytes())
}

/// Everything wrong with one case's run; empty when it holds.
fn check(case: &Case, r: &Run) -> Vec<String> {
    let mut wrong = Vec::new();
    if r.code != Some(case.exit) {
        wrong.push(format!("exit status {:?}, expected {}", r.code, case.exit));
    }
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        if r.stderr.contains(bad) {
            wrong.push(format!("stderr contains '{bad}' (a panic)"));
        }
    }
    if !r.stdout.is_empty() {
        wrong.push(format!("stdout is not empty: {:?}", r.stdout));
    }
    let lines = r.stderr.lines().count();
    if lines != 1 || !r.stderr.ends_with('\n') {
        wrong.push(format!("stderr must be exactly one line, found {lines}"));
    }
    let line = r.stderr.trim_end_matches('\n');
    let prefix = if case.exit == 2 { "needlepath: invalid input: " } else { "needlepath: error: " };
    match line.strip_prefix(prefix) {
        None => wrong.push(format!("stderr does not start with '{prefix}'")),
        // Invalid input names the field first; other failures name it somewhere.
        Some(rest) if case.exit == 2 && !rest.starts_with(&case.field) => {
            wrong.push(format!("the message does not start with the field '{}'", case.field));
        }
        Some(_) if !line.contains(&case.field) => wrong.push(format!("the message does not name '{}'", case.field)),
        Some(_) => {}
    }
    for fragment in &case.contains {
        if !line.contains(fragment.as_str()) {
            wrong.push(format!("the message does not contain {fragment:?}"));
        }
    }
    wrong
}

#[test]
fn every_bad_input_is_refused_with_one_line_naming_the_field() {
    let cases = corpus();
    assert!(cases.len() >= 40, "the corpus holds {} cases; at least 40 are expected", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let r = run(case);
        let wrong = check(case, &r);
        if !wrong.is_empty() {
            failures.push(format!(
                "{} (needlepath {}):\n    - {}\n    stderr: {}",
                case.name,
                case.command.join(" "),
                wrong.join("\n    - "),
                r.stderr.trim_end()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad-input cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_corpus_covers_every_command() {
    let cases = corpus();
    for command in ["screen", "triage", "can-i", "plan", "aftercare"] {
        let n = cases.iter().filter(|c| c.command[0] == command).count();
        assert!(n >= 3, "only {n} bad-input cases for '{command}'");
    }
    assert!(cases.iter().any(|c| c.exit == 1), "no case for a failure other than invalid input (exit 1)");
    assert!(cases.iter().any(|c| c.command.iter().any(|a| a == "--protocol")), "no case with --protocol");
}

#[test]
fn bad_input_is_refused_the_same_way_with_and_without_json() {
    let case = |args: &[&str], stdin: &str| Case {
        name: String::new(),
        command: args.iter().map(|s| (*s).to_owned()).collect(),
        stdin: stdin.to_owned(),
        field: String::new(),
        contains: Vec::new(),
        exit: 2,
    };
    for (command, stdin) in [
        ("screen", r#"{"concern": "acne_scars", "findings": ["pregant"]}"#),
        ("triage", r#"{"hours_since_treatment": -3, "symptoms": []}"#),
        ("plan", r#"{"concern": "acne_scars", "start": "2026-02-30"}"#),
    ] {
        let text = run(&case(&[command], stdin));
        let json = run(&case(&[command, "--json"], stdin));
        assert_eq!(text.code, Some(2), "{command}: {}", text.stderr);
        assert_eq!(text.code, json.code, "{command}");
        assert_eq!(text.stderr, json.stderr, "{command}");
        assert!(text.stdout.is_empty() && json.stdout.is_empty(), "{command}: nothing on stdout");
    }
}

/// One line on stderr, exit 2, nothing on stdout, no panic, and the line mentions `names`.
fn assert_refused(args: &[&str], stdin: &[u8], names: &str) {
    let r = run_bytes(args, stdin);
    assert_eq!(r.code, Some(2), "needlepath {args:?}: exit status; stderr:\n{}", r.stderr);
    assert!(r.stdout.is_empty(), "needlepath {args:?}: stdout is not empty:\n{}", r.stdout);
    assert!(!r.stderr.contains("panicked"), "needlepath {args:?} panicked:\n{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "needlepath {args:?}: stderr must be one line:\n{}", r.stderr);
    assert!(r.stderr.starts_with("needlepath: invalid input: "), "needlepath {args:?}:\n{}", r.stderr);
    assert!(r.stderr.contains(names), "needlepath {args:?}: the message does not name {names:?}:\n{}", r.stderr);
}

#[test]
fn usage_errors_are_one_line_naming_the_argument() {
    assert_refused(&["can-i", "makeup"], b"", "--hours");
    assert_refused(&["can-i", "makeup", "--hours"], b"", "--hours");
    assert_refused(&["aftercare"], b"", "--treated-at");
    assert_refused(&["aftercare", "--treated-at", "2026-03-28T10:00:00Z", "--bogus"], b"", "--bogus");
    assert_refused(&["screen", "a.json", "b.json"], b"", "b.json");
    assert_refused(&["screen", "--protocol"], b"", "--protocol");
    assert_refused(&["protocol", "check"], b"", "FILE");
    assert_refused(&["sreen"], b"", "sreen");
}

#[test]
fn a_missing_subcommand_is_refused_in_one_line() {
    // Exit 2 promises one line on stderr; a full help text is not one line.
    // The line lists the commands that could follow what was typed.
    assert_refused(&[], b"", "screen, triage, can-i, plan, aftercare, protocol");
    assert_refused(&["protocol"], b"", "check, show");
}

#[test]
fn a_request_that_is_not_utf8_is_invalid_input() {
    // UTF-16 (as some editors save JSON) and stray bytes: the request is not valid, so exit 2
    // naming the request, not exit 1 as if reading had failed.
    let utf16: Vec<u8> = std::iter::once(0xFEFF_u16)
        .chain(r#"{"concern": "acne_scars"}"#.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_refused(&["screen"], &utf16, "(request)");
    assert_refused(&["triage"], b"{\"hours_since_treatment\": 2, \"symptoms\": [\xff]}", "(request)");
}
