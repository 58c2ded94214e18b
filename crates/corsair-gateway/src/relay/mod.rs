//! The HTTP/1.1 relay: the gateway's fast path for plain HTTP/1.1 between client and upstream.
//!
//! hyper parses each message into maps and writes it out again on both legs, through a
//! connection task and channels for the client side; for a proxy that adds a few CORS lines,
//! that was most of the work (40k instructions per proxied request, against nginx's 23k doing
//! the same job). The relay reads the request head in place with httparse, decides with the core
//! as the CORS layer does, writes the upstream head from the same bytes, and rewrites the
//! response head the same way. Bodies pass through as bytes, framed by `Content-Length` or
//! chunked. Upstream connections go back to the pool both paths share after each answer.
//!
//! It takes only the plain cases (see [`head`]), on gateway routes with an `http` upstream, in
//! enforce mode, for requests the policy allows, with the decision log below debug level. Any
//! other request, and everything after it on that connection, goes to hyper with the bytes
//! already read: refusals, upgrades, odd framing, HTTP/1.0 and HTTP/2 all keep one
//! implementation, and so do their answers and log lines.

pub mod chunked;
mod date;
pub mod head;

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use corsair_core::decision::CORS_REQUEST_HEADERS;
use corsair_core::{Action, CorsHeaders, Policy, RequestKind};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode, Uri};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Sleep;

use crate::answer;
use crate::body::ProxyBody;
use crate::config::Upstream;
use crate::connect::{ConnectError, Connector, Stream};
use crate::loops::LoopMark;
use crate::metrics::Metrics;
use crate::observe::{self, count_failure, GatewayRefusal, LogLine, Outcome};
use crate::pool::{Key, Origin, Raw};
use crate::rewrite;
use crate::route::{Destination, Peer, Route};
use crate::upstream::ClientError;
use chunked::Chunked;
use head::{Framing, Parsed, RequestHead, ResponseHead};

/// Longest request or response head; longer requests go to hyper (which answers 431), longer
/// responses are a 502.
pub const MAX_HEAD: usize = 64 * 1024;

/// What the relay needs of the configuration current when a request arrives (the service's
/// runtime): a trait, so that the relay sits below the service that builds it.
pub trait Routes {
    /// The relay of the route for `path`, if that route has one.
    fn relay_for(&self, path: &str) -> Option<&Arc<RelayRoute>>;
    /// Whether `path` is one the gateway answers itself (health, metrics): hyper's to serve.
    fn is_operations_path(&self, path: &str) -> bool;
    /// This server's `Via` mark.
    fn loop_mark(&self) -> &LoopMark;
    /// The process's metrics.
    fn metrics(&self) -> &Metrics;
}

/// Room made in a buffer before each read.
const READ_CHUNK: usize = 8 * 1024;

/// What a route needs to be relayed: its forwarder's settings, and its upstream's entry in the
/// pool both paths share.
pub struct RelayRoute {
    route: Arc<Route>,
    connector: Connector,
    /// `http://authority/`, what the connector resolves and checks.
    target: Uri,
    /// The upstream's idle connections: the relay takes and returns raw streams.
    origin: Arc<Origin>,
}

impl RelayRoute {
    /// The relay for `route`, if it can take it: a fixed `http` upstream.
    pub fn new(route: Arc<Route>, connector: Connector) -> Option<RelayRoute> {
        let Destination::Fixed { upstream, host: Some(_), .. } = &route.destination else {
            return None;
        };
        let target = Uri::builder()
            .scheme(upstream.scheme.clone())
            .authority(upstream.authority.clone())
            .path_and_query("/")
            .build()
            .ok()?;
        let origin = route.client.pool().origin(&Key::of(&target)?);
        Some(RelayRoute { target, connector, route, origin })
    }

    fn policy(&self) -> &Policy {
        &self.route.policy
    }

    /// The route's fixed destination: upstream, prefix, whether to strip it, `Host` value.
    fn fixed(&self) -> (&Upstream, &str, bool, &HeaderValue) {
        match &self.route.destination {
            Destination::Fixed { upstream, prefix, strip, host: Some(host) } => (upstream, prefix, *strip, host),
            _ => unreachable!("RelayRoute::new takes fixed http destinations only"),
        }
    }

