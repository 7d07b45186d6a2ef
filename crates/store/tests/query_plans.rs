#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 16: no hot query scans a table or sorts a patient's whole history.
//!
//! The queries every request of the hot paths runs (a login, the Today page, a check-in, the
//! queue, the staff patient page, the audit lists), as the store writes them, asked for their
//! plan on a migrated SQLite database: each must SEARCH through an index, and a paged list must
//! come in its index's order (no temporary B-tree for its ORDER BY). The plans on the 100,000-
//! patient seed, on both backends, are in BENCHMARKS.md. When a query of the store changes, its
//! copy here changes with it.

use needlepath_store::{DatabaseUrl, OpenOptions};
use sqlx::Connection;

/// (name, SQL with `?` parameters, whether it is a page in index order).
const HOT: &[(&str, &str, bool)] = &[
    ("login", "SELECT * FROM logins WHERE token_hash = ?", false),
    ("api token", "SELECT * FROM api_tokens WHERE token_hash = ?", false),
    ("patient", "SELECT * FROM patients WHERE clinic_id = ? AND id = ?", false),
    ("clinic", "SELECT * FROM clinics WHERE clinic_id = ?", false),
    (
        "recent sessions",
        "SELECT * FROM sessions WHERE clinic_id = ? AND patient_id = ? ORDER BY performed_at DESC, id DESC LIMIT ? OFFSET ?",
        true,
    ),
    ("session count", "SELECT count(*) FROM sessions WHERE clinic_id = ? AND patient_id = ?", false),
    (
        "a session's check-ins",
        "SELECT * FROM check_ins WHERE clinic_id = ? AND patient_id = ? AND session_id = ? AND due_at IS NOT NULL ORDER BY due_at, id",
        false,
    ),
    (
        "recent check-ins",
        "SELECT * FROM check_ins WHERE clinic_id = ? AND patient_id = ? ORDER BY COALESCE(submitted_at, due_at) DESC, id DESC LIMIT ? OFFSET ?",
        true,
    ),
    (
        "check-ins of the last hour",
        "SELECT count(*) FROM check_ins WHERE clinic_id = ? AND patient_id = ? AND submitted_at >= ?",
        false,
    ),
    (
        "recent plans",
        "SELECT * FROM plans WHERE clinic_id = ? AND patient_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
        true,
    ),
    (
        "recent screenings",
        "SELECT * FROM screenings WHERE clinic_id = ? AND patient_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
        true,
    ),
    (
        "latest consent",
        "SELECT * FROM consents WHERE clinic_id = ? AND patient_id = ? AND kind = ? ORDER BY signed_at DESC, id DESC LIMIT 1",
        false,
    ),
    (
        "recent appointments",
        "SELECT * FROM appointments WHERE clinic_id = ? AND patient_id = ? ORDER BY starts_at DESC, id DESC LIMIT ? OFFSET ?",
        true,
    ),
    (
        "latest messages",
        "SELECT * FROM messages WHERE clinic_id = ? AND patient_id = ? ORDER BY due_at DESC, id DESC LIMIT ?",
        true,
    ),
    (
        "open alert of a patient",
        "SELECT * FROM alerts WHERE clinic_id = ? AND patient_id = ? AND resolved_at IS NULL",
        false,
    ),
    (
        "open follow-ups, a page",
        "SELECT f.*, p.name AS patient_name FROM follow_ups f JOIN patients p ON p.clinic_id = f.clinic_id AND p.id = f.patient_id WHERE f.clinic_id = ? AND f.resolved_at IS NULL ORDER BY f.raised_at, f.id LIMIT ? OFFSET ?",
        true,
    ),
    (
        "a patient's audit trail",
        "SELECT * FROM audit WHERE clinic_id = ? AND patient_id = ? ORDER BY at DESC, id DESC LIMIT ?",
        true,
    ),
    ("the clinic's audit", "SELECT * FROM audit WHERE clinic_id = ? ORDER BY at DESC, id DESC LIMIT ?", true),
];

#[tokio::test]
async fn hot_queries_search_by_index_and_pages_come_in_index_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plans.db");
    let store = needlepath_store::open(
        &DatabaseUrl::Sqlite(path.clone()),
        OpenOptions { create: true, ..OpenOptions::default() },
    )
    .await
    .unwrap();
    drop(store);
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    let mut problems = Vec::new();
    for (name, sql, paged) in HOT {
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let lines: Vec<&str> = plan.iter().map(|r| r.3.as_str()).collect();
        let scans =
            lines.iter().any(|l| l.starts_with("SCAN ") && !l.contains("USING INDEX") && !l.contains("CONSTANT"));
        let sorts = *paged && lines.iter().any(|l| l.contains("TEMP B-TREE"));
        if scans || sorts {
            problems.push(format!("{name}: {lines:?}"));
        }
    }
    assert!(problems.is_empty(), "hot queries that scan or sort:\n{}", problems.join("\n"));
}
