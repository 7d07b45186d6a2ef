#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]
//! The harness for the server's integration tests: a real server on 127.0.0.1:0 over a fresh
//! temporary SQLite database, set up through its own API, and clients for every kind of caller
//! (staff of each role, patients through their invite, API tokens, and staff of a second clinic
//! living in the same database).
//!
//! Clients keep their session cookie themselves (sent as a `Cookie` header) instead of in a
//! cookie jar, so a test can log in or redeem an invite "as" one caller without replacing that
//! caller's session by accident.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use needlepath_core::Protocol;
use needlepath_server::{App, ServerConfig};
use needlepath_store::{DatabaseUrl, OpenOptions};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Every account made by the harness has this password.
pub const PASSWORD: &str = "correct horse battery staple";

/// An answer, read in full.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON (`Null` when it is not JSON).
    pub json: Value,
}

impl Resp {
    /// The problem's `code` (empty when there is none).
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Panics with the body unless the status is `want`.
    #[track_caller]
    pub fn expect(&self, want: u16) -> &Value {
        assert_eq!(self.status, want, "unexpected status; body: {}", self.text);
        &self.json
    }
}

/// A client acting as one caller: anonymous, a cookie session (with its CSRF token), or a
/// bearer token.
#[derive(Debug, Clone)]
pub struct Api {
    pub base: String,
    http: reqwest::Client,
    /// `np_session=…`, sent as the Cookie header.
    pub cookie: Option<String>,
    /// Sent as `x-csrf-token` on every unsafe method.
    pub csrf: Option<String>,
    pub bearer: Option<String>,
}

impl Api {
    pub fn anonymous(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Self { base: base.to_string(), http, cookie: None, csrf: None, bearer: None }
    }

    pub fn with_bearer(&self, secret: &str) -> Self {
        Self { cookie: None, csrf: None, bearer: Some(secret.to_string()), ..self.clone() }
    }

