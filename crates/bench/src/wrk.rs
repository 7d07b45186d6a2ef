//! Maximum throughput with `wrk` (closed loop: each connection sends its next request as soon as
//! the answer arrives), one thread pinned to CPU 1.
//!
//! A Lua script per run: a single request goes in `wrk.method/path/headers/body` (wrk formats it
//! once — no Lua per request, so wrk stays faster than the baseline); several (the writers'
//! POSTs) are formatted once in `init` and taken in turn by `request`. `done` prints one line of
//! JSON with the counts and the 50/99/99.9th percentiles, which is what is read here.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::http::Req;
use crate::servers::{Server, run_sampling};

/// Installs wrk with apt-get when it is missing.
pub fn ensure_installed() -> anyhow::Result<()> {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    eprintln!("bench: wrk is missing; apt-get install -y wrk");
    let status = Command::new("apt-get")
        .args(["install", "-y", "wrk"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("wrk is missing and apt-get could not be run to install it")?;
    if !status.success() {
        bail!("wrk is missing and `apt-get install -y wrk` failed ({status}); install wrk and run again");
    }
    Command::new("wrk").arg("--version").output().context("wrk was installed but cannot be run")?;
    Ok(())
}

/// What one wrk run measured.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WrkResult {
    pub requests: u64,
    pub rps: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    /// Socket errors: connect, read, write, timeout.
    pub socket_errors: u64,
    /// Answers with a status of 400 or more (wrk's "Non-2xx or 3xx responses").
    pub non2xx: u64,
    /// The server's highest resident memory sampled during the run, bytes.
    pub peak_rss: u64,
}

impl WrkResult {
    pub fn errors(&self) -> u64 {
        self.socket_errors + self.non2xx
    }
}

#[derive(Deserialize)]
struct Done {
    requests: u64,
    duration_us: f64,
    connect: u64,
    read: u64,
    write: u64,
    status: u64,
    timeout: u64,
    p50: f64,
    p99: f64,
    p999: f64,
}

/// Loads `addr` with `reqs` (taken in turn) for `seconds` over `connections` connections.
pub fn run(
    addr: SocketAddr,
    what: &str,
    reqs: &[Req],
    connections: u32,
    seconds: u64,
    dir: &Path,
    server: Option<&Server>,
) -> anyhow::Result<WrkResult> {
    let script = dir.join("bench.lua");
    std::fs::write(&script, lua(reqs)).with_context(|| format!("write {}", script.display()))?;
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "1", "wrk", "-t1"])
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .args(["--timeout", "10s", "--latency", "-s"])
        .arg(&script)
        .arg(format!("http://{addr}"));
    let (out, peak_rss) = run_sampling(cmd, what, server).with_context(|| format!("wrk on {what}"))?;
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("BENCHJSON "))
        .with_context(|| format!("wrk on {what} printed no result line: {out}"))?;
    let d: Done = serde_json::from_str(line).with_context(|| format!("wrk's result line for {what}: {line}"))?;
    let secs = (d.duration_us / 1e6).max(1e-9);
    Ok(WrkResult {
        requests: d.requests,
        rps: d.requests as f64 / secs,
        p50_us: d.p50,
        p99_us: d.p99,
        p999_us: d.p999,
        socket_errors: d.connect + d.read + d.write + d.timeout,
        non2xx: d.status,
        peak_rss,
    })
}

/// A Lua string literal holding `s` (every byte outside printable ASCII escaped as `\ddd`).
fn lua_str(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

fn lua_headers(r: &Req) -> String {
    let pairs: Vec<String> = r.headers.iter().map(|(k, v)| format!("[{}] = {}", lua_str(k), lua_str(v))).collect();
    format!("{{ {} }}", pairs.join(", "))
}

fn lua(reqs: &[Req]) -> String {
    let mut s = String::new();
    match reqs {
        [one] => {
            s.push_str(&format!("wrk.method = {}\nwrk.path = {}\n", lua_str(&one.method), lua_str(&one.path)));
            for (k, v) in &one.headers {
                s.push_str(&format!("wrk.headers[{}] = {}\n", lua_str(k), lua_str(v)));
            }
            if let Some(b) = &one.body {
                s.push_str(&format!("wrk.body = {}\n", lua_str(b)));
            }
        }
        many => {
            s.push_str("local reqs = {}\nlocal n = 0\nlocal i = 0\nfunction init(args)\n");
            for r in many {
                let body = r.body.as_deref().map_or_else(|| "nil".to_string(), lua_str);
                s.push_str(&format!(
                    "  n = n + 1\n  reqs[n] = wrk.format({}, {}, {}, {})\n",
                    lua_str(&r.method),
                    lua_str(&r.path),
                    lua_headers(r),
                    body
                ));
            }
            s.push_str("end\nfunction request()\n  i = i % n + 1\n  return reqs[i]\nend\n");
        }
    }
    s.push_str(
        r#"function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests":%d,"duration_us":%.0f,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%.0f,"p99":%.0f,"p999":%.0f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end
"#,
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lua_strings_escape_quotes_and_control_bytes() {
        assert_eq!(lua_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\010\"");
    }

    #[test]
    fn several_requests_are_formatted_once_and_taken_in_turn() {
        let r = Req::get("/x").header("cookie", "np_session=1");
        let s = lua(&[r.clone(), r]);
        assert!(s.contains("function init") && s.contains("function request"), "{s}");
        let s = lua(&[Req::get("/healthz")]);
        assert!(!s.contains("function request"), "{s}");
    }
}
