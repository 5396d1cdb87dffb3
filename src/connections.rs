//! Accepting and keeping HTTP connections, with the limits `axum::serve` does not offer: a
//! header-read timeout, an idle timeout and a cap on open connections.
//!
//! Without them a client that sends one header byte every few seconds, or connects and sends
//! nothing, holds a connection (a file descriptor and a task) for ever, and a few thousand such
//! clients starve everyone else. hyper closes an HTTP/1 connection whose request header has not
//! arrived whole within `server.header_read_timeout_secs`, counted from when the server starts
//! waiting for it (so it also closes a keep-alive connection that sends no next request); the
//! [`IdleTimeout`] wrapper closes any connection on which no byte has moved either way for
//! `server.idle_timeout_secs`, which covers what hyper's timer does not: a new connection that
//! sends nothing (the builder waits for its first bytes to tell HTTP/1 from HTTP/2, with no
//! timer) and HTTP/2; and [`ConnectionGate`] stops accepting while `server.max_connections` are
//! open, so new clients wait in the kernel's queue until one closes.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

use crate::config::ServerSettings;

/// The limits every connection is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a request header may take to arrive whole, from when the server waits for it.
    pub header_read_timeout: Duration,
    /// How long a connection may go without a byte read or written.
    pub idle_timeout: Duration,
}

impl ConnectionLimits {
    /// The limits in `[server]`.
    pub fn from_settings(server: &ServerSettings) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(server.header_read_timeout_secs),
            idle_timeout: Duration::from_secs(server.idle_timeout_secs),
        }
    }
}

/// The cap on a server's open connections, shared by all its runtimes. Clones share one count.
#[derive(Debug, Clone)]
pub struct ConnectionGate {
    open: Arc<Semaphore>,
    max: usize,
    /// Set once the cap has been reached and logged; cleared when at most half the cap is open
    /// again, so that a server held at (or hovering just under) its cap logs one line, not one
    /// per connection.
    reported: Arc<AtomicBool>,
}

impl ConnectionGate {
    /// A gate that lets `max` connections be open at once (at least one).
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            open: Arc::new(Semaphore::new(max)),
            max,
            reported: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Waits for room for one more connection; the room is given back when the permit drops.
    async fn admit(&self) -> OwnedSemaphorePermit {
        match Arc::clone(&self.open).try_acquire_owned() {
            Ok(permit) => {
                // At most half the cap open again: the next time it is reached is worth a line.
                if self.open.available_permits() * 2 >= self.max {
                    self.reported.store(false, Ordering::Relaxed);
                }
                permit
            }
            Err(_) => {
                if !self.reported.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        max_connections = self.max,
                        "{} connections are open, the most server.max_connections allows: new \
                         connections wait until one closes",
                        self.max
                    );
                }
                Arc::clone(&self.open)
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed")
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting, lets the
/// requests in flight finish and returns once every connection has closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    gate: ConnectionGate,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = gate.admit() => permit,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // The client gave up before we accepted: nothing to do.
                    if is_connection_error(&e) {
                        continue;
                    }
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::error!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service =
            router
                .clone()
                .map_request(move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request.map(Body::new)
                });
        let io = TokioIo::new(IdleTimeout::new(stream, limits.idle_timeout));
        let connection = graceful.watch(
            builder
                .serve_connection(io, TowerToHyperService::new(service))
                .into_owned(),
        );
        tokio::spawn(async move {
            // Errors here are the client's doing (a reset, a timeout, a malformed request) and
            // hyper has already answered what it could.
            if let Err(e) = connection.await {
                tracing::debug!(%peer, "connection ended: {e}");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Errors that concern one connection only, after which accepting goes on at once.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A TCP stream that fails with `TimedOut` once no byte has been read or written for `timeout`
/// while a read or write is waiting: hyper then closes the connection.
#[derive(Debug)]
pub struct IdleTimeout {
    inner: TcpStream,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl IdleTimeout {
    pub fn new(inner: TcpStream, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    fn moved(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + self.timeout);
    }

    /// Called when the stream is not ready: an error once the deadline has passed.
    fn check_idle<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the connection was idle too long",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    /// What a read or write of the inner stream comes to: one that `moved` bytes puts the
    /// deadline off; one that is not ready fails once the deadline has passed.
    fn after_io<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
        moved: impl FnOnce(&io::Result<T>) -> bool,
    ) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(outcome) => {
                if moved(&outcome) {
                    self.moved();
                }
                Poll::Ready(outcome)
            }
            Poll::Pending => self.check_idle(cx),
        }
    }
}

/// Whether a write wrote anything.
fn wrote(outcome: &io::Result<usize>) -> bool {
    outcome.as_ref().is_ok_and(|&written| written > 0)
}

impl AsyncRead for IdleTimeout {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        this.after_io(cx, poll, |_| buf.filled().len() > before)
    }
}

impl AsyncWrite for IdleTimeout {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.after_io(cx, poll, wrote)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.after_io(cx, poll, wrote)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.after_io(cx, poll, |_| false)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.after_io(cx, poll, |_| false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reaching_the_cap_is_reported_once_until_half_the_connections_have_closed() {
        let gate = ConnectionGate::new(4);
        let reported = || gate.reported.load(Ordering::Relaxed);
        let mut open = Vec::new();
        for _ in 0..4 {
            open.push(gate.admit().await);
        }
        assert!(!reported(), "the cap is reached only when one more waits");
        let waiting = tokio::time::timeout(Duration::from_millis(20), gate.admit()).await;
        assert!(waiting.is_err(), "a fifth connection waits");
        assert!(reported());

        // One closes and one comes: the server is at its cap again, not worth a second line.
        open.pop();
        open.push(gate.admit().await);
        assert!(reported());
        // Three close: with one open and one more admitted, half the cap is free again.
        open.truncate(1);
        open.push(gate.admit().await);
        assert!(!reported());
    }
}
