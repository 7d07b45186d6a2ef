// Sign-in links and dead ends (`crate::access`). Part of `queries.rs`.

#[async_trait]
impl Access for Backend {
    async fn patients_by_email(&self, email: &str) -> Result<Vec<(ClinicId, PatientId)>> {
        if email.contains('\0') {
            return Ok(Vec::new());
        }
        let rows = sqlx::query("SELECT clinic_id, id FROM patients WHERE lower(email) = $1 ORDER BY clinic_id, id LIMIT 20")
            .bind(email.trim().to_lowercase())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok((ClinicId(get(r, "clinic_id")?), PatientId(get(r, "id")?)))).collect()
    }

    async fn send_invite(
        &self,
        actor: &Actor,
        patient: PatientId,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        message: NewMessage,
    ) -> Result<()> {
        staff_side(actor)?;
        let now = Utc::now();
        let mut tx = self.begin().await?;
        patient_in(&mut tx, actor.clinic, patient).await?;
        sqlx::query(
            "INSERT INTO invites (token_hash, clinic_id, patient_id, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(actor.clinic.0)
        .bind(patient.0)
        .bind(actor.who.staff().map(|s| s.0))
        .bind(ts(now))
        .bind(ts(expires_at))
        .execute(&mut *tx)
        .await?;
        let source = MessageSource::Invite(Uuid::now_v7());
        insert_messages_in(&mut tx, actor.clinic, source, std::slice::from_ref(&message), now).await?;
        let action = if actor.who.staff().is_some() { "patient.invite_sent" } else { "patient.sign_in_link_sent" };
        audit_in(&mut tx, actor, action, Some(patient), Some(source.id())).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn end_patient_access(
        &self,
        actor: &Actor,
        patient: PatientId,
        withdraw_invites: bool,
        now: DateTime<Utc>,
    ) -> Result<(u64, u64)> {
        let own = match actor.who {
            Who::Patient(p) if p == patient => true,
            _ => {
                staff_side(actor)?;
                false
            }
        };
        let mut tx = self.begin().await?;
        patient_in(&mut tx, actor.clinic, patient).await?;
        let ended = sqlx::query("DELETE FROM logins WHERE clinic_id = $1 AND kind = 'patient' AND principal_id = $2")
            .bind(actor.clinic.0)
            .bind(patient.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let withdrawn = if withdraw_invites {
            sqlx::query(
                "UPDATE invites SET expires_at = $3 \
                 WHERE clinic_id = $1 AND patient_id = $2 AND used_at IS NULL AND expires_at > $3",
            )
            .bind(actor.clinic.0)
            .bind(patient.0)
            .bind(ts(now))
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            0
        };
        let action = if own { "patient.signed_out_everywhere" } else { "patient.access_ended" };
        audit_in(&mut tx, actor, action, Some(patient), None).await?;
        tx.commit().await?;
        Ok((ended, withdrawn))
    }

    async fn invite_clinic(&self, token_hash: &str) -> Result<Option<ClinicId>> {
        let row = sqlx::query("SELECT clinic_id FROM invites WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok(ClinicId(get(&r, "clinic_id")?))).transpose()
    }
}
