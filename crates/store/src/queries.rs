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
use needlepath_core::pathway::gates;
use needlepath_core::vocabulary::{Decision, Disposition};
use uuid::Uuid;

use crate::{Access, LoginTurn, Reminders, Store, StoreError, ThrottleRule};
use crate::codes::*;
use crate::records::*;
use crate::consent::*;
use crate::outbox::*;
use crate::photos::*;
use crate::outcomes::*;
use crate::reports::*;
use needlepath_core::pathway::booking::{Slot, overlap, overlap_message};

include!("queries/rows.rs");
include!("queries/support.rs");
include!("queries/policy.rs");
include!("queries/writes.rs");
include!("queries/appointments.rs");
include!("queries/outbox.rs");
include!("queries/access.rs");
include!("queries/reads.rs");
include!("queries/patient_side.rs");
include!("queries/staff_side.rs");
include!("queries/consent.rs");
include!("queries/photos.rs");
include!("queries/outcomes.rs");
include!("queries/reports.rs");
include!("queries/unit.rs");
include!("queries/seed.rs");

#[async_trait]
impl Store for Backend {
    fn backend(&self) -> &'static str {
        self.backend_name()
    }

    async fn ping(&self) -> Result<()> {
        self.damage()?;
        sqlx::query("SELECT 1").execute(self.reader()).await?;
        Ok(())
    }

    async fn integrity_check(&self) -> Result<String> {
        self.check_integrity().await
    }

    async fn reading(&self, actor: &Actor) -> Result<Box<dyn crate::unit::Reading>> {
        Ok(Box::new(self.open_reading(actor).await?))
    }

    async fn writing(&self, actor: &Actor) -> Result<Box<dyn crate::unit::Writing>> {
        Ok(Box::new(self.open_writing(actor).await?))
    }

    async fn calendar_reading(&self, token_hash: &str) -> Result<Option<(PatientId, Box<dyn crate::unit::Reading>)>> {
        Ok(self.open_calendar_reading(token_hash).await?.map(|(p, u)| (p, Box::new(u) as Box<dyn crate::unit::Reading>)))
    }

    async fn copy_patients(&self, clinic: ClinicId, template: PatientId, targets: &[(PatientId, String, u32)]) -> Result<u64> {
        self.copy_patients_in_transaction(clinic, template, targets).await
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
        self.complete_setup_in_transaction(token_hash, now, clinic, admin).await
    }

    async fn clinic(&self, id: ClinicId) -> Result<Clinic> {
        let mut conn = self.reader().acquire().await?;
        clinic_on(&mut conn, id).await
    }

    async fn update_clinic(
        &self,
        actor: &Actor,
        name: Option<String>,
        time_zone: Option<IanaZone>,
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
        .bind(time_zone.map(IanaZone::name))
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
        // PostgreSQL refuses a NUL in a text parameter (a 500 before any account was checked,
        // issue 14); no stored address holds one, so there is no such account.
        if email.contains('\0') {
            return Ok(None);
        }
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
        let mut conn = self.reader().acquire().await?;
        staff_list_on(&mut conn, actor).await
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
        let mut tx = self.begin().await?;
        create_invite_on(&mut tx, actor, patient, token_hash, expires_at).await?;
        audit_in(&mut tx, actor, "patient.invite", Some(patient), None).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn redeem_invite(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(ClinicId, PatientId)> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE invites SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
             RETURNING clinic_id, patient_id, created_by",
        )
        .bind(ts(now))
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::InvalidToken)?;
        let clinic = ClinicId(get(&row, "clinic_id")?);
        let patient = PatientId(get(&row, "patient_id")?);
        let invited_by: Option<Uuid> = get(&row, "created_by")?;
        let actor = Actor { clinic, who: Who::Patient(patient), ip: None };
        // The audit's target is who sent the invite, so a login opened with an invite can be
        // traced to the member of staff (or API token) who asked for it.
        audit_in(&mut tx, &actor, "patient.invite_redeemed", Some(patient), invited_by).await?;
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
        let patient = create_patient_on(&mut tx, actor, &p).await?;
        audit_in(&mut tx, actor, "patient.create", Some(patient.id), None).await?;
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
        let mut conn = self.reader().acquire().await?;
        let patients = patients_on(&mut conn, actor, search, limit, offset).await?;
        drop(conn);
        self.audit(actor, "patient.list", None, None).await?;
        Ok(patients)
    }

    async fn update_patient(&self, actor: &Actor, id: PatientId, u: PatientUpdate) -> Result<Patient> {
        own(actor, id)?;
        let mut tx = self.begin().await?;
        let patient = update_patient_on(&mut tx, actor, id, u).await?;
        audit_in(&mut tx, actor, "patient.update", Some(id), None).await?;
        tx.commit().await?;
        Ok(patient)
    }

    async fn add_screening(&self, actor: &Actor, s: NewScreening) -> Result<Screening> {
        let mut tx = self.begin().await?;
        let screening = add_screening_on(&mut tx, actor, &s).await?;
        audit_in(&mut tx, actor, "screening.add", Some(s.patient), Some(screening.id.0)).await?;
        tx.commit().await?;
        Ok(screening)
    }

    async fn list_screenings(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Screening>> {
        let mut conn = self.reader().acquire().await?;
        let list = screenings_on(&mut conn, actor, patient, Page::ALL).await?;
        drop(conn);
        self.audit(actor, "screening.list", Some(patient), None).await?;
        Ok(list)
    }

    async fn review_screening(
        &self,
        actor: &Actor,
        patient: PatientId,
        id: ScreeningId,
        decision: ReviewDecision,
        note: Option<String>,
    ) -> Result<Screening> {
        staff_side(actor)?;
        clinical_side(actor, "screenings")?;
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE screenings SET reviewed_by = $4, reviewed_at = $5, review_note = $6, review_decision = $7 \
             WHERE clinic_id = $1 AND patient_id = $2 AND id = $3 RETURNING *",
        )
        .bind(actor.clinic.0)
        .bind(patient.0)
        .bind(id.0)
        .bind(actor.who.staff().map(|s| s.0))
        .bind(ts(Utc::now()))
        .bind(note)
        .bind(decision.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("screening"))?;
        let screening = screening_from(&row)?;
        audit_in(&mut tx, actor, "screening.review", Some(patient), Some(id.0)).await?;
        tx.commit().await?;
        Ok(screening)
    }

    async fn add_plan(&self, actor: &Actor, plan: NewPlan) -> Result<Plan> {
        let mut tx = self.begin().await?;
        let stored = add_plan_on(&mut tx, actor, &plan).await?;
        audit_in(&mut tx, actor, "plan.add", Some(plan.patient), Some(stored.id.0)).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_plans(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Plan>> {
        let mut conn = self.reader().acquire().await?;
        let list = plans_on(&mut conn, actor, patient, Page::ALL).await?;
        drop(conn);
        self.audit(actor, "plan.list", Some(patient), None).await?;
        Ok(list)
    }

    async fn record_session(&self, actor: &Actor, s: NewSession) -> Result<(Session, Vec<CheckIn>)> {
        self.record_session_in_transaction(actor, s).await
    }

    async fn session_blockers(
        &self,
        actor: &Actor,
        patient: PatientId,
        performed_at: DateTime<Utc>,
        min_interval_days: u32,
    ) -> Result<Vec<Blocker>> {
        staff_side(actor)?;
        clinical_side(actor, "sessions")?;
        let mut conn = self.reader().acquire().await?;
        patient_in(&mut conn, actor.clinic, patient).await?;
        let facts = session_facts(&mut conn, actor.clinic, patient, performed_at, min_interval_days).await?;
        drop(conn);
        self.audit(actor, "session.gates", Some(patient), None).await?;
        Ok(gates::blockers(&facts))
    }

    async fn list_overrides(&self, actor: &Actor, limit: u32) -> Result<Vec<SessionOverride>> {
        staff_side(actor)?;
        clinical_side(actor, "sessions")?;
        let rows = sqlx::query(
            "SELECT s.id, s.patient_id, s.performed_at, s.practitioner_id, s.override_reason, s.override_blockers, \
             s.created_at, p.name AS patient_name, st.name AS practitioner_name FROM sessions s \
             JOIN patients p ON p.clinic_id = s.clinic_id AND p.id = s.patient_id \
             JOIN staff st ON st.clinic_id = s.clinic_id AND st.id = s.practitioner_id \
             WHERE s.clinic_id = $1 AND s.override_reason IS NOT NULL \
             ORDER BY s.created_at DESC, s.id DESC LIMIT $2",
        )
        .bind(actor.clinic.0)
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await?;
        let list = rows.iter().map(session_override_from).collect::<Result<Vec<_>>>()?;
        self.audit(actor, "session.overrides.list", None, None).await?;
        Ok(list)
    }

    async fn list_sessions(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Session>> {
        let mut conn = self.reader().acquire().await?;
        let list = sessions_on(&mut conn, actor, patient, Page::ALL).await?;
        drop(conn);
        self.audit(actor, "session.list", Some(patient), None).await?;
        Ok(list)
    }

    async fn list_check_ins(&self, actor: &Actor, patient: PatientId) -> Result<Vec<CheckIn>> {
        let mut conn = self.reader().acquire().await?;
        let list = check_ins_on(&mut conn, actor, patient, Page::ALL).await?;
        drop(conn);
        self.audit(actor, "check_in.list", Some(patient), None).await?;
        Ok(list)
    }

    async fn submit_check_in(&self, actor: &Actor, c: CheckInSubmission) -> Result<(CheckIn, Option<Alert>)> {
        self.submit_check_in_in_transaction(actor, c).await
    }

    async fn list_alerts(&self, actor: &Actor, filter: AlertFilter) -> Result<Vec<Alert>> {
        staff_side(actor)?;
        clinical_side(actor, "alerts")?;
        let mut conn = self.reader().acquire().await?;
        let list = alert_queue_on(&mut conn, actor, filter, Page::ALL).await?;
        drop(conn);
        self.audit(actor, "alert.list", None, None).await?;
        Ok(list)
    }

    async fn acknowledge_alert(&self, actor: &Actor, id: AlertId, now: DateTime<Utc>) -> Result<Alert> {
        staff_side(actor)?;
        clinical_side(actor, "alerts")?;
        let mut tx = self.begin().await?;
        let alert = acknowledge_alert_on(&mut tx, actor, id, now).await?;
        audit_in(&mut tx, actor, "alert.acknowledge", Some(alert.patient), Some(id.0)).await?;
        tx.commit().await?;
        Ok(alert)
    }

    async fn resolve_alert(&self, actor: &Actor, id: AlertId, note: &str, now: DateTime<Utc>) -> Result<Alert> {
        staff_side(actor)?;
        clinical_side(actor, "alerts")?;
        let mut tx = self.begin().await?;
        let alert = resolve_alert_on(&mut tx, actor, id, note, now).await?;
        audit_in(&mut tx, actor, "alert.resolve", Some(alert.patient), Some(id.0)).await?;
        tx.commit().await?;
        Ok(alert)
    }

    async fn raise_missed_check_ins(&self, now: DateTime<Utc>) -> Result<u64> {
        self.raise_missed_check_ins_in_transaction(now).await
    }

    async fn list_follow_ups(&self, actor: &Actor, open_only: bool) -> Result<Vec<FollowUp>> {
        staff_side(actor)?;
        let mut conn = self.reader().acquire().await?;
        let list = follow_ups_on(&mut conn, actor, open_only, Page::ALL).await?;
        drop(conn);
        self.audit(actor, "follow_up.list", None, None).await?;
        Ok(list)
    }

    async fn resolve_follow_up(&self, actor: &Actor, id: FollowUpId, note: &str, now: DateTime<Utc>) -> Result<FollowUp> {
        staff_side(actor)?;
        let mut tx = self.begin().await?;
        let f = resolve_follow_up_on(&mut tx, actor, id, note, now).await?;
        audit_in(&mut tx, actor, "follow_up.resolve", Some(f.patient), Some(id.0)).await?;
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
        let mut conn = self.reader().acquire().await?;
        audit_list_on(&mut conn, actor, patient, limit).await
    }
}
