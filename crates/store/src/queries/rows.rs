// Reading rows back into records, and the guards every query shares. Part of `queries.rs`,
// compiled into each backend module.

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

/// A JSON list column that older rows leave NULL: an empty list then.
fn json_or_empty<T: DeserializeOwned>(row: &DbRow, col: &str) -> Result<Vec<T>> {
    match json_opt(row, col)? {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v).map_err(|e| StoreError::Corrupt(format!("column {col}: {e}"))),
    }
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

/// A stored value the store cannot read: named by table, column and value, never defaulted.
fn corrupt(table: &str, col: &str, value: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{table}.{col} holds '{value}': {why}"))
}

/// A column holding a code of a closed vocabulary.
fn code<T, E: std::fmt::Display>(
    row: &DbRow,
    table: &str,
    col: &str,
    parse: impl FnOnce(&str) -> std::result::Result<T, E>,
) -> Result<T> {
    let s: String = get(row, col)?;
    parse(&s).map_err(|e| corrupt(table, col, &s, e))
}

/// A nullable column holding a code of a closed vocabulary.
fn code_opt<T, E: std::fmt::Display>(
    row: &DbRow,
    table: &str,
    col: &str,
    parse: impl FnOnce(&str) -> std::result::Result<T, E>,
) -> Result<Option<T>> {
    get::<Option<String>>(row, col)?.map(|s| parse(&s).map_err(|e| corrupt(table, col, &s, e))).transpose()
}

/// Turns an `Option` parser into a `Result` one that says what kind of code was expected.
fn known<T>(kind: &'static str, parse: impl FnOnce(&str) -> Option<T>) -> impl FnOnce(&str) -> std::result::Result<T, String> {
    move |s| parse(s).ok_or_else(|| format!("not a known {kind}"))
}

fn disposition(row: &DbRow, table: &str, col: &str) -> Result<Disposition> {
    code(row, table, col, Disposition::parse)
}

fn zone(row: &DbRow, table: &str, col: &str) -> Result<IanaZone> {
    code(row, table, col, IanaZone::parse)
}

fn role(row: &DbRow, table: &str, col: &str) -> Result<Role> {
    code(row, table, col, known("role", Role::parse))
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
        time_zone: zone(row, "clinics", "time_zone")?,
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
        role: role(row, "staff", "role")?,
        active: get(row, "active")?,
        password_hash: get(row, "password_hash")?,
        created_at: time(row, "created_at")?,
    })
}

fn login_from(row: &DbRow) -> Result<Login> {
    let kind = code(
        row,
        "logins",
        "kind",
        known("login kind", |k| [LoginKind::Staff, LoginKind::Patient].into_iter().find(|l| l.as_str() == k)),
    )?;
    Ok(Login {
        token_hash: get(row, "token_hash")?,
        clinic: ClinicId(get(row, "clinic_id")?),
        kind,
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
        role: role(row, "api_tokens", "role")?,
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
        time_zone: zone(row, "patients", "time_zone")?,
        birth_date: date_opt(row, "birth_date")?,
        fitzpatrick: small(row, "fitzpatrick")?,
        findings: json(row, "findings")?,
        allergies: json(row, "allergies")?,
        medication: json(row, "medication")?,
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
        decision: code(row, "screenings", "decision", Decision::parse)?,
        defer_until: date_opt(row, "defer_until")?,
        protocol_version: get(row, "protocol_version")?,
        recorded_by: uuid_opt(row, "recorded_by")?.map(StaffId),
        reviewed_by: uuid_opt(row, "reviewed_by")?.map(StaffId),
        reviewed_at: time_opt(row, "reviewed_at")?,
        review_decision: review_decision(row)?,
        review_note: get(row, "review_note")?,
        created_at: time(row, "created_at")?,
    })
}

fn review_decision(row: &DbRow) -> Result<Option<ReviewDecision>> {
    code_opt(row, "screenings", "review_decision", known("review decision", ReviewDecision::parse))
}

