//! What `all` and `one` run, in order: build, wrk, the baseline, then per backend a cold start
//! on an empty database, seeding, every target at maximum throughput, the mixed load at fixed
//! rates, and on SQLite the commit modes and the log formats; then the report.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::Context;

use crate::http::{self, Req};
use crate::openloop::{Mode, Outcome, Spec};
use crate::report::{self, BackendReport, Mix, Report, Row, Variant};
use crate::seed::{self, Seed};
use crate::servers::{self, Backend, Server};
use crate::targets::{self, Target};
use crate::wrk::{self, WrkResult};
use crate::{BackendChoice, Options};

/// The database every run seeds and loads (PostgreSQL); the empty one is for the cold start.
const DB: &str = "needlepath_bench";
const DB_EMPTY: &str = "needlepath_bench_empty";

/// The most connections the open-loop generator opens (it waits for one beyond that).
const OPEN_MAX_CONNECTIONS: usize = 1024;

struct Ctx {
    opts: Options,
    ws: servers::Workspace,
    needlepath: PathBuf,
    me: PathBuf,
    dir: tempfile::TempDir,
}

impl Ctx {
    fn prepare(opts: &Options) -> anyhow::Result<Ctx> {
        wrk::ensure_installed()?;
        if opts.backend != BackendChoice::Sqlite {
            check_postgres(&opts.postgres)?;
        }
        let ws = servers::workspace()?;
        let needlepath = servers::build_needlepath(&ws)?;
        let me = std::env::current_exe().context("the bench binary's own path")?;
        let dir = tempfile::Builder::new().prefix("needlepath-bench-").tempdir().context("a temporary directory")?;
        Ok(Ctx { opts: opts.clone(), ws, needlepath, me, dir })
    }

