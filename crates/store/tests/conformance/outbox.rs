//! The outbox and appointments: messages queued with their cause, claimed under a lease,
//! completed only by the claim's holder, withdrawn when their appointment moves.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{Duration, Utc};
use needlepath_store::*;

use crate::fixtures::*;

fn appointment(patient: PatientId, starts_at: chrono::DateTime<Utc>) -> NewAppointment {
    NewAppointment {
        patient,
        plan: None,
        starts_at,
        minutes: 60,
        note: Some("first session".into()),
        practitioner: None,
        window_reason: None,
    }
}

/// Issue 11: one practitioner's booked appointments never overlap (core's rule, checked in the
/// booking's transaction, on booking and on moving); the practitioner and the reason for booking
/// outside the plan's window are kept.
pub async fn story_one_practitioner_s_appointments_never_overlap(store: DynStore) {
    let (_, staff, admin) = setup_clinic(&store).await;
    let a = add_patient(&store, &admin, "Ada").await;
    let b = add_patient(&store, &admin, "Ben").await;
    let ten = Utc::now() + Duration::days(7);
    let with = |patient: PatientId, at, reason: Option<&str>| NewAppointment {
        practitioner: Some(staff.id),
        window_reason: reason.map(str::to_string),
        ..appointment(patient, at)
    };
    let reason = "The patient travels; agreed with the clinician.";
    let first = store.book_appointment(&admin, with(a.id, ten, Some(reason)), vec![]).await.unwrap();
    assert_eq!((first.practitioner, first.window_reason.as_deref()), (Some(staff.id), Some(reason)));
    let clash = store.book_appointment(&admin, with(b.id, ten + Duration::minutes(30), None), vec![]).await;
    assert!(matches!(clash, Err(StoreError::Conflict(ref m)) if m.contains("overlaps")), "{clash:?}");
    // Back to back is fine; moving into the first one is not; without a practitioner nothing clashes.
    let second = store.book_appointment(&admin, with(b.id, ten + Duration::minutes(60), None), vec![]).await.unwrap();
    let moved = store.reschedule_appointment(&admin, b.id, second.id, ten - Duration::minutes(30), vec![]).await;
    assert!(matches!(moved, Err(StoreError::Conflict(_))), "{moved:?}");
    store.book_appointment(&admin, appointment(b.id, ten), vec![]).await.unwrap();
    // A cancelled appointment frees its time.
    store.cancel_appointment(&admin, a.id, first.id).await.unwrap();
    store.book_appointment(&admin, with(b.id, ten - Duration::minutes(30), None), vec![]).await.unwrap();
    let listed = store.list_appointments(&admin, a.id).await.unwrap();
    assert_eq!(listed[0].window_reason.as_deref(), Some(reason), "the reason is kept");
}

/// Regression (issue 11 merge): on PostgreSQL two bookings for one practitioner at the same
/// moment could both pass the overlap check. Eight at once: exactly one is booked.
pub async fn story_concurrent_bookings_for_one_practitioner_never_overlap(store: DynStore) {
    let (_, staff, admin) = setup_clinic(&store).await;
    let at = Utc::now() + Duration::days(9);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let admin = admin.clone();
        let patient = add_patient(&store, &admin, &format!("P{i}")).await;
        let practitioner = Some(staff.id);
        tasks.push(tokio::spawn(async move {
            let a = NewAppointment { practitioner, ..appointment(patient.id, at + Duration::minutes(i)) };
            store.book_appointment(&admin, a, vec![]).await
        }));
    }
    let mut booked = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => booked += 1,
            Err(StoreError::Conflict(m)) => assert!(m.contains("overlaps"), "{m}"),
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(booked, 1, "one practitioner, one appointment at a time");
}

