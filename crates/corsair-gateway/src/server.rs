//! The listeners: accept, TLS, HTTP/1.1 and HTTP/2 (with WebSocket upgrades), a connection
//! limit, hot reloads and graceful shutdown.
//!
//! A [`Server`] is bound first (so callers and tests learn the address), then served. Its
//! [`Control`] swaps in a new configuration while serving (requests in flight finish with the
//! old one) and shuts down: the listener closes at once, connections finish their requests,
//! and whatever is still open after the grace period is dropped.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

use crate::config::Limits;
use crate::config::{Config, TlsFiles};
use crate::metrics::Reload;
use crate::route::Peer;
use crate::service::{handle, ops, Listener, Runtime, Services};
use crate::{answer, loops, relay};

/// A runtime with its listener TLS configuration.
struct Loaded {
    runtime: Arc<Runtime>,
    tls: Option<TlsAcceptor>,
}

struct Shared {
    loaded: ArcSwap<Loaded>,
    shutdown: watch::Sender<bool>,
    /// Set by [`Control::abort`]: stop waiting for requests in flight.
    abort: watch::Sender<bool>,
    services: Services,
}

/// A bound gateway, not yet serving.
pub struct Server {
    listener: TcpListener,
    admin: Option<TcpListener>,
    shared: Arc<Shared>,
    max_connections: usize,
}

/// Reloads and stops a running [`Server`]; cheap to clone.
#[derive(Clone)]
pub struct Control {
    shared: Arc<Shared>,
    listen: SocketAddr,
}

impl Server {
    /// Binds the listeners and builds the runtime.
    pub async fn bind(config: Config) -> io::Result<Server> {
        let listener = TcpListener::bind(config.listen).await?;
        let admin = match config.admin_listen {
            Some(addr) => Some(TcpListener::bind(addr).await?),
            None => None,
        };
        let mut config = config;
        // Port 0 asks the system for one: the SSRF guard must know the real one.
        config.listen = listener.local_addr()?;
        let own = loops::own_upstreams(&config, config.listen).await;
        if !own.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, own.join("; ")));
        }
        let max_connections = config.limits.max_connections;
        let services = Services::default();
        let loaded = load(config, &services).map_err(io::Error::other)?;
        let (shutdown, _) = watch::channel(false);
        let (abort, _) = watch::channel(false);
        let shared = Arc::new(Shared { loaded: ArcSwap::from_pointee(loaded), shutdown, abort, services });
        Ok(Server { listener, admin, shared, max_connections })
    }

    /// The address the gateway listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The operations listener's address, if there is one.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(|a| a.local_addr().ok())
    }

    /// The handle that reloads and stops this server.
    pub fn control(&self) -> Control {
        Control { shared: self.shared.clone(), listen: self.local_addr() }
    }

    /// Serves until [`Control::shutdown`], then waits up to the configuration's
    /// [`grace`](Limits::grace) for open requests (or until [`Control::abort`]).
    pub async fn serve(self) -> io::Result<()> {
        let Server { listener, admin, shared, max_connections } = self;
        let graceful = GracefulShutdown::new();
        let mut stop = shared.shutdown.subscribe();
        let mut abort = shared.abort.subscribe();
        if let Some(admin) = admin {
            tokio::spawn(serve_admin(admin, shared.clone()));
        }
        let slots = Arc::new(Semaphore::new(max_connections));
        let mut backoff = AcceptBackoff::default();
        loop {
            let permit = tokio::select! {
                p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
                _ = stop.changed() => break,
            };
            let Some((tcp, addr)) = accept(&listener, &mut backoff, &mut stop, "accept failed").await else { break };
            let _ = tcp.set_nodelay(true);
            let loaded = shared.loaded.load();
            let (acceptor, relays) = (loaded.tls.clone(), loaded.runtime.relays());
            drop(loaded);
            let watcher = graceful.watcher();
            let shared = shared.clone();
            // A kind of task per kind of connection, so that each is the size of its own future:
            // in one async block, the TLS arm's handshake and stream made every task 8.5 KB (now
            // 2.2 KB plain, 5.9 KB TLS; 1000 idle plain connections: 33 MB RSS before, 29 after),
            // and the relay's state would grow the plain connections that hyper serves.
            match acceptor {
                None if relays => tokio::spawn(serve_relayed(tcp, addr, shared, watcher, permit)),
                None => tokio::spawn(serve_plain(tcp, addr, shared, watcher, permit)),
                Some(acceptor) => tokio::spawn(serve_tls(acceptor, tcp, addr, shared, watcher, permit)),
            };
        }
        drop(listener);
        let grace = shared.loaded.load().runtime.config.limits.grace;
        tokio::select! {
            _ = graceful.shutdown() => {}
            _ = tokio::time::sleep(grace) => {
                tracing::warn!(target: "corsair::server", "requests still open after {} s; closing them", grace.as_secs());
            }
            _ = abort.wait_for(|a| *a) => {}
        }
        Ok(())
    }
}

