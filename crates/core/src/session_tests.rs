//! Unit tests for the session warnings and input checks, against the built-in protocol.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn protocol() -> Protocol {
    Protocol::builtin().expect("the built-in protocol loads")
}

fn numbing(agent: &str, area_cm2: f64, minutes: f64) -> Numbing {
    Numbing { agent: agent.into(), area_cm2, minutes, occluded: false, removed: true }
}

fn depth(area: &str, depth_mm: f64) -> AreaDepth {
    AreaDepth { area: area.into(), depth_mm }
}

fn codes(w: &[SessionWarning]) -> Vec<WarningCode> {
    w.iter().map(|w| w.code).collect()
}

#[test]
fn a_careful_session_has_no_warnings() {
    let p = protocol();
    let w = warnings(
        &p,
        Some(&numbing("lidocaine", 300.0, 45.0)),
        &[depth("cheeks", 1.5), depth("forehead", 0.5)],
        Some(2),
    );
    assert!(w.is_empty(), "{w:?}");
    assert!(warnings(&p, None, &[], None).is_empty());
}

#[test]
fn occlusion_and_cream_left_on_warn_with_their_sources() {
    let p = protocol();
    let n = Numbing { occluded: true, removed: false, ..numbing("lidocaine", 100.0, 30.0) };
    let w = warnings(&p, Some(&n), &[], None);
    assert_eq!(codes(&w), [WarningCode::NumbingOccluded, WarningCode::NumbingNotRemoved]);
    assert!(w[0].sources.contains(&"Jalian-DT".to_owned()));
    assert!(w.iter().all(|w| !w.sources.is_empty() && !w.message.is_empty()));
}

#[test]
fn area_and_time_over_the_maximum_warn_with_the_numbers() {
    let p = protocol();
    let max_area = p.anaesthesia.max_area_cm2.value;
    let max_time = p.anaesthesia.max_minutes.value;
    let w = warnings(&p, Some(&numbing("lidocaine", max_area + 1.0, max_time + 15.0)), &[], None);
    assert_eq!(codes(&w), [WarningCode::NumbingAreaOverMax, WarningCode::NumbingTimeOverMax]);
    assert_eq!((w[0].value, w[0].limit), (Some(max_area + 1.0), Some(max_area)));
    assert_eq!((w[1].value, w[1].limit), (Some(max_time + 15.0), Some(max_time)));
    // The area maximum has no source for its number: it says so.
    assert_eq!(w[0].evidence.as_deref(), Some("proposed"));
    // Exactly at the limit is within it.
    assert!(warnings(&p, Some(&numbing("lidocaine", max_area, max_time)), &[], None).is_empty());
}

#[test]
fn prilocaine_and_benzocaine_carry_the_methaemoglobinaemia_warning() {
    let p = protocol();
    for agent in ["lidocaine_prilocaine", "benzocaine_lidocaine_tetracaine"] {
        let w = warnings(&p, Some(&numbing(agent, 100.0, 30.0)), &[], None);
        assert_eq!(codes(&w), [WarningCode::NumbingMethaemoglobinaemiaRisk], "{agent}");
        assert_eq!(w[0].evidence.as_deref(), Some("general"), "{agent}: no source read states it");
    }
    for agent in ["lidocaine", "tetracaine", "lidocaine_tetracaine"] {
        assert!(warnings(&p, Some(&numbing(agent, 100.0, 30.0)), &[], None).is_empty(), "{agent}");
    }
}

#[test]
fn depth_over_an_areas_maximum_warns_per_area() {
    let p = protocol();
    let w = warnings(&p, None, &[depth("forehead", 1.0), depth("cheeks", 1.5), depth("nose", 0.75)], None);
    assert_eq!(codes(&w), [WarningCode::DepthOverAreaMax, WarningCode::DepthOverAreaMax]);
    assert_eq!(w[0].area.as_deref(), Some("forehead"));
    assert_eq!((w[0].value, w[0].limit), (Some(1.0), Some(0.5)));
    assert_eq!(w[1].area.as_deref(), Some("nose"));
    assert_eq!(w[0].evidence.as_deref(), Some("practice"), "area maxima are practice values");
    assert!(w[0].sources.contains(&"DrPen-vendor".to_owned()));
}

#[test]
fn deep_needling_in_darker_skin_warns_only_for_types_iv_to_vi() {
    let p = protocol();
    let deep = [depth("cheeks", 2.0)];
    for f in [4, 5, 6] {
        let w = warnings(&p, None, &deep, Some(f));
        assert!(codes(&w).contains(&WarningCode::DepthDarkerSkin), "type {f}: {w:?}");
    }
    for f in [None, Some(1), Some(3)] {
        let w = warnings(&p, None, &deep, f);
        assert!(!codes(&w).contains(&WarningCode::DepthDarkerSkin), "type {f:?}");
    }
    assert!(warnings(&p, None, &[depth("cheeks", 1.5)], Some(5)).is_empty());
}

