#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 14, defect 4: no connection timeouts. A half-sent request stayed open 400 s and more;
//! about 20,000 of them took every file handle and `/healthz` stopped answering. Now a request's
//! head, its body and a quiet connection each have a deadline, and the open connections a
//! limit (`listen.rs`). Over real TCP, with raw sockets, so nothing is hidden by a client
//! library; in a test binary of its own, so the file handles it opens are its own.
//!
//! The measured numbers are printed (`cargo test --test slow_clients -- --nocapture`).

mod common;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::TestApp;
use needlepath_server::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A server whose connection deadlines and limit are set by `configure`.
async fn server(configure: impl FnOnce(&mut ServerConfig)) -> TestApp {
    TestApp::spawn_with(configure).await
}

/// Reads until the server closes the connection (end of stream or reset), for at most `limit`:
/// how long that took, and what was read. `None` when it is still open after `limit`.
async fn until_closed(s: &mut TcpStream, limit: Duration) -> Option<(Duration, Vec<u8>)> {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((started.elapsed(), got)),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Waits, in a task of its own, for the server to close `s` (at most 5 s): how long after
/// `opened` it did.
fn closes(mut s: TcpStream, opened: Instant) -> tokio::task::JoinHandle<Option<Duration>> {
    tokio::spawn(async move { until_closed(&mut s, secs(5)).await.map(|_| opened.elapsed()) })
}

/// Whether the server has closed the connection already (without waiting for it to).
async fn is_closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_millis(5), s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

fn status_of(answer: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(answer);
    text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// `GET /healthz` on a fresh connection: how long the whole answer took. Panics unless it is
/// a 200 within 5 s.
async fn healthz(addr: SocketAddr) -> Duration {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").await.unwrap();
    let (_, answer) = until_closed(&mut s, secs(5)).await.expect("the answer comes, and the connection closes");
    assert_eq!(status_of(&answer), 200, "{}", String::from_utf8_lossy(&answer));
    started.elapsed()
}

/// Sends `bytes` one at a time, `every` apart, until they run out or the server closes.
fn trickle(mut s: tokio::net::tcp::OwnedWriteHalf, bytes: Vec<u8>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for b in bytes {
            if s.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(every).await;
        }
    })
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// Median and maximum, in milliseconds.
fn spread(mut v: Vec<Duration>) -> (u128, u128) {
    v.sort();
    (ms(v[v.len() / 2]), ms(*v.last().unwrap()))
}

/// Regression (defect 4): a connection that sends nothing, part of a request's head, or its
/// head a byte at a time, is closed once the header deadline (1 s here) has passed since the
/// server began waiting for it — a trickle does not extend it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_closed_after_the_header_timeout() {
    let t = server(|c| {
        c.connections.header_timeout = secs(1);
        c.connections.idle_timeout = secs(30);
    })
    .await;
    let silent = TcpStream::connect(t.addr).await.unwrap();
    let silent = closes(silent, Instant::now());
    let mut half = TcpStream::connect(t.addr).await.unwrap();
    let half_opened = Instant::now();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n").await.unwrap();
    let half = closes(half, half_opened);
    let (slow_read, slow_write) = TcpStream::connect(t.addr).await.unwrap().into_split();
    let slow_opened = Instant::now();
    let head = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ".iter().chain([b'a'; 200].iter()).copied().collect();
    let writer = trickle(slow_write, head, Duration::from_millis(100));
    let trickled = tokio::spawn(async move {
        let mut slow_read = slow_read;
        let mut buf = [0u8; 64];
        loop {
            match tokio::time::timeout(secs(5), slow_read.read(&mut buf)).await {
                Err(_) => return None,
                Ok(Ok(0)) | Ok(Err(_)) => return Some(slow_opened.elapsed()),
                Ok(Ok(_)) => {}
            }
        }
    });
    let silent_after = silent.await.unwrap().expect("a silent connection is closed");
    let half_after = half.await.unwrap().expect("a half-sent head is closed");
    let trickle_closed = trickled.await.unwrap().expect("a head sent a byte every 100 ms is closed");
    writer.abort();
    eprintln!(
        "header timeout 1 s, from opening to close: silent connection {} ms, half-sent head {} ms, head trickled a byte every 100 ms {} ms",
        ms(silent_after),
        ms(half_after),
        ms(trickle_closed)
    );
    for (what, after) in [("silent", silent_after), ("half-sent", half_after), ("trickled", trickle_closed)] {
        assert!(after < Duration::from_millis(2500), "the {what} connection was held {} ms", ms(after));
        assert!(
            after >= Duration::from_millis(900),
            "the {what} connection closed before its deadline: {} ms",
            ms(after)
        );
    }
    assert!(t.app.metrics.header_timeouts.load(Ordering::Relaxed) >= 3);
    // A request sent in time is answered as ever.
    healthz(t.addr).await;
}

