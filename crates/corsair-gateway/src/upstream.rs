//! [`UpstreamClient`]: the HTTP/1.1 and HTTP/2 client to upstreams, on hyper's own connection
//! API, over the gateway's one [`Pool`] (which the relay shares: see `pool.rs` for the rules).
//!
//! An HTTP/1.1 connection goes back to the pool when its response body has been read to the end
//! ([`UpstreamBody`]); a body dropped before its end takes the connection with it, since the
//! rest of that response would be read as the next one. HTTP/2 connections are shared while
//! open. With no idle HTTP/1.1 connection, a stream the relay left is handed to a handshake
//! before a new one is opened.
//!
//! hyper-util's general client, which this replaces, hashed its pool key with SipHash on every
//! checkout and return, raced a connect against each checkout, and spawned a task per HTTP/1.1
//! response to put the connection back: about 8,000 of the 48,000 instructions a proxied request
//! cost. Like it, a request that a reused connection closed before taking is sent once more on
//! another connection (an upstream may close an idle connection as the request leaves).

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{self, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, StatusCode, Uri};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};

use crate::body::{Recycle, RequestBody, UpstreamBody};
use crate::connect::{ConnectError, Connector, Stream};
use crate::pool::{Home, Http1, Key, Origin, Pool, Raw};

/// The client; cheap to clone (one pool).
#[derive(Clone)]
pub struct UpstreamClient {
    shared: Arc<Shared>,
}

struct Shared {
    connector: Connector,
    pool: Pool,
}

/// A connection for one request.
enum Conn {
    Http1(http1::SendRequest<RequestBody>, Arc<Home>),
    Http2(http2::SendRequest<RequestBody>),
}

/// What the pool had for a request.
enum Pooled {
    /// A connection that can take it now.
    Ready(Conn),
    /// A stream the relay left, for a handshake.
    Raw(Raw),
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
        UpstreamClient { shared: Arc::new(Shared { connector, pool: Pool::default() }) }
    }

    /// The pool, which the relay's routes share.
    pub fn pool(&self) -> &Pool {
        &self.shared.pool
    }

    /// Sends `request` (an absolute URI: scheme, authority, path) on a pooled or new connection.
    /// HTTP/1.1 requests get a `Host` line from the URI unless they carry one, and go out in
    /// origin form; HTTP/2 is used where TLS negotiated it.
    pub async fn request(&self, mut request: Request<RequestBody>) -> Result<Response<UpstreamBody>, ClientError> {
        let key = Key::of(request.uri()).ok_or(ClientError::NoHost)?;
        let origin = self.shared.pool.find(&key);
        loop {
            let pooled = match &origin {
                Some(origin) => std::future::poll_fn(|cx| Poll::Ready(checkout(origin, cx))).await.map(|p| (p, origin)),
                None => None,
            };
            // `ready`: a pooled one was ready at checkout; a new one is after its handshake.
            let (conn, reused, ready) = match pooled {
                Some((Pooled::Ready(conn), _)) => (conn, true, true),
                Some((Pooled::Raw(raw), origin)) => {
                    let stream = Stream::Plain(TokioIo::new(raw.io));
                    (self.handshake(origin, stream).await?, true, false)
                }
                None => {
                    let stream = self.shared.connector.connect(request.uri()).await.map_err(ClientError::Connect)?;
                    let origin = match &origin {
                        Some(origin) => origin.clone(),
                        None => self.shared.pool.origin(&key),
                    };
                    (self.handshake(&origin, stream).await?, false, false)
                }
            };
            let mut refused = match conn {
                Conn::Http1(mut sender, home) => {
                    if !ready {
                        if let Err(e) = sender.ready().await {
                            if reused {
                                continue;
                            }
                            return Err(ClientError::Send(e));
                        }
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

    /// An HTTP/2 or HTTP/1.1 connection over `stream`, whose connection task runs on its own.
    async fn handshake(&self, origin: &Arc<Origin>, stream: Stream) -> Result<Conn, ClientError> {
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
            origin.add_http2(sender.clone());
            return Ok(Conn::Http2(sender));
        }
        let (sender, connection) = http1::handshake(stream).await.map_err(ClientError::Handshake)?;
        tokio::spawn(async move {
            if let Err(e) = connection.with_upgrades().await {
                tracing::debug!(target: "corsair::upstream", error = %e, "HTTP/1.1 upstream connection ended");
            }
        });
        Ok(Conn::Http1(sender, origin.home()))
    }
}

/// What `origin` has for a request now: a shared HTTP/2 connection, an idle HTTP/1.1 one (one
/// still sending a request body is skipped and stays pooled, instead of being waited for as long
/// as the client takes), or a stream the relay left.
fn checkout(origin: &Origin, cx: &mut Context<'_>) -> Option<Pooled> {
    if origin.key().scheme == Scheme::HTTPS {
        if let Some(sender) = origin.http2() {
            return Some(Pooled::Ready(Conn::Http2(sender)));
        }
    }
    if let Some(Http1 { sender, home }) = origin.http1.take(cx) {
        return Some(Pooled::Ready(Conn::Http1(sender, home)));
    }
    origin.raw.take(cx).map(Pooled::Raw)
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
