// Reads of a patient's record on a connection the caller holds (the store's own methods, which
// audit each read, and the units of `unit.rs`, which audit once). Part of `queries.rs`.

type Conn = <Db as sqlx::Database>::Connection;

async fn clinic_on(conn: &mut Conn, id: ClinicId) -> Result<Clinic> {
    let row = sqlx::query("SELECT * FROM clinics WHERE clinic_id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("clinic"))?;
    clinic_from(&row)
}

async fn staff_list_on(conn: &mut Conn, actor: &Actor) -> Result<Vec<Staff>> {
    staff_side(actor)?;
    let rows = sqlx::query("SELECT * FROM staff WHERE clinic_id = $1 ORDER BY created_at, id")
        .bind(actor.clinic.0)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(staff_from).collect()
}

async fn screenings_on(conn: &mut Conn, actor: &Actor, patient: PatientId, page: Page) -> Result<Vec<Screening>> {
    own(actor, patient)?;
    clinical_side(actor, "screenings")?;
    let rows = sqlx::query(
        "SELECT * FROM screenings WHERE clinic_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
    )
            .bind(actor.clinic.0)
            .bind(patient.0)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(screening_from).collect()
}

/// Every list of a patient's history reads one page (`Page::ALL` for the whole of it): a page
/// that shows the latest few reads no more, however long the history (issue 16).
async fn plans_on(conn: &mut Conn, actor: &Actor, patient: PatientId, page: Page) -> Result<Vec<Plan>> {
    own(actor, patient)?;
    let rows = sqlx::query(
        "SELECT * FROM plans WHERE clinic_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
    )
        .bind(actor.clinic.0)
        .bind(patient.0)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(plan_from).collect()
}

async fn sessions_on(conn: &mut Conn, actor: &Actor, patient: PatientId, page: Page) -> Result<Vec<Session>> {
    own(actor, patient)?;
    let rows = sqlx::query(
        "SELECT * FROM sessions WHERE clinic_id = $1 AND patient_id = $2 ORDER BY performed_at DESC, id DESC LIMIT $3 OFFSET $4",
    )
            .bind(actor.clinic.0)
            .bind(patient.0)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(session_from).collect()
}

/// The latest `page` of the patient's check-ins (skipping `offset` newest), in time order.
async fn check_ins_on(conn: &mut Conn, actor: &Actor, patient: PatientId, page: Page) -> Result<Vec<CheckIn>> {
    own(actor, patient)?;
    clinical_side(actor, "check-ins")?;
    let rows = sqlx::query(
        "SELECT * FROM check_ins WHERE clinic_id = $1 AND patient_id = $2 \
         ORDER BY COALESCE(submitted_at, due_at) DESC, id DESC LIMIT $3 OFFSET $4",
    )
    .bind(actor.clinic.0)
    .bind(patient.0)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&mut *conn)
    .await?;
    let mut list = rows.iter().map(check_in_from).collect::<Result<Vec<_>>>()?;
    list.reverse();
    Ok(list)
}

/// One check-in of the patient.
async fn check_in_on(conn: &mut Conn, actor: &Actor, patient: PatientId, id: CheckInId) -> Result<Option<CheckIn>> {
    own(actor, patient)?;
    clinical_side(actor, "check-ins")?;
    let row = sqlx::query("SELECT * FROM check_ins WHERE clinic_id = $1 AND patient_id = $2 AND id = $3")
        .bind(actor.clinic.0)
        .bind(patient.0)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(check_in_from).transpose()
}

async fn appointments_on(conn: &mut Conn, actor: &Actor, patient: PatientId, page: Page) -> Result<Vec<Appointment>> {
    own(actor, patient)?;
    let rows = sqlx::query(
        "SELECT * FROM appointments WHERE clinic_id = $1 AND patient_id = $2 ORDER BY starts_at DESC, id DESC LIMIT $3 OFFSET $4",
    )
            .bind(actor.clinic.0)
            .bind(patient.0)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(appointment_from).collect()
}

