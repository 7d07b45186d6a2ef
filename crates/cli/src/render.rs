//! The answers as a person reads them: the decision first, then each reason with its sources.
//!
//! An emergency answer opens with the instruction to call emergency services, before anything
//! else, on its own line.

use std::fmt::Write;

use needlepath_core::Protocol;
use needlepath_core::can_i::CanIResult;
use needlepath_core::plan::PlanResult;
use needlepath_core::protocol::{Base, When};
use needlepath_core::screening::ScreeningResult;
use needlepath_core::timeline::{Kind, Timeline};
use needlepath_core::triage::TriageResult;
use needlepath_core::vocabulary::{Answer, Decision, Disposition};

fn sources(s: &[String]) -> String {
    format!("Sources: {}", s.join("; "))
}

fn hours(h: f64) -> String {
    if h.fract() == 0.0 { format!("{h:.0} h") } else { format!("{h} h") }
}

fn upper(s: &str) -> String {
    s.replace('_', " ").to_uppercase()
}

pub fn screening(p: &Protocol, r: &ScreeningResult<'_>) -> String {
    let mut o = String::new();
    let decision = match (r.decision, r.defer_until) {
        (Decision::Defer, Some(d)) => format!("DEFER until {d}"),
        (Decision::Defer, None) => "DEFER until the condition below has resolved".to_owned(),
        (d, _) => upper(d.as_str()),
    };
    let _ = writeln!(o, "Decision: {decision}");
    let _ = writeln!(
        o,
        "Clinician review before treatment: {}",
        if r.clinician_review_required { "REQUIRED" } else { "not required" }
    );
    let _ = writeln!(o, "Screening for {} by protocol {} {}", r.as_of, p.id, p.version);
    if r.reasons.is_empty() {
        let _ = writeln!(o, "\nNo finding in this screening stands in the way of treatment.");
    } else {
        let _ = writeln!(o, "\nReasons:");
        for reason in &r.reasons {
            let mut when = String::new();
            if let Some(l) = reason.last {
                let _ = write!(when, " (last {l}");
                if let Some(u) = reason.until {
                    let _ = write!(when, ", until {u}");
                }
                when.push(')');
            }
            let review = if reason.clinician_review { ", clinician review" } else { "" };
            let _ = writeln!(o, "  - [{}{review}] {}{when}: {}", reason.effect, reason.code, reason.message);
            let _ = writeln!(o, "    {}", sources(reason.sources));
        }
    }
    if !r.precautions.is_empty() {
        let _ = writeln!(o, "\nPrecautions:");
        for pc in &r.precautions {
            let _ = writeln!(o, "  - {}: {}", pc.code, pc.message);
            let _ = writeln!(o, "    {}", sources(&pc.sources));
        }
    }
    o
}

pub fn triage(r: &TriageResult<'_>) -> String {
    let mut o = String::new();
    if r.disposition == Disposition::Emergency {
        let _ = writeln!(o, "CALL EMERGENCY SERVICES NOW.");
    }
    let _ = writeln!(
        o,
        "Disposition: {} ({} after the session)",
        upper(r.disposition.as_str()),
        hours(r.hours_since_treatment)
    );
    // The decision first, then "call emergency services if …", then the headline.
    if let Some(c) = r.emergency_if {
        let _ = writeln!(o, "{}", c.message);
        for pt in &c.points {
            let _ = writeln!(o, "  * {pt}");
        }
    }
    if let Some(first) = r.advice.first() {
        let _ = writeln!(o, "{}", first.message);
        for pt in &first.points {
            let _ = writeln!(o, "  * {pt}");
        }
    }
    if r.assessments.is_empty() {
        let _ = writeln!(o, "\nNo symptoms reported.");
    } else {
        let _ = writeln!(o, "\nAssessments (most urgent first):");
        for a in &r.assessments {
            let status = match a.status {
                needlepath_core::vocabulary::Status::Expected => "expected",
                needlepath_core::vocabulary::Status::OutsideExpectedCourse => "outside the expected course",
                needlepath_core::vocabulary::Status::RedFlag => "RED FLAG",
            };
            let temp = a.temperature_c.map(|t| format!(" (measured {t} °C)")).unwrap_or_default();
            let _ = writeln!(o, "  - {}{temp}: {status} → {}. {}", a.symptom, a.disposition, a.message);
            let _ = writeln!(o, "    {}", sources(a.sources));
        }
    }
    if r.advice.len() > 1 {
        let _ = writeln!(o, "\nAdvice:");
        for a in &r.advice[1..] {
            let _ = writeln!(o, "  - {}", a.message);
            let _ = writeln!(o, "    {}", sources(&a.sources));
        }
    }
    if let Some(first) = r.advice.first() {
        let _ = writeln!(o, "\n{}", sources(&first.sources));
    }
    o
}

