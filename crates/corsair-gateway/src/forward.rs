//! [`Forward`]: the inner service behind the CORS layer. It sends a request to its upstream and
//! streams the answer back; every response it makes, errors included, goes out through the CORS
//! layer, so pages can read why a request failed.
//!
//! On the way up it removes hop-by-hop headers, sets `X-Forwarded-*`, and in open mode removes
//! cookies and credentials; on the way down it removes hop-by-hop headers, and in open mode
//! `Set-Cookie`, rewrites redirects to come back through the proxy (so every hop is checked
//! anew) and adds `Content-Security-Policy: sandbox` (proxied HTML must not run as the proxy's
//! origin).

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use corsair_core::Policy;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::{PathAndQuery, Scheme};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::Limited;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use crate::body::ProxyBody;
use crate::config::{Forwarded, Limits, TargetPattern, Upstream};
use crate::connect::ConnectError;
use crate::framing;
use crate::metrics::{Metrics, Reason, UpstreamError};
use crate::ratelimit::{ConfiguredStore, RateLimiter};
use crate::target;
use crate::upstream::{host_value, ClientError, UpstreamClient};

/// The open proxy's limiter, on the memory store (which outlives reloads) or Redis.
pub type Limiter = RateLimiter<ConfiguredStore>;

/// Request bodies as sent upstream: streamed, cut off at the body limit.
pub type RequestBody = Limited<Incoming>;

/// What one forwarded request looked like, for the decision log and metrics.
#[derive(Clone, Copy, Debug, Default)]
pub struct Outcome {
    /// Time to the upstream's response head, when the upstream was asked.
    pub upstream: Option<Duration>,
    /// Why the gateway answered instead of the upstream.
    pub refused: Option<GatewayRefusal>,
}

/// The gateway's own refusals and failures (the CORS refusals are the core's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatewayRefusal {
    /// Open mode: the target host is not allowed, or the path is not a target URL.
    Target,
    /// The SSRF guard refused the destination.
    Egress,
    /// Open mode: too many requests from this client or origin.
    RateLimit,
    /// Open mode: no `Origin`, or one the policy does not list; WebSocket from such an origin.
    Origin,
    /// The request body is larger than the limit.
    BodyTooLarge,
    /// The request body could not be read: malformed framing, or cut off.
    RequestBody,
    /// No upstream response head in time.
    Timeout,
    /// The upstream could not be reached or broke the exchange.
    Upstream(UpstreamError),
}

impl GatewayRefusal {
    /// A short label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            GatewayRefusal::Target => "target",
            GatewayRefusal::Egress => "egress",
            GatewayRefusal::RateLimit => "rate_limit",
            GatewayRefusal::Origin => "origin",
            GatewayRefusal::BodyTooLarge => "body_too_large",
            GatewayRefusal::RequestBody => "request_body",
            GatewayRefusal::Timeout => "timeout",
            GatewayRefusal::Upstream(_) => "upstream",
        }
    }

    /// The metrics reason, for refusals that are the gateway's policy rather than failures.
    pub fn reason(self) -> Option<Reason> {
        match self {
            GatewayRefusal::Target => Some(Reason::Target),
            GatewayRefusal::Egress => Some(Reason::Egress),
            GatewayRefusal::RateLimit => Some(Reason::RateLimit),
            GatewayRefusal::Origin => Some(Reason::Origin),
            GatewayRefusal::BodyTooLarge => Some(Reason::BodyTooLarge),
            GatewayRefusal::Timeout => Some(Reason::Timeout),
            // The client's mistake, not a policy's decision.
            GatewayRefusal::RequestBody | GatewayRefusal::Upstream(_) => None,
        }
    }
}

/// Where a route's requests go.
#[derive(Debug)]
pub enum Destination {
    /// A fixed upstream (gateway mode).
    Fixed {
        /// The upstream base URL.
        upstream: Upstream,
        /// The route's prefix, removed when `strip` is set.
        prefix: String,
        /// Remove the prefix.
        strip: bool,
        /// The `Host` header for an `http` upstream, made once (see [`Destination::fixed`]).
        host: Option<HeaderValue>,
    },
    /// The URL in the path (open mode).
    Open {
        /// Hosts that may be reached.
        targets: Vec<TargetPattern>,
    },
}

