//! `needlepath aftercare`, end to end: the timeline around a session, and daylight saving.
//!
//! Every test runs the real binary, and every source a timeline cites must be one `needlepath
//! protocol show` lists. Each timeline must be in order, with hours that match its instants and
//! pre-care before the session. Across a change of the clocks, healing runs on the clock (24 h
//! later is 24 real hours later) while check-ins and pre-care run on the calendar (they keep the
//! local time of the session); without a time zone, the fixed offset of `--treated-at` is used.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::too_many_lines)]

mod common;

use chrono::{DateTime, FixedOffset};
use serde_json::{Value, json};

use common::spec::{aftercare, date, entries, same};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

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