/// The wait after a failed accept. Out of file descriptors, accept fails at once for as long as
/// a connection waits in the backlog: retried at once, that is a busy loop that takes a core and
/// floods the log. 10 ms, doubling up to 1 s; a successful accept starts again from 10 ms.
#[derive(Debug)]
struct AcceptBackoff {
    next: Duration,
}

impl AcceptBackoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    /// How long to wait after this failure.
    fn failed(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(AcceptBackoff::MAX);
        wait
    }

    fn succeeded(&mut self) {
        self.next = AcceptBackoff::FIRST;
    }
}

/// The next connection, waiting out failed accepts (out of file descriptors and the like) with
/// `backoff` instead of spinning; `None` once `stop` changes.
async fn accept(
    listener: &TcpListener,
    backoff: &mut AcceptBackoff,
    stop: &mut watch::Receiver<bool>,
    failed: &'static str,
) -> Option<(TcpStream, SocketAddr)> {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => {
                    backoff.succeeded();
                    return Some(a);
                }
                Err(e) => {
                    let wait = backoff.failed();
                    tracing::warn!(target: "corsair::server", error = %e, retry_ms = wait.as_millis() as u64, "{failed}");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stop.changed() => return None,
                    }
                }
            },
            _ = stop.changed() => return None,
        }
    }
}

impl Default for AcceptBackoff {
    fn default() -> AcceptBackoff {
        AcceptBackoff { next: AcceptBackoff::FIRST }
    }
}

/// One plain TCP connection, from accept to close; `permit` holds its connection slot.
async fn serve_plain(
    tcp: TcpStream,
    addr: SocketAddr,
    shared: Arc<Shared>,
    watcher: Watcher,
    permit: OwnedSemaphorePermit,
) {
    let _open = shared.services.metrics.track_connection();
    let peer = Peer { addr, tls: false };
    serve_connection(tcp, peer, shared, watcher).await;
    drop(permit);
}

/// One plain TCP connection when some route can be relayed: the relay serves what it can, and
/// the first request it cannot goes to hyper with the rest of the connection. The watcher is
/// held meanwhile, so shutdown waits for the relay too.
async fn serve_relayed(
    tcp: TcpStream,
    addr: SocketAddr,
    shared: Arc<Shared>,
    watcher: Watcher,
    permit: OwnedSemaphorePermit,
) {
    let _open = shared.services.metrics.track_connection();
    let peer = Peer { addr, tls: false };
    let header_timeout = shared.loaded.load().runtime.config.limits.header_read_timeout;
    let mut client = relay::Client::new(tcp, peer, header_timeout);
    let mut stop = shared.shutdown.subscribe();
    let current = || shared.loaded.load().runtime.clone();
    // The main listener always answers the operations paths: the relay hands them to hyper.
    if let relay::End::Hyper = client.run(current, &mut stop).await {
        serve_connection(client.into_io(), peer, shared, watcher).await;
    }
    drop(permit);
}

/// One TLS connection: the handshake (bounded by [`Limits::handshake_timeout`]), then HTTP.
async fn serve_tls(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    addr: SocketAddr,
    shared: Arc<Shared>,
    watcher: Watcher,
    permit: OwnedSemaphorePermit,
) {
    let _open = shared.services.metrics.track_connection();
    let limit = shared.loaded.load().runtime.config.limits.handshake_timeout;
    match tokio::time::timeout(limit, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => {
            let peer = Peer { addr, tls: true };
            serve_connection(tls, peer, shared, watcher).await;
        }
        Ok(Err(e)) => tracing::debug!(target: "corsair::server", %addr, error = %e, "TLS handshake failed"),
        Err(_) => tracing::debug!(target: "corsair::server", %addr, "TLS handshake timed out"),
    }
    drop(permit);
}

