//! Helpers for the tests that run the clinic service as a real process (`durability.rs`,
//! `operations.rs`): [`ServerProcess`] starts `needlepath serve`, waits until it serves, kills
//! it (SIGKILL), stops it (SIGTERM) and starts it again on the same port; [`run`] runs the other
//! service commands; [`Api`] is a small JSON client with its own cookie jar that sends the CSRF
//! token its login returned; the fixtures set up a clinic and a treated, invited patient.
//!
//! Every child gets an environment without `NEEDLEPATH_*` variables except those a test sets,
//! so the developer's own configuration never leaks into a test.

#![allow(dead_code)]

pub mod private_postgres;

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::cookie::Jar;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub const BIN: &str = env!("CARGO_BIN_EXE_needlepath");
/// How long a start may take before the test gives up (migrations and an integrity check run
/// first; the debug build is slow on a busy machine).
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a one-shot command may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
pub const ADMIN_EMAIL: &str = "admin@clinic.test";
pub const ADMIN_PASSWORD: &str = "admin password 1234";

/// The workspace root (which holds `docs/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local address").port()
}

pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).kill_on_drop(true);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("NEEDLEPATH_") {
            cmd.env_remove(k);
        }
    }
    // Only warnings on standard error: the request log of a load test is not needed.
    cmd.env("NEEDLEPATH_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `needlepath ARGS` in `dir` to completion (bounded by [`COMMAND_TIMEOUT`]).
pub async fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    run_with_stdin(dir, args, env, "").await
}

/// Like [`run`], with `stdin` as standard input.
pub async fn run_with_stdin(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut cmd = command(dir, args, env);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn needlepath");
    let mut input = child.stdin.take().expect("stdin");
    // The command may exit without reading: a broken pipe is its business, not the test's.
    let _ = input.write_all(stdin.as_bytes()).await;
    drop(input);
    match tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output()).await {
        Ok(out) => out.expect("wait for needlepath"),
        Err(_) => panic!("`needlepath {}` did not finish within {COMMAND_TIMEOUT:?}", args.join(" ")),
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A running `needlepath serve --listen 127.0.0.1:PORT ARGS`, killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub dir: PathBuf,
    pub port: u16,
    args: Vec<String>,
    lines: mpsc::UnboundedReceiver<String>,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    readers: Vec<JoinHandle<()>>,
}

fn pump(
    from: impl AsyncRead + Unpin + Send + 'static,
    into: Arc<Mutex<Vec<String>>>,
    tx: Option<mpsc::UnboundedSender<String>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(from).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            into.lock().expect("output lock").push(line.clone());
            if let Some(tx) = &tx {
                let _ = tx.send(line);
            }
        }
    })
}

impl ServerProcess {
    /// Starts on a free port in `dir` and waits until it serves.
    pub async fn start(dir: &Path, args: &[&str]) -> Self {
        Self::start_on(dir, free_port(), args).await
    }

    /// Starts on `port` and waits for the `serving on` line.
    pub async fn start_on(dir: &Path, port: u16, args: &[&str]) -> Self {
        let mut s = Self::spawn(dir, port, args);
        let line = s.wait_for_line(|l| l.contains("serving on"), READY_TIMEOUT).await;
        assert!(line.contains(&format!("http://127.0.0.1:{port}")), "serving on another address: {line}");
        s
    }

