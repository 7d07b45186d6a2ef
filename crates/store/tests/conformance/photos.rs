//! Photos (issue 15, part 2): a photo's record names its image by hash, its view and stage and
//! what it belongs to; clinical staff add and read them, the front desk is refused them in the
//! store itself, and a patient reaches only their own, adding photos to their check-ins only.

use chrono::Utc;
use needlepath_store::*;

use crate::fixtures::*;

fn new_photo(patient: PatientId, n: u8, stage: PhotoStage) -> NewPhoto {
    NewPhoto {
        patient,
        sha256: format!("{n:02x}").repeat(32),
        thumbnail_sha256: format!("{:02x}", n.wrapping_add(1)).repeat(32),
        width: 300,
        height: 400,
        view: if stage == PhotoStage::CheckIn { PhotoView::CheckIn } else { PhotoView::Front },
        stage,
        session: None,
        check_in: None,
        taken_at: ms(Utc::now()),
        redness: None,
    }
}

async fn add(store: &DynStore, actor: &Actor, photo: NewPhoto) -> Result<Photo> {
    let mut unit = store.writing(actor).await?;
    let patient = photo.patient;
    let photo = unit.add_photo(photo).await?;
    unit.finish(Audit::view("photo.uploaded", patient, &[Seen::Photos]).with_target(photo.id.0)).await?;
    Ok(photo)
}

pub async fn story_photos(store: DynStore) {
    let (_, _, admin) = setup_clinic(&store).await;
    let (practitioner, as_practitioner) = add_practitioner(&store, &admin, "pr@clinic.test").await;
    let desk = store.add_staff(&admin, new_staff("desk@clinic.test", Role::FrontDesk)).await.unwrap();
    let as_desk = staff_actor(&desk);
    let patient = eligible_patient(&store, &admin, "Petra Photo").await;
    let other = eligible_patient(&store, &admin, "Otto Other").await;
    let now = Utc::now();
    let (session, check_ins) = store
        .record_session(&as_practitioner, session(patient.id, practitioner.id, now - days(2), &[1]))
        .await
        .unwrap();
    let check_in = check_ins[0].id;

    // A baseline by the practitioner, kept as given; who uploaded it is recorded.
    let baseline = add(&store, &as_practitioner, new_photo(patient.id, 1, PhotoStage::Baseline)).await.unwrap();
    assert_eq!((baseline.width, baseline.height, baseline.view), (300, 400, PhotoView::Front));
    assert_eq!((baseline.uploaded_by_kind, baseline.uploaded_by), (ActorKind::Staff, Some(practitioner.id.0)));
    assert_eq!(baseline.redness, None);
    assert_eq!(baseline.sha256, "01".repeat(32));

    // At a session: it must name the patient's session.
    let mut at_session = new_photo(patient.id, 3, PhotoStage::Session);
    assert_err!(add(&store, &admin, at_session.clone()).await, StoreError::InvalidState(_));
    at_session.session = Some(SessionId::new());
    assert_err!(add(&store, &admin, at_session.clone()).await, StoreError::NotFound("session"));
    at_session.session = Some(session.id);
    let at_session = add(&store, &admin, at_session).await.unwrap();
    assert_eq!(at_session.session, Some(session.id));

    // The patient adds one to their own check-in, and to nothing else.
    let as_patient = patient_actor(&patient);
    assert_err!(
        add(&store, &as_patient, new_photo(patient.id, 5, PhotoStage::Baseline)).await,
        StoreError::InvalidState(_)
    );
    let mut sent = new_photo(patient.id, 7, PhotoStage::CheckIn);
    sent.check_in = Some(check_in);
    assert_err!(add(&store, &patient_actor(&other), sent.clone()).await, StoreError::NotFound(_));
    let mut not_theirs = sent.clone();
    not_theirs.patient = other.id;
    assert_err!(add(&store, &patient_actor(&other), not_theirs).await, StoreError::NotFound("check-in"));
    let sent = add(&store, &as_patient, sent).await.unwrap();
    assert_eq!((sent.uploaded_by_kind, sent.check_in), (ActorKind::Patient, Some(check_in)));

    // Read back: newest first, the same records; one by id.
    let mut unit = store.reading(&admin).await.unwrap();
    let listed = unit.photos(patient.id).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.id).collect::<Vec<_>>(), vec![sent.id, at_session.id, baseline.id]);
    assert_eq!(listed[2], baseline);
    assert_eq!(unit.photo(sent.id).await.unwrap(), sent);
    assert_err!(unit.photo(PhotoId::new()).await, StoreError::NotFound("photo"));
    assert!(unit.photos(other.id).await.unwrap().is_empty());
    unit.finish(Audit::view("photo.list", patient.id, &[Seen::Photos])).await.unwrap();

    // The patient sees their own; another patient sees neither the list nor one by id.
    let mut unit = store.reading(&as_patient).await.unwrap();
    assert_eq!(unit.photos(patient.id).await.unwrap().len(), 3);
    assert_eq!(unit.photo(baseline.id).await.unwrap(), baseline);
    unit.finish(Audit::view("photo.list", patient.id, &[Seen::Photos])).await.unwrap();
    let mut unit = store.reading(&patient_actor(&other)).await.unwrap();
    assert_err!(unit.photos(patient.id).await, StoreError::NotFound(_));
    assert_err!(unit.photo(baseline.id).await, StoreError::NotFound("photo"));
    drop(unit);

    // The front desk (a login or a token) is refused photos by the store itself.
    let desk_token = Actor { clinic: desk.clinic, who: Who::Token(TokenId::new(), Role::FrontDesk), ip: None };
    for actor in [&as_desk, &desk_token] {
        let mut unit = store.reading(actor).await.unwrap();
        assert_err!(unit.photos(patient.id).await, StoreError::Forbidden("photos"));
        assert_err!(unit.photo(baseline.id).await, StoreError::Forbidden("photos"));
        drop(unit);
        assert_err!(add(&store, actor, new_photo(patient.id, 9, PhotoStage::Baseline)).await, StoreError::Forbidden(_));
    }

    // Another clinic's staff do not find them.
    let c2 = crate::harness::insert_clinic("Clinic Two").await;
    let s2 = store.add_staff(&system_actor(c2), new_staff("two@clinic.test", Role::Practitioner)).await.unwrap();
    let stranger = staff_actor(&s2);
    let mut unit = store.reading(&stranger).await.unwrap();
    assert_err!(unit.photo(baseline.id).await, StoreError::NotFound("photo"));
    assert!(unit.photos(patient.id).await.unwrap().is_empty());
    drop(unit);

    // Each unit left its one audit record naming the photos.
    let trail = store.list_audit(&admin, Some(patient.id), 100).await.unwrap();
    let photo_rows = trail.iter().filter(|e| e.action.starts_with("photo.")).count();
    assert_eq!(photo_rows, 5, "three uploads and two lists: {:?}", actions(&trail));
    let seen = trail.iter().find(|e| e.action == "photo.list").map(|e| e.seen.clone());
    assert_eq!(seen, Some(vec![Seen::Photos.as_str().to_owned()]));
}

