//! The service commands: `serve`, `backup`, `restore`, `user add|reset`, `config show` and
//! `openapi`.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use needlepath_core::Protocol;
use needlepath_server::{App, auth::secrets};
use needlepath_store::{Actor, DatabaseUrl, NewStaff, OpenOptions, Role, SqliteStore, StaffUpdate, Store, Who};

use crate::config::Config;

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

fn init_logs(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NEEDLEPATH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(crate::logs::Batched::start());
    // Colour codes only on a terminal: a log file or journal gets plain text (issue 16).
    let builder = builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = if config.log_format == "json" { builder.json().try_init() } else { builder.try_init() };
}

fn protocol(config: &Config) -> anyhow::Result<Protocol> {
    let base = Protocol::builtin().map_err(|e| anyhow!("built-in protocol: {e:?}"))?;
    let Some(path) = &config.protocol else { return Ok(base) };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read protocol {}", path.display()))?;
    Protocol::parse(&text, Some(&base)).map_err(|e| {
        let first = e.problems.first().map(ToString::to_string).unwrap_or_default();
        anyhow!("protocol {}:{first} (run `needlepath protocol check {}`)", path.display(), path.display())
    })
}

async fn open(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let url = DatabaseUrl::parse(&config.database_url)?;
    Ok(needlepath_store::open(&url, OpenOptions { create: config.create(), commit: config.sqlite_commit() }).await?)
}

pub fn serve(config: &Config) -> anyhow::Result<()> {
    init_logs(config);
    for name in crate::config::ignored_env() {
        tracing::warn!("{name} is not a setting; ignored (see needlepath config show)");
    }
    let protocol = Arc::new(protocol(config)?);
    // A mistake in [reminders.smtp] or [reminders.webhook] stops the start, before anything serves.
    needlepath_server::reminders::Couriers::new(&config.reminders).context("configuration")?;
    runtime()?.block_on(async {
        let store = open(config).await?;
        let url = DatabaseUrl::parse(&config.database_url)?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let local = listener.local_addr()?;
        // Links (setup, invites) name the address really served, e.g. when listening on port 0.
        let mut server = config.server();
        server.listen = local;
        // A photo directory that cannot be written, or a bucket that cannot be reached, stops
        // the start: better than a failed upload later.
        let photos = crate::photo_backup::configured(config, true).await?;
        tracing::info!("photos are kept in {}", photos.describe());
        server.photo_store = Some(photos);
        if config.public_url.is_none() {
            server.public_url = format!("http://{local}");
        }
        let app = App::new(store, protocol, server);
        let shutdown = shutdown_signal();
        println!("needlepath: serving on http://{local} with {}", url.redacted());
        for w in needlepath_server::warnings::delivery_warnings(&app.config) {
            println!("needlepath: warning: {}", w.console(&app.config));
        }
        if let Some(link) = needlepath_server::setup_link(&app).await? {
            println!("needlepath: first run: open this one-time link to create the clinic and its first admin");
            println!("    {link}");
            println!("    (valid for 24 hours; a new link is printed at each start until the clinic exists)");
        }
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        let served = needlepath_server::serve(app, listener, shutdown).await;
        crate::logs::flush();
        served?;
        println!("needlepath: stopped");
        Ok(())
    })
}

/// Registers for Ctrl-C and SIGTERM at once (so a signal that arrives right after the service
/// says it is ready still stops it gracefully) and returns the future that completes on either.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::spawn(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    async move {
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = term => {},
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}

fn sqlite_path(config: &Config, what: &str) -> anyhow::Result<PathBuf> {
    match DatabaseUrl::parse(&config.database_url)? {
        DatabaseUrl::Sqlite(p) => Ok(p),
        DatabaseUrl::Postgres(_) => {
            bail!(
                "`needlepath {what}` works on the embedded SQLite database; for PostgreSQL use pg_dump and pg_restore"
            )
        }
    }
}

/// A consistent copy of the live database (the service may keep running), then of the photos
/// into `FILE.photos/` (`photo_backup`).
pub fn backup(config: &Config, target: &Path) -> anyhow::Result<String> {
    let path = sqlite_path(config, "backup")?;
    runtime()?.block_on(async {
        let store = SqliteStore::open(&path, false).await?;
        store.backup_to(target).await?;
        store.close().await;
        let check = SqliteStore::open(target, false).await?;
        let report = check.integrity_check().await?;
        check.close().await;
        let mut out = format!("backed up {} to {} (integrity: {report})\n", path.display(), target.display());
        out.push_str(&crate::photo_backup::back_up(config, target).await?);
        Ok(out)
    })
}