    /// Starts on a free port with `env` set (after the default `NEEDLEPATH_LOG=warn`), and waits
    /// until it serves.
    pub async fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut s = Self::spawn_with_env(dir, port, args, env);
        s.wait_for_line(|l| l.contains("serving on"), READY_TIMEOUT).await;
        s
    }

    /// Starts without waiting.
    pub fn spawn(dir: &Path, port: u16, args: &[&str]) -> Self {
        Self::spawn_with_env(dir, port, args, &[])
    }

    fn spawn_with_env(dir: &Path, port: u16, args: &[&str], env: &[(&str, &str)]) -> Self {
        let listen = format!("127.0.0.1:{port}");
        let mut all = vec!["serve", "--listen", listen.as_str()];
        all.extend_from_slice(args);
        let mut cmd = command(dir, &all, env);
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn needlepath serve");
        let (tx, lines) = mpsc::unbounded_channel();
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            pump(child.stdout.take().expect("stdout"), stdout.clone(), Some(tx)),
            pump(child.stderr.take().expect("stderr"), stderr.clone(), None),
        ];
        Self {
            child,
            dir: dir.to_path_buf(),
            port,
            args: args.iter().map(|a| (*a).to_string()).collect(),
            lines,
            stdout,
            stderr,
            readers,
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server is running")
    }

    pub fn stdout_text(&self) -> String {
        self.stdout.lock().expect("output lock").join("\n")
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().expect("output lock").join("\n")
    }

    /// The next standard-output line matching `pred`; panics, with standard error, when the
    /// process ends or the time is up first.
    pub async fn wait_for_line(&mut self, pred: impl Fn(&str) -> bool, timeout: Duration) -> String {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) if pred(&line) => return line,
                Ok(Some(_)) => {}
                Ok(None) => {
                    let status = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
                    for r in &mut self.readers {
                        let _ = tokio::time::timeout(Duration::from_secs(5), r).await;
                    }
                    panic!(
                        "the server ended ({status:?}) before the expected line\nstdout:\n{}\nstderr:\n{}",
                        self.stdout_text(),
                        self.stderr_text()
                    );
                }
                Err(_) => panic!(
                    "no expected line within {timeout:?}\nstdout:\n{}\nstderr:\n{}",
                    self.stdout_text(),
                    self.stderr_text()
                ),
            }
        }
    }

    /// The one-time setup token printed on a first start.
    pub async fn setup_link(&mut self) -> String {
        let line = self.wait_for_line(|l| l.contains("/setup?token="), READY_TIMEOUT).await;
        line.trim().to_string()
    }

    /// SIGKILL, as a power cut or the OOM killer would: no chance to finish anything.
    pub async fn kill(&mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.expect("killed server exits");
    }

    /// SIGTERM, then waits for the exit (bounded) and for the rest of its output.
    pub async fn terminate(&mut self) -> ExitStatus {
        let pid = self.pid().to_string();
        let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        self.wait_exit(Duration::from_secs(30)).await
    }

    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let status = tokio::time::timeout(timeout, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the server did not exit within {timeout:?}\nstderr:\n{}", self.stderr_text()))
            .expect("wait for the server");
        for r in &mut self.readers {
            let _ = tokio::time::timeout(Duration::from_secs(5), r).await;
        }
        status
    }

    /// Kills it if it still runs, and starts it again in the same directory on the same port
    /// with `args`.
    pub async fn restart(&mut self, args: &[&str]) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill().await;
        }
        *self = Self::start_on(&self.dir.clone(), self.port, args).await;
    }

    /// The arguments it was started with (after `serve --listen ADDR`).
    pub fn args(&self) -> Vec<String> {
        self.args.clone()
    }
}

/// A JSON API client: a cookie jar of its own (so one client is one login), and the CSRF token
/// of that login on every request.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    jar: Arc<Jar>,
    http: reqwest::Client,
    pub csrf: Option<String>,
}

