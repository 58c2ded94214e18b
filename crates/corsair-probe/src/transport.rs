//! Moving one request and its response head: resolve, connect, TLS, HTTP/1.1 or HTTP/2.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use corsair_core::browser::{Request, Response};
use corsair_net::resolve::lookup;
use corsair_net::tls::{client_config, Trust};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use crate::{ProbeOptions, Received};

/// Why an exchange did not produce a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// The name did not resolve.
    Dns(String),
    /// No connection (refused, unreachable).
    Connect(String),
    /// The TLS handshake failed (certificate, protocol).
    Tls(String),
    /// No response head within the limit.
    Timeout(Duration),
    /// The server spoke broken HTTP, or the response head was too large.
    Http(String),
}

impl TransportError {
    /// The Chromium net error a browser would report.
    pub fn net_error(&self) -> &'static str {
        match self {
            TransportError::Dns(_) => "ERR_NAME_NOT_RESOLVED",
            TransportError::Connect(_) => "ERR_CONNECTION_REFUSED",
            TransportError::Tls(_) => "ERR_CERT_AUTHORITY_INVALID",
            TransportError::Timeout(_) => "ERR_TIMED_OUT",
            TransportError::Http(_) => "ERR_INVALID_HTTP_RESPONSE",
        }
    }

    /// The server's certificate chains to no trusted root (a self-signed development server, a
    /// private CA): the case a shell with a flag to accept any certificate can point to.
    pub fn is_untrusted_certificate(&self) -> bool {
        matches!(self, TransportError::Tls(m) if m.contains("UnknownIssuer") || m.contains("invalid peer certificate"))
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Dns(m) => write!(f, "DNS: {m}"),
            TransportError::Connect(m) => write!(f, "connection failed: {m}"),
            TransportError::Tls(m) => write!(f, "TLS: {m}"),
            TransportError::Timeout(d) => write!(f, "no response within {} s", d.as_secs_f64()),
            TransportError::Http(m) => write!(f, "HTTP: {m}"),
        }
    }
}

impl std::error::Error for TransportError {}

/// Most response header lines accepted.
const MAX_HEADERS: usize = 256;

/// Most bytes of response head accepted.
const MAX_HEAD_BYTES: usize = 256 * 1024;

/// The TLS client configuration, built on first use: loading the platform's roots costs a
/// tenth of a second or more, which a run that talks plain http (most local debugging, most
/// audits of loopback) should not pay.
pub(crate) struct Tls {
    insecure: bool,
    config: std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, TransportError>>,
}

impl Tls {
    pub(crate) fn new(insecure: bool) -> Tls {
        Tls { insecure, config: std::sync::OnceLock::new() }
    }

    fn get(&self) -> Result<Arc<rustls::ClientConfig>, TransportError> {
        self.config.get_or_init(|| tls_config(self.insecure)).clone()
    }
}

/// TLS with the platform's roots (or no verification when `insecure`), ALPN h2 then http/1.1:
/// the configuration the gateway's upstream client uses too ([`corsair_net::tls`]).
fn tls_config(insecure: bool) -> Result<Arc<rustls::ClientConfig>, TransportError> {
    let trust = if insecure { Trust::AnyCertificate } else { Trust::Roots { extra_ca: None } };
    client_config(trust).map_err(|e| TransportError::Tls(e.to_string()))
}

/// Sends one request (with its body, if it has one) and reads the response head; the response
/// body is never read.
pub(crate) async fn send(request: &Request, options: &ProbeOptions, tls: &Tls) -> Result<Received, TransportError> {
    let url = &request.url;
    let host = url.host_str().ok_or_else(|| TransportError::Dns("the URL has no host".to_owned()))?;
    let port = url.port_or_known_default().unwrap_or(80);
    let addr = resolve(host, port, options).await?;
    let tcp = TcpStream::connect(addr).await.map_err(|e| TransportError::Connect(format!("{addr}: {e}")))?;
    let _ = tcp.set_nodelay(true);
    if url.scheme() == "https" {
        let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_owned())
            .map_err(|e| TransportError::Tls(e.to_string()))?;
        let stream = tokio_rustls::TlsConnector::from(tls.get()?)
            .connect(name, tcp)
            .await
            .map_err(|e| TransportError::Tls(e.to_string()))?;
        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
        exchange(TokioIo::new(stream), request, options, h2).await
    } else {
        exchange(TokioIo::new(tcp), request, options, false).await
    }
}

async fn resolve(host: &str, port: u16, options: &ProbeOptions) -> Result<SocketAddr, TransportError> {
    let addrs = lookup(&options.resolve, host, port).await.map_err(|e| TransportError::Dns(format!("{host}: {e}")))?;
    addrs.into_iter().next().ok_or_else(|| TransportError::Dns(format!("{host}: no address")))
}

async fn exchange<IO>(
    io: TokioIo<IO>,
    request: &Request,
    options: &ProbeOptions,
    h2: bool,
) -> Result<Received, TransportError>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let req = build_request(request, options, h2)?;
    let http_err = |e: hyper::Error| TransportError::Http(e.to_string());
    let response = if h2 {
        let (mut sender, conn) = hyper::client::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .max_header_list_size(MAX_HEAD_BYTES as u32)
            .handshake(io)
            .await
            .map_err(http_err)?;
        tokio::spawn(conn);
        sender.send_request(req).await.map_err(http_err)?
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
            .max_headers(MAX_HEADERS)
            .max_buf_size(MAX_HEAD_BYTES.max(8192))
            .handshake(io)
            .await
            .map_err(http_err)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        sender.send_request(req).await.map_err(http_err)?
    };
    let version = match response.version() {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2",
        http::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    };
    let reason = if h2 {
        None
    } else {
        // hyper keeps the phrase only when it is not the canonical one.
        let custom = response.extensions().get::<hyper::ext::ReasonPhrase>();
        Some(match custom {
            Some(r) => String::from_utf8_lossy(r.as_bytes()).into_owned(),
            None => response.status().canonical_reason().unwrap_or_default().to_owned(),
        })
    };
    Ok(Received { version, reason, response: Response::from(&response) })
}

fn build_request(
    request: &Request,
    options: &ProbeOptions,
    h2: bool,
) -> Result<http::Request<Full<Bytes>>, TransportError> {
    let url = &request.url;
    let uri = if h2 {
        url.as_str().to_owned()
    } else {
        let mut path = url.path().to_owned();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        path
    };
    let mut builder = http::Request::builder().method(request.method.as_str()).uri(uri);
    if h2 {
        builder = builder.version(http::Version::HTTP_2);
    } else {
        let authority = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        builder = builder.header(http::header::HOST, authority);
    }
    builder = builder.header(http::header::USER_AGENT, options.user_agent.as_str());
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    // hyper adds `Content-Length` from the body's exact size.
    let body = Bytes::from(request.body.clone().unwrap_or_default());
    builder.body(Full::new(body)).map_err(|e| TransportError::Http(format!("cannot send this request: {e}")))
}
