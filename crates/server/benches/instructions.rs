//! The workloads of the instruction-count regression gate (issue 16, item 6): 1,000 triage
//! calls, 1,000 renders of a patient's Today page and 1,000 check-ins, each in its own
//! function so that valgrind's callgrind can count it alone. `.ci/instructions.sh` runs this
//! program under callgrind and compares the counts with `.ci/instructions.ref`.
//!
//! Why instruction counts: a shared CI machine's noise (other jobs, frequency scaling, cache
//! neighbours) moves wall-clock times by tens of per cent, while the instructions a workload
//! executes barely move, so a 10 % rise means the code does more work.
//!
//! Everything runs in this one process, with nothing left to chance that can be fixed: a tokio
//! current-thread runtime, SQLite in a temporary directory, the router called in-process (no
//! socket, no accept loop, no background sweeper or outbox worker), the application layer's
//! clock standing still at a fixed instant (so Today, deadlines and schedules are the same on
//! every run, whatever the date), fixed request bodies. What stays random (UUIDv7 ids, session
//! tokens) changes a few hundred instructions in millions.
//!
//! Counting one part: each workload is one `#[inline(never)]` function, `measured_triage`,
//! `measured_today` and `measured_check_in`, which drives all of its rounds itself (the async
//! ones through `Runtime::block_on`). Callgrind is run with `--zero-before=<function>
//! --dump-after=<function>` for each: the costs are zeroed when it is entered and written out
//! when it returns, summed over all threads (the SQLite work happens on sqlx's connection
//! threads; `--toggle-collect` would count the calling thread only). The setup before them —
//! a clinic, a practitioner, a patient consented, screened, planned, three sessions and 20
//! check-ins — is not counted.
//!
//! Run natively (wall times only): `cargo bench -p needlepath-server --bench instructions`;
//! one workload: `… --bench instructions -- today`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::ConnectInfo;
use chrono::{DateTime, Duration, TimeZone, Utc};
use needlepath_core::Protocol;
use needlepath_core::request::CheckIn;
use needlepath_server::auth::secrets::{new_token, token_hash};
use needlepath_server::{App, ServerConfig};
use needlepath_store::{Actor, ClinicId, DatabaseUrl, Login, LoginKind, OpenOptions, Role, StaffId, Store, Who};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tower::ServiceExt as _;
use uuid::Uuid;

/// Rounds of each workload.
const ROUNDS: usize = 1_000;

/// The application layer's "now": a Wednesday, 11:00 in Berlin (within opening hours).
fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 10, 0, 0).unwrap()
}

/// A clock that stands still, so what the pages show and the check-ins decide does not depend
/// on the day the gate runs.
struct StillClock(DateTime<Utc>);

impl needlepath_server::clinic::Clock for StillClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// How a request authenticates.
enum Auth {
    None,
    Bearer(String),
    Cookie { cookie: String, csrf: String },
}

/// The service's router, called in-process as from loopback.
struct Client {
    router: axum::Router,
}

impl Client {
    async fn call(&self, method: &str, path: &str, auth: &Auth, body: Option<&Value>) -> (u16, bytes::Bytes) {
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
                Body::from(serde_json::to_vec(v).unwrap())
            }
            None => Body::empty(),
        };
        let mut req = req.body(body).unwrap();
        req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20).await.unwrap();
        (status, bytes)
    }

    /// A JSON call that must answer `want`.
    async fn expect(&self, method: &str, path: &str, auth: &Auth, body: Option<Value>, want: u16) -> Value {
        let (status, bytes) = self.call(method, path, auth, body.as_ref()).await;
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(status, want, "{method} {path}: {text}");
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }
}

fn uuid_of(v: &Value, field: &str) -> Uuid {
    Uuid::parse_str(v.pointer(field).and_then(Value::as_str).unwrap_or_else(|| panic!("no {field} in {v}"))).unwrap()
}

/// A login written to the store (as `needlepath seed` does): no password hashing in the setup.
async fn login(store: &Arc<dyn Store>, clinic: ClinicId, kind: LoginKind, principal: Uuid) -> Auth {
    let (token, csrf) = (new_token(), new_token());
    // Logins are checked against the system clock, so they are made from it.
    let now = Utc::now();
    let login = Login {
        token_hash: token_hash(&token),
        clinic,
        kind,
        principal,
        csrf_token: csrf.clone(),
        created_at: now,
        expires_at: now + Duration::days(30),
    };
    store.create_login(&login).await.unwrap();
    Auth::Cookie { cookie: format!("{}={token}", needlepath_server::auth::COOKIE), csrf }
}

