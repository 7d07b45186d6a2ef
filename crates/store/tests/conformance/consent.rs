//! Consent (issue 15): versioned texts, signatures against the current version, withdrawal, a
//! guardian for a minor, and the session gate that reads them, on both backends.

use chrono::Utc;
use needlepath_store::*;
use serde_json::json;

use crate::fixtures::*;

async fn publish(store: &DynStore, actor: &Actor, kind: ConsentKind, body: &str) -> ConsentDocument {
    let mut unit = store.writing(actor).await.unwrap();
    let new = NewConsentDocument { kind, body: body.into(), sha256: format!("{:064x}", body.len()) };
    let document = unit.publish_consent_document(new, Utc::now()).await.unwrap();
    unit.finish(Audit { action: "consent.published", patient: None, target: None, seen: vec![], also: vec![] })
        .await
        .unwrap();
    document
}

async fn sign(store: &DynStore, patient: &Patient, document: &ConsentDocument, signer: Signer) -> Result<Consent> {
    let typed_name = match signer {
        Signer::Patient => patient.name.clone(),
        Signer::Guardian { .. } => "Gina Guardian".to_owned(),
    };
    let mut unit = store.writing(&patient_actor(patient)).await?;
    let consent = unit
        .sign_consent(NewConsent {
            patient: patient.id,
            document: document.id,
            typed_name,
            signer,
            on_paper: false,
            signed_at: Utc::now(),
            address: Some("198.51.100.9".into()),
            user_agent: Some("Firefox".into()),
        })
        .await?;
    unit.finish(Audit::view("consent.signed", patient.id, &[Seen::Consents])).await?;
    Ok(consent)
}

async fn withdraw(store: &DynStore, actor: &Actor, patient: &Patient, id: ConsentId) -> Result<Consent> {
    let mut unit = store.writing(actor).await?;
    let consent = unit.withdraw_consent(patient.id, id, Some("changed my mind"), Utc::now()).await?;
    unit.finish(Audit::view("consent.withdrawn", patient.id, &[Seen::Consents])).await?;
    Ok(consent)
}

fn codes(e: StoreError) -> Vec<&'static str> {
    match e {
        StoreError::SessionBlocked(b) => b.iter().map(|b| b.code()).collect(),
        other => panic!("expected a blocked session, got {other:?}"),
    }
}