impl Destination {
    /// A fixed upstream. For an `http` upstream the `Host` header is made here, once: the
    /// connection is always HTTP/1.1, where the client would otherwise format the same value
    /// (host, and the port unless it is the scheme's default) for every request. For `https`,
    /// ALPN may choose HTTP/2, which takes `:authority` and no `Host`, so the client decides.
    pub fn fixed(upstream: Upstream, prefix: String, strip: bool) -> Destination {
        let host =
            if upstream.scheme == Scheme::HTTP { host_value(&upstream.scheme, &upstream.authority) } else { None };
        Destination::Fixed { upstream, prefix, strip, host }
    }
}

/// Per-client facts the server knows and the request does not carry.
#[derive(Clone, Copy, Debug)]
pub struct Peer {
    /// The peer's address.
    pub addr: SocketAddr,
    /// Whether the listener speaks TLS (for `X-Forwarded-Proto`).
    pub tls: bool,
}

/// Everything a route's forwarder shares across requests.
pub struct Route {
    /// Where to send requests.
    pub destination: Destination,
    /// The route's policy, for the one check the CORS layer does not make: WebSocket origins.
    pub policy: Arc<Policy>,
    /// The pooling client.
    pub client: UpstreamClient,
    /// Limits.
    pub limits: Limits,
    /// `X-Forwarded-*` handling.
    pub forwarded: Forwarded,
    /// Open mode's per-client and per-origin limits.
    pub limiter: Option<Arc<Limiter>>,
    /// Where upstream latency and upstream errors are counted.
    pub metrics: Arc<Metrics>,
}

/// The forwarding service of one route, for one client connection.
#[derive(Clone)]
pub struct Forward {
    route: Arc<Route>,
    client: Option<Peer>,
}

impl Forward {
    /// A forwarder for `route`; [`Forward::for_client`] tells it who is asking.
    pub fn new(route: Arc<Route>) -> Forward {
        Forward { route, client: None }
    }

    /// Sets the client this request comes from.
    pub fn for_client(&mut self, client: Peer) {
        self.client = Some(client);
    }
}

impl tower_service::Service<Request<Incoming>> for Forward {
    type Response = Response<ProxyBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ProxyBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let (mut response, outcome) = this.forward(request).await;
            let metrics = &this.route.metrics;
            count_failure(metrics, &outcome);
            if let Some(d) = outcome.upstream {
                metrics.upstream(d);
            }
            // The decision log reads the outcome where it logs the request: refusals always, the
            // others at debug level. Otherwise the extension map (an allocation) is not made.
            if outcome.refused.is_some() || tracing::enabled!(target: "corsair::decision", tracing::Level::DEBUG) {
                response.extensions_mut().insert(outcome);
            }
            Ok(response)
        })
    }
}

/// Headers that describe one connection, not the message (RFC 9110 7.6.1), plus the proxy ones:
/// removed both ways, by this forwarder and by the relay. `Connection` comes first
/// ([`strip_hop_by_hop`] reads the names it lists).
pub const HOP_BY_HOP_NAMES: [&str; HOP_BY_HOP_LEN] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
];

/// [`HOP_BY_HOP_NAMES`] as names, made at compile time.
const HOP_BY_HOP: [HeaderName; HOP_BY_HOP_LEN] = [
    HeaderName::from_static(HOP_BY_HOP_NAMES[0]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[1]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[2]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[3]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[4]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[5]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[6]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[7]),
];

const HOP_BY_HOP_LEN: usize = 8;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

const COOKIE2: HeaderName = HeaderName::from_static("cookie2");
const SET_COOKIE2: HeaderName = HeaderName::from_static("set-cookie2");