    async fn connect(&self) -> Result<Raw, ConnectError> {
        match self.connector.connect(&self.target).await? {
            Stream::Plain(io) => Ok(Raw { io: io.into_inner(), buf: BytesMut::with_capacity(READ_CHUNK) }),
            Stream::Tls(_) => Err(ConnectError::Connect(io::Error::other("TLS to an http upstream"))),
        }
    }
}

/// How a client connection left the relay.
pub enum End {
    /// Closed, or to be closed.
    Closed,
    /// hyper serves the rest of it: [`Client::into_io`] gives the stream and the bytes read.
    Hyper,
}

/// A client connection served by the relay.
pub struct Client {
    io: TcpStream,
    buf: BytesMut,
    /// The head being sent upstream (or the relay's own answer).
    out: Vec<u8>,
    /// The response head being sent to the client, and small bodies with it.
    answer: Vec<u8>,
    peer: Peer,
    /// The client's address as `X-Forwarded-For` text.
    client_text: HeaderValue,
    /// The path of the request being served, for the log of a failure.
    path: String,
    /// The CORS lines of the request, for the core's decision.
    cors_lines: CorsLines,
    deadline: Deadline,
    /// Longest wait for a request head.
    header_timeout: Duration,
}

/// What one exchange left.
enum Served {
    KeepAlive,
    Close,
    Hyper,
}

impl Client {
    /// A new client connection, which closes when no request head comes in `header_timeout`.
    pub fn new(io: TcpStream, peer: Peer, header_timeout: Duration) -> Client {
        Client {
            io,
            buf: BytesMut::with_capacity(READ_CHUNK),
            out: Vec::with_capacity(1024),
            answer: Vec::with_capacity(1024),
            client_text: rewrite::address_value(peer.addr.ip().to_canonical()),
            path: String::new(),
            peer,
            cors_lines: CorsLines::default(),
            deadline: Deadline::new(header_timeout),
            header_timeout,
        }
    }

    /// The stream and the bytes read but not served, for hyper.
    pub fn into_io(self) -> Prefixed {
        Prefixed { prefix: self.buf, io: self.io }
    }

    /// Serves requests until the connection ends or one needs hyper. `runtime` gives the
    /// configuration current when each request arrives; `stop` turns true at shutdown, after
    /// which the connection closes once the exchange in progress is done.
    pub async fn run<R: Routes>(&mut self, runtime: impl Fn() -> Arc<R>, stop: &mut watch::Receiver<bool>) -> End {
        loop {
            if !self.read_head(stop).await {
                break;
            }
            let runtime = runtime();
            match self.serve(&*runtime).await {
                Served::KeepAlive if !*stop.borrow() => continue,
                Served::KeepAlive | Served::Close => break,
                Served::Hyper => return End::Hyper,
            }
        }
        End::Closed
    }

    /// Waits until the buffer holds a whole head (or bytes hyper must judge); false when the
    /// connection is over: closed, idle past the header timeout, or shutting down between
    /// requests.
    async fn read_head(&mut self, stop: &mut watch::Receiver<bool>) -> bool {
        self.deadline.set(Instant::now() + self.header_timeout);
        loop {
            if head::may_be_complete(&self.buf) || self.buf.len() > MAX_HEAD {
                return true;
            }
            if self.buf.capacity() - self.buf.len() < READ_CHUNK / 2 {
                self.buf.reserve(READ_CHUNK);
            }
            let idle = self.buf.is_empty();
            let read = tokio::select! {
                biased;
                r = self.io.read_buf(&mut self.buf) => r,
                _ = stop.changed(), if idle => return false,
                _ = self.deadline.expired() => return false,
            };
            match read {
                Ok(0) | Err(_) => return false,
                Ok(_) => {}
            }
        }
    }

