//! The safety floor, end to end: a protocol that loads is then used to decide, and its decisions
//! must keep the floor. Any bytes, read as text, are loaded on their own and as a clinic protocol
//! over the built-in one; a protocol that loads is asked to triage, screen, answer can-I, plan
//! and lay out the aftercare, and
//!
//! - no decision panics;
//! - every check-in naming a symptom of the hard floor (`HARD_FLOOR`) is at least as urgent as
//!   its floor, and every screening with a finding of the hard screening floor at least as
//!   strict;
//! - a clinic protocol (loaded over the built-in one) is never less safe than the built-in one on
//!   the same question: triage at least as urgent, screening at least as strict, can-I never
//!   freer.
//!
//! The questions asked are every symptom, finding and activity once, then a few dozen picked by
//! a generator seeded from the input, so a crash always reproduces from its file.

#![no_main]

use std::sync::OnceLock;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use needlepath_core::Protocol;
use needlepath_core::protocol::{FindingSet, HARD_FLOOR, HARD_SCREENING_FLOOR};
use needlepath_core::request::{
    CanIRequest, CheckIn, FindingEntry, PlanRequest, Report, ScreeningRequest, SessionFacts,
};
use needlepath_core::timeline::{AftercareRequest, Zone};
use needlepath_core::vocabulary::{Activity, Concern, Finding, ScarType, Severity, Symptom, Trend};
use needlepath_core::{can_i, plan, screening, timeline, triage};

fn builtin() -> &'static Protocol {
    static BASE: OnceLock<Protocol> = OnceLock::new();
    BASE.get_or_init(|| Protocol::builtin().expect("the built-in protocol loads"))
}

/// A small deterministic generator (SplitMix64), seeded from the input.
struct Pick(u64);

impl Pick {
    fn seeded(data: &[u8]) -> Self {
        // FNV-1a over the input.
        Self(data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn of<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn maybe<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if self.next().is_multiple_of(3) { None } else { Some(self.of(items)) }
    }
}

const HOURS: &[f64] = &[
    0.0, 2.0, 6.0, 12.0, 23.9, 24.0, 36.0, 47.9, 48.0, 60.0, 72.0, 96.0, 120.0, 168.0, 336.0, 720.0, 2000.0, 87_600.0,
];
const TEMPERATURES: &[f64] = &[36.5, 37.5, 37.9, 38.0, 38.3, 39.5, 41.0];

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).expect("a real date")
}

fn check_in(pick: &mut Pick, first: Option<Symptom>) -> CheckIn {
    let mut symptoms = Vec::new();
    if let Some(s) = first {
        symptoms.push(Report { symptom: s, severity: pick.maybe(Severity::ALL), trend: pick.maybe(Trend::ALL) });
    }
    for _ in 0..pick.next() % 4 {
        symptoms.push(Report {
            symptom: pick.of(Symptom::ALL),
            severity: pick.maybe(Severity::ALL),
            trend: pick.maybe(Trend::ALL),
        });
    }
    let mut findings = FindingSet::default();
    for _ in 0..pick.next() % 3 {
        findings.insert(pick.of(Finding::ALL));
    }
    CheckIn {
        hours_since_treatment: pick.of(HOURS),
        symptoms,
        temperature_c: pick.maybe(TEMPERATURES),
        findings,
        fitzpatrick: pick.maybe(&[1, 2, 3, 4, 5, 6]),
        session: pick.maybe(&[
            SessionFacts { numbing: true, depth_mm: Some(2.5) },
            SessionFacts { numbing: false, depth_mm: Some(0.5) },
            SessionFacts { numbing: true, depth_mm: None },
        ]),
    }
}

fn screening_request(pick: &mut Pick, first: Option<Finding>) -> ScreeningRequest {
    let day = |pick: &mut Pick| -> Option<NaiveDate> {
        let back = pick.maybe(&[0_u64, 3, 10, 30, 90, 200, 400, 800])?;
        as_of().checked_sub_days(Days::new(back))
    };
    let mut findings = Vec::new();
    if let Some(f) = first {
        findings.push(FindingEntry { finding: f, last: None });
    }
    for _ in 0..pick.next() % 3 {
        let finding = pick.of(Finding::ALL);
        let last = day(pick);
        findings.push(FindingEntry { finding, last });
    }
    ScreeningRequest {
        concern: pick.of(Concern::ALL),
        scar_type: pick.maybe(ScarType::ALL),
        scar_grade: pick.maybe(&[1, 2, 3, 4]),
        fitzpatrick: pick.maybe(&[1, 2, 3, 4, 5, 6]),
        age_years: pick.maybe(&[0, 15, 17, 18, 40, 130]),
        as_of: as_of(),
        findings,
    }
}

