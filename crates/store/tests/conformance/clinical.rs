//! Screenings, plans, sessions, check-ins, the alert queue and follow-ups.

use chrono::{Duration, Utc};
use needlepath_core::protocol::Hold;
use needlepath_core::vocabulary::{Decision, Disposition};
use needlepath_store::*;
use serde_json::json;

use crate::fixtures::*;

pub async fn story_screenings_and_plans(store: DynStore) {
    let (_, admin, actor) = setup_clinic(&store).await;
    let (practitioner, as_practitioner) = add_practitioner(&store, &actor, "pr@clinic.test").await;
    let patient = add_patient(&store, &actor, "Sam Screen").await;
    // JSON as the engine wrote it must come back exactly: nesting, unicode, escapes, numbers.
    let request = json!({
        "protocol": "2025.1",
        "answers": { "isotretinoin_months_ago": 7, "conditions": ["rosacea", "eczema"], "pregnant": false },
        "note": "Dorothée says \"fine\" \\ ok\n✓ 🧪",
        "numbers": [0, -3, 37.5, 0.1, 1.0, 2.5e-5, 9007199254740993_u64, 18446744073709551615_u64],
        "empty": { "list": [], "map": {}, "nothing": null },
        "z_last": true, "a_first": "order"
    });
    let result = json!({ "decision": "eligible", "reasons": [{ "code": "ok", "weight": 0.25 }], "caveats": null });
    let new = NewScreening { request: request.clone(), result: result.clone(), ..screening(patient.id, "eligible") };
    let first = store.add_screening(&actor, new).await.unwrap();
    assert_eq!((&first.request, &first.result), (&request, &result));
    assert_eq!(first.request.to_string(), request.to_string());
    assert_eq!((first.patient, first.decision.as_str(), first.defer_until), (patient.id, "eligible", None));
    assert_eq!((first.protocol_version.as_str(), first.recorded_by), ("2025.1", Some(admin.id)));
    assert_eq!((first.reviewed_by, first.reviewed_at, first.review_note.clone()), (None, None, None));
    let second = store.add_screening(&as_practitioner, screening(patient.id, "defer")).await.unwrap();
    assert_eq!((second.defer_until, second.recorded_by), (Some(date("2030-12-31")), Some(practitioner.id)));
    assert_eq!(store.list_screenings(&actor, patient.id).await.unwrap(), vec![second.clone(), first.clone()]);

    let before = ms(Utc::now());
    let reviewed = store
        .review_screening(&as_practitioner, patient.id, first.id, ReviewDecision::Cleared, Some("checked".into()))
        .await
        .unwrap();
    let at = reviewed.reviewed_at.expect("reviewed_at is set");
    assert!(at >= before && at <= Utc::now(), "{at}");
    let expected = Screening {
        reviewed_by: Some(practitioner.id),
        reviewed_at: Some(at),
        review_decision: Some(ReviewDecision::Cleared),
        review_note: Some("checked".into()),
        ..first.clone()
    };
    assert_eq!(reviewed, expected);
    assert_eq!(store.list_screenings(&actor, patient.id).await.unwrap(), vec![second, reviewed]);
    let other = add_patient(&store, &actor, "Other").await;
    assert_err!(
        store.review_screening(&actor, other.id, first.id, ReviewDecision::Cleared, None).await,
        StoreError::NotFound(_)
    );
    assert_err!(
        store.review_screening(&actor, patient.id, ScreeningId::new(), ReviewDecision::NotCleared, None).await,
        StoreError::NotFound(_)
    );
    assert_err!(store.add_screening(&actor, screening(PatientId::new(), "eligible")).await, StoreError::NotFound(_));

    let plan_request = json!({ "goal": "acne scars", "sessions": 4, "interval_days": 28, "areas": ["cheeks"] });
    let plan_result = json!({ "schedule": [{ "n": 1, "depth_mm": 1.5 }, { "n": 2, "depth_mm": 1.75 }], "ok": true });
    let new_plan = NewPlan { patient: patient.id, request: plan_request.clone(), result: plan_result.clone() };
    let p1 = store.add_plan(&actor, new_plan).await.unwrap();
    assert_eq!((&p1.request, &p1.result, p1.created_by), (&plan_request, &plan_result, Some(admin.id)));
    let p2 = store.add_plan(&as_practitioner, NewPlan { patient: patient.id, request: json!([]), result: json!("x") });
    let p2 = p2.await.unwrap();
    assert_eq!((p2.request.clone(), p2.result.clone()), (json!([]), json!("x")));
    assert_eq!(store.list_plans(&actor, patient.id).await.unwrap(), vec![p2, p1]);
    assert!(store.list_plans(&actor, other.id).await.unwrap().is_empty());
    let orphan = NewPlan { patient: PatientId::new(), request: json!({}), result: json!({}) };
    assert_err!(store.add_plan(&actor, orphan).await, StoreError::NotFound(_));
}

