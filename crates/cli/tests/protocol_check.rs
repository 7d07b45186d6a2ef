//! `needlepath protocol check` and clinic protocols, end to end.
//!
//! Every broken clinic protocol in `tests/protocols/` extends the built-in one and breaks one rule
//! of `docs/PROTOCOL-FORMAT.md` (or several, in `several_problems.toml`). `protocol check FILE`
//! must exit 2 and print one `FILE:LINE:COL: message` line per problem, at the right line. The
//! example clinic protocol (`examples/clinic-protocol.toml`) must pass and change the answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use serde_json::{Value, json};

use common::spec::vocabulary;
use common::{Run, crate_dir, run_in};

const CLINIC: &str = "examples/clinic-protocol.toml";
const CLINIC_ID: &str = "example-skin-clinic-microneedling";
const BUILTIN_ID: &str = "needlepath-microneedling";

/// Runs in the repository root, where `examples/` and `protocols/` are.
fn repo(args: &[&str]) -> Run {
    run_in("../..", args, "")
}

/// Runs in the repository root; the command must succeed and print JSON.
fn repo_json(args: &[&str], stdin: &str) -> Value {
    let r = run_in("../..", args, stdin);
    assert_eq!(r.code, Some(0), "needlepath {args:?} failed:\n{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("needlepath {args:?}: not JSON ({e}):\n{}", r.stdout))
}

// ---------------------------------------------------------------------------------------------
// Broken clinic protocols
// ---------------------------------------------------------------------------------------------

/// One problem `protocol check` must report.
struct Expect {
    /// Lines at which the problem may be reported; the first must contain `text`.
    lines: &'static [usize],
    /// What the fixture holds on the first of `lines` (guards the fixture against edits).
    text: &'static str,
    /// Fragments of the message.
    says: &'static [&'static str],
}

const fn at(lines: &'static [usize], text: &'static str, says: &'static [&'static str]) -> Expect {
    Expect { lines, text, says }
}

