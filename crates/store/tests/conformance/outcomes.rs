//! Scar grades and outcome answers (issue 15, part 5): a clinician signed in records a grade at
//! a milestone of the patient's plan (corrections are new rows, all kept); the patient answers
//! the questionnaire once per milestone; the front desk and API tokens record no grade, the
//! front desk reads none, and a patient reads only their own.

use chrono::Utc;
use needlepath_core::outcomes::{Improvement, Milestone, ScarGrade};
use needlepath_store::*;
use serde_json::json;

use crate::fixtures::*;

fn grade(patient: PatientId, plan: PlanId, milestone: Milestone, grade: ScarGrade) -> NewScarAssessment {
    NewScarAssessment {
        patient,
        plan,
        milestone,
        grade,
        improvement: (milestone != Milestone::Baseline).then_some(Improvement::Improved),
        note: String::new(),
        assessed_at: ms(Utc::now()),
    }
}

async fn add_grade(store: &DynStore, actor: &Actor, new: NewScarAssessment) -> Result<ScarAssessment> {
    let mut unit = store.writing(actor).await?;
    let patient = new.patient;
    let saved = unit.add_assessment(new).await?;
    unit.finish(Audit::view("outcome.graded", patient, &[Seen::Outcomes]).with_target(saved.id.0)).await?;
    Ok(saved)
}

async fn add_answer(store: &DynStore, actor: &Actor, new: NewOutcomeAnswer) -> Result<OutcomeAnswer> {
    let mut unit = store.writing(actor).await?;
    let patient = new.patient;
    let saved = unit.add_outcome_answer(new).await?;
    unit.finish(Audit::view("outcome.answered", patient, &[Seen::Outcomes]).with_target(saved.id.0)).await?;
    Ok(saved)
}

pub async fn story_outcomes(store: DynStore) {
    let (_, _, admin) = setup_clinic(&store).await;
    let (practitioner, as_practitioner) = add_practitioner(&store, &admin, "og@clinic.test").await;
    let desk = store.add_staff(&admin, new_staff("desk@clinic.test", Role::FrontDesk)).await.unwrap();
    let as_desk = staff_actor(&desk);
    let patient = eligible_patient(&store, &admin, "Greta Grade").await;
    let other = eligible_patient(&store, &admin, "Otto Other").await;
    let plan = store
        .add_plan(&as_practitioner, NewPlan { patient: patient.id, request: json!({}), result: json!({}) })
        .await
        .unwrap();
    let others_plan = store
        .add_plan(&as_practitioner, NewPlan { patient: other.id, request: json!({}), result: json!({}) })
        .await
        .unwrap();

    // A clinician grades; the grade, the milestone and the assessor read back as given.
    let base =
        add_grade(&store, &as_practitioner, grade(patient.id, plan.id, Milestone::Baseline, ScarGrade::Moderate))
            .await
            .unwrap();
    assert_eq!((base.grade, base.milestone, base.improvement), (ScarGrade::Moderate, Milestone::Baseline, None));
    assert_eq!((base.assessed_by, base.note.as_deref()), (practitioner.id, None));
    let mut later = grade(patient.id, plan.id, Milestone::AfterSession(2), ScarGrade::Mild);
    later.note = "Rolling scars softer on both cheeks.".into();
    let later = add_grade(&store, &as_practitioner, later).await.unwrap();
    assert_eq!(
        (later.improvement, later.note.as_deref()),
        (Some(Improvement::Improved), Some("Rolling scars softer on both cheeks."))
    );
    // A correction is a new row; both are kept, oldest first.
    add_grade(&store, &admin, grade(patient.id, plan.id, Milestone::AfterSession(2), ScarGrade::Moderate))
        .await
        .unwrap();

    // Not another patient's plan; not the front desk; not an API token; not the patient.
    assert_err!(
        add_grade(&store, &as_practitioner, grade(patient.id, others_plan.id, Milestone::Baseline, ScarGrade::Mild))
            .await,
        StoreError::NotFound("plan")
    );
    assert_err!(
        add_grade(&store, &as_desk, grade(patient.id, plan.id, Milestone::Baseline, ScarGrade::Mild)).await,
        StoreError::Forbidden(_)
    );
    let as_patient = patient_actor(&patient);
    assert_err!(
        add_grade(&store, &as_patient, grade(patient.id, plan.id, Milestone::Baseline, ScarGrade::Mild)).await,
        StoreError::Forbidden(_)
    );

    // The patient answers once per milestone; nobody answers for them.
    let answer = NewOutcomeAnswer {
        patient: patient.id,
        plan: plan.id,
        milestone: Milestone::AfterSession(2),
        improvement: Improvement::MuchImproved,
        satisfaction: 8,
        recommend: true,
        answered_at: ms(Utc::now()),
    };
    assert_err!(add_answer(&store, &as_practitioner, answer.clone()).await, StoreError::Forbidden(_));
    assert_err!(add_answer(&store, &patient_actor(&other), answer.clone()).await, StoreError::Forbidden(_));
    let saved = add_answer(&store, &as_patient, answer.clone()).await.unwrap();
    assert_eq!((saved.improvement, saved.satisfaction, saved.recommend), (Improvement::MuchImproved, 8, true));
    assert_err!(add_answer(&store, &as_patient, answer).await, StoreError::Conflict(_));

    // Read back: clinical staff and the patient; not the front desk, not another patient.
    let mut unit = store.reading(&as_practitioner).await.unwrap();
    let grades = unit.assessments(patient.id).await.unwrap();
    let answers = unit.outcome_answers(patient.id).await.unwrap();
    unit.finish(Audit::view("outcomes.viewed", patient.id, &[Seen::Outcomes])).await.unwrap();
    assert_eq!(grades.iter().map(|g| g.grade.number()).collect::<Vec<_>>(), vec![3, 2, 3]);
    assert_eq!(answers, vec![saved.clone()]);
    let mut unit = store.reading(&as_patient).await.unwrap();
    assert_eq!(unit.assessments(patient.id).await.unwrap().len(), 3);
    assert_err!(unit.outcome_answers(other.id).await, StoreError::NotFound(_));
    unit.finish(Audit::view("outcomes.viewed", patient.id, &[Seen::Outcomes])).await.unwrap();
    let mut unit = store.reading(&as_desk).await.unwrap();
    assert_err!(unit.assessments(patient.id).await, StoreError::Forbidden(_));
    assert_err!(unit.outcome_answers(patient.id).await, StoreError::Forbidden(_));
}
