//! The iCalendar (RFC 5545) body of a patient's calendar feed, and its ETag.
//!
//! The feed is read by calendar apps we do not control (Apple Calendar, Google Calendar,
//! Outlook, Thunderbird, DAVx⁵…), each polling on its own schedule with its own parser, some
//! strict and some not. When a feed is wrong it fails there, silently, on the patient's phone,
//! so this module is careful exactly where feeds break:
//!
//! - **Escaping.** Every text a person typed (a summary, a note, a place, the calendar's name)
//!   is a TEXT value escaped per RFC 5545 §3.3.11: `\` `;` `,` are backslash-escaped and a line
//!   break becomes the two characters `\n` (CR, LF and CRLF each become one), so no text can
//!   end a line — a note saying `x⏎END:VEVENT⏎BEGIN:VEVENT⏎SUMMARY:evil` stays one note in one
//!   event. Other control characters (not TEXT in RFC 5545) are dropped; tab is kept. The UID
//!   is percent-encoded to a small safe set, and the URL must be `http(s)` and is
//!   percent-encoded wherever a URI may not carry a character (spaces, controls, non-ASCII),
//!   or it is left out.
//! - **Folding.** Lines end in CRLF and are folded at 75 octets (not characters), never inside
//!   a UTF-8 sequence. As a courtesy to unfolders that get it subtly wrong, a fold does not
//!   separate a TEXT escape (`\` from the character it escapes, as the Python `icalendar`
//!   folder also avoids) nor the common grapheme clusters (a letter from its combining
//!   accents, decomposed Hangul jamo, emoji joiner sequences, skin tones and flags).
//! - **Stability.** Rendering is pure (no clock, no I/O): `DTSTAMP` is when the event was
//!   made, not now, and events keep the order given, so the same reminders give the same
//!   bytes and the same [`etag`], and a client's conditional GET ([`if_none_match_hits`])
//!   costs nothing.
//!
//! Times are written in UTC (`DTSTART:20261121T143000Z`), so no `VTIMEZONE` is needed and the
//! daylight-saving changes are the client's to show; all-day events are dates. Dates are
//! iCalendar's years 0000–9999.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use sha2::{Digest, Sha256};

/// iCalendar's last year: a DATE is four digits (RFC 5545 §3.3.4), and chrono writes a later
/// year with a sign and more digits (`+10000`), which no parser reads.
const LAST_YEAR: i32 = 9999;

/// When an event happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventTime {
    /// At an instant, for `minutes` (`DTEND` is the start plus that).
    At { start: DateTime<Utc>, minutes: u32 },
    /// All of one day, wherever the patient is (`DTSTART;VALUE=DATE`, `DTEND` the next day).
    AllDay(NaiveDate),
}

/// A reminder the calendar app shows before the event (`VALARM`, `ACTION:DISPLAY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// How long before the start; 0 is at the start.
    pub minutes_before: u32,
    /// What it says; empty says the event's summary (a display alarm must say something).
    pub description: String,
}

/// One event of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    /// Stable across renders (e.g. `"<message key>@needlepath"`), so a client updates the event
    /// rather than adding a copy. Characters outside `A–Z a–z 0–9 - . _ ~ @ + = : /` are
    /// percent-encoded (`%` too, so distinct keys stay distinct).
    pub uid: String,
    /// `DTSTAMP`: when the event was made — not now, so the body (and its ETag) is stable.
    pub stamp: DateTime<Utc>,
    pub time: EventTime,
    pub summary: String,
    /// Left out when empty.
    pub description: String,
    pub location: Option<String>,
    /// Left out unless `http:` or `https:`.
    pub url: Option<String>,
    pub alarms: Vec<Alarm>,
}

/// A whole calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// What the calendar is called in the app (`NAME` and `X-WR-CALNAME`).
    pub name: String,
    /// `DESCRIPTION` and `X-WR-CALDESC`.
    pub description: String,
    /// How often clients should re-fetch (`REFRESH-INTERVAL` and `X-PUBLISHED-TTL`).
    pub refresh_minutes: u32,
    /// In the order given.
    pub events: Vec<FeedEvent>,
}

