use chrono::TimeZone as _;
use proptest::prelude::*;
use serde_json::json;

use super::*;

fn at(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).single().unwrap_or_default() + Duration::hours(h)
}

fn screened(held: &[(&str, Hold)], review_required: bool, review: Option<ReviewDecision>) -> ScreeningFacts {
    ScreeningFacts {
        decision: if held.is_empty() { Decision::Eligible } else { Decision::Defer },
        held: held
            .iter()
            .map(|(c, h)| HeldReason { code: (*c).to_owned(), effect: Decision::Defer, hold: *h })
            .collect(),
        review_required,
        review,
    }
}

/// Consent to the current version, signed by the patient: nothing to block.
fn consented() -> TreatmentConsentFacts {
    TreatmentConsentFacts {
        current_version: 1,
        signed_version: Some(1),
        signed_by_guardian: false,
        withdrawn: false,
        guardian_required: false,
    }
}

fn facts(screening: Option<ScreeningFacts>) -> SessionFacts {
    SessionFacts {
        screening,
        last_session_at: None,
        alerts: vec![],
        min_interval_days: 28,
        performed_at: at(0),
        consent: consented(),
    }
}

const REASON: &str = "Cold sore healed a week ago; antiviral started yesterday by the prescriber.";

#[test]
fn a_clear_screening_and_nothing_else_blocks_nothing() {
    assert_eq!(blockers(&facts(Some(screened(&[], false, None)))), vec![]);
    assert_eq!(decide(&[], None, false), Ok(()));
}

#[test]
fn pregnancy_is_absolute_and_no_reason_overrides_it() {
    let b = blockers(&facts(Some(screened(&[("pregnant", Hold::Absolute)], false, None))));
    assert_eq!(b.len(), 1);
    assert!(!b[0].overridable());
    let keys = vec!["contraindication:pregnant".to_owned()];
    let over = Override { blockers: &keys, reason: REASON };
    assert_eq!(decide(&b, Some(&over), true), Err(Refusal::Blocked(b.clone())));
}

#[test]
fn a_relative_deferral_needs_a_clinician_a_sentence_and_its_name() {
    let b = blockers(&facts(Some(screened(&[("immunosuppressed", Hold::Relative)], false, None))));
    let keys = vec!["contraindication:immunosuppressed".to_owned()];
    assert_eq!(decide(&b, None, true), Err(Refusal::Blocked(b.clone())));
    assert_eq!(decide(&b, Some(&Override { blockers: &keys, reason: REASON }), false), Err(Refusal::NotAClinician));
    assert!(matches!(decide(&b, Some(&Override { blockers: &keys, reason: "ok" }), true), Err(Refusal::Reason(_))));
    assert!(matches!(decide(&b, Some(&Override { blockers: &[], reason: REASON }), true), Err(Refusal::Naming(_))));
    let stray = vec!["contraindication:immunosuppressed".to_owned(), "too_soon".to_owned()];
    assert!(matches!(decide(&b, Some(&Override { blockers: &stray, reason: REASON }), true), Err(Refusal::Naming(_))));
    assert_eq!(decide(&b, Some(&Override { blockers: &keys, reason: REASON }), true), Ok(()));
}

#[test]
fn short_and_placeholder_reasons_are_refused() {
    for r in ["ok", "OK.", "fine", "   ", "seen, ok, go, now, yes", "- - - - - - - - - - - - - - - - -"] {
        assert!(reason_problem(r).is_some(), "{r:?} was accepted");
    }
    assert_eq!(reason_problem(REASON), None);
}

#[test]
fn a_session_25_hours_after_the_last_is_too_soon() {
    let f = SessionFacts { last_session_at: Some(at(-25)), ..facts(Some(screened(&[], false, None))) };
    let b = blockers(&f);
    assert!(matches!(b.as_slice(), [Blocker::TooSoon { min_interval_days: 28, .. }]), "{b:?}");
    let f = SessionFacts { last_session_at: Some(at(-28 * 24)), ..f };
    assert_eq!(blockers(&f), vec![]);
}