pub async fn story_sessions(store: DynStore) {
    let (_, _, actor) = setup_clinic(&store).await;
    let (practitioner, as_practitioner) = add_practitioner(&store, &actor, "pr@clinic.test").await;
    let patient = add_patient(&store, &actor, "Paula").await;
    let performed = t("2030-03-01T10:00:00Z");
    let new = |check_ins: &[u32]| session(patient.id, practitioner.id, performed, check_ins);

    assert_eq!(blockers(store.record_session(&as_practitioner, new(&[1])).await), vec![Blocker::NoScreening]);
    store.add_screening(&actor, screening(patient.id, "defer")).await.unwrap();
    let pregnant =
        Blocker::Contraindication { reason: "pregnant".into(), decision: Decision::Defer, hold: Hold::Absolute };
    assert_eq!(blockers(store.record_session(&as_practitioner, new(&[1])).await), vec![pregnant.clone()]);
    // An absolute contraindication holds whatever the practitioner says.
    let keys = vec!["contraindication:pregnant".to_owned()];
    let over = NewSession {
        override_reason: Some("The patient says she is no longer pregnant, delivered in May.".into()),
        override_blockers: keys,
        ..new(&[1])
    };
    assert_eq!(blockers(store.record_session(&as_practitioner, over).await), vec![pregnant]);
    store.add_screening(&actor, screening(patient.id, "not_eligible")).await.unwrap();
    let reaction = Blocker::Contraindication {
        reason: "previous_session_reaction".into(),
        decision: Decision::NotEligible,
        hold: Hold::Absolute,
    };
    assert_eq!(blockers(store.record_session(&as_practitioner, new(&[1])).await), vec![reaction]);

    // The latest screening decides.
    store.add_screening(&actor, screening(patient.id, "eligible")).await.unwrap();
    let (first, check_ins) = store.record_session(&as_practitioner, new(&[1, 3, 7])).await.unwrap();
    let n = new(&[1, 3, 7]);
    assert_eq!((first.patient, first.plan, first.performed_at), (patient.id, None, performed));
    assert_eq!((&first.device, first.needle_depth_mm, &first.areas), (&n.device, n.needle_depth_mm, &n.areas));
    assert_eq!((&first.products, &first.numbing, &first.notes), (&n.products, &n.numbing, &n.notes));
    assert_eq!((&first.numbing_note, &first.depths, &first.warnings), (&None, &n.depths, &n.warnings));
    assert_eq!((first.practitioner, first.override_reason.clone()), (practitioner.id, None));
    let scheduled: Vec<_> = check_ins.iter().map(|c| (c.day, c.due_at, c.session, c.submitted_at)).collect();
    let wanted: Vec<_> = n.check_ins.iter().map(|(d, due)| (Some(*d), Some(*due), Some(first.id), None)).collect();
    assert_eq!(scheduled, wanted);
    assert!(check_ins.iter().all(|c| c.patient == patient.id && c.request.is_none() && c.disposition.is_none()));
    assert_eq!(store.list_check_ins(&actor, patient.id).await.unwrap(), check_ins);

    // A plan of the patient's own, a known practitioner.
    let plan = store.add_plan(&actor, NewPlan { patient: patient.id, request: json!({}), result: json!({}) });
    let plan = plan.await.unwrap();
    let later = NewSession { plan: Some(plan.id), performed_at: performed + days(28), ..new(&[]) };
    let (second, none) = store.record_session(&as_practitioner, later).await.unwrap();
    assert_eq!((second.plan, none.len()), (Some(plan.id), 0));
    let unknown_plan = NewSession { plan: Some(PlanId::new()), ..new(&[]) };
    assert_err!(store.record_session(&as_practitioner, unknown_plan).await, StoreError::NotFound(_));
    let unknown_staff = session(patient.id, StaffId::new(), performed, &[]);
    assert_err!(store.record_session(&as_practitioner, unknown_staff).await, StoreError::NotFound(_));
    assert_eq!(store.list_sessions(&actor, patient.id).await.unwrap(), vec![second.clone(), first.clone()]);

    // An open alert blocks (and the last session was 28 days ago, so the interval does not);
    // a blank or short reason is no override; a real one is recorded, listed and audited.
    let alarm = alarming(patient.id, performed, "contact_clinic", performed + days(1));
    let alert = store.submit_check_in(&actor, alarm).await.unwrap().1.unwrap();
    let open = Blocker::OpenAlert { alert: alert.id.0.to_string(), disposition: Disposition::ContactClinic };
    let at = performed + days(56);
    let attempt = |reason: &str, keys: &[&str]| NewSession {
        override_reason: Some(reason.into()),
        override_blockers: keys.iter().map(|k| (*k).to_owned()).collect(),
        performed_at: at,
        ..new(&[1])
    };
    assert_eq!(
        blockers(store.record_session(&as_practitioner, NewSession { performed_at: at, ..new(&[]) }).await),
        vec![open.clone()]
    );
    let reason = "Spoke to the patient today: the redness is expected and settling.";
    for (short, keys) in [("", &["open_alert"][..]), ("   \t", &["open_alert"]), ("ok", &["open_alert"])] {
        assert_err!(
            store.record_session(&as_practitioner, attempt(short, keys)).await,
            StoreError::OverrideRefused { field: "override_reason", .. }
        );
    }
    for keys in [&[][..], &["too_soon"], &["open_alert", "too_soon"]] {
        assert_err!(
            store.record_session(&as_practitioner, attempt(reason, keys)).await,
            StoreError::OverrideRefused { field: "override_blockers", .. }
        );
    }
    assert_err!(store.record_session(&actor, attempt(reason, &["open_alert"])).await, StoreError::OverrideNotAllowed);
    let (overridden, scheduled) =
        store.record_session(&as_practitioner, attempt(reason, &["open_alert"])).await.unwrap();
    assert_eq!((overridden.override_reason.as_deref(), scheduled.len()), (Some(reason), 1));
    assert_eq!(overridden.override_blockers, vec!["open_alert".to_owned()]);
    assert_eq!(store.list_sessions(&actor, patient.id).await.unwrap()[0], overridden);
    let listed = store.list_overrides(&actor, 50).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].session, listed[0].reason.as_str(), listed[0].patient_name.as_str()),
        (overridden.id, reason, "Paula")
    );
    let audit = store.list_audit(&actor, Some(patient.id), 1000).await.unwrap();
    let logged = audit.iter().find(|e| e.action == "session.override").expect("session.override is audited");
    assert_eq!((logged.target, logged.actor_id), (Some(overridden.id.0), Some(practitioner.id.0)));
    let recorded = audit.iter().filter(|e| e.action == "session.record").count();
    assert_eq!((recorded, audit.iter().filter(|e| e.action == "session.override").count()), (3, 1));
}