fn fixtures() -> Vec<(&'static str, Vec<Expect>)> {
    vec![
        (
            "unknown_symptom.toml",
            vec![at(&[8], r#"code = "rednes""#, &["unknown symptom 'rednes'", "did you mean 'redness'", "accepted:"])],
        ),
        (
            "dangling_source.toml",
            vec![
                at(&[9], "NoSuchSource2020", &["unknown source 'NoSuchSource2020'"]),
                at(&[21], "Chu2012", &["unknown source 'Chu2012'"]),
            ],
        ),
        (
            "unused_source.toml",
            vec![at(&[13], r#"id = "clinic-leaflet-unused""#, &["'clinic-leaflet-unused'", "never cited"])],
        ),
        ("phases_backwards.toml", vec![at(&[23], "from_hours = 120", &["120", "168", "ends before it starts"])]),
        (
            "restriction_returns.toml",
            vec![at(&[24], r#"answer = "no""#, &["'no' after 'yes_with_conditions'", "must stay lifted"])],
        ),
        ("duplicate_rule.toml", vec![at(&[14], r#"code = "pregnant""#, &["duplicate rule", "line 8"])]),
        ("window_zero.toml", vec![at(&[10], "window_days = 0", &["window_days is 0", "at least 1"])]),
        (
            "red_flag_downgraded.toml",
            vec![
                // The entry (its code) or the offending disposition.
                at(
                    &[8, 11],
                    r#"code = "throat_tightness""#,
                    &["'throat_tightness'", "'urgent_same_day'", "'emergency'"],
                ),
                at(&[16, 19], r#"code = "eye_symptoms""#, &["'eye_symptoms'", "'contact_clinic'", "'urgent_same_day'"]),
            ],
        ),
        (
            "escalation_lowered.toml",
            vec![
                at(&[9], r#"code = "redness""#, &["'redness'", "'severe'", "'contact_clinic'"]),
                at(&[39, 47, 49], r#"code = "hives""#, &["'hives'", "'with_symptom'", "'emergency'"]),
            ],
        ),
        (
            "window_narrowed.toml",
            vec![
                at(
                    &[10],
                    r#"code = "tingling""#,
                    &["'tingling'", "narrows the window", "'after_numbing'", "0 h to 12 h", "0 h to 6 h"],
                ),
                at(&[54], r#"code = "breakout""#, &["'breakout'", "narrows the window", "'severe'", "24 h to 168 h"]),
            ],
        ),
        (
            "window_backwards.toml",
            vec![
                at(&[18], "within_hours = 24", &["within_hours (24)", "after_hours (48)", "ends before it starts"]),
                at(&[26], "within_hours = -5", &["within_hours is -5", "0 or more"]),
                at(&[32], r#"when = "reported""#, &["'reported' needs after_hours or within_hours"]),
            ],
        ),
        ("fever_threshold.toml", vec![at(&[8], "fever_threshold_c = 39.0", &["fever_threshold_c", "39", "38"])]),
        (
            "anaesthesia_sources_dropped.toml",
            vec![at(
                &[7, 8, 9],
                "[anaesthesia.no_occlusion]",
                &["anaesthesia.no_occlusion", "Jalian-DT", "Sobanko2012", "not remove them"],
            )],
        ),
        (
            "methaemoglobinaemia_unflagged.toml",
            vec![at(
                &[8],
                r#"code = "lidocaine_prilocaine""#,
                &["'lidocaine_prilocaine'", "methaemoglobinaemia", "no protocol may drop"],
            )],
        ),
        (
            "makeup_early.toml",
            vec![at(&[8, 17], r#"code = "makeup""#, &["'makeup'", "12 h", "24 h", "earlier than the floor"])],
        ),
        (
            "minor_age_lowered.toml",
            vec![
                at(&[8], "minor_under_years = 16", &["minor_under_years 16", "floor of 18"]),
                at(&[7, 8, 9, 10, 11, 12], "[screening.age]", &["'guardian_consent'"]),
            ],
        ),
        (
            "interval_short.toml",
            vec![at(&[8], "interval_days = { min = 14, max = 42 }", &["interval_days.min 14", "28"])],
        ),
        (
            "finding_less_strict.toml",
            vec![at(&[8, 9], r#"code = "pregnant""#, &["'pregnant'", "'eligible'", "'defer'"])],
        ),
        (
            "hold_weakened.toml",
            vec![
                at(&[8], r#"code = "pregnant""#, &["'pregnant'", "absolute", "relative"]),
                at(&[15], r#"code = "sunburn""#, &["'sunburn'", "absolute hold was made relative"]),
            ],
        ),
        (
            "hold_misplaced.toml",
            vec![
                at(&[10], r#"hold = "sometimes""#, &["unknown hold 'sometimes'", "accepted: relative, absolute"]),
                at(
                    &[19],
                    r#"hold = "relative""#,
                    &["hold is only for 'defer' and 'not_eligible'", "'eligible_with_precautions'"],
                ),
            ],
        ),
        (
            "precaution_eligible.toml",
            vec![at(
                &[9],
                r#"effect = "eligible""#,
                &["a rule with precautions decides at least 'eligible_with_precautions'"],
            )],
        ),
        // The floor keeps content, not only dispositions (issue 12, item 11).
        (
            "antiviral_dropped.toml",
            vec![at(
                &[8],
                r#"code = "cold_sore_history""#,
                &["'cold_sore_history'", "must keep 'antiviral_prophylaxis'"],
            )],
        ),
        (
            "pre_care_misdirected.toml",
            vec![at(&[8], r#"code = "antiviral_prophylaxis""#, &["'antiviral_prophylaxis'", "cold_sore_history"])],
        ),
        (
            "anticoagulant_reworded.toml",
            vec![at(&[16], "pause your blood thinner", &["'never_stop_prescribed_anticoagulant'", "instruction"])],
        ),
        (
            "eczema_herpeticum_reworded.toml",
            vec![at(&[16], "let the clinic know", &["'clustered_blisters_emergency'", "'emergency services'"])],
        ),
        ("check_in_late.toml", vec![at(&[8], "check_in_days = [14]", &["first check-in by day 3", "day 14"])]),
        (
            "emergency_advice_reworded.toml",
            vec![
                at(&[12], "see a doctor", &["'emergency' advice", "'emergency services'"]),
                at(&[19], r#"code = "call_the_clinic""#, &["'urgent_same_day' advice", "'call_clinic_today'"]),
            ],
        ),
        ("syntax_error.toml", vec![at(&[5], r#"title = "Unterminated"#, &["string"])]),
        (
            "several_problems.toml",
            vec![
                at(&[8], r#"id = "clinic-never-cited""#, &["'clinic-never-cited'", "never cited"]),
                at(&[15], "window_days = 0", &["window_days is 0"]),
                at(&[20], r#"code = "sweling""#, &["unknown symptom 'sweling'", "did you mean 'swelling'"]),
                at(&[29], "MadeUp1999", &["unknown source 'MadeUp1999'"]),
                at(&[43], "from_hours = 120", &["120", "168"]),
            ],
        ),
        (
            // A structural problem does not excuse a safety-floor problem: both are reported.
            "structural_and_floor.toml",
            vec![
                at(&[9], "fever_threshold_c = 39.0", &["fever_threshold_c", "39"]),
                at(&[12], r#"code = "suana""#, &["unknown activity 'suana'", "did you mean 'sauna'"]),
            ],
        ),
    ]
}

/// A `FILE:LINE:COL: message` line (or `FILE:message` for the file as a whole, line 0).
struct Reported {
    line: usize,
    column: usize,
    message: String,
}

fn parse_report(path: &str, l: &str) -> Option<Reported> {
    let rest = l.strip_prefix(path)?.strip_prefix(':')?;
    let mut parts = rest.splitn(3, ':');
    let (a, b, c) = (parts.next()?, parts.next(), parts.next());
    match (a.parse::<usize>(), b.and_then(|b| b.parse::<usize>().ok()), c) {
        (Ok(line), Some(column), Some(message)) => Some(Reported { line, column, message: message.trim().to_owned() }),
        _ => Some(Reported { line: 0, column: 0, message: rest.trim().to_owned() }),
    }
}

fn check_fixture(file: &str, expected: &[Expect]) -> Vec<String> {
    let mut wrong = Vec::new();
    let path = format!("tests/protocols/{file}");
    let text = std::fs::read_to_string(crate_dir().join(&path)).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let lines: Vec<&str> = text.lines().collect();
    for e in expected {
        let n = e.lines[0];
        let held = lines.get(n - 1).copied().unwrap_or_default();
        assert!(held.contains(e.text), "{path}:{n} is expected to hold {:?} but holds {held:?}", e.text);
    }
    assert!(
        text.contains(r#"extends = "needlepath-microneedling""#),
        "{path}: a clinic fixture extends the built-in protocol"
    );

    let r = run_in(".", &["protocol", "check", &path], "");
    if r.code != Some(2) {
        wrong.push(format!("exit status {:?}, expected 2", r.code));
    }
    if !r.stdout.is_empty() {
        wrong.push(format!("stdout is not empty: {:?}", r.stdout));
    }
    let reports: Vec<Reported> = r.stderr.lines().filter_map(|l| parse_report(&path, l)).collect();
    for rep in &reports {
        if rep.line > 0 && rep.column == 0 {
            wrong.push(format!("line {} reported without a column: {}", rep.line, rep.message));
        }
    }
    for e in expected {
        let found =
            reports.iter().any(|rep| e.lines.contains(&rep.line) && e.says.iter().all(|s| rep.message.contains(s)));
        if !found {
            wrong.push(format!("no `{path}:LINE:COL:` line with LINE in {:?} saying {:?}", e.lines, e.says));
        }
    }
    // The summary line counts the problems printed.
    let summary = format!("{path} has {} problem(s)", reports.len());
    if !r.stderr.lines().any(|l| l.starts_with("needlepath: invalid input: ") && l.contains(&summary)) {
        wrong.push(format!("no summary line '{summary}'"));
    }
    if !wrong.is_empty() {
        wrong.push(format!("stderr was:\n{}", r.stderr));
    }
    wrong
}

fn assert_fixture(file: &str) {
    let expected = fixtures().into_iter().find(|(f, _)| *f == file).map(|(_, e)| e);
    let expected = expected.unwrap_or_else(|| panic!("{file} is not listed in fixtures()"));
    let wrong = check_fixture(file, &expected);
    assert!(wrong.is_empty(), "{file}:\n    - {}", wrong.join("\n    - "));
}

/// One test per fixture, so that each broken rule passes or fails on its own.
macro_rules! fixture_tests {
    ($($name:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $name() {
                assert_fixture($file);
            }
        )*
    };
}

fixture_tests! {
    check_reports_an_unknown_symptom_code_with_a_suggestion => "unknown_symptom.toml",
    check_reports_dangling_source_ids => "dangling_source.toml",
    check_reports_a_source_listed_but_never_cited => "unused_source.toml",
    check_reports_phases_that_go_backwards => "phases_backwards.toml",
    check_reports_a_restriction_that_comes_back => "restriction_returns.toml",
    check_reports_a_duplicate_rule => "duplicate_rule.toml",
    check_reports_a_zero_day_window => "window_zero.toml",
    check_reports_downgraded_red_flags => "red_flag_downgraded.toml",
    check_reports_dropped_and_lowered_escalations => "escalation_lowered.toml",
    check_reports_a_narrowed_escalation_window => "window_narrowed.toml",
    check_reports_escalation_windows_that_end_before_they_start => "window_backwards.toml",
    check_reports_a_raised_fever_threshold_at_its_line => "fever_threshold.toml",
    check_refuses_dropping_the_sources_of_the_no_occlusion_rule => "anaesthesia_sources_dropped.toml",
    check_refuses_unflagging_methaemoglobinaemia => "methaemoglobinaemia_unflagged.toml",
    check_reports_makeup_allowed_earlier => "makeup_early.toml",
    check_reports_a_shorter_interval_at_its_line => "interval_short.toml",
    check_reports_minors_screened_as_adults => "minor_age_lowered.toml",
    check_reports_a_finding_made_less_strict => "finding_less_strict.toml",
    check_reports_an_absolute_hold_made_relative => "hold_weakened.toml",
    check_reports_a_hold_that_is_unknown_or_misplaced => "hold_misplaced.toml",
    check_reports_a_rule_with_precautions_that_decides_eligible => "precaution_eligible.toml",
    check_reports_a_dropped_antiviral_precaution => "antiviral_dropped.toml",
    check_reports_antiviral_pre_care_aimed_at_another_finding => "pre_care_misdirected.toml",
    check_reports_a_reworded_never_stop_anticoagulants_precaution => "anticoagulant_reworded.toml",
    check_reports_a_reworded_eczema_herpeticum_instruction => "eczema_herpeticum_reworded.toml",
    check_reports_a_first_check_in_after_day_3 => "check_in_late.toml",
    check_reports_emergency_and_urgent_advice_without_their_instruction => "emergency_advice_reworded.toml",
    check_reports_a_toml_syntax_error => "syntax_error.toml",
    check_reports_all_of_several_problems => "several_problems.toml",
    check_reports_floor_problems_alongside_structural_ones => "structural_and_floor.toml",
}

#[test]
fn every_fixture_file_has_expectations() {
    let dir = crate_dir().join("tests/protocols");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("tests/protocols exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    let listed: BTreeSet<String> = fixtures().into_iter().map(|(f, _)| f.to_owned()).collect();
    assert_eq!(on_disk, listed, "every protocol fixture needs its expected problems in fixtures()");
    // ... and its own test in fixture_tests!.
    let source = include_str!("protocol_check.rs");
    for file in &listed {
        assert!(source.contains(&format!("=> \"{file}\",")), "{file} has no test in fixture_tests!");
    }
}

#[test]
fn a_file_with_several_problems_reports_all_of_them_in_file_order() {
    let path = "tests/protocols/several_problems.toml";
    let r = run_in(".", &["protocol", "check", path], "");
    assert_eq!(r.code, Some(2));
    let lines: Vec<usize> = r.stderr.lines().filter_map(|l| parse_report(path, l)).map(|p| p.line).collect();
    assert!(lines.len() >= 5, "expected at least 5 problems, got {lines:?}:\n{}", r.stderr);
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "problems are not in file order: {lines:?}");
}

#[test]
fn a_broken_protocol_is_refused_by_every_command_with_one_line() {
    for (args, stdin) in [
        (vec!["screen"], r#"{"concern": "acne_scars"}"#),
        (vec!["triage", "--json"], r#"{"hours_since_treatment": 2, "symptoms": []}"#),
        (vec!["can-i", "sauna", "--hours", "100"], ""),
        (vec!["plan"], r#"{"concern": "acne_scars", "start": "2026-01-05"}"#),
        (vec!["aftercare", "--treated-at", "2026-03-28T10:00:00+01:00"], ""),
        (vec!["protocol", "show"], ""),
    ] {
        for fixture in ["fever_threshold.toml", "syntax_error.toml", "red_flag_downgraded.toml"] {
            let path = format!("tests/protocols/{fixture}");
            let mut all = args.clone();
            all.extend(["--protocol", path.as_str()]);
            let r = run_in(".", &all, stdin);
            assert_eq!(r.code, Some(2), "{all:?}: {}", r.stderr);
            assert!(r.stdout.is_empty(), "{all:?}: printed a decision by a refused protocol:\n{}", r.stdout);
            assert_eq!(r.stderr.lines().count(), 1, "{all:?}: one line on stderr:\n{}", r.stderr);
            assert!(
                r.stderr.starts_with(&format!("needlepath: invalid input: --protocol {path}:")),
                "{all:?}: names --protocol and the file:\n{}",
                r.stderr
            );
        }
    }
}

#[test]
fn checking_a_missing_file_is_another_failure() {
    let r = run_in(".", &["protocol", "check", "tests/protocols/no-such-file.toml"], "");
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("no-such-file.toml"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// Valid protocols
// ---------------------------------------------------------------------------------------------

#[test]
fn the_built_in_protocol_passes_its_own_check() {
    let r = repo(&["protocol", "check", "protocols/microneedling.toml"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert!(r.stdout.contains(BUILTIN_ID) && r.stdout.contains("valid"), "{}", r.stdout);
}

fn assert_valid_clinic(file: &str) {
    let path = format!("tests/protocols/valid/{file}");
    let r = run_in(".", &["protocol", "check", &path], "");
    assert_eq!(r.code, Some(0), "{path} must pass the check; stderr:\n{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert!(r.stdout.contains("valid"), "{}", r.stdout);
}

#[test]
fn a_clinic_may_restate_an_inherited_source_and_cite_it() {
    assert_valid_clinic("restated_and_cited.toml");
}

#[test]
fn a_restated_inherited_source_counts_as_cited_by_the_inherited_rules() {
    assert_valid_clinic("restated_source.toml");
}

#[test]
fn the_example_clinic_protocol_passes_the_check() {
    let r = repo(&["protocol", "check", CLINIC]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert!(r.stdout.contains(CLINIC_ID) && r.stdout.contains("valid"), "{}", r.stdout);
    let j = repo_json(&["protocol", "check", CLINIC, "--json"], "");
    assert_eq!(j["valid"], true);
    assert_eq!(j["id"], CLINIC_ID);
}

#[test]
fn protocol_show_shows_the_clinic_protocol() {
    let r = repo(&["protocol", "show", "--protocol", CLINIC]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let first = r.stdout.lines().next().unwrap_or_default();
    assert!(first.contains(CLINIC_ID), "the first line names the clinic's protocol: {first}");
    assert!(r.stdout.contains(&format!("Extends: {BUILTIN_ID}")), "{}", &r.stdout[..r.stdout.len().min(500)]);
    assert!(r.stdout.contains("clinic-sop-2026 [practice]"), "the clinic's source is listed");
    assert!(r.stdout.contains("Sasaki2019 ["), "inherited sources are listed");
    assert!(r.stdout.contains("clinic_heat_water_makeup:"), "the clinic's conflict entry is listed");
    assert!(r.stdout.contains("sauna: no from 0 h, yes_with_conditions from 120 h, yes from 168 h"), "sauna phases");
    assert!(
        r.stdout.contains("swimming: no from 0 h, yes_with_conditions from 120 h, yes from 168 h"),
        "swimming phases"
    );
    let builtin = repo(&["protocol", "show"]);
    assert!(!builtin.stdout.contains(CLINIC_ID));
    assert!(builtin.stdout.contains("sauna: no from 0 h, yes_with_conditions from 72 h, yes from 120 h"));
}

#[test]
fn the_clinic_protocol_changes_the_answers() {
    let clinic = |a: &str, h: &str| repo_json(&["can-i", a, "--hours", h, "--protocol", CLINIC, "--json"], "");
    let builtin = |a: &str, h: &str| repo_json(&["can-i", a, "--hours", h, "--json"], "");

    let c = clinic("sauna", "100");
    assert_eq!(c["answer"], "no", "{c:#}");
    assert_eq!(c["allowed_from_hours"], 120, "{c:#}");
    assert_eq!(c["unrestricted_from_hours"], 168, "{c:#}");
    assert_eq!(c["protocol"]["id"], CLINIC_ID);
    assert!(c["sources"].as_array().is_some_and(|s| s.contains(&json!("clinic-sop-2026"))), "{c:#}");
    let b = builtin("sauna", "100");
    assert_eq!(b["answer"], "yes_with_conditions", "{b:#}");
    assert_eq!(b["allowed_from_hours"], 72, "{b:#}");
    assert_eq!(b["protocol"]["id"], BUILTIN_ID);

    for (activity, hours, answer) in [
        ("swimming", "100", "no"),
        ("swimming", "120", "yes_with_conditions"),
        ("swimming", "167.5", "yes_with_conditions"),
        ("swimming", "168", "yes"),
        ("sauna", "130", "yes_with_conditions"),
        ("sauna", "200", "yes"),
        ("makeup", "30", "no"),
        ("makeup", "48", "yes_with_conditions"),
        ("makeup", "80", "yes_with_conditions"),
        ("makeup", "96", "yes"),
        // Inherited unchanged.
        ("exercise", "30", "yes_with_conditions"),
        ("retinoid", "80", "yes_with_conditions"),
    ] {
        let out = clinic(activity, hours);
        assert_eq!(out["answer"], answer, "{activity} at {hours} h by the clinic protocol:\n{out:#}");
    }
    assert_eq!(clinic("makeup", "30")["allowed_from_hours"], 48);
    assert_eq!(builtin("makeup", "30")["answer"], "yes_with_conditions");
}

#[test]
fn the_clinic_protocol_is_never_less_strict_than_the_built_in_one() {
    let vocabulary = vocabulary();
    let rank = |a: &Value| ["no", "yes_with_conditions", "yes"].iter().position(|x| a == x).expect("answer");
    for activity in vocabulary["activities"].as_object().expect("activities").keys() {
        for hours in ["0", "24", "48", "72", "100", "120", "168", "1000"] {
            let c = repo_json(&["can-i", activity, "--hours", hours, "--protocol", CLINIC, "--json"], "");
            let b = repo_json(&["can-i", activity, "--hours", hours, "--json"], "");
            assert!(
                rank(&c["answer"]) <= rank(&b["answer"]),
                "{activity} at {hours} h: the clinic answers {} where the built-in answers {}",
                c["answer"],
                b["answer"]
            );
        }
    }
}

#[test]
fn decisions_by_the_clinic_protocol_name_it_and_cite_its_sources() {
    let show = repo(&["protocol", "show", "--protocol", CLINIC]).stdout;
    let ids: BTreeSet<&str> = show
        .lines()
        .skip_while(|l| !l.starts_with("== Sources ("))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| l.split(" [").next())
        .collect();
    assert!(ids.contains("clinic-sop-2026"));
    let screen = repo_json(
        &["screen", "--protocol", CLINIC, "--json"],
        r#"{"concern": "acne_scars", "as_of": "2026-11-21", "findings": [{"code": "sunburn", "last": "2026-11-18"}]}"#,
    );
    assert_eq!(screen["protocol"]["id"], CLINIC_ID);
    assert_eq!(screen["decision"], "defer", "the clinic keeps the sunburn deferral");
    assert_eq!(screen["defer_until"], "2026-12-02", "the clinic keeps the 14-day window");
    let reason = &screen["reasons"][0];
    assert!(reason["message"].as_str().unwrap_or_default().starts_with("We do not treat"), "reworded: {reason}");
    for s in reason["sources"].as_array().expect("sources") {
        assert!(ids.contains(s.as_str().unwrap_or_default()), "{s} is not listed by protocol show");
    }
    let timeline = repo_json(
        &[
            "aftercare",
            "--treated-at",
            "2026-03-28T10:00:00+01:00",
            "--tz",
            "Europe/Berlin",
            "--protocol",
            CLINIC,
            "--json",
        ],
        "",
    );
    let sauna_allowed = timeline["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["kind"] == "allowed" && e["code"] == "sauna")
        .expect("a sauna entry")
        .clone();
    assert_eq!(sauna_allowed["at"], "2026-04-02T11:00:00+02:00", "120 h after the session: {sauna_allowed}");
}
