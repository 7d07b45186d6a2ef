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
    .bind(actor.who.kind())
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

/// What stands in the way of a new session for this patient.
async fn session_blockers(
    conn: &mut <Db as sqlx::Database>::Connection,
    clinic: ClinicId,
    patient: PatientId,
) -> Result<Vec<Blocker>> {
    let mut blockers = Vec::new();
    let latest = sqlx::query(
        "SELECT id, decision FROM screenings WHERE clinic_id = $1 AND patient_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(clinic.0)
    .bind(patient.0)
    .fetch_optional(&mut *conn)
    .await?;
    match latest {
        None => blockers.push(Blocker::NoScreening),
        Some(row) => {
            let decision: String = get(&row, "decision")?;
            if decision == "defer" || decision == "not_eligible" {
                blockers.push(Blocker::Screening { screening: ScreeningId(get(&row, "id")?), decision });
            }
        }
    }
    let open = sqlx::query(
        "SELECT id, disposition FROM alerts WHERE clinic_id = $1 AND patient_id = $2 AND resolved_at IS NULL \
         ORDER BY opened_at",
    )
    .bind(clinic.0)
    .bind(patient.0)
    .fetch_all(&mut *conn)
    .await?;
    for row in open {
        blockers.push(Blocker::OpenAlert { alert: AlertId(get(&row, "id")?), disposition: get(&row, "disposition")? });
    }
    Ok(blockers)
}