    /// Serves the request whose head is at the start of the buffer.
    async fn serve(&mut self, runtime: &impl Routes) -> Served {
        let started = Instant::now();
        let plan = {
            let mut lines = [httparse::EMPTY_HEADER; head::MAX_REQUEST_LINES];
            let head = match head::parse_request(&self.buf, &mut lines) {
                Parsed::Head(head) => head,
                // A head that ends in bare LFs; whatever it is, hyper judges it.
                Parsed::Partial | Parsed::Hyper => return Served::Hyper,
            };
            let count = lines.iter().take_while(|l| !l.name.is_empty()).count();
            // Either way the answer is awaited after this block, so the lines array is not part of
            // the future's state.
            match plan(runtime, &head, &lines[..count], &mut self.cors_lines, &mut self.out) {
                Some(answer @ Plan::Answer { .. }) => answer,
                Some(Plan::Forward(forwarding)) => {
                    let relay = &forwarding.relay;
                    self.path.clear();
                    self.path.push_str(head.target.split('?').next().unwrap_or_default());
                    let (upstream, prefix, strip, host) = relay.fixed();
                    let path = rewrite::upstream_path(upstream, prefix, strip, head.target);
                    let forwarded = head::ForwardedFor {
                        mode: relay.route.forwarded,
                        client: self.client_text.as_bytes(),
                        proto: if self.peer.tls { "https" } else { "http" },
                    };
                    let via = runtime.loop_mark().via().as_bytes();
                    let upstream = head::Upstream { path: &path, host: host.as_bytes(), via };
                    head::write_request(&mut self.out, &head, &lines[..count], upstream, forwarded);
                    Plan::Forward(forwarding)
                }
                None => return Served::Hyper,
            }
        };
        match plan {
            Plan::Forward(plan) => {
                self.buf.advance(plan.head_len);
                self.forward(plan, runtime, started).await
            }
            Plan::Answer { head_len, close } => {
                self.buf.advance(head_len);
                self.answer(close, runtime).await
            }
        }
    }

    /// Sends the relay's own answer (an allowed preflight), whose head [`plan`] wrote.
    async fn answer(&mut self, close: bool, runtime: &impl Routes) -> Served {
        observe::record(runtime.metrics(), RequestKind::Preflight, false, &Outcome::default(), None);
        if self.io.write_all(&self.out).await.is_err() || close {
            return Served::Close;
        }
        Served::KeepAlive
    }

    /// Forwards the request whose upstream head is in `self.out` and relays the answer.
    async fn forward(&mut self, plan: Forwarding, runtime: &impl Routes, started: Instant) -> Served {
        let relay = plan.relay.clone();
        let timeout = relay.route.limits.request_timeout;
        // The whole body is in hand when it is no longer than what was read with the head: then
        // the request can be sent again on a new connection if a kept one turns out closed.
        let in_hand = plan.body <= self.buf.len() as u64;
        if in_hand {
            let body = plan.body as usize;
            self.out.extend_from_slice(&self.buf[..body]);
            self.buf.advance(body);
        }
        self.deadline.set(started + timeout);
        let exchanged = {
            let request =
                Request { head: &self.out, in_hand, body: plan.body, head_request: plan.method == Method::HEAD };
            let answer = Answer { out: &mut self.answer, cors: &plan.cors, close: plan.close };
            let exchange = exchange(&relay, request, &mut self.io, &mut self.buf, answer);
            tokio::select! {
                biased;
                r = exchange => Some(r),
                _ = self.deadline.expired() => None,
            }
        };
        let elapsed = started.elapsed();
        let (mut conn, head, whole) = match exchanged {
            Some(Ok(pair)) => pair,
            Some(Err(e)) => {
                let (response, outcome) = match e {
                    Failure::Connect(e) => answer::failure(&ClientError::Connect(e), elapsed),
                    Failure::Broken(why) => answer::broken(&why, elapsed),
                    Failure::Client => return Served::Close,
                };
                return self.fail(response, outcome, &plan, runtime, started).await;
            }
            None => {
                let (response, outcome) = answer::timed_out(timeout, elapsed);
                return self.fail(response, outcome, &plan, runtime, started).await;
            }
        };
        if !whole && !plan.close && head.framing != Framing::UntilClose {
            // The head was written before the body stopped short: say the connection closes.
            self.answer.truncate(self.answer.len() - 2);
            self.answer.extend_from_slice(b"connection: close\r\n\r\n");
        }
        relay.route.metrics.upstream(elapsed);
        let outcome = Outcome { upstream: Some(elapsed), refused: None };
        observe::record(runtime.metrics(), plan.kind, false, &outcome, None);
        match relay_body(&mut self.io, &mut self.answer, &mut conn, head.framing).await {
            Ok(()) => {
                // Back to the pool at once: an idle client holds no upstream connection.
                if head.reusable && whole && conn.buf.is_empty() {
                    relay.origin.raw.put(conn);
                }
                // A body the client still owes cannot be told from its next request.
                if plan.close || !whole || head.framing == Framing::UntilClose {
                    Served::Close
                } else {
                    Served::KeepAlive
                }
            }
            Err(_) => Served::Close,
        }
    }

