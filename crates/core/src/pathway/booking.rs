//! Whether an appointment may be booked at a time: inside the clinic's opening hours (start and
//! end), not overlapping another booked appointment of the same practitioner, and inside the
//! plan's window for the next session unless a reason is given (the reason is recorded with the
//! appointment). The API and the staff form both ask `check`; each refusal names its field.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, NaiveTime, Utc};

use crate::pathway::next::within;
use crate::plan::DateWindow;

/// The clinic's opening hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    /// ISO weekdays open, 1 = Monday … 7 = Sunday.
    pub days: Vec<u8>,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

/// Another booked appointment of the same practitioner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub starts: DateTime<Utc>,
    pub minutes: u32,
}

/// The appointment asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposed<'a> {
    pub starts: DateTime<Utc>,
    /// The same moment in the clinic's zone.
    pub local: NaiveDateTime,
    pub minutes: u32,
    /// Why it is booked outside the plan's window, if it is.
    pub window_reason: Option<&'a str>,
}

/// How long an appointment may be, in minutes (inclusive), and how long one is when not said.
pub const MINUTES: (u32, u32) = (10, 480);
pub const DEFAULT_MINUTES: u32 = 60;

/// Checks an appointment's length against [`MINUTES`].
pub fn check_minutes(minutes: u32) -> Result<(), Refusal> {
    let (lo, hi) = MINUTES;
    if (lo..=hi).contains(&minutes) {
        Ok(())
    } else {
        Err(refuse("minutes", format!("must be from {lo} to {hi} minutes")))
    }
}

/// The shortest reason accepted for booking outside the window: a sentence, not "ok".
pub const MIN_REASON_CHARS: usize = 15;

/// Why a booking is refused, with the field to correct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: String) -> Refusal {
    Refusal { field, message }
}

fn end(starts: DateTime<Utc>, minutes: u32) -> DateTime<Utc> {
    starts + Duration::minutes(i64::from(minutes))
}

const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

fn open_days(h: &OpeningHours) -> String {
    let names: Vec<&str> = h.days.iter().filter_map(|d| DAYS.get(usize::from(*d).wrapping_sub(1)).copied()).collect();
    names.join(", ")
}

/// The first of `others` that overlaps an appointment at `starts` for `minutes` (touching ends
/// do not overlap). The store asks this inside the booking's transaction.
pub fn overlap(others: &[Slot], starts: DateTime<Utc>, minutes: u32) -> Option<Slot> {
    let new_end = end(starts, minutes);
    others.iter().copied().find(|o| o.starts < new_end && starts < end(o.starts, o.minutes))
}

/// What an overlap refusal says.
pub fn overlap_message(o: Slot) -> String {
    format!(
        "overlaps another appointment of the same practitioner ({} UTC, {} minutes); choose another time or practitioner",
        o.starts.format("%Y-%m-%d %H:%M"),
        o.minutes
    )
}

