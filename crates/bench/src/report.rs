//! The results as Markdown tables — printed, and written into `BENCHMARKS.md` between the
//! markers `<!-- bench:begin -->` and `<!-- bench:end -->` (appended with their heading when
//! absent), leaving the rest of the file as it is.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::Context;

use crate::openloop::Outcome;
use crate::servers::Backend;
use crate::targets::Goal;
use crate::wrk::WrkResult;

pub const BEGIN: &str = "<!-- bench:begin -->";
pub const END: &str = "<!-- bench:end -->";
pub const HEADING: &str = "## Service throughput against the machine's limits (issue 16)";

/// One target's maximum-throughput run.
pub struct Row {
    pub label: String,
    pub wrk: WrkResult,
    pub goal: Goal,
}

/// The mixed load (90 % reads, 10 % check-ins) by the open-loop generator.
pub struct Mix {
    pub max: Outcome,
    pub half_rate: f64,
    pub half: Outcome,
    pub over_rate: f64,
    pub over: Outcome,
    pub over_peak_rss: u64,
}

/// A server variant (commit mode, log format) and what it did, or why it was not measured.
pub struct Variant {
    pub name: String,
    pub env: String,
    pub result: Option<WrkResult>,
    pub note: String,
}

pub struct BackendReport {
    pub backend: Backend,
    pub patients: u32,
    pub seed_secs: f64,
    pub cold_start_empty_ms: f64,
    pub cold_start_seeded_ms: f64,
    pub idle_rss: u64,
    /// The anonymous part of `idle_rss` (not mapped files).
    pub idle_rss_anon: u64,
    pub rss_after_loads: u64,
    pub peak_rss: u64,
    pub rows: Vec<Row>,
    pub mix: Option<Mix>,
    /// Check-in POSTs at 64 connections by commit mode (SQLite only).
    pub commit: Vec<Variant>,
    /// `/healthz` and `/api/v1/me` by log format: (variant, healthz, api_me).
    pub logs: Vec<(Variant, Variant)>,
}

