// The larger writes of the store, each one transaction: first-run setup, recording a session
// with its check-ins, a submitted check-in with its alert, and the missed-check-in sweep. Part of
// `queries.rs`; the trait methods there call these.

impl Backend {
    async fn complete_setup_in_transaction(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        clinic: NewClinic,
        admin: NewStaff,
    ) -> Result<(Clinic, Staff)> {
        let mut tx = self.begin().await?;
        let used = sqlx::query(
            "UPDATE setup_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(ts(now))
        .bind(token_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let (clinics,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM clinics").fetch_one(&mut *tx).await?;
        if used != 1 || clinics > 0 {
            return Err(StoreError::InvalidToken);
        }
        let id = ClinicId::new();
        let row = sqlx::query(
            "INSERT INTO clinics (clinic_id, name, time_zone, settings, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
        )
        .bind(id.0)
        .bind(&clinic.name)
        .bind(clinic.time_zone.name())
        .bind(to_json(&clinic.settings))
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?;
        let clinic = clinic_from(&row)?;
        let staff_id = StaffId::new();
        let row = sqlx::query(
            "INSERT INTO staff (clinic_id, id, email, name, role, password_hash, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        )
        .bind(id.0)
        .bind(staff_id.0)
        .bind(admin.email.trim().to_lowercase())
        .bind(&admin.name)
        .bind(admin.role.as_str())
        .bind(&admin.password_hash)
        .bind(true)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique(e, "a staff account with this e-mail already exists"))?;
        let staff = staff_from(&row)?;
        let actor = Actor { clinic: id, who: Who::Staff(staff_id, staff.role), ip: None };
        audit_in(&mut tx, &actor, "clinic.setup", None, Some(id.0)).await?;
        tx.commit().await?;
        Ok((clinic, staff))
    }

    async fn record_session_in_transaction(&self, actor: &Actor, s: NewSession) -> Result<(Session, Vec<CheckIn>)> {
        let mut tx = self.begin().await?;
        let (session, check_ins) = record_session_on(&mut tx, actor, &s).await?;
        audit_in(&mut tx, actor, "session.record", Some(s.patient), Some(session.id.0)).await?;
        tx.commit().await?;
        Ok((session, check_ins))
    }

    async fn submit_check_in_in_transaction(&self, actor: &Actor, c: CheckInSubmission) -> Result<(CheckIn, Option<Alert>)> {
        own(actor, c.patient)?;
        let mut tx = self.begin().await?;
        let (check_in, alert) = submit_check_in_on(&mut tx, actor, &c).await?;
        audit_in(&mut tx, actor, "check_in.submit", Some(c.patient), Some(check_in.id.0)).await?;
        if let Some(a) = &alert {
            audit_in(&mut tx, actor, "alert.open", Some(c.patient), Some(a.id.0)).await?;
        }
        tx.commit().await?;
        Ok((check_in, alert))
    }

    async fn raise_missed_check_ins_in_transaction(&self, now: DateTime<Utc>) -> Result<u64> {
        let mut raised = 0;
        for clinic in self.list_clinics().await? {
            let grace = chrono::Duration::hours(i64::from(clinic.settings.missed_check_in_grace_hours));
            let mut tx = self.begin().await?;
            let rows = sqlx::query(
                "SELECT c.id, c.patient_id, c.day FROM check_ins c WHERE c.clinic_id = $1 AND c.submitted_at IS NULL \
                 AND c.due_at IS NOT NULL AND c.due_at < $2 AND NOT EXISTS \
                 (SELECT 1 FROM follow_ups f WHERE f.clinic_id = c.clinic_id AND f.check_in_id = c.id)",
            )
            .bind(clinic.id.0)
            .bind(ts(now - grace))
            .fetch_all(&mut *tx)
            .await?;
            let actor = Actor { clinic: clinic.id, who: Who::System, ip: None };
            for row in rows {
                let check_in: Uuid = get(&row, "id")?;
                let patient = PatientId(get(&row, "patient_id")?);
                let day: Option<u32> = small(&row, "day")?;
                let id = FollowUpId::new();
                // A code, rendered in the reader's language; never an English sentence.
                let reason = FollowUpReason::MissedCheckIn { day }.code();
                raised += sqlx::query(
                    "INSERT INTO follow_ups (clinic_id, id, patient_id, check_in_id, reason, raised_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (clinic_id, check_in_id) DO NOTHING",
                )
                .bind(clinic.id.0)
                .bind(id.0)
                .bind(patient.0)
                .bind(check_in)
                .bind(reason)
                .bind(ts(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                audit_in(&mut tx, &actor, "follow_up.raise", Some(patient), Some(id.0)).await?;
            }
            tx.commit().await?;
        }
        Ok(raised)
    }
}

/// A submitted check-in, the alert it opens and its escalation messages, inside the caller's
/// transaction (which writes the audit record).
async fn submit_check_in_on(
    tx: &mut <Db as sqlx::Database>::Connection,
    actor: &Actor,
    c: &CheckInSubmission,
) -> Result<(CheckIn, Option<Alert>)> {
        own(actor, c.patient)?;
        patient_in(&mut *tx, actor.clinic, c.patient).await?;
        if let Some(session) = c.session {
            sqlx::query("SELECT id FROM sessions WHERE clinic_id = $1 AND patient_id = $2 AND id = $3")
                .bind(actor.clinic.0)
                .bind(c.patient.0)
                .bind(session.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("session"))?;
        }
        let filled = match c.scheduled {
            Some(id) => sqlx::query(
                "UPDATE check_ins SET submitted_at = $4, submitted_by = $5, request = $6, result = $7, \
                 disposition = $8, temperature_c = $9, note = $10 \
                 WHERE clinic_id = $1 AND patient_id = $2 AND id = $3 AND submitted_at IS NULL RETURNING *",
            )
            .bind(actor.clinic.0)
            .bind(c.patient.0)
            .bind(id.0)
            .bind(ts(c.submitted_at))
            .bind(actor.who.kind().as_str())
            .bind(Json(&c.request))
            .bind(Json(&c.result))
            .bind(c.disposition.as_str())
            .bind(c.temperature_c)
            .bind(&c.note)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| check_in_from(&r))
            .transpose()?,
            None => None,
        };
        // A scheduled check-in already answered (or none given): the submission is still kept,
        // as a check-in of its own — a patient's report is never dropped.
        let check_in = match filled {
            Some(c) => c,
            None => {
                let row = sqlx::query(
                    "INSERT INTO check_ins (clinic_id, id, patient_id, session_id, submitted_at, submitted_by, request, \
                     result, disposition, temperature_c, note, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $5) RETURNING *",
                )
                .bind(actor.clinic.0)
                .bind(CheckInId::new().0)
                .bind(c.patient.0)
                .bind(c.session.map(|s| s.0))
                .bind(ts(c.submitted_at))
                .bind(actor.who.kind().as_str())
                .bind(Json(&c.request))
                .bind(Json(&c.result))
                .bind(c.disposition.as_str())
                .bind(c.temperature_c)
                .bind(&c.note)
                .fetch_one(&mut *tx)
                .await?;
                check_in_from(&row)?
            }
        };
        sqlx::query(
            "UPDATE follow_ups SET resolved_at = $3, note = $4 \
             WHERE clinic_id = $1 AND check_in_id = $2 AND resolved_at IS NULL",
        )
        .bind(actor.clinic.0)
        .bind(check_in.id.0)
        .bind(ts(c.submitted_at))
        .bind(FollowUpNote::PatientCheckedIn.code())
        .execute(&mut *tx)
        .await?;
        let open = match &c.alert {
            Some(_) => {
                // Two alarming check-ins at once would both find no open alert under READ
                // COMMITTED and open two: the patient's alerts are taken in turn (`TURN_LOCK`).
                if let Some(lock) = TURN_LOCK {
                    sqlx::query(lock).bind(format!("alerts:{}", c.patient.0)).execute(&mut *tx).await?;
                }
                open_alert_of(&mut *tx, actor.clinic, c.patient).await?
            }
            None => None,
        };
        let alert = match (&c.alert, open) {
            // An alert already open for the patient stands for this check-in too: the worst
            // disposition, the earliest deadline, one more check-in, and the latest report (what
            // staff act on). Staff are told again only when it got worse (and must acknowledge it
            // again); otherwise nothing new is sent.
            (Some(a), Some(open)) => {
                let worse = a.disposition > open.disposition;
                let disposition = open.disposition.max(a.disposition);
                let deadline = open.deadline_at.min(a.deadline_at);
                sqlx::query(
                    "UPDATE alerts SET disposition = $3, deadline_at = $4, check_ins = check_ins + 1, \
                     check_in_id = $6, \
                     acknowledged_by = CASE WHEN $5 THEN NULL ELSE acknowledged_by END, \
                     acknowledged_at = CASE WHEN $5 THEN NULL ELSE acknowledged_at END \
                     WHERE clinic_id = $1 AND id = $2",
                )
                .bind(actor.clinic.0)
                .bind(open.id.0)
                .bind(disposition.as_str())
                .bind(ts(deadline))
                .bind(worse)
                .bind(check_in.id.0)
                .execute(&mut *tx)
                .await?;
                if worse {
                    // Each escalation of one alert has keys of its own (the outbox keeps one
                    // message per key).
                    let again: Vec<NewMessage> = c
                        .escalation
                        .iter()
                        .cloned()
                        .map(|mut m| {
                            m.key = format!("{}:{}", m.key, open.check_ins + 1);
                            m
                        })
                        .collect();
                    insert_messages_in(&mut *tx, actor.clinic, MessageSource::Alert(open.id), &again, c.submitted_at)
                        .await?;
                }
                Some(alert_in(&mut *tx, actor.clinic, open.id).await?)
            }
            (Some(a), None) => {
                let id = AlertId::new();
                sqlx::query(
                    "INSERT INTO alerts (clinic_id, id, patient_id, session_id, check_in_id, disposition, opened_at, \
                     deadline_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(actor.clinic.0)
                .bind(id.0)
                .bind(c.patient.0)
                .bind(check_in.session.map(|s| s.0))
                .bind(check_in.id.0)
                .bind(a.disposition.as_str())
                .bind(ts(c.submitted_at))
                .bind(ts(a.deadline_at))
                .execute(&mut *tx)
                .await?;
                insert_messages_in(&mut *tx, actor.clinic, MessageSource::Alert(id), &c.escalation, c.submitted_at).await?;
                Some(alert_in(&mut *tx, actor.clinic, id).await?)
            }
            (None, _) => None,
        };
        Ok((check_in, alert))
    }

/// A session and its scheduled check-ins, judged by the session safety gates inside the caller's
/// transaction (which writes the session's audit record; an override is audited here, as the
/// act staff review).
async fn record_session_on(
    tx: &mut <Db as sqlx::Database>::Connection,
    actor: &Actor,
    s: &NewSession,
) -> Result<(Session, Vec<CheckIn>)> {
        staff_side(actor)?;
        clinical_side(actor, "sessions")?;
        patient_in(&mut *tx, actor.clinic, s.patient).await?;
        if let Some(plan) = s.plan {
            sqlx::query("SELECT id FROM plans WHERE clinic_id = $1 AND patient_id = $2 AND id = $3")
                .bind(actor.clinic.0)
                .bind(s.patient.0)
                .bind(plan.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("plan"))?;
        }
        sqlx::query("SELECT id FROM staff WHERE clinic_id = $1 AND id = $2")
            .bind(actor.clinic.0)
            .bind(s.practitioner.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("practitioner"))?;
        let facts = session_facts(&mut *tx, actor.clinic, s.patient, s.performed_at, s.min_interval_days).await?;
        let mut blockers = gates::blockers(&facts);
        blockers.extend(s.extra_blockers.iter().cloned());
        let clinician = matches!(actor.who, Who::Staff(_, Role::Practitioner) | Who::Token(_, Role::Practitioner));
        let over = s
            .override_reason
            .as_deref()
            .map(|reason| gates::Override { blockers: &s.override_blockers, reason });
        if over.is_none() && !s.override_blockers.is_empty() {
            return Err(StoreError::OverrideRefused {
                field: "override_reason",
                message: "an override names its blockers and says why the session is safe now".into(),
            });
        }
        gates::decide(&blockers, over.as_ref(), clinician).map_err(|refusal| match refusal {
            gates::Refusal::Blocked(b) => StoreError::SessionBlocked(b),
            gates::Refusal::NotAClinician => StoreError::OverrideNotAllowed,
            gates::Refusal::Reason(message) => StoreError::OverrideRefused { field: "override_reason", message },
            gates::Refusal::Naming(message) => StoreError::OverrideRefused { field: "override_blockers", message },
        })?;
        let overridden = over.is_some();
        let id = SessionId::new();
        let now = Utc::now();
        let row = sqlx::query(
            "INSERT INTO sessions (clinic_id, id, patient_id, plan_id, performed_at, device, needle_depth_mm, areas, \
             products, numbing, practitioner_id, notes, override_reason, override_blockers, created_at, \
             numbing_detail, depths, warnings) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING *",
        )
        .bind(actor.clinic.0)
        .bind(id.0)
        .bind(s.patient.0)
        .bind(s.plan.map(|p| p.0))
        .bind(ts(s.performed_at))
        .bind(&s.device)
        .bind(s.needle_depth_mm)
        .bind(to_json(&s.areas))
        .bind(to_json(&s.products))
        .bind(&s.numbing_note)
        .bind(s.practitioner.0)
        .bind(&s.notes)
        .bind(s.override_reason.as_deref().filter(|_| overridden).map(str::trim))
        .bind(overridden.then(|| to_json(&s.override_blockers)))
        .bind(ts(now))
        .bind(s.numbing.as_ref().map(to_json))
        .bind(to_json(&s.depths))
        .bind(to_json(&s.warnings))
        .fetch_one(&mut *tx)
        .await?;
        let session = session_from(&row)?;
        let mut check_ins = Vec::with_capacity(s.check_ins.len());
        for (day, due) in &s.check_ins {
            let row = sqlx::query(
                "INSERT INTO check_ins (clinic_id, id, patient_id, session_id, day, due_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
            )
            .bind(actor.clinic.0)
            .bind(CheckInId::new().0)
            .bind(s.patient.0)
            .bind(id.0)
            .bind(i64::from(*day))
            .bind(ts(*due))
            .bind(ts(now))
            .fetch_one(&mut *tx)
            .await?;
            check_ins.push(check_in_from(&row)?);
        }
        fulfil_appointment_in(&mut *tx, actor.clinic, s.patient, s.appointment, id, s.performed_at, now).await?;
        insert_messages_in(&mut *tx, actor.clinic, MessageSource::Session(id), &s.messages, now).await?;
        if overridden {
            audit_in(&mut *tx, actor, "session.override", Some(s.patient), Some(id.0)).await?;
        }
        Ok((session, check_ins))
    }
