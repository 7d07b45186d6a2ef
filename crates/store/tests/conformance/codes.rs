//! Stored codes read back as core's vocabulary: a value the store cannot read is reported as
//! corrupt (naming table, column and value), never defaulted; reason codes replace English, and
//! rows written before them still read.

use chrono::{Duration, Utc};
use needlepath_core::vocabulary::Disposition;
use needlepath_store::*;

use crate::fixtures::*;
use crate::harness::execute;

/// The message of a `Corrupt` error; anything else fails the test.
fn corrupt<T: std::fmt::Debug>(result: Result<T>) -> String {
    match result {
        Err(StoreError::Corrupt(m)) => m,
        other => panic!("expected StoreError::Corrupt, got {other:?}"),
    }
}

/// Regression (issue 13 item 4): an alert or check-in whose disposition was written by hand (or by
/// a damaged database) as something triage never says used to read as a string, and the session
/// gates took it for an emergency by default. It is now reported as corrupt everywhere it is read.
pub async fn story_an_unknown_disposition_is_corrupt_not_defaulted(store: DynStore) {
    let (_, admin, actor) = setup_clinic(&store).await;
    let patient = eligible_patient(&store, &actor, "Cora Corrupt").await;
    let at = Utc::now() - days(1);
    let answer = alarming(patient.id, at, "urgent_same_day", at + Duration::hours(1));
    let (check_in, alert) = store.submit_check_in(&patient_actor(&patient), answer).await.unwrap();
    assert_eq!(check_in.disposition, Some(Disposition::UrgentSameDay));
    assert_eq!(alert.map(|a| a.disposition), Some(Disposition::UrgentSameDay));

    execute("UPDATE alerts SET disposition = 'catastrophic'").await;
    let m = corrupt(store.list_alerts(&actor, AlertFilter::All).await);
    assert!(m.contains("alerts.disposition") && m.contains("'catastrophic'"), "{m}");
    let m = corrupt(store.record_session(&staff_actor(&admin), session(patient.id, admin.id, Utc::now(), &[1])).await);
    assert!(m.contains("alerts.disposition") && m.contains("'catastrophic'"), "the gates never guess: {m}");

    execute("UPDATE check_ins SET disposition = 'fine_probably'").await;
    let m = corrupt(store.list_check_ins(&actor, patient.id).await);
    assert!(m.contains("check_ins.disposition") && m.contains("'fine_probably'"), "{m}");
}

pub async fn story_unknown_codes_of_other_vocabularies_are_corrupt(store: DynStore) {
    let (clinic, _, actor) = setup_clinic(&store).await;
    let patient = eligible_patient(&store, &actor, "Vera Vocab").await;
    let starts = Utc::now() + days(10);
    let appointment = NewAppointment {
        patient: patient.id,
        plan: None,
        starts_at: starts,
        minutes: 60,
        note: None,
        practitioner: None,
        window_reason: None,
    };
    store.book_appointment(&actor, appointment, vec![]).await.unwrap();
    let source = MessageSource::Invite(uuid::Uuid::now_v7());
    store.enqueue(clinic.id, source, &[reminder(patient.id, "r", Channel::Email, starts)]).await.unwrap();

    execute("UPDATE screenings SET decision = 'probably_fine'").await;
    let m = corrupt(store.list_screenings(&actor, patient.id).await);
    assert!(m.contains("screenings.decision") && m.contains("'probably_fine'"), "{m}");

    // An appointment's status is guarded by the schema as well (a CHECK constraint); its reader
    // refuses an unknown one like the others.
    assert_eq!(store.list_appointments(&actor, patient.id).await.unwrap()[0].status, AppointmentStatus::Booked);

    execute("UPDATE messages SET kind = 'telegram'").await;
    let m = corrupt(store.list_messages(&actor, patient.id, 10).await);
    assert!(m.contains("messages.kind") && m.contains("'telegram'"), "{m}");

    execute("UPDATE patients SET time_zone = 'Mars/Olympus_Mons'").await;
    let m = corrupt(store.patient(&actor, patient.id).await);
    assert!(m.contains("patients.time_zone") && m.contains("'Mars/Olympus_Mons'"), "{m}");
}

/// Follow-ups are raised with a reason code and closed by a check-in with a note code; rows
/// written before codes hold English sentences, which still read (as the text they are).
pub async fn story_follow_up_reasons_are_codes_and_old_sentences_still_read(store: DynStore) {
    let (_, admin, actor) = setup_clinic(&store).await;
    let patient = eligible_patient(&store, &actor, "Otto Old").await;
    let base = t("2030-06-01T09:00:00Z");
    let (_, due) = store.record_session(&actor, session(patient.id, admin.id, base, &[1, 3])).await.unwrap();
    let first = due.iter().find(|c| c.day == Some(1)).map(|c| c.id);

    assert_eq!(store.raise_missed_check_ins(base + days(5)).await.unwrap(), 2);
    let mut reasons: Vec<FollowUpReason> =
        store.list_follow_ups(&actor, true).await.unwrap().into_iter().map(|f| f.reason).collect();
    reasons.sort_by_key(FollowUpReason::code);
    assert_eq!(
        reasons,
        vec![FollowUpReason::MissedCheckIn { day: Some(1) }, FollowUpReason::MissedCheckIn { day: Some(3) }]
    );

    store.submit_check_in(&patient_actor(&patient), submission(patient.id, first, base + days(6))).await.unwrap();
    let closed: Vec<FollowUp> =
        store.list_follow_ups(&actor, false).await.unwrap().into_iter().filter(|f| f.resolved_at.is_some()).collect();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].note, Some(FollowUpNote::PatientCheckedIn));

    // As an older version wrote them.
    execute("UPDATE follow_ups SET reason = 'no check-in on day 3 after the session' WHERE resolved_at IS NULL").await;
    execute("UPDATE follow_ups SET note = 'the patient checked in' WHERE resolved_at IS NOT NULL").await;
    let all = store.list_follow_ups(&actor, false).await.unwrap();
    let open = all.iter().find(|f| f.resolved_at.is_none()).map(|f| f.reason.clone());
    assert_eq!(open, Some(FollowUpReason::Text("no check-in on day 3 after the session".into())));
    let note = all.iter().find(|f| f.resolved_at.is_some()).and_then(|f| f.note.clone());
    assert_eq!(note, Some(FollowUpNote::PatientCheckedIn));
}