pub struct Report {
    pub command: String,
    pub seconds: u64,
    pub connections: u32,
    pub baseline: WrkResult,
    pub backends: Vec<BackendReport>,
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

fn ms(us: f64) -> String {
    if us >= 100_000.0 { format!("{:.0} ms", us / 1000.0) } else { format!("{:.2} ms", us / 1000.0) }
}

fn rate(rps: f64) -> String {
    let n = rps.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}

fn command_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Date, commit, machine, rustc.
fn context() -> String {
    let date = command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let commit = command_line("git", &["rev-parse", "--short", "HEAD"]);
    let lscpu = command_line("lscpu", &[]);
    let model =
        lscpu.lines().find_map(|l| l.strip_prefix("Model name:")).map(str::trim).unwrap_or("unknown CPU").to_string();
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().find_map(|l| l.strip_prefix("MemTotal:")).map(|v| v.trim().to_string()))
        .and_then(|v| v.split_whitespace().next().and_then(|k| k.parse::<u64>().ok()))
        .map_or_else(|| "?".to_string(), |kb| format!("{:.0} GiB", kb as f64 / 1_048_576.0));
    let rustc = command_line("rustc", &["--version"]);
    format!("Date: {date}. Commit: `{commit}`. Machine: {cpus} CPUs \"{model}\", {mem}. {rustc}.\n")
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Command: `{}`.", self.command);
        s.push_str(&context());
        let _ = writeln!(
            s,
            "\nEach server is pinned to CPU 0 (`taskset -c 0`), the load generator to CPU 1. Maximum \
             throughput: wrk, 1 thread, {} connections, {} s per target, closed loop. The baseline is \
             bare hyper 1.x answering `200 ok` on one thread, measured in the same run: **{} req/s** \
             (p99 {}). Ratio = the target's req/s over the baseline's. Errors = socket errors + answers \
             ≥ 400; each target is first probed once and must answer 2xx. Server logs go to a file.",
            self.connections,
            self.seconds,
            rate(self.baseline.rps),
            ms(self.baseline.p99_us)
        );
        for b in &self.backends {
            self.backend(&mut s, b);
        }
        s
    }

    fn backend(&self, s: &mut String, b: &BackendReport) {
        let base = self.baseline.rps.max(1e-9);
        let _ = writeln!(
            s,
            "\n### {} ({} seeded patients, seeded in {:.0} s)\n",
            b.backend.name(),
            b.patients,
            b.seed_secs
        );
        s.push_str(
            "| target | req/s | p50 | p99 | p99.9 | errors | server RSS peak | ratio | goal |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n",
        );
        for r in &b.rows {
            let ratio = r.wrk.rps / base;
            let mut goal = format!("≥ {:.2}", r.goal.min_ratio);
            let mut ok = ratio >= r.goal.min_ratio;
            if let Some(min) = r.goal.min_rps {
                goal.push_str(&format!(" and ≥ {}/s", rate(min)));
                ok &= r.wrk.rps >= min;
            }
            let errors = if r.wrk.requests == 0 {
                format!("**none answered in {} s**", self.seconds)
            } else if r.wrk.errors() == 0 {
                "0".to_string()
            } else {
                format!("**{}** ({} ≥ 400)", r.wrk.errors(), r.wrk.non2xx)
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {:.3} | {goal} {} |",
                r.label,
                rate(r.wrk.rps),
                ms(r.wrk.p50_us),
                ms(r.wrk.p99_us),
                ms(r.wrk.p999_us),
                errors,
                mb(r.wrk.peak_rss),
                ratio,
                mark(ok)
            );
        }
        // Heavy over new: the cost of a long history.
        let find = |label: &str| b.rows.iter().find(|r| r.label == label).map(|r| r.wrk.rps);
        s.push('\n');
        for (what, heavy, new) in [
            ("GET /api/v1/me", "GET /api/v1/me (heavy patient)", "GET /api/v1/me (new patient)"),
            ("Today", "GET /me Today (heavy patient)", "GET /me Today (new patient)"),
            ("check-in POST", "POST /api/v1/me/check-ins (heavy patient)", "POST /api/v1/me/check-ins (new patient)"),
        ] {
            if let (Some(h), Some(n)) = (find(heavy), find(new)) {
                let r = h / n.max(1e-9);
                let _ = writeln!(s, "- heavy/new patient, {what}: **{r:.2}** (goal ≥ 0.80 {})", mark(r >= 0.8));
            }
        }
        let _ = writeln!(
            s,
            "- cold start (spawn → first 200 on /healthz): empty database **{:.0} ms** (goal ≤ 1,000 ms {}), seeded {:.0} ms",
            b.cold_start_empty_ms,
            mark(b.cold_start_empty_ms <= 1000.0),
            b.cold_start_seeded_ms
        );
        let _ = writeln!(
            s,
            "- resident memory (VmRSS): idle after start **{}** (goal ≤ 40 MB {}; of it {} anonymous, the rest \
             mapped files such as the database with mmap), after the loads {}, peak (VmHWM) {}",
            mb(b.idle_rss),
            mark(b.idle_rss <= 40 * 1_048_576),
            mb(b.idle_rss_anon),
            mb(b.rss_after_loads),
            mb(b.peak_rss)
        );
        if let Some(m) = &b.mix {
            Self::mix(s, m);
        }
        if !b.commit.is_empty() {
            Self::commit(s, &b.commit);
        }
        if !b.logs.is_empty() {
            Self::logs(s, &b.logs);
        }
    }

    fn mix(s: &mut String, m: &Mix) {
        s.push_str(
            "\nMixed load (90 % reads over /api/v1/me, Today, the queue and staff patient pages of 256 \
             patients; 10 % check-in POSTs), by the open-loop generator; latency from the intended send \
             time (corrected for coordinated omission):\n\n\
             | run | offered | answered/s | p50 | p99 | p99.9 | 5xx | 503 (with Retry-After) | 4xx / broken / unanswered after 10 s |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for (name, offered, o) in [
            ("maximum (closed loop, 16 connections)", "—".to_string(), &m.max),
            ("50 % of maximum", format!("{}/s", rate(m.half_rate)), &m.half),
            ("150 % of maximum", format!("{}/s", rate(m.over_rate)), &m.over),
        ] {
            let five = o.count(|c| c >= 500);
            let n503 = o.count(|c| c == 503);
            let other = format!("{} / {} / {}", o.count(|c| (400..500).contains(&c)), o.io_errors, o.unfinished);
            let _ = writeln!(
                s,
                "| {name} | {offered} | {} | {} | {} | {} | {five} | {n503} ({}) | {other} |",
                rate(o.rps),
                ms(o.p50_us as f64),
                ms(o.p99_us as f64),
                ms(o.p999_us as f64),
                o.retry_after_503
            );
        }
        let total = m.over.answered.max(1);
        let n503 = m.over.count(|c| c == 503);
        let _ = writeln!(
            s,
            "\nAt 150 %: {n503} of {} answers were 503 ({:.1} %), {} of them with `Retry-After`; {} connections \
             opened, {} requests unanswered 10 s after the schedule ended; the server's peak resident memory \
             during the run {}.",
            m.over.answered,
            100.0 * n503 as f64 / total as f64,
            m.over.retry_after_503,
            m.over.connections_opened,
            m.over.unfinished,
            mb(m.over_peak_rss)
        );
    }

    fn commit(s: &mut String, variants: &[Variant]) {
        s.push_str(
            "\nGroup commit: check-in POSTs by 64 writers on 64 connections (wrk), per server variant:\n\n\
             | variant | env | req/s | p99 | errors | ratio to per_request | note |\n|---|---|---:|---:|---:|---:|---|\n",
        );
        let per_request =
            variants.iter().find(|v| v.name == "per_request").and_then(|v| v.result.as_ref()).map(|r| r.rps);
        for v in variants {
            let (rps, p99, errors) = v.result.as_ref().map_or(("—".into(), "—".into(), "—".into()), |r| {
                (rate(r.rps), ms(r.p99_us), r.errors().to_string())
            });
            let ratio = match (&v.result, per_request) {
                (Some(r), Some(p)) => format!("{:.2}", r.rps / p.max(1e-9)),
                _ => "—".into(),
            };
            let _ = writeln!(s, "| {} | `{}` | {rps} | {p99} | {errors} | {ratio} | {} |", v.name, v.env, v.note);
        }
    }

    fn logs(s: &mut String, logs: &[(Variant, Variant)]) {
        s.push_str(
            "\nLog cost (wrk, maximum throughput; the server's output goes to a file):\n\n\
             | logging | env | /healthz req/s | ratio to text | /api/v1/me req/s | ratio to text | note |\n\
             |---|---|---:|---:|---:|---:|---|\n",
        );
        let rps = |v: &Variant| v.result.as_ref().map(|r| r.rps);
        let text = logs.first().map(|(h, m)| (rps(h), rps(m)));
        for (h, m) in logs {
            let cell = |v: Option<f64>| v.map_or("—".to_string(), rate);
            let ratio = |v: Option<f64>, t: Option<f64>| match (v, t) {
                (Some(v), Some(t)) => format!("{:.2}", v / t.max(1e-9)),
                _ => "—".into(),
            };
            let (th, tm) = text.unwrap_or((None, None));
            let note = [h.note.as_str(), m.note.as_str()].iter().filter(|n| !n.is_empty()).copied().collect::<Vec<_>>();
            let _ = writeln!(
                s,
                "| {} | `{}` | {} | {} | {} | {} | {} |",
                h.name,
                h.env,
                cell(rps(h)),
                ratio(rps(h), th),
                cell(rps(m)),
                ratio(rps(m), tm),
                note.join("; ")
            );
        }
    }
}

