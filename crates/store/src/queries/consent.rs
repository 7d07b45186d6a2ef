// Consent texts and consents (issue 15), on a connection the caller holds (a unit of work).
// Part of `queries.rs`.

fn consent_kind(row: &DbRow) -> Result<ConsentKind> {
    let code: String = get(row, "kind")?;
    ConsentKind::parse(&code).ok_or_else(|| StoreError::Corrupt(format!("consent kind '{code}'")))
}

fn version_of(row: &DbRow) -> Result<u32> {
    u32::try_from(get::<i64>(row, "version")?).map_err(|_| StoreError::Corrupt("consent version".into()))
}

fn consent_document_from(row: &DbRow) -> Result<ConsentDocument> {
    Ok(ConsentDocument {
        id: ConsentDocumentId(get(row, "id")?),
        kind: consent_kind(row)?,
        version: version_of(row)?,
        body: get(row, "body")?,
        sha256: get(row, "sha256")?,
        created_at: time(row, "created_at")?,
        created_by: uuid_opt(row, "created_by")?.map(StaffId),
    })
}

fn consent_from(row: &DbRow) -> Result<Consent> {
    let typed_name: String = get(row, "typed_name")?;
    let signed_by: String = get(row, "signed_by")?;
    let signer = match signed_by.as_str() {
        "patient" => Signer::Patient,
        "guardian" => Signer::Guardian {
            relationship: get::<Option<String>>(row, "guardian_relationship")?
                .ok_or_else(|| StoreError::Corrupt("a guardian's consent without the relationship".into()))?,
        },
        other => return Err(StoreError::Corrupt(format!("consent signed_by '{other}'"))),
    };
    let withdrawn = match time_opt(row, "withdrawn_at")? {
        None => None,
        Some(at) => Some(Withdrawal { at, by: uuid_opt(row, "withdrawn_by")?, note: get(row, "withdrawal_note")? }),
    };
    Ok(Consent {
        id: ConsentId(get(row, "id")?),
        patient: PatientId(get(row, "patient_id")?),
        document: ConsentDocumentId(get(row, "document_id")?),
        kind: consent_kind(row)?,
        version: version_of(row)?,
        sha256: get(row, "sha256")?,
        signer,
        typed_name,
        on_paper: get(row, "on_paper")?,
        scan_sha256: get(row, "scan_sha256")?,
        recorded_by: uuid_opt(row, "recorded_by")?.map(StaffId),
        signed_at: time(row, "signed_at")?,
        address: get(row, "address")?,
        user_agent: get(row, "user_agent")?,
        withdrawn,
    })
}

/// Every published version of the clinic's consent texts, by kind, newest version first.
async fn consent_documents_on(conn: &mut Conn, clinic: ClinicId) -> Result<Vec<ConsentDocument>> {
    sqlx::query("SELECT * FROM consent_documents WHERE clinic_id = $1 ORDER BY kind, version DESC")
        .bind(clinic.0)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(consent_document_from)
        .collect()
}

/// The current (newest) version of one kind; `None` when the clinic never published one.
async fn current_consent_document_on(
    conn: &mut Conn,
    clinic: ClinicId,
    kind: ConsentKind,
) -> Result<Option<ConsentDocument>> {
    sqlx::query("SELECT * FROM consent_documents WHERE clinic_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1")
        .bind(clinic.0)
        .bind(kind.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(consent_document_from)
        .transpose()
}

/// Publishes `new` as the next version of its kind. Staff only (the use case lets admins, and
/// the service itself for the built-in text).
async fn publish_consent_document_on(
    conn: &mut Conn,
    actor: &Actor,
    new: NewConsentDocument,
    now: DateTime<Utc>,
) -> Result<ConsentDocument> {
    staff_side(actor)?;
    let latest: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM consent_documents WHERE clinic_id = $1 AND kind = $2")
            .bind(actor.clinic.0)
            .bind(new.kind.as_str())
            .fetch_one(&mut *conn)
            .await?;
    let version = latest.unwrap_or(0) + 1;
    let row = sqlx::query(
        "INSERT INTO consent_documents (id, clinic_id, kind, version, body, sha256, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
    )
    .bind(Uuid::now_v7())
    .bind(actor.clinic.0)
    .bind(new.kind.as_str())
    .bind(version)
    .bind(&new.body)
    .bind(&new.sha256)
    .bind(ts(now))
    .bind(actor.who.staff().map(|s| s.0))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| unique(e, "another version of this consent text was published at the same moment; try again"))?;
    consent_document_from(&row)
}

