//! The scheduled check-ins after a session: when each falls due, and which one an answer fills.
//!
//! Day `n` after the session is at the same local clock time as the session, so a 10:00 session
//! has its day-7 check-in at 10:00 local even across a daylight-saving change (core's one policy
//! for a local time: `timeline::Zone::instant`). An answer fills the latest open check-in of its
//! session that is already due, or due within [`ANSWER_EARLY_HOURS`]: a patient who answers the
//! evening before is not asked again the next morning.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::timeline::Zone;

/// How early an answer may fill a check-in that is not due yet.
pub const ANSWER_EARLY_HOURS: i64 = 12;

/// The due times of a session's check-ins on `days` after it, each day once, in day order.
pub fn check_in_times(performed_at: DateTime<Utc>, tz: Tz, days: &[u32]) -> Vec<(u32, DateTime<Utc>)> {
    let local = performed_at.with_timezone(&tz).naive_local();
    let mut out: Vec<(u32, DateTime<Utc>)> = days
        .iter()
        .filter_map(|&d| {
            let target: NaiveDateTime = local.checked_add_signed(Duration::days(i64::from(d)))?;
            Some((d, Zone::Named(tz).instant(target)))
        })
        .collect();
    out.sort_by_key(|(d, _)| *d);
    out.dedup_by_key(|(d, _)| *d);
    out
}

/// One scheduled check-in of the session being answered about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduled<Id> {
    pub id: Id,
    pub due_at: DateTime<Utc>,
    /// Already answered (a check-in is filled once).
    pub answered: bool,
}

/// The scheduled check-in an answer at `now` fills: the latest unanswered one already due or
/// due within [`ANSWER_EARLY_HOURS`]; `None` when there is none (the answer is then a check-in
/// of its own).
pub fn answer_fills<Id: Copy>(scheduled: &[Scheduled<Id>], now: DateTime<Utc>) -> Option<Id> {
    scheduled
        .iter()
        .filter(|s| !s.answered && s.due_at <= now + Duration::hours(ANSWER_EARLY_HOURS))
        .max_by_key(|s| s.due_at)
        .map(|s| s.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn days_keep_local_clock_time_across_dst() {
        let tz = chrono_tz::America::New_York;
        // Saturday 2026-10-31 10:00 EDT; clocks go back on Sunday 2026-11-01.
        let session = tz.with_ymd_and_hms(2026, 10, 31, 10, 0, 0).unwrap().with_timezone(&Utc);
        let times = check_in_times(session, tz, &[7, 1, 3, 1]);
        let local: Vec<String> =
            times.iter().map(|(_, t)| t.with_timezone(&tz).format("%m-%d %H:%M").to_string()).collect();
        assert_eq!(local, ["11-01 10:00", "11-03 10:00", "11-07 10:00"]);
        // 24 real hours would have been 09:00 local on day 1; the clock time wins.
        assert_eq!(times[0].1 - session, Duration::hours(25));
    }

    #[test]
    fn an_answer_the_evening_before_fills_the_next_days_check_in() {
        let at = |h: i64| Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap() + Duration::hours(h);
        let s = [
            Scheduled { id: 1, due_at: at(24), answered: true },
            Scheduled { id: 3, due_at: at(72), answered: false },
            Scheduled { id: 7, due_at: at(168), answered: false },
        ];
        assert_eq!(answer_fills(&s, at(62)), Some(3), "ten hours early");
        assert_eq!(answer_fills(&s, at(59)), None, "thirteen hours early is a check-in of its own");
        assert_eq!(answer_fills(&s, at(400)), Some(7), "the latest due");
    }

    fn zone() -> impl Strategy<Value = Tz> {
        prop_oneof![
            Just(chrono_tz::Europe::Berlin),
            Just(chrono_tz::America::New_York),
            Just(chrono_tz::Australia::Lord_Howe),
            Just(chrono_tz::UTC),
        ]
    }

    proptest! {
        /// Each day asked for is scheduled once, in day order, at the session's local clock time
        /// unless that time does not exist that day (a spring-forward gap moves it on by the gap).
        #[test]
        fn check_ins_fall_once_per_day_at_the_sessions_clock_time(
            secs in 1_700_000_000i64..1_900_000_000, days in proptest::collection::vec(1u32..=90, 0..10), tz in zone(),
        ) {
            let performed = DateTime::from_timestamp(secs, 0).unwrap_or_default();
            let times = check_in_times(performed, tz, &days);
            let mut want: Vec<u32> = days.clone();
            want.sort_unstable();
            want.dedup();
            prop_assert_eq!(times.iter().map(|(d, _)| *d).collect::<Vec<_>>(), want);
            let clock = performed.with_timezone(&tz).time();
            for (d, t) in &times {
                prop_assert!(*t > performed);
                let local = t.with_timezone(&tz).time();
                let off = (local - clock).num_minutes().abs();
                prop_assert!(off == 0 || off <= 60, "day {d}: {local} vs {clock}");
            }
            prop_assert!(times.windows(2).all(|w| w[0].1 < w[1].1));
        }

        /// The check-in an answer fills is unanswered, due within the early allowance, and no
        /// other such check-in is due later.
        #[test]
        fn an_answer_fills_the_latest_open_check_in_due_by_then(
            due in proptest::collection::vec((0i64..2_000, any::<bool>()), 0..8), now in 0i64..2_000,
        ) {
            let base = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
            let s: Vec<Scheduled<usize>> = due.iter().enumerate()
                .map(|(i, (h, answered))| Scheduled { id: i, due_at: base + Duration::hours(*h), answered: *answered })
                .collect();
            let now = base + Duration::hours(now);
            let eligible = |x: &Scheduled<usize>| !x.answered && x.due_at <= now + Duration::hours(ANSWER_EARLY_HOURS);
            match answer_fills(&s, now) {
                Some(id) => {
                    prop_assert!(eligible(&s[id]));
                    prop_assert!(s.iter().filter(|x| eligible(x)).all(|x| x.due_at <= s[id].due_at));
                }
                None => prop_assert!(!s.iter().any(eligible)),
            }
        }
    }
}