/// Replaces the section between the markers in `file` with `body` (or appends the heading and
/// the markers), leaving everything else as it was.
pub fn write_section(file: &Path, body: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("read {}", file.display()))?;
    let section = format!("{BEGIN}\n{}\n{END}", body.trim_end());
    let new = match (text.find(BEGIN), text.find(END)) {
        (Some(b), Some(e)) if b < e => format!("{}{section}{}", &text[..b], &text[e + END.len()..]),
        _ => format!("{}\n\n{HEADING}\n\n{section}\n", text.trim_end()),
    };
    std::fs::write(file, new).with_context(|| format!("write {}", file.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_appended_once_then_replaced_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("B.md");
        std::fs::write(&f, "# Benchmarks\n\nkept\n").unwrap();
        write_section(&f, "first").unwrap();
        write_section(&f, "second").unwrap();
        let t = std::fs::read_to_string(&f).unwrap();
        assert!(t.starts_with("# Benchmarks\n\nkept\n\n## Service throughput"), "{t}");
        assert!(t.contains(&format!("{BEGIN}\nsecond\n{END}\n")) && !t.contains("first"), "{t}");
        assert_eq!(t.matches(HEADING).count(), 1);
    }

    #[test]
    fn rates_are_grouped_by_thousands() {
        assert_eq!(rate(1234567.4), "1,234,567");
        assert_eq!(rate(999.0), "999");
    }
}
