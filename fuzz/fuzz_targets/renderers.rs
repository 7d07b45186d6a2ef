//! What the service writes for other programs to read: the calendar feed (RFC 5545) and the
//! reminder e-mails (and the webhook body beside them). Arbitrary structured input (`arbitrary`)
//! is rendered, and
//!
//! - nothing panics;
//! - the feed is valid where calendar apps break: every line ends in CRLF with no bare CR or LF
//!   inside, is at most 75 octets and continues with a space; every logical line is
//!   `NAME[;params]:value`; the components are balanced and one `VEVENT` is written per event
//!   (no text can open another); times are `YYYYMMDDTHHMMSSZ` and dates `YYYYMMDD`; each
//!   summary unescapes to what was given (line breaks as `\n`, other controls dropped); the same
//!   feed gives the same bytes and ETag;
//! - an e-mail, as it would go on the wire, carries only the headers the service writes (no
//!   text can add one), one subject and one recipient, and no header line over 998 octets.
//!
//! Times are drawn from iCalendar's years 0000–9999: the service never holds any outside them
//! (every time it stores is read from RFC 3339 text or the clock).

#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use chrono::{DateTime, NaiveDate, Utc};
use libfuzzer_sys::fuzz_target;
use needlepath_core::Protocol;
use needlepath_core::vocabulary::Disposition;
use needlepath_server::calendar::feed;
use needlepath_server::calendar::ics::{self, Alarm, EventTime, Feed, FeedEvent};
use needlepath_server::delivery::{MailParagraph, ReminderMail, render_mail};
use needlepath_server::fuzzing;
use needlepath_server::i18n::default_locale;
use needlepath_server::reach::{Phone, Reach};
use needlepath_server::reminders::payload::{Payload, Step};
use needlepath_server::reminders::render::{Links, email, webhook_body};
use needlepath_store::{
    Addressee, Appointment, AppointmentId, AppointmentStatus, Channel, ClinicId, IanaZone, Message, MessageId,
    MessageKind, MessageStatus, PatientId, Recipient, StaffId,
};
use uuid::Uuid;

fn builtin() -> &'static Protocol {
    static BASE: OnceLock<Protocol> = OnceLock::new();
    BASE.get_or_init(|| Protocol::builtin().expect("the built-in protocol loads"))
}

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z as Unix seconds.
const FIRST: i64 = -62_167_219_200;
const LAST: i64 = 253_402_300_799;

fn instant(x: i64) -> DateTime<Utc> {
    let secs = FIRST + x.rem_euclid(LAST - FIRST + 1);
    DateTime::from_timestamp(secs, 0).expect("within chrono's range")
}

fn day(x: i64) -> NaiveDate {
    instant(x).date_naive()
}

#[derive(Debug, Arbitrary)]
enum TimeIn {
    At { start: i64, minutes: u32 },
    AllDay(i64),
}

#[derive(Debug, Arbitrary)]
struct EventIn {
    uid: String,
    stamp: i64,
    time: TimeIn,
    summary: String,
    description: String,
    location: Option<String>,
    url: Option<String>,
    alarms: Vec<(u32, String)>,
}

#[derive(Debug, Arbitrary)]
struct FeedIn {
    name: String,
    description: String,
    refresh_minutes: u32,
    events: Vec<EventIn>,
}

#[derive(Debug, Arbitrary)]
struct StepIn {
    code: String,
    at: i64,
    message: String,
    sources: Vec<String>,
}

#[derive(Debug, Arbitrary)]
struct PayloadIn {
    link: String,
    event_at: Option<i64>,
    session_at: Option<i64>,
    minutes: Option<u32>,
    items: Vec<StepIn>,
    expires_at: Option<i64>,
    disposition: Option<u8>,
    deadline_at: Option<i64>,
    attempts: Option<u32>,
}

#[derive(Debug, Arbitrary)]
struct ReachIn {
    clinic: String,
    phone: Option<String>,
    out_of_hours: Option<String>,
    email: Option<String>,
    address_lines: Vec<String>,
    emergency: Vec<String>,
}