/// The redness index (issue 15, part 4): a clinician marks a view's regions (marking again
/// replaces them), a photo's index is stored, and a check-in's photo can be put on the queue
/// once; patients and the front desk mark nothing.
pub async fn story_redness_regions(store: DynStore) {
    let (_, _, admin) = setup_clinic(&store).await;
    let (practitioner, as_practitioner) = add_practitioner(&store, &admin, "rr@clinic.test").await;
    let desk = store.add_staff(&admin, new_staff("desk@clinic.test", Role::FrontDesk)).await.unwrap();
    let patient = eligible_patient(&store, &admin, "Rhea Regions").await;
    let (_, check_ins) = store
        .record_session(&as_practitioner, session(patient.id, practitioner.id, Utc::now() - days(2), &[1]))
        .await
        .unwrap();
    let treated = Region::parse("treated", 0.1, 0.2, 0.3, 0.4).unwrap();
    let reference = Region::parse("reference", 0.6, 0.7, 0.2, 0.1).unwrap();
    let now = ms(Utc::now());
    let set = |actor: Actor, t: Region| {
        let store = store.clone();
        async move {
            let mut unit = store.writing(&actor).await?;
            let r = unit.set_redness_regions(patient.id, PhotoView::Front, t, reference, now).await?;
            unit.finish(Audit::view("photo.redness_regions_set", patient.id, &[Seen::Photos])).await?;
            Ok::<_, StoreError>(r)
        }
    };
    let first = set(as_practitioner.clone(), treated).await.unwrap();
    assert_eq!((first.view, first.treated, first.reference), (PhotoView::Front, treated, reference));
    assert_eq!(first.set_by, Some(practitioner.id.0));
    let moved = Region::parse("treated", 0.2, 0.2, 0.3, 0.4).unwrap();
    set(as_practitioner.clone(), moved).await.unwrap();
    assert_err!(set(patient_actor(&patient), treated).await, StoreError::Forbidden(_));
    assert_err!(set(staff_actor(&desk), treated).await, StoreError::Forbidden(_));
    let mut unit = store.reading(&admin).await.unwrap();
    let marked = unit.redness_regions(patient.id).await.unwrap();
    drop(unit);
    assert_eq!(marked.len(), 1, "marking again replaces");
    assert_eq!(marked[0].treated, moved);

    // A photo's index is stored; a check-in photo is put on the queue once.
    let mut sent = new_photo(patient.id, 11, PhotoStage::CheckIn);
    sent.check_in = Some(check_ins[0].id);
    sent.redness = Some(4.25);
    let photo = add(&store, &patient_actor(&patient), sent).await.unwrap();
    assert_eq!(photo.redness, Some(4.25));
    let mut unit = store.writing(&as_practitioner).await.unwrap();
    unit.set_photo_redness(photo.id, Some(6.5)).await.unwrap();
    assert_err!(unit.set_photo_redness(PhotoId::new(), Some(1.0)).await, StoreError::NotFound("photo"));
    unit.finish(Audit::view("photo.redness_read", patient.id, &[Seen::Photos])).await.unwrap();
    for _ in 0..2 {
        let mut unit = store.writing(&patient_actor(&patient)).await.unwrap();
        unit.flag_photo(patient.id, check_ins[0].id, photo.id, now).await.unwrap();
        unit.finish(Audit::view("photo.uploaded", patient.id, &[Seen::Photos])).await.unwrap();
    }
    let follow_ups = store.list_follow_ups(&admin, true).await.unwrap();
    let look: Vec<_> =
        follow_ups.iter().filter(|f| f.reason == FollowUpReason::LookAtPhoto { photo: photo.id.0 }).collect();
    assert_eq!(look.len(), 1, "{follow_ups:?}");
    let mut unit = store.reading(&admin).await.unwrap();
    assert_eq!(unit.photo(photo.id).await.unwrap().redness, Some(6.5));
}
