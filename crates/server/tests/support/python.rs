//! The Python interpreter that runs the independent counterparts of the tests (an SMTP server
//! from `aiosmtpd`, the `icalendar` parser, test certificates from `trustme`, the `Pillow`
//! image library that writes photos with metadata and reads what the service stored). `.ci/run` makes a
//! virtualenv at `.venv/` with `tests/python/requirements.txt`;
//! `NEEDLEPATH_PYTHON` names another interpreter. Without one a test prints why and passes
//! locally, but fails when `CI` is set or `NEEDLEPATH_REQUIRE_PYTHON=1`, so CI never skips it.

#![allow(dead_code, clippy::panic)]

use std::path::PathBuf;

/// The interpreter to use, or `None` (after saying so) when the test may be skipped.
pub fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("NEEDLEPATH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"));
    let usable = std::process::Command::new(&candidate)
        .args(["-c", "import aiosmtpd, icalendar, trustme, PIL"])
        .output()
        .is_ok_and(|o| o.status.success());
    if usable {
        return Some(candidate);
    }
    let required =
        std::env::var_os("CI").is_some() || std::env::var("NEEDLEPATH_REQUIRE_PYTHON").is_ok_and(|v| v == "1");
    let why = format!(
        "no Python with aiosmtpd, icalendar, trustme and Pillow at {} (make one: python3 -m venv .venv && .venv/bin/pip install -r crates/server/tests/python/requirements.txt)",
        candidate.display()
    );
    if required {
        panic!("{why}");
    }
    eprintln!("skipped: {why}");
    None
}

/// The directory of the Python scripts the tests run.
pub fn scripts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}