#[derive(Debug, Arbitrary)]
struct MailIn {
    kind: u8,
    recipient: u8,
    key: String,
    due_at: i64,
    payload: PayloadIn,
    clinic_name: String,
    name: String,
    zone: u16,
    address: String,
    public_url: String,
    unsubscribe: Option<String>,
    reach: Option<ReachIn>,
}

#[derive(Debug, Arbitrary)]
struct AppointmentIn {
    starts_at: i64,
    minutes: u32,
    updated_at: i64,
}

/// A reminder e-mail's parts, given to the template directly.
#[derive(Debug, Arbitrary)]
struct DirectMail {
    heading: String,
    paragraphs: Vec<(String, Vec<usize>)>,
    action: Option<(String, String)>,
    sources: Vec<String>,
    unsubscribe: Option<String>,
}

#[derive(Debug, Arbitrary)]
struct Input {
    feed: FeedIn,
    mail: MailIn,
    appointments: Vec<AppointmentIn>,
    details: bool,
    direct: DirectMail,
    if_none_match: String,
}

fn payload(p: &PayloadIn) -> Payload {
    let mut out = Payload::to(p.link.clone());
    out.event_at = p.event_at.map(instant);
    out.session_at = p.session_at.map(instant);
    out.minutes = p.minutes;
    out.items = p
        .items
        .iter()
        .map(|s| Step {
            code: s.code.clone(),
            at: instant(s.at),
            message: s.message.clone(),
            sources: s.sources.clone(),
        })
        .collect();
    out.expires_at = p.expires_at.map(instant);
    out.disposition = p.disposition.map(|d| Disposition::ALL[usize::from(d) % Disposition::ALL.len()]);
    out.deadline_at = p.deadline_at.map(instant);
    out.patient_id = Some(PatientId(Uuid::from_u128(7)));
    out.attempts = p.attempts;
    out
}

fn message(m: &MailIn) -> Message {
    let at = instant(m.due_at);
    Message {
        id: MessageId(Uuid::from_u128(1)),
        clinic: ClinicId(Uuid::from_u128(2)),
        idempotency_key: m.key.clone(),
        recipient: match m.recipient % 3 {
            0 => Recipient::Patient(PatientId(Uuid::from_u128(3))),
            1 => Recipient::Staff(StaffId(Uuid::from_u128(4))),
            _ => Recipient::Clinic,
        },
        kind: MessageKind::ALL[usize::from(m.kind) % MessageKind::ALL.len()],
        channel: Channel::Email,
        due_at: at,
        status: MessageStatus::Pending,
        attempts: 0,
        next_attempt_at: at,
        payload: payload(&m.payload).to_value(),
        last_error: None,
        detail: None,
        sent_at: None,
        created_at: at,
        updated_at: at,
    }
}

/// A TEXT value as a calendar app reads it back.
fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => panic!("a TEXT value ends in a lone backslash: {v:?}"),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// What a summary should read as: line breaks (CR, LF, CRLF) as one `\n`, other controls but
/// tab dropped.
fn as_shown(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\t' || *c == '\n')
        .collect()
}

fn is_utc_time(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 16 && b[8] == b'T' && b[15] == b'Z' && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
}

