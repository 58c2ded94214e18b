//! [`Route`]: what one route's requests share, whichever path carries them: where they go, the
//! policy, the upstream client, limits, `X-Forwarded-*` handling and the open proxy's limiter.

use std::net::SocketAddr;
use std::sync::Arc;

use corsair_core::Policy;
use http::header::HeaderValue;
use http::uri::Scheme;

use crate::config::{Forwarded, Limits, TargetPattern, Upstream};
use crate::metrics::Metrics;
use crate::ratelimit::{ConfiguredStore, RateLimiter};
use crate::upstream::{host_value, UpstreamClient};

/// The open proxy's limiter, on the memory store (which outlives reloads) or Redis.
pub type Limiter = RateLimiter<ConfiguredStore>;

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
    /// This server's `Via` element (its loop mark), added to every request sent upstream.
    pub via: HeaderValue,
    /// Where upstream latency and upstream errors are counted.
    pub metrics: Arc<Metrics>,
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
