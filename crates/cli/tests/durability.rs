#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The durability proof: a check-in the service acknowledged (answered 2xx) survives the
//! process being killed outright (SIGKILL, no shutdown of any kind) while other check-ins are in
//! flight, and the database stays sound.
//!
//! The real binary serves a SQLite file. Several invited patients check in from many concurrent
//! tasks; after a pseudo-random delay the process is killed mid-load. The test then checks the
//! database left behind by the crash (a copy, so the service does its own recovery), restarts
//! the service on the same file (without `--create-database`: it must find it), and asks, through
//! the patients' sessions from before the crash, for their check-ins. Every acknowledged one
//! must be there with the note it was sent with; the only check-ins present without an
//! acknowledgement must be at most as many as the requests that got no answer; nothing is
//! duplicated. After the last round the service is stopped and `PRAGMA integrity_check` runs
//! read-only on the file.

mod service;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::{Method, StatusCode};
use serde_json::json;
use service::{
    Api, ServerProcess, add_treated_patient, integrity_check, load_test_config, patient_login, set_up_clinic,
    sqlite_url,
};

const PATIENTS: usize = 4;
const TASKS: usize = 12;
const MIN_ROUNDS: usize = 3;
const MAX_ROUNDS: usize = 5;
/// Rounds after `MIN_ROUNDS` start only while the test is younger than this.
const ROUND_DEADLINE: Duration = Duration::from_secs(35);

/// A small xorshift generator: the delays vary from run to run, and the seed is printed so a
/// failing run can be told apart.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// What one load task saw.
#[derive(Default)]
struct TaskReport {
    patient: usize,
    /// (check-in id, note) of every 2xx answer.
    acked: Vec<(String, String)>,
    /// Requests that got no answer (the kill).
    unanswered: usize,
    /// Transport failures before the kill: the service failed under load.
    early_failures: Vec<String>,
    /// Answers other than 2xx.
    refused: Vec<String>,
}

async fn load(
    api: Api,
    patient: usize,
    label: String,
    stop: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
) -> TaskReport {
    let mut report = TaskReport { patient, ..TaskReport::default() };
    let mut seq = 0;
    while !stop.load(Ordering::SeqCst) {
        seq += 1;
        let note = format!("{label} #{seq}");
        let body = json!({ "symptoms": [{ "code": "redness", "severity": "mild" }], "note": note });
        in_flight.fetch_add(1, Ordering::SeqCst);
        let result = api.send(Method::POST, "/api/v1/me/check-ins", Some(&body)).await;
        let stopped = stop.load(Ordering::SeqCst);
        match result {
            Ok((status, v)) if status.is_success() => {
                let id = v["check_in"]["id"].as_str().unwrap_or_else(|| panic!("no check_in.id in {v}")).to_string();
                report.acked.push((id, note));
            }
            Ok((status, v)) => report.refused.push(format!("{status}: {v}")),
            Err(_) if stopped => report.unanswered += 1,
            Err(e) => report.early_failures.push(e.to_string()),
        }
        in_flight.fetch_sub(1, Ordering::SeqCst);
        if !report.early_failures.is_empty() || report.unanswered > 0 {
            break;
        }
    }
    report
}

/// Copies the database as the crash left it (main file and write-ahead log) and checks the
/// copy, so the service's own recovery on restart is what gets tested next.
async fn check_crashed_copy(db: &Path, scratch: &Path, round: usize) -> String {
    let dir = scratch.join(format!("crash-{round}"));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("np.db");
    std::fs::copy(db, &copy).unwrap();
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    if Path::new(&wal).exists() {
        std::fs::copy(&wal, dir.join("np.db-wal")).unwrap();
    }
    integrity_check(&copy, false).await
}

