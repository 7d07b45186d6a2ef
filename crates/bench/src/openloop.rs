//! The harness's own load generator: hyper's HTTP/1 client on a current-thread tokio runtime,
//! in its own process (`bench load --spec FILE`, pinned to CPU 1 by the caller).
//!
//! Two modes:
//! - **closed**: N connections, each sending its next request when the answer arrives — the
//!   maximum the server gives this mix;
//! - **open**: requests at a fixed rate, each at its intended time whatever the server is doing
//!   (a request takes an idle connection, or opens one up to `max_connections`, or waits for
//!   one). Latency is measured from the *intended* send time, so when the server stalls, every
//!   request scheduled during the stall counts its wait — the correction for coordinated
//!   omission that a closed loop (and wrk) lacks.
//!
//! Requests come from weighted groups (each group's requests taken in turn), interleaved
//! evenly. The result is one line of JSON on stdout.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::http::Req;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Spec {
    pub addr: SocketAddr,
    pub seconds: f64,
    pub mode: Mode,
    /// (weight, requests taken in turn).
    pub groups: Vec<(u32, Vec<Req>)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Mode {
    Closed { connections: usize },
    Open { rate: f64, max_connections: usize },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// Requests scheduled (open) or sent (closed).
    pub sent: u64,
    /// Requests answered.
    pub answered: u64,
    /// Answers per second over the run.
    pub rps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    /// Answers by status code.
    pub statuses: BTreeMap<u16, u64>,
    /// 503 answers carrying `Retry-After`.
    pub retry_after_503: u64,
    /// Connect failures, broken connections.
    pub io_errors: u64,
    /// Requests still unanswered 10 s after the schedule ended (given up).
    pub unfinished: u64,
    pub connections_opened: u64,
}

impl Outcome {
    pub fn count(&self, pred: impl Fn(u16) -> bool) -> u64 {
        self.statuses.iter().filter(|(s, _)| pred(**s)).map(|(_, n)| n).sum()
    }
}