fn is_date(v: &str) -> bool {
    v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a rendered feed; `summaries` are the events' summaries in order.
fn check_feed(body: &str, summaries: &[&str], alarms: usize) {
    assert!(body.ends_with("\r\n"), "the feed ends with CRLF");
    let physical: Vec<&str> = body[..body.len() - 2].split("\r\n").collect();
    for (i, line) in physical.iter().enumerate() {
        assert!(!line.contains(['\r', '\n']), "a bare CR or LF in line {i}: {line:?}");
        assert!(line.len() <= 75, "line {i} is {} octets: {line:?}", line.len());
        if i == 0 {
            assert_eq!(*line, "BEGIN:VCALENDAR");
        }
    }
    let unfolded = body.replace("\r\n ", "");
    let logical: Vec<&str> = unfolded[..unfolded.len() - 2].split("\r\n").collect();
    assert_eq!(logical.last().copied(), Some("END:VCALENDAR"));
    let mut depth: Vec<&str> = Vec::new();
    let (mut events, mut alarm_count) = (0, 0);
    let mut shown = Vec::new();
    for line in &logical {
        let cut = line.find([':', ';']).unwrap_or_else(|| panic!("a line without a name: {line:?}"));
        let name = &line[..cut];
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'),
            "a line whose name is not a property name: {line:?}"
        );
        let value = line.split_once(':').map(|(_, v)| v).unwrap_or_else(|| panic!("a line without a value: {line:?}"));
        match name {
            "BEGIN" => {
                if value == "VEVENT" {
                    events += 1;
                }
                if value == "VALARM" {
                    alarm_count += 1;
                }
                depth.push(value);
            }
            "END" => assert_eq!(depth.pop(), Some(value), "unbalanced END:{value}"),
            "DTSTART" | "DTEND" | "DTSTAMP" => {
                let params = &line[cut..line.len() - value.len() - 1];
                if params == ";VALUE=DATE" {
                    assert!(is_date(value), "{line:?}");
                } else {
                    assert!(params.is_empty() && is_utc_time(value), "{line:?}");
                }
            }
            "SUMMARY" => shown.push(unescape(value)),
            "DESCRIPTION" | "LOCATION" | "NAME" | "X-WR-CALNAME" | "X-WR-CALDESC" => {
                let _ = unescape(value);
            }
            _ => {}
        }
    }
    assert!(depth.is_empty(), "components left open: {depth:?}");
    assert_eq!(events, summaries.len(), "one VEVENT per event");
    assert_eq!(alarm_count, alarms, "one VALARM per alarm");
    let expected: Vec<String> = summaries.iter().map(|s| as_shown(s)).collect();
    assert_eq!(shown, expected, "the summaries as a calendar app reads them");
}

const HEADERS: &[&str] = &[
    "from",
    "to",
    "subject",
    "message-id",
    "date",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "x-needlepath-idempotency-key",
    "list-unsubscribe",
    "list-unsubscribe-post",
];

fn check_wire(wire: &[u8]) {
    let end = wire.windows(4).position(|w| w == b"\r\n\r\n").expect("headers end with a blank line");
    let head = std::str::from_utf8(&wire[..end]).expect("headers are text");
    let (mut subjects, mut tos) = (0, 0);
    for line in head.split("\r\n") {
        assert!(line.len() <= 998, "a header line of {} octets", line.len());
        assert!(!line.contains(['\r', '\n']), "a bare CR or LF in a header: {line:?}");
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let name = line.split_once(':').map(|(n, _)| n.to_ascii_lowercase()).unwrap_or_default();
        assert!(HEADERS.contains(&name.as_str()), "a header the service does not write: {line:?}");
        subjects += usize::from(name == "subject");
        tos += usize::from(name == "to");
    }
    assert_eq!((subjects, tos), (1, 1), "one Subject and one To:\n{head}");
}

