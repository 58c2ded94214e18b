//! [`UpstreamClient`]: the pooling HTTP/1.1 and HTTP/2 client to upstreams, on hyper's own
//! connection API.
//!
//! A gateway talks to a handful of upstreams, so the pool is a short list of origins (scheme and
//! authority) behind one lock. Each origin has its idle HTTP/1.1 connections (the most recently
//! used is taken first, so the rest age out) and its HTTP/2 connections (shared while open and
//! used within [`IDLE_TIMEOUT`]). An HTTP/1.1 connection goes back to the pool when its response
//! body has been read to the end ([`UpstreamBody`]); a body dropped before its end takes the
//! connection with it, since the rest of that response would be read as the next one.
//!
//! hyper-util's general client, which this replaces, hashed its pool key with SipHash on every
//! checkout and return, raced a connect against each checkout, and spawned a task per HTTP/1.1
//! response to put the connection back: about 8,000 of the 48,000 instructions a proxied request
//! cost. Like it, a request that a reused connection closed before taking is sent once more on
//! another connection (an upstream may close an idle connection as the request leaves).

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::header::{self, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, StatusCode, Uri};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::{Recycle, RequestBody, UpstreamBody};
use crate::connect::{ConnectError, Connector};

/// How long an idle connection is kept for reuse.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Most idle HTTP/1.1 connections kept per upstream origin; after a burst, the rest close.
pub const MAX_IDLE_PER_ORIGIN: usize = 128;

/// Most upstream origins with idle connections (open mode reaches many); the oldest entry goes.
const MAX_ORIGINS: usize = 256;

/// The pooling client; cheap to clone (one pool).
#[derive(Clone)]
pub struct UpstreamClient {
    shared: Arc<Shared>,
}

struct Shared {
    connector: Connector,
    idle: Mutex<Vec<Origin>>,
}

/// The idle connections to one upstream origin.
struct Origin {
    key: Key,
    /// Oldest first; with where each goes back to and the time it came back.
    http1: VecDeque<(http1::SendRequest<RequestBody>, Arc<Home>, Instant)>,
    /// With the time each was last used; the last handle dropped closes the connection.
    http2: Vec<(http2::SendRequest<RequestBody>, Instant)>,
}

#[derive(Clone, Debug)]
struct Key {
    scheme: Scheme,
    authority: Authority,
}

/// Exact bytes: `Authority`'s own comparison ignores case a byte at a time, which cost 390
/// instructions per request here. Two spellings of one host get two pools, which is harmless.
impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.authority.as_str() == other.authority.as_str() && self.scheme == other.scheme
    }
}

/// Where an HTTP/1.1 connection goes back to when a response body ends: made once per
/// connection, so a response hands it on with a reference count. Weak, so a pool dropped by a
/// reload is not kept alive by the connections it pooled.
struct Home {
    pool: Weak<Shared>,
    key: Key,
}

impl Recycle for Home {
    fn recycle(self: Arc<Self>, sender: http1::SendRequest<RequestBody>) {
        if let Some(shared) = self.pool.upgrade() {
            shared.put_back(self, sender);
        }
    }
}

enum Conn {
    Http1(http1::SendRequest<RequestBody>, Arc<Home>),
    Http2(http2::SendRequest<RequestBody>),
}

/// Why no response came back from the upstream.
#[derive(Debug)]
pub enum ClientError {
    /// The request URI has no scheme or host (a bug in the forwarder: it always sets both).
    NoHost,
    /// No connection: resolution, the SSRF guard, TCP, or TLS (see [`ConnectError`]).
    Connect(ConnectError),
    /// The HTTP/1.1 or HTTP/2 handshake over a new connection failed.
    Handshake(hyper::Error),
    /// The exchange failed after the connection was made (including the request body's errors,
    /// such as going over the body limit).
    Send(hyper::Error),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::NoHost => f.write_str("the upstream URL has no scheme or host"),
            ClientError::Connect(e) => e.fmt(f),
            ClientError::Handshake(e) => write!(f, "HTTP handshake with the upstream failed: {e}"),
            ClientError::Send(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::NoHost => None,
            ClientError::Connect(e) => Some(e),
            ClientError::Handshake(e) | ClientError::Send(e) => Some(e),
        }
    }
}