pub fn run_spec_file(path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read the load spec {}", path.display()))?;
    let spec: Spec = serde_json::from_str(&text).context("the load spec")?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("tokio runtime")?;
    let outcome = rt.block_on(run(spec))?;
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

/// Which request comes next: groups interleaved by weight (smooth weighted round robin), each
/// group's requests in turn.
struct Picker {
    groups: Vec<(i64, i64, usize, Vec<Arc<Req>>)>,
    total: i64,
}

impl Picker {
    fn new(groups: Vec<(u32, Vec<Req>)>) -> Self {
        let groups: Vec<_> = groups
            .into_iter()
            .filter(|(w, r)| *w > 0 && !r.is_empty())
            .map(|(w, r)| (i64::from(w), 0, 0, r.into_iter().map(Arc::new).collect()))
            .collect();
        let total = groups.iter().map(|g| g.0).sum();
        Self { groups, total }
    }

    fn next(&mut self) -> Option<Arc<Req>> {
        for g in &mut self.groups {
            g.1 += g.0;
        }
        let best = self.groups.iter().enumerate().max_by_key(|(_, g)| g.1).map(|(i, _)| i)?;
        let total = self.total;
        let g = self.groups.get_mut(best)?;
        g.1 -= total;
        let req = g.3.get(g.2 % g.3.len())?.clone();
        g.2 += 1;
        Some(req)
    }
}

struct Shared {
    addr: SocketAddr,
    picker: Mutex<Picker>,
    stats: Mutex<Stats>,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
}

struct Stats {
    hist: Histogram<u64>,
    statuses: BTreeMap<u16, u64>,
    retry_after_503: u64,
    io_errors: u64,
    sent: u64,
    opened: u64,
    last_answer: Option<Instant>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn connect(shared: &Shared) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(shared.addr).await?;
    stream.set_nodelay(true)?;
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    lock(&shared.stats).opened += 1;
    Ok(send)
}

/// Sends `req` on `send`; whether the connection may be used again.
async fn exchange(shared: &Shared, send: &mut SendRequest<Full<Bytes>>, req: &Req, since: Instant) -> bool {
    let mut b = hyper::Request::builder().method(req.method.as_str()).uri(req.path.as_str());
    b = b.header("host", shared.addr.to_string());
    for (k, v) in &req.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let body = Full::new(Bytes::from(req.body.clone().unwrap_or_default()));
    let Ok(request) = b.body(body) else {
        lock(&shared.stats).io_errors += 1;
        return false;
    };
    lock(&shared.stats).sent += 1;
    if send.ready().await.is_err() {
        lock(&shared.stats).io_errors += 1;
        return false;
    }
    let answer = match send.send_request(request).await {
        Ok(r) => r,
        Err(_) => {
            lock(&shared.stats).io_errors += 1;
            return false;
        }
    };
    let status = answer.status().as_u16();
    let retry_after = answer.headers().contains_key("retry-after");
    let close = answer.headers().get("connection").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
    let read = answer.into_body().collect().await.is_ok();
    let now = Instant::now();
    let mut s = lock(&shared.stats);
    if !read {
        s.io_errors += 1;
        return false;
    }
    let us = u64::try_from(now.duration_since(since).as_micros()).unwrap_or(u64::MAX).max(1);
    let high = s.hist.high();
    let _ = s.hist.record(us.min(high));
    *s.statuses.entry(status).or_default() += 1;
    if status == 503 && retry_after {
        s.retry_after_503 += 1;
    }
    s.last_answer = Some(now);
    !close
}

pub async fn run(spec: Spec) -> anyhow::Result<Outcome> {
    let hist = Histogram::new_with_bounds(1, 120_000_000, 3).context("histogram")?;
    let shared = Arc::new(Shared {
        addr: spec.addr,
        picker: Mutex::new(Picker::new(spec.groups.clone())),
        stats: Mutex::new(Stats {
            hist,
            statuses: BTreeMap::new(),
            retry_after_503: 0,
            io_errors: 0,
            sent: 0,
            opened: 0,
            last_answer: None,
        }),
        idle: Mutex::new(Vec::new()),
    });
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(spec.seconds);
    let mut tasks = tokio::task::JoinSet::new();
    match spec.mode {
        Mode::Closed { connections } => {
            for _ in 0..connections {
                let shared = shared.clone();
                tasks.spawn(async move {
                    let mut conn: Option<SendRequest<Full<Bytes>>> = None;
                    while Instant::now() < end {
                        let mut send = match conn.take() {
                            Some(c) => c,
                            None => match connect(&shared).await {
                                Ok(c) => c,
                                Err(_) => {
                                    lock(&shared.stats).io_errors += 1;
                                    tokio::time::sleep(Duration::from_millis(10)).await;
                                    continue;
                                }
                            },
                        };
                        let Some(req) = lock(&shared.picker).next() else { return };
                        if exchange(&shared, &mut send, &req, Instant::now()).await {
                            conn = Some(send);
                        }
                    }
                });
            }
        }
        Mode::Open { rate, max_connections } => {
            let slots = Arc::new(tokio::sync::Semaphore::new(max_connections.max(1)));
            let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
            let mut k: u32 = 0;
            loop {
                let intended = start + interval * k;
                if intended >= end {
                    break;
                }
                // The timer ticks in milliseconds, which would send each request up to 1 ms late
                // (and count it as latency): sleep to within a millisecond, then yield until due.
                // The generator has its CPU to itself.
                if let Some(near) = intended.checked_sub(Duration::from_millis(1))
                    && near > Instant::now()
                {
                    tokio::time::sleep_until(near).await;
                }
                while Instant::now() < intended {
                    tokio::task::yield_now().await;
                }
                // Everything due by now goes out.
                let now = Instant::now();
                while start + interval * k <= now && start + interval * k < end {
                    let intended = start + interval * k;
                    k += 1;
                    let (shared, slots) = (shared.clone(), slots.clone());
                    tasks.spawn(async move {
                        let Ok(_slot) = slots.acquire_owned().await else { return };
                        let Some(req) = lock(&shared.picker).next() else { return };
                        let idle = lock(&shared.idle).pop();
                        let mut send = match idle {
                            Some(c) if !c.is_closed() => c,
                            _ => match connect(&shared).await {
                                Ok(c) => c,
                                Err(_) => {
                                    lock(&shared.stats).io_errors += 1;
                                    return;
                                }
                            },
                        };
                        if exchange(&shared, &mut send, &req, intended).await {
                            lock(&shared.idle).push(send);
                        }
                    });
                }
            }
        }
    }
    // Requests still out get 10 s to finish; the rest are counted as unfinished.
    let grace =
        tokio::time::timeout(Duration::from_secs(10), async { while tasks.join_next().await.is_some() {} }).await;
    let unfinished = if grace.is_err() { tasks.len() as u64 } else { 0 };
    tasks.abort_all();
    let s = lock(&shared.stats);
    let elapsed = s.last_answer.map_or(spec.seconds, |t| t.duration_since(start).as_secs_f64()).max(spec.seconds);
    let answered = s.hist.len();
    Ok(Outcome {
        sent: s.sent,
        answered,
        rps: answered as f64 / elapsed,
        p50_us: s.hist.value_at_quantile(0.50),
        p99_us: s.hist.value_at_quantile(0.99),
        p999_us: s.hist.value_at_quantile(0.999),
        max_us: s.hist.max(),
        statuses: s.statuses.clone(),
        retry_after_503: s.retry_after_503,
        io_errors: s.io_errors,
        unfinished,
        connections_opened: s.opened,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_interleaved_by_weight_and_their_requests_taken_in_turn() {
        let mut p = Picker::new(vec![(3, vec![Req::get("/a1"), Req::get("/a2")]), (1, vec![Req::get("/b")])]);
        let got: Vec<String> = (0..8).filter_map(|_| p.next()).map(|r| r.path.clone()).collect();
        assert_eq!(got.iter().filter(|p| p.as_str() == "/b").count(), 2, "{got:?}");
        assert_eq!(got.iter().filter(|p| p.as_str() == "/a1").count(), 3, "{got:?}");
    }
}
