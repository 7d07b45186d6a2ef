//! `protocol show` for the session limits: the numbing cream (`[anaesthesia]`) and the needle
//! depth per area (`[depth]`), each value with what it rests on, so that a practice value is
//! never read as established.

use std::fmt::Write;

use needlepath_core::Protocol;
use needlepath_core::protocol::session_limits::Guidance;

fn evidence(g: &Guidance) -> String {
    g.evidence.map(|e| format!(" ({})", e.as_str())).unwrap_or_default()
}

fn line(o: &mut String, label: &str, g: &Guidance) {
    let _ = writeln!(o, "{label}{}: {}", evidence(g), g.message);
    let _ = writeln!(o, "    Sources: {}", g.sources.join("; "));
    if let Some(n) = &g.note {
        let _ = writeln!(o, "    note: {n}");
    }
}

pub fn session_limits(o: &mut String, p: &Protocol) {
    let a = &p.anaesthesia;
    let _ = writeln!(o, "\n== Numbing cream (checked when a session is recorded; warnings do not block) ==");
    line(o, &format!("maximum area {} cm²", a.max_area_cm2.value), &a.max_area_cm2.guidance);
    line(o, &format!("maximum time {} min", a.max_minutes.value), &a.max_minutes.guidance);
    line(o, "no occlusion", &a.no_occlusion);
    line(o, "full removal before needling", &a.full_removal);
    line(o, "methaemoglobinaemia", &a.methaemoglobinaemia);
    for ag in &a.agents {
        let risk = if ag.methaemoglobinaemia { ", methaemoglobinaemia risk" } else { "" };
        let limits = format!("{} cm², {} min", a.area_limit(ag), a.time_limit(ag));
        let ev = ag.evidence.map(|e| format!(" ({})", e.as_str())).unwrap_or_default();
        let _ = writeln!(o, "agent {}: {}{risk}; limits {limits}{ev}", ag.code, ag.name);
        let _ = writeln!(o, "    Sources: {}", ag.sources.join("; "));
    }
    let d = &p.depth;
    let _ = writeln!(o, "\n== Needle depth per area (practice values a clinic may change) ==");
    for ar in &d.areas {
        let bony = if ar.bony { ", thin skin over bone" } else { "" };
        let ev = ar.evidence.map(|e| format!(" ({})", e.as_str())).unwrap_or_default();
        let _ = writeln!(o, "{} ({}): up to {} mm{bony}{ev}", ar.code, ar.name, ar.max_mm);
        let _ = writeln!(o, "    Sources: {}", ar.sources.join("; "));
    }
    line(o, "over an area's maximum", &d.area_max);
    let types: Vec<String> = d.darker_skin.types.iter().map(u8::to_string).collect();
    line(o, &format!("Fitzpatrick {}: up to {} mm", types.join(", "), d.darker_skin.max_mm), &d.darker_skin.guidance);
}
