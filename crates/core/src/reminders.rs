//! What to remind a patient of, and when: the messages a session's timeline turns into.
//!
//! The timeline ([`crate::timeline`]) says when each step applies; a reminder is the message
//! about it, and two more rules decide when that message goes out:
//!
//! - **Quiet hours** (21:00–08:00 local by default): nothing is sent at night. A reminder that
//!   announces something still to come (a pre-care step, the appointment) moves *earlier*, to an
//!   hour before quiet hours begin the evening before, because arriving after the thing it
//!   announces would be useless. Any other reminder (a restriction that has ended, a check-in, a
//!   window that has opened) moves *later*, to the end of quiet hours: it stays true.
//! - **Grouping**: steps that fall due at the same moment go out as one message (at 24 hours
//!   several restrictions end together), so a patient gets a few useful messages, not a stream.
//!
//! Every reminder carries a key that is stable for its source (an appointment or a session), so
//! re-planning replaces exactly what it scheduled before and a resend carries the same key.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use serde::Serialize;

use crate::protocol::Protocol;
use crate::timeline::{AftercareRequest, Kind, Zone, timeline};

const NEXT_WINDOW_MESSAGE: &str = "Your next session can take place from today, once your skin has fully settled and a clinician agrees. Contact your clinic to book.";

/// The local hours in which nothing is sent. `start == end` means none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Default for QuietHours {
    fn default() -> Self {
        Self {
            start: NaiveTime::from_hms_opt(21, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

impl QuietHours {
    /// Parses `"21:00-08:00"` (start–end, local time; may cross midnight) or `"none"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("none") {
            return Ok(Self { start: NaiveTime::MIN, end: NaiveTime::MIN });
        }
        let bad = || format!("quiet hours '{text}' are not like 21:00-08:00 (start-end, 24-hour local time) or none");
        let (a, b) = text.split_once('-').ok_or_else(bad)?;
        let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| bad());
        Ok(Self { start: time(a)?, end: time(b)? })
    }

    pub fn is_none(&self) -> bool {
        self.start == self.end
    }

    /// Whether a local clock time is inside quiet hours (start inclusive, end exclusive).
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end { self.start <= t && t < self.end } else { t >= self.start || t < self.end }
    }

    /// The local date on which the quiet stretch containing `t` began.
    fn began_on(&self, t: NaiveDateTime) -> NaiveDate {
        let date = t.date();
        if self.start > self.end && t.time() < self.end { date.pred_opt().unwrap_or(date) } else { date }
    }

    /// `t`, or the end of the quiet hours it falls in.
    pub fn later(&self, zone: Zone, t: DateTime<Utc>) -> DateTime<Utc> {
        let local = zone.local(t).naive_local();
        if self.is_none() || !self.contains(local.time()) {
            return t;
        }
        let began = self.began_on(local);
        let end_date =
            if self.start > self.end { began.checked_add_days(Days::new(1)).unwrap_or(began) } else { began };
        zone.instant(end_date.and_time(self.end)).max(t)
    }

    /// `t`, or an hour before the quiet hours it falls in began.
    pub fn earlier(&self, zone: Zone, t: DateTime<Utc>) -> DateTime<Utc> {
        let local = zone.local(t).naive_local();
        if self.is_none() || !self.contains(local.time()) {
            return t;
        }
        let began = self.began_on(local);
        zone.instant(began.and_time(self.start) - TimeDelta::hours(1)).min(t)
    }
}

impl std::fmt::Display for QuietHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_none() {
            return f.write_str("none");
        }
        write!(f, "{}-{}", self.start.format("%H:%M"), self.end.format("%H:%M"))
    }
}

/// What a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// Steps to take before a session ("stop retinoids from today").
    PreCare,
    /// The appointment itself, the day before, with the steps for the day.
    Appointment,
    /// Restrictions that have ended and milestones of healing.
    Aftercare,
    /// A scheduled check-in is due.
    CheckIn,
    /// The next session may be booked from now.
    NextWindow,
    /// The outcome questionnaire is open (issue 15: after every second session, and 3 and 6
    /// months after the last).
    Outcome,
    /// A maintenance session may be considered (the protocol's `plan.maintenance`).
    Maintenance,
}