/// The gates that follow the last session: the protocol's interval, an urgent or emergency
/// alert since it (even once resolved), and a clinician review the screening requires.
pub async fn story_session_safety_gates(store: DynStore) {
    let (_, _, actor) = setup_clinic(&store).await;
    let (practitioner, as_practitioner) = add_practitioner(&store, &actor, "pr@clinic.test").await;
    let patient = eligible_patient(&store, &actor, "Gina Gate").await;
    let first = t("2030-03-01T10:00:00Z");
    let at = |when| session(patient.id, practitioner.id, when, &[]);
    store.record_session(&as_practitioner, at(first)).await.unwrap();
    let b = blockers(store.record_session(&as_practitioner, at(first + Duration::hours(25))).await);
    assert!(matches!(b.as_slice(), [Blocker::TooSoon { min_interval_days: 28, .. }]), "{b:?}");

    let alarm = alarming(patient.id, first + days(1), "emergency", first + days(1));
    let alert = store.submit_check_in(&actor, alarm).await.unwrap().1.unwrap();
    store.resolve_alert(&actor, alert.id, "seen in A&E, settled", first + days(2)).await.unwrap();
    let b = blockers(store.record_session(&as_practitioner, at(first + days(30))).await);
    assert!(matches!(b.as_slice(), [Blocker::RecentAlert { disposition: Disposition::Emergency, .. }]), "{b:?}");

    let mut review = screening(patient.id, "eligible_with_precautions");
    review.result["clinician_review_required"] = json!(true);
    let needs_review = store.add_screening(&actor, review).await.unwrap();
    let b = blockers(store.record_session(&as_practitioner, at(first + days(30))).await);
    assert_eq!(b[0], Blocker::ReviewPending, "{b:?}");
    store
        .review_screening(&as_practitioner, patient.id, needs_review.id, ReviewDecision::NotCleared, None)
        .await
        .unwrap();
    let b = blockers(store.record_session(&as_practitioner, at(first + days(30))).await);
    assert_eq!(b[0], Blocker::ReviewNotCleared, "{b:?}");
    store.review_screening(&as_practitioner, patient.id, needs_review.id, ReviewDecision::Cleared, None).await.unwrap();
    let over = NewSession {
        override_reason: Some("Reviewed the emergency notes; the swelling was from a food allergy.".into()),
        override_blockers: vec!["recent_alert".into()],
        ..at(first + days(30))
    };
    store.record_session(&as_practitioner, over).await.unwrap();
}

