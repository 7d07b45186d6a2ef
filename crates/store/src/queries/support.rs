// Steps that run inside a caller's transaction: the audit record, lookups that must see the
// transaction's own writes, and what blocks a new session. Part of `queries.rs`.

const ALERT_SELECT: &str = "SELECT a.*, p.name AS patient_name FROM alerts a \
     JOIN patients p ON p.clinic_id = a.clinic_id AND p.id = a.patient_id";

async fn audit_in(
    conn: &mut <Db as sqlx::Database>::Connection,
    actor: &Actor,
    action: &str,
    patient: Option<PatientId>,
    target: Option<Uuid>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit (clinic_id, id, at, actor_kind, actor_id, action, patient_id, target_id, ip) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(actor.clinic.0)
    .bind(AuditId::new().0)
    .bind(ts(Utc::now()))
    .bind(actor.who.kind().as_str())
    .bind(actor.who.id())
    .bind(action)
    .bind(patient.map(|p| p.0))
    .bind(target)
    .bind(actor.ip.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn patient_in(conn: &mut <Db as sqlx::Database>::Connection, clinic: ClinicId, id: PatientId) -> Result<Patient> {
    let row = sqlx::query("SELECT * FROM patients WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.0)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("patient"))?;
    patient_from(&row)
}

async fn alert_in(conn: &mut <Db as sqlx::Database>::Connection, clinic: ClinicId, id: AlertId) -> Result<Alert> {
    let sql = format!("{ALERT_SELECT} WHERE a.clinic_id = $1 AND a.id = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(clinic.0)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("alert"))?;
    alert_from(&row)
}

/// The patient's open (unresolved) alert, the newest when there are several (from before
/// alerts were coalesced).
async fn open_alert_of(
    conn: &mut <Db as sqlx::Database>::Connection,
    clinic: ClinicId,
    patient: PatientId,
) -> Result<Option<Alert>> {
    let sql = format!(
        "{ALERT_SELECT} WHERE a.clinic_id = $1 AND a.patient_id = $2 AND a.resolved_at IS NULL \
         ORDER BY a.opened_at DESC LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(clinic.0).bind(patient.0).fetch_optional(&mut *conn).await?;
    row.map(|r| alert_from(&r)).transpose()
}

async fn follow_up_in(
    conn: &mut <Db as sqlx::Database>::Connection,
    clinic: ClinicId,
    id: FollowUpId,
) -> Result<FollowUp> {
    let row = sqlx::query(
        "SELECT f.*, p.name AS patient_name FROM follow_ups f \
         JOIN patients p ON p.clinic_id = f.clinic_id AND p.id = f.patient_id \
         WHERE f.clinic_id = $1 AND f.id = $2",
    )
    .bind(clinic.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("follow-up"))?;
    follow_up_from(&row)
}

/// The facts of the session safety gates for this patient, read inside the transaction that
/// records the session: the latest screening with its review, the treatment consent, the latest
/// session, and the alerts that are open or were opened since that session. Core judges them.
async fn session_facts(
    conn: &mut <Db as sqlx::Database>::Connection,
    clinic: ClinicId,
    patient: PatientId,
    performed_at: DateTime<Utc>,
    min_interval_days: u32,
) -> Result<gates::SessionFacts> {
    let latest = sqlx::query(
        "SELECT result, review_decision FROM screenings WHERE clinic_id = $1 AND patient_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(clinic.0)
    .bind(patient.0)
    .fetch_optional(&mut *conn)
    .await?;
    let (screening, guardian_required) = match latest {
        None => (None, false),
        Some(row) => {
            let result: Value = json(&row, "result")?;
            // A minor (the protocol's age rule) is consented for by a parent or guardian.
            let minor = result["guardian_consent_required"].as_bool().unwrap_or(false);
            (Some(gates::ScreeningFacts::from_result(&result, review_decision(&row)?)), minor)
        }
    };
    let consent = treatment_consent_facts(&mut *conn, clinic, patient, guardian_required).await?;
    let last = sqlx::query(
        "SELECT performed_at FROM sessions WHERE clinic_id = $1 AND patient_id = $2 \
         ORDER BY performed_at DESC, id DESC LIMIT 1",
    )
    .bind(clinic.0)
    .bind(patient.0)
    .fetch_optional(&mut *conn)
    .await?;
    let last_session_at = last.map(|row| time(&row, "performed_at")).transpose()?;
    // Without a session, every alert counts (year 1 is a moment both backends store).
    let since = last_session_at.unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default().and_time(chrono::NaiveTime::MIN).and_utc()
    });
    let rows = sqlx::query(
        "SELECT id, disposition, opened_at, resolved_at FROM alerts WHERE clinic_id = $1 AND patient_id = $2 \
         AND (resolved_at IS NULL OR opened_at >= $3) ORDER BY opened_at, id",
    )
    .bind(clinic.0)
    .bind(patient.0)
    .bind(ts(since))
    .fetch_all(&mut *conn)
    .await?;
    let mut alerts = Vec::with_capacity(rows.len());
    for row in rows {
        // An alert whose disposition cannot be read stops the gates (corrupt), never defaults.
        let disposition = disposition(&row, "alerts", "disposition")?;
        alerts.push(gates::AlertFact {
            id: get::<Uuid>(&row, "id")?.to_string(),
            disposition,
            opened_at: time(&row, "opened_at")?,
            open: time_opt(&row, "resolved_at")?.is_none(),
        });
    }
    Ok(gates::SessionFacts { screening, last_session_at, alerts, min_interval_days, performed_at, consent })
}
