//! The clinic service: the JSON API under `/api/v1`, authentication and sessions, the alert
//! queue, audit, health and metrics.
//!
//! The engine (`needlepath-core`) decides; the store keeps the decision and its consequences in
//! one transaction; this crate parses requests at the edge, checks who may do what
//! (`routes.rs` holds every route with its access rule, and the router, the OpenAPI document
//! and the access-matrix test are all built from that one table), and answers.

pub mod api;
pub mod auth;
pub mod body;
pub mod calendar;
pub mod clinic;
pub mod delivery;
pub mod front;
#[doc(hidden)]
pub mod fuzzing;
pub mod i18n;
#[cfg(test)]
mod layering;
pub mod listen;
pub mod metrics;
pub mod openapi;
mod openapi_inputs;
pub mod overload;
pub mod pages;
pub mod paging;
pub mod photos;
pub mod policy;
pub mod problem;
pub mod reach;
pub mod reasons;
pub mod reminders;
pub mod routes;
pub mod schedule;
pub mod warnings;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use chrono::Utc;
use needlepath_core::protocol::Protocol;
use needlepath_store::{ClinicId, Store};
use tokio::net::TcpListener;

use crate::auth::limiter::FailureLimiter;
use crate::problem::ApiError;

/// What the service needs to know to run (the command line fills it from flags, environment
/// and the configuration file).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The address the service listens on.
    pub listen: SocketAddr,
    /// How patients and staff reach the service, for links (setup, invites).
    pub public_url: String,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// How long a staff login lasts.
    pub staff_session_hours: u32,
    /// How long a patient's login (from an invite) lasts.
    pub patient_session_days: u32,
    /// How long an invite link stays valid.
    pub invite_hours: u32,
    /// Login attempts at an account from one address (or from one known device) within the
    /// window before each further one waits, the wait doubling up to 15 minutes; from all
    /// addresses without a known device, four times as many (`clinic::login_throttle`).
    pub login_failures_per_account: u32,
    /// Login attempts from one client address, over all accounts, before each further one waits.
    pub login_failures_per_address: u32,
    /// Attempts are forgotten once this long has passed since the last.
    pub login_window_minutes: u32,
    /// Check-ins a patient may send in an hour before a routine one is refused (one that opens
    /// an alert is always taken).
    pub check_ins_per_patient_per_hour: u32,
    /// How long in-flight requests get to finish on shutdown.
    pub shutdown_grace_seconds: u32,
    /// Deadlines on each part of a request, and how many connections may be open.
    pub connections: listen::Limits,
    /// The outbox worker and the channels it delivers through.
    pub reminders: reminders::ReminderConfig,
    /// Where photos' images are kept (`photos::DirBlobs`, by content hash) when `photo_store`
    /// is not set. `None` keeps them in memory only, lost when the service stops: for tests; the
    /// command line always sets `photo_store` (the directory, by default `photos` beside the
    /// SQLite file, or an S3 bucket), checked before it serves.
    pub photos_dir: Option<std::path::PathBuf>,
    /// A photo store the caller made and checked (an S3 bucket: `photos::S3Blobs::open`), used
    /// instead of `photos_dir` when set.
    pub photo_store: Option<Arc<dyn photos::PhotoBlobs>>,
    /// One log line per request (method, route template, status, milliseconds).
    pub access_log: bool,
    /// Requests answered at once before the excess gets `503 overloaded` (`overload.rs`; 0: no
    /// limit). Check-ins and `/healthz` are never refused.
    pub max_requests_in_flight: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            trusted_proxies: Vec::new(),
            staff_session_hours: 12,
            patient_session_days: 30,
            invite_hours: 72,
            login_failures_per_account: 5,
            login_failures_per_address: 20,
            login_window_minutes: 15,
            check_ins_per_patient_per_hour: 20,
            shutdown_grace_seconds: 30,
            connections: listen::Limits::default(),
            reminders: reminders::ReminderConfig::default(),
            photos_dir: None,
            photo_store: None,
            access_log: true,
            max_requests_in_flight: 256,
        }
    }
}

impl ServerConfig {
    /// Cookies get `Secure` whenever the service is reached over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// The shared state of a running service.
pub struct App {
    /// The store as the application layer reaches it (`clinic::Records`).
    pub records: clinic::Records,
    /// Where "now" comes from for the application layer.
    pub clock: Arc<dyn clinic::Clock>,
    pub protocol: Arc<Protocol>,
    pub config: ServerConfig,
    /// Sign-in links asked for, per e-mail address and per client address (`api::access`).
    pub sign_in_by_address: FailureLimiter,
    pub sign_in_by_ip: FailureLimiter,
    pub metrics: metrics::Metrics,
    /// Requests being answered now (`overload.rs`).
    pub in_flight: overload::InFlight,
    /// Turns for Argon2 work (`clinic::access::password_work`): bounded, so a login flood
    /// cannot take the memory.
    pub password_work: tokio::sync::Semaphore,
    /// The threads that run it.
    pub password_threads: clinic::access::PasswordThreads,
    /// Each clinic's own protocol, parsed, with the hash of the text it was parsed from.
    clinic_protocols: Mutex<HashMap<ClinicId, (String, Arc<Protocol>)>>,
    /// The installation's unsubscribe key, read from the store once (`clinic::unsubscribe`).
    unsubscribe_key: tokio::sync::OnceCell<String>,
    /// Where photos' images and thumbnails are kept (`config.photo_store`, else
    /// `config.photos_dir`).
    pub photos: Arc<dyn photos::PhotoBlobs>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, protocol: Arc<Protocol>, config: ServerConfig) -> Arc<Self> {
        Self::with_clock(store, protocol, config, Arc::new(clinic::SystemClock))
    }

