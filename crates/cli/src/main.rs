//! `needlepath`: the command line for the clinical decisions, and the clinic service
//! (`serve`) with its operations (`backup`, `restore`, `user`, `config show`, `openapi`).
//!
//! Exit status follows the contract (`docs/spec/README.md`): 0 when a decision was made, whatever
//! it is; 2 when the input is not valid, with one line on standard error naming the field; 1 for
//! any other failure. Nothing here decides anything: every answer comes from `needlepath-core`.

mod commands;
mod config;
mod logs;
mod photo_backup;
mod render;
mod render_limits;
mod seed;
mod service;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// What went wrong, and so which exit status it gets.
#[derive(Debug)]
pub enum Failure {
    /// The input is not valid (exit 2).
    Input(String),
    /// Anything else (exit 1).
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

impl From<needlepath_core::request::InputError> for Failure {
    fn from(e: needlepath_core::request::InputError) -> Self {
        Failure::Input(e.to_string())
    }
}

#[derive(Parser)]
#[command(
    name = "needlepath",
    version,
    about = "Microneedling for acne scars: screening, triage, can-I, series plans and aftercare, by a sourced protocol.",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    global: Global,
}

/// Options every command takes.
#[derive(Args, Clone)]
pub struct Global {
    /// Decide by this clinic protocol (TOML) instead of the built-in one; it may extend the
    /// built-in protocol and is checked against its safety floor.
    #[arg(long, global = true, value_name = "FILE")]
    pub protocol: Option<PathBuf>,
    /// Print the answer as JSON (the contract's result schema) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Is this person a candidate now? Reads a screening request (JSON) from FILE or stdin.
    Screen {
        /// The request file; `-` or absent = standard input.
        file: Option<PathBuf>,
    },
    /// How urgent is this check-in? Reads a check-in (JSON) from FILE or stdin.
    Triage {
        /// The check-in file; `-` or absent = standard input.
        file: Option<PathBuf>,
    },
    /// Can I do ACTIVITY now, H hours after the session?
    #[command(name = "can-i")]
    CanI {
        /// An activity code, e.g. makeup, exercise, sauna (see `needlepath protocol show`).
        activity: String,
        /// Hours since the session.
        #[arg(long, allow_hyphen_values = true, value_name = "H")]
        hours: String,
    },
    /// Plan a treatment series. Reads a plan request (JSON) from FILE or stdin.
    Plan {
        /// The request file; `-` or absent = standard input.
        file: Option<PathBuf>,
    },
    /// The dated pre-care and aftercare timeline of one session.
    Aftercare {
        /// When the session ended, RFC 3339 (e.g. 2026-11-21T10:30:00+01:00).
        #[arg(long, value_name = "TIME")]
        treated_at: String,
        /// The patient's IANA time zone (e.g. Europe/Berlin); default: the offset in TIME.
        #[arg(long, value_name = "ZONE")]
        tz: Option<String>,
        /// A background finding that changes pre-care (e.g. cold_sore_history); repeatable.
        #[arg(long = "finding", value_name = "CODE")]
        findings: Vec<String>,
        /// Which session of the series this is; some pre-care comes only before the first.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=20))]
        session_number: u32,
    },
    /// Check or show a protocol.
    Protocol {
        #[command(subcommand)]
        action: ProtocolAction,
    },
    /// Run the clinic service (web application and JSON API).
    Serve {
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Write a consistent copy of the live SQLite database to FILE (safe while serving), and
    /// the photos to FILE.photos/.
    Backup {
        /// The backup file to create; it must not exist.
        file: PathBuf,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Replace the SQLite database with a backup, and put the photos in FILE.photos/ back into
    /// the photo store. Stop the service first.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Replace an existing database (its current content is lost).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Manage staff accounts from the command line (for admins who are locked out).
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Show the effective configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print the OpenAPI 3.1 document of the JSON API.
    Openapi,
    /// Fill an empty database with a clinic group for the bench harness (crates/bench): the
    /// service writes one patient's history, which is copied to every patient; prints the
    /// logins to load with. Not for a database that holds real patients.
    Seed {
        #[command(flatten)]
        seed: seed::SeedArgs,
        #[command(flatten)]
        service: ServiceArgs,
    },
}

/// Where the service's configuration and database are.
#[derive(Args, Clone, Default)]
pub struct ServiceArgs {
    /// A TOML configuration file (also NEEDLEPATH_CONFIG).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// sqlite://PATH or postgres://... (also NEEDLEPATH_DATABASE_URL); default sqlite://needlepath.db.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Create the SQLite file if it does not exist (only the default path is created unasked).
    #[arg(long)]
    create_database: bool,
    /// Address to listen on (also NEEDLEPATH_LISTEN); default 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    listen: Option<std::net::SocketAddr>,
    /// How people reach the service, for links (also NEEDLEPATH_PUBLIC_URL).
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
}

impl ServiceArgs {
    fn load(&self, g: &Global) -> anyhow::Result<config::Config> {
        config::Config::load(self.config.as_ref(), &self.flags(g))
    }

    fn flags(&self, g: &Global) -> config::Flags {
        config::Flags {
            database_url: self.database_url.clone(),
            listen: self.listen,
            public_url: self.public_url.clone(),
            create_database: self.create_database.then_some(true),
            protocol: g.protocol.clone(),
        }
    }
}

#[derive(Subcommand)]
enum UserAction {
    /// Add a staff account; the password is read from NEEDLEPATH_PASSWORD or standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, practitioner or front_desk.
        #[arg(long)]
        role: String,
        /// The clinic's id, when the database holds several.
        #[arg(long)]
        clinic: Option<String>,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Set a new password (from NEEDLEPATH_PASSWORD or standard input) and end their sessions.
    Reset {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        service: ServiceArgs,
    },
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Print every effective value and where it came from; secrets are redacted.
    Show {
        #[command(flatten)]
        service: ServiceArgs,
    },
}

#[derive(Subcommand)]
enum ProtocolAction {
    /// Validate a protocol file and report every problem with its line and column.
    Check {
        /// The protocol file (TOML).
        file: PathBuf,
    },
    /// Print the protocol's rules with their sources (the built-in one, or --protocol FILE).
    Show,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let result = match cli.command {
        Command::Screen { file } => commands::screen(&cli.global, file.as_deref()),
        Command::Triage { file } => commands::triage(&cli.global, file.as_deref()),
        Command::CanI { activity, hours } => commands::can_i(&cli.global, &activity, &hours),
        Command::Plan { file } => commands::plan(&cli.global, file.as_deref()),
        Command::Aftercare { treated_at, tz, findings, session_number } => {
            commands::aftercare(&cli.global, &treated_at, tz.as_deref(), &findings, session_number)
        }
        Command::Protocol { action: ProtocolAction::Check { file } } => commands::protocol_check(&cli.global, &file),
        Command::Protocol { action: ProtocolAction::Show } => commands::protocol_show(&cli.global),
        Command::Serve { service } => {
            service.load(&cli.global).and_then(|c| service::serve(&c)).map(|()| String::new()).map_err(Failure::Other)
        }
        Command::Backup { file, service } => {
            service.load(&cli.global).and_then(|c| service::backup(&c, &file)).map_err(Failure::Other)
        }
        Command::Restore { file, force, service } => {
            service.load(&cli.global).and_then(|c| service::restore(&c, &file, force)).map_err(Failure::Other)
        }
        Command::User { action: UserAction::Add { email, name, role, clinic, service } } => service
            .load(&cli.global)
            .and_then(|c| service::user_add(&c, &email, &name, &role, clinic.as_deref()))
            .map_err(Failure::Other),
        Command::User { action: UserAction::Reset { email, service } } => {
            service.load(&cli.global).and_then(|c| service::user_reset(&c, &email)).map_err(Failure::Other)
        }
        Command::Config { action: ConfigAction::Show { service } } => {
            config::show(service.config.as_ref(), &service.flags(&cli.global)).map_err(Failure::Other)
        }
        Command::Openapi => service::openapi().map_err(Failure::Other),
        Command::Seed { seed, service } => {
            service.load(&cli.global).and_then(|c| service::seed(&c, &seed)).map_err(Failure::Other)
        }
    };
    match result {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`needlepath ... | head`) is not a failure of the decision.
            let _ = stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush());
            ExitCode::SUCCESS
        }
        Err(Failure::Input(msg)) => {
            eprintln!("needlepath: invalid input: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            eprintln!("needlepath: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Help and version are printed as clap formats them; a usage error becomes one line, exit 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        eprintln!("needlepath: invalid input: a command is required: {} (see needlepath --help)", missing_command());
        return ExitCode::from(2);
    }
    let text = e.render().to_string();
    let line: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:"))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .collect();
    eprintln!("needlepath: invalid input: {} (see needlepath --help)", line.join(" "));
    ExitCode::from(2)
}

/// The commands that could follow what was typed: `needlepath` → the top-level commands,
/// `needlepath protocol` → its actions.
fn missing_command() -> String {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    for arg in std::env::args().skip(1) {
        match cmd.find_subcommand(&arg) {
            Some(sub) => cmd = sub.clone(),
            None => break,
        }
    }
    cmd.get_subcommands().map(|s| s.get_name().to_owned()).filter(|n| n != "help").collect::<Vec<_>>().join(", ")
}