/// Every submitted check-in of each patient, id → note, through the patients' own sessions.
async fn submitted(patients: &[Api]) -> Vec<HashMap<String, String>> {
    let mut out = Vec::new();
    for (i, p) in patients.iter().enumerate() {
        // The list is paged (issue 16): every page, 200 at a time, until a short one.
        let mut seen = HashMap::new();
        for page in 0.. {
            let (status, v) = p.get(&format!("/api/v1/me/check-ins?limit=200&offset={}", page * 200)).await;
            assert_eq!(status, StatusCode::OK, "patient {i} lists their check-ins after the restart: {v}");
            let list = v["check_ins"].as_array().expect("check_ins");
            for c in list {
                if c["submitted_at"].is_null() {
                    continue;
                }
                let id = c["id"].as_str().expect("id").to_string();
                let note = c["note"].as_str().unwrap_or_default().to_string();
                assert!(seen.insert(id.clone(), note).is_none(), "check-in {id} listed twice");
            }
            if list.len() < 200 {
                break;
            }
        }
        out.push(seen);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_check_ins_survive_sigkill_mid_load() {
    let started = Instant::now();
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    let mut rng = Rng(seed);
    eprintln!("durability: seed {seed}");

    let dir = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let db = dir.path().join("np.db");
    let url = sqlite_url(&db);
    let config = load_test_config(dir.path());
    let mut server =
        ServerProcess::start(dir.path(), &["--database-url", &url, "--create-database", "--config", &config]).await;
    let staff = set_up_clinic(&mut server).await;
    let mut patients = Vec::new();
    for i in 0..PATIENTS {
        let id = add_treated_patient(&staff, &format!("Durable Patient {i}")).await;
        patients.push(patient_login(&staff, &id, &db).await);
    }

    // Every check-in acknowledged so far, per patient: id → note.
    let mut acked: Vec<HashMap<String, String>> = vec![HashMap::new(); PATIENTS];
    let mut present_before = 0usize;
    let mut total_in_flight = 0usize;
    let mut rounds = 0;
    for round in 1..=MAX_ROUNDS {
        if round > MIN_ROUNDS && started.elapsed() > ROUND_DEADLINE {
            break;
        }
        rounds = round;
        let stop = Arc::new(AtomicBool::new(false));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for t in 0..TASKS {
            let p = t % PATIENTS;
            let label = format!("round {round} task {t}");
            tasks.push(tokio::spawn(load(patients[p].clone(), p, label, stop.clone(), in_flight.clone())));
        }
        let delay = Duration::from_millis(200 + rng.next() % 401);
        tokio::time::sleep(delay).await;
        stop.store(true, Ordering::SeqCst);
        let at_kill = in_flight.load(Ordering::SeqCst);
        server.kill().await;
        total_in_flight += at_kill;

        let mut round_acked = 0;
        let mut unanswered = 0;
        for task in tasks {
            let r = tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("a load task ends once the server is gone")
                .expect("load task");
            assert!(
                r.early_failures.is_empty(),
                "round {round}: requests failed before the kill: {:?}",
                r.early_failures
            );
            assert!(r.refused.is_empty(), "round {round}: check-ins refused under load: {:?}", r.refused);
            round_acked += r.acked.len();
            unanswered += r.unanswered;
            for (id, note) in r.acked {
                assert!(acked[r.patient].insert(id.clone(), note).is_none(), "check-in id {id} acknowledged twice");
            }
        }
        assert!(round_acked > 0, "round {round}: nothing was acknowledged in {delay:?}");

        let crashed = check_crashed_copy(&db, scratch.path(), round).await;
        assert_eq!(crashed, "ok", "round {round}: the database as the crash left it fails its integrity check");

        // The file exists now: no --create-database.
        server.restart(&["--database-url", &url, "--config", &config]).await;
        patients = patients.iter().map(Api::reconnect).collect();
        let found = submitted(&patients).await;
        let mut missing = Vec::new();
        for (p, ids) in acked.iter().enumerate() {
            for (id, note) in ids {
                match found[p].get(id) {
                    Some(n) => assert_eq!(n, note, "check-in {id} came back with another note"),
                    None => missing.push(id.clone()),
                }
            }
        }
        let present: usize = found.iter().map(HashMap::len).sum();
        let acked_total: usize = acked.iter().map(HashMap::len).sum();
        let unacknowledged = present - acked_total.min(present);
        let new_unacknowledged = present.saturating_sub(present_before + round_acked);
        eprintln!(
            "durability: round {round}: killed after {} ms with {at_kill} in flight; acknowledged {round_acked} \
             (total {acked_total}); unanswered {unanswered}; present after restart {present} \
             (committed without acknowledgement: {new_unacknowledged} this round, {unacknowledged} in all); missing {}",
            delay.as_millis(),
            missing.len()
        );
        assert!(missing.is_empty(), "round {round}: acknowledged check-ins lost by the crash: {missing:?}");
        assert!(
            new_unacknowledged <= unanswered,
            "round {round}: {new_unacknowledged} check-ins appeared that were neither acknowledged nor in flight \
             ({unanswered} unanswered)"
        );
        present_before = present;
    }
    assert!(total_in_flight > 0, "no kill in {rounds} rounds hit a request in flight; the proof proved nothing");

    // The staff side sees the same, through the staff session from before every crash.
    let staff = staff.reconnect();
    let (status, v) = staff.get("/api/v1/patients").await;
    assert_eq!(status, StatusCode::OK, "{v}");

    let status = server.terminate().await;
    assert!(status.success(), "the last server stops cleanly: {status:?}\n{}", server.stderr_text());
    assert_eq!(integrity_check(&db, true).await, "ok", "integrity of the database after the last stop");
    eprintln!("durability: {rounds} rounds in {:.1} s", started.elapsed().as_secs_f64());
    assert!(started.elapsed() < Duration::from_secs(60), "the proof took {:?}", started.elapsed());
}