#[test]
fn an_emergency_since_the_last_session_blocks_even_when_resolved() {
    let alert = AlertFact { id: "a1".into(), disposition: Disposition::Emergency, opened_at: at(-1), open: false };
    let f = SessionFacts {
        last_session_at: Some(at(-30 * 24)),
        alerts: vec![alert.clone()],
        ..facts(Some(screened(&[], false, None)))
    };
    assert!(matches!(blockers(&f).as_slice(), [Blocker::RecentAlert { .. }]));
    // Before the last session: the reaction was seen to before that session.
    let old = AlertFact { opened_at: at(-31 * 24), ..alert.clone() };
    assert_eq!(blockers(&SessionFacts { alerts: vec![old], ..f.clone() }), vec![]);
    // A resolved "contact the clinic" is no reaction that blocks.
    let mild = AlertFact { disposition: Disposition::ContactClinic, ..alert };
    assert_eq!(blockers(&SessionFacts { alerts: vec![mild.clone()], ..f.clone() }), vec![]);
    let open = AlertFact { open: true, ..mild };
    assert!(matches!(blockers(&SessionFacts { alerts: vec![open], ..f }).as_slice(), [Blocker::OpenAlert { .. }]));
}

#[test]
fn a_required_review_blocks_until_cleared_and_not_cleared_holds() {
    let pending = blockers(&facts(Some(screened(&[], true, None))));
    assert_eq!(pending, vec![Blocker::ReviewPending]);
    assert!(!pending[0].overridable());
    assert_eq!(blockers(&facts(Some(screened(&[], true, Some(ReviewDecision::Cleared))))), vec![]);
    assert_eq!(
        blockers(&facts(Some(screened(&[], true, Some(ReviewDecision::NotCleared))))),
        vec![Blocker::ReviewNotCleared]
    );
}

#[test]
fn a_stored_result_is_read_the_safe_way() {
    let r = json!({"decision": "defer", "clinician_review_required": true, "reasons": [
        {"code": "pregnant", "effect": "defer"},
        {"code": "chemotherapy", "effect": "defer", "hold": "relative"},
        {"code": "keloid_tendency", "effect": "eligible_with_precautions"}
    ]});
    let s = ScreeningFacts::from_result(&r, None);
    assert_eq!(
        s.held.iter().map(|h| (h.code.as_str(), h.hold)).collect::<Vec<_>>(),
        vec![("pregnant", Hold::Absolute), ("chemotherapy", Hold::Relative)]
    );
    let garbled = ScreeningFacts::from_result(&json!({"decision": "defer"}), None);
    assert_eq!((garbled.held.len(), garbled.held[0].hold, garbled.review_required), (1, Hold::Absolute, true));
}

fn any_disposition() -> impl Strategy<Value = Disposition> {
    prop::sample::select(Disposition::ALL.to_vec())
}

fn any_alert() -> impl Strategy<Value = AlertFact> {
    (0..1000u32, any_disposition(), -2000i64..0, any::<bool>()).prop_map(|(n, disposition, h, open)| AlertFact {
        id: format!("a{n}"),
        disposition,
        opened_at: at(h),
        open,
    })
}

fn any_screening() -> impl Strategy<Value = Option<ScreeningFacts>> {
    let held = prop::collection::vec(
        (prop::sample::select(vec!["pregnant", "sunburn", "chemotherapy", "immunosuppressed"]), any::<bool>()),
        0..3,
    );
    let review = prop::option::of(prop::sample::select(vec![ReviewDecision::Cleared, ReviewDecision::NotCleared]));
    prop::option::of((held, any::<bool>(), review).prop_map(|(held, required, review)| {
        let held: Vec<(&str, Hold)> =
            held.into_iter().map(|(c, a)| (c, if a { Hold::Absolute } else { Hold::Relative })).collect();
        screened(&held, required, review)
    }))
}