impl ReminderKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ReminderKind::PreCare => "pre_care",
            ReminderKind::Appointment => "appointment",
            ReminderKind::Aftercare => "aftercare",
            ReminderKind::CheckIn => "check_in",
            ReminderKind::NextWindow => "next_window",
            ReminderKind::Outcome => "outcome",
            ReminderKind::Maintenance => "maintenance",
        }
    }

    /// Whether the reminder announces something still to come (and so moves earlier, not
    /// later, out of quiet hours).
    pub const fn announces(self) -> bool {
        matches!(self, ReminderKind::PreCare | ReminderKind::Appointment)
    }
}

/// One step a reminder speaks of, with its sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReminderItem<'p> {
    pub code: &'p str,
    /// When the step applies (for the appointment: when it starts).
    pub at: DateTime<Utc>,
    pub message: &'p str,
    pub sources: &'p [String],
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reminder<'p> {
    /// Stable for its source: the same appointment or session always gives the same keys.
    pub key: String,
    pub kind: ReminderKind,
    /// When to send: the first item's moment, moved out of quiet hours.
    pub send_at: DateTime<Utc>,
    pub items: Vec<ReminderItem<'p>>,
}

/// The reminders before a booked session: pre-care steps, grouped by the day they start, and the
/// appointment the day before (with the steps that start that day or on the day itself).
pub fn before_session<'p>(p: &'p Protocol, req: &AftercareRequest, quiet: QuietHours) -> Vec<Reminder<'p>> {
    let t = timeline(p, req);
    let day_before = req.zone.instant(req.zone.local(req.treated_at).naive_local() - TimeDelta::days(1));
    let mut out: Vec<Reminder<'p>> = Vec::new();
    let mut same_day: Vec<ReminderItem<'p>> = Vec::new();
    let mut appointment = None;
    for e in &t.entries {
        let at = e.at.with_timezone(&Utc);
        let item = ReminderItem { code: e.code, at, message: e.message, sources: e.sources };
        match e.kind {
            // Same-day steps ("come without makeup") ride with the appointment reminder.
            Kind::PreCare if at >= day_before => same_day.push(item),
            Kind::PreCare => {
                let days = (req.treated_at - at).num_hours().div_euclid(24).max(1);
                push_grouped(&mut out, format!("pre_care:{days}d"), ReminderKind::PreCare, item);
            }
            Kind::Session => appointment = Some(item),
            _ => {}
        }
    }
    if let Some(session) = appointment {
        let mut items = vec![ReminderItem { at: session.at, ..session }];
        items.extend(same_day);
        out.push(Reminder { key: "appointment".into(), kind: ReminderKind::Appointment, send_at: day_before, items });
    }
    finish(out, req.zone, quiet)
}

/// The reminders after a recorded session: restrictions ending and milestones (grouped by
/// moment), each check-in, and — when a next session is planned — the opening of its window.
///
/// With a planned window the protocol's own `next_window_*` milestones are left out: the plan's
/// window (which may use a clinician's interval) replaces them.
pub fn after_session<'p>(
    p: &'p Protocol,
    req: &AftercareRequest,
    quiet: QuietHours,
    next_window: Option<(NaiveDate, NaiveDate)>,
) -> Vec<Reminder<'p>> {
    let t = timeline(p, req);
    let mut out: Vec<Reminder<'p>> = Vec::new();
    for e in &t.entries {
        let at = e.at.with_timezone(&Utc);
        let item = ReminderItem { code: e.code, at, message: e.message, sources: e.sources };
        match e.kind {
            Kind::Allowed | Kind::Unrestricted => {
                push_grouped(&mut out, format!("aftercare:{}h", e.hours.round()), ReminderKind::Aftercare, item);
            }
            Kind::Milestone if next_window.is_some() && e.code.starts_with("next_window") => {}
            Kind::Milestone => {
                push_grouped(&mut out, format!("aftercare:{}h", e.hours.round()), ReminderKind::Aftercare, item);
            }
            Kind::CheckIn => {
                let day = (e.date - t.treated_at.date_naive()).num_days();
                out.push(Reminder {
                    key: format!("check_in:{day}d"),
                    kind: ReminderKind::CheckIn,
                    send_at: at,
                    items: vec![item],
                });
            }
            Kind::PreCare | Kind::Session | Kind::Restriction => {}
        }
    }
    if let Some((opens, _)) = next_window {
        let local_time = req.zone.local(req.treated_at).time();
        let at = req.zone.instant(opens.and_time(local_time));
        out.push(Reminder {
            key: "next_window".into(),
            kind: ReminderKind::NextWindow,
            send_at: at,
            items: vec![ReminderItem {
                code: "next_window",
                at,
                message: NEXT_WINDOW_MESSAGE,
                sources: &p.plan.sources,
            }],
        });
    }
    finish(out, req.zone, quiet)
}

