//! `bench`: the service's throughput against the machine's limits (issue 16).
//!
//! One command, `cargo run --release -p bench -- all`, builds needlepath, starts a bare hyper
//! server (the baseline: what this machine's HTTP stack answers at most), needlepath on SQLite
//! and on PostgreSQL, each pinned to CPU 0, and loads them from CPU 1 — with `wrk` at maximum
//! throughput, and with this crate's own open-loop generator at fixed rates (latency from the
//! intended send time, so a stalled server is not hidden by a stalled client). The tables are
//! printed and written into `BENCHMARKS.md` between its `bench:` markers.
//!
//! The smaller subcommands exist for development (`baseline`, `one`) and as the pieces `all`
//! runs in their own processes (`baseline` on CPU 0, `load` on CPU 1).

mod baseline;
mod http;
mod openloop;
mod report;
mod seed;
mod servers;
mod suite;
mod targets;
mod wrk;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "bench", about = "needlepath's throughput against a bare hyper server on the same machine (issue 16)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Everything: baseline, both backends, every target, the mixed load, group commit and log
    /// cost; prints the tables and writes them into BENCHMARKS.md.
    All {
        #[command(flatten)]
        opts: Options,
        /// Print the tables only; leave BENCHMARKS.md as it is.
        #[arg(long)]
        no_write: bool,
    },
    /// One target on one backend (with the baseline for the ratio), for development.
    One {
        #[command(flatten)]
        opts: Options,
        #[arg(long, value_enum)]
        target: targets::Target,
    },
    /// Serve `200 ok` to every request with bare hyper 1.x on one thread (the baseline).
    Baseline {
        #[arg(long, default_value = "127.0.0.1:8099")]
        listen: SocketAddr,
    },
    /// Run the open-loop generator described by a JSON spec file; prints the result as JSON.
    /// `all` starts it pinned to CPU 1.
    Load {
        #[arg(long)]
        spec: PathBuf,
    },
}

/// Options shared by `all` and `one`.
#[derive(Args, Clone, Debug)]
pub struct Options {
    /// Seconds of load per target.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    #[arg(long, value_enum, default_value_t = BackendChoice::Both)]
    pub backend: BackendChoice,
    /// Patients seeded (the writers, new and heavy patient come on top).
    #[arg(long, default_value_t = 2_000)]
    pub patients: u32,
    /// The big run: seed 100,000 patients (overrides --patients).
    #[arg(long)]
    pub scale: bool,
    /// PostgreSQL server (trust auth); the database `needlepath_bench` is dropped and created.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pub postgres: String,
    /// Connections of the maximum-throughput runs (wrk, one thread).
    #[arg(long, default_value_t = 16)]
    pub connections: u32,
}

impl Options {
    pub fn patients(&self) -> u32 {
        if self.scale { 100_000 } else { self.patients }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    Sqlite,
    Postgres,
    Both,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::All { opts, no_write } => suite::all(&opts, !no_write),
        Command::One { opts, target } => suite::one(&opts, target),
        Command::Baseline { listen } => baseline::serve(listen),
        Command::Load { spec } => openloop::run_spec_file(&spec),
    }
}