/// The feed as an iCalendar body (CRLF line ends, folded at 75 octets).
pub fn render(feed: &Feed) -> String {
    let mut out = Lines::default();
    out.raw("BEGIN:VCALENDAR");
    out.raw("VERSION:2.0");
    out.raw("PRODID:-//needlepath//reminders//EN");
    out.raw("CALSCALE:GREGORIAN");
    out.raw("METHOD:PUBLISH");
    // RFC 7986's NAME and DESCRIPTION, and the older X-WR- pair that more apps read; all TEXT
    // (the X-WR- ones by convention). A parser that does not know a property may hand its value
    // over still escaped: Python icalendar 7.3 does so for NAME and both X-WR- properties.
    out.text("NAME", &feed.name);
    out.text("X-WR-CALNAME", &feed.name);
    out.text("DESCRIPTION", &feed.description);
    out.text("X-WR-CALDESC", &feed.description);
    out.raw(&format!("REFRESH-INTERVAL;VALUE=DURATION:PT{}M", feed.refresh_minutes));
    out.raw(&format!("X-PUBLISHED-TTL:PT{}M", feed.refresh_minutes));
    for event in &feed.events {
        render_event(&mut out, event);
    }
    out.raw("END:VCALENDAR");
    out.0
}

fn render_event(out: &mut Lines, event: &FeedEvent) {
    out.raw("BEGIN:VEVENT");
    out.raw(&format!("UID:{}", uid(&event.uid)));
    out.raw(&format!("DTSTAMP:{}", utc(&event.stamp)));
    match &event.time {
        EventTime::At { start, minutes } => {
            out.raw(&format!("DTSTART:{}", utc(start)));
            // Past iCalendar's last year (a start late on 9999-12-31) or chrono's end of time,
            // DTEND is left out: without it the event is an instant.
            if let Some(end) = start.checked_add_signed(TimeDelta::minutes(i64::from(*minutes)))
                && end.year() <= LAST_YEAR
            {
                out.raw(&format!("DTEND:{}", utc(&end)));
            }
        }
        EventTime::AllDay(day) => {
            out.raw(&format!("DTSTART;VALUE=DATE:{}", day.format("%Y%m%d")));
            // Without DTEND an all-day event is one day long anyway (RFC 5545 §3.6.1).
            if let Some(next) = day.succ_opt().filter(|n| n.year() <= LAST_YEAR) {
                out.raw(&format!("DTEND;VALUE=DATE:{}", next.format("%Y%m%d")));
            }
        }
    }
    out.text("SUMMARY", &event.summary);
    if !event.description.is_empty() {
        out.text("DESCRIPTION", &event.description);
    }
    if let Some(location) = &event.location {
        out.text("LOCATION", location);
    }
    if let Some(url) = event.url.as_deref().and_then(uri) {
        out.raw(&format!("URL:{url}"));
    }
    for alarm in &event.alarms {
        out.raw("BEGIN:VALARM");
        out.raw("ACTION:DISPLAY");
        if alarm.minutes_before == 0 {
            out.raw("TRIGGER:PT0M");
        } else {
            out.raw(&format!("TRIGGER:-PT{}M", alarm.minutes_before));
        }
        let says = if alarm.description.is_empty() { &event.summary } else { &alarm.description };
        out.text("DESCRIPTION", says);
        out.raw("END:VALARM");
    }
    out.raw("END:VEVENT");
}

/// The body under construction: each content line folded and ended with CRLF.
#[derive(Default)]
struct Lines(String);

impl Lines {
    /// A line whose value is already safe (fixed text, numbers, times, sanitised UID and URL).
    fn raw(&mut self, line: &str) {
        fold(line, &mut self.0);
    }

    /// A property with a TEXT value.
    fn text(&mut self, name: &str, value: &str) {
        fold(&format!("{name}:{}", escape_text(value)), &mut self.0);
    }
}

fn utc(t: &DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value, escaped per RFC 5545 §3.3.11. CR, LF and CRLF each become one `\n`; control
/// characters other than tab are dropped.
fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + value.len() / 8);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `byte` as `%XX`.
fn push_percent(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0xf)]));
}

/// The UID: bytes outside a small set that no parser treats specially are percent-encoded, so
/// it needs no TEXT escape, carries no line break, and distinct keys stay distinct.
fn uid(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for &b in raw.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@+=:/".contains(&b) {
            out.push(char::from(b));
        } else {
            push_percent(&mut out, b);
        }
    }
    out
}

