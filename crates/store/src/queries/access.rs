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
        // Who sent it: the member of staff or the API token (none for a link the patient asked
        // for), named in the audit when the invite is opened (issue 14, defect 5).
        .bind(actor.who.id())
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

    async fn take_login_turn(&self, rules: &[ThrottleRule], now: DateTime<Utc>) -> Result<LoginTurn> {
        let mut tx = self.begin().await?;
        // On PostgreSQL each key is taken in turn (in a fixed order, so two attempts never wait
        // on each other); SQLite's single writer already serialises the transaction.
        if let Some(lock) = TURN_LOCK {
            let mut keys: Vec<&str> = rules.iter().map(|r| r.key.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                sqlx::query(lock).bind(format!("login:{key}")).execute(&mut *tx).await?;
            }
        }
        let mut counted = Vec::with_capacity(rules.len());
        let mut wait = chrono::Duration::zero();
        for rule in rules {
            let row = sqlx::query("SELECT attempts, last_at, next_at FROM login_throttle WHERE key = $1")
                .bind(&rule.key)
                .fetch_optional(&mut *tx)
                .await?;
            let attempts = match &row {
                Some(r) if now - time(r, "last_at")? <= rule.window => {
                    let attempts = u32::try_from(get::<i64>(r, "attempts")?).unwrap_or(u32::MAX);
                    // Only a key past its free attempts holds anyone back (attempts that took
                    // their turns a moment apart may see each other's clocks slightly ahead).
                    if attempts >= rule.free {
                        wait = wait.max(time(r, "next_at")? - now);
                    }
                    attempts
                }
                _ => 0,
            };
            counted.push(attempts.saturating_add(1));
        }
        if wait > chrono::Duration::zero() {
            tx.rollback().await?;
            let seconds = u64::try_from(wait.num_seconds()).unwrap_or(0);
            return Ok(LoginTurn::Wait(seconds.max(1)));
        }
        for (rule, attempts) in rules.iter().zip(&counted) {
            sqlx::query(
                "INSERT INTO login_throttle (key, attempts, last_at, next_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (key) DO UPDATE SET attempts = $2, last_at = $3, next_at = $4",
            )
            .bind(&rule.key)
            .bind(i64::from(*attempts))
            .bind(ts(now))
            .bind(ts(now + rule.wait_after(*attempts)))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(LoginTurn::Go(counted))
    }

    async fn forget_login_attempts(&self, keys: &[String]) -> Result<()> {
        let mut tx = self.begin().await?;
        for key in keys {
            sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn prune_login_attempts(&self, before: DateTime<Utc>) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM login_throttle WHERE last_at < $1")
            .bind(ts(before))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    async fn service_key(&self, name: &str, fresh: &str) -> Result<String> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO service_keys (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .bind(ts(Utc::now()))
        .execute(&mut *tx)
        .await?;
        let key: String = sqlx::query_scalar("SELECT secret FROM service_keys WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(key)
    }

    async fn trust_device(&self, clinic: ClinicId, staff: StaffId, token_hash: &str, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO trusted_devices (token_hash, clinic_id, staff_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(token_hash)
        .bind(clinic.0)
        .bind(staff.0)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn trusted_device(&self, token_hash: &str) -> Result<Option<(ClinicId, StaffId)>> {
        let row = sqlx::query("SELECT clinic_id, staff_id FROM trusted_devices WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok((ClinicId(get(&r, "clinic_id")?), StaffId(get(&r, "staff_id")?)))).transpose()
    }

    async fn tell_account_owner(&self, clinic: ClinicId, staff: StaffId, message: NewMessage) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = Utc::now();
        insert_messages_in(&mut tx, clinic, MessageSource::Account(staff), std::slice::from_ref(&message), now).await?;
        let actor = Actor { clinic, who: Who::System, ip: None };
        audit_in(&mut tx, &actor, "staff.login_warning", None, Some(staff.0)).await?;
        tx.commit().await?;
        Ok(())
    }
}