/// Regression (defect 4): headers complete, `Content-Length: 1000`, then a byte a second. The
/// body deadline (2 s here) counts from the head, not from the last byte: the answer is 408
/// `request_timeout` as problem+json, and the connection is closed after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_is_cut_off() {
    let t = server(|c| c.connections.body_timeout = secs(2)).await;
    let (mut read, mut write) = TcpStream::connect(t.addr).await.unwrap().into_split();
    write
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let writer = trickle(write, [b'{'].into_iter().chain([b' '; 999]).collect(), secs(1));
    let mut answer = Vec::new();
    let got = tokio::time::timeout(secs(10), read.read_to_end(&mut answer)).await;
    let took = started.elapsed();
    writer.abort();
    assert!(got.is_ok(), "the connection was still open after 10 s");
    let text = String::from_utf8_lossy(&answer).to_string();
    eprintln!("body timeout 2 s, a byte a second: answered and closed after {} ms", ms(took));
    assert_eq!(status_of(&answer), 408, "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
    assert!(text.contains("\"code\":\"request_timeout\""), "{text}");
    assert!(text.to_ascii_lowercase().contains("connection: close"), "{text}");
    assert!(took >= Duration::from_millis(1900) && took < secs(4), "{} ms", ms(took));
    assert_eq!(t.app.metrics.body_timeouts.load(Ordering::Relaxed), 1);
}

