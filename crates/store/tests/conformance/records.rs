//! Patients, the walls between clinics and between patients, and the audit trail.

use chrono::Utc;
use needlepath_store::*;
use serde_json::json;

use crate::fixtures::*;
use crate::harness::insert_clinic;

pub async fn story_patients(store: DynStore) {
    let (clinic, _, actor) = setup_clinic(&store).await;
    let ada = NewPatient {
        name: "Ada Lovelace".into(),
        email: Some("Ada@Example.org".into()),
        phone: Some("+44 20 7946 0000".into()),
        time_zone: needlepath_store::IanaZone::parse("Europe/London").unwrap(),
        birth_date: Some(date("1990-12-10")),
        fitzpatrick: Some(3),
        findings: vec![
            PatientFinding { code: "keloid_history".into(), last: Some(date("2019-04-01")) },
            PatientFinding { code: "acne_active".into(), last: None },
        ],
        allergies: vec!["latex".into()],
        medication: vec!["levothyroxine 50 µg daily".into()],
        consent_messages: true,
    };
    let created = store.create_patient(&actor, ada.clone()).await.unwrap();
    assert_eq!((created.clinic, &created.name, &created.email), (clinic.id, &ada.name, &ada.email));
    assert_eq!((&created.phone, &created.time_zone, created.birth_date), (&ada.phone, &ada.time_zone, ada.birth_date));
    assert_eq!((created.fitzpatrick, &created.findings, created.consent_messages), (Some(3), &ada.findings, true));
    assert_eq!((&created.allergies, &created.medication), (&ada.allergies, &ada.medication));
    assert_eq!(created.created_at, created.updated_at);
    assert_eq!(store.patient(&actor, created.id).await.unwrap(), created);
    assert_err!(store.patient(&actor, PatientId::new()).await, StoreError::NotFound(_));

    // `Some(None)` clears a field, `None` leaves it.
    let update = PatientUpdate {
        name: Some("Ada King".into()),
        email: Some(None),
        fitzpatrick: Some(None),
        birth_date: Some(None),
        findings: Some(vec![]),
        allergies: Some(vec!["latex".into(), "lidocaine".into()]),
        medication: Some(vec![]),
        consent_messages: Some(false),
        ..Default::default()
    };
    let updated = store.update_patient(&actor, created.id, update).await.unwrap();
    let expected = Patient {
        name: "Ada King".into(),
        email: None,
        fitzpatrick: None,
        birth_date: None,
        findings: vec![],
        allergies: vec!["latex".into(), "lidocaine".into()],
        medication: vec![],
        consent_messages: false,
        updated_at: updated.updated_at,
        ..created.clone()
    };
    assert_eq!(updated, expected);
    assert!(updated.updated_at >= created.updated_at);
    assert_eq!(store.patient(&actor, created.id).await.unwrap(), updated);
    let phone = PatientUpdate { phone: Some(Some("+44 20 0000 0000".into())), ..Default::default() };
    assert_eq!(
        store.update_patient(&actor, created.id, phone).await.unwrap().phone.as_deref(),
        Some("+44 20 0000 0000")
    );
    assert_err!(
        store.update_patient(&actor, PatientId::new(), PatientUpdate::default()).await,
        StoreError::NotFound(_)
    );

    // Search: any case on name and e-mail; `%` and `_` are literal characters.
    let mut all = vec![store.patient(&actor, created.id).await.unwrap()];
    for (name, email, phone) in [
        ("Bob Brown", Some("BOB@Example.org"), None),
        ("Carol 100%", None, None),
        ("Dan_Under", None, None),
        ("DanXUnder", None, None),
        ("Eve", None, Some("0176 5551234")),
        ("Ray\\Back", None, None),
    ] {
        let p = NewPatient { email: email.map(Into::into), phone: phone.map(Into::into), ..new_patient(name) };
        all.push(store.create_patient(&actor, p).await.unwrap());
    }
    all.reverse(); // newest first
    let names = |list: Vec<Patient>| list.into_iter().map(|p| p.name).collect::<Vec<_>>();
    let search = |s: &'static str| {
        let store = store.clone();
        let actor = actor.clone();
        async move { names(store.list_patients(&actor, Some(s), 100, 0).await.unwrap()) }
    };
    assert_eq!(search("ada").await, ["Ada King"]);
    assert_eq!(search("KING").await, ["Ada King"]);
    assert_eq!(search("bob@EXAMPLE").await, ["Bob Brown"]);
    assert_eq!(search("example.ORG").await, ["Bob Brown"], "Ada's e-mail was cleared");
    assert_eq!(search("5551234").await, ["Eve"]);
    assert_eq!(search("100%").await, ["Carol 100%"]);
    assert_eq!(search("%").await, ["Carol 100%"], "% is literal");
    assert_eq!(search("_").await, ["Dan_Under"], "_ is literal");
    assert_eq!(search("n_u").await, ["Dan_Under"], "_ is literal");
    assert_eq!(search("\\").await, ["Ray\\Back"], "\\ is literal");
    assert!(search("zzz").await.is_empty());

    // Newest first, in pages.
    let ids = |list: &[Patient]| list.iter().map(|p| p.id).collect::<Vec<_>>();
    let listed = store.list_patients(&actor, None, 100, 0).await.unwrap();
    assert_eq!(listed, all);
    assert_eq!(ids(&store.list_patients(&actor, Some("  "), 100, 0).await.unwrap()), ids(&all), "blank = no search");
    assert!(listed.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    assert_eq!(ids(&store.list_patients(&actor, None, 2, 0).await.unwrap()), ids(&all[..2]));
    assert_eq!(ids(&store.list_patients(&actor, None, 2, 2).await.unwrap()), ids(&all[2..4]));
    assert_eq!(ids(&store.list_patients(&actor, None, 10, 5).await.unwrap()), ids(&all[5..]));
    assert!(store.list_patients(&actor, None, 10, 7).await.unwrap().is_empty());

    // A patient only ever lists themself.
    let ray = patient_actor(&all[0]);
    assert_eq!(ids(&store.list_patients(&ray, None, 100, 0).await.unwrap()), vec![all[0].id]);

    // "Any case" holds beyond ASCII too (clinics serve Özlem and Élodie).
    let email = Some("ÖZLEM@Beispiel.de".to_string());
    store.create_patient(&actor, NewPatient { email, ..new_patient("Özlem Çelik") }).await.unwrap();
    let found = [search("özlem").await, search("ÇELIK").await, search("özlem@BEISPIEL").await];
    assert!(found.iter().all(|v| v == &["Özlem Çelik"]), "non-ASCII search in another case found {found:?}");
}