pub async fn story_outbox_lifecycle(store: DynStore) {
    let (clinic, _, admin) = setup_clinic(&store).await;
    let patient = add_patient(&store, &admin, "Ada").await;
    let now = Utc::now();
    let messages = vec![
        reminder(patient.id, "a", Channel::Email, now - Duration::minutes(5)),
        reminder(patient.id, "a", Channel::Webhook, now - Duration::minutes(5)),
        reminder(patient.id, "later", Channel::Email, now + Duration::days(3)),
    ];
    let booked =
        store.book_appointment(&admin, appointment(patient.id, now + Duration::days(7)), messages).await.unwrap();
    assert_eq!((booked.status.as_str(), booked.revision), ("booked", 1));

    // Only what is due is claimed, once.
    let lease = now + Duration::minutes(2);
    let claimed = store.claim_messages("w1", now, lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(claimed.iter().all(|m| m.status == MessageStatus::Sending && m.attempts == 1));
    let keys: HashSet<&str> = claimed.iter().map(|m| m.idempotency_key.as_str()).collect();
    let prefix = format!("appointment:{}:r1:a:", booked.id);
    assert!(keys.contains(format!("{prefix}email").as_str()) && keys.contains(format!("{prefix}webhook").as_str()));
    assert!(store.claim_messages("w2", now, lease, 10).await.unwrap().is_empty());

    // Outcomes count only for the claim's holder.
    let (sent, retried) = (&claimed[0], &claimed[1]);
    let wrong = [(clinic.id, sent.id, Outcome::Sent { detail: "250 ok".into() })];
    assert_eq!(store.complete_messages("w2", &wrong, now).await.unwrap(), 0);
    let retry_at = now + Duration::minutes(1);
    let outcomes = [
        (clinic.id, sent.id, Outcome::Sent { detail: "250 ok".into() }),
        (clinic.id, retried.id, Outcome::Retry { error: "451 try later".into(), at: retry_at }),
    ];
    assert_eq!(store.complete_messages("w1", &outcomes, now).await.unwrap(), 2);
    assert!(store.claim_messages("w1", now, lease, 10).await.unwrap().is_empty());
    let again = store.claim_messages("w1", retry_at, retry_at + Duration::minutes(2), 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].attempts), (retried.id, 2));
    assert_eq!(again[0].idempotency_key, retried.idempotency_key);
    let failed = [(clinic.id, retried.id, Outcome::Failed { error: "550 no such mailbox".into() })];
    assert_eq!(store.complete_messages("w1", &failed, retry_at).await.unwrap(), 1);

    // Staff see what happened to each, and can send a failed one again.
    let list = store.list_messages(&admin, patient.id, 50).await.unwrap();
    assert_eq!(list.len(), 3);
    let by_id = |id: MessageId| list.iter().find(|m| m.id == id).unwrap().clone();
    let s = by_id(sent.id);
    assert_eq!((s.status, s.detail.as_deref(), s.sent_at.is_some()), (MessageStatus::Sent, Some("250 ok"), true));
    let f = by_id(retried.id);
    assert_eq!((f.status, f.last_error.as_deref()), (MessageStatus::Failed, Some("550 no such mailbox")));
    let back = store.retry_message(&admin, retried.id, retry_at).await.unwrap();
    assert_eq!((back.status, back.attempts), (MessageStatus::Pending, 0));
    assert_err!(store.retry_message(&admin, sent.id, retry_at).await, StoreError::InvalidState(_));
    // A patient sees their own messages, not anyone else's.
    let other = add_patient(&store, &admin, "Bob").await;
    assert_eq!(store.list_messages(&patient_actor(&patient), patient.id, 50).await.unwrap().len(), 3);
    assert_err!(store.list_messages(&patient_actor(&other), patient.id, 50).await, StoreError::NotFound(_));
}

