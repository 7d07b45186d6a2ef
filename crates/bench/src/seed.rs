//! The data the loads read and write: `needlepath seed` fills a fresh database before `serve`
//! and writes who may do what (tokens, session cookies, CSRF tokens) into a JSON file, which is
//! read here into typed structs.
//!
//! The file's shape is `needlepath seed`'s contract:
//! `{ clinic_id, staff: {admin_token, practitioner_token, practitioner_cookie,
//! practitioner_csrf}, new_patient, heavy_patient, writers: [{id, cookie, csrf}] }`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Seed {
    // Read to hold the file to the contract; the loads use the cookies and CSRF tokens.
    #[allow(dead_code)]
    pub clinic_id: String,
    pub staff: Staff,
    /// Screened, planned, one session, a couple of check-ins.
    pub new_patient: Patient,
    /// 1,000 check-ins and 50 sessions.
    pub heavy_patient: Patient,
    /// Patients for concurrent writers (256).
    pub writers: Vec<Patient>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Staff {
    #[allow(dead_code)]
    pub admin_token: String,
    #[allow(dead_code)]
    pub practitioner_token: String,
    /// `np_session=…`, for the `Cookie` header.
    pub practitioner_cookie: String,
    #[allow(dead_code)]
    pub practitioner_csrf: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Patient {
    pub id: String,
    /// `np_session=…`, for the `Cookie` header.
    pub cookie: String,
    /// For `x-csrf-token` on a POST with the cookie.
    pub csrf: String,
}

/// Runs `needlepath seed --patients N --out FILE` against the database in `envs`, and reads
/// the file; with how long seeding took.
pub fn run(bin: &Path, envs: &[(String, String)], patients: u32, out: &Path) -> anyhow::Result<(Seed, Duration)> {
    eprintln!("bench: needlepath seed --patients {patients}");
    let started = Instant::now();
    let output = Command::new(bin)
        .args(["seed", "--patients", &patients.to_string(), "--out"])
        .arg(out)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .output()
        .context("run needlepath seed")?;
    let took = started.elapsed();
    if !output.status.success() {
        bail!(
            "needlepath seed --patients {patients} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = std::fs::read_to_string(out).with_context(|| format!("read the seed file {}", out.display()))?;
    let seed: Seed = serde_json::from_str(&text)
        .with_context(|| format!("the seed file {} does not match seed's contract", out.display()))?;
    if seed.writers.is_empty() {
        bail!("the seed file {} lists no writers", out.display());
    }
    Ok((seed, took))
}
