// The units of work of `unit.rs` on this backend. Part of `queries.rs`.

/// One use case's transaction. A reading unit on SQLite holds a read-only connection and writes
/// its audit record through the writer when it finishes; everything else runs in `tx`.
struct Unit {
    tx: UnitTx,
    actor: Actor,
    /// The pool the audit record is written through after a read-only transaction ends; `None`
    /// when `tx` itself may write.
    audit_writer: Option<AuditWriter>,
}

impl Backend {
    async fn open_reading(&self, actor: &Actor) -> Result<Unit> {
        let (tx, audit_writer) = self.begin_read().await?;
        Ok(Unit { tx, actor: actor.clone(), audit_writer })
    }

    /// A reading unit on the record of the patient whose calendar link hashes to `token_hash`,
    /// as the system actor of their clinic (a calendar app cannot log in: the link is the key).
    /// The token is looked up in the unit's own snapshot.
    async fn open_calendar_reading(&self, token_hash: &str) -> Result<Option<(PatientId, Unit)>> {
        let (mut tx, audit_writer) = self.begin_read().await?;
        let Some((clinic, patient)) = calendar_owner_on(&mut tx, token_hash).await? else {
            return Ok(None);
        };
        let actor = Actor { clinic, who: Who::System, ip: None };
        Ok(Some((patient, Unit { tx, actor, audit_writer })))
    }

    async fn open_writing(&self, actor: &Actor) -> Result<Unit> {
        Ok(Unit { tx: self.begin().await?, actor: actor.clone(), audit_writer: None })
    }
}

#[async_trait]
impl crate::unit::Reading for Unit {
    fn actor(&self) -> &Actor {
        &self.actor
    }

    async fn clinic(&mut self) -> Result<Clinic> {
        clinic_on(&mut self.tx, self.actor.clinic).await
    }

    async fn patient(&mut self, id: PatientId) -> Result<Patient> {
        own(&self.actor, id)?;
        patient_in(&mut self.tx, self.actor.clinic, id).await
    }

    async fn screenings(&mut self, patient: PatientId) -> Result<Vec<Screening>> {
        screenings_on(&mut self.tx, &self.actor, patient, Page::ALL).await
    }

    async fn plans(&mut self, patient: PatientId) -> Result<Vec<Plan>> {
        plans_on(&mut self.tx, &self.actor, patient, Page::ALL).await
    }

    async fn sessions(&mut self, patient: PatientId) -> Result<Vec<Session>> {
        sessions_on(&mut self.tx, &self.actor, patient, Page::ALL).await
    }

    async fn check_ins(&mut self, patient: PatientId) -> Result<Vec<CheckIn>> {
        check_ins_on(&mut self.tx, &self.actor, patient, Page::ALL).await
    }

    async fn recent_check_ins(&mut self, patient: PatientId, page: Page) -> Result<Vec<CheckIn>> {
        check_ins_on(&mut self.tx, &self.actor, patient, page).await
    }

    async fn check_in(&mut self, patient: PatientId, id: CheckInId) -> Result<Option<CheckIn>> {
        check_in_on(&mut self.tx, &self.actor, patient, id).await
    }

    async fn scheduled_check_ins(&mut self, patient: PatientId) -> Result<Vec<CheckIn>> {
        own(&self.actor, patient)?;
        let rows = sqlx::query(
            "SELECT * FROM check_ins WHERE clinic_id = $1 AND patient_id = $2 AND due_at IS NOT NULL ORDER BY due_at, id",
        )
        .bind(self.actor.clinic.0)
        .bind(patient.0)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(check_in_from).collect()
    }

    async fn recent_sessions(&mut self, patient: PatientId, page: Page) -> Result<Vec<Session>> {
        sessions_on(&mut self.tx, &self.actor, patient, page).await
    }

    async fn recent_screenings(&mut self, patient: PatientId, page: Page) -> Result<Vec<Screening>> {
        screenings_on(&mut self.tx, &self.actor, patient, page).await
    }

    async fn latest_consent(&mut self, patient: PatientId, kind: ConsentKind) -> Result<Option<Consent>> {
        own(&self.actor, patient)?;
        let row = sqlx::query(
            "SELECT * FROM consents WHERE clinic_id = $1 AND patient_id = $2 AND kind = $3 \
             ORDER BY signed_at DESC, id DESC LIMIT 1",
        )
        .bind(self.actor.clinic.0)
        .bind(patient.0)
        .bind(kind.as_str())
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(consent_from).transpose()
    }

    async fn recent_plans(&mut self, patient: PatientId, page: Page) -> Result<Vec<Plan>> {
        plans_on(&mut self.tx, &self.actor, patient, page).await
    }