/// Removes names that read as framing or forwarding headers with `_` for `-` (see
/// [`framing::is_disguised`]). Names with `_` are rare: the usual request only scans its names.
fn strip_disguised(headers: &mut HeaderMap) {
    if !headers.keys().any(|n| framing::is_disguised(n.as_str().as_bytes())) {
        return;
    }
    let disguised: Vec<HeaderName> =
        headers.keys().filter(|n| framing::is_disguised(n.as_str().as_bytes())).cloned().collect();
    for name in disguised {
        headers.remove(name);
    }
}

/// Removes hop-by-hop headers, and the ones `Connection` names. `keep_upgrade` leaves
/// `Connection: upgrade` and `Upgrade` for a WebSocket handshake.
fn strip_hop_by_hop(headers: &mut HeaderMap, keep_upgrade: bool) {
    // This runs twice per request. One walk over the names finds which of the listed ones are
    // present: removing all eight blindly cost a hash and a probe each, 7% of the gateway's
    // instructions per proxied request, while most messages carry `Connection` at most.
    let mut present = [false; HOP_BY_HOP_LEN];
    let mut upgrade = false;
    for name in headers.keys() {
        match HOP_BY_HOP.iter().position(|h| h == name) {
            Some(i) => present[i] = true,
            None => upgrade |= name == header::UPGRADE,
        }
    }
    if present[0] {
        // `keep-alive`, the usual option, is a listed name: only other options are parsed into
        // names, so the usual message collects (and allocates) nothing here.
        let named: Vec<HeaderName> = headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|n| !n.eq_ignore_ascii_case("keep-alive"))
            .filter_map(|n| HeaderName::from_bytes(n.as_bytes()).ok())
            .filter(|n| !(keep_upgrade && n == header::UPGRADE))
            .collect();
        for name in named {
            headers.remove(name);
        }
    }
    for (name, _) in HOP_BY_HOP.iter().zip(present).filter(|(_, present)| *present) {
        if !(keep_upgrade && name == header::CONNECTION) {
            headers.remove(name);
        }
    }
    if keep_upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    } else if upgrade {
        headers.remove(header::UPGRADE);
    }
}

/// A WebSocket handshake (HTTP/1.1 `Upgrade: websocket`).
fn is_websocket(request: &Request<Incoming>) -> bool {
    let has = |name, token: &str| {
        request
            .headers()
            .get_all(name)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))))
    };
    request.version() == Version::HTTP_11 && has(header::CONNECTION, "upgrade") && has(header::UPGRADE, "websocket")
}

