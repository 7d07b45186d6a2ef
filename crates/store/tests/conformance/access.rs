//! Getting patients back in: a sign-in link is an invite whose e-mail is queued in the same
//! transaction; patients are found by their e-mail address in any clinic; a dead end can name the
//! clinic of a link that was used or has expired; staff never see a sign-in link's link.

use chrono::{Duration, Utc};
use needlepath_store::*;
use serde_json::json;

use crate::fixtures::*;
use crate::harness::insert_clinic;

fn sign_in_message(patient: PatientId, link: &str) -> NewMessage {
    NewMessage {
        key: SIGN_IN_KIND.as_str().into(),
        recipient: Recipient::Patient(patient),
        kind: SIGN_IN_KIND,
        channel: Channel::Email,
        due_at: Utc::now(),
        payload: json!({ "link": link }),
    }
}

pub async fn story_sign_in_links(store: DynStore) {
    let (clinic, _, actor) = setup_clinic(&store).await;
    let patient = store
        .create_patient(&actor, NewPatient { email: Some("sam@patient.test".into()), ..new_patient("Sam Sign") })
        .await
        .unwrap();
    // The same address in another clinic: both are found, each in its clinic.
    let second = system_actor(insert_clinic("Clinic Two").await);
    let other = store
        .create_patient(&second, NewPatient { email: Some("sam@patient.test".into()), ..new_patient("Sam Two") })
        .await
        .unwrap();
    let mut found = store.patients_by_email("SAM@patient.test ").await.unwrap();
    found.sort();
    let mut want = vec![(clinic.id, patient.id), (second.clinic, other.id)];
    want.sort();
    assert_eq!(found, want);
    assert!(store.patients_by_email("nobody@patient.test").await.unwrap().is_empty());

    // The system sends a link: the invite and its e-mail exist together.
    let now = Utc::now();
    let system = system_actor(clinic.id);
    store
        .send_invite(
            &system,
            patient.id,
            "link-1",
            now + Duration::minutes(30),
            sign_in_message(patient.id, "/invite?token=t1"),
        )
        .await
        .unwrap();
    let listed = store.list_messages(&actor, patient.id, 50).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].kind, listed[0].channel), (SIGN_IN_KIND, Channel::Email));
    assert!(listed[0].payload.get("link").is_none(), "staff never see the link: {:?}", listed[0].payload);
    assert_eq!(store.redeem_invite("link-1", now).await.unwrap(), (clinic.id, patient.id));
    assert_err!(store.redeem_invite("link-1", now).await, StoreError::InvalidToken);
    // Used or expired, the link still names its clinic (for the dead end); unknown names none.
    assert_eq!(store.invite_clinic("link-1").await.unwrap(), Some(clinic.id));
    assert_eq!(store.invite_clinic("unknown").await.unwrap(), None);

    // A patient of another clinic cannot be sent a link through this clinic: nothing is queued.
    assert_err!(
        store
            .send_invite(&actor, other.id, "link-2", now + Duration::minutes(30), sign_in_message(other.id, "/x"))
            .await,
        StoreError::NotFound(_)
    );
    assert_err!(store.redeem_invite("link-2", now).await, StoreError::InvalidToken);
    assert!(store.list_messages(&second, other.id, 50).await.unwrap().is_empty());

    // Staff resend; audited as who sent it.
    store
        .send_invite(
            &actor,
            patient.id,
            "link-3",
            now + Duration::hours(72),
            sign_in_message(patient.id, "/invite?token=t3"),
        )
        .await
        .unwrap();
    assert_eq!(store.list_messages(&actor, patient.id, 50).await.unwrap().len(), 2);
    let audit = store.list_audit(&actor, Some(patient.id), 100).await.unwrap();
    let actions = actions(&audit);
    assert!(actions.contains(&"patient.sign_in_link_sent") && actions.contains(&"patient.invite_sent"), "{actions:?}");
}