    /// Sends the gateway's own answer to a request that failed upstream, with the request's CORS
    /// headers, and counts and logs it as hyper's path does.
    async fn fail(
        &mut self,
        mut response: Response<ProxyBody>,
        outcome: Outcome,
        plan: &Forwarding,
        runtime: &impl Routes,
        started: Instant,
    ) -> Served {
        let metrics = &plan.relay.route.metrics;
        count_failure(metrics, &outcome);
        observe::record(runtime.metrics(), plan.kind, false, &outcome, None);
        let line = LogLine {
            route: plan.relay.fixed().1,
            method: &plan.method,
            path: &self.path,
            origin: self.cors_lines.map.get(header::ORIGIN),
            kind: plan.kind,
            status: response.status().as_u16(),
            refused: outcome.refused.map(GatewayRefusal::as_str),
            would_refuse: None,
            started,
            upstream: outcome.upstream,
        };
        line.write();
        plan.cors.clone().apply_to(response.headers_mut());
        let ProxyBody::Full(Some(text)) = response.body() else { return Served::Close };
        self.out.clear();
        write_own_head(&mut self.out, response.status(), response.headers().iter(), text.len() as u64, true);
        self.out.extend_from_slice(text);
        let _ = self.io.write_all(&self.out).await;
        // The request's body may be unread: the connection cannot carry another request.
        Served::Close
    }
}

/// What the relay does with a request. It lives on the stack for one request: boxing the large
/// variant would cost an allocation each time.
#[allow(clippy::large_enum_variant)]
enum Plan {
    /// Send the answer [`plan`] wrote (an allowed preflight), after taking the head's `head_len`
    /// bytes off the buffer.
    Answer { head_len: usize, close: bool },
    /// Forward it.
    Forward(Forwarding),
}

/// A request on its way upstream.
struct Forwarding {
    relay: Arc<RelayRoute>,
    cors: CorsHeaders,
    kind: RequestKind,
    head_len: usize,
    body: u64,
    close: bool,
    method: Method,
}

/// The CORS lines of a request as the core reads them, in a map kept for the connection (cleared,
/// not freed). A value equal to the one of the same name in the previous request is shared with
/// it rather than copied: a page sends the same `Origin` on every request of a connection, so
/// the usual request copies nothing.
#[derive(Default)]
struct CorsLines {
    map: HeaderMap,
    /// One per name of [`CORS_REQUEST_HEADERS`] (a test checks the count).
    last: [Option<HeaderValue>; 4],
}