/// The URL as a URI value (not TEXT, so not backslash-escaped): `http:` or `https:` only (a
/// `javascript:` or `data:` link has no place in a patient's calendar), surrounding spaces and
/// controls trimmed, and every byte a URI may not carry percent-encoded (spaces, controls,
/// quotes, backslash, non-ASCII, a `%` not starting an escape). `None` leaves it out.
fn uri(raw: &str) -> Option<String> {
    let raw = raw.trim_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control());
    let (scheme, _) = raw.split_once(':')?;
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return None;
    }
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    for (i, &b) in bytes.iter().enumerate() {
        let escape_start = b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b) || escape_start {
            out.push(char::from(b));
        } else {
            push_percent(&mut out, b);
        }
    }
    Some(out)
}

/// RFC 5545 §3.1: lines of at most 75 octets, excluding the line break.
const LINE_OCTETS: usize = 75;

/// Appends `line` folded (CRLF, then one space, at most 75 octets a line) and ends it with CRLF.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for piece in unbreakable(line) {
        if width + piece.len() > LINE_OCTETS {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push_str(piece);
        width += piece.len();
    }
    out.push_str("\r\n");
}

/// `line` cut where a fold may go: between characters, but not inside a TEXT escape (`\n`,
/// `\\`…) or a common grapheme cluster. A cluster too long for a continuation line (say, a
/// letter under 40 combining marks) is cut between its characters after all, since a fold
/// there is still correct: only a cut inside a UTF-8 sequence is not.
fn unbreakable(line: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    let mut escaping = false; // the previous character is a `\` that escapes this one
    let mut half_flag = false; // the previous character is the first regional indicator of a pair
    for (i, c) in line.char_indices() {
        let glued = escaping || prev == Some('\u{200d}') || extends(c) || (half_flag && regional_indicator(c));
        if !glued && i > start {
            push_piece(&mut pieces, &line[start..i]);
            start = i;
        }
        escaping = c == '\\' && !escaping;
        half_flag = regional_indicator(c) && !half_flag;
        prev = Some(c);
    }
    if start < line.len() {
        push_piece(&mut pieces, &line[start..]);
    }
    pieces
}

/// Adds a piece, cut into its characters if it would not fit a continuation line.
fn push_piece<'a>(pieces: &mut Vec<&'a str>, piece: &'a str) {
    if piece.len() < LINE_OCTETS {
        pieces.push(piece);
    } else {
        let mut at = 0;
        for i in piece.char_indices().skip(1).map(|(i, _)| i) {
            pieces.push(&piece[at..i]);
            at = i;
        }
        pieces.push(&piece[at..]);
    }
}

/// Characters that belong with the one before: combining marks, decomposed Hangul vowels and
/// finals, kana voicing marks, joiners, variation selectors, skin tones and emoji tags.
fn extends(c: char) -> bool {
    matches!(
        u32::from(c),
        0x0300..=0x036F
            | 0x0483..=0x0489
            | 0x1160..=0x11FF
            | 0x1AB0..=0x1AFF
            | 0x1DC0..=0x1DFF
            | 0x200C..=0x200D
            | 0x20D0..=0x20FF
            | 0x3099..=0x309A
            | 0xD7B0..=0xD7FF
            | 0xFE00..=0xFE0F
            | 0xFE20..=0xFE2F
            | 0x1F3FB..=0x1F3FF
            | 0xE0020..=0xE007F
            | 0xE0100..=0xE01EF
    )
}

fn regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// The strong ETag of a body: the first 32 hex digits of its SHA-256, quoted.
pub fn etag(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether an `If-None-Match` header value matches `etag` (so the answer is 304): `*`, or any
/// entity-tag of the list equal to it by weak comparison (RFC 9110 §13.1.2: `W/` ignored on
/// either side). A malformed member matches nothing; an unterminated one ends the list.
pub fn if_none_match_hits(header: &str, etag: &str) -> bool {
    let Some(ours) = opaque(etag.trim()) else {
        return false;
    };
    let header = header.trim_matches([' ', '\t']);
    if header == "*" {
        return true;
    }
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return false;
        }
        let Some(quoted) = rest.strip_prefix("W/").unwrap_or(rest).strip_prefix('"') else {
            rest = rest.find(',').map_or("", |i| &rest[i..]);
            continue;
        };
        let Some(end) = quoted.find('"') else {
            return false;
        };
        if quoted[..end] == *ours {
            return true;
        }
        rest = &quoted[end + 1..];
    }
}

