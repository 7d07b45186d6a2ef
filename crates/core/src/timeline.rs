//! The dated pre-care and aftercare timeline of one session, in the patient's time zone.
//!
//! Two kinds of time meet here. Healing runs on the clock: "makeup from 24 hours" means 24 real
//! hours after the session, across a daylight-saving change too. People run on the calendar:
//! "check in on day 3" and "stop retinoids 7 days before" mean local days, at the same local time.
//! So restrictions and milestones are instants (session + hours), shown in local time, while
//! check-ins, pre-care and the next session's window are local dates.

use chrono::{DateTime, Days, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::protocol::{FindingSet, Protocol, ProtocolIdentity};
use crate::vocabulary::{Activity, Answer};

/// A time zone: an IANA zone (daylight-saving aware) or a fixed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Named(Tz),
    Fixed(FixedOffset),
}

impl Zone {
    /// Parses an IANA zone name such as `Europe/Berlin`, or `UTC`.
    pub fn parse(name: &str) -> Result<Self, String> {
        name.parse::<Tz>().map(Zone::Named).map_err(|_| {
            format!("unknown time zone '{name}'; use an IANA zone name such as Europe/Berlin or America/New_York")
        })
    }

    pub fn name(&self) -> String {
        match self {
            Zone::Named(tz) => tz.name().to_owned(),
            Zone::Fixed(o) => o.to_string(),
        }
    }

    /// An instant as local time, with the offset in force then.
    pub fn local(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        match self {
            Zone::Named(tz) => t.with_timezone(tz).fixed_offset(),
            Zone::Fixed(o) => t.with_timezone(o),
        }
    }

    /// A local wall-clock time as an instant. In a daylight-saving gap the time moves forward by
    /// the gap (02:30 on a spring-forward night becomes 03:30); in an overlap the first is taken.
    pub fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let resolve = |r: LocalResult<DateTime<Utc>>| r.earliest();
        let at = |n: NaiveDateTime| match self {
            Zone::Named(tz) => resolve(tz.from_local_datetime(&n).map(|d| d.with_timezone(&Utc))),
            Zone::Fixed(o) => resolve(o.from_local_datetime(&n).map(|d| d.with_timezone(&Utc))),
        };
        at(local)
            .or_else(|| at(local + TimeDelta::hours(1)))
            .or_else(|| at(local + TimeDelta::hours(2)))
            .unwrap_or_else(|| local.and_utc())
    }
}

/// One session to build a timeline for.
#[derive(Debug, Clone)]
pub struct AftercareRequest {
    pub treated_at: DateTime<Utc>,
    pub zone: Zone,
    /// Background findings: they switch on conditional pre-care (antiviral prophylaxis, …).
    pub findings: FindingSet,
    /// Which session of the series this is (1-based): some pre-care comes only before the first.
    pub session_number: u32,
    /// The days after the session on which this patient is asked to check in, as the service
    /// scheduled them (`pathway::next::check_in_days`: the clinic's days, week 3 for darker skin,
    /// the day before the next window); `None` = the protocol's `aftercare.check_in_days`. The
    /// reminders and the scheduled check-ins must follow one list.
    pub check_in_days: Option<Vec<u32>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Timeline<'p> {
    pub treated_at: DateTime<FixedOffset>,
    pub time_zone: String,
    pub entries: Vec<Entry<'p>>,
    pub protocol: ProtocolIdentity<'p>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    PreCare,
    Session,
    Restriction,
    Allowed,
    Unrestricted,
    Milestone,
    CheckIn,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Entry<'p> {
    /// Local time with its offset.
    pub at: DateTime<FixedOffset>,
    /// Local calendar date of `at`.
    pub date: NaiveDate,
    /// Hours from the session (negative before it).
    #[serde(serialize_with = "crate::hours::serialize")]
    pub hours: f64,
    pub kind: Kind,
    pub code: &'p str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<Answer>,
    pub message: &'p str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub conditions: &'p [String],
    pub sources: &'p [String],
}

const CHECK_IN_CODES: [&str; 8] =
    ["check_in_1", "check_in_2", "check_in_3", "check_in_4", "check_in_5", "check_in_6", "check_in_7", "check_in_8"];
const CHECK_IN_MESSAGE: &str =
    "Check in: tell the clinic how your skin is doing (a few questions, with an answer straight away).";
const SESSION_MESSAGE: &str = "Your microneedling session.";