const OUTCOME_MESSAGE: &str = "How are your scars now? Three short questions tell your clinic how your treatment is going. Results build up over many months after the last session.";

/// Where a recorded session leaves its series, for the outcome reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesPoint<'a> {
    /// Sessions the plan gives.
    pub planned: u32,
    /// The days the series' sessions were done, this one included, session 1 first.
    pub done: &'a [NaiveDate],
}

/// The reminders a recorded session leads to beyond its own aftercare (issue 15): the outcome
/// questionnaire when the session just recorded opens one (every second session, two weeks on;
/// the last session: 3 and 6 months on), and after the last session the maintenance session
/// the protocol suggests (`plan.maintenance`, seed-only: yearly). Sent at the session's local
/// time of day, out of quiet hours; keys name the milestone, so a session recorded again
/// replaces them.
pub fn after_series<'p>(
    p: &'p Protocol,
    req: &AftercareRequest,
    quiet: QuietHours,
    series: SeriesPoint<'_>,
) -> Vec<Reminder<'p>> {
    use crate::outcomes::{Milestone, maintenance_day, milestones, questionnaire_day};
    let Some(this) = series.done.last() else { return Vec::new() };
    let number = u32::try_from(series.done.len()).unwrap_or(u32::MAX);
    let local_time = req.zone.local(req.treated_at).time();
    let at = |day: NaiveDate| req.zone.instant(day.and_time(local_time));
    let mut out = Vec::new();
    for m in milestones(series.planned) {
        let opened_by_this = match m {
            Milestone::Baseline => false,
            Milestone::AfterSession(n) => n == number,
            Milestone::MonthsAfter(_) => number == series.planned,
        };
        if !opened_by_this {
            continue;
        }
        let Some(day) = questionnaire_day(m, series.planned, series.done).filter(|d| d >= this) else { continue };
        let when = at(day);
        out.push(Reminder {
            key: format!("outcome:{}", m.code()),
            kind: ReminderKind::Outcome,
            send_at: when,
            items: vec![ReminderItem { code: "outcome", at: when, message: OUTCOME_MESSAGE, sources: &p.plan.sources }],
        });
    }
    if number == series.planned
        && let Some(day) = maintenance_day(series.planned, series.done, p.plan.maintenance.every_months)
    {
        let when = at(day);
        out.push(Reminder {
            key: "maintenance".into(),
            kind: ReminderKind::Maintenance,
            send_at: when,
            items: vec![ReminderItem {
                code: "maintenance",
                at: when,
                message: &p.plan.maintenance.message,
                sources: &p.plan.maintenance.sources,
            }],
        });
    }
    finish(out, req.zone, quiet)
}

fn push_grouped<'p>(out: &mut Vec<Reminder<'p>>, key: String, kind: ReminderKind, item: ReminderItem<'p>) {
    match out.iter_mut().find(|r| r.key == key) {
        Some(r) => r.items.push(item),
        None => out.push(Reminder { key, kind, send_at: item.at, items: vec![item] }),
    }
}

