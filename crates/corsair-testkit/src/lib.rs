//! Test support for corsair: a scripted HTTP server on loopback whose every answer is chosen by
//! the test, and which records every request it gets (so tests can assert what a browser, or
//! `corsair check`, actually sent).
//!
//! Servers bind to loopback addresses only; tests never send traffic anywhere else.

pub mod alloc_count;
pub mod chromium;
pub mod firefox;
pub mod fuzz;
pub mod har;
mod launch;
pub mod modules;
pub mod page_fetch;
pub mod redis;
pub mod webkit;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A request as the server saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Header lines, names lower case, in order.
    pub headers: Vec<(String, String)>,
    /// `HTTP/1.1` or `HTTP/2`.
    pub version: String,
    /// The request body, read whole before the script answers.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What the server answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Header lines, sent in order (repeats allowed).
    pub headers: Vec<(String, Vec<u8>)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Reply {
    /// An empty reply with this status.
    pub fn status(status: u16) -> Reply {
        Reply { status, ..Reply::default() }
    }

    /// Adds a header line.
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Reply {
        self.headers.push((name.to_owned(), value.as_ref().to_vec()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }
}

/// Chooses the reply to each request.
pub type Script = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

/// A running server; stops when dropped.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The self-signed certificate (PEM) of a TLS server, for clients that must trust it.
    pub cert_pem: Option<String>,
    log: Arc<Mutex<Vec<Recorded>>>,
    _stop: oneshot::Sender<()>,
}

impl TestServer {
    /// Starts a plain-HTTP server (HTTP/1.1, and HTTP/2 with prior knowledge) on `ip:0`.
    ///
    /// Panics unless `ip` is a loopback address: tests must not listen elsewhere.
    pub async fn start(ip: IpAddr, script: Script) -> TestServer {
        Self::start_inner(ip, script, None).await
    }

    /// Starts an HTTPS server with a fresh self-signed certificate for `localhost` and the IP,
    /// offering ALPN `h2` and `http/1.1`.
    pub async fn start_tls(ip: IpAddr, script: Script) -> TestServer {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), ip.to_string()])
            .expect("a self-signed certificate");
        let der = cert.cert.der().clone();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![der], key)
            .expect("a server certificate");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let mut server = Self::start_inner(ip, script, Some(tokio_rustls::TlsAcceptor::from(Arc::new(config)))).await;
        server.cert_pem = Some(cert.cert.pem());
        server
    }

    async fn start_inner(ip: IpAddr, script: Script, tls: Option<tokio_rustls::TlsAcceptor>) -> TestServer {
        assert!(ip.is_loopback(), "test servers listen on loopback only, not {ip}");
        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = oneshot::channel::<()>();
        let server_log = log.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = &mut stopped => break,
                    a = listener.accept() => a,
                };
                let Ok((tcp, _)) = accepted else { continue };
                let (script, log, tls) = (script.clone(), server_log.clone(), tls.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                        let (script, log) = (script.clone(), log.clone());
                        async move {
                            // Read the whole request first, as most servers do: an answer sent
                            // while the client still writes its body races the connection's reset.
                            let (parts, body) = req.into_parts();
                            let body = match http_body_util::BodyExt::collect(body).await {
                                Ok(b) => b.to_bytes().to_vec(),
                                Err(_) => Vec::new(),
                            };
                            let req = hyper::Request::from_parts(parts, ());
                            Ok::<_, Infallible>(answer(&req, body, &script, &log))
                        }
                    });
                    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(tcp).await {
                                let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                            }
                        }
                        None => {
                            let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
                        }
                    }
                });
            }
        });
        TestServer { addr, cert_pem: None, log, _stop: stop }
    }

    /// `http://ADDR` (or the given scheme) as an origin string.
    pub fn origin(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

fn answer(
    req: &hyper::Request<()>,
    body: Vec<u8>,
    script: &Script,
    log: &Mutex<Vec<Recorded>>,
) -> hyper::Response<Full<Bytes>> {
    let recorded = Recorded {
        method: req.method().to_string(),
        path: req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_else(|| "/".to_owned()),
        headers: req
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        version: match req.version() {
            http::Version::HTTP_2 => "HTTP/2".to_owned(),
            _ => "HTTP/1.1".to_owned(),
        },
        body,
    };
    let reply = script(&recorded);
    if let Ok(mut l) = log.lock() {
        l.push(recorded);
    }
    let mut response = hyper::Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() =
        http::StatusCode::from_u16(reply.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in reply.headers {
        if let (Ok(n), Ok(v)) = (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_bytes(&value)) {
            response.headers_mut().append(n, v);
        }
    }
    response
}

/// A loopback address other than 127.0.0.1, for a second distinct host in tests.
pub fn loopback(n: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, n])
}

/// A page server on `127.0.0.n`: `/page` is an empty HTML page, for real-browser tests to
/// navigate to before they call other origins.
pub async fn page_server(n: u8) -> TestServer {
    const HTML: &str = "<!doctype html><meta charset=utf-8><title>corsair test page</title><p>page";
    TestServer::start(
        loopback(n),
        Arc::new(|r: &Recorded| {
            if r.path == "/page" {
                Reply::status(200).header("Content-Type", "text/html; charset=utf-8").body(HTML)
            } else {
                Reply::status(404)
            }
        }),
    )
    .await
}
