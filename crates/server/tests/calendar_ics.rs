#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The calendar feed as an app we do not control reads it: a feed full of hostile text (line
//! breaks of every kind, an `END:VEVENT` injection, escapes, a 2,000-character line, German,
//! Korean, emoji, combining accents) and times around the 2026 daylight-saving changes is
//! rendered, then parsed by an independent parser (Python `icalendar`, `tests/python/parse_ics.py`)
//! and compared field by field with what went in. The octet-level rules (CRLF, 75-octet
//! lines), determinism and one snapshot of an ordinary feed are checked here in Rust.

#[path = "support/python.rs"]
mod python;

use std::io::Write as _;
use std::process::{Command, Stdio};

use chrono::{DateTime, LocalResult, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Europe::Berlin;
use needlepath_server::calendar::ics::{self, Alarm, EventTime, Feed, FeedEvent};
use serde_json::{Value, json};

const INJECTION: &str = "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:evil";

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Both instants of a wall-clock time that happens twice (the hour repeated when clocks go back).
fn twice<Tz: TimeZone>(local: LocalResult<DateTime<Tz>>) -> [DateTime<Utc>; 2] {
    match local {
        LocalResult::Ambiguous(first, second) => [first.with_timezone(&Utc), second.with_timezone(&Utc)],
        _ => panic!("expected an ambiguous local time"),
    }
}

fn event(uid: &str, time: EventTime, summary: &str) -> FeedEvent {
    FeedEvent {
        uid: uid.into(),
        stamp: utc(2026, 10, 1, 8, 15),
        time,
        summary: summary.into(),
        description: String::new(),
        location: None,
        url: None,
        alarms: Vec::new(),
    }
}

fn alarm(minutes_before: u32, description: &str) -> Alarm {
    Alarm { minutes_before, description: description.into() }
}

/// An event and what its UID and URL should read back as (they are sanitised, not escaped).
struct Case {
    event: FeedEvent,
    uid: String,
    url: Option<String>,
}

impl From<FeedEvent> for Case {
    fn from(event: FeedEvent) -> Self {
        Self { uid: event.uid.clone(), url: event.url.clone(), event }
    }
}

fn hostile_cases() -> Vec<Case> {
    let at = |start, minutes| EventTime::At { start, minutes };
    let [berlin_first, berlin_second] = twice(Berlin.with_ymd_and_hms(2026, 10, 25, 2, 30, 0));
    let [ny_first, ny_second] = twice(New_York.with_ymd_and_hms(2026, 11, 1, 1, 30, 0));
    let long_ascii: String = (0..2000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    let long_mixed: String = "é한🧴e\u{301}, ;\\:\"".chars().cycle().take(2000).collect();
    let zalgo = format!("Z{}a{}l{}g{}o", "\u{301}".repeat(30), "\u{302}\u{316}".repeat(20), "\u{303}", "\u{1dc4}");

    let mut cases: Vec<Case> = Vec::new();

    let mut injected = event("injection@needlepath", at(utc(2026, 11, 21, 14, 30), 30), INJECTION);
    injected.description = format!("{INJECTION}\r\nEND:VCALENDAR\nBEGIN:VCALENDAR\rUID:stolen");
    injected.location = Some("Room 1; Bed 2, \"East\" \\ wing: 3\r\nLOCATION:elsewhere".into());
    injected.url = Some("https://clinic.example/r/1?a=b c\r\nEND:VEVENT".into());
    injected.alarms = vec![alarm(30, "BEGIN:VALARM\r\nTRIGGER:-PT1M\r\nEND:VALARM"), alarm(0, "now; then, \\later")];
    cases.push(Case {
        uid: "injection@needlepath".into(),
        url: Some("https://clinic.example/r/1?a=b%20c%0D%0AEND:VEVENT".into()),
        event: injected,
    });

    let mut escapes = event(
        "evil\r\nUID:x, y;z\\%20é@needlepath",
        at(utc(2026, 11, 21, 15, 0), 0),
        "a\\b;c,d:e \"f\" 'g' \\n is not a newline \\",
    );
    escapes.description = "CR\rLF\nCRLF\r\nLF CR\n\rtwo CRLF\r\n\r\nend\\".into();
    escapes.location = Some(";,\\".into());
    escapes.url = Some("javascript:alert(1)".into());
    cases.push(Case { uid: "evil%0D%0AUID:x%2C%20y%3Bz%5C%2520%C3%A9@needlepath".into(), url: None, event: escapes });

    let mut controls =
        event("controls@needlepath", at(utc(2026, 11, 22, 7, 0), 5), "bell\u{7} nul\u{0} esc\u{1b}[31m del\u{7f}");
    controls.description = "tab\tkept, NEL\u{85} dropped, U+2028\u{2028}kept, BOM\u{feff}kept, FF\u{c} VT\u{b}".into();
    controls.alarms = vec![alarm(5, "\u{0}\u{1}\u{2}")];
    cases.push(controls.into());

    let mut long = event("long@needlepath", at(utc(2026, 11, 23, 9, 0), 60), &long_ascii);
    long.description = long_mixed.clone();
    long.location = Some(long_mixed);
    long.alarms = vec![alarm(24 * 60, &long_ascii)];
    cases.push(long.into());

    let mut languages = event(
        "languages@needlepath",
        at(utc(2026, 11, 24, 8, 0), 15),
        "Tablette nach dem Frühstück; Übelkeit? Größe, Maß",
    );
    languages.description = "약 복용 — 식후 30분, 물과 함께; 역슬래시 \\\r\n다음 줄 🧴💊👩🏽\u{200d}⚕\u{fe0f}🇩🇪🇰🇷".into();
    languages.location = Some(format!("Cafe\u{301} Ha\u{308}nsel, {zalgo}, \u{1112}\u{1161}\u{11ab}"));
    languages.alarms = vec![alarm(15, "약 드세요 💊")];
    cases.push(languages.into());

    let mut all_day = event("all-day@needlepath", EventTime::AllDay(date(2026, 11, 21)), "Blood test, fasting");
    all_day.alarms = vec![alarm(0, "")];
    cases.push(all_day.into());

    let mut new_year = event("new-year@needlepath", EventTime::AllDay(date(2026, 12, 31)), "Last dose of the year");
    new_year.alarms = vec![alarm(12 * 60, "tomorrow")];
    cases.push(new_year.into());

    // Europe/Berlin falls back on 2026-10-25 (03:00 CEST → 02:00 CET): 02:30 happens twice.
    cases.push(event("berlin-0230-cest@needlepath", at(berlin_first, 30), "02:30 CEST").into());
    cases.push(event("berlin-0230-cet@needlepath", at(berlin_second, 30), "02:30 CET").into());
    let across = Berlin.with_ymd_and_hms(2026, 10, 25, 1, 30, 0).unwrap().with_timezone(&Utc);
    cases.push(event("berlin-across@needlepath", at(across, 180), "01:30 CEST to 03:30 CET").into());
    // … and springs forward on 2026-03-29 (02:00 CET → 03:00 CEST).
    let spring = Berlin.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap().with_timezone(&Utc);
    cases.push(event("berlin-spring@needlepath", at(spring, 90), "01:30 CET to 04:00 CEST").into());
    // America/New_York falls back on 2026-11-01 (02:00 EDT → 01:00 EST): 01:30 happens twice.
    let mut ny = event("ny-0130-edt@needlepath", at(ny_first, 45), "01:30 EDT");
    ny.alarms = vec![alarm(90, "before the change")];
    cases.push(ny.into());
    cases.push(event("ny-0130-est@needlepath", at(ny_second, 45), "01:30 EST").into());
    let ny_spring = New_York.with_ymd_and_hms(2026, 3, 8, 1, 45, 0).unwrap().with_timezone(&Utc);
    cases.push(event("ny-spring@needlepath", at(ny_spring, 30), "01:45 EST to 03:15 EDT").into());

    cases
}

fn hostile_feed() -> (Feed, Vec<Case>) {
    let cases = hostile_cases();
    let feed = Feed {
        name: "Ana's \"reminders\"; ward 3, bed 2 \\ 환자 🧴\r\nX-WR-CALNAME:evil".into(),
        description: format!("From the clinic.\r\nCall 112 in an emergency.\n{INJECTION}\rEnd\u{0}."),
        refresh_minutes: 30,
        events: cases.iter().map(|c| c.event.clone()).collect(),
    };
    (feed, cases)
}

/// What a TEXT value reads back as: CRLF, CR and LF each one line feed; control characters
/// other than tab dropped.
fn normalised(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|&c| !c.is_control() || c == '\n' || c == '\t')
        .collect()
}

/// The body as `parse_ics.py` reads it, or `None` when there is no Python (see `support/python.rs`).
fn parse_with_python(body: &str) -> Option<Value> {
    let python = python::python()?;
    let mut child = Command::new(python)
        .arg(python::scripts().join("parse_ics.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "parse_ics.py failed:\n{}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn parsed_hostile_feed() -> Option<(Value, Vec<Case>)> {
    let (feed, cases) = hostile_feed();
    Some((parse_with_python(&ics::render(&feed))?, cases))
}

fn instant(t: DateTime<Utc>) -> Value {
    json!({ "datetime": t.to_rfc3339() })
}

fn expected_times(time: &EventTime) -> (Value, Value) {
    match time {
        EventTime::At { start, minutes } => {
            (instant(*start), instant(*start + TimeDelta::minutes(i64::from(*minutes))))
        }
        EventTime::AllDay(day) => {
            (json!({ "date": day.to_string() }), json!({ "date": day.succ_opt().unwrap().to_string() }))
        }
    }
}

fn expected_alarms(event: &FeedEvent) -> Value {
    event
        .alarms
        .iter()
        .map(|a| {
            let says = if a.description.is_empty() { &event.summary } else { &a.description };
            json!({ "action": "DISPLAY", "trigger_minutes": -i64::from(a.minutes_before), "description": normalised(says) })
        })
        .collect()
}

#[test]
fn python_icalendar_reads_exactly_the_rendered_events_and_no_injected_ones() {
    let Some((parsed, cases)) = parsed_hostile_feed() else { return };
    assert_eq!(parsed["errors"], json!([]), "icalendar reported errors");
    assert_eq!(parsed["calendars"], 1);
    let mut components = vec!["VCALENDAR"];
    for case in &cases {
        components.push("VEVENT");
        components.extend(case.event.alarms.iter().map(|_| "VALARM"));
    }
    assert_eq!(parsed["components"], json!(components));
    let uids: Vec<&str> = cases.iter().map(|c| c.uid.as_str()).collect();
    let parsed_uids: Vec<&str> =
        parsed["events"].as_array().unwrap().iter().map(|e| e["uid"].as_str().unwrap()).collect();
    assert_eq!(parsed_uids, uids, "the events, in the order given");
    let summaries: Vec<&Value> = parsed["events"].as_array().unwrap().iter().map(|e| &e["summary"]).collect();
    assert!(!summaries.contains(&&json!("evil")), "an injected event");
}

#[test]
fn every_text_field_round_trips_through_python_icalendar() {
    let Some((parsed, cases)) = parsed_hostile_feed() else { return };
    for (case, got) in cases.iter().zip(parsed["events"].as_array().unwrap()) {
        let e = &case.event;
        let description = Some(normalised(&e.description)).filter(|d| !d.is_empty());
        let expected = json!({
            "uid": case.uid,
            "summary": normalised(&e.summary),
            "description": description,
            "location": e.location.as_deref().map(normalised),
            "url": case.url,
            "alarms": expected_alarms(e),
        });
        let got = json!({
            "uid": got["uid"],
            "summary": got["summary"],
            "description": got["description"],
            "location": got["location"],
            "url": got["url"],
            "alarms": got["alarms"],
        });
        assert_eq!(got, expected, "event {}", case.uid);
    }
}

#[test]
fn times_round_trip_in_utc_around_the_2026_dst_changes() {
    let Some((parsed, cases)) = parsed_hostile_feed() else { return };
    for (case, got) in cases.iter().zip(parsed["events"].as_array().unwrap()) {
        let (start, end) = expected_times(&case.event.time);
        assert_eq!(got["dtstart"], start, "DTSTART of {}", case.uid);
        assert_eq!(got["dtend"], end, "DTEND of {}", case.uid);
        assert_eq!(got["stamp"], instant(case.event.stamp), "DTSTAMP of {}", case.uid);
    }
    // The repeated hours really are an hour apart, and the event across the change 3 hours long.
    let start_of = |uid: &str| {
        let e = parsed["events"].as_array().unwrap().iter().find(|e| e["uid"] == uid).unwrap();
        e["dtstart"]["datetime"].as_str().unwrap().to_string()
    };
    assert_eq!(start_of("berlin-0230-cest@needlepath"), "2026-10-25T00:30:00+00:00");
    assert_eq!(start_of("berlin-0230-cet@needlepath"), "2026-10-25T01:30:00+00:00");
    assert_eq!(start_of("ny-0130-edt@needlepath"), "2026-11-01T05:30:00+00:00");
    assert_eq!(start_of("ny-0130-est@needlepath"), "2026-11-01T06:30:00+00:00");
}

#[test]
fn calendar_properties_read_back_from_python_icalendar() {
    let Some((parsed, _)) = parsed_hostile_feed() else { return };
    let (feed, _) = hostile_feed();
    let cal = &parsed["calendar"];
    assert_eq!(cal["version"], "2.0");
    assert_eq!(cal["prodid"], "-//needlepath//reminders//EN");
    assert_eq!(cal["calscale"], "GREGORIAN");
    assert_eq!(cal["method"], "PUBLISH");
    for key in ["name", "x-wr-calname"] {
        assert_eq!(cal[key], normalised(&feed.name), "{key}");
    }
    for key in ["description", "x-wr-caldesc"] {
        assert_eq!(cal[key], normalised(&feed.description), "{key}");
    }
    assert_eq!(cal["refresh_minutes"], 30);
    assert_eq!(cal["published_ttl"], "PT30M");
}

#[test]
fn every_line_ends_in_crlf_and_is_at_most_75_octets() {
    let (feed, cases) = hostile_feed();
    let body = ics::render(&feed);
    let lines = body.strip_suffix("\r\n").expect("the body ends in CRLF");
    assert_eq!(body.matches('\n').count(), body.matches("\r\n").count(), "a bare LF");
    assert_eq!(body.matches('\r').count(), body.matches("\r\n").count(), "a bare CR");
    for (i, line) in lines.split("\r\n").enumerate() {
        assert!(line.len() <= 75, "line {i} is {} octets: {line:?}", line.len());
        assert!(!line.chars().any(|c| c.is_control() && c != '\t'), "line {i} has a control character: {line:?}");
    }
    let physical: Vec<&str> = lines.split("\r\n").collect();
    assert_eq!(physical.iter().filter(|l| **l == "BEGIN:VEVENT").count(), cases.len());
    assert_eq!(physical.iter().filter(|l| **l == "END:VEVENT").count(), cases.len());
    assert_eq!(physical.iter().filter(|l| l.starts_with("BEGIN:VCALENDAR")).count(), 1);
    assert_eq!(physical.iter().filter(|l| l.starts_with("END:VCALENDAR")).count(), 1);
}

#[test]
fn render_is_deterministic_same_input_same_bytes_same_etag() {
    let (feed, _) = hostile_feed();
    let first = ics::render(&feed);
    let again = ics::render(&hostile_feed().0);
    assert_eq!(first.as_bytes(), again.as_bytes());
    assert_eq!(ics::etag(&first), ics::etag(&again));
    assert!(ics::if_none_match_hits(&ics::etag(&again), &ics::etag(&first)));
}

#[test]
fn etag_changes_when_an_event_changes() {
    let (mut feed, _) = hostile_feed();
    let before = ics::etag(&ics::render(&feed));
    feed.events[0].alarms[0].minutes_before += 1;
    let after = ics::etag(&ics::render(&feed));
    assert_ne!(before, after);
    assert!(!ics::if_none_match_hits(&before, &after));
}

fn ordinary_feed() -> Feed {
    let mut dose = event(
        "0193a1b2-evening-dose@needlepath",
        EventTime::At { start: utc(2026, 11, 21, 18, 0), minutes: 15 },
        "Evening dose",
    );
    dose.description = "Take one tablet with food.".into();
    dose.location = Some("Home".into());
    dose.url = Some("https://clinic.example/patient/reminders/0193a1b2".into());
    dose.alarms = vec![alarm(10, "Evening dose in 10 minutes")];
    let mut blood = event("0193a1b3-blood-test@needlepath", EventTime::AllDay(date(2026, 11, 23)), "Blood test");
    blood.description =
        "Fasting from midnight, water is fine. Bring your medication list, your insurance card and this letter.".into();
    blood.location = Some("Clinic, 2nd floor; room 214".into());
    blood.alarms = vec![alarm(12 * 60, "Blood test tomorrow: fasting from midnight")];
    Feed {
        name: "Ana's reminders".into(),
        description: "Reminders from the clinic".into(),
        refresh_minutes: 60,
        events: vec![dose, blood],
    }
}

#[test]
fn ordinary_feed_snapshot() {
    let body = ics::render(&ordinary_feed());
    // Shown with LF line ends; CRLF is checked above.
    insta::assert_snapshot!("ordinary_feed", body.replace("\r\n", "\n"));
}