impl CorsLines {
    /// Collects the CORS lines of `lines`; `None` if a value is not valid header text.
    fn read(&mut self, lines: &[httparse::Header<'_>]) -> Option<&HeaderMap> {
        self.map.clear();
        let mut seen = [false; 4];
        for line in lines {
            let Some(i) = CORS_REQUEST_HEADERS.iter().position(|n| line.name.eq_ignore_ascii_case(n.as_str())) else {
                continue;
            };
            let value = match &self.last[i] {
                Some(last) if !seen[i] && last.as_bytes() == line.value => last.clone(),
                _ => {
                    let value = HeaderValue::from_bytes(line.value).ok()?;
                    if !seen[i] {
                        self.last[i] = Some(value.clone());
                    }
                    value
                }
            };
            seen[i] = true;
            self.map.append(CORS_REQUEST_HEADERS[i].clone(), value);
        }
        Some(&self.map)
    }
}

/// Decides what to do with a parsed request; `None` hands it to hyper. An answer of the relay's
/// own is written into `out`.
fn plan(
    runtime: &impl Routes,
    head: &RequestHead<'_>,
    lines: &[httparse::Header<'_>],
    cors_lines: &mut CorsLines,
    out: &mut Vec<u8>,
) -> Option<Plan> {
    let path = head.target.split('?').next().unwrap_or_default();
    if runtime.is_operations_path(path) {
        return None;
    }
    let relay = runtime.relay_for(path)?;
    // A request that has been through this proxy already: hyper's path answers 508.
    let mark = runtime.loop_mark();
    if lines.iter().any(|l| l.name.eq_ignore_ascii_case("via") && mark.in_via(l.value)) {
        return None;
    }
    if head.body > relay.route.limits.max_body {
        return None;
    }
    // The decision log writes every request at debug level: that is hyper's path.
    if tracing::enabled!(target: "corsair::decision", tracing::Level::DEBUG) {
        return None;
    }
    let method = Method::from_bytes(head.method.as_bytes()).ok()?;
    let cors_lines = cors_lines.read(lines)?;
    let decision = relay.policy().decide((&method, cors_lines));
    if !decision.is_allowed() {
        // Refusals are rare, logged, counted and marked: hyper's path does all of it.
        return None;
    }
    match decision.action() {
        // A preflight with a body (no browser sends one) goes to hyper, which reads the body or
        // closes: answered here, the body would be read as the next request.
        Action::Respond(_) if head.body > 0 => None,
        Action::Respond(status) => {
            // The lines of `decision.answer_headers()`, written without making that map.
            let vary = decision.vary();
            let vary = (!vary.is_empty()).then(|| vary.value());
            let lines = decision.headers().chain(vary.iter().map(|v| (header::VARY, v)));
            out.clear();
            write_own_head(out, status, lines, 0, head.close);
            Some(Plan::Answer { head_len: head.len, close: head.close })
        }
        Action::Forward => Some(Plan::Forward(Forwarding {
            relay: relay.clone(),
            cors: decision.to_headers(),
            kind: decision.kind(),
            head_len: head.len,
            body: head.body,
            close: head.close,
            method,
        })),
    }
}

/// Writes a head of the gateway's own: status, `headers`, `Date`, and `Content-Length` unless
/// the status has no body.
fn write_own_head<N: AsRef<[u8]>, V: AsRef<[u8]>>(
    out: &mut Vec<u8>,
    status: StatusCode,
    lines: impl Iterator<Item = (N, V)>,
    length: u64,
    close: bool,
) {
    head::write_status(out, status.as_u16());
    for (name, value) in lines {
        out.extend_from_slice(name.as_ref());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_ref());
        out.extend_from_slice(b"\r\n");
    }
    date::write_line(out);
    if !(status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED || status.is_informational()) {
        head::write_length(out, length);
    }
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Why an exchange failed.
enum Failure {
    /// No connection to the upstream.
    Connect(ConnectError),
    /// The upstream broke the exchange or answered nonsense.
    Broken(String),
    /// The client went away while sending its body.
    Client,
}

/// The request an exchange sends.
struct Request<'a> {
    /// The upstream head, and the body after it when `in_hand`.
    head: &'a [u8],
    /// The whole body is in `head`.
    in_hand: bool,
    /// The body's length.
    body: u64,
    /// A `HEAD` request: the answer has no body.
    head_request: bool,
}

/// Where an exchange writes the client's response head, and what goes in it.
struct Answer<'a> {
    out: &'a mut Vec<u8>,
    cors: &'a CorsHeaders,
    close: bool,
}