pub fn can_i(r: &CanIResult<'_>) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} at {}: {}", r.activity, hours(r.hours_since_treatment), upper(r.answer.as_str()));
    let _ = writeln!(o, "{}", r.message);
    for c in r.conditions {
        let _ = writeln!(o, "  - {c}");
    }
    match (r.answer, r.allowed_from_hours, r.unrestricted_from_hours) {
        (Answer::Yes, _, _) => {}
        (_, None, _) => {
            let _ = writeln!(o, "Not allowed at any point after a session.");
        }
        (Answer::No, Some(a), u) => {
            let _ = write!(o, "Allowed from {} after the session", hours(a));
            let _ = match u {
                Some(u) if u > a => writeln!(o, "; without conditions from {}.", hours(u)),
                Some(_) => writeln!(o, "."),
                None => writeln!(o, ", always with conditions."),
            };
        }
        (_, _, Some(u)) => {
            let _ = writeln!(o, "Without conditions from {} after the session.", hours(u));
        }
        (_, _, None) => {
            let _ = writeln!(o, "The conditions stay in force.");
        }
    }
    let _ = writeln!(o, "{}", sources(r.sources));
    o
}

pub fn plan(r: &PlanResult<'_>) -> String {
    let mut o = String::new();
    let c = &r.session_count;
    let _ = writeln!(
        o,
        "Series of {} sessions, {} to {} days apart (protocol range for this grade: {} to {} sessions{})",
        c.planned,
        r.interval_days.min,
        r.interval_days.max,
        c.min,
        c.max,
        if c.chosen_by_clinician { "; number chosen by the clinician" } else { "" }
    );
    let _ = writeln!(o, "Screening on the start day: {}", upper(r.screening.decision.as_str()));
    for n in &r.notes {
        let _ = writeln!(o, "NOTE ({}): {}", n.code, n.message);
        let _ = writeln!(o, "    {}", sources(n.sources));
    }
    let _ = writeln!(o, "{}", c.message);
    let _ = writeln!(o, "    {}", sources(c.sources));
    for s in &r.sessions {
        if s.earliest == s.latest {
            let _ = writeln!(o, "\nSession {}: {}", s.number, s.earliest);
        } else {
            let _ = writeln!(o, "\nSession {}: between {} and {}", s.number, s.earliest, s.latest);
        }
        for step in &s.pre_care {
            let when = if step.days_before == 0 { "on the day".to_owned() } else { format!("from {}", step.from) };
            let _ = writeln!(o, "  - {when}: {}", step.message);
        }
        if s.number == r.review_after_session {
            let _ = writeln!(o, "  * Progress review after this session (photos and scar grading).");
        }
    }
    let _ = writeln!(o, "\nFinal review: between {} and {}", r.final_review.earliest, r.final_review.latest);
    let _ = writeln!(
        o,
        "Maintenance: every {} months, first due {}. {}",
        r.maintenance.every_months, r.maintenance.first_due, r.maintenance.message
    );
    let _ = writeln!(o, "    {}", sources(r.maintenance.sources));
    if let Some(cost) = &r.estimated_cost {
        let cur = cost.currency.as_deref().unwrap_or("");
        let _ = writeln!(
            o,
            "Estimated cost: {cur} {:.2} ({} × {:.2}; {:.2} to {:.2} over the protocol's range)",
            cost.total, c.planned, cost.per_session, cost.range.min, cost.range.max
        );
    }
    let _ = writeln!(o, "{}", sources(r.sources));
    o
}

pub fn timeline(t: &Timeline<'_>) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Aftercare timeline for the session of {} ({})",
        t.treated_at.format("%Y-%m-%d %H:%M %:z"),
        t.time_zone
    );
    let mut day = None;
    for e in &t.entries {
        if day != Some(e.date) {
            day = Some(e.date);
            let _ = writeln!(o, "\n{}", e.date.format("%A %Y-%m-%d"));
        }
        let what = match e.kind {
            Kind::PreCare => "before",
            Kind::Session => "session",
            Kind::Restriction => "not yet",
            Kind::Allowed => "allowed",
            Kind::Unrestricted => "free again",
            Kind::Milestone => "expect",
            Kind::CheckIn => "check-in",
        };
        let _ = writeln!(o, "  {} {:<12} {}: {}", e.at.format("%H:%M"), what, e.code, e.message);
        for c in e.conditions {
            let _ = writeln!(o, "                       - {c}");
        }
    }
    o
}

/// What changed in each version and why, newest first.
fn changelog(o: &mut String, p: &Protocol) {
    let _ = writeln!(o, "\n== What changed ==");
    for e in &p.changelog {
        let summary = e.summary.as_deref().map(|s| format!(": {s}")).unwrap_or_default();
        let _ = writeln!(o, "{} {}{summary}", e.protocol, e.version);
        for c in &e.changes {
            let _ = writeln!(o, "  [{}] {}", c.item, c.what);
            let _ = writeln!(o, "      why: {}", c.why);
            let _ = writeln!(o, "      {}", sources(&c.sources));
        }
    }
}

