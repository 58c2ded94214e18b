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
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::header::{self, HeaderValue};
use http::uri::PathAndQuery;
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::Limited;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use crate::answer::{failure, refuse, timed_out};
use crate::body::{ProxyBody, RequestBody, UpstreamBody};
use crate::config::Forwarded;
use crate::observe::{count_failure, GatewayRefusal, Outcome};
use crate::rewrite::{self, address_value, upstream_path, Downstream, Value};
use crate::route::{Destination, Peer, Route};
use crate::target;

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

/// The gateway's answer instead of the upstream's, and why.
type Refused = (Response<ProxyBody>, Outcome);

impl Forward {
    /// One request, in named steps: the checks the CORS layer does not make, the rate limit,
    /// the upstream URI, the body limit, the request rewritten, sent with a deadline, and the
    /// response rewritten (an upgrade spliced through when both sides switch).
    async fn forward(&self, mut request: Request<Incoming>) -> (Response<ProxyBody>, Outcome) {
        let websocket = is_websocket(&request);
        let (uri, target_url) = match self.admit(&request, websocket).await {
            Ok(target) => target,
            Err(refused) => return refused,
        };
        let client_upgrade = websocket.then(|| hyper::upgrade::on(&mut request));
        let upstream_request = self.upstream_request(request, uri, websocket);
        let started = Instant::now();
        let limit = self.route.limits.request_timeout;
        let sent = tokio::time::timeout(limit, self.route.client.request(upstream_request)).await;
        let elapsed = started.elapsed();
        let mut response = match sent {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return failure(&e, elapsed),
            Err(_) => return timed_out(limit, elapsed),
        };
        let switching = response.status() == StatusCode::SWITCHING_PROTOCOLS;
        if let (true, Some(client_upgrade)) = (switching, client_upgrade) {
            splice(client_upgrade, hyper::upgrade::on(&mut response));
        }
        (
            self.client_response(response, switching, target_url.as_ref()),
            Outcome { upstream: Some(elapsed), refused: None },
        )
    }

    /// The checks before anything goes upstream, in order; the upstream URI and, in open mode,
    /// the target URL when all pass.
    #[allow(clippy::result_large_err)]
    async fn admit(&self, request: &Request<Incoming>, websocket: bool) -> Result<(Uri, Option<url::Url>), Refused> {
        self.check_origin(request, websocket)?;
        self.rate_limit(request).await?;
        let target = self.upstream_uri(request)?;
        self.check_length(request)?;
        Ok(target)
    }

    fn is_open(&self) -> bool {
        matches!(self.route.destination, Destination::Open { .. })
    }

