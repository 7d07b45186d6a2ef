//! Time, concurrent writers, and the database's own health.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use needlepath_store::*;

use crate::fixtures::*;

fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub async fn story_timestamps(store: DynStore) {
    // What is read back is what was written, cut to whole milliseconds the same way on both
    // backends; the literal texts below make "the same on both" checkable.
    let setup_at = t("2031-02-03T04:05:06.789123456Z");
    let (clinic, admin, actor) = setup_clinic_at(&store, setup_at).await;
    assert_eq!(text(clinic.created_at), "2031-02-03T04:05:06.789000000Z");
    assert_eq!(text(store.clinic(clinic.id).await.unwrap().updated_at), "2031-02-03T04:05:06.789000000Z");
    assert_eq!(text(admin.created_at), "2031-02-03T04:05:06.789000000Z");
    let patient = eligible_patient(&store, &actor, "Tim Time").await;
    let me = patient_actor(&patient);

    for (written, read) in [
        ("1969-07-20T20:17:40.1239Z", "1969-07-20T20:17:40.123000000Z"),
        ("2000-02-29T23:59:59.9999Z", "2000-02-29T23:59:59.999000000Z"),
        ("2031-02-03T04:05:06.000999Z", "2031-02-03T04:05:06.000000000Z"),
        ("2031-02-03T04:05:06.5Z", "2031-02-03T04:05:06.500000000Z"),
        ("9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999000000Z"),
    ] {
        let at = t(written);
        assert_eq!(text(ms(at)), read, "the expectation itself");
        // Moments apart on purpose: the interval gate is not what this story is about.
        let new =
            NewSession { check_ins: vec![(1, at)], min_interval_days: 0, ..session(patient.id, admin.id, at, &[]) };
        let (sess, scheduled) = store.record_session(&actor, new).await.unwrap();
        assert_eq!((text(sess.performed_at), text(scheduled[0].due_at.unwrap())), (read.into(), read.into()));
        let stored = store.list_sessions(&actor, patient.id).await.unwrap();
        assert_eq!(stored.iter().find(|s| s.id == sess.id), Some(&sess));

        let answer = CheckInSubmission {
            alert: Some(NewAlert { disposition: Disposition::ContactClinic, deadline_at: at }),
            ..submission(patient.id, Some(scheduled[0].id), at)
        };
        let (check_in, alert) = store.submit_check_in(&me, answer).await.unwrap();
        let alert = alert.unwrap();
        assert_eq!(text(check_in.submitted_at.unwrap()), read);
        assert_eq!((text(alert.opened_at), text(alert.deadline_at)), (read.into(), read.into()));
        let listed = store.list_check_ins(&actor, patient.id).await.unwrap();
        assert_eq!(listed.iter().find(|c| c.id == check_in.id), Some(&check_in));
        assert_eq!(store.list_alerts(&actor, AlertFilter::Open).await.unwrap(), vec![alert.clone()]);
        let resolved = store.resolve_alert(&actor, alert.id, "ok", at).await.unwrap();
        assert_eq!(
            (text(resolved.resolved_at.unwrap()), text(resolved.acknowledged_at.unwrap())),
            (read.into(), read.into())
        );

        let login = Login {
            token_hash: format!("login-{written}"),
            clinic: clinic.id,
            kind: LoginKind::Staff,
            principal: admin.id.0,
            csrf_token: "csrf".into(),
            created_at: at,
            expires_at: at + Duration::milliseconds(1),
        };
        store.create_login(&login).await.unwrap();
        let back = store.login(&login.token_hash, ms(at)).await.unwrap().expect("the login is live");
        assert_eq!((text(back.created_at), back.expires_at), (read.into(), ms(at) + Duration::milliseconds(1)));
    }
}

pub async fn story_concurrency(store: DynStore) {
    let (_, _, actor) = setup_clinic(&store).await;
    let patient = eligible_patient(&store, &actor, "Cora Current").await;
    let base = t("2030-07-01T08:00:00Z");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (store, me) = (store.clone(), patient_actor(&patient));
        tasks.spawn(async move {
            let mut report = submission(me.who.id().map(PatientId).unwrap(), None, base + Duration::minutes(i));
            report.note = Some(format!("report {i}"));
            if i % 10 == 0 {
                report.alert = Some(NewAlert { disposition: Disposition::UrgentSameDay, deadline_at: base + days(1) });
            }
            store.submit_check_in(&me, report).await.map(|_| ())
        });
    }
    // Readers at the same time (each read writes its audit record too).
    for _ in 0..10 {
        let (store, actor, id) = (store.clone(), actor.clone(), patient.id);
        tasks.spawn(async move { store.list_check_ins(&actor, id).await.map(|_| ()) });
    }
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Err(e) = joined.expect("the task ran to its end") {
            failures.push(e.to_string());
        }
    }
    assert!(failures.is_empty(), "{} of 60 concurrent calls failed: {failures:?}", failures.len());
    let listed = store.list_check_ins(&actor, patient.id).await.unwrap();
    let notes: BTreeSet<String> = listed.iter().filter_map(|c| c.note.clone()).collect();
    assert_eq!(listed.len(), 50);
    assert_eq!(notes, (0..50).map(|i| format!("report {i}")).collect());
    // The five alarming reports, concurrent as they were, are one alert standing for five.
    let alerts = store.list_alerts(&actor, AlertFilter::Open).await.unwrap();
    assert_eq!(alerts.iter().map(|a| a.check_ins).collect::<Vec<_>>(), vec![5], "{alerts:?}");
    let audit = store.list_audit(&actor, Some(patient.id), 1000).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "check_in.submit").count(), 50);
}

pub async fn story_integrity(store: DynStore) {
    assert!(matches!(store.backend(), "sqlite" | "postgres"), "{}", store.backend());
    store.ping().await.unwrap();
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
    let (_, admin, actor) = setup_clinic(&store).await;
    let patient = eligible_patient(&store, &actor, "Ivy Integrity").await;
    store.record_session(&actor, session(patient.id, admin.id, Utc::now(), &[1, 3])).await.unwrap();
    store.ping().await.unwrap();
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
}