fn builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new()).max_concurrent_streams(256);
    builder
}

async fn serve_connection<IO>(io: IO, peer: Peer, shared: Arc<Shared>, watcher: Watcher)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Each request takes the runtime current when it arrives and keeps it to the end: a reload
    // applies to the next request on every connection, and no request sees two configurations.
    let builder = builder(&shared.loaded.load().runtime.config.limits);
    let service = service_fn(move |request| handle(shared.loaded.load().runtime.clone(), peer, request));
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(connection.into_owned()).await {
        tracing::debug!(target: "corsair::server", addr = %peer.addr, error = %e, "connection ended with an error");
    }
}

/// The operations listener; its connections are short and not waited for at shutdown.
async fn serve_admin(listener: TcpListener, shared: Arc<Shared>) {
    let mut stop = shared.shutdown.subscribe();
    let mut backoff = AcceptBackoff::default();
    loop {
        let Some((tcp, _)) = accept(&listener, &mut backoff, &mut stop, "admin accept failed").await else { return };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(|request| {
                let metrics = shared.services.metrics.clone();
                async move {
                    Ok::<_, std::convert::Infallible>(ops(&request, &metrics, Listener::Admin).unwrap_or_else(|| {
                        answer::answer(http::StatusCode::NOT_FOUND, "this listener serves /healthz and /metrics only")
                    }))
                }
            });
            let builder = builder(&shared.loaded.load().runtime.config.limits);
            let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
        });
    }
}

fn load(config: Config, services: &Services) -> Result<Loaded, String> {
    let tls = match &config.tls {
        Some(files) => Some(TlsAcceptor::from(server_tls(files)?)),
        None => None,
    };
    Ok(Loaded { runtime: Arc::new(Runtime::new(config, services)?), tls })
}

/// The listener's TLS configuration from PEM files, with ALPN `h2` and `http/1.1`.
pub fn server_tls(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: cannot read the certificate chain: {e}", files.cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate in the file", files.cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| format!("{}: cannot read a private key: {e}", files.key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("{}: {e}", files.cert.display()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

impl Control {
    /// Swaps in `config` for the next request on every connection (TLS certificates: for new
    /// connections). The listening address cannot change while
    /// serving (the socket is bound): a different one is an error and nothing changes.
    pub fn reload(&self, mut config: Config) -> Result<(), String> {
        if config.listen.port() != 0 && config.listen != self.listen {
            return Err(format!(
                "listen changed from {} to {}; restart corsair proxy to move it",
                self.listen, config.listen
            ));
        }
        config.listen = self.listen;
        let metrics = &self.shared.services.metrics;
        let own = loops::own_upstreams_now(&config, self.listen);
        if !own.is_empty() {
            metrics.config_reload(Reload::Error);
            return Err(own.join("\n"));
        }
        match load(config, &self.shared.services) {
            Ok(loaded) => {
                self.shared.loaded.store(Arc::new(loaded));
                metrics.config_reload(Reload::Ok);
                Ok(())
            }
            Err(e) => {
                metrics.config_reload(Reload::Error);
                Err(e)
            }
        }
    }

    /// Counts a reload that failed before it reached the server (the file had errors).
    pub fn reload_failed(&self) {
        self.shared.services.metrics.config_reload(Reload::Error);
    }

    /// Stops accepting and lets open requests finish.
    pub fn shutdown(&self) {
        let _ = self.shared.shutdown.send(true);
    }

    /// Stops at once: [`Server::serve`] returns without waiting for open requests (dropped with
    /// the runtime). For a second stop signal, when the operator will not wait.
    pub fn abort(&self) {
        self.shutdown();
        let _ = self.shared.abort.send(true);
    }

    /// Whether [`abort`](Control::abort) was called.
    pub fn aborted(&self) -> bool {
        *self.shared.abort.borrow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_accepts_wait_longer_each_time_up_to_a_second_and_success_resets() {
        let mut b = AcceptBackoff::default();
        let waits: Vec<u64> = (0..9).map(|_| b.failed().as_millis() as u64).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.succeeded();
        assert_eq!(b.failed(), Duration::from_millis(10));
    }
}