fn client(jar: &Arc<Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

impl Api {
    pub fn new(base: &str) -> Self {
        let jar = Arc::new(Jar::default());
        Self { base: base.to_string(), http: client(&jar), jar, csrf: None }
    }

    /// The same login (cookies and CSRF token) over fresh connections, for after a restart.
    pub fn reconnect(&self) -> Self {
        Self { base: self.base.clone(), jar: self.jar.clone(), http: client(&self.jar), csrf: self.csrf.clone() }
    }

    /// One request; a transport failure (refused, reset, timed out) is the `Err`.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> reqwest::Result<(StatusCode, Value)> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(csrf) = &self.csrf {
            req = req.header("x-csrf-token", csrf);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await?;
        let status = res.status();
        let text = res.text().await?;
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, value))
    }

    /// A `multipart/form-data` POST of `fields` and a file field `photo` (the form a browser
    /// sends).
    pub async fn post_photo(&self, path: &str, fields: &[(&str, &str)], photo: &[u8]) -> (StatusCode, Value) {
        const BOUNDARY: &str = "needlepath-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"photo.png\"\r\n\
                 Content-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(photo);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(body);
        if let Some(csrf) = &self.csrf {
            req = req.header("x-csrf-token", csrf);
        }
        let res = req.send().await.unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// A GET whose answer is bytes (an image).
    pub async fn get_bytes(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let res =
            self.http.get(format!("{}{path}", self.base)).send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = res.status();
        (status, res.bytes().await.unwrap_or_else(|e| panic!("GET {path}: {e}")).to_vec())
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await.unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await.unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// `post`, insisting on `expected`.
    pub async fn post_ok(&self, path: &str, body: &Value, expected: StatusCode) -> Value {
        let (status, v) = self.post(path, body).await;
        assert_eq!(status, expected, "POST {path}: {v}");
        v
    }

    /// Staff login; keeps the CSRF token on success.
    pub async fn login(&mut self, email: &str, password: &str) -> (StatusCode, Value) {
        let (status, v) = self.post("/api/v1/auth/login", &json!({ "email": email, "password": password })).await;
        if status == StatusCode::OK {
            self.csrf = v["csrf_token"].as_str().map(str::to_string);
        }
        (status, v)
    }

    /// A patient opens their invite; keeps the CSRF token on success.
    pub async fn redeem_invite(&mut self, token: &str) -> (StatusCode, Value) {
        let (status, v) = self.post("/api/v1/auth/invite", &json!({ "token": token })).await;
        if status == StatusCode::OK {
            self.csrf = v["csrf_token"].as_str().map(str::to_string);
        }
        (status, v)
    }
}

/// A configuration file in `dir` that lifts a patient's hourly check-in limit (issue 14,
/// defect 8): load and fault tests send each patient far more check-ins than a real patient
/// may, and measure durability, not the limit. Returns its path, for `--config`.
pub fn load_test_config(dir: &Path) -> String {
    let config = dir.join("load.toml");
    std::fs::write(&config, "check_ins_per_patient_per_hour = 1000000\n").expect("write the load configuration");
    config.to_str().expect("a UTF-8 path").to_string()
}

/// Completes the first-run setup with the printed token and returns the admin, logged in.
pub async fn set_up_clinic(server: &mut ServerProcess) -> Api {
    let link = server.setup_link().await;
    let token = link.split("token=").nth(1).expect("a token in the setup link").to_string();
    let api = Api::new(&server.base());
    let body = json!({
        "token": token,
        "clinic": { "name": "Test Clinic", "time_zone": "Europe/Berlin" },
        "admin": { "email": ADMIN_EMAIL, "name": "Ada Admin", "password": ADMIN_PASSWORD },
    });
    api.post_ok("/api/v1/setup", &body, StatusCode::CREATED).await;
    admin(&server.base()).await
}

/// The admin, logged in.
pub async fn admin(base: &str) -> Api {
    let mut api = Api::new(base);
    let (status, v) = api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "admin login: {v}");
    api
}

/// A patient with a screening and a session today (so they may check in); returns the id.
pub async fn add_treated_patient(staff: &Api, name: &str) -> String {
    let email = format!("{}@patient.example", uuid::Uuid::now_v7().simple());
    let p = staff.post_ok("/api/v1/patients", &json!({ "name": name, "email": email }), StatusCode::CREATED).await;
    let id = p["id"].as_str().expect("patient id").to_string();
    let screening = json!({ "concern": "acne_scars", "scar_type": "atrophic", "scar_grade": 2 });
    staff.post_ok(&format!("/api/v1/patients/{id}/screenings"), &screening, StatusCode::CREATED).await;
    consent_on_paper(staff, &id).await;
    let session = json!({ "device": "Dermapen 4", "needle_depth_mm": 1.0, "areas": ["cheeks"] });
    staff.post_ok(&format!("/api/v1/patients/{id}/sessions"), &session, StatusCode::CREATED).await;
    id
}