    async fn recent_appointments(&mut self, patient: PatientId, page: Page) -> Result<Vec<Appointment>> {
        appointments_on(&mut self.tx, &self.actor, patient, page).await
    }

    async fn session_count(&mut self, patient: PatientId) -> Result<u32> {
        own(&self.actor, patient)?;
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE clinic_id = $1 AND patient_id = $2")
            .bind(self.actor.clinic.0)
            .bind(patient.0)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn scheduled_check_ins_of(&mut self, patient: PatientId, session: SessionId) -> Result<Vec<CheckIn>> {
        own(&self.actor, patient)?;
        let rows = sqlx::query(
            "SELECT * FROM check_ins WHERE clinic_id = $1 AND patient_id = $2 AND session_id = $3 AND due_at IS NOT NULL \
             ORDER BY due_at, id",
        )
        .bind(self.actor.clinic.0)
        .bind(patient.0)
        .bind(session.0)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(check_in_from).collect()
    }

    async fn check_ins_sent_since(&mut self, patient: PatientId, since: DateTime<Utc>) -> Result<u32> {
        own(&self.actor, patient)?;
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM check_ins WHERE clinic_id = $1 AND patient_id = $2 AND submitted_at >= $3",
        )
        .bind(self.actor.clinic.0)
        .bind(patient.0)
        .bind(ts(since))
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn appointments(&mut self, patient: PatientId) -> Result<Vec<Appointment>> {
        appointments_on(&mut self.tx, &self.actor, patient, Page::ALL).await
    }

    async fn messages(&mut self, patient: PatientId, limit: u32) -> Result<Vec<Message>> {
        messages_on(&mut self.tx, &self.actor, patient, limit).await
    }

    async fn staff(&mut self) -> Result<Vec<Staff>> {
        staff_list_on(&mut self.tx, &self.actor).await
    }

    async fn alerts(&mut self, patient: PatientId) -> Result<Vec<Alert>> {
        staff_side(&self.actor)?;
        clinical_side(&self.actor, "alerts")?;
        // In the queue's order: open first, most urgent first, then the earliest deadline.
        let sql = format!(
            "{ALERT_SELECT} WHERE a.clinic_id = $1 AND a.patient_id = $2 ORDER BY \
             CASE WHEN a.resolved_at IS NULL THEN 0 ELSE 1 END, \
             CASE a.disposition WHEN 'emergency' THEN 0 WHEN 'urgent_same_day' THEN 1 ELSE 2 END, \
             a.deadline_at, a.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.actor.clinic.0)
            .bind(patient.0)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(alert_from).collect()
    }

    async fn blockers(&mut self, patient: PatientId, at: DateTime<Utc>, min_interval_days: u32) -> Result<Vec<Blocker>> {
        staff_side(&self.actor)?;
        clinical_side(&self.actor, "sessions")?;
        patient_in(&mut self.tx, self.actor.clinic, patient).await?;
        let facts = session_facts(&mut self.tx, self.actor.clinic, patient, at, min_interval_days).await?;
        Ok(gates::blockers(&facts))
    }

    async fn audit_trail(&mut self, patient: PatientId, limit: u32) -> Result<Vec<AuditEntry>> {
        staff_side(&self.actor)?;
        let rows = sqlx::query(
            "SELECT * FROM audit WHERE clinic_id = $1 AND patient_id = $2 ORDER BY at DESC, id DESC LIMIT $3",
        )
        .bind(self.actor.clinic.0)
        .bind(patient.0)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(audit_from).collect()
    }

    async fn staff_to_tell(&mut self) -> Result<Vec<Staff>> {
        let system = Actor { clinic: self.actor.clinic, who: Who::System, ip: None };
        staff_list_on(&mut self.tx, &system).await
    }

    // --- patient side: reads ---------------------------------------------------------------

    async fn reminder_settings(&mut self, patient: PatientId) -> Result<ReminderSettings> {
        reminder_settings_on(&mut self.tx, &self.actor, patient).await
    }

    async fn calendar_appointments(&mut self, patient: PatientId) -> Result<Vec<Appointment>> {
        feed_appointments_on(&mut self.tx, &self.actor, patient).await
    }

    async fn calendar_messages(&mut self, patient: PatientId) -> Result<Vec<Message>> {
        feed_messages_on(&mut self.tx, &self.actor, patient).await
    }

    // --- staff side: reads -------------------------------------------------------------------
    async fn alert_queue(&mut self, filter: AlertFilter, page: Page) -> Result<Vec<Alert>> {
        alert_queue_on(&mut self.tx, &self.actor, filter, page).await
    }

    async fn follow_ups(&mut self, open_only: bool, page: Page) -> Result<Vec<FollowUp>> {
        follow_ups_on(&mut self.tx, &self.actor, open_only, page).await
    }

    async fn patients(&mut self, search: Option<&str>, limit: u32, offset: u32) -> Result<Vec<Patient>> {
        patients_on(&mut self.tx, &self.actor, search, limit, offset).await
    }

    async fn clinic_audit(&mut self, limit: u32) -> Result<Vec<AuditEntry>> {
        audit_list_on(&mut self.tx, &self.actor, None, limit).await
    }

    async fn consent_documents(&mut self) -> Result<Vec<ConsentDocument>> {
        consent_documents_on(&mut self.tx, self.actor.clinic).await
    }

    async fn current_consent_document(&mut self, kind: ConsentKind) -> Result<Option<ConsentDocument>> {
        current_consent_document_on(&mut self.tx, self.actor.clinic, kind).await
    }

    async fn consents(&mut self, patient: PatientId) -> Result<Vec<Consent>> {
        consents_on(&mut self.tx, &self.actor, patient).await
    }

    async fn photos(&mut self, patient: PatientId) -> Result<Vec<Photo>> {
        photos_on(&mut self.tx, &self.actor, patient).await
    }

    async fn photo(&mut self, id: PhotoId) -> Result<Photo> {
        photo_on(&mut self.tx, &self.actor, id).await
    }

    async fn redness_regions(&mut self, patient: PatientId) -> Result<Vec<RednessRegions>> {
        redness_regions_on(&mut self.tx, &self.actor, patient).await
    }

    async fn assessments(&mut self, patient: PatientId) -> Result<Vec<ScarAssessment>> {
        assessments_on(&mut self.tx, &self.actor, patient).await
    }

    async fn outcome_answers(&mut self, patient: PatientId) -> Result<Vec<OutcomeAnswer>> {
        outcome_answers_on(&mut self.tx, &self.actor, patient).await
    }

    async fn report_sessions(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionFact>> {
        report_sessions_on(&mut self.tx, &self.actor, from, to, now).await
    }

    async fn report_grades(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<GradeFact>> {
        report_grades_on(&mut self.tx, &self.actor, from, to).await
    }

    async fn report_answers(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<AnswerFact>> {
        report_answers_on(&mut self.tx, &self.actor, from, to).await
    }

    async fn finish(self: Box<Self>, audit: crate::unit::Audit) -> Result<()> {
        let Unit { mut tx, actor, audit_writer } = *self;
        match audit_writer {
            None => {
                audit_record_on(&mut tx, &actor, &audit).await?;
                tx.commit().await?;
            }
            Some(writer) => {
                tx.commit().await?;
                let mut w = begin_audit(&writer).await?;
                audit_record_on(&mut w, &actor, &audit).await?;
                w.commit().await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl crate::unit::Writing for Unit {
    async fn submit_check_in(&mut self, submission: CheckInSubmission) -> Result<(CheckIn, Option<Alert>)> {
        submit_check_in_on(&mut self.tx, &self.actor, &submission).await
    }

    async fn add_screening(&mut self, screening: NewScreening) -> Result<Screening> {
        add_screening_on(&mut self.tx, &self.actor, &screening).await
    }

    async fn add_plan(&mut self, plan: NewPlan) -> Result<Plan> {
        add_plan_on(&mut self.tx, &self.actor, &plan).await
    }

    async fn record_session(&mut self, session: NewSession) -> Result<(Session, Vec<CheckIn>)> {
        record_session_on(&mut self.tx, &self.actor, &session).await
    }

    // --- patient side: writes ----------------------------------------------------------------

    async fn set_reminder_channels(
        &mut self,
        patient: PatientId,
        email: bool,
        sms: bool,
        now: DateTime<Utc>,
    ) -> Result<ReminderSettings> {
        set_reminder_channels_on(&mut self.tx, &self.actor, patient, email, sms, now).await
    }

    async fn set_calendar_token(
        &mut self,
        patient: PatientId,
        token_hash: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ReminderSettings> {
        set_calendar_token_on(&mut self.tx, &self.actor, patient, token_hash, now).await
    }

    // --- staff side: writes ------------------------------------------------------------------
    async fn acknowledge_alert(&mut self, id: AlertId, now: DateTime<Utc>) -> Result<Alert> {
        acknowledge_alert_on(&mut self.tx, &self.actor, id, now).await
    }

    async fn resolve_alert(&mut self, id: AlertId, note: &str, now: DateTime<Utc>) -> Result<Alert> {
        resolve_alert_on(&mut self.tx, &self.actor, id, note, now).await
    }

    async fn resolve_follow_up(&mut self, id: FollowUpId, note: &str, now: DateTime<Utc>) -> Result<FollowUp> {
        resolve_follow_up_on(&mut self.tx, &self.actor, id, note, now).await
    }

    async fn create_patient(&mut self, patient: NewPatient) -> Result<Patient> {
        create_patient_on(&mut self.tx, &self.actor, &patient).await
    }

    async fn update_patient(&mut self, id: PatientId, update: PatientUpdate) -> Result<Patient> {
        update_patient_on(&mut self.tx, &self.actor, id, update).await
    }

    async fn create_invite(&mut self, patient: PatientId, token_hash: &str, expires_at: DateTime<Utc>) -> Result<()> {
        create_invite_on(&mut self.tx, &self.actor, patient, token_hash, expires_at).await
    }

    async fn send_invite(
        &mut self,
        patient: PatientId,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        message: NewMessage,
    ) -> Result<()> {
        create_invite_on(&mut self.tx, &self.actor, patient, token_hash, expires_at).await?;
        let source = crate::MessageSource::Invite(uuid::Uuid::now_v7());
        insert_messages_in(&mut self.tx, self.actor.clinic, source, std::slice::from_ref(&message), Utc::now()).await?;
        Ok(())
    }

    // --- appointments ------------------------------------------------------------------------

    async fn book_appointment(
        &mut self,
        appointment: NewAppointment,
        messages: Vec<NewMessage>,
        now: DateTime<Utc>,
    ) -> Result<Appointment> {
        book_appointment_on(&mut self.tx, &self.actor, &appointment, &messages, now).await
    }

    async fn reschedule_appointment(
        &mut self,
        patient: PatientId,
        id: AppointmentId,
        starts_at: DateTime<Utc>,
        messages: Vec<NewMessage>,
        now: DateTime<Utc>,
    ) -> Result<Appointment> {
        reschedule_appointment_on(&mut self.tx, &self.actor, patient, id, starts_at, &messages, now).await
    }

    async fn cancel_appointment(&mut self, patient: PatientId, id: AppointmentId, now: DateTime<Utc>) -> Result<Appointment> {
        cancel_appointment_on(&mut self.tx, &self.actor, patient, id, now).await
    }

    async fn retry_message(&mut self, id: MessageId, now: DateTime<Utc>) -> Result<Message> {
        retry_message_on(&mut self.tx, &self.actor, id, now).await
    }

    async fn publish_consent_document(
        &mut self,
        document: NewConsentDocument,
        now: DateTime<Utc>,
    ) -> Result<ConsentDocument> {
        publish_consent_document_on(&mut self.tx, &self.actor, document, now).await
    }

    async fn attach_consent_scan(&mut self, patient: PatientId, id: ConsentId, scan_sha256: &str) -> Result<Consent> {
        attach_consent_scan_on(&mut self.tx, &self.actor, patient, id, scan_sha256).await
    }

    async fn sign_consent(&mut self, consent: NewConsent) -> Result<Consent> {
        sign_consent_on(&mut self.tx, &self.actor, consent).await
    }

    async fn withdraw_consent(
        &mut self,
        patient: PatientId,
        id: ConsentId,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Consent> {
        withdraw_consent_on(&mut self.tx, &self.actor, patient, id, note, now).await
    }

    async fn add_photo(&mut self, photo: NewPhoto) -> Result<Photo> {
        add_photo_on(&mut self.tx, &self.actor, photo).await
    }

    async fn set_redness_regions(
        &mut self,
        patient: PatientId,
        view: PhotoView,
        treated: Region,
        reference: Region,
        now: DateTime<Utc>,
    ) -> Result<RednessRegions> {
        set_redness_regions_on(&mut self.tx, &self.actor, patient, view, treated, reference, now).await
    }

    async fn set_photo_redness(&mut self, photo: PhotoId, redness: Option<f64>) -> Result<()> {
        set_photo_redness_on(&mut self.tx, &self.actor, photo, redness).await
    }

    async fn flag_photo(&mut self, patient: PatientId, check_in: CheckInId, photo: PhotoId, now: DateTime<Utc>) -> Result<()> {
        flag_photo_on(&mut self.tx, &self.actor, patient, check_in, photo, now).await
    }

    async fn add_assessment(&mut self, new: NewScarAssessment) -> Result<ScarAssessment> {
        add_assessment_on(&mut self.tx, &self.actor, new).await
    }

    async fn add_outcome_answer(&mut self, new: NewOutcomeAnswer) -> Result<OutcomeAnswer> {
        add_outcome_answer_on(&mut self.tx, &self.actor, new).await
    }
}