pub fn timeline<'p>(p: &'p Protocol, req: &AftercareRequest) -> Timeline<'p> {
    let t0 = req.treated_at;
    let local0 = req.zone.local(t0);
    let hours_of = |t: DateTime<Utc>| (t - t0).num_seconds() as f64 / 3600.0;
    let on_day = |days: i64| {
        let naive = local0.naive_local();
        let shifted = if days >= 0 {
            naive.checked_add_days(Days::new(days.unsigned_abs()))
        } else {
            naive.checked_sub_days(Days::new(days.unsigned_abs()))
        };
        req.zone.instant(shifted.unwrap_or(naive))
    };
    let entry = |t: DateTime<Utc>, kind, code, answer, message, conditions, sources| {
        let at = req.zone.local(t);
        Entry {
            at,
            date: at.date_naive(),
            hours: round2(hours_of(t)),
            kind,
            code,
            answer,
            message,
            conditions,
            sources,
        }
    };

    let mut entries: Vec<Entry<'p>> = Vec::with_capacity(64);
    for step in p.plan.pre_care.iter().filter(|s| s.applies(req.session_number, req.findings)) {
        let t = on_day(-i64::from(step.days_before));
        entries.push(entry(t, Kind::PreCare, &step.code, None, &step.message, &[], &step.sources));
    }
    entries.push(entry(t0, Kind::Session, "session", None, SESSION_MESSAGE, &[], &p.plan.sources));

    for a in Activity::ALL {
        let rule = p.activity(*a);
        for (i, ph) in rule.phases.iter().enumerate() {
            let kind = match (i, ph.answer) {
                (0, Answer::Yes) => continue,
                (_, Answer::No) => Kind::Restriction,
                (_, Answer::YesWithConditions) => Kind::Allowed,
                (_, Answer::Yes) => Kind::Unrestricted,
            };
            let sources = if ph.sources.is_empty() { &rule.sources } else { &ph.sources };
            let t = t0 + TimeDelta::seconds((ph.from_hours * 3600.0).round() as i64);
            entries.push(entry(t, kind, a.as_str(), Some(ph.answer), &ph.message, &ph.conditions, sources));
        }
    }
    for m in p.aftercare.milestones.iter().filter(|m| m.applies(req.findings)) {
        let t = t0 + TimeDelta::seconds((m.hours * 3600.0).round() as i64);
        entries.push(entry(t, Kind::Milestone, &m.code, None, &m.message, &[], &m.sources));
    }
    for (i, day) in req.check_in_days.as_deref().unwrap_or(&p.aftercare.check_in_days).iter().enumerate() {
        let code = CHECK_IN_CODES.get(i).copied().unwrap_or("check_in");
        entries.push(entry(
            on_day(i64::from(*day)),
            Kind::CheckIn,
            code,
            None,
            CHECK_IN_MESSAGE,
            &[],
            &p.aftercare.check_in_sources,
        ));
    }
    entries.sort_by(|a, b| a.at.cmp(&b.at).then(a.kind.cmp(&b.kind)));
    Timeline { treated_at: local0, time_zone: req.zone.name(), entries, protocol: p.identity() }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::Finding;

    fn codes(findings: FindingSet) -> Vec<String> {
        let p = Protocol::builtin().unwrap_or_else(|e| panic!("{e}"));
        let req = AftercareRequest {
            treated_at: Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).single().unwrap_or_default(),
            zone: Zone::Fixed(FixedOffset::east_opt(0).unwrap_or_else(|| panic!("offset"))),
            findings,
            session_number: 2,
            check_in_days: None,
        };
        timeline(&p, &req).entries.iter().map(|e| e.code.to_owned()).collect()
    }

    /// Issue 12 item 9 (research notes section 1b, 5): with a cold-sore history the antiviral is
    /// kept up after the session as prescribed; nobody else is told about it.
    #[test]
    fn a_cold_sore_history_keeps_the_antiviral_going_after_the_session() {
        let mut history = FindingSet::default();
        history.insert(Finding::ColdSoreHistory);
        let with = codes(history);
        assert!(with.iter().any(|c| c == "keep_taking_antiviral"), "{with:?}");
        assert!(with.iter().any(|c| c == "antiviral_prophylaxis"), "the pre-care step stays: {with:?}");
        let without = codes(FindingSet::default());
        assert!(!without.iter().any(|c| c == "keep_taking_antiviral"), "{without:?}");
    }
}
