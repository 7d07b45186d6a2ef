//! The service's configuration: defaults, then an optional TOML file, then `NEEDLEPATH_*`
//! environment variables, then command-line flags — each layer overriding the one before.
//!
//! `needlepath config show` prints the effective values and where each came from, with
//! secrets (a database password, the S3 secret key) redacted.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::{Figment, Metadata};
use serde::{Deserialize, Serialize};

/// The default database: `needlepath.db` in the working directory.
pub const DEFAULT_DATABASE: &str = "sqlite://needlepath.db";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DATABASE`.
    pub database_url: String,
    /// A file holding the database URL (for secrets kept out of the environment).
    pub database_url_file: Option<PathBuf>,
    /// Create the SQLite file when it does not exist. Default: only for the default path.
    pub create_database: Option<bool>,
    pub listen: SocketAddr,
    /// How people reach the service; default `http://LISTEN`.
    pub public_url: Option<String>,
    /// A clinic protocol (TOML) to decide by instead of the built-in one.
    pub protocol: Option<PathBuf>,
    pub trusted_proxies: Vec<IpAddr>,
    pub staff_session_hours: u32,
    pub patient_session_days: u32,
    pub invite_hours: u32,
    pub login_failures_per_account: u32,
    pub login_failures_per_address: u32,
    pub login_window_minutes: u32,
    pub check_ins_per_patient_per_hour: u32,
    pub shutdown_grace_seconds: u32,
    /// A request's head must arrive within this many seconds of the connection opening (or of
    /// the previous answer on a kept-alive connection).
    pub header_timeout_seconds: u32,
    /// A request's body must arrive in full within this many seconds of its head.
    pub body_timeout_seconds: u32,
    /// A connection with no request being answered, or whose client takes none of an answer,
    /// for this many seconds is closed.
    pub idle_timeout_seconds: u32,
    /// Connections open at once; default: what the open-files limit leaves room for (at most
    /// 4096).
    pub max_connections: u32,
    /// `text` or `json` log lines.
    pub log_format: String,
    /// The outbox worker and its channels (`[reminders]`, `[reminders.smtp]`,
    /// `[reminders.webhook]` in the file).
    pub reminders: needlepath_server::reminders::ReminderConfig,
    /// Where photos' images are kept, named by their SHA-256 (`<dir>/ab/abcdef….jpg`). Default:
    /// a `photos` directory beside the SQLite file; with PostgreSQL, `photos` in the working
    /// directory (name one: the database does not hold the images). Back it up with the database.
    pub photos_dir: Option<PathBuf>,
    /// `s3://BUCKET[/PREFIX]`: keep photos in S3-compatible object storage instead of a
    /// directory (for clinic groups whose servers share no disk). The bucket must exist.
    pub photos_store: Option<String>,
    /// The S3 service's URL (MinIO, Ceph, another S3-compatible store); default: Amazon S3 in
    /// the region (`AWS_ENDPOINT` from the environment is also read).
    pub photos_s3_endpoint: Option<String>,
    /// Default: `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`.
    pub photos_s3_region: Option<String>,
    /// With `photos_s3_secret_access_key`; default: `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY` from the environment.
    pub photos_s3_access_key_id: Option<String>,
    pub photos_s3_secret_access_key: Option<String>,
    /// Allow a plain `http://` endpoint (a local emulator; never across a network).
    pub photos_s3_allow_http: bool,
    /// How SQLite commits: `group` (default: concurrent writes share one fsync, each answered
    /// once durable), `per_request`, or `normal` (synchronous=NORMAL: may lose the last writes
    /// on power loss; for comparison only).
    pub sqlite_commit: String,
    /// `on` (default): one line per request; `off`: none.
    pub access_log: String,
    /// Requests answered at once before the excess gets 503 with Retry-After (0: no limit);
    /// check-ins are never refused.
    pub max_requests_in_flight: u32,
}

/// Where the configuration keeps photos: [`Config::photo_store`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoStore {
    Dir(PathBuf),
    S3(needlepath_server::photos::S3Config),
}