/// The opaque tag of an entity-tag (`"abc"` or `W/"abc"`), without its quotes.
fn opaque(tag: &str) -> Option<&str> {
    tag.strip_prefix("W/").unwrap_or(tag).strip_prefix('"')?.strip_suffix('"')
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn folded(line: &str) -> String {
        let mut out = String::new();
        fold(line, &mut out);
        out
    }

    fn physical_lines(body: &str) -> Vec<&str> {
        body.strip_suffix("\r\n").unwrap().split("\r\n").collect()
    }

    fn unfold(body: &str) -> String {
        body.replace("\r\n ", "")
    }

    /// Every physical line ≤ 75 octets, the continuations start with one space, and unfolding
    /// gives back the line.
    fn assert_folds_back(line: &str) -> Vec<String> {
        let body = folded(line);
        assert!(body.ends_with("\r\n"));
        let lines = physical_lines(&body);
        for (i, l) in lines.iter().enumerate() {
            assert!(l.len() <= LINE_OCTETS, "line {i} is {} octets: {l:?}", l.len());
            assert!(!l.contains(['\r', '\n']));
            if i > 0 {
                assert!(l.starts_with(' '), "continuation {i} does not start with a space: {l:?}");
            }
        }
        assert_eq!(unfold(&body), format!("{line}\r\n"));
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn escape_text_backslash_escapes_backslash_semicolon_and_comma() {
        assert_eq!(escape_text(r"a\b;c,d"), r"a\\b\;c\,d");
        assert_eq!(escape_text(r"\n is not a newline"), r"\\n is not a newline");
    }

    #[test]
    fn escape_text_keeps_colons_quotes_and_tabs() {
        assert_eq!(escape_text("a:b \"c\" 'd'\te"), "a:b \"c\" 'd'\te");
    }

    #[test]
    fn escape_text_turns_lf_cr_and_crlf_each_into_one_escaped_newline() {
        assert_eq!(escape_text("a\nb\rc\r\nd"), r"a\nb\nc\nd");
        assert_eq!(escape_text("\r\r\n\n"), r"\n\n\n");
        assert_eq!(escape_text("x\r\nEND:VEVENT\r\nBEGIN:VEVENT"), r"x\nEND:VEVENT\nBEGIN:VEVENT");
    }

    #[test]
    fn escape_text_drops_other_control_characters() {
        assert_eq!(escape_text("a\u{0}b\u{7}c\u{1b}[31md\u{7f}e\u{85}f\u{9b}g"), "abc[31mdefg");
    }

    #[test]
    fn escape_text_leaves_non_ascii_alone() {
        let s = "Grüße, 한국어; 🧴 é\u{301}";
        assert_eq!(escape_text(s), "Grüße\\, 한국어\\; 🧴 é\u{301}");
    }

    #[test]
    fn uid_percent_encodes_everything_outside_the_safe_set() {
        assert_eq!(uid("0193a1b2-key@needlepath"), "0193a1b2-key@needlepath");
        assert_eq!(uid("a b\r\n;,\\%é"), "a%20b%0D%0A%3B%2C%5C%25%C3%A9");
        assert_ne!(uid("a%20b"), uid("a b"), "distinct keys stay distinct");
    }

    #[test]
    fn uri_keeps_http_urls_and_percent_encodes_what_a_uri_cannot_carry() {
        assert_eq!(uri("https://example.org/a?b=1&c=2#d").as_deref(), Some("https://example.org/a?b=1&c=2#d"));
        assert_eq!(
            uri(" https://example.org/a b\r\nEND:VEVENT\"<>\\^`{|}é ").as_deref(),
            Some("https://example.org/a%20b%0D%0AEND:VEVENT%22%3C%3E%5C%5E%60%7B%7C%7D%C3%A9")
        );
        assert_eq!(uri("HTTP://example.org/%41%zz%").as_deref(), Some("HTTP://example.org/%41%25zz%25"));
    }

    #[test]
    fn uri_drops_other_schemes_and_non_urls() {
        for bad in ["javascript:alert(1)", "data:text/html,x", "example.org", "", " \r\n"] {
            assert_eq!(uri(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn fold_leaves_a_75_octet_line_whole_and_folds_a_76_octet_one() {
        let exact = "X".repeat(75);
        assert_eq!(folded(&exact), format!("{exact}\r\n"));
        let over = "X".repeat(76);
        assert_eq!(folded(&over), format!("{}\r\n X\r\n", "X".repeat(75)));
    }

    #[test]
    fn fold_continuation_lines_hold_74_octets_after_the_space() {
        let lines = assert_folds_back(&"a".repeat(75 + 74 + 74 + 3));
        assert_eq!(lines.iter().map(String::len).collect::<Vec<_>>(), [75, 75, 75, 4]);
    }

    #[test]
    fn fold_counts_octets_not_characters() {
        // 40 two-octet characters are 80 octets: one fold, after 37 of them (74 octets).
        let lines = assert_folds_back(&"é".repeat(40));
        assert_eq!(lines[0], "é".repeat(37));
        assert_eq!(lines[1], format!(" {}", "é".repeat(3)));
    }

    #[test]
    fn fold_never_splits_a_multi_byte_character_at_the_boundary() {
        // Every offset of a 2-, 3- and 4-octet character against the 75-octet boundary.
        for ch in ["é", "한", "🧴"] {
            for pad in 0..8 {
                let line = format!("{}{}", "x".repeat(70 + pad), ch.repeat(6));
                let lines = assert_folds_back(&line);
                // Each physical line is valid UTF-8 on its own (they are &str slices), and the
                // first is as full as a whole character allows.
                assert!(lines[0].len() > LINE_OCTETS - ch.len(), "{ch} pad {pad}: {lines:?}");
            }
        }
    }

    #[test]
    fn fold_keeps_a_combining_accent_with_its_letter() {
        // "e" + U+0301 would straddle the boundary: the fold goes before the "e".
        let line = format!("{}e\u{301}z", "x".repeat(74));
        let lines = assert_folds_back(&line);
        assert_eq!(lines, ["x".repeat(74), " e\u{301}z".to_string()]);
    }

    #[test]
    fn fold_keeps_decomposed_hangul_and_emoji_sequences_whole() {
        let hangul = "\u{1112}\u{1161}\u{11ab}"; // 한, decomposed: 9 octets
        let nurse = "👩\u{1f3fd}\u{200d}⚕\u{fe0f}"; // woman health worker, medium skin tone
        let flag = "🇩🇪";
        for cluster in [hangul, nurse, flag] {
            for pad in 60..76 {
                let line = format!("{}{cluster}{cluster}", "x".repeat(pad));
                let lines = assert_folds_back(&line);
                for l in &lines {
                    let body = l.strip_prefix(' ').unwrap_or(l).trim_start_matches('x');
                    assert!(body.is_empty() || body.replace(cluster, "").is_empty(), "{cluster:?} cut: {lines:?}");
                }
            }
        }
    }

    #[test]
    fn fold_cuts_an_overlong_cluster_between_characters() {
        // A letter under 60 combining marks (120 octets) cannot fit a line: it is cut, but only
        // between characters.
        let zalgo = format!("a{}", "\u{301}".repeat(60));
        let line = format!("SUMMARY:{zalgo}");
        assert_folds_back(&line);
    }

    #[test]
    fn fold_never_separates_a_text_escape() {
        for pad in 70..78 {
            let line = format!("{}{}", "x".repeat(pad), escape_text("\\\n;,\\\\\n"));
            let lines = assert_folds_back(&line);
            for l in &lines {
                let body = l.strip_prefix(' ').unwrap_or(l);
                let trailing = body.len() - body.trim_end_matches('\\').len();
                assert!(trailing % 2 == 0, "a line ends inside an escape: {lines:?}");
            }
        }
    }

    #[test]
    fn etag_is_a_quoted_32_digit_hex_prefix_of_the_sha256() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assert_eq!(etag("abc"), "\"ba7816bf8f01cfea414140de5dae2223\"");
        assert_ne!(etag("abc"), etag("abd"));
        assert_eq!(etag(""), etag(""));
    }

    #[test]
    fn if_none_match_hits_the_same_tag_star_and_lists() {
        let tag = "\"abc\"";
        assert!(if_none_match_hits("\"abc\"", tag));
        assert!(if_none_match_hits("*", tag));
        assert!(if_none_match_hits(" * ", tag));
        assert!(if_none_match_hits("\"x\", \"abc\"", tag));
        assert!(if_none_match_hits("\"x\",\"y\" ,\t\"abc\"", tag));
        assert!(if_none_match_hits("\"a,b\", \"abc\"", tag), "commas inside a tag are not separators");
    }

    #[test]
    fn if_none_match_compares_weakly() {
        assert!(if_none_match_hits("W/\"abc\"", "\"abc\""));
        assert!(if_none_match_hits("\"abc\"", "W/\"abc\""));
        assert!(if_none_match_hits("\"x\", W/\"abc\"", "\"abc\""));
    }

    #[test]
    fn if_none_match_misses_other_tags_and_malformed_headers() {
        let tag = "\"abc\"";
        for header in ["", "\"abd\"", "abc", "\"ab\"c", "w/\"abc\"", "\"abc", "\"x\", *", "\"abcd\"", "\"\""] {
            assert!(!if_none_match_hits(header, tag), "{header:?}");
        }
        assert!(!if_none_match_hits("*", "not quoted"), "our own tag must be well formed");
    }

    #[test]
    fn if_none_match_skips_a_malformed_member_and_reads_on() {
        assert!(if_none_match_hits("bogus, \"abc\"", "\"abc\""));
    }

    #[test]
    fn if_none_match_hits_the_etag_of_the_same_body() {
        let body = "BEGIN:VCALENDAR\r\n";
        assert!(if_none_match_hits(&etag(body), &etag(body)));
        assert!(!if_none_match_hits(&etag(body), &etag("other")));
    }

    fn event(time: EventTime) -> FeedEvent {
        FeedEvent {
            uid: "k1@needlepath".into(),
            stamp: Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
            time,
            summary: "Dose".into(),
            description: String::new(),
            location: None,
            url: None,
            alarms: vec![Alarm { minutes_before: 0, description: String::new() }],
        }
    }

    #[test]
    fn render_writes_utc_times_all_day_dates_and_alarm_triggers() {
        let start = Utc.with_ymd_and_hms(2026, 11, 21, 14, 30, 0).unwrap();
        let feed = Feed {
            name: "n".into(),
            description: "d".into(),
            refresh_minutes: 60,
            events: vec![
                event(EventTime::At { start, minutes: 90 }),
                event(EventTime::AllDay(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap())),
            ],
        };
        let body = render(&feed);
        for line in [
            "DTSTART:20261121T143000Z\r\n",
            "DTEND:20261121T160000Z\r\n",
            "DTSTART;VALUE=DATE:20261231\r\n",
            "DTEND;VALUE=DATE:20270101\r\n",
            "TRIGGER:PT0M\r\n",
            "REFRESH-INTERVAL;VALUE=DURATION:PT60M\r\n",
            "X-PUBLISHED-TTL:PT60M\r\n",
        ] {
            assert!(body.contains(line), "{line:?} missing from {body}");
        }
        assert!(!body.contains("DESCRIPTION:\r\n"), "an empty event description is left out");
        assert_eq!(body.matches("BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:PT0M\r\nDESCRIPTION:Dose\r\n").count(), 2);
    }

    #[test]
    fn render_does_not_overflow_past_the_last_date() {
        let body = render(&Feed {
            name: String::new(),
            description: String::new(),
            refresh_minutes: 60,
            events: vec![event(EventTime::AllDay(NaiveDate::MAX))],
        });
        assert!(body.contains("DTSTART;VALUE=DATE:"));
        assert!(!body.contains("DTEND"));
    }

    /// Regression (found by the `renderers` fuzz target): an event starting late on 9999-12-31
    /// ended in the year 10000, which chrono writes `+100000101T…`: a DTEND no calendar app
    /// reads, which can make it drop the whole feed. Past 9999 the end is left out (the event is
    /// then an instant, or one day long when all-day).
    #[test]
    fn dtend_past_year_9999_is_left_out() {
        let start = Utc.with_ymd_and_hms(9999, 12, 31, 23, 30, 0).unwrap();
        let body = render(&Feed {
            name: String::new(),
            description: String::new(),
            refresh_minutes: 60,
            events: vec![
                event(EventTime::At { start, minutes: 90 }),
                event(EventTime::AllDay(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap())),
                event(EventTime::At { start, minutes: 29 }),
            ],
        });
        assert!(body.contains("DTSTART:99991231T233000Z\r\n"), "{body}");
        assert!(body.contains("DTSTART;VALUE=DATE:99991231\r\n"), "{body}");
        assert_eq!(body.matches("DTEND").count(), 1, "only the end within 9999 is written: {body}");
        assert!(body.contains("DTEND:99991231T235900Z\r\n"), "{body}");
        assert!(!body.contains('+'), "{body}");
    }
}
