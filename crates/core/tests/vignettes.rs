//! Clinical vignettes: scenarios written from the research notes, run against the built-in
//! protocol and scored for under- and over-triage.
//!
//! The rule tables (`tests/cases/`) pin single rules; the vignettes ask the question a clinician
//! would: for this patient, at this hour, is the answer at least as careful as it should be? Each
//! vignette (`tests/vignettes/*.json`) gives a request, the answer a clinician would set and the
//! research row behind it. The runner compares the engine's answer with it:
//!
//! - **under-triage**: the engine is less urgent (triage), less strict (screening: a lower
//!   decision, a missing clinician review or precaution; can-I: a more permissive answer) than
//!   expected, or the request could not be run at all. Any under-triage fails the test.
//! - **over-triage**: more urgent or stricter than expected. Counted and printed; it fails only for
//!   vignettes marked `"pin": true` (the over-caution items of issue 12, item 14), which must
//!   match exactly.
//!
//! The table of every vignette is printed (`cargo test --test vignettes -- --nocapture`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cmp::Ordering;

use chrono::NaiveDate;
use needlepath_core::Protocol;
use needlepath_core::can_i::can_i;
use needlepath_core::request::{CanIRequest, CheckIn, ScreeningRequest};
use needlepath_core::screening::screen;
use needlepath_core::triage::triage;
use needlepath_core::vocabulary::{Answer, Decision, Disposition};
use serde_json::Value;

const FILES: &[(&str, &str)] = &[
    ("triage", include_str!("vignettes/triage.json")),
    ("screening", include_str!("vignettes/screening.json")),
    ("can_i", include_str!("vignettes/can_i.json")),
];

/// At least this many vignettes (issue 12: at least 60 new scenarios).
const MIN_VIGNETTES: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Match,
    Under,
    Over,
    /// The request could not be run: counted as under-triage (nothing was decided).
    Error,
}

struct Row {
    id: String,
    kind: &'static str,
    expected: String,
    got: String,
    verdict: Verdict,
    pin: bool,
    needs: String,
    source: String,
}

impl Row {
    fn fails(&self) -> bool {
        matches!(self.verdict, Verdict::Under | Verdict::Error) || (self.pin && self.verdict != Verdict::Match)
    }
}

