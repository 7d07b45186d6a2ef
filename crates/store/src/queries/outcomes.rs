// Scar grades and outcome answers (issue 15, part 5), on a connection the caller holds (a unit
// of work). Part of `queries.rs`. Clinical records: `clinical_side` refuses them to the front
// desk, and `own` confines a patient to theirs.

fn improvement_code(s: &str) -> std::result::Result<Improvement, String> {
    Improvement::from_code(s).ok_or_else(|| "not a known rating of improvement".to_string())
}

fn milestone_code(s: &str) -> std::result::Result<Milestone, String> {
    Milestone::from_code(s).ok_or_else(|| "not a known milestone".to_string())
}

/// A satisfaction score read back: 0 to 10, else the row is reported as corrupt.
fn satisfaction(row: &DbRow, table: &str) -> Result<u8> {
    let v: i64 = get(row, "satisfaction")?;
    u8::try_from(v).ok().filter(|s| *s <= 10).ok_or_else(|| corrupt(table, "satisfaction", &v.to_string(), "not 0 to 10"))
}

fn assessment_from(row: &DbRow) -> Result<ScarAssessment> {
    let grade: i64 = get(row, "grade")?;
    Ok(ScarAssessment {
        id: AssessmentId(get(row, "id")?),
        patient: PatientId(get(row, "patient_id")?),
        plan: PlanId(get(row, "plan_id")?),
        milestone: code(row, "scar_assessments", "milestone", milestone_code)?,
        grade: ScarGrade::from_number(grade)
            .ok_or_else(|| corrupt("scar_assessments", "grade", &grade.to_string(), "not a grade 1 to 4"))?,
        improvement: code_opt(row, "scar_assessments", "improvement", improvement_code)?,
        note: Some(get::<String>(row, "note")?).filter(|n| !n.is_empty()),
        assessed_by: StaffId(get(row, "assessed_by")?),
        assessed_at: time(row, "assessed_at")?,
    })
}

fn outcome_answer_from(row: &DbRow) -> Result<OutcomeAnswer> {
    Ok(OutcomeAnswer {
        id: OutcomeAnswerId(get(row, "id")?),
        patient: PatientId(get(row, "patient_id")?),
        plan: PlanId(get(row, "plan_id")?),
        milestone: code(row, "outcome_answers", "milestone", milestone_code)?,
        improvement: code(row, "outcome_answers", "improvement", improvement_code)?,
        satisfaction: satisfaction(row, "outcome_answers")?,
        recommend: get(row, "recommend")?,
        answered_at: time(row, "answered_at")?,
    })
}

/// The plan must be the patient's, in the actor's clinic.
async fn plan_of_patient(conn: &mut Conn, actor: &Actor, patient: PatientId, plan: PlanId) -> Result<()> {
    let found: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM plans WHERE clinic_id = $1 AND patient_id = $2 AND id = $3")
            .bind(actor.clinic.0)
            .bind(patient.0)
            .bind(plan.0)
            .fetch_optional(&mut *conn)
            .await?;
    found.map(|_| ()).ok_or(StoreError::NotFound("plan"))
}

/// The patient's assessments, oldest first (every correction included).
async fn assessments_on(conn: &mut Conn, actor: &Actor, patient: PatientId) -> Result<Vec<ScarAssessment>> {
    own(actor, patient)?;
    clinical_side(actor, "scar grades")?;
    sqlx::query("SELECT * FROM scar_assessments WHERE clinic_id = $1 AND patient_id = $2 ORDER BY assessed_at, id")
        .bind(actor.clinic.0)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(assessment_from)
        .collect()
}

/// Records a clinician's assessment (a clinical staff member signed in: the grade is theirs).
async fn add_assessment_on(conn: &mut Conn, actor: &Actor, new: NewScarAssessment) -> Result<ScarAssessment> {
    let assessor = match actor.who {
        Who::Staff(id, role) if role.is_clinical() => id,
        _ => return Err(StoreError::Forbidden("recording a scar grade (a clinician signed in)")),
    };
    patient_in(&mut *conn, actor.clinic, new.patient).await?;
    plan_of_patient(&mut *conn, actor, new.patient, new.plan).await?;
    let row = sqlx::query(
        "INSERT INTO scar_assessments (id, clinic_id, patient_id, plan_id, milestone, grade, improvement, note, \
         assessed_by, assessed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
    )
    .bind(AssessmentId::new().0)
    .bind(actor.clinic.0)
    .bind(new.patient.0)
    .bind(new.plan.0)
    .bind(new.milestone.code())
    .bind(i64::from(new.grade.number()))
    .bind(new.improvement.map(Improvement::as_str))
    .bind(&new.note)
    .bind(assessor.0)
    .bind(ts(new.assessed_at))
    .fetch_one(&mut *conn)
    .await?;
    assessment_from(&row)
}

/// The patient's questionnaire answers, oldest first.
async fn outcome_answers_on(conn: &mut Conn, actor: &Actor, patient: PatientId) -> Result<Vec<OutcomeAnswer>> {
    own(actor, patient)?;
    clinical_side(actor, "outcome answers")?;
    sqlx::query("SELECT * FROM outcome_answers WHERE clinic_id = $1 AND patient_id = $2 ORDER BY answered_at, id")
        .bind(actor.clinic.0)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(outcome_answer_from)
        .collect()
}

/// Records the patient's answer (the patient themself); one per plan and milestone.
async fn add_outcome_answer_on(conn: &mut Conn, actor: &Actor, new: NewOutcomeAnswer) -> Result<OutcomeAnswer> {
    if !matches!(actor.who, Who::Patient(p) if p == new.patient) {
        return Err(StoreError::Forbidden("answering the outcome questionnaire (the patient themself)"));
    }
    plan_of_patient(&mut *conn, actor, new.patient, new.plan).await?;
    let answered: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM outcome_answers WHERE clinic_id = $1 AND plan_id = $2 AND milestone = $3",
    )
    .bind(actor.clinic.0)
    .bind(new.plan.0)
    .bind(new.milestone.code())
    .fetch_optional(&mut *conn)
    .await?;
    if answered.is_some() {
        return Err(StoreError::Conflict(format!(
            "the questionnaire for {} is already answered",
            new.milestone.label().to_lowercase()
        )));
    }
    let row = sqlx::query(
        "INSERT INTO outcome_answers (id, clinic_id, patient_id, plan_id, milestone, improvement, satisfaction, \
         recommend, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
    )
    .bind(OutcomeAnswerId::new().0)
    .bind(actor.clinic.0)
    .bind(new.patient.0)
    .bind(new.plan.0)
    .bind(new.milestone.code())
    .bind(new.improvement.as_str())
    .bind(i64::from(new.satisfaction))
    .bind(new.recommend)
    .bind(ts(new.answered_at))
    .fetch_one(&mut *conn)
    .await?;
    outcome_answer_from(&row)
}
