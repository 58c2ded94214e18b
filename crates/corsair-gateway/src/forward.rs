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

use http::header::{self, HeaderMap, HeaderValue};
use http::uri::{PathAndQuery, Scheme};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::Limited;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use crate::answer::{failure, refuse, timed_out};
use crate::body::ProxyBody;
use crate::config::Forwarded;
use crate::observe::{count_failure, GatewayRefusal, Outcome};
use crate::rewrite::{
    address_value, rewrite_location, strip_disguised, strip_hop_by_hop, upstream_path, COOKIE2, SET_COOKIE2,
    X_FORWARDED_FOR, X_FORWARDED_HOST, X_FORWARDED_PROTO,
};
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