/// The i-th check-in: the expected course, and every seventh a sign that opens an alert.
fn check_in(i: usize) -> Value {
    if i % 7 == 6 {
        json!({ "symptoms": [{ "code": "pus", "severity": "moderate" }], "note": format!("day {i}") })
    } else {
        let codes = ["redness", "swelling", "pain", "itching", "dryness", "flaking"];
        json!({ "symptoms": [
            { "code": codes[i % codes.len()], "severity": "mild", "trend": "improving" },
            { "code": codes[(i + 2) % codes.len()], "severity": "moderate" }
        ], "temperature_c": 36.8 })
    }
}

/// Ten symptoms, some expected, some not, one red flag among them (as in core's engine bench).
fn ten_symptom_check_in() -> Value {
    json!({
        "hours_since_treatment": 60,
        "symptoms": [
            {"code": "redness", "severity": "moderate", "trend": "same"},
            {"code": "swelling", "severity": "mild", "trend": "improving"},
            {"code": "pain", "severity": "moderate", "trend": "worse"},
            {"code": "dryness"},
            {"code": "flaking", "severity": "mild"},
            {"code": "itching", "trend": "same"},
            {"code": "bruising", "severity": "mild"},
            {"code": "breakout", "severity": "severe"},
            {"code": "tingling"},
            {"code": "blisters", "severity": "mild"}
        ],
        "temperature_c": 37.6,
        "findings": ["cold_sore_history", "atopic_dermatitis"]
    })
}

/// A clinic, a practitioner and a patient with a history (consented, screened, planned, three
/// sessions four weeks apart, 20 check-ins), through the API; returns the patient's login.
async fn patient_with_history(app: &Arc<App>, store: &Arc<dyn Store>, c: &Client) -> Auth {
    let link = needlepath_server::setup_link(app).await.unwrap().expect("a new database has a setup link");
    let token = link.split("token=").nth(1).expect("the setup link carries its token").to_string();
    let setup = json!({
        "token": token,
        "clinic": { "name": "Gate clinic", "time_zone": "Europe/Berlin" },
        "admin": { "email": "admin@gate.example", "name": "Gate Admin", "password": "correct horse battery staple" }
    });
    let body = c.expect("POST", "/api/v1/setup", &Auth::None, Some(setup), 201).await;
    let clinic = ClinicId(uuid_of(&body, "/clinic/id"));
    let admin = Actor { clinic, who: Who::Staff(StaffId(uuid_of(&body, "/admin/id")), Role::Admin), ip: None };
    let secret = new_token();
    store.create_api_token(&admin, "gate admin", Role::Admin, &token_hash(&secret)).await.unwrap();
    let admin_auth = Auth::Bearer(secret);
    let practitioner = json!({ "email": "practitioner@gate.example", "name": "Gate Practitioner", "role": "practitioner", "password": "correct horse battery staple" });
    let prac = c.expect("POST", "/api/v1/staff", &admin_auth, Some(practitioner), 201).await;
    let prac_id = uuid_of(&prac, "/id");
    let secret = new_token();
    store.create_api_token(&admin, "gate practitioner", Role::Practitioner, &token_hash(&secret)).await.unwrap();
    let staff = Auth::Bearer(secret);

    let p = c.expect("POST", "/api/v1/patients", &staff, Some(json!({ "name": "Robin Realistic" })), 201).await;
    let id = uuid_of(&p, "/id");
    let consents = c.expect("GET", &format!("/api/v1/patients/{id}/consents"), &staff, None, 200).await;
    let version = consents.pointer("/statuses/0/text/version").cloned().expect("a consent text");
    let sign = json!({ "kind": "treatment", "version": version, "typed_name": "Robin Realistic", "confirm": true });
    c.expect("POST", &format!("/api/v1/patients/{id}/consents"), &staff, Some(sign), 201).await;
    let screening = json!({ "concern": "acne_scars", "scar_type": "atrophic", "scar_grade": 2 });
    c.expect("POST", &format!("/api/v1/patients/{id}/screenings"), &staff, Some(screening), 201).await;
    let start = (fixed_now() - Duration::weeks(9)).date_naive();
    let plan = json!({ "concern": "acne_scars", "scar_grade": 2, "start": start.to_string() });
    c.expect("POST", &format!("/api/v1/patients/{id}/plans"), &staff, Some(plan), 201).await;
    for weeks_ago in [8, 4, 0] {
        let at = fixed_now() - Duration::weeks(weeks_ago) - Duration::hours(2);
        let body = json!({
            "device": "Dermapen 4", "needle_depth_mm": 1.0, "areas": ["cheeks"],
            "performed_at": at.to_rfc3339(), "practitioner_id": prac_id
        });
        c.expect("POST", &format!("/api/v1/patients/{id}/sessions"), &staff, Some(body), 201).await;
    }
    let me = login(store, clinic, LoginKind::Patient, id).await;
    for i in 0..20 {
        c.expect("POST", "/api/v1/me/check-ins", &me, Some(check_in(i)), 201).await;
    }
    me
}

