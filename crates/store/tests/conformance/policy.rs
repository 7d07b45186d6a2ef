//! The clinical-role rule, enforced by the store itself: the front desk cannot read or record
//! clinical records even if a route forgets its access rule, and keeps everything its work needs.

use chrono::{Duration, Utc};
use needlepath_store::*;
use serde_json::json;

use crate::fixtures::*;

pub async fn story_front_desk_cannot_list_screenings_even_if_a_route_forgets(store: DynStore) {
    let (_, _, admin) = setup_clinic(&store).await;
    let (practitioner, as_practitioner) = add_practitioner(&store, &admin, "pr@clinic.test").await;
    let desk = store.add_staff(&admin, new_staff("desk@clinic.test", Role::FrontDesk)).await.unwrap();
    let as_desk = staff_actor(&desk);
    let desk_token = Actor { clinic: desk.clinic, who: Who::Token(TokenId::new(), Role::FrontDesk), ip: None };
    let patient = eligible_patient(&store, &admin, "Dana Desk").await;
    let now = Utc::now();
    let (_, _) = store
        .record_session(&as_practitioner, session(patient.id, practitioner.id, now - days(2), &[1]))
        .await
        .unwrap();
    let (_, alert) =
        store.submit_check_in(&admin, alarming(patient.id, now, "emergency", now + Duration::hours(1))).await.unwrap();
    let alert = alert.expect("an emergency opens an alert");
    let screening_id = store.list_screenings(&admin, patient.id).await.unwrap()[0].id;

    for actor in [&as_desk, &desk_token] {
        assert_err!(store.list_screenings(actor, patient.id).await, StoreError::Forbidden("screenings"));
        assert_err!(store.add_screening(actor, screening(patient.id, "eligible")).await, StoreError::Forbidden(_));
        assert_err!(
            store.review_screening(actor, patient.id, screening_id, ReviewDecision::Cleared, None).await,
            StoreError::Forbidden(_)
        );
        let plan = NewPlan { patient: patient.id, request: json!({}), result: json!({}) };
        assert_err!(store.add_plan(actor, plan).await, StoreError::Forbidden(_));
        let later = session(patient.id, practitioner.id, now - days(1), &[]);
        assert_err!(store.record_session(actor, later).await, StoreError::Forbidden(_));
        assert_err!(store.session_blockers(actor, patient.id, now, 28).await, StoreError::Forbidden(_));
        assert_err!(store.list_overrides(actor, 10).await, StoreError::Forbidden(_));
        assert_err!(store.list_check_ins(actor, patient.id).await, StoreError::Forbidden("check-ins"));
        assert_err!(store.list_alerts(actor, AlertFilter::All).await, StoreError::Forbidden(_));
        assert_err!(store.acknowledge_alert(actor, alert.id, now).await, StoreError::Forbidden(_));
        assert_err!(store.resolve_alert(actor, alert.id, "handled", now).await, StoreError::Forbidden(_));
    }
    // The same through a use case's unit of work (the application layer's way in).
    let mut unit = store.reading(&as_desk).await.unwrap();
    assert_err!(unit.screenings(patient.id).await, StoreError::Forbidden("screenings"));
    assert_err!(unit.check_ins(patient.id).await, StoreError::Forbidden("check-ins"));
    assert_err!(unit.alerts(patient.id).await, StoreError::Forbidden(_));
    assert_err!(unit.blockers(patient.id, now, 28).await, StoreError::Forbidden(_));
    assert_eq!(unit.sessions(patient.id).await.unwrap().len(), 1, "a booking's reads stay open");
    drop(unit);
    // A refused read reads nothing, so it leaves no audit row of a read.
    let audit = store.list_audit(&admin, Some(patient.id), 1000).await.unwrap();
    let by_desk: Vec<&str> =
        audit.iter().filter(|e| e.actor_id == Some(desk.id.0)).map(|e| e.action.as_str()).collect();
    assert!(by_desk.is_empty(), "the front desk's refused calls left {by_desk:?}");
    // Nothing was changed: the alert is still open for a clinician, unacknowledged.
    let open = store.list_alerts(&admin, AlertFilter::Open).await.unwrap();
    assert!(open.iter().any(|a| a.id == alert.id && a.acknowledged_at.is_none()), "{open:?}");

    // What the front desk's work needs stays open: the record's contact details, patients,
    // appointments and messages, follow-ups, and the sessions and plans a booking is checked
    // against (the session number, the plan's window).
    store.patient(&as_desk, patient.id).await.unwrap();
    store.list_patients(&as_desk, None, 10, 0).await.unwrap();
    let update = PatientUpdate { phone: Some(Some("+49 30 1234567".into())), ..Default::default() };
    store.update_patient(&as_desk, patient.id, update).await.unwrap();
    assert_eq!(store.list_sessions(&as_desk, patient.id).await.unwrap().len(), 1);
    store.list_plans(&as_desk, patient.id).await.unwrap();
    store.list_appointments(&as_desk, patient.id).await.unwrap();
    store.list_messages(&as_desk, patient.id, 10).await.unwrap();
    store.list_follow_ups(&as_desk, false).await.unwrap();
    // A check-in typed in by whoever took the call is never refused for their role: it may
    // carry a red flag, and a red flag always opens its alert.
    let (_, phoned) = store
        .submit_check_in(&as_desk, alarming(patient.id, now, "emergency", now + Duration::hours(1)))
        .await
        .unwrap();
    assert!(phoned.is_some(), "a red flag typed in by the front desk still opens its alert");
    // Clinical staff, patients for their own record and the system are not refused.
    store.list_screenings(&as_practitioner, patient.id).await.unwrap();
    store.list_screenings(&patient_actor(&patient), patient.id).await.unwrap();
    store.list_check_ins(&system_actor(patient.clinic), patient.id).await.unwrap();
}