fn any_facts() -> impl Strategy<Value = SessionFacts> {
    (any_screening(), prop::option::of(-2000i64..0), prop::collection::vec(any_alert(), 0..4), 1..60u32).prop_map(
        |(screening, last, alerts, min)| SessionFacts {
            screening,
            last_session_at: last.map(at),
            alerts,
            min_interval_days: min,
            performed_at: at(0),
            consent: consented(),
        },
    )
}

proptest! {
    /// Another alert, or another held reason, never removes a blocker.
    #[test]
    fn adding_a_fact_never_removes_a_blocker(f in any_facts(), alert in any_alert(), absolute in any::<bool>()) {
        let before = blockers(&f);
        let mut more = f.clone();
        more.alerts.push(alert);
        if let Some(s) = &mut more.screening {
            s.held.push(HeldReason {
                code: "skin_infection".into(),
                effect: Decision::Defer,
                hold: if absolute { Hold::Absolute } else { Hold::Relative },
            });
        }
        let after = blockers(&more);
        for b in &before {
            prop_assert!(after.contains(b), "{b:?} disappeared: {after:?}");
        }
    }

    /// Whatever the override says and whoever gives it, an absolute blocker refuses the session.
    #[test]
    fn an_absolute_blocker_is_never_overridden(f in any_facts(), clinician in any::<bool>(), reason in ".{0,80}") {
        let b = blockers(&f);
        let keys: Vec<String> = b.iter().map(Blocker::key).collect();
        let over = Override { blockers: &keys, reason: &reason };
        let absolute = b.iter().any(|b| !b.overridable());
        for b in &b {
            if let Blocker::Contraindication { hold: Hold::Absolute, .. } = b {
                prop_assert!(!b.overridable());
            }
        }
        if absolute {
            prop_assert!(decide(&b, Some(&over), clinician).is_err());
            prop_assert!(decide(&b, None, clinician).is_err());
        }
        if !clinician && !b.is_empty() {
            prop_assert!(decide(&b, Some(&over), clinician).is_err());
        }
    }
}

#[test]
fn an_active_cold_sore_at_the_pre_session_check_blocks_absolutely() {
    // Issue 12 item 9: asked at every session, not only at the first screening.
    assert_eq!(pre_session_check(Some(false)), None);
    assert_eq!(pre_session_check(None), None);
    let b = pre_session_check(Some(true)).into_iter().collect::<Vec<_>>();
    assert_eq!(b, vec![Blocker::ActiveColdSore]);
    assert!(!b[0].overridable());
    let keys = vec![b[0].key()];
    assert_eq!(keys, vec!["active_cold_sore".to_owned()]);
    let over = Override { blockers: &keys, reason: REASON };
    assert_eq!(decide(&b, Some(&over), true), Err(Refusal::Blocked(b.clone())));
}

/// Issue 15: a session cannot be recorded without valid treatment consent for the current
/// version, and no clinician overrides that.
#[test]
fn a_session_without_consent_to_the_current_version_is_refused_and_not_overridable() {
    let clear = Some(screened(&[], false, None));
    let cases = [
        (TreatmentConsentFacts { signed_version: None, ..consented() }, "consent_missing"),
        (TreatmentConsentFacts { current_version: 2, ..consented() }, "consent_outdated"),
        (TreatmentConsentFacts { withdrawn: true, ..consented() }, "consent_withdrawn"),
        (TreatmentConsentFacts { guardian_required: true, ..consented() }, "guardian_consent_missing"),
    ];
    for (consent, code) in cases {
        let b = blockers(&SessionFacts { consent, ..facts(clear.clone()) });
        assert_eq!(b.iter().map(Blocker::code).collect::<Vec<_>>(), vec![code]);
        assert!(!b[0].overridable(), "{code}");
        let keys = vec![b[0].key()];
        let over = Override { blockers: &keys, reason: REASON };
        assert!(matches!(decide(&b, Some(&over), true), Err(Refusal::Blocked(_))), "{code}");
    }
}
