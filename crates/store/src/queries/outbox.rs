// Appointments (their helpers in `appointments.rs`), the outbox and reminder choices: the
// `Reminders` half of the store. Part of `queries.rs`, compiled into each backend module; `CLAIM_LOCK` is the one backend difference
// (PostgreSQL's `FOR UPDATE SKIP LOCKED`; SQLite's single writer already serialises claims).


fn message_from(row: &DbRow) -> Result<Message> {
    let clinic = ClinicId(get(row, "clinic_id")?);
    let recipient = match get::<String>(row, "recipient_kind")?.as_str() {
        "patient" => Recipient::Patient(PatientId(
            uuid_opt(row, "patient_id")?.ok_or_else(|| StoreError::Corrupt("message without patient".into()))?,
        )),
        "staff" => Recipient::Staff(StaffId(
            uuid_opt(row, "staff_id")?.ok_or_else(|| StoreError::Corrupt("message without staff".into()))?,
        )),
        "clinic" => Recipient::Clinic,
        other => return Err(corrupt("messages", "recipient_kind", other, "not a known recipient kind")),
    };
    Ok(Message {
        id: MessageId(get(row, "id")?),
        clinic,
        idempotency_key: get(row, "idempotency_key")?,
        recipient,
        kind: code(row, "messages", "kind", known("message kind", MessageKind::parse))?,
        channel: code(row, "messages", "channel", known("channel", Channel::parse))?,
        due_at: time(row, "due_at")?,
        status: code(row, "messages", "status", known("message status", MessageStatus::parse))?,
        attempts: small(row, "attempts")?.unwrap_or(0),
        next_attempt_at: time(row, "next_attempt_at")?,
        payload: json(row, "payload")?,
        last_error: get(row, "last_error")?,
        detail: get(row, "detail")?,
        sent_at: time_opt(row, "sent_at")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn settings_from(row: Option<&DbRow>) -> Result<ReminderSettings> {
    let Some(row) = row else {
        return Ok(ReminderSettings { email: true, sms: true, calendar_feed: false, calendar_feed_created_at: None });
    };
    Ok(ReminderSettings {
        email: get(row, "email")?,
        sms: get(row, "sms")?,
        calendar_feed: get::<Option<String>>(row, "feed_token_hash")?.is_some(),
        calendar_feed_created_at: time_opt(row, "feed_created_at")?,
    })
}

/// Queues messages inside the caller's transaction.
async fn insert_messages_in(
    conn: &mut <Db as sqlx::Database>::Connection,
    clinic: ClinicId,
    source: MessageSource,
    messages: &[NewMessage],
    now: DateTime<Utc>,
) -> Result<u64> {
    // Multi-row inserts, 200 rows (21 parameters each) at a time: well inside both backends'
    // parameter limits, and a load of a million rows stays quick.
    let mut n = 0;
    for chunk in messages.chunks(200) {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO messages (clinic_id, id, idempotency_key, recipient_kind, patient_id, staff_id, source_kind, \
             source_id, kind, channel, due_at, status, attempts, next_attempt_at, payload, created_at, updated_at) ",
        );
        q.push_values(chunk, |mut b, m| {
            let (kind, patient, staff) = match m.recipient {
                Recipient::Patient(p) => ("patient", Some(p.0), None),
                Recipient::Staff(s) => ("staff", None, Some(s.0)),
                Recipient::Clinic => ("clinic", None, None),
            };
            b.push_bind(clinic.0)
                .push_bind(MessageId::new().0)
                .push_bind(source.key(m))
                .push_bind(kind)
                .push_bind(patient)
                .push_bind(staff)
                .push_bind(source.kind())
                .push_bind(source.id())
                .push_bind(m.kind.as_str())
                .push_bind(m.channel.as_str())
                .push_bind(ts(m.due_at))
                .push_bind("pending")
                .push_bind(0_i64)
                .push_bind(ts(m.due_at))
                .push_bind(Json(m.payload.clone()))
                .push_bind(ts(now))
                .push_bind(ts(now));
        });
        // A message already queued under the same key is the same message: keep the first.
        q.push(" ON CONFLICT (idempotency_key) DO NOTHING");
        n += q.build().execute(&mut *conn).await?.rows_affected();
    }
    Ok(n)
}

/// Withdraws what is still pending from a source, saying why (a code, rendered by the reader).
async fn withdraw_in(
    conn: &mut <Db as sqlx::Database>::Connection,
    clinic: ClinicId,
    source: Uuid,
    reason: MessageNote,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE messages SET status = 'withdrawn', last_error = $3, updated_at = $4 \
         WHERE clinic_id = $1 AND source_id = $2 AND status = 'pending'",
    )
    .bind(clinic.0)
    .bind(source)
    .bind(reason.code())
    .bind(ts(now))
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Puts a failed message back in the queue, in the caller's transaction (which writes its audit
/// record); only a failed message can be sent again.
async fn retry_message_on(
    conn: &mut <Db as sqlx::Database>::Connection,
    actor: &Actor,
    id: MessageId,
    now: DateTime<Utc>,
) -> Result<Message> {
    staff_side(actor)?;
    let row = sqlx::query(
        "UPDATE messages SET status = 'pending', attempts = 0, next_attempt_at = $3, updated_at = $3 \
         WHERE clinic_id = $1 AND id = $2 AND status = 'failed' RETURNING *",
    )
    .bind(actor.clinic.0)
    .bind(id.0)
    .bind(ts(now))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        let exists = sqlx::query("SELECT status FROM messages WHERE clinic_id = $1 AND id = $2")
            .bind(actor.clinic.0)
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
        return Err(match exists {
            Some(_) => StoreError::InvalidState("only a message that failed can be sent again".into()),
            None => StoreError::NotFound("message"),
        });
    };
    message_from(&row)
}

/// What recording an outcome writes to a message (see `complete_messages`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Completion<'a> {
    clinic: ClinicId,
    status: &'static str,
    next: DateTime<Utc>,
    error: Option<&'a str>,
    detail: Option<&'a str>,
    sent: bool,
}

