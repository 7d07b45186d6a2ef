// The SQL of the store, written once and compiled into both backend modules of `backend.rs`
// (with `include!`), each of which defines `Db`, `DbRow`, `Ts`, `ts`, `from_ts`, `Backend` and
// the methods `begin`, `reader`, `backend_name` and `check_integrity`. Only SQL that SQLite and
// PostgreSQL read alike belongs here: `$n` parameters, `RETURNING`, `ON CONFLICT`, `COALESCE`,
// `lower(...) LIKE ... ESCAPE`.

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::Row as _;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{Store, StoreError};
use crate::records::*;

fn get<T>(row: &DbRow, col: &str) -> Result<T>
where
    T: for<'r> sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    row.try_get(col).map_err(|e| StoreError::Corrupt(format!("column {col}: {e}")))
}

fn time(row: &DbRow, col: &str) -> Result<DateTime<Utc>> {
    from_ts(get::<Ts>(row, col)?)
}

fn time_opt(row: &DbRow, col: &str) -> Result<Option<DateTime<Utc>>> {
    get::<Option<Ts>>(row, col)?.map(from_ts).transpose()
}

fn json<T: DeserializeOwned>(row: &DbRow, col: &str) -> Result<T> {
    let Json(v) = get::<Json<Value>>(row, col)?;
    serde_json::from_value(v).map_err(|e| StoreError::Corrupt(format!("column {col}: {e}")))
}

fn json_opt(row: &DbRow, col: &str) -> Result<Option<Value>> {
    Ok(get::<Option<Json<Value>>>(row, col)?.map(|j| j.0))
}

fn to_json<T: Serialize>(v: &T) -> Json<Value> {
    Json(serde_json::to_value(v).unwrap_or(Value::Null))
}

fn small<T: TryFrom<i64>>(row: &DbRow, col: &str) -> Result<Option<T>> {
    get::<Option<i64>>(row, col)?
        .map(|v| T::try_from(v).map_err(|_| StoreError::Corrupt(format!("column {col}: {v} out of range"))))
        .transpose()
}

fn date_opt(row: &DbRow, col: &str) -> Result<Option<NaiveDate>> {
    get::<Option<String>>(row, col)?
        .map(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("column {col}: {e}")))
        })
        .transpose()
}

fn role(row: &DbRow, col: &str) -> Result<Role> {
    let s: String = get(row, col)?;
    Role::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("column {col}: unknown role {s}")))
}

fn uuid_opt(row: &DbRow, col: &str) -> Result<Option<Uuid>> {
    get::<Option<Uuid>>(row, col)
}

/// A patient may only ever reach their own record; anyone else sees it as absent.
fn own(actor: &Actor, patient: PatientId) -> Result<()> {
    match actor.who {
        Who::Patient(p) if p != patient => Err(StoreError::NotFound("patient")),
        _ => Ok(()),
    }
}

/// Clinic-side records (the queue, staff, tokens, audit, other patients' invites and sessions)
/// are never a patient's to read or change.
fn staff_side(actor: &Actor) -> Result<()> {
    match actor.who {
        Who::Patient(_) => Err(StoreError::NotFound("record")),
        _ => Ok(()),
    }
}

fn unique(e: sqlx::Error, message: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(message.to_string()),
        _ => StoreError::Database(e),
    }
}

/// What a patient search looks in, lowercased here (Unicode-aware) rather than by SQL `lower()`,
/// which folds only ASCII on SQLite.
fn search_text(name: &str, email: Option<&str>, phone: Option<&str>) -> String {
    format!("{}\n{}\n{}", name, email.unwrap_or_default(), phone.unwrap_or_default()).to_lowercase()
}

