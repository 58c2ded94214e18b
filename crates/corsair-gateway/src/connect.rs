//! Connections to upstreams: resolve (through the SSRF guard when it is on), connect to exactly
//! the address that was checked, then TLS with ALPN (`h2`, `http/1.1`) for `https` upstreams.
//!
//! The upstream pool ([`crate::upstream`]) calls this connector, so a checked connection is
//! reused for later requests to the same scheme and authority, and never re-resolved in between.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use corsair_core::address::ResolveRule;
use corsair_net::tls::Trust;

use crate::egress::{self, Egress, Resolver};

/// DNS, except for names pinned to an address (`--resolve`, tests).
#[derive(Clone, Debug, Default)]
pub struct PinnedResolver {
    pins: Vec<ResolveRule>,
}

impl PinnedResolver {
    /// Resolves the names `pins` covers to their address, others by DNS.
    pub fn new(pins: Vec<ResolveRule>) -> PinnedResolver {
        PinnedResolver { pins }
    }
}

impl Resolver for PinnedResolver {
    /// The pinned address, else DNS ([`corsair_net::resolve::lookup`], the probe's too).
    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        corsair_net::resolve::lookup(&self.pins, host, port).await
    }
}

/// Why no connection to an upstream was made.
#[derive(Debug)]
pub enum ConnectError {
    /// The SSRF guard refused the destination.
    Refused(egress::Refusal),
    /// The name did not resolve.
    Resolve(String),
    /// TCP failed (refused, unreachable).
    Connect(io::Error),
    /// The TLS handshake failed.
    Tls(io::Error),
    /// No connection within the connect timeout.
    Timeout(Duration),
    /// The URI has no host.
    NoHost,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Refused(r) => write!(f, "destination refused: {r}"),
            ConnectError::Resolve(e) => write!(f, "the upstream's name did not resolve: {e}"),
            ConnectError::Connect(e) => write!(f, "cannot connect to the upstream: {e}"),
            ConnectError::Tls(e) => write!(f, "TLS with the upstream failed: {e}"),
            ConnectError::Timeout(d) => write!(f, "no connection to the upstream within {} s", d.as_secs_f64()),
            ConnectError::NoHost => f.write_str("the upstream URL has no host"),
        }
    }
}

impl std::error::Error for ConnectError {}

/// The connector: a guard, a resolver and a TLS client configuration.
#[derive(Clone)]
pub struct Connector {
    inner: Arc<Inner>,
}

struct Inner {
    egress: Option<Egress>,
    resolver: PinnedResolver,
    tls: TlsConnector,
    timeout: Duration,
}

impl Connector {
    /// A connector; `egress` is the SSRF guard (None: any address).
    pub fn new(
        egress: Option<Egress>,
        resolver: PinnedResolver,
        tls: Arc<rustls::ClientConfig>,
        timeout: Duration,
    ) -> Self {
        Connector { inner: Arc::new(Inner { egress, resolver, tls: TlsConnector::from(tls), timeout }) }
    }

    /// A connection to `uri`'s host and port (TLS for `https`), within the connect timeout.
    pub async fn connect(&self, uri: &Uri) -> Result<Stream, ConnectError> {
        let timeout = self.inner.timeout;
        tokio::time::timeout(timeout, self.inner.connect(uri)).await.unwrap_or(Err(ConnectError::Timeout(timeout)))
    }
}

/// The TLS client configuration for upstreams: the system's trust store plus `extra_ca` (PEM),
/// ALPN `h2` then `http/1.1` (the probe's too: [`corsair_net::tls`]).
pub fn client_tls(extra_ca: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    corsair_net::tls::client_config(Trust::Roots { extra_ca }).map_err(|e| e.to_string())
}

impl Inner {
    async fn connect(&self, uri: &Uri) -> Result<Stream, ConnectError> {
        let host = uri.host().ok_or(ConnectError::NoHost)?;
        let https = uri.scheme_str() == Some("https");
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let tcp = match &self.egress {
            Some(guard) => {
                let addr = guard.resolve(&self.resolver, host, port).await.map_err(|r| match r {
                    egress::Refusal::Resolve(e) => ConnectError::Resolve(e),
                    other => ConnectError::Refused(other),
                })?;
                TcpStream::connect(addr).await.map_err(ConnectError::Connect)?
            }
            None => {
                let bare = host.trim_start_matches('[').trim_end_matches(']');
                let addrs = match bare.parse::<IpAddr>() {
                    Ok(ip) => vec![SocketAddr::new(ip, port)],
                    Err(_) => {
                        self.resolver.resolve(bare, port).await.map_err(|e| ConnectError::Resolve(e.to_string()))?
                    }
                };
                // `localhost` is often ::1 and 127.0.0.1 while the upstream listens on one.
                let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
                let mut connected = None;
                for addr in addrs {
                    match TcpStream::connect(addr).await {
                        Ok(s) => {
                            connected = Some(s);
                            break;
                        }
                        Err(e) => last = e,
                    }
                }
                connected.ok_or(ConnectError::Connect(last))?
            }
        };
        let _ = tcp.set_nodelay(true);
        if !https {
            return Ok(Stream::Plain(TokioIo::new(tcp)));
        }
        let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_owned())
            .map_err(|e| ConnectError::Tls(io::Error::new(io::ErrorKind::InvalidInput, e)))?;
        let tls = self.tls.connect(name, tcp).await.map_err(ConnectError::Tls)?;
        Ok(Stream::Tls(Box::new(TokioIo::new(tls))))
    }
}

/// A connection to an upstream.
pub enum Stream {
    /// Plain TCP.
    Plain(TokioIo<TcpStream>),
    /// TLS over TCP (boxed: the TLS state is large and most pools hold one kind).
    Tls(Box<TokioIo<TlsStream<TcpStream>>>),
}

impl Stream {
    /// True if TLS negotiated HTTP/2 (ALPN `h2`); plain connections speak HTTP/1.1.
    pub fn is_h2(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(tls) => tls.inner().get_ref().1.alpn_protocol() == Some(b"h2"),
        }
    }
}

impl hyper::rt::Read for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
        }
    }
}

impl hyper::rt::Write for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(&mut **s).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(&mut **s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }
}