fn verdict(o: Ordering) -> Verdict {
    match o {
        Ordering::Equal => Verdict::Match,
        Ordering::Less => Verdict::Under,
        Ordering::Greater => Verdict::Over,
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn run_triage(p: &Protocol, v: &Value) -> (String, String, Verdict) {
    let expected = str_of(&v["expect"], "disposition");
    let Ok(want) = Disposition::parse(expected) else {
        return (expected.to_owned(), "bad expectation".to_owned(), Verdict::Error);
    };
    match CheckIn::from_json(&v["request"]) {
        Err(e) => (expected.to_owned(), format!("input error: {e}"), Verdict::Error),
        Ok(c) => {
            let got = triage(p, &c).disposition;
            (expected.to_owned(), got.to_string(), verdict(got.cmp(&want)))
        }
    }
}

fn run_screening(p: &Protocol, v: &Value) -> (String, String, Verdict) {
    let e = &v["expect"];
    let decision = str_of(e, "decision");
    let review = e.get("clinician_review_required").and_then(Value::as_bool);
    let must: Vec<&str> = e
        .get("precautions_include")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let expected = format!(
        "{decision}{}{}",
        match review {
            Some(true) => ", review",
            Some(false) => ", no review",
            None => "",
        },
        if must.is_empty() { String::new() } else { format!(", +{}", must.join("+")) }
    );
    let Ok(want) = Decision::parse(decision) else {
        return (expected, "bad expectation".to_owned(), Verdict::Error);
    };
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let req = match ScreeningRequest::from_json(&v["request"], today) {
        Ok(r) => r,
        Err(e) => return (expected, format!("input error: {e}"), Verdict::Error),
    };
    let r = screen(p, &req);
    let missing: Vec<&str> = must.iter().copied().filter(|m| !r.precautions.iter().any(|s| s.code == *m)).collect();
    let got = format!(
        "{}{}{}",
        r.decision,
        if r.clinician_review_required { ", review" } else { ", no review" },
        if missing.is_empty() { String::new() } else { format!(", lacks {}", missing.join("+")) }
    );
    // Less strict on any axis is under-triage, whatever the others say.
    let under = r.decision < want || (review == Some(true) && !r.clinician_review_required) || !missing.is_empty();
    let over = r.decision > want || (review == Some(false) && r.clinician_review_required);
    let v = match (under, over) {
        (true, _) => Verdict::Under,
        (false, true) => Verdict::Over,
        (false, false) => Verdict::Match,
    };
    (expected, got, v)
}

/// Strictness of a can-I answer: `no` is the strictest.
fn strictness(a: Answer) -> u8 {
    match a {
        Answer::Yes => 0,
        Answer::YesWithConditions => 1,
        Answer::No => 2,
    }
}

fn run_can_i(p: &Protocol, v: &Value) -> (String, String, Verdict) {
    let expected = str_of(&v["expect"], "answer");
    let Ok(want) = Answer::parse(expected) else {
        return (expected.to_owned(), "bad expectation".to_owned(), Verdict::Error);
    };
    let r = &v["request"];
    let hours = r.get("hours").and_then(Value::as_f64).unwrap_or(f64::NAN);
    match CanIRequest::parse(str_of(r, "activity"), hours) {
        Err(e) => (expected.to_owned(), format!("input error: {e}"), Verdict::Error),
        Ok(req) => {
            let got = can_i(p, &req).answer;
            (expected.to_owned(), got.to_string(), verdict(strictness(got).cmp(&strictness(want))))
        }
    }
}

fn load(p: &Protocol) -> (Vec<Row>, Vec<String>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (kind, text) in FILES {
        let doc: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("vignettes/{kind}.json: {e}"));
        let list = doc["vignettes"].as_array().unwrap_or_else(|| panic!("vignettes/{kind}.json has no list"));
        for v in list {
            let id = str_of(v, "id").to_owned();
            let source = str_of(v, "source").to_owned();
            if !source.contains("clinical-research.md §") {
                problems.push(format!(
                    "{id}: source must name a row of clinical-research.md (\"clinical-research.md §N row '…'\")"
                ));
            }
            if str_of(v, "scenario").is_empty() {
                problems.push(format!("{id}: no scenario"));
            }
            let (expected, got, verdict) = match *kind {
                "triage" => run_triage(p, v),
                "screening" => run_screening(p, v),
                _ => run_can_i(p, v),
            };
            rows.push(Row {
                id,
                kind,
                expected,
                got,
                verdict,
                pin: v.get("pin").and_then(Value::as_bool).unwrap_or(false),
                needs: str_of(v, "needs").to_owned(),
                source,
            });
        }
    }
    let mut ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    for w in ids.windows(2) {
        if w[0] == w[1] {
            problems.push(format!("vignette id '{}' is used twice", w[0]));
        }
    }
    (rows, problems)
}

fn table(rows: &[Row]) -> String {
    let mut o =
        format!("{:<34} {:<9} {:<40} {:<40} {:<7} {}\n", "vignette", "kind", "expected", "engine", "verdict", "needs");
    for r in rows {
        let verdict = match (r.verdict, r.pin) {
            (Verdict::Match, _) => "ok",
            (Verdict::Under, _) => "UNDER",
            (Verdict::Over, true) => "OVER*",
            (Verdict::Over, false) => "over",
            (Verdict::Error, _) => "ERROR",
        };
        o.push_str(&format!(
            "{:<34} {:<9} {:<40} {:<40} {:<7} {}\n",
            r.id,
            r.kind,
            r.expected,
            truncate(&r.got, 40),
            verdict,
            r.needs
        ));
    }
    o
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { format!("{}…", s.chars().take(n - 1).collect::<String>()) }
}

#[test]
fn vignettes_show_no_under_triage_and_pinned_cases_match() {
    let p = Protocol::builtin().expect("the built-in protocol loads");
    let (rows, problems) = load(&p);
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
    println!("{}", table(&rows));
    println!(
        "{} vignettes: {} match, {} under-triage, {} over-triage, {} could not run; {} pinned",
        rows.len(),
        count(Verdict::Match),
        count(Verdict::Under),
        count(Verdict::Over),
        count(Verdict::Error),
        rows.iter().filter(|r| r.pin).count()
    );
    let mut failures: Vec<String> = problems;
    if rows.len() < MIN_VIGNETTES {
        failures.push(format!("only {} vignettes; at least {MIN_VIGNETTES} are required", rows.len()));
    }
    for r in rows.iter().filter(|r| r.fails()) {
        let what = match r.verdict {
            Verdict::Under => "under-triage",
            Verdict::Error => "could not run",
            _ => "pinned, but the engine differs",
        };
        let needs = if r.needs.is_empty() { String::new() } else { format!(" (needs: {})", r.needs) };
        failures.push(format!(
            "{} [{}]: {what}: expected {}, engine {}{needs}\n      source: {}",
            r.id, r.kind, r.expected, r.got, r.source
        ));
    }
    assert!(failures.is_empty(), "{} vignette problem(s):\n  - {}", failures.len(), failures.join("\n  - "));
}
