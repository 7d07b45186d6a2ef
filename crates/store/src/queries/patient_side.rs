// The patient's own choices and calendar feed, on a connection the caller holds: the store's own
// methods (`outbox.rs`), which audit each call, and the units of `unit.rs`, which audit once, run
// the same SQL. Part of `queries.rs`.

async fn reminder_settings_on(conn: &mut Conn, actor: &Actor, patient: PatientId) -> Result<ReminderSettings> {
    own(actor, patient)?;
    let row = sqlx::query("SELECT * FROM reminder_settings WHERE clinic_id = $1 AND patient_id = $2")
        .bind(actor.clinic.0)
        .bind(patient.0)
        .fetch_optional(&mut *conn)
        .await?;
    settings_from(row.as_ref())
}

async fn set_reminder_channels_on(
    conn: &mut Conn,
    actor: &Actor,
    patient: PatientId,
    email: bool,
    sms: bool,
    now: DateTime<Utc>,
) -> Result<ReminderSettings> {
    own(actor, patient)?;
    patient_in(&mut *conn, actor.clinic, patient).await?;
    let row = sqlx::query(
        "INSERT INTO reminder_settings (clinic_id, patient_id, email, sms, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (clinic_id, patient_id) DO UPDATE SET email = $3, sms = $4, updated_at = $5 RETURNING *",
    )
    .bind(actor.clinic.0)
    .bind(patient.0)
    .bind(email)
    .bind(sms)
    .bind(ts(now))
    .fetch_one(&mut *conn)
    .await?;
    settings_from(Some(&row))
}

async fn set_calendar_token_on(
    conn: &mut Conn,
    actor: &Actor,
    patient: PatientId,
    token_hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ReminderSettings> {
    own(actor, patient)?;
    patient_in(&mut *conn, actor.clinic, patient).await?;
    let created = token_hash.map(|_| ts(now));
    let row = sqlx::query(
        "INSERT INTO reminder_settings (clinic_id, patient_id, email, sms, feed_token_hash, feed_created_at, updated_at) \
         VALUES ($1, $2, $5, $5, $3, $4, $6) \
         ON CONFLICT (clinic_id, patient_id) DO UPDATE SET feed_token_hash = $3, feed_created_at = $4, updated_at = $6 \
         RETURNING *",
    )
    .bind(actor.clinic.0)
    .bind(patient.0)
    .bind(token_hash)
    .bind(created)
    .bind(true)
    .bind(ts(now))
    .fetch_one(&mut *conn)
    .await?;
    settings_from(Some(&row))
}

/// The clinic and patient a calendar-feed token belongs to.
async fn calendar_owner_on(conn: &mut Conn, token_hash: &str) -> Result<Option<(ClinicId, PatientId)>> {
    let Some(row) = sqlx::query("SELECT clinic_id, patient_id FROM reminder_settings WHERE feed_token_hash = $1")
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some((ClinicId(get(&row, "clinic_id")?), PatientId(get(&row, "patient_id")?))))
}

/// The booked appointments a calendar feed shows, soonest first.
async fn feed_appointments_on(conn: &mut Conn, actor: &Actor, patient: PatientId) -> Result<Vec<Appointment>> {
    own(actor, patient)?;
    sqlx::query(
        "SELECT * FROM appointments WHERE clinic_id = $1 AND patient_id = $2 AND status = 'booked' ORDER BY starts_at",
    )
    .bind(actor.clinic.0)
    .bind(patient.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(appointment_from)
    .collect()
}

/// The reminders a calendar feed shows: the e-mail copy of each (which every reminder has), not
/// withdrawn, without appointment reminders (the appointment is its own event) or sign-in links.
async fn feed_messages_on(conn: &mut Conn, actor: &Actor, patient: PatientId) -> Result<Vec<Message>> {
    own(actor, patient)?;
    sqlx::query(
        "SELECT * FROM messages WHERE clinic_id = $1 AND patient_id = $2 AND channel = 'email' \
         AND status <> 'withdrawn' AND kind NOT IN ('appointment', 'sign_in') ORDER BY due_at, id LIMIT 500",
    )
    .bind(actor.clinic.0)
    .bind(patient.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(message_from)
    .collect()
}