#[async_trait]
impl Reminders for Backend {
    async fn book_appointment(&self, actor: &Actor, a: NewAppointment, messages: Vec<NewMessage>) -> Result<Appointment> {
        let mut tx = self.begin().await?;
        let appointment = book_appointment_on(&mut tx, actor, &a, &messages, Utc::now()).await?;
        audit_in(&mut tx, actor, "appointment.book", Some(a.patient), Some(appointment.id.0)).await?;
        tx.commit().await?;
        Ok(appointment)
    }

    async fn reschedule_appointment(
        &self,
        actor: &Actor,
        patient: PatientId,
        id: AppointmentId,
        starts_at: DateTime<Utc>,
        messages: Vec<NewMessage>,
    ) -> Result<Appointment> {
        let mut tx = self.begin().await?;
        let appointment =
            reschedule_appointment_on(&mut tx, actor, patient, id, starts_at, &messages, Utc::now()).await?;
        audit_in(&mut tx, actor, "appointment.reschedule", Some(patient), Some(id.0)).await?;
        tx.commit().await?;
        Ok(appointment)
    }

    async fn cancel_appointment(&self, actor: &Actor, patient: PatientId, id: AppointmentId) -> Result<Appointment> {
        let mut tx = self.begin().await?;
        let appointment = cancel_appointment_on(&mut tx, actor, patient, id, Utc::now()).await?;
        audit_in(&mut tx, actor, "appointment.cancel", Some(patient), Some(id.0)).await?;
        tx.commit().await?;
        Ok(appointment)
    }

