//! The baseline: bare hyper 1.x answering `200 ok` to any request, on one thread.
//!
//! Everything needlepath does on top of HTTP — routing, sessions, the database, templates,
//! logging — costs throughput; this server costs only the HTTP stack, so needlepath's rate over
//! this one's (measured in the same run, on the same pinned CPU) says how much of the machine's
//! limit the service reaches, whatever the machine.

use std::convert::Infallible;
use std::net::SocketAddr;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

pub fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    // One thread: the server is pinned to one CPU, and needlepath's runtime sees one CPU too.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("baseline: tokio runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("baseline: cannot listen on {listen}"))?;
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of file handles under a flood: keep serving the connections already open.
                Err(e) => {
                    eprintln!("baseline: accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let ok = service_fn(|_req: Request<hyper::body::Incoming>| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), ok).await;
            });
        }
    })
}