async fn messages_on(conn: &mut Conn, actor: &Actor, patient: PatientId, limit: u32) -> Result<Vec<Message>> {
    own(actor, patient)?;
    let rows = sqlx::query(
        "SELECT * FROM messages WHERE clinic_id = $1 AND patient_id = $2 ORDER BY due_at DESC, id DESC LIMIT $3",
    )
    .bind(actor.clinic.0)
    .bind(patient.0)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    let mut list = rows.iter().map(message_from).collect::<Result<Vec<_>>>()?;
    for m in &mut list {
        crate::access::redact_link(m.kind, &mut m.payload);
    }
    Ok(list)
}

/// A use case's one audit record, naming what it saw.
async fn audit_record_on(conn: &mut Conn, actor: &Actor, audit: &crate::unit::Audit) -> Result<()> {
    let seen = (!audit.seen.is_empty())
        .then(|| audit.seen.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","));
    let at = ts(Utc::now());
    // The record itself, then one row of it for each other patient the answer showed, once each.
    let mut shown: Vec<Option<PatientId>> = vec![audit.patient];
    for p in &audit.also {
        if !shown.contains(&Some(*p)) {
            shown.push(Some(*p));
        }
    }
    // One statement for all the rows (a queue page shows up to a hundred patients): 10
    // parameters a row, 300 rows a statement, under SQLite's 32,766.
    let who = actor.who.id();
    for chunk in shown.chunks(300) {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO audit (clinic_id, id, at, actor_kind, actor_id, action, patient_id, target_id, ip, seen) ",
        );
        q.push_values(chunk, |mut row, patient| {
            row.push_bind(actor.clinic.0)
                .push_bind(AuditId::new().0)
                .push_bind(at)
                .push_bind(actor.who.kind().as_str())
                .push_bind(who)
                .push_bind(audit.action)
                .push_bind(patient.map(|p| p.0))
                .push_bind(audit.target)
                .push_bind(actor.ip.clone())
                .push_bind(seen.clone());
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// A screening and the findings it puts on the record, in the caller's transaction (which writes
/// the screening's audit record; the change to the record's findings is audited here, as such).
async fn add_screening_on(tx: &mut <Db as sqlx::Database>::Connection, actor: &Actor, s: &NewScreening) -> Result<Screening> {
        own(actor, s.patient)?;
        clinical_side(actor, "screenings")?;
        patient_in(&mut *tx, actor.clinic, s.patient).await?;
        let id = ScreeningId::new();
        let row = sqlx::query(
            "INSERT INTO screenings (clinic_id, id, patient_id, request, result, decision, defer_until, \
             protocol_version, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
        )
        .bind(actor.clinic.0)
        .bind(id.0)
        .bind(s.patient.0)
        .bind(Json(&s.request))
        .bind(Json(&s.result))
        .bind(s.decision.as_str())
        .bind(s.defer_until.map(|d| d.to_string()))
        .bind(&s.protocol_version)
        .bind(actor.who.staff().map(|s| s.0))
        .bind(ts(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let screening = screening_from(&row)?;
        if let Some(findings) = &s.findings_on_record {
            sqlx::query("UPDATE patients SET findings = $3, updated_at = $4 WHERE clinic_id = $1 AND id = $2")
                .bind(actor.clinic.0)
                .bind(s.patient.0)
                .bind(to_json(findings))
                .bind(ts(Utc::now()))
                .execute(&mut *tx)
                .await?;
            audit_in(&mut *tx, actor, "patient.findings_from_screening", Some(s.patient), Some(id.0)).await?;
        }
        Ok(screening)
    }

/// A series plan, in the caller's transaction (which writes its audit record).
async fn add_plan_on(tx: &mut <Db as sqlx::Database>::Connection, actor: &Actor, plan: &NewPlan) -> Result<Plan> {
        own(actor, plan.patient)?;
        clinical_side(actor, "plans")?;
        patient_in(&mut *tx, actor.clinic, plan.patient).await?;
        let id = PlanId::new();
        let row = sqlx::query(
            "INSERT INTO plans (clinic_id, id, patient_id, request, result, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(actor.clinic.0)
        .bind(id.0)
        .bind(plan.patient.0)
        .bind(Json(&plan.request))
        .bind(Json(&plan.result))
        .bind(actor.who.staff().map(|s| s.0))
        .bind(ts(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let stored = plan_from(&row)?;
        Ok(stored)
    }
