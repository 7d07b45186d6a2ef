//! `needlepath seed`: a clinic group for the bench harness (issue 16), on an empty database.
//!
//! The history that every patient gets is written by the service itself, through its own JSON
//! API (the router called in-process, no socket): a clinic set up, a practitioner, a template
//! patient consented, screened, planned, three sessions four weeks apart and 30 check-ins (some
//! of them opening an alert), the missed check-ins raised as follow-ups. The store then copies
//! that history inside the database to every other patient (`Store::copy_patients`), so 100,000
//! patients take minutes, and every row is one the service's own readers accept. A "new"
//! patient (one session, two check-ins) is made through the API too, and a "heavy" one gets 34
//! copies of the history (1,020 check-ins, 102 sessions).
//!
//! It prints, and writes to `--out`, the credentials the harness loads with: API tokens, a
//! practitioner's login cookie, and patients' login cookies with their CSRF tokens. They are
//! real logins of this database; a seeded database is for benchmarks, not for patients.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use axum::body::Body;
use axum::extract::ConnectInfo;
use chrono::{Duration, Utc};
use needlepath_server::auth::secrets::{new_token, token_hash};
use needlepath_server::{App, ServerConfig};
use needlepath_store::{Actor, ClinicId, Login, LoginKind, PatientId, Role, StaffId, Store, Who};
use serde::Serialize;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use uuid::Uuid;

/// What `seed` is asked to make.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// Patients in the clinic (each with the template's history).
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub patients: u32,
    /// Where to write the credentials (JSON); they are printed too.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// One login to load with.
#[derive(Debug, Serialize)]
pub struct PatientLogin {
    pub id: Uuid,
    pub cookie: String,
    pub csrf: String,
}

#[derive(Debug, Serialize)]
pub struct StaffLogins {
    pub admin_token: String,
    pub practitioner_token: String,
    pub practitioner_cookie: String,
    pub practitioner_csrf: String,
}

/// What the harness reads.
#[derive(Debug, Serialize)]
pub struct Seeded {
    pub clinic_id: Uuid,
    pub staff: StaffLogins,
    pub new_patient: PatientLogin,
    pub heavy_patient: PatientLogin,
    /// Patients for concurrent writers (up to 256).
    pub writers: Vec<PatientLogin>,
    pub patients: u32,
    pub rows_copied: u64,
    pub seconds: f64,
}

/// The check-ins of the template's history: mostly the expected course, some that open an alert.
const TEMPLATE_CHECK_INS: usize = 30;
/// Copies of the history the heavy patient gets.
const HEAVY_COPIES: u32 = 34;
const WRITERS: usize = 256;

struct Client {
    router: axum::Router,
}

impl Client {
    /// One request through the whole router, as from loopback.
    async fn call(&self, method: &str, path: &str, auth: &Auth, body: Option<Value>) -> anyhow::Result<(u16, Value)> {
        let mut req = axum::http::Request::builder().method(method).uri(path);
        match auth {
            Auth::None => {}
            Auth::Bearer(t) => req = req.header("authorization", format!("Bearer {t}")),
            Auth::Cookie { cookie, csrf } => {
                req = req.header("cookie", cookie.as_str()).header("x-csrf-token", csrf.as_str());
            }
        }
        let body = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Body::from(serde_json::to_vec(&v)?)
            }
            None => Body::empty(),
        };
        let mut req = req.body(body)?;
        req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        let resp = self.router.clone().oneshot(req).await.context("the router")?;
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20).await?;
        let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        Ok((status, value))
    }

    async fn expect(
        &self,
        method: &str,
        path: &str,
        auth: &Auth,
        body: Option<Value>,
        want: u16,
    ) -> anyhow::Result<Value> {
        let (status, value) = self.call(method, path, auth, body).await?;
        if status != want {
            bail!("{method} {path}: expected {want}, got {status}: {value}");
        }
        Ok(value)
    }
}

enum Auth {
    None,
    Bearer(String),
    Cookie { cookie: String, csrf: String },
}

fn uuid_of(v: &Value, field: &str) -> anyhow::Result<Uuid> {
    let text = v.pointer(field).and_then(Value::as_str).with_context(|| format!("no {field} in {v}"))?;
    Ok(Uuid::parse_str(text)?)
}

