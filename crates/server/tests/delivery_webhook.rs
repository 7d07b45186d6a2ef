#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Webhook delivery against real HTTP servers: an in-process sink on 127.0.0.1 that counts
//! connections and records requests, and for https `tests/python/https_sink.py` (Python's TLS)
//! with a throwaway CA from `make_certs.py`.

#[path = "support/python.rs"]
mod python;

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use needlepath_server::delivery::{WebhookConfig, WebhookSender, signature, verify};
use serde_json::json;

const SECRET: &str = "test-secret-0123456789";

#[derive(Debug, Clone)]
struct Recorded {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// An HTTP/1 server on 127.0.0.1: `/status/NNN` answers NNN (302 with a `Location`), anything
/// else 202. Counts the TCP connections it accepts.
struct Sink {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Sink {
    async fn start() -> Sink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (conns, reqs) = (connections.clone(), requests.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                conns.fetch_add(1, Ordering::SeqCst);
                let reqs = reqs.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let reqs = reqs.clone();
                        async move { Ok::<_, Infallible>(answer(req, &reqs).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Sink { addr, connections, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn recorded(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

async fn answer(req: Request<Incoming>, reqs: &Mutex<Vec<Recorded>>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let headers = req.headers().clone();
    let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    reqs.lock().unwrap().push(Recorded { path: path.clone(), headers, body });
    let status = path.strip_prefix("/status/").and_then(|s| s.parse().ok()).unwrap_or(202);
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    if status == 302 {
        response.headers_mut().insert("location", "/elsewhere".parse().unwrap());
    }
    response
}

fn config(url: &str, allow_private_addresses: bool) -> WebhookConfig {
    WebhookConfig { url: url.into(), secret: SECRET.into(), allow_private_addresses, timeout_seconds: 2 }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap()
}

fn body() -> serde_json::Value {
    json!({"kind": "check_in_due", "patient": "p-7", "text": "Zoë, time for your check-in ✓", "sources": [1, 2]})
}

#[tokio::test]
async fn signed_post_arrives_with_headers_and_a_signature_that_verifies() {
    let sink = Sink::start().await;
    let sender = WebhookSender::new(&config(&sink.url("/hook"), true)).unwrap();
    let delivered = sender.post("reminder:42/2026-03-01", &body(), now()).await.unwrap();
    assert_eq!(delivered.detail, "HTTP 202");

    let got = sink.recorded();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    let h = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(r.path, "/hook");
    assert_eq!(h("content-type"), "application/json");
    assert_eq!(h("idempotency-key"), "reminder:42/2026-03-01");
    assert_eq!(h("x-needlepath-timestamp"), now().timestamp().to_string());
    assert_eq!(r.body, serde_json::to_vec(&body()).unwrap(), "the body is the JSON, byte for byte");
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&r.body).unwrap(), body());
    let sig = h("x-needlepath-signature");
    assert!(sig.starts_with("v1=") && sig.len() == 67, "{sig}");
    let later = now() + chrono::Duration::seconds(30);
    assert!(verify(SECRET, now().timestamp(), &r.body, &sig, later, 300), "the receiver's check passes");
}

#[tokio::test]
async fn status_mapping_2xx_delivered_408_425_429_5xx_retryable_other_4xx_and_redirects_permanent() {
    let sink = Sink::start().await;
    let post = |status: u16| {
        let sender = WebhookSender::new(&config(&sink.url(&format!("/status/{status}")), true)).unwrap();
        async move { sender.post("k-1", &body(), now()).await }
    };
    assert_eq!(post(204).await.unwrap().detail, "HTTP 204");
    assert_eq!(post(200).await.unwrap().detail, "HTTP 200");
    for status in [500, 502, 503, 429, 408, 425] {
        let err = post(status).await.unwrap_err();
        assert!(err.retryable, "{status}: {err}");
        assert!(err.reason.contains(&format!("HTTP {status}")), "{}", err.reason);
    }
    for status in [400, 401, 404, 410, 422] {
        let err = post(status).await.unwrap_err();
        assert!(!err.retryable, "{status}: {err}");
        assert!(err.reason.contains(&format!("HTTP {status}")), "{}", err.reason);
    }
    let err = post(302).await.unwrap_err();
    eprintln!("reason: {}", err.reason);
    assert!(!err.retryable && err.reason.contains("redirect") && err.reason.contains("webhook.url"), "{}", err.reason);
    assert!(sink.recorded().iter().all(|r| r.path != "/elsewhere"), "the redirect was not followed");
}

#[tokio::test]
async fn private_destinations_are_refused_without_any_connection() {
    let sink = Sink::start().await;
    let port = sink.addr.port();
    let cases = [
        (format!("http://127.0.0.1:{port}/hook"), "loopback"),
        (format!("http://[::1]:{port}/hook"), "loopback"),
        (format!("http://localhost:{port}/hook"), "loopback"),
        (format!("http://127.1:{port}/hook"), "loopback"),
        (format!("http://[::ffff:127.0.0.1]:{port}/hook"), "loopback"),
        (format!("http://0.0.0.0:{port}/hook"), "unspecified"),
        ("http://10.0.0.1/hook".to_string(), "private-network"),
        ("https://192.168.1.20/hook".to_string(), "private-network"),
        ("http://169.254.169.254/latest/meta-data/".to_string(), "link-local"),
        ("http://[fe80::1]/hook".to_string(), "link-local"),
        ("http://100.64.0.1/hook".to_string(), "carrier-grade NAT"),
    ];
    for (url, class) in &cases {
        let started = Instant::now();
        let err = WebhookSender::new(&config(url, false)).unwrap().post("k", &body(), now()).await.unwrap_err();
        eprintln!("{url}: {}", err.reason);
        assert!(!err.retryable, "{url}: {err}");
        assert!(err.reason.contains(class), "{url}: {}", err.reason);
        assert!(err.reason.contains("allow_private_addresses = true"), "{url}: {}", err.reason);
        assert!(started.elapsed() < Duration::from_secs(1), "{url} was refused before connecting");
    }
    assert_eq!(sink.connections.load(Ordering::SeqCst), 0, "no connection reached the sink");
    assert!(sink.recorded().is_empty());
}

#[tokio::test]
async fn names_go_through_the_guarded_resolver_and_reach_localhost_only_when_allowed() {
    let sink = Sink::start().await;
    let url = format!("http://localhost:{}/hook", sink.addr.port());
    let refused = WebhookSender::new(&config(&url, false)).unwrap().post("k", &body(), now()).await.unwrap_err();
    assert!(
        refused.reason.contains("localhost (127.0.0.1)") || refused.reason.contains("localhost (::1)"),
        "{}",
        refused.reason
    );
    assert_eq!(sink.connections.load(Ordering::SeqCst), 0);
    let delivered = WebhookSender::new(&config(&url, true)).unwrap().post("k", &body(), now()).await.unwrap();
    assert_eq!(delivered.detail, "HTTP 202");
    assert_eq!(sink.recorded().len(), 1);
}

#[tokio::test]
async fn connection_refused_and_no_answer_are_retryable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hook");
    let err = WebhookSender::new(&config(&url, true)).unwrap().post("k", &body(), now()).await.unwrap_err();
    eprintln!("reason: {}", err.reason);
    assert!(err.retryable && err.reason.contains("connect"), "{}", err.reason);

    // Accepts, reads, never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", silent.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let started = Instant::now();
    let err = WebhookSender::new(&config(&url, true)).unwrap().post("k", &body(), now()).await.unwrap_err();
    eprintln!("reason: {}", err.reason);
    assert!(err.retryable && err.reason.contains("no answer"), "{}", err.reason);
    assert!(started.elapsed() < Duration::from_secs(5));
    hold.abort();
}

#[test]
fn verify_rejects_a_changed_body_a_wrong_secret_and_stale_or_future_timestamps() {
    let ts = now().timestamp();
    let body = br#"{"a":1}"#;
    let sig = signature(SECRET, ts, body);
    assert!(verify(SECRET, ts, body, &sig, now(), 300));
    assert!(!verify(SECRET, ts, br#"{"a":2}"#, &sig, now(), 300), "changed body");
    assert!(!verify("another-secret-0123456789", ts, body, &sig, now(), 300), "wrong secret");
    assert!(!verify(SECRET, ts + 1, body, &sig, now(), 300), "the timestamp is signed too");
    let stale = now() + chrono::Duration::seconds(301);
    assert!(!verify(SECRET, ts, body, &sig, stale, 300), "stale timestamp");
    assert!(verify(SECRET, ts, body, &sig, now() + chrono::Duration::seconds(300), 300), "at the edge");
    let early = now() - chrono::Duration::seconds(301);
    assert!(!verify(SECRET, ts, body, &sig, early, 300), "timestamp from the future");
    assert!(!verify(SECRET, ts, body, "", now(), 300));
    assert!(!verify(SECRET, ts, body, &sig.replace("v1=", "v0="), now(), 300));
    assert!(!verify(SECRET, i64::MIN, body, &signature(SECRET, i64::MIN, body), now(), i64::MAX), "no overflow");
    let rotating = format!("v1={}, {sig}", "0".repeat(64));
    assert!(verify(SECRET, ts, body, &rotating, now(), 300), "one of several signatures (secret rotation)");
}

/// A running `https_sink.py`, killed when dropped.
struct HttpsSink {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for HttpsSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn https_sink(py: &Path, certs: &Path) -> HttpsSink {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(py)
        .arg(python::scripts().join("https_sink.py"))
        .arg("--dir")
        .arg(dir.path())
        .arg("--cert")
        .arg(certs.join("server.pem"))
        .arg("--key")
        .arg(certs.join("server.key"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let Some(port) = line.trim().strip_prefix("LISTENING ").and_then(|p| p.parse().ok()) else {
        let _ = child.kill();
        panic!("https_sink.py did not start: {line:?}");
    };
    HttpsSink { child, port, dir }
}

#[tokio::test]
async fn https_delivers_with_the_extra_root_and_fails_retryable_without_it() {
    let Some(py) = python::python() else { return };
    let certs = tempfile::tempdir().unwrap();
    let out = Command::new(&py).arg(python::scripts().join("make_certs.py")).arg(certs.path()).output().unwrap();
    assert!(out.status.success(), "make_certs.py: {}", String::from_utf8_lossy(&out.stderr));
    let sink = https_sink(&py, certs.path());
    let cfg = config(&format!("https://localhost:{}/hook", sink.port), true);

    let err = WebhookSender::new(&cfg).unwrap().post("k-tls", &body(), now()).await.unwrap_err();
    eprintln!("reason: {}", err.reason);
    assert!(err.retryable && err.reason.contains("TLS"), "{}", err.reason);

    let sender = WebhookSender::with_extra_roots(&cfg, &certs.path().join("ca.pem")).unwrap();
    assert_eq!(sender.post("k-tls", &body(), now()).await.unwrap().detail, "HTTP 202");
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sink.dir.path().join("0001.json")).unwrap()).unwrap();
    assert_eq!(stored["path"], "/hook");
    assert_eq!(stored["headers"]["idempotency-key"], "k-tls");
    let sig = stored["headers"]["x-needlepath-signature"].as_str().unwrap();
    assert!(verify(SECRET, now().timestamp(), stored["body"].as_str().unwrap().as_bytes(), sig, now(), 60));
}
