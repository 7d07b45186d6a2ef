//! What the outbox tests and the outbox benchmark share: a webhook sink on loopback that records
//! when each idempotency key arrived, the webhook configuration that reaches it, a clinic with
//! patients who can be texted, and fresh PostgreSQL databases.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use chrono::{DateTime, Utc};
use needlepath_server::delivery::WebhookConfig;
use needlepath_store::{Actor, ClinicSettings, NewClinic, NewPatient, NewStaff, PatientId, Role, Store, Who};

/// A webhook receiver on loopback: for each idempotency key, the moments it arrived.
pub struct Sink {
    pub url: String,
    pub arrivals: Arc<Mutex<HashMap<String, Vec<DateTime<Utc>>>>>,
    /// The request bodies' bytes, all together.
    pub body_bytes: Arc<AtomicU64>,
}

impl Sink {
    /// How many distinct keys have arrived.
    pub fn distinct(&self) -> usize {
        self.arrivals.lock().unwrap().len()
    }

    /// The keys that arrived more than once, with how often.
    pub fn repeated(&self) -> Vec<(String, usize)> {
        let arrivals = self.arrivals.lock().unwrap();
        arrivals.iter().filter(|(_, at)| at.len() > 1).map(|(k, at)| (k.clone(), at.len())).collect()
    }
}

/// Starts a sink on the current runtime.
pub async fn sink() -> Sink {
    let arrivals: Arc<Mutex<HashMap<String, Vec<DateTime<Utc>>>>> = Arc::default();
    let body_bytes: Arc<AtomicU64> = Arc::default();
    let (recorded, counted) = (arrivals.clone(), body_bytes.clone());
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let (recorded, counted) = (recorded.clone(), counted.clone());
            async move {
                let at = Utc::now();
                let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                counted.fetch_add(body.len() as u64, Ordering::Relaxed);
                recorded.lock().unwrap().entry(key).or_default().push(at);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Sink { url, arrivals, body_bytes }
}

/// The webhook channel pointed at a sink on loopback.
pub fn webhook(url: &str) -> WebhookConfig {
    WebhookConfig {
        url: url.to_string(),
        secret: "a-test-secret-of-enough-bytes".into(),
        allow_private_addresses: true,
        timeout_seconds: 10,
    }
}

/// A clinic with `n` patients who each have a phone number and consent to messages (so a
/// webhook message to them is sent, not skipped).
pub async fn clinic_with_patients(store: &Arc<dyn Store>, n: usize) -> (Actor, Vec<PatientId>) {
    let now = Utc::now();
    store.replace_setup_token("t", now, now + chrono::Duration::hours(1)).await.unwrap();
    let clinic = NewClinic {
        name: "Clinic".into(),
        time_zone: needlepath_store::IanaZone::parse("Europe/Berlin").unwrap(),
        settings: ClinicSettings::default(),
    };
    let admin =
        NewStaff { email: "a@clinic.test".into(), name: "A".into(), role: Role::Admin, password_hash: "x".into() };
    let (clinic, admin) = store.complete_setup("t", now, clinic, admin).await.unwrap();
    let actor = Actor { clinic: clinic.id, who: Who::Staff(admin.id, admin.role), ip: None };
    let mut patients = Vec::with_capacity(n);
    for i in 0..n {
        let patient = NewPatient {
            name: format!("Patient {i}"),
            email: Some(format!("p{i}@example.org")),
            phone: Some(format!("+49 30 {:07}", 1_000_000 + i)),
            time_zone: needlepath_store::IanaZone::parse("Europe/Berlin").unwrap(),
            birth_date: None,
            fitzpatrick: None,
            findings: vec![],
            allergies: vec![],
            medication: vec![],
            consent_messages: true,
        };
        patients.push(store.create_patient(&actor, patient).await.unwrap().id);
    }
    (actor, patients)
}

/// Creates a database with a unique name (`prefix` + a UUID) on the PostgreSQL server of
/// `admin` (a URL to any database there); returns its URL and name.
pub async fn create_postgres_database(admin: &str, prefix: &str) -> Result<(String, String), sqlx::Error> {
    let pool = sqlx::PgPool::connect(admin).await?;
    let name = format!("{prefix}{}", uuid::Uuid::now_v7().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&pool).await?;
    pool.close().await;
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or_else(|| admin.to_string());
    Ok((format!("{base}/{name}"), name))
}

/// Drops a database made by [`create_postgres_database`] (after its connections are closed).
pub async fn drop_postgres_database(admin: &str, name: &str) -> Result<(), sqlx::Error> {
    let pool = sqlx::PgPool::connect(admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&pool).await?;
    pool.close().await;
    Ok(())
}