pub async fn story_tenancy(store: DynStore) {
    let (c1, admin, a1) = setup_clinic(&store).await;
    let c2 = insert_clinic("Clinic Two").await;
    assert_eq!(store.clinic(c2).await.unwrap().settings, ClinicSettings::default());
    assert_eq!(store.list_clinics().await.unwrap().len(), 2);
    let s2 = store.add_staff(&system_actor(c2), new_staff("two@clinic.test", Role::Practitioner)).await.unwrap();
    let a2 = staff_actor(&s2);

    // Clinic one: Ann (screened, treated, with an open alert and a missed check-in) and Ben.
    let ann = eligible_patient(&store, &a1, "Ann").await;
    let ben = eligible_patient(&store, &a1, "Ben").await;
    let performed = Utc::now() - days(10);
    let (sess, _) = store.record_session(&a1, session(ann.id, admin.id, performed, &[1])).await.unwrap();
    store.add_plan(&a1, NewPlan { patient: ann.id, request: json!({}), result: json!({}) }).await.unwrap();
    let (_, alert) = store
        .submit_check_in(&a1, alarming(ann.id, Utc::now(), "urgent_same_day", Utc::now() + days(1)))
        .await
        .unwrap();
    let alert = alert.unwrap();
    assert_eq!(store.raise_missed_check_ins(Utc::now()).await.unwrap(), 1);
    let follow_up = store.list_follow_ups(&a1, true).await.unwrap().remove(0);
    let token = store.create_api_token(&a1, "lab", Role::Admin, "hash-c1").await.unwrap();
    let ann_screening = store.list_screenings(&a1, ann.id).await.unwrap().remove(0);
    // Clinic two: Cleo.
    let cleo = add_patient(&store, &a2, "Cleo").await;

    // Clinic two sees nothing of clinic one.
    assert_err!(store.patient(&a2, ann.id).await, StoreError::NotFound(_));
    assert_err!(store.update_patient(&a2, ann.id, PatientUpdate::default()).await, StoreError::NotFound(_));
    assert!(store.list_screenings(&a2, ann.id).await.unwrap().is_empty());
    assert!(store.list_plans(&a2, ann.id).await.unwrap().is_empty());
    assert!(store.list_sessions(&a2, ann.id).await.unwrap().is_empty());
    assert!(store.list_check_ins(&a2, ann.id).await.unwrap().is_empty());
    assert_err!(store.add_screening(&a2, screening(ann.id, "eligible")).await, StoreError::NotFound(_));
    let new_plan = NewPlan { patient: ann.id, request: json!({}), result: json!({}) };
    assert_err!(store.add_plan(&a2, new_plan).await, StoreError::NotFound(_));
    assert_err!(
        store.review_screening(&a2, ann.id, ann_screening.id, ReviewDecision::Cleared, None).await,
        StoreError::NotFound(_)
    );
    assert_err!(store.record_session(&a2, session(ann.id, s2.id, performed, &[])).await, StoreError::NotFound(_));
    assert_err!(store.submit_check_in(&a2, submission(ann.id, None, Utc::now())).await, StoreError::NotFound(_));
    let hijack = CheckInSubmission { session: Some(sess.id), ..submission(cleo.id, None, Utc::now()) };
    assert_err!(store.submit_check_in(&a2, hijack).await, StoreError::NotFound(_));
    assert!(store.list_alerts(&a2, AlertFilter::All).await.unwrap().is_empty());
    assert_eq!(store.list_alerts(&a1, AlertFilter::All).await.unwrap(), vec![alert.clone()]);
    assert_err!(store.acknowledge_alert(&a2, alert.id, Utc::now()).await, StoreError::NotFound(_));
    assert_err!(store.resolve_alert(&a2, alert.id, "x", Utc::now()).await, StoreError::NotFound(_));
    assert!(store.list_follow_ups(&a2, false).await.unwrap().is_empty());
    assert_err!(store.resolve_follow_up(&a2, follow_up.id, "x", Utc::now()).await, StoreError::NotFound(_));
    assert!(store.list_api_tokens(&a2).await.unwrap().is_empty());
    assert_err!(store.revoke_api_token(&a2, token.id).await, StoreError::NotFound(_));
    assert_eq!(store.list_staff(&a2).await.unwrap(), vec![s2.clone()]);
    let ids = |list: Vec<Patient>| list.into_iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(ids(store.list_patients(&a2, None, 100, 0).await.unwrap()), vec![cleo.id]);
    assert_eq!(ids(store.list_patients(&a1, None, 100, 0).await.unwrap()), vec![ben.id, ann.id]);
    // Each clinic's trail holds only what happened in it (clinic two's trail may name Ann's id
    // where its own staff tried it, but nothing clinic one did).
    let audit1 = store.list_audit(&a1, None, 1000).await.unwrap();
    let audit2 = store.list_audit(&a2, None, 1000).await.unwrap();
    assert!(audit2.iter().any(|e| e.action == "patient.create" && e.patient == Some(cleo.id)));
    // (Cleo herself signed her treatment consent.)
    let own = |id: Option<uuid::Uuid>| id.is_none() || id == Some(s2.id.0) || id == Some(cleo.id.0);
    assert!(audit2.iter().all(|e| own(e.actor_id)), "{audit2:?}");
    assert!(audit2.iter().all(|e| audit1.iter().all(|f| f.id != e.id)));
    let tried = store.list_audit(&a2, Some(ann.id), 1000).await.unwrap();
    assert!(tried.iter().all(|e| e.actor_id == Some(s2.id.0) && e.action.ends_with(".list")), "{tried:?}");
    assert!(audit1.iter().all(|e| e.patient != Some(cleo.id) && e.actor_id != Some(s2.id.0)));
    assert!(audit1.iter().any(|e| e.action == "alert.open" && e.patient == Some(ann.id)));

    // A patient reaches their own record only.
    let as_ann = patient_actor(&ann);
    assert_eq!(store.patient(&as_ann, ann.id).await.unwrap().id, ann.id);
    assert_eq!(store.list_screenings(&as_ann, ann.id).await.unwrap().len(), 1);
    let ben_screening = store.list_screenings(&a1, ben.id).await.unwrap().remove(0);
    let mut leaks = Vec::new();
    let mut expect_not_found = |what: &'static str, r: Result<String>| match r {
        Err(StoreError::NotFound(_)) => {}
        other => leaks.push(format!("{what}: {other:?}")),
    };
    expect_not_found("patient", dbg(store.patient(&as_ann, ben.id).await));
    expect_not_found("update_patient", dbg(store.update_patient(&as_ann, ben.id, PatientUpdate::default()).await));
    expect_not_found("list_screenings", dbg(store.list_screenings(&as_ann, ben.id).await));
    expect_not_found("list_plans", dbg(store.list_plans(&as_ann, ben.id).await));
    expect_not_found("list_sessions", dbg(store.list_sessions(&as_ann, ben.id).await));
    expect_not_found("list_check_ins", dbg(store.list_check_ins(&as_ann, ben.id).await));
    expect_not_found("add_screening", dbg(store.add_screening(&as_ann, screening(ben.id, "eligible")).await));
    let plan = NewPlan { patient: ben.id, request: json!({}), result: json!({}) };
    expect_not_found("add_plan", dbg(store.add_plan(&as_ann, plan).await));
    expect_not_found(
        "submit_check_in",
        dbg(store.submit_check_in(&as_ann, submission(ben.id, None, Utc::now())).await),
    );
    let review = store
        .review_screening(&as_ann, ben.id, ben_screening.id, ReviewDecision::Cleared, Some("seen by Ann".into()))
        .await;
    expect_not_found("review_screening", dbg(review));
    let ben_session = session(ben.id, admin.id, Utc::now(), &[1]);
    expect_not_found("record_session", dbg(store.record_session(&as_ann, ben_session).await));
    expect_not_found("create_invite", dbg(store.create_invite(&as_ann, ben.id, "ann-for-ben", Utc::now()).await));
    assert!(leaks.is_empty(), "a patient actor reached another patient's record:\n{}", leaks.join("\n"));
    assert_eq!((ann.clinic, cleo.clinic), (c1.id, c2));
}