/// The gateway's own answer: a status and one line of text.
pub fn answer(status: StatusCode, text: impl Into<String>) -> Response<ProxyBody> {
    let mut text = text.into();
    text.push('\n');
    let mut response = Response::new(ProxyBody::text(Bytes::from(text)));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

fn refuse(status: StatusCode, why: GatewayRefusal, text: impl Into<String>) -> (Response<ProxyBody>, Outcome) {
    (answer(status, text), Outcome { upstream: None, refused: Some(why) })
}

impl Forward {
    async fn forward(&self, mut request: Request<Incoming>) -> (Response<ProxyBody>, Outcome) {
        let route = &*self.route;
        let open = matches!(route.destination, Destination::Open { .. });
        let websocket = is_websocket(&request);
        let origin = request.headers().contains_key(header::ORIGIN);
        // Unlisted origins never get here in open mode (its policy refuses them with a status
        // in the CORS layer); requests without Origin pass that layer as not CORS, and an open
        // proxy is not a browsing proxy.
        if open && !origin {
            return refuse(
                StatusCode::FORBIDDEN,
                GatewayRefusal::Origin,
                "this open CORS proxy serves web pages: requests without an Origin header are refused",
            );
        }
        // Browsers do not apply CORS to WebSockets, so the handshake's origin is checked here.
        if websocket && origin && !route.policy.decide(&request).is_allowed() {
            return refuse(StatusCode::FORBIDDEN, GatewayRefusal::Origin, "this origin may not use this proxy");
        }
        if let (Some(limiter), Some(peer)) = (&route.limiter, self.client) {
            let origin = request.headers().get(header::ORIGIN).map(HeaderValue::as_bytes);
            if let Err(limited) = limiter.check(peer.addr.ip(), origin).await {
                let (mut response, outcome) = refuse(
                    StatusCode::TOO_MANY_REQUESTS,
                    GatewayRefusal::RateLimit,
                    format!(
                        "too many requests from this {}; try again in {} s",
                        limited.by,
                        limited.retry_after_secs()
                    ),
                );
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(limited.retry_after_secs()));
                return (response, outcome);
            }
        }

        let (uri, target_url) = match self.upstream_uri(&request) {
            Ok(u) => u,
            Err(refusal) => return refusal,
        };

        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > route.limits.max_body) {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                GatewayRefusal::BodyTooLarge,
                format!("the request body is larger than this proxy's limit of {} bytes", route.limits.max_body),
            );
        }

        let client_upgrade = websocket.then(|| hyper::upgrade::on(&mut request));
        let original_host = request
            .headers()
            .get(header::HOST)
            .cloned()
            .or_else(|| request.uri().authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()));
        let (mut parts, body) = request.into_parts();
        parts.uri = uri;
        // The client's connection version says nothing about the upstream's; the pool picks
        // HTTP/2 where ALPN offers it.
        parts.version = Version::HTTP_11;
        let h = &mut parts.headers;
        strip_hop_by_hop(h, websocket);
        match &route.destination {
            Destination::Fixed { host: Some(host), .. } => h.insert(header::HOST, host.clone()),
            _ => h.remove(header::HOST),
        };
        strip_disguised(h);
        if open {
            // No credentials of the user's reach a third party through an open proxy.
            h.remove(header::COOKIE);
            h.remove(COOKIE2);
            h.remove(header::AUTHORIZATION);
        }
        self.set_forwarded(h, original_host);
        let upstream_request = Request::from_parts(parts, Limited::new(body, route.limits.max_body as usize));

        let started = Instant::now();
        let sent = tokio::time::timeout(route.limits.request_timeout, route.client.request(upstream_request)).await;
        let elapsed = started.elapsed();
        let mut response = match sent {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return failure(&e, elapsed),
            Err(_) => return timed_out(route.limits.request_timeout, elapsed),
        };

        let switching = response.status() == StatusCode::SWITCHING_PROTOCOLS;
        if let (true, Some(client_upgrade)) = (switching, client_upgrade) {
            let upstream_upgrade = hyper::upgrade::on(&mut response);
            tokio::spawn(async move {
                if let (Ok(client), Ok(upstream)) = (client_upgrade.await, upstream_upgrade.await) {
                    let _ = tokio::io::copy_bidirectional(&mut TokioIo::new(client), &mut TokioIo::new(upstream)).await;
                }
            });
        }
        let (mut parts, body) = response.into_parts();
        // Our client speaks HTTP/1.1 or 2 whatever the upstream spoke (an HTTP/1.0 upstream must
        // not make the proxy answer in HTTP/1.0 and close every connection).
        parts.version = Version::default();
        strip_hop_by_hop(&mut parts.headers, switching);
        if open {
            let h = &mut parts.headers;
            h.remove(header::SET_COOKIE);
            h.remove(SET_COOKIE2);
            // Nor does a third party ask for them.
            h.remove(header::WWW_AUTHENTICATE);
            h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
            h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            if let Some(url) = &target_url {
                rewrite_location(h, url);
            }
        }
        let body = if switching { ProxyBody::Empty } else { ProxyBody::Upstream(body) };
        (Response::from_parts(parts, body), Outcome { upstream: Some(elapsed), refused: None })
    }

    /// The upstream URI, and in open mode the target URL (for redirects).
    #[allow(clippy::result_large_err)]
    fn upstream_uri(
        &self,
        request: &Request<Incoming>,
    ) -> Result<(Uri, Option<url::Url>), (Response<ProxyBody>, Outcome)> {
        let pq = request.uri().path_and_query().map_or("/", PathAndQuery::as_str);
        match &self.route.destination {
            Destination::Fixed { upstream, prefix, strip, .. } => {
                let pq = match (upstream_path(upstream, prefix, *strip, pq), request.uri().path_and_query()) {
                    (std::borrow::Cow::Borrowed(_), Some(pq)) => {
                        // The usual route (no base path, nothing stripped) keeps the request's
                        // path as it is: no formatting and no second parse.
                        let mut parts = http::uri::Parts::default();
                        parts.scheme = Some(upstream.scheme.clone());
                        parts.authority = Some(upstream.authority.clone());
                        parts.path_and_query = Some(pq.clone());
                        if let Ok(uri) = Uri::from_parts(parts) {
                            return Ok((uri, None));
                        }
                        pq.as_str().to_owned()
                    }
                    (changed, _) => changed.into_owned(),
                };
                let uri = Uri::builder()
                    .scheme(upstream.scheme.clone())
                    .authority(upstream.authority.clone())
                    .path_and_query(pq)
                    .build();
                match uri {
                    Ok(uri) => Ok((uri, None)),
                    Err(_) => {
                        Err(refuse(StatusCode::BAD_REQUEST, GatewayRefusal::Target, "the request path is not valid"))
                    }
                }
            }
            Destination::Open { targets } => {
                let url = target::parse(pq)
                    .map_err(|e| refuse(StatusCode::BAD_REQUEST, GatewayRefusal::Target, e.to_string()))?;
                let host = url.host_str().unwrap_or_default();
                let port = url.port_or_known_default().unwrap_or(80);
                if !targets.iter().any(|t| t.matches(host, port)) {
                    return Err(refuse(
                        StatusCode::FORBIDDEN,
                        GatewayRefusal::Target,
                        format!("`{host}` is not a target this proxy may reach (see allow_targets)"),
                    ));
                }
                match url.as_str().parse::<Uri>() {
                    Ok(uri) => Ok((uri, Some(url))),
                    Err(_) => {
                        Err(refuse(StatusCode::BAD_REQUEST, GatewayRefusal::Target, "the target URL is not valid"))
                    }
                }
            }
        }
    }

    fn set_forwarded(&self, h: &mut HeaderMap, host: Option<HeaderValue>) {
        let Some(client) = self.client else { return };
        match self.route.forwarded {
            Forwarded::Off => {}
            mode => {
                let ip = client.addr.ip().to_canonical();
                let prior = h.get(X_FORWARDED_FOR).and_then(|v| v.to_str().ok()).filter(|_| mode == Forwarded::Append);
                let xff = match prior {
                    Some(prior) => HeaderValue::from_str(&format!("{prior}, {ip}")).ok(),
                    None => Some(address_value(ip)),
                };
                if let Some(v) = xff {
                    h.insert(X_FORWARDED_FOR, v);
                }
                if mode == Forwarded::Set || !h.contains_key(X_FORWARDED_PROTO) {
                    let proto = if client.tls { Scheme::HTTPS } else { Scheme::HTTP };
                    h.insert(
                        X_FORWARDED_PROTO,
                        HeaderValue::from_static(if proto == Scheme::HTTPS { "https" } else { "http" }),
                    );
                }
                if mode == Forwarded::Set || !h.contains_key(X_FORWARDED_HOST) {
                    match host {
                        Some(host) => h.insert(X_FORWARDED_HOST, host),
                        None => h.remove(X_FORWARDED_HOST),
                    };
                }
            }
        }
    }
}