/// 1,000 triages of a parsed 10-symptom check-in by the built-in protocol.
#[inline(never)]
fn measured_triage(protocol: &Protocol, check_in: &CheckIn) -> usize {
    let mut actions = 0;
    for _ in 0..ROUNDS {
        let result = needlepath_core::triage::triage(black_box(protocol), black_box(check_in));
        actions += black_box(result.disposition) as usize;
    }
    actions
}

/// 1,000 renders of the patient's Today page (`GET /me`), each read to its end.
#[inline(never)]
fn measured_today(rt: &Runtime, c: &Client, me: &Auth) -> usize {
    rt.block_on(async {
        let mut bytes = 0;
        for _ in 0..ROUNDS {
            let (status, body) = c.call("GET", "/me", me, None).await;
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            bytes += body.len();
        }
        bytes
    })
}

/// 1,000 check-ins through the JSON API (`POST /api/v1/me/check-ins`), one at a time.
#[inline(never)]
fn measured_check_in(rt: &Runtime, c: &Client, me: &Auth, bodies: &[Value]) -> usize {
    rt.block_on(async {
        let mut bytes = 0;
        for body in bodies {
            let (status, answer) = c.call("POST", "/api/v1/me/check-ins", me, Some(body)).await;
            assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
            bytes += answer.len();
        }
        bytes
    })
}

fn main() {
    // `cargo bench` passes `--bench`; the other arguments name the workloads to run (all when none).
    let chosen: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let runs = |name: &str| chosen.is_empty() || chosen.iter().any(|c| c == name);

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let protocol = Arc::new(Protocol::builtin().unwrap());
    let store = rt
        .block_on(needlepath_store::open(
            &DatabaseUrl::Sqlite(dir.path().join("needlepath.db")),
            OpenOptions { create: true, ..OpenOptions::default() },
        ))
        .unwrap();
    let config = ServerConfig {
        check_ins_per_patient_per_hour: u32::MAX,
        access_log: false,
        photos_dir: Some(dir.path().join("photos")),
        ..ServerConfig::default()
    };
    let app = App::with_clock(store.clone(), protocol.clone(), config, Arc::new(StillClock(fixed_now())));
    let c = Client { router: needlepath_server::router(app.clone()) };
    let me = rt.block_on(patient_with_history(&app, &store, &c));

    if runs("triage") {
        let parsed = CheckIn::from_json(&ten_symptom_check_in()).unwrap();
        let started = Instant::now();
        let n = measured_triage(&protocol, &parsed);
        println!("triage: {ROUNDS} rounds in {:.3} s ({n})", started.elapsed().as_secs_f64());
    }
    if runs("today") {
        let started = Instant::now();
        let bytes = measured_today(&rt, &c, &me);
        println!(
            "today: {ROUNDS} rounds in {:.3} s ({} bytes a page)",
            started.elapsed().as_secs_f64(),
            bytes / ROUNDS
        );
    }
    if runs("check_in") {
        let bodies: Vec<Value> = (20..20 + ROUNDS).map(check_in).collect();
        let started = Instant::now();
        let bytes = measured_check_in(&rt, &c, &me, &bodies);
        println!(
            "check_in: {ROUNDS} rounds in {:.3} s ({} bytes an answer)",
            started.elapsed().as_secs_f64(),
            bytes / ROUNDS
        );
    }
}