/// Checks a proposed appointment; `window` is the plan's window for the next session (`None`
/// without a plan or after the last session).
pub fn check(
    hours: &OpeningHours,
    window: Option<DateWindow>,
    others: &[Slot],
    p: Proposed<'_>,
) -> Result<(), Refusal> {
    let weekday = u8::try_from(p.local.weekday().number_from_monday()).unwrap_or(0);
    let opening = format!(
        "the clinic is open {} from {} to {}",
        open_days(hours),
        hours.opens.format("%H:%M"),
        hours.closes.format("%H:%M")
    );
    if !hours.days.contains(&weekday) {
        return Err(refuse(
            "starts_at",
            format!("is on a {}, when the clinic is closed; {opening}", DAYS[usize::from(weekday.max(1)) - 1]),
        ));
    }
    let local_end = p.local + Duration::minutes(i64::from(p.minutes));
    if p.local.time() < hours.opens || local_end.date() != p.local.date() || local_end.time() > hours.closes {
        return Err(refuse(
            "starts_at",
            format!("{}–{} is outside opening hours; {opening}", p.local.format("%H:%M"), local_end.format("%H:%M")),
        ));
    }
    if let Some(o) = overlap(others, p.starts, p.minutes) {
        return Err(refuse("starts_at", overlap_message(o)));
    }
    if let Some(w) = window
        && !within(w, p.local.date())
    {
        let reason = p.window_reason.map(str::trim).unwrap_or_default();
        if reason.chars().count() < MIN_REASON_CHARS {
            return Err(refuse(
                "window_reason",
                format!(
                    "the plan's window for the next session is {} to {}; booking on {} needs a reason of at least {MIN_REASON_CHARS} characters",
                    w.earliest,
                    w.latest,
                    p.local.date()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn hours() -> OpeningHours {
        OpeningHours {
            days: vec![1, 2, 3, 4, 5],
            opens: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            closes: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        }
    }

    /// Times in UTC, the clinic's zone too for these tests.
    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> (DateTime<Utc>, NaiveDateTime) {
        let u = Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
        (u, u.naive_utc())
    }

    fn proposed(t: (DateTime<Utc>, NaiveDateTime), minutes: u32, reason: Option<&str>) -> Proposed<'_> {
        Proposed { starts: t.0, local: t.1, minutes, window_reason: reason }
    }

    fn window() -> DateWindow {
        DateWindow {
            earliest: NaiveDate::from_ymd_opt(2026, 12, 29).unwrap(),
            latest: NaiveDate::from_ymd_opt(2027, 1, 12).unwrap(),
        }
    }

    #[test]
    fn a_weekday_inside_opening_hours_and_the_window_is_accepted() {
        // Tuesday 5 Jan 2027, 10:00 for an hour.
        assert_eq!(check(&hours(), Some(window()), &[], proposed(at(2027, 1, 5, 10, 0), 60, None)), Ok(()));
    }

    #[test]
    fn sunday_at_three_in_the_morning_is_refused() {
        // Sunday 3 Jan 2027.
        let e = check(&hours(), None, &[], proposed(at(2027, 1, 3, 3, 0), 60, None)).unwrap_err();
        assert_eq!(e.field, "starts_at");
        assert!(e.message.contains("Sunday"), "{}", e.message);
    }

    #[test]
    fn an_appointment_must_end_by_closing_time() {
        let e = check(&hours(), None, &[], proposed(at(2027, 1, 5, 16, 30), 60, None)).unwrap_err();
        assert!(e.message.contains("outside opening hours"), "{}", e.message);
        let early = check(&hours(), None, &[], proposed(at(2027, 1, 5, 8, 30), 30, None)).unwrap_err();
        assert_eq!(early.field, "starts_at");
        assert_eq!(check(&hours(), None, &[], proposed(at(2027, 1, 5, 16, 0), 60, None)), Ok(()));
    }

    #[test]
    fn overlaps_with_the_same_practitioner_are_refused_and_back_to_back_is_fine() {
        let other = Slot { starts: at(2027, 1, 5, 10, 0).0, minutes: 60 };
        let e = check(&hours(), None, &[other], proposed(at(2027, 1, 5, 10, 30), 60, None)).unwrap_err();
        assert!(e.message.contains("overlaps"), "{}", e.message);
        assert!(check(&hours(), None, &[other], proposed(at(2027, 1, 5, 9, 30), 60, None)).is_err());
        assert_eq!(check(&hours(), None, &[other], proposed(at(2027, 1, 5, 11, 0), 60, None)), Ok(()));
        assert_eq!(check(&hours(), None, &[other], proposed(at(2027, 1, 5, 9, 0), 60, None)), Ok(()));
    }

    #[test]
    fn outside_the_window_needs_a_real_reason() {
        // Tuesday 15 Dec 2026: before the window.
        let t = at(2026, 12, 15, 10, 0);
        let e = check(&hours(), Some(window()), &[], proposed(t, 60, None)).unwrap_err();
        assert_eq!(e.field, "window_reason");
        assert!(check(&hours(), Some(window()), &[], proposed(t, 60, Some("ok"))).is_err());
        let reason = "Patient travels abroad for six weeks from 28 Dec.";
        assert_eq!(check(&hours(), Some(window()), &[], proposed(t, 60, Some(reason))), Ok(()));
    }

    proptest::proptest! {
        /// An appointment's length is accepted exactly within [`MINUTES`]; a refusal names
        /// `minutes`, and an accepted booking inside opening hours is never refused for its
        /// length.
        #[test]
        fn an_appointment_length_is_accepted_exactly_within_its_bounds(minutes in 0u32..2000) {
            let (lo, hi) = MINUTES;
            match check_minutes(minutes) {
                Ok(()) => proptest::prop_assert!((lo..=hi).contains(&minutes)),
                Err(r) => {
                    proptest::prop_assert!(!(lo..=hi).contains(&minutes));
                    proptest::prop_assert_eq!(r.field, "minutes");
                }
            }
        }
    }
}
