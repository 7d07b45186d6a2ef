// Photo records (issue 15, part 2), on a connection the caller holds (a unit of work). Part of
// `queries.rs`. Photos are clinical records: `clinical_side` refuses them to the front desk, and
// `own` confines a patient to theirs.

fn photo_from(row: &DbRow) -> Result<Photo> {
    let size = |col: &str| -> Result<u32> {
        let v: i64 = get(row, col)?;
        u32::try_from(v).map_err(|_| corrupt("photos", col, &v.to_string(), "not a size in pixels"))
    };
    Ok(Photo {
        id: PhotoId(get(row, "id")?),
        patient: PatientId(get(row, "patient_id")?),
        sha256: get(row, "sha256")?,
        thumbnail_sha256: get(row, "thumbnail_sha256")?,
        width: size("width")?,
        height: size("height")?,
        view: code(row, "photos", "view", known("photo view", PhotoView::parse))?,
        stage: code(row, "photos", "stage", known("photo stage", PhotoStage::parse))?,
        session: uuid_opt(row, "session_id")?.map(SessionId),
        check_in: uuid_opt(row, "check_in_id")?.map(CheckInId),
        taken_at: time(row, "taken_at")?,
        uploaded_by_kind: code(row, "photos", "uploaded_by_kind", known("actor kind", ActorKind::parse))?,
        uploaded_by: uuid_opt(row, "uploaded_by")?,
        redness: get(row, "redness")?,
    })
}

/// The patient's photos, newest first.
async fn photos_on(conn: &mut Conn, actor: &Actor, patient: PatientId) -> Result<Vec<Photo>> {
    own(actor, patient)?;
    clinical_side(actor, "photos")?;
    sqlx::query("SELECT * FROM photos WHERE clinic_id = $1 AND patient_id = $2 ORDER BY taken_at DESC, id DESC")
        .bind(actor.clinic.0)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(photo_from)
        .collect()
}

/// One photo of the clinic's (a patient's own only, for a patient actor).
async fn photo_on(conn: &mut Conn, actor: &Actor, id: PhotoId) -> Result<Photo> {
    clinical_side(actor, "photos")?;
    let row = sqlx::query("SELECT * FROM photos WHERE clinic_id = $1 AND id = $2")
        .bind(actor.clinic.0)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("photo"))?;
    let photo = photo_from(&row)?;
    own(actor, photo.patient).map_err(|_| StoreError::NotFound("photo"))?;
    Ok(photo)
}

/// Records a photo whose image and thumbnail are stored. Its stage names what it belongs to (a
/// session or a check-in of the same patient, which must be on record); a patient may add a
/// photo to one of their check-ins only.
async fn add_photo_on(conn: &mut Conn, actor: &Actor, new: NewPhoto) -> Result<Photo> {
    own(actor, new.patient)?;
    clinical_side(actor, "photos")?;
    if matches!(actor.who, Who::Patient(_)) && new.stage != PhotoStage::CheckIn {
        return Err(StoreError::InvalidState("a patient adds photos to their check-ins only".into()));
    }
    match (new.stage, new.session, new.check_in) {
        (PhotoStage::Baseline, None, None) | (PhotoStage::Session, Some(_), None) | (PhotoStage::CheckIn, None, Some(_)) => {}
        (stage, _, _) => {
            return Err(StoreError::InvalidState(format!(
                "a {stage} photo names {}",
                match stage {
                    PhotoStage::Baseline => "neither a session nor a check-in",
                    PhotoStage::Session => "its session and no check-in",
                    PhotoStage::CheckIn => "its check-in and no session",
                }
            )));
        }
    }
    patient_in(&mut *conn, actor.clinic, new.patient).await?;
    if let Some(session) = new.session {
        let found: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM sessions WHERE clinic_id = $1 AND patient_id = $2 AND id = $3")
                .bind(actor.clinic.0)
                .bind(new.patient.0)
                .bind(session.0)
                .fetch_optional(&mut *conn)
                .await?;
        found.ok_or(StoreError::NotFound("session"))?;
    }
    if let Some(check_in) = new.check_in {
        let found: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM check_ins WHERE clinic_id = $1 AND patient_id = $2 AND id = $3")
                .bind(actor.clinic.0)
                .bind(new.patient.0)
                .bind(check_in.0)
                .fetch_optional(&mut *conn)
                .await?;
        found.ok_or(StoreError::NotFound("check-in"))?;
    }
    let row = sqlx::query(
        "INSERT INTO photos (id, clinic_id, patient_id, sha256, thumbnail_sha256, width, height, view, stage, \
         session_id, check_in_id, taken_at, uploaded_by_kind, uploaded_by, redness) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING *",
    )
    .bind(PhotoId::new().0)
    .bind(actor.clinic.0)
    .bind(new.patient.0)
    .bind(&new.sha256)
    .bind(&new.thumbnail_sha256)
    .bind(i64::from(new.width))
    .bind(i64::from(new.height))
    .bind(new.view.as_str())
    .bind(new.stage.as_str())
    .bind(new.session.map(|s| s.0))
    .bind(new.check_in.map(|c| c.0))
    .bind(ts(new.taken_at))
    .bind(actor.who.kind().as_str())
    .bind(actor.who.id())
    .bind(new.redness)
    .fetch_one(&mut *conn)
    .await?;
    photo_from(&row)
}

