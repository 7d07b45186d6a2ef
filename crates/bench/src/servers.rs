//! The servers under load: building needlepath, fresh databases, starting a server pinned to
//! CPU 0 (`taskset -c 0`), waiting for `/healthz` (the cold start), reading its memory from
//! `/proc/PID/status`, and stopping it.
//!
//! `taskset` execs the server, so the child's PID is the server's and its `/proc` entry is the
//! server's own memory.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::http::{self, Req};

/// The workspace root and the target directory cargo builds into.
pub struct Workspace {
    pub root: PathBuf,
    pub target: PathBuf,
}

pub fn workspace() -> anyhow::Result<Workspace> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .context("the workspace root (two levels above crates/bench)")?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(Workspace { root, target })
}

/// `cargo build --release -p needlepath` in the workspace root; the path of the binary.
pub fn build_needlepath(ws: &Workspace) -> anyhow::Result<PathBuf> {
    eprintln!("bench: cargo build --release -p needlepath");
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // `cargo run` sets the bench package's own variables for it; a build script (ring's) reruns
    // when CARGO_MANIFEST_DIR changes, which would rebuild needlepath (minutes, with LTO) each
    // time `bench` and a plain `cargo build` alternate. The nested build gets them unset.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO_PKG_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
            ]
            .contains(&key.as_str())
        {
            cargo.env_remove(&key);
        }
    }
    let status = cargo
        .args(["build", "--release", "-p", "needlepath"])
        .current_dir(&ws.root)
        .env("CARGO_TARGET_DIR", &ws.target)
        .status()
        .context("run cargo build --release -p needlepath")?;
    if !status.success() {
        bail!("cargo build --release -p needlepath failed ({status})");
    }
    let bin = ws.target.join("release/needlepath");
    if !bin.is_file() {
        bail!("cargo built needlepath but {} is missing", bin.display());
    }
    Ok(bin)
}

/// A port free right now on 127.0.0.1 (the OS picks it; the server binds it a moment later).
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").context("find a free port")?;
    Ok(l.local_addr()?)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A fresh, empty database named `name`: a new SQLite file in `dir`, or a dropped and
/// re-created PostgreSQL database on `postgres` (`postgres://USER@HOST:PORT`). Its URL.
pub fn fresh_database(backend: Backend, dir: &Path, postgres: &str, name: &str) -> anyhow::Result<String> {
    match backend {
        Backend::Sqlite => {
            let file = dir.join(format!("{name}.db"));
            let _ = std::fs::remove_file(&file);
            Ok(format!("sqlite://{}", file.display()))
        }
        Backend::Postgres => {
            let (user, host, port) = parse_postgres(postgres)?;
            let out = Command::new("psql")
                .args(["-h", &host, "-p", &port, "-U", &user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q"])
                .args(["-c", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")])
                .args(["-c", &format!("CREATE DATABASE {name}")])
                .output()
                .context("run psql (is the postgresql-client package installed?)")?;
            if !out.status.success() {
                bail!(
                    "PostgreSQL at {postgres} is not reachable or refused to create database {name}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            Ok(format!("{}/{name}", postgres.trim_end_matches('/')))
        }
    }
}

/// `postgres://USER@HOST:PORT` → (user, host, port).
fn parse_postgres(url: &str) -> anyhow::Result<(String, String, String)> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .with_context(|| format!("--postgres {url}: expected postgres://USER@HOST:PORT"))?;
    let rest = rest.trim_end_matches('/');
    let (user, hostport) = rest.split_once('@').unwrap_or(("postgres", rest));
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    Ok((user.to_string(), host.to_string(), port.to_string()))
}

/// A server started by the harness, pinned to CPU 0; killed when dropped.
pub struct Server {
    child: Child,
    pub name: String,
    pub addr: SocketAddr,
    pub log: PathBuf,
    /// From spawning the process to its first `200` on the readiness path.
    pub cold_start: Duration,
}

impl Server {
    /// Starts `program args` pinned to CPU 0 with `envs`, output to `log`, and waits (up to
    /// 60 s) for `ready_path` to answer 200.
    pub fn start(
        name: &str,
        program: &Path,
        args: &[&str],
        envs: &[(String, String)],
        addr: SocketAddr,
        ready_path: &str,
        log: &Path,
    ) -> anyhow::Result<Server> {
        let out = std::fs::File::create(log).with_context(|| format!("create {}", log.display()))?;
        let err = out.try_clone()?;
        let started = Instant::now();
        let child = Command::new("taskset")
            .args(["-c", "0"])
            .arg(program)
            .args(args)
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("start {name}: taskset -c 0 {}", program.display()))?;
        let mut server = Server { child, name: name.into(), addr, log: log.to_path_buf(), cold_start: Duration::ZERO };
        let deadline = started + Duration::from_secs(60);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!("{name} exited before it was ready ({status}); its output:\n{}", server.log_tail(30));
            }
            if let Ok(r) = http::send(addr, &Req::get(ready_path), Duration::from_secs(2))
                && r.status == 200
            {
                server.cold_start = started.elapsed();
                return Ok(server);
            }
            if Instant::now() > deadline {
                bail!("{name} did not answer 200 on {ready_path} within 60 s; its output:\n{}", server.log_tail(30));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now (`VmRSS`), bytes.
    pub fn rss(&self) -> u64 {
        proc_status_kb(self.pid(), "VmRSS:") * 1024
    }

    /// Resident memory now that is the process's own (`RssAnon`), bytes: VmRSS also counts the
    /// pages of files it maps, such as SQLite's database file with mmap on.
    pub fn rss_anon(&self) -> u64 {
        proc_status_kb(self.pid(), "RssAnon:") * 1024
    }

    /// Peak resident memory since start (`VmHWM`), bytes.
    pub fn peak_rss(&self) -> u64 {
        proc_status_kb(self.pid(), "VmHWM:") * 1024
    }

    /// Fails, with the exit status and the end of its output, when the server has exited (a
    /// crash under load would otherwise show as a run of refused connections).
    pub fn check_alive(&mut self, during: &str) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited during {during} ({status}); its output ends:\n{}", self.name, self.log_tail(40));
        }
        Ok(())
    }

    /// The last `n` lines of the server's output.
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Whether the server's output has a line containing every one of `words`.
    pub fn log_has(&self, words: &[&str]) -> bool {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().any(|l| words.iter().all(|w| l.contains(w)))
    }

    /// SIGTERM, then up to 15 s for a graceful exit, then SIGKILL.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("bench: {} did not stop within 15 s of SIGTERM; killed", self.name);
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A `kB` field of `/proc/PID/status`, 0 when unreadable (the process has gone).
pub fn proc_status_kb(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Runs `cmd` pinned to CPU 1 (the load generator's CPU) until it exits, sampling the server's
/// resident memory every 100 ms; the output and the highest sample (bytes).
pub fn run_sampling(mut cmd: Command, what: &str, server: Option<&Server>) -> anyhow::Result<(String, u64)> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("start the load generator for {what}"))?;
    let mut peak = 0;
    let stdout = child.stdout.take().context("the load generator's output")?;
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    loop {
        if let Some(s) = server {
            peak = peak.max(s.rss());
        }
        if child.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = child.wait()?;
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        let err = child.stderr.take().map(|e| std::io::read_to_string(e).unwrap_or_default()).unwrap_or_default();
        bail!("the load generator for {what} failed ({status}): {}", err.trim());
    }
    Ok((out, peak))
}