    fn backends(&self) -> Vec<Backend> {
        match self.opts.backend {
            BackendChoice::Sqlite => vec![Backend::Sqlite],
            BackendChoice::Postgres => vec![Backend::Postgres],
            BackendChoice::Both => vec![Backend::Sqlite, Backend::Postgres],
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The bare hyper server's maximum, `GET /` with wrk.
    fn baseline(&self) -> anyhow::Result<WrkResult> {
        let addr = servers::free_addr()?;
        let server = Server::start(
            "the baseline",
            &self.me,
            &["baseline", "--listen", &addr.to_string()],
            &[],
            addr,
            "/",
            &self.path("baseline.log"),
        )?;
        eprintln!("bench: baseline (bare hyper) on {addr}");
        let r = wrk::run(
            addr,
            "the baseline",
            &[Req::get("/")],
            self.opts.connections,
            self.opts.seconds,
            self.dir.path(),
            Some(&server),
        )?;
        eprintln!("bench:   baseline {:.0} req/s", r.rps);
        server.stop()?;
        Ok(r)
    }

    /// needlepath's environment: the database, the address, the check-in limit lifted (the
    /// loads measure throughput, not the limit), photos in the temporary directory.
    fn env(&self, url: &str, addr: SocketAddr, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = vec![
            ("NEEDLEPATH_DATABASE_URL".into(), url.into()),
            ("NEEDLEPATH_CREATE_DATABASE".into(), "true".into()),
            ("NEEDLEPATH_LISTEN".into(), addr.to_string()),
            ("NEEDLEPATH_CHECK_INS_PER_PATIENT_PER_HOUR".into(), u32::MAX.to_string()),
            ("NEEDLEPATH_LOG_FORMAT".into(), "text".into()),
            ("NEEDLEPATH_PHOTOS_DIR".into(), self.path("photos").display().to_string()),
        ];
        for (k, v) in extra {
            env.retain(|(key, _)| key != k);
            env.push(((*k).into(), (*v).into()));
        }
        env
    }

    fn start(&self, backend: Backend, url: &str, extra: &[(&str, &str)], tag: &str) -> anyhow::Result<Server> {
        let addr = servers::free_addr()?;
        let name = format!("needlepath on {} ({tag})", backend.name());
        Server::start(
            &name,
            &self.needlepath,
            &["serve"],
            &self.env(url, addr, extra),
            addr,
            "/healthz",
            &self.path(&format!("{tag}.log")),
        )
    }

    /// A fresh database seeded by `needlepath seed`.
    fn seeded(&self, backend: Backend) -> anyhow::Result<(String, Seed, Duration)> {
        let url =
            servers::fresh_database(backend, self.dir.path(), &self.opts.postgres, &format!("{DB}_{}", tag(backend)))?;
        let addr = servers::free_addr()?;
        let out = self.path(&format!("seed-{}.json", tag(backend)));
        let (seed, took) = seed::run(&self.needlepath, &self.env(&url, addr, &[]), self.opts.patients(), &out)
            .with_context(|| format!("seeding the {} database", backend.name()))?;
        Ok((url, seed, took))
    }

    /// One target at maximum throughput, after a probe that must answer 2xx.
    fn target(&self, server: &mut Server, target: Target, seed: &Seed, sqlite: bool) -> anyhow::Result<Row> {
        let reqs = target.requests(seed);
        if let Some(first) = reqs.first() {
            http::probe(server.addr, target.label(), first)?;
        }
        let wrk = wrk::run(
            server.addr,
            target.label(),
            &reqs,
            self.opts.connections,
            self.opts.seconds,
            self.dir.path(),
            Some(server),
        )?;
        eprintln!(
            "bench:   {:<45} {:>9.0} req/s  p99 {:>8.2} ms  errors {}",
            target.label(),
            wrk.rps,
            wrk.p99_us / 1000.0,
            wrk.errors()
        );
        Ok(Row { label: target.label().into(), wrk, goal: target.goal(sqlite) })
    }

    /// The open-loop generator in its own process on CPU 1.
    fn openloop(
        &self,
        server: &Server,
        what: &str,
        mode: Mode,
        groups: Vec<(u32, Vec<Req>)>,
    ) -> anyhow::Result<(Outcome, u64)> {
        let spec = Spec { addr: server.addr, seconds: self.opts.seconds as f64, mode, groups };
        let file = self.path("load.json");
        std::fs::write(&file, serde_json::to_vec(&spec)?).context("write the load spec")?;
        let mut cmd = Command::new("taskset");
        cmd.args(["-c", "1"]).arg(&self.me).arg("load").arg("--spec").arg(&file);
        let (out, peak) = servers::run_sampling(cmd, what, Some(server))?;
        let outcome: Outcome =
            serde_json::from_str(out.trim()).with_context(|| format!("the generator's result for {what}: {out}"))?;
        eprintln!(
            "bench:   {what:<45} {:>9.0} req/s  p99 {:>8.2} ms  statuses {:?}",
            outcome.rps,
            outcome.p99_us as f64 / 1000.0,
            outcome.statuses
        );
        Ok((outcome, peak))
    }

    fn mix(&self, server: &Server, seed: &Seed) -> anyhow::Result<Mix> {
        let groups = targets::mix(seed);
        let (max, _) = self.openloop(
            server,
            "mix: maximum",
            Mode::Closed { connections: self.opts.connections as usize },
            groups.clone(),
        )?;
        let half_rate = max.rps * 0.5;
        let (half, _) = self.openloop(
            server,
            "mix: 50 %",
            Mode::Open { rate: half_rate, max_connections: OPEN_MAX_CONNECTIONS },
            groups.clone(),
        )?;
        let over_rate = max.rps * 1.5;
        let (over, over_peak_rss) = self.openloop(
            server,
            "mix: 150 %",
            Mode::Open { rate: over_rate, max_connections: OPEN_MAX_CONNECTIONS },
            groups,
        )?;
        Ok(Mix { max, half_rate, half, over_rate, over, over_peak_rss })
    }

    /// A server variant set by `env` (NAME=VALUE): started, checked that it took the setting
    /// (not refused, not logged as ignored), then loaded by `loads`; or why it was not.
    fn variant(
        &self,
        backend: Backend,
        url: &str,
        name: &str,
        env: Option<(&str, &str)>,
        loads: &[(&str, Vec<Req>, u32)],
    ) -> Vec<Variant> {
        let env_text = env.map_or_else(|| "(default)".to_string(), |(k, v)| format!("{k}={v}"));
        let blank = |note: String| Variant { name: name.into(), env: env_text.clone(), result: None, note };
        let extra: Vec<(&str, &str)> = env.into_iter().collect();
        let server = match self.start(backend, url, &extra, &format!("variant-{name}")) {
            Ok(s) => s,
            Err(e) => {
                let note = format!("the server refused {env_text}: {}", first_line(&format!("{e:#}")));
                eprintln!("bench:   {note}");
                return loads.iter().map(|_| blank(note.clone())).collect();
            }
        };
        let ignored = env.is_some_and(|(k, _)| server.log_has(&[k, "ignored"]));
        let note =
            if ignored { format!("{env_text}: ignored by this server (not a setting yet)") } else { String::new() };
        if ignored {
            eprintln!("bench:   {note}");
        }
        let mut out = Vec::new();
        for (what, reqs, connections) in loads {
            let label = format!("{what} [{name}]");
            let result = reqs.first().map_or(Ok(0), |r| http::probe(server.addr, &label, r)).and_then(|_| {
                wrk::run(server.addr, &label, reqs, *connections, self.opts.seconds, self.dir.path(), Some(&server))
            });
            match result {
                Ok(r) => {
                    eprintln!(
                        "bench:   {label:<45} {:>9.0} req/s  p99 {:>8.2} ms  errors {}",
                        r.rps,
                        r.p99_us / 1000.0,
                        r.errors()
                    );
                    out.push(Variant { name: name.into(), env: env_text.clone(), result: Some(r), note: note.clone() });
                }
                Err(e) => out.push(blank(format!("failed: {}", first_line(&format!("{e:#}"))))),
            }
        }
        if let Err(e) = server.stop() {
            eprintln!("bench:   stopping {name}: {e:#}");
        }
        out
    }

    fn backend(&self, backend: Backend, with_variants: bool) -> anyhow::Result<BackendReport> {
        eprintln!("bench: {}", backend.name());
        // Cold start on an empty database.
        let empty = servers::fresh_database(
            backend,
            self.dir.path(),
            &self.opts.postgres,
            &format!("{DB_EMPTY}_{}", tag(backend)),
        )?;
        let server = self.start(backend, &empty, &[], "empty")?;
        let cold_start_empty_ms = server.cold_start.as_secs_f64() * 1000.0;
        eprintln!("bench:   cold start on an empty database: {cold_start_empty_ms:.0} ms");
        server.stop()?;

        let (url, seed, seed_took) = self.seeded(backend)?;
        let mut server = self.start(backend, &url, &[], "seeded")?;
        let cold_start_seeded_ms = server.cold_start.as_secs_f64() * 1000.0;
        std::thread::sleep(Duration::from_secs(1));
        let idle_rss = server.rss();
        let idle_rss_anon = server.rss_anon();
        eprintln!(
            "bench:   cold start seeded {cold_start_seeded_ms:.0} ms, idle RSS {:.1} MB",
            idle_rss as f64 / 1_048_576.0
        );
        let sqlite = backend == Backend::Sqlite;
        let mut rows = Vec::new();
        for target in Target::ALL {
            rows.push(self.target(&mut server, target, &seed, sqlite)?);
        }
        let rss_after_loads = server.rss();
        let mix = self.mix(&server, &seed)?;
        server.check_alive("the mixed load")?;
        let peak_rss = server.peak_rss();
        server.stop()?;

        let (mut commit, mut logs) = (Vec::new(), Vec::new());
        if with_variants && sqlite {
            eprintln!("bench: SQLite commit modes");
            let writers: Vec<Req> = seed.writers.iter().take(64).map(targets::check_in).collect();
            for mode in ["per_request", "group", "normal"] {
                let load = [("check-in POST, 64 writers", writers.clone(), 64)];
                commit.extend(self.variant(backend, &url, mode, Some(("NEEDLEPATH_SQLITE_COMMIT", mode)), &load));
            }
            eprintln!("bench: log formats");
            let reads = [
                ("GET /healthz", Target::Healthz.requests(&seed), self.opts.connections),
                ("GET /api/v1/me", Target::ApiMeNew.requests(&seed), self.opts.connections),
            ];
            for (name, env) in [
                ("text", ("NEEDLEPATH_LOG_FORMAT", "text")),
                ("json", ("NEEDLEPATH_LOG_FORMAT", "json")),
                ("access log off", ("NEEDLEPATH_ACCESS_LOG", "off")),
            ] {
                let mut v = self.variant(backend, &url, name, Some(env), &reads).into_iter();
                if let (Some(h), Some(m)) = (v.next(), v.next()) {
                    logs.push((h, m));
                }
            }
        }
        Ok(BackendReport {
            backend,
            patients: self.opts.patients(),
            seed_secs: seed_took.as_secs_f64(),
            cold_start_empty_ms,
            cold_start_seeded_ms,
            idle_rss,
            idle_rss_anon,
            rss_after_loads,
            peak_rss,
            rows,
            mix: Some(mix),
            commit,
            logs,
        })
    }
}

fn tag(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(300).collect()
}

/// Fails naming the server when PostgreSQL does not answer.
fn check_postgres(url: &str) -> anyhow::Result<()> {
    let out = Command::new("psql")
        .arg(format!("{}/postgres", url.trim_end_matches('/')))
        .args(["-q", "-c", "SELECT 1"])
        .output()
        .context("run psql to reach PostgreSQL (is postgresql-client installed?)")?;
    if !out.status.success() {
        anyhow::bail!(
            "PostgreSQL is not reachable at {url} (use --backend sqlite to run without it): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn command(opts: &Options, sub: &str) -> String {
    let mut c = format!("cargo run --release -p bench -- {sub}");
    if opts.seconds != 10 {
        c.push_str(&format!(" --seconds {}", opts.seconds));
    }
    if opts.backend != BackendChoice::Both {
        c.push_str(&format!(" --backend {:?}", opts.backend).to_lowercase());
    }
    if opts.scale {
        c.push_str(" --scale");
    } else if opts.patients != 2000 {
        c.push_str(&format!(" --patients {}", opts.patients));
    }
    c
}

pub fn all(opts: &Options, write: bool) -> anyhow::Result<()> {
    let ctx = Ctx::prepare(opts)?;
    let result = run_all(&ctx, opts, write);
    if result.is_err() {
        // The servers' output and the seed files, for finding out what failed.
        eprintln!("bench: the servers' logs are kept in {}", ctx.dir.keep().display());
    }
    result
}

fn run_all(ctx: &Ctx, opts: &Options, write: bool) -> anyhow::Result<()> {
    let baseline = ctx.baseline()?;
    let mut backends = Vec::new();
    for b in ctx.backends() {
        backends.push(ctx.backend(b, true).with_context(|| format!("the {} run", b.name()))?);
    }
    let report = Report {
        command: command(opts, "all"),
        seconds: opts.seconds,
        connections: opts.connections,
        baseline,
        backends,
    };
    let md = report.markdown();
    println!("{md}");
    if write {
        let file = ctx.ws.root.join("BENCHMARKS.md");
        report::write_section(&file, &md)?;
        eprintln!("bench: wrote {}", file.display());
    }
    Ok(())
}

pub fn one(opts: &Options, target: Target) -> anyhow::Result<()> {
    let ctx = Ctx::prepare(opts)?;
    let baseline = ctx.baseline()?;
    for backend in ctx.backends() {
        let sqlite = backend == Backend::Sqlite;
        let (url, seed, _) = ctx.seeded(backend)?;
        let mut server = ctx.start(backend, &url, &[], "one")?;
        let row = ctx.target(&mut server, target, &seed, sqlite)?;
        println!(
            "{} on {}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, errors {}; ratio to the baseline ({:.0} req/s) {:.3}",
            row.label,
            backend.name(),
            row.wrk.rps,
            row.wrk.p50_us / 1000.0,
            row.wrk.p99_us / 1000.0,
            row.wrk.p999_us / 1000.0,
            row.wrk.errors(),
            baseline.rps,
            row.wrk.rps / baseline.rps.max(1e-9)
        );
        server.stop()?;
    }
    Ok(())
}