async fn login(
    store: &Arc<dyn Store>,
    clinic: ClinicId,
    kind: LoginKind,
    principal: Uuid,
) -> anyhow::Result<(String, String)> {
    let token = new_token();
    let csrf = new_token();
    let now = Utc::now();
    store
        .create_login(&Login {
            token_hash: token_hash(&token),
            clinic,
            kind,
            principal,
            csrf_token: csrf.clone(),
            created_at: now,
            expires_at: now + Duration::days(30),
        })
        .await?;
    Ok((format!("{}={token}", needlepath_server::auth::COOKIE), csrf))
}

/// A patient consented, screened eligible and planned, through the API as `staff`.
async fn prepared_patient(c: &Client, staff: &Auth, name: &str) -> anyhow::Result<Uuid> {
    let p = c.expect("POST", "/api/v1/patients", staff, Some(json!({ "name": name })), 201).await?;
    let id = uuid_of(&p, "/id")?;
    let consents = c.expect("GET", &format!("/api/v1/patients/{id}/consents"), staff, None, 200).await?;
    let version = consents.pointer("/statuses/0/text/version").cloned().context("no consent text")?;
    let sign = json!({ "kind": "treatment", "version": version, "typed_name": name, "confirm": true });
    c.expect("POST", &format!("/api/v1/patients/{id}/consents"), staff, Some(sign), 201).await?;
    let screening = json!({ "concern": "acne_scars", "scar_type": "atrophic", "scar_grade": 2 });
    c.expect("POST", &format!("/api/v1/patients/{id}/screenings"), staff, Some(screening), 201).await?;
    let start = (Utc::now() - Duration::weeks(10)).date_naive();
    let plan = json!({ "concern": "acne_scars", "scar_grade": 2, "start": start.to_string() });
    c.expect("POST", &format!("/api/v1/patients/{id}/plans"), staff, Some(plan), 201).await?;
    Ok(id)
}

async fn session_at(c: &Client, staff: &Auth, practitioner: Uuid, patient: Uuid, weeks_ago: i64) -> anyhow::Result<()> {
    let at = Utc::now() - Duration::weeks(weeks_ago) - Duration::hours(2);
    let body = json!({
        "device": "Dermapen 4", "needle_depth_mm": 1.0, "areas": ["cheeks"],
        "performed_at": at.to_rfc3339(), "practitioner_id": practitioner
    });
    c.expect("POST", &format!("/api/v1/patients/{patient}/sessions"), staff, Some(body), 201).await?;
    Ok(())
}

/// The i-th check-in of a history: the expected course, and every tenth a sign to look at.
fn check_in(i: usize) -> Value {
    if i % 10 == 9 {
        json!({ "symptoms": [{ "code": "light_patches", "severity": "mild", "trend": "same" }], "note": format!("day {i}") })
    } else {
        let codes = ["redness", "swelling", "dryness", "flaking", "itching", "tightness"];
        json!({ "symptoms": [
            { "code": codes[i % codes.len()], "severity": "mild", "trend": "improving" },
            { "code": codes[(i + 2) % codes.len()], "severity": "mild" }
        ], "temperature_c": 36.8 })
    }
}