/// Moves each reminder out of quiet hours and orders them by when they go out.
fn finish(mut out: Vec<Reminder<'_>>, zone: Zone, quiet: QuietHours) -> Vec<Reminder<'_>> {
    for r in &mut out {
        r.send_at = if r.kind.announces() { quiet.earlier(zone, r.send_at) } else { quiet.later(zone, r.send_at) };
    }
    out.sort_by(|a, b| a.send_at.cmp(&b.send_at).then(a.kind.cmp(&b.kind)).then(a.key.cmp(&b.key)));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::{NaiveDate, TimeZone, Timelike};

    use super::*;
    use crate::protocol::FindingSet;

    fn protocol() -> Protocol {
        Protocol::builtin().unwrap()
    }

    fn request(zone: &str, local: (i32, u32, u32, u32, u32)) -> AftercareRequest {
        let zone = Zone::parse(zone).unwrap();
        let (y, m, d, h, min) = local;
        let naive = NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap();
        AftercareRequest {
            treated_at: zone.instant(naive),
            zone,
            findings: FindingSet::default(),
            session_number: 1,
            check_in_days: None,
        }
    }

    fn local(r: &AftercareRequest, t: DateTime<Utc>) -> String {
        r.zone.local(t).format("%m-%d %H:%M").to_string()
    }

    #[test]
    fn the_last_session_schedules_the_follow_up_questionnaires_and_the_yearly_maintenance() {
        let p = protocol();
        let req = request("Europe/London", (2027, 4, 1, 10, 0));
        let done = [
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2027, 2, 1).unwrap(),
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2027, 4, 1).unwrap(),
        ];
        let r = after_series(&p, &req, QuietHours::default(), SeriesPoint { planned: 4, done: &done });
        let keys: Vec<(&str, String)> = r.iter().map(|r| (r.key.as_str(), local(&req, r.send_at))).collect();
        assert_eq!(
            keys,
            vec![
                ("outcome:after_session_4", "04-15 10:00".to_string()),
                ("outcome:months_3", "07-01 10:00".to_string()),
                ("outcome:months_6", "10-01 10:00".to_string()),
                ("maintenance", "04-01 10:00".to_string()),
            ]
        );
        assert!(r.iter().all(|r| r.items.iter().all(|i| !i.sources.is_empty())), "every message cites its sources");
        // Session 3 of 4 opens nothing; session 2 opens its questionnaire only.
        let r = after_series(&p, &req, QuietHours::default(), SeriesPoint { planned: 4, done: &done[..3] });
        assert!(r.is_empty());
        let r = after_series(&p, &req, QuietHours::default(), SeriesPoint { planned: 4, done: &done[..2] });
        assert_eq!(r.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), vec!["outcome:after_session_2"]);
    }

    #[test]
    fn quiet_hours_parse_and_print() {
        assert_eq!(QuietHours::parse("21:00-08:00").unwrap(), QuietHours::default());
        assert_eq!(QuietHours::parse(" 22:30 - 07:15 ").unwrap().to_string(), "22:30-07:15");
        assert!(QuietHours::parse("none").unwrap().is_none());
        let err = QuietHours::parse("9pm-8am").unwrap_err();
        assert!(err.contains("21:00-08:00"), "{err}");
    }

    #[test]
    fn quiet_hours_move_later_to_the_morning_and_earlier_to_the_evening_before() {
        let q = QuietHours::default();
        let zone = Zone::parse("Europe/Berlin").unwrap();
        let at = |d, h, m| zone.instant(NaiveDate::from_ymd_opt(2026, 3, d).unwrap().and_hms_opt(h, m, 0).unwrap());
        let show = |t: DateTime<Utc>| zone.local(t).format("%d %H:%M").to_string();
        assert_eq!(show(q.later(zone, at(10, 23, 0))), "11 08:00");
        assert_eq!(show(q.later(zone, at(10, 3, 0))), "10 08:00");
        assert_eq!(show(q.later(zone, at(10, 12, 0))), "10 12:00");
        assert_eq!(show(q.earlier(zone, at(10, 23, 0))), "10 20:00");
        assert_eq!(show(q.earlier(zone, at(10, 7, 30))), "09 20:00");
        assert_eq!(show(q.earlier(zone, at(10, 8, 0))), "10 08:00");
    }

    #[test]
    fn a_quiet_stretch_within_one_day_is_kept_too() {
        let q = QuietHours::parse("12:00-14:00").unwrap();
        let zone = Zone::parse("UTC").unwrap();
        let t = Utc.with_ymd_and_hms(2026, 5, 1, 13, 0, 0).unwrap();
        assert_eq!(q.later(zone, t).hour(), 14);
        assert_eq!(q.earlier(zone, t).hour(), 11);
    }

    #[test]
    fn before_a_session_pre_care_is_grouped_by_day_and_the_appointment_comes_the_day_before() {
        let p = protocol();
        let r = request("Europe/Berlin", (2026, 6, 20, 10, 0));
        let out = before_session(&p, &r, QuietHours::default());
        let keys: Vec<(&str, String)> = out.iter().map(|m| (m.key.as_str(), local(&r, m.send_at))).collect();
        assert_eq!(
            keys,
            [
                ("pre_care:14d", "06-06 10:00".to_string()),
                ("pre_care:7d", "06-13 10:00".to_string()),
                ("pre_care:3d", "06-17 10:00".to_string()),
                ("appointment", "06-19 10:00".to_string()),
            ]
        );
        let appointment = out.iter().find(|m| m.key == "appointment").unwrap();
        assert_eq!(appointment.items[0].code, "session");
        // Steps of the day before and the day itself ride with the appointment reminder.
        assert!(appointment.items.iter().any(|i| i.code == "arrive_without_makeup"));
        assert!(appointment.items.iter().any(|i| i.code == "no_vitamin_c_before"));
        assert!(out.iter().all(|m| m.items.iter().all(|i| !i.sources.is_empty())));
    }

    #[test]
    fn an_early_appointment_is_announced_the_evening_before_not_at_night() {
        let p = protocol();
        let r = request("America/New_York", (2026, 6, 20, 7, 30));
        let out = before_session(&p, &r, QuietHours::default());
        let appointment = out.iter().find(|m| m.key == "appointment").unwrap();
        assert_eq!(local(&r, appointment.send_at), "06-18 20:00");
        assert!(appointment.send_at < r.treated_at);
    }

    #[test]
    fn after_a_session_check_ins_keep_the_session_clock_time_across_the_autumn_change() {
        let p = protocol();
        for zone in ["America/New_York", "Europe/Berlin"] {
            // The day before the clocks go back: New York 2026-11-01, Berlin 2026-10-25.
            let day = if zone == "America/New_York" { (2026, 10, 31, 10, 0) } else { (2026, 10, 24, 10, 0) };
            let r = request(zone, day);
            let out = after_session(&p, &r, QuietHours::default(), None);
            let check_ins: Vec<_> = out.iter().filter(|m| m.kind == ReminderKind::CheckIn).collect();
            assert_eq!(check_ins.len(), 4, "{zone}");
            for m in check_ins {
                assert_eq!(r.zone.local(m.send_at).format("%H:%M").to_string(), "10:00", "{zone} {}", m.key);
            }
        }
    }

    #[test]
    fn nothing_is_sent_in_quiet_hours() {
        let p = protocol();
        let q = QuietHours::default();
        for (zone, hour) in [("Europe/Berlin", 19), ("Asia/Tokyo", 7), ("America/New_York", 20)] {
            let r = request(zone, (2026, 3, 7, hour, 45));
            let mut all = before_session(&p, &r, q);
            all.extend(after_session(
                &p,
                &r,
                q,
                Some((NaiveDate::from_ymd_opt(2026, 4, 4).unwrap(), NaiveDate::from_ymd_opt(2026, 4, 18).unwrap())),
            ));
            for m in &all {
                assert!(!q.contains(r.zone.local(m.send_at).time()), "{zone} {} at {}", m.key, local(&r, m.send_at));
            }
        }
    }

    #[test]
    fn a_planned_window_replaces_the_protocols_window_milestones() {
        let p = protocol();
        let r = request("Europe/Berlin", (2026, 6, 20, 10, 0));
        let window = (NaiveDate::from_ymd_opt(2026, 7, 25).unwrap(), NaiveDate::from_ymd_opt(2026, 8, 8).unwrap());
        let planned = after_session(&p, &r, QuietHours::default(), Some(window));
        let next = planned.iter().find(|m| m.kind == ReminderKind::NextWindow).unwrap();
        assert_eq!(local(&r, next.send_at), "07-25 10:00");
        assert!(planned.iter().all(|m| m.items.iter().all(|i| !i.code.starts_with("next_window_"))));
        let unplanned = after_session(&p, &r, QuietHours::default(), None);
        assert!(unplanned.iter().any(|m| m.items.iter().any(|i| i.code == "next_window_opens")));
    }

    #[test]
    fn keys_are_unique_and_stable() {
        let p = protocol();
        let r = request("Europe/Berlin", (2026, 6, 20, 10, 0));
        let a = after_session(&p, &r, QuietHours::default(), None);
        let b = after_session(&p, &r, QuietHours::default(), None);
        assert_eq!(a, b);
        let mut keys: Vec<&str> = a.iter().map(|m| m.key.as_str()).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }
}