/// Defect 4: 300 connections each sending their request's head a byte every 2 s (the header
/// deadline set long, so they all stay open throughout) do not slow `/healthz` on a fresh
/// connection: every answer within 1 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_do_not_stop_others() {
    let t = server(|c| {
        c.connections.header_timeout = secs(30);
        c.connections.idle_timeout = secs(30);
    })
    .await;
    let mut writers = Vec::new();
    let mut readers = Vec::new();
    for i in 0..300 {
        let (r, w) = TcpStream::connect(t.addr).await.unwrap().into_split();
        let head = format!("GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow-{i}: {}", "a".repeat(100)).into_bytes();
        writers.push(trickle(w, head, secs(2)));
        readers.push(r);
    }
    let mut latencies = Vec::new();
    let started = Instant::now();
    while started.elapsed() < secs(6) {
        latencies.push(healthz(t.addr).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let open = t.app.metrics.connections_open.load(Ordering::Relaxed);
    let n = latencies.len();
    let (median, max) = spread(latencies);
    eprintln!(
        "300 slow clients (a byte every 2 s), {open} connections open: /healthz answered {n} times over 6 s, median {median} ms, max {max} ms"
    );
    assert!(open >= 300, "the slow clients were dropped, not outlasted: {open} open");
    assert!(max < 1000, "/healthz took {max} ms beside the slow clients");
    for w in writers {
        w.abort();
    }
}

/// Defect 4: a flood of connections that never finish a request — far more than the limit (64
/// here), with the header deadline set long so none is freed by it — leaves `/healthz`
/// answering on a fresh connection: at the limit, the connection quiet longest is closed to
/// make room, so the flood pushes out its own oldest connections, and a client that asks
/// promptly is served. The open connections never exceed the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_leaves_the_service_answering() {
    let t = server(|c| {
        c.connections.max_connections = 64;
        c.connections.header_timeout = secs(30);
        c.connections.idle_timeout = secs(30);
    })
    .await;
    // First 200 half-sent requests, held open.
    let mut flood = Vec::new();
    for _ in 0..200 {
        let mut s = TcpStream::connect(t.addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n").await.unwrap();
        flood.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut closed = 0;
    for s in &mut flood {
        closed += usize::from(is_closed(s).await);
    }
    let open = t.app.metrics.connections_open.load(Ordering::Relaxed);
    eprintln!("flood of 200 half-sent requests against a limit of 64: {closed} closed by the server, {open} open");
    assert!(open <= 64, "{open} connections open over a limit of 64");
    assert!(closed >= 200 - 64, "only {closed} of the flood were closed");
    drop(flood);

    // Then, while a flood keeps coming (about 500 new connections a second, the newest 200
    // kept open by the client), /healthz on fresh connections.
    let addr = t.addr;
    let flooding = tokio::spawn(async move {
        let mut held = std::collections::VecDeque::new();
        let mut opened = 0u32;
        loop {
            if let Ok(mut s) = TcpStream::connect(addr).await {
                let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n").await;
                held.push_back(s);
                opened += 1;
                if held.len() > 200 {
                    held.pop_front();
                }
            }
            if opened.is_multiple_of(10) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    let mut latencies = Vec::new();
    let started = Instant::now();
    while started.elapsed() < secs(4) {
        latencies.push(healthz(t.addr).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    flooding.abort();
    let evicted = t.app.metrics.connections_evicted.load(Ordering::Relaxed);
    let open = t.app.metrics.connections_open.load(Ordering::Relaxed);
    let n = latencies.len();
    let (median, max) = spread(latencies);
    eprintln!(
        "during a continuing flood: /healthz answered {n} of {n} times, median {median} ms, max {max} ms; {evicted} flood connections closed to make room, {open} open"
    );
    assert!(max < 1000, "/healthz took {max} ms during the flood");
    assert!(open <= 64, "{open} connections open over a limit of 64");
}

/// Defect 4, the other side of the limit: when every open connection is answering a request
/// (here 8 bodies that never come, under a limit of 8), nothing is cut off to make room — a
/// newcomer is refused at once with 503 `too_many_connections` and `Retry-After`, rather than
/// left waiting in the kernel's backlog. Once those requests end, `/healthz` answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_every_connection_is_answering_a_newcomer_is_refused_at_once() {
    let t = server(|c| {
        c.connections.max_connections = 8;
        c.connections.body_timeout = secs(30);
    })
    .await;
    let mut busy = Vec::new();
    for _ in 0..8 {
        let mut s = TcpStream::connect(t.addr).await.unwrap();
        s.write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
        )
        .await
        .unwrap();
        busy.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // As a client does: the request sent as soon as the connection is open.
    let mut s = TcpStream::connect(t.addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
    let (took, answer) = until_closed(&mut s, secs(5)).await.expect("the newcomer is answered and closed at once");
    let text = String::from_utf8_lossy(&answer).to_string();
    eprintln!("limit 8, all answering: a newcomer answered 503 and closed after {} ms", ms(took));
    assert_eq!(status_of(&answer), 503, "{text}");
    assert!(text.contains("\"code\":\"too_many_connections\""), "{text}");
    assert!(text.to_ascii_lowercase().contains("retry-after: 1"), "{text}");
    assert!(took < secs(1));
    assert!(t.app.metrics.connections_refused.load(Ordering::Relaxed) >= 1);

    // The busy clients give up: their requests end, their slots come back.
    drop(busy);
    let started = Instant::now();
    loop {
        let mut s = TcpStream::connect(t.addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").await.unwrap();
        if let Some((_, answer)) = until_closed(&mut s, secs(5)).await
            && status_of(&answer) == 200
        {
            break;
        }
        assert!(started.elapsed() < secs(3), "/healthz did not answer again after the busy clients left");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("after the busy clients left: /healthz answered again after {} ms", ms(started.elapsed()));
}

/// Defect 4: a connection with no request being answered is closed after the idle deadline (1 s
/// here, the header deadline set long): one kept alive after an answer, and one that never
/// asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_connections_are_closed_after_the_idle_timeout() {
    let t = server(|c| {
        c.connections.header_timeout = secs(30);
        c.connections.idle_timeout = secs(1);
    })
    .await;
    let mut kept = TcpStream::connect(t.addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    let n = kept.read(&mut buf).await.unwrap();
    assert_eq!(status_of(&buf[..n]), 200);
    let answered = Instant::now();
    let kept = closes(kept, answered);
    let silent = closes(TcpStream::connect(t.addr).await.unwrap(), Instant::now());
    let kept_after = kept.await.unwrap().expect("a kept-alive connection is closed");
    let silent_after = silent.await.unwrap().expect("a silent connection is closed");
    eprintln!(
        "idle timeout 1 s: kept-alive connection closed {} ms after its answer, silent one after {} ms",
        ms(kept_after),
        ms(silent_after)
    );
    for after in [kept_after, silent_after] {
        assert!(after >= Duration::from_millis(900) && after < Duration::from_millis(2500), "{} ms", ms(after));
    }
    assert!(t.app.metrics.idle_timeouts.load(Ordering::Relaxed) >= 2);
}

/// Defect 4: a client that asks and then does not read its answers (100 pipelined requests for
/// the 240 kB OpenAPI document, a 4 kB receive buffer) cannot hold the connection: once the
/// server's writes make no progress for the idle deadline (1 s here), it is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_takes_no_answer_is_closed() {
    let t = server(|c| {
        c.connections.header_timeout = secs(30);
        c.connections.idle_timeout = secs(1);
    })
    .await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut s = socket.connect(t.addr).await.unwrap();
    let requests = "GET /api/v1/openapi.json HTTP/1.1\r\nHost: test\r\n\r\n".repeat(100);
    s.write_all(requests.as_bytes()).await.unwrap();
    let started = Instant::now();
    let closed_by = |t: &TestApp| {
        t.app.metrics.write_timeouts.load(Ordering::Relaxed) + t.app.metrics.idle_timeouts.load(Ordering::Relaxed)
    };
    while closed_by(&t) == 0 {
        assert!(started.elapsed() < secs(10), "the server still writes to a client that reads nothing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "a client reading nothing: closed {} ms after its requests ({} by the write deadline, {} as idle)",
        ms(started.elapsed()),
        t.app.metrics.write_timeouts.load(Ordering::Relaxed),
        t.app.metrics.idle_timeouts.load(Ordering::Relaxed)
    );
    assert!(until_closed(&mut s, secs(5)).await.is_some(), "the connection is closed");
}
