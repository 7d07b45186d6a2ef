//! When the clinic must answer an alert, by disposition and opening hours.
//!
//! Emergency: the clinic's call back within `emergency_minutes` of opening hours (the patient
//! has already been told to call emergency services; a deadline of "at once" made every
//! emergency alert overdue the moment it opened, and staff learned to ignore "overdue").
//! Urgent same day: within `urgent_minutes` of opening hours. Contact the clinic: by closing time
//! on the `contact_business_days`-th business day after the alert. All in the clinic's zone.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use needlepath_core::vocabulary::Disposition;
use needlepath_store::{OpeningHours, ResponsePolicy};

/// Opening hours, parsed and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    days: [bool; 7],
    opens: NaiveTime,
    closes: NaiveTime,
}

impl Hours {
    /// Parses the stored settings; the error names the field and what is accepted.
    pub fn parse(h: &OpeningHours) -> Result<Self, (String, String)> {
        let time = |field: &str, v: &str| {
            NaiveTime::parse_from_str(v, "%H:%M").map_err(|_| {
                (format!("opening_hours.{field}"), format!("`{v}` is not a time; accepted: HH:MM, 00:00–23:59"))
            })
        };
        let opens = time("opens", &h.opens)?;
        let closes = time("closes", &h.closes)?;
        if closes <= opens {
            return Err(("opening_hours.closes".into(), "closing time must be after opening time".into()));
        }
        let mut days = [false; 7];
        for (i, d) in h.days.iter().enumerate() {
            if !(1..=7).contains(d) {
                return Err((
                    format!("opening_hours.days[{i}]"),
                    format!("{d} is not a weekday; accepted: 1 (Monday) to 7 (Sunday)"),
                ));
            }
            days[usize::from(*d - 1)] = true;
        }
        if !days.contains(&true) {
            return Err(("opening_hours.days".into(), "at least one opening day is needed".into()));
        }
        Ok(Self { days, opens, closes })
    }

    fn open_on(&self, d: NaiveDate) -> bool {
        self.days[d.weekday().num_days_from_monday() as usize]
    }

    /// Whether the clinic is open at `at` (its opening hours, in its zone).
    pub fn open_at(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        let local = at.with_timezone(&tz);
        self.open_on(local.date_naive()) && (self.opens..self.closes).contains(&local.time())
    }
}

/// A local date and time in the clinic's zone as an instant, by core's one daylight-saving policy
/// (`Zone::instant`: a time in a spring-forward gap moves on by the gap; in an overlap the first).
fn at(tz: Tz, d: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
    needlepath_core::timeline::Zone::Named(tz).instant(NaiveDateTime::new(d, t))
}

/// The response deadline for an alert opened at `opened`; `None` for self-care (no alert).
pub fn deadline(
    disposition: Disposition,
    opened: DateTime<Utc>,
    tz: Tz,
    hours: &Hours,
    policy: &ResponsePolicy,
) -> Option<DateTime<Utc>> {
    match disposition {
        Disposition::SelfCare => None,
        Disposition::Emergency => Some(within_opening(opened, tz, hours, i64::from(policy.emergency_minutes.max(1)))),
        Disposition::UrgentSameDay => Some(within_opening(opened, tz, hours, i64::from(policy.urgent_minutes))),
        Disposition::ContactClinic => {
            let mut day = opened.with_timezone(&tz).date_naive();
            let mut left = policy.contact_business_days.max(1);
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
fn within_opening(opened: DateTime<Utc>, tz: Tz, hours: &Hours, minutes: i64) -> DateTime<Utc> {
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

    fn hours() -> Hours {
        Hours::parse(&OpeningHours::default()).unwrap()
    }

    fn berlin(s: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        chrono_tz::Europe::Berlin.from_local_datetime(&naive).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn an_emergency_alert_is_not_overdue_the_moment_it_opens() {
        let t = berlin("2026-11-23 10:00");
        let tz = chrono_tz::Europe::Berlin;
        let d = deadline(Disposition::Emergency, t, tz, &hours(), &ResponsePolicy::default());
        assert_eq!(d, Some(berlin("2026-11-23 10:30")), "the call back within 30 minutes of opening hours");
        // At night: 30 minutes after the clinic opens.
        let d = deadline(Disposition::Emergency, berlin("2026-11-23 22:00"), tz, &hours(), &ResponsePolicy::default());
        assert_eq!(d, Some(berlin("2026-11-24 09:30")));
        assert_eq!(deadline(Disposition::SelfCare, t, tz, &hours(), &ResponsePolicy::default()), None);
    }

    #[test]
    fn urgent_counts_opening_minutes() {
        let tz = chrono_tz::Europe::Berlin;
        // Monday 10:00 → 11:00.
        assert_eq!(
            deadline(Disposition::UrgentSameDay, berlin("2026-11-23 10:00"), tz, &hours(), &ResponsePolicy::default()),
            Some(berlin("2026-11-23 11:00"))
        );
        // Monday 16:30 → 30 min today, 30 min Tuesday → Tuesday 09:30.
        assert_eq!(
            deadline(Disposition::UrgentSameDay, berlin("2026-11-23 16:30"), tz, &hours(), &ResponsePolicy::default()),
            Some(berlin("2026-11-24 09:30"))
        );
        // Saturday night → Monday 10:00.
        assert_eq!(
            deadline(Disposition::UrgentSameDay, berlin("2026-11-21 23:00"), tz, &hours(), &ResponsePolicy::default()),
            Some(berlin("2026-11-23 10:00"))
        );
    }

    #[test]
    fn contact_is_next_business_day_close() {
        let tz = chrono_tz::Europe::Berlin;
        assert_eq!(
            deadline(Disposition::ContactClinic, berlin("2026-11-23 10:00"), tz, &hours(), &ResponsePolicy::default()),
            Some(berlin("2026-11-24 17:00"))
        );
        // Friday → Monday.
        assert_eq!(
            deadline(Disposition::ContactClinic, berlin("2026-11-27 16:00"), tz, &hours(), &ResponsePolicy::default()),
            Some(berlin("2026-11-30 17:00"))
        );
    }

    #[test]
    fn bad_hours_name_the_field() {
        let e = Hours::parse(&OpeningHours { days: vec![1, 8], opens: "09:00".into(), closes: "17:00".into() })
            .unwrap_err();
        assert_eq!(e.0, "opening_hours.days[1]");
        let e =
            Hours::parse(&OpeningHours { days: vec![1], opens: "18:00".into(), closes: "17:00".into() }).unwrap_err();
        assert_eq!(e.0, "opening_hours.closes");
        let e = Hours::parse(&OpeningHours { days: vec![1], opens: "9am".into(), closes: "17:00".into() }).unwrap_err();
        assert_eq!(e.0, "opening_hours.opens");
    }
}
