//! What the gateway does with one request: operations endpoints, the route, the CORS layer
//! around the route's forwarder (or, in report-only mode, the decision logged and nothing
//! changed), then the decision log.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use corsair_core::decision::CORS_REQUEST_HEADERS;
use corsair_core::{Policy, RefusalKind, RequestKind};
use corsair_tower::{Cors, CorsLayer};
use http::{header, HeaderValue, Request, Response, StatusCode, Version};
use hyper::body::Incoming;
use tower_layer::Layer;
use tower_service::Service;

use crate::answer::answer;
use crate::body::ProxyBody;
use crate::config::StoreSettings;
use crate::config::{Config, Mode};
use crate::connect::{client_tls, Connector, PinnedResolver};
use crate::forward::Forward;
use crate::framing;
use crate::loops::LoopMark;
use crate::metrics::{self, Metrics};
use crate::observe::{record, LogLine, Outcome};
use crate::ratelimit::{ConfiguredStore, MemoryStore, RateLimiter, RedisStore, WhenStoreFails};
use crate::relay::{self, RelayRoute};
use crate::route::{self, Destination, Peer};
use crate::upstream::UpstreamClient;

/// What outlives reloads: the counters, the rate-limit state and the server's loop mark.
#[derive(Clone, Default)]
pub struct Services {
    /// The process's metrics.
    pub metrics: Arc<Metrics>,
    /// The open proxy's memory store, kept across reloads (a Redis store is built with each
    /// configuration: its counts live in Redis).
    pub limits: Arc<MemoryStore>,
    /// The `Via` mark on forwarded requests, by which a request that comes back is known.
    pub loop_mark: LoopMark,
}

/// One loaded configuration, ready to serve: a reload builds a new one and swaps it in whole,
/// so a request sees one configuration from start to end.
pub struct Runtime {
    /// The configuration it was built from.
    pub config: Config,
    routes: Vec<RouteService>,
    services: Services,
}

struct RouteService {
    prefix: String,
    kind: RouteKind,
    /// The HTTP/1.1 fast path for this route, when it can take it.
    relay: Option<Arc<RelayRoute>>,
}

enum RouteKind {
    /// Decide and enforce: the CORS layer around the forwarder (and its policy, to tell a
    /// refusal's reason in the log).
    Enforce { cors: Cors<Forward>, policy: Arc<Policy> },
    /// Report-only: decide and log, forward untouched.
    Report { forward: Forward, policy: Arc<Policy> },
}

impl Runtime {
    /// Builds the upstream client and every route's services. Fails only on files that cannot
    /// be read (the upstream CA bundle); the configuration itself was validated when loaded.
    pub fn new(config: Config, services: &Services) -> Result<Runtime, String> {
        let tls = client_tls(config.upstream_ca.as_deref())?;
        let resolver = PinnedResolver::new(config.resolve.clone());
        let mut egress = config.egress.clone();
        if let Some(e) = egress.take() {
            egress = Some(e.own_address(config.listen));
        }
        let connector = Connector::new(egress, resolver, tls, config.limits.connect_timeout);
        let client = UpstreamClient::new(connector.clone());
        // The relay takes enforcing routes (report-only ones log every decision, in hyper's path).
        let relay = config.fast_path && !config.report_only;
        let limiter = match &config.mode {
            Mode::Open(open) if open.per_client.is_some() || open.per_origin.is_some() => {
                let mut limiter = match &open.store {
                    StoreSettings::Memory => RateLimiter::new(ConfiguredStore::Memory(services.limits.clone())),
                    // Connections open on the first check; a reload makes a new store (the
                    // counts are Redis's, so nothing is lost).
                    StoreSettings::Redis(redis) => {
                        let store = RedisStore::new(redis.url.clone(), redis.key_prefix.clone(), redis.timeout);
                        RateLimiter::new(ConfiguredStore::Redis(Arc::new(store))).when_store_fails(redis.on_failure)
                    }
                };
                limiter = limiter.on_store_error(store_error_hook(services.metrics.clone(), open.store.clone()));
                if let Some(q) = open.per_client {
                    limiter = limiter.per_client(q);
                }
                if let Some(q) = open.per_origin {
                    limiter = limiter.per_origin(q);
                }
                Some(Arc::new(limiter))
            }
            _ => None,
        };
        let route = |destination, policy: Arc<Policy>| {
            let shared = Arc::new(route::Route {
                destination,
                policy: policy.clone(),
                client: client.clone(),
                limits: config.limits,
                forwarded: config.forwarded,
                via: services.loop_mark.via().clone(),
                limiter: limiter.clone(),
                metrics: services.metrics.clone(),
            });
            let relayed = if relay { RelayRoute::new(shared.clone(), connector.clone()).map(Arc::new) } else { None };
            let forward = Forward::new(shared);
            let kind = if config.report_only {
                RouteKind::Report { forward, policy }
            } else {
                let cors = CorsLayer::new(policy.clone()).debug(config.debug_header).mark_refusals(true).layer(forward);
                RouteKind::Enforce { cors, policy }
            };
            (kind, relayed)
        };
        let routes = match &config.mode {
            Mode::Gateway(routes) => routes
                .iter()
                .map(|r| {
                    let destination = Destination::fixed(r.upstream.clone(), r.prefix.clone(), r.strip_prefix);
                    let (kind, relay) = route(destination, r.policy.clone());
                    RouteService { prefix: r.prefix.clone(), kind, relay }
                })
                .collect(),
            Mode::Open(open) => {
                let (kind, _) = route(Destination::Open { targets: open.targets.clone() }, open.policy.clone());
                // The open proxy's checks (targets, rate limits, cookies) are the forwarder's.
                vec![RouteService { prefix: "/".into(), kind, relay: None }]
            }
        };
        Ok(Runtime { config, routes, services: services.clone() })
    }