impl UpstreamClient {
    /// A client whose new connections come from `connector`.
    pub fn new(connector: Connector) -> UpstreamClient {
        UpstreamClient { shared: Arc::new(Shared { connector, idle: Mutex::new(Vec::new()) }) }
    }

    /// Sends `request` (an absolute URI: scheme, authority, path) on a pooled or new connection.
    /// HTTP/1.1 requests get a `Host` line from the URI unless they carry one, and go out in
    /// origin form; HTTP/2 is used where TLS negotiated it.
    pub async fn request(&self, mut request: Request<RequestBody>) -> Result<Response<UpstreamBody>, ClientError> {
        let key = Key::of(request.uri()).ok_or(ClientError::NoHost)?;
        loop {
            let pooled = std::future::poll_fn(|cx| Poll::Ready(self.checkout(&key, cx))).await;
            let (conn, reused) = match pooled {
                Some(conn) => (conn, true),
                None => (self.connect(&key, request.uri()).await?, false),
            };
            let mut refused = match conn {
                Conn::Http1(mut sender, home) => {
                    // A pooled one was ready at checkout; a new one is after its handshake.
                    if !reused {
                        sender.ready().await.map_err(ClientError::Send)?;
                    }
                    to_origin_form(&mut request, &key);
                    match sender.try_send_request(request).await {
                        Ok(response) => return Ok(http1_response(response, home, sender)),
                        Err(refused) => refused,
                    }
                }
                Conn::Http2(mut sender) => {
                    if let Err(e) = sender.ready().await {
                        if reused {
                            continue;
                        }
                        return Err(ClientError::Send(e));
                    }
                    match sender.try_send_request(request).await {
                        Ok(response) => return Ok(response.map(|body| UpstreamBody::new(body, None))),
                        Err(refused) => refused,
                    }
                }
            };
            // The request comes back only if the connection never took it.
            match refused.take_message() {
                Some(again) if reused => {
                    request = again;
                    to_absolute_form(&mut request, &key);
                }
                _ => return Err(ClientError::Send(refused.into_error())),
            }
        }
    }

    /// A pooled connection to `key` that can take a request now. An HTTP/1.1 connection is
    /// pooled when its response ends, which can be before it has sent the whole request body
    /// (an upstream may answer early): such a busy one is skipped and stays pooled, instead of
    /// being waited for as long as the client takes. Closed and expired ones are dropped.
    fn checkout(&self, key: &Key, cx: &mut Context<'_>) -> Option<Conn> {
        let mut idle = self.shared.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let origin = idle.iter_mut().find(|o| o.key == *key)?;
        let now = Instant::now();
        if !origin.http2.is_empty() {
            origin.http2.retain(|(s, used)| !s.is_closed() && now.duration_since(*used) < IDLE_TIMEOUT);
            if let Some((sender, used)) = origin.http2.first_mut() {
                *used = now;
                return Some(Conn::Http2(sender.clone()));
            }
        }
        let mut busy = Vec::new();
        let mut found = None;
        while let Some((mut sender, home, since)) = origin.http1.pop_back() {
            if now.duration_since(since) >= IDLE_TIMEOUT {
                continue;
            }
            match sender.poll_ready(cx) {
                Poll::Ready(Ok(())) => {
                    found = Some(Conn::Http1(sender, home));
                    break;
                }
                Poll::Ready(Err(_)) => {}
                Poll::Pending => busy.push((sender, home, since)),
            }
        }
        // Back where they were, newest last, for a later request.
        origin.http1.extend(busy.into_iter().rev());
        found
    }

