// Copies of one patient's history, for the bench harness's clinic group of 100,000 patients
// (issue 16). Part of `queries.rs`.
//
// The template is a patient whose history the service itself wrote (screening, plan, consent,
// sessions with their scheduled check-ins, check-ins with their triage, alerts, escalation and
// reminder messages), so every copied row is one the readers accept. The copy is done inside the
// database (`INSERT … SELECT`) with a map from each template row to its copy's new id, so a
// copy's check-in points at the copy's session, its alert at the copy's check-in, a message at
// the copy's alert; the columns are read from the schema, so a new column is copied too.

/// The tables of a patient's history that are copied, parents before children.
const HISTORY: [&str; 11] = [
    "screenings",
    "plans",
    "consents",
    "sessions",
    "appointments",
    "check_ins",
    "alerts",
    "follow_ups",
    "messages",
    "scar_assessments",
    "outcome_answers",
];

/// Tables copied once per patient, however many copies of the rest it gets: a patient with a
/// thousand check-ins still has a plan or two, a screening, a consent.
const ONCE: [&str; 5] = ["screenings", "plans", "consents", "scar_assessments", "outcome_answers"];

/// Columns that point at another copied row: a copy points at the same copy of it (or, for a
/// table copied once, at its one copy).
const REFERENCES: [&str; 6] = ["plan_id", "session_id", "check_in_id", "source_id", "alert_id", "appointment_id"];

impl Backend {
    async fn columns_of(tx: &mut <Db as sqlx::Database>::Connection, table: &str) -> Result<Vec<String>> {
        let names: Vec<String> = sqlx::query_scalar(COLUMNS_OF).bind(table).fetch_all(&mut *tx).await?;
        Ok(names)
    }

    async fn copy_patients_in_transaction(
        &self,
        clinic: ClinicId,
        template: PatientId,
        targets: &[(PatientId, String, u32)],
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        for ddl in SEED_TABLES {
            sqlx::query(*ddl).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM seed_targets").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM seed_map").execute(&mut *tx).await?;
        // Up to 300 rows of 3 parameters per statement (SQLite allows 32,766 parameters).
        let copies: Vec<(Uuid, &str, i64)> = targets
            .iter()
            .flat_map(|(p, name, n)| (0..*n).map(move |k| (p.0, name.as_str(), i64::from(k))))
            .collect();
        for chunk in copies.chunks(300) {
            let mut q = sqlx::QueryBuilder::<Db>::new("INSERT INTO seed_targets (patient, name, copy) ");
            q.push_values(chunk, |mut row, (p, name, k)| {
                row.push_bind(*p).push_bind(*name).push_bind(*k);
            });
            q.build().execute(&mut *tx).await?;
        }
        // The patients themselves, once each (copy 0), with their own names.
        let cols = Self::columns_of(&mut tx, "patients").await?;
        let exprs: Vec<String> = cols
            .iter()
            .map(|c| match c.as_str() {
                "id" => "s.patient".to_string(),
                "name" => "s.name".to_string(),
                "email" => "NULL".to_string(),
                "search_text" => "lower(s.name)".to_string(),
                other => format!("x.{other}"),
            })
            .collect();
        let sql = format!(
            "INSERT INTO patients ({}) SELECT {} FROM patients x CROSS JOIN seed_targets s \
             WHERE x.clinic_id = $1 AND x.id = $2 AND s.copy = 0",
            cols.join(", "),
            exprs.join(", ")
        );
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(clinic.0).bind(template.0).execute(&mut *tx).await?.rows_affected();
        // reminder_settings is keyed by the patient: once each.
        let cols = Self::columns_of(&mut tx, "reminder_settings").await?;
        let exprs: Vec<String> =
            cols.iter().map(|c| if c == "patient_id" { "s.patient".to_string() } else { format!("x.{c}") }).collect();
        let sql = format!(
            "INSERT INTO reminder_settings ({}) SELECT {} FROM reminder_settings x CROSS JOIN seed_targets s \
             WHERE x.clinic_id = $1 AND x.patient_id = $2 AND s.copy = 0",
            cols.join(", "),
            exprs.join(", ")
        );
        rows += sqlx::query(sqlx::AssertSqlSafe(sql)).bind(clinic.0).bind(template.0).execute(&mut *tx).await?.rows_affected();
        for table in HISTORY {
            let cols = Self::columns_of(&mut tx, table).await?;
            if !cols.iter().any(|c| c == "id") || !cols.iter().any(|c| c == "patient_id") {
                continue;
            }
            let once = if ONCE.contains(&table) { " AND s.copy = 0" } else { "" };
            let map = format!(
                "INSERT INTO seed_map (old_id, patient, copy, new_id) SELECT x.id, s.patient, s.copy, {NEW_ID} \
                 FROM {table} x CROSS JOIN seed_targets s WHERE x.clinic_id = $1 AND x.patient_id = $2{once}"
            );
            sqlx::query(sqlx::AssertSqlSafe(map)).bind(clinic.0).bind(template.0).execute(&mut *tx).await?;
            let exprs: Vec<String> = cols
                .iter()
                .map(|c| match c.as_str() {
                    "id" => "m.new_id".to_string(),
                    "patient_id" => "m.patient".to_string(),
                    "idempotency_key" => format!("x.idempotency_key || ':' || {}", id_text("m.new_id")),
                    r if REFERENCES.contains(&r) => format!(
                        "COALESCE((SELECT r.new_id FROM seed_map r WHERE r.old_id = x.{r} AND r.patient = m.patient \
                         AND r.copy = m.copy), (SELECT r.new_id FROM seed_map r WHERE r.old_id = x.{r} \
                         AND r.patient = m.patient AND r.copy = 0), x.{r})"
                    ),
                    other => format!("x.{other}"),
                })
                .collect();
            let sql = format!(
                "INSERT INTO {table} ({}) SELECT {} FROM {table} x JOIN seed_map m ON m.old_id = x.id \
                 WHERE x.clinic_id = $1 AND x.patient_id = $2",
                cols.join(", "),
                exprs.join(", ")
            );
            rows += sqlx::query(sqlx::AssertSqlSafe(sql)).bind(clinic.0).bind(template.0).execute(&mut *tx).await?.rows_affected();
        }
        sqlx::query("DELETE FROM seed_targets").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM seed_map").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(rows)
    }
}