    /// The most specific route whose prefix covers `path` (routes are sorted longest first).
    fn route(&self, path: &str) -> Option<&RouteService> {
        self.routes.iter().find(|r| covers(&r.prefix, path))
    }

    /// True if some route can be relayed: plain connections then start in the relay.
    pub fn relays(&self) -> bool {
        self.routes.iter().any(|r| r.relay.is_some())
    }
}

/// The relay reads the runtime current when each request arrives through this.
impl relay::Routes for Runtime {
    fn relay_for(&self, path: &str) -> Option<&Arc<RelayRoute>> {
        self.route(path)?.relay.as_ref()
    }

    fn is_operations_path(&self, path: &str) -> bool {
        path == HEALTH_PATH || path == METRICS_PATH
    }

    fn loop_mark(&self) -> &LoopMark {
        &self.services.loop_mark
    }

    fn metrics(&self) -> &Metrics {
        &self.services.metrics
    }
}

/// Counts each store error in the metrics and logs it, at most one line a second (with how
/// many were not logged since), so a Redis outage under load does not flood the log.
fn store_error_hook(
    metrics: Arc<Metrics>,
    store: StoreSettings,
) -> impl Fn(&crate::ratelimit::StoreError, crate::ratelimit::By) + Send + Sync + 'static {
    use std::sync::atomic::{AtomicU64, Ordering};
    let start = Instant::now();
    // Milliseconds since `start` of the next line allowed (0: now), and errors since the last.
    let next_line = AtomicU64::new(0);
    let unlogged = AtomicU64::new(0);
    let answer = match &store {
        StoreSettings::Redis(r) if r.on_failure == WhenStoreFails::Refuse => "refused (on_failure = \"refuse\")",
        _ => "admitted (on_failure = \"admit\")",
    };
    move |error, by| {
        metrics.rate_limit_store_error();
        let now = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        let due = next_line.load(Ordering::Relaxed);
        if now < due || next_line.compare_exchange(due, now + 1000, Ordering::Relaxed, Ordering::Relaxed).is_err() {
            unlogged.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let suppressed = unlogged.swap(0, Ordering::Relaxed);
        tracing::warn!(
            target: "corsair::ratelimit",
            quota = by.as_str(),
            suppressed,
            "{error}; the request was {answer}"
        );
    }
}

/// Whether `prefix` covers `path` on a segment boundary: `/api` covers `/api` and `/api/x`,
/// not `/apix`.
fn covers(prefix: &str, path: &str) -> bool {
    prefix == "/"
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
}

/// The health check on the main listener (and the admin one): under `/.corsair/`, so that it
/// cannot hide an upstream's own `/healthz`.
pub const HEALTH_PATH: &str = "/.corsair/healthz";

/// The metrics on the main listener, when `metrics_on_listen` opts in (and on the admin one).
pub const METRICS_PATH: &str = "/.corsair/metrics";