pub async fn story_outbox_lease_expiry(store: DynStore) {
    let (clinic, _, admin) = setup_clinic(&store).await;
    let patient = add_patient(&store, &admin, "Ada").await;
    let now = Utc::now();
    let m = vec![reminder(patient.id, "x", Channel::Email, now - Duration::seconds(1))];
    store.book_appointment(&admin, appointment(patient.id, now + Duration::days(2)), m).await.unwrap();
    let first = store.claim_messages("crashed", now, now + Duration::seconds(30), 10).await.unwrap();
    assert_eq!(first.len(), 1);
    // The first worker dies; once its lease runs out the message is claimed again, same key.
    assert!(
        store
            .claim_messages("w2", now + Duration::seconds(29), now + Duration::seconds(90), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let later = now + Duration::seconds(31);
    let second = store.claim_messages("w2", later, later + Duration::seconds(60), 10).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!((second[0].idempotency_key.as_str(), second[0].attempts), (first[0].idempotency_key.as_str(), 2));
    let late = [(clinic.id, first[0].id, Outcome::Sent { detail: "late".into() })];
    assert_eq!(store.complete_messages("crashed", &late, later).await.unwrap(), 0);
    let ok = [(clinic.id, second[0].id, Outcome::Sent { detail: "250".into() })];
    assert_eq!(store.complete_messages("w2", &ok, later).await.unwrap(), 1);

    // Alike outcomes of a batch are recorded together, and still only where the claim holds:
    // of three claimed by w3, one was taken over by w4 when its (shorter) lease ran out.
    let batch: Vec<NewMessage> = (0..3)
        .map(|i| reminder(patient.id, &format!("b{i}"), Channel::Email, later - Duration::seconds(3 - i)))
        .collect();
    store.enqueue(clinic.id, MessageSource::Session(SessionId::new()), &batch).await.unwrap();
    let short = store.claim_messages("w3", later, later + Duration::seconds(10), 1).await.unwrap();
    let long = store.claim_messages("w3", later, later + Duration::seconds(60), 10).await.unwrap();
    assert_eq!((short.len(), long.len()), (1, 2));
    let after = later + Duration::seconds(11);
    let taken = store.claim_messages("w4", after, after + Duration::seconds(60), 10).await.unwrap();
    assert_eq!(taken.iter().map(|m| m.id).collect::<Vec<_>>(), vec![short[0].id]);
    let all: Vec<_> =
        short.iter().chain(&long).map(|m| (clinic.id, m.id, Outcome::Sent { detail: "250".into() })).collect();
    assert_eq!(store.complete_messages("w3", &all, after).await.unwrap(), 2);
    let list = store.list_messages(&admin, patient.id, 50).await.unwrap();
    let status = |id: MessageId| list.iter().find(|m| m.id == id).map(|m| m.status);
    assert_eq!(status(short[0].id), Some(MessageStatus::Sending));
    assert!(long.iter().all(|m| status(m.id) == Some(MessageStatus::Sent)));
    let mine = [(clinic.id, short[0].id, Outcome::Retry { error: "421".into(), at: after + Duration::minutes(1) })];
    assert_eq!(store.complete_messages("w4", &mine, after).await.unwrap(), 1);
}

pub async fn story_appointments_move_their_reminders(store: DynStore) {
    let (_, admin_staff, admin) = setup_clinic(&store).await;
    let (practitioner, _) = add_practitioner(&store, &admin, "p@clinic.test").await;
    let patient = eligible_patient(&store, &admin, "Ada").await;
    let now = Utc::now();
    let starts = now + Duration::days(10);
    let booked = store
        .book_appointment(
            &admin,
            appointment(patient.id, starts),
            vec![reminder(patient.id, "pre", Channel::Email, now + Duration::days(3))],
        )
        .await
        .unwrap();
    let moved = store
        .reschedule_appointment(
            &admin,
            patient.id,
            booked.id,
            starts + Duration::days(1),
            vec![reminder(patient.id, "pre", Channel::Email, now + Duration::days(4))],
        )
        .await
        .unwrap();
    assert_eq!((moved.revision, ms(moved.starts_at)), (2, ms(starts + Duration::days(1))));
    let list = store.list_messages(&admin, patient.id, 50).await.unwrap();
    let withdrawn: Vec<_> = list.iter().filter(|m| m.status == MessageStatus::Withdrawn).collect();
    let pending: Vec<_> = list.iter().filter(|m| m.status == MessageStatus::Pending).collect();
    assert_eq!((withdrawn.len(), pending.len()), (1, 1));
    assert!(withdrawn[0].idempotency_key.contains(":r1:") && pending[0].idempotency_key.contains(":r2:"));
    assert!(withdrawn[0].last_error.as_deref().unwrap_or("").contains("moved"));

    let cancelled = store.cancel_appointment(&admin, patient.id, booked.id).await.unwrap();
    assert_eq!(cancelled.status, AppointmentStatus::Cancelled);
    let list = store.list_messages(&admin, patient.id, 50).await.unwrap();
    assert!(list.iter().all(|m| m.status == MessageStatus::Withdrawn));
    assert_err!(store.cancel_appointment(&admin, patient.id, booked.id).await, StoreError::InvalidState(_));
    assert_err!(
        store.reschedule_appointment(&admin, patient.id, booked.id, starts, vec![]).await,
        StoreError::InvalidState(_)
    );
    // A patient reads their appointments but cannot book.
    assert_eq!(store.list_appointments(&patient_actor(&patient), patient.id).await.unwrap().len(), 1);
    assert_err!(
        store.book_appointment(&patient_actor(&patient), appointment(patient.id, starts), vec![]).await,
        StoreError::NotFound(_)
    );

    // A session recorded near a booked appointment fulfils it, and queues its own reminders.
    let performed = now - Duration::hours(1);
    let today = store
        .book_appointment(
            &admin,
            appointment(patient.id, performed + Duration::hours(2)),
            vec![reminder(patient.id, "day-before", Channel::Email, now + Duration::minutes(30))],
        )
        .await
        .unwrap();
    let mut s = session(patient.id, practitioner.id, performed, &[1]);
    s.messages = vec![reminder(patient.id, "check_in:1d", Channel::Email, performed + Duration::days(1))];
    let (recorded, _) = store.record_session(&admin, s).await.unwrap();
    let after = store.list_appointments(&admin, patient.id).await.unwrap();
    let done = after.iter().find(|a| a.id == today.id).unwrap();
    assert_eq!((done.status.as_str(), done.session), ("done", Some(recorded.id)));
    let list = store.list_messages(&admin, patient.id, 50).await.unwrap();
    let key = format!("session:{}:check_in:1d:email", recorded.id);
    assert!(list.iter().any(|m| m.idempotency_key == key && m.status == MessageStatus::Pending));
    assert!(
        list.iter()
            .filter(|m| m.idempotency_key.contains(&today.id.to_string()))
            .all(|m| m.status == MessageStatus::Withdrawn)
    );
    let _ = admin_staff;
}

pub async fn story_escalation_goes_with_its_alert(store: DynStore) {
    let (_, admin_staff, admin) = setup_clinic(&store).await;
    let patient = add_patient(&store, &admin, "Ada").await;
    let now = Utc::now();
    let escalation = vec![NewMessage {
        key: format!("staff:{}", admin_staff.id),
        recipient: Recipient::Staff(admin_staff.id),
        kind: MessageKind::Alert,
        channel: Channel::Email,
        due_at: now,
        payload: serde_json::json!({ "kind": "alert", "disposition": "urgent_same_day" }),
    }];
    let quiet = CheckInSubmission { escalation: escalation.clone(), ..submission(patient.id, None, now) };
    store.submit_check_in(&patient_actor(&patient), quiet).await.unwrap();
    assert!(store.claim_messages("w", now, now + Duration::minutes(1), 10).await.unwrap().is_empty());
    let loud =
        CheckInSubmission { escalation, ..alarming(patient.id, now, "urgent_same_day", now + Duration::hours(1)) };
    let (_, alert) = store.submit_check_in(&patient_actor(&patient), loud).await.unwrap();
    let alert = alert.unwrap();
    let claimed = store.claim_messages("w", now, now + Duration::minutes(1), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].idempotency_key, format!("alert:{}:staff:{}:email", alert.id, admin_staff.id));
    assert_eq!(claimed[0].recipient, Recipient::Staff(admin_staff.id));
    let to = store.addressee(admin_staff.clinic, claimed[0].recipient).await.unwrap();
    assert_eq!((to.email.as_deref(), to.email_allowed), (Some("admin@clinic.test"), true));
}

pub async fn story_reminder_choices_and_calendar_token(store: DynStore) {
    let (clinic, _, admin) = setup_clinic(&store).await;
    let patient = store
        .create_patient(
            &admin,
            NewPatient {
                email: Some("ada@example.org".into()),
                phone: Some("+49 30 1234".into()),
                time_zone: needlepath_store::IanaZone::parse("America/New_York").unwrap(),
                ..new_patient("Ada")
            },
        )
        .await
        .unwrap();
    let me = patient_actor(&patient);
    let defaults = store.reminder_settings(&me, patient.id).await.unwrap();
    assert_eq!((defaults.email, defaults.sms, defaults.calendar_feed), (true, true, false));
    let to = store.addressee(clinic.id, Recipient::Patient(patient.id)).await.unwrap();
    assert_eq!((to.email_allowed, to.sms_allowed, to.phone.as_deref()), (true, true, Some("+49 30 1234")));
    assert_eq!(
        (to.clinic_name.as_str(), to.name.as_str(), to.email.as_deref(), to.time_zone.name()),
        (clinic.name.as_str(), "Ada", Some("ada@example.org"), "America/New_York")
    );
    assert_err!(store.addressee(clinic.id, Recipient::Patient(PatientId::new())).await, StoreError::NotFound(_));

    let changed = store.set_reminder_channels(&me, patient.id, false, true).await.unwrap();
    assert_eq!((changed.email, changed.sms), (false, true));
    let to = store.addressee(clinic.id, Recipient::Patient(patient.id)).await.unwrap();
    assert_eq!((to.email_allowed, to.sms_allowed), (false, true));

    assert!(store.calendar_feed("hash-1").await.unwrap().is_none());
    let on = store.set_calendar_token(&me, patient.id, Some("hash-1")).await.unwrap();
    assert!(on.calendar_feed && on.calendar_feed_created_at.is_some());
    assert_eq!((on.email, on.sms), (false, true), "the feed leaves the channel choices alone");
    let (who, _, _) = store.calendar_feed("hash-1").await.unwrap().unwrap();
    assert_eq!(who.id, patient.id);
    store.set_calendar_token(&me, patient.id, Some("hash-2")).await.unwrap();
    assert!(store.calendar_feed("hash-1").await.unwrap().is_none(), "a reset link replaces the old one");
    assert!(store.calendar_feed("hash-2").await.unwrap().is_some());
    let off = store.set_calendar_token(&me, patient.id, None).await.unwrap();
    assert!(!off.calendar_feed);
    assert!(store.calendar_feed("hash-2").await.unwrap().is_none());

    // Without consent to messages, no channel may be used whatever the choices.
    store
        .update_patient(&admin, patient.id, PatientUpdate { consent_messages: Some(false), ..PatientUpdate::default() })
        .await
        .unwrap();
    let to = store.addressee(clinic.id, Recipient::Patient(patient.id)).await.unwrap();
    assert_eq!((to.email_allowed, to.sms_allowed), (false, false));
    let other = add_patient(&store, &admin, "Bob").await;
    assert_err!(
        store.set_reminder_channels(&patient_actor(&other), patient.id, true, true).await,
        StoreError::NotFound(_)
    );
}

/// Two workers claiming at once never take the same message (on PostgreSQL through
/// `FOR UPDATE SKIP LOCKED`, on SQLite through its single writer).
pub async fn story_concurrent_claims_never_overlap(store: DynStore) {
    let (clinic, _, admin) = setup_clinic(&store).await;
    let patient = add_patient(&store, &admin, "Ada").await;
    let now = Utc::now();
    let messages: Vec<NewMessage> = (0..600)
        .map(|i| reminder(patient.id, &format!("m{i}"), Channel::Webhook, now - Duration::seconds(i)))
        .collect();
    let source = MessageSource::Session(SessionId::new());
    assert_eq!(store.enqueue(clinic.id, source, &messages).await.unwrap(), 600);
    assert_eq!(store.enqueue(clinic.id, source, &messages).await.unwrap(), 0, "the same keys are the same messages");
    let mut workers = Vec::new();
    for w in 0..4 {
        let store = Arc::clone(&store);
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store.claim_messages(&format!("w{w}"), now, now + Duration::minutes(5), 25).await.unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|m| m.id));
            }
        }));
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for w in workers {
        for id in w.await.unwrap() {
            total += 1;
            assert!(seen.insert(id), "message {id} claimed twice");
        }
    }
    assert_eq!((total, seen.len()), (600, 600));
}
