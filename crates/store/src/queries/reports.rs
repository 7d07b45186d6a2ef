// The clinic's outcome report (issue 15, part 6), on a connection the caller holds. Part of
// `queries.rs`. Admins only.

fn admins_only(actor: &Actor) -> Result<()> {
    match actor.who {
        Who::Staff(_, Role::Admin) | Who::Token(_, Role::Admin) | Who::System => Ok(()),
        _ => Err(StoreError::Forbidden("the clinic's outcome report (admins)")),
    }
}

fn count(row: &DbRow, col: &str) -> Result<u32> {
    let v: i64 = get(row, col)?;
    u32::try_from(v).map_err(|_| corrupt("report", col, &v.to_string(), "not a count"))
}

/// Sessions performed in `[from, to)`, with their check-ins due by `now` and their alerts.
async fn report_sessions_on(
    conn: &mut Conn,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<SessionFact>> {
    admins_only(actor)?;
    let rows = sqlx::query(
        "SELECT s.id, s.practitioner_id, s.performed_at, s.override_reason, \
         (SELECT COUNT(*) FROM check_ins c WHERE c.clinic_id = s.clinic_id AND c.session_id = s.id \
            AND c.due_at IS NOT NULL AND c.due_at <= $4) AS due, \
         (SELECT COUNT(*) FROM check_ins c WHERE c.clinic_id = s.clinic_id AND c.session_id = s.id \
            AND c.due_at IS NOT NULL AND c.due_at <= $4 AND c.submitted_at IS NOT NULL) AS answered \
         FROM sessions s WHERE s.clinic_id = $1 AND s.performed_at >= $2 AND s.performed_at < $3 \
         ORDER BY s.performed_at, s.id",
    )
    .bind(actor.clinic.0)
    .bind(ts(from))
    .bind(ts(to))
    .bind(ts(now))
    .fetch_all(&mut *conn)
    .await?;
    let mut facts = Vec::with_capacity(rows.len());
    for row in &rows {
        facts.push(SessionFact {
            session: SessionId(get(row, "id")?),
            practitioner: StaffId(get(row, "practitioner_id")?),
            performed_at: time(row, "performed_at")?,
            overridden: get::<Option<String>>(row, "override_reason")?.is_some(),
            check_ins_due: count(row, "due")?,
            check_ins_answered: count(row, "answered")?,
            alerts: Vec::new(),
        });
    }
    let alerts = sqlx::query(
        "SELECT a.session_id, a.disposition FROM alerts a JOIN sessions s \
         ON s.clinic_id = a.clinic_id AND s.id = a.session_id \
         WHERE a.clinic_id = $1 AND s.performed_at >= $2 AND s.performed_at < $3",
    )
    .bind(actor.clinic.0)
    .bind(ts(from))
    .bind(ts(to))
    .fetch_all(&mut *conn)
    .await?;
    for row in &alerts {
        let session = SessionId(get(row, "session_id")?);
        let disposition = disposition(row, "alerts", "disposition")?;
        if let Some(f) = facts.iter_mut().find(|f| f.session == session) {
            f.alerts.push(disposition);
        }
    }
    Ok(facts)
}

/// Grades recorded in `[from, to)` after baseline, with their series' latest baseline grade and
/// the practitioner who treated the patient last before each.
async fn report_grades_on(conn: &mut Conn, actor: &Actor, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<GradeFact>> {
    admins_only(actor)?;
    let rows = sqlx::query(
        "SELECT a.plan_id, a.milestone, a.grade, a.assessed_at, \
         (SELECT b.grade FROM scar_assessments b WHERE b.clinic_id = a.clinic_id AND b.plan_id = a.plan_id \
            AND b.milestone = 'baseline' ORDER BY b.assessed_at DESC LIMIT 1) AS baseline_grade, \
         (SELECT s.practitioner_id FROM sessions s WHERE s.clinic_id = a.clinic_id AND s.patient_id = a.patient_id \
            AND s.performed_at <= a.assessed_at ORDER BY s.performed_at DESC LIMIT 1) AS practitioner_id \
         FROM scar_assessments a WHERE a.clinic_id = $1 AND a.assessed_at >= $2 AND a.assessed_at < $3 \
            AND a.milestone <> 'baseline' ORDER BY a.assessed_at, a.id",
    )
    .bind(actor.clinic.0)
    .bind(ts(from))
    .bind(ts(to))
    .fetch_all(&mut *conn)
    .await?;
    let grade_of = |row: &DbRow, col: &str| -> Result<Option<ScarGrade>> {
        get::<Option<i64>>(row, col)?
            .map(|g| ScarGrade::from_number(g).ok_or_else(|| corrupt("scar_assessments", "grade", &g.to_string(), "not 1 to 4")))
            .transpose()
    };
    rows.iter()
        .map(|row| {
            Ok(GradeFact {
                plan: PlanId(get(row, "plan_id")?),
                milestone: code(row, "scar_assessments", "milestone", milestone_code)?,
                grade: grade_of(row, "grade")?
                    .ok_or_else(|| corrupt("scar_assessments", "grade", "NULL", "a grade is required"))?,
                baseline: grade_of(row, "baseline_grade")?,
                assessed_at: time(row, "assessed_at")?,
                practitioner: uuid_opt(row, "practitioner_id")?.map(StaffId),
            })
        })
        .collect()
}

/// Questionnaire answers given in `[from, to)`, with the practitioner who treated the patient
/// last before each.
async fn report_answers_on(conn: &mut Conn, actor: &Actor, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<AnswerFact>> {
    admins_only(actor)?;
    let rows = sqlx::query(
        "SELECT o.milestone, o.improvement, o.satisfaction, o.recommend, o.answered_at, \
         (SELECT s.practitioner_id FROM sessions s WHERE s.clinic_id = o.clinic_id AND s.patient_id = o.patient_id \
            AND s.performed_at <= o.answered_at ORDER BY s.performed_at DESC LIMIT 1) AS practitioner_id \
         FROM outcome_answers o WHERE o.clinic_id = $1 AND o.answered_at >= $2 AND o.answered_at < $3 \
         ORDER BY o.answered_at, o.id",
    )
    .bind(actor.clinic.0)
    .bind(ts(from))
    .bind(ts(to))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AnswerFact {
                milestone: code(row, "outcome_answers", "milestone", milestone_code)?,
                improvement: code(row, "outcome_answers", "improvement", improvement_code)?,
                satisfaction: satisfaction(row, "outcome_answers")?,
                recommend: get(row, "recommend")?,
                answered_at: time(row, "answered_at")?,
                practitioner: uuid_opt(row, "practitioner_id")?.map(StaffId),
            })
        })
        .collect()
}
