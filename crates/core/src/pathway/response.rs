//! When a check-in opens an alert, and by when the clinic must answer it, by disposition and
//! opening hours, in the clinic's zone.
//!
//! A disposition of `contact_clinic` or worse opens an alert; self-care does not. Emergency: the
//! clinic's call back within `emergency_minutes` of opening hours (the patient has already been
//! told to call emergency services; a deadline of "at once" made every emergency alert overdue
//! the moment it opened, and staff learned to ignore "overdue"). Urgent same day: within
//! `urgent_minutes` of opening hours. Contact the clinic: by closing time on the
//! `contact_business_days`-th business day after the alert. Local times become instants by core's
//! one daylight-saving policy (`timeline::Zone::instant`).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::pathway::booking::OpeningHours;
use crate::timeline::Zone;
use crate::vocabulary::Disposition;

/// How soon the clinic answers an alert (the clinic's settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseTimes {
    /// `emergency`: minutes of opening hours to call the patient back in (at least 1).
    pub emergency_minutes: u32,
    /// `urgent_same_day`: minutes of opening hours to respond in.
    pub urgent_minutes: u32,
    /// `contact_clinic`: business days to respond in (at least 1).
    pub contact_business_days: u32,
}

/// Whether a check-in with this disposition opens an alert for staff: `contact_clinic` or worse.
pub fn opens_alert(disposition: Disposition) -> bool {
    disposition >= Disposition::ContactClinic
}

/// Whether a patient's check-in is taken when they have already sent `sent` in the last hour
/// and the limit is `per_hour` (issue 14, defect 8: one patient sent 300 emergency check-ins
/// in 80 seconds). A check-in whose answer opens an alert is always taken, whatever the count:
/// a limit may slow a flood of routine reports, never stop a red flag from being answered and
/// alerted.
pub fn takes_check_in(disposition: Disposition, sent: u32, per_hour: u32) -> bool {
    opens_alert(disposition) || sent < per_hour
}

impl OpeningHours {
    /// Parses stored opening hours (`HH:MM` times, ISO weekdays); the error names the field
    /// (`opening_hours.…`) and what is accepted.
    pub fn parse(days: &[u8], opens: &str, closes: &str) -> Result<Self, (String, String)> {
        let time = |field: &str, v: &str| {
            NaiveTime::parse_from_str(v, "%H:%M").map_err(|_| {
                (format!("opening_hours.{field}"), format!("`{v}` is not a time; accepted: HH:MM, 00:00–23:59"))
            })
        };
        let opens = time("opens", opens)?;
        let closes = time("closes", closes)?;
        if closes <= opens {
            return Err(("opening_hours.closes".into(), "closing time must be after opening time".into()));
        }
        if let Some((i, d)) = days.iter().enumerate().find(|(_, d)| !(1..=7).contains(*d)) {
            return Err((
                format!("opening_hours.days[{i}]"),
                format!("{d} is not a weekday; accepted: 1 (Monday) to 7 (Sunday)"),
            ));
        }
        if days.is_empty() {
            return Err(("opening_hours.days".into(), "at least one opening day is needed".into()));
        }
        Ok(Self { days: days.to_vec(), opens, closes })
    }

    /// Whether the clinic opens on this local day.
    pub fn open_on(&self, day: NaiveDate) -> bool {
        u8::try_from(day.weekday().number_from_monday()).is_ok_and(|d| self.days.contains(&d))
    }

    /// Whether the clinic is open at `at` (its opening hours, in its zone).
    pub fn open_at(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        let local = at.with_timezone(&tz);
        self.open_on(local.date_naive()) && (self.opens..self.closes).contains(&local.time())
    }
}

fn at(tz: Tz, d: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
    Zone::Named(tz).instant(NaiveDateTime::new(d, t))
}