fn least_urgent(s: Symptom) -> Option<needlepath_core::vocabulary::Disposition> {
    HARD_FLOOR.iter().find(|(x, _)| *x == s).map(|(_, d)| *d)
}

fn least_strict(f: Finding) -> Option<needlepath_core::vocabulary::Decision> {
    HARD_SCREENING_FLOOR.iter().find(|(x, _)| *x == f).map(|(_, d)| *d)
}

/// Every question to `p`; `base` is the protocol it may not be less safe than.
fn decide(p: &Protocol, base: Option<&Protocol>, pick: &mut Pick) {
    // Triage: each symptom once, then random check-ins.
    let firsts = Symptom::ALL.iter().copied().map(Some).chain(std::iter::repeat_n(None, 24));
    for first in firsts {
        let c = check_in(pick, first);
        let r = triage::triage(p, &c);
        for report in &c.symptoms {
            if let Some(least) = least_urgent(report.symptom) {
                assert!(
                    r.disposition >= least,
                    "{:?} triaged {:?}, below its floor {least:?}",
                    report.symptom,
                    r.disposition
                );
            }
        }
        if let Some(base) = base {
            let b = triage::triage(base, &c);
            assert!(
                r.disposition >= b.disposition,
                "the clinic protocol triages {c:?} as {:?}, the built-in one as {:?}",
                r.disposition,
                b.disposition
            );
        }
    }
    // Screening: each finding once (ongoing), then random requests.
    let firsts = Finding::ALL.iter().copied().map(Some).chain(std::iter::repeat_n(None, 16));
    for first in firsts {
        let req = screening_request(pick, first);
        let r = screening::screen(p, &req);
        for f in &req.findings {
            if f.last.is_none()
                && let Some(least) = least_strict(f.finding)
            {
                assert!(r.decision >= least, "{:?} screened {:?}, below its floor {least:?}", f.finding, r.decision);
            }
        }
        if let Some(base) = base {
            let b = screening::screen(base, &req);
            assert!(
                r.decision >= b.decision,
                "the clinic protocol screens {req:?} as {:?}, the built-in one as {:?}",
                r.decision,
                b.decision
            );
        }
    }
    // Can-I: every activity at a few hours.
    for &activity in Activity::ALL {
        for _ in 0..3 {
            let req = CanIRequest { activity, hours_since_treatment: pick.of(HOURS) };
            let r = can_i::can_i(p, &req);
            if let Some(base) = base {
                let b = can_i::can_i(base, &req);
                assert!(
                    r.answer <= b.answer,
                    "the clinic protocol answers {req:?} {:?}, the built-in one {:?}",
                    r.answer,
                    b.answer
                );
            }
        }
    }
    // A plan and an aftercare timeline: they must not panic.
    for _ in 0..4 {
        let req = PlanRequest {
            concern: pick.of(Concern::ALL),
            scar_grade: pick.maybe(&[1, 2, 3, 4]),
            fitzpatrick: pick.maybe(&[1, 2, 3, 4, 5, 6]),
            start: as_of(),
            interval_weeks: pick.maybe(&[1, 4, 6, 26]),
            sessions: pick.maybe(&[1, 3, 20]),
            findings: screening_request(pick, None).findings,
            price_per_session: pick.maybe(&[0.0, 150.0, 1e9]),
            currency: pick.maybe(&["EUR"]).map(str::to_string),
        };
        let _ = plan::plan(p, &req);
        let treated_at: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).single().expect("a real time");
        let zone =
            Zone::parse(pick.of(&["Europe/Berlin", "America/New_York", "Pacific/Chatham", "UTC"])).expect("a zone");
        let mut findings = FindingSet::default();
        findings.insert(pick.of(Finding::ALL));
        let _ = timeline::timeline(
            p,
            &AftercareRequest {
                treated_at,
                zone,
                findings,
                session_number: pick.of(&[1, 2, 20]),
                check_in_days: pick.maybe(&[1, 3, 7, 21]).map(|d| vec![d]),
            },
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(p) = Protocol::parse(&text, None) {
        decide(&p, None, &mut Pick::seeded(data));
    }
    let base = builtin();
    if let Ok(p) = Protocol::parse(&text, Some(base)) {
        decide(&p, Some(base), &mut Pick::seeded(data));
    }
});