pub async fn story_check_ins_and_alerts(store: DynStore) {
    let (_, admin, actor) = setup_clinic(&store).await;
    let patient = eligible_patient(&store, &actor, "Carla Check").await;
    let base = t("2030-05-01T09:00:00Z");
    let (sess, scheduled) = store.record_session(&actor, session(patient.id, admin.id, base, &[1, 3])).await.unwrap();
    let me = patient_actor(&patient);

    // An answer fills the scheduled check-in.
    let answer =
        CheckInSubmission { session: Some(sess.id), ..submission(patient.id, Some(scheduled[0].id), base + days(1)) };
    let (filled, alert) = store.submit_check_in(&me, answer.clone()).await.unwrap();
    assert_eq!(alert, None);
    let expected = CheckIn {
        submitted_at: Some(answer.submitted_at),
        submitted_by: Some(ActorKind::Patient),
        request: Some(answer.request.clone()),
        result: Some(answer.result.clone()),
        disposition: Some(Disposition::SelfCare),
        temperature_c: Some(36.8),
        note: Some("a little red".into()),
        ..scheduled[0].clone()
    };
    assert_eq!(filled, expected);
    // Answering it again is never lost: it becomes a check-in of its own.
    let again = CheckInSubmission { note: Some("second thoughts".into()), ..answer.clone() };
    let (extra, _) = store.submit_check_in(&me, again).await.unwrap();
    assert_ne!(extra.id, filled.id);
    assert_eq!((extra.day, extra.due_at, extra.session), (None, None, Some(sess.id)));
    assert_eq!((extra.note.as_deref(), extra.submitted_by), (Some("second thoughts"), Some(ActorKind::Patient)));
    let listed = store.list_check_ins(&actor, patient.id).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.contains(&filled) && listed.contains(&extra) && listed.contains(&scheduled[1]));

    // Alerts carry their deadline and are queued by urgency, then deadline.
    let at = base + days(2);
    let (_, contact_late) =
        store.submit_check_in(&me, alarming(patient.id, at, "contact_clinic", at + days(3))).await.unwrap();
    let contact_late = contact_late.expect("an alert");
    assert_eq!((contact_late.opened_at, contact_late.deadline_at), (at, at + days(3)));
    assert_eq!((contact_late.patient, contact_late.patient_name.as_str()), (patient.id, "Carla Check"));
    assert_eq!((contact_late.disposition.as_str(), contact_late.session), ("contact_clinic", None));
    assert_eq!((contact_late.acknowledged_at, contact_late.resolved_at), (None, None));
    // Each from a patient of their own: a patient's check-ins while an alert is open update that
    // alert (issue 14; `hostile::story_alert_flooding`).
    let mut open = vec![];
    for (i, (disposition, deadline)) in [
        ("urgent_same_day", Duration::hours(4)),
        ("emergency", Duration::hours(2)),
        ("contact_clinic", Duration::hours(1)),
        ("emergency", Duration::minutes(30)),
    ]
    .into_iter()
    .enumerate()
    {
        let other = eligible_patient(&store, &actor, &format!("Carla Check {i}")).await;
        let (other_sess, _) = store.record_session(&actor, session(other.id, admin.id, base, &[1, 3])).await.unwrap();
        let submission =
            CheckInSubmission { session: Some(other_sess.id), ..alarming(other.id, at, disposition, at + deadline) };
        let (check_in, alert) = store.submit_check_in(&patient_actor(&other), submission).await.unwrap();
        let alert = alert.unwrap();
        assert_eq!((alert.check_in, alert.session), (check_in.id, Some(other_sess.id)));
        open.push(alert);
    }
    let [urgent, emergency_late, contact_early, emergency_early] = <[Alert; 4]>::try_from(open).unwrap();
    let queue = vec![emergency_early, emergency_late, urgent.clone(), contact_early.clone(), contact_late.clone()];
    assert_eq!(store.list_alerts(&actor, AlertFilter::Open).await.unwrap(), queue);

    // Acknowledge once, resolve once.
    let now = base + days(3);
    let acked = store.acknowledge_alert(&actor, urgent.id, now).await.unwrap();
    assert_eq!((acked.acknowledged_by, acked.acknowledged_at, acked.resolved_at), (Some(admin.id), Some(now), None));
    assert_err!(store.acknowledge_alert(&actor, urgent.id, now).await, StoreError::InvalidState(_));
    let later = now + Duration::hours(1);
    let resolved = store.resolve_alert(&actor, urgent.id, "called back, all fine", later).await.unwrap();
    assert_eq!((resolved.resolved_by, resolved.resolved_at), (Some(admin.id), Some(later)));
    assert_eq!(
        (resolved.resolution_note.as_deref(), resolved.acknowledged_at),
        (Some("called back, all fine"), Some(now))
    );
    assert_err!(store.resolve_alert(&actor, urgent.id, "again", later).await, StoreError::InvalidState(_));
    assert_err!(store.acknowledge_alert(&actor, urgent.id, later).await, StoreError::InvalidState(_));
    let direct = store.resolve_alert(&actor, contact_early.id, "handled", later).await.unwrap();
    assert_eq!(
        (direct.acknowledged_by, direct.acknowledged_at),
        (Some(admin.id), Some(later)),
        "resolving acknowledges"
    );
    assert_err!(store.acknowledge_alert(&actor, AlertId::new(), now).await, StoreError::NotFound(_));
    assert_err!(store.resolve_alert(&actor, AlertId::new(), "x", now).await, StoreError::NotFound(_));

    let open_now = store.list_alerts(&actor, AlertFilter::Open).await.unwrap();
    assert_eq!(open_now, vec![queue[0].clone(), queue[1].clone(), contact_late.clone()]);
    let all = store.list_alerts(&actor, AlertFilter::All).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[..3], open_now[..], "open alerts come first");
    assert!(all[3..].contains(&resolved) && all[3..].contains(&direct));
}

