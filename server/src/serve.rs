//! Serving connections, plain or TLS, each in its own task, with the limits a slow or silent
//! client meets: at most `max_connections` at once (TLS handshakes included; past it the
//! listener waits), a request head must arrive within `header_read_timeout_s` (HTTP/1; an idle
//! keep-alive connection is closed after it too), and a connection that moves no byte either
//! way for `idle_timeout_s` is closed (any protocol, before or during TLS). Graceful shutdown
//! as `axum::serve` does it: stop accepting, let open connections finish. Each request carries
//! its client's address, forwarded by a trusted proxy or the peer's ([`TrustedProxies`]).

use crate::config::PortalConfig;
use crate::http::client_addr::TrustedProxies;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

/// What one connection may cost, and whose word on its client's address is taken (`[portal]`
/// in the config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub trusted_proxies: TrustedProxies,
}

impl ConnectionLimits {
    pub fn of(portal: &PortalConfig) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(portal.header_read_timeout_s),
            idle_timeout: Duration::from_secs(portal.idle_timeout_s),
            max_connections: portal.max_connections,
            trusted_proxies: TrustedProxies::new(&portal.trusted_proxies),
        }
    }
}

/// Serves `router` on `listener` (over TLS when `tls` is given) until `shutdown` completes,
/// then waits for open connections to finish.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let acceptor = tls.map(TlsAcceptor::from);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());

    // Dropping `signal_rx` tells every connection to finish; `close_rx` clones are held by the
    // connections, so `close_tx.closed()` is the moment the last one ends.
    let (signal_tx, signal_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(signal_rx);
    });
    let (close_tx, close_rx) = watch::channel(());
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = signal_tx.closed() => break,
        };
        let (tcp, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = signal_tx.closed() => break,
        };
        let _ = tcp.set_nodelay(true);
        let connection = Connection {
            builder: builder.clone(),
            router: router.clone(),
            addr,
            idle_timeout: limits.idle_timeout,
            trusted_proxies: limits.trusted_proxies.clone(),
            signal_tx: signal_tx.clone(),
        };
        let acceptor = acceptor.clone();
        let close_rx = close_rx.clone();
        tokio::spawn(async move {
            connection.run(tcp, acceptor).await;
            drop(permit);
            drop(close_rx);
        });
    }
    drop(close_rx);
    drop(listener);
    close_tx.closed().await;
    Ok(())
}

/// One accepted connection and what it needs.
struct Connection {
    builder: Builder<TokioExecutor>,
    router: Router,
    addr: SocketAddr,
    idle_timeout: Duration,
    trusted_proxies: TrustedProxies,
    signal_tx: watch::Sender<()>,
}

impl Connection {
    async fn run(self, tcp: TcpStream, acceptor: Option<TlsAcceptor>) {
        let activity = Arc::new(Activity::new());
        let io = Watched {
            inner: tcp,
            activity: activity.clone(),
        };
        let mut idle_watch = pin!(idle(activity, self.idle_timeout));
        match acceptor {
            None => self.http(io, idle_watch).await,
            Some(acceptor) => {
                let handshake =
                    tokio::time::timeout(crate::tls::HANDSHAKE_TIMEOUT, acceptor.accept(io));
                let tls = tokio::select! {
                    tls = handshake => tls,
                    _ = idle_watch.as_mut() => return,
                };
                match tls {
                    Ok(Ok(tls)) => self.http(tls, idle_watch).await,
                    Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                    Err(_) => tracing::debug!("TLS handshake timed out"),
                }
            }
        }
    }

    /// Serves HTTP/1 or HTTP/2 on `io` until the client or the server is done, or `idle`
    /// completes (the connection is then dropped, which closes it).
    async fn http<I>(self, io: I, mut idle: Pin<&mut impl Future<Output = ()>>)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let addr = self.addr;
        let trusted_proxies = self.trusted_proxies;
        let service = self
            .router
            .map_request(move |request: hyper::Request<Incoming>| {
                let mut request = request.map(Body::new);
                let client = trusted_proxies.client_addr(addr, request.headers());
                request.extensions_mut().insert(ConnectInfo(client));
                request
            });
        let mut conn = pin!(self
            .builder
            .serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service)));
        let mut signalled = pin!(self.signal_tx.closed());
        let mut shutting_down = false;
        loop {
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(error = %error, "connection ended with an error");
                    }
                    return;
                }
                _ = idle.as_mut() => {
                    tracing::debug!("closing an idle connection");
                    return;
                }
                _ = signalled.as_mut(), if !shutting_down => {
                    shutting_down = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// When a connection last moved a byte, in milliseconds since it was accepted.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(now, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

/// Completes once the connection has moved no byte for `limit`.
async fn idle(activity: Arc<Activity>, limit: Duration) {
    loop {
        let idle_for = activity.idle_for();
        if idle_for >= limit {
            return;
        }
        tokio::time::sleep(limit - idle_for).await;
    }
}

/// A stream that records when it last read or wrote a byte.
struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
