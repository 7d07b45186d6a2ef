//! A small blocking HTTP/1.1 client for the harness's own checks: readiness (`/healthz`), and
//! one probe of each target before it is loaded, so a target answering 303 to the login page
//! (which wrk would count as a success) is caught and shown.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, bail};

/// One request as the harness describes it (also what wrk and the generator send).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl Req {
    pub fn get(path: impl Into<String>) -> Self {
        Self { method: "GET".into(), path: path.into(), headers: vec![], body: None }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// Sends `req` on a new connection (closed after the answer) and reads the whole answer.
pub fn send(addr: SocketAddr, req: &Req, timeout: Duration) -> anyhow::Result<Reply> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout).with_context(|| format!("connect to {addr}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut out = format!("{} {} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n", req.method, req.path);
    for (k, v) in &req.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = req.body.as_deref().unwrap_or("");
    if req.body.is_some() {
        out.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    out.push_str(body);
    stream.write_all(out.as_bytes()).with_context(|| format!("send {} {}", req.method, req.path))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).with_context(|| format!("read the answer to {} {}", req.method, req.path))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .with_context(|| format!("no status line in the answer to {} {}", req.method, req.path))?;
    Ok(Reply { status, body: body.to_string() })
}

/// Sends `req` once and fails, naming the target and showing the answer, unless it is 2xx.
pub fn probe(addr: SocketAddr, what: &str, req: &Req) -> anyhow::Result<u16> {
    let reply = send(addr, req, Duration::from_secs(10)).with_context(|| format!("probe of {what}"))?;
    if !(200..300).contains(&reply.status) {
        let body: String = reply.body.chars().take(400).collect();
        bail!("probe of {what}: {} {} answered {} (expected 2xx): {body}", req.method, req.path, reply.status);
    }
    Ok(reply.status)
}
