//! A real SMTP server for tests: `tests/python/smtp_sink.py` (aiosmtpd) as a child process,
//! with the messages it accepted read back as Python's `email` package parsed them.

#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use needlepath_server::delivery::{SmtpConfig, SmtpSecurity};
use serde_json::Value;

/// A running `smtp_sink.py`, killed when dropped.
pub struct Sink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sink {
    pub fn start(py: &Path, args: &[&str]) -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(py)
            .arg(crate::python::scripts().join("smtp_sink.py"))
            .arg("--dir")
            .arg(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("LISTENING ").and_then(|p| p.parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            panic!("smtp_sink.py did not start: {line:?}");
        };
        Sink { child, port, dir }
    }

    /// The messages stored so far, in order.
    pub fn received(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files.iter().map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()).collect()
    }

    pub fn config(&self, security: SmtpSecurity) -> SmtpConfig {
        SmtpConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            security,
            from: "Rivière Clinic <reminders@clinic.example>".into(),
            timeout_seconds: 5,
            ..Default::default()
        }
    }
}

/// Test certificates from `make_certs.py`: `ca.pem`, `server.pem`, `server.key`.
pub fn certs(py: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(py).arg(crate::python::scripts().join("make_certs.py")).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "make_certs.py: {}", String::from_utf8_lossy(&out.stderr));
    dir
}

pub fn tls_args(certs: &Path, mode: &str) -> Vec<String> {
    vec![
        mode.to_string(),
        "--cert".into(),
        certs.join("server.pem").display().to_string(),
        "--key".into(),
        certs.join("server.key").display().to_string(),
    ]
}
