//! When check-ins fall due after a session, which one a submission answers, and when the next
//! session may be.

use chrono::NaiveDate;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use needlepath_core::pathway::next::{self, Booked, PlanDates, Series};
use needlepath_store::{Appointment, AppointmentId, CheckIn, CheckInId, Plan, Session, SessionId};

/// Day `n` after the session, at the same local clock time as the session (so a 10:00 session
/// has its day-7 check-in at 10:00 local even across a daylight-saving change).
pub fn check_in_times(performed_at: DateTime<Utc>, tz: Tz, days: &[u32]) -> Vec<(u32, DateTime<Utc>)> {
    let local = performed_at.with_timezone(&tz).naive_local();
    let mut out: Vec<(u32, DateTime<Utc>)> = days
        .iter()
        .filter_map(|&d| {
            let target: NaiveDateTime = local.checked_add_signed(Duration::days(i64::from(d)))?;
            // Core's one daylight-saving policy for a local time (`Zone::instant`).
            Some((d, needlepath_core::timeline::Zone::Named(tz).instant(target)))
        })
        .collect();
    out.sort_by_key(|(d, _)| *d);
    out.dedup_by_key(|(d, _)| *d);
    out
}

/// The next session's window: from the last session and the plan's interval when there was a
/// session, else the plan's first session. `None` when the series is complete or unplanned.
/// The rule is core's (`pathway::next`), the one every page and the calendar read.
pub fn next_window(plan: &Plan, sessions_had: usize, last: Option<NaiveDate>) -> Option<(NaiveDate, NaiveDate)> {
    let dates = PlanDates::from_result(&plan.result)?;
    next::next_window(&dates, sessions_had, last).map(|(_, w)| (w.earliest, w.latest))
}

/// The series of `plan` as it stands: sessions done on their days, the next window and the
/// appointment booked for it (core's `pathway::next::series`, fed from the records in the
/// patient's zone). `None` when the stored plan has no dates.
pub fn series_of(
    plan: &Plan,
    sessions: &[Session],
    appointments: &[Appointment],
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<Series<AppointmentId>> {
    let dates = PlanDates::from_result(&plan.result)?;
    let done: Vec<NaiveDate> = sessions.iter().map(|s| s.performed_at.with_timezone(&tz).date_naive()).collect();
    let booked: Vec<Booked<AppointmentId>> = appointments
        .iter()
        .filter(|a| a.status == "booked" && a.starts_at > now)
        .map(|a| Booked { id: a.id, starts: a.starts_at.with_timezone(&tz).naive_local() })
        .collect();
    Some(next::series(&dates, &done, &booked, now.with_timezone(&tz).date_naive()))
}

/// The open scheduled check-in of `session` that a submission at `now` answers: the latest one
/// already due (or due within the next 12 hours).
pub fn pick_scheduled(check_ins: &[CheckIn], session: SessionId, now: DateTime<Utc>) -> Option<CheckInId> {
    check_ins
        .iter()
        .filter(|c| c.session == Some(session) && c.submitted_at.is_none())
        .filter_map(|c| c.due_at.map(|d| (d, c.id)))
        .filter(|(d, _)| *d <= now + Duration::hours(12))
        .max_by_key(|(d, _)| *d)
        .map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

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
}
