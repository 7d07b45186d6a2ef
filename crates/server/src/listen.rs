//! The accept loop: every connection the service takes, with deadlines on each part of a
//! request and a limit on how many are open.
//!
//! `axum::serve` has no timeouts: a request half sent stayed open for 400 s and more, and about
//! 20,000 of them took every file handle, so `/healthz` stopped answering (issue 14, defect 4).
//! Here each connection is served by hyper-util (HTTP/1, as before: the service never offered
//! HTTP/2) with:
//!
//! - a **header** deadline (hyper's `header_read_timeout`): a request's head must arrive within
//!   `header_timeout` of the service starting to wait for it — the connection opening, or the
//!   previous answer on a kept-alive connection; else the connection is closed;
//! - a **body** deadline (`deadline::DeadlineBody`): the whole body within `body_timeout` of the
//!   head, however steadily it trickles; the body reader answers 408 `request_timeout` and the
//!   connection is closed after it;
//! - an **idle** deadline: a connection with no request being answered and nothing written to
//!   its client for `idle_timeout` is closed whatever state it is in, and so is one whose client
//!   has taken none of an answer for that long (`deadline::WriteStall`);
//! - a **limit** on open connections (`slots`): when it is reached, the connection quiet longest
//!   (no request being answered: an idle or half-sent one) is closed to make room, so a flood of
//!   connections that never finish a request cannot keep out a client that asks promptly. Only
//!   when every open connection is answering a request is a newcomer refused, at once, with a
//!   503 — rather than left in the kernel's backlog, where it would wait behind the flood with
//!   no answer at all.
//!
//! Shutdown stops accepting, lets requests being answered finish (up to the grace period) and
//! closes the rest. Handlers still read the peer address as `ConnectInfo<SocketAddr>`.

mod deadline;
mod slots;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::{Body as _, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, sleep_until};
use tower::ServiceExt as _;

pub use self::deadline::BodyTimedOut;
use self::deadline::{Answer, DeadlineBody, WriteStall, WriteStalled};
use self::slots::{Admission, Conn, Slot, Slots};
use crate::App;
use crate::metrics::Metrics;
use crate::problem::ApiError;

/// How long a connection may take over each part of a request, and how many may be open.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A request's head must arrive within this long of the service waiting for it (the
    /// connection opening, or the previous answer): so also how long a kept-alive connection
    /// may sit quiet between requests.
    pub header_timeout: Duration,
    /// A request's body must arrive in full within this long of its head.
    pub body_timeout: Duration,
    /// A connection with no request being answered (and nothing written to its client), or
    /// whose client takes none of an answer, for this long is closed.
    pub idle_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: default_max_connections(),
        }
    }
}

/// File handles kept back from connections for everything else the process opens: the
/// database, outbound deliveries, the log.
fn reserved_files(soft_limit: u64) -> u64 {
    (soft_limit / 8).max(64)
}

/// The default limit: what the process's soft limit on open files leaves after
/// [`reserved_files`], between 16 and 4096 (each connection costs a task and its buffers; a
/// clinic's service has no use for more). 896 under the usual limit of 1024.
pub fn default_max_connections() -> usize {
    let soft = open_files_limit().unwrap_or(1024);
    let n = soft.saturating_sub(reserved_files(soft)).clamp(16, 4096);
    usize::try_from(n).unwrap_or(4096)
}