/// Sends the request (and the body, when not in hand, from the client) and reads the response
/// head, written for the client into `answer.out`; says whether the whole request body went up.
/// An idle connection found closed when the request is written to it is replaced once, when the
/// request is in hand.
async fn exchange(
    relay: &Arc<RelayRoute>,
    request: Request<'_>,
    client: &mut TcpStream,
    client_buf: &mut BytesMut,
    answer: Answer<'_>,
) -> Result<(Raw, ResponseHead, bool), Failure> {
    let mut reused_conn = relay.origin.raw.take_now();
    let Answer { out, cors, close } = answer;
    loop {
        let reused = reused_conn.is_some();
        let mut conn = match reused_conn.take() {
            Some(conn) => conn,
            None => relay.connect().await.map_err(Failure::Connect)?,
        };
        conn.buf.clear();
        let mut whole = true;
        let answer = match conn.io.write_all(request.head).await {
            Err(e) => Err(ReadError::Unsent(e)),
            Ok(()) if request.in_hand => {
                read_response_head(&mut conn.io, &mut conn.buf, request.head_request, out, cors, close).await
            }
            Ok(()) => {
                // The body streams up while the answer is awaited: an upstream may answer (a
                // 413, say) before it has all of it, and that answer goes to the client at once.
                let (mut reader, mut writer) = conn.io.split();
                let send = send_body(&mut writer, client, client_buf, request.body);
                let read = read_response_head(&mut reader, &mut conn.buf, request.head_request, out, cors, close);
                tokio::pin!(send, read);
                let mut sending = true;
                whole = false;
                loop {
                    tokio::select! {
                        sent = &mut send, if sending => match sent {
                            Ok(()) => {
                                sending = false;
                                whole = true;
                            }
                            Err(Failure::Client) => return Err(Failure::Client),
                            // The upstream stopped reading; it may still answer.
                            Err(_) => sending = false,
                        },
                        answer = &mut read => break answer,
                    }
                }
            }
        };
        match answer {
            Ok(head) => return Ok((conn, head, whole)),
            // An idle connection the upstream had closed, found when writing: the request was not
            // taken, so it goes again. Once written it is never resent (checkout's peek finds
            // most closed connections before that): an upstream that took a request and closed
            // without answering may have acted on it, and a POST must not run twice. hyper's
            // path resends in the same case only.
            Err(ReadError::Unsent(_)) if reused && request.in_hand => continue,
            Err(ReadError::Io(e) | ReadError::Unsent(e)) => {
                return Err(Failure::Broken(format!("the upstream broke the exchange: {e}")))
            }
            Err(ReadError::Eof) => {
                return Err(Failure::Broken("the upstream closed the connection before answering".into()))
            }
            Err(ReadError::Invalid(why)) => return Err(Failure::Broken(format!("the upstream sent {why}"))),
        }
    }
}

/// Streams `body` bytes of request body from the client to the upstream.
async fn send_body(
    upstream: &mut (impl AsyncWrite + Unpin),
    client: &mut TcpStream,
    client_buf: &mut BytesMut,
    mut body: u64,
) -> Result<(), Failure> {
    let broken = |e: io::Error| Failure::Broken(format!("the upstream broke the exchange: {e}"));
    loop {
        let take = body.min(client_buf.len() as u64) as usize;
        if take > 0 {
            upstream.write_all(&client_buf[..take]).await.map_err(broken)?;
            client_buf.advance(take);
            body -= take as u64;
        }
        if body == 0 {
            return Ok(());
        }
        client_buf.reserve(READ_CHUNK);
        match client.read_buf(client_buf).await {
            Ok(0) | Err(_) => return Err(Failure::Client),
            Ok(_) => {}
        }
    }
}

