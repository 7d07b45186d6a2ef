//! The series of a stored plan, read the way core's rules (`pathway::next`) take it: the next
//! session's window and the series as it stands. When check-ins fall due and which one an answer
//! fills are core's (`pathway::check_ins`).

use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use needlepath_core::pathway::next::{self, Booked, PlanDates, Series};
use needlepath_store::{Appointment, AppointmentId, AppointmentStatus, Plan, Session};

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
        .filter(|a| a.status == AppointmentStatus::Booked && a.starts_at > now)
        .map(|a| Booked { id: a.id, starts: a.starts_at.with_timezone(&tz).naive_local() })
        .collect();
    Some(next::series(&dates, &done, &booked, now.with_timezone(&tz).date_naive()))
}