fn dbg<T: std::fmt::Debug>(r: Result<T>) -> Result<String> {
    r.map(|v| format!("{v:?}"))
}

pub async fn story_audit(store: DynStore) {
    let start = ms(Utc::now());
    let (clinic, admin, actor) = setup_clinic(&store).await;
    let patient = eligible_patient(&store, &actor, "Audrey").await;
    let other = add_patient(&store, &actor, "Otto").await;

    store.patient(&actor, patient.id).await.unwrap();
    store.list_screenings(&actor, patient.id).await.unwrap();
    store.list_plans(&actor, patient.id).await.unwrap();
    store.list_sessions(&actor, patient.id).await.unwrap();
    store.list_check_ins(&actor, patient.id).await.unwrap();
    store
        .update_patient(&actor, patient.id, PatientUpdate { name: Some("Audrey H.".into()), ..Default::default() })
        .await
        .unwrap();
    store.list_patients(&actor, None, 10, 0).await.unwrap();
    let target = uuid::Uuid::now_v7();
    store.audit(&actor, "patient.export", Some(patient.id), Some(target)).await.unwrap();
    let token =
        Actor { clinic: clinic.id, who: Who::Token(TokenId::new(), Role::FrontDesk), ip: Some("192.0.2.1".into()) };
    store.patient(&token, patient.id).await.unwrap();
    let own = patient_actor(&patient);
    store.list_check_ins(&own, patient.id).await.unwrap();
    let end = ms(Utc::now());

    let entries = store.list_audit(&actor, Some(patient.id), 1000).await.unwrap();
    assert!(entries.iter().all(|e| e.patient == Some(patient.id)), "filtered by patient: {entries:?}");
    assert!(entries.windows(2).all(|w| w[0].at >= w[1].at), "newest first");
    assert!(entries.iter().all(|e| e.at >= start && e.at <= end));
    let by_admin = |action: &str| {
        entries
            .iter()
            .find(|e| e.action == action && e.actor_kind == ActorKind::Staff)
            .unwrap_or_else(|| panic!("no staff entry {action} in {:?}", actions(&entries)))
    };
    for action in [
        "patient.create",
        "screening.add",
        "patient.read",
        "screening.list",
        "plan.list",
        "session.list",
        "check_in.list",
        "patient.update",
        "patient.export",
    ] {
        let e = by_admin(action);
        assert_eq!((e.actor_id, e.ip.as_deref()), (Some(admin.id.0), Some(IP)), "{action}");
    }
    assert_eq!(by_admin("patient.export").target, Some(target));
    let read_by_token = entries.iter().find(|e| e.actor_kind == ActorKind::ApiToken).expect("the token's read");
    assert_eq!((read_by_token.action.as_str(), read_by_token.actor_id), ("patient.read", token.who.id()));
    assert_eq!(read_by_token.ip.as_deref(), Some("192.0.2.1"));
    let read_by_patient = entries.iter().find(|e| e.actor_kind == ActorKind::Patient).expect("the patient's read");
    assert_eq!((read_by_patient.action.as_str(), read_by_patient.actor_id), ("check_in.list", Some(patient.id.0)));

    let everything = store.list_audit(&actor, None, 1000).await.unwrap();
    assert!(everything.len() > entries.len());
    assert!(everything.iter().any(|e| e.action == "patient.create" && e.patient == Some(other.id)));
    assert!(everything.iter().any(|e| e.action == "patient.list" && e.patient.is_none()));
    assert!(everything.iter().any(|e| e.action == "clinic.setup" && e.target == Some(clinic.id.0)));
    assert_eq!(store.list_audit(&actor, None, 3).await.unwrap(), everything[..3].to_vec());
    assert!(store.list_audit(&actor, Some(other.id), 1000).await.unwrap().iter().all(|e| e.patient == Some(other.id)));
}