/// The patient's consents, newest first.
async fn consents_on(conn: &mut Conn, actor: &Actor, patient: PatientId) -> Result<Vec<Consent>> {
    own(actor, patient)?;
    sqlx::query("SELECT * FROM consents WHERE clinic_id = $1 AND patient_id = $2 ORDER BY signed_at DESC, id DESC")
        .bind(actor.clinic.0)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(consent_from)
        .collect()
}

/// Records a consent to `new.document`, which must be the current version of its kind (a text
/// published after the signer opened it is a conflict: they read and sign the new one). A
/// consent to messages turns the record's `consent_messages` on.
async fn sign_consent_on(conn: &mut Conn, actor: &Actor, new: NewConsent) -> Result<Consent> {
    own(actor, new.patient)?;
    patient_in(&mut *conn, actor.clinic, new.patient).await?;
    let row = sqlx::query("SELECT * FROM consent_documents WHERE clinic_id = $1 AND id = $2")
        .bind(actor.clinic.0)
        .bind(new.document.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("consent document"))?;
    let document = consent_document_from(&row)?;
    let current = current_consent_document_on(&mut *conn, actor.clinic, document.kind).await?;
    if let Some(current) = current.filter(|c| c.version != document.version) {
        return Err(StoreError::Conflict(format!(
            "the {} consent text changed: version {} is current (you read version {}); read it and sign again",
            document.kind, current.version, document.version
        )));
    }
    let (signed_by, relationship) = match &new.signer {
        Signer::Patient => ("patient", None),
        Signer::Guardian { relationship, .. } => ("guardian", Some(relationship.as_str())),
    };
    let row = sqlx::query(
        "INSERT INTO consents (id, clinic_id, patient_id, document_id, kind, version, sha256, signed_by, typed_name, \
         guardian_relationship, on_paper, recorded_by, signed_at, address, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING *",
    )
    .bind(Uuid::now_v7())
    .bind(actor.clinic.0)
    .bind(new.patient.0)
    .bind(document.id.0)
    .bind(document.kind.as_str())
    .bind(i64::from(document.version))
    .bind(&document.sha256)
    .bind(signed_by)
    .bind(&new.typed_name)
    .bind(relationship)
    .bind(new.on_paper)
    .bind(actor.who.staff().map(|s| s.0))
    .bind(ts(new.signed_at))
    .bind(&new.address)
    .bind(&new.user_agent)
    .fetch_one(&mut *conn)
    .await?;
    if document.kind == ConsentKind::Messages {
        set_consent_messages(&mut *conn, actor.clinic, new.patient, true, new.signed_at).await?;
    }
    consent_from(&row)
}