/// The soft limit on open files, where the system says (Linux's `/proc/self/limits`).
pub fn open_files_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("Max open files"))?;
    line.split_whitespace().next()?.parse().ok()
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting, lets
/// requests being answered finish for up to `grace`, and closes what remains.
pub async fn run(
    app: Arc<App>,
    router: Router,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let limits = app.config.connections.clone();
    if let Some(soft) = open_files_limit()
        && limits.max_connections as u64 > soft.saturating_sub(reserved_files(soft))
    {
        tracing::warn!(
            max_connections = limits.max_connections,
            open_files_limit = soft,
            "max_connections is more than the open-files limit leaves room for; raise the limit (ulimit -n) or lower max_connections"
        );
    }
    let slots = Slots::new(limits.max_connections, app.metrics.connections_open.clone());
    let refusal = refusal_bytes();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Err(e) = done && e.is_panic() {
                    tracing::error!("a connection's task panicked");
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let Some(slot) = admit(&app, &slots, &stream, &refusal) else { continue };
                    if let Err(e) = stream.set_nodelay(true) {
                        tracing::debug!(error = %e, "TCP_NODELAY not set");
                    }
                    let conn = Connection { app: app.clone(), router: router.clone(), limits: limits.clone(), peer };
                    tasks.spawn(conn.serve(stream, slot, stop_rx.clone()));
                }
                Err(e) => accept_failed(e, &slots).await,
            },
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!("in-flight requests did not finish within {}s; stopping", grace.as_secs());
        tasks.abort_all();
    }
    Ok(())
}

/// A slot for a connection just accepted, or `None` when it was refused (answered 503 and
/// closed here).
fn admit(app: &App, slots: &Arc<Slots>, stream: &TcpStream, refusal: &[u8]) -> Option<Slot> {
    match slots.admit() {
        Admission::Open { slot, evicted } => {
            if evicted {
                Metrics::inc(&app.metrics.connections_evicted);
                tracing::debug!("connection limit reached: closed the connection quiet longest to make room");
            }
            Some(slot)
        }
        Admission::Refused => {
            Metrics::inc(&app.metrics.connections_refused);
            tracing::debug!("connection limit reached and every connection is answering a request: refused");
            // A fresh socket's send buffer is empty, so this never waits; whether the client
            // reads it or not, the connection is closed when `stream` is dropped.
            let _ = stream.try_write(refusal);
            None
        }
    }
}

/// The answer to a connection refused for want of a slot: 503 problem+json, try again shortly.
fn refusal_bytes() -> Vec<u8> {
    let problem = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "too_many_connections",
        "the service is answering as many requests as it can; try again in a moment",
    )
    .problem();
    let body = serde_json::to_string(&problem).unwrap_or_default();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// An accept that failed. Out of file handles (EMFILE, ENFILE), the quietest connection is
/// closed to free one; other failures are retried after a pause, as hyper 0.14 and axum do.
async fn accept_failed(e: std::io::Error, slots: &Slots) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    const EMFILE: i32 = 24;
    const ENFILE: i32 = 23;
    if matches!(e.raw_os_error(), Some(EMFILE | ENFILE)) && slots.evict_one() {
        tracing::warn!(error = %e, "out of file handles: closed the connection quiet longest");
        sleep(Duration::from_millis(10)).await;
        return;
    }
    tracing::error!(error = %e, "accept failed");
    sleep(Duration::from_secs(1)).await;
}

/// One accepted connection and what serving it needs.
struct Connection {
    app: Arc<App>,
    router: Router,
    limits: Limits,
    peer: SocketAddr,
}