    /// A service whose application layer reads the time from `clock` (tests hand in a
    /// [`clinic::TravelClock`]).
    pub fn with_clock(
        store: Arc<dyn Store>,
        protocol: Arc<Protocol>,
        config: ServerConfig,
        clock: Arc<dyn clinic::Clock>,
    ) -> Arc<Self> {
        let photos: Arc<dyn photos::PhotoBlobs> = match (&config.photo_store, &config.photos_dir) {
            (Some(chosen), _) => chosen.clone(),
            (None, Some(dir)) => Arc::new(photos::DirBlobs::new(dir)),
            (None, None) => Arc::new(photos::MemoryBlobs::default()),
        };
        Arc::new(Self {
            photos,
            sign_in_by_address: FailureLimiter::new(clinic::access::PER_ADDRESS_PER_HOUR, Duration::from_secs(3600)),
            sign_in_by_ip: FailureLimiter::new(clinic::access::PER_IP_PER_HOUR, Duration::from_secs(3600)),
            records: clinic::Records::new(store),
            clock,
            protocol,
            config,
            metrics: metrics::Metrics::default(),
            in_flight: overload::InFlight::default(),
            password_work: tokio::sync::Semaphore::new(clinic::access::password_work_permits()),
            password_threads: clinic::access::PasswordThreads::start(clinic::access::password_work_permits()),
            clinic_protocols: Mutex::new(HashMap::new()),
            unsubscribe_key: tokio::sync::OnceCell::new(),
        })
    }

    /// Now, by the service's clock.
    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.clock.now()
    }

    /// The protocol a clinic's own decisions (screenings, plans, check-ins) are made by: the
    /// clinic's protocol from its settings, merged over the service's protocol, or the service's
    /// protocol when the clinic has none. Parsed once per text (cached by its hash).
    ///
    /// A stored clinic protocol was checked against the safety floor when it was saved. Should
    /// it no longer load (a newer service protocol with a stricter floor), decisions fall back
    /// to the service's protocol — itself the floor the clinic file could only tighten — and the
    /// problem is logged, so a patient's check-in is still triaged.
    pub async fn protocol_for(&self, clinic: ClinicId) -> Result<Arc<Protocol>, ApiError> {
        Ok(self.protocol_of(&clinic::clinic_by_id(self, clinic).await?))
    }

    /// [`App::protocol_for`] for a clinic already read (a use case that read it in its unit does
    /// not read it again).
    pub fn protocol_of(&self, clinic: &needlepath_store::Clinic) -> Arc<Protocol> {
        let Some(text) = clinic.settings.protocol.as_ref().filter(|t| !t.trim().is_empty()) else {
            return self.protocol.clone();
        };
        let hash = auth::secrets::token_hash(text);
        if let Ok(cache) = self.clinic_protocols.lock()
            && let Some((h, p)) = cache.get(&clinic.id)
            && *h == hash
        {
            return p.clone();
        }
        match Protocol::parse(text, Some(&self.protocol)) {
            Ok(p) => {
                let p = Arc::new(p);
                if let Ok(mut cache) = self.clinic_protocols.lock() {
                    cache.insert(clinic.id, (hash, p.clone()));
                }
                p
            }
            Err(e) => {
                tracing::error!(clinic = %clinic.id, error = %e, "the clinic's stored protocol no longer loads; deciding by the service's protocol");
                self.protocol.clone()
            }
        }
    }
}

/// The whole HTTP surface.
pub fn router(app: Arc<App>) -> Router {
    routes::build(app)
}

pub use clinic::setup::setup_link;

/// Serves until `shutdown` completes, then lets in-flight requests finish (up to the grace
/// period) before returning. Connections are taken by [`listen::run`], with its deadlines and
/// connection limit.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn(sweep_missed_check_ins(app.clone()));
    let (worker_stop, worker_stopped) = tokio::sync::watch::channel(false);
    let worker = if app.config.reminders.worker {
        let couriers = reminders::Couriers::new(&app.config.reminders)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let w = reminders::Worker::new(app.clone(), Arc::new(couriers));
        tracing::info!(worker = %w.id(), "outbox worker started");
        Some(tokio::spawn(w.run(worker_stopped)))
    } else {
        None
    };
    let grace = Duration::from_secs(u64::from(app.config.shutdown_grace_seconds));
    let result = listen::run(app.clone(), router(app.clone()), listener, shutdown, grace).await;
    sweeper.abort();
    // The worker finishes its round (deliveries in flight get recorded) before the service ends.
    let _ = worker_stop.send(true);
    if let Some(w) = worker {
        let _ = tokio::time::timeout(grace, w).await;
    }
    result
}

/// Raises follow-ups for patients silent past a scheduled check-in, once a minute.
async fn sweep_missed_check_ins(app: Arc<App>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        match clinic::ops::raise_missed_check_ins(&app, Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(raised = n, "follow-ups raised for missed check-ins"),
            Err(e) => tracing::warn!(error = %e, "missed check-in sweep failed"),
        }
        // Login attempts past their window are forgotten anyway; their rows go too, so guesses
        // at many made-up e-mails do not pile up.
        if let Err(e) = clinic::login_throttle::prune(&app).await {
            tracing::warn!(error = %e, "pruning old login attempts failed");
        }
    }
}