fn region_from(row: &DbRow, col: &'static str) -> Result<Region> {
    let v: Value = json(row, col)?;
    let n = |k: &str| v[k].as_f64().ok_or_else(|| corrupt("redness_regions", col, &v.to_string(), "not a rectangle"));
    Region::parse(col, n("x")?, n("y")?, n("width")?, n("height")?)
        .map_err(|e| corrupt("redness_regions", col, &v.to_string(), e))
}

fn regions_from(row: &DbRow) -> Result<RednessRegions> {
    Ok(RednessRegions {
        patient: PatientId(get(row, "patient_id")?),
        view: code(row, "redness_regions", "view", known("photo view", PhotoView::parse))?,
        treated: region_from(row, "treated")?,
        reference: region_from(row, "reference")?,
        set_by: uuid_opt(row, "set_by")?,
        set_at: time(row, "set_at")?,
    })
}

/// The regions marked for the patient's views.
async fn redness_regions_on(conn: &mut Conn, actor: &Actor, patient: PatientId) -> Result<Vec<RednessRegions>> {
    own(actor, patient)?;
    clinical_side(actor, "photos")?;
    sqlx::query("SELECT * FROM redness_regions WHERE clinic_id = $1 AND patient_id = $2 ORDER BY view")
        .bind(actor.clinic.0)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(regions_from)
        .collect()
}

/// Marks (or marks again) where a view's redness is read: clinical staff only.
async fn set_redness_regions_on(
    conn: &mut Conn,
    actor: &Actor,
    patient: PatientId,
    view: PhotoView,
    treated: Region,
    reference: Region,
    now: DateTime<Utc>,
) -> Result<RednessRegions> {
    match actor.who {
        Who::Staff(_, role) | Who::Token(_, role) if role.is_clinical() => {}
        _ => return Err(StoreError::Forbidden("marking redness regions (clinical staff)")),
    }
    patient_in(&mut *conn, actor.clinic, patient).await?;
    sqlx::query("DELETE FROM redness_regions WHERE clinic_id = $1 AND patient_id = $2 AND view = $3")
        .bind(actor.clinic.0)
        .bind(patient.0)
        .bind(view.as_str())
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query(
        "INSERT INTO redness_regions (clinic_id, patient_id, view, treated, reference, set_by, set_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
    )
    .bind(actor.clinic.0)
    .bind(patient.0)
    .bind(view.as_str())
    .bind(to_json(&treated))
    .bind(to_json(&reference))
    .bind(actor.who.id())
    .bind(ts(now))
    .fetch_one(&mut *conn)
    .await?;
    regions_from(&row)
}

/// Stores a photo's redness index (read again after its regions changed).
async fn set_photo_redness_on(conn: &mut Conn, actor: &Actor, photo: PhotoId, redness: Option<f64>) -> Result<()> {
    clinical_side(actor, "photos")?;
    let done = sqlx::query("UPDATE photos SET redness = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(actor.clinic.0)
        .bind(photo.0)
        .bind(redness)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("photo"));
    }
    Ok(())
}

/// Asks staff to look at a check-in's photo (a follow-up on the queue; one per check-in, so a
/// check-in already followed up keeps its follow-up).
async fn flag_photo_on(
    conn: &mut Conn,
    actor: &Actor,
    patient: PatientId,
    check_in: CheckInId,
    photo: PhotoId,
    now: DateTime<Utc>,
) -> Result<()> {
    own(actor, patient)?;
    sqlx::query(
        "INSERT INTO follow_ups (clinic_id, id, patient_id, check_in_id, reason, raised_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(actor.clinic.0)
    .bind(Uuid::now_v7())
    .bind(patient.0)
    .bind(check_in.0)
    .bind(FollowUpReason::LookAtPhoto { photo: photo.0 }.code())
    .bind(ts(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