/// The response deadline for an alert opened at `opened`; `None` when the disposition opens no
/// alert ([`opens_alert`]).
pub fn deadline(
    disposition: Disposition,
    opened: DateTime<Utc>,
    tz: Tz,
    hours: &OpeningHours,
    times: &ResponseTimes,
) -> Option<DateTime<Utc>> {
    match disposition {
        Disposition::SelfCare => None,
        Disposition::Emergency => Some(within_opening(opened, tz, hours, i64::from(times.emergency_minutes.max(1)))),
        Disposition::UrgentSameDay => Some(within_opening(opened, tz, hours, i64::from(times.urgent_minutes))),
        Disposition::ContactClinic => {
            let mut day = opened.with_timezone(&tz).date_naive();
            let mut left = times.contact_business_days.max(1);
            // A bounded walk: at most 7 days per business day asked for.
            for _ in 0..(7 * left + 7) {
                day = day.succ_opt()?;
                if hours.open_on(day) {
                    left -= 1;
                    if left == 0 {
                        return Some(at(tz, day, hours.closes));
                    }
                }
            }
            None
        }
    }
}

/// `opened` plus `minutes` counted only while the clinic is open.
fn within_opening(opened: DateTime<Utc>, tz: Tz, hours: &OpeningHours, minutes: i64) -> DateTime<Utc> {
    let mut left = Duration::minutes(minutes);
    let mut cursor = opened;
    let mut day = opened.with_timezone(&tz).date_naive();
    for _ in 0..400 {
        if hours.open_on(day) {
            let (start, end) = (at(tz, day, hours.opens), at(tz, day, hours.closes));
            let from = cursor.max(start);
            if from < end {
                if from + left <= end {
                    return from + left;
                }
                left -= end - from;
            }
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
        cursor = cursor.max(at(tz, day, NaiveTime::MIN));
    }
    opened + Duration::minutes(minutes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    const TIMES: ResponseTimes = ResponseTimes { emergency_minutes: 30, urgent_minutes: 60, contact_business_days: 1 };

    fn hours() -> OpeningHours {
        OpeningHours::parse(&[1, 2, 3, 4, 5], "09:00", "17:00").unwrap()
    }

    proptest! {
        /// No count of earlier check-ins and no limit stops a check-in that opens an alert; a
        /// routine one is taken only under the limit.
        #[test]
        fn the_check_in_limit_never_stops_an_alert(sent in 0u32..10_000, per_hour in 0u32..100, d in 0usize..4) {
            let disposition = Disposition::ALL[d];
            let taken = takes_check_in(disposition, sent, per_hour);
            if opens_alert(disposition) {
                prop_assert!(taken);
            } else {
                prop_assert_eq!(taken, sent < per_hour);
            }
        }
    }

    fn berlin(s: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        chrono_tz::Europe::Berlin.from_local_datetime(&naive).unwrap().with_timezone(&Utc)
    }

    const TZ: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn an_emergency_alert_is_not_overdue_the_moment_it_opens() {
        let t = berlin("2026-11-23 10:00");
        assert_eq!(deadline(Disposition::Emergency, t, TZ, &hours(), &TIMES), Some(berlin("2026-11-23 10:30")));
        // At night: 30 minutes after the clinic opens.
        let night = berlin("2026-11-23 22:00");
        assert_eq!(deadline(Disposition::Emergency, night, TZ, &hours(), &TIMES), Some(berlin("2026-11-24 09:30")));
        assert_eq!(deadline(Disposition::SelfCare, t, TZ, &hours(), &TIMES), None);
    }

    #[test]
    fn urgent_counts_opening_minutes() {
        let d = |s| deadline(Disposition::UrgentSameDay, berlin(s), TZ, &hours(), &TIMES);
        assert_eq!(d("2026-11-23 10:00"), Some(berlin("2026-11-23 11:00")));
        // Monday 16:30 → 30 min today, 30 min Tuesday → Tuesday 09:30.
        assert_eq!(d("2026-11-23 16:30"), Some(berlin("2026-11-24 09:30")));
        // Saturday night → Monday 10:00.
        assert_eq!(d("2026-11-21 23:00"), Some(berlin("2026-11-23 10:00")));
    }

    #[test]
    fn contact_is_next_business_day_close() {
        let d = |s| deadline(Disposition::ContactClinic, berlin(s), TZ, &hours(), &TIMES);
        assert_eq!(d("2026-11-23 10:00"), Some(berlin("2026-11-24 17:00")));
        // Friday → Monday.
        assert_eq!(d("2026-11-27 16:00"), Some(berlin("2026-11-30 17:00")));
    }

    #[test]
    fn bad_hours_name_the_field() {
        assert_eq!(OpeningHours::parse(&[1, 8], "09:00", "17:00").unwrap_err().0, "opening_hours.days[1]");
        assert_eq!(OpeningHours::parse(&[1], "18:00", "17:00").unwrap_err().0, "opening_hours.closes");
        assert_eq!(OpeningHours::parse(&[1], "9am", "17:00").unwrap_err().0, "opening_hours.opens");
        assert_eq!(OpeningHours::parse(&[], "09:00", "17:00").unwrap_err().0, "opening_hours.days");
    }

    fn disposition() -> impl Strategy<Value = Disposition> {
        prop_oneof![
            Just(Disposition::SelfCare),
            Just(Disposition::ContactClinic),
            Just(Disposition::UrgentSameDay),
            Just(Disposition::Emergency),
        ]
    }

    fn opening() -> impl Strategy<Value = OpeningHours> {
        (proptest::collection::btree_set(1u8..=7, 1..=7), 0u32..=20, 1u32..=4).prop_map(|(days, opens, len)| {
            let opens_t = NaiveTime::from_hms_opt(opens, 0, 0).unwrap_or(NaiveTime::MIN);
            let closes_t = NaiveTime::from_hms_opt((opens + len).min(23), 30, 0).unwrap_or(NaiveTime::MIN);
            OpeningHours { days: days.into_iter().collect(), opens: opens_t, closes: closes_t }
        })
    }

    fn zone() -> impl Strategy<Value = Tz> {
        prop_oneof![
            Just(chrono_tz::Europe::Berlin),
            Just(chrono_tz::America::New_York),
            Just(chrono_tz::Australia::Sydney),
            Just(chrono_tz::UTC),
        ]
    }

    proptest! {
        /// An alert opens exactly for `contact_clinic` or worse, and then always has a deadline
        /// that is never before it opened; the more urgent the disposition, the more surely an
        /// alert opens.
        #[test]
        fn an_alert_opens_for_contact_clinic_or_worse_with_a_deadline_after_it(
            d in disposition(), secs in 1_700_000_000i64..1_900_000_000, h in opening(), tz in zone(),
            em in 1u32..=240, urg in 1u32..=600, days in 1u32..=10,
        ) {
            let opened = DateTime::from_timestamp(secs, 0).unwrap_or_default();
            let times = ResponseTimes { emergency_minutes: em, urgent_minutes: urg, contact_business_days: days };
            let due = deadline(d, opened, tz, &h, &times);
            prop_assert_eq!(due.is_some(), opens_alert(d));
            if let Some(due) = due {
                prop_assert!(due >= opened);
            }
            for worse in [Disposition::ContactClinic, Disposition::UrgentSameDay, Disposition::Emergency] {
                if worse >= d && opens_alert(d) {
                    prop_assert!(opens_alert(worse));
                }
            }
        }

        /// Emergency and urgent deadlines fall inside opening hours (a clinic's answer is
        /// expected while it is open), and a later alert never has an earlier deadline.
        #[test]
        fn minute_deadlines_fall_in_opening_hours_and_never_go_back_in_time(
            secs in 1_700_000_000i64..1_900_000_000, later in 0i64..200_000, h in opening(),
            em in 1u32..=240,
        ) {
            let tz = chrono_tz::UTC;
            let opened = DateTime::from_timestamp(secs, 0).unwrap_or_default();
            let times = ResponseTimes { emergency_minutes: em, urgent_minutes: em, contact_business_days: 1 };
            let due = deadline(Disposition::Emergency, opened, tz, &h, &times).unwrap_or(opened);
            let local = due.with_timezone(&tz);
            prop_assert!(h.open_on(local.date_naive()), "{} is on a closed day", local);
            prop_assert!(local.time() > h.opens && local.time() <= h.closes, "{} is outside opening hours", local);
            let after = deadline(Disposition::Emergency, opened + Duration::seconds(later), tz, &h, &times);
            prop_assert!(after.unwrap_or(opened) >= due);
        }
    }
}