/// Withdraws a consent of the patient's (refused when it is already withdrawn). Withdrawing the
/// consent to messages turns the record's `consent_messages` off.
async fn withdraw_consent_on(
    conn: &mut Conn,
    actor: &Actor,
    patient: PatientId,
    id: ConsentId,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Consent> {
    own(actor, patient)?;
    let row = sqlx::query(
        "UPDATE consents SET withdrawn_at = $4, withdrawn_by = $5, withdrawal_note = $6 \
         WHERE clinic_id = $1 AND patient_id = $2 AND id = $3 AND withdrawn_at IS NULL RETURNING *",
    )
    .bind(actor.clinic.0)
    .bind(patient.0)
    .bind(id.0)
    .bind(ts(now))
    .bind(actor.who.id())
    .bind(note)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        let exists: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM consents WHERE clinic_id = $1 AND patient_id = $2 AND id = $3")
                .bind(actor.clinic.0)
                .bind(patient.0)
                .bind(id.0)
                .fetch_optional(&mut *conn)
                .await?;
        return Err(match exists {
            Some(_) => StoreError::Conflict("this consent was already withdrawn".into()),
            None => StoreError::NotFound("consent"),
        });
    };
    let consent = consent_from(&row)?;
    if consent.kind == ConsentKind::Messages {
        set_consent_messages(&mut *conn, actor.clinic, patient, false, now).await?;
    }
    Ok(consent)
}

async fn set_consent_messages(
    conn: &mut Conn,
    clinic: ClinicId,
    patient: PatientId,
    on: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE patients SET consent_messages = $3, updated_at = $4 WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.0)
        .bind(patient.0)
        .bind(on)
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The treatment-consent facts of the session gate, read in the session's transaction. A clinic
/// that never published a treatment text asks for consent to the built-in one, version 1.
async fn treatment_consent_facts(
    conn: &mut Conn,
    clinic: ClinicId,
    patient: PatientId,
    guardian_required: bool,
) -> Result<needlepath_core::consent::TreatmentConsentFacts> {
    let current = current_consent_document_on(&mut *conn, clinic, ConsentKind::Treatment).await?;
    let latest = sqlx::query(
        "SELECT version, signed_by, withdrawn_at FROM consents WHERE clinic_id = $1 AND patient_id = $2 \
         AND kind = 'treatment' ORDER BY signed_at DESC, id DESC LIMIT 1",
    )
    .bind(clinic.0)
    .bind(patient.0)
    .fetch_optional(&mut *conn)
    .await?;
    let (signed_version, signed_by_guardian, withdrawn) = match latest {
        None => (None, false, false),
        Some(row) => {
            let withdrawn = time_opt(&row, "withdrawn_at")?.is_some();
            (Some(version_of(&row)?), get::<String>(&row, "signed_by")? == "guardian", withdrawn)
        }
    };
    Ok(needlepath_core::consent::TreatmentConsentFacts {
        current_version: current.map_or(1, |d| d.version),
        signed_version,
        signed_by_guardian,
        withdrawn,
        guardian_required,
    })
}

/// Attaches the scan of the signed paper to a consent recorded from paper (once: a scan is the
/// record of what was signed, never replaced). Clinical staff.
async fn attach_consent_scan_on(
    conn: &mut Conn,
    actor: &Actor,
    patient: PatientId,
    id: ConsentId,
    scan_sha256: &str,
) -> Result<Consent> {
    clinical_side(actor, "consent scans")?;
    if matches!(actor.who, Who::Patient(_)) {
        return Err(StoreError::Forbidden("attaching a consent's scan (clinical staff)"));
    }
    let row = sqlx::query("SELECT * FROM consents WHERE clinic_id = $1 AND patient_id = $2 AND id = $3")
        .bind(actor.clinic.0)
        .bind(patient.0)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("consent"))?;
    let consent = consent_from(&row)?;
    if !consent.on_paper {
        return Err(StoreError::InvalidState("only a consent signed on paper has a scan".into()));
    }
    if consent.scan_sha256.is_some() {
        return Err(StoreError::Conflict("this consent's scan is already attached; a scan is never replaced".into()));
    }
    let row = sqlx::query("UPDATE consents SET scan_sha256 = $4 WHERE clinic_id = $1 AND patient_id = $2 AND id = $3 RETURNING *")
        .bind(actor.clinic.0)
        .bind(patient.0)
        .bind(id.0)
        .bind(scan_sha256)
        .fetch_one(&mut *conn)
        .await?;
    consent_from(&row)
}