    async fn list_appointments(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Appointment>> {
        let mut conn = self.reader().acquire().await?;
        let list = appointments_on(&mut conn, actor, patient, Page::ALL).await?;
        drop(conn);
        self.audit(actor, "appointment.list", Some(patient), None).await?;
        Ok(list)
    }

    async fn claim_messages(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let sql = format!(
            "UPDATE messages SET status = 'sending', claimed_by = $1, next_attempt_at = $3, attempts = attempts + 1, \
             updated_at = $2 WHERE (clinic_id, id) IN (SELECT clinic_id, id FROM messages \
             WHERE status IN ('pending', 'sending') AND next_attempt_at <= $2 ORDER BY next_attempt_at LIMIT $4 {CLAIM_LOCK}) \
             RETURNING *"
        );
        // Most rounds find nothing due: ask a reader first, so an idle worker never takes the
        // (on SQLite, single) writer away from the clinic's own requests.
        let due = sqlx::query(
            "SELECT id FROM messages WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1 LIMIT 1",
        )
        .bind(ts(now))
        .fetch_optional(self.reader())
        .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(worker)
            .bind(ts(now))
            .bind(ts(lease_until))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut list = rows.iter().map(message_from).collect::<Result<Vec<_>>>()?;
        list.sort_by_key(|m| m.due_at);
        Ok(list)
    }

    async fn complete_messages(
        &self,
        worker: &str,
        outcomes: &[(ClinicId, MessageId, Outcome)],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        // Outcomes that write the same values (usually: every message of the batch sent, with the
        // same answer) are recorded by one statement for up to 500 messages, so a batch costs a
        // few round trips to the database rather than one per message.
        let mut groups: Vec<(Completion<'_>, Vec<Uuid>)> = Vec::new();
        let mut index: std::collections::HashMap<Completion<'_>, usize> = std::collections::HashMap::new();
        for (clinic, id, outcome) in outcomes {
            let (status, next, error, detail, sent) = match outcome {
                Outcome::Sent { detail } => ("sent", now, None, Some(detail.as_str()), true),
                Outcome::Retry { error, at } => ("pending", *at, Some(error.as_str()), None, false),
                Outcome::Failed { error } => ("failed", now, Some(error.as_str()), None, false),
                Outcome::Skipped { reason } => ("skipped", now, Some(reason.as_str()), None, false),
            };
            let key = Completion { clinic: *clinic, status, next, error, detail, sent };
            let at = *index.entry(key).or_insert_with(|| {
                groups.push((key, Vec::new()));
                groups.len() - 1
            });
            groups[at].1.push(id.0);
        }
        let mut tx = self.begin().await?;
        let mut recorded = 0;
        for (c, ids) in &groups {
            for chunk in ids.chunks(500) {
                let mut q = sqlx::QueryBuilder::<Db>::new("UPDATE messages SET status = ");
                q.push_bind(c.status)
                    .push(", next_attempt_at = ")
                    .push_bind(ts(c.next))
                    .push(", last_error = ")
                    .push_bind(c.error)
                    .push(", detail = ")
                    .push_bind(c.detail)
                    .push(", sent_at = ")
                    .push_bind(c.sent.then(|| ts(now)))
                    .push(", claimed_by = NULL, updated_at = ")
                    .push_bind(ts(now))
                    .push(" WHERE clinic_id = ")
                    .push_bind(c.clinic.0)
                    .push(" AND claimed_by = ")
                    .push_bind(worker)
                    .push(" AND status = 'sending' AND id IN (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                q.push(")");
                recorded += q.build().execute(&mut *tx).await?.rows_affected();
            }
        }
        tx.commit().await?;
        Ok(recorded)
    }

    async fn addressee(&self, clinic: ClinicId, recipient: Recipient) -> Result<Addressee> {
        // A patient's details and their clinic's name come in one query: the worker asks this
        // for every message it delivers.
        if let Recipient::Patient(p) = recipient {
            let row = sqlx::query(
                "SELECT c.name AS clinic_name, p.name, p.email, p.phone, p.time_zone, p.consent_messages, \
                 r.email AS email_on, r.sms AS sms_on \
                 FROM patients p JOIN clinics c ON c.clinic_id = p.clinic_id \
                 LEFT JOIN reminder_settings r ON r.clinic_id = p.clinic_id AND r.patient_id = p.id \
                 WHERE p.clinic_id = $1 AND p.id = $2",
            )
            .bind(clinic.0)
            .bind(p.0)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound("patient"))?;
            let consent: bool = get(&row, "consent_messages")?;
            return Ok(Addressee {
                clinic_name: get(&row, "clinic_name")?,
                time_zone: zone(&row, "patients", "time_zone")?,
                name: get(&row, "name")?,
                email: get(&row, "email")?,
                phone: get(&row, "phone")?,
                email_allowed: consent && get::<Option<bool>>(&row, "email_on")?.unwrap_or(true),
                sms_allowed: consent && get::<Option<bool>>(&row, "sms_on")?.unwrap_or(true),
            });
        }
        let c = self.clinic(clinic).await?;
        let mut a = Addressee {
            clinic_name: c.name.clone(),
            time_zone: c.time_zone,
            name: c.name,
            email: None,
            phone: None,
            email_allowed: false,
            sms_allowed: false,
        };
        if let Recipient::Staff(s) = recipient {
            let staff = self.staff(clinic, s).await?;
            a.name = staff.name;
            a.email = Some(staff.email);
            a.email_allowed = staff.active;
        }
        Ok(a)
    }

    async fn list_messages(&self, actor: &Actor, patient: PatientId, limit: u32) -> Result<Vec<Message>> {
        let mut conn = self.reader().acquire().await?;
        let list = messages_on(&mut conn, actor, patient, limit).await?;
        drop(conn);
        self.audit(actor, "message.list", Some(patient), None).await?;
        Ok(list)
    }

    async fn enqueue(&self, clinic: ClinicId, source: MessageSource, messages: &[NewMessage]) -> Result<u64> {
        let now = Utc::now();
        let mut n = 0;
        // Commit every 10,000 rows: a big load neither holds the writer for long nor needs one
        // huge transaction.
        for chunk in messages.chunks(10_000) {
            let mut tx = self.begin().await?;
            n += insert_messages_in(&mut tx, clinic, source, chunk, now).await?;
            tx.commit().await?;
        }
        Ok(n)
    }

    async fn retry_message(&self, actor: &Actor, id: MessageId, now: DateTime<Utc>) -> Result<Message> {
        let mut tx = self.begin().await?;
        let message = retry_message_on(&mut tx, actor, id, now).await?;
        let patient = match message.recipient {
            Recipient::Patient(p) => Some(p),
            _ => None,
        };
        audit_in(&mut tx, actor, "message.retry", patient, Some(id.0)).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn reminder_settings(&self, actor: &Actor, patient: PatientId) -> Result<ReminderSettings> {
        let mut conn = self.reader().acquire().await?;
        reminder_settings_on(&mut conn, actor, patient).await
    }

    async fn set_reminder_channels(
        &self,
        actor: &Actor,
        patient: PatientId,
        email: bool,
        sms: bool,
    ) -> Result<ReminderSettings> {
        own(actor, patient)?;
        let mut tx = self.begin().await?;
        let settings = set_reminder_channels_on(&mut tx, actor, patient, email, sms, Utc::now()).await?;
        audit_in(&mut tx, actor, "reminders.channels", Some(patient), None).await?;
        tx.commit().await?;
        Ok(settings)
    }

    async fn set_calendar_token(
        &self,
        actor: &Actor,
        patient: PatientId,
        token_hash: Option<&str>,
    ) -> Result<ReminderSettings> {
        own(actor, patient)?;
        let mut tx = self.begin().await?;
        let settings = set_calendar_token_on(&mut tx, actor, patient, token_hash, Utc::now()).await?;
        let action = if token_hash.is_some() { "calendar.reset" } else { "calendar.off" };
        audit_in(&mut tx, actor, action, Some(patient), None).await?;
        tx.commit().await?;
        Ok(settings)
    }

    async fn unsubscribe(&self, message: MessageId) -> Result<Option<PatientId>> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let Some(row) = sqlx::query("SELECT clinic_id, patient_id FROM messages WHERE id = $1 AND patient_id IS NOT NULL")
            .bind(message.0)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let clinic = ClinicId(get(&row, "clinic_id")?);
        let patient = PatientId(get(&row, "patient_id")?);
        sqlx::query(
            "INSERT INTO reminder_settings (clinic_id, patient_id, email, sms, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (clinic_id, patient_id) DO UPDATE SET email = $3, updated_at = $5",
        )
        .bind(clinic.0)
        .bind(patient.0)
        .bind(false)
        .bind(true)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        let actor = Actor { clinic, who: Who::System, ip: None };
        audit_in(&mut tx, &actor, "reminders.unsubscribe", Some(patient), Some(message.0)).await?;
        tx.commit().await?;
        Ok(Some(patient))
    }

    async fn calendar_feed(&self, token_hash: &str) -> Result<Option<(Patient, Vec<Appointment>, Vec<Message>)>> {
        let mut conn = self.reader().acquire().await?;
        let Some((clinic, patient)) = calendar_owner_on(&mut conn, token_hash).await? else {
            return Ok(None);
        };
        let actor = Actor { clinic, who: Who::System, ip: None };
        drop(conn);
        let record = self.patient(&actor, patient).await?;
        let mut conn = self.reader().acquire().await?;
        let appointments = feed_appointments_on(&mut conn, &actor, patient).await?;
        let messages = feed_messages_on(&mut conn, &actor, patient).await?;
        drop(conn);
        self.audit(&actor, "calendar.read", Some(patient), None).await?;
        Ok(Some((record, appointments, messages)))
    }
}
