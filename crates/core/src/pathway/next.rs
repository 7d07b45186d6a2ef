//! One truth for the dates of a series: the window of the next session and the appointment
//! booked for it.
//!
//! The plan gives the number of sessions, the interval and session 1's window. Once a session is
//! performed, the next window counts from the day it was actually done (not from the planned
//! date), and each later session is chained from the earliest day of the one before, as the plan
//! itself does. Sessions already done are shown on the day they were done. Today, My plan,
//! Reminders, the staff record and the reminders after a session (hence the calendar feed) all
//! read these dates from here.

use chrono::{Days, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::plan::{DateWindow, Interval};

/// What a stored plan says about dates: each planned session's window and the interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanDates {
    /// The planned windows, session 1 first.
    pub windows: Vec<DateWindow>,
    pub interval: Interval,
}

#[derive(Deserialize)]
struct StoredWindow {
    earliest: NaiveDate,
    latest: NaiveDate,
}

#[derive(Deserialize)]
struct StoredInterval {
    min: u32,
    max: u32,
}

#[derive(Deserialize)]
struct StoredPlan {
    sessions: Vec<StoredWindow>,
    interval_days: StoredInterval,
}

impl PlanDates {
    /// The dates of a plan result as the service stores it (`plan::PlanResult` as JSON); `None`
    /// when it does not have that shape.
    pub fn from_result(result: &serde_json::Value) -> Option<Self> {
        let s = StoredPlan::deserialize(result).ok()?;
        Some(Self {
            windows: s.sessions.into_iter().map(|w| DateWindow { earliest: w.earliest, latest: w.latest }).collect(),
            interval: Interval { min: s.interval_days.min, max: s.interval_days.max },
        })
    }
}

/// A booked appointment, as its local date and time in the clinic's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Booked<Id> {
    pub id: Id,
    pub starts: NaiveDateTime,
}

/// Where one planned session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SessionDates {
    /// Performed on this (local) day.
    Done { on: NaiveDate },
    /// Still to come, in this window.
    Due { window: DateWindow },
}

/// The next session: its number, its window and the appointment booked for it, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextSession<Id> {
    pub number: u32,
    pub window: DateWindow,
    pub booked: Option<Booked<Id>>,
    /// Whether the booked appointment lies inside the window.
    pub booked_in_window: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series<Id> {
    /// One entry per planned session (and per extra session done beyond the plan), in order.
    pub sessions: Vec<(u32, SessionDates)>,
    pub next: Option<NextSession<Id>>,
}

/// The window of the next session after `done` sessions, the last on `last_done`: from the
/// last session and the interval when there was one, else the plan's session 1. `None` when
/// the series is complete.
pub fn next_window(plan: &PlanDates, done: usize, last_done: Option<NaiveDate>) -> Option<(u32, DateWindow)> {
    if done >= plan.windows.len() {
        return None;
    }
    let number = u32::try_from(done + 1).ok()?;
    match last_done {
        Some(d) if done > 0 => Some((number, after(d, plan.interval))),
        _ => plan.windows.first().map(|w| (number, *w)),
    }
}

/// The whole series: sessions done on their real days (`done`, local dates, any order), the
/// later ones chained from the next window, and the first booked appointment from `today` on.
pub fn series<Id: Copy>(plan: &PlanDates, done: &[NaiveDate], booked: &[Booked<Id>], today: NaiveDate) -> Series<Id> {
    let mut done_sorted = done.to_vec();
    done_sorted.sort_unstable();
    let mut sessions: Vec<(u32, SessionDates)> = done_sorted
        .iter()
        .enumerate()
        .map(|(i, d)| (u32::try_from(i + 1).unwrap_or(u32::MAX), SessionDates::Done { on: *d }))
        .collect();
    let next = next_window(plan, done_sorted.len(), done_sorted.last().copied());
    if let Some((number, first)) = next {
        let mut window = first;
        for n in number..=u32::try_from(plan.windows.len()).unwrap_or(u32::MAX) {
            if n > number {
                window = after(window.earliest, plan.interval);
            }
            sessions.push((n, SessionDates::Due { window }));
        }
    }
    let mut upcoming: Vec<Booked<Id>> = booked.iter().copied().filter(|b| b.starts.date() >= today).collect();
    upcoming.sort_by_key(|b| b.starts);
    let first_booked = upcoming.first().copied();
    Series {
        sessions,
        next: next.map(|(number, window)| NextSession {
            number,
            window,
            booked: first_booked,
            booked_in_window: first_booked.is_some_and(|b| within(window, b.starts.date())),
        }),
    }
}

