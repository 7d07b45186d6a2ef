//! The staff side's units of work (`Reading`, `Writing`): the queue, follow-ups, the patient list
//! and the record's changes read and written through one unit, with one audit record when it
//! finishes and none when it is dropped.

use chrono::Duration;
use needlepath_store::*;

use crate::fixtures::*;

fn seen(entry: &AuditEntry) -> Vec<&str> {
    entry.seen.iter().map(String::as_str).collect()
}

pub async fn story_staff_side_units(store: DynStore) {
    let (_, admin, actor) = setup_clinic(&store).await;
    let patient = eligible_patient(&store, &actor, "Una Unit").await;
    let me = patient_actor(&patient);
    let at = t("2030-05-01T09:00:00Z");
    let (sess, due) = store.record_session(&actor, session(patient.id, admin.id, at, &[1, 3])).await.unwrap();
    let alarm =
        CheckInSubmission { session: Some(sess.id), ..alarming(patient.id, at, "emergency", at + Duration::hours(1)) };
    let alert = store.submit_check_in(&me, alarm).await.unwrap().1.expect("an alert");
    assert_eq!(store.raise_missed_check_ins(at + days(1) + Duration::hours(25)).await.unwrap(), 1);
    let before = store.list_audit(&actor, None, 1000).await.unwrap().len();

    // The queue's reads, in one unit, with one record.
    let mut unit = store.reading(&actor).await.unwrap();
    assert_eq!(unit.alert_queue(AlertFilter::Open, Page::ALL).await.unwrap(), vec![alert.clone()]);
    let follow_ups = unit.follow_ups(true, Page::ALL).await.unwrap();
    assert_eq!(follow_ups.iter().map(|f| (f.patient, f.check_in)).collect::<Vec<_>>(), vec![(patient.id, due[0].id)]);
    let found = unit.patients(Some("UNA"), 10, 0).await.unwrap();
    assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), vec![patient.id]);
    assert!(unit.patients(Some("nobody"), 10, 0).await.unwrap().is_empty());
    assert_eq!(unit.clinic_audit(1000).await.unwrap().len(), before, "the unit's reads wrote nothing");
    let audit = Audit {
        also: Vec::new(),
        action: "queue.viewed",
        patient: None,
        target: None,
        seen: vec![Seen::Alerts, Seen::FollowUps],
    };
    unit.finish(audit).await.unwrap();
    let log = store.list_audit(&actor, None, 1000).await.unwrap();
    assert_eq!(log.len(), before + 1);
    assert_eq!(
        (log[0].action.as_str(), log[0].patient, seen(&log[0])),
        ("queue.viewed", None, vec!["alerts", "follow_ups"])
    );

    // A record that names the patients it showed puts a row of it on each one's trail, once
    // each, in the same transaction as its clinic-wide row.
    let trail_before = store.list_audit(&actor, Some(patient.id), 1000).await.unwrap().len();
    let mut unit = store.reading(&actor).await.unwrap();
    unit.alert_queue(AlertFilter::Open, Page::ALL).await.unwrap();
    let audit = Audit {
        also: Vec::new(),
        action: "queue.viewed",
        patient: None,
        target: None,
        seen: vec![Seen::Alerts, Seen::CheckIns, Seen::Patient],
    }
    .showing([patient.id, patient.id]);
    unit.finish(audit).await.unwrap();
    let log = store.list_audit(&actor, None, 1000).await.unwrap();
    assert_eq!(log.len(), before + 3, "the earlier record, this one's clinic-wide row and one patient row");
    let trail = store.list_audit(&actor, Some(patient.id), 1000).await.unwrap();
    assert_eq!(trail.len(), trail_before + 1);
    assert_eq!(
        (trail[0].action.as_str(), trail[0].patient, seen(&trail[0])),
        ("queue.viewed", Some(patient.id), vec!["alerts", "check_ins", "patient"])
    );

    // The queue is staff's (to a patient it is not there); a patient's list of patients is their
    // own record.
    let mut unit = store.reading(&me).await.unwrap();
    assert_err!(unit.alert_queue(AlertFilter::All, Page::ALL).await, StoreError::NotFound(_));
    assert_err!(unit.follow_ups(false, Page::ALL).await, StoreError::NotFound(_));
    assert_err!(unit.clinic_audit(10).await, StoreError::NotFound(_));
    assert_eq!(unit.patients(None, 10, 0).await.unwrap().iter().map(|p| p.id).collect::<Vec<_>>(), vec![patient.id]);
    drop(unit);

    // An acknowledgement reads and changes the alert in its unit; the unit sees its own write.
    let before = store.list_audit(&actor, Some(patient.id), 1000).await.unwrap().len();
    let mut unit = store.writing(&actor).await.unwrap();
    let acked = unit.acknowledge_alert(alert.id, at + Duration::minutes(5)).await.unwrap();
    assert_eq!((acked.acknowledged_at, acked.acknowledged_by), (Some(at + Duration::minutes(5)), Some(admin.id)));
    assert_err!(unit.acknowledge_alert(alert.id, at).await, StoreError::InvalidState(_));
    unit.finish(Audit {
        also: Vec::new(),
        action: "alert.acknowledge",
        patient: Some(patient.id),
        target: Some(alert.id.0),
        seen: vec![Seen::Alerts],
    })
    .await
    .unwrap();
    let trail = store.list_audit(&actor, Some(patient.id), 1000).await.unwrap();
    assert_eq!(trail.len(), before + 1);
    assert_eq!(
        (trail[0].action.as_str(), trail[0].target, seen(&trail[0])),
        ("alert.acknowledge", Some(alert.id.0), vec!["alerts"])
    );

    // A unit dropped unfinished leaves neither its change nor a record.
    let mut unit = store.writing(&actor).await.unwrap();
    let resolved = unit.resolve_alert(alert.id, "called back", at + Duration::minutes(9)).await.unwrap();
    assert_eq!(resolved.resolution_note.as_deref(), Some("called back"));
    unit.resolve_follow_up(follow_ups[0].id, "called", at + days(3)).await.unwrap();
    drop(unit);
    assert_eq!(store.list_alerts(&actor, AlertFilter::Open).await.unwrap().len(), 1, "still open");
    assert_eq!(store.list_follow_ups(&actor, true).await.unwrap().len(), 1, "still open");
    assert_eq!(store.list_audit(&actor, Some(patient.id), 1000).await.unwrap().len(), before + 1);

    // Resolving for good, and closing the follow-up, each in its unit.
    let mut unit = store.writing(&actor).await.unwrap();
    unit.resolve_alert(alert.id, "called back", at + Duration::minutes(9)).await.unwrap();
    assert_err!(unit.resolve_alert(alert.id, "again", at).await, StoreError::InvalidState(_));
    unit.finish(Audit::view("alert.resolve", patient.id, &[Seen::Alerts])).await.unwrap();
    let mut unit = store.writing(&actor).await.unwrap();
    let closed = unit.resolve_follow_up(follow_ups[0].id, "called", at + days(3)).await.unwrap();
    assert_eq!(
        (closed.resolved_at, closed.note),
        (Some(at + days(3)), Some(needlepath_store::FollowUpNote::Staff("called".into())))
    );
    unit.finish(Audit::view("follow_up.resolve", patient.id, &[Seen::FollowUps])).await.unwrap();
    assert!(store.list_alerts(&actor, AlertFilter::Open).await.unwrap().is_empty());
    assert!(store.list_follow_ups(&actor, true).await.unwrap().is_empty());

    // A new record, changed and invited in one unit, with one record.
    let mut unit = store.writing(&actor).await.unwrap();
    let nia = unit.create_patient(new_patient("Nia New")).await.unwrap();
    let update = PatientUpdate { phone: Some(Some("+1 555 0100".into())), ..PatientUpdate::default() };
    let changed = unit.update_patient(nia.id, update).await.unwrap();
    assert_eq!((changed.id, changed.phone.as_deref()), (nia.id, Some("+1 555 0100")));
    unit.create_invite(nia.id, "hash-of-nia-invite", at + days(2)).await.unwrap();
    assert_err!(unit.create_invite(PatientId::new(), "hash-of-nobody", at + days(2)).await, StoreError::NotFound(_));
    unit.finish(Audit::view("patient.create", nia.id, &[Seen::Patient])).await.unwrap();
    assert_eq!(actions(&store.list_audit(&actor, Some(nia.id), 10).await.unwrap()), vec!["patient.create"]);
    assert_eq!(store.patient(&actor, nia.id).await.unwrap().phone.as_deref(), Some("+1 555 0100"));
    assert_eq!(store.redeem_invite("hash-of-nia-invite", at + days(1)).await.unwrap().1, nia.id);
}