pub async fn story_follow_ups(store: DynStore) {
    let (clinic, admin, actor) = setup_clinic(&store).await;
    assert_eq!(clinic.settings.missed_check_in_grace_hours, 24);
    let patient = eligible_patient(&store, &actor, "Mia Missed").await;
    let base = t("2030-06-01T09:00:00Z");
    let (_, due) = store.record_session(&actor, session(patient.id, admin.id, base, &[1, 3])).await.unwrap();
    assert_eq!(store.raise_missed_check_ins(base).await.unwrap(), 0);
    let day1 = base + days(1);
    assert_eq!(store.raise_missed_check_ins(day1 + Duration::hours(23)).await.unwrap(), 0, "within the grace");
    let sweep = day1 + Duration::hours(25);
    assert_eq!(store.raise_missed_check_ins(sweep).await.unwrap(), 1);
    assert_eq!(store.raise_missed_check_ins(sweep).await.unwrap(), 0, "raised once");
    assert_eq!(store.raise_missed_check_ins(sweep + Duration::hours(20)).await.unwrap(), 0);
    let open = store.list_follow_ups(&actor, true).await.unwrap();
    assert_eq!(open.len(), 1);
    let f1 = &open[0];
    assert_eq!((f1.patient, f1.patient_name.as_str(), f1.check_in), (patient.id, "Mia Missed", due[0].id));
    assert_eq!((f1.raised_at, f1.resolved_at, f1.resolved_by), (sweep, None, None));
    // A reason code (rendered in the reader's words by the server), not an English sentence.
    assert_eq!(f1.reason, FollowUpReason::MissedCheckIn { day: Some(1) });

    // The patient answering late closes it.
    let late = base + days(2) + Duration::hours(3);
    store.submit_check_in(&patient_actor(&patient), submission(patient.id, Some(due[0].id), late)).await.unwrap();
    assert!(store.list_follow_ups(&actor, true).await.unwrap().is_empty());
    let all = store.list_follow_ups(&actor, false).await.unwrap();
    assert_eq!((all.len(), all[0].id, all[0].resolved_at), (1, f1.id, Some(late)));

    // Staff close one by hand, once.
    let sweep3 = base + days(4) + Duration::hours(1);
    assert_eq!(store.raise_missed_check_ins(sweep3).await.unwrap(), 1);
    let f3 = store.list_follow_ups(&actor, true).await.unwrap().remove(0);
    assert_eq!(f3.check_in, due[1].id);
    let now = sweep3 + Duration::hours(2);
    let resolved = store.resolve_follow_up(&actor, f3.id, "phoned, healing well", now).await.unwrap();
    assert_eq!((resolved.resolved_by, resolved.resolved_at), (Some(admin.id), Some(now)));
    assert_eq!(resolved.note, Some(FollowUpNote::Staff("phoned, healing well".into())));
    assert_err!(store.resolve_follow_up(&actor, f3.id, "again", now).await, StoreError::InvalidState(_));
    assert_err!(store.resolve_follow_up(&actor, FollowUpId::new(), "x", now).await, StoreError::NotFound(_));
    assert_eq!(
        store.raise_missed_check_ins(now + days(30)).await.unwrap(),
        0,
        "a resolved follow-up is not raised again"
    );
    assert_eq!(store.list_follow_ups(&actor, false).await.unwrap().len(), 2);

    // The grace is the clinic's setting.
    let settings = ClinicSettings { missed_check_in_grace_hours: 48, ..clinic.settings.clone() };
    store.update_clinic(&actor, None, None, Some(settings)).await.unwrap();
    let start = base + days(28);
    let (_, due) = store.record_session(&actor, session(patient.id, admin.id, start, &[1])).await.unwrap();
    assert_eq!(store.raise_missed_check_ins(due[0].due_at.unwrap() + Duration::hours(47)).await.unwrap(), 0);
    assert_eq!(store.raise_missed_check_ins(due[0].due_at.unwrap() + Duration::hours(49)).await.unwrap(), 1);
}