    /// A request builder carrying this caller's credentials (and CSRF token on unsafe methods).
    pub fn builder(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let unsafe_method = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            rb = rb.header("cookie", c);
        }
        if let Some(b) = &self.bearer {
            rb = rb.header("authorization", format!("Bearer {b}"));
        }
        if unsafe_method && let Some(c) = &self.csrf {
            rb = rb.header("x-csrf-token", c);
        }
        rb
    }

    pub async fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let mut rb = self.builder(Method::from_bytes(method.as_bytes()).unwrap(), path);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        read(rb).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.request("POST", path, Some(&body)).await
    }

    pub async fn post_empty(&self, path: &str) -> Resp {
        self.request("POST", path, None).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.request("PATCH", path, Some(&body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.request("DELETE", path, None).await
    }
}

/// Sends and reads the whole answer.
pub async fn read(rb: reqwest::RequestBuilder) -> Resp {
    let res = rb.send().await.expect("the server answers");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp { status, headers, text, json }
}

/// A multipart/form-data body: the text fields, then the file `photo` if given. Returns the
/// content type (with its boundary) and the body.
pub fn multipart(fields: &[(&str, &str)], photo: Option<&[u8]>) -> (String, Vec<u8>) {
    let boundary = "np-test-boundary-7d3f0c";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some(bytes) = photo {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"photo.jpg\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts a multipart/form-data body (see [`multipart`]).
pub async fn post_multipart(api: &Api, path: &str, fields: &[(&str, &str)], photo: Option<&[u8]>) -> Resp {
    let (content_type, body) = multipart(fields, photo);
    read(api.builder(reqwest::Method::POST, path).header("content-type", content_type).body(body)).await
}

/// A GET whose answer is bytes (an image): the status, the headers and the body as sent.
pub async fn get_bytes(api: &Api, path: &str) -> (u16, HeaderMap, Vec<u8>) {
    let res = api.builder(reqwest::Method::GET, path).send().await.expect("the server answers");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap_or_default().to_vec())
}

/// A small photo (a PNG, 64 × 48, red on the left and skin-coloured on the right).
pub fn small_png() -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(
            64,
            48,
            |x, _| if x < 32 { image::Rgb([200, 40, 40]) } else { image::Rgb([224, 172, 150]) },
        );
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Posts a page's form (`application/x-www-form-urlencoded`), as a browser without JavaScript.
pub async fn post_form(api: &Api, path: &str, body: &str) -> Resp {
    let rb = api
        .builder(reqwest::Method::POST, path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string());
    read(rb).await
}

/// The `np_session=…` pair from a response's Set-Cookie.
pub fn session_cookie(r: &Resp) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("np_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

/// A staff member (or clinic-2 admin) with a live session.
#[derive(Debug, Clone)]
pub struct Member {
    pub api: Api,
    pub id: String,
    pub email: String,
}

/// A patient with a live session.
#[derive(Debug, Clone)]
pub struct PatientLogin {
    pub api: Api,
    pub id: String,
    pub name: String,
}

/// A running server over its own database, set up with clinic 1 and its first admin.
pub struct TestApp {
    pub app: Arc<App>,
    /// The service's database, for tests that arrange or inspect stored state directly (the
    /// service itself reaches it only through its application layer).
    pub store: Arc<dyn needlepath_store::Store>,
    /// The application layer's clock: `clock.travel(..)` moves the service in time.
    pub clock: Arc<needlepath_server::clinic::TravelClock>,
    pub base: String,
    pub addr: SocketAddr,
    pub db_path: PathBuf,
    /// Clinic 1 (set up through the API); empty until [`TestApp::setup`].
    pub clinic_id: String,
    pub admin: Member,
    counter: AtomicU32,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    _dir: TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            h.abort();
        }
    }
}

impl TestApp {
    /// A server over a new, empty database: not set up yet.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A server set up, with its configuration changed by `configure` first.
    pub async fn start_with(configure: impl FnOnce(&mut ServerConfig)) -> Self {
        let mut t = Self::spawn_with(configure).await;
        t.setup().await;
        t
    }

    /// A server over a new, empty database, with its configuration changed by `configure`.
    pub async fn spawn_with(configure: impl FnOnce(&mut ServerConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("needlepath.db");
        let store = needlepath_store::open(
            &DatabaseUrl::Sqlite(db_path.clone()),
            OpenOptions { create: true, ..OpenOptions::default() },
        )
        .await
        .expect("open the test database");
        let protocol = Arc::new(Protocol::builtin().expect("the built-in protocol loads"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let mut config = ServerConfig {
            listen: addr,
            public_url: base.clone(),
            photos_dir: Some(dir.path().join("photos")),
            ..ServerConfig::default()
        };
        configure(&mut config);
        let clock = Arc::new(needlepath_server::clinic::TravelClock::default());
        let app = App::with_clock(store.clone(), protocol, config, clock.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(needlepath_server::serve(app.clone(), listener, async move {
            let _ = rx.await;
        }));
        let admin = Member { api: Api::anonymous(&base), id: String::new(), email: String::new() };
        Self {
            app,
            store,
            clock,
            base,
            addr,
            db_path,
            clinic_id: String::new(),
            admin,
            counter: AtomicU32::new(0),
            shutdown: Some(tx),
            server: Some(server),
            _dir: dir,
        }
    }

    /// A server with clinic 1 set up and its admin logged in.
    pub async fn start() -> Self {
        let mut t = Self::spawn().await;
        t.setup().await;
        t
    }

    /// The token of a fresh setup link.
    pub async fn setup_token(&self) -> Option<String> {
        let link = needlepath_server::setup_link(&self.app).await.unwrap()?;
        Some(link.split("token=").nth(1).expect("the link carries its token").to_string())
    }

    pub fn setup_body(token: &str) -> Value {
        json!({
            "token": token,
            "clinic": { "name": "Clinic One", "time_zone": "Europe/Berlin" },
            "admin": { "email": "ada.admin@one.example", "name": "Ada Admin", "password": PASSWORD }
        })
    }

    /// Sets up clinic 1 through `POST /api/v1/setup` and logs its admin in.
    pub async fn setup(&mut self) {
        let token = self.setup_token().await.expect("a new database has a setup link");
        let r = self.anon().post("/api/v1/setup", Self::setup_body(&token)).await;
        let body = r.expect(201).clone();
        self.clinic_id = body["clinic"]["id"].as_str().unwrap().to_string();
        self.admin = self.login("ada.admin@one.example", PASSWORD).await;
        assert_eq!(self.admin.id, body["admin"]["id"].as_str().unwrap());
    }

    pub fn anon(&self) -> Api {
        Api::anonymous(&self.base)
    }

    pub fn unique(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.counter.fetch_add(1, Ordering::Relaxed))
    }

    /// Logs a staff member in; panics unless it works.
    pub async fn login(&self, email: &str, password: &str) -> Member {
        let r = self.anon().post("/api/v1/auth/login", json!({ "email": email, "password": password })).await;
        let body = r.expect(200).clone();
        let mut api = self.anon();
        api.cookie = Some(session_cookie(&r).expect("login sets the session cookie"));
        api.csrf = Some(body["csrf_token"].as_str().expect("login answers the CSRF token").to_string());
        Member { api, id: body["staff"]["id"].as_str().unwrap().to_string(), email: email.to_string() }
    }

    /// Adds a staff member with `role` through `POST /api/v1/staff` as `admin`, and logs them in.
    pub async fn add_staff(&self, admin: &Api, role: &str) -> Member {
        let email = format!("{}@staff.example", self.unique(role));
        let r = admin
            .post(
                "/api/v1/staff",
                json!({ "email": email, "name": format!("Staff {email}"), "role": role, "password": PASSWORD }),
            )
            .await;
        r.expect(201);
        self.login(&email, PASSWORD).await
    }

    /// Creates a patient through `POST /api/v1/patients`, whose treatment consent (signed on
    /// paper) the admin then records, as every session needs it; returns the record. (A test of
    /// consent itself uses [`TestApp::create_patient_without_consent`].)
    pub async fn create_patient(&self, staff: &Api, name: &str) -> Value {
        let patient = self.create_patient_without_consent(staff, name).await;
        let id = patient["id"].as_str().unwrap();
        // A clinician of the patient's clinic records it: the caller, or (for the front desk)
        // this clinic's admin.
        let clinical = staff.get(&format!("/api/v1/patients/{id}/consents")).await.status == 200;
        self.consent_on_paper(if clinical { staff } else { &self.admin.api }, id).await;
        patient
    }

    pub async fn create_patient_without_consent(&self, staff: &Api, name: &str) -> Value {
        let r = staff
            .post("/api/v1/patients", json!({ "name": name, "email": format!("{}@patient.example", self.unique("p")) }))
            .await;
        r.expect(201).clone()
    }

    /// Screens a patient with a body the built-in protocol finds eligible.
    pub async fn screen_eligible(&self, clinician: &Api, patient: &str) -> Value {
        let r = clinician.post(&format!("/api/v1/patients/{patient}/screenings"), eligible_screening()).await;
        let body = r.expect(201).clone();
        assert_eq!(body["decision"], "eligible", "{}", r.text);
        body
    }

    /// A clinician records the patient's treatment consent, signed on paper, to the current text.
    pub async fn consent_on_paper(&self, clinician: &Api, patient: &str) -> Value {
        let status = clinician.get(&format!("/api/v1/patients/{patient}/consents")).await;
        let version = status.expect(200)["statuses"][0]["text"]["version"].clone();
        let body = json!({ "kind": "treatment", "version": version, "typed_name": "Pat Paper", "confirm": true });
        clinician.post(&format!("/api/v1/patients/{patient}/consents"), body).await.expect(201).clone()
    }

    /// Records a session now; panics unless it is recorded.
    pub async fn record_session(&self, clinician: &Api, patient: &str) -> Value {
        let r = clinician.post(&format!("/api/v1/patients/{patient}/sessions"), session_body()).await;
        r.expect(201).clone()
    }

    /// Records a session performed at `at` (sessions of one patient are at least the protocol's
    /// 28 days apart, so a test with several spaces them out); panics unless it is recorded.
    pub async fn record_session_at(&self, clinician: &Api, patient: &str, at: chrono::DateTime<chrono::Utc>) -> Value {
        let mut body = session_body();
        body["performed_at"] = json!(at.to_rfc3339());
        let r = clinician.post(&format!("/api/v1/patients/{patient}/sessions"), body).await;
        r.expect(201).clone()
    }

    /// Invites a patient (as `staff`) and redeems the invite: the patient's own session.
    pub async fn patient_login(&self, staff: &Api, patient: &Value) -> PatientLogin {
        let id = patient["id"].as_str().unwrap().to_string();
        let token = self.invite(staff, &id).await;
        let r = self.anon().post("/api/v1/auth/invite", json!({ "token": token })).await;
        let body = r.expect(200).clone();
        assert_eq!(body["patient_id"], id.as_str());
        let mut api = self.anon();
        api.cookie = Some(session_cookie(&r).expect("the invite sets the session cookie"));
        api.csrf = Some(body["csrf_token"].as_str().unwrap().to_string());
        PatientLogin { api, id, name: patient["name"].as_str().unwrap().to_string() }
    }

    /// A new invite token for the patient: staff ask for it (the answer never holds the link:
    /// issue 14, defect 5), and the test reads the link from the e-mail queued to the patient,
    /// as the patient would from their inbox.
    pub async fn invite(&self, staff: &Api, patient: &str) -> String {
        let r = staff.post_empty(&format!("/api/v1/patients/{patient}/invites")).await;
        let body = r.expect(202);
        assert!(body.get("token").is_none() && body.get("url").is_none(), "staff see no invite link: {body}");
        self.latest_invite_token(patient).await
    }

    /// A connection to the service's SQLite database, for a test that arranges or inspects stored
    /// state directly (the outbox a patient's e-mail starts from, a second clinic, the audit).
    pub async fn database(&self) -> sqlx::SqlitePool {
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(SqliteConnectOptions::new().filename(&self.db_path).busy_timeout(Duration::from_secs(10)))
            .await
            .unwrap()
    }

    /// The payloads of the messages of `kind` queued to a staff member, oldest first.
    pub async fn queued_messages_to_staff(&self, staff: &str, kind: &str) -> Vec<Value> {
        let pool = self.database().await;
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT payload FROM messages WHERE staff_id = ?1 AND kind = ?2 ORDER BY created_at, id",
        )
        .bind(uuid::Uuid::parse_str(staff).unwrap())
        .bind(kind)
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows.iter().map(|p| serde_json::from_str(p).unwrap()).collect()
    }

    /// The token of the latest invite or sign-in link queued to the patient, read from the
    /// outbox in the database (the patient's inbox, for a test).
    pub async fn latest_invite_token(&self, patient: &str) -> String {
        let pool = self.database().await;
        let id = uuid::Uuid::parse_str(patient).unwrap();
        let payload: String = sqlx::query_scalar(
            "SELECT payload FROM messages WHERE patient_id = ?1 AND kind = 'sign_in' ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .expect("an invite e-mail queued to the patient");
        pool.close().await;
        let payload: Value = serde_json::from_str(&payload).unwrap();
        let link = payload["link"].as_str().unwrap();
        link.split("token=").nth(1).expect("the invite link holds its token").to_string()
    }

    /// Creates an API token with `role` as `admin`: a client using it, and the token record.
    pub async fn create_token(&self, admin: &Api, role: &str) -> (Api, Value) {
        let r = admin.post("/api/v1/tokens", json!({ "name": self.unique("token "), "role": role })).await;
        let body = r.expect(201).clone();
        (self.anon().with_bearer(body["secret"].as_str().unwrap()), body["token"].clone())
    }

    /// Clinic 2, in the same database: written directly (setup works once per database), with
    /// an admin account, who is then logged in through the API. Returns (clinic id, admin).
    pub async fn second_clinic(&self) -> (String, Member) {
        let pool = self.database().await;
        let clinic = uuid::Uuid::now_v7();
        let admin = uuid::Uuid::now_v7();
        let now = chrono::Utc::now().timestamp_millis();
        sqlx::query(
            "INSERT INTO clinics (clinic_id, name, time_zone, settings, created_at, updated_at) \
             VALUES (?1, 'Clinic Two', 'America/New_York', '{}', ?2, ?2)",
        )
        .bind(clinic)
        .bind(now)
        .execute(&pool)
        .await
        .unwrap();
        let hash = tokio::task::spawn_blocking(|| needlepath_server::auth::secrets::hash_password(PASSWORD))
            .await
            .unwrap()
            .unwrap();
        let email = format!("{}@two.example", self.unique("admin"));
        sqlx::query(
            "INSERT INTO staff (clinic_id, id, email, name, role, password_hash, active, created_at) \
             VALUES (?1, ?2, ?3, 'Bob Two', 'admin', ?4, 1, ?5)",
        )
        .bind(clinic)
        .bind(admin)
        .bind(&email)
        .bind(&hash)
        .bind(now)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
        let member = self.login(&email, PASSWORD).await;
        assert_eq!(member.id, admin.to_string());
        (clinic.to_string(), member)
    }

    /// Marks a message as given up (the dead letter) with `error`, as the worker does after its
    /// last attempt: written directly, so no delivery has to fail for real.
    pub async fn fail_message(&self, message: &str, error: &str) {
        let pool = self.database().await;
        let done = sqlx::query(
            "UPDATE messages SET status = 'failed', attempts = 8, last_error = ?2, claimed_by = NULL WHERE id = ?1",
        )
        .bind(uuid::Uuid::parse_str(message).unwrap())
        .bind(error)
        .execute(&pool)
        .await
        .unwrap();
        assert_eq!(done.rows_affected(), 1, "no message {message}");
        pool.close().await;
    }

    /// Raises follow-ups as the sweep would 30 days from now: every scheduled check-in is missed.
    pub async fn raise_missed_check_ins(&self) -> u64 {
        self.store.raise_missed_check_ins(chrono::Utc::now() + chrono::Duration::days(30)).await.unwrap()
    }
}

pub fn eligible_screening() -> Value {
    json!({ "concern": "acne_scars", "scar_type": "atrophic", "scar_grade": 2 })
}

pub fn session_body() -> Value {
    json!({ "device": "Dermapen 4", "needle_depth_mm": 1.0, "areas": ["cheeks"] })
}

/// A check-in the built-in protocol sends to emergency services.
pub fn emergency_check_in() -> Value {
    json!({ "symptoms": [{ "code": "throat_tightness", "severity": "severe" }] })
}

/// A check-in the built-in protocol answers with `contact_clinic` at any hour (severe redness
/// no longer does in the first 24 h: protocol 2, issue 12 item 14).
pub fn contact_clinic_check_in() -> Value {
    json!({ "symptoms": [{ "code": "light_patches", "severity": "mild", "trend": "same" }] })
}

/// A check-in within the expected course: `self_care`, no alert.
pub fn self_care_check_in() -> Value {
    json!({ "symptoms": [{ "code": "redness", "severity": "mild" }] })
}
