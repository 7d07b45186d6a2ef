//! Deadlines on the two things a client can stall once its request's head is in: sending the
//! body, and taking the answer.
//!
//! hyper times the head itself (`header_read_timeout`) but not a body arriving a byte at a time,
//! nor a client that stops reading the answer; either held a connection open for as long as the
//! client liked (issue 14, defect 4).

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use super::slots::{Conn, InFlight};

type BoxError = Box<dyn StdError + Send + Sync>;

/// The error a request body gives when it has not arrived in full by its deadline; the body
/// reader (`body::read_limited`) answers it with 408 `request_timeout`.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimedOut {
    /// The deadline, counted from the request's head.
    pub after: Duration,
}

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the request body did not arrive within {} s of its headers", self.after.as_secs())
    }
}

impl StdError for BodyTimedOut {}

impl BodyTimedOut {
    /// The `BodyTimedOut` somewhere in `error`'s chain of sources (a body reader wraps it).
    pub fn find<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a BodyTimedOut> {
        let mut cur = Some(error);
        while let Some(e) = cur {
            if let Some(t) = e.downcast_ref::<BodyTimedOut>() {
                return Some(t);
            }
            cur = e.source();
        }
        None
    }
}

/// A request body that fails with [`BodyTimedOut`] once its deadline passes, however steadily
/// its bytes trickle in (one deadline for the whole body, not one per read).
pub(super) struct DeadlineBody<B> {
    inner: B,
    deadline: Pin<Box<Sleep>>,
    after: Duration,
    /// Set when the deadline fired, so the answer can close the connection.
    expired: Arc<AtomicBool>,
}

impl<B> DeadlineBody<B> {
    pub(super) fn new(inner: B, after: Duration, expired: Arc<AtomicBool>) -> Self {
        Self { inner, deadline: Box::pin(tokio::time::sleep(after)), after, expired }
    }
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        // The deadline first: a body that keeps arriving, slowly, must still end in time.
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut { after: this.after }))));
        }
        Pin::new(&mut this.inner).poll_frame(cx).map_err(Into::into)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// An answer's body, holding its request's place among those in flight until hyper has taken
/// all of it (or dropped it).
pub(super) struct Answer {
    pub(super) inner: axum::body::Body,
    pub(super) _in_flight: InFlight,
}

impl Body for Answer {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A socket whose writes fail with `TimedOut` once one has made no progress for `limit`: a
/// client that stops reading its answer cannot hold the connection (and the answer's memory).
/// A write that does progress marks the connection active, so an answer still being taken by a
/// slow client is not mistaken for a quiet connection (hyper takes a whole answer's body into
/// its buffer at once, ending the request's time in flight before the client has it).
pub(super) struct WriteStall<T> {
    io: T,
    limit: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
    conn: Arc<Conn>,
}

/// The error a write gives when the client took none of it for the limit.
#[derive(Debug)]
pub(super) struct WriteStalled;

impl std::fmt::Display for WriteStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the client took none of the answer in time")
    }
}

impl StdError for WriteStalled {}

impl<T> WriteStall<T> {
    pub(super) fn new(io: T, limit: Duration, conn: Arc<Conn>) -> Self {
        Self { io, limit, stalled: None, conn }
    }

    /// After a write returned `Pending`: still waiting, or past the limit.
    fn waiting<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let limit = self.limit;
        let stalled = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        if stalled.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, WriteStalled)));
        }
        Poll::Pending
    }

    /// A write, flush or shutdown that returned: `Pending` starts (or continues) the stall.
    fn progress<R>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        match r {
            Poll::Pending => self.waiting(cx),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }

    /// Bytes written: the client is taking the answer. (Not a flush: hyper flushes whenever it
    /// is polled, with nothing to write, and that is no sign of activity.)
    fn wrote(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if let Poll::Ready(Ok(n)) = r
            && n > 0
        {
            self.conn.touch();
        }
        self.progress(cx, r)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteStall<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteStall<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write(cx, buf);
        this.wrote(cx, r)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.wrote(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_flush(cx);
        this.progress(cx, r)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_shutdown(cx);
        this.progress(cx, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listen::slots::{Admission, Slots};
    use http_body_util::BodyExt;

    /// A body sending a byte every 100 ms, forever: every read makes progress, the whole never
    /// arrives.
    struct Trickle(Pin<Box<Sleep>>);

    impl Body for Trickle {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            if self.0.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.0 = Box::pin(tokio::time::sleep(Duration::from_millis(100)));
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"x")))))
        }
    }

    #[tokio::test]
    async fn a_write_the_client_does_not_take_fails_after_the_limit() {
        use tokio::io::AsyncWriteExt;
        // The other end never reads: 64 bytes fit, then nothing moves.
        let (near, _far) = tokio::io::duplex(64);
        let slots = Slots::new(1, Arc::default());
        let Admission::Open { slot, .. } = slots.admit() else { panic!("refused") };
        let mut io = WriteStall::new(near, Duration::from_millis(300), slot.conn().clone());
        let started = tokio::time::Instant::now();
        let err = io.write_all(&[0u8; 1024]).await.unwrap_err();
        let took = started.elapsed();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.get_ref().is_some_and(|e| e.is::<WriteStalled>()), "{err}");
        assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(2), "{took:?}");
    }

    #[tokio::test]
    async fn a_body_that_keeps_trickling_still_ends_at_its_deadline() {
        let trickle = Trickle(Box::pin(tokio::time::sleep(Duration::from_millis(100))));
        let expired = Arc::new(AtomicBool::new(false));
        let mut body = DeadlineBody::new(trickle, Duration::from_millis(550), expired.clone());
        let started = tokio::time::Instant::now();
        let mut got = 0;
        let err = loop {
            match body.frame().await {
                Some(Ok(_)) => got += 1,
                Some(Err(e)) => break e,
                None => panic!("the trickle never ends"),
            }
        };
        assert!(BodyTimedOut::find(&*err).is_some(), "{err}");
        assert!(expired.load(Ordering::Acquire));
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(550) && took < Duration::from_secs(2), "{took:?}");
        assert!((4..=5).contains(&got), "{got} bytes before the deadline");
    }
}
