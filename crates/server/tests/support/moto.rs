//! A local S3 emulator for the photo-store tests: moto's server (`moto[server]` from PyPI, in
//! `tests/python/requirements.txt`), started on a free port for one test and stopped when the
//! test ends. The interpreter is `NEEDLEPATH_PYTHON`, else the workspace's `.venv`. Without moto
//! a test prints why and passes locally, but fails when `CI` is set or
//! `NEEDLEPATH_REQUIRE_PYTHON=1`, so CI never skips it.
//!
//! Shared by the server's and the command line's tests (`#[path]`), so it uses no crate of
//! this workspace.

#![allow(dead_code, clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The credentials the emulator is given (it accepts any).
pub const ACCESS_KEY_ID: &str = "needlepath-test-key";
pub const SECRET_ACCESS_KEY: &str = "needlepath-test-secret";
pub const REGION: &str = "us-east-1";

/// A running emulator, stopped when dropped.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python() -> PathBuf {
    std::env::var_os("NEEDLEPATH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"))
}

impl Moto {
    /// Starts the emulator and waits until it answers; `None` (after saying why) when moto is
    /// not installed and the test may be skipped.
    pub fn start() -> Option<Self> {
        let python = python();
        let usable = Command::new(&python)
            .args(["-c", "import moto.server, flask, flask_cors"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !usable {
            let required =
                std::env::var_os("CI").is_some() || std::env::var("NEEDLEPATH_REQUIRE_PYTHON").is_ok_and(|v| v == "1");
            let why = format!(
                "no Python with moto[server] at {} (install it: .venv/bin/pip install -r crates/server/tests/python/requirements.txt)",
                python.display()
            );
            if required {
                panic!("{why}");
            }
            eprintln!("skipped: {why}");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto's server");
        let moto = Self { child, endpoint: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto's server did not listen on port {port} within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    /// Creates `bucket` (moto takes the request unsigned).
    pub async fn create_bucket(&self, bucket: &str) {
        let r = reqwest::Client::new().put(format!("{}/{bucket}", self.endpoint)).send().await.unwrap();
        assert!(r.status().is_success(), "create bucket {bucket}: {}", r.status());
    }

    /// The key of every object in `bucket`, sorted (an unsigned listing; only its `<Key>`
    /// elements are read).
    pub async fn keys(&self, bucket: &str) -> Vec<String> {
        let r = reqwest::Client::new().get(format!("{}/{bucket}?list-type=2", self.endpoint)).send().await.unwrap();
        let text = r.text().await.unwrap();
        let mut keys: Vec<String> = text
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(k, _)| k.to_string()))
            .collect();
        keys.sort();
        keys
    }
}