/// Replaces the configured database with a backup, after putting the backup's photos
/// (`FILE.photos/`) back into the configured photo store. The service must be stopped.
pub fn restore(config: &Config, source: &Path, force: bool) -> anyhow::Result<String> {
    let path = sqlite_path(config, "restore")?;
    if !source.is_file() {
        bail!("backup file {} does not exist", source.display());
    }
    if path.exists() && !force {
        bail!(
            "{} exists; stop the service and pass --force to replace it with {} (its current content is lost)",
            path.display(),
            source.display()
        );
    }
    let staging = path.with_extension("restore-tmp");
    let _ = std::fs::remove_file(&staging);
    let photos = runtime()?.block_on(async {
        // Copy through SQLite, which proves the backup is a sound database as it goes.
        let src = SqliteStore::open(source, false)
            .await
            .with_context(|| format!("{} is not a usable backup", source.display()))?;
        let report = src.integrity_check().await?;
        if report != "ok" {
            bail!("{} fails its integrity check ({report})", source.display());
        }
        src.backup_to(&staging).await?;
        src.close().await;
        // Photos are only added (content-addressed), so putting them back first is harmless if
        // anything after fails; a photo that fails its check stops the restore here.
        let photos = crate::photo_backup::restore(config, source).await;
        if photos.is_err() {
            let _ = std::fs::remove_file(&staging);
        }
        photos
    })?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.clone().into_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::rename(&staging, &path)
        .with_context(|| format!("cannot move the restored database into {}", path.display()))?;
    Ok(format!("restored {} from {}\n{photos}", path.display(), source.display()))
}

/// Reads a new password from `NEEDLEPATH_PASSWORD` or the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    let password = match std::env::var("NEEDLEPATH_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprintln!("needlepath: new password (one line on standard input):");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    secrets::check_new_password(&password).map_err(|m| anyhow!("password: {m}"))?;
    Ok(password)
}

pub fn user_add(config: &Config, email: &str, name: &str, role: &str, clinic: Option<&str>) -> anyhow::Result<String> {
    let role = Role::parse(role)
        .ok_or_else(|| anyhow!("role `{role}` is not accepted; accepted: admin, practitioner, front_desk"))?;
    let password = read_password()?;
    runtime()?.block_on(async {
        let store = open(config).await?;
        let clinics = store.list_clinics().await?;
        let clinic = match (clinic, clinics.as_slice()) {
            (Some(id), _) => clinics
                .iter()
                .find(|c| c.id.to_string() == id)
                .ok_or_else(|| anyhow!("no clinic with id {id}"))?
                .clone(),
            (None, [only]) => only.clone(),
            (None, []) => bail!("there is no clinic yet; run `needlepath serve` and open the setup link first"),
            (None, _) => bail!("there are several clinics; say which with --clinic ID"),
        };
        let actor = Actor { clinic: clinic.id, who: Who::System, ip: None };
        let hash = secrets::hash_password(&password).map_err(|e| anyhow!(e))?;
        let staff = store
            .add_staff(
                &actor,
                NewStaff {
                    email: email.trim().to_lowercase(),
                    name: name.trim().to_string(),
                    role,
                    password_hash: hash,
                },
            )
            .await?;
        Ok(format!("added {} ({}) to {}\n", staff.email, staff.role.as_str(), clinic.name))
    })
}

pub fn user_reset(config: &Config, email: &str) -> anyhow::Result<String> {
    let password = read_password()?;
    runtime()?.block_on(async {
        let store = open(config).await?;
        let staff =
            store.staff_by_email(email).await?.ok_or_else(|| anyhow!("no staff account with e-mail {email}"))?;
        let actor = Actor { clinic: staff.clinic, who: Who::System, ip: None };
        let hash = secrets::hash_password(&password).map_err(|e| anyhow!(e))?;
        store
            .update_staff(
                &actor,
                staff.id,
                StaffUpdate { password_hash: Some(hash), active: Some(true), ..StaffUpdate::default() },
            )
            .await?;
        Ok(format!("password reset for {}; their open sessions were ended\n", staff.email))
    })
}

pub fn openapi() -> anyhow::Result<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(&needlepath_server::openapi::document())?))
}

/// `needlepath seed`: see `seed.rs`. Answers the credentials as JSON (and writes them to `--out`).
pub fn seed(config: &Config, args: &crate::seed::SeedArgs) -> anyhow::Result<String> {
    let protocol = Arc::new(protocol(config)?);
    runtime()?.block_on(async {
        let store = open(config).await?;
        let seeded = crate::seed::seed(store, protocol, args).await?;
        let json = serde_json::to_string_pretty(&seeded)? + "\n";
        if let Some(out) = &args.out {
            std::fs::write(out, &json).with_context(|| format!("cannot write {}", out.display()))?;
        }
        eprintln!(
            "needlepath seed: {} patients, {} rows copied, in {:.1} s",
            seeded.patients, seeded.rows_copied, seeded.seconds
        );
        Ok(json)
    })
}