impl Default for Config {
    fn default() -> Self {
        let s = needlepath_server::ServerConfig::default();
        Self {
            database_url: DEFAULT_DATABASE.into(),
            database_url_file: None,
            create_database: None,
            listen: s.listen,
            public_url: None,
            protocol: None,
            trusted_proxies: s.trusted_proxies,
            staff_session_hours: s.staff_session_hours,
            patient_session_days: s.patient_session_days,
            invite_hours: s.invite_hours,
            login_failures_per_account: s.login_failures_per_account,
            login_failures_per_address: s.login_failures_per_address,
            login_window_minutes: s.login_window_minutes,
            check_ins_per_patient_per_hour: s.check_ins_per_patient_per_hour,
            shutdown_grace_seconds: s.shutdown_grace_seconds,
            header_timeout_seconds: secs(s.connections.header_timeout),
            body_timeout_seconds: secs(s.connections.body_timeout),
            idle_timeout_seconds: secs(s.connections.idle_timeout),
            max_connections: u32::try_from(s.connections.max_connections).unwrap_or(u32::MAX),
            log_format: "text".into(),
            reminders: s.reminders,
            photos_dir: None,
            photos_store: None,
            photos_s3_endpoint: None,
            photos_s3_region: None,
            photos_s3_access_key_id: None,
            photos_s3_secret_access_key: None,
            photos_s3_allow_http: false,
            sqlite_commit: "group".into(),
            access_log: "on".into(),
            max_requests_in_flight: s.max_requests_in_flight,
        }
    }
}

/// The settings, as keys of the file and (upper-cased, after `NEEDLEPATH_`) of the environment.
pub const KEYS: [&str; 30] = [
    "database_url",
    "database_url_file",
    "create_database",
    "listen",
    "public_url",
    "protocol",
    "trusted_proxies",
    "staff_session_hours",
    "patient_session_days",
    "invite_hours",
    "login_failures_per_account",
    "login_failures_per_address",
    "login_window_minutes",
    "check_ins_per_patient_per_hour",
    "shutdown_grace_seconds",
    "header_timeout_seconds",
    "body_timeout_seconds",
    "idle_timeout_seconds",
    "max_connections",
    "log_format",
    "photos_dir",
    "photos_store",
    "photos_s3_endpoint",
    "photos_s3_region",
    "photos_s3_access_key_id",
    "photos_s3_secret_access_key",
    "photos_s3_allow_http",
    "sqlite_commit",
    "access_log",
    "max_requests_in_flight",
];

/// The longest a connection deadline may be set to: an hour. Longer would let a client hold a
/// connection as long as the missing deadlines did (issue 14, defect 4).
const MAX_TIMEOUT_SECONDS: u32 = 3600;