impl Connection {
    /// Serves the connection until it ends, times out, is pushed out for a newer one, or the
    /// service stops.
    async fn serve(self, stream: TcpStream, slot: Slot, mut stop: watch::Receiver<bool>) {
        let (app, limits) = (self.app.clone(), self.limits.clone());
        let conn = slot.conn().clone();
        let io = TokioIo::new(WriteStall::new(stream, limits.idle_timeout, conn.clone()));
        let service = PerRequest {
            app: app.clone(),
            router: self.router.clone(),
            peer: self.peer,
            conn: conn.clone(),
            body_timeout: limits.body_timeout,
        };
        let mut builder = auto::Builder::new(TokioExecutor::new()).http1_only();
        builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
        let mut served = pin!(builder.serve_connection(io, service));
        // When shutdown was asked. Requests being answered finish; a connection with none
        // (sending a head, idle, or done but for writing its last answer) is dropped once it has
        // written nothing for SHUTDOWN_LINGER.
        let mut closing: Option<Instant> = None;
        let linger_until = |asked: Instant| asked.max(conn.quiet_since()) + SHUTDOWN_LINGER;
        loop {
            let now = Instant::now();
            let quiet = conn.in_flight() == 0;
            let idle_at = if quiet { conn.quiet_since() + limits.idle_timeout } else { now + limits.idle_timeout };
            let wake = match closing {
                Some(asked) if quiet => linger_until(asked).min(idle_at),
                _ => idle_at,
            };
            tokio::select! {
                result = served.as_mut() => {
                    if let Err(e) = result {
                        self.ended_with(&*e);
                    }
                    return;
                }
                () = conn.evicted() => {
                    if conn.in_flight() == 0 {
                        return;
                    }
                    // A request began as it was chosen: it is answered, then hyper closes the
                    // connection.
                    served.as_mut().graceful_shutdown();
                }
                _ = stop.changed(), if closing.is_none() => {
                    served.as_mut().graceful_shutdown();
                    closing = Some(Instant::now() + SHUTDOWN_LINGER);
                }
                () = sleep_until(wake) => {
                    let now = Instant::now();
                    if conn.in_flight() == 0 {
                        if closing.is_some_and(|asked| now >= linger_until(asked)) {
                            return;
                        }
                        if now >= conn.quiet_since() + limits.idle_timeout {
                            Metrics::inc(&app.metrics.idle_timeouts);
                            tracing::debug!(peer = %self.peer, "closed: no request for {} s", limits.idle_timeout.as_secs());
                            return;
                        }
                    }
                }
            }
        }
    }
}

impl Connection {
    /// Counts and logs what ended a connection in error.
    fn ended_with(&self, e: &(dyn std::error::Error + 'static)) {
        if e.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_timeout) {
            Metrics::inc(&self.app.metrics.header_timeouts);
            tracing::debug!(peer = %self.peer, "closed: the request's head did not arrive in time");
        } else if caused_by::<WriteStalled>(e) {
            Metrics::inc(&self.app.metrics.write_timeouts);
            tracing::debug!(peer = %self.peer, "closed: the client took none of its answer in time");
        } else {
            tracing::debug!(peer = %self.peer, error = %e, "connection ended with an error");
        }
    }
}

/// Whether `T` is somewhere in `e`'s chain of sources (an I/O error's payload included).
fn caused_by<T: std::error::Error + 'static>(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(e) = cur {
        if e.is::<T>()
            || e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).is_some_and(|inner| inner.is::<T>())
        {
            return true;
        }
        cur = e.source();
    }
    false
}

/// How long, after shutdown is asked, a connection with no request being answered may go
/// without writing (the rest of an answer already made) before it is dropped.
const SHUTDOWN_LINGER: Duration = Duration::from_millis(500);

/// The service for one connection's requests: the router, with the peer's address, a deadline
/// on the body, and the request counted as in flight until its answer is written.
struct PerRequest {
    app: Arc<App>,
    router: Router,
    peer: SocketAddr,
    conn: Arc<Conn>,
    body_timeout: Duration,
}

impl hyper::service::Service<Request<Incoming>> for PerRequest {
    type Response = Response<Answer>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Answer>, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let in_flight = self.conn.begin();
        let expired = Arc::new(AtomicBool::new(false));
        let (mut parts, body) = req.into_parts();
        parts.extensions.insert(ConnectInfo(self.peer));
        let body = if body.is_end_stream() {
            axum::body::Body::new(body)
        } else {
            axum::body::Body::new(DeadlineBody::new(body, self.body_timeout, expired.clone()))
        };
        let req = Request::from_parts(parts, body);
        let (router, app) = (self.router.clone(), self.app.clone());
        Box::pin(async move {
            let Ok(mut res) = router.oneshot(req).await;
            if expired.load(Ordering::Acquire) {
                // The rest of the body is not read: the connection cannot carry another request.
                Metrics::inc(&app.metrics.body_timeouts);
                res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok(res.map(|inner| Answer { inner, _in_flight: in_flight }))
        })
    }
}