/// A clinician records the patient's treatment consent, signed on paper, to the current text
/// (every session needs one).
pub async fn consent_on_paper(staff: &Api, patient_id: &str) {
    let (status, v) = staff.get(&format!("/api/v1/patients/{patient_id}/consents")).await;
    assert_eq!(status, StatusCode::OK, "consents: {v}");
    let version = v["statuses"][0]["text"]["version"].clone();
    let body = json!({ "kind": "treatment", "version": version, "typed_name": "Pat Paper", "confirm": true });
    staff.post_ok(&format!("/api/v1/patients/{patient_id}/consents"), &body, StatusCode::CREATED).await;
}

/// Invites the patient and opens the invite: the patient, logged in. Staff never see the link
/// (it is e-mailed to the patient): it is read from the outbox in the SQLite database `db`.
pub async fn patient_login(staff: &Api, patient_id: &str, db: &Path) -> Api {
    staff.post_ok(&format!("/api/v1/patients/{patient_id}/invites"), &json!({}), StatusCode::ACCEPTED).await;
    redeem(staff, &queued_invite_token(db, patient_id).await).await
}

/// [`patient_login`] on a PostgreSQL database (`url`).
pub async fn patient_login_postgres(staff: &Api, patient_id: &str, url: &str) -> Api {
    staff.post_ok(&format!("/api/v1/patients/{patient_id}/invites"), &json!({}), StatusCode::ACCEPTED).await;
    redeem(staff, &queued_invite_token_postgres(url, patient_id).await).await
}

async fn redeem(staff: &Api, token: &str) -> Api {
    let mut patient = Api::new(&staff.base);
    let (status, v) = patient.redeem_invite(token).await;
    assert_eq!(status, StatusCode::OK, "invite: {v}");
    patient
}

const LATEST_INVITE: &str =
    "SELECT payload FROM messages WHERE patient_id = $1 AND kind = 'sign_in' ORDER BY created_at DESC LIMIT 1";

/// The token of the latest invite e-mail queued to the patient (the patient's inbox, for a test).
pub async fn queued_invite_token(db: &Path, patient_id: &str) -> String {
    use sqlx::{ConnectOptions as _, Connection as _};
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .busy_timeout(std::time::Duration::from_secs(10))
        .connect()
        .await
        .expect("open the database");
    let id = uuid::Uuid::parse_str(patient_id).expect("patient id");
    let payload: String = sqlx::query_scalar(LATEST_INVITE)
        .bind(id)
        .fetch_one(&mut conn)
        .await
        .expect("an invite e-mail queued to the patient");
    let _ = conn.close().await;
    token_of(&serde_json::from_str(&payload).expect("payload"))
}

/// [`queued_invite_token`] on a PostgreSQL database (`url`).
pub async fn queued_invite_token_postgres(url: &str, patient_id: &str) -> String {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect to PostgreSQL");
    let id = uuid::Uuid::parse_str(patient_id).expect("patient id");
    let payload: Value =
        sqlx::query_scalar(LATEST_INVITE).bind(id).fetch_one(&mut conn).await.expect("an invite e-mail queued");
    let _ = conn.close().await;
    token_of(&payload)
}

fn token_of(payload: &Value) -> String {
    let link = payload["link"].as_str().expect("link");
    link.split("token=").nth(1).expect("the link holds its token").to_string()
}

/// `PRAGMA integrity_check` on a database file nobody else has open ("ok" when sound).
pub async fn integrity_check(path: &Path, read_only: bool) -> String {
    use sqlx::{ConnectOptions as _, Connection as _};
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(read_only)
        .create_if_missing(false)
        .connect()
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let rows: Vec<(String,)> =
        sqlx::query_as("PRAGMA integrity_check").fetch_all(&mut conn).await.expect("integrity_check");
    conn.close().await.expect("close");
    rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("; ")
}