fn secs(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

/// `NEEDLEPATH_*` variables that are not settings (nor read by the program or its tests):
/// ignored, and named so a typo does not go unnoticed.
pub fn ignored_env() -> Vec<String> {
    const READ_ELSEWHERE: [&str; 6] = ["CONFIG", "LOG", "PASSWORD", "REQUIRE_POSTGRES", "PYTHON", "REQUIRE_PYTHON"];
    std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter_map(|k| k.strip_prefix("NEEDLEPATH_").map(str::to_string))
        .filter(|k| !KEYS.contains(&k.to_lowercase().as_str()))
        .filter(|k| !READ_ELSEWHERE.contains(&k.as_str()) && !k.starts_with("TEST_"))
        .map(|k| format!("NEEDLEPATH_{k}"))
        .collect()
}

/// Values given on the command line (only those present override).
#[derive(Debug, Default, Serialize)]
pub struct Flags {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_database: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<PathBuf>,
}

/// The layered figment: defaults, file, environment, flags.
pub fn figment(file: Option<&PathBuf>, flags: &Flags) -> anyhow::Result<Figment> {
    let mut f = Figment::from(Serialized::defaults(Config::default()));
    let file = file.cloned().or_else(|| std::env::var_os("NEEDLEPATH_CONFIG").map(PathBuf::from));
    if let Some(path) = &file {
        if !path.is_file() {
            bail!("configuration file {} does not exist", path.display());
        }
        f = f.merge(Toml::file_exact(path));
    }
    let env = Env::prefixed("NEEDLEPATH_").only(&KEYS);
    Ok(f.merge(env).merge(Serialized::defaults(flags)))
}

impl Config {
    pub fn load(file: Option<&PathBuf>, flags: &Flags) -> anyhow::Result<Self> {
        let mut c: Config = figment(file, flags)?.extract().map_err(|e| {
            let first = e.clone().into_iter().next().map(|e| e.to_string()).unwrap_or_default();
            anyhow::anyhow!("configuration: {first}")
        })?;
        if let Some(path) = &c.database_url_file {
            c.database_url = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read database_url_file {}", path.display()))?
                .trim()
                .to_string();
        }
        if !["text", "json"].contains(&c.log_format.as_str()) {
            bail!("configuration: log_format `{}` is not accepted; accepted: text, json", c.log_format);
        }
        if let Err(e) = needlepath_store::SqliteCommit::parse(&c.sqlite_commit) {
            bail!("configuration: {e}");
        }
        if !["on", "off"].contains(&c.access_log.as_str()) {
            bail!("configuration: access_log `{}` is not accepted; accepted: on, off", c.access_log);
        }
        c.check_connection_limits()?;
        c.photo_store()?;
        Ok(c)
    }

    /// Every connection deadline between 1 s and an hour; at least one connection.
    fn check_connection_limits(&self) -> anyhow::Result<()> {
        for (key, value) in [
            ("header_timeout_seconds", self.header_timeout_seconds),
            ("body_timeout_seconds", self.body_timeout_seconds),
            ("idle_timeout_seconds", self.idle_timeout_seconds),
        ] {
            if !(1..=MAX_TIMEOUT_SECONDS).contains(&value) {
                bail!("configuration: {key} = {value} is not accepted; accepted: 1 to {MAX_TIMEOUT_SECONDS} seconds");
            }
        }
        if self.max_connections == 0 {
            bail!("configuration: max_connections = 0 is not accepted; it must be at least 1");
        }
        Ok(())
    }

    /// Whether a missing SQLite file may be created.
    /// SQLite's commit mode (checked when the configuration was loaded).
    pub fn sqlite_commit(&self) -> needlepath_store::SqliteCommit {
        needlepath_store::SqliteCommit::parse(&self.sqlite_commit).unwrap_or_default()
    }

    pub fn create(&self) -> bool {
        self.create_database.unwrap_or(self.database_url == DEFAULT_DATABASE && self.database_url_file.is_none())
    }

    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.listen))
    }

    /// Where photos are kept: `photos_dir`, else `photos` beside the SQLite file, else (with
    /// PostgreSQL, or a URL that does not parse) `photos` in the working directory.
    pub fn photos_dir(&self) -> PathBuf {
        if let Some(dir) = &self.photos_dir {
            return dir.clone();
        }
        match needlepath_store::DatabaseUrl::parse(&self.database_url) {
            Ok(needlepath_store::DatabaseUrl::Sqlite(file)) => {
                file.parent().map_or_else(|| PathBuf::from("photos"), |d| d.join("photos"))
            }
            _ => PathBuf::from("photos"),
        }
    }

    /// Where photos are kept, checked: a directory ([`Config::photos_dir`]) unless
    /// `photos_store` names an S3 bucket. Every mistake names its key and what is accepted.
    pub fn photo_store(&self) -> anyhow::Result<PhotoStore> {
        let s3_keys = [
            ("photos_s3_endpoint", self.photos_s3_endpoint.is_some()),
            ("photos_s3_region", self.photos_s3_region.is_some()),
            ("photos_s3_access_key_id", self.photos_s3_access_key_id.is_some()),
            ("photos_s3_secret_access_key", self.photos_s3_secret_access_key.is_some()),
            ("photos_s3_allow_http", self.photos_s3_allow_http),
        ];
        let Some(url) = &self.photos_store else {
            if let Some((key, _)) = s3_keys.iter().find(|(_, set)| *set) {
                bail!(
                    "configuration: {key} is set but photos_store is not; set photos_store = \"s3://BUCKET/PREFIX\" \
                     to keep photos in S3, or leave out the photos_s3_* keys"
                );
            }
            return Ok(PhotoStore::Dir(self.photos_dir()));
        };
        if self.photos_dir.is_some() {
            bail!("configuration: photos_dir and photos_store both say where photos are kept; set one of them");
        }
        let config = needlepath_server::photos::S3Config {
            endpoint: self.photos_s3_endpoint.as_deref().map(|e| e.trim().trim_end_matches('/').to_string()),
            region: self.photos_s3_region.as_deref().map(|r| r.trim().to_string()),
            access_key_id: self.photos_s3_access_key_id.clone(),
            secret_access_key: self.photos_s3_secret_access_key.clone(),
            allow_http: self.photos_s3_allow_http,
            ..Default::default()
        };
        let config = config.with_url(url).map_err(|why| {
            anyhow::anyhow!("configuration: photos_store {why}; accepted: {}", needlepath_server::photos::s3::S3_URL)
        })?;
        if let Some(endpoint) = &config.endpoint {
            let plain_http = needlepath_server::photos::s3::check_endpoint(endpoint).map_err(|why| {
                anyhow::anyhow!(
                    "configuration: photos_s3_endpoint `{endpoint}` is not accepted: {why}; accepted: {}",
                    needlepath_server::photos::s3::ENDPOINT
                )
            })?;
            if plain_http && !config.allow_http {
                bail!(
                    "configuration: photos_s3_endpoint `{endpoint}` is plain HTTP, which would send photos unencrypted; \
                     use https://, or set photos_s3_allow_http = true for a local emulator"
                );
            }
        }
        if config.region.as_deref().is_some_and(|r| r.is_empty() || r.contains(char::is_whitespace)) {
            bail!(
                "configuration: photos_s3_region is empty or has spaces; accepted: a region name such as eu-central-1"
            );
        }
        match (&config.access_key_id, &config.secret_access_key) {
            (Some(_), None) => bail!(
                "configuration: photos_s3_access_key_id is set without photos_s3_secret_access_key; set both, or \
                 neither to read AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment"
            ),
            (None, Some(_)) => bail!(
                "configuration: photos_s3_secret_access_key is set without photos_s3_access_key_id; set both, or \
                 neither to read AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment"
            ),
            _ => {}
        }
        Ok(PhotoStore::S3(config))
    }

    pub fn server(&self) -> needlepath_server::ServerConfig {
        needlepath_server::ServerConfig {
            listen: self.listen,
            public_url: self.public_url(),
            trusted_proxies: self.trusted_proxies.clone(),
            staff_session_hours: self.staff_session_hours,
            patient_session_days: self.patient_session_days,
            invite_hours: self.invite_hours,
            login_failures_per_account: self.login_failures_per_account,
            login_failures_per_address: self.login_failures_per_address,
            login_window_minutes: self.login_window_minutes,
            check_ins_per_patient_per_hour: self.check_ins_per_patient_per_hour,
            shutdown_grace_seconds: self.shutdown_grace_seconds,
            connections: needlepath_server::listen::Limits {
                header_timeout: Duration::from_secs(u64::from(self.header_timeout_seconds)),
                body_timeout: Duration::from_secs(u64::from(self.body_timeout_seconds)),
                idle_timeout: Duration::from_secs(u64::from(self.idle_timeout_seconds)),
                max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            },
            reminders: self.reminders.clone(),
            photos_dir: Some(self.photos_dir()),
            // Made and checked by `serve` (it reaches the bucket): `service::open_photos`.
            photo_store: None,
            access_log: self.access_log == "on",
            max_requests_in_flight: self.max_requests_in_flight,
        }
    }
}