    /// The origin checks the CORS layer does not make: an open proxy serves pages only (a
    /// request without `Origin` passes that layer as not CORS, and an open proxy is not a
    /// browsing proxy; unlisted origins never get here, its policy refuses them), and browsers
    /// do not apply CORS to WebSockets, so the handshake's origin is checked here.
    #[allow(clippy::result_large_err)]
    fn check_origin(&self, request: &Request<Incoming>, websocket: bool) -> Result<(), Refused> {
        let origin = request.headers().contains_key(header::ORIGIN);
        if self.is_open() && !origin {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                GatewayRefusal::Origin,
                "this open CORS proxy serves web pages: requests without an Origin header are refused",
            ));
        }
        if websocket && origin && !self.route.policy.decide(request).is_allowed() {
            return Err(refuse(StatusCode::FORBIDDEN, GatewayRefusal::Origin, "this origin may not use this proxy"));
        }
        Ok(())
    }

    /// The open proxy's per-client and per-origin limits: `429` with `Retry-After` when spent.
    #[allow(clippy::result_large_err)]
    async fn rate_limit(&self, request: &Request<Incoming>) -> Result<(), Refused> {
        let (Some(limiter), Some(peer)) = (&self.route.limiter, self.client) else { return Ok(()) };
        let origin = request.headers().get(header::ORIGIN).map(HeaderValue::as_bytes);
        let Err(limited) = limiter.check(peer.addr.ip(), origin).await else { return Ok(()) };
        let (mut response, outcome) = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            GatewayRefusal::RateLimit,
            format!("too many requests from this {}; try again in {} s", limited.by, limited.retry_after_secs()),
        );
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(limited.retry_after_secs()));
        Err((response, outcome))
    }

    /// A declared body over the limit is refused before anything goes upstream (a streamed one
    /// is cut off at the limit on the way).
    #[allow(clippy::result_large_err)]
    fn check_length(&self, request: &Request<Incoming>) -> Result<(), Refused> {
        let max = self.route.limits.max_body;
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max) {
            return Err(refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                GatewayRefusal::BodyTooLarge,
                format!("the request body is larger than this proxy's limit of {max} bytes"),
            ));
        }
        Ok(())
    }

    /// The request as it goes to `uri`: headers rewritten ([`rewrite::request`]), HTTP/1.1
    /// (the pool picks HTTP/2 where ALPN offers it), the body cut off at the limit.
    fn upstream_request(&self, request: Request<Incoming>, uri: Uri, websocket: bool) -> Request<RequestBody> {
        let route = &*self.route;
        let original_host = request
            .headers()
            .get(header::HOST)
            .cloned()
            .or_else(|| request.uri().authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()));
        let (mut parts, body) = request.into_parts();
        parts.uri = uri;
        // The client's connection version says nothing about the upstream's.
        parts.version = Version::HTTP_11;
        let client = self.client.map(|peer| address_value(peer.addr.ip().to_canonical()));
        let host = match &route.destination {
            Destination::Fixed { host: Some(host), .. } => Some(Value::Header(host)),
            _ => None,
        };
        let upstream = rewrite::Upstream {
            host,
            via: Value::Header(&route.via),
            // Without a client (never so when served), nothing to say who forwarded it.
            forwarded: if client.is_some() { route.forwarded } else { Forwarded::Off },
            client: client.as_ref().map_or(b"", HeaderValue::as_bytes),
            proto: if self.client.is_some_and(|c| c.tls) { "https" } else { "http" },
            original_host: original_host.as_ref().map(Value::Header),
            open: self.is_open(),
            websocket,
            plain_connection: false,
        };
        rewrite::request_map(&mut parts.headers, &upstream);
        Request::from_parts(parts, Limited::new(body, route.limits.max_body as usize))
    }

    /// The upstream's response as the client gets it: headers rewritten
    /// ([`rewrite::response`]; in open mode against `target_url`), the body streamed, none after
    /// a `101`.
    fn client_response(
        &self,
        response: Response<UpstreamBody>,
        switching: bool,
        target_url: Option<&url::Url>,
    ) -> Response<ProxyBody> {
        let (mut parts, body) = response.into_parts();
        // Our client speaks HTTP/1.1 or 2 whatever the upstream spoke (an HTTP/1.0 upstream must
        // not make the proxy answer in HTTP/1.0 and close every connection).
        parts.version = Version::default();
        let open = self.is_open().then_some(target_url);
        rewrite::response_map(&mut parts.headers, Downstream { switching, open, plain_connection: false });
        let body = if switching { ProxyBody::Empty } else { ProxyBody::Upstream(body) };
        Response::from_parts(parts, body)
    }

    /// The upstream URI, and in open mode the target URL (for redirects).
    #[allow(clippy::result_large_err)]
    fn upstream_uri(&self, request: &Request<Incoming>) -> Result<(Uri, Option<url::Url>), Refused> {
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
}

/// Copies bytes both ways between an upgraded client and upstream (a WebSocket), in its own task.
fn splice(client: hyper::upgrade::OnUpgrade, upstream: hyper::upgrade::OnUpgrade) {
    tokio::spawn(async move {
        if let (Ok(client), Ok(upstream)) = (client.await, upstream.await) {
            let _ = tokio::io::copy_bidirectional(&mut TokioIo::new(client), &mut TokioIo::new(upstream)).await;
        }
    });
}