#[test]
fn check_names_the_field_and_what_is_accepted() {
    let p = protocol();
    let e = check(&p, Some(&numbing("emla_max", 10.0, 10.0)), &[]).unwrap_err();
    assert_eq!(e.field, "numbing.agent");
    assert!(e.message.contains("lidocaine_prilocaine"), "{}", e.message);
    assert_eq!(check(&p, Some(&numbing("lidocaine", 0.0, 10.0)), &[]).unwrap_err().field, "numbing.area_cm2");
    assert_eq!(check(&p, Some(&numbing("lidocaine", 10.0, f64::NAN)), &[]).unwrap_err().field, "numbing.minutes");
    let e = check(&p, None, &[depth("cheeks", 1.0), depth("elbow", 1.0)]).unwrap_err();
    assert_eq!(e.field, "depths[1].area");
    assert!(e.message.contains("forehead"), "{}", e.message);
    assert_eq!(check(&p, None, &[depth("cheeks", 3.5)]).unwrap_err().field, "depths[0].depth_mm");
    assert_eq!(check(&p, None, &[depth("cheeks", 1.0), depth("cheeks", 1.5)]).unwrap_err().field, "depths[1].area");
    assert!(check(&p, Some(&numbing("lidocaine", 10.0, 10.0)), &[depth("chin", 1.0)]).is_ok());
}

#[test]
fn facts_say_numbing_and_the_deepest_depth() {
    let d = [depth("cheeks", 1.5), depth("forehead", 0.5)];
    assert_eq!(deepest(&d), Some(1.5));
    assert_eq!(deepest(&[]), None);
    let f = facts(Some(&numbing("lidocaine", 10.0, 10.0)), false, deepest(&d));
    assert_eq!(f, SessionFacts { numbing: true, depth_mm: Some(1.5) });
    // A legacy free-text note means a cream was used.
    assert!(facts(None, true, None).numbing);
    assert!(!facts(None, false, Some(1.0)).numbing);
}

#[test]
fn a_clinic_may_change_the_practice_values_and_add_agents_and_areas() {
    let base = protocol();
    let clinic = r#"
[protocol]
id = "clinic"
version = "1"
extends = "needlepath-microneedling"

[anaesthesia.max_time]
minutes = 45
message = "We leave numbing cream on for 45 minutes at most."
sources = ["AlsterAAD2015", "Sobanko2012", "Jalian-DT"]
evidence = "practice"

[[anaesthesia.agents]]
code = "lidocaine_gel_7"
name = "Lidocaine gel 7 %"
max_area_cm2 = 200
sources = ["Sobanko2012"]
evidence = "practice"

[[depth.areas]]
code = "forehead"
name = "Forehead"
max_mm = 0.75
bony = true
sources = ["DrPen-vendor"]
evidence = "practice"

[[depth.areas]]
code = "decolletage"
name = "Decolletage"
max_mm = 0.5
sources = ["DrPen-vendor"]
evidence = "practice"
"#;
    let p = Protocol::parse(clinic, Some(&base)).expect("practice values may change");
    assert_eq!(p.anaesthesia.max_minutes.value, 45.0);
    assert_eq!(p.anaesthesia.agents.len(), base.anaesthesia.agents.len() + 1);
    assert_eq!(p.depth.area("forehead").map(|a| a.max_mm), Some(0.75));
    assert!(p.depth.area("decolletage").is_some());
    // Inherited parts stay: the no-occlusion rule and its sources.
    assert_eq!(p.anaesthesia.no_occlusion, base.anaesthesia.no_occlusion);
    let w = warnings(&p, Some(&numbing("lidocaine_gel_7", 250.0, 50.0)), &[depth("forehead", 0.75)], None);
    assert_eq!(codes(&w), [WarningCode::NumbingAreaOverMax, WarningCode::NumbingTimeOverMax]);
    assert_eq!(w[0].limit, Some(200.0), "the agent's own maximum");
}

#[test]
fn a_protocol_without_the_session_limits_is_refused() {
    let text = crate::protocol::BUILTIN_TOML;
    let cut = text.find("[anaesthesia]\n").expect("the built-in protocol has [anaesthesia]");
    let e = Protocol::parse(&text[..cut], None).unwrap_err();
    let all: Vec<String> = e.problems.iter().map(|p| p.message.clone()).collect();
    assert!(all.iter().any(|m| m.contains("[anaesthesia] needs max_area")), "{all:?}");
    assert!(all.iter().any(|m| m.contains("[anaesthesia] needs no_occlusion")), "{all:?}");
    assert!(all.iter().any(|m| m.contains("[depth] needs")), "{all:?}");
}

mod performed_at {
    use chrono::{Duration, TimeZone, Utc};
    use proptest::prelude::*;

    use crate::session::{PERFORMED_AHEAD_HOURS, PERFORMED_BACK_DAYS, check_performed_at};

    proptest! {
        /// A session time is accepted exactly from five years back to an hour ahead of now, and
        /// a refusal names `performed_at`.
        #[test]
        fn a_session_time_is_accepted_exactly_within_its_bounds(offset_minutes in -(6 * 365 * 24 * 60i64)..(3 * 60)) {
            let now = Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap();
            let at = now + Duration::minutes(offset_minutes);
            let inside = at <= now + Duration::hours(PERFORMED_AHEAD_HOURS) && at >= now - Duration::days(PERFORMED_BACK_DAYS);
            match check_performed_at(at, now) {
                Ok(()) => prop_assert!(inside),
                Err(r) => { prop_assert!(!inside); prop_assert_eq!(r.field, "performed_at"); }
            }
        }
    }
}