/// Serves one request on the main listener.
pub async fn handle(
    runtime: Arc<Runtime>,
    peer: Peer,
    request: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    if let Err(malformed) = check_framing(&request) {
        return Ok(malformed);
    }
    if let Some(response) = ops(&request, &runtime.services.metrics, Listener::Main(&runtime.config)) {
        return Ok(response);
    }
    let mark = &runtime.services.loop_mark;
    if mark.carried_by(request.headers()) {
        let path = request.uri().path();
        tracing::warn!(target: "corsair::decision", path, "request loop: the upstream leads back to this proxy");
        let text = "this request has been through this proxy already: its upstream leads back to the proxy";
        return Ok(answer(StatusCode::LOOP_DETECTED, text));
    }
    let started = Instant::now();
    let kind = RequestKind::of(&request);
    let websocket = request.headers().contains_key(header::UPGRADE);
    let method = request.method().clone();
    let uri = request.uri().clone();
    let origin = request.headers().get(header::ORIGIN).cloned();
    let Some(route) = runtime.route(uri.path()) else {
        let mut response = answer(StatusCode::NOT_FOUND, format!("no route for {}", uri.path()));
        response.extensions_mut().insert(Outcome { upstream: None, refused: None });
        return Ok(response);
    };
    let mut kept = KeptLines::default();
    let (response, would_refuse) = match &route.kind {
        RouteKind::Enforce { cors, .. } => {
            kept = KeptLines::of(request.headers());
            let mut service = cors.clone();
            service.get_mut().for_client(peer);
            (service.call(request).await?, None)
        }
        RouteKind::Report { forward, policy } => {
            let decision = policy.decide(&request);
            let refusal = decision.refusal().map(|r| (r.kind(), r.to_string()));
            let mut forward = forward.clone();
            forward.for_client(peer);
            (forward.call(request).await?, refusal)
        }
    };
    let outcome = response.extensions().get::<Outcome>().copied().unwrap_or_default();
    let cors_refusal = response.extensions().get::<corsair_tower::Refused>().map(|r| r.kind);
    record(&runtime.services.metrics, kind, websocket, &outcome, cors_refusal);
    let line = LogLine {
        route: &route.prefix,
        method: &method,
        path: uri.path(),
        origin: origin.as_ref(),
        kind,
        status: response.status().as_u16(),
        refused: outcome.refused.map(|r| r.as_str()).or(cors_refusal.map(RefusalKind::as_str)),
        would_refuse: would_refuse.as_ref().map(|(kind, reason)| (*kind, reason.as_str())),
        started,
        upstream: outcome.upstream,
    };
    match (&route.kind, cors_refusal) {
        (RouteKind::Enforce { policy, .. }, Some(_)) => line.write_with_reason(kept.reason(policy, &method).as_deref()),
        _ => line.write(),
    }
    Ok(response)
}

/// Refuses HTTP/1.x framing that the upstream might read differently (see [`framing`]), before
/// anything answers or forwards the request. The connection closes after the answer: where one
/// request ends is in doubt, so nothing after it can be trusted.
#[allow(clippy::result_large_err)]
fn check_framing(request: &Request<Incoming>) -> Result<(), Response<ProxyBody>> {
    let version = request.version();
    if version != Version::HTTP_11 && version != Version::HTTP_10 {
        return Ok(());
    }
    let lines = request.headers().iter().map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()));
    let Err(malformed) = framing::check(version == Version::HTTP_11, lines) else { return Ok(()) };
    tracing::debug!(target: "corsair::server", why = malformed.as_str(), "malformed request refused");
    let mut response = answer(malformed.status(), malformed.as_str());
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    Err(response)
}

/// The request lines a CORS decision reads (at most two of each name, enough to tell a repeated
/// `Origin`), kept by reference count, not copied, so that the log can tell why the CORS layer,
/// which takes the request, refused it. One entry per name of [`CORS_REQUEST_HEADERS`].
#[derive(Default)]
struct KeptLines([[Option<HeaderValue>; 2]; 4]);

impl KeptLines {
    fn of(headers: &http::HeaderMap) -> KeptLines {
        KeptLines(std::array::from_fn(|i| {
            let mut values = headers.get_all(&CORS_REQUEST_HEADERS[i]).iter().cloned();
            [values.next(), values.next()]
        }))
    }

    /// Why `policy` refuses a request with these lines, decided again (refusals only).
    fn reason(&self, policy: &Policy, method: &http::Method) -> Option<String> {
        let mut lines = http::HeaderMap::new();
        for (name, values) in CORS_REQUEST_HEADERS.iter().zip(&self.0) {
            for value in values.iter().flatten() {
                lines.append(name.clone(), value.clone());
            }
        }
        policy.decide((method, &lines)).refusal().map(ToString::to_string)
    }
}

/// Which listener a request came in on, for [`ops`].
#[derive(Clone, Copy)]
pub enum Listener<'a> {
    /// The main one: [`HEALTH_PATH`], and [`METRICS_PATH`] only if the configuration opts in.
    Main(&'a Config),
    /// The admin one (`admin_listen`): `/healthz` and `/metrics`, or the same under `/.corsair/`.
    Admin,
}

/// The gateway's own answer to an operations path on `listener`, or `None` for any other path.
pub fn ops(request: &Request<Incoming>, metrics: &Metrics, listener: Listener<'_>) -> Option<Response<ProxyBody>> {
    let path = request.uri().path();
    let (health, metrics_here) = match listener {
        Listener::Main(config) => (path == HEALTH_PATH, config.metrics_on_listen && path == METRICS_PATH),
        Listener::Admin => (matches!(path, HEALTH_PATH | "/healthz"), matches!(path, METRICS_PATH | "/metrics")),
    };
    if health {
        return Some(answer(StatusCode::OK, "ok"));
    }
    if !metrics_here {
        return None;
    }
    let mut text = String::with_capacity(4096);
    metrics.render(&mut text);
    let mut response = Response::new(ProxyBody::text(text));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(metrics::CONTENT_TYPE));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_cover_on_segment_boundaries() {
        assert!(covers("/", "/anything"));
        assert!(covers("/api", "/api"));
        assert!(covers("/api", "/api/items"));
        assert!(!covers("/api", "/apix"));
        assert!(!covers("/api", "/"));
    }
}