/// Whether `day` lies in `w` (both ends included).
pub fn within(w: DateWindow, day: NaiveDate) -> bool {
    w.earliest <= day && day <= w.latest
}

fn after(d: NaiveDate, i: Interval) -> DateWindow {
    DateWindow {
        earliest: d.checked_add_days(Days::new(u64::from(i.min))).unwrap_or(NaiveDate::MAX),
        latest: d.checked_add_days(Days::new(u64::from(i.max))).unwrap_or(NaiveDate::MAX),
    }
}

/// The check-in in weeks 2-4 for darker skin (Fitzpatrick IV-VI), asking about dark patches.
pub const DARK_PATCH_CHECK_IN_DAY: u32 = 21;

/// The days after a session on which a check-in falls due (issue 12 item 10): the clinic's own
/// days; for darker skin (Fitzpatrick IV-VI) day [`DARK_PATCH_CHECK_IN_DAY`], since dark patches
/// show 1 to 4 weeks after a session (research notes section 2 'Darker skin': monitor weeks 1-4;
/// section 8 row 'Brown/grey patches': contact the clinic, postpone the next session); and for
/// everyone the day before the next session's window opens (`next_opens_after_days` after the
/// session), "ready for the next session?", so that a reaction is reported, and alerts the
/// clinic, before the next session is booked or done (section 4b: never schedule the next
/// session while a complication from the previous one persists). Sorted, each day once.
pub fn check_in_days(clinic_days: &[u32], fitzpatrick: Option<u8>, next_opens_after_days: u32) -> Vec<u32> {
    let mut days = clinic_days.to_vec();
    if fitzpatrick.is_some_and(|t| (4..=6).contains(&t)) {
        days.push(DARK_PATCH_CHECK_IN_DAY);
    }
    if next_opens_after_days >= 2 {
        days.push(next_opens_after_days - 1);
    }
    days.sort_unstable();
    days.dedup();
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn w(a: &str, b: &str) -> DateWindow {
        DateWindow { earliest: d(a), latest: d(b) }
    }

    /// A plan started on 10 Dec, 28 to 42 days apart, three sessions.
    fn plan() -> PlanDates {
        PlanDates {
            windows: vec![w("2026-12-10", "2026-12-10"), w("2027-01-07", "2027-01-21"), w("2027-02-04", "2027-02-18")],
            interval: Interval { min: 28, max: 42 },
        }
    }

    #[test]
    fn before_any_session_the_plan_s_first_window_is_next() {
        let s = series::<u8>(&plan(), &[], &[], d("2026-12-01"));
        let next = s.next.unwrap();
        assert_eq!((next.number, next.window), (1, w("2026-12-10", "2026-12-10")));
        assert_eq!(s.sessions.len(), 3);
        assert_eq!(s.sessions[1], (2, SessionDates::Due { window: w("2027-01-07", "2027-01-21") }));
    }

    #[test]
    fn the_window_counts_from_the_day_the_last_session_was_done() {
        // Planned for 10 Dec, done on 1 Dec: the next window is 29 Dec to 12 Jan, everywhere.
        let s = series::<u8>(&plan(), &[d("2026-12-01")], &[], d("2026-12-02"));
        assert_eq!(s.sessions[0], (1, SessionDates::Done { on: d("2026-12-01") }));
        assert_eq!(s.sessions[1], (2, SessionDates::Due { window: w("2026-12-29", "2027-01-12") }));
        assert_eq!(s.sessions[2], (3, SessionDates::Due { window: w("2027-01-26", "2027-02-09") }));
        assert_eq!(s.next.unwrap().window, w("2026-12-29", "2027-01-12"));
        assert_eq!(next_window(&plan(), 1, Some(d("2026-12-01"))), Some((2, w("2026-12-29", "2027-01-12"))));
    }

    #[test]
    fn a_complete_series_has_no_next_session() {
        let done = [d("2026-12-01"), d("2027-01-01"), d("2027-02-01")];
        let s = series::<u8>(&plan(), &done, &[], d("2027-02-02"));
        assert!(s.next.is_none());
        assert!(s.sessions.iter().all(|(_, x)| matches!(x, SessionDates::Done { .. })));
        assert_eq!(next_window(&plan(), 3, Some(d("2027-02-01"))), None);
    }

    #[test]
    fn the_first_upcoming_booking_is_the_next_session_s() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let booked = [
            Booked { id: 1, starts: at("2027-01-20 10:00") },
            Booked { id: 2, starts: at("2027-01-05 10:00") },
            Booked { id: 3, starts: at("2026-11-20 10:00") },
        ];
        let s = series(&plan(), &[d("2026-12-01")], &booked, d("2026-12-02"));
        let next = s.next.unwrap();
        assert_eq!(next.booked.map(|b| b.id), Some(2));
        assert!(next.booked_in_window);
        let late = series(&plan(), &[d("2026-12-01")], &booked[..1], d("2026-12-02")).next.unwrap();
        assert!(!late.booked_in_window);
    }

    #[test]
    fn dates_come_from_a_stored_plan_result() {
        let v = serde_json::json!({
            "sessions": [{"number": 1, "earliest": "2026-12-10", "latest": "2026-12-10", "pre_care": []}],
            "interval_days": {"min": 28, "max": 42}
        });
        let p = PlanDates::from_result(&v).unwrap();
        assert_eq!(p.windows, vec![w("2026-12-10", "2026-12-10")]);
        assert_eq!(p.interval, Interval { min: 28, max: 42 });
        assert!(PlanDates::from_result(&serde_json::json!({})).is_none());
    }

    /// Issue 12 item 10: week 3 for darker skin, and a "ready for the next session?" check-in
    /// before every next session for everyone.
    #[test]
    fn check_ins_ask_about_dark_patches_and_readiness_before_the_next_session() {
        assert_eq!(check_in_days(&[1, 3, 7, 14], Some(2), 28), vec![1, 3, 7, 14, 27]);
        assert_eq!(check_in_days(&[1, 3, 7, 14], Some(5), 28), vec![1, 3, 7, 14, 21, 27]);
        assert_eq!(check_in_days(&[1, 3, 7, 14], None, 35), vec![1, 3, 7, 14, 34]);
        assert_eq!(check_in_days(&[1, 21], Some(6), 22), vec![1, 21]);
        assert_eq!(check_in_days(&[1], None, 1), vec![1]);
    }

    proptest::proptest! {
        /// The next session is never sooner than the interval after the last one done (nor later
        /// than its maximum), counts the sessions done, and none comes after the series is
        /// complete; every session of the series is listed once, in order.
        #[test]
        fn the_next_window_keeps_the_interval_and_the_series_is_whole(
            done_offsets in proptest::collection::vec(0u32..400, 0..5), min in 1u32..60, extra in 0u32..30,
        ) {
            let start = d("2026-12-10");
            let interval = Interval { min, max: min + extra };
            let windows: Vec<DateWindow> = (0..3u32)
                .map(|i| after(start, Interval { min: i * min, max: i * min + extra }))
                .collect();
            let plan = PlanDates { windows, interval };
            let done: Vec<NaiveDate> =
                done_offsets.iter().map(|o| start.checked_add_days(Days::new(u64::from(*o))).unwrap_or(start)).collect();
            let s = series::<u8>(&plan, &done, &[], start);
            let mut sorted = done.clone();
            sorted.sort_unstable();
            match s.next {
                None => proptest::prop_assert!(done.len() >= plan.windows.len()),
                Some(n) => {
                    proptest::prop_assert_eq!(n.number as usize, done.len() + 1);
                    if let Some(last) = sorted.last() {
                        proptest::prop_assert_eq!(n.window.earliest, last.checked_add_days(Days::new(u64::from(interval.min))).unwrap_or(NaiveDate::MAX));
                        proptest::prop_assert_eq!(n.window.latest, last.checked_add_days(Days::new(u64::from(interval.max))).unwrap_or(NaiveDate::MAX));
                    } else {
                        proptest::prop_assert_eq!(n.window, plan.windows[0]);
                    }
                }
            }
            let numbers: Vec<u32> = s.sessions.iter().map(|(n, _)| *n).collect();
            let want: Vec<u32> = (1..=u32::try_from(done.len().max(plan.windows.len())).unwrap_or(0)).collect();
            proptest::prop_assert_eq!(numbers, want);
        }
    }
}