/// The path and query a fixed route sends upstream for the client's `pq`: the prefix removed
/// when `strip`, the upstream's base path put in front. Borrowed when nothing changes.
pub fn upstream_path<'a>(upstream: &Upstream, prefix: &str, strip: bool, pq: &'a str) -> std::borrow::Cow<'a, str> {
    let strip = strip && prefix != "/";
    if upstream.base_path.is_empty() && !strip && pq.starts_with('/') {
        return pq.into();
    }
    let rest = if strip { &pq[prefix.len().min(pq.len())..] } else { pq };
    let slash = if rest.starts_with('/') { "" } else { "/" };
    format!("{}{slash}{rest}", upstream.base_path).into()
}

/// Counts an upstream failure or timeout in the metrics (the forwarder's own count).
pub fn count_failure(metrics: &Metrics, outcome: &Outcome) {
    match outcome.refused {
        Some(GatewayRefusal::Upstream(e)) => metrics.upstream_error(e),
        Some(GatewayRefusal::Timeout) => metrics.upstream_error(UpstreamError::Timeout),
        _ => {}
    }
}

/// The answer to a request whose upstream did not answer within `limit`.
pub fn timed_out(limit: Duration, elapsed: Duration) -> (Response<ProxyBody>, Outcome) {
    (
        answer(StatusCode::GATEWAY_TIMEOUT, format!("the upstream did not answer within {} s", limit.as_secs())),
        Outcome { upstream: Some(elapsed), refused: Some(GatewayRefusal::Timeout) },
    )
}