fn override_blockers(row: &DbRow) -> Result<Vec<String>> {
    json_opt(row, "override_blockers")?
        .map(|v| serde_json::from_value(v).map_err(|e| StoreError::Corrupt(format!("column override_blockers: {e}"))))
        .transpose()
        .map(Option::unwrap_or_default)
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

fn session_override_from(row: &DbRow) -> Result<SessionOverride> {
    Ok(SessionOverride {
        session: SessionId(get(row, "id")?),
        patient: PatientId(get(row, "patient_id")?),
        patient_name: get(row, "patient_name")?,
        performed_at: time(row, "performed_at")?,
        practitioner: StaffId(get(row, "practitioner_id")?),
        practitioner_name: get(row, "practitioner_name")?,
        reason: get::<Option<String>>(row, "override_reason")?.unwrap_or_default(),
        blockers: override_blockers(row)?,
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
        numbing: json_opt(row, "numbing_detail")?
            .filter(|v| !v.is_null())
            .map(|v| serde_json::from_value(v).map_err(|e| StoreError::Corrupt(format!("column numbing_detail: {e}"))))
            .transpose()?,
        numbing_note: get(row, "numbing")?,
        // Sessions recorded before migration 0007 have no per-area depths and no warnings.
        depths: json_or_empty(row, "depths")?,
        warnings: json_or_empty(row, "warnings")?,
        practitioner: StaffId(get(row, "practitioner_id")?),
        notes: get(row, "notes")?,
        override_reason: get(row, "override_reason")?,
        override_blockers: override_blockers(row)?,
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
        submitted_by: code_opt(row, "check_ins", "submitted_by", known("actor kind", ActorKind::parse))?,
        request: json_opt(row, "request")?,
        result: json_opt(row, "result")?,
        disposition: code_opt(row, "check_ins", "disposition", Disposition::parse)?,
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
        disposition: disposition(row, "alerts", "disposition")?,
        opened_at: time(row, "opened_at")?,
        deadline_at: time(row, "deadline_at")?,
        acknowledged_by: uuid_opt(row, "acknowledged_by")?.map(StaffId),
        acknowledged_at: time_opt(row, "acknowledged_at")?,
        resolved_by: uuid_opt(row, "resolved_by")?.map(StaffId),
        resolved_at: time_opt(row, "resolved_at")?,
        resolution_note: get(row, "resolution_note")?,
        check_ins: u32::try_from(get::<i64>(row, "check_ins")?)
            .map_err(|_| StoreError::Corrupt("alerts.check_ins is out of range".into()))?,
    })
}

fn follow_up_from(row: &DbRow) -> Result<FollowUp> {
    Ok(FollowUp {
        id: FollowUpId(get(row, "id")?),
        patient: PatientId(get(row, "patient_id")?),
        patient_name: get(row, "patient_name")?,
        check_in: CheckInId(get(row, "check_in_id")?),
        reason: FollowUpReason::from_stored(&get::<String>(row, "reason")?),
        raised_at: time(row, "raised_at")?,
        resolved_by: uuid_opt(row, "resolved_by")?.map(StaffId),
        resolved_at: time_opt(row, "resolved_at")?,
        note: get::<Option<String>>(row, "note")?.map(|n| FollowUpNote::from_stored(&n)),
    })
}

fn audit_from(row: &DbRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: AuditId(get(row, "id")?),
        at: time(row, "at")?,
        actor_kind: code(row, "audit", "actor_kind", known("actor kind", ActorKind::parse))?,
        actor_id: uuid_opt(row, "actor_id")?,
        action: get(row, "action")?,
        patient: uuid_opt(row, "patient_id")?.map(PatientId),
        target: uuid_opt(row, "target_id")?,
        ip: get(row, "ip")?,
        seen: get::<Option<String>>(row, "seen")?
            .map(|s| s.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect())
            .unwrap_or_default(),
    })
}