/// A screening's findings land on the patient's record in the screening's transaction, audited;
/// a screening without `findings_on_record` leaves the record as it is (issue 11).
pub async fn story_screening_findings_on_record(store: DynStore) {
    let (_, _, actor) = setup_clinic(&store).await;
    let patient = add_patient(&store, &actor, "Cora Sore").await;
    let findings = vec![
        PatientFinding { code: "cold_sore_history".into(), last: None },
        PatientFinding { code: "sunburn".into(), last: Some(date("2026-11-30")) },
    ];
    let new = NewScreening { findings_on_record: Some(findings.clone()), ..screening(patient.id, "defer") };
    let s = store.add_screening(&actor, new).await.unwrap();
    let after = store.patient(&actor, patient.id).await.unwrap();
    assert_eq!(after.findings, findings);
    assert!(after.updated_at >= patient.updated_at);
    let audit = store.list_audit(&actor, Some(patient.id), 50).await.unwrap();
    assert!(
        audit.iter().any(|e| e.action == "patient.findings_from_screening" && e.target == Some(s.id.0)),
        "{audit:?}"
    );
    store.add_screening(&actor, screening(patient.id, "eligible")).await.unwrap();
    assert_eq!(store.patient(&actor, patient.id).await.unwrap().findings, findings, "left as it is");
}