enum ReadError {
    /// Writing the request failed.
    Unsent(io::Error),
    /// Reading the response failed.
    Io(io::Error),
    /// The stream ended before a whole response head.
    Eof,
    Invalid(&'static str),
}

/// Reads until `buf` starts with a final (non-1xx) response head, writes the client's head into
/// `out` and takes the upstream's off the buffer. Interim responses are dropped, as
/// hyper's client drops them.
async fn read_response_head(
    io: &mut (impl AsyncRead + Unpin),
    buf: &mut BytesMut,
    head_request: bool,
    out: &mut Vec<u8>,
    cors: &CorsHeaders,
    close: bool,
) -> Result<ResponseHead, ReadError> {
    loop {
        if !buf.is_empty() {
            let mut lines = [httparse::EMPTY_HEADER; head::MAX_RESPONSE_LINES];
            match head::parse_response(buf, &mut lines, head_request) {
                Ok(Some((head, count, reason))) if head.status >= 200 => {
                    let lines = &lines[..count];
                    out.clear();
                    head::write_response(out, &head, reason, lines, cors, close).map_err(ReadError::Invalid)?;
                    buf.advance(head.len);
                    return Ok(head);
                }
                Ok(Some((head, ..))) if head.status == 101 => {
                    return Err(ReadError::Invalid("101 Switching Protocols to a request without Upgrade"))
                }
                Ok(Some((head, ..))) => {
                    let len = head.len;
                    buf.advance(len);
                    continue;
                }
                Ok(None) if buf.len() > MAX_HEAD => return Err(ReadError::Invalid("a response head over 64 KiB")),
                Ok(None) => {}
                Err(why) => return Err(ReadError::Invalid(why)),
            }
        }
        buf.reserve(READ_CHUNK);
        match io.read_buf(buf).await {
            Ok(0) => return Err(ReadError::Eof),
            Ok(_) => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
}

/// Writes the head in `out` and the body after it, from `conn`'s buffer and then its stream.
/// Small bodies that arrived with the head go out in the same write.
async fn relay_body(client: &mut TcpStream, out: &mut Vec<u8>, conn: &mut Raw, framing: Framing) -> io::Result<()> {
    match framing {
        Framing::Empty => client.write_all(out).await,
        Framing::Length(mut left) => loop {
            let take = left.min(conn.buf.len() as u64) as usize;
            out.extend_from_slice(&conn.buf[..take]);
            conn.buf.advance(take);
            left -= take as u64;
            client.write_all(out).await?;
            out.clear();
            if left == 0 {
                return Ok(());
            }
            read_more(conn).await?;
        },
        Framing::Chunked => {
            let mut chunks = Chunked::default();
            loop {
                let take = chunks.feed(&conn.buf).map_err(io::Error::other)?;
                out.extend_from_slice(&conn.buf[..take]);
                conn.buf.advance(take);
                client.write_all(out).await?;
                out.clear();
                if chunks.is_done() {
                    return Ok(());
                }
                read_more(conn).await?;
            }
        }
        Framing::UntilClose => loop {
            out.extend_from_slice(&conn.buf);
            conn.buf.clear();
            client.write_all(out).await?;
            out.clear();
            conn.buf.reserve(READ_CHUNK);
            if conn.io.read_buf(&mut conn.buf).await? == 0 {
                return Ok(());
            }
        },
    }
}

async fn read_more(conn: &mut Raw) -> io::Result<()> {
    conn.buf.reserve(READ_CHUNK);
    match conn.io.read_buf(&mut conn.buf).await? {
        0 => Err(io::ErrorKind::UnexpectedEof.into()),
        _ => Ok(()),
    }
}

/// One timer per connection for both of its time limits (the idle wait for a head, the wait for
/// the upstream's answer). Setting a later deadline does not touch the timer: when it fires
/// early, it is moved to the deadline then, so a busy connection resets it once per period
/// instead of once per request.
struct Deadline {
    sleep: Pin<Box<Sleep>>,
    at: Instant,
}

impl Deadline {
    fn new(first: Duration) -> Deadline {
        let at = Instant::now() + first;
        Deadline { sleep: Box::pin(tokio::time::sleep_until(at.into())), at }
    }

    fn set(&mut self, at: Instant) {
        if at < self.sleep.deadline().into_std() {
            self.sleep.as_mut().reset(at.into());
        }
        self.at = at;
    }

    /// Completes when the deadline has passed.
    async fn expired(&mut self) {
        loop {
            self.sleep.as_mut().await;
            if Instant::now() >= self.at {
                return;
            }
            let at = self.at;
            self.sleep.as_mut().reset(at.into());
        }
    }
}

/// A client stream handed to hyper, with the bytes the relay had read from it.
pub struct Prefixed {
    prefix: BytesMut,
    io: TcpStream,
}

impl AsyncRead for Prefixed {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            buf.put_slice(&self.prefix[..n]);
            self.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_slot_per_cors_request_header() {
        assert_eq!(super::CORS_REQUEST_HEADERS.len(), super::CorsLines::default().last.len());
    }
}