fuzz_target!(|input: Input| {
    // The calendar feed, from events as given.
    let events: Vec<FeedEvent> = input
        .feed
        .events
        .iter()
        .map(|e| FeedEvent {
            uid: e.uid.clone(),
            stamp: instant(e.stamp),
            time: match e.time {
                TimeIn::At { start, minutes } => EventTime::At { start: instant(start), minutes },
                TimeIn::AllDay(d) => EventTime::AllDay(day(d)),
            },
            summary: e.summary.clone(),
            description: e.description.clone(),
            location: e.location.clone(),
            url: e.url.clone(),
            alarms: e.alarms.iter().map(|(m, d)| Alarm { minutes_before: *m, description: d.clone() }).collect(),
        })
        .collect();
    let alarms = events.iter().map(|e| e.alarms.len()).sum();
    let f = Feed {
        name: input.feed.name.clone(),
        description: input.feed.description.clone(),
        refresh_minutes: input.feed.refresh_minutes,
        events,
    };
    let body = ics::render(&f);
    let summaries: Vec<&str> = f.events.iter().map(|e| e.summary.as_str()).collect();
    check_feed(&body, &summaries, alarms);
    let tag = ics::etag(&body);
    assert_eq!(ics::render(&f), body, "the same feed gives the same bytes");
    assert!(ics::if_none_match_hits(&tag, &tag));
    let _ = ics::if_none_match_hits(&input.if_none_match, &tag);

    // The patient's feed as the service builds it from appointments and queued messages.
    let t = default_locale();
    let m = message(&input.mail);
    let appointments: Vec<Appointment> = input
        .appointments
        .iter()
        .map(|a| Appointment {
            id: AppointmentId(Uuid::from_u128(9)),
            clinic: ClinicId(Uuid::from_u128(2)),
            patient: PatientId(Uuid::from_u128(3)),
            plan: None,
            starts_at: instant(a.starts_at),
            minutes: a.minutes,
            status: AppointmentStatus::Booked,
            revision: 1,
            session: None,
            note: None,
            practitioner: None,
            window_reason: None,
            created_at: instant(a.updated_at),
            updated_at: instant(a.updated_at),
        })
        .collect();
    let built = feed::build(
        t,
        &input.mail.public_url,
        &input.mail.clinic_name,
        input.details,
        &appointments,
        std::slice::from_ref(&m),
    );
    let built_body = ics::render(&built);
    let summaries: Vec<&str> = built.events.iter().map(|e| e.summary.as_str()).collect();
    let alarms = built.events.iter().map(|e| e.alarms.len()).sum();
    assert_eq!(built.events.len(), appointments.len() + 1, "every appointment and the message are in the feed");
    check_feed(&built_body, &summaries, alarms);

    // The e-mail and the webhook body for the message.
    let zones = chrono_tz::TZ_VARIANTS;
    let zone = IanaZone::parse(zones[usize::from(input.mail.zone) % zones.len()].name()).expect("an IANA zone");
    let to = Addressee {
        clinic_name: input.mail.clinic_name.clone(),
        time_zone: zone,
        name: input.mail.name.clone(),
        email: Some(input.mail.address.clone()),
        phone: None,
        email_allowed: true,
        sms_allowed: true,
    };
    let reach = input.mail.reach.as_ref().map(|r| Reach {
        clinic: r.clinic.clone(),
        phone: r.phone.as_deref().map(Phone::new),
        out_of_hours: r.out_of_hours.as_deref().map(Phone::new),
        email: r.email.clone(),
        address_lines: r.address_lines.clone(),
        emergency: r.emergency.iter().map(|p| Phone::new(p)).collect(),
    });
    let links = Links { public_url: &input.mail.public_url, unsubscribe: input.mail.unsubscribe.as_deref() };
    if let Ok(mail) = email(t, builtin(), links, &m, &to, &input.mail.address, reach.as_ref()) {
        assert!(!mail.text.is_empty() && !mail.html.is_empty());
        if let Ok(wire) = fuzzing::email_on_the_wire(&mail) {
            check_wire(&wire);
        }
    }
    if let Ok(v) = webhook_body(t, &input.mail.public_url, &m, &to, instant(input.mail.due_at)) {
        assert!(serde_json::to_string(&v).is_ok());
    }

    // The mail template on its own.
    let d = &input.direct;
    let direct = ReminderMail {
        clinic: input.mail.clinic_name.clone(),
        heading: d.heading.clone(),
        paragraphs: d
            .paragraphs
            .iter()
            .map(|(text, s)| MailParagraph { text: text.clone(), sources: s.clone() })
            .collect(),
        action: d.action.clone(),
        sources: d.sources.clone(),
        unsubscribe_url: d.unsubscribe.clone(),
    };
    let (text, html) = render_mail(&direct);
    assert!(!text.is_empty() && !html.is_empty());
});