/// Where a value came from, in words: default, flag, env NEEDLEPATH_X or file PATH.
fn origin(key: &str, m: Option<&Metadata>) -> String {
    let Some(m) = m else { return "default".into() };
    let name = m.name.to_string();
    if name.contains("Flags") {
        "flag".into()
    } else if name.to_lowercase().contains("environment") {
        format!("env NEEDLEPATH_{}", key.to_uppercase())
    } else if name.contains("TOML") {
        m.source.as_ref().map(|s| format!("file {s}")).unwrap_or_else(|| "file".into())
    } else {
        "default".into()
    }
}

/// Hides the SMTP password and the webhook secret.
fn redact(reminders: &mut serde_json::Value) {
    for (table, key) in [("smtp", "password"), ("webhook", "secret")] {
        if let Some(v) = reminders.get_mut(table).and_then(|t| t.get_mut(key)).filter(|v| !v.is_null()) {
            *v = serde_json::Value::String("(redacted)".into());
        }
    }
}

/// `config show`: every effective value, where it came from, secrets redacted.
pub fn show(file: Option<&PathBuf>, flags: &Flags) -> anyhow::Result<String> {
    let fig = figment(file, flags)?;
    let c = Config::load(file, flags)?;
    let url = needlepath_store::DatabaseUrl::parse(&c.database_url)
        .map(|u| u.redacted())
        .unwrap_or_else(|_| "(invalid)".into());
    let value = serde_json::to_value(&c)?;
    let mut out = String::new();
    if let Some(obj) = value.as_object() {
        for (k, v) in obj {
            let mut shown = if k == "database_url" { serde_json::Value::String(url.clone()) } else { v.clone() };
            if k == "reminders" {
                redact(&mut shown);
            }
            if k == "photos_s3_secret_access_key" && !shown.is_null() {
                shown = serde_json::Value::String("(redacted)".into());
            }
            let from = origin(k, fig.find_metadata(k));
            out.push_str(&format!("{k} = {shown}    # {from}\n"));
        }
    }
    for name in ignored_env() {
        out.push_str(&format!("# ignored: {name} is not a setting\n"));
    }
    out.push_str(&format!("# effective: create_database = {}, public_url = {}\n", c.create(), c.public_url()));
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error, as its API requires.
mod tests {
    use super::*;

    #[test]
    fn layers_override_in_order_and_secrets_are_redacted() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("np.toml", "listen = \"127.0.0.1:9000\"\ninvite_hours = 24\n")?;
            jail.set_env("NEEDLEPATH_INVITE_HOURS", "48");
            jail.set_env("NEEDLEPATH_DATABASE_URL", "postgres://np:hunter2@db/np");
            jail.set_env("NEEDLEPATH_LISTN", "127.0.0.1:1");
            let file = PathBuf::from("np.toml");
            let flags = Flags { listen: Some("127.0.0.1:9100".parse().unwrap()), ..Flags::default() };
            let c = Config::load(Some(&file), &flags).unwrap();
            assert_eq!(c.listen.port(), 9100);
            assert_eq!(c.invite_hours, 48);
            assert!(!c.create());
            let shown = show(Some(&file), &flags).unwrap();
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("np:***@db"), "{shown}");
            assert!(shown.contains("env NEEDLEPATH_INVITE_HOURS"), "{shown}");
            assert!(shown.contains("# ignored: NEEDLEPATH_LISTN is not a setting"), "{shown}");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_named() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("np.toml", "lisen = \"x\"\n")?;
            let e = Config::load(Some(&PathBuf::from("np.toml")), &Flags::default()).unwrap_err().to_string();
            assert!(e.contains("lisen"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn connection_deadlines_and_limit_are_read_and_bad_values_name_their_key() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("np.toml", "header_timeout_seconds = 5\nmax_connections = 100\n")?;
            jail.set_env("NEEDLEPATH_BODY_TIMEOUT_SECONDS", "20");
            let c = Config::load(Some(&PathBuf::from("np.toml")), &Flags::default()).unwrap();
            let limits = c.server().connections;
            assert_eq!(limits.header_timeout, Duration::from_secs(5));
            assert_eq!(limits.body_timeout, Duration::from_secs(20));
            assert_eq!(limits.idle_timeout, Duration::from_secs(60));
            assert_eq!(limits.max_connections, 100);
            jail.clear_env();
            for (file, key) in [
                ("header_timeout_seconds = 0\n", "header_timeout_seconds"),
                ("body_timeout_seconds = 86400\n", "body_timeout_seconds"),
                ("idle_timeout_seconds = -1\n", "idle_timeout_seconds"),
                ("max_connections = 0\n", "max_connections"),
                ("max_connections = \"lots\"\n", "max_connections"),
            ] {
                jail.create_file("bad.toml", file)?;
                let e = Config::load(Some(&PathBuf::from("bad.toml")), &Flags::default()).unwrap_err().to_string();
                assert!(e.contains(key), "{file:?}: {e}");
            }
            Ok(())
        });
    }

    #[test]
    fn only_the_default_database_is_created_silently() {
        assert!(Config::default().create());
        let c = Config { database_url: "sqlite://clinic.db".into(), ..Config::default() };
        assert!(!c.create());
    }

    #[test]
    fn photos_are_kept_beside_the_sqlite_file_unless_a_directory_is_named() {
        assert_eq!(Config::default().photos_dir(), PathBuf::from("photos"));
        let c = Config { database_url: "sqlite:///var/lib/np/clinic.db".into(), ..Config::default() };
        assert_eq!(c.photos_dir(), PathBuf::from("/var/lib/np/photos"));
        assert_eq!(c.server().photos_dir, Some(PathBuf::from("/var/lib/np/photos")));
        let c = Config { database_url: "postgres://np@db/np".into(), ..Config::default() };
        assert_eq!(c.photos_dir(), PathBuf::from("photos"));
        let c = Config { photos_dir: Some("/srv/photos".into()), ..c };
        assert_eq!(c.photos_dir(), PathBuf::from("/srv/photos"));
    }

    #[test]
    fn an_s3_photo_store_is_checked_key_by_key_and_its_secret_is_never_shown() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "np.toml",
                "photos_store = \"s3://clinic-photos/group-a\"\nphotos_s3_endpoint = \"https://s3.example.org/\"\n\
                 photos_s3_region = \"eu-central-1\"\nphotos_s3_access_key_id = \"AKIDEXAMPLE\"\n",
            )?;
            jail.set_env("NEEDLEPATH_PHOTOS_S3_SECRET_ACCESS_KEY", "hunter2-s3-secret");
            let file = PathBuf::from("np.toml");
            let c = Config::load(Some(&file), &Flags::default()).unwrap();
            let PhotoStore::S3(s3) = c.photo_store().unwrap() else { panic!("an S3 store") };
            assert_eq!((s3.bucket.as_str(), s3.prefix.as_str()), ("clinic-photos", "group-a"));
            assert_eq!(s3.endpoint.as_deref(), Some("https://s3.example.org"));
            assert_eq!(s3.region.as_deref(), Some("eu-central-1"));
            assert_eq!(s3.secret_access_key.as_deref(), Some("hunter2-s3-secret"));
            assert!(!s3.allow_http);
            let shown = show(Some(&file), &Flags::default()).unwrap();
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("photos_s3_secret_access_key = \"(redacted)\""), "{shown}");
            assert!(shown.contains("photos_store = \"s3://clinic-photos/group-a\""), "{shown}");
            jail.clear_env();

            for (text, key, says) in [
                ("photos_store = \"clinic-photos\"\n", "photos_store", "s3://"),
                ("photos_store = \"s3://Clinic_Photos\"\n", "photos_store", "bucket name"),
                ("photos_store = \"s3://bucket/../x\"\n", "photos_store", "prefix"),
                (
                    "photos_store = \"s3://bucket\"\nphotos_dir = \"/srv/photos\"\n",
                    "photos_dir and photos_store",
                    "one",
                ),
                ("photos_s3_endpoint = \"https://s3.example.org\"\n", "photos_s3_endpoint", "photos_store is not"),
                (
                    "photos_store = \"s3://bucket\"\nphotos_s3_endpoint = \"http://127.0.0.1:9000\"\n",
                    "photos_s3_endpoint",
                    "photos_s3_allow_http",
                ),
                (
                    "photos_store = \"s3://bucket\"\nphotos_s3_endpoint = \"s3.example.org\"\n",
                    "photos_s3_endpoint",
                    "scheme",
                ),
                (
                    "photos_store = \"s3://bucket\"\nphotos_s3_endpoint = \"https://k:s@s3.example.org\"\n",
                    "photos_s3_endpoint",
                    "password",
                ),
                (
                    "photos_store = \"s3://bucket\"\nphotos_s3_access_key_id = \"AKID\"\n",
                    "photos_s3_access_key_id",
                    "photos_s3_secret_access_key",
                ),
                ("photos_store = \"s3://bucket\"\nphotos_s3_region = \" \"\n", "photos_s3_region", "region"),
                ("photos_s3_allow_http = \"maybe\"\n", "photos_s3_allow_http", ""),
            ] {
                jail.create_file("bad.toml", text)?;
                let e = Config::load(Some(&PathBuf::from("bad.toml")), &Flags::default()).unwrap_err().to_string();
                assert!(e.contains(key) && e.contains(says), "{text:?}: {e}");
            }
            // A local emulator over plain HTTP, when allowed; no photos_store: the directory.
            jail.create_file(
                "ok.toml",
                "photos_store = \"s3://bucket\"\nphotos_s3_endpoint = \"http://127.0.0.1:9000\"\nphotos_s3_allow_http = true\n",
            )?;
            let c = Config::load(Some(&PathBuf::from("ok.toml")), &Flags::default()).unwrap();
            assert!(matches!(c.photo_store().unwrap(), PhotoStore::S3(s) if s.allow_http));
            assert_eq!(Config::default().photo_store().unwrap(), PhotoStore::Dir(PathBuf::from("photos")));
            Ok(())
        });
    }
}