fn like_pattern(search: &str) -> String {
    let escaped = search.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

fn clinic_from(row: &DbRow) -> Result<Clinic> {
    Ok(Clinic {
        id: ClinicId(get(row, "clinic_id")?),
        name: get(row, "name")?,
        time_zone: get(row, "time_zone")?,
        settings: json(row, "settings")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn staff_from(row: &DbRow) -> Result<Staff> {
    Ok(Staff {
        id: StaffId(get(row, "id")?),
        clinic: ClinicId(get(row, "clinic_id")?),
        email: get(row, "email")?,
        name: get(row, "name")?,
        role: role(row, "role")?,
        active: get(row, "active")?,
        password_hash: get(row, "password_hash")?,
        created_at: time(row, "created_at")?,
    })
}

fn login_from(row: &DbRow) -> Result<Login> {
    let kind: String = get(row, "kind")?;
    Ok(Login {
        token_hash: get(row, "token_hash")?,
        clinic: ClinicId(get(row, "clinic_id")?),
        kind: if kind == "patient" { LoginKind::Patient } else { LoginKind::Staff },
        principal: get(row, "principal_id")?,
        csrf_token: get(row, "csrf_token")?,
        created_at: time(row, "created_at")?,
        expires_at: time(row, "expires_at")?,
    })
}

fn token_from(row: &DbRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: TokenId(get(row, "id")?),
        clinic: ClinicId(get(row, "clinic_id")?),
        name: get(row, "name")?,
        role: role(row, "role")?,
        token_hash: get(row, "token_hash")?,
        created_by: uuid_opt(row, "created_by")?.map(StaffId),
        created_at: time(row, "created_at")?,
        revoked_at: time_opt(row, "revoked_at")?,
    })
}

fn patient_from(row: &DbRow) -> Result<Patient> {
    Ok(Patient {
        id: PatientId(get(row, "id")?),
        clinic: ClinicId(get(row, "clinic_id")?),
        name: get(row, "name")?,
        email: get(row, "email")?,
        phone: get(row, "phone")?,
        time_zone: get(row, "time_zone")?,
        birth_date: date_opt(row, "birth_date")?,
        fitzpatrick: small(row, "fitzpatrick")?,
        findings: json(row, "findings")?,
        consent_messages: get(row, "consent_messages")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn screening_from(row: &DbRow) -> Result<Screening> {
    Ok(Screening {
        id: ScreeningId(get(row, "id")?),
        patient: PatientId(get(row, "patient_id")?),
        request: json(row, "request")?,
        result: json(row, "result")?,
        decision: get(row, "decision")?,
        defer_until: date_opt(row, "defer_until")?,
        protocol_version: get(row, "protocol_version")?,
        recorded_by: uuid_opt(row, "recorded_by")?.map(StaffId),
        reviewed_by: uuid_opt(row, "reviewed_by")?.map(StaffId),
        reviewed_at: time_opt(row, "reviewed_at")?,
        review_note: get(row, "review_note")?,
        created_at: time(row, "created_at")?,
    })
}

fn plan_from(row: &DbRow) -> Result<Plan> {
    Ok(Plan {
        id: PlanId(get(row, "id")?),
        patient: PatientId(get(row, "patient_id")?),
        request: json(row, "request")?,
        result: json(row, "result")?,
        created_by: uuid_opt(row, "created_by")?.map(StaffId),
        created_at: time(row, "created_at")?,
    })
}

fn session_from(row: &DbRow) -> Result<Session> {
    Ok(Session {
        id: SessionId(get(row, "id")?),
        patient: PatientId(get(row, "patient_id")?),
        plan: uuid_opt(row, "plan_id")?.map(PlanId),
        performed_at: time(row, "performed_at")?,
        device: get(row, "device")?,
        needle_depth_mm: get(row, "needle_depth_mm")?,
        areas: json(row, "areas")?,
        products: json(row, "products")?,
        numbing: get(row, "numbing")?,
        practitioner: StaffId(get(row, "practitioner_id")?),
        notes: get(row, "notes")?,
        override_reason: get(row, "override_reason")?,
        created_at: time(row, "created_at")?,
    })
}

fn check_in_from(row: &DbRow) -> Result<CheckIn> {
    Ok(CheckIn {
        id: CheckInId(get(row, "id")?),
        patient: PatientId(get(row, "patient_id")?),
        session: uuid_opt(row, "session_id")?.map(SessionId),
        day: small(row, "day")?,
        due_at: time_opt(row, "due_at")?,
        submitted_at: time_opt(row, "submitted_at")?,
        submitted_by: get(row, "submitted_by")?,
        request: json_opt(row, "request")?,
        result: json_opt(row, "result")?,
        disposition: get(row, "disposition")?,
        temperature_c: get(row, "temperature_c")?,
        note: get(row, "note")?,
        created_at: time(row, "created_at")?,
    })
}

fn alert_from(row: &DbRow) -> Result<Alert> {
    Ok(Alert {
        id: AlertId(get(row, "id")?),
        patient: PatientId(get(row, "patient_id")?),
        patient_name: get(row, "patient_name")?,
        session: uuid_opt(row, "session_id")?.map(SessionId),
        check_in: CheckInId(get(row, "check_in_id")?),
        disposition: get(row, "disposition")?,
        opened_at: time(row, "opened_at")?,
        deadline_at: time(row, "deadline_at")?,
        acknowledged_by: uuid_opt(row, "acknowledged_by")?.map(StaffId),
        acknowledged_at: time_opt(row, "acknowledged_at")?,
        resolved_by: uuid_opt(row, "resolved_by")?.map(StaffId),
        resolved_at: time_opt(row, "resolved_at")?,
        resolution_note: get(row, "resolution_note")?,
    })
}

fn follow_up_from(row: &DbRow) -> Result<FollowUp> {
    Ok(FollowUp {
        id: FollowUpId(get(row, "id")?),
        patient: PatientId(get(row, "patient_id")?),
        patient_name: get(row, "patient_name")?,
        check_in: CheckInId(get(row, "check_in_id")?),
        reason: get(row, "reason")?,
        raised_at: time(row, "raised_at")?,
        resolved_by: uuid_opt(row, "resolved_by")?.map(StaffId),
        resolved_at: time_opt(row, "resolved_at")?,
        note: get(row, "note")?,
    })
}

fn audit_from(row: &DbRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: AuditId(get(row, "id")?),
        at: time(row, "at")?,
        actor_kind: get(row, "actor_kind")?,
        actor_id: uuid_opt(row, "actor_id")?,
        action: get(row, "action")?,
        patient: uuid_opt(row, "patient_id")?.map(PatientId),
        target: uuid_opt(row, "target_id")?,
        ip: get(row, "ip")?,
    })
}

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

#[async_trait]
impl Store for Backend {
    fn backend(&self) -> &'static str {
        self.backend_name()
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(self.reader()).await?;
        Ok(())
    }

    async fn integrity_check(&self) -> Result<String> {
        self.check_integrity().await
    }

    async fn has_clinic(&self) -> Result<bool> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM clinics").fetch_one(self.reader()).await?;
        Ok(n > 0)
    }

    async fn replace_setup_token(&self, token_hash: &str, now: DateTime<Utc>, expires_at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM setup_tokens WHERE used_at IS NULL").execute(&mut *tx).await?;
        sqlx::query("INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(ts(now))
            .bind(ts(expires_at))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn complete_setup(
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
        .bind(&clinic.time_zone)
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

    async fn clinic(&self, id: ClinicId) -> Result<Clinic> {
        let row = sqlx::query("SELECT * FROM clinics WHERE clinic_id = $1")
            .bind(id.0)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound("clinic"))?;
        clinic_from(&row)
    }

    async fn update_clinic(
        &self,
        actor: &Actor,
        name: Option<String>,
        time_zone: Option<String>,
        settings: Option<ClinicSettings>,
    ) -> Result<Clinic> {
        staff_side(actor)?;
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE clinics SET name = COALESCE($2, name), time_zone = COALESCE($3, time_zone), \
             settings = COALESCE($4, settings), updated_at = $5 WHERE clinic_id = $1 RETURNING *",
        )
        .bind(actor.clinic.0)
        .bind(name)
        .bind(time_zone)
        .bind(settings.as_ref().map(to_json))
        .bind(ts(Utc::now()))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("clinic"))?;
        let clinic = clinic_from(&row)?;
        audit_in(&mut tx, actor, "clinic.update", None, Some(actor.clinic.0)).await?;
        tx.commit().await?;
        Ok(clinic)
    }

    async fn staff_by_email(&self, email: &str) -> Result<Option<Staff>> {
        sqlx::query("SELECT * FROM staff WHERE email = $1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(self.reader())
            .await?
            .map(|r| staff_from(&r))
            .transpose()
    }

    async fn staff(&self, clinic: ClinicId, id: StaffId) -> Result<Staff> {
        let row = sqlx::query("SELECT * FROM staff WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.0)
            .bind(id.0)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound("staff member"))?;
        staff_from(&row)
    }

    async fn list_staff(&self, actor: &Actor) -> Result<Vec<Staff>> {
        staff_side(actor)?;
        let rows = sqlx::query("SELECT * FROM staff WHERE clinic_id = $1 ORDER BY created_at, id")
            .bind(actor.clinic.0)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(staff_from).collect()
    }

    async fn add_staff(&self, actor: &Actor, staff: NewStaff) -> Result<Staff> {
        staff_side(actor)?;
        let mut tx = self.begin().await?;
        let id = StaffId::new();
        let row = sqlx::query(
            "INSERT INTO staff (clinic_id, id, email, name, role, password_hash, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        )
        .bind(actor.clinic.0)
        .bind(id.0)
        .bind(staff.email.trim().to_lowercase())
        .bind(&staff.name)
        .bind(staff.role.as_str())
        .bind(&staff.password_hash)
        .bind(true)
        .bind(ts(Utc::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique(e, "a staff account with this e-mail already exists"))?;
        let staff = staff_from(&row)?;
        audit_in(&mut tx, actor, "staff.add", None, Some(id.0)).await?;
        tx.commit().await?;
        Ok(staff)
    }

    async fn update_staff(&self, actor: &Actor, id: StaffId, update: StaffUpdate) -> Result<Staff> {
        staff_side(actor)?;
        let mut tx = self.begin().await?;
        let ends_logins = update.active == Some(false) || update.password_hash.is_some();
        let row = sqlx::query(
            "UPDATE staff SET name = COALESCE($3, name), role = COALESCE($4, role), active = COALESCE($5, active), \
             password_hash = COALESCE($6, password_hash) WHERE clinic_id = $1 AND id = $2 RETURNING *",
        )
        .bind(actor.clinic.0)
        .bind(id.0)
        .bind(update.name)
        .bind(update.role.map(Role::as_str))
        .bind(update.active)
        .bind(update.password_hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("staff member"))?;
        let staff = staff_from(&row)?;
        if ends_logins {
            sqlx::query("DELETE FROM logins WHERE clinic_id = $1 AND principal_id = $2")
                .bind(actor.clinic.0)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        }
        audit_in(&mut tx, actor, "staff.update", None, Some(id.0)).await?;
        tx.commit().await?;
        Ok(staff)
    }

    async fn list_clinics(&self) -> Result<Vec<Clinic>> {
        let rows = sqlx::query("SELECT * FROM clinics ORDER BY created_at").fetch_all(self.reader()).await?;
        rows.iter().map(clinic_from).collect()
    }

    async fn create_login(&self, login: &Login) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO logins (token_hash, clinic_id, kind, principal_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&login.token_hash)
        .bind(login.clinic.0)
        .bind(login.kind.as_str())
        .bind(login.principal)
        .bind(&login.csrf_token)
        .bind(ts(login.created_at))
        .bind(ts(login.expires_at))
        .execute(&mut *tx)
        .await?;
        // Expired sessions are swept whenever a new one starts, so the table stays small.
        sqlx::query("DELETE FROM logins WHERE expires_at <= $1").bind(ts(login.created_at)).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn login(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Login>> {
        sqlx::query("SELECT * FROM logins WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(ts(now))
            .fetch_optional(self.reader())
            .await?
            .map(|r| login_from(&r))
            .transpose()
    }

    async fn delete_login(&self, token_hash: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM logins WHERE token_hash = $1").bind(token_hash).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_invite(
        &self,
        actor: &Actor,
        patient: PatientId,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        staff_side(actor)?;
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
        .bind(ts(Utc::now()))
        .bind(ts(expires_at))
        .execute(&mut *tx)
        .await?;
        audit_in(&mut tx, actor, "patient.invite", Some(patient), None).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn redeem_invite(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(ClinicId, PatientId)> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE invites SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
             RETURNING clinic_id, patient_id",
        )
        .bind(ts(now))
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::InvalidToken)?;
        let clinic = ClinicId(get(&row, "clinic_id")?);
        let patient = PatientId(get(&row, "patient_id")?);
        let actor = Actor { clinic, who: Who::Patient(patient), ip: None };
        audit_in(&mut tx, &actor, "patient.invite_redeemed", Some(patient), None).await?;
        tx.commit().await?;
        Ok((clinic, patient))
    }

    async fn create_api_token(&self, actor: &Actor, name: &str, role: Role, token_hash: &str) -> Result<ApiToken> {
        staff_side(actor)?;
        let mut tx = self.begin().await?;
        let id = TokenId::new();
        let row = sqlx::query(
            "INSERT INTO api_tokens (clinic_id, id, name, role, token_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(actor.clinic.0)
        .bind(id.0)
        .bind(name)
        .bind(role.as_str())
        .bind(token_hash)
        .bind(actor.who.staff().map(|s| s.0))
        .bind(ts(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let token = token_from(&row)?;
        audit_in(&mut tx, actor, "api_token.create", None, Some(id.0)).await?;
        tx.commit().await?;
        Ok(token)
    }

    async fn list_api_tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>> {
        staff_side(actor)?;
        let rows = sqlx::query("SELECT * FROM api_tokens WHERE clinic_id = $1 ORDER BY created_at, id")
            .bind(actor.clinic.0)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(token_from).collect()
    }

    async fn revoke_api_token(&self, actor: &Actor, id: TokenId) -> Result<ApiToken> {
        staff_side(actor)?;
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE clinic_id = $1 AND id = $2",
        )
        .bind(actor.clinic.0)
        .bind(id.0)
        .bind(ts(Utc::now()))
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT * FROM api_tokens WHERE clinic_id = $1 AND id = $2")
            .bind(actor.clinic.0)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("API token"))?;
        let token = token_from(&row)?;
        audit_in(&mut tx, actor, "api_token.revoke", None, Some(id.0)).await?;
        tx.commit().await?;
        Ok(token)
    }

    async fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash)
            .fetch_optional(self.reader())
            .await?
            .map(|r| token_from(&r))
            .transpose()
    }

    async fn create_patient(&self, actor: &Actor, p: NewPatient) -> Result<Patient> {
        let mut tx = self.begin().await?;
        let id = PatientId::new();
        let now = ts(Utc::now());
        let row = sqlx::query(
            "INSERT INTO patients (clinic_id, id, name, email, phone, time_zone, birth_date, fitzpatrick, findings, \
             consent_messages, created_at, updated_at, search_text) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) RETURNING *",
        )
        .bind(actor.clinic.0)
        .bind(id.0)
        .bind(&p.name)
        .bind(&p.email)
        .bind(&p.phone)
        .bind(&p.time_zone)
        .bind(p.birth_date.map(|d| d.to_string()))
        .bind(p.fitzpatrick.map(i64::from))
        .bind(to_json(&p.findings))
        .bind(p.consent_messages)
        .bind(now)
        .bind(search_text(&p.name, p.email.as_deref(), p.phone.as_deref()))
        .fetch_one(&mut *tx)
        .await?;
        let patient = patient_from(&row)?;
        audit_in(&mut tx, actor, "patient.create", Some(id), None).await?;
        tx.commit().await?;
        Ok(patient)
    }

    async fn patient(&self, actor: &Actor, id: PatientId) -> Result<Patient> {
        own(actor, id)?;
        let mut conn = self.reader().acquire().await?;
        let patient = patient_in(&mut conn, actor.clinic, id).await?;
        drop(conn);
        self.audit(actor, "patient.read", Some(id), None).await?;
        Ok(patient)
    }

    async fn list_patients(&self, actor: &Actor, search: Option<&str>, limit: u32, offset: u32) -> Result<Vec<Patient>> {
        if let Who::Patient(p) = actor.who {
            return Ok(vec![self.patient(actor, p).await?]);
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
        .fetch_all(self.reader())
        .await?;
        let patients = rows.iter().map(patient_from).collect::<Result<Vec<_>>>()?;
        self.audit(actor, "patient.list", None, None).await?;
        Ok(patients)
    }

    async fn update_patient(&self, actor: &Actor, id: PatientId, u: PatientUpdate) -> Result<Patient> {
        own(actor, id)?;
        let mut tx = self.begin().await?;
        let mut p = patient_in(&mut tx, actor.clinic, id).await?;
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
        if let Some(v) = u.consent_messages {
            p.consent_messages = v;
        }
        let row = sqlx::query(
            "UPDATE patients SET name = $3, email = $4, phone = $5, time_zone = $6, birth_date = $7, \
             fitzpatrick = $8, findings = $9, consent_messages = $10, updated_at = $11, search_text = $12 \
             WHERE clinic_id = $1 AND id = $2 RETURNING *",
        )
        .bind(actor.clinic.0)
        .bind(id.0)
        .bind(&p.name)
        .bind(&p.email)
        .bind(&p.phone)
        .bind(&p.time_zone)
        .bind(p.birth_date.map(|d| d.to_string()))
        .bind(p.fitzpatrick.map(i64::from))
        .bind(to_json(&p.findings))
        .bind(p.consent_messages)
        .bind(ts(Utc::now()))
        .bind(search_text(&p.name, p.email.as_deref(), p.phone.as_deref()))
        .fetch_one(&mut *tx)
        .await?;
        let patient = patient_from(&row)?;
        audit_in(&mut tx, actor, "patient.update", Some(id), None).await?;
        tx.commit().await?;
        Ok(patient)
    }

    async fn add_screening(&self, actor: &Actor, s: NewScreening) -> Result<Screening> {
        own(actor, s.patient)?;
        let mut tx = self.begin().await?;
        patient_in(&mut tx, actor.clinic, s.patient).await?;
        let id = ScreeningId::new();
        let row = sqlx::query(
            "INSERT INTO screenings (clinic_id, id, patient_id, request, result, decision, defer_until, \
             protocol_version, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
        )
        .bind(actor.clinic.0)
        .bind(id.0)
        .bind(s.patient.0)
        .bind(Json(&s.request))
        .bind(Json(&s.result))
        .bind(&s.decision)
        .bind(s.defer_until.map(|d| d.to_string()))
        .bind(&s.protocol_version)
        .bind(actor.who.staff().map(|s| s.0))
        .bind(ts(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let screening = screening_from(&row)?;
        audit_in(&mut tx, actor, "screening.add", Some(s.patient), Some(id.0)).await?;
        tx.commit().await?;
        Ok(screening)
    }

    async fn list_screenings(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Screening>> {
        own(actor, patient)?;
        let rows = sqlx::query(
            "SELECT * FROM screenings WHERE clinic_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id DESC",
        )
        .bind(actor.clinic.0)
        .bind(patient.0)
        .fetch_all(self.reader())
        .await?;
        let list = rows.iter().map(screening_from).collect::<Result<Vec<_>>>()?;
        self.audit(actor, "screening.list", Some(patient), None).await?;
        Ok(list)
    }

    async fn review_screening(
        &self,
        actor: &Actor,
        patient: PatientId,
        id: ScreeningId,
        note: Option<String>,
    ) -> Result<Screening> {
        staff_side(actor)?;
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE screenings SET reviewed_by = $4, reviewed_at = $5, review_note = $6 \
             WHERE clinic_id = $1 AND patient_id = $2 AND id = $3 RETURNING *",
        )
        .bind(actor.clinic.0)
        .bind(patient.0)
        .bind(id.0)
        .bind(actor.who.staff().map(|s| s.0))
        .bind(ts(Utc::now()))
        .bind(note)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("screening"))?;
        let screening = screening_from(&row)?;
        audit_in(&mut tx, actor, "screening.review", Some(patient), Some(id.0)).await?;
        tx.commit().await?;
        Ok(screening)
    }

    async fn add_plan(&self, actor: &Actor, plan: NewPlan) -> Result<Plan> {
        own(actor, plan.patient)?;
        let mut tx = self.begin().await?;
        patient_in(&mut tx, actor.clinic, plan.patient).await?;
        let id = PlanId::new();
        let row = sqlx::query(
            "INSERT INTO plans (clinic_id, id, patient_id, request, result, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(actor.clinic.0)
        .bind(id.0)
        .bind(plan.patient.0)
        .bind(Json(&plan.request))
        .bind(Json(&plan.result))
        .bind(actor.who.staff().map(|s| s.0))
        .bind(ts(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let stored = plan_from(&row)?;
        audit_in(&mut tx, actor, "plan.add", Some(plan.patient), Some(id.0)).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_plans(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Plan>> {
        own(actor, patient)?;
        let rows =
            sqlx::query("SELECT * FROM plans WHERE clinic_id = $1 AND patient_id = $2 ORDER BY created_at DESC, id DESC")
                .bind(actor.clinic.0)
                .bind(patient.0)
                .fetch_all(self.reader())
                .await?;
        let list = rows.iter().map(plan_from).collect::<Result<Vec<_>>>()?;
        self.audit(actor, "plan.list", Some(patient), None).await?;
        Ok(list)
    }

    async fn record_session(&self, actor: &Actor, s: NewSession) -> Result<(Session, Vec<CheckIn>)> {
        staff_side(actor)?;
        let mut tx = self.begin().await?;
        patient_in(&mut tx, actor.clinic, s.patient).await?;
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
        let blockers = session_blockers(&mut tx, actor.clinic, s.patient).await?;
        // Only a practitioner's reason overrides a blocker (the trait's contract).
        let practitioner = matches!(actor.who, Who::Staff(_, Role::Practitioner) | Who::Token(_, Role::Practitioner));
        let reason = s.override_reason.as_deref().map(str::trim).filter(|r| !r.is_empty() && practitioner);
        if !blockers.is_empty() && reason.is_none() {
            return Err(StoreError::SessionBlocked(blockers));
        }
        let id = SessionId::new();
        let now = Utc::now();
        let row = sqlx::query(
            "INSERT INTO sessions (clinic_id, id, patient_id, plan_id, performed_at, device, needle_depth_mm, areas, \
             products, numbing, practitioner_id, notes, override_reason, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *",
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
        .bind(&s.numbing)
        .bind(s.practitioner.0)
        .bind(&s.notes)
        .bind(if blockers.is_empty() { None } else { reason })
        .bind(ts(now))
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
        audit_in(&mut tx, actor, "session.record", Some(s.patient), Some(id.0)).await?;
        if !blockers.is_empty() {
            audit_in(&mut tx, actor, "session.override", Some(s.patient), Some(id.0)).await?;
        }
        tx.commit().await?;
        Ok((session, check_ins))
    }

    async fn list_sessions(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Session>> {
        own(actor, patient)?;
        let rows = sqlx::query(
            "SELECT * FROM sessions WHERE clinic_id = $1 AND patient_id = $2 ORDER BY performed_at DESC, id DESC",
        )
        .bind(actor.clinic.0)
        .bind(patient.0)
        .fetch_all(self.reader())
        .await?;
        let list = rows.iter().map(session_from).collect::<Result<Vec<_>>>()?;
        self.audit(actor, "session.list", Some(patient), None).await?;
        Ok(list)
    }

    async fn list_check_ins(&self, actor: &Actor, patient: PatientId) -> Result<Vec<CheckIn>> {
        own(actor, patient)?;
        let rows = sqlx::query(
            "SELECT * FROM check_ins WHERE clinic_id = $1 AND patient_id = $2 \
             ORDER BY COALESCE(submitted_at, due_at), id",
        )
        .bind(actor.clinic.0)
        .bind(patient.0)
        .fetch_all(self.reader())
        .await?;
        let list = rows.iter().map(check_in_from).collect::<Result<Vec<_>>>()?;
        self.audit(actor, "check_in.list", Some(patient), None).await?;
        Ok(list)
    }

    async fn submit_check_in(&self, actor: &Actor, c: CheckInSubmission) -> Result<(CheckIn, Option<Alert>)> {
        own(actor, c.patient)?;
        let mut tx = self.begin().await?;
        patient_in(&mut tx, actor.clinic, c.patient).await?;
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
            .bind(actor.who.kind())
            .bind(Json(&c.request))
            .bind(Json(&c.result))
            .bind(&c.disposition)
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
                .bind(actor.who.kind())
                .bind(Json(&c.request))
                .bind(Json(&c.result))
                .bind(&c.disposition)
                .bind(c.temperature_c)
                .bind(&c.note)
                .fetch_one(&mut *tx)
                .await?;
                check_in_from(&row)?
            }
        };
        sqlx::query(
            "UPDATE follow_ups SET resolved_at = $3, note = 'the patient checked in' \
             WHERE clinic_id = $1 AND check_in_id = $2 AND resolved_at IS NULL",
        )
        .bind(actor.clinic.0)
        .bind(check_in.id.0)
        .bind(ts(c.submitted_at))
        .execute(&mut *tx)
        .await?;
        audit_in(&mut tx, actor, "check_in.submit", Some(c.patient), Some(check_in.id.0)).await?;
        let alert = match &c.alert {
            Some(a) => {
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
                .bind(&a.disposition)
                .bind(ts(c.submitted_at))
                .bind(ts(a.deadline_at))
                .execute(&mut *tx)
                .await?;
                audit_in(&mut tx, actor, "alert.open", Some(c.patient), Some(id.0)).await?;
                Some(alert_in(&mut tx, actor.clinic, id).await?)
            }
            None => None,
        };
        tx.commit().await?;
        Ok((check_in, alert))
    }

    async fn list_alerts(&self, actor: &Actor, filter: AlertFilter) -> Result<Vec<Alert>> {
        staff_side(actor)?;
        let only_open = match filter {
            AlertFilter::Open => "AND a.resolved_at IS NULL",
            AlertFilter::All => "",
        };
        // Most urgent first, then the earliest deadline: the order staff should work in.
        let sql = format!(
            "{ALERT_SELECT} WHERE a.clinic_id = $1 {only_open} ORDER BY \
             CASE WHEN a.resolved_at IS NULL THEN 0 ELSE 1 END, \
             CASE a.disposition WHEN 'emergency' THEN 0 WHEN 'urgent_same_day' THEN 1 ELSE 2 END, \
             a.deadline_at, a.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(actor.clinic.0).fetch_all(self.reader()).await?;
        let list = rows.iter().map(alert_from).collect::<Result<Vec<_>>>()?;
        self.audit(actor, "alert.list", None, None).await?;
        Ok(list)
    }

    async fn acknowledge_alert(&self, actor: &Actor, id: AlertId, now: DateTime<Utc>) -> Result<Alert> {
        staff_side(actor)?;
        let mut tx = self.begin().await?;
        let alert = alert_in(&mut tx, actor.clinic, id).await?;
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
            .execute(&mut *tx)
            .await?;
        audit_in(&mut tx, actor, "alert.acknowledge", Some(alert.patient), Some(id.0)).await?;
        let alert = alert_in(&mut tx, actor.clinic, id).await?;
        tx.commit().await?;
        Ok(alert)
    }

    async fn resolve_alert(&self, actor: &Actor, id: AlertId, note: &str, now: DateTime<Utc>) -> Result<Alert> {
        staff_side(actor)?;
        let mut tx = self.begin().await?;
        let alert = alert_in(&mut tx, actor.clinic, id).await?;
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
        .execute(&mut *tx)
        .await?;
        audit_in(&mut tx, actor, "alert.resolve", Some(alert.patient), Some(id.0)).await?;
        let alert = alert_in(&mut tx, actor.clinic, id).await?;
        tx.commit().await?;
        Ok(alert)
    }

    async fn raise_missed_check_ins(&self, now: DateTime<Utc>) -> Result<u64> {
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
                let reason = match day {
                    Some(d) => format!("no check-in on day {d} after the session"),
                    None => "no check-in when one was due".to_string(),
                };
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

    async fn list_follow_ups(&self, actor: &Actor, open_only: bool) -> Result<Vec<FollowUp>> {
        staff_side(actor)?;
        let rows = sqlx::query(
            "SELECT f.*, p.name AS patient_name FROM follow_ups f \
             JOIN patients p ON p.clinic_id = f.clinic_id AND p.id = f.patient_id \
             WHERE f.clinic_id = $1 AND ($2 = 0 OR f.resolved_at IS NULL) ORDER BY f.raised_at, f.id",
        )
        .bind(actor.clinic.0)
        .bind(i64::from(open_only))
        .fetch_all(self.reader())
        .await?;
        let list = rows.iter().map(follow_up_from).collect::<Result<Vec<_>>>()?;
        self.audit(actor, "follow_up.list", None, None).await?;
        Ok(list)
    }

    async fn resolve_follow_up(&self, actor: &Actor, id: FollowUpId, note: &str, now: DateTime<Utc>) -> Result<FollowUp> {
        staff_side(actor)?;
        let mut tx = self.begin().await?;
        let f = follow_up_in(&mut tx, actor.clinic, id).await?;
        if f.resolved_at.is_some() {
            return Err(StoreError::InvalidState("the follow-up is already resolved".into()));
        }
        sqlx::query("UPDATE follow_ups SET resolved_by = $3, resolved_at = $4, note = $5 WHERE clinic_id = $1 AND id = $2")
            .bind(actor.clinic.0)
            .bind(id.0)
            .bind(actor.who.staff().map(|s| s.0))
            .bind(ts(now))
            .bind(note)
            .execute(&mut *tx)
            .await?;
        audit_in(&mut tx, actor, "follow_up.resolve", Some(f.patient), Some(id.0)).await?;
        let f = follow_up_in(&mut tx, actor.clinic, id).await?;
        tx.commit().await?;
        Ok(f)
    }

    async fn audit(&self, actor: &Actor, action: &str, patient: Option<PatientId>, target: Option<Uuid>) -> Result<()> {
        let mut tx = self.begin().await?;
        audit_in(&mut tx, actor, action, patient, target).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_audit(&self, actor: &Actor, patient: Option<PatientId>, limit: u32) -> Result<Vec<AuditEntry>> {
        staff_side(actor)?;
        let rows = sqlx::query(
            "SELECT * FROM audit WHERE clinic_id = $1 AND ($2 IS NULL OR patient_id = $2) \
             ORDER BY at DESC, id DESC LIMIT $3",
        )
        .bind(actor.clinic.0)
        .bind(patient.map(|p| p.0))
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(audit_from).collect()
    }
}
