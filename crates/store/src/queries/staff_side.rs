// The staff side's reads and writes on a connection the caller holds: the alert queue, the
// follow-ups, the patient list and a patient's record. Called by the store's own methods (which
// open their own transaction and audit each call, as before) and by the units of `unit.rs`
// (which audit once, for the whole use case), so the SQL is written once. None of these write
// an audit row: the caller does. Part of `queries.rs`.

/// The clinic's alerts in the order staff should work in: open first, most urgent first, then
/// the earliest deadline.
async fn alert_queue_on(conn: &mut Conn, actor: &Actor, filter: AlertFilter, page: Page) -> Result<Vec<Alert>> {
    staff_side(actor)?;
    clinical_side(actor, "alerts")?;
    let only_open = match filter {
        AlertFilter::Open => "AND a.resolved_at IS NULL",
        AlertFilter::All => "",
    };
    let sql = format!(
        "{ALERT_SELECT} WHERE a.clinic_id = $1 {only_open} ORDER BY \
         CASE WHEN a.resolved_at IS NULL THEN 0 ELSE 1 END, \
         CASE a.disposition WHEN 'emergency' THEN 0 WHEN 'urgent_same_day' THEN 1 ELSE 2 END, \
         a.deadline_at, a.id LIMIT $2 OFFSET $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(actor.clinic.0)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(alert_from).collect()
}

/// Follow-ups for silent patients, oldest first.
async fn follow_ups_on(conn: &mut Conn, actor: &Actor, open_only: bool, page: Page) -> Result<Vec<FollowUp>> {
    staff_side(actor)?;
    // Two texts, not `($2 = 0 OR resolved_at IS NULL)`: the open ones are read through the
    // `follow_ups_queue` index, a page at a time, however many were ever raised.
    let only_open = if open_only { "AND f.resolved_at IS NULL" } else { "" };
    let sql = format!(
        "SELECT f.*, p.name AS patient_name FROM follow_ups f \
         JOIN patients p ON p.clinic_id = f.clinic_id AND p.id = f.patient_id \
         WHERE f.clinic_id = $1 {only_open} ORDER BY f.raised_at, f.id LIMIT $2 OFFSET $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
    .bind(actor.clinic.0)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(follow_up_from).collect()
}

/// Marks an alert acknowledged; the alert is read and changed on the same connection, so in one
/// transaction when the caller holds one.
async fn acknowledge_alert_on(conn: &mut Conn, actor: &Actor, id: AlertId, now: DateTime<Utc>) -> Result<Alert> {
    staff_side(actor)?;
    clinical_side(actor, "alerts")?;
    let alert = alert_in(conn, actor.clinic, id).await?;
    if alert.resolved_at.is_some() {
        return Err(StoreError::InvalidState("the alert is already resolved".into()));
    }
    if alert.acknowledged_at.is_some() {
        return Err(StoreError::InvalidState("the alert is already acknowledged".into()));
    }
    sqlx::query("UPDATE alerts SET acknowledged_by = $3, acknowledged_at = $4 WHERE clinic_id = $1 AND id = $2")
        .bind(actor.clinic.0)
        .bind(id.0)
        .bind(actor.who.staff().map(|s| s.0))
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
    alert_in(conn, actor.clinic, id).await
}

/// Resolves an alert with a note (acknowledging it too, if nobody had).
async fn resolve_alert_on(
    conn: &mut Conn,
    actor: &Actor,
    id: AlertId,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Alert> {
    staff_side(actor)?;
    clinical_side(actor, "alerts")?;
    let alert = alert_in(conn, actor.clinic, id).await?;
    if alert.resolved_at.is_some() {
        return Err(StoreError::InvalidState("the alert is already resolved".into()));
    }
    let staff = actor.who.staff().map(|s| s.0);
    sqlx::query(
        "UPDATE alerts SET resolved_by = $3, resolved_at = $4, resolution_note = $5, \
         acknowledged_by = COALESCE(acknowledged_by, $3), acknowledged_at = COALESCE(acknowledged_at, $4) \
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(actor.clinic.0)
    .bind(id.0)
    .bind(staff)
    .bind(ts(now))
    .bind(note)
    .execute(&mut *conn)
    .await?;
    alert_in(conn, actor.clinic, id).await
}

/// Closes a follow-up with a note.
async fn resolve_follow_up_on(
    conn: &mut Conn,
    actor: &Actor,
    id: FollowUpId,
    note: &str,
    now: DateTime<Utc>,
) -> Result<FollowUp> {
    staff_side(actor)?;
    let f = follow_up_in(conn, actor.clinic, id).await?;
    if f.resolved_at.is_some() {
        return Err(StoreError::InvalidState("the follow-up is already resolved".into()));
    }
    sqlx::query("UPDATE follow_ups SET resolved_by = $3, resolved_at = $4, note = $5 WHERE clinic_id = $1 AND id = $2")
        .bind(actor.clinic.0)
        .bind(id.0)
        .bind(actor.who.staff().map(|s| s.0))
        .bind(ts(now))
        .bind(note)
        .execute(&mut *conn)
        .await?;
    follow_up_in(conn, actor.clinic, id).await
}

/// The clinic's patients, newest first, matching `search` (name, e-mail, phone). A patient
/// actor gets their own record only.
async fn patients_on(
    conn: &mut Conn,
    actor: &Actor,
    search: Option<&str>,
    limit: u32,
    offset: u32,
) -> Result<Vec<Patient>> {
    if let Who::Patient(p) = actor.who {
        return Ok(vec![patient_in(conn, actor.clinic, p).await?]);
    }
    // No stored text holds a NUL (every text field refuses control characters), and PostgreSQL
    // refuses one in a parameter: a search for one finds nothing (issue 14: it answered 500).
    if search.is_some_and(|s| s.contains('\0')) {
        return Ok(Vec::new());
    }
    let pattern = search.map(str::trim).filter(|s| !s.is_empty()).map(like_pattern);
    let rows = sqlx::query(
        "SELECT * FROM patients WHERE clinic_id = $1 AND ($2 IS NULL OR search_text LIKE $2 ESCAPE '\\') \
         ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
    )
    .bind(actor.clinic.0)
    .bind(pattern)
    .bind(i64::from(limit))
    .bind(i64::from(offset))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(patient_from).collect()
}

async fn create_patient_on(conn: &mut Conn, actor: &Actor, p: &NewPatient) -> Result<Patient> {
    if !(p.findings.is_empty() && p.allergies.is_empty() && p.medication.is_empty()) {
        clinical_side(actor, "findings, allergies and medication")?;
    }
    let id = PatientId::new();
    let now = ts(Utc::now());
    let row = sqlx::query(
        "INSERT INTO patients (clinic_id, id, name, email, phone, time_zone, birth_date, fitzpatrick, findings, \
         consent_messages, created_at, updated_at, search_text, allergies, medication) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14) RETURNING *",
    )
    .bind(actor.clinic.0)
    .bind(id.0)
    .bind(&p.name)
    .bind(&p.email)
    .bind(&p.phone)
    .bind(p.time_zone.name())
    .bind(p.birth_date.map(|d| d.to_string()))
    .bind(p.fitzpatrick.map(i64::from))
    .bind(to_json(&p.findings))
    .bind(p.consent_messages)
    .bind(now)
    .bind(search_text(&p.name, p.email.as_deref(), p.phone.as_deref()))
    .bind(to_json(&p.allergies))
    .bind(to_json(&p.medication))
    .fetch_one(&mut *conn)
    .await?;
    patient_from(&row)
}

/// Applies `u` to the patient's record, read and written on the same connection.
async fn update_patient_on(conn: &mut Conn, actor: &Actor, id: PatientId, u: PatientUpdate) -> Result<Patient> {
    own(actor, id)?;
    if u.findings.is_some() || u.allergies.is_some() || u.medication.is_some() {
        clinical_side(actor, "findings, allergies and medication")?;
    }
    let mut p = patient_in(conn, actor.clinic, id).await?;
    if let Some(v) = u.name {
        p.name = v;
    }
    if let Some(v) = u.email {
        p.email = v;
    }
    if let Some(v) = u.phone {
        p.phone = v;
    }
    if let Some(v) = u.time_zone {
        p.time_zone = v;
    }
    if let Some(v) = u.birth_date {
        p.birth_date = v;
    }
    if let Some(v) = u.fitzpatrick {
        p.fitzpatrick = v;
    }
    if let Some(v) = u.findings {
        p.findings = v;
    }
    if let Some(v) = u.allergies {
        p.allergies = v;
    }
    if let Some(v) = u.medication {
        p.medication = v;
    }
    if let Some(v) = u.consent_messages {
        p.consent_messages = v;
    }
    let row = sqlx::query(
        "UPDATE patients SET name = $3, email = $4, phone = $5, time_zone = $6, birth_date = $7, \
         fitzpatrick = $8, findings = $9, consent_messages = $10, updated_at = $11, search_text = $12, \
         allergies = $13, medication = $14 WHERE clinic_id = $1 AND id = $2 RETURNING *",
    )
    .bind(actor.clinic.0)
    .bind(id.0)
    .bind(&p.name)
    .bind(&p.email)
    .bind(&p.phone)
    .bind(p.time_zone.name())
    .bind(p.birth_date.map(|d| d.to_string()))
    .bind(p.fitzpatrick.map(i64::from))
    .bind(to_json(&p.findings))
    .bind(p.consent_messages)
    .bind(ts(Utc::now()))
    .bind(search_text(&p.name, p.email.as_deref(), p.phone.as_deref()))
    .bind(to_json(&p.allergies))
    .bind(to_json(&p.medication))
    .fetch_one(&mut *conn)
    .await?;
    patient_from(&row)
}

/// Stores an invite's hash for the patient (the link itself is never stored).
async fn create_invite_on(
    conn: &mut Conn,
    actor: &Actor,
    patient: PatientId,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    staff_side(actor)?;
    patient_in(conn, actor.clinic, patient).await?;
    sqlx::query(
        "INSERT INTO invites (token_hash, clinic_id, patient_id, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(actor.clinic.0)
    .bind(patient.0)
    // Who sent it: the member of staff or the API token (none for a link the patient asked
    // for), named in the audit when the invite is opened (issue 14, defect 5).
    .bind(actor.who.id())
    .bind(ts(Utc::now()))
    .bind(ts(expires_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The latest `limit` audit records of the clinic, or of one patient.
async fn audit_list_on(conn: &mut Conn, actor: &Actor, patient: Option<PatientId>, limit: u32) -> Result<Vec<AuditEntry>> {
    staff_side(actor)?;
    // Two texts, each read through its index (`audit_patient`, `audit_clinic`), not one with
    // `($2 IS NULL OR patient_id = $2)`, which sorted the clinic's whole audit (issue 16).
    let rows = match patient {
        Some(p) => {
            sqlx::query("SELECT * FROM audit WHERE clinic_id = $1 AND patient_id = $2 ORDER BY at DESC, id DESC LIMIT $3")
                .bind(actor.clinic.0)
                .bind(p.0)
                .bind(i64::from(limit))
                .fetch_all(&mut *conn)
                .await?
        }
        None => {
            sqlx::query("SELECT * FROM audit WHERE clinic_id = $1 ORDER BY at DESC, id DESC LIMIT $2")
                .bind(actor.clinic.0)
                .bind(i64::from(limit))
                .fetch_all(&mut *conn)
                .await?
        }
    };
    rows.iter().map(audit_from).collect()
}