    /// The idle entry of `key`, made if missing (the oldest origin's goes when there are many).
    fn origin<'a>(idle: &'a mut Vec<Origin>, key: &Key) -> &'a mut Origin {
        let at = match idle.iter().position(|o| o.key == *key) {
            Some(at) => at,
            None => {
                if idle.len() >= MAX_ORIGINS {
                    idle.remove(0);
                }
                idle.push(Origin { key: key.clone(), http1: VecDeque::new(), http2: Vec::new() });
                idle.len() - 1
            }
        };
        &mut idle[at]
    }

    async fn connect(&self, key: &Key, uri: &Uri) -> Result<Conn, ClientError> {
        let stream = self.shared.connector.connect(uri).await.map_err(ClientError::Connect)?;
        if stream.is_h2() {
            let (sender, connection) = http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                .handshake(stream)
                .await
                .map_err(ClientError::Handshake)?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(target: "corsair::upstream", error = %e, "HTTP/2 upstream connection ended");
                }
            });
            let mut idle = self.shared.idle.lock().unwrap_or_else(PoisonError::into_inner);
            Self::origin(&mut idle, key).http2.push((sender.clone(), Instant::now()));
            return Ok(Conn::Http2(sender));
        }
        let (sender, connection) = http1::handshake(stream).await.map_err(ClientError::Handshake)?;
        tokio::spawn(async move {
            if let Err(e) = connection.with_upgrades().await {
                tracing::debug!(target: "corsair::upstream", error = %e, "HTTP/1.1 upstream connection ended");
            }
        });
        let home = Arc::new(Home { pool: Arc::downgrade(&self.shared), key: key.clone() });
        Ok(Conn::Http1(sender, home))
    }
}

impl Shared {
    fn put_back(&self, home: Arc<Home>, sender: http1::SendRequest<RequestBody>) {
        if sender.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let origin = UpstreamClient::origin(&mut idle, &home.key);
        while origin
            .http1
            .front()
            .is_some_and(|(s, _, since)| s.is_closed() || now.duration_since(*since) >= IDLE_TIMEOUT)
        {
            origin.http1.pop_front();
        }
        if origin.http1.len() < MAX_IDLE_PER_ORIGIN {
            origin.http1.push_back((sender, home, now));
        }
    }
}

/// An HTTP/1.1 response, whose connection goes back to the pool when its body ends (at once if
/// it has none), unless the upstream switched protocols on it.
fn http1_response(
    response: Response<Incoming>,
    home: Arc<Home>,
    sender: http1::SendRequest<RequestBody>,
) -> Response<UpstreamBody> {
    let back = (response.status() != StatusCode::SWITCHING_PROTOCOLS).then_some((home as Arc<dyn Recycle>, sender));
    response.map(|body| UpstreamBody::new(body, back))
}

impl Key {
    fn of(uri: &Uri) -> Option<Key> {
        Some(Key { scheme: uri.scheme()?.clone(), authority: uri.authority()?.clone() })
    }
}

/// The `Host` value for `authority` under `scheme`: the host, and the port unless it is the
/// scheme's default. The forwarder makes it once per `http` route; the pool for the others.
pub fn host_value(scheme: &Scheme, authority: &Authority) -> Option<HeaderValue> {
    let host = authority.host();
    let default = if *scheme == Scheme::HTTPS { 443 } else { 80 };
    // A URI's host is valid header text (`http` checked it when the URI was made).
    match authority.port_u16() {
        Some(port) if port != default => HeaderValue::from_str(&format!("{host}:{port}")).ok(),
        _ => HeaderValue::from_str(host).ok(),
    }
}

/// `Host` from the URI unless the request has one ([`host_value`]), and the path alone as the
/// request target.
fn to_origin_form(request: &mut Request<RequestBody>, key: &Key) {
    if !request.headers().contains_key(header::HOST) {
        if let Some(value) = host_value(&key.scheme, &key.authority) {
            request.headers_mut().insert(header::HOST, value);
        }
    }
    let path = request.uri().path_and_query().cloned().unwrap_or_else(|| PathAndQuery::from_static("/"));
    *request.uri_mut() = Uri::from(path);
}

/// Undoes [`to_origin_form`]'s URI, for a request sent again.
fn to_absolute_form(request: &mut Request<RequestBody>, key: &Key) {
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(key.scheme.clone());
    parts.authority = Some(key.authority.clone());
    parts.path_and_query = request.uri().path_and_query().cloned().or_else(|| Some(PathAndQuery::from_static("/")));
    if let Ok(uri) = Uri::from_parts(parts) {
        *request.uri_mut() = uri;
    }
}