/// The answer to a request whose upstream broke the exchange (`why` says how).
pub fn broken(why: &dyn std::fmt::Display, elapsed: Duration) -> (Response<ProxyBody>, Outcome) {
    let (response, mut outcome) =
        refuse(StatusCode::BAD_GATEWAY, GatewayRefusal::Upstream(UpstreamError::Refused), why.to_string());
    outcome.upstream = Some(elapsed);
    (response, outcome)
}

/// An address as header text. IPv4 is written by hand: this runs on every request, and
/// `Display` for addresses costs more than the rest of the forwarded headers together.
pub(crate) fn address_value(ip: IpAddr) -> HeaderValue {
    let text = match ip {
        IpAddr::V4(v4) => {
            let mut buf = [0u8; 15];
            let mut n = 0;
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    buf[n] = b'.';
                    n += 1;
                }
                if octet >= 100 {
                    buf[n] = b'0' + octet / 100;
                    n += 1;
                }
                if octet >= 10 {
                    buf[n] = b'0' + octet / 10 % 10;
                    n += 1;
                }
                buf[n] = b'0' + octet % 10;
                n += 1;
            }
            return HeaderValue::from_bytes(&buf[..n]).expect("digits and dots are header text");
        }
        IpAddr::V6(v6) => v6.to_string(),
    };
    HeaderValue::from_str(&text).expect("an IPv6 address is header text")
}

/// A redirect's `Location`, turned into a path through the proxy: the browser follows it to the
/// proxy, which checks the next hop like any request (target list, SSRF guard, rate limit).
fn rewrite_location(h: &mut HeaderMap, base: &url::Url) {
    let Some(location) = h.get(header::LOCATION).and_then(|v| v.to_str().ok()) else { return };
    match base.join(location) {
        Ok(next) if matches!(next.scheme(), "http" | "https") => {
            if let Ok(v) = HeaderValue::from_str(&format!("/{next}")) {
                h.insert(header::LOCATION, v);
            }
        }
        _ => {
            h.remove(header::LOCATION);
        }
    }
}