pub fn protocol(p: &Protocol) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Protocol {} version {}: {}", p.id, p.version, p.title);
    if let Some(e) = &p.extends {
        let _ = writeln!(o, "Extends: {e}");
    }
    changelog(&mut o, p);
    let _ = writeln!(o, "\n== Screening: findings ==");
    for f in &p.screening.findings {
        let window = f.window_days.map(|d| format!(", for {d} days after `last`")).unwrap_or_default();
        let review = if f.rule.clinician_review { ", clinician review" } else { "" };
        let _ = writeln!(o, "{}: {}{review}{window}. {}", f.finding, f.rule.effect, f.rule.message);
        let _ = writeln!(o, "    {}", sources(&f.rule.sources));
        if let Some(a) = &f.ongoing {
            let _ = writeln!(o, "    while ongoing: {}. {}", a.effect, a.message);
        }
        if let Some(a) = &f.after {
            let _ = writeln!(o, "    after the window: {}. {}", a.effect, a.message);
        }
    }
    if let Some(a) = &p.screening.age {
        let review = if a.rule.clinician_review { ", clinician review" } else { "" };
        let _ = writeln!(
            o,
            "minors (under {} years): {}{review}, guardian consent. {}",
            a.minor_under_years, a.rule.effect, a.rule.message
        );
        let _ = writeln!(o, "    {}", sources(&a.rule.sources));
    }
    let _ = writeln!(o, "\n== Triage: symptoms ==");
    for s in &p.triage.symptoms {
        let base = match &s.base {
            Base::Expected { until_hours, by_depth, .. } => {
                let mut t = format!("expected up to {}", hours(*until_hours));
                for d in by_depth {
                    t.push_str(&format!(
                        "; up to {} after a treatment of at most {} mm [{}]",
                        hours(d.until_hours),
                        d.max_depth_mm,
                        d.sources.join("; ")
                    ));
                }
                t
            }
            Base::Outside { disposition, .. } => {
                format!("outside the expected course → {disposition}")
            }
            Base::RedFlag { disposition, .. } => format!("RED FLAG → {disposition}"),
        };
        let _ = writeln!(o, "{}: {base}", s.symptom);
        for e in &s.escalations {
            let mut when = match &e.when {
                When::BeyondExpected => "beyond the expected course".to_owned(),
                When::Worse => "getting worse".to_owned(),
                When::NotImproving => "not improving".to_owned(),
                When::Severe => "severe".to_owned(),
                When::WithSymptom(set) => {
                    format!("with {}", set.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or "))
                }
                When::WithFinding(set) => {
                    format!("in a patient with {}", set.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or "))
                }
                When::AfterNumbing => "after numbing cream".to_owned(),
                When::Reported => "whenever reported".to_owned(),
                When::WithFitzpatrick(mask) => {
                    let types: Vec<String> =
                        (1..=6u8).filter(|t| mask & (1 << (t - 1)) != 0).map(|t| t.to_string()).collect();
                    format!("in Fitzpatrick type {}", types.join(", "))
                }
            };
            if e.with_symptoms.0 != 0 {
                let with: Vec<&str> = e.with_symptoms.iter().map(|s| s.as_str()).collect();
                when.push_str(&format!(", together with {}", with.join(" or ")));
            }
            match (e.after_hours, e.within_hours) {
                (a, Some(w)) if a > 0.0 => when.push_str(&format!(", from {} to before {}", hours(a), hours(w))),
                (_, Some(w)) => when.push_str(&format!(", within the first {}", hours(w))),
                (a, None) if a > 0.0 => when.push_str(&format!(", from {}", hours(a))),
                _ => {}
            }
            let _ = writeln!(o, "    {when} → {}: {} [{}]", e.disposition, e.message, e.sources.join("; "));
        }
    }
    let _ = writeln!(o, "\n== Can I: activities ==");
    for a in &p.activities {
        let phases: Vec<String> =
            a.phases.iter().map(|ph| format!("{} from {}", ph.answer, hours(ph.from_hours))).collect();
        let _ = writeln!(o, "{}: {}", a.activity, phases.join(", "));
        let _ = writeln!(o, "    {}", sources(&a.sources));
    }
    crate::render_limits::session_limits(&mut o, p);
    let _ = writeln!(o, "\n== Conflicts between sources ({}) ==", p.conflicts.len());
    for c in &p.conflicts {
        let _ = writeln!(o, "{}: {}", c.id, c.topic);
        for side in &c.sides {
            let _ = writeln!(o, "    says: {} [{}]", side.says, side.sources.join("; "));
        }
        let _ = writeln!(o, "    choice{}: {}", if c.conservative { " (conservative)" } else { "" }, c.choice);
        let _ = writeln!(o, "    why: {}", c.why);
    }
    let _ = writeln!(o, "\n== Sources ({}) ==", p.sources.len());
    for s in &p.sources {
        let _ = writeln!(o, "{} [{}]: {}", s.id, s.kind, s.citation);
    }
    o
}