pub async fn story_consent(store: DynStore) {
    let (_, admin, actor) = setup_clinic(&store).await;
    let patient = store.create_patient(&actor, new_patient("Connie Consent")).await.unwrap();
    store.add_screening(&actor, screening(patient.id, "eligible")).await.unwrap();
    let at = Utc::now() - days(1);

    // No consent: refused, and no clinician may override it.
    let refused = store.record_session(&actor, session(patient.id, admin.id, at, &[1])).await.unwrap_err();
    assert_eq!(codes(refused), vec!["consent_missing"]);

    // Version 1, signed: the signature keeps the version, its hash, where it came from.
    let v1 = publish(&store, &actor, ConsentKind::Treatment, "Version one. Sources: 002.txt").await;
    assert_eq!(v1.version, 1);
    let signed = sign(&store, &patient, &v1, Signer::Patient).await.unwrap();
    assert_eq!((signed.version, signed.sha256.as_str(), signed.kind), (1, v1.sha256.as_str(), ConsentKind::Treatment));
    assert_eq!((signed.address.as_deref(), signed.user_agent.as_deref()), (Some("198.51.100.9"), Some("Firefox")));
    let mut unit = store.reading(&actor).await.unwrap();
    assert_eq!(unit.consents(patient.id).await.unwrap(), vec![signed.clone()]);
    unit.finish(Audit::view("consent.list", patient.id, &[Seen::Consents])).await.unwrap();

    // A new version: the old one stays as it was, and the next session asks for consent again.
    let v2 = publish(&store, &actor, ConsentKind::Treatment, "Version two. Sources: 002.txt").await;
    assert_eq!(v2.version, 2);
    let mut unit = store.reading(&actor).await.unwrap();
    let documents = unit.consent_documents().await.unwrap();
    assert_eq!(documents.iter().map(|d| d.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(documents[1], v1, "a published version never changes");
    unit.finish(Audit { action: "consent.documents", patient: None, target: None, seen: vec![], also: vec![] })
        .await
        .unwrap();
    let refused = store.record_session(&actor, session(patient.id, admin.id, at, &[1])).await.unwrap_err();
    assert_eq!(codes(refused), vec!["consent_outdated"]);
    // Signing the text read before the new version was published is a conflict.
    assert!(matches!(sign(&store, &patient, &v1, Signer::Patient).await, Err(StoreError::Conflict(_))));
    let signed2 = sign(&store, &patient, &v2, Signer::Patient).await.unwrap();
    let (first, _) = store.record_session(&actor, session(patient.id, admin.id, at, &[1])).await.unwrap();
    assert_eq!(first.patient, patient.id);

    // Withdrawn: honoured at once; withdrawing twice is refused.
    let gone = withdraw(&store, &patient_actor(&patient), &patient, signed2.id).await.unwrap();
    assert_eq!(
        gone.withdrawn.as_ref().map(|w| (w.by, w.note.as_deref())),
        Some((Some(patient.id.0), Some("changed my mind")))
    );
    let later = at + days(40);
    let refused = store.record_session(&actor, session(patient.id, admin.id, later, &[1])).await.unwrap_err();
    assert_eq!(codes(refused), vec!["consent_withdrawn"]);
    assert!(matches!(withdraw(&store, &actor, &patient, signed2.id).await, Err(StoreError::Conflict(_))));

    // Messages: consenting turns them on, withdrawing turns them off.
    let messages = publish(&store, &actor, ConsentKind::Messages, "Reminders by e-mail. Sources: 002.txt").await;
    let quiet = store
        .create_patient(&actor, NewPatient { consent_messages: false, ..new_patient("Quinn Quiet") })
        .await
        .unwrap();
    let yes = sign(&store, &quiet, &messages, Signer::Patient).await.unwrap();
    assert!(store.patient(&actor, quiet.id).await.unwrap().consent_messages);
    withdraw(&store, &actor, &quiet, yes.id).await.unwrap();
    assert!(!store.patient(&actor, quiet.id).await.unwrap().consent_messages);

    // One patient never reaches another's consents, and a patient publishes no text.
    let mut unit = store.reading(&patient_actor(&quiet)).await.unwrap();
    assert!(matches!(unit.consents(patient.id).await, Err(StoreError::NotFound(_))));
    drop(unit);
    let mut unit = store.writing(&patient_actor(&quiet)).await.unwrap();
    let new = NewConsentDocument { kind: ConsentKind::Treatment, body: "mine".into(), sha256: "0".repeat(64) };
    assert!(unit.publish_consent_document(new, Utc::now()).await.is_err());
    drop(unit);

    // A minor: the patient's own signature is not enough; a guardian's is.
    let minor = store.create_patient(&actor, new_patient("Mia Minor")).await.unwrap();
    let mut minor_screening = screening(minor.id, "eligible");
    minor_screening.result["guardian_consent_required"] = json!(true);
    store.add_screening(&actor, minor_screening).await.unwrap();
    sign(&store, &minor, &v2, Signer::Patient).await.unwrap();
    let refused = store.record_session(&actor, session(minor.id, admin.id, at, &[1])).await.unwrap_err();
    assert_eq!(codes(refused), vec!["guardian_consent_missing"]);
    let guardian = Signer::Guardian { relationship: "mother".into() };
    let by_guardian = sign(&store, &minor, &v2, guardian.clone()).await.unwrap();
    assert_eq!((by_guardian.signer, by_guardian.typed_name.as_str()), (guardian, "Gina Guardian"));
    store.record_session(&actor, session(minor.id, admin.id, at, &[1])).await.unwrap();
}