/// An error of the upstream client as the gateway's answer.
pub fn failure(error: &ClientError, elapsed: Duration) -> (Response<ProxyBody>, Outcome) {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(c) = e.downcast_ref::<ConnectError>() {
            return match c {
                ConnectError::Refused(_) => refuse(
                    StatusCode::FORBIDDEN,
                    GatewayRefusal::Egress,
                    format!("{c}; this proxy only reaches public addresses (see egress_allow)"),
                ),
                ConnectError::Timeout(_) => {
                    refuse(StatusCode::GATEWAY_TIMEOUT, GatewayRefusal::Timeout, format!("upstream unreachable: {c}"))
                }
                ConnectError::Tls(_) => refuse(
                    StatusCode::BAD_GATEWAY,
                    GatewayRefusal::Upstream(UpstreamError::Tls),
                    format!("upstream unreachable: {c}"),
                ),
                ConnectError::Connect(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => refuse(
                    StatusCode::BAD_GATEWAY,
                    GatewayRefusal::Upstream(UpstreamError::Refused),
                    format!("upstream unreachable: {c}"),
                ),
                _ => refuse(
                    StatusCode::BAD_GATEWAY,
                    GatewayRefusal::Upstream(UpstreamError::Connect),
                    format!("upstream unreachable: {c}"),
                ),
            };
        }
        if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                GatewayRefusal::BodyTooLarge,
                "the request body is larger than this proxy's limit",
            );
        }
        source = e.source();
    }
    // The client's own body failed (a malformed chunk, or the client went away): its fault, not
    // the upstream's.
    if let ClientError::Send(e) = error {
        if e.is_user() {
            return refuse(
                StatusCode::BAD_REQUEST,
                GatewayRefusal::RequestBody,
                "the request body is malformed or cut off",
            );
        }
    }
    broken(&format_args!("the upstream broke the exchange: {error}"), elapsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_the_ones_connection_names_go() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, x-secret"));
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        h.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        strip_hop_by_hop(&mut h, false);
        assert_eq!(h.len(), 1, "{h:?}");
        assert!(h.contains_key(header::CONTENT_TYPE));
    }

    #[test]
    fn only_the_listed_and_named_headers_go_whatever_their_order() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        h.insert(header::TE, HeaderValue::from_static("trailers"));
        h.insert("x-keep", HeaderValue::from_static("1"));
        h.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        h.append(header::CONNECTION, HeaderValue::from_static("x-one"));
        h.append(header::CONNECTION, HeaderValue::from_static("upgrade, X-Two"));
        h.insert("x-one", HeaderValue::from_static("1"));
        h.insert("x-two", HeaderValue::from_static("2"));
        strip_hop_by_hop(&mut h, false);
        let left: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["content-type", "x-keep"]);

        let mut none = HeaderMap::new();
        none.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        strip_hop_by_hop(&mut none, false);
        assert_eq!(none.len(), 1);
    }

    #[test]
    fn addresses_as_header_text() {
        for ip in ["0.0.0.0", "127.0.0.1", "10.9.99.100", "255.255.255.255", "1.20.200.9", "::1", "2001:db8::7"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(address_value(ip), ip.to_string().as_str());
        }
        for octet in 0..=255u8 {
            let ip = IpAddr::from([octet, 255 - octet, octet / 3, 7]);
            assert_eq!(address_value(ip), ip.to_string().as_str());
        }
    }

    #[test]
    fn http_upstreams_get_their_host_header_once() {
        let host = |url: &str| match Destination::fixed(crate::config::parse_upstream(url).unwrap(), "/".into(), false)
        {
            Destination::Fixed { host, .. } => host,
            Destination::Open { .. } => unreachable!(),
        };
        assert_eq!(host("http://127.0.0.1:8080").unwrap(), "127.0.0.1:8080");
        assert_eq!(host("http://api.test:80/v1").unwrap(), "api.test");
        assert_eq!(host("http://[::1]:9000").unwrap(), "[::1]:9000");
        assert_eq!(host("http://api.test:08080").unwrap(), "api.test:8080");
        assert!(host("https://api.test:8443").is_none(), "ALPN may pick HTTP/2: the client decides");
    }

    #[test]
    fn websocket_handshakes_keep_upgrade() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        strip_hop_by_hop(&mut h, true);
        assert_eq!(h.get(header::CONNECTION).unwrap(), "upgrade");
        assert_eq!(h.get(header::UPGRADE).unwrap(), "websocket");
    }

    #[test]
    fn redirects_come_back_through_the_proxy() {
        let base = url::Url::parse("https://api.example.com/v1/items").unwrap();
        let mut h = HeaderMap::new();
        h.insert(header::LOCATION, HeaderValue::from_static("/v2/items?x=1"));
        rewrite_location(&mut h, &base);
        assert_eq!(h.get(header::LOCATION).unwrap(), "/https://api.example.com/v2/items?x=1");
        h.insert(header::LOCATION, HeaderValue::from_static("http://internal.test/"));
        rewrite_location(&mut h, &base);
        assert_eq!(h.get(header::LOCATION).unwrap(), "/http://internal.test/");
        h.insert(header::LOCATION, HeaderValue::from_static("javascript:alert(1)"));
        rewrite_location(&mut h, &base);
        assert!(h.get(header::LOCATION).is_none());
    }
}
