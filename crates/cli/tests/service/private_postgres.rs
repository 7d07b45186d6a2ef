//! A PostgreSQL cluster of the test's own (initdb into a temporary directory, on a free port),
//! so a test may stop and restart the database under load without touching the shared server
//! at 127.0.0.1:5432 that the other tests use.
//!
//! PostgreSQL refuses to run as root: when the tests run as root (as in CI) its programs run as
//! the `postgres` user through `runuser`. Where initdb cannot run, [`PrivatePostgres::init`]
//! fails the test in CI (`CI` set) and skips it with a notice elsewhere.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PrivatePostgres {
    bin: PathBuf,
    run: PathBuf,
    port: u16,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

impl PrivatePostgres {
    /// A new, running cluster; `None` (with a notice) where PostgreSQL's programs cannot run
    /// and CI does not require them.
    pub fn init() -> Option<Self> {
        match Self::try_init() {
            Ok(pg) => Some(pg),
            Err(why) => {
                let required = std::env::var("CI").is_ok_and(|v| !v.is_empty());
                assert!(!required, "a private PostgreSQL cluster could not start ({why}); CI requires it");
                let notice = format!("skipped: a private PostgreSQL cluster could not start ({why})\n");
                let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
                None
            }
        }
    }

    fn try_init() -> Result<Self, String> {
        let bin = postgres_bin_dir().ok_or("no initdb in /usr/lib/postgresql/*/bin")?;
        let as_postgres = is_root();
        let dir = tempfile::Builder::new().prefix("np-pg").tempdir().map_err(|e| e.to_string())?;
        let run = dir.path().join("run");
        std::fs::create_dir(&run).map_err(|e| e.to_string())?;
        if as_postgres {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
            let chown = Command::new("chown").args(["postgres:postgres"]).arg(&run).status();
            if !chown.is_ok_and(|s| s.success()) {
                return Err("chown to the postgres user failed".into());
            }
        }
        let pg = Self { bin, run, port: super::free_port(), as_postgres, _dir: dir };
        let data = pg.data();
        pg.program("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])?;
        pg.start()?;
        Ok(pg)
    }

    fn data(&self) -> String {
        self.run.join("data").display().to_string()
    }

    /// The connection URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the cluster and waits until it accepts connections.
    pub fn start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=on -c synchronous_commit=on",
            self.port,
            self.run.display()
        );
        let log = self.run.join("postgres.log").display().to_string();
        self.program("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "-t", "60", "start"])
    }

    /// Stops the cluster at once, as a crash would (no checkpoint: a restart recovers from the
    /// write-ahead log).
    pub fn stop_immediately(&self) -> Result<(), String> {
        self.program("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"])
    }

    fn program(&self, name: &str, args: &[&str]) -> Result<(), String> {
        let program = self.bin.join(name);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let out = cmd.args(args).current_dir(&self.run).output().map_err(|e| format!("{name}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{name} {args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.stop_immediately();
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that holds initdb.
fn postgres_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| Path::new(bin).join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