/// Sessions recorded before the numbing cream and the depths were structured (migration 0007):
/// the free-text numbing reads as a legacy note, the depth per area as none, `needle_depth_mm`
/// stays the only depth; a session without numbing stores and reads `null`.
pub async fn story_sessions_before_structured_numbing(store: DynStore) {
    let (_, _, actor) = setup_clinic(&store).await;
    let (practitioner, as_practitioner) = add_practitioner(&store, &actor, "pr@clinic.test").await;
    let patient = add_patient(&store, &actor, "Olga Older").await;
    store.add_screening(&actor, screening(patient.id, "eligible")).await.unwrap();
    let performed = t("2030-03-01T10:00:00Z");
    let plain = NewSession {
        numbing: None,
        depths: vec![],
        warnings: vec![],
        ..session(patient.id, practitioner.id, performed, &[])
    };
    let (none, _) = store.record_session(&as_practitioner, plain).await.unwrap();
    assert_eq!((&none.numbing, &none.numbing_note, none.depths.len(), none.warnings.len()), (&None, &None, 0, 0));

    crate::harness::execute(
        "UPDATE sessions SET numbing = 'lidocaine 5% for 40 min', numbing_detail = NULL, depths = NULL, warnings = NULL",
    )
    .await;
    let old = store.list_sessions(&actor, patient.id).await.unwrap();
    assert_eq!(old.len(), 1);
    assert_eq!((&old[0].numbing, old[0].numbing_note.as_deref()), (&None, Some("lidocaine 5% for 40 min")));
    assert_eq!((old[0].depths.len(), old[0].warnings.len(), old[0].needle_depth_mm), (0, 0, 0.75));
}