pub async fn seed(
    store: Arc<dyn Store>,
    protocol: Arc<needlepath_core::protocol::Protocol>,
    args: &SeedArgs,
) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    if store.has_clinic().await? {
        bail!("seed fills an empty database, and this one already has a clinic; give it a new database");
    }
    let config = ServerConfig { check_ins_per_patient_per_hour: u32::MAX, ..ServerConfig::default() };
    let app = App::new(store.clone(), protocol, config);
    let c = Client { router: needlepath_server::router(app.clone()) };
    let link = needlepath_server::setup_link(&app).await?.context("a new database has a setup link")?;
    let setup_token = link.split("token=").nth(1).context("the setup link carries its token")?.to_string();
    let setup = json!({
        "token": setup_token,
        "clinic": { "name": "Bench clinic group", "time_zone": "Europe/Berlin" },
        "admin": { "email": "admin@bench.example", "name": "Bench Admin", "password": new_token() }
    });
    let body = c.expect("POST", "/api/v1/setup", &Auth::None, Some(setup), 201).await?;
    let clinic = ClinicId(uuid_of(&body, "/clinic/id")?);
    let admin_id = StaffId(uuid_of(&body, "/admin/id")?);
    let admin_actor = Actor { clinic, who: Who::Staff(admin_id, Role::Admin), ip: None };
    let admin_token = new_token();
    store.create_api_token(&admin_actor, "bench admin", Role::Admin, &token_hash(&admin_token)).await?;
    let admin = Auth::Bearer(admin_token.clone());
    let new_staff = json!({ "email": "practitioner@bench.example", "name": "Bench Practitioner", "role": "practitioner", "password": new_token() });
    let prac = c.expect("POST", "/api/v1/staff", &admin, Some(new_staff), 201).await?;
    let prac_id = uuid_of(&prac, "/id")?;
    let practitioner_token = new_token();
    store
        .create_api_token(&admin_actor, "bench practitioner", Role::Practitioner, &token_hash(&practitioner_token))
        .await?;
    let staff = Auth::Bearer(practitioner_token.clone());
    let (practitioner_cookie, practitioner_csrf) = login(&store, clinic, LoginKind::Staff, prac_id).await?;

    // The template: its history is what every patient gets.
    let template = prepared_patient(&c, &staff, "Template Patient").await?;
    for weeks_ago in [9, 5, 1] {
        session_at(&c, &staff, prac_id, template, weeks_ago).await?;
    }
    let (cookie, csrf) = login(&store, clinic, LoginKind::Patient, template).await?;
    let me = Auth::Cookie { cookie, csrf };
    for i in 0..TEMPLATE_CHECK_INS {
        c.expect("POST", "/api/v1/me/check-ins", &me, Some(check_in(i)), 201).await?;
    }
    // The missed check-ins are raised now (so a service started on the seed does not raise
    // 100,000 follow-ups at once), and staff dealt with them and with the template's alerts: the
    // copies' history is closed, as most of a clinic's is; the new patient's alert is open.
    store.raise_missed_check_ins(Utc::now()).await?;
    for (list, path) in [("alerts", "alerts"), ("follow_ups", "follow-ups")] {
        let open = c.expect("GET", &format!("/api/v1/{path}?limit=200"), &staff, None, 200).await?;
        for item in open.get(list).and_then(Value::as_array).into_iter().flatten() {
            if let Some(id) = item.get("id").and_then(Value::as_str) {
                let note = json!({ "note": "Called the patient: expected course, advice given." });
                c.expect("POST", &format!("/api/v1/{path}/{id}/resolve"), &staff, Some(note), 200).await?;
            }
        }
    }

    // Everyone else: copies of the template's history, in batches of 1,000 patients.
    let mut rows_copied = 0;
    let mut copied: Vec<Uuid> = Vec::new();
    let others = args.patients.saturating_sub(3);
    let mut next = 0u32;
    while next < others {
        let batch: Vec<(PatientId, String, u32)> = (next..others.min(next + 1_000))
            .map(|i| (PatientId(Uuid::now_v7()), format!("Patient {i:06}"), 1))
            .collect();
        copied.extend(batch.iter().take(WRITERS.saturating_sub(copied.len())).map(|(p, _, _)| p.0));
        rows_copied += store.copy_patients(clinic, PatientId(template), &batch).await?;
        next += 1_000;
        if next.is_multiple_of(20_000) {
            eprintln!("needlepath seed: {next} patients, {rows_copied} rows, {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    let heavy = Uuid::now_v7();
    rows_copied += store
        .copy_patients(clinic, PatientId(template), &[(PatientId(heavy), "Heavy Patient".into(), HEAVY_COPIES)])
        .await?;

    // A new patient: one session, two check-ins, through the API.
    let new = prepared_patient(&c, &staff, "New Patient").await?;
    session_at(&c, &staff, prac_id, new, 0).await?;
    let (cookie, csrf) = login(&store, clinic, LoginKind::Patient, new).await?;
    let new_me = Auth::Cookie { cookie: cookie.clone(), csrf: csrf.clone() };
    for i in 0..2 {
        c.expect("POST", "/api/v1/me/check-ins", &new_me, Some(check_in(i)), 201).await?;
    }
    let new_patient = PatientLogin { id: new, cookie, csrf };
    let (cookie, csrf) = login(&store, clinic, LoginKind::Patient, heavy).await?;
    let heavy_patient = PatientLogin { id: heavy, cookie, csrf };
    let mut writers = Vec::with_capacity(copied.len());
    for id in copied {
        let (cookie, csrf) = login(&store, clinic, LoginKind::Patient, id).await?;
        writers.push(PatientLogin { id, cookie, csrf });
    }
    Ok(Seeded {
        clinic_id: clinic.0,
        staff: StaffLogins { admin_token, practitioner_token, practitioner_cookie, practitioner_csrf },
        new_patient,
        heavy_patient,
        writers,
        patients: args.patients,
        rows_copied,
        seconds: started.elapsed().as_secs_f64(),
    })
}
