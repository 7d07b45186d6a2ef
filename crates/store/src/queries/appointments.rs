// Appointments: reading them, one practitioner's overlap rule inside the booking's transaction,
// and the appointment a recorded session fulfils. Part of `queries.rs`, compiled into each
// backend module; `TURN_LOCK` is the backend difference (an advisory lock on PostgreSQL,
// nothing on SQLite, whose single writer already serialises bookings).

fn appointment_from(row: &DbRow) -> Result<Appointment> {
    Ok(Appointment {
        id: AppointmentId(get(row, "id")?),
        clinic: ClinicId(get(row, "clinic_id")?),
        patient: PatientId(get(row, "patient_id")?),
        plan: uuid_opt(row, "plan_id")?.map(PlanId),
        starts_at: time(row, "starts_at")?,
        minutes: small(row, "minutes")?.unwrap_or(60),
        status: code(row, "appointments", "status", known("appointment status", AppointmentStatus::parse))?,
        revision: small(row, "revision")?.unwrap_or(1),
        session: uuid_opt(row, "session_id")?.map(SessionId),
        note: get(row, "note")?,
        practitioner: uuid_opt(row, "practitioner_id")?.map(StaffId),
        window_reason: get(row, "window_reason")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// Refuses (`Conflict`) an appointment of `practitioner` at `starts_at` for `minutes` that
/// overlaps another of their booked appointments (core's rule), inside the booking's
/// transaction so two bookings cannot both pass.
async fn no_overlap_in(
    conn: &mut <Db as sqlx::Database>::Connection,
    clinic: ClinicId,
    practitioner: Option<StaffId>,
    except: AppointmentId,
    starts_at: DateTime<Utc>,
    minutes: u32,
) -> Result<()> {
    let Some(practitioner) = practitioner else { return Ok(()) };
    if let Some(lock) = TURN_LOCK {
        sqlx::query(lock).bind(format!("practitioner:{}", practitioner.0)).execute(&mut *conn).await?;
    }
    // No appointment is longer than 8 hours, so only these can overlap.
    let from = starts_at - chrono::Duration::hours(8);
    let to = starts_at + chrono::Duration::minutes(i64::from(minutes));
    let rows = sqlx::query(
        "SELECT * FROM appointments WHERE clinic_id = $1 AND practitioner_id = $2 AND status = 'booked' \
         AND id <> $3 AND starts_at > $4 AND starts_at < $5",
    )
    .bind(clinic.0)
    .bind(practitioner.0)
    .bind(except.0)
    .bind(ts(from))
    .bind(ts(to))
    .fetch_all(&mut *conn)
    .await?;
    let slots = rows
        .iter()
        .map(|r| appointment_from(r).map(|a| Slot { starts: a.starts_at, minutes: a.minutes }))
        .collect::<Result<Vec<_>>>()?;
    match overlap(&slots, starts_at, minutes) {
        Some(o) => Err(StoreError::Conflict(overlap_message(o))),
        None => Ok(()),
    }
}

async fn appointment_in(
    conn: &mut <Db as sqlx::Database>::Connection,
    clinic: ClinicId,
    patient: PatientId,
    id: AppointmentId,
) -> Result<Appointment> {
    let row = sqlx::query("SELECT * FROM appointments WHERE clinic_id = $1 AND patient_id = $2 AND id = $3")
        .bind(clinic.0)
        .bind(patient.0)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("appointment"))?;
    appointment_from(&row)
}

/// The booked appointment a recorded session fulfils: the one named, or the patient's booked
/// appointment closest to the session within 12 hours. Marks it done and withdraws what of it is
/// still pending.
async fn fulfil_appointment_in(
    conn: &mut <Db as sqlx::Database>::Connection,
    clinic: ClinicId,
    patient: PatientId,
    named: Option<AppointmentId>,
    session: SessionId,
    performed_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    let id = match named {
        Some(id) => {
            let a = appointment_in(conn, clinic, patient, id).await?;
            if a.status != AppointmentStatus::Booked {
                return Err(StoreError::InvalidState(format!("the appointment is {}, not booked", a.status)));
            }
            Some(id)
        }
        None => {
            let rows = sqlx::query(
                "SELECT * FROM appointments WHERE clinic_id = $1 AND patient_id = $2 AND status = 'booked' \
                 AND starts_at >= $3 AND starts_at <= $4",
            )
            .bind(clinic.0)
            .bind(patient.0)
            .bind(ts(performed_at - chrono::Duration::hours(12)))
            .bind(ts(performed_at + chrono::Duration::hours(12)))
            .fetch_all(&mut *conn)
            .await?;
            let list = rows.iter().map(appointment_from).collect::<Result<Vec<_>>>()?;
            list.iter().min_by_key(|a| (a.starts_at - performed_at).num_seconds().abs()).map(|a| a.id)
        }
    };
    if let Some(id) = id {
        sqlx::query(
            "UPDATE appointments SET status = 'done', session_id = $3, updated_at = $4 WHERE clinic_id = $1 AND id = $2",
        )
        .bind(clinic.0)
        .bind(id.0)
        .bind(session.0)
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
        withdraw_in(conn, clinic, id.0, MessageNote::SessionTookPlace, now).await?;
    }
    Ok(())
}

/// Books an appointment and queues its reminders in the caller's transaction (which writes the
/// booking's audit record): the patient and the plan named must be on record, and the
/// practitioner free (`Conflict` otherwise).
async fn book_appointment_on(
    conn: &mut <Db as sqlx::Database>::Connection,
    actor: &Actor,
    a: &NewAppointment,
    messages: &[NewMessage],
    now: DateTime<Utc>,
) -> Result<Appointment> {
    staff_side(actor)?;
    patient_in(&mut *conn, actor.clinic, a.patient).await?;
    if let Some(plan) = a.plan {
        sqlx::query("SELECT id FROM plans WHERE clinic_id = $1 AND patient_id = $2 AND id = $3")
            .bind(actor.clinic.0)
            .bind(a.patient.0)
            .bind(plan.0)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound("plan"))?;
    }
    let id = AppointmentId::new();
    no_overlap_in(conn, actor.clinic, a.practitioner, id, a.starts_at, a.minutes).await?;
    let row = sqlx::query(
        "INSERT INTO appointments (clinic_id, id, patient_id, plan_id, starts_at, minutes, status, revision, note, \
         created_by, created_at, updated_at, practitioner_id, window_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, 'booked', 1, $7, $8, $9, $9, $10, $11) RETURNING *",
    )
    .bind(actor.clinic.0)
    .bind(id.0)
    .bind(a.patient.0)
    .bind(a.plan.map(|p| p.0))
    .bind(ts(a.starts_at))
    .bind(i64::from(a.minutes))
    .bind(&a.note)
    .bind(actor.who.id())
    .bind(ts(now))
    .bind(a.practitioner.map(|p| p.0))
    .bind(&a.window_reason)
    .fetch_one(&mut *conn)
    .await?;
    let appointment = appointment_from(&row)?;
    insert_messages_in(conn, actor.clinic, MessageSource::Appointment(id, 1), messages, now).await?;
    Ok(appointment)
}

/// Moves a booked appointment in the caller's transaction: its pending reminders are withdrawn
/// and `messages` queued under the next revision.
async fn reschedule_appointment_on(
    conn: &mut <Db as sqlx::Database>::Connection,
    actor: &Actor,
    patient: PatientId,
    id: AppointmentId,
    starts_at: DateTime<Utc>,
    messages: &[NewMessage],
    now: DateTime<Utc>,
) -> Result<Appointment> {
    staff_side(actor)?;
    let before = appointment_in(conn, actor.clinic, patient, id).await?;
    if before.status != AppointmentStatus::Booked {
        return Err(StoreError::InvalidState(format!("the appointment is {}; only a booked one can move", before.status)));
    }
    no_overlap_in(conn, actor.clinic, before.practitioner, id, starts_at, before.minutes).await?;
    let revision = before.revision + 1;
    let row = sqlx::query(
        "UPDATE appointments SET starts_at = $3, revision = $4, updated_at = $5 \
         WHERE clinic_id = $1 AND id = $2 RETURNING *",
    )
    .bind(actor.clinic.0)
    .bind(id.0)
    .bind(ts(starts_at))
    .bind(i64::from(revision))
    .bind(ts(now))
    .fetch_one(&mut *conn)
    .await?;
    withdraw_in(conn, actor.clinic, id.0, MessageNote::AppointmentMoved, now).await?;
    insert_messages_in(conn, actor.clinic, MessageSource::Appointment(id, revision), messages, now).await?;
    appointment_from(&row)
}

/// Cancels a booked appointment in the caller's transaction and withdraws its pending reminders.
async fn cancel_appointment_on(
    conn: &mut <Db as sqlx::Database>::Connection,
    actor: &Actor,
    patient: PatientId,
    id: AppointmentId,
    now: DateTime<Utc>,
) -> Result<Appointment> {
    staff_side(actor)?;
    let before = appointment_in(conn, actor.clinic, patient, id).await?;
    if before.status != AppointmentStatus::Booked {
        return Err(StoreError::InvalidState(format!("the appointment is already {}", before.status)));
    }
    let row = sqlx::query(
        "UPDATE appointments SET status = 'cancelled', updated_at = $3 WHERE clinic_id = $1 AND id = $2 RETURNING *",
    )
    .bind(actor.clinic.0)
    .bind(id.0)
    .bind(ts(now))
    .fetch_one(&mut *conn)
    .await?;
    withdraw_in(conn, actor.clinic, id.0, MessageNote::AppointmentCancelled, now).await?;
    appointment_from(&row)
}
