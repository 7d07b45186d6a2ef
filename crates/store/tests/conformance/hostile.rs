//! Hostile input at the store (issue 14): what no form or route should send, the store answers
//! without an error on both backends.

use needlepath_store::*;

use crate::fixtures::*;

/// Regression (defect 11): a NUL byte in the login e-mail or the patient search answered 500 on
/// PostgreSQL (which refuses a NUL in a text parameter), before any account was checked. No
/// stored text holds one, so nothing matches.
pub async fn story_a_nul_byte_in_a_login_email_or_a_search_finds_nothing(store: DynStore) {
    let (_, admin, actor) = setup_clinic(&store).await;
    assert_eq!(store.staff_by_email(&format!("{}\0", admin.email)).await.unwrap(), None);
    assert_eq!(store.staff_by_email("\0").await.unwrap(), None);
    assert!(store.patients_by_email("pat\0@example.org").await.unwrap().is_empty());
    let patient = eligible_patient(&store, &actor, "Nul Search").await;
    assert!(store.list_patients(&actor, Some("Nul\0"), 10, 0).await.unwrap().is_empty());
    assert_eq!(
        store.list_patients(&actor, Some("Nul"), 10, 0).await.unwrap().iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![patient.id]
    );
}

/// Regression (defect 8): one patient opened 300 emergency alerts and queued 600 staff e-mails in
/// 80 seconds. Check-ins while an alert is open update it (worst disposition, earliest deadline,
/// a count); staff are told again only when it gets worse, and must acknowledge it again.
pub async fn story_alert_flooding(store: DynStore) {
    use chrono::{Duration, Utc};
    let (_, admin_staff, admin) = setup_clinic(&store).await;
    let patient = add_patient(&store, &admin, "Flo Flood").await;
    let me = patient_actor(&patient);
    let now = Utc::now();
    let escalation = vec![NewMessage {
        key: format!("staff:{}", admin_staff.id),
        recipient: Recipient::Staff(admin_staff.id),
        kind: MessageKind::Alert,
        channel: Channel::Email,
        due_at: now,
        payload: serde_json::json!({ "kind": "alert", "disposition": "contact_clinic", "link": "/staff" }),
    }];
    let submit = |disposition: &'static str, deadline_hours: i64| CheckInSubmission {
        escalation: escalation.clone(),
        ..alarming(patient.id, now, disposition, now + Duration::hours(deadline_hours))
    };
    let (_, first) = store.submit_check_in(&me, submit("contact_clinic", 30)).await.unwrap();
    let first = first.unwrap();
    for _ in 0..20 {
        let (_, again) = store.submit_check_in(&me, submit("contact_clinic", 40)).await.unwrap();
        assert_eq!(again.as_ref().map(|a| a.id), Some(first.id), "the open alert stands for it");
    }
    let open = store.list_alerts(&admin, AlertFilter::Open).await.unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(
        (open[0].check_ins, open[0].disposition, open[0].deadline_at),
        (21, first.disposition, first.deadline_at)
    );
    let claimed = store.claim_messages("w", now, now + Duration::minutes(1), 100).await.unwrap();
    assert_eq!(claimed.len(), 1, "one e-mail for 21 check-ins: {claimed:?}");
    store.acknowledge_alert(&admin, first.id, now).await.unwrap();

    // Worse: the alert takes the worst disposition and the earlier deadline, staff are told
    // again, and the acknowledgement is undone.
    let (worse_check_in, worse) = store.submit_check_in(&me, submit("emergency", 1)).await.unwrap();
    let worse = worse.unwrap();
    assert_eq!(worse.id, first.id);
    assert_eq!(worse.disposition, needlepath_core::vocabulary::Disposition::Emergency);
    assert_eq!(ms(worse.deadline_at), ms(now + Duration::hours(1)), "the earlier deadline");
    assert_eq!(worse.check_in, worse_check_in.id, "the queue shows what made it worse");
    assert_eq!((worse.acknowledged_at, worse.check_ins), (None, 22));
    let claimed = store.claim_messages("w", now, now + Duration::minutes(1), 100).await.unwrap();
    assert_eq!(claimed.len(), 1, "told again, once: {claimed:?}");
    // Not worse again: nothing new is sent, the emergency stays.
    let (latest, same) = store.submit_check_in(&me, submit("contact_clinic", 30)).await.unwrap();
    let same = same.unwrap();
    assert_eq!(same.disposition, needlepath_core::vocabulary::Disposition::Emergency);
    assert_eq!(same.check_in, latest.id, "the queue shows the latest report");
    assert!(store.claim_messages("w", now, now + Duration::minutes(1), 100).await.unwrap().is_empty());
    // Once resolved, the next alarming check-in opens a new alert.
    store.resolve_alert(&admin, first.id, "called back, seen in clinic", now).await.unwrap();
    let (_, next) = store.submit_check_in(&me, submit("contact_clinic", 30)).await.unwrap();
    assert_ne!(next.unwrap().id, first.id);
}

/// Regression (issue 14, defect 2): parallel login guesses slipped past limits kept per process
/// (36 of 60 reached one account). A turn is now read and counted in one transaction in the
/// database, so 60 attempts at once through two instances of the service (two stores on one
/// database) let exactly the free ones through, and the rest wait.
pub async fn story_login_turns_are_counted_once_across_instances(store: std::sync::Arc<dyn Store>) {
    use needlepath_store::{LoginTurn, ThrottleRule};
    let other = crate::harness::second_instance().await;
    let rule = ThrottleRule {
        key: "account-hash".into(),
        free: 5,
        first_wait: chrono::Duration::hours(1),
        cap: chrono::Duration::hours(1),
        window: chrono::Duration::hours(1),
    };
    let address = ThrottleRule { key: "address-hash".into(), free: 50, ..rule.clone() };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..60 {
        let s = if i % 2 == 0 { store.clone() } else { other.clone() };
        let rules = vec![rule.clone(), address.clone()];
        tasks.spawn(async move { s.take_login_turn(&rules, chrono::Utc::now()).await.unwrap() });
    }
    let mut went = Vec::new();
    let mut waits = 0;
    while let Some(turn) = tasks.join_next().await {
        match turn.unwrap() {
            LoginTurn::Go(counts) => went.push(counts),
            LoginTurn::Wait(s) => {
                assert!((3500..=3600).contains(&s), "waits about an hour: {s}");
                waits += 1;
            }
        }
    }
    went.sort();
    assert_eq!(went.len(), 5, "{went:?}");
    assert_eq!(went.iter().map(|c| c[0]).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5], "each counted once");
    // A held-back attempt is not counted under the other key either.
    assert_eq!(went.iter().map(|c| c[1]).max(), Some(5));
    assert_eq!(waits, 55);
    // A success forgets the key: the next attempt goes at once.
    store.forget_login_attempts(&["account-hash".to_string()]).await.unwrap();
    assert_eq!(other.take_login_turn(&[rule], chrono::Utc::now()).await.unwrap(), LoginTurn::Go(vec![1]));
    // Old rows are pruned.
    let later = chrono::Utc::now() + chrono::Duration::minutes(1);
    assert_eq!(store.prune_login_attempts(later).await.unwrap(), 2);
}
